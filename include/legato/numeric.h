/*
 * numeric.h — Black-76 pricing and greeks for options on futures / forwards, the
 * implied-volatility solve, freeze-quantity slicing, and a seeded PRNG. Pure math.
 *
 * Black-76 inputs: F forward, K strike (same unit), T years, r continuously
 * compounded rate, sigma annual volatility. Vega is per 1.00 of volatility, theta
 * per year (negative for a long option).
 */
#ifndef LEGATO_NUMERIC_H
#define LEGATO_NUMERIC_H

#include "legato/base.h"

typedef struct lg_greeks {
    double price, delta, gamma, vega, theta;
} lg_greeks_t;

double lg_b76_price(bool is_call, double F, double K, double T, double r, double sigma);
void lg_b76_greeks(bool is_call, double F, double K, double T, double r, double sigma,
                   lg_greeks_t *out);
/* lg_b76_greeks' delta alone (one normal CDF), for the hot paths. */
double lg_b76_delta(bool is_call, double F, double K, double T, double r, double sigma);
/* Solves for sigma in [1e-4, 5]; LG_ERANGE when price is outside the no-arbitrage
 * bounds, LG_EINVAL for bad inputs. */
int lg_b76_iv(bool is_call, double F, double K, double T, double r, double price,
              double *sigma);
/* The same, starting from guess (a volatility solved for the option before; 0 or out
 * of range: the solver's own start). */
int lg_b76_iv_from(bool is_call, double F, double K, double T, double r, double price,
                   double guess, double *sigma);
double lg_norm_cdf(double x);
double lg_norm_pdf(double x);

/* Splits qty units into children of whole lots, each at most freeze units, the
 * largest first (100 lots of 65 with freeze 1800: 27+27+27+19 lots). Writes unit
 * quantities. LG_EQTY if qty is not whole lots or freeze < lot; LG_EPOOL_FULL if more
 * than max children would be needed. */
int lg_slice_plan(lg_qty_t qty, lg_qty_t lot, lg_qty_t freeze, lg_qty_t *out, uint32_t max,
                  uint32_t *n);

/* xoshiro256** seeded by splitmix64: deterministic, no global state. */
typedef struct lg_rng {
    uint64_t s[4];
} lg_rng_t;
void lg_rng_seed(lg_rng_t *r, uint64_t seed);
uint64_t lg_rng_next(lg_rng_t *r);
double lg_rng_uniform(lg_rng_t *r);           /* [0, 1) */
double lg_rng_normal(lg_rng_t *r);            /* standard normal */
uint64_t lg_rng_below(lg_rng_t *r, uint64_t n); /* [0, n), n > 0 */
bool lg_rng_chance(lg_rng_t *r, double p);    /* true with probability p */

#endif
