/*
 * pool.c — the engine's bookkeeping: the step's output helpers (room, records,
 * alerts, commands, refusals), the group and order pools, and the wake-up heap of
 * groups ordered by their next deadline.
 */
#include "engine_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
int lg_eng_refuse(lg_engine_t *e, int code, uint32_t group, const char *tag, const char *fmt,
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

static void group_release_slot(lg_engine_t *e, lg_group_t *g) {
    lg_stop_eng_release(e, g);
    lg_risk_release(e, g);
    LG_ASSERT(e->n_free_orders + g->n_orders <= e->cfg.max_orders);
    for (uint32_t i = 0; i < g->n_orders; i++) e->free_orders[e->n_free_orders++] = g->orders[i];
    if (g->heap_pos != LG_NO_INDEX) lg_eng_unschedule(e, g);
    LG_ASSERT(g->enter_pos == LG_NO_INDEX);
    memset(g, 0, sizeof *g);
    g->heap_pos = LG_NO_INDEX;
    g->enter_pos = LG_NO_INDEX;
}

/* A slot a new group may take: free, holding a group that finished long enough ago, or
 * one refused before it sent anything (REJECTED with no order: nothing to keep for the
 * broker, and refusals retried in a loop must not fill the pool). */
static bool reusable(const lg_engine_t *e, const lg_group_t *g) {
    if (g->id == 0) return true;
    if (!lg_group_finished(g)) return false;
    return e->now - g->finished_ns >= e->cfg.finished_retain_ns ||
           (g->state == LG_GS_REJECTED && g->n_orders == 0);
}

/* Finds a slot for a new group: slot = id % max_groups, as reusable says. Bounded by
 * one pass over the pool. */
lg_group_t *lg_eng_group_alloc(lg_engine_t *e) {
    for (uint32_t i = 0; i < e->cfg.max_groups; i++) {
        uint32_t id = e->next_group_id++;
        if (id == 0) id = e->next_group_id++;
        lg_group_t *g = &e->groups[id % e->cfg.max_groups];
        if (!reusable(e, g)) continue;
        if (g->id != 0) group_release_slot(e, g);
        g->id = id;
        return g;
    }
    return NULL;
}

/* The slot of group `id` for recovery (an id the broker's order book names): free or
 * reusable, else NULL. Later ids continue above it. */
lg_group_t *lg_eng_group_alloc_id(lg_engine_t *e, uint32_t id) {
    LG_ASSERT(id != 0);
    lg_group_t *g = &e->groups[id % e->cfg.max_groups];
    if (!reusable(e, g)) return NULL;
    if (g->id != 0) group_release_slot(e, g);
    g->id = id;
    if (e->next_group_id <= id) e->next_group_id = id + 1;
    return g;
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

void lg_eng_unschedule(lg_engine_t *e, lg_group_t *g) {
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
        if (g->heap_pos != LG_NO_INDEX) lg_eng_unschedule(e, g);
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

lg_ns_t lg_eng_next_wake(const lg_engine_t *e) {
    if (e->deciding) return e->now; /* recovery's decisions continue at once */
    return e->heap_n > 0 ? e->groups[e->heap[0]].wake_at : INT64_MAX;
}

lg_group_t *lg_eng_heap_top(lg_engine_t *e) {
    return e->heap_n > 0 ? &e->groups[e->heap[0]] : NULL;
}

