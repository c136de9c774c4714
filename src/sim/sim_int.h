/*
 * sim_int.h — private state of the exchange model, shared by its files:
 *
 *   sim_queue.c   the bounded, time-ordered event queue (two heaps over one slot pool)
 *   sim_market.c  underlyings (diffusion, jumps, scripted gaps), chain pricing by
 *                 Black-76, bid/ask, circuit bands, ticks
 *   sim_book.c    the exchange side of orders: validation, opening, matching, fills,
 *                 cancels, queries, positions
 *   sim_send.c    what the client sees: acks, errors and updates with their latency
 *                 and faults (drop, duplicate, reorder), and item -> lg_event_t
 *   sim.c         create / destroy, the public request / poll / next_time loop,
 *                 scripting and inspection
 *
 * Time. Three clocks move forward together: `mkt_t` (the last market step, a
 * multiple of step_ns), the world queue (exchange-side actions: an order reaching
 * the exchange, a fill piece, a cancel reaching the exchange) and the delivery
 * queue (what the client receives). The world is advanced lazily, in time order,
 * only when poll or request needs it; a delivery at time t always sees the world as
 * it was at t.
 *
 * Randomness. The broker's draws (latencies, faults) come from one lg_rng_t; each
 * underlying's path from its own, so the market does not depend on order flow.
 *
 * All arrays are allocated by lg_sim_create; nothing grows afterwards.
 */
#ifndef LEGATO_SIM_INT_H
#define LEGATO_SIM_INT_H

#include "legato/numeric.h"
#include "legato/sim.h"

#define LG_SIM_MAX_UNDERLYINGS 8
#define LG_SIM_MAX_GAPS 256
#define LG_SIM_NONE UINT32_MAX
#define LG_SIM_XTOKEN_BASE 0x10000u /* exchange_token of the first sim instrument */
#define LG_SIM_SEGMENT_NFO 2u
#define LG_SIM_OID_BASE 2600000000000000000ULL /* 19-digit broker order ids */
#define LG_SIM_TICK_PAISE 5
#define LG_SIM_DEFAULT_MPROT 3    /* market_protection = -1: the broker's default */
#define LG_SIM_HEADROOM 16        /* queue slots kept free for answers to requests */
#define LG_SIM_MAX_CATCHUP 200000 /* market steps replayed one by one; more: aggregated */
#define LG_SIM_NS_PER_YEAR (365.0 * 86400.0 * 1e9)

/* ---- queue ---------------------------------------------------------------------- */

typedef enum sim_kind {
    SK_NONE = 0,
    /* deliveries (the client sees them) */
    SK_ACK,
    SK_ERROR,
    SK_UPDATE,
    SK_POSITIONS,
    SK_MARGINS,
    SK_BASKET, /* a basket margin answer (group, ok, initial, final, msg) */
    /* world actions (at the exchange) */
    SK_OPEN,   /* the order reaches the exchange: OPEN / TRIGGER PENDING / REJECTED */
    SK_FILL,   /* the next piece of a partial fill */
    SK_CANCEL, /* a cancel reaches the exchange */
} sim_kind_t;

typedef struct sim_item {
    uint8_t kind;       /* sim_kind_t */
    uint8_t status;     /* SK_UPDATE: lg_kstatus_t */
    bool definitive;    /* SK_ERROR */
    uint8_t about;      /* SK_ERROR: LG_SIM_ERR_PLACE / _CANCEL / _LOOKUP */
    int32_t http;       /* SK_ERROR */
    uint32_t order;     /* order index, LG_SIM_NONE if the exchange has none */
    lg_qty_t filled;    /* SK_UPDATE snapshot */
    lg_paise_t avg;     /* SK_UPDATE snapshot */
    char tag[LG_TAG_MAX + 1];
    char msg[LG_STATUS_MSG_MAX];
    uint32_t group;     /* SK_BASKET, and the query's asked */
    lg_ns_t asked;
    lg_paise_t initial, final; /* SK_BASKET; both 0: none (msg says why) */
} sim_item_t;

typedef struct sim_hent {
    lg_ns_t t;
    uint64_t seq; /* insertion order: equal times keep it */
    uint32_t slot;
} sim_hent_t;

typedef struct sim_heap {
    sim_hent_t *a;
    uint32_t n, cap;
} sim_heap_t;

typedef struct sim_queue {
    sim_item_t *items; /* slot pool */
    uint32_t *free;    /* stack of returned slots */
    uint32_t n_free, hw, cap; /* hw: slots never used yet start here */
    sim_heap_t world, dlv;
    uint64_t seq;
} sim_queue_t;

int lg_simq_init(sim_queue_t *q, uint32_t cap);
void lg_simq_free(sim_queue_t *q);
uint32_t lg_simq_room(const sim_queue_t *q);
/* Copies *it into a slot and schedules it at t on heap h; false when full. */
bool lg_simq_push(sim_queue_t *q, sim_heap_t *h, lg_ns_t t, const sim_item_t *it);
/* Time of the earliest entry, INT64_MAX when empty. */
lg_ns_t lg_simq_head(const sim_heap_t *h);
/* Removes the earliest entry into *out. */
void lg_simq_pop(sim_queue_t *q, sim_heap_t *h, sim_item_t *out, lg_ns_t *t);

/* ---- market --------------------------------------------------------------------- */

typedef struct sim_und {
    char name[LG_UNDERLYING_MAX];
    double spot;   /* rupees */
    double iv;     /* options' pricing volatility */
    uint64_t ver;  /* bumped on every move: invalidates cached quotes */
    uint32_t first, count; /* sim instruments: the future, then CE, PE per strike */
    uint32_t n_strikes;
    lg_rng_t rng;
} sim_und_t;

typedef struct sim_quote {
    lg_paise_t bid, ask, ltp;
    double fair; /* paise, before rounding and the band */
} sim_quote_t;

typedef struct sim_ins {
    uint32_t token;
    uint32_t und;
    lg_kind_t kind;
    double strike;        /* rupees; 0 for the future */
    int32_t expiry_day;
    lg_qty_t lot, freeze;
    lg_paise_t tick;
    lg_paise_t band_lo, band_hi; /* circuit band (re-centred only by a flex) */
    lg_ns_t out_since;    /* fair value seen beyond the band since, -1: inside */
    uint64_t qver;        /* und.ver + 1 of the cached quote, 0: none */
    sim_quote_t q;
    bool halted, subscribed;
    uint8_t rej_reason;   /* scripted: after rej_skip orders pass, rej_n are refused */
    uint32_t rej_skip, rej_n;
    lg_ns_t delay_until;  /* no fills before */
    lg_qty_t pos;         /* net units at the exchange */
} sim_ins_t;

typedef struct sim_gap {
    lg_ns_t at;
    uint64_t seq;
    uint32_t und;
    double pct;
} sim_gap_t;

/* ---- orders --------------------------------------------------------------------- */

typedef enum sim_ost {
    SO_RECEIVED = 0, /* accepted by the broker, not yet at the exchange */
    SO_OPEN,
    SO_TRIGGER,      /* SL / SL-M waiting for its trigger */
    SO_COMPLETE,
    SO_CANCELLED,
    SO_REJECTED,
} sim_ost_t;

typedef struct sim_order {
    char tag[LG_TAG_MAX + 1];
    uint32_t ins;
    int8_t side;
    uint8_t otype;       /* lg_otype_t */
    int16_t mprot;       /* protection percent actually used */
    uint8_t st;          /* sim_ost_t */
    bool rms_reject;     /* scripted: REJECTED when it reaches the exchange */
    bool fill_busy;      /* an SK_FILL piece is queued */
    bool liq_drawn, part_drawn;
    uint8_t pieces_left; /* fill pieces still to come (partial fills) */
    uint8_t n_modify;    /* modifications accepted so far */
    lg_qty_t qty, filled;
    int64_t value;       /* Σ fill qty × price, paise·units */
    lg_paise_t limit;    /* effective limit (protected for MARKET / triggered SL-M) */
    lg_paise_t trigger;
    lg_ns_t rest_until;  /* no-liquidity: marketable but resting until */
    lg_ns_t last_dlv;    /* delivery time of its last in-order update */
    uint32_t open_pos;   /* index in the open list, LG_SIM_NONE */
} sim_order_t;

struct lg_sim {
    lg_sim_config_t cfg; /* cfg.knobs is what lg_sim_knobs hands out */
    lg_instruments_t *master;
    lg_rng_t rng;
    lg_ns_t offset;
    bool offset_set;
    lg_ns_t wt;          /* the world has been advanced to here */
    lg_ns_t mkt_t;       /* time of the last market step */
    sim_und_t und[LG_SIM_MAX_UNDERLYINGS];
    uint32_t n_und;
    sim_ins_t *ins;
    uint32_t n_ins, cap_ins;
    sim_order_t *orders;
    uint32_t n_orders;
    uint32_t *tag_slots; /* open addressing: slot -> order index + 1 */
    uint32_t tag_nslots;
    uint32_t *open;      /* orders in SO_OPEN / SO_TRIGGER */
    uint32_t n_open;
    uint32_t n_live;     /* orders not terminal */
    sim_queue_t q;
    sim_gap_t gaps[LG_SIM_MAX_GAPS]; /* sorted, latest first: the next one is last */
    uint32_t n_gaps;
    uint64_t gap_seq;
    uint32_t *subs;      /* subscribed sim instruments, in subscription order */
    uint32_t n_subs;
    lg_ns_t tick_t;      /* time of the current / next tick round */
    uint32_t tick_cur;   /* next subscription to tick in that round */
    lg_position_row_t *rows;
    int64_t cash;
    uint32_t overflows;
    lg_sim_fill_t *fills;  /* ring of LG_SIM_FILL_RING */
    uint64_t n_fills;
};

/* sim_market.c */
int lg_simm_add(lg_sim_t *s, const char *name, double spot, double strike_step,
                uint32_t n_strikes, int32_t expiry_day, lg_qty_t lot, lg_qty_t freeze,
                double iv);
uint32_t lg_simm_find(const lg_sim_t *s, uint32_t token); /* sim index or NONE */
sim_quote_t lg_simm_quote_now(const lg_sim_t *s, uint32_t i); /* no caching */
const sim_quote_t *lg_simm_quote(lg_sim_t *s, uint32_t i);    /* cached per move */
void lg_simm_step(lg_sim_t *s, uint64_t n_steps);             /* n steps of step_ns */
void lg_simm_add_gap(lg_sim_t *s, uint32_t und, double pct, lg_ns_t at);
lg_ns_t lg_simm_next_gap(const lg_sim_t *s);
uint32_t lg_simm_apply_gap(lg_sim_t *s, lg_ns_t *at); /* the next gap; its underlying */
/* ltp ± pct % rounded away to the tick (buy up, sell down), not capped. */
lg_paise_t lg_simm_protect(const sim_ins_t *in, lg_paise_t ltp, int side, int pct);
lg_paise_t lg_simm_cap(const sim_ins_t *in, lg_paise_t price); /* into the band */
bool lg_simm_in_band(const sim_ins_t *in, lg_paise_t price);
/* The market is locked at the circuit against this side: the fair value is beyond
 * the band's edge a buyer (side +1) or seller (-1) would trade at. */
bool lg_simm_locked(const sim_ins_t *in, const sim_quote_t *q, int side);
/* fair (paise) is above the band (side +1) / below a lower limit above 1 tick (-1) */
bool lg_simm_beyond(const sim_ins_t *in, double fair, int side);
void lg_simm_subscribe(lg_sim_t *s, uint32_t i);
void lg_simm_tick_catch_up(lg_sim_t *s, lg_ns_t now);
lg_ns_t lg_simm_next_tick(const lg_sim_t *s); /* INT64_MAX without subscriptions */
void lg_simm_tick(lg_sim_t *s, lg_event_t *ev); /* the next tick of the current round */

/* sim_book.c */
void lg_simb_place(lg_sim_t *s, const lg_cmd_t *c, lg_ns_t now);
void lg_simb_cancel(lg_sim_t *s, const lg_cmd_t *c, lg_ns_t now);
void lg_simb_query(lg_sim_t *s, const lg_cmd_t *c, lg_ns_t now);
int lg_simb_modify(lg_sim_t *s, const char *broker_id, const lg_sim_modify_t *m, lg_ns_t now,
                   char *msg, size_t cap);
void lg_simb_world(lg_sim_t *s, const sim_item_t *it, lg_ns_t t); /* SK_OPEN .. SK_CANCEL */
void lg_simb_check_open(lg_sim_t *s, lg_ns_t t, uint32_t und); /* NONE: all underlyings */
uint32_t lg_simb_find_tag(const lg_sim_t *s, const char *tag, uint32_t *count);
lg_kstatus_t lg_simb_kstatus(const sim_order_t *o);

/* sim_send.c */
void lg_sims_error(lg_sim_t *s, lg_ns_t t, const char *tag, uint32_t order, bool definitive,
                   uint8_t about, int32_t http, const char *msg);
/* What a request error answers. */
enum { LG_SIM_ERR_PLACE = 0, LG_SIM_ERR_CANCEL, LG_SIM_ERR_LOOKUP };
void lg_sims_ack(lg_sim_t *s, lg_ns_t t, uint32_t order);
/* An update of the order's current state from the exchange at t, subject to faults. */
void lg_sims_update(lg_sim_t *s, uint32_t order, lg_ns_t t, lg_kstatus_t st, const char *msg);
/* The order's current state as the answer to a query: no faults. */
void lg_sims_answer(lg_sim_t *s, uint32_t order, lg_ns_t t);
void lg_sims_positions(lg_sim_t *s, lg_ns_t t);
void lg_sims_margins(lg_sim_t *s, lg_ns_t t);
/* QUERY_BASKET: priced now (lg_sim_basket), answered at t; p_basket_error gives none. */
void lg_sims_basket(lg_sim_t *s, const lg_cmd_t *c, lg_ns_t t);
void lg_sims_world(lg_sim_t *s, lg_ns_t t, sim_kind_t kind, uint32_t order);
void lg_sims_event(lg_sim_t *s, const sim_item_t *it, lg_event_t *ev);
lg_ns_t lg_sims_latency(lg_sim_t *s, lg_ns_t lo, lg_ns_t hi);
void lg_sims_broker_id(uint32_t order, char *out, size_t cap);

#endif
