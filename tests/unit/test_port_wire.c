/*
 * test_port_wire.c — the broker port's order connections (port_wire.c): orders ride the
 * port's own kept-alive connections while look-ups go through libcurl; libcurl_only
 * sends everything through libcurl; a chunked answer is read; a server that answers
 * with a proxy's bare HTML gives an unknown outcome, is never sent the order again,
 * and the connection is made anew; a connection the server closed right after its
 * answer is never written into (the order goes out another way and is acknowledged);
 * idle connections are renewed; with nobody listening, the failure is alerted once and an
 * order is a definitive "not sent".
 *
 * The hostile servers are scripted here: a raw TCP server on the same loop that reads
 * whole requests and answers each as its mode says.
 */
#include "port_fixture.h"

#include <strings.h>

#define RAW_BUF 8192

typedef enum raw_mode { RAW_CHUNKED, RAW_HTML, RAW_OK_THEN_CLOSE } raw_mode_t;

typedef struct raw_conn {
    uv_tcp_t tcp;
    char in[RAW_BUF];
    size_t len;
    bool open;
} raw_conn_t;

typedef struct raw {
    uv_tcp_t srv;
    raw_mode_t mode;
    raw_conn_t conns[16];
    uint32_t n_conns, requests;
    char last_request[RAW_BUF];
} raw_t;

static raw_t g_raw;

static void raw_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b) {
    (void)hint;
    raw_conn_t *c = h->data;
    b->base = c->in + c->len;
    b->len = RAW_BUF - c->len;
}

static void raw_closed(uv_handle_t *h) {
    ((raw_conn_t *)h->data)->open = false;
}

static void raw_close(raw_conn_t *c) {
    if (!uv_is_closing((uv_handle_t *)&c->tcp)) uv_close((uv_handle_t *)&c->tcp, raw_closed);
}

/* Writes at once (a loopback socket takes it whole) so that a close can follow in order. */
static void raw_write(raw_conn_t *c, const char *text) {
    uv_buf_t b = uv_buf_init((char *)text, (unsigned)strlen(text));
    assert_int_equal(uv_try_write((uv_stream_t *)&c->tcp, &b, 1), (int)strlen(text));
}

static void raw_answer(raw_t *r, raw_conn_t *c) {
    static const char ok[] = "{\"status\":\"success\",\"data\":{\"order_id\":\"151220000000000\"}}";
    char out[512];
    switch (r->mode) {
    case RAW_CHUNKED:
        snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n10\r\n%.16s\r\n%zx\r\n%s\r\n0\r\n\r\n", ok,
                 strlen(ok) - 16, ok + 16);
        raw_write(c, out);
        break;
    case RAW_HTML:
        raw_write(c, "<html><body><h1>502 Bad Gateway</h1></body></html>\r\n");
        raw_close(c);
        break;
    case RAW_OK_THEN_CLOSE: /* keep-alive by default, but the server goes at once */
        snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\n\r\n%s", strlen(ok), ok);
        raw_write(c, out);
        raw_close(c);
        break;
    }
}

/* Whole requests (head and Content-Length body) out of c->in, each answered. */
static void raw_requests(raw_t *r, raw_conn_t *c) {
    for (int guard = 0; guard < 16; guard++) {
        c->in[c->len < RAW_BUF ? c->len : RAW_BUF - 1] = '\0';
        char *end = strstr(c->in, "\r\n\r\n");
        if (end == NULL) return;
        size_t body = 0;
        for (char *h = c->in; h < end; h++)
            if (strncasecmp(h, "\r\nContent-Length:", 17) == 0) body = strtoul(h + 17, NULL, 10);
        size_t whole = (size_t)(end + 4 - c->in) + body;
        if (c->len < whole) return;
        r->requests++;
        memcpy(r->last_request, c->in, whole);
        r->last_request[whole] = '\0';
        memmove(c->in, c->in + whole, c->len - whole);
        c->len -= whole;
        raw_answer(r, c);
        if (!c->open || uv_is_closing((uv_handle_t *)&c->tcp)) return;
    }
}

static void raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
    (void)b;
    raw_conn_t *c = s->data;
    if (n < 0) {
        raw_close(c);
        return;
    }
    c->len += (size_t)n;
    raw_requests(&g_raw, c);
}

static void raw_accept(uv_stream_t *srv, int status) {
    raw_t *r = srv->data;
    assert_int_equal(status, 0);
    assert_true(r->n_conns < 16);
    raw_conn_t *c = &r->conns[r->n_conns++];
    uv_tcp_init(srv->loop, &c->tcp);
    c->tcp.data = c;
    c->open = true;
    assert_int_equal(uv_accept(srv, (uv_stream_t *)&c->tcp), 0);
    uv_read_start((uv_stream_t *)&c->tcp, raw_alloc, raw_read);
}

/* Starts the scripted server; root gets its REST root. */
static void raw_start(fixture_t *f, raw_mode_t mode, char *root, size_t cap) {
    memset(&g_raw, 0, sizeof g_raw);
    g_raw.mode = mode;
    uv_tcp_init(&f->loop, &g_raw.srv);
    g_raw.srv.data = &g_raw;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_tcp_bind(&g_raw.srv, (const struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&g_raw.srv, 16, raw_accept), 0);
    int len = sizeof a;
    uv_tcp_getsockname(&g_raw.srv, (struct sockaddr *)&a, &len);
    snprintf(root, cap, "http://127.0.0.1:%d", ntohs(a.sin_port));
}

static int raw_teardown(void **state) {
    fixture_t *f = *state;
    if (f->port != NULL) lg_port_close(f->port);
    f->port = NULL;
    for (uint32_t i = 0; i < g_raw.n_conns; i++)
        if (g_raw.conns[i].open) raw_close(&g_raw.conns[i]);
    if (g_raw.srv.data != NULL) uv_close((uv_handle_t *)&g_raw.srv, NULL);
    g_raw.srv.data = NULL;
    return teardown(state);
}

static bool conns_up(fixture_t *f, const void *arg) {
    return stats(f).wire_connects >= *(const uint64_t *)arg;
}

/* The simulator (for its instrument master), the scripted server in a mode, and a port
 * with one order connection to it, connected. */
static void raw_port(fixture_t *f, raw_mode_t mode) {
    start_sim(f, NULL);
    char root[64];
    raw_start(f, mode, root, sizeof root);
    f->order_conns = 1;
    start_port(f, root, NULL, "ptoken", NULL, 0);
    uint64_t one = 1;
    assert_true(run_until(f, conns_up, &one, 3000));
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_orders_ride_order_connections(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    start_port(f, f->rest, NULL, "ptoken", NULL, 0);
    uint64_t four = 4; /* the default: connected before any order is sent */
    assert_true(run_until(f, conns_up, &four, 3000));
    char tag[LG_TAG_MAX + 1];
    tag_of(1, 0, 'E', tag);
    uint32_t tok = option_token(f, -4, LG_KIND_PE);
    lg_paise_t lo = 0, hi = 0;
    assert_int_equal(lg_sim_band(lg_simd_model(f->sim), tok, &lo, &hi), LG_OK);
    lg_cmd_t c = place(tok, +1, 65, tag);
    c.otype = LG_OT_LIMIT; /* at the bottom of the band: it rests, to be cancelled */
    c.price = (lo + 4) / 5 * 5 + 5;
    c.mprot_pct = 0;
    assert_int_equal(lg_port_send(f->port, &c), LG_OK);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, tag, 0, 3000));
    lg_cmd_t x = {.kind = LG_CMD_CANCEL};
    lg_strlcpy(x.tag, tag, sizeof x.tag);
    lg_strlcpy(x.broker_id, find(f, LG_EV_ORDER_ACK, tag)->u.ack.broker_id, sizeof x.broker_id);
    assert_int_equal(lg_port_send(f->port, &x), LG_OK);
    lg_cmd_t q = {.kind = LG_CMD_QUERY_POSITIONS};
    assert_int_equal(lg_port_send(f->port, &q), LG_OK);
    assert_true(wait_for(f, LG_EV_POSITIONS, NULL, 0, 3000));
    assert_true(run_until(f, idle_port, NULL, 3000));
    lg_port_stats_t s = stats(f);
    assert_int_equal(s.requests, 3);
    assert_int_equal(s.wire_requests, 2);  /* the place and the cancel; positions by libcurl */
    assert_int_equal(s.wire_connects, 4);  /* kept alive: no new connection for them */
    assert_int_equal(s.unknown_outcomes, 0);
    assert_int_equal(s.rebuilt, 0); /* each left at once: built once, in lg_port_send */
}

static void test_libcurl_only(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    f->libcurl_only = true;
    start_port(f, f->rest, NULL, "ptoken", NULL, 0);
    char tag[LG_TAG_MAX + 1];
    send_place(f, 2, 0, tag);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, tag, 0, 3000));
    lg_port_stats_t s = stats(f);
    assert_int_equal(s.wire_requests, 0);
    assert_int_equal(s.wire_connects, 0);
}

static void test_chunked_answer(void **state) {
    fixture_t *f = *state;
    raw_port(f, RAW_CHUNKED);
    char tag[LG_TAG_MAX + 1];
    send_place(f, 3, 0, tag);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, tag, 0, 3000));
    assert_string_equal(find(f, LG_EV_ORDER_ACK, tag)->u.ack.broker_id, "151220000000000");
    assert_int_equal(stats(f).wire_requests, 1);
    /* what legato wrote: Kite's headers, the form, the token never anywhere else */
    assert_non_null(strstr(g_raw.last_request, "POST /orders/regular HTTP/1.1\r\n"));
    assert_non_null(strstr(g_raw.last_request, "X-Kite-Version: 3\r\n"));
    assert_non_null(strstr(g_raw.last_request, "Authorization: token pkey:ptoken\r\n"));
    assert_non_null(strstr(g_raw.last_request, "\r\n\r\ntradingsymbol="));
    /* the same connection serves the next order */
    send_place(f, 3, 1, tag);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, tag, 0, 3000));
    assert_int_equal(g_raw.n_conns, 1); /* one kept-alive connection for both */
    assert_int_equal(stats(f).wire_requests, 2);
}

static void test_html_is_unknown_never_resent(void **state) {
    fixture_t *f = *state;
    raw_port(f, RAW_HTML);
    char tag[LG_TAG_MAX + 1];
    send_place(f, 4, 0, tag);
    assert_true(wait_for(f, LG_EV_ORDER_ERROR, tag, 0, 3000));
    const lg_event_t *e = find(f, LG_EV_ORDER_ERROR, tag);
    assert_false(e->u.error.definitive); /* it may have been placed: the engine looks it up */
    uint64_t two = 2;
    assert_true(run_until(f, conns_up, &two, 3000)); /* a fresh connection */
    lg_port_stats_t s = stats(f);
    assert_int_equal(s.requests, 1);
    assert_int_equal(g_raw.requests, 1); /* never sent again */
    assert_int_equal(s.unknown_outcomes, 1);
}

static void test_closed_connection_never_written_into(void **state) {
    fixture_t *f = *state;
    raw_port(f, RAW_OK_THEN_CLOSE);
    char t1[LG_TAG_MAX + 1], t2[LG_TAG_MAX + 1];
    tag_of(5, 0, 'E', t1);
    tag_of(5, 1, 'E', t2);
    uint32_t tok = option_token(f, 1, LG_KIND_CE);
    lg_cmd_t c1 = place(tok, +1, 65, t1), c2 = place(tok, +1, 65, t2);
    assert_int_equal(lg_port_send(f->port, &c1), LG_OK);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, t1, 0, 3000));
    /* The server has answered and closed; the port has not yet seen the close. The next
     * order must not be written into that connection (it would never be answered). */
    assert_int_equal(lg_port_send(f->port, &c2), LG_OK);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, t2, 0, 3000));
    lg_port_stats_t s = stats(f);
    assert_int_equal(s.unknown_outcomes, 0);
    assert_int_equal(s.wire_requests, 1); /* the second went by libcurl */
    assert_int_equal(g_raw.requests, 2);
}

static void test_idle_connections_renewed(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    f->order_conns = 2;
    f->conn_idle_ns = 100 * LG_NS_PER_MS;
    start_port(f, f->rest, NULL, "ptoken", NULL, 0);
    uint64_t six = 6; /* two connections, each renewed at least twice */
    assert_true(run_until(f, conns_up, &six, 3000));
    char tag[LG_TAG_MAX + 1];
    send_place(f, 6, 0, tag);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, tag, 0, 3000));
    assert_int_equal(stats(f).wire_requests, 1);
    for (uint32_t i = 0; i < f->n_alerts; i++) /* renewals are not failures */
        assert_null(strstr(f->alerts[i].text, "order connection"));
}

static uint32_t alerts_with(fixture_t *f, const char *text) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->n_alerts; i++) n += strstr(f->alerts[i].text, text) != NULL;
    return n;
}

/* Nobody listens: the order connections keep failing (alerted once, not at every retry),
 * and an order sent meanwhile goes by libcurl, which cannot connect either: a definitive
 * "not sent", since no connection was ever made. */
static void test_nobody_listening(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    uv_tcp_t probe; /* a port that was free a moment ago */
    uv_tcp_init(&f->loop, &probe);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_tcp_bind(&probe, (const struct sockaddr *)&a, 0), 0);
    int len = sizeof a;
    uv_tcp_getsockname(&probe, (struct sockaddr *)&a, &len);
    uv_close((uv_handle_t *)&probe, NULL);
    char root[64];
    snprintf(root, sizeof root, "http://127.0.0.1:%d", ntohs(a.sin_port));
    f->order_conns = 1;
    start_port(f, root, NULL, "ptoken", NULL, 0);
    for (int i = 0; i < 100; i++) uv_run(&f->loop, UV_RUN_ONCE); /* ~0.5 s: several retries */
    assert_int_equal(alerts_with(f, "order connection to 127.0.0.1 failed"), 1);
    assert_int_equal(stats(f).wire_connects, 0);
    char tag[LG_TAG_MAX + 1];
    send_place(f, 7, 0, tag);
    assert_true(wait_for(f, LG_EV_ORDER_ERROR, tag, 0, 3000));
    const lg_event_t *e = find(f, LG_EV_ORDER_ERROR, tag);
    assert_true(e->u.error.definitive);
    assert_non_null(strstr(e->u.error.message, "not sent"));
    lg_port_stats_t s = stats(f);
    assert_int_equal(s.unknown_outcomes, 0);
    assert_int_equal(s.wire_requests, 0);
}

/* The server goes away after a connection ended normally (a renewal): the reconnects that
 * fail back off from the minimum, they do not spin. */
static void test_failures_back_off_after_a_normal_close(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    char root[64];
    raw_start(f, RAW_CHUNKED, root, sizeof root);
    f->order_conns = 1;
    f->conn_idle_ns = 50 * LG_NS_PER_MS; /* renewed (a normal close) every 50 ms */
    start_port(f, root, NULL, "ptoken", NULL, 0);
    uint64_t one = 1;
    assert_true(run_until(f, conns_up, &one, 3000));
    uv_close((uv_handle_t *)&g_raw.srv, NULL); /* from now on every reconnect is refused */
    g_raw.srv.data = NULL;
    uint64_t end = uv_hrtime() + 700u * 1000000u;
    while (uv_hrtime() < end) uv_run(&f->loop, UV_RUN_ONCE);
    lg_port_stats_t s = stats(f);
    assert_true(s.wire_failures >= 1);
    assert_true(s.wire_failures <= 4); /* 100, 200, 400 ms apart: not a spin */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_orders_ride_order_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_libcurl_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunked_answer, setup, raw_teardown),
        cmocka_unit_test_setup_teardown(test_html_is_unknown_never_resent, setup, raw_teardown),
        cmocka_unit_test_setup_teardown(test_closed_connection_never_written_into, setup,
                                        raw_teardown),
        cmocka_unit_test_setup_teardown(test_idle_connections_renewed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nobody_listening, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures_back_off_after_a_normal_close, setup,
                                        raw_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
