/*
 * net_int.h — private state of the HTTP/WebSocket server, shared by its files:
 *
 *   httpd.c  the listener, connections, reading, request heads, replies, writes
 *   ws.c     the WebSocket handshake and frames (parse, assemble, send)
 *   form.c   form / query decoding, header look-up, reason phrases
 *
 * A connection reads into one fixed buffer (LG_HTTPD_MAX_REQUEST bytes). HTTP: the
 * bytes of the request being answered stay at its front until the reply is written;
 * what follows is the next request. WebSocket: whole frames are consumed as they
 * arrive; a fragmented message is assembled in its own buffer.
 */
#ifndef LEGATO_NET_INT_H
#define LEGATO_NET_INT_H

#include "legato/httpd.h"

struct lg_http_conn {
    uv_tcp_t tcp; /* first: the handle's address is the connection's */
    lg_httpd_t *h;
    lg_http_conn_t *prev, *next;
    uint64_t id;
    void *data;
    char *in;       /* LG_HTTPD_MAX_REQUEST + 1 bytes */
    size_t in_len;
    size_t consumed;   /* bytes of the request being answered */
    size_t backlog;    /* bytes handed to libuv, not yet written */
    bool waiting;      /* a request waits for its reply */
    bool keep_alive;
    bool continued;    /* "100 Continue" sent for the current request */
    bool ws;
    bool closing;
    bool in_callback;  /* a request callback is running: do not shift the buffer */
    bool reading;
    bool queued;       /* on the server's list of connections to process */
    lg_http_conn_t *next_ready;
    uint8_t *msg;      /* WebSocket message being assembled (LG_HTTPD_MAX_MESSAGE) */
    size_t msg_len;
    uint8_t msg_op;    /* 0: none in progress */
};

struct lg_httpd {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_idle_t idle;    /* processes connections whose deferred reply was sent */
    lg_httpd_cbs_t cbs;
    void *ud;
    lg_http_conn_t *conns;
    lg_http_conn_t *ready;
    uint32_t n_conns;
    uint32_t n_handles; /* open libuv handles: listener, idle, connections */
    uint64_t next_id;
    int port;
    bool stopping;
};

/* httpd.c */
int lg_net_write(lg_http_conn_t *c, const void *a, size_t na, const void *b, size_t nb);
void lg_net_close(lg_http_conn_t *c);
void lg_net_drop(lg_http_conn_t *c, size_t n); /* removes n bytes from the buffer's front */
int lg_net_reply_raw(lg_http_conn_t *c, int status, const char *content_type, const char *body,
                     size_t len, const char *headers, bool keep_alive);

/* ws.c */
/* Answers an upgrade request (the 101, or the callback's refusal). */
void lg_ws_upgrade(lg_http_conn_t *c, const lg_http_req_t *r);
/* Handles the whole frames in the buffer; true when some may remain (a bounded round). */
bool lg_ws_process(lg_http_conn_t *c);

#endif
