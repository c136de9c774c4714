/*
 * test_kite_form.c — the requests legato sends Kite: the place form field by field for
 * each order type, percent-encoding, market protection never 0, tags Kite would refuse,
 * a buffer too small, the cancel path, and the JSON body of a basket margin query.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "test_master.h"

#include "legato/kite.h"

static lg_instrument_t ins(void) {
    lg_instrument_t i = {.token = 12345, .kind = LG_KIND_CE, .strike = 2420000, .lot = 65,
                         .tick = 5, .freeze = 1800, .expiry_day = 20650};
    snprintf(i.symbol, sizeof i.symbol, "NIFTY26JUL24200CE");
    snprintf(i.underlying, sizeof i.underlying, "NIFTY");
    return i;
}

static lg_cmd_t place(lg_otype_t t) {
    lg_cmd_t c = {.kind = LG_CMD_PLACE, .token = 12345, .side = -1, .otype = (uint8_t)t,
                  .qty = 130, .mprot_pct = 3};
    snprintf(c.tag, sizeof c.tag, "L0000001002E00");
    if (t == LG_OT_LIMIT || t == LG_OT_SL) c.price = 12305;
    if (t == LG_OT_SL || t == LG_OT_SLM) c.trigger = 12400;
    return c;
}

static void expect_form(lg_otype_t t, const char *product, const char *want) {
    lg_instrument_t i = ins();
    lg_cmd_t c = place(t);
    char buf[512];
    size_t len = 0;
    assert_int_equal(lg_kite_form_place(&c, &i, product, buf, sizeof buf, &len), LG_OK);
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
}

static void test_forms(void **st) {
    (void)st;
    expect_form(LG_OT_MARKET, "NRML",
                "tradingsymbol=NIFTY26JUL24200CE&exchange=NFO&transaction_type=SELL&order_type=MARKET"
                "&quantity=130&product=NRML&validity=DAY&market_protection=3&tag=L0000001002E00");
    expect_form(LG_OT_LIMIT, "MIS",
                "tradingsymbol=NIFTY26JUL24200CE&exchange=NFO&transaction_type=SELL&order_type=LIMIT"
                "&quantity=130&product=MIS&validity=DAY&price=123.05&tag=L0000001002E00");
    expect_form(LG_OT_SL, "NRML",
                "tradingsymbol=NIFTY26JUL24200CE&exchange=NFO&transaction_type=SELL&order_type=SL"
                "&quantity=130&product=NRML&validity=DAY&price=123.05&trigger_price=124.00"
                "&tag=L0000001002E00");
    expect_form(LG_OT_SLM, "NRML",
                "tradingsymbol=NIFTY26JUL24200CE&exchange=NFO&transaction_type=SELL&order_type=SL-M"
                "&quantity=130&product=NRML&validity=DAY&trigger_price=124.00&market_protection=3"
                "&tag=L0000001002E00");
}

static void test_encoding_and_default_protection(void **st) {
    (void)st;
    lg_instrument_t i = ins();
    snprintf(i.symbol, sizeof i.symbol, "M&M 26JUL");
    lg_cmd_t c = place(LG_OT_MARKET);
    c.side = 1;
    c.mprot_pct = -1; /* the broker's default */
    char buf[512];
    size_t len = 0;
    assert_int_equal(lg_kite_form_place(&c, &i, "NRML", buf, sizeof buf, &len), LG_OK);
    assert_non_null(strstr(buf, "tradingsymbol=M%26M%2026JUL&"));
    assert_non_null(strstr(buf, "transaction_type=BUY&"));
    assert_non_null(strstr(buf, "market_protection=-1&"));
}

static void test_refusals(void **st) {
    (void)st;
    lg_instrument_t i = ins();
    char buf[512];
    size_t len = 7;
    lg_cmd_t c = place(LG_OT_MARKET);
    c.mprot_pct = 0; /* Kite refuses MARKET orders without protection */
    assert_int_equal(lg_kite_form_place(&c, &i, "NRML", buf, sizeof buf, &len), LG_EINVAL);
    c = place(LG_OT_SLM);
    c.mprot_pct = -2;
    assert_int_equal(lg_kite_form_place(&c, &i, "NRML", buf, sizeof buf, &len), LG_EINVAL);
    c = place(LG_OT_LIMIT);
    snprintf(c.tag, sizeof c.tag, "L-1");
    assert_int_equal(lg_kite_form_place(&c, &i, "NRML", buf, sizeof buf, &len), LG_EINVAL);
    c.tag[0] = '\0';
    assert_int_equal(lg_kite_form_place(&c, &i, "NRML", buf, sizeof buf, &len), LG_EINVAL);
    c = place(LG_OT_LIMIT);
    c.price = 0;
    assert_int_equal(lg_kite_form_place(&c, &i, "NRML", buf, sizeof buf, &len), LG_EINVAL);
    c = place(LG_OT_LIMIT);
    assert_int_equal(lg_kite_form_place(&c, &i, "CNC", buf, sizeof buf, &len), LG_EINVAL);
    c.token = 999;
    assert_int_equal(lg_kite_form_place(&c, &i, "NRML", buf, sizeof buf, &len), LG_EINVAL);
    c = place(LG_OT_LIMIT);
    c.kind = LG_CMD_CANCEL;
    assert_int_equal(lg_kite_form_place(&c, &i, "NRML", buf, sizeof buf, &len), LG_EINVAL);
    c = place(LG_OT_LIMIT);
    assert_int_equal(lg_kite_form_place(&c, &i, "NRML", buf, 40, &len), LG_ENOSPACE);
    assert_int_equal(len, 7); /* untouched on error */
}

static void test_cancel_path(void **st) {
    (void)st;
    lg_cmd_t c = {.kind = LG_CMD_CANCEL};
    char buf[64];
    assert_int_equal(lg_kite_path_cancel(&c, buf, sizeof buf), LG_EINVAL); /* not acked */
    snprintf(c.broker_id, sizeof c.broker_id, "2600000000000000123");
    assert_int_equal(lg_kite_path_cancel(&c, buf, sizeof buf), LG_OK);
    assert_string_equal(buf, "/orders/regular/2600000000000000123");
    assert_int_equal(lg_kite_path_cancel(&c, buf, 20), LG_ENOSPACE);
    snprintf(c.broker_id, sizeof c.broker_id, "12/../x");
    assert_int_equal(lg_kite_path_cancel(&c, buf, sizeof buf), LG_EINVAL);
}

static void test_modify(void **st) {
    (void)st;
    lg_kite_modify_t m = {.broker_id = "2600000000000000123", .otype = LG_OT_SL, .qty = 130,
                          .price = 12050, .trigger = 12000};
    char path[64], buf[256];
    size_t len = 0;
    assert_int_equal(lg_kite_form_modify(&m, path, sizeof path, buf, sizeof buf, &len), LG_OK);
    assert_string_equal(path, "/orders/regular/2600000000000000123");
    assert_string_equal(buf, "order_type=SL&quantity=130&validity=DAY&price=120.50&trigger_price=120.00");
    assert_int_equal(len, strlen(buf));
    m.otype = LG_OT_SLM;
    m.mprot_pct = 0; /* never sent without protection */
    assert_int_equal(lg_kite_form_modify(&m, path, sizeof path, buf, sizeof buf, &len), LG_EINVAL);
    m.mprot_pct = 3;
    assert_int_equal(lg_kite_form_modify(&m, path, sizeof path, buf, sizeof buf, &len), LG_OK);
    assert_string_equal(buf, "order_type=SL-M&quantity=130&validity=DAY&trigger_price=120.00"
                             "&market_protection=3");
    m.otype = LG_OT_LIMIT;
    m.price = 0;
    assert_int_equal(lg_kite_form_modify(&m, path, sizeof path, buf, sizeof buf, &len), LG_EINVAL);
    m.price = 100;
    m.qty = 0;
    assert_int_equal(lg_kite_form_modify(&m, path, sizeof path, buf, sizeof buf, &len), LG_EINVAL);
    m.qty = 65;
    snprintf(m.broker_id, sizeof m.broker_id, "1/2");
    assert_int_equal(lg_kite_form_modify(&m, path, sizeof path, buf, sizeof buf, &len), LG_EINVAL);
    snprintf(m.broker_id, sizeof m.broker_id, "26");
    assert_int_equal(lg_kite_form_modify(&m, path, sizeof path, buf, 10, &len), LG_ENOSPACE);
}

/* POST /margins/basket: one MARKET order per leg of the unit, in JSON. */
static void test_basket_body(void **st) {
    (void)st;
    lg_instruments_t m;
    lg_test_master(&m);
    lg_cmd_t c = {.kind = LG_CMD_QUERY_BASKET, .group = 7, .n_basket = 2};
    c.basket[0] = (lg_basket_leg_t){.token = T_C24200, .qty = -65};
    c.basket[1] = (lg_basket_leg_t){.token = T_C24400, .qty = 130};
    char buf[1024];
    size_t len = 0;
    assert_int_equal(lg_kite_json_basket_request(&c, &m, "NRML", buf, sizeof buf, &len), LG_OK);
    assert_string_equal(buf,
        "[{\"exchange\":\"NFO\",\"tradingsymbol\":\"NIFTY26JUL24200CE\",\"transaction_type\":\"SELL\","
        "\"variety\":\"regular\",\"product\":\"NRML\",\"order_type\":\"MARKET\",\"quantity\":65,"
        "\"price\":0,\"trigger_price\":0},"
        "{\"exchange\":\"NFO\",\"tradingsymbol\":\"NIFTY26JUL24400CE\",\"transaction_type\":\"BUY\","
        "\"variety\":\"regular\",\"product\":\"NRML\",\"order_type\":\"MARKET\",\"quantity\":130,"
        "\"price\":0,\"trigger_price\":0}]");
    assert_int_equal(len, strlen(buf));
    assert_int_equal(lg_kite_json_basket_request(&c, &m, "CNC", buf, sizeof buf, &len), LG_EINVAL);
    char small[100];
    assert_int_equal(lg_kite_json_basket_request(&c, &m, "MIS", small, sizeof small, &len), LG_ENOSPACE);
    c.basket[1].token = 4242;
    assert_int_equal(lg_kite_json_basket_request(&c, &m, "NRML", buf, sizeof buf, &len), LG_EINSTRUMENT);
    c.basket[1] = (lg_basket_leg_t){.token = T_C24400, .qty = 0};
    assert_int_equal(lg_kite_json_basket_request(&c, &m, "NRML", buf, sizeof buf, &len), LG_EINVAL);
    c.n_basket = 0;
    assert_int_equal(lg_kite_json_basket_request(&c, &m, "NRML", buf, sizeof buf, &len), LG_EINVAL);
    c.kind = LG_CMD_QUERY_MARGINS;
    c.n_basket = 1;
    assert_int_equal(lg_kite_json_basket_request(&c, &m, "NRML", buf, sizeof buf, &len), LG_EINVAL);
    lg_instruments_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_encoding_and_default_protection),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_cancel_path),
        cmocka_unit_test(test_modify),
        cmocka_unit_test(test_basket_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
