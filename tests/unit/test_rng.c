/*
 * test_rng.c — unit tests for the seeded generator (src/core/rng.c): golden outputs
 * for fixed seeds (cross-checked against an independent Python implementation of
 * splitmix64 and xoshiro256**), determinism, and the statistics of uniform, normal,
 * below and chance.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "legato/numeric.h"

#define DRAWS 1000000

static void test_golden_seed_42(void **state) {
    (void)state;
    static const uint64_t seeded[4] = {0xbdd732262feb6e95ULL, 0x28efe333b266f103ULL,
                                       0x47526757130f9f52ULL, 0x581ce1ff0e4ae394ULL};
    static const uint64_t first[6] = {0x15780b2e0c2ec716ULL, 0x6104d9866d113a7eULL,
                                      0xae17533239e499a1ULL, 0xecb8ad4703b360a1ULL,
                                      0xfde6dc7fe2ec5e64ULL, 0xc50da53101795238ULL};
    lg_rng_t r;
    lg_rng_seed(&r, 42);
    for (size_t i = 0; i < 4; i++) {
        assert_true(r.s[i] == seeded[i]);
    }
    for (size_t i = 0; i < LG_COUNT(first); i++) {
        assert_true(lg_rng_next(&r) == first[i]);
    }
}

static void test_golden_seed_0(void **state) {
    (void)state;
    /* splitmix64's first output from 0 is the published 0xe220a8397b1dcdaf */
    static const uint64_t first[6] = {0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL,
                                      0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL,
                                      0xbba5ad4a1f842e59ULL, 0xffef8375d9ebcacaULL};
    lg_rng_t r;
    lg_rng_seed(&r, 0);
    assert_true(r.s[0] == 0xe220a8397b1dcdafULL);
    for (size_t i = 0; i < LG_COUNT(first); i++) {
        assert_true(lg_rng_next(&r) == first[i]);
    }
}

static void test_golden_derived(void **state) {
    (void)state;
    lg_rng_t r;
    lg_rng_seed(&r, 42);
    assert_true(lg_rng_uniform(&r) == 0.08386297105988216);
    assert_true(lg_rng_uniform(&r) == 0.3789802506626686);
    assert_true(lg_rng_uniform(&r) == 0.6800434110281394);
    lg_rng_seed(&r, 42);
    const double normals[3] = {-0.303263064678738, 1.3438117634372806, 0.3834617912676943};
    for (size_t i = 0; i < 3; i++) {
        assert_true(fabs(lg_rng_normal(&r) - normals[i]) < 1e-12);
    }
    lg_rng_seed(&r, 42);
    const uint64_t below10[5] = {2, 2, 9, 3, 6};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(lg_rng_below(&r, 10), below10[i]);
    }
}

static void test_determinism(void **state) {
    (void)state;
    lg_rng_t a, b, c;
    lg_rng_seed(&a, 12345);
    lg_rng_seed(&b, 12345);
    lg_rng_seed(&c, 12346);
    int same_as_c = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t x = lg_rng_next(&a);
        assert_true(x == lg_rng_next(&b));
        same_as_c += x == lg_rng_next(&c);
    }
    assert_int_equal(same_as_c, 0);
    assert_memory_equal(&a, &b, sizeof a);
    lg_rng_seed(&a, 7);
    lg_rng_seed(&b, 8);
    assert_true(memcmp(&a, &b, sizeof a) != 0);
    assert_true(lg_rng_next(&a) != lg_rng_next(&b));
}

static void test_uniform_moments(void **state) {
    (void)state;
    lg_rng_t r;
    lg_rng_seed(&r, 1);
    double sum = 0, sum2 = 0, lo = 1, hi = 0;
    for (int i = 0; i < DRAWS; i++) {
        double u = lg_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
        sum2 += u * u;
        lo = fmin(lo, u);
        hi = fmax(hi, u);
    }
    double mean = sum / DRAWS, var = sum2 / DRAWS - mean * mean;
    assert_true(fabs(mean - 0.5) < 0.0015);       /* ~5 standard errors */
    assert_true(fabs(var - 1.0 / 12.0) < 0.0008);
    assert_true(lo < 1e-5 && hi > 1 - 1e-5);
}

static void test_normal_moments(void **state) {
    (void)state;
    lg_rng_t r;
    lg_rng_seed(&r, 2);
    double sum = 0, sum2 = 0, sum4 = 0;
    int tail = 0;
    for (int i = 0; i < DRAWS; i++) {
        double z = lg_rng_normal(&r);
        assert_true(isfinite(z));
        sum += z;
        sum2 += z * z;
        sum4 += z * z * z * z;
        tail += fabs(z) > 1.959963984540054;
    }
    double mean = sum / DRAWS, var = sum2 / DRAWS - mean * mean;
    assert_true(fabs(mean) < 0.005);
    assert_true(fabs(var - 1.0) < 0.007);
    assert_true(fabs(sum4 / DRAWS - 3.0) < 0.05); /* kurtosis of a normal */
    assert_true(fabs((double)tail / DRAWS - 0.05) < 0.0015);
}

static void test_below(void **state) {
    (void)state;
    lg_rng_t r;
    lg_rng_seed(&r, 3);
    int counts[10] = {0};
    for (int i = 0; i < DRAWS; i++) {
        uint64_t v = lg_rng_below(&r, 10);
        assert_true(v < 10);
        counts[v]++;
    }
    for (int i = 0; i < 10; i++) {
        assert_true(counts[i] > DRAWS / 10 - 1500 && counts[i] < DRAWS / 10 + 1500);
    }
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(lg_rng_below(&r, 1), 0);
    }
    /* n = 3 * 2^62: plain modulo would put half the mass below 2^62, not a third */
    const uint64_t big = 3ULL << 62;
    int low = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t v = lg_rng_below(&r, big);
        assert_true(v < big);
        low += v < (1ULL << 62);
    }
    assert_true(fabs(low / 100000.0 - 1.0 / 3.0) < 0.008);
    for (int i = 0; i < 1000; i++) {
        assert_true(lg_rng_below(&r, UINT64_MAX) < UINT64_MAX);
    }
}

static void test_chance(void **state) {
    (void)state;
    lg_rng_t r, shadow;
    lg_rng_seed(&r, 4);
    lg_rng_seed(&shadow, 4);
    int hits = 0;
    for (int i = 0; i < 100000; i++) {
        assert_false(lg_rng_chance(&r, 0.0));
        assert_false(lg_rng_chance(&r, -1.0));
        assert_true(lg_rng_chance(&r, 1.0));
        assert_true(lg_rng_chance(&r, 2.0));
        hits += lg_rng_chance(&r, 0.3);
    }
    assert_true(fabs(hits / 100000.0 - 0.3) < 0.005);
    /* exactly one draw per call, whatever p is */
    for (int i = 0; i < 5 * 100000; i++) {
        (void)lg_rng_next(&shadow);
    }
    assert_memory_equal(&r, &shadow, sizeof r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_seed_42),
        cmocka_unit_test(test_golden_seed_0),
        cmocka_unit_test(test_golden_derived),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_uniform_moments),
        cmocka_unit_test(test_normal_moments),
        cmocka_unit_test(test_below),
        cmocka_unit_test(test_chance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
