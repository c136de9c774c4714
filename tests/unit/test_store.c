/*
 * test_store.c — unit tests for the SQLite store (src/store/store.c, store_schema.c):
 * creating and reopening a file, steps built by hand journaled and read back whole,
 * the projections they imply, refusal of foreign, corrupt and future files, a
 * corrupted payload named by its seq, a failing transaction that leaves nothing
 * behind, batches of steps in one transaction (identical to single appends, undone
 * whole by a failure or a rollback), the durability pragmas, checkpoints, and that bad
 * arguments stop the program (checked in forked children), and the setup (instrument
 * master and engine configuration) saved and loaded back exactly, a tampered setup
 * refused with an error naming the key or token. Files live under /tmp and are removed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "legato/engine.h"
#include "legato/store.h"
#include "legato/tag.h"

/* ---- files -------------------------------------------------------------------------- */

#define PATH_MAX_LEN 64

/* A new unique empty file under /tmp. */
static void tmp_path(char *path) {
    snprintf(path, PATH_MAX_LEN, "/tmp/lg_store_test_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static void remove_db(const char *path) {
    char p[PATH_MAX_LEN + 8];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-journal", path);
    unlink(p);
}

static off_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Runs sql on its own connection to path. */
static void raw_exec(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) fprintf(stderr, "raw_exec: %s\n", err ? err : "?");
    sqlite3_free(err);
    assert_int_equal(rc, SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* The integer a query returns, on its own connection. */
static int64_t raw_int(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = (int64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    return v;
}

/* Asserts that the stores at a and b hold the same rows in every table (journal and
 * projections), compared column by column. */
static void expect_same_tables(const char *a, const char *b) {
    static const char *const tables[] = {"execution_events", "order_groups", "orders",
                                         "fills", "positions", "meta",
                                         "instruments", "engine_config"};
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(a, &db), SQLITE_OK);
    char sql[640];
    snprintf(sql, sizeof sql, "ATTACH '%s' AS other", b);
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) fail_msg("%s: %s", sql, err ? err : "?");
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        const char *n = tables[i];
        snprintf(sql, sizeof sql,
                 "SELECT (SELECT count(*) FROM main.%s) - (SELECT count(*) FROM other.%s),"
                 " (SELECT count(*) FROM (SELECT * FROM main.%s EXCEPT SELECT * FROM other.%s)),"
                 " (SELECT count(*) FROM (SELECT * FROM other.%s EXCEPT SELECT * FROM main.%s))",
                 n, n, n, n, n, n);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            fail_msg("%s: %s", sql, sqlite3_errmsg(db));
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        for (int c = 0; c < 3; c++) {
            if (sqlite3_column_int64(st, c) != 0) fail_msg("table %s differs (check %d)", n, c);
        }
        sqlite3_finalize(st);
    }
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static lg_store_t *open_ok(const char *path, lg_durability_t d) {
    lg_store_t *s = NULL;
    char err[LG_STORE_ERR_MAX];
    int rc = lg_store_open(path, d, &s, err, sizeof err);
    if (rc != LG_OK) fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, LG_OK);
    assert_non_null(s);
    return s;
}

/* Opening must fail with want and a message naming the file. */
static void expect_open_fails(const char *path, int want, const char *also) {
    lg_store_t *s = (lg_store_t *)1;
    char err[LG_STORE_ERR_MAX];
    assert_int_equal(lg_store_open(path, LG_DUR_NORMAL, &s, err, sizeof err), want);
    assert_null(s);
    assert_non_null(strstr(err, path));
    if (also != NULL) assert_non_null(strstr(err, also));
}

/* ---- steps built by hand ------------------------------------------------------------ */

#define GROUP 7u
#define TOK_A 101u
#define TOK_B 102u
#define MAX_STEPS 8
#define MAX_ROWS_EXPECTED 64

typedef struct sample_step {
    lg_ns_t now;
    lg_event_t ev;
    lg_out_t out;
} sample_step_t;

static sample_step_t steps[MAX_STEPS];
static uint32_t n_steps;
static lg_position_row_t pos_rows[3] = {{TOK_A, 75}, {TOK_B, -75}, {999, 0}};

static void tag_of(uint8_t leg, char *out) {
    lg_tag_t t = {.group = GROUP, .leg = leg, .child = 0, .purpose = LG_PURPOSE_ENTRY, .attempt = 0};
    assert_int_equal(lg_tag_encode(&t, out, LG_TAG_MAX + 1), LG_OK);
}

static sample_step_t *new_step(lg_ns_t now, lg_ev_kind_t kind) {
    assert_true(n_steps < MAX_STEPS);
    sample_step_t *st = &steps[n_steps++];
    memset(&st->ev, 0, sizeof st->ev);
    st->ev.kind = kind;
    st->now = now;
    if (st->out.cmds == NULL) assert_int_equal(lg_out_init(&st->out, 8, 8, 2), LG_OK);
    lg_out_reset(&st->out);
    return st;
}

static void add_rec(sample_step_t *st, lg_rec_kind_t k, uint8_t leg, int64_t a, int64_t b, int64_t c) {
    lg_out_t *o = &st->out;
    assert_true(o->n_recs < o->cap_recs);
    lg_record_t *r = &o->recs[o->n_recs++];
    memset(r, 0, sizeof *r);
    r->kind = k;
    r->group = GROUP;
    if (leg != 0xff) tag_of(leg, r->tag);
    r->a = a;
    r->b = b;
    r->c = c;
}

static void add_place(sample_step_t *st, uint8_t leg, uint32_t token, int8_t side, lg_qty_t qty) {
    lg_out_t *o = &st->out;
    assert_true(o->n_cmds < o->cap_cmds);
    lg_cmd_t *c = &o->cmds[o->n_cmds++];
    memset(c, 0, sizeof *c);
    c->kind = LG_CMD_PLACE;
    tag_of(leg, c->tag);
    c->token = token;
    c->side = side;
    c->otype = LG_OT_LIMIT;
    c->qty = qty;
    c->price = 12050;
}

static void set_update(sample_step_t *st, uint8_t leg, lg_kstatus_t status, lg_qty_t filled) {
    lg_order_update_t *u = &st->ev.u.update;
    tag_of(leg, u->tag);
    snprintf(u->broker_id, sizeof u->broker_id, "2501%02u", (unsigned)leg);
    u->status = status;
    u->quantity = 75;
    u->filled = filled;
    u->avg_price = 12050;
}

/* Five steps of one two-leg group: submit, partial fill of the long leg (the short is
 * released), both complete, a positions snapshot, a tick. */
static void build_steps(void) {
    n_steps = 0;
    sample_step_t *st = new_step(1000, LG_EV_GROUP_SUBMIT);
    lg_group_spec_t *g = &st->ev.u.submit;
    g->n_legs = 2;
    g->legs[0] = (lg_leg_spec_t){.token = TOK_A, .side = 1, .covered_by = -1, .qty = 75};
    g->legs[1] = (lg_leg_spec_t){.token = TOK_B, .side = -1, .covered_by = 0, .qty = 75, .limit_price = 9000};
    g->policy = -1;
    g->on_incomplete = -1;
    add_rec(st, LG_REC_GROUP_STATE, 0xff, LG_GS_CREATED, LG_GS_VALIDATED, LG_WHY_SUBMIT);
    add_rec(st, LG_REC_GROUP_STATE, 0xff, LG_GS_VALIDATED, LG_GS_SUBMITTED, LG_WHY_SUBMIT);
    add_rec(st, LG_REC_ORDER_INTENT, 0, TOK_A, 75, 12050);
    add_place(st, 0, TOK_A, 1, 75);

    st = new_step(2000, LG_EV_ORDER_UPDATE);
    set_update(st, 0, LG_KS_OPEN, 25);
    add_rec(st, LG_REC_ORDER_STATE, 0, LG_OS_SENT, LG_OS_OPEN, 25);
    add_rec(st, LG_REC_FILL, 0, TOK_A, 25, 25 * 12050);
    add_rec(st, LG_REC_GROUP_STATE, 0xff, LG_GS_SUBMITTED, LG_GS_PARTIALLY_FILLED, LG_WHY_FILL);
    add_rec(st, LG_REC_ORDER_INTENT, 1, TOK_B, -75, 9000);
    add_place(st, 1, TOK_B, -1, 75);

    st = new_step(3000, LG_EV_ORDER_UPDATE);
    set_update(st, 0, LG_KS_COMPLETE, 75);
    add_rec(st, LG_REC_ORDER_STATE, 0, LG_OS_OPEN, LG_OS_COMPLETE, 75);
    add_rec(st, LG_REC_FILL, 0, TOK_A, 50, 50 * 12050);
    add_rec(st, LG_REC_ORDER_STATE, 1, LG_OS_SENT, LG_OS_COMPLETE, 75);
    add_rec(st, LG_REC_FILL, 1, TOK_B, -75, -75 * 9000);
    add_rec(st, LG_REC_GROUP_STATE, 0xff, LG_GS_PARTIALLY_FILLED, LG_GS_FILLED, LG_WHY_FILL);

    st = new_step(4000, LG_EV_POSITIONS);
    st->ev.u.positions.rows = pos_rows;
    st->ev.u.positions.n = 3;
    add_rec(st, LG_REC_GROUP_STATE, 0xff, LG_GS_FILLED, LG_GS_HEDGED, LG_WHY_POSITIONS);

    st = new_step(5000, LG_EV_TICK);
    st->ev.u.tick.token = TOK_A;
    st->ev.u.tick.ltp = 12100;
    st->ev.u.tick.bid = 12095;
    st->ev.u.tick.ask = 12105;
}

static void free_steps(void) {
    for (uint32_t i = 0; i < MAX_STEPS; i++)
        if (steps[i].out.cmds != NULL) lg_out_free(&steps[i].out);
}

static void append_all(lg_store_t *s) {
    for (uint32_t i = 0; i < n_steps; i++) {
        int rc = lg_store_append_step(s, steps[i].now, &steps[i].ev, &steps[i].out);
        if (rc != LG_OK) fprintf(stderr, "append: %s\n", lg_store_errmsg(s));
        assert_int_equal(rc, LG_OK);
    }
}

/* Appends steps[from, to) inside the open batch. */
static void append_range(lg_store_t *s, uint32_t from, uint32_t to) {
    for (uint32_t i = from; i < to; i++) {
        int rc = lg_store_append_step(s, steps[i].now, &steps[i].ev, &steps[i].out);
        if (rc != LG_OK) fprintf(stderr, "append: %s\n", lg_store_errmsg(s));
        assert_int_equal(rc, LG_OK);
    }
}

static void expect_last(const lg_store_t *s, uint64_t want_seq, uint64_t want_step) {
    uint64_t seq = 0, step = 0;
    lg_store_last(s, &seq, &step);
    assert_int_equal(seq, want_seq);
    assert_int_equal(step, want_step);
}

static uint64_t rows_of_steps(void) {
    uint64_t n = 0;
    for (uint32_t i = 0; i < n_steps; i++) n += 1 + steps[i].out.n_recs + steps[i].out.n_cmds;
    return n;
}

/* ---- reading back -------------------------------------------------------------------- */

static void expect_event(const lg_store_row_t *r, const sample_step_t *st) {
    assert_int_equal(r->item, LG_JRNL_EVENT);
    assert_int_equal(r->kind, st->ev.kind);
    if (st->ev.kind == LG_EV_POSITIONS) {
        assert_int_equal(r->u.ev.u.positions.n, st->ev.u.positions.n);
        assert_memory_equal(r->u.ev.u.positions.rows, st->ev.u.positions.rows,
                            st->ev.u.positions.n * sizeof(lg_position_row_t));
        return;
    }
    assert_memory_equal(&r->u.ev, &st->ev, sizeof st->ev);
}

/* Reads every row from seq `from` and checks it against steps[] (which start at
 * seq 1, step 1). Returns the number of rows read. */
static uint64_t read_and_check(lg_store_t *s) {
    lg_store_row_t r;
    uint64_t seq = 1;
    for (uint32_t i = 0; i < n_steps; i++) {
        const sample_step_t *st = &steps[i];
        uint32_t n = 1 + st->out.n_recs + st->out.n_cmds;
        for (uint32_t j = 0; j < n; j++, seq++) {
            assert_int_equal(lg_store_read(s, seq, &r), LG_OK);
            assert_int_equal(r.seq, seq);
            assert_int_equal(r.step, i + 1);
            assert_int_equal(r.time_ns, st->now);
            if (j == 0) {
                expect_event(&r, st);
            } else if (j <= st->out.n_recs) {
                const lg_record_t *want = &st->out.recs[j - 1];
                assert_int_equal(r.item, LG_JRNL_RECORD);
                assert_int_equal(r.grp, GROUP);
                assert_memory_equal(&r.u.rec, want, sizeof *want);
            } else {
                const lg_cmd_t *want = &st->out.cmds[j - 1 - st->out.n_recs];
                assert_int_equal(r.item, LG_JRNL_CMD);
                assert_int_equal(r.grp, GROUP);
                assert_memory_equal(&r.u.cmd, want, sizeof *want);
            }
        }
    }
    assert_int_equal(lg_store_read(s, seq, &r), LG_STORE_END);
    return seq - 1;
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_create_reopen(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    build_steps();
    lg_store_t *s = open_ok(path, LG_DUR_NORMAL);
    uint64_t seq = 9, step = 9;
    lg_store_last(s, &seq, &step);
    assert_int_equal(seq, 0);
    assert_int_equal(step, 0);
    lg_store_row_t r;
    assert_int_equal(lg_store_read(s, 1, &r), LG_STORE_END);
    assert_int_equal(lg_store_append_step(s, steps[0].now, &steps[0].ev, &steps[0].out), LG_OK);
    lg_store_close(s);

    assert_int_equal(raw_int(path, "PRAGMA application_id"), LG_STORE_APP_ID);
    assert_int_equal(raw_int(path, "PRAGMA user_version"), LG_STORE_SCHEMA_VERSION);
    assert_int_equal(raw_int(path, "SELECT value FROM meta WHERE key = 'codec_version'"), LG_JRNL_VERSION);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM execution_events"), 5);

    s = open_ok(path, LG_DUR_FULL);
    lg_store_last(s, &seq, &step);
    assert_int_equal(seq, 5);
    assert_int_equal(step, 1);
    for (uint32_t i = 1; i < n_steps; i++)
        assert_int_equal(lg_store_append_step(s, steps[i].now, &steps[i].ev, &steps[i].out), LG_OK);
    assert_int_equal(read_and_check(s), rows_of_steps());
    lg_store_close(s);
    remove_db(path);
}

static void test_roundtrip(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    build_steps();
    lg_store_t *s = open_ok(path, LG_DUR_NORMAL);
    append_all(s);
    uint64_t seq = 0, step = 0;
    lg_store_last(s, &seq, &step);
    assert_int_equal(seq, rows_of_steps());
    assert_int_equal(step, n_steps);
    assert_int_equal(read_and_check(s), rows_of_steps());
    /* reading from the middle, and from 0, lands on the next row */
    lg_store_row_t r;
    assert_int_equal(lg_store_read(s, 0, &r), LG_OK);
    assert_int_equal(r.seq, 1);
    assert_int_equal(lg_store_read(s, 7, &r), LG_OK);
    assert_int_equal(r.seq, 7);
    assert_int_equal(lg_store_read(s, (uint64_t)INT64_MAX, &r), LG_STORE_END);
    /* the iteration idiom of store.h */
    uint64_t n = 0;
    for (uint64_t q = 1; n < 1000 && lg_store_read(s, q, &r) == LG_OK; q = r.seq + 1) n++;
    assert_int_equal(n, rows_of_steps());
    lg_store_close(s);
    remove_db(path);
}

static void test_projections(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    build_steps();
    lg_store_t *s = open_ok(path, LG_DUR_NORMAL);
    append_all(s);
    lg_qty_t q = 99;
    assert_int_equal(lg_store_position(s, TOK_A, &q), LG_OK);
    assert_int_equal(q, 75);
    assert_int_equal(lg_store_position(s, TOK_B, &q), LG_OK);
    assert_int_equal(q, -75);
    assert_int_equal(lg_store_position(s, 555, &q), LG_OK);
    assert_int_equal(q, 0);
    int32_t gs = -1;
    assert_int_equal(lg_store_group_state(s, GROUP, &gs), LG_OK);
    assert_int_equal(gs, LG_GS_HEDGED);
    assert_int_equal(lg_store_group_state(s, GROUP + 1, &gs), LG_EUNKNOWN_GROUP);
    lg_store_close(s);

    char tag[LG_TAG_MAX + 1], sql[200];
    tag_of(0, tag);
    snprintf(sql, sizeof sql, "SELECT state * 1000 + filled FROM orders WHERE tag = '%s'", tag);
    assert_int_equal(raw_int(path, sql), LG_OS_COMPLETE * 1000 + 75);
    snprintf(sql, sizeof sql, "SELECT grp * 100000 + leg * 1000 + purpose FROM orders WHERE tag = '%s'", tag);
    assert_int_equal(raw_int(path, sql), (int64_t)GROUP * 100000 + 0 * 1000 + 'E');
    tag_of(1, tag);
    snprintf(sql, sizeof sql, "SELECT leg * 1000 + state FROM orders WHERE tag = '%s'", tag);
    assert_int_equal(raw_int(path, sql), 1 * 1000 + LG_OS_COMPLETE);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM orders"), 2);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM fills"), 3);
    assert_int_equal(raw_int(path, "SELECT sum(qty) FROM fills WHERE token = 101"), 75);
    assert_int_equal(raw_int(path, "SELECT sum(value) FROM fills"), 75 * 12050 - 75 * 9000);
    /* every fill's seq is the journal row of its FILL record */
    assert_int_equal(raw_int(path, "SELECT count(*) FROM fills f JOIN execution_events e"
                                   " ON e.seq = f.seq WHERE e.item = 2 AND e.kind = 4"), 3);
    assert_int_equal(raw_int(path, "SELECT updated_ns FROM order_groups WHERE id = 7"), 4000);
    remove_db(path);
}

static void test_foreign_db(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    raw_exec(path, "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT);"
                   "INSERT INTO customers VALUES(1, 'x');");
    expect_open_fails(path, LG_EMISMATCH, "not a legato store");
    /* untouched: still not WAL, still the one table */
    assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master"), 1);
    remove_db(path);

    /* another application's id on an empty database */
    tmp_path(path);
    raw_exec(path, "PRAGMA application_id = 1234;");
    expect_open_fails(path, LG_EMISMATCH, NULL);
    remove_db(path);

    /* our id, but a table that is not ours */
    tmp_path(path);
    lg_store_close(open_ok(path, LG_DUR_NORMAL));
    raw_exec(path, "CREATE TABLE intruder(x);");
    expect_open_fails(path, LG_EMISMATCH, "intruder");
    remove_db(path);
}

static void test_random_bytes(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    srand(42);
    for (int i = 0; i < 8192; i++) fputc(rand() & 0xff, f);
    fclose(f);
    expect_open_fails(path, LG_EIO, NULL);
    assert_int_equal(file_size(path), 8192);
    remove_db(path);
}

static void test_truncated_db(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    build_steps();
    lg_store_t *s = open_ok(path, LG_DUR_NORMAL);
    for (int k = 0; k < 40; k++) append_all(s);
    assert_int_equal(lg_store_checkpoint(s, LG_CKPT_TRUNCATE), LG_OK);
    lg_store_close(s);
    off_t size = file_size(path);
    assert_true(size > 3 * 4096);
    assert_int_equal(truncate(path, size / 2), 0);
    expect_open_fails(path, LG_EIO, NULL);
    remove_db(path);
}

static void test_future_version(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    lg_store_close(open_ok(path, LG_DUR_NORMAL));
    raw_exec(path, "PRAGMA user_version = 99;");
    expect_open_fails(path, LG_ERANGE, "99");
    lg_store_t *s = NULL;
    char err[LG_STORE_ERR_MAX];
    assert_int_equal(lg_store_open(path, LG_DUR_FULL, &s, err, sizeof err), LG_ERANGE);
    assert_non_null(strstr(err, "version 1"));
    remove_db(path);
}

static void test_corrupt_payload(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    build_steps();
    lg_store_t *s = open_ok(path, LG_DUR_NORMAL);
    append_all(s);
    raw_exec(path, "UPDATE execution_events SET payload = x'A70102' WHERE seq = 3;"
                   "UPDATE execution_events SET kind = 3 WHERE seq = 9;"
                   "UPDATE execution_events SET payload = 'text' WHERE seq = 12;");
    lg_store_row_t r;
    assert_int_equal(lg_store_read(s, 1, &r), LG_OK);
    assert_int_equal(lg_store_read(s, 2, &r), LG_OK);
    assert_int_equal(lg_store_read(s, 3, &r), LG_EPARSE);
    assert_non_null(strstr(lg_store_errmsg(s), "seq 3"));
    assert_non_null(strstr(lg_store_errmsg(s), path));
    assert_int_equal(lg_store_read(s, 4, &r), LG_OK);
    assert_int_equal(r.seq, 4);
    assert_int_equal(lg_store_read(s, 9, &r), LG_EPARSE); /* kind column disagrees */
    assert_non_null(strstr(lg_store_errmsg(s), "seq 9"));
    assert_int_equal(lg_store_read(s, 12, &r), LG_EPARSE); /* not a blob */
    assert_non_null(strstr(lg_store_errmsg(s), "seq 12"));
    lg_store_close(s);
    remove_db(path);
}

static void test_failed_step_rolls_back(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    build_steps();
    lg_store_t *s = open_ok(path, LG_DUR_NORMAL);
    assert_int_equal(lg_store_append_step(s, steps[0].now, &steps[0].ev, &steps[0].out), LG_OK);
    /* step 2 inserts its event and two records, then its FILL fails */
    raw_exec(path, "CREATE TRIGGER no_fills BEFORE INSERT ON fills"
                   " BEGIN SELECT RAISE(ABORT, 'boom'); END;");
    assert_int_equal(lg_store_append_step(s, steps[1].now, &steps[1].ev, &steps[1].out), LG_EIO);
    assert_non_null(strstr(lg_store_errmsg(s), "boom"));
    assert_non_null(strstr(lg_store_errmsg(s), path));
    uint64_t seq = 0, step = 0;
    lg_store_last(s, &seq, &step);
    assert_int_equal(seq, 5);
    assert_int_equal(step, 1);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM execution_events"), 5);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM orders"), 1);
    assert_int_equal(raw_int(path, "SELECT state FROM orders"), LG_OS_INTENT);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM positions"), 0);
    int32_t gs = -1;
    assert_int_equal(lg_store_group_state(s, GROUP, &gs), LG_OK);
    assert_int_equal(gs, LG_GS_SUBMITTED);
    /* the store stays usable: the same step goes in once the trigger is gone */
    raw_exec(path, "DROP TRIGGER no_fills;");
    for (uint32_t i = 1; i < n_steps; i++)
        assert_int_equal(lg_store_append_step(s, steps[i].now, &steps[i].ev, &steps[i].out), LG_OK);
    assert_int_equal(read_and_check(s), rows_of_steps());
    lg_store_close(s);
    remove_db(path);
}

/* One batch of every step reads back, and stores, exactly what single appends do. */
static void test_batch_matches_singles(void **state) {
    (void)state;
    char single[PATH_MAX_LEN], batch[PATH_MAX_LEN];
    tmp_path(single);
    tmp_path(batch);
    build_steps();
    lg_store_t *s = open_ok(single, LG_DUR_NORMAL);
    append_all(s);
    lg_store_close(s);

    s = open_ok(batch, LG_DUR_FULL);
    assert_int_equal(lg_store_begin(s), LG_OK);
    append_range(s, 0, 2);
    expect_last(s, 1 + steps[0].out.n_recs + steps[0].out.n_cmds + 1 + steps[1].out.n_recs +
                       steps[1].out.n_cmds, 2);
    append_range(s, 2, n_steps);
    /* the batch's own connection sees its rows before the commit, another does not */
    assert_int_equal(raw_int(batch, "SELECT count(*) FROM execution_events"), 0);
    assert_int_equal(read_and_check(s), rows_of_steps());
    assert_int_equal(lg_store_commit(s), LG_OK);
    expect_last(s, rows_of_steps(), n_steps);
    assert_int_equal(raw_int(batch, "SELECT count(*) FROM execution_events"), (int64_t)rows_of_steps());
    assert_int_equal(read_and_check(s), rows_of_steps());
    /* an empty batch commits nothing */
    assert_int_equal(lg_store_begin(s), LG_OK);
    assert_int_equal(lg_store_commit(s), LG_OK);
    expect_last(s, rows_of_steps(), n_steps);
    lg_store_close(s);
    expect_same_tables(single, batch);

    /* reopened, the batch's steps are there; batches and single appends then mix */
    s = open_ok(batch, LG_DUR_NORMAL);
    expect_last(s, rows_of_steps(), n_steps);
    assert_int_equal(lg_store_begin(s), LG_OK);
    append_range(s, 0, 3);
    assert_int_equal(lg_store_commit(s), LG_OK);
    append_range(s, 3, n_steps);
    lg_store_close(s);
    s = open_ok(single, LG_DUR_NORMAL);
    append_all(s);
    lg_store_close(s);
    expect_same_tables(single, batch);
    remove_db(single);
    remove_db(batch);
}

/* Two fresh stores holding step 1: `ref` (closed, the expected state) and `path`
 * (returned open with durability d), for the batch tests to diverge from. */
static lg_store_t *ref_and_open_after_first(char *path, char *ref, lg_durability_t d) {
    tmp_path(path);
    tmp_path(ref);
    build_steps();
    lg_store_t *s = open_ok(ref, LG_DUR_NORMAL);
    assert_int_equal(lg_store_append_step(s, steps[0].now, &steps[0].ev, &steps[0].out), LG_OK);
    lg_store_close(s);
    s = open_ok(path, d);
    assert_int_equal(lg_store_append_step(s, steps[0].now, &steps[0].ev, &steps[0].out), LG_OK);
    return s;
}

/* A failing append in the middle of a batch undoes the whole batch, closes it, and
 * leaves the store as it was before the batch; numbering continues from there. */
static void test_batch_failure_rolls_back(void **state) {
    (void)state;
    char path[PATH_MAX_LEN], ref[PATH_MAX_LEN];
    lg_store_t *s = ref_and_open_after_first(path, ref, LG_DUR_NORMAL);
    /* step 2 goes in whole (its fill is of TOK_A); step 3 inserts its event, two
     * records and TOK_A's fill, then TOK_B's fill fails */
    raw_exec(path, "CREATE TRIGGER no_b_fills BEFORE INSERT ON fills WHEN NEW.token = 102"
                   " BEGIN SELECT RAISE(ABORT, 'boom'); END;");
    assert_int_equal(lg_store_begin(s), LG_OK);
    append_range(s, 1, 2);
    assert_int_equal(lg_store_append_step(s, steps[2].now, &steps[2].ev, &steps[2].out), LG_EIO);
    assert_non_null(strstr(lg_store_errmsg(s), "boom"));
    assert_non_null(strstr(lg_store_errmsg(s), path));
    expect_last(s, 5, 1);
    lg_store_rollback(s); /* the batch is already closed: nothing to do */
    expect_last(s, 5, 1);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM execution_events"), 5);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM fills"), 0);
    int32_t gs = -1;
    assert_int_equal(lg_store_group_state(s, GROUP, &gs), LG_OK);
    assert_int_equal(gs, LG_GS_SUBMITTED);
    lg_qty_t q = 99;
    assert_int_equal(lg_store_position(s, TOK_A, &q), LG_OK);
    assert_int_equal(q, 0);
    lg_store_row_t r;
    assert_int_equal(lg_store_read(s, 6, &r), LG_STORE_END);
    raw_exec(path, "DROP TRIGGER no_b_fills;");
    expect_same_tables(ref, path);

    /* the store stays usable: a new batch (begin is allowed again) takes the same steps
     * with contiguous seqs and steps, then a single append follows */
    assert_int_equal(lg_store_begin(s), LG_OK);
    append_range(s, 1, n_steps - 1);
    assert_int_equal(lg_store_commit(s), LG_OK);
    append_range(s, n_steps - 1, n_steps);
    expect_last(s, rows_of_steps(), n_steps);
    assert_int_equal(read_and_check(s), rows_of_steps());
    lg_store_close(s);
    s = open_ok(ref, LG_DUR_NORMAL);
    append_range(s, 1, n_steps);
    lg_store_close(s);
    expect_same_tables(ref, path);
    remove_db(path);
    remove_db(ref);
}

/* The caller's rollback, and closing with a batch open, keep nothing of the batch. */
static void test_batch_rollback(void **state) {
    (void)state;
    char path[PATH_MAX_LEN], ref[PATH_MAX_LEN];
    lg_store_t *s = ref_and_open_after_first(path, ref, LG_DUR_FULL);
    assert_int_equal(lg_store_begin(s), LG_OK);
    append_range(s, 1, 4);
    uint64_t seq = 0, step = 0;
    lg_store_last(s, &seq, &step);
    assert_true(seq > 5 && step == 4);
    lg_qty_t q = 0;
    assert_int_equal(lg_store_position(s, TOK_A, &q), LG_OK);
    assert_int_equal(q, 75); /* visible inside the batch */
    lg_store_rollback(s);
    expect_last(s, 5, 1);
    assert_int_equal(lg_store_position(s, TOK_A, &q), LG_OK);
    assert_int_equal(q, 0);
    lg_store_row_t r;
    assert_int_equal(lg_store_read(s, 6, &r), LG_STORE_END);
    expect_same_tables(ref, path);

    /* a batch open at close is rolled back too */
    assert_int_equal(lg_store_begin(s), LG_OK);
    append_range(s, 1, n_steps);
    lg_store_close(s);
    expect_same_tables(ref, path);
    s = open_ok(path, LG_DUR_NORMAL);
    expect_last(s, 5, 1);
    append_range(s, 1, n_steps);
    assert_int_equal(read_and_check(s), rows_of_steps());
    assert_int_equal(lg_store_checkpoint(s, LG_CKPT_TRUNCATE), LG_OK);
    lg_store_close(s);
    remove_db(path);
    remove_db(ref);
}

static void test_durability(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    int64_t v = -1;
    lg_store_t *s = open_ok(path, LG_DUR_FULL);
    assert_int_equal(lg_store_pragma(s, "synchronous", &v), LG_OK);
    assert_int_equal(v, 2);
    assert_int_equal(lg_store_pragma(s, "wal_autocheckpoint", &v), LG_OK);
    assert_int_equal(v, 0);
    assert_int_equal(lg_store_pragma(s, "busy_timeout", &v), LG_OK);
    assert_true(v > 0 && v <= 100);
    assert_int_equal(lg_store_pragma(s, "synchronous; DROP TABLE meta", &v), LG_EINVAL);
    lg_store_close(s);
    s = open_ok(path, LG_DUR_NORMAL);
    assert_int_equal(lg_store_pragma(s, "synchronous", &v), LG_OK);
    assert_int_equal(v, 1);
    lg_store_close(s);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    remove_db(path);
}

static void test_checkpoint(void **state) {
    (void)state;
    char path[PATH_MAX_LEN], wal[PATH_MAX_LEN + 8];
    tmp_path(path);
    snprintf(wal, sizeof wal, "%s-wal", path);
    build_steps();
    lg_store_t *s = open_ok(path, LG_DUR_NORMAL);
    for (int k = 0; k < 20; k++) append_all(s);
    off_t before = file_size(wal);
    assert_true(before > 0);
    assert_int_equal(lg_store_checkpoint(s, LG_CKPT_PASSIVE), LG_OK);
    assert_int_equal(file_size(wal), before); /* passive copies, keeps the file */
    assert_int_equal(lg_store_checkpoint(s, LG_CKPT_TRUNCATE), LG_OK);
    assert_int_equal(file_size(wal), 0);
    append_all(s);
    assert_true(file_size(wal) > 0);
    lg_store_close(s);
    s = open_ok(path, LG_DUR_NORMAL);
    uint64_t seq = 0, step = 0;
    lg_store_last(s, &seq, &step);
    assert_int_equal(seq, 21 * rows_of_steps());
    assert_int_equal(step, 21 * n_steps);
    lg_qty_t q = 0;
    assert_int_equal(lg_store_position(s, TOK_B, &q), LG_OK);
    assert_int_equal(q, -75 * 21);
    lg_store_close(s);
    remove_db(path);
}

/* ---- setup: instrument master and engine configuration --------------------------- */

static void make_instrument(lg_instrument_t *ins, uint32_t token, const char *sym, const char *und,
                            int32_t expiry, lg_paise_t strike, lg_kind_t kind, lg_qty_t lot,
                            lg_paise_t tick, lg_qty_t freeze) {
    memset(ins, 0, sizeof *ins);
    ins->token = token;
    snprintf(ins->symbol, sizeof ins->symbol, "%s", sym);
    snprintf(ins->underlying, sizeof ins->underlying, "%s", und);
    ins->expiry_day = expiry;
    ins->strike = strike;
    ins->kind = kind;
    ins->lot = lot;
    ins->tick = tick;
    ins->freeze = freeze;
}

/* Three instruments, tokens deliberately not in ascending order. */
static void make_master(lg_instruments_t *m) {
    lg_instrument_t ins[3];
    make_instrument(&ins[0], 30001, "NIFTY26DEC24000CE", "NIFTY", 20813, 2400000, LG_KIND_CE, 75, 5, 1800);
    make_instrument(&ins[1], 101, "BANKNIFTY26DEC52000PE", "BANKNIFTY", 20814, 5200000, LG_KIND_PE, 30,
                    10, 900);
    make_instrument(&ins[2], 4000000000u, "NIFTY26DECFUT", "NIFTY", -3, 0, LG_KIND_FUT, 75, 10, 75);
    assert_int_equal(lg_instruments_init(m, 3), LG_OK);
    for (int i = 0; i < 3; i++) assert_int_equal(lg_instruments_add(m, &ins[i]), LG_OK);
}

/* Every field set to a value other than its default, padding zeroed. */
static void make_config(lg_engine_config_t *c) {
    memset(c, 0, sizeof *c);
    c->max_groups = 4000000000u;
    c->max_orders = 77777;
    c->policy = -128;
    c->on_incomplete = 127;
    c->entry_timeout_ns = INT64_MAX;
    c->naked_grace_ns = INT64_MIN;
    c->delta_limit_frac = 0.1 + 0.2;
    c->delta_grace_ns = 7 * LG_NS_PER_S + 1;
    c->default_iv = 1.0 / 3.0;
    c->clock_offset_ns = -19800 * LG_NS_PER_S;
    c->ratchet_slices = 9;
    c->entry_mprot_pct = -32768;
    c->emergency_mprot_pct = 32767;
    c->max_mprot_pct = 33;
    c->emergency_max_failures = 65535;
    c->emergency_retry_ns = 3;
    c->reversal_fill_ns = 4;
    c->order_silence_ns = 5;
    c->positions_check_ns = 6;
    c->positions_checks = 11;
    c->finished_retain_ns = 12;
}

static void expect_same_master(const lg_instruments_t *a, const lg_instruments_t *b) {
    assert_int_equal(a->n, b->n);
    for (uint32_t i = 0; i < a->n; i++) {
        const lg_instrument_t *x = &a->items[i], *y = &b->items[i];
        assert_int_equal(x->token, y->token);
        assert_string_equal(x->symbol, y->symbol);
        assert_string_equal(x->underlying, y->underlying);
        assert_int_equal(x->expiry_day, y->expiry_day);
        assert_int_equal(x->strike, y->strike);
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->lot, y->lot);
        assert_int_equal(x->tick, y->tick);
        assert_int_equal(x->freeze, y->freeze);
        assert_ptr_equal(lg_instruments_find(b, x->token), y);
    }
}

/* A store at path holding the sample setup. */
static void save_sample(const char *path) {
    lg_instruments_t m;
    lg_engine_config_t c;
    make_master(&m);
    make_config(&c);
    lg_store_t *s = open_ok(path, LG_DUR_NORMAL);
    assert_int_equal(lg_store_save_setup(s, &m, &c), LG_OK);
    lg_store_close(s);
    lg_instruments_free(&m);
}

/* Loading must fail with want and a message containing also; m freed, cfg untouched. */
static void expect_load_fails(const char *path, int want, const char *also) {
    lg_store_t *s = open_ok(path, LG_DUR_NORMAL);
    lg_instruments_t m;
    memset(&m, 0xa5, sizeof m);
    lg_engine_config_t c, before;
    memset(&c, 0x5a, sizeof c);
    memcpy(&before, &c, sizeof c);
    char err[LG_STORE_ERR_MAX];
    int rc = lg_store_load_setup(s, &m, &c, err, sizeof err);
    if (rc != want || strstr(err, also) == NULL) fail_msg("load: %s (%s), want %s", err, lg_errname(rc), also);
    assert_string_equal(lg_store_errmsg(s), err);
    assert_null(m.items);
    assert_null(m.slots);
    assert_int_equal(m.n, 0);
    assert_memory_equal(&c, &before, sizeof c);
    lg_store_close(s);
}

static void test_setup_roundtrip(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    lg_instruments_t m, got;
    lg_engine_config_t c, gotc;
    make_master(&m);
    make_config(&c);
    lg_store_t *s = open_ok(path, LG_DUR_NORMAL);
    /* A first setup, replaced whole by the second. */
    lg_instruments_t first;
    lg_engine_config_t dflt;
    lg_engine_config_default(&dflt);
    assert_int_equal(lg_instruments_init(&first, 1), LG_OK);
    assert_int_equal(lg_instruments_add(&first, &m.items[1]), LG_OK);
    assert_int_equal(lg_store_save_setup(s, &first, &dflt), LG_OK);
    lg_instruments_free(&first);
    assert_int_equal(lg_store_save_setup(s, &m, &c), LG_OK);
    lg_store_close(s);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM instruments"), 3);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM engine_config WHERE key = 'max_groups'"
                                   " AND value = '4000000000'"), 1);

    s = open_ok(path, LG_DUR_FULL);
    char err[LG_STORE_ERR_MAX] = "junk";
    memset(&gotc, 0xff, sizeof gotc);
    assert_int_equal(lg_store_load_setup(s, &got, &gotc, err, sizeof err), LG_OK);
    assert_string_equal(err, "");
    expect_same_master(&m, &got);
    assert_memory_equal(&gotc, &c, sizeof c);
    lg_instruments_free(&got);

    /* The defaults round-trip too (doubles such as 0.15 exactly). */
    assert_int_equal(lg_store_save_setup(s, &m, &dflt), LG_OK);
    assert_int_equal(lg_store_load_setup(s, &got, &gotc, err, sizeof err), LG_OK);
    assert_true(gotc.default_iv == 0.15 && gotc.delta_limit_frac == 0.6);
    assert_int_equal(gotc.max_groups, dflt.max_groups);
    assert_int_equal(gotc.finished_retain_ns, dflt.finished_retain_ns);
    lg_instruments_free(&got);
    lg_store_close(s);
    lg_instruments_free(&m);
    remove_db(path);
}

static void test_setup_tampered(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    save_sample(path);
    raw_exec(path, "UPDATE engine_config SET value = 'x' WHERE key = 'max_groups'");
    expect_load_fails(path, LG_EPARSE, "max_groups");
    raw_exec(path, "UPDATE engine_config SET value = '4294967296' WHERE key = 'max_groups'");
    expect_load_fails(path, LG_EPARSE, "max_groups");
    raw_exec(path, "UPDATE engine_config SET value = '-1' WHERE key = 'max_groups'");
    expect_load_fails(path, LG_EPARSE, "max_groups");
    raw_exec(path, "UPDATE engine_config SET value = ' 5' WHERE key = 'max_groups'");
    expect_load_fails(path, LG_EPARSE, "max_groups");
    raw_exec(path, "UPDATE engine_config SET value = '4000000000' WHERE key = 'max_groups'");
    raw_exec(path, "UPDATE engine_config SET value = '128' WHERE key = 'policy'");
    expect_load_fails(path, LG_EPARSE, "policy");
    raw_exec(path, "UPDATE engine_config SET value = '-128' WHERE key = 'policy'");
    raw_exec(path, "UPDATE engine_config SET value = 'nan' WHERE key = 'default_iv'");
    expect_load_fails(path, LG_EPARSE, "default_iv");
    raw_exec(path, "UPDATE engine_config SET value = '1e999' WHERE key = 'default_iv'");
    expect_load_fails(path, LG_EPARSE, "default_iv");
    remove_db(path);

    save_sample(path);
    raw_exec(path, "INSERT INTO engine_config(key, value) VALUES('turbo_mode', '1')");
    expect_load_fails(path, LG_EPARSE, "turbo_mode");
    remove_db(path);

    save_sample(path);
    raw_exec(path, "DELETE FROM engine_config WHERE key = 'positions_checks'");
    expect_load_fails(path, LG_EPARSE, "positions_checks");
    remove_db(path);

    save_sample(path);
    raw_exec(path, "UPDATE instruments SET lot = 0 WHERE token = 101");
    expect_load_fails(path, LG_EQTY, "token 101");
    raw_exec(path, "UPDATE instruments SET lot = 'x' WHERE token = 101");
    expect_load_fails(path, LG_EPARSE, "token 101");
    remove_db(path);

    save_sample(path);
    raw_exec(path, "UPDATE instruments SET symbol = 'NIFTY26DEC24000CE' WHERE token = 101");
    lg_store_t *s = open_ok(path, LG_DUR_NORMAL);
    lg_instruments_t m;
    lg_engine_config_t c;
    assert_int_equal(lg_store_load_setup(s, &m, &c, NULL, 0), LG_OK); /* symbols need not be unique */
    lg_instruments_free(&m);
    lg_store_close(s);
    remove_db(path);
}

static void test_setup_empty(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    lg_store_t *s = open_ok(path, LG_DUR_NORMAL);
    lg_store_close(s);
    char want[PATH_MAX_LEN + 32];
    snprintf(want, sizeof want, "no setup stored in %s", path);
    expect_load_fails(path, LG_EINVAL, want);
    /* An empty master is refused and writes nothing. */
    s = open_ok(path, LG_DUR_NORMAL);
    lg_instruments_t m;
    lg_engine_config_t c;
    assert_int_equal(lg_instruments_init(&m, 1), LG_OK);
    lg_engine_config_default(&c);
    assert_int_equal(lg_store_save_setup(s, &m, &c), LG_EINVAL);
    lg_instruments_free(&m);
    lg_store_close(s);
    expect_load_fails(path, LG_EINVAL, want);
    remove_db(path);
}

/* Runs call `which` in a child process; true when the child died of an assertion. */
static bool call_aborts(const char *path, int which) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL) _exit(3);
        lg_store_t *s = NULL;
        char err[64];
        if (lg_store_open(path, LG_DUR_NORMAL, &s, err, sizeof err) != LG_OK) _exit(4);
        sample_step_t *st = &steps[2];
        lg_store_row_t r;
        switch (which) {
        case 0: st->out.recs[0].kind = (lg_rec_kind_t)99; break;
        case 1: st->out.recs[0].tag[0] = '\0'; break;         /* ORDER_STATE without a tag */
        case 2: st->out.recs[4].b = LG_GS__COUNT; break;       /* GROUP_STATE out of range */
        case 3: st->out.n_recs = st->out.cap_recs + 1; break;
        case 4: st->out.cmds = NULL, st->out.n_cmds = 1; break;
        case 5: st->ev.kind = LG_EV_NONE; break;
        case 6: (void)lg_store_read(s, 1, NULL); break;
        case 7: (void)lg_store_open(NULL, LG_DUR_NORMAL, &s, err, sizeof err); break;
        case 8: (void)lg_store_open(path, (lg_durability_t)7, &s, err, sizeof err); break;
        case 9: (void)lg_store_begin(s), (void)lg_store_begin(s); break; /* nested */
        case 10: (void)lg_store_commit(s); break;                         /* no batch */
        case 11: (void)lg_store_begin(s), (void)lg_store_checkpoint(s, LG_CKPT_PASSIVE); break;
        case 12: { /* setup saved inside a batch */
            lg_instruments_t m;
            lg_engine_config_t c;
            make_master(&m);
            lg_engine_config_default(&c);
            (void)lg_store_begin(s), (void)lg_store_save_setup(s, &m, &c);
            break;
        }
        default: (void)r; break; /* the control: a valid step, no abort */
        }
        (void)lg_store_append_step(s, st->now, &st->ev, &st->out);
        lg_store_close(s);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void test_bad_arguments_abort(void **state) {
    (void)state;
    char path[PATH_MAX_LEN];
    tmp_path(path);
    build_steps();
    for (int i = 0; i <= 12; i++) {
        if (!call_aborts(path, i)) fail_msg("case %d did not abort", i);
    }
    assert_false(call_aborts(path, 13));
    assert_int_equal(raw_int(path, "SELECT count(*) FROM execution_events"),
                     1 + steps[2].out.n_recs + steps[2].out.n_cmds);
    remove_db(path);
}

static int teardown(void **state) {
    (void)state;
    free_steps();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_reopen),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_projections),
        cmocka_unit_test(test_foreign_db),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_truncated_db),
        cmocka_unit_test(test_future_version),
        cmocka_unit_test(test_corrupt_payload),
        cmocka_unit_test(test_failed_step_rolls_back),
        cmocka_unit_test(test_batch_matches_singles),
        cmocka_unit_test(test_batch_failure_rolls_back),
        cmocka_unit_test(test_batch_rollback),
        cmocka_unit_test(test_durability),
        cmocka_unit_test(test_checkpoint),
        cmocka_unit_test(test_setup_roundtrip),
        cmocka_unit_test(test_setup_tampered),
        cmocka_unit_test(test_setup_empty),
        cmocka_unit_test(test_bad_arguments_abort),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
