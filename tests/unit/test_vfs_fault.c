/*
 * test_vfs_fault.c — unit tests for the fault-injecting SQLite VFS (src/store/vfs_fault.c)
 * and for what the store does with a full disk or an I/O error on a journal commit: with
 * no fault the shim is invisible; a failing commit returns LG_ENOSPACE (full) or LG_EIO
 * (I/O error), leaves lg_store_last, the journal and the projections exactly as the
 * last committed step left them, and the next append after the fault is cleared
 * continues the numbering; a reopened file holds only the committed steps. Every fault
 * point of a commit is tried in turn (each xWrite and xSync of it), under both
 * durabilities; a commit whose WAL sync failed is found whole or not at all after a
 * restart; a failing batch commit, a batch that spills to disk mid-way and a failing
 * checkpoint leave the committed steps only. Files live in a fresh directory under
 * /tmp, removed afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "legato/engine.h"
#include "legato/store.h"
#include "legato/vfs_fault.h"

#define GROUP 7u
#define TOKEN 101u
#define DIR_LEN 64
/* More fault points than any one small commit has (its WAL frames and syncs). */
#define MAX_FAULT_POINTS 64u

/* ---- fixture: a fresh directory and one output buffer ----------------------------- */

typedef struct fixture {
    char dir[DIR_LEN];
    char db[DIR_LEN + 16];
    lg_out_t out;
} fixture_t;

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof *f);
    if (f == NULL) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/lg_vfs_fault_XXXXXX");
    if (mkdtemp(f->dir) == NULL) return -1;
    snprintf(f->db, sizeof f->db, "%s/j.db", f->dir);
    if (lg_out_init(&f->out, 4, 4, 1) != LG_OK) return -1;
    if (lg_vfs_fault_install() != LG_OK) return -1;
    lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
    *state = f;
    return 0;
}

/* Removes the database and its companions (those that exist). */
static void remove_files(const fixture_t *f) {
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < LG_COUNT(suffix); i++) {
        char p[DIR_LEN + 32];
        snprintf(p, sizeof p, "%s%s", f->db, suffix[i]);
        unlink(p);
    }
}

static int teardown(void **state) {
    fixture_t *f = *state;
    lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
    remove_files(f);
    int rc = rmdir(f->dir);
    lg_out_free(&f->out);
    free(f);
    return rc;
}

static lg_store_t *open_ok(const fixture_t *f, lg_durability_t d) {
    lg_store_t *s = NULL;
    char err[LG_STORE_ERR_MAX];
    int rc = lg_store_open(f->db, d, &s, err, sizeof err);
    if (rc != LG_OK) fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, LG_OK);
    assert_non_null(s);
    return s;
}

/* ---- steps: odd k is a tick (1 row), even k a control with a group-state record (2) */

static int64_t state_of(uint64_t k) {
    return (int64_t)((k / 2) % LG_GS__COUNT);
}

/* seq of the last row after n steps. */
static uint64_t seq_after(uint64_t n) {
    return n + n / 2;
}

static int append_step(fixture_t *f, lg_store_t *s, uint64_t k) {
    LG_ASSERT(k >= 1);
    lg_event_t ev;
    memset(&ev, 0, sizeof ev);
    lg_out_reset(&f->out);
    if (k % 2 == 1) {
        ev.kind = LG_EV_TICK;
        ev.u.tick.token = TOKEN;
        ev.u.tick.ltp = (lg_paise_t)(10000 + k);
        ev.u.tick.bid = ev.u.tick.ltp - 5;
        ev.u.tick.ask = ev.u.tick.ltp + 5;
    } else {
        ev.kind = LG_EV_CONTROL;
        ev.u.control.op = LG_CTL_EXIT_GROUP;
        ev.u.control.group = GROUP;
        lg_record_t *r = &f->out.recs[f->out.n_recs++];
        memset(r, 0, sizeof *r);
        r->kind = LG_REC_GROUP_STATE;
        r->group = GROUP;
        r->a = state_of(k - 2);
        r->b = state_of(k);
        r->c = LG_WHY_EXIT;
    }
    return lg_store_append_step(s, (lg_ns_t)k * 1000, &ev, &f->out);
}

static void append_ok(fixture_t *f, lg_store_t *s, uint64_t k) {
    int rc = append_step(f, s, k);
    if (rc != LG_OK) fprintf(stderr, "append %llu: %s\n", (unsigned long long)k, lg_store_errmsg(s));
    assert_int_equal(rc, LG_OK);
}

/* Reads step k's rows from *seq on, checking every column against what was appended. */
static void expect_step_rows(lg_store_t *s, uint64_t k, uint64_t *seq) {
    lg_store_row_t row;
    assert_int_equal(lg_store_read(s, *seq, &row), LG_OK);
    assert_int_equal(row.seq, *seq);
    assert_int_equal(row.step, k);
    assert_int_equal(row.time_ns, (lg_ns_t)k * 1000);
    assert_int_equal(row.item, LG_JRNL_EVENT);
    if (k % 2 == 1) {
        assert_int_equal(row.kind, LG_EV_TICK);
        assert_int_equal(row.u.ev.u.tick.token, TOKEN);
        assert_int_equal(row.u.ev.u.tick.ltp, (lg_paise_t)(10000 + k));
        *seq += 1;
        return;
    }
    assert_int_equal(row.kind, LG_EV_CONTROL);
    assert_int_equal(row.u.ev.u.control.group, GROUP);
    assert_int_equal(lg_store_read(s, *seq + 1, &row), LG_OK);
    assert_int_equal(row.seq, *seq + 1);
    assert_int_equal(row.step, k);
    assert_int_equal(row.item, LG_JRNL_RECORD);
    assert_int_equal(row.kind, LG_REC_GROUP_STATE);
    assert_int_equal(row.u.rec.b, state_of(k));
    *seq += 2;
}

/* The store holds exactly steps 1..n: counters, every row, nothing after, projection. */
static void expect_journal(lg_store_t *s, uint64_t n) {
    uint64_t seq = 0, step = 0;
    lg_store_last(s, &seq, &step);
    assert_int_equal(seq, seq_after(n));
    assert_int_equal(step, n);
    uint64_t next = 1;
    for (uint64_t k = 1; k <= n; k++) expect_step_rows(s, k, &next);
    lg_store_row_t row;
    assert_int_equal(lg_store_read(s, next, &row), LG_STORE_END);
    int32_t gs = -1;
    if (n < 2) {
        assert_int_equal(lg_store_group_state(s, GROUP, &gs), LG_EUNKNOWN_GROUP);
    } else {
        assert_int_equal(lg_store_group_state(s, GROUP, &gs), LG_OK);
        assert_int_equal(gs, state_of(n - n % 2));
    }
}

static int want_of(lg_vfs_fault_t fault) {
    return fault == LG_VFS_FAULT_FULL ? LG_ENOSPACE : LG_EIO;
}

/* Appending step n + 1 fails with the fault's error and changes nothing. */
static void expect_append_fails(fixture_t *f, lg_store_t *s, uint64_t n, lg_vfs_fault_t fault) {
    uint64_t before = lg_vfs_fault_count();
    int rc = append_step(f, s, n + 1);
    assert_int_equal(rc, want_of(fault));
    assert_true(lg_vfs_fault_count() > before);
    assert_non_null(strstr(lg_store_errmsg(s), f->db));
    expect_journal(s, n);
}

/* ---- (1) no fault: the shim is invisible ------------------------------------------- */

static void test_install_no_fault(void **state) {
    fixture_t *f = *state;
    assert_int_equal(lg_vfs_fault_install(), LG_OK); /* idempotent */
    sqlite3_vfs *v = sqlite3_vfs_find(NULL);
    assert_non_null(v);
    assert_string_equal(v->zName, LG_VFS_FAULT_NAME);
    assert_ptr_equal(sqlite3_vfs_find(LG_VFS_FAULT_NAME), v);

    uint64_t count = lg_vfs_fault_count();
    lg_store_t *s = open_ok(f, LG_DUR_FULL);
    for (uint64_t k = 1; k <= 6; k++) append_ok(f, s, k);
    expect_journal(s, 6);
    assert_int_equal(lg_store_checkpoint(s, LG_CKPT_TRUNCATE), LG_OK);
    lg_store_close(s);
    s = open_ok(f, LG_DUR_NORMAL);
    expect_journal(s, 6);
    append_ok(f, s, 7);
    expect_journal(s, 7);
    lg_store_close(s);
    assert_int_equal(lg_vfs_fault_count(), count);

    /* A plain connection goes through the shim too. */
    sqlite3 *db = NULL;
    sqlite3_vfs *used = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &used), SQLITE_OK);
    assert_ptr_equal(used, v);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* ---- (2)-(5) a failing commit, the retry, the reopen ------------------------------- */

static void fault_on_commit(fixture_t *f, lg_vfs_fault_t fault) {
    lg_store_t *s = open_ok(f, LG_DUR_FULL);
    for (uint64_t k = 1; k <= 4; k++) append_ok(f, s, k);

    lg_vfs_fault_set(fault, 0);
    expect_append_fails(f, s, 4, fault); /* read back while the fault is still armed */
    expect_append_fails(f, s, 4, fault); /* a retry under the fault fails the same way */

    lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
    uint64_t count = lg_vfs_fault_count();
    append_ok(f, s, 5); /* seq 7, step 5: the numbering continues */
    append_ok(f, s, 6);
    expect_journal(s, 6);

    lg_vfs_fault_set(fault, 0);
    expect_append_fails(f, s, 6, fault);
    lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
    lg_store_close(s);

    s = open_ok(f, LG_DUR_FULL); /* (5) only the committed steps */
    expect_journal(s, 6);
    append_ok(f, s, 7);
    expect_journal(s, 7);
    lg_store_close(s);
    assert_true(lg_vfs_fault_count() > count);
}

static void test_full_on_commit(void **state) {
    fault_on_commit(*state, LG_VFS_FAULT_FULL);
}

static void test_ioerr_on_commit(void **state) {
    fault_on_commit(*state, LG_VFS_FAULT_IOERR);
}

/* The store is closed while the disk is still failing (its closing checkpoint fails
 * too); reopened once the disk is back, it holds the committed steps only. */
static void test_close_while_failing(void **state) {
    fixture_t *f = *state;
    lg_store_t *s = open_ok(f, LG_DUR_FULL);
    for (uint64_t k = 1; k <= 3; k++) append_ok(f, s, k);
    lg_vfs_fault_set(LG_VFS_FAULT_FULL, 0);
    expect_append_fails(f, s, 3, LG_VFS_FAULT_FULL);
    lg_store_close(s);
    lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
    s = open_ok(f, LG_DUR_FULL);
    expect_journal(s, 3);
    append_ok(f, s, 4);
    expect_journal(s, 4);
    lg_store_close(s);
}

/* ---- every fault point of one commit ------------------------------------------------ */

/* Arms the fault ever later within step n + 1's commit until the commit gets through;
 * every earlier attempt must fail whole. Returns the number of fault points seen. */
static uint64_t sweep_step(fixture_t *f, lg_store_t *s, uint64_t n, lg_vfs_fault_t fault) {
    for (uint64_t after = 0; after < MAX_FAULT_POINTS; after++) {
        lg_vfs_fault_set(fault, after);
        int rc = append_step(f, s, n + 1);
        lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
        if (rc == LG_OK) {
            expect_journal(s, n + 1);
            return after;
        }
        assert_int_equal(rc, want_of(fault));
        expect_journal(s, n);
    }
    fail_msg("step %llu: still failing after %u fault points", (unsigned long long)n + 1,
             MAX_FAULT_POINTS);
    return 0;
}

static void sweep(fixture_t *f, lg_durability_t d, lg_vfs_fault_t fault) {
    lg_store_t *s = open_ok(f, d);
    append_ok(f, s, 1);
    uint64_t n = 1;
    for (int round = 0; round < 2; round++) {
        /* round 1 starts a fresh WAL: its header is written (and synced) too */
        if (round == 1) assert_int_equal(lg_store_checkpoint(s, LG_CKPT_TRUNCATE), LG_OK);
        for (int i = 0; i < 2; i++, n++) assert_true(sweep_step(f, s, n, fault) >= 1);
    }
    lg_store_close(s);
    s = open_ok(f, d);
    expect_journal(s, n);
    lg_store_close(s);
}

static void test_sweep_full_dur_full(void **state) {
    sweep(*state, LG_DUR_FULL, LG_VFS_FAULT_FULL);
}

static void test_sweep_ioerr_dur_full(void **state) {
    sweep(*state, LG_DUR_FULL, LG_VFS_FAULT_IOERR);
}

static void test_sweep_full_dur_normal(void **state) {
    sweep(*state, LG_DUR_NORMAL, LG_VFS_FAULT_FULL);
}

static void test_sweep_ioerr_dur_normal(void **state) {
    sweep(*state, LG_DUR_NORMAL, LG_VFS_FAULT_IOERR);
}

/* A commit whose WAL sync fails has already written its frames, commit frame included:
 * if the process then stops (here: closes while the disk still fails, so the closing
 * checkpoint cannot run and the WAL stays), reopening recovers the step. A failed
 * commit is thus out of this process's view (lg_store_last, reads) but its outcome on
 * disk is unknown until reopen: the step is found whole or not at all, never in part.
 * Each fault point of step 4's commit in turn, on a fresh file each time. Under
 * LG_DUR_FULL at least one point (the WAL's fsync) does leave the step durable: this
 * pins SQLite's behaviour that callers must allow for. */
static void test_failed_commit_whole_or_nothing(void **state) {
    fixture_t *f = *state;
    uint64_t durable = 0;
    for (uint64_t after = 0; after < MAX_FAULT_POINTS; after++) {
        remove_files(f);
        lg_store_t *s = open_ok(f, LG_DUR_FULL);
        for (uint64_t k = 1; k <= 3; k++) append_ok(f, s, k);
        lg_vfs_fault_set(LG_VFS_FAULT_IOERR, after);
        int rc = append_step(f, s, 4);
        if (rc != LG_OK) expect_journal(s, 3);
        lg_store_close(s);
        lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
        s = open_ok(f, LG_DUR_FULL);
        uint64_t seq = 0, step = 0;
        lg_store_last(s, &seq, &step);
        assert_true(step == 3 || step == 4);
        expect_journal(s, step);
        lg_store_close(s);
        if (rc == LG_OK) {
            assert_int_equal(step, 4);
            assert_true(durable > 0);
            return;
        }
        assert_int_equal(rc, LG_EIO);
        durable += step == 4;
    }
    fail_msg("step 4 still failing after %u fault points", MAX_FAULT_POINTS);
}

/* ---- batches and checkpoints ---------------------------------------------------------- */

/* A batch's steps touch the disk only at its commit: that commit fails whole. */
static void test_batch_commit_fails(void **state) {
    fixture_t *f = *state;
    lg_store_t *s = open_ok(f, LG_DUR_FULL);
    append_ok(f, s, 1);
    assert_int_equal(lg_store_begin(s), LG_OK);
    append_ok(f, s, 2);
    append_ok(f, s, 3);
    lg_vfs_fault_set(LG_VFS_FAULT_FULL, 0);
    assert_int_equal(lg_store_commit(s), LG_ENOSPACE);
    expect_journal(s, 1);
    lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
    assert_int_equal(lg_store_begin(s), LG_OK);
    append_ok(f, s, 2);
    append_ok(f, s, 3);
    assert_int_equal(lg_store_commit(s), LG_OK);
    expect_journal(s, 3);
    lg_store_close(s);
    s = open_ok(f, LG_DUR_FULL);
    expect_journal(s, 3);
    lg_store_close(s);
}

/* A batch larger than the page cache spills to the WAL before its commit: the fault
 * then hits an append inside the batch, which rolls the whole batch back. */
static void test_batch_spill_fails(void **state) {
    fixture_t *f = *state;
    static lg_position_row_t rows[LG_JRNL_MAX_ROWS];
    for (uint32_t i = 0; i < LG_JRNL_MAX_ROWS; i++) rows[i] = (lg_position_row_t){i + 1, (lg_qty_t)i};
    lg_store_t *s = open_ok(f, LG_DUR_FULL);
    append_ok(f, s, 1);
    assert_int_equal(lg_store_begin(s), LG_OK);
    lg_vfs_fault_set(LG_VFS_FAULT_FULL, 0);
    lg_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = LG_EV_POSITIONS;
    ev.u.positions.rows = rows;
    ev.u.positions.n = LG_JRNL_MAX_ROWS;
    lg_out_reset(&f->out);
    int rc = LG_OK;
    uint64_t k = 2;
    for (; k < 2000 && rc == LG_OK; k++) rc = lg_store_append_step(s, (lg_ns_t)k * 1000, &ev, &f->out);
    assert_int_equal(rc, LG_ENOSPACE);
    assert_true(k > 3); /* some appends went into the batch before the spill */
    expect_journal(s, 1); /* the batch is gone, and closed */
    lg_store_rollback(s); /* nothing to do */
    lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
    append_ok(f, s, 2);
    expect_journal(s, 2);
    lg_store_close(s);
    s = open_ok(f, LG_DUR_FULL);
    expect_journal(s, 2);
    lg_store_close(s);
}

/* A checkpoint that cannot write reports it; the journal is intact; a later one works. */
static void test_checkpoint_fails(void **state) {
    fixture_t *f = *state;
    lg_store_t *s = open_ok(f, LG_DUR_FULL);
    for (uint64_t k = 1; k <= 4; k++) append_ok(f, s, k);
    lg_vfs_fault_set(LG_VFS_FAULT_IOERR, 0);
    assert_int_equal(lg_store_checkpoint(s, LG_CKPT_TRUNCATE), LG_EIO);
    expect_journal(s, 4);
    lg_vfs_fault_set(LG_VFS_FAULT_FULL, 1);
    assert_int_equal(lg_store_checkpoint(s, LG_CKPT_TRUNCATE), LG_ENOSPACE);
    expect_journal(s, 4);
    lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
    assert_int_equal(lg_store_checkpoint(s, LG_CKPT_TRUNCATE), LG_OK);
    append_ok(f, s, 5);
    lg_store_close(s);
    s = open_ok(f, LG_DUR_FULL);
    expect_journal(s, 5);
    lg_store_close(s);
}

/* ---- the fault state itself ------------------------------------------------------------ */

/* `after` counts successful calls; a disarmed shim counts nothing. */
static void test_after_counts_calls(void **state) {
    fixture_t *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=DELETE; CREATE TABLE t(x)", NULL, NULL, NULL),
                     SQLITE_OK);
    uint64_t count = lg_vfs_fault_count();
    lg_vfs_fault_set(LG_VFS_FAULT_IOERR, 0);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO t VALUES (1)", NULL, NULL, NULL), SQLITE_IOERR);
    assert_int_equal(sqlite3_extended_errcode(db) & 0xff, SQLITE_IOERR);
    assert_true(lg_vfs_fault_count() > count);
    lg_vfs_fault_set(LG_VFS_FAULT_FULL, MAX_FAULT_POINTS);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO t VALUES (2)", NULL, NULL, NULL), SQLITE_OK);
    lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
    count = lg_vfs_fault_count();
    assert_int_equal(sqlite3_exec(db, "INSERT INTO t VALUES (3)", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(lg_vfs_fault_count(), count);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(x) FROM t", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "2,3");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_install_no_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_on_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ioerr_on_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_while_failing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_full_dur_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_ioerr_dur_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_full_dur_normal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_ioerr_dur_normal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_whole_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_commit_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_spill_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_after_counts_calls, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
