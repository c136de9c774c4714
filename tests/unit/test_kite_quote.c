/*
 * test_kite_quote.c — unit tests for GET /quote as the risk engine uses it
 * (src/kite/kite_quote.c): the circuit bands of the broker's own quote mock
 * (tests/data/kite/quote.json, copied from shared/kite/mocks/), each bad answer refused
 * with the field named and nothing reported, the bands as LG_EV_BAND events (no band,
 * no lower circuit), and the request's query: escaped symbols, batches cut by count and
 * by length, an unknown token refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"
#include "test_master.h"

#include <string.h>

#include "legato/kite.h"

#define CAP 8

static void contains(const char *s, const char *sub) {
    if (strstr(s, sub) == NULL) fail_msg("\"%s\" does not contain \"%s\"", s, sub);
}

static void test_mock(void **state) {
    (void)state;
    size_t len;
    char *body = lg_test_read("kite/quote.json", &len);
    lg_kite_band_t b[CAP];
    uint32_t n = 99;
    char err[160];
    if (lg_kite_parse_bands(body, len, b, CAP, &n, err, sizeof err) != LG_OK) fail_msg("%s", err);
    assert_int_equal(n, 1);
    assert_int_equal(b[0].token, 408065);
    assert_int_equal(b[0].lo, 125070); /* 1250.7 */
    assert_int_equal(b[0].hi, 152860); /* 1528.6 */
    lg_event_t ev;
    assert_true(lg_kite_band_event(&b[0], &ev));
    assert_int_equal(ev.kind, LG_EV_BAND);
    assert_int_equal(ev.u.band.token, 408065);
    assert_int_equal(ev.u.band.lo, 125070);
    assert_int_equal(ev.u.band.hi, 152860);
    free(body);
}

#define Q(key, tok, lo, hi) "\"" key "\":{\"instrument_token\":" tok ",\"lower_circuit_limit\":" \
                            lo ",\"upper_circuit_limit\":" hi ",\"last_price\":1}"
#define ENV(inner) "{\"status\":\"success\",\"data\":{" inner "}}"

static void expect_refused(const char *body, uint32_t cap, int want, const char *sub) {
    lg_kite_band_t b[CAP];
    memset(b, 0, sizeof b);
    uint32_t n = 77;
    char err[160] = "";
    assert_int_equal(lg_kite_parse_bands(body, strlen(body), b, cap, &n, err, sizeof err), want);
    assert_int_equal(n, 77); /* nothing reported */
    contains(err, sub);
}

static void test_many_and_empty(void **state) {
    (void)state;
    const char *body = ENV(Q("NFO:A", "1", "0.05", "310.5") "," Q("NFO:M&M26DECFUT", "2", "0", "0"));
    lg_kite_band_t b[CAP];
    uint32_t n = 0;
    char err[160];
    if (lg_kite_parse_bands(body, strlen(body), b, CAP, &n, err, sizeof err) != LG_OK) fail_msg("%s", err);
    assert_int_equal(n, 2);
    lg_event_t ev;
    for (uint32_t i = 0; i < n; i++) {
        if (b[i].token == 1) {
            assert_int_equal(b[i].lo, 5);
            assert_int_equal(b[i].hi, 31050);
            assert_true(lg_kite_band_event(&b[i], &ev));
        } else {
            assert_int_equal(b[i].token, 2);
            assert_false(lg_kite_band_event(&b[i], &ev)); /* Kite knows no band */
        }
    }
    lg_kite_band_t nolow = {.token = 3, .lo = 0, .hi = 1000};
    assert_true(lg_kite_band_event(&nolow, &ev));
    assert_int_equal(ev.u.band.lo, 1); /* no lower circuit: every positive price */
    assert_int_equal(ev.u.band.hi, 1000);
    const char *none = ENV("");
    n = 5;
    assert_int_equal(lg_kite_parse_bands(none, strlen(none), b, CAP, &n, err, sizeof err), LG_OK);
    assert_int_equal(n, 0); /* every instrument unknown to Kite: left out */
}

static void test_bad(void **state) {
    (void)state;
    expect_refused("hello", CAP, LG_EPARSE, "not JSON");
    expect_refused("{\"status\":\"error\",\"error_type\":\"InputException\",\"message\":\"No instruments\"}",
                   CAP, LG_EPARSE, "InputException");
    expect_refused("{\"status\":\"success\",\"data\":[]}", CAP, LG_EPARSE, "data: expected an object");
    expect_refused(ENV("\"NFO:A\":{\"instrument_token\":1,\"lower_circuit_limit\":1}"), CAP, LG_EPARSE,
                   "data.NFO:A.upper_circuit_limit: missing");
    expect_refused(ENV("\"NFO:A\":{\"lower_circuit_limit\":1,\"upper_circuit_limit\":2}"), CAP, LG_EPARSE,
                   "data.NFO:A.instrument_token: missing");
    expect_refused(ENV(Q("NFO:A", "1", "\"1\"", "2")), CAP, LG_EPARSE,
                   "data.NFO:A.lower_circuit_limit: expected a number, got a string");
    expect_refused(ENV(Q("NFO:A", "1", "20", "10")), CAP, LG_ERANGE, "data.NFO:A: circuit limits 20.00..10.00");
    expect_refused(ENV(Q("NFO:A", "1", "-1", "10")), CAP, LG_ERANGE, "data.NFO:A: circuit limits");
    expect_refused(ENV(Q("NFO:A", "0", "1", "10")), CAP, LG_ERANGE, "data.NFO:A.instrument_token");
    expect_refused(ENV("\"NFO:A\":7"), CAP, LG_EPARSE, "data.NFO:A: expected an object, got an integer");
    /* a good entry and a bad one: the whole answer is refused, nothing half-taken */
    expect_refused(ENV(Q("NFO:A", "1", "1", "10") "," Q("NFO:B", "2", "1", "null")), CAP, LG_EPARSE,
                   "data.NFO:B.upper_circuit_limit");
    expect_refused(ENV(Q("NFO:A", "1", "1", "10") "," Q("NFO:B", "2", "1", "10")), 1, LG_ENOSPACE,
                   "2 quotes, at most 1");
}

static void test_query(void **state) {
    (void)state;
    lg_instruments_t m;
    lg_test_master(&m);
    lg_test_add_instrument(&m, 9 * 256 + 2, "M&M26JULFUT", LG_KIND_FUT, 0);
    uint32_t toks[] = {T_FUT, 9 * 256 + 2, T_C24200, T_P23800};
    char q[256];
    uint32_t taken = 0;
    assert_int_equal(lg_kite_quote_query(&m, toks, 4, 100, q, sizeof q, &taken), LG_OK);
    assert_int_equal(taken, 4);
    assert_string_equal(q, "i=NFO%3ANIFTY26JULFUT&i=NFO%3AM%26M26JULFUT&i=NFO%3ANIFTY26JUL24200CE"
                           "&i=NFO%3ANIFTY26JUL23800PE");
    assert_int_equal(lg_kite_quote_query(&m, toks, 4, 2, q, sizeof q, &taken), LG_OK);
    assert_int_equal(taken, 2); /* cut by count */
    assert_string_equal(q, "i=NFO%3ANIFTY26JULFUT&i=NFO%3AM%26M26JULFUT");
    char small[60];
    assert_int_equal(lg_kite_quote_query(&m, toks, 4, 100, small, sizeof small, &taken), LG_OK);
    assert_int_equal(taken, 2); /* cut by length: 22 + 24 bytes, the third does not fit */
    assert_true(strlen(small) < sizeof small);
    char tiny[10];
    assert_int_equal(lg_kite_quote_query(&m, toks, 4, 100, tiny, sizeof tiny, &taken), LG_ENOSPACE);
    uint32_t unknown[] = {T_FUT, 12345};
    assert_int_equal(lg_kite_quote_query(&m, unknown, 2, 100, q, sizeof q, &taken), LG_EINSTRUMENT);
    assert_int_equal(lg_kite_quote_query(&m, toks, 0, 100, q, sizeof q, &taken), LG_OK);
    assert_int_equal(taken, 0);
    assert_string_equal(q, "");
    lg_instruments_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mock),
        cmocka_unit_test(test_many_and_empty),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
