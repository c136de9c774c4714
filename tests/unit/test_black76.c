/*
 * test_black76.c — unit tests for Black-76 pricing, greeks and implied volatility
 * (src/core/black76.c): reference prices computed independently (Python, math.erf),
 * put-call parity, greeks against central finite differences, degenerate inputs,
 * and the IV solve's round trip and error cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "legato/numeric.h"

static void assert_close(double got, double want, double rel, double abs_tol) {
    double tol = abs_tol + rel * fabs(want);
    if (!(fabs(got - want) <= tol)) {
        fail_msg("got %.17g want %.17g (diff %.3g, tol %.3g)", got, want, fabs(got - want), tol);
    }
}

static const double strikes_rel[] = {0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2};
static const double vols[] = {0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 3.0};
static const double expiries[] = {2.0 / 365, 7.0 / 365, 30.0 / 365, 0.25, 1.0, 2.0};
static const double rates[] = {0.0, 0.07, -0.01};

static void test_norm(void **state) {
    (void)state;
    assert_close(lg_norm_cdf(0.0), 0.5, 0, 0);
    assert_close(lg_norm_cdf(1.96), 0.9750021048517796, 1e-15, 0);
    assert_close(lg_norm_cdf(-1.0), 0.15865525393145707, 1e-15, 0);
    assert_close(lg_norm_cdf(-10.0), 7.619853024160593e-24, 1e-13, 0); /* tail: erfc */
    assert_close(lg_norm_pdf(0.0), 0.3989422804014327, 1e-15, 0);
    assert_close(lg_norm_pdf(1.0), 0.24197072451914337, 1e-15, 0);
    assert_true(lg_norm_cdf(-(double)INFINITY) == 0.0);
    assert_true(lg_norm_cdf((double)INFINITY) == 1.0);
    assert_true(lg_norm_pdf((double)INFINITY) == 0.0);
    for (int i = -80; i <= 80; i++) {
        double x = i * 0.1;
        assert_close(lg_norm_cdf(x) + lg_norm_cdf(-x), 1.0, 1e-15, 0);
        assert_close(lg_norm_pdf(x), lg_norm_pdf(-x), 0, 0);
    }
}

typedef struct ref_case {
    bool call;
    double F, K, T, r, sigma, price;
} ref_case_t;

/* Computed with python3: D * (F N(d1) - K N(d2)) using math.erf. */
static const ref_case_t ref_cases[] = {
    {true, 100, 100, 1, 0, 0.2, 7.965567455405804},
    {false, 100, 100, 1, 0, 0.2, 7.965567455405804},
    {true, 100, 110, 0.5, 0.05, 0.25, 3.3562508125688506},
    {false, 100, 110, 0.5, 0.05, 0.25, 13.109349932852183},
    {true, 22000, 22500, 7.0 / 365, 0.065, 0.14, 26.26674979905471},
    {false, 22000, 21500, 7.0 / 365, 0.065, 0.14, 24.323928259795114},
    {true, 48000, 47000, 30.0 / 365, 0.07, 0.18, 1549.0860393835385},
    {false, 50, 45, 2, 0.03, 0.4, 7.775485162444284},
};

static void test_known_values(void **state) {
    (void)state;
    for (size_t i = 0; i < LG_COUNT(ref_cases); i++) {
        const ref_case_t *c = &ref_cases[i];
        double p = lg_b76_price(c->call, c->F, c->K, c->T, c->r, c->sigma);
        assert_close(p, c->price, 1e-12, 0);
        lg_greeks_t g;
        lg_b76_greeks(c->call, c->F, c->K, c->T, c->r, c->sigma, &g);
        assert_true(g.price == p);
        /* the delta alone is the same number */
        assert_true(lg_b76_delta(c->call, c->F, c->K, c->T, c->r, c->sigma) == g.delta);
    }
    lg_greeks_t g; /* no time value: the intrinsic's delta */
    lg_b76_greeks(true, 110, 100, 0.5, 0.05, 0.0, &g);
    assert_true(lg_b76_delta(true, 110, 100, 0.5, 0.05, 0.0) == g.delta);
    lg_b76_greeks(false, 110, 100, 0.5, 0.05, 0.0, &g);
    assert_true(lg_b76_delta(false, 110, 100, 0.5, 0.05, 0.0) == g.delta);
}

static void test_put_call_parity(void **state) {
    (void)state;
    const double F = 100.0;
    for (size_t a = 0; a < LG_COUNT(strikes_rel); a++) {
        for (size_t b = 0; b < LG_COUNT(vols); b++) {
            for (size_t c = 0; c < LG_COUNT(expiries); c++) {
                for (size_t d = 0; d < LG_COUNT(rates); d++) {
                    double K = F * strikes_rel[a], T = expiries[c], r = rates[d];
                    double C = lg_b76_price(true, F, K, T, r, vols[b]);
                    double P = lg_b76_price(false, F, K, T, r, vols[b]);
                    assert_close(C - P, exp(-r * T) * (F - K), 0, 1e-12 * F);
                }
            }
        }
    }
}

static double price_at(bool call, double F, double K, double T, double r, double s) {
    return lg_b76_price(call, F, K, T, r, s);
}

/* One point's greeks against central differences of the price. */
static void check_greeks_fd(bool call, double F, double K, double T, double r, double s) {
    lg_greeks_t g;
    lg_b76_greeks(call, F, K, T, r, s, &g);
    double sd = s * sqrt(T); /* steps scale with the distribution's width */
    double hd = F * sd * 1e-4, hg = F * sd * 1e-2, hs = 1e-5, hT = T * 1e-4;
    double delta = (price_at(call, F + hd, K, T, r, s) - price_at(call, F - hd, K, T, r, s)) / (2 * hd);
    double gamma = (price_at(call, F + hg, K, T, r, s) - 2 * g.price + price_at(call, F - hg, K, T, r, s)) /
                   (hg * hg);
    double vega = (price_at(call, F, K, T, r, s + hs) - price_at(call, F, K, T, r, s - hs)) / (2 * hs);
    double theta = -(price_at(call, F, K, T + hT, r, s) - price_at(call, F, K, T - hT, r, s)) / (2 * hT);
    assert_close(g.delta, delta, 1e-6, 1e-9);
    assert_close(g.gamma, gamma, 1e-3, 1e-7 / F);
    assert_close(g.vega, vega, 1e-6, 1e-8 * F);
    assert_close(g.theta, theta, 1e-5, 1e-8 * F);
    assert_close(g.price, price_at(call, F, K, T, r, s), 0, 0);
}

static void test_greeks_finite_differences(void **state) {
    (void)state;
    const double F = 100.0;
    for (size_t a = 0; a < LG_COUNT(strikes_rel); a++) {
        for (size_t b = 0; b < LG_COUNT(vols) - 1; b++) {
            for (size_t c = 0; c < LG_COUNT(expiries); c++) {
                for (size_t d = 0; d < LG_COUNT(rates); d++) {
                    double K = F * strikes_rel[a];
                    check_greeks_fd(true, F, K, expiries[c], rates[d], vols[b]);
                    check_greeks_fd(false, F, K, expiries[c], rates[d], vols[b]);
                }
            }
        }
    }
    check_greeks_fd(true, 22000, 22500, 7.0 / 365, 0.065, 0.14);
    check_greeks_fd(false, 48000, 47000, 1.0 / 365, 0.07, 0.18);
}

static void test_greek_identities(void **state) {
    (void)state;
    lg_greeks_t c, p;
    double F = 22000, K = 22300, T = 10.0 / 365, r = 0.065, s = 0.15;
    lg_b76_greeks(true, F, K, T, r, s, &c);
    lg_b76_greeks(false, F, K, T, r, s, &p);
    assert_close(c.delta - p.delta, exp(-r * T), 1e-14, 0);
    assert_close(c.gamma, p.gamma, 1e-14, 0);
    assert_close(c.vega, p.vega, 1e-14, 0);
    assert_close(c.theta - p.theta, r * (c.price - p.price), 1e-12, 1e-12);
    assert_true(c.delta > 0 && c.delta < 1 && p.delta < 0 && p.delta > -1);
    assert_true(c.theta < 0 && c.gamma > 0 && c.vega > 0);
}

static void check_degenerate(bool call, double F, double K, double T, double r, double s) {
    lg_greeks_t g;
    lg_b76_greeks(call, F, K, T, r, s, &g);
    double D = exp(-r * (T > 0 ? T : 0));
    double intrinsic = call ? fmax(F - K, 0) : fmax(K - F, 0);
    assert_close(g.price, D * intrinsic, 1e-15, 0);
    assert_true(g.price == lg_b76_price(call, F, K, T, r, s));
    double want_delta = call ? (F > K ? D : 0.0) : (F < K ? -D : 0.0);
    assert_true(g.delta == want_delta);
    assert_true(g.gamma == 0.0 && g.vega == 0.0);
    assert_true(g.theta == (T > 0 ? r * g.price : 0.0));
}

static void test_degenerate_inputs(void **state) {
    (void)state;
    const double Ks[] = {90, 100, 110};
    const double Ts[] = {0.0, -0.5, 0.25, 1e-30};
    const double sigmas[] = {0.0, -0.2, 1e-20};
    for (size_t a = 0; a < LG_COUNT(Ks); a++) {
        for (size_t b = 0; b < LG_COUNT(Ts); b++) {
            check_degenerate(true, 100, Ks[a], Ts[b], 0.05, 0.0);
            check_degenerate(false, 100, Ks[a], Ts[b], 0.05, 0.0);
            check_degenerate(true, 100, Ks[a], 0.0, 0.05, 0.3);
            check_degenerate(false, 100, Ks[a], -1.0, 0.05, 0.3);
        }
        for (size_t b = 0; b < LG_COUNT(sigmas); b++) {
            check_degenerate(true, 100, Ks[a], 0.5, 0.05, sigmas[b]);
            check_degenerate(false, 100, Ks[a], 0.5, -0.02, sigmas[b]);
        }
    }
}

/* Extreme but legal inputs: finite, within no-arbitrage bounds, monotone in sigma. */
static void test_extremes_no_nan(void **state) {
    (void)state;
    const double Ks[] = {1e-6, 1.0, 50, 100, 200, 1e4, 1e8};
    const double ss[] = {1e-6, 1e-3, 0.1, 1, 10, 100, 1e6};
    for (size_t a = 0; a < LG_COUNT(Ks); a++) {
        double prev_c = 0, prev_p = 0;
        for (size_t b = 0; b < LG_COUNT(ss); b++) {
            lg_greeks_t c, p;
            lg_b76_greeks(true, 100, Ks[a], 0.5, 0.05, ss[b], &c);
            lg_b76_greeks(false, 100, Ks[a], 0.5, 0.05, ss[b], &p);
            double D = exp(-0.05 * 0.5);
            assert_true(isfinite(c.delta) && isfinite(c.gamma) && isfinite(c.vega) && isfinite(c.theta));
            assert_true(isfinite(p.delta) && isfinite(p.gamma) && isfinite(p.vega) && isfinite(p.theta));
            assert_true(c.price >= D * fmax(100 - Ks[a], 0) && c.price <= D * 100);
            assert_true(p.price >= D * fmax(Ks[a] - 100, 0) && p.price <= D * Ks[a]);
            assert_true(c.price >= prev_c && p.price >= prev_p);
            prev_c = c.price;
            prev_p = p.price;
        }
    }
}

static void check_flat_iv(bool call, double F, double K, double T, double r, double price) {
    double iv = -1;
    int rc = lg_b76_iv(call, F, K, T, r, price, &iv);
    if (rc == LG_OK) {
        /* the exact root lies within 1e-9 of the answer: price is monotone in sigma */
        assert_true(iv >= 1e-4 && iv <= 5.0);
        assert_true(lg_b76_price(call, F, K, T, r, fmax(iv - 1e-9, 1e-4)) <= price);
        assert_true(lg_b76_price(call, F, K, T, r, fmin(iv + 1e-9, 5.0)) >= price);
    } else {
        assert_true(rc == LG_ERANGE || (rc == LG_EINVAL && price == 0.0));
        assert_true(iv == -1);
    }
}

static void test_iv_round_trip(void **state) {
    (void)state;
    const double Fs[] = {100.0, 22000.0};
    int solved = 0, skipped = 0;
    for (size_t f = 0; f < LG_COUNT(Fs); f++) {
        for (size_t a = 0; a < LG_COUNT(strikes_rel); a++) {
            for (size_t b = 0; b < LG_COUNT(vols); b++) {
                for (size_t c = 0; c < LG_COUNT(expiries); c++) {
                    for (size_t d = 0; d < LG_COUNT(rates); d++) {
                        for (int call = 0; call < 2; call++) {
                            double F = Fs[f], K = F * strikes_rel[a], T = expiries[c];
                            double r = rates[d], s = vols[b];
                            lg_greeks_t g;
                            lg_b76_greeks(call, F, K, T, r, s, &g);
                            double iv = -1;
                            /* Vega ~ 0: the price barely depends on sigma, so only
                             * ask that a solution reprices, or that it is refused. */
                            if (g.vega < 1e-7 * F) {
                                check_flat_iv(call, F, K, T, r, g.price);
                                skipped++;
                                continue;
                            }
                            assert_int_equal(lg_b76_iv(call, F, K, T, r, g.price, &iv), LG_OK);
                            assert_close(iv, s, 0, 1e-6);
                            solved++;
                        }
                    }
                }
            }
        }
    }
    assert_true(solved > 5 * skipped);
    print_message("iv round trip: %d solved, %d skipped (vega ~ 0)\n", solved, skipped);
}

static void test_iv_nifty_and_bounds(void **state) {
    (void)state;
    double iv = 0;
    for (size_t i = 0; i < LG_COUNT(ref_cases); i++) {
        const ref_case_t *c = &ref_cases[i];
        assert_int_equal(lg_b76_iv(c->call, c->F, c->K, c->T, c->r, c->price, &iv), LG_OK);
        assert_close(iv, c->sigma, 0, 1e-9);
    }
    double hi = lg_b76_price(true, 100, 100, 1, 0.05, 5.0);
    assert_int_equal(lg_b76_iv(true, 100, 100, 1, 0.05, hi, &iv), LG_OK);
    assert_close(iv, 5.0, 0, 1e-9);
    double lo = lg_b76_price(false, 100, 100, 1, 0.05, 1e-4);
    assert_int_equal(lg_b76_iv(false, 100, 100, 1, 0.05, lo, &iv), LG_OK);
    assert_close(iv, 1e-4, 0, 1e-9);
}

/* Index-option wings: far strikes, short expiries, low vols; and extreme wings
 * whose prices are astronomically small (the solve must still converge). */
static void test_iv_wings(void **state) {
    (void)state;
    const double F = 22000.0, r = 0.065;
    for (int k = 0; k <= 24; k++) {
        for (int t = 0; t < 4; t++) {
            for (int v = 0; v < 5; v++) {
                double K = 19000.0 + 250.0 * k, T = (double[]){1, 3, 14, 60}[t] / 365.0;
                double s = (double[]){0.08, 0.12, 0.18, 0.3, 0.5}[v];
                for (int call = 0; call < 2; call++) {
                    lg_greeks_t g;
                    lg_b76_greeks(call, F, K, T, r, s, &g);
                    double iv = -1;
                    if (g.vega < 1e-7 * F) {
                        check_flat_iv(call, F, K, T, r, g.price);
                        continue;
                    }
                    assert_int_equal(lg_b76_iv(call, F, K, T, r, g.price, &iv), LG_OK);
                    assert_close(iv, s, 0, 1e-6);
                }
            }
        }
    }
    /* a put priced at 7e-230 and a deep in-the-money put far out in time */
    check_flat_iv(false, 100, 80, 7.0 / 365, 0.0, lg_b76_price(false, 100, 80, 7.0 / 365, 0.0, 0.05));
    double iv = -1, K = 300.41660239464335, s = 0.44948762796137237;
    assert_int_equal(lg_b76_iv(false, 100, K, 3, 0, lg_b76_price(false, 100, K, 3, 0, s), &iv), LG_OK);
    assert_close(iv, s, 0, 1e-9);
}

static void test_iv_errors(void **state) {
    (void)state;
    double iv = 123.0;
    double D = exp(-0.05 * 0.5);
    /* invalid inputs */
    assert_int_equal(lg_b76_iv(true, (double)NAN, 100, 0.5, 0.05, 5, &iv), LG_EINVAL);
    assert_int_equal(lg_b76_iv(true, 100, (double)INFINITY, 0.5, 0.05, 5, &iv), LG_EINVAL);
    assert_int_equal(lg_b76_iv(true, 100, 100, (double)NAN, 0.05, 5, &iv), LG_EINVAL);
    assert_int_equal(lg_b76_iv(true, 100, 100, 0.5, (double)NAN, 5, &iv), LG_EINVAL);
    assert_int_equal(lg_b76_iv(true, 100, 100, 0.5, 0.05, (double)INFINITY, &iv), LG_EINVAL);
    assert_int_equal(lg_b76_iv(true, 0, 100, 0.5, 0.05, 5, &iv), LG_EINVAL);
    assert_int_equal(lg_b76_iv(true, 100, -1, 0.5, 0.05, 5, &iv), LG_EINVAL);
    assert_int_equal(lg_b76_iv(true, 100, 100, 0, 0.05, 5, &iv), LG_EINVAL);
    assert_int_equal(lg_b76_iv(true, 100, 100, -1, 0.05, 5, &iv), LG_EINVAL);
    assert_int_equal(lg_b76_iv(true, 100, 100, 0.5, 0.05, 0, &iv), LG_EINVAL);
    assert_int_equal(lg_b76_iv(false, 100, 100, 0.5, 0.05, -1, &iv), LG_EINVAL);
    assert_int_equal(lg_b76_iv(true, 100, 100, 1000, -1.0, 5, &iv), LG_EINVAL); /* e^{-rT} overflows */
    /* below the discounted intrinsic value */
    assert_int_equal(lg_b76_iv(true, 100, 90, 0.5, 0.05, D * 10 - 1e-6, &iv), LG_ERANGE);
    assert_int_equal(lg_b76_iv(false, 90, 100, 0.5, 0.05, D * 10 - 1e-6, &iv), LG_ERANGE);
    /* above the upper bound: call e^{-rT} F, put e^{-rT} K */
    assert_int_equal(lg_b76_iv(true, 100, 90, 0.5, 0.05, D * 100 + 1e-9, &iv), LG_ERANGE);
    assert_int_equal(lg_b76_iv(false, 100, 90, 0.5, 0.05, D * 90 + 1e-9, &iv), LG_ERANGE);
    /* within the bounds, but the volatility would exceed 5 */
    assert_int_equal(lg_b76_iv(true, 100, 100, 1, 0.05, exp(-0.05) * 99, &iv), LG_ERANGE);
    assert_true(iv == 123.0); /* untouched on every error */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_norm),
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_put_call_parity),
        cmocka_unit_test(test_greeks_finite_differences),
        cmocka_unit_test(test_greek_identities),
        cmocka_unit_test(test_degenerate_inputs),
        cmocka_unit_test(test_extremes_no_nan),
        cmocka_unit_test(test_iv_round_trip),
        cmocka_unit_test(test_iv_nifty_and_bounds),
        cmocka_unit_test(test_iv_wings),
        cmocka_unit_test(test_iv_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
