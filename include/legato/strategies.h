/*
 * strategies.h — the two example strategies (strategy.h plug-ins). Neither says how
 * much: each intent is one unit of its structure, sized by the risk engine.
 *
 *   ema      an EMA crossover on the underlying's nearest future, bar by bar: the fast
 *            EMA crossing above the slow one buys a call spread (long the call nearest
 *            the future's price, short the one `width` strikes above, the long covering
 *            the short), crossing below buys the mirror put spread. The spread of the
 *            other direction, if one is held, is exited first. One spread at a time.
 *   condor   an iron-condor seller: every `every_s` while it holds none, sells the put
 *            and the call `offset` strikes either side of the strike nearest the future
 *            and buys the wings `wing` strikes further out, each short covered by its
 *            wing (hedge-first: the engine buys the wings before it sells); exits a
 *            condor held `hold_s` seconds.
 *
 * Both use the nearest option expiry at least `min_days` away (IST dates), price their
 * decision from the host's quotes, and decline (a note, no intent) when a leg has no
 * quote or the chain has no such strike.
 */
#ifndef LEGATO_STRATEGIES_H
#define LEGATO_STRATEGIES_H

#include "legato/strategy.h"

typedef struct lg_ema_params {
    char underlying[LG_UNDERLYING_MAX]; /* "NIFTY" */
    uint32_t bar_s;                     /* bar length, >= 1 */
    uint32_t fast, slow;                /* EMA lengths in bars, 1 <= fast < slow */
    uint32_t width;                     /* strikes between the long and the short, >= 1 */
    uint32_t min_days;                  /* expiry at least this many days away */
    double confidence;                  /* (0, 1] */
} lg_ema_params_t;

typedef struct lg_ema {
    lg_ema_params_t p;
    uint32_t future;     /* the bars' instrument */
    double fast, slow;   /* the averages */
    uint32_t bars;       /* bars seen */
    int8_t relation;     /* +1 fast above slow, -1 below, 0 not yet known */
    int8_t held_dir;     /* the direction of the spread held or asked for, 0 none */
    int8_t want;         /* the direction to enter once the spread held has closed */
    uint32_t group, ref; /* the spread held (group) or asked for (ref) */
    uint64_t crosses, intents;
} lg_ema_t;

void lg_ema_params_default(lg_ema_params_t *p);
/* Validates p (LG_EINVAL, err naming the field) and fills *out to hand to the host. */
int lg_ema_init(lg_ema_t *s, const lg_ema_params_t *p, lg_strategy_t *out, char *err, size_t errcap);

typedef struct lg_condor_params {
    char underlying[LG_UNDERLYING_MAX];
    uint32_t offset;  /* strikes from the nearest strike to each short, >= 1 */
    uint32_t wing;    /* strikes from each short to its wing, >= 1 */
    uint32_t every_s; /* between two entries (or tries), >= 1 */
    uint32_t hold_s;  /* exit a condor held this long; 0: hold it */
    uint32_t min_days;
    double confidence;
} lg_condor_params_t;

typedef struct lg_condor {
    lg_condor_params_t p;
    uint32_t group, ref; /* the condor held (group) or asked for (ref) */
    bool exiting;
    lg_ns_t next_try, hedged_at;
    uint64_t intents, exits;
} lg_condor_t;

void lg_condor_params_default(lg_condor_params_t *p);
int lg_condor_init(lg_condor_t *s, const lg_condor_params_t *p, lg_strategy_t *out, char *err,
                   size_t errcap);

/* The price of a structure as traded: Σ side·ratio·price (a debit positive); 0 and
 * *missing = the first leg without a quote, when one has none. (strat_chain.c) */
lg_paise_t lg_strat_structure_price(const lg_strat_ctx_t *c, const lg_intent_t *it,
                                    uint32_t *missing);

#endif
