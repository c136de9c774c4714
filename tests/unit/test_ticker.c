/*
 * test_ticker.c — unit tests for the Kite ticker's frames (src/kite/ticker.c): the
 * broker's own golden packets (tests/data/kite/ticker_*.packet, base64 of one raw
 * packet) decoded and checked field by field against their JSON (parsed here by hand),
 * heartbeats, mixed frames, CDS/BCD unit conversion and its rounding, encode/decode
 * round trips, every malformed frame refused with the outputs untouched, a
 * deterministic fuzz loop, and the client's subscribe/unsubscribe/mode text frames.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "legato/ticker.h"

#ifndef LG_TEST_DATA
#error "LG_TEST_DATA (the tests/data directory) must be defined"
#endif

#define TOK_NSE 408065u     /* 0x63A01: segment 1, the mocks' instrument */
#define TOK_NFO 10240258u   /* 40001 << 8 | 2 */
#define TOK_CDS 1412867u    /* 5519 << 8 | 3 */
#define TOK_BCD 2000134u    /* 7813 << 8 | 6 */
#define TOK_NIFTY 256265u   /* NIFTY 50: segment 9 */
#define MAX_FRAME 1024

/* ---- files, base64, hand-written JSON numbers ------------------------------------- */

static char *read_data(const char *name, size_t *len) {
    char rel[256];
    snprintf(rel, sizeof rel, "kite/%s", name);
    return lg_test_read(rel, len);
}

static int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Standard base64 (whitespace skipped, '=' ends); returns the byte count. */
static size_t b64_decode(const char *s, uint8_t *out, size_t cap) {
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; s[i] != '\0' && s[i] != '='; i++) {
        if (s[i] == '\n' || s[i] == '\r' || s[i] == ' ') continue;
        int v = b64_value(s[i]);
        if (v < 0) fail_msg("bad base64 character 0x%02x", (unsigned)(unsigned char)s[i]);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            assert_true(n < cap);
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return n;
}

static size_t read_packet(const char *name, uint8_t *out, size_t cap) {
    char *text = read_data(name, NULL);
    size_t n = b64_decode(text, out, cap);
    free(text);
    return n;
}

/* The number after "key": at or after *cur; *cur moves past it. */
static double jnum(const char **cur, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(*cur, pat);
    if (p == NULL) fail_msg("JSON key %s missing", key);
    p += strlen(pat);
    char *end = NULL;
    double v = strtod(p, &end);
    if (end == p) fail_msg("JSON key %s: no number", key);
    *cur = end;
    return v;
}

static double jtop(const char *json, const char *key) {
    const char *cur = json;
    return jnum(&cur, key);
}

static int64_t jint(const char *json, const char *key) { return (int64_t)llround(jtop(json, key)); }

static lg_paise_t rupees(double r) { return (lg_paise_t)llround(r * 100.0); }

static lg_paise_t jpaise(const char *json, const char *key) { return rupees(jtop(json, key)); }

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "key": "YYYY-MM-DDTHH:MM:SS+HH:MM" as epoch seconds. */
static int64_t jtime(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    if (p == NULL) fail_msg("JSON key %s missing", key);
    p = strchr(p + strlen(pat), '"');
    assert_non_null(p);
    int y, mo, d, h, mi, s, oh, om;
    char sign;
    assert_int_equal(sscanf(p + 1, "%4d-%2d-%2dT%2d:%2d:%2d%c%2d:%2d", &y, &mo, &d, &h, &mi, &s,
                            &sign, &oh, &om),
                     9);
    int64_t off = (int64_t)oh * 3600 + (int64_t)om * 60;
    int64_t t = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + s;
    return sign == '+' ? t - off : t + off;
}

static bool jhas(const char *json, const char *text) { return strstr(json, text) != NULL; }

/* ---- frames by hand --------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Appends {int16 len, packet} to a frame under construction and bumps its N. */
static size_t frame_add(uint8_t *frame, size_t at, const uint8_t *pk, size_t plen) {
    if (at == 0) {
        put16(frame, 0);
        at = 2;
    }
    uint16_t n = (uint16_t)((unsigned)frame[0] << 8 | frame[1]);
    put16(frame, (uint16_t)(n + 1));
    put16(frame + at, (uint16_t)plen);
    memcpy(frame + at + 2, pk, plen);
    return at + 2 + plen;
}

static size_t ltp_packet(uint8_t *pk, uint32_t token, int32_t price) {
    put32(pk, token);
    put32(pk + 4, (uint32_t)price);
    return 8;
}

/* An index packet: ltp, high, low, open, close, change (and time when full). */
static size_t index_packet(uint8_t *pk, bool full, const int32_t v[6], uint32_t time) {
    put32(pk, TOK_NIFTY);
    for (int i = 0; i < 6; i++) put32(pk + 4 + 4 * i, (uint32_t)v[i]);
    if (!full) return 28;
    put32(pk + 28, time);
    return 32;
}

/* ---- tick comparison ---------------------------------------------------------------- */

static void assert_depth_equal(const lg_depth_t *a, const lg_depth_t *b) {
    assert_int_equal(a->qty, b->qty);
    assert_int_equal(a->price, b->price);
    assert_int_equal(a->orders, b->orders);
}

static void assert_tick_equal(const lg_tick_t *a, const lg_tick_t *b) {
    assert_int_equal(a->token, b->token);
    assert_int_equal(a->mode, b->mode);
    assert_int_equal(a->index, b->index);
    assert_int_equal(a->tradable, b->tradable);
    assert_int_equal(a->ltp, b->ltp);
    assert_int_equal(a->last_qty, b->last_qty);
    assert_int_equal(a->avg_price, b->avg_price);
    assert_int_equal(a->volume, b->volume);
    assert_int_equal(a->buy_qty, b->buy_qty);
    assert_int_equal(a->sell_qty, b->sell_qty);
    assert_int_equal(a->open, b->open);
    assert_int_equal(a->high, b->high);
    assert_int_equal(a->low, b->low);
    assert_int_equal(a->close, b->close);
    assert_int_equal(a->change, b->change);
    assert_int_equal(a->last_trade_time, b->last_trade_time);
    assert_int_equal(a->oi, b->oi);
    assert_int_equal(a->oi_day_high, b->oi_day_high);
    assert_int_equal(a->oi_day_low, b->oi_day_low);
    assert_int_equal(a->exchange_time, b->exchange_time);
    for (int i = 0; i < 5; i++) {
        assert_depth_equal(&a->bid[i], &b->bid[i]);
        assert_depth_equal(&a->ask[i], &b->ask[i]);
    }
}

/* Decodes a one-packet frame around pk and returns the tick. */
static lg_tick_t decode_one(const uint8_t *pk, size_t plen) {
    uint8_t frame[MAX_FRAME];
    size_t len = frame_add(frame, 0, pk, plen);
    lg_tick_t t;
    uint32_t n = 99;
    bool hb = true;
    assert_int_equal(lg_ticker_decode(frame, len, &t, 1, &n, &hb), LG_OK);
    assert_int_equal(n, 1);
    assert_false(hb);
    return t;
}

/* ---- golden vectors ------------------------------------------------------------------ */

static void assert_quote_fields(const lg_tick_t *t, const char *json) {
    assert_true(jhas(json, "\"tradable\": true"));
    assert_true(t->tradable);
    assert_false(t->index);
    assert_int_equal(t->token, jint(json, "instrument_token"));
    assert_int_equal(t->token & 0xFFu, 1); /* NSE */
    assert_int_equal(t->ltp, jpaise(json, "last_price"));
    assert_int_equal(t->last_qty, jint(json, "last_quantity"));
    assert_int_equal(t->avg_price, jpaise(json, "average_price"));
    assert_int_equal(t->volume, jint(json, "volume"));
    assert_int_equal(t->buy_qty, jint(json, "buy_quantity"));
    assert_int_equal(t->sell_qty, jint(json, "sell_quantity"));
    assert_int_equal(t->open, jpaise(json, "open"));
    assert_int_equal(t->high, jpaise(json, "high"));
    assert_int_equal(t->low, jpaise(json, "low"));
    assert_int_equal(t->close, jpaise(json, "close"));
    /* The JSON's "change" is computed by Kite's client library; a tradable packet does
     * not carry it, so the tick's change stays zero. */
    assert_int_equal(t->change, 0);
}

static void assert_depth_side(const lg_depth_t *d, const char *json, const char *side) {
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":", side);
    const char *cur = strstr(json, pat);
    assert_non_null(cur);
    for (int i = 0; i < 5; i++) {
        lg_paise_t price = rupees(jnum(&cur, "price"));
        int64_t qty = (int64_t)llround(jnum(&cur, "quantity"));
        int64_t orders = (int64_t)llround(jnum(&cur, "orders"));
        assert_int_equal(d[i].price, price);
        assert_int_equal(d[i].qty, qty);
        assert_int_equal(d[i].orders, orders);
    }
}

static void test_golden_full(void **state) {
    (void)state;
    uint8_t pk[256];
    size_t plen = read_packet("ticker_full.packet", pk, sizeof pk);
    assert_int_equal(plen, 184);
    char *json = read_data("ticker_full.json", NULL);
    lg_tick_t t = decode_one(pk, plen);
    assert_true(jhas(json, "\"mode\": \"full\""));
    assert_int_equal(t.mode, LG_TICK_FULL);
    assert_quote_fields(&t, json);
    assert_int_equal(t.last_trade_time, jtime(json, "last_trade_time"));
    assert_int_equal(t.exchange_time, jtime(json, "timestamp"));
    assert_int_equal(t.exchange_time, 1625461887); /* 2021-07-05T10:41:27+05:30 */
    assert_int_equal(t.oi, jint(json, "oi"));
    assert_int_equal(t.oi_day_high, jint(json, "oi_day_high"));
    assert_int_equal(t.oi_day_low, jint(json, "oi_day_low"));
    assert_depth_side(t.bid, json, "buy");
    assert_depth_side(t.ask, json, "sell");
    /* and back: the encoder reproduces Kite's bytes exactly (its padding is zero) */
    uint8_t again[256];
    size_t alen = 0;
    assert_int_equal(lg_ticker_encode_packet(&t, again, sizeof again, &alen), LG_OK);
    assert_int_equal(alen, plen);
    assert_memory_equal(again, pk, plen);
    free(json);
}

static void test_golden_quote(void **state) {
    (void)state;
    uint8_t pk[256];
    size_t plen = read_packet("ticker_quote.packet", pk, sizeof pk);
    assert_int_equal(plen, 44);
    char *json = read_data("ticker_quote.json", NULL);
    lg_tick_t t = decode_one(pk, plen);
    assert_true(jhas(json, "\"mode\": \"quote\""));
    assert_int_equal(t.mode, LG_TICK_QUOTE);
    assert_quote_fields(&t, json);
    assert_int_equal(t.last_trade_time, 0);
    assert_int_equal(t.exchange_time, 0);
    assert_int_equal(t.bid[0].qty, 0);
    uint8_t again[256];
    size_t alen = 0;
    assert_int_equal(lg_ticker_encode_packet(&t, again, sizeof again, &alen), LG_OK);
    assert_int_equal(alen, plen);
    assert_memory_equal(again, pk, plen);
    free(json);
}

/* No packet comes with the ltp mock: its packet is built from the JSON and checked
 * both ways (decoder on hand bytes, encoder against the same bytes). */
static void test_golden_ltp(void **state) {
    (void)state;
    char *json = read_data("ticker_ltp.json", NULL);
    assert_true(jhas(json, "\"mode\": \"ltp\""));
    uint32_t token = (uint32_t)jint(json, "instrument_token");
    lg_paise_t ltp = jpaise(json, "last_price");
    assert_int_equal(ltp, 157315);
    uint8_t pk[8];
    size_t plen = ltp_packet(pk, token, (int32_t)ltp);
    lg_tick_t t = decode_one(pk, plen);
    assert_int_equal(t.mode, LG_TICK_LTP);
    assert_int_equal(t.token, token);
    assert_int_equal(t.ltp, ltp);
    assert_true(t.tradable);
    assert_false(t.index);
    assert_int_equal(t.volume, 0);
    assert_int_equal(t.close, 0);
    uint8_t again[16];
    size_t alen = 0;
    assert_int_equal(lg_ticker_encode_packet(&t, again, sizeof again, &alen), LG_OK);
    assert_int_equal(alen, 8);
    assert_memory_equal(again, pk, 8);
    free(json);
}

/* ---- heartbeats, mixed frames, units ---------------------------------------------------- */

static void test_heartbeat(void **state) {
    (void)state;
    uint8_t hb_frame[1] = {0};
    lg_tick_t t;
    uint32_t n = 7;
    bool hb = false;
    assert_int_equal(lg_ticker_decode(hb_frame, 1, &t, 1, &n, &hb), LG_OK);
    assert_int_equal(n, 0);
    assert_true(hb);
    n = 7;
    assert_int_equal(lg_ticker_decode(hb_frame, 1, NULL, 0, &n, NULL), LG_OK);
    assert_int_equal(n, 0);
    /* N = 0 is a frame, not a heartbeat */
    uint8_t zero[2] = {0, 0};
    hb = true;
    assert_int_equal(lg_ticker_decode(zero, 2, NULL, 0, &n, &hb), LG_OK);
    assert_int_equal(n, 0);
    assert_false(hb);
}

static void test_three_modes(void **state) {
    (void)state;
    uint8_t full[256], quote[256], ltp[8], frame[MAX_FRAME];
    size_t flen = read_packet("ticker_full.packet", full, sizeof full);
    size_t qlen = read_packet("ticker_quote.packet", quote, sizeof quote);
    size_t llen = ltp_packet(ltp, TOK_NFO, 41235);
    size_t len = frame_add(frame, 0, ltp, llen);
    len = frame_add(frame, len, full, flen);
    len = frame_add(frame, len, quote, qlen);
    assert_int_equal(len, 2 + 3 * 2 + 8 + 184 + 44);
    lg_tick_t t[3];
    uint32_t n = 0;
    bool hb = true;
    assert_int_equal(lg_ticker_decode(frame, len, t, 3, &n, &hb), LG_OK);
    assert_int_equal(n, 3);
    assert_false(hb);
    assert_int_equal(t[0].mode, LG_TICK_LTP);
    assert_int_equal(t[0].token, TOK_NFO);
    assert_int_equal(t[0].ltp, 41235);
    assert_int_equal(t[1].mode, LG_TICK_FULL);
    assert_int_equal(t[1].ltp, 157370);
    assert_int_equal(t[1].ask[4].qty, 724);
    assert_int_equal(t[2].mode, LG_TICK_QUOTE);
    assert_int_equal(t[2].ltp, 157315);
    /* the frame encoder reproduces the frame */
    uint8_t again[MAX_FRAME];
    size_t alen = 0;
    assert_int_equal(lg_ticker_encode_frame(t, 3, again, sizeof again, &alen), LG_OK);
    assert_int_equal(alen, len);
    assert_memory_equal(again, frame, len);
}

static void test_index_packets(void **state) {
    (void)state;
    const int32_t v[6] = {2451235, 2460000, 2440050, 2445000, 2448000, -12765};
    uint8_t pk[32];
    size_t plen = index_packet(pk, false, v, 0);
    lg_tick_t t = decode_one(pk, plen);
    assert_int_equal(t.mode, LG_TICK_QUOTE);
    assert_true(t.index);
    assert_false(t.tradable);
    assert_int_equal(t.ltp, 2451235);
    assert_int_equal(t.high, 2460000);
    assert_int_equal(t.low, 2440050);
    assert_int_equal(t.open, 2445000);
    assert_int_equal(t.close, 2448000);
    assert_int_equal(t.change, -12765);
    assert_int_equal(t.exchange_time, 0);
    assert_int_equal(t.volume, 0);
    plen = index_packet(pk, true, v, 1767000000u);
    t = decode_one(pk, plen);
    assert_int_equal(t.mode, LG_TICK_FULL);
    assert_true(t.index);
    assert_int_equal(t.exchange_time, 1767000000);
    assert_int_equal(t.change, -12765);
    /* an index in ltp mode is 8 bytes */
    plen = ltp_packet(pk, TOK_NIFTY, 2451235);
    t = decode_one(pk, plen);
    assert_int_equal(t.mode, LG_TICK_LTP);
    assert_true(t.index);
    assert_false(t.tradable);
}

/* CDS (1e-7 rupee) and BCD (1e-4 rupee) to paise, half away from zero. */
static void test_units_rounding(void **state) {
    (void)state;
    static const struct {
        uint32_t token;
        int32_t raw;
        lg_paise_t paise;
    } cases[] = {
        {TOK_CDS, 831200000, 8312},   {TOK_CDS, 831249999, 8312},   {TOK_CDS, 831250000, 8313},
        {TOK_CDS, -831250000, -8313}, {TOK_CDS, -831249999, -8312}, {TOK_CDS, 49999, 0},
        {TOK_CDS, 50000, 1},          {TOK_CDS, -50000, -1},        {TOK_CDS, INT32_MAX, 21475},
        {TOK_CDS, INT32_MIN, -21475}, {TOK_BCD, 831250, 8313},      {TOK_BCD, 831249, 8312},
        {TOK_BCD, -831250, -8313},    {TOK_BCD, 50, 1},             {TOK_BCD, 49, 0},
        {TOK_NSE, 157315, 157315},    {TOK_NFO, -5, -5},            {TOK_NFO, INT32_MIN, INT32_MIN},
    };
    for (size_t i = 0; i < LG_COUNT(cases); i++) {
        uint8_t pk[8];
        lg_tick_t t = decode_one(pk, ltp_packet(pk, cases[i].token, cases[i].raw));
        assert_int_equal(t.ltp, cases[i].paise);
    }
    /* a CDS quote: every price converted, quantities not */
    uint8_t q[44];
    memset(q, 0, sizeof q);
    put32(q, TOK_CDS);
    put32(q + 4, 831250000);  /* ltp */
    put32(q + 8, 1000);       /* last qty */
    put32(q + 12, 831234567); /* avg */
    put32(q + 16, 123456);    /* volume */
    put32(q + 28, 830000000); /* open */
    put32(q + 40, 829950000); /* close */
    lg_tick_t t = decode_one(q, sizeof q);
    assert_int_equal(t.ltp, 8313);
    assert_int_equal(t.last_qty, 1000);
    assert_int_equal(t.avg_price, 8312);
    assert_int_equal(t.volume, 123456);
    assert_int_equal(t.open, 8300);
    assert_int_equal(t.close, 8300); /* 8299.5 */
    /* quantities and times are unsigned on the wire */
    put32(q + 16, 0xFFFFFFFFu);
    t = decode_one(q, sizeof q);
    assert_int_equal(t.volume, 4294967295LL);
}

/* ---- round trips ------------------------------------------------------------------------- */

static lg_tick_t make_tick(uint32_t token, lg_tick_mode_t mode, lg_paise_t base) {
    lg_tick_t t;
    memset(&t, 0, sizeof t);
    t.token = token;
    t.mode = (uint8_t)mode;
    t.index = (token & 0xFFu) == 9u;
    t.tradable = !t.index;
    t.ltp = base;
    if (mode == LG_TICK_LTP) return t;
    t.open = base - 35;
    t.high = base + 120;
    t.low = base - 240;
    t.close = base - 15;
    if (t.index) {
        t.change = -7;
        if (mode == LG_TICK_FULL) t.exchange_time = 1767000000;
        return t;
    }
    t.last_qty = 65;
    t.avg_price = base - 3;
    t.volume = 4123456789LL; /* above INT32_MAX: unsigned on the wire */
    t.buy_qty = 256443;
    t.sell_qty = 363009;
    if (mode != LG_TICK_FULL) return t;
    t.last_trade_time = 1767000001;
    t.exchange_time = 1767000002;
    t.oi = 1234567;
    t.oi_day_high = 1300000;
    t.oi_day_low = 1200000;
    for (int i = 0; i < 5; i++) {
        t.bid[i] = (lg_depth_t){.qty = 65 * (i + 1), .price = base - 5 * (i + 1), .orders = i + 1};
        t.ask[i] = (lg_depth_t){.qty = 130 * (i + 1), .price = base + 5 * (i + 1), .orders = 65535 - i};
    }
    return t;
}

static void round_trip(const lg_tick_t *t, size_t want_len) {
    uint8_t pk[256];
    size_t plen = 0;
    assert_int_equal(lg_ticker_encode_packet(t, pk, sizeof pk, &plen), LG_OK);
    assert_int_equal(plen, want_len);
    lg_tick_t back = decode_one(pk, plen);
    assert_tick_equal(&back, t);
}

static void test_round_trips(void **state) {
    (void)state;
    lg_tick_t t = make_tick(TOK_NFO, LG_TICK_LTP, 41235);
    round_trip(&t, 8);
    t = make_tick(TOK_NFO, LG_TICK_QUOTE, 41235);
    round_trip(&t, 44);
    t = make_tick(TOK_NFO, LG_TICK_FULL, 41235);
    round_trip(&t, 184);
    t = make_tick(TOK_NIFTY, LG_TICK_LTP, 2451235);
    round_trip(&t, 8);
    t = make_tick(TOK_NIFTY, LG_TICK_QUOTE, 2451235);
    round_trip(&t, 28);
    t = make_tick(TOK_NIFTY, LG_TICK_FULL, 2451235);
    round_trip(&t, 32);
    t = make_tick(TOK_BCD, LG_TICK_FULL, 8312);
    round_trip(&t, 184);
    t = make_tick(TOK_NSE, LG_TICK_QUOTE, -150); /* negative prices (MCX crude, 2020) */
    round_trip(&t, 44);
    /* CDS: the encoder writes the segment's unit */
    t = make_tick(TOK_CDS, LG_TICK_FULL, 8312);
    round_trip(&t, 184);
    uint8_t pk[256];
    size_t plen = 0;
    assert_int_equal(lg_ticker_encode_packet(&t, pk, sizeof pk, &plen), LG_OK);
    assert_int_equal(pk[4] << 24 | pk[5] << 16 | pk[6] << 8 | pk[7], 831200000);
    /* a frame of several */
    lg_tick_t many[4] = {make_tick(TOK_NIFTY, LG_TICK_FULL, 2451235), make_tick(TOK_CDS, LG_TICK_QUOTE, 8312),
                         make_tick(TOK_NFO, LG_TICK_FULL, 41235), make_tick(TOK_NSE, LG_TICK_LTP, 157315)};
    uint8_t frame[MAX_FRAME];
    size_t len = 0;
    assert_int_equal(lg_ticker_encode_frame(many, 4, frame, sizeof frame, &len), LG_OK);
    assert_int_equal(len, 2 + 4 * 2 + 32 + 44 + 184 + 8);
    lg_tick_t back[4];
    uint32_t n = 0;
    assert_int_equal(lg_ticker_decode(frame, len, back, 4, &n, NULL), LG_OK);
    assert_int_equal(n, 4);
    for (int i = 0; i < 4; i++) assert_tick_equal(&back[i], &many[i]);
}

static void test_encode_limits(void **state) {
    (void)state;
    lg_tick_t t = make_tick(TOK_NFO, LG_TICK_FULL, 41235);
    uint8_t buf[MAX_FRAME], copy[MAX_FRAME];
    memset(buf, 0xA5, sizeof buf);
    memcpy(copy, buf, sizeof buf);
    size_t len = 12345;
    assert_int_equal(lg_ticker_encode_packet(&t, buf, 183, &len), LG_ENOSPACE);
    assert_int_equal(lg_ticker_encode_packet(&t, NULL, 0, &len), LG_ENOSPACE);
    assert_int_equal(len, 12345);
    /* values that do not fit their wire field: LG_ERANGE, buf untouched */
    lg_tick_t bad = t;
    bad.volume = -1;
    assert_int_equal(lg_ticker_encode_packet(&bad, buf, sizeof buf, &len), LG_ERANGE);
    bad = t;
    bad.bid[2].orders = 65536;
    assert_int_equal(lg_ticker_encode_packet(&bad, buf, sizeof buf, &len), LG_ERANGE);
    bad = t;
    bad.ltp = (lg_paise_t)INT32_MAX + 1;
    assert_int_equal(lg_ticker_encode_packet(&bad, buf, sizeof buf, &len), LG_ERANGE);
    bad = make_tick(TOK_CDS, LG_TICK_LTP, 21475); /* 2 147 500 000 units > INT32_MAX */
    assert_int_equal(lg_ticker_encode_packet(&bad, buf, sizeof buf, &len), LG_ERANGE);
    assert_memory_equal(buf, copy, sizeof buf);
    assert_int_equal(len, 12345);
    bad.ltp = 21474;
    uint8_t ok[8];
    assert_int_equal(lg_ticker_encode_packet(&bad, ok, sizeof ok, &len), LG_OK);
    assert_int_equal(len, 8);
    /* frames: every cap below the size is LG_ENOSPACE */
    lg_tick_t two[2] = {t, make_tick(TOK_NIFTY, LG_TICK_QUOTE, 2451235)};
    size_t need = 0;
    assert_int_equal(lg_ticker_encode_frame(two, 2, buf, sizeof buf, &need), LG_OK);
    assert_int_equal(need, 2 + 2 + 184 + 2 + 28);
    for (size_t cap = 0; cap < need; cap++) {
        assert_int_equal(lg_ticker_encode_frame(two, 2, buf, cap, &len), LG_ENOSPACE);
    }
    assert_int_equal(lg_ticker_encode_frame(two, 2, buf, need, &len), LG_OK);
    assert_int_equal(len, need);
    assert_int_equal(lg_ticker_encode_frame(NULL, 0, buf, 2, &len), LG_OK);
    assert_int_equal(len, 2);
}

static bool encode_aborts(const lg_tick_t *t) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL) _exit(3);
        uint8_t buf[256];
        size_t len = 0;
        (void)lg_ticker_encode_packet(t, buf, sizeof buf, &len);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void test_encode_asserts(void **state) {
    (void)state;
    lg_tick_t ok = make_tick(TOK_NFO, LG_TICK_QUOTE, 41235);
    assert_false(encode_aborts(&ok));
    lg_tick_t t = ok;
    t.mode = 0;
    assert_true(encode_aborts(&t));
    t.mode = 4;
    assert_true(encode_aborts(&t));
    t = ok;
    t.index = true; /* segment 2 is not an index */
    assert_true(encode_aborts(&t));
    t = make_tick(TOK_NIFTY, LG_TICK_QUOTE, 2451235);
    t.tradable = true;
    assert_true(encode_aborts(&t));
}

/* ---- malformed frames ------------------------------------------------------------------ */

/* Decodes with sentinel outputs and asserts the result is rc with nothing written. */
static void assert_refused(const uint8_t *frame, size_t len, uint32_t cap, int rc) {
    lg_tick_t out[4], copy[4];
    memset(out, 0x5A, sizeof out);
    memcpy(copy, out, sizeof out);
    uint32_t n = 0xDEADBEEFu;
    bool hb = true;
    uint8_t *heap = malloc(len > 0 ? len : 1); /* exact size: ASan sees any overread */
    assert_non_null(heap);
    if (len > 0) memcpy(heap, frame, len);
    assert_int_equal(lg_ticker_decode(len > 0 ? heap : NULL, len, out, cap, &n, &hb), rc);
    free(heap);
    assert_memory_equal(out, copy, sizeof out);
    assert_int_equal(n, 0xDEADBEEFu);
    assert_true(hb);
}

static void test_refuses(void **state) {
    (void)state;
    uint8_t quote[64], f[MAX_FRAME];
    size_t qlen = read_packet("ticker_quote.packet", quote, sizeof quote);
    size_t good = frame_add(f, 0, quote, qlen); /* 2 + 2 + 44 */
    uint8_t g[MAX_FRAME];
    memcpy(g, f, good);

    assert_refused(f, 0, 4, LG_EPARSE); /* empty frame */
    /* truncated: a 1-byte frame is a heartbeat, so a count cut short shows as N=1 with
     * its length field cut (3 bytes) or no packet at all (2 bytes + N=1) */
    assert_refused(f, 3, 4, LG_EPARSE);
    assert_refused(f, 2, 4, LG_EPARSE);
    for (size_t cut = 2; cut < good; cut++) assert_refused(f, cut, 4, LG_EPARSE);
    /* a length that lies: 184 claimed, 44 present */
    put16(g + 2, 184);
    assert_refused(g, good, 4, LG_EPARSE);
    /* the count lies: two packets promised, one present */
    memcpy(g, f, good);
    put16(g, 2);
    assert_refused(g, good, 4, LG_EPARSE);
    /* leftover bytes after the N packets */
    memcpy(g, f, good);
    g[good] = 0;
    assert_refused(g, good + 1, 4, LG_EPARSE);
    put16(g, 0);
    assert_refused(g, good, 4, LG_EPARSE);
    /* unknown packet lengths (9; negative; 0) */
    uint8_t nine[2 + 2 + 9] = {0, 1, 0, 9};
    put32(nine + 4, TOK_NSE);
    assert_refused(nine, sizeof nine, 4, LG_EPARSE);
    memcpy(g, f, good);
    put16(g + 2, 0xFFD4); /* -44 */
    assert_refused(g, good, 4, LG_EPARSE);
    uint8_t empty_pk[4] = {0, 1, 0, 0};
    assert_refused(empty_pk, sizeof empty_pk, 4, LG_EPARSE);
    /* negative N */
    memcpy(g, f, good);
    put16(g, 0xFFFF);
    assert_refused(g, good, 4, LG_EPARSE);
    put16(g, 0x8000);
    assert_refused(g, good, 4, LG_EPARSE);
    /* a layout that contradicts its token: quote layout for an index, index for NFO */
    memcpy(g, f, good);
    put32(g + 4, TOK_NIFTY);
    assert_refused(g, good, 4, LG_EPARSE);
    const int32_t v[6] = {1, 2, 3, 4, 5, 6};
    uint8_t ipk[32];
    size_t ilen = index_packet(ipk, true, v, 7);
    put32(ipk, TOK_NFO);
    size_t ifl = frame_add(g, 0, ipk, ilen);
    assert_refused(g, ifl, 4, LG_EPARSE);
    /* a bad second packet refuses the whole frame, the good first one included */
    size_t two = frame_add(g, 0, quote, qlen);
    two = frame_add(g, two, nine + 4, 9);
    assert_refused(g, two, 4, LG_EPARSE);
    /* room: 3 packets, room for 2 (and for none) */
    size_t three = frame_add(g, 0, quote, qlen);
    three = frame_add(g, three, quote, qlen);
    three = frame_add(g, three, quote, qlen);
    assert_refused(g, three, 2, LG_ENOSPACE);
    assert_refused(g, three, 0, LG_ENOSPACE);
    /* malformed wins over room */
    assert_refused(g, three - 1, 0, LG_EPARSE);
    lg_tick_t t[3];
    uint32_t n = 0;
    assert_int_equal(lg_ticker_decode(g, three, t, 3, &n, NULL), LG_OK);
    assert_int_equal(n, 3);
}

/* ---- fuzz ---------------------------------------------------------------------------------- */

static uint64_t xs_state;

static uint64_t xs_next(void) {
    uint64_t x = xs_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    xs_state = x;
    return x;
}

static uint32_t xs_below(uint32_t bound) { return (uint32_t)(xs_next() % bound); }

/* Every tick of an accepted frame encodes back (but for CDS/BCD prices at the int32
 * edge) and decodes to itself. */
static void fuzz_check_ticks(const lg_tick_t *t, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        uint8_t pk[256];
        size_t plen = 0;
        int rc = lg_ticker_encode_packet(&t[i], pk, sizeof pk, &plen);
        uint32_t seg = t[i].token & 0xFFu;
        if (rc == LG_ERANGE && (seg == 3 || seg == 6)) continue;
        assert_int_equal(rc, LG_OK);
        lg_tick_t back = decode_one(pk, plen);
        assert_tick_equal(&back, &t[i]);
    }
}

static size_t fuzz_mutate(uint8_t *f, size_t len, size_t cap) {
    uint32_t kind = xs_below(6);
    if (kind == 0 && len > 0) return xs_below((uint32_t)len + 1); /* truncate */
    if (kind == 1 && len >= 2) {                                  /* a random int16 */
        size_t at = xs_below((uint32_t)len - 1);
        put16(f + at, (uint16_t)xs_next());
        return len;
    }
    if (kind == 2 && len + 4 <= cap) { /* grow by garbage */
        uint32_t k = 1 + xs_below(4);
        for (uint32_t i = 0; i < k; i++) f[len + i] = (uint8_t)xs_next();
        return len + k;
    }
    uint32_t flips = 1 + xs_below(4);
    for (uint32_t i = 0; i < flips && len > 0; i++) f[xs_below((uint32_t)len)] ^= (uint8_t)(1u << xs_below(8));
    return len;
}

static void test_fuzz(void **state) {
    (void)state;
    uint8_t seeds[6][MAX_FRAME];
    size_t seed_len[6];
    uint8_t full[256], quote[64], pk[32];
    size_t flen = read_packet("ticker_full.packet", full, sizeof full);
    size_t qlen = read_packet("ticker_quote.packet", quote, sizeof quote);
    const int32_t v[6] = {2451235, 2460000, 2440050, 2445000, 2448000, -12765};
    seed_len[0] = frame_add(seeds[0], 0, full, flen);
    seed_len[1] = frame_add(seeds[1], 0, quote, qlen);
    seed_len[2] = frame_add(seeds[2], 0, pk, ltp_packet(pk, TOK_CDS, 831250000));
    seed_len[3] = frame_add(seeds[3], 0, pk, index_packet(pk, true, v, 1767000000u));
    seed_len[3] = frame_add(seeds[3], seed_len[3], pk, index_packet(pk, false, v, 0));
    seed_len[4] = frame_add(seeds[4], 0, quote, qlen);
    seed_len[4] = frame_add(seeds[4], seed_len[4], full, flen);
    seed_len[4] = frame_add(seeds[4], seed_len[4], pk, ltp_packet(pk, TOK_NFO, 41235));
    seeds[5][0] = 0;
    seed_len[5] = 1;

    xs_state = 0x9E3779B97F4A7C15ull;
    uint32_t accepted = 0, refused = 0, full_room = 0;
    for (uint32_t iter = 0; iter < 300000; iter++) {
        uint32_t s = xs_below(6);
        uint8_t f[MAX_FRAME];
        size_t len = seed_len[s];
        memcpy(f, seeds[s], len);
        uint32_t rounds = 1 + xs_below(3);
        for (uint32_t r = 0; r < rounds; r++) len = fuzz_mutate(f, len, sizeof f);
        uint8_t *heap = malloc(len > 0 ? len : 1);
        assert_non_null(heap);
        memcpy(heap, f, len);
        lg_tick_t out[4], copy[4];
        memset(out, 0x5A, sizeof out);
        memcpy(copy, out, sizeof out);
        uint32_t cap = xs_below(5), n = 0xDEADBEEFu;
        bool hb = false;
        int rc = lg_ticker_decode(len > 0 ? heap : NULL, len, out, cap, &n, &hb);
        free(heap);
        if (rc == LG_OK) {
            accepted++;
            assert_true(n <= cap);
            assert_int_equal(hb, len == 1);
            if (hb) assert_int_equal(n, 0);
            /* nothing past the n ticks written */
            assert_memory_equal(&out[n], &copy[n], sizeof(lg_tick_t) * (4 - n));
            fuzz_check_ticks(out, n);
        } else {
            if (rc == LG_ENOSPACE) full_room++;
            assert_true(rc == LG_EPARSE || rc == LG_ENOSPACE);
            refused++;
            assert_int_equal(n, 0xDEADBEEFu);
            assert_memory_equal(out, copy, sizeof out);
        }
    }
    print_message("fuzz: %u accepted, %u refused (%u for room)\n", accepted, refused, full_room);
    /* the loop exercised every outcome */
    assert_true(accepted > 1000);
    assert_true(refused > 1000);
    assert_true(full_room > 100);
}

/* ---- client text frames ------------------------------------------------------------------- */

/* len by address: the call filling it is an argument, evaluated in any order. */
static void assert_text(int rc, const char *buf, const size_t *len, const char *want) {
    assert_int_equal(rc, LG_OK);
    assert_string_equal(buf, want);
    assert_int_equal(*len, strlen(want));
}

static void test_client_frames(void **state) {
    (void)state;
    const uint32_t one[1] = {408065};
    const uint32_t three[3] = {408065, 884737, 256265};
    const uint32_t edge[2] = {0, UINT32_MAX};
    char buf[256];
    size_t len = 0;
    assert_text(lg_ticker_subscribe(one, 1, buf, sizeof buf, &len), buf, &len,
                "{\"a\":\"subscribe\",\"v\":[408065]}");
    assert_text(lg_ticker_subscribe(three, 3, buf, sizeof buf, &len), buf, &len,
                "{\"a\":\"subscribe\",\"v\":[408065,884737,256265]}");
    assert_text(lg_ticker_subscribe(edge, 2, buf, sizeof buf, &len), buf, &len,
                "{\"a\":\"subscribe\",\"v\":[0,4294967295]}");
    assert_text(lg_ticker_unsubscribe(one, 1, buf, sizeof buf, &len), buf, &len,
                "{\"a\":\"unsubscribe\",\"v\":[408065]}");
    assert_text(lg_ticker_unsubscribe(three, 3, buf, sizeof buf, &len), buf, &len,
                "{\"a\":\"unsubscribe\",\"v\":[408065,884737,256265]}");
    assert_text(lg_ticker_mode(LG_TICK_FULL, one, 1, buf, sizeof buf, &len), buf, &len,
                "{\"a\":\"mode\",\"v\":[\"full\",[408065]]}");
    assert_text(lg_ticker_mode(LG_TICK_QUOTE, three, 3, buf, sizeof buf, &len), buf, &len,
                "{\"a\":\"mode\",\"v\":[\"quote\",[408065,884737,256265]]}");
    assert_text(lg_ticker_mode(LG_TICK_LTP, three, 3, buf, sizeof buf, &len), buf, &len,
                "{\"a\":\"mode\",\"v\":[\"ltp\",[408065,884737,256265]]}");
    assert_text(lg_ticker_mode(LG_TICK_LTP, one, 1, buf, sizeof buf, &len), buf, &len,
                "{\"a\":\"mode\",\"v\":[\"ltp\",[408065]]}");

    /* refusals */
    assert_int_equal(lg_ticker_subscribe(NULL, 0, buf, sizeof buf, &len), LG_EINVAL);
    assert_int_equal(lg_ticker_unsubscribe(one, 0, buf, sizeof buf, &len), LG_EINVAL);
    assert_int_equal(lg_ticker_mode(LG_TICK_FULL, one, 0, buf, sizeof buf, &len), LG_EINVAL);
    assert_int_equal(lg_ticker_mode((lg_tick_mode_t)0, one, 1, buf, sizeof buf, &len), LG_EINVAL);
    assert_int_equal(lg_ticker_mode((lg_tick_mode_t)4, one, 1, buf, sizeof buf, &len), LG_EINVAL);

    /* small buffers: the text and its NUL must fit */
    const char *want = "{\"a\":\"mode\",\"v\":[\"quote\",[408065,884737,256265]]}";
    size_t need = strlen(want) + 1;
    size_t sub_need = strlen("{\"a\":\"subscribe\",\"v\":[408065,884737,256265]}") + 1;
    for (size_t cap = 0; cap < need; cap++) {
        char small[256];
        assert_int_equal(lg_ticker_mode(LG_TICK_QUOTE, three, 3, small, cap, &len), LG_ENOSPACE);
        if (cap < sub_need) {
            assert_int_equal(lg_ticker_subscribe(three, 3, small, cap, &len), LG_ENOSPACE);
        }
    }
    char exact[64];
    assert_true(need <= sizeof exact);
    assert_text(lg_ticker_mode(LG_TICK_QUOTE, three, 3, exact, need, &len), exact, &len, want);
    assert_int_equal(lg_ticker_subscribe(one, 1, NULL, 0, &len), LG_ENOSPACE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_full),    cmocka_unit_test(test_golden_quote),
        cmocka_unit_test(test_golden_ltp),     cmocka_unit_test(test_heartbeat),
        cmocka_unit_test(test_three_modes),    cmocka_unit_test(test_index_packets),
        cmocka_unit_test(test_units_rounding), cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_encode_limits),  cmocka_unit_test(test_encode_asserts),
        cmocka_unit_test(test_refuses),        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_client_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
