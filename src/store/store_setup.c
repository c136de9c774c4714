/*
 * store_setup.c — the setup a replay rebuilds the engine from: the instrument master
 * (table instruments) and the engine configuration (table engine_config), saved
 * together in one transaction and loaded back exactly.
 *
 * instruments: one row per instrument, with `pos` its index in the master (token is
 * the rowid, so without pos the rows would come back in token order, not the
 * master's). Loading goes through lg_instruments_add, so every row is validated again.
 *
 * engine_config: one row per field of lg_engine_config_t, keyed by its C field name
 * (the table cfg_fields below, checked field by field against the struct's types).
 * Integers are decimal text; doubles "%.17g", which strtod reads back to the same
 * value. Loading is strict: every field must be present exactly once, no other key,
 * every value must parse whole and fit its C type; anything else is LG_EPARSE naming
 * the key, so a configuration the replay did not run with is never silently used.
 */
#include "store_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the configuration's fields -------------------------------------------------- */

typedef enum cfg_type { T_I8, T_I16, T_U16, T_U32, T_I64, T_F64, T_U8 } cfg_type_t;

/* Every field of lg_engine_config_t: X(name, type). */
#define CFG_FIELDS(X)                                                                   \
    X(max_groups, T_U32)                                                                \
    X(max_orders, T_U32)                                                                \
    X(policy, T_I8)                                                                     \
    X(on_incomplete, T_I8)                                                              \
    X(entry_timeout_ns, T_I64)                                                          \
    X(naked_grace_ns, T_I64)                                                            \
    X(delta_limit_frac, T_F64)                                                          \
    X(delta_grace_ns, T_I64)                                                            \
    X(default_iv, T_F64)                                                                \
    X(clock_offset_ns, T_I64)                                                           \
    X(ratchet_slices, T_U32)                                                            \
    X(entry_mprot_pct, T_I16)                                                           \
    X(emergency_mprot_pct, T_I16)                                                       \
    X(max_mprot_pct, T_I16)                                                             \
    X(emergency_max_failures, T_U16)                                                    \
    X(emergency_retry_ns, T_I64)                                                        \
    X(reversal_fill_ns, T_I64)                                                          \
    X(order_silence_ns, T_I64)                                                          \
    X(positions_check_ns, T_I64)                                                        \
    X(positions_checks, T_U16)                                                          \
    X(finished_retain_ns, T_I64)                                                        \
    X(risk_off, T_I8)                                                                   \
    X(greeks_watch_ns, T_I64)                                                           \
    X(risk.shock.margin.price_scan, T_F64)                                              \
    X(risk.shock.margin.vol_scan, T_F64)                                                \
    X(risk.shock.margin.extreme_weight, T_F64)                                          \
    X(risk.shock.margin.exposure, T_F64)                                                \
    X(risk.shock.worst_move, T_F64)                                                     \
    X(risk.shock.worst_vol, T_F64)                                                      \
    X(risk.shock.addon, T_F64)                                                          \
    X(risk.margin_use, T_F64)                                                           \
    X(risk.margin_floor, T_I64)                                                         \
    X(risk.daily_loss_limit, T_I64)                                                     \
    X(risk.loss_throttle, T_F64)                                                        \
    X(risk.greeks.max_delta, T_F64)                                                     \
    X(risk.greeks.max_gamma, T_F64)                                                     \
    X(risk.greeks.max_vega, T_F64)                                                      \
    X(risk.greeks.max_theta, T_F64)                                                     \
    X(risk.vol_bands[0].iv_from, T_F64)                                                 \
    X(risk.vol_bands[0].mult, T_F64)                                                    \
    X(risk.vol_bands[1].iv_from, T_F64)                                                 \
    X(risk.vol_bands[1].mult, T_F64)                                                    \
    X(risk.vol_bands[2].iv_from, T_F64)                                                 \
    X(risk.vol_bands[2].mult, T_F64)                                                    \
    X(risk.vol_bands[3].iv_from, T_F64)                                                 \
    X(risk.vol_bands[3].mult, T_F64)                                                    \
    X(risk.n_vol_bands, T_U32)                                                          \
    X(risk.max_units, T_U32)                                                            \
    X(risk.max_lots_order, T_U32)                                                       \
    X(risk.max_lots_group, T_U32)                                                       \
    X(risk.max_notional_order, T_I64)                                                   \
    X(risk.max_notional_group, T_I64)                                                   \
    X(risk.max_orders_minute, T_U32)                                                    \
    X(risk.max_slippage, T_F64)                                                         \
    X(risk.broker_basket, T_I8)                                                         \
    X(risk.basket_timeout_ns, T_I64)                                                    \
    X(max_stops, T_U32)                                                                 \
    X(stop.timeout_ns, T_I64)                                                           \
    X(stop.cancel_retry_ns, T_I64)                                                      \
    X(stop.market_fill_ns, T_I64)                                                       \
    X(stop.mprot_pct, T_I16)                                                            \
    X(stop.max_mprot_pct, T_I16)                                                        \
    X(stop.max_rejects, T_U8)

/* Each field's C type is the one its entry says. */
#define CFG_TYPE_OF(t)                                                                  \
    _Generic(t, int8_t: T_I8, uint8_t: T_U8, int16_t: T_I16, uint16_t: T_U16, uint32_t: T_U32,         \
             int64_t: T_I64, double: T_F64, default: -1)
#define CFG_CHECK(name, type)                                                           \
    _Static_assert(CFG_TYPE_OF(((lg_engine_config_t *)0)->name) == (type), #name);
CFG_FIELDS(CFG_CHECK)
#undef CFG_CHECK

/* The fields' sizes with their padding: a field added to lg_engine_config_t changes
 * this, and must then be added to CFG_FIELDS too. */
_Static_assert(sizeof(lg_engine_config_t) == 432, "new lg_engine_config_t field: add it to CFG_FIELDS");

typedef struct cfg_field {
    const char *key;
    size_t off;
    cfg_type_t type;
} cfg_field_t;

#define CFG_ENTRY(name, type) {#name, offsetof(lg_engine_config_t, name), type},
static const cfg_field_t cfg_fields[] = {CFG_FIELDS(CFG_ENTRY)};
#undef CFG_ENTRY
#define N_FIELDS LG_COUNT(cfg_fields)

static size_t type_size(cfg_type_t t) {
    switch (t) {
    case T_I8:
    case T_U8: return 1;
    case T_I16:
    case T_U16: return 2;
    case T_U32: return 4;
    default: return 8;
    }
}

static const char *type_name(cfg_type_t t) {
    static const char *const names[] = {"int8_t",  "int16_t", "uint16_t", "uint32_t",
                                        "int64_t", "double",  "uint8_t"};
    return names[t];
}

/* An integer field's range. */
static void type_range(cfg_type_t t, int64_t *lo, int64_t *hi) {
    switch (t) {
    case T_I8: *lo = INT8_MIN, *hi = INT8_MAX; break;
    case T_U8: *lo = 0, *hi = UINT8_MAX; break;
    case T_I16: *lo = INT16_MIN, *hi = INT16_MAX; break;
    case T_U16: *lo = 0, *hi = UINT16_MAX; break;
    case T_U32: *lo = 0, *hi = UINT32_MAX; break;
    default: *lo = INT64_MIN, *hi = INT64_MAX; break;
    }
}

/* An integer field's value, widened. */
static int64_t get_int(const lg_engine_config_t *c, const cfg_field_t *f) {
    const unsigned char *p = (const unsigned char *)c + f->off;
    switch (f->type) {
    case T_I8: { int8_t v; memcpy(&v, p, sizeof v); return v; }
    case T_U8: { uint8_t v; memcpy(&v, p, sizeof v); return v; }
    case T_I16: { int16_t v; memcpy(&v, p, sizeof v); return v; }
    case T_U16: { uint16_t v; memcpy(&v, p, sizeof v); return v; }
    case T_U32: { uint32_t v; memcpy(&v, p, sizeof v); return v; }
    default: { int64_t v; memcpy(&v, p, sizeof v); return v; }
    }
}

/* Stores v (already range-checked) into an integer field. */
static void set_int(lg_engine_config_t *c, const cfg_field_t *f, int64_t v) {
    unsigned char *p = (unsigned char *)c + f->off;
    switch (f->type) {
    case T_I8: { int8_t x = (int8_t)v; memcpy(p, &x, sizeof x); break; }
    case T_U8: { uint8_t x = (uint8_t)v; memcpy(p, &x, sizeof x); break; }
    case T_I16: { int16_t x = (int16_t)v; memcpy(p, &x, sizeof x); break; }
    case T_U16: { uint16_t x = (uint16_t)v; memcpy(p, &x, sizeof x); break; }
    case T_U32: { uint32_t x = (uint32_t)v; memcpy(p, &x, sizeof x); break; }
    default: memcpy(p, &v, sizeof v); break;
    }
}

static double get_f64(const lg_engine_config_t *c, const cfg_field_t *f) {
    double v;
    memcpy(&v, (const unsigned char *)c + f->off, sizeof v);
    return v;
}

/* A field's stored text. */
static void format_field(const lg_engine_config_t *c, const cfg_field_t *f, char *out, size_t cap) {
    if (f->type == T_F64) snprintf(out, cap, "%.17g", get_f64(c, f));
    else snprintf(out, cap, "%lld", (long long)get_int(c, f));
}

/* Parses text into field f of c: LG_OK, or LG_EPARSE with the reason in s->err. */
static int parse_field(lg_store_t *s, lg_engine_config_t *c, const cfg_field_t *f, const char *text) {
    const char *why = "does not parse as";
    bool digit0 = (text[0] >= '0' && text[0] <= '9') ||
                  (text[0] == '-' && text[1] >= '0' && text[1] <= '9');
    char *end = NULL;
    errno = 0;
    if (f->type == T_F64) {
        /* strtod would skip leading blanks and accept "nan", "inf", hex: only what
         * "%.17g" of a finite double writes is accepted. */
        bool plain = digit0 && strspn(text, "0123456789+-.eE") == strlen(text);
        double v = plain ? strtod(text, &end) : 0.0;
        if (plain && end != text && *end == '\0') {
            if (errno != ERANGE && isfinite(v)) {
                memcpy((unsigned char *)c + f->off, &v, sizeof v);
                return LG_OK;
            }
            why = "is out of range for";
        }
    } else {
        bool plain = digit0 && strspn(text + (text[0] == '-'), "0123456789") ==
                                   strlen(text + (text[0] == '-'));
        long long v = plain ? strtoll(text, &end, 10) : 0;
        if (plain && end != text && *end == '\0') {
            int64_t lo = 0, hi = 0;
            type_range(f->type, &lo, &hi);
            if (errno != ERANGE && v >= lo && v <= hi) {
                set_int(c, f, (int64_t)v);
                return LG_OK;
            }
            why = "is out of range for";
        }
    }
    return lg_store_fail(s, LG_EPARSE, "%s: engine_config key '%s': value '%.40s' %s %s", s->path,
                         f->key, text, why, type_name(f->type));
}

/* ---- helpers ------------------------------------------------------------------------ */

static int exec_sql(lg_store_t *s, const char *sql, const char *what) {
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? LG_OK : lg_store_sql_fail(s, rc, what);
}

static int prepare(lg_store_t *s, const char *sql, sqlite3_stmt **st, const char *what) {
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    return rc == SQLITE_OK ? LG_OK : lg_store_sql_fail(s, rc, what);
}

/* Steps a statement whose result is not a row, then resets it for the next binding. */
static int step_done(lg_store_t *s, sqlite3_stmt *st, const char *what) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? LG_OK : lg_store_sql_fail(s, rc, what);
}

/* Undoes the open transaction (if SQLite has not already). */
static void rollback(lg_store_t *s) {
    if (!sqlite3_get_autocommit(s->db)) (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static bool text_ok(const char *t, size_t cap) { return memchr(t, '\0', cap) != NULL; }

/* ---- saving ------------------------------------------------------------------------- */

static int save_instruments(lg_store_t *s, const lg_instruments_t *m) {
    sqlite3_stmt *st = NULL;
    int rc = prepare(s,
                     "INSERT INTO instruments(pos, token, symbol, underlying, expiry_day, strike,"
                     " kind, lot, tick, freeze) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                     &st, "preparing instruments insert");
    for (uint32_t i = 0; rc == LG_OK && i < m->n; i++) {
        const lg_instrument_t *ins = &m->items[i];
        int b = sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
        b |= sqlite3_bind_int64(st, 2, (sqlite3_int64)ins->token);
        b |= sqlite3_bind_text(st, 3, ins->symbol, -1, SQLITE_STATIC);
        b |= sqlite3_bind_text(st, 4, ins->underlying, -1, SQLITE_STATIC);
        b |= sqlite3_bind_int64(st, 5, (sqlite3_int64)ins->expiry_day);
        b |= sqlite3_bind_int64(st, 6, (sqlite3_int64)ins->strike);
        b |= sqlite3_bind_int64(st, 7, (sqlite3_int64)ins->kind);
        b |= sqlite3_bind_int64(st, 8, (sqlite3_int64)ins->lot);
        b |= sqlite3_bind_int64(st, 9, (sqlite3_int64)ins->tick);
        b |= sqlite3_bind_int64(st, 10, (sqlite3_int64)ins->freeze);
        LG_ASSERT(b == SQLITE_OK);
        rc = step_done(s, st, "instruments insert");
    }
    sqlite3_finalize(st);
    return rc;
}

static int save_config(lg_store_t *s, const lg_engine_config_t *cfg) {
    sqlite3_stmt *st = NULL;
    int rc = prepare(s, "INSERT INTO engine_config(key, value) VALUES(?1, ?2)", &st,
                     "preparing engine_config insert");
    for (size_t i = 0; rc == LG_OK && i < N_FIELDS; i++) {
        char text[40];
        format_field(cfg, &cfg_fields[i], text, sizeof text);
        int b = sqlite3_bind_text(st, 1, cfg_fields[i].key, -1, SQLITE_STATIC);
        b |= sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
        LG_ASSERT(b == SQLITE_OK);
        rc = step_done(s, st, "engine_config insert");
    }
    sqlite3_finalize(st);
    return rc;
}

int lg_store_save_setup(lg_store_t *s, const lg_instruments_t *m, const lg_engine_config_t *cfg) {
    LG_ASSERT(s != NULL && m != NULL && cfg != NULL);
    LG_ASSERT(!s->in_batch && sqlite3_get_autocommit(s->db));
    LG_ASSERT(m->n <= m->cap && (m->n == 0 || m->items != NULL));
    s->err[0] = '\0';
    if (m->n == 0) return lg_store_fail(s, LG_EINVAL, "%s: save setup: empty instrument master", s->path);
    for (uint32_t i = 0; i < m->n; i++)
        LG_ASSERT(text_ok(m->items[i].symbol, LG_SYMBOL_MAX) &&
                  text_ok(m->items[i].underlying, LG_UNDERLYING_MAX));
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (cfg_fields[i].type == T_F64 && !isfinite(get_f64(cfg, &cfg_fields[i])))
            return lg_store_fail(s, LG_EINVAL, "%s: save setup: engine_config key '%s' is not finite",
                                 s->path, cfg_fields[i].key);
    }
    int rc = exec_sql(s, "BEGIN IMMEDIATE", "setup begin");
    if (rc == LG_OK) rc = exec_sql(s, "DELETE FROM instruments; DELETE FROM engine_config", "setup delete");
    if (rc == LG_OK) rc = save_instruments(s, m);
    if (rc == LG_OK) rc = save_config(s, cfg);
    if (rc == LG_OK) rc = exec_sql(s, "COMMIT", "setup commit");
    if (rc != LG_OK) rollback(s);
    return rc;
}

/* ---- loading ------------------------------------------------------------------------ */

/* Reads engine_config into c (which holds the defaults, padding zeroed). *rows is the
 * number of rows seen. */
static int load_config(lg_store_t *s, lg_engine_config_t *c, int64_t *rows) {
    sqlite3_stmt *st = NULL;
    int rc = prepare(s, "SELECT key, value FROM engine_config ORDER BY key", &st,
                     "preparing engine_config read");
    bool seen[N_FIELDS] = {false};
    *rows = 0;
    while (rc == LG_OK) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE) break;
        if (r != SQLITE_ROW) {
            rc = lg_store_sql_fail(s, r, "engine_config read");
            break;
        }
        (*rows)++;
        const char *key = (const char *)sqlite3_column_text(st, 0);
        const char *val = (const char *)sqlite3_column_text(st, 1);
        size_t k = 0;
        while (key != NULL && k < N_FIELDS && strcmp(key, cfg_fields[k].key) != 0) k++;
        if (key == NULL || k == N_FIELDS) {
            rc = lg_store_fail(s, LG_EPARSE, "%s: engine_config: unknown key '%.40s'", s->path,
                               key ? key : "(null)");
        } else {
            seen[k] = true;
            rc = parse_field(s, c, &cfg_fields[k], val ? val : "");
        }
    }
    sqlite3_finalize(st);
    for (size_t k = 0; rc == LG_OK && *rows > 0 && k < N_FIELDS; k++) {
        if (!seen[k])
            rc = lg_store_fail(s, LG_EPARSE, "%s: engine_config: key '%s' missing", s->path,
                               cfg_fields[k].key);
    }
    return rc;
}

/* An integer column of the current instruments row within [lo, hi]. */
static bool int_col(sqlite3_stmt *st, int col, int64_t lo, int64_t hi, int64_t *v) {
    if (sqlite3_column_type(st, col) != SQLITE_INTEGER) return false;
    *v = (int64_t)sqlite3_column_int64(st, col);
    return *v >= lo && *v <= hi;
}

/* A text column of the current row into out (cap bytes with its terminator). */
static bool text_col(sqlite3_stmt *st, int col, char *out, size_t cap) {
    const unsigned char *t = sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    if (sqlite3_column_type(st, col) != SQLITE_TEXT || t == NULL || n < 0 || (size_t)n >= cap ||
        strlen((const char *)t) != (size_t)n)
        return false;
    memcpy(out, t, (size_t)n + 1);
    return true;
}

/* The current row of the instruments read into ins; LG_EPARSE naming the token. */
static int instrument_row(lg_store_t *s, sqlite3_stmt *st, lg_instrument_t *ins) {
    memset(ins, 0, sizeof *ins);
    int64_t token = 0, expiry = 0, kind = 0;
    bool tok_ok = int_col(st, 0, 0, UINT32_MAX, &token);
    bool ok = tok_ok && text_col(st, 1, ins->symbol, sizeof ins->symbol) &&
              text_col(st, 2, ins->underlying, sizeof ins->underlying) &&
              int_col(st, 3, INT32_MIN, INT32_MAX, &expiry) &&
              int_col(st, 4, INT64_MIN, INT64_MAX, &ins->strike) &&
              int_col(st, 5, INT32_MIN, INT32_MAX, &kind) &&
              int_col(st, 6, INT64_MIN, INT64_MAX, &ins->lot) &&
              int_col(st, 7, INT64_MIN, INT64_MAX, &ins->tick) &&
              int_col(st, 8, INT64_MIN, INT64_MAX, &ins->freeze);
    if (!ok)
        return lg_store_fail(s, LG_EPARSE, "%s: instruments: token %lld: a column does not fit its C type",
                             s->path, (long long)sqlite3_column_int64(st, 0));
    ins->token = (uint32_t)token;
    ins->expiry_day = (int32_t)expiry;
    ins->kind = (lg_kind_t)kind;
    return LG_OK;
}

/* Initialises m for count instruments and fills it in the stored order. */
static int load_instruments(lg_store_t *s, lg_instruments_t *m, int64_t count) {
    if (count <= 0 || count > UINT32_MAX)
        return lg_store_fail(s, LG_EPARSE, "%s: instruments: %lld rows", s->path, (long long)count);
    int rc = lg_instruments_init(m, (uint32_t)count);
    if (rc != LG_OK)
        return lg_store_fail(s, rc, "%s: instruments: room for %lld: %s", s->path, (long long)count,
                             lg_strerror(rc));
    sqlite3_stmt *st = NULL;
    rc = prepare(s,
                 "SELECT token, symbol, underlying, expiry_day, strike, kind, lot, tick, freeze"
                 " FROM instruments ORDER BY pos",
                 &st, "preparing instruments read");
    while (rc == LG_OK) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE) break;
        if (r != SQLITE_ROW) {
            rc = lg_store_sql_fail(s, r, "instruments read");
            break;
        }
        lg_instrument_t ins;
        rc = instrument_row(s, st, &ins);
        if (rc == LG_OK) {
            rc = lg_instruments_add(m, &ins);
            if (rc != LG_OK)
                (void)lg_store_fail(s, rc, "%s: instruments: token %u refused: %s", s->path,
                                    (unsigned)ins.token, lg_strerror(rc));
        }
    }
    sqlite3_finalize(st);
    if (rc == LG_OK && (int64_t)m->n != count)
        rc = lg_store_fail(s, LG_EIO, "%s: instruments: %u rows read of %lld", s->path,
                           (unsigned)m->n, (long long)count);
    return rc;
}

static int count_rows(lg_store_t *s, const char *sql, int64_t *n) {
    sqlite3_stmt *st = NULL;
    int rc = prepare(s, sql, &st, "counting setup rows");
    if (rc == LG_OK) {
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) *n = (int64_t)sqlite3_column_int64(st, 0);
        else rc = lg_store_sql_fail(s, r, "counting setup rows");
    }
    sqlite3_finalize(st);
    return rc;
}

static int load_setup(lg_store_t *s, lg_instruments_t *m, lg_engine_config_t *c) {
    int64_t n_ins = 0, n_cfg = 0;
    int rc = count_rows(s, "SELECT count(*) FROM instruments", &n_ins);
    if (rc == LG_OK) rc = count_rows(s, "SELECT count(*) FROM engine_config", &n_cfg);
    if (rc != LG_OK) return rc;
    if (n_ins == 0 && n_cfg == 0) return lg_store_fail(s, LG_EINVAL, "no setup stored in %s", s->path);
    if (n_cfg == 0) return lg_store_fail(s, LG_EPARSE, "%s: engine_config is empty", s->path);
    rc = load_config(s, c, &n_cfg);
    if (rc == LG_OK) rc = load_instruments(s, m, n_ins);
    return rc;
}

int lg_store_load_setup(lg_store_t *s, lg_instruments_t *m, lg_engine_config_t *cfg, char *err,
                        size_t errcap) {
    LG_ASSERT(s != NULL && m != NULL && cfg != NULL && (err != NULL || errcap == 0));
    s->err[0] = '\0';
    memset(m, 0, sizeof *m);
    /* The defaults copied field by field into zeroed memory: no padding garbage. */
    lg_engine_config_t dflt, c;
    lg_engine_config_default(&dflt);
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < N_FIELDS; i++)
        memcpy((unsigned char *)&c + cfg_fields[i].off,
               (const unsigned char *)&dflt + cfg_fields[i].off, type_size(cfg_fields[i].type));
    /* One read transaction, so both tables come from the same snapshot. */
    bool own_txn = sqlite3_get_autocommit(s->db) != 0;
    int rc = own_txn ? exec_sql(s, "BEGIN", "setup read begin") : LG_OK;
    if (rc == LG_OK) rc = load_setup(s, m, &c);
    if (own_txn) rollback(s); /* read only: nothing to keep */
    if (rc != LG_OK) {
        if (m->items != NULL || m->slots != NULL) lg_instruments_free(m);
        else memset(m, 0, sizeof *m);
        if (errcap > 0) (void)lg_strlcpy(err, s->err, errcap);
        return rc;
    }
    memcpy(cfg, &c, sizeof c);
    if (errcap > 0) err[0] = '\0';
    return LG_OK;
}
