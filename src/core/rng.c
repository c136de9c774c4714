/*
 * rng.c — the seeded pseudo-random generator used by the simulator and by tests:
 * xoshiro256** (Blackman and Vigna) with its state filled by splitmix64 from one
 * 64-bit seed. All state lives in the caller's lg_rng_t; the same seed always gives
 * the same sequence, on every platform.
 *
 * Draws consumed per call (part of the contract, since simulations replay by seed):
 *   lg_rng_next, lg_rng_uniform, lg_rng_chance  one each (chance draws even for
 *                                               p <= 0 or p >= 1)
 *   lg_rng_normal                               two (Box-Muller, no cached spare)
 *   lg_rng_below                                one, more on rejection (bounded)
 */
#include "legato/numeric.h"

#include <math.h>

#define LG_RNG_BELOW_MAX_TRIES 64

static const double lg_two_pi = 6.28318530717958647693;

static uint64_t rng_rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

/* splitmix64 (Steele, Lea, Flood): advances *x and returns the mixed value. */
static uint64_t rng_splitmix64(uint64_t *x) {
    *x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = *x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void lg_rng_seed(lg_rng_t *r, uint64_t seed) {
    LG_ASSERT(r != NULL);
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        r->s[i] = rng_splitmix64(&x);
    }
    /* splitmix64 is a bijection of its counter, so four outputs are never all 0. */
    LG_ASSERT((r->s[0] | r->s[1] | r->s[2] | r->s[3]) != 0);
}

uint64_t lg_rng_next(lg_rng_t *r) {
    LG_ASSERT(r != NULL);
    uint64_t *s = r->s;
    uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl(s[3], 45);
    return result;
}

double lg_rng_uniform(lg_rng_t *r) {
    double u = (double)(lg_rng_next(r) >> 11) * 0x1.0p-53;
    LG_ASSERT(u >= 0.0 && u < 1.0);
    return u;
}

double lg_rng_normal(lg_rng_t *r) {
    double u1 = 1.0 - lg_rng_uniform(r); /* (0, 1]: log is finite */
    double u2 = lg_rng_uniform(r);
    double z = sqrt(-2.0 * log(u1)) * cos(lg_two_pi * u2);
    LG_ASSERT(isfinite(z));
    return z;
}

/* Rejection of the low (2^64 mod n) values makes the result exactly uniform. Each
 * try is rejected with probability < 1/2; after LG_RNG_BELOW_MAX_TRIES rejections
 * (probability < 2^-64) the last draw is reduced anyway, deterministically. */
uint64_t lg_rng_below(lg_rng_t *r, uint64_t n) {
    LG_ASSERT(n > 0);
    uint64_t threshold = (0 - n) % n; /* = 2^64 mod n */
    uint64_t x = lg_rng_next(r);
    for (int i = 1; i < LG_RNG_BELOW_MAX_TRIES && x < threshold; i++) {
        x = lg_rng_next(r);
    }
    uint64_t v = x % n;
    LG_ASSERT(v < n);
    return v;
}

bool lg_rng_chance(lg_rng_t *r, double p) {
    LG_ASSERT(!isnan(p));
    double u = lg_rng_uniform(r);
    if (p <= 0.0) {
        return false;
    }
    if (p >= 1.0) {
        return true;
    }
    return u < p;
}
