/*
 * test_stop_engine.c — stop-losses inside the engine (stop_eng.c): the gap story end to
 * end (long at 100, stop 95 / limit 94.5, price 95.5 → 90 → 80: the SL-LIMIT is
 * cancelled at 90 and the protected MARKET for the whole position goes out while the
 * price is 90, not 80); a cancel that loses half the race to a fill sends exactly the
 * rest; the kill switch disarms the stop before its own exit, never both; a group stop
 * on combined P&L exits in unwind order; bad stops refused by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "risk_fixture.h"

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
    char mk[LG_TAG_MAX + 1], mk_id[32];
    snprintf(mk, sizeof mk, "%s", m->tag);
    f->n_pending = 0;
    ack_as(f, mk, mk_id, sizeof mk_id);
    assert_int_equal(report(f, mk, mk_id, LG_KS_COMPLETE, 65, 65, 9000), LG_OK); /* at 90 */
    tick(f, T_C24200, 8000); /* the price goes on to 80: we are out */
    assert_int_equal(f->out.n_cmds, 0);
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->e, g, &v), LG_OK);
    assert_int_equal(v.state, LG_GS_CLOSED);
    assert_int_equal(v.legs[0].held, 0);
    assert_int_equal(v.cash, 65 * (9000 - 10000)); /* exited near 90, not 80 */
    assert_int_equal(lg_engine_position(f->e, T_C24200), 0);
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gap_story),
        cmocka_unit_test(test_cancel_fill_race),
        cmocka_unit_test(test_kill_disarms_stop_first),
        cmocka_unit_test(test_group_stop),
        cmocka_unit_test(test_bad_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
