/*
 * engine_int.h — the engine's private structures, shared by the files that make up
 * the core: engine.c (the step, trading state, views), pool.c (output helpers, pools,
 * the wake-up heap), handlers.c (one function per event kind), group.c (the group
 * lifecycle and its transition table), entry.c (hedge-first release), unwind.c
 * (emergency hedge and exits), exposure.c (interim exposure), view.c (snapshots).
 *
 * Pools are allocated once by lg_engine_create. An update finds its order through its
 * tag: group id -> group slot -> child number, which is the order's position in the
 * group's table until the table is compacted (rejected orders that never filled are
 * dropped when it is full), and is found by a bounded scan after that.
 */
#ifndef LEGATO_ENGINE_INT_H
#define LEGATO_ENGINE_INT_H

#include "legato/engine.h"
#include "legato/numeric.h"
#include "legato/tag.h"

#define LG_GROUP_MAX_ORDERS LG_ENGINE_GROUP_ORDERS
#define LG_GROUP_REVERSAL_RESERVE 48 /* order slots entry orders may not use */
#define LG_NO_INDEX UINT32_MAX

typedef struct lg_leg {
    const lg_instrument_t *ins;
    uint32_t ins_index;
    int8_t side;         /* +1 buy, -1 sell */
    int8_t cover;        /* shorts: protection leg index; -1 otherwise */
    bool protection;     /* some short names this leg as its cover */
    lg_qty_t target;     /* structure quantity */
    lg_qty_t keep;       /* what an unwind leaves (0, or a shrunk structure) */
    lg_paise_t limit;    /* 0: protected MARKET */
    lg_qty_t entry_filled, rev_filled;
    uint16_t attempt;    /* reversal attempt counter (wider protection each time) */
    uint16_t rev_failures;
} lg_leg_t;

/* Unwind bookkeeping: an emergency hedge (FAILED) or an exit (CLOSING). */
typedef struct lg_unwind {
    bool active;
    bool keep_known;     /* keep[] decided (shrink needs every entry order terminal) */
    uint8_t purpose;     /* LG_PURPOSE_EMERGENCY or LG_PURPOSE_EXIT */
    uint16_t failures;   /* rejected reversal orders */
    bool escalated;      /* alerted and halted */
    lg_ns_t retry_at;    /* no new reversal before this time */
} lg_unwind_t;

typedef struct lg_group {
    uint32_t id;         /* 0: slot free */
    lg_gstate_t state;
    uint8_t policy, on_incomplete;
    uint32_t n_legs;
    lg_leg_t legs[LG_MAX_LEGS];
    uint32_t n_orders;
    uint32_t orders[LG_GROUP_MAX_ORDERS]; /* pool indices, in the order sent */
    uint32_t next_child;                  /* child number of the next order (its tag) */
    lg_ns_t created_ns, finished_ns, deadline_ns;
    bool naked_on, delta_on;             /* breaching now, since naked_since / delta_since */
    bool exposure_due;                   /* a tick could not be evaluated: do it now */
    bool slots_alerted;                  /* "no order slots" said once */
    lg_ns_t naked_since, delta_since;
    lg_ns_t naked_mark;                  /* naked_lot_ns accumulated up to here */
    lg_qty_t naked;                      /* uncovered short units */
    int64_t naked_lot_ns;
    int64_t cash;                        /* Σ sells − buys, paise·units */
    lg_unwind_t uw;
    uint16_t pos_checks;
    lg_ns_t pos_check_at;                /* FILLED: next positions check */
    uint32_t emergency_orders;
    uint32_t n_states;
    uint8_t path[32];
    bool rebuilt;                        /* recovery made it from the broker's orders alone */
    bool undecided;                      /* recovery: not yet decided after RECOVERED */
    uint8_t adopted;                     /* recovery: purposes of orders adopted (LG_ADOPTED_*) */
    uint32_t heap_pos;                   /* index in the wake heap, LG_NO_INDEX if absent */
    uint32_t enter_pos;                  /* index in entering[], LG_NO_INDEX if absent */
    lg_ns_t wake_at;
    lg_paise_t reserve;                  /* margin held for it until a snapshot follows its entry */
    uint32_t units;                      /* sized structure units (0: explicit quantities) */
    uint8_t bound;                       /* lg_bound_t that decided the size */
    lg_paise_t worst_need;               /* need of its worst partial-fill state */
    lg_ns_t entry_done_ns;               /* when it left its entry states (reserve), 0 before */
    uint32_t stop_id;                    /* its price stop: stops[stop_id - 1]; 0 none */
    uint32_t stop_seq;                   /* the next stop order number (tags stay unique) */
    lg_ns_t stop_wake;                   /* the price stop's next wake-up */
    lg_paise_t max_loss;                 /* group stop: exit at P&L <= −max_loss; 0 none */
    bool basket_wait;                    /* CREATED: the broker's basket margin awaited (basket.c) */
    lg_ns_t basket_deadline;             /* ... until then */
    double it_confidence;                /* the waiting intent's confidence and decision price */
    lg_paise_t it_decision;
} lg_group_t;

/* lg_group_t.adopted bits: which kinds of order recovery adopted into the group. */
#define LG_ADOPTED_ENTRY 1u
#define LG_ADOPTED_EMERGENCY 2u
#define LG_ADOPTED_EXIT 4u
#define LG_ADOPTED_STOP 8u

struct lg_engine {
    lg_engine_config_t cfg;
    bool recovering;          /* between RECOVER_BEGIN and RECOVERED */
    bool deciding;            /* after RECOVERED: groups from decide_cursor on still to decide */
    uint32_t decide_cursor;
    const lg_instruments_t *master;
    lg_tstate_t tstate;
    uint32_t next_group_id;
    lg_group_t *groups;       /* max_groups slots, slot = id % max_groups */
    lg_order_t *orders;       /* max_orders */
    uint32_t *free_orders;    /* stack of free order indices */
    uint32_t n_free_orders;
    lg_qty_t *pos;            /* per instrument index: net units */
    lg_paise_t *ltp;          /* per instrument index: last price, 0 unknown */
    double *iv;               /* per instrument index: implied vol, 0 unknown (lg_eng_iv) */
    lg_paise_t *iv_fwd;       /* the forward the last price goes with (at its tick), 0 none */
    lg_ns_t *iv_until;        /* iv[] holds until then; 0 once the option ticked */
    uint32_t *fut_of;         /* per instrument index: front future of its underlying */
    uint32_t *heap;           /* group slots by wake_at */
    uint32_t heap_n;
    uint32_t *entering;       /* slots of groups in entry states (ticks scan these) */
    uint32_t n_entering;
    bool pos_query_out;       /* one positions query at a time */
    lg_ns_t pos_query_at;     /* when it was sent */
    /* risk (risk_eng.c) */
    bool margins_known;
    bool margins_query_out;   /* one margin query at a time */
    uint32_t reserve_waiting; /* groups past entry whose reservation awaits a snapshot */
    lg_ns_t margins_query_at; /* when it was sent */
    lg_paise_t margin_avail;  /* the last snapshot's available margin */
    lg_paise_t reserved;      /* Σ g->reserve */
    int64_t cash_total;       /* Σ sells − buys of every fill, paise */
    int64_t mark;             /* Σ pos × ltp, paise (unpriced positions count 0) */
    uint32_t unpriced;        /* instruments held with no price */
    uint32_t *held;           /* indices of instruments with pos != 0 */
    uint32_t *held_pos;       /* per instrument index: its place in held[], LG_NO_INDEX */
    int64_t *ins_cash;        /* per instrument index: Σ sells − buys of its fills, paise */
    uint32_t n_held;
    uint32_t n_priced;        /* instruments with a last price */
    uint32_t n_banded;        /* instruments with a circuit band */
    lg_qty_t *book_qty;       /* lg_eng_book's gathering, per instrument index (0 between) */
    uint32_t *book_idx;       /* the instruments gathered */
    uint8_t *book_in;
    uint32_t n_book;
    lg_paise_t *band_lo, *band_hi; /* per instrument index: circuit band, 0 unknown */
    lg_ns_t *sent_ring;       /* times of the last entry orders (max_orders_minute) */
    uint32_t ring_head, ring_n;
    lg_ns_t greeks_next;      /* the next greeks watch cycle starts at a tick from then */
    /* greeks watch (greeks_watch.c) */
    bool gw_on;               /* a cycle is under way */
    uint32_t gw_cycle;        /* its number (gw_stamp) */
    uint32_t gw_at, gw_n;     /* instruments priced so far, of gw_list */
    uint32_t *gw_list;        /* the book's instruments when the cycle began */
    double *gw_unit;          /* per instrument index: delta, gamma, vega, theta per unit */
    uint32_t *gw_stamp;       /* per instrument index: the cycle gw_unit is from */
    bool loss_half_said;      /* "past half the loss limit" alerted */
    int64_t day;              /* the trading day (IST date, days since 1970), -1 none yet */
    int64_t day_base;         /* cash_total + mark when the day began */
    int64_t loss_day;         /* the day the loss limit last fired the kill switch, -1 */
    /* stops (stop_eng.c) */
    lg_stop_t *stops;         /* max_stops machines */
    uint32_t *stop_group;     /* per stop: the group id using it, 0 free */
    uint32_t *free_stops;
    uint32_t n_free_stops;
    uint32_t *loss_stops;     /* ids of groups with a group stop (max_stops) */
    uint32_t n_loss_stops;
    lg_engine_stats_t stats;
    lg_out_t *out;            /* the step's output (valid during a step) */
    lg_ns_t now;
};

/* pool.c */
int lg_eng_refuse(lg_engine_t *e, int code, uint32_t group, const char *tag, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));
lg_group_t *lg_eng_group_alloc(lg_engine_t *e);
/* The slot for a group with a given id (recovery): free, reusable, or NULL. */
lg_group_t *lg_eng_group_alloc_id(lg_engine_t *e, uint32_t id);
void lg_eng_unschedule(lg_engine_t *e, lg_group_t *g);
lg_ns_t lg_eng_next_wake(const lg_engine_t *e);
lg_group_t *lg_eng_heap_top(lg_engine_t *e);

/* handlers.c */
void lg_eng_touch(lg_engine_t *e, lg_group_t *g);
int lg_eng_on_submit(lg_engine_t *e, const lg_group_spec_t *spec);
/* A group from a spec (it == NULL) or from an intent's unit structure (sized first). */
int lg_eng_submit(lg_engine_t *e, const lg_group_spec_t *spec, const lg_intent_t *it);
/* A validated group: refused unless trading is ACTIVE, sized (an intent), admitted by the
 * risk engine and released; or REJECTED with the reason (returned). */
int lg_eng_admit_group(lg_engine_t *e, lg_group_t *g, const lg_intent_t *it);
/* CREATED -> REJECTED for why; rc is returned (and the step's status). */
int lg_eng_reject_group(lg_engine_t *e, lg_group_t *g, lg_reason_t why, int rc);
int lg_eng_on_ack(lg_engine_t *e, const lg_event_t *ev);
int lg_eng_on_error(lg_engine_t *e, const lg_event_t *ev);
int lg_eng_on_update(lg_engine_t *e, const lg_event_t *ev);
int lg_eng_on_tick(lg_engine_t *e, const lg_event_t *ev);
/* An option's implied volatility (solved from its own last price and the forward of
 * that moment, kept until it ticks again or a minute passes: handlers.c), 0 unknown. */
double lg_eng_iv(lg_engine_t *e, uint32_t idx);
/* The kept volatility still holds (lg_eng_iv would not solve). */
bool lg_eng_iv_held(const lg_engine_t *e, uint32_t idx);
/* Instrument idx has a new last price: its volatility is solved again when next
 * needed, against the forward of this moment. */
void lg_eng_price_seen(lg_engine_t *e, uint32_t idx);
double lg_eng_solve_iv(const lg_engine_t *e, uint32_t idx);
int lg_eng_on_control(lg_engine_t *e, const lg_event_t *ev);
int lg_eng_on_positions(lg_engine_t *e, const lg_event_t *ev);

/* adopt.c */
int lg_eng_on_adopt(lg_engine_t *e, const lg_event_t *ev);
void lg_eng_recovered(lg_engine_t *e);
void lg_eng_decide_some(lg_engine_t *e);

/* engine.c and pool.c */
lg_group_t *lg_eng_group_by_id(lg_engine_t *e, uint32_t id);
const lg_group_t *lg_eng_group_const(const lg_engine_t *e, uint32_t id);
/* The order in table position `slot` (0 .. n_orders-1). */
lg_order_t *lg_eng_order(lg_engine_t *e, const lg_group_t *g, uint32_t slot);
/* The order with this child number, or NULL. */
lg_order_t *lg_eng_order_by_child(lg_engine_t *e, const lg_group_t *g, uint32_t child);
bool lg_eng_room(lg_engine_t *e, uint32_t cmds, uint32_t recs);
void lg_eng_defer(lg_engine_t *e);
void lg_eng_record(lg_engine_t *e, lg_rec_kind_t kind, uint32_t group, const char *tag,
                   int64_t a, int64_t b, int64_t c);
void lg_eng_alert(lg_engine_t *e, lg_alert_level_t lvl, int code, uint32_t group,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
lg_cmd_t *lg_eng_cmd(lg_engine_t *e, lg_cmd_kind_t kind, bool risk_reducing);
void lg_eng_set_tstate(lg_engine_t *e, lg_tstate_t to, lg_reason_t why);
void lg_eng_schedule(lg_engine_t *e, lg_group_t *g);
void lg_eng_query_positions(lg_engine_t *e);

/* group.c */
void lg_group_transition(lg_engine_t *e, lg_group_t *g, lg_gstate_t to, lg_reason_t why);
bool lg_group_finished(const lg_group_t *g);
bool lg_group_in_entry(const lg_group_t *g);
int lg_group_validate(lg_engine_t *e, const lg_group_spec_t *s, lg_group_t *g);
/* One child order as lg_group_send_child places it. */
typedef struct lg_child {
    uint8_t purpose;
    uint16_t attempt;  /* the tag's attempt field (a stop: its order sequence number) */
    int side;
    lg_otype_t otype;
    lg_qty_t qty;      /* <= the instrument's freeze quantity */
    lg_paise_t price, trigger;
    int mprot;
    bool reducing;
} lg_child_t;
/* Exactly one order (no slicing). LG_ENOSPACE (deferred) / LG_EPOOL_FULL. */
int lg_group_send_child(lg_engine_t *e, lg_group_t *g, uint32_t leg, const lg_child_t *c);
/* Sends one order for a leg: slices qty by freeze quantity into children. */
int lg_group_send(lg_engine_t *e, lg_group_t *g, uint32_t leg, uint8_t purpose, int side,
                  lg_qty_t qty, lg_otype_t otype, lg_paise_t price, int mprot, bool reducing);
/* Σ over the leg's orders of a purpose class: committed = filled, or qty if live. */
lg_qty_t lg_group_committed(const lg_engine_t *e, const lg_group_t *g, uint32_t leg, bool entry);
lg_qty_t lg_group_live_unfilled(const lg_engine_t *e, const lg_group_t *g, uint32_t leg, bool entry);
bool lg_group_all_terminal(const lg_engine_t *e, const lg_group_t *g, bool entry, bool reversal);
void lg_group_wake(lg_engine_t *e, lg_group_t *g);

/* entry.c */
void lg_entry_release(lg_engine_t *e, lg_group_t *g);
void lg_entry_progress(lg_engine_t *e, lg_group_t *g);

/* unwind.c */
void lg_unwind_start(lg_engine_t *e, lg_group_t *g, uint8_t purpose, lg_reason_t why);
void lg_unwind_progress(lg_engine_t *e, lg_group_t *g);
void lg_unwind_on_reject(lg_engine_t *e, lg_group_t *g, uint32_t leg);
void lg_unwind_reset_escalation(lg_group_t *g);
/* Sends a cancel for a working, acked order (false: no room, deferred). */
bool lg_eng_cancel(lg_engine_t *e, lg_order_t *o);
lg_ns_t lg_unwind_next_cancel(const lg_engine_t *e, const lg_group_t *g);

/* risk_eng.c (state, triggers) and admit.c (admission, intents) */
int lg_risk_eng_init(lg_engine_t *e);
void lg_risk_eng_free(lg_engine_t *e);
int lg_eng_on_margins(lg_engine_t *e, const lg_event_t *ev);
int lg_eng_on_band(lg_engine_t *e, const lg_event_t *ev);
int lg_eng_on_intent(lg_engine_t *e, const lg_event_t *ev);
/* Sizes a validated group built from an intent at one unit: scales its targets to the
 * units the risk engine allows, or refuses naming the bound. */
int lg_risk_size_group(lg_engine_t *e, lg_group_t *g, const lg_intent_t *it, uint32_t *units,
                       lg_bound_t *bound);
void lg_eng_on_session_lost(lg_engine_t *e);
/* Pre-trade checks and the margin shock of a validated group (its legs set); on
 * LG_OK its reservation and sizing are recorded. units: sized units, 0 explicit. */
int lg_risk_admit(lg_engine_t *e, lg_group_t *g, uint32_t units, lg_bound_t bound);
/* A fill of signed qty units worth value paise in instrument idx (position, cash,
 * mark, and the loss limit). */
void lg_risk_fill(lg_engine_t *e, uint32_t idx, lg_qty_t qty, int64_t value);
/* Cash and mark since the trading day began, paise. */
int64_t lg_risk_day_pnl(const lg_engine_t *e);
/* At each step: a new IST date starts the day's P&L from what the book is worth. */
void lg_risk_day_roll(lg_engine_t *e);
/* The day's P&L is at the daily loss limit (and every position priced). */
bool lg_risk_day_spent(const lg_engine_t *e);
/* RECOVERED: the kill-switch triggers recovery held back (loss limit, margin floor). */
void lg_risk_recheck(lg_engine_t *e);
/* LG_CTL_RESUME: ACTIVE, or REDUCING when the day's loss limit is reached. */
void lg_risk_resume(lg_engine_t *e);
/* Instrument idx's last price moved from old (mark, loss limit, greeks watch). */
void lg_risk_tick(lg_engine_t *e, uint32_t idx, lg_paise_t old);
/* The book's instruments into book_idx[] with their quantities in book_qty[] (held,
 * plus what entering groups have still to fill); the count. lg_eng_gather_clear ends
 * it (every mark cleared). */
uint32_t lg_eng_gather(lg_engine_t *e);
void lg_eng_gather_clear(lg_engine_t *e);
/* greeks_watch.c: the cycle's arrays; one step of the watch (at every tick). */
int lg_watch_init(lg_engine_t *e);
void lg_watch_free(lg_engine_t *e);
void lg_watch_step(lg_engine_t *e);
/* The portfolio's greeks per underlying, with what entering groups have still to fill
 * (fwd: room for LG_GREEKS_MAX_UNDERLYINGS). */
int lg_eng_book(lg_engine_t *e, lg_greeks_book_t *b, lg_greeks_forward_t *fwd,
                lg_greeks_market_t *m, char *err, size_t cap);
/* Adds instrument idx's underlying forward to m (once). */
void lg_eng_forward_add(const lg_engine_t *e, lg_greeks_forward_t *fwd, lg_greeks_market_t *m,
                        uint32_t idx);
uint32_t lg_eng_orders_last_minute(lg_engine_t *e);
/* An entry order left: counted for the order rate. */
void lg_risk_sent(lg_engine_t *e);
/* A group left its entry states: ask for a fresh margin snapshot. */
void lg_risk_entry_done(lg_engine_t *e, lg_group_t *g);
/* A group's slot is reused: whatever it still reserves is freed. */
void lg_risk_release(lg_engine_t *e, lg_group_t *g);
/* Reservations waiting for a margin snapshot: the query asked again when it went
 * unanswered for order_silence_ns (or could not go out); the time to look again. */
lg_ns_t lg_risk_margins_wake(lg_engine_t *e);

/* stop_eng.c */
int lg_stop_eng_init(lg_engine_t *e);
void lg_stop_eng_free(lg_engine_t *e);
int lg_eng_on_stop(lg_engine_t *e, const lg_event_t *ev);

/* basket.c: the broker's basket margin of an intent's unit (live) */
bool lg_basket_wanted(const lg_engine_t *e, const lg_intent_t *it);
/* The group (validated, CREATED) waits for LG_EV_BASKET: the query is emitted. */
int lg_basket_ask(lg_engine_t *e, lg_group_t *g, const lg_intent_t *it);
int lg_eng_on_basket(lg_engine_t *e, const lg_event_t *ev);
/* A waiting group's wake-up: refused past its deadline or once trading is not ACTIVE. */
void lg_basket_touch(lg_engine_t *e, lg_group_t *g);
/* RECOVERED: the queries died with the process that sent them; their groups are refused. */
void lg_basket_recovered(lg_engine_t *e);
/* Tells the group's price stop of its orders and its time; acts on its answers. */
void lg_stop_eng_sync(lg_engine_t *e, lg_group_t *g);
void lg_stop_eng_tick(lg_engine_t *e, uint32_t idx);
/* Cancels the price stop's working order (the group's exit takes over once it ends)
 * and drops its group stop. */
void lg_stop_eng_disarm(lg_engine_t *e, lg_group_t *g);
bool lg_stop_eng_working(lg_engine_t *e, const lg_group_t *g);
void lg_stop_eng_release(lg_engine_t *e, lg_group_t *g);
/* A stop order the armed stop placed (false for one no stop knows: an orphan, adopted
 * after a crash lost the step that armed or moved its stop; the unwind cancels those). */
bool lg_stop_eng_owns(const lg_engine_t *e, const lg_group_t *g, const lg_order_t *o);
/* RECOVERED: a group whose one working orphan stop order can protect what it holds has
 * it adopted by a stop machine (re-armed, a warning naming it); otherwise its orphans
 * are cancelled (and its stop, whose picture the crash made wrong, disarmed), with a
 * critical alert naming why and to arm it again. */
void lg_stop_eng_recovered(lg_engine_t *e, lg_group_t *g);

/* exposure.c */
lg_qty_t lg_exposure_naked(const lg_group_t *g);
void lg_exposure_evaluate(lg_engine_t *e, lg_group_t *g);

#endif
