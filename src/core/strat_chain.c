/*
 * strat_chain.c — the option chain for strategies (strategy.h): the master's
 * instruments sorted once by (underlying, future before options, expiry, kind, strike),
 * so that the nearest future, the nearest expiry and a strike counted in listed strikes
 * from the money are binary searches — a decision costs microseconds on Kite's whole NFO
 * master, not a scan of it; and a structure's price from the host's quotes.
 */
#include "legato/engine.h"
#include "legato/strategies.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char und[LG_UNDERLYING_MAX];
    uint8_t cls; /* 0 future, 1 option */
    uint8_t kind;
    int32_t expiry;
    lg_paise_t strike;
    uint32_t token;
} entry_t;

struct lg_chain {
    entry_t *e;
    uint32_t n;
};

static int cmp(const entry_t *a, const entry_t *b) {
    int c = strcmp(a->und, b->und);
    if (c != 0) return c;
    if (a->cls != b->cls) return a->cls < b->cls ? -1 : 1;
    if (a->expiry != b->expiry) return a->expiry < b->expiry ? -1 : 1;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    return (a->strike > b->strike) - (a->strike < b->strike);
}

static int qcmp(const void *a, const void *b) { return cmp(a, b); }

int lg_chain_create(const lg_instruments_t *m, lg_chain_t **out) {
    LG_ASSERT(m != NULL && out != NULL);
    lg_chain_t *c = calloc(1, sizeof *c);
    if (c == NULL) return LG_ENOMEM;
    c->e = calloc(m->n > 0 ? m->n : 1, sizeof *c->e);
    if (c->e == NULL) {
        free(c);
        return LG_ENOMEM;
    }
    for (uint32_t i = 0; i < m->n; i++) {
        const lg_instrument_t *in = &m->items[i];
        entry_t *e = &c->e[c->n++];
        memcpy(e->und, in->underlying, sizeof e->und);
        e->und[sizeof e->und - 1] = '\0';
        e->cls = in->kind == LG_KIND_FUT ? 0 : 1;
        e->kind = (uint8_t)in->kind;
        e->expiry = in->expiry_day;
        e->strike = in->kind == LG_KIND_FUT ? 0 : in->strike;
        e->token = in->token;
    }
    qsort(c->e, c->n, sizeof *c->e, qcmp);
    *out = c;
    return LG_OK;
}

void lg_chain_destroy(lg_chain_t *c) {
    if (c == NULL) return;
    free(c->e);
    free(c);
}

/* The first entry not below key. */
static uint32_t lower(const lg_chain_t *c, const entry_t *key) {
    uint32_t lo = 0, hi = c->n;
    while (lo < hi) { /* bounded: halves each turn */
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp(&c->e[mid], key) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static entry_t key_of(const char *und, uint8_t cls, int32_t expiry, uint8_t kind, lg_paise_t strike) {
    entry_t k = {.cls = cls, .kind = kind, .expiry = expiry, .strike = strike};
    size_t n = strlen(und);
    memcpy(k.und, und, n < sizeof k.und ? n : sizeof k.und - 1);
    return k;
}

static bool same_und(const entry_t *e, const char *und) { return strcmp(e->und, und) == 0; }

uint32_t lg_chain_future(const lg_chain_t *c, const char *und, int32_t today) {
    entry_t k = key_of(und, 0, today, 0, 0);
    uint32_t i = lower(c, &k);
    return i < c->n && same_und(&c->e[i], und) && c->e[i].cls == 0 ? c->e[i].token : 0;
}

int32_t lg_chain_expiry(const lg_chain_t *c, const char *und, int32_t today, int32_t min_days) {
    entry_t k = key_of(und, 1, today + min_days, 0, 0);
    uint32_t i = lower(c, &k);
    return i < c->n && same_und(&c->e[i], und) && c->e[i].cls == 1 ? c->e[i].expiry : -1;
}

static bool in_series(const entry_t *e, const char *und, int32_t expiry, lg_kind_t kind) {
    return e->cls == 1 && e->expiry == expiry && e->kind == (uint8_t)kind && same_und(e, und);
}

uint32_t lg_chain_option(const lg_chain_t *c, const char *und, int32_t expiry, lg_kind_t kind,
                         lg_paise_t near, int steps) {
    entry_t k0 = key_of(und, 1, expiry, (uint8_t)kind, INT64_MIN);
    uint32_t first = lower(c, &k0);
    if (first == c->n || !in_series(&c->e[first], und, expiry, kind)) return 0;
    entry_t kn = key_of(und, 1, expiry, (uint8_t)kind, near);
    uint32_t at = lower(c, &kn); /* the first strike >= near, or past the series */
    if (at == c->n || !in_series(&c->e[at], und, expiry, kind) ||
        (at > first && near - c->e[at - 1].strike <= c->e[at].strike - near))
        at--; /* the strike below is as near or nearer (ties: the lower) */
    int64_t want = (int64_t)at + steps;
    if (want < first || want >= c->n || !in_series(&c->e[want], und, expiry, kind)) return 0;
    return c->e[want].token;
}

lg_paise_t lg_strat_structure_price(const lg_strat_ctx_t *c, const lg_intent_t *it,
                                    uint32_t *missing) {
    lg_paise_t sum = 0;
    for (uint32_t i = 0; i < it->n_legs; i++) {
        lg_paise_t p = lg_strat_price(c, it->legs[i].token);
        if (p <= 0) {
            *missing = it->legs[i].token;
            return 0;
        }
        sum += it->legs[i].side * (lg_paise_t)it->legs[i].ratio * p;
    }
    *missing = 0;
    return sum * (it->direction < 0 ? -1 : 1);
}

bool lg_strat_finished(int32_t state) {
    return state == LG_GS_CLOSED || state == LG_GS_REJECTED || state == LG_GS_EMERGENCY_HEDGED;
}
