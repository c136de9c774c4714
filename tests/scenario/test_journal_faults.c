/*
 * test_journal_faults.c — the journal under a failing disk, and a restart, each run
 * through the runner against the exchange model with every invariant checked:
 *
 *   full   the disk fills as a spread is submitted: the commit fails, the entries are
 *          withheld (none reaches the exchange), trading HALTS with an alert that says
 *          why, the withheld orders are found missing and the group ends flat; once the
 *          disk is writable the backlog is written and the journal replays to the
 *          engine's state; trading stays HALTED until a person resumes
 *   ioerr  the same with an I/O error on every write, while a live group is flattened
 *   kill9  a condor is HEDGED, the engine dies (nothing of its memory kept) and comes
 *          back: the journal and the exchange's book give the same group, no order twice
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "legato/harness.h"
#include "legato/vfs_fault.h"

#define S LG_NS_PER_S

typedef struct seen {
    uint32_t journal_failed, journal_back;
} seen_t;

static void observe(lg_harness_t *h, const lg_event_t *ev, const lg_out_t *out, void *ctx) {
    (void)h;
    (void)ev;
    seen_t *s = ctx;
    for (uint32_t i = 0; i < out->n_alerts; i++) {
        if (strstr(out->alerts[i].text, "journal commit failed") != NULL) s->journal_failed++;
        if (strstr(out->alerts[i].text, "journal writable again") != NULL) s->journal_back++;
    }
}

static lg_harness_t *make(const char *path, seen_t *seen) {
    lg_store_remove(path);
    lg_harness_config_t c;
    lg_harness_config_default(&c);
    c.seed = 7;
    c.journal = path;
    c.record = false;
    lg_harness_t *h = NULL;
    assert_int_equal(lg_harness_create(&c, &h), LG_OK);
    assert_true(lg_harness_add_nifty(h) >= 0);
    assert_int_equal(lg_harness_start(h), LG_OK);
    lg_harness_observe(h, observe, seen);
    return h;
}

static void tmp_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "/tmp/legato-test-%ld-%s.db", (long)getpid(), name);
}

static lg_group_spec_t call_spread(lg_harness_t *h) {
    lg_group_spec_t s = {.policy = -1, .on_incomplete = -1, .n_legs = 2};
    s.legs[0] = (lg_leg_spec_t){.token = lg_harness_token(h, "NIFTY", LG_KIND_CE, 24100),
                                .side = -1, .covered_by = -1, .qty = 130};
    s.legs[1] = (lg_leg_spec_t){.token = lg_harness_token(h, "NIFTY", LG_KIND_CE, 24300),
                                .side = 1, .covered_by = -1, .qty = 130};
    assert_true(s.legs[0].token != 0 && s.legs[1].token != 0);
    return s;
}

static void run_ok(lg_harness_t *h, lg_ns_t until) {
    int rc = lg_harness_run(h, until);
    if (rc != LG_OK) fail_msg("%s", lg_harness_failure(h));
}

static lg_gstate_t state_of(lg_harness_t *h, int sub) {
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(lg_harness_engine(h), lg_harness_group(h, sub), &v), LG_OK);
    return v.state;
}

/* The disk fails just before a group is submitted, and is writable again 10 s later. */
static void disk_fault_at_submit(lg_vfs_fault_t fault, int want_err) {
    char path[256];
    tmp_path(path, sizeof path, fault == LG_VFS_FAULT_FULL ? "full" : "ioerr");
    assert_int_equal(lg_vfs_fault_install(), LG_OK);
    seen_t seen = {0};
    lg_harness_t *h = make(path, &seen);
    lg_group_spec_t spec = call_spread(h);
    int sub = lg_harness_submit_at(h, 1 * S, &spec);
    run_ok(h, 1 * S - 1);
    uint32_t orders_before = lg_sim_order_count(lg_harness_sim(h));
    lg_vfs_fault_set(fault, 0);
    run_ok(h, 11 * S);
    lg_runner_t *r = lg_harness_runner(h);
    assert_int_equal(lg_runner_journal_error(r), want_err);
    assert_true(lg_runner_backlog(r) > 0);
    assert_true(lg_runner_withheld(r) >= 1); /* the protection leg's entry */
    assert_int_equal(lg_engine_trading_state(lg_harness_engine(h)), LG_TS_HALTED);
    assert_int_equal(seen.journal_failed, 1);
    /* nothing risk-adding reached the exchange; the look-ups did, and found nothing */
    assert_int_equal(lg_sim_order_count(lg_harness_sim(h)), orders_before);
    lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
    run_ok(h, 40 * S);
    assert_int_equal(lg_runner_journal_error(r), LG_OK);
    assert_int_equal(lg_runner_backlog(r), 0);
    assert_int_equal(seen.journal_back, 1);
    assert_int_equal(state_of(h, sub), LG_GS_EMERGENCY_HEDGED);
    assert_int_equal(lg_harness_check_positions(h), LG_OK);
    assert_int_equal(lg_harness_check_journal(h), LG_OK);
    assert_int_equal(lg_engine_trading_state(lg_harness_engine(h)), LG_TS_HALTED);
    lg_harness_destroy(h);
    lg_store_remove(path);
}

static void test_disk_full(void **st) {
    (void)st;
    disk_fault_at_submit(LG_VFS_FAULT_FULL, LG_ENOSPACE);
}

static void test_disk_ioerr(void **st) {
    (void)st;
    disk_fault_at_submit(LG_VFS_FAULT_IOERR, LG_EIO);
}

/* A live group when the disk fails: it is flattened (risk-reducing orders need no disk),
 * and the journal catches up afterwards. */
static void test_disk_fault_flattens(void **st) {
    (void)st;
    char path[256];
    tmp_path(path, sizeof path, "flatten");
    assert_int_equal(lg_vfs_fault_install(), LG_OK);
    seen_t seen = {0};
    lg_harness_t *h = make(path, &seen);
    lg_group_spec_t spec = call_spread(h);
    int sub = lg_harness_submit_at(h, 1 * S, &spec);
    run_ok(h, 10 * S);
    assert_int_equal(state_of(h, sub), LG_GS_HEDGED);
    lg_vfs_fault_set(LG_VFS_FAULT_IOERR, 0);
    run_ok(h, 20 * S);
    assert_int_equal(lg_engine_trading_state(lg_harness_engine(h)), LG_TS_HALTED);
    assert_int_equal(state_of(h, sub), LG_GS_CLOSED);
    assert_true(lg_runner_backlog(lg_harness_runner(h)) > 0);
    uint32_t tok0 = spec.legs[0].token, tok1 = spec.legs[1].token;
    assert_true(lg_sim_position(lg_harness_sim(h), tok0) == 0);
    assert_true(lg_sim_position(lg_harness_sim(h), tok1) == 0);
    lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
    run_ok(h, 30 * S);
    assert_int_equal(lg_runner_backlog(lg_harness_runner(h)), 0);
    assert_int_equal(lg_harness_check_journal(h), LG_OK);
    lg_harness_destroy(h);
    lg_store_remove(path);
}

/* The engine dies with a condor HEDGED and restarts: same group, same positions. */
static void test_restart_keeps_hedged(void **st) {
    (void)st;
    char path[256];
    tmp_path(path, sizeof path, "kill9");
    seen_t seen = {0};
    lg_harness_t *h = make(path, &seen);
    lg_group_spec_t spec = call_spread(h);
    int sub = lg_harness_submit_at(h, 1 * S, &spec);
    run_ok(h, 10 * S);
    assert_int_equal(state_of(h, sub), LG_GS_HEDGED);
    uint32_t orders = lg_sim_order_count(lg_harness_sim(h));
    assert_int_equal(lg_harness_crash(h, false, 2 * S), LG_OK);
    assert_true(lg_harness_down(h));
    lg_recovery_t rep;
    assert_int_equal(lg_harness_restart(h, &rep), LG_OK);
    assert_int_equal(rep.unexplained, 0);
    assert_true(rep.replayed > 0);
    assert_int_equal(rep.rebuilt, 0);
    assert_int_equal(state_of(h, sub), LG_GS_HEDGED);
    run_ok(h, 20 * S);
    assert_int_equal(state_of(h, sub), LG_GS_HEDGED);
    assert_int_equal(lg_sim_order_count(lg_harness_sim(h)), orders); /* nothing sent again */
    assert_int_equal(lg_harness_check_positions(h), LG_OK);
    assert_int_equal(lg_harness_check_journal(h), LG_OK);
    lg_harness_destroy(h);
    lg_store_remove(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_disk_ioerr),
        cmocka_unit_test(test_disk_fault_flattens),
        cmocka_unit_test(test_restart_keeps_hedged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
