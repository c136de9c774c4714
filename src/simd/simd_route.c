/*
 * simd_route.c — `legato sim`'s request router: authorisation (Kite's
 * `Authorization: token api_key:access_token`, else 403 TokenException), the order
 * request limit (10 a second, else 429), dispatch by method and path, and the reply
 * helpers every endpoint uses (Kite's success and error envelopes).
 */
#include "simd_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

void lg_simd_reply_text(lg_http_conn_t *c, int status, char *body) {
    if (body == NULL) {
        static const char oom[] =
            "{\"status\":\"error\",\"message\":\"out of memory\",\"error_type\":\"GeneralException\","
            "\"data\":null}";
        lg_http_reply(c, 500, "application/json", oom, sizeof oom - 1, NULL);
        return;
    }
    lg_http_reply(c, status, "application/json", body, strlen(body), NULL);
    free(body);
}

void lg_simd_reply_json(lg_http_conn_t *c, int status, json_t *data) {
    json_t *env = json_pack("{s:s,s:o}", "status", "success", "data", data ? data : json_null());
    lg_simd_reply_text(c, status, env != NULL ? json_dumps(env, JSON_FLAGS) : NULL);
    json_decref(env);
}

void lg_simd_reply_error(lg_http_conn_t *c, int status, lg_kite_etype_t t, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lg_simd_reply_text(c, status, lg_kite_json_error(t, msg));
}

int lg_simd_form(simd_form_t *f, const char *s, size_t len) {
    return lg_form_parse(s, len, f->buf, sizeof f->buf, f->names, f->values, LG_SIMD_FORM_PAIRS, &f->n);
}

const char *lg_simd_get(const simd_form_t *f, const char *name) {
    return lg_form_get(f->names, f->values, f->n, name);
}

bool lg_simd_rupees(const char *s, lg_paise_t *out) {
    if (s == NULL || s[0] == '\0') return false;
    int64_t whole = 0, frac = 0;
    int nfrac = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9' && p - s < 12; p++) whole = whole * 10 + (*p - '0');
    if (p == s) return false;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9' && nfrac < 2; p++, nfrac++) frac = frac * 10 + (*p - '0');
        while (*p == '0') p++; /* "12.500" */
    }
    if (*p != '\0') return false;
    if (nfrac == 1) frac *= 10;
    *out = whole * 100 + frac;
    return true;
}

json_t *lg_simd_money(lg_paise_t p) {
    return json_real((double)p / 100.0);
}

/* ---- limits and authorisation ------------------------------------------------------------- */

static bool rate_ok(lg_simd_t *d) {
    lg_ns_t now = lg_simd_now(d);
    uint32_t k = d->rate_n % SIMD_RATE_WINDOW;
    if (d->rate_n >= SIMD_RATE_WINDOW && now - d->rate[k] < LG_NS_PER_S) return false;
    d->rate[k] = now;
    d->rate_n++;
    return true;
}

static bool authorised(const lg_simd_t *d, const lg_http_req_t *r) {
    const char *a = lg_http_header(r, "Authorization");
    return a != NULL && strcmp(a, d->auth) == 0;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

/* The n-th segment of a path ("/orders/regular/123": 0 "orders", 1 "regular") into buf;
 * false when absent. */
static bool segment(const char *path, uint32_t n, char *buf, size_t cap) {
    const char *p = path;
    for (uint32_t i = 0; i <= n; i++) {
        if (*p != '/') return false;
        p++;
        const char *e = strchr(p, '/');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (i == n) {
            if (len == 0 || len >= cap) return false;
            memcpy(buf, p, len);
            buf[len] = '\0';
            return true;
        }
        p += len;
    }
    return false;
}

static uint32_t n_segments(const char *path) {
    uint32_t n = 0;
    for (const char *p = path; *p != '\0'; p++) n += *p == '/' && p[1] != '\0';
    return n;
}

static void route_orders(lg_simd_t *d, lg_http_conn_t *c, const lg_http_req_t *r) {
    char a[40], b[40];
    uint32_t n = n_segments(r->path);
    bool has_a = segment(r->path, 1, a, sizeof a), has_b = segment(r->path, 2, b, sizeof b);
    bool write = strcmp(r->method, "GET") != 0;
    if (write && !rate_ok(d)) {
        lg_simd_reply_error(c, 429, LG_KITE_E_NETWORK, "Too many requests");
        return;
    }
    if (strcmp(r->method, "GET") == 0) {
        if (n == 1) lg_simd_orders(d, c);
        else if (n == 2 && has_a) lg_simd_history(d, c, a);
        else if (n == 3 && has_b && strcmp(b, "trades") == 0) lg_simd_trades(d, c, a);
        else lg_simd_reply_error(c, 404, LG_KITE_E_GENERAL, "Route not found");
        return;
    }
    if (!has_a || (strcmp(a, "regular") != 0)) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "Order variety '%s' is not supported by "
                            "the simulator (regular only)", has_a ? a : "");
        return;
    }
    if (strcmp(r->method, "POST") == 0 && n == 2) lg_simd_place(d, c, r);
    else if (strcmp(r->method, "PUT") == 0 && n == 3 && has_b) lg_simd_modify(d, c, r, b);
    else if (strcmp(r->method, "DELETE") == 0 && n == 3 && has_b) lg_simd_cancel(d, c, b);
    else lg_simd_reply_error(c, 405, LG_KITE_E_GENERAL, "Method not allowed");
}

static bool is(const lg_http_req_t *r, const char *method, const char *path) {
    return strcmp(r->method, method) == 0 && strcmp(r->path, path) == 0;
}

static bool starts(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void route(lg_simd_t *d, lg_http_conn_t *c, const lg_http_req_t *r) {
    char seg[32];
    if (strcmp(r->path, "/orders") == 0 || starts(r->path, "/orders/")) route_orders(d, c, r);
    else if (is(r, "GET", "/trades")) lg_simd_trades(d, c, NULL);
    else if (is(r, "GET", "/portfolio/positions")) lg_simd_positions(d, c);
    else if (is(r, "GET", "/user/margins")) lg_simd_margins(d, c, NULL);
    else if (strcmp(r->method, "GET") == 0 && starts(r->path, "/user/margins/") &&
             segment(r->path, 2, seg, sizeof seg))
        lg_simd_margins(d, c, seg);
    else if (is(r, "POST", "/margins/orders")) lg_simd_order_margins(d, c, r, false);
    else if (is(r, "POST", "/margins/basket")) lg_simd_order_margins(d, c, r, true);
    else if (is(r, "GET", "/quote")) lg_simd_quote(d, c, r, 2);
    else if (is(r, "GET", "/quote/ohlc")) lg_simd_quote(d, c, r, 1);
    else if (is(r, "GET", "/quote/ltp")) lg_simd_quote(d, c, r, 0);
    else if (is(r, "GET", "/instruments")) lg_simd_instruments(d, c, NULL);
    else if (strcmp(r->method, "GET") == 0 && starts(r->path, "/instruments/") &&
             segment(r->path, 1, seg, sizeof seg))
        lg_simd_instruments(d, c, seg);
    else if (starts(r->path, "/admin/") && segment(r->path, 1, seg, sizeof seg))
        lg_simd_admin(d, c, r, seg);
    else lg_simd_reply_error(c, 404, LG_KITE_E_GENERAL, "Route not found: %s %.80s", r->method,
                             r->path);
}

void lg_simd_on_request(void *ud, lg_http_conn_t *c, const lg_http_req_t *r) {
    lg_simd_t *d = ud;
    if (!authorised(d, r)) {
        lg_simd_reply_error(c, 403, LG_KITE_E_TOKEN, "Incorrect `api_key` or `access_token`.");
        return;
    }
    route(d, c, r);
}
