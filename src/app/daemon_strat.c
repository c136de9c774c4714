/*
 * daemon_strat.c — the strategies inside `legato run`: the host of strategy.h fed with
 * the ticks the broker port delivers and the records of every engine step, its wake-ups
 * on a uv timer, and its actions handed to the live shell between steps — an intent
 * through lg_live_intent (journaled, sized by the risk engine), an exit as a control
 * event, a note as a log line naming the strategy.
 *
 * Actions are never taken inside a live step (the records arrive there): they wait for
 * the end of the loop turn (a check handle), or for the end of the tick that made them.
 */
#include "daemon_int.h"

#include <stdlib.h>
#include <string.h>

#define DRAIN_ROUNDS 8 /* actions an action's outcome makes, taken again in the same turn */

struct lg_dstrat {
    lg_daemon_t *d;
    lg_live_t *live;
    const lg_engine_t *eng;
    lg_strat_host_t *host;
    lg_ema_t ema;
    lg_condor_t condor;
    uv_timer_t timer;
    uv_check_t check;
    int open_handles;
    bool stopping;
};

static void rearm(lg_dstrat_t *s);

static void act(lg_dstrat_t *s, const lg_strat_action_t *a) {
    const char *name = lg_strat_host_name(s->host, a->strategy);
    if (a->kind == LG_SA_NOTE) {
        lg_daemon_log(s->d, a->level, 0, "strategy %s: %s", name, a->text);
        return;
    }
    if (a->kind == LG_SA_EXIT) {
        lg_event_t ev = {.kind = LG_EV_CONTROL};
        ev.u.control.op = LG_CTL_EXIT_GROUP;
        ev.u.control.group = a->group;
        int rc = lg_live_event(s->live, &ev);
        lg_daemon_log(s->d, rc == LG_OK ? LG_ALERT_INFO : LG_ALERT_WARN, a->group,
                      "strategy %s: exit group %u%s%s", name, a->group, rc == LG_OK ? "" : ": ",
                      rc == LG_OK ? "" : lg_strerror(rc));
        return;
    }
    char why[LG_ALERT_TEXT_MAX] = "";
    uint32_t group = 0;
    int rc = lg_daemon_capture(s->d, lg_live_intent(s->live, &a->intent, &group), why, sizeof why);
    lg_gstate_t state = LG_GS_REJECTED;
    if (group != 0 && lg_engine_group_state(s->eng, group, &state) != LG_OK) state = LG_GS_REJECTED;
    if (group != 0)
        lg_daemon_log(s->d, LG_ALERT_INFO, group, "strategy %s: intent %u is group %u (%s)", name,
                      a->ref, group, lg_gstate_name(state));
    else
        lg_daemon_log(s->d, LG_ALERT_INFO, 0, "strategy %s: intent %u refused: %s", name, a->ref, why);
    lg_strat_host_bound(s->host, lg_live_unix_now(), a, group, (int32_t)state, rc, why);
}

static void drain(lg_dstrat_t *s) {
    if (s->stopping) return;
    lg_strat_action_t a[LG_STRAT_ACTIONS_MAX];
    for (int round = 0; round < DRAIN_ROUNDS; round++) {
        uint32_t n = lg_strat_host_take(s->host, a, LG_STRAT_ACTIONS_MAX);
        if (n == 0) break;
        for (uint32_t i = 0; i < n; i++) act(s, &a[i]);
    }
    rearm(s);
}

static void on_timer(uv_timer_t *t) {
    lg_dstrat_t *s = t->data;
    lg_strat_host_timer(s->host, lg_live_unix_now());
    drain(s);
}

static void on_check(uv_check_t *c) { drain(c->data); }

static void rearm(lg_dstrat_t *s) {
    lg_ns_t w = lg_strat_host_wake(s->host);
    if (w == INT64_MAX) {
        uv_timer_stop(&s->timer);
        return;
    }
    lg_ns_t now = lg_live_unix_now();
    uint64_t ms = w <= now ? 0 : (uint64_t)((w - now + LG_NS_PER_MS - 1) / LG_NS_PER_MS);
    uv_timer_start(&s->timer, on_timer, ms, 0);
}

static int add(lg_dstrat_t *s, const lg_strategy_t *st, char *err, size_t cap) {
    int rc = lg_strat_host_add(s->host, st, lg_live_unix_now(), err, cap);
    if (rc == LG_OK) lg_daemon_log(s->d, LG_ALERT_INFO, 0, "strategy %s: on", st->name);
    return rc;
}

int lg_dstrat_start(lg_daemon_t *d, uv_loop_t *loop, const lg_daemon_config_t *cfg,
                    const lg_instruments_t *master, lg_live_t *live, const lg_engine_t *eng,
                    lg_dstrat_t **out, char *err, size_t cap) {
    *out = NULL;
    lg_dstrat_t *s = calloc(1, sizeof *s);
    if (s == NULL) return LG_ENOMEM;
    s->d = d;
    s->live = live;
    s->eng = eng;
    int rc = lg_strat_host_create(master, &s->host);
    lg_strategy_t st;
    if (rc == LG_OK && cfg->ema_on && (rc = lg_ema_init(&s->ema, &cfg->ema, &st, err, cap)) == LG_OK)
        rc = add(s, &st, err, cap);
    if (rc == LG_OK && cfg->condor_on &&
        (rc = lg_condor_init(&s->condor, &cfg->condor, &st, err, cap)) == LG_OK)
        rc = add(s, &st, err, cap);
    if (rc != LG_OK) {
        lg_strat_host_destroy(s->host);
        free(s);
        return rc;
    }
    uv_timer_init(loop, &s->timer);
    uv_check_init(loop, &s->check);
    s->timer.data = s->check.data = s;
    s->open_handles = 2;
    uv_check_start(&s->check, on_check);
    uv_unref((uv_handle_t *)&s->check);
    drain(s); /* the notes of on_start, the first wake-ups */
    *out = s;
    return LG_OK;
}

void lg_dstrat_tick(lg_dstrat_t *s, const lg_event_t *ev) {
    if (s == NULL || s->stopping || ev->kind != LG_EV_TICK) return;
    lg_strat_tick_t t = {.token = ev->u.tick.token, .ltp = ev->u.tick.ltp, .bid = ev->u.tick.bid,
                         .ask = ev->u.tick.ask};
    lg_strat_host_tick(s->host, lg_live_unix_now(), &t);
    drain(s);
}

void lg_dstrat_records(lg_dstrat_t *s, const lg_record_t *recs, uint32_t n) {
    if (s == NULL || s->stopping) return;
    lg_ns_t now = lg_live_unix_now();
    for (uint32_t i = 0; i < n; i++) lg_strat_host_record(s->host, now, &recs[i]);
}

void lg_dstrat_stats(const lg_dstrat_t *s, lg_strat_host_stats_t *st) {
    if (s == NULL) {
        memset(st, 0, sizeof *st);
        return;
    }
    lg_strat_host_stats(s->host, st);
}

static void on_closed(uv_handle_t *h) {
    lg_dstrat_t *s = h->data;
    if (--s->open_handles > 0) return;
    lg_strat_host_destroy(s->host);
    free(s);
}

void lg_dstrat_stop(lg_dstrat_t *s) {
    if (s == NULL || s->stopping) return;
    s->stopping = true;
    uv_close((uv_handle_t *)&s->timer, on_closed);
    uv_close((uv_handle_t *)&s->check, on_closed);
}
