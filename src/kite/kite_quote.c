/*
 * kite_quote.c — Kite's full market quotes (GET /quote) for what the risk engine needs
 * of them: each instrument's circuit band (lower_circuit_limit, upper_circuit_limit), the
 * price band outside which the exchange refuses an order. The request's query (as many
 * `i=NFO:SYMBOL` as fit) and the answer's bands, decoded strictly: every entry must carry
 * its instrument_token and both limits, or the answer is refused with the field named.
 *
 * Kite keys the answer's data by "EXCHANGE:SYMBOL" and leaves out instruments it does
 * not know; the order of entries means nothing. A limit of 0 is Kite saying "no band
 * on this side" (some instruments have no lower circuit); lg_kite_band_event says what
 * the engine makes of it.
 */
#include "kite_json_int.h"

#include <stdio.h>
#include <string.h>

/* Unreserved characters (RFC 3986) stay; every other byte is %XX ('&' in M&M...). */
static size_t put_escaped(char *out, size_t cap, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        bool plain = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                     (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.' || *c == '~';
        size_t need = plain ? 1 : 3;
        if (n + need >= cap) return SIZE_MAX;
        if (plain) {
            out[n++] = (char)*c;
        } else {
            out[n++] = '%';
            out[n++] = hex[*c >> 4];
            out[n++] = hex[*c & 15];
        }
    }
    out[n] = '\0';
    return n;
}

int lg_kite_quote_query(const lg_instruments_t *m, const uint32_t *tokens, uint32_t n,
                        uint32_t max, char *out, size_t cap, uint32_t *taken) {
    LG_ASSERT(m != NULL && (tokens != NULL || n == 0) && out != NULL && cap > 0 && taken != NULL);
    size_t len = 0;
    uint32_t k = 0, in = 0;
    out[0] = '\0';
    for (; k < n && in < max; k++) {
        const lg_instrument_t *ins = lg_instruments_find(m, tokens[k]);
        if (ins == NULL) return LG_EINSTRUMENT;
        char one[3 * LG_SYMBOL_MAX + 16];
        int h = snprintf(one, sizeof one, "%si=NFO%%3A", in > 0 ? "&" : "");
        LG_ASSERT(h > 0 && (size_t)h < sizeof one);
        size_t e = put_escaped(one + h, sizeof one - (size_t)h, ins->symbol);
        LG_ASSERT(e != SIZE_MAX); /* a symbol fits in LG_SYMBOL_MAX */
        size_t add = (size_t)h + e;
        if (len + add >= cap) break; /* the rest goes in the next request */
        memcpy(out + len, one, add + 1);
        len += add;
        in++;
    }
    if (in == 0 && n > 0 && max > 0) return LG_ENOSPACE; /* not even one fits */
    *taken = k;
    return LG_OK;
}

static int band_entry(json_t *q, const char *path, lg_kite_band_t *b, lg_kj_err_t *e) {
    if (!json_is_object(q))
        return lg_kj_fail(e, LG_EPARSE, "%s: expected an object, got %s", path, lg_kj_type_name(q));
    int64_t token = 0;
    lg_kite_band_t t = {0};
    int rc = lg_kj_int(q, path, "instrument_token", 1, UINT32_MAX, &token, e);
    if (rc == LG_OK) rc = lg_kj_money(q, path, "lower_circuit_limit", false, &t.lo, e);
    if (rc == LG_OK) rc = lg_kj_money(q, path, "upper_circuit_limit", false, &t.hi, e);
    if (rc != LG_OK) return rc;
    if (t.lo < 0 || t.hi < 0 || (t.hi > 0 && t.lo > t.hi))
        return lg_kj_fail(e, LG_ERANGE, "%s: circuit limits %.2f..%.2f out of order", path,
                          (double)t.lo / 100.0, (double)t.hi / 100.0);
    t.token = (uint32_t)token;
    *b = t;
    return LG_OK;
}

int lg_kite_parse_bands(const char *body, size_t len, lg_kite_band_t *out, uint32_t cap,
                        uint32_t *n, char *err, size_t errcap) {
    LG_ASSERT(body != NULL && n != NULL && (out != NULL || cap == 0));
    lg_kj_err_t e = lg_kj_err_make(err, errcap);
    json_t *root = NULL, *data = NULL;
    int rc = lg_kj_envelope(body, len, &root, &data, &e);
    if (rc != LG_OK) return rc;
    if (!json_is_object(data))
        rc = lg_kj_fail(&e, LG_EPARSE, "data: expected an object, got %s", lg_kj_type_name(data));
    else if (json_object_size(data) > cap)
        rc = lg_kj_fail(&e, LG_ENOSPACE, "data: %zu quotes, at most %u taken",
                        json_object_size(data), cap);
    uint32_t k = 0;
    const char *key;
    json_t *q;
    if (rc == LG_OK) {
        json_object_foreach(data, key, q) { /* bounded: at most cap members (above) */
            char path[LG_KJ_PATH_MAX];
            lg_kj_path_key(path, sizeof path, "data", key);
            rc = band_entry(q, path, &out[k], &e);
            if (rc != LG_OK) break;
            k++;
        }
    }
    json_decref(root);
    if (rc == LG_OK) *n = k; /* on an error out may hold some entries: *n says none */
    return rc;
}

bool lg_kite_band_event(const lg_kite_band_t *b, lg_event_t *ev) {
    LG_ASSERT(b != NULL && ev != NULL);
    if (b->hi <= 0) return false; /* no upper band: Kite knows no band for it */
    memset(ev, 0, sizeof *ev);
    ev->kind = LG_EV_BAND;
    ev->u.band.token = b->token;
    ev->u.band.lo = b->lo > 0 ? b->lo : 1; /* no lower circuit: any positive price */
    ev->u.band.hi = b->hi;
    return true;
}
