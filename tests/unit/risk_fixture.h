/*
 * risk_fixture.h — the engine with its risk engine on, driven by hand-made events, for
 * test_risk_engine.c and test_stop_engine.c: the small NIFTY master of test_master.h 30
 * days before expiry, fair option prices from Black-76, margin snapshots, submissions,
 * and an exchange stand-in that acks and fills every order at the last price.
 * Header-only (static), included after cmocka.h.
 */
#ifndef LEGATO_TEST_RISK_FIXTURE_H
#define LEGATO_TEST_RISK_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "test_master.h"

#include "legato/engine.h"
#include "legato/numeric.h"

#define FWD 2400000 /* NIFTY future at ₹24 000 */
#define IV 0.14
#define OFFSET ((lg_ns_t)(20650 - 30) * 86400 * LG_NS_PER_S) /* 30 days before expiry */

typedef struct fx {
    lg_instruments_t m;
    lg_engine_t *e;
    lg_out_t out;
    lg_ns_t now;
    lg_cmd_t pending[256]; /* orders sent and not yet answered by fill_all */
    uint32_t n_pending;
    uint32_t acks;
} fx_t;

static inline void cfg_default(lg_engine_config_t *c) {
    lg_engine_config_default(c);
    c->max_groups = 16;
    c->max_orders = 1024;
    c->clock_offset_ns = OFFSET;
}

static inline fx_t *fx_new_cfg(const lg_engine_config_t *c) {
    static fx_t f;
    memset(&f, 0, sizeof f);
    lg_test_master(&f.m);
    assert_int_equal(lg_engine_create(c, &f.m, &f.e), LG_OK);
    assert_int_equal(lg_out_init(&f.out, 256, 1024, 64), LG_OK);
    f.now = 1000;
    return &f;
}

static inline fx_t *fx_new(void) {
    lg_engine_config_t c;
    cfg_default(&c);
    return fx_new_cfg(&c);
}

static inline void fx_free(fx_t *f) {
    lg_engine_destroy(f->e);
    lg_out_free(&f->out);
    lg_instruments_free(&f->m);
}

static inline void keep_places(fx_t *f) {
    for (uint32_t i = 0; i < f->out.n_cmds; i++)
        if (f->out.cmds[i].kind == LG_CMD_PLACE && f->n_pending < LG_COUNT(f->pending))
            f->pending[f->n_pending++] = f->out.cmds[i];
}

static inline int step(fx_t *f, const lg_event_t *ev) {
    f->now += LG_NS_PER_MS;
    int rc = lg_engine_step(f->e, ev, f->now, &f->out);
    keep_places(f);
    return rc;
}

static inline bool alert_mentions(const lg_out_t *o, const char *needle) {
    for (uint32_t i = 0; i < o->n_alerts; i++)
        if (strstr(o->alerts[i].text, needle)) return true;
    return false;
}

static inline void say_alerts(const lg_out_t *o) {
    for (uint32_t i = 0; i < o->n_alerts; i++) fprintf(stderr, "  alert: %s\n", o->alerts[i].text);
}

static inline lg_paise_t on_tick(double rupees) {
    lg_paise_t p = (lg_paise_t)(rupees * 100.0 + 0.5);
    return p - p % 5 > 0 ? p - p % 5 : 5;
}

/* Black-76 price of an option of the master at a forward (paise). */
static inline lg_paise_t fair(fx_t *f, uint32_t token, lg_paise_t fwd) {
    const lg_instrument_t *in = lg_instruments_find(&f->m, token);
    double T = (20650.0 * 86400 + 36000 - (double)(f->now + OFFSET) / 1e9) / (365.0 * 86400);
    return on_tick(lg_b76_price(in->kind == LG_KIND_CE, (double)fwd / 100.0,
                                (double)in->strike / 100.0, T, 0.0, IV));
}

static inline void tick(fx_t *f, uint32_t token, lg_paise_t ltp) {
    lg_event_t ev = {.kind = LG_EV_TICK};
    ev.u.tick.token = token;
    ev.u.tick.ltp = ev.u.tick.bid = ev.u.tick.ask = ltp;
    assert_int_equal(step(f, &ev), LG_OK);
}

/* The future and every option at their fair prices. */
static inline void market(fx_t *f, lg_paise_t fwd) {
    tick(f, T_FUT, fwd);
    const uint32_t opts[] = {T_C24200, T_C24400, T_P23800, T_P23600};
    for (size_t i = 0; i < LG_COUNT(opts); i++) tick(f, opts[i], fair(f, opts[i], fwd));
}

static inline int margins(fx_t *f, lg_paise_t available) {
    lg_event_t ev = {.kind = LG_EV_MARGINS};
    ev.u.margins.available = available;
    return step(f, &ev);
}

static inline lg_group_spec_t call_spread(lg_qty_t qty, lg_policy_t pol) {
    lg_group_spec_t s = {.n_legs = 2, .policy = (int8_t)pol, .on_incomplete = -1};
    s.legs[0] = (lg_leg_spec_t){.token = T_C24200, .side = -1, .covered_by = -1, .qty = qty};
    s.legs[1] = (lg_leg_spec_t){.token = T_C24400, .side = 1, .covered_by = -1, .qty = qty};
    return s;
}

static inline uint32_t submit(fx_t *f, lg_group_spec_t s) {
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    ev.u.submit = s;
    step(f, &ev);
    return f->out.new_group;
}

static inline const lg_record_t *find_rec(const lg_out_t *o, lg_rec_kind_t k) {
    for (uint32_t i = 0; i < o->n_recs; i++)
        if (o->recs[i].kind == k) return &o->recs[i];
    return NULL;
}

/* Acks and fills the orders sent so far, oldest first, at their instrument's last
 * price: at most n of them. */
static inline void fill_n(fx_t *f, uint32_t n) {
    for (uint32_t round = 0; round < n && f->n_pending > 0; round++) {
        lg_cmd_t c = f->pending[0];
        memmove(&f->pending[0], &f->pending[1], (f->n_pending - 1) * sizeof c);
        f->n_pending--;
        lg_event_t ev = {.kind = LG_EV_ORDER_ACK};
        snprintf(ev.u.ack.tag, sizeof ev.u.ack.tag, "%s", c.tag);
        snprintf(ev.u.ack.broker_id, sizeof ev.u.ack.broker_id, "10000000000%08u", ++f->acks);
        assert_int_equal(step(f, &ev), LG_OK);
        lg_paise_t ltp = 0;
        double iv = 0;
        lg_engine_price(f->e, c.token, &ltp, &iv);
        ev = (lg_event_t){.kind = LG_EV_ORDER_UPDATE};
        snprintf(ev.u.update.tag, sizeof ev.u.update.tag, "%s", c.tag);
        snprintf(ev.u.update.broker_id, sizeof ev.u.update.broker_id, "10000000000%08u", f->acks);
        ev.u.update.status = LG_KS_COMPLETE;
        ev.u.update.quantity = ev.u.update.filled = c.qty;
        ev.u.update.avg_price = ltp;
        assert_int_equal(step(f, &ev), LG_OK);
    }
}

/* Every order, until the engine sends nothing more. */
static inline void fill_all(fx_t *f) { fill_n(f, 50); }

/* The engine's shock legs of the call spread, as admit.c builds them. */
static inline lg_shock_result_t spread_walk(fx_t *f, lg_qty_t qty, lg_policy_t pol, lg_paise_t avail) {
    const uint32_t tok[2] = {T_C24200, T_C24400};
    lg_shock_leg_t legs[2];
    for (int i = 0; i < 2; i++) {
        const lg_instrument_t *in = lg_instruments_find(&f->m, tok[i]);
        lg_paise_t ltp = 0, fut = 0;
        double iv = 0, fiv = 0;
        lg_engine_price(f->e, tok[i], &ltp, &iv);
        lg_engine_price(f->e, T_FUT, &fut, &fiv);
        legs[i] = (lg_shock_leg_t){.cover = (int8_t)(i == 0 ? 1 : -1), .lot = 65};
        legs[i].m = (lg_margin_leg_t){.kind = in->kind, .und = 0, .spot = (double)fut / 100.0,
                                      .strike = (double)in->strike / 100.0,
                                      .t_years = lg_years_to_expiry(in, f->now + OFFSET),
                                      .iv = iv, .qty = i == 0 ? -qty : qty, .price = ltp};
    }
    lg_shock_params_t p;
    lg_shock_params_default(&p);
    lg_shock_result_t r;
    assert_int_equal(lg_shock_walk(legs, 2, pol, 4, &p, avail, &r), LG_OK);
    return r;
}

/* An intent for one unit of the call spread (short 24 200, long 24 400), decided at the
 * market now. */
static inline lg_event_t spread_intent(fx_t *f, double confidence) {
    lg_event_t ev = {.kind = LG_EV_INTENT};
    lg_intent_t *it = &ev.u.intent;
    it->n_legs = 2;
    it->legs[0] = (lg_intent_leg_t){.token = T_C24200, .side = -1, .covered_by = -1, .ratio = 1};
    it->legs[1] = (lg_intent_leg_t){.token = T_C24400, .side = 1, .covered_by = -1, .ratio = 1};
    it->direction = 1;
    it->policy = -1;
    it->on_incomplete = -1;
    it->confidence = confidence;
    lg_paise_t a = 0, b = 0;
    double iv;
    lg_engine_price(f->e, T_C24200, &a, &iv);
    lg_engine_price(f->e, T_C24400, &b, &iv);
    it->decision_price = b - a; /* a credit: negative */
    return ev;
}

#endif
