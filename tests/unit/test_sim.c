/*
 * test_sim.c — unit tests for the exchange model (src/sim/): the chain it adds
 * to the master, determinism by seed, fills against the quote with positions and
 * cash, Kite's status sequence, the broker's HTTP 400 refusals (freeze quantity,
 * market protection, circuit band after a gap, book full), cancels (won and lost
 * races, partial fills kept), queries by tag, ambiguous sends, lost / duplicated
 * updates, halts, partial fills, SL triggers, ticks and position snapshots.
 *
 * The tests drive the model as the harness does: jump to lg_sim_next_time, poll
 * everything due, repeat. They check exact values: quantities, prices against the
 * quote, statuses, messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legato/sim.h"

#define EXPIRY_DAY 20650 /* 2026-07-17 */
#define LOT 65
#define FREEZE 1800
#define MAX_LOG 20000

typedef struct rec {
    lg_event_t ev;
    lg_ns_t t;
} rec_t;

typedef struct fx {
    lg_instruments_t m;
    lg_sim_t *s;
    rec_t *log;
    uint32_t n;
    lg_ns_t now;
    lg_position_row_t rows[64]; /* copy of the last POSITIONS event's rows */
    uint32_t n_rows;
} fx_t;

static fx_t *fx_new_cfg(uint64_t seed, const lg_sim_knobs_t *k, uint32_t max_orders) {
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->log = calloc(MAX_LOG, sizeof *f->log);
    assert_non_null(f->log);
    assert_int_equal(lg_instruments_init(&f->m, 256), LG_OK);
    lg_sim_config_t c = {.seed = seed, .max_orders = max_orders, .max_pending = 4096};
    if (k) c.knobs = *k;
    else lg_sim_knobs_default(&c.knobs);
    assert_int_equal(lg_sim_create(&c, &f->m, &f->s), LG_OK);
    assert_int_equal(lg_sim_add_underlying(f->s, "NIFTY", 24000.0, 50.0, 21, EXPIRY_DAY, LOT,
                                           FREEZE, 0.14),
                     0);
    return f;
}

static fx_t *fx_new(uint64_t seed, const lg_sim_knobs_t *k) {
    return fx_new_cfg(seed, k, 256);
}

static void fx_free(fx_t *f) {
    lg_sim_destroy(f->s);
    lg_instruments_free(&f->m);
    free(f->log);
    free(f);
}

static void record(fx_t *f, const lg_event_t *ev) {
    assert_true(f->n < MAX_LOG);
    f->log[f->n] = (rec_t){.ev = *ev, .t = f->now};
    if (ev->kind == LG_EV_POSITIONS) {
        assert_true(ev->u.positions.n <= 64);
        memcpy(f->rows, ev->u.positions.rows, ev->u.positions.n * sizeof *f->rows);
        f->n_rows = ev->u.positions.n;
    }
    f->n++;
}

/* One step of the harness loop: to the next time (if <= until), poll all due. */
static bool fx_step(fx_t *f, lg_ns_t until) {
    lg_ns_t t = lg_sim_next_time(f->s);
    if (t > until) return false;
    if (t > f->now) f->now = t;
    lg_event_t ev;
    for (int i = 0; i < 100000 && lg_sim_poll(f->s, f->now, &ev) == 1; i++) record(f, &ev);
    return true;
}

static void fx_run(fx_t *f, lg_ns_t until) {
    for (int i = 0; i < 1000000 && fx_step(f, until); i++) {
    }
    if (f->now < until) f->now = until;
}

static lg_cmd_t cmd_place(const char *tag, uint32_t token, int side, lg_otype_t ot, lg_qty_t qty,
                          lg_paise_t price, int mprot) {
    lg_cmd_t c = {.kind = LG_CMD_PLACE, .token = token, .side = (int8_t)side,
                  .otype = (uint8_t)ot, .qty = qty, .price = price, .mprot_pct = (int16_t)mprot};
    strcpy(c.tag, tag);
    return c;
}

static void place(fx_t *f, const char *tag, uint32_t token, int side, lg_otype_t ot,
                  lg_qty_t qty, lg_paise_t price, int mprot) {
    lg_cmd_t c = cmd_place(tag, token, side, ot, qty, price, mprot);
    lg_sim_request(f->s, &c, f->now);
}

static void request_tag(fx_t *f, lg_cmd_kind_t kind, const char *tag, const char *broker_id) {
    lg_cmd_t c = {.kind = kind};
    strcpy(c.tag, tag);
    if (broker_id) strcpy(c.broker_id, broker_id);
    lg_sim_request(f->s, &c, f->now);
}

/* The n-th (0-based) event of a kind for a tag; NULL if none. */
static const lg_event_t *find_ev(const fx_t *f, lg_ev_kind_t kind, const char *tag, int nth) {
    for (uint32_t i = 0; i < f->n; i++) {
        const lg_event_t *e = &f->log[i].ev;
        if (e->kind != kind) continue;
        const char *t = kind == LG_EV_ORDER_ACK     ? e->u.ack.tag
                        : kind == LG_EV_ORDER_ERROR ? e->u.error.tag
                        : kind == LG_EV_ORDER_UPDATE ? e->u.update.tag
                                                     : "";
        if (tag && strcmp(t, tag) != 0) continue;
        if (nth-- == 0) return e;
    }
    return NULL;
}

static int count_updates(const fx_t *f, const char *tag, lg_kstatus_t st) {
    int n = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        const lg_event_t *e = &f->log[i].ev;
        if (e->kind == LG_EV_ORDER_UPDATE && strcmp(e->u.update.tag, tag) == 0 &&
            e->u.update.status == st)
            n++;
    }
    return n;
}

static const lg_event_t *last_update(const fx_t *f, const char *tag) {
    const lg_event_t *r = NULL;
    for (uint32_t i = 0; i < f->n; i++) {
        const lg_event_t *e = &f->log[i].ev;
        if (e->kind == LG_EV_ORDER_UPDATE && strcmp(e->u.update.tag, tag) == 0) r = e;
    }
    return r;
}

static uint32_t atm_ce(const fx_t *f) {
    return lg_sim_token(f->s, 0, LG_KIND_CE, 0);
}

static lg_sim_knobs_t knobs(void) {
    lg_sim_knobs_t k;
    lg_sim_knobs_default(&k);
    return k;
}

/* ---- the chain ---------------------------------------------------------------------- */

static void test_chain(void **state) {
    (void)state;
    fx_t *f = fx_new(1, NULL);
    assert_int_equal(f->m.n, 43); /* 1 future + 21 × (CE, PE) */
    const lg_instrument_t *ce = lg_instruments_find_symbol(&f->m, "NIFTY26JUL24000CE");
    assert_non_null(ce);
    assert_int_equal(ce->token, atm_ce(f));
    assert_int_equal(ce->token & 0xFF, 2);
    assert_int_equal(ce->strike, 2400000);
    assert_int_equal(ce->lot, LOT);
    assert_int_equal(ce->freeze, FREEZE);
    assert_int_equal(ce->tick, 5);
    assert_int_equal(ce->expiry_day, EXPIRY_DAY);
    assert_non_null(lg_instruments_find_symbol(&f->m, "NIFTY26JUL23500PE"));
    assert_non_null(lg_instruments_find_symbol(&f->m, "NIFTY26JUL24500CE"));
    assert_null(lg_instruments_find_symbol(&f->m, "NIFTY26JUL24550CE"));
    const lg_instrument_t *fut = lg_instruments_find(&f->m, lg_sim_token(f->s, 0, LG_KIND_FUT, 0));
    assert_non_null(fut);
    assert_string_equal(fut->symbol, "NIFTY26JULFUT");
    assert_int_equal(lg_sim_token(f->s, 0, LG_KIND_PE, 11), 0);
    assert_int_equal(lg_sim_clock_offset(f->s), (lg_ns_t)(EXPIRY_DAY - 30) * 86400 * LG_NS_PER_S);
    /* ATM call, 30 days, 14 %: about 0.4 × 24000 × 0.14 × sqrt(30/365) ≈ 385 rupees */
    lg_paise_t bid, ask, ltp, lo, hi;
    assert_int_equal(lg_sim_quote(f->s, ce->token, &bid, &ask, &ltp), LG_OK);
    assert_true(ltp > 37000 && ltp < 40000);
    assert_true(bid < ltp && ltp < ask && bid % 5 == 0 && ask % 5 == 0 && ltp % 5 == 0);
    assert_true(ask - bid >= 2 * (ltp / 200) - 10 && ask - bid <= 2 * (ltp / 200) + 10);
    assert_int_equal(lg_sim_band(f->s, ce->token, &lo, &hi), LG_OK);
    assert_true(lo < bid && hi > ask);
    assert_true(hi - ltp > ltp * 39 / 100 && hi - ltp < ltp * 41 / 100);
    assert_int_equal(lg_sim_quote(f->s, 12345, &bid, &ask, &ltp), LG_EINSTRUMENT);
    assert_int_equal(lg_sim_next_time(f->s), INT64_MAX);
    fx_free(f);
}

/* ---- determinism ---------------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static uint64_t hash_event(uint64_t h, const rec_t *r) {
    const lg_event_t *e = &r->ev;
    h = fnv(h, &r->t, sizeof r->t);
    h = fnv(h, &e->kind, sizeof e->kind);
    switch (e->kind) {
    case LG_EV_ORDER_ACK:
        h = fnv(h, e->u.ack.tag, strlen(e->u.ack.tag));
        return fnv(h, e->u.ack.broker_id, strlen(e->u.ack.broker_id));
    case LG_EV_ORDER_ERROR:
        h = fnv(h, e->u.error.tag, strlen(e->u.error.tag));
        h = fnv(h, &e->u.error.http_status, sizeof e->u.error.http_status);
        return fnv(h, e->u.error.message, strlen(e->u.error.message));
    case LG_EV_ORDER_UPDATE:
        h = fnv(h, e->u.update.broker_id, strlen(e->u.update.broker_id));
        h = fnv(h, &e->u.update.status, sizeof e->u.update.status);
        h = fnv(h, &e->u.update.filled, sizeof e->u.update.filled);
        return fnv(h, &e->u.update.avg_price, sizeof e->u.update.avg_price);
    case LG_EV_TICK:
        h = fnv(h, &e->u.tick.token, sizeof e->u.tick.token);
        h = fnv(h, &e->u.tick.ltp, sizeof e->u.tick.ltp);
        return fnv(h, &e->u.tick.bid, sizeof e->u.tick.bid);
    case LG_EV_POSITIONS:
        return fnv(h, &e->u.positions.n, sizeof e->u.positions.n);
    default:
        return h;
    }
}

/* A busy, hostile run: every fault on, jumps, a gap, ticks, orders, cancels, queries. */
static uint64_t busy_run(uint64_t seed, uint32_t *n_events) {
    lg_sim_knobs_t k = knobs();
    k.p_reject_random = 0.05;
    k.p_reject_margin = 0.05;
    k.p_partial = 0.5;
    k.p_drop_update = 0.1;
    k.p_dup_update = 0.1;
    k.p_reorder = 0.2;
    k.p_unknown_send = 0.05;
    k.p_no_liquidity = 0.3;
    k.jump_per_hour = 120;
    k.jump_pct = 1.0;
    fx_t *f = fx_new(seed, &k);
    lg_sim_subscribe(f->s, lg_sim_token(f->s, 0, LG_KIND_FUT, 0));
    lg_sim_subscribe(f->s, atm_ce(f));
    lg_sim_gap(f->s, 0, -2.0, 3 * LG_NS_PER_S);
    char tag[24];
    for (int i = 0; i < 40; i++) {
        uint32_t tok = lg_sim_token(f->s, 0, i % 2 ? LG_KIND_CE : LG_KIND_PE, i % 7 - 3);
        snprintf(tag, sizeof tag, "T%02d", i);
        place(f, tag, tok, i % 3 ? 1 : -1, i % 4 ? LG_OT_MARKET : LG_OT_LIMIT,
              LOT * (1 + i % 5), i % 4 ? 0 : lg_sim_ltp(f->s, tok), 5);
        fx_run(f, f->now + 150 * LG_NS_PER_MS);
        if (i % 5 == 0) request_tag(f, LG_CMD_CANCEL, tag, NULL);
        if (i % 6 == 0) request_tag(f, LG_CMD_QUERY_ORDER, tag, NULL);
        if (i % 10 == 0) request_tag(f, LG_CMD_QUERY_POSITIONS, "", NULL);
    }
    fx_run(f, 10 * LG_NS_PER_S);
    uint64_t h = 1469598103934665603ull;
    for (uint32_t i = 0; i < f->n; i++) h = hash_event(h, &f->log[i]);
    int64_t cash = lg_sim_cash(f->s);
    h = fnv(h, &cash, sizeof cash);
    *n_events = f->n;
    assert_int_equal(lg_sim_overflows(f->s), 0);
    fx_free(f);
    return h;
}

static void test_determinism(void **state) {
    (void)state;
    uint32_t n1, n2, n3;
    uint64_t a = busy_run(42, &n1), b = busy_run(42, &n2), c = busy_run(43, &n3);
    assert_int_equal(n1, n2);
    assert_true(a == b);
    assert_true(a != c);
    assert_true(n1 > 200);
}

/* ---- fills, positions, statuses -------------------------------------------------------- */

static void test_marketable_buy_fills(void **state) {
    (void)state;
    fx_t *f = fx_new(7, NULL);
    uint32_t tok = atm_ce(f);
    lg_paise_t bid, ask, ltp;
    assert_int_equal(lg_sim_quote(f->s, tok, &bid, &ask, &ltp), LG_OK);
    place(f, "BUY1", tok, 1, LG_OT_MARKET, 2 * LOT, 0, 5);
    assert_int_equal(lg_sim_orders_with_tag(f->s, "BUY1"), 1);
    assert_int_equal(lg_sim_open_orders(f->s), 1);
    fx_run(f, 50 * LG_NS_PER_MS); /* before the first market step: the quote is as read */
    const lg_event_t *ack = find_ev(f, LG_EV_ORDER_ACK, "BUY1", 0);
    assert_non_null(ack);
    assert_int_equal(strlen(ack->u.ack.broker_id), 19);
    const lg_event_t *u = last_update(f, "BUY1");
    assert_non_null(u);
    assert_int_equal(u->u.update.status, LG_KS_COMPLETE);
    assert_string_equal(u->u.update.broker_id, ack->u.ack.broker_id);
    assert_int_equal(u->u.update.quantity, 2 * LOT);
    assert_int_equal(u->u.update.filled, 2 * LOT);
    assert_int_equal(u->u.update.avg_price, ask);
    assert_int_equal(lg_sim_position(f->s, tok), 2 * LOT);
    assert_int_equal(lg_sim_cash(f->s), -2 * LOT * ask);
    assert_int_equal(lg_sim_open_orders(f->s), 0);
    assert_int_equal(lg_sim_order_count(f->s), 1);
    /* and a marketable sell at the bid */
    place(f, "SELL1", tok, -1, LG_OT_LIMIT, LOT, bid, 0);
    fx_run(f, 90 * LG_NS_PER_MS);
    assert_int_equal(last_update(f, "SELL1")->u.update.avg_price, bid);
    assert_int_equal(lg_sim_position(f->s, tok), LOT);
    assert_int_equal(lg_sim_cash(f->s), -2 * LOT * ask + LOT * bid);
    fx_free(f);
}

static int rank(lg_kstatus_t s) {
    switch (s) {
    case LG_KS_PUT_ORDER_REQ_RECEIVED: return 0;
    case LG_KS_VALIDATION_PENDING: return 1;
    case LG_KS_OPEN_PENDING: return 2;
    case LG_KS_OPEN: return 3;
    case LG_KS_COMPLETE: return 4;
    default: return -1;
    }
}

static void test_status_sequence(void **state) {
    (void)state;
    fx_t *f = fx_new(11, NULL);
    uint32_t tok = atm_ce(f);
    char tag[24];
    for (int i = 0; i < 24; i++) {
        snprintf(tag, sizeof tag, "S%02d", i);
        place(f, tag, tok, 1, LG_OT_MARKET, LOT, 0, -1);
    }
    fx_run(f, 1 * LG_NS_PER_S);
    int seen[5] = {0};
    for (int i = 0; i < 24; i++) {
        snprintf(tag, sizeof tag, "S%02d", i);
        int last = -1;
        bool acked = false;
        for (uint32_t j = 0; j < f->n; j++) {
            const lg_event_t *e = &f->log[j].ev;
            if (e->kind == LG_EV_ORDER_ACK && strcmp(e->u.ack.tag, tag) == 0) acked = true;
            if (e->kind != LG_EV_ORDER_UPDATE || strcmp(e->u.update.tag, tag) != 0) continue;
            assert_true(acked); /* the ack comes first */
            int r = rank(e->u.update.status);
            assert_true(r > last); /* strictly in Kite's order, no repeats */
            last = r;
            seen[r]++;
        }
        assert_int_equal(last, 4);
        assert_int_equal(count_updates(f, tag, LG_KS_OPEN), 1);
    }
    assert_int_equal(seen[3], 24);
    assert_int_equal(seen[4], 24);
    assert_true(seen[2] > 0 && seen[2] < 24); /* OPEN PENDING sometimes */
    assert_true(seen[0] > 0 && seen[1] >= seen[0]);
    assert_int_equal(lg_sim_position(f->s, tok), 24 * LOT);
    fx_free(f);
}

/* ---- refusals on the place call ------------------------------------------------------- */

static void test_freeze_rejected(void **state) {
    (void)state;
    fx_t *f = fx_new(3, NULL);
    place(f, "FRZ", atm_ce(f), 1, LG_OT_LIMIT, 30 * LOT, 40000, 0); /* 1950 > 1800 */
    place(f, "LOTS", atm_ce(f), 1, LG_OT_LIMIT, LOT + 1, 40000, 0);
    place(f, "OK", atm_ce(f), 1, LG_OT_LIMIT, 27 * LOT, 30000, 0); /* 1755 <= 1800 */
    fx_run(f, 20 * LG_NS_PER_MS);
    const lg_event_t *e = find_ev(f, LG_EV_ORDER_ERROR, "FRZ", 0);
    assert_non_null(e);
    assert_true(e->u.error.definitive);
    assert_false(e->u.error.is_cancel);
    assert_int_equal(e->u.error.http_status, 400);
    assert_string_equal(e->u.error.message, "Quantity 1950 exceeds the freeze limit 1800");
    e = find_ev(f, LG_EV_ORDER_ERROR, "LOTS", 0);
    assert_non_null(e);
    assert_string_equal(e->u.error.message, "Quantity 66 is not a multiple of the lot size 65");
    assert_int_equal(lg_sim_orders_with_tag(f->s, "FRZ"), 0);
    assert_int_equal(lg_sim_orders_with_tag(f->s, "LOTS"), 0);
    assert_int_equal(lg_sim_orders_with_tag(f->s, "OK"), 1);
    assert_null(find_ev(f, LG_EV_ORDER_ACK, "FRZ", 0));
    assert_non_null(find_ev(f, LG_EV_ORDER_ACK, "OK", 0));
    fx_free(f);
}

static void test_market_without_protection(void **state) {
    (void)state;
    fx_t *f = fx_new(3, NULL);
    place(f, "MKT0", atm_ce(f), 1, LG_OT_MARKET, LOT, 0, 0);
    lg_cmd_t c = cmd_place("SLM0", atm_ce(f), -1, LG_OT_SLM, LOT, 0, 0);
    c.trigger = 30000;
    lg_sim_request(f->s, &c, f->now);
    fx_run(f, 20 * LG_NS_PER_MS);
    for (int i = 0; i < 2; i++) {
        const lg_event_t *e = find_ev(f, LG_EV_ORDER_ERROR, i ? "SLM0" : "MKT0", 0);
        assert_non_null(e);
        assert_true(e->u.error.definitive);
        assert_int_equal(e->u.error.http_status, 400);
        assert_string_equal(e->u.error.message,
                            "Market orders without market protection are not allowed via API.");
    }
    assert_int_equal(lg_sim_order_count(f->s), 0);
    fx_free(f);
}

static void test_circuit_after_gap(void **state) {
    (void)state;
    lg_sim_knobs_t k = knobs();
    k.circuit_flex_ns = 30 * LG_NS_PER_S;
    fx_t *f = fx_new(5, &k);
    uint32_t tok = atm_ce(f);
    lg_paise_t lo, hi, bid, ask, ltp;
    assert_int_equal(lg_sim_band(f->s, tok, &lo, &hi), LG_OK);
    place(f, "PRE", tok, 1, LG_OT_MARKET, LOT, 0, 5);
    lg_sim_gap(f->s, 0, 6.0, 1 * LG_NS_PER_S); /* ~24000 -> ~25440: the call triples */
    fx_run(f, 1 * LG_NS_PER_S);
    assert_int_equal(last_update(f, "PRE")->u.update.status, LG_KS_COMPLETE);
    assert_true(lg_sim_underlying(f->s, 0) > 25000.0);
    assert_int_equal(lg_sim_quote(f->s, tok, &bid, &ask, &ltp), LG_OK);
    assert_int_equal(ask, hi); /* pinned at the upper circuit */
    assert_int_equal(ltp, hi);
    place(f, "POST", tok, 1, LG_OT_MARKET, LOT, 0, 5);
    place(f, "LIM", tok, 1, LG_OT_LIMIT, LOT, hi + 5, 0);
    place(f, "INB", tok, 1, LG_OT_LIMIT, LOT, hi, 0); /* at the band: accepted */
    fx_run(f, f->now + 50 * LG_NS_PER_MS);
    char want[160];
    snprintf(want, sizeof want,
             "Price %lld.%02lld is outside the circuit limits %lld.%02lld - %lld.%02lld",
             (long long)((hi + 5) / 100), (long long)((hi + 5) % 100), (long long)(lo / 100),
             (long long)(lo % 100), (long long)(hi / 100), (long long)(hi % 100));
    const lg_event_t *e = find_ev(f, LG_EV_ORDER_ERROR, "LIM", 0);
    assert_non_null(e);
    assert_int_equal(e->u.error.http_status, 400);
    assert_true(e->u.error.definitive);
    assert_string_equal(e->u.error.message, want);
    e = find_ev(f, LG_EV_ORDER_ERROR, "POST", 0);
    assert_non_null(e);
    assert_non_null(strstr(e->u.error.message, "outside the circuit limits"));
    assert_int_equal(lg_sim_orders_with_tag(f->s, "POST"), 0);
    assert_non_null(find_ev(f, LG_EV_ORDER_ACK, "INB", 0));
    assert_int_equal(last_update(f, "INB")->u.update.avg_price, hi);
    /* scripted circuit and margin rejections, then back to normal */
    lg_sim_reject_next(f->s, tok, LG_SIM_REJ_MARGIN, 1);
    place(f, "MRG", tok, -1, LG_OT_LIMIT, LOT, lo, 0);
    place(f, "AFT", tok, -1, LG_OT_LIMIT, LOT, lo, 0);
    fx_run(f, f->now + 50 * LG_NS_PER_MS);
    e = find_ev(f, LG_EV_ORDER_ERROR, "MRG", 0);
    assert_non_null(e);
    assert_int_equal(e->u.error.http_status, 400);
    assert_non_null(strstr(e->u.error.message, "margin"));
    assert_int_equal(last_update(f, "AFT")->u.update.status, LG_KS_COMPLETE);
    /* watched beyond its band for circuit_flex_ns (30 s), the band is re-centred */
    lg_sim_subscribe(f->s, tok);
    fx_run(f, 30 * LG_NS_PER_S);
    lg_paise_t lo2, hi2;
    lg_sim_band(f->s, tok, &lo2, &hi2);
    assert_int_equal(hi2, hi);
    fx_run(f, 32 * LG_NS_PER_S);
    lg_sim_band(f->s, tok, &lo2, &hi2);
    assert_true(lo2 > lo && hi2 > hi);
    lg_sim_quote(f->s, tok, &bid, &ask, &ltp);
    assert_true(ask < hi2 && bid > lo2 && bid > hi);
    place(f, "FLEX", tok, 1, LG_OT_MARKET, LOT, 0, 5);
    fx_run(f, f->now + 50 * LG_NS_PER_MS);
    assert_int_equal(last_update(f, "FLEX")->u.update.status, LG_KS_COMPLETE);
    fx_free(f);
}

static void test_lower_circuit_then_worthless(void **state) {
    (void)state;
    fx_t *f = fx_new(5, NULL); /* default flex: 10 s */
    uint32_t tok = lg_sim_token(f->s, 0, LG_KIND_PE, -4); /* 23800 PE */
    lg_paise_t lo, hi, bid, ask, ltp;
    lg_sim_band(f->s, tok, &lo, &hi);
    assert_true(lo > 5);
    lg_sim_gap(f->s, 0, 15.0, LG_NS_PER_S); /* the put becomes worthless */
    lg_sim_subscribe(f->s, tok);
    fx_run(f, 2 * LG_NS_PER_S);
    lg_sim_quote(f->s, tok, &bid, &ask, &ltp);
    assert_int_equal(bid, lo); /* pinned at the lower circuit */
    place(f, "LOCK", tok, -1, LG_OT_MARKET, LOT, 0, 5);
    place(f, "BUYOK", tok, 1, LG_OT_MARKET, LOT, 0, 5); /* the other side trades */
    fx_run(f, 3 * LG_NS_PER_S);
    const lg_event_t *e = find_ev(f, LG_EV_ORDER_ERROR, "LOCK", 0);
    assert_non_null(e);
    assert_non_null(strstr(e->u.error.message, "outside the circuit limits"));
    assert_int_equal(last_update(f, "BUYOK")->u.update.status, LG_KS_COMPLETE);
    /* flexed after 10 s to a band at the minimum price: no lower limit any more */
    fx_run(f, 12 * LG_NS_PER_S);
    lg_paise_t lo2, hi2;
    lg_sim_band(f->s, tok, &lo2, &hi2);
    assert_int_equal(lo2, 5);
    assert_int_equal(hi2, 20 * 5); /* ± 20 ticks around a fair value under 1 tick */
    lg_sim_quote(f->s, tok, &bid, &ask, &ltp);
    assert_int_equal(bid, 5); /* one tick wide: any protection crosses it */
    assert_int_equal(ask, 10);
    place(f, "WORTHLESS", tok, -1, LG_OT_MARKET, LOT, 0, 5);
    fx_run(f, 13 * LG_NS_PER_S);
    const lg_event_t *u = last_update(f, "WORTHLESS");
    assert_non_null(u);
    assert_int_equal(u->u.update.status, LG_KS_COMPLETE);
    assert_int_equal(u->u.update.avg_price, 5);
    assert_int_equal(lg_sim_position(f->s, tok), 0);
    fx_free(f);
}

static void test_scripted_rms_after(void **state) {
    (void)state;
    fx_t *f = fx_new(3, NULL);
    uint32_t tok = atm_ce(f);
    lg_sim_reject_after(f->s, tok, LG_SIM_REJ_RMS, 1, 1);
    place(f, "R1", tok, 1, LG_OT_MARKET, LOT, 0, 5);
    place(f, "R2", tok, 1, LG_OT_MARKET, LOT, 0, 5);
    place(f, "R3", tok, 1, LG_OT_MARKET, LOT, 0, 5);
    fx_run(f, 50 * LG_NS_PER_MS);
    assert_int_equal(last_update(f, "R1")->u.update.status, LG_KS_COMPLETE);
    const lg_event_t *u = last_update(f, "R2");
    assert_non_null(find_ev(f, LG_EV_ORDER_ACK, "R2", 0)); /* accepted, then rejected */
    assert_int_equal(u->u.update.status, LG_KS_REJECTED);
    assert_int_equal(u->u.update.filled, 0);
    assert_string_equal(u->u.update.message, "RMS: order blocked by risk management checks.");
    assert_int_equal(count_updates(f, "R2", LG_KS_OPEN), 0);
    assert_int_equal(last_update(f, "R3")->u.update.status, LG_KS_COMPLETE);
    assert_int_equal(lg_sim_position(f->s, tok), 2 * LOT);
    fx_free(f);
}

static void test_book_full(void **state) {
    (void)state;
    fx_t *f = fx_new_cfg(3, NULL, 2);
    place(f, "A1", atm_ce(f), 1, LG_OT_LIMIT, LOT, 30000, 0);
    place(f, "A2", atm_ce(f), 1, LG_OT_LIMIT, LOT, 30000, 0);
    place(f, "A3", atm_ce(f), 1, LG_OT_LIMIT, LOT, 30000, 0);
    fx_run(f, 20 * LG_NS_PER_MS);
    const lg_event_t *e = find_ev(f, LG_EV_ORDER_ERROR, "A3", 0);
    assert_non_null(e);
    assert_true(e->u.error.definitive);
    assert_string_equal(e->u.error.message, "simulator order book full");
    assert_int_equal(lg_sim_overflows(f->s), 1);
    assert_int_equal(lg_sim_order_count(f->s), 2);
    fx_free(f);
}

/* ---- cancels ---------------------------------------------------------------------------- */

static void test_cancel_open_order(void **state) {
    (void)state;
    fx_t *f = fx_new(9, NULL);
    uint32_t tok = atm_ce(f);
    lg_paise_t bid, ask, ltp;
    lg_sim_quote(f->s, tok, &bid, &ask, &ltp);
    place(f, "REST", tok, 1, LG_OT_LIMIT, 3 * LOT, bid - 2000, 0); /* 20 rupees under */
    fx_run(f, 500 * LG_NS_PER_MS);
    assert_int_equal(last_update(f, "REST")->u.update.status, LG_KS_OPEN);
    assert_int_equal(lg_sim_open_orders(f->s), 1);
    const lg_event_t *ack = find_ev(f, LG_EV_ORDER_ACK, "REST", 0);
    request_tag(f, LG_CMD_CANCEL, "REST", ack->u.ack.broker_id);
    fx_run(f, 600 * LG_NS_PER_MS);
    const lg_event_t *u = last_update(f, "REST");
    assert_int_equal(u->u.update.status, LG_KS_CANCELLED);
    assert_int_equal(u->u.update.filled, 0);
    assert_int_equal(u->u.update.quantity, 3 * LOT);
    assert_int_equal(lg_sim_open_orders(f->s), 0);
    assert_int_equal(lg_sim_position(f->s, tok), 0);
    assert_null(find_ev(f, LG_EV_ORDER_ERROR, "REST", 0));
    /* a second cancel finds it terminal */
    request_tag(f, LG_CMD_CANCEL, "REST", NULL);
    fx_run(f, 700 * LG_NS_PER_MS);
    const lg_event_t *e = find_ev(f, LG_EV_ORDER_ERROR, "REST", 0);
    assert_non_null(e);
    assert_true(e->u.error.is_cancel && e->u.error.definitive);
    fx_free(f);
}

static void test_cancel_before_open(void **state) {
    (void)state;
    lg_sim_knobs_t k = knobs();
    k.ack_min_ns = k.ack_max_ns = LG_NS_PER_MS; /* the cancel lands before the open */
    fx_t *f = fx_new(9, &k);
    uint32_t tok = atm_ce(f);
    place(f, "EARLY", tok, 1, LG_OT_MARKET, LOT, 0, 5);
    request_tag(f, LG_CMD_CANCEL, "EARLY", NULL);
    fx_run(f, 500 * LG_NS_PER_MS);
    const lg_event_t *u = last_update(f, "EARLY");
    assert_int_equal(u->u.update.status, LG_KS_CANCELLED);
    assert_int_equal(u->u.update.filled, 0);
    assert_int_equal(count_updates(f, "EARLY", LG_KS_OPEN), 0);
    assert_int_equal(lg_sim_position(f->s, tok), 0);
    assert_int_equal(lg_sim_open_orders(f->s), 0);
    fx_free(f);
}

static void test_cancel_keeps_partial_fill(void **state) {
    (void)state;
    lg_sim_knobs_t k = knobs();
    k.p_partial = 1.0;
    fx_t *f = fx_new(21, &k);
    uint32_t tok = atm_ce(f);
    place(f, "PART", tok, 1, LG_OT_MARKET, 12 * LOT, 0, 5);
    /* stop at the first fill at the exchange, halt the instrument, cancel */
    for (int i = 0; i < 1000 && lg_sim_position(f->s, tok) == 0; i++)
        assert_true(fx_step(f, LG_NS_PER_S));
    lg_qty_t held = lg_sim_position(f->s, tok);
    assert_true(held > 0 && held < 12 * LOT && held % LOT == 0);
    lg_sim_halt(f->s, tok, true);
    request_tag(f, LG_CMD_CANCEL, "PART", NULL);
    fx_run(f, 2 * LG_NS_PER_S);
    const lg_event_t *u = last_update(f, "PART");
    assert_int_equal(u->u.update.status, LG_KS_CANCELLED);
    assert_int_equal(u->u.update.filled, held);
    assert_int_equal(lg_sim_position(f->s, tok), held);
    assert_true(u->u.update.avg_price > 0);
    assert_int_equal(lg_sim_open_orders(f->s), 0);
    fx_free(f);
}

static void test_cancel_loses_race(void **state) {
    (void)state;
    fx_t *f = fx_new(13, NULL);
    uint32_t tok = atm_ce(f);
    place(f, "RACE", tok, -1, LG_OT_MARKET, LOT, 0, 5);
    /* the fill has happened at the exchange but the client has not heard of it */
    for (int i = 0; i < 1000 && lg_sim_position(f->s, tok) == 0; i++)
        assert_true(fx_step(f, LG_NS_PER_S));
    assert_int_equal(lg_sim_position(f->s, tok), -LOT);
    assert_int_equal(count_updates(f, "RACE", LG_KS_COMPLETE), 0);
    request_tag(f, LG_CMD_CANCEL, "RACE", NULL);
    fx_run(f, LG_NS_PER_S);
    const lg_event_t *e = find_ev(f, LG_EV_ORDER_ERROR, "RACE", 0);
    assert_non_null(e);
    assert_true(e->u.error.is_cancel);
    assert_true(e->u.error.definitive);
    assert_string_equal(e->u.error.message,
                        "Order cannot be cancelled as it is being processed / already complete");
    assert_int_equal(count_updates(f, "RACE", LG_KS_COMPLETE), 1);
    assert_int_equal(count_updates(f, "RACE", LG_KS_CANCELLED), 0);
    assert_int_equal(last_update(f, "RACE")->u.update.filled, LOT);
    fx_free(f);
}

/* ---- queries and ambiguous sends --------------------------------------------------------- */

static void test_query_unknown_tag(void **state) {
    (void)state;
    fx_t *f = fx_new(3, NULL);
    request_tag(f, LG_CMD_QUERY_ORDER, "LNOSUCH", NULL);
    fx_run(f, 20 * LG_NS_PER_MS);
    assert_int_equal(f->n, 1);
    const lg_event_t *e = find_ev(f, LG_EV_ORDER_ERROR, "LNOSUCH", 0);
    assert_non_null(e);
    assert_true(e->u.error.definitive);
    assert_false(e->u.error.is_cancel);
    assert_true(e->u.error.is_lookup);
    assert_string_equal(e->u.error.message, "no order with tag LNOSUCH");
    fx_free(f);
}

static void test_unknown_send_is_placed(void **state) {
    (void)state;
    lg_sim_knobs_t k = knobs();
    k.p_unknown_send = 1.0;
    fx_t *f = fx_new(17, &k);
    uint32_t tok = atm_ce(f);
    place(f, "UNK", tok, 1, LG_OT_MARKET, 2 * LOT, 0, 5);
    fx_run(f, 100 * LG_NS_PER_MS);
    const lg_event_t *e = find_ev(f, LG_EV_ORDER_ERROR, "UNK", 0);
    assert_non_null(e);
    assert_false(e->u.error.definitive);
    assert_int_equal(e->u.error.http_status, 504);
    assert_null(find_ev(f, LG_EV_ORDER_ACK, "UNK", 0));
    assert_int_equal(lg_sim_orders_with_tag(f->s, "UNK"), 1);
    assert_int_equal(lg_sim_position(f->s, tok), 2 * LOT);
    const lg_event_t *u = last_update(f, "UNK");
    assert_int_equal(u->u.update.status, LG_KS_COMPLETE);
    assert_int_equal(strlen(u->u.update.broker_id), 19);
    uint32_t before = f->n;
    request_tag(f, LG_CMD_QUERY_ORDER, "UNK", NULL);
    fx_run(f, 200 * LG_NS_PER_MS);
    assert_int_equal(f->n, before + 1);
    u = &f->log[before].ev;
    assert_int_equal(u->kind, LG_EV_ORDER_UPDATE);
    assert_int_equal(u->u.update.status, LG_KS_COMPLETE);
    assert_int_equal(u->u.update.filled, 2 * LOT);
    fx_free(f);
}

static void test_lost_send_is_not_placed(void **state) {
    (void)state;
    lg_sim_knobs_t k = knobs();
    k.p_lost_send = 1.0;
    fx_t *f = fx_new(17, &k);
    place(f, "LOST", atm_ce(f), 1, LG_OT_MARKET, LOT, 0, 5);
    fx_run(f, 100 * LG_NS_PER_MS);
    const lg_event_t *e = find_ev(f, LG_EV_ORDER_ERROR, "LOST", 0);
    assert_non_null(e);
    assert_false(e->u.error.definitive);
    assert_int_equal(lg_sim_orders_with_tag(f->s, "LOST"), 0);
    request_tag(f, LG_CMD_QUERY_ORDER, "LOST", NULL);
    fx_run(f, 200 * LG_NS_PER_MS);
    e = find_ev(f, LG_EV_ORDER_ERROR, "LOST", 1);
    assert_non_null(e);
    assert_true(e->u.error.definitive);
    assert_string_equal(e->u.error.message, "no order with tag LOST");
    fx_free(f);
}

/* ---- update faults ------------------------------------------------------------------------ */

static void test_dropped_updates(void **state) {
    (void)state;
    lg_sim_knobs_t k = knobs();
    k.p_drop_update = 1.0;
    fx_t *f = fx_new(19, &k);
    uint32_t tok = atm_ce(f);
    place(f, "DROP", tok, 1, LG_OT_MARKET, LOT, 0, 5);
    fx_run(f, 100 * LG_NS_PER_MS);
    assert_non_null(find_ev(f, LG_EV_ORDER_ACK, "DROP", 0));
    assert_null(last_update(f, "DROP"));
    assert_int_equal(f->n, 1);
    assert_int_equal(lg_sim_position(f->s, tok), LOT);
    request_tag(f, LG_CMD_QUERY_ORDER, "DROP", NULL); /* answers are never dropped */
    fx_run(f, 200 * LG_NS_PER_MS);
    const lg_event_t *u = last_update(f, "DROP");
    assert_non_null(u);
    assert_int_equal(u->u.update.status, LG_KS_COMPLETE);
    assert_int_equal(u->u.update.filled, LOT);
    fx_free(f);
}

static void test_duplicated_updates(void **state) {
    (void)state;
    lg_sim_knobs_t k = knobs();
    k.p_dup_update = 1.0;
    fx_t *f = fx_new(19, &k);
    place(f, "DUP", atm_ce(f), 1, LG_OT_MARKET, LOT, 0, 5);
    fx_run(f, 100 * LG_NS_PER_MS);
    assert_int_equal(count_updates(f, "DUP", LG_KS_OPEN), 2);
    assert_int_equal(count_updates(f, "DUP", LG_KS_COMPLETE), 2);
    int transient = count_updates(f, "DUP", LG_KS_OPEN_PENDING) +
                    count_updates(f, "DUP", LG_KS_VALIDATION_PENDING) +
                    count_updates(f, "DUP", LG_KS_PUT_ORDER_REQ_RECEIVED);
    assert_int_equal(transient % 2, 0);
    int acks = 0;
    for (uint32_t i = 0; i < f->n; i++) acks += f->log[i].ev.kind == LG_EV_ORDER_ACK;
    assert_int_equal(acks, 1);
    fx_free(f);
}

/* ---- halts, partial fills, stops ----------------------------------------------------------- */

static void test_halted_does_not_fill(void **state) {
    (void)state;
    fx_t *f = fx_new(23, NULL);
    uint32_t tok = atm_ce(f);
    lg_sim_halt(f->s, tok, true);
    place(f, "HALT", tok, 1, LG_OT_MARKET, LOT, 0, 5);
    fx_run(f, 5 * LG_NS_PER_S);
    assert_int_equal(last_update(f, "HALT")->u.update.status, LG_KS_OPEN);
    assert_int_equal(lg_sim_position(f->s, tok), 0);
    assert_int_equal(lg_sim_open_orders(f->s), 1);
    assert_true(lg_sim_next_time(f->s) <= 5 * LG_NS_PER_S + 100 * LG_NS_PER_MS); /* resting */
    lg_sim_halt(f->s, tok, false);
    fx_run(f, 6 * LG_NS_PER_S);
    assert_int_equal(lg_sim_position(f->s, tok), LOT);
    assert_int_equal(last_update(f, "HALT")->u.update.status, LG_KS_COMPLETE);
    /* delayed fills: open until the given time */
    lg_sim_delay_fills(f->s, tok, 8 * LG_NS_PER_S);
    place(f, "DLY", tok, 1, LG_OT_MARKET, LOT, 0, 5);
    fx_run(f, 7900 * LG_NS_PER_MS);
    assert_int_equal(lg_sim_position(f->s, tok), LOT);
    fx_run(f, 8200 * LG_NS_PER_MS);
    assert_int_equal(lg_sim_position(f->s, tok), 2 * LOT);
    fx_free(f);
}

static void test_partial_fills_sum(void **state) {
    (void)state;
    lg_sim_knobs_t k = knobs();
    k.p_partial = 1.0;
    fx_t *f = fx_new(29, &k);
    uint32_t tok = lg_sim_token(f->s, 0, LG_KIND_PE, -2);
    place(f, "PF", tok, -1, LG_OT_MARKET, 10 * LOT, 0, 10);
    fx_run(f, LG_NS_PER_S);
    lg_qty_t prev = 0;
    int pieces = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        const lg_event_t *e = &f->log[i].ev;
        if (e->kind != LG_EV_ORDER_UPDATE || e->u.update.filled == prev) continue;
        assert_true(e->u.update.filled > prev);
        assert_int_equal((e->u.update.filled - prev) % LOT, 0);
        assert_int_equal(e->u.update.status,
                         e->u.update.filled == 10 * LOT ? LG_KS_COMPLETE : LG_KS_OPEN);
        prev = e->u.update.filled;
        pieces++;
    }
    assert_int_equal(prev, 10 * LOT);
    assert_true(pieces >= 2 && pieces <= 4);
    assert_int_equal(lg_sim_position(f->s, tok), -10 * LOT);
    lg_paise_t avg = last_update(f, "PF")->u.update.avg_price;
    int64_t diff = lg_sim_cash(f->s) - avg * 10 * LOT; /* avg is the value rounded */
    assert_true(diff >= -5 * LOT && diff <= 5 * LOT);
    fx_free(f);
}

static void test_stop_orders(void **state) {
    (void)state;
    lg_sim_knobs_t k = knobs();
    k.vol_annual = 0.0;
    fx_t *f = fx_new(31, &k);
    uint32_t tok = atm_ce(f);
    lg_paise_t ltp = lg_sim_ltp(f->s, tok);
    /* SL sells below the market wait; a gap down triggers them */
    lg_cmd_t c = cmd_place("SLS", tok, -1, LG_OT_SL, LOT, ltp - 10000, 0);
    c.trigger = ltp - 5000;
    lg_sim_request(f->s, &c, f->now);
    c = cmd_place("SLG", tok, -1, LG_OT_SL, LOT, ltp - 2000, 0); /* limit too close */
    c.trigger = ltp - 1000;
    lg_sim_request(f->s, &c, f->now);
    /* SL-M buy with its trigger already passed is rejected at the exchange */
    c = cmd_place("SLB", tok, 1, LG_OT_SLM, LOT, 0, 5);
    c.trigger = ltp - 5000;
    lg_sim_request(f->s, &c, f->now);
    fx_run(f, 500 * LG_NS_PER_MS);
    assert_int_equal(last_update(f, "SLS")->u.update.status, LG_KS_TRIGGER_PENDING);
    assert_int_equal(last_update(f, "SLG")->u.update.status, LG_KS_TRIGGER_PENDING);
    const lg_event_t *u = last_update(f, "SLB");
    assert_int_equal(u->u.update.status, LG_KS_REJECTED);
    assert_string_equal(u->u.update.message,
                        "Trigger price for stoploss buy orders should be higher than the last "
                        "traded price.");
    lg_sim_gap(f->s, 0, -0.5, LG_NS_PER_S); /* the call loses about 60 rupees */
    fx_run(f, 2 * LG_NS_PER_S);
    lg_paise_t bid, ask, now_ltp;
    lg_sim_quote(f->s, tok, &bid, &ask, &now_ltp);
    assert_true(now_ltp <= ltp - 5000 && bid >= ltp - 10000 && bid < ltp - 2000);
    assert_int_equal(lg_sim_position(f->s, tok), -LOT);
    u = last_update(f, "SLS");
    assert_int_equal(u->u.update.status, LG_KS_COMPLETE);
    assert_int_equal(u->u.update.avg_price, bid);
    assert_int_equal(count_updates(f, "SLS", LG_KS_OPEN), 1); /* triggered */
    /* the gap went through SLG's limit: triggered, open, unfilled */
    u = last_update(f, "SLG");
    assert_int_equal(u->u.update.status, LG_KS_OPEN);
    assert_int_equal(u->u.update.filled, 0);
    assert_int_equal(lg_sim_open_orders(f->s), 1);
    fx_free(f);
}

/* ---- market data and positions -------------------------------------------------------------- */

/* Options tick every option_tick_every-th round, futures every round. */
static void test_option_ticks_thinner(void **state) {
    (void)state;
    fx_t *f = fx_new(37, NULL); /* default: options every 10th round of 100 ms */
    uint32_t fut = lg_sim_token(f->s, 0, LG_KIND_FUT, 0), ce = atm_ce(f);
    lg_sim_subscribe(f->s, ce);
    assert_int_equal(lg_sim_next_time(f->s), LG_NS_PER_S); /* an option alone: round 10 */
    lg_sim_subscribe(f->s, fut);
    fx_run(f, 2 * LG_NS_PER_S);
    uint32_t n_fut = 0, n_ce = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        const lg_event_t *e = &f->log[i].ev;
        assert_int_equal(e->kind, LG_EV_TICK);
        if (e->u.tick.token == ce) {
            n_ce++;
            assert_int_equal(f->log[i].t % LG_NS_PER_S, 0);
        } else {
            n_fut++;
        }
    }
    assert_int_equal(n_ce, 2);
    assert_true(n_fut >= 10);
    fx_free(f);
}

static void test_ticks(void **state) {
    (void)state;
    lg_sim_knobs_t k;
    lg_sim_knobs_default(&k);
    k.option_tick_every = 1;
    fx_t *f = fx_new(37, &k);
    uint32_t fut = lg_sim_token(f->s, 0, LG_KIND_FUT, 0), ce = atm_ce(f);
    lg_sim_subscribe(f->s, fut);
    lg_sim_subscribe(f->s, ce);
    lg_sim_subscribe(f->s, 999); /* not ours: ignored */
    assert_int_equal(lg_sim_next_time(f->s), 100 * LG_NS_PER_MS);
    fx_run(f, LG_NS_PER_S);
    assert_int_equal(f->n, 20);
    for (uint32_t i = 0; i < f->n; i++) {
        const lg_event_t *e = &f->log[i].ev;
        assert_int_equal(e->kind, LG_EV_TICK);
        assert_int_equal(e->u.tick.token, i % 2 ? ce : fut);
        assert_int_equal(f->log[i].t, (lg_ns_t)(i / 2 + 1) * 100 * LG_NS_PER_MS);
        assert_true(e->u.tick.bid <= e->u.tick.ltp && e->u.tick.ltp <= e->u.tick.ask);
    }
    /* the future follows the underlying */
    double spot = lg_sim_underlying(f->s, 0);
    lg_paise_t fl = f->log[f->n - 2].ev.u.tick.ltp;
    assert_true(fl >= (lg_paise_t)(spot * 100) - 200 && fl <= (lg_paise_t)(spot * 100) + 200);
    fx_free(f);
}

static void test_positions_event(void **state) {
    (void)state;
    fx_t *f = fx_new(41, NULL);
    uint32_t ce = atm_ce(f), pe = lg_sim_token(f->s, 0, LG_KIND_PE, -1);
    place(f, "PCE", ce, 1, LG_OT_MARKET, 2 * LOT, 0, 5);
    place(f, "PPE", pe, -1, LG_OT_MARKET, LOT, 0, 5);
    fx_run(f, 50 * LG_NS_PER_MS);
    request_tag(f, LG_CMD_QUERY_POSITIONS, "", NULL);
    fx_run(f, 100 * LG_NS_PER_MS);
    assert_int_equal(f->log[f->n - 1].ev.kind, LG_EV_POSITIONS);
    assert_int_equal(f->n_rows, 2);
    assert_true(pe < ce); /* rows come in instrument order: the 23950 PE before the 24000 CE */
    assert_int_equal(f->rows[0].token, pe);
    assert_int_equal(f->rows[0].qty, -LOT);
    assert_int_equal(f->rows[1].token, ce);
    assert_int_equal(f->rows[1].qty, 2 * LOT);
    fx_free(f);
}

/* The fill journal lists every exchange fill in order, signed, with its tag, and
 * agrees with positions. */
static void test_fill_journal(void **state) {
    (void)state;
    lg_sim_knobs_t k = knobs();
    k.p_partial = 1.0;
    fx_t *f = fx_new(31, &k);
    uint32_t tok = lg_sim_token(f->s, 0, LG_KIND_PE, -2);
    assert_true(lg_sim_fill_count(f->s) == 0);
    place(f, "FJ", tok, -1, LG_OT_MARKET, 10 * LOT, 0, 10);
    fx_run(f, LG_NS_PER_S);
    uint64_t n = lg_sim_fill_count(f->s);
    assert_true(n >= 2 && n <= 4);
    lg_qty_t sum = 0;
    lg_ns_t last = 0;
    for (uint64_t i = 0; i < n; i++) {
        lg_sim_fill_t fl;
        assert_int_equal(lg_sim_fill(f->s, i, &fl), LG_OK);
        assert_string_equal(fl.tag, "FJ");
        assert_int_equal(fl.token, tok);
        assert_true(fl.qty < 0 && fl.qty % LOT == 0 && fl.price > 0 && fl.at >= last);
        last = fl.at;
        sum += fl.qty;
    }
    assert_int_equal(sum, lg_sim_position(f->s, tok));
    lg_sim_fill_t fl;
    assert_int_equal(lg_sim_fill(f->s, n, &fl), LG_ERANGE);
    fx_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_journal),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_marketable_buy_fills),
        cmocka_unit_test(test_status_sequence),
        cmocka_unit_test(test_freeze_rejected),
        cmocka_unit_test(test_market_without_protection),
        cmocka_unit_test(test_circuit_after_gap),
        cmocka_unit_test(test_lower_circuit_then_worthless),
        cmocka_unit_test(test_scripted_rms_after),
        cmocka_unit_test(test_book_full),
        cmocka_unit_test(test_cancel_open_order),
        cmocka_unit_test(test_cancel_before_open),
        cmocka_unit_test(test_cancel_keeps_partial_fill),
        cmocka_unit_test(test_cancel_loses_race),
        cmocka_unit_test(test_query_unknown_tag),
        cmocka_unit_test(test_unknown_send_is_placed),
        cmocka_unit_test(test_lost_send_is_not_placed),
        cmocka_unit_test(test_dropped_updates),
        cmocka_unit_test(test_duplicated_updates),
        cmocka_unit_test(test_halted_does_not_fill),
        cmocka_unit_test(test_partial_fills_sum),
        cmocka_unit_test(test_stop_orders),
        cmocka_unit_test(test_ticks),
        cmocka_unit_test(test_option_ticks_thinner),
        cmocka_unit_test(test_positions_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
