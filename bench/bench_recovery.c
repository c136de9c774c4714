/*
 * bench_recovery.c — restart after a crash with 10 000 open groups, the simulator as the
 * broker. Budget (DESIGN §11): 10 000 open groups reconciled and resumed in < 1 s.
 *
 * The world: NIFTY and BANKNIFTY, quiet fault-free knobs, 10 000 two-leg credit
 * verticals of one lot (short near the money, long protection further out) across
 * both chains, calls and puts, submitted at 10 a millisecond over the first simulated
 * second. Fills are held back (lg_sim_delay_fills) on a fixed third of the option
 * tokens, so a group whose protection token is held stays SUBMITTED, one whose short
 * token is held stays PARTIALLY_FILLED, the rest are HEDGED; the entry timeout is an
 * hour so nothing times out. After 3 simulated seconds (every ack in) the engine is
 * crashed and restarted (lg_harness_restart: journal replay, then reconciliation with
 * the exchange's order book, each of its steps journaled), wall time taken around it;
 * then the harness is run to the same instant, so the engine finishes the decisions it
 * continues at immediate wake-ups after RECOVERED ("resume_ms", "resume_steps").
 * total_ms = restart + resume: reconciled and resumed. The replay alone is timed
 * beforehand on the same file (a fresh engine fed the journal by lg_recover_replay);
 * reconcile_ms is the rest of the restart (store open, book, reconciliation).
 * "recovery": the journal kept; "recovery_rebuild": then, 200 ms of simulated trading
 * later (nothing changes: the book is the same), the database lost and every group
 * rebuilt from the order book alone (rebuilt groups are unwound to flat by design). The
 * world is built afresh REPEATS times ("rep"), so each measurement starts from the same
 * 10 000 open groups and the same journal.
 *
 * The harness takes at most 1 024 scripted submissions (LG_H_MAX_SUBS), so the groups
 * are submitted through the harness's own runner (lg_harness_runner, lg_runner_step,
 * 10 to a batch) between lg_harness_run calls: journaled and released as the harness's
 * steps are. Prints one JSON object per line; the journal is a temporary file under
 * /dev/shm (or /tmp), removed after.
 */
#include "legato/harness.h"

#include "bench_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GROUPS 10000u
#define PER_MS 10u          /* submissions per simulated millisecond */
#define SETTLE_NS (3 * LG_NS_PER_S)
#define BETWEEN_NS (200 * LG_NS_PER_MS)
#define REPEATS 3
#define BUDGET_MS 1000
#define MAX_IDS 16384u

typedef struct chain {
    const char *name;
    int atm, step;
    lg_qty_t lot;
} chain_t;

static const chain_t chains[2] = {{"NIFTY", 24000, 50, 65}, {"BANKNIFTY", 52000, 100, 30}};

/* Fills are held on a third of the option tokens, the same in every run. */
static bool held(uint32_t u, lg_kind_t k, int off) {
    return ((uint32_t)(off + 10) * 7u + u * 3u + (k == LG_KIND_CE ? 5u : 0u)) % 3u == 0;
}

/* Group i: a credit vertical on chain i % 2, calls or puts, short 0-5 strikes out,
 * long 1-4 strikes beyond it (offsets stay inside the 21-strike chain). */
static void make_spec(lg_harness_t *h, uint32_t i, lg_group_spec_t *s) {
    memset(s, 0, sizeof *s);
    s->policy = -1;
    s->on_incomplete = -1;
    const chain_t *c = &chains[i % 2];
    lg_kind_t k = (i / 2) % 2 == 0 ? LG_KIND_CE : LG_KIND_PE;
    int dir = k == LG_KIND_CE ? 1 : -1;
    int near = (int)((i / 4) % 6), width = 1 + (int)((i / 24) % 4);
    int offs[2] = {dir * near, dir * (near + width)};
    int sides[2] = {-1, 1};
    for (uint32_t l = 0; l < 2; l++) {
        lg_leg_spec_t *leg = &s->legs[s->n_legs++];
        leg->token = lg_harness_token(h, c->name, k, c->atm + offs[l] * c->step);
        LG_ASSERT(leg->token != 0);
        leg->side = (int8_t)sides[l];
        leg->covered_by = -1;
        leg->qty = c->lot;
    }
}

static void hold_fills(lg_harness_t *h) {
    for (uint32_t u = 0; u < 2; u++)
        for (int off = -10; off <= 10; off++)
            for (int kk = 0; kk < 2; kk++) {
                lg_kind_t k = kk == 0 ? LG_KIND_CE : LG_KIND_PE;
                if (!held(u, k, off)) continue;
                uint32_t tok = lg_harness_token(h, chains[u].name, k, chains[u].atm + off * chains[u].step);
                LG_ASSERT(tok != 0);
                lg_sim_delay_fills(lg_harness_sim(h), tok, INT64_MAX / 4);
            }
}

static lg_harness_t *setup(const char *path) {
    lg_harness_config_t c;
    lg_harness_config_default(&c);
    c.seed = 7;
    lg_sim_knobs_default(&c.knobs);
    c.journal = path;
    c.check_invariants = false;
    c.record = false;
    c.engine.max_groups = MAX_IDS;
    c.engine.max_orders = 65536;
    c.engine.entry_timeout_ns = 3600 * LG_NS_PER_S;
    c.sim_max_orders = 131072;
    c.sim_max_pending = 524288;
    c.max_events = 4000000;
    lg_harness_t *h = NULL;
    if (lg_harness_create(&c, &h) != LG_OK) return NULL;
    if (lg_harness_add_nifty(h) < 0 || lg_harness_add_banknifty(h) < 0 || lg_harness_start(h) != LG_OK) {
        lg_harness_destroy(h);
        return NULL;
    }
    hold_fills(h);
    return h;
}

/* PER_MS groups at each simulated millisecond, one runner batch each. */
static int submit_all(lg_harness_t *h, lg_out_t *out) {
    uint32_t accepted = 0;
    for (uint32_t i = 0; i < GROUPS; i += PER_MS) {
        lg_ns_t at = (lg_ns_t)(i / PER_MS) * LG_NS_PER_MS;
        if (lg_harness_run(h, at) != LG_OK) return LG_EMISMATCH;
        lg_ns_t now = LG_MAX(lg_harness_now(h), at);
        lg_runner_t *r = lg_harness_runner(h);
        int rc = lg_runner_begin(r);
        for (uint32_t j = i; rc == LG_OK && j < i + PER_MS && j < GROUPS; j++) {
            lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
            make_spec(h, j, &ev.u.submit);
            rc = lg_runner_step(r, &ev, now, out);
            if (rc == LG_OK && out->new_group != 0) accepted++;
        }
        if (rc == LG_OK) rc = lg_runner_commit(r, out);
        if (rc != LG_OK) {
            fprintf(stderr, "bench_recovery: submission %u: %s\n", i, lg_errname(rc));
            return rc;
        }
    }
    if (accepted != GROUPS) {
        fprintf(stderr, "bench_recovery: %u of %u groups accepted\n", accepted, GROUPS);
        return LG_EINVAL;
    }
    return LG_OK;
}

typedef struct mix {
    uint32_t groups, live, entering, hedged;
    uint32_t by_state[LG_GS__COUNT];
} mix_t;

static void count_states(lg_engine_t *e, mix_t *m) {
    static uint32_t ids[MAX_IDS];
    memset(m, 0, sizeof *m);
    m->groups = lg_engine_groups(e, ids, MAX_IDS);
    for (uint32_t i = 0; i < m->groups; i++) {
        lg_group_view_t v;
        LG_ASSERT(lg_engine_group(e, ids[i], &v) == LG_OK);
        m->by_state[v.state]++;
        bool done = v.state == LG_GS_CLOSED || v.state == LG_GS_REJECTED ||
                    v.state == LG_GS_EMERGENCY_HEDGED;
        if (!done) m->live++;
        if (v.state == LG_GS_HEDGED) m->hedged++;
        else if (!done) m->entering++;
    }
}

static void print_states(const mix_t *m) {
    printf("{");
    bool first = true;
    for (int s = 0; s < LG_GS__COUNT; s++) {
        if (m->by_state[s] == 0) continue;
        printf("%s\"%s\":%u", first ? "" : ",", lg_gstate_name((lg_gstate_t)s), m->by_state[s]);
        first = false;
    }
    printf("}");
}

/* The replay alone, on the crashed engine's file: a fresh engine fed the journal. */
static int time_replay(lg_harness_t *h, const char *path, lg_ns_t *ns, uint64_t *events) {
    lg_store_t *s = NULL;
    char err[LG_STORE_ERR_MAX];
    if (lg_store_open(path, LG_DUR_NORMAL, &s, err, sizeof err) != LG_OK) {
        fprintf(stderr, "bench_recovery: %s\n", err);
        return LG_EIO;
    }
    lg_engine_t *e = NULL;
    lg_recovery_t rep;
    lg_ns_t t0 = bench_clock_ns();
    int rc = lg_recover_replay(s, lg_harness_engine_config(h), lg_harness_master(h), &e, &rep);
    *ns = bench_clock_ns() - t0;
    *events = rep.replayed;
    if (rc != LG_OK) fprintf(stderr, "bench_recovery: replay: %s: %s\n", lg_errname(rc), rep.report);
    lg_engine_destroy(e);
    lg_store_close(s);
    return rc;
}

/* Crash (keeping or losing the database), restart, check the report; prints one line. */
static int crash_restart(lg_harness_t *h, const char *path, bool lose_db, int rep_no) {
    mix_t before, after;
    count_states(lg_harness_engine(h), &before);
    if (lg_harness_crash(h, lose_db, 0) != LG_OK) return 1;
    lg_ns_t replay_ns = 0;
    uint64_t journal_events = 0;
    if (!lose_db && time_replay(h, path, &replay_ns, &journal_events) != LG_OK) return 1;
    uint32_t book = lg_sim_order_count(lg_harness_sim(h));
    lg_recovery_t rep;
    memset(&rep, 0, sizeof rep);
    lg_harness_stats_t st0, st1;
    lg_ns_t t0 = bench_clock_ns();
    int rc = lg_harness_restart(h, &rep);
    lg_ns_t t1 = bench_clock_ns();
    if (rc != LG_OK || rep.unexplained != 0) {
        fprintf(stderr, "bench_recovery: restart%s: %s (unexplained %u)\n%s\nreport:\n%s\n",
                lose_db ? " (database lost)" : "", lg_errname(rc), rep.unexplained,
                lg_harness_failure(h), rep.report);
        return 1;
    }
    /* Resumed: the decisions the engine continues at immediate wake-ups, all at the
     * restart's instant (nothing the exchange model sends arrives that soon). */
    lg_harness_stats(h, &st0);
    rc = lg_harness_run(h, lg_harness_now(h));
    lg_ns_t t2 = bench_clock_ns();
    lg_harness_stats(h, &st1);
    if (rc != LG_OK) {
        fprintf(stderr, "bench_recovery: resuming after the restart: %s\n", lg_harness_failure(h));
        return 1;
    }
    count_states(lg_harness_engine(h), &after);
    lg_ns_t restart = t1 - t0, resume = t2 - t1;
    if (!lose_db) {
        printf("{\"name\":\"recovery\",\"rep\":%d,\"groups\":%u,\"open_groups\":%u,"
               "\"entering_groups\":%u,\"hedged_groups\":%u,\"journal_events\":%llu,"
               "\"book_orders\":%u,\"updated\":%u,\"adopted\":%u,\"rebuilt\":%u,\"missing\":%u,"
               "\"unexplained\":%u,\"resume_steps\":%llu,\"replay_ms\":%.1f,\"reconcile_ms\":%.1f,"
               "\"resume_ms\":%.1f,\"total_ms\":%.1f,\"budget_ms\":%d,\"states_after\":",
               rep_no, before.groups, before.live, before.entering, before.hedged,
               (unsigned long long)rep.replayed, book, rep.updated, rep.adopted, rep.rebuilt,
               rep.missing, rep.unexplained, (unsigned long long)(st1.events - st0.events),
               (double)replay_ns / 1e6, (double)(restart - replay_ns) / 1e6, (double)resume / 1e6,
               (double)(restart + resume) / 1e6, BUDGET_MS);
        if (journal_events != rep.replayed)
            fprintf(stderr, "bench_recovery: timed replay saw %llu events, the restart %llu\n",
                    (unsigned long long)journal_events, (unsigned long long)rep.replayed);
    } else {
        printf("{\"name\":\"recovery_rebuild\",\"rep\":%d,\"groups\":%u,\"open_groups\":%u,"
               "\"book_orders\":%u,\"rebuilt\":%u,\"adopted\":%u,\"updated\":%u,\"missing\":%u,"
               "\"unexplained\":%u,\"groups_after\":%u,\"resume_steps\":%llu,\"restart_ms\":%.1f,"
               "\"resume_ms\":%.1f,\"total_ms\":%.1f,\"budget_ms\":%d,\"states_after\":",
               rep_no, before.groups, before.live, book, rep.rebuilt, rep.adopted, rep.updated,
               rep.missing, rep.unexplained, after.groups,
               (unsigned long long)(st1.events - st0.events), (double)restart / 1e6,
               (double)resume / 1e6, (double)(restart + resume) / 1e6, BUDGET_MS);
    }
    print_states(&after);
    printf("}\n");
    fflush(stdout);
    /* a little trading on the recovered engine before the next crash */
    if (lg_harness_run(h, lg_harness_now(h) + BETWEEN_NS) != LG_OK) {
        fprintf(stderr, "bench_recovery: after restart: %s\n", lg_harness_failure(h));
        return 1;
    }
    return 0;
}

/* The journal's files, removed by on_abort too: a failed assertion in the library must
 * not leave a few hundred megabytes behind in /dev/shm. */
static char files[3][160];

static void on_abort(int sig) {
    for (int i = 0; i < 3; i++) unlink(files[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void temp_path(char *buf, size_t cap) {
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(buf, cap, "%s/lg_bench_recovery_%ld.db", dir, (long)getpid());
    snprintf(files[0], sizeof files[0], "%s", buf);
    snprintf(files[1], sizeof files[1], "%s-wal", buf);
    snprintf(files[2], sizeof files[2], "%s-shm", buf);
    signal(SIGABRT, on_abort);
}

/* One world: set up, then a restart with the journal, then one with it lost. */
static int one_world(const char *path, lg_out_t *out, int rep_no) {
    lg_store_remove(path);
    lg_harness_t *h = setup(path);
    int rc = h != NULL ? LG_OK : LG_EINVAL;
    lg_ns_t t0 = bench_clock_ns();
    if (rc == LG_OK) rc = submit_all(h, out);
    if (rc == LG_OK) rc = lg_harness_run(h, SETTLE_NS);
    lg_ns_t setup_ns = bench_clock_ns() - t0;
    if (rc != LG_OK) {
        fprintf(stderr, "bench_recovery: set-up failed: %s %s\n", lg_errname(rc),
                h != NULL ? lg_harness_failure(h) : "");
    } else {
        mix_t m;
        count_states(lg_harness_engine(h), &m);
        printf("{\"name\":\"recovery_setup\",\"rep\":%d,\"groups\":%u,\"open_groups\":%u,"
               "\"entering_groups\":%u,\"hedged_groups\":%u,\"book_orders\":%u,"
               "\"sim_overflows\":%u,\"journal\":\"%s\",\"setup_s\":%.2f,\"states\":",
               rep_no, m.groups, m.live, m.entering, m.hedged, lg_sim_order_count(lg_harness_sim(h)),
               lg_sim_overflows(lg_harness_sim(h)), path, (double)setup_ns / 1e9);
        print_states(&m);
        printf("}\n");
        fflush(stdout);
        if (m.live != GROUPS) rc = LG_EINVAL;
    }
    int bad = rc != LG_OK;
    if (!bad) bad = crash_restart(h, path, false, rep_no);
    if (!bad) bad = crash_restart(h, path, true, rep_no);
    lg_harness_destroy(h);
    lg_store_remove(path);
    return bad;
}

int main(void) {
    char path[128];
    temp_path(path, sizeof path);
    lg_out_t out;
    if (lg_out_init(&out, 4096, 16384, 256) != LG_OK) return 1;
    int bad = 0;
    for (int k = 1; !bad && k <= REPEATS; k++) bad = one_world(path, &out, k);
    lg_out_free(&out);
    return bad;
}
