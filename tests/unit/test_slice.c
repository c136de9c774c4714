/*
 * test_slice.c — unit tests for freeze-quantity slicing (src/core/slice.c): the
 * 100-lot NIFTY case, exact multiples, one lot, every error, and the rule that an
 * error writes nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "legato/numeric.h"

#define SENTINEL ((lg_qty_t)-777)

static void fill(lg_qty_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        out[i] = SENTINEL;
    }
}

static void test_nifty_100_lots(void **state) {
    (void)state;
    lg_qty_t out[8];
    uint32_t n = 0;
    fill(out, LG_COUNT(out));
    assert_int_equal(lg_slice_plan(6500, 65, 1800, out, LG_COUNT(out), &n), LG_OK);
    assert_int_equal(n, 4);
    assert_int_equal(out[0], 1755);
    assert_int_equal(out[1], 1755);
    assert_int_equal(out[2], 1755);
    assert_int_equal(out[3], 1235);
    assert_int_equal(out[4], SENTINEL); /* nothing past n */
}

static void test_exact_multiples(void **state) {
    (void)state;
    lg_qty_t out[8];
    uint32_t n = 0;
    /* freeze a whole number of lots: 3 children of exactly freeze */
    assert_int_equal(lg_slice_plan(5400, 15, 1800, out, LG_COUNT(out), &n), LG_OK);
    assert_int_equal(n, 3);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(out[i], 1800);
    }
    /* qty exactly the largest child (27 lots of 65) */
    assert_int_equal(lg_slice_plan(1755, 65, 1800, out, LG_COUNT(out), &n), LG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 1755);
    /* qty == freeze == lot */
    assert_int_equal(lg_slice_plan(75, 75, 75, out, LG_COUNT(out), &n), LG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 75);
    /* freeze == lot: one lot per child */
    assert_int_equal(lg_slice_plan(300, 75, 75, out, LG_COUNT(out), &n), LG_OK);
    assert_int_equal(n, 4);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(out[i], 75);
    }
}

static void test_one_lot(void **state) {
    (void)state;
    lg_qty_t out[2];
    uint32_t n = 0;
    assert_int_equal(lg_slice_plan(65, 65, 1800, out, LG_COUNT(out), &n), LG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 65);
    assert_int_equal(lg_slice_plan(30, 30, 900, out, 1, &n), LG_OK); /* max = 1 suffices */
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 30);
}

/* Every child is whole lots, at most freeze, non-increasing, and they sum to qty. */
static void test_properties(void **state) {
    (void)state;
    lg_qty_t out[64];
    for (lg_qty_t lot = 15; lot <= 75; lot += 15) {
        for (lg_qty_t freeze = lot; freeze <= 1800; freeze += 97) {
            for (lg_qty_t lots = 1; lots <= 200; lots += 7) {
                uint32_t n = 0;
                int rc = lg_slice_plan(lots * lot, lot, freeze, out, LG_COUNT(out), &n);
                lg_qty_t per = freeze / lot;
                uint32_t want = (uint32_t)((lots + per - 1) / per);
                if (want > LG_COUNT(out)) {
                    assert_int_equal(rc, LG_EPOOL_FULL);
                    continue;
                }
                assert_int_equal(rc, LG_OK);
                assert_int_equal(n, want);
                lg_qty_t sum = 0;
                for (uint32_t i = 0; i < n; i++) {
                    assert_true(out[i] > 0 && out[i] <= freeze && out[i] % lot == 0);
                    assert_true(i == 0 || out[i] <= out[i - 1]);
                    assert_true(i + 1 == n || out[i] == per * lot);
                    sum += out[i];
                }
                assert_int_equal(sum, lots * lot);
            }
        }
    }
}

static void test_bad_quantities(void **state) {
    (void)state;
    lg_qty_t out[8];
    uint32_t n = 99;
    fill(out, LG_COUNT(out));
    assert_int_equal(lg_slice_plan(0, 65, 1800, out, LG_COUNT(out), &n), LG_EQTY);
    assert_int_equal(lg_slice_plan(-65, 65, 1800, out, LG_COUNT(out), &n), LG_EQTY);
    assert_int_equal(lg_slice_plan(100, 65, 1800, out, LG_COUNT(out), &n), LG_EQTY); /* not whole lots */
    assert_int_equal(lg_slice_plan(6501, 65, 1800, out, LG_COUNT(out), &n), LG_EQTY);
    assert_int_equal(lg_slice_plan(6500, 0, 1800, out, LG_COUNT(out), &n), LG_EQTY);
    assert_int_equal(lg_slice_plan(6500, -65, 1800, out, LG_COUNT(out), &n), LG_EQTY);
    assert_int_equal(lg_slice_plan(6500, 65, 64, out, LG_COUNT(out), &n), LG_EQTY); /* freeze < lot */
    assert_int_equal(lg_slice_plan(6500, 65, 0, out, LG_COUNT(out), &n), LG_EQTY);
    assert_int_equal(lg_slice_plan(6500, 65, -1800, out, LG_COUNT(out), &n), LG_EQTY);
    assert_int_equal(n, 99);
    assert_int_equal(out[0], SENTINEL);
}

static void test_too_many_children(void **state) {
    (void)state;
    lg_qty_t out[8];
    uint32_t n = 99;
    fill(out, LG_COUNT(out));
    assert_int_equal(lg_slice_plan(6500, 65, 1800, out, 3, &n), LG_EPOOL_FULL);
    assert_int_equal(lg_slice_plan(6500, 65, 65, out, LG_COUNT(out), &n), LG_EPOOL_FULL);
    assert_int_equal(lg_slice_plan(65, 65, 1800, NULL, 0, &n), LG_EPOOL_FULL);
    assert_int_equal(n, 99);
    for (size_t i = 0; i < LG_COUNT(out); i++) {
        assert_int_equal(out[i], SENTINEL);
    }
    /* exactly enough room */
    assert_int_equal(lg_slice_plan(6500, 65, 1800, out, 4, &n), LG_OK);
    assert_int_equal(n, 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nifty_100_lots),
        cmocka_unit_test(test_exact_multiples),
        cmocka_unit_test(test_one_lot),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_bad_quantities),
        cmocka_unit_test(test_too_many_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
