/*
 * check.c — the invariants of DESIGN §10, checked after every step of a simulation,
 * and the replay check. Each violation stops the run with a sentence naming the
 * invariant, the group or order, and the simulated time.
 *
 *   1  no short option uncovered at the exchange beyond the emergency window
 *   2  ratchet: per pairing, short quantity committed <= protection filled (entry)
 *   3  once quiet, engine positions == exchange positions    (lg_harness_check_positions)
 *   4  a finished group holds its structure, a smaller complete one, or nothing
 *   5  one intent, one order at the exchange: no tag placed twice, and no leg filled
 *      beyond its quantity at the exchange (a re-sent duplicate under a new tag)
 *   6  exits never reverse more than the group holds
 *   8  filled quantities never decrease; replay reproduces state and commands
 *   9  after HALT no risk-increasing order is sent
 *  10  pool overflow is reported (status and alert), never silent
 */
#include "harness_int.h"

#include "legato/tag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
        uint32_t cap = LG_MIN(h->cap_log * 2, h->cfg.max_events);
        lg_event_t *log = cap > h->cap_log ? realloc(h->log, cap * sizeof *log) : NULL;
        if (log != NULL) h->log = log;
        lg_ns_t *lt = log != NULL ? realloc(h->log_t, cap * sizeof *lt) : NULL;
        if (lt != NULL) h->log_t = lt;
        if (log == NULL || lt == NULL) {
            lg_h_fail(h, "event log full (%u events)", h->cap_log);
            return;
        }
        h->cap_log = cap;
    }
    lg_event_t *copy = &h->log[h->n_log];
    *copy = *ev;
    h->log_t[h->n_log++] = at;
    if (ev->kind != LG_EV_POSITIONS) return;
    for (int i = 0; i < 32 && h->n_rows + ev->u.positions.n > h->cap_rows; i++) {
        lg_position_row_t *rows = realloc(h->rows, 2 * h->cap_rows * sizeof *rows);
        if (rows == NULL) {
            lg_h_fail(h, "event log rows full (%u rows)", h->cap_rows);
            return;
        }
        h->rows = rows;
        h->cap_rows *= 2;
    }
    memcpy(&h->rows[h->n_rows], ev->u.positions.rows, ev->u.positions.n * sizeof *h->rows);
    copy->u.positions.rows = (const lg_position_row_t *)(uintptr_t)h->n_rows; /* offset */
    h->n_rows += ev->u.positions.n;
}

/* ---- invariant 5 and 9: at the moment an order leaves ------------------------------ */

/* Invariant 11: every order's quantity traces to a sizing decision (an entry order
 * of a group the risk engine admitted, within its leg's target) or to a reversal of
 * a fill (invariant 6 holds it to what the leg holds). */
static void check_traced(lg_harness_t *h, const lg_cmd_t *c) {
    lg_tag_t t;
    if (lg_tag_decode(c->tag, &t) != LG_OK) {
        lg_h_fail(h, "invariant 11: order %s carries no legato tag", c->tag);
        return;
    }
    if (t.purpose != LG_PURPOSE_ENTRY || h->eng == NULL ||
        lg_harness_engine_config(h)->risk_off)
        return;
    lg_sizing_view_t sz;
    lg_group_view_t v;
    if (lg_engine_sizing(h->eng, t.group, &sz) != LG_OK || sz.worst_need <= 0 ||
        lg_engine_group(h->eng, t.group, &v) != LG_OK) {
        lg_h_fail(h, "invariant 11: entry order %s of group %u, which the risk engine never "
                  "admitted", c->tag, t.group);
        return;
    }
    if (t.leg >= v.n_legs || v.legs[t.leg].entry_committed > v.legs[t.leg].target)
        lg_h_fail(h, "invariant 11: entry order %s takes leg %u past its sized target %lld", c->tag,
                  t.leg, t.leg < v.n_legs ? (long long)v.legs[t.leg].target : -1LL);
}

void lg_h_check_place(lg_harness_t *h, const lg_cmd_t *c) {
    uint32_t n = lg_sim_orders_with_tag(h->sim, c->tag);
    if (n != 0) lg_h_fail(h, "invariant 5: tag %s placed again (%u already at the exchange)", c->tag, n);
    check_traced(h, c);
}

/* ---- invariant 1: coverage at the exchange ------------------------------------------ */

/* Which chain every instrument belongs to, computed once: the per-step coverage check
 * then needs one pass over the instruments and no string compares. */
void lg_h_index_chains(lg_harness_t *h) {
    free(h->chain_of);
    h->chain_of = malloc(h->master.n > 0 ? h->master.n : 1);
    LG_ASSERT(h->chain_of != NULL);
    const lg_instrument_t *it = h->master.items;
    h->n_chains = 0;
    for (uint32_t i = 0; i < h->master.n; i++) {
        h->chain_of[i] = 0xFF;
        for (uint32_t c = 0; c < h->master.n && h->chain_of[i] == 0xFF; c++) {
            if (it[c].kind != LG_KIND_FUT || strcmp(it[c].underlying, it[i].underlying)) continue;
            uint32_t k = 0;
            for (uint32_t f = 0; f < c; f++) k += it[f].kind == LG_KIND_FUT;
            LG_ASSERT(k < LG_COUNT(h->chain_lot));
            h->chain_of[i] = (uint8_t)k;
            h->chain_lot[k] = it[c].lot;
            if (k + 1 > h->n_chains) h->n_chains = k + 1;
        }
    }
}

/* Short option units beyond long ones of the same chain and kind, in lots (rounded up:
 * a shortfall of one unit counts). One expiry per chain here, so sums suffice. */
static lg_qty_t uncovered_lots(lg_harness_t *h) {
    lg_qty_t lng[8][2] = {{0}}, sht[8][2] = {{0}};
    for (uint32_t i = 0; i < h->master.n; i++) {
        const lg_instrument_t *in = &h->master.items[i];
        if (in->kind == LG_KIND_FUT || h->chain_of[i] == 0xFF) continue;
        lg_qty_t p = lg_sim_position(h->sim, in->token);
        int k = in->kind == LG_KIND_CE ? 0 : 1;
        if (p > 0) lng[h->chain_of[i]][k] += p;
        else sht[h->chain_of[i]][k] -= p;
    }
    lg_qty_t total = 0;
    for (uint32_t c = 0; c < h->n_chains; c++)
        for (int k = 0; k < 2; k++)
            if (sht[c][k] > lng[c][k])
                total += (sht[c][k] - lng[c][k] + h->chain_lot[c] - 1) / h->chain_lot[c];
    return total;
}

/* ---- invariants 1 and 6 per group, at the exchange, fill by fill ------------------ */

static lg_h_sub_t *sub_of(lg_harness_t *h, uint32_t group) {
    for (uint32_t i = 0; i < h->n_subs; i++)
        if (h->subs[i].group == group) return &h->subs[i];
    return NULL;
}

static void learn_pairing(lg_harness_t *h, lg_h_sub_t *s) {
    lg_group_view_t v;
    if (s->pairing_known || h->eng == NULL || lg_engine_group(h->eng, s->group, &v) != LG_OK) return;
    for (uint32_t i = 0; i < v.n_legs; i++) s->cover[i] = v.legs[i].cover;
    s->pairing_known = true;
}

/* After each exchange fill: no leg of the group flips sign (6), and under the
 * hedge-first policies every short is covered by its own protection leg (1). */
static void check_group_at_exchange(lg_harness_t *h, lg_h_sub_t *s, const lg_sim_fill_t *f) {
    const lg_group_spec_t *sp = &s->spec;
    for (uint32_t i = 0; i < sp->n_legs; i++)
        if (s->exch[i] * sp->legs[i].side < 0)
            lg_h_fail(h, "invariant 6: group %u leg %u is %lld at the exchange, opposite to its "
                      "side (fill of %s)", s->group, i, (long long)s->exch[i], f->tag);
    if (h->cfg.engine.policy == LG_POLICY_NAIVE || h->cfg.emergency_window_ns > 0) return;
    if (!s->pairing_known) {
        if (h->eng == NULL) return; /* first fill while the engine is down: checked later */
        lg_h_fail(h, "harness: group %u filled at the exchange but its pairing is unknown", s->group);
        return;
    }
    for (uint32_t p = 0; p < sp->n_legs; p++) {
        lg_qty_t shorts = 0;
        for (uint32_t i = 0; i < sp->n_legs; i++)
            if (s->cover[i] == (int8_t)p && s->exch[i] < 0) shorts -= s->exch[i];
        if (shorts > 0 && shorts > s->exch[p])
            lg_h_fail(h, "invariant 1: group %u holds %lld short units at the exchange against "
                      "%lld of protection leg %u (fill of %s)", s->group, (long long)shorts,
                      (long long)s->exch[p], p, f->tag);
    }
}

static void check_fills(lg_harness_t *h) {
    uint64_t n = lg_sim_fill_count(h->sim);
    for (; h->fill_cursor < n && !h->failed; h->fill_cursor++) {
        lg_sim_fill_t f;
        lg_tag_t t;
        if (lg_sim_fill(h->sim, h->fill_cursor, &f) != LG_OK) {
            lg_h_fail(h, "exchange fill %llu left the ring before it was checked",
                      (unsigned long long)h->fill_cursor);
            return;
        }
        if (lg_tag_decode(f.tag, &t) != LG_OK) continue;
        lg_h_sub_t *s = sub_of(h, t.group);
        if (s == NULL || t.leg >= s->spec.n_legs) {
            lg_h_fail(h, "exchange filled %s, which names no group of this run", f.tag);
            return;
        }
        learn_pairing(h, s);
        s->exch[t.leg] += f.qty;
        if (t.purpose == LG_PURPOSE_ENTRY) s->exch_entry[t.leg] += f.qty < 0 ? -f.qty : f.qty;
        if (s->exch_entry[t.leg] > s->spec.legs[t.leg].qty)
            lg_h_fail(h, "invariant 5: group %u leg %u filled %lld at the exchange for entry, "
                      "more than its %lld (a duplicate order; fill of %s)", s->group, t.leg,
                      (long long)s->exch_entry[t.leg], (long long)s->spec.legs[t.leg].qty, f.tag);
        check_group_at_exchange(h, s, &f);
    }
}

static void check_coverage(lg_harness_t *h) {
    h->stats.uncovered_lot_ns += h->uncovered_lots * (h->now - h->uncovered_mark);
    h->uncovered_mark = h->now;
    uint64_t fills = lg_sim_fill_count(h->sim); /* positions move only by fills */
    if (fills != h->coverage_fills || h->uncovered_stale) {
        h->uncovered_lots = uncovered_lots(h);
        h->coverage_fills = fills;
        h->uncovered_stale = false;
    }
    if (h->uncovered_lots == 0) {
        h->uncovered_since = 0;
        return;
    }
    if (h->uncovered_since == 0) h->uncovered_since = h->now;
    if (h->now - h->uncovered_since > h->cfg.emergency_window_ns)
        lg_h_fail(h, "invariant 1: %lld short lots uncovered at the exchange for %.3fs",
                  (long long)h->uncovered_lots, (double)(h->now - h->uncovered_since) / 1e9);
}

/* The checks made at the exchange alone (they go on while the engine is down). */
void lg_h_check_exchange(lg_harness_t *h) {
    check_fills(h);
    check_coverage(h);
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
    lg_h_check_exchange(h);
    /* A group's view changes only in a step that journals something about it. */
    /* ...and every group once in a while, so a change made without a record is seen. */
    if (h->stats.events % 64 == 0) {
        lg_h_check_all(h);
        return;
    }
    uint32_t last = 0;
    for (uint32_t r = 0; r < out->n_recs; r++) {
        uint32_t gid = out->recs[r].group;
        if (gid == 0 || gid == last) continue;
        last = gid;
        for (uint32_t i = 0; i < h->n_subs; i++)
            if (h->subs[i].group == gid) {
                check_group(h, &h->subs[i]);
                break;
            }
    }
}

void lg_h_check_all(lg_harness_t *h) {
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
