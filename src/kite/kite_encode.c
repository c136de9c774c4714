/*
 * kite_encode.c — Kite's JSON answers written from legato's types: the simulator's
 * Kite-compatible facade speaks them, and tests feed them back to the decoders
 * (kite_json.c), so that both sides agree field by field. Money is written from paise
 * as an exact decimal ("123.05", never a binary float's approximation); timestamps as
 * Kite writes them, "YYYY-MM-DD HH:MM:SS" in IST. Strings are escaped per RFC 8259.
 *
 * Every writer returns a NUL-terminated string in a buffer that grows (malloc/realloc;
 * this is shell-side code, not the core), or NULL when memory runs out; the caller
 * frees it.
 */
#include "legato/kite.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jw {
    char *p;
    size_t n, cap;
    bool oom;
} jw_t;

static void jw_reserve(jw_t *w, size_t more) {
    if (w->oom || w->n + more < w->cap) return;
    size_t cap = w->cap ? w->cap : 1024;
    for (int i = 0; i < 48 && cap <= w->n + more; i++) cap *= 2;
    char *p = realloc(w->p, cap);
    if (p == NULL) {
        w->oom = true;
        return;
    }
    w->p = p;
    w->cap = cap;
}

static void jw_raw(jw_t *w, const char *s, size_t k) {
    jw_reserve(w, k + 1);
    if (w->oom) return;
    memcpy(w->p + w->n, s, k);
    w->n += k;
    w->p[w->n] = '\0';
}

static void jw_fmt(jw_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jw_fmt(jw_t *w, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    LG_ASSERT(k >= 0 && (size_t)k < sizeof tmp);
    jw_raw(w, tmp, (size_t)k);
}

static void jw_str(jw_t *w, const char *s) {
    jw_raw(w, "\"", 1);
    for (size_t i = 0; s[i] != '\0' && i < 4096; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            jw_raw(w, e, 2);
        } else if (c < 0x20) {
            jw_fmt(w, "\\u%04x", c);
        } else {
            jw_raw(w, (const char *)&s[i], 1);
        }
    }
    jw_raw(w, "\"", 1);
}

#define jw_lit(w, s) jw_raw((w), (s), sizeof(s) - 1)

/* An object under construction: its writer and whether a member was written. */
typedef struct jo {
    jw_t *w;
    bool first;
} jo_t;

static void jo_key(jo_t *o, const char *k) {
    if (!o->first) jw_lit(o->w, ",");
    o->first = false;
    jw_str(o->w, k);
    jw_lit(o->w, ":");
}

static void kv_str(jo_t *o, const char *k, const char *v) {
    jo_key(o, k);
    jw_str(o->w, v);
}

/* A string, or null when empty. */
static void kv_str_or_null(jo_t *o, const char *k, const char *v) {
    jo_key(o, k);
    if (v[0] != '\0') jw_str(o->w, v);
    else jw_lit(o->w, "null");
}

static void kv_int(jo_t *o, const char *k, long long v) {
    jo_key(o, k);
    jw_fmt(o->w, "%lld", v);
}

static void kv_lit(jo_t *o, const char *k, const char *json) {
    jo_key(o, k);
    jw_raw(o->w, json, strlen(json));
}

/* Paise as an exact decimal number of rupees. */
static void kv_money(jo_t *o, const char *k, lg_paise_t p) {
    jo_key(o, k);
    lg_paise_t a = p < 0 ? -p : p;
    jw_fmt(o->w, "%s%lld.%02lld", p < 0 ? "-" : "", (long long)(a / 100), (long long)(a % 100));
}

/* Unix seconds as Kite's IST wall time. */
static void kv_ist(jo_t *o, const char *k, int64_t unix_s) {
    jo_key(o, k);
    int64_t t = unix_s + 19800; /* +05:30 */
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    int y, m, d;
    lg_civil_from_days((int32_t)days, &y, &m, &d);
    jw_fmt(o->w, "\"%04d-%02d-%02d %02d:%02d:%02d\"", y, m, d, (int)(secs / 3600),
           (int)(secs / 60 % 60), (int)(secs % 60));
}

static char *jw_done(jw_t *w) {
    if (w->oom) {
        free(w->p);
        return NULL;
    }
    return w->p;
}

static const char *const otype_names[] = {"MARKET", "LIMIT", "SL", "SL-M"};

static void order_object(jw_t *w, const lg_kite_order_row_t *r) {
    const lg_adopt_t *a = &r->a;
    LG_ASSERT(a->otype <= LG_OT_SLM && (a->side == 1 || a->side == -1));
    bool final = lg_ostate_terminal(lg_kstatus_to_ostate(a->u.status));
    jo_t o = {.w = w, .first = true};
    jw_lit(w, "{");
    kv_str(&o, "account_id", r->account);
    kv_str(&o, "placed_by", r->account);
    kv_str(&o, "order_id", a->u.broker_id);
    kv_str_or_null(&o, "exchange_order_id", r->exchange_order_id);
    kv_lit(&o, "parent_order_id", "null");
    kv_str(&o, "status", lg_kstatus_name(a->u.status));
    kv_str_or_null(&o, "status_message", a->u.message);
    kv_str_or_null(&o, "status_message_raw", a->u.message);
    kv_ist(&o, "order_timestamp", r->placed_s);
    kv_ist(&o, "exchange_update_timestamp", r->updated_s);
    kv_ist(&o, "exchange_timestamp", r->updated_s);
    kv_str(&o, "variety", "regular");
    kv_lit(&o, "modified", "false");
    kv_str(&o, "exchange", "NFO");
    kv_str(&o, "tradingsymbol", r->symbol);
    kv_int(&o, "instrument_token", (long long)a->token);
    kv_str(&o, "order_type", otype_names[a->otype]);
    kv_str(&o, "transaction_type", a->side > 0 ? "BUY" : "SELL");
    kv_str(&o, "validity", "DAY");
    kv_int(&o, "validity_ttl", 0);
    kv_str(&o, "product", r->product);
    kv_int(&o, "quantity", (long long)a->u.quantity);
    kv_int(&o, "disclosed_quantity", 0);
    kv_money(&o, "price", a->price);
    kv_money(&o, "trigger_price", a->trigger);
    kv_money(&o, "average_price", a->u.avg_price);
    kv_int(&o, "filled_quantity", (long long)a->u.filled);
    kv_int(&o, "pending_quantity", final ? 0 : (long long)(a->u.quantity - a->u.filled));
    kv_int(&o, "cancelled_quantity", (long long)r->cancelled);
    kv_int(&o, "market_protection", r->mprot);
    kv_lit(&o, "meta", "{}");
    kv_str_or_null(&o, "tag", a->u.tag);
    jo_key(&o, "tags");
    jw_lit(w, "[");
    if (a->u.tag[0] != '\0') jw_str(w, a->u.tag);
    jw_lit(w, "]");
    kv_str(&o, "guid", a->u.broker_id);
    jw_lit(w, "}");
}

static void success_open(jw_t *w) { jw_lit(w, "{\"status\":\"success\",\"data\":"); }

char *lg_kite_json_orders(const lg_kite_order_row_t *rows, uint32_t n) {
    LG_ASSERT(rows != NULL || n == 0);
    jw_t w = {0};
    success_open(&w);
    jw_lit(&w, "[");
    for (uint32_t i = 0; i < n && !w.oom; i++) {
        if (i > 0) jw_lit(&w, ",");
        order_object(&w, &rows[i]);
    }
    jw_lit(&w, "]}");
    return jw_done(&w);
}

char *lg_kite_json_order_frame(const lg_kite_order_row_t *row) {
    LG_ASSERT(row != NULL);
    jw_t w = {0};
    jw_lit(&w, "{\"type\":\"order\",\"id\":\"\",\"data\":");
    order_object(&w, row);
    jw_lit(&w, "}");
    return jw_done(&w);
}

char *lg_kite_json_order_id(const char *order_id) {
    LG_ASSERT(order_id != NULL);
    jw_t w = {0};
    success_open(&w);
    jo_t o = {.w = &w, .first = true};
    jw_lit(&w, "{");
    kv_str(&o, "order_id", order_id);
    jw_lit(&w, "}}");
    return jw_done(&w);
}

static const char *const etype_wire[] = {
    [LG_KITE_E_TOKEN] = "TokenException",       [LG_KITE_E_USER] = "UserException",
    [LG_KITE_E_ORDER] = "OrderException",       [LG_KITE_E_INPUT] = "InputException",
    [LG_KITE_E_MARGIN] = "MarginException",     [LG_KITE_E_HOLDING] = "HoldingException",
    [LG_KITE_E_NETWORK] = "NetworkException",   [LG_KITE_E_DATA] = "DataException",
    [LG_KITE_E_GENERAL] = "GeneralException",   [LG_KITE_E_PERMISSION] = "PermissionException",
};

char *lg_kite_json_error(lg_kite_etype_t t, const char *message) {
    LG_ASSERT(message != NULL);
    bool known = (unsigned)t < LG_COUNT(etype_wire) && etype_wire[t] != NULL;
    jw_t w = {0};
    jo_t o = {.w = &w, .first = true};
    jw_lit(&w, "{");
    kv_str(&o, "status", "error");
    kv_str(&o, "message", message);
    kv_str(&o, "error_type", known ? etype_wire[t] : "GeneralException");
    kv_lit(&o, "data", "null");
    jw_lit(&w, "}");
    return jw_done(&w);
}

static void position_object(jw_t *w, const lg_kite_position_row_t *p) {
    jo_t o = {.w = w, .first = true};
    jw_lit(w, "{");
    kv_str(&o, "tradingsymbol", p->symbol);
    kv_str(&o, "exchange", "NFO");
    kv_int(&o, "instrument_token", (long long)p->token);
    kv_str(&o, "product", p->product);
    kv_int(&o, "quantity", (long long)p->qty);
    kv_int(&o, "overnight_quantity", 0);
    kv_int(&o, "multiplier", 1);
    kv_money(&o, "average_price", p->avg_price);
    kv_money(&o, "close_price", 0);
    kv_money(&o, "last_price", p->last_price);
    kv_money(&o, "value", p->value);
    kv_money(&o, "pnl", p->pnl);
    kv_money(&o, "m2m", p->pnl);
    kv_money(&o, "unrealised", p->pnl);
    kv_money(&o, "realised", 0);
    kv_int(&o, "buy_quantity", (long long)p->buy_qty);
    kv_money(&o, "buy_price", p->buy_price);
    kv_money(&o, "buy_value", p->buy_value);
    kv_int(&o, "sell_quantity", (long long)p->sell_qty);
    kv_money(&o, "sell_price", p->sell_price);
    kv_money(&o, "sell_value", p->sell_value);
    kv_int(&o, "day_buy_quantity", (long long)p->buy_qty);
    kv_int(&o, "day_sell_quantity", (long long)p->sell_qty);
    jw_lit(w, "}");
}

char *lg_kite_json_positions(const lg_kite_position_row_t *rows, uint32_t n) {
    LG_ASSERT(rows != NULL || n == 0);
    jw_t w = {0};
    success_open(&w);
    for (int part = 0; part < 2; part++) { /* net, then day: one session, the same rows */
        if (part == 0) jw_lit(&w, "{\"net\":[");
        else jw_lit(&w, ",\"day\":[");
        for (uint32_t i = 0; i < n && !w.oom; i++) {
            if (i > 0) jw_lit(&w, ",");
            position_object(&w, &rows[i]);
        }
        jw_lit(&w, "]");
    }
    jw_lit(&w, "}}");
    return jw_done(&w);
}

static void segment_object(jw_t *w, const lg_kite_margins_t *m) {
    jo_t o = {.w = w, .first = true};
    jw_lit(w, "{");
    kv_lit(&o, "enabled", m->enabled ? "true" : "false");
    kv_money(&o, "net", m->net);
    jo_key(&o, "available");
    jo_t a = {.w = w, .first = true};
    jw_lit(w, "{");
    kv_money(&a, "adhoc_margin", m->adhoc);
    kv_money(&a, "cash", m->cash);
    kv_money(&a, "opening_balance", m->opening_balance);
    kv_money(&a, "live_balance", m->live_balance);
    kv_money(&a, "collateral", m->collateral);
    kv_money(&a, "intraday_payin", 0);
    jw_lit(w, "}");
    jo_key(&o, "utilised");
    jo_t u = {.w = w, .first = true};
    jw_lit(w, "{");
    kv_money(&u, "debits", m->debits);
    kv_money(&u, "exposure", m->exposure);
    kv_money(&u, "m2m_realised", m->m2m_realised);
    kv_money(&u, "m2m_unrealised", m->m2m_unrealised);
    kv_money(&u, "option_premium", m->option_premium);
    kv_money(&u, "payout", 0);
    kv_money(&u, "span", m->span);
    static const char *const zero[] = {"holding_sales", "turnover", "liquid_collateral",
                                       "stock_collateral", "delivery"};
    for (size_t i = 0; i < LG_COUNT(zero); i++) kv_money(&u, zero[i], 0);
    jw_lit(w, "}");
    jw_lit(w, "}");
}

char *lg_kite_json_margins(const lg_kite_margins_t *equity) {
    LG_ASSERT(equity != NULL);
    lg_kite_margins_t none = {0};
    jw_t w = {0};
    success_open(&w);
    jo_t o = {.w = &w, .first = true};
    jw_lit(&w, "{");
    jo_key(&o, "equity");
    segment_object(&w, equity);
    jo_key(&o, "commodity");
    segment_object(&w, &none);
    jw_lit(&w, "}}");
    return jw_done(&w);
}

static void calc_object(jw_t *w, const lg_kite_margin_calc_t *c) {
    jo_t o = {.w = w, .first = true};
    jw_lit(w, "{");
    kv_str(&o, "type", "");
    kv_str(&o, "tradingsymbol", "");
    kv_str(&o, "exchange", "");
    kv_money(&o, "span", c->span);
    kv_money(&o, "exposure", c->exposure);
    kv_money(&o, "option_premium", c->option_premium);
    static const char *const zero[] = {"additional", "bo", "cash", "var", "leverage"};
    for (size_t i = 0; i < LG_COUNT(zero); i++) kv_money(&o, zero[i], 0);
    kv_lit(&o, "pnl", "{\"realised\":0,\"unrealised\":0}");
    kv_money(&o, "total", c->total);
    jw_lit(w, "}");
}

char *lg_kite_json_basket(const lg_kite_margin_calc_t *initial, const lg_kite_margin_calc_t *final,
                          const lg_kite_margin_calc_t *orders, uint32_t n) {
    LG_ASSERT(initial != NULL && final != NULL && (orders != NULL || n == 0));
    jw_t w = {0};
    success_open(&w);
    jo_t o = {.w = &w, .first = true};
    jw_lit(&w, "{");
    jo_key(&o, "initial");
    calc_object(&w, initial);
    jo_key(&o, "final");
    calc_object(&w, final);
    jo_key(&o, "orders");
    jw_lit(&w, "[");
    for (uint32_t i = 0; i < n && !w.oom; i++) {
        if (i > 0) jw_lit(&w, ",");
        calc_object(&w, &orders[i]);
    }
    jw_lit(&w, "]");
    kv_lit(&o, "charges", "{\"total\":0}");
    jw_lit(&w, "}}");
    return jw_done(&w);
}
