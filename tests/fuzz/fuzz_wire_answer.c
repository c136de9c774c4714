/*
 * fuzz_wire_answer.c — libFuzzer harness for the order connections' HTTP answer reader
 * (wire_answer.h). The input is fed whole and again split at a point taken from its
 * first byte; both must end in the same state, status and body, the body never longer
 * than the input, and nothing read past the buffers (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "legato/wire_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct sink {
    size_t len;
    uint64_t sum;
} sink_t;

static bool take(void *ud, const char *b, size_t n, const char **why) {
    (void)why;
    sink_t *s = ud;
    for (size_t i = 0; i < n; i++) s->sum = s->sum * 31 + (uint8_t)b[i];
    s->len += n;
    return true;
}

static void run(const char *b, size_t n, size_t split, lg_wa_t *a, sink_t *s) {
    lg_wa_reset(a);
    memset(s, 0, sizeof *s);
    size_t u = lg_wa_feed(a, b, split, take, s);
    if (u == split) lg_wa_feed(a, b + split, n - split, take, s);
    lg_wa_eof(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static lg_wa_t a, b;
    sink_t sa, sb;
    const char *t = (const char *)data;
    run(t, size, size, &a, &sa);
    run(t, size, size == 0 ? 0 : data[0] % (size + 1), &b, &sb);
    LG_ASSERT(a.state == b.state && a.status == b.status);
    LG_ASSERT(a.state == LG_WA_ERROR || (sa.len == sb.len && sa.sum == sb.sum));
    LG_ASSERT(sa.len <= size);
    LG_ASSERT(a.state == LG_WA_DONE || a.state == LG_WA_ERROR);
    return 0;
}
