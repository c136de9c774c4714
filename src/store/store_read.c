/*
 * store_read.c — reading the store back: the journal row by row in seq order, each
 * payload decoded by the journal codec and checked against its columns (a row that
 * does not decode is an error naming its seq, never skipped), the projection
 * look-ups, checkpoints and pragma read-back.
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

#include "legato/engine.h"

static void bind_key(lg_store_t *s, lg_st_t which, int64_t key) {
    int rc = sqlite3_bind_int64(s->st[which], 1, (sqlite3_int64)key);
    LG_ASSERT(rc == SQLITE_OK);
}

/* ---- reading ---------------------------------------------------------------------- */

static int decode_payload(lg_store_t *s, lg_store_row_t *row, const uint8_t *p, size_t len) {
    lg_ns_t at = 0;
    int rc = LG_EPARSE, kind = -1;
    if (row->item == LG_JRNL_EVENT) {
        rc = lg_jrnl_decode_event(p, len, &row->u.ev, &at, s->rows, LG_JRNL_MAX_ROWS);
        kind = (int)row->u.ev.kind;
    } else if (row->item == LG_JRNL_RECORD) {
        rc = lg_jrnl_decode_record(p, len, &row->u.rec);
        kind = (int)row->u.rec.kind;
    } else if (row->item == LG_JRNL_CMD) {
        rc = lg_jrnl_decode_cmd(p, len, &row->u.cmd);
        kind = (int)row->u.cmd.kind;
    }
    if (rc != LG_OK)
        return lg_store_fail(s, LG_EPARSE, "%s: journal row seq %llu does not decode: %s",
                             s->path, (unsigned long long)row->seq, lg_errname(rc));
    if (kind != row->kind || (row->item == LG_JRNL_EVENT && at != row->time_ns))
        return lg_store_fail(s, LG_EPARSE, "%s: journal row seq %llu: columns disagree with payload",
                             s->path, (unsigned long long)row->seq);
    return LG_OK;
}

/* The current row of a journal SELECT (LG_ST_READ's columns) into row. */
static int read_columns(lg_store_t *s, sqlite3_stmt *st, lg_store_row_t *row) {
    int64_t seq = (int64_t)sqlite3_column_int64(st, 0);
    int64_t step = (int64_t)sqlite3_column_int64(st, 2);
    int64_t item = (int64_t)sqlite3_column_int64(st, 3);
    int64_t kind = (int64_t)sqlite3_column_int64(st, 4);
    int64_t grp = (int64_t)sqlite3_column_int64(st, 5);
    memset(row, 0, sizeof *row);
    row->seq = (uint64_t)seq;
    row->time_ns = (lg_ns_t)sqlite3_column_int64(st, 1);
    bool ok = seq > 0 && step > 0 && item >= LG_JRNL_EVENT && item <= LG_JRNL_CMD &&
              kind >= 0 && kind <= 255 && grp >= 0 && grp <= UINT32_MAX &&
              sqlite3_column_type(st, 6) == SQLITE_BLOB;
    if (!ok)
        return lg_store_fail(s, LG_EPARSE, "%s: journal row seq %lld: bad columns", s->path,
                             (long long)seq);
    row->step = (uint64_t)step;
    row->item = (lg_jrnl_item_t)item;
    row->kind = (int32_t)kind;
    row->grp = (uint32_t)grp;
    const uint8_t *p = sqlite3_column_blob(st, 6);
    int n = sqlite3_column_bytes(st, 6);
    if (p == NULL || n <= 0)
        return lg_store_fail(s, LG_EPARSE, "%s: journal row seq %lld: empty payload", s->path,
                             (long long)seq);
    return decode_payload(s, row, p, (size_t)n);
}

int lg_store_read(lg_store_t *s, uint64_t from_seq, lg_store_row_t *row) {
    LG_ASSERT(s != NULL && row != NULL && from_seq <= (uint64_t)INT64_MAX);
    sqlite3_stmt *st = s->st[LG_ST_READ];
    bind_key(s, LG_ST_READ, (int64_t)from_seq);
    int rc = sqlite3_step(st);
    int out = LG_STORE_END;
    if (rc == SQLITE_ROW) out = read_columns(s, st, row);
    else if (rc != SQLITE_DONE) out = lg_store_sql_fail(s, rc, "journal read");
    sqlite3_reset(st);
    LG_ASSERT(out != LG_OK || (row->seq >= from_seq && row->seq <= s->last_seq));
    return out;
}

int lg_store_scan_events(lg_store_t *s, lg_store_event_fn fn, void *ctx) {
    LG_ASSERT(s != NULL && fn != NULL && !s->in_batch);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT seq, time_ns, step, item, kind, grp, payload FROM "
                                "execution_events WHERE item = 1 ORDER BY seq",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return lg_store_sql_fail(s, rc, "journal scan");
    int out = LG_OK;
    lg_store_row_t row;
    for (uint64_t n = 0; n <= s->last_seq && out == LG_OK; n++) { /* bounded by the rows */
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            out = lg_store_sql_fail(s, rc, "journal scan");
            break;
        }
        out = read_columns(s, st, &row);
        if (out == LG_OK) out = fn(ctx, &row);
    }
    sqlite3_finalize(st);
    return out;
}

/* ---- projections ------------------------------------------------------------------ */

/* Runs a one-key look-up; *found says whether it hit. */
static int lookup(lg_store_t *s, lg_st_t which, int64_t key, int64_t *v, bool *found) {
    sqlite3_stmt *st = s->st[which];
    bind_key(s, which, key);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found) *v = (int64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? LG_OK : lg_store_sql_fail(s, rc, "look-up");
}

int lg_store_position(lg_store_t *s, uint32_t token, lg_qty_t *qty) {
    LG_ASSERT(s != NULL && qty != NULL);
    int64_t v = 0;
    bool found = false;
    int rc = lookup(s, LG_ST_POSITION, token, &v, &found);
    if (rc == LG_OK) *qty = found ? v : 0;
    return rc;
}

int lg_store_group_state(lg_store_t *s, uint32_t id, int32_t *state) {
    LG_ASSERT(s != NULL && state != NULL);
    int64_t v = 0;
    bool found = false;
    int rc = lookup(s, LG_ST_GROUP, id, &v, &found);
    if (rc != LG_OK) return rc;
    if (!found) return LG_EUNKNOWN_GROUP;
    LG_ASSERT(v >= 0 && v < LG_GS__COUNT);
    *state = (int32_t)v;
    return LG_OK;
}

bool lg_store_in_batch(const lg_store_t *s) {
    LG_ASSERT(s != NULL);
    return s->in_batch;
}

int lg_store_order_state(lg_store_t *s, const char *tag, int32_t *state) {
    LG_ASSERT(s != NULL && tag != NULL && state != NULL);
    sqlite3_stmt *st = s->st[LG_ST_ORDER];
    int rc = sqlite3_bind_text(st, 1, tag, -1, SQLITE_TRANSIENT);
    LG_ASSERT(rc == SQLITE_OK);
    rc = sqlite3_step(st);
    int out = LG_EUNKNOWN_ORDER;
    if (rc == SQLITE_ROW) {
        int64_t v = (int64_t)sqlite3_column_int64(st, 0);
        LG_ASSERT(v >= 0 && v < LG_OS__COUNT);
        *state = (int32_t)v;
        out = LG_OK;
    } else if (rc != SQLITE_DONE) {
        out = lg_store_sql_fail(s, rc, "order look-up");
    }
    sqlite3_reset(st);
    return out;
}

/* ---- maintenance ---------------------------------------------------------------- */

int lg_store_checkpoint(lg_store_t *s, lg_ckpt_mode_t mode) {
    LG_ASSERT(s != NULL && (mode == LG_CKPT_PASSIVE || mode == LG_CKPT_TRUNCATE));
    LG_ASSERT(!s->in_batch); /* a checkpoint cannot run inside the batch's transaction */
    int m = mode == LG_CKPT_TRUNCATE ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE;
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, m, NULL, NULL);
    return rc == SQLITE_OK ? LG_OK : lg_store_sql_fail(s, rc, "checkpoint");
}

int lg_store_pragma(lg_store_t *s, const char *name, int64_t *value) {
    LG_ASSERT(s != NULL && name != NULL && value != NULL);
    size_t n = strlen(name);
    if (n == 0 || n > 40 || strspn(name, "abcdefghijklmnopqrstuvwxyz_") != n) return LG_EINVAL;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA %s", name);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *value = (int64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? LG_OK : lg_store_sql_fail(s, rc == SQLITE_DONE ? SQLITE_ERROR : rc, name);
}
