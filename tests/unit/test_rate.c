/*
 * test_rate.c — the broker's request limits: 10 order requests a second, 400 a minute,
 * a daily cap, look-ups on their own limit, risk-reducing orders first, a 429's backoff,
 * a full queue refused (never dropped), and — over a long random run — no window of a
 * second or a minute ever holds more than its limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "legato/rate.h"

#define S LG_NS_PER_S

/* Exact windows (no guard) unless a test says otherwise. */
static lg_rate_t *make_guarded(uint32_t per_day, uint32_t cap, lg_ns_t guard) {
    lg_rate_config_t c;
    lg_rate_config_default(&c);
    c.orders_per_day = per_day;
    c.queue_cap = cap;
    c.guard_ns = guard;
    lg_rate_t *r = NULL;
    assert_int_equal(lg_rate_create(&c, &r), LG_OK);
    return r;
}

static lg_rate_t *make(uint32_t per_day, uint32_t cap) {
    return make_guarded(per_day, cap, 0);
}

static lg_cmd_t cmd(lg_cmd_kind_t k, bool reducing, int id) {
    lg_cmd_t c = {.kind = k, .risk_reducing = reducing, .qty = id};
    snprintf(c.tag, sizeof c.tag, "T%d", id);
    return c;
}

/* Pops everything allowed at `now`; returns how many left. */
static uint32_t drain(lg_rate_t *r, lg_ns_t now, lg_cmd_t *got, uint32_t cap, lg_ns_t *next) {
    uint32_t n = 0;
    lg_cmd_t c;
    while (n < cap && lg_rate_pop(r, now, &c, next) == 1) got[n++] = c;
    return n;
}

static void test_per_second(void **st) {
    (void)st;
    lg_rate_t *r = make(5000, 64);
    for (int i = 0; i < 25; i++) assert_int_equal(lg_rate_push(r, &(lg_cmd_t){0}, 0), LG_EINVAL);
    for (int i = 0; i < 25; i++) {
        lg_cmd_t c = cmd(LG_CMD_PLACE, false, i);
        assert_int_equal(lg_rate_push(r, &c, 0), LG_OK);
    }
    lg_cmd_t got[32];
    lg_ns_t next = 0;
    assert_int_equal(drain(r, 0, got, 32, &next), 10);
    assert_true(next == 1 * S);
    for (int i = 0; i < 10; i++) assert_true(got[i].qty == i); /* first in, first out */
    assert_int_equal(drain(r, S - 1, got, 32, &next), 0);
    assert_int_equal(drain(r, S, got, 32, &next), 10);
    assert_int_equal(drain(r, 2 * S, got, 32, &next), 5);
    assert_true(next == INT64_MAX);
    lg_rate_stats_t s;
    lg_rate_stats(r, &s);
    assert_true(s.sent == 25 && s.waiting == 0 && s.max_wait_ns == 2 * S && s.day_left == 4975);
    lg_rate_destroy(r);
}

static void test_reducing_first_and_queries_apart(void **st) {
    (void)st;
    lg_rate_t *r = make(5000, 64);
    for (int i = 0; i < 15; i++) {
        lg_cmd_t c = cmd(LG_CMD_PLACE, false, i);
        lg_rate_push(r, &c, 0);
    }
    lg_cmd_t got[32];
    lg_ns_t next;
    assert_int_equal(drain(r, 0, got, 32, &next), 10);
    lg_cmd_t h = cmd(LG_CMD_PLACE, true, 100), x = cmd(LG_CMD_CANCEL, true, 101);
    lg_rate_push(r, &h, S / 2);
    lg_rate_push(r, &x, S / 2);
    for (int i = 0; i < 10; i++) { /* look-ups do not wait for orders */
        lg_cmd_t q = cmd(i % 2 ? LG_CMD_QUERY_ORDER : LG_CMD_QUERY_POSITIONS, true, 200 + i);
        lg_rate_push(r, &q, S / 2);
    }
    assert_int_equal(drain(r, S / 2, got, 32, &next), 10);
    for (int i = 0; i < 10; i++) assert_true(got[i].kind >= LG_CMD_QUERY_ORDER);
    assert_int_equal(drain(r, S, got, 32, &next), 7);
    assert_true(got[0].qty == 100 && got[1].qty == 101); /* the hedge and the cancel first */
    assert_true(got[2].qty == 10 && got[6].qty == 14);
    lg_rate_destroy(r);
}

static void test_per_minute_and_day(void **st) {
    (void)st;
    lg_rate_t *r = make(450, 1024);
    for (int i = 0; i < 500; i++) {
        lg_cmd_t c = cmd(LG_CMD_PLACE, false, i);
        lg_rate_push(r, &c, 0);
    }
    lg_cmd_t got[16];
    lg_ns_t next = 0, t = 0;
    uint32_t sent = 0;
    for (int k = 0; k < 1000 && next != INT64_MAX; k++) {
        sent += drain(r, t, got, 16, &next);
        if (sent == 400) assert_true(next == 60 * S); /* the minute's first send + 60 s */
        if (next != INT64_MAX) t = next;
    }
    assert_int_equal(sent, 450); /* the daily cap */
    lg_rate_stats_t s;
    lg_rate_stats(r, &s);
    assert_true(s.day_left == 0 && s.waiting == 50);
    lg_rate_new_day(r);
    assert_int_equal(drain(r, t + 120 * S, got, 16, &next), 10);
    lg_rate_destroy(r);
}

static void test_backoff_and_full(void **st) {
    (void)st;
    lg_rate_t *r = make(0, 3);
    lg_cmd_t c = cmd(LG_CMD_PLACE, false, 1);
    for (int i = 0; i < 3; i++) assert_int_equal(lg_rate_push(r, &c, 0), LG_OK);
    assert_int_equal(lg_rate_push(r, &c, 0), LG_EPOOL_FULL); /* refused, said so */
    lg_rate_backoff(r, 5 * S);
    lg_cmd_t got[4];
    lg_ns_t next;
    assert_int_equal(drain(r, S, got, 4, &next), 0);
    assert_true(next == 5 * S);
    assert_int_equal(drain(r, 5 * S, got, 4, &next), 3);
    lg_rate_stats_t s;
    lg_rate_stats(r, &s);
    assert_true(s.refused == 1 && s.day_left == UINT32_MAX);
    lg_rate_destroy(r);
    lg_rate_config_t bad;
    lg_rate_config_default(&bad);
    bad.orders_per_second = 0;
    lg_rate_t *none = (lg_rate_t *)1;
    assert_int_equal(lg_rate_create(&bad, &none), LG_EINVAL);
    assert_null(none);
}

/* A long random run: no second holds more than 10 order sends, no minute more than 400,
 * nothing is lost, and risk-reducing orders never wait behind risk-adding ones. */
static void test_windows_never_exceeded(void **st) {
    (void)st;
    lg_rate_t *r = make(0, 100000);
    enum { N = 20000 };
    static lg_ns_t sent_at[N];
    uint32_t n_sent = 0, pushed = 0;
    uint64_t x = 88172645463325252ull;
    lg_ns_t t = 0;
    for (int step = 0; step < 200000 && n_sent < N; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        t += (lg_ns_t)(x % (40 * LG_NS_PER_MS));
        if (pushed < N && x % 3 != 0) {
            lg_cmd_t c = cmd(LG_CMD_PLACE, x % 5 == 0, (int)pushed);
            assert_int_equal(lg_rate_push(r, &c, t), LG_OK);
            pushed++;
        }
        lg_cmd_t c;
        lg_ns_t next;
        for (int k = 0; k < 32 && lg_rate_pop(r, t, &c, &next) == 1; k++) sent_at[n_sent++] = t;
    }
    assert_true(n_sent > 5000);
    for (uint32_t i = 10; i < n_sent; i++) assert_true(sent_at[i] - sent_at[i - 10] >= S);
    for (uint32_t i = 400; i < n_sent; i++) assert_true(sent_at[i] - sent_at[i - 400] >= 60 * S);
    lg_rate_stats_t s;
    lg_rate_stats(r, &s);
    assert_true(s.sent == n_sent && s.waiting == pushed - n_sent);
    lg_rate_destroy(r);
}

/* The default guard widens every window: the 11th order of a second leaves 1.05 s after
 * the first, so jitter on the way cannot put 11 into one second at the broker. */
static void test_guard(void **st) {
    (void)st;
    lg_rate_config_t d;
    lg_rate_config_default(&d);
    assert_true(d.guard_ns == 50 * LG_NS_PER_MS);
    lg_rate_t *r = make_guarded(0, 64, d.guard_ns);
    for (int i = 0; i < 11; i++) {
        lg_cmd_t c = cmd(LG_CMD_MODIFY, false, i); /* a modification is an order request */
        assert_int_equal(lg_rate_push(r, &c, 0), LG_OK);
    }
    lg_cmd_t got[16];
    lg_ns_t next = 0;
    assert_int_equal(drain(r, 0, got, 16, &next), 10);
    assert_true(next == S + d.guard_ns);
    assert_int_equal(drain(r, S, got, 16, &next), 0);
    assert_int_equal(drain(r, S + d.guard_ns, got, 16, &next), 1);
    lg_rate_destroy(r);
    lg_rate_config_t bad = d;
    bad.guard_ns = S;
    lg_rate_t *none = (lg_rate_t *)1;
    assert_int_equal(lg_rate_create(&bad, &none), LG_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_second),
        cmocka_unit_test(test_reducing_first_and_queries_apart),
        cmocka_unit_test(test_per_minute_and_day),
        cmocka_unit_test(test_backoff_and_full),
        cmocka_unit_test(test_windows_never_exceeded),
        cmocka_unit_test(test_guard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
