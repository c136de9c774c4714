/*
 * simd_orders.c — the order endpoints of `legato sim`: place (answered when the model
 * acks or refuses, after its latency), modify and cancel (answered at once, as Kite
 * does), the day's order book, an order's history, trades; and the model's order
 * updates, kept as history rows and sent to the ticker as order frames.
 *
 * Tags. Kite lets many orders share a tag, or have none; the model finds an order's
 * answer by its tag. An order whose tag is new is given to the model as it is; any
 * other gets a model tag of its own ("~" and a number: never a valid client tag), and
 * the client's tag is kept here and written back in every answer.
 */
#include "simd_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCOUNT "LG0001"
#define BOOK_CHUNK 256

static const char proxy_timeout[] =
    "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway "
    "Time-out</h1></center></body></html>\n";

/* ---- rows -------------------------------------------------------------------------------- */

static simd_order_t *side(lg_simd_t *d, uint32_t order) {
    LG_ASSERT(order < d->cfg.max_orders);
    return &d->orders[order];
}

void lg_simd_order_row(lg_simd_t *d, uint32_t order, const lg_adopt_t *a,
                       lg_kite_order_row_t *row) {
    const simd_order_t *o = side(d, order);
    const lg_instrument_t *in = lg_instruments_find(&d->master, a->token);
    LG_ASSERT(in != NULL);
    memset(row, 0, sizeof *row);
    row->a = *a;
    lg_strlcpy(row->a.u.tag, o->tag, sizeof row->a.u.tag);
    row->symbol = in->symbol;
    row->product = o->product[0] != '\0' ? o->product : "NRML";
    row->account = ACCOUNT;
    lg_kstatus_t st = a->u.status;
    bool at_exchange = st == LG_KS_OPEN || st == LG_KS_TRIGGER_PENDING || st == LG_KS_COMPLETE ||
                       st == LG_KS_CANCELLED || st == LG_KS_UPDATE || st == LG_KS_MODIFIED;
    if (at_exchange) snprintf(row->exchange_order_id, sizeof row->exchange_order_id, "%u",
                              1100000000u + order);
    row->mprot = o->mprot;
    row->cancelled = st == LG_KS_CANCELLED ? a->u.quantity - a->u.filled : 0;
    row->placed_s = o->placed_s;
    row->updated_s = o->n_hist > 0 ? o->hist[o->n_hist - 1].at_s : o->placed_s;
}

/* The model's current row of an order; false when the number is out of the book. */
static bool book_row(lg_simd_t *d, uint32_t order, lg_adopt_t *a) {
    return lg_sim_book(d->sim, lg_simd_now(d), order, a, 1) == 1;
}

static uint32_t order_of(lg_simd_t *d, const char *id) {
    uint32_t n = lg_sim_order_number(d->sim, id);
    return n < d->cfg.max_orders ? n : UINT32_MAX;
}

/* The order a request names, with its book row; UINT32_MAX after replying 400. */
static uint32_t named_order(lg_simd_t *d, lg_http_conn_t *c, const char *id, lg_adopt_t *a) {
    uint32_t order = order_of(d, id);
    if (order != UINT32_MAX && book_row(d, order, a)) return order;
    lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "Invalid `order_id`: %.24s", id);
    return UINT32_MAX;
}

/* ---- place ---------------------------------------------------------------------------------- */

static bool parse_side(const char *s, int8_t *side_out) {
    if (s == NULL) return false;
    if (strcmp(s, "BUY") == 0) *side_out = 1;
    else if (strcmp(s, "SELL") == 0) *side_out = -1;
    else return false;
    return true;
}

static bool parse_otype(const char *s, uint8_t *ot) {
    static const char *const names[] = {"MARKET", "LIMIT", "SL", "SL-M"};
    for (uint8_t i = 0; s != NULL && i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *ot = i;
            return true;
        }
    }
    return false;
}

static bool parse_int(const char *s, long long lo, long long hi, long long *v) {
    if (s == NULL || s[0] == '\0') return false;
    char *e = NULL;
    long long x = strtoll(s, &e, 10);
    if (*e != '\0' || x < lo || x > hi) return false;
    *v = x;
    return true;
}

static bool tag_ok(const char *t) {
    size_t n = strlen(t);
    if (n > 20) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)t[i])) return false;
    return true;
}

/* An optional price field: absent is 0; false when present and not money. */
static bool opt_price(const simd_form_t *f, const char *name, lg_paise_t *out) {
    const char *v = lg_simd_get(f, name);
    *out = 0;
    return v == NULL || v[0] == '\0' || lg_simd_rupees(v, out);
}

/* The form of a place request into a command; false after replying with the error. */
static bool place_cmd(lg_simd_t *d, lg_http_conn_t *c, const simd_form_t *f, lg_cmd_t *cmd,
                      const char **product, const char **tag) {
    const char *sym = lg_simd_get(f, "tradingsymbol"), *ex = lg_simd_get(f, "exchange");
    const lg_instrument_t *in = sym != NULL ? lg_instruments_find_symbol(&d->master, sym) : NULL;
    const char *validity = lg_simd_get(f, "validity");
    long long qty = 0, mprot = 0;
    *product = lg_simd_get(f, "product");
    *tag = lg_simd_get(f, "tag");
    const char *bad = NULL;
    memset(cmd, 0, sizeof *cmd);
    cmd->kind = LG_CMD_PLACE;
    if (ex == NULL || strcmp(ex, "NFO") != 0) bad = "Invalid `exchange`: the simulator trades NFO";
    else if (in == NULL) bad = "Invalid `tradingsymbol`.";
    else if (!parse_side(lg_simd_get(f, "transaction_type"), &cmd->side))
        bad = "Invalid `transaction_type`.";
    else if (!parse_otype(lg_simd_get(f, "order_type"), &cmd->otype)) bad = "Invalid `order_type`.";
    else if (!parse_int(lg_simd_get(f, "quantity"), 1, 100000000, &qty)) bad = "Invalid `quantity`.";
    else if (*product == NULL || (strcmp(*product, "NRML") != 0 && strcmp(*product, "MIS") != 0))
        bad = "Invalid `product`: NRML or MIS for F&O";
    else if (validity != NULL && validity[0] != '\0' && strcmp(validity, "DAY") != 0)
        bad = "Invalid `validity`: the simulator takes DAY orders";
    else if (!opt_price(f, "price", &cmd->price)) bad = "Invalid `price`.";
    else if (!opt_price(f, "trigger_price", &cmd->trigger)) bad = "Invalid `trigger_price`.";
    else if (lg_simd_get(f, "market_protection") != NULL &&
             !parse_int(lg_simd_get(f, "market_protection"), -1, 100, &mprot))
        bad = "Invalid `market_protection`.";
    else if (*tag != NULL && !tag_ok(*tag))
        bad = "Invalid `tag`: at most 20 letters and digits";
    if (bad != NULL) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "%s", bad);
        return false;
    }
    cmd->token = in->token;
    cmd->qty = (lg_qty_t)qty;
    cmd->mprot_pct = (int16_t)mprot;
    return true;
}

static bool tag_pending(const lg_simd_t *d, const char *tag) {
    for (uint32_t i = 0; i < d->n_pending; i++)
        if (strcmp(d->pending[i].mtag, tag) == 0) return true;
    return false;
}

void lg_simd_place(lg_simd_t *d, lg_http_conn_t *c, const lg_http_req_t *r) {
    lg_simd_reaction_place(d);
    simd_form_t f;
    if (lg_simd_form(&f, r->body, r->body_len) != LG_OK) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "Malformed form body");
        return;
    }
    lg_cmd_t cmd;
    const char *product, *tag;
    if (!place_cmd(d, c, &f, &cmd, &product, &tag)) return;
    uint32_t before = lg_sim_order_count(d->sim);
    if (d->n_pending == SIMD_MAX_PENDING || before >= d->cfg.max_orders) {
        lg_simd_reply_error(c, 503, LG_KITE_E_NETWORK, "Simulator busy: too many orders");
        return;
    }
    if (tag != NULL && tag[0] != '\0' && lg_sim_orders_with_tag(d->sim, tag) == 0 &&
        !tag_pending(d, tag)) {
        lg_strlcpy(cmd.tag, tag, sizeof cmd.tag);
    } else {
        snprintf(cmd.tag, sizeof cmd.tag, "~%llu", (unsigned long long)++d->mtag_seq);
    }
    lg_ns_t now = lg_simd_now(d);
    lg_sim_request(d->sim, &cmd, now);
    simd_pending_t *p = &d->pending[d->n_pending++];
    p->conn = c;
    lg_strlcpy(p->mtag, cmd.tag, sizeof p->mtag);
    p->order = UINT32_MAX;
    if (lg_sim_order_count(d->sim) == before + 1) { /* the model made the order */
        simd_order_t *o = side(d, before);
        memset(o, 0, sizeof *o);
        o->used = true;
        lg_strlcpy(o->tag, tag != NULL ? tag : "", sizeof o->tag);
        lg_strlcpy(o->product, product, sizeof o->product);
        o->mprot = cmd.mprot_pct;
        o->placed_s = lg_simd_unix_s(d, now);
        p->order = before;
    }
    lg_simd_kick(d);
}

static lg_kite_etype_t etype_of(const char *msg) {
    if (strstr(msg, "margin") != NULL || strstr(msg, "funds") != NULL) return LG_KITE_E_MARGIN;
    if (strstr(msg, "RMS") != NULL) return LG_KITE_E_ORDER;
    return LG_KITE_E_INPUT;
}

void lg_simd_on_answer(lg_simd_t *d, const lg_event_t *ev) {
    bool ack = ev->kind == LG_EV_ORDER_ACK;
    if (!ack && (ev->u.error.is_cancel || ev->u.error.is_lookup)) return; /* answered already */
    const char *tag = ack ? ev->u.ack.tag : ev->u.error.tag;
    uint32_t i = 0;
    while (i < d->n_pending && strcmp(d->pending[i].mtag, tag) != 0) i++;
    if (i == d->n_pending) return;
    simd_pending_t p = d->pending[i];
    d->pending[i] = d->pending[--d->n_pending];
    if (p.conn == NULL) return;
    if (ack) {
        lg_simd_reply_text(p.conn, 200, lg_kite_json_order_id(ev->u.ack.broker_id));
    } else if (ev->u.error.definitive) {
        int http = ev->u.error.http_status >= 400 ? ev->u.error.http_status : 400;
        lg_simd_reply_error(p.conn, http, etype_of(ev->u.error.message), "%s",
                            ev->u.error.message);
    } else { /* the outcome is unknown: what a client sees when the gateway times out */
        lg_http_reply(p.conn, 504, "text/html", proxy_timeout, sizeof proxy_timeout - 1, NULL);
    }
}

void lg_simd_conn_gone(lg_simd_t *d, lg_http_conn_t *c) {
    for (uint32_t i = 0; i < d->n_pending; i++)
        if (d->pending[i].conn == c) d->pending[i].conn = NULL;
}

/* ---- updates ---------------------------------------------------------------------------------- */

void lg_simd_on_update(lg_simd_t *d, const lg_order_update_t *u) {
    uint32_t order = order_of(d, u->broker_id);
    lg_adopt_t a;
    if (order == UINT32_MAX || !book_row(d, order, &a)) return;
    simd_order_t *o = side(d, order);
    uint32_t k = o->n_hist < SIMD_HISTORY ? o->n_hist++ : SIMD_HISTORY - 1;
    o->hist[k] = (simd_hist_t){.status = (uint8_t)u->status, .qty = u->quantity,
                               .filled = u->filled, .avg = u->avg_price,
                               .at_s = lg_simd_unix_s(d, lg_simd_now(d))};
    lg_strlcpy(o->hist[k].msg, u->message, sizeof o->hist[k].msg);
    o->n_seen++;
    a.u = *u; /* the update's own snapshot, not the book's latest */
    lg_kite_order_row_t row;
    lg_simd_order_row(d, order, &a, &row);
    char *text = lg_kite_json_order_frame(&row);
    if (text != NULL && lg_simd_ws_text(d, text) > 0 && u->status == LG_KS_REJECTED)
        d->rejected_at = uv_hrtime();
    free(text);
}

/* ---- the book, history, trades ------------------------------------------------------------------ */

void lg_simd_orders(lg_simd_t *d, lg_http_conn_t *c) {
    uint32_t n = lg_sim_order_count(d->sim);
    lg_kite_order_row_t *rows = calloc(n > 0 ? n : 1, sizeof *rows);
    lg_adopt_t chunk[BOOK_CHUNK];
    uint32_t got = 0;
    for (uint32_t guard = 0; rows != NULL && got < n && guard <= n / BOOK_CHUNK; guard++) {
        uint32_t k = lg_sim_book(d->sim, lg_simd_now(d), got, chunk, BOOK_CHUNK);
        for (uint32_t i = 0; i < k; i++) lg_simd_order_row(d, got + i, &chunk[i], &rows[got + i]);
        got += k;
        if (k < BOOK_CHUNK) break;
    }
    lg_simd_reply_text(c, 200, rows != NULL ? lg_kite_json_orders(rows, got) : NULL);
    free(rows);
}

void lg_simd_history(lg_simd_t *d, lg_http_conn_t *c, const char *id) {
    lg_adopt_t a;
    uint32_t order = named_order(d, c, id, &a);
    if (order == UINT32_MAX) return;
    const simd_order_t *o = side(d, order);
    lg_kite_order_row_t rows[SIMD_HISTORY + 1];
    uint32_t n = 0;
    for (uint32_t i = 0; i < o->n_hist; i++) {
        lg_adopt_t h = a;
        h.u.status = (lg_kstatus_t)o->hist[i].status;
        h.u.quantity = o->hist[i].qty;
        h.u.filled = o->hist[i].filled;
        h.u.avg_price = o->hist[i].avg;
        lg_strlcpy(h.u.message, o->hist[i].msg, sizeof h.u.message);
        lg_simd_order_row(d, order, &h, &rows[n]);
        rows[n++].updated_s = o->hist[i].at_s;
    }
    const lg_adopt_t *l = n > 0 ? &rows[n - 1].a : NULL;
    if (l == NULL || l->u.status != a.u.status || l->u.filled != a.u.filled ||
        l->u.quantity != a.u.quantity || l->price != a.price || l->trigger != a.trigger)
        lg_simd_order_row(d, order, &a, &rows[n++]); /* the state now is the last row */
    lg_simd_reply_text(c, 200, lg_kite_json_orders(rows, n));
}

static void ist(int64_t unix_s, char out[24]) {
    int64_t t = unix_s + 19800; /* +05:30 */
    int y, m, dd;
    int64_t day = t / 86400, sec = t % 86400;
    lg_civil_from_days((int32_t)day, &y, &m, &dd);
    snprintf(out, 24, "%04d-%02d-%02d %02d:%02d:%02d", y, m, dd, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60));
}

static json_t *trade_json(lg_simd_t *d, uint32_t i) {
    const simd_trade_t *t = &d->trades[i];
    const lg_instrument_t *in = lg_instruments_find(&d->master, t->token);
    const simd_order_t *o = side(d, t->order);
    char oid[24], xid[24], tid[24], at[24], placed[24];
    lg_sim_order_id(t->order, oid, sizeof oid);
    snprintf(xid, sizeof xid, "%u", 1100000000u + t->order);
    snprintf(tid, sizeof tid, "%u", 50000000u + i);
    ist(t->at_s, at);
    ist(o->placed_s, placed);
    return json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:o,s:I,s:s,s:s,s:s,s:s,s:s}", "trade_id", tid,
                     "order_id", oid, "exchange", "NFO", "tradingsymbol", in->symbol,
                     "instrument_token", (json_int_t)t->token, "product",
                     o->product[0] != '\0' ? o->product : "NRML", "average_price",
                     lg_simd_money(t->price), "quantity", (json_int_t)(t->qty < 0 ? -t->qty : t->qty),
                     "exchange_order_id", xid, "transaction_type", t->qty > 0 ? "BUY" : "SELL",
                     "fill_timestamp", at, "order_timestamp", placed, "exchange_timestamp", at);
}

void lg_simd_trades(lg_simd_t *d, lg_http_conn_t *c, const char *order_id) {
    uint32_t only = UINT32_MAX;
    if (order_id != NULL && (only = order_of(d, order_id)) == UINT32_MAX) {
        lg_simd_reply_error(c, 400, LG_KITE_E_ORDER, "Couldn't find that `order_id`.");
        return;
    }
    json_t *arr = json_array();
    for (uint32_t i = 0; arr != NULL && i < d->n_trades; i++)
        if (only == UINT32_MAX || d->trades[i].order == only) json_array_append_new(arr, trade_json(d, i));
    lg_simd_reply_json(c, 200, arr);
}

/* ---- modify, cancel --------------------------------------------------------------------------- */

void lg_simd_modify(lg_simd_t *d, lg_http_conn_t *c, const lg_http_req_t *r, const char *id) {
    lg_adopt_t a;
    simd_form_t f;
    if (named_order(d, c, id, &a) == UINT32_MAX) return;
    if (lg_simd_form(&f, r->body, r->body_len) != LG_OK) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "Malformed form body");
        return;
    }
    lg_sim_modify_t m = {.otype = a.otype, .qty = a.u.quantity, .price = a.price,
                         .trigger = a.trigger};
    long long qty = 0;
    const char *ot = lg_simd_get(&f, "order_type"), *q = lg_simd_get(&f, "quantity");
    const char *pr = lg_simd_get(&f, "price"), *tr = lg_simd_get(&f, "trigger_price");
    bool ok = (ot == NULL || ot[0] == '\0' || parse_otype(ot, &m.otype)) &&
              (q == NULL || q[0] == '\0' || parse_int(q, 1, 100000000, &qty)) &&
              (pr == NULL || pr[0] == '\0' || lg_simd_rupees(pr, &m.price)) &&
              (tr == NULL || tr[0] == '\0' || lg_simd_rupees(tr, &m.trigger));
    if (!ok) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "Invalid modification parameters");
        return;
    }
    if (qty > 0) m.qty = (lg_qty_t)qty;
    char msg[LG_STATUS_MSG_MAX];
    int rc = lg_sim_modify(d->sim, id, &m, lg_simd_now(d), msg, sizeof msg);
    if (rc != LG_OK) {
        lg_simd_reply_error(c, 400, rc == LG_EINVAL ? LG_KITE_E_INPUT : LG_KITE_E_ORDER, "%s", msg);
        return;
    }
    lg_simd_reply_text(c, 200, lg_kite_json_order_id(id));
    lg_simd_kick(d);
}

void lg_simd_cancel(lg_simd_t *d, lg_http_conn_t *c, const char *id) {
    lg_adopt_t a;
    uint32_t order = named_order(d, c, id, &a);
    if (order == UINT32_MAX) return;
    if (lg_ostate_terminal(lg_kstatus_to_ostate(a.u.status))) {
        lg_simd_reply_error(c, 400, LG_KITE_E_ORDER,
                            "Order cannot be cancelled as it is %s.", lg_kstatus_name(a.u.status));
        return;
    }
    lg_cmd_t cmd = {.kind = LG_CMD_CANCEL, .risk_reducing = true};
    lg_strlcpy(cmd.broker_id, id, sizeof cmd.broker_id);
    lg_strlcpy(cmd.tag, a.u.tag, sizeof cmd.tag);
    lg_sim_request(d->sim, &cmd, lg_simd_now(d));
    lg_simd_reply_text(c, 200, lg_kite_json_order_id(id));
    lg_simd_kick(d);
}
