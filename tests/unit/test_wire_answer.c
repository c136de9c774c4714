/*
 * test_wire_answer.c — the order connections' HTTP/1.1 answer reader (wire_answer.h):
 * Content-Length, chunked and read-to-close bodies, fed whole and one byte at a time
 * (every split gives the same answer); 1xx heads skipped; Connection: close and HTTP/1.0;
 * and what it refuses, each with a reason: not HTTP (a proxy's bare HTML), a bad status,
 * a lying or doubled Content-Length, a bad chunk size, chunk data longer than its size,
 * an oversized head, a body the sink refuses, a close in the middle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "legato/wire_answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sink {
    char body[4096];
    size_t len, cap; /* cap: refuse past this many bytes */
} sink_t;

static bool take(void *ud, const char *b, size_t n, const char **why) {
    sink_t *s = ud;
    if (s->len + n > s->cap) {
        *why = "too big for the test";
        return false;
    }
    memcpy(s->body + s->len, b, n);
    s->len += n;
    return true;
}

/* Feeds text in pieces of `step` bytes (0: whole), then EOF when eof. */
static size_t feed(lg_wa_t *a, sink_t *s, const char *text, size_t step, bool eof) {
    lg_wa_reset(a);
    memset(s, 0, sizeof *s);
    s->cap = sizeof s->body;
    size_t n = strlen(text), used = 0;
    if (step == 0) step = n;
    for (size_t off = 0; off < n; off += step) {
        size_t k = n - off < step ? n - off : step;
        size_t u = lg_wa_feed(a, text + off, k, take, s);
        used += u;
        if (u < k) break;
    }
    if (eof) lg_wa_eof(a);
    return used;
}

static void same_at_every_split(const char *text, int status, const char *body, bool close,
                                const char *ctype) {
    lg_wa_t a;
    sink_t s;
    for (size_t step = 0; step <= 7; step++) {
        feed(&a, &s, text, step, false);
        if (a.state == LG_WA_TO_CLOSE) lg_wa_eof(&a);
        assert_int_equal(a.state, LG_WA_DONE);
        assert_int_equal(a.status, status);
        assert_int_equal(s.len, strlen(body));
        assert_memory_equal(s.body, body, s.len);
        assert_int_equal(a.close, close);
        assert_string_equal(a.ctype, ctype);
    }
}

static void test_length_body(void **state) {
    (void)state;
    same_at_every_split("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 42"
                        "\r\n\r\n{\"status\":\"success\",\"data\":{\"order_id\":1}}",
                        200, "{\"status\":\"success\",\"data\":{\"order_id\":1}}", false,
                        "application/json");
    same_at_every_split("HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\nconnection: Close\r\n\r\n{}",
                        400, "{}", true, "");
    same_at_every_split("HTTP/1.1 204 No Content\r\n\r\n", 204, "", false, "");
    same_at_every_split("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, "", false, "");
}

static void test_chunked_and_to_close(void **state) {
    (void)state;
    same_at_every_split("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5\r\nhello\r\nA;ext=1\r\n, world..!\r\n0\r\nX-Trailer: 1\r\n\r\n",
                        200, "hello, world..!", false, "");
    same_at_every_split("HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/html\r\n\r\n"
                        "<html>down</html>", 503, "<html>down</html>", true, "text/html");
    same_at_every_split("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                        "\r\nabc", 200, "abc", false, "");
    same_at_every_split("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
                        200, "x", false, "");
}

static void test_stops_at_the_answer(void **state) {
    (void)state;
    lg_wa_t a;
    sink_t s;
    const char *t = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA";
    assert_int_equal(feed(&a, &s, t, 0, false), strlen(t) - 5);
    assert_int_equal(a.state, LG_WA_DONE);
}

static void refused(const char *text, bool eof, const char *why_part) {
    lg_wa_t a;
    sink_t s;
    feed(&a, &s, text, 0, eof);
    assert_int_equal(a.state, LG_WA_ERROR);
    assert_non_null(a.error);
    if (strstr(a.error, why_part) == NULL) fail_msg("'%s' does not say '%s'", a.error, why_part);
    feed(&a, &s, text, 1, eof); /* the same a byte at a time */
    assert_int_equal(a.state, LG_WA_ERROR);
}

static void test_refusals_name_the_fault(void **state) {
    (void)state;
    refused("<html><body>502 Bad Gateway</body></html>\r\n\r\n", false, "not an HTTP");
    refused("HTTP/1.1 2x0 OK\r\n\r\n", false, "status");
    refused("HTTP/1.1 700 Odd\r\n\r\n", false, "status");
    refused("HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n", false, "Content-Length");
    refused("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", false,
            "Content-Length");
    refused("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab", false,
            "two different");
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, "transfer coding");
    refused("HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n", false, "header line");
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, "chunk size");
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", false,
            "longer than its size");
    refused("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true, "middle");
    refused("", true, "before answering");
}

static void test_bounds(void **state) {
    (void)state;
    lg_wa_t a;
    sink_t s;
    /* a head over 8 KB */
    char *big = malloc(LG_WA_HEAD_MAX + 64);
    assert_non_null(big);
    strcpy(big, "HTTP/1.1 200 OK\r\nX-Pad: ");
    size_t n = strlen(big);
    memset(big + n, 'p', LG_WA_HEAD_MAX);
    big[n + LG_WA_HEAD_MAX] = '\0';
    feed(&a, &s, big, 0, false);
    assert_int_equal(a.state, LG_WA_ERROR);
    assert_non_null(strstr(a.error, "8 KB"));
    free(big);
    /* a body the sink refuses carries the sink's reason */
    lg_wa_reset(&a);
    memset(&s, 0, sizeof s);
    s.cap = 3;
    const char *t = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde";
    lg_wa_feed(&a, t, strlen(t), take, &s);
    assert_int_equal(a.state, LG_WA_ERROR);
    assert_string_equal(a.error, "too big for the test");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length_body),
        cmocka_unit_test(test_chunked_and_to_close),
        cmocka_unit_test(test_stops_at_the_answer),
        cmocka_unit_test(test_refusals_name_the_fault),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
