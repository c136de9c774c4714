/*
 * rate.h — the broker's request limits, kept by the shell before anything is sent:
 * Kite allows 10 order requests a second, 400 a minute and 5 000 a day (place, modify,
 * cancel), and 10 requests a second to its other endpoints (look-ups, positions).
 * Pure and deterministic: time is handed in, nothing is read from a clock.
 *
 * Each limit is exact, not a smoothed bucket: a request may leave at t only if fewer
 * than N requests of its class left in (t − W, t]. The send times of the last N are kept
 * in a ring per limit, so the check is O(1).
 *
 * Order requests wait in two lanes: risk-reducing ones (reversals, exits, flattening,
 * cancels) always leave before risk-adding ones, whatever their arrival; within a lane,
 * first in, first out. Look-ups have a queue of their own and never delay an order.
 * Nothing is dropped: a full queue refuses the push (LG_EPOOL_FULL), which the shell
 * reports. After a 429 the shell calls lg_rate_backoff: nothing leaves before then.
 */
#ifndef LEGATO_RATE_H
#define LEGATO_RATE_H

#include "legato/base.h"
#include "legato/event.h"

typedef struct lg_rate_config {
    uint32_t orders_per_second;  /* 10 */
    uint32_t orders_per_minute;  /* 400 */
    uint32_t orders_per_day;     /* 5 000; 0: no daily limit */
    uint32_t queries_per_second; /* 10 */
    uint32_t queue_cap;          /* commands waiting, per queue */
    lg_ns_t guard_ns;            /* added to each window (default 50 ms): requests that
                                    leave exactly 1 s apart can arrive closer together, and
                                    Kite's 429 would stop everything, emergencies included,
                                    for a backoff */
} lg_rate_config_t;

void lg_rate_config_default(lg_rate_config_t *c);

typedef struct lg_rate lg_rate_t;

typedef struct lg_rate_stats {
    uint64_t pushed, sent, refused; /* refused: the queue was full */
    uint32_t waiting;               /* in the queues now */
    lg_ns_t max_wait_ns;            /* longest push-to-leave so far */
    uint32_t day_left;              /* order requests still allowed today */
} lg_rate_stats_t;

/* Allocates everything. LG_EINVAL for a zero limit or queue. */
int lg_rate_create(const lg_rate_config_t *cfg, lg_rate_t **out);
void lg_rate_destroy(lg_rate_t *r);

/* Queues one command (PLACE, MODIFY, CANCEL: order requests; QUERY_*: look-ups). */
int lg_rate_push(lg_rate_t *r, const lg_cmd_t *cmd, lg_ns_t now);
/* The next command allowed to leave at `now`: 1 with *out written (its send is
 * counted), or 0 with *next_at the earliest time one may (INT64_MAX: nothing waits;
 * past the day's limit, the next day is the shell's business: INT64_MAX too). */
int lg_rate_pop(lg_rate_t *r, lg_ns_t now, lg_cmd_t *out, lg_ns_t *next_at);
/* Kite answered 429: nothing leaves before `until`. */
void lg_rate_backoff(lg_rate_t *r, lg_ns_t until);
/* A new trading day: the daily count starts again. */
void lg_rate_new_day(lg_rate_t *r);
/* True while a PLACE tagged `tag` waits in an order lane (it has not been sent). */
bool lg_rate_waiting_place(const lg_rate_t *r, const char *tag);
void lg_rate_stats(const lg_rate_t *r, lg_rate_stats_t *s);

#endif
