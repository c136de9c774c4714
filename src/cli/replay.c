/*
 * replay.c — `legato replay FILE`: rebuilds the engine from the journal alone (the
 * instrument master and engine configuration stored with it), feeds it every
 * recorded event at its recorded time, and checks that each step produces exactly
 * the records and commands that were journaled after that event, byte for byte in
 * the journal's encoding. Prints the first divergence with its seq and step, or a
 * one-line summary. Exit 0 when everything is reproduced, 1 on a divergence, 2 when
 * the journal cannot be read.
 */
#include "legato/engine.h"
#include "legato/journal.h"
#include "legato/store.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int lg_cli_replay(int argc, char **argv);

typedef struct replay {
    lg_store_t *store;
    lg_instruments_t master;
    lg_engine_t *eng;
    lg_out_t out;
    uint32_t next_rec, next_cmd; /* produced items still to be matched */
    uint64_t step, steps, recs, cmds;
} replay_t;

/* Compares one journaled record or command with the one the replay produced. */
static bool same_item(const lg_store_row_t *row, const replay_t *r) {
    uint8_t a[LG_JRNL_MAX], b[LG_JRNL_MAX];
    size_t la = 0, lb = 0;
    int ra, rb;
    if (row->item == LG_JRNL_RECORD) {
        if (r->next_rec >= r->out.n_recs) return false;
        ra = lg_jrnl_encode_record(&row->u.rec, a, sizeof a, &la);
        rb = lg_jrnl_encode_record(&r->out.recs[r->next_rec], b, sizeof b, &lb);
    } else {
        if (r->next_cmd >= r->out.n_cmds) return false;
        ra = lg_jrnl_encode_cmd(&row->u.cmd, a, sizeof a, &la);
        rb = lg_jrnl_encode_cmd(&r->out.cmds[r->next_cmd], b, sizeof b, &lb);
    }
    return ra == LG_OK && rb == LG_OK && la == lb && memcmp(a, b, la) == 0;
}

static int diverged(const replay_t *r, const lg_store_row_t *row, const char *what) {
    printf("replay: first divergence at seq %llu (step %llu): %s\n",
           (unsigned long long)row->seq, (unsigned long long)row->step, what);
    if (row->item == LG_JRNL_RECORD)
        printf("  journaled record kind %d group %u tag '%s' a=%lld b=%lld c=%lld\n",
               row->u.rec.kind, row->u.rec.group, row->u.rec.tag, (long long)row->u.rec.a,
               (long long)row->u.rec.b, (long long)row->u.rec.c);
    if (row->item == LG_JRNL_CMD)
        printf("  journaled command kind %d tag '%s' token %u qty %lld\n", row->u.cmd.kind,
               row->u.cmd.tag, row->u.cmd.token, (long long)row->u.cmd.qty);
    printf("  replayed step produced %u records and %u commands\n", r->out.n_recs, r->out.n_cmds);
    return 1;
}

/* The step before a new event must have been matched completely. */
static int step_complete(const replay_t *r, const lg_store_row_t *next) {
    if (r->step == 0) return 0;
    if (r->next_rec == r->out.n_recs && r->next_cmd == r->out.n_cmds) return 0;
    return diverged(r, next, "the replayed step produced more than was journaled");
}

static int on_row(replay_t *r, const lg_store_row_t *row) {
    if (row->item == LG_JRNL_EVENT) {
        if (step_complete(r, row) != 0) return 1;
        lg_engine_step(r->eng, &row->u.ev, row->time_ns, &r->out);
        r->next_rec = r->next_cmd = 0;
        r->step = row->step;
        r->steps++;
        return 0;
    }
    if (row->step != r->step) return diverged(r, row, "a decision outside its step");
    if (!same_item(row, r)) return diverged(r, row, "the replayed decision differs");
    if (row->item == LG_JRNL_RECORD) {
        r->next_rec++;
        r->recs++;
    } else {
        r->next_cmd++;
        r->cmds++;
    }
    return 0;
}

static int replay_open(replay_t *r, const char *path) {
    char err[256];
    lg_engine_config_t cfg;
    int rc = lg_store_open(path, LG_DUR_NORMAL, &r->store, err, sizeof err);
    if (rc != LG_OK) {
        fprintf(stderr, "legato replay: %s\n", err);
        return rc;
    }
    rc = lg_store_load_setup(r->store, &r->master, &cfg, err, sizeof err);
    if (rc != LG_OK) {
        fprintf(stderr, "legato replay: %s\n", err);
        return rc;
    }
    rc = lg_engine_create(&cfg, &r->master, &r->eng);
    if (rc == LG_OK) rc = lg_out_init(&r->out, 4096, 16384, 256);
    if (rc != LG_OK) fprintf(stderr, "legato replay: engine set-up: %s\n", lg_strerror(rc));
    return rc;
}

static void replay_close(replay_t *r) {
    lg_engine_destroy(r->eng);
    if (r->out.cmds) lg_out_free(&r->out);
    if (r->master.items) lg_instruments_free(&r->master);
    if (r->store) lg_store_close(r->store);
}

static int replay_run(replay_t *r) {
    lg_store_row_t row;
    uint64_t seq = 1;
    for (;;) { /* bounded by the journal's rows: each read advances seq */
        int rc = lg_store_read(r->store, seq, &row);
        if (rc == LG_STORE_END) break;
        if (rc != LG_OK) {
            fprintf(stderr, "legato replay: %s\n", lg_store_errmsg(r->store));
            return 2;
        }
        if (on_row(r, &row) != 0) return 1;
        seq = row.seq + 1;
    }
    if (r->step != 0 && (r->next_rec != r->out.n_recs || r->next_cmd != r->out.n_cmds)) {
        printf("replay: the last step (%llu) produced more than was journaled\n",
               (unsigned long long)r->step);
        return 1;
    }
    printf("replay: %llu steps, %llu records and %llu commands reproduced exactly; "
           "engine digest %016llx\n",
           (unsigned long long)r->steps, (unsigned long long)r->recs,
           (unsigned long long)r->cmds, (unsigned long long)lg_engine_digest(r->eng));
    return 0;
}

int lg_cli_replay(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: legato replay FILE\n");
        return 2;
    }
    if (access(argv[2], R_OK) != 0) { /* opening would create an empty store */
        fprintf(stderr, "legato replay: cannot read %s\n", argv[2]);
        return 2;
    }
    replay_t r;
    memset(&r, 0, sizeof r);
    int rc = replay_open(&r, argv[2]) == LG_OK ? replay_run(&r) : 2;
    replay_close(&r);
    return rc;
}
