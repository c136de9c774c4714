/*
 * test_httpd.c — the HTTP/1.1 and WebSocket server (httpd.h): keep-alive, pipelining,
 * split bodies, 100-continue, deferred replies, refusals of malformed and oversized
 * requests, the RFC 6455 handshake, masked and fragmented frames, ping, protocol
 * errors and message limits; and form decoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "legato/httpd.h"
#include "test_http_client.h"

/* ---- a server that echoes -------------------------------------------------------------- */

typedef struct echo {
    lg_httpd_t *h;
    uv_timer_t later;
    lg_http_conn_t *deferred;
    int ws_messages;
} echo_t;

static void on_later(uv_timer_t *t) {
    echo_t *e = t->data;
    if (e->deferred != NULL) lg_http_reply(e->deferred, 200, "text/plain", "late", 4, NULL);
    e->deferred = NULL;
}

static void on_request(void *ud, lg_http_conn_t *c, const lg_http_req_t *r) {
    echo_t *e = ud;
    if (strcmp(r->path, "/later") == 0) { /* answered from a timer */
        e->deferred = c;
        uv_timer_start(&e->later, on_later, 20, 0);
        return;
    }
    char out[1024];
    int n = snprintf(out, sizeof out, "%s %s ?%s [%.*s]", r->method, r->path, r->query,
                     (int)r->body_len, r->body);
    lg_http_reply(c, 200, "text/plain", out, (size_t)n, NULL);
}

static int on_ws_open(void *ud, lg_http_conn_t *c, const lg_http_req_t *r, const char **body,
                      size_t *len, const char **ctype) {
    (void)ud;
    (void)c;
    if (strcmp(r->path, "/ws") == 0) return 0;
    *body = "no";
    *len = 2;
    *ctype = "text/plain";
    return 403;
}

static void on_ws_message(void *ud, lg_http_conn_t *c, lg_ws_op_t op, const uint8_t *p, size_t n) {
    echo_t *e = ud;
    e->ws_messages++;
    lg_ws_send(c, op, p, n);
}

static void on_close(void *ud, lg_http_conn_t *c) {
    echo_t *e = ud;
    if (e->deferred == c) e->deferred = NULL;
}

static tl_loop_t loop;
static echo_t echo;
static int port;

static void stop_server(void *arg) {
    echo_t *e = arg;
    lg_httpd_stop(e->h);
    uv_close((uv_handle_t *)&e->later, NULL);
}

static int setup(void **state) {
    (void)state;
    tl_init(&loop);
    memset(&echo, 0, sizeof echo);
    uv_timer_init(&loop.loop, &echo.later);
    echo.later.data = &echo;
    lg_httpd_cbs_t cbs = {.on_request = on_request, .on_ws_open = on_ws_open,
                          .on_ws_message = on_ws_message, .on_close = on_close};
    assert_int_equal(lg_httpd_start(&loop.loop, "127.0.0.1", 0, &cbs, &echo, &echo.h), LG_OK);
    port = lg_httpd_port(echo.h);
    assert_true(port > 0);
    tl_run(&loop);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tl_stop(&loop, stop_server, &echo);
    return 0;
}

/* ---- HTTP --------------------------------------------------------------------------------- */

static void test_keep_alive_and_pipelining(void **state) {
    (void)state;
    int fd = tc_connect(port);
    assert_true(fd >= 0);
    const char two[] = "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3"
                       "\r\n\r\nxyz";
    assert_int_equal(tc_send(fd, two, sizeof two - 1), 0);
    tc_resp_t r;
    assert_int_equal(tc_read_resp(fd, &r), 200);
    assert_string_equal(r.body, "GET /a ?x=1 []");
    assert_non_null(strstr(r.head, "Connection: keep-alive"));
    tc_free(&r);
    assert_int_equal(tc_read_resp(fd, &r), 200);
    assert_string_equal(r.body, "POST /b ? [xyz]");
    tc_free(&r);
    /* the same connection again, with the body in two writes */
    const char head[] = "PUT /c HTTP/1.1\r\nContent-Length: 6\r\n\r\nabc";
    assert_int_equal(tc_send(fd, head, sizeof head - 1), 0);
    tc_pause_ms(20); /* so that the body arrives in a second read */
    assert_int_equal(tc_send(fd, "def", 3), 0);
    assert_int_equal(tc_read_resp(fd, &r), 200);
    assert_string_equal(r.body, "PUT /c ? [abcdef]");
    tc_free(&r);
    close(fd);
}

static void test_continue_and_deferred(void **state) {
    (void)state;
    int fd = tc_connect(port);
    const char head[] = "POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    assert_int_equal(tc_send(fd, head, sizeof head - 1), 0);
    char cont[25];
    assert_int_equal(tc_read_n(fd, cont, sizeof cont), 0);
    assert_memory_equal(cont, "HTTP/1.1 100 Continue\r\n\r\n", sizeof cont);
    assert_int_equal(tc_send(fd, "ok", 2), 0);
    tc_resp_t r;
    assert_int_equal(tc_read_resp(fd, &r), 200);
    assert_string_equal(r.body, "POST /e ? [ok]");
    tc_free(&r);
    /* a deferred reply holds the next pipelined request back, in order */
    const char two[] = "GET /later HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n";
    assert_int_equal(tc_send(fd, two, sizeof two - 1), 0);
    assert_int_equal(tc_read_resp(fd, &r), 200);
    assert_string_equal(r.body, "late");
    tc_free(&r);
    assert_int_equal(tc_read_resp(fd, &r), 200);
    assert_string_equal(r.body, "GET /next ? []");
    tc_free(&r);
    close(fd);
}

static void expect_refusal(const char *req, size_t n, int status) {
    int fd = tc_connect(port);
    assert_int_equal(tc_send(fd, req, n), 0);
    tc_resp_t r;
    assert_int_equal(tc_read_resp(fd, &r), status);
    assert_non_null(strstr(r.head, "Connection: close"));
    tc_free(&r);
    char b;
    assert_true(recv(fd, &b, 1, 0) <= 0); /* then closed */
    close(fd);
}

static void test_bad_requests(void **state) {
    (void)state;
    const char a[] = "NONSENSE\r\n\r\n";
    expect_refusal(a, sizeof a - 1, 400);
    const char b[] = "GET /x HTTP/1.1\r\nno colon here\r\n\r\n";
    expect_refusal(b, sizeof b - 1, 400);
    const char c[] = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    expect_refusal(c, sizeof c - 1, 411);
    const char d[] = "POST /x HTTP/1.1\r\nContent-Length: 12ab\r\n\r\n";
    expect_refusal(d, sizeof d - 1, 400);
    const char e[] = "POST /x HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n";
    expect_refusal(e, sizeof e - 1, 413);
    const char f[] = "GET /x HTTP/2.0\r\n\r\n";
    expect_refusal(f, sizeof f - 1, 400);
    size_t big = LG_HTTPD_MAX_REQUEST; /* a head that fills the buffer and never ends */
    char *g = malloc(big);
    memcpy(g, "GET /x HTTP/1.1\r\nX: ", 20);
    memset(g + 20, 'a', big - 20);
    expect_refusal(g, big, 431);
    free(g);
    /* the server still answers */
    tc_resp_t r;
    assert_int_equal(tc_request(port, "GET", "/still", NULL, NULL, &r), 200);
    tc_free(&r);
}

/* ---- WebSocket ------------------------------------------------------------------------------- */

static void test_ws_handshake(void **state) {
    (void)state;
    int fd = tc_connect(port);
    const char req[] = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13"
                       "\r\n\r\n";
    assert_int_equal(tc_send(fd, req, sizeof req - 1), 0);
    tc_resp_t r;
    assert_int_equal(tc_read_resp(fd, &r), 101);
    /* RFC 6455 §1.3's example */
    assert_non_null(strstr(r.head, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    tc_free(&r);
    close(fd);
    int st = 0;
    assert_int_equal(tc_ws_open(port, "/other", &st), -1);
    assert_int_equal(st, 403);
    const char bad[] = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\n\r\n";
    expect_refusal(bad, sizeof bad - 1, 400);
}

static void test_ws_frames(void **state) {
    (void)state;
    int st = 0;
    int fd = tc_ws_open(port, "/ws", &st);
    assert_true(fd >= 0);
    uint8_t buf[70000];
    size_t n = 0;
    assert_int_equal(tc_ws_send(fd, 1, 1, "hello", 5), 0);
    assert_int_equal(tc_ws_read(fd, buf, sizeof buf, &n), 1);
    assert_string_equal((char *)buf, "hello");
    /* fragmented, with a ping between the fragments */
    assert_int_equal(tc_ws_send(fd, 0, 1, "frag", 4), 0);
    assert_int_equal(tc_ws_send(fd, 1, 9, "pi", 2), 0);
    assert_int_equal(tc_ws_send(fd, 1, 0, "ment", 4), 0);
    assert_int_equal(tc_ws_read(fd, buf, sizeof buf, &n), 10); /* pong */
    assert_string_equal((char *)buf, "pi");
    assert_int_equal(tc_ws_read(fd, buf, sizeof buf, &n), 1);
    assert_string_equal((char *)buf, "fragment");
    /* a 16-bit length, binary */
    uint8_t big[3000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)i;
    assert_int_equal(tc_ws_send(fd, 1, 2, big, sizeof big), 0);
    assert_int_equal(tc_ws_read(fd, buf, sizeof buf, &n), 2);
    assert_int_equal(n, sizeof big);
    assert_memory_equal(buf, big, sizeof big);
    /* close is echoed */
    const uint8_t code[2] = {0x03, 0xE8};
    assert_int_equal(tc_ws_send(fd, 1, 8, code, 2), 0);
    assert_int_equal(tc_ws_read(fd, buf, sizeof buf, &n), 8);
    assert_int_equal(n, 2);
    close(fd);
}

static void expect_ws_close(const uint8_t *raw, size_t n, unsigned code) {
    int st = 0;
    int fd = tc_ws_open(port, "/ws", &st);
    assert_true(fd >= 0);
    assert_int_equal(tc_send(fd, raw, n), 0);
    uint8_t buf[256];
    size_t len = 0;
    assert_int_equal(tc_ws_read(fd, buf, sizeof buf, &len), 8);
    assert_int_equal(len, 2);
    assert_int_equal((unsigned)(buf[0] << 8 | buf[1]), code);
    close(fd);
}

static void test_ws_protocol_errors(void **state) {
    (void)state;
    const uint8_t unmasked[] = {0x81, 0x02, 'h', 'i'};
    expect_ws_close(unmasked, sizeof unmasked, 1002);
    const uint8_t rsv[] = {0xC1, 0x80, 0, 0, 0, 0};
    expect_ws_close(rsv, sizeof rsv, 1002);
    const uint8_t stray_cont[] = {0x80, 0x80, 0, 0, 0, 0};
    expect_ws_close(stray_cont, sizeof stray_cont, 1002);
    const uint8_t long_ping[] = {0x89, 0x80 | 126, 0x00, 0x80, 0, 0, 0, 0};
    expect_ws_close(long_ping, sizeof long_ping, 1002);
    /* a length over the message limit (64-bit form) */
    const uint8_t huge[] = {0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4};
    expect_ws_close(huge, sizeof huge, 1009);
}

/* ---- forms ------------------------------------------------------------------------------------ */

static void test_form_parse(void **state) {
    (void)state;
    char buf[256];
    const char *names[8], *values[8];
    uint32_t n = 0;
    const char *s = "a=1&b=x%20y+z&&c&d=%3D%26";
    assert_int_equal(lg_form_parse(s, strlen(s), buf, sizeof buf, names, values, 8, &n), LG_OK);
    assert_int_equal(n, 4);
    assert_string_equal(lg_form_get(names, values, n, "a"), "1");
    assert_string_equal(lg_form_get(names, values, n, "b"), "x y z");
    assert_string_equal(lg_form_get(names, values, n, "c"), "");
    assert_string_equal(lg_form_get(names, values, n, "d"), "=&");
    assert_null(lg_form_get(names, values, n, "e"));
    assert_int_equal(lg_form_parse("a=%zz", 5, buf, sizeof buf, names, values, 8, &n), LG_EPARSE);
    assert_int_equal(lg_form_parse("a=%2", 4, buf, sizeof buf, names, values, 8, &n), LG_EPARSE);
    assert_int_equal(lg_form_parse("a&b&c", 5, buf, sizeof buf, names, values, 2, &n), LG_ENOSPACE);
    assert_int_equal(lg_form_parse("abcdef", 6, buf, 4, names, values, 8, &n), LG_ENOSPACE);
    assert_int_equal(lg_form_parse("", 0, buf, sizeof buf, names, values, 8, &n), LG_OK);
    assert_int_equal(n, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keep_alive_and_pipelining, setup, teardown),
        cmocka_unit_test_setup_teardown(test_continue_and_deferred, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_protocol_errors, setup, teardown),
        cmocka_unit_test(test_form_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
