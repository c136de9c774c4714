/*
 * engine.c — lg_engine_step: dispatches one event (handlers.c), runs whatever work is
 * due, and reports the next wake-up. Also the configuration, creating the pools
 * (kept by pool.c), the trading state and the read-only views. See engine_int.h for
 * how the files divide the work.
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- configuration ----------------------------------------------------------------- */

void lg_engine_config_default(lg_engine_config_t *c) {
    LG_ASSERT(c != NULL);
    *c = (lg_engine_config_t){
        .max_groups = 1024,
        .max_orders = 32768,
        .policy = LG_POLICY_RATCHET,
        .on_incomplete = LG_INCOMPLETE_FLAT,
        .entry_timeout_ns = 30 * LG_NS_PER_S,
        .naked_grace_ns = 0,
        .delta_limit_frac = 0.6,
        .delta_grace_ns = 5 * LG_NS_PER_S,
        .default_iv = 0.15,
        .clock_offset_ns = 0,
        .ratchet_slices = 4,
        .entry_mprot_pct = 2,
        .emergency_mprot_pct = 3,
        .max_mprot_pct = 20,
        .emergency_max_failures = 2,
        .emergency_retry_ns = 1 * LG_NS_PER_S,
        .reversal_fill_ns = 2 * LG_NS_PER_S,
        .order_silence_ns = 2 * LG_NS_PER_S,
        .positions_check_ns = 500 * LG_NS_PER_MS,
        .positions_checks = 10,
        .finished_retain_ns = 60 * LG_NS_PER_S,
        .risk_off = 0,
        .greeks_watch_ns = 1 * LG_NS_PER_S,
        .max_stops = 64,
    };
    lg_risk_config_default(&c->risk);
    lg_stop_config_default(&c->stop);
}

static int config_check(const lg_engine_config_t *c) {
    if (c->max_groups == 0 || c->max_groups > (1u << 24)) return LG_EINVAL;
    if (c->max_orders < LG_GROUP_MAX_ORDERS) return LG_EINVAL;
    if (c->policy < 0 || c->policy > LG_POLICY_NAIVE) return LG_EINVAL;
    if (c->on_incomplete < 0 || c->on_incomplete > LG_INCOMPLETE_SHRINK) return LG_EINVAL;
    if (c->entry_timeout_ns <= 0 || c->naked_grace_ns < 0 || c->delta_grace_ns < 0)
        return LG_EINVAL;
    if (!(c->delta_limit_frac > 0) || !(c->default_iv > 0) || c->ratchet_slices == 0)
        return LG_EINVAL;
    if (c->entry_mprot_pct <= 0 || c->emergency_mprot_pct <= 0 ||
        c->max_mprot_pct < c->emergency_mprot_pct)
        return LG_EINVAL;
    if (c->emergency_max_failures == 0 || c->emergency_retry_ns <= 0) return LG_EINVAL;
    if (c->reversal_fill_ns <= 0) return LG_EINVAL;
    if (c->order_silence_ns <= 0 || c->positions_check_ns <= 0) return LG_EINVAL;
    if (c->risk_off != 0 && c->risk_off != 1) return LG_EINVAL;
    if (c->greeks_watch_ns <= 0 || c->max_stops > (1u << 20)) return LG_EINVAL;
    if (lg_stop_config_check(&c->stop) != LG_OK) return LG_EINVAL;
    return lg_risk_config_check(&c->risk, NULL, 0);
}

/* For every instrument, the nearest-expiry future of its underlying (start-up only:
 * one pass per future). */
static void link_futures(lg_engine_t *e) {
    const lg_instrument_t *it = e->master->items;
    for (uint32_t i = 0; i < e->master->n; i++) e->fut_of[i] = LG_NO_INDEX;
    for (uint32_t f = 0; f < e->master->n; f++) {
        if (it[f].kind != LG_KIND_FUT) continue;
        for (uint32_t i = 0; i < e->master->n; i++) {
            if (strcmp(it[i].underlying, it[f].underlying) != 0) continue;
            uint32_t cur = e->fut_of[i];
            if (cur == LG_NO_INDEX || it[f].expiry_day < it[cur].expiry_day) e->fut_of[i] = f;
        }
    }
}

int lg_engine_create(const lg_engine_config_t *cfg, const lg_instruments_t *master,
                     lg_engine_t **out) {
    LG_ASSERT(cfg != NULL && master != NULL && out != NULL);
    *out = NULL;
    int rc = config_check(cfg);
    if (rc != LG_OK) return rc;
    lg_engine_t *e = calloc(1, sizeof *e);
    if (e == NULL) return LG_EPOOL_FULL;
    e->cfg = *cfg;
    e->master = master;
    e->next_group_id = 1;
    uint32_t ni = master->n > 0 ? master->n : 1;
    e->groups = calloc(cfg->max_groups, sizeof *e->groups);
    e->orders = calloc(cfg->max_orders, sizeof *e->orders);
    e->free_orders = calloc(cfg->max_orders, sizeof *e->free_orders);
    e->heap = calloc(cfg->max_groups, sizeof *e->heap);
    e->entering = calloc(cfg->max_groups, sizeof *e->entering);
    e->pos = calloc(ni, sizeof *e->pos);
    e->ltp = calloc(ni, sizeof *e->ltp);
    e->iv = calloc(ni, sizeof *e->iv);
    e->fut_of = calloc(ni, sizeof *e->fut_of);
    if (!e->groups || !e->orders || !e->free_orders || !e->heap || !e->entering || !e->pos || !e->ltp ||
        !e->iv || !e->fut_of) {
        lg_engine_destroy(e);
        return LG_EPOOL_FULL;
    }
    for (uint32_t i = 0; i < cfg->max_orders; i++)
        e->free_orders[i] = cfg->max_orders - 1 - i;
    e->n_free_orders = cfg->max_orders;
    for (uint32_t i = 0; i < cfg->max_groups; i++) {
        e->groups[i].heap_pos = LG_NO_INDEX;
        e->groups[i].enter_pos = LG_NO_INDEX;
    }
    link_futures(e);
    if (lg_risk_eng_init(e) != LG_OK || lg_stop_eng_init(e) != LG_OK) {
        lg_engine_destroy(e);
        return LG_EPOOL_FULL;
    }
    *out = e;
    return LG_OK;
}

void lg_engine_destroy(lg_engine_t *e) {
    if (e == NULL) return;
    free(e->groups);
    free(e->orders);
    free(e->free_orders);
    free(e->heap);
    free(e->entering);
    free(e->pos);
    free(e->ltp);
    free(e->iv);
    free(e->fut_of);
    lg_risk_eng_free(e);
    lg_stop_eng_free(e);
    free(e);
}

/* ---- trading state ------------------------------------------------------------------ */

void lg_eng_set_tstate(lg_engine_t *e, lg_tstate_t to, lg_reason_t why) {
    if (e->tstate == to) return;
    lg_eng_record(e, LG_REC_TRADING_STATE, 0, NULL, e->tstate, to, why);
    lg_eng_alert(e, to == LG_TS_HALTED ? LG_ALERT_CRITICAL : LG_ALERT_WARN, 0, 0,
                 "trading %s -> %s (%s)", lg_tstate_name(e->tstate), lg_tstate_name(to),
                 lg_reason_name(why));
    if (to == LG_TS_HALTED) e->stats.halts++;
    e->tstate = to;
    if (to == LG_TS_ACTIVE) return;
    /* Every group gets a wake-up now: it decides what the new state asks of it. */
    for (uint32_t i = 0; i < e->cfg.max_groups; i++) {
        lg_group_t *g = &e->groups[i];
        if (g->id != 0 && !lg_group_finished(g)) lg_eng_schedule(e, g);
    }
}

void lg_eng_query_positions(lg_engine_t *e) {
    lg_cmd_t *c = lg_eng_cmd(e, LG_CMD_QUERY_POSITIONS, true);
    (void)c;
    e->pos_query_out = true;
    e->pos_query_at = e->now;
}

static int dispatch(lg_engine_t *e, const lg_event_t *ev) {
    switch (ev->kind) {
    case LG_EV_GROUP_SUBMIT: return lg_eng_on_submit(e, &ev->u.submit);
    case LG_EV_ORDER_ACK: return lg_eng_on_ack(e, ev);
    case LG_EV_ORDER_ERROR: return lg_eng_on_error(e, ev);
    case LG_EV_ORDER_UPDATE: return lg_eng_on_update(e, ev);
    case LG_EV_TICK: return lg_eng_on_tick(e, ev);
    case LG_EV_TIMER: return LG_OK;
    case LG_EV_CONTROL: return lg_eng_on_control(e, ev);
    case LG_EV_POSITIONS: return lg_eng_on_positions(e, ev);
    case LG_EV_ADOPT: return lg_eng_on_adopt(e, ev);
    case LG_EV_INTENT: return lg_eng_on_intent(e, ev);
    case LG_EV_MARGINS: return lg_eng_on_margins(e, ev);
    case LG_EV_BAND: return lg_eng_on_band(e, ev);
    case LG_EV_BASKET: return lg_eng_on_basket(e, ev);
    case LG_EV_STOP: return lg_eng_on_stop(e, ev);
    case LG_EV_CONNECTION:
        if (ev->u.connection.up && ev->u.connection.session_lost)
            return lg_eng_refuse(e, LG_EINVAL, 0, NULL, "connection up with its session lost");
        lg_eng_alert(e, ev->u.connection.up ? LG_ALERT_INFO : LG_ALERT_WARN, 0, 0,
                     "broker connection %s%s", ev->u.connection.up ? "up" : "down",
                     ev->u.connection.session_lost ? " (session lost)" : "");
        if (ev->u.connection.session_lost) lg_eng_on_session_lost(e);
        return LG_OK;
    default:
        return lg_eng_refuse(e, LG_EINVAL, 0, NULL, "event kind %d unknown", (int)ev->kind);
    }
}

/* Wakes every group whose time has come, once each per step. */
static void run_due(lg_engine_t *e) {
    if (e->recovering) return; /* decisions wait for RECOVERED */
    if (e->deciding) lg_eng_decide_some(e);
    for (uint32_t n = 0; n < e->cfg.max_groups && e->heap_n > 0; n++) {
        lg_group_t *g = lg_eng_heap_top(e);
        if (g->wake_at > e->now) return;
        if (!lg_eng_room(e, 4, 16)) {
            lg_eng_defer(e);
            return;
        }
        lg_eng_touch(e, g);
        if (g->wake_at <= e->now) { /* still due: come back on the next step */
            lg_eng_defer(e);
            return;
        }
    }
}

int lg_engine_step(lg_engine_t *e, const lg_event_t *ev, lg_ns_t now, lg_out_t *out) {
    LG_ASSERT(e != NULL && ev != NULL && out != NULL);
    LG_ASSERT(out->cap_cmds >= 64 && out->cap_recs >= 256);
    lg_out_reset(out);
    e->out = out;
    if (now < e->now) now = e->now; /* time never goes back inside the core */
    e->now = now;
    e->stats.steps++;
    lg_risk_day_roll(e);
    dispatch(e, ev);
    run_due(e);
    if (lg_eng_next_wake(e) < out->wake_at) out->wake_at = lg_eng_next_wake(e);
    lg_ns_t m = lg_risk_margins_wake(e);
    if (m < out->wake_at) out->wake_at = m;
    e->out = NULL;
    return out->status;
}

/* ---- views -------------------------------------------------------------------------- */

lg_tstate_t lg_engine_trading_state(const lg_engine_t *e) { return e->tstate; }

bool lg_engine_recovering(const lg_engine_t *e) { return e->recovering; }

const lg_engine_config_t *lg_engine_config(const lg_engine_t *e) { return &e->cfg; }

const lg_instruments_t *lg_engine_master(const lg_engine_t *e) { return e->master; }

const lg_order_t *lg_engine_order_by_tag(const lg_engine_t *e, const char *tag) {
    lg_tag_t t;
    if (tag == NULL || lg_tag_decode(tag, &t) != LG_OK) return NULL;
    const lg_group_t *g = lg_eng_group_const(e, t.group);
    if (g == NULL) return NULL;
    const lg_order_t *o = lg_eng_order_by_child((lg_engine_t *)(uintptr_t)e, g, t.child);
    return o != NULL && strcmp(o->tag, tag) == 0 ? o : NULL;
}

lg_qty_t lg_engine_position(const lg_engine_t *e, uint32_t token) {
    const lg_instrument_t *ins = lg_instruments_find(e->master, token);
    if (ins == NULL) return 0;
    return e->pos[ins - e->master->items];
}

int lg_engine_position_pnl(const lg_engine_t *e, uint32_t token, lg_paise_t *pnl) {
    const lg_instrument_t *ins = lg_instruments_find(e->master, token);
    if (ins == NULL) return LG_EINSTRUMENT;
    size_t i = (size_t)(ins - e->master->items);
    *pnl = e->ins_cash[i] + e->pos[i] * e->ltp[i];
    return LG_OK;
}

uint32_t lg_engine_groups(const lg_engine_t *e, uint32_t *ids, uint32_t max) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < e->cfg.max_groups && n < max; i++)
        if (e->groups[i].id != 0) ids[n++] = e->groups[i].id;
    for (uint32_t i = 1; i < n; i++) /* insertion sort: ids in order */
        for (uint32_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            uint32_t t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    return n;
}

void lg_engine_stats(const lg_engine_t *e, lg_engine_stats_t *s) {
    *s = e->stats;
    s->orders_in_use = e->cfg.max_orders - e->n_free_orders;
    s->instruments = e->master->n;
    s->instruments_priced = e->n_priced;
    s->instruments_banded = e->n_banded;
    s->groups_live = 0;
    for (uint32_t i = 0; i < e->cfg.max_groups; i++)
        if (e->groups[i].id != 0 && !lg_group_finished(&e->groups[i])) s->groups_live++;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

uint64_t lg_engine_digest(const lg_engine_t *e) {
    uint64_t h = 1469598103934665603ull;
    h = fnv(h, &e->tstate, sizeof e->tstate);
    for (uint32_t i = 0; i < e->cfg.max_groups; i++) {
        const lg_group_t *g = &e->groups[i];
        if (g->id == 0) continue;
        h = fnv(h, &g->id, sizeof g->id);
        h = fnv(h, &g->state, sizeof g->state);
        h = fnv(h, &g->cash, sizeof g->cash);
        h = fnv(h, &g->next_child, sizeof g->next_child);
        for (uint32_t l = 0; l < g->n_legs; l++) {
            h = fnv(h, &g->legs[l].entry_filled, sizeof(lg_qty_t));
            h = fnv(h, &g->legs[l].rev_filled, sizeof(lg_qty_t));
        }
        for (uint32_t c = 0; c < g->n_orders; c++) {
            const lg_order_t *o = &e->orders[g->orders[c]];
            h = fnv(h, o->tag, strlen(o->tag));
            h = fnv(h, &o->state, sizeof o->state);
            h = fnv(h, &o->filled, sizeof o->filled);
        }
    }
    for (uint32_t i = 0; i < e->master->n; i++) h = fnv(h, &e->pos[i], sizeof e->pos[i]);
    h = fnv(h, &e->cash_total, sizeof e->cash_total);
    h = fnv(h, &e->mark, sizeof e->mark);
    h = fnv(h, &e->day_base, sizeof e->day_base);
    h = fnv(h, &e->reserved, sizeof e->reserved);
    h = fnv(h, &e->margin_avail, sizeof e->margin_avail);
    return h;
}

int lg_engine_group_state(const lg_engine_t *e, uint32_t id, lg_gstate_t *state) {
    LG_ASSERT(e != NULL && state != NULL);
    const lg_group_t *g = lg_eng_group_const(e, id);
    if (g == NULL) return LG_EUNKNOWN_GROUP;
    *state = g->state;
    return LG_OK;
}

int lg_engine_price(const lg_engine_t *e, uint32_t token, lg_paise_t *ltp, double *iv) {
    LG_ASSERT(e != NULL && ltp != NULL && iv != NULL);
    const lg_instrument_t *ins = lg_instruments_find(e->master, token);
    if (ins == NULL) return LG_EINSTRUMENT;
    uint32_t idx = (uint32_t)(ins - e->master->items);
    *ltp = e->ltp[idx];
    *iv = lg_eng_iv_held(e, idx) ? e->iv[idx] : lg_eng_solve_iv(e, idx);
    return LG_OK;
}

void lg_engine_risk(const lg_engine_t *e, lg_risk_view_t *v) {
    LG_ASSERT(e != NULL && v != NULL);
    uint32_t recent = 0;
    for (uint32_t k = 0; k < e->ring_n; k++) {
        uint32_t cap = e->cfg.risk.max_orders_minute > 0 ? e->cfg.risk.max_orders_minute : 1;
        if (e->sent_ring[(e->ring_head + k) % cap] > e->now - 60 * LG_NS_PER_S) recent++;
    }
    *v = (lg_risk_view_t){.margins_known = e->margins_known, .available = e->margin_avail,
                          .reserved = e->reserved, .cash = e->cash_total, .mark = e->mark,
                          .day_pnl = lg_risk_day_pnl(e), .unpriced = e->unpriced,
                          .orders_last_minute = recent};
}

int lg_engine_sizing(const lg_engine_t *e, uint32_t group, lg_sizing_view_t *v) {
    const lg_group_t *g = lg_eng_group_const(e, group);
    if (g == NULL) return LG_EUNKNOWN_GROUP;
    *v = (lg_sizing_view_t){.units = g->units, .bound = (lg_bound_t)g->bound,
                            .worst_need = g->worst_need};
    return LG_OK;
}
