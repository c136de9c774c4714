/*
 * risk.h — the risk engine's pure parts: its limits, sizing an intent, and pre-trade
 * validation. Strategies say what they want (an intent: a structure, a direction, a
 * confidence, a decision price); only this module decides how much (DESIGN §7):
 *
 *   units = min(by margin, by portfolio delta, by vega, by structure caps,
 *               by daily-loss throttle) × volatility multiplier × confidence
 *
 * in whole structure units (one unit = every leg's ratio in lots). Every sized group
 * records the bound that decided and why. The engine (handlers, risk_eng.c) feeds
 * these functions from its own state; they read nothing else.
 *
 *   by margin    the available margin (less what groups still opening have
 *                reserved) × margin_use, over the worst shocked partial-fill state of
 *                one unit (shock.h), or the broker's basket margin for one unit when
 *                that is larger.
 *   by delta     the largest k with |portfolio Δ + k·Δ(unit)| ≤ greeks.max_delta, for
 *   by vega      the underlying the structure trades (vega likewise; greeks.h).
 *   by caps      max_lots_group, max_notional_group, max_units.
 *   by loss      past half the daily loss limit: loss_throttle (25%) of what the other
 *                bounds allow; past the limit: nothing (and the kill switch).
 *   volatility   the multiplier of the highest band the underlying's volatility
 *                reaches (vol_bands: iv_from ascending, mult in [0, 1]).
 *
 * A limit of 0 means "no limit" only where the field says so; negative or NaN is a
 * configuration error naming the field.
 */
#ifndef LEGATO_RISK_H
#define LEGATO_RISK_H

#include "legato/greeks.h"
#include "legato/instrument.h"
#include "legato/shock.h"

/* Trading state (DESIGN §7): ACTIVE; REDUCING, only risk-reducing orders; HALTED,
 * everything cancelled and flattened, nothing new until a person resumes. */
typedef enum lg_tstate { LG_TS_ACTIVE = 0, LG_TS_REDUCING, LG_TS_HALTED } lg_tstate_t;

typedef enum lg_bound {
    LG_BOUND_NONE = 0, /* an explicit quantity: not sized */
    LG_BOUND_MARGIN,
    LG_BOUND_DELTA,
    LG_BOUND_VEGA,
    LG_BOUND_CAPS,
    LG_BOUND_LOSS,
    LG_BOUND_VOLATILITY, /* the multipliers took it to zero */
    LG_BOUND__COUNT
} lg_bound_t;

#define LG_VOL_BANDS 4

typedef struct lg_vol_band {
    double iv_from; /* this band applies at and above this volatility */
    double mult;    /* size multiplier, [0, 1] */
} lg_vol_band_t;

typedef struct lg_risk_config {
    lg_shock_params_t shock;
    double margin_use;            /* share of the available margin one group may use, (0, 1] */
    lg_paise_t margin_floor;      /* available margin below this: kill switch (0: none) */
    lg_paise_t daily_loss_limit;  /* > 0 required: past it, kill switch */
    double loss_throttle;         /* size multiplier past half the loss limit, [0, 1) */
    lg_greeks_limits_t greeks;    /* per underlying, units of greeks.h (0: none) */
    lg_vol_band_t vol_bands[LG_VOL_BANDS];
    uint32_t n_vol_bands;
    uint32_t max_units;           /* structure units one intent may size to, >= 1 */
    uint32_t max_lots_order;      /* lots in one child order, >= 1 */
    uint32_t max_lots_group;      /* Σ lots over a group's legs, >= 1 */
    lg_paise_t max_notional_order; /* contract value (units × forward) of one order (0: none) */
    lg_paise_t max_notional_group; /* Σ contract value over a group's legs (0: none) */
    uint32_t max_orders_minute;   /* entry orders in any 60 s (0: none) */
    double max_slippage;          /* |market − decision| / decision price for an intent */
    int8_t broker_basket;         /* 1: an intent without broker_margin waits in CREATED for the
                                   * broker's basket margin of one unit (LG_CMD_QUERY_BASKET) */
    lg_ns_t basket_timeout_ns;    /* no answer by then: the intent is refused (> 0) */
} lg_risk_config_t;

void lg_risk_config_default(lg_risk_config_t *c);
/* LG_EINVAL naming the first field out of its sense (or LG_ERANGE from the shock
 * parameters). Limits that contradict each other are refused the same way. */
int lg_risk_config_check(const lg_risk_config_t *c, char *err, size_t errcap);

/* ---- sizing ------------------------------------------------------------------------ */

typedef struct lg_size_input {
    lg_paise_t available;        /* margin available to new groups now */
    lg_paise_t need_per_unit;    /* worst shocked state of one unit (shock walk), > 0 */
    lg_paise_t broker_per_unit;  /* the broker's basket margin for one unit, 0 unknown */
    double delta_now, delta_unit; /* the underlying's portfolio Δ, and one unit's */
    double vega_now, vega_unit;
    lg_paise_t day_pnl;          /* realised + unrealised since the day began */
    double iv;                   /* the underlying's volatility (the regime) */
    double confidence;           /* (0, 1] */
    lg_qty_t lots_per_unit;      /* Σ lots over the legs of one unit */
    lg_paise_t notional_per_unit; /* Σ contract value over the legs of one unit */
} lg_size_input_t;

#define LG_SIZE_WHY_MAX 200

typedef struct lg_size_result {
    uint32_t units;
    lg_bound_t bound;                 /* the bound that decided */
    uint32_t by[LG_BOUND__COUNT];     /* each bound's units; UINT32_MAX: not binding */
    double mult;                      /* volatility multiplier × confidence */
    char why[LG_SIZE_WHY_MAX];
} lg_size_result_t;

/* Sizes one intent. LG_OK with units >= 1, or LG_ELIMIT with units 0 and `why`
 * naming the bound that allows nothing; LG_EINVAL / LG_ENODATA for inputs out of
 * sense (why names them). */
int lg_risk_size(const lg_risk_config_t *c, const lg_size_input_t *in, lg_size_result_t *r);
/* The multiplier of the highest band `iv` reaches (1 with no bands). */
double lg_risk_vol_mult(const lg_risk_config_t *c, double iv);
const char *lg_bound_name(lg_bound_t b);

/* ---- pre-trade validation ------------------------------------------------------------ */

typedef struct lg_trade_leg {
    const lg_instrument_t *ins;
    int8_t side;
    lg_qty_t qty;            /* units */
    lg_paise_t limit;        /* 0: protected MARKET */
    lg_paise_t ltp;          /* last price, 0 unknown */
    lg_paise_t band_lo, band_hi; /* circuit band, 0 unknown */
    double forward;          /* the underlying's forward, rupees (0 unknown) */
} lg_trade_leg_t;

typedef struct lg_trade_ctx {
    int64_t unix_ns;          /* for expiry */
    lg_tstate_t tstate;
    bool reducing;            /* the group only reduces risk */
    uint32_t orders_last_minute;
} lg_trade_ctx_t;

/* The checks every group passes before anything is sent: tradable (a price seen),
 * unexpired, limit price on tick and inside the circuit band, whole lots, lots and
 * notional per order and per group, the order rate, the trading state. LG_OK, or the
 * error of the first failure with err naming the leg and the rule. */
int lg_risk_pretrade(const lg_risk_config_t *c, const lg_trade_leg_t *legs, uint32_t n,
                     const lg_trade_ctx_t *ctx, char *err, size_t errcap);
/* Child orders a leg of qty units becomes (freeze slicing). */
uint32_t lg_risk_children(const lg_instrument_t *ins, lg_qty_t qty);

#endif
