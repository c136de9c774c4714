/*
 * bench_reaction.c — the live chain's reaction times over loopback (DESIGN §11), with
 * the real engine, live shell, journal, broker port and `legato sim` on one loop
 * (tests/e2e/rig.h):
 *
 *   reaction  the ticker's order frame saying REJECTED (the short of a put spread
 *             whose protection filled) read from the socket -> the emergency reversal's
 *             HTTP request written to its socket (the port's order connection).
 *             Budget p99 <= 50 us.
 *   reaction_libcurl  the same with every request through libcurl (libcurl_only): the
 *             head is reported written by libcurl's verbose stream, which costs ~20 us
 *             itself, so this is an upper bound of libcurl's figure.
 *   entry     a group accepted (lg_live_submit, inside a loop callback as the control
 *             API would call it) -> its first entry order's request written, with the
 *             journal transaction in between; under synchronous=NORMAL and FULL.
 *             journal_* is the time the same entries spent in SQLite (begin, appends,
 *             commit: lg_store_db_ns), rest_* what is left. Budget: entry p99 <= one
 *             journal commit + 50 us, i.e. rest p99 <= 50 us.
 *   machine_stalls  how often the machine itself stops a busy loop for >20/50/100 us: the
 *             floor under every p99 here.
 *   reaction_legato_at_sim  the reaction timed by the simulator instead (REJECTED frame
 *             written -> reversal request read: both loopback hops included), the clock
 *             bench/kite_reaction.mjs uses for the official client; the two compare.
 *
 * Both ends are the port's hooks (port.h): on_frame_read before the frame is decoded,
 * on_request_written once the request has been written. Rounds are paced so that neither
 * the 10-a-second nor the 400-a-minute order limit delays what is measured (rate_429 says
 * so for Kite's side).
 * Env: ROUNDS (default 60), ONLY (one figure's name: run just that one), VERBOSE (alerts
 * to stderr). One JSON line per figure.
 */
#include "../tests/e2e/rig.h"
#include "bench_util.h"

#include "legato/tag.h"

typedef struct bench {
    rig_t r;
    lg_ns_t frame_at;     /* the last ticker message read */
    lg_ns_t submit_at;    /* the group accepted */
    uint64_t db_at;       /* the journal's time in SQLite then */
    lg_ns_t journal;      /* the journal's time between the submit and the sample */
    uint32_t gid;
    bool want_emergency, want_entry, got;
    lg_ns_t sample;
    lg_group_spec_t spec;
} bench_t;

static void on_frame(void *ud) {
    bench_t *b = ud;
    b->frame_at = bench_clock_ns();
}

static void on_request(void *ud, const lg_cmd_t *c) {
    bench_t *b = ud;
    lg_ns_t now = bench_clock_ns();
    lg_tag_t t;
    if (b->got || c == NULL || c->kind != LG_CMD_PLACE || lg_tag_decode(c->tag, &t) != LG_OK ||
        t.group != b->gid)
        return;
    if (b->want_emergency && t.purpose == LG_PURPOSE_EMERGENCY) {
        b->sample = now - b->frame_at;
        b->got = true;
    } else if (b->want_entry && t.purpose == LG_PURPOSE_ENTRY) {
        b->sample = now - b->submit_at;
        b->journal = (lg_ns_t)(lg_store_db_ns(b->r.store) - b->db_at);
        b->got = true;
    }
}

static bool got(rig_t *r, const void *arg) {
    (void)r;
    return ((const bench_t *)arg)->got;
}

static bool settled(rig_t *r, const void *arg) {
    const bench_t *b = arg;
    lg_group_view_t v;
    if (lg_engine_group(r->eng, b->gid, &v) != LG_OK) return false;
    if (v.state != LG_GS_EMERGENCY_HEDGED && v.state != LG_GS_HEDGED) return false;
    for (uint32_t c = 0; c < v.n_orders; c++)
        if (!lg_ostate_terminal(lg_engine_group_order(r->eng, b->gid, c)->state)) return false;
    return true;
}

static void on_submit_timer(uv_timer_t *t) {
    bench_t *b = t->data;
    b->db_at = lg_store_db_ns(b->r.store);
    b->submit_at = bench_clock_ns();
    if (lg_live_submit(b->r.live, &b->spec, &b->gid) != LG_OK) b->gid = 0;
}

static void spread(bench_t *b, int short_strike, int long_strike) {
    lg_group_spec_t s = {.policy = -1, .on_incomplete = -1, .n_legs = 2};
    s.legs[0] = (lg_leg_spec_t){.token = rig_token(&b->r, LG_KIND_PE, short_strike), .side = -1,
                                .covered_by = -1, .qty = 65};
    s.legs[1] = (lg_leg_spec_t){.token = rig_token(&b->r, LG_KIND_PE, long_strike), .side = +1,
                                .covered_by = -1, .qty = 65};
    LG_ASSERT(s.legs[0].token != 0 && s.legs[1].token != 0);
    b->spec = s;
}

/* One round: submit from a loop callback, wait for the sample and the group to settle. */
static bool round_trip(bench_t *b, uv_timer_t *timer) {
    b->got = false;
    b->gid = 0;
    uv_timer_start(timer, on_submit_timer, 0, 0);
    if (!rig_run_until(&b->r, got, b, 10000)) return false;
    if (!rig_run_until(&b->r, settled, b, 20000)) return false;
    rig_run_for(&b->r, 500); /* pacing: 3 orders a round stay under 10 a second and 400 a minute */
    return true;
}

static double us(const lg_ns_t *s, uint32_t n, uint32_t i) {
    return n == 0 ? 0.0 : (double)s[i] / 1e3;
}

static void report(const char *name, lg_ns_t *s, uint32_t n, uint32_t rounds, const rig_t *r,
                   const char *extra) {
    qsort(s, n, sizeof *s, bench_cmp_ns);
    lg_port_stats_t ps;
    lg_port_stats(r->port, &ps);
    printf("{\"name\":\"%s\",\"rounds\":%u,\"n\":%u,\"p50_us\":%.1f,\"p90_us\":%.1f,"
           "\"p99_us\":%.1f,\"max_us\":%.1f,\"rate_429\":%llu,\"order_conn_requests\":%llu%s}\n",
           name, rounds, n, us(s, n, n / 2), us(s, n, (n * 9) / 10), us(s, n, n - 1 - n / 100),
           us(s, n, n - 1), (unsigned long long)ps.rate_429,
           (unsigned long long)ps.wire_requests, extra);
    fflush(stdout);
}

static int run(const char *name, lg_durability_t dur, bool reaction, bool libcurl, uint32_t rounds) {
    const char *only = getenv("ONLY");
    if (only != NULL && strcmp(only, name) != 0) return 0;
    bench_t *b = calloc(1, sizeof *b);
    lg_ns_t *samples = calloc(rounds, sizeof *samples);
    lg_ns_t *journal = calloc(rounds, sizeof *journal), *rest = calloc(rounds, sizeof *rest);
    if (b == NULL || samples == NULL || journal == NULL || rest == NULL) return 1;
    b->r.on_frame_read = on_frame;
    b->r.on_request_written = on_request;
    b->r.hook_ud = b;
    b->r.libcurl_only = libcurl;
    b->r.verbose = getenv("VERBOSE") != NULL; /* every alert to stderr */
    lg_engine_config_t ec;
    rig_engine_config(&ec);
    ec.max_groups = rounds + 8; /* a group a round, never reused */
    int rc = rig_start(&b->r, 31, &ec, dur);
    if (rc != 0) {
        fprintf(stderr, "%s: rig_start failed at step %d\n", name, rc);
        return 1;
    }
    if (!rig_run_until(&b->r, rig_ticker_up, NULL, 5000)) {
        fprintf(stderr, "%s: ticker did not connect\n", name);
        return 1;
    }
    if ((rc = rig_prime(&b->r)) != 0) {
        fprintf(stderr, "%s: no market data or margins (step %d)\n", name, rc);
        return 1;
    }
    uv_timer_t timer;
    uv_timer_init(&b->r.loop, &timer);
    timer.data = b;
    b->want_emergency = reaction;
    b->want_entry = !reaction;
    uint32_t n = 0;
    for (uint32_t i = 0; i < rounds; i++) {
        spread(b, 25900 - 50 * (int)(i % 4), 25700 - 50 * (int)(i % 4));
        if (reaction)
            lg_sim_reject_next(lg_simd_model(b->r.sim), b->spec.legs[0].token, LG_SIM_REJ_RMS, 1);
        if (!round_trip(b, &timer)) {
            fprintf(stderr, "%s: round %u did not finish (group %u)\n", name, i, b->gid);
            break;
        }
        journal[n] = b->journal;
        rest[n] = b->sample - b->journal;
        samples[n++] = b->sample;
    }
    char extra[96];
    snprintf(extra, sizeof extra, ",\"durability\":\"%s\"", dur == LG_DUR_FULL ? "FULL" : "NORMAL");
    report(name, samples, n, rounds, &b->r, reaction ? "" : extra);
    if (!reaction) {
        char nm[64];
        snprintf(nm, sizeof nm, "%s_journal", name);
        report(nm, journal, n, rounds, &b->r, extra);
        snprintf(nm, sizeof nm, "%s_rest", name);
        report(nm, rest, n, rounds, &b->r, extra);
    }
    if (reaction && !libcurl) { /* the same reaction timed by the simulator, as for the official client */
        uint64_t v[1024];
        uint32_t k = lg_simd_reactions(b->r.sim, v, 1024);
        for (uint32_t i = 0; i < k && i < rounds; i++) samples[i] = (lg_ns_t)v[i];
        report("reaction_legato_at_sim", samples, LG_MIN(k, rounds), rounds, &b->r,
               ",\"measured\":\"REJECTED frame written -> reversal request read, at the "
               "simulator\"");
    }
    uv_close((uv_handle_t *)&timer, NULL);
    rig_stop(&b->r);
    free(journal);
    free(rest);
    free(samples);
    free(b);
    return n == rounds ? 0 : 1;
}

/* The machine's own stalls: a busy loop reading the clock for 2 s, counting the gaps in
 * which it did not run (the host took the vCPU, an interrupt, the kernel). A path of
 * ~30 us meets a stall of >50 us about (stalls a second x 30 us) of the time, which sets
 * a floor under any p99 measured here. */
static void machine_stalls(void) {
    lg_ns_t start = bench_clock_ns(), last = start, end = start + 2 * LG_NS_PER_S, worst = 0;
    uint64_t g20 = 0, g50 = 0, g100 = 0;
    for (uint64_t i = 0; i < 4000000000ull; i++) { /* bounded; ends at `end` */
        lg_ns_t t = bench_clock_ns(), d = t - last;
        last = t;
        if (t > end) break;
        g20 += d > 20000;
        g50 += d > 50000;
        g100 += d > 100000;
        worst = LG_MAX(worst, d);
    }
    double secs = (double)(last - start) / 1e9;
    printf("{\"name\":\"machine_stalls\",\"seconds\":%.1f,\"over_20us_per_s\":%.0f,"
           "\"over_50us_per_s\":%.0f,\"over_100us_per_s\":%.0f,\"max_us\":%.0f}\n", secs,
           (double)g20 / secs, (double)g50 / secs, (double)g100 / secs, (double)worst / 1e3);
    fflush(stdout);
}

int main(void) {
    uint32_t rounds = getenv("ROUNDS") ? (uint32_t)strtoul(getenv("ROUNDS"), NULL, 10) : 60;
    if (rounds == 0) rounds = 60;
    if (getenv("ONLY") == NULL || strcmp(getenv("ONLY"), "machine_stalls") == 0) machine_stalls();
    int rc = run("reaction_legato", LG_DUR_NORMAL, true, false, rounds);
    rc |= run("reaction_legato_libcurl", LG_DUR_NORMAL, true, true, rounds);
    rc |= run("entry_legato", LG_DUR_NORMAL, false, false, rounds);
    rc |= run("entry_legato", LG_DUR_FULL, false, false, rounds);
    return rc;
}
