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

#define LG_MARGIN_SCENARIOS 16

/* The model's per-unit figures for a set of legs: the weighted P&L of one unit bought
 * in each scenario, its premium and its exposure. Every term of the margin is linear
 * in a leg's quantity for a given scenario, so one table answers the margin of any
 * quantities of the same legs (the margin-shock predictor walks many such states). */
typedef struct lg_margin_table {
    uint32_t n;
    uint32_t und[LG_MARGIN_MAX_LEGS];
    bool option[LG_MARGIN_MAX_LEGS];
    double premium[LG_MARGIN_MAX_LEGS]; /* rupees per unit */
    double expo[LG_MARGIN_MAX_LEGS];    /* exposure margin per unit short, rupees */
    double pnl[LG_MARGIN_MAX_LEGS][LG_MARGIN_SCENARIOS];
} lg_margin_table_t;

/* NSE-like defaults for index derivatives. */
void lg_margin_params_default(lg_margin_params_t *p);
/* LG_ERANGE naming the field when a parameter is outside its sense (scan ranges in
 * (0, 1), weights in [0, 1]). */
int lg_margin_params_check(const lg_margin_params_t *p, char *err, size_t errcap);
/* Per-unit table of n legs (their qty is ignored). LG_EINVAL for a leg without a
 * positive spot, or an option without strike, time or volatility. */
int lg_margin_prepare(const lg_margin_leg_t *legs, uint32_t n, const lg_margin_params_t *p,
                      lg_margin_table_t *t);
/* The margin of the table's legs held in quantities qty[0..n) (signed units). */
void lg_margin_eval(const lg_margin_table_t *t, const lg_qty_t *qty, lg_margin_t *out);
/* Black-76 value of one unit of the leg at forward fwd (a future: fwd itself). */
double lg_margin_unit_value(const lg_margin_leg_t *l, double fwd);
/* The margin of n legs taken together (n <= LG_MARGIN_MAX_LEGS). */
int lg_margin_calc(const lg_margin_leg_t *legs, uint32_t n, const lg_margin_params_t *p,
                   lg_margin_t *out);

#endif
