/*
 * strat_chain.c — finding instruments in the option chain for strategies (strategy.h):
 * the nearest future, the nearest expiry, a strike counted in listed strikes from the
 * one nearest a price; a structure's price from the quotes. Linear scans of the
 * master: they run when a strategy decides, not per tick.
 */
#include "legato/engine.h"
#include "legato/strategies.h"

#include <string.h>

#define STRIKES_MAX 1024

static bool of(const lg_instrument_t *ins, const char *underlying) {
    return strcmp(ins->underlying, underlying) == 0;
}

uint32_t lg_chain_future(const lg_instruments_t *m, const char *underlying, int32_t today) {
    const lg_instrument_t *best = NULL;
    for (uint32_t i = 0; i < m->n; i++) {
        const lg_instrument_t *ins = &m->items[i];
        if (ins->kind != LG_KIND_FUT || !of(ins, underlying) || ins->expiry_day < today) continue;
        if (best == NULL || ins->expiry_day < best->expiry_day) best = ins;
    }
    return best != NULL ? best->token : 0;
}

int32_t lg_chain_expiry(const lg_instruments_t *m, const char *underlying, int32_t today,
                        int32_t min_days) {
    int32_t best = -1;
    for (uint32_t i = 0; i < m->n; i++) {
        const lg_instrument_t *ins = &m->items[i];
        if (ins->kind == LG_KIND_FUT || !of(ins, underlying) || ins->expiry_day < today + min_days)
            continue;
        if (best < 0 || ins->expiry_day < best) best = ins->expiry_day;
    }
    return best;
}

/* Insertion into a sorted set of distinct strikes; false when it is full. */
static bool add_strike(lg_paise_t *s, uint32_t *n, lg_paise_t k) {
    uint32_t i = 0;
    while (i < *n && s[i] < k) i++;
    if (i < *n && s[i] == k) return true;
    if (*n == STRIKES_MAX) return false;
    memmove(s + i + 1, s + i, (*n - i) * sizeof *s);
    s[i] = k;
    (*n)++;
    return true;
}

uint32_t lg_chain_option(const lg_instruments_t *m, const char *underlying, int32_t expiry,
                         lg_kind_t kind, lg_paise_t near, int steps) {
    lg_paise_t strikes[STRIKES_MAX];
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        const lg_instrument_t *ins = &m->items[i];
        if (ins->kind != kind || ins->expiry_day != expiry || !of(ins, underlying)) continue;
        if (!add_strike(strikes, &n, ins->strike)) return 0;
    }
    if (n == 0) return 0;
    uint32_t at = 0;
    for (uint32_t i = 1; i < n; i++) {
        lg_paise_t d = strikes[i] > near ? strikes[i] - near : near - strikes[i];
        lg_paise_t b = strikes[at] > near ? strikes[at] - near : near - strikes[at];
        if (d < b) at = i;
    }
    int64_t want = (int64_t)at + steps;
    if (want < 0 || want >= (int64_t)n) return 0;
    for (uint32_t i = 0; i < m->n; i++) {
        const lg_instrument_t *ins = &m->items[i];
        if (ins->kind == kind && ins->expiry_day == expiry && ins->strike == strikes[want] &&
            of(ins, underlying))
            return ins->token;
    }
    LG_ASSERT(0 && "a listed strike has no instrument");
    return 0;
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
