/*
 * httpd.c — the HTTP/1.1 side of the server: the listener, connection lifecycle,
 * reading into the connection's fixed buffer, parsing request heads in place,
 * replies and writes (see httpd.h for what is supported, net_int.h for the buffer).
 *
 * Lifecycle of a connection: accepted → reading → (request → waiting → reply)* →
 * closing (uv_shutdown lets pending writes finish, then uv_close) → on_close → freed.
 * An error or end of input closes at once.
 */
#include "net_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ROUNDS 64 /* requests or frames handled per read before yielding */

typedef struct wreq {
    uv_write_t req;
    lg_http_conn_t *c;
    size_t n;
    char data[];
} wreq_t;

typedef struct sreq {
    uv_shutdown_t req;
    lg_http_conn_t *c;
} sreq_t;

static void process(lg_http_conn_t *c);
static void on_idle(uv_idle_t *idle);

static void handle_closed(lg_httpd_t *h) {
    LG_ASSERT(h->n_handles > 0);
    if (--h->n_handles == 0 && h->stopping) free(h);
}

/* ---- writes and closing ---------------------------------------------------------------- */

static void on_written(uv_write_t *req, int status) {
    wreq_t *w = (wreq_t *)req;
    lg_http_conn_t *c = w->c;
    LG_ASSERT(c->backlog >= w->n);
    c->backlog -= w->n;
    free(w);
    if (status < 0 && status != UV_ECANCELED) lg_net_close(c);
}

int lg_net_write(lg_http_conn_t *c, const void *a, size_t na, const void *b, size_t nb) {
    LG_ASSERT(c != NULL && (a != NULL || na == 0) && (b != NULL || nb == 0));
    if (c->closing) return LG_ESTATE;
    if (c->backlog + na + nb > LG_HTTPD_MAX_BACKLOG) {
        lg_net_close(c); /* a client that does not read */
        return LG_ENOSPACE;
    }
    wreq_t *w = malloc(sizeof *w + na + nb);
    if (w == NULL) {
        lg_net_close(c);
        return LG_ENOSPACE;
    }
    w->c = c;
    w->n = na + nb;
    if (na > 0) memcpy(w->data, a, na);
    if (nb > 0) memcpy(w->data + na, b, nb);
    uv_buf_t buf = uv_buf_init(w->data, (unsigned)(na + nb));
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written) != 0) {
        free(w);
        lg_net_close(c);
        return LG_EIO;
    }
    c->backlog += na + nb;
    return LG_OK;
}

static void on_conn_closed(uv_handle_t *hd) {
    lg_http_conn_t *c = (lg_http_conn_t *)hd;
    lg_httpd_t *h = c->h;
    if (h->cbs.on_close != NULL) h->cbs.on_close(h->ud, c);
    if (c->prev != NULL) c->prev->next = c->next;
    else h->conns = c->next;
    if (c->next != NULL) c->next->prev = c->prev;
    for (lg_http_conn_t **p = &h->ready; *p != NULL; p = &(*p)->next_ready) {
        if (*p == c) {
            *p = c->next_ready;
            break;
        }
    }
    h->n_conns--;
    free(c->in);
    free(c->msg);
    free(c);
    handle_closed(h);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
    (void)status;
    sreq_t *s = (sreq_t *)req;
    uv_close((uv_handle_t *)&s->c->tcp, on_conn_closed);
    free(s);
}

void lg_net_close(lg_http_conn_t *c) {
    LG_ASSERT(c != NULL);
    if (c->closing) return;
    c->closing = true;
    if (c->reading) uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
    sreq_t *s = malloc(sizeof *s);
    if (s != NULL) {
        s->c = c;
        if (uv_shutdown(&s->req, (uv_stream_t *)&c->tcp, on_shutdown) == 0) return;
        free(s);
    }
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

void lg_net_drop(lg_http_conn_t *c, size_t n) {
    LG_ASSERT(n <= c->in_len);
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

/* ---- replies ------------------------------------------------------------------------------ */

int lg_net_reply_raw(lg_http_conn_t *c, int status, const char *content_type, const char *body,
                     size_t len, const char *headers, bool keep_alive) {
    char head[1024];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                      "Connection: %s\r\n%s\r\n",
                      status, lg_http_reason(status),
                      content_type != NULL ? content_type : "text/plain", len,
                      keep_alive ? "keep-alive" : "close", headers != NULL ? headers : "");
    if (hn < 0 || (size_t)hn >= sizeof head) return LG_ENOSPACE;
    int rc = lg_net_write(c, head, (size_t)hn, body, len);
    if (rc == LG_OK && !keep_alive) lg_net_close(c);
    return rc;
}

static void mark_ready(lg_http_conn_t *c) {
    if (c->queued || c->closing) return;
    c->queued = true;
    c->next_ready = c->h->ready;
    c->h->ready = c;
    uv_idle_start(&c->h->idle, on_idle);
}

int lg_http_reply(lg_http_conn_t *c, int status, const char *content_type, const char *body,
                  size_t len, const char *headers) {
    LG_ASSERT(c != NULL && status >= 100 && status <= 599 && (body != NULL || len == 0));
    if (c->closing || c->ws || !c->waiting) return LG_ESTATE;
    int rc = lg_net_reply_raw(c, status, content_type, body, len, headers, c->keep_alive);
    c->waiting = false;
    if (!c->in_callback && !c->closing) {
        lg_net_drop(c, c->consumed);
        c->consumed = 0;
        mark_ready(c);
    }
    return rc;
}

static void refuse(lg_http_conn_t *c, int status, const char *what) {
    char body[160];
    int n = snprintf(body, sizeof body, "%s\n", what);
    lg_net_reply_raw(c, status, "text/plain", body, (size_t)n, NULL, false);
}

/* ---- request heads ------------------------------------------------------------------------- */

typedef struct head {
    lg_http_req_t r;
    lg_http_header_t hdr[LG_HTTPD_MAX_HEADERS];
    size_t head_len, body_len;
} head_t;

/* Splits "METHOD SP target SP HTTP/1.x" in place; false on a bad line. */
static bool request_line(char *line, lg_http_req_t *r, bool *http10) {
    char *sp1 = strchr(line, ' ');
    if (sp1 == NULL) return false;
    *sp1 = '\0';
    char *target = sp1 + 1;
    char *sp2 = strchr(target, ' ');
    if (sp2 == NULL || target[0] != '/') return false;
    *sp2 = '\0';
    const char *ver = sp2 + 1;
    if (strcmp(ver, "HTTP/1.1") != 0 && strcmp(ver, "HTTP/1.0") != 0) return false;
    *http10 = strcmp(ver, "HTTP/1.0") == 0;
    r->method = line;
    r->path = target;
    char *q = strchr(target, '?');
    r->query = "";
    if (q != NULL) {
        *q = '\0';
        r->query = q + 1;
    }
    return line[0] != '\0';
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

/* Parses the head ending at end (the "\r\n\r\n"); returns 0 or the status to refuse. */
static int parse_head(lg_http_conn_t *c, char *end, head_t *hd, const char **why) {
    *end = '\0';
    char *line = c->in;
    char *nl = strstr(line, "\r\n");
    bool http10 = false;
    if (nl != NULL) *nl = '\0';
    if (!request_line(line, &hd->r, &http10)) {
        *why = "malformed request line";
        return 400;
    }
    hd->r.headers = hd->hdr;
    hd->r.n_headers = 0;
    char *p = nl != NULL ? nl + 2 : end;
    for (uint32_t i = 0; p < end && i <= LG_HTTPD_MAX_HEADERS; i++) {
        char *e = strstr(p, "\r\n");
        if (e != NULL) *e = '\0';
        char *colon = strchr(p, ':');
        if (colon == NULL || colon == p) {
            *why = "malformed header line";
            return 400;
        }
        if (hd->r.n_headers == LG_HTTPD_MAX_HEADERS) {
            *why = "too many header lines";
            return 431;
        }
        *colon = '\0';
        hd->hdr[hd->r.n_headers++] = (lg_http_header_t){p, trim(colon + 1)};
        p = e != NULL ? e + 2 : end;
    }
    const char *conn = lg_http_header(&hd->r, "Connection");
    c->keep_alive = conn != NULL ? strcasecmp(conn, "close") != 0 : !http10;
    if (lg_http_header(&hd->r, "Transfer-Encoding") != NULL) {
        *why = "chunked request bodies are not supported: send Content-Length";
        return 411;
    }
    const char *cl = lg_http_header(&hd->r, "Content-Length");
    hd->body_len = 0;
    if (cl != NULL) {
        char *e = NULL;
        unsigned long long v = strtoull(cl, &e, 10);
        if (cl[0] < '0' || cl[0] > '9' || *e != '\0') {
            *why = "Content-Length is not a number";
            return 400;
        }
        if (v > LG_HTTPD_MAX_REQUEST) {
            *why = "request body too large";
            return 413;
        }
        hd->body_len = (size_t)v;
    }
    hd->head_len = (size_t)(end - c->in) + 4;
    if (hd->head_len + hd->body_len > LG_HTTPD_MAX_REQUEST) {
        *why = "request too large";
        return 413;
    }
    return 0;
}

static char *find_end(char *s, size_t n) {
    for (size_t i = 0; i + 3 < n; i++)
        if (s[i] == '\r' && s[i + 1] == '\n' && s[i + 2] == '\r' && s[i + 3] == '\n') return s + i;
    return NULL;
}

/* A header's value in an unparsed head (case-insensitive name), without changing it. */
static bool peek_header(const char *head, size_t n, const char *name, char *out, size_t cap) {
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl + 1 < n; i++) {
        if (head[i] != '\n' || strncasecmp(head + i + 1, name, nl) != 0 ||
            head[i + 1 + nl] != ':')
            continue;
        size_t j = i + 2 + nl, k = 0;
        while (j < n && (head[j] == ' ' || head[j] == '\t')) j++;
        while (j < n && head[j] != '\r' && k + 1 < cap) out[k++] = head[j++];
        out[k] = '\0';
        return true;
    }
    return false;
}

/* Whether the whole body has arrived; sends "100 Continue" once when asked to. */
static bool body_complete(lg_http_conn_t *c, size_t head_bytes) {
    char v[32];
    if (!peek_header(c->in, head_bytes, "Content-Length", v, sizeof v)) return true;
    char *e = NULL;
    unsigned long long len = strtoull(v, &e, 10);
    if (v[0] < '0' || v[0] > '9' || *e != '\0' || len > LG_HTTPD_MAX_REQUEST) return true;
    if (c->in_len >= head_bytes + len) return true; /* (parse_head refuses bad lengths) */
    if (!c->continued && peek_header(c->in, head_bytes, "Expect", v, sizeof v) &&
        strcasecmp(v, "100-continue") == 0) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        lg_net_write(c, cont, sizeof cont - 1, NULL, 0);
        c->continued = true;
    }
    return false;
}

/* One request, if a whole one is buffered; false when there is nothing more to do. */
static bool one_request(lg_http_conn_t *c) {
    char *end = find_end(c->in, c->in_len);
    if (end == NULL) {
        if (c->in_len >= LG_HTTPD_MAX_REQUEST) refuse(c, 431, "request head too large");
        return false;
    }
    if (!body_complete(c, (size_t)(end - c->in) + 4)) return false;
    head_t hd;
    const char *why = "";
    int st = parse_head(c, end, &hd, &why);
    if (st != 0) {
        refuse(c, st, why);
        return false;
    }
    char *body = c->in + hd.head_len;
    char after = body[hd.body_len]; /* the next request's first byte, or spare room */
    body[hd.body_len] = '\0';
    hd.r.body = body;
    hd.r.body_len = hd.body_len;
    c->consumed = hd.head_len + hd.body_len;
    c->continued = false;
    c->waiting = true;
    c->in_callback = true;
    const char *up = lg_http_header(&hd.r, "Upgrade");
    if (up != NULL && strcasecmp(up, "websocket") == 0) lg_ws_upgrade(c, &hd.r);
    else c->h->cbs.on_request(c->h->ud, c, &hd.r);
    c->in_callback = false;
    if (c->closing) return false;
    c->in[c->consumed] = after;
    if (c->waiting) return false; /* the reply comes later */
    lg_net_drop(c, c->consumed);
    c->consumed = 0;
    return true;
}

static void process(lg_http_conn_t *c) {
    for (int round = 0; round < MAX_ROUNDS; round++) {
        if (c->closing) return;
        if (c->ws) {
            if (lg_ws_process(c)) break;
            return;
        }
        if (c->waiting || c->in_len == 0 || !one_request(c)) return;
    }
    mark_ready(c); /* more is buffered: continue on the next loop turn */
}

/* ---- reading ----------------------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    lg_http_conn_t *c = (lg_http_conn_t *)hd;
    *buf = uv_buf_init(c->in + c->in_len, (unsigned)(LG_HTTPD_MAX_REQUEST - c->in_len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
    (void)buf;
    lg_http_conn_t *c = (lg_http_conn_t *)st;
    if (n == UV_ENOBUFS) { /* the buffer is full */
        if (c->waiting) { /* pipelined requests behind a deferred reply: wait */
            uv_read_stop(st);
            c->reading = false;
        } else {
            refuse(c, 413, "request too large");
        }
        return;
    }
    if (n < 0) {
        c->closing = true;
        c->reading = false;
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
        return;
    }
    c->in_len += (size_t)n;
    LG_ASSERT(c->in_len <= LG_HTTPD_MAX_REQUEST);
    process(c);
}

static void on_idle(uv_idle_t *idle) {
    lg_httpd_t *h = idle->data;
    lg_http_conn_t *list = h->ready;
    h->ready = NULL;
    uv_idle_stop(idle);
    for (uint32_t i = 0; list != NULL && i < LG_HTTPD_MAX_CONNS; i++) {
        lg_http_conn_t *c = list;
        list = c->next_ready;
        c->queued = false;
        if (c->closing) continue;
        if (!c->reading) {
            c->reading = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0;
        }
        process(c);
    }
}

static void on_connection(uv_stream_t *server, int status) {
    lg_httpd_t *h = server->data;
    if (status < 0) return;
    lg_http_conn_t *c = calloc(1, sizeof *c);
    char *in = malloc(LG_HTTPD_MAX_REQUEST + 1);
    if (c == NULL || in == NULL || uv_tcp_init(h->loop, &c->tcp) != 0) {
        free(c);
        free(in);
        return;
    }
    c->h = h;
    c->in = in;
    c->id = ++h->next_id;
    c->next = h->conns;
    if (h->conns != NULL) h->conns->prev = c;
    h->conns = c;
    h->n_conns++;
    h->n_handles++;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || h->n_conns > LG_HTTPD_MAX_CONNS) {
        lg_net_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->reading = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0;
    if (!c->reading) lg_net_close(c);
}

/* ---- the server ---------------------------------------------------------------------------------- */

int lg_httpd_start(uv_loop_t *loop, const char *host, int port, const lg_httpd_cbs_t *cbs,
                   void *ud, lg_httpd_t **out) {
    LG_ASSERT(loop != NULL && host != NULL && cbs != NULL && cbs->on_request != NULL && out);
    if (port < 0 || port > 65535) return LG_EINVAL;
    struct sockaddr_in addr;
    if (uv_ip4_addr(host, port, &addr) != 0) return LG_EINVAL;
    /* A peer that closes while a reply or tick is in flight must cost a write error
     * (EPIPE, handled per connection), never the process: libuv writes with write(2). */
    signal(SIGPIPE, SIG_IGN);
    lg_httpd_t *h = calloc(1, sizeof *h);
    if (h == NULL) return LG_ENOSPACE;
    h->loop = loop;
    h->cbs = *cbs;
    h->ud = ud;
    uv_tcp_init(loop, &h->listener);
    uv_idle_init(loop, &h->idle);
    h->n_handles = 2;
    h->listener.data = h;
    h->idle.data = h;
    int rc = uv_tcp_bind(&h->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&h->listener, 128, on_connection);
    if (rc != 0) {
        lg_httpd_stop(h);
        return LG_EIO;
    }
    struct sockaddr_in bound;
    int blen = (int)sizeof bound;
    uv_tcp_getsockname(&h->listener, (struct sockaddr *)&bound, &blen);
    h->port = ntohs(bound.sin_port);
    *out = h;
    return LG_OK;
}

int lg_httpd_port(const lg_httpd_t *h) {
    LG_ASSERT(h != NULL);
    return h->port;
}

static void on_handle_closed(uv_handle_t *hd) {
    handle_closed(hd->data);
}

void lg_httpd_stop(lg_httpd_t *h) {
    LG_ASSERT(h != NULL && !h->stopping);
    h->stopping = true;
    h->cbs.on_close = NULL; /* the owner may be gone before libuv closes the connections */
    uv_close((uv_handle_t *)&h->listener, on_handle_closed);
    uv_close((uv_handle_t *)&h->idle, on_handle_closed);
    for (lg_http_conn_t *c = h->conns; c != NULL; c = c->next) {
        if (c->closing) continue;
        c->closing = true;
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    }
}

void lg_http_close(lg_http_conn_t *c) {
    LG_ASSERT(c != NULL);
    if (c->ws && !c->closing) {
        static const uint8_t frame[4] = {0x88, 2, 0x03, 0xE8}; /* close, 1000 */
        lg_net_write(c, frame, sizeof frame, NULL, 0);
    }
    lg_net_close(c);
}

bool lg_http_is_ws(const lg_http_conn_t *c) {
    return c->ws && !c->closing;
}

void lg_http_set_data(lg_http_conn_t *c, void *data) {
    c->data = data;
}

void *lg_http_data(const lg_http_conn_t *c) {
    return c->data;
}

uint64_t lg_http_id(const lg_http_conn_t *c) {
    return c->id;
}
