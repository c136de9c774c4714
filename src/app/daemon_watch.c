/*
 * daemon_watch.c — which instruments the daemon watches. Kite streams at most 3 000
 * instruments on one ticker connection and the NFO master holds some 70 000, so a live
 * daemon subscribes the futures (every option's forward) and then the options of the
 * nearest expiries — where index options trade — until the connection is full; a paper
 * master fits whole. An instrument left out has no price, and the risk engine refuses a
 * group on it ("no price"), never trades it blind.
 */
#include "daemon_int.h"

#include <stdlib.h>

/* Futures first, then the nearest expiries; the master's order within one. */
static int by_expiry(const void *a, const void *b) {
    const lg_instrument_t *x = *(const lg_instrument_t *const *)a;
    const lg_instrument_t *y = *(const lg_instrument_t *const *)b;
    int fx = x->kind != LG_KIND_FUT, fy = y->kind != LG_KIND_FUT;
    if (fx != fy) return fx - fy;
    if (x->expiry_day != y->expiry_day) return x->expiry_day < y->expiry_day ? -1 : 1;
    return x < y ? -1 : x > y;
}

uint32_t lg_daemon_watchlist(const lg_instruments_t *m, uint32_t max, uint32_t *tokens) {
    LG_ASSERT(m != NULL && (tokens != NULL || m->n == 0));
    if (m->n <= max) {
        for (uint32_t i = 0; i < m->n; i++) tokens[i] = m->items[i].token;
        return m->n;
    }
    const lg_instrument_t **order = malloc((size_t)m->n * sizeof *order);
    if (order == NULL) { /* no room to sort: the master's own order */
        for (uint32_t i = 0; i < max; i++) tokens[i] = m->items[i].token;
        return max;
    }
    for (uint32_t i = 0; i < m->n; i++) order[i] = &m->items[i];
    qsort(order, m->n, sizeof *order, by_expiry);
    for (uint32_t i = 0; i < max; i++) tokens[i] = order[i]->token;
    free(order);
    return max;
}
