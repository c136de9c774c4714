/*
 * black76.c — Black-76 prices and greeks for European options on a forward, and
 * the implied-volatility solve. Pure math: no state, no I/O, no allocation.
 *
 *   d1 = ln(F/K)/s + s/2,  d2 = d1 - s,  s = sigma * sqrt(T),  D = e^{-rT}
 *   call = D [F N(d1) - K N(d2)],  put = D [K N(-d2) - F N(-d1)]
 *
 * Accuracy: N comes from erfc, and only the out-of-the-money side is evaluated
 * directly; the in-the-money side follows by put-call parity (C - P = D (F - K)),
 * so no price is the small difference of two numbers near F.
 *
 * Degenerate inputs never give NaN: when T <= 0 or s is below LG_B76_MIN_STDDEV the
 * option is worth its intrinsic value, discounted by e^{-r max(T,0)}; delta is a
 * step (call: D when F > K, else 0; put: -D when F < K, else 0), gamma = vega = 0,
 * and theta is r * price while T > 0 (0 once expired). Inputs must be finite with
 * F > 0 and K > 0 (asserted); a result that is not finite (for example e^{-rT}
 * overflowing for absurd r and T) is a caller bug and is asserted too.
 *
 * Implied volatility: LG_EINVAL for non-finite inputs, F, K, T or price <= 0, or a
 * discount factor that is not a positive finite number. LG_ERANGE when the price is
 * below price(sigma = 1e-4) or above price(sigma = 5): that covers the no-arbitrage
 * bounds (below the discounted intrinsic value; above e^{-rT} F for a call or
 * e^{-rT} K for a put) and also prices whose volatility lies outside [1e-4, 5].
 * A price equal to price(1e-4) (no time value left in double precision) gives 1e-4.
 * *sigma is written only on LG_OK. The solve is Newton on the log of the
 * out-of-the-money price inside a bracket that shrinks with every evaluation,
 * bisecting when a step would leave the bracket or fails to halve the step before
 * last; at most 100 evaluations (5-14 typically; up to ~50 only where vega is ~0),
 * converged when a step is below 1e-13 in sigma. Should it ever not converge it
 * returns LG_ERANGE rather than an unconverged answer.
 */
#include "legato/numeric.h"

#include <math.h>

#define LG_B76_MIN_STDDEV 1e-12 /* sigma * sqrt(T) below this: treat as no volatility */
#define LG_IV_SIGMA_LO 1e-4
#define LG_IV_SIGMA_HI 5.0
#define LG_IV_MAX_ITER 100
#define LG_IV_SIGMA_TOL 1e-13 /* stop when the step or the bracket is this small */

static const double lg_inv_sqrt2 = 0.70710678118654752440;
static const double lg_inv_sqrt2pi = 0.39894228040143267794;
static const double lg_sqrt2pi = 2.50662827463100050242;

double lg_norm_cdf(double x) {
    LG_ASSERT(!isnan(x));
    return 0.5 * erfc(-x * lg_inv_sqrt2);
}

double lg_norm_pdf(double x) {
    LG_ASSERT(!isnan(x));
    return lg_inv_sqrt2pi * exp(-0.5 * x * x);
}

static void b76_check_inputs(double F, double K, double T, double r, double sigma) {
    LG_ASSERT(isfinite(F) && F > 0.0);
    LG_ASSERT(isfinite(K) && K > 0.0);
    LG_ASSERT(isfinite(T));
    LG_ASSERT(isfinite(r));
    LG_ASSERT(isfinite(sigma));
}

/* Total standard deviation sigma*sqrt(T), or 0 when the option has no time value. */
static double b76_stddev(double T, double sigma) {
    if (T <= 0.0 || sigma <= 0.0) {
        return 0.0;
    }
    double s = sigma * sqrt(T);
    return s < LG_B76_MIN_STDDEV ? 0.0 : s;
}

static double b76_discount(double T, double r) {
    double D = exp(-r * (T > 0.0 ? T : 0.0));
    LG_ASSERT(isfinite(D) && D >= 0.0);
    return D;
}

static double b76_intrinsic(bool is_call, double F, double K) {
    double v = is_call ? F - K : K - F;
    return v > 0.0 ? v : 0.0;
}

/* Undiscounted price for s > 0, clamped to the no-arbitrage range of a forward
 * option: [intrinsic, F] for a call, [intrinsic, K] for a put. */
static double b76_undiscounted(bool is_call, double F, double K, double s) {
    LG_ASSERT(s > 0.0);
    double d1 = log(F / K) / s + 0.5 * s;
    double d2 = d1 - s;
    double call_otm = F * lg_norm_cdf(d1) - K * lg_norm_cdf(d2);
    double put_otm = K * lg_norm_cdf(-d2) - F * lg_norm_cdf(-d1);
    double v;
    if (is_call) {
        v = F <= K ? call_otm : put_otm + (F - K);
    } else {
        v = F >= K ? put_otm : call_otm + (K - F);
    }
    double lo = b76_intrinsic(is_call, F, K);
    double hi = is_call ? F : K;
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

double lg_b76_price(bool is_call, double F, double K, double T, double r, double sigma) {
    b76_check_inputs(F, K, T, r, sigma);
    double D = b76_discount(T, r);
    double s = b76_stddev(T, sigma);
    double v = s > 0.0 ? b76_undiscounted(is_call, F, K, s) : b76_intrinsic(is_call, F, K);
    double price = D * v;
    LG_ASSERT(isfinite(price) && price >= 0.0);
    return price;
}

static void b76_greeks_degenerate(bool is_call, double F, double K, double T, double r,
                                  lg_greeks_t *out) {
    double D = b76_discount(T, r);
    out->price = D * b76_intrinsic(is_call, F, K);
    if (is_call) {
        out->delta = F > K ? D : 0.0;
    } else {
        out->delta = F < K ? -D : 0.0;
    }
    out->gamma = 0.0;
    out->vega = 0.0;
    out->theta = T > 0.0 ? r * out->price : 0.0;
}

double lg_b76_delta(bool is_call, double F, double K, double T, double r, double sigma) {
    b76_check_inputs(F, K, T, r, sigma);
    double D = b76_discount(T, r);
    double s = b76_stddev(T, sigma);
    if (s <= 0.0) return is_call ? (F > K ? D : 0.0) : (F < K ? -D : 0.0);
    double d1 = log(F / K) / s + 0.5 * s;
    double delta = is_call ? D * lg_norm_cdf(d1) : -D * lg_norm_cdf(-d1);
    LG_ASSERT(isfinite(delta) && (is_call ? delta >= 0.0 : delta <= 0.0));
    return delta;
}

void lg_b76_greeks(bool is_call, double F, double K, double T, double r, double sigma,
                   lg_greeks_t *out) {
    LG_ASSERT(out != NULL);
    b76_check_inputs(F, K, T, r, sigma);
    double s = b76_stddev(T, sigma);
    if (s <= 0.0) {
        b76_greeks_degenerate(is_call, F, K, T, r, out);
    } else {
        double D = b76_discount(T, r);
        double sqrt_t = sqrt(T);
        double d1 = log(F / K) / s + 0.5 * s;
        double n1 = lg_norm_pdf(d1);
        out->price = D * b76_undiscounted(is_call, F, K, s);
        out->delta = is_call ? D * lg_norm_cdf(d1) : -D * lg_norm_cdf(-d1);
        out->gamma = D * n1 / (F * s);
        out->vega = D * F * n1 * sqrt_t;
        out->theta = -D * F * n1 * sigma / (2.0 * sqrt_t) + r * out->price;
    }
    LG_ASSERT(isfinite(out->price) && out->price >= 0.0);
    LG_ASSERT(isfinite(out->delta) && (is_call ? out->delta >= 0.0 : out->delta <= 0.0));
    LG_ASSERT(isfinite(out->gamma) && out->gamma >= 0.0);
    LG_ASSERT(isfinite(out->vega) && out->vega >= 0.0);
    LG_ASSERT(isfinite(out->theta));
}

/* The solve works on the out-of-the-money option (the in-the-money price minus its
 * discounted intrinsic value, by parity), undiscounted, in log space: ln P(sigma)
 * is smooth and far from flat in the wings, where P itself is exponentially small. */
typedef struct iv_problem {
    bool call;         /* side of the out-of-the-money option */
    double F, K, T;
    double log_target; /* ln of its undiscounted price */
} iv_problem_t;

/* The solve's state: the root lies in [lo, hi]; x is the current estimate and
 * step, prev_step the last two moves (for the bisection safeguard). */
typedef struct iv_search {
    double lo, hi, x, step, prev_step;
} iv_search_t;

/* ln P(sigma) - ln target, and its derivative vega / P; -inf (slope 0) when P
 * underflows to 0. */
static double iv_eval(const iv_problem_t *p, double sigma, double *slope) {
    double s = sigma * sqrt(p->T);
    double v = b76_undiscounted(p->call, p->F, p->K, s);
    if (!(v > 0.0)) {
        *slope = 0.0;
        return -(double)INFINITY;
    }
    double d1 = log(p->F / p->K) / s + 0.5 * s;
    *slope = p->F * lg_norm_pdf(d1) * sqrt(p->T) / v;
    return log(v) - p->log_target;
}

/* Start at the larger of the at-the-money estimate (Brenner-Subrahmanyam) and the
 * point of steepest vega, sqrt(2 |ln(F/K)| / T) (Manaster-Koehler). */
static double iv_start(const iv_problem_t *p, const iv_search_t *q) {
    double atm = exp(p->log_target) / p->F * lg_sqrt2pi / sqrt(p->T);
    double mk = sqrt(2.0 * fabs(log(p->F / p->K)) / p->T);
    double guess = LG_MAX(atm, mk);
    return guess > q->lo && guess < q->hi ? guess : 0.5 * (q->lo + q->hi);
}

/* One evaluation: narrow the bracket, then take the Newton step if it stays inside
 * and at least halves the step before last (as in Numerical Recipes' rtsafe),
 * otherwise bisect. Returns true once converged. */
static bool iv_iterate(const iv_problem_t *p, iv_search_t *q) {
    double slope = 0.0;
    double err = iv_eval(p, q->x, &slope);
    if (err == 0.0) {
        return true;
    }
    if (err > 0.0) {
        q->hi = q->x;
    } else {
        q->lo = q->x;
    }
    double next = slope > 0.0 && isfinite(err) ? q->x - err / slope : (double)NAN;
    if (fabs(next - q->x) < LG_IV_SIGMA_TOL) {
        return true; /* converged; x may sit on the bracket's edge, so test first */
    }
    bool newton_ok = next > q->lo && next < q->hi && fabs(next - q->x) <= 0.5 * fabs(q->prev_step);
    if (!newton_ok) {
        next = 0.5 * (q->lo + q->hi);
    }
    q->prev_step = q->step;
    q->step = next - q->x;
    q->x = next;
    return fabs(q->step) < LG_IV_SIGMA_TOL || q->hi - q->lo < LG_IV_SIGMA_TOL;
}

/* Finite, positive inputs whose discount factor is a normal positive number. */
static bool iv_inputs_ok(double F, double K, double T, double r, double price) {
    if (!(isfinite(F) && isfinite(K) && isfinite(T) && isfinite(r) && isfinite(price))) {
        return false;
    }
    if (!(F > 0.0 && K > 0.0 && T > 0.0 && price > 0.0)) {
        return false;
    }
    double D = exp(-r * T);
    return isfinite(D) && D > 0.0;
}

int lg_b76_iv(bool is_call, double F, double K, double T, double r, double price,
              double *sigma) {
    return lg_b76_iv_from(is_call, F, K, T, r, price, 0.0, sigma);
}

int lg_b76_iv_from(bool is_call, double F, double K, double T, double r, double price,
                   double guess, double *sigma) {
    LG_ASSERT(sigma != NULL);
    if (!iv_inputs_ok(F, K, T, r, price)) {
        return LG_EINVAL;
    }
    double p_lo = lg_b76_price(is_call, F, K, T, r, LG_IV_SIGMA_LO);
    if (price < p_lo || price > lg_b76_price(is_call, F, K, T, r, LG_IV_SIGMA_HI)) {
        return LG_ERANGE; /* no-arbitrage bounds, or a volatility outside [lo, hi] */
    }
    double D = b76_discount(T, r);
    double otm = price / D - b76_intrinsic(is_call, F, K);
    if (price == p_lo || !(otm > 0.0)) {
        *sigma = LG_IV_SIGMA_LO; /* no time value left to resolve */
        return LG_OK;
    }
    iv_problem_t p = {.call = F <= K, .F = F, .K = K, .T = T, .log_target = log(otm)};
    iv_search_t q = {.lo = LG_IV_SIGMA_LO, .hi = LG_IV_SIGMA_HI};
    /* a volatility known a moment ago is nearer than any formula: two or three Newton
     * steps instead of five or six (the answer is the same to the tolerance) */
    q.x = guess > q.lo && guess < q.hi ? guess : iv_start(&p, &q);
    q.step = q.prev_step = q.hi - q.lo;
    bool done = false;
    for (int i = 0; i < LG_IV_MAX_ITER && !done; i++) {
        done = iv_iterate(&p, &q);
    }
    if (!done) {
        return LG_ERANGE; /* not reached in testing; never a silent unconverged answer */
    }
    LG_ASSERT(isfinite(q.x) && q.x >= LG_IV_SIGMA_LO && q.x <= LG_IV_SIGMA_HI);
    *sigma = q.x;
    return LG_OK;
}
