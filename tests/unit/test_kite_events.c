/*
 * test_kite_events.c — Kite's answers as the engine's events: a place answered (ack),
 * refused (definitive error), timed out or answered by a proxy's page (unknown), rate
 * limited (retry, no event), or answered with a success that does not read (unknown);
 * cancels accepted, refused, unknown; look-ups by tag in the book and by id in the
 * history, found and missed; positions; ticks with and without depth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "legato/kite.h"
#include "legato/ticker.h"

static lg_cmd_t cmd(lg_cmd_kind_t k) {
    lg_cmd_t c = {.kind = k, .token = 12345, .side = -1, .qty = 130, .mprot_pct = 3};
    snprintf(c.tag, sizeof c.tag, "L0000001002E00");
    return c;
}

#define JSON "application/json"

static void test_place(void **st) {
    (void)st;
    lg_cmd_t c = cmd(LG_CMD_PLACE);
    lg_event_t ev;
    lg_kite_answer_t a;
    char *ok = lg_kite_json_order_id("2600000000000000042");
    assert_int_equal(lg_kite_place_answer(&c, 200, JSON, ok, strlen(ok), &ev, &a), LG_KITE_EVENT);
    assert_int_equal(ev.kind, LG_EV_ORDER_ACK);
    assert_string_equal(ev.u.ack.tag, c.tag);
    assert_string_equal(ev.u.ack.broker_id, "2600000000000000042");
    free(ok);

    char *margin = lg_kite_json_error(LG_KITE_E_MARGIN, "Insufficient funds. Required margin is 95417.84");
    assert_int_equal(lg_kite_place_answer(&c, 400, JSON, margin, strlen(margin), &ev, &a), LG_KITE_EVENT);
    assert_int_equal(ev.kind, LG_EV_ORDER_ERROR);
    assert_true(ev.u.error.definitive && !ev.u.error.is_cancel && !ev.u.error.is_lookup);
    assert_int_equal(ev.u.error.http_status, 400);
    assert_non_null(strstr(ev.u.error.message, "Insufficient funds"));
    free(margin);

    char *token = lg_kite_json_error(LG_KITE_E_TOKEN, "Incorrect `api_key` or `access_token`.");
    assert_int_equal(lg_kite_place_answer(&c, 403, JSON, token, strlen(token), &ev, &a), LG_KITE_EVENT);
    assert_true(ev.u.error.definitive && a.halt);
    free(token);

    assert_int_equal(lg_kite_place_answer(&c, 0, NULL, "", 0, &ev, &a), LG_KITE_EVENT); /* timeout */
    assert_false(ev.u.error.definitive);
    const char *html = "<html><body>502 Bad Gateway</body></html>";
    assert_int_equal(lg_kite_place_answer(&c, 502, "text/html", html, strlen(html), &ev, &a), LG_KITE_EVENT);
    assert_false(ev.u.error.definitive);

    char *rate = lg_kite_json_error(LG_KITE_E_GENERAL, "Too many requests");
    memset(&ev, 0x77, sizeof ev);
    assert_int_equal(lg_kite_place_answer(&c, 429, JSON, rate, strlen(rate), &ev, &a), LG_KITE_RETRY);
    assert_true(a.backoff);
    free(rate);

    const char *odd = "{\"status\":\"success\",\"data\":{\"id\":5}}";
    assert_int_equal(lg_kite_place_answer(&c, 200, JSON, odd, strlen(odd), &ev, &a), LG_KITE_EVENT);
    assert_int_equal(ev.kind, LG_EV_ORDER_ERROR);
    assert_false(ev.u.error.definitive); /* the order may exist: look it up */
}

static void test_cancel(void **st) {
    (void)st;
    lg_cmd_t c = cmd(LG_CMD_CANCEL);
    snprintf(c.broker_id, sizeof c.broker_id, "2600000000000000042");
    lg_event_t ev;
    char *ok = lg_kite_json_order_id(c.broker_id);
    assert_int_equal(lg_kite_cancel_answer(&c, 200, JSON, ok, strlen(ok), &ev, NULL), LG_KITE_NOTHING);
    free(ok);
    char *done = lg_kite_json_error(LG_KITE_E_ORDER, "Order cannot be cancelled as it is being processed");
    assert_int_equal(lg_kite_cancel_answer(&c, 400, JSON, done, strlen(done), &ev, NULL), LG_KITE_EVENT);
    assert_true(ev.kind == LG_EV_ORDER_ERROR && ev.u.error.is_cancel && ev.u.error.definitive);
    free(done);
    assert_int_equal(lg_kite_cancel_answer(&c, 504, NULL, "", 0, &ev, NULL), LG_KITE_NOTHING);
}

static lg_kite_order_row_t row(const char *tag, const char *id, lg_kstatus_t s, lg_qty_t filled) {
    lg_kite_order_row_t r = {.symbol = "NIFTY26JUL24200CE", .product = "NRML", .account = "LG1",
                             .placed_s = 1784273400, .updated_s = 1784273400};
    snprintf(r.a.u.tag, sizeof r.a.u.tag, "%s", tag);
    snprintf(r.a.u.broker_id, sizeof r.a.u.broker_id, "%s", id);
    r.a.u.status = s;
    r.a.u.quantity = 130;
    r.a.u.filled = filled;
    r.a.u.avg_price = filled > 0 ? 12305 : 0;
    r.a.token = 12345;
    r.a.side = -1;
    r.a.otype = LG_OT_MARKET;
    return r;
}

static void test_lookup(void **st) {
    (void)st;
    lg_cmd_t c = cmd(LG_CMD_QUERY_ORDER);
    lg_kite_order_row_t book[3] = {row("L0000001000E00", "26001", LG_KS_COMPLETE, 130),
                                   row("L0000001002E00", "26002", LG_KS_OPEN, 65),
                                   row("", "26003", LG_KS_OPEN, 0)};
    char *text = lg_kite_json_orders(book, 3);
    lg_event_t ev;
    assert_int_equal(lg_kite_lookup_answer(&c, 200, JSON, text, strlen(text), &ev, NULL), LG_KITE_EVENT);
    assert_int_equal(ev.kind, LG_EV_ORDER_UPDATE);
    assert_string_equal(ev.u.update.broker_id, "26002");
    assert_true(ev.u.update.filled == 65 && ev.u.update.status == LG_KS_OPEN);
    snprintf(c.tag, sizeof c.tag, "L0000009000E00"); /* not in the book: a miss */
    assert_int_equal(lg_kite_lookup_answer(&c, 200, JSON, text, strlen(text), &ev, NULL), LG_KITE_EVENT);
    assert_true(ev.kind == LG_EV_ORDER_ERROR && ev.u.error.is_lookup && ev.u.error.definitive);
    free(text);

    /* by id: the history's last row is the state */
    snprintf(c.tag, sizeof c.tag, "L0000001002E00");
    snprintf(c.broker_id, sizeof c.broker_id, "26002");
    lg_kite_order_row_t hist[3] = {row("L0000001002E00", "26002", LG_KS_PUT_ORDER_REQ_RECEIVED, 0),
                                   row("L0000001002E00", "26002", LG_KS_OPEN, 0),
                                   row("L0000001002E00", "26002", LG_KS_COMPLETE, 130)};
    text = lg_kite_json_orders(hist, 3);
    assert_int_equal(lg_kite_lookup_answer(&c, 200, JSON, text, strlen(text), &ev, NULL), LG_KITE_EVENT);
    assert_true(ev.kind == LG_EV_ORDER_UPDATE && ev.u.update.status == LG_KS_COMPLETE);
    free(text);
    char *none = lg_kite_json_error(LG_KITE_E_ORDER, "Couldn't find that `order_id`.");
    assert_int_equal(lg_kite_lookup_answer(&c, 400, JSON, none, strlen(none), &ev, NULL), LG_KITE_EVENT);
    assert_true(ev.u.error.is_lookup && ev.u.error.definitive);
    free(none);
    assert_int_equal(lg_kite_lookup_answer(&c, 503, NULL, "", 0, &ev, NULL), LG_KITE_NOTHING);
    lg_kite_answer_t a;
    const char *junk = "{\"status\":\"success\",\"data\":[{\"order_id\":1}]}";
    assert_int_equal(lg_kite_lookup_answer(&c, 200, JSON, junk, strlen(junk), &ev, &a), LG_KITE_NOTHING);
    assert_non_null(strstr(a.message, "unreadable"));
}

static void test_positions_and_ticks(void **st) {
    (void)st;
    lg_kite_position_row_t p = {.symbol = "A", .product = "NRML", .token = 7, .qty = -65};
    char *text = lg_kite_json_positions(&p, 1);
    lg_position_row_t rows[4];
    lg_event_t ev;
    char err[128];
    assert_int_equal(lg_kite_positions_event(text, strlen(text), rows, 4, &ev, err, sizeof err), LG_OK);
    assert_true(ev.kind == LG_EV_POSITIONS && ev.u.positions.n == 1 && ev.u.positions.rows == rows);
    assert_true(rows[0].token == 7 && rows[0].qty == -65);
    free(text);
    assert_int_equal(lg_kite_positions_event("nope", 4, rows, 4, &ev, err, sizeof err), LG_EPARSE);

    lg_tick_t t = {.token = 12345, .mode = LG_TICK_FULL, .tradable = true, .ltp = 12305};
    t.bid[0].price = 12300;
    t.ask[0].price = 12310;
    lg_ticker_tick_event(&t, &ev);
    assert_true(ev.kind == LG_EV_TICK && ev.u.tick.ltp == 12305 && ev.u.tick.bid == 12300 &&
                ev.u.tick.ask == 12310);
    t.mode = LG_TICK_LTP;
    lg_ticker_tick_event(&t, &ev);
    assert_true(ev.u.tick.bid == 0 && ev.u.tick.ask == 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_place),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_positions_and_ticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
