/*
 * bench_util.h — the two helpers every benchmark needs: a monotonic clock in
 * nanoseconds and a comparison for sorting latencies into percentiles.
 */
#ifndef LEGATO_BENCH_UTIL_H
#define LEGATO_BENCH_UTIL_H

#include "legato/base.h"

#include <time.h>

static inline lg_ns_t bench_clock_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (lg_ns_t)ts.tv_sec * LG_NS_PER_S + ts.tv_nsec;
}

static inline int bench_cmp_ns(const void *a, const void *b) {
    lg_ns_t x = *(const lg_ns_t *)a, y = *(const lg_ns_t *)b;
    return (x > y) - (x < y);
}

#endif
