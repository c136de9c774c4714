/*
 * runner.c — the journaled step (runner.h): encode, step, release what reduces risk,
 * commit, release what adds risk; on a failed commit withhold, halt and keep the
 * failed steps in a bounded backlog that is written, in order, as soon as the store
 * takes it again.
 *
 * The backlog holds copies: the event (its POSITIONS rows in rows[]), the step's
 * records and commands in recs[] and cmds[], each step naming its ranges. It is
 * emptied from the front only (steps are written oldest first) and reset when empty,
 * so the pools are plain arrays with a fill mark.
 */
#include "legato/runner.h"

#include "legato/journal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bl_step {
    lg_event_t ev;
    lg_ns_t now;
    uint32_t rec0, n_recs, cmd0, n_cmds, row0;
} bl_step_t;

struct lg_runner {
    lg_runner_config_t cfg;
    lg_engine_t *eng;
    lg_store_t *store;
    lg_release_fn release;
    void *ctx;
    int jerr;                 /* LG_OK or the failing commit's error */
    lg_crash_point_t crash;
    bool stopped;
    bool in_batch;            /* lg_runner_begin .. lg_runner_commit */
    bool store_batch;         /* the store's batch is open (the journal is healthy) */
    uint32_t batch0;          /* the runner's batch: steps[batch0 .. n_steps) */
    uint64_t withheld, since_ckpt;
    bl_step_t *steps;
    uint32_t head, n_steps;   /* backlog: steps[head .. n_steps) still to write */
    lg_record_t *recs;
    uint32_t n_recs;
    lg_cmd_t *cmds;
    uint32_t n_cmds;
    lg_position_row_t *rows;
    uint32_t n_rows;
    lg_out_t own;             /* the runner's KILL step */
    uint8_t buf[LG_JRNL_MAX];
};

void lg_runner_config_default(lg_runner_config_t *c) {
    LG_ASSERT(c != NULL);
    *c = (lg_runner_config_t){.backlog_steps = 16384, .backlog_recs = 65536,
                              .backlog_cmds = 16384, .backlog_rows = 4 * LG_JRNL_MAX_ROWS,
                              .checkpoint_steps = 4096};
}

int lg_runner_create(const lg_runner_config_t *cfg, lg_engine_t *engine, lg_store_t *store,
                     lg_release_fn release, void *ctx, lg_runner_t **out) {
    LG_ASSERT(cfg != NULL && engine != NULL && store != NULL && release != NULL && out != NULL);
    *out = NULL;
    if (cfg->backlog_steps == 0 || cfg->backlog_recs < 256 || cfg->backlog_cmds < 64 ||
        cfg->backlog_rows < LG_JRNL_MAX_ROWS)
        return LG_EINVAL;
    lg_runner_t *r = calloc(1, sizeof *r);
    if (r == NULL) return LG_EPOOL_FULL;
    r->cfg = *cfg;
    r->eng = engine;
    r->store = store;
    r->release = release;
    r->ctx = ctx;
    r->steps = calloc(cfg->backlog_steps, sizeof *r->steps);
    r->recs = calloc(cfg->backlog_recs, sizeof *r->recs);
    r->cmds = calloc(cfg->backlog_cmds, sizeof *r->cmds);
    r->rows = calloc(cfg->backlog_rows, sizeof *r->rows);
    int rc = lg_out_init(&r->own, 1024, 4096, 64);
    if (rc != LG_OK || !r->steps || !r->recs || !r->cmds || !r->rows) {
        if (rc == LG_OK) lg_out_free(&r->own);
        free(r->steps);
        free(r->recs);
        free(r->cmds);
        free(r->rows);
        free(r);
        return LG_EPOOL_FULL;
    }
    *out = r;
    return LG_OK;
}

void lg_runner_destroy(lg_runner_t *r) {
    if (r == NULL) return;
    lg_out_free(&r->own);
    free(r->steps);
    free(r->recs);
    free(r->cmds);
    free(r->rows);
    free(r);
}

int lg_runner_journal_error(const lg_runner_t *r) { return r->jerr; }
uint32_t lg_runner_backlog(const lg_runner_t *r) { return r->n_steps - r->head; }
uint64_t lg_runner_withheld(const lg_runner_t *r) { return r->withheld; }
void lg_runner_crash_at(lg_runner_t *r, lg_crash_point_t p) { r->crash = p; }

static void alert(lg_out_t *out, lg_alert_level_t lvl, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void alert(lg_out_t *out, lg_alert_level_t lvl, int code, const char *fmt, ...) {
    if (out->n_alerts >= out->cap_alerts) return;
    lg_alert_t *al = &out->alerts[out->n_alerts++];
    memset(al, 0, sizeof *al);
    al->level = lvl;
    al->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(al->text, sizeof al->text, fmt, ap);
    va_end(ap);
}

static void copy_alerts(lg_out_t *to, const lg_out_t *from) {
    for (uint32_t i = 0; i < from->n_alerts && to->n_alerts < to->cap_alerts; i++)
        to->alerts[to->n_alerts++] = from->alerts[i];
}

static bool adds_risk(const lg_cmd_t *c) { return c->kind == LG_CMD_PLACE && !c->risk_reducing; }

static void release(lg_runner_t *r, const lg_out_t *out, lg_ns_t now, bool risk) {
    for (uint32_t i = 0; i < out->n_cmds; i++)
        if (adds_risk(&out->cmds[i]) == risk) r->release(r->ctx, &out->cmds[i], now);
}

/* ---- backlog ----------------------------------------------------------------------- */

/* Room for one more step as large as `out` can be, and for the KILL step a failure
 * would add (checked before stepping). */
static bool backlog_room(const lg_runner_t *r, const lg_out_t *out) {
    return r->n_steps + 2 <= r->cfg.backlog_steps &&
           r->n_recs + 2 * out->cap_recs <= r->cfg.backlog_recs &&
           r->n_cmds + 2 * out->cap_cmds <= r->cfg.backlog_cmds &&
           r->n_rows + 2 * LG_JRNL_MAX_ROWS <= r->cfg.backlog_rows;
}

static void backlog_push(lg_runner_t *r, const lg_event_t *ev, lg_ns_t now, const lg_out_t *out) {
    LG_ASSERT(r->n_steps < r->cfg.backlog_steps);
    LG_ASSERT(r->n_recs + out->n_recs <= r->cfg.backlog_recs);
    LG_ASSERT(r->n_cmds + out->n_cmds <= r->cfg.backlog_cmds);
    bl_step_t *b = &r->steps[r->n_steps++];
    b->ev = *ev;
    b->now = now;
    b->row0 = r->n_rows;
    if (ev->kind == LG_EV_POSITIONS) {
        LG_ASSERT(r->n_rows + ev->u.positions.n <= r->cfg.backlog_rows);
        if (ev->u.positions.n > 0)
            memcpy(&r->rows[r->n_rows], ev->u.positions.rows, ev->u.positions.n * sizeof *r->rows);
        r->n_rows += ev->u.positions.n;
        b->ev.u.positions.rows = NULL; /* re-pointed when written */
    }
    b->rec0 = r->n_recs;
    b->n_recs = out->n_recs;
    if (out->n_recs > 0) memcpy(&r->recs[r->n_recs], out->recs, out->n_recs * sizeof *r->recs);
    r->n_recs += out->n_recs;
    b->cmd0 = r->n_cmds;
    b->n_cmds = out->n_cmds;
    if (out->n_cmds > 0) memcpy(&r->cmds[r->n_cmds], out->cmds, out->n_cmds * sizeof *r->cmds);
    r->n_cmds += out->n_cmds;
}

/* Writes the backlog oldest first, one transaction per step, stopping at the first
 * failure. LG_OK when it is empty. */
static int backlog_write(lg_runner_t *r) {
    for (uint32_t guard = 0; r->head < r->n_steps && guard < r->cfg.backlog_steps; guard++) {
        bl_step_t *b = &r->steps[r->head];
        lg_event_t ev = b->ev;
        if (ev.kind == LG_EV_POSITIONS) ev.u.positions.rows = &r->rows[b->row0];
        lg_out_t view = {.recs = &r->recs[b->rec0], .n_recs = b->n_recs, .cap_recs = b->n_recs,
                         .cmds = &r->cmds[b->cmd0], .n_cmds = b->n_cmds, .cap_cmds = b->n_cmds};
        int rc = lg_store_append_step(r->store, b->now, &ev, &view);
        if (rc != LG_OK) return rc;
        r->head++;
    }
    LG_ASSERT(r->head == r->n_steps);
    r->head = r->n_steps = r->n_recs = r->n_cmds = r->n_rows = 0;
    return LG_OK;
}

/* ---- the step ------------------------------------------------------------------------ */

/* Steps [from, n_steps) of the buffer: the risk-adding commands waiting for their commit. */
static uint64_t pending_entries(const lg_runner_t *r, uint32_t from) {
    uint64_t n = 0;
    for (uint32_t i = from; i < r->n_steps; i++)
        for (uint32_t k = 0; k < r->steps[i].n_cmds; k++) n += adds_risk(&r->cmds[r->steps[i].cmd0 + k]);
    return n;
}

static void halt(lg_runner_t *r, lg_ns_t now, lg_out_t *out);

/* A write inside the batch failed: the store rolled the whole batch back. Its steps stay
 * in the buffer as backlog, their entries are withheld for good, trading halts. */
static void batch_failed(lg_runner_t *r, int rc, lg_ns_t now, lg_out_t *out) {
    r->store_batch = false;
    r->withheld += pending_entries(r, r->batch0);
    r->batch0 = r->n_steps; /* nothing before this is ever released */
    if (r->jerr == LG_OK)
        alert(out, LG_ALERT_CRITICAL, rc, "journal commit failed: %s; risk-adding commands "
              "withheld, trading HALTED, %u step(s) held in memory", lg_store_errmsg(r->store),
              lg_runner_backlog(r));
    r->jerr = rc;
    halt(r, now, out);
}

/* Copies the step into the buffer and, while the journal is healthy, writes it into the
 * store's open batch (opening one for the runner's batch's first step). */
static void journal_step(lg_runner_t *r, const lg_event_t *ev, lg_ns_t now, const lg_out_t *step_out,
                         lg_out_t *out) {
    backlog_push(r, ev, now, step_out);
    if (r->jerr != LG_OK) { /* the journal is down: this step's entries never leave */
        r->withheld += pending_entries(r, r->n_steps - 1);
        r->batch0 = r->n_steps;
        return;
    }
    int rc = r->store_batch ? LG_OK : lg_store_begin(r->store);
    if (rc == LG_OK) {
        r->store_batch = true;
        rc = lg_store_append_step(r->store, now, ev, step_out);
    }
    if (rc != LG_OK) batch_failed(r, rc, now, out);
}

/* The journal failed: the runner's own KILL step flattens and halts. Its commands are all
 * risk-reducing and go out; the step joins the backlog. */
static void halt(lg_runner_t *r, lg_ns_t now, lg_out_t *out) {
    if (lg_engine_trading_state(r->eng) == LG_TS_HALTED) return;
    lg_event_t kill = {.kind = LG_EV_CONTROL};
    kill.u.control.op = LG_CTL_KILL;
    lg_engine_step(r->eng, &kill, now, &r->own);
    release(r, &r->own, now, false);
    for (uint32_t i = 0; i < r->own.n_cmds; i++) LG_ASSERT(!adds_risk(&r->own.cmds[i]));
    LG_ASSERT(r->jerr != LG_OK);
    backlog_push(r, &kill, now, &r->own);
    r->batch0 = r->n_steps;
    copy_alerts(out, &r->own);
}

int lg_runner_begin(lg_runner_t *r) {
    LG_ASSERT(r != NULL && !r->in_batch && !r->stopped);
    r->in_batch = true;
    r->batch0 = r->n_steps;
    LG_ASSERT(r->jerr != LG_OK || r->batch0 == r->head); /* healthy: no backlog */
    return LG_OK;
}

static bool refused_while_down(const lg_runner_t *r, const lg_event_t *ev) {
    return r->jerr != LG_OK && ev->kind == LG_EV_CONTROL && ev->u.control.op == LG_CTL_RESUME;
}

static int step_in_batch(lg_runner_t *r, const lg_event_t *ev, lg_ns_t now, lg_out_t *out) {
    size_t len = 0;
    int rc = lg_jrnl_encode_event(ev, now, r->buf, sizeof r->buf, &len);
    if (rc != LG_OK) { /* refused at the boundary: the engine never sees it */
        lg_out_reset(out);
        out->status = rc;
        return rc;
    }
    if (refused_while_down(r, ev)) {
        lg_out_reset(out);
        out->status = LG_ESTATE;
        alert(out, LG_ALERT_ERROR, LG_ESTATE, "resume refused: the journal cannot commit (%s)",
              lg_strerror(r->jerr));
        return LG_ESTATE;
    }
    if (!backlog_room(r, out) && r->jerr == LG_OK && r->n_steps > r->batch0) {
        rc = lg_runner_commit(r, out); /* a full batch is committed early */
        if (rc == LG_ESTOPPED) return rc;
        lg_runner_begin(r);
    }
    if (!backlog_room(r, out)) {
        lg_out_reset(out);
        out->status = LG_ENOSPACE;
        alert(out, LG_ALERT_CRITICAL, LG_ENOSPACE, "journal backlog full (%u steps): nothing "
              "more is stepped; restart to recover from the journal and the broker",
              lg_runner_backlog(r));
        return LG_ENOSPACE;
    }
    rc = lg_engine_step(r->eng, ev, now, out);
    release(r, out, now, false); /* write-behind: hedges never wait for the disk */
    bool hedge = false;
    for (uint32_t i = 0; i < out->n_cmds; i++)
        hedge = hedge || (out->cmds[i].kind == LG_CMD_PLACE && out->cmds[i].risk_reducing);
    if (r->crash == LG_CRASH_BEFORE_COMMIT || (r->crash == LG_CRASH_AT_HEDGE && hedge)) {
        r->stopped = true;
        return LG_ESTOPPED;
    }
    journal_step(r, ev, now, out, out);
    return rc;
}

int lg_runner_step(lg_runner_t *r, const lg_event_t *ev, lg_ns_t now, lg_out_t *out) {
    LG_ASSERT(r != NULL && ev != NULL && out != NULL && !r->stopped);
    if (r->in_batch) return step_in_batch(r, ev, now, out);
    lg_runner_begin(r);
    int rc = step_in_batch(r, ev, now, out);
    if (rc == LG_ESTOPPED) return rc;
    int crc = lg_runner_commit(r, out);
    return crc == LG_ESTOPPED ? crc : rc;
}

/* Writes the backlog (one transaction a step); says so once it is whole again. */
static int catch_up(lg_runner_t *r, lg_out_t *out) {
    int rc = backlog_write(r);
    if (rc != LG_OK) return rc;
    r->batch0 = 0;
    if (r->jerr != LG_OK)
        alert(out, LG_ALERT_WARN, 0, "journal writable again: every step is written (%llu "
              "commands were withheld); trading stays HALTED until resumed",
              (unsigned long long)r->withheld);
    r->jerr = LG_OK;
    return LG_OK;
}

int lg_runner_commit(lg_runner_t *r, lg_out_t *out) {
    LG_ASSERT(r != NULL && out != NULL && r->in_batch && !r->stopped);
    r->in_batch = false;
    if (r->jerr != LG_OK) return catch_up(r, out) == LG_OK ? LG_OK : r->jerr;
    if (r->store_batch) {
        r->store_batch = false;
        int rc = lg_store_commit(r->store);
        if (rc != LG_OK) {
            batch_failed(r, rc, r->n_steps > r->batch0 ? r->steps[r->n_steps - 1].now : 0, out);
            return rc;
        }
    }
    uint64_t entries = pending_entries(r, r->batch0);
    if (r->crash == LG_CRASH_AFTER_COMMIT || (r->crash == LG_CRASH_AT_ENTRY && entries > 0)) {
        r->stopped = true;
        return LG_ESTOPPED;
    }
    for (uint32_t i = r->batch0; i < r->n_steps; i++) { /* write-ahead: now on disk */
        const bl_step_t *b = &r->steps[i];
        for (uint32_t k = 0; k < b->n_cmds; k++)
            if (adds_risk(&r->cmds[b->cmd0 + k])) r->release(r->ctx, &r->cmds[b->cmd0 + k], b->now);
    }
    r->since_ckpt += r->n_steps - r->batch0;
    LG_ASSERT(r->head == r->batch0);
    r->head = r->n_steps = r->n_recs = r->n_cmds = r->n_rows = 0;
    r->batch0 = 0;
    return LG_OK;
}

int lg_runner_flush(lg_runner_t *r, lg_out_t *out) {
    LG_ASSERT(r != NULL && out != NULL && !r->in_batch);
    if (r->n_steps == r->head) return LG_OK;
    return catch_up(r, out);
}

void lg_runner_idle(lg_runner_t *r) {
    LG_ASSERT(r != NULL);
    if (r->jerr != LG_OK || r->in_batch || r->since_ckpt < r->cfg.checkpoint_steps) return;
    if (lg_store_checkpoint(r->store, LG_CKPT_PASSIVE) == LG_OK) r->since_ckpt = 0;
}
