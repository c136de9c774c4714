/*
 * test_simd.c — `legato sim` over loopback, through a plain HTTP / WebSocket client:
 * authorisation, the instruments CSV, an order placed, modified and cancelled, a fill
 * seen in trades and positions (and agreeing with the exchange model), Kite-like
 * refusals (market protection, freeze quantity, lots, 429), basket margins with the
 * spread benefit, the ticker (auth, full-mode ticks that decode, order frames) and the
 * admin path. The official client's view is tests/conformance.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "legato/simd.h"
#include "legato/ticker.h"
#include "test_http_client.h"

#define AUTH "token tkey:ttoken"

static tl_loop_t loop;
static lg_simd_t *sim;
static int port;

static void stop_sim(void *arg) {
    (void)arg;
    lg_simd_stop(sim);
}

static int setup(void **state) {
    (void)state;
    tl_init(&loop);
    lg_simd_config_t c;
    lg_simd_config_default(&c);
    c.port = 0;
    c.seed = 11;
    c.api_key = "tkey";
    c.access_token = "ttoken";
    c.knobs.tick_interval_ns = 50 * LG_NS_PER_MS;
    assert_int_equal(lg_simd_start(&loop.loop, &c, &sim), LG_OK);
    port = lg_simd_port(sim);
    tl_run(&loop);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tl_stop(&loop, stop_sim, NULL);
    return 0;
}

/* A request's JSON answer (the caller decrefs); asserts the status. */
static json_t *call(const char *method, const char *path, const char *body, int status) {
    tc_resp_t r;
    int st = tc_request(port, method, path, AUTH, body, &r);
    if (st != status) fprintf(stderr, "%s %s -> %d: %s\n", method, path, st, r.body);
    assert_int_equal(st, status);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    tc_free(&r);
    return j;
}

static const char *data_str(json_t *j, const char *key) {
    return json_string_value(json_object_get(json_object_get(j, "data"), key));
}

/* A symbol from the CSV: the n-th row whose line contains `has`. */
static void symbol(const char *has, int nth, char *out, size_t cap) {
    tc_resp_t r;
    assert_int_equal(tc_request(port, "GET", "/instruments/NFO", AUTH, NULL, &r), 200);
    int seen = 0;
    for (char *line = strtok(r.body, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strstr(line, has) == NULL || seen++ != nth) continue;
        char *a = strchr(line, ','), *b = strchr(a + 1, ',');
        *strchr(b + 1, ',') = '\0';
        snprintf(out, cap, "%s", b + 1);
    }
    tc_free(&r);
    assert_true(out[0] != '\0');
}

static json_t *order_in_book(const char *id) {
    json_t *book = call("GET", "/orders", NULL, 200);
    json_t *rows = json_object_get(book, "data"), *found = NULL;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *o = json_array_get(rows, i);
        if (strcmp(json_string_value(json_object_get(o, "order_id")), id) == 0) found = json_incref(o);
    }
    json_decref(book);
    return found;
}

/* Waits (bounded) until the order's status is `want`. */
static json_t *await_status(const char *id, const char *want) {
    for (int i = 0; i < 200; i++) {
        json_t *o = order_in_book(id);
        if (o != NULL && strcmp(json_string_value(json_object_get(o, "status")), want) == 0) return o;
        json_decref(o);
        tc_pause_ms(5);
    }
    fail_msg("order %s never reached %s", id, want);
    return NULL;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_auth(void **state) {
    (void)state;
    tc_resp_t r;
    assert_int_equal(tc_request(port, "GET", "/orders", NULL, NULL, &r), 403);
    assert_non_null(strstr(r.body, "TokenException"));
    tc_free(&r);
    assert_int_equal(tc_request(port, "GET", "/orders", "token tkey:wrong", NULL, &r), 403);
    tc_free(&r);
    int st = 0;
    assert_int_equal(tc_ws_open(port, "/ws?api_key=tkey&access_token=nope", &st), -1);
    assert_int_equal(st, 403);
    json_t *j = call("GET", "/no/such/route", NULL, 404);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "error");
    json_decref(j);
}

static void test_instruments(void **state) {
    (void)state;
    tc_resp_t r;
    assert_int_equal(tc_request(port, "GET", "/instruments/NFO", AUTH, NULL, &r), 200);
    assert_non_null(strstr(r.head, "text/csv"));
    assert_true(strncmp(r.body, "instrument_token,exchange_token,tradingsymbol,name,last_price,"
                        "expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n", 120) == 0);
    int nifty_ce = 0, bank_fut = 0;
    for (char *line = strtok(r.body, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strstr(line, "\"NIFTY\"") && strstr(line, ",65,CE,NFO-OPT,NFO")) nifty_ce++;
        if (strstr(line, "\"BANKNIFTY\"") && strstr(line, ",30,FUT,NFO-FUT,NFO")) bank_fut++;
    }
    assert_true(nifty_ce >= 20);
    assert_int_equal(bank_fut, 1);
    tc_free(&r);
}

/* ---- contract names: the rule written again, independently of the simulator ---------------- */

/* Kite's name for a contract: monthly (the expiry is its month's last Tuesday: a week later is
 * another month) NAME YY MON strike type, else weekly NAME YY M DD strike type with M in
 * 1..9, O, N, D; futures NAME YY MON FUT. */
static void kite_name(const char *und, int32_t expiry, long strike, const char *type, char *out,
                      size_t cap) {
    static const char *mon[12] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                  "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    int y, m, d, y7, m7, d7;
    lg_civil_from_days(expiry, &y, &m, &d);
    lg_civil_from_days(expiry + 7, &y7, &m7, &d7);
    bool tuesday = (expiry % 7 + 7 + 4) % 7 == 2, monthly = tuesday && m7 != m;
    if (strcmp(type, "FUT") == 0) snprintf(out, cap, "%s%02d%sFUT", und, y % 100, mon[m - 1]);
    else if (monthly) snprintf(out, cap, "%s%02d%s%ld%s", und, y % 100, mon[m - 1], strike, type);
    else snprintf(out, cap, "%s%02d%c%02d%ld%s", und, y % 100, "123456789OND"[m - 1], d, strike, type);
}

static bool last_tuesday(int32_t day) {
    int y, m, d, y7, m7, d7;
    lg_civil_from_days(day, &y, &m, &d);
    lg_civil_from_days(day + 7, &y7, &m7, &d7);
    return (day % 7 + 7 + 4) % 7 == 2 && m7 != m;
}

static void test_kite_name_rule(void **state) { /* the rule itself, on known contracts */
    (void)state;
    char s[40];
    kite_name("NIFTY", lg_days_from_civil(2026, 12, 8), 26000, "CE", s, sizeof s);
    assert_string_equal(s, "NIFTY26D0826000CE");
    kite_name("NIFTY", lg_days_from_civil(2026, 12, 29), 26000, "PE", s, sizeof s);
    assert_string_equal(s, "NIFTY26DEC26000PE");
    kite_name("NIFTY", lg_days_from_civil(2026, 8, 11), 24500, "CE", s, sizeof s);
    assert_string_equal(s, "NIFTY2681124500CE"); /* as in tests/unit/test_instrument.c */
    kite_name("NIFTY", lg_days_from_civil(2026, 10, 6), 25000, "CE", s, sizeof s);
    assert_string_equal(s, "NIFTY26O0625000CE");
    kite_name("NIFTY", lg_days_from_civil(2026, 11, 24), 25000, "PE", s, sizeof s);
    assert_string_equal(s, "NIFTY26NOV25000PE");
    kite_name("BANKNIFTY", lg_days_from_civil(2026, 12, 29), 0, "FUT", s, sizeof s);
    assert_string_equal(s, "BANKNIFTY26DECFUT");
}

/* Every contract of the instruments CSV is named by the rule from its own expiry; futures and
 * BANKNIFTY options expire on their month's last Tuesday; the NIFTY future's month is its
 * options' month; tokens are where they were (the NIFTY future is the first). */
static void test_contract_names(void **state) {
    (void)state;
    tc_resp_t r;
    assert_int_equal(tc_request(port, "GET", "/instruments/NFO", AUTH, NULL, &r), 200);
    int rows = 0, checked = 0;
    int32_t nifty_opt = 0, nifty_fut = 0;
    for (char *line = strtok(r.body, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (rows++ == 0) continue; /* the header */
        unsigned token;
        char sym[40], und[16], type[4];
        int y, m, d;
        long strike;
        int got = sscanf(line, "%u,%*u,%39[^,],\"%15[^\"]\",%*[^,],%d-%d-%d,%ld.%*d,%*[^,],%*[^,],%3[^,]",
                         &token, sym, und, &y, &m, &d, &strike, type);
        assert_int_equal(got, 8);
        int32_t expiry = lg_days_from_civil(y, m, d);
        char want[40];
        kite_name(und, expiry, strike, type, want, sizeof want);
        if (strcmp(sym, want) != 0)
            fail_msg("%s expiring %04d-%02d-%02d: Kite names it %s", sym, y, m, d, want);
        assert_true((expiry % 7 + 7 + 4) % 7 == 2); /* every expiry a Tuesday */
        bool fut = strcmp(type, "FUT") == 0, nifty = strcmp(und, "NIFTY") == 0;
        if ((fut || !nifty) && !last_tuesday(expiry))
            fail_msg("%s expires %04d-%02d-%02d, not its month's last Tuesday", sym, y, m, d);
        if (fut && nifty) {
            assert_int_equal(token, (65536u << 8) | 2);
            nifty_fut = expiry;
        }
        if (!fut && nifty) nifty_opt = expiry;
        checked++;
    }
    tc_free(&r);
    assert_int_equal(checked, 2 * (1 + 2 * 41));
    int y, m, d, yf, mf, df;
    lg_civil_from_days(nifty_opt, &y, &m, &d);
    lg_civil_from_days(nifty_fut, &yf, &mf, &df);
    assert_true(nifty_fut >= nifty_opt && yf == y && mf == m);
}

static void test_place_modify_cancel(void **state) {
    (void)state;
    char sym[40] = "", path[96], body[256];
    symbol("CE,NFO-OPT", 20, sym, sizeof sym);
    snprintf(path, sizeof path, "/quote?i=NFO:%s", sym);
    json_t *q = call("GET", path, NULL, 200);
    char key[48];
    snprintf(key, sizeof key, "NFO:%s", sym);
    json_t *quote = json_object_get(json_object_get(q, "data"), key);
    double lo = json_number_value(json_object_get(quote, "lower_circuit_limit"));
    double ltp = json_number_value(json_object_get(quote, "last_price"));
    assert_true(lo > 0 && ltp > lo);
    json_decref(q);
    double price = (double)(long)((lo + (ltp - lo) / 4) * 20) / 20; /* rests below the market */
    snprintf(body, sizeof body, "tradingsymbol=%s&exchange=NFO&transaction_type=BUY&order_type="
             "LIMIT&quantity=65&product=NRML&price=%.2f&tag=abc1", sym, price);
    json_t *j = call("POST", "/orders/regular", body, 200);
    char id[32];
    snprintf(id, sizeof id, "%s", data_str(j, "order_id"));
    assert_int_equal(strlen(id), 19);
    json_decref(j);
    json_t *o = await_status(id, "OPEN");
    assert_string_equal(json_string_value(json_object_get(o, "tag")), "abc1");
    json_decref(o);
    snprintf(path, sizeof path, "/orders/regular/%s", id);
    snprintf(body, sizeof body, "order_type=LIMIT&quantity=130&price=%.2f", price + 0.05);
    json_decref(call("PUT", path, body, 200));
    snprintf(path, sizeof path, "/orders/%s", id);
    json_t *h = call("GET", path, NULL, 200);
    json_t *rows = json_object_get(h, "data");
    json_t *last = json_array_get(rows, json_array_size(rows) - 1);
    assert_int_equal(json_integer_value(json_object_get(last, "quantity")), 130);
    assert_true(json_array_size(rows) >= 2);
    json_decref(h);
    snprintf(path, sizeof path, "/orders/regular/%s", id);
    json_decref(call("DELETE", path, NULL, 200));
    json_decref(await_status(id, "CANCELLED"));
    j = call("DELETE", path, NULL, 400);
    assert_string_equal(json_string_value(json_object_get(j, "error_type")), "OrderException");
    json_decref(j);
    json_decref(call("PUT", path, body, 400)); /* final: no modification */
    json_decref(call("DELETE", "/orders/regular/2600000000000009999", NULL, 400));
}

static void expect_refused(const char *body, const char *etype, const char *says) {
    json_t *j = call("POST", "/orders/regular", body, 400);
    const char *msg = json_string_value(json_object_get(j, "message"));
    if (strstr(msg, says) == NULL) fail_msg("'%s' does not say '%s'", msg, says);
    assert_string_equal(json_string_value(json_object_get(j, "error_type")), etype);
    json_decref(j);
}

static void test_refusals(void **state) {
    (void)state;
    char sym[40] = "", body[256];
    symbol("CE,NFO-OPT", 20, sym, sizeof sym);
    snprintf(body, sizeof body, "tradingsymbol=%s&exchange=NFO&transaction_type=BUY&order_type="
             "MARKET&quantity=65&product=NRML", sym);
    expect_refused(body, "InputException", "market protection");
    snprintf(body, sizeof body, "tradingsymbol=%s&exchange=NFO&transaction_type=BUY&order_type="
             "MARKET&quantity=1950&product=NRML&market_protection=2", sym);
    expect_refused(body, "InputException", "freeze limit 1800");
    snprintf(body, sizeof body, "tradingsymbol=%s&exchange=NFO&transaction_type=BUY&order_type="
             "MARKET&quantity=10&product=NRML&market_protection=2", sym);
    expect_refused(body, "InputException", "lot size 65");
    expect_refused("tradingsymbol=NOPE&exchange=NFO&transaction_type=BUY&order_type=LIMIT"
                   "&quantity=65&product=NRML&price=1", "InputException", "tradingsymbol");
    expect_refused("tradingsymbol=x&exchange=NFO&tag=%zz", "InputException", "Malformed");
    /* the 10-a-second limit (these requests are refused or not, they count) */
    int limited = 0;
    for (int i = 0; i < 14; i++) {
        tc_resp_t r;
        limited += tc_request(port, "POST", "/orders/regular", AUTH, "x=1", &r) == 429;
        tc_free(&r);
    }
    assert_true(limited >= 1);
}

static void test_fill_positions_trades(void **state) {
    (void)state;
    char sym[40] = "", body[256];
    symbol("PE,NFO-OPT", 21, sym, sizeof sym);
    snprintf(body, sizeof body, "tradingsymbol=%s&exchange=NFO&transaction_type=SELL&order_type="
             "MARKET&quantity=130&product=NRML&market_protection=5", sym);
    json_t *j = call("POST", "/orders/regular", body, 200);
    char id[32];
    snprintf(id, sizeof id, "%s", data_str(j, "order_id"));
    json_decref(j);
    json_t *o = await_status(id, "COMPLETE");
    assert_int_equal(json_integer_value(json_object_get(o, "filled_quantity")), 130);
    assert_true(json_object_get(o, "tag") == json_null() || json_is_null(json_object_get(o, "tag")));
    json_decref(o);
    json_t *p = call("GET", "/portfolio/positions", NULL, 200);
    json_t *net = json_object_get(json_object_get(p, "data"), "net");
    assert_int_equal(json_array_size(net), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(net, 0), "quantity")), -130);
    json_decref(p);
    json_t *t = call("GET", "/trades", NULL, 200);
    json_t *trades = json_object_get(t, "data");
    long long sum = 0;
    for (size_t i = 0; i < json_array_size(trades); i++) {
        json_t *x = json_array_get(trades, i);
        assert_string_equal(json_string_value(json_object_get(x, "order_id")), id);
        assert_string_equal(json_string_value(json_object_get(x, "transaction_type")), "SELL");
        sum += json_integer_value(json_object_get(x, "quantity"));
    }
    assert_int_equal(sum, 130);
    json_decref(t);
    json_t *s = call("GET", "/admin/state", NULL, 200); /* the exchange's own truth agrees */
    json_t *pos = json_object_get(json_object_get(s, "data"), "positions");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(pos, 0), "quantity")), -130);
    json_decref(s);
    json_t *m = call("GET", "/user/margins", NULL, 200);
    json_t *eq = json_object_get(json_object_get(m, "data"), "equity");
    assert_true(json_number_value(json_object_get(json_object_get(eq, "utilised"), "span")) > 0);
    json_decref(m);
}

static void test_basket_margins(void **state) {
    (void)state;
    char a[40] = "", b[40] = "", body[512];
    symbol("CE,NFO-OPT", 20, a, sizeof a);
    symbol("CE,NFO-OPT", 24, b, sizeof b);
    snprintf(body, sizeof body,
             "[{\"exchange\":\"NFO\",\"tradingsymbol\":\"%s\",\"transaction_type\":\"SELL\","
             "\"variety\":\"regular\",\"product\":\"NRML\",\"order_type\":\"MARKET\",\"quantity\":65,"
             "\"price\":0},{\"exchange\":\"NFO\",\"tradingsymbol\":\"%s\",\"transaction_type\":"
             "\"BUY\",\"variety\":\"regular\",\"product\":\"NRML\",\"order_type\":\"MARKET\","
             "\"quantity\":65,\"price\":0}]", a, b);
    json_t *j = call("POST", "/margins/basket?consider_positions=true", body, 200);
    json_t *d = json_object_get(j, "data");
    double initial = json_number_value(json_object_get(json_object_get(d, "initial"), "total"));
    double final = json_number_value(json_object_get(json_object_get(d, "final"), "total"));
    assert_true(final > 0 && final < initial);
    assert_int_equal(json_array_size(json_object_get(d, "orders")), 2);
    json_decref(j);
    j = call("POST", "/margins/orders", body, 200);
    assert_int_equal(json_array_size(json_object_get(j, "data")), 2);
    json_decref(j);
    json_decref(call("POST", "/margins/basket", "{not json", 400));
    json_decref(call("POST", "/margins/orders", "[{\"tradingsymbol\":\"x\"}]", 400));
}

static void test_ticker(void **state) {
    (void)state;
    char sym[40] = "", body[256], tok[16] = "";
    symbol("CE,NFO-OPT", 20, sym, sizeof sym);
    tc_resp_t r;
    assert_int_equal(tc_request(port, "GET", "/instruments/NFO", AUTH, NULL, &r), 200);
    char *line = strstr(r.body, sym);
    while (line > r.body && line[-1] != '\n') line--;
    snprintf(tok, sizeof tok, "%.*s", (int)(strchr(line, ',') - line), line);
    tc_free(&r);
    uint32_t token = (uint32_t)strtoul(tok, NULL, 10);
    int st = 0;
    int fd = tc_ws_open(port, "/ws?api_key=tkey&access_token=ttoken&uid=1", &st);
    assert_true(fd >= 0);
    char msg[128];
    snprintf(msg, sizeof msg, "{\"a\":\"subscribe\",\"v\":[%u]}", token);
    assert_int_equal(tc_ws_send(fd, 1, 1, msg, strlen(msg)), 0);
    snprintf(msg, sizeof msg, "{\"a\":\"mode\",\"v\":[\"full\",[%u]]}", token);
    assert_int_equal(tc_ws_send(fd, 1, 1, msg, strlen(msg)), 0);
    uint8_t buf[65536];
    size_t n = 0;
    int full = 0;
    for (int i = 0; i < 100 && full == 0; i++) {
        int op = tc_ws_read(fd, buf, sizeof buf, &n);
        assert_true(op == 1 || op == 2);
        lg_tick_t t[4];
        uint32_t k = 0;
        if (op == 2 && n > 1 && lg_ticker_decode(buf, n, t, 4, &k, NULL) == LG_OK && k == 1 &&
            t[0].mode == LG_TICK_FULL) {
            assert_int_equal(t[0].token, token);
            assert_true(t[0].ltp > 0 && t[0].bid[0].price <= t[0].ask[0].price);
            full++;
        }
    }
    assert_int_equal(full, 1);
    const char bad[] = "{\"a\":\"mode\",\"v\":[\"loud\",[1]]}";
    assert_int_equal(tc_ws_send(fd, 1, 1, bad, sizeof bad - 1), 0);
    int saw_error = 0;
    for (int i = 0; i < 100 && !saw_error; i++) {
        int op = tc_ws_read(fd, buf, sizeof buf, &n);
        saw_error = op == 1 && strstr((char *)buf, "\"type\":\"error\"") != NULL;
    }
    assert_true(saw_error);
    /* an order placed over REST arrives as an order frame */
    snprintf(body, sizeof body, "tradingsymbol=%s&exchange=NFO&transaction_type=BUY&order_type="
             "MARKET&quantity=65&product=NRML&market_protection=5&tag=ws1", sym);
    json_t *j = call("POST", "/orders/regular", body, 200);
    char want[64];
    snprintf(want, sizeof want, "\"order_id\":\"%s\"", data_str(j, "order_id"));
    json_decref(j);
    int frames = 0;
    for (int i = 0; i < 400 && frames == 0; i++) {
        int op = tc_ws_read(fd, buf, sizeof buf, &n);
        if (op == 1 && strstr((char *)buf, "\"type\":\"order\"") && strstr((char *)buf, want)) frames++;
    }
    assert_int_equal(frames, 1);
    close(fd);
}

static void test_admin(void **state) {
    (void)state;
    json_decref(call("POST", "/admin/knobs", "p_partial=0.5&p_bogus=1", 400));
    json_decref(call("POST", "/admin/knobs", "ack_min_ms=5&ack_max_ms=1", 400));
    json_decref(call("POST", "/admin/knobs", "p_partial=0.5&ack_max_ms=3", 200));
    json_t *s0 = call("GET", "/admin/state", NULL, 200);
    double spot0 = json_number_value(
        json_object_get(json_object_get(json_object_get(s0, "data"), "underlyings"), "NIFTY"));
    json_decref(s0);
    json_decref(call("POST", "/admin/gap", "underlying=NIFTY&pct=-5", 200));
    tc_pause_ms(120);
    json_t *s1 = call("GET", "/admin/state", NULL, 200);
    double spot1 = json_number_value(
        json_object_get(json_object_get(json_object_get(s1, "data"), "underlyings"), "NIFTY"));
    json_decref(s1);
    assert_true(spot1 < spot0 * 0.97 && spot1 > spot0 * 0.93);
    json_decref(call("POST", "/admin/gap", "underlying=SENSEX&pct=1", 400));
    json_decref(call("POST", "/admin/halt", "tradingsymbol=NOPE", 400));
    json_decref(call("POST", "/admin/nothing", "a=1", 404));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instruments, setup, teardown),
        cmocka_unit_test(test_kite_name_rule),
        cmocka_unit_test_setup_teardown(test_contract_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_modify_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fill_positions_trades, setup, teardown),
        cmocka_unit_test_setup_teardown(test_basket_margins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
