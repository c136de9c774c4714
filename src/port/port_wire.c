/*
 * port_wire.c — the order connections: legato's own kept-alive HTTP/1.1 connections to
 * the REST root, on which order requests (place, modify, cancel) are written in the
 * same call that sends them, with no library between the engine and write(2) (or
 * SSL_write for https). Everything else, and any order sent while no connection is
 * ready, goes through libcurl (port_http.c). DESIGN §11's reaction budget is why.
 *
 * A connection's states (one place changes them: set_state):
 *
 *   DOWN        no socket. The backoff timer reconnects (100 ms doubling to 5 s; reset
 *               once a connection is ready).
 *   RESOLVING   uv_getaddrinfo for the root's host (skipped for a numeric address).
 *   CONNECTING  a non-blocking connect(2); the poll waits for writable. Connect timeout.
 *   TLS         SSL_connect steps (https): the peer's certificate is verified against
 *               the system's CAs (or tls_ca_file) and the root's host name.
 *   IDLE        ready. The poll watches for readable: anything but a TLS session ticket
 *               (the server closed, or sent bytes nobody asked for) ends the connection.
 *               An idle connection older than conn_idle_ns is renewed before a server's
 *               keep-alive timeout can close it under a request.
 *   SENDING     a request partly written (the socket buffer was full); poll writable.
 *   READING     the request written; its answer is read (wire_answer.h) until whole.
 *               Request timeout. The answer goes to lg_port_done as libcurl's do.
 *   CLOSING     the poll handle is closing; the socket is closed in its callback, then
 *               DOWN (and a reconnect is scheduled unless the port is closing).
 *
 * Before a request is written on an IDLE connection it is checked once more (a peek,
 * no wait): a server that has just closed would otherwise take a request it will never
 * answer. A request written and then not answered (the connection died, the time ran
 * out) is an UNKNOWN outcome, never sent again: the engine looks the order up.
 */
#include "port_int.h"
#include "legato/wire_answer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define READS_PER_EVENT 64 /* bounded reading of one readable event */

typedef enum lg_pw_state {
    LG_PW_DOWN, LG_PW_RESOLVING, LG_PW_CONNECTING, LG_PW_TLS, LG_PW_IDLE, LG_PW_SENDING,
    LG_PW_READING, LG_PW_CLOSING
} lg_pw_state_t;

static const char *const state_names[] = {"down", "resolving", "connecting", "tls", "idle",
                                          "sending", "reading", "closing"};

struct lg_pw_conn {
    lg_port_t *port;
    lg_pw_state_t state;
    int fd;
    uv_poll_t poll;
    uv_timer_t timer;          /* backoff, connect, idle-renewal or request timeout */
    uv_getaddrinfo_t gai;
    bool gai_busy, failing;    /* failing: a failure already alerted, until ready again */
    SSL *ssl;
    lg_port_slot_t *slot;      /* the request in SENDING and READING */
    uint64_t backoff_ms;
    lg_ns_t idle_since;
    char out[LG_PORT_FORM_MAX + 1024];
    size_t out_len, out_off;
    lg_wa_t wa;
};

static void set_state(lg_pw_conn_t *c, lg_pw_state_t s) {
    LG_ASSERT(s != c->state || s == LG_PW_IDLE);
    LG_ASSERT((s == LG_PW_SENDING || s == LG_PW_READING) == (c->slot != NULL));
    c->state = s;
}

static void connect_now(lg_pw_conn_t *c);
static void ready(lg_pw_conn_t *c);
static void on_timer(uv_timer_t *t);

/* No socket: DOWN, and the reconnect after the backoff. */
static void down(lg_pw_conn_t *c) {
    if (c->state != LG_PW_DOWN) set_state(c, LG_PW_DOWN);
    if (!c->port->closing) uv_timer_start(&c->timer, on_timer, c->backoff_ms, 0);
}

/* ---- taking a connection down ------------------------------------------------------------ */

static void on_poll_closed(uv_handle_t *h) {
    lg_pw_conn_t *c = h->data;
    lg_port_t *p = c->port;
    close(c->fd);
    c->fd = -1;
    down(c);
    lg_port_release(p);
}

/* Closes the socket (and its TLS) and schedules the reconnect; no request may be on it. */
static void teardown(lg_pw_conn_t *c, bool failed, const char *why) {
    lg_port_t *p = c->port;
    LG_ASSERT(c->slot == NULL);
    uv_timer_stop(&c->timer);
    if (failed && !c->failing && !p->closing)
        lg_port_alert(p, LG_ALERT_WARN, LG_EIO, "order connection to %.100s failed while %s: "
                      "%.120s (orders go through libcurl until it is back)", p->wire.host,
                      state_names[c->state], why);
    if (failed) {
        p->st.wire_failures++;
        c->failing = true;
        /* from at least the minimum: a failure right after a normal close must not retry at once */
        c->backoff_ms = LG_MIN(LG_MAX(c->backoff_ms * 2, (uint64_t)BACKOFF_MIN_MS),
                               (uint64_t)BACKOFF_MAX_MS);
    } else {
        c->backoff_ms = 0; /* a normal end (renewal, the server's close): reconnect at once */
    }
    if (c->ssl != NULL) SSL_free(c->ssl);
    c->ssl = NULL;
    if (c->state == LG_PW_RESOLVING) { /* no socket yet: the resolver's callback goes on */
        uv_cancel((uv_req_t *)&c->gai);
        set_state(c, LG_PW_DOWN);
        return;
    }
    if (c->fd < 0) {
        down(c);
        return;
    }
    set_state(c, LG_PW_CLOSING);
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, on_poll_closed);
}

/* The request on c ends: http 0 and why when there is no whole answer. */
static void finish(lg_pw_conn_t *c, int http, const char *why) {
    lg_port_t *p = c->port;
    lg_port_slot_t *s = c->slot;
    LG_ASSERT(s != NULL && s->busy);
    char ctype[sizeof c->wa.ctype];
    lg_strlcpy(ctype, c->wa.ctype, sizeof ctype);
    c->slot = NULL;
    uv_timer_stop(&c->timer);
    if (http == 0 || c->wa.close) teardown(c, http == 0, why);
    else ready(c);
    /* Last: the answer may send the next order, on this very connection. */
    lg_port_done(p, s, http, ctype[0] ? ctype : NULL, why);
}

/* ---- the socket's events ------------------------------------------------------------------ */

static const char *ssl_why(lg_pw_conn_t *c, const char *what) {
    static char buf[160];
    long v = c->ssl != NULL ? SSL_get_verify_result(c->ssl) : X509_V_OK;
    unsigned long e = ERR_get_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    if (v != X509_V_OK)
        snprintf(buf, sizeof buf, "%s: certificate not trusted (%s)", what,
                 X509_verify_cert_error_string(v));
    else
        snprintf(buf, sizeof buf, "%s: %s", what, r != NULL ? r : strerror(errno));
    ERR_clear_error();
    return buf;
}

static void watch(lg_pw_conn_t *c, int events);

/* TLS: SSL_* returned r <= 0. true: it only wants to wait (the poll is set for it). */
static bool tls_wait(lg_pw_conn_t *c, int r) {
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) watch(c, UV_READABLE);
    else if (e == SSL_ERROR_WANT_WRITE) watch(c, UV_WRITABLE);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

static void handshake(lg_pw_conn_t *c) {
    ERR_clear_error();
    int r = SSL_connect(c->ssl);
    if (r == 1) ready(c);
    else if (!tls_wait(c, r)) teardown(c, true, ssl_why(c, "TLS handshake failed"));
}

/* Writes what is left of c->out. false: the connection failed (torn down, answered). */
static bool write_out(lg_pw_conn_t *c) {
    while (c->out_off < c->out_len) { /* bounded: each pass writes bytes or returns */
        size_t n = c->out_len - c->out_off;
        ssize_t w;
        if (c->ssl != NULL) {
            ERR_clear_error();
            int r = SSL_write(c->ssl, c->out + c->out_off, (int)n);
            if (r <= 0 && tls_wait(c, r)) return true;
            w = r <= 0 ? -1 : r;
        } else {
            w = send(c->fd, c->out + c->out_off, n, MSG_NOSIGNAL);
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                watch(c, UV_WRITABLE);
                return true;
            }
        }
        if (w <= 0) {
            finish(c, 0, "the connection failed while the request was written");
            return false;
        }
        c->out_off += (size_t)w;
    }
    return true;
}

static bool take_body(void *ud, const char *b, size_t n, const char **why) {
    if (lg_port_slot_take(ud, b, n)) return true;
    *why = "answer larger than the port takes";
    return false;
}

/* Feeds what was read; true while the answer is not whole. */
static bool feed(lg_pw_conn_t *c, const char *b, size_t n) {
    size_t used = lg_wa_feed(&c->wa, b, n, take_body, c->slot);
    if (c->wa.state == LG_WA_ERROR) {
        finish(c, 0, c->wa.error);
        return false;
    }
    if (c->wa.state != LG_WA_DONE) return true;
    if (used < n) c->wa.close = true; /* bytes nobody asked for: do not reuse */
    finish(c, c->wa.status, NULL);
    return false;
}

static void read_answer(lg_pw_conn_t *c) {
    char buf[16384];
    for (int i = 0; i < READS_PER_EVENT; i++) {
        ssize_t r;
        if (c->ssl != NULL) {
            ERR_clear_error();
            int k = SSL_read(c->ssl, buf, sizeof buf);
            if (k <= 0 && SSL_get_error(c->ssl, k) == SSL_ERROR_WANT_READ) return;
            if (k <= 0 && SSL_get_error(c->ssl, k) == SSL_ERROR_WANT_WRITE) return;
            r = k <= 0 ? (SSL_get_error(c->ssl, k) == SSL_ERROR_ZERO_RETURN ? 0 : -1) : k;
        } else {
            r = recv(c->fd, buf, sizeof buf, 0);
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        }
        if (r <= 0) {
            lg_wa_eof(&c->wa);
            if (c->wa.state == LG_WA_DONE) finish(c, c->wa.status, NULL);
            else finish(c, 0, r < 0 ? "the connection failed before the answer" : c->wa.error);
            return;
        }
        if (!feed(c, buf, (size_t)r)) return;
    }
}

/* IDLE and readable, or about to be used: false when the connection is no longer good. */
static bool still_good(lg_pw_conn_t *c) {
    char b;
    if (c->ssl != NULL) {
        ERR_clear_error();
        int r = SSL_peek(c->ssl, &b, 1); /* consumes session tickets; app data is unasked */
        return r <= 0 && SSL_get_error(c->ssl, r) == SSL_ERROR_WANT_READ;
    }
    ssize_t r = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* The name the peer's certificate must carry: an IP address (no SNI for those) or a
 * host name (also sent as SNI). */
static bool expect_peer(SSL *ssl, const char *host) {
    unsigned char ip[16];
    if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1)
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
    return SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1;
}

static void connected(lg_pw_conn_t *c) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
        errno = err;
        teardown(c, true, strerror(err));
        return;
    }
    if (c->port->wire.ctx == NULL) {
        ready(c);
        return;
    }
    c->ssl = SSL_new(c->port->wire.ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1 || !expect_peer(c->ssl, c->port->wire.host)) {
        teardown(c, true, ssl_why(c, "TLS setup failed"));
        return;
    }
    SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    set_state(c, LG_PW_TLS);
    handshake(c);
}

static void on_poll(uv_poll_t *h, int status, int events) {
    lg_pw_conn_t *c = h->data;
    if (status < 0 && c->slot != NULL) {
        finish(c, 0, uv_strerror(status));
        return;
    }
    if (status < 0) {
        teardown(c, true, uv_strerror(status));
        return;
    }
    switch (c->state) {
    case LG_PW_CONNECTING: connected(c); break;
    case LG_PW_TLS: handshake(c); break;
    case LG_PW_IDLE: /* a server closing at once, again and again, is failing */
        if (!still_good(c))
            teardown(c, lg_port_now() - c->idle_since < 1000000000LL, "closed by the server");
        break;
    case LG_PW_SENDING:
        if (write_out(c) && c->out_off == c->out_len) {
            set_state(c, LG_PW_READING);
            lg_port_written(c->port, c->slot);
            watch(c, UV_READABLE);
        }
        break;
    case LG_PW_READING:
        (void)events;
        read_answer(c);
        break;
    default: LG_ASSERT(0);
    }
}

static void watch(lg_pw_conn_t *c, int events) {
    uv_poll_start(&c->poll, events, on_poll);
}

/* ---- getting a connection up ------------------------------------------------------------- */

static void open_socket(lg_pw_conn_t *c, const struct sockaddr *sa, socklen_t len) {
    lg_port_t *p = c->port;
    c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        teardown(c, true, strerror(errno));
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (uv_poll_init_socket(p->cfg.loop, &c->poll, c->fd) != 0) {
        close(c->fd);
        c->fd = -1;
        teardown(c, true, "the loop refused the socket");
        return;
    }
    c->poll.data = c;
    p->open_handles++;
    set_state(c, LG_PW_CONNECTING);
    uv_timer_start(&c->timer, on_timer, (uint64_t)(p->cfg.connect_timeout_ns / 1000000), 0);
    if (connect(c->fd, sa, len) != 0 && errno != EINPROGRESS) {
        teardown(c, true, strerror(errno));
        return;
    }
    watch(c, UV_WRITABLE);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
    lg_pw_conn_t *c = req->data;
    lg_port_t *p = c->port;
    c->gai_busy = false;
    if (p->closing) {
        /* the port's close stopped everything else */
    } else if (c->state != LG_PW_RESOLVING) { /* torn down meanwhile (a timeout) */
        down(c);
    } else if (status != 0 || res == NULL) {
        char why[160];
        snprintf(why, sizeof why, "cannot resolve %.60s: %.60s", p->wire.host, uv_strerror(status));
        teardown(c, true, why);
        down(c);
    } else {
        open_socket(c, res->ai_addr, res->ai_addrlen);
    }
    uv_freeaddrinfo(res);
    lg_port_release(p);
}

static void connect_now(lg_pw_conn_t *c) {
    lg_port_t *p = c->port;
    LG_ASSERT(c->state == LG_PW_DOWN && c->fd < 0 && !c->gai_busy);
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    if (inet_pton(AF_INET, p->wire.host, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons(p->wire.port);
        open_socket(c, (const struct sockaddr *)&a4, sizeof a4);
        return;
    }
    if (inet_pton(AF_INET6, p->wire.host, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons(p->wire.port);
        open_socket(c, (const struct sockaddr *)&a6, sizeof a6);
        return;
    }
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)p->wire.port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    c->gai.data = c;
    if (uv_getaddrinfo(p->cfg.loop, &c->gai, on_resolved, p->wire.host, service, &hints) != 0) {
        teardown(c, true, "the resolver did not start");
        return;
    }
    set_state(c, LG_PW_RESOLVING);
    c->gai_busy = true;
    p->open_handles++;
    uv_timer_start(&c->timer, on_timer, (uint64_t)(p->cfg.connect_timeout_ns / 1000000), 0);
}

static void ready(lg_pw_conn_t *c) {
    c->failing = false;
    c->backoff_ms = BACKOFF_MIN_MS;
    c->idle_since = lg_port_now();
    if (c->state == LG_PW_CONNECTING || c->state == LG_PW_TLS) c->port->st.wire_connects++;
    if (c->state != LG_PW_IDLE) set_state(c, LG_PW_IDLE);
    lg_wa_reset(&c->wa);
    watch(c, UV_READABLE);
    uv_timer_start(&c->timer, on_timer, (uint64_t)(c->port->cfg.conn_idle_ns / 1000000), 0);
}

static void on_timer(uv_timer_t *t) {
    lg_pw_conn_t *c = t->data;
    switch (c->state) {
    case LG_PW_DOWN: connect_now(c); break;
    case LG_PW_RESOLVING:
    case LG_PW_CONNECTING:
    case LG_PW_TLS: teardown(c, true, "connect timed out"); break;
    case LG_PW_IDLE: teardown(c, false, "renewed"); break;
    case LG_PW_SENDING:
    case LG_PW_READING: finish(c, 0, "timed out waiting for the answer"); break;
    default: break;
    }
}

static void timer_closed(uv_handle_t *h) {
    lg_pw_conn_t *c = h->data;
    lg_port_release(c->port);
}

/* ---- the port's side ------------------------------------------------------------------- */

/* "scheme://host[:port]/base": host, port, where the request target starts, TLS or not. */
static int parse_root(lg_port_t *p) {
    const char *r = p->rest_root;
    bool tls = strncmp(r, "https://", 8) == 0;
    const char *h = r + (tls ? 8 : 7), *end = h + strcspn(h, "/");
    const char *colon = memchr(h, ':', (size_t)(end - h));
    const char *he = colon != NULL ? colon : end;
    if (he == h || (size_t)(he - h) >= sizeof p->wire.host || h[0] == '[') return LG_EINVAL;
    memcpy(p->wire.host, h, (size_t)(he - h));
    p->wire.host[he - h] = '\0';
    unsigned long port = tls ? 443 : 80;
    if (colon != NULL) {
        char *e = NULL;
        port = strtoul(colon + 1, &e, 10);
        if (e != end || port == 0 || port > 65535) return LG_EINVAL;
    }
    p->wire.port = (uint16_t)port;
    p->wire.target_off = (size_t)(end - r);
    snprintf(p->wire.authority, sizeof p->wire.authority, "%.*s", (int)(end - h), h);
    p->wire.tls = tls;
    return LG_OK;
}

static int tls_context(lg_port_t *p) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) return LG_EIO;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int ok = p->cfg.tls_ca_file != NULL ? SSL_CTX_load_verify_locations(ctx, p->cfg.tls_ca_file, NULL)
                                        : SSL_CTX_set_default_verify_paths(ctx);
    if (ok != 1) {
        lg_port_alert(p, LG_ALERT_ERROR, LG_EIO, "TLS: cannot load the CA certificates (%s)",
                      p->cfg.tls_ca_file ? p->cfg.tls_ca_file : "the system's");
        SSL_CTX_free(ctx);
        return LG_EIO;
    }
    p->wire.ctx = ctx;
    return LG_OK;
}

int lg_pw_headers(lg_port_t *p) {
    int n = snprintf(p->wire.head, sizeof p->wire.head,
                     " HTTP/1.1\r\nHost: %s\r\nUser-Agent: legato\r\nX-Kite-Version: 3\r\n"
                     "Authorization: token %s:%s\r\n",
                     p->wire.authority, p->api_key, p->token);
    if (n <= 0 || (size_t)n >= sizeof p->wire.head) return LG_ENOSPACE;
    p->wire.head_len = (size_t)n;
    return LG_OK;
}

int lg_pw_init(lg_port_t *p) {
    if (p->cfg.libcurl_only) return LG_OK;
    int rc = parse_root(p);
    if (rc == LG_OK && p->wire.tls) rc = tls_context(p);
    if (rc == LG_OK) rc = lg_pw_headers(p);
    if (rc != LG_OK) return rc;
    uint32_t n = p->cfg.order_conns;
    p->wire.conns = calloc(n, sizeof *p->wire.conns);
    if (p->wire.conns == NULL) return LG_ENOSPACE;
    p->wire.n_conns = n;
    for (uint32_t i = 0; i < n; i++) {
        lg_pw_conn_t *c = &p->wire.conns[i];
        c->port = p;
        c->fd = -1;
        c->backoff_ms = BACKOFF_MIN_MS;
        uv_timer_init(p->cfg.loop, &c->timer);
        c->timer.data = c;
        p->open_handles++;
        connect_now(c);
    }
    return LG_OK;
}

/* The request line and headers, then the form: one buffer, one write. */
static bool compose(lg_port_t *p, lg_pw_conn_t *c, const lg_port_slot_t *s, const char *method) {
    const char *target = s->url + p->wire.target_off;
    int n = snprintf(c->out, sizeof c->out, "%s %s%.*s", method, target, (int)p->wire.head_len,
                     p->wire.head);
    if (n <= 0 || (size_t)n >= sizeof c->out) return false;
    size_t len = (size_t)n;
    if (s->form_len > 0 || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
        n = snprintf(c->out + len, sizeof c->out - len, "Content-Type: application/"
                     "x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n", s->form_len);
        if (n <= 0 || len + (size_t)n + s->form_len > sizeof c->out) return false;
        len += (size_t)n;
        memcpy(c->out + len, s->form, s->form_len);
        len += s->form_len;
    } else {
        if (len + 2 > sizeof c->out) return false;
        memcpy(c->out + len, "\r\n", 2);
        len += 2;
    }
    c->out_len = len;
    c->out_off = 0;
    return true;
}

bool lg_pw_send(lg_port_t *p, lg_port_slot_t *s, const char *method) {
    for (uint32_t i = 0; i < p->wire.n_conns; i++) {
        lg_pw_conn_t *c = &p->wire.conns[i];
        if (c->state != LG_PW_IDLE) continue;
        if (!still_good(c)) { /* closed under us: never write a request into that */
            teardown(c, false, "closed by the server");
            continue;
        }
        if (!compose(p, c, s, method)) return false;
        uv_timer_stop(&c->timer);
        c->slot = s;
        set_state(c, LG_PW_SENDING);
        lg_wa_reset(&c->wa);
        p->st.wire_requests++;
        uv_timer_start(&c->timer, on_timer, (uint64_t)(p->cfg.request_timeout_ns / 1000000), 0);
        if (!write_out(c)) return true; /* answered already: an unknown outcome */
        if (c->out_off < c->out_len) return true; /* the rest when writable */
        set_state(c, LG_PW_READING);
        lg_port_written(p, s);
        watch(c, UV_READABLE);
        return true;
    }
    return false;
}

void lg_pw_close(lg_port_t *p) {
    for (uint32_t i = 0; i < p->wire.n_conns; i++) {
        lg_pw_conn_t *c = &p->wire.conns[i];
        c->slot = NULL; /* no answer after close */
        if (c->state == LG_PW_SENDING || c->state == LG_PW_READING) c->state = LG_PW_IDLE;
        if (c->state != LG_PW_CLOSING && c->state != LG_PW_DOWN) teardown(c, false, "closing");
        uv_timer_stop(&c->timer);
        uv_close((uv_handle_t *)&c->timer, timer_closed);
    }
    if (p->wire.ctx != NULL) SSL_CTX_free(p->wire.ctx);
    p->wire.ctx = NULL;
}

void lg_pw_free(lg_port_t *p) {
    for (uint32_t i = 0; i < p->wire.n_conns; i++) /* requests carry the token */
        memset(p->wire.conns[i].out, 0, sizeof p->wire.conns[i].out);
    memset(p->wire.head, 0, sizeof p->wire.head);
    free(p->wire.conns);
    p->wire.conns = NULL;
    p->wire.n_conns = 0;
}
