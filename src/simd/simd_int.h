/*
 * simd_int.h — private state of `legato sim`, shared by its files:
 *
 *   simd.c         start / stop, the wall clock, the pump that polls the model and
 *                  hands its events out (place answers, order frames, ticks), fills
 *   simd_route.c   the request router: authorisation, the 429 limit, JSON replies
 *   simd_orders.c  place, modify, cancel, the order book, history, trades
 *   simd_data.c    contract names, quotes, instruments CSV, positions, margins
 *                  (scenario model)
 *   simd_ticker.c  the ticker WebSocket: subscriptions, modes, ticks, heartbeats
 *   simd_admin.c   the admin path that scripts the market
 *
 * Orders. The model numbers orders as they are placed; `orders[i]` keeps what the
 * model does not: the client's tag (the model is given a unique one), product,
 * timestamps and the status history. A place request waits in `pending` for the
 * model's answer (an ack or an error after its latency) and is answered then.
 */
#ifndef LEGATO_SIMD_INT_H
#define LEGATO_SIMD_INT_H

#include "legato/httpd.h"
#include "legato/kite.h"
#include "legato/simd.h"
#include "legato/ticker.h"

#include <jansson.h>

#define SIMD_MAX_PENDING 256
#define SIMD_HISTORY 12       /* status rows kept per order (the first and the latest) */
#define SIMD_MAX_TRADES 65536
#define SIMD_MAX_SUBS 512     /* tokens per ticker connection */
#define SIMD_MAX_TICKERS 16
#define SIMD_RATE_WINDOW 10   /* order requests a second */
#define SIMD_PUMP_MAX 20000   /* model events handed out per pump */
#define SIMD_REACTIONS 8192   /* reaction samples kept (admin/reaction) */

typedef struct simd_hist {
    uint8_t status;  /* lg_kstatus_t */
    lg_qty_t qty, filled;
    lg_paise_t avg;
    int64_t at_s;
    char msg[LG_STATUS_MSG_MAX];
} simd_hist_t;

typedef struct simd_order {
    bool used;
    char tag[LG_TAG_MAX + 1];  /* as the client sent it, "" = none */
    char product[8];
    int16_t mprot;
    int64_t placed_s;
    uint32_t n_hist, n_seen;   /* rows kept, updates seen */
    simd_hist_t hist[SIMD_HISTORY];
} simd_order_t;

typedef struct simd_pending {
    lg_http_conn_t *conn;     /* NULL: the client went away */
    char mtag[LG_TAG_MAX + 1]; /* the tag the model knows the order by */
    uint32_t order;            /* the order's number, UINT32_MAX when none was made */
} simd_pending_t;

typedef struct simd_trade {
    uint32_t order, token;
    lg_qty_t qty;              /* signed */
    lg_paise_t price;
    int64_t at_s;
} simd_trade_t;

typedef struct simd_pos {
    lg_qty_t buy_qty, sell_qty;
    int64_t buy_value, sell_value; /* paise·units */
} simd_pos_t;

typedef struct simd_ohlc {
    lg_paise_t open, high, low, close;
    int64_t volume;
} simd_ohlc_t;

typedef struct simd_ticker {
    lg_http_conn_t *conn;
    uint32_t tokens[SIMD_MAX_SUBS];
    uint8_t modes[SIMD_MAX_SUBS];
    uint32_t n;
    uint64_t sent_at; /* uv_hrtime of the last frame */
} simd_ticker_t;

struct lg_simd {
    lg_simd_config_t cfg;
    char api_key[64], access_token[128], auth[200];
    uv_loop_t *loop;
    lg_httpd_t *http;
    uv_timer_t pump_timer, beat_timer;
    uint32_t n_handles;
    bool stopping;
    lg_instruments_t master;
    lg_sim_t *sim;
    int und_nifty, und_bank;
    uint64_t t0;                /* uv_hrtime at virtual time 0 */
    lg_ns_t unix0;              /* unix ns at virtual time 0 */
    simd_order_t *orders;       /* by order number, cfg.max_orders */
    simd_pending_t pending[SIMD_MAX_PENDING];
    uint32_t n_pending;
    uint64_t mtag_seq;
    simd_trade_t *trades;
    uint32_t n_trades;
    uint64_t fills_seen;
    simd_pos_t *pos;            /* by master index */
    simd_ohlc_t *ohlc;          /* by master index */
    simd_ticker_t tickers[SIMD_MAX_TICKERS];
    lg_ns_t rate[SIMD_RATE_WINDOW]; /* times of the last order requests (a ring) */
    uint32_t rate_n;
    /* Reaction, seen from the exchange: a REJECTED order frame written to the ticker
     * sockets, then the next place request read (admin/reaction). */
    uint64_t rejected_at;       /* uv_hrtime after the frame was written; 0: none pending */
    uint64_t reactions[SIMD_REACTIONS];
    uint32_t n_reactions;
};

/* simd.c */
lg_ns_t lg_simd_now(const lg_simd_t *d);
int64_t lg_simd_unix_s(const lg_simd_t *d, lg_ns_t t);
void lg_simd_kick(lg_simd_t *d); /* the model was given a request: pump soon */
uint32_t lg_simd_index(const lg_simd_t *d, uint32_t token); /* master index or UINT32_MAX */

/* simd_route.c */
void lg_simd_on_request(void *ud, lg_http_conn_t *c, const lg_http_req_t *r);
void lg_simd_reply_json(lg_http_conn_t *c, int status, json_t *data); /* steals data */
void lg_simd_reply_error(lg_http_conn_t *c, int status, lg_kite_etype_t t, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void lg_simd_reply_text(lg_http_conn_t *c, int status, char *body); /* frees a malloc'd body */
/* Parsed form or query pairs: as many as Kite takes in one /quote (500 instruments). */
#define LG_SIMD_FORM_PAIRS 512
typedef struct simd_form {
    char buf[32768];
    const char *names[LG_SIMD_FORM_PAIRS], *values[LG_SIMD_FORM_PAIRS];
    uint32_t n;
} simd_form_t;
int lg_simd_form(simd_form_t *f, const char *s, size_t len);
const char *lg_simd_get(const simd_form_t *f, const char *name);
/* Money in rupees ("123.45", "-1") into paise; false when it is not a number. */
bool lg_simd_rupees(const char *s, lg_paise_t *out);
json_t *lg_simd_money(lg_paise_t p); /* rupees as a JSON number */

/* simd_orders.c */
void lg_simd_place(lg_simd_t *d, lg_http_conn_t *c, const lg_http_req_t *r);
void lg_simd_modify(lg_simd_t *d, lg_http_conn_t *c, const lg_http_req_t *r, const char *id);
void lg_simd_cancel(lg_simd_t *d, lg_http_conn_t *c, const char *id);
void lg_simd_orders(lg_simd_t *d, lg_http_conn_t *c);
void lg_simd_history(lg_simd_t *d, lg_http_conn_t *c, const char *id);
void lg_simd_trades(lg_simd_t *d, lg_http_conn_t *c, const char *order_id);
void lg_simd_on_answer(lg_simd_t *d, const lg_event_t *ev); /* ACK / ORDER_ERROR */
void lg_simd_on_update(lg_simd_t *d, const lg_order_update_t *u);
void lg_simd_conn_gone(lg_simd_t *d, lg_http_conn_t *c);
/* An order as Kite writes it: the model's book row, with what simd keeps. */
void lg_simd_order_row(lg_simd_t *d, uint32_t order, const lg_adopt_t *a,
                       lg_kite_order_row_t *row);

/* simd_data.c */
/* Renames the model's contracts as Kite names them by expiry (weekly or monthly) and
 * moves futures to their month's last Tuesday; tokens are kept. */
void lg_simd_name_contracts(lg_instruments_t *m);
void lg_simd_quote(lg_simd_t *d, lg_http_conn_t *c, const lg_http_req_t *r, int depth);
void lg_simd_instruments(lg_simd_t *d, lg_http_conn_t *c, const char *exchange);
void lg_simd_positions(lg_simd_t *d, lg_http_conn_t *c);
void lg_simd_margins(lg_simd_t *d, lg_http_conn_t *c, const char *segment);
void lg_simd_order_margins(lg_simd_t *d, lg_http_conn_t *c, const lg_http_req_t *r, bool basket);
void lg_simd_on_fill(lg_simd_t *d, const lg_sim_fill_t *f);
void lg_simd_mark(lg_simd_t *d, uint32_t token, lg_paise_t ltp); /* OHLC */
/* A tick as the ticker sends it in a mode, from the model's quote. */
void lg_simd_tick(lg_simd_t *d, uint32_t token, lg_tick_mode_t mode, lg_tick_t *t);

/* simd_ticker.c */
int lg_simd_ws_open(void *ud, lg_http_conn_t *c, const lg_http_req_t *r, const char **body,
                    size_t *body_len, const char **ctype);
void lg_simd_ws_message(void *ud, lg_http_conn_t *c, lg_ws_op_t op, const uint8_t *p, size_t n);
void lg_simd_ws_gone(lg_simd_t *d, lg_http_conn_t *c);
void lg_simd_ws_tick(lg_simd_t *d, uint32_t token);
uint32_t lg_simd_ws_text(lg_simd_t *d, const char *text); /* to every ticker; how many */
void lg_simd_ws_beat(lg_simd_t *d);

/* simd_admin.c */
void lg_simd_admin(lg_simd_t *d, lg_http_conn_t *c, const lg_http_req_t *r, const char *what);
void lg_simd_reaction_place(lg_simd_t *d); /* a place request was read */

#endif
