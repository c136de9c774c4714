/*
 * test_greeks.c — portfolio greeks per underlying (greeks.h): time to expiry, the
 * market price rule (mid before last), implied volatility round trips and refusals
 * naming the instrument, the book's units against finite differences, structures
 * whose greeks are known (short straddle, call spread, put-call parity), separate
 * underlyings, candidate legs added without touching the book, limits and their
 * breaches, and the units-fit bound against brute force over seeded random inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "legato/greeks.h"
#include "legato/numeric.h"

#define NS_PER_DAY (86400LL * LG_NS_PER_S)

static const double FWD = 26000.0; /* NIFTY forward, rupees */
static const double IV = 0.13;

/* The expiry instant of the test's options and a moment 7 days before it. */
static int32_t expiry_day(void) {
    return lg_days_from_civil(2026, 1, 29);
}
static int64_t expiry_ns(void) {
    return ((int64_t)expiry_day() * 86400 + 36000) * LG_NS_PER_S;
}
static int64_t now_ns(void) {
    return expiry_ns() - 7 * NS_PER_DAY;
}
static double years(void) {
    return 7.0 / 365.0;
}

static lg_instrument_t instrument(const char *und, lg_kind_t kind, double strike) {
    lg_instrument_t ins = {.token = 1, .expiry_day = expiry_day(), .kind = kind, .lot = 75,
                           .tick = 5, .freeze = 1800};
    ins.strike = kind == LG_KIND_FUT ? 0 : (lg_paise_t)llround(strike * 100.0);
    (void)lg_strlcpy(ins.underlying, und, sizeof ins.underlying);
    const char *suffix = kind == LG_KIND_CE ? "CE" : kind == LG_KIND_PE ? "PE" : "FUT";
    if (kind == LG_KIND_FUT)
        snprintf(ins.symbol, sizeof ins.symbol, "%s26JAN%s", und, suffix);
    else
        snprintf(ins.symbol, sizeof ins.symbol, "%s26JAN%.0f%s", und, strike, suffix);
    return ins;
}

static lg_greeks_forward_t forward(const char *und, double rupees) {
    lg_greeks_forward_t f = {.price = (lg_paise_t)llround(rupees * 100.0)};
    (void)lg_strlcpy(f.underlying, und, sizeof f.underlying);
    return f;
}

static const lg_greeks_forward_t fwd_table[] = {
    {"NIFTY", 2600000},
    {"BANKNIFTY", 5500000},
};

static lg_greeks_market_t market(double rate) {
    return (lg_greeks_market_t){.forwards = fwd_table, .n_forwards = LG_COUNT(fwd_table),
                                .unix_ns = now_ns(), .rate = rate};
}

/* A position with a known volatility. */
static lg_greeks_pos_t pos_iv(const lg_instrument_t *ins, lg_qty_t qty, double iv) {
    return (lg_greeks_pos_t){.ins = ins, .qty = qty, .iv = iv};
}

/* A position whose volatility is implied from a last price. */
static lg_greeks_pos_t pos_ltp(const lg_instrument_t *ins, lg_qty_t qty, double rupees) {
    return (lg_greeks_pos_t){.ins = ins, .qty = qty,
                             .quote = {.ltp = (lg_paise_t)llround(rupees * 100.0)}};
}

static void assert_close(double got, double want, double tol) {
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g want %.17g (diff %.3g, tol %.3g)", got, want, fabs(got - want), tol);
}

static void assert_has(const char *text, const char *part) {
    if (strstr(text, part) == NULL) fail_msg("'%s' does not mention '%s'", text, part);
}

static lg_greeks_book_t build(const lg_greeks_pos_t *pos, uint32_t n, double rate) {
    lg_greeks_market_t m = market(rate);
    lg_greeks_book_t b;
    char err[200] = "";
    int rc = lg_greeks_book_build(&b, pos, n, &m, err, sizeof err);
    if (rc != LG_OK) fail_msg("build: %s (%s)", lg_errname(rc), err);
    return b;
}

static const lg_greeks_und_t *entry(const lg_greeks_book_t *b, const char *und) {
    const lg_greeks_und_t *u = lg_greeks_book_find(b, und);
    assert_non_null(u);
    return u;
}

static void test_years_to_expiry(void **state) {
    (void)state;
    lg_instrument_t c = instrument("NIFTY", LG_KIND_CE, 26000);
    assert_true(lg_years_to_expiry(&c, expiry_ns()) == 0.0);
    assert_true(lg_years_to_expiry(&c, expiry_ns() + 1) == 0.0);
    assert_true(lg_years_to_expiry(&c, expiry_ns() + NS_PER_DAY) == 0.0);
    assert_true(lg_years_to_expiry(&c, expiry_ns() - 1) > 0.0);
    assert_close(lg_years_to_expiry(&c, expiry_ns() - NS_PER_DAY), 1.0 / 365.0, 1e-15);
    assert_close(lg_years_to_expiry(&c, expiry_ns() - LG_NS_PER_S / 2), 0.5 / (365.0 * 86400),
                 1e-18);
    assert_close(lg_years_to_expiry(&c, now_ns()), years(), 1e-15);
    /* 15:30 IST is 10:00 UTC on the expiry day */
    assert_int_equal(expiry_ns() % NS_PER_DAY, 10LL * 3600 * LG_NS_PER_S);
}

static void test_quote_price(void **state) {
    (void)state;
    double p = -1;
    lg_greeks_quote_t q = {.bid = 10000, .ask = 10200, .ltp = 9000};
    assert_int_equal(lg_greeks_quote_price(&q, &p), LG_PRICE_MID);
    assert_true(p == 101.0);
    q = (lg_greeks_quote_t){.bid = 10000, .ask = 10005, .ltp = 9000}; /* half a paisa */
    assert_int_equal(lg_greeks_quote_price(&q, &p), LG_PRICE_MID);
    assert_true(p == 100.025);
    q = (lg_greeks_quote_t){.bid = 10000, .ask = 10000, .ltp = 9000}; /* locked */
    assert_int_equal(lg_greeks_quote_price(&q, &p), LG_PRICE_MID);
    assert_true(p == 100.0);
    q = (lg_greeks_quote_t){.bid = 10000, .ask = 0, .ltp = 9000}; /* one-sided */
    assert_int_equal(lg_greeks_quote_price(&q, &p), LG_PRICE_LTP);
    assert_true(p == 90.0);
    q = (lg_greeks_quote_t){.bid = 0, .ask = 10200, .ltp = 9000};
    assert_int_equal(lg_greeks_quote_price(&q, &p), LG_PRICE_LTP);
    q = (lg_greeks_quote_t){.bid = 10300, .ask = 10200, .ltp = 9000}; /* crossed */
    assert_int_equal(lg_greeks_quote_price(&q, &p), LG_PRICE_LTP);
    assert_true(p == 90.0);
    q = (lg_greeks_quote_t){.bid = -5, .ask = 10200, .ltp = 9000};
    assert_int_equal(lg_greeks_quote_price(&q, &p), LG_PRICE_LTP);
    p = -1;
    q = (lg_greeks_quote_t){.bid = 10000, .ask = 0, .ltp = 0};
    assert_int_equal(lg_greeks_quote_price(&q, &p), LG_PRICE_NONE);
    assert_true(p == -1);
    q = (lg_greeks_quote_t){.bid = 0, .ask = 0, .ltp = -100};
    assert_int_equal(lg_greeks_quote_price(&q, &p), LG_PRICE_NONE);
}

/* One round trip: the model's price, rounded to paise, back to a volatility.
 * False when the option has too little time value to resolve one. */
static bool iv_round_trip(bool call, double K, double days, double vol, double r) {
    lg_instrument_t ins = instrument("NIFTY", call ? LG_KIND_CE : LG_KIND_PE, K);
    double T = days / 365.0;
    lg_greeks_t g;
    lg_b76_greeks(call, FWD, K, T, r, vol, &g);
    double intrinsic = LG_MAX(call ? FWD - K : K - FWD, 0.0);
    if (g.price - exp(-r * T) * intrinsic < 0.5) return false;
    lg_greeks_quote_t q = {.ltp = llround(g.price * 100.0)};
    int64_t t = expiry_ns() - (int64_t)days * NS_PER_DAY;
    double iv = -1;
    char err[200] = "";
    int rc = lg_greeks_implied_vol(&ins, &q, (lg_paise_t)(FWD * 100), t, r, &iv, err, sizeof err);
    if (rc != LG_OK) fail_msg("%s: %s", lg_errname(rc), err);
    /* the solve is exact for the quoted price ... */
    assert_close(lg_b76_price(call, FWD, K, T, r, iv), (double)q.ltp / 100.0, 1e-7);
    /* ... which is off the model's by at most half a paisa (vega varies over the gap) */
    assert_close(iv, vol, 0.005 / g.vega * 1.5);
    return true;
}

static void test_iv_round_trip(void **state) {
    (void)state;
    static const double days[] = {2, 7, 30, 90};
    static const double vols[] = {0.08, 0.13, 0.25, 0.5};
    static const double rates[] = {0.0, 0.065};
    int checked = 0;
    for (int call = 0; call <= 1; call++)
        for (double K = 22000; K <= 30000; K += 500)
            for (size_t d = 0; d < LG_COUNT(days); d++)
                for (size_t v = 0; v < LG_COUNT(vols); v++)
                    for (size_t r = 0; r < LG_COUNT(rates); r++)
                        checked += iv_round_trip(call, K, days[d], vols[v], rates[r]);
    assert_true(checked > 500);
}

static void test_iv_mid_vs_ltp(void **state) {
    (void)state;
    lg_instrument_t ins = instrument("NIFTY", LG_KIND_CE, 26200);
    lg_paise_t f = (lg_paise_t)(FWD * 100);
    double mid_iv, want_iv, ltp_iv;
    lg_greeks_quote_t both = {.bid = 15000, .ask = 15400, .ltp = 12000};
    lg_greeks_quote_t mid_as_ltp = {.ltp = 15200};
    lg_greeks_quote_t ltp_only = {.bid = 15000, .ltp = 12000};
    assert_int_equal(lg_greeks_implied_vol(&ins, &both, f, now_ns(), 0, &mid_iv, NULL, 0), LG_OK);
    assert_int_equal(lg_greeks_implied_vol(&ins, &mid_as_ltp, f, now_ns(), 0, &want_iv, NULL, 0),
                     LG_OK);
    assert_int_equal(lg_greeks_implied_vol(&ins, &ltp_only, f, now_ns(), 0, &ltp_iv, NULL, 0),
                     LG_OK);
    assert_true(mid_iv == want_iv);
    assert_true(ltp_iv < mid_iv - 0.01);
    /* a position implies the same volatility from the same quote */
    lg_greeks_pos_t p = {.ins = &ins, .qty = 75, .quote = both};
    lg_greeks_book_t b = build(&p, 1, 0);
    lg_greeks_pos_t known = pos_iv(&ins, 75, mid_iv);
    lg_greeks_book_t bk = build(&known, 1, 0);
    assert_true(b.und[0].delta == bk.und[0].delta && b.und[0].vega == bk.und[0].vega);
}

static void test_iv_refusals(void **state) {
    (void)state;
    lg_instrument_t c = instrument("NIFTY", LG_KIND_CE, 25000);
    lg_instrument_t fut = instrument("NIFTY", LG_KIND_FUT, 0);
    lg_paise_t f = (lg_paise_t)(FWD * 100);
    double iv = -1;
    char err[200];
    lg_greeks_quote_t none = {0};
    assert_int_equal(lg_greeks_implied_vol(&c, &none, f, now_ns(), 0, &iv, err, sizeof err),
                     LG_ENODATA);
    assert_has(err, "NIFTY26JAN25000CE");
    assert_has(err, "price");
    lg_greeks_quote_t q = {.ltp = 110000};
    assert_int_equal(lg_greeks_implied_vol(&c, &q, 0, now_ns(), 0, &iv, err, sizeof err),
                     LG_ENODATA);
    assert_has(err, "NIFTY26JAN25000CE");
    assert_has(err, "forward");
    /* below the intrinsic value (1000) and above the forward */
    lg_greeks_quote_t low = {.ltp = 90000}, high = {.ltp = 2700000};
    assert_int_equal(lg_greeks_implied_vol(&c, &low, f, now_ns(), 0, &iv, err, sizeof err),
                     LG_ENODATA);
    assert_has(err, "NIFTY26JAN25000CE");
    assert_has(err, "no-arbitrage");
    assert_int_equal(lg_greeks_implied_vol(&c, &high, f, now_ns(), 0, &iv, err, sizeof err),
                     LG_ENODATA);
    assert_has(err, "NIFTY26JAN25000CE");
    lg_instrument_t p = instrument("NIFTY", LG_KIND_PE, 25000);
    lg_greeks_quote_t put_high = {.ltp = 2500100}; /* above the strike */
    assert_int_equal(lg_greeks_implied_vol(&p, &put_high, f, now_ns(), 0, &iv, err, sizeof err),
                     LG_ENODATA);
    assert_has(err, "NIFTY26JAN25000PE");
    assert_int_equal(lg_greeks_implied_vol(&fut, &q, f, now_ns(), 0, &iv, err, sizeof err),
                     LG_EINVAL);
    assert_int_equal(lg_greeks_implied_vol(&c, &q, f, expiry_ns(), 0, &iv, err, sizeof err),
                     LG_EINVAL);
    assert_has(err, "expired");
    assert_int_equal(lg_greeks_implied_vol(&c, &q, f, now_ns(), NAN, &iv, err, sizeof err),
                     LG_EINVAL);
    lg_instrument_t k0 = c;
    k0.strike = 0;
    assert_int_equal(lg_greeks_implied_vol(&k0, &q, f, now_ns(), 0, &iv, err, sizeof err),
                     LG_EINSTRUMENT);
    assert_true(iv == -1); /* never written on failure */
    assert_int_equal(lg_greeks_implied_vol(&c, &q, f, now_ns(), 0, &iv, NULL, 0), LG_OK);
    assert_true(iv > 0.01 && iv < 1.0);
}

static void test_book_refusals(void **state) {
    (void)state;
    lg_instrument_t c = instrument("NIFTY", LG_KIND_CE, 26000);
    lg_instrument_t fin = instrument("FINNIFTY", LG_KIND_PE, 24000);
    lg_greeks_market_t m = market(0);
    lg_greeks_book_t b, untouched;
    memset(&b, 0x5a, sizeof b);
    untouched = b;
    char err[200];
    lg_greeks_pos_t none = {.ins = &c, .qty = -75};
    assert_int_equal(lg_greeks_book_build(&b, &none, 1, &m, err, sizeof err), LG_ENODATA);
    assert_has(err, "NIFTY26JAN26000CE");
    assert_has(err, "price");
    lg_greeks_pos_t nofwd = pos_iv(&fin, 40, 0.15);
    assert_int_equal(lg_greeks_book_build(&b, &nofwd, 1, &m, err, sizeof err), LG_ENODATA);
    assert_has(err, "FINNIFTY26JAN24000PE");
    assert_has(err, "forward for FINNIFTY");
    lg_greeks_forward_t zero = forward("NIFTY", 0);
    lg_greeks_market_t m0 = {.forwards = &zero, .n_forwards = 1, .unix_ns = now_ns()};
    lg_greeks_pos_t known = pos_iv(&c, 75, IV);
    assert_int_equal(lg_greeks_book_build(&b, &known, 1, &m0, err, sizeof err), LG_ENODATA);
    assert_has(err, "forward");
    lg_greeks_pos_t bad_iv[] = {pos_iv(&c, 75, NAN), pos_iv(&c, 75, -0.1),
                                pos_iv(&c, 75, INFINITY)};
    for (size_t i = 0; i < LG_COUNT(bad_iv); i++) {
        assert_int_equal(lg_greeks_book_build(&b, &bad_iv[i], 1, &m, err, sizeof err), LG_EINVAL);
        assert_has(err, "NIFTY26JAN26000CE");
    }
    lg_greeks_pos_t noins = {.ins = NULL, .qty = 1};
    assert_int_equal(lg_greeks_book_build(&b, &noins, 1, &m, err, sizeof err), LG_EINSTRUMENT);
    m.rate = NAN;
    assert_int_equal(lg_greeks_book_build(&b, &known, 1, &m, err, sizeof err), LG_EINVAL);
    assert_memory_equal(&b, &untouched, sizeof b);
    /* a flat position needs no market data; futures need no forward */
    lg_instrument_t fut = instrument("FINNIFTY", LG_KIND_FUT, 0);
    lg_greeks_pos_t ok[] = {none, {.ins = &fut, .qty = -40}};
    ok[0].qty = 0;
    m.rate = 0;
    assert_int_equal(lg_greeks_book_build(&b, ok, 2, &m, err, sizeof err), LG_OK);
    assert_int_equal(b.n, 1);
    assert_true(entry(&b, "FINNIFTY")->delta == -40.0);
    assert_null(lg_greeks_book_find(&b, "NIFTY"));
}

/* Units: Black-76's per-unit greeks times qty, vega per point and theta per day,
 * checked against repricing too (not only against the same formula). */
static void test_units(void **state) {
    (void)state;
    lg_instrument_t c = instrument("NIFTY", LG_KIND_CE, 26000);
    lg_greeks_pos_t p = pos_iv(&c, 75, IV);
    lg_greeks_book_t b = build(&p, 1, 0);
    const lg_greeks_und_t *u = entry(&b, "NIFTY");
    lg_greeks_t g;
    lg_b76_greeks(true, FWD, 26000, years(), 0, IV, &g);
    assert_close(u->delta, 75 * g.delta, 1e-9);
    assert_close(u->gamma, 75 * g.gamma, 1e-12);
    assert_close(u->vega, 75 * g.vega / 100, 1e-9);
    assert_close(u->theta, 75 * g.theta / 365, 1e-9);
    /* one volatility point up ≈ vega rupees; one day on ≈ theta rupees */
    double px = lg_b76_price(true, FWD, 26000, years(), 0, IV);
    double up = lg_b76_price(true, FWD, 26000, years(), 0, IV + 0.005);
    double dn = lg_b76_price(true, FWD, 26000, years(), 0, IV - 0.005);
    assert_close(u->vega, 75 * (up - dn), 0.01 * fabs(u->vega));
    double tomorrow = lg_b76_price(true, FWD, 26000, years() - 1.0 / 365, 0, IV);
    assert_close(u->theta, 75 * (tomorrow - px), 0.1 * fabs(u->theta));
    double f_up = lg_b76_price(true, FWD + 1, 26000, years(), 0, IV);
    double f_dn = lg_b76_price(true, FWD - 1, 26000, years(), 0, IV);
    assert_close(u->delta, 75 * (f_up - f_dn) / 2, 1e-3);
    /* an at-the-money NIFTY weekly: ~14 rupees per point and ~-13 per day per unit */
    assert_true(u->vega / 75 > 12 && u->vega / 75 < 16);
    assert_true(u->theta / 75 < -11 && u->theta / 75 > -16);
    assert_true(u->delta > 0.45 * 75 && u->delta < 0.55 * 75);
}

static void test_short_straddle(void **state) {
    (void)state;
    lg_instrument_t c = instrument("NIFTY", LG_KIND_CE, 26000);
    lg_instrument_t p = instrument("NIFTY", LG_KIND_PE, 26000);
    double cp = lg_b76_price(true, FWD, 26000, years(), 0, IV);
    double pp = lg_b76_price(false, FWD, 26000, years(), 0, IV);
    lg_greeks_pos_t legs[] = {pos_ltp(&c, -75, cp), pos_ltp(&p, -75, pp)};
    lg_greeks_book_t b = build(legs, 2, 0);
    assert_int_equal(b.n, 1);
    const lg_greeks_und_t *u = &b.und[0];
    assert_string_equal(u->underlying, "NIFTY");
    assert_true(fabs(u->delta) < 1.0); /* of 150 units of options */
    assert_true(u->gamma < 0);
    assert_true(u->vega < -2 * 75 * 12);
    assert_true(u->theta > 2 * 75 * 11);
    /* the long straddle is its mirror image */
    legs[0].qty = legs[1].qty = 75;
    lg_greeks_book_t l = build(legs, 2, 0);
    assert_true(l.und[0].delta == -u->delta && l.und[0].gamma == -u->gamma);
    assert_true(l.und[0].vega == -u->vega && l.und[0].theta == -u->theta);
}

static void test_call_spread_is_sum(void **state) {
    (void)state;
    lg_instrument_t lo = instrument("NIFTY", LG_KIND_CE, 26000);
    lg_instrument_t hi = instrument("NIFTY", LG_KIND_CE, 26200);
    lg_greeks_pos_t legs[] = {pos_ltp(&lo, 75, 260.35), pos_ltp(&hi, -75, 175.10)};
    lg_greeks_book_t both = build(legs, 2, 0), a = build(&legs[0], 1, 0),
                     b = build(&legs[1], 1, 0);
    for (int k = 0; k < LG_GREEK_COUNT; k++) {
        double sum = lg_greeks_und_get(&a.und[0], (lg_greek_t)k) +
                     lg_greeks_und_get(&b.und[0], (lg_greek_t)k);
        assert_close(lg_greeks_und_get(&both.und[0], (lg_greek_t)k), sum, 1e-9);
    }
    assert_true(both.und[0].delta > 0 && both.und[0].delta < 75);
    assert_true(a.und[0].vega > 0 && b.und[0].vega < 0);
}

/* Long call + short put of one strike is a synthetic future: δc − δp = e^{-rT}. */
static void test_put_call_parity(void **state) {
    (void)state;
    static const double strikes[] = {24000, 25500, 26000, 26500, 28000};
    for (size_t i = 0; i < LG_COUNT(strikes); i++) {
        lg_instrument_t c = instrument("NIFTY", LG_KIND_CE, strikes[i]);
        lg_instrument_t p = instrument("NIFTY", LG_KIND_PE, strikes[i]);
        double cp = lg_b76_price(true, FWD, strikes[i], years(), 0, 0.16);
        double pp = lg_b76_price(false, FWD, strikes[i], years(), 0, 0.16);
        if (fabs(strikes[i] - FWD) <= 500) {
            /* implied from quotes: the volatilities differ by paise rounding only */
            lg_greeks_pos_t syn[] = {pos_ltp(&c, 75, cp), pos_ltp(&p, -75, pp)};
            lg_greeks_book_t b = build(syn, 2, 0);
            assert_close(b.und[0].delta, 75.0, 0.01);
            assert_close(b.und[0].gamma, 0.0, 1e-5);
            assert_close(b.und[0].vega, 0.0, 0.5);
        }
        lg_greeks_pos_t known[] = {pos_iv(&c, 75, 0.16), pos_iv(&p, -75, 0.16)};
        lg_greeks_book_t k0 = build(known, 2, 0), k7 = build(known, 2, 0.07);
        assert_close(k0.und[0].delta, 75.0, 1e-9);
        assert_close(k0.und[0].gamma, 0.0, 1e-12);
        assert_close(k0.und[0].vega, 0.0, 1e-9);
        assert_close(k7.und[0].delta, 75.0 * exp(-0.07 * years()), 1e-9);
    }
}

static void test_futures_and_expired(void **state) {
    (void)state;
    lg_instrument_t fut = instrument("NIFTY", LG_KIND_FUT, 0);
    lg_instrument_t itm = instrument("NIFTY", LG_KIND_CE, 25000);
    lg_instrument_t otm = instrument("NIFTY", LG_KIND_PE, 25000);
    lg_greeks_pos_t f = {.ins = &fut, .qty = -150};
    lg_greeks_book_t b = build(&f, 1, 0);
    assert_true(b.und[0].delta == -150 && b.und[0].gamma == 0);
    assert_true(b.und[0].vega == 0 && b.und[0].theta == 0);
    /* after 15:30 on the expiry day: intrinsic only, no volatility needed */
    lg_greeks_pos_t legs[] = {{.ins = &itm, .qty = 75}, {.ins = &otm, .qty = -75}};
    lg_greeks_market_t m = market(0);
    m.unix_ns = expiry_ns() + 60 * LG_NS_PER_S;
    char err[200] = "";
    assert_int_equal(lg_greeks_book_build(&b, legs, 2, &m, err, sizeof err), LG_OK);
    assert_true(b.und[0].delta == 75 && b.und[0].gamma == 0);
    assert_true(b.und[0].vega == 0 && b.und[0].theta == 0);
}

static void test_two_underlyings(void **state) {
    (void)state;
    lg_instrument_t n = instrument("NIFTY", LG_KIND_CE, 26000);
    lg_instrument_t bn = instrument("BANKNIFTY", LG_KIND_PE, 54500);
    lg_instrument_t bf = instrument("BANKNIFTY", LG_KIND_FUT, 0);
    lg_greeks_pos_t pos[] = {pos_iv(&bn, -35, 0.15), pos_iv(&n, 75, IV), {.ins = &bf, .qty = 35}};
    lg_greeks_book_t b = build(pos, 3, 0);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.und[0].underlying, "BANKNIFTY"); /* order of first appearance */
    assert_string_equal(b.und[1].underlying, "NIFTY");
    lg_greeks_book_t only_n = build(&pos[1], 1, 0);
    lg_greeks_book_t only_bn = build(pos, 1, 0);
    assert_memory_equal(entry(&b, "NIFTY"), &only_n.und[0], sizeof(lg_greeks_und_t));
    const lg_greeks_und_t *u = entry(&b, "BANKNIFTY");
    assert_close(u->delta, only_bn.und[0].delta + 35, 1e-12);
    assert_true(u->vega == only_bn.und[0].vega);
    /* the BANKNIFTY put is priced on BANKNIFTY's forward: short an OTM put, delta > 0 */
    assert_true(only_bn.und[0].delta > 0 && only_bn.und[0].delta < 35 * 0.5);
}

static void test_capacity(void **state) {
    (void)state;
    lg_instrument_t ins[LG_GREEKS_MAX_UNDERLYINGS + 1];
    lg_greeks_pos_t pos[LG_GREEKS_MAX_UNDERLYINGS + 1];
    char name[LG_UNDERLYING_MAX];
    for (int i = 0; i <= LG_GREEKS_MAX_UNDERLYINGS; i++) {
        snprintf(name, sizeof name, "IDX%d", i);
        ins[i] = instrument(name, LG_KIND_FUT, 0);
        pos[i] = (lg_greeks_pos_t){.ins = &ins[i], .qty = 10};
    }
    lg_greeks_market_t m = market(0);
    lg_greeks_book_t b;
    char err[200];
    assert_int_equal(lg_greeks_book_build(&b, pos, LG_GREEKS_MAX_UNDERLYINGS, &m, err, sizeof err),
                     LG_OK);
    assert_int_equal(b.n, LG_GREEKS_MAX_UNDERLYINGS);
    lg_greeks_book_t before = b;
    assert_int_equal(lg_greeks_book_build(&b, pos, LG_GREEKS_MAX_UNDERLYINGS + 1, &m, err,
                                          sizeof err),
                     LG_ENOSPACE);
    snprintf(name, sizeof name, "IDX%d", LG_GREEKS_MAX_UNDERLYINGS);
    assert_has(err, name);
    assert_memory_equal(&b, &before, sizeof b);
    /* a full book still takes more of an underlying it holds */
    assert_int_equal(lg_greeks_book_add(&before, &pos[3], 1, &m, &b, err, sizeof err), LG_OK);
    assert_true(b.und[3].delta == 20);
}

static void test_add_candidate(void **state) {
    (void)state;
    lg_instrument_t c1 = instrument("NIFTY", LG_KIND_CE, 26000);
    lg_instrument_t p1 = instrument("NIFTY", LG_KIND_PE, 25800);
    lg_instrument_t c2 = instrument("NIFTY", LG_KIND_CE, 26400);
    lg_instrument_t bn = instrument("BANKNIFTY", LG_KIND_CE, 55500);
    lg_greeks_pos_t all[] = {pos_iv(&c1, -75, IV), pos_ltp(&p1, -150, 120.5),
                             pos_ltp(&c2, 75, 70.25), pos_iv(&bn, 35, 0.15)};
    lg_greeks_market_t m = market(0);
    lg_greeks_book_t base = build(all, 2, 0), copy = base, out;
    char err[200];
    assert_int_equal(lg_greeks_book_add(&base, &all[2], 2, &m, &out, err, sizeof err), LG_OK);
    assert_memory_equal(&base, &copy, sizeof base); /* the snapshot is untouched */
    lg_greeks_book_t whole = build(all, 4, 0);
    assert_memory_equal(&out, &whole, sizeof out); /* same sums in the same order */
    assert_int_equal(out.n, 2);
    /* adding in place */
    lg_greeks_book_t inplace = base;
    assert_int_equal(lg_greeks_book_add(&inplace, &all[2], 2, &m, &inplace, err, sizeof err),
                     LG_OK);
    assert_memory_equal(&inplace, &whole, sizeof whole);
    /* a refused candidate leaves out alone */
    lg_greeks_pos_t bad[] = {all[2], {.ins = &c2, .qty = 75}};
    lg_greeks_book_t keep = out;
    assert_int_equal(lg_greeks_book_add(&base, bad, 2, &m, &out, err, sizeof err), LG_ENODATA);
    assert_has(err, "NIFTY26JAN26400CE");
    assert_memory_equal(&out, &keep, sizeof out);
    assert_memory_equal(&base, &copy, sizeof base);
}

static void test_limits_validate(void **state) {
    (void)state;
    static const char *const fields[] = {"max_delta", "max_gamma", "max_vega", "max_theta"};
    static const double bad[] = {-1.0, -1e-300, NAN, INFINITY, -INFINITY};
    char err[200];
    lg_greeks_limits_t ok = {.max_delta = 1000, .max_vega = 50000};
    assert_int_equal(lg_greeks_limits_validate(&ok, err, sizeof err), LG_OK);
    lg_greeks_limits_t zero = {0};
    assert_int_equal(lg_greeks_limits_validate(&zero, err, sizeof err), LG_OK);
    for (int k = 0; k < LG_GREEK_COUNT; k++)
        for (size_t i = 0; i < LG_COUNT(bad); i++) {
            lg_greeks_limits_t l = ok;
            double *f[] = {&l.max_delta, &l.max_gamma, &l.max_vega, &l.max_theta};
            *f[k] = bad[i];
            assert_true(lg_greeks_limit_of(&l, (lg_greek_t)k) == bad[i] || isnan(bad[i]));
            assert_int_equal(lg_greeks_limits_validate(&l, err, sizeof err), LG_EINVAL);
            assert_has(err, fields[k]);
            lg_greeks_limit_set_t s = {.base = ok, .n = 1};
            (void)lg_strlcpy(s.rows[0].underlying, "BANKNIFTY", LG_UNDERLYING_MAX);
            s.rows[0].limits = l;
            assert_int_equal(lg_greeks_limit_set_validate(&s, err, sizeof err), LG_EINVAL);
            assert_has(err, fields[k]);
            assert_has(err, "BANKNIFTY");
            s.rows[0].limits = ok;
            s.base = l;
            assert_int_equal(lg_greeks_limit_set_validate(&s, err, sizeof err), LG_EINVAL);
            assert_has(err, fields[k]);
        }
    lg_greeks_limit_set_t s = {.base = ok, .n = 2};
    (void)lg_strlcpy(s.rows[0].underlying, "NIFTY", LG_UNDERLYING_MAX);
    (void)lg_strlcpy(s.rows[1].underlying, "BANKNIFTY", LG_UNDERLYING_MAX);
    assert_int_equal(lg_greeks_limit_set_validate(&s, err, sizeof err), LG_OK);
    (void)lg_strlcpy(s.rows[1].underlying, "NIFTY", LG_UNDERLYING_MAX);
    assert_int_equal(lg_greeks_limit_set_validate(&s, err, sizeof err), LG_EINVAL);
    assert_has(err, "twice");
    s.rows[1].underlying[0] = '\0';
    assert_int_equal(lg_greeks_limit_set_validate(&s, err, sizeof err), LG_EINVAL);
    s.n = LG_GREEKS_MAX_UNDERLYINGS + 1;
    assert_int_equal(lg_greeks_limit_set_validate(&s, err, sizeof err), LG_EINVAL);
}

static lg_greeks_und_t und(const char *name, double d, double g, double v, double t) {
    lg_greeks_und_t u = {.delta = d, .gamma = g, .vega = v, .theta = t};
    (void)lg_strlcpy(u.underlying, name, sizeof u.underlying);
    return u;
}

static const lg_greeks_limits_t LIMITS = {.max_delta = 1000, .max_gamma = 2, .max_vega = 50000,
                                          .max_theta = 20000};

static void test_check_breach(void **state) {
    (void)state;
    lg_greeks_limit_set_t s = {.base = LIMITS};
    lg_greeks_book_t b = {.n = 2};
    b.und[0] = und("NIFTY", 1000, -2, 50000, -20000); /* each exactly at its limit */
    b.und[1] = und("BANKNIFTY", -400, 1, -1000, 100);
    lg_greeks_breach_t br;
    char err[200];
    assert_int_equal(lg_greeks_check(&b, &s, &br, err, sizeof err), LG_OK);
    b.und[1].vega = -52000.5;
    b.und[1].gamma = 2.5;
    assert_int_equal(lg_greeks_check(&b, &s, &br, err, sizeof err), LG_ELIMIT);
    assert_string_equal(br.underlying, "BANKNIFTY");
    assert_int_equal(br.greek, LG_GREEK_GAMMA); /* gamma is checked before vega */
    assert_true(br.value == 2.5 && br.limit == 2);
    assert_has(err, "BANKNIFTY gamma 2.5");
    assert_has(err, "limit 2");
    b.und[1].gamma = 1;
    assert_int_equal(lg_greeks_check(&b, &s, NULL, err, sizeof err), LG_ELIMIT);
    assert_has(err, "BANKNIFTY vega -52000.5 rupees per vol point");
    assert_has(err, "50000");
    /* a row of its own for BANKNIFTY; 0 = no limit */
    s.n = 1;
    (void)lg_strlcpy(s.rows[0].underlying, "BANKNIFTY", LG_UNDERLYING_MAX);
    s.rows[0].limits = LIMITS;
    s.rows[0].limits.max_vega = 0;
    assert_int_equal(lg_greeks_check(&b, &s, &br, err, sizeof err), LG_OK);
    b.und[0].delta = -1000.01;
    assert_int_equal(lg_greeks_check(&b, &s, &br, err, sizeof err), LG_ELIMIT);
    assert_string_equal(br.underlying, "NIFTY");
    assert_int_equal(br.greek, LG_GREEK_DELTA);
    assert_true(br.value == -1000.01 && br.limit == 1000);
    assert_has(err, "NIFTY delta -1000.01 units");
    assert_string_equal(lg_greek_name(br.greek), "delta");
    s.base.max_delta = 0;
    assert_int_equal(lg_greeks_check(&b, &s, &br, err, sizeof err), LG_OK);
    lg_greeks_book_t empty;
    lg_greeks_book_init(&empty);
    assert_int_equal(lg_greeks_check(&empty, &s, &br, err, sizeof err), LG_OK);
}

static void test_check_trade(void **state) {
    (void)state;
    lg_greeks_limit_set_t s = {.base = LIMITS};
    lg_greeks_book_t before = {.n = 1}, after = {.n = 1};
    before.und[0] = und("NIFTY", 1200, 0, 0, 0); /* already beyond: the market moved */
    lg_greeks_breach_t br;
    char err[200];
    after.und[0] = und("NIFTY", 1100, 0, 0, 0);
    assert_int_equal(lg_greeks_check(&after, &s, &br, err, sizeof err), LG_ELIMIT);
    assert_int_equal(lg_greeks_check_trade(&before, &after, &s, &br, err, sizeof err), LG_OK);
    after.und[0].delta = 1200;
    assert_int_equal(lg_greeks_check_trade(&before, &after, &s, &br, err, sizeof err), LG_OK);
    after.und[0].delta = 1300;
    assert_int_equal(lg_greeks_check_trade(&before, &after, &s, &br, err, sizeof err), LG_ELIMIT);
    assert_has(err, "after the trade");
    after.und[0].delta = -1250;
    assert_int_equal(lg_greeks_check_trade(&before, &after, &s, &br, err, sizeof err), LG_ELIMIT);
    /* within before, beyond after; and an underlying new to the book */
    after.und[0] = und("NIFTY", 900, 0, 60000, 0);
    assert_int_equal(lg_greeks_check_trade(&before, &after, &s, &br, err, sizeof err), LG_ELIMIT);
    assert_int_equal(br.greek, LG_GREEK_VEGA);
    after.und[0].vega = 0;
    after.n = 2;
    after.und[1] = und("BANKNIFTY", 0, 0, 0, -25000);
    assert_int_equal(lg_greeks_check_trade(&before, &after, &s, &br, err, sizeof err), LG_ELIMIT);
    assert_string_equal(br.underlying, "BANKNIFTY");
    assert_int_equal(br.greek, LG_GREEK_THETA);
}

static bool fit_ok(double G, double g, int64_t k, double limit) {
    return fabs(G + (double)k * g) <= limit;
}

static void test_units_fit_examples(void **state) {
    (void)state;
    assert_int_equal(lg_greeks_units_fit(0, 10, 1000), 100);
    assert_int_equal(lg_greeks_units_fit(0, -10, 1000), 100);
    assert_int_equal(lg_greeks_units_fit(500, 10, 1000), 50);
    assert_int_equal(lg_greeks_units_fit(500, -10, 1000), 150);
    assert_int_equal(lg_greeks_units_fit(-500, -10, 1000), 50);
    assert_int_equal(lg_greeks_units_fit(1000, 10, 1000), 0);   /* at the limit: 0 fits */
    assert_int_equal(lg_greeks_units_fit(1000, -10, 1000), 200);
    assert_int_equal(lg_greeks_units_fit(1200, 10, 1000), 0);   /* past and moving away */
    assert_int_equal(lg_greeks_units_fit(1200, -100, 1000), 22); /* past, reducing */
    assert_int_equal(lg_greeks_units_fit(-1200, 5000, 1000), 0); /* steps over the band */
    assert_int_equal(lg_greeks_units_fit(0, 0.1, 0.3), 2);      /* 3 × 0.1 > 0.3 in doubles */
    assert_int_equal(lg_greeks_units_fit(100, 0, 1000), LG_GREEKS_UNBOUNDED);
    assert_int_equal(lg_greeks_units_fit(1100, 0, 1000), 0);
    assert_int_equal(lg_greeks_units_fit(5e6, 1e6, 0), LG_GREEKS_UNBOUNDED); /* no limit */
    assert_int_equal(lg_greeks_units_fit(0, 1e-12, 1000), LG_GREEKS_UNBOUNDED);
    assert_int_equal(lg_greeks_units_fit(0, 0x1p-30, 1024), LG_GREEKS_UNBOUNDED); /* 2^40 */
    assert_int_equal(lg_greeks_units_fit(0, 0x1p-29, 1024), 1LL << 39);
    assert_int_equal(lg_greeks_units_fit(0, 1e300, 1000), 0);
    /* (limit - G) / g a whole number in decimals (655, 12094, 867, 532) but not in
     * doubles: the quotient's floor and the predicate disagree by one either way, and
     * the answer follows the predicate */
    assert_int_equal(lg_greeks_units_fit(32.19, 1.61, 1086.74), 655);   /* floor says 654 */
    assert_int_equal(lg_greeks_units_fit(72.10, 0.08, 1039.62), 12094); /* floor: 12093 */
    assert_int_equal(lg_greeks_units_fit(-88.39, 0.66, 483.83), 866);   /* floor: 867 */
    assert_int_equal(lg_greeks_units_fit(-78.02, 1.01, 459.30), 531);   /* floor: 532 */
    assert_int_equal(lg_greeks_units_fit(-32.19, -1.61, 1086.74), 655); /* mirrored */
    assert_int_equal(lg_greeks_units_fit(88.39, -0.66, 483.83), 866);
    assert_true(fit_ok(32.19, 1.61, 655, 1086.74) && !fit_ok(32.19, 1.61, 656, 1086.74));
    assert_true(fit_ok(-88.39, 0.66, 866, 483.83) && !fit_ok(-88.39, 0.66, 867, 483.83));
}

/* Against brute force where the answer is small, and the defining property
 * (k fits, k + 1 does not) over wide random inputs. */
static void test_units_fit_random(void **state) {
    (void)state;
    lg_rng_t r;
    lg_rng_seed(&r, 20260129);
    for (int i = 0; i < 20000; i++) {
        double G = (lg_rng_uniform(&r) - 0.5) * 6000;
        double g = (lg_rng_uniform(&r) - 0.5) * 400;
        if (lg_rng_chance(&r, 0.1)) g = (double)((int64_t)lg_rng_below(&r, 21) - 10); /* whole */
        if (lg_rng_chance(&r, 0.1)) G = (double)((int64_t)lg_rng_below(&r, 6001) - 3000);
        double limit = lg_rng_chance(&r, 0.05) ? 0 : lg_rng_uniform(&r) * 2000;
        int64_t k = lg_greeks_units_fit(G, g, limit);
        if (limit == 0 || g == 0) {
            assert_int_equal(k, limit == 0 || fit_ok(G, g, 0, limit) ? LG_GREEKS_UNBOUNDED : 0);
            continue;
        }
        int64_t want = 0;
        int64_t top = (int64_t)ceil((fabs(G) + limit) / fabs(g)) + 2;
        if (top > 100000) continue; /* too wide to enumerate */
        for (int64_t j = 0; j <= top; j++)
            if (fit_ok(G, g, j, limit)) want = j;
        assert_int_equal(k, want);
    }
    for (int i = 0; i < 200000; i++) {
        double G = lg_rng_normal(&r) * pow(10, lg_rng_uniform(&r) * 8 - 2);
        double g = lg_rng_normal(&r) * pow(10, lg_rng_uniform(&r) * 8 - 4);
        double limit = lg_rng_uniform(&r) * pow(10, lg_rng_uniform(&r) * 8 - 2);
        int64_t k = lg_greeks_units_fit(G, g, limit);
        assert_true(k >= 0 && k <= LG_GREEKS_UNBOUNDED);
        if (k == LG_GREEKS_UNBOUNDED) {
            assert_true(g == 0 || (limit - (g > 0 ? G : -G)) / fabs(g) >= 1e12);
        } else if (k > 0 || fit_ok(G, g, 0, limit)) {
            assert_true(fit_ok(G, g, k, limit));
            assert_false(fit_ok(G, g, k + 1, limit));
        } else {
            assert_false(fit_ok(G, g, 1, limit)); /* nothing fits */
        }
        /* never further beyond the limit than now, anywhere in 0..k */
        int64_t mid = (int64_t)(lg_rng_uniform(&r) * (double)LG_MIN(k, 1000000));
        assert_true(fabs(G + (double)mid * g) <= LG_MAX(fabs(G), limit) * (1 + 1e-12));
    }
}

/* The sizing use: a book, a structure's per-unit greeks from an empty book, k units
 * by the delta and vega limits, and the post-trade book within them. */
static void test_units_fit_sizing(void **state) {
    (void)state;
    lg_rng_t r;
    lg_rng_seed(&r, 7);
    lg_instrument_t ins[4] = {instrument("NIFTY", LG_KIND_CE, 26000),
                              instrument("NIFTY", LG_KIND_PE, 25500),
                              instrument("NIFTY", LG_KIND_CE, 26800),
                              instrument("NIFTY", LG_KIND_FUT, 0)};
    lg_greeks_market_t m = market(0);
    lg_greeks_limits_t lim = {.max_delta = 600, .max_vega = 40000};
    lg_greeks_limit_set_t s = {.base = lim};
    int bounded = 0;
    for (int i = 0; i < 300; i++) {
        lg_greeks_pos_t book_pos[4], unit[4];
        for (int j = 0; j < 4; j++) {
            double iv = 0.1 + 0.2 * lg_rng_uniform(&r);
            book_pos[j] = pos_iv(&ins[j], 75 * ((int64_t)lg_rng_below(&r, 9) - 4), iv);
            unit[j] = pos_iv(&ins[j], 75 * ((int64_t)lg_rng_below(&r, 5) - 2), iv);
        }
        lg_greeks_book_t b = build(book_pos, 4, 0), empty, per, after;
        lg_greeks_book_init(&empty);
        assert_int_equal(lg_greeks_book_add(&empty, unit, 4, &m, &per, NULL, 0), LG_OK);
        const lg_greeks_und_t *G = lg_greeks_book_find(&b, "NIFTY");
        const lg_greeks_und_t *g = lg_greeks_book_find(&per, "NIFTY");
        if (G == NULL || g == NULL) continue;
        if (lg_greeks_check(&b, &s, NULL, NULL, 0) != LG_OK) continue;
        int64_t kd = lg_greeks_units_fit(G->delta, g->delta, lim.max_delta);
        int64_t kv = lg_greeks_units_fit(G->vega, g->vega, lim.max_vega);
        int64_t k = LG_MIN(kd, kv);
        if (k == LG_GREEKS_UNBOUNDED || k > 10000) continue;
        bounded++;
        lg_greeks_pos_t scaled[4];
        for (int j = 0; j < 4; j++) {
            scaled[j] = unit[j];
            scaled[j].qty *= k;
        }
        assert_int_equal(lg_greeks_book_add(&b, scaled, 4, &m, &after, NULL, 0), LG_OK);
        const lg_greeks_und_t *a = lg_greeks_book_find(&after, "NIFTY");
        assert_true(fabs(a->delta) <= lim.max_delta * (1 + 1e-9));
        assert_true(fabs(a->vega) <= lim.max_vega * (1 + 1e-9));
        for (int j = 0; j < 4; j++) scaled[j].qty += unit[j].qty; /* k + 1 units */
        assert_int_equal(lg_greeks_book_add(&b, scaled, 4, &m, &after, NULL, 0), LG_OK);
        a = lg_greeks_book_find(&after, "NIFTY");
        assert_true(fabs(a->delta) > lim.max_delta * (1 - 1e-9) ||
                    fabs(a->vega) > lim.max_vega * (1 - 1e-9));
    }
    assert_true(bounded > 100);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_years_to_expiry),    cmocka_unit_test(test_quote_price),
        cmocka_unit_test(test_iv_round_trip),      cmocka_unit_test(test_iv_mid_vs_ltp),
        cmocka_unit_test(test_iv_refusals),        cmocka_unit_test(test_book_refusals),
        cmocka_unit_test(test_units),              cmocka_unit_test(test_short_straddle),
        cmocka_unit_test(test_call_spread_is_sum), cmocka_unit_test(test_put_call_parity),
        cmocka_unit_test(test_futures_and_expired), cmocka_unit_test(test_two_underlyings),
        cmocka_unit_test(test_capacity),           cmocka_unit_test(test_add_candidate),
        cmocka_unit_test(test_limits_validate),    cmocka_unit_test(test_check_breach),
        cmocka_unit_test(test_check_trade),        cmocka_unit_test(test_units_fit_examples),
        cmocka_unit_test(test_units_fit_random),   cmocka_unit_test(test_units_fit_sizing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
