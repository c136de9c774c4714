/*
 * test_kite_encode.c — the JSON the simulator's Kite facade writes: valid JSON, the
 * fields Kite's clients read with the values legato meant (money as exact decimals,
 * IST timestamps, null tags), string escaping, and the error envelope. Where a
 * decoder exists (kite_json.c) the written answer is read back through it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "legato/kite.h"

static json_t *load(const char *text) {
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (j == NULL) fail_msg("not JSON (%s at %d): %s", e.text, e.position, text);
    return j;
}

static lg_kite_order_row_t row(void) {
    lg_kite_order_row_t r = {.symbol = "NIFTY26JUL24200CE", .product = "NRML", .account = "LG0001",
                             .mprot = 3, .placed_s = 1784273400, .updated_s = 1784273401};
    snprintf(r.a.u.tag, sizeof r.a.u.tag, "L0000001002E00");
    snprintf(r.a.u.broker_id, sizeof r.a.u.broker_id, "2600000000000000007");
    snprintf(r.exchange_order_id, sizeof r.exchange_order_id, "1100000000000007");
    r.a.u.status = LG_KS_OPEN;
    r.a.u.quantity = 130;
    r.a.u.filled = 65;
    r.a.u.avg_price = 12305;
    r.a.token = 12345;
    r.a.side = -1;
    r.a.otype = LG_OT_LIMIT;
    r.a.price = 12000;
    return r;
}

static void test_orders(void **st) {
    (void)st;
    lg_kite_order_row_t rows[2] = {row(), row()};
    rows[1].a.u.tag[0] = '\0'; /* not legato's: tag null */
    rows[1].a.u.status = LG_KS_REJECTED;
    snprintf(rows[1].a.u.message, sizeof rows[1].a.u.message, "RMS: \"margin\" \\ exceeds\n");
    rows[1].exchange_order_id[0] = '\0';
    char *text = lg_kite_json_orders(rows, 2);
    assert_non_null(text);
    json_t *j = load(text);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "success");
    json_t *d = json_object_get(j, "data");
    assert_int_equal(json_array_size(d), 2);
    json_t *o = json_array_get(d, 0);
    assert_string_equal(json_string_value(json_object_get(o, "order_id")), "2600000000000000007");
    assert_string_equal(json_string_value(json_object_get(o, "status")), "OPEN");
    assert_string_equal(json_string_value(json_object_get(o, "tag")), "L0000001002E00");
    assert_string_equal(json_string_value(json_object_get(o, "transaction_type")), "SELL");
    assert_string_equal(json_string_value(json_object_get(o, "order_type")), "LIMIT");
    assert_int_equal(json_integer_value(json_object_get(o, "instrument_token")), 12345);
    assert_int_equal(json_integer_value(json_object_get(o, "filled_quantity")), 65);
    assert_int_equal(json_integer_value(json_object_get(o, "pending_quantity")), 65);
    assert_true(json_real_value(json_object_get(o, "average_price")) == 123.05);
    assert_true(json_real_value(json_object_get(o, "price")) == 120.0);
    assert_non_null(strstr(text, "\"average_price\":123.05,"));
    /* 1784273400 = 2026-07-17 07:30:00 UTC = 13:00:00 IST */
    assert_string_equal(json_string_value(json_object_get(o, "order_timestamp")), "2026-07-17 13:00:00");
    json_t *o2 = json_array_get(d, 1);
    assert_true(json_is_null(json_object_get(o2, "tag")));
    assert_true(json_is_null(json_object_get(o2, "exchange_order_id")));
    assert_int_equal(json_integer_value(json_object_get(o2, "pending_quantity")), 0);
    assert_string_equal(json_string_value(json_object_get(o2, "status_message")),
                        "RMS: \"margin\" \\ exceeds\n");
    assert_int_equal(json_array_size(json_object_get(o2, "tags")), 0);
    json_decref(j);
    free(text);
}

static void test_frames_and_ids(void **st) {
    (void)st;
    lg_kite_order_row_t r = row();
    char *text = lg_kite_json_order_frame(&r);
    json_t *j = load(text);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "order");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "data"), "order_id")),
                        "2600000000000000007");
    json_decref(j);
    free(text);
    text = lg_kite_json_order_id("2600000000000000007");
    assert_string_equal(text, "{\"status\":\"success\",\"data\":{\"order_id\":\"2600000000000000007\"}}");
    free(text);
    text = lg_kite_json_error(LG_KITE_E_TOKEN, "Incorrect `api_key` or `access_token`.");
    j = load(text);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "error");
    assert_string_equal(json_string_value(json_object_get(j, "error_type")), "TokenException");
    assert_true(json_is_null(json_object_get(j, "data")));
    json_decref(j);
    free(text);
}

static void test_positions_margins_basket(void **st) {
    (void)st;
    lg_kite_position_row_t p = {.symbol = "NIFTY26JUL24200CE", .product = "NRML", .token = 12345,
                                .qty = -130, .sell_qty = 130, .avg_price = 12305, .last_price = 11000,
                                .sell_price = 12305, .sell_value = 1599650, .value = 1599650,
                                .pnl = 169650};
    char *text = lg_kite_json_positions(&p, 1);
    json_t *j = load(text);
    json_t *net = json_object_get(json_object_get(j, "data"), "net");
    assert_int_equal(json_array_size(net), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(net, 0), "quantity")), -130);
    assert_int_equal(json_array_size(json_object_get(json_object_get(j, "data"), "day")), 1);
    json_decref(j);
    free(text);

    lg_kite_margins_t m = {.enabled = true, .net = 9972505, .cash = 24543160, .live_balance = 9972505,
                           .debits = 14570655, .span = 10198900, .exposure = 3898125};
    text = lg_kite_json_margins(&m);
    j = load(text);
    json_t *eq = json_object_get(json_object_get(j, "data"), "equity");
    assert_true(json_real_value(json_object_get(eq, "net")) == 99725.05);
    assert_true(json_real_value(json_object_get(json_object_get(eq, "utilised"), "span")) == 101989.0);
    json_decref(j);
    free(text);

    lg_kite_margin_calc_t ini = {.span = 6683250, .exposure = 2915123, .option_premium = 52125,
                                 .total = 9650498};
    lg_kite_margin_calc_t fin = {.span = 778800, .exposure = 2915123, .option_premium = -215250,
                                 .total = 3478673};
    text = lg_kite_json_basket(&ini, &fin, NULL, 0);
    j = load(text);
    json_t *d = json_object_get(j, "data");
    assert_true(json_real_value(json_object_get(json_object_get(d, "initial"), "total")) == 96504.98);
    assert_true(json_real_value(json_object_get(json_object_get(d, "final"), "option_premium")) == -2152.5);
    assert_non_null(strstr(text, "\"option_premium\":-2152.50"));
    json_decref(j);
    free(text);
}

/* What the simulator writes, the adapter reads back as it was. */
static void test_round_trips(void **st) {
    (void)st;
    lg_kite_order_row_t rows[3] = {row(), row(), row()};
    rows[1].a.otype = LG_OT_SLM;
    rows[1].a.price = 0;
    rows[1].a.trigger = 9995;
    rows[1].a.side = 1;
    rows[1].a.u.status = LG_KS_TRIGGER_PENDING;
    rows[1].a.u.filled = 0;
    rows[1].a.u.avg_price = 0;
    rows[2].a.u.status = LG_KS_COMPLETE;
    rows[2].a.u.filled = 130;
    rows[2].a.u.tag[0] = '\0';
    char *text = lg_kite_json_orders(rows, 3);
    lg_adopt_t got[4];
    uint32_t n = 0;
    char err[160];
    int rc = lg_kite_parse_orders(text, strlen(text), got, 4, &n, err, sizeof err);
    if (rc != LG_OK) fail_msg("%s: %s", lg_errname(rc), err);
    assert_int_equal(n, 3);
    for (uint32_t i = 0; i < 3; i++) {
        const lg_adopt_t *a = &rows[i].a, *b = &got[i];
        assert_string_equal(b->u.tag, a->u.tag);
        assert_string_equal(b->u.broker_id, a->u.broker_id);
        assert_int_equal(b->u.status, a->u.status);
        assert_true(b->u.quantity == a->u.quantity && b->u.filled == a->u.filled);
        assert_true(b->u.avg_price == a->u.avg_price);
        assert_true(b->token == a->token && b->side == a->side && b->otype == a->otype);
        assert_true(b->price == a->price && b->trigger == a->trigger);
    }
    free(text);
    text = lg_kite_json_order_frame(&rows[0]);
    lg_kite_text_t type;
    char msg[LG_STATUS_MSG_MAX];
    assert_int_equal(lg_kite_parse_text_frame(text, strlen(text), &type, &got[0], msg, sizeof msg,
                                              err, sizeof err), LG_OK);
    assert_int_equal(type, LG_KITE_TEXT_ORDER);
    assert_string_equal(got[0].u.tag, rows[0].a.u.tag);
    free(text);
    text = lg_kite_json_order_id("2600000000000000009");
    char id[LG_BROKER_ID_MAX];
    assert_int_equal(lg_kite_parse_order_id(text, strlen(text), id, sizeof id, err, sizeof err), LG_OK);
    assert_string_equal(id, "2600000000000000009");
    free(text);

    lg_kite_position_row_t p[2] = {{.symbol = "A", .product = "NRML", .token = 7, .qty = -130},
                                   {.symbol = "B", .product = "NRML", .token = 9, .qty = 65}};
    text = lg_kite_json_positions(p, 2);
    lg_position_row_t pr[2];
    assert_int_equal(lg_kite_parse_positions(text, strlen(text), pr, 2, &n, err, sizeof err), LG_OK);
    assert_int_equal(n, 2);
    assert_true(pr[0].token == 7 && pr[0].qty == -130 && pr[1].token == 9 && pr[1].qty == 65);
    free(text);

    lg_kite_margins_t m = {.enabled = true, .net = 9972505, .cash = 24543160, .opening_balance = 24543160,
                           .live_balance = 9972505, .debits = 14570655, .exposure = 3898125,
                           .span = 10198900, .m2m_realised = 76170};
    text = lg_kite_json_margins(&m);
    lg_kite_margins_t back;
    assert_int_equal(lg_kite_parse_margins(text, strlen(text), &back, err, sizeof err), LG_OK);
    assert_memory_equal(&back, &m, sizeof m);
    free(text);

    lg_kite_margin_calc_t ini = {.total = 9650498}, fin = {.total = 3478673};
    text = lg_kite_json_basket(&ini, &fin, NULL, 0);
    lg_paise_t i0 = 0, f0 = 0;
    assert_int_equal(lg_kite_parse_basket(text, strlen(text), &i0, &f0, err, sizeof err), LG_OK);
    assert_true(i0 == 9650498 && f0 == 3478673);
    free(text);

    text = lg_kite_json_error(LG_KITE_E_MARGIN, "Insufficient funds");
    lg_kite_answer_t a;
    lg_kite_classify(400, "application/json", text, strlen(text), &a);
    assert_false(a.ok);
    assert_true(a.definitive);
    assert_int_equal(a.etype, LG_KITE_E_MARGIN);
    assert_string_equal(a.message, "Insufficient funds");
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orders),
        cmocka_unit_test(test_frames_and_ids),
        cmocka_unit_test(test_positions_margins_basket),
        cmocka_unit_test(test_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
