/*
 * check.c — the invariants of DESIGN §10, checked after every step of a simulation,
 * and the replay check. Each violation stops the run with a sentence naming the
 * invariant, the group or order, and the simulated time.
 *
 *   1  no short option uncovered at the exchange beyond the emergency window
 *   2  ratchet: per pairing, short quantity committed <= protection filled (entry)
 *   3  once quiet, engine positions == exchange positions    (lg_harness_check_positions)
 *   4  a finished group holds its structure, a smaller complete one, or nothing
 *   5  one intent, one order at the exchange (no tag placed twice)
 *   6  exits never reverse more than the group holds
 *   8  filled quantities never decrease; replay reproduces state and commands
 *   9  after HALT no risk-increasing order is sent
 *  10  pool overflow is reported (status and alert), never silent
 */
#include "harness_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void lg_h_fail(lg_harness_t *h, const char *fmt, ...) {
    if (h->failed) return;
    h->failed = true;
    int n = snprintf(h->failure, sizeof h->failure, "t=%.6fs: ", (double)h->now / 1e9);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->failure + n, sizeof h->failure - (size_t)n, fmt, ap);
    va_end(ap);
}

static uint64_t fnv(uint64_t x, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) x = (x ^ b[i]) * 1099511628211ull;
    return x;
}

uint64_t lg_h_hash_cmds(uint64_t x, const lg_out_t *out) {
    for (uint32_t i = 0; i < out->n_cmds; i++) x = fnv(x, &out->cmds[i], sizeof out->cmds[i]);
    return x;
}

void lg_h_log_event(lg_harness_t *h, const lg_event_t *ev, lg_ns_t at) {
    if (h->n_log >= h->cap_log) {
        lg_h_fail(h, "event log full (%u events)", h->cap_log);
        return;
    }
    lg_event_t *copy = &h->log[h->n_log];
    *copy = *ev;
    h->log_t[h->n_log++] = at;
    if (ev->kind != LG_EV_POSITIONS) return;
    if (h->n_rows + ev->u.positions.n > h->cap_rows) {
        lg_h_fail(h, "event log rows full");
        return;
    }
    memcpy(&h->rows[h->n_rows], ev->u.positions.rows, ev->u.positions.n * sizeof *h->rows);
    copy->u.positions.rows = (const lg_position_row_t *)(uintptr_t)h->n_rows; /* offset */
    h->n_rows += ev->u.positions.n;
}

/* ---- invariant 5 and 9: at the moment an order leaves ------------------------------ */

void lg_h_check_place(lg_harness_t *h, const lg_cmd_t *c) {
    uint32_t n = lg_sim_orders_with_tag(h->sim, c->tag);
    if (n != 0) lg_h_fail(h, "invariant 5: tag %s placed again (%u already at the exchange)", c->tag, n);
}

/* ---- invariant 1: coverage at the exchange ------------------------------------------ */

static lg_qty_t uncovered_lots(lg_harness_t *h) {
    /* per (underlying, kind): shorts beyond longs of the same or later expiry (one expiry
     * per chain here, so the sums suffice) */
    lg_qty_t total = 0;
    const lg_instrument_t *it = h->master.items;
    for (uint32_t u = 0; u < h->master.n; u++) {
        if (it[u].kind != LG_KIND_FUT) continue;
        for (int k = LG_KIND_CE; k <= LG_KIND_PE; k++) {
            lg_qty_t lng = 0, sht = 0;
            for (uint32_t i = 0; i < h->master.n; i++) {
                if ((int)it[i].kind != k || strcmp(it[i].underlying, it[u].underlying)) continue;
                lg_qty_t p = lg_sim_position(h->sim, it[i].token);
                if (p > 0) lng += p;
                else sht -= p;
            }
            if (sht > lng) total += (sht - lng) / it[u].lot;
        }
    }
    return total;
}

static void check_coverage(lg_harness_t *h) {
    h->stats.uncovered_lot_ns += h->uncovered_lots * (h->now - h->uncovered_mark);
    h->uncovered_mark = h->now;
    h->uncovered_lots = uncovered_lots(h);
    if (h->uncovered_lots == 0) {
        h->uncovered_since = 0;
        return;
    }
    if (h->uncovered_since == 0) h->uncovered_since = h->now;
    if (h->now - h->uncovered_since > h->cfg.emergency_window_ns)
        lg_h_fail(h, "invariant 1: %lld short lots uncovered at the exchange for %.3fs",
                  (long long)h->uncovered_lots, (double)(h->now - h->uncovered_since) / 1e9);
}

/* ---- per-group invariants 2, 4, 6, 8 ----------------------------------------------- */

/* Holds in every state, not only while entering: protection filled never decreases,
 * and once a group leaves entry no short entry quantity is added. */
static void check_ratchet(lg_harness_t *h, const lg_group_view_t *v) {
    if (v->policy == LG_POLICY_NAIVE) return;
    for (uint32_t p = 0; p < v->n_legs; p++) {
        if (!v->legs[p].protection) continue;
        lg_qty_t risk = 0;
        for (uint32_t i = 0; i < v->n_legs; i++)
            if (v->legs[i].cover == (int8_t)p) risk += v->legs[i].entry_committed;
        if (risk > v->legs[p].entry_filled)
            lg_h_fail(h, "invariant 2: group %u short committed %lld > protection leg %u filled %lld",
                      v->id, (long long)risk, p, (long long)v->legs[p].entry_filled);
    }
}

/* A finished structure: every pairing unit holds k × its ratio in the spec. */
static void check_structure(lg_harness_t *h, const lg_h_sub_t *s, const lg_group_view_t *v) {
    bool flat_state = v->state == LG_GS_EMERGENCY_HEDGED || v->state == LG_GS_CLOSED;
    if (!flat_state && v->state != LG_GS_HEDGED) return;
    for (uint32_t i = 0; i < v->n_legs; i++) {
        if (flat_state && v->legs[i].held != 0)
            lg_h_fail(h, "invariant 4: group %u is %s but leg %u holds %lld", v->id,
                      lg_gstate_name(v->state), i, (long long)v->legs[i].held);
        if (!flat_state && v->legs[i].held != v->legs[i].target)
            lg_h_fail(h, "invariant 4: group %u HEDGED but leg %u holds %lld of %lld", v->id, i,
                      (long long)v->legs[i].held, (long long)v->legs[i].target);
        int c = v->legs[i].cover;
        if (flat_state || c < 0) continue;
        /* held_i / spec_i == held_c / spec_c (cross-multiplied) */
        lg_qty_t a = v->legs[i].held * s->spec.legs[c].qty;
        lg_qty_t b = v->legs[c].held * s->spec.legs[i].qty;
        if (a != b)
            lg_h_fail(h, "invariant 4: group %u HEDGED with leg %u (%lld) out of ratio with "
                      "its protection leg %d (%lld)", v->id, i, (long long)v->legs[i].held, c,
                      (long long)v->legs[c].held);
    }
}

static void check_group(lg_harness_t *h, lg_h_sub_t *s) {
    lg_group_view_t v;
    if (lg_engine_group(h->eng, s->group, &v) != LG_OK) return; /* slot reused */
    if (v.state == LG_GS_HEDGED && s->hedged_at == 0) s->hedged_at = h->now;
    check_ratchet(h, &v);
    check_structure(h, s, &v);
    for (uint32_t i = 0; i < v.n_legs; i++) {
        const lg_leg_view_t *l = &v.legs[i];
        if (l->entry_filled < s->prev_entry[i] || l->rev_filled < s->prev_rev[i])
            lg_h_fail(h, "invariant 8: group %u leg %u filled quantity decreased", v.id, i);
        s->prev_entry[i] = l->entry_filled;
        s->prev_rev[i] = l->rev_filled;
        if (l->rev_committed > l->entry_filled)
            lg_h_fail(h, "invariant 6: group %u leg %u reversal %lld exceeds held %lld", v.id, i,
                      (long long)l->rev_committed, (long long)l->entry_filled);
        if (l->held < 0)
            lg_h_fail(h, "invariant 6: group %u leg %u position flipped (%lld)", v.id, i,
                      (long long)l->held);
    }
}

void lg_h_check_step(lg_harness_t *h, lg_tstate_t before, const lg_out_t *out) {
    if (before != LG_TS_ACTIVE) {
        for (uint32_t i = 0; i < out->n_cmds; i++)
            if (out->cmds[i].kind == LG_CMD_PLACE && !out->cmds[i].risk_reducing)
                lg_h_fail(h, "invariant 9: risk-increasing order %s sent while %s",
                          out->cmds[i].tag, lg_tstate_name(before));
    }
    if (lg_sim_overflows(h->sim) != 0)
        lg_h_fail(h, "invariant 10: the exchange model overflowed %u times", lg_sim_overflows(h->sim));
    if (out->status == LG_EPOOL_FULL && out->n_alerts == 0)
        lg_h_fail(h, "invariant 10: pool overflow without an alert");
    check_coverage(h);
    for (uint32_t i = 0; i < h->n_subs; i++)
        if (h->subs[i].group != 0) check_group(h, &h->subs[i]);
}

/* ---- invariant 3 and replay ----------------------------------------------------------- */

int lg_harness_check_positions(lg_harness_t *h) {
    for (uint32_t i = 0; i < h->master.n; i++) {
        uint32_t tok = h->master.items[i].token;
        lg_qty_t a = lg_engine_position(h->eng, tok), b = lg_sim_position(h->sim, tok);
        if (a != b) {
            lg_h_fail(h, "invariant 3: %s engine holds %lld, exchange %lld",
                      h->master.items[i].symbol, (long long)a, (long long)b);
            return LG_EMISMATCH;
        }
    }
    return LG_OK;
}

int lg_harness_check_replay(lg_harness_t *h) {
    if (!h->cfg.record) return LG_EINVAL;
    lg_engine_t *e2 = NULL;
    int rc = lg_engine_create(&h->cfg.engine, &h->master, &e2);
    if (rc != LG_OK) return rc;
    lg_out_t out;
    rc = lg_out_init(&out, h->out.cap_cmds, h->out.cap_recs, h->out.cap_alerts);
    if (rc != LG_OK) {
        lg_engine_destroy(e2);
        return rc;
    }
    uint64_t hash = 1469598103934665603ull;
    for (uint32_t i = 0; i < h->n_log; i++) {
        lg_event_t ev;
        lg_ns_t at;
        lg_harness_logged(h, i, &ev, &at);
        lg_engine_step(e2, &ev, at, &out);
        hash = lg_h_hash_cmds(hash, &out);
    }
    rc = LG_OK;
    if (hash != h->cmd_hash) {
        lg_h_fail(h, "invariant 8: replay of %u events emitted different commands", h->n_log);
        rc = LG_EMISMATCH;
    } else if (lg_engine_digest(e2) != lg_engine_digest(h->eng)) {
        lg_h_fail(h, "invariant 8: replay of %u events reached a different state", h->n_log);
        rc = LG_EMISMATCH;
    }
    lg_out_free(&out);
    lg_engine_destroy(e2);
    return rc;
}

uint32_t lg_harness_logged_count(const lg_harness_t *h) { return h->n_log; }

int lg_harness_logged(const lg_harness_t *h, uint32_t i, lg_event_t *ev, lg_ns_t *at) {
    if (i >= h->n_log) return LG_ERANGE;
    *ev = h->log[i];
    *at = h->log_t[i];
    if (ev->kind == LG_EV_POSITIONS) ev->u.positions.rows = &h->rows[(uintptr_t)ev->u.positions.rows];
    return LG_OK;
}
