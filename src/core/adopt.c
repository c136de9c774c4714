/*
 * adopt.c — the engine's side of recovery. After a restart the journal's replay gives
 * the engine the state of its last committed step; the broker's order book may hold
 * more: a hedge released before its step was committed (write-behind), orders placed
 * while the journal lost its last steps, or — with the database gone — everything.
 *
 *   RECOVER_BEGIN   groups stop deciding: no timer work, no new group, no exit
 *   ADOPT × n       each broker order the engine does not know joins its group by its
 *                   tag (group, leg, child, purpose); a group the engine has never
 *                   heard of is rebuilt from its orders alone (lg_group_t.rebuilt)
 *   updates …       the orders it knew, look-up misses, positions: applied as
 *                   bookkeeping (states, fills, positions, reversal-failure counts);
 *                   what they would trigger waits
 *   RECOVERED       every broker order and fill is known: each group decides once,
 *                   on the whole picture (recovered_decide), then every live group is
 *                   looked at again (entry release, exposure, unwind, timers)
 *
 * Decisions wait because a decision on part of the book can be wrong both ways: a
 * reversal the broker already has must never be sent again (invariant 5), and a
 * short's fill learnt before its protection's must not unwind a group the broker
 * shows fully covered.
 *
 * At RECOVERED a group that is not already unwinding is unwound when: it was rebuilt
 * (below); an adopted reversal or exit shows an unwind the journal lost; an entry order
 * failed (rejected, missing at the broker, cancelled by the exchange) while it was
 * entering; or it holds something it should not (a finished group that is not flat, a
 * live one off its structure: a late fill). An adopted stop order that no armed stop
 * placed (the step arming it was lost) is re-armed when it safely can be: a stop machine
 * adopts it as its SL, and a fill it made moves the group to CLOSING as an armed stop's
 * would (stop_eng.c). Otherwise it is cancelled and the group's stop disarmed: the
 * person arms it again (a critical alert says so and why); if it filled, the group is
 * off its structure and unwinds.
 *
 * A rebuilt group's intended structure is unknown (its specification was in the lost
 * journal), so legato does not guess one: its working entry orders are cancelled and
 * whatever it holds is reversed in unwind order (shorts first), to flat. Each rebuilt
 * short is paired with the long leg of its kind, underlying and no earlier expiry that
 * holds the most.
 *
 * Adoption records what it learns as ordinary records (ORDER_INTENT, ORDER_STATE,
 * FILL), so the projections know the order too.
 */
#include "engine_int.h"

#include <string.h>

static int adopt_refuse_tag(lg_engine_t *e, const lg_adopt_t *a, int code, uint32_t group,
                            const char *why) {
    return lg_eng_refuse(e, code, group, NULL, "broker order '%.20s' (id %.24s): %s", a->u.tag,
                         a->u.broker_id, why);
}

/* A group known only from its orders. Its legs appear as their orders do. */
static lg_group_t *rebuilt_group(lg_engine_t *e, uint32_t id) {
    lg_group_t *g = lg_eng_group_alloc_id(e, id);
    if (g == NULL) return NULL;
    e->stats.groups_submitted++;
    g->created_ns = e->now;
    g->state = LG_GS_CREATED;
    g->path[g->n_states++] = LG_GS_CREATED;
    g->policy = (uint8_t)e->cfg.policy;
    g->on_incomplete = LG_INCOMPLETE_FLAT;
    g->deadline_ns = e->now;
    g->rebuilt = true;
    return g;
}

/* The leg an adopted order belongs to: checked against the group's, or (rebuilt)
 * learnt from the order. NULL with *why set when they disagree. */
static lg_leg_t *adopt_leg(lg_group_t *g, const lg_tag_t *t, const lg_instrument_t *ins,
                           uint32_t ins_index, int leg_side, const char **why) {
    if (t->leg >= g->n_legs || g->legs[t->leg].ins == NULL) {
        if (!g->rebuilt) {
            *why = "its group has no such leg";
            return NULL;
        }
        if (t->leg >= g->n_legs) g->n_legs = t->leg + 1u;
        lg_leg_t *l = &g->legs[t->leg];
        memset(l, 0, sizeof *l);
        l->ins = ins;
        l->ins_index = ins_index;
        l->side = (int8_t)leg_side;
        l->cover = -1;
        return l;
    }
    lg_leg_t *l = &g->legs[t->leg];
    if (l->ins != ins) *why = "its instrument is not its leg's";
    else if (l->side != leg_side) *why = "its side does not fit its leg and purpose";
    return *why == NULL ? l : NULL;
}

static int adopt_check(lg_engine_t *e, const lg_adopt_t *a, lg_tag_t *t) {
    if (lg_tag_decode(a->u.tag, t) != LG_OK)
        return adopt_refuse_tag(e, a, LG_ETAG, 0, "its tag is not one legato writes");
    if (t->leg >= LG_MAX_LEGS)
        return adopt_refuse_tag(e, a, LG_ETAG, t->group, "its tag names a leg past the eighth");
    if (a->side != 1 && a->side != -1)
        return adopt_refuse_tag(e, a, LG_EINVAL, t->group, "side is neither buy nor sell");
    if (a->otype > LG_OT_SLM)
        return adopt_refuse_tag(e, a, LG_EINVAL, t->group, "unknown order type");
    if (a->u.quantity <= 0)
        return adopt_refuse_tag(e, a, LG_EQTY, t->group, "quantity is not positive");
    if (!lg_eng_room(e, 0, 4))
        return adopt_refuse_tag(e, a, LG_EPOOL_FULL, t->group, "output buffer full");
    if (e->n_free_orders == 0)
        return adopt_refuse_tag(e, a, LG_EPOOL_FULL, t->group, "order pool full");
    return LG_OK;
}

static void adopt_fill(lg_engine_t *e, lg_group_t *g, lg_leg_t *l, const lg_order_t *o,
                       const lg_apply_result_t *r) {
    if (r->fill_delta == 0) return;
    if (o->id.purpose == LG_PURPOSE_ENTRY) l->entry_filled += r->fill_delta;
    else l->rev_filled += r->fill_delta;
    lg_risk_fill(e, l->ins_index, o->side * r->fill_delta, r->value_delta);
    g->cash -= o->side * r->value_delta;
    lg_eng_record(e, LG_REC_FILL, g->id, o->tag, o->token, o->side * r->fill_delta,
                  r->value_delta);
}

int lg_eng_on_adopt(lg_engine_t *e, const lg_event_t *ev) {
    const lg_adopt_t *a = &ev->u.adopt;
    if (!e->recovering)
        return adopt_refuse_tag(e, a, LG_ESTATE, 0, "adoption outside recovery");
    lg_tag_t t;
    int rc = adopt_check(e, a, &t);
    if (rc != LG_OK) return rc;
    const lg_instrument_t *ins = lg_instruments_find(e->master, a->token);
    if (ins == NULL)
        return adopt_refuse_tag(e, a, LG_EINSTRUMENT, t.group, "token missing from the master");
    lg_group_t *g = lg_eng_group_by_id(e, t.group);
    if (g != NULL && lg_eng_order_by_child(e, g, t.child) != NULL)
        return adopt_refuse_tag(e, a, LG_ESTATE, t.group, "already known: an update, not an adoption");
    if (g != NULL && g->state == LG_GS_REJECTED)
        return adopt_refuse_tag(e, a, LG_EMISMATCH, t.group, "its group was refused before any order");
    if (g != NULL && g->n_orders >= LG_GROUP_MAX_ORDERS)
        return adopt_refuse_tag(e, a, LG_EPOOL_FULL, t.group, "its group's order table is full");

    /* The order first, on its own: a refused update leaves nothing behind. */
    uint32_t idx = e->free_orders[e->n_free_orders - 1];
    lg_order_t *o = &e->orders[idx];
    int leg_side = t.purpose == LG_PURPOSE_ENTRY ? a->side : -a->side;
    lg_order_init(o, &t, a->token, a->side, (lg_otype_t)a->otype, a->u.quantity, a->price,
                  a->trigger, 0, t.purpose != LG_PURPOSE_ENTRY, e->now);
    lg_order_mark_sent(o, e->now);
    lg_apply_result_t r;
    rc = lg_order_apply_update(o, &a->u, e->now, &r);
    if (rc != LG_OK) {
        return adopt_refuse_tag(e, a, rc, t.group, "its status, quantity or fill does not add up");
    }
    bool fresh = g == NULL;
    if (fresh && (g = rebuilt_group(e, t.group)) == NULL)
        return adopt_refuse_tag(e, a, LG_EPOOL_FULL, t.group, "no group slot for its group");
    const char *why = NULL;
    lg_leg_t *l = adopt_leg(g, &t, ins, (uint32_t)(ins - e->master->items), leg_side, &why);
    if (l == NULL) {
        LG_ASSERT(!fresh); /* a fresh group takes any leg */
        return adopt_refuse_tag(e, a, LG_EMISMATCH, t.group, why);
    }

    e->n_free_orders--;
    g->orders[g->n_orders++] = idx;
    if (g->next_child <= t.child) g->next_child = t.child + 1u;
    if (l->attempt < t.attempt) l->attempt = t.attempt;
    if (t.purpose != LG_PURPOSE_ENTRY) g->emergency_orders++;
    /* Only an order that filled or may still fill tells of a decision; a final one
     * that never filled changes nothing a group must do. */
    if (o->filled > 0 || !lg_ostate_terminal(o->state))
        g->adopted |= t.purpose == LG_PURPOSE_ENTRY  ? LG_ADOPTED_ENTRY
                      : t.purpose == LG_PURPOSE_EXIT ? LG_ADOPTED_EXIT
                      : t.purpose == LG_PURPOSE_STOP ? LG_ADOPTED_STOP
                                                     : LG_ADOPTED_EMERGENCY;
    if (t.purpose == LG_PURPOSE_STOP && g->stop_seq <= t.attempt) g->stop_seq = t.attempt + 1u;
    lg_eng_record(e, LG_REC_ORDER_INTENT, g->id, o->tag, o->token, o->side * o->qty, o->price);
    lg_eng_record(e, LG_REC_ORDER_STATE, g->id, o->tag, LG_OS_SENT, o->state, o->filled);
    adopt_fill(e, g, l, o, &r);
    return LG_OK;
}

/* ---- RECOVERED: adopted groups decide ---------------------------------------------- */

static bool can_cover(const lg_leg_t *p, const lg_leg_t *s) {
    return p->ins != NULL && p->side == 1 && p->ins->kind == s->ins->kind &&
           strcmp(p->ins->underlying, s->ins->underlying) == 0 &&
           p->ins->expiry_day >= s->ins->expiry_day;
}

/* A rebuilt group's legs: holes (legs no order named) become empty copies of leg 0's
 * instrument that hold nothing; shorts pair with the covering long that holds most. */
static void rebuilt_legs(lg_group_t *g) {
    const lg_leg_t *first = NULL;
    for (uint32_t i = 0; i < g->n_legs && first == NULL; i++)
        if (g->legs[i].ins != NULL) first = &g->legs[i];
    LG_ASSERT(first != NULL);
    for (uint32_t i = 0; i < g->n_legs; i++) {
        lg_leg_t *l = &g->legs[i];
        if (l->ins == NULL) {
            /* the opposite side: it never takes first's place as a cover or a short */
            *l = (lg_leg_t){.ins = first->ins, .ins_index = first->ins_index,
                            .side = (int8_t)-first->side, .cover = -1};
        }
        l->target = l->entry_filled;
        l->keep = 0;
    }
    for (uint32_t i = 0; i < g->n_legs; i++) {
        lg_leg_t *s = &g->legs[i];
        if (s->side != -1 || s->ins->kind == LG_KIND_FUT) continue;
        int best = -1;
        for (uint32_t j = 0; j < g->n_legs; j++) {
            if (j == i || !can_cover(&g->legs[j], s)) continue;
            if (best < 0 || g->legs[j].entry_filled > g->legs[best].entry_filled) best = (int)j;
        }
        s->cover = (int8_t)best;
        if (best >= 0) g->legs[best].protection = true;
    }
}

static bool holds_off_target(const lg_group_t *g) {
    for (uint32_t i = 0; i < g->n_legs; i++)
        if (g->legs[i].entry_filled - g->legs[i].rev_filled != g->legs[i].target) return true;
    return false;
}

static bool holds_anything(const lg_group_t *g) {
    for (uint32_t i = 0; i < g->n_legs; i++)
        if (g->legs[i].entry_filled != g->legs[i].rev_filled) return true;
    return false;
}

/* An entry order that failed: the broker rejected it (or never had it), or the exchange
 * cancelled it unfilled. */
static bool entry_failed(const lg_engine_t *e, const lg_group_t *g) {
    for (uint32_t c = 0; c < g->n_orders; c++) {
        const lg_order_t *o = &e->orders[g->orders[c]];
        if (o->id.purpose != LG_PURPOSE_ENTRY) continue;
        if (o->state == LG_OS_REJECTED) return true;
        if (o->state == LG_OS_CANCELLED && !o->cancel_sent && o->filled < o->qty) return true;
    }
    return false;
}

/* What the whole book tells a group (see the header). */
/* A reversal in doubt (sent, never acked: the broker's book did not show it) with a
 * later attempt of the same leg that the broker does show was final before that
 * attempt left — a reversal is sent again only once its predecessor was rejected or
 * its cancel confirmed — and, absent from the book, never reached the broker. The
 * journal lost its rejection (a crash between the send and the commit); counting it
 * as still able to fill would make the leg's reversals exceed what it holds. */
static void settle_superseded(lg_engine_t *e, lg_group_t *g) {
    for (uint32_t i = 0; i < g->n_orders; i++) {
        lg_order_t *o = lg_eng_order(e, g, i);
        if (o->id.purpose == LG_PURPOSE_ENTRY || o->broker_id[0] != '\0' || o->filled != 0 ||
            (o->state != LG_OS_SENT && o->state != LG_OS_UNKNOWN))
            continue;
        bool later = false;
        for (uint32_t j = 0; j < g->n_orders && !later; j++) {
            const lg_order_t *p = lg_eng_order(e, g, j);
            later = p->id.leg == o->id.leg && p->id.purpose == o->id.purpose &&
                    p->id.attempt > o->id.attempt && p->broker_id[0] != '\0';
        }
        if (!later || !lg_eng_room(e, 0, 1)) continue;
        lg_ostate_t from = o->state;
        if (lg_order_supersede(o, e->now) == LG_OK)
            lg_eng_record(e, LG_REC_ORDER_STATE, g->id, o->tag, from, o->state, o->filled);
    }
}

static void recovered_decide(lg_engine_t *e, lg_group_t *g) {
    settle_superseded(e, g);
    if (g->rebuilt) {
        rebuilt_legs(g);
        lg_group_transition(e, g, LG_GS_VALIDATED, LG_WHY_RECOVERED);
        lg_unwind_start(e, g, LG_PURPOSE_EMERGENCY, LG_WHY_RECOVERED);
        return;
    }
    if (g->adopted & LG_ADOPTED_STOP) lg_stop_eng_recovered(e, g);
    if (g->uw.active) return; /* already taking itself apart: the unwind counts them */
    bool finished = lg_group_finished(g);
    bool live = g->state == LG_GS_FILLED || g->state == LG_GS_HEDGED;
    if ((g->adopted & LG_ADOPTED_EXIT) && live) {
        lg_unwind_start(e, g, LG_PURPOSE_EXIT, LG_WHY_RECOVERED);
    } else if (g->adopted & (LG_ADOPTED_EXIT | LG_ADOPTED_EMERGENCY)) {
        if (!finished || holds_anything(g)) lg_unwind_start(e, g, LG_PURPOSE_EMERGENCY, LG_WHY_RECOVERED);
    } else if (lg_group_in_entry(g) && entry_failed(e, g)) {
        lg_unwind_start(e, g, LG_PURPOSE_EMERGENCY, LG_WHY_REJECT);
    } else if ((finished && holds_anything(g)) || (live && holds_off_target(g))) {
        lg_unwind_start(e, g, LG_PURPOSE_EMERGENCY, LG_WHY_LATE_FILL);
    }
}

/* Ends recovery: every group is marked undecided (touched by nothing until it decides),
 * then groups decide in slot order as long as the step's output has room; the rest
 * continue at the next wake-up, which is then immediate. */
void lg_eng_recovered(lg_engine_t *e) {
    e->recovering = false;
    lg_risk_recheck(e);
    for (uint32_t i = 0; i < e->cfg.max_groups; i++) e->groups[i].undecided = e->groups[i].id != 0;
    e->deciding = true;
    e->decide_cursor = 0;
    lg_eng_decide_some(e);
}

/* Each group decides once on the whole book, then is looked at again (entry release,
 * exposure, unwind progress, timers) if it is not finished. */
void lg_eng_decide_some(lg_engine_t *e) {
    for (; e->decide_cursor < e->cfg.max_groups; e->decide_cursor++) {
        lg_group_t *g = &e->groups[e->decide_cursor];
        if (g->id == 0 || !g->undecided) continue;
        if (!lg_eng_room(e, 2 * LG_MAX_LEGS, 8 * LG_MAX_LEGS)) {
            lg_eng_defer(e);
            return;
        }
        g->undecided = false;
        recovered_decide(e, g);
        g->adopted = 0;
        g->rebuilt = false; /* decided: from here on an ordinary group */
        if (!lg_group_finished(g)) lg_eng_touch(e, g);
    }
    e->deciding = false;
}
