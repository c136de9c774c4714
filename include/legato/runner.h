/*
 * runner.h — the journaled step: how a shell (the daemon, the simulation harness)
 * feeds the engine so that nothing it decides is lost or sent unrecorded.
 *
 *     lg_runner_step(runner, &event, now, &out)
 *
 *   1. the event is encoded first: one the journal codec refuses never reaches the
 *      engine (out->status says why);
 *   2. the engine steps;
 *   3. write-behind: the step's risk-reducing commands (cancels, look-ups, reversals,
 *      exits, flattening) are released at once — a hedge never waits for a disk, and
 *      its client tag makes it recoverable from the broker's order book;
 *   4. the step (event, records, commands, projections) is committed to the store;
 *   5. write-ahead: only then are the risk-adding commands (entries) released.
 *
 * When a commit fails (disk full, I/O error), the step's risk-adding commands are
 * withheld — never released — and the engine is sent to HALTED by a KILL step of the
 * runner's own, which cancels and flattens (those commands are all risk-reducing and
 * go out). The failed steps wait in a bounded in-memory backlog, in order; every later
 * step first tries to write the backlog, so once the disk is writable again the journal
 * catches up with nothing lost or reordered (the engine's orders that were withheld are
 * found missing by their look-ups and handled as never placed). Trading stays HALTED
 * until a person resumes it. If even the backlog is full the runner steps nothing more
 * (LG_ENOSPACE): the shell must stop and recover from the journal and the broker, as
 * after a crash.
 *
 * Alerts of the runner's own (journal failed, journal writable again) and of its KILL
 * step are appended to the caller's out->alerts as room allows.
 */
#ifndef LEGATO_RUNNER_H
#define LEGATO_RUNNER_H

#include "legato/engine.h"
#include "legato/store.h"

typedef struct lg_runner lg_runner_t;

/* Sends one command to the broker (or the exchange model). */
typedef void (*lg_release_fn)(void *ctx, const lg_cmd_t *cmd, lg_ns_t now);

typedef struct lg_runner_config {
    uint32_t backlog_steps;  /* steps held while the journal cannot commit */
    uint32_t backlog_recs;   /* their records */
    uint32_t backlog_cmds;   /* their commands */
    uint32_t backlog_rows;   /* their POSITIONS rows */
    uint32_t checkpoint_steps; /* lg_runner_idle checkpoints after this many steps */
} lg_runner_config_t;

void lg_runner_config_default(lg_runner_config_t *c);

/* Simulated crash points (tests and the deterministic simulation): the next step stops
 * there and returns LG_ESTOPPED; the runner is then unusable and must be destroyed. */
typedef enum lg_crash_point {
    LG_CRASH_NONE = 0,
    LG_CRASH_BEFORE_COMMIT, /* risk-reducing commands released, step not committed */
    LG_CRASH_AFTER_COMMIT,  /* step committed, risk-adding commands not released */
    LG_CRASH_AT_HEDGE,      /* as BEFORE_COMMIT, at the first step that releases a
                               risk-reducing order (a reversal, an exit, flattening) */
    LG_CRASH_AT_ENTRY,      /* as AFTER_COMMIT, at the first step with a risk-adding
                               order to release */
} lg_crash_point_t;

/* engine and store must outlive the runner. */
int lg_runner_create(const lg_runner_config_t *cfg, lg_engine_t *engine, lg_store_t *store,
                     lg_release_fn release, void *ctx, lg_runner_t **out);
void lg_runner_destroy(lg_runner_t *r);

/* Batches (group commit): lg_runner_begin opens one; the steps that follow are written
 * into one transaction and their risk-adding commands wait (risk-reducing ones still go
 * out at once); lg_runner_commit commits and then releases what waited, in order. The
 * shell closes a batch when its input runs dry. A step outside a batch is a batch of
 * one. A batch whose buffer fills is committed early. A failed write or commit inside a
 * batch loses none of its steps: they become the backlog, their entries are withheld. */
int lg_runner_begin(lg_runner_t *r);
/* LG_OK; the store's error when the commit failed (see above); LG_ESTOPPED at a
 * simulated crash. */
int lg_runner_commit(lg_runner_t *r, lg_out_t *out);

/* One journaled step (see above). Returns the engine's status for the event; or the
 * codec's error (the event was refused, nothing stepped); or LG_ENOSPACE when the
 * backlog has no room for another step (nothing stepped); or LG_ESTOPPED at a
 * simulated crash. Journal failures are not the event's fault: lg_runner_journal_error. */
int lg_runner_step(lg_runner_t *r, const lg_event_t *ev, lg_ns_t now, lg_out_t *out);

/* LG_OK while the journal is in step with the engine; else the error of the commit that
 * failed (LG_ENOSPACE, LG_EIO), until the backlog has been written. */
int lg_runner_journal_error(const lg_runner_t *r);
/* Steps in the backlog; commands withheld since the runner was created. */
uint32_t lg_runner_backlog(const lg_runner_t *r);
uint64_t lg_runner_withheld(const lg_runner_t *r);
/* Tries to write the backlog now (a timer while the journal is down); LG_OK when it is
 * empty afterwards. Not inside a batch. A RESUME is refused (LG_ESTATE) while the
 * journal cannot commit: trading cannot resume on a journal that loses steps. */
int lg_runner_flush(lg_runner_t *r, lg_out_t *out);
/* The shell is idle: checkpoint the WAL if enough steps were committed since the last. */
void lg_runner_idle(lg_runner_t *r);
/* Test hook: stop the next step at p. */
void lg_runner_crash_at(lg_runner_t *r, lg_crash_point_t p);

#endif
