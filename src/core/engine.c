/*
 * engine.c — lg_engine_step: dispatches one event, runs whatever work is due, and
 * reports the next wake-up. Owns the pools (groups, orders, per-instrument arrays),
 * the wake-up heap of groups, the trading state and the output helpers used by the
 * other core files. See engine_int.h for how the files divide the work.
 */
#include "engine_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
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
    };
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
    return LG_OK;
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
    free(e);
}

/* ---- output helpers ---------------------------------------------------------------- */

bool lg_eng_room(lg_engine_t *e, uint32_t cmds, uint32_t recs) {
    lg_out_t *o = e->out;
    LG_ASSERT(o != NULL);
    /* Keep a reserve of records for transitions and errors the step may still write. */
    return o->n_cmds + cmds <= o->cap_cmds && o->n_recs + recs + 16 <= o->cap_recs;
}

void lg_eng_defer(lg_engine_t *e) {
    e->out->deferred++;
    e->stats.deferred++;
    if (e->out->wake_at > e->now) e->out->wake_at = e->now;
}

void lg_eng_record(lg_engine_t *e, lg_rec_kind_t kind, uint32_t group, const char *tag,
                   int64_t a, int64_t b, int64_t c) {
    lg_out_t *o = e->out;
    LG_ASSERT(o != NULL);
    /* The reserve kept by lg_eng_room guarantees room; running out is a bug. */
    LG_ASSERT(o->n_recs < o->cap_recs);
    lg_record_t *r = &o->recs[o->n_recs++];
    r->kind = kind;
    r->group = group;
    r->tag[0] = '\0';
    if (tag != NULL) lg_strlcpy(r->tag, tag, sizeof r->tag);
    r->a = a;
    r->b = b;
    r->c = c;
}

void lg_eng_alert(lg_engine_t *e, lg_alert_level_t lvl, int code, uint32_t group,
                  const char *fmt, ...) {
    lg_out_t *o = e->out;
    LG_ASSERT(o != NULL && fmt != NULL);
    if (o->n_alerts >= o->cap_alerts) { /* counted, never silent */
        o->deferred++;
        e->stats.deferred++;
        return;
    }
    lg_alert_t *a = &o->alerts[o->n_alerts++];
    a->level = lvl;
    a->code = code;
    a->group = group;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->text, sizeof a->text, fmt, ap);
    va_end(ap);
}

lg_cmd_t *lg_eng_cmd(lg_engine_t *e, lg_cmd_kind_t kind, bool risk_reducing) {
    lg_out_t *o = e->out;
    LG_ASSERT(o != NULL && o->n_cmds < o->cap_cmds);
    lg_cmd_t *c = &o->cmds[o->n_cmds++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->risk_reducing = risk_reducing;
    e->stats.cmds++;
    return c;
}

/* An event the engine refuses: journaled, alerted, counted; state untouched. */
static int refuse(lg_engine_t *e, int code, uint32_t group, const char *tag, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));
static int refuse(lg_engine_t *e, int code, uint32_t group, const char *tag, const char *fmt,
                  ...) {
    char text[LG_ALERT_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    lg_eng_record(e, LG_REC_ERROR, group, tag, code, 0, 0);
    lg_eng_alert(e, LG_ALERT_ERROR, code, group, "%s: %s", lg_errname(code), text);
    e->stats.errors++;
    e->out->status = code;
    return code;
}

/* ---- pools -------------------------------------------------------------------------- */

lg_group_t *lg_eng_group_by_id(lg_engine_t *e, uint32_t id) {
    if (id == 0) return NULL;
    lg_group_t *g = &e->groups[id % e->cfg.max_groups];
    return g->id == id ? g : NULL;
}

const lg_group_t *lg_eng_group_const(const lg_engine_t *e, uint32_t id) {
    if (id == 0) return NULL;
    const lg_group_t *g = &e->groups[id % e->cfg.max_groups];
    return g->id == id ? g : NULL;
}

lg_order_t *lg_eng_order(lg_engine_t *e, const lg_group_t *g, uint32_t slot) {
    if (slot >= g->n_orders) return NULL;
    uint32_t idx = g->orders[slot];
    LG_ASSERT(idx < e->cfg.max_orders);
    return &e->orders[idx];
}

lg_order_t *lg_eng_order_by_child(lg_engine_t *e, const lg_group_t *g, uint32_t child) {
    lg_order_t *o = lg_eng_order(e, g, child);
    if (o != NULL && o->id.child == child) return o; /* table not compacted */
    for (uint32_t i = 0; i < g->n_orders; i++) {
        o = &e->orders[g->orders[i]];
        if (o->id.child == child) return o;
    }
    return NULL;
}

static void heap_remove(lg_engine_t *e, lg_group_t *g);

static void group_release_slot(lg_engine_t *e, lg_group_t *g) {
    LG_ASSERT(e->n_free_orders + g->n_orders <= e->cfg.max_orders);
    for (uint32_t i = 0; i < g->n_orders; i++) e->free_orders[e->n_free_orders++] = g->orders[i];
    if (g->heap_pos != LG_NO_INDEX) heap_remove(e, g);
    LG_ASSERT(g->enter_pos == LG_NO_INDEX);
    memset(g, 0, sizeof *g);
    g->heap_pos = LG_NO_INDEX;
    g->enter_pos = LG_NO_INDEX;
}

/* Finds a slot for a new group: slot = id % max_groups, free or holding a group that
 * finished long enough ago. Bounded by one pass over the pool. */
static lg_group_t *group_alloc(lg_engine_t *e) {
    for (uint32_t i = 0; i < e->cfg.max_groups; i++) {
        uint32_t id = e->next_group_id++;
        if (id == 0) id = e->next_group_id++;
        lg_group_t *g = &e->groups[id % e->cfg.max_groups];
        bool reusable = g->id == 0 || (lg_group_finished(g) &&
                                       e->now - g->finished_ns >= e->cfg.finished_retain_ns);
        if (!reusable) continue;
        if (g->id != 0) group_release_slot(e, g);
        g->id = id;
        return g;
    }
    return NULL;
}

/* ---- wake-up heap: group slots ordered by wake_at --------------------------------- */

static lg_group_t *heap_at(lg_engine_t *e, uint32_t i) { return &e->groups[e->heap[i]]; }

static void heap_swap(lg_engine_t *e, uint32_t i, uint32_t j) {
    uint32_t t = e->heap[i];
    e->heap[i] = e->heap[j];
    e->heap[j] = t;
    heap_at(e, i)->heap_pos = i;
    heap_at(e, j)->heap_pos = j;
}

static void heap_up(lg_engine_t *e, uint32_t i) {
    while (i > 0) { /* bounded by the heap's depth */
        uint32_t p = (i - 1) / 2;
        if (heap_at(e, p)->wake_at <= heap_at(e, i)->wake_at) break;
        heap_swap(e, i, p);
        i = p;
    }
}

static void heap_down(lg_engine_t *e, uint32_t i) {
    for (;;) { /* bounded by the heap's depth */
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < e->heap_n && heap_at(e, l)->wake_at < heap_at(e, m)->wake_at) m = l;
        if (r < e->heap_n && heap_at(e, r)->wake_at < heap_at(e, m)->wake_at) m = r;
        if (m == i) return;
        heap_swap(e, i, m);
        i = m;
    }
}

static void heap_remove(lg_engine_t *e, lg_group_t *g) {
    uint32_t i = g->heap_pos;
    LG_ASSERT(i < e->heap_n && heap_at(e, i) == g);
    e->heap_n--;
    g->heap_pos = LG_NO_INDEX;
    if (i == e->heap_n) return;
    e->heap[i] = e->heap[e->heap_n];
    heap_at(e, i)->heap_pos = i;
    heap_up(e, i);
    heap_down(e, heap_at(e, i)->heap_pos);
}

/* Recomputes the group's wake-up time and files it in the heap. */
void lg_eng_schedule(lg_engine_t *e, lg_group_t *g) {
    lg_group_wake(e, g);
    if (g->wake_at == INT64_MAX) {
        if (g->heap_pos != LG_NO_INDEX) heap_remove(e, g);
        return;
    }
    if (g->heap_pos == LG_NO_INDEX) {
        LG_ASSERT(e->heap_n < e->cfg.max_groups);
        uint32_t slot = (uint32_t)(g - e->groups);
        e->heap[e->heap_n] = slot;
        g->heap_pos = e->heap_n++;
        heap_up(e, g->heap_pos);
        return;
    }
    heap_up(e, g->heap_pos);
    heap_down(e, g->heap_pos);
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

/* ---- event handlers ------------------------------------------------------------------ */

static int on_submit(lg_engine_t *e, const lg_group_spec_t *spec) {
    if (!lg_eng_room(e, 2 * LG_MAX_LEGS, 8 * LG_MAX_LEGS)) {
        return refuse(e, LG_EPOOL_FULL, 0, NULL, "output buffer too small for a group");
    }
    lg_group_t *g = group_alloc(e);
    if (g == NULL) {
        e->stats.groups_rejected++;
        return refuse(e, LG_EPOOL_FULL, 0, NULL, "group pool full (%u groups live)",
                      e->cfg.max_groups);
    }
    e->stats.groups_submitted++;
    g->created_ns = e->now;
    g->state = LG_GS_CREATED;
    g->path[g->n_states++] = LG_GS_CREATED;
    e->out->new_group = g->id;
    int rc = lg_group_validate(e, spec, g);
    if (rc != LG_OK) {
        e->stats.groups_rejected++;
        lg_group_transition(e, g, LG_GS_REJECTED, LG_WHY_INVALID);
        e->out->new_group = 0;
        e->out->status = rc;
        e->stats.errors++;
        return rc;
    }
    if (e->tstate != LG_TS_ACTIVE) {
        e->stats.groups_rejected++;
        lg_group_transition(e, g, LG_GS_REJECTED, LG_WHY_NOT_ACTIVE);
        e->out->new_group = 0;
        return refuse(e, LG_EHALTED, g->id, NULL, "group %u refused: trading is %s", g->id,
                      lg_tstate_name(e->tstate));
    }
    lg_group_transition(e, g, LG_GS_VALIDATED, LG_WHY_SUBMIT);
    lg_entry_release(e, g);
    lg_eng_schedule(e, g);
    return LG_OK;
}

typedef struct found {
    lg_group_t *g;
    lg_order_t *o;
    lg_tag_t id;
} found_t;

static int find_order(lg_engine_t *e, const char *tag, const char *what, found_t *f) {
    if (lg_tag_decode(tag, &f->id) != LG_OK) {
        return refuse(e, LG_EUNKNOWN_ORDER, 0, NULL, "%s for an order whose tag '%.20s' is not legato's",
                      what, tag);
    }
    f->g = lg_eng_group_by_id(e, f->id.group);
    f->o = f->g ? lg_eng_order_by_child(e, f->g, f->id.child) : NULL;
    if (f->o == NULL || strcmp(f->o->tag, tag) != 0) {
        return refuse(e, LG_EUNKNOWN_ORDER, f->id.group, tag, "%s for unknown order tag %s",
                      what, tag);
    }
    return LG_OK;
}

static void record_order_state(lg_engine_t *e, const lg_group_t *g, const lg_order_t *o,
                               lg_ostate_t from) {
    if (from == o->state) return;
    lg_eng_record(e, LG_REC_ORDER_STATE, g->id, o->tag, from, o->state, o->filled);
}

/* After anything touched a group: advance it and file its next wake-up. */
static void group_touch(lg_engine_t *e, lg_group_t *g) {
    if (e->tstate == LG_TS_HALTED && (g->state == LG_GS_FILLED || g->state == LG_GS_HEDGED))
        lg_unwind_start(e, g, LG_PURPOSE_EXIT, LG_WHY_KILL);
    if (lg_group_in_entry(g)) lg_entry_progress(e, g);
    lg_exposure_evaluate(e, g);
    if (g->uw.active) lg_unwind_progress(e, g);
    lg_eng_schedule(e, g);
}

static void order_rejected(lg_engine_t *e, lg_group_t *g, const lg_order_t *o) {
    if (o->id.purpose == LG_PURPOSE_ENTRY) {
        if (lg_group_in_entry(g)) lg_unwind_start(e, g, LG_PURPOSE_EMERGENCY, LG_WHY_REJECT);
        return;
    }
    lg_unwind_on_reject(e, g, o->id.leg);
}

static int on_ack(lg_engine_t *e, const lg_event_t *ev) {
    found_t f;
    int rc = find_order(e, ev->u.ack.tag, "ack", &f);
    if (rc != LG_OK) return rc;
    lg_ostate_t from = f.o->state;
    rc = lg_order_on_ack(f.o, ev->u.ack.broker_id, e->now);
    if (rc != LG_OK) {
        return refuse(e, rc, f.g->id, f.o->tag, "ack for %s with broker id '%.24s' (has '%.24s')",
                      f.o->tag, ev->u.ack.broker_id, f.o->broker_id);
    }
    record_order_state(e, f.g, f.o, from);
    group_touch(e, f.g);
    return LG_OK;
}

/* A look-up by tag found no such order. Only an order whose placement is in doubt
 * (SENT without an answer, or UNKNOWN) can be missing; it becomes REJECTED after
 * LG_ORDER_NOT_FOUND_CONFIRM misses one silence interval apart, never on the first. */
static int on_lookup_miss(lg_engine_t *e, found_t *f, const lg_event_t *ev) {
    lg_ostate_t from = f->o->state;
    if (from != LG_OS_SENT && from != LG_OS_UNKNOWN) {
        return refuse(e, LG_EMISMATCH, f->g->id, f->o->tag,
                      "look-up found no order %s, which the broker reported as %s", f->o->tag,
                      lg_ostate_name(from));
    }
    if (from == LG_OS_SENT) lg_order_on_send_error(f->o, false, e->now); /* now in doubt */
    int rc = lg_order_on_send_error(f->o, true, e->now);                /* one miss */
    LG_ASSERT(rc == LG_OK);
    record_order_state(e, f->g, f->o, from);
    lg_eng_alert(e, LG_ALERT_WARN, 0, f->g->id, "order %s not found at the broker (%u of %u): %.80s",
                 f->o->tag, (unsigned)f->o->not_found, (unsigned)LG_ORDER_NOT_FOUND_CONFIRM,
                 ev->u.error.message);
    if (f->o->state == LG_OS_REJECTED) order_rejected(e, f->g, f->o);
    group_touch(e, f->g);
    return LG_OK;
}

static int on_error(lg_engine_t *e, const lg_event_t *ev) {
    found_t f;
    int rc = find_order(e, ev->u.error.tag, "error", &f);
    if (rc != LG_OK) return rc;
    if (ev->u.error.is_lookup) return on_lookup_miss(e, &f, ev);
    if (ev->u.error.is_cancel) {
        f.o->cancel_at = e->now; /* answered: the next try waits a full interval */
        /* The cancel lost (already filled or rejected): ask for the final state. */
        if (!lg_ostate_terminal(f.o->state) && lg_eng_room(e, 1, 0)) {
            lg_cmd_t *c = lg_eng_cmd(e, LG_CMD_QUERY_ORDER, true);
            lg_strlcpy(c->tag, f.o->tag, sizeof c->tag);
            lg_strlcpy(c->broker_id, f.o->broker_id, sizeof c->broker_id);
        }
        lg_eng_alert(e, LG_ALERT_INFO, 0, f.g->id, "cancel of %s refused: %.96s", f.o->tag,
                     ev->u.error.message);
        group_touch(e, f.g);
        return LG_OK;
    }
    lg_ostate_t from = f.o->state;
    rc = lg_order_on_send_error(f.o, ev->u.error.definitive, e->now);
    if (rc != LG_OK) {
        return refuse(e, rc, f.g->id, f.o->tag, "send error for %s in state %s", f.o->tag,
                      lg_ostate_name(f.o->state));
    }
    record_order_state(e, f.g, f.o, from);
    lg_eng_alert(e, ev->u.error.definitive ? LG_ALERT_WARN : LG_ALERT_ERROR, 0, f.g->id,
                 "order %s %s (HTTP %d): %.96s", f.o->tag,
                 ev->u.error.definitive ? "refused" : "outcome unknown",
                 (int)ev->u.error.http_status, ev->u.error.message);
    if (f.o->state == LG_OS_REJECTED && from != LG_OS_REJECTED) order_rejected(e, f.g, f.o);
    group_touch(e, f.g);
    return LG_OK;
}

static void apply_fill(lg_engine_t *e, lg_group_t *g, const lg_order_t *o,
                       const lg_apply_result_t *r) {
    lg_leg_t *leg = &g->legs[o->id.leg];
    if (o->id.purpose == LG_PURPOSE_ENTRY) leg->entry_filled += r->fill_delta;
    else leg->rev_filled += r->fill_delta;
    if (leg->rev_filled > leg->entry_filled) { /* reversed more than held: never by design */
        lg_eng_alert(e, LG_ALERT_CRITICAL, LG_EOVERFILL, g->id,
                     "group %u leg %s: reversed %lld but only %lld filled; halting", g->id,
                     leg->ins->symbol, (long long)leg->rev_filled, (long long)leg->entry_filled);
        lg_eng_set_tstate(e, LG_TS_HALTED, LG_WHY_EMERGENCY_FAIL);
    }
    e->pos[leg->ins_index] += o->side * r->fill_delta;
    g->cash -= o->side * r->value_delta;
    lg_eng_record(e, LG_REC_FILL, g->id, o->tag, o->token, o->side * r->fill_delta,
                  r->value_delta);
    /* A late fill reopens a finished group, or moves a live one off its structure. */
    bool beyond = (g->state == LG_GS_FILLED || g->state == LG_GS_HEDGED) &&
                  leg->entry_filled - leg->rev_filled != leg->target;
    if (lg_group_finished(g) || beyond) lg_unwind_start(e, g, LG_PURPOSE_EMERGENCY, LG_WHY_LATE_FILL);
}

static int on_update(lg_engine_t *e, const lg_event_t *ev) {
    const lg_order_update_t *u = &ev->u.update;
    found_t f;
    int rc = find_order(e, u->tag, "update", &f);
    if (rc != LG_OK) return rc;
    lg_apply_result_t r;
    lg_ostate_t from = f.o->state;
    rc = lg_order_apply_update(f.o, u, e->now, &r);
    if (rc != LG_OK) {
        return refuse(e, rc, f.g->id, f.o->tag,
                      "update for %s refused (status %s, quantity %lld, filled %lld, "
                      "average %lld paise; order quantity %lld, filled %lld)",
                      f.o->tag, lg_kstatus_name(u->status), (long long)u->quantity,
                      (long long)u->filled, (long long)u->avg_price, (long long)f.o->qty,
                      (long long)f.o->filled);
    }
    record_order_state(e, f.g, f.o, from);
    if (f.o->cancel_sent) f.o->cancel_at = e->now; /* the order is talking: wait again */
    if (r.fill_delta > 0) apply_fill(e, f.g, f.o, &r);
    /* Rejected, or cancelled by the exchange rather than by us: the order failed. */
    bool failed = (f.o->state == LG_OS_REJECTED && from != LG_OS_REJECTED) ||
                  (f.o->state == LG_OS_CANCELLED && from != LG_OS_CANCELLED && !f.o->cancel_sent &&
                   f.o->filled < f.o->qty);
    if (failed) {
        lg_eng_alert(e, LG_ALERT_WARN, 0, f.g->id, "order %s %s: %.96s", f.o->tag,
                     lg_ostate_name(f.o->state), u->message);
        order_rejected(e, f.g, f.o);
    }
    group_touch(e, f.g);
    return LG_OK;
}

/* Implied volatility of an option from its last price and its future's. */
static void update_iv(lg_engine_t *e, const lg_instrument_t *ins, uint32_t idx) {
    uint32_t f = e->fut_of[idx];
    if (ins->kind == LG_KIND_FUT || f == LG_NO_INDEX || e->ltp[f] <= 0) return;
    double secs = ((double)ins->expiry_day * 86400.0 + 36000.0) -
                  (double)(e->now + e->cfg.clock_offset_ns) / 1e9;
    if (secs <= 0) return;
    double iv = 0;
    if (lg_b76_iv(ins->kind == LG_KIND_CE, (double)e->ltp[f] / 100.0,
                  (double)ins->strike / 100.0, secs / (365.0 * 86400.0), 0.0,
                  (double)e->ltp[idx] / 100.0, &iv) == LG_OK)
        e->iv[idx] = iv;
}

static int on_tick(lg_engine_t *e, const lg_event_t *ev) {
    const lg_instrument_t *ins = lg_instruments_find(e->master, ev->u.tick.token);
    if (ins == NULL) {
        return refuse(e, LG_EINSTRUMENT, 0, NULL, "tick for token %u missing from the master",
                      ev->u.tick.token);
    }
    if (ev->u.tick.ltp <= 0 || ev->u.tick.bid < 0 || ev->u.tick.ask < 0) {
        return refuse(e, LG_EPRICE, 0, NULL, "tick for %s with price %lld", ins->symbol,
                      (long long)ev->u.tick.ltp);
    }
    uint32_t idx = (uint32_t)(ins - e->master->items);
    e->ltp[idx] = ev->u.tick.ltp;
    update_iv(e, ins, idx);
    /* Exposure of every group in entry that this price moves. */
    /* Backwards: a group that leaves entry is swapped out from behind the cursor. */
    for (uint32_t i = e->n_entering; i-- > 0;) {
        if (i >= e->n_entering) continue;
        lg_group_t *g = &e->groups[e->entering[i]];
        LG_ASSERT(lg_group_in_entry(g));
        if (!lg_eng_room(e, 2 * LG_MAX_LEGS, 8 * LG_MAX_LEGS)) {
            g->exposure_due = true; /* evaluated at the next wake-up, which is now */
            lg_eng_schedule(e, g);
            lg_eng_defer(e);
            continue;
        }
        for (uint32_t l = 0; l < g->n_legs; l++) {
            if (g->legs[l].ins_index == idx ||
                strcmp(g->legs[l].ins->underlying, ins->underlying) == 0) {
                lg_exposure_evaluate(e, g);
                lg_eng_schedule(e, g);
                break;
            }
        }
    }
    return LG_OK;
}

static int on_control(lg_engine_t *e, const lg_event_t *ev) {
    switch (ev->u.control.op) {
    case LG_CTL_KILL:
        lg_eng_set_tstate(e, LG_TS_HALTED, LG_WHY_KILL);
        return LG_OK;
    case LG_CTL_REDUCE:
        if (e->tstate == LG_TS_ACTIVE) lg_eng_set_tstate(e, LG_TS_REDUCING, LG_WHY_REDUCE);
        return LG_OK;
    case LG_CTL_RESUME:
        lg_eng_set_tstate(e, LG_TS_ACTIVE, LG_WHY_RESUME);
        for (uint32_t i = 0; i < e->cfg.max_groups; i++)
            if (e->groups[i].id != 0 && !lg_group_finished(&e->groups[i])) {
                lg_unwind_reset_escalation(&e->groups[i]);
                lg_eng_schedule(e, &e->groups[i]);
            }
        return LG_OK;
    case LG_CTL_EXIT_GROUP: {
        lg_group_t *g = lg_eng_group_by_id(e, ev->u.control.group);
        if (g == NULL) {
            return refuse(e, LG_EUNKNOWN_GROUP, ev->u.control.group, NULL,
                          "exit of unknown group %u", ev->u.control.group);
        }
        if (g->state != LG_GS_HEDGED && g->state != LG_GS_FILLED) {
            return refuse(e, LG_ESTATE, g->id, NULL, "exit of group %u in state %s", g->id,
                          lg_gstate_name(g->state));
        }
        lg_unwind_start(e, g, LG_PURPOSE_EXIT, LG_WHY_EXIT);
        lg_eng_schedule(e, g);
        return LG_OK;
    }
    default:
        return refuse(e, LG_EINVAL, 0, NULL, "control operation %d unknown",
                      (int)ev->u.control.op);
    }
}

/* Net broker quantity of a token: the sum of its rows (one per product). */
static lg_qty_t broker_qty(const lg_position_row_t *rows, uint32_t n, uint32_t token) {
    lg_qty_t q = 0;
    for (uint32_t i = 0; i < n; i++)
        if (rows[i].token == token) q += rows[i].qty;
    return q;
}

static void positions_for_group(lg_engine_t *e, lg_group_t *g, const lg_position_row_t *rows,
                                uint32_t n) {
    LG_ASSERT(g->state == LG_GS_FILLED);
    bool agree = true;
    for (uint32_t l = 0; l < g->n_legs && agree; l++)
        agree = broker_qty(rows, n, g->legs[l].ins->token) == e->pos[g->legs[l].ins_index];
    if (agree) {
        lg_group_transition(e, g, LG_GS_HEDGED, LG_WHY_POSITIONS);
        return;
    }
    g->pos_checks++;
    g->pos_check_at = e->now + e->cfg.positions_check_ns;
    if (g->pos_checks == e->cfg.positions_checks) {
        lg_eng_alert(e, LG_ALERT_ERROR, LG_EMISMATCH, g->id,
                     "group %u: broker positions still disagree after %u checks", g->id,
                     (unsigned)g->pos_checks);
    }
}

static int on_positions(lg_engine_t *e, const lg_event_t *ev) {
    const lg_position_row_t *rows = ev->u.positions.rows;
    uint32_t n = ev->u.positions.n;
    if (n > 0 && rows == NULL) return refuse(e, LG_EINVAL, 0, NULL, "positions without rows");
    for (uint32_t i = 0; i < n; i++) { /* not ours to judge, but worth a word */
        if (lg_instruments_find(e->master, rows[i].token) != NULL) continue;
        lg_eng_alert(e, LG_ALERT_WARN, LG_EINSTRUMENT, 0,
                     "broker position in token %u (missing from the master) ignored", rows[i].token);
        break;
    }
    e->pos_query_out = false;
    for (uint32_t i = 0; i < e->cfg.max_groups; i++) {
        lg_group_t *g = &e->groups[i];
        if (g->id == 0 || g->state != LG_GS_FILLED) continue;
        if (!lg_eng_room(e, 0, 4)) { /* the rest wait for the next answer */
            lg_eng_defer(e);
            break;
        }
        positions_for_group(e, g, rows, n);
        lg_eng_schedule(e, g);
    }
    return LG_OK;
}

static int dispatch(lg_engine_t *e, const lg_event_t *ev) {
    switch (ev->kind) {
    case LG_EV_GROUP_SUBMIT: return on_submit(e, &ev->u.submit);
    case LG_EV_ORDER_ACK: return on_ack(e, ev);
    case LG_EV_ORDER_ERROR: return on_error(e, ev);
    case LG_EV_ORDER_UPDATE: return on_update(e, ev);
    case LG_EV_TICK: return on_tick(e, ev);
    case LG_EV_TIMER: return LG_OK;
    case LG_EV_CONTROL: return on_control(e, ev);
    case LG_EV_POSITIONS: return on_positions(e, ev);
    case LG_EV_CONNECTION:
        lg_eng_alert(e, ev->u.connection.up ? LG_ALERT_INFO : LG_ALERT_WARN, 0, 0,
                     "broker connection %s", ev->u.connection.up ? "up" : "down");
        return LG_OK;
    default:
        return refuse(e, LG_EINVAL, 0, NULL, "event kind %d unknown", (int)ev->kind);
    }
}

/* Wakes every group whose time has come, once each per step. */
static void run_due(lg_engine_t *e) {
    for (uint32_t n = 0; n < e->cfg.max_groups && e->heap_n > 0; n++) {
        lg_group_t *g = heap_at(e, 0);
        if (g->wake_at > e->now) return;
        if (!lg_eng_room(e, 4, 16)) {
            lg_eng_defer(e);
            return;
        }
        group_touch(e, g);
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
    dispatch(e, ev);
    run_due(e);
    if (e->heap_n > 0 && heap_at(e, 0)->wake_at < out->wake_at) out->wake_at = heap_at(e, 0)->wake_at;
    e->out = NULL;
    return out->status;
}

/* ---- views -------------------------------------------------------------------------- */

lg_tstate_t lg_engine_trading_state(const lg_engine_t *e) { return e->tstate; }

lg_qty_t lg_engine_position(const lg_engine_t *e, uint32_t token) {
    const lg_instrument_t *ins = lg_instruments_find(e->master, token);
    if (ins == NULL) return 0;
    return e->pos[ins - e->master->items];
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
    return h;
}
