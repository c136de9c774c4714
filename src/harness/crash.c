/*
 * crash.c — the journal side of the simulation harness, and crashes.
 *
 * With a journal every step goes through the runner (runner.h); its commands reach the
 * exchange model through lg_h_release, which checks as each order leaves that no tag
 * is placed twice (invariant 5) and that a risk-adding order's step is already
 * committed (invariant 7).
 *
 * A crash plan (cfg.crashes, drawn from cfg.crash_seed) stops the engine at chosen
 * points: before a step's commit (its hedges are out, the step is not on disk), after
 * it (on disk, its entries never sent), right after an order left (its ack and fills
 * reach no one), or as a reversal leaves mid-emergency. The engine, its runner and
 * the store connection are dropped — nothing of the engine's memory survives — and,
 * for some crashes, the database file too. The exchange model runs on; what it
 * delivers while the engine is down is lost. At the restart the journal is replayed
 * and reconciled with the exchange's order book (recover.h), exactly as the daemon
 * does it.
 */
#include "harness_int.h"

#include "legato/numeric.h"
#include "legato/vfs_fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void lg_h_release(void *ctx, const lg_cmd_t *c, lg_ns_t now) {
    lg_harness_t *h = ctx;
    if (h->cfg.verbose > 1)
        fprintf(stderr, "    release %d %s token=%u side=%d qty=%lld%s\n", c->kind, c->tag, c->token,
                c->side, (long long)c->qty, c->risk_reducing ? " reducing" : "");
    if (c->kind == LG_CMD_PLACE) {
        h->placed = true;
        if (h->cfg.check_invariants) lg_h_check_place(h, c);
        int32_t st;
        if (h->cfg.check_invariants && !c->risk_reducing && lg_runner_journal_error(h->runner) != LG_OK)
            lg_h_fail(h, "risk-adding order %s released while the journal cannot commit", c->tag);
        if (h->cfg.check_invariants && !c->risk_reducing &&
            (lg_store_in_batch(h->store) || lg_store_order_state(h->store, c->tag, &st) != LG_OK))
            lg_h_fail(h, "invariant 7: risk-adding order %s reached the exchange before its "
                      "step was journaled", c->tag);
    }
    lg_sim_request(h->sim, c, now);
}

/* Opens cfg.journal (fresh: it must be empty) and the runner over the engine. */
int lg_h_open_journal(lg_harness_t *h, bool fresh) {
    char err[256];
    int rc = lg_store_open(h->cfg.journal, LG_DUR_NORMAL, &h->store, err, sizeof err);
    if (rc != LG_OK) {
        fprintf(stderr, "legato: journal %s: %s\n", h->cfg.journal, err);
        return rc;
    }
    uint64_t seq = 0, stp = 0;
    lg_store_last(h->store, &seq, &stp);
    if (fresh && seq != 0) {
        fprintf(stderr, "legato: journal %s is not empty (%llu rows)\n", h->cfg.journal,
                (unsigned long long)seq);
        return LG_EINVAL;
    }
    if (seq == 0) rc = lg_store_save_setup(h->store, &h->master, &h->cfg.engine);
    if (rc != LG_OK) {
        fprintf(stderr, "legato: journal %s: %s\n", h->cfg.journal, lg_store_errmsg(h->store));
        return rc;
    }
    if (h->eng == NULL) return LG_OK; /* a restart: the runner comes after the replay */
    lg_runner_config_t rcfg;
    lg_runner_config_default(&rcfg);
    return lg_runner_create(&rcfg, h->eng, h->store, lg_h_release, h, &h->runner);
}

/* ---- the plan ---------------------------------------------------------------------- */

void lg_h_plan_crashes(lg_harness_t *h) {
    LG_ASSERT(h->cfg.crashes <= LG_H_MAX_CRASHES);
    lg_rng_t r;
    lg_rng_seed(&r, h->cfg.crash_seed ^ 0x637261736821ULL);
    h->n_crash = h->cfg.crashes;
    uint64_t at = 0;
    for (uint32_t i = 0; i < h->n_crash; i++) {
        lg_h_crash_t *c = &h->crash[i];
        at += 5 + lg_rng_below(&r, 400); /* mostly while groups enter and unwind */
        c->after_events = at;
        c->kind = (uint8_t)lg_rng_below(&r, LG_H_CRASH__COUNT);
        c->lose_db = lg_rng_chance(&r, h->cfg.p_lose_db);
        c->down_ns = (lg_ns_t)(50 + lg_rng_below(&r, 5000)) * LG_NS_PER_MS;
    }
    if (h->cfg.journal == NULL || !lg_rng_chance(&r, h->cfg.p_disk_fault)) return;
    h->disk_at = 5 + lg_rng_below(&r, 800);
    h->disk_ns = (lg_ns_t)(500 + lg_rng_below(&r, 9500)) * LG_NS_PER_MS;
    h->disk_fault = lg_rng_chance(&r, 0.5) ? LG_VFS_FAULT_FULL : LG_VFS_FAULT_IOERR;
    int rc = lg_vfs_fault_install();
    LG_ASSERT(rc == LG_OK);
}

/* Before a step: the disk-fault window opens or closes. */
void lg_h_disk(lg_harness_t *h) {
    if (h->disk_on && h->now >= h->disk_until) {
        lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
        h->disk_on = false;
        h->disk_at = 0;
        if (h->cfg.verbose) fprintf(stderr, "t=%.6f DISK writable again\n", (double)h->now / 1e9);
        return;
    }
    if (h->disk_on || h->disk_at == 0 || h->stats.events < h->disk_at) return;
    lg_vfs_fault_set((lg_vfs_fault_t)h->disk_fault, 0);
    h->disk_on = true;
    h->disk_until = h->now + h->disk_ns;
    h->stats.disk_faults++;
    if (h->cfg.verbose)
        fprintf(stderr, "t=%.6f DISK %s for %.3f s\n", (double)h->now / 1e9,
                h->disk_fault == LG_VFS_FAULT_FULL ? "full" : "failing", (double)h->disk_ns / 1e9);
}

/* Before a step: the runner's crash point for it. A crash waiting for a hedge that
 * does not come within 2 000 steps is taken before the next commit instead. */
lg_crash_point_t lg_h_arm(lg_harness_t *h) {
    if (h->next_crash >= h->n_crash) return LG_CRASH_NONE;
    lg_h_crash_t *c = &h->crash[h->next_crash];
    if (h->stats.events < c->after_events) return LG_CRASH_NONE;
    h->armed = true;
    switch (c->kind) {
    case LG_H_CRASH_BEFORE_COMMIT: return LG_CRASH_BEFORE_COMMIT;
    case LG_H_CRASH_AFTER_COMMIT:
        return h->stats.events < c->after_events + 2000 ? LG_CRASH_AT_ENTRY : LG_CRASH_AFTER_COMMIT;
    case LG_H_CRASH_AT_HEDGE:
        if (h->stats.events < c->after_events + 2000) return LG_CRASH_AT_HEDGE;
        c->kind = LG_H_CRASH_BEFORE_COMMIT;
        return LG_CRASH_BEFORE_COMMIT;
    default: return LG_CRASH_NONE; /* AFTER_RELEASE: lg_h_crash_after_step */
    }
}

/* An AFTER_RELEASE crash comes right after a step that placed an order (or any step
 * once 2 000 have passed without one). */
bool lg_h_crash_after_step(lg_harness_t *h) {
    if (!h->armed || h->crash[h->next_crash].kind != LG_H_CRASH_AFTER_RELEASE) return false;
    return h->placed || h->stats.events >= h->crash[h->next_crash].after_events + 2000;
}

/* The planned crash that is armed now. */
void lg_h_crash_planned(lg_harness_t *h) {
    LG_ASSERT(h->next_crash < h->n_crash);
    const lg_h_crash_t *c = &h->crash[h->next_crash++];
    static const char *const kinds[] = {"before a commit", "after a commit, entries unsent",
                                        "after an order left", "as a hedge left"};
    if (h->cfg.verbose) fprintf(stderr, "t=%.6f CRASH %s\n", (double)h->now / 1e9, kinds[c->kind]);
    lg_h_crash(h, c->lose_db, c->down_ns);
}

void lg_h_crash(lg_harness_t *h, bool lose_db, lg_ns_t down_ns) {
    LG_ASSERT(h->eng != NULL && h->store != NULL && down_ns >= 0);
    if (h->cfg.verbose)
        fprintf(stderr, "t=%.6f engine down%s for %.3f s\n", (double)h->now / 1e9,
                lose_db ? ", database lost," : "", (double)down_ns / 1e9);
    h->armed = false;
    h->batch_open = false; /* an open batch dies with the engine */
    if (h->disk_on) { /* the machine comes back with a working disk */
        lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
        h->disk_on = false;
        h->disk_at = 0;
    }
    lg_runner_destroy(h->runner);
    h->runner = NULL;
    lg_engine_destroy(h->eng);
    h->eng = NULL;
    lg_store_close(h->store);
    h->store = NULL;
    if (lose_db) {
        lg_store_remove(h->cfg.journal);
        h->stats.lost_dbs++;
    }
    h->down = true;
    h->down_until = h->now + down_ns;
    h->eng_wake = INT64_MAX;
}

/* cfg.batch: the instant is over, its batch is committed and its entries leave. */
void lg_h_commit(lg_harness_t *h) {
    if (!h->batch_open) return;
    h->batch_open = false;
    h->placed = false;
    if (lg_runner_commit(h->runner, &h->out) == LG_ESTOPPED || lg_h_crash_after_step(h)) {
        lg_h_crash_planned(h);
        return;
    }
    lg_runner_idle(h->runner);
}

/* ---- restart ------------------------------------------------------------------------- */

static int take_book(lg_harness_t *h, lg_book_t *b, lg_position_row_t *rows, uint32_t cap_rows) {
    uint32_t n = lg_sim_order_count(h->sim);
    if (n > h->cap_book) {
        lg_adopt_t *nb = realloc(h->book, (size_t)n * sizeof *nb);
        if (nb == NULL) return LG_EPOOL_FULL;
        h->book = nb;
        h->cap_book = n;
    }
    b->orders = h->book;
    b->n_orders = lg_sim_book(h->sim, h->now, 0, h->book, n);
    b->positions = rows;
    b->n_positions = lg_sim_positions(h->sim, rows, cap_rows);
    return LG_OK;
}

/* After a restart: fill checks start again (the engine may have forgotten an uncommitted
 * step's fill until reconciliation re-learnt it), and a group the restarted engine does
 * not know (it never reached the broker, and the database was lost) is no longer one. */
static void restart_subs(lg_harness_t *h) {
    for (uint32_t i = 0; i < h->n_subs; i++) {
        lg_h_sub_t *s = &h->subs[i];
        memset(s->prev_entry, 0, sizeof s->prev_entry);
        memset(s->prev_rev, 0, sizeof s->prev_rev);
        lg_group_view_t v;
        if (s->group != 0 && lg_engine_group(h->eng, s->group, &v) != LG_OK) s->group = 0;
        lg_h_sized_spec(h, s);
    }
}

void lg_h_restart(lg_harness_t *h, lg_recovery_t *out_rep) {
    LG_ASSERT(h->down && h->eng == NULL);
    h->down = false;
    lg_recovery_t local, *rep = out_rep != NULL ? out_rep : &local;
    if (lg_h_open_journal(h, false) != LG_OK) {
        lg_h_fail(h, "restart: the journal does not open");
        return;
    }
    int rc = lg_recover_replay(h->store, &h->cfg.engine, &h->master, &h->eng, rep);
    if (rc != LG_OK) {
        lg_h_fail(h, "restart: %s: %s", lg_errname(rc), rep->report);
        return;
    }
    lg_runner_config_t rcfg;
    lg_runner_config_default(&rcfg);
    rc = lg_runner_create(&rcfg, h->eng, h->store, lg_h_release, h, &h->runner);
    lg_position_row_t *rows = malloc(LG_JRNL_MAX_ROWS * sizeof *rows);
    lg_book_t book;
    if (rc == LG_OK) rc = rows != NULL ? take_book(h, &book, rows, LG_JRNL_MAX_ROWS) : LG_EPOOL_FULL;
    uint64_t replayed = rep->replayed;
    if (rc == LG_OK) rc = lg_recover_reconcile(h->runner, h->eng, &book, h->now, &h->out, rep);
    free(rows);
    if (h->cfg.verbose)
        fprintf(stderr, "t=%.6f RESTART replayed %llu events; adopted %u, rebuilt %u groups, "
                "updated %u, missing %u, unexplained %u\n%s", (double)h->now / 1e9,
                (unsigned long long)replayed, rep->adopted, rep->rebuilt, rep->updated, rep->missing,
                rep->unexplained, rep->report);
    if (rc != LG_OK) {
        lg_h_fail(h, "restart: reconciliation %s: %s", lg_errname(rc), rep->report);
        return;
    }
    h->stats.restarts++;
    h->stats.adopted += rep->adopted;
    h->stats.rebuilt += rep->rebuilt;
    h->eng_wake = h->out.wake_at;
    restart_subs(h);
    lg_h_prime(h); /* margins and prices, as a shell fetches them before trading */
    if (h->down) return; /* a planned crash struck one of those steps */
    if (h->cfg.check_invariants) {
        lg_h_check_exchange(h);
        lg_h_check_all(h);
    }
}

int lg_harness_crash(lg_harness_t *h, bool lose_db, lg_ns_t down_ns) {
    if (h->store == NULL || h->eng == NULL || h->down) return LG_ESTATE;
    lg_h_crash(h, lose_db, down_ns);
    return LG_OK;
}

int lg_harness_restart(lg_harness_t *h, lg_recovery_t *rep) {
    if (!h->down) return LG_ESTATE;
    lg_h_restart(h, rep);
    return h->failed ? LG_EMISMATCH : LG_OK;
}

bool lg_harness_down(const lg_harness_t *h) { return h->down; }
int lg_harness_check_journal(lg_harness_t *h) { return lg_h_check_journal_replay(h); }
lg_runner_t *lg_harness_runner(lg_harness_t *h) { return h->runner; }

/* ---- end-of-run checks -------------------------------------------------------------- */

/* Invariant 8 across restarts: the journal alone rebuilds the state the engine has. */
int lg_h_check_journal_replay(lg_harness_t *h) {
    if (h->store == NULL || h->eng == NULL) return LG_EINVAL;
    if (lg_runner_journal_error(h->runner) != LG_OK) return LG_OK; /* still catching up */
    lg_engine_t *e2 = NULL;
    lg_recovery_t rep;
    int rc = lg_recover_replay(h->store, &h->cfg.engine, &h->master, &e2, &rep);
    if (rc != LG_OK) {
        lg_h_fail(h, "invariant 8: the journal does not replay: %s", rep.report);
        return rc;
    }
    if (lg_engine_digest(e2) != lg_engine_digest(h->eng)) {
        lg_h_fail(h, "invariant 8: replaying the journal (%llu events) reached a different state",
                  (unsigned long long)rep.replayed);
        rc = LG_EMISMATCH;
    }
    lg_engine_destroy(e2);
    return rc;
}

/* Invariant 7, the rest of it: every order the exchange holds that filled or may still
 * fill is known — journaled, or recovered by its tag. */
void lg_h_check_tags_known(lg_harness_t *h) {
    lg_position_row_t rows[1];
    lg_book_t book;
    if (h->eng == NULL || take_book(h, &book, rows, 0) != LG_OK) return;
    for (uint32_t i = 0; i < book.n_orders && !h->failed; i++) {
        const lg_adopt_t *a = &book.orders[i];
        lg_ostate_t st = lg_kstatus_to_ostate(a->u.status);
        if (a->u.filled == 0 && lg_ostate_terminal(st)) continue;
        int32_t js;
        if (lg_engine_order_by_tag(h->eng, a->u.tag) == NULL &&
            lg_store_order_state(h->store, a->u.tag, &js) != LG_OK)
            lg_h_fail(h, "invariant 7: order %s at the exchange (filled %lld) is neither journaled "
                      "nor known by its tag", a->u.tag, (long long)a->u.filled);
    }
}
