/*
 * store_schema.c — opening a store file: is it a database at all (and intact), is it
 * ours, is its schema one this build understands; then the connection's pragmas (WAL,
 * synchronous by durability, no automatic checkpoints) and the migrations.
 *
 * Migrations are a table of steps, step i taking user_version i to i + 1; each runs in
 * its own transaction that also bumps user_version, so a crash leaves the file at a
 * version boundary. A new schema version is one more entry in lg_migrations. The SQL
 * of every prepared statement lives here too, next to the tables it names.
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

/* ---- schema ------------------------------------------------------------------------ */

/* v0 -> v1: the journal, the projections, meta, and the setup a replay rebuilds the
 * engine from (instruments, engine_config: store_setup.c). */
static const char lg_schema_v1[] =
    "CREATE TABLE execution_events("
    " seq INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL, step INTEGER NOT NULL,"
    " item INTEGER NOT NULL, kind INTEGER NOT NULL, grp INTEGER NOT NULL,"
    " payload BLOB NOT NULL);"
    "CREATE TABLE order_groups(id INTEGER PRIMARY KEY, state INTEGER NOT NULL,"
    " updated_ns INTEGER NOT NULL);"
    "CREATE TABLE orders(tag TEXT PRIMARY KEY, grp INTEGER NOT NULL, leg INTEGER NOT NULL,"
    " purpose INTEGER NOT NULL, state INTEGER NOT NULL, filled INTEGER NOT NULL,"
    " updated_ns INTEGER NOT NULL);"
    "CREATE TABLE fills(seq INTEGER PRIMARY KEY, tag TEXT NOT NULL, token INTEGER NOT NULL,"
    " qty INTEGER NOT NULL, value INTEGER NOT NULL);"
    "CREATE TABLE positions(token INTEGER PRIMARY KEY, qty INTEGER NOT NULL);"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value);"
    "CREATE TABLE instruments(token INTEGER PRIMARY KEY, symbol TEXT NOT NULL,"
    " underlying TEXT NOT NULL, expiry_day INTEGER NOT NULL, strike INTEGER NOT NULL,"
    " kind INTEGER NOT NULL, lot INTEGER NOT NULL, tick INTEGER NOT NULL,"
    " freeze INTEGER NOT NULL, pos INTEGER NOT NULL UNIQUE);"
    "CREATE TABLE engine_config(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO meta(key, value) VALUES('codec_version', 1);";

_Static_assert(LG_JRNL_VERSION == 1, "meta codec_version written by lg_schema_v1");

/* lg_migrations[i] takes user_version i to i + 1. */
static const char *const lg_migrations[] = {lg_schema_v1};
_Static_assert(LG_COUNT(lg_migrations) == LG_STORE_SCHEMA_VERSION, "one step per version");

/* Every table of the current schema. */
static const char *const lg_tables[] = {"execution_events", "order_groups", "orders",
                                        "fills", "positions", "meta",
                                        "instruments", "engine_config"};

static const char *const lg_stmt_sql[LG_ST__COUNT] = {
    [LG_ST_BEGIN] = "BEGIN IMMEDIATE",
    [LG_ST_COMMIT] = "COMMIT",
    [LG_ST_ROLLBACK] = "ROLLBACK",
    [LG_ST_INS_EVENT] = "INSERT INTO execution_events(seq, time_ns, step, item, kind, grp,"
                        " payload) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [LG_ST_UP_GROUP] = "INSERT INTO order_groups(id, state, updated_ns) VALUES(?1, ?2, ?3)"
                       " ON CONFLICT(id) DO UPDATE SET state = excluded.state,"
                       " updated_ns = excluded.updated_ns",
    [LG_ST_UP_ORDER] = "INSERT INTO orders(tag, grp, leg, purpose, state, filled, updated_ns)"
                       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(tag) DO UPDATE SET"
                       " state = excluded.state, filled = excluded.filled,"
                       " updated_ns = excluded.updated_ns",
    [LG_ST_INS_FILL] = "INSERT INTO fills(seq, tag, token, qty, value) VALUES(?1, ?2, ?3, ?4, ?5)",
    [LG_ST_UP_POS] = "INSERT INTO positions(token, qty) VALUES(?1, ?2)"
                     " ON CONFLICT(token) DO UPDATE SET qty = qty + excluded.qty",
    [LG_ST_READ] = "SELECT seq, time_ns, step, item, kind, grp, payload FROM execution_events"
                   " WHERE seq >= ?1 ORDER BY seq LIMIT 1",
    [LG_ST_POSITION] = "SELECT qty FROM positions WHERE token = ?1",
    [LG_ST_GROUP] = "SELECT state FROM order_groups WHERE id = ?1",
    [LG_ST_ORDER] = "SELECT state FROM orders WHERE tag = ?1",
};

const char *lg_store_stmt_sql(lg_st_t which) {
    LG_ASSERT((unsigned)which < LG_ST__COUNT && lg_stmt_sql[which] != NULL);
    return lg_stmt_sql[which];
}

/* ---- queries used only here ------------------------------------------------------ */

/* The single integer a query returns; `what` names it in the error. */
static int query_int(lg_store_t *s, const char *sql, const char *what, int64_t *v) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *v = (int64_t)sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? LG_OK : lg_store_sql_fail(s, rc, what);
}

/* PRAGMA quick_check: the file is a database and its structure is intact. */
static int check_integrity(lg_store_t *s) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return lg_store_sql_fail(s, rc, "not a database or corrupt");
    }
    const unsigned char *t = sqlite3_column_text(st, 0);
    bool ok = t != NULL && strcmp((const char *)t, "ok") == 0;
    int out = ok ? LG_OK
                 : lg_store_fail(s, LG_EIO, "%s: integrity check failed: %s", s->path,
                                 t ? (const char *)t : "?");
    sqlite3_finalize(st);
    return out;
}

/* Number of tables, and the first one that is not ours (if any) into foreign. */
static int count_tables(lg_store_t *s, int64_t *n, char *foreign, size_t cap) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT name FROM sqlite_master WHERE type = 'table'"
                                " AND name NOT LIKE 'sqlite_%' ORDER BY name",
                                -1, &st, NULL);
    *n = 0;
    foreign[0] = '\0';
    for (int guard = 0; rc == SQLITE_OK && guard < 100000; guard++) {
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW) {
            rc = r == SQLITE_DONE ? SQLITE_OK : r;
            break;
        }
        const char *name = (const char *)sqlite3_column_text(st, 0);
        bool ours = false;
        for (size_t i = 0; i < LG_COUNT(lg_tables) && name != NULL; i++)
            ours = ours || strcmp(name, lg_tables[i]) == 0;
        if (!ours && foreign[0] == '\0') (void)lg_strlcpy(foreign, name ? name : "?", cap);
        (*n)++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? LG_OK : lg_store_sql_fail(s, rc, "listing tables");
}

/* ---- identity ------------------------------------------------------------------- */

/* The schema version of the file: 0 for a new (empty) file; refuses foreign, corrupt
 * and future files. */
static int check_identity(lg_store_t *s, int64_t *version) {
    int64_t app = 0, ver = 0, n = 0;
    char foreign[64];
    int rc = query_int(s, "PRAGMA application_id", "not a database or corrupt", &app);
    if (rc == LG_OK) rc = check_integrity(s);
    if (rc == LG_OK) rc = query_int(s, "PRAGMA user_version", "reading user_version", &ver);
    if (rc == LG_OK) rc = count_tables(s, &n, foreign, sizeof foreign);
    if (rc != LG_OK) return rc;
    if (app == 0 && ver == 0 && n == 0) {
        *version = 0;
        return LG_OK;
    }
    if (app != LG_STORE_APP_ID)
        return lg_store_fail(s, LG_EMISMATCH,
                             "%s: not a legato store (application_id 0x%llx, %lld tables)",
                             s->path, (unsigned long long)app, (long long)n);
    if (ver > LG_STORE_SCHEMA_VERSION)
        return lg_store_fail(s, LG_ERANGE,
                             "%s: schema version %lld is newer than this build's version %d",
                             s->path, (long long)ver, LG_STORE_SCHEMA_VERSION);
    if (ver < 1 || foreign[0] != '\0')
        return lg_store_fail(s, LG_EMISMATCH, "%s: not a legato store (version %lld, table '%s')",
                             s->path, (long long)ver, foreign);
    *version = ver;
    return LG_OK;
}

/* After migrating: every table of the schema is there. */
static int check_tables(lg_store_t *s) {
    for (size_t i = 0; i < LG_COUNT(lg_tables); i++) {
        char sql[160];
        int64_t n = 0;
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
                 lg_tables[i]);
        int rc = query_int(s, sql, "listing tables", &n);
        if (rc != LG_OK) return rc;
        if (n != 1)
            return lg_store_fail(s, LG_EMISMATCH, "%s: table %s missing", s->path, lg_tables[i]);
    }
    return LG_OK;
}

/* ---- pragmas and migrations ------------------------------------------------------ */

static int exec_sql(lg_store_t *s, const char *sql, const char *what) {
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? LG_OK : lg_store_sql_fail(s, rc, what);
}

static int set_pragmas(lg_store_t *s) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    const unsigned char *mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    bool wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return lg_store_sql_fail(s, rc, "setting WAL mode");
    if (!wal) return lg_store_fail(s, LG_EIO, "%s: WAL mode refused", s->path);
    const char *sync = s->durability == LG_DUR_FULL ? "PRAGMA synchronous = FULL"
                                                    : "PRAGMA synchronous = NORMAL";
    int r = exec_sql(s, sync, "setting synchronous");
    if (r == LG_OK) r = exec_sql(s, "PRAGMA wal_autocheckpoint = 0", "disabling autocheckpoint");
    return r;
}

/* Applies migration `from` (user_version from -> from + 1) in one transaction, which
 * also stamps the application id. */
static int migrate_one(lg_store_t *s, int64_t from) {
    LG_ASSERT(from >= 0 && from < (int64_t)LG_COUNT(lg_migrations));
    char bump[96];
    snprintf(bump, sizeof bump, "PRAGMA application_id = %d; PRAGMA user_version = %lld",
             (int)LG_STORE_APP_ID, (long long)(from + 1));
    int rc = exec_sql(s, "BEGIN IMMEDIATE", "migration begin");
    if (rc != LG_OK) return rc;
    rc = exec_sql(s, lg_migrations[from], "migration");
    if (rc == LG_OK) rc = exec_sql(s, bump, "migration version");
    if (rc == LG_OK) rc = exec_sql(s, "COMMIT", "migration commit");
    if (rc != LG_OK && !sqlite3_get_autocommit(s->db))
        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int lg_store_schema_open(lg_store_t *s) {
    LG_ASSERT(s != NULL && s->db != NULL);
    int64_t version = 0;
    int rc = check_identity(s, &version);
    if (rc == LG_OK) rc = set_pragmas(s);
    for (int64_t v = version; rc == LG_OK && v < LG_STORE_SCHEMA_VERSION; v++)
        rc = migrate_one(s, v);
    if (rc == LG_OK) rc = check_tables(s);
    if (rc == LG_OK) rc = query_int(s, "PRAGMA user_version", "reading user_version", &version);
    if (rc == LG_OK) LG_ASSERT(version == LG_STORE_SCHEMA_VERSION);
    return rc;
}
