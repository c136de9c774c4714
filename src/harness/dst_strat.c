/*
 * dst_strat.c — the example strategies inside the deterministic simulation: the same
 * host and plug-ins the daemon runs (strategy.h), fed the simulated ticks and the
 * records of every engine step through the harness's observer; their intents become
 * the harness's intent submissions (so every invariant, liveness and the replay check
 * cover them), their exits its exit controls. Random parameters per seed: one-second
 * bars, condors every few seconds, either underlying.
 *
 * The strategies stop asking at STOP_AT_S of simulated time so that the world can
 * settle; an intent after that is refused to them like any other. In crashing worlds
 * they live on across the engine's restarts, as a client of the control API does: their
 * groups keep their ids (the journal's), an intent lost with a crash is offered again at
 * the restart, and what the recovery itself changes reaches them with the next records.
 */
#include "harness_int.h"

#include "legato/strategies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOP_AT_S 300
#define PENDING_MAX 64
#define OWNED_MAX 256
#define CHAIN_STRIKES 10 /* subscribed either side of the money */

typedef struct pending {
    lg_strat_action_t a;
    int sub;
} pending_t;

struct lg_dst_strat {
    lg_harness_t *h;
    lg_strat_host_t *host;
    lg_ema_t ema;
    lg_condor_t condor;
    lg_ns_t unix0; /* Unix time of virtual 0 */
    pending_t pend[PENDING_MAX];
    uint32_t n_pend;
    struct {
        uint32_t group;
        int sub;
    } owned[OWNED_MAX];
    uint32_t n_owned;
    lg_dst_strat_stats_t st;
};

static double draw(lg_rng_t *r, double lo, double hi) { return lo + (hi - lo) * lg_rng_uniform(r); }

static bool same_legs(const lg_intent_t *a, const lg_intent_t *b) {
    return a->n_legs == b->n_legs && a->confidence == b->confidence &&
           memcmp(a->legs, b->legs, a->n_legs * sizeof a->legs[0]) == 0;
}

/* The reason of a refusal: the step's first warning or worse. */
static const char *why(const lg_out_t *out) {
    for (uint32_t i = 0; i < out->n_alerts; i++)
        if (out->alerts[i].level >= LG_ALERT_WARN) return out->alerts[i].text;
    return NULL;
}

/* The intent this step stepped: bound to its strategy with the group it became. */
static void bind_intent(lg_dst_strat_t *s, const lg_event_t *ev, const lg_out_t *out, lg_ns_t now) {
    for (uint32_t i = 0; i < s->n_pend; i++) {
        if (!same_legs(&s->pend[i].a.intent, &ev->u.intent)) continue;
        pending_t p = s->pend[i];
        memmove(&s->pend[i], &s->pend[i + 1], (s->n_pend - i - 1) * sizeof p);
        s->n_pend--;
        lg_gstate_t state = LG_GS_REJECTED;
        uint32_t g = out->new_group;
        if (g != 0 && lg_engine_group_state(lg_harness_engine(s->h), g, &state) != LG_OK) g = 0;
        if (g != 0 && s->n_owned < OWNED_MAX) {
            s->owned[s->n_owned].group = g;
            s->owned[s->n_owned++].sub = p.sub;
        }
        s->st.groups += g != 0;
        s->st.refused += g == 0;
        lg_strat_host_bound(s->host, now, &p.a, g, (int32_t)state, out->status, why(out));
        return;
    }
}

static int sub_of(const lg_dst_strat_t *s, uint32_t group) {
    for (uint32_t i = 0; i < s->n_owned; i++)
        if (s->owned[i].group == group) return s->owned[i].sub;
    return -1;
}

static void act(lg_dst_strat_t *s, const lg_strat_action_t *a, lg_ns_t at, lg_ns_t now) {
    if (a->kind == LG_SA_NOTE) {
        if (s->h->cfg.verbose) fprintf(stderr, "strategy %s: %s\n", lg_strat_host_name(s->host, a->strategy), a->text);
        return;
    }
    if (a->kind == LG_SA_EXIT) {
        int sub = sub_of(s, a->group);
        if (sub < 0) return;
        lg_harness_control_at(s->h, at, LG_CTL_EXIT_GROUP, sub);
        s->st.exits++;
        return;
    }
    if (at >= (lg_ns_t)STOP_AT_S * LG_NS_PER_S || s->n_pend == PENDING_MAX ||
        s->h->n_subs + 8 > LG_H_MAX_SUBS || s->h->n_script + 64 > LG_H_MAX_SCRIPT) {
        lg_strat_host_bound(s->host, now, a, 0, 0, LG_ESTATE, "the simulation has stopped taking intents");
        s->st.refused++;
        return;
    }
    s->st.intents++;
    s->pend[s->n_pend].a = *a;
    s->pend[s->n_pend++].sub = lg_harness_intent_at(s->h, at, &a->intent);
}

static void observe(lg_harness_t *h, const lg_event_t *ev, const lg_out_t *out, void *ctx) {
    lg_dst_strat_t *s = ctx;
    lg_ns_t at = lg_harness_now(h), now = at + s->unix0;
    if (ev->kind == LG_EV_INTENT) bind_intent(s, ev, out, now);
    for (uint32_t i = 0; i < out->n_recs; i++) lg_strat_host_record(s->host, now, &out->recs[i]);
    if (ev->kind == LG_EV_TICK) {
        lg_strat_tick_t t = {.token = ev->u.tick.token, .ltp = ev->u.tick.ltp,
                             .bid = ev->u.tick.bid, .ask = ev->u.tick.ask};
        lg_strat_host_tick(s->host, now, &t);
    }
    if (lg_strat_host_wake(s->host) <= now) lg_strat_host_timer(s->host, now);
    lg_strat_action_t a[LG_STRAT_ACTIONS_MAX];
    for (int round = 0; round < 4; round++) {
        uint32_t n = lg_strat_host_take(s->host, a, LG_STRAT_ACTIONS_MAX);
        for (uint32_t i = 0; i < n; i++) act(s, &a[i], at, now);
        if (n == 0) break;
    }
}

/* Ticks for the future and the options around the money of the nearest expiries. */
static void subscribe_chain(lg_harness_t *h, const lg_chain_t *m, const char *und, int32_t today) {
    uint32_t fut = lg_chain_future(m, und, today);
    lg_paise_t bid = 0, ask = 0, ltp = 0;
    if (fut == 0 || lg_sim_quote(lg_harness_sim(h), fut, &bid, &ask, &ltp) != LG_OK) return;
    int32_t expiry = lg_chain_expiry(m, und, today, 0);
    for (int k = -CHAIN_STRIKES; k <= CHAIN_STRIKES; k++) {
        uint32_t c = lg_chain_option(m, und, expiry, LG_KIND_CE, ltp, k);
        uint32_t p = lg_chain_option(m, und, expiry, LG_KIND_PE, ltp, k);
        if (c != 0) lg_harness_subscribe(h, c);
        if (p != 0) lg_harness_subscribe(h, p);
    }
}

int lg_dst_strat_create(lg_harness_t *h, lg_rng_t *r, lg_dst_strat_t **out) {
    *out = NULL;
    lg_dst_strat_t *s = calloc(1, sizeof *s);
    if (s == NULL) return LG_ENOMEM;
    s->h = h;
    s->unix0 = lg_harness_engine_config(h)->clock_offset_ns;
    int rc = lg_strat_host_create(lg_harness_master(h), &s->host);
    const char *und = lg_rng_chance(r, 0.7) ? "NIFTY" : "BANKNIFTY";
    char err[256];
    lg_strategy_t st;
    lg_ema_params_t e;
    lg_ema_params_default(&e);
    lg_strlcpy(e.underlying, und, sizeof e.underlying);
    e.bar_s = 1 + (uint32_t)lg_rng_below(r, 10);
    e.fast = 2 + (uint32_t)lg_rng_below(r, 4);
    e.slow = e.fast + 1 + (uint32_t)lg_rng_below(r, 8);
    e.width = 1 + (uint32_t)lg_rng_below(r, 4);
    e.confidence = draw(r, 0.1, 1.0);
    lg_condor_params_t c;
    lg_condor_params_default(&c);
    lg_strlcpy(c.underlying, und, sizeof c.underlying);
    c.offset = 1 + (uint32_t)lg_rng_below(r, 4);
    c.wing = 1 + (uint32_t)lg_rng_below(r, 3);
    c.every_s = 2 + (uint32_t)lg_rng_below(r, 30);
    c.hold_s = lg_rng_chance(r, 0.2) ? 0 : (uint32_t)lg_rng_below(r, 60);
    c.confidence = draw(r, 0.1, 1.0);
    lg_ns_t now = lg_harness_now(h) + s->unix0;
    if (rc == LG_OK) rc = lg_ema_init(&s->ema, &e, &st, err, sizeof err);
    if (rc == LG_OK) rc = lg_strat_host_add(s->host, &st, now, err, sizeof err);
    if (rc == LG_OK) rc = lg_condor_init(&s->condor, &c, &st, err, sizeof err);
    if (rc == LG_OK) rc = lg_strat_host_add(s->host, &st, now, err, sizeof err);
    if (rc != LG_OK) {
        lg_h_fail(h, "strategies: %s", err);
        lg_dst_strat_destroy(s);
        return rc;
    }
    /* the IST date of virtual 0 (the sim's clock starts at midnight UTC) */
    int32_t today = (int32_t)((s->unix0 + 19800LL * LG_NS_PER_S) / (86400LL * LG_NS_PER_S));
    subscribe_chain(h, lg_strat_host_chain(s->host), und, today);
    lg_harness_observe(h, observe, s);
    *out = s;
    return LG_OK;
}

void lg_dst_strat_stats(const lg_dst_strat_t *s, lg_dst_strat_stats_t *st) {
    *st = s != NULL ? s->st : (lg_dst_strat_stats_t){0};
}

void lg_dst_strat_destroy(lg_dst_strat_t *s) {
    if (s == NULL) return;
    lg_harness_observe(s->h, NULL, NULL);
    lg_strat_host_destroy(s->host);
    free(s);
}
