/*
 * stop_eng.c — stop-losses on live groups (DESIGN §6), the engine's side of stop.h.
 *
 *   price stop   one-leg groups (single positions): the hybrid machine of stop.h —
 *                SL-LIMIT first; rejected → protected MARKET; gap-through or timeout
 *                → cancel, and once confirmed a protected MARKET for exactly the rest.
 *                Its orders are the group's children with purpose STOP, the machine's
 *                order number in the tag's attempt field; the machine is told of every
 *                order of its own on each touch of the group (ack, update, error,
 *                look-up: it ignores what it already knows).
 *   group stop   any live group: once its P&L (cash + every leg held at its last
 *                price) is at or below −max_loss, it exits in unwind order (unwind.c).
 *
 * Life of a price stop: LG_EV_STOP arms it on a FILLED or HEDGED group; the group
 * stays live until the stop's first exit fill moves it to CLOSING (LG_WHY_STOP). Once
 * the machine has nothing working — DONE (flat), FAILED (escalated: HALTED) or
 * DISARMED — its slot is released and, if the group is CLOSING, the unwind takes
 * over what is left (nothing, when DONE). Every other exit (kill switch, an exit
 * request, a late fill) first disarms the stop and waits for its orders to end, so
 * two exits never race. Stops live in a pool of max_stops.
 *
 * Recovery (lg_stop_eng_recovered): a working stop order no armed stop owns (a crash
 * lost the step that armed it) is re-armed when it can be safely: the one such order
 * of a live one-leg group, an SL-LIMIT exit of the leg, its rest within what the leg
 * holds, its quantity within the freeze quantity, trigger and limit on the tick, the
 * instrument priced, a machine free. The machine adopts it as its SL (lg_stop_adopt)
 * with the order's own trigger and limit; the gap, not in the book, is the
 * trigger–limit distance, at least one tick; the group stop (max_loss), not in the
 * book either, stays disarmed. Anything else is cancelled as before, the stop
 * disarmed, and a critical alert names why it was not re-armed. Replay steps the same
 * events (ADOPT, RECOVERED) and makes the same decision.
 */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lg_stop_eng_init(lg_engine_t *e) {
    uint32_t n = e->cfg.max_stops > 0 ? e->cfg.max_stops : 1;
    e->stops = calloc(n, sizeof *e->stops);
    e->stop_group = calloc(n, sizeof *e->stop_group);
    e->free_stops = calloc(n, sizeof *e->free_stops);
    if (!e->stops || !e->stop_group || !e->free_stops) return LG_EPOOL_FULL;
    for (uint32_t i = 0; i < e->cfg.max_stops; i++) e->free_stops[i] = e->cfg.max_stops - 1 - i;
    e->n_free_stops = e->cfg.max_stops;
    return LG_OK;
}

void lg_stop_eng_free(lg_engine_t *e) {
    free(e->stops);
    free(e->stop_group);
    free(e->free_stops);
}

static lg_stop_t *stop_of(lg_engine_t *e, const lg_group_t *g) {
    return g->stop_id != 0 ? &e->stops[g->stop_id - 1] : NULL;
}

void lg_stop_eng_release(lg_engine_t *e, lg_group_t *g) {
    if (g->stop_id == 0) return;
    LG_ASSERT(e->n_free_stops < e->cfg.max_stops);
    e->stop_group[g->stop_id - 1] = 0;
    g->stop_seq = LG_MAX(g->stop_seq, e->stops[g->stop_id - 1].next_seq);
    e->free_stops[e->n_free_stops++] = g->stop_id - 1;
    g->stop_id = 0;
    g->stop_wake = INT64_MAX;
}

bool lg_stop_eng_working(lg_engine_t *e, const lg_group_t *g) {
    const lg_stop_t *s = stop_of(e, g);
    return s != NULL && lg_stop_working(s);
}

static lg_order_t *stop_order(lg_engine_t *e, const lg_group_t *g, uint32_t seq) {
    for (uint32_t i = 0; i < g->n_orders; i++) {
        lg_order_t *o = lg_eng_order(e, g, i);
        if (o->id.purpose == LG_PURPOSE_STOP && o->id.attempt == seq) return o;
    }
    return NULL;
}

/* Carries out the machine's actions. A placement the group has no room for is told
 * back to the machine as rejected (it goes to market, or escalates). */
static void apply(lg_engine_t *e, lg_group_t *g, lg_stop_t *s, const lg_stop_out_t *out) {
    for (uint32_t i = 0; i < out->n; i++) {
        const lg_stop_act_t *a = &out->acts[i];
        switch (a->kind) {
        case LG_STOP_ACT_PLACE_SL:
        case LG_STOP_ACT_PLACE_MARKET: {
            bool sl = a->kind == LG_STOP_ACT_PLACE_SL;
            lg_child_t c = {.purpose = LG_PURPOSE_STOP, .attempt = (uint16_t)a->seq, .side = a->side,
                            .otype = sl ? LG_OT_SL : LG_OT_MARKET, .qty = a->qty,
                            .price = sl ? a->limit : 0, .trigger = sl ? a->trigger : 0,
                            .mprot = sl ? 0 : a->mprot_pct, .reducing = true};
            if (lg_group_send_child(e, g, 0, &c) != LG_OK) {
                lg_stop_out_t again;
                lg_stop_on_order(s, a->seq, LG_OS_REJECTED, 0, 0, e->now, &again);
                apply(e, g, s, &again); /* bounded: the machine escalates past max_rejects */
            }
            break;
        }
        case LG_STOP_ACT_CANCEL: {
            lg_order_t *o = stop_order(e, g, a->seq);
            if (o != NULL && o->broker_id[0] != '\0' && !lg_ostate_terminal(o->state))
                lg_eng_cancel(e, o); /* not yet acked: sent at its ack (lg_stop_eng_sync) */
            break;
        }
        case LG_STOP_ACT_ESCALATE:
            lg_eng_alert(e, LG_ALERT_CRITICAL, 0, g->id,
                         "group %u: stop on %s failed (%s), %lld units still held: halting",
                         g->id, g->legs[0].ins->symbol, lg_stop_why_name(a->why),
                         (long long)a->qty);
            lg_eng_set_tstate(e, LG_TS_HALTED, LG_WHY_EMERGENCY_FAIL);
            break;
        }
    }
    g->stop_wake = out->wake_at;
}

/* After the machine moved: CLOSING on its first exit fill; released once nothing of
 * it is working, the unwind then finishing what is left. */
static void after(lg_engine_t *e, lg_group_t *g, lg_stop_t *s) {
    bool live = g->state == LG_GS_FILLED || g->state == LG_GS_HEDGED;
    if (live && lg_stop_filled(s) > 0) lg_group_transition(e, g, LG_GS_CLOSING, LG_WHY_STOP);
    if (lg_stop_working(s)) return;
    lg_stop_eng_release(e, g);
    if (g->state == LG_GS_CLOSING && !g->uw.active) lg_unwind_start(e, g, LG_PURPOSE_EXIT, LG_WHY_STOP);
}

void lg_stop_eng_sync(lg_engine_t *e, lg_group_t *g) {
    lg_stop_t *s = stop_of(e, g);
    if (s == NULL || !lg_eng_room(e, 2 * LG_STOP_ACTS_MAX, 4 * LG_STOP_ACTS_MAX)) return;
    lg_stop_out_t out;
    for (uint32_t i = 0; i < g->n_orders && g->stop_id != 0; i++) {
        lg_order_t *o = lg_eng_order(e, g, i);
        if (o->id.purpose != LG_PURPOSE_STOP) continue;
        const lg_stop_order_t *so = lg_stop_order(s, o->id.attempt);
        if (so == NULL) continue; /* an earlier arming's */
        if (lg_stop_on_order(s, o->id.attempt, o->state, o->filled, o->avg_price, e->now, &out) ==
            LG_OK)
            apply(e, g, s, &out);
        /* a cancel asked for before the ack goes out with it */
        if (so->cancel_sent && !o->cancel_sent && o->broker_id[0] != '\0' &&
            !lg_ostate_terminal(o->state))
            lg_eng_cancel(e, o);
    }
    if (g->stop_id != 0 && e->now >= g->stop_wake && lg_stop_on_timer(s, e->now, &out) == LG_OK)
        apply(e, g, s, &out);
    if (g->stop_id != 0) after(e, g, s);
}

void lg_stop_eng_disarm(lg_engine_t *e, lg_group_t *g) {
    lg_stop_t *s = stop_of(e, g);
    g->max_loss = 0;
    if (s == NULL) return;
    lg_stop_out_t out;
    if (lg_stop_working(s) && lg_stop_disarm(s, e->now, &out) == LG_OK) apply(e, g, s, &out);
    after(e, g, s);
}

bool lg_stop_eng_owns(const lg_engine_t *e, const lg_group_t *g, const lg_order_t *o) {
    LG_ASSERT(o->id.purpose == LG_PURPOSE_STOP);
    return g->stop_id != 0 && lg_stop_order(&e->stops[g->stop_id - 1], o->id.attempt) != NULL;
}

static bool orphan_working(const lg_engine_t *e, const lg_group_t *g, const lg_order_t *o) {
    return o->id.purpose == LG_PURPOSE_STOP && !lg_ostate_terminal(o->state) &&
           !lg_stop_eng_owns(e, g, o);
}

/* ---- recovery: stop orders no stop owns ------------------------------------------ */

/* Units the group's stop orders have exited (every arming's). */
static lg_qty_t stop_fills(lg_engine_t *e, const lg_group_t *g) {
    lg_qty_t n = 0;
    for (uint32_t i = 0; i < g->n_orders; i++) {
        const lg_order_t *o = lg_eng_order(e, g, i);
        if (o->id.purpose == LG_PURPOSE_STOP) n += o->filled;
    }
    return n;
}

/* Another order that may still exit the leg (a reversal, an exit, another stop's). */
static bool other_exit_working(lg_engine_t *e, const lg_group_t *g, const lg_order_t *orphan) {
    for (uint32_t i = 0; i < g->n_orders; i++) {
        const lg_order_t *o = lg_eng_order(e, g, i);
        if (o != orphan && o->id.purpose != LG_PURPOSE_ENTRY && !lg_ostate_terminal(o->state))
            return true;
    }
    return false;
}

/* The gap of a re-armed stop, which the book does not hold: the trigger–limit distance
 * (past it the SL's limit is out of reach), at least one tick. */
static lg_paise_t adopted_gap(const lg_instrument_t *ins, lg_paise_t trigger, lg_paise_t limit) {
    lg_paise_t d = trigger > limit ? trigger - limit : limit - trigger;
    return LG_MAX(d, ins->tick);
}

/* Why the group's one working orphan o cannot become its price stop again, or NULL
 * with *sp the stop it is. n: the group's working orphans. */
static const char *adopt_refusal(lg_engine_t *e, const lg_group_t *g, uint32_t n,
                                 const lg_order_t *o, lg_stop_spec_t *sp) {
    if (n != 1) return "several of its stop orders are working";
    if (g->n_legs != 1) return "a price stop protects a one-leg group";
    if (g->state != LG_GS_FILLED && g->state != LG_GS_HEDGED) return "the group is not live";
    if (g->uw.active || (g->adopted & (LG_ADOPTED_EXIT | LG_ADOPTED_EMERGENCY)) ||
        other_exit_working(e, g, o))
        return "the group is being exited";
    if (g->stop_id != 0) return "the journal's stop is armed too";
    const lg_leg_t *l = &g->legs[0];
    if (o->otype != LG_OT_SL) return "it is not an SL-LIMIT order";
    if (o->side != -l->side) return "it does not exit the leg";
    if (o->broker_id[0] == '\0') return "the broker gave it no order id";
    lg_qty_t held = l->entry_filled - l->rev_filled;
    if (held <= 0 || o->qty - o->filled > held) return "its quantity is above what the leg holds";
    if (o->qty > l->ins->freeze) return "its quantity is above the freeze quantity";
    if (o->trigger <= 0 || o->price <= 0 || !lg_price_on_tick(l->ins, o->trigger) ||
        !lg_price_on_tick(l->ins, o->price))
        return "its trigger or limit is not on the tick";
    if (l->side > 0 ? o->price > o->trigger : o->price < o->trigger)
        return "its limit is beyond its trigger";
    if (e->ltp[l->ins_index] <= 0) return "no price for the instrument";
    if (o->id.attempt + 1u != g->stop_seq) return "it is not the group's newest stop order";
    if (o->id.attempt > LG_TAG_ATTEMPT_MAX + 1 - LG_STOP_MAX_ORDERS)
        return "the group's stop order numbers are used up";
    if (e->n_free_stops == 0) return "stop pool full";
    *sp = (lg_stop_spec_t){.side = l->side, .qty = o->qty, .trigger = o->trigger,
                           .limit = o->price, .gap = adopted_gap(l->ins, o->trigger, o->price)};
    return NULL;
}

/* A stop machine takes the orphan over as its SL; NULL, or why it could not. */
static const char *adopt_stop(lg_engine_t *e, lg_group_t *g, const lg_order_t *o,
                              const lg_stop_spec_t *sp) {
    uint32_t k = e->free_stops[--e->n_free_stops];
    lg_stop_t *s = &e->stops[k];
    lg_stop_reset(s, g->stop_seq);
    lg_stop_found_t f = {.seq = o->id.attempt, .state = o->state, .filled = o->filled,
                         .avg_price = o->avg_price};
    lg_stop_out_t out;
    int rc = lg_stop_adopt(s, &e->cfg.stop, sp, &f, e->ltp[g->legs[0].ins_index], e->now, &out);
    if (rc != LG_OK) {
        e->free_stops[e->n_free_stops++] = k;
        return "the stop machine refused it";
    }
    g->stop_id = k + 1;
    e->stop_group[k] = g->id;
    apply(e, g, s, &out);
    return NULL;
}

void lg_stop_eng_recovered(lg_engine_t *e, lg_group_t *g) {
    uint32_t n = 0;
    lg_order_t *orphan = NULL;
    for (uint32_t i = 0; i < g->n_orders; i++) {
        lg_order_t *o = lg_eng_order(e, g, i);
        if (!orphan_working(e, g, o)) continue;
        n++;
        orphan = o;
    }
    if (n == 0) return;
    bool loss = g->max_loss > 0;
    lg_stop_spec_t sp;
    const char *why = adopt_refusal(e, g, n, orphan, &sp);
    if (why == NULL) why = adopt_stop(e, g, orphan, &sp);
    if (why == NULL) {
        g->max_loss = 0; /* not in the book: whatever the lost steps made of it is unknown */
        lg_stop_t *s = stop_of(e, g);
        lg_qty_t held = g->legs[0].entry_filled - g->legs[0].rev_filled;
        lg_eng_alert(e, loss ? LG_ALERT_CRITICAL : LG_ALERT_WARN, 0, g->id,
                     "group %u: stop order %s the journal lost (a crash) re-armed on %s: %lld "
                     "units (%lld filled, %lld held), trigger %lld limit %lld, gap %lld (the "
                     "trigger-limit distance, at least a tick: no gap in the book)%s",
                     g->id, orphan->tag, g->legs[0].ins->symbol, (long long)sp.qty,
                     (long long)orphan->filled, (long long)held, (long long)sp.trigger,
                     (long long)sp.limit, (long long)sp.gap,
                     loss ? "; its group stop (max_loss) is not in the book: arm it again"
                          : "");
        bool live = g->state == LG_GS_FILLED || g->state == LG_GS_HEDGED;
        if (live && stop_fills(e, g) > 0) /* the lost stop had begun to exit */
            lg_group_transition(e, g, LG_GS_CLOSING, LG_WHY_STOP);
        if (g->stop_id != 0) after(e, g, s);
        return;
    }
    bool armed = g->stop_id != 0 || loss;
    lg_stop_eng_disarm(e, g);
    for (uint32_t i = 0; i < g->n_orders; i++) {
        lg_order_t *o = lg_eng_order(e, g, i);
        if (orphan_working(e, g, o) && o->broker_id[0] != '\0' && !o->cancel_sent) lg_eng_cancel(e, o);
    }
    lg_eng_alert(e, LG_ALERT_CRITICAL, 0, g->id,
                 "group %u: %u stop order%s the journal lost (a crash) cancelled%s, not re-armed "
                 "(%s); arm the stop again", g->id, n, n == 1 ? "" : "s",
                 armed ? " and its stop disarmed" : "", why);
}

/* Ticks: the price stops on this instrument, and the group stops touching it. */
void lg_stop_eng_tick(lg_engine_t *e, uint32_t idx) {
    for (uint32_t k = 0; k < e->cfg.max_stops; k++) {
        uint32_t id = e->stop_group[k];
        lg_group_t *g = id != 0 ? lg_eng_group_by_id(e, id) : NULL;
        if (g == NULL || g->legs[0].ins_index != idx) continue;
        if (!lg_eng_room(e, 2 * LG_STOP_ACTS_MAX, 4 * LG_STOP_ACTS_MAX)) {
            g->stop_wake = e->now; /* at the next wake-up, which is now */
            lg_eng_schedule(e, g);
            lg_eng_defer(e);
            continue;
        }
        lg_stop_t *s = &e->stops[k];
        lg_stop_out_t out;
        if (lg_stop_on_tick(s, e->ltp[idx], e->now, &out) == LG_OK) apply(e, g, s, &out);
        after(e, g, s);
        lg_eng_schedule(e, g);
    }
    for (uint32_t k = 0; k < e->n_loss_stops; k++) {
        lg_group_t *g = lg_eng_group_by_id(e, e->loss_stops[k]);
        if (g == NULL || g->max_loss <= 0 || (g->state != LG_GS_FILLED && g->state != LG_GS_HEDGED))
            continue;
        bool touches = false;
        int64_t pnl = g->cash;
        for (uint32_t l = 0; l < g->n_legs; l++) {
            const lg_leg_t *leg = &g->legs[l];
            touches = touches || leg->ins_index == idx;
            pnl += leg->side * (leg->entry_filled - leg->rev_filled) * e->ltp[leg->ins_index];
        }
        if (!touches || pnl > -g->max_loss || !lg_eng_room(e, 2 * LG_MAX_LEGS, 8 * LG_MAX_LEGS))
            continue;
        lg_eng_alert(e, LG_ALERT_WARN, 0, g->id,
                     "group %u: P&L %lld paise at its stop (max loss %lld): exiting", g->id,
                     (long long)pnl, (long long)g->max_loss);
        g->max_loss = 0;
        lg_unwind_start(e, g, LG_PURPOSE_EXIT, LG_WHY_STOP);
        lg_eng_schedule(e, g);
    }
}

static int stop_refuse(lg_engine_t *e, const lg_group_t *g, int rc, const char *why) {
    return lg_eng_refuse(e, rc, g->id, NULL, "stop on group %u refused: %s", g->id, why);
}

/* A price stop's spec from the event and the leg, or a refusal. */
static int price_spec(lg_engine_t *e, const lg_group_t *g, const lg_event_t *ev,
                      lg_stop_spec_t *sp) {
    const lg_leg_t *l = &g->legs[0];
    lg_qty_t held = l->entry_filled - l->rev_filled;
    lg_paise_t ltp = e->ltp[l->ins_index];
    if (g->n_legs != 1)
        return stop_refuse(e, g, LG_ESPEC, "a price stop protects a one-leg group (use max_loss)");
    if (held <= 0) return stop_refuse(e, g, LG_ESTATE, "nothing held");
    if (held > l->ins->freeze)
        return stop_refuse(e, g, LG_EQTY, "more than one freeze quantity held (use max_loss)");
    if (!lg_price_on_tick(l->ins, ev->u.stop.trigger) || !lg_price_on_tick(l->ins, ev->u.stop.limit))
        return stop_refuse(e, g, LG_ETICK, "trigger or limit not on the tick");
    if (ltp <= 0) return stop_refuse(e, g, LG_ENODATA, "no price for the instrument");
    bool ok = l->side > 0 ? ev->u.stop.limit <= ev->u.stop.trigger && ev->u.stop.trigger < ltp
                          : ev->u.stop.limit >= ev->u.stop.trigger && ev->u.stop.trigger > ltp;
    if (!ok)
        return stop_refuse(e, g, LG_EPRICE,
                           "a long's trigger must be below the price and its limit at or below "
                           "the trigger (a short's the mirror)");
    *sp = (lg_stop_spec_t){.side = l->side, .qty = held, .trigger = ev->u.stop.trigger,
                           .limit = ev->u.stop.limit, .gap = ev->u.stop.gap};
    return LG_OK;
}

static int add_loss_stop(lg_engine_t *e, lg_group_t *g, lg_paise_t max_loss) {
    for (uint32_t k = 0; k < e->n_loss_stops; k++) { /* drop the finished, find ours */
        const lg_group_t *o = lg_eng_group_by_id(e, e->loss_stops[k]);
        if (o == NULL || o->max_loss <= 0 || lg_group_finished(o)) {
            e->loss_stops[k--] = e->loss_stops[--e->n_loss_stops];
            continue;
        }
        if (o == g) {
            g->max_loss = max_loss;
            return LG_OK;
        }
    }
    if (e->n_loss_stops == e->cfg.max_stops) return stop_refuse(e, g, LG_EPOOL_FULL, "stop pool full");
    e->loss_stops[e->n_loss_stops++] = g->id;
    g->max_loss = max_loss;
    return LG_OK;
}

int lg_eng_on_stop(lg_engine_t *e, const lg_event_t *ev) {
    if (e->recovering)
        return lg_eng_refuse(e, LG_ESTATE, ev->u.stop.group, NULL, "stop refused: recovery has not finished");
    lg_group_t *g = lg_eng_group_by_id(e, ev->u.stop.group);
    if (g == NULL)
        return lg_eng_refuse(e, LG_EUNKNOWN_GROUP, ev->u.stop.group, NULL, "stop for unknown group %u",
                             ev->u.stop.group);
    if (ev->u.stop.trigger < 0 || ev->u.stop.limit < 0 || ev->u.stop.gap < 0 || ev->u.stop.max_loss < 0)
        return stop_refuse(e, g, LG_EINVAL, "negative trigger, limit, gap or max_loss");
    bool disarm = ev->u.stop.trigger == 0 && ev->u.stop.max_loss == 0;
    if (disarm) {
        lg_stop_eng_disarm(e, g);
        lg_eng_schedule(e, g);
        return LG_OK;
    }
    if (g->state != LG_GS_FILLED && g->state != LG_GS_HEDGED)
        return stop_refuse(e, g, LG_ESTATE, "the group is not live (FILLED or HEDGED)");
    lg_stop_spec_t sp;
    if (ev->u.stop.trigger > 0) {
        int rc = price_spec(e, g, ev, &sp);
        if (rc != LG_OK) return rc;
        if (g->stop_id != 0) return stop_refuse(e, g, LG_ESTATE, "a stop is armed: disarm it first");
        for (uint32_t i = 0; i < g->n_orders; i++)
            if (orphan_working(e, g, lg_eng_order(e, g, i)))
                return stop_refuse(e, g, LG_ESTATE, "an earlier stop's order is still working");
        if (e->n_free_stops == 0) return stop_refuse(e, g, LG_EPOOL_FULL, "stop pool full");
        if (!lg_eng_room(e, 2 * LG_STOP_ACTS_MAX, 4 * LG_STOP_ACTS_MAX))
            return stop_refuse(e, g, LG_EPOOL_FULL, "output buffer full");
    }
    if (ev->u.stop.max_loss > 0) {
        int rc = add_loss_stop(e, g, ev->u.stop.max_loss);
        if (rc != LG_OK) return rc;
    }
    if (ev->u.stop.trigger > 0) {
        if (g->stop_seq > LG_TAG_ATTEMPT_MAX + 1 - LG_STOP_MAX_ORDERS)
            return stop_refuse(e, g, LG_EPOOL_FULL, "the group's stop order numbers are used up");
        uint32_t k = e->free_stops[--e->n_free_stops];
        lg_stop_t *s = &e->stops[k];
        lg_stop_reset(s, g->stop_seq); /* numbers unique within the group's tags */
        lg_stop_out_t out;
        int rc = lg_stop_arm(s, &e->cfg.stop, &sp, e->now, &out);
        if (rc != LG_OK) {
            e->free_stops[e->n_free_stops++] = k;
            return stop_refuse(e, g, rc, "the stop machine refused the spec");
        }
        g->stop_id = k + 1;
        e->stop_group[k] = g->id;
        apply(e, g, s, &out);
        lg_eng_alert(e, LG_ALERT_INFO, 0, g->id, "group %u: stop armed on %s, trigger %lld limit %lld gap %lld",
                     g->id, g->legs[0].ins->symbol, (long long)sp.trigger, (long long)sp.limit,
                     (long long)sp.gap);
    }
    lg_eng_schedule(e, g);
    return LG_OK;
}
