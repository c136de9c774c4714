/*
 * strat_host.c — the strategy host of strategy.h: prices per instrument, bar series,
 * the strategies' wake-ups, the routing of group records to the strategy that made the
 * group, and the queue of actions the shell takes. Pure: every table is fixed at
 * create time and every loop is bounded by one of them.
 */
#include "legato/strategy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IST_OFFSET_NS (19800LL * LG_NS_PER_S) /* +05:30 */
#define NS_PER_DAY (86400LL * LG_NS_PER_S)

typedef struct quote {
    lg_paise_t ltp, bid, ask;
} quote_t;

typedef struct series {
    uint32_t token;
    lg_ns_t period;
    uint32_t subscribers; /* bit per strategy */
    lg_bar_t bar;         /* the open bar; ticks == 0: none yet */
} series_t;

typedef struct owned {
    uint32_t group, ref, strategy;
    lg_ns_t since;
    bool finished; /* CLOSED, REJECTED or EMERGENCY_HEDGED: first to be forgotten */
} owned_t;

typedef struct slot {
    lg_strategy_t s;
    lg_ns_t wake; /* INT64_MAX: none */
} slot_t;

struct lg_strat_host {
    const lg_instruments_t *m;
    lg_chain_t *chain;
    quote_t *quotes; /* per master item */
    slot_t strat[LG_STRAT_MAX];
    uint32_t n_strat;
    series_t series[LG_STRAT_SERIES_MAX];
    uint32_t n_series;
    owned_t owned[LG_STRAT_GROUPS_MAX];
    uint32_t n_owned;
    lg_strat_action_t queue[LG_STRAT_ACTIONS_MAX];
    uint32_t n_queue;
    uint32_t next_ref;
    lg_ns_t now;
    lg_strat_host_stats_t st;
};

struct lg_strat_ctx {
    lg_strat_host_t *h;
    uint32_t idx;
};

/* ---- services ------------------------------------------------------------------------ */

lg_ns_t lg_strat_now(const lg_strat_ctx_t *c) { return c->h->now; }

int32_t lg_strat_today(const lg_strat_ctx_t *c) {
    lg_ns_t t = c->h->now + IST_OFFSET_NS;
    return (int32_t)(t >= 0 ? t / NS_PER_DAY : (t - NS_PER_DAY + 1) / NS_PER_DAY);
}

const lg_instruments_t *lg_strat_master(const lg_strat_ctx_t *c) { return c->h->m; }
const lg_chain_t *lg_strat_chain(const lg_strat_ctx_t *c) { return c->h->chain; }
const lg_chain_t *lg_strat_host_chain(const lg_strat_host_t *h) { return h->chain; }

static quote_t *quote_of(const lg_strat_host_t *h, uint32_t token) {
    const lg_instrument_t *ins = lg_instruments_find(h->m, token);
    return ins == NULL ? NULL : &h->quotes[ins - h->m->items];
}

lg_paise_t lg_strat_price(const lg_strat_ctx_t *c, uint32_t token) {
    const quote_t *q = quote_of(c->h, token);
    if (q == NULL) return 0;
    if (q->bid > 0 && q->ask >= q->bid) return (q->bid + q->ask) / 2;
    return q->ltp > 0 ? q->ltp : 0;
}

int lg_strat_bars(lg_strat_ctx_t *c, uint32_t token, lg_ns_t period) {
    lg_strat_host_t *h = c->h;
    if (period < LG_NS_PER_S || quote_of(h, token) == NULL) return LG_EINVAL;
    for (uint32_t i = 0; i < h->n_series; i++) {
        if (h->series[i].token == token && h->series[i].period == period) {
            h->series[i].subscribers |= 1u << c->idx;
            return LG_OK;
        }
    }
    if (h->n_series == LG_STRAT_SERIES_MAX) return LG_EPOOL_FULL;
    series_t *s = &h->series[h->n_series++];
    memset(s, 0, sizeof *s);
    s->token = token;
    s->period = period;
    s->subscribers = 1u << c->idx;
    return LG_OK;
}

void lg_strat_wake(lg_strat_ctx_t *c, lg_ns_t at) { c->h->strat[c->idx].wake = at; }

static lg_strat_action_t *enqueue(lg_strat_host_t *h, lg_strat_action_kind_t kind, uint32_t idx) {
    if (h->n_queue == LG_STRAT_ACTIONS_MAX) {
        h->st.dropped++;
        return NULL;
    }
    lg_strat_action_t *a = &h->queue[h->n_queue++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->strategy = idx;
    return a;
}

int lg_strat_emit(lg_strat_ctx_t *c, const lg_intent_t *it, uint32_t *ref) {
    if (it->n_legs == 0 || it->n_legs > LG_MAX_LEGS || !(it->confidence > 0 && it->confidence <= 1))
        return LG_EINVAL;
    for (uint32_t i = 0; i < it->n_legs; i++)
        if (it->legs[i].ratio == 0 || (it->legs[i].side != 1 && it->legs[i].side != -1)) return LG_EINVAL;
    lg_strat_action_t *a = enqueue(c->h, LG_SA_INTENT, c->idx);
    if (a == NULL) return LG_EPOOL_FULL;
    a->ref = ++c->h->next_ref;
    a->intent = *it;
    c->h->st.intents++;
    if (ref != NULL) *ref = a->ref;
    return LG_OK;
}

static owned_t *owned_find(lg_strat_host_t *h, uint32_t group) {
    for (uint32_t i = 0; i < h->n_owned; i++)
        if (h->owned[i].group == group) return &h->owned[i];
    return NULL;
}

int lg_strat_exit(lg_strat_ctx_t *c, uint32_t group) {
    const owned_t *o = owned_find(c->h, group);
    if (group == 0 || o == NULL || o->strategy != c->idx) return LG_EUNKNOWN_GROUP;
    lg_strat_action_t *a = enqueue(c->h, LG_SA_EXIT, c->idx);
    if (a == NULL) return LG_EPOOL_FULL;
    a->group = group;
    c->h->st.exits++;
    return LG_OK;
}

void lg_strat_note(lg_strat_ctx_t *c, int level, const char *fmt, ...) {
    lg_strat_action_t *a = enqueue(c->h, LG_SA_NOTE, c->idx);
    if (a == NULL) return;
    a->level = level;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->text, sizeof a->text, fmt, ap);
    va_end(ap);
}

/* ---- host ------------------------------------------------------------------------------- */

int lg_strat_host_create(const lg_instruments_t *master, lg_strat_host_t **out) {
    LG_ASSERT(master != NULL && out != NULL);
    lg_strat_host_t *h = calloc(1, sizeof *h);
    if (h == NULL) return LG_ENOMEM;
    h->quotes = calloc(master->n > 0 ? master->n : 1, sizeof *h->quotes);
    if (h->quotes == NULL || lg_chain_create(master, &h->chain) != LG_OK) {
        free(h->quotes);
        free(h);
        return LG_ENOMEM;
    }
    h->m = master;
    *out = h;
    return LG_OK;
}

void lg_strat_host_destroy(lg_strat_host_t *h) {
    if (h == NULL) return;
    lg_chain_destroy(h->chain);
    free(h->quotes);
    free(h);
}

uint32_t lg_strat_host_count(const lg_strat_host_t *h) { return h->n_strat; }

const char *lg_strat_host_name(const lg_strat_host_t *h, uint32_t strategy) {
    return strategy < h->n_strat ? h->strat[strategy].s.name : "?";
}

int lg_strat_host_add(lg_strat_host_t *h, const lg_strategy_t *s, lg_ns_t now, char *err,
                      size_t errcap) {
    LG_ASSERT(h != NULL && s != NULL && s->name != NULL);
    if (h->n_strat == LG_STRAT_MAX) {
        snprintf(err, errcap, "strategy %s: the host holds %d strategies already", s->name, LG_STRAT_MAX);
        return LG_EPOOL_FULL;
    }
    uint32_t idx = h->n_strat++;
    h->strat[idx] = (slot_t){.s = *s, .wake = INT64_MAX};
    h->now = now;
    uint32_t queued = h->n_queue, series = h->n_series;
    lg_strat_ctx_t c = {h, idx};
    int rc = s->on_start != NULL ? s->on_start(s->self, &c) : LG_OK;
    if (rc == LG_OK) return LG_OK;
    /* Refused: why is in the notes it queued; nothing of it stays behind. */
    const char *why = lg_strerror(rc);
    for (uint32_t i = queued; i < h->n_queue; i++)
        if (h->queue[i].kind == LG_SA_NOTE) why = h->queue[i].text;
    snprintf(err, errcap, "strategy %s: %s", s->name, why);
    h->n_queue = queued;
    h->n_series = series;
    for (uint32_t i = 0; i < h->n_series; i++) h->series[i].subscribers &= ~(1u << idx);
    h->n_strat--;
    return rc;
}

static void deliver_bar(lg_strat_host_t *h, series_t *s) {
    lg_bar_t b = s->bar;
    s->bar.ticks = 0;
    h->st.bars++;
    for (uint32_t i = 0; i < h->n_strat; i++) {
        if (!(s->subscribers & (1u << i)) || h->strat[i].s.on_bar == NULL) continue;
        lg_strat_ctx_t c = {h, i};
        h->st.callbacks++;
        h->strat[i].s.on_bar(h->strat[i].s.self, &c, &b);
    }
}

static void close_ended(lg_strat_host_t *h, lg_ns_t now, uint32_t token_or_0) {
    for (uint32_t i = 0; i < h->n_series; i++) {
        series_t *s = &h->series[i];
        if (token_or_0 != 0 && s->token != token_or_0) continue;
        if (s->bar.ticks > 0 && now >= s->bar.start + s->period) deliver_bar(h, s);
    }
}

void lg_strat_host_tick(lg_strat_host_t *h, lg_ns_t now, const lg_strat_tick_t *t) {
    quote_t *q = quote_of(h, t->token);
    if (q == NULL || t->ltp < 0) return;
    h->now = now;
    h->st.ticks++;
    if (t->ltp > 0) q->ltp = t->ltp;
    q->bid = t->bid > 0 ? t->bid : 0;
    q->ask = t->ask > 0 ? t->ask : 0;
    close_ended(h, now, t->token);
    for (uint32_t i = 0; i < h->n_series && t->ltp > 0; i++) {
        series_t *s = &h->series[i];
        if (s->token != t->token) continue;
        lg_bar_t *b = &s->bar;
        if (b->ticks == 0) {
            lg_ns_t start = now - (now % s->period + s->period) % s->period;
            *b = (lg_bar_t){.token = t->token, .start = start, .period = s->period,
                            .open = t->ltp, .high = t->ltp, .low = t->ltp};
        }
        b->high = LG_MAX(b->high, t->ltp);
        b->low = LG_MIN(b->low, t->ltp);
        b->close = t->ltp;
        b->ticks++;
    }
    for (uint32_t i = 0; i < h->n_strat; i++) {
        if (h->strat[i].s.on_tick == NULL) continue;
        lg_strat_ctx_t c = {h, i};
        h->st.callbacks++;
        h->strat[i].s.on_tick(h->strat[i].s.self, &c, t);
    }
}

static void deliver_fill(lg_strat_host_t *h, uint32_t idx, const lg_strat_fill_t *f) {
    if (h->strat[idx].s.on_fill == NULL) return;
    lg_strat_ctx_t c = {h, idx};
    h->st.callbacks++;
    h->strat[idx].s.on_fill(h->strat[idx].s.self, &c, f);
}

void lg_strat_host_record(lg_strat_host_t *h, lg_ns_t now, const lg_record_t *r) {
    if (r->kind != LG_REC_GROUP_STATE && r->kind != LG_REC_FILL) return;
    owned_t *o = owned_find(h, r->group);
    if (o == NULL || r->group == 0) return;
    h->now = now;
    lg_strat_fill_t f = {.ref = o->ref, .group = o->group};
    if (r->kind == LG_REC_FILL) {
        f.kind = LG_SF_FILL;
        f.token = (uint32_t)r->a;
        f.qty = r->b;
        f.price = r->b != 0 ? r->c / (r->b < 0 ? -r->b : r->b) : 0;
    } else {
        f.kind = LG_SF_STATE;
        f.state = (int32_t)r->b;
        f.reason = (int32_t)r->c;
        o->finished = lg_strat_finished((int32_t)r->b);
    }
    deliver_fill(h, o->strategy, &f);
}

/* Remembers a strategy's group, forgetting the oldest finished one (else the oldest)
 * when the table is full. */
static void own(lg_strat_host_t *h, uint32_t idx, uint32_t ref, uint32_t group, lg_ns_t now) {
    owned_t *slot = NULL;
    if (h->n_owned < LG_STRAT_GROUPS_MAX) slot = &h->owned[h->n_owned++];
    for (uint32_t i = 0; slot == NULL && i < h->n_owned; i++)
        if (h->owned[i].finished && (slot == NULL || h->owned[i].since < slot->since)) slot = &h->owned[i];
    for (uint32_t i = 0; slot == NULL && i < h->n_owned; i++)
        if (slot == NULL || h->owned[i].since < slot->since) slot = &h->owned[i];
    LG_ASSERT(slot != NULL);
    *slot = (owned_t){.group = group, .ref = ref, .strategy = idx, .since = now};
}

void lg_strat_host_bound(lg_strat_host_t *h, lg_ns_t now, const lg_strat_action_t *a,
                         uint32_t group, int32_t state, int status, const char *why) {
    LG_ASSERT(a->kind == LG_SA_INTENT && a->strategy < h->n_strat);
    h->now = now;
    if (group != 0) {
        own(h, a->strategy, a->ref, group, now);
        lg_record_t r = {.kind = LG_REC_GROUP_STATE, .group = group, .a = state, .b = state};
        lg_strat_host_record(h, now, &r);
        return;
    }
    h->st.refused++;
    lg_strat_fill_t f = {.kind = LG_SF_REFUSED, .ref = a->ref, .code = status};
    snprintf(f.text, sizeof f.text, "%s", why != NULL && why[0] ? why : lg_strerror(status));
    deliver_fill(h, a->strategy, &f);
}

void lg_strat_host_timer(lg_strat_host_t *h, lg_ns_t now) {
    h->now = now;
    close_ended(h, now, 0);
    for (uint32_t i = 0; i < h->n_strat; i++) {
        if (h->strat[i].wake > now) continue;
        h->strat[i].wake = INT64_MAX; /* one-shot: the callback asks again */
        if (h->strat[i].s.on_timer == NULL) continue;
        lg_strat_ctx_t c = {h, i};
        h->st.callbacks++;
        h->strat[i].s.on_timer(h->strat[i].s.self, &c);
    }
}

lg_ns_t lg_strat_host_wake(const lg_strat_host_t *h) {
    lg_ns_t w = INT64_MAX;
    for (uint32_t i = 0; i < h->n_series; i++)
        if (h->series[i].bar.ticks > 0) w = LG_MIN(w, h->series[i].bar.start + h->series[i].period);
    for (uint32_t i = 0; i < h->n_strat; i++) w = LG_MIN(w, h->strat[i].wake);
    return w;
}

uint32_t lg_strat_host_take(lg_strat_host_t *h, lg_strat_action_t *out, uint32_t cap) {
    uint32_t n = LG_MIN(cap, h->n_queue);
    memcpy(out, h->queue, n * sizeof *out);
    memmove(h->queue, h->queue + n, (h->n_queue - n) * sizeof *out);
    h->n_queue -= n;
    return n;
}

void lg_strat_host_stats(const lg_strat_host_t *h, lg_strat_host_stats_t *s) { *s = h->st; }
