/*
 * risk.c — the risk engine's limits, sizing and pre-trade validation (risk.h). Pure
 * functions of their arguments: the engine gathers the inputs (margin, greeks, P&L,
 * market data) from its own state and journals what they decided.
 */
#include "legato/risk.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void lg_risk_config_default(lg_risk_config_t *c) {
    LG_ASSERT(c != NULL);
    memset(c, 0, sizeof *c);
    lg_shock_params_default(&c->shock);
    c->margin_use = 0.9;
    c->margin_floor = 0;
    c->daily_loss_limit = 50000 * 100LL; /* ₹50,000 */
    c->loss_throttle = 0.25;
    c->greeks.max_delta = 1000.0;
    c->greeks.max_vega = 25000.0;
    c->vol_bands[0] = (lg_vol_band_t){0.0, 1.0};
    c->vol_bands[1] = (lg_vol_band_t){0.20, 0.75};
    c->vol_bands[2] = (lg_vol_band_t){0.30, 0.5};
    c->vol_bands[3] = (lg_vol_band_t){0.45, 0.25};
    c->n_vol_bands = 4;
    c->max_units = 50;
    c->max_lots_order = 100;
    c->max_lots_group = 400;
    c->max_orders_minute = 200;
    c->max_slippage = 0.05;
    c->broker_basket = 0;
    c->basket_timeout_ns = 5 * LG_NS_PER_S;
}

static bool frac(double x, bool zero_ok, bool one_ok) {
    return isfinite(x) && (zero_ok ? x >= 0.0 : x > 0.0) && (one_ok ? x <= 1.0 : x < 1.0);
}

static bool limit_ok(double x) { return isfinite(x) && x >= 0.0; }

int lg_risk_config_check(const lg_risk_config_t *c, char *err, size_t cap) {
    LG_ASSERT(c != NULL);
    int rc = lg_shock_params_check(&c->shock, err, cap);
    if (rc != LG_OK) return rc;
    if (!frac(c->margin_use, false, true))
        return lg_errf(err, cap, LG_EINVAL, "risk limit margin_use %g must be in (0, 1]", c->margin_use);
    if (c->margin_floor < 0)
        return lg_errf(err, cap, LG_EINVAL, "risk limit margin_floor is negative");
    if (c->daily_loss_limit <= 0)
        return lg_errf(err, cap, LG_EINVAL, "risk limit daily_loss_limit must be positive (got %lld paise)",
                   (long long)c->daily_loss_limit);
    if (!frac(c->loss_throttle, true, false))
        return lg_errf(err, cap, LG_EINVAL, "risk limit loss_throttle %g must be in [0, 1)",
                   c->loss_throttle);
    rc = lg_greeks_limits_validate(&c->greeks, err, cap);
    if (rc != LG_OK) return rc;
    if (c->n_vol_bands > LG_VOL_BANDS)
        return lg_errf(err, cap, LG_EINVAL, "risk limit vol_bands: at most %d bands", LG_VOL_BANDS);
    for (uint32_t i = 0; i < c->n_vol_bands; i++) {
        const lg_vol_band_t *b = &c->vol_bands[i];
        if (!limit_ok(b->iv_from) || !frac(b->mult, true, true))
            return lg_errf(err, cap, LG_EINVAL, "risk limit vol_bands[%u]: iv_from >= 0, mult in [0, 1]", i);
        if (i > 0 && !(b->iv_from > c->vol_bands[i - 1].iv_from))
            return lg_errf(err, cap, LG_EINVAL, "risk limit vol_bands[%u]: iv_from must ascend", i);
    }
    if (c->max_units == 0) return lg_errf(err, cap, LG_EINVAL, "risk limit max_units is 0");
    if (c->max_lots_order == 0) return lg_errf(err, cap, LG_EINVAL, "risk limit max_lots_order is 0");
    if (c->max_lots_group == 0) return lg_errf(err, cap, LG_EINVAL, "risk limit max_lots_group is 0");
    if (c->max_lots_order > c->max_lots_group)
        return lg_errf(err, cap, LG_EINVAL,
                   "risk limits contradict: max_lots_order %u above max_lots_group %u",
                   c->max_lots_order, c->max_lots_group);
    if (c->max_notional_order < 0 || c->max_notional_group < 0)
        return lg_errf(err, cap, LG_EINVAL, "risk limit max_notional_%s is negative",
                   c->max_notional_order < 0 ? "order" : "group");
    if (c->max_notional_order > 0 && c->max_notional_group > 0 &&
        c->max_notional_order > c->max_notional_group)
        return lg_errf(err, cap, LG_EINVAL,
                   "risk limits contradict: max_notional_order above max_notional_group");
    if (!(isfinite(c->max_slippage) && c->max_slippage > 0.0 && c->max_slippage < 1.0))
        return lg_errf(err, cap, LG_EINVAL, "risk limit max_slippage %g must be in (0, 1)",
                   c->max_slippage);
    if (c->basket_timeout_ns <= 0)
        return lg_errf(err, cap, LG_EINVAL, "risk limit basket_timeout must be positive");
    return LG_OK;
}

const char *lg_bound_name(lg_bound_t b) {
    static const char *const n[LG_BOUND__COUNT] = {"none", "margin", "delta", "vega",
                                                   "caps", "loss", "volatility"};
    return (unsigned)b < LG_BOUND__COUNT ? n[b] : "?";
}

double lg_risk_vol_mult(const lg_risk_config_t *c, double iv) {
    double m = 1.0;
    for (uint32_t i = 0; i < c->n_vol_bands; i++)
        if (iv >= c->vol_bands[i].iv_from) m = c->vol_bands[i].mult;
    return m;
}

static uint32_t clamp_units(double x) {
    if (!(x > 0.0)) return 0;
    if (x >= (double)(UINT32_MAX - 1)) return UINT32_MAX - 1;
    return (uint32_t)floor(x + 1e-9);
}

/* The greeks module's fit, in this module's units (UINT32_MAX: not binding). */
static uint32_t fit(double now, double unit, double limit) {
    int64_t k = lg_greeks_units_fit(now, unit, limit);
    return k >= LG_GREEKS_UNBOUNDED ? UINT32_MAX : (uint32_t)LG_MIN(k, (int64_t)UINT32_MAX - 1);
}

static void rs(char *b, size_t cap, lg_paise_t p) {
    snprintf(b, cap, "%s%lld.%02lld", p < 0 ? "-" : "", (long long)(p < 0 ? -p : p) / 100,
             (long long)(p < 0 ? -p : p) % 100);
}

int lg_risk_size(const lg_risk_config_t *c, const lg_size_input_t *in, lg_size_result_t *r) {
    LG_ASSERT(c != NULL && in != NULL && r != NULL);
    memset(r, 0, sizeof *r);
    for (int b = 0; b < LG_BOUND__COUNT; b++) r->by[b] = UINT32_MAX;
    if (!(in->confidence > 0.0 && in->confidence <= 1.0))
        return lg_errf(r->why, sizeof r->why, LG_EINVAL, "confidence %g must be in (0, 1]", in->confidence);
    if (!(in->iv > 0.0 && isfinite(in->iv)))
        return lg_errf(r->why, sizeof r->why, LG_ENODATA, "no volatility for the regime multiplier");
    if (in->need_per_unit <= 0 || in->broker_per_unit < 0 || in->lots_per_unit <= 0 ||
        in->notional_per_unit < 0)
        return lg_errf(r->why, sizeof r->why, LG_EINVAL, "sizing inputs out of sense (margin per unit %lld, lots %lld)",
                   (long long)in->need_per_unit, (long long)in->lots_per_unit);
    if (!isfinite(in->delta_now + in->delta_unit + in->vega_now + in->vega_unit))
        return lg_errf(r->why, sizeof r->why, LG_ENODATA, "greeks not finite");
    char a[32], b[32], d[32];
    if (in->day_pnl <= -c->daily_loss_limit) {
        r->by[LG_BOUND_LOSS] = 0;
        r->bound = LG_BOUND_LOSS;
        rs(a, sizeof a, in->day_pnl);
        rs(b, sizeof b, c->daily_loss_limit);
        return lg_errf(r->why, sizeof r->why, LG_ELIMIT, "loss: day P&L %s is past the loss limit %s",
                   a, b);
    }
    lg_paise_t per_unit = LG_MAX(in->need_per_unit, in->broker_per_unit);
    double budget = (double)in->available * c->margin_use;
    r->by[LG_BOUND_MARGIN] = clamp_units(budget / (double)per_unit);
    r->by[LG_BOUND_DELTA] = fit(in->delta_now, in->delta_unit, c->greeks.max_delta);
    r->by[LG_BOUND_VEGA] = fit(in->vega_now, in->vega_unit, c->greeks.max_vega);
    uint32_t caps = LG_MIN(c->max_units, (uint32_t)LG_MIN((lg_qty_t)c->max_lots_group / in->lots_per_unit,
                                                          (lg_qty_t)UINT32_MAX - 1));
    if (c->max_notional_group > 0 && in->notional_per_unit > 0)
        caps = LG_MIN(caps, clamp_units((double)c->max_notional_group / (double)in->notional_per_unit));
    r->by[LG_BOUND_CAPS] = caps;
    lg_bound_t bound = LG_BOUND_MARGIN;
    for (int k = LG_BOUND_DELTA; k <= LG_BOUND_CAPS; k++)
        if (r->by[k] < r->by[bound]) bound = (lg_bound_t)k;
    uint32_t base = r->by[bound];
    bool throttled = in->day_pnl <= -c->daily_loss_limit / 2;
    if (throttled) {
        r->by[LG_BOUND_LOSS] = clamp_units((double)base * c->loss_throttle);
        if (r->by[LG_BOUND_LOSS] < base) bound = LG_BOUND_LOSS;
        base = r->by[LG_BOUND_LOSS];
    }
    r->mult = lg_risk_vol_mult(c, in->iv) * in->confidence;
    r->units = clamp_units((double)base * r->mult);
    if (r->units == 0 && base > 0) bound = LG_BOUND_VOLATILITY;
    r->bound = bound;
    rs(a, sizeof a, (lg_paise_t)budget);
    rs(b, sizeof b, per_unit);
    rs(d, sizeof d, in->day_pnl);
    int rc = r->units > 0 ? LG_OK : LG_ELIMIT;
    lg_errf(r->why, sizeof r->why, rc,
        "%u units, decided by %s: margin %s/%s%s=%u delta %u vega %u caps %u loss %u (P&L %s) x %.2f",
        r->units, lg_bound_name(bound), a, b,
        in->broker_per_unit > in->need_per_unit ? " (the broker's basket)" : "", r->by[LG_BOUND_MARGIN],
        r->by[LG_BOUND_DELTA] == UINT32_MAX ? 0 : r->by[LG_BOUND_DELTA],
        r->by[LG_BOUND_VEGA] == UINT32_MAX ? 0 : r->by[LG_BOUND_VEGA], r->by[LG_BOUND_CAPS],
        throttled ? r->by[LG_BOUND_LOSS] : 0, d, r->mult);
    return rc;
}

/* ---- pre-trade --------------------------------------------------------------------------- */

uint32_t lg_risk_children(const lg_instrument_t *ins, lg_qty_t qty) {
    LG_ASSERT(ins != NULL && ins->lot > 0 && ins->freeze >= ins->lot);
    lg_qty_t per = ins->freeze / ins->lot * ins->lot;
    return qty <= 0 ? 0 : (uint32_t)((qty + per - 1) / per);
}

static int leg_check(const lg_risk_config_t *c, const lg_trade_leg_t *l, uint32_t i,
                     const lg_trade_ctx_t *ctx, char *err, size_t cap) {
    const lg_instrument_t *ins = l->ins;
    if (ins == NULL) return lg_errf(err, cap, LG_EINSTRUMENT, "leg %u: instrument not in the master", i);
    const char *sym = ins->symbol;
    int64_t expiry_s = (int64_t)ins->expiry_day * 86400 + 36000;
    if (ins->expiry_day > 0 && ctx->unix_ns / LG_NS_PER_S >= expiry_s)
        return lg_errf(err, cap, LG_ESPEC, "leg %u %s: expired", i, sym);
    if (l->ltp <= 0)
        return lg_errf(err, cap, LG_ENODATA, "leg %u %s: no price seen, not tradable", i, sym);
    if (l->qty <= 0 || l->qty % ins->lot != 0)
        return lg_errf(err, cap, LG_EQTY, "leg %u %s: %lld units is not whole lots of %lld", i, sym,
                   (long long)l->qty, (long long)ins->lot);
    lg_paise_t px = l->limit > 0 ? l->limit : l->ltp;
    if (l->limit > 0 && !lg_price_on_tick(ins, l->limit))
        return lg_errf(err, cap, LG_ETICK, "leg %u %s: price %lld not on tick %lld", i, sym,
                   (long long)l->limit, (long long)ins->tick);
    if ((l->band_lo > 0 && px < l->band_lo) || (l->band_hi > 0 && px > l->band_hi))
        return lg_errf(err, cap, LG_EPRICE, "leg %u %s: price %lld outside the circuit band [%lld, %lld]",
                   i, sym, (long long)px, (long long)l->band_lo, (long long)l->band_hi);
    lg_qty_t child = LG_MIN(l->qty, ins->freeze / ins->lot * ins->lot);
    if (child / ins->lot > (lg_qty_t)c->max_lots_order)
        return lg_errf(err, cap, LG_ELIMIT, "leg %u %s: %lld lots in one order, max_lots_order %u", i,
                   sym, (long long)(child / ins->lot), c->max_lots_order);
    if (c->max_notional_order > 0) {
        if (!(l->forward > 0.0))
            return lg_errf(err, cap, LG_ENODATA, "leg %u %s: no forward for the notional check", i, sym);
        double v = (double)child * l->forward * 100.0;
        if (v > (double)c->max_notional_order)
            return lg_errf(err, cap, LG_ELIMIT, "leg %u %s: order notional %.0f paise above max_notional_order",
                       i, sym, v);
    }
    return LG_OK;
}

int lg_risk_pretrade(const lg_risk_config_t *c, const lg_trade_leg_t *legs, uint32_t n,
                     const lg_trade_ctx_t *ctx, char *err, size_t cap) {
    LG_ASSERT(c != NULL && legs != NULL && ctx != NULL);
    if (ctx->tstate == LG_TS_HALTED || (ctx->tstate == LG_TS_REDUCING && !ctx->reducing))
        return lg_errf(err, cap, LG_EHALTED, "trading is %s",
                   ctx->tstate == LG_TS_HALTED ? "HALTED" : "REDUCING");
    lg_qty_t lots = 0;
    double notional = 0.0;
    uint32_t orders = 0;
    for (uint32_t i = 0; i < n; i++) {
        int rc = leg_check(c, &legs[i], i, ctx, err, cap);
        if (rc != LG_OK) return rc;
        lots += legs[i].qty / legs[i].ins->lot;
        notional += (double)legs[i].qty * legs[i].forward * 100.0;
        orders += lg_risk_children(legs[i].ins, legs[i].qty);
    }
    if (lots > (lg_qty_t)c->max_lots_group)
        return lg_errf(err, cap, LG_ELIMIT, "group of %lld lots, max_lots_group %u", (long long)lots,
                   c->max_lots_group);
    if (c->max_notional_group > 0) {
        for (uint32_t i = 0; i < n; i++)
            if (!(legs[i].forward > 0.0))
                return lg_errf(err, cap, LG_ENODATA, "leg %u %s: no forward for the notional check", i,
                           legs[i].ins->symbol);
        if (notional > (double)c->max_notional_group)
            return lg_errf(err, cap, LG_ELIMIT, "group notional %.0f paise above max_notional_group",
                       notional);
    }
    if (c->max_orders_minute > 0 && ctx->orders_last_minute + orders > c->max_orders_minute)
        return lg_errf(err, cap, LG_ELIMIT, "order rate: %u orders in the last minute + %u would pass max_orders_minute %u",
                   ctx->orders_last_minute, orders, c->max_orders_minute);
    return LG_OK;
}
