/*
 * admit.c — what a group passes before its first order leaves, and how an intent
 * becomes a group (DESIGN §7; risk.h, shock.h, greeks.h):
 *
 *   lg_eng_on_intent     an intent's structure at one unit (every leg's ratio in lots)
 *                        goes the way of any group spec (lg_eng_submit); once it is
 *                        validated and paired, lg_risk_size_group sizes it.
 *   lg_risk_size_group   the inputs of lg_risk_size from the engine's state: the
 *                        worst shocked partial-fill state of one unit, the broker's
 *                        basket margin if the intent carries it, the greeks of the
 *                        portfolio and of one unit, the day's P&L, the structure's own
 *                        implied volatility; the price moved since the decision by
 *                        more than max_slippage is a refusal.
 *   lg_risk_admit        every group, sized or explicit: pre-trade checks, the margin
 *                        shock of its plan at its real size against the available
 *                        margin less what opening groups reserve, and the greeks
 *                        limits after the trade. Admitted: its worst state's need is
 *                        reserved and LG_REC_SIZING journaled.
 */
#include "engine_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ERR_MAX LG_ALERT_TEXT_MAX

/* Price, forward and volatility of every leg, or the first one missing, named. */
static int market_ok(lg_engine_t *e, const lg_group_t *g, char *err, size_t cap) {
    for (uint32_t i = 0; i < g->n_legs; i++) {
        const lg_leg_t *l = &g->legs[i];
        uint32_t f = e->fut_of[l->ins_index];
        if (e->ltp[l->ins_index] <= 0) {
            snprintf(err, cap, "no price for %s", l->ins->symbol);
            return LG_ENODATA;
        }
        if (f == LG_NO_INDEX || e->ltp[f] <= 0) {
            snprintf(err, cap, "no forward (future price) for %s", l->ins->underlying);
            return LG_ENODATA;
        }
        if (l->ins->kind != LG_KIND_FUT && !(lg_eng_iv(e, l->ins_index) > 0)) {
            snprintf(err, cap, "no implied volatility for %s", l->ins->symbol);
            return LG_ENODATA;
        }
    }
    return LG_OK;
}

/* The group's legs for the shock walk, each at qty[i] units (its side's sign added). */
static void shock_legs(const lg_engine_t *e, const lg_group_t *g, const lg_qty_t *qty,
                       lg_shock_leg_t *out) {
    for (uint32_t i = 0; i < g->n_legs; i++) {
        const lg_leg_t *l = &g->legs[i];
        uint32_t f = e->fut_of[l->ins_index];
        double years = lg_years_to_expiry(l->ins, e->now + e->cfg.clock_offset_ns);
        out[i] = (lg_shock_leg_t){.cover = l->cover, .lot = l->ins->lot};
        out[i].m = (lg_margin_leg_t){.kind = l->ins->kind, .und = f,
                                     .spot = (double)e->ltp[f] / 100.0,
                                     .strike = (double)l->ins->strike / 100.0,
                                     .t_years = years > 1e-6 ? years : 1e-6,
                                     .iv = e->iv[l->ins_index] > 0 ? e->iv[l->ins_index] : 1.0,
                                     .qty = l->side * qty[i], .price = e->ltp[l->ins_index]};
    }
}

static lg_paise_t free_margin(const lg_engine_t *e) { return e->margin_avail - e->reserved; }

static int walk(lg_engine_t *e, const lg_group_t *g, const lg_qty_t *qty, lg_shock_result_t *r,
                char *err, size_t cap) {
    lg_shock_leg_t legs[LG_MAX_LEGS];
    shock_legs(e, g, qty, legs);
    int rc = lg_shock_walk(legs, g->n_legs, (lg_policy_t)g->policy, e->cfg.ratchet_slices,
                           &e->cfg.risk.shock, free_margin(e), r);
    if (rc != LG_OK) snprintf(err, cap, "%s", lg_errname(rc));
    if (rc != LG_OK || r->fits) return rc;
    const char *names[LG_MAX_LEGS];
    for (uint32_t i = 0; i < g->n_legs; i++) names[i] = g->legs[i].ins->symbol;
    lg_shock_describe(legs, g->n_legs, names, &r->worst, free_margin(e), err, cap);
    return LG_EMARGIN;
}

/* The portfolio's greeks, and after adding the group's legs at qty[]. */
static int greeks_after(lg_engine_t *e, const lg_group_t *g, const lg_qty_t *qty,
                        lg_greeks_book_t *before, lg_greeks_book_t *after, char *err,
                        size_t cap) {
    lg_greeks_forward_t fwd[LG_GREEKS_MAX_UNDERLYINGS];
    lg_greeks_pos_t pos[LG_MAX_LEGS];
    lg_greeks_market_t m;
    int rc = lg_eng_book(e, before, fwd, &m, err, cap);
    if (rc != LG_OK) return rc;
    for (uint32_t i = 0; i < g->n_legs; i++) {
        const lg_leg_t *l = &g->legs[i];
        lg_eng_forward_add(e, fwd, &m, l->ins_index);
        pos[i] = (lg_greeks_pos_t){.ins = l->ins, .qty = l->side * qty[i],
                                   .quote = {.ltp = e->ltp[l->ins_index]},
                                   .iv = e->iv[l->ins_index]};
    }
    return lg_greeks_book_add(before, pos, g->n_legs, &m, after, err, cap);
}

static int refuse_group(lg_engine_t *e, const lg_group_t *g, int rc, const char *what,
                        const char *err) {
    e->stats.risk_refused++;
    return lg_eng_refuse(e, rc, g->id, NULL, "group %u refused by the risk engine: %s%s", g->id,
                         what, err);
}

int lg_risk_admit(lg_engine_t *e, lg_group_t *g, uint32_t units, lg_bound_t bound) {
    if (e->cfg.risk_off) return LG_OK;
    char err[ERR_MAX] = "";
    if (!e->margins_known) return refuse_group(e, g, LG_ENODATA, "", "no margin snapshot yet");
    int rc = market_ok(e, g, err, sizeof err);
    if (rc != LG_OK) return refuse_group(e, g, rc, "", err);
    if (lg_risk_day_spent(e)) {
        snprintf(err, sizeof err, "the day's P&L %lld paise is at the daily loss limit %lld",
                 (long long)lg_risk_day_pnl(e), (long long)e->cfg.risk.daily_loss_limit);
        return refuse_group(e, g, LG_ELIMIT, "", err);
    }
    lg_trade_leg_t tl[LG_MAX_LEGS];
    lg_qty_t qty[LG_MAX_LEGS];
    for (uint32_t i = 0; i < g->n_legs; i++) {
        const lg_leg_t *l = &g->legs[i];
        uint32_t f = e->fut_of[l->ins_index];
        qty[i] = l->target;
        tl[i] = (lg_trade_leg_t){.ins = l->ins, .side = l->side, .qty = l->target,
                                 .limit = l->limit, .ltp = e->ltp[l->ins_index],
                                 .band_lo = e->band_lo[l->ins_index],
                                 .band_hi = e->band_hi[l->ins_index],
                                 .forward = (double)e->ltp[f] / 100.0};
    }
    lg_trade_ctx_t ctx = {.unix_ns = e->now + e->cfg.clock_offset_ns, .tstate = e->tstate,
                          .orders_last_minute = lg_eng_orders_last_minute(e)};
    rc = lg_risk_pretrade(&e->cfg.risk, tl, g->n_legs, &ctx, err, sizeof err);
    if (rc != LG_OK) return refuse_group(e, g, rc, "", err);
    lg_shock_result_t sr;
    rc = walk(e, g, qty, &sr, err, sizeof err);
    if (rc != LG_OK) return refuse_group(e, g, rc, "margin shock: ", err);
    lg_greeks_book_t before, after;
    rc = greeks_after(e, g, qty, &before, &after, err, sizeof err);
    if (rc != LG_OK) return refuse_group(e, g, rc, "greeks: ", err);
    lg_greeks_limit_set_t ls = {.base = e->cfg.risk.greeks};
    rc = lg_greeks_check_trade(&before, &after, &ls, NULL, err, sizeof err);
    if (rc != LG_OK) return refuse_group(e, g, rc, "greeks: ", err);
    g->reserve = sr.worst.need > 0 ? sr.worst.need : 0;
    e->reserved += g->reserve;
    g->units = units;
    g->bound = (uint8_t)bound;
    g->worst_need = sr.worst.need;
    lg_eng_record(e, LG_REC_SIZING, g->id, NULL, units, bound, sr.worst.need);
    return LG_OK;
}

/* ---- intents ---------------------------------------------------------------------------- */

static int intent_check(lg_engine_t *e, const lg_intent_t *it) {
    if (e->cfg.risk_off)
        return lg_eng_refuse(e, LG_ESTATE, 0, NULL, "intent refused: the risk engine is off");
    if (it->n_legs == 0 || it->n_legs > LG_MAX_LEGS)
        return lg_eng_refuse(e, LG_ESPEC, 0, NULL, "intent with %u legs (1 to %d)", it->n_legs,
                             LG_MAX_LEGS);
    if (it->direction != 1 && it->direction != -1)
        return lg_eng_refuse(e, LG_ESPEC, 0, NULL, "intent direction %d (must be +1 or -1)",
                             it->direction);
    if (!(it->confidence > 0.0 && it->confidence <= 1.0))
        return lg_eng_refuse(e, LG_ESPEC, 0, NULL, "intent confidence %g (must be in (0, 1])",
                             it->confidence);
    if (it->broker_margin < 0)
        return lg_eng_refuse(e, LG_ESPEC, 0, NULL, "intent with a negative broker margin");
    for (uint32_t i = 0; i < it->n_legs; i++) {
        const lg_intent_leg_t *l = &it->legs[i];
        const lg_instrument_t *ins = lg_instruments_find(e->master, l->token);
        if (ins == NULL)
            return lg_eng_refuse(e, LG_EINSTRUMENT, 0, NULL, "intent leg %u: token %u missing from the master",
                                 i, l->token);
        if (l->ratio == 0 || l->ratio > 1000)
            return lg_eng_refuse(e, LG_ESPEC, 0, NULL, "intent leg %u %s: ratio %u (1 to 1000 lots)",
                                 i, ins->symbol, l->ratio);
    }
    return LG_OK;
}

int lg_eng_on_intent(lg_engine_t *e, const lg_event_t *ev) {
    const lg_intent_t *it = &ev->u.intent;
    e->stats.intents++;
    if (e->recovering)
        return lg_eng_refuse(e, LG_ESTATE, 0, NULL, "intent refused: recovery has not finished");
    int rc = intent_check(e, it);
    if (rc != LG_OK) return rc;
    lg_group_spec_t spec = {.n_legs = it->n_legs, .policy = it->policy,
                            .on_incomplete = it->on_incomplete,
                            .entry_timeout_ns = it->entry_timeout_ns};
    for (uint32_t i = 0; i < it->n_legs; i++) {
        const lg_intent_leg_t *l = &it->legs[i];
        const lg_instrument_t *ins = lg_instruments_find(e->master, l->token);
        spec.legs[i] = (lg_leg_spec_t){.token = l->token, .side = (int8_t)(l->side * it->direction),
                                       .covered_by = l->covered_by,
                                       .qty = (lg_qty_t)l->ratio * ins->lot,
                                       .limit_price = l->limit_price};
    }
    return lg_eng_submit(e, &spec, it);
}

/* Σ side·ratio·price now, and Σ ratio·price (the gross premium), paise. */
static void structure_price(const lg_engine_t *e, const lg_group_t *g, int64_t *net,
                            int64_t *gross) {
    *net = *gross = 0;
    for (uint32_t i = 0; i < g->n_legs; i++) {
        const lg_leg_t *l = &g->legs[i];
        int64_t ratio = l->target / l->ins->lot;
        *net += l->side * ratio * e->ltp[l->ins_index];
        *gross += ratio * e->ltp[l->ins_index];
    }
}

/* Mean implied volatility of the structure's options: its volatility regime. */
static double structure_iv(const lg_engine_t *e, const lg_group_t *g) {
    double sum = 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < g->n_legs; i++)
        if (g->legs[i].ins->kind != LG_KIND_FUT) sum += e->iv[g->legs[i].ins_index], n++;
    return n > 0 ? sum / n : e->cfg.default_iv;
}

/* Fills the greeks inputs of the sizing with the underlying whose delta (then vega)
 * binds first. */
static int sizing_greeks(lg_engine_t *e, const lg_group_t *g, lg_size_input_t *in, char *err,
                         size_t cap) {
    lg_qty_t unit[LG_MAX_LEGS];
    for (uint32_t i = 0; i < g->n_legs; i++) unit[i] = g->legs[i].target;
    lg_greeks_book_t before, after;
    int rc = greeks_after(e, g, unit, &before, &after, err, cap);
    if (rc != LG_OK) return rc;
    int64_t best_d = INT64_MAX, best_v = INT64_MAX;
    for (uint32_t k = 0; k < after.n; k++) {
        const lg_greeks_und_t *a = &after.und[k];
        const lg_greeks_und_t *b = lg_greeks_book_find(&before, a->underlying);
        double d0 = b ? b->delta : 0, v0 = b ? b->vega : 0;
        int64_t fd = lg_greeks_units_fit(d0, a->delta - d0, e->cfg.risk.greeks.max_delta);
        int64_t fv = lg_greeks_units_fit(v0, a->vega - v0, e->cfg.risk.greeks.max_vega);
        if (fd < best_d) best_d = fd, in->delta_now = d0, in->delta_unit = a->delta - d0;
        if (fv < best_v) best_v = fv, in->vega_now = v0, in->vega_unit = a->vega - v0;
    }
    return LG_OK;
}

int lg_risk_size_group(lg_engine_t *e, lg_group_t *g, const lg_intent_t *it, uint32_t *units,
                       lg_bound_t *bound) {
    char err[ERR_MAX] = "";
    *units = 0;
    *bound = LG_BOUND_NONE;
    if (!e->margins_known) return refuse_group(e, g, LG_ENODATA, "", "no margin snapshot yet");
    int rc = market_ok(e, g, err, sizeof err);
    if (rc != LG_OK) return refuse_group(e, g, rc, "", err);
    if (e->unpriced > 0)
        return refuse_group(e, g, LG_ENODATA, "", "the day's P&L is incomplete: a position has no price");
    int64_t net, gross;
    structure_price(e, g, &net, &gross);
    if (fabs((double)net - (double)it->decision_price) > e->cfg.risk.max_slippage * (double)gross) {
        snprintf(err, sizeof err, "price moved: decided at %lld, now %lld paise (max %.0f%% of %lld)",
                 (long long)it->decision_price, (long long)net, e->cfg.risk.max_slippage * 100,
                 (long long)gross);
        return refuse_group(e, g, LG_ELIMIT, "", err);
    }
    lg_qty_t unit[LG_MAX_LEGS];
    lg_size_input_t in = {.available = free_margin(e), .broker_per_unit = it->broker_margin,
                          .day_pnl = lg_risk_day_pnl(e), .iv = structure_iv(e, g),
                          .confidence = it->confidence};
    for (uint32_t i = 0; i < g->n_legs; i++) {
        const lg_leg_t *l = &g->legs[i];
        unit[i] = l->target;
        in.lots_per_unit += l->target / l->ins->lot;
        in.notional_per_unit += l->target * e->ltp[e->fut_of[l->ins_index]];
    }
    lg_shock_result_t sr;
    lg_paise_t keep = e->margin_avail; /* the walk's "fits" is not asked here */
    rc = walk(e, g, unit, &sr, err, sizeof err);
    e->margin_avail = keep;
    if (rc != LG_OK && rc != LG_EMARGIN) return refuse_group(e, g, rc, "margin shock: ", err);
    in.need_per_unit = sr.worst.need > 0 ? sr.worst.need : 1;
    rc = sizing_greeks(e, g, &in, err, sizeof err);
    if (rc != LG_OK) return refuse_group(e, g, rc, "greeks: ", err);
    lg_size_result_t r;
    rc = lg_risk_size(&e->cfg.risk, &in, &r);
    if (rc != LG_OK) {
        lg_eng_record(e, LG_REC_SIZING, g->id, NULL, 0, r.bound, sr.worst.need);
        return refuse_group(e, g, rc, "", r.why);
    }
    for (uint32_t i = 0; i < g->n_legs; i++) g->legs[i].target *= r.units;
    *units = r.units;
    *bound = r.bound;
    lg_eng_alert(e, LG_ALERT_INFO, 0, g->id, "group %u sized: %s", g->id, r.why);
    return LG_OK;
}
