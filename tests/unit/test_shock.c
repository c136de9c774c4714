/*
 * test_shock.c — the margin-shock predictor (shock.h): the call-spread story (a
 * spread whose finished margin fits is refused under the naive plan, for the state
 * "short filled, protection pending", and accepted under the ratchet, where that state
 * cannot be reached); the walk's worst state with slice boundaries equals the one
 * from the vertices alone (convexity), over random structures; bad legs and
 * parameters refused by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "legato/numeric.h"
#include "legato/shock.h"

static const double SPOT = 26000.0, T = 7.0 / 365.0, IV = 0.13;
static const lg_qty_t LOT = 65;

static lg_shock_leg_t opt(lg_kind_t k, double strike, lg_qty_t qty, int8_t cover, uint32_t und) {
    double p = lg_b76_price(k == LG_KIND_CE, SPOT, strike, T, 0.0, IV);
    lg_shock_leg_t l = {.cover = cover, .lot = LOT};
    l.m = (lg_margin_leg_t){.kind = k, .und = und, .spot = SPOT, .strike = strike, .t_years = T,
                            .iv = IV, .qty = qty, .price = (lg_paise_t)(p * 100.0 + 0.5)};
    return l;
}

static lg_shock_result_t walk(const lg_shock_leg_t *legs, uint32_t n, lg_policy_t pol,
                              uint32_t slices, lg_paise_t avail) {
    lg_shock_params_t p;
    lg_shock_params_default(&p);
    lg_shock_result_t r;
    assert_int_equal(lg_shock_walk(legs, n, pol, slices, &p, avail, &r), LG_OK);
    assert_true(r.states > 0);
    return r;
}

/* A bear call spread: sell the 26100 call, buy the 26300 call, 10 lots each. */
static void test_call_spread_story(void **state) {
    (void)state;
    lg_shock_leg_t legs[2] = {opt(LG_KIND_CE, 26100, -10 * LOT, 1, 0),
                              opt(LG_KIND_CE, 26300, 10 * LOT, -1, 0)};
    lg_shock_result_t probe = walk(legs, 2, LG_POLICY_RATCHET, 4, 0);
    /* available: room for the ratchet's worst state and a little more */
    lg_paise_t avail = probe.worst.need + probe.worst.need / 20;
    lg_shock_result_t rat = walk(legs, 2, LG_POLICY_RATCHET, 4, avail);
    lg_shock_result_t nai = walk(legs, 2, LG_POLICY_NAIVE, 4, avail);
    /* a plain pre-check of the finished margin passes */
    assert_true(nai.finished.margin <= avail);
    assert_true(rat.fits);
    assert_false(nai.fits);
    /* the naive plan's worst: the short filled, its protection pending, shocked up */
    assert_int_equal(nai.worst.held[0], 10 * LOT);
    assert_int_equal(nai.worst.held[1], 0);
    assert_int_equal(nai.worst.direction, 1);
    assert_true(nai.worst.loss > 0);
    assert_true(nai.worst.need > nai.worst.margin + nai.worst.loss);
    /* the ratchet never holds more short than protection */
    assert_true(rat.worst.held[0] <= rat.worst.held[1]);
    assert_true(rat.slices_walked);
    /* protection_first cannot reach the naked state either */
    assert_true(walk(legs, 2, LG_POLICY_PROTECTION_FIRST, 4, avail).fits);
    /* the refusal names the state */
    const char *names[2] = {"NIFTY26DEC26100CE", "NIFTY26DEC26300CE"};
    char buf[400];
    lg_shock_describe(legs, 2, names, &nai.worst, avail, buf, sizeof buf);
    assert_non_null(strstr(buf, "leg 0 short NIFTY26DEC26100CE 650/650"));
    assert_non_null(strstr(buf, "leg 1 long NIFTY26DEC26300CE 0/650"));
    assert_non_null(strstr(buf, "move up"));
}

/* Margin of the finished spread is far below the naked short's: the benefit shows. */
static void test_spread_benefit_in_states(void **state) {
    (void)state;
    lg_shock_leg_t legs[2] = {opt(LG_KIND_PE, 25900, -2 * LOT, 1, 0),
                              opt(LG_KIND_PE, 25700, 2 * LOT, -1, 0)};
    lg_shock_result_t nai = walk(legs, 2, LG_POLICY_NAIVE, 2, 0);
    assert_int_equal(nai.worst.held[0], 2 * LOT);
    assert_int_equal(nai.worst.held[1], 0);
    assert_int_equal(nai.worst.direction, -1); /* a short put fears the fall */
    assert_true(nai.finished.margin * 2 < nai.worst.margin);
    /* 2 legs × levels {0, 1, 2 lots}: 9 states, all reachable when naive */
    assert_int_equal(nai.states, 9);
    lg_shock_result_t rat = walk(legs, 2, LG_POLICY_RATCHET, 2, 0);
    assert_int_equal(rat.states, 6); /* short <= protection */
}

/* Worst need with every lot boundary walked equals the vertex walk's, for random
 * condors, spreads with futures and shared protection (convexity, shock.h). */
static void test_vertices_are_exact(void **state) {
    (void)state;
    lg_rng_t rng;
    lg_rng_seed(&rng, 42);
    for (int round = 0; round < 300; round++) {
        lg_shock_leg_t legs[LG_MAX_LEGS];
        uint32_t n = 0;
        uint32_t pairs = 1 + (uint32_t)lg_rng_below(&rng, 2);
        for (uint32_t k = 0; k < pairs; k++) {
            lg_kind_t kind = lg_rng_chance(&rng, 0.5) ? LG_KIND_CE : LG_KIND_PE;
            double sgn = kind == LG_KIND_CE ? 1 : -1;
            double ks = SPOT + sgn * 50.0 * (double)lg_rng_below(&rng, 6);
            lg_qty_t qs = (lg_qty_t)(1 + lg_rng_below(&rng, 3)) * LOT;
            lg_qty_t qp = qs + (lg_qty_t)lg_rng_below(&rng, 2) * LOT;
            uint32_t p = n;
            legs[n++] = opt(kind, ks + sgn * 100.0 * (double)(1 + lg_rng_below(&rng, 3)), qp, -1, 0);
            legs[n++] = opt(kind, ks, -qs, (int8_t)p, 0);
            if (lg_rng_chance(&rng, 0.3) && qp > qs) /* a second short on the same cover */
                legs[n - 1].m.qty = -(qs - LOT > 0 ? qs - LOT : LOT),
                legs[n++] = opt(kind, ks + sgn * 50.0, -LOT, (int8_t)p, 0);
        }
        if (lg_rng_chance(&rng, 0.3)) {
            lg_shock_leg_t f = {.cover = -1, .lot = LOT};
            f.m = (lg_margin_leg_t){.kind = LG_KIND_FUT, .spot = SPOT, .qty = LOT,
                                    .price = (lg_paise_t)(SPOT * 100)};
            f.m.qty = lg_rng_chance(&rng, 0.5) ? LOT : -LOT;
            legs[n++] = f;
        }
        for (int pol = 0; pol <= LG_POLICY_NAIVE; pol++) {
            lg_shock_result_t v = walk(legs, n, (lg_policy_t)pol, 0, 0);
            lg_shock_result_t a = walk(legs, n, (lg_policy_t)pol, 4, 0);
            if (!a.slices_walked) continue;
            assert_true(a.states >= v.states);
            lg_paise_t d = a.worst.need - v.worst.need;
            if (d > 2 || d < -2) {
                fprintf(stderr, "round %d policy %d: slices %lld vertices %lld\n", round, pol,
                        (long long)a.worst.need, (long long)v.worst.need);
                fail();
            }
        }
    }
}

/* Four shorts of 1, 2, 4 and 8 lots on one 16-lot protection: the protection's tight
 * points are every subset sum, 0 to 15 lots. The worst ratchet state holds every short
 * with the protection at exactly their 15 lots — a level only a walk that keeps all
 * sixteen subset sums reaches. */
static void test_four_shorts_one_cover(void **state) {
    (void)state;
    lg_shock_leg_t legs[5];
    legs[0] = opt(LG_KIND_CE, 26400.0, 16 * LOT, -1, 0);
    const lg_qty_t lots[4] = {1, 2, 4, 8};
    for (int i = 0; i < 4; i++) legs[1 + i] = opt(LG_KIND_CE, 26000.0 + 50.0 * i, -lots[i] * LOT, 0, 0);
    lg_shock_result_t r = walk(legs, 5, LG_POLICY_RATCHET, 0, 0);
    assert_int_equal(r.worst.held[0], 15 * LOT);
    for (int i = 0; i < 4; i++) assert_int_equal(r.worst.held[1 + i], lots[i] * LOT);
    lg_shock_result_t s = walk(legs, 5, LG_POLICY_RATCHET, 4, 0);
    assert_int_equal(s.worst.need, r.worst.need);
}

/* A need below one rupee keeps its sign in the refusal's text. */
static void test_describe_small_negative(void **state) {
    (void)state;
    lg_shock_leg_t legs[1] = {opt(LG_KIND_CE, 26000.0, LOT, -1, 0)};
    lg_shock_state_t s = {.held = {LOT}, .need = 500, .margin = 0, .loss = 50};
    char buf[256];
    lg_shock_describe(legs, 1, NULL, &s, -50, buf, sizeof buf);
    assert_non_null(strstr(buf, "available -0.50"));
}

/* The need of one state, priced from scratch: lg_margin_calc on the state's quantities
 * and each leg's value under the worst move up and down (shock.h's formula). */
static lg_paise_t oracle_need(const lg_shock_leg_t *legs, uint32_t n, const lg_qty_t *held) {
    lg_shock_params_t p;
    lg_shock_params_default(&p);
    lg_margin_leg_t ml[LG_MAX_LEGS];
    for (uint32_t i = 0; i < n; i++) {
        ml[i] = legs[i].m;
        ml[i].qty = legs[i].m.qty < 0 ? -held[i] : held[i];
    }
    lg_margin_t m;
    assert_int_equal(lg_margin_calc(ml, n, &p.margin, &m), LG_OK);
    double worst = 0.0;
    for (int d = 0; d < 2; d++) {
        double pnl = 0.0;
        for (uint32_t i = 0; i < n; i++) {
            lg_margin_leg_t hot = ml[i];
            hot.iv = ml[i].iv * (1.0 + p.worst_vol);
            double f = ml[i].spot * (1.0 + (d == 0 ? p.worst_move : -p.worst_move));
            double now = ml[i].kind == LG_KIND_FUT ? ml[i].spot : (double)ml[i].price / 100.0;
            pnl += (double)ml[i].qty * (lg_margin_unit_value(&hot, f) - now);
        }
        if (-pnl > worst) worst = -pnl;
    }
    return m.total + (lg_paise_t)llround(worst * (1.0 + p.addon) * 100.0);
}

/* The plan's rules, written out plainly. */
static bool oracle_reachable(const lg_shock_leg_t *legs, uint32_t n, lg_policy_t pol,
                             const lg_qty_t *held) {
    bool short_on = false, prot_open = false;
    for (uint32_t p = 0; p < n; p++) {
        lg_qty_t shorts = 0;
        bool prot = false;
        for (uint32_t i = 0; i < n; i++)
            if (legs[i].cover == (int8_t)p) shorts += held[i], prot = true;
        if (pol == LG_POLICY_RATCHET && shorts > held[p]) return false;
        short_on = short_on || shorts > 0;
        prot_open = prot_open || (prot && held[p] != legs[p].m.qty);
    }
    return pol != LG_POLICY_PROTECTION_FIRST || !(short_on && prot_open);
}

/* Every state of whole lots the plan can reach, priced from scratch: the largest need
 * is the walk's worst, to the paisa, for random spreads and condors on one or two
 * underlyings. */
static void test_walk_matches_every_lot_state(void **state) {
    (void)state;
    lg_rng_t rng;
    lg_rng_seed(&rng, 2026);
    for (int round = 0; round < 30; round++) {
        lg_shock_leg_t legs[LG_MAX_LEGS];
        uint32_t n = 0;
        for (uint32_t k = 0; k < 2; k++) {
            lg_kind_t kind = lg_rng_chance(&rng, 0.5) ? LG_KIND_CE : LG_KIND_PE;
            double sgn = kind == LG_KIND_CE ? 1 : -1;
            double ks = SPOT + sgn * 50.0 * (double)lg_rng_below(&rng, 6);
            lg_qty_t qs = (lg_qty_t)(1 + lg_rng_below(&rng, 2)) * LOT;
            uint32_t und = (uint32_t)lg_rng_below(&rng, 2), p = n;
            legs[n++] = opt(kind, ks + sgn * 100.0, qs + (lg_qty_t)lg_rng_below(&rng, 2) * LOT, -1, und);
            legs[n++] = opt(kind, ks, -qs, (int8_t)p, und);
        }
        for (int pol = 0; pol <= LG_POLICY_NAIVE; pol++) {
            lg_shock_result_t r = walk(legs, n, (lg_policy_t)pol, 4, 0);
            lg_paise_t best = -1;
            lg_qty_t held[LG_MAX_LEGS] = {0};
            for (uint32_t guard = 0; guard < 100000; guard++) {
                if (oracle_reachable(legs, n, (lg_policy_t)pol, held)) {
                    lg_paise_t need = oracle_need(legs, n, held);
                    if (need > best) best = need;
                }
                uint32_t i = 0; /* the next state, one lot at a time */
                while (i < n && (held[i] += LOT) > (legs[i].m.qty < 0 ? -legs[i].m.qty : legs[i].m.qty))
                    held[i++] = 0;
                if (i == n) break;
            }
            if (best != r.worst.need)
                fprintf(stderr, "round %d policy %d: every state %lld, walk %lld\n", round, pol,
                        (long long)best, (long long)r.worst.need);
            assert_int_equal(best, r.worst.need);
        }
    }
}

static void test_refusals(void **state) {
    (void)state;
    lg_shock_params_t p;
    lg_shock_params_default(&p);
    lg_shock_result_t r;
    lg_shock_leg_t legs[2] = {opt(LG_KIND_CE, 26100, -LOT, 1, 0), opt(LG_KIND_CE, 26300, LOT, -1, 0)};
    lg_shock_leg_t bad[2] = {legs[0], legs[1]};
    bad[0].m.qty = -LOT - 1; /* not whole lots */
    assert_int_equal(lg_shock_walk(bad, 2, LG_POLICY_RATCHET, 2, &p, 0, &r), LG_EINVAL);
    bad[0] = legs[0];
    bad[1].m.qty = -LOT; /* cover is a short */
    assert_int_equal(lg_shock_walk(bad, 2, LG_POLICY_RATCHET, 2, &p, 0, &r), LG_EINVAL);
    bad[1] = legs[1];
    bad[1].m.kind = LG_KIND_PE; /* a put cannot cover a call */
    assert_int_equal(lg_shock_walk(bad, 2, LG_POLICY_RATCHET, 2, &p, 0, &r), LG_EINVAL);
    bad[1] = legs[1];
    bad[1].m.iv = 0; /* no volatility */
    assert_int_equal(lg_shock_walk(bad, 2, LG_POLICY_RATCHET, 2, &p, 0, &r), LG_EINVAL);
    assert_int_equal(lg_shock_walk(legs, 0, LG_POLICY_RATCHET, 2, &p, 0, &r), LG_EINVAL);
    assert_int_equal(lg_shock_walk(legs, 2, (lg_policy_t)7, 2, &p, 0, &r), LG_EINVAL);
    char err[96];
    p.addon = -0.5;
    assert_int_equal(lg_shock_params_check(&p, err, sizeof err), LG_ERANGE);
    assert_non_null(strstr(err, "addon"));
    lg_shock_params_default(&p);
    p.margin.price_scan = 0;
    assert_int_equal(lg_shock_params_check(&p, err, sizeof err), LG_ERANGE);
    assert_non_null(strstr(err, "price_scan"));
    lg_shock_params_default(&p);
    p.worst_move = 1.5;
    assert_int_equal(lg_shock_params_check(&p, err, sizeof err), LG_ERANGE);
    assert_non_null(strstr(err, "worst_move"));
    lg_shock_params_default(&p);
    assert_int_equal(lg_shock_params_check(&p, err, sizeof err), LG_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_spread_story),
        cmocka_unit_test(test_spread_benefit_in_states),
        cmocka_unit_test(test_vertices_are_exact),
        cmocka_unit_test(test_four_shorts_one_cover),
        cmocka_unit_test(test_walk_matches_every_lot_state),
        cmocka_unit_test(test_describe_small_negative),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
