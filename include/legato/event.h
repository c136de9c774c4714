/*
 * event.h — what goes into the engine (events) and what comes out of it (commands,
 * journal records, alerts, the next wake-up time). These are the only types that
 * cross the boundary between the pure core and the world: the daemon, the Kite
 * adapter, the exchange simulator and the replayer all speak them.
 *
 * Events are plain values (a group spec travels inside its event) so that a journal
 * of events replays exactly; the one exception is a position snapshot, whose rows
 * the caller owns for the duration of the step.
 */
#ifndef LEGATO_EVENT_H
#define LEGATO_EVENT_H

#include "legato/base.h"
#include "legato/order.h"

/* ---- group specification ------------------------------------------------------ */

#define LG_MAX_LEGS 8

typedef enum lg_policy {
    LG_POLICY_RATCHET = 0,          /* protection first, risk released as it fills */
    LG_POLICY_PROTECTION_FIRST = 1, /* all protection filled, then all risk */
    LG_POLICY_NAIVE = 2,            /* all legs at once (for comparison only) */
} lg_policy_t;

typedef enum lg_incomplete {
    LG_INCOMPLETE_FLAT = 0,   /* a failed group is reversed to nothing */
    LG_INCOMPLETE_SHRINK = 1, /* keep the largest complete structure per pairing */
} lg_incomplete_t;

typedef struct lg_leg_spec {
    uint32_t token;
    int8_t side;            /* +1 buy, -1 sell */
    int8_t covered_by;      /* shorts: index of the protection leg, -1 = default pairing */
    lg_qty_t qty;           /* units, whole lots */
    lg_paise_t limit_price; /* 0: protected MARKET */
} lg_leg_spec_t;

typedef struct lg_group_spec {
    uint32_t n_legs;
    lg_leg_spec_t legs[LG_MAX_LEGS];
    int8_t policy;           /* lg_policy_t, -1 = engine default */
    int8_t on_incomplete;    /* lg_incomplete_t, -1 = engine default */
    lg_ns_t entry_timeout_ns; /* 0 = engine default */
} lg_group_spec_t;

/* An intent: what a strategy wants, with no quantity. One unit of the structure is
 * every leg's ratio in lots; the risk engine decides how many units (risk.h). */
typedef struct lg_intent_leg {
    uint32_t token;
    int8_t side;            /* +1 buy, -1 sell (before direction) */
    int8_t covered_by;      /* shorts: index of the protection leg, -1 = default pairing */
    uint16_t ratio;         /* lots per unit, >= 1 */
    lg_paise_t limit_price; /* 0: protected MARKET */
} lg_intent_leg_t;

typedef struct lg_intent {
    uint32_t n_legs;
    lg_intent_leg_t legs[LG_MAX_LEGS];
    int8_t direction;        /* +1 the structure as given, -1 every side reversed */
    int8_t policy;           /* lg_policy_t, -1 = engine default */
    int8_t on_incomplete;    /* lg_incomplete_t, -1 = engine default */
    double confidence;       /* (0, 1]: scales the size */
    lg_paise_t decision_price; /* Σ side·direction·ratio·price the strategy decided on:
                                * the structure as traded, + a debit, − a credit */
    lg_paise_t broker_margin;  /* live: the broker's basket margin of one unit, 0 unknown */
    lg_ns_t entry_timeout_ns;  /* 0 = engine default */
} lg_intent_t;

/* ---- events in ------------------------------------------------------------------ */

typedef enum lg_ev_kind {
    LG_EV_NONE = 0,
    LG_EV_GROUP_SUBMIT,  /* a new group to execute */
    LG_EV_ORDER_ACK,     /* the broker accepted a place request: order_id */
    LG_EV_ORDER_ERROR,   /* a place/cancel request failed: definitive or unknown */
    LG_EV_ORDER_UPDATE,  /* status / fill of an order (postback, ticker, order book) */
    LG_EV_TICK,          /* market data for one instrument */
    LG_EV_TIMER,         /* the wake-up the engine asked for */
    LG_EV_CONTROL,       /* kill, resume, exit a group */
    LG_EV_POSITIONS,     /* the broker's net positions */
    LG_EV_CONNECTION,    /* broker connection up / down */
    LG_EV_ADOPT,         /* recovery: an order the broker has and the engine does not */
    LG_EV_INTENT,        /* a strategy's intent: the risk engine sizes it into a group */
    LG_EV_MARGINS,       /* the broker's margin snapshot (available funds) */
    LG_EV_BAND,          /* an instrument's circuit band (from a quote) */
    LG_EV_STOP,          /* arm (or disarm) a stop-loss on a live group */
    LG_EV_BASKET,        /* the broker's basket margin of one unit of a waiting intent */
    LG_EV__COUNT
} lg_ev_kind_t;

typedef enum lg_control_op {
    LG_CTL_KILL = 1,   /* cancel everything, flatten every group, HALTED */
    LG_CTL_RESUME,     /* HALTED/REDUCING -> ACTIVE (a person decided); REDUCING when the
                        * day's loss limit is reached, until the next trading day */
    LG_CTL_EXIT_GROUP, /* close one live group in unwind order */
    LG_CTL_REDUCE,     /* ACTIVE -> REDUCING: only risk-reducing orders */
    LG_CTL_RECOVER_BEGIN, /* recovery: decisions wait while the broker's orders are adopted */
    LG_CTL_RECOVERED,  /* recovery: every broker order is known; groups decide again */
} lg_control_op_t;

/* One order from the broker's order book, as recovery hands it to the engine
 * (LG_EV_ADOPT): its tag names group, leg, child and purpose; the rest is what the
 * broker says of it. u.quantity is the order's quantity. */
typedef struct lg_adopt {
    lg_order_update_t u;
    uint32_t token;
    int8_t side;         /* +1 buy, -1 sell */
    uint8_t otype;       /* lg_otype_t */
    lg_paise_t price, trigger;
} lg_adopt_t;

typedef struct lg_position_row {
    uint32_t token;
    lg_qty_t qty; /* net units, + long, - short */
} lg_position_row_t;

typedef struct lg_event {
    lg_ev_kind_t kind;
    union {
        lg_group_spec_t submit;
        struct {
            char tag[LG_TAG_MAX + 1];
            char broker_id[LG_BROKER_ID_MAX];
        } ack;
        struct {
            char tag[LG_TAG_MAX + 1];
            bool definitive; /* false: the outcome is unknown */
            bool is_cancel;  /* the failed request was a cancel */
            bool is_lookup;  /* a look-up by tag (QUERY_ORDER) found no such order */
            int32_t http_status;
            char message[LG_STATUS_MSG_MAX];
        } error;
        lg_order_update_t update;
        lg_adopt_t adopt;
        struct {
            uint32_t token;
            lg_paise_t ltp, bid, ask;
        } tick;
        struct {
            int32_t op; /* lg_control_op_t */
            uint32_t group;
        } control;
        struct {
            const lg_position_row_t *rows; /* owned by the caller */
            uint32_t n;
        } positions;
        struct {
            bool up;
            bool session_lost; /* the broker refused the session (token expired or revoked) */
        } connection;
        lg_intent_t intent;
        struct {
            lg_paise_t available; /* margin available for new positions (Kite: equity net) */
            lg_paise_t used;      /* margin blocked by positions and orders (utilised debits) */
        } margins;
        struct {
            uint32_t token;
            lg_paise_t lo, hi; /* lower and upper circuit limits, 0 < lo <= hi */
        } band;
        struct {
            uint32_t group;
            lg_paise_t trigger, limit, gap; /* a price stop (one-leg groups): the hybrid
                                               SL-LIMIT stop of stop.h; 0: none */
            lg_paise_t max_loss; /* a group stop: exit in unwind order once the group's
                                    P&L is at or below −max_loss paise; 0: none */
        } stop;                  /* both 0: disarm */
        struct {
            uint32_t group;             /* the intent's group, waiting in CREATED */
            lg_ns_t asked;              /* the query's asked, echoed: which query this answers */
            bool ok;                    /* false: the broker gave none (message says why) */
            lg_paise_t initial, final;  /* Σ of the legs alone; with the spread benefit */
            char message[LG_STATUS_MSG_MAX];
        } basket;                       /* the answer to LG_CMD_QUERY_BASKET */
    } u;
} lg_event_t;

/* ---- outputs ------------------------------------------------------------------------ */

typedef enum lg_cmd_kind {
    LG_CMD_PLACE = 1,
    LG_CMD_CANCEL,
    LG_CMD_QUERY_ORDER,     /* look an order up by tag (UNKNOWN or silent orders) */
    LG_CMD_QUERY_POSITIONS, /* ask for net positions */
    LG_CMD_QUERY_MARGINS,   /* ask for the margin snapshot (LG_EV_MARGINS) */
    LG_CMD_MODIFY,          /* change an open order (broker_id, otype, qty, price, trigger,
                               mprot_pct): the shell's, sent through the broker port, which
                               keeps Kite's 25 modifications an order; the engine does not
                               emit it and the journal does not record it */
    LG_CMD_QUERY_BASKET,    /* the broker's basket margin of one unit of group's structure
                               (basket[0..n_basket)): answered by LG_EV_BASKET */
} lg_cmd_kind_t;

typedef struct lg_basket_leg {
    uint32_t token;
    int32_t qty; /* signed units of one structure unit: + buy, − sell */
} lg_basket_leg_t;

typedef struct lg_cmd {
    lg_cmd_kind_t kind;
    bool risk_reducing;  /* may be released before the step's journal commit */
    char tag[LG_TAG_MAX + 1];
    char broker_id[LG_BROKER_ID_MAX]; /* CANCEL: the broker's id; "" if not yet acked */
    uint32_t token;
    int8_t side;
    uint8_t otype;       /* lg_otype_t */
    int16_t mprot_pct;   /* market protection percent for MARKET / SL-M */
    lg_qty_t qty;
    lg_paise_t price, trigger;
    uint32_t group;      /* QUERY_BASKET: the group waiting for the answer */
    lg_ns_t asked;       /* QUERY_BASKET: the asking step's time, echoed by the answer */
    uint32_t n_basket;
    lg_basket_leg_t basket[LG_MAX_LEGS]; /* QUERY_BASKET: the legs of one unit */
} lg_cmd_t;

typedef enum lg_rec_kind {
    LG_REC_GROUP_STATE = 1, /* a: from, b: to, c: reason (lg_reason_t) */
    LG_REC_ORDER_INTENT,    /* tag; a: token, b: signed qty, c: price */
    LG_REC_ORDER_STATE,     /* tag; a: from, b: to, c: filled */
    LG_REC_FILL,            /* tag; a: token, b: signed fill qty, c: value paise·units */
    LG_REC_TRADING_STATE,   /* a: from, b: to, c: reason */
    LG_REC_PNL,             /* group realised P&L when it becomes flat; a: paise */
    LG_REC_ERROR,           /* a: lg_err_t code, tag if an order was named */
    LG_REC_SIZING,          /* a group's size: a: units (0: explicit), b: lg_bound_t,
                               c: the worst partial-fill state's need, paise */
} lg_rec_kind_t;

typedef struct lg_record {
    lg_rec_kind_t kind;
    uint32_t group;
    char tag[LG_TAG_MAX + 1];
    int64_t a, b, c;
} lg_record_t;

typedef enum lg_alert_level { LG_ALERT_INFO = 0, LG_ALERT_WARN, LG_ALERT_ERROR, LG_ALERT_CRITICAL } lg_alert_level_t;

#define LG_ALERT_TEXT_MAX 320

typedef struct lg_alert {
    lg_alert_level_t level;
    int32_t code; /* lg_err_t or 0 */
    uint32_t group;
    char text[LG_ALERT_TEXT_MAX];
} lg_alert_t;

/* One step's output. The caller allocates the arrays once (lg_out_init) and clears
 * the counts before each step (lg_out_reset). When the engine runs out of room it
 * defers the rest of its work to an immediate wake-up (wake_at = now) and counts it
 * in `deferred`: nothing is dropped. */
typedef struct lg_out {
    lg_cmd_t *cmds;
    uint32_t n_cmds, cap_cmds;
    lg_record_t *recs;
    uint32_t n_recs, cap_recs;
    lg_alert_t *alerts;
    uint32_t n_alerts, cap_alerts;
    lg_ns_t wake_at;      /* deliver LG_EV_TIMER at this time; INT64_MAX = none */
    uint32_t new_group;   /* id assigned by a GROUP_SUBMIT, 0 if refused */
    int32_t status;       /* LG_OK, or the error of the event (also alerted) */
    uint32_t deferred;
} lg_out_t;

int lg_out_init(lg_out_t *o, uint32_t cap_cmds, uint32_t cap_recs, uint32_t cap_alerts);
void lg_out_free(lg_out_t *o);
void lg_out_reset(lg_out_t *o);

const char *lg_ev_kind_name(lg_ev_kind_t k);

#endif
