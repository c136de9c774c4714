/*
 * harness_int.h — private state of the simulation harness, shared by harness.c (the
 * virtual-time loop and the script), check.c (invariants and replay) and dst.c (the
 * random hostile scenarios).
 */
#ifndef LEGATO_HARNESS_INT_H
#define LEGATO_HARNESS_INT_H

#include "legato/harness.h"
#include "legato/numeric.h"
#include "legato/recover.h"
#include "legato/runner.h"
#include "legato/store.h"

#define LG_H_MAX_SUBS 1024
#define LG_H_MAX_TOKENS 512
#define LG_H_MAX_SCRIPT 4096
#define LG_H_MAX_EVENTS 64 /* scripted raw events */

typedef struct lg_h_script {
    lg_ns_t at;
    uint32_t seq;   /* insertion order: equal times stay in order */
    int kind;       /* 0 submit (a group, or an intent), 1 control, 2 event */
    int sub;        /* submission index */
    int op;         /* control op; event: index in events[] */
} lg_h_script_t;

#define LG_H_MAX_CRASHES 8

/* How a planned crash stops the engine. */
typedef enum lg_h_crash_kind {
    LG_H_CRASH_BEFORE_COMMIT = 0, /* hedges out, step not on disk */
    LG_H_CRASH_AFTER_COMMIT,      /* step on disk, entries not sent */
    LG_H_CRASH_AFTER_RELEASE,     /* an order left; its ack never reaches this engine */
    LG_H_CRASH_AT_HEDGE,          /* mid-emergency: a reversal left, step not on disk */
    LG_H_CRASH__COUNT
} lg_h_crash_kind_t;

typedef struct lg_h_crash {
    uint64_t after_events;   /* armed once this many steps have run */
    uint8_t kind;            /* lg_h_crash_kind_t */
    bool lose_db;
    lg_ns_t down_ns;         /* how long the engine stays down */
} lg_h_crash_t;

typedef struct lg_h_sub {
    lg_group_spec_t spec;
    uint32_t group;          /* 0 until submitted / if refused */
    bool submitted;
    lg_ns_t exit_hold;       /* < 0: no automatic exit */
    lg_ns_t hedged_at;       /* 0: not yet */
    bool exit_sent;
    bool went_failed;
    bool counted;
    lg_qty_t prev_entry[LG_MAX_LEGS], prev_rev[LG_MAX_LEGS];
    lg_qty_t exch[LG_MAX_LEGS];    /* net units the exchange filled for this group's legs */
    lg_qty_t exch_entry[LG_MAX_LEGS]; /* units the exchange filled for entry orders */
    int8_t cover[LG_MAX_LEGS];     /* pairing, copied from the engine at the first fill */
    bool pairing_known;
    bool is_intent;          /* submitted as an intent (spec: its structure at one unit) */
    lg_intent_t intent;
    bool sized_known;        /* spec holds the sized quantities */
    lg_ns_t stop_hold;       /* < 0: no stop */
    double stop_pct;
    lg_paise_t stop_loss;
    bool stop_sent;
} lg_h_sub_t;

struct lg_harness {
    lg_harness_config_t cfg;
    lg_instruments_t master;
    lg_sim_t *sim;
    lg_engine_t *eng;
    lg_out_t out;
    lg_ns_t now, eng_wake;
    lg_h_sub_t *subs;
    uint32_t n_subs;
    lg_h_script_t *script;
    uint32_t n_script, next_script, script_seq;
    /* invariant state */
    lg_ns_t uncovered_since;
    lg_qty_t uncovered_lots;
    lg_ns_t uncovered_mark;
    uint64_t fill_cursor;     /* exchange fills already checked */
    bool failed;
    char failure[320];
    /* event log for replay */
    lg_event_t *log;
    lg_ns_t *log_t;
    uint32_t n_log, cap_log;
    lg_position_row_t *rows;
    uint32_t n_rows, cap_rows;
    uint64_t cmd_hash;
    uint8_t *chain_of;        /* per instrument: underlying index (0xFF: none) */
    uint64_t coverage_fills;  /* the exchange's fill count when uncovered_lots was taken */
    bool uncovered_stale;     /* take it again at the next check */
    lg_event_t events[LG_H_MAX_EVENTS]; /* scripted raw events */
    uint32_t n_events;
    uint32_t *tokens;         /* instruments subscribed (ticks), LG_H_MAX_TOKENS */
    uint32_t n_tokens;
    lg_qty_t chain_lot[8];    /* per underlying: lot size */
    uint32_t n_chains;
    lg_store_t *store;        /* cfg.journal open, or NULL */
    lg_runner_t *runner;      /* with a store: every step goes through it */
    /* crashes */
    lg_h_crash_t crash[LG_H_MAX_CRASHES];
    uint32_t n_crash, next_crash;
    bool armed;               /* the runner's crash point is set for the next step */
    bool down;                /* the engine is down until down_until */
    lg_ns_t down_until;
    bool placed;              /* the current step released a PLACE */
    bool batch_open;          /* cfg.batch: the runner's batch of this instant is open */
    uint64_t disk_at;         /* disk-fault window: opens after this many steps (0: none) */
    lg_ns_t disk_ns, disk_until;
    uint8_t disk_fault;       /* lg_vfs_fault_t */
    bool disk_on;
    lg_adopt_t *book;         /* the exchange's order book at a restart */
    uint32_t cap_book;
    lg_harness_observer_fn observer;
    void *observer_ctx;
    lg_harness_stats_t stats;
};

/* crash.c */
void lg_h_release(void *ctx, const lg_cmd_t *c, lg_ns_t now);
int lg_h_open_journal(lg_harness_t *h, bool fresh);
void lg_h_plan_crashes(lg_harness_t *h);
lg_crash_point_t lg_h_arm(lg_harness_t *h);
void lg_h_disk(lg_harness_t *h);
bool lg_h_crash_after_step(lg_harness_t *h);
void lg_h_crash(lg_harness_t *h, bool lose_db, lg_ns_t down_ns);
void lg_h_crash_planned(lg_harness_t *h);
void lg_h_commit(lg_harness_t *h);
void lg_h_restart(lg_harness_t *h, lg_recovery_t *rep);
/* What a shell learns at start-up before it trades: each subscribed instrument's
 * circuit band and quote, and the margin snapshot, stepped into the engine. */
void lg_h_prime(lg_harness_t *h);
/* An intent's submission takes its group's sized quantities (the checks use them). */
void lg_h_sized_spec(lg_harness_t *h, lg_h_sub_t *s);
int lg_h_check_journal_replay(lg_harness_t *h);
void lg_h_check_tags_known(lg_harness_t *h);

/* check.c */
void lg_h_check_exchange(lg_harness_t *h);
void lg_h_fail(lg_harness_t *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The example strategies on the harness's observer (dst_strat.c). */
typedef struct lg_dst_strat lg_dst_strat_t;
int lg_dst_strat_create(lg_harness_t *h, lg_rng_t *r, lg_dst_strat_t **out);
void lg_dst_strat_stats(const lg_dst_strat_t *s, lg_dst_strat_stats_t *st);
void lg_dst_strat_destroy(lg_dst_strat_t *s);
void lg_h_check_step(lg_harness_t *h, lg_tstate_t before, const lg_out_t *out);
void lg_h_check_place(lg_harness_t *h, const lg_cmd_t *c);
uint64_t lg_h_hash_cmds(uint64_t h, const lg_out_t *out);
void lg_h_log_event(lg_harness_t *h, const lg_event_t *ev, lg_ns_t at);
void lg_h_index_chains(lg_harness_t *h);
void lg_h_check_all(lg_harness_t *h);

#endif
