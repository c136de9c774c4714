/*
 * port_int.h — the broker port's parts (internal): port.c (commands, limits, answers,
 * the ticker's messages) and port_http.c (libcurl's multi interface on the libuv loop).
 *
 * A request lives in a slot of a fixed pool (max_inflight): the command it carries, its
 * easy handle (kept for the port's life so that connections are reused), its form and
 * the answer's bytes (bounded: LG_PORT_BODY_MAX). Slots are the only way onto the wire,
 * so the pool bounds what is in flight; the rate queues hold the rest.
 */
#ifndef LEGATO_PORT_INT_H
#define LEGATO_PORT_INT_H

#include "legato/kite.h"
#include "legato/port.h"
#include "ticker_client.h"

#include <curl/curl.h>

#define LG_PORT_BODY_MAX (8u << 20)   /* the largest answer taken (an order book) */
#define LG_PORT_FORM_MAX 2048         /* a basket of LG_MAX_LEGS orders in JSON */
#define LG_PORT_URL_MAX 4096          /* a /quote of up to LG_PORT_QUOTE_BATCH instruments */
#define LG_PORT_QUOTE_BATCH 100       /* instruments in one GET /quote (Kite takes 500) */
#define LG_PORT_BOOK_MAX 2048         /* orders taken from one order-book fetch */
#define LG_PORT_TICKS_MAX 512         /* ticks in one binary frame */
#define LG_PORT_ROWS_MAX 1024         /* position rows */
#define LG_PORT_MODS 4096             /* orders whose modifications are counted (power of 2) */
#define LG_PORT_MODS_PER_ORDER 25     /* Kite's limit */

typedef struct lg_ph_sock lg_ph_sock_t;
typedef struct lg_pw_conn lg_pw_conn_t;
struct ssl_ctx_st;

typedef struct lg_port_slot {
    lg_port_t *port;
    CURL *easy;
    bool busy, book;      /* book: the port's own order-book fetch (cmd.tag "") */
    bool quote;           /* the port's own GET /quote for circuit bands (port_quote.c) */
    bool json;            /* the body is JSON (POST /margins/basket), not a form */
    lg_cmd_t cmd;
    char url[LG_PORT_URL_MAX];
    char form[LG_PORT_FORM_MAX];
    size_t form_len;
    char *body;           /* the answer; grown up to LG_PORT_BODY_MAX */
    size_t len, cap;
    bool too_big;
    bool unsent;          /* failed before a byte of it left (no connection) */
} lg_port_slot_t;

struct lg_port {
    lg_port_config_t cfg;
    char rest_root[256], ws_root[256], api_key[64], token[128], product[8];
    lg_rate_t *rate;
    lg_port_slot_t *slots;
    uint32_t n_slots, n_busy;
    CURLM *multi;
    struct curl_slist *headers, *old_headers;
    struct curl_slist *json_headers, *old_json_headers; /* the same + Content-Type: JSON */
    lg_ph_sock_t *socks;    /* sockets libcurl has us poll */
    uv_timer_t curl_timer, rate_timer;
    uint32_t open_handles;  /* libuv handles still to close before the port is freed */
    bool closing, halted, in_curl;
    lg_ns_t backoff_ns;     /* the next 429's wait */
    lg_tkc_t *ticker;
    lg_port_stats_t st;
    char ca_file[256];
    struct {                /* the order connections (port_wire.c) */
        char host[256], authority[300];
        uint16_t port;
        bool tls;
        size_t target_off;  /* where a slot's url has its request target */
        struct ssl_ctx_st *ctx;
        lg_pw_conn_t *conns;
        uint32_t n_conns;
        char head[768];     /* " HTTP/1.1\r\nHost: ...": the headers every order request has */
        size_t head_len;
    } wire;
    struct {
        char id[LG_BROKER_ID_MAX];
        uint8_t n;                    /* modifications sent or waiting */
    } mods[LG_PORT_MODS];
    uint32_t n_mods;
    struct {                /* the request lg_port_send built last: start reuses it */
        bool valid;
        lg_cmd_t cmd;
        const char *method;
        char url[LG_PORT_URL_MAX];
        char form[LG_PORT_FORM_MAX];
        size_t form_len;
    } pre;
    struct {                /* circuit bands from GET /quote (port_quote.c) */
        uint32_t *tokens;   /* the instruments, cycled through in batches */
        uint32_t n, next, taken; /* taken: tokens in the request on the wire */
        lg_ns_t every_ns, cycle_at; /* a cycle's period; when this one started */
        uv_timer_t timer;
        bool on, inflight;
        uint32_t failures;  /* requests of this cycle that gave no bands */
        uint64_t bands;     /* bands handed to the engine this cycle */
        char first_error[120];
        lg_kite_band_t scratch[LG_PORT_QUOTE_BATCH];
    } quotes;
    /* scratch for decoding (one message at a time: the loop is single-threaded) */
    lg_tick_t ticks[LG_PORT_TICKS_MAX];
    lg_adopt_t book[LG_PORT_BOOK_MAX];
    lg_position_row_t rows[LG_PORT_ROWS_MAX];
};

lg_ns_t lg_port_now(void);
/* Commands waiting in the rate queues. */
uint32_t lg_port_waiting(const lg_port_t *p);
void lg_port_alert(lg_port_t *p, lg_alert_level_t level, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Moves what the limits allow from the rate queues onto free slots. */
void lg_port_pump(lg_port_t *p);

/* Body bytes of the slot's answer (bounded by LG_PORT_BODY_MAX); false: too big, or
 * out of memory (s->too_big says which). */
bool lg_port_slot_take(lg_port_slot_t *s, const char *b, size_t n);
/* The slot carries c onto the wire now (book, quote: the port's own requests). */
void lg_port_slot_open(lg_port_t *p, lg_port_slot_t *s, const lg_cmd_t *c, bool book, bool quote);
/* The slot's request has been written to its socket (the measurement hook). */
void lg_port_written(lg_port_t *p, const lg_port_slot_t *s);

/* port_wire.c */
int lg_pw_init(lg_port_t *p);
int lg_pw_headers(lg_port_t *p);
/* Writes the slot's order request on a ready order connection; false when none is
 * ready (the caller sends it through libcurl). The answer comes through lg_port_done
 * (possibly before this returns, when the connection failed at once). */
bool lg_pw_send(lg_port_t *p, lg_port_slot_t *s, const char *method);
void lg_pw_close(lg_port_t *p);
/* Wipes what held the token and frees the connections (every handle closed). */
void lg_pw_free(lg_port_t *p);

/* port_http.c */
int lg_ph_init(lg_port_t *p);
/* Rebuilds the header list (the token changed). */
int lg_ph_headers(lg_port_t *p);
/* Sends the slot's request: method "GET", "POST", "PUT" or "DELETE", s->url, s->form. */
int lg_ph_start(lg_port_t *p, lg_port_slot_t *s, const char *method);
void lg_ph_close(lg_port_t *p);
/* port_quote.c */
void lg_pq_init(lg_port_t *p);
/* The slot's GET /quote ended: its bands to the engine, the next batch scheduled. */
void lg_pq_done(lg_port_t *p, lg_port_slot_t *s, int http, const char *ctype, const char *why,
                lg_kite_answer_t *a);
void lg_pq_close(lg_port_t *p);
/* port.c: a request ended (http 0 when no answer came; why: libcurl's error). */
void lg_port_done(lg_port_t *p, lg_port_slot_t *s, int http, const char *ctype, const char *why);
/* One of the port's libuv handles has closed (the last one frees the port). */
void lg_port_release(lg_port_t *p);
void lg_port_handle_closed(uv_handle_t *h); /* h->data is the port */

#endif
