/*
 * test_margin.c — the scenario margin model (margin.h): a lone long option needs its
 * premium only; a short needs its scan loss and exposure; a spread needs less than its
 * legs alone and no more than its worst loss; offsetting futures need exposure only;
 * bad legs are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "legato/margin.h"
#include "legato/numeric.h"

static const double SPOT = 26000.0, T = 7.0 / 365.0, IV = 0.13;

static lg_margin_leg_t option(lg_kind_t k, double strike, lg_qty_t qty) {
    double p = lg_b76_price(k == LG_KIND_CE, SPOT, strike, T, 0.0, IV);
    return (lg_margin_leg_t){.kind = k, .und = 0, .spot = SPOT, .strike = strike, .t_years = T,
                             .iv = IV, .qty = qty, .price = (lg_paise_t)(p * 100.0 + 0.5)};
}

static lg_margin_t calc(const lg_margin_leg_t *legs, uint32_t n) {
    lg_margin_params_t p;
    lg_margin_params_default(&p);
    lg_margin_t m;
    assert_int_equal(lg_margin_calc(legs, n, &p, &m), LG_OK);
    assert_int_equal(m.total, m.span + m.exposure + m.option_premium);
    return m;
}

static void test_long_option_is_premium(void **state) {
    (void)state;
    lg_margin_leg_t l = option(LG_KIND_CE, 26200, 65);
    lg_margin_t m = calc(&l, 1);
    assert_int_equal(m.span, 0);
    assert_int_equal(m.exposure, 0);
    assert_int_equal(m.option_premium, l.price * 65);
}

static void test_short_option(void **state) {
    (void)state;
    lg_margin_leg_t l = option(LG_KIND_PE, 26000, -65);
    lg_margin_t m = calc(&l, 1);
    assert_true(m.span > 0);
    assert_int_equal(m.option_premium, 0);
    assert_int_equal(m.exposure, (lg_paise_t)(0.02 * 65 * SPOT * 100.0 + 0.5));
    /* a 6% fall costs a short ATM put at least (6% of spot − premium) per unit */
    assert_true((double)m.span / 100.0 > (0.06 * SPOT - (double)l.price / 100.0) * 65 * 0.9);
}

static void test_spread_benefit(void **state) {
    (void)state;
    lg_margin_leg_t legs[2] = {option(LG_KIND_CE, 26000, -65), option(LG_KIND_CE, 26200, 65)};
    lg_margin_t alone0 = calc(&legs[0], 1), alone1 = calc(&legs[1], 1);
    lg_margin_t both = calc(legs, 2);
    assert_true(both.total < alone0.total + alone1.total);
    assert_true(both.total < alone0.total);
    /* the worst a 200-point call spread can lose is its width */
    double width = 200.0 * 65;
    assert_true((double)both.span / 100.0 <= width);
    assert_true(both.total > 0);
    /* the spread is symmetric in order */
    lg_margin_leg_t rev[2] = {legs[1], legs[0]};
    assert_int_equal(calc(rev, 2).total, both.total);
}

static void test_futures_offset(void **state) {
    (void)state;
    lg_margin_leg_t f = {.kind = LG_KIND_FUT, .und = 0, .spot = SPOT, .qty = 65,
                         .price = (lg_paise_t)(SPOT * 100)};
    lg_margin_t one = calc(&f, 1);
    assert_true(one.span > 0);
    lg_margin_leg_t pair[2] = {f, f};
    pair[1].qty = -65;
    lg_margin_t both = calc(pair, 2);
    assert_int_equal(both.span, 0);
    assert_int_equal(both.exposure, 2 * one.exposure);
    /* different underlyings do not offset */
    pair[1].und = 1;
    assert_true(calc(pair, 2).span > 0);
}

static void test_refusals(void **state) {
    (void)state;
    lg_margin_params_t p;
    lg_margin_params_default(&p);
    lg_margin_t m;
    lg_margin_leg_t l = option(LG_KIND_CE, 26000, 65);
    l.t_years = 0;
    assert_int_equal(lg_margin_calc(&l, 1, &p, &m), LG_EINVAL);
    l = option(LG_KIND_CE, 26000, 65);
    l.spot = -1;
    assert_int_equal(lg_margin_calc(&l, 1, &p, &m), LG_EINVAL);
    lg_margin_leg_t many[LG_MARGIN_MAX_LEGS + 1];
    for (size_t i = 0; i < LG_COUNT(many); i++) many[i] = option(LG_KIND_CE, 26000, 65);
    assert_int_equal(lg_margin_calc(many, LG_MARGIN_MAX_LEGS + 1, &p, &m), LG_ENOSPACE);
    assert_int_equal(lg_margin_calc(NULL, 0, &p, &m), LG_OK);
    assert_int_equal(m.total, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_option_is_premium), cmocka_unit_test(test_short_option),
        cmocka_unit_test(test_spread_benefit),         cmocka_unit_test(test_futures_offset),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
