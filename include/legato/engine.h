/*
 * engine.h — the functional core: one deterministic state machine.
 *
 *     lg_engine_step(engine, &event, now_ns, &out)
 *
 * No I/O, no clock reads, no randomness, no threads, no allocation after
 * lg_engine_create. The same engine runs in the daemon, in the deterministic
 * simulation and in replay, and all three give identical decisions for identical
 * events. Group lifecycle and its transition table: docs/STATE_MACHINES.md.
 */
#ifndef LEGATO_ENGINE_H
#define LEGATO_ENGINE_H

#include "legato/event.h"
#include "legato/instrument.h"
#include "legato/risk.h"
#include "legato/stop.h"

typedef enum lg_gstate {
    LG_GS_CREATED = 0,
    LG_GS_VALIDATED,
    LG_GS_SUBMITTED,
    LG_GS_PARTIALLY_FILLED,
    LG_GS_PARTIALLY_EXPOSED,
    LG_GS_FILLED,
    LG_GS_HEDGED,
    LG_GS_FAILED,
    LG_GS_EMERGENCY_HEDGED,
    LG_GS_CLOSING,
    LG_GS_CLOSED,
    LG_GS_REJECTED,
    LG_GS__COUNT
} lg_gstate_t;


/* Why a group or the trading state moved (journaled with the transition). */
typedef enum lg_reason {
    LG_WHY_NONE = 0,
    LG_WHY_SUBMIT,        /* group accepted / orders released */
    LG_WHY_INVALID,       /* specification failed validation */
    LG_WHY_NOT_ACTIVE,    /* trading not ACTIVE */
    LG_WHY_FILL,          /* a fill changed the picture */
    LG_WHY_REJECT,        /* an order of the group was rejected */
    LG_WHY_TIMEOUT,       /* entry deadline passed */
    LG_WHY_EXPOSURE,      /* interim exposure breached its limit */
    LG_WHY_KILL,          /* kill switch / HALTED */
    LG_WHY_REDUCE,        /* REDUCING: entries stopped */
    LG_WHY_EXIT,          /* exit requested */
    LG_WHY_FLAT,          /* everything reversed and confirmed */
    LG_WHY_SHRUNK,        /* a smaller complete structure kept */
    LG_WHY_POSITIONS,     /* broker positions agree */
    LG_WHY_LATE_FILL,     /* a fill arrived after the group finished */
    LG_WHY_EMERGENCY_FAIL,/* emergency orders failed repeatedly */
    LG_WHY_RESUME,        /* a person resumed trading */
    LG_WHY_RECOVERED,     /* recovery: rebuilt from the broker's order book, or an
                             adopted order showed a decision the journal lost */
    LG_WHY_LOSS_LIMIT,    /* the day's loss reached the daily loss limit */
    LG_WHY_MARGIN,        /* available margin fell below the floor */
    LG_WHY_SESSION,       /* the broker session was lost */
    LG_WHY_GREEKS,        /* a portfolio greek passed its limit */
    LG_WHY_RISK,          /* the risk engine refused the group (limits, margin shock) */
    LG_WHY_STOP,          /* a stop-loss exits the group */
    LG_WHY__COUNT
} lg_reason_t;

typedef struct lg_engine_config {
    uint32_t max_groups;          /* group pool (finished groups are kept until reused) */
    uint32_t max_orders;          /* order pool */
    int8_t policy;                /* lg_policy_t default */
    int8_t on_incomplete;         /* lg_incomplete_t default */
    lg_ns_t entry_timeout_ns;     /* a group not FILLED by then FAILS */
    lg_ns_t naked_grace_ns;       /* uncovered short tolerated this long (0: act now) */
    double delta_limit_frac;      /* interim |Δheld − Δfinished| limit, × largest leg qty */
    lg_ns_t delta_grace_ns;       /* delta breach tolerated this long */
    double default_iv;            /* volatility for deltas before market data */
    lg_ns_t clock_offset_ns;      /* unix ns = now + offset (for time to expiry) */
    uint32_t ratchet_slices;      /* risk is released in about this many slices */
    int16_t entry_mprot_pct;      /* market protection for entry MARKET orders */
    int16_t emergency_mprot_pct;  /* first emergency protection; doubles per retry */
    int16_t max_mprot_pct;        /* widest protection tried */
    uint16_t emergency_max_failures; /* rejections before alert + HALT */
    lg_ns_t emergency_retry_ns;   /* retry interval once escalated */
    lg_ns_t reversal_fill_ns;     /* a reversal not filled by then is cancelled and
                                     sent again with wider protection */
    lg_ns_t order_silence_ns;     /* query an order silent this long */
    lg_ns_t positions_check_ns;   /* retry interval of the HEDGED positions check */
    uint16_t positions_checks;    /* checks before a mismatch is reported */
    lg_ns_t finished_retain_ns;   /* keep finished groups this long before reuse (a group
                                     REJECTED before sending anything: until its slot
                                     comes round again) */
    int8_t risk_off;              /* 1: no margin, greeks or pre-trade limits (tests of the
                                     lifecycle alone; the daemon refuses it) */
    lg_ns_t greeks_watch_ns;      /* portfolio greeks re-checked on ticks at most this often */
    lg_risk_config_t risk;        /* sizing, limits, margin shock, kill triggers (risk.h) */
    uint32_t max_stops;           /* price stops and group stops armed at once */
    lg_stop_config_t stop;        /* the hybrid stop's timings and protection (stop.h) */
} lg_engine_config_t;

void lg_engine_config_default(lg_engine_config_t *c);

typedef struct lg_engine lg_engine_t;

/* Allocates every pool. The instrument master must outlive the engine. */
int lg_engine_create(const lg_engine_config_t *cfg, const lg_instruments_t *master,
                     lg_engine_t **out);
void lg_engine_destroy(lg_engine_t *e);

/* One event in, its consequences out. Returns out->status (LG_OK or the error the
 * event caused, which is also alerted and journaled). Never leaves state half
 * applied: a bad event is refused whole. */
int lg_engine_step(lg_engine_t *e, const lg_event_t *ev, lg_ns_t now, lg_out_t *out);

/* ---- read-only views (tests, invariants, API) ----------------------------------- */

typedef struct lg_leg_view {
    uint32_t token;
    int8_t side;
    int8_t cover;          /* protection leg index for shorts, -1 otherwise */
    bool protection;       /* covers at least one short */
    lg_qty_t target;       /* structure quantity (after a shrink: what is kept) */
    lg_qty_t entry_filled; /* filled by entry orders */
    lg_qty_t entry_committed; /* entry quantity that is filled or may still fill */
    lg_qty_t rev_filled;   /* reversed by emergency / exit orders */
    lg_qty_t rev_committed; /* reversal quantity filled or still able to fill */
    lg_qty_t held;         /* entry_filled − rev_filled (>= 0) */
} lg_leg_view_t;

typedef struct lg_group_view {
    uint32_t id;
    lg_gstate_t state;
    lg_policy_t policy;
    lg_incomplete_t on_incomplete;
    uint32_t n_legs;
    lg_leg_view_t legs[LG_MAX_LEGS];
    uint32_t n_orders;
    lg_qty_t naked;            /* uncovered short units now */
    int64_t cash;              /* Σ sells − Σ buys, paise·units */
    lg_ns_t created_ns, finished_ns;
    int64_t naked_lot_ns;      /* ∫ uncovered short lots dt */
    uint32_t emergency_orders; /* reversal orders sent */
    uint32_t n_states;         /* the path of states, oldest first */
    uint8_t path[32];
} lg_group_view_t;

int lg_engine_group(const lg_engine_t *e, uint32_t id, lg_group_view_t *v);
/* Just the state (cheap): LG_EUNKNOWN_GROUP when the pool does not hold the group. */
int lg_engine_group_state(const lg_engine_t *e, uint32_t id, lg_gstate_t *state);
/* Order of a group by child index (0 .. n_orders-1); NULL past the end. */
const lg_order_t *lg_engine_group_order(const lg_engine_t *e, uint32_t id, uint32_t child);
lg_tstate_t lg_engine_trading_state(const lg_engine_t *e);
/* Orders a group's table holds at most (lg_engine_group_order's child bound). */
#define LG_ENGINE_GROUP_ORDERS 128

/* The instrument master the engine was created with. */
const lg_instruments_t *lg_engine_master(const lg_engine_t *e);
/* The configuration the engine was created with. */
const lg_engine_config_t *lg_engine_config(const lg_engine_t *e);
/* The order with this client tag, or NULL (not legato's, or unknown to the engine). */
const lg_order_t *lg_engine_order_by_tag(const lg_engine_t *e, const char *tag);
/* Between LG_CTL_RECOVER_BEGIN and LG_CTL_RECOVERED: ADOPT is taken only then; updates,
 * errors, positions and controls are applied as bookkeeping and groups decide nothing
 * (no timer work, no new group, no exit) until RECOVERED. */
bool lg_engine_recovering(const lg_engine_t *e);
/* The last price (paise, 0 unknown) and implied volatility (0 unknown) the engine has
 * for an instrument — the volatility it keeps from the option's own last price while
 * that holds (a move of the future alone keeps it), else solved now; LG_EINSTRUMENT
 * for a token outside the master. */
int lg_engine_price(const lg_engine_t *e, uint32_t token, lg_paise_t *ltp, double *iv);
/* Net units the engine believes the account holds in the instrument. */
lg_qty_t lg_engine_position(const lg_engine_t *e, uint32_t token);
/* An instrument's P&L since the engine started: the cash of its fills (sells − buys)
 * plus its position at the last price, paise. LG_EINSTRUMENT outside the master. */
int lg_engine_position_pnl(const lg_engine_t *e, uint32_t token, lg_paise_t *pnl);
/* Ids of groups in the pool, in id order, up to max. */
uint32_t lg_engine_groups(const lg_engine_t *e, uint32_t *ids, uint32_t max);
/* A hash of every group, order and position: equal digests, equal states. */
uint64_t lg_engine_digest(const lg_engine_t *e);

typedef struct lg_engine_stats {
    uint64_t steps, errors, cmds, deferred;
    uint64_t groups_submitted, groups_rejected, emergencies, halts;
    uint64_t intents, sized, risk_refused;
    uint64_t baskets;         /* broker basket margins asked (intents waiting for one) */
    uint32_t groups_live, orders_in_use;
    uint32_t instruments, instruments_priced; /* the master's, and those with a price yet */
    uint32_t instruments_banded; /* those with a circuit band (validation checks prices in it) */
} lg_engine_stats_t;
void lg_engine_stats(const lg_engine_t *e, lg_engine_stats_t *s);

/* The risk engine's picture: margin, reservations, the day's P&L. */
typedef struct lg_risk_view {
    bool margins_known;
    lg_paise_t available;  /* the last margin snapshot */
    lg_paise_t reserved;   /* worst-state needs of groups not yet in a snapshot */
    int64_t cash;          /* Σ sells − buys of every fill, paise */
    int64_t mark;          /* Σ position × last price, paise */
    int64_t day_pnl;       /* cash + mark, less their value when the IST date changed */
    uint32_t unpriced;     /* held instruments without a price (P&L incomplete) */
    uint32_t orders_last_minute;
} lg_risk_view_t;
void lg_engine_risk(const lg_engine_t *e, lg_risk_view_t *v);
/* How a group was sized: units (0 for an explicit group), the deciding bound and the
 * need of its worst partial-fill state. */
typedef struct lg_sizing_view {
    uint32_t units;
    lg_bound_t bound;
    lg_paise_t worst_need;
} lg_sizing_view_t;
int lg_engine_sizing(const lg_engine_t *e, uint32_t group, lg_sizing_view_t *v);

const char *lg_gstate_name(lg_gstate_t s);
const char *lg_tstate_name(lg_tstate_t s);
const char *lg_reason_name(lg_reason_t r);
const char *lg_policy_name(lg_policy_t p);
int lg_policy_parse(const char *s, lg_policy_t *p);

#endif
