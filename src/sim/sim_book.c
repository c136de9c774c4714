/*
 * sim_book.c — the exchange side of orders: a PLACE is checked by the broker
 * (HTTP 400 refusals), reaches the exchange after a latency (OPEN, TRIGGER PENDING
 * or an RMS REJECTED), matches against the current quote, fills (whole, or in 2–4
 * pieces), and can be cancelled or looked up by its tag. Positions and cash change
 * at the moment of the fill at the exchange, not when the client hears of it.
 *
 * Timeline of a PLACE sent at t0 (lat = uniform draws from the knobs):
 *   t_ack  = t0 + lat(ack)        ACK (or, p_unknown_send, an ORDER_ERROR 504 that
 *                                 is not definitive, at t0 + ack_max + lat(ack));
 *                                 some of PUT ORDER REQ RECEIVED, VALIDATION
 *                                 PENDING, OPEN PENDING (0–3 of them, in order)
 *   t_open = t_ack + lat(open)    at the exchange: REJECTED (p_reject_random, a
 *                                 scripted RMS rejection, an SL trigger on the wrong
 *                                 side of the ltp), else OPEN / TRIGGER PENDING,
 *                                 and a marketable order fills at once
 * Every update reaches the client lat(update) after it happened (sim_send.c).
 *
 * Refusals on the place call (definitive ORDER_ERROR, HTTP 400, at t_ack): unknown
 * token, bad side / type, quantity not whole lots, quantity above the freeze limit,
 * MARKET / SL-M without market protection, price or trigger off the tick, SL limit
 * on the wrong side of its trigger, scripted CIRCUIT / MARGIN rejections, a price
 * (LIMIT, SL) or trigger (SL, SL-M) outside the circuit band, a MARKET order on the
 * side the market is locked against (fair value beyond the band: a buy above it, a
 * sell below it), p_reject_margin, and a full order book or queue ("simulator
 * order book full", counted in lg_sim_overflows). p_lost_send: nothing reaches the broker and the
 * client gets a 504 that is not definitive.
 *
 * Matching: a MARKET order is a limit at the ltp ± market_protection % (-1: 3 %),
 * capped at the circuit band (as the broker does), fixed when the broker takes it;
 * an SL-M gets its limit the same way when it triggers. An SL / SL-M triggers
 * when the ltp reaches the trigger (buy: ltp >= trigger, sell: ltp <= trigger).
 * An open buy fills when limit >= ask, at the ask (a sell when limit <= bid, at the
 * bid), unless the instrument is halted or its fills are delayed. It is checked
 * when it opens and at every market step and gap.
 * p_no_liquidity: a marketable order rests 1–10 market steps first. p_partial: an
 * order of two lots or more fills in 2–4 pieces of whole lots, lat(update) apart,
 * each at the quote of its moment (a piece that is no longer marketable waits).
 *
 * CANCEL (by broker id, else the latest order with the tag) reaches the exchange
 * after lat(ack), the path of a place request: an order not yet terminal is
 * cancelled (sometimes with a CANCEL PENDING update first; filled quantity kept); a
 * terminal one — a fill that won the race — gives a definitive ORDER_ERROR with
 * is_cancel set, lat(update) later. QUERY_ORDER answers lat(ack) later with the
 * state (at the request) of the latest order with the tag, or a definitive 404
 * error "no order with tag ..." when the exchange has none (the send never
 * arrived). QUERY_POSITIONS answers lat(update) later.
 */
#include "sim_int.h"

#include <stdio.h>
#include <string.h>

#define MSG_MPROT "Market orders without market protection are not allowed via API."
#define MSG_MARGIN "Insufficient funds: required margin exceeds available margin."
#define MSG_RMS "RMS: order blocked by risk management checks."
#define MSG_FULL "simulator order book full"
#define MSG_TIMEOUT "Gateway timeout: the outcome of the request is unknown."
#define MSG_CANCEL_LOST "Order cannot be cancelled as it is being processed / already complete"
#define MAX_REST_STEPS 10

/* ---- tag index and open list ------------------------------------------------------ */

static uint32_t tag_hash(const char *tag) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < LG_TAG_MAX && tag[i] != '\0'; i++) {
        h = (h ^ (uint8_t)tag[i]) * 16777619u;
    }
    return h;
}

static void tag_insert(lg_sim_t *s, uint32_t oi) {
    const char *tag = s->orders[oi].tag;
    if (tag[0] == '\0') return;
    uint32_t mask = s->tag_nslots - 1, h = tag_hash(tag) & mask;
    for (uint32_t k = 0; k < s->tag_nslots; k++, h = (h + 1) & mask) {
        if (s->tag_slots[h] == 0) {
            s->tag_slots[h] = oi + 1;
            return;
        }
    }
    lg_assert_fail("tag index full", __FILE__, __LINE__); /* cannot happen: nslots >= 2 * max_orders */
}

uint32_t lg_simb_find_tag(const lg_sim_t *s, const char *tag, uint32_t *count) {
    LG_ASSERT(s != NULL && tag != NULL);
    uint32_t found = LG_SIM_NONE, n = 0;
    if (tag[0] != '\0') {
        uint32_t mask = s->tag_nslots - 1, h = tag_hash(tag) & mask;
        for (uint32_t k = 0; k < s->tag_nslots && s->tag_slots[h] != 0; k++) {
            uint32_t oi = s->tag_slots[h] - 1;
            if (strcmp(s->orders[oi].tag, tag) == 0) {
                n++;
                found = (found == LG_SIM_NONE || oi > found) ? oi : found;
            }
            h = (h + 1) & mask;
        }
    }
    if (count != NULL) *count = n;
    return found;
}

static void open_add(lg_sim_t *s, uint32_t oi) {
    sim_order_t *o = &s->orders[oi];
    LG_ASSERT(o->open_pos == LG_SIM_NONE && s->n_open < s->cfg.max_orders);
    o->open_pos = s->n_open;
    s->open[s->n_open++] = oi;
}

static void open_remove(lg_sim_t *s, uint32_t oi) {
    sim_order_t *o = &s->orders[oi];
    if (o->open_pos == LG_SIM_NONE) return;
    LG_ASSERT(s->n_open > 0 && s->open[o->open_pos] == oi);
    uint32_t last = s->open[--s->n_open];
    s->open[o->open_pos] = last;
    s->orders[last].open_pos = o->open_pos;
    o->open_pos = LG_SIM_NONE;
}

/* The order leaves the book for good. */
static void finish(lg_sim_t *s, uint32_t oi, sim_ost_t st) {
    sim_order_t *o = &s->orders[oi];
    LG_ASSERT(o->st <= SO_TRIGGER && st >= SO_COMPLETE && s->n_live > 0);
    o->st = (uint8_t)st;
    open_remove(s, oi);
    s->n_live--;
}

lg_kstatus_t lg_simb_kstatus(const sim_order_t *o) {
    static const lg_kstatus_t map[] = {
        [SO_RECEIVED] = LG_KS_OPEN_PENDING, [SO_OPEN] = LG_KS_OPEN,
        [SO_TRIGGER] = LG_KS_TRIGGER_PENDING, [SO_COMPLETE] = LG_KS_COMPLETE,
        [SO_CANCELLED] = LG_KS_CANCELLED, [SO_REJECTED] = LG_KS_REJECTED};
    LG_ASSERT(o != NULL && o->st <= SO_REJECTED);
    return map[o->st];
}

/* ---- validation on the place call ------------------------------------------------- */

static void rupees(lg_paise_t p, char *buf, size_t cap) {
    snprintf(buf, cap, "%lld.%02lld", (long long)(p / 100), (long long)(p % 100));
}

static bool is_market(uint8_t ot) {
    return ot == LG_OT_MARKET || ot == LG_OT_SLM;
}

static bool has_trigger(uint8_t ot) {
    return ot == LG_OT_SL || ot == LG_OT_SLM;
}

/* Shape of the request: false with the message when the broker refuses it. */
static bool check_shape(const lg_cmd_t *c, const sim_ins_t *in, char *msg, size_t cap) {
    if ((c->side != 1 && c->side != -1) || c->otype > LG_OT_SLM) {
        snprintf(msg, cap, "Invalid order parameters (side %d, type %u)", c->side, c->otype);
    } else if (c->qty <= 0 || c->qty % in->lot != 0) {
        snprintf(msg, cap, "Quantity %lld is not a multiple of the lot size %lld",
                 (long long)c->qty, (long long)in->lot);
    } else if (c->qty > in->freeze) {
        snprintf(msg, cap, "Quantity %lld exceeds the freeze limit %lld", (long long)c->qty,
                 (long long)in->freeze);
    } else if (is_market(c->otype) && c->mprot_pct == 0) {
        snprintf(msg, cap, "%s", MSG_MPROT);
    } else if (is_market(c->otype) && (c->mprot_pct < -1 || c->mprot_pct > 100)) {
        snprintf(msg, cap, "Invalid market protection %d", c->mprot_pct);
    } else if (!is_market(c->otype) && (c->price <= 0 || c->price % in->tick != 0)) {
        snprintf(msg, cap, "Price %lld paise is not a multiple of the tick size 0.05",
                 (long long)c->price);
    } else if (has_trigger(c->otype) && (c->trigger <= 0 || c->trigger % in->tick != 0)) {
        snprintf(msg, cap, "Trigger price %lld paise is not a multiple of the tick size 0.05",
                 (long long)c->trigger);
    } else if (c->otype == LG_OT_SL && c->side * (c->price - c->trigger) < 0) {
        snprintf(msg, cap, "Trigger price must be on the near side of the limit price");
    } else {
        return true;
    }
    return false;
}

/* The price the circuit band is checked against; *limit: the order's limit. */
static lg_paise_t band_price(lg_sim_t *s, const lg_cmd_t *c, uint32_t ii, int mprot,
                             lg_paise_t *limit) {
    *limit = 0;
    switch ((lg_otype_t)c->otype) {
    case LG_OT_MARKET: {
        lg_paise_t raw = lg_simm_protect(&s->ins[ii], lg_simm_quote(s, ii)->ltp, c->side, mprot);
        *limit = lg_simm_cap(&s->ins[ii], raw);
        return raw;
    }
    case LG_OT_LIMIT:
    case LG_OT_SL:
        *limit = c->price;
        return c->price;
    case LG_OT_SLM:
        return c->trigger;
    }
    lg_assert_fail("order type", __FILE__, __LINE__);
    return 0;
}

static void band_msg(const sim_ins_t *in, lg_paise_t p, char *msg, size_t cap) {
    char a[32], lo[32], hi[32];
    rupees(p, a, sizeof a);
    rupees(in->band_lo, lo, sizeof lo);
    rupees(in->band_hi, hi, sizeof hi);
    snprintf(msg, cap, "Price %.14s is outside the circuit limits %.14s - %.14s", a, lo, hi);
}

/* Broker checks after the shape: scripted rejections, circuit band, margin. */
static bool check_risk(lg_sim_t *s, const lg_cmd_t *c, uint32_t ii, int mprot,
                       lg_paise_t *limit, bool *rms, char *msg, size_t cap) {
    sim_ins_t *in = &s->ins[ii];
    uint8_t scripted = 0;
    if (in->rej_skip > 0) {
        in->rej_skip--;
    } else if (in->rej_n > 0) {
        in->rej_n--;
        scripted = in->rej_reason;
    }
    *rms = scripted == LG_SIM_REJ_RMS;
    lg_paise_t p = band_price(s, c, ii, mprot, limit);
    bool out = c->otype == LG_OT_MARKET
                   ? lg_simm_locked(in, lg_simm_quote(s, ii), c->side)
                   : !lg_simm_in_band(in, p) ||
                         (c->otype == LG_OT_SL && !lg_simm_in_band(in, c->trigger));
    if (scripted == LG_SIM_REJ_CIRCUIT || out) {
        band_msg(in, p, msg, cap);
        return false;
    }
    if (scripted == LG_SIM_REJ_MARGIN || lg_rng_chance(&s->rng, s->cfg.knobs.p_reject_margin)) {
        snprintf(msg, cap, "%s", MSG_MARGIN);
        return false;
    }
    return true;
}

/* ---- place ------------------------------------------------------------------------ */

/* Some of the transient statuses before OPEN, in Kite's order. */
static void transients(lg_sim_t *s, uint32_t oi, lg_ns_t t) {
    static const lg_kstatus_t seq[3] = {LG_KS_PUT_ORDER_REQ_RECEIVED, LG_KS_VALIDATION_PENDING,
                                        LG_KS_OPEN_PENDING};
    uint32_t n = (uint32_t)lg_rng_below(&s->rng, 4);
    for (uint32_t i = 3 - n; i < 3; i++) lg_sims_update(s, oi, t, seq[i], NULL);
}

static uint32_t new_order(lg_sim_t *s, const lg_cmd_t *c, uint32_t ii, int mprot,
                          lg_paise_t limit, bool rms) {
    LG_ASSERT(s->n_orders < s->cfg.max_orders);
    uint32_t oi = s->n_orders++;
    sim_order_t *o = &s->orders[oi];
    memset(o, 0, sizeof *o);
    lg_strlcpy(o->tag, c->tag, sizeof o->tag);
    o->ins = ii;
    o->side = c->side;
    o->otype = c->otype;
    o->mprot = (int16_t)mprot;
    o->st = SO_RECEIVED;
    o->rms_reject = rms;
    o->qty = c->qty;
    o->limit = limit;
    o->trigger = has_trigger(c->otype) ? c->trigger : 0;
    o->open_pos = LG_SIM_NONE;
    s->n_live++;
    tag_insert(s, oi);
    return oi;
}

void lg_simb_place(lg_sim_t *s, const lg_cmd_t *c, lg_ns_t now) {
    const lg_sim_knobs_t *k = &s->cfg.knobs;
    char msg[LG_STATUS_MSG_MAX];
    lg_ns_t t_ack = now + lg_sims_latency(s, k->ack_min_ns, k->ack_max_ns);
    uint32_t ii = lg_simm_find(s, c->token);
    if (ii == LG_SIM_NONE) {
        snprintf(msg, sizeof msg, "Invalid instrument token %u", c->token);
        lg_sims_error(s, t_ack, c->tag, LG_SIM_NONE, true, LG_SIM_ERR_PLACE, 400, msg);
        return;
    }
    int mprot = c->mprot_pct == -1 ? LG_SIM_DEFAULT_MPROT : c->mprot_pct;
    lg_paise_t limit = 0;
    bool rms = false;
    if (!check_shape(c, &s->ins[ii], msg, sizeof msg) ||
        !check_risk(s, c, ii, mprot, &limit, &rms, msg, sizeof msg)) {
        lg_sims_error(s, t_ack, c->tag, LG_SIM_NONE, true, LG_SIM_ERR_PLACE, 400, msg);
        return;
    }
    if (s->n_orders == s->cfg.max_orders || lg_simq_room(&s->q) < LG_SIM_HEADROOM) {
        s->overflows++;
        lg_sims_error(s, t_ack, c->tag, LG_SIM_NONE, true, LG_SIM_ERR_PLACE, 400, MSG_FULL);
        return;
    }
    lg_ns_t t_late = now + k->ack_max_ns + lg_sims_latency(s, k->ack_min_ns, k->ack_max_ns);
    if (lg_rng_chance(&s->rng, k->p_lost_send)) {
        lg_sims_error(s, t_late, c->tag, LG_SIM_NONE, false, LG_SIM_ERR_PLACE, 504, MSG_TIMEOUT);
        return;
    }
    bool unknown = lg_rng_chance(&s->rng, k->p_unknown_send);
    uint32_t oi = new_order(s, c, ii, mprot, limit, rms);
    if (unknown) {
        lg_sims_error(s, t_late, c->tag, oi, false, LG_SIM_ERR_PLACE, 504, MSG_TIMEOUT);
    } else {
        lg_sims_ack(s, t_ack, oi);
    }
    s->orders[oi].last_dlv = unknown ? t_late : t_ack;
    transients(s, oi, t_ack);
    lg_sims_world(s, t_ack + lg_sims_latency(s, k->open_min_ns, k->open_max_ns), SK_OPEN, oi);
}

/* ---- matching ------------------------------------------------------------------------ */

static bool can_trade(const sim_ins_t *in, lg_ns_t t) {
    return !in->halted && t >= in->delay_until;
}

static void fill(lg_sim_t *s, uint32_t oi, lg_qty_t q, lg_paise_t price, lg_ns_t t) {
    sim_order_t *o = &s->orders[oi];
    sim_ins_t *in = &s->ins[o->ins];
    LG_ASSERT(q > 0 && o->filled + q <= o->qty && price > 0 && o->st == SO_OPEN);
    o->filled += q;
    o->value += q * price;
    in->pos += o->side * q;
    s->cash -= o->side * q * price;
    lg_sim_fill_t *f = &s->fills[s->n_fills++ % LG_SIM_FILL_RING];
    memcpy(f->tag, o->tag, sizeof f->tag);
    f->token = in->token;
    f->qty = o->side * q;
    f->price = price;
    f->at = t;
    f->order = oi;
    if (o->filled == o->qty) finish(s, oi, SO_COMPLETE);
    lg_sims_update(s, oi, t, o->filled == o->qty ? LG_KS_COMPLETE : LG_KS_OPEN, NULL);
}

/* Fills the next piece at price; schedules the one after, if any. */
static void fill_piece(lg_sim_t *s, uint32_t oi, lg_paise_t price, lg_ns_t t) {
    sim_order_t *o = &s->orders[oi];
    lg_qty_t lot = s->ins[o->ins].lot;
    lg_qty_t lots = (o->qty - o->filled) / lot;
    LG_ASSERT(lots > 0 && o->pieces_left >= 1);
    lg_qty_t n = (lots + o->pieces_left - 1) / o->pieces_left;
    o->pieces_left--;
    fill(s, oi, n * lot, price, t);
    if (o->st != SO_OPEN) return;
    LG_ASSERT(o->pieces_left >= 1);
    o->fill_busy = true;
    const lg_sim_knobs_t *k = &s->cfg.knobs;
    lg_sims_world(s, t + lg_sims_latency(s, k->update_min_ns, k->update_max_ns), SK_FILL, oi);
}

static void draw_liquidity(lg_sim_t *s, sim_order_t *o, lg_ns_t t) {
    const lg_sim_knobs_t *k = &s->cfg.knobs;
    if (!o->liq_drawn) {
        o->liq_drawn = true;
        if (lg_rng_chance(&s->rng, k->p_no_liquidity))
            o->rest_until = t + (1 + (lg_ns_t)lg_rng_below(&s->rng, MAX_REST_STEPS)) * k->step_ns;
    }
    if (!o->part_drawn && t >= o->rest_until) {
        o->part_drawn = true;
        lg_qty_t lots = (o->qty - o->filled) / s->ins[o->ins].lot;
        o->pieces_left = 1;
        if (lg_rng_chance(&s->rng, k->p_partial) && lots >= 2)
            o->pieces_left = (uint8_t)LG_MIN(lots, 2 + (lg_qty_t)lg_rng_below(&s->rng, 3));
    }
}

static void trigger(lg_sim_t *s, uint32_t oi, lg_ns_t t) {
    sim_order_t *o = &s->orders[oi];
    LG_ASSERT(o->st == SO_TRIGGER);
    o->st = SO_OPEN;
    if (o->otype == LG_OT_SLM)
        o->limit = lg_simm_cap(&s->ins[o->ins],
                               lg_simm_protect(&s->ins[o->ins], lg_simm_quote(s, o->ins)->ltp,
                                               o->side, o->mprot));
    lg_sims_update(s, oi, t, LG_KS_OPEN, NULL);
}

static bool triggered(lg_sim_t *s, const sim_order_t *o) {
    lg_paise_t ltp = lg_simm_quote(s, o->ins)->ltp;
    return o->side > 0 ? ltp >= o->trigger : ltp <= o->trigger;
}

static void try_match(lg_sim_t *s, uint32_t oi, lg_ns_t t) {
    sim_order_t *o = &s->orders[oi];
    const sim_ins_t *in = &s->ins[o->ins];
    if (!can_trade(in, t)) return;
    if (o->st == SO_TRIGGER && triggered(s, o)) trigger(s, oi, t);
    if (o->st != SO_OPEN || o->fill_busy) return;
    const sim_quote_t *q = lg_simm_quote(s, o->ins);
    if (o->side > 0 ? o->limit < q->ask : o->limit > q->bid) return;
    draw_liquidity(s, o, t);
    if (t < o->rest_until) return;
    fill_piece(s, oi, o->side > 0 ? q->ask : q->bid, t);
}

void lg_simb_check_open(lg_sim_t *s, lg_ns_t t, uint32_t und) {
    LG_ASSERT(s != NULL);
    /* backwards: a completed order is swapped out with one already visited */
    for (uint32_t i = s->n_open; i > 0; i--) {
        if (i > s->n_open) continue;
        uint32_t oi = s->open[i - 1];
        if (und != LG_SIM_NONE && s->ins[s->orders[oi].ins].und != und) continue;
        try_match(s, oi, t);
    }
}

/* ---- world actions -------------------------------------------------------------------- */

static void reject(lg_sim_t *s, uint32_t oi, lg_ns_t t, const char *msg) {
    finish(s, oi, SO_REJECTED);
    lg_sims_update(s, oi, t, LG_KS_REJECTED, msg);
}

static void on_open(lg_sim_t *s, uint32_t oi, lg_ns_t t) {
    sim_order_t *o = &s->orders[oi];
    bool random_reject = lg_rng_chance(&s->rng, s->cfg.knobs.p_reject_random);
    if (o->st != SO_RECEIVED) return; /* cancelled on the way */
    if (o->rms_reject || random_reject) {
        reject(s, oi, t, MSG_RMS);
        return;
    }
    if (has_trigger(o->otype)) {
        if (triggered(s, o)) { /* the trigger is already passed */
            reject(s, oi, t, o->side > 0 ? "Trigger price for stoploss buy orders should be "
                                           "higher than the last traded price."
                                         : "Trigger price for stoploss sell orders should be "
                                           "lower than the last traded price.");
            return;
        }
        o->st = SO_TRIGGER;
        open_add(s, oi);
        lg_sims_update(s, oi, t, LG_KS_TRIGGER_PENDING, NULL);
        return;
    }
    o->st = SO_OPEN;
    open_add(s, oi);
    lg_sims_update(s, oi, t, LG_KS_OPEN, NULL);
    try_match(s, oi, t);
}

static void on_cancel(lg_sim_t *s, uint32_t oi, lg_ns_t t) {
    sim_order_t *o = &s->orders[oi];
    bool pending = lg_rng_below(&s->rng, 2) == 0;
    if (o->st >= SO_COMPLETE) {
        const lg_sim_knobs_t *k = &s->cfg.knobs;
        lg_ns_t at = t + lg_sims_latency(s, k->update_min_ns, k->update_max_ns);
        lg_sims_error(s, at, o->tag, oi, true, LG_SIM_ERR_CANCEL, 400, MSG_CANCEL_LOST);
        return;
    }
    if (pending) lg_sims_update(s, oi, t, LG_KS_CANCEL_PENDING, NULL);
    finish(s, oi, SO_CANCELLED);
    lg_sims_update(s, oi, t, LG_KS_CANCELLED, NULL);
}

void lg_simb_world(lg_sim_t *s, const sim_item_t *it, lg_ns_t t) {
    LG_ASSERT(s != NULL && it != NULL && it->order < s->n_orders);
    switch ((sim_kind_t)it->kind) {
    case SK_OPEN:
        on_open(s, it->order, t);
        break;
    case SK_FILL:
        s->orders[it->order].fill_busy = false;
        try_match(s, it->order, t);
        break;
    case SK_CANCEL:
        on_cancel(s, it->order, t);
        break;
    default:
        lg_assert_fail("not a world action", __FILE__, __LINE__);
    }
}

/* ---- cancel and query ------------------------------------------------------------------ */

/* Order index of a broker id this simulator issued, or NONE. */
static uint32_t parse_oid(const lg_sim_t *s, const char *id) {
    uint64_t v = 0;
    size_t n = strnlen(id, LG_BROKER_ID_MAX);
    if (n != 19) return LG_SIM_NONE;
    for (size_t i = 0; i < n; i++) {
        if (id[i] < '0' || id[i] > '9') return LG_SIM_NONE;
        v = v * 10 + (uint64_t)(id[i] - '0');
    }
    if (v <= LG_SIM_OID_BASE || v - LG_SIM_OID_BASE - 1 >= s->n_orders) return LG_SIM_NONE;
    return (uint32_t)(v - LG_SIM_OID_BASE - 1);
}

uint32_t lg_sim_order_number(const lg_sim_t *s, const char *broker_id) {
    LG_ASSERT(s != NULL && broker_id != NULL);
    return parse_oid(s, broker_id);
}

void lg_sim_order_id(uint32_t order, char *out, size_t cap) {
    lg_sims_broker_id(order, out, cap);
}

void lg_simb_cancel(lg_sim_t *s, const lg_cmd_t *c, lg_ns_t now) {
    const lg_sim_knobs_t *k = &s->cfg.knobs;
    bool by_id = c->broker_id[0] != '\0';
    uint32_t oi = by_id ? parse_oid(s, c->broker_id) : lg_simb_find_tag(s, c->tag, NULL);
    if (oi == LG_SIM_NONE) {
        char msg[LG_STATUS_MSG_MAX];
        if (by_id) snprintf(msg, sizeof msg, "Invalid order_id %.32s", c->broker_id);
        else snprintf(msg, sizeof msg, "no order with tag %.20s", c->tag);
        lg_ns_t at = now + lg_sims_latency(s, k->ack_min_ns, k->ack_max_ns);
        lg_sims_error(s, at, c->tag, LG_SIM_NONE, true, LG_SIM_ERR_CANCEL, 400, msg);
        return;
    }
    lg_sims_world(s, now + lg_sims_latency(s, k->ack_min_ns, k->ack_max_ns), SK_CANCEL, oi);
}

int lg_simb_modify(lg_sim_t *s, const char *broker_id, const lg_sim_modify_t *m, lg_ns_t now,
                   char *msg, size_t cap) {
    uint32_t oi = parse_oid(s, broker_id);
    if (oi == LG_SIM_NONE) {
        snprintf(msg, cap, "Invalid order_id %.32s", broker_id);
        return LG_EUNKNOWN_ORDER;
    }
    sim_order_t *o = &s->orders[oi];
    const sim_ins_t *in = &s->ins[o->ins];
    if (o->st >= SO_COMPLETE) {
        snprintf(msg, cap, "Order cannot be modified as it is %s.",
                 lg_kstatus_name(lg_simb_kstatus(o)));
        return LG_ESTATE;
    }
    if (o->n_modify >= LG_SIM_MAX_MODIFY) {
        snprintf(msg, cap, "Maximum allowed order modifications exceeded.");
        return LG_ERANGE;
    }
    lg_cmd_t c = {.kind = LG_CMD_PLACE, .token = in->token, .side = o->side, .otype = m->otype,
                  .qty = m->qty, .price = m->price, .trigger = m->trigger,
                  .mprot_pct = o->mprot > 0 ? o->mprot : LG_SIM_DEFAULT_MPROT};
    lg_paise_t limit = 0;
    if (!check_shape(&c, in, msg, cap)) return LG_EINVAL;
    if (m->qty <= o->filled) {
        snprintf(msg, cap, "Quantity %lld must be more than the filled quantity %lld",
                 (long long)m->qty, (long long)o->filled);
        return LG_EINVAL;
    }
    lg_paise_t p = band_price(s, &c, o->ins, c.mprot_pct, &limit);
    if ((c.otype != LG_OT_MARKET && !lg_simm_in_band(in, p)) ||
        (c.otype == LG_OT_SL && !lg_simm_in_band(in, c.trigger))) {
        band_msg(in, p, msg, cap);
        return LG_EINVAL;
    }
    o->n_modify++;
    o->otype = c.otype;
    o->mprot = c.mprot_pct;
    o->qty = c.qty;
    o->limit = limit;
    o->trigger = has_trigger(c.otype) ? c.trigger : 0;
    if (o->st == SO_OPEN && has_trigger(c.otype) && !triggered(s, o)) { /* back to waiting */
        o->st = SO_TRIGGER;
    } else if (o->st == SO_TRIGGER && !has_trigger(c.otype)) {
        o->st = SO_OPEN;
    }
    lg_sims_update(s, oi, now, lg_simb_kstatus(o), NULL);
    if (o->st == SO_OPEN || o->st == SO_TRIGGER) try_match(s, oi, now);
    return LG_OK;
}

void lg_simb_query(lg_sim_t *s, const lg_cmd_t *c, lg_ns_t now) {
    const lg_sim_knobs_t *k = &s->cfg.knobs;
    lg_ns_t at = now + lg_sims_latency(s, k->ack_min_ns, k->ack_max_ns);
    uint32_t oi = lg_simb_find_tag(s, c->tag, NULL);
    if (oi == LG_SIM_NONE) {
        char msg[LG_STATUS_MSG_MAX];
        snprintf(msg, sizeof msg, "no order with tag %.20s", c->tag);
        lg_sims_error(s, at, c->tag, LG_SIM_NONE, true, LG_SIM_ERR_LOOKUP, 404, msg);
        return;
    }
    lg_sims_answer(s, oi, at);
}
