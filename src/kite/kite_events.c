/*
 * kite_events.c — Kite's answers and reports as the engine's events, with the same
 * meaning the exchange model gives them: a place answered is an ACK or an ORDER_ERROR
 * (definitive, or unknown: the engine then looks the order up by its tag, never sends it
 * again); a refused cancel is an ORDER_ERROR with is_cancel; a look-up finds the order
 * (ORDER_UPDATE) or misses it (ORDER_ERROR with is_lookup). Kite's 429 is no event: the
 * request did nothing and is sent again after the backoff.
 */
#include "legato/kite.h"
#include "legato/ticker.h"

#include <stdio.h>
#include <string.h>

static lg_kite_next_t error_event(const lg_cmd_t *c, const lg_kite_answer_t *a, bool cancel,
                                  bool lookup, lg_event_t *ev) {
    memset(ev, 0, sizeof *ev);
    ev->kind = LG_EV_ORDER_ERROR;
    lg_strlcpy(ev->u.error.tag, c->tag, sizeof ev->u.error.tag);
    ev->u.error.definitive = a->definitive;
    ev->u.error.is_cancel = cancel;
    ev->u.error.is_lookup = lookup;
    ev->u.error.http_status = a->http;
    lg_strlcpy(ev->u.error.message, a->message, sizeof ev->u.error.message);
    return LG_KITE_EVENT;
}

lg_kite_next_t lg_kite_place_answer(const lg_cmd_t *c, int http, const char *content_type,
                                    const char *body, size_t len, lg_event_t *ev,
                                    lg_kite_answer_t *a) {
    LG_ASSERT(c != NULL && c->kind == LG_CMD_PLACE && ev != NULL && (body != NULL || len == 0));
    lg_kite_answer_t local, *ans = a != NULL ? a : &local;
    lg_kite_classify(http, content_type, body, len, ans);
    if (ans->backoff) return LG_KITE_RETRY;
    if (!ans->ok) return error_event(c, ans, false, false, ev);
    char id[LG_BROKER_ID_MAX], err[LG_STATUS_MSG_MAX];
    if (lg_kite_parse_order_id(body, len, id, sizeof id, err, sizeof err) != LG_OK) {
        /* a success we cannot read: the order may exist, so its outcome is unknown */
        ans->ok = false;
        ans->definitive = false;
        snprintf(ans->message, sizeof ans->message, "place answer unreadable: %.60s", err);
        return error_event(c, ans, false, false, ev);
    }
    memset(ev, 0, sizeof *ev);
    ev->kind = LG_EV_ORDER_ACK;
    lg_strlcpy(ev->u.ack.tag, c->tag, sizeof ev->u.ack.tag);
    lg_strlcpy(ev->u.ack.broker_id, id, sizeof ev->u.ack.broker_id);
    return LG_KITE_EVENT;
}

lg_kite_next_t lg_kite_cancel_answer(const lg_cmd_t *c, int http, const char *content_type,
                                     const char *body, size_t len, lg_event_t *ev,
                                     lg_kite_answer_t *a) {
    LG_ASSERT(c != NULL && c->kind == LG_CMD_CANCEL && ev != NULL && (body != NULL || len == 0));
    lg_kite_answer_t local, *ans = a != NULL ? a : &local;
    lg_kite_classify(http, content_type, body, len, ans);
    if (ans->backoff) return LG_KITE_RETRY;
    if (ans->ok || !ans->definitive) return LG_KITE_NOTHING;
    return error_event(c, ans, true, false, ev);
}

/* The row of the book or history that is the order: by tag in the book, the last row
 * of a history. -1 when absent. */
static int find_row(const lg_cmd_t *c, const lg_adopt_t *rows, uint32_t n) {
    if (c->broker_id[0] != '\0') return n > 0 ? (int)n - 1 : -1;
    for (uint32_t i = n; i-- > 0;)
        if (strcmp(rows[i].u.tag, c->tag) == 0) return (int)i;
    return -1;
}

/* Kite allows 5 000 orders a day per account: the day's book fits. */
#define LOOKUP_ROWS 8192

lg_kite_next_t lg_kite_lookup_answer(const lg_cmd_t *c, int http, const char *content_type,
                                     const char *body, size_t len, lg_event_t *ev,
                                     lg_kite_answer_t *a) {
    LG_ASSERT(c != NULL && c->kind == LG_CMD_QUERY_ORDER && ev != NULL && (body != NULL || len == 0));
    static lg_adopt_t rows[LOOKUP_ROWS]; /* one look-up at a time: the shell's thread */
    lg_kite_answer_t local, *ans = a != NULL ? a : &local;
    lg_kite_classify(http, content_type, body, len, ans);
    if (ans->backoff) return LG_KITE_RETRY;
    if (!ans->ok) return ans->definitive ? error_event(c, ans, false, true, ev) : LG_KITE_NOTHING;
    uint32_t n = 0;
    char err[LG_STATUS_MSG_MAX];
    int rc = lg_kite_parse_orders(body, len, rows, LOOKUP_ROWS, &n, err, sizeof err);
    if (rc != LG_OK) {
        ans->ok = false;
        snprintf(ans->message, sizeof ans->message, "look-up answer unreadable: %.60s", err);
        return LG_KITE_NOTHING;
    }
    int i = find_row(c, rows, n);
    if (i < 0) {
        ans->definitive = true;
        snprintf(ans->message, sizeof ans->message, "no order with tag %.20s in the order book",
                 c->tag);
        return error_event(c, ans, false, true, ev);
    }
    lg_kite_update_event(&rows[i], ev);
    return LG_KITE_EVENT;
}

void lg_kite_update_event(const lg_adopt_t *o, lg_event_t *ev) {
    LG_ASSERT(o != NULL && ev != NULL);
    memset(ev, 0, sizeof *ev);
    ev->kind = LG_EV_ORDER_UPDATE;
    ev->u.update = o->u;
}

int lg_kite_positions_event(const char *body, size_t len, lg_position_row_t *rows, uint32_t cap,
                            lg_event_t *ev, char *err, size_t errcap) {
    LG_ASSERT(ev != NULL && (rows != NULL || cap == 0));
    uint32_t n = 0;
    int rc = lg_kite_parse_positions(body, len, rows, cap, &n, err, errcap);
    if (rc != LG_OK) return rc;
    memset(ev, 0, sizeof *ev);
    ev->kind = LG_EV_POSITIONS;
    ev->u.positions.rows = rows;
    ev->u.positions.n = n;
    return LG_OK;
}

int lg_kite_margins_event(const char *body, size_t len, lg_event_t *ev, char *err,
                          size_t errcap) {
    LG_ASSERT(ev != NULL);
    lg_kite_margins_t m;
    int rc = lg_kite_parse_margins(body, len, &m, err, errcap);
    if (rc != LG_OK) return rc;
    if (!m.enabled) {
        snprintf(err, errcap, "data.equity.enabled is false: the equity segment is off");
        return LG_EPARSE;
    }
    if (m.debits < 0) {
        snprintf(err, errcap, "data.equity.utilised.debits is negative");
        return LG_EPARSE;
    }
    memset(ev, 0, sizeof *ev);
    ev->kind = LG_EV_MARGINS;
    ev->u.margins.available = m.net;
    ev->u.margins.used = m.debits;
    return LG_OK;
}

void lg_ticker_tick_event(const lg_tick_t *t, lg_event_t *ev) {
    LG_ASSERT(t != NULL && ev != NULL);
    memset(ev, 0, sizeof *ev);
    ev->kind = LG_EV_TICK;
    ev->u.tick.token = t->token;
    ev->u.tick.ltp = t->ltp;
    if (t->mode == LG_TICK_FULL && !t->index) {
        ev->u.tick.bid = t->bid[0].price;
        ev->u.tick.ask = t->ask[0].price;
    }
}
