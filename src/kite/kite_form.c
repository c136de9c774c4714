/*
 * kite_form.c — requests from the engine's commands: the form of POST /orders/regular
 * for a PLACE (application/x-www-form-urlencoded, every value percent-encoded), and
 * the path of DELETE for a CANCEL. The instrument master holds NFO contracts only, so
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

int lg_kite_form_place(const lg_cmd_t *c, const lg_instrument_t *ins, const char *product,
                       char *buf, size_t cap, size_t *len) {
    LG_ASSERT(c != NULL && ins != NULL && product != NULL && buf != NULL && len != NULL);
    if (c->kind != LG_CMD_PLACE || c->token != ins->token || c->qty <= 0) return LG_EINVAL;
    if (c->side != 1 && c->side != -1) return LG_EINVAL;
    if (c->otype > LG_OT_SLM || !tag_ok(c->tag)) return LG_EINVAL;
    if (strcmp(product, "NRML") != 0 && strcmp(product, "MIS") != 0) return LG_EINVAL;
    bool mprot = c->otype == LG_OT_MARKET || c->otype == LG_OT_SLM;
    /* Kite refuses 0 (never send it); -1 asks for the broker's default */
    if (mprot && c->mprot_pct <= 0 && c->mprot_pct != -1) return LG_EINVAL;
    bool priced = c->otype == LG_OT_LIMIT || c->otype == LG_OT_SL;
    bool triggered = c->otype == LG_OT_SL || c->otype == LG_OT_SLM;
    if ((priced && c->price <= 0) || (triggered && c->trigger <= 0)) return LG_EINVAL;
    form_t f = {.buf = buf, .cap = cap};
    if (cap > 0) buf[0] = '\0';
    put_field(&f, "tradingsymbol", ins->symbol);
    put_field(&f, "exchange", "NFO");
    put_field(&f, "transaction_type", c->side > 0 ? "BUY" : "SELL");
    put_field(&f, "order_type", otype_names[c->otype]);
    put_int(&f, "quantity", (long long)c->qty);
    put_field(&f, "product", product);
    put_field(&f, "validity", "DAY");
    if (priced) put_money(&f, "price", c->price);
    if (triggered) put_money(&f, "trigger_price", c->trigger);
    if (mprot) put_int(&f, "market_protection", c->mprot_pct);
    put_field(&f, "tag", c->tag);
    if (f.full) return LG_ENOSPACE;
    *len = f.n;
    return LG_OK;
}

int lg_kite_path_cancel(const lg_cmd_t *c, char *buf, size_t cap) {
    LG_ASSERT(c != NULL && buf != NULL);
    if (c->kind != LG_CMD_CANCEL || c->broker_id[0] == '\0') return LG_EINVAL;
    for (size_t i = 0; c->broker_id[i] != '\0'; i++)
        if (!isalnum((unsigned char)c->broker_id[i])) return LG_EINVAL;
    int n = snprintf(buf, cap, "/orders/regular/%s", c->broker_id);
    return n < 0 || (size_t)n >= cap ? LG_ENOSPACE : LG_OK;
}
