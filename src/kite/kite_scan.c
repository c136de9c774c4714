/*
 * kite_scan.c — the hot path for the ticker's order frames: the decoding of
 * lg_kite_parse_text_frame for {"type":"order","data":{...}}, in one pass over the
 * bytes, without jansson or any allocation (jansson spends ~24 µs on a 1 KB frame; this
 * is the reaction path: frame read -> emergency order).
 *
 * It decides nothing the full decoder would not: it handles a conservative subset and
 * otherwise says "not mine" (false), and the caller runs the full decoder, which gives
 * the authoritative result or the error that names the field. The subset:
 *   - the whole input is valid JSON (checked here: objects, arrays, strings, numbers,
 *     literals, depth <= 32, nothing after the root but whitespace), ASCII only;
 *   - no \u escape anywhere (other escapes only outside the fields read);
 *   - no number literal longer than 40 characters, and no exponent;
 *   - each field read appears once in data, and "type" and "data" once in the root;
 *   - every field read passes the same checks as in kite_orders.c (anything else: the
 *     full decoder reports it).
 * tests/unit/test_kite_scan.c and tests/fuzz/fuzz_order_scan.c hold it to the full
 * decoder: whenever it answers, both answers are identical.
 */
#include "kite_json_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_DEPTH 32
#define NUM_MAX 40

typedef struct span {
    const char *p; /* the value's first byte; NULL: absent */
    size_t n;
    char kind;     /* 's' string (p: its first character, escapes none), 'i' integer,
                      'r' real, 'n' null, 'o' object, 'x' other */
    bool escaped;  /* a string with escapes */
    uint8_t seen;
} span_t;

enum { F_ORDER_ID, F_STATUS, F_TAG, F_MESSAGE, F_TOKEN, F_SIDE, F_OTYPE, F_QTY, F_FILLED,
       F_AVG, F_PRICE, F_TRIGGER, F__COUNT };
static const char *const fields[F__COUNT] = {
    "order_id", "status", "tag", "status_message", "instrument_token", "transaction_type",
    "order_type", "quantity", "filled_quantity", "average_price", "price", "trigger_price"};

typedef struct scan {
    const char *s, *end;
    int depth;
    span_t type, data;      /* the root's */
    span_t f[F__COUNT];     /* data's */
    const char *data_obj;   /* data's opening brace, when it is an object */
} scan_t;

static void ws(scan_t *k) {
    while (k->s < k->end && (*k->s == ' ' || *k->s == '\t' || *k->s == '\n' || *k->s == '\r'))
        k->s++;
}

/* A string at k->s ('"'); *body / *n: its characters between the quotes. */
static bool string(scan_t *k, const char **body, size_t *n, bool *escaped) {
    const char *p = ++k->s;
    *escaped = false;
    while (k->s < k->end) {
        unsigned char c = (unsigned char)*k->s;
        if (c == '"') {
            *body = p;
            *n = (size_t)(k->s - p);
            k->s++;
            return true;
        }
        if (c < 0x20 || c >= 0x80) return false;
        if (c == '\\') {
            if (k->s + 1 >= k->end || strchr("\"\\/bfnrt", k->s[1]) == NULL || k->s[1] == '\0')
                return false; /* \u and anything odd: the full decoder's */
            *escaped = true;
            k->s++;
        }
        k->s++;
    }
    return false;
}

static bool digits(scan_t *k) {
    const char *p = k->s;
    while (k->s < k->end && *k->s >= '0' && *k->s <= '9') k->s++;
    return k->s > p;
}

static bool number(scan_t *k, char *kind) {
    const char *p = k->s;
    if (*k->s == '-') k->s++;
    if (k->s >= k->end) return false;
    if (*k->s == '0') k->s++;
    else if (!digits(k)) return false;
    *kind = 'i';
    if (k->s - p > 18) return false; /* jansson refuses integers past int64 */
    if (k->s < k->end && *k->s == '.') {
        k->s++;
        if (!digits(k)) return false;
        *kind = 'r';
    }
    if (k->s < k->end && (*k->s == 'e' || *k->s == 'E')) return false;
    return k->s - p <= NUM_MAX;
}

static bool literal(scan_t *k, const char *w, char *kind, char as) {
    size_t n = strlen(w);
    if ((size_t)(k->end - k->s) < n || memcmp(k->s, w, n) != 0) return false;
    k->s += n;
    *kind = as;
    return true;
}

static bool value(scan_t *k, span_t *out);

/* After a member or an element: 0 when `close` ends the container, 1 after a comma,
 * -1 for anything else. */
static int after_member(scan_t *k, char close) {
    ws(k);
    if (k->s >= k->end) return -1;
    if (*k->s == close) {
        k->s++;
        return 0;
    }
    if (*k->s != ',') return -1;
    k->s++;
    ws(k);
    return 1;
}

/* An object at k->s ('{'); level 0 is the root, 1 is data. */
static bool object(scan_t *k, int level) {
    k->s++;
    ws(k);
    if (k->s < k->end && *k->s == '}') {
        k->s++;
        return true;
    }
    while (k->s < k->end) {
        if (*k->s != '"') return false;
        const char *key;
        size_t kn;
        bool kesc;
        if (!string(k, &key, &kn, &kesc)) return false;
        ws(k);
        if (k->s >= k->end || *k->s != ':') return false;
        k->s++;
        ws(k);
        span_t *slot = NULL;
        if (!kesc && level == 0 && kn == 4 && memcmp(key, "type", 4) == 0) slot = &k->type;
        if (!kesc && level == 0 && kn == 4 && memcmp(key, "data", 4) == 0) slot = &k->data;
        for (int i = 0; !kesc && level == 1 && slot == NULL && i < F__COUNT; i++)
            if (strlen(fields[i]) == kn && memcmp(key, fields[i], kn) == 0) slot = &k->f[i];
        span_t v;
        bool is_data = slot == &k->data;
        if (is_data && k->s < k->end && *k->s == '{') k->data_obj = k->s;
        if (!value(k, &v)) return false;
        if (slot != NULL) {
            if (slot->seen++) return false; /* a repeated field: the full decoder's */
            uint8_t seen = slot->seen;
            *slot = v;
            slot->seen = seen;
        }
        int more = after_member(k, '}');
        if (more <= 0) return more == 0;
    }
    return false;
}

static bool array(scan_t *k) {
    k->s++;
    ws(k);
    if (k->s < k->end && *k->s == ']') {
        k->s++;
        return true;
    }
    while (k->s < k->end) {
        span_t v;
        if (!value(k, &v)) return false;
        int more = after_member(k, ']');
        if (more <= 0) return more == 0;
    }
    return false;
}

static bool value(scan_t *k, span_t *out) {
    memset(out, 0, sizeof *out);
    if (k->s >= k->end || ++k->depth > SCAN_DEPTH) return false;
    const char *p = k->s;
    bool ok;
    switch (*k->s) {
    case '{': {
        /* data is the root's "data": its fields are level 1; deeper objects are plain */
        int level = k->depth == 1 ? 0 : (k->depth == 2 && p == k->data_obj ? 1 : 2);
        ok = object(k, level);
        out->kind = 'o';
        break;
    }
    case '[': ok = array(k); out->kind = 'x'; break;
    case '"': {
        const char *b;
        size_t n;
        ok = string(k, &b, &n, &out->escaped);
        out->kind = 's';
        out->p = b;
        out->n = n;
        k->depth--;
        return ok;
    }
    case 't': ok = literal(k, "true", &out->kind, 'x'); break;
    case 'f': ok = literal(k, "false", &out->kind, 'x'); break;
    case 'n': ok = literal(k, "null", &out->kind, 'n'); break;
    default: ok = number(k, &out->kind); break;
    }
    out->p = p;
    out->n = (size_t)(k->s - p);
    k->depth--;
    return ok;
}

/* ---- the fields, as kite_orders.c reads them --------------------------------------------- */

static bool str(const span_t *v, bool null_ok, char *out, size_t cap) {
    if (null_ok && (v->p == NULL || v->kind == 'n')) {
        out[0] = '\0';
        return true;
    }
    if (v->p == NULL || v->kind != 's' || v->escaped || v->n >= cap) return false;
    memcpy(out, v->p, v->n);
    out[v->n] = '\0';
    return true;
}

static bool integer(const span_t *v, int64_t lo, int64_t hi, int64_t *out) {
    if (v->p == NULL || v->kind != 'i' || v->n > 18) return false;
    char buf[24];
    memcpy(buf, v->p, v->n);
    buf[v->n] = '\0';
    int64_t x = strtoll(buf, NULL, 10);
    if (x < lo || x > hi) return false;
    *out = x;
    return true;
}

static bool money(const span_t *v, bool optional, lg_paise_t *out) {
    if (optional && (v->p == NULL || v->kind == 'n')) {
        *out = 0;
        return true;
    }
    if (v->p == NULL || (v->kind != 'i' && v->kind != 'r')) return false;
    char buf[NUM_MAX + 1];
    memcpy(buf, v->p, v->n);
    buf[v->n] = '\0';
    double x;
    if (v->kind == 'i') {
        if (v->n > 18) return false;
        long long i = strtoll(buf, NULL, 10);
        if (i < -(long long)LG_KJ_RUPEES_MAX || i > (long long)LG_KJ_RUPEES_MAX) return false;
        x = (double)i;
    } else {
        x = strtod(buf, NULL);
    }
    if (!isfinite(x) || fabs(x) > LG_KJ_RUPEES_MAX) return false;
    *out = (lg_paise_t)llround(x * 100.0);
    return true;
}

static int pick(const span_t *v, const char *const *names, int n) {
    if (v->p == NULL || v->kind != 's' || v->escaped) return -1;
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == v->n && memcmp(names[i], v->p, v->n) == 0) return i;
    return -1;
}

static bool decode(const scan_t *k, lg_adopt_t *out) {
    static const char *const sides[] = {"BUY", "SELL"};
    static const char *const otypes[] = {"MARKET", "LIMIT", "SL", "SL-M"};
    const span_t *f = k->f;
    lg_adopt_t t;
    memset(&t, 0, sizeof t);
    char status[24], msg[LG_STATUS_MSG_MAX * 4];
    int64_t token = 0;
    if (f[F_ORDER_ID].n == 0 || !str(&f[F_ORDER_ID], false, t.u.broker_id, sizeof t.u.broker_id))
        return false;
    if (!str(&f[F_STATUS], false, status, sizeof status) ||
        lg_kstatus_parse(status, &t.u.status) != LG_OK)
        return false;
    if (!str(&f[F_TAG], true, t.u.tag, sizeof t.u.tag)) return false;
    if (!str(&f[F_MESSAGE], true, msg, sizeof msg)) return false;
    lg_kj_copy_text(t.u.message, sizeof t.u.message, msg);
    if (!integer(&f[F_TOKEN], 0, UINT32_MAX, &token)) return false;
    int side = pick(&f[F_SIDE], sides, 2), otype = pick(&f[F_OTYPE], otypes, 4);
    if (side < 0 || otype < 0) return false;
    if (!integer(&f[F_QTY], 0, LG_KJ_QTY_MAX, &t.u.quantity) ||
        !integer(&f[F_FILLED], 0, LG_KJ_QTY_MAX, &t.u.filled) || t.u.filled > t.u.quantity)
        return false;
    if (!money(&f[F_AVG], false, &t.u.avg_price) || !money(&f[F_PRICE], true, &t.price) ||
        !money(&f[F_TRIGGER], true, &t.trigger))
        return false;
    t.token = (uint32_t)token;
    t.side = side == 0 ? 1 : -1;
    t.otype = (uint8_t)otype;
    *out = t;
    return true;
}

bool lg_kite_scan_order_frame(const char *frame, size_t len, lg_adopt_t *order) {
    LG_ASSERT(frame != NULL && order != NULL);
    scan_t k;
    memset(&k, 0, sizeof k);
    k.s = frame;
    k.end = frame + len;
    ws(&k);
    if (k.s >= k.end || *k.s != '{') return false;
    span_t root;
    if (!value(&k, &root)) return false;
    ws(&k);
    if (k.s != k.end) return false; /* something after the root */
    if (k.type.kind != 's' || k.type.escaped || k.type.n != 5 || memcmp(k.type.p, "order", 5) != 0)
        return false;
    if (k.data.kind != 'o') return false;
    return decode(&k, order);
}
