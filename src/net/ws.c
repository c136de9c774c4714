/*
 * ws.c — the WebSocket side of the server (RFC 6455): the upgrade handshake, parsing
 * and unmasking client frames, assembling fragmented messages, control frames (ping →
 * pong, close → close), and sending unmasked server frames.
 *
 * Protocol errors close the connection with the RFC's code: 1002 for a frame that
 * breaks the rules (unmasked, reserved bits, a bad continuation, a long control frame),
 * 1009 for a message over LG_HTTPD_MAX_MESSAGE.
 */
#include "net_int.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

enum { OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

static void accept_key(const char *key, char out[32]) {
    char buf[128];
    size_t kn = strnlen(key, 64);
    memcpy(buf, key, kn);
    memcpy(buf + kn, WS_GUID, sizeof WS_GUID - 1);
    unsigned char sha[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)buf, kn + sizeof WS_GUID - 1, sha);
    EVP_EncodeBlock((unsigned char *)out, sha, SHA_DIGEST_LENGTH); /* 28 chars + NUL */
}

void lg_ws_upgrade(lg_http_conn_t *c, const lg_http_req_t *r) {
    LG_ASSERT(c != NULL && r != NULL && c->waiting);
    const char *key = lg_http_header(r, "Sec-WebSocket-Key");
    const char *ver = lg_http_header(r, "Sec-WebSocket-Version");
    c->waiting = false;
    if (strcmp(r->method, "GET") != 0 || key == NULL || strlen(key) > 64 || ver == NULL ||
        strcmp(ver, "13") != 0) {
        static const char msg[] = "bad WebSocket upgrade: GET with Sec-WebSocket-Key and "
                                  "Sec-WebSocket-Version 13 expected\n";
        lg_net_reply_raw(c, 400, "text/plain", msg, sizeof msg - 1, NULL, false);
        return;
    }
    const char *body = "not found\n", *ctype = "text/plain";
    size_t blen = strlen(body);
    int st = c->h->cbs.on_ws_open != NULL
                 ? c->h->cbs.on_ws_open(c->h->ud, c, r, &body, &blen, &ctype)
                 : 404;
    if (st != 0) {
        lg_net_reply_raw(c, st, ctype, body, blen, NULL, false);
        return;
    }
    char acc[32], head[256];
    accept_key(key, acc);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     acc);
    LG_ASSERT(n > 0 && (size_t)n < sizeof head);
    c->ws = true;
    lg_net_write(c, head, (size_t)n, NULL, 0);
    if (c->h->cbs.on_ws_ready != NULL) c->h->cbs.on_ws_ready(c->h->ud, c);
}

static int send_frame(lg_http_conn_t *c, unsigned op, const void *p, size_t n) {
    uint8_t h[10];
    size_t hn;
    h[0] = (uint8_t)(0x80u | op);
    if (n < 126) {
        h[1] = (uint8_t)n;
        hn = 2;
    } else if (n <= 0xFFFF) {
        h[1] = 126;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hn = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        hn = 10;
    }
    return lg_net_write(c, h, hn, p, n);
}

int lg_ws_send(lg_http_conn_t *c, lg_ws_op_t op, const void *p, size_t n) {
    LG_ASSERT(c != NULL && (op == LG_WS_TEXT || op == LG_WS_BINARY) && (p != NULL || n == 0));
    if (!c->ws || c->closing) return LG_ESTATE;
    return send_frame(c, (unsigned)op, p, n);
}

static bool fail(lg_http_conn_t *c, unsigned code) {
    uint8_t payload[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    send_frame(c, OP_CLOSE, payload, 2);
    lg_net_close(c);
    return false;
}

/* A control frame; false once the connection closes. */
static bool control(lg_http_conn_t *c, unsigned op, const uint8_t *p, size_t n) {
    if (op == OP_PING) return send_frame(c, OP_PONG, p, n) == LG_OK;
    if (op == OP_PONG) return true;
    if (n >= 2) send_frame(c, OP_CLOSE, p, 2); /* echo the code */
    else send_frame(c, OP_CLOSE, NULL, 0);
    lg_net_close(c);
    return false;
}

/* A data frame's payload; false once the connection closes. */
static bool data(lg_http_conn_t *c, unsigned op, bool fin, const uint8_t *p, size_t n) {
    if ((op == OP_CONT) != (c->msg_op != 0)) return fail(c, 1002);
    if (c->msg_op == 0 && fin) { /* the common case: a whole message in one frame */
        if (c->h->cbs.on_ws_message != NULL)
            c->h->cbs.on_ws_message(c->h->ud, c, (lg_ws_op_t)op, p, n);
        return !c->closing;
    }
    if (c->msg == NULL && (c->msg = malloc(LG_HTTPD_MAX_MESSAGE)) == NULL) return fail(c, 1011);
    if (c->msg_len + n > LG_HTTPD_MAX_MESSAGE) return fail(c, 1009);
    if (op != OP_CONT) c->msg_op = (uint8_t)op;
    memcpy(c->msg + c->msg_len, p, n);
    c->msg_len += n;
    if (!fin) return true;
    lg_ws_op_t mop = (lg_ws_op_t)c->msg_op;
    size_t mlen = c->msg_len;
    c->msg_op = 0;
    c->msg_len = 0;
    if (c->h->cbs.on_ws_message != NULL) c->h->cbs.on_ws_message(c->h->ud, c, mop, c->msg, mlen);
    return !c->closing;
}

/* One frame at the buffer's front: 1 handled, 0 incomplete, -1 the connection closed. */
static int one_frame(lg_http_conn_t *c) {
    const uint8_t *b = (const uint8_t *)c->in;
    size_t have = c->in_len;
    if (have < 2) return 0;
    bool fin = (b[0] & 0x80u) != 0;
    unsigned op = b[0] & 0x0Fu;
    if ((b[0] & 0x70u) != 0 || (b[1] & 0x80u) == 0) return fail(c, 1002), -1;
    uint64_t len = b[1] & 0x7Fu;
    size_t hn = 2;
    if (len == 126) {
        if (have < 4) return 0;
        len = (uint64_t)b[2] << 8 | b[3];
        hn = 4;
    } else if (len == 127) {
        if (have < 10) return 0;
        len = 0;
        for (int i = 0; i < 8; i++) len = len << 8 | b[2 + i];
        hn = 10;
    }
    bool is_control = op >= 8;
    if ((is_control && (!fin || len > 125)) || (op > 2 && op < 8) || op > 10)
        return fail(c, 1002), -1;
    if (len > LG_HTTPD_MAX_MESSAGE) return fail(c, 1009), -1;
    size_t total = hn + 4 + (size_t)len;
    if (have < total) return 0;
    uint8_t *p = (uint8_t *)c->in + hn + 4;
    const uint8_t *mask = b + hn;
    for (size_t i = 0; i < len; i++) p[i] ^= mask[i & 3u];
    bool open = is_control ? control(c, op, p, (size_t)len) : data(c, op, fin, p, (size_t)len);
    if (!open) return -1;
    lg_net_drop(c, total);
    return 1;
}

bool lg_ws_process(lg_http_conn_t *c) {
    LG_ASSERT(c != NULL && c->ws);
    for (uint32_t i = 0; i < 4096; i++) {
        if (one_frame(c) <= 0) return false;
    }
    return !c->closing; /* frames may remain: process again later */
}
