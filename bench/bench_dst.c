/*
 * bench_dst.c — the safety comparison and the simulation budget.
 *
 * dst_policies: the same hostile seeds under naive, protection_first and ratchet;
 * per policy: uncovered short lot-seconds per 1 000 groups (at the exchange), median
 * and p99 time from first order to a finished group, emergency hedges and their cost.
 * dst_throughput: seeds a minute of the random scenario on one core (budget >= 1 000
 * a minute of a 20-group scenario; the random scenario averages about 25 groups).
 * Prints one JSON object per line.
 */
#include "legato/harness.h"

#include "bench_util.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SEEDS 300
#define MAX_TIMES (SEEDS * 60)

static void run_policy(lg_policy_t p, lg_ns_t *times) {
    uint64_t groups = 0, emergencies = 0, failures = 0, nt = 0, halts = 0;
    int64_t uncovered = 0, cost = 0;
    double t0 = ((double)bench_clock_ns() / 1e9);
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        lg_dst_result_t r;
        lg_dst_run_seed(seed, (int)p, LG_DST_MEASURE, NULL, &r);
        if (!r.ok && p != LG_POLICY_NAIVE) failures++;
        groups += r.stats.submitted;
        emergencies += r.stats.emergencies;
        halts += r.stats.halts;
        uncovered += r.stats.uncovered_lot_ns;
        cost += r.stats.emergency_cost;
        for (uint32_t i = 0; i < r.stats.n_fill_time && nt < MAX_TIMES; i++)
            times[nt++] = r.stats.fill_time[i];
    }
    double secs = ((double)bench_clock_ns() / 1e9) - t0;
    qsort(times, nt, sizeof *times, bench_cmp_ns);
    double per_k = groups ? 1000.0 / (double)groups : 0;
    printf("{\"name\":\"dst_policies\",\"policy\":\"%s\",\"seeds\":%d,\"groups\":%llu,"
           "\"uncovered_short_lot_s_per_1000_groups\":%.3f,\"finish_ms_p50\":%.1f,"
           "\"finish_ms_p99\":%.1f,\"emergency_hedges\":%llu,"
           "\"emergency_cost_rupees_per_1000_groups\":%.0f,\"halts\":%llu,"
           "\"invariant_failures\":%llu,\"seeds_per_minute\":%.0f}\n",
           lg_policy_name(p), SEEDS, (unsigned long long)groups,
           (double)uncovered / 1e9 * per_k, nt ? (double)times[nt / 2] / 1e6 : 0,
           nt ? (double)times[nt * 99 / 100] / 1e6 : 0, (unsigned long long)emergencies,
           (double)cost / 100.0 * per_k, (unsigned long long)halts,
           (unsigned long long)failures, (double)SEEDS / secs * 60.0);
    fflush(stdout);
}

int main(void) {
    mallopt(M_MMAP_THRESHOLD, 512 * 1024 * 1024); /* reuse each seed's pools (see main.c) */
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    lg_ns_t *times = calloc(MAX_TIMES, sizeof *times);
    if (times == NULL) return 1;
    run_policy(LG_POLICY_NAIVE, times);
    run_policy(LG_POLICY_PROTECTION_FIRST, times);
    run_policy(LG_POLICY_RATCHET, times);
    free(times);
    return 0;
}
