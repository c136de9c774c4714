/*
 * unwind.c — taking a group apart: the emergency hedge of a FAILED group and the exit
 * of a live one (CLOSING). Both run the mirror of hedge-first:
 *
 *   1. cancel every entry order still working, and wait for each cancel's answer
 *      (a cancel can lose the race to a fill: the late fill is reversed too);
 *   2. buy back shorts first; sell protection only as far as the shorts it covers are
 *      closed (protection held after the sale ≥ shorts held + shorts still able to fill);
 *   3. every reversal is a protected MARKET order for exactly the quantity to reverse;
 *      a rejected one is retried with wider protection; after emergency_max_failures
 *      rejections the engine alerts, HALTS new risk and keeps retrying at
 *      emergency_retry_ns;
 *   4. done when every order is final and each leg holds what it should keep: nothing
 *      (EMERGENCY_HEDGED / CLOSED), or with on_incomplete = shrink the largest complete
 *      structure each protection leg and its shorts can still form (back to FILLED).
 *
 * Everything is recomputed from the group's orders on each call, so a call that runs
 * out of output room simply continues on the next.
 */
#include "engine_int.h"

static void escalate(lg_engine_t *e, lg_group_t *g, const lg_leg_t *l, const char *why);

static lg_qty_t gcd(lg_qty_t a, lg_qty_t b) {
    for (int i = 0; i < 64 && b != 0; i++) { /* Euclid: < 64 steps for int64 */
        lg_qty_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static bool in_unit(const lg_group_t *g, uint32_t i, uint32_t p) {
    return i == p || g->legs[i].cover == (int8_t)p;
}

/* What a leg holds once its working reversals fill: the most it can keep. */
static lg_qty_t keepable(const lg_engine_t *e, const lg_group_t *g, uint32_t i) {
    lg_qty_t q = g->legs[i].entry_filled - lg_group_committed(e, g, i, false);
    return q > 0 ? q : 0;
}

/* Shrink: per protection leg and its shorts, keep k × (the unit's lot ratio), k the
 * largest whole number every leg of the unit can still hold; other legs keep what they
 * hold. Called once every entry order is final. */
static void decide_keep(const lg_engine_t *e, lg_group_t *g) {
    for (uint32_t i = 0; i < g->n_legs; i++) g->legs[i].keep = 0;
    for (uint32_t i = 0; i < g->n_legs; i++) {
        const lg_leg_t *l = &g->legs[i];
        if (l->cover < 0 && !l->protection) g->legs[i].keep = keepable(e, g, i);
    }
    for (uint32_t p = 0; p < g->n_legs; p++) {
        if (!g->legs[p].protection) continue;
        lg_qty_t d = 0;
        for (uint32_t i = 0; i < g->n_legs; i++)
            if (in_unit(g, i, p)) d = gcd(g->legs[i].target / g->legs[i].ins->lot, d);
        LG_ASSERT(d > 0);
        lg_qty_t k = INT64_MAX;
        for (uint32_t i = 0; i < g->n_legs; i++) {
            if (!in_unit(g, i, p)) continue;
            lg_qty_t ratio = g->legs[i].target / g->legs[i].ins->lot / d;
            k = LG_MIN(k, keepable(e, g, i) / g->legs[i].ins->lot / ratio);
        }
        for (uint32_t i = 0; i < g->n_legs; i++)
            if (in_unit(g, i, p))
                g->legs[i].keep = k * (g->legs[i].target / g->legs[i].ins->lot / d) *
                                  g->legs[i].ins->lot;
    }
}

void lg_unwind_start(lg_engine_t *e, lg_group_t *g, uint8_t purpose, lg_reason_t why) {
    LG_ASSERT(purpose == LG_PURPOSE_EMERGENCY || purpose == LG_PURPOSE_EXIT);
    bool exit = purpose == LG_PURPOSE_EXIT;
    if (why == LG_WHY_KILL || why == LG_WHY_LATE_FILL) g->on_incomplete = LG_INCOMPLETE_FLAT;
    g->uw = (lg_unwind_t){.active = true, .purpose = purpose, .failures = g->uw.failures,
                          .escalated = g->uw.escalated};
    g->uw.keep_known = exit || g->on_incomplete == LG_INCOMPLETE_FLAT;
    for (uint32_t i = 0; i < g->n_legs; i++) g->legs[i].keep = 0;
    g->naked_on = g->delta_on = false;
    if (!exit) e->stats.emergencies++;
    lg_group_transition(e, g, exit ? LG_GS_CLOSING : LG_GS_FAILED, why);
    if (why != LG_WHY_STOP) lg_stop_eng_disarm(e, g); /* one exit at a time */
    lg_unwind_progress(e, g);
}

/* A working order we want gone: cancel it, and cancel again if no answer came within
 * a silence interval (a refused or lost cancel never strands an order). */
static bool cancel_due(const lg_engine_t *e, const lg_order_t *o) {
    if (lg_ostate_terminal(o->state) || o->broker_id[0] == '\0') return false;
    return !o->cancel_sent || o->cancel_at + e->cfg.order_silence_ns <= e->now;
}

bool lg_eng_cancel(lg_engine_t *e, lg_order_t *o) {
    if (!lg_eng_room(e, 1, 0)) {
        lg_eng_defer(e);
        return false;
    }
    lg_cmd_t *cmd = lg_eng_cmd(e, LG_CMD_CANCEL, true);
    lg_strlcpy(cmd->tag, o->tag, sizeof cmd->tag);
    lg_strlcpy(cmd->broker_id, o->broker_id, sizeof cmd->broker_id);
    o->cancel_sent = true;
    o->cancel_at = e->now;
    return true;
}

/* A reversal is stale when it has not filled in reversal_fill_ns (the market ran past
 * its protection). */
static bool reversal_stale(const lg_engine_t *e, const lg_order_t *o) {
    return o->sent_ns + e->cfg.reversal_fill_ns <= e->now;
}

/* Cancels every working entry order, and every stale reversal (which then goes
 * again, wider, once its cancel is confirmed). Orders without a broker id are
 * cancelled once their ack arrives, or looked up by tag when their outcome is unknown. */
static bool cancel_working(lg_engine_t *e, lg_group_t *g) {
    for (uint32_t c = 0; c < g->n_orders; c++) {
        lg_order_t *o = lg_eng_order(e, g, c);
        if (o->id.purpose == LG_PURPOSE_STOP && lg_stop_eng_owns(e, g, o)) continue; /* stop_eng.c */
        /* entries, and stop orders no stop owns (recovery): cancelled at once */
        bool entry = o->id.purpose == LG_PURPOSE_ENTRY || o->id.purpose == LG_PURPOSE_STOP;
        if (!entry && !o->cancel_sent && !reversal_stale(e, o)) continue;
        if (!cancel_due(e, o)) continue;
        bool first = !o->cancel_sent;
        if (!lg_eng_cancel(e, o)) return false;
        if (entry || !first) continue;
        lg_leg_t *l = &g->legs[o->id.leg];
        if (l->attempt < LG_TAG_ATTEMPT_MAX) l->attempt++;
        lg_eng_alert(e, LG_ALERT_WARN, 0, g->id,
                     "reversal %s unfilled after %lld ms: cancelling to widen", o->tag,
                     (long long)(e->cfg.reversal_fill_ns / LG_NS_PER_MS));
    }
    return true;
}

/* Earliest time cancel_working has something to do (INT64_MAX if never). */
lg_ns_t lg_unwind_next_cancel(const lg_engine_t *e, const lg_group_t *g) {
    lg_ns_t t = INT64_MAX;
    for (uint32_t c = 0; c < g->n_orders; c++) {
        const lg_order_t *o = &e->orders[g->orders[c]];
        if (lg_ostate_terminal(o->state) || o->broker_id[0] == '\0') continue;
        if (o->id.purpose == LG_PURPOSE_STOP && lg_stop_eng_owns(e, g, o)) continue;
        bool entry = o->id.purpose == LG_PURPOSE_ENTRY || o->id.purpose == LG_PURPOSE_STOP;
        if (o->cancel_sent) t = LG_MIN(t, o->cancel_at + e->cfg.order_silence_ns);
        else if (!entry) t = LG_MIN(t, o->sent_ns + e->cfg.reversal_fill_ns);
        else t = LG_MIN(t, e->now); /* an entry order to cancel now */
    }
    return t;
}

/* Short quantity that protection leg p must keep covering: held, plus what working
 * entry orders of its shorts may still fill. */
static lg_qty_t cover_needed(lg_engine_t *e, const lg_group_t *g, uint32_t p) {
    lg_qty_t need = 0;
    for (uint32_t i = 0; i < g->n_legs; i++) {
        if (g->legs[i].cover != (int8_t)p) continue;
        need += g->legs[i].entry_filled - g->legs[i].rev_filled +
                lg_group_live_unfilled(e, g, i, true);
    }
    return need;
}

/* Shorts held beyond what protection leg p holds (shared by the shorts it covers). */
static lg_qty_t unit_naked(const lg_group_t *g, uint32_t p) {
    lg_qty_t shorts = 0;
    for (uint32_t i = 0; i < g->n_legs; i++)
        if (g->legs[i].cover == (int8_t)p) shorts += g->legs[i].entry_filled - g->legs[i].rev_filled;
    lg_qty_t prot = g->legs[p].entry_filled - g->legs[p].rev_filled;
    return shorts > prot ? shorts - prot : 0;
}

/* Quantity of leg i that may be reversed now, beyond what reversal orders already hold. */
static lg_qty_t reversible(lg_engine_t *e, const lg_group_t *g, uint32_t i) {
    const lg_leg_t *l = &g->legs[i];
    lg_qty_t rev = lg_group_committed(e, g, i, false);
    lg_qty_t allowed;
    if (g->uw.keep_known) allowed = l->entry_filled - l->keep;
    else if (l->cover >= 0) allowed = LG_MIN(l->entry_filled, unit_naked(g, (uint32_t)l->cover));
    else allowed = 0;
    lg_qty_t want = allowed - rev;
    if (l->protection) {
        lg_qty_t spare = l->entry_filled - rev - cover_needed(e, g, i);
        want = LG_MIN(want, spare);
    }
    return want > 0 ? want / l->ins->lot * l->ins->lot : 0;
}

static int reversal_mprot(const lg_engine_t *e, const lg_leg_t *l) {
    int p = e->cfg.emergency_mprot_pct;
    for (uint32_t i = 0; i < l->attempt && p < e->cfg.max_mprot_pct; i++) p *= 2;
    return LG_MIN(p, e->cfg.max_mprot_pct);
}

/* Sends reversals: shorts first, then protection, then other legs. */
static void send_reversals(lg_engine_t *e, lg_group_t *g) {
    for (int pass = 0; pass < 3; pass++) {
        for (uint32_t i = 0; i < g->n_legs; i++) {
            const lg_leg_t *l = &g->legs[i];
            int cls = l->cover >= 0 ? 0 : (l->protection ? 1 : 2);
            if (cls != pass) continue;
            lg_qty_t q = reversible(e, g, i);
            if (q <= 0) continue;
            /* Escalated: probe with one slice at a time instead of a volley of orders
             * the broker keeps refusing. */
            if (g->uw.escalated) {
                if (lg_group_live_unfilled(e, g, i, false) > 0) continue;
                q = LG_MIN(q, l->ins->freeze / l->ins->lot * l->ins->lot);
            }
            int rc = lg_group_send(e, g, i, g->uw.purpose, -l->side, q, LG_OT_MARKET, 0,
                                   reversal_mprot(e, l), true);
            if (rc == LG_EPOOL_FULL) escalate(e, g, l, "no order slots left");
            if (rc != LG_OK || g->uw.escalated) return;
        }
    }
}

static bool settled(lg_engine_t *e, const lg_group_t *g) {
    if (!g->uw.keep_known || !lg_group_all_terminal(e, g, true, true)) return false;
    for (uint32_t i = 0; i < g->n_legs; i++)
        if (g->legs[i].entry_filled - g->legs[i].rev_filled != g->legs[i].keep) return false;
    return true;
}

static void finish(lg_engine_t *e, lg_group_t *g) {
    bool flat = true;
    for (uint32_t i = 0; i < g->n_legs; i++) flat = flat && g->legs[i].keep == 0;
    g->uw.active = false;
    if (g->uw.purpose == LG_PURPOSE_EXIT) {
        lg_group_transition(e, g, LG_GS_CLOSED, LG_WHY_FLAT);
    } else if (flat) {
        lg_group_transition(e, g, LG_GS_EMERGENCY_HEDGED, LG_WHY_FLAT);
    } else {
        for (uint32_t i = 0; i < g->n_legs; i++) g->legs[i].target = g->legs[i].keep;
        lg_group_transition(e, g, LG_GS_FILLED, LG_WHY_SHRUNK);
    }
    if (flat) {
        lg_eng_record(e, LG_REC_PNL, g->id, NULL, g->cash, 0, 0);
        lg_eng_alert(e, LG_ALERT_INFO, 0, g->id, "group %u flat (%s), realised P&L %lld paise",
                     g->id, lg_gstate_name(g->state), (long long)g->cash);
    }
}

void lg_unwind_progress(lg_engine_t *e, lg_group_t *g) {
    LG_ASSERT(g->uw.active);
    if (lg_stop_eng_working(e, g)) return; /* its disarm is out: wait for its orders' end */
    if (!cancel_working(e, g)) return;
    if (!g->uw.keep_known && lg_group_all_terminal(e, g, true, false)) {
        decide_keep(e, g);
        g->uw.keep_known = true;
    }
    if (e->now >= g->uw.retry_at) send_reversals(e, g);
    if (settled(e, g)) finish(e, g);
}

/* Reversals keep failing: alert once, HALT new risk, retry at emergency_retry_ns. */
static void escalate(lg_engine_t *e, lg_group_t *g, const lg_leg_t *l, const char *why) {
    g->uw.retry_at = e->now + e->cfg.emergency_retry_ns;
    if (g->uw.escalated) return;
    g->uw.escalated = true;
    lg_eng_alert(e, LG_ALERT_CRITICAL, 0, g->id,
                 "group %u: reversal on %s failing (%s, %u failures); halting new risk, "
                 "retrying every %lld ms",
                 g->id, l->ins->symbol, why, (unsigned)g->uw.failures,
                 (long long)(e->cfg.emergency_retry_ns / LG_NS_PER_MS));
    lg_eng_set_tstate(e, LG_TS_HALTED, LG_WHY_EMERGENCY_FAIL);
}

void lg_unwind_on_reject(lg_engine_t *e, lg_group_t *g, uint32_t leg) {
    LG_ASSERT(leg < g->n_legs);
    lg_leg_t *l = &g->legs[leg];
    if (l->attempt < LG_TAG_ATTEMPT_MAX) l->attempt++;
    l->rev_failures++;
    g->uw.failures++;
    if (g->uw.failures < e->cfg.emergency_max_failures && !g->uw.escalated) return;
    escalate(e, g, l, "rejected");
}

void lg_unwind_reset_escalation(lg_group_t *g) {
    g->uw.failures = 0;
    g->uw.escalated = false;
    g->uw.retry_at = 0;
}
