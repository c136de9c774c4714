/*
 * test_api.c — the control API (api.h) called directly, its operations stepping an
 * engine (risk on) by hand: the token, routes, 404/405, a group submitted and shown
 * with its timeline, an intent sized, kill and resume, positions with greeks,
 * /metrics; bad bodies (not JSON, unknown fields, wrong types, too many decimals, an
 * unknown symbol, too large) answered 4xx naming the field with the engine untouched;
 * a refusal by the risk engine is 422 with its reason; the rate limit's 429.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "risk_fixture.h"

#include "legato/api.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

static void last_alert(const fx_t *f, char *err, size_t cap) {
    if (f->out.n_alerts > 0) snprintf(err, cap, "%s", f->out.alerts[f->out.n_alerts - 1].text);
}

static int op_submit(void *ud, const lg_group_spec_t *spec, uint32_t *group, char *err, size_t cap) {
    fx_t *f = ud;
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    ev.u.submit = *spec;
    int rc = step(f, &ev);
    *group = f->out.new_group;
    if (rc != LG_OK) last_alert(f, err, cap);
    return rc;
}

static int op_intent(void *ud, const lg_intent_t *it, uint32_t *group, char *err, size_t cap) {
    fx_t *f = ud;
    lg_event_t ev = {.kind = LG_EV_INTENT};
    ev.u.intent = *it;
    int rc = step(f, &ev);
    *group = f->out.new_group;
    if (rc != LG_OK) last_alert(f, err, cap);
    return rc;
}

static int op_control(void *ud, lg_control_op_t op, uint32_t group, char *err, size_t cap) {
    fx_t *f = ud;
    lg_event_t ev = {.kind = LG_EV_CONTROL};
    ev.u.control.op = op;
    ev.u.control.group = group;
    int rc = step(f, &ev);
    if (rc != LG_OK) last_alert(f, err, cap);
    return rc;
}

typedef struct tfx {
    fx_t *f;
    lg_api_t *api;
    lg_api_reply_t rep;
    lg_ns_t now;
} tfx_t;

static tfx_t *tfx_new(uint32_t rate, uint32_t burst) {
    static tfx_t t;
    memset(&t, 0, sizeof t);
    t.f = fx_new();
    lg_api_config_t c = {.engine = t.f->e, .token = TOKEN, .max_body = 4096, .rate_per_s = rate,
                         .burst = burst, .ops = {op_submit, op_intent, op_control}, .ud = t.f};
    assert_int_equal(lg_api_create(&c, &t.api), LG_OK);
    t.now = LG_NS_PER_S;
    return &t;
}

static void tfx_free(tfx_t *t) {
    lg_api_reply_free(&t->rep);
    lg_api_destroy(t->api);
    fx_free(t->f);
}

/* One request; the reply stays in t->rep until the next. */
static int call(tfx_t *t, const char *method, const char *path, const char *auth, const char *body) {
    lg_api_reply_free(&t->rep);
    t->now += LG_NS_PER_MS;
    lg_api_request_t r = {.method = method, .path = path, .authorization = auth,
                          .body = body ? body : "", .body_len = body ? strlen(body) : 0,
                          .now = t->now, .unix_now = OFFSET + t->f->now};
    lg_api_handle(t->api, &r, &t->rep);
    assert_non_null(t->rep.body);
    return t->rep.status;
}

/* A GET with a query string. */
static int get_q(tfx_t *t, const char *path, const char *query) {
    lg_api_reply_free(&t->rep);
    t->now += LG_NS_PER_MS;
    lg_api_request_t r = {.method = "GET", .path = path, .query = query, .authorization = "Bearer " TOKEN,
                          .body = "", .now = t->now, .unix_now = OFFSET + t->f->now};
    lg_api_handle(t->api, &r, &t->rep);
    assert_non_null(t->rep.body);
    return t->rep.status;
}

static int req(tfx_t *t, const char *method, const char *path, const char *body) {
    return call(t, method, path, "Bearer " TOKEN, body);
}

static bool says(const tfx_t *t, const char *needle) {
    if (strstr(t->rep.body, needle) != NULL) return true;
    fprintf(stderr, "  reply %d: %s\n  (wanted '%s')\n", t->rep.status, t->rep.body, needle);
    return false;
}

static const char *SPREAD =
    "{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"sell\",\"qty\":650},"
    "{\"symbol\":\"NIFTY26JUL24400CE\",\"side\":\"buy\",\"qty\":650}],\"policy\":\"ratchet\"}";

static void test_token_and_routes(void **st) {
    (void)st;
    tfx_t *t = tfx_new(1000, 1000);
    assert_int_equal(call(t, "GET", "/v1/status", NULL, NULL), 401);
    assert_int_equal(call(t, "GET", "/v1/status", "Bearer wrong", NULL), 401);
    assert_int_equal(call(t, "GET", "/v1/status", "Bearer " TOKEN "x", NULL), 401);
    assert_int_equal(call(t, "GET", "/v1/status", "Basic " TOKEN, NULL), 401);
    assert_int_equal(req(t, "GET", "/v1/status", NULL), 200);
    assert_true(says(t, "\"trading_state\":\"ACTIVE\""));
    assert_true(says(t, "\"instruments\":5"));
    assert_true(says(t, "\"instruments_priced\":"));
    assert_int_equal(req(t, "GET", "/v1/nothing", NULL), 404);
    assert_int_equal(req(t, "DELETE", "/v1/groups", NULL), 405);
    assert_int_equal(req(t, "GET", "/v1/groups/77", NULL), 404);
    assert_true(says(t, "group 77"));
    assert_int_equal(req(t, "GET", "/v1/groups/0", NULL), 404);
    assert_int_equal(req(t, "GET", "/v1/groups/12x", NULL), 404);
    assert_int_equal(req(t, "GET", "/v1/groups/99999999999", NULL), 404);
    lg_api_stats_t s;
    lg_api_stats(t->api, &s);
    assert_int_equal(s.unauthorized, 4);
    tfx_free(t);
}

static void test_instruments(void **st) {
    (void)st;
    tfx_t *t = tfx_new(1000, 1000);
    assert_int_equal(get_q(t, "/v1/instruments", NULL), 400);
    assert_true(says(t, "underlying: required"));
    assert_int_equal(get_q(t, "/v1/instruments", "underlying=NIFTY&colour=red"), 400);
    assert_true(says(t, "colour: unknown"));
    assert_int_equal(get_q(t, "/v1/instruments", "underlying=NIFTY&expiry=tomorrow"), 400);
    assert_true(says(t, "expiry:"));
    assert_int_equal(get_q(t, "/v1/instruments", "underlying=SENSEX"), 404);
    assert_int_equal(get_q(t, "/v1/instruments", "underlying=NIFTY&expiry=2001-01-01"), 404);
    assert_int_equal(get_q(t, "/v1/instruments", "underlying=NIFTY"), 200);
    assert_true(says(t, "\"symbol\":\"NIFTY26JUL24200CE\""));
    assert_true(says(t, "\"kind\":\"CE\""));
    assert_true(says(t, "\"lot\":65"));
    assert_true(says(t, "\"strike\":24200"));
    assert_true(says(t, "\"truncated\":false"));
    int y, m, d;
    lg_civil_from_days(20650, &y, &m, &d); /* the test master's expiry */
    char q[64];
    snprintf(q, sizeof q, "underlying=NIFTY&expiry=%04d-%02d-%02d", y, m, d);
    assert_int_equal(get_q(t, "/v1/instruments", q), 200);
    assert_true(says(t, "NIFTY26JULFUT"));
    assert_int_equal(get_q(t, "/v1/instruments", "underlying=NIFTY&expiry=nearest"), 200);
    assert_true(says(t, "NIFTY26JUL23600PE"));
    tfx_free(t);
}

static void test_group_submitted_and_shown(void **st) {
    (void)st;
    tfx_t *t = tfx_new(1000, 1000);
    /* no margin snapshot yet: the risk engine refuses, with its reason */
    market(t->f, FWD);
    assert_int_equal(req(t, "POST", "/v1/groups", SPREAD), 422);
    assert_true(says(t, "no margin snapshot"));
    assert_int_equal(margins(t->f, 10000000LL * 100), LG_OK);
    assert_int_equal(req(t, "POST", "/v1/groups", SPREAD), 201);
    assert_true(says(t, "\"state\":\"SUBMITTED\""));
    uint32_t g = t->f->out.new_group;
    assert_int_equal(req(t, "GET", "/v1/groups", NULL), 200);
    assert_true(says(t, "NIFTY26JUL24200CE"));
    char path[32];
    snprintf(path, sizeof path, "/v1/groups/%u", g);
    fill_all(t->f);
    assert_int_equal(req(t, "GET", path, NULL), 200);
    assert_true(says(t, "\"timeline\":[\"CREATED\",\"VALIDATED\",\"SUBMITTED\""));
    assert_true(says(t, "\"orders\":[{\"tag\""));
    assert_true(says(t, "\"bound\":\"none\""));
    assert_int_equal(req(t, "GET", "/v1/positions", NULL), 200);
    assert_true(says(t, "\"qty\":-650"));
    assert_true(says(t, "\"delta\":"));
    /* exit it */
    snprintf(path, sizeof path, "/v1/groups/%u/exit", g);
    assert_int_equal(req(t, "POST", "/v1/groups/77/exit", NULL), 404);
    assert_int_equal(req(t, "POST", path, NULL), 202);
    assert_true(says(t, "\"state\":\"CLOSING\""));
    fill_all(t->f);
    lg_gstate_t gs;
    assert_int_equal(lg_engine_group_state(t->f->e, g, &gs), LG_OK);
    assert_int_equal(gs, LG_GS_CLOSED);
    tfx_free(t);
}

static void test_intent_sized(void **st) {
    (void)st;
    tfx_t *t = tfx_new(1000, 1000);
    market(t->f, FWD);
    assert_int_equal(margins(t->f, 10000000LL * 100), LG_OK);
    const char *it = "{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"sell\",\"ratio\":1},"
                     "{\"symbol\":\"NIFTY26JUL24400CE\",\"side\":\"buy\",\"ratio\":1}],"
                     "\"confidence\":0.5}";
    assert_int_equal(req(t, "POST", "/v1/intents", it), 201);
    uint32_t g = t->f->out.new_group;
    lg_sizing_view_t sz;
    assert_int_equal(lg_engine_sizing(t->f->e, g, &sz), LG_OK);
    assert_true(sz.units >= 1);
    /* a decision price far from the market: refused by the slippage rule */
    const char *far = "{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"sell\",\"ratio\":1},"
                      "{\"symbol\":\"NIFTY26JUL24400CE\",\"side\":\"buy\",\"ratio\":1}],"
                      "\"decision_price\":-500.5}";
    assert_int_equal(req(t, "POST", "/v1/intents", far), 422);
    assert_true(says(t, "price moved"));
    /* a qty in an intent is not a field of it */
    assert_int_equal(req(t, "POST", "/v1/intents",
                         "{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"buy\",\"qty\":65}]}"),
                     400);
    assert_true(says(t, "legs[0].qty: unknown field"));
    tfx_free(t);
}

/* Each bad body: 400 naming the field, and nothing reached the engine. */
static void test_bad_bodies(void **st) {
    (void)st;
    tfx_t *t = tfx_new(1000, 1000);
    market(t->f, FWD);
    assert_int_equal(margins(t->f, 10000000LL * 100), LG_OK);
    lg_engine_stats_t s0, s1;
    lg_engine_stats(t->f->e, &s0);
    uint64_t d = lg_engine_digest(t->f->e);
    static const struct {
        const char *body, *says;
    } cases[] = {
        {"{\"legs\":[", "body: not JSON"},
        {"[1,2]", "body: must be a JSON object"},
        {"{}", "legs: required"},
        {"{\"legs\":[]}", "legs: 0 legs"},
        {"{\"legs\":{}}", "legs: must be an array"},
        {"{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"buy\",\"qty\":65}],\"colour\":1}",
         "colour: unknown field"},
        {"{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"buy\",\"qty\":65,\"x\":1}]}",
         "legs[0].x: unknown field"},
        {"{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"buy\",\"qty\":\"65\"}]}",
         "legs[0].qty: must be a whole number"},
        {"{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"buy\",\"qty\":0}]}",
         "legs[0].qty: 0 is outside"},
        {"{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"qty\":65}]}", "legs[0].side: required"},
        {"{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"long\",\"qty\":65}]}",
         "legs[0].side: 'long' is not one of"},
        {"{\"legs\":[{\"symbol\":\"NIFTY26JUL99999CE\",\"side\":\"buy\",\"qty\":65}]}",
         "legs[0].symbol: 'NIFTY26JUL99999CE' is not in the instrument master"},
        {"{\"legs\":[{\"token\":1,\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"buy\",\"qty\":65}]}",
         "legs[0].symbol: give either symbol or token"},
        {"{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"buy\",\"qty\":65,\"limit\":1.234}]}",
         "legs[0].limit: 1.234 rupees has more than 2 decimals"},
        {"{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"buy\",\"qty\":65,\"covered_by\":0}]}",
         "legs[0].covered_by: a leg cannot cover itself"},
        {"{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"buy\",\"qty\":65}],\"policy\":\"yolo\"}",
         "policy: must be ratchet"},
        {"{\"legs\":[{\"symbol\":\"NIFTY26JUL24200CE\",\"side\":\"buy\",\"qty\":65}],"
         "\"legs\":[]}", "body: not JSON"},
    };
    for (size_t i = 0; i < LG_COUNT(cases); i++) {
        assert_int_equal(req(t, "POST", "/v1/groups", cases[i].body), 400);
        assert_true(says(t, cases[i].says));
    }
    char big[5000];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(req(t, "POST", "/v1/groups", big), 413);
    assert_int_equal(req(t, "POST", "/v1/kill", "{\"now\":true}"), 400);
    assert_int_equal(lg_engine_trading_state(t->f->e), LG_TS_ACTIVE);
    lg_engine_stats(t->f->e, &s1);
    assert_int_equal(s1.groups_submitted, s0.groups_submitted);
    assert_true(lg_engine_digest(t->f->e) == d);
    tfx_free(t);
}

static void test_kill_resume_metrics(void **st) {
    (void)st;
    tfx_t *t = tfx_new(1000, 1000);
    assert_int_equal(req(t, "POST", "/v1/kill", NULL), 200);
    assert_true(says(t, "\"trading_state\":\"HALTED\""));
    assert_int_equal(lg_engine_trading_state(t->f->e), LG_TS_HALTED);
    assert_int_equal(req(t, "POST", "/v1/groups", SPREAD), 422);
    assert_true(says(t, "HALTED"));
    assert_int_equal(req(t, "GET", "/metrics", NULL), 200);
    assert_string_equal(t->rep.content_type, "text/plain; version=0.0.4");
    assert_true(says(t, "\nlegato_trading_state 2\n"));
    assert_true(says(t, "# TYPE legato_halts_total counter\nlegato_halts_total 1\n"));
    assert_int_equal(req(t, "POST", "/v1/resume", "{}"), 200);
    assert_true(says(t, "\"trading_state\":\"ACTIVE\""));
    tfx_free(t);
}

static void test_rate_limit(void **st) {
    (void)st;
    tfx_t *t = tfx_new(2, 3);
    for (int i = 0; i < 3; i++) assert_int_equal(req(t, "GET", "/v1/risk", NULL), 200);
    assert_int_equal(req(t, "GET", "/v1/risk", NULL), 429);
    assert_true(t->rep.retry_after_s >= 1);
    assert_true(says(t, "LG_ERATE"));
    /* unauthorised floods are limited too, before the token is looked at */
    assert_int_equal(call(t, "GET", "/v1/risk", NULL, NULL), 429);
    t->now += LG_NS_PER_S;
    assert_int_equal(req(t, "GET", "/v1/risk", NULL), 200);
    lg_api_stats_t s;
    lg_api_stats(t->api, &s);
    assert_int_equal(s.limited, 2);
    tfx_free(t);
}

static void test_create_refuses(void **st) {
    (void)st;
    fx_t *f = fx_new();
    lg_api_t *a = NULL;
    lg_api_config_t c = {.engine = f->e, .token = "short", .max_body = 10, .rate_per_s = 1,
                         .burst = 1, .ops = {op_submit, op_intent, op_control}, .ud = f};
    assert_int_equal(lg_api_create(&c, &a), LG_EINVAL); /* a token under 16 characters */
    assert_null(a);
    c.token = TOKEN;
    c.rate_per_s = 0;
    assert_int_equal(lg_api_create(&c, &a), LG_EINVAL);
    fx_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_and_routes),
        cmocka_unit_test(test_instruments),   cmocka_unit_test(test_group_submitted_and_shown),
        cmocka_unit_test(test_intent_sized),       cmocka_unit_test(test_bad_bodies),
        cmocka_unit_test(test_kill_resume_metrics), cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_create_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
