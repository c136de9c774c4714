/*
 * entry.c — opening a group: the hedge-first ratchet and the two policies kept for
 * comparison.
 *
 *   ratchet           protection legs go out first; a short's quantity is released
 *                     in slices, and at every moment the short quantity committed
 *                     (filled, or sent and still able to fill) is at most the
 *                     protection quantity filled for the legs it is paired with.
 *   protection_first  all protection filled, then all risk (the ratchet with one slice).
 *   naive             every leg at once (the seed's "Fix #1"; kept to measure it).
 *
 * Legs that are neither shorts nor protection (futures, unpaired longs) go out with
 * the protection.
 */
#include "engine_int.h"

static bool is_risk(const lg_leg_t *l) { return l->cover >= 0; }

static lg_otype_t entry_otype(const lg_leg_t *l) {
    return l->limit > 0 ? LG_OT_LIMIT : LG_OT_MARKET;
}

/* Sends an entry order (sliced). No room left in the group's order table for entries
 * fails the group: the reserve is kept for its reversals. */
static int send_entry(lg_engine_t *e, lg_group_t *g, uint32_t leg, lg_qty_t qty) {
    const lg_leg_t *l = &g->legs[leg];
    int rc = lg_group_send(e, g, leg, LG_PURPOSE_ENTRY, l->side, qty, entry_otype(l), l->limit,
                           e->cfg.entry_mprot_pct, false);
    if (rc == LG_EPOOL_FULL) lg_unwind_start(e, g, LG_PURPOSE_EMERGENCY, LG_WHY_REJECT);
    return rc;
}

/* Sends what a leg still needs (target − committed; a late fill on a cancelled order
 * can make committed exceed target, and then nothing is needed). */
static int send_rest(lg_engine_t *e, lg_group_t *g, uint32_t leg) {
    lg_qty_t need = g->legs[leg].target - lg_group_committed(e, g, leg, true);
    return need > 0 ? send_entry(e, g, leg, need) : LG_OK;
}

void lg_entry_release(lg_engine_t *e, lg_group_t *g) {
    LG_ASSERT(g->state == LG_GS_VALIDATED);
    lg_group_transition(e, g, LG_GS_SUBMITTED, LG_WHY_SUBMIT);
    lg_entry_progress(e, g);
}

/* Short quantity committed against protection leg p, over every short it covers. */
static lg_qty_t risk_committed(lg_engine_t *e, const lg_group_t *g, uint32_t p) {
    lg_qty_t sum = 0;
    for (uint32_t i = 0; i < g->n_legs; i++)
        if (g->legs[i].cover == (int8_t)p) sum += lg_group_committed(e, g, i, true);
    return sum;
}

/* The ratchet: release a short's quantity as its protection fills, in slices of
 * about target / ratchet_slices (whole lots), the last slice whatever remains. */
static void ratchet(lg_engine_t *e, lg_group_t *g) {
    for (uint32_t i = 0; i < g->n_legs; i++) {
        const lg_leg_t *l = &g->legs[i];
        if (!is_risk(l)) continue;
        lg_qty_t lot = l->ins->lot;
        lg_qty_t need = l->target - lg_group_committed(e, g, i, true);
        if (need <= 0) continue;
        const lg_leg_t *p = &g->legs[l->cover];
        lg_qty_t cap = p->entry_filled - p->rev_filled - risk_committed(e, g, (uint32_t)l->cover);
        lg_qty_t rel = LG_MIN(cap, need) / lot * lot;
        lg_qty_t slice = (l->target / lot + e->cfg.ratchet_slices - 1) / e->cfg.ratchet_slices * lot;
        if (rel <= 0 || rel < LG_MIN(slice, need)) continue;
        if (send_entry(e, g, i, rel) != LG_OK) return;
    }
}

static bool protection_complete(const lg_group_t *g) {
    for (uint32_t i = 0; i < g->n_legs; i++)
        if (g->legs[i].protection && g->legs[i].entry_filled < g->legs[i].target) return false;
    return true;
}

static void release_risk(lg_engine_t *e, lg_group_t *g) {
    /* Legs released at submission (and any that did not fit in a step's output). */
    for (uint32_t i = 0; i < g->n_legs; i++) {
        if (is_risk(&g->legs[i]) && g->policy != LG_POLICY_NAIVE) continue;
        if (send_rest(e, g, i) != LG_OK) return;
    }
    switch (g->policy) {
    case LG_POLICY_RATCHET:
        ratchet(e, g);
        return;
    case LG_POLICY_PROTECTION_FIRST:
        if (!protection_complete(g)) return;
        for (uint32_t i = 0; i < g->n_legs; i++)
            if (is_risk(&g->legs[i]) && send_rest(e, g, i) != LG_OK) return;
        return;
    default: /* naive: everything went out at release */
        return;
    }
}

static bool all_filled(const lg_group_t *g) {
    for (uint32_t i = 0; i < g->n_legs; i++)
        if (g->legs[i].entry_filled != g->legs[i].target) return false;
    return true;
}

static bool any_filled(const lg_group_t *g) {
    for (uint32_t i = 0; i < g->n_legs; i++)
        if (g->legs[i].entry_filled > 0) return true;
    return false;
}

void lg_entry_progress(lg_engine_t *e, lg_group_t *g) {
    LG_ASSERT(lg_group_in_entry(g));
    if (e->tstate != LG_TS_ACTIVE) {
        lg_unwind_start(e, g, LG_PURPOSE_EMERGENCY,
                        e->tstate == LG_TS_HALTED ? LG_WHY_KILL : LG_WHY_REDUCE);
        return;
    }
    if (all_filled(g)) {
        lg_group_transition(e, g, LG_GS_FILLED, LG_WHY_FILL);
        return;
    }
    if (e->now >= g->deadline_ns) {
        lg_eng_alert(e, LG_ALERT_WARN, 0, g->id, "group %u: entry timed out in %s", g->id,
                     lg_gstate_name(g->state));
        lg_unwind_start(e, g, LG_PURPOSE_EMERGENCY, LG_WHY_TIMEOUT);
        return;
    }
    release_risk(e, g);
    if (g->state == LG_GS_SUBMITTED && any_filled(g))
        lg_group_transition(e, g, LG_GS_PARTIALLY_FILLED, LG_WHY_FILL);
}
