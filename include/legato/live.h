/*
 * live.h — the live shell: the engine, stepped through the journaling runner, on a
 * libuv loop in wall-clock time, its commands sent to a broker port (legato's Kite
 * port against Kite or `legato sim`, or any other sender). The daemon is built on it;
 * the end-to-end tests run it against `legato sim` over loopback.
 *
 *   broker events  --lg_live_event-->  runner step (journal)  --send-->  broker
 *   the engine's wake-ups: a uv timer  --TIMER event-->  the same
 *
 * Group commit: the steps of one loop turn share one journal transaction, opened by
 * the first event of the turn and committed in the loop's check phase. Risk-reducing
 * commands go out during the step, entries at the commit (runner.h). A submit commits
 * the open batch before it returns, so that a new group's entry orders leave one
 * journal commit after it is accepted rather than a loop turn later.
 *
 * A command the broker port refuses to take (its queue is full) is not lost: a PLACE
 * becomes a definitive ORDER_ERROR ("not sent: ...") fed to the engine on the next
 * turn, which then treats the order as never placed; a refused cancel or look-up is
 * alerted, and the engine asks again after its silence interval.
 *
 * Time: now = uv_hrtime() − t0 (monotonic); the engine's clock_offset_ns must be the
 * Unix time at t0 (lg_live_unix0).
 */
#ifndef LEGATO_LIVE_H
#define LEGATO_LIVE_H

#include "legato/recover.h"
#include "legato/runner.h"

#include <uv.h>

typedef struct lg_live lg_live_t;

/* Hands a command to the broker port; LG_OK, or an error when it could not take it. */
typedef int (*lg_live_send_fn)(void *broker, const lg_cmd_t *cmd);
typedef void (*lg_live_alert_fn)(void *ud, const lg_alert_t *a);
/* The journal records of one step (group states, fills...), as the step made them: for
 * the shell's own listeners (strategies). It must not step the live shell itself. */
typedef void (*lg_live_records_fn)(void *ud, const lg_record_t *recs, uint32_t n);

typedef struct lg_live_config {
    uv_loop_t *loop;
    lg_engine_t *engine;   /* created with clock_offset_ns = lg_live_unix0() of t0 */
    lg_store_t *store;
    lg_live_send_fn send;
    void *broker;
    lg_live_alert_fn on_alert; /* may be NULL */
    lg_live_records_fn on_records; /* may be NULL */
    void *ud;
    uint64_t t0_hrtime;    /* uv_hrtime() at time 0 (0: now) */
} lg_live_config_t;

/* Unix ns now, for the engine's clock_offset_ns when t0 is taken now. */
lg_ns_t lg_live_unix_now(void);

int lg_live_create(const lg_live_config_t *cfg, lg_live_t **out);
/* Commits what is open, stops the timers; frees once libuv has closed them. */
void lg_live_close(lg_live_t *l);

lg_ns_t lg_live_now(const lg_live_t *l);
/* A broker event (ack, error, update, tick, positions, connection) or a control. */
int lg_live_event(lg_live_t *l, const lg_event_t *ev);
/* A new group; *group = its id (0 when refused: the status says why). The batch is
 * committed before it returns: the group's first entry orders have been sent. */
int lg_live_submit(lg_live_t *l, const lg_group_spec_t *spec, uint32_t *group);
/* An intent, the same way (the risk engine sizes it). */
int lg_live_intent(lg_live_t *l, const lg_intent_t *it, uint32_t *group);

/* After a restart, before anything else is stepped: reconciles the engine (rebuilt by
 * lg_recover_replay) with the broker's book (recover.h), every step journaled, in one
 * commit; the engine's next wake-up armed. LG_OK or LG_EMISMATCH (trading HALTED) as
 * lg_recover_reconcile returns. */
int lg_live_reconcile(lg_live_t *l, const lg_book_t *book, lg_recovery_t *rep);

typedef struct lg_live_stats {
    uint64_t steps, commits, sent, send_refused, timers;
    int32_t last_status;
} lg_live_stats_t;
void lg_live_stats(const lg_live_t *l, lg_live_stats_t *s);
lg_runner_t *lg_live_runner(lg_live_t *l);

#endif
