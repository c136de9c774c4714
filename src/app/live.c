/*
 * live.c — the live shell of live.h: events into runner steps inside a per-turn batch,
 * the batch committed in the check phase, the engine's wake-up on a uv timer, commands
 * released by the runner to the broker port, refused sends fed back as events.
 */
#include "legato/live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FEEDBACK_MAX 256
#define STEPS_PER_TURN 4096

struct lg_live {
    lg_live_config_t cfg;
    lg_runner_t *runner;
    lg_out_t out;
    uv_timer_t wake;
    uv_check_t check;
    uv_idle_t idle;       /* keeps the loop turning while feedback waits */
    uint32_t open_handles;
    bool in_batch, closing;
    lg_ns_t last_now;
    lg_event_t feedback[FEEDBACK_MAX];
    uint32_t n_feedback;
    lg_live_stats_t st;
};

lg_ns_t lg_live_unix_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (lg_ns_t)ts.tv_sec * LG_NS_PER_S + ts.tv_nsec;
}

lg_ns_t lg_live_now(const lg_live_t *l) {
    lg_ns_t t = (lg_ns_t)(uv_hrtime() - l->cfg.t0_hrtime);
    return t > l->last_now ? t : l->last_now;
}

static void alerts(lg_live_t *l) {
    for (uint32_t i = 0; l->cfg.on_alert != NULL && i < l->out.n_alerts; i++)
        l->cfg.on_alert(l->cfg.ud, &l->out.alerts[i]);
    if (l->cfg.on_records != NULL && l->out.n_recs > 0)
        l->cfg.on_records(l->cfg.ud, l->out.recs, l->out.n_recs);
}

static void on_wake(uv_timer_t *t);
static void on_idle(uv_idle_t *i);

static void arm(lg_live_t *l) {
    if (l->closing) return;
    lg_ns_t w = l->out.wake_at;
    if (w == INT64_MAX) { /* the engine's next wake-up, after every step: none */
        uv_timer_stop(&l->wake);
        return;
    }
    lg_ns_t now = lg_live_now(l);
    uint64_t ms = w <= now ? 0 : (uint64_t)((w - now + LG_NS_PER_MS - 1) / LG_NS_PER_MS);
    uv_timer_start(&l->wake, on_wake, ms, 0);
}

static void feed_back(lg_live_t *l, const lg_cmd_t *cmd, int rc) {
    l->st.send_refused++;
    lg_alert_t a = {.level = LG_ALERT_ERROR, .code = rc};
    snprintf(a.text, sizeof a.text, "broker port refused %s %.20s: %s",
             cmd->kind == LG_CMD_PLACE ? "a place of" : "a request about", cmd->tag,
             lg_strerror(rc));
    if (l->cfg.on_alert != NULL) l->cfg.on_alert(l->cfg.ud, &a);
    bool basket = cmd->kind == LG_CMD_QUERY_BASKET;
    if ((cmd->kind != LG_CMD_PLACE && !basket) || l->n_feedback == FEEDBACK_MAX) return;
    lg_event_t *ev = &l->feedback[l->n_feedback++];
    memset(ev, 0, sizeof *ev);
    if (basket) { /* the waiting intent hears it now, not at its timeout */
        ev->kind = LG_EV_BASKET;
        ev->u.basket.group = cmd->group;
        ev->u.basket.asked = cmd->asked;
        snprintf(ev->u.basket.message, sizeof ev->u.basket.message, "not sent: %s", lg_strerror(rc));
        uv_idle_start(&l->idle, on_idle);
        return;
    }
    ev->kind = LG_EV_ORDER_ERROR;
    lg_strlcpy(ev->u.error.tag, cmd->tag, sizeof ev->u.error.tag);
    ev->u.error.definitive = true;
    snprintf(ev->u.error.message, sizeof ev->u.error.message, "not sent: %s", lg_strerror(rc));
    uv_idle_start(&l->idle, on_idle);
}

static void release(void *ctx, const lg_cmd_t *cmd, lg_ns_t now) {
    (void)now;
    lg_live_t *l = ctx;
    int rc = l->cfg.send(l->cfg.broker, cmd);
    if (rc == LG_OK) l->st.sent++;
    else feed_back(l, cmd, rc);
}

static int step(lg_live_t *l, const lg_event_t *ev) {
    if (!l->in_batch) {
        lg_runner_begin(l->runner);
        l->in_batch = true;
        /* A batch opened before the poll phase (a timer, a callback of the caller) must
         * not wait for the poll to return: the idle handle makes it return at once. */
        uv_idle_start(&l->idle, on_idle);
    }
    lg_ns_t now = lg_live_now(l);
    l->last_now = now;
    lg_out_reset(&l->out);
    int rc = lg_runner_step(l->runner, ev, now, &l->out);
    l->st.steps++;
    l->st.last_status = rc;
    alerts(l);
    arm(l);
    return rc;
}

static void commit(lg_live_t *l) {
    if (!l->in_batch) return;
    lg_out_reset(&l->out);
    lg_runner_commit(l->runner, &l->out);
    l->in_batch = false;
    l->st.commits++;
    alerts(l);
}

static void on_check(uv_check_t *c) {
    lg_live_t *l = c->data;
    for (uint32_t i = 0; i < STEPS_PER_TURN && l->n_feedback > 0; i++) {
        lg_event_t ev = l->feedback[0];
        memmove(l->feedback, l->feedback + 1, --l->n_feedback * sizeof ev);
        step(l, &ev);
    }
    if (l->n_feedback == 0) uv_idle_stop(&l->idle);
    commit(l);
}

static void on_wake(uv_timer_t *t) {
    lg_live_t *l = t->data;
    lg_event_t ev = {.kind = LG_EV_TIMER};
    l->st.timers++;
    step(l, &ev);
}

static void on_idle(uv_idle_t *i) {
    (void)i; /* only keeps the loop from blocking: the check phase does the work */
}

int lg_live_create(const lg_live_config_t *cfg, lg_live_t **out) {
    LG_ASSERT(cfg != NULL && cfg->loop != NULL && cfg->engine != NULL && cfg->store != NULL);
    LG_ASSERT(cfg->send != NULL && out != NULL);
    lg_live_t *l = calloc(1, sizeof *l);
    if (l == NULL) return LG_ENOSPACE;
    l->cfg = *cfg;
    if (l->cfg.t0_hrtime == 0) l->cfg.t0_hrtime = uv_hrtime();
    lg_runner_config_t rc;
    lg_runner_config_default(&rc);
    int r = lg_out_init(&l->out, 4096, 16384, 256);
    if (r == LG_OK) r = lg_runner_create(&rc, cfg->engine, cfg->store, release, l, &l->runner);
    if (r != LG_OK) {
        lg_out_free(&l->out);
        free(l);
        return r;
    }
    uv_timer_init(cfg->loop, &l->wake);
    uv_check_init(cfg->loop, &l->check);
    uv_idle_init(cfg->loop, &l->idle);
    l->wake.data = l->check.data = l->idle.data = l;
    l->open_handles = 3;
    uv_check_start(&l->check, on_check);
    uv_unref((uv_handle_t *)&l->check); /* the check alone does not keep the loop alive */
    *out = l;
    return LG_OK;
}

static void on_closed(uv_handle_t *h) {
    lg_live_t *l = h->data;
    if (--l->open_handles > 0) return;
    lg_runner_destroy(l->runner);
    lg_out_free(&l->out);
    free(l);
}

void lg_live_close(lg_live_t *l) {
    LG_ASSERT(l != NULL && !l->closing);
    commit(l);
    l->closing = true;
    uv_close((uv_handle_t *)&l->wake, on_closed);
    uv_close((uv_handle_t *)&l->check, on_closed);
    uv_close((uv_handle_t *)&l->idle, on_closed);
}

int lg_live_event(lg_live_t *l, const lg_event_t *ev) {
    LG_ASSERT(l != NULL && ev != NULL && !l->closing);
    return step(l, ev);
}

/* A submit or an intent: the new group, and its entries sent now, not at the check. */
static int new_group(lg_live_t *l, const lg_event_t *ev, uint32_t *group) {
    int rc = step(l, ev);
    *group = l->out.new_group;
    commit(l);
    return rc;
}

int lg_live_submit(lg_live_t *l, const lg_group_spec_t *spec, uint32_t *group) {
    LG_ASSERT(l != NULL && spec != NULL && group != NULL && !l->closing);
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    ev.u.submit = *spec;
    return new_group(l, &ev, group);
}

int lg_live_intent(lg_live_t *l, const lg_intent_t *it, uint32_t *group) {
    LG_ASSERT(l != NULL && it != NULL && group != NULL && !l->closing);
    lg_event_t ev = {.kind = LG_EV_INTENT};
    ev.u.intent = *it;
    return new_group(l, &ev, group);
}

int lg_live_reconcile(lg_live_t *l, const lg_book_t *book, lg_recovery_t *rep) {
    LG_ASSERT(l != NULL && book != NULL && rep != NULL && !l->in_batch && !l->closing);
    lg_ns_t now = lg_live_now(l);
    l->last_now = now;
    lg_out_reset(&l->out);
    int rc = lg_recover_reconcile(l->runner, l->cfg.engine, book, now, &l->out, rep);
    l->st.last_status = rc;
    alerts(l);
    arm(l);
    return rc;
}

void lg_live_stats(const lg_live_t *l, lg_live_stats_t *s) {
    *s = l->st;
}

lg_runner_t *lg_live_runner(lg_live_t *l) {
    return l->runner;
}
