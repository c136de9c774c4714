/*
 * simd_ticker.c — `legato sim`'s ticker WebSocket (/ws?api_key=..&access_token=..):
 * the handshake's authorisation, the client's subscribe / unsubscribe / mode messages,
 * binary tick frames in each subscriber's mode, order-update text frames to every
 * ticker, and a 1-byte heartbeat to a ticker that has been sent nothing for a second.
 * A message the ticker cannot take is answered with {"type":"error","data":"..."}.
 */
#include "simd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BEAT_NS (1000ull * 1000 * 1000)

static simd_ticker_t *ticker_of(lg_http_conn_t *c) {
    return lg_http_data(c);
}

int lg_simd_ws_open(void *ud, lg_http_conn_t *c, const lg_http_req_t *r, const char **body,
                    size_t *body_len, const char **ctype) {
    lg_simd_t *d = ud;
    static const char denied[] = "{\"status\":\"error\",\"message\":\"Incorrect `api_key` or "
                                 "`access_token`.\",\"error_type\":\"TokenException\",\"data\":null}";
    static const char full[] = "{\"status\":\"error\",\"message\":\"Too many ticker connections\","
                               "\"error_type\":\"NetworkException\",\"data\":null}";
    *ctype = "application/json";
    if (strcmp(r->path, "/ws") != 0 && strcmp(r->path, "/") != 0) return 404;
    simd_form_t f;
    const char *key = NULL, *tok = NULL;
    if (lg_simd_form(&f, r->query, strlen(r->query)) == LG_OK) {
        key = lg_simd_get(&f, "api_key");
        tok = lg_simd_get(&f, "access_token");
    }
    if (key == NULL || tok == NULL || strcmp(key, d->api_key) != 0 ||
        strcmp(tok, d->access_token) != 0) {
        *body = denied;
        *body_len = sizeof denied - 1;
        return 403;
    }
    for (uint32_t i = 0; i < SIMD_MAX_TICKERS; i++) {
        if (d->tickers[i].conn != NULL) continue;
        memset(&d->tickers[i], 0, sizeof d->tickers[i]);
        d->tickers[i].conn = c;
        d->tickers[i].sent_at = uv_hrtime();
        lg_http_set_data(c, &d->tickers[i]);
        return 0;
    }
    *body = full;
    *body_len = sizeof full - 1;
    return 429;
}

void lg_simd_ws_gone(lg_simd_t *d, lg_http_conn_t *c) {
    (void)d;
    simd_ticker_t *t = ticker_of(c);
    if (t != NULL) memset(t, 0, sizeof *t);
}

static void send_error(simd_ticker_t *t, const char *what) {
    json_t *m = json_pack("{s:s,s:s}", "type", "error", "data", what);
    char *s = m != NULL ? json_dumps(m, JSON_COMPACT) : NULL;
    if (s != NULL) lg_ws_send(t->conn, LG_WS_TEXT, s, strlen(s));
    free(s);
    json_decref(m);
    t->sent_at = uv_hrtime();
}

static int find_token(const simd_ticker_t *t, uint32_t token) {
    for (uint32_t i = 0; i < t->n; i++)
        if (t->tokens[i] == token) return (int)i;
    return -1;
}

/* Validates a JSON array of tokens; NULL if it is one, else what is wrong. */
static const char *check_tokens(const json_t *v) {
    if (!json_is_array(v)) return "expected an array of instrument tokens";
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *x = json_array_get(v, i);
        if (!json_is_integer(x) || json_integer_value(x) <= 0 || json_integer_value(x) > UINT32_MAX)
            return "instrument tokens must be positive integers";
    }
    return NULL;
}

static void subscribe(lg_simd_t *d, simd_ticker_t *t, const json_t *v, uint8_t mode, bool add) {
    for (size_t i = 0; i < json_array_size(v); i++) {
        uint32_t token = (uint32_t)json_integer_value(json_array_get(v, i));
        int k = find_token(t, token);
        if (!add) {
            if (k >= 0) {
                t->tokens[k] = t->tokens[t->n - 1];
                t->modes[k] = t->modes[--t->n];
            }
            continue;
        }
        if (k >= 0) {
            if (mode != 0) t->modes[k] = mode;
            continue;
        }
        if (mode != 0) continue; /* a mode for a token not subscribed: ignored, as Kite does */
        if (t->n == SIMD_MAX_SUBS) {
            send_error(t, "too many instruments on this connection");
            return;
        }
        t->tokens[t->n] = token;
        t->modes[t->n++] = LG_TICK_QUOTE; /* Kite's default mode */
        lg_sim_subscribe(d->sim, token);
    }
    lg_simd_kick(d);
}

static uint8_t mode_of(const char *s) {
    if (s == NULL) return 0;
    if (strcmp(s, "ltp") == 0) return LG_TICK_LTP;
    if (strcmp(s, "quote") == 0) return LG_TICK_QUOTE;
    if (strcmp(s, "full") == 0) return LG_TICK_FULL;
    return 0;
}

void lg_simd_ws_message(void *ud, lg_http_conn_t *c, lg_ws_op_t op, const uint8_t *p, size_t n) {
    lg_simd_t *d = ud;
    simd_ticker_t *t = ticker_of(c);
    if (t == NULL) return;
    json_t *m = op == LG_WS_TEXT ? json_loadb((const char *)p, n, 0, NULL) : NULL;
    const char *a = json_string_value(json_object_get(m, "a"));
    json_t *v = json_object_get(m, "v");
    const char *bad = NULL;
    if (m == NULL || a == NULL) {
        bad = "expected a JSON object {\"a\":..., \"v\":...}";
    } else if (strcmp(a, "subscribe") == 0 || strcmp(a, "unsubscribe") == 0) {
        if ((bad = check_tokens(v)) == NULL) subscribe(d, t, v, 0, a[0] == 's');
    } else if (strcmp(a, "mode") == 0) {
        uint8_t mode = mode_of(json_string_value(json_array_get(v, 0)));
        json_t *toks = json_array_get(v, 1);
        if (mode == 0) bad = "mode must be ltp, quote or full";
        else if ((bad = check_tokens(toks)) == NULL) subscribe(d, t, toks, mode, true);
    } else {
        bad = "unknown action: subscribe, unsubscribe or mode";
    }
    if (bad != NULL) send_error(t, bad);
    json_decref(m);
}

void lg_simd_ws_tick(lg_simd_t *d, uint32_t token) {
    for (uint32_t i = 0; i < SIMD_MAX_TICKERS; i++) {
        simd_ticker_t *t = &d->tickers[i];
        int k = t->conn != NULL ? find_token(t, token) : -1;
        if (k < 0) continue;
        lg_tick_t tick;
        uint8_t frame[256];
        size_t len = 0;
        lg_simd_tick(d, token, (lg_tick_mode_t)t->modes[k], &tick);
        if (tick.token == 0 || lg_ticker_encode_frame(&tick, 1, frame, sizeof frame, &len) != LG_OK)
            continue;
        lg_ws_send(t->conn, LG_WS_BINARY, frame, len);
        t->sent_at = uv_hrtime();
    }
}

uint32_t lg_simd_ws_text(lg_simd_t *d, const char *text) {
    size_t n = strlen(text);
    uint32_t sent = 0;
    for (uint32_t i = 0; i < SIMD_MAX_TICKERS; i++) {
        if (d->tickers[i].conn == NULL) continue;
        sent += lg_ws_send(d->tickers[i].conn, LG_WS_TEXT, text, n) == LG_OK;
        d->tickers[i].sent_at = uv_hrtime();
    }
    return sent;
}

void lg_simd_ws_beat(lg_simd_t *d) {
    uint64_t now = uv_hrtime();
    static const uint8_t beat[1] = {0};
    for (uint32_t i = 0; i < SIMD_MAX_TICKERS; i++) {
        simd_ticker_t *t = &d->tickers[i];
        if (t->conn == NULL || now - t->sent_at < BEAT_NS) continue;
        lg_ws_send(t->conn, LG_WS_BINARY, beat, 1);
        t->sent_at = now;
    }
}
