/*
 * rig.h — the whole live chain on one libuv loop, over loopback, for the end-to-end
 * tests and the reaction benchmark:
 *
 *   engine <-> live shell (journal in SQLite) <-> broker port (order connections,
 *                                                 libcurl, libwebsockets)
 *          <-> HTTP + WebSocket <-> `legato sim` (the exchange model)
 *
 * Everything is real but the market. The engine trades the simulator's own instrument
 * master (the chain the simulator lists at /instruments/NFO), in wall-clock time.
 */
#ifndef LEGATO_TEST_E2E_RIG_H
#define LEGATO_TEST_E2E_RIG_H

#include "legato/live.h"
#include "legato/port.h"
#include "legato/simd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct rig {
    uv_loop_t loop;
    uv_timer_t tick; /* keeps UV_RUN_ONCE returning */
    lg_simd_t *sim;
    lg_port_t *port;
    lg_engine_t *eng;
    lg_store_t *store;
    lg_live_t *live;
    char path[96];
    uint32_t criticals, alerts;
    char critical_text[1024]; /* every CRITICAL alert's text, "; "-separated (bounded) */
    bool verbose;
    /* hooks, for the benchmark */
    void (*on_frame_read)(void *ud);
    void (*on_request_written)(void *ud, const lg_cmd_t *cmd);
    bool hook_at_prereq;
    bool libcurl_only;  /* no order connections: orders through libcurl too */
    void *hook_ud;
} rig_t;

static void rig_on_event(void *ud, const lg_event_t *ev) {
    rig_t *r = ud;
    if (r->live != NULL) lg_live_event(r->live, ev);
}

static void rig_on_alert(void *ud, const lg_alert_t *a) {
    rig_t *r = ud;
    r->alerts++;
    if (a->level == LG_ALERT_CRITICAL) {
        r->criticals++;
        size_t n = strlen(r->critical_text);
        snprintf(r->critical_text + n, sizeof r->critical_text - n, "%s; ", a->text);
    }
    if (r->verbose || (a->level >= LG_ALERT_ERROR && getenv("RIG_ALERTS") != NULL))
        fprintf(stderr, "alert %d: %s\n", (int)a->level, a->text);
}

static void rig_hook_frame(void *ud) {
    rig_t *r = ud;
    if (r->on_frame_read != NULL) r->on_frame_read(r->hook_ud);
}

static void rig_hook_request(void *ud, const lg_cmd_t *c) {
    rig_t *r = ud;
    if (r->on_request_written != NULL) r->on_request_written(r->hook_ud, c);
}

static void rig_nop(uv_timer_t *t) {
    (void)t;
}

/* Engine timings for a loopback exchange: seconds become a fraction of one. */
static void rig_engine_config(lg_engine_config_t *c) {
    lg_engine_config_default(c);
    c->max_groups = 64;
    c->max_orders = 4096;
    c->emergency_retry_ns = 200 * LG_NS_PER_MS;
    c->reversal_fill_ns = 1 * LG_NS_PER_S;
    c->order_silence_ns = 1 * LG_NS_PER_S;
    c->positions_check_ns = 200 * LG_NS_PER_MS;
    c->entry_timeout_ns = 15 * LG_NS_PER_S;
    c->risk.greeks.max_delta = 5000; /* room for the 100-lot spreads of the freeze tests */
    c->risk.greeks.max_vega = 200000;
}

/* Starts the simulator (seed), the port, the engine (cfg: NULL for rig_engine_config)
 * and the live shell with a journal at a fresh temporary path. 0 on success. */
static int rig_start(rig_t *r, uint64_t seed, const lg_engine_config_t *cfg, lg_durability_t dur) {
    if (uv_loop_init(&r->loop) != 0) return -1;
    uv_timer_init(&r->loop, &r->tick);
    uv_timer_start(&r->tick, rig_nop, 5, 5);
    lg_simd_config_t sc;
    lg_simd_config_default(&sc);
    sc.port = 0;
    sc.seed = seed;
    sc.api_key = "e2e_key";
    sc.access_token = "e2e_token";
    if (lg_simd_start(&r->loop, &sc, &r->sim) != LG_OK) return -2;
    char rest[64], ws[64];
    snprintf(rest, sizeof rest, "http://127.0.0.1:%d", lg_simd_port(r->sim));
    snprintf(ws, sizeof ws, "ws://127.0.0.1:%d/ws", lg_simd_port(r->sim));
    lg_port_config_t pc = {
        .loop = &r->loop, .rest_root = rest, .ws_root = ws, .api_key = "e2e_key",
        .access_token = "e2e_token", .master = lg_simd_master(r->sim),
        .on_event = rig_on_event, .on_alert = rig_on_alert, .ud = r,
        .reconnect_min_ns = 100 * LG_NS_PER_MS,
        .on_frame_read = r->on_frame_read ? rig_hook_frame : NULL,
        .on_request_written = r->on_request_written ? rig_hook_request : NULL,
        .hook_at_prereq = r->hook_at_prereq, .libcurl_only = r->libcurl_only,
    };
    if (lg_port_create(&pc, &r->port) != LG_OK) return -3;
    lg_engine_config_t ec;
    if (cfg != NULL) ec = *cfg;
    else rig_engine_config(&ec);
    uint64_t t0 = uv_hrtime();
    ec.clock_offset_ns = lg_live_unix_now();
    if (lg_engine_create(&ec, lg_simd_master(r->sim), &r->eng) != LG_OK) return -4;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(r->path, sizeof r->path, "%s/lg_e2e_%d_%p.db", tmp, (int)getpid(), (void *)r);
    unlink(r->path);
    char err[128];
    if (lg_store_open(r->path, dur, &r->store, err, sizeof err) != LG_OK) return -5;
    if (lg_store_save_setup(r->store, lg_simd_master(r->sim), &ec) != LG_OK) return -6;
    lg_live_config_t lc = {.loop = &r->loop, .engine = r->eng, .store = r->store,
                           .send = lg_port_send, .broker = r->port, .on_alert = rig_on_alert,
                           .ud = r, .t0_hrtime = t0};
    if (lg_live_create(&lc, &r->live) != LG_OK) return -7;
    return 0;
}

static void rig_stop(rig_t *r) {
    if (r->live != NULL) lg_live_close(r->live);
    if (r->port != NULL) lg_port_close(r->port);
    if (r->sim != NULL) lg_simd_stop(r->sim);
    uv_close((uv_handle_t *)&r->tick, NULL);
    for (int i = 0; i < 5000 && uv_run(&r->loop, UV_RUN_NOWAIT) != 0; i++) uv_sleep(1);
    uv_loop_close(&r->loop);
    if (r->store != NULL) lg_store_close(r->store);
    if (r->eng != NULL) lg_engine_destroy(r->eng);
    if (r->path[0]) {
        char p[128];
        unlink(r->path);
        snprintf(p, sizeof p, "%s-wal", r->path);
        unlink(p);
        snprintf(p, sizeof p, "%s-shm", r->path);
        unlink(p);
    }
}

/* Runs the loop until pred(r, arg) or ms pass; true when pred held. */
static bool rig_run_until(rig_t *r, bool (*pred)(rig_t *, const void *), const void *arg, int ms) {
    uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
    while (!pred(r, arg)) {
        if (uv_hrtime() > end) return false;
        uv_run(&r->loop, UV_RUN_ONCE);
    }
    return true;
}

static void rig_run_for(rig_t *r, int ms) {
    uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
    while (uv_hrtime() < end) uv_run(&r->loop, UV_RUN_ONCE);
}

/* Every instrument priced (options with a volatility) and a margin snapshot in. */
static bool rig_market_known(rig_t *r, const void *arg) {
    (void)arg;
    lg_risk_view_t v;
    lg_engine_risk(r->eng, &v);
    if (!v.margins_known) return false;
    const lg_instruments_t *m = lg_simd_master(r->sim);
    for (uint32_t i = 0; i < m->n; i++) {
        lg_paise_t ltp = 0;
        double iv = 0;
        lg_engine_price(r->eng, m->items[i].token, &ltp, &iv);
        if (ltp <= 0 || (m->items[i].kind != LG_KIND_FUT && !(iv > 0))) return false;
    }
    return true;
}

/* What a shell does before it trades: every instrument subscribed in full mode (the
 * risk engine prices each leg) and the margin snapshot fetched. 0 when both arrived. */
static int rig_prime(rig_t *r) {
    const lg_instruments_t *m = lg_simd_master(r->sim);
    uint32_t tokens[512], n = 0;
    for (uint32_t i = 0; i < m->n && n < 512; i++) tokens[n++] = m->items[i].token;
    if (lg_port_subscribe(r->port, tokens, n, LG_TICK_FULL) != LG_OK) return -8;
    lg_cmd_t q = {.kind = LG_CMD_QUERY_MARGINS, .risk_reducing = true};
    if (lg_port_send(r->port, &q) != LG_OK) return -9;
    return rig_run_until(r, rig_market_known, NULL, 5000) ? 0 : -10;
}

static bool rig_ticker_up(rig_t *r, const void *arg) {
    (void)arg;
    lg_port_stats_t s;
    lg_port_stats(r->port, &s);
    return s.ticker_up;
}

/* The simulator's NIFTY option at a strike (rupees), 0 when it lists none. */
static uint32_t rig_token(rig_t *r, lg_kind_t kind, int strike) {
    const lg_instruments_t *m = lg_simd_master(r->sim);
    for (uint32_t i = 0; i < m->n; i++) {
        const lg_instrument_t *in = &m->items[i];
        if (strcmp(in->underlying, "NIFTY") == 0 && in->kind == kind &&
            in->strike == (lg_paise_t)strike * 100)
            return in->token;
    }
    return 0;
}

#endif
