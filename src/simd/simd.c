/*
 * simd.c — `legato sim`'s lifecycle and its pump. The model runs in virtual time; here
 * virtual time is wall time since start (uv_hrtime), so the model's latencies are real
 * delays. The pump timer fires at the model's next event time, polls everything due,
 * and hands each event out: place answers to their waiting requests, order updates
 * to the ticker as text frames (and into the order's history), ticks to subscribers.
 * Fills are read from the model's fill ring after every pump (trades, positions).
 */
#include "simd_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void lg_simd_config_default(lg_simd_config_t *c) {
    LG_ASSERT(c != NULL);
    memset(c, 0, sizeof *c);
    c->host = "127.0.0.1";
    c->port = 8765;
    c->seed = 1;
    c->api_key = "legato_sim";
    c->access_token = "legato_sim_token";
    lg_sim_knobs_default(&c->knobs);
    c->knobs.tick_interval_ns = 500 * LG_NS_PER_MS;
    c->knobs.option_tick_every = 2; /* options once a second, as Kite sends them */
    c->opening_balance = 10000000LL * 100; /* ₹1 crore */
    c->max_orders = 20000;
}

lg_ns_t lg_simd_now(const lg_simd_t *d) {
    return (lg_ns_t)(uv_hrtime() - d->t0);
}

int64_t lg_simd_unix_s(const lg_simd_t *d, lg_ns_t t) {
    return (d->unix0 + t) / LG_NS_PER_S;
}

uint32_t lg_simd_index(const lg_simd_t *d, uint32_t token) {
    const lg_instrument_t *in = lg_instruments_find(&d->master, token);
    return in == NULL ? UINT32_MAX : (uint32_t)(in - d->master.items);
}

/* ---- the pump ------------------------------------------------------------------------ */

static void on_pump(uv_timer_t *t);

static void arm(lg_simd_t *d) {
    if (d->stopping) return;
    lg_ns_t next = lg_sim_next_time(d->sim);
    if (next == INT64_MAX) {
        uv_timer_stop(&d->pump_timer);
        return;
    }
    lg_ns_t now = lg_simd_now(d);
    uint64_t ms = next <= now ? 0 : (uint64_t)((next - now + LG_NS_PER_MS - 1) / LG_NS_PER_MS);
    uv_timer_start(&d->pump_timer, on_pump, ms, 0);
}

static void hand_out(lg_simd_t *d, const lg_event_t *ev) {
    switch (ev->kind) {
    case LG_EV_ORDER_ACK:
    case LG_EV_ORDER_ERROR:
        lg_simd_on_answer(d, ev);
        break;
    case LG_EV_ORDER_UPDATE:
        lg_simd_on_update(d, &ev->u.update);
        break;
    case LG_EV_TICK:
        lg_simd_mark(d, ev->u.tick.token, ev->u.tick.ltp);
        lg_simd_ws_tick(d, ev->u.tick.token);
        break;
    default: /* positions snapshots: answered synchronously by REST instead */
        break;
    }
}

static void read_fills(lg_simd_t *d) {
    uint64_t n = lg_sim_fill_count(d->sim);
    for (uint32_t i = 0; d->fills_seen < n && i < LG_SIM_FILL_RING; i++) {
        lg_sim_fill_t f;
        if (lg_sim_fill(d->sim, d->fills_seen, &f) == LG_OK) lg_simd_on_fill(d, &f);
        d->fills_seen++;
    }
    d->fills_seen = n; /* more than a ring behind: the rest are gone (never at a pump's pace) */
}

static void pump(lg_simd_t *d) {
    lg_ns_t now = lg_simd_now(d);
    lg_event_t ev;
    for (uint32_t i = 0; i < SIMD_PUMP_MAX && lg_sim_poll(d->sim, now, &ev) == 1; i++) {
        hand_out(d, &ev);
        if (i % 64 == 63) read_fills(d);
    }
    read_fills(d);
    arm(d);
}

static void on_pump(uv_timer_t *t) {
    pump(t->data);
}

void lg_simd_kick(lg_simd_t *d) {
    read_fills(d); /* a request may have filled at once */
    arm(d);
}

static void on_beat(uv_timer_t *t) {
    lg_simd_ws_beat(t->data);
}

/* ---- the market -------------------------------------------------------------------------- */

/* The next Tuesday at least `min_days` after today (NSE index options expire on
 * Tuesdays); `monthly`: the last Tuesday of that month. */
static int32_t expiry_after(int32_t today, int32_t min_days, bool monthly) {
    int32_t d = today + min_days;
    while ((d + 4) % 7 != 2) d++; /* 1970-01-01 was a Thursday: (d + 4) % 7 is the weekday */
    if (!monthly) return d;
    int y, m, dd, y2, m2, d2;
    lg_civil_from_days(d, &y, &m, &dd);
    for (int i = 0; i < 6; i++) {
        lg_civil_from_days(d + 7, &y2, &m2, &d2);
        if (m2 != m) break;
        d += 7;
    }
    return d;
}

static int make_market(lg_simd_t *d) {
    int32_t today = (int32_t)(d->unix0 / LG_NS_PER_S / 86400);
    int a = lg_sim_add_underlying(d->sim, "NIFTY", 26000.0, 50.0, 41, expiry_after(today, 2, false),
                                  65, 1800, 0.13);
    int b = lg_sim_add_underlying(d->sim, "BANKNIFTY", 59000.0, 100.0, 41,
                                  expiry_after(today, 7, true), 30, 600, 0.15);
    if (a < 0) return a;
    if (b < 0) return b;
    d->und_nifty = a;
    d->und_bank = b;
    lg_simd_name_contracts(&d->master);
    return LG_OK;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void on_ws_close(void *ud, lg_http_conn_t *c) {
    lg_simd_t *d = ud;
    lg_simd_conn_gone(d, c);
    lg_simd_ws_gone(d, c);
}

static int alloc_all(lg_simd_t *d) {
    d->orders = calloc(d->cfg.max_orders, sizeof *d->orders);
    d->trades = calloc(SIMD_MAX_TRADES, sizeof *d->trades);
    d->pos = calloc(256, sizeof *d->pos);
    d->ohlc = calloc(256, sizeof *d->ohlc);
    if (d->orders == NULL || d->trades == NULL || d->pos == NULL || d->ohlc == NULL)
        return LG_ENOSPACE;
    return lg_instruments_init(&d->master, 256);
}

static void free_all(lg_simd_t *d) {
    if (d->sim != NULL) lg_sim_destroy(d->sim);
    lg_instruments_free(&d->master);
    free(d->orders);
    free(d->trades);
    free(d->pos);
    free(d->ohlc);
    free(d);
}

static int create_model(lg_simd_t *d) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    d->unix0 = (lg_ns_t)ts.tv_sec * LG_NS_PER_S + ts.tv_nsec;
    d->t0 = uv_hrtime();
    lg_sim_config_t sc = {.seed = d->cfg.seed, .max_orders = d->cfg.max_orders,
                          .max_pending = d->cfg.max_orders * 8 + 4096, .knobs = d->cfg.knobs,
                          .clock_offset_ns = d->unix0};
    int rc = lg_sim_create(&sc, &d->master, &d->sim);
    return rc == LG_OK ? make_market(d) : rc;
}

int lg_simd_start(uv_loop_t *loop, const lg_simd_config_t *cfg, lg_simd_t **out) {
    LG_ASSERT(loop != NULL && cfg != NULL && out != NULL);
    LG_ASSERT(cfg->host != NULL && cfg->api_key != NULL && cfg->access_token != NULL);
    if (cfg->max_orders == 0 || strlen(cfg->api_key) >= 64 || strlen(cfg->access_token) >= 128)
        return LG_EINVAL;
    lg_simd_t *d = calloc(1, sizeof *d);
    if (d == NULL) return LG_ENOSPACE;
    d->cfg = *cfg;
    d->loop = loop;
    lg_strlcpy(d->api_key, cfg->api_key, sizeof d->api_key);
    lg_strlcpy(d->access_token, cfg->access_token, sizeof d->access_token);
    snprintf(d->auth, sizeof d->auth, "token %s:%s", d->api_key, d->access_token);
    d->cfg.api_key = d->api_key;
    d->cfg.access_token = d->access_token;
    int rc = alloc_all(d);
    if (rc == LG_OK) rc = create_model(d);
    lg_httpd_cbs_t cbs = {.on_request = lg_simd_on_request, .on_ws_open = lg_simd_ws_open,
                          .on_ws_message = lg_simd_ws_message, .on_close = on_ws_close};
    if (rc == LG_OK) rc = lg_httpd_start(loop, cfg->host, cfg->port, &cbs, d, &d->http);
    if (rc != LG_OK) {
        free_all(d);
        return rc;
    }
    uv_timer_init(loop, &d->pump_timer);
    uv_timer_init(loop, &d->beat_timer);
    d->pump_timer.data = d;
    d->beat_timer.data = d;
    d->n_handles = 2;
    uv_timer_start(&d->pump_timer, on_pump, 0, 0);
    uv_timer_start(&d->beat_timer, on_beat, 1000, 1000);
    *out = d;
    return LG_OK;
}

int lg_simd_port(const lg_simd_t *d) {
    return lg_httpd_port(d->http);
}

static void on_closed(uv_handle_t *h) {
    lg_simd_t *d = h->data;
    if (--d->n_handles == 0) free_all(d);
}

void lg_simd_stop(lg_simd_t *d) {
    LG_ASSERT(d != NULL && !d->stopping);
    d->stopping = true;
    lg_httpd_stop(d->http);
    uv_close((uv_handle_t *)&d->pump_timer, on_closed);
    uv_close((uv_handle_t *)&d->beat_timer, on_closed);
}

lg_sim_t *lg_simd_model(lg_simd_t *d) {
    return d->sim;
}

const lg_instruments_t *lg_simd_master(const lg_simd_t *d) {
    return &d->master;
}
