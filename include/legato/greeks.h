/*
 * greeks.h — portfolio greeks per underlying, pure: implied volatility from an
 * option's market price, the greeks of a set of positions summed per underlying,
 * the same with a candidate group added (post-trade greeks, the original left
 * alone), greek limits with their validation and breach report, and how many
 * units of a structure fit under a limit (the risk engine's "by portfolio delta
 * limit" and "by vega limit" sizing bounds).
 *
 * Units of a book's greeks (qty is in units, never lots; every sum is Σ qty·x):
 *   delta  units of the underlying: Σ qty·δ, a future counting δ = 1
 *   gamma  units of delta per rupee move of the underlying: Σ qty·Γ
 *   vega   rupees per volatility point (0.01): Σ qty·ν / 100
 *   theta  rupees per calendar day: Σ qty·Θ / 365 (negative for a long option)
 * Options are priced by Black-76 on the underlying's forward, which is its front
 * future's price (every expiry of one underlying uses that same forward).
 *
 * Market price of an option: the mid of bid and ask when both are present (> 0)
 * and not crossed (bid <= ask); otherwise the last traded price; otherwise there is
 * none. The mid comes first because the last trade of a thin strike can be minutes
 * old while the quote is now. A missing price, a missing forward or a price no
 * volatility explains (outside the no-arbitrage bounds) is LG_ENODATA with a
 * message naming the instrument: a volatility is never guessed.
 *
 * Limits: each field is the largest absolute value allowed, in the units above;
 * 0 means "no limit" (the control API and the journal carry plain finite numbers,
 * and a zero limit — never any greek at all — is what the HALTED / REDUCING trading
 * states already say). Negative, NaN and infinite limits are refused. A value equal
 * to its limit is within it.
 */
#ifndef LEGATO_GREEKS_H
#define LEGATO_GREEKS_H

#include "legato/base.h"
#include "legato/instrument.h"

#define LG_GREEKS_MAX_UNDERLYINGS 8

/* Time to expiry in years (365-day years) at unix_ns: the expiry instant is 15:30
 * IST on the expiry day (expiry_day * 86400 + 36000 unix seconds). 0 once past. */
double lg_years_to_expiry(const lg_instrument_t *ins, int64_t unix_ns);

/* ---- market price and implied volatility --------------------------------------- */

/* An option's quote in paise; a field <= 0 is absent. */
typedef struct lg_greeks_quote {
    lg_paise_t bid, ask, ltp;
} lg_greeks_quote_t;

typedef enum lg_price_src {
    LG_PRICE_NONE = 0, /* no usable price */
    LG_PRICE_MID = 1,  /* (bid + ask) / 2 */
    LG_PRICE_LTP = 2,  /* last traded price */
} lg_price_src_t;

/* The market price in rupees by the rule above; *rupees written unless NONE. */
lg_price_src_t lg_greeks_quote_price(const lg_greeks_quote_t *q, double *rupees);

/* Implied volatility of option ins from its quote and its underlying's forward
 * (paise, <= 0 absent) at unix_ns, with rate r (continuously compounded, |r| <= 1).
 * LG_ENODATA: no price, no forward, or a price outside the bounds (message names
 * the symbol and what is missing); LG_EINVAL: not an option, expired, or a bad
 * rate; LG_EINSTRUMENT: strike not positive. *iv written only on LG_OK. */
int lg_greeks_implied_vol(const lg_instrument_t *ins, const lg_greeks_quote_t *q,
                          lg_paise_t forward, int64_t unix_ns, double r, double *iv, char *err,
                          size_t errcap);

/* ---- portfolio greeks ---------------------------------------------------------- */

/* One position (or candidate leg). Options need a volatility: iv when > 0 (already
 * known), otherwise implied from quote. Futures need neither. qty 0 is skipped. */
typedef struct lg_greeks_pos {
    const lg_instrument_t *ins;
    lg_qty_t qty;            /* signed units: + bought, − sold */
    lg_greeks_quote_t quote; /* options: market price (used when iv is 0) */
    double iv;               /* options: known volatility, 0 unknown */
} lg_greeks_pos_t;

typedef struct lg_greeks_forward {
    char underlying[LG_UNDERLYING_MAX];
    lg_paise_t price; /* the front future's price, paise; <= 0 unknown */
} lg_greeks_forward_t;

/* The market the greeks are taken in. */
typedef struct lg_greeks_market {
    const lg_greeks_forward_t *forwards; /* one per underlying (first match wins) */
    uint32_t n_forwards;
    int64_t unix_ns; /* the instant (unix ns) for time to expiry */
    double rate;     /* continuously compounded, |rate| <= 1; 0 is usual */
} lg_greeks_market_t;

typedef struct lg_greeks_und {
    char underlying[LG_UNDERLYING_MAX];
    double delta, gamma, vega, theta; /* units in the header comment */
} lg_greeks_und_t;

/* Greeks per underlying, in order of first appearance. */
typedef struct lg_greeks_book {
    lg_greeks_und_t und[LG_GREEKS_MAX_UNDERLYINGS];
    uint32_t n;
} lg_greeks_book_t;

void lg_greeks_book_init(lg_greeks_book_t *b);
/* The entry of an underlying, NULL when the book holds nothing of it. */
const lg_greeks_und_t *lg_greeks_book_find(const lg_greeks_book_t *b, const char *underlying);

/* *out = greeks of n positions. On error (LG_ENODATA, LG_EINVAL, LG_EINSTRUMENT as
 * for lg_greeks_implied_vol; LG_ENOSPACE for more than LG_GREEKS_MAX_UNDERLYINGS
 * underlyings, naming the one that did not fit) *out is unchanged. */
int lg_greeks_book_build(lg_greeks_book_t *out, const lg_greeks_pos_t *pos, uint32_t n,
                         const lg_greeks_market_t *m, char *err, size_t errcap);

/* *out = *base plus the greeks of n candidate legs (a group about to be sent), for
 * pre-trade checks. *base is only read; out may be base. On error *out is
 * unchanged. Per-unit greeks of a structure: add its legs to an empty book. */
int lg_greeks_book_add(const lg_greeks_book_t *base, const lg_greeks_pos_t *legs, uint32_t n,
                       const lg_greeks_market_t *m, lg_greeks_book_t *out, char *err,
                       size_t errcap);

/* ---- limits --------------------------------------------------------------------- */

typedef enum lg_greek {
    LG_GREEK_DELTA = 0,
    LG_GREEK_GAMMA = 1,
    LG_GREEK_VEGA = 2,
    LG_GREEK_THETA = 3,
} lg_greek_t;
#define LG_GREEK_COUNT 4

/* "delta", "gamma", "vega", "theta". */
const char *lg_greek_name(lg_greek_t k);
/* One greek of an entry, by kind. */
double lg_greeks_und_get(const lg_greeks_und_t *u, lg_greek_t k);

/* Largest |greek| allowed, units as above; 0 = no limit. */
typedef struct lg_greeks_limits {
    double max_delta, max_gamma, max_vega, max_theta;
} lg_greeks_limits_t;

/* Limits for every underlying (base), with optional rows of its own for some. */
typedef struct lg_greeks_limit_set {
    lg_greeks_limits_t base;
    struct {
        char underlying[LG_UNDERLYING_MAX];
        lg_greeks_limits_t limits;
    } rows[LG_GREEKS_MAX_UNDERLYINGS];
    uint32_t n;
} lg_greeks_limit_set_t;

/* The limit on greek k (0 = none). */
double lg_greeks_limit_of(const lg_greeks_limits_t *l, lg_greek_t k);
/* LG_EINVAL naming the field ("max_vega") when one is negative, NaN or infinite. */
int lg_greeks_limits_validate(const lg_greeks_limits_t *l, char *err, size_t errcap);
/* Validates base and every row; rows need a non-empty, unique underlying. */
int lg_greeks_limit_set_validate(const lg_greeks_limit_set_t *s, char *err, size_t errcap);
/* The row for underlying, else base. */
const lg_greeks_limits_t *lg_greeks_limits_for(const lg_greeks_limit_set_t *s,
                                               const char *underlying);

typedef struct lg_greeks_breach {
    char underlying[LG_UNDERLYING_MAX];
    lg_greek_t greek;
    double value, limit;
} lg_greeks_breach_t;

/* LG_OK when every greek of every underlying is within its limit; otherwise
 * LG_ELIMIT with the first breach (book order, then delta, gamma, vega, theta) in
 * *breach (may be NULL) and in err. s must be valid (asserted). */
int lg_greeks_check(const lg_greeks_book_t *b, const lg_greeks_limit_set_t *s,
                    lg_greeks_breach_t *breach, char *err, size_t errcap);

/* Pre-trade: like lg_greeks_check on after, except that a greek already beyond its
 * limit in before is a breach only if after moves it further from zero — a trade
 * that reduces an existing breach is allowed. */
int lg_greeks_check_trade(const lg_greeks_book_t *before, const lg_greeks_book_t *after,
                          const lg_greeks_limit_set_t *s, lg_greeks_breach_t *breach,
                          char *err, size_t errcap);

/* ---- sizing --------------------------------------------------------------------- */

/* No bound from a limit. Also the cap of every answer; small enough that the
 * answer times a lot size times a leg count stays far inside int64. */
#define LG_GREEKS_UNBOUNDED ((int64_t)1 << 40)

/* The largest whole k >= 0 with |G + k·g| <= limit (evaluated exactly as
 * fabs(G + (double)k * g) <= limit), where G is the portfolio's greek and g the
 * structure's per unit (any greek: each is linear in k). 0 when no k fits (G past
 * the limit and g not reducing it, or one unit stepping over the allowed band).
 * When G is past the limit and g reduces it, the answer is still the largest k
 * that fits, and every k in 0..answer leaves |G + k·g| <= max(|G|, limit).
 * LG_GREEKS_UNBOUNDED when limit is 0 (none), when g is 0 and G is within, or when
 * the answer would be that large or larger. G, g finite, limit finite and >= 0
 * (asserted: validate limits and check greeks first). */
int64_t lg_greeks_units_fit(double G, double g, double limit);

#endif
