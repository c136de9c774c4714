/*
 * exposure.c — interim exposure of a group while it opens: uncovered short quantity
 * (a short held beyond what its protection holds), the group's delta against the
 * finished structure's delta, and the time spent exposed. Evaluated on every fill
 * and every tick that moves the group. A breach has a deadline (the grace setting,
 * zero by default for naked shorts: act within the event) and an action: the group
 * FAILS and the emergency hedge unwinds it. Never just a log line.
 */
#include "engine_int.h"

#include <math.h>

lg_qty_t lg_exposure_naked(const lg_group_t *g) {
    lg_qty_t naked = 0;
    for (uint32_t p = 0; p < g->n_legs; p++) {
        if (!g->legs[p].protection) continue;
        lg_qty_t shorts = 0;
        for (uint32_t i = 0; i < g->n_legs; i++)
            if (g->legs[i].cover == (int8_t)p)
                shorts += g->legs[i].entry_filled - g->legs[i].rev_filled;
        lg_qty_t prot = g->legs[p].entry_filled - g->legs[p].rev_filled;
        if (shorts > prot) naked += shorts - prot;
    }
    return naked;
}

/* The forward for an option: the last price of the front future of its underlying. */
static double forward_of(const lg_engine_t *e, const lg_leg_t *l) {
    uint32_t f = e->fut_of[l->ins_index];
    if (f == LG_NO_INDEX || e->ltp[f] <= 0) return 0;
    return (double)e->ltp[f] / 100.0;
}

static double leg_delta(lg_engine_t *e, const lg_leg_t *l, double fwd) {
    if (l->ins->kind == LG_KIND_FUT) return 1.0;
    double t_exp = ((double)l->ins->expiry_day * 86400.0 + 36000.0) -
                   (double)(e->now + e->cfg.clock_offset_ns) / 1e9;
    double years = t_exp > 0 ? t_exp / (365.0 * 86400.0) : 0;
    double iv = lg_eng_iv(e, l->ins_index);
    if (!(iv > 0)) iv = e->cfg.default_iv;
    return lg_b76_delta(l->ins->kind == LG_KIND_CE, fwd, (double)l->ins->strike / 100.0, years,
                        0.0, iv);
}

/* |Δheld − progress·Δfinished| in units of the underlying, against a limit of
 * delta_limit_frac × the largest leg. progress is the filled share of the structure,
 * so a group that holds nothing yet is not exposed. The difference is Σ δᵢ·wᵢ with
 * wᵢ = heldᵢ − progress·targetᵢ: a leg filled in proportion (every leg of a group that
 * holds nothing, or all of it) weighs nothing, and its delta — a volatility solved, a
 * Black-76 — is not computed. Ticks of groups waiting for their first fill cost none. */
static bool delta_breach(lg_engine_t *e, const lg_group_t *g) {
    double fwd = forward_of(e, &g->legs[0]);
    if (!(fwd > 0)) return false; /* no market data yet: naked check only */
    double held_units = 0, target_units = 0;
    lg_qty_t largest = 0;
    for (uint32_t i = 0; i < g->n_legs; i++) {
        const lg_leg_t *l = &g->legs[i];
        held_units += (double)(l->entry_filled - l->rev_filled);
        target_units += (double)l->target;
        largest = LG_MAX(largest, l->target);
    }
    double progress = target_units > 0 ? held_units / target_units : 0;
    double diff = 0;
    for (uint32_t i = 0; i < g->n_legs; i++) {
        const lg_leg_t *l = &g->legs[i];
        double w = (double)(l->entry_filled - l->rev_filled) - progress * (double)l->target;
        if (fabs(w) < 1e-9) continue; /* filled in proportion: no weight */
        diff += leg_delta(e, l, fwd) * l->side * w;
    }
    return fabs(diff) > e->cfg.delta_limit_frac * (double)largest;
}

static void accumulate(lg_engine_t *e, lg_group_t *g) {
    if (g->naked > 0 && g->naked_on) {
        lg_qty_t lot = 1;
        for (uint32_t i = 0; i < g->n_legs; i++)
            if (g->legs[i].cover >= 0) lot = g->legs[i].ins->lot;
        g->naked_lot_ns += (g->naked / lot) * (e->now - g->naked_mark);
    }
    g->naked_mark = e->now;
}

void lg_exposure_evaluate(lg_engine_t *e, lg_group_t *g) {
    if (g->id == 0 || lg_group_finished(g) || g->state == LG_GS_CREATED) return;
    g->exposure_due = false;
    accumulate(e, g);
    g->naked = lg_exposure_naked(g);
    if (g->naked > 0 && !g->naked_on) g->naked_since = e->now;
    g->naked_on = g->naked > 0;
    if (!lg_group_in_entry(g) || g->state == LG_GS_VALIDATED) return;
    bool dbreach = delta_breach(e, g);
    if (dbreach && !g->delta_on) g->delta_since = e->now;
    g->delta_on = dbreach;
    bool exposed = g->naked > 0 || dbreach;
    bool act = (g->naked > 0 && e->now - g->naked_since >= e->cfg.naked_grace_ns) ||
               (dbreach && e->now - g->delta_since >= e->cfg.delta_grace_ns);
    if (exposed && g->state != LG_GS_PARTIALLY_EXPOSED)
        lg_group_transition(e, g, LG_GS_PARTIALLY_EXPOSED, LG_WHY_EXPOSURE);
    else if (!exposed && g->state == LG_GS_PARTIALLY_EXPOSED)
        lg_group_transition(e, g, LG_GS_PARTIALLY_FILLED, LG_WHY_FILL);
    if (!act) return;
    lg_eng_alert(e, LG_ALERT_CRITICAL, 0, g->id,
                 "group %u exposed: %lld short units uncovered, delta %s; unwinding", g->id,
                 (long long)g->naked, dbreach ? "beyond limit" : "within limit");
    lg_unwind_start(e, g, LG_PURPOSE_EMERGENCY, LG_WHY_EXPOSURE);
}
