/*
 * kite_form.c — requests from the engine's commands: the form of POST /orders/regular
 * for a PLACE (application/x-www-form-urlencoded, every value percent-encoded), the
 * path and form of PUT for a modification, the path of DELETE for a CANCEL, and the JSON
 * body of POST /margins/basket for a QUERY_BASKET (one MARKET order per leg). The instrument master holds NFO contracts only, so
 * the exchange is always NFO. A MARKET or SL-M order never leaves without its
 * market_protection (Kite refuses 0 since 2026-04); a tag Kite would refuse (not 1–20
 * alphanumerics) is refused here, before anything is sent.
 */
#include "legato/kite.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

typedef struct form {
    char *buf;
    size_t cap, n;
    bool full;
} form_t;

static void put_raw(form_t *f, const char *s) {
    size_t k = strlen(s);
    if (f->full || f->n + k >= f->cap) {
        f->full = true;
        return;
    }
    memcpy(f->buf + f->n, s, k);
    f->n += k;
    f->buf[f->n] = '\0';
}

/* key=value with the value percent-encoded (unreserved characters kept). */
static void put_field(form_t *f, const char *key, const char *value) {
    if (f->n > 0) put_raw(f, "&");
    put_raw(f, key);
    put_raw(f, "=");
    for (size_t i = 0; value[i] != '\0' && i < 256 && !f->full; i++) {
        unsigned char ch = (unsigned char)value[i];
        char enc[4] = {(char)ch, 0, 0, 0};
        if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.' && ch != '~')
            snprintf(enc, sizeof enc, "%%%02X", ch);
        put_raw(f, enc);
    }
}

/* Paise as rupees with two decimals: 12345 -> "123.45". */
static void put_money(form_t *f, const char *key, lg_paise_t p) {
    char v[32];
    snprintf(v, sizeof v, "%lld.%02lld", (long long)(p / 100), (long long)(p % 100));
    put_field(f, key, v);
}

static void put_int(form_t *f, const char *key, long long x) {
    char v[24];
    snprintf(v, sizeof v, "%lld", x);
    put_field(f, key, v);
}

static bool tag_ok(const char *t) {
    size_t n = strlen(t);
    if (n == 0 || n > LG_TAG_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)t[i])) return false;
    return true;
}

static const char *const otype_names[] = {"MARKET", "LIMIT", "SL", "SL-M"};

/* The price fields of an order type: false when one it needs is missing (market
 * protection: Kite refuses 0, never send it; -1 asks for the broker's default). */
static bool prices_ok(uint8_t otype, lg_paise_t price, lg_paise_t trigger, int16_t mprot_pct) {
    if (otype > LG_OT_SLM) return false;
    bool mprot = otype == LG_OT_MARKET || otype == LG_OT_SLM;
    bool priced = otype == LG_OT_LIMIT || otype == LG_OT_SL;
    bool triggered = otype == LG_OT_SL || otype == LG_OT_SLM;
    if (mprot && mprot_pct <= 0 && mprot_pct != -1) return false;
    return !(priced && price <= 0) && !(triggered && trigger <= 0);
}

static void put_prices(form_t *f, uint8_t otype, lg_paise_t price, lg_paise_t trigger,
                       int16_t mprot_pct) {
    if (otype == LG_OT_LIMIT || otype == LG_OT_SL) put_money(f, "price", price);
    if (otype == LG_OT_SL || otype == LG_OT_SLM) put_money(f, "trigger_price", trigger);
    if (otype == LG_OT_MARKET || otype == LG_OT_SLM) put_int(f, "market_protection", mprot_pct);
}

int lg_kite_form_place(const lg_cmd_t *c, const lg_instrument_t *ins, const char *product,
                       char *buf, size_t cap, size_t *len) {
    LG_ASSERT(c != NULL && ins != NULL && product != NULL && buf != NULL && len != NULL);
    if (c->kind != LG_CMD_PLACE || c->token != ins->token || c->qty <= 0) return LG_EINVAL;
    if (c->side != 1 && c->side != -1) return LG_EINVAL;
    if (!tag_ok(c->tag) || !prices_ok(c->otype, c->price, c->trigger, c->mprot_pct))
        return LG_EINVAL;
    if (strcmp(product, "NRML") != 0 && strcmp(product, "MIS") != 0) return LG_EINVAL;
    form_t f = {.buf = buf, .cap = cap};
    if (cap > 0) buf[0] = '\0';
    put_field(&f, "tradingsymbol", ins->symbol);
    put_field(&f, "exchange", "NFO");
    put_field(&f, "transaction_type", c->side > 0 ? "BUY" : "SELL");
    put_field(&f, "order_type", otype_names[c->otype]);
    put_int(&f, "quantity", (long long)c->qty);
    put_field(&f, "product", product);
    put_field(&f, "validity", "DAY");
    put_prices(&f, c->otype, c->price, c->trigger, c->mprot_pct);
    put_field(&f, "tag", c->tag);
    if (f.full) return LG_ENOSPACE;
    *len = f.n;
    return LG_OK;
}

static int order_path(const char *broker_id, char *buf, size_t cap) {
    if (broker_id[0] == '\0') return LG_EINVAL;
    for (size_t i = 0; broker_id[i] != '\0'; i++)
        if (!isalnum((unsigned char)broker_id[i])) return LG_EINVAL;
    int n = snprintf(buf, cap, "/orders/regular/%s", broker_id);
    return n < 0 || (size_t)n >= cap ? LG_ENOSPACE : LG_OK;
}

int lg_kite_form_modify(const lg_kite_modify_t *m, char *path, size_t pathcap, char *buf,
                        size_t cap, size_t *len) {
    LG_ASSERT(m != NULL && path != NULL && buf != NULL && len != NULL);
    if (m->qty <= 0 || !prices_ok(m->otype, m->price, m->trigger, m->mprot_pct)) return LG_EINVAL;
    int rc = order_path(m->broker_id, path, pathcap);
    if (rc != LG_OK) return rc;
    form_t f = {.buf = buf, .cap = cap};
    if (cap > 0) buf[0] = '\0';
    put_field(&f, "order_type", otype_names[m->otype]);
    put_int(&f, "quantity", (long long)m->qty);
    put_field(&f, "validity", "DAY");
    put_prices(&f, m->otype, m->price, m->trigger, m->mprot_pct);
    if (f.full) return LG_ENOSPACE;
    *len = f.n;
    return LG_OK;
}

int lg_kite_path_cancel(const lg_cmd_t *c, char *buf, size_t cap) {
    LG_ASSERT(c != NULL && buf != NULL);
    if (c->kind != LG_CMD_CANCEL) return LG_EINVAL;
    return order_path(c->broker_id, buf, cap);
}

/* A tradingsymbol inside a JSON string as it is: printable ASCII, no quote or backslash. */
static bool json_plain(const char *s) {
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\') return false;
    return true;
}

int lg_kite_json_basket_request(const lg_cmd_t *c, const lg_instruments_t *m, const char *product,
                                char *buf, size_t cap, size_t *len) {
    LG_ASSERT(c != NULL && m != NULL && product != NULL && buf != NULL && len != NULL);
    if (c->kind != LG_CMD_QUERY_BASKET || c->n_basket == 0 || c->n_basket > LG_MAX_LEGS)
        return LG_EINVAL;
    if (strcmp(product, "NRML") != 0 && strcmp(product, "MIS") != 0) return LG_EINVAL;
    form_t f = {.buf = buf, .cap = cap};
    if (cap > 0) buf[0] = '\0';
    put_raw(&f, "[");
    for (uint32_t i = 0; i < c->n_basket; i++) {
        const lg_basket_leg_t *l = &c->basket[i];
        const lg_instrument_t *ins = lg_instruments_find(m, l->token);
        if (ins == NULL) return LG_EINSTRUMENT;
        if (l->qty == 0 || !json_plain(ins->symbol)) return LG_EINVAL;
        char one[256];
        int k = snprintf(one, sizeof one,
                         "%s{\"exchange\":\"NFO\",\"tradingsymbol\":\"%s\",\"transaction_type\":\"%s\","
                         "\"variety\":\"regular\",\"product\":\"%s\",\"order_type\":\"MARKET\","
                         "\"quantity\":%lld,\"price\":0,\"trigger_price\":0}",
                         i > 0 ? "," : "", ins->symbol, l->qty > 0 ? "BUY" : "SELL", product,
                         (long long)(l->qty > 0 ? l->qty : -(lg_qty_t)l->qty));
        LG_ASSERT(k > 0 && (size_t)k < sizeof one);
        put_raw(&f, one);
    }
    put_raw(&f, "]");
    if (f.full) return LG_ENOSPACE;
    *len = f.n;
    return LG_OK;
}
