/*
 * stop.h — the hybrid stop-loss of one position (a single holding, or one leg of a
 * group): a pure state machine held by value, which the engine embeds, feeds with
 * ticks, order updates and the time, and which answers with the actions to perform.
 *
 *   SL-LIMIT first; rejected -> protected MARKET; the price past the trigger by more
 *   than the gap while the SL is still working, or the SL not complete timeout_ns after
 *   the trigger was crossed -> cancel, and once the cancel is confirmed (the SL is in a
 *   final state, its filled quantity final) a protected MARKET for exactly the rest.
 *
 * The stop never places, cancels or journals anything itself. Each call fills an
 * lg_stop_out_t with actions (place an SL order, place a MARKET order, cancel an order,
 * escalate) and the time it next wants lg_stop_on_timer. Its orders are named by a
 * sequence number the stop assigns (0, 1, 2 ... continuing across re-arms of the same
 * struct); the engine maps each to its child order and client tag and reports that
 * order's updates back under the same number.
 *
 * At most one of the stop's orders is working at any moment, and each is placed for
 * exactly what is still held, so filled + still-able-to-fill never exceeds qty and an
 * exit never flips the position's sign (DESIGN §10 invariant 6). Updates are applied
 * idempotently: filled quantity never decreases, a final state absorbs everything but
 * a late fill, duplicates and reordering change nothing.
 *
 * Every call refuses bad input whole (the stop is left exactly as it was, out holds no
 * action): LG_ESTATE for a stop never armed, LG_EINVAL for time running backwards,
 * LG_EUNKNOWN_ORDER for a sequence number this arming did not place, LG_EOVERFILL for
 * a fill beyond the order's quantity, LG_ESTATUS for a state outside lg_ostate_t,
 * LG_EQTY / LG_EPRICE for negative quantities and impossible prices.
 *
 * States, the table of transitions and what each does: src/core/stop.c and
 * docs/STOPS.md.
 */
#ifndef LEGATO_STOP_H
#define LEGATO_STOP_H

#include "legato/base.h"
#include "legato/order.h"

/* Orders one arming may place: the SL, its re-placements and every market attempt.
 * A stop that needs more escalates (LG_STOP_WHY_NO_SLOTS). */
#define LG_STOP_MAX_ORDERS 16
/* Actions one call can return (each call returns at most one today; room to spare). */
#define LG_STOP_ACTS_MAX 4

typedef enum lg_stop_state {
    LG_STOP_IDLE = 0,          /* never armed: a zeroed lg_stop_t */
    LG_STOP_ARMED,             /* the SL-LIMIT order is working */
    LG_STOP_SL_CANCELLING,     /* gap or timeout: the SL's cancel is out, its end awaited */
    LG_STOP_MARKET,            /* a protected MARKET order for the rest is working */
    LG_STOP_MARKET_CANCELLING, /* that market order is being cancelled (stale, late fill) */
    LG_STOP_DISARMING,         /* lg_stop_disarm: the working order's cancel is out */
    LG_STOP_DONE,              /* flat: everything held has been exited */
    LG_STOP_FAILED,            /* escalated: nothing working, the rest still held */
    LG_STOP_DISARMED,          /* disarmed: nothing working, the rest is the engine's */
    LG_STOP__COUNT
} lg_stop_state_t;

/* Why an order was placed or cancelled, or why the stop escalated. */
typedef enum lg_stop_why {
    LG_STOP_WHY_ARM = 0,          /* the first SL-LIMIT */
    LG_STOP_WHY_SL_REJECTED,      /* the SL-LIMIT was rejected */
    LG_STOP_WHY_SL_CANCELLED,     /* the exchange cancelled the SL (nobody asked) */
    LG_STOP_WHY_GAP,              /* the price passed the trigger by more than the gap */
    LG_STOP_WHY_TIMEOUT,          /* triggered, not complete within timeout_ns */
    LG_STOP_WHY_MARKET_REJECTED,  /* a market order was rejected: wider protection */
    LG_STOP_WHY_MARKET_CANCELLED, /* the exchange cancelled a market order with a rest */
    LG_STOP_WHY_MARKET_STALE,     /* a market order not complete within market_fill_ns */
    LG_STOP_WHY_LATE_FILL,        /* a fill on a finished order: the working one is too big */
    LG_STOP_WHY_DISARM,           /* lg_stop_disarm */
    LG_STOP_WHY_RETRY,            /* lg_stop_retry after FAILED */
    LG_STOP_WHY_OVER_EXIT,        /* late fills exited more than was held (escalation) */
    LG_STOP_WHY_NO_SLOTS,         /* LG_STOP_MAX_ORDERS used up (escalation) */
    LG_STOP_WHY_ADOPT,            /* lg_stop_adopt: a working SL taken over (recovery) */
    LG_STOP_WHY__COUNT
} lg_stop_why_t;

typedef enum lg_stop_act_kind {
    LG_STOP_ACT_PLACE_SL = 1, /* place order seq: SL (stop-limit), qty, trigger, limit */
    LG_STOP_ACT_PLACE_MARKET, /* place order seq: MARKET, qty, market protection mprot_pct */
    LG_STOP_ACT_CANCEL,       /* cancel order seq (again, if an earlier cancel got no answer) */
    LG_STOP_ACT_ESCALATE,     /* the stop FAILED (why): qty units are still held, unprotected */
} lg_stop_act_kind_t;

typedef struct lg_stop_act {
    lg_stop_act_kind_t kind;
    lg_stop_why_t why;
    uint32_t seq;            /* the stop's number for the order (PLACE_*, CANCEL) */
    int8_t side;             /* order side, +1 buy / -1 sell: always minus the position's */
    int16_t mprot_pct;       /* PLACE_MARKET: market protection, percent */
    lg_qty_t qty;            /* PLACE_*: units; ESCALATE: units still held */
    lg_paise_t trigger;      /* PLACE_SL */
    lg_paise_t limit;        /* PLACE_SL */
} lg_stop_act_t;

/* One call's answer. Every call overwrites it: n = 0 and wake_at recomputed. */
typedef struct lg_stop_out {
    lg_stop_act_t acts[LG_STOP_ACTS_MAX];
    uint32_t n;
    lg_ns_t wake_at; /* call lg_stop_on_timer at (or after) this time; INT64_MAX: never */
} lg_stop_out_t;

/* Policy, shared by every stop of an engine. */
typedef struct lg_stop_config {
    lg_ns_t timeout_ns;      /* SL not complete this long after the trigger: go market (2 s) */
    lg_ns_t cancel_retry_ns; /* a cancel without a final state this long: send it again (1 s) */
    lg_ns_t market_fill_ns;  /* a market order not complete this long: cancel, send the rest
                                with wider protection (2 s) */
    int16_t mprot_pct;       /* first market protection, percent (3) */
    int16_t max_mprot_pct;   /* protection doubles per retry up to this (20) */
    uint8_t max_rejects;     /* market rejections since arming before FAILED (3) */
} lg_stop_config_t;

/* The position protected and its prices. */
typedef struct lg_stop_spec {
    int8_t side;        /* the position: +1 long (the exit sells), -1 short (it buys) */
    lg_qty_t qty;       /* units held, > 0 */
    lg_paise_t trigger; /* > 0 */
    lg_paise_t limit;   /* > 0; a long's at or below the trigger, a short's at or above */
    lg_paise_t gap;     /* >= 0, paise: the SL is abandoned for a market order once the
                           price is beyond the trigger by more than this */
} lg_stop_spec_t;

/* One order the stop placed, as far as it has been told. */
typedef struct lg_stop_order {
    uint32_t seq;
    uint8_t otype;      /* LG_OT_SL or LG_OT_MARKET */
    uint8_t state;      /* lg_ostate_t: the furthest state reported (INTENT until then) */
    uint8_t why;        /* lg_stop_why_t it was placed for */
    uint8_t cancel_why; /* lg_stop_why_t of its cancel, when cancel_sent */
    bool cancel_sent;
    int16_t mprot_pct;  /* MARKET */
    lg_qty_t qty;
    lg_qty_t filled;       /* cumulative, never decreases */
    lg_paise_t avg_price;  /* broker's average fill price at `filled` */
    lg_ns_t placed_ns, cancel_ns; /* when the placement / the last cancel was asked for */
} lg_stop_order_t;

/* The machine. Treat as opaque; read it through the functions below. */
typedef struct lg_stop {
    lg_stop_config_t cfg;
    lg_stop_spec_t spec;
    uint8_t state;      /* lg_stop_state_t */
    uint8_t why;        /* lg_stop_why_t of the last transition */
    uint8_t rejects;    /* market rejections since arming or lg_stop_retry */
    uint8_t widen;      /* protection doublings so far */
    uint8_t n_orders;
    bool triggered;     /* a tick at/through the trigger, or an SL fill, was seen */
    bool late_fill;     /* a fill arrived on an order already final */
    bool over_exit;     /* escalated because late fills exited more than qty */
    lg_ns_t triggered_ns;
    lg_ns_t now;        /* the latest time handed in */
    lg_paise_t ltp;     /* the latest price, 0 before the first tick */
    uint32_t first_seq; /* seq of orders[0] */
    uint32_t next_seq;
    lg_stop_order_t orders[LG_STOP_MAX_ORDERS];
} lg_stop_t;

void lg_stop_config_default(lg_stop_config_t *c);
/* LG_EINVAL for a non-positive interval, protection outside 1..100 or max below the
 * first, max_rejects 0 or not below LG_STOP_MAX_ORDERS. */
int lg_stop_config_check(const lg_stop_config_t *c);

/* Arms s (IDLE, or finished: DONE, FAILED, DISARMED) for spec and asks for the
 * SL-LIMIT order for the whole quantity. Sequence numbers continue from the previous
 * arming of the same struct. LG_ESTATE if s still has an order working; LG_EINVAL,
 * LG_EQTY, LG_EPRICE for a bad config or spec. */
int lg_stop_arm(lg_stop_t *s, const lg_stop_config_t *cfg, const lg_stop_spec_t *spec,
                lg_ns_t now, lg_stop_out_t *out);
/* A working SL order found at the broker that no stop owns (recovery: a crash lost the
 * step that armed it), as the broker reports it. */
typedef struct lg_stop_found {
    uint32_t seq;          /* its number (the tag's attempt field) */
    lg_ostate_t state;     /* not final */
    lg_qty_t filled;       /* cumulative, at most spec.qty */
    lg_paise_t avg_price;  /* of those fills */
} lg_stop_found_t;

/* Arms s (IDLE, or finished) by adopting the found order as its SL: ARMED, that order
 * working, exactly as if lg_stop_arm had placed it. spec.qty is the order's quantity
 * (what it protects), spec.trigger and spec.limit its prices; what it filled counts as
 * exited. The machine's clock starts now: a fill so far, an OPEN state (the exchange
 * triggered it) or ltp (> 0: the last price; 0 none) at or through the trigger count
 * as triggered now, and a price already past the gap cancels the SL at once. Its later
 * orders are numbered from found->seq + 1. LG_ESTATE if s has an order working;
 * LG_EINVAL, LG_EQTY, LG_EPRICE for a bad config or spec; LG_ESTATUS for a final or
 * out-of-range state; LG_EOVERFILL, LG_EPRICE for a fill that does not fit the order. */
int lg_stop_adopt(lg_stop_t *s, const lg_stop_config_t *cfg, const lg_stop_spec_t *spec,
                  const lg_stop_found_t *found, lg_paise_t ltp, lg_ns_t now,
                  lg_stop_out_t *out);
/* A fresh machine (nothing working, DISARMED) whose next arming numbers its orders
 * from next_seq: the engine keeps a group's numbers unique across the stop slots it
 * uses. */
void lg_stop_reset(lg_stop_t *s, uint32_t next_seq);
/* A trade price of the instrument (LG_EPRICE if <= 0). */
int lg_stop_on_tick(lg_stop_t *s, lg_paise_t ltp, lg_ns_t now, lg_stop_out_t *out);
/* What the broker reports of order seq: its state, the cumulative filled quantity and
 * the average price of those fills. A final state's filled quantity is taken as final;
 * a fill that arrives later is accepted (it happened) and the working order, now too
 * big, is cancelled and replaced by the rest. */
int lg_stop_on_order(lg_stop_t *s, uint32_t seq, lg_ostate_t state, lg_qty_t filled,
                     lg_paise_t avg_price, lg_ns_t now, lg_stop_out_t *out);
/* The time has come (early or repeated calls are harmless). */
int lg_stop_on_timer(lg_stop_t *s, lg_ns_t now, lg_stop_out_t *out);
/* Stops protecting: cancels the working order; DISARMED once it is final (DONE if it
 * filled everything). The engine takes over what is still held only then. */
int lg_stop_disarm(lg_stop_t *s, lg_ns_t now, lg_stop_out_t *out);
/* FAILED after rejections: tries the market again (protection stays as wide as it
 * got, the rejection count restarts). LG_ESTATE in any other state or after an
 * over-exit; LG_EPOOL_FULL when no order slot is left. */
int lg_stop_retry(lg_stop_t *s, lg_ns_t now, lg_stop_out_t *out);

lg_stop_state_t lg_stop_state(const lg_stop_t *s);
/* Working: an order may still fill (ARMED .. DISARMING). */
bool lg_stop_working(const lg_stop_t *s);
/* Units exited so far (Σ filled of every order of this arming). */
lg_qty_t lg_stop_filled(const lg_stop_t *s);
/* Units still held: qty - filled (negative only if late fills over-exited). */
lg_qty_t lg_stop_held(const lg_stop_t *s);
/* Filled plus what working orders may still fill; <= qty unless a late fill came. */
lg_qty_t lg_stop_committed(const lg_stop_t *s);
/* Σ filled × average price of every order, paise·units. */
int64_t lg_stop_exit_value(const lg_stop_t *s);
/* Order seq of this arming, or NULL. */
const lg_stop_order_t *lg_stop_order(const lg_stop_t *s, uint32_t seq);
/* When the stop wants lg_stop_on_timer next; INT64_MAX: never. */
lg_ns_t lg_stop_wake(const lg_stop_t *s);
const char *lg_stop_state_name(lg_stop_state_t st);
const char *lg_stop_why_name(lg_stop_why_t why);

#endif
