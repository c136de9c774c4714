/*
 * simd.h — `legato sim`: the exchange model (sim.h) behind a Kite-compatible HTTP and
 * WebSocket server on a libuv loop, in wall-clock time. Clients — legato's own broker
 * port, or Zerodha's official clients through their `root` option — talk to it as they
 * would to api.kite.trade and ws.kite.trade:
 *
 *   REST root  http://HOST:PORT        (the order, portfolio, margin, quote and
 *                                       instrument endpoints: docs/SIMULATOR.md)
 *   ticker     ws://HOST:PORT/ws       (?api_key=..&access_token=..)
 *   admin      http://HOST:PORT/admin/ (the same authorisation: script the market)
 *
 * One account. A request whose `Authorization: token key:token` (ticker: query
 * parameters) does not match is refused 403 TokenException. Order requests beyond 10
 * a second are refused 429. The market (a NIFTY and a BANKNIFTY chain with futures)
 * and the broker's draws are seeded: the same seed and the same requests at the same
 * times give the same answers.
 */
#ifndef LEGATO_SIMD_H
#define LEGATO_SIMD_H

#include "legato/sim.h"

#include <uv.h>

typedef struct lg_simd lg_simd_t;

typedef struct lg_simd_config {
    const char *host;          /* default "127.0.0.1" */
    int port;                  /* default 8765; 0: any free port */
    uint64_t seed;             /* default 1 */
    const char *api_key;       /* default "legato_sim" */
    const char *access_token;  /* default "legato_sim_token" */
    lg_sim_knobs_t knobs;      /* default: lg_sim_knobs_default, ticks every 500 ms */
    lg_paise_t opening_balance; /* default ₹1 crore */
    uint32_t max_orders;       /* default 20 000 */
} lg_simd_config_t;

void lg_simd_config_default(lg_simd_config_t *c);
/* Creates the market and listens. LG_EIO when the address cannot be bound. */
int lg_simd_start(uv_loop_t *loop, const lg_simd_config_t *cfg, lg_simd_t **out);
int lg_simd_port(const lg_simd_t *d);
/* Stops listening, closes every connection; freed once the loop has closed them. */
void lg_simd_stop(lg_simd_t *d);

/* For tests: the model and its master (inspection only, between loop turns). */
lg_sim_t *lg_simd_model(lg_simd_t *d);
const lg_instruments_t *lg_simd_master(const lg_simd_t *d);
/* Reactions seen from the exchange (as GET /admin/reaction): ns from a REJECTED order
 * frame written to the ticker sockets to the next place request read; the latest
 * min(count, cap) samples into out. Returns how many were written. */
uint32_t lg_simd_reactions(const lg_simd_t *d, uint64_t *out, uint32_t cap);

#endif
