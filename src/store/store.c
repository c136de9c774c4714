/*
 * store.c — the SQLite store's life cycle and hot path: open/close and one transaction
 * per engine step or per batch of steps (journal rows plus projections). Opening checks and migrations are
 * in store_schema.c, reading back in store_read.c; the format of each payload is the
 * journal codec's (journal.h).
 *
 * Every statement is prepared once at open; a step binds, steps and resets them. A
 * step's items are checked with assertions before anything is written (a bad record
 * is an engine bug), and any SQLite failure rolls the whole step back — or, inside a
 * batch, the whole batch, restoring the counters saved when it began.
 */
#include "store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "legato/engine.h"
#include "legato/tag.h"

/* ---- errors ------------------------------------------------------------------------ */

int lg_store_fail(lg_store_t *s, int code, const char *fmt, ...) {
    LG_ASSERT(s != NULL && fmt != NULL && code < 0);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return code;
}

int lg_store_sql_fail(lg_store_t *s, int rc, const char *what) {
    LG_ASSERT(s != NULL && what != NULL && rc != SQLITE_OK);
    const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    int code = (rc & 0xff) == SQLITE_FULL ? LG_ENOSPACE : LG_EIO;
    return lg_store_fail(s, code, "%s: %s: %s (sqlite %d)", s->path, what, msg, rc);
}

const char *lg_store_errmsg(const lg_store_t *s) {
    LG_ASSERT(s != NULL);
    return s->err;
}

/* ---- statements ---------------------------------------------------------------- */

/* Steps a statement whose result is not a row, then resets it. */
static int run(lg_store_t *s, lg_st_t which, const char *what) {
    sqlite3_stmt *st = s->st[which];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? LG_OK : lg_store_sql_fail(s, rc, what);
}

static void bind_i64(lg_store_t *s, lg_st_t which, int col, int64_t v) {
    int rc = sqlite3_bind_int64(s->st[which], col, (sqlite3_int64)v);
    LG_ASSERT(rc == SQLITE_OK);
}

static void bind_text(lg_store_t *s, lg_st_t which, int col, const char *t) {
    int rc = sqlite3_bind_text(s->st[which], col, t, -1, SQLITE_STATIC);
    LG_ASSERT(rc == SQLITE_OK);
}

static int prepare_all(lg_store_t *s) {
    for (int i = 0; i < LG_ST__COUNT; i++) {
        int rc = sqlite3_prepare_v3(s->db, lg_store_stmt_sql((lg_st_t)i), -1,
                                    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
        if (rc != SQLITE_OK) return lg_store_sql_fail(s, rc, "preparing statements");
    }
    return LG_OK;
}

/* The journal's last seq and step, read once at open. */
static int load_last(lg_store_t *s) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT coalesce(max(seq), 0), coalesce(max(step), 0)"
                                " FROM execution_events",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int64_t seq = (int64_t)sqlite3_column_int64(st, 0);
        int64_t step = (int64_t)sqlite3_column_int64(st, 1);
        LG_ASSERT(seq >= 0 && step >= 0 && step <= seq);
        s->last_seq = (uint64_t)seq;
        s->last_step = (uint64_t)step;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? LG_OK : lg_store_sql_fail(s, rc, "reading the journal's end");
}

/* ---- open / close --------------------------------------------------------------- */

static int open_db(lg_store_t *s) {
    int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) return lg_store_sql_fail(s, rc, "cannot open");
    sqlite3_busy_timeout(s->db, 50);
    rc = lg_store_schema_open(s);
    if (rc == LG_OK) rc = prepare_all(s);
    if (rc == LG_OK) rc = load_last(s);
    return rc;
}

int lg_store_open(const char *path, lg_durability_t d, lg_store_t **out, char *err, size_t errcap) {
    LG_ASSERT(path != NULL && out != NULL && (err != NULL || errcap == 0));
    LG_ASSERT(d == LG_DUR_FULL || d == LG_DUR_NORMAL);
    *out = NULL;
    if (errcap > 0) err[0] = '\0';
    lg_store_t *s = calloc(1, sizeof *s);
    char *p = strdup(path);
    if (s == NULL || p == NULL) {
        free(s);
        free(p);
        if (errcap > 0) snprintf(err, errcap, "%s: out of memory", path);
        return LG_EPOOL_FULL;
    }
    s->path = p;
    s->durability = d;
    int rc = open_db(s);
    if (rc != LG_OK) {
        if (errcap > 0) (void)lg_strlcpy(err, s->err, errcap);
        lg_store_close(s);
        return rc;
    }
    *out = s;
    return LG_OK;
}

void lg_store_remove(const char *path) {
    LG_ASSERT(path != NULL);
    char p[4096];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

void lg_store_close(lg_store_t *s) {
    if (s == NULL) return;
    if (s->in_batch) lg_store_rollback(s);
    for (int i = 0; i < LG_ST__COUNT; i++) sqlite3_finalize(s->st[i]);
    if (s->db != NULL) {
        int rc = sqlite3_close(s->db);
        LG_ASSERT(rc == SQLITE_OK); /* every statement was finalized */
    }
    free(s->path);
    free(s);
}

void lg_store_last(const lg_store_t *s, uint64_t *seq, uint64_t *step) {
    LG_ASSERT(s != NULL && seq != NULL && step != NULL);
    *seq = s->last_seq;
    *step = s->last_step;
}

/* ---- appending a step ----------------------------------------------------------- */

/* One row's columns besides the payload in s->buf. */
typedef struct row_cols {
    uint64_t seq, step;
    lg_ns_t now;
    lg_jrnl_item_t item;
    int32_t kind;
    uint32_t grp;
} row_cols_t;

static int insert_row(lg_store_t *s, const row_cols_t *c, size_t len) {
    LG_ASSERT(c->seq > 0 && c->seq <= INT64_MAX && len > 0 && len <= LG_JRNL_MAX);
    bind_i64(s, LG_ST_INS_EVENT, 1, (int64_t)c->seq);
    bind_i64(s, LG_ST_INS_EVENT, 2, c->now);
    bind_i64(s, LG_ST_INS_EVENT, 3, (int64_t)c->step);
    bind_i64(s, LG_ST_INS_EVENT, 4, c->item);
    bind_i64(s, LG_ST_INS_EVENT, 5, c->kind);
    bind_i64(s, LG_ST_INS_EVENT, 6, c->grp);
    int rc = sqlite3_bind_blob(s->st[LG_ST_INS_EVENT], 7, s->buf, (int)len, SQLITE_STATIC);
    LG_ASSERT(rc == SQLITE_OK);
    return run(s, LG_ST_INS_EVENT, "journal insert");
}

/* The group a tag names, 0 for an empty or foreign tag. */
static uint32_t tag_group(const char *tag) {
    lg_tag_t t;
    return tag[0] != '\0' && lg_tag_decode(tag, &t) == LG_OK ? t.group : 0;
}

static uint32_t event_group(const lg_event_t *ev) {
    switch (ev->kind) {
    case LG_EV_CONTROL: return ev->u.control.group;
    case LG_EV_ORDER_ACK: return tag_group(ev->u.ack.tag);
    case LG_EV_ORDER_ERROR: return tag_group(ev->u.error.tag);
    case LG_EV_ORDER_UPDATE: return tag_group(ev->u.update.tag);
    case LG_EV_BASKET: return ev->u.basket.group;
    default: return 0;
    }
}

static int up_order(lg_store_t *s, const lg_record_t *r, lg_ns_t now, int64_t state, int64_t filled) {
    lg_tag_t t;
    LG_ASSERT(lg_tag_decode(r->tag, &t) == LG_OK);
    bind_text(s, LG_ST_UP_ORDER, 1, r->tag);
    bind_i64(s, LG_ST_UP_ORDER, 2, r->group);
    bind_i64(s, LG_ST_UP_ORDER, 3, t.leg);
    bind_i64(s, LG_ST_UP_ORDER, 4, t.purpose);
    bind_i64(s, LG_ST_UP_ORDER, 5, state);
    bind_i64(s, LG_ST_UP_ORDER, 6, filled);
    bind_i64(s, LG_ST_UP_ORDER, 7, now);
    return run(s, LG_ST_UP_ORDER, "orders upsert");
}

static int put_fill(lg_store_t *s, const lg_record_t *r, uint64_t seq) {
    bind_i64(s, LG_ST_INS_FILL, 1, (int64_t)seq);
    bind_text(s, LG_ST_INS_FILL, 2, r->tag);
    bind_i64(s, LG_ST_INS_FILL, 3, r->a);
    bind_i64(s, LG_ST_INS_FILL, 4, r->b);
    bind_i64(s, LG_ST_INS_FILL, 5, r->c);
    int rc = run(s, LG_ST_INS_FILL, "fills insert");
    if (rc != LG_OK) return rc;
    bind_i64(s, LG_ST_UP_POS, 1, r->a);
    bind_i64(s, LG_ST_UP_POS, 2, r->b);
    return run(s, LG_ST_UP_POS, "positions upsert");
}

/* The projection updates one record implies (journal row `seq`). */
static int project(lg_store_t *s, const lg_record_t *r, lg_ns_t now, uint64_t seq) {
    switch (r->kind) {
    case LG_REC_GROUP_STATE:
        bind_i64(s, LG_ST_UP_GROUP, 1, r->group);
        bind_i64(s, LG_ST_UP_GROUP, 2, r->b);
        bind_i64(s, LG_ST_UP_GROUP, 3, now);
        return run(s, LG_ST_UP_GROUP, "order_groups upsert");
    case LG_REC_ORDER_INTENT: return up_order(s, r, now, LG_OS_INTENT, 0);
    case LG_REC_ORDER_STATE: return up_order(s, r, now, r->b, r->c);
    case LG_REC_FILL: return put_fill(s, r, seq);
    default: return LG_OK;
    }
}

/* A record the engine may emit: its kind, and what its projection relies on. */
static void assert_record(const lg_record_t *r) {
    LG_ASSERT(r->kind >= LG_REC_GROUP_STATE && r->kind <= LG_REC_SIZING);
    lg_tag_t t;
    switch (r->kind) {
    case LG_REC_GROUP_STATE: LG_ASSERT(r->b >= 0 && r->b < LG_GS__COUNT); break;
    case LG_REC_ORDER_STATE: LG_ASSERT(r->b >= 0 && r->b < LG_OS__COUNT && r->c >= 0); /* fall through */
    case LG_REC_ORDER_INTENT: LG_ASSERT(lg_tag_decode(r->tag, &t) == LG_OK); break;
    case LG_REC_FILL: LG_ASSERT(r->a >= 0 && r->a <= UINT32_MAX && r->b != 0); break;
    default: break;
    }
}

static void assert_step(const lg_event_t *ev, const lg_out_t *out) {
    LG_ASSERT(ev->kind > LG_EV_NONE && ev->kind < LG_EV__COUNT);
    LG_ASSERT(out->n_recs <= out->cap_recs && out->n_cmds <= out->cap_cmds);
    LG_ASSERT(out->n_recs == 0 || out->recs != NULL);
    LG_ASSERT(out->n_cmds == 0 || out->cmds != NULL);
    for (uint32_t i = 0; i < out->n_recs; i++) assert_record(&out->recs[i]);
    for (uint32_t i = 0; i < out->n_cmds; i++)
        LG_ASSERT((out->cmds[i].kind >= LG_CMD_PLACE && out->cmds[i].kind <= LG_CMD_QUERY_MARGINS) ||
                  out->cmds[i].kind == LG_CMD_QUERY_BASKET);
}

static int put_event(lg_store_t *s, row_cols_t *c, const lg_event_t *ev) {
    size_t len = 0;
    int rc = lg_jrnl_encode_event(ev, c->now, s->buf, sizeof s->buf, &len);
    if (rc != LG_OK)
        return lg_store_fail(s, rc, "%s: step %llu: event does not encode: %s", s->path,
                             (unsigned long long)c->step, lg_errname(rc));
    *c = (row_cols_t){.seq = c->seq + 1, .step = c->step, .now = c->now, .item = LG_JRNL_EVENT,
                      .kind = (int32_t)ev->kind, .grp = event_group(ev)};
    return insert_row(s, c, len);
}

static int put_record(lg_store_t *s, row_cols_t *c, const lg_record_t *r) {
    size_t len = 0;
    int rc = lg_jrnl_encode_record(r, s->buf, sizeof s->buf, &len);
    if (rc != LG_OK)
        return lg_store_fail(s, rc, "%s: step %llu: record does not encode: %s", s->path,
                             (unsigned long long)c->step, lg_errname(rc));
    *c = (row_cols_t){.seq = c->seq + 1, .step = c->step, .now = c->now, .item = LG_JRNL_RECORD,
                      .kind = (int32_t)r->kind, .grp = r->group};
    rc = insert_row(s, c, len);
    return rc == LG_OK ? project(s, r, c->now, c->seq) : rc;
}

static int put_cmd(lg_store_t *s, row_cols_t *c, const lg_cmd_t *cmd) {
    size_t len = 0;
    int rc = lg_jrnl_encode_cmd(cmd, s->buf, sizeof s->buf, &len);
    if (rc != LG_OK)
        return lg_store_fail(s, rc, "%s: step %llu: command does not encode: %s", s->path,
                             (unsigned long long)c->step, lg_errname(rc));
    *c = (row_cols_t){.seq = c->seq + 1, .step = c->step, .now = c->now, .item = LG_JRNL_CMD,
                      .kind = (int32_t)cmd->kind,
                      .grp = cmd->kind == LG_CMD_QUERY_BASKET ? cmd->group : tag_group(cmd->tag)};
    return insert_row(s, c, len);
}

/* Everything of the step inside the open transaction; c->seq ends at the last row. */
static int put_step(lg_store_t *s, row_cols_t *c, const lg_event_t *ev, const lg_out_t *out) {
    int rc = put_event(s, c, ev);
    for (uint32_t i = 0; rc == LG_OK && i < out->n_recs; i++) rc = put_record(s, c, &out->recs[i]);
    for (uint32_t i = 0; rc == LG_OK && i < out->n_cmds; i++) rc = put_cmd(s, c, &out->cmds[i]);
    return rc;
}

/* Undoes the open transaction, keeping the message of the error that caused it. SQLite
 * may already have rolled back (some errors do); a WAL rollback only drops pages in
 * memory, so its failing means the connection is broken: stop. */
static void rollback(lg_store_t *s) {
    if (sqlite3_get_autocommit(s->db)) return;
    sqlite3_stmt *st = s->st[LG_ST_ROLLBACK];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    LG_ASSERT(rc == SQLITE_DONE && sqlite3_get_autocommit(s->db));
}

/* Closes the open batch after its transaction ended (committed or rolled back). */
static void end_batch(lg_store_t *s, bool committed) {
    s->in_batch = false;
    if (!committed) {
        s->last_seq = s->batch_seq;
        s->last_step = s->batch_step;
    }
}

static uint64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t lg_store_db_ns(const lg_store_t *s) {
    LG_ASSERT(s != NULL);
    return s->db_ns;
}

static int begin(lg_store_t *s);

int lg_store_begin(lg_store_t *s) {
    uint64_t t0 = mono_ns();
    int rc = begin(s);
    s->db_ns += mono_ns() - t0;
    return rc;
}

static int begin(lg_store_t *s) {
    LG_ASSERT(s != NULL && !s->in_batch);
    LG_ASSERT(sqlite3_get_autocommit(s->db));
    s->err[0] = '\0';
    int rc = run(s, LG_ST_BEGIN, "batch begin");
    if (rc != LG_OK) {
        rollback(s);
        return rc;
    }
    s->in_batch = true;
    s->batch_seq = s->last_seq;
    s->batch_step = s->last_step;
    return LG_OK;
}

int lg_store_commit(lg_store_t *s) {
    LG_ASSERT(s != NULL && s->in_batch);
    LG_ASSERT(!sqlite3_get_autocommit(s->db));
    uint64_t t0 = mono_ns();
    int rc = run(s, LG_ST_COMMIT, "batch commit");
    if (rc != LG_OK) rollback(s);
    end_batch(s, rc == LG_OK);
    s->db_ns += mono_ns() - t0;
    return rc;
}

void lg_store_rollback(lg_store_t *s) {
    LG_ASSERT(s != NULL);
    if (!s->in_batch) return;
    rollback(s);
    end_batch(s, false);
}

static int append_step(lg_store_t *s, lg_ns_t now, const lg_event_t *ev, const lg_out_t *out);

int lg_store_append_step(lg_store_t *s, lg_ns_t now, const lg_event_t *ev, const lg_out_t *out) {
    LG_ASSERT(s != NULL);
    uint64_t t0 = mono_ns();
    int rc = append_step(s, now, ev, out);
    s->db_ns += mono_ns() - t0;
    return rc;
}

static int append_step(lg_store_t *s, lg_ns_t now, const lg_event_t *ev, const lg_out_t *out) {
    LG_ASSERT(s != NULL && ev != NULL && out != NULL);
    LG_ASSERT(s->last_seq < (uint64_t)INT64_MAX - (uint64_t)out->n_recs - out->n_cmds - 1);
    assert_step(ev, out);
    LG_ASSERT(s->in_batch == !sqlite3_get_autocommit(s->db));
    s->err[0] = '\0';
    int rc = LG_OK;
    if (!s->in_batch) {
        rc = run(s, LG_ST_BEGIN, "begin");
        if (rc != LG_OK) {
            rollback(s);
            return rc;
        }
    }
    row_cols_t c = {.seq = s->last_seq, .step = s->last_step + 1, .now = now};
    rc = put_step(s, &c, ev, out);
    if (rc == LG_OK && !s->in_batch) rc = run(s, LG_ST_COMMIT, "commit");
    if (rc != LG_OK) {
        rollback(s);
        if (s->in_batch) end_batch(s, false);
        return rc;
    }
    LG_ASSERT(c.seq == s->last_seq + 1 + out->n_recs + out->n_cmds);
    s->last_seq = c.seq;
    s->last_step = c.step;
    return LG_OK;
}
