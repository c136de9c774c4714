/*
 * greeks.c — portfolio greeks per underlying (greeks.h): implied volatility from a
 * quote, Σ qty·greek per underlying into a fixed-size book, limits and their
 * checks, and the structure units a limit leaves room for. Pure: no I/O, no clock
 * (the instant comes in the market), no allocation (a book is a fixed array).
 *
 * A position's greeks are Black-76's per unit (delta per unit of the forward,
 * vega per 1.00 of volatility, theta per year), then scaled once, in
 * pos_unit_greeks, to the book's units: vega / 100 (per point), theta / 365 (per
 * calendar day, the same 365-day year as the time to expiry). Futures are δ = 1 and
 * nothing else. An expired option (time to expiry 0) is worth its intrinsic value:
 * Black-76 gives it a step delta and no gamma, vega or theta, whatever the
 * volatility, so none is implied for it.
 *
 * Building and adding work on a copy of the book and store it only on success, so
 * a refused leg never leaves a half-summed book behind; the sums run in position
 * order, so the same input always gives the same bits.
 *
 * Units fit: with g > 0 (g < 0 is the mirror image, G and g negated, which leaves
 * |G + k·g| unchanged bit for bit) the allowed k form the interval
 * [(-limit - G) / g, (limit - G) / g]; the answer is the floor of its upper end,
 * nudged by at most two steps to agree with the predicate evaluated in doubles,
 * and 0 when that k still does not fit (the interval holds no whole k >= 0). Since
 * |G + k·g| is convex in k, every k from 0 to the answer stays within
 * max(|G|, limit).
 */
#include "legato/greeks.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "legato/numeric.h"

#define LG_SECONDS_PER_DAY 86400
#define LG_EXPIRY_SECOND_OF_DAY 36000 /* 15:30 IST = 10:00 UTC */
#define LG_SECONDS_PER_YEAR (365.0 * 86400.0)
#define LG_DAYS_PER_YEAR 365.0
#define LG_VOL_POINT 0.01
#define LG_RATE_MAX 1.0
#define LG_FIT_NUDGES 2

static bool same_name(const char *a, const char *b) {
    return strncmp(a, b, LG_UNDERLYING_MAX) == 0;
}

double lg_years_to_expiry(const lg_instrument_t *ins, int64_t unix_ns) {
    LG_ASSERT(ins != NULL);
    /* whole seconds in int64 (no overflow: |expiry_s| < 2e14, |unix_ns / 1e9| < 1e10),
     * then the fraction, so the answer does not lose the nanoseconds to rounding */
    int64_t expiry_s = (int64_t)ins->expiry_day * LG_SECONDS_PER_DAY + LG_EXPIRY_SECOND_OF_DAY;
    int64_t whole = expiry_s - unix_ns / LG_NS_PER_S;
    double secs = (double)whole - (double)(unix_ns % LG_NS_PER_S) / (double)LG_NS_PER_S;
    double years = secs > 0.0 ? secs / LG_SECONDS_PER_YEAR : 0.0;
    LG_ASSERT(isfinite(years) && years >= 0.0);
    return years;
}

lg_price_src_t lg_greeks_quote_price(const lg_greeks_quote_t *q, double *rupees) {
    LG_ASSERT(q != NULL && rupees != NULL);
    if (q->bid > 0 && q->ask > 0 && q->bid <= q->ask) {
        *rupees = ((double)q->bid + (double)q->ask) / 200.0;
        return LG_PRICE_MID;
    }
    if (q->ltp > 0) {
        *rupees = (double)q->ltp / 100.0;
        return LG_PRICE_LTP;
    }
    return LG_PRICE_NONE;
}

static bool is_option(const lg_instrument_t *ins) {
    return ins->kind == LG_KIND_CE || ins->kind == LG_KIND_PE;
}

static bool rate_ok(double r) {
    return isfinite(r) && fabs(r) <= LG_RATE_MAX;
}

/* The solve, inputs checked: F, K > 0 rupees, T > 0. */
static int iv_solve(const lg_instrument_t *ins, const lg_greeks_quote_t *q, double F, double T,
                    double r, double *iv, char *err, size_t errcap) {
    bool call = ins->kind == LG_KIND_CE;
    double K = (double)ins->strike / 100.0;
    double price = 0.0;
    if (lg_greeks_quote_price(q, &price) == LG_PRICE_NONE) {
        (void)lg_errf(err, errcap, LG_OK, "%.*s: no market price (bid, ask and last price all missing)",
                LG_SYMBOL_MAX, ins->symbol);
        return LG_ENODATA;
    }
    double sigma = 0.0;
    int rc = lg_b76_iv(call, F, K, T, r, price, &sigma);
    if (rc == LG_ERANGE) {
        double D = exp(-r * T);
        double lo = D * LG_MAX(call ? F - K : K - F, 0.0), hi = D * (call ? F : K);
        (void)lg_errf(err, errcap, LG_OK,
                "%.*s: price %.2f is outside the no-arbitrage bounds [%.2f, %.2f] at forward "
                "%.2f, or no volatility in the solver's range gives it",
                LG_SYMBOL_MAX, ins->symbol, price, lo, hi, F);
        return LG_ENODATA;
    }
    if (rc != LG_OK) {
        (void)lg_errf(err, errcap, LG_OK, "%.*s: no volatility for price %.2f at forward %.2f, %.6f years",
                LG_SYMBOL_MAX, ins->symbol, price, F, T);
        return LG_EINVAL;
    }
    *iv = sigma;
    return LG_OK;
}

/* Checks shared by every option: a positive strike and a forward. */
static int option_inputs(const lg_instrument_t *ins, lg_paise_t forward, char *err,
                         size_t errcap) {
    if (ins->strike <= 0) {
        (void)lg_errf(err, errcap, LG_OK, "%.*s: option with strike %lld paise", LG_SYMBOL_MAX, ins->symbol,
                (long long)ins->strike);
        return LG_EINSTRUMENT;
    }
    if (forward <= 0) {
        (void)lg_errf(err, errcap, LG_OK, "%.*s: no forward for %.*s (its front future's price is missing)",
                LG_SYMBOL_MAX, ins->symbol, LG_UNDERLYING_MAX, ins->underlying);
        return LG_ENODATA;
    }
    return LG_OK;
}

int lg_greeks_implied_vol(const lg_instrument_t *ins, const lg_greeks_quote_t *q,
                          lg_paise_t forward, int64_t unix_ns, double r, double *iv, char *err,
                          size_t errcap) {
    LG_ASSERT(ins != NULL && q != NULL && iv != NULL);
    if (!is_option(ins)) {
        (void)lg_errf(err, errcap, LG_OK, "%.*s: not an option", LG_SYMBOL_MAX, ins->symbol);
        return LG_EINVAL;
    }
    if (!rate_ok(r)) {
        (void)lg_errf(err, errcap, LG_OK, "%.*s: rate %g is not a finite number within [-1, 1]",
                LG_SYMBOL_MAX, ins->symbol, r);
        return LG_EINVAL;
    }
    int rc = option_inputs(ins, forward, err, errcap);
    if (rc != LG_OK) return rc;
    double T = lg_years_to_expiry(ins, unix_ns);
    if (!(T > 0.0)) {
        (void)lg_errf(err, errcap, LG_OK, "%.*s: expired, no time value to imply a volatility from",
                LG_SYMBOL_MAX, ins->symbol);
        return LG_EINVAL;
    }
    return iv_solve(ins, q, (double)forward / 100.0, T, r, iv, err, errcap);
}

static lg_paise_t forward_of(const lg_greeks_market_t *m, const char *underlying) {
    for (uint32_t i = 0; i < m->n_forwards; i++) {
        if (same_name(m->forwards[i].underlying, underlying)) return m->forwards[i].price;
    }
    return 0;
}

/* The volatility of an option position: the known one, none when expired, or the
 * one its quote implies. */
static int pos_sigma(const lg_greeks_pos_t *p, double F, double T, double r, double *sigma,
                     char *err, size_t errcap) {
    if (p->iv != 0.0) {
        if (!(isfinite(p->iv) && p->iv > 0.0)) {
            (void)lg_errf(err, errcap, LG_OK, "%.*s: volatility %g is not a positive number", LG_SYMBOL_MAX,
                    p->ins->symbol, p->iv);
            return LG_EINVAL;
        }
        *sigma = p->iv;
        return LG_OK;
    }
    if (!(T > 0.0)) {
        *sigma = 0.0; /* expired: intrinsic value, no volatility involved */
        return LG_OK;
    }
    return iv_solve(p->ins, &p->quote, F, T, r, sigma, err, errcap);
}

/* Greeks of one unit of the position, in the book's units. */
static int pos_unit_greeks(const lg_greeks_pos_t *p, const lg_greeks_market_t *m,
                           lg_greeks_t *g, char *err, size_t errcap) {
    const lg_instrument_t *ins = p->ins;
    *g = (lg_greeks_t){0};
    if (ins->kind == LG_KIND_FUT) {
        g->delta = 1.0;
        return LG_OK;
    }
    lg_paise_t fwd = forward_of(m, ins->underlying);
    int rc = option_inputs(ins, fwd, err, errcap);
    if (rc != LG_OK) return rc;
    double F = (double)fwd / 100.0, K = (double)ins->strike / 100.0;
    double T = lg_years_to_expiry(ins, m->unix_ns);
    double sigma = 0.0;
    rc = pos_sigma(p, F, T, m->rate, &sigma, err, errcap);
    if (rc != LG_OK) return rc;
    lg_b76_greeks(ins->kind == LG_KIND_CE, F, K, T, m->rate, sigma, g);
    g->vega *= LG_VOL_POINT;
    g->theta /= LG_DAYS_PER_YEAR;
    return LG_OK;
}

static int pos_check(const lg_greeks_pos_t *p, uint32_t i, char *err, size_t errcap) {
    if (p->ins == NULL) {
        (void)lg_errf(err, errcap, LG_OK, "leg %u: no instrument", i);
        return LG_EINSTRUMENT;
    }
    if (!is_option(p->ins) && p->ins->kind != LG_KIND_FUT) {
        (void)lg_errf(err, errcap, LG_OK, "%.*s: kind %d is neither an option nor a future", LG_SYMBOL_MAX,
                p->ins->symbol, (int)p->ins->kind);
        return LG_EINSTRUMENT;
    }
    if (p->ins->underlying[0] == '\0') {
        (void)lg_errf(err, errcap, LG_OK, "%.*s: no underlying name", LG_SYMBOL_MAX, p->ins->symbol);
        return LG_EINSTRUMENT;
    }
    return LG_OK;
}

void lg_greeks_book_init(lg_greeks_book_t *b) {
    LG_ASSERT(b != NULL);
    memset(b, 0, sizeof *b);
}

const lg_greeks_und_t *lg_greeks_book_find(const lg_greeks_book_t *b, const char *underlying) {
    LG_ASSERT(b != NULL && underlying != NULL);
    LG_ASSERT(b->n <= LG_GREEKS_MAX_UNDERLYINGS);
    for (uint32_t i = 0; i < b->n; i++) {
        if (same_name(b->und[i].underlying, underlying)) return &b->und[i];
    }
    return NULL;
}

/* The entry of an underlying, a new one if needed; NULL when the book is full. */
static lg_greeks_und_t *book_slot(lg_greeks_book_t *b, const char *underlying) {
    const lg_greeks_und_t *found = lg_greeks_book_find(b, underlying);
    if (found != NULL) return &b->und[found - b->und];
    if (b->n == LG_GREEKS_MAX_UNDERLYINGS) return NULL;
    lg_greeks_und_t *u = &b->und[b->n++];
    memset(u, 0, sizeof *u);
    (void)lg_strlcpy(u->underlying, underlying, sizeof u->underlying);
    return u;
}

/* Adds one position to the book. */
static int book_add_pos(lg_greeks_book_t *b, const lg_greeks_pos_t *p,
                        const lg_greeks_market_t *m, char *err, size_t errcap) {
    lg_greeks_t g;
    int rc = pos_unit_greeks(p, m, &g, err, errcap);
    if (rc != LG_OK) return rc;
    lg_greeks_und_t *u = book_slot(b, p->ins->underlying);
    if (u == NULL) {
        (void)lg_errf(err, errcap, LG_OK, "%.*s: underlying %.*s does not fit: at most %d underlyings",
                LG_SYMBOL_MAX, p->ins->symbol, LG_UNDERLYING_MAX, p->ins->underlying,
                LG_GREEKS_MAX_UNDERLYINGS);
        return LG_ENOSPACE;
    }
    double q = (double)p->qty;
    u->delta += q * g.delta;
    u->gamma += q * g.gamma;
    u->vega += q * g.vega;
    u->theta += q * g.theta;
    LG_ASSERT(isfinite(u->delta) && isfinite(u->gamma));
    LG_ASSERT(isfinite(u->vega) && isfinite(u->theta));
    return LG_OK;
}

int lg_greeks_book_add(const lg_greeks_book_t *base, const lg_greeks_pos_t *legs, uint32_t n,
                       const lg_greeks_market_t *m, lg_greeks_book_t *out, char *err,
                       size_t errcap) {
    LG_ASSERT(base != NULL && out != NULL && m != NULL);
    LG_ASSERT(base->n <= LG_GREEKS_MAX_UNDERLYINGS);
    LG_ASSERT(n == 0 || legs != NULL);
    LG_ASSERT(m->n_forwards == 0 || m->forwards != NULL);
    if (!rate_ok(m->rate)) {
        (void)lg_errf(err, errcap, LG_OK, "rate %g is not a finite number within [-1, 1]", m->rate);
        return LG_EINVAL;
    }
    lg_greeks_book_t b = *base;
    for (uint32_t i = 0; i < n; i++) {
        int rc = pos_check(&legs[i], i, err, errcap);
        if (rc == LG_OK && legs[i].qty != 0) rc = book_add_pos(&b, &legs[i], m, err, errcap);
        if (rc != LG_OK) return rc;
    }
    LG_ASSERT(b.n >= base->n && b.n <= LG_GREEKS_MAX_UNDERLYINGS);
    *out = b;
    return LG_OK;
}

int lg_greeks_book_build(lg_greeks_book_t *out, const lg_greeks_pos_t *pos, uint32_t n,
                         const lg_greeks_market_t *m, char *err, size_t errcap) {
    lg_greeks_book_t empty;
    lg_greeks_book_init(&empty);
    return lg_greeks_book_add(&empty, pos, n, m, out, err, errcap);
}

/* ---- limits -------------------------------------------------------------------- */

static const char *const greek_names[LG_GREEK_COUNT] = {"delta", "gamma", "vega", "theta"};
static const char *const limit_fields[LG_GREEK_COUNT] = {"max_delta", "max_gamma", "max_vega",
                                                         "max_theta"};
static const char *const greek_units[LG_GREEK_COUNT] = {
    "units", "units per rupee", "rupees per vol point", "rupees per day"};

const char *lg_greek_name(lg_greek_t k) {
    LG_ASSERT((unsigned)k < LG_GREEK_COUNT);
    return greek_names[k];
}

double lg_greeks_und_get(const lg_greeks_und_t *u, lg_greek_t k) {
    LG_ASSERT(u != NULL);
    switch (k) {
    case LG_GREEK_DELTA: return u->delta;
    case LG_GREEK_GAMMA: return u->gamma;
    case LG_GREEK_VEGA: return u->vega;
    case LG_GREEK_THETA: return u->theta;
    }
    lg_assert_fail("k is a known greek", __FILE__, __LINE__);
}

double lg_greeks_limit_of(const lg_greeks_limits_t *l, lg_greek_t k) {
    LG_ASSERT(l != NULL);
    switch (k) {
    case LG_GREEK_DELTA: return l->max_delta;
    case LG_GREEK_GAMMA: return l->max_gamma;
    case LG_GREEK_VEGA: return l->max_vega;
    case LG_GREEK_THETA: return l->max_theta;
    }
    lg_assert_fail("k is a known greek", __FILE__, __LINE__);
}

/* prefix names whose limits these are in a message ("" for the base set). */
static int limits_check(const lg_greeks_limits_t *l, const char *prefix, char *err,
                        size_t errcap) {
    for (int k = 0; k < LG_GREEK_COUNT; k++) {
        double v = lg_greeks_limit_of(l, (lg_greek_t)k);
        if (!(isfinite(v) && v >= 0.0)) {
            (void)lg_errf(err, errcap, LG_OK, "%slimit %s is %g: must be a finite number >= 0 (0: no limit)",
                    prefix, limit_fields[k], v);
            return LG_EINVAL;
        }
    }
    return LG_OK;
}

int lg_greeks_limits_validate(const lg_greeks_limits_t *l, char *err, size_t errcap) {
    LG_ASSERT(l != NULL);
    return limits_check(l, "", err, errcap);
}

static int limit_row_check(const lg_greeks_limit_set_t *s, uint32_t i, char *err,
                           size_t errcap) {
    const char *und = s->rows[i].underlying;
    if (und[0] == '\0' || memchr(und, '\0', LG_UNDERLYING_MAX) == NULL) {
        (void)lg_errf(err, errcap, LG_OK, "limits row %u: underlying name empty or unterminated", i);
        return LG_EINVAL;
    }
    for (uint32_t j = 0; j < i; j++) {
        if (same_name(s->rows[j].underlying, und)) {
            (void)lg_errf(err, errcap, LG_OK, "limits row %u: underlying %s appears twice", i, und);
            return LG_EINVAL;
        }
    }
    char prefix[LG_UNDERLYING_MAX + 16];
    snprintf(prefix, sizeof prefix, "%s: ", und);
    return limits_check(&s->rows[i].limits, prefix, err, errcap);
}

int lg_greeks_limit_set_validate(const lg_greeks_limit_set_t *s, char *err, size_t errcap) {
    LG_ASSERT(s != NULL);
    if (s->n > LG_GREEKS_MAX_UNDERLYINGS) {
        (void)lg_errf(err, errcap, LG_OK, "limits: %u rows, at most %d", s->n, LG_GREEKS_MAX_UNDERLYINGS);
        return LG_EINVAL;
    }
    int rc = limits_check(&s->base, "", err, errcap);
    for (uint32_t i = 0; i < s->n && rc == LG_OK; i++) rc = limit_row_check(s, i, err, errcap);
    return rc;
}

const lg_greeks_limits_t *lg_greeks_limits_for(const lg_greeks_limit_set_t *s,
                                               const char *underlying) {
    LG_ASSERT(s != NULL && underlying != NULL);
    LG_ASSERT(s->n <= LG_GREEKS_MAX_UNDERLYINGS);
    for (uint32_t i = 0; i < s->n; i++) {
        if (same_name(s->rows[i].underlying, underlying)) return &s->rows[i].limits;
    }
    return &s->base;
}

/* The first greek of u beyond its limit (and, with prev, further from zero than in
 * prev); -1 when none. */
static int first_breach(const lg_greeks_und_t *u, const lg_greeks_und_t *prev, bool trade,
                        const lg_greeks_limits_t *l) {
    for (int k = 0; k < LG_GREEK_COUNT; k++) {
        double limit = lg_greeks_limit_of(l, (lg_greek_t)k);
        double v = fabs(lg_greeks_und_get(u, (lg_greek_t)k));
        if (limit == 0.0 || v <= limit) continue;
        double before = prev != NULL ? fabs(lg_greeks_und_get(prev, (lg_greek_t)k)) : 0.0;
        if (trade && v <= before) continue; /* beyond already, and the trade reduces it */
        return k;
    }
    return -1;
}

static int check_books(const lg_greeks_book_t *before, const lg_greeks_book_t *after,
                       const lg_greeks_limit_set_t *s, lg_greeks_breach_t *breach, char *err,
                       size_t errcap) {
    LG_ASSERT(after != NULL && s != NULL);
    LG_ASSERT(after->n <= LG_GREEKS_MAX_UNDERLYINGS);
    LG_ASSERT(lg_greeks_limit_set_validate(s, NULL, 0) == LG_OK);
    for (uint32_t i = 0; i < after->n; i++) {
        const lg_greeks_und_t *u = &after->und[i];
        const lg_greeks_und_t *prev =
            before != NULL ? lg_greeks_book_find(before, u->underlying) : NULL;
        const lg_greeks_limits_t *l = lg_greeks_limits_for(s, u->underlying);
        int k = first_breach(u, prev, before != NULL, l);
        if (k < 0) continue;
        lg_greeks_breach_t b = {.greek = (lg_greek_t)k,
                                .value = lg_greeks_und_get(u, (lg_greek_t)k),
                                .limit = lg_greeks_limit_of(l, (lg_greek_t)k)};
        (void)lg_strlcpy(b.underlying, u->underlying, sizeof b.underlying);
        (void)lg_errf(err, errcap, LG_OK, "%.*s %s %.6g %s is beyond the limit %.6g%s", LG_UNDERLYING_MAX,
                b.underlying, greek_names[k], b.value, greek_units[k], b.limit,
                before != NULL ? " after the trade" : "");
        if (breach != NULL) *breach = b;
        return LG_ELIMIT;
    }
    return LG_OK;
}

int lg_greeks_check(const lg_greeks_book_t *b, const lg_greeks_limit_set_t *s,
                    lg_greeks_breach_t *breach, char *err, size_t errcap) {
    return check_books(NULL, b, s, breach, err, errcap);
}

int lg_greeks_check_trade(const lg_greeks_book_t *before, const lg_greeks_book_t *after,
                          const lg_greeks_limit_set_t *s, lg_greeks_breach_t *breach,
                          char *err, size_t errcap) {
    LG_ASSERT(before != NULL);
    return check_books(before, after, s, breach, err, errcap);
}

/* ---- sizing -------------------------------------------------------------------- */

static bool fits(double G, double g, int64_t k, double limit) {
    return fabs(G + (double)k * g) <= limit;
}

int64_t lg_greeks_units_fit(double G, double g, double limit) {
    LG_ASSERT(isfinite(G) && isfinite(g));
    LG_ASSERT(isfinite(limit) && limit >= 0.0);
    if (limit == 0.0) return LG_GREEKS_UNBOUNDED;
    if (g == 0.0) return fits(G, g, 0, limit) ? LG_GREEKS_UNBOUNDED : 0;
    if (g < 0.0) { /* mirror: |G + k·g| = |-G + k·(-g)| exactly */
        G = -G;
        g = -g;
    }
    double hi = (limit - G) / g;
    if (!(hi >= 0.0)) return 0; /* past the limit and moving away: nothing fits */
    if (hi >= (double)LG_GREEKS_UNBOUNDED) return LG_GREEKS_UNBOUNDED;
    int64_t k = (int64_t)hi;
    for (int i = 0; i < LG_FIT_NUDGES && k < LG_GREEKS_UNBOUNDED && fits(G, g, k + 1, limit); i++)
        k++;
    for (int i = 0; i < LG_FIT_NUDGES && k > 0 && !fits(G, g, k, limit) &&
                    fits(G, g, k - 1, limit);
         i++)
        k--;
    int64_t answer = fits(G, g, k, limit) ? k : 0;
    LG_ASSERT(answer >= 0 && answer <= LG_GREEKS_UNBOUNDED);
    return answer;
}
