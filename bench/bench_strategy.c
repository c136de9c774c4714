/*
 * bench_strategy.c — what the strategies cost the daemon's loop (docs/STRATEGIES.md):
 *
 *   strategy_host_tick      one tick through the host with both examples on (the quote
 *                           kept, the EMA's bar series updated, on_tick callbacks), ticks
 *                           round-robin over the future and 42 options
 *   strategy_bar_close      a tick that closes a bar: the EMA's averages, no cross
 *   chain_option            one lg_chain_option look-up (a strike counted from the money)
 *                           on the paper market's master and on a Kite-sized one (72 581
 *                           instruments), and the time to sort the chain once
 *   condor_decision         the condor seller's whole entry decision (future, expiry, four
 *                           strikes, the structure's price, the intent queued)
 *   api_status, api_instruments   the control API's GET /v1/status and
 *                           /v1/instruments?underlying=NIFTY&expiry=nearest, request to
 *                           reply body (no socket)
 *
 * Percentiles over many repetitions; calls shorter than the clock are timed in batches
 * and reported per call. One JSON object per line.
 */
#include "legato/api.h"
#include "legato/engine.h"
#include "legato/strategies.h"

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAMPLES 100000
#define TODAY 20640
#define T0 ((lg_ns_t)TODAY * 86400 * LG_NS_PER_S + 4 * 3600 * LG_NS_PER_S)
#define FUT 7u

static lg_ns_t S[MAX_SAMPLES];
static uint32_t n_s;
static volatile int64_t sink;

static void report(const char *name, uint32_t batch, const char *extra) {
    qsort(S, n_s, sizeof S[0], bench_cmp_ns);
    double b = (double)batch;
    printf("{\"name\":\"%s\",\"samples\":%u,\"batch\":%u,\"p50_ns\":%.0f,\"p99_ns\":%.0f,"
           "\"max_ns\":%.0f%s}\n",
           name, n_s, batch, (double)S[n_s / 2] / b, (double)S[(uint64_t)n_s * 99 / 100] / b,
           (double)S[n_s - 1] / b, extra);
    fflush(stdout);
    n_s = 0;
}

/* NIFTY with its future, and `others` more underlyings, each with `expiries` weekly
 * expiries of 2·strikes options: the paper market is (0, 4, 81), Kite's NFO about
 * (180, 4, 50) — 72 000 options. */
static void master(lg_instruments_t *m, uint32_t others, uint32_t expiries, uint32_t strikes) {
    uint32_t n = (others + 1) * (expiries * strikes * 2 + 1);
    if (lg_instruments_init(m, n) != LG_OK) abort();
    uint32_t tok = FUT;
    for (uint32_t u = 0; u <= others; u++) {
        char name[LG_UNDERLYING_MAX];
        snprintf(name, sizeof name, u == 0 ? "NIFTY" : "STOCK%u", u);
        lg_instrument_t f = {.token = tok++, .kind = LG_KIND_FUT, .lot = 65, .tick = 5, .freeze = 1800,
                             .expiry_day = TODAY + 30};
        snprintf(f.symbol, sizeof f.symbol, "%sFUT", name);
        snprintf(f.underlying, sizeof f.underlying, "%s", name);
        if (lg_instruments_add(m, &f) != LG_OK) abort();
        for (uint32_t e = 0; e < expiries; e++)
            for (uint32_t k = 0; k < 2 * strikes; k++) {
                lg_instrument_t o = f;
                o.token = tok++;
                o.kind = k % 2 ? LG_KIND_PE : LG_KIND_CE;
                o.expiry_day = TODAY + 2 + 7 * (int32_t)e;
                o.strike = (lg_paise_t)(2200000 + (k / 2) * 5000);
                snprintf(o.symbol, sizeof o.symbol, "%s%u", name, o.token);
                if (lg_instruments_add(m, &o) != LG_OK) abort();
            }
    }
}

static void tick(lg_strat_host_t *h, lg_ns_t at, uint32_t tok, lg_paise_t px) {
    lg_strat_tick_t t = {.token = tok, .ltp = px, .bid = px - 5, .ask = px + 5};
    lg_strat_host_tick(h, at, &t);
}

static void bench_host(const lg_instruments_t *m) {
    lg_strat_host_t *h;
    if (lg_strat_host_create(m, &h) != LG_OK) abort();
    static lg_ema_t ema;
    static lg_condor_t cd;
    lg_ema_params_t ep;
    lg_condor_params_t cp;
    lg_ema_params_default(&ep);
    lg_condor_params_default(&cp);
    lg_strategy_t s;
    char err[200];
    if (lg_ema_init(&ema, &ep, &s, err, sizeof err) != LG_OK || lg_strat_host_add(h, &s, T0, err, sizeof err) != LG_OK ||
        lg_condor_init(&cd, &cp, &s, err, sizeof err) != LG_OK || lg_strat_host_add(h, &s, T0, err, sizeof err) != LG_OK)
        abort();
    uint32_t toks[43];
    toks[0] = FUT;
    for (int k = 0; k < 42; k++) toks[k + 1] = lg_chain_option(lg_strat_host_chain(h), "NIFTY", TODAY + 2, k % 2 ? LG_KIND_PE : LG_KIND_CE, 2400000, k / 2 - 10);
    lg_strat_action_t a[LG_STRAT_ACTIONS_MAX];
    lg_ns_t t = T0 + LG_NS_PER_S;
    enum { BATCH = 64 };
    for (int i = 0; i < 20000; i++) { /* within one minute: no bar closes */
        lg_ns_t t0 = bench_clock_ns();
        for (int j = 0; j < BATCH; j++) tick(h, t + j, toks[(i * BATCH + j) % 43], 2400000 + (j & 7) * 5);
        S[n_s++] = bench_clock_ns() - t0;
        sink += lg_strat_host_take(h, a, LG_STRAT_ACTIONS_MAX);
    }
    report("strategy_host_tick", BATCH, ",\"strategies\":2,\"instruments_ticking\":43");
    for (int i = 0; i < 20000; i++) { /* a bar closes at each: the EMA's on_bar */
        t += 60 * LG_NS_PER_S;
        lg_ns_t t0 = bench_clock_ns();
        tick(h, t, FUT, 2400000 + (i % 3) * 5);
        S[n_s++] = bench_clock_ns() - t0;
        sink += lg_strat_host_take(h, a, LG_STRAT_ACTIONS_MAX);
    }
    report("strategy_bar_close", 1, "");
    /* The condor's decisions: a wake-up each, its intent bound as refused at once. */
    for (int i = 0; i < 5000; i++) {
        t += (lg_ns_t)cp.every_s * LG_NS_PER_S;
        lg_ns_t t0 = bench_clock_ns();
        lg_strat_host_timer(h, t);
        S[n_s++] = bench_clock_ns() - t0;
        uint32_t n = lg_strat_host_take(h, a, LG_STRAT_ACTIONS_MAX);
        for (uint32_t k = 0; k < n; k++)
            if (a[k].kind == LG_SA_INTENT) lg_strat_host_bound(h, t, &a[k], 0, 0, LG_EMARGIN, "bench");
    }
    char extra[64];
    snprintf(extra, sizeof extra, ",\"master\":%u", m->n);
    report("condor_decision", 1, extra);
    lg_strat_host_destroy(h);
}

static void bench_chain(const lg_instruments_t *m, const char *label) {
    lg_chain_t *ch;
    lg_ns_t b0 = bench_clock_ns();
    if (lg_chain_create(m, &ch) != LG_OK) abort();
    lg_ns_t build = bench_clock_ns() - b0;
    enum { BATCH = 16 };
    for (int i = 0; i < 20000; i++) {
        lg_ns_t t0 = bench_clock_ns();
        for (int j = 0; j < BATCH; j++)
            sink += lg_chain_option(ch, "NIFTY", TODAY + 2, LG_KIND_CE, 2400000 + ((i + j) % 50) * 1000, 2);
        S[n_s++] = bench_clock_ns() - t0;
    }
    lg_chain_destroy(ch);
    char extra[128];
    snprintf(extra, sizeof extra, ",\"master\":\"%s\",\"instruments\":%u,\"build_ms\":%.1f", label, m->n,
             (double)build / 1e6);
    report("chain_option", BATCH, extra);
}

static int no_submit(void *ud, const lg_group_spec_t *s, uint32_t *g, char *err, size_t cap) {
    (void)ud, (void)s, (void)err, (void)cap;
    *g = 0;
    return LG_ESTATE;
}
static int no_intent(void *ud, const lg_intent_t *it, uint32_t *g, char *err, size_t cap) {
    (void)ud, (void)it, (void)err, (void)cap;
    *g = 0;
    return LG_ESTATE;
}
static int no_control(void *ud, lg_control_op_t op, uint32_t g, char *err, size_t cap) {
    (void)ud, (void)op, (void)g, (void)err, (void)cap;
    return LG_OK;
}

static void bench_api(const lg_instruments_t *m) {
    lg_engine_config_t ec;
    lg_engine_config_default(&ec);
    ec.clock_offset_ns = T0;
    lg_engine_t *e;
    if (lg_engine_create(&ec, m, &e) != LG_OK) abort();
    static const char token[] = "0123456789abcdef0123456789abcdef";
    lg_api_config_t ac = {.engine = e, .token = token, .max_body = 65536, .rate_per_s = 100000000,
                          .burst = 100000000, .ops = {no_submit, no_intent, no_control}};
    lg_api_t *api;
    if (lg_api_create(&ac, &api) != LG_OK) abort();
    static const struct {
        const char *name, *path, *query;
    } Q[] = {{"api_status", "/v1/status", NULL},
             {"api_instruments", "/v1/instruments", "underlying=NIFTY&expiry=nearest"}};
    for (size_t q = 0; q < 2; q++) {
        size_t bytes = 0;
        for (int i = 0; i < 3000; i++) {
            lg_api_request_t r = {.method = "GET", .path = Q[q].path, .query = Q[q].query,
                                  .authorization = "Bearer 0123456789abcdef0123456789abcdef", .body = "",
                                  .now = (lg_ns_t)i * 1000, .unix_now = T0};
            lg_api_reply_t rep;
            lg_ns_t t0 = bench_clock_ns();
            lg_api_handle(api, &r, &rep);
            S[n_s++] = bench_clock_ns() - t0;
            if (rep.status != 200) abort();
            bytes = rep.len;
            lg_api_reply_free(&rep);
        }
        char extra[64];
        snprintf(extra, sizeof extra, ",\"reply_bytes\":%zu", bytes);
        report(Q[q].name, 1, extra);
    }
    lg_api_destroy(api);
    lg_engine_destroy(e);
}

int main(void) {
    static lg_instruments_t paper, kite;
    master(&paper, 0, 4, 81);
    master(&kite, 180, 4, 50);
    bench_host(&paper);
    bench_chain(&paper, "paper");
    bench_chain(&kite, "kite-sized");
    bench_api(&paper);
    lg_instruments_free(&paper);
    lg_instruments_free(&kite);
    return (int)(sink & 0);
}
