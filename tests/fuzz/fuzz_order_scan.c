/*
 * fuzz_order_scan.c — libFuzzer harness holding the order frames' fast path
 * (lg_kite_scan_order_frame) to the full decoder: whenever the fast path answers, the
 * full decoder decodes the same frame to the same order. The input is used as a frame
 * as it is, and wrapped as {"type":"order","data":<input>} (so that the broker's order
 * objects in the seed corpus reach the fields).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "legato/kite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_die(const char *f, size_t n) {
    lg_adopt_t fast, full;
    memset(&fast, 0, sizeof fast);
    memset(&full, 0, sizeof full);
    if (!lg_kite_scan_order_frame(f, n, &fast)) return;
    lg_kite_text_t type = 0;
    char msg[64], err[128];
    int rc = lg_kite_parse_text_frame(f, n, &type, &full, msg, sizeof msg, err, sizeof err);
    LG_ASSERT(rc == LG_OK && type == LG_KITE_TEXT_ORDER);
    LG_ASSERT(strcmp(fast.u.tag, full.u.tag) == 0 && strcmp(fast.u.broker_id, full.u.broker_id) == 0);
    LG_ASSERT(strcmp(fast.u.message, full.u.message) == 0 && fast.u.status == full.u.status);
    LG_ASSERT(fast.u.quantity == full.u.quantity && fast.u.filled == full.u.filled);
    LG_ASSERT(fast.u.avg_price == full.u.avg_price && fast.price == full.price);
    LG_ASSERT(fast.trigger == full.trigger && fast.token == full.token);
    LG_ASSERT(fast.side == full.side && fast.otype == full.otype);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    same_or_die((const char *)data, size);
    static const char head[] = "{\"type\":\"order\",\"data\":";
    char *w = malloc(sizeof head + size + 1);
    if (w == NULL) return 0;
    memcpy(w, head, sizeof head - 1);
    memcpy(w + sizeof head - 1, data, size);
    w[sizeof head - 1 + size] = '}';
    same_or_die(w, sizeof head + size);
    free(w);
    return 0;
}
