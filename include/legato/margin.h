/*
 * margin.h — a scenario margin model in the manner of SPAN, pure: the margin a set of
 * option and futures positions needs is the worst loss over a grid of market
 * scenarios, plus an exposure margin on short options and futures, plus the premium
 * of bought options. Because the worst case is taken over the positions together, a
 * hedged spread needs far less than the sum of its legs alone: that difference is
 * the spread benefit Kite's /margins/basket reports (`initial` vs `final`).
 *
 * Scenarios, per underlying (underlyings do not offset each other): the underlying
 * moves by 0, ±1/3, ±2/3 and ±1 of the price scan range, each with volatility up and
 * down by the volatility scan range (14 scenarios), and by ±2 price scan ranges with
 * volatility unchanged, of which `extreme_weight` counts (2 more). Options are priced
 * by Black-76 at the scenario's forward and volatility, with the same time to expiry.
 *
 * The loss of bought options is at most their premium, which is paid in full: the
 * scan loss is therefore reduced by the bought options' value, never below zero.
 * This keeps a lone long option at premium only, as the exchange does.
 */
#ifndef LEGATO_MARGIN_H
#define LEGATO_MARGIN_H

#include "legato/base.h"
#include "legato/instrument.h"

typedef struct lg_margin_params {
    double price_scan;     /* fraction of the underlying, e.g. 0.06 */
    double vol_scan;       /* relative change of volatility, e.g. 0.25 */
    double extreme_weight; /* share of the ±2 range scenarios, e.g. 0.35 */
    double exposure;       /* fraction of the notional of shorts and futures, e.g. 0.02 */
} lg_margin_params_t;

typedef struct lg_margin_leg {
    lg_kind_t kind;
    uint32_t und;          /* which underlying: scenarios move each one alone */
    double spot;           /* the underlying's forward, rupees */
    double strike;         /* rupees (options) */
    double t_years;        /* time to expiry, > 0 */
    double iv;             /* the option's volatility */
    lg_qty_t qty;          /* signed units: + bought, − sold */
    lg_paise_t price;      /* the premium (options) or price (futures) per unit */
} lg_margin_leg_t;

typedef struct lg_margin {
    lg_paise_t span, exposure, option_premium, total;
} lg_margin_t;

#define LG_MARGIN_MAX_LEGS 64

/* NSE-like defaults for index derivatives. */
void lg_margin_params_default(lg_margin_params_t *p);
/* The margin of n legs taken together (n <= LG_MARGIN_MAX_LEGS). */
int lg_margin_calc(const lg_margin_leg_t *legs, uint32_t n, const lg_margin_params_t *p,
                   lg_margin_t *out);

#endif
