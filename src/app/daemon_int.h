/*
 * daemon_int.h — inside `legato run`: the files the daemon keeps (daemon_files.c) and
 * its log (daemon.c).
 */
#ifndef LEGATO_DAEMON_INT_H
#define LEGATO_DAEMON_INT_H

#include "legato/daemon.h"
#include "legato/httpd.h"
#include "legato/live.h"
#include "legato/recover.h"
#include "legato/strategies.h"

/* The data directory and its parents, mode 0700 when made; LG_EIO naming the path. */
int lg_daemon_dir(const char *path, char *err, size_t cap);
/* The first legato client tag in text (a word of LG_TAG_LEN characters that decodes)
 * into tag; its group, or 0 (tag "") when there is none. */
uint32_t lg_daemon_find_tag(const char *text, char *tag, size_t cap);

/* daemon_watch.c */
#define LG_DAEMON_SUBSCRIBE_MAX 3000u /* Kite: instruments on one ticker connection */
/* The instruments the daemon subscribes to (and takes circuit bands for), into tokens
 * (room for m->n): all of them when they are at most max, else the futures first, then
 * the options by nearest expiry, the master's order within one. Returns how many. */
uint32_t lg_daemon_watchlist(const lg_instruments_t *m, uint32_t max, uint32_t *tokens);
/* A paper session's earlier journal (and its -wal, -shm) renamed to <path>.<unix s>. */
int lg_daemon_journal_aside(const char *path, char *err, size_t cap);
/* One JSON line on stderr: {"ts": unix ms, "level", "msg"[, "group"][, "order"]}: the
 * order is the first legato client tag the message names (its group too, when none is
 * given); below the configured level only counted. d may be NULL (before the daemon
 * exists). */
void lg_daemon_log(lg_daemon_t *d, int level, uint32_t group, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* An API call's or a strategy's step, with the text of the alert that refused it:
 * returns rc; err gets that text (or lg_strerror(rc)) when rc is not LG_OK. Call as
 * lg_daemon_capture(d, <the step>, err, cap): the capture starts before the step. */
#define lg_daemon_capture(d, step, err, cap) (lg_daemon_capture_begin(d), lg_daemon_capture_end(d, (step), err, cap))
void lg_daemon_capture_begin(lg_daemon_t *d);
int lg_daemon_capture_end(lg_daemon_t *d, int rc, char *err, size_t cap);

/* Live mode's start-up questions to the broker (daemon_live.c), blocking. The master:
 * GET /instruments/NFO with [broker] freeze_file; m initialised on success. */
int lg_daemon_fetch_master(const lg_daemon_config_t *cfg, lg_instruments_t *m, char *err, size_t cap);
typedef struct lg_daemon_book {
    lg_book_t book; /* points into the two arrays */
    lg_adopt_t *orders;
    lg_position_row_t *positions;
} lg_daemon_book_t;
/* GET /orders and GET /portfolio/positions, decoded. */
int lg_daemon_fetch_book(const lg_daemon_config_t *cfg, lg_daemon_book_t *b, char *err, size_t cap);
void lg_daemon_book_free(lg_daemon_book_t *b);

/* The event stream of the control API (daemon_events.c). */
#define LG_DEVENTS_MAX 16
typedef struct lg_devents lg_devents_t;
typedef struct lg_api lg_api_t;
lg_devents_t *lg_devents_create(const lg_api_t *api, const lg_engine_t *eng);
void lg_devents_free(lg_devents_t *e);
/* httpd's on_ws_open: 0 (a listener now) or the refusal's status with its body. */
int lg_devents_open(lg_devents_t *e, lg_http_conn_t *c, const lg_http_req_t *r, const char **body,
                    size_t *len, const char **ctype);
/* httpd's on_ws_ready: the greeting. */
void lg_devents_ready(lg_devents_t *e, lg_http_conn_t *c);
void lg_devents_close(lg_devents_t *e, lg_http_conn_t *c);
void lg_devents_records(lg_devents_t *e, const lg_record_t *recs, uint32_t n);
void lg_devents_alert(lg_devents_t *e, int level, uint32_t group, const char *text);
void lg_devents_counts(const lg_devents_t *e, uint32_t *listeners, uint64_t *sent, uint64_t *dropped);

/* The example strategies in the daemon (daemon_strat.c). */
typedef struct lg_dstrat lg_dstrat_t;
int lg_dstrat_start(lg_daemon_t *d, uv_loop_t *loop, const lg_daemon_config_t *cfg,
                    const lg_instruments_t *master, lg_live_t *live, const lg_engine_t *eng,
                    lg_dstrat_t **out, char *err, size_t cap);
/* A broker event after the live shell has stepped it (ticks reach the strategies). */
void lg_dstrat_tick(lg_dstrat_t *s, const lg_event_t *ev);
/* The records of a live step (inside the step: actions wait). */
void lg_dstrat_records(lg_dstrat_t *s, const lg_record_t *recs, uint32_t n);
void lg_dstrat_stats(const lg_dstrat_t *s, lg_strat_host_stats_t *st);
/* Closes its handles; freed once libuv has closed them. */
void lg_dstrat_stop(lg_dstrat_t *s);

#endif
