/*
 * httpd.h — a small HTTP/1.1 and WebSocket server on a libuv loop: the front of
 * `legato sim`. It is written for one job — serving a Kite-compatible API to a few
 * clients on loopback — and keeps to what that needs:
 *
 *   - requests with a Content-Length body (no chunked uploads: 411), keep-alive,
 *     `Expect: 100-continue`, one request at a time per connection (a reply may be
 *     deferred: the next request waits in the connection's buffer until it is sent);
 *   - WebSocket upgrades (RFC 6455): masked client frames, fragmented messages,
 *     ping → pong, close handshake; server frames unmasked.
 *
 * Everything is bounded: a request (head and body) over LG_HTTPD_MAX_REQUEST is
 * answered 413 and the connection closed; a WebSocket message over LG_HTTPD_MAX_MESSAGE
 * closes with 1009; a connection whose unsent output passes LG_HTTPD_MAX_BACKLOG (a
 * client that does not read) is closed; at most LG_HTTPD_MAX_CONNS connections.
 * Malformed input gets a 400 naming what was wrong, then the connection is closed.
 *
 * A connection handle stays valid until on_close has been called for it.
 */
#ifndef LEGATO_HTTPD_H
#define LEGATO_HTTPD_H

#include "legato/base.h"

#include <uv.h>

#define LG_HTTPD_MAX_REQUEST (256u * 1024u)
#define LG_HTTPD_MAX_MESSAGE (64u * 1024u)
#define LG_HTTPD_MAX_BACKLOG (16u * 1024u * 1024u)
#define LG_HTTPD_MAX_CONNS 256u
#define LG_HTTPD_MAX_HEADERS 48u

typedef struct lg_httpd lg_httpd_t;
typedef struct lg_http_conn lg_http_conn_t;

typedef struct lg_http_header {
    const char *name, *value; /* NUL-terminated, inside the request buffer */
} lg_http_header_t;

/* One request; every pointer is valid during the callback only. */
typedef struct lg_http_req {
    const char *method;  /* "GET", "POST", ... */
    const char *path;    /* percent-encoded as sent, without the query */
    const char *query;   /* after '?', "" when none */
    const char *body;    /* NUL-terminated (not counted in body_len) */
    size_t body_len;
    const lg_http_header_t *headers;
    uint32_t n_headers;
} lg_http_req_t;

typedef enum lg_ws_op {
    LG_WS_TEXT = 1,
    LG_WS_BINARY = 2,
} lg_ws_op_t;

typedef struct lg_httpd_cbs {
    /* A request: answer with lg_http_reply, now or later. */
    void (*on_request)(void *ud, lg_http_conn_t *c, const lg_http_req_t *r);
    /* A WebSocket upgrade: return 0 to accept (the 101 is sent), or an HTTP status to
     * refuse with (403 ...), after filling *body / *body_len / *content_type (static
     * or the callback's own buffer, copied before return). May be NULL: 404. */
    int (*on_ws_open)(void *ud, lg_http_conn_t *c, const lg_http_req_t *r,
                      const char **body, size_t *body_len, const char **content_type);
    /* The 101 has been written: the connection is a WebSocket and may be sent to (a
     * greeting). May be NULL. */
    void (*on_ws_ready)(void *ud, lg_http_conn_t *c);
    /* A complete WebSocket message (text or binary). May be NULL. */
    void (*on_ws_message)(void *ud, lg_http_conn_t *c, lg_ws_op_t op, const uint8_t *p,
                          size_t n);
    /* The connection is gone (either side); the handle is freed after this returns. */
    void (*on_close)(void *ud, lg_http_conn_t *c);
} lg_httpd_cbs_t;

/* Listens on host:port (port 0: any free port; see lg_httpd_port). Sets SIGPIPE to
 * SIG_IGN for the process: a peer gone mid-write is an error on its connection only. */
int lg_httpd_start(uv_loop_t *loop, const char *host, int port, const lg_httpd_cbs_t *cbs,
                   void *ud, lg_httpd_t **out);
int lg_httpd_port(const lg_httpd_t *h);
/* Closes the listener and every connection, without calling on_close (the owner may
 * free its state at once); the handle is freed once libuv has closed them all. */
void lg_httpd_stop(lg_httpd_t *h);

/* The answer to the connection's current request. headers: extra lines, each ending
 * "\r\n" (NULL for none). LG_ESTATE when there is no request waiting for an answer or
 * the connection is closing. */
int lg_http_reply(lg_http_conn_t *c, int status, const char *content_type, const char *body,
                  size_t len, const char *headers);
/* A WebSocket message; LG_ESTATE if the connection is not (or no longer) a WebSocket,
 * LG_ENOSPACE if its backlog is full (the connection is then closed). */
int lg_ws_send(lg_http_conn_t *c, lg_ws_op_t op, const void *p, size_t n);
/* Closes the connection (a WebSocket with close code 1000 first). */
void lg_http_close(lg_http_conn_t *c);

bool lg_http_is_ws(const lg_http_conn_t *c);
void lg_http_set_data(lg_http_conn_t *c, void *data);
void *lg_http_data(const lg_http_conn_t *c);
uint64_t lg_http_id(const lg_http_conn_t *c); /* unique for the server's lifetime */

/* Header value by case-insensitive name, NULL when absent. */
const char *lg_http_header(const lg_http_req_t *r, const char *name);
/* The reason phrase of a status code ("Not Found"). */
const char *lg_http_reason(int status);

/* Percent-decoding of one application/x-www-form-urlencoded (or query) string into
 * pairs. The decoded text is written into buf; names[i] and values[i] point into it.
 * LG_EPARSE for a bad escape, LG_ENOSPACE past cap pairs or buf's size. */
int lg_form_parse(const char *s, size_t len, char *buf, size_t bufcap, const char **names,
                  const char **values, uint32_t cap, uint32_t *n);
/* The first value of a name in parsed pairs, NULL when absent. */
const char *lg_form_get(const char *const *names, const char *const *values, uint32_t n,
                        const char *name);

#endif
