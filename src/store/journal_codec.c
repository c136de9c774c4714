/*
 * journal_codec.c — the journal's binary codec (format: include/legato/journal.h).
 *
 * Two cursors do all the byte work: a writer that refuses to pass its capacity and a
 * reader that refuses to pass its end; each keeps the first error it meets and turns
 * every later operation into a no-op, so the per-kind functions read as a plain list
 * of fields. Integers are written one byte at a time, least significant first.
 * Decoding fills a zeroed local and copies it out only when the whole input was valid
 * and consumed, so outputs are untouched on error. Encoding checks the same rules as
 * decoding (with LG_EINVAL in place of LG_EPARSE), which keeps the format canonical.
 */
#include "legato/journal.h"

#include <math.h>
#include <string.h>

/* Every string field fits a one-byte length prefix. */
_Static_assert(LG_TAG_MAX + 1 <= 256 && LG_BROKER_ID_MAX <= 256 && LG_STATUS_MSG_MAX <= 256,
               "string fields must fit a u8 length");
/* Every non-POSITIONS item is far below a POSITIONS item with all its rows. */
_Static_assert(4 + 8 + 4 + LG_MAX_LEGS * 22 + 10 < LG_JRNL_MAX, "submit fits LG_JRNL_MAX");
_Static_assert(4 + 8 + 4 + LG_MAX_LEGS * 16 + 35 < LG_JRNL_MAX, "intent fits LG_JRNL_MAX");
_Static_assert(4 + 8 + 3 * 256 + 64 < LG_JRNL_MAX, "strings fit LG_JRNL_MAX");
_Static_assert(LG_EV__COUNT <= 256 && LG_KS__COUNT <= 256, "kinds fit a byte");

#define ROW_BYTES 12u /* u32 token, i64 qty */

/* ---- writer ---------------------------------------------------------------------- */

typedef struct wr {
    uint8_t *p;
    size_t cap, n;
    int err;
} wr_t;

static void wr_fail(wr_t *w, int err) {
    if (w->err == LG_OK) w->err = err;
}

static void put_bytes(wr_t *w, const void *src, size_t n) {
    if (w->err != LG_OK) return;
    if (n > w->cap - w->n) {
        wr_fail(w, LG_ENOSPACE);
        return;
    }
    if (n > 0) memcpy(w->p + w->n, src, n);
    w->n += n;
}

/* The low `width` bytes of v, little-endian. */
static void put_uint(wr_t *w, uint64_t v, unsigned width) {
    LG_ASSERT(width >= 1 && width <= 8);
    uint8_t b[8];
    for (unsigned i = 0; i < width; i++) b[i] = (uint8_t)(v >> (8u * i));
    put_bytes(w, b, width);
}

/* Two's complement, so the low bytes of the uint64 image are the narrow value. */
static void put_int(wr_t *w, int64_t v, unsigned width) { put_uint(w, (uint64_t)v, width); }

static void put_bool(wr_t *w, bool v) { put_uint(w, v ? 1u : 0u, 1); }

/* A double as its IEEE-754 bits: exact, and the same on every machine. NaN and the
 * infinities have no use in the journal and are refused. */
static void put_f64(wr_t *w, double v) {
    if (!isfinite(v)) wr_fail(w, LG_EINVAL);
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    put_uint(w, u, 8);
}

static void put_qty(wr_t *w, lg_qty_t q) {
    if (q < 0) wr_fail(w, LG_EQTY);
    put_int(w, q, 8);
}

/* An enum in [lo, hi] as one signed or unsigned byte. */
static void put_enum(wr_t *w, int v, int lo, int hi) {
    LG_ASSERT(lo >= -128 && hi <= 255 && lo <= hi);
    if (v < lo || v > hi) wr_fail(w, LG_EINVAL);
    put_int(w, v, 1);
}

/* A NUL-terminated string held in a field of `field` bytes. */
static void put_str(wr_t *w, const char *s, size_t field) {
    LG_ASSERT(s != NULL && field >= 1 && field <= 256);
    const char *z = memchr(s, '\0', field);
    if (z == NULL) {
        wr_fail(w, LG_EINVAL);
        return;
    }
    size_t n = (size_t)(z - s);
    put_uint(w, n, 1);
    put_bytes(w, s, n);
}

static void put_header(wr_t *w, lg_jrnl_item_t item, int kind) {
    put_uint(w, LG_JRNL_MAGIC, 1);
    put_uint(w, LG_JRNL_VERSION, 1);
    put_uint(w, (uint64_t)item, 1);
    put_uint(w, (uint64_t)(unsigned)kind, 1);
}

static int wr_done(const wr_t *w, size_t *len) {
    if (w->err != LG_OK) return w->err;
    LG_ASSERT(w->n >= 4 && w->n <= w->cap && w->n <= LG_JRNL_MAX);
    *len = w->n;
    return LG_OK;
}

/* ---- reader ---------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t len, n;
    int err;
} rd_t;

static void rd_fail(rd_t *r, int err) {
    if (r->err == LG_OK) r->err = err;
}

static size_t rd_left(const rd_t *r) { return r->len - r->n; }

static uint64_t get_uint(rd_t *r, unsigned width) {
    LG_ASSERT(width >= 1 && width <= 8);
    if (r->err != LG_OK) return 0;
    if (width > rd_left(r)) {
        rd_fail(r, LG_EPARSE);
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++) v |= (uint64_t)r->p[r->n + i] << (8u * i);
    r->n += width;
    return v;
}

/* Sign-extends a `width`-byte two's complement value. */
static int64_t get_int(rd_t *r, unsigned width) {
    uint64_t u = get_uint(r, width);
    if (width < 8) {
        uint64_t sign = 1ull << (8u * width - 1u);
        u = (u ^ sign) - sign;
    }
    int64_t v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static bool get_bool(rd_t *r) {
    uint64_t v = get_uint(r, 1);
    if (v > 1) rd_fail(r, LG_EPARSE);
    return v == 1;
}

static double get_f64(rd_t *r) {
    uint64_t u = get_uint(r, 8);
    double v;
    memcpy(&v, &u, sizeof v);
    if (!isfinite(v)) rd_fail(r, LG_EPARSE);
    return v;
}

static lg_qty_t get_qty(rd_t *r) {
    int64_t q = get_int(r, 8);
    if (q < 0) rd_fail(r, LG_EQTY);
    return q;
}

/* An enum byte (signed when lo < 0) that must lie in [lo, hi]. */
static int get_enum(rd_t *r, int lo, int hi) {
    LG_ASSERT(lo >= -128 && hi <= 255 && lo <= hi);
    int v = lo < 0 ? (int)get_int(r, 1) : (int)get_uint(r, 1);
    if (r->err != LG_OK) return lo;
    if (v < lo || v > hi) {
        rd_fail(r, LG_EPARSE);
        return lo;
    }
    return v;
}

/* Into a zeroed field of `field` bytes: room for the NUL, no NUL inside. */
static void get_str(rd_t *r, char *dst, size_t field) {
    LG_ASSERT(dst != NULL && field >= 1 && field <= 256);
    size_t n = (size_t)get_uint(r, 1);
    if (r->err != LG_OK) return;
    if (n >= field || n > rd_left(r) || memchr(r->p + r->n, '\0', n) != NULL) {
        rd_fail(r, LG_EPARSE);
        return;
    }
    memcpy(dst, r->p + r->n, n);
    dst[n] = '\0';
    r->n += n;
}

/* Magic, version, item; returns the kind byte. */
static int get_header(rd_t *r, lg_jrnl_item_t item) {
    uint64_t magic = get_uint(r, 1);
    if (r->err == LG_OK && magic != LG_JRNL_MAGIC) rd_fail(r, LG_EPARSE);
    uint64_t version = get_uint(r, 1);
    if (r->err == LG_OK && version == 0) rd_fail(r, LG_EPARSE);
    if (r->err == LG_OK && version > LG_JRNL_VERSION) rd_fail(r, LG_ERANGE);
    uint64_t it = get_uint(r, 1);
    if (r->err == LG_OK && it != (uint64_t)item) rd_fail(r, LG_EPARSE);
    return (int)get_uint(r, 1);
}

/* LG_OK only when everything was valid and every byte consumed. */
static int rd_done(rd_t *r) {
    if (r->err == LG_OK && r->n != r->len) rd_fail(r, LG_EPARSE);
    return r->err;
}

/* ---- events ---------------------------------------------------------------------- */

static void enc_submit(wr_t *w, const lg_group_spec_t *s) {
    if (s->n_legs > LG_MAX_LEGS) {
        wr_fail(w, LG_EINVAL);
        return;
    }
    put_uint(w, s->n_legs, 4);
    for (uint32_t i = 0; i < s->n_legs; i++) {
        const lg_leg_spec_t *l = &s->legs[i];
        put_uint(w, l->token, 4);
        put_int(w, l->side, 1);
        put_int(w, l->covered_by, 1);
        put_qty(w, l->qty);
        put_int(w, l->limit_price, 8);
    }
    put_enum(w, s->policy, -1, LG_POLICY_NAIVE);
    put_enum(w, s->on_incomplete, -1, LG_INCOMPLETE_SHRINK);
    put_int(w, s->entry_timeout_ns, 8);
}

static void dec_submit(rd_t *r, lg_group_spec_t *s) {
    uint64_t n = get_uint(r, 4);
    if (n > LG_MAX_LEGS) {
        rd_fail(r, LG_EPARSE);
        return;
    }
    s->n_legs = (uint32_t)n;
    for (uint32_t i = 0; i < s->n_legs; i++) {
        lg_leg_spec_t *l = &s->legs[i];
        l->token = (uint32_t)get_uint(r, 4);
        l->side = (int8_t)get_int(r, 1);
        l->covered_by = (int8_t)get_int(r, 1);
        l->qty = get_qty(r);
        l->limit_price = get_int(r, 8);
    }
    s->policy = (int8_t)get_enum(r, -1, LG_POLICY_NAIVE);
    s->on_incomplete = (int8_t)get_enum(r, -1, LG_INCOMPLETE_SHRINK);
    s->entry_timeout_ns = get_int(r, 8);
}

static void enc_intent(wr_t *w, const lg_intent_t *it) {
    if (it->n_legs > LG_MAX_LEGS) {
        wr_fail(w, LG_EINVAL);
        return;
    }
    put_uint(w, it->n_legs, 4);
    for (uint32_t i = 0; i < it->n_legs; i++) {
        const lg_intent_leg_t *l = &it->legs[i];
        put_uint(w, l->token, 4);
        put_int(w, l->side, 1);
        put_int(w, l->covered_by, 1);
        put_uint(w, l->ratio, 2);
        put_int(w, l->limit_price, 8);
    }
    put_int(w, it->direction, 1);
    put_enum(w, it->policy, -1, LG_POLICY_NAIVE);
    put_enum(w, it->on_incomplete, -1, LG_INCOMPLETE_SHRINK);
    put_f64(w, it->confidence);
    put_int(w, it->decision_price, 8);
    put_int(w, it->broker_margin, 8);
    put_int(w, it->entry_timeout_ns, 8);
}

static void dec_intent(rd_t *r, lg_intent_t *it) {
    uint64_t n = get_uint(r, 4);
    if (n > LG_MAX_LEGS) {
        rd_fail(r, LG_EPARSE);
        return;
    }
    it->n_legs = (uint32_t)n;
    for (uint32_t i = 0; i < it->n_legs; i++) {
        lg_intent_leg_t *l = &it->legs[i];
        l->token = (uint32_t)get_uint(r, 4);
        l->side = (int8_t)get_int(r, 1);
        l->covered_by = (int8_t)get_int(r, 1);
        l->ratio = (uint16_t)get_uint(r, 2);
        l->limit_price = get_int(r, 8);
    }
    it->direction = (int8_t)get_int(r, 1);
    it->policy = (int8_t)get_enum(r, -1, LG_POLICY_NAIVE);
    it->on_incomplete = (int8_t)get_enum(r, -1, LG_INCOMPLETE_SHRINK);
    it->confidence = get_f64(r);
    it->decision_price = get_int(r, 8);
    it->broker_margin = get_int(r, 8);
    it->entry_timeout_ns = get_int(r, 8);
}

/* CONNECTION: one byte, 0 down, 1 up, 2 down because the session was lost. */
static void enc_connection(wr_t *w, const lg_event_t *ev) {
    if (ev->u.connection.up && ev->u.connection.session_lost) wr_fail(w, LG_EINVAL);
    put_uint(w, ev->u.connection.session_lost ? 2u : ev->u.connection.up ? 1u : 0u, 1);
}

static void dec_connection(rd_t *r, lg_event_t *ev) {
    int v = get_enum(r, 0, 2);
    ev->u.connection.up = v == 1;
    ev->u.connection.session_lost = v == 2;
}

static void enc_error(wr_t *w, const lg_event_t *ev) {
    put_str(w, ev->u.error.tag, sizeof ev->u.error.tag);
    put_bool(w, ev->u.error.definitive);
    put_bool(w, ev->u.error.is_cancel);
    put_bool(w, ev->u.error.is_lookup);
    put_int(w, ev->u.error.http_status, 4);
    put_str(w, ev->u.error.message, sizeof ev->u.error.message);
}

static void dec_error(rd_t *r, lg_event_t *ev) {
    get_str(r, ev->u.error.tag, sizeof ev->u.error.tag);
    ev->u.error.definitive = get_bool(r);
    ev->u.error.is_cancel = get_bool(r);
    ev->u.error.is_lookup = get_bool(r);
    ev->u.error.http_status = (int32_t)get_int(r, 4);
    get_str(r, ev->u.error.message, sizeof ev->u.error.message);
}

static void enc_update(wr_t *w, const lg_order_update_t *u) {
    put_str(w, u->tag, sizeof u->tag);
    put_str(w, u->broker_id, sizeof u->broker_id);
    put_enum(w, (int)u->status, 0, (int)LG_KS__COUNT - 1);
    put_qty(w, u->quantity);
    put_qty(w, u->filled);
    put_int(w, u->avg_price, 8);
    put_str(w, u->message, sizeof u->message);
}

static void dec_update(rd_t *r, lg_order_update_t *u) {
    get_str(r, u->tag, sizeof u->tag);
    get_str(r, u->broker_id, sizeof u->broker_id);
    u->status = (lg_kstatus_t)get_enum(r, 0, (int)LG_KS__COUNT - 1);
    u->quantity = get_qty(r);
    u->filled = get_qty(r);
    u->avg_price = get_int(r, 8);
    get_str(r, u->message, sizeof u->message);
}

static void enc_adopt(wr_t *w, const lg_adopt_t *a) {
    enc_update(w, &a->u);
    put_uint(w, a->token, 4);
    put_int(w, a->side, 1);
    put_enum(w, a->otype, LG_OT_MARKET, LG_OT_SLM);
    put_int(w, a->price, 8);
    put_int(w, a->trigger, 8);
}

static void dec_adopt(rd_t *r, lg_adopt_t *a) {
    dec_update(r, &a->u);
    a->token = (uint32_t)get_uint(r, 4);
    a->side = (int8_t)get_int(r, 1);
    a->otype = (uint8_t)get_enum(r, LG_OT_MARKET, LG_OT_SLM);
    a->price = get_int(r, 8);
    a->trigger = get_int(r, 8);
}

static void enc_positions(wr_t *w, const lg_event_t *ev) {
    uint32_t n = ev->u.positions.n;
    const lg_position_row_t *rows = ev->u.positions.rows;
    if (n > LG_JRNL_MAX_ROWS || (n > 0 && rows == NULL)) {
        wr_fail(w, LG_EINVAL);
        return;
    }
    put_uint(w, n, 4);
    for (uint32_t i = 0; i < n; i++) {
        put_uint(w, rows[i].token, 4);
        put_int(w, rows[i].qty, 8);
    }
}

/* The rows are written only once the rest of the input is known to be exactly them. */
static void dec_positions(rd_t *r, lg_event_t *ev, lg_position_row_t *rows, uint32_t max_rows) {
    uint64_t n = get_uint(r, 4);
    if (r->err != LG_OK) return;
    if (n > LG_JRNL_MAX_ROWS || rd_left(r) != n * ROW_BYTES) {
        rd_fail(r, LG_EPARSE);
        return;
    }
    if (n > max_rows) {
        rd_fail(r, LG_ENOSPACE);
        return;
    }
    for (uint32_t i = 0; i < (uint32_t)n; i++) {
        rows[i].token = (uint32_t)get_uint(r, 4);
        rows[i].qty = get_int(r, 8);
    }
    LG_ASSERT(r->err == LG_OK && rd_left(r) == 0);
    ev->u.positions.n = (uint32_t)n;
    ev->u.positions.rows = rows;
}

static void enc_event_body(wr_t *w, const lg_event_t *ev) {
    switch (ev->kind) {
    case LG_EV_GROUP_SUBMIT: enc_submit(w, &ev->u.submit); break;
    case LG_EV_ORDER_ACK:
        put_str(w, ev->u.ack.tag, sizeof ev->u.ack.tag);
        put_str(w, ev->u.ack.broker_id, sizeof ev->u.ack.broker_id);
        break;
    case LG_EV_ORDER_ERROR: enc_error(w, ev); break;
    case LG_EV_ORDER_UPDATE: enc_update(w, &ev->u.update); break;
    case LG_EV_TICK:
        put_uint(w, ev->u.tick.token, 4);
        put_int(w, ev->u.tick.ltp, 8);
        put_int(w, ev->u.tick.bid, 8);
        put_int(w, ev->u.tick.ask, 8);
        break;
    case LG_EV_TIMER: break;
    case LG_EV_CONTROL:
        put_enum(w, ev->u.control.op, LG_CTL_KILL, LG_CTL_RECOVERED);
        put_uint(w, ev->u.control.group, 4);
        break;
    case LG_EV_POSITIONS: enc_positions(w, ev); break;
    case LG_EV_CONNECTION: enc_connection(w, ev); break;
    case LG_EV_ADOPT: enc_adopt(w, &ev->u.adopt); break;
    case LG_EV_INTENT: enc_intent(w, &ev->u.intent); break;
    case LG_EV_MARGINS:
        put_int(w, ev->u.margins.available, 8);
        put_int(w, ev->u.margins.used, 8);
        break;
    case LG_EV_BAND:
        put_uint(w, ev->u.band.token, 4);
        put_int(w, ev->u.band.lo, 8);
        put_int(w, ev->u.band.hi, 8);
        break;
    case LG_EV_STOP:
        put_uint(w, ev->u.stop.group, 4);
        put_int(w, ev->u.stop.trigger, 8);
        put_int(w, ev->u.stop.limit, 8);
        put_int(w, ev->u.stop.gap, 8);
        put_int(w, ev->u.stop.max_loss, 8);
        break;
    case LG_EV_BASKET:
        put_uint(w, ev->u.basket.group, 4);
        put_int(w, ev->u.basket.asked, 8);
        put_bool(w, ev->u.basket.ok);
        put_int(w, ev->u.basket.initial, 8);
        put_int(w, ev->u.basket.final, 8);
        put_str(w, ev->u.basket.message, sizeof ev->u.basket.message);
        break;
    default: wr_fail(w, LG_EINVAL); break;
    }
}

static void dec_event_body(rd_t *r, lg_event_t *ev, lg_position_row_t *rows, uint32_t max_rows) {
    switch (ev->kind) {
    case LG_EV_GROUP_SUBMIT: dec_submit(r, &ev->u.submit); break;
    case LG_EV_ORDER_ACK:
        get_str(r, ev->u.ack.tag, sizeof ev->u.ack.tag);
        get_str(r, ev->u.ack.broker_id, sizeof ev->u.ack.broker_id);
        break;
    case LG_EV_ORDER_ERROR: dec_error(r, ev); break;
    case LG_EV_ORDER_UPDATE: dec_update(r, &ev->u.update); break;
    case LG_EV_TICK:
        ev->u.tick.token = (uint32_t)get_uint(r, 4);
        ev->u.tick.ltp = get_int(r, 8);
        ev->u.tick.bid = get_int(r, 8);
        ev->u.tick.ask = get_int(r, 8);
        break;
    case LG_EV_TIMER: break;
    case LG_EV_CONTROL:
        ev->u.control.op = get_enum(r, LG_CTL_KILL, LG_CTL_RECOVERED);
        ev->u.control.group = (uint32_t)get_uint(r, 4);
        break;
    case LG_EV_POSITIONS: dec_positions(r, ev, rows, max_rows); break;
    case LG_EV_CONNECTION: dec_connection(r, ev); break;
    case LG_EV_ADOPT: dec_adopt(r, &ev->u.adopt); break;
    case LG_EV_INTENT: dec_intent(r, &ev->u.intent); break;
    case LG_EV_MARGINS:
        ev->u.margins.available = get_int(r, 8);
        ev->u.margins.used = get_int(r, 8);
        break;
    case LG_EV_BAND:
        ev->u.band.token = (uint32_t)get_uint(r, 4);
        ev->u.band.lo = get_int(r, 8);
        ev->u.band.hi = get_int(r, 8);
        break;
    case LG_EV_STOP:
        ev->u.stop.group = (uint32_t)get_uint(r, 4);
        ev->u.stop.trigger = get_int(r, 8);
        ev->u.stop.limit = get_int(r, 8);
        ev->u.stop.gap = get_int(r, 8);
        ev->u.stop.max_loss = get_int(r, 8);
        break;
    case LG_EV_BASKET:
        ev->u.basket.group = (uint32_t)get_uint(r, 4);
        ev->u.basket.asked = get_int(r, 8);
        ev->u.basket.ok = get_bool(r);
        ev->u.basket.initial = get_int(r, 8);
        ev->u.basket.final = get_int(r, 8);
        get_str(r, ev->u.basket.message, sizeof ev->u.basket.message);
        break;
    default: rd_fail(r, LG_EPARSE); break;
    }
}

static bool ev_kind_valid(int k) { return k > (int)LG_EV_NONE && k < (int)LG_EV__COUNT; }

int lg_jrnl_encode_event(const lg_event_t *ev, lg_ns_t at, uint8_t *buf, size_t cap, size_t *len) {
    LG_ASSERT(ev != NULL && buf != NULL && len != NULL);
    if (!ev_kind_valid((int)ev->kind)) return LG_EINVAL;
    wr_t w = {.p = buf, .cap = cap, .n = 0, .err = LG_OK};
    put_header(&w, LG_JRNL_EVENT, (int)ev->kind);
    put_int(&w, at, 8);
    enc_event_body(&w, ev);
    return wr_done(&w, len);
}

int lg_jrnl_decode_event(const uint8_t *buf, size_t len, lg_event_t *ev, lg_ns_t *at,
                         lg_position_row_t *rows, uint32_t max_rows) {
    LG_ASSERT((buf != NULL || len == 0) && ev != NULL && at != NULL);
    LG_ASSERT(rows != NULL || max_rows == 0);
    rd_t r = {.p = buf, .len = len, .n = 0, .err = LG_OK};
    int kind = get_header(&r, LG_JRNL_EVENT);
    lg_ns_t t = get_int(&r, 8);
    if (r.err != LG_OK) return r.err;
    if (!ev_kind_valid(kind)) return LG_EPARSE;
    lg_event_t tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.kind = (lg_ev_kind_t)kind;
    dec_event_body(&r, &tmp, rows, max_rows);
    int rc = rd_done(&r);
    if (rc != LG_OK) return rc;
    memcpy(ev, &tmp, sizeof tmp); /* not `*ev = tmp`: padding must stay zero */
    *at = t;
    return LG_OK;
}

/* ---- records --------------------------------------------------------------------- */

static bool rec_kind_valid(int k) { return k >= (int)LG_REC_GROUP_STATE && k <= (int)LG_REC_SIZING; }

int lg_jrnl_encode_record(const lg_record_t *rec, uint8_t *buf, size_t cap, size_t *len) {
    LG_ASSERT(rec != NULL && buf != NULL && len != NULL);
    if (!rec_kind_valid((int)rec->kind)) return LG_EINVAL;
    wr_t w = {.p = buf, .cap = cap, .n = 0, .err = LG_OK};
    put_header(&w, LG_JRNL_RECORD, (int)rec->kind);
    put_uint(&w, rec->group, 4);
    put_str(&w, rec->tag, sizeof rec->tag);
    put_int(&w, rec->a, 8);
    put_int(&w, rec->b, 8);
    put_int(&w, rec->c, 8);
    return wr_done(&w, len);
}

int lg_jrnl_decode_record(const uint8_t *buf, size_t len, lg_record_t *rec) {
    LG_ASSERT((buf != NULL || len == 0) && rec != NULL);
    rd_t r = {.p = buf, .len = len, .n = 0, .err = LG_OK};
    int kind = get_header(&r, LG_JRNL_RECORD);
    if (r.err != LG_OK) return r.err;
    if (!rec_kind_valid(kind)) return LG_EPARSE;
    lg_record_t tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.kind = (lg_rec_kind_t)kind;
    tmp.group = (uint32_t)get_uint(&r, 4);
    get_str(&r, tmp.tag, sizeof tmp.tag);
    tmp.a = get_int(&r, 8);
    tmp.b = get_int(&r, 8);
    tmp.c = get_int(&r, 8);
    int rc = rd_done(&r);
    if (rc != LG_OK) return rc;
    memcpy(rec, &tmp, sizeof tmp);
    return LG_OK;
}

/* ---- commands -------------------------------------------------------------------- */

/* What the engine emits (a MODIFY is the shell's, never journaled). */
static bool cmd_kind_valid(int k) {
    return (k >= (int)LG_CMD_PLACE && k <= (int)LG_CMD_QUERY_MARGINS) || k == (int)LG_CMD_QUERY_BASKET;
}

int lg_jrnl_encode_cmd(const lg_cmd_t *c, uint8_t *buf, size_t cap, size_t *len) {
    LG_ASSERT(c != NULL && buf != NULL && len != NULL);
    if (!cmd_kind_valid((int)c->kind)) return LG_EINVAL;
    wr_t w = {.p = buf, .cap = cap, .n = 0, .err = LG_OK};
    put_header(&w, LG_JRNL_CMD, (int)c->kind);
    put_bool(&w, c->risk_reducing);
    put_str(&w, c->tag, sizeof c->tag);
    put_str(&w, c->broker_id, sizeof c->broker_id);
    put_uint(&w, c->token, 4);
    put_int(&w, c->side, 1);
    put_enum(&w, c->otype, LG_OT_MARKET, LG_OT_SLM);
    put_int(&w, c->mprot_pct, 2);
    put_qty(&w, c->qty);
    put_int(&w, c->price, 8);
    put_int(&w, c->trigger, 8);
    if (c->kind == LG_CMD_QUERY_BASKET) {
        if (c->n_basket == 0 || c->n_basket > LG_MAX_LEGS) return LG_EINVAL;
        put_uint(&w, c->group, 4);
        put_int(&w, c->asked, 8);
        put_uint(&w, c->n_basket, 1);
        for (uint32_t i = 0; i < c->n_basket; i++) {
            put_uint(&w, c->basket[i].token, 4);
            put_int(&w, c->basket[i].qty, 4);
        }
    }
    return wr_done(&w, len);
}

int lg_jrnl_decode_cmd(const uint8_t *buf, size_t len, lg_cmd_t *c) {
    LG_ASSERT((buf != NULL || len == 0) && c != NULL);
    rd_t r = {.p = buf, .len = len, .n = 0, .err = LG_OK};
    int kind = get_header(&r, LG_JRNL_CMD);
    if (r.err != LG_OK) return r.err;
    if (!cmd_kind_valid(kind)) return LG_EPARSE;
    lg_cmd_t tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.kind = (lg_cmd_kind_t)kind;
    tmp.risk_reducing = get_bool(&r);
    get_str(&r, tmp.tag, sizeof tmp.tag);
    get_str(&r, tmp.broker_id, sizeof tmp.broker_id);
    tmp.token = (uint32_t)get_uint(&r, 4);
    tmp.side = (int8_t)get_int(&r, 1);
    tmp.otype = (uint8_t)get_enum(&r, LG_OT_MARKET, LG_OT_SLM);
    tmp.mprot_pct = (int16_t)get_int(&r, 2);
    tmp.qty = get_qty(&r);
    tmp.price = get_int(&r, 8);
    tmp.trigger = get_int(&r, 8);
    if (tmp.kind == LG_CMD_QUERY_BASKET) {
        tmp.group = (uint32_t)get_uint(&r, 4);
        tmp.asked = get_int(&r, 8);
        tmp.n_basket = (uint32_t)get_uint(&r, 1);
        if (tmp.n_basket == 0 || tmp.n_basket > LG_MAX_LEGS) rd_fail(&r, LG_EPARSE);
        for (uint32_t i = 0; i < tmp.n_basket && r.err == LG_OK; i++) {
            tmp.basket[i].token = (uint32_t)get_uint(&r, 4);
            tmp.basket[i].qty = (int32_t)get_int(&r, 4);
        }
    }
    int rc = rd_done(&r);
    if (rc != LG_OK) return rc;
    memcpy(c, &tmp, sizeof tmp);
    return LG_OK;
}

/* ---- fingerprints ---------------------------------------------------------------- */

uint64_t lg_jrnl_hash(const uint8_t *buf, size_t len) {
    LG_ASSERT(buf != NULL || len == 0);
    uint64_t h = 14695981039346656037ull; /* FNV-1a 64 offset basis */
    for (size_t i = 0; i < len; i++) {
        h ^= buf[i];
        h *= 1099511628211ull; /* FNV 64 prime */
    }
    return h;
}
