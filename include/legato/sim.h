/*
 * sim.h — the exchange model: a deterministic, seeded model of the broker and the
 * exchange, in virtual time. It is the world, not the trader: it never calls the
 * engine. It takes the engine's commands (lg_cmd_t) and produces broker events
 * (lg_event_t: acks, send errors, order updates, ticks, position snapshots).
 *
 * Market: per underlying a simulated price (diffusion plus jumps plus scripted
 * gaps), an option chain priced by Black-76 off it with bid/ask, circuit bands and
 * halts. Broker: latency from request to ack and to fill, Kite's status sequence,
 * partial fills, rejections (freeze quantity, circuit band, margin, random RMS),
 * lost / duplicated / reordered updates, ambiguous send outcomes. Every fault is a
 * knob with a probability; the same seed and the same commands give the same run.
 *
 * All memory is allocated by lg_sim_create.
 */
#ifndef LEGATO_SIM_H
#define LEGATO_SIM_H

#include "legato/event.h"
#include "legato/instrument.h"
#include "legato/margin.h"

typedef struct lg_sim lg_sim_t;

typedef struct lg_sim_knobs {
    /* latency, nanoseconds: uniform in [min, max] */
    lg_ns_t ack_min_ns, ack_max_ns;       /* request -> ack event */
    lg_ns_t open_min_ns, open_max_ns;     /* ack -> OPEN at the exchange */
    lg_ns_t update_min_ns, update_max_ns; /* exchange event -> update delivered */
    /* faults, probabilities in [0, 1] */
    double p_reject_random;   /* RMS rejection after ack (REJECTED update) */
    double p_reject_margin;   /* HTTP 400 MarginException on place */
    double p_partial;         /* a marketable order fills in several pieces */
    double p_drop_update;     /* an update is lost */
    double p_dup_update;      /* an update is delivered twice */
    double p_reorder;         /* an update is delayed past the next one */
    double p_unknown_send;    /* the order is placed but the client sees a timeout */
    double p_no_liquidity;    /* a marketable limit order rests instead of filling */
    double p_basket_error;    /* a basket margin query answered with none (an error) */
    double p_lost_send;       /* the request never reaches the broker; the client sees
                                 a timeout (ORDER_ERROR, definitive = false) */
    /* market */
    double vol_annual;          /* diffusion volatility of the underlying */
    double jump_per_hour;       /* expected jumps per hour */
    double jump_pct;            /* jump size, standard deviation in percent */
    double circuit_pct;         /* options' circuit band, percent around reference */
    lg_ns_t tick_interval_ns;   /* market data for subscribed instruments */
    uint32_t option_tick_every; /* options tick every this many rounds (futures: every
                                   round), as a busy chain's thinner strikes do; >= 1 */
    lg_ns_t step_ns;            /* underlying evolves at this granularity */
    lg_ns_t circuit_flex_ns;    /* a band the fair value has stayed beyond this long is
                                   re-centred on it (the exchange flexes it); 0 = never */
} lg_sim_knobs_t;

typedef struct lg_sim_config {
    uint64_t seed;
    uint32_t max_orders;     /* order book capacity */
    uint32_t max_pending;    /* queued events capacity */
    lg_sim_knobs_t knobs;
    /* Unix time (ns) at virtual time 0, for options' time to expiry. 0: midnight UTC
     * 30 days before the first underlying's expiry day. Give the engine the same
     * value (lg_engine_config_t.clock_offset_ns; see lg_sim_clock_offset). */
    lg_ns_t clock_offset_ns;
    lg_paise_t funds;        /* the account's opening balance (margins); 0: ₹1 crore */
} lg_sim_config_t;

/* Default, fault-free knobs (latency of a few ms, no rejections). */
void lg_sim_knobs_default(lg_sim_knobs_t *k);

int lg_sim_create(const lg_sim_config_t *cfg, lg_instruments_t *master, lg_sim_t **out);
void lg_sim_destroy(lg_sim_t *s);

/* Adds an underlying and its chain to the master: one future and n_strikes calls and
 * puts around spot, strike_step apart, expiring on expiry_day. Returns the index of
 * the underlying (>= 0) or an error. Instrument tokens are allocated by the sim. */
int lg_sim_add_underlying(lg_sim_t *s, const char *name, double spot, double strike_step,
                          uint32_t n_strikes, int32_t expiry_day, lg_qty_t lot,
                          lg_qty_t freeze, double iv);

/* The engine's command reaches the broker at `now`. */
void lg_sim_request(lg_sim_t *s, const lg_cmd_t *cmd, lg_ns_t now);
/* Earliest time anything happens (INT64_MAX when nothing is scheduled): a delivery,
 * an exchange-side action, a scripted gap, the next tick round (with subscriptions),
 * the next market step (only while an order rests in the book). */
lg_ns_t lg_sim_next_time(const lg_sim_t *s);
/* Advances the world to `now` and writes the next event due at or before it.
 * Returns 1 if an event was written, 0 if none is due — also at a time next_time
 * named, when only the exchange or the market moved. A POSITIONS event's rows
 * (positions as of delivery) stay valid until the next call. */
int lg_sim_poll(lg_sim_t *s, lg_ns_t now, lg_event_t *ev);

/* Market data for the token will be delivered every tick interval (one TICK per
 * subscribed token at each multiple of tick_interval_ns). Tokens the sim did not
 * create are ignored. */
void lg_sim_subscribe(lg_sim_t *s, uint32_t token);

/* A modification (PUT /orders/regular/:id) reaches the broker at `now`: the order's
 * type, quantity, price and trigger become these, checked as a placement is (lots,
 * freeze limit, tick, circuit band, market protection) and applied at once; an update
 * with the new values follows. Kite's rules: only an order not yet final, at most
 * LG_SIM_MAX_MODIFY times, never to a quantity at or below what has filled. Errors
 * (the order unchanged, msg says why in Kite's words): LG_EUNKNOWN_ORDER, LG_ESTATE
 * (final), LG_ERANGE (too many modifications), LG_EINVAL (a check failed). */
#define LG_SIM_MAX_MODIFY 25
typedef struct lg_sim_modify {
    uint8_t otype;      /* lg_otype_t */
    lg_qty_t qty;
    lg_paise_t price, trigger;
} lg_sim_modify_t;
int lg_sim_modify(lg_sim_t *s, const char *broker_id, const lg_sim_modify_t *m, lg_ns_t now,
                  char *msg, size_t cap);

/* Scripting. */
void lg_sim_gap(lg_sim_t *s, int underlying, double pct, lg_ns_t at); /* jump at time */
void lg_sim_halt(lg_sim_t *s, uint32_t token, bool halted);           /* no fills */
/* The next n orders on the token are rejected with the given reason:
 * LG_SIM_REJ_CIRCUIT (HTTP 400), LG_SIM_REJ_MARGIN (HTTP 400), LG_SIM_REJ_RMS (update). */
enum { LG_SIM_REJ_CIRCUIT = 1, LG_SIM_REJ_MARGIN, LG_SIM_REJ_RMS };
void lg_sim_reject_next(lg_sim_t *s, uint32_t token, int reason, uint32_t n);
/* The same after `skip` more orders on the token have passed (reject_next is
 * reject_after with skip 0). Either call replaces the token's pending script. */
void lg_sim_reject_after(lg_sim_t *s, uint32_t token, int reason, uint32_t skip, uint32_t n);
/* Orders on the token stay OPEN without filling until the given time. */
void lg_sim_delay_fills(lg_sim_t *s, uint32_t token, lg_ns_t until);
lg_sim_knobs_t *lg_sim_knobs(lg_sim_t *s);

/* Inspection (for tests and invariants). */
lg_qty_t lg_sim_position(const lg_sim_t *s, uint32_t token);  /* net units */
int64_t lg_sim_cash(const lg_sim_t *s);                        /* Σ sells − buys, paise·units */
lg_paise_t lg_sim_ltp(const lg_sim_t *s, uint32_t token);
/* The broker's margin snapshot now: the scenario margin of the positions (used) and
 * the funds left for new positions (opening balance + mark-to-market − used). */
void lg_sim_margins(const lg_sim_t *s, lg_paise_t *available, lg_paise_t *used);
/* Instrument token held qty units, as the simulator's margin model sees it now (its
 * underlying, volatility and time; price 0: the last price): what lg_sim_margins and
 * lg_sim_basket price, for `legato sim`'s margin endpoints. */
int lg_sim_margin_leg(const lg_sim_t *s, uint32_t token, lg_qty_t qty, lg_paise_t price,
                      lg_margin_leg_t *out);
/* The margin of a basket of legs (signed units) at the market's current time: initial,
 * each leg alone; final, together. LG_EINSTRUMENT for a token the simulator lacks. */
int lg_sim_basket(const lg_sim_t *s, const lg_basket_leg_t *legs, uint32_t n, lg_paise_t *initial,
                  lg_paise_t *final);
double lg_sim_underlying(const lg_sim_t *s, int underlying);
uint32_t lg_sim_orders_with_tag(const lg_sim_t *s, const char *tag); /* count at the exchange */
uint32_t lg_sim_order_count(const lg_sim_t *s);
/* The broker's order book as GET /orders lists it at `now` (the world is advanced to
 * it first): orders from number `from` on, oldest first, into out[0..cap), each as
 * recovery adopts it (tag, broker id, status, quantity, filled, average price, token,
 * side, type, prices). Returns how many were written; fewer than cap means the end. */
uint32_t lg_sim_book(lg_sim_t *s, lg_ns_t now, uint32_t from, lg_adopt_t *out, uint32_t cap);
/* Net positions (GET /portfolio/positions): instruments with a nonzero quantity into
 * rows[0..cap); returns how many. */
uint32_t lg_sim_positions(const lg_sim_t *s, lg_position_row_t *rows, uint32_t cap);
/* Orders still able to fill (for "quiet" checks). */
uint32_t lg_sim_open_orders(const lg_sim_t *s);
/* Requests or scheduled events refused because a pool (max_orders, max_pending, the
 * gap script) was full. A refused PLACE is answered with a definitive ORDER_ERROR
 * "simulator order book full" while the queue has room; anything else is dropped.
 * Nonzero means the run is not faithful: size the pools up (invariant 10). */
uint32_t lg_sim_overflows(const lg_sim_t *s);
/* The exchange's fills, in the order they happened: a ring of the last
 * LG_SIM_FILL_RING. lg_sim_fill_count counts every fill so far; lg_sim_fill reads fill
 * number i (LG_ERANGE once it has left the ring or before it happened). */
#define LG_SIM_FILL_RING 4096
typedef struct lg_sim_fill {
    char tag[LG_TAG_MAX + 1];
    uint32_t token;
    lg_qty_t qty;      /* signed: + bought, − sold */
    lg_paise_t price;
    lg_ns_t at;
    uint32_t order;    /* the order's number (see lg_sim_order_id) */
} lg_sim_fill_t;
uint64_t lg_sim_fill_count(const lg_sim_t *s);
int lg_sim_fill(const lg_sim_t *s, uint64_t i, lg_sim_fill_t *f);
/* The broker id of order number i (19 digits), and the number of a broker id this
 * simulator issued (UINT32_MAX for any other text). Orders are numbered from 0 in the
 * order they were placed; lg_sim_book lists them by number. */
void lg_sim_order_id(uint32_t order, char *out, size_t cap);
uint32_t lg_sim_order_number(const lg_sim_t *s, const char *broker_id);
/* Unix ns at virtual time 0 (the configured or derived clock offset). */
lg_ns_t lg_sim_clock_offset(const lg_sim_t *s);
/* Token of an underlying's future (kind LG_KIND_FUT, offset ignored) or of the option
 * `atm_offset` strikes from the chain's middle strike (the one nearest the spot when
 * the chain was made); 0 if there is none. */
uint32_t lg_sim_token(const lg_sim_t *s, int underlying, lg_kind_t kind, int atm_offset);
/* Current quote and circuit band of a sim instrument; LG_EINSTRUMENT for others. */
int lg_sim_quote(const lg_sim_t *s, uint32_t token, lg_paise_t *bid, lg_paise_t *ask,
                 lg_paise_t *ltp);
int lg_sim_band(const lg_sim_t *s, uint32_t token, lg_paise_t *lo, lg_paise_t *hi);

#endif
