/*
 * risk_eng.c — the risk engine inside the engine step (DESIGN §7). Sizing, limits and
 * the margin shock are pure functions (risk.h, shock.h, greeks.h); this file feeds
 * them from the engine's state and acts on what they say:
 *
 *   margins     LG_EV_MARGINS sets the available margin. Every admitted group
 *               reserves the need of its worst partial-fill state until a snapshot
 *               asked for after its entry ended (lg_risk_entry_done) has come back,
 *               so two groups opening at once cannot both spend the same margin.
 *               Available below margin_floor: kill switch (LG_WHY_MARGIN).
 *   day P&L     Σ sells − buys of every fill, plus every position at its last
 *               price, kept incrementally on fills and ticks, less what the two were
 *               worth when the IST date last changed. At the daily loss limit:
 *               kill switch (LG_WHY_LOSS_LIMIT); past half of it, sizes shrink.
 *   greeks      lg_eng_book: the portfolio per instrument — held, plus what entering
 *               groups have still to fill (the finished structures are what admission
 *               checked; a ratchet's protection bought first is no breach of its own).
 *               Watched on ticks by greeks_watch.c.
 *   session     a lost broker session: kill switch (LG_WHY_SESSION).
 *   admission   every group, sized or explicit, passes the pre-trade checks, the
 *               margin shock of its execution plan and the greeks limits before
 *               anything is sent (lg_risk_admit); a refusal names the rule, or the
 *               partial-fill state that does not fit.
 *   intents     sized by lg_risk_size into a group (lg_eng_on_intent); the decision
 *               is journaled (LG_REC_SIZING) with the bound that decided.
 * Missing market data (a price, a forward, a volatility, an unpriced position) is a
 * refusal naming it, never a guess.
 */
#include "engine_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lg_risk_eng_init(lg_engine_t *e) {
    uint32_t ni = e->master->n > 0 ? e->master->n : 1;
    uint32_t nr = e->cfg.risk.max_orders_minute > 0 ? e->cfg.risk.max_orders_minute : 1;
    e->held = calloc(ni, sizeof *e->held);
    e->held_pos = calloc(ni, sizeof *e->held_pos);
    e->ins_cash = calloc(ni, sizeof *e->ins_cash);
    e->band_lo = calloc(ni, sizeof *e->band_lo);
    e->band_hi = calloc(ni, sizeof *e->band_hi);
    e->sent_ring = calloc(nr, sizeof *e->sent_ring);
    e->iv_fwd = calloc(ni, sizeof *e->iv_fwd);
    e->iv_until = calloc(ni, sizeof *e->iv_until);
    e->loss_stops = calloc(e->cfg.max_stops > 0 ? e->cfg.max_stops : 1, sizeof *e->loss_stops);
    if (lg_watch_init(e) != LG_OK) return LG_EPOOL_FULL;
    e->book_qty = calloc(ni, sizeof *e->book_qty);
    e->book_idx = calloc(ni, sizeof *e->book_idx);
    e->book_in = calloc(ni, sizeof *e->book_in);
    if (!e->book_qty || !e->book_idx || !e->book_in) return LG_EPOOL_FULL;
    if (!e->held || !e->held_pos || !e->ins_cash || !e->band_lo || !e->band_hi || !e->sent_ring || !e->iv_fwd ||
        !e->iv_until || !e->loss_stops)
        return LG_EPOOL_FULL;
    e->day = e->loss_day = -1;
    for (uint32_t i = 0; i < ni; i++) e->held_pos[i] = LG_NO_INDEX;
    return LG_OK;
}

void lg_risk_eng_free(lg_engine_t *e) {
    free(e->held);
    free(e->held_pos);
    free(e->ins_cash);
    free(e->band_lo);
    free(e->band_hi);
    free(e->sent_ring);
    free(e->iv_fwd);
    free(e->iv_until);
    free(e->loss_stops);
    free(e->book_qty);
    free(e->book_idx);
    free(e->book_in);
    lg_watch_free(e);
}

static int64_t unix_ns(const lg_engine_t *e) { return e->now + e->cfg.clock_offset_ns; }

static void halt(lg_engine_t *e, lg_reason_t why) {
    if (e->tstate != LG_TS_HALTED && !e->recovering) lg_eng_set_tstate(e, LG_TS_HALTED, why);
}

/* ---- day P&L -------------------------------------------------------------------------- */

#define IST_OFFSET_S 19800 /* +05:30 */

int64_t lg_risk_day_pnl(const lg_engine_t *e) { return e->cash_total + e->mark - e->day_base; }

void lg_risk_day_roll(lg_engine_t *e) {
    int64_t s = (unix_ns(e) / LG_NS_PER_S) + IST_OFFSET_S;
    int64_t day = s >= 0 ? s / 86400 : (s - 86399) / 86400;
    if (day == e->day) return;
    if (e->day >= 0)
        lg_eng_alert(e, LG_ALERT_INFO, 0, 0, "a new trading day: the day's P&L (%lld paise "
                     "yesterday) starts again from the book's value", (long long)lg_risk_day_pnl(e));
    e->day = day;
    e->day_base = e->cash_total + e->mark;
    e->loss_half_said = false;
}

bool lg_risk_day_spent(const lg_engine_t *e) {
    return !e->cfg.risk_off && e->unpriced == 0 &&
           lg_risk_day_pnl(e) <= -e->cfg.risk.daily_loss_limit;
}

/* The kill switch fires once a day; resumed past the limit, or past it again after a
 * resume, trading is REDUCING: exits only, until the next trading day. */
static void loss_check(lg_engine_t *e) {
    if (e->cfg.risk_off || e->unpriced > 0) return;
    int64_t pnl = lg_risk_day_pnl(e), limit = e->cfg.risk.daily_loss_limit;
    if (pnl <= -limit && e->tstate != LG_TS_HALTED && !e->recovering && e->loss_day != e->day) {
        lg_eng_alert(e, LG_ALERT_CRITICAL, LG_ELIMIT, 0,
                     "day P&L %lld paise reached the daily loss limit %lld: kill switch",
                     (long long)pnl, (long long)limit);
        e->loss_day = e->day;
        halt(e, LG_WHY_LOSS_LIMIT);
    } else if (pnl <= -limit && e->tstate == LG_TS_ACTIVE && !e->recovering) {
        lg_eng_set_tstate(e, LG_TS_REDUCING, LG_WHY_LOSS_LIMIT); /* fired today already */
    } else if (pnl <= -limit / 2 && !e->loss_half_said) {
        e->loss_half_said = true;
        lg_eng_alert(e, LG_ALERT_WARN, 0, 0,
                     "day P&L %lld paise is past half the loss limit: new sizes x %.2f",
                     (long long)pnl, e->cfg.risk.loss_throttle);
    }
}

static void held_set(lg_engine_t *e, uint32_t idx, lg_qty_t old, lg_qty_t now) {
    if (old == 0 && now != 0) {
        LG_ASSERT(e->held_pos[idx] == LG_NO_INDEX && e->n_held < e->master->n);
        e->held_pos[idx] = e->n_held;
        e->held[e->n_held++] = idx;
        if (e->ltp[idx] == 0) e->unpriced++;
    } else if (old != 0 && now == 0) {
        uint32_t at = e->held_pos[idx];
        LG_ASSERT(at < e->n_held && e->held[at] == idx);
        e->held[at] = e->held[--e->n_held];
        e->held_pos[e->held[at]] = at;
        e->held_pos[idx] = LG_NO_INDEX;
        if (e->ltp[idx] == 0) e->unpriced--;
    }
}

/* value: what the fill adds to the order's average × filled; negative when the broker's
 * rounded average falls by more than the new fill is worth (a fill near the minimum
 * price), a correction the cash takes as it comes. */
void lg_risk_fill(lg_engine_t *e, uint32_t idx, lg_qty_t qty, int64_t value) {
    LG_ASSERT(idx < e->master->n && qty != 0);
    if (e->ltp[idx] == 0) { /* a trade is a price: the first one marks the position */
        lg_paise_t px = value / (qty < 0 ? -qty : qty);
        if (px > 0) {
            e->ltp[idx] = px;
            e->n_priced++;
            lg_eng_price_seen(e, idx);
            lg_risk_tick(e, idx, 0);
        }
    }
    lg_qty_t old = e->pos[idx];
    e->pos[idx] += qty;
    e->cash_total -= qty > 0 ? value : -value;
    e->ins_cash[idx] -= qty > 0 ? value : -value;
    e->mark += qty * e->ltp[idx];
    held_set(e, idx, old, e->pos[idx]);
    loss_check(e);
}

/* ---- greeks ---------------------------------------------------------------------------- */

/* The forward of instrument idx's underlying, paise (0 unknown). */
static lg_paise_t forward_of(const lg_engine_t *e, uint32_t idx) {
    uint32_t f = e->fut_of[idx];
    return f == LG_NO_INDEX ? 0 : e->ltp[f];
}

void lg_eng_forward_add(const lg_engine_t *e, lg_greeks_forward_t *fwd, lg_greeks_market_t *m,
                        uint32_t idx) {
    const lg_instrument_t *ins = &e->master->items[idx];
    for (uint32_t i = 0; i < m->n_forwards; i++)
        if (strcmp(fwd[i].underlying, ins->underlying) == 0) return;
    if (m->n_forwards == LG_GREEKS_MAX_UNDERLYINGS) return; /* the book refuses it, named */
    lg_greeks_forward_t *f = &fwd[m->n_forwards++];
    lg_strlcpy(f->underlying, ins->underlying, sizeof f->underlying);
    f->price = forward_of(e, idx);
}

/* Adds qty units of instrument idx to the book being gathered. */
static void gather(lg_engine_t *e, uint32_t idx, lg_qty_t qty) {
    if (e->book_qty[idx] == 0 && !e->book_in[idx]) {
        LG_ASSERT(e->n_book < e->master->n);
        e->book_in[idx] = 1;
        e->book_idx[e->n_book++] = idx;
    }
    e->book_qty[idx] += qty;
}

uint32_t lg_eng_gather(lg_engine_t *e) {
    LG_ASSERT(e->n_book == 0);
    for (uint32_t k = 0; k < e->n_held; k++) gather(e, e->held[k], e->pos[e->held[k]]);
    for (uint32_t k = 0; k < e->n_entering; k++) {
        const lg_group_t *g = &e->groups[e->entering[k]];
        for (uint32_t i = 0; i < g->n_legs; i++) {
            const lg_leg_t *l = &g->legs[i];
            if (l->target > l->entry_filled)
                gather(e, l->ins_index, l->side * (l->target - l->entry_filled));
        }
    }
    return e->n_book;
}

void lg_eng_gather_clear(lg_engine_t *e) {
    for (uint32_t k = 0; k < e->n_book; k++) {
        e->book_qty[e->book_idx[k]] = 0;
        e->book_in[e->book_idx[k]] = 0;
    }
    e->n_book = 0;
}

int lg_eng_book(lg_engine_t *e, lg_greeks_book_t *b, lg_greeks_forward_t *fwd,
                lg_greeks_market_t *m, char *err, size_t cap) {
    lg_greeks_book_init(b);
    *m = (lg_greeks_market_t){.forwards = fwd, .unix_ns = unix_ns(e)};
    uint32_t nb = lg_eng_gather(e);
    lg_greeks_pos_t pos[64];
    int rc = LG_OK;
    uint32_t n = 0;
    for (uint32_t k = 0; k < nb && rc == LG_OK; k++) { /* in chunks */
        uint32_t idx = e->book_idx[k];
        lg_qty_t q = e->book_qty[idx];
        if (q != 0) {
            lg_eng_forward_add(e, fwd, m, idx);
            pos[n++] = (lg_greeks_pos_t){.ins = &e->master->items[idx], .qty = q,
                                         .quote = {.ltp = e->ltp[idx]}, .iv = lg_eng_iv(e, idx)};
        }
        if (n > 0 && (n == LG_COUNT(pos) || k + 1 == nb)) {
            rc = lg_greeks_book_add(b, pos, n, m, b, err, cap);
            n = 0;
        }
    }
    lg_eng_gather_clear(e);
    return rc;
}

void lg_risk_tick(lg_engine_t *e, uint32_t idx, lg_paise_t old) {
    lg_qty_t p = e->pos[idx];
    if (p != 0) {
        e->mark += p * (e->ltp[idx] - old);
        if (old == 0 && e->ltp[idx] > 0) e->unpriced--;
        loss_check(e);
    }
    lg_watch_step(e);
}

/* ---- order rate ------------------------------------------------------------------------- */

static uint32_t ring_cap(const lg_engine_t *e) {
    return e->cfg.risk.max_orders_minute > 0 ? e->cfg.risk.max_orders_minute : 1;
}

uint32_t lg_eng_orders_last_minute(lg_engine_t *e) {
    while (e->ring_n > 0 && e->sent_ring[e->ring_head] <= e->now - 60 * LG_NS_PER_S) {
        e->ring_head = (e->ring_head + 1) % ring_cap(e);
        e->ring_n--;
    }
    return e->ring_n;
}

void lg_risk_sent(lg_engine_t *e) {
    if (e->cfg.risk.max_orders_minute == 0) return;
    lg_eng_orders_last_minute(e);
    if (e->ring_n == ring_cap(e)) { /* admission kept within; a slice beyond drops the oldest */
        e->ring_head = (e->ring_head + 1) % ring_cap(e);
        e->ring_n--;
    }
    e->sent_ring[(e->ring_head + e->ring_n) % ring_cap(e)] = e->now;
    e->ring_n++;
}

/* ---- margins ------------------------------------------------------------------------------ */

static void query_margins(lg_engine_t *e) {
    if (e->margins_query_out || e->cfg.risk_off) return;
    if (!lg_eng_room(e, 1, 0)) return; /* asked again at the next group's end */
    (void)lg_eng_cmd(e, LG_CMD_QUERY_MARGINS, true);
    e->margins_query_out = true;
    e->margins_query_at = e->now;
}

void lg_risk_entry_done(lg_engine_t *e, lg_group_t *g) {
    if (g->reserve == 0 || g->entry_done_ns != 0) return;
    g->entry_done_ns = e->now;
    e->reserve_waiting++;
    query_margins(e);
}

void lg_risk_release(lg_engine_t *e, lg_group_t *g) {
    if (g->reserve == 0) return;
    LG_ASSERT(e->reserved >= g->reserve);
    e->reserved -= g->reserve;
    if (g->entry_done_ns != 0) {
        LG_ASSERT(e->reserve_waiting > 0);
        e->reserve_waiting--;
    }
    g->reserve = 0;
}

lg_ns_t lg_risk_margins_wake(lg_engine_t *e) {
    if (e->reserve_waiting == 0 || e->recovering) return INT64_MAX;
    lg_ns_t expiry = e->margins_query_at + e->cfg.order_silence_ns;
    if (e->margins_query_out && expiry <= e->now) e->margins_query_out = false; /* lost */
    if (!e->margins_query_out) query_margins(e);
    return e->margins_query_out ? e->margins_query_at + e->cfg.order_silence_ns : e->now + 1;
}

static void floor_check(lg_engine_t *e) {
    lg_paise_t floor = e->cfg.risk.margin_floor, avail = e->margin_avail;
    if (e->cfg.risk_off || floor <= 0 || avail >= floor || e->tstate == LG_TS_HALTED) return;
    if (e->recovering) return; /* checked again at RECOVERED */
    lg_eng_alert(e, LG_ALERT_CRITICAL, LG_EMARGIN, 0,
                 "available margin %lld paise below the floor %lld: kill switch, "
                 "liquidating in unwind order", (long long)avail, (long long)floor);
    halt(e, LG_WHY_MARGIN);
}

int lg_eng_on_margins(lg_engine_t *e, const lg_event_t *ev) {
    lg_paise_t avail = ev->u.margins.available, used = ev->u.margins.used;
    if (used < 0)
        return lg_eng_refuse(e, LG_EINVAL, 0, NULL, "margin snapshot with negative used margin %lld",
                             (long long)used);
    bool answered = e->margins_query_out;
    e->margins_known = true;
    e->margin_avail = avail;
    e->margins_query_out = false;
    bool waiting = false;
    for (uint32_t i = 0; i < e->cfg.max_groups; i++) { /* reservations the broker now counts */
        lg_group_t *g = &e->groups[i];
        if (g->id == 0 || g->reserve == 0 || g->entry_done_ns == 0) continue;
        if (answered && g->entry_done_ns <= e->margins_query_at) {
            lg_risk_release(e, g);
        } else {
            waiting = true;
        }
    }
    LG_ASSERT(e->reserved >= 0);
    if (waiting) query_margins(e);
    floor_check(e);
    return LG_OK;
}

void lg_risk_recheck(lg_engine_t *e) {
    loss_check(e);
    if (e->margins_known) floor_check(e);
}

void lg_risk_resume(lg_engine_t *e) {
    if (!lg_risk_day_spent(e)) {
        lg_eng_set_tstate(e, LG_TS_ACTIVE, LG_WHY_RESUME);
        return;
    }
    lg_eng_alert(e, LG_ALERT_WARN, LG_ELIMIT, 0,
                 "the day's P&L %lld paise is at the daily loss limit %lld: resumed as REDUCING "
                 "(exits only) until the next trading day", (long long)lg_risk_day_pnl(e),
                 (long long)e->cfg.risk.daily_loss_limit);
    lg_eng_set_tstate(e, LG_TS_REDUCING, LG_WHY_RESUME);
}

int lg_eng_on_band(lg_engine_t *e, const lg_event_t *ev) {
    const lg_instrument_t *ins = lg_instruments_find(e->master, ev->u.band.token);
    if (ins == NULL)
        return lg_eng_refuse(e, LG_EINSTRUMENT, 0, NULL, "circuit band for token %u missing from the master",
                             ev->u.band.token);
    if (ev->u.band.lo <= 0 || ev->u.band.hi < ev->u.band.lo)
        return lg_eng_refuse(e, LG_EPRICE, 0, NULL, "circuit band of %s [%lld, %lld] out of sense",
                             ins->symbol, (long long)ev->u.band.lo, (long long)ev->u.band.hi);
    uint32_t idx = (uint32_t)(ins - e->master->items);
    e->n_banded += e->band_hi[idx] == 0;
    e->band_lo[idx] = ev->u.band.lo;
    e->band_hi[idx] = ev->u.band.hi;
    return LG_OK;
}

void lg_eng_on_session_lost(lg_engine_t *e) {
    if (e->cfg.risk_off) return;
    lg_eng_alert(e, LG_ALERT_CRITICAL, 0, 0, "broker session lost: kill switch");
    halt(e, LG_WHY_SESSION);
}
