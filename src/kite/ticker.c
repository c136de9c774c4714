/*
 * ticker.c — the Kite ticker's WebSocket frames (include/legato/ticker.h): binary
 * market-data frames decoded into ticks, ticks encoded back into packets and frames
 * (the simulator's side), and the client's text frames (subscribe, unsubscribe, mode).
 *
 * The wire is big-endian and is read and written byte by byte: no struct casts, no
 * alignment assumed. Prices (and an index's change) are signed int32 in the segment's
 * unit; quantities, volume, OI, times and depth order counts are unsigned (uint32,
 * uint16 for orders), as Kite's own clients read them (so times stay right after 2038).
 *
 * Decoding is two passes: the frame's structure is validated whole first, so that a
 * refused frame writes nothing, then the ticks are written. Pure: no I/O, no clock,
 * no allocation.
 */
#include "legato/ticker.h"

#include <string.h>

#define TK_LEN_LTP 8u
#define TK_LEN_IQUOTE 28u
#define TK_LEN_IFULL 32u
#define TK_LEN_QUOTE 44u
#define TK_LEN_FULL 184u

#define TK_SEG_CDS 3u
#define TK_SEG_BCD 6u
#define TK_SEG_INDEX 9u
#define TK_DIV_CDS 100000 /* 1e-7 rupee units per paisa */
#define TK_DIV_BCD 100    /* 1e-4 rupee units per paisa */

#define TK_DEPTH_AT 64u
#define TK_DEPTH_W 12u
#define TK_DEPTH_N 5u
#define TK_MAX_PACKETS 32767u /* int16 N */

/* ---- big-endian reads and writes, byte by byte ---------------------------------- */

static uint32_t rd_u32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int32_t rd_i32(const uint8_t *p) {
    uint32_t u = rd_u32(p);
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

static uint16_t rd_u16(const uint8_t *p) {
    return (uint16_t)((unsigned)p[0] << 8 | (unsigned)p[1]);
}

static int16_t rd_i16(const uint8_t *p) {
    uint16_t u = rd_u16(p);
    return u <= (uint16_t)INT16_MAX ? (int16_t)u : (int16_t)(-(int16_t)(uint16_t)~u - 1);
}

static void wr_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void wr_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* ---- segments and units ---------------------------------------------------------- */

static uint32_t tk_segment(uint32_t token) { return token & 0xFFu; }

/* Segment units per paisa: CDS and BCD prices are finer than paise. */
static int64_t tk_divisor(uint32_t token) {
    uint32_t seg = tk_segment(token);
    if (seg == TK_SEG_CDS) return TK_DIV_CDS;
    if (seg == TK_SEG_BCD) return TK_DIV_BCD;
    return 1;
}

/* Segment units to paise, rounded half away from zero. */
static lg_paise_t tk_to_paise(int32_t raw, int64_t div) {
    LG_ASSERT(div >= 1);
    int64_t q = (int64_t)raw / div;
    int64_t r = (int64_t)raw % div;
    int64_t ar = r < 0 ? -r : r;
    if (2 * ar >= div) q += raw < 0 ? -1 : 1;
    return q;
}

/* ---- decoding --------------------------------------------------------------------- */

static bool tk_len_known(int32_t plen) {
    return plen == (int32_t)TK_LEN_LTP || plen == (int32_t)TK_LEN_IQUOTE ||
           plen == (int32_t)TK_LEN_IFULL || plen == (int32_t)TK_LEN_QUOTE ||
           plen == (int32_t)TK_LEN_FULL;
}

/* Index layouts (28, 32) only for segment 9, tradable ones (44, 184) never; ltp both. */
static bool tk_layout_fits(const uint8_t *p, uint32_t plen) {
    bool index = tk_segment(rd_u32(p)) == TK_SEG_INDEX;
    if (plen == TK_LEN_IQUOTE || plen == TK_LEN_IFULL) return index;
    if (plen == TK_LEN_QUOTE || plen == TK_LEN_FULL) return !index;
    return plen == TK_LEN_LTP;
}

/* Walks a (non-heartbeat) frame's structure, writing nothing: LG_OK with *count, or
 * LG_EPARSE. Invariant: at <= len. */
static int tk_validate(const uint8_t *frame, size_t len, uint32_t *count) {
    if (len < 2) return LG_EPARSE;
    int16_t npk = rd_i16(frame);
    if (npk < 0) return LG_EPARSE;
    size_t at = 2;
    for (int32_t i = 0; i < (int32_t)npk; i++) {
        if (len - at < 2) return LG_EPARSE;
        int16_t plen = rd_i16(frame + at);
        at += 2;
        if (!tk_len_known(plen)) return LG_EPARSE;
        if (len - at < (size_t)plen) return LG_EPARSE;
        if (!tk_layout_fits(frame + at, (uint32_t)plen)) return LG_EPARSE;
        at += (size_t)plen;
    }
    if (at != len) return LG_EPARSE;
    *count = (uint32_t)npk;
    return LG_OK;
}

static void tk_decode_depth(const uint8_t *p, int64_t div, lg_depth_t *d) {
    d->qty = (int64_t)rd_u32(p);
    d->price = tk_to_paise(rd_i32(p + 4), div);
    d->orders = (int32_t)rd_u16(p + 8);
}

static void tk_decode_index(const uint8_t *p, uint32_t plen, lg_tick_t *t) {
    t->mode = plen == TK_LEN_IFULL ? LG_TICK_FULL : LG_TICK_QUOTE;
    t->high = rd_i32(p + 8); /* segment 9: already paise */
    t->low = rd_i32(p + 12);
    t->open = rd_i32(p + 16);
    t->close = rd_i32(p + 20);
    t->change = rd_i32(p + 24);
    if (plen == TK_LEN_IFULL) t->exchange_time = (int64_t)rd_u32(p + 28);
}

static void tk_decode_quote(const uint8_t *p, uint32_t plen, int64_t div, lg_tick_t *t) {
    t->mode = plen == TK_LEN_FULL ? LG_TICK_FULL : LG_TICK_QUOTE;
    t->last_qty = (int64_t)rd_u32(p + 8);
    t->avg_price = tk_to_paise(rd_i32(p + 12), div);
    t->volume = (int64_t)rd_u32(p + 16);
    t->buy_qty = (int64_t)rd_u32(p + 20);
    t->sell_qty = (int64_t)rd_u32(p + 24);
    t->open = tk_to_paise(rd_i32(p + 28), div);
    t->high = tk_to_paise(rd_i32(p + 32), div);
    t->low = tk_to_paise(rd_i32(p + 36), div);
    t->close = tk_to_paise(rd_i32(p + 40), div);
    if (plen != TK_LEN_FULL) return;
    t->last_trade_time = (int64_t)rd_u32(p + 44);
    t->oi = (int64_t)rd_u32(p + 48);
    t->oi_day_high = (int64_t)rd_u32(p + 52);
    t->oi_day_low = (int64_t)rd_u32(p + 56);
    t->exchange_time = (int64_t)rd_u32(p + 60);
    for (uint32_t i = 0; i < TK_DEPTH_N; i++) {
        tk_decode_depth(p + TK_DEPTH_AT + i * TK_DEPTH_W, div, &t->bid[i]);
        tk_decode_depth(p + TK_DEPTH_AT + (TK_DEPTH_N + i) * TK_DEPTH_W, div, &t->ask[i]);
    }
}

/* One validated packet into *t (every field not on the wire is zero). */
static void tk_decode_packet(const uint8_t *p, uint32_t plen, lg_tick_t *t) {
    LG_ASSERT(tk_len_known((int32_t)plen) && tk_layout_fits(p, plen));
    memset(t, 0, sizeof *t);
    t->token = rd_u32(p);
    t->index = tk_segment(t->token) == TK_SEG_INDEX;
    t->tradable = !t->index;
    int64_t div = tk_divisor(t->token);
    t->ltp = tk_to_paise(rd_i32(p + 4), div);
    if (plen == TK_LEN_LTP) {
        t->mode = LG_TICK_LTP;
    } else if (t->index) {
        tk_decode_index(p, plen, t);
    } else {
        tk_decode_quote(p, plen, div, t);
    }
}

int lg_ticker_decode(const uint8_t *frame, size_t len, lg_tick_t *out, uint32_t cap, uint32_t *n,
                     bool *heartbeat) {
    LG_ASSERT(frame != NULL || len == 0);
    LG_ASSERT(out != NULL || cap == 0);
    LG_ASSERT(n != NULL);
    if (len == 1) {
        *n = 0;
        if (heartbeat != NULL) *heartbeat = true;
        return LG_OK;
    }
    uint32_t count = 0;
    int rc = tk_validate(frame, len, &count);
    if (rc != LG_OK) return rc;
    if (count > cap) return LG_ENOSPACE;
    size_t at = 2;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t plen = rd_u16(frame + at);
        at += 2;
        tk_decode_packet(frame + at, plen, &out[i]);
        at += plen;
    }
    LG_ASSERT(at == len);
    *n = count;
    if (heartbeat != NULL) *heartbeat = false;
    return LG_OK;
}

/* ---- encoding --------------------------------------------------------------------- */

/* A packet being written into scratch; ok turns false when a value does not fit. */
typedef struct tk_pk {
    uint8_t *p;
    int64_t div;
    bool ok;
} tk_pk_t;

static void pk_u32(tk_pk_t *w, uint32_t at, int64_t v) {
    if (v < 0 || v > (int64_t)UINT32_MAX) {
        w->ok = false;
        return;
    }
    wr_u32(w->p + at, (uint32_t)v);
}

static void pk_u16(tk_pk_t *w, uint32_t at, int64_t v) {
    if (v < 0 || v > (int64_t)UINT16_MAX) {
        w->ok = false;
        return;
    }
    wr_u16(w->p + at, (uint16_t)v);
}

/* A paise price as a signed int32 in the segment's unit. */
static void pk_price(tk_pk_t *w, uint32_t at, lg_paise_t paise) {
    if (paise > INT32_MAX / w->div || paise < INT32_MIN / w->div) {
        w->ok = false;
        return;
    }
    wr_u32(w->p + at, (uint32_t)(paise * w->div)); /* two's complement on the wire */
}

static void pk_index(tk_pk_t *w, const lg_tick_t *t) {
    pk_price(w, 8, t->high);
    pk_price(w, 12, t->low);
    pk_price(w, 16, t->open);
    pk_price(w, 20, t->close);
    pk_price(w, 24, t->change);
    if (t->mode == LG_TICK_FULL) pk_u32(w, 28, t->exchange_time);
}

static void pk_depth(tk_pk_t *w, uint32_t at, const lg_depth_t *d) {
    pk_u32(w, at, d->qty);
    pk_price(w, at + 4, d->price);
    pk_u16(w, at + 8, d->orders);
    w->p[at + 10] = 0;
    w->p[at + 11] = 0;
}

static void pk_quote(tk_pk_t *w, const lg_tick_t *t) {
    pk_u32(w, 8, t->last_qty);
    pk_price(w, 12, t->avg_price);
    pk_u32(w, 16, t->volume);
    pk_u32(w, 20, t->buy_qty);
    pk_u32(w, 24, t->sell_qty);
    pk_price(w, 28, t->open);
    pk_price(w, 32, t->high);
    pk_price(w, 36, t->low);
    pk_price(w, 40, t->close);
    if (t->mode != LG_TICK_FULL) return;
    pk_u32(w, 44, t->last_trade_time);
    pk_u32(w, 48, t->oi);
    pk_u32(w, 52, t->oi_day_high);
    pk_u32(w, 56, t->oi_day_low);
    pk_u32(w, 60, t->exchange_time);
    for (uint32_t i = 0; i < TK_DEPTH_N; i++) {
        pk_depth(w, TK_DEPTH_AT + i * TK_DEPTH_W, &t->bid[i]);
        pk_depth(w, TK_DEPTH_AT + (TK_DEPTH_N + i) * TK_DEPTH_W, &t->ask[i]);
    }
}

static uint32_t tk_packet_len(uint8_t mode, bool index) {
    if (mode == LG_TICK_LTP) return TK_LEN_LTP;
    if (mode == LG_TICK_QUOTE) return index ? TK_LEN_IQUOTE : TK_LEN_QUOTE;
    return index ? TK_LEN_IFULL : TK_LEN_FULL;
}

int lg_ticker_encode_packet(const lg_tick_t *t, uint8_t *buf, size_t cap, size_t *len) {
    LG_ASSERT(t != NULL && len != NULL);
    LG_ASSERT(buf != NULL || cap == 0);
    LG_ASSERT(t->mode >= LG_TICK_LTP && t->mode <= LG_TICK_FULL);
    bool index = tk_segment(t->token) == TK_SEG_INDEX;
    LG_ASSERT(t->index == index && t->tradable == !index);
    uint32_t plen = tk_packet_len(t->mode, index);
    if (cap < plen) return LG_ENOSPACE;
    uint8_t scratch[TK_LEN_FULL];
    memset(scratch, 0, sizeof scratch);
    tk_pk_t w = {.p = scratch, .div = tk_divisor(t->token), .ok = true};
    wr_u32(scratch, t->token);
    pk_price(&w, 4, t->ltp);
    if (t->mode != LG_TICK_LTP) {
        if (index) {
            pk_index(&w, t);
        } else {
            pk_quote(&w, t);
        }
    }
    if (!w.ok) return LG_ERANGE;
    memcpy(buf, scratch, plen);
    *len = plen;
    return LG_OK;
}

int lg_ticker_encode_frame(const lg_tick_t *t, uint32_t n, uint8_t *buf, size_t cap, size_t *len) {
    LG_ASSERT(t != NULL || n == 0);
    LG_ASSERT(buf != NULL || cap == 0);
    LG_ASSERT(len != NULL);
    LG_ASSERT(n <= TK_MAX_PACKETS);
    if (cap < 2) return LG_ENOSPACE;
    wr_u16(buf, (uint16_t)n);
    size_t at = 2;
    for (uint32_t i = 0; i < n; i++) {
        if (cap - at < 2) return LG_ENOSPACE;
        size_t plen = 0;
        int rc = lg_ticker_encode_packet(&t[i], buf + at + 2, cap - at - 2, &plen);
        if (rc != LG_OK) return rc;
        wr_u16(buf + at, (uint16_t)plen);
        at += 2 + plen;
    }
    *len = at;
    return LG_OK;
}

/* ---- client text frames ------------------------------------------------------------ */

/* Text being written into buf, always leaving room for the NUL; ok false on overflow. */
typedef struct tk_out {
    char *buf;
    size_t cap;
    size_t at;
    bool ok;
} tk_out_t;

static void out_char(tk_out_t *o, char c) {
    if (!o->ok || o->cap - o->at < 2) {
        o->ok = false;
        return;
    }
    o->buf[o->at++] = c;
}

static void out_str(tk_out_t *o, const char *s) {
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) out_char(o, s[i]);
}

static void out_u32(tk_out_t *o, uint32_t v) {
    char digits[10];
    int k = 0;
    do {
        digits[k++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0 && k < (int)sizeof digits);
    LG_ASSERT(v == 0);
    while (k > 0) out_char(o, digits[--k]);
}

static void out_tokens(tk_out_t *o, const uint32_t *tokens, uint32_t n) {
    out_char(o, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0) out_char(o, ',');
        out_u32(o, tokens[i]);
    }
    out_char(o, ']');
}

static int out_finish(tk_out_t *o, size_t *len) {
    if (!o->ok || o->at >= o->cap) return LG_ENOSPACE;
    o->buf[o->at] = '\0';
    *len = o->at;
    return LG_OK;
}

/* {"a":"<action>","v":[tokens]} */
static int tk_action(const char *action, const uint32_t *tokens, uint32_t n, char *buf, size_t cap,
                     size_t *len) {
    LG_ASSERT(tokens != NULL || n == 0);
    LG_ASSERT(buf != NULL || cap == 0);
    LG_ASSERT(len != NULL);
    if (n == 0) return LG_EINVAL;
    tk_out_t o = {.buf = buf, .cap = cap, .at = 0, .ok = true};
    out_str(&o, "{\"a\":\"");
    out_str(&o, action);
    out_str(&o, "\",\"v\":");
    out_tokens(&o, tokens, n);
    out_char(&o, '}');
    return out_finish(&o, len);
}

int lg_ticker_subscribe(const uint32_t *tokens, uint32_t n, char *buf, size_t cap, size_t *len) {
    return tk_action("subscribe", tokens, n, buf, cap, len);
}

int lg_ticker_unsubscribe(const uint32_t *tokens, uint32_t n, char *buf, size_t cap, size_t *len) {
    return tk_action("unsubscribe", tokens, n, buf, cap, len);
}

int lg_ticker_mode(lg_tick_mode_t mode, const uint32_t *tokens, uint32_t n, char *buf, size_t cap,
                   size_t *len) {
    LG_ASSERT(tokens != NULL || n == 0);
    LG_ASSERT(buf != NULL || cap == 0);
    LG_ASSERT(len != NULL);
    const char *name = mode == LG_TICK_LTP     ? "ltp"
                       : mode == LG_TICK_QUOTE ? "quote"
                       : mode == LG_TICK_FULL  ? "full"
                                               : NULL;
    if (n == 0 || name == NULL) return LG_EINVAL;
    tk_out_t o = {.buf = buf, .cap = cap, .at = 0, .ok = true};
    out_str(&o, "{\"a\":\"mode\",\"v\":[\"");
    out_str(&o, name);
    out_str(&o, "\",");
    out_tokens(&o, tokens, n);
    out_str(&o, "]}");
    return out_finish(&o, len);
}
