/*
 * test_ticker_client.c — the ticker WebSocket client (src/port/ticker_client.h) against an
 * in-process `legato sim` on the same libuv loop, single-threaded, over loopback: full-mode
 * ticks that decode with the token subscribed, heartbeats on an idle connection, an order
 * placed over REST arriving as an order text frame, a silent stream closed and reopened, the
 * server going away and coming back (on_down, on_up, subscriptions written again, ticks
 * again), a refused token (on_down with auth, no retry until a new token), many tokens in
 * chunks, and close at every stage with no callback after it. A scripted server of the
 * test's own (raw WebSocket on a uv TCP listener) sends fragmented messages and one past
 * the 1 MiB bound.
 *
 * Every wait is bounded by a uv_timer watchdog on the loop (and an alarm for the whole
 * test): a test that cannot finish fails instead of hanging.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../../src/port/ticker_client.h"
#include "legato/simd.h"
#include "legato/ticker.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <unistd.h>

#define KEY "tkey"
#define TOKEN "ttoken"
#define BIG (1u << 20)

typedef struct rawsrv rawsrv_t;

typedef struct fixture {
    uv_loop_t loop;
    uv_timer_t watchdog;
    bool expired;
    lg_simd_t *sim;
    int port;
    char ws[64];
    lg_tkc_t *tkc;
    bool closed; /* lg_tkc_close has returned: any callback now is a failure */
    uint32_t late;
    uint32_t ups, downs, auth_downs;
    char why[200];
    uint32_t want; /* the token whose ticks are counted */
    uint64_t ticks, full_ticks, ticks_at_up[8], beats, bad_frames;
    uint64_t texts, order_texts, error_texts;
    size_t last_binary_len, last_text_len;
    uint8_t last_binary[64];
    char last_text[256];
    rawsrv_t *raw;
} fixture_t;

/* Where needle starts in p[0..n), case-insensitively; NULL if nowhere. */
static const char *find_in(const char *p, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(p + i, needle, k) == 0) return p + i;
    return NULL;
}

/* ---- the client's callbacks --------------------------------------------------------------- */

static void on_up(void *ud) {
    fixture_t *f = ud;
    if (f->closed) f->late++;
    if (f->ups < LG_COUNT(f->ticks_at_up)) f->ticks_at_up[f->ups] = f->ticks;
    f->ups++;
}

static void on_down(void *ud, bool auth, const char *why) {
    fixture_t *f = ud;
    if (f->closed) f->late++;
    f->downs++;
    f->auth_downs += auth;
    snprintf(f->why, sizeof f->why, "%s", why != NULL ? why : "(null)");
}

static void on_binary(void *ud, const uint8_t *p, size_t n) {
    fixture_t *f = ud;
    if (f->closed) f->late++;
    f->last_binary_len = n;
    memcpy(f->last_binary, p, LG_MIN(n, sizeof f->last_binary));
    if (f->raw != NULL) return; /* the scripted server's payloads are not ticker frames */
    lg_tick_t ticks[16];
    uint32_t k = 0;
    bool beat = false;
    if (lg_ticker_decode(p, n, ticks, LG_COUNT(ticks), &k, &beat) != LG_OK) {
        f->bad_frames++;
        return;
    }
    f->beats += beat;
    for (uint32_t i = 0; i < k; i++) {
        if (ticks[i].token != f->want) continue;
        f->ticks++;
        f->full_ticks += ticks[i].mode == LG_TICK_FULL && ticks[i].ltp > 0 && ticks[i].tradable &&
                         ticks[i].bid[0].price > 0 && ticks[i].ask[0].price > 0;
    }
}

static void on_text(void *ud, const char *p, size_t n) {
    fixture_t *f = ud;
    if (f->closed) f->late++;
    f->texts++;
    f->last_text_len = n;
    snprintf(f->last_text, sizeof f->last_text, "%.*s", (int)LG_MIN(n, 255), p);
    if (find_in(p, n, "\"type\":\"order\"") != NULL) f->order_texts++;
    if (find_in(p, n, "\"type\":\"error\"") != NULL) f->error_texts++;
}

/* ---- the loop, bounded ---------------------------------------------------------------------- */

static void on_watchdog(uv_timer_t *t) {
    fixture_t *f = t->data;
    f->expired = true;
}

typedef bool (*pred_t)(fixture_t *f, const void *arg);

/* Runs the loop until pred holds (true) or ms pass (false): a watchdog timer on the loop
 * ends the wait, and a wall-clock check backs it up. */
static bool run_until(fixture_t *f, pred_t pred, const void *arg, int ms) {
    uint64_t end = uv_hrtime() + (uint64_t)ms * 2000000u;
    f->expired = false;
    uv_timer_start(&f->watchdog, on_watchdog, (uint64_t)ms, 0);
    bool ok;
    while (!(ok = pred(f, arg)) && !f->expired && uv_hrtime() < end) uv_run(&f->loop, UV_RUN_ONCE);
    uv_timer_stop(&f->watchdog);
    return ok;
}

static bool never(fixture_t *f, const void *arg) {
    (void)f;
    (void)arg;
    return false;
}

static void run_for(fixture_t *f, int ms) {
    run_until(f, never, NULL, ms);
}

static bool ups_at_least(fixture_t *f, const void *arg) {
    return f->ups >= *(const uint32_t *)arg;
}

static bool downs_at_least(fixture_t *f, const void *arg) {
    return f->downs >= *(const uint32_t *)arg;
}

static bool u64_above(fixture_t *f, const void *arg) {
    (void)f;
    const uint64_t *const *p = arg;
    return *p[0] > *p[1];
}

/* Waits until *counter > floor. */
static bool wait_above(fixture_t *f, const uint64_t *counter, uint64_t floor, int ms) {
    const uint64_t *p[2] = {counter, &floor};
    return run_until(f, u64_above, p, ms);
}

static bool wait_ups(fixture_t *f, uint32_t n, int ms) {
    return run_until(f, ups_at_least, &n, ms);
}

static bool wait_downs(fixture_t *f, uint32_t n, int ms) {
    return run_until(f, downs_at_least, &n, ms);
}

/* ---- fixture --------------------------------------------------------------------------------- */

static void start_sim(fixture_t *f, int port) {
    lg_simd_config_t c;
    lg_simd_config_default(&c);
    c.port = port;
    c.seed = 3;
    c.api_key = KEY;
    c.access_token = TOKEN;
    c.knobs.tick_interval_ns = 100 * LG_NS_PER_MS;
    assert_int_equal(lg_simd_start(&f->loop, &c, &f->sim), LG_OK);
    f->port = lg_simd_port(f->sim);
    snprintf(f->ws, sizeof f->ws, "ws://127.0.0.1:%d/ws", f->port);
}

static int start_client(fixture_t *f, const char *root, const char *token, lg_ns_t beat_timeout) {
    lg_tkc_config_t c = {
        .loop = &f->loop, .ws_root = root, .api_key = KEY, .access_token = token,
        .heartbeat_timeout_ns = beat_timeout, .backoff_min_ns = 50 * LG_NS_PER_MS,
        .backoff_max_ns = 400 * LG_NS_PER_MS, .on_up = on_up, .on_down = on_down,
        .on_binary = on_binary, .on_text = on_text, .ud = f,
    };
    return lg_tkc_create(&c, &f->tkc);
}

/* Strict: a callback from inside lg_tkc_close counts as late too. */
static void close_client(fixture_t *f) {
    f->closed = true;
    lg_tkc_close(f->tkc);
    f->tkc = NULL;
}

static void rawsrv_stop(rawsrv_t *s);

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    uv_timer_init(&f->loop, &f->watchdog);
    f->watchdog.data = f;
    alarm(60); /* the whole test, whatever happens */
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    if (f->tkc != NULL) close_client(f);
    if (f->sim != NULL) lg_simd_stop(f->sim);
    if (f->raw != NULL) rawsrv_stop(f->raw);
    uv_close((uv_handle_t *)&f->watchdog, NULL);
    /* lws's handles close asynchronously: the loop runs until it is empty (bounded) */
    for (int i = 0; i < 3000 && uv_run(&f->loop, UV_RUN_NOWAIT) != 0; i++) uv_sleep(1);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    assert_int_equal(f->late, 0);
    alarm(0);
    free(f);
    return 0;
}

/* The NIFTY option nearest the money of a kind (the chain sorted by strike, the middle). */
static const lg_instrument_t *nifty_option(fixture_t *f, lg_kind_t kind) {
    const lg_instruments_t *m = lg_simd_master(f->sim);
    const lg_instrument_t *pick[256];
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n && n < LG_COUNT(pick); i++)
        if (strcmp(m->items[i].underlying, "NIFTY") == 0 && m->items[i].kind == kind)
            pick[n++] = &m->items[i];
    assert_true(n > 0);
    for (uint32_t a = 0; a < n; a++)
        for (uint32_t b = a + 1; b < n; b++)
            if (pick[b]->strike < pick[a]->strike) {
                const lg_instrument_t *t = pick[a];
                pick[a] = pick[b];
                pick[b] = t;
            }
    return pick[n / 2];
}

/* Connects to the sim and subscribes the at-the-money NIFTY call in full mode. */
static void connect_and_subscribe(fixture_t *f, lg_ns_t beat_timeout) {
    start_sim(f, 0);
    assert_int_equal(start_client(f, f->ws, TOKEN, beat_timeout), LG_OK);
    f->want = nifty_option(f, LG_KIND_CE)->token;
    assert_int_equal(lg_tkc_subscribe(f->tkc, &f->want, 1, LG_TICK_FULL), LG_OK);
    assert_true(wait_ups(f, 1, 3000));
}

/* ---- an HTTP request on the same loop (non-blocking) ----------------------------------------- */

typedef struct http_call {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    char out[1024];
    char in[8192];
    size_t n;
    bool done;
    int status;
} http_call_t;

static void http_closed(uv_handle_t *h) {
    http_call_t *c = h->data;
    c->in[c->n] = '\0';
    if (sscanf(c->in, "HTTP/1.1 %d", &c->status) != 1) c->status = -1;
    c->done = true;
}

static void http_alloc(uv_handle_t *h, size_t want, uv_buf_t *b) {
    (void)want;
    http_call_t *c = h->data;
    *b = uv_buf_init(c->in + c->n, (unsigned)(sizeof c->in - 1 - c->n));
}

static void http_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
    (void)b;
    http_call_t *c = s->data;
    if (n > 0) c->n += (size_t)n;
    if (n < 0 || c->n + 1 >= sizeof c->in) uv_close((uv_handle_t *)s, http_closed);
}

static void http_written(uv_write_t *w, int status) {
    (void)w;
    (void)status;
}

static void http_connected(uv_connect_t *req, int status) {
    http_call_t *c = req->data;
    if (status != 0) {
        uv_close((uv_handle_t *)&c->tcp, http_closed);
        return;
    }
    uv_buf_t b = uv_buf_init(c->out, (unsigned)strlen(c->out));
    uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, http_written);
    uv_read_start((uv_stream_t *)&c->tcp, http_alloc, http_read);
}

static void http_post(fixture_t *f, http_call_t *c, const char *path, const char *body) {
    memset(c, 0, sizeof *c);
    snprintf(c->out, sizeof c->out,
             "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: token "
             KEY ":" TOKEN "\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             path, strlen(body), body);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", f->port, &a);
    uv_tcp_init(&f->loop, &c->tcp);
    c->tcp.data = c;
    c->connect.data = c;
    assert_int_equal(uv_tcp_connect(&c->connect, &c->tcp, (const struct sockaddr *)&a, http_connected), 0);
}

static bool http_done(fixture_t *f, const void *arg) {
    (void)f;
    return ((const http_call_t *)arg)->done;
}

/* ---- a scripted WebSocket server (raw frames, for what the sim never sends) ------------------ */

#define RAW_CONNS 8

typedef struct rawconn {
    rawsrv_t *srv;
    uv_tcp_t tcp;
    bool open, upgraded;
    char head[4096];
    size_t head_n;
} rawconn_t;

struct rawsrv {
    uv_tcp_t listen;
    rawconn_t conns[RAW_CONNS];
    uint32_t accepted; /* connections upgraded */
    bool stopping, listen_closing;
};

static void raw_write_done(uv_write_t *w, int status) {
    (void)status;
    free(w->data);
    free(w);
}

static void raw_send(rawconn_t *c, const void *p, size_t n) {
    uv_write_t *w = malloc(sizeof *w);
    uint8_t *copy = malloc(n);
    assert_non_null(w);
    assert_non_null(copy);
    memcpy(copy, p, n);
    w->data = copy;
    uv_buf_t b = uv_buf_init((char *)copy, (unsigned)n);
    if (uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, raw_write_done) != 0) {
        free(copy);
        free(w);
    }
}

/* One unmasked server frame. */
static void raw_frame(rawconn_t *c, bool fin, int op, const uint8_t *p, size_t n) {
    uint8_t *buf = malloc(n + 10);
    assert_non_null(buf);
    size_t h = 0;
    buf[h++] = (uint8_t)((fin ? 0x80 : 0) | op);
    if (n < 126) {
        buf[h++] = (uint8_t)n;
    } else if (n < 65536) {
        buf[h++] = 126;
        buf[h++] = (uint8_t)(n >> 8);
        buf[h++] = (uint8_t)n;
    } else {
        buf[h++] = 127;
        for (int i = 7; i >= 0; i--) buf[h++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    memcpy(buf + h, p, n);
    raw_send(c, buf, h + n);
    free(buf);
}

/* The script: a binary message in three fragments, a text message in two, then (first
 * connection only) a binary message one byte past the bound, in 64 KiB fragments. */
static void raw_script(rawconn_t *c) {
    static const uint8_t bin[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    raw_frame(c, false, 2, bin, 3);
    raw_frame(c, false, 0, bin + 3, 3);
    raw_frame(c, true, 0, bin + 6, 3);
    raw_frame(c, false, 1, (const uint8_t *)"{\"type\":\"ord", 12);
    raw_frame(c, true, 0, (const uint8_t *)"er\",\"data\":{}}", 14);
    if (c->srv->accepted > 1) return;
    size_t total = BIG + 1, chunk = 65536;
    uint8_t *big = calloc(1, total);
    assert_non_null(big);
    for (size_t off = 0; off < total; off += chunk) {
        size_t k = LG_MIN(chunk, total - off);
        raw_frame(c, off + k == total, off == 0 ? 2 : 0, big + off, k);
    }
    free(big);
}

static void raw_upgrade(rawconn_t *c) {
    const char *k = find_in(c->head, c->head_n, "Sec-WebSocket-Key:");
    assert_non_null(k);
    k += 18;
    while (*k == ' ') k++;
    char key[128];
    size_t kn = strcspn(k, "\r\n");
    assert_true(kn < 64);
    snprintf(key, sizeof key, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)kn, k);
    uint8_t sha[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)key, strlen(key), sha);
    unsigned char accept[64];
    EVP_EncodeBlock(accept, sha, SHA_DIGEST_LENGTH);
    char resp[256];
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
                     "Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     (const char *)accept);
    raw_send(c, resp, (size_t)n);
    c->upgraded = true;
    c->srv->accepted++;
    raw_script(c);
}

static void raw_alloc(uv_handle_t *h, size_t want, uv_buf_t *b) {
    (void)h;
    b->base = malloc(want);
    b->len = b->base != NULL ? want : 0;
}

static void raw_listen_closed(uv_handle_t *h) {
    free(h->data);
}

/* The server is freed when its listener and every connection have closed. */
static void raw_maybe_free(rawsrv_t *s) {
    if (!s->stopping) return;
    for (uint32_t i = 0; i < RAW_CONNS; i++)
        if (s->conns[i].open) return;
    if (s->listen_closing) return;
    s->listen_closing = true;
    uv_close((uv_handle_t *)&s->listen, raw_listen_closed);
}

static void raw_conn_closed(uv_handle_t *h) {
    rawconn_t *c = h->data;
    c->open = false;
    raw_maybe_free(c->srv);
}

static void raw_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
    rawconn_t *c = st->data;
    if (n < 0) {
        if (!uv_is_closing((uv_handle_t *)st)) uv_close((uv_handle_t *)st, raw_conn_closed);
    } else if (!c->upgraded) {
        size_t k = LG_MIN((size_t)n, sizeof c->head - 1 - c->head_n);
        memcpy(c->head + c->head_n, b->base, k);
        c->head_n += k;
        c->head[c->head_n] = '\0';
        if (strstr(c->head, "\r\n\r\n") != NULL) raw_upgrade(c);
    } /* frames from the client: their content does not matter here */
    free(b->base);
}

static void raw_accept(uv_stream_t *l, int status) {
    rawsrv_t *s = l->data;
    rawconn_t *c = NULL;
    for (uint32_t i = 0; i < RAW_CONNS && c == NULL; i++)
        if (!s->conns[i].open) c = &s->conns[i];
    if (status != 0 || c == NULL) return;
    memset(c, 0, sizeof *c);
    c->srv = s;
    c->open = true;
    uv_tcp_init(l->loop, &c->tcp);
    c->tcp.data = c;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
    uv_read_start((uv_stream_t *)&c->tcp, raw_alloc, raw_read);
}

static int rawsrv_start(fixture_t *f) {
    rawsrv_t *s = calloc(1, sizeof *s);
    assert_non_null(s);
    uv_tcp_init(&f->loop, &s->listen);
    s->listen.data = s;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_tcp_bind(&s->listen, (const struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&s->listen, 8, raw_accept), 0);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uv_tcp_getsockname(&s->listen, (struct sockaddr *)&ss, &len);
    f->raw = s;
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void rawsrv_stop(rawsrv_t *s) {
    s->stopping = true;
    for (uint32_t i = 0; i < RAW_CONNS; i++) {
        uv_handle_t *h = (uv_handle_t *)&s->conns[i].tcp;
        if (s->conns[i].open && !uv_is_closing(h)) uv_close(h, raw_conn_closed);
    }
    raw_maybe_free(s);
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_rejects_bad_root(void **state) {
    fixture_t *f = *state;
    assert_int_equal(start_client(f, "http://127.0.0.1:1/ws", TOKEN, 0), LG_EINVAL);
    assert_int_equal(start_client(f, "ws:///ws", TOKEN, 0), LG_EINVAL);
    assert_int_equal(start_client(f, "ws://127.0.0.1:99999/ws", TOKEN, 0), LG_EINVAL);
    f->tkc = NULL;
    assert_int_equal(f->ups + f->downs, 0);
}

/* (1) Connect, subscribe a NIFTY option in full mode: full ticks decode with that token. */
static void test_full_ticks(void **state) {
    fixture_t *f = *state;
    connect_and_subscribe(f, 0);
    assert_true(wait_above(f, &f->full_ticks, 2, 3000));
    assert_int_equal(f->bad_frames, 0);
    assert_int_equal(f->error_texts, 0);
    lg_tkc_stats_t s;
    lg_tkc_stats(f->tkc, &s);
    assert_true(s.up);
    assert_int_equal(s.connects, 1);
    assert_int_equal(s.disconnects, 0);
    assert_true(s.binary >= 3);
    assert_int_equal(f->downs, 0);
}

/* A token already there changes mode: the ticks that follow are LTP packets (8 bytes). */
static void test_mode_change(void **state) {
    fixture_t *f = *state;
    connect_and_subscribe(f, 0);
    assert_true(wait_above(f, &f->full_ticks, 0, 3000));
    assert_int_equal(lg_tkc_subscribe(f->tkc, &f->want, 1, LG_TICK_LTP), LG_OK);
    run_for(f, 300); /* the mode frame reaches the sim */
    uint64_t full = f->full_ticks, all = f->ticks;
    assert_true(wait_above(f, &f->ticks, all + 2, 3000));
    assert_int_equal(f->full_ticks, full);
    assert_int_equal(f->last_binary_len, 2 + 2 + 8);
}

static bool stats_beats(fixture_t *f, const void *arg) {
    lg_tkc_stats_t s;
    lg_tkc_stats(f->tkc, &s);
    return s.heartbeats >= *(const uint64_t *)arg;
}

/* (2) An idle connection: the sim writes a 1-byte heartbeat to a connection it has sent
 * nothing for a second (checked each second: the first within 2 s, then about 1 s apart). */
static void test_heartbeats(void **state) {
    fixture_t *f = *state;
    start_sim(f, 0);
    assert_int_equal(start_client(f, f->ws, TOKEN, 0), LG_OK);
    assert_true(wait_ups(f, 1, 3000));
    uint64_t one = 1, two = 2;
    assert_true(run_until(f, stats_beats, &one, 2500));
    uint64_t t0 = uv_hrtime();
    assert_true(run_until(f, stats_beats, &two, 2500));
    assert_true(uv_hrtime() - t0 > 500u * 1000 * 1000); /* not a burst */
    lg_tkc_stats_t s;
    lg_tkc_stats(f->tkc, &s);
    assert_int_equal(s.heartbeats, 2);
    assert_int_equal(f->beats, 2);
    assert_int_equal(f->last_binary_len, 1);
    assert_int_equal(s.silent_closes, 0);
    assert_int_equal(f->downs, 0);
}

/* Silence past heartbeat_timeout (300 ms < the sim's 1 s beat) closes and reconnects. */
static void test_silence_reconnects(void **state) {
    fixture_t *f = *state;
    start_sim(f, 0);
    assert_int_equal(start_client(f, f->ws, TOKEN, 300 * LG_NS_PER_MS), LG_OK);
    assert_true(wait_ups(f, 2, 4000));
    lg_tkc_stats_t s;
    lg_tkc_stats(f->tkc, &s);
    assert_true(s.silent_closes >= 1);
    assert_true(s.connects >= 2);
    assert_true(s.disconnects >= 1);
    assert_true(f->downs >= 1);
    assert_int_equal(f->auth_downs, 0);
}

/* (3) An order placed over REST (on the same loop) arrives as a text frame "type":"order". */
static void test_order_frame(void **state) {
    fixture_t *f = *state;
    connect_and_subscribe(f, 0);
    const lg_instrument_t *in = nifty_option(f, LG_KIND_CE);
    char body[256];
    snprintf(body, sizeof body,
             "tradingsymbol=%s&exchange=NFO&transaction_type=BUY&order_type=MARKET&quantity=%lld"
             "&product=NRML&market_protection=5&tag=tkc1",
             in->symbol, (long long)in->lot);
    http_call_t c;
    http_post(f, &c, "/orders/regular", body);
    assert_true(run_until(f, http_done, &c, 3000));
    assert_int_equal(c.status, 200);
    assert_true(wait_above(f, &f->order_texts, 0, 3000));
    assert_non_null(strstr(f->last_text, "\"type\":\"order\""));
    lg_tkc_stats_t s;
    lg_tkc_stats(f->tkc, &s);
    assert_true(s.text >= 1);
}

/* (4) The server goes away and comes back on the same port: on_down, on_up again, and the
 * subscription is written again (ticks flow on the new connection). */
static void test_reconnect_resubscribes(void **state) {
    fixture_t *f = *state;
    connect_and_subscribe(f, 0);
    assert_true(wait_above(f, &f->ticks, 0, 3000));
    int port = f->port;
    lg_simd_stop(f->sim);
    f->sim = NULL;
    assert_true(wait_downs(f, 1, 3000));
    assert_int_equal(f->auth_downs, 0);
    lg_simd_config_t c;
    lg_simd_config_default(&c);
    c.port = port;
    c.seed = 3;
    c.api_key = KEY;
    c.access_token = TOKEN;
    c.knobs.tick_interval_ns = 100 * LG_NS_PER_MS;
    for (int i = 0; i < 50 && f->sim == NULL; i++) {
        if (lg_simd_start(&f->loop, &c, &f->sim) != LG_OK) f->sim = NULL;
        if (f->sim == NULL) run_for(f, 20);
    }
    assert_non_null(f->sim);
    assert_true(wait_ups(f, 2, 5000));
    uint64_t at_up = f->ticks_at_up[f->ups - 1];
    assert_true(wait_above(f, &f->ticks, at_up, 3000)); /* subscribed again */
    lg_tkc_stats_t s;
    lg_tkc_stats(f->tkc, &s);
    assert_true(s.up);
    assert_true(s.connects >= 2);
    assert_true(s.disconnects >= 1);
    assert_int_equal(f->bad_frames, 0);
}

/* (5) A refused token: on_down(auth), no retry; a new token connects. */
static void test_bad_token(void **state) {
    fixture_t *f = *state;
    start_sim(f, 0);
    assert_int_equal(start_client(f, f->ws, "wrong", 0), LG_OK);
    assert_true(wait_downs(f, 1, 3000));
    assert_int_equal(f->auth_downs, 1);
    assert_null(strstr(f->why, "wrong")); /* the token is never in a message */
    run_for(f, 800); /* 16 times the minimum backoff: nothing */
    assert_int_equal(f->downs, 1);
    assert_int_equal(f->ups, 0);
    lg_tkc_stats_t s;
    lg_tkc_stats(f->tkc, &s);
    assert_false(s.up);
    assert_int_equal(s.connects, 0);
    assert_int_equal(lg_tkc_set_token(f->tkc, TOKEN), LG_OK);
    assert_true(wait_ups(f, 1, 3000));
}

/* Many tokens go out in chunks of subscribe + mode frames the sim accepts. */
static void test_many_tokens(void **state) {
    fixture_t *f = *state;
    connect_and_subscribe(f, 0);
    uint32_t many[450];
    for (uint32_t i = 0; i < LG_COUNT(many); i++) many[i] = 900000000u + i; /* unknown: ignored */
    many[449] = f->want;
    assert_int_equal(lg_tkc_subscribe(f->tkc, many, LG_COUNT(many), LG_TICK_QUOTE), LG_OK);
    run_for(f, 300);
    uint64_t before = f->ticks, full = f->full_ticks;
    assert_true(wait_above(f, &f->ticks, before + 1, 3000));
    assert_int_equal(f->full_ticks, full); /* the last chunk set quote mode */
    assert_int_equal(f->error_texts, 0);
    assert_int_equal(f->last_binary_len, 2 + 2 + 44);
}

static void test_token_limit(void **state) {
    fixture_t *f = *state;
    assert_int_equal(start_client(f, "ws://127.0.0.1:9/ws", TOKEN, 0), LG_OK);
    uint32_t *t = malloc(sizeof *t * (LG_TKC_MAX_TOKENS + 1));
    assert_non_null(t);
    for (uint32_t i = 0; i <= LG_TKC_MAX_TOKENS; i++) t[i] = 1000 + i;
    assert_int_equal(lg_tkc_subscribe(f->tkc, t, LG_TKC_MAX_TOKENS, LG_TICK_LTP), LG_OK);
    assert_int_equal(lg_tkc_subscribe(f->tkc, t, 10, LG_TICK_FULL), LG_OK); /* already there */
    assert_int_equal(lg_tkc_subscribe(f->tkc, t + LG_TKC_MAX_TOKENS, 1, LG_TICK_LTP), LG_ENOSPACE);
    assert_int_equal(lg_tkc_subscribe(f->tkc, t, 0, LG_TICK_LTP), LG_EINVAL);
    free(t);
}

/* libwebsockets 4.1.6's context destroy closes its cancel pipe's descriptor at once and
 * again when the loop later finishes closing the pipe's handle (upstream issue 2514, a
 * double close); src/port/port_ticker.c holds the freed numbers until then. Whatever
 * takes a descriptor right after lg_tkc_close — the sim's accepted socket in
 * test_close_at_once, a pipe of the test's in test_close_spares_other_fds — must
 * survive. */

/* (6) Close at every stage; nothing is called after lg_tkc_close returns (teardown checks,
 * and that the loop empties). */
static void test_close_at_once(void **state) {
    fixture_t *f = *state;
    start_sim(f, 0);
    assert_int_equal(start_client(f, f->ws, TOKEN, 0), LG_OK);
    close_client(f); /* connecting: not one loop turn yet */
    run_for(f, 300);
    assert_int_equal(f->ups + f->downs, 0);
}

static void test_close_mid_handshake(void **state) {
    fixture_t *f = *state;
    start_sim(f, 0);
    assert_int_equal(start_client(f, f->ws, TOKEN, 0), LG_OK);
    for (int i = 0; i < 3 && f->ups == 0; i++) uv_run(&f->loop, UV_RUN_NOWAIT);
    close_client(f);
    run_for(f, 300);
}

static void test_close_while_up(void **state) {
    fixture_t *f = *state;
    connect_and_subscribe(f, 0);
    assert_true(wait_above(f, &f->ticks, 0, 3000));
    close_client(f);
    run_for(f, 300);
}

/* Closing the client closes nothing it does not own: descriptors opened right after
 * lg_tkc_close (and so given the numbers it just freed) survive the loop's turns. */
static void test_close_spares_other_fds(void **state) {
    fixture_t *f = *state;
    connect_and_subscribe(f, 0);
    assert_true(wait_above(f, &f->ticks, 0, 3000));
    close_client(f);
    int p[2];
    assert_int_equal(pipe(p), 0);
    run_for(f, 300);
    bool alive = fcntl(p[0], F_GETFD) != -1 && fcntl(p[1], F_GETFD) != -1;
    close(p[0]);
    close(p[1]);
    assert_true(alive);
}

static void test_close_waiting_to_reconnect(void **state) {
    fixture_t *f = *state;
    /* a port with nothing listening: refused, and a retry is armed */
    start_sim(f, 0);
    int port = f->port;
    lg_simd_stop(f->sim);
    f->sim = NULL;
    run_for(f, 50);
    char root[64];
    snprintf(root, sizeof root, "ws://127.0.0.1:%d/ws", port);
    assert_int_equal(start_client(f, root, TOKEN, 0), LG_OK);
    assert_true(wait_downs(f, 2, 3000)); /* it retries */
    assert_int_equal(f->auth_downs, 0);
    assert_int_equal(f->ups, 0);
    close_client(f); /* the retry timer is armed or a connect is under way */
    run_for(f, 500);
}

static void test_close_in_callback_free(void **state) {
    fixture_t *f = *state;
    /* a server that is closed under a connected client, then the client is closed while it
     * waits for its backoff */
    connect_and_subscribe(f, 0);
    lg_simd_stop(f->sim);
    f->sim = NULL;
    assert_true(wait_downs(f, 1, 3000));
    close_client(f);
    run_for(f, 600);
}

/* Fragmented messages are reassembled; a message past 1 MiB closes and reconnects. */
static void test_fragments_and_bound(void **state) {
    fixture_t *f = *state;
    int port = rawsrv_start(f);
    char root[64];
    snprintf(root, sizeof root, "ws://127.0.0.1:%d/", port);
    assert_int_equal(start_client(f, root, TOKEN, 0), LG_OK);
    assert_true(wait_ups(f, 1, 3000));
    assert_true(wait_downs(f, 1, 5000)); /* the oversized message */
    assert_int_equal(f->auth_downs, 0);
    lg_tkc_stats_t s;
    lg_tkc_stats(f->tkc, &s);
    assert_int_equal(s.binary, 1); /* the fragmented one only: the oversized one dropped */
    assert_int_equal(s.text, 1);
    assert_int_equal(f->last_binary_len, 9);
    assert_int_equal(f->last_binary[0], 1);
    assert_int_equal(f->last_binary[8], 9);
    assert_int_equal(f->last_text_len, 26);
    assert_string_equal(f->last_text, "{\"type\":\"order\",\"data\":{}}");
    assert_true(wait_ups(f, 2, 3000)); /* reconnected; the second script has no big message */
    assert_true(wait_above(f, &f->texts, 1, 3000));
    assert_int_equal(f->downs, 1);
}

/* An optional argument selects tests by name (cmocka's pattern, e.g. "test_close*"). */
int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rejects_bad_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_ticks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silence_reconnects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_resubscribes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_mid_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_while_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_spares_other_fds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_waiting_to_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_in_callback_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragments_and_bound, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
