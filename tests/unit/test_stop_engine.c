/*
 * test_stop_engine.c — stop-losses inside the engine (stop_eng.c): the gap story end to
 * end (long at 100, stop 95 / limit 94.5, price 95.5 → 90 → 80: the SL-LIMIT is
 * cancelled at 90 and the protected MARKET for the whole position goes out while the
 * price is 90, not 80); a cancel that loses half the race to a fill sends exactly the
 * rest; the kill switch disarms the stop before its own exit, never both; a group stop
 * on combined P&L exits in unwind order; bad stops refused by name. Recovery: a working
 * SL a crash orphaned (the arming step lost) re-armed from the book — a gap then exits
 * the whole 65 near the gap price; one that had filled 20 goes CLOSING and the gap sends
 * exactly the 45 left — and every case that cannot be re-armed safely still cancelled,
 * with an alert naming why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "risk_fixture.h"

#include "legato/tag.h"

static const lg_cmd_t *cmd_of(const lg_out_t *o, lg_cmd_kind_t k) {
    for (uint32_t i = 0; i < o->n_cmds; i++)
        if (o->cmds[i].kind == k) return &o->cmds[i];
    return NULL;
}

static uint32_t broker_n = 500;

static void ack_as(fx_t *f, const char *tag, char *bid, size_t cap) {
    snprintf(bid, cap, "20000000000%08u", ++broker_n);
    lg_event_t ev = {.kind = LG_EV_ORDER_ACK};
    snprintf(ev.u.ack.tag, sizeof ev.u.ack.tag, "%s", tag);
    snprintf(ev.u.ack.broker_id, sizeof ev.u.ack.broker_id, "%s", bid);
    assert_int_equal(step(f, &ev), LG_OK);
}

static int report(fx_t *f, const char *tag, const char *bid, lg_kstatus_t st, lg_qty_t qty,
                  lg_qty_t filled, lg_paise_t avg) {
    lg_event_t ev = {.kind = LG_EV_ORDER_UPDATE};
    snprintf(ev.u.update.tag, sizeof ev.u.update.tag, "%s", tag);
    snprintf(ev.u.update.broker_id, sizeof ev.u.update.broker_id, "%s", bid);
    ev.u.update.status = st;
    ev.u.update.quantity = qty;
    ev.u.update.filled = filled;
    ev.u.update.avg_price = avg;
    return step(f, &ev);
}

static int arm(fx_t *f, uint32_t g, lg_paise_t trigger, lg_paise_t limit, lg_paise_t gap,
               lg_paise_t max_loss) {
    lg_event_t ev = {.kind = LG_EV_STOP};
    ev.u.stop.group = g;
    ev.u.stop.trigger = trigger;
    ev.u.stop.limit = limit;
    ev.u.stop.gap = gap;
    ev.u.stop.max_loss = max_loss;
    return step(f, &ev);
}

/* A long 24200 call, 65 units, bought at ₹100 and live. */
static uint32_t long_at_100(fx_t *f) {
    market(f, FWD);
    tick(f, T_C24200, 10000);
    assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
    lg_group_spec_t s = {.n_legs = 1, .policy = -1, .on_incomplete = -1};
    s.legs[0] = (lg_leg_spec_t){.token = T_C24200, .side = 1, .covered_by = -1, .qty = 65};
    uint32_t g = submit(f, s);
    if (g == 0) say_alerts(&f->out);
    assert_true(g != 0);
    fill_all(f);
    lg_gstate_t st;
    assert_int_equal(lg_engine_group_state(f->e, g, &st), LG_OK);
    assert_int_equal(st, LG_GS_FILLED);
    return g;
}

/* The stop's MARKET order mk fills all 65 at 90 and the price goes on to 80: the long
 * bought at 100 is out, flat, near 90, not 80, and nothing more is sent. */
static void exits_at_90(fx_t *f, uint32_t g, const char *mk) {
    char mk_id[32];
    ack_as(f, mk, mk_id, sizeof mk_id);
    assert_int_equal(report(f, mk, mk_id, LG_KS_COMPLETE, 65, 65, 9000), LG_OK);
    tick(f, T_C24200, 8000);
    assert_int_equal(f->out.n_cmds, 0);
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->e, g, &v), LG_OK);
    assert_int_equal(v.state, LG_GS_CLOSED);
    assert_int_equal(v.legs[0].held, 0);
    assert_int_equal(v.cash, 65 * (9000 - 10000));
    assert_int_equal(lg_engine_position(f->e, T_C24200), 0);
}


static void test_gap_story(void **state) {
    (void)state;
    fx_t *f = fx_new();
    uint32_t g = long_at_100(f);
    assert_int_equal(arm(f, g, 9500, 9450, 200, 0), LG_OK);
    const lg_cmd_t *c = cmd_of(&f->out, LG_CMD_PLACE);
    assert_non_null(c);
    assert_int_equal(c->otype, LG_OT_SL);
    assert_int_equal(c->side, -1);
    assert_int_equal(c->qty, 65);
    assert_int_equal(c->trigger, 9500);
    assert_int_equal(c->price, 9450);
    assert_true(c->risk_reducing);
    lg_tag_t t;
    assert_int_equal(lg_tag_decode(c->tag, &t), LG_OK);
    assert_int_equal(t.purpose, LG_PURPOSE_STOP);
    char sl[LG_TAG_MAX + 1], sl_id[32];
    snprintf(sl, sizeof sl, "%s", c->tag);
    f->n_pending = 0;
    ack_as(f, sl, sl_id, sizeof sl_id);
    assert_int_equal(report(f, sl, sl_id, LG_KS_TRIGGER_PENDING, 65, 0, 0), LG_OK);
    tick(f, T_C24200, 9550); /* above the trigger: nothing */
    assert_int_equal(f->out.n_cmds, 0);
    tick(f, T_C24200, 9000); /* through the trigger and past the gap: cancel */
    const lg_cmd_t *cancel = cmd_of(&f->out, LG_CMD_CANCEL);
    assert_non_null(cancel);
    assert_string_equal(cancel->tag, sl);
    assert_null(cmd_of(&f->out, LG_CMD_PLACE)); /* not before the cancel is confirmed */
    assert_int_equal(report(f, sl, sl_id, LG_KS_OPEN, 65, 0, 0), LG_OK); /* triggered, unfilled */
    assert_null(cmd_of(&f->out, LG_CMD_PLACE));
    assert_int_equal(report(f, sl, sl_id, LG_KS_CANCELLED, 65, 0, 0), LG_OK);
    const lg_cmd_t *m = cmd_of(&f->out, LG_CMD_PLACE);
    assert_non_null(m);
    assert_int_equal(m->otype, LG_OT_MARKET);
    assert_int_equal(m->qty, 65);
    assert_int_equal(m->side, -1);
    assert_true(m->mprot_pct > 0);
    char mk[LG_TAG_MAX + 1];
    snprintf(mk, sizeof mk, "%s", m->tag);
    f->n_pending = 0;
    exits_at_90(f, g, mk);
    fx_free(f);
}

/* The cancel loses part of the race: the market order is exactly the rest. */
static void test_cancel_fill_race(void **state) {
    (void)state;
    fx_t *f = fx_new();
    uint32_t g = long_at_100(f);
    assert_int_equal(arm(f, g, 9500, 9450, 0, 0), LG_OK);
    char sl[LG_TAG_MAX + 1], sl_id[32];
    snprintf(sl, sizeof sl, "%s", cmd_of(&f->out, LG_CMD_PLACE)->tag);
    f->n_pending = 0;
    ack_as(f, sl, sl_id, sizeof sl_id);
    tick(f, T_C24200, 9400); /* past the trigger by more than a zero gap */
    assert_non_null(cmd_of(&f->out, LG_CMD_CANCEL));
    assert_int_equal(report(f, sl, sl_id, LG_KS_OPEN, 65, 20, 9450), LG_OK);
    assert_null(cmd_of(&f->out, LG_CMD_PLACE));
    lg_gstate_t st;
    assert_int_equal(lg_engine_group_state(f->e, g, &st), LG_OK);
    assert_int_equal(st, LG_GS_CLOSING); /* the stop's first exit fill */
    assert_int_equal(report(f, sl, sl_id, LG_KS_CANCELLED, 65, 30, 9450), LG_OK);
    const lg_cmd_t *m = cmd_of(&f->out, LG_CMD_PLACE);
    assert_non_null(m);
    assert_int_equal(m->qty, 35);
    assert_int_equal(m->otype, LG_OT_MARKET);
    char mk[LG_TAG_MAX + 1], mk_id[32];
    snprintf(mk, sizeof mk, "%s", m->tag);
    f->n_pending = 0;
    ack_as(f, mk, mk_id, sizeof mk_id);
    assert_int_equal(report(f, mk, mk_id, LG_KS_COMPLETE, 35, 35, 9300), LG_OK);
    assert_int_equal(lg_engine_group_state(f->e, g, &st), LG_OK);
    assert_int_equal(st, LG_GS_CLOSED);
    assert_int_equal(lg_engine_position(f->e, T_C24200), 0);
    fx_free(f);
}

/* Kill switch: the stop is disarmed first; the unwind's exit follows its end. */
static void test_kill_disarms_stop_first(void **state) {
    (void)state;
    fx_t *f = fx_new();
    uint32_t g = long_at_100(f);
    assert_int_equal(arm(f, g, 9500, 9450, 200, 0), LG_OK);
    char sl[LG_TAG_MAX + 1], sl_id[32];
    snprintf(sl, sizeof sl, "%s", cmd_of(&f->out, LG_CMD_PLACE)->tag);
    f->n_pending = 0;
    ack_as(f, sl, sl_id, sizeof sl_id);
    lg_event_t kill = {.kind = LG_EV_CONTROL};
    kill.u.control.op = LG_CTL_KILL;
    assert_int_equal(step(f, &kill), LG_OK);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_HALTED);
    const lg_cmd_t *cancel = cmd_of(&f->out, LG_CMD_CANCEL);
    assert_non_null(cancel);
    assert_string_equal(cancel->tag, sl);
    assert_null(cmd_of(&f->out, LG_CMD_PLACE)); /* no second exit while the SL works */
    assert_int_equal(report(f, sl, sl_id, LG_KS_CANCELLED, 65, 0, 0), LG_OK);
    const lg_cmd_t *x = cmd_of(&f->out, LG_CMD_PLACE);
    assert_non_null(x);
    lg_tag_t t;
    assert_int_equal(lg_tag_decode(x->tag, &t), LG_OK);
    assert_int_equal(t.purpose, LG_PURPOSE_EXIT);
    assert_int_equal(x->qty, 65);
    assert_int_equal(x->side, -1);
    fx_free(f);
}

/* A group stop on combined P&L: shorts bought back first. */
static void test_group_stop(void **state) {
    (void)state;
    fx_t *f = fx_new();
    market(f, FWD);
    assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
    uint32_t g = submit(f, call_spread(650, LG_POLICY_RATCHET));
    assert_true(g != 0);
    fill_all(f);
    assert_int_equal(arm(f, g, 0, 0, 0, 5000 * 100LL), LG_OK);
    lg_paise_t a = 0;
    double iv;
    lg_engine_price(f->e, T_C24200, &a, &iv);
    tick(f, T_C24200, a + 500); /* −₹3 250: within */
    assert_null(cmd_of(&f->out, LG_CMD_PLACE));
    tick(f, T_C24200, a + 1000); /* −₹6 500: the stop */
    const lg_cmd_t *c = cmd_of(&f->out, LG_CMD_PLACE);
    assert_non_null(c);
    assert_int_equal(c->token, T_C24200); /* the short first */
    assert_int_equal(c->side, 1);
    assert_int_equal(c->qty, 650);
    lg_gstate_t st;
    assert_int_equal(lg_engine_group_state(f->e, g, &st), LG_OK);
    assert_int_equal(st, LG_GS_CLOSING);
    fill_all(f);
    assert_int_equal(lg_engine_group_state(f->e, g, &st), LG_OK);
    assert_int_equal(st, LG_GS_CLOSED);
    fx_free(f);
}

static void test_bad_stops(void **state) {
    (void)state;
    fx_t *f = fx_new();
    uint32_t g = long_at_100(f);
    assert_int_equal(arm(f, 999, 9500, 9450, 0, 0), LG_EUNKNOWN_GROUP);
    assert_int_equal(arm(f, g, 10500, 10450, 0, 0), LG_EPRICE); /* above the price */
    assert_true(alert_mentions(&f->out, "trigger must be below the price"));
    assert_int_equal(arm(f, g, 9500, 9600, 0, 0), LG_EPRICE); /* limit above the trigger */
    assert_int_equal(arm(f, g, 9503, 9450, 0, 0), LG_ETICK);
    assert_int_equal(arm(f, g, 9500, 9450, -1, 0), LG_EINVAL);
    assert_int_equal(f->out.n_cmds, 0);
    assert_int_equal(arm(f, g, 9500, 9450, 0, 0), LG_OK);
    assert_int_equal(arm(f, g, 9500, 9450, 0, 0), LG_ESTATE); /* one at a time */
    assert_true(alert_mentions(&f->out, "disarm it first"));
    fx_free(f);
    f = fx_new();
    market(f, FWD);
    assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
    uint32_t sp = submit(f, call_spread(650, LG_POLICY_RATCHET));
    assert_int_equal(arm(f, sp, 9500, 9450, 0, 0), LG_ESTATE); /* still opening */
    fill_all(f);
    assert_int_equal(arm(f, sp, 9500, 9450, 0, 0), LG_ESPEC);
    assert_true(alert_mentions(&f->out, "one-leg group"));
    fx_free(f);
}

/* ---- recovery: a stop order the journal lost ------------------------------------------ */

static int ctl(fx_t *f, lg_control_op_t op) {
    lg_event_t ev = {.kind = LG_EV_CONTROL};
    ev.u.control.op = (int32_t)op;
    return step(f, &ev);
}

/* The tag of stop order `attempt` of group g's leg, child `child`. */
static void stop_tag(uint32_t g, uint32_t leg, uint32_t child, uint32_t attempt, char *out,
                     size_t cap) {
    lg_tag_t t = {.group = g, .leg = (uint8_t)leg, .child = (uint16_t)child,
                  .purpose = LG_PURPOSE_STOP, .attempt = (uint16_t)attempt};
    assert_int_equal(lg_tag_encode(&t, out, cap), LG_OK);
}

typedef struct lost {
    uint32_t leg, child, attempt, token;
    lg_otype_t otype;
    lg_kstatus_t status;
    lg_qty_t qty, filled;
    lg_paise_t avg, trigger, limit;
} lost_t;

/* A sell-side SL of the long 24200 call: 65 units, 95.00 / 94.50, waiting. */
static lost_t lost_sl(void) {
    return (lost_t){.child = 1, .token = T_C24200, .otype = LG_OT_SL,
                    .status = LG_KS_TRIGGER_PENDING, .qty = 65, .trigger = 9500, .limit = 9450};
}

/* Recovery's adoption of a stop order the broker has and the journal lost. */
static void adopt_lost(fx_t *f, uint32_t g, const lost_t *l, char *tag, char *bid, size_t cap) {
    stop_tag(g, l->leg, l->child, l->attempt, tag, LG_TAG_MAX + 1);
    snprintf(bid, cap, "30000000000%08u", ++broker_n);
    lg_event_t ev = {.kind = LG_EV_ADOPT};
    lg_adopt_t *a = &ev.u.adopt;
    snprintf(a->u.tag, sizeof a->u.tag, "%s", tag);
    snprintf(a->u.broker_id, sizeof a->u.broker_id, "%s", bid);
    a->u.status = l->status;
    a->u.quantity = l->qty;
    a->u.filled = l->filled;
    a->u.avg_price = l->avg;
    a->token = l->token;
    a->side = -1;
    a->otype = (uint8_t)l->otype;
    a->price = l->limit;
    a->trigger = l->trigger;
    int rc = step(f, &ev);
    if (rc != LG_OK) say_alerts(&f->out);
    assert_int_equal(rc, LG_OK);
}

static const lg_cmd_t *cancel_of(const lg_out_t *o, const char *tag) {
    for (uint32_t i = 0; i < o->n_cmds; i++)
        if (o->cmds[i].kind == LG_CMD_CANCEL && strcmp(o->cmds[i].tag, tag) == 0) return &o->cmds[i];
    return NULL;
}

/* The crash lost the step arming the stop; its SL is working at the broker. Recovery
 * re-arms it from the book (no cancel); a gap later it is cancelled and a protected
 * MARKET for the whole 65 goes out at 90: the exit is near 90, not 80. */
static void test_orphan_rearmed_gap(void **state) {
    (void)state;
    fx_t *f = fx_new();
    uint32_t g = long_at_100(f);
    assert_int_equal(ctl(f, LG_CTL_RECOVER_BEGIN), LG_OK);
    lost_t l = lost_sl();
    char sl[LG_TAG_MAX + 1], sl_id[32];
    adopt_lost(f, g, &l, sl, sl_id, sizeof sl_id);
    assert_int_equal(ctl(f, LG_CTL_RECOVERED), LG_OK);
    if (!alert_mentions(&f->out, "re-armed on")) say_alerts(&f->out);
    assert_true(alert_mentions(&f->out, "re-armed on"));
    assert_true(alert_mentions(&f->out, sl));
    assert_true(alert_mentions(&f->out, "trigger 9500 limit 9450, gap 50"));
    assert_false(alert_mentions(&f->out, "not re-armed"));
    assert_null(cmd_of(&f->out, LG_CMD_CANCEL));
    assert_null(cmd_of(&f->out, LG_CMD_PLACE));
    assert_int_equal(arm(f, g, 9500, 9450, 200, 0), LG_ESTATE); /* a stop is armed */
    assert_true(alert_mentions(&f->out, "disarm it first"));
    f->n_pending = 0;
    tick(f, T_C24200, 9550);
    assert_int_equal(f->out.n_cmds, 0);
    tick(f, T_C24200, 9000); /* past the trigger by more than the gap: cancel */
    assert_non_null(cancel_of(&f->out, sl));
    assert_null(cmd_of(&f->out, LG_CMD_PLACE));
    assert_int_equal(report(f, sl, sl_id, LG_KS_CANCELLED, 65, 0, 0), LG_OK);
    const lg_cmd_t *m = cmd_of(&f->out, LG_CMD_PLACE);
    assert_non_null(m);
    assert_int_equal(m->otype, LG_OT_MARKET);
    assert_int_equal(m->qty, 65);
    assert_int_equal(m->side, -1);
    lg_tag_t t;
    assert_int_equal(lg_tag_decode(m->tag, &t), LG_OK);
    assert_int_equal(t.purpose, LG_PURPOSE_STOP);
    assert_int_equal(t.attempt, 1); /* after the adopted order's number */
    char mk[LG_TAG_MAX + 1];
    snprintf(mk, sizeof mk, "%s", m->tag);
    exits_at_90(f, g, mk);
    fx_free(f);
}

/* The orphan had sold 20 at 94.80 before the restart: re-armed with those counted, the
 * group CLOSING (a stop is exiting it); at the gap exactly the 45 left go to market. The
 * group stop the journal had (max_loss) is not in the book: dropped, said critically. */
static void test_orphan_partial_rearmed(void **state) {
    (void)state;
    fx_t *f = fx_new();
    uint32_t g = long_at_100(f);
    assert_int_equal(arm(f, g, 0, 0, 0, 1000000), LG_OK); /* a group stop, journaled */
    assert_int_equal(ctl(f, LG_CTL_RECOVER_BEGIN), LG_OK);
    lost_t l = lost_sl();
    l.status = LG_KS_OPEN;
    l.filled = 20;
    l.avg = 9480;
    char sl[LG_TAG_MAX + 1], sl_id[32];
    adopt_lost(f, g, &l, sl, sl_id, sizeof sl_id);
    assert_int_equal(ctl(f, LG_CTL_RECOVERED), LG_OK);
    assert_true(alert_mentions(&f->out, "re-armed on"));
    assert_true(alert_mentions(&f->out, "max_loss"));
    bool critical = false;
    for (uint32_t i = 0; i < f->out.n_alerts; i++)
        critical = critical || (strstr(f->out.alerts[i].text, "re-armed on") != NULL &&
                                f->out.alerts[i].level == LG_ALERT_CRITICAL);
    assert_true(critical);
    assert_null(cmd_of(&f->out, LG_CMD_CANCEL));
    assert_null(cmd_of(&f->out, LG_CMD_PLACE));
    lg_gstate_t st;
    assert_int_equal(lg_engine_group_state(f->e, g, &st), LG_OK);
    assert_int_equal(st, LG_GS_CLOSING);
    assert_int_equal(lg_engine_position(f->e, T_C24200), 45);
    f->n_pending = 0;
    tick(f, T_C24200, 9400); /* 1.00 past the trigger, the gap 0.50 */
    assert_non_null(cancel_of(&f->out, sl));
    assert_null(cmd_of(&f->out, LG_CMD_PLACE));
    assert_int_equal(report(f, sl, sl_id, LG_KS_CANCELLED, 65, 20, 9480), LG_OK);
    const lg_cmd_t *m = cmd_of(&f->out, LG_CMD_PLACE);
    assert_non_null(m);
    assert_int_equal(m->otype, LG_OT_MARKET);
    assert_int_equal(m->qty, 45);
    assert_int_equal(m->side, -1);
    char mk[LG_TAG_MAX + 1], mk_id[32];
    snprintf(mk, sizeof mk, "%s", m->tag);
    ack_as(f, mk, mk_id, sizeof mk_id);
    assert_int_equal(report(f, mk, mk_id, LG_KS_COMPLETE, 45, 45, 9400), LG_OK);
    assert_null(cmd_of(&f->out, LG_CMD_PLACE)); /* nothing more: flat */
    assert_int_equal(lg_engine_group_state(f->e, g, &st), LG_OK);
    assert_int_equal(st, LG_GS_CLOSED);
    assert_int_equal(lg_engine_position(f->e, T_C24200), 0);
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->e, g, &v), LG_OK);
    assert_int_equal(v.cash, 20 * 9480 + 45 * 9400 - 65 * 10000);
    fx_free(f);
}

enum { R_TWO, R_LIMIT, R_QTY, R_TICK, R_SPREAD, R_POOL, R__N };

/* What cannot be re-armed safely is cancelled as before, the alert naming why. */
static void test_orphan_refused(void **state) {
    (void)state;
    static const char *const why[R__N] = {
        [R_TWO] = "several", [R_LIMIT] = "not an SL-LIMIT", [R_QTY] = "above what the leg holds",
        [R_TICK] = "not on the tick", [R_SPREAD] = "one-leg group", [R_POOL] = "stop pool full"};
    for (int c = 0; c < R__N; c++) {
        lg_engine_config_t cfg;
        cfg_default(&cfg);
        if (c == R_POOL) cfg.max_stops = 0;
        fx_t *f = fx_new_cfg(&cfg);
        uint32_t g;
        lost_t l = lost_sl();
        if (c == R_SPREAD) {
            market(f, FWD);
            assert_int_equal(margins(f, 10000000LL * 100), LG_OK);
            g = submit(f, call_spread(65, LG_POLICY_RATCHET));
            assert_true(g != 0);
            fill_all(f);
            l.leg = 1; /* the long 24400 */
            l.token = T_C24400;
            l.child = 2;
            l.trigger = 500;
            l.limit = 450;
        } else {
            g = long_at_100(f);
        }
        if (c == R_LIMIT) l.otype = LG_OT_LIMIT;
        if (c == R_QTY) l.qty = 130;
        if (c == R_TICK) l.trigger = 9503;
        assert_int_equal(ctl(f, LG_CTL_RECOVER_BEGIN), LG_OK);
        char sl[LG_TAG_MAX + 1], sl_id[32], sl2[LG_TAG_MAX + 1], sl2_id[32];
        adopt_lost(f, g, &l, sl, sl_id, sizeof sl_id);
        if (c == R_TWO) {
            lost_t l2 = l;
            l2.child = 2;
            l2.attempt = 1;
            adopt_lost(f, g, &l2, sl2, sl2_id, sizeof sl2_id);
        }
        assert_int_equal(ctl(f, LG_CTL_RECOVERED), LG_OK);
        if (!alert_mentions(&f->out, why[c])) say_alerts(&f->out);
        assert_true(alert_mentions(&f->out, "not re-armed"));
        assert_true(alert_mentions(&f->out, why[c]));
        assert_true(alert_mentions(&f->out, "arm the stop again"));
        assert_non_null(cancel_of(&f->out, sl));
        if (c == R_TWO) assert_non_null(cancel_of(&f->out, sl2));
        fx_free(f);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gap_story),
        cmocka_unit_test(test_cancel_fill_race),
        cmocka_unit_test(test_kill_disarms_stop_first),
        cmocka_unit_test(test_group_stop),
        cmocka_unit_test(test_bad_stops),
        cmocka_unit_test(test_orphan_rearmed_gap),
        cmocka_unit_test(test_orphan_partial_rearmed),
        cmocka_unit_test(test_orphan_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
