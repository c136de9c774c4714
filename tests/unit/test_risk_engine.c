/*
 * test_risk_engine.c — the risk engine inside the engine step (risk_eng.c, admit.c),
 * driven by hand-made events: nothing is admitted without a margin snapshot and a
 * price, forward and volatility for every leg (named when missing); the call-spread
 * story (refused under the naive plan for the state "short filled, protection
 * pending", admitted under the ratchet, a plain check of the finished margin passing
 * both); intents sized by the bound that decides, the decision journaled; margin
 * reserved by a group until a snapshot after its entry; the kill switch on the loss
 * limit, the margin floor and a lost session; REDUCING on a greeks breach; bad input
 * refused by name with nothing changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "risk_fixture.h"

/* ---- admission ------------------------------------------------------------------------- */

static void test_nothing_without_margins_and_prices(void **st) {
    (void)st;
    fx_t *f = fx_new();
    assert_int_equal(submit(f, call_spread(650, LG_POLICY_RATCHET)), 0);
    assert_int_equal(f->out.status, LG_ENODATA);
    assert_true(alert_mentions(&f->out, "no margin snapshot"));
    assert_int_equal(f->out.n_cmds, 0);
    assert_int_equal(margins(f, 50000000LL * 100), LG_OK);
    assert_int_equal(submit(f, call_spread(650, LG_POLICY_RATCHET)), 0);
    assert_true(alert_mentions(&f->out, "no price for NIFTY26JUL24200CE"));
    tick(f, T_C24200, 20000);
    tick(f, T_C24400, 10000);
    assert_int_equal(submit(f, call_spread(650, LG_POLICY_RATCHET)), 0);
    assert_true(alert_mentions(&f->out, "no forward (future price) for NIFTY"));
    tick(f, T_FUT, FWD);
    tick(f, T_C24200, 2500000); /* a call above its forward: no volatility explains it */
    assert_int_equal(submit(f, call_spread(650, LG_POLICY_RATCHET)), 0);
    assert_true(alert_mentions(&f->out, "no implied volatility for NIFTY26JUL24200CE"));
    market(f, FWD);
    uint32_t g = submit(f, call_spread(650, LG_POLICY_RATCHET));
    if (g == 0) say_alerts(&f->out);
    assert_true(g != 0);
    assert_int_equal(f->out.n_cmds, 1);
    lg_engine_stats_t s;
    lg_engine_stats(f->e, &s);
    assert_int_equal(s.risk_refused, 4);
    fx_free(f);
}

/* The seed's story, with the model's own arithmetic. */
static void test_call_spread_story(void **st) {
    (void)st;
    fx_t *f = fx_new();
    market(f, FWD);
    lg_shock_result_t rat = spread_walk(f, 650, LG_POLICY_RATCHET, 0);
    lg_shock_result_t nai = spread_walk(f, 650, LG_POLICY_NAIVE, 0);
    lg_paise_t avail = rat.worst.need + rat.worst.need / 10;
    assert_true(nai.worst.need > avail);
    assert_true(nai.finished.margin <= avail); /* a plain check of the finished margin passes */
    assert_int_equal(margins(f, avail), LG_OK);
    assert_int_equal(submit(f, call_spread(650, LG_POLICY_NAIVE)), 0);
    assert_int_equal(f->out.status, LG_EMARGIN);
    assert_true(alert_mentions(&f->out, "leg 0 short NIFTY26JUL24200CE 650/650, leg 1 long "
                                        "NIFTY26JUL24400CE 0/650"));
    assert_int_equal(f->out.n_cmds, 0);
    uint32_t g = submit(f, call_spread(650, LG_POLICY_RATCHET));
    if (g == 0) say_alerts(&f->out);
    assert_true(g != 0);
    const lg_record_t *r = find_rec(&f->out, LG_REC_SIZING);
    assert_non_null(r);
    assert_int_equal(r->a, 0); /* explicit quantities: not sized */
    assert_int_equal(r->b, LG_BOUND_NONE);
    assert_int_equal(r->c, rat.worst.need);
    lg_risk_view_t v;
    lg_engine_risk(f->e, &v);
    assert_int_equal(v.reserved, rat.worst.need);
    fx_free(f);
}

/* A group reserves its worst state until a snapshot taken after its entry ended. */
static void test_reservation(void **st) {
    (void)st;
    fx_t *f = fx_new();
    market(f, FWD);
    lg_shock_result_t one = spread_walk(f, 650, LG_POLICY_RATCHET, 0);
    assert_int_equal(margins(f, one.worst.need + one.worst.need / 2), LG_OK);
    uint32_t g1 = submit(f, call_spread(650, LG_POLICY_RATCHET));
    assert_true(g1 != 0);
    /* the same again does not fit beside it */
    lg_group_spec_t s2 = call_spread(650, LG_POLICY_RATCHET);
    s2.legs[0].token = T_P23800, s2.legs[1].token = T_P23600;
    assert_int_equal(submit(f, s2), 0);
    assert_int_equal(f->out.status, LG_EMARGIN);
    fill_all(f);
    lg_gstate_t gs;
    assert_int_equal(lg_engine_group_state(f->e, g1, &gs), LG_OK);
    assert_int_equal(gs, LG_GS_FILLED);
    /* leaving entry asked for a snapshot; the answer releases the reservation */
    lg_risk_view_t v;
    lg_engine_risk(f->e, &v);
    assert_true(v.reserved > 0);
    assert_int_equal(margins(f, one.worst.need + one.worst.need / 2), LG_OK);
    lg_engine_risk(f->e, &v);
    assert_int_equal(v.reserved, 0);
    assert_true(submit(f, s2) != 0);
    fx_free(f);
}

static bool sent_kind(const lg_out_t *o, lg_cmd_kind_t k) {
    for (uint32_t i = 0; i < o->n_cmds; i++)
        if (o->cmds[i].kind == k) return true;
    return false;
}

/* A margin query that is never answered is asked again (the reservation must not stay
 * for ever), and a reservation leaves with its group's slot. */
static void test_reservation_unanswered(void **st) {
    (void)st;
    lg_engine_config_t c;
    cfg_default(&c);
    c.max_groups = 2; /* slots come back quickly */
    c.finished_retain_ns = 0;
    fx_t *f = fx_new_cfg(&c);
    market(f, FWD);
    assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
    uint32_t g1 = submit(f, call_spread(650, LG_POLICY_RATCHET));
    assert_true(g1 != 0);
    fill_all(f); /* leaving entry: QUERY_MARGINS, never answered here */
    lg_risk_view_t v;
    lg_engine_risk(f->e, &v);
    lg_paise_t held = v.reserved;
    assert_true(held > 0);
    lg_event_t tm = {.kind = LG_EV_TIMER};
    assert_int_equal(step(f, &tm), LG_OK);
    assert_false(sent_kind(&f->out, LG_CMD_QUERY_MARGINS)); /* still waiting */
    assert_true(f->out.wake_at <= f->now + c.order_silence_ns);
    f->now += c.order_silence_ns;
    assert_int_equal(step(f, &tm), LG_OK);
    assert_true(sent_kind(&f->out, LG_CMD_QUERY_MARGINS)); /* asked again */
    /* the group closes and its slot goes to new groups: its reservation goes too */
    lg_event_t ex = {.kind = LG_EV_CONTROL};
    ex.u.control.op = LG_CTL_EXIT_GROUP;
    ex.u.control.group = g1;
    assert_int_equal(step(f, &ex), LG_OK);
    fill_all(f);
    lg_gstate_t gs;
    assert_int_equal(lg_engine_group_state(f->e, g1, &gs), LG_OK);
    assert_int_equal(gs, LG_GS_CLOSED);
    for (int k = 0; k < 3; k++) {
        lg_group_spec_t s2 = call_spread(65, LG_POLICY_RATCHET);
        s2.legs[0].token = T_P23800, s2.legs[1].token = T_P23600;
        s2.legs[0].side = -1, s2.legs[1].side = 1;
        (void)submit(f, s2);
    }
    assert_int_not_equal(lg_engine_group_state(f->e, g1, &gs), LG_OK); /* slot reused */
    lg_engine_risk(f->e, &v);
    assert_true(v.reserved < held);
    fx_free(f);
}

/* ---- intents ----------------------------------------------------------------------------- */

static void test_intent_sized_by_margin(void **st) {
    (void)st;
    fx_t *f = fx_new();
    market(f, FWD);
    lg_shock_result_t unit = spread_walk(f, 65, LG_POLICY_RATCHET, 0);
    /* room for 7.4 units at margin_use 0.9 */
    lg_paise_t avail = (lg_paise_t)((double)unit.worst.need * 7.4 / 0.9);
    assert_int_equal(margins(f, avail), LG_OK);
    lg_event_t ev = spread_intent(f, 1.0);
    assert_int_equal(step(f, &ev), LG_OK);
    uint32_t g = f->out.new_group;
    if (g == 0) say_alerts(&f->out);
    assert_true(g != 0);
    lg_sizing_view_t sz;
    assert_int_equal(lg_engine_sizing(f->e, g, &sz), LG_OK);
    assert_int_equal(sz.units, 7);
    assert_int_equal(sz.bound, LG_BOUND_MARGIN);
    const lg_record_t *r = find_rec(&f->out, LG_REC_SIZING);
    assert_non_null(r);
    assert_int_equal(r->a, 7);
    assert_int_equal(r->b, LG_BOUND_MARGIN);
    assert_true(alert_mentions(&f->out, "decided by margin"));
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->e, g, &v), LG_OK);
    assert_int_equal(v.legs[0].target, 7 * 65);
    assert_int_equal(v.legs[1].target, 7 * 65);
    /* half the confidence: half the size (floor) */
    lg_event_t half = spread_intent(f, 0.5);
    assert_int_equal(margins(f, 2 * avail), LG_OK);
    assert_int_equal(step(f, &half), LG_OK);
    assert_int_equal(lg_engine_sizing(f->e, f->out.new_group, &sz), LG_OK);
    assert_true(sz.units >= 3 && sz.units <= 4);
    fx_free(f);
}

static void test_intent_refusals(void **st) {
    (void)st;
    lg_engine_config_t c;
    cfg_default(&c);
    c.risk.greeks.max_delta = 60; /* a unit of the spread is several units of delta */
    fx_t *f = fx_new_cfg(&c);
    market(f, FWD);
    assert_int_equal(margins(f, 100000000LL * 100), LG_OK);
    lg_event_t ev = spread_intent(f, 1.0);
    assert_int_equal(step(f, &ev), LG_OK);
    lg_sizing_view_t sz;
    assert_int_equal(lg_engine_sizing(f->e, f->out.new_group, &sz), LG_OK);
    assert_int_equal(sz.bound, LG_BOUND_DELTA);
    assert_true(sz.units >= 1 && sz.units < c.risk.max_units);
    /* the price moved since the decision */
    ev = spread_intent(f, 1.0);
    ev.u.intent.decision_price -= 5000;
    assert_int_equal(step(f, &ev), LG_ELIMIT);
    assert_true(alert_mentions(&f->out, "price moved"));
    assert_int_equal(f->out.new_group, 0);
    /* bad intents, named */
    ev = spread_intent(f, 0.0);
    assert_int_equal(step(f, &ev), LG_ESPEC);
    assert_true(alert_mentions(&f->out, "confidence"));
    ev = spread_intent(f, 1.0);
    ev.u.intent.legs[1].ratio = 0;
    assert_int_equal(step(f, &ev), LG_ESPEC);
    assert_true(alert_mentions(&f->out, "ratio"));
    ev = spread_intent(f, 1.0);
    ev.u.intent.legs[1].token = 4242;
    assert_int_equal(step(f, &ev), LG_EINSTRUMENT);
    assert_true(alert_mentions(&f->out, "4242"));
    ev = spread_intent(f, 1.0);
    ev.u.intent.direction = 0;
    assert_int_equal(step(f, &ev), LG_ESPEC);
    fx_free(f);
}

/* ---- kill switch and REDUCING ------------------------------------------------------------ */

static const lg_record_t *trading_rec(const lg_out_t *o) { return find_rec(o, LG_REC_TRADING_STATE); }

static void test_loss_limit_kills(void **st) {
    (void)st;
    lg_engine_config_t c;
    cfg_default(&c);
    c.risk.daily_loss_limit = 20000 * 100LL; /* ₹20 000 */
    fx_t *f = fx_new_cfg(&c);
    market(f, FWD);
    assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
    assert_true(submit(f, call_spread(650, LG_POLICY_RATCHET)) != 0);
    fill_all(f);
    lg_risk_view_t v;
    lg_engine_risk(f->e, &v);
    assert_int_equal(v.unpriced, 0);
    assert_int_equal(v.day_pnl, 0); /* filled at the last prices */
    /* a rally hurts the short call spread: the 24200 call up ₹40, the 24400 call ₹10 */
    lg_paise_t a = 0, b = 0;
    double iv;
    lg_engine_price(f->e, T_C24200, &a, &iv);
    lg_engine_price(f->e, T_C24400, &b, &iv);
    tick(f, T_C24400, b + 1000);
    tick(f, T_C24200, a + 3000); /* −650 × 30 + 650 × 10 = −₹13 000: past half */
    assert_true(alert_mentions(&f->out, "past half the loss limit"));
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_ACTIVE);
    tick(f, T_C24200, a + 4500); /* −650 × 45 + 650 × 10 = −₹22 750 */
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_HALTED);
    const lg_record_t *r = trading_rec(&f->out);
    assert_non_null(r);
    assert_int_equal(r->c, LG_WHY_LOSS_LIMIT);
    /* the kill switch flattens: the live group closes, shorts bought back first */
    bool buy_back = false;
    for (uint32_t i = 0; i < f->out.n_cmds; i++)
        buy_back = buy_back || (f->out.cmds[i].token == T_C24200 && f->out.cmds[i].side == 1);
    assert_true(buy_back);
    fx_free(f);
}

static void control(fx_t *f, lg_control_op_t op) {
    lg_event_t ev = {.kind = LG_EV_CONTROL};
    ev.u.control.op = op;
    assert_int_equal(step(f, &ev), LG_OK);
}

/* After the loss limit's kill switch the day is spent: a resume is REDUCING (exits
 * only) and new groups are refused; the next IST date starts the day's P&L again from
 * the book's value and a resume is ACTIVE. */
static void test_loss_limit_day(void **st) {
    (void)st;
    lg_engine_config_t c;
    cfg_default(&c);
    c.risk.daily_loss_limit = 20000 * 100LL;
    fx_t *f = fx_new_cfg(&c);
    market(f, FWD);
    assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
    assert_true(submit(f, call_spread(650, LG_POLICY_RATCHET)) != 0);
    fill_all(f);
    lg_paise_t a = 0;
    double iv;
    lg_engine_price(f->e, T_C24200, &a, &iv);
    tick(f, T_C24200, a + 4500);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_HALTED);
    fill_all(f); /* flattened at a loss */
    lg_risk_view_t v;
    lg_engine_risk(f->e, &v);
    assert_true(v.day_pnl <= -c.risk.daily_loss_limit);
    control(f, LG_CTL_RESUME);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_REDUCING);
    assert_true(alert_mentions(&f->out, "at the daily loss limit"));
    assert_int_equal(submit(f, call_spread(650, LG_POLICY_RATCHET)), 0);
    assert_int_equal(f->out.status, LG_EHALTED);
    /* the next day */
    f->now += 86400 * LG_NS_PER_S;
    market(f, FWD);
    lg_engine_risk(f->e, &v);
    assert_int_equal(v.day_pnl, 0);
    control(f, LG_CTL_RESUME);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_ACTIVE);
    uint32_t g = submit(f, call_spread(650, LG_POLICY_RATCHET));
    if (g == 0) say_alerts(&f->out);
    assert_true(g != 0);
    fx_free(f);
}

/* A broker's rounded average can fall by more than the next fill is worth: the fill's
 * value is then negative, and the position's cash takes it as it comes. */
static void test_fill_value_falls(void **st) {
    (void)st;
    fx_t *f = fx_new();
    market(f, FWD);
    assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
    assert_true(submit(f, call_spread(650, LG_POLICY_RATCHET)) != 0);
    assert_true(f->n_pending > 0);
    lg_cmd_t c = f->pending[0]; /* the protection goes first */
    lg_event_t ev = {.kind = LG_EV_ORDER_ACK};
    snprintf(ev.u.ack.tag, sizeof ev.u.ack.tag, "%s", c.tag);
    snprintf(ev.u.ack.broker_id, sizeof ev.u.ack.broker_id, "1000000000000000001");
    assert_int_equal(step(f, &ev), LG_OK);
    ev = (lg_event_t){.kind = LG_EV_ORDER_UPDATE};
    snprintf(ev.u.update.tag, sizeof ev.u.update.tag, "%s", c.tag);
    snprintf(ev.u.update.broker_id, sizeof ev.u.update.broker_id, "1000000000000000001");
    ev.u.update.status = LG_KS_OPEN;
    ev.u.update.quantity = c.qty;
    ev.u.update.filled = c.qty / 2;
    ev.u.update.avg_price = 1000; /* ₹10 */
    assert_int_equal(step(f, &ev), LG_OK);
    ev.u.update.status = LG_KS_COMPLETE;
    ev.u.update.filled = c.qty;
    ev.u.update.avg_price = 495; /* the rest at ₹0, rounded down: value −₹32.50 */
    assert_int_equal(step(f, &ev), LG_OK);
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->e, 1, &v), LG_OK);
    assert_int_equal(v.cash, -495 * c.qty); /* paid what the broker's average says */
    fx_free(f);
}

static void test_margin_floor_and_session(void **st) {
    (void)st;
    lg_engine_config_t c;
    cfg_default(&c);
    c.risk.margin_floor = 100000 * 100LL;
    fx_t *f = fx_new_cfg(&c);
    assert_int_equal(margins(f, 200000 * 100LL), LG_OK);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_ACTIVE);
    assert_int_equal(margins(f, 99999 * 100LL), LG_OK);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_HALTED);
    assert_int_equal(trading_rec(&f->out)->c, LG_WHY_MARGIN);
    assert_true(alert_mentions(&f->out, "below the floor"));
    fx_free(f);

    f = fx_new();
    lg_event_t ev = {.kind = LG_EV_CONNECTION};
    ev.u.connection.session_lost = true;
    assert_int_equal(step(f, &ev), LG_OK);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_HALTED);
    assert_int_equal(trading_rec(&f->out)->c, LG_WHY_SESSION);
    ev.u.connection.up = true; /* up with its session lost: nonsense */
    assert_int_equal(step(f, &ev), LG_EINVAL);
    fx_free(f);
}

static void test_greeks_breach_reduces(void **st) {
    (void)st;
    lg_engine_config_t c;
    cfg_default(&c);
    c.risk.greeks.max_delta = 45; /* a long 24200 call: about 0.4 × 65 = 26 */
    fx_t *f = fx_new_cfg(&c);
    market(f, FWD);
    assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
    lg_group_spec_t s = {.n_legs = 1, .policy = -1, .on_incomplete = -1};
    s.legs[0] = (lg_leg_spec_t){.token = T_C24200, .side = 1, .covered_by = -1, .qty = 65};
    uint32_t g = submit(f, s);
    if (g == 0) say_alerts(&f->out);
    assert_true(g != 0);
    fill_all(f);
    f->now += 2 * LG_NS_PER_S;
    market(f, FWD); /* delta unchanged: within */
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_ACTIVE);
    f->now += 2 * LG_NS_PER_S;
    market(f, FWD + 120000); /* ₹1 200 up: the call's delta passes 0.8 */
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_REDUCING);
    /* REDUCING: no new risk */
    assert_int_equal(submit(f, s), 0);
    assert_int_equal(f->out.status, LG_EHALTED);
    fx_free(f);
}

/* The watch spreads its work: a cycle prices one instrument per tick, so a book of
 * four is checked at the fifth tick of its cycle, never at the first. */
static void test_greeks_watch_cycle(void **st) {
    (void)st;
    lg_engine_config_t c;
    cfg_default(&c);
    c.risk.greeks.max_delta = 100; /* two calls and two puts, long: about 10 at the money */
    fx_t *f = fx_new_cfg(&c);
    market(f, FWD);
    assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
    const uint32_t toks[4] = {T_C24200, T_C24400, T_P23800, T_P23600};
    for (int i = 0; i < 4; i++) {
        lg_group_spec_t s = {.n_legs = 1, .policy = -1, .on_incomplete = -1};
        s.legs[0] = (lg_leg_spec_t){.token = toks[i], .side = 1, .covered_by = -1, .qty = 65};
        assert_true(submit(f, s) != 0);
        fill_all(f);
    }
    f->now += 2 * LG_NS_PER_S;
    market(f, FWD);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_ACTIVE);
    /* ₹1 500 up: both calls deep in the money, the puts worth little: about 118 */
    f->now += 2 * LG_NS_PER_S;
    tick(f, T_FUT, FWD + 150000); /* the cycle starts: one instrument priced */
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_ACTIVE);
    uint32_t ticks = 1;
    for (int round = 0; round < 3 && lg_engine_trading_state(f->e) == LG_TS_ACTIVE; round++)
        for (int i = 0; i < 4 && lg_engine_trading_state(f->e) == LG_TS_ACTIVE; i++) {
            tick(f, toks[i], fair(f, toks[i], FWD + 150000));
            ticks++;
        }
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_REDUCING);
    assert_int_equal(ticks, 5); /* four priced, then the sum */
    assert_true(alert_mentions(&f->out, "portfolio greeks: NIFTY delta"));
    fx_free(f);
}

/* A ratchet entry buys protection first: with only that slice filled the portfolio's
 * vega is the long call's, far past a limit the finished spread (long and short vega
 * nearly cancelling) keeps well within. The watch sees the finished structure. A
 * second spread counts the first one's unfilled legs before it is admitted. */
static void test_greeks_entering_structure(void **st) {
    (void)st;
    lg_engine_config_t c;
    cfg_default(&c);
    c.risk.greeks.max_vega = 1500;
    fx_t *f = fx_new_cfg(&c);
    market(f, FWD);
    assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
    uint32_t g = submit(f, call_spread(650, LG_POLICY_RATCHET));
    if (g == 0) say_alerts(&f->out);
    assert_true(g != 0);
    fill_n(f, 1); /* the protection */
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->e, g, &v), LG_OK);
    assert_int_equal(v.legs[1].entry_filled, 650);
    assert_int_equal(v.legs[0].entry_filled, 0);
    f->now += 2 * LG_NS_PER_S;
    market(f, FWD);
    if (lg_engine_trading_state(f->e) != LG_TS_ACTIVE) say_alerts(&f->out);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_ACTIVE);
    /* a put spread (short vega too) beside it is counted against the first spread as it
     * will stand, finished: together past the limit; against the long call alone it
     * would seem to reduce the vega */
    lg_group_spec_t s = call_spread(650, LG_POLICY_RATCHET);
    s.legs[0].token = T_P23800, s.legs[1].token = T_P23600;
    assert_int_equal(submit(f, s), 0);
    if (!alert_mentions(&f->out, "vega")) say_alerts(&f->out);
    assert_true(alert_mentions(&f->out, "vega"));
    fill_all(f);
    assert_int_equal(lg_engine_group(f->e, g, &v), LG_OK);
    assert_int_equal(v.state, LG_GS_FILLED);
    f->now += 2 * LG_NS_PER_S;
    market(f, FWD);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_ACTIVE);
    fx_free(f);
}

/* Sticky strike: a volatility solved from an option's price is kept while only the
 * future moves (the option's quote is then older than the forward), and solved again
 * from the option's next tick, even at the same price. */
static void test_volatility_sticks_to_the_option(void **st) {
    (void)st;
    fx_t *f = fx_new();
    market(f, FWD);
    assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
    assert_true(submit(f, call_spread(650, LG_POLICY_RATCHET)) != 0); /* solves both legs */
    lg_paise_t px = 0, fut = 0;
    double iv1 = 0, iv2 = 0, iv3 = 0, none = 0;
    lg_engine_price(f->e, T_C24200, &px, &iv1);
    assert_true(iv1 > 0.10 && iv1 < 0.18);
    tick(f, T_FUT, FWD + 2000); /* ₹20 up; the call has not ticked */
    lg_engine_price(f->e, T_C24200, &px, &iv2);
    assert_true(iv2 == iv1);
    tick(f, T_C24200, px); /* it trades at the same price under the new forward */
    lg_engine_price(f->e, T_C24200, &px, &iv3);
    lg_engine_price(f->e, T_FUT, &fut, &none);
    assert_int_equal(fut, FWD + 2000);
    assert_true(iv3 < iv1 - 0.001); /* the same premium on a higher forward: less volatility */
    fx_free(f);
}

/* ---- bad input ------------------------------------------------------------------------------ */

static void test_bad_input(void **st) {
    (void)st;
    fx_t *f = fx_new();
    uint64_t d = lg_engine_digest(f->e);
    lg_event_t ev = {.kind = LG_EV_MARGINS};
    ev.u.margins.available = 100;
    ev.u.margins.used = -1;
    assert_int_equal(step(f, &ev), LG_EINVAL);
    assert_true(alert_mentions(&f->out, "negative used margin"));
    ev = (lg_event_t){.kind = LG_EV_BAND};
    ev.u.band.token = T_C24200;
    ev.u.band.lo = 500, ev.u.band.hi = 400;
    assert_int_equal(step(f, &ev), LG_EPRICE);
    assert_true(alert_mentions(&f->out, "NIFTY26JUL24200CE"));
    ev.u.band.token = 77;
    assert_int_equal(step(f, &ev), LG_EINSTRUMENT);
    assert_true(lg_engine_digest(f->e) == d);
    lg_risk_view_t v;
    lg_engine_risk(f->e, &v);
    assert_false(v.margins_known);
    fx_free(f);
    /* contradicting limits: no engine */
    lg_engine_config_t c;
    cfg_default(&c);
    c.risk.max_lots_group = 0;
    lg_engine_t *e = NULL;
    lg_instruments_t m;
    lg_test_master(&m);
    assert_int_equal(lg_engine_create(&c, &m, &e), LG_EINVAL);
    cfg_default(&c);
    c.risk.daily_loss_limit = -5;
    assert_int_equal(lg_engine_create(&c, &m, &e), LG_EINVAL);
    assert_null(e);
    lg_instruments_free(&m);
}

/* A circuit band refuses a limit price outside it. */
static void test_band(void **st) {
    (void)st;
    fx_t *f = fx_new();
    market(f, FWD);
    assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
    lg_event_t ev = {.kind = LG_EV_BAND};
    ev.u.band.token = T_C24400;
    ev.u.band.lo = 100, ev.u.band.hi = 500;
    assert_int_equal(step(f, &ev), LG_OK);
    lg_group_spec_t s = call_spread(650, LG_POLICY_RATCHET);
    s.legs[1].limit_price = 1000;
    assert_int_equal(submit(f, s), 0);
    assert_int_equal(f->out.status, LG_EPRICE);
    assert_true(alert_mentions(&f->out, "circuit band"));
    fx_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_without_margins_and_prices),
        cmocka_unit_test(test_call_spread_story),
        cmocka_unit_test(test_reservation),
        cmocka_unit_test(test_reservation_unanswered),
        cmocka_unit_test(test_intent_sized_by_margin),
        cmocka_unit_test(test_intent_refusals),
        cmocka_unit_test(test_loss_limit_kills),
        cmocka_unit_test(test_loss_limit_day),
        cmocka_unit_test(test_fill_value_falls),
        cmocka_unit_test(test_margin_floor_and_session),
        cmocka_unit_test(test_greeks_breach_reduces),
        cmocka_unit_test(test_greeks_watch_cycle),
        cmocka_unit_test(test_greeks_entering_structure),
        cmocka_unit_test(test_volatility_sticks_to_the_option),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_band),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
