/*
 * harness.h — runs the engine against the exchange model in virtual time: the
 * deterministic simulation used by scenario tests, by `legato dst` over thousands of
 * seeds, by the paper demo and by benchmarks.
 *
 * The loop takes the earliest of: a scripted submission or control, the engine's
 * wake-up, the exchange model's next event; hands it to lg_engine_step; passes the
 * step's commands to the model. After every step it checks the invariants of
 * DESIGN §10 (1, 2, 4, 5, 6, 8, 9, 10; 3 once quiet) and stops at the first
 * violation with a message naming it.
 */
#ifndef LEGATO_HARNESS_H
#define LEGATO_HARNESS_H

#include "legato/engine.h"
#include "legato/recover.h"
#include "legato/runner.h"
#include "legato/sim.h"

typedef struct lg_harness lg_harness_t;

typedef struct lg_harness_config {
    uint64_t seed;
    lg_sim_knobs_t knobs;
    lg_engine_config_t engine;
    bool check_invariants;
    bool record;                 /* keep the event log for the replay check */
    int verbose;                 /* 1: steps and commands to stderr */
    lg_ns_t emergency_window_ns; /* invariant 1: how long a short may be uncovered */
    uint32_t max_events;         /* step budget of one run (bounded loop) */
    const char *journal;         /* SQLite journal to write every step to (NULL: none);
                                    with one, every step goes through the runner
                                    (write-ahead / write-behind, runner.h) */
    uint32_t crashes;            /* simulated crashes (needs a journal): each stops the
                                    engine at a random point — before a step's commit,
                                    after it, after an order left, or as a hedge leaves —
                                    while the exchange runs on; the engine restarts from
                                    the journal and reconciles with the exchange's book */
    double p_lose_db;            /* chance that a crash also deletes the database: the
                                    restart rebuilds from the order book alone */
    uint64_t crash_seed;         /* draws of the crash plan */
    double p_disk_fault;         /* chance of one window (0.5–10 s) in which the disk is
                                    full or fails every write (needs a journal): commits
                                    fail, the runner withholds and halts, the journal
                                    catches up once the window closes */
    bool batch;                  /* with a journal: the steps of one instant share one
                                    commit (the runner's group commit) */
    uint32_t sim_max_orders;     /* exchange model's order book (default 16 384) */
    uint32_t sim_max_pending;    /* exchange model's event queue (default 65 536) */
    lg_paise_t funds;            /* the simulated account's opening balance (₹5 crore) */
} lg_harness_config_t;

void lg_harness_config_default(lg_harness_config_t *c);
int lg_harness_create(const lg_harness_config_t *cfg, lg_harness_t **out);
void lg_harness_destroy(lg_harness_t *h);

/* Adds NIFTY (spot 24000, 50-point strikes, lot 65, freeze 1800) or BANKNIFTY (spot
 * 52000, 100-point strikes, lot 30, freeze 600) with their chains; returns the
 * underlying index. Must come before lg_harness_start. */
int lg_harness_add_nifty(lg_harness_t *h);
int lg_harness_add_banknifty(lg_harness_t *h);
/* Creates the engine (after the instruments exist). */
int lg_harness_start(lg_harness_t *h);

lg_sim_t *lg_harness_sim(lg_harness_t *h);
lg_engine_t *lg_harness_engine(lg_harness_t *h);
const lg_instruments_t *lg_harness_master(const lg_harness_t *h);
lg_ns_t lg_harness_now(const lg_harness_t *h);
/* The engine configuration in force (clock offset included). */
const lg_engine_config_t *lg_harness_engine_config(const lg_harness_t *h);

/* Token of an option / future: strike in rupees, kind LG_KIND_CE/PE/FUT. 0 if none. */
uint32_t lg_harness_token(const lg_harness_t *h, const char *underlying, lg_kind_t kind,
                          int strike_rupees);

/* Ticks of an instrument from now on (a submission's legs are subscribed by it). */
void lg_harness_subscribe(lg_harness_t *h, uint32_t token);

/* Scripted inputs; returns the script index of the submission. */
int lg_harness_submit_at(lg_harness_t *h, lg_ns_t at, const lg_group_spec_t *spec);
void lg_harness_control_at(lg_harness_t *h, lg_ns_t at, lg_control_op_t op, int submission);
/* A strategy's intent instead of a group: the risk engine sizes it (the submission's
 * group is what it became). A decision_price of 0 is the market when it is stepped. */
int lg_harness_intent_at(lg_harness_t *h, lg_ns_t at, const lg_intent_t *it);
/* Any event at a time (a lost session, a margin snapshot, ...). */
void lg_harness_event_at(lg_harness_t *h, lg_ns_t at, const lg_event_t *ev);
/* Arm a stop on submission's group once it has been HEDGED for hold_ns: one-leg
 * groups a price stop pct below (a short's: above) the last price, with the limit
 * another pct beyond and a gap of pct; others a group stop of max_loss paise. */
void lg_harness_stop_after(lg_harness_t *h, int submission, lg_ns_t hold_ns, double pct,
                           lg_paise_t max_loss);
/* Exit submission's group once it has been HEDGED for hold_ns. */
void lg_harness_exit_after(lg_harness_t *h, int submission, lg_ns_t hold_ns);
/* Group id of a submission (0 until submitted, or if refused). */
uint32_t lg_harness_group(const lg_harness_t *h, int submission);

/* Called after every step (scenario tests use it to check "at every moment"). */
typedef void (*lg_harness_observer_fn)(lg_harness_t *h, const lg_event_t *ev,
                                       const lg_out_t *out, void *ctx);
void lg_harness_observe(lg_harness_t *h, lg_harness_observer_fn fn, void *ctx);

/* Runs until `until` or until nothing is left to happen. LG_OK, or LG_EMISMATCH on
 * an invariant violation (lg_harness_failure says which). */
int lg_harness_run(lg_harness_t *h, lg_ns_t until);
const char *lg_harness_failure(const lg_harness_t *h);
/* Every submission finished (REJECTED, EMERGENCY_HEDGED, CLOSED) or HEDGED. */
bool lg_harness_settled(const lg_harness_t *h);
/* Invariant 3: engine positions equal the exchange's (call once quiet). */
int lg_harness_check_positions(lg_harness_t *h);
/* Invariant 8: a fresh engine fed the recorded events reaches the same digest and
 * emits the same commands. */
int lg_harness_check_replay(lg_harness_t *h);

/* Crashes now (needs a journal): the engine, its runner and the store connection are
 * dropped, and with lose_db the database file too; the exchange model runs on.
 * lg_harness_run restarts it after down_ns, or lg_harness_restart does at once. */
int lg_harness_crash(lg_harness_t *h, bool lose_db, lg_ns_t down_ns);
/* Restarts a crashed engine now: journal replay, then reconciliation with the exchange's
 * order book. LG_OK, or the error (lg_harness_failure says why); rep (may be NULL)
 * receives the recovery's report. */
int lg_harness_restart(lg_harness_t *h, lg_recovery_t *rep);
bool lg_harness_down(const lg_harness_t *h);
/* Invariant 8 from the journal: a fresh engine fed the journal's events reaches the
 * live engine's digest. LG_OK, LG_EMISMATCH (lg_harness_failure says why), LG_EINVAL
 * without a journal. */
int lg_harness_check_journal(lg_harness_t *h);
/* The live runner (NULL without a journal or while down). */
lg_runner_t *lg_harness_runner(lg_harness_t *h);

/* The i-th recorded event and its time (for benchmarks replaying a real mix). */
int lg_harness_logged(const lg_harness_t *h, uint32_t i, lg_event_t *ev, lg_ns_t *at);
uint32_t lg_harness_logged_count(const lg_harness_t *h);

typedef struct lg_harness_stats {
    uint64_t events, cmds, alerts, errors;
    int64_t uncovered_lot_ns;  /* ∫ uncovered short lots at the exchange dt */
    uint32_t submitted, hedged, emergency_hedged, closed, rejected;
    uint32_t emergencies;      /* groups that went through FAILED */
    uint32_t emergency_orders;
    int64_t emergency_cost;    /* Σ realised P&L of emergency-hedged groups (paise) */
    uint32_t halts;
    uint32_t restarts, lost_dbs;   /* crashes recovered from; of them, with the file gone */
    uint32_t disk_faults;          /* disk-fault windows the journal went through */
    uint32_t adopted, rebuilt;     /* orders adopted into known groups; groups rebuilt */
    uint32_t sized;                /* intents the risk engine sized into groups */
    uint32_t risk_refused;         /* groups and intents it refused (margin, limits, data) */
    uint32_t stops_armed, stop_orders; /* stops armed; orders they placed */
    uint32_t baskets, baskets_answered; /* broker basket margins asked; answers the engine took */
    uint32_t risk_halts;           /* kill switch by loss limit, margin floor, lost session */
    lg_ns_t fill_time[1024];   /* first order -> finished (HEDGED/…) per group */
    uint32_t n_fill_time;
} lg_harness_stats_t;
void lg_harness_stats(const lg_harness_t *h, lg_harness_stats_t *s);

/* ---- deterministic simulation ---------------------------------------------------- */

/* The example strategies' part of a seed (dst_strat.c). */
typedef struct lg_dst_strat_stats {
    uint32_t intents, groups, refused, exits;
} lg_dst_strat_stats_t;

typedef struct lg_dst_result {
    bool ok;
    char failure[320];
    lg_harness_stats_t stats;
    uint32_t groups;
    bool strategies;              /* the example strategies traded in this world */
    lg_dst_strat_stats_t strat;
} lg_dst_result_t;

/* One seed of the random hostile scenario. policy < 0: chosen by the seed.
 * flags: LG_DST_VERBOSE prints every step; LG_DST_MEASURE lets a naive run go on while
 * shorts are uncovered (to measure the exposure rather than stop at it). journal: a
 * SQLite file every step is written to (NULL: none), for `legato replay`.
 * LG_DST_CRASH: a smaller world (1–12 groups, ticks every 250 ms) that crashes 1–3
 * times, a fifth of them losing the database; every step is journaled (to `journal`,
 * or a temporary file removed afterwards) and invariants 3, 5 and 7 are checked across
 * the restarts, with the journal's replay for invariant 8.
 * In three worlds in ten (every one with LG_DST_STRATEGIES) the two example strategies
 * (strategies.h) trade too, with random parameters, fed the simulated ticks: their
 * intents are submissions like the script's; in crashing worlds they go on across the
 * engine's restarts as a client of the control API would. */
enum { LG_DST_VERBOSE = 1, LG_DST_MEASURE = 2, LG_DST_CRASH = 4, LG_DST_STRATEGIES = 8 };
void lg_dst_run_seed(uint64_t seed, int policy, int flags, const char *journal,
                     lg_dst_result_t *r);
extern const char *const lg_dst_invariants;

#endif
