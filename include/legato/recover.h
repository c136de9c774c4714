/*
 * recover.h — restart after a crash, a kill -9 or a lost database: rebuild the engine
 * from the journal, then reconcile it with the broker before anything is traded.
 *
 *   lg_recover_replay     a fresh engine is fed every journaled event, in order, at its
 *                         recorded time: the state of the last committed step. (Under
 *                         durability=normal a power loss may have cost the last steps;
 *                         with the file gone the journal is empty. Reconciliation fills
 *                         in both.)
 *   lg_recover_reconcile  through the runner, so that every step of it is journaled:
 *        RECOVER_BEGIN   groups stop deciding: no new group, no timer, no exit, and
 *                        what the steps below would trigger waits for RECOVERED
 *        ADOPT           each broker order with a legato tag the engine does not know
 *                        (a hedge released before its step was committed, steps lost,
 *                        or everything when the database was deleted): its group
 *                        is the one its tag names, rebuilt from orders if unknown
 *        ORDER_UPDATE    each broker order the engine knew: fills made while down
 *        ORDER_ERROR     each order the engine believes sent but the broker has not
 *                        got (a look-up miss: after its confirmation it is taken as
 *                        never placed); a working order the broker has not got is a
 *                        mismatch
 *        POSITIONS       the broker's net positions
 *        KILL            only if something is unexplained (below)
 *        RECOVERED       every group decides once on the whole book, then every live
 *                        one is looked at again (spread over immediate wake-ups when
 *                        the output fills)
 *
 * Unexplained, each named in the report: a broker order whose tag is not legato's
 * (another client traded on the account), an adoption the engine refused (its tag
 * names a leg or instrument its group does not have), a working order missing from
 * the broker, and — after all of it — a token whose engine position differs from the
 * broker's. Any of them halts trading (LG_EMISMATCH): a person must look.
 */
#ifndef LEGATO_RECOVER_H
#define LEGATO_RECOVER_H

#include "legato/engine.h"
#include "legato/runner.h"
#include "legato/store.h"

/* What the broker says at the moment of recovery. */
typedef struct lg_book {
    const lg_adopt_t *orders;          /* the day's order book, any order */
    uint32_t n_orders;
    const lg_position_row_t *positions; /* net positions */
    uint32_t n_positions;
} lg_book_t;

#define LG_RECOVERY_REPORT_MAX 1024

typedef struct lg_recovery {
    uint64_t replayed;     /* journal events replayed */
    lg_ns_t last_ns;       /* time of the last journaled step (0: empty journal) */
    uint32_t adopted;      /* broker orders adopted into known groups */
    uint32_t rebuilt;      /* groups rebuilt from the order book alone */
    uint32_t updated;      /* broker orders the engine knew, updated */
    uint32_t missing;      /* orders in doubt the broker has not got (look-up misses) */
    uint32_t unexplained;  /* foreign orders, refused adoptions, missing working orders,
                              position mismatches */
    char report[LG_RECOVERY_REPORT_MAX]; /* one line per unexplained item (first few) */
} lg_recovery_t;

/* Creates the engine (cfg, master) and replays every EVENT row of the store into it.
 * On error *out is NULL and rep->report says why (a row that does not decode names
 * its seq: LG_EPARSE). */
int lg_recover_replay(lg_store_t *s, const lg_engine_config_t *cfg, const lg_instruments_t *m,
                      lg_engine_t **out, lg_recovery_t *rep);

/* Reconciles the runner's engine with the book at `now` (steps above, each through
 * lg_runner_step with `out`, all in one group commit: the runner must not be in a
 * batch). LG_OK; LG_EMISMATCH when something is unexplained (trading is then HALTED);
 * a runner or journal error (LG_ENOSPACE, LG_EIO, LG_ESTOPPED) as it comes. */
int lg_recover_reconcile(lg_runner_t *r, lg_engine_t *e, const lg_book_t *book, lg_ns_t now,
                         lg_out_t *out, lg_recovery_t *rep);

#endif
