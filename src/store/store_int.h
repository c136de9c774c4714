/*
 * store_int.h — what store.c (open, steps), store_read.c (reads, look-ups) and
 * store_schema.c (opening checks, pragmas, migrations) share: the store itself, its
 * prepared statements and the helpers that turn a failure into a legato error with a
 * message.
 */
#ifndef LEGATO_STORE_INT_H
#define LEGATO_STORE_INT_H

#include "legato/store.h"

#include <sqlite3.h>

/* Prepared once at open, reset after every use. */
typedef enum lg_st {
    LG_ST_BEGIN = 0,
    LG_ST_COMMIT,
    LG_ST_ROLLBACK,
    LG_ST_INS_EVENT,
    LG_ST_UP_GROUP,
    LG_ST_UP_ORDER,
    LG_ST_INS_FILL,
    LG_ST_UP_POS,
    LG_ST_READ,
    LG_ST_POSITION,
    LG_ST_GROUP,
    LG_ST_ORDER,
    LG_ST__COUNT
} lg_st_t;

struct lg_store {
    sqlite3 *db;
    char *path;
    lg_durability_t durability;
    uint64_t last_seq, last_step;            /* including an open batch's steps */
    bool in_batch;                            /* lg_store_begin .. commit/rollback */
    uint64_t batch_seq, batch_step;           /* last_seq/last_step when it began */
    sqlite3_stmt *st[LG_ST__COUNT];
    uint64_t db_ns;                           /* time in begin, append, commit (lg_store_db_ns) */
    char err[LG_STORE_ERR_MAX];
    uint8_t buf[LG_JRNL_MAX];                  /* one encoded item */
    lg_position_row_t rows[LG_JRNL_MAX_ROWS];  /* a decoded POSITIONS event's rows */
};

/* Sets s->err to "<path>: <what>: <sqlite message>" and returns LG_ENOSPACE for
 * SQLITE_FULL, LG_EIO otherwise. */
int lg_store_sql_fail(lg_store_t *s, int rc, const char *what);
/* Sets s->err (printf-style) and returns code. */
int lg_store_fail(lg_store_t *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks the file's identity and integrity, sets the pragmas and migrates the schema
 * up to LG_STORE_SCHEMA_VERSION. */
int lg_store_schema_open(lg_store_t *s);
/* The SQL of each prepared statement. */
const char *lg_store_stmt_sql(lg_st_t which);

#endif
