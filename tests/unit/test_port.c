/*
 * test_port.c — the broker port (port.h) against an in-process `legato sim` on the same
 * libuv loop, over loopback: places are acknowledged and fill (updates through the
 * ticker), the exchange's refusals come back as definitive errors, cancels and
 * look-ups by tag and by id, positions; an answer that never comes (a server that
 * accepts and stays silent) and the simulator's 504 are unknown outcomes, never resent;
 * Kite's 429 is waited out and nothing is lost; TokenException halts (a KILL for the
 * engine, requests held) until a new token; a full queue refuses; the ticker's
 * reconnect fetches the order book; circuit bands come from GET /quote in batches; a
 * basket margin query answers with the spread benefit, or with none and the reason.
 */
#include "port_fixture.h"

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_place_ack_fill(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    start_port(f, f->rest, f->ws, "ptoken", NULL, 0);
    assert_true(wait_for(f, LG_EV_CONNECTION, NULL, 0, 3000));
    char tag[LG_TAG_MAX + 1];
    tag_of(1, 0, 'E', tag);
    lg_cmd_t c = place(option_token(f, -2, LG_KIND_PE), +1, 65, tag);
    assert_int_equal(lg_port_send(f->port, &c), LG_OK);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, tag, 0, 3000));
    const lg_event_t *ack = find(f, LG_EV_ORDER_ACK, tag);
    assert_true(ack->u.ack.broker_id[0] != '\0');
    /* the fill arrives as an order frame on the ticker */
    assert_true(wait_for(f, LG_EV_ORDER_UPDATE, tag, LG_KS_COMPLETE, 5000));
    lg_port_stats_t s;
    lg_port_stats(f->port, &s);
    assert_int_equal(s.acks, 1);
    assert_true(s.order_frames >= 1);
    /* positions: the long put is there */
    lg_cmd_t q = {.kind = LG_CMD_QUERY_POSITIONS};
    assert_int_equal(lg_port_send(f->port, &q), LG_OK);
    assert_true(wait_for(f, LG_EV_POSITIONS, NULL, 0, 3000));
    const lg_event_t *pe = find(f, LG_EV_POSITIONS, NULL);
    assert_int_equal(pe->u.positions.n, 1);
    /* look-ups: by id (the order's history) and by tag (the day's book) */
    lg_cmd_t by_id = {.kind = LG_CMD_QUERY_ORDER};
    lg_strlcpy(by_id.tag, tag, sizeof by_id.tag);
    lg_strlcpy(by_id.broker_id, ack->u.ack.broker_id, sizeof by_id.broker_id);
    lg_cmd_t by_tag = by_id;
    by_tag.broker_id[0] = '\0';
    uint32_t before = f->n_ev;
    assert_int_equal(lg_port_send(f->port, &by_id), LG_OK);
    assert_int_equal(lg_port_send(f->port, &by_tag), LG_OK);
    uint32_t found = 0;
    for (int i = 0; i < 400 && found < 2; i++) {
        uv_run(&f->loop, UV_RUN_ONCE);
        found = 0;
        for (uint32_t k = before; k < f->n_ev; k++)
            if (f->ev[k].kind == LG_EV_ORDER_UPDATE && f->ev[k].u.update.status == LG_KS_COMPLETE &&
                strcmp(f->ev[k].u.update.tag, tag) == 0)
                found++;
    }
    assert_true(found >= 2);
}

static void test_refusals_definitive(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    start_port(f, f->rest, NULL, "ptoken", NULL, 0);
    char t1[LG_TAG_MAX + 1], t2[LG_TAG_MAX + 1], t3[LG_TAG_MAX + 1];
    tag_of(2, 0, 'E', t1);
    tag_of(2, 1, 'E', t2);
    tag_of(2, 2, 'E', t3);
    uint32_t tok = option_token(f, 0, LG_KIND_CE);
    lg_cmd_t big = place(tok, +1, 65 * 40, t1); /* above the freeze quantity (1800) */
    assert_int_equal(lg_port_send(f->port, &big), LG_OK);
    assert_true(wait_for(f, LG_EV_ORDER_ERROR, t1, 0, 3000));
    const lg_event_t *e = find(f, LG_EV_ORDER_ERROR, t1);
    assert_true(e->u.error.definitive);
    assert_int_equal(e->u.error.http_status, 400);
    assert_non_null(strstr(e->u.error.message, "freeze"));
    /* the exchange rejects after the ack: REJECTED comes as an update */
    lg_sim_reject_after(lg_simd_model(f->sim), tok, LG_SIM_REJ_RMS, 0, 1);
    lg_cmd_t r = place(tok, -1, 65, t2);
    assert_int_equal(lg_port_send(f->port, &r), LG_OK);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, t2, 0, 3000) ||
                wait_for(f, LG_EV_ORDER_ERROR, t2, 0, 10));
    /* what the form refuses never leaves */
    lg_cmd_t nomp = place(tok, +1, 65, t3);
    nomp.mprot_pct = 0;
    assert_int_equal(lg_port_send(f->port, &nomp), LG_EINVAL);
    lg_cmd_t unknown = place(12345, +1, 65, t3);
    assert_int_equal(lg_port_send(f->port, &unknown), LG_EINSTRUMENT);
    lg_cmd_t cancel = {.kind = LG_CMD_CANCEL};
    lg_strlcpy(cancel.tag, t3, sizeof cancel.tag);
    assert_int_equal(lg_port_send(f->port, &cancel), LG_EINVAL); /* no broker id */
}

static void on_silent_conn(uv_stream_t *srv, int status) {
    fixture_t *f = srv->data;
    assert_int_equal(status, 0);
    assert_true(f->n_silent < 8);
    uv_tcp_t *c = &f->silent_conn[f->n_silent++];
    uv_tcp_init(&f->loop, c);
    assert_int_equal(uv_accept(srv, (uv_stream_t *)c), 0); /* and never read or answer */
}

static void test_timeout_unknown(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    uv_tcp_init(&f->loop, &f->silent);
    f->silent.data = f;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_tcp_bind(&f->silent, (const struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&f->silent, 8, on_silent_conn), 0);
    int len = sizeof a;
    uv_tcp_getsockname(&f->silent, (struct sockaddr *)&a, &len);
    char root[64];
    snprintf(root, sizeof root, "http://127.0.0.1:%d", ntohs(a.sin_port));
    start_port(f, root, NULL, "ptoken", NULL, 300 * LG_NS_PER_MS);
    char tag[LG_TAG_MAX + 1];
    tag_of(3, 0, 'E', tag);
    lg_cmd_t c = place(option_token(f, 1, LG_KIND_CE), +1, 65, tag);
    uint64_t t0 = uv_hrtime();
    assert_int_equal(lg_port_send(f->port, &c), LG_OK);
    assert_true(wait_for(f, LG_EV_ORDER_ERROR, tag, 0, 3000));
    uint64_t waited = uv_hrtime() - t0;
    const lg_event_t *e = find(f, LG_EV_ORDER_ERROR, tag);
    assert_false(e->u.error.definitive); /* unknown: the engine looks it up by tag */
    assert_int_equal(e->u.error.http_status, 0);
    assert_true(waited >= 250u * 1000000u);
    /* never resent on its own: one connection, one request */
    for (int i = 0; i < 50; i++) uv_run(&f->loop, UV_RUN_ONCE);
    lg_port_stats_t s;
    lg_port_stats(f->port, &s);
    assert_int_equal(s.requests, 1);
    assert_int_equal(s.unknown_outcomes, 1);
}

static void test_504_unknown(void **state) {
    fixture_t *f = *state;
    lg_sim_knobs_t k;
    lg_sim_knobs_default(&k);
    k.p_unknown_send = 1.0;
    start_sim(f, &k);
    start_port(f, f->rest, NULL, "ptoken", NULL, 0);
    char tag[LG_TAG_MAX + 1];
    send_place(f, 4, 0, tag);
    assert_true(wait_for(f, LG_EV_ORDER_ERROR, tag, 0, 3000));
    const lg_event_t *e = find(f, LG_EV_ORDER_ERROR, tag);
    assert_false(e->u.error.definitive);
    assert_int_equal(e->u.error.http_status, 504);
}

static void test_429_backoff_nothing_lost(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    lg_rate_config_t r;
    lg_rate_config_default(&r);
    r.orders_per_second = 30; /* looser than Kite: the simulator answers 429 */
    r.orders_per_minute = 1000;
    start_port(f, f->rest, NULL, "ptoken", &r, 0);
    uint32_t tok = option_token(f, -3, LG_KIND_PE);
    char tags[20][LG_TAG_MAX + 1];
    for (int i = 0; i < 20; i++) {
        tag_of(10 + (uint32_t)i, 0, 'E', tags[i]);
        lg_cmd_t c = place(tok, +1, 65, tags[i]);
        assert_int_equal(lg_port_send(f->port, &c), LG_OK);
    }
    for (int i = 0; i < 20; i++) assert_true(wait_for(f, LG_EV_ORDER_ACK, tags[i], 0, 15000));
    lg_port_stats_t s;
    lg_port_stats(f->port, &s);
    assert_true(s.rate_429 >= 1);
    assert_int_equal(s.acks, 20);
    assert_null(find(f, LG_EV_ORDER_ERROR, NULL));
}

static void test_token_halts(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    start_port(f, f->rest, NULL, "stale", NULL, 0);
    char t1[LG_TAG_MAX + 1], t2[LG_TAG_MAX + 1];
    tag_of(5, 0, 'E', t1);
    tag_of(5, 1, 'E', t2);
    uint32_t tok = option_token(f, 2, LG_KIND_CE);
    lg_cmd_t c1 = place(tok, +1, 65, t1);
    assert_int_equal(lg_port_send(f->port, &c1), LG_OK);
    assert_true(wait_for(f, LG_EV_CONNECTION, NULL, 0, 3000));
    const lg_event_t *k = find(f, LG_EV_CONNECTION, NULL); /* the engine's kill switch */
    assert_true(k->u.connection.session_lost && !k->u.connection.up);
    const lg_event_t *e = find(f, LG_EV_ORDER_ERROR, t1);
    assert_non_null(e);
    assert_true(e->u.error.definitive);
    bool critical = false;
    for (uint32_t i = 0; i < f->n_alerts; i++)
        critical |= f->alerts[i].level == LG_ALERT_CRITICAL &&
                    strstr(f->alerts[i].text, "access token") != NULL &&
                    strstr(f->alerts[i].text, "stale") == NULL; /* never the token */
    assert_true(critical);
    /* held, not sent, not lost */
    lg_cmd_t c2 = place(tok, +1, 65, t2);
    assert_int_equal(lg_port_send(f->port, &c2), LG_OK);
    for (int i = 0; i < 30; i++) uv_run(&f->loop, UV_RUN_ONCE);
    lg_port_stats_t s;
    lg_port_stats(f->port, &s);
    assert_true(s.halted);
    assert_int_equal(s.waiting, 1);
    assert_null(find(f, LG_EV_ORDER_ACK, t2));
    assert_int_equal(lg_port_set_token(f->port, "ptoken"), LG_OK);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, t2, 0, 3000));
}

static void test_queue_full_refuses(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    lg_rate_config_t r;
    lg_rate_config_default(&r);
    r.queue_cap = 4;
    start_port(f, f->rest, NULL, "stale", &r, 0);
    /* halted first (a stale token), so that nothing drains the queue */
    char tag[LG_TAG_MAX + 1];
    tag_of(6, 0, 'E', tag);
    uint32_t tok = option_token(f, 2, LG_KIND_CE);
    lg_cmd_t c = place(tok, +1, 65, tag);
    assert_int_equal(lg_port_send(f->port, &c), LG_OK);
    assert_true(wait_for(f, LG_EV_CONNECTION, NULL, 0, 3000));
    int ok = 0, full = 0;
    for (int i = 0; i < 6; i++) {
        tag_of(6, 1, 'E', tag);
        c = place(tok, +1, 65, tag);
        int rc = lg_port_send(f->port, &c);
        ok += rc == LG_OK;
        full += rc == LG_EPOOL_FULL;
    }
    assert_int_equal(ok, 4);
    assert_int_equal(full, 2);
}



/* The port's counters, as the waits below read them (arg: a threshold, or NULL). */

static bool heartbeats(fixture_t *f, const void *arg) {
    (void)arg;
    return stats(f).heartbeats >= 1;
}

static bool reconnected(fixture_t *f, const void *arg) {
    (void)arg;
    lg_port_stats_t s = stats(f);
    return s.ticker_connects >= 2 && s.book_fetches >= 1 && s.inflight == 0 && s.waiting == 0;
}

static bool ticks_after(fixture_t *f, const void *arg) {
    return stats(f).ticks > *(const uint64_t *)arg;
}

static void test_ticker_heartbeats(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    start_port(f, f->rest, f->ws, "ptoken", NULL, 0);
    assert_true(wait_for(f, LG_EV_CONNECTION, NULL, 0, 3000));
    assert_true(run_until(f, heartbeats, NULL, 4000)); /* 1 byte after each idle second */
    lg_port_stats_t s;
    lg_port_stats(f->port, &s);
    assert_true(s.ticker_up);
    assert_int_equal(s.ticker_connects, 1);
    assert_int_equal(s.ticks, 0); /* nothing subscribed */
}

static void test_ticker_refused_halts(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    start_port(f, f->rest, f->ws, "stale", NULL, 0);
    assert_true(wait_for(f, LG_EV_CONNECTION, NULL, 0, 3000));
    bool lost = false; /* the ticker's own "down" comes first */
    for (uint32_t i = 0; i < f->n_ev; i++)
        lost = lost || (f->ev[i].kind == LG_EV_CONNECTION && f->ev[i].u.connection.session_lost);
    assert_true(lost);
    for (int i = 0; i < 100; i++) uv_run(&f->loop, UV_RUN_ONCE); /* ~0.5 s: no retries */
    lg_port_stats_t s;
    lg_port_stats(f->port, &s);
    assert_true(s.halted);
    assert_int_equal(s.ticker_connects, 0);
    for (uint32_t i = 0; i < f->n_ev; i++) /* no ticker ever came up */
        assert_false(f->ev[i].kind == LG_EV_CONNECTION && f->ev[i].u.connection.up);
    uint32_t before = f->n_ev;
    /* a fresh token: the ticker connects */
    assert_int_equal(lg_port_set_token(f->port, "ptoken"), LG_OK);
    assert_true(wait_for(f, LG_EV_CONNECTION, NULL, 0, 3000));
    bool up = false;
    for (uint32_t i = 0; i < 200 && !up; i++) {
        uv_run(&f->loop, UV_RUN_ONCE);
        for (uint32_t k = before; k < f->n_ev; k++)
            up = up || (f->ev[k].kind == LG_EV_CONNECTION && f->ev[k].u.connection.up);
    }
    assert_true(up);
}



/* The exchange goes away and comes back: the ticker reconnects, subscribes again, and the
 * order book fetched after the reconnect brings the update sent while it was down. */
static void test_ticker_reconnect_fetches_book(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    int port = lg_simd_port(f->sim);
    start_port(f, f->rest, f->ws, "ptoken", NULL, 0);
    assert_true(wait_for(f, LG_EV_CONNECTION, NULL, 0, 3000));
    uint32_t tok = option_token(f, 0, LG_KIND_CE);
    assert_int_equal(lg_port_subscribe(f->port, &tok, 1, LG_TICK_FULL), LG_OK);
    uint64_t none = 0;
    assert_true(run_until(f, ticks_after, &none, 3000));
    /* the exchange restarts on the same port */
    lg_simd_stop(f->sim);
    f->sim = NULL;
    lg_simd_config_t c;
    lg_simd_config_default(&c);
    c.port = port;
    c.seed = 5;
    c.api_key = "pkey";
    c.access_token = "ptoken";
    c.knobs.tick_interval_ns = 200 * LG_NS_PER_MS;
    for (int i = 0; i < 20 && uv_run(&f->loop, UV_RUN_NOWAIT) >= 0 && f->sim == NULL; i++)
        if (lg_simd_start(&f->loop, &c, &f->sim) != LG_OK) f->sim = NULL;
    assert_non_null(f->sim);
    /* placed at once over REST, while the ticker is still waiting to reconnect */
    char tag[LG_TAG_MAX + 1];
    tag_of(7, 0, 'E', tag);
    lg_cmd_t o = place(tok, +1, 65, tag);
    assert_int_equal(lg_port_send(f->port, &o), LG_OK);
    assert_true(run_until(f, reconnected, NULL, 5000));
    assert_true(wait_for(f, LG_EV_ORDER_UPDATE, tag, 0, 3000));
    lg_port_stats_t s;
    lg_port_stats(f->port, &s);
    assert_true(s.book_orders >= 1 || s.order_frames >= 1);
    assert_int_equal(s.ticker_disconnects, 1);
    uint64_t before = s.ticks;
    assert_true(run_until(f, ticks_after, &before, 3000)); /* subscribed again */
    uint32_t downs = 0, ups = 0;
    for (uint32_t i = 0; i < f->n_ev; i++)
        if (f->ev[i].kind == LG_EV_CONNECTION) {
            if (f->ev[i].u.connection.up) ups++;
            else downs++;
        }
    assert_int_equal(ups, 2);
    assert_int_equal(downs, 1);
}


/* Kite allows 25 modifications of an order: the port sends 25 and refuses the 26th. */
static void test_modify_limit(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    start_port(f, f->rest, NULL, "ptoken", NULL, 0);
    char tag[LG_TAG_MAX + 1];
    tag_of(8, 0, 'E', tag);
    uint32_t tok = option_token(f, -4, LG_KIND_PE);
    lg_cmd_t c = place(tok, +1, 65, tag);
    lg_paise_t lo = 0, hi = 0;
    assert_int_equal(lg_sim_band(lg_simd_model(f->sim), tok, &lo, &hi), LG_OK);
    lo = (lo + 4) / 5 * 5 + 5; /* at the bottom of the circuit band: it rests open */
    c.otype = LG_OT_LIMIT;
    c.price = lo;
    c.mprot_pct = 0;
    assert_int_equal(lg_port_send(f->port, &c), LG_OK);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, tag, 0, 3000));
    lg_cmd_t m = {.kind = LG_CMD_MODIFY, .otype = LG_OT_LIMIT, .qty = 65};
    lg_strlcpy(m.tag, tag, sizeof m.tag);
    lg_strlcpy(m.broker_id, find(f, LG_EV_ORDER_ACK, tag)->u.ack.broker_id, sizeof m.broker_id);
    uint32_t alerts = f->n_alerts;
    for (int i = 0; i < 25; i++) {
        m.price = lo + 5 * (i % 2);
        assert_int_equal(lg_port_send(f->port, &m), LG_OK);
    }
    assert_int_equal(lg_port_send(f->port, &m), LG_ERANGE);
    assert_true(f->n_alerts > alerts); /* the refusal is alerted */
    assert_non_null(strstr(f->alerts[f->n_alerts - 1].text, "25 modifications"));
    alerts = f->n_alerts;
    assert_true(run_until(f, idle_port, NULL, 10000)); /* 25 at 10 a second */
    /* every one accepted by the exchange (a 429 on the way is waited out and sent again) */
    for (uint32_t i = alerts; i < f->n_alerts; i++)
        if (strstr(f->alerts[i].text, "modification of")) fail_msg("%s", f->alerts[i].text);
    lg_port_stats_t s;
    lg_port_stats(f->port, &s);
    assert_int_equal(s.requests - s.rate_429, 26); /* the place and 25 modifications */
    /* a modification without an order id never leaves */
    m.broker_id[0] = '\0';
    assert_int_equal(lg_port_send(f->port, &m), LG_EINVAL);
}

/* A place still waiting for the rate limit is not looked up at the broker: its book cannot
 * have it yet, and "not found" would make the engine give up an order about to be sent. */
static void test_lookup_of_a_waiting_place(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    lg_rate_config_t r;
    lg_rate_config_default(&r);
    r.orders_per_minute = 2; /* the third order waits a minute */
    start_port(f, f->rest, NULL, "ptoken", &r, 0);
    char tags[3][LG_TAG_MAX + 1];
    for (uint8_t i = 0; i < 3; i++) send_place(f, 9, i, tags[i]);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, tags[1], 0, 3000));
    assert_int_equal(stats(f).waiting, 1);
    lg_cmd_t q = {.kind = LG_CMD_QUERY_ORDER};
    lg_strlcpy(q.tag, tags[2], sizeof q.tag);
    assert_int_equal(lg_port_send(f->port, &q), LG_OK);
    for (int i = 0; i < 60; i++) uv_run(&f->loop, UV_RUN_ONCE);
    assert_null(find(f, LG_EV_ORDER_ERROR, tags[2]));
    assert_non_null(strstr(f->alerts[f->n_alerts - 1].text, "still waiting for the rate limit"));
    lg_port_stats_t s = stats(f);
    assert_int_equal(s.requests, 2); /* the two places; no look-up left */
    /* a sent order is looked up as before */
    lg_strlcpy(q.tag, tags[0], sizeof q.tag);
    assert_int_equal(lg_port_send(f->port, &q), LG_OK);
    assert_true(wait_for(f, LG_EV_ORDER_UPDATE, tags[0], 0, 3000));
}


/* ---- basket margins -------------------------------------------------------------------------- */

/* POST /margins/basket for a unit of a call spread: the simulator's model answers with the
 * spread benefit (final below initial); a session gone answers with none, the reason named. */
static void test_basket(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    start_port(f, f->rest, NULL, "ptoken", NULL, 0);
    lg_cmd_t c = {.kind = LG_CMD_QUERY_BASKET, .risk_reducing = true, .group = 9, .n_basket = 2};
    c.basket[0] = (lg_basket_leg_t){.token = option_token(f, 1, LG_KIND_CE), .qty = -65};
    c.basket[1] = (lg_basket_leg_t){.token = option_token(f, 3, LG_KIND_CE), .qty = 65};
    assert_int_equal(lg_port_send(f->port, &c), LG_OK);
    assert_true(wait_for(f, LG_EV_BASKET, NULL, 0, 3000));
    const lg_event_t *e = find(f, LG_EV_BASKET, NULL);
    if (!e->u.basket.ok) fail_msg("%s", e->u.basket.message);
    assert_int_equal(e->u.basket.group, 9);
    assert_true(e->u.basket.final > 0 && e->u.basket.final < e->u.basket.initial);
    lg_cmd_t bad = c;
    bad.basket[1].token = 999999999u;
    assert_int_equal(lg_port_send(f->port, &bad), LG_EINSTRUMENT); /* refused before it leaves */
    f->n_ev = 0;
    assert_int_equal(lg_port_set_token(f->port, "stale"), LG_OK);
    c.group = 10;
    assert_int_equal(lg_port_send(f->port, &c), LG_OK);
    assert_true(wait_for(f, LG_EV_BASKET, NULL, 0, 3000));
    e = find(f, LG_EV_BASKET, NULL);
    assert_false(e->u.basket.ok);
    assert_int_equal(e->u.basket.group, 10);
    assert_non_null(strstr(e->u.basket.message, "http 403"));
    assert_true(stats(f).halted);
}

/* ---- circuit bands -------------------------------------------------------------------------- */

static uint32_t count_bands(fixture_t *f) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->n_ev; i++) n += f->ev[i].kind == LG_EV_BAND;
    return n;
}

static bool bands_at_least(fixture_t *f, const void *arg) {
    return count_bands(f) >= *(const uint32_t *)arg;
}

/* Every instrument of the simulator's master in batches of GET /quote, a second apart:
 * one LG_EV_BAND each, inside sense, each instrument once; a session that ends halts the
 * cycle, a new token resumes it. */
static void test_bands(void **state) {
    fixture_t *f = *state;
    start_sim(f, NULL);
    start_port(f, f->rest, NULL, "stale", NULL, 0);
    const lg_instruments_t *m = &f->master;
    uint32_t n = LG_MIN(m->n, 150u); /* two requests */
    assert_true(n > 100u);
    uint32_t *toks = malloc(n * sizeof *toks);
    assert_non_null(toks);
    for (uint32_t i = 0; i < n; i++) toks[i] = m->items[i].token;
    uint32_t bad[] = {toks[0], 999999999u};
    assert_int_equal(lg_port_bands(f->port, bad, 2, 0), LG_EINSTRUMENT);
    assert_int_equal(lg_port_bands(f->port, toks, n, 0), LG_OK);
    assert_true(wait_for(f, LG_EV_CONNECTION, NULL, 0, 3000)); /* TokenException: halted */
    assert_true(find(f, LG_EV_CONNECTION, NULL)->u.connection.session_lost);
    for (int i = 0; i < 40; i++) uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(count_bands(f), 0);
    assert_int_equal(stats(f).quote_requests, 1); /* nothing more while halted */
    assert_int_equal(lg_port_set_token(f->port, "ptoken"), LG_OK);
    assert_true(run_until(f, bands_at_least, &n, 6000));
    lg_port_stats_t s = stats(f);
    assert_int_equal(s.quote_requests, 3); /* the refused one, then two batches */
    assert_int_equal(s.bands, n);
    for (uint32_t i = 0; i < f->n_ev; i++) {
        const lg_event_t *e = &f->ev[i];
        if (e->kind != LG_EV_BAND) continue;
        assert_true(e->u.band.lo > 0 && e->u.band.lo < e->u.band.hi);
        uint32_t seen = 0;
        for (uint32_t k = 0; k < f->n_ev; k++)
            seen += f->ev[k].kind == LG_EV_BAND && f->ev[k].u.band.token == e->u.band.token;
        assert_int_equal(seen, 1);
    }
    /* once only (every 0): no second cycle; its end said how many were known */
    for (int i = 0; i < 300; i++) uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(stats(f).quote_requests, 3);
    bool told = false;
    for (uint32_t i = 0; i < f->n_alerts; i++) told |= strstr(f->alerts[i].text, "circuit bands") != NULL;
    assert_true(told);
    free(toks);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_place_ack_fill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_definitive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_504_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_429_backoff_nothing_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_halts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_full_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modify_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookup_of_a_waiting_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticker_heartbeats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticker_refused_halts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticker_reconnect_fetches_book, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_basket, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
