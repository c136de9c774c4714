/*
 * greeks_watch.c — the portfolio's greeks watched on ticks (DESIGN §7), in steps of
 * bounded work (DESIGN §11: no step pays for the whole book).
 *
 * A cycle starts at the first tick after greeks_next (every greeks_watch_ns):
 *
 *   start      the book's instruments are listed (lg_eng_gather: held, plus what
 *              entering groups have still to fill) and greeks_next moves on;
 *   pricing    each tick step prices LG_WATCH_PER_STEP of them: greeks per unit,
 *              the volatility from the option's own last price (lg_eng_iv solves it
 *              again only if the option ticked since);
 *   finish     the step after the last one sums Σ quantity × per-unit greeks per
 *              underlying with the quantities of that moment (an instrument that
 *              joined the book during the cycle is priced then) and checks the
 *              limits: a breach moves ACTIVE to REDUCING (LG_WHY_GREEKS).
 *
 * Missing data (no price, forward or volatility) or a state other than ACTIVE ends the
 * cycle; the next one starts after greeks_watch_ns. A book of n instruments is checked
 * within n + 1 ticks of its cycle's start.
 */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LG_WATCH_PER_STEP 1

int lg_watch_init(lg_engine_t *e) {
    uint32_t ni = e->master->n > 0 ? e->master->n : 1;
    e->gw_list = calloc(ni, sizeof *e->gw_list);
    e->gw_unit = calloc((size_t)ni * LG_GREEK_COUNT, sizeof *e->gw_unit);
    e->gw_stamp = calloc(ni, sizeof *e->gw_stamp);
    e->gw_cycle = 1; /* stamps of 0: never priced */
    return e->gw_list && e->gw_unit && e->gw_stamp ? LG_OK : LG_EPOOL_FULL;
}

void lg_watch_free(lg_engine_t *e) {
    free(e->gw_list);
    free(e->gw_unit);
    free(e->gw_stamp);
}

/* Greeks of one unit of instrument idx into gw_unit, stamped with the cycle. */
static int price_unit(lg_engine_t *e, uint32_t idx) {
    lg_greeks_forward_t fwd[1];
    lg_greeks_market_t m = {.forwards = fwd, .unix_ns = e->now + e->cfg.clock_offset_ns};
    lg_eng_forward_add(e, fwd, &m, idx);
    lg_greeks_pos_t p = {.ins = &e->master->items[idx], .qty = 1,
                         .quote = {.ltp = e->ltp[idx]}, .iv = lg_eng_iv(e, idx)};
    lg_greeks_book_t b;
    lg_greeks_book_init(&b);
    char err[LG_ALERT_TEXT_MAX];
    int rc = lg_greeks_book_add(&b, &p, 1, &m, &b, err, sizeof err);
    if (rc != LG_OK) return rc;
    LG_ASSERT(b.n == 1);
    double *u = &e->gw_unit[(size_t)idx * LG_GREEK_COUNT];
    for (int k = 0; k < LG_GREEK_COUNT; k++) u[k] = lg_greeks_und_get(&b.und[0], (lg_greek_t)k);
    e->gw_stamp[idx] = e->gw_cycle;
    return LG_OK;
}

/* The entry of an underlying in b, appended when new; NULL when b is full. */
static lg_greeks_und_t *und_of(lg_greeks_book_t *b, const char *underlying) {
    for (uint32_t i = 0; i < b->n; i++)
        if (strcmp(b->und[i].underlying, underlying) == 0) return &b->und[i];
    if (b->n == LG_GREEKS_MAX_UNDERLYINGS) return NULL;
    lg_greeks_und_t *u = &b->und[b->n++];
    memset(u, 0, sizeof *u);
    lg_strlcpy(u->underlying, underlying, sizeof u->underlying);
    return u;
}

/* Sums the book with today's quantities; LG_OK with *b filled, else data missing. */
static int sum_book(lg_engine_t *e, lg_greeks_book_t *b) {
    lg_greeks_book_init(b);
    uint32_t n = lg_eng_gather(e);
    int rc = LG_OK;
    for (uint32_t k = 0; k < n && rc == LG_OK; k++) {
        uint32_t idx = e->book_idx[k];
        lg_qty_t q = e->book_qty[idx];
        if (q == 0) continue;
        if (e->gw_stamp[idx] != e->gw_cycle) rc = price_unit(e, idx); /* joined late */
        lg_greeks_und_t *u = rc == LG_OK ? und_of(b, e->master->items[idx].underlying) : NULL;
        if (u == NULL) {
            rc = rc == LG_OK ? LG_ENOSPACE : rc;
            continue;
        }
        const double *x = &e->gw_unit[(size_t)idx * LG_GREEK_COUNT];
        u->delta += (double)q * x[LG_GREEK_DELTA];
        u->gamma += (double)q * x[LG_GREEK_GAMMA];
        u->vega += (double)q * x[LG_GREEK_VEGA];
        u->theta += (double)q * x[LG_GREEK_THETA];
    }
    lg_eng_gather_clear(e);
    return rc;
}

static void finish(lg_engine_t *e) {
    e->gw_on = false;
    lg_greeks_book_t b;
    if (sum_book(e, &b) != LG_OK) return; /* data missing: the next cycle */
    lg_greeks_limit_set_t ls = {.base = e->cfg.risk.greeks};
    char err[LG_ALERT_TEXT_MAX];
    if (lg_greeks_check(&b, &ls, NULL, err, sizeof err) == LG_OK) return;
    lg_eng_alert(e, LG_ALERT_ERROR, LG_ELIMIT, 0, "portfolio greeks: %s; only risk-reducing orders",
                 err);
    lg_eng_set_tstate(e, LG_TS_REDUCING, LG_WHY_GREEKS);
}

void lg_watch_step(lg_engine_t *e) {
    if (e->cfg.risk_off || e->tstate != LG_TS_ACTIVE || e->recovering) {
        e->gw_on = false;
        return;
    }
    if (!e->gw_on) {
        if (e->now < e->greeks_next || e->n_held + e->n_entering == 0) return;
        e->greeks_next = e->now + e->cfg.greeks_watch_ns;
        uint32_t n = lg_eng_gather(e);
        e->gw_n = 0;
        for (uint32_t k = 0; k < n; k++)
            if (e->book_qty[e->book_idx[k]] != 0) e->gw_list[e->gw_n++] = e->book_idx[k];
        lg_eng_gather_clear(e);
        e->gw_on = true;
        e->gw_at = 0;
        if (++e->gw_cycle == 0) e->gw_cycle = 1;
    } else if (e->gw_at == e->gw_n) {
        finish(e);
        return;
    }
    for (uint32_t k = 0; k < LG_WATCH_PER_STEP && e->gw_at < e->gw_n; k++) {
        if (price_unit(e, e->gw_list[e->gw_at++]) != LG_OK) {
            e->gw_on = false; /* data missing: the next cycle */
            return;
        }
    }
}
