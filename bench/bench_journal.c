/*
 * bench_journal.c — cost of journaling one engine step in the SQLite store: a step of
 * realistic size (an order update with a fill: 1 event + ORDER_STATE, FILL and
 * GROUP_STATE records + 1 PLACE command = 5 rows, plus the projection upserts), for
 * about 2 s under each durability setting, first one transaction per step ("batch":1),
 * then one per batch of 64 steps (lg_store_begin, 64 appends, lg_store_commit;
 * "batch":64). Each transaction is timed (p50/p99/max are per transaction; the steps
 * of a batch are built before its clock starts). Then one TRUNCATE checkpoint of what
 * piled up, timed (it runs off the hot path). Budget (DESIGN §11): >= 200 k events/s
 * with one transaction per step batch. Prints one JSON object per line; uses a
 * temporary file under /tmp, removed after.
 */
#include "legato/engine.h"
#include "legato/store.h"
#include "legato/tag.h"

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUN_NS (2 * LG_NS_PER_S)
#define MAX_SAMPLES 2000000
#define GROUPS 1000u
#define BATCH 64u

/* Step i: an update of group g's leg-0 order with a 25-unit fill; the engine records
 * the order's state, the fill and the group's move, and releases the next leg. */
static void make_step(uint64_t i, lg_event_t *ev, lg_out_t *o) {
    uint32_t g = 1 + (uint32_t)(i % GROUPS);
    lg_tag_t t = {.group = g, .leg = 0, .purpose = LG_PURPOSE_ENTRY};
    char tag[LG_TAG_MAX + 1], tag1[LG_TAG_MAX + 1];
    LG_ASSERT(lg_tag_encode(&t, tag, sizeof tag) == LG_OK);
    t.leg = 1;
    LG_ASSERT(lg_tag_encode(&t, tag1, sizeof tag1) == LG_OK);
    memset(ev, 0, sizeof *ev);
    ev->kind = LG_EV_ORDER_UPDATE;
    memcpy(ev->u.update.tag, tag, sizeof tag);
    snprintf(ev->u.update.broker_id, sizeof ev->u.update.broker_id, "25010%010llu", (unsigned long long)i);
    ev->u.update.status = LG_KS_OPEN;
    ev->u.update.quantity = 75;
    ev->u.update.filled = 25;
    ev->u.update.avg_price = 12050;
    lg_out_reset(o);
    o->recs[0] = (lg_record_t){.kind = LG_REC_ORDER_STATE, .group = g, .a = LG_OS_ACKED, .b = LG_OS_OPEN, .c = 25};
    o->recs[1] = (lg_record_t){.kind = LG_REC_FILL, .group = g, .a = 10000 + g, .b = 25, .c = 25 * 12050};
    o->recs[2] = (lg_record_t){.kind = LG_REC_GROUP_STATE, .group = g, .a = LG_GS_SUBMITTED,
                               .b = LG_GS_PARTIALLY_FILLED, .c = LG_WHY_FILL};
    memcpy(o->recs[0].tag, tag, sizeof tag);
    memcpy(o->recs[1].tag, tag, sizeof tag);
    o->n_recs = 3;
    o->cmds[0] = (lg_cmd_t){.kind = LG_CMD_PLACE, .token = 20000 + g, .side = -1, .otype = LG_OT_LIMIT,
                            .qty = 25, .price = 9000};
    memcpy(o->cmds[0].tag, tag1, sizeof tag1);
    o->n_cmds = 1;
}

/* Steps [n, n + batch) in one transaction; 1 is one lg_store_append_step on its own.
 * Returns the transaction's time in *ns. */
static int one_txn(lg_store_t *s, uint64_t n, uint32_t batch, lg_event_t *ev, lg_out_t *o, lg_ns_t *ns) {
    for (uint32_t k = 0; k < batch; k++) make_step(n + k, &ev[k], &o[k]);
    lg_ns_t a = bench_clock_ns();
    int rc = batch > 1 ? lg_store_begin(s) : LG_OK;
    for (uint32_t k = 0; rc == LG_OK && k < batch; k++) rc = lg_store_append_step(s, a, &ev[k], &o[k]);
    if (rc == LG_OK && batch > 1) rc = lg_store_commit(s);
    *ns = bench_clock_ns() - a;
    return rc;
}

static int run(lg_durability_t d, const char *name, uint32_t batch, lg_ns_t *lat) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/lg_bench_journal_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return 1;
    close(fd);
    lg_store_t *s = NULL;
    char err[LG_STORE_ERR_MAX];
    if (lg_store_open(path, d, &s, err, sizeof err) != LG_OK) {
        fprintf(stderr, "bench_journal: %s\n", err);
        lg_store_remove(path);
        return 1;
    }
    static lg_out_t o[BATCH];
    static lg_event_t ev[BATCH];
    for (uint32_t k = 0; k < batch; k++) LG_ASSERT(lg_out_init(&o[k], 4, 4, 1) == LG_OK);
    uint64_t n = 0, txns = 0; /* steps, transactions */
    lg_ns_t busy = 0;         /* time inside transactions */
    int rc = LG_OK;
    while (rc == LG_OK && txns < MAX_SAMPLES && busy < RUN_NS) {
        rc = one_txn(s, n, batch, ev, o, &lat[txns]);
        busy += lat[txns++];
        n += batch;
    }
    if (rc != LG_OK) fprintf(stderr, "bench_journal: %s\n", lg_store_errmsg(s));
    lg_ns_t c0 = bench_clock_ns();
    int crc = lg_store_checkpoint(s, LG_CKPT_TRUNCATE);
    lg_ns_t ckpt = bench_clock_ns() - c0;
    lg_store_close(s);
    for (uint32_t k = 0; k < batch; k++) lg_out_free(&o[k]);
    lg_store_remove(path);
    if (rc != LG_OK || crc != LG_OK || txns == 0) return 1;
    double secs = (double)busy / 1e9;
    qsort(lat, txns, sizeof *lat, bench_cmp_ns);
    printf("{\"name\":\"journal_append\",\"durability\":\"%s\",\"batch\":%u,\"rows_per_step\":5,"
           "\"steps\":%llu,\"transactions\":%llu,\"seconds\":%.2f,\"steps_per_s\":%.0f,"
           "\"events_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
           "\"checkpoint_ms\":%.1f}\n",
           name, batch, (unsigned long long)n, (unsigned long long)txns, secs, (double)n / secs,
           5.0 * (double)n / secs, (double)lat[txns / 2] / 1e3, (double)lat[txns * 99 / 100] / 1e3,
           (double)lat[txns - 1] / 1e3, (double)ckpt / 1e6);
    return 0;
}

int main(void) {
    lg_ns_t *lat = malloc(MAX_SAMPLES * sizeof *lat);
    if (lat == NULL) return 1;
    int rc = run(LG_DUR_NORMAL, "normal", 1, lat);
    if (rc == 0) rc = run(LG_DUR_FULL, "full", 1, lat);
    if (rc == 0) rc = run(LG_DUR_NORMAL, "normal", BATCH, lat);
    if (rc == 0) rc = run(LG_DUR_FULL, "full", BATCH, lat);
    free(lat);
    return rc;
}
