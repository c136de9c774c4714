/*
 * kite.h — the Kite Connect v3 REST protocol, pure: request forms and paths from the
 * engine's commands, the broker's JSON answers into legato's types, the error envelope
 * into a definitive or an unknown outcome, and the ticker's text frames (order updates).
 * No network, no clock; JSON is parsed with jansson and freed before return. Facts:
 * ../shared/kite/PROTOCOL.md; vectors: tests/data/kite/ (from ../shared/kite/mocks/).
 *
 * Money: JSON prices are rupees with up to two decimals (some are integers); they come
 * back as paise, rounded to the nearest (half away from zero). A price that is not a
 * finite number, or does not fit, is an error.
 *
 * Every decoder validates its whole input before writing an output: on an error the
 * outputs are untouched and err (if errcap > 0) names the field and, for arrays, the
 * element ("data[3].filled_quantity: expected an integer"). Errors: LG_EPARSE (not
 * JSON, missing or mistyped field, status not "success"), LG_ESTATUS (a status string
 * never seen), LG_ENOSPACE (more elements than the caller's room), LG_ERANGE (a number
 * out of range).
 */
#ifndef LEGATO_KITE_H
#define LEGATO_KITE_H

#include "legato/base.h"
#include "legato/event.h"
#include "legato/instrument.h"

/* ---- answers: the envelope ---------------------------------------------------------- */

typedef enum lg_kite_etype {
    LG_KITE_E_NONE = 0,     /* success */
    LG_KITE_E_TOKEN,        /* TokenException: the session is gone — halt, do not retry */
    LG_KITE_E_USER,
    LG_KITE_E_ORDER,
    LG_KITE_E_INPUT,
    LG_KITE_E_MARGIN,
    LG_KITE_E_HOLDING,
    LG_KITE_E_NETWORK,      /* upstream trouble: the outcome may be unknown */
    LG_KITE_E_DATA,
    LG_KITE_E_GENERAL,
    LG_KITE_E_PERMISSION,
    LG_KITE_E_RATE,         /* HTTP 429 */
    LG_KITE_E_TRANSPORT,    /* no answer (timeout, dropped connection: http 0), a 5xx, or a
                               body that is not Kite's JSON (a proxy's HTML page) */
    LG_KITE_E_OTHER,        /* an error_type never seen */
} lg_kite_etype_t;

typedef struct lg_kite_answer {
    int http;                /* status code; 0 when none came */
    bool ok;                 /* {"status":"success"} with a 2xx */
    lg_kite_etype_t etype;
    bool definitive;         /* the request certainly had no effect (for a place: no order) */
    bool halt;               /* TokenException: stop trading */
    bool backoff;            /* 429: wait, then send again (nothing was done) */
    char message[LG_STATUS_MSG_MAX]; /* Kite's message, or what was wrong with the answer */
} lg_kite_answer_t;

/* Classifies one HTTP answer. Rules: 2xx + success: ok. 400/403/404 + a Kite error
 * envelope: definitive (NetworkException excepted: unknown). 429: definitive, backoff.
 * 5xx, http 0, a body that is not JSON or has no envelope (whatever the status): not
 * definitive (the outcome is unknown: look the order up by its tag). A 200 carrying
 * status "error": not definitive. TokenException: definitive and halt. content_type
 * may be NULL (then the body decides). Never fails: the outcome is in *a. */
void lg_kite_classify(int http, const char *content_type, const char *body, size_t len,
                      lg_kite_answer_t *a);
const char *lg_kite_etype_name(lg_kite_etype_t t);

/* ---- requests -------------------------------------------------------------------------- */

/* The form of POST /orders/regular for a PLACE command: tradingsymbol, exchange (NFO),
 * transaction_type, order_type, quantity, product, validity DAY, price (LIMIT, SL),
 * trigger_price (SL, SL-M), market_protection (MARKET, SL-M: the command's percentage,
 * never 0), tag. Values are percent-encoded. LG_EINVAL for a command that is not a
 * PLACE, a MARKET / SL-M order without market protection, a tag Kite would refuse, or
 * a product that is not NRML/MIS; LG_ENOSPACE when buf is too small. Writes a NUL. */
/* POST /margins/basket's JSON body for a QUERY_BASKET: one MARKET order per leg (NFO,
 * regular, product). LG_EINSTRUMENT for a leg missing from m; LG_EINVAL for another
 * command, no legs, a zero quantity or a bad product; LG_ENOSPACE when buf is small. */
int lg_kite_json_basket_request(const lg_cmd_t *c, const lg_instruments_t *m, const char *product,
                                char *buf, size_t cap, size_t *len);
int lg_kite_form_place(const lg_cmd_t *c, const lg_instrument_t *ins, const char *product,
                       char *buf, size_t cap, size_t *len);
/* A modification of an open order (PUT /orders/regular/<order_id>): its new type,
 * quantity and prices. Kite allows 25 modifications of one order; counting them is the
 * caller's (the port's) business. */
typedef struct lg_kite_modify {
    char broker_id[LG_BROKER_ID_MAX];
    uint8_t otype;      /* lg_otype_t */
    lg_qty_t qty;
    lg_paise_t price, trigger;
    int16_t mprot_pct;  /* MARKET / SL-M: as for a place, never 0 */
} lg_kite_modify_t;
/* Its path and form (order_type, quantity, validity, and price, trigger_price,
 * market_protection as the type needs). LG_EINVAL for a missing price or protection,
 * a quantity <= 0, or a broker id that is empty or not alphanumeric; LG_ENOSPACE. */
int lg_kite_form_modify(const lg_kite_modify_t *m, char *path, size_t pathcap, char *buf,
                        size_t cap, size_t *len);
/* The path of DELETE for a CANCEL command: "/orders/regular/<order_id>". LG_EINVAL when
 * the command has no broker id. */
int lg_kite_path_cancel(const lg_cmd_t *c, char *buf, size_t cap);

/* ---- answers: data ------------------------------------------------------------------- */

/* {"status":"success","data":{"order_id":"..."}} (place, modify, cancel). */
int lg_kite_parse_order_id(const char *body, size_t len, char *id, size_t cap, char *err,
                           size_t errcap);

/* One order object (an element of GET /orders, a row of GET /orders/:id, a postback, the
 * data of a ticker order frame) into the adoption form: tag (as sent, "" when null),
 * broker id, status, quantity, filled, average price, instrument token, side, type,
 * price, trigger. Required: order_id, status, instrument_token, transaction_type,
 * order_type, quantity, filled_quantity, average_price; price and trigger_price may be
 * absent or null (0). */
int lg_kite_parse_order_object(const char *json, size_t len, lg_adopt_t *out, char *err,
                               size_t errcap);
/* GET /orders (the day's order book), or GET /orders/:id (that order's history: the
 * last row is its state): every element, in order. */
int lg_kite_parse_orders(const char *body, size_t len, lg_adopt_t *out, uint32_t cap,
                         uint32_t *n, char *err, size_t errcap);

typedef struct lg_kite_trade {
    char trade_id[LG_BROKER_ID_MAX];
    char order_id[LG_BROKER_ID_MAX];
    uint32_t token;
    int8_t side;
    lg_qty_t qty;
    lg_paise_t price;   /* average_price of the trade */
} lg_kite_trade_t;
/* GET /trades or /orders/:id/trades. */
int lg_kite_parse_trades(const char *body, size_t len, lg_kite_trade_t *out, uint32_t cap,
                         uint32_t *n, char *err, size_t errcap);

/* GET /portfolio/positions: the "net" rows as (token, quantity). */
int lg_kite_parse_positions(const char *body, size_t len, lg_position_row_t *out, uint32_t cap,
                            uint32_t *n, char *err, size_t errcap);

typedef struct lg_kite_margins {
    bool enabled;
    lg_paise_t net;              /* equity.net */
    lg_paise_t cash, opening_balance, live_balance, collateral, adhoc; /* available.* */
    lg_paise_t debits, exposure, span, option_premium, m2m_realised, m2m_unrealised; /* utilised */
} lg_kite_margins_t;
/* GET /user/margins: the equity segment. */
int lg_kite_parse_margins(const char *body, size_t len, lg_kite_margins_t *out, char *err,
                          size_t errcap);
/* POST /margins/basket: initial (sum of legs) and final (with the spread benefit). */
int lg_kite_parse_basket(const char *body, size_t len, lg_paise_t *initial, lg_paise_t *final,
                         char *err, size_t errcap);

/* ---- quotes: circuit bands (kite_quote.c) ------------------------------------------------ */

typedef struct lg_kite_band {
    uint32_t token;
    lg_paise_t lo, hi; /* lower_circuit_limit, upper_circuit_limit; 0: none on that side */
} lg_kite_band_t;
/* The query of GET /quote for tokens[0..n): "i=NFO%3ASYMBOL&i=..." with at most max
 * instruments and within cap bytes; *taken says how many tokens it holds (the rest go
 * in the next request). LG_EINSTRUMENT for a token missing from m, LG_ENOSPACE when
 * not even one fits. */
int lg_kite_quote_query(const lg_instruments_t *m, const uint32_t *tokens, uint32_t n,
                        uint32_t max, char *out, size_t cap, uint32_t *taken);
/* GET /quote's answer: every entry's token and circuit limits (at most cap entries). */
int lg_kite_parse_bands(const char *body, size_t len, lg_kite_band_t *out, uint32_t cap,
                        uint32_t *n, char *err, size_t errcap);
/* The engine's LG_EV_BAND of one entry; false when Kite gives no band (upper 0). A lower
 * limit of 0 (none) becomes 1 paisa: every positive price is inside. */
bool lg_kite_band_event(const lg_kite_band_t *b, lg_event_t *ev);

/* ---- ticker text frames --------------------------------------------------------------- */

typedef enum lg_kite_text {
    LG_KITE_TEXT_ORDER = 1,   /* {"type":"order","data":{order object}} -> *order */
    LG_KITE_TEXT_ERROR = 2,   /* {"type":"error","data":"..."}          -> msg */
    LG_KITE_TEXT_MESSAGE = 3, /* {"type":"message","data":"..."}        -> msg */
} lg_kite_text_t;
/* *type says which; an unknown type is LG_EPARSE naming it. */
int lg_kite_parse_text_frame(const char *frame, size_t len, lg_kite_text_t *type,
                             lg_adopt_t *order, char *msg, size_t msgcap, char *err,
                             size_t errcap);

/* The same decoding of an order frame without jansson or allocation, for the reaction
 * path (kite_scan.c): true with *order written when the frame is an order frame in the
 * conservative subset it handles (ASCII, no \u escapes, ...); false otherwise, and then
 * lg_kite_parse_text_frame decides (and names any error). Whenever it answers, its
 * answer is lg_kite_parse_text_frame's. */
bool lg_kite_scan_order_frame(const char *frame, size_t len, lg_adopt_t *order);

/* ---- answers into engine events (the broker port's side) ---------------------------- */

/* What the shell does with an answer. */
typedef enum lg_kite_next {
    LG_KITE_EVENT = 1,   /* *ev holds an event for the engine */
    LG_KITE_RETRY = 2,   /* Kite's 429: nothing was done; send the same request again after
                            the backoff (lg_rate_backoff), no event */
    LG_KITE_NOTHING = 3, /* nothing for the engine now (a cancel accepted: its update follows;
                            an unknown cancel or look-up: the engine asks again after its
                            silence interval) */
} lg_kite_next_t;

/* The answer to a PLACE: an ORDER_ACK (tag, order id); an ORDER_ERROR, definitive or not
 * as lg_kite_classify decides, with Kite's message; or RETRY. *a (may be NULL) receives
 * the classification (halt: stop trading). */
lg_kite_next_t lg_kite_place_answer(const lg_cmd_t *c, int http, const char *content_type,
                                    const char *body, size_t len, lg_event_t *ev,
                                    lg_kite_answer_t *a);
/* The answer to a CANCEL: NOTHING when accepted or when the outcome is unknown; an
 * ORDER_ERROR with is_cancel when Kite refused it (the order is final: the engine asks
 * for its state); or RETRY. */
lg_kite_next_t lg_kite_cancel_answer(const lg_cmd_t *c, int http, const char *content_type,
                                     const char *body, size_t len, lg_event_t *ev,
                                     lg_kite_answer_t *a);
/* The answer to a QUERY_ORDER: with a broker id the shell asked GET /orders/:id (the
 * order's history: its last row is its state), without one GET /orders (the day's book,
 * searched for the tag). Found: an ORDER_UPDATE. Not there (or Kite's definitive "no
 * such order"): an ORDER_ERROR with is_lookup (a miss). Unknown: NOTHING. An answer that
 * does not decode is NOTHING as well, and *a says why. */
lg_kite_next_t lg_kite_lookup_answer(const lg_cmd_t *c, int http, const char *content_type,
                                     const char *body, size_t len, lg_event_t *ev,
                                     lg_kite_answer_t *a);
/* An order the broker reported (postback, ticker frame) as an ORDER_UPDATE. */
void lg_kite_update_event(const lg_adopt_t *o, lg_event_t *ev);
/* The answer to GET /portfolio/positions as a POSITIONS event whose rows are written to
 * rows[0..cap) (the event points at them). LG_OK, or the decoder's error (no event). */
int lg_kite_positions_event(const char *body, size_t len, lg_position_row_t *rows, uint32_t cap,
                            lg_event_t *ev, char *err, size_t errcap);
/* GET /user/margins into LG_EV_MARGINS: available = equity net, used = utilised debits.
 * A missing or mistyped field is refused naming its path (lg_kite_parse_margins). */
int lg_kite_margins_event(const char *body, size_t len, lg_event_t *ev, char *err,
                          size_t errcap);

/* ---- answers, written (the simulator's side) ------------------------------------------ */

/* What an order object says, beyond lg_adopt_t (kite_encode.c). */
typedef struct lg_kite_order_row {
    lg_adopt_t a;            /* tag ("" = null), broker id, status, quantities, prices, ... */
    const char *symbol;      /* tradingsymbol */
    const char *product;     /* NRML / MIS */
    const char *account;     /* account_id and placed_by */
    char exchange_order_id[LG_BROKER_ID_MAX]; /* "" = null (not yet at the exchange) */
    int16_t mprot;           /* market_protection */
    lg_qty_t cancelled;      /* cancelled_quantity */
    int64_t placed_s, updated_s; /* unix seconds: order_timestamp, exchange_*_timestamp */
} lg_kite_order_row_t;

typedef struct lg_kite_position_row {
    const char *symbol, *product;
    uint32_t token;
    lg_qty_t qty, buy_qty, sell_qty;
    lg_paise_t avg_price, last_price, value, pnl, buy_price, buy_value, sell_price, sell_value;
} lg_kite_position_row_t;

typedef struct lg_kite_margin_calc {
    lg_paise_t span, exposure, option_premium, total;
} lg_kite_margin_calc_t;

/* Each returns a malloc'd NUL-terminated JSON text (the caller frees it), NULL when
 * memory runs out. Money is written as exact decimals of rupees; timestamps in IST. */
char *lg_kite_json_orders(const lg_kite_order_row_t *rows, uint32_t n);   /* GET /orders */
char *lg_kite_json_order_frame(const lg_kite_order_row_t *row);          /* ticker text */
char *lg_kite_json_order_id(const char *order_id);                        /* place/cancel */
char *lg_kite_json_error(lg_kite_etype_t t, const char *message);         /* any error */
char *lg_kite_json_positions(const lg_kite_position_row_t *rows, uint32_t n);
char *lg_kite_json_margins(const lg_kite_margins_t *equity);
char *lg_kite_json_basket(const lg_kite_margin_calc_t *initial, const lg_kite_margin_calc_t *final,
                          const lg_kite_margin_calc_t *orders, uint32_t n);

#endif
