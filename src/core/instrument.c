/*
 * instrument.c — the instrument master: the freeze-quantity table, the instrument
 * table with its token index, the Kite instruments-CSV loader, civil-date
 * arithmetic and the tick check.
 *
 * Pure: parsing works on caller-owned buffers (reading files is the shell's job);
 * lg_instruments_init is the only allocation. The token index is open addressing
 * with linear probing over a power-of-two slot array at least twice the capacity,
 * so a probe always meets an empty slot; entries are never moved or deleted, except
 * that a failed CSV load takes back exactly the rows it added (their slots were
 * empty before it began), so a bad file leaves the table as it was.
 *
 * CSV (GET /instruments): instrument_token, exchange_token, tradingsymbol, name,
 * last_price, expiry, strike, tick_size, lot_size, instrument_type, segment,
 * exchange. Optional header (checked column by column when present), optional UTF-8
 * byte-order mark, LF or CRLF, RFC 4180 double-quoted fields. Only NFO-OPT (CE/PE)
 * and NFO-FUT (FUT) rows are loaded; rows of other segments are counted as skipped
 * without further checks. Prices are decimal text converted to paise exactly (no
 * floating point): "23500.0" -> 2350000, "0.05" -> 5; more than two decimals must be
 * zeros. Every bad row is LG_EPARSE (a full table LG_EPOOL_FULL) with a message
 * naming the line and the field, e.g. "instruments line 7: lot_size '0' must be > 0".
 * An empty name column is derived from the tradingsymbol: its leading upper-case
 * letters (and '&' / '-', as in M&M or BAJAJ-AUTO) up to the first digit.
 */
#include "legato/instrument.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LG_INSTRUMENTS_CAP_MAX (1u << 24)
#define FREEZE_QTY_MAX 1000000000LL
#define INT_DIGITS_MAX 15 /* integer digits accepted in numbers: far from overflow */
#define FRAC_DIGITS_MAX 8
#define QUOTE_MAX 40      /* field text quoted in error messages */

/* ---- small text helpers ----------------------------------------------------------- */

/* A piece of a caller's buffer; quoted fields keep their inner text raw ("" doubled). */
typedef struct span {
    const char *p;
    size_t n;
    bool quoted;
} span_t;

static bool span_is(span_t s, const char *lit) {
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static int qlen(span_t s) {
    return (int)LG_MIN(s.n, (size_t)QUOTE_MAX);
}

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

static bool is_space(char c) {
    return c == ' ' || c == '\t';
}

static span_t span_trim(span_t s) {
    size_t b = 0, e = s.n;
    while (b < e && is_space(s.p[b])) b++;
    while (e > b && is_space(s.p[e - 1])) e--;
    return (span_t){s.p + b, e - b, s.quoted};
}

/* The next line at *pos (without its '\n' or a trailing '\r'); false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, span_t *line) {
    if (*pos >= len) return false;
    const char *start = text + *pos;
    const char *nl = memchr(start, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - start) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n > 0 && start[n - 1] == '\r') n--;
    *line = (span_t){start, n, false};
    return true;
}

/* Copies s into dst, undoing "" escapes of a quoted field. False if it does not fit
 * (with its NUL) or holds a NUL byte. */
static bool span_copy(char *dst, size_t cap, span_t s) {
    size_t o = 0;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c == '\0' || o + 1 >= cap) return false;
        if (s.quoted && c == '"') i++; /* "" inside quotes is one quote */
        dst[o++] = c;
    }
    dst[o] = '\0';
    return true;
}

/* ---- numbers ---------------------------------------------------------------------- */

/* Whole decimal number with an optional leading '-'. */
static bool parse_int(span_t s, int64_t *v) {
    size_t i = (s.n > 0 && s.p[0] == '-') ? 1 : 0;
    if (s.n == i || s.n - i > INT_DIGITS_MAX) return false;
    int64_t acc = 0;
    for (size_t k = i; k < s.n; k++) {
        if (!is_digit(s.p[k])) return false;
        acc = acc * 10 + (s.p[k] - '0');
    }
    *v = i ? -acc : acc;
    return true;
}

static bool parse_u32(span_t s, uint32_t *v) {
    int64_t x;
    if (s.n == 0 || s.p[0] == '-' || !parse_int(s, &x) || x > (int64_t)UINT32_MAX) return false;
    *v = (uint32_t)x;
    return true;
}

enum { PAISE_OK = 0, PAISE_SYNTAX, PAISE_FRACTION };

/* Paise from the fraction digits after '.': two significant, the rest must be '0'. */
static int frac_paise(span_t f, int64_t *paise) {
    if (f.n == 0 || f.n > FRAC_DIGITS_MAX) return PAISE_SYNTAX;
    int64_t p = 0;
    for (size_t k = 0; k < f.n; k++) {
        if (!is_digit(f.p[k])) return PAISE_SYNTAX;
        if (k < 2) p = p * 10 + (f.p[k] - '0');
        else if (f.p[k] != '0') return PAISE_FRACTION;
    }
    *paise = f.n == 1 ? p * 10 : p;
    return PAISE_OK;
}

/* Rupees as decimal text ("23500.0", "0.05", "-1", "12") to paise, exactly. */
static int parse_paise(span_t s, lg_paise_t *v) {
    const char *dot = memchr(s.p, '.', s.n);
    span_t whole = {s.p, dot ? (size_t)(dot - s.p) : s.n, false};
    int64_t rupees, paise = 0;
    if (whole.n == 0 || (whole.n == 1 && whole.p[0] == '-') || !parse_int(whole, &rupees)) {
        return PAISE_SYNTAX;
    }
    if (dot != NULL) {
        span_t frac = {dot + 1, s.n - whole.n - 1, false};
        int rc = frac_paise(frac, &paise);
        if (rc != PAISE_OK) return rc;
    }
    *v = rupees * 100 + (whole.p[0] == '-' ? -paise : paise);
    return PAISE_OK;
}

/* ---- dates -------------------------------------------------------------------------- */

/* Howard Hinnant's days_from_civil: proleptic Gregorian, eras of 400 years. */
int32_t lg_days_from_civil(int y, int m, int d) {
    LG_ASSERT(m >= 1 && m <= 12 && d >= 1 && d <= 31);
    LG_ASSERT(y >= -1000000 && y <= 1000000);
    int64_t yy = (int64_t)y - (m <= 2 ? 1 : 0);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;                                 /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
    int64_t days = era * 146097 + doe - 719468;
    LG_ASSERT(days >= INT32_MIN && days <= INT32_MAX);
    return (int32_t)days;
}

/* Howard Hinnant's civil_from_days, the inverse of the above. */
void lg_civil_from_days(int32_t days, int *y, int *m, int *d) {
    LG_ASSERT(y != NULL && m != NULL && d != NULL);
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (mm <= 2 ? 1 : 0));
    *m = (int)mm;
    *d = (int)dd;
    LG_ASSERT(*m >= 1 && *m <= 12 && *d >= 1 && *d <= 31);
}

static int days_in_month(int y, int m) {
    static const int8_t dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return (m == 2 && leap) ? 29 : dim[m - 1];
}

/* Strict "YYYY-MM-DD" of a real calendar day. */
static bool parse_date(span_t s, int32_t *days) {
    if (s.n != 10 || s.p[4] != '-' || s.p[7] != '-') return false;
    int64_t y, m, d;
    span_t ys = {s.p, 4, false}, ms = {s.p + 5, 2, false}, ds = {s.p + 8, 2, false};
    if (s.p[0] == '-' || s.p[5] == '-' || s.p[8] == '-') return false;
    if (!parse_int(ys, &y) || !parse_int(ms, &m) || !parse_int(ds, &d)) return false;
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days_in_month((int)y, (int)m)) return false;
    *days = lg_days_from_civil((int)y, (int)m, (int)d);
    return true;
}

bool lg_price_on_tick(const lg_instrument_t *ins, lg_paise_t price) {
    LG_ASSERT(ins != NULL && ins->tick > 0);
    return price > 0 && price % ins->tick == 0;
}

/* ---- freeze table --------------------------------------------------------------------- */

static bool underlying_char(char c) {
    return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '&' || c == '-';
}

static bool underlying_ok(span_t s) {
    if (s.n == 0 || s.n >= LG_UNDERLYING_MAX) return false;
    for (size_t i = 0; i < s.n; i++) {
        if (!underlying_char(s.p[i])) return false;
    }
    return true;
}

lg_qty_t lg_freeze_lookup(const lg_freeze_table_t *t, const char *underlying) {
    LG_ASSERT(t != NULL && underlying != NULL);
    LG_ASSERT(t->n <= LG_FREEZE_MAX_ROWS);
    for (uint32_t i = 0; i < t->n; i++) {
        if (strncmp(t->rows[i].underlying, underlying, LG_UNDERLYING_MAX) == 0) {
            return t->rows[i].freeze;
        }
    }
    return 0;
}

static bool has_digit(span_t s) {
    for (size_t i = 0; i < s.n; i++) {
        if (is_digit(s.p[i])) return true;
    }
    return false;
}

/* A line without its comment and surrounding blanks. */
static span_t freeze_content(span_t line) {
    const char *hash = memchr(line.p, '#', line.n);
    if (hash != NULL) line.n = (size_t)(hash - line.p);
    return span_trim(line);
}

/* One "underlying,freeze_qty" line into t. *header: the line may still be a header. */
static int freeze_row(lg_freeze_table_t *t, span_t line, uint32_t no, bool *header,
                      char *err, size_t errcap) {
    const char *comma = memchr(line.p, ',', line.n);
    if (comma == NULL || memchr(comma + 1, ',', line.n - (size_t)(comma - line.p) - 1)) {
        (void)lg_errf(err, errcap, LG_OK, "freeze line %u: expected 'underlying,freeze_qty', got '%.*s'",
                no, qlen(line), line.p);
        return LG_EPARSE;
    }
    span_t name = span_trim((span_t){line.p, (size_t)(comma - line.p), false});
    span_t qty = span_trim((span_t){comma + 1, (size_t)(line.p + line.n - comma - 1), false});
    bool was_first = *header;
    *header = false;
    if (was_first && !has_digit(qty)) return LG_OK; /* a header line: "underlying,freeze_qty" */
    int64_t q;
    if (!parse_int(qty, &q) || q <= 0 || q > FREEZE_QTY_MAX) {
        (void)lg_errf(err, errcap, LG_OK, "freeze line %u: freeze_qty '%.*s' must be a whole number in 1..%lld",
                no, qlen(qty), qty.p, (long long)FREEZE_QTY_MAX);
        return LG_EPARSE;
    }
    if (!underlying_ok(name)) {
        (void)lg_errf(err, errcap, LG_OK, "freeze line %u: underlying '%.*s' must be 1..%d of A-Z 0-9 & -", no,
                qlen(name), name.p, LG_UNDERLYING_MAX - 1);
        return LG_EPARSE;
    }
    char key[LG_UNDERLYING_MAX];
    bool fits = span_copy(key, sizeof key, name);
    LG_ASSERT(fits); /* underlying_ok checked the length */
    if (lg_freeze_lookup(t, key) != 0) {
        (void)lg_errf(err, errcap, LG_OK, "freeze line %u: underlying '%s' appears twice", no, key);
        return LG_EPARSE;
    }
    if (t->n == LG_FREEZE_MAX_ROWS) {
        (void)lg_errf(err, errcap, LG_OK, "freeze line %u: more than %d rows", no, LG_FREEZE_MAX_ROWS);
        return LG_ENOSPACE;
    }
    memcpy(t->rows[t->n].underlying, key, sizeof key);
    t->rows[t->n].freeze = q;
    t->n++;
    return LG_OK;
}

int lg_freeze_table_parse(lg_freeze_table_t *t, const char *text, size_t len, char *err,
                          size_t errcap) {
    LG_ASSERT(t != NULL && (text != NULL || len == 0));
    lg_freeze_table_t tmp;
    memset(&tmp, 0, sizeof tmp);
    size_t pos = 0;
    uint32_t no = 0;
    bool header = true; /* the first content line may be a header */
    span_t line;
    while (no < UINT32_MAX && next_line(text, len, &pos, &line)) { /* pos grows each time */
        no++;
        if (memchr(line.p, '\0', line.n) != NULL) {
            (void)lg_errf(err, errcap, LG_OK, "freeze line %u: NUL byte", no);
            return LG_EPARSE;
        }
        span_t c = freeze_content(line);
        if (c.n == 0) continue;
        int rc = freeze_row(&tmp, c, no, &header, err, errcap);
        if (rc != LG_OK) return rc;
    }
    *t = tmp;
    (void)lg_errf(err, errcap, LG_OK, "%s", "");
    return LG_OK;
}

/* ---- instrument table ----------------------------------------------------------------- */

/* lowbias32 (Wellons): Kite tokens share their low byte (the segment), so mix well. */
static uint32_t token_hash(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

int lg_instruments_init(lg_instruments_t *m, uint32_t cap) {
    LG_ASSERT(m != NULL);
    memset(m, 0, sizeof *m);
    if (cap == 0 || cap > LG_INSTRUMENTS_CAP_MAX) return LG_EINVAL;
    uint32_t nslots = 2;
    while (nslots < 2 * cap) nslots *= 2; /* at most 26 doublings */
    m->items = calloc(cap, sizeof *m->items);
    m->slots = calloc(nslots, sizeof *m->slots);
    if (m->items == NULL || m->slots == NULL) {
        lg_instruments_free(m);
        return LG_ENOSPACE;
    }
    m->cap = cap;
    m->nslots = nslots;
    return LG_OK;
}

void lg_instruments_free(lg_instruments_t *m) {
    LG_ASSERT(m != NULL);
    free(m->items);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* The slot holding token, or the empty slot where it would go. */
static uint32_t token_slot(const lg_instruments_t *m, uint32_t token) {
    LG_ASSERT(m->nslots >= 2 && (m->nslots & (m->nslots - 1)) == 0);
    uint32_t mask = m->nslots - 1;
    uint32_t i = token_hash(token) & mask;
    for (uint32_t k = 0; k < m->nslots; k++) {
        uint32_t v = m->slots[i];
        if (v == 0 || m->items[v - 1].token == token) return i;
        i = (i + 1) & mask;
    }
    lg_assert_fail("token index has no empty slot", __FILE__, __LINE__); /* load <= 1/2 makes this impossible */
    return 0;
}

const lg_instrument_t *lg_instruments_find(const lg_instruments_t *m, uint32_t token) {
    LG_ASSERT(m != NULL);
    if (m->nslots == 0) return NULL;
    uint32_t v = m->slots[token_slot(m, token)];
    return v == 0 ? NULL : &m->items[v - 1];
}

const lg_instrument_t *lg_instruments_find_symbol(const lg_instruments_t *m,
                                                  const char *symbol) {
    LG_ASSERT(m != NULL && symbol != NULL);
    LG_ASSERT(m->n <= m->cap);
    for (uint32_t i = 0; i < m->n; i++) {
        if (strncmp(m->items[i].symbol, symbol, LG_SYMBOL_MAX) == 0) return &m->items[i];
    }
    return NULL;
}

static bool text_field_ok(const char *s, size_t cap) {
    size_t n = strnlen(s, cap);
    return n > 0 && n < cap;
}

static int instrument_check(const lg_instrument_t *ins) {
    if (!text_field_ok(ins->symbol, sizeof ins->symbol)) return LG_EINVAL;
    if (!text_field_ok(ins->underlying, sizeof ins->underlying)) return LG_EINVAL;
    if (ins->kind != LG_KIND_CE && ins->kind != LG_KIND_PE && ins->kind != LG_KIND_FUT) {
        return LG_EINVAL;
    }
    if (ins->lot <= 0 || ins->freeze < ins->lot) return LG_EQTY;
    if (ins->tick <= 0 || ins->strike < 0) return LG_EPRICE;
    return LG_OK;
}

int lg_instruments_add(lg_instruments_t *m, const lg_instrument_t *ins) {
    LG_ASSERT(m != NULL && ins != NULL);
    LG_ASSERT(m->items != NULL && m->n <= m->cap);
    int rc = instrument_check(ins);
    if (rc != LG_OK) return rc;
    uint32_t slot = token_slot(m, ins->token);
    if (m->slots[slot] != 0) return LG_EINVAL; /* token already present */
    if (m->n == m->cap) return LG_EPOOL_FULL;
    m->items[m->n] = *ins;
    m->n++;
    m->slots[slot] = m->n;
    LG_ASSERT(lg_instruments_find(m, ins->token) == &m->items[m->n - 1]);
    return LG_OK;
}

/* Takes back every item from index n0 on (a failed load). Their slots were empty
 * before they were added and entries never move, so clearing them restores the
 * index exactly. */
static void instruments_truncate(lg_instruments_t *m, uint32_t n0) {
    LG_ASSERT(n0 <= m->n);
    for (uint32_t i = 0; i < m->nslots; i++) {
        if (m->slots[i] > n0) m->slots[i] = 0;
    }
    memset(&m->items[n0], 0, (size_t)(m->n - n0) * sizeof *m->items);
    m->n = n0;
}

/* ---- Kite instruments CSV ---------------------------------------------------------------- */

enum {
    C_TOKEN, C_EXTOKEN, C_SYMBOL, C_NAME, C_LAST, C_EXPIRY, C_STRIKE, C_TICK, C_LOT,
    C_TYPE, C_SEGMENT, C_EXCHANGE, C_COUNT
};

static const char *const csv_columns[C_COUNT] = {
    "instrument_token", "exchange_token", "tradingsymbol", "name", "last_price", "expiry",
    "strike", "tick_size", "lot_size", "instrument_type", "segment", "exchange"};

/* One field starting at *i (RFC 4180 quoting); moves *i past it. False if a quoted
 * field is unterminated or followed by anything but a comma. */
static bool csv_field(span_t line, size_t *i, span_t *f) {
    if (*i < line.n && line.p[*i] == '"') {
        size_t b = *i + 1, k = b;
        while (k < line.n && !(line.p[k] == '"' && (k + 1 >= line.n || line.p[k + 1] != '"'))) {
            k += (line.p[k] == '"') ? 2 : 1;
        }
        if (k >= line.n) return false;
        *f = (span_t){line.p + b, k - b, true};
        *i = k + 1;
        return *i >= line.n || line.p[*i] == ',';
    }
    const char *comma = memchr(line.p + *i, ',', line.n - *i);
    size_t e = comma ? (size_t)(comma - line.p) : line.n;
    *f = (span_t){line.p + *i, e - *i, false};
    *i = e;
    return true;
}

/* Splits a line into fields; *nf counts all of them (only the first max are stored). */
static bool csv_split(span_t line, span_t *f, uint32_t max, uint32_t *nf) {
    size_t i = 0;
    uint32_t n = 0;
    for (size_t guard = 0; guard <= line.n; guard++) { /* n fields need n - 1 commas */
        span_t x;
        if (!csv_field(line, &i, &x)) return false;
        if (n < max) f[n] = x;
        n++;
        if (i >= line.n) break;
        i++; /* the comma */
    }
    *nf = n;
    return true;
}

typedef struct csv_ctx {
    const lg_freeze_table_t *freeze;
    uint32_t line;
    char *err;
    size_t errcap;
} csv_ctx_t;

static int row_fail(const csv_ctx_t *c, const char *fmt, ...) {
    if (c->err == NULL || c->errcap == 0) return LG_EPARSE;
    int k = snprintf(c->err, c->errcap, "instruments line %u: ", c->line);
    if (k < 0 || (size_t)k >= c->errcap) return LG_EPARSE;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + k, c->errcap - (size_t)k, fmt, ap);
    va_end(ap);
    return LG_EPARSE;
}

static int check_header(const csv_ctx_t *c, const span_t *f) {
    for (int k = 0; k < C_COUNT; k++) {
        if (!span_is(span_trim(f[k]), csv_columns[k])) {
            return row_fail(c, "header column %d is '%.*s', expected '%s'", k + 1, qlen(f[k]),
                            f[k].p, csv_columns[k]);
        }
    }
    return LG_OK;
}

/* Kind of an NFO row; 0 for a row of another segment (skipped). */
static int row_kind(const csv_ctx_t *c, const span_t *f, lg_kind_t *kind) {
    span_t seg = f[C_SEGMENT], type = f[C_TYPE];
    bool opt = span_is(seg, "NFO-OPT"), fut = span_is(seg, "NFO-FUT");
    if (!opt && !fut) return 0;
    if (opt && span_is(type, "CE")) *kind = LG_KIND_CE;
    else if (opt && span_is(type, "PE")) *kind = LG_KIND_PE;
    else if (fut && span_is(type, "FUT")) *kind = LG_KIND_FUT;
    else {
        return row_fail(c, "instrument_type '%.*s' is not %s for segment %.*s", qlen(type),
                        type.p, opt ? "CE or PE" : "FUT", qlen(seg), seg.p);
    }
    if (!span_is(f[C_EXCHANGE], "NFO")) {
        return row_fail(c, "exchange '%.*s' must be NFO for segment %.*s", qlen(f[C_EXCHANGE]),
                        f[C_EXCHANGE].p, qlen(seg), seg.p);
    }
    return 1;
}

/* Underlying from the name column, or from the symbol's leading letters. */
static int row_underlying(const csv_ctx_t *c, const span_t *f, lg_instrument_t *ins) {
    span_t name = f[C_NAME];
    if (name.n == 0) {
        span_t sym = f[C_SYMBOL];
        size_t k = 0;
        while (k < sym.n && (underlying_char(sym.p[k]) && !is_digit(sym.p[k]))) k++;
        if (k == 0 || k == sym.n || !is_digit(sym.p[k])) {
            return row_fail(c, "name is empty and no underlying in tradingsymbol '%.*s'",
                            qlen(sym), sym.p);
        }
        name = (span_t){sym.p, k, false};
    }
    if (!span_copy(ins->underlying, sizeof ins->underlying, name) || !underlying_ok(name)) {
        return row_fail(c, "name '%.*s' must be 1..%d of A-Z 0-9 & -", qlen(name), name.p,
                        LG_UNDERLYING_MAX - 1);
    }
    return LG_OK;
}

static int row_ids(const csv_ctx_t *c, const span_t *f, lg_instrument_t *ins) {
    if (!parse_u32(f[C_TOKEN], &ins->token)) {
        return row_fail(c, "instrument_token '%.*s' is not a 32-bit unsigned integer",
                        qlen(f[C_TOKEN]), f[C_TOKEN].p);
    }
    if (f[C_SYMBOL].n == 0 || !span_copy(ins->symbol, sizeof ins->symbol, f[C_SYMBOL])) {
        return row_fail(c, "tradingsymbol '%.*s' must be 1..%d characters", qlen(f[C_SYMBOL]),
                        f[C_SYMBOL].p, LG_SYMBOL_MAX - 1);
    }
    return row_underlying(c, f, ins);
}

static int row_price(const csv_ctx_t *c, span_t s, const char *field, lg_paise_t *v) {
    int rc = parse_paise(s, v);
    if (rc == PAISE_FRACTION) {
        return row_fail(c, "%s '%.*s' is not a whole number of paise", field, qlen(s), s.p);
    }
    if (rc != PAISE_OK) {
        return row_fail(c, "%s '%.*s' is not a decimal number", field, qlen(s), s.p);
    }
    return LG_OK;
}

static int row_numbers(const csv_ctx_t *c, const span_t *f, lg_instrument_t *ins) {
    if (!parse_date(f[C_EXPIRY], &ins->expiry_day)) {
        return row_fail(c, "expiry '%.*s' is not a YYYY-MM-DD date", qlen(f[C_EXPIRY]),
                        f[C_EXPIRY].p);
    }
    if (row_price(c, f[C_STRIKE], "strike", &ins->strike) != LG_OK) return LG_EPARSE;
    if (ins->strike < 0) {
        return row_fail(c, "strike '%.*s' must be >= 0", qlen(f[C_STRIKE]), f[C_STRIKE].p);
    }
    if (row_price(c, f[C_TICK], "tick_size", &ins->tick) != LG_OK) return LG_EPARSE;
    if (ins->tick <= 0) {
        return row_fail(c, "tick_size '%.*s' must be > 0", qlen(f[C_TICK]), f[C_TICK].p);
    }
    int64_t lot;
    if (!parse_int(f[C_LOT], &lot)) {
        return row_fail(c, "lot_size '%.*s' is not a whole number", qlen(f[C_LOT]), f[C_LOT].p);
    }
    if (lot <= 0) return row_fail(c, "lot_size '%.*s' must be > 0", qlen(f[C_LOT]), f[C_LOT].p);
    ins->lot = lot;
    return LG_OK;
}

static int row_freeze(const csv_ctx_t *c, lg_instrument_t *ins) {
    ins->freeze = lg_freeze_lookup(c->freeze, ins->underlying);
    if (ins->freeze == 0) {
        return row_fail(c, "no freeze quantity for underlying '%s' (%s)", ins->underlying,
                        ins->symbol);
    }
    if (ins->freeze < ins->lot) {
        return row_fail(c, "freeze quantity %lld of %s is below lot_size %lld",
                        (long long)ins->freeze, ins->underlying, (long long)ins->lot);
    }
    return LG_OK;
}

/* One data row: *loaded set when it was an NFO row now in the table. */
static int csv_row(lg_instruments_t *m, const csv_ctx_t *c, const span_t *f, bool *loaded) {
    lg_instrument_t ins;
    memset(&ins, 0, sizeof ins);
    int k = row_kind(c, f, &ins.kind);
    if (k <= 0) return k; /* 0: skipped; < 0: error */
    int rc = row_ids(c, f, &ins);
    if (rc == LG_OK) rc = row_numbers(c, f, &ins);
    if (rc == LG_OK) rc = row_freeze(c, &ins);
    if (rc != LG_OK) return rc;
    if (lg_instruments_find(m, ins.token) != NULL) {
        return row_fail(c, "instrument_token %u appears twice", ins.token);
    }
    rc = lg_instruments_add(m, &ins);
    if (rc == LG_EPOOL_FULL) {
        row_fail(c, "instrument table full (capacity %u)", m->cap);
        return LG_EPOOL_FULL;
    }
    LG_ASSERT(rc == LG_OK); /* every condition add checks was checked above */
    *loaded = true;
    return LG_OK;
}

/* One line: blank, header (first content line only), or a row. */
static int csv_line(lg_instruments_t *m, csv_ctx_t *c, span_t line, bool first,
                    uint32_t *skipped) {
    if (span_trim(line).n == 0) return LG_OK;
    if (memchr(line.p, '\0', line.n) != NULL) return row_fail(c, "NUL byte");
    span_t f[C_COUNT];
    uint32_t nf = 0;
    if (!csv_split(line, f, C_COUNT, &nf)) return row_fail(c, "unterminated or stray quote");
    if (nf != C_COUNT) return row_fail(c, "expected %d fields, found %u", C_COUNT, nf);
    if (span_is(span_trim(f[C_TOKEN]), csv_columns[C_TOKEN])) {
        return first ? check_header(c, f) : row_fail(c, "header line repeated");
    }
    bool loaded = false;
    int rc = csv_row(m, c, f, &loaded);
    if (rc == LG_OK && !loaded) (*skipped)++;
    return rc;
}

int lg_instruments_load_csv(lg_instruments_t *m, const char *csv, size_t len,
                            const lg_freeze_table_t *freeze, uint32_t *skipped, char *err,
                            size_t errcap) {
    LG_ASSERT(m != NULL && m->items != NULL && freeze != NULL);
    LG_ASSERT(csv != NULL || len == 0);
    csv_ctx_t c = {.freeze = freeze, .line = 0, .err = err, .errcap = errcap};
    size_t pos = (len >= 3 && memcmp(csv, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
    uint32_t n0 = m->n, skip = 0;
    bool first = true;
    span_t line;
    while (c.line < UINT32_MAX && next_line(csv, len, &pos, &line)) { /* pos grows each time */
        c.line++;
        int rc = csv_line(m, &c, line, first, &skip);
        if (rc != LG_OK) {
            instruments_truncate(m, n0);
            return rc;
        }
        if (span_trim(line).n > 0) first = false;
    }
    if (skipped != NULL) *skipped = skip;
    (void)lg_errf(err, errcap, LG_OK, "%s", "");
    return LG_OK;
}
