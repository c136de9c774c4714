/*
 * strategy.h — strategies as C plug-ins, and the host that runs them.
 *
 * A strategy says what it wants: an intent (event.h) — a structure, a direction, a
 * confidence, the price it decided on — never a quantity; the risk engine alone sizes
 * it. A strategy sees ticks, bars the host builds from ticks, what happens to its own
 * groups (fills and state changes, or the refusal of its intent), and the wake-ups it
 * asked for; it answers with actions:
 *
 *   ticks ──► host ──► bars ──┐
 *   its groups' records ──────┼──► on_tick / on_bar / on_fill / on_timer
 *   its wake-ups ─────────────┘              │
 *                                            ▼
 *                      actions (intent, exit, note) ──► the shell ──► the engine
 *                                            ▲                            │
 *                                            └──── lg_strat_host_bound ◄──┘
 *
 * The host is pure like the engine: no I/O, no clock (now is handed in, Unix ns), no
 * allocation after lg_strat_host_create, bounded tables. Actions are queued while a
 * callback runs; the shell takes them (lg_strat_host_take) between steps, hands each to
 * the engine, and reports what became of an intent (lg_strat_host_bound): its group's
 * id, or the reason it was refused. A strategy can only exit groups it made.
 *
 * Bars: a series per (token, period), aligned to multiples of the period in Unix time;
 * a bar closes at the first tick at or after its end, or at the host's wake-up at its
 * end, whichever comes first; a period without ticks makes no bar.
 */
#ifndef LEGATO_STRATEGY_H
#define LEGATO_STRATEGY_H

#include "legato/event.h"
#include "legato/instrument.h"

#define LG_STRAT_MAX 8          /* strategies per host */
#define LG_STRAT_SERIES_MAX 16  /* bar series, all strategies together */
#define LG_STRAT_GROUPS_MAX 64  /* groups whose records are routed to their strategy */
#define LG_STRAT_ACTIONS_MAX 32 /* actions queued between two takes */
#define LG_STRAT_NOTE_MAX 200

typedef struct lg_bar {
    uint32_t token;
    lg_ns_t start, period; /* [start, start + period), start a multiple of period */
    lg_paise_t open, high, low, close;
    uint32_t ticks;
} lg_bar_t;

typedef struct lg_strat_tick {
    uint32_t token;
    lg_paise_t ltp, bid, ask; /* bid/ask 0: not quoted */
} lg_strat_tick_t;

typedef enum lg_strat_fill_kind {
    LG_SF_FILL = 1, /* an order of its group filled: token, qty (signed units), price */
    LG_SF_STATE,    /* its group changed state: state (lg_gstate_t), reason (lg_reason_t) */
    LG_SF_REFUSED,  /* its intent made no live group: code (lg_err_t), text */
} lg_strat_fill_kind_t;

typedef struct lg_strat_fill {
    lg_strat_fill_kind_t kind;
    uint32_t ref;   /* the intent's reference (lg_strat_emit) */
    uint32_t group; /* 0: refused before a group was made */
    uint32_t token;
    lg_qty_t qty;
    lg_paise_t price;
    int32_t state, reason, code;
    char text[LG_STRAT_NOTE_MAX];
} lg_strat_fill_t;

typedef struct lg_strat_ctx lg_strat_ctx_t;

/* A plug-in: a name, its state, and callbacks (any may be NULL). on_start runs when the
 * strategy is added: it subscribes to bars and asks for wake-ups; an error there (with
 * a note saying why) refuses the strategy. */
typedef struct lg_strategy {
    const char *name;
    void *self;
    int (*on_start)(void *self, lg_strat_ctx_t *c);
    void (*on_tick)(void *self, lg_strat_ctx_t *c, const lg_strat_tick_t *t);
    void (*on_bar)(void *self, lg_strat_ctx_t *c, const lg_bar_t *b);
    void (*on_fill)(void *self, lg_strat_ctx_t *c, const lg_strat_fill_t *f);
    void (*on_timer)(void *self, lg_strat_ctx_t *c);
} lg_strategy_t;

/* ---- what a strategy may ask of its host (inside a callback) ------------------------- */

lg_ns_t lg_strat_now(const lg_strat_ctx_t *c);
int32_t lg_strat_today(const lg_strat_ctx_t *c); /* the IST date, days since 1970-01-01 */
const lg_instruments_t *lg_strat_master(const lg_strat_ctx_t *c);
/* The middle of bid and ask when both are quoted, else the last price; 0: unknown. */
lg_paise_t lg_strat_price(const lg_strat_ctx_t *c, uint32_t token);
/* Bars of token every period (>= 1 s); LG_EPOOL_FULL when the host has no series left. */
int lg_strat_bars(lg_strat_ctx_t *c, uint32_t token, lg_ns_t period);
/* One wake-up at `at` (replaces the earlier one; INT64_MAX: none). */
void lg_strat_wake(lg_strat_ctx_t *c, lg_ns_t at);
/* Queues an intent; *ref names it in on_fill. LG_EINVAL for an intent with no legs,
 * a ratio of 0 or a confidence outside (0, 1]; LG_EPOOL_FULL when the queue is full. */
int lg_strat_emit(lg_strat_ctx_t *c, const lg_intent_t *it, uint32_t *ref);
/* Queues the exit of one of its groups; LG_EUNKNOWN_GROUP when the group is not its. */
int lg_strat_exit(lg_strat_ctx_t *c, uint32_t group);
/* A log line (level lg_alert_level_t), named after the strategy. */
void lg_strat_note(lg_strat_ctx_t *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A group state after which a strategy may trade again: CLOSED, REJECTED,
 * EMERGENCY_HEDGED (a late fill can reopen it: the host routes that too). */
bool lg_strat_finished(int32_t state);

/* ---- the option chain (strat_chain.c) -------------------------------------------------- */

/* The master sorted for look-ups by underlying, expiry, kind and strike (one allocation,
 * made at start-up; the master must outlive it). Each look-up is a binary search. */
typedef struct lg_chain lg_chain_t;
int lg_chain_create(const lg_instruments_t *m, lg_chain_t **out);
void lg_chain_destroy(lg_chain_t *c);
/* The nearest future of underlying expiring on or after today; 0: none. */
uint32_t lg_chain_future(const lg_chain_t *c, const char *underlying, int32_t today);
/* The nearest option expiry of underlying on or after today + min_days; -1: none. */
int32_t lg_chain_expiry(const lg_chain_t *c, const char *underlying, int32_t today, int32_t min_days);
/* The option of that expiry and kind whose strike is `steps` listed strikes above (+) or
 * below (−) the strike nearest to `near` (of two as near, the lower); 0 when there is
 * no such strike. */
uint32_t lg_chain_option(const lg_chain_t *c, const char *underlying, int32_t expiry,
                         lg_kind_t kind, lg_paise_t near, int steps);
/* The host's chain, inside a callback. */
const lg_chain_t *lg_strat_chain(const lg_strat_ctx_t *c);

/* ---- the host ---------------------------------------------------------------------------- */

typedef struct lg_strat_host lg_strat_host_t;

typedef enum lg_strat_action_kind {
    LG_SA_INTENT = 1, /* hand `intent` to the engine, then lg_strat_host_bound */
    LG_SA_EXIT,       /* exit `group` (LG_CTL_EXIT_GROUP) */
    LG_SA_NOTE,       /* log `text` at `level` */
} lg_strat_action_kind_t;

typedef struct lg_strat_action {
    lg_strat_action_kind_t kind;
    uint32_t strategy; /* index in the host (lg_strat_host_name) */
    uint32_t ref;      /* INTENT */
    uint32_t group;    /* EXIT */
    int32_t level;     /* NOTE */
    lg_intent_t intent;
    char text[LG_STRAT_NOTE_MAX];
} lg_strat_action_t;

typedef struct lg_strat_host_stats {
    uint64_t ticks, bars, intents, exits, refused, dropped, callbacks;
} lg_strat_host_stats_t;

/* The master must outlive the host; its prices are kept per instrument. */
int lg_strat_host_create(const lg_instruments_t *master, lg_strat_host_t **out);
void lg_strat_host_destroy(lg_strat_host_t *h);
/* Adds a strategy (copied) and runs its on_start; the error names the strategy. */
int lg_strat_host_add(lg_strat_host_t *h, const lg_strategy_t *s, lg_ns_t now, char *err,
                      size_t errcap);
uint32_t lg_strat_host_count(const lg_strat_host_t *h);
const lg_chain_t *lg_strat_host_chain(const lg_strat_host_t *h);
const char *lg_strat_host_name(const lg_strat_host_t *h, uint32_t strategy);

/* The inputs. Ticks of instruments missing from the master are ignored. */
void lg_strat_host_tick(lg_strat_host_t *h, lg_ns_t now, const lg_strat_tick_t *t);
/* A journal record of the engine's step (event.h): fills and state changes of the
 * strategies' groups reach them; the rest is ignored. */
void lg_strat_host_record(lg_strat_host_t *h, lg_ns_t now, const lg_record_t *r);
/* Closes the bars that have ended and runs the wake-ups that are due. */
void lg_strat_host_timer(lg_strat_host_t *h, lg_ns_t now);
/* When lg_strat_host_timer has work next; INT64_MAX: nothing. */
lg_ns_t lg_strat_host_wake(const lg_strat_host_t *h);

/* Moves up to cap queued actions into out, oldest first; returns how many. */
uint32_t lg_strat_host_take(lg_strat_host_t *h, lg_strat_action_t *out, uint32_t cap);
/* What became of an INTENT action: group > 0 is the group made for it, in `state`
 * (lg_gstate_t) now — the strategy hears of that state at once (the records of the
 * step that made the group came before the group was its), and of every record of the
 * group after; group 0 is a refusal with its status and reason. */
void lg_strat_host_bound(lg_strat_host_t *h, lg_ns_t now, const lg_strat_action_t *a,
                         uint32_t group, int32_t state, int status, const char *why);
void lg_strat_host_stats(const lg_strat_host_t *h, lg_strat_host_stats_t *s);

#endif
