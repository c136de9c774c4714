/*
 * ticker_client.h — the Kite ticker's WebSocket, client side, on libwebsockets driven by
 * the shell's libuv loop (internal to the broker port, src/port).
 *
 * It connects to <ws_root>?api_key=K&access_token=T, sends the subscriptions and modes
 * it was given (again after every reconnect), hands each complete message up (binary:
 * market data or a 1-byte heartbeat; text: order updates, errors, messages), and
 * watches the stream: Kite writes at least a heartbeat every second, so silence longer
 * than heartbeat_timeout_ns means the connection is dead even if TCP has not noticed —
 * it is closed and reconnected. Reconnects back off from backoff_min_ns, doubling to
 * backoff_max_ns, with the delay reset by a connection that lived past one heartbeat
 * timeout. A 403 on the handshake (a bad token) is reported through on_down with
 * auth = true and is not retried until lg_tkc_set_token.
 *
 * Lifecycle (as libuv handles): create -> (connect, up, messages, down, reconnect)* ->
 * close. lg_tkc_close stops everything and calls no callback after it returns; the
 * memory is freed once the loop has closed lws's handles (keep running the loop).
 */
#ifndef LEGATO_PORT_TICKER_CLIENT_H
#define LEGATO_PORT_TICKER_CLIENT_H

#include "legato/base.h"
#include "legato/ticker.h"

#include <uv.h>

typedef struct lg_tkc lg_tkc_t;

typedef struct lg_tkc_config {
    uv_loop_t *loop;
    const char *ws_root;      /* "wss://ws.kite.trade" or "ws://127.0.0.1:N/ws" (copied) */
    const char *api_key;      /* copied */
    const char *access_token; /* copied; never logged */
    lg_ns_t heartbeat_timeout_ns; /* 0: 5 s */
    lg_ns_t backoff_min_ns;       /* 0: 250 ms */
    lg_ns_t backoff_max_ns;       /* 0: 30 s */
    /* The socket is open and the subscriptions are written (or queued to be). */
    void (*on_up)(void *ud);
    /* The connection failed or ended; a reconnect is scheduled unless auth (403). */
    void (*on_down)(void *ud, bool auth, const char *why);
    /* One complete message. A frame read from the socket is handed up in the same
     * callback from libwebsockets (no queueing): the port's reaction time starts here. */
    void (*on_binary)(void *ud, const uint8_t *p, size_t n);
    void (*on_text)(void *ud, const char *p, size_t n);
    void *ud;
} lg_tkc_config_t;

typedef struct lg_tkc_stats {
    uint64_t connects, disconnects, binary, text, heartbeats, silent_closes;
    bool up;
} lg_tkc_stats_t;

/* Starts connecting at once. LG_EINVAL for a ws_root that is not ws:// or wss://,
 * LG_EIO when libwebsockets cannot start. */
int lg_tkc_create(const lg_tkc_config_t *cfg, lg_tkc_t **out);
/* Adds tokens in a mode (remembered, LG_TKC_MAX_TOKENS in all; LG_ENOSPACE past it) and
 * writes subscribe + mode now when connected. A token already there changes mode. */
#define LG_TKC_MAX_TOKENS 3000
int lg_tkc_subscribe(lg_tkc_t *t, const uint32_t *tokens, uint32_t n, lg_tick_mode_t mode);
/* A new access token (after a TokenException): reconnects with it. */
int lg_tkc_set_token(lg_tkc_t *t, const char *access_token);
void lg_tkc_stats(const lg_tkc_t *t, lg_tkc_stats_t *s);
void lg_tkc_close(lg_tkc_t *t);

#endif
