/*
 * port.h — the broker port: the engine's commands to Kite Connect (or `legato sim`) and
 * the broker's answers, order updates and ticks back as engine events, on the shell's
 * libuv loop. The codec (kite.h, ticker.h) is pure; this is where the sockets are.
 *
 *   lg_port_send(cmd) -> rate queues (rate.h) -> REST request: an order on the port's
 *                        own kept-alive connection, anything else on libcurl's multi
 *                                                   |  answer: lg_kite_*_answer
 *   on_event(ev)  <-------------------------------- +
 *   on_event(ev)  <-- ticker (libwebsockets): ticks, order frames, connection up/down
 *
 * Outcomes. An answer the codec calls definitive becomes an ACK or a definitive ERROR;
 * a timeout, a dropped connection, a 5xx or a body that is not Kite's is an UNKNOWN
 * outcome (an ORDER_ERROR with definitive = false): the engine looks the order up by
 * its tag; the port never sends the same order twice on its own.
 * A request that failed before any connection existed (no address, connect refused,
 * TLS refused) certainly never left: a PLACE is a definitive "not sent" error.
 *
 * Limits. Every request leaves through lg_rate: 10 order requests a second, 400 a
 * minute, risk-reducing ones (emergency reversals, exits, cancels) ahead of entries;
 * look-ups in their own lane. A full queue refuses the send (the live shell turns a
 * refused PLACE into a definitive "not sent" error): nothing is dropped silently. A
 * look-up by tag of a PLACE still waiting in its lane is not sent (alerted INFO): the
 * broker's book cannot have it yet, and "not found" would make the engine give up an
 * order that is about to leave.
 * Kite's 429: nothing leaves until a backoff (1 s, doubling to 8 s, reset by the next
 * answer that is not a 429), and the refused request goes back to its lane.
 *
 * TokenException (HTTP 403, or the ticker's handshake refused): the session is gone. The
 * port stops sending (requests wait in their queues), alerts CRITICAL with what to do,
 * and hands the engine a KILL control, so that it halts new risk. lg_port_set_token
 * with a fresh access token resumes sending.
 *
 * Ticker. Subscriptions are remembered and sent again after a reconnect; a reconnect
 * also fetches the day's order book (GET /orders) and hands every legato order in it to
 * the engine as an ORDER_UPDATE, so that updates missed while the socket was down are
 * not lost.
 *
 * Lifecycle: create -> send/subscribe ... -> close (no callback after close returns;
 * the memory goes once the loop has closed the port's handles: keep running the loop).
 */
#ifndef LEGATO_PORT_H
#define LEGATO_PORT_H

#include "legato/event.h"
#include "legato/instrument.h"
#include "legato/rate.h"
#include "legato/ticker.h"

#include <uv.h>

typedef struct lg_port lg_port_t;

typedef struct lg_port_config {
    uv_loop_t *loop;
    const char *rest_root;     /* "https://api.kite.trade" or "http://127.0.0.1:N" (copied) */
    const char *ws_root;       /* "wss://ws.kite.trade" or "ws://127.0.0.1:N/ws"; NULL: no ticker */
    const char *api_key;       /* copied */
    const char *access_token;  /* copied; never logged */
    const lg_instruments_t *master; /* tradingsymbols for the forms; outlives the port */
    const char *product;       /* "NRML" (NULL) or "MIS" */
    lg_rate_config_t rate;     /* all zero: lg_rate_config_default */
    lg_ns_t request_timeout_ns;   /* 0: 7 s — past it the outcome is unknown */
    lg_ns_t connect_timeout_ns;   /* 0: 3 s */
    lg_ns_t heartbeat_timeout_ns; /* ticker silence that means a dead socket; 0: 5 s */
    lg_ns_t reconnect_min_ns, reconnect_max_ns; /* ticker backoff; 0: 250 ms, 30 s */
    uint32_t max_inflight;     /* requests on the wire at once; 0: 16 */
    /* Order requests (place, modify, cancel) are written on the port's own kept-alive
     * connections when one is ready, in the call that sends them; everything else, and
     * an order while none is ready, goes through libcurl. */
    uint32_t order_conns;      /* 0: 4 */
    bool libcurl_only;         /* no order connections: every request through libcurl */
    lg_ns_t conn_idle_ns;      /* an order connection idle this long is renewed; 0: 30 s */
    const char *tls_ca_file;   /* PEM CAs to verify an https root by; NULL: the system's */
    /* Every event for the engine (normally lg_live_event). */
    void (*on_event)(void *ud, const lg_event_t *ev);
    void (*on_alert)(void *ud, const lg_alert_t *a); /* may be NULL */
    void *ud;
    /* Measurement hooks (may be NULL): a ticker message read from the socket, before it
     * is decoded; a request's head written to its socket (cmd NULL for the port's own
     * order-book fetch). */
    void (*on_frame_read)(void *ud);
    void (*on_request_written)(void *ud, const lg_cmd_t *cmd);
    /* false: on_request_written fires when libcurl reports the head written (its verbose
     * debug stream, which itself costs ~20 µs a request); true: from libcurl's pre-request
     * callback, just before the request is built and written, at no cost. The two bound
     * the true time from both sides. */
    bool hook_at_prereq;
} lg_port_config_t;

/* LG_EINVAL for a missing loop, root, key, token, master or on_event, or a root that
 * is not http(s)://; LG_EIO when libcurl or the ticker cannot start. */
int lg_port_create(const lg_port_config_t *cfg, lg_port_t **out);
void lg_port_close(lg_port_t *p);

/* An engine command (the live shell's send function: lg_live_send_fn), or the shell's
 * MODIFY. LG_OK: queued (it leaves when the limits allow); LG_EPOOL_FULL: its queue is
 * full; LG_EINSTRUMENT: a PLACE for a token not in the master; LG_EINVAL: a command the
 * form refuses (a MARKET without protection, a CANCEL or MODIFY without a broker id);
 * LG_ERANGE: a 26th modification of one order (Kite allows 25; one refused definitively
 * by Kite does not count). A modification's answer is alerted when it is not accepted;
 * the order's update tells the rest. */
int lg_port_send(void *port, const lg_cmd_t *cmd);
/* Market data for tokens in a mode (remembered across reconnects). */
int lg_port_subscribe(lg_port_t *p, const uint32_t *tokens, uint32_t n, lg_tick_mode_t mode);
/* Circuit bands (LG_EV_BAND) for tokens, from GET /quote: a cycle over them now (a
 * request a second, LG_PORT_QUOTE_BATCH instruments each, outside the order lanes), and
 * again every every_ns from its start (0: once). A new call replaces the list. Failed
 * requests are alerted once a cycle. LG_EINSTRUMENT: a token missing from the master. */
int lg_port_bands(lg_port_t *p, const uint32_t *tokens, uint32_t n, lg_ns_t every_ns);
/* A fresh access token after a TokenException: sending resumes. */
int lg_port_set_token(lg_port_t *p, const char *access_token);

typedef struct lg_port_stats {
    uint64_t requests, answered, acks, definitive_errors, unknown_outcomes, rate_429;
    uint64_t ticks, order_frames, book_fetches, book_orders;
    uint32_t inflight, waiting;   /* on the wire; in the rate queues */
    uint64_t ticker_connects, ticker_disconnects, heartbeats;
    uint64_t wire_requests, wire_connects; /* orders on the order connections; their connects */
    uint64_t wire_failures; /* connects, handshakes or connections of theirs that failed */
    uint64_t rebuilt;      /* requests built again when they left (they waited in a queue) */
    uint64_t quote_requests, quote_cycles, bands; /* GET /quote for circuit bands; bands taken */
    bool halted, ticker_up;
} lg_port_stats_t;
void lg_port_stats(const lg_port_t *p, lg_port_stats_t *s);

#endif
