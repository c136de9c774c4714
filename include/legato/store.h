/*
 * store.h — the SQLite store: the append-only journal `execution_events` and the
 * projections derived from it (order_groups, orders, fills, positions), one
 * transaction per engine step or per batch of steps.
 *
 * The file is a SQLite database in WAL mode, stamped with legato's application_id and
 * a schema version (PRAGMA user_version). Opening checks both: a foreign database is
 * refused (LG_EMISMATCH), a schema newer than this build too (LG_ERANGE), a corrupt
 * file (LG_EIO); an older schema is migrated one version at a time, each step in its
 * own transaction. Automatic checkpoints are off: the shell calls lg_store_checkpoint
 * when it is idle, so a step's commit never pays for one.
 *
 * One step = one transaction: the input event, then every record and every command
 * of the step, each a row of execution_events whose payload is its lg_jrnl_* encoding,
 * plus the projection updates the records imply. Either all of it is committed or
 * none of it (an error rolls back and is reported; the store stays usable).
 *
 * A batch (lg_store_begin .. lg_store_commit) puts several steps in one transaction:
 * the unit is then the batch. Its steps are numbered as single appends would number
 * them; either all of them are committed or none, and any failure inside it (an append
 * or the commit) rolls the whole batch back and closes it.
 *
 * Errors: LG_EIO (SQLite failed; lg_store_errmsg says why, naming the file),
 * LG_ENOSPACE (disk full), LG_EMISMATCH / LG_ERANGE (open: foreign file / future
 * schema), LG_EPARSE (a journal row that does not decode, naming its seq). A store
 * is used from one thread at a time.
 */
#ifndef LEGATO_STORE_H
#define LEGATO_STORE_H

#include "legato/base.h"
#include "legato/engine.h"
#include "legato/event.h"
#include "legato/instrument.h"
#include "legato/journal.h"

/* PRAGMA application_id of every legato store ("LGT1"). */
#define LG_STORE_APP_ID 0x4C475431
/* The schema version this build writes (PRAGMA user_version). */
#define LG_STORE_SCHEMA_VERSION 1
/* lg_store_read's return value past the last row. */
#define LG_STORE_END 1
/* Room for lg_store_errmsg's text. */
#define LG_STORE_ERR_MAX 256

typedef enum lg_durability {
    LG_DUR_FULL = 0,   /* synchronous=FULL: every committed step survives a power loss */
    LG_DUR_NORMAL = 1, /* synchronous=NORMAL: survives a process crash; a power loss
                          may lose the last steps (reconciliation recovers them) */
} lg_durability_t;

typedef enum lg_ckpt_mode {
    LG_CKPT_PASSIVE = 0,  /* copy what it can, never wait */
    LG_CKPT_TRUNCATE = 1, /* copy everything and truncate the WAL (waits for readers) */
} lg_ckpt_mode_t;

typedef struct lg_store lg_store_t;

/* One row of execution_events, decoded. `item` says which member is valid. A
 * POSITIONS event's rows point into the store and stay valid until the next
 * lg_store_read or lg_store_close. */
typedef struct lg_store_row {
    uint64_t seq;  /* 1, 2, 3 ... in commit order */
    lg_ns_t time_ns; /* the step's now */
    uint64_t step; /* 1, 2, 3 ... one per lg_store_append_step */
    lg_jrnl_item_t item;
    int32_t kind;  /* lg_ev_kind_t, lg_rec_kind_t or lg_cmd_kind_t */
    uint32_t grp;  /* the group the row concerns, 0 if none */
    union {
        lg_event_t ev;
        lg_record_t rec;
        lg_cmd_t cmd;
    } u;
} lg_store_row_t;

/* Opens (creating if needed) the store at path. On error *out is NULL and err (if
 * errcap > 0) holds a message naming the file. */
int lg_store_open(const char *path, lg_durability_t d, lg_store_t **out, char *err, size_t errcap);
/* Closes s (NULL is allowed). Nothing is lost: every committed step is in the file; an
 * open batch is rolled back. */
void lg_store_close(lg_store_t *s);

/* Deletes a store's files (the database, its -wal and -shm) if they exist; for tests,
 * the simulation's lost databases and benchmarks. The store must be closed. */
void lg_store_remove(const char *path);

/* Journals one step: ev (stepped at now) and out's records and commands, with the
 * projections. Outside a batch, in a transaction of its own; inside one, in the
 * batch's transaction (committed by lg_store_commit). On error inside a batch the
 * whole batch is rolled back and closed: the journal, the projections and
 * lg_store_last are as before lg_store_begin, and the next append (in a new batch or
 * not) continues from there. Alerts are not journaled. */
int lg_store_append_step(lg_store_t *s, lg_ns_t now, const lg_event_t *ev, const lg_out_t *out);

/* Opens a batch: the following appends share one transaction until lg_store_commit or
 * lg_store_rollback. A batch must not already be open (assertion). On error (LG_EIO,
 * e.g. the database is locked) no batch is open. */
int lg_store_begin(lg_store_t *s);
/* Commits the open batch (there must be one: assertion) and closes it. On error the
 * batch is rolled back, as lg_store_rollback, and the error returned. An empty batch
 * commits nothing. */
int lg_store_commit(lg_store_t *s);
/* Drops the open batch: nothing of it is kept, lg_store_last is as before
 * lg_store_begin. Without an open batch (e.g. an append already failed and closed it)
 * it does nothing. */
void lg_store_rollback(lg_store_t *s);

/* Reads the first row whose seq >= from_seq: LG_OK, LG_STORE_END past the last row,
 * LG_EPARSE when its payload (or its columns) do not decode, LG_EIO. Iterate with
 * `for (seq = 1; lg_store_read(s, seq, &r) == LG_OK; seq = r.seq + 1)`. */
int lg_store_read(lg_store_t *s, uint64_t from_seq, lg_store_row_t *row);

/* Calls fn for every EVENT row, in seq order, with one statement (records and commands
 * are not read): recovery replays a journal this way. Stops at the first nonzero
 * return of fn and returns it; LG_EPARSE for a row that does not decode (naming its
 * seq), LG_EIO. Not inside a batch (assertion). */
typedef int (*lg_store_event_fn)(void *ctx, const lg_store_row_t *row);
int lg_store_scan_events(lg_store_t *s, lg_store_event_fn fn, void *ctx);

/* Projections. A token never filled holds 0; an unknown group is LG_EUNKNOWN_GROUP. */
int lg_store_position(lg_store_t *s, uint32_t token, lg_qty_t *qty);
int lg_store_group_state(lg_store_t *s, uint32_t id, int32_t *state);
/* The journaled state (lg_ostate_t) of the order with this tag: LG_OK, or
 * LG_EUNKNOWN_ORDER when no committed step named it (invariant 7's check). */
int lg_store_order_state(lg_store_t *s, const char *tag, int32_t *state);

/* True inside lg_store_begin .. lg_store_commit: rows written since are not yet durable
 * (this connection sees them; nobody else does). */
bool lg_store_in_batch(const lg_store_t *s);

/* Nanoseconds (monotonic) spent so far in lg_store_begin, lg_store_append_step and
 * lg_store_commit: what the journal costs, for the benchmarks to set apart. */
uint64_t lg_store_db_ns(const lg_store_t *s);

/* Last seq and step written (0, 0 for an empty journal); inside a batch, including the
 * batch's steps so far. */
void lg_store_last(const lg_store_t *s, uint64_t *seq, uint64_t *step);

/* Moves WAL content into the database file (see lg_ckpt_mode_t). Not inside a batch
 * (assertion). */
int lg_store_checkpoint(lg_store_t *s, lg_ckpt_mode_t mode);

/* An integer PRAGMA of the store's connection (e.g. "synchronous"); name is
 * lower-case letters and '_' only. For diagnostics and tests. */
int lg_store_pragma(lg_store_t *s, const char *name, int64_t *value);

/* ---- setup: what a replay needs to rebuild the engine exactly ------------------- */

/* Replaces the stored instrument master (table instruments, one row per instrument in
 * m's order) and engine configuration (table engine_config: one row per field of
 * lg_engine_config_t, keyed by its C field name; integers as decimal text, doubles as
 * "%.17g" so they round-trip exactly), in one transaction: either both are replaced or
 * neither. Not inside a batch (assertion). LG_EINVAL for an empty master or a
 * non-finite double (naming its key, nothing written); LG_EIO / LG_ENOSPACE. */
int lg_store_save_setup(lg_store_t *s, const lg_instruments_t *m, const lg_engine_config_t *cfg);

/* Loads what lg_store_save_setup stored. m is uninitialised: on success it is
 * initialised (lg_instruments_init) and filled in the stored order through
 * lg_instruments_add, so every instrument is validated again; the caller frees it.
 * cfg starts from lg_engine_config_default with every stored key applied, padding
 * zeroed (equal configurations compare equal with memcmp). Errors, each with a
 * message in err (if errcap > 0) and lg_store_errmsg: LG_EINVAL "no setup stored in
 * FILE" when nothing was saved; LG_EPARSE for an unknown or missing key, a value that
 * does not parse or is out of range for its C type (naming the key), or an
 * instrument row whose columns do not fit (naming the token); the error of
 * lg_instruments_add for a row it refuses (naming the token); LG_EIO. On error m is
 * freed (zeroed) and cfg untouched. */
int lg_store_load_setup(lg_store_t *s, lg_instruments_t *m, lg_engine_config_t *cfg, char *err,
                        size_t errcap);

/* The last error's text ("" if none); never NULL. */
const char *lg_store_errmsg(const lg_store_t *s);

#endif
