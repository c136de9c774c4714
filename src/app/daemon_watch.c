/*
 * daemon_watch.c — which instruments the daemon watches. Kite streams at most 3 000
 * instruments on one ticker connection and the NFO master holds some 70 000, so when the
 * master does not fit the daemon takes, in order:
 *
 *   1. every future (each option's forward), nearest expiry first;
 *   2. the options, every underlying in turn: each one's nearest expiry, then its next
 *      ..., and within an expiry the strikes nearest the middle of its chain first (the
 *      exchange lists strikes around the money; no price is known at start);
 *
 * until the connection is full; a paper master fits whole. An instrument left out has no
 * price, and the risk engine refuses a group on it ("no price"), never trades it blind.
 */
#include "daemon_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct pick {
    const lg_instrument_t *ins;
    uint32_t rank;  /* the expiry's place among its underlying's (0: nearest) */
    double dist;    /* |strike − the chain's middle strike| / middle; futures −1 */
} pick_t;

static int by_chain(const void *a, const void *b) {
    const lg_instrument_t *x = ((const pick_t *)a)->ins, *y = ((const pick_t *)b)->ins;
    int c = strcmp(x->underlying, y->underlying);
    if (c != 0) return c;
    int fx = x->kind != LG_KIND_FUT, fy = y->kind != LG_KIND_FUT;
    if (fx != fy) return fx - fy;
    if (x->expiry_day != y->expiry_day) return x->expiry_day < y->expiry_day ? -1 : 1;
    if (x->strike != y->strike) return x->strike < y->strike ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int by_pick(const void *a, const void *b) {
    const pick_t *x = a, *y = b;
    int ox = x->ins->kind != LG_KIND_FUT, oy = y->ins->kind != LG_KIND_FUT;
    if (ox != oy) return ox - oy;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    if (x->dist != y->dist) return x->dist < y->dist ? -1 : 1;
    return x->ins < y->ins ? -1 : x->ins > y->ins;
}

/* Ranks and distances over picks sorted by_chain: one pass per run of an underlying's
 * futures or options, and of each expiry within it. */
static void rank_chains(pick_t *p, uint32_t n) {
    for (uint32_t i = 0; i < n;) {
        const lg_instrument_t *first = p[i].ins;
        bool fut = first->kind == LG_KIND_FUT;
        uint32_t rank = 0;
        while (i < n && strcmp(p[i].ins->underlying, first->underlying) == 0 &&
               (p[i].ins->kind == LG_KIND_FUT) == fut) {
            uint32_t j = i;
            while (j < n && p[j].ins->expiry_day == p[i].ins->expiry_day &&
                   strcmp(p[j].ins->underlying, first->underlying) == 0 &&
                   (p[j].ins->kind == LG_KIND_FUT) == fut)
                j++;
            double mid = (double)p[i + (j - i) / 2].ins->strike;
            for (uint32_t k = i; k < j; k++) {
                p[k].rank = rank;
                p[k].dist = fut || !(mid > 0) ? -1.0 : fabs((double)p[k].ins->strike - mid) / mid;
            }
            rank++;
            i = j;
        }
    }
}

uint32_t lg_daemon_watchlist(const lg_instruments_t *m, uint32_t max, uint32_t *tokens) {
    LG_ASSERT(m != NULL && (tokens != NULL || m->n == 0));
    if (m->n <= max) {
        for (uint32_t i = 0; i < m->n; i++) tokens[i] = m->items[i].token;
        return m->n;
    }
    pick_t *p = malloc((size_t)m->n * sizeof *p);
    if (p == NULL) { /* no room to choose: the master's own order */
        for (uint32_t i = 0; i < max; i++) tokens[i] = m->items[i].token;
        return max;
    }
    for (uint32_t i = 0; i < m->n; i++) p[i] = (pick_t){.ins = &m->items[i]};
    qsort(p, m->n, sizeof *p, by_chain);
    rank_chains(p, m->n);
    qsort(p, m->n, sizeof *p, by_pick);
    for (uint32_t i = 0; i < max; i++) tokens[i] = p[i].ins->token;
    free(p);
    return max;
}
