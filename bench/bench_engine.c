/*
 * bench_engine.c — cost of one lg_engine_step over a realistic event mix: the events
 * recorded from simulated hostile sessions (submissions, acks, updates with partial
 * fills, duplicates and reorders, ticks, timers, emergency hedges) replayed into a
 * fresh engine, each step timed. Budget (DESIGN §11): p99 <= 2 us, >= 1 M events/s.
 * Prints one JSON object per line.
 */
#include "legato/harness.h"

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_EVENTS 400000

/* Records one seed's session: 40 groups, faults on. */
static lg_harness_t *record(uint64_t seed) {
    lg_harness_config_t c;
    lg_harness_config_default(&c);
    c.seed = seed;
    c.knobs.p_partial = 0.5;
    c.knobs.p_dup_update = 0.05;
    c.knobs.p_reorder = 0.05;
    c.knobs.p_reject_random = 0.02;
    c.knobs.tick_interval_ns = 50 * LG_NS_PER_MS;
    lg_harness_t *h = NULL;
    if (lg_harness_create(&c, &h) != LG_OK) return NULL;
    lg_harness_add_nifty(h);
    lg_harness_start(h);
    for (int i = 0; i < 40; i++) {
        lg_group_spec_t s = {.policy = -1, .on_incomplete = -1};
        int off = 1 + i % 4;
        lg_kind_t k[4] = {LG_KIND_CE, LG_KIND_CE, LG_KIND_PE, LG_KIND_PE};
        int strikes[4] = {24000 + 50 * off, 24000 + 50 * (off + 2), 24000 - 50 * off, 24000 - 50 * (off + 2)};
        int sides[4] = {-1, 1, -1, 1};
        for (int l = 0; l < 4; l++) {
            s.legs[l].token = lg_harness_token(h, "NIFTY", k[l], strikes[l]);
            s.legs[l].side = (int8_t)sides[l];
            s.legs[l].covered_by = -1;
            s.legs[l].qty = 65 * (1 + i % 30);
        }
        s.n_legs = 4;
        int sub = lg_harness_submit_at(h, (lg_ns_t)i * 700 * LG_NS_PER_MS, &s);
        lg_harness_exit_after(h, sub, 10 * LG_NS_PER_S);
    }
    lg_harness_run(h, 120 * LG_NS_PER_S);
    return h;
}

int main(void) {
    lg_ns_t *lat = calloc(MAX_EVENTS, sizeof *lat);
    lg_out_t out;
    if (lat == NULL || lg_out_init(&out, 4096, 16384, 256) != LG_OK) return 1;
    uint32_t n = 0;
    lg_ns_t total = 0;
    uint64_t cmds = 0;
    for (uint64_t seed = 1; seed <= 64 && n < MAX_EVENTS; seed++) {
        lg_harness_t *h = record(seed);
        if (h == NULL) return 1;
        lg_engine_t *e = NULL;
        if (lg_engine_create(lg_harness_engine_config(h), lg_harness_master(h), &e) != LG_OK)
            return 1;
        uint32_t m = lg_harness_logged_count(h);
        for (uint32_t i = 0; i < m && n < MAX_EVENTS; i++) {
            lg_event_t ev;
            lg_ns_t at;
            lg_harness_logged(h, i, &ev, &at);
            lg_ns_t t0 = bench_clock_ns();
            lg_engine_step(e, &ev, at, &out);
            lg_ns_t dt = bench_clock_ns() - t0;
            lat[n++] = dt;
            total += dt;
            cmds += out.n_cmds;
        }
        lg_engine_destroy(e);
        lg_harness_destroy(h);
    }
    qsort(lat, n, sizeof *lat, bench_cmp_ns);
    double eps = total > 0 ? (double)n / ((double)total / 1e9) : 0;
    printf("{\"name\":\"engine_step\",\"events\":%u,\"commands\":%llu,\"events_per_s\":%.0f,"
           "\"p50_ns\":%lld,\"p99_ns\":%lld,\"p999_ns\":%lld,\"max_ns\":%lld,"
           "\"budget_p99_ns\":2000,\"budget_events_per_s\":1000000}\n",
           n, (unsigned long long)cmds, eps, (long long)lat[n / 2], (long long)lat[n * 99 / 100],
           (long long)lat[n * 999 / 1000], (long long)lat[n - 1]);
    free(lat);
    lg_out_free(&out);
    return 0;
}
