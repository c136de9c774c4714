/*
 * group.c — the group lifecycle: the transition table, validation of a group
 * specification (instruments, lots, ticks, pairing of shorts with their
 * protection), sending a leg's orders sliced by freeze quantity, and the wake-up
 * time each group asks for.
 *
 * Transition table (trigger -> function; every transition journals
 * LG_REC_GROUP_STATE {from, to, reason}); docs/STATE_MACHINES.md explains each:
 *
 *   CREATED -> VALIDATED          submit, spec valid, trading ACTIVE   lg_eng_on_submit
 *   CREATED -> REJECTED           spec invalid / trading not ACTIVE    lg_eng_on_submit
 *   VALIDATED -> SUBMITTED        first orders released               lg_entry_release
 *   SUBMITTED|PARTIALLY_* -> PARTIALLY_FILLED   a fill, all covered    lg_entry_progress
 *   SUBMITTED|PARTIALLY_* -> PARTIALLY_EXPOSED  a fill leaves exposure lg_exposure_evaluate
 *   PARTIALLY_EXPOSED -> PARTIALLY_FILLED       exposure closed        lg_exposure_evaluate
 *   SUBMITTED|PARTIALLY_* -> FILLED every leg at target                lg_entry_progress
 *   FILLED -> HEDGED              broker positions agree               lg_eng_on_positions
 *   entry states -> FAILED        reject, timeout, exposure, kill      lg_unwind_start
 *   FAILED -> EMERGENCY_HEDGED    every fill reversed and confirmed    lg_unwind_progress
 *   FAILED -> FILLED              shrink: a smaller complete structure lg_unwind_progress
 *   FILLED|HEDGED -> FAILED       a late fill moves it off its structure apply_fill
 *   FILLED|HEDGED -> CLOSING      exit, kill                           lg_unwind_start
 *   CLOSING -> CLOSED             flat, confirmed                      lg_unwind_progress
 *   EMERGENCY_HEDGED|CLOSED -> FAILED  a late fill after finishing     apply_fill
 */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

static const char *const gstate_names[LG_GS__COUNT] = {
    "CREATED", "VALIDATED", "SUBMITTED", "PARTIALLY_FILLED", "PARTIALLY_EXPOSED", "FILLED",
    "HEDGED",  "FAILED",    "EMERGENCY_HEDGED", "CLOSING",   "CLOSED",            "REJECTED"};

const char *lg_gstate_name(lg_gstate_t s) {
    return (unsigned)s < LG_GS__COUNT ? gstate_names[s] : "?";
}

const char *lg_tstate_name(lg_tstate_t s) {
    static const char *const n[] = {"ACTIVE", "REDUCING", "HALTED"};
    return (unsigned)s < LG_COUNT(n) ? n[s] : "?";
}

const char *lg_reason_name(lg_reason_t r) {
    static const char *const n[LG_WHY__COUNT] = {
        "none", "submit", "invalid", "not_active", "fill",      "reject",          "timeout",
        "exposure", "kill", "reduce", "exit",     "flat",       "shrunk",          "positions",
        "late_fill", "emergency_fail", "resume", "recovered", "loss_limit", "margin",
        "session", "greeks", "risk", "stop"};
    return (unsigned)r < LG_WHY__COUNT ? n[r] : "?";
}

const char *lg_policy_name(lg_policy_t p) {
    static const char *const n[] = {"ratchet", "protection_first", "naive"};
    return (unsigned)p < LG_COUNT(n) ? n[p] : "?";
}

int lg_policy_parse(const char *s, lg_policy_t *p) {
    for (int i = 0; i <= LG_POLICY_NAIVE; i++) {
        if (strcmp(s, lg_policy_name((lg_policy_t)i)) == 0) {
            *p = (lg_policy_t)i;
            return LG_OK;
        }
    }
    return LG_EINVAL;
}

/* Allowed transitions: bit `to` set in allowed[from]. */
#define B(s) (1u << (s))
static const uint32_t allowed[LG_GS__COUNT] = {
    [LG_GS_CREATED] = B(LG_GS_VALIDATED) | B(LG_GS_REJECTED),
    [LG_GS_VALIDATED] = B(LG_GS_SUBMITTED) | B(LG_GS_FAILED),
    [LG_GS_SUBMITTED] = B(LG_GS_PARTIALLY_FILLED) | B(LG_GS_PARTIALLY_EXPOSED) |
                        B(LG_GS_FILLED) | B(LG_GS_FAILED),
    [LG_GS_PARTIALLY_FILLED] = B(LG_GS_PARTIALLY_EXPOSED) | B(LG_GS_FILLED) | B(LG_GS_FAILED),
    [LG_GS_PARTIALLY_EXPOSED] = B(LG_GS_PARTIALLY_FILLED) | B(LG_GS_FILLED) | B(LG_GS_FAILED),
    [LG_GS_FILLED] = B(LG_GS_HEDGED) | B(LG_GS_CLOSING) | B(LG_GS_FAILED),
    [LG_GS_HEDGED] = B(LG_GS_CLOSING) | B(LG_GS_FAILED),
    [LG_GS_FAILED] = B(LG_GS_EMERGENCY_HEDGED) | B(LG_GS_FILLED),
    [LG_GS_EMERGENCY_HEDGED] = B(LG_GS_FAILED),
    [LG_GS_CLOSING] = B(LG_GS_CLOSED),
    [LG_GS_CLOSED] = B(LG_GS_FAILED),
    [LG_GS_REJECTED] = 0,
};
#undef B

bool lg_group_finished(const lg_group_t *g) {
    return g->state == LG_GS_EMERGENCY_HEDGED || g->state == LG_GS_CLOSED ||
           g->state == LG_GS_REJECTED;
}

static bool state_in_entry(lg_gstate_t s) {
    return s == LG_GS_VALIDATED || s == LG_GS_SUBMITTED || s == LG_GS_PARTIALLY_FILLED ||
           s == LG_GS_PARTIALLY_EXPOSED;
}

bool lg_group_in_entry(const lg_group_t *g) { return state_in_entry(g->state); }

static void entering_add(lg_engine_t *e, lg_group_t *g) {
    if (g->enter_pos != LG_NO_INDEX) return;
    LG_ASSERT(e->n_entering < e->cfg.max_groups);
    g->enter_pos = e->n_entering;
    e->entering[e->n_entering++] = (uint32_t)(g - e->groups);
}

static void entering_remove(lg_engine_t *e, lg_group_t *g) {
    if (g->enter_pos == LG_NO_INDEX) return;
    uint32_t i = g->enter_pos;
    LG_ASSERT(i < e->n_entering && &e->groups[e->entering[i]] == g);
    e->entering[i] = e->entering[--e->n_entering];
    e->groups[e->entering[i]].enter_pos = i;
    g->enter_pos = LG_NO_INDEX;
}

void lg_group_transition(lg_engine_t *e, lg_group_t *g, lg_gstate_t to, lg_reason_t why) {
    LG_ASSERT((unsigned)to < LG_GS__COUNT);
    if (g->state == to) return;
    LG_ASSERT(allowed[g->state] & (1u << to));
    lg_eng_record(e, LG_REC_GROUP_STATE, g->id, NULL, g->state, to, why);
    g->state = to;
    if (g->n_states < LG_COUNT(g->path)) g->path[g->n_states++] = (uint8_t)to;
    if (state_in_entry(to)) entering_add(e, g);
    else entering_remove(e, g);
    if (!state_in_entry(to)) lg_risk_entry_done(e, g);
    if (lg_group_finished(g)) g->finished_ns = e->now;
    if (to == LG_GS_FILLED) {
        g->pos_checks = 0;
        g->pos_check_at = e->now;
    }
}

/* ---- validation -------------------------------------------------------------------- */

static int spec_fail(lg_engine_t *e, lg_group_t *g, int code, const char *what, uint32_t leg,
                     const char *detail) {
    lg_eng_record(e, LG_REC_ERROR, g->id, NULL, code, leg, 0);
    lg_eng_alert(e, LG_ALERT_ERROR, code, g->id, "group %u refused: leg %u %s: %s", g->id,
                 leg, what, detail);
    return code;
}

static bool is_option(const lg_instrument_t *i) {
    return i->kind == LG_KIND_CE || i->kind == LG_KIND_PE;
}

static int validate_leg(lg_engine_t *e, lg_group_t *g, const lg_leg_spec_t *ls, uint32_t i) {
    const lg_instrument_t *ins = lg_instruments_find(e->master, ls->token);
    char d[96];
    if (ins == NULL) {
        snprintf(d, sizeof d, "token %u missing from the instrument master", ls->token);
        return spec_fail(e, g, LG_EINSTRUMENT, "instrument", i, d);
    }
    if (ls->side != 1 && ls->side != -1)
        return spec_fail(e, g, LG_ESPEC, ins->symbol, i, "side must be +1 (buy) or -1 (sell)");
    if (ls->qty <= 0 || ls->qty % ins->lot != 0) {
        snprintf(d, sizeof d, "quantity %lld is not a positive multiple of lot %lld",
                 (long long)ls->qty, (long long)ins->lot);
        return spec_fail(e, g, LG_EQTY, ins->symbol, i, d);
    }
    if (ls->limit_price < 0) return spec_fail(e, g, LG_EPRICE, ins->symbol, i, "negative price");
    if (ls->limit_price > 0 && !lg_price_on_tick(ins, ls->limit_price)) {
        snprintf(d, sizeof d, "price %lld paise is not on tick %lld", (long long)ls->limit_price,
                 (long long)ins->tick);
        return spec_fail(e, g, LG_ETICK, ins->symbol, i, d);
    }
    lg_ns_t expiry_end = ((lg_ns_t)ins->expiry_day * 86400 + 10 * 3600) * LG_NS_PER_S;
    if (ins->expiry_day > 0 && e->now + e->cfg.clock_offset_ns > expiry_end)
        return spec_fail(e, g, LG_ESPEC, ins->symbol, i, "instrument has expired");
    for (uint32_t j = 0; j < i; j++)
        if (g->legs[j].ins == ins)
            return spec_fail(e, g, LG_ESPEC, ins->symbol, i, "instrument appears twice");
    lg_leg_t *l = &g->legs[i];
    memset(l, 0, sizeof *l);
    l->ins = ins;
    l->ins_index = (uint32_t)(ins - e->master->items);
    l->side = ls->side;
    l->cover = -1;
    l->target = ls->qty;
    l->limit = ls->limit_price;
    return LG_OK;
}

/* Can long leg p protect short leg s? Same kind and underlying, expiry no earlier. */
static bool can_cover(const lg_leg_t *p, const lg_leg_t *s) {
    return p->side == 1 && p->ins->kind == s->ins->kind &&
           strcmp(p->ins->underlying, s->ins->underlying) == 0 &&
           p->ins->expiry_day >= s->ins->expiry_day;
}

static int pick_cover(const lg_group_t *g, uint32_t s, int8_t named) {
    if (named >= 0) {
        if ((uint32_t)named >= g->n_legs || !can_cover(&g->legs[named], &g->legs[s])) return -1;
        return named;
    }
    int best = -1;
    for (uint32_t j = 0; j < g->n_legs; j++) {
        if (!can_cover(&g->legs[j], &g->legs[s])) continue;
        if (best < 0 || (g->legs[j].ins->expiry_day == g->legs[s].ins->expiry_day &&
                         g->legs[best].ins->expiry_day != g->legs[s].ins->expiry_day))
            best = (int)j;
    }
    return best;
}

static int validate_pairing(lg_engine_t *e, lg_group_t *g, const lg_group_spec_t *s) {
    for (uint32_t i = 0; i < g->n_legs; i++) {
        lg_leg_t *l = &g->legs[i];
        if (l->side != -1 || !is_option(l->ins)) continue;
        int c = pick_cover(g, i, s->legs[i].covered_by);
        if (c < 0)
            return spec_fail(e, g, LG_ESPEC, l->ins->symbol, i,
                             "short option with no long leg able to cover it");
        l->cover = (int8_t)c;
        g->legs[c].protection = true;
    }
    for (uint32_t p = 0; p < g->n_legs; p++) {
        if (!g->legs[p].protection) continue;
        lg_qty_t shorts = 0;
        for (uint32_t i = 0; i < g->n_legs; i++)
            if (g->legs[i].cover == (int8_t)p) shorts += g->legs[i].target;
        if (shorts > g->legs[p].target)
            return spec_fail(e, g, LG_ESPEC, g->legs[p].ins->symbol, p,
                             "protection quantity smaller than the shorts it covers");
    }
    return LG_OK;
}

int lg_group_validate(lg_engine_t *e, const lg_group_spec_t *s, lg_group_t *g) {
    if (s->n_legs == 0 || s->n_legs > LG_MAX_LEGS)
        return spec_fail(e, g, LG_ESPEC, "count", s->n_legs, "a group has 1 to 8 legs");
    if (s->policy < -1 || s->policy > LG_POLICY_NAIVE)
        return spec_fail(e, g, LG_ESPEC, "policy", 0, "unknown execution policy");
    if (s->on_incomplete < -1 || s->on_incomplete > LG_INCOMPLETE_SHRINK)
        return spec_fail(e, g, LG_ESPEC, "on_incomplete", 0, "unknown setting");
    if (s->entry_timeout_ns < 0)
        return spec_fail(e, g, LG_ESPEC, "entry_timeout", 0, "negative timeout");
    g->n_legs = s->n_legs;
    for (uint32_t i = 0; i < s->n_legs; i++) {
        int rc = validate_leg(e, g, &s->legs[i], i);
        if (rc != LG_OK) return rc;
    }
    int rc = validate_pairing(e, g, s);
    if (rc != LG_OK) return rc;
    g->policy = (uint8_t)(s->policy >= 0 ? s->policy : e->cfg.policy);
    g->on_incomplete = (uint8_t)(s->on_incomplete >= 0 ? s->on_incomplete : e->cfg.on_incomplete);
    g->deadline_ns = e->now + (s->entry_timeout_ns > 0 ? s->entry_timeout_ns
                                                       : e->cfg.entry_timeout_ns);
    return LG_OK;
}

/* ---- orders ---------------------------------------------------------------------------- */

/* Drops final orders that never filled from a full table, keeping the others in the
 * order sent, and returns their pool slots. A REJECTED order never filled; a CANCELLED
 * one reports its cumulative fill in the CANCELLED update itself, so zero is final. */
static void compact(lg_engine_t *e, lg_group_t *g) {
    uint32_t keep = 0;
    for (uint32_t i = 0; i < g->n_orders; i++) {
        const lg_order_t *o = &e->orders[g->orders[i]];
        /* not one rejected only because look-ups missed it: that one may yet appear */
        bool gone = (o->state == LG_OS_REJECTED && o->not_found == 0) ||
                    o->state == LG_OS_CANCELLED;
        if (gone && o->filled == 0) {
            LG_ASSERT(e->n_free_orders < e->cfg.max_orders);
            e->free_orders[e->n_free_orders++] = g->orders[i];
            continue;
        }
        g->orders[keep++] = g->orders[i];
    }
    g->n_orders = keep;
}

/* Room for n more orders of a purpose in the group, the pool and the tag space (the
 * table is compacted if that makes room); alerted once when there is none. */
static bool order_room(lg_engine_t *e, lg_group_t *g, uint8_t purpose, uint32_t n) {
    uint32_t room = LG_GROUP_MAX_ORDERS - (purpose == LG_PURPOSE_ENTRY ? LG_GROUP_REVERSAL_RESERVE : 0);
    if (g->n_orders + n > room) compact(e, g);
    if (g->n_orders + n <= room && e->n_free_orders >= n && g->next_child + n <= LG_TAG_CHILD_MAX + 1)
        return true;
    if (!g->slots_alerted)
        lg_eng_alert(e, LG_ALERT_CRITICAL, LG_EPOOL_FULL, g->id,
                     "group %u: no room for %u more %s orders (group %u/%u, pool %u free)", g->id,
                     n, purpose == LG_PURPOSE_ENTRY ? "entry" : "reversal", g->n_orders, room,
                     e->n_free_orders);
    g->slots_alerted = true;
    return false;
}

/* One child order: journaled as an intent and handed out as a PLACE. */
static lg_order_t *new_child(lg_engine_t *e, lg_group_t *g, uint32_t leg, const lg_child_t *c) {
    const lg_leg_t *l = &g->legs[leg];
    uint32_t idx = e->free_orders[--e->n_free_orders];
    lg_order_t *o = &e->orders[idx];
    lg_tag_t t = {.group = g->id, .leg = (uint8_t)leg, .child = (uint16_t)g->next_child++,
                  .purpose = c->purpose, .attempt = c->attempt};
    g->orders[g->n_orders++] = idx;
    lg_order_init(o, &t, l->ins->token, c->side, c->otype, c->qty, c->price, c->trigger, c->mprot,
                  c->reducing, e->now);
    lg_order_mark_sent(o, e->now);
    lg_eng_record(e, LG_REC_ORDER_INTENT, g->id, o->tag, o->token, c->side * c->qty, c->price);
    lg_cmd_t *cmd = lg_eng_cmd(e, LG_CMD_PLACE, c->reducing);
    lg_strlcpy(cmd->tag, o->tag, sizeof cmd->tag);
    cmd->token = o->token;
    cmd->side = (int8_t)c->side;
    cmd->otype = (uint8_t)c->otype;
    cmd->mprot_pct = (int16_t)c->mprot;
    cmd->qty = c->qty;
    cmd->price = c->price;
    cmd->trigger = c->trigger;
    if (c->purpose != LG_PURPOSE_ENTRY) g->emergency_orders++;
    else lg_risk_sent(e);
    return o;
}

int lg_group_send_child(lg_engine_t *e, lg_group_t *g, uint32_t leg, const lg_child_t *c) {
    LG_ASSERT(leg < g->n_legs && c->qty > 0 && c->qty <= g->legs[leg].ins->freeze &&
              (c->side == 1 || c->side == -1));
    if (!lg_eng_room(e, 1, 2)) {
        lg_eng_defer(e);
        return LG_ENOSPACE;
    }
    if (!order_room(e, g, c->purpose, 1)) return LG_EPOOL_FULL;
    new_child(e, g, leg, c);
    return LG_OK;
}

int lg_group_send(lg_engine_t *e, lg_group_t *g, uint32_t leg, uint8_t purpose, int side,
                  lg_qty_t qty, lg_otype_t otype, lg_paise_t price, int mprot, bool reducing) {
    LG_ASSERT(leg < g->n_legs && qty > 0 && (side == 1 || side == -1));
    lg_leg_t *l = &g->legs[leg];
    lg_qty_t slices[16];
    uint32_t n = 0;
    int rc = lg_slice_plan(qty, l->ins->lot, l->ins->freeze, slices, LG_COUNT(slices), &n);
    LG_ASSERT(rc == LG_OK || rc == LG_EPOOL_FULL);
    if (rc == LG_EPOOL_FULL) n = LG_COUNT(slices); /* send the first 16, the rest later */
    if (rc == LG_EPOOL_FULL) {
        rc = lg_slice_plan(l->ins->freeze / l->ins->lot * l->ins->lot * 16, l->ins->lot,
                           l->ins->freeze, slices, LG_COUNT(slices), &n);
        LG_ASSERT(rc == LG_OK);
    }
    if (!lg_eng_room(e, n, 2 * n)) {
        lg_eng_defer(e);
        return LG_ENOSPACE;
    }
    if (!order_room(e, g, purpose, n)) return LG_EPOOL_FULL;
    for (uint32_t i = 0; i < n; i++) {
        lg_child_t c = {.purpose = purpose, .attempt = l->attempt, .side = side, .otype = otype,
                        .qty = slices[i], .price = price, .mprot = mprot, .reducing = reducing};
        new_child(e, g, leg, &c);
    }
    return LG_OK;
}

static bool is_entry(const lg_order_t *o) { return o->id.purpose == LG_PURPOSE_ENTRY; }

lg_qty_t lg_group_committed(const lg_engine_t *e, const lg_group_t *g, uint32_t leg, bool entry) {
    lg_qty_t sum = 0;
    for (uint32_t c = 0; c < g->n_orders; c++) {
        const lg_order_t *o = &e->orders[g->orders[c]];
        if (o->id.leg != leg || is_entry(o) != entry) continue;
        sum += lg_ostate_terminal(o->state) ? o->filled : o->qty;
    }
    return sum;
}

lg_qty_t lg_group_live_unfilled(const lg_engine_t *e, const lg_group_t *g, uint32_t leg, bool entry) {
    lg_qty_t sum = 0;
    for (uint32_t c = 0; c < g->n_orders; c++) {
        const lg_order_t *o = &e->orders[g->orders[c]];
        if (o->id.leg != leg || is_entry(o) != entry || lg_ostate_terminal(o->state)) continue;
        sum += o->qty - o->filled;
    }
    return sum;
}

bool lg_group_all_terminal(const lg_engine_t *e, const lg_group_t *g, bool entry, bool reversal) {
    for (uint32_t c = 0; c < g->n_orders; c++) {
        const lg_order_t *o = &e->orders[g->orders[c]];
        if (lg_ostate_terminal(o->state)) continue;
        if ((is_entry(o) && entry) || (!is_entry(o) && reversal)) return false;
    }
    return true;
}

/* ---- wake-ups ------------------------------------------------------------------------------ */

/* Orders silent too long are looked up by tag; UNKNOWN ones always are. */
static void query_silent(lg_engine_t *e, lg_group_t *g) {
    for (uint32_t c = 0; c < g->n_orders; c++) {
        lg_order_t *o = &e->orders[g->orders[c]];
        if (lg_ostate_terminal(o->state) || o->state == LG_OS_INTENT) continue;
        if (o->last_update_ns + e->cfg.order_silence_ns > e->now) continue;
        if (!lg_eng_room(e, 1, 0)) {
            lg_eng_defer(e);
            return;
        }
        lg_cmd_t *q = lg_eng_cmd(e, LG_CMD_QUERY_ORDER, true);
        lg_strlcpy(q->tag, o->tag, sizeof q->tag);
        lg_strlcpy(q->broker_id, o->broker_id, sizeof q->broker_id);
        o->last_update_ns = e->now; /* next query one silence interval later */
    }
}

static lg_ns_t next_silence(const lg_engine_t *e, const lg_group_t *g) {
    lg_ns_t t = INT64_MAX;
    for (uint32_t c = 0; c < g->n_orders; c++) {
        const lg_order_t *o = &e->orders[g->orders[c]];
        if (lg_ostate_terminal(o->state) || o->state == LG_OS_INTENT) continue;
        t = LG_MIN(t, o->last_update_ns + e->cfg.order_silence_ns);
    }
    return t;
}

/* Does the trading state ask something of this group right now? */
static bool trading_state_pending(const lg_engine_t *e, const lg_group_t *g) {
    if (e->tstate == LG_TS_ACTIVE) return false;
    if (state_in_entry(g->state)) return true;
    return e->tstate == LG_TS_HALTED && (g->state == LG_GS_FILLED || g->state == LG_GS_HEDGED);
}

/* A FILLED group waits for broker positions that agree. One query is in flight at a
 * time for the whole engine; an answer that never comes is asked for again. */
static lg_ns_t positions_wake(lg_engine_t *e, lg_group_t *g) {
    lg_ns_t expiry = e->pos_query_at + e->cfg.order_silence_ns;
    if (e->pos_query_out && expiry <= e->now) e->pos_query_out = false;
    if (!e->pos_query_out && g->pos_check_at <= e->now) {
        if (!lg_eng_room(e, 1, 0)) return e->now + 1;
        lg_eng_query_positions(e);
        expiry = e->pos_query_at + e->cfg.order_silence_ns;
    }
    return e->pos_query_out ? expiry : LG_MAX(g->pos_check_at, e->now + 1);
}

/* Computes g->wake_at; when called at or after the time, performs the due work first.
 * Called by lg_eng_schedule after every touch of the group. */
void lg_group_wake(lg_engine_t *e, lg_group_t *g) {
    if (g->id == 0 || lg_group_finished(g)) {
        g->wake_at = INT64_MAX;
        return;
    }
    if (g->basket_wait) { /* its basket margin awaited (basket.c) */
        g->wake_at = e->tstate != LG_TS_ACTIVE ? e->now : g->basket_deadline;
        return;
    }
    query_silent(e, g);
    lg_ns_t t = next_silence(e, g);
    if (trading_state_pending(e, g) || g->exposure_due) t = e->now;
    if (state_in_entry(g->state)) {
        t = LG_MIN(t, g->deadline_ns);
        if (g->naked_on) t = LG_MIN(t, g->naked_since + e->cfg.naked_grace_ns);
        if (g->delta_on) t = LG_MIN(t, g->delta_since + e->cfg.delta_grace_ns);
    }
    /* An unwinding group looks at itself again at its retry time, and at least every
     * retry interval: nothing it still has to reverse waits on an event that may
     * never come. */
    if (g->uw.active)
        t = LG_MIN(t, g->uw.retry_at > e->now ? g->uw.retry_at : e->now + e->cfg.emergency_retry_ns);
    if (g->uw.active) t = LG_MIN(t, lg_unwind_next_cancel(e, g));
    if (g->state == LG_GS_FILLED) t = LG_MIN(t, positions_wake(e, g));
    if (g->stop_id != 0) t = LG_MIN(t, LG_MAX(g->stop_wake, e->now));
    g->wake_at = t;
}
