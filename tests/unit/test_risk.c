/*
 * test_risk.c — the risk engine's pure parts (risk.h): limits refused by name when
 * out of sense or contradicting; sizing decided by each bound in turn, the daily-loss
 * throttle (75% smaller past half the limit, nothing past it), the volatility
 * multiplier and the confidence; every pre-trade rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "legato/numeric.h"
#include "legato/risk.h"
#include "test_master.h"

static lg_risk_config_t cfg(void) {
    lg_risk_config_t c;
    lg_risk_config_default(&c);
    return c;
}

static void refused(const lg_risk_config_t *c, const char *needle) {
    char err[200] = "";
    assert_int_not_equal(lg_risk_config_check(c, err, sizeof err), LG_OK);
    if (strstr(err, needle) == NULL) fail_msg("'%s' does not name '%s'", err, needle);
}

static void test_config_refusals(void **state) {
    (void)state;
    lg_risk_config_t c = cfg();
    char err[200];
    assert_int_equal(lg_risk_config_check(&c, err, sizeof err), LG_OK);
    c.max_lots_group = 0;
    refused(&c, "max_lots_group");
    c = cfg(), c.max_lots_order = 0;
    refused(&c, "max_lots_order");
    c = cfg(), c.daily_loss_limit = -100;
    refused(&c, "daily_loss_limit");
    c = cfg(), c.max_lots_order = 500;
    refused(&c, "contradict");
    c = cfg(), c.max_notional_order = 200, c.max_notional_group = 100;
    refused(&c, "contradict");
    c = cfg(), c.greeks.max_delta = -1;
    refused(&c, "max_delta");
    c = cfg(), c.greeks.max_vega = 0.0 / 0.0;
    refused(&c, "max_vega");
    c = cfg(), c.loss_throttle = 1.0;
    refused(&c, "loss_throttle");
    c = cfg(), c.margin_use = 0;
    refused(&c, "margin_use");
    c = cfg(), c.vol_bands[2].iv_from = 0.1;
    refused(&c, "ascend");
    c = cfg(), c.max_units = 0;
    refused(&c, "max_units");
    c = cfg(), c.shock.addon = -1;
    refused(&c, "addon");
}

static lg_size_input_t input(void) {
    return (lg_size_input_t){.available = 1000000 * 100LL, .need_per_unit = 40000 * 100LL,
                             .iv = 0.12, .confidence = 1.0, .lots_per_unit = 2,
                             .delta_unit = 5.0, .vega_unit = 100.0};
}

static uint32_t size(const lg_risk_config_t *c, const lg_size_input_t *in, lg_bound_t want) {
    lg_size_result_t r;
    int rc = lg_risk_size(c, in, &r);
    if (r.bound != want) fail_msg("decided by %s, want %s: %s", lg_bound_name(r.bound),
                                  lg_bound_name(want), r.why);
    assert_int_equal(rc, r.units > 0 ? LG_OK : LG_ELIMIT);
    assert_non_null(strstr(r.why, lg_bound_name(want)));
    return r.units;
}

static void test_sizing_bounds(void **state) {
    (void)state;
    lg_risk_config_t c = cfg();
    lg_size_input_t in = input();
    /* ₹10 lakh × 0.9 / ₹40 000 = 22.5 */
    assert_int_equal(size(&c, &in, LG_BOUND_MARGIN), 22);
    in.broker_per_unit = 60000 * 100LL; /* the broker asks more: it decides */
    assert_int_equal(size(&c, &in, LG_BOUND_MARGIN), 15);
    in = input();
    in.delta_now = 950, in.delta_unit = 5; /* (1000 − 950) / 5 = 10 */
    assert_int_equal(size(&c, &in, LG_BOUND_DELTA), 10);
    in = input();
    in.vega_now = -24000, in.vega_unit = -100; /* 1000 / 100 = 10; 9 after 24 900 */
    in.vega_now = -24100;
    assert_int_equal(size(&c, &in, LG_BOUND_VEGA), 9);
    in = input();
    c.max_units = 5;
    assert_int_equal(size(&c, &in, LG_BOUND_CAPS), 5);
    c = cfg(), c.max_lots_group = 12; /* 2 lots a unit */
    assert_int_equal(size(&c, &in, LG_BOUND_CAPS), 6);
    c = cfg();
    /* margin exhausted */
    in.available = 30000 * 100LL;
    assert_int_equal(size(&c, &in, LG_BOUND_MARGIN), 0);
}

static void test_loss_throttle(void **state) {
    (void)state;
    lg_risk_config_t c = cfg();
    lg_size_input_t in = input();
    in.day_pnl = -c.daily_loss_limit / 2 + 100; /* not yet half */
    assert_int_equal(size(&c, &in, LG_BOUND_MARGIN), 22);
    in.day_pnl = -c.daily_loss_limit / 2; /* half: 75% smaller */
    assert_int_equal(size(&c, &in, LG_BOUND_LOSS), 5); /* floor(22 × 0.25) */
    in.day_pnl = -c.daily_loss_limit; /* the limit: nothing */
    assert_int_equal(size(&c, &in, LG_BOUND_LOSS), 0);
}

static void test_volatility_and_confidence(void **state) {
    (void)state;
    lg_risk_config_t c = cfg();
    lg_size_input_t in = input();
    in.iv = 0.25; /* band 0.20: × 0.75 */
    assert_int_equal(size(&c, &in, LG_BOUND_MARGIN), 16);
    in.iv = 0.50; /* × 0.25 */
    assert_int_equal(size(&c, &in, LG_BOUND_MARGIN), 5);
    in.confidence = 0.5;
    assert_int_equal(size(&c, &in, LG_BOUND_MARGIN), 2);
    in = input();
    in.available = 50000 * 100LL; /* margin allows 1 */
    in.iv = 0.5;                  /* × 0.25 → 0 */
    assert_int_equal(size(&c, &in, LG_BOUND_VOLATILITY), 0);
    assert_true(fabs(lg_risk_vol_mult(&c, 0.31) - 0.5) < 1e-12);
    assert_true(fabs(lg_risk_vol_mult(&c, 0.05) - 1.0) < 1e-12);
    /* bad inputs: named, never a guessed size */
    lg_size_result_t r;
    in = input(), in.confidence = 0;
    assert_int_equal(lg_risk_size(&c, &in, &r), LG_EINVAL);
    assert_non_null(strstr(r.why, "confidence"));
    in = input(), in.iv = 0;
    assert_int_equal(lg_risk_size(&c, &in, &r), LG_ENODATA);
    assert_non_null(strstr(r.why, "volatility"));
    assert_int_equal(r.units, 0);
}

static void test_pretrade(void **state) {
    (void)state;
    lg_instruments_t m;
    lg_test_master(&m);
    const lg_instrument_t *c1 = lg_instruments_find(&m, T_C24200), *c2 = lg_instruments_find(&m, T_C24400);
    lg_risk_config_t c = cfg();
    lg_trade_leg_t legs[2] = {
        {.ins = c2, .side = 1, .qty = 130, .ltp = 5000, .forward = 24100},
        {.ins = c1, .side = -1, .qty = 130, .limit = 12000, .ltp = 12050, .band_lo = 100,
         .band_hi = 50000, .forward = 24100}};
    lg_trade_ctx_t ctx = {.unix_ns = (int64_t)20600 * 86400 * LG_NS_PER_S, .tstate = LG_TS_ACTIVE};
    char err[200];
    assert_int_equal(lg_risk_pretrade(&c, legs, 2, &ctx, err, sizeof err), LG_OK);
#define REFUSE(code, needle)                                                          \
    do {                                                                              \
        assert_int_equal(lg_risk_pretrade(&c, legs, 2, &ctx, err, sizeof err), code); \
        if (strstr(err, needle) == NULL) fail_msg("'%s' lacks '%s'", err, needle);    \
    } while (0)
    lg_trade_leg_t keep = legs[1];
    legs[1].limit = 12003;
    REFUSE(LG_ETICK, "NIFTY26JUL24200CE");
    legs[1] = keep, legs[1].limit = 60000;
    REFUSE(LG_EPRICE, "circuit band");
    legs[1] = keep, legs[1].qty = 100;
    REFUSE(LG_EQTY, "whole lots");
    legs[1] = keep, legs[1].ltp = 0;
    REFUSE(LG_ENODATA, "not tradable");
    legs[1] = keep;
    ctx.unix_ns = (int64_t)20651 * 86400 * LG_NS_PER_S;
    REFUSE(LG_ESPEC, "expired");
    ctx.unix_ns = (int64_t)20600 * 86400 * LG_NS_PER_S;
    ctx.tstate = LG_TS_HALTED;
    REFUSE(LG_EHALTED, "HALTED");
    ctx.tstate = LG_TS_REDUCING;
    REFUSE(LG_EHALTED, "REDUCING");
    ctx.reducing = true;
    assert_int_equal(lg_risk_pretrade(&c, legs, 2, &ctx, err, sizeof err), LG_OK);
    ctx.tstate = LG_TS_ACTIVE, ctx.reducing = false;
    c.max_lots_order = 1, c.max_lots_group = 10;
    REFUSE(LG_ELIMIT, "max_lots_order");
    c = cfg(), c.max_lots_group = 3;
    REFUSE(LG_ELIMIT, "max_lots_group");
    c = cfg(), c.max_notional_group = 130LL * 24100 * 100; /* one leg's worth */
    REFUSE(LG_ELIMIT, "max_notional_group");
    c = cfg(), c.max_notional_order = 100LL * 24100 * 100;
    c.max_notional_group = c.max_notional_order * 10;
    REFUSE(LG_ELIMIT, "max_notional_order");
    c = cfg(), c.max_notional_order = 1000LL * 24100 * 100;
    legs[0].forward = 0;
    REFUSE(LG_ENODATA, "forward");
    legs[0].forward = 24100;
    c = cfg(), ctx.orders_last_minute = 199;
    REFUSE(LG_ELIMIT, "order rate");
    ctx.orders_last_minute = 198;
    assert_int_equal(lg_risk_pretrade(&c, legs, 2, &ctx, err, sizeof err), LG_OK);
    /* a 100-lot leg with freeze 1800 units is 4 orders */
    assert_int_equal(lg_risk_children(c1, 6500), 4);
    lg_instruments_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_refusals), cmocka_unit_test(test_sizing_bounds),
        cmocka_unit_test(test_loss_throttle),   cmocka_unit_test(test_volatility_and_confidence),
        cmocka_unit_test(test_pretrade),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
