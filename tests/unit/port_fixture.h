/*
 * port_fixture.h — the broker port tests' shared rig: a libuv loop, an in-process
 * `legato sim`, the port under test recording every event and alert, and the helpers
 * that wait for them (test_port.c, test_port_wire.c).
 */
#ifndef LEGATO_TEST_PORT_FIXTURE_H
#define LEGATO_TEST_PORT_FIXTURE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "legato/port.h"
#include "legato/simd.h"
#include "legato/tag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EV 4096

typedef struct fixture {
    uv_loop_t loop;
    lg_simd_t *sim;
    lg_port_t *port;
    uv_tcp_t silent;        /* accepts, never answers */
    uv_tcp_t silent_conn[8];  /* the order connections and libcurl's */
    uint32_t n_silent;
    uv_timer_t tick;        /* keeps UV_RUN_ONCE returning */
    lg_instruments_t master; /* the port's own copy: it outlives a simulator's restart */
    lg_event_t ev[MAX_EV];
    uint32_t n_ev;
    lg_alert_t alerts[256];
    uint32_t n_alerts;
    char rest[64], ws[64];
    bool libcurl_only;       /* the port's options for the next start_port */
    uint32_t order_conns;
    lg_ns_t conn_idle_ns;
    const char *ca_file;
} fixture_t;

static inline void on_event(void *ud, const lg_event_t *ev) {
    fixture_t *f = ud;
    assert_true(f->n_ev < MAX_EV);
    f->ev[f->n_ev++] = *ev;
}

static inline void on_alert(void *ud, const lg_alert_t *a) {
    fixture_t *f = ud;
    if (f->n_alerts < 256) f->alerts[f->n_alerts++] = *a;
}

static inline void on_tick(uv_timer_t *t) {
    (void)t;
}

static inline void start_sim(fixture_t *f, const lg_sim_knobs_t *knobs) {
    lg_simd_config_t c;
    lg_simd_config_default(&c);
    c.port = 0;
    c.seed = 5;
    c.api_key = "pkey";
    c.access_token = "ptoken";
    if (knobs != NULL) c.knobs = *knobs;
    c.knobs.tick_interval_ns = 200 * LG_NS_PER_MS;
    assert_int_equal(lg_simd_start(&f->loop, &c, &f->sim), LG_OK);
    snprintf(f->rest, sizeof f->rest, "http://127.0.0.1:%d", lg_simd_port(f->sim));
    snprintf(f->ws, sizeof f->ws, "ws://127.0.0.1:%d/ws", lg_simd_port(f->sim));
}

static inline void start_port(fixture_t *f, const char *rest, const char *ws, const char *token,
                       const lg_rate_config_t *rate, lg_ns_t timeout) {
    const lg_instruments_t *m = lg_simd_master(f->sim);
    assert_int_equal(lg_instruments_init(&f->master, m->n), LG_OK);
    for (uint32_t i = 0; i < m->n; i++)
        assert_int_equal(lg_instruments_add(&f->master, &m->items[i]), LG_OK);
    lg_port_config_t pc = {
        .loop = &f->loop, .rest_root = rest, .ws_root = ws, .api_key = "pkey",
        .access_token = token, .master = &f->master, .on_event = on_event,
        .on_alert = on_alert, .ud = f, .request_timeout_ns = timeout,
        .reconnect_min_ns = 100 * LG_NS_PER_MS, .libcurl_only = f->libcurl_only,
        .tls_ca_file = f->ca_file, .order_conns = f->order_conns,
        .conn_idle_ns = f->conn_idle_ns,
    };
    if (rate != NULL) pc.rate = *rate;
    assert_int_equal(lg_port_create(&pc, &f->port), LG_OK);
}

static inline int setup(void **state) {
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    uv_loop_init(&f->loop);
    uv_timer_init(&f->loop, &f->tick);
    uv_timer_start(&f->tick, on_tick, 5, 5);
    *state = f;
    return 0;
}

static inline int teardown(void **state) {
    fixture_t *f = *state;
    if (f->port != NULL) lg_port_close(f->port);
    if (f->sim != NULL) lg_simd_stop(f->sim);
    uv_close((uv_handle_t *)&f->tick, NULL);
    if (f->silent.data != NULL) uv_close((uv_handle_t *)&f->silent, NULL);
    for (uint32_t i = 0; i < f->n_silent; i++) uv_close((uv_handle_t *)&f->silent_conn[i], NULL);
    for (int i = 0; i < 2000 && uv_run(&f->loop, UV_RUN_NOWAIT) != 0; i++) uv_sleep(1);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    if (f->master.items != NULL) lg_instruments_free(&f->master);
    free(f);
    return 0;
}

/* Runs the loop until pred holds (true) or ms pass (false). */
static inline bool run_until(fixture_t *f, bool (*pred)(fixture_t *, const void *), const void *arg,
                      int ms) {
    uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
    while (!pred(f, arg)) {
        if (uv_hrtime() > end) return false;
        uv_run(&f->loop, UV_RUN_ONCE);
    }
    return true;
}

static inline const lg_event_t *find(fixture_t *f, lg_ev_kind_t kind, const char *tag) {
    for (uint32_t i = 0; i < f->n_ev; i++) {
        const lg_event_t *e = &f->ev[i];
        if (e->kind != kind) continue;
        const char *t = kind == LG_EV_ORDER_ACK      ? e->u.ack.tag
                        : kind == LG_EV_ORDER_ERROR  ? e->u.error.tag
                        : kind == LG_EV_ORDER_UPDATE ? e->u.update.tag
                                                     : "";
        if (tag == NULL || strcmp(t, tag) == 0) return e;
    }
    return NULL;
}

typedef struct want {
    lg_ev_kind_t kind;
    const char *tag;
    int status; /* updates: wait for this status (0: any) */
} want_t;

static inline bool has(fixture_t *f, const void *arg) {
    const want_t *w = arg;
    for (uint32_t i = 0; i < f->n_ev; i++) {
        const lg_event_t *e = &f->ev[i];
        if (e->kind != w->kind) continue;
        if (w->kind == LG_EV_ORDER_UPDATE &&
            ((w->tag && strcmp(e->u.update.tag, w->tag) != 0) ||
             (w->status && (int)e->u.update.status != w->status)))
            continue;
        if (w->kind != LG_EV_ORDER_UPDATE && find(f, w->kind, w->tag) == NULL) continue;
        return true;
    }
    return false;
}

static inline bool wait_for(fixture_t *f, lg_ev_kind_t kind, const char *tag, int status, int ms) {
    want_t w = {kind, tag, status};
    return run_until(f, has, &w, ms);
}

static inline uint32_t option_token(fixture_t *f, int offset_strikes, lg_kind_t kind) {
    const lg_instruments_t *m = lg_simd_master(f->sim);
    uint32_t n = 0, idx[128];
    for (uint32_t i = 0; i < m->n && n < 128; i++)
        if (strcmp(m->items[i].underlying, "NIFTY") == 0 && m->items[i].kind == kind) idx[n++] = i;
    assert_true(n > 0);
    /* the chain is listed by strike: the middle one is at the money */
    for (uint32_t a = 0; a < n; a++)
        for (uint32_t b = a + 1; b < n; b++)
            if (m->items[idx[b]].strike < m->items[idx[a]].strike) {
                uint32_t t = idx[a];
                idx[a] = idx[b];
                idx[b] = t;
            }
    int k = (int)n / 2 + offset_strikes;
    assert_true(k >= 0 && k < (int)n);
    return m->items[idx[k]].token;
}

static inline void tag_of(uint32_t group, uint8_t leg, char purpose, char *out) {
    lg_tag_t t = {.group = group, .leg = leg, .child = 0, .purpose = (uint8_t)purpose, .attempt = 0};
    assert_int_equal(lg_tag_encode(&t, out, LG_TAG_MAX + 1), LG_OK);
}

static inline lg_cmd_t place(uint32_t token, int side, lg_qty_t qty, const char *tag) {
    lg_cmd_t c = {.kind = LG_CMD_PLACE, .token = token, .side = (int8_t)side, .qty = qty,
                  .otype = LG_OT_MARKET, .mprot_pct = 5};
    lg_strlcpy(c.tag, tag, sizeof c.tag);
    return c;
}


/* Sends a MARKET buy of one lot of the call a strike above the money, tagged (group, leg). */
static inline void send_place(fixture_t *f, uint32_t group, uint8_t leg, char *tag) {
    tag_of(group, leg, 'E', tag);
    lg_cmd_t c = place(option_token(f, 1, LG_KIND_CE), +1, 65, tag);
    assert_int_equal(lg_port_send(f->port, &c), LG_OK);
}

static inline lg_port_stats_t stats(fixture_t *f) {
    lg_port_stats_t s;
    lg_port_stats(f->port, &s);
    return s;
}

static inline bool idle_port(fixture_t *f, const void *arg) {
    (void)arg;
    lg_port_stats_t s = stats(f);
    return s.inflight == 0 && s.waiting == 0;
}


#endif
