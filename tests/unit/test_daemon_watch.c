/*
 * test_daemon_watch.c — the instruments the daemon subscribes to (src/app/daemon_watch.c):
 * a master that fits is taken whole, in its order; a larger one gives the futures first,
 * then every underlying's options in turn by nearest expiry, the middle strikes of a chain
 * before its wings, never more than the connection takes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/app/daemon_int.h"
#include "test_master.h"

static void add_on(lg_instruments_t *m, const char *und, uint32_t tok, lg_kind_t k, int32_t expiry,
                   lg_paise_t strike) {
    lg_instrument_t in = {.token = tok, .kind = k, .strike = k == LG_KIND_FUT ? 0 : strike,
                          .lot = 65, .tick = 5, .freeze = 1800, .expiry_day = expiry};
    snprintf(in.symbol, sizeof in.symbol, "X%u", tok);
    snprintf(in.underlying, sizeof in.underlying, "%s", und);
    assert_int_equal(lg_instruments_add(m, &in), LG_OK);
}

static void add(lg_instruments_t *m, uint32_t tok, lg_kind_t k, int32_t expiry) {
    add_on(m, "NIFTY", tok, k, expiry, 2400000);
}

static void test_fits_whole(void **st) {
    (void)st;
    lg_instruments_t m;
    lg_test_master(&m);
    uint32_t t[8];
    assert_int_equal(lg_daemon_watchlist(&m, LG_DAEMON_SUBSCRIBE_MAX, t), 5);
    for (uint32_t i = 0; i < 5; i++) assert_int_equal(t[i], m.items[i].token);
    lg_instruments_free(&m);
}

static void test_nearest_first(void **st) {
    (void)st;
    lg_instruments_t m;
    assert_int_equal(lg_instruments_init(&m, 16), LG_OK);
    add(&m, 10, LG_KIND_CE, 20700); /* far */
    add(&m, 11, LG_KIND_PE, 20650); /* near */
    add(&m, 12, LG_KIND_FUT, 20700);
    add(&m, 13, LG_KIND_CE, 20650); /* near, after 11 in the master */
    add(&m, 14, LG_KIND_CE, 20680);
    add(&m, 15, LG_KIND_FUT, 20650);
    uint32_t t[6] = {0};
    assert_int_equal(lg_daemon_watchlist(&m, 4, t), 4);
    assert_int_equal(t[0], 15); /* the futures, nearest first */
    assert_int_equal(t[1], 12);
    assert_int_equal(t[2], 11); /* then the nearest expiry */
    assert_int_equal(t[3], 13);
    assert_int_equal(lg_daemon_watchlist(&m, 5, t), 5);
    assert_int_equal(t[4], 14);
    lg_instruments_free(&m);
}

/* Underlyings in turn, and the strikes near the middle of a chain before its wings. */
static void test_underlyings_and_strikes(void **st) {
    (void)st;
    lg_instruments_t m;
    assert_int_equal(lg_instruments_init(&m, 32), LG_OK);
    /* NIFTY: a near chain of five strikes listed wing first, and a later expiry */
    const lg_paise_t ns[5] = {2300000, 2350000, 2400000, 2450000, 2500000};
    for (uint32_t i = 0; i < 5; i++) add_on(&m, "NIFTY", 100 + i, LG_KIND_CE, 20650, ns[i]);
    add_on(&m, "NIFTY", 110, LG_KIND_CE, 20657, 2400000);
    /* BANKNIFTY: its own nearest expiry is later than NIFTY's */
    add_on(&m, "BANKNIFTY", 200, LG_KIND_CE, 20680, 5000000);
    add_on(&m, "BANKNIFTY", 201, LG_KIND_CE, 20680, 5100000);
    add_on(&m, "BANKNIFTY", 202, LG_KIND_CE, 20680, 5200000);
    add_on(&m, "BANKNIFTY", 300, LG_KIND_FUT, 20680, 0);
    uint32_t t[16] = {0};
    assert_int_equal(lg_daemon_watchlist(&m, 4, t), 4);
    assert_int_equal(t[0], 300);       /* the future */
    assert_true(t[1] == 102 || t[2] == 102); /* each underlying's middle strike... */
    assert_true(t[1] == 201 || t[2] == 201); /* ...of its own nearest expiry */
    assert_int_not_equal(t[3], 110);   /* NIFTY's next expiry waits for the near strikes */
    assert_int_not_equal(t[3], 100);   /* and the wings wait for the middle */
    assert_int_equal(lg_daemon_watchlist(&m, 10, t), 10);
    bool seen110 = false;
    for (uint32_t i = 0; i < 10; i++) seen110 |= t[i] == 110;
    assert_true(seen110);
    lg_instruments_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fits_whole),
        cmocka_unit_test(test_nearest_first),
        cmocka_unit_test(test_underlyings_and_strikes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
