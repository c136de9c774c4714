/*
 * sim.c — the exchange model's public face: create / destroy, the virtual-time
 * loop (request, poll, next_time), scripting and inspection.
 *
 * The loop. lg_sim_poll(now) hands out client-visible events in time order. Before
 * handing out a delivery or a tick due at time t it advances the world (market
 * steps, scripted gaps, exchange-side actions) up to t, one thing at a time in time
 * order (at equal times: market step, then gap, then actions in the order they
 * were scheduled), so every delivery and tick sees the world as it was at its
 * time. lg_sim_request(now) advances the world to now first, then takes the
 * command. lg_sim_next_time is the earliest of: a delivery, an exchange action, a
 * scripted gap, the next tick round (when anything is subscribed), the next market
 * step (only while some order rests in the book: it may fill when the market
 * moves). A poll at such a time may well return 0: the world moved, nothing for the
 * client yet.
 *
 * Ticks: every tick_interval_ns (at its multiples) one TICK per subscribed future,
 * and per subscribed option every option_tick_every-th round,
 * in subscription order, with the quote of that moment. Rounds wholly in the past
 * when poll is called are skipped (the ticker does not replay).
 *
 * Determinism: a run is a function of the seed, the knobs, the script and the
 * (command, time) sequence — no clock, no I/O, no allocation after create.
 */
#include "sim_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MAX_ITERS (1u << 26)

void lg_sim_knobs_default(lg_sim_knobs_t *k) {
    LG_ASSERT(k != NULL);
    memset(k, 0, sizeof *k);
    k->ack_min_ns = 200 * LG_NS_PER_US;
    k->ack_max_ns = 2 * LG_NS_PER_MS;
    k->open_min_ns = 100 * LG_NS_PER_US;
    k->open_max_ns = 1 * LG_NS_PER_MS;
    k->update_min_ns = 50 * LG_NS_PER_US;
    k->update_max_ns = 500 * LG_NS_PER_US;
    k->vol_annual = 0.15;
    k->jump_per_hour = 0.0;
    k->jump_pct = 1.0;
    k->circuit_pct = 40.0;
    k->tick_interval_ns = 100 * LG_NS_PER_MS;
    k->option_tick_every = 10;
    k->step_ns = 100 * LG_NS_PER_MS;
    k->circuit_flex_ns = 10 * LG_NS_PER_S;
}

static bool prob_ok(double p) {
    return p >= 0.0 && p <= 1.0;
}

static bool knobs_ok(const lg_sim_knobs_t *k) {
    bool lat = k->ack_min_ns >= 0 && k->ack_min_ns <= k->ack_max_ns && k->open_min_ns >= 0 &&
               k->open_min_ns <= k->open_max_ns && k->update_min_ns >= 0 &&
               k->update_min_ns <= k->update_max_ns && k->ack_max_ns < LG_NS_PER_S * 3600 &&
               k->open_max_ns < LG_NS_PER_S * 3600 && k->update_max_ns < LG_NS_PER_S * 3600;
    bool p = prob_ok(k->p_reject_random) && prob_ok(k->p_reject_margin) &&
             prob_ok(k->p_partial) && prob_ok(k->p_drop_update) && prob_ok(k->p_dup_update) &&
             prob_ok(k->p_reorder) && prob_ok(k->p_unknown_send) &&
             prob_ok(k->p_no_liquidity) && prob_ok(k->p_lost_send) && prob_ok(k->p_basket_error);
    bool m = k->vol_annual >= 0.0 && k->vol_annual < 10.0 && k->jump_per_hour >= 0.0 &&
             isfinite(k->jump_per_hour) && k->jump_pct >= 0.0 && k->jump_pct < 100.0 &&
             isfinite(k->circuit_pct) && k->tick_interval_ns > 0 && k->step_ns > 0 &&
             k->circuit_flex_ns >= 0 && k->option_tick_every >= 1 &&
             k->option_tick_every <= 1000;
    return lat && p && m;
}

static uint32_t pow2_at_least(uint32_t n) {
    uint32_t p = 1;
    for (int i = 0; i < 31 && p < n; i++) p <<= 1;
    return p;
}

static int alloc_all(lg_sim_t *s) {
    uint32_t mo = s->cfg.max_orders;
    s->cap_ins = s->master->cap;
    s->ins = calloc(s->cap_ins, sizeof *s->ins);
    s->subs = calloc(s->cap_ins, sizeof *s->subs);
    s->rows = calloc(s->cap_ins, sizeof *s->rows);
    s->orders = calloc(mo, sizeof *s->orders);
    s->open = calloc(mo, sizeof *s->open);
    s->tag_nslots = pow2_at_least(2 * mo);
    s->tag_slots = calloc(s->tag_nslots, sizeof *s->tag_slots);
    s->fills = calloc(LG_SIM_FILL_RING, sizeof *s->fills);
    if (!s->ins || !s->subs || !s->rows || !s->orders || !s->open || !s->tag_slots || !s->fills)
        return LG_EPOOL_FULL;
    return lg_simq_init(&s->q, s->cfg.max_pending);
}

int lg_sim_create(const lg_sim_config_t *cfg, lg_instruments_t *master, lg_sim_t **out) {
    LG_ASSERT(cfg != NULL && master != NULL && out != NULL);
    *out = NULL;
    if (cfg->max_orders == 0 || cfg->max_orders > (1u << 28) ||
        cfg->max_pending < 4 * LG_SIM_HEADROOM || cfg->max_pending > (1u << 28) ||
        !knobs_ok(&cfg->knobs) || cfg->clock_offset_ns < 0 || cfg->funds < 0 ||
        master->items == NULL || master->cap == 0)
        return LG_EINVAL;
    lg_sim_t *s = calloc(1, sizeof *s);
    if (s == NULL) return LG_EPOOL_FULL;
    s->cfg = *cfg;
    if (s->cfg.funds == 0) s->cfg.funds = 10000000LL * 100; /* ₹1 crore */
    s->master = master;
    lg_rng_seed(&s->rng, cfg->seed);
    s->offset = cfg->clock_offset_ns;
    s->offset_set = cfg->clock_offset_ns != 0;
    s->tick_t = cfg->knobs.tick_interval_ns;
    int rc = alloc_all(s);
    if (rc != LG_OK) {
        lg_sim_destroy(s);
        return rc;
    }
    *out = s;
    return LG_OK;
}

void lg_sim_destroy(lg_sim_t *s) {
    if (s == NULL) return;
    free(s->ins);
    free(s->subs);
    free(s->rows);
    free(s->orders);
    free(s->open);
    free(s->tag_slots);
    free(s->fills);
    if (s->q.cap > 0) lg_simq_free(&s->q);
    free(s);
}

int lg_sim_add_underlying(lg_sim_t *s, const char *name, double spot, double strike_step,
                          uint32_t n_strikes, int32_t expiry_day, lg_qty_t lot,
                          lg_qty_t freeze, double iv) {
    LG_ASSERT(s != NULL && name != NULL);
    return lg_simm_add(s, name, spot, strike_step, n_strikes, expiry_day, lot, freeze, iv);
}

/* ---- the world ---------------------------------------------------------------------- */

/* Market steps from mkt_t up to `until` (> mkt_t + step): one, or when there are
 * very many, all but the last in one aggregated draw. */
static void market_steps(lg_sim_t *s, lg_ns_t until) {
    lg_ns_t step = s->cfg.knobs.step_ns;
    uint64_t n = (uint64_t)((until - s->mkt_t) / step);
    LG_ASSERT(n >= 1);
    lg_simm_step(s, n > LG_SIM_MAX_CATCHUP ? n - 1 : 1);
    s->wt = LG_MAX(s->wt, s->mkt_t);
    if (s->n_open > 0) lg_simb_check_open(s, s->mkt_t, LG_SIM_NONE);
}

/* Does the earliest world thing at or before lim; false if there is none. */
static bool world_one(lg_sim_t *s, lg_ns_t lim) {
    lg_ns_t t_step = s->mkt_t + s->cfg.knobs.step_ns;
    lg_ns_t t_gap = lg_simm_next_gap(s);
    lg_ns_t t_item = lg_simq_head(&s->q.world);
    lg_ns_t t_other = LG_MIN(t_gap, t_item);
    if (t_step <= t_other) {
        if (t_step > lim) return false;
        market_steps(s, LG_MIN(t_other, lim));
        return true;
    }
    if (t_other > lim) return false;
    if (t_gap <= t_item) {
        lg_ns_t at;
        uint32_t und = lg_simm_apply_gap(s, &at);
        s->wt = LG_MAX(s->wt, at);
        if (s->n_open > 0) lg_simb_check_open(s, s->wt, und);
        return true;
    }
    sim_item_t it;
    lg_ns_t t;
    lg_simq_pop(&s->q, &s->q.world, &it, &t);
    s->wt = LG_MAX(s->wt, t);
    lg_simb_world(s, &it, s->wt);
    return true;
}

static void world_advance(lg_sim_t *s, lg_ns_t now) {
    for (uint32_t i = 0; i < POLL_MAX_ITERS && world_one(s, now); i++) {
    }
    s->wt = LG_MAX(s->wt, now);
}

void lg_sim_request(lg_sim_t *s, const lg_cmd_t *cmd, lg_ns_t now) {
    LG_ASSERT(s != NULL && cmd != NULL && now >= 0);
    LG_ASSERT(knobs_ok(&s->cfg.knobs));
    world_advance(s, now);
    if (lg_simq_room(&s->q) == 0) { /* not even an error can be answered */
        s->overflows++;
        return;
    }
    switch (cmd->kind) {
    case LG_CMD_PLACE:
        lg_simb_place(s, cmd, now);
        break;
    case LG_CMD_CANCEL:
        lg_simb_cancel(s, cmd, now);
        break;
    case LG_CMD_QUERY_ORDER:
        lg_simb_query(s, cmd, now);
        break;
    case LG_CMD_QUERY_POSITIONS: {
        const lg_sim_knobs_t *k = &s->cfg.knobs;
        lg_sims_positions(s, now + lg_sims_latency(s, k->update_min_ns, k->update_max_ns));
        break;
    }
    case LG_CMD_QUERY_MARGINS: {
        const lg_sim_knobs_t *k = &s->cfg.knobs;
        lg_sims_margins(s, now + lg_sims_latency(s, k->update_min_ns, k->update_max_ns));
        break;
    }
    case LG_CMD_QUERY_BASKET: {
        const lg_sim_knobs_t *k = &s->cfg.knobs;
        lg_sims_basket(s, cmd, now + lg_sims_latency(s, k->ack_min_ns, k->ack_max_ns));
        break;
    }
    default:
        lg_assert_fail("unknown command kind", __FILE__, __LINE__);
    }
}

int lg_sim_modify(lg_sim_t *s, const char *broker_id, const lg_sim_modify_t *m, lg_ns_t now,
                  char *msg, size_t cap) {
    LG_ASSERT(s != NULL && broker_id != NULL && m != NULL && now >= 0 && msg != NULL);
    world_advance(s, now);
    return lg_simb_modify(s, broker_id, m, now, msg, cap);
}

lg_ns_t lg_sim_next_time(const lg_sim_t *s) {
    LG_ASSERT(s != NULL);
    lg_ns_t t = LG_MIN(lg_simq_head(&s->q.dlv), lg_simq_head(&s->q.world));
    t = LG_MIN(t, lg_simm_next_gap(s));
    t = LG_MIN(t, lg_simm_next_tick(s));
    if (s->n_open > 0) t = LG_MIN(t, s->mkt_t + s->cfg.knobs.step_ns);
    return t;
}

int lg_sim_poll(lg_sim_t *s, lg_ns_t now, lg_event_t *ev) {
    LG_ASSERT(s != NULL && ev != NULL && now >= 0);
    lg_simm_tick_catch_up(s, now);
    for (uint32_t i = 0; i < POLL_MAX_ITERS; i++) {
        lg_ns_t td = lg_simq_head(&s->q.dlv), tt = lg_simm_next_tick(s);
        if (world_one(s, LG_MIN(now, LG_MIN(td, tt)))) continue;
        if (td <= now && td <= tt) {
            sim_item_t it;
            lg_ns_t t;
            lg_simq_pop(&s->q, &s->q.dlv, &it, &t);
            lg_sims_event(s, &it, ev);
            return 1;
        }
        if (tt <= now) {
            lg_simm_tick(s, ev);
            return 1;
        }
        s->wt = LG_MAX(s->wt, now);
        return 0;
    }
    return 0; /* a very long catch-up: the next poll continues it */
}

/* ---- scripting ------------------------------------------------------------------------- */

void lg_sim_subscribe(lg_sim_t *s, uint32_t token) {
    LG_ASSERT(s != NULL);
    uint32_t i = lg_simm_find(s, token);
    if (i != LG_SIM_NONE) lg_simm_subscribe(s, i);
}

void lg_sim_gap(lg_sim_t *s, int underlying, double pct, lg_ns_t at) {
    LG_ASSERT(s != NULL && underlying >= 0 && (uint32_t)underlying < s->n_und);
    lg_simm_add_gap(s, (uint32_t)underlying, pct, at);
}

void lg_sim_halt(lg_sim_t *s, uint32_t token, bool halted) {
    LG_ASSERT(s != NULL);
    uint32_t i = lg_simm_find(s, token);
    if (i != LG_SIM_NONE) s->ins[i].halted = halted;
}

void lg_sim_reject_after(lg_sim_t *s, uint32_t token, int reason, uint32_t skip, uint32_t n) {
    LG_ASSERT(s != NULL && reason >= LG_SIM_REJ_CIRCUIT && reason <= LG_SIM_REJ_RMS);
    uint32_t i = lg_simm_find(s, token);
    if (i == LG_SIM_NONE) return;
    s->ins[i].rej_reason = (uint8_t)reason;
    s->ins[i].rej_skip = skip;
    s->ins[i].rej_n = n;
}

void lg_sim_reject_next(lg_sim_t *s, uint32_t token, int reason, uint32_t n) {
    lg_sim_reject_after(s, token, reason, 0, n);
}

void lg_sim_delay_fills(lg_sim_t *s, uint32_t token, lg_ns_t until) {
    LG_ASSERT(s != NULL);
    uint32_t i = lg_simm_find(s, token);
    if (i != LG_SIM_NONE) s->ins[i].delay_until = until;
}

lg_sim_knobs_t *lg_sim_knobs(lg_sim_t *s) {
    LG_ASSERT(s != NULL);
    return &s->cfg.knobs;
}

/* ---- inspection ------------------------------------------------------------------------ */

lg_qty_t lg_sim_position(const lg_sim_t *s, uint32_t token) {
    LG_ASSERT(s != NULL);
    uint32_t i = lg_simm_find(s, token);
    return i == LG_SIM_NONE ? 0 : s->ins[i].pos;
}

int64_t lg_sim_cash(const lg_sim_t *s) {
    LG_ASSERT(s != NULL);
    return s->cash;
}

lg_paise_t lg_sim_ltp(const lg_sim_t *s, uint32_t token) {
    LG_ASSERT(s != NULL);
    uint32_t i = lg_simm_find(s, token);
    return i == LG_SIM_NONE ? 0 : lg_simm_quote_now(s, i).ltp;
}

double lg_sim_underlying(const lg_sim_t *s, int underlying) {
    LG_ASSERT(s != NULL && underlying >= 0 && (uint32_t)underlying < s->n_und);
    return s->und[underlying].spot;
}

uint32_t lg_sim_orders_with_tag(const lg_sim_t *s, const char *tag) {
    LG_ASSERT(s != NULL && tag != NULL);
    uint32_t n = 0;
    lg_simb_find_tag(s, tag, &n);
    return n;
}

uint32_t lg_sim_book(lg_sim_t *s, lg_ns_t now, uint32_t from, lg_adopt_t *out, uint32_t cap) {
    LG_ASSERT(s != NULL && (out != NULL || cap == 0));
    world_advance(s, now);
    uint32_t n = 0;
    for (uint32_t oi = from; oi < s->n_orders && n < cap; oi++) {
        const sim_order_t *o = &s->orders[oi];
        lg_adopt_t *a = &out[n++];
        memset(a, 0, sizeof *a);
        lg_strlcpy(a->u.tag, o->tag, sizeof a->u.tag);
        lg_sims_broker_id(oi, a->u.broker_id, sizeof a->u.broker_id);
        a->u.status = lg_simb_kstatus(o);
        a->u.quantity = o->qty;
        a->u.filled = o->filled;
        a->u.avg_price = o->filled > 0 ? (o->value + o->filled / 2) / o->filled : 0;
        a->token = s->ins[o->ins].token;
        a->side = o->side;
        a->otype = o->otype;
        a->price = o->otype == LG_OT_LIMIT || o->otype == LG_OT_SL ? o->limit : 0;
        a->trigger = o->trigger;
    }
    return n;
}

uint32_t lg_sim_positions(const lg_sim_t *s, lg_position_row_t *rows, uint32_t cap) {
    LG_ASSERT(s != NULL && (rows != NULL || cap == 0));
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n_ins && n < cap; i++)
        if (s->ins[i].pos != 0) rows[n++] = (lg_position_row_t){.token = s->ins[i].token, .qty = s->ins[i].pos};
    return n;
}

uint64_t lg_sim_fill_count(const lg_sim_t *s) {
    LG_ASSERT(s != NULL);
    return s->n_fills;
}

int lg_sim_fill(const lg_sim_t *s, uint64_t i, lg_sim_fill_t *f) {
    LG_ASSERT(s != NULL && f != NULL);
    if (i >= s->n_fills || s->n_fills - i > LG_SIM_FILL_RING) return LG_ERANGE;
    *f = s->fills[i % LG_SIM_FILL_RING];
    return LG_OK;
}

uint32_t lg_sim_order_count(const lg_sim_t *s) {
    LG_ASSERT(s != NULL);
    return s->n_orders;
}

uint32_t lg_sim_open_orders(const lg_sim_t *s) {
    LG_ASSERT(s != NULL && s->n_open <= s->n_live);
    return s->n_live;
}

uint32_t lg_sim_overflows(const lg_sim_t *s) {
    LG_ASSERT(s != NULL);
    return s->overflows;
}

lg_ns_t lg_sim_clock_offset(const lg_sim_t *s) {
    LG_ASSERT(s != NULL);
    return s->offset;
}

uint32_t lg_sim_token(const lg_sim_t *s, int underlying, lg_kind_t kind, int atm_offset) {
    LG_ASSERT(s != NULL);
    if (underlying < 0 || (uint32_t)underlying >= s->n_und) return 0;
    const sim_und_t *u = &s->und[underlying];
    if (kind == LG_KIND_FUT) return s->ins[u->first].token;
    if (kind != LG_KIND_CE && kind != LG_KIND_PE) return 0;
    int64_t k = (int64_t)(u->n_strikes / 2) + atm_offset;
    if (k < 0 || k >= (int64_t)u->n_strikes) return 0;
    uint32_t i = u->first + 1 + 2 * (uint32_t)k + (kind == LG_KIND_PE ? 1u : 0u);
    LG_ASSERT(s->ins[i].kind == kind);
    return s->ins[i].token;
}

int lg_sim_quote(const lg_sim_t *s, uint32_t token, lg_paise_t *bid, lg_paise_t *ask,
                 lg_paise_t *ltp) {
    LG_ASSERT(s != NULL && bid != NULL && ask != NULL && ltp != NULL);
    uint32_t i = lg_simm_find(s, token);
    if (i == LG_SIM_NONE) return LG_EINSTRUMENT;
    sim_quote_t q = lg_simm_quote_now(s, i);
    *bid = q.bid;
    *ask = q.ask;
    *ltp = q.ltp;
    return LG_OK;
}

int lg_sim_band(const lg_sim_t *s, uint32_t token, lg_paise_t *lo, lg_paise_t *hi) {
    LG_ASSERT(s != NULL && lo != NULL && hi != NULL);
    uint32_t i = lg_simm_find(s, token);
    if (i == LG_SIM_NONE) return LG_EINSTRUMENT;
    *lo = s->ins[i].band_lo;
    *hi = s->ins[i].band_hi;
    return LG_OK;
}
