/*
 * test_e2e.c — the core's failure stories a, c and e (tests/scenario/test_scenarios.c)
 * through the real chain: engine, live shell with its SQLite journal, the Kite broker
 * port (REST on libcurl, ticker on libwebsockets) and `legato sim` over loopback, in
 * wall-clock time. Each reaches the same final state and the same positions at the
 * exchange as in-process. The simulator lists NIFTY around 26000, so the put spread is
 * 25900 / 25700 (in-process: 23900 / 23700).
 *
 *   a  protection fills, short rejected (RMS) -> FAILED -> EMERGENCY_HEDGED, flat
 *   c  6500 units -> 27+27+27+19 lots; third protection child rejected -> HEDGED
 *      smaller (shrink) or EMERGENCY_HEDGED flat
 *   e  short rejected, the first two reversals hit the circuit band -> protection
 *      3%, 6%, 12%, a CRITICAL alert, HALTED; a new group is refused while halted
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "rig.h"

#include "legato/tag.h"

typedef struct fix {
    rig_t r;
    lg_group_spec_t spec;
    uint32_t gid;
} fix_t;

static int setup(void **state) {
    fix_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->r.verbose = getenv("LEGATO_E2E_VERBOSE") != NULL;
    int rc = rig_start(&f->r, 21, NULL, LG_DUR_NORMAL);
    if (rc != 0) fail_msg("rig_start: step %d", rc);
    assert_true(rig_run_until(&f->r, rig_ticker_up, NULL, 5000));
    rc = rig_prime(&f->r);
    if (rc != 0) fail_msg("rig_prime: step %d", rc);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fix_t *f = *state;
    rig_stop(&f->r);
    free(f);
    return 0;
}

static void put_spread(fix_t *f, lg_qty_t qty, int incomplete) {
    lg_group_spec_t s = {.policy = -1, .on_incomplete = (int8_t)incomplete};
    s.n_legs = 2;
    s.legs[0] = (lg_leg_spec_t){.token = rig_token(&f->r, LG_KIND_PE, 25900), .side = -1,
                                .covered_by = -1, .qty = qty};
    s.legs[1] = (lg_leg_spec_t){.token = rig_token(&f->r, LG_KIND_PE, 25700), .side = +1,
                                .covered_by = -1, .qty = qty};
    assert_true(s.legs[0].token != 0 && s.legs[1].token != 0);
    f->spec = s;
    uint32_t tokens[2] = {s.legs[0].token, s.legs[1].token};
    assert_int_equal(lg_port_subscribe(f->r.port, tokens, 2, LG_TICK_FULL), LG_OK);
}

static lg_group_view_t view(fix_t *f) {
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->r.eng, f->gid, &v), LG_OK);
    return v;
}

/* Finished: the group is in `state` and nothing of it is still open at the broker. */
static bool settled(rig_t *r, const void *arg) {
    const fix_t *f = (const fix_t *)((const char *)r - offsetof(fix_t, r));
    lg_gstate_t want = *(const lg_gstate_t *)arg;
    lg_group_view_t v;
    if (lg_engine_group(r->eng, f->gid, &v) != LG_OK || v.state != want) return false;
    for (uint32_t c = 0; c < v.n_orders; c++) {
        const lg_order_t *o = lg_engine_group_order(r->eng, f->gid, c);
        if (!lg_ostate_terminal(o->state)) return false;
    }
    return true;
}

static void run_to(fix_t *f, lg_gstate_t want, int ms) {
    if (!rig_run_until(&f->r, settled, &want, ms)) {
        lg_group_view_t v = view(f);
        char got[512] = "";
        for (uint32_t i = 0; i < v.n_states; i++) {
            strncat(got, lg_gstate_name((lg_gstate_t)v.path[i]), sizeof got - strlen(got) - 2);
            strncat(got, " ", sizeof got - strlen(got) - 1);
        }
        fail_msg("group %u did not settle in %s within %d ms: path %s", f->gid,
                 lg_gstate_name(want), ms, got);
    }
    rig_run_for(&f->r, 300); /* late updates, if any, would show now */
}

static void submit(fix_t *f) {
    assert_int_equal(lg_live_submit(f->r.live, &f->spec, &f->gid), LG_OK);
    assert_true(f->gid != 0);
}

static lg_qty_t at_exchange(fix_t *f, int leg) {
    return lg_sim_position(lg_simd_model(f->r.sim), f->spec.legs[leg].token);
}

static void assert_flat(fix_t *f) {
    assert_int_equal(at_exchange(f, 0), 0);
    assert_int_equal(at_exchange(f, 1), 0);
    assert_int_equal(lg_engine_position(f->r.eng, f->spec.legs[0].token), 0);
    assert_int_equal(lg_engine_position(f->r.eng, f->spec.legs[1].token), 0);
}

static void assert_path(const lg_group_view_t *v, const lg_gstate_t *want, uint32_t n) {
    bool same = v->n_states == n;
    for (uint32_t i = 0; same && i < n; i++) same = v->path[i] == want[i];
    if (same) return;
    char got[512] = "";
    for (uint32_t i = 0; i < v->n_states; i++) {
        strncat(got, lg_gstate_name((lg_gstate_t)v->path[i]), sizeof got - strlen(got) - 2);
        strncat(got, " ", sizeof got - strlen(got) - 1);
    }
    fail_msg("path: %s", got);
}

/* ---- a ------------------------------------------------------------------------------------ */

static void test_a_short_rejected(void **state) {
    fix_t *f = *state;
    put_spread(f, 650, LG_INCOMPLETE_FLAT);
    lg_sim_reject_next(lg_simd_model(f->r.sim), f->spec.legs[0].token, LG_SIM_REJ_RMS, 1);
    submit(f);
    run_to(f, LG_GS_EMERGENCY_HEDGED, 20000);
    lg_group_view_t v = view(f);
    const lg_gstate_t want[] = {LG_GS_CREATED, LG_GS_VALIDATED, LG_GS_SUBMITTED,
                                LG_GS_PARTIALLY_FILLED, LG_GS_FAILED, LG_GS_EMERGENCY_HEDGED};
    assert_path(&v, want, LG_COUNT(want));
    assert_flat(f);
    assert_int_equal(v.naked_lot_ns, 0);
    assert_true(v.cash < 0); /* bought at the ask, sold back at the bid */
}

/* ---- c ------------------------------------------------------------------------------------ */

static void run_c(fix_t *f, int incomplete, lg_gstate_t final) {
    put_spread(f, 6500, incomplete);
    lg_sim_reject_after(lg_simd_model(f->r.sim), f->spec.legs[1].token, LG_SIM_REJ_RMS, 2, 1);
    submit(f);
    run_to(f, final, 40000);
    lg_group_view_t v = view(f);
    const lg_qty_t want[4] = {1755, 1755, 1755, 1235};
    uint32_t seen = 0;
    for (uint32_t c = 0; c < v.n_orders && seen < 4; c++) {
        const lg_order_t *o = lg_engine_group_order(f->r.eng, v.id, c);
        if (o->id.leg != 1 || o->id.purpose != LG_PURPOSE_ENTRY) continue;
        assert_int_equal(o->qty, want[seen]);
        if (seen == 2) assert_int_equal(o->state, LG_OS_REJECTED);
        seen++;
    }
    assert_int_equal(seen, 4);
    if (final == LG_GS_HEDGED) {
        assert_true(v.legs[0].held > 0 && v.legs[0].held < 6500);
        assert_int_equal(v.legs[0].held, v.legs[1].held);
        assert_int_equal(at_exchange(f, 0), -v.legs[0].held);
        assert_int_equal(at_exchange(f, 1), v.legs[1].held);
        assert_int_equal(lg_engine_position(f->r.eng, f->spec.legs[0].token), -v.legs[0].held);
    } else {
        assert_flat(f);
    }
    assert_int_equal(v.naked_lot_ns, 0);
}

static void test_c_freeze_slices_shrink(void **state) {
    run_c(*state, LG_INCOMPLETE_SHRINK, LG_GS_HEDGED);
}

static void test_c_freeze_slices_flat(void **state) {
    run_c(*state, LG_INCOMPLETE_FLAT, LG_GS_EMERGENCY_HEDGED);
}

/* ---- e ------------------------------------------------------------------------------------ */

static bool halted(rig_t *r, const void *arg) {
    (void)arg;
    return lg_engine_trading_state(r->eng) == LG_TS_HALTED;
}

static void test_e_emergency_rejected_twice(void **state) {
    fix_t *f = *state;
    put_spread(f, 650, LG_INCOMPLETE_FLAT);
    lg_sim_t *m = lg_simd_model(f->r.sim);
    lg_sim_reject_next(m, f->spec.legs[0].token, LG_SIM_REJ_RMS, 1);
    lg_sim_reject_after(m, f->spec.legs[1].token, LG_SIM_REJ_CIRCUIT, 1, 2);
    submit(f);
    assert_true(rig_run_until(&f->r, halted, NULL, 20000));
    uint32_t later = 1;
    assert_int_equal(lg_live_submit(f->r.live, &f->spec, &later), LG_EHALTED);
    assert_int_equal(later, 0);
    run_to(f, LG_GS_EMERGENCY_HEDGED, 20000);
    assert_true(f->r.criticals >= 1);
    assert_non_null(strstr(f->r.critical_text, "halting new risk"));
    lg_group_view_t v = view(f);
    int mprot[3] = {0};
    uint32_t n = 0;
    for (uint32_t c = 0; c < v.n_orders && n < 3; c++) {
        const lg_order_t *o = lg_engine_group_order(f->r.eng, v.id, c);
        if (o->id.leg == 1 && o->id.purpose == LG_PURPOSE_EMERGENCY) mprot[n++] = o->mprot_pct;
    }
    assert_int_equal(n, 3);
    assert_int_equal(mprot[0], 3);
    assert_int_equal(mprot[1], 6);
    assert_int_equal(mprot[2], 12);
    assert_int_equal(lg_engine_trading_state(f->r.eng), LG_TS_HALTED);
    assert_flat(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_short_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_c_freeze_slices_shrink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_c_freeze_slices_flat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_e_emergency_rejected_twice, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
