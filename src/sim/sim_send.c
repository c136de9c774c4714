/*
 * sim_send.c — what the client sees: acks, request errors, order updates, query
 * answers and position snapshots, each scheduled on the delivery queue with its
 * latency, and the conversion of a delivered item into an lg_event_t.
 *
 * Faults apply to the exchange's order-update stream only (never to acks, request
 * errors, query answers or positions):
 *   p_drop_update  the update is never delivered;
 *   p_dup_update   it is delivered a second time, a little later;
 *   p_reorder      it is held back by 2 × update_max + a latency, so that a later
 *                  update of the same order can overtake it.
 * Otherwise an order's updates arrive in the order they happened: each is
 * delivered no earlier than the previous one (per-order `last_dlv`).
 * Every call draws the same number of random values for the same inputs.
 */
#include "sim_int.h"

#include <stdio.h>
#include <string.h>

lg_ns_t lg_sims_latency(lg_sim_t *s, lg_ns_t lo, lg_ns_t hi) {
    LG_ASSERT(s != NULL && lo >= 0 && lo <= hi);
    return lo + (lg_ns_t)lg_rng_below(&s->rng, (uint64_t)(hi - lo) + 1);
}

void lg_sims_broker_id(uint32_t order, char *out, size_t cap) {
    LG_ASSERT(out != NULL && cap >= 20 && order != LG_SIM_NONE);
    int n = snprintf(out, cap, "%llu", (unsigned long long)(LG_SIM_OID_BASE + order + 1));
    LG_ASSERT(n == 19);
}

static void push_dlv(lg_sim_t *s, lg_ns_t t, const sim_item_t *it) {
    if (!lg_simq_push(&s->q, &s->q.dlv, t, it)) s->overflows++;
}

void lg_sims_world(lg_sim_t *s, lg_ns_t t, sim_kind_t kind, uint32_t order) {
    LG_ASSERT(kind == SK_OPEN || kind == SK_FILL || kind == SK_CANCEL);
    LG_ASSERT(order < s->n_orders);
    sim_item_t it = {.kind = (uint8_t)kind, .order = order};
    if (!lg_simq_push(&s->q, &s->q.world, t, &it)) s->overflows++;
}

void lg_sims_error(lg_sim_t *s, lg_ns_t t, const char *tag, uint32_t order, bool definitive,
                   uint8_t about, int32_t http, const char *msg) {
    LG_ASSERT(s != NULL && tag != NULL && msg != NULL && about <= LG_SIM_ERR_LOOKUP);
    sim_item_t it = {.kind = SK_ERROR, .definitive = definitive, .about = about,
                     .http = http, .order = order};
    lg_strlcpy(it.tag, tag, sizeof it.tag);
    lg_strlcpy(it.msg, msg, sizeof it.msg);
    push_dlv(s, t, &it);
}

void lg_sims_ack(lg_sim_t *s, lg_ns_t t, uint32_t order) {
    LG_ASSERT(s != NULL && order < s->n_orders);
    sim_item_t it = {.kind = SK_ACK, .order = order};
    push_dlv(s, t, &it);
}

static void snapshot(const lg_sim_t *s, uint32_t oi, lg_kstatus_t st, const char *msg,
                     sim_item_t *it) {
    const sim_order_t *o = &s->orders[oi];
    memset(it, 0, sizeof *it);
    it->kind = SK_UPDATE;
    it->status = (uint8_t)st;
    it->order = oi;
    it->filled = o->filled;
    it->avg = o->filled > 0 ? (o->value + o->filled / 2) / o->filled : 0;
    if (msg != NULL) lg_strlcpy(it->msg, msg, sizeof it->msg);
}

void lg_sims_update(lg_sim_t *s, uint32_t oi, lg_ns_t t, lg_kstatus_t st, const char *msg) {
    LG_ASSERT(s != NULL && oi < s->n_orders && (unsigned)st < (unsigned)LG_KS__COUNT);
    const lg_sim_knobs_t *k = &s->cfg.knobs;
    sim_order_t *o = &s->orders[oi];
    sim_item_t it;
    snapshot(s, oi, st, msg, &it);
    bool drop = lg_rng_chance(&s->rng, k->p_drop_update);
    bool reorder = lg_rng_chance(&s->rng, k->p_reorder);
    bool dup = lg_rng_chance(&s->rng, k->p_dup_update);
    lg_ns_t at = t + lg_sims_latency(s, k->update_min_ns, k->update_max_ns);
    if (drop) return;
    at = LG_MAX(at, o->last_dlv);
    if (reorder) {
        at += 2 * k->update_max_ns + lg_sims_latency(s, k->update_min_ns, k->update_max_ns);
    } else {
        o->last_dlv = at;
    }
    push_dlv(s, at, &it);
    if (dup) push_dlv(s, at + lg_sims_latency(s, k->update_min_ns, k->update_max_ns), &it);
}

void lg_sims_answer(lg_sim_t *s, uint32_t oi, lg_ns_t t) {
    LG_ASSERT(s != NULL && oi < s->n_orders);
    sim_item_t it;
    snapshot(s, oi, lg_simb_kstatus(&s->orders[oi]), NULL, &it);
    push_dlv(s, t, &it);
}

void lg_sims_positions(lg_sim_t *s, lg_ns_t t) {
    sim_item_t it = {.kind = SK_POSITIONS, .order = LG_SIM_NONE};
    push_dlv(s, t, &it);
}

void lg_sims_margins(lg_sim_t *s, lg_ns_t t) {
    sim_item_t it = {.kind = SK_MARGINS, .order = LG_SIM_NONE};
    push_dlv(s, t, &it);
}

void lg_sims_basket(lg_sim_t *s, const lg_cmd_t *c, lg_ns_t t) {
    sim_item_t it = {.kind = SK_BASKET, .order = LG_SIM_NONE, .group = c->group, .asked = c->asked};
    if (lg_rng_chance(&s->rng, s->cfg.knobs.p_basket_error))
        lg_strlcpy(it.msg, "MarginException: margin calculation unavailable (simulated)", sizeof it.msg);
    else if (lg_sim_basket(s, c->basket, c->n_basket, &it.initial, &it.final) != LG_OK)
        lg_strlcpy(it.msg, "InputException: invalid instrument in the basket", sizeof it.msg);
    push_dlv(s, t, &it);
}

/* Positions as of delivery: every sim instrument with a nonzero net quantity. */
static void positions_event(lg_sim_t *s, lg_event_t *ev) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n_ins; i++) {
        if (s->ins[i].pos == 0) continue;
        s->rows[n++] = (lg_position_row_t){.token = s->ins[i].token, .qty = s->ins[i].pos};
    }
    ev->kind = LG_EV_POSITIONS;
    ev->u.positions.rows = s->rows;
    ev->u.positions.n = n;
}

static void update_event(const lg_sim_t *s, const sim_item_t *it, lg_event_t *ev) {
    const sim_order_t *o = &s->orders[it->order];
    lg_order_update_t *u = &ev->u.update;
    ev->kind = LG_EV_ORDER_UPDATE;
    lg_strlcpy(u->tag, o->tag, sizeof u->tag);
    lg_sims_broker_id(it->order, u->broker_id, sizeof u->broker_id);
    u->status = (lg_kstatus_t)it->status;
    u->quantity = o->qty;
    u->filled = it->filled;
    u->avg_price = it->avg;
    lg_strlcpy(u->message, it->msg, sizeof u->message);
}

void lg_sims_event(lg_sim_t *s, const sim_item_t *it, lg_event_t *ev) {
    LG_ASSERT(s != NULL && it != NULL && ev != NULL);
    memset(ev, 0, sizeof *ev);
    switch ((sim_kind_t)it->kind) {
    case SK_ACK:
        ev->kind = LG_EV_ORDER_ACK;
        lg_strlcpy(ev->u.ack.tag, s->orders[it->order].tag, sizeof ev->u.ack.tag);
        lg_sims_broker_id(it->order, ev->u.ack.broker_id, sizeof ev->u.ack.broker_id);
        break;
    case SK_ERROR:
        ev->kind = LG_EV_ORDER_ERROR;
        lg_strlcpy(ev->u.error.tag, it->tag, sizeof ev->u.error.tag);
        ev->u.error.definitive = it->definitive;
        ev->u.error.is_cancel = it->about == LG_SIM_ERR_CANCEL;
        ev->u.error.is_lookup = it->about == LG_SIM_ERR_LOOKUP;
        ev->u.error.http_status = it->http;
        lg_strlcpy(ev->u.error.message, it->msg, sizeof ev->u.error.message);
        break;
    case SK_UPDATE:
        update_event(s, it, ev);
        break;
    case SK_POSITIONS:
        positions_event(s, ev);
        break;
    case SK_MARGINS:
        ev->kind = LG_EV_MARGINS;
        lg_sim_margins(s, &ev->u.margins.available, &ev->u.margins.used);
        break;
    case SK_BASKET:
        ev->kind = LG_EV_BASKET;
        ev->u.basket.group = it->group;
        ev->u.basket.asked = it->asked;
        ev->u.basket.ok = it->msg[0] == '\0';
        ev->u.basket.initial = it->initial;
        ev->u.basket.final = it->final;
        lg_strlcpy(ev->u.basket.message, it->msg, sizeof ev->u.basket.message);
        break;
    default:
        lg_assert_fail("not a delivery", __FILE__, __LINE__);
    }
}
