/*
 * test_live.c — the live shell (live.h) on a real libuv loop with a recording broker:
 * an entry leaves only at the turn's commit, hedge-first (protection before the short);
 * broker events step the engine and are journaled; the engine's wake-up arrives as a
 * timer; a place the broker port refuses comes back as a definitive error and fails
 * the group instead of being lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "legato/live.h"
#include "test_master.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct broker {
    lg_cmd_t sent[64];
    uint32_t n;
    bool refuse;
    uint32_t commits_seen; /* store batches open when a place was sent */
    lg_store_t *store;
} broker_t;

static int send_cmd(void *b, const lg_cmd_t *cmd) {
    broker_t *k = b;
    if (k->refuse && cmd->kind == LG_CMD_PLACE) return LG_ENOSPACE;
    assert_true(k->n < 64);
    k->sent[k->n++] = *cmd;
    if (cmd->kind == LG_CMD_PLACE && !cmd->risk_reducing) /* write-ahead: committed first */
        assert_false(lg_store_in_batch(k->store));
    return LG_OK;
}

typedef struct fixture {
    uv_loop_t loop;
    lg_instruments_t master;
    lg_engine_t *eng;
    lg_store_t *store;
    lg_live_t *live;
    broker_t broker;
    char path[64];
} fixture_t;

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    lg_test_master(&f->master);
    lg_engine_config_t c;
    lg_engine_config_default(&c);
    c.risk_off = 1; /* the lifecycle alone: risk has its own tests */
    /* the shared master expires in July 2026: the engine is told it is 1 July */
    c.clock_offset_ns = (lg_ns_t)lg_days_from_civil(2026, 7, 1) * 86400 * LG_NS_PER_S;
    assert_int_equal(lg_engine_create(&c, &f->master, &f->eng), LG_OK);
    snprintf(f->path, sizeof f->path, "/tmp/lg_live_%d.db", (int)getpid());
    unlink(f->path);
    char err[128];
    assert_int_equal(lg_store_open(f->path, LG_DUR_NORMAL, &f->store, err, sizeof err), LG_OK);
    assert_int_equal(lg_store_save_setup(f->store, &f->master, &c), LG_OK);
    f->broker.store = f->store;
    lg_live_config_t lc = {.loop = &f->loop, .engine = f->eng, .store = f->store,
                           .send = send_cmd, .broker = &f->broker};
    assert_int_equal(lg_live_create(&lc, &f->live), LG_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    lg_live_close(f->live);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    lg_store_close(f->store);
    lg_engine_destroy(f->eng);
    lg_instruments_free(&f->master);
    unlink(f->path);
    free(f);
    return 0;
}

static lg_group_spec_t call_spread(void) {
    lg_group_spec_t s = {.n_legs = 2, .policy = -1, .on_incomplete = -1};
    s.legs[0] = (lg_leg_spec_t){.token = T_C24200, .side = -1, .covered_by = -1, .qty = 65,
                                .limit_price = 10000};
    s.legs[1] = (lg_leg_spec_t){.token = T_C24400, .side = 1, .covered_by = -1, .qty = 65,
                                .limit_price = 5000};
    return s;
}

static void test_entry_leaves_at_commit(void **state) {
    fixture_t *f = *state;
    lg_group_spec_t s = call_spread();
    uint32_t g = 0;
    uint64_t seq0 = 0, steps0 = 0;
    lg_store_last(f->store, &seq0, &steps0);
    assert_int_equal(lg_live_submit(f->live, &s, &g), LG_OK);
    assert_true(g != 0);
    /* the submit committed its batch and the entries left within the call */
    uint64_t seq1 = 0, steps1 = 0;
    lg_store_last(f->store, &seq1, &steps1);
    assert_true(steps1 > steps0);
    lg_live_stats_t st0;
    lg_live_stats(f->live, &st0);
    assert_int_equal(st0.commits, 1);
    assert_true(f->broker.n >= 1);
    const lg_cmd_t *first = &f->broker.sent[0];
    assert_int_equal(first->kind, LG_CMD_PLACE);
    assert_int_equal(first->token, T_C24400); /* protection first */
    for (uint32_t i = 0; i < f->broker.n; i++) assert_int_not_equal(f->broker.sent[i].token, T_C24200);
    /* the broker acks and fills the protection */
    lg_event_t ack = {.kind = LG_EV_ORDER_ACK};
    lg_strlcpy(ack.u.ack.tag, first->tag, sizeof ack.u.ack.tag);
    lg_strlcpy(ack.u.ack.broker_id, "2600000000000000001", sizeof ack.u.ack.broker_id);
    assert_int_equal(lg_live_event(f->live, &ack), LG_OK);
    lg_event_t up = {.kind = LG_EV_ORDER_UPDATE};
    lg_strlcpy(up.u.update.tag, first->tag, sizeof up.u.update.tag);
    lg_strlcpy(up.u.update.broker_id, "2600000000000000001", sizeof up.u.update.broker_id);
    up.u.update.status = LG_KS_COMPLETE;
    up.u.update.quantity = 65;
    up.u.update.filled = 65;
    up.u.update.avg_price = 5000;
    assert_int_equal(lg_live_event(f->live, &up), LG_OK);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    bool short_sent = false;
    for (uint32_t i = 0; i < f->broker.n; i++) short_sent |= f->broker.sent[i].token == T_C24200;
    assert_true(short_sent); /* covered now: the short may go */
    lg_live_stats_t st;
    lg_live_stats(f->live, &st);
    assert_int_equal(st.steps, 3);
    assert_true(st.commits >= 2);
    uint64_t seq = 0, steps = 0;
    lg_store_last(f->store, &seq, &steps);
    assert_true(steps >= 3); /* every step journaled */
}

static void test_wake_up_is_a_timer(void **state) {
    fixture_t *f = *state;
    lg_group_spec_t s = call_spread();
    s.entry_timeout_ns = 30 * LG_NS_PER_MS; /* nothing fills: the entry times out */
    uint32_t g = 0;
    assert_int_equal(lg_live_submit(f->live, &s, &g), LG_OK);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    for (int i = 0; i < 200; i++) {
        lg_live_stats_t st;
        lg_live_stats(f->live, &st);
        if (st.timers > 0) break;
        uv_run(&f->loop, UV_RUN_ONCE);
    }
    lg_live_stats_t st;
    lg_live_stats(f->live, &st);
    assert_true(st.timers > 0);
}

static void test_refused_send_fails_the_group(void **state) {
    fixture_t *f = *state;
    f->broker.refuse = true;
    lg_group_spec_t s = call_spread();
    uint32_t g = 0;
    assert_int_equal(lg_live_submit(f->live, &s, &g), LG_OK);
    uv_run(&f->loop, UV_RUN_NOWAIT); /* commit: the place is refused */
    lg_live_stats_t st;
    lg_live_stats(f->live, &st);
    assert_true(st.send_refused >= 1);
    for (int i = 0; i < 10; i++) uv_run(&f->loop, UV_RUN_NOWAIT); /* the error is fed back */
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->eng, g, &v), LG_OK);
    assert_true(v.state == LG_GS_FAILED || v.state == LG_GS_EMERGENCY_HEDGED ||
                v.state == LG_GS_CLOSED || v.state == LG_GS_REJECTED);
    assert_int_equal(f->broker.n, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_entry_leaves_at_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wake_up_is_a_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_send_fails_the_group, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
