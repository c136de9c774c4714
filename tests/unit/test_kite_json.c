/*
 * test_kite_json.c — unit tests for the Kite JSON decoders and the answer classifier
 * (src/kite/kite_answer.c, kite_json.c, kite_orders.c, kite_portfolio.c) against the
 * broker's own mocks in tests/data/kite/ (copied from shared/kite/mocks/): the order
 * book, an order's history, trades, positions, margins, the basket calculator, place /
 * modify / cancel answers and a postback; the classification table (ok, definitive,
 * unknown, halt, backoff); ticker text frames; bad input for every decoder, each
 * refused with the outputs untouched and an error naming the field; and a
 * deterministic fuzz loop over mutations and truncations of two mocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legato/kite.h"

#ifndef LG_TEST_DATA
#error "LG_TEST_DATA (the tests/data directory) must be defined"
#endif

#define CAP 16

static char *read_file(const char *name, size_t *len) {
    char rel[256];
    snprintf(rel, sizeof rel, "kite/%s", name);
    return lg_test_read(rel, len);
}

/* text with the k-th (from 0) occurrence of needle replaced by repl; malloc'd. */
static char *replace_nth(const char *text, const char *needle, int k, const char *repl) {
    const char *p = text;
    for (int i = 0; i <= k; i++) {
        p = strstr(i == 0 ? p : p + 1, needle);
        if (p == NULL) fail_msg("occurrence %d of \"%s\" not found", k, needle);
    }
    size_t head = (size_t)(p - text), nl = strlen(needle), rl = strlen(repl);
    size_t tail = strlen(p + nl);
    char *out = malloc(head + rl + tail + 1);
    assert_non_null(out);
    memcpy(out, text, head);
    memcpy(out + head, repl, rl);
    memcpy(out + head + rl, p + nl, tail + 1);
    return out;
}

static void assert_contains(const char *s, const char *sub) {
    if (strstr(s, sub) == NULL) fail_msg("\"%s\" does not contain \"%s\"", s, sub);
}

/* ---- the mocks ------------------------------------------------------------------------ */

static void test_orders_mock(void **state) {
    (void)state;
    size_t len;
    char *body = read_file("orders.json", &len);
    lg_adopt_t o[CAP];
    uint32_t n = 0;
    char err[160];
    int rc = lg_kite_parse_orders(body, len, o, CAP, &n, err, sizeof err);
    if (rc != LG_OK) fail_msg("orders.json: %s", err);
    assert_int_equal(n, 10);

    assert_string_equal(o[0].u.broker_id, "100000000000000");
    assert_int_equal(o[0].u.status, LG_KS_CANCELLED);
    assert_int_equal(o[0].price, 7200); /* "price": 72 (an integer) */
    assert_int_equal(o[0].otype, LG_OT_LIMIT);

    assert_int_equal(o[2].u.status, LG_KS_COMPLETE); /* a MARKET sell of IOC */
    assert_int_equal(o[2].side, -1);
    assert_int_equal(o[2].otype, LG_OT_MARKET);
    assert_int_equal(o[2].u.filled, 1);
    assert_int_equal(o[2].u.avg_price, 10935); /* 109.35 */
    assert_int_equal(o[2].token, 415745);
    assert_string_equal(o[2].u.tag, "");

    assert_int_equal(o[3].u.status, LG_KS_REJECTED);
    assert_string_equal(o[3].u.tag, "icebergord");
    assert_int_equal(o[3].u.quantity, 200);
    assert_int_equal(o[3].u.filled, 0);
    assert_int_equal(o[3].price, 46300);
    assert_int_equal(o[3].token, 779521);
    assert_int_equal(o[3].side, 1);
    assert_true(strncmp(o[3].u.message, "Insufficient funds. Required margin is 95417.84", 47) == 0);
    assert_int_equal(strlen(o[3].u.message), LG_STATUS_MSG_MAX - 1); /* cut to fit */

    assert_string_equal(o[4].u.tag, "connect test order1");
    assert_int_equal(o[4].u.avg_price, 485200);
    assert_int_equal(o[4].price, 485400);
    assert_int_equal(o[4].token, 58424839);

    assert_string_equal(o[9].u.broker_id, "1953367517686685697"); /* 19 digits (2025) */
    assert_int_equal(o[9].token, 10189826);
    assert_int_equal(o[9].u.quantity, 150);
    assert_int_equal(o[9].u.filled, 150);
    assert_int_equal(o[9].u.avg_price, 1230);
    assert_int_equal(o[9].otype, LG_OT_MARKET);
    assert_int_equal(o[9].trigger, 0);

    /* exactly enough room is enough; one less is LG_ENOSPACE with nothing written */
    assert_int_equal(lg_kite_parse_orders(body, len, o, 10, &n, err, sizeof err), LG_OK);
    lg_adopt_t before[CAP];
    memset(o, 0x5A, sizeof o);
    memcpy(before, o, sizeof o);
    n = 777;
    assert_int_equal(lg_kite_parse_orders(body, len, o, 9, &n, err, sizeof err), LG_ENOSPACE);
    assert_int_equal(n, 777);
    assert_memory_equal(o, before, sizeof o);
    assert_contains(err, "data: 10 elements, room for 9");
    free(body);
}

static void test_order_info_mock(void **state) {
    (void)state;
    size_t len;
    char *body = read_file("order_info.json", &len);
    lg_adopt_t o[CAP];
    uint32_t n = 0;
    char err[160];
    int rc = lg_kite_parse_orders(body, len, o, CAP, &n, err, sizeof err);
    if (rc != LG_OK) fail_msg("order_info.json: %s", err);
    assert_int_equal(n, 8);
    assert_int_equal(o[0].u.status, LG_KS_PUT_ORDER_REQ_RECEIVED);
    assert_int_equal(o[0].token, 1);
    assert_int_equal(o[1].u.status, LG_KS_VALIDATION_PENDING);
    assert_int_equal(o[2].u.status, LG_KS_OPEN_PENDING);
    assert_int_equal(o[4].u.status, LG_KS_MODIFY_VALIDATION_PENDING);
    assert_int_equal(o[5].u.status, LG_KS_MODIFY_PENDING);
    assert_int_equal(o[6].u.status, LG_KS_MODIFIED);
    const lg_adopt_t *last = &o[n - 1]; /* the order's state */
    assert_int_equal(last->u.status, LG_KS_OPEN);
    assert_string_equal(last->u.broker_id, "171229000724687");
    assert_int_equal(last->price, 30010); /* modified 300 -> 300.1 */
    assert_int_equal(last->u.quantity, 1);
    assert_int_equal(last->u.filled, 0);
    assert_int_equal(last->token, 779521);
    assert_string_equal(last->u.tag, "");
    free(body);
}

static void test_trades_mocks(void **state) {
    (void)state;
    size_t len;
    char err[160];
    lg_kite_trade_t t[CAP];
    uint32_t n = 0;
    char *body = read_file("order_trades.json", &len);
    if (lg_kite_parse_trades(body, len, t, CAP, &n, err, sizeof err) != LG_OK) fail_msg("%s", err);
    assert_int_equal(n, 1);
    assert_string_equal(t[0].trade_id, "10000000");
    assert_string_equal(t[0].order_id, "200000000000000");
    assert_int_equal(t[0].token, 58424839);
    assert_int_equal(t[0].side, 1);
    assert_int_equal(t[0].qty, 1);
    assert_int_equal(t[0].price, 485200);
    free(body);

    body = read_file("trades.json", &len);
    if (lg_kite_parse_trades(body, len, t, CAP, &n, err, sizeof err) != LG_OK) fail_msg("%s", err);
    assert_int_equal(n, 4);
    assert_int_equal(t[0].price, 42065);         /* 420.65 */
    assert_int_equal(t[1].price, 7276);          /* 72.755: half away from zero */
    assert_string_equal(t[3].trade_id, "90000000");
    assert_string_equal(t[3].order_id, "1100000000000000");
    free(body);
}

static void test_positions_mock(void **state) {
    (void)state;
    size_t len;
    char *body = read_file("positions.json", &len);
    lg_position_row_t r[CAP];
    uint32_t n = 0;
    char err[160];
    if (lg_kite_parse_positions(body, len, r, CAP, &n, err, sizeof err) != LG_OK) {
        fail_msg("positions.json: %s", err);
    }
    assert_int_equal(n, 3); /* the "net" rows, not the "day" ones */
    assert_int_equal(r[0].token, 53496327);
    assert_int_equal(r[0].qty, 1);
    assert_int_equal(r[1].token, 53505799);
    assert_int_equal(r[1].qty, 0); /* the day's -3 is in "day" */
    assert_int_equal(r[2].token, 779521);
    assert_int_equal(r[2].qty, 0);
    free(body);
}

static void check_equity(const lg_kite_margins_t *m) {
    assert_true(m->enabled);
    assert_int_equal(m->net, 9972505); /* 99725.05000000002 */
    assert_int_equal(m->cash, 24543160);
    assert_int_equal(m->opening_balance, 24543160);
    assert_int_equal(m->live_balance, 9972505);
    assert_int_equal(m->collateral, 0);
    assert_int_equal(m->adhoc, 0);
    assert_int_equal(m->debits, 14570655); /* 145706.55 */
    assert_int_equal(m->exposure, 3898125);
    assert_int_equal(m->span, 10198900); /* 101989 (an integer) */
    assert_int_equal(m->option_premium, 0);
    assert_int_equal(m->m2m_realised, 76170);
    assert_int_equal(m->m2m_unrealised, 0);
}

static void test_margins_mock(void **state) {
    (void)state;
    size_t len;
    char *body = read_file("margins.json", &len);
    lg_kite_margins_t m;
    char err[160];
    if (lg_kite_parse_margins(body, len, &m, err, sizeof err) != LG_OK) fail_msg("%s", err);
    check_equity(&m);
    /* GET /user/margins/equity: data is the segment itself */
    const char *eq = strstr(body, "\"equity\": {");
    const char *end = strstr(body, "\"commodity\"");
    assert_non_null(eq);
    assert_non_null(end);
    char seg[2048];
    const char *open = strchr(eq, '{');
    const char *close = end;
    while (close > open && *close != '}') close--; /* the brace closing "equity" */
    int w = snprintf(seg, sizeof seg, "{\"status\":\"success\",\"data\":%.*s}", (int)(close - open + 1),
                 open);
    assert_true(w > 0 && (size_t)w < sizeof seg);
    memset(&m, 0, sizeof m);
    if (lg_kite_parse_margins(seg, strlen(seg), &m, err, sizeof err) != LG_OK) fail_msg("%s", err);
    check_equity(&m);
    free(body);
}

static void test_basket_mock(void **state) {
    (void)state;
    size_t len;
    char *body = read_file("basket_margins.json", &len);
    lg_paise_t ini = 0, fin = 0;
    char err[160];
    if (lg_kite_parse_basket(body, len, &ini, &fin, err, sizeof err) != LG_OK) fail_msg("%s", err);
    assert_int_equal(ini, 9650498); /* 96504.975 -> 96504.98 */
    assert_int_equal(fin, 3478673); /* 34786.725000000006 -> 34786.73 */
    free(body);
}

static void test_order_id_mocks(void **state) {
    (void)state;
    static const char *const files[] = {"order_response.json", "order_cancel.json",
                                        "order_modify.json"};
    for (size_t i = 0; i < LG_COUNT(files); i++) {
        size_t len;
        char *body = read_file(files[i], &len);
        char id[LG_BROKER_ID_MAX], err[160];
        if (lg_kite_parse_order_id(body, len, id, sizeof id, err, sizeof err) != LG_OK) {
            fail_msg("%s: %s", files[i], err);
        }
        assert_string_equal(id, "151220000000000");
        /* a buffer too small for the id: refused, untouched */
        char small[8] = "keep";
        assert_int_equal(lg_kite_parse_order_id(body, len, small, sizeof small, err, sizeof err),
                         LG_EPARSE);
        assert_string_equal(small, "keep");
        assert_contains(err, "data.order_id");
        free(body);
    }
}

static void check_postback(const lg_adopt_t *a) {
    assert_string_equal(a->u.broker_id, "220303000308932");
    assert_int_equal(a->u.status, LG_KS_COMPLETE);
    assert_string_equal(a->u.tag, "");
    assert_string_equal(a->u.message, "");
    assert_int_equal(a->u.quantity, 1);
    assert_int_equal(a->u.filled, 1);
    assert_int_equal(a->u.avg_price, 47000);
    assert_int_equal(a->token, 779521);
    assert_int_equal(a->side, 1);
    assert_int_equal(a->otype, LG_OT_MARKET);
    assert_int_equal(a->price, 0);
    assert_int_equal(a->trigger, 0);
}

static void test_postback_mock(void **state) {
    (void)state;
    size_t len;
    char *body = read_file("postback.json", &len);
    lg_adopt_t a;
    char err[160];
    if (lg_kite_parse_order_object(body, len, &a, err, sizeof err) != LG_OK) fail_msg("%s", err);
    check_postback(&a);
    free(body);
}

/* ---- classification ------------------------------------------------------------------- */

#define JSON "application/json"
#define ENV(et, msg) "{\"status\":\"error\",\"message\":\"" msg "\",\"error_type\":\"" et "\",\"data\":null}"
#define OK_BODY "{\"status\":\"success\",\"data\":{\"order_id\":\"151220000000000\"}}"
#define HTML "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"

typedef struct class_case {
    int http;
    const char *ct;
    const char *body;
    bool ok, definitive, halt, backoff;
    lg_kite_etype_t etype;
    const char *msg; /* a substring of the message, or NULL */
} class_case_t;

static const class_case_t class_cases[] = {
    {200, JSON, OK_BODY, true, false, false, false, LG_KITE_E_NONE, NULL},
    {200, NULL, OK_BODY, true, false, false, false, LG_KITE_E_NONE, NULL},
    {200, "application/json; charset=utf-8", OK_BODY, true, false, false, false, LG_KITE_E_NONE, NULL},
    {200, "Application/JSON", OK_BODY, true, false, false, false, LG_KITE_E_NONE, NULL},
    {400, JSON, ENV("InputException", "Invalid `quantity`"), false, true, false, false,
     LG_KITE_E_INPUT, "Invalid `quantity`"},
    {400, JSON, ENV("OrderException", "Quantity above freeze limit 1800"), false, true, false, false,
     LG_KITE_E_ORDER, "freeze limit"},
    {400, JSON, ENV("MarginException", "Insufficient funds"), false, true, false, false,
     LG_KITE_E_MARGIN, "Insufficient funds"},
    {403, JSON, ENV("TokenException", "Incorrect `api_key` or `access_token`."), false, true, true,
     false, LG_KITE_E_TOKEN, "access_token"},
    {403, JSON, ENV("PermissionException", "No IP whitelisted"), false, true, false, false,
     LG_KITE_E_PERMISSION, "whitelisted"},
    {404, JSON, ENV("GeneralException", "Route not found"), false, true, false, false,
     LG_KITE_E_GENERAL, NULL},
    {429, JSON, ENV("NetworkException", "Too many requests"), false, true, false, true,
     LG_KITE_E_RATE, "Too many"},
    {429, NULL, ENV("GeneralException", "Too many requests"), false, true, false, true,
     LG_KITE_E_RATE, NULL},
    {500, JSON, ENV("GeneralException", "Something went wrong"), false, false, false, false,
     LG_KITE_E_TRANSPORT, "Something went wrong"},
    {502, JSON, ENV("NetworkException", "Upstream"), false, false, false, false,
     LG_KITE_E_TRANSPORT, "NetworkException"},
    {503, JSON, ENV("TokenException", "odd"), false, false, false, false, LG_KITE_E_TRANSPORT, NULL},
    {504, JSON, ENV("NetworkException", "Gateway timeout"), false, false, false, false,
     LG_KITE_E_TRANSPORT, NULL},
    {500, NULL, "", false, false, false, false, LG_KITE_E_TRANSPORT, "not Kite's"},
    {502, "text/plain", "Bad Gateway", false, false, false, false, LG_KITE_E_TRANSPORT, "not Kite's"},
    {503, NULL, "Service Unavailable", false, false, false, false, LG_KITE_E_TRANSPORT, "not Kite's"},
    {504, JSON, "{\"status\":", false, false, false, false, LG_KITE_E_TRANSPORT, "not Kite's"},
    {0, NULL, "", false, false, false, false, LG_KITE_E_TRANSPORT, "no answer"},
    {0, JSON, OK_BODY, false, false, false, false, LG_KITE_E_TRANSPORT, "no answer"},
    {502, "text/html", HTML, false, false, false, false, LG_KITE_E_TRANSPORT, "not Kite's"},
    {400, "text/html", HTML, false, false, false, false, LG_KITE_E_TRANSPORT, "not Kite's"},
    {400, NULL, HTML, false, false, false, false, LG_KITE_E_TRANSPORT, "not Kite's"},
    {400, "text/html", ENV("InputException", "x"), false, false, false, false, LG_KITE_E_TRANSPORT,
     "text/html"},
    {429, "text/html", HTML, false, false, false, false, LG_KITE_E_TRANSPORT, "not Kite's"},
    {200, JSON, ENV("OrderException", "error with a 200"), false, false, false, false,
     LG_KITE_E_ORDER, "error with a 200"},
    {200, JSON, "{\"data\":{}}", false, false, false, false, LG_KITE_E_TRANSPORT, "not Kite's"},
    {200, JSON, "[1,2]", false, false, false, false, LG_KITE_E_TRANSPORT, "not Kite's"},
    {200, JSON, "{\"status\":\"maybe\"}", false, false, false, false, LG_KITE_E_TRANSPORT, NULL},
    {500, JSON, OK_BODY, false, false, false, false, LG_KITE_E_TRANSPORT, "outcome unknown"},
    {400, JSON, ENV("NetworkException", "Upstream trouble"), false, false, false, false,
     LG_KITE_E_NETWORK, "Upstream"},
    {400, JSON, ENV("ShinyNewException", "new"), false, true, false, false, LG_KITE_E_OTHER, "new"},
    {400, JSON, "{\"status\":\"error\",\"message\":\"no type\"}", false, true, false, false,
     LG_KITE_E_OTHER, "no type"},
    {400, JSON, "{\"status\":\"error\"}", false, true, false, false, LG_KITE_E_OTHER, "no message"},
    {409, JSON, ENV("OrderException", "conflict"), false, false, false, false, LG_KITE_E_ORDER, NULL},
    {302, JSON, ENV("GeneralException", "moved"), false, false, false, false, LG_KITE_E_GENERAL, NULL},
};

static void test_classify_table(void **state) {
    (void)state;
    for (size_t i = 0; i < LG_COUNT(class_cases); i++) {
        const class_case_t *c = &class_cases[i];
        lg_kite_answer_t a;
        memset(&a, 0x77, sizeof a);
        lg_kite_classify(c->http, c->ct, c->body, strlen(c->body), &a);
        if (a.ok != c->ok || a.definitive != c->definitive || a.halt != c->halt ||
            a.backoff != c->backoff || a.etype != c->etype || a.http != c->http) {
            fail_msg("case %zu (HTTP %d %s): ok %d def %d halt %d backoff %d etype %s (%s)", i,
                     c->http, c->body, a.ok, a.definitive, a.halt, a.backoff,
                     lg_kite_etype_name(a.etype), a.message);
        }
        assert_true(strlen(a.message) < sizeof a.message);
        if (c->msg != NULL) assert_contains(a.message, c->msg);
        if (c->ok) assert_string_equal(a.message, "");
    }
}

static void test_classify_edges(void **state) {
    (void)state;
    lg_kite_answer_t a;
    lg_kite_classify(502, NULL, NULL, 0, &a); /* no body at all */
    assert_false(a.definitive);
    assert_int_equal(a.etype, LG_KITE_E_TRANSPORT);
    /* a long Kite message is cut to fit, at a character boundary */
    char body[600], msg[400];
    memset(msg, 'x', sizeof msg);
    memcpy(msg + LG_STATUS_MSG_MAX - 2, "\xc3\xa9", 2); /* é straddling the cut */
    msg[sizeof msg - 1] = '\0';
    snprintf(body, sizeof body, "{\"status\":\"error\",\"error_type\":\"InputException\",\"message\":\"%s\"}",
             msg);
    lg_kite_classify(400, JSON, body, strlen(body), &a);
    assert_true(a.definitive);
    assert_int_equal(strlen(a.message), LG_STATUS_MSG_MAX - 2);
    lg_kite_classify(503, JSON, body, strlen(body), &a);
    assert_true(strlen(a.message) < sizeof a.message);

    assert_string_equal(lg_kite_etype_name(LG_KITE_E_TOKEN), "TokenException");
    assert_string_equal(lg_kite_etype_name(LG_KITE_E_PERMISSION), "PermissionException");
    assert_string_equal(lg_kite_etype_name(LG_KITE_E_NONE), "none");
    assert_string_equal(lg_kite_etype_name(LG_KITE_E_OTHER), "other");
    assert_string_equal(lg_kite_etype_name((lg_kite_etype_t)99), "?");
    for (int t = LG_KITE_E_NONE; t <= LG_KITE_E_OTHER; t++) {
        assert_string_not_equal(lg_kite_etype_name((lg_kite_etype_t)t), "?");
    }
}

/* ---- text frames ---------------------------------------------------------------------- */

static void test_text_frames(void **state) {
    (void)state;
    size_t len;
    char *pb = read_file("postback.json", &len);
    size_t cap = len + 64;
    char *frame = malloc(cap);
    assert_non_null(frame);
    snprintf(frame, cap, "{\"type\":\"order\",\"id\":\"\",\"data\":%s}", pb);
    lg_kite_text_t type = 0;
    lg_adopt_t a;
    char msg[LG_STATUS_MSG_MAX] = "untouched", err[160];
    if (lg_kite_parse_text_frame(frame, strlen(frame), &type, &a, msg, sizeof msg, err, sizeof err) !=
        LG_OK) {
        fail_msg("%s", err);
    }
    assert_int_equal(type, LG_KITE_TEXT_ORDER);
    check_postback(&a);
    assert_string_equal(msg, "untouched");

    const char *ef = "{\"type\":\"error\",\"data\":\"Invalid access token\"}";
    assert_int_equal(lg_kite_parse_text_frame(ef, strlen(ef), &type, &a, msg, sizeof msg, err,
                                              sizeof err), LG_OK);
    assert_int_equal(type, LG_KITE_TEXT_ERROR);
    assert_string_equal(msg, "Invalid access token");
    check_postback(&a); /* the order is not touched by a text message */

    const char *mf = "{\"type\":\"message\",\"data\":\"Market closes in 10 minutes\"}";
    char small[12];
    assert_int_equal(lg_kite_parse_text_frame(mf, strlen(mf), &type, &a, small, sizeof small, err,
                                              sizeof err), LG_OK);
    assert_int_equal(type, LG_KITE_TEXT_MESSAGE);
    assert_string_equal(small, "Market clos");

    static const struct {
        const char *frame;
        int rc;
        const char *err;
    } bad[] = {
        {"{\"type\":\"tick\",\"data\":\"x\"}", LG_EPARSE, "type: expected one of order, error, message; got \"tick\""},
        {"{\"data\":\"x\"}", LG_EPARSE, "type: missing"},
        {"{\"type\":7,\"data\":\"x\"}", LG_EPARSE, "type: expected a string"},
        {"{\"type\":\"order\"}", LG_EPARSE, "data: missing"},
        {"{\"type\":\"order\",\"data\":\"x\"}", LG_EPARSE, "data: expected an object"},
        {"{\"type\":\"order\",\"data\":{\"order_id\":\"1\"}}", LG_EPARSE, "data.status: missing"},
        {"{\"type\":\"error\",\"data\":{}}", LG_EPARSE, "data: expected a string"},
        {"{\"type\":\"message\"}", LG_EPARSE, "data: expected a string, got nothing"},
        {"[\"order\"]", LG_EPARSE, "body: expected an object, got an array"},
        {"{\"type\":\"order\"", LG_EPARSE, "not JSON"},
    };
    for (size_t i = 0; i < LG_COUNT(bad); i++) {
        lg_kite_text_t t2 = 42;
        lg_adopt_t b, before;
        memset(&b, 0x3C, sizeof b);
        memcpy(&before, &b, sizeof b);
        char m2[32] = "keep";
        int rc = lg_kite_parse_text_frame(bad[i].frame, strlen(bad[i].frame), &t2, &b, m2, sizeof m2,
                                          err, sizeof err);
        if (rc != bad[i].rc) fail_msg("frame %zu: rc %d (%s)", i, rc, err);
        assert_int_equal(t2, 42);
        assert_memory_equal(&b, &before, sizeof b);
        assert_string_equal(m2, "keep");
        assert_contains(err, bad[i].err);
    }
    free(frame);
    free(pb);
}

/* ---- bad input: every decoder refuses, outputs untouched, err names the field --------- */

typedef struct outs {
    lg_adopt_t orders[CAP];
    lg_kite_trade_t trades[CAP];
    lg_position_row_t rows[CAP];
    lg_kite_margins_t m;
    lg_adopt_t one;
    lg_paise_t ini, fin;
    uint32_t n;
    char id[LG_BROKER_ID_MAX];
} outs_t;

typedef int (*decode_fn)(const char *s, size_t len, outs_t *o, char *err, size_t errcap);

static uint32_t g_cap = CAP;

static int d_orders(const char *s, size_t len, outs_t *o, char *err, size_t errcap) {
    return lg_kite_parse_orders(s, len, o->orders, g_cap, &o->n, err, errcap);
}
static int d_trades(const char *s, size_t len, outs_t *o, char *err, size_t errcap) {
    return lg_kite_parse_trades(s, len, o->trades, g_cap, &o->n, err, errcap);
}
static int d_positions(const char *s, size_t len, outs_t *o, char *err, size_t errcap) {
    return lg_kite_parse_positions(s, len, o->rows, g_cap, &o->n, err, errcap);
}
static int d_margins(const char *s, size_t len, outs_t *o, char *err, size_t errcap) {
    return lg_kite_parse_margins(s, len, &o->m, err, errcap);
}
static int d_basket(const char *s, size_t len, outs_t *o, char *err, size_t errcap) {
    return lg_kite_parse_basket(s, len, &o->ini, &o->fin, err, errcap);
}
static int d_order_id(const char *s, size_t len, outs_t *o, char *err, size_t errcap) {
    return lg_kite_parse_order_id(s, len, o->id, sizeof o->id, err, errcap);
}
static int d_object(const char *s, size_t len, outs_t *o, char *err, size_t errcap) {
    return lg_kite_parse_order_object(s, len, &o->one, err, errcap);
}

static void expect_refused(decode_fn fn, const char *body, size_t len, int want, const char *sub) {
    static outs_t o, before;
    memset(&o, 0xA5, sizeof o);
    memcpy(&before, &o, sizeof o);
    char err[200];
    int rc = fn(body, len, &o, err, sizeof err);
    if (rc != want) {
        fail_msg("rc %s, want %s; err \"%s\"; body %.100s", lg_errname(rc), lg_errname(want),
                 rc == LG_OK ? "" : err, body);
    }
    if (memcmp(&o, &before, sizeof o) != 0) fail_msg("outputs written on %s", err);
    assert_contains(err, sub);
    /* no room for a message, or a tiny one: the same code, nothing overrun */
    char tiny[6];
    assert_int_equal(fn(body, len, &o, tiny, sizeof tiny), want);
    assert_true(strlen(tiny) < sizeof tiny);
    assert_int_equal(fn(body, len, &o, NULL, 0), want);
    assert_memory_equal(&o, &before, sizeof o);
}

static void expect_refused_s(decode_fn fn, const char *body, int want, const char *sub) {
    expect_refused(fn, body, strlen(body), want, sub);
}

/* The refusals every decoder shares. */
static void common_bad(decode_fn fn, const char *good, size_t good_len, bool envelope) {
    expect_refused_s(fn, "hello", LG_EPARSE, "not JSON");
    expect_refused(fn, "", 0, LG_EPARSE, "not JSON");
    expect_refused(fn, good, good_len / 2, LG_EPARSE, "not JSON"); /* truncated */
    expect_refused(fn, good, good_len > 2 ? good_len - 2 : 0, LG_EPARSE, "not JSON");
    char *trailing = malloc(good_len + 4);
    assert_non_null(trailing);
    memcpy(trailing, good, good_len);
    memcpy(trailing + good_len, " {}", 4);
    expect_refused_s(fn, trailing, LG_EPARSE, "not JSON");
    free(trailing);
    expect_refused_s(fn, "[1,2,3]", LG_EPARSE, "body: expected an object, got an array");
    if (!envelope) return;
    expect_refused_s(fn, ENV("InputException", "Invalid order"), LG_EPARSE,
                     "status: \"error\", not \"success\" (InputException: Invalid order)");
    expect_refused_s(fn, "{\"status\":\"success\"}", LG_EPARSE, "data: missing");
    expect_refused_s(fn, "{\"status\":\"success\",\"data\":null}", LG_EPARSE, "data: expected a value, got null");
    expect_refused_s(fn, "{\"data\":[]}", LG_EPARSE, "status: expected a string, got nothing");
    expect_refused_s(fn, "{\"status\":1,\"data\":[]}", LG_EPARSE, "status: expected a string, got an integer");
}

static void test_bad_orders(void **state) {
    (void)state;
    size_t len;
    char *good = read_file("orders.json", &len);
    common_bad(d_orders, good, len, true);
    expect_refused_s(d_orders, "{\"status\":\"success\",\"data\":{}}", LG_EPARSE,
                     "data: expected an array, got an object");
    expect_refused_s(d_orders, "{\"status\":\"success\",\"data\":[[]]}", LG_EPARSE,
                     "data[0]: expected an object, got an array");
    static const struct {
        const char *needle;
        int k;
        const char *repl;
        int rc;
        const char *err;
    } muts[] = {
        {"\"filled_quantity\": 0", 1, "\"filled_quantity\": \"0\"", LG_EPARSE,
         "data[3].filled_quantity: expected an integer, got a string"},
        {"\"filled_quantity\": 0", 1, "\"filled_quantity\": null", LG_EPARSE,
         "data[3].filled_quantity: expected an integer, got null"},
        {"\"filled_quantity\": 0", 1, "\"filled_quantity\": 201", LG_ERANGE,
         "data[3].filled_quantity: 201 above quantity 200"},
        {"\"filled_quantity\": 0", 1, "\"filled_quantity\": -1", LG_ERANGE,
         "data[3].filled_quantity: -1 out of range"},
        {"\"filled_quantity\": 0", 1, "\"filled_quantity\": 99999999999999999999", LG_ERANGE,
         "filled_quantity: number out of range"},
        {"\"quantity\": 200", 0, "\"quantity\": 75.5", LG_EPARSE,
         "data[3].quantity: expected an integer, got a real number"},
        {"\"quantity\": 200", 0, "\"quantity\": 75.0", LG_EPARSE,
         "data[3].quantity: expected an integer, got a real number"},
        {"\"quantity\": 200", 0, "\"quantity\": 2000000000", LG_ERANGE, "data[3].quantity"},
        {"\"status\": \"REJECTED\"", 0, "\"status\": \"WEIRD\"", LG_ESTATUS,
         "data[3].status: unknown status \"WEIRD\""},
        {"\"status\": \"REJECTED\"", 0, "\"status\": \"rejected\"", LG_ESTATUS, "data[3].status"},
        {"\"status\": \"REJECTED\"", 0, "\"status\": null", LG_EPARSE,
         "data[3].status: expected a string, got null"},
        {"\"transaction_type\": \"BUY\"", 2, "\"transaction_type\": \"HOLD\"", LG_EPARSE,
         "data[3].transaction_type: expected one of BUY, SELL; got \"HOLD\""},
        {"\"order_type\": \"LIMIT\"", 2, "\"order_type\": \"STOP\"", LG_EPARSE,
         "data[3].order_type: expected one of MARKET, LIMIT, SL, SL-M; got \"STOP\""},
        {"\"price\": 463", 0, "\"price\": 1e400", LG_ERANGE, "price: number out of range"},
        {"\"price\": 463", 0, "\"price\": 1e300", LG_ERANGE, "data[3].price: 1e+300 rupees out of range"},
        {"\"price\": 463", 0, "\"price\": -1e13", LG_ERANGE, "data[3].price"},
        {"\"price\": 463", 0, "\"price\": 10000000000000", LG_ERANGE, "data[3].price"},
        {"\"price\": 463", 0, "\"price\": \"463\"", LG_EPARSE,
         "data[3].price: expected a number, got a string"},
        {"\"average_price\": 0", 1, "\"average_price\": null", LG_EPARSE,
         "data[3].average_price: expected a number, got null"},
        {"\"average_price\": 0,", 1, "", LG_EPARSE, "data[3].average_price: missing"},
        {"\"instrument_token\": 779521", 0, "\"instrument_token\": 4294967296", LG_ERANGE,
         "data[3].instrument_token"},
        {"\"instrument_token\": 779521", 0, "\"instrument_token\": \"779521\"", LG_EPARSE,
         "data[3].instrument_token: expected an integer"},
        {"\"tag\": \"icebergord\"", 0, "\"tag\": \"ABCDEFGHIJKLMNOPQRSTU\"", LG_EPARSE,
         "data[3].tag: 21 characters, at most 20"},
        {"\"tag\": \"icebergord\"", 0, "\"tag\": 5", LG_EPARSE, "data[3].tag: expected a string"},
        {"\"order_id\": \"220524001859672\"", 0,
         "\"order_id\": \"12345678901234567890123456789012\"", LG_EPARSE,
         "data[3].order_id: 32 characters, at most 31"},
        {"\"order_id\": \"220524001859672\"", 0, "\"order_id\": \"\"", LG_EPARSE,
         "data[3].order_id: empty"},
        {"\"order_id\": \"220524001859672\"", 0, "\"order_id\": 220524001859672", LG_EPARSE,
         "data[3].order_id: expected a string, got an integer"},
        {"\"status_message\": \"Insufficient", 0, "\"status_message\": 3, \"x\": \"", LG_EPARSE,
         "data[3].status_message: expected a string"},
        {"\"status\": \"COMPLETE\"", 4, "\"status\": \"WEIRD\"", LG_ESTATUS, "data[8].status"},
        {"\"quantity\": 150", 0, "\"quantity\": 150.5", LG_EPARSE, "data[9].quantity"},
    };
    for (size_t i = 0; i < LG_COUNT(muts); i++) {
        char *bad = replace_nth(good, muts[i].needle, muts[i].k, muts[i].repl);
        expect_refused_s(d_orders, bad, muts[i].rc, muts[i].err);
        free(bad);
    }
    g_cap = 9;
    expect_refused(d_orders, good, len, LG_ENOSPACE, "data: 10 elements, room for 9");
    g_cap = 0;
    expect_refused(d_orders, good, len, LG_ENOSPACE, "room for 0");
    g_cap = CAP;
    free(good);
}

static void test_bad_order_object(void **state) {
    (void)state;
    size_t len;
    char *good = read_file("postback.json", &len);
    common_bad(d_object, good, len, false);
    static const struct {
        const char *needle, *repl;
        int rc;
        const char *err;
    } muts[] = {
        {"\"filled_quantity\": 1", "\"filled_quantity\": \"1\"", LG_EPARSE,
         "filled_quantity: expected an integer, got a string"},
        {"\"quantity\": 1", "\"quantity\": 75.5", LG_EPARSE, "quantity: expected an integer"},
        {"\"status\": \"COMPLETE\"", "\"status\": \"WEIRD\"", LG_ESTATUS, "status: unknown status \"WEIRD\""},
        {"\"transaction_type\": \"BUY\"", "\"transaction_type\": \"HOLD\"", LG_EPARSE,
         "transaction_type: expected one of BUY, SELL; got \"HOLD\""},
        {"\"average_price\": 470", "\"average_price\": 1e400", LG_ERANGE,
         "average_price: number out of range"},
        {"\"order_id\": \"220303000308932\",", "", LG_EPARSE, "order_id: missing"},
        {"\"tag\": null", "\"tag\": \"ABCDEFGHIJKLMNOPQRSTUVWXYZ\"", LG_EPARSE, "tag: 26 characters"},
    };
    for (size_t i = 0; i < LG_COUNT(muts); i++) {
        char *bad = replace_nth(good, muts[i].needle, 0, muts[i].repl);
        expect_refused_s(d_object, bad, muts[i].rc, muts[i].err);
        free(bad);
    }
    /* an order list where one object is wanted */
    expect_refused_s(d_object, "[{\"order_id\":\"1\"}]", LG_EPARSE, "body: expected an object");
    free(good);
}

static void test_bad_trades(void **state) {
    (void)state;
    size_t len;
    char *good = read_file("trades.json", &len);
    common_bad(d_trades, good, len, true);
    expect_refused_s(d_trades, "{\"status\":\"success\",\"data\":{\"trades\":[]}}", LG_EPARSE,
                     "data: expected an array, got an object");
    char *bad = replace_nth(good, "\"quantity\": 1", 1, "\"quantity\": 1.5");
    expect_refused_s(d_trades, bad, LG_EPARSE, "data[1].quantity: expected an integer, got a real number");
    free(bad);
    bad = replace_nth(good, "\"quantity\": 1", 2, "\"quantity\": 0");
    expect_refused_s(d_trades, bad, LG_ERANGE, "data[2].quantity: 0 out of range");
    free(bad);
    bad = replace_nth(good, "\"transaction_type\": \"BUY\"", 3, "\"transaction_type\": \"HOLD\"");
    expect_refused_s(d_trades, bad, LG_EPARSE, "data[3].transaction_type");
    free(bad);
    bad = replace_nth(good, "\"trade_id\": \"40000000\"", 0, "\"trade_id\": 40000000");
    expect_refused_s(d_trades, bad, LG_EPARSE, "data[1].trade_id: expected a string");
    free(bad);
    bad = replace_nth(good, "\"average_price\": 72.755", 0, "\"average_price\": 1e400");
    expect_refused_s(d_trades, bad, LG_ERANGE, "average_price: number out of range");
    free(bad);
    g_cap = 3;
    expect_refused(d_trades, good, len, LG_ENOSPACE, "data: 4 elements, room for 3");
    g_cap = CAP;
    free(good);
}

static void test_bad_positions(void **state) {
    (void)state;
    size_t len;
    char *good = read_file("positions.json", &len);
    common_bad(d_positions, good, len, true);
    expect_refused_s(d_positions, "{\"status\":\"success\",\"data\":[]}", LG_EPARSE,
                     "data: expected an object, got an array");
    expect_refused_s(d_positions, "{\"status\":\"success\",\"data\":{\"day\":[]}}", LG_EPARSE,
                     "data.net: missing");
    expect_refused_s(d_positions, "{\"status\":\"success\",\"data\":{\"net\":{}}}", LG_EPARSE,
                     "data.net: expected an array, got an object");
    expect_refused_s(d_positions, "{\"status\":\"success\",\"data\":{\"net\":[1]}}", LG_EPARSE,
                     "data.net[0]: expected an object, got an integer");
    char *bad = replace_nth(good, "\"quantity\": 0", 0, "\"quantity\": 0.0");
    expect_refused_s(d_positions, bad, LG_EPARSE, "data.net[1].quantity: expected an integer");
    free(bad);
    bad = replace_nth(good, "\"quantity\": 1", 0, "\"quantity\": -1000000001");
    expect_refused_s(d_positions, bad, LG_ERANGE, "data.net[0].quantity");
    free(bad);
    bad = replace_nth(good, "\"instrument_token\": 779521", 0, "\"instrument_token\": -5");
    expect_refused_s(d_positions, bad, LG_ERANGE, "data.net[2].instrument_token");
    free(bad);
    g_cap = 2;
    expect_refused(d_positions, good, len, LG_ENOSPACE, "data.net: 3 elements, room for 2");
    g_cap = CAP;
    /* a short position decodes negative */
    bad = replace_nth(good, "\"quantity\": 1", 0, "\"quantity\": -130");
    lg_position_row_t r[CAP];
    uint32_t n = 0;
    assert_int_equal(lg_kite_parse_positions(bad, strlen(bad), r, CAP, &n, NULL, 0), LG_OK);
    assert_int_equal(r[0].qty, -130);
    free(bad);
    free(good);
}

static void test_bad_margins(void **state) {
    (void)state;
    size_t len;
    char *good = read_file("margins.json", &len);
    common_bad(d_margins, good, len, true);
    expect_refused_s(d_margins, "{\"status\":\"success\",\"data\":[]}", LG_EPARSE,
                     "data: expected an object, got an array");
    expect_refused_s(d_margins, "{\"status\":\"success\",\"data\":{\"commodity\":{}}}", LG_EPARSE,
                     "data.equity: missing");
    char *bad = replace_nth(good, "\"cash\": 245431.6", 0, "\"cash\": \"245431.6\"");
    expect_refused_s(d_margins, bad, LG_EPARSE, "data.equity.available.cash: expected a number, got a string");
    free(bad);
    bad = replace_nth(good, "\"enabled\": true", 0, "\"enabled\": 1");
    expect_refused_s(d_margins, bad, LG_EPARSE, "data.equity.enabled: expected a boolean");
    free(bad);
    bad = replace_nth(good, "\"span\": 101989", 0, "\"span\": 1e400");
    expect_refused_s(d_margins, bad, LG_ERANGE, "span: number out of range");
    free(bad);
    bad = replace_nth(good, "\"span\": 101989,", 0, "");
    expect_refused_s(d_margins, bad, LG_EPARSE, "data.equity.utilised.span: missing");
    free(bad);
    bad = replace_nth(good, "\"utilised\": {", 0, "\"utilised\": [], \"x\": {");
    expect_refused_s(d_margins, bad, LG_EPARSE, "data.equity.utilised: expected an object, got an array");
    free(bad);
    free(good);
}

static void test_bad_basket(void **state) {
    (void)state;
    size_t len;
    char *good = read_file("basket_margins.json", &len);
    common_bad(d_basket, good, len, true);
    char *bad = replace_nth(good, "\"total\": 34786.725000000006", 0, "\"total\": null");
    expect_refused_s(d_basket, bad, LG_EPARSE, "data.final.total: expected a number, got null");
    free(bad);
    bad = replace_nth(good, "\"initial\": {", 0, "\"initial\": 5, \"x\": {");
    expect_refused_s(d_basket, bad, LG_EPARSE, "data.initial: expected an object, got an integer");
    free(bad);
    bad = replace_nth(good, "\"total\": 96504.975", 0, "\"total\": 1e300");
    expect_refused_s(d_basket, bad, LG_ERANGE, "data.initial.total");
    free(bad);
    expect_refused_s(d_basket, "{\"status\":\"success\",\"data\":[]}", LG_EPARSE, "data: expected an object");
    free(good);
}

static void test_bad_order_id(void **state) {
    (void)state;
    size_t len;
    char *good = read_file("order_response.json", &len);
    common_bad(d_order_id, good, len, true);
    expect_refused_s(d_order_id, "{\"status\":\"success\",\"data\":[]}", LG_EPARSE,
                     "data: expected an object, got an array");
    expect_refused_s(d_order_id, "{\"status\":\"success\",\"data\":{}}", LG_EPARSE, "data.order_id: missing");
    expect_refused_s(d_order_id, "{\"status\":\"success\",\"data\":{\"order_id\":151220000000000}}",
                     LG_EPARSE, "data.order_id: expected a string, got an integer");
    expect_refused_s(d_order_id, "{\"status\":\"success\",\"data\":{\"order_id\":\"\"}}", LG_EPARSE,
                     "data.order_id: empty");
    expect_refused_s(d_order_id,
                     "{\"status\":\"success\",\"data\":{\"order_id\":\"123456789012345678901234567890123\"}}",
                     LG_EPARSE, "data.order_id: 33 characters, at most 31");
    free(good);
}

static void test_money_rounding(void **state) {
    (void)state;
    static const struct {
        const char *v;
        lg_paise_t paise;
    } cases[] = {
        {"0", 0}, {"470", 47000}, {"0.05", 5}, {"109.35", 10935}, {"0.005", 1}, {"-0.005", -1},
        {"-2152.5", -215250}, {"96504.975", 9650498}, {"1e2", 10000}, {"-0", 0},
        {"1000000000000", 100000000000000}, {"-1000000000000", -100000000000000},
        {"1e-400", 0}, /* underflow is zero: not an error */
    };
    for (size_t i = 0; i < LG_COUNT(cases); i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"status\":\"success\",\"data\":{\"initial\":{\"total\":%s},\"final\":{\"total\":1}}}",
                 cases[i].v);
        lg_paise_t ini = 7, fin = 7;
        char err[160];
        if (lg_kite_parse_basket(body, strlen(body), &ini, &fin, err, sizeof err) != LG_OK) {
            fail_msg("%s: %s", cases[i].v, err);
        }
        if (ini != cases[i].paise) fail_msg("%s -> %lld", cases[i].v, (long long)ini);
        assert_int_equal(fin, 100);
    }
}

/* ---- fuzz: mutations and truncations of two mocks never crash ------------------------- */

static uint64_t xorshift(uint64_t *s) {
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static const char *const tokens[] = {"0", "-1", "1e400", "75.5", "\"x\"", "null", "[]", "{}",
                                     "99999999999999999999", "true", "\"WEIRD\"", "\"SELL\"",
                                     "1.0", "\"\"", "4294967296"};
static const char bytes[] = "{}[]\":,0123456789.-eE naltrusfx\\\n";

/* One mutant of src (len) into dst (cap >= len + 64); returns its length. */
static size_t mutate(const char *src, size_t len, char *dst, size_t cap, uint64_t *rng) {
    memcpy(dst, src, len);
    size_t n = len;
    int edits = 1 + (int)(xorshift(rng) % 3);
    for (int k = 0; k < edits && n > 0; k++) {
        size_t at = (size_t)(xorshift(rng) % n);
        switch (xorshift(rng) % 5) {
        case 0: /* truncate */
            n = at;
            break;
        case 1: /* one byte */
            dst[at] = bytes[xorshift(rng) % (sizeof bytes - 1)];
            break;
        case 2: { /* delete a run */
            size_t r = (size_t)(xorshift(rng) % 16) + 1; /* not inside LG_MIN: evaluated twice */
            size_t run = LG_MIN(r, n - at);
            memmove(dst + at, dst + at + run, n - at - run);
            n -= run;
            break;
        }
        default: { /* a value after a ':' replaced by another token (stays JSON more often) */
            char *colon = memchr(dst + at, ':', n - at);
            if (colon == NULL) break;
            size_t v0 = (size_t)(colon - dst) + 1, v1 = v0;
            while (v1 < n && dst[v1] != ',' && dst[v1] != '}' && dst[v1] != '\n') v1++;
            const char *t = tokens[xorshift(rng) % LG_COUNT(tokens)];
            size_t tl = strlen(t);
            if (n - (v1 - v0) + tl + 1 > cap) break;
            memmove(dst + v0 + tl, dst + v1, n - v1);
            memcpy(dst + v0, t, tl);
            n = n - (v1 - v0) + tl;
            break;
        }
        }
    }
    return n;
}

static void check_adopt(const lg_adopt_t *a) {
    assert_true(a->side == 1 || a->side == -1);
    assert_true(a->u.filled >= 0 && a->u.filled <= a->u.quantity);
    assert_true(strlen(a->u.tag) <= LG_TAG_MAX && a->otype <= LG_OT_SLM);
    assert_true(a->u.broker_id[0] != '\0' && strlen(a->u.broker_id) < LG_BROKER_ID_MAX);
    assert_true((int)a->u.status >= 0 && a->u.status < LG_KS__COUNT);
}

/* Every decoder that reads this kind of answer, on one mutant: accepted with the
 * contract's promises, or refused with the outputs untouched. */
static void fuzz_one(const char *s, size_t len, bool orders, bool classify, int *accepted) {
    static outs_t o, before;
    memset(&before, 0xA5, sizeof before);
    memcpy(&o, &before, sizeof o);
    char err[160];
    int rc;
    if (orders) {
        rc = lg_kite_parse_orders(s, len, o.orders, CAP, &o.n, err, sizeof err);
        if (rc == LG_OK) {
            assert_true(o.n <= CAP);
            for (uint32_t i = 0; i < o.n; i++) check_adopt(&o.orders[i]);
        }
    } else {
        rc = lg_kite_parse_positions(s, len, o.rows, CAP, &o.n, err, sizeof err);
        if (rc == LG_OK) assert_true(o.n <= CAP);
    }
    if (classify) {
        lg_kite_answer_t a;
        lg_kite_classify(len % 2 ? 200 : 400, "application/json", s, len, &a);
        assert_true(!a.ok || a.etype == LG_KITE_E_NONE);
        assert_true(!a.halt || a.etype == LG_KITE_E_TOKEN);
        assert_true(strlen(a.message) < sizeof a.message);
    }
    if (rc == LG_OK) {
        (*accepted)++;
        return;
    }
    assert_true(rc < 0 && strlen(err) > 0);
    assert_memory_equal(&o, &before, sizeof o);
}

/* Mutants per mock (10 000; libFuzzer, `make fuzz`, goes further): LG_KITE_FUZZ_ITERS overrides. */
static int fuzz_iters(void) {
    const char *v = getenv("LG_KITE_FUZZ_ITERS");
    long n = v != NULL ? strtol(v, NULL, 10) : 0;
    return n > 0 && n < 100000000 ? (int)n : 10000;
}

static void test_fuzz_mocks(void **state) {
    (void)state;
    static const char *const files[] = {"orders.json", "positions.json"};
    int iters = fuzz_iters();
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (size_t f = 0; f < LG_COUNT(files); f++) {
        size_t len;
        char *src = read_file(files[f], &len);
        size_t cap = len + 64;
        char *buf = malloc(cap); /* exactly the mutant's bytes: ASan sees any over-read */
        assert_non_null(buf);
        int accepted = 0;
        for (int i = 0; i < iters; i++) {
            size_t n = mutate(src, len, buf, cap, &rng);
            char *exact = malloc(n > 0 ? n : 1);
            assert_non_null(exact);
            memcpy(exact, buf, n);
            fuzz_one(exact, n, f == 0, i % 8 == 0, &accepted);
            free(exact);
        }
        print_message("fuzz %s: %d mutants, %d decoded\n", files[f], iters, accepted);
        if (iters >= 10000) assert_true(accepted > iters / 1000); /* it reaches deep */
        free(buf);
        free(src);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orders_mock),       cmocka_unit_test(test_order_info_mock),
        cmocka_unit_test(test_trades_mocks),      cmocka_unit_test(test_positions_mock),
        cmocka_unit_test(test_margins_mock),      cmocka_unit_test(test_basket_mock),
        cmocka_unit_test(test_order_id_mocks),    cmocka_unit_test(test_postback_mock),
        cmocka_unit_test(test_classify_table),    cmocka_unit_test(test_classify_edges),
        cmocka_unit_test(test_text_frames),       cmocka_unit_test(test_bad_orders),
        cmocka_unit_test(test_bad_order_object),  cmocka_unit_test(test_bad_trades),
        cmocka_unit_test(test_bad_positions),     cmocka_unit_test(test_bad_margins),
        cmocka_unit_test(test_bad_basket),        cmocka_unit_test(test_bad_order_id),
        cmocka_unit_test(test_money_rounding),    cmocka_unit_test(test_fuzz_mocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
