/*
 * test_scenarios.c — the seed review's failure stories, each run through the engine
 * against the exchange model with every invariant checked after every step, each
 * asserting the path of group states and the final positions at the exchange.
 *
 *   a  protection fills, short rejected -> FAILED -> EMERGENCY_HEDGED, flat, P&L journaled
 *   b  short pending 8 s through a 500-point jump: ratchet never uncovered; naive's
 *      exposure monitor reverses the short in the very step its fill arrives
 *   c  100-lot NIFTY leg -> 27+27+27+19 lots; third child rejected -> shrink or unwind
 *   d  condor whose put protection never fills -> no short put ever sent; smaller or flat
 *   e  emergency reversal rejected twice (circuit) -> wider protection, alert, HALT
 *   f  a cancel loses the race to a fill during an emergency hedge -> exact reversal
 *   g  kill switch: live and entering groups flattened, new risk refused until resumed
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "legato/harness.h"
#include "legato/tag.h"

#define S LG_NS_PER_S

static lg_harness_t *make(uint64_t seed, int policy, lg_ns_t window) {
    lg_harness_config_t c;
    lg_harness_config_default(&c);
    c.seed = seed;
    c.engine.policy = (int8_t)policy;
    c.emergency_window_ns = window;
    lg_harness_t *h = NULL;
    assert_int_equal(lg_harness_create(&c, &h), LG_OK);
    assert_true(lg_harness_add_nifty(h) >= 0);
    assert_int_equal(lg_harness_start(h), LG_OK);
    return h;
}

static void add_leg(lg_harness_t *h, lg_group_spec_t *s, lg_kind_t k, int strike, int side,
                    lg_qty_t qty) {
    lg_leg_spec_t *l = &s->legs[s->n_legs++];
    l->token = lg_harness_token(h, "NIFTY", k, strike);
    assert_true(l->token != 0);
    l->side = (int8_t)side;
    l->covered_by = -1;
    l->qty = qty;
}

static lg_group_spec_t put_spread(lg_harness_t *h, lg_qty_t qty, int incomplete) {
    lg_group_spec_t s = {.policy = -1, .on_incomplete = (int8_t)incomplete};
    add_leg(h, &s, LG_KIND_PE, 23900, -1, qty);
    add_leg(h, &s, LG_KIND_PE, 23700, 1, qty);
    return s;
}

static lg_group_view_t view(lg_harness_t *h, int sub) {
    lg_group_view_t v;
    uint32_t id = lg_harness_group(h, sub);
    assert_true(id != 0);
    assert_int_equal(lg_engine_group(lg_harness_engine(h), id, &v), LG_OK);
    return v;
}

static void assert_path(const lg_group_view_t *v, const lg_gstate_t *want, uint32_t n) {
    char got[512] = "";
    for (uint32_t i = 0; i < v->n_states; i++) {
        strncat(got, lg_gstate_name((lg_gstate_t)v->path[i]), sizeof got - strlen(got) - 2);
        strncat(got, " ", sizeof got - strlen(got) - 1);
    }
    if (v->n_states != n) fail_msg("path: %s", got);
    for (uint32_t i = 0; i < n; i++)
        if (v->path[i] != want[i]) fail_msg("path: %s", got);
}

static void run_ok(lg_harness_t *h, lg_ns_t until) {
    int rc = lg_harness_run(h, until);
    if (rc != LG_OK) fail_msg("%s", lg_harness_failure(h));
    assert_int_equal(lg_harness_check_positions(h), LG_OK);
    if (lg_harness_check_replay(h) != LG_OK) fail_msg("%s", lg_harness_failure(h));
}

static void assert_flat(lg_harness_t *h) {
    const lg_instruments_t *m = lg_harness_master(h);
    for (uint32_t i = 0; i < m->n; i++)
        assert_int_equal(lg_sim_position(lg_harness_sim(h), m->items[i].token), 0);
}

/* ---- a ------------------------------------------------------------------------------- */

typedef struct pnl_seen {
    uint32_t group;
    bool seen;
    int64_t value;
} pnl_seen_t;

static void watch_pnl(lg_harness_t *h, const lg_event_t *ev, const lg_out_t *o, void *ctx) {
    (void)h;
    (void)ev;
    pnl_seen_t *p = ctx;
    for (uint32_t i = 0; i < o->n_recs; i++)
        if (o->recs[i].kind == LG_REC_PNL) {
            p->seen = true;
            p->group = o->recs[i].group;
            p->value = o->recs[i].a;
        }
}

static void test_a_short_rejected(void **st) {
    (void)st;
    lg_harness_t *h = make(11, LG_POLICY_RATCHET, 0);
    lg_group_spec_t s = put_spread(h, 650, LG_INCOMPLETE_FLAT);
    lg_sim_reject_next(lg_harness_sim(h), s.legs[0].token, LG_SIM_REJ_RMS, 1);
    int sub = lg_harness_submit_at(h, 1 * S, &s);
    pnl_seen_t p = {0};
    lg_harness_observe(h, watch_pnl, &p);
    run_ok(h, 60 * S);
    lg_group_view_t v = view(h, sub);
    const lg_gstate_t want[] = {LG_GS_CREATED, LG_GS_VALIDATED, LG_GS_SUBMITTED,
                                LG_GS_PARTIALLY_FILLED, LG_GS_FAILED, LG_GS_EMERGENCY_HEDGED};
    assert_path(&v, want, LG_COUNT(want));
    assert_flat(h);
    assert_true(p.seen);
    assert_int_equal(p.group, v.id);
    assert_int_equal(p.value, v.cash);
    assert_true(v.cash < 0); /* bought at the ask, sold back at the bid */
    assert_int_equal(v.naked_lot_ns, 0);
    lg_harness_destroy(h);
}

/* ---- b ------------------------------------------------------------------------------- */

static void test_b_ratchet_through_jump(void **st) {
    (void)st;
    lg_harness_t *h = make(12, LG_POLICY_RATCHET, 0); /* window 0: never uncovered */
    lg_group_spec_t s = put_spread(h, 1300, LG_INCOMPLETE_FLAT);
    lg_sim_delay_fills(lg_harness_sim(h), s.legs[0].token, 9 * S); /* short pends ~8 s */
    lg_sim_gap(lg_harness_sim(h), 0, -500.0 / 240.0, 4 * S);       /* 500 points down */
    int sub = lg_harness_submit_at(h, 1 * S, &s);
    run_ok(h, 60 * S);
    lg_group_view_t v = view(h, sub);
    assert_int_equal(v.naked_lot_ns, 0);
    assert_true(v.state == LG_GS_HEDGED || v.state == LG_GS_EMERGENCY_HEDGED);
    lg_harness_stats_t hs;
    lg_harness_stats(h, &hs);
    assert_int_equal(hs.uncovered_lot_ns, 0);
    lg_harness_destroy(h);
}

typedef struct naive_watch {
    uint32_t short_token;
    bool exposed_step_seen;   /* the step whose event carried the short's first fill */
    bool reversed_in_that_step;
} naive_watch_t;

static void watch_naive(lg_harness_t *h, const lg_event_t *ev, const lg_out_t *o, void *ctx) {
    (void)h;
    naive_watch_t *w = ctx;
    if (w->exposed_step_seen || ev->kind != LG_EV_ORDER_UPDATE || ev->u.update.filled == 0) return;
    lg_tag_t t;
    if (lg_tag_decode(ev->u.update.tag, &t) != LG_OK || t.leg != 0 || t.purpose != LG_PURPOSE_ENTRY)
        return;
    w->exposed_step_seen = true;
    for (uint32_t i = 0; i < o->n_cmds; i++) {
        const lg_cmd_t *c = &o->cmds[i];
        lg_tag_t ct;
        if (c->kind == LG_CMD_PLACE && c->token == w->short_token && c->side == 1 &&
            lg_tag_decode(c->tag, &ct) == LG_OK && ct.purpose == LG_PURPOSE_EMERGENCY)
            w->reversed_in_that_step = true;
    }
}

static void test_b_naive_exposure_acts(void **st) {
    (void)st;
    lg_harness_t *h = make(13, LG_POLICY_NAIVE, 30 * S);
    lg_group_spec_t s = put_spread(h, 1300, LG_INCOMPLETE_FLAT);
    lg_sim_delay_fills(lg_harness_sim(h), s.legs[1].token, 9 * S); /* protection pends */
    lg_sim_gap(lg_harness_sim(h), 0, -500.0 / 240.0, 4 * S);
    int sub = lg_harness_submit_at(h, 1 * S, &s);
    naive_watch_t w = {.short_token = s.legs[0].token};
    lg_harness_observe(h, watch_naive, &w);
    run_ok(h, 60 * S);
    assert_true(w.exposed_step_seen);
    assert_true(w.reversed_in_that_step);
    lg_group_view_t v = view(h, sub);
    assert_int_equal(v.state, LG_GS_EMERGENCY_HEDGED);
    bool exposed = false;
    for (uint32_t i = 0; i < v.n_states; i++) exposed = exposed || v.path[i] == LG_GS_PARTIALLY_EXPOSED;
    assert_true(exposed);
    assert_flat(h);
    lg_harness_destroy(h);
}

/* ---- c ------------------------------------------------------------------------------- */

static void run_c(int incomplete, lg_gstate_t final) {
    lg_harness_t *h = make(14, LG_POLICY_RATCHET, 0);
    lg_group_spec_t s = put_spread(h, 6500, incomplete);
    lg_sim_reject_after(lg_harness_sim(h), s.legs[1].token, LG_SIM_REJ_RMS, 2, 1);
    int sub = lg_harness_submit_at(h, 1 * S, &s);
    run_ok(h, 120 * S);
    lg_group_view_t v = view(h, sub);
    /* protection went out as 27+27+27+19 lots */
    const lg_qty_t want[4] = {1755, 1755, 1755, 1235};
    uint32_t seen = 0;
    for (uint32_t c = 0; c < v.n_orders && seen < 4; c++) {
        const lg_order_t *o = lg_engine_group_order(lg_harness_engine(h), v.id, c);
        if (o->id.leg != 1 || o->id.purpose != LG_PURPOSE_ENTRY) continue;
        assert_int_equal(o->qty, want[seen]);
        if (seen == 2) assert_int_equal(o->state, LG_OS_REJECTED);
        seen++;
    }
    assert_int_equal(seen, 4);
    assert_int_equal(v.state, final);
    if (final == LG_GS_HEDGED) {
        assert_true(v.legs[0].held > 0 && v.legs[0].held < 6500);
        assert_int_equal(v.legs[0].held, v.legs[1].held);
        assert_int_equal(lg_sim_position(lg_harness_sim(h), s.legs[0].token), -v.legs[0].held);
        assert_int_equal(lg_sim_position(lg_harness_sim(h), s.legs[1].token), v.legs[1].held);
    } else {
        assert_flat(h);
    }
    lg_harness_destroy(h);
}

static void test_c_freeze_slices_shrink(void **st) {
    (void)st;
    run_c(LG_INCOMPLETE_SHRINK, LG_GS_HEDGED);
}

static void test_c_freeze_slices_flat(void **st) {
    (void)st;
    run_c(LG_INCOMPLETE_FLAT, LG_GS_EMERGENCY_HEDGED);
}

/* ---- d ------------------------------------------------------------------------------- */

static void run_d(int incomplete, lg_gstate_t final) {
    lg_harness_t *h = make(15, LG_POLICY_RATCHET, 0);
    lg_group_spec_t s = {.policy = -1, .on_incomplete = (int8_t)incomplete,
                         .entry_timeout_ns = 5 * S};
    add_leg(h, &s, LG_KIND_CE, 24200, -1, 650);
    add_leg(h, &s, LG_KIND_CE, 24400, 1, 650);
    add_leg(h, &s, LG_KIND_PE, 23800, -1, 650);
    add_leg(h, &s, LG_KIND_PE, 23600, 1, 650);
    lg_sim_delay_fills(lg_harness_sim(h), s.legs[3].token, 1000 * S);
    int sub = lg_harness_submit_at(h, 1 * S, &s);
    run_ok(h, 120 * S);
    lg_group_view_t v = view(h, sub);
    for (uint32_t c = 0; c < v.n_orders; c++) {
        const lg_order_t *o = lg_engine_group_order(lg_harness_engine(h), v.id, c);
        assert_false(o->id.leg == 2 && o->id.purpose == LG_PURPOSE_ENTRY); /* no short put */
    }
    assert_int_equal(v.state, final);
    if (final == LG_GS_HEDGED) {
        assert_int_equal(v.legs[0].held, 650);
        assert_int_equal(v.legs[1].held, 650);
        assert_int_equal(v.legs[2].held, 0);
        assert_int_equal(v.legs[3].held, 0);
        assert_int_equal(lg_sim_position(lg_harness_sim(h), s.legs[0].token), -650);
        assert_int_equal(lg_sim_position(lg_harness_sim(h), s.legs[3].token), 0);
    } else {
        assert_flat(h);
    }
    lg_harness_destroy(h);
}

static void test_d_condor_wing_timeout_shrink(void **st) {
    (void)st;
    run_d(LG_INCOMPLETE_SHRINK, LG_GS_HEDGED);
}

static void test_d_condor_wing_timeout_flat(void **st) {
    (void)st;
    run_d(LG_INCOMPLETE_FLAT, LG_GS_EMERGENCY_HEDGED);
}

/* ---- e ------------------------------------------------------------------------------- */

typedef struct halt_watch {
    bool critical;
    bool halted_refusal;
} halt_watch_t;

static void watch_halt(lg_harness_t *h, const lg_event_t *ev, const lg_out_t *o, void *ctx) {
    (void)h;
    halt_watch_t *w = ctx;
    for (uint32_t i = 0; i < o->n_alerts; i++)
        if (o->alerts[i].level == LG_ALERT_CRITICAL && strstr(o->alerts[i].text, "halting"))
            w->critical = true;
    if (ev->kind == LG_EV_GROUP_SUBMIT && o->status == LG_EHALTED && o->n_cmds == 0)
        w->halted_refusal = true;
}

static void test_e_emergency_rejected_twice(void **st) {
    (void)st;
    lg_harness_t *h = make(16, LG_POLICY_RATCHET, 0);
    lg_group_spec_t s = put_spread(h, 650, LG_INCOMPLETE_FLAT);
    lg_sim_reject_next(lg_harness_sim(h), s.legs[0].token, LG_SIM_REJ_RMS, 1);
    /* the protection's entry passes; its first two reversals hit the circuit band */
    lg_sim_reject_after(lg_harness_sim(h), s.legs[1].token, LG_SIM_REJ_CIRCUIT, 1, 2);
    int sub = lg_harness_submit_at(h, 1 * S, &s);
    int later = lg_harness_submit_at(h, 20 * S, &s); /* while halted */
    halt_watch_t w = {0};
    lg_harness_observe(h, watch_halt, &w);
    run_ok(h, 120 * S);
    lg_group_view_t v = view(h, sub);
    assert_int_equal(v.state, LG_GS_EMERGENCY_HEDGED);
    assert_true(w.critical);
    assert_true(w.halted_refusal);
    assert_int_equal(lg_harness_group(h, later), 0);
    assert_int_equal(lg_engine_trading_state(lg_harness_engine(h)), LG_TS_HALTED);
    /* reversal attempts widened their protection: 3%, 6%, then 12% */
    int mprot[3] = {0};
    uint32_t n = 0;
    for (uint32_t c = 0; c < v.n_orders && n < 3; c++) {
        const lg_order_t *o = lg_engine_group_order(lg_harness_engine(h), v.id, c);
        if (o->id.leg == 1 && o->id.purpose == LG_PURPOSE_EMERGENCY) mprot[n++] = o->mprot_pct;
    }
    assert_int_equal(n, 3);
    assert_int_equal(mprot[0], 3);
    assert_int_equal(mprot[1], 6);
    assert_int_equal(mprot[2], 12);
    assert_flat(h);
    lg_harness_destroy(h);
}

/* ---- f ------------------------------------------------------------------------------- */

typedef struct race_watch {
    bool cancel_refused;
} race_watch_t;

static void watch_race(lg_harness_t *h, const lg_event_t *ev, const lg_out_t *o, void *ctx) {
    (void)h;
    (void)o;
    race_watch_t *w = ctx;
    if (ev->kind == LG_EV_ORDER_ERROR && ev->u.error.is_cancel) w->cancel_refused = true;
}

static void test_f_cancel_loses_race(void **st) {
    (void)st;
    lg_harness_config_t c;
    lg_harness_config_default(&c);
    c.seed = 17;
    c.emergency_window_ns = 0;
    c.knobs.ack_min_ns = c.knobs.ack_max_ns = 300 * LG_NS_PER_MS; /* slow cancels */
    lg_harness_t *h = NULL;
    assert_int_equal(lg_harness_create(&c, &h), LG_OK);
    assert_true(lg_harness_add_nifty(h) >= 0);
    assert_int_equal(lg_harness_start(h), LG_OK);
    lg_group_spec_t s = put_spread(h, 650, LG_INCOMPLETE_FLAT);
    s.entry_timeout_ns = 5 * S;
    /* the short becomes fillable just after the timeout fires, before the cancel lands */
    lg_sim_delay_fills(lg_harness_sim(h), s.legs[0].token, 6 * S + 20 * LG_NS_PER_MS);
    int sub = lg_harness_submit_at(h, 1 * S, &s);
    race_watch_t w = {0};
    lg_harness_observe(h, watch_race, &w);
    run_ok(h, 60 * S);
    assert_true(w.cancel_refused);
    lg_group_view_t v = view(h, sub);
    assert_int_equal(v.state, LG_GS_EMERGENCY_HEDGED);
    assert_int_equal(v.legs[0].entry_filled, 650); /* the late fill */
    assert_int_equal(v.legs[0].rev_filled, 650);   /* reversed exactly */
    assert_int_equal(v.legs[1].rev_filled, v.legs[1].entry_filled);
    assert_flat(h);
    lg_harness_destroy(h);
}

/* ---- g: kill switch ------------------------------------------------------------------ */

/* One group live, one entering with its short pending: KILL flattens both in unwind
 * order, refuses new groups until a person resumes, and accepts them after. */
static void test_g_kill_switch(void **st) {
    (void)st;
    lg_harness_t *h = make(18, LG_POLICY_RATCHET, 0);
    lg_group_spec_t live = put_spread(h, 650, LG_INCOMPLETE_FLAT);
    lg_group_spec_t entering = {.policy = -1, .on_incomplete = -1};
    add_leg(h, &entering, LG_KIND_CE, 24200, -1, 1300);
    add_leg(h, &entering, LG_KIND_CE, 24400, 1, 1300);
    lg_sim_delay_fills(lg_harness_sim(h), entering.legs[0].token, 30 * S);
    int a = lg_harness_submit_at(h, 1 * S, &live);
    int b = lg_harness_submit_at(h, 2 * S, &entering);
    lg_harness_control_at(h, 5 * S, LG_CTL_KILL, -1);
    int refused = lg_harness_submit_at(h, 6 * S, &live);
    lg_harness_control_at(h, 40 * S, LG_CTL_RESUME, -1);
    int after = lg_harness_submit_at(h, 41 * S, &live);
    run_ok(h, 120 * S);
    lg_group_view_t va = view(h, a), vb = view(h, b), vc = view(h, after);
    const lg_gstate_t want_a[] = {LG_GS_CREATED, LG_GS_VALIDATED, LG_GS_SUBMITTED,
                                  LG_GS_PARTIALLY_FILLED, LG_GS_FILLED, LG_GS_HEDGED,
                                  LG_GS_CLOSING, LG_GS_CLOSED};
    assert_path(&va, want_a, LG_COUNT(want_a));
    assert_int_equal(vb.state, LG_GS_EMERGENCY_HEDGED);
    assert_int_equal(vb.legs[0].entry_filled, vb.legs[0].rev_filled);
    assert_int_equal(lg_harness_group(h, refused), 0);
    assert_int_equal(vc.state, LG_GS_HEDGED);
    assert_int_equal(lg_engine_trading_state(lg_harness_engine(h)), LG_TS_ACTIVE);
    /* only the group opened after the resume is held */
    assert_int_equal(lg_sim_position(lg_harness_sim(h), live.legs[0].token), -650);
    assert_int_equal(lg_sim_position(lg_harness_sim(h), live.legs[1].token), 650);
    assert_int_equal(lg_sim_position(lg_harness_sim(h), entering.legs[1].token), 0);
    lg_harness_destroy(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_short_rejected),
        cmocka_unit_test(test_b_ratchet_through_jump),
        cmocka_unit_test(test_b_naive_exposure_acts),
        cmocka_unit_test(test_c_freeze_slices_shrink),
        cmocka_unit_test(test_c_freeze_slices_flat),
        cmocka_unit_test(test_d_condor_wing_timeout_shrink),
        cmocka_unit_test(test_d_condor_wing_timeout_flat),
        cmocka_unit_test(test_e_emergency_rejected_twice),
        cmocka_unit_test(test_f_cancel_loses_race),
        cmocka_unit_test(test_g_kill_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
