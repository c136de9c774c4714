/*
 * handlers.c — one function per kind of event: a group submitted, an ack, a send /
 * cancel / look-up error, an order update (fills), a tick, a control (kill, reduce,
 * resume, exit), a positions snapshot. Each refuses a bad event whole (lg_eng_refuse)
 * or applies it and touches the group it concerns.
 */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

/* ---- event handlers ------------------------------------------------------------------ */

int lg_eng_on_submit(lg_engine_t *e, const lg_group_spec_t *spec) {
    return lg_eng_submit(e, spec, NULL);
}

int lg_eng_reject_group(lg_engine_t *e, lg_group_t *g, lg_reason_t why, int rc) {
    e->stats.groups_rejected++;
    lg_group_transition(e, g, LG_GS_REJECTED, why);
    if (e->out->new_group == g->id) e->out->new_group = 0; /* not another group of the step */
    e->out->status = rc;
    return rc;
}

int lg_eng_submit(lg_engine_t *e, const lg_group_spec_t *spec, const lg_intent_t *it) {
    if (e->recovering)
        return lg_eng_refuse(e, LG_ESTATE, 0, NULL, "group refused: recovery has not finished");
    if (!lg_eng_room(e, 2 * LG_MAX_LEGS, 8 * LG_MAX_LEGS)) {
        return lg_eng_refuse(e, LG_EPOOL_FULL, 0, NULL, "output buffer too small for a group");
    }
    lg_group_t *g = lg_eng_group_alloc(e);
    if (g == NULL) {
        e->stats.groups_rejected++;
        return lg_eng_refuse(e, LG_EPOOL_FULL, 0, NULL, "group pool full (%u groups live)",
                      e->cfg.max_groups);
    }
    e->stats.groups_submitted++;
    g->created_ns = e->now;
    g->state = LG_GS_CREATED;
    g->path[g->n_states++] = LG_GS_CREATED;
    e->out->new_group = g->id;
    int rc = lg_group_validate(e, spec, g);
    if (rc != LG_OK) {
        e->stats.errors++;
        return lg_eng_reject_group(e, g, LG_WHY_INVALID, rc);
    }
    if (it != NULL && e->tstate == LG_TS_ACTIVE && lg_basket_wanted(e, it)) return lg_basket_ask(e, g, it);
    return lg_eng_admit_group(e, g, it);
}

int lg_eng_admit_group(lg_engine_t *e, lg_group_t *g, const lg_intent_t *it) {
    int rc;
    if (e->tstate != LG_TS_ACTIVE) {
        rc = lg_eng_refuse(e, LG_EHALTED, g->id, NULL, "group %u refused: trading is %s", g->id,
                           lg_tstate_name(e->tstate));
        return lg_eng_reject_group(e, g, LG_WHY_NOT_ACTIVE, rc);
    }
    uint32_t units = 0;
    lg_bound_t bound = LG_BOUND_NONE;
    rc = it != NULL ? lg_risk_size_group(e, g, it, &units, &bound) : LG_OK;
    if (rc == LG_OK) rc = lg_risk_admit(e, g, units, bound);
    if (rc != LG_OK) return lg_eng_reject_group(e, g, LG_WHY_RISK, rc);
    if (it != NULL) e->stats.sized++; /* sized and admitted */
    lg_group_transition(e, g, LG_GS_VALIDATED, LG_WHY_SUBMIT);
    lg_entry_release(e, g);
    lg_eng_schedule(e, g);
    return LG_OK;
}

typedef struct found {
    lg_group_t *g;
    lg_order_t *o;
    lg_tag_t id;
} found_t;

static int find_order(lg_engine_t *e, const char *tag, const char *what, found_t *f) {
    if (lg_tag_decode(tag, &f->id) != LG_OK) {
        return lg_eng_refuse(e, LG_EUNKNOWN_ORDER, 0, NULL, "%s for an order whose tag '%.20s' is not legato's",
                      what, tag);
    }
    f->g = lg_eng_group_by_id(e, f->id.group);
    f->o = f->g ? lg_eng_order_by_child(e, f->g, f->id.child) : NULL;
    if (f->o == NULL || strcmp(f->o->tag, tag) != 0) {
        return lg_eng_refuse(e, LG_EUNKNOWN_ORDER, f->id.group, tag, "%s for unknown order tag %s",
                      what, tag);
    }
    return LG_OK;
}

static void record_order_state(lg_engine_t *e, const lg_group_t *g, const lg_order_t *o,
                               lg_ostate_t from) {
    if (from == o->state) return;
    lg_eng_record(e, LG_REC_ORDER_STATE, g->id, o->tag, from, o->state, o->filled);
}

/* After anything touched a group: advance it and file its next wake-up. */
void lg_eng_touch(lg_engine_t *e, lg_group_t *g) {
    /* Recovery: every group decides at RECOVERED, once every broker order and fill is
     * known — a decision on half of the book could unwind a group the broker shows
     * whole (its short's fill learnt before its protection's). */
    if (g->rebuilt || g->undecided || e->recovering) return;
    if (g->basket_wait) { /* CREATED, nothing sent: only its answer, deadline or state */
        lg_basket_touch(e, g);
        return;
    }
    lg_stop_eng_sync(e, g);
    if (e->tstate == LG_TS_HALTED && (g->state == LG_GS_FILLED || g->state == LG_GS_HEDGED))
        lg_unwind_start(e, g, LG_PURPOSE_EXIT, LG_WHY_KILL);
    if (lg_group_in_entry(g)) lg_entry_progress(e, g);
    lg_exposure_evaluate(e, g);
    if (g->uw.active) lg_unwind_progress(e, g);
    lg_eng_schedule(e, g);
}

static void order_rejected(lg_engine_t *e, lg_group_t *g, const lg_order_t *o) {
    if (o->id.purpose == LG_PURPOSE_STOP) return; /* the stop decides (lg_stop_eng_sync) */
    if (o->id.purpose == LG_PURPOSE_ENTRY) { /* while recovering: decided at RECOVERED */
        if (lg_group_in_entry(g) && !e->recovering)
            lg_unwind_start(e, g, LG_PURPOSE_EMERGENCY, LG_WHY_REJECT);
        return;
    }
    lg_unwind_on_reject(e, g, o->id.leg);
}

int lg_eng_on_ack(lg_engine_t *e, const lg_event_t *ev) {
    found_t f;
    int rc = find_order(e, ev->u.ack.tag, "ack", &f);
    if (rc != LG_OK) return rc;
    lg_ostate_t from = f.o->state;
    rc = lg_order_on_ack(f.o, ev->u.ack.broker_id, e->now);
    if (rc != LG_OK) {
        return lg_eng_refuse(e, rc, f.g->id, f.o->tag, "ack for %s with broker id '%.24s' (has '%.24s')",
                      f.o->tag, ev->u.ack.broker_id, f.o->broker_id);
    }
    record_order_state(e, f.g, f.o, from);
    lg_eng_touch(e, f.g);
    return LG_OK;
}

/* A look-up by tag found no such order. Only an order whose placement is in doubt
 * (SENT without an answer, or UNKNOWN) can be missing; it becomes REJECTED after
 * LG_ORDER_NOT_FOUND_CONFIRM misses one silence interval apart, never on the first. */
static int on_lookup_miss(lg_engine_t *e, found_t *f, const lg_event_t *ev) {
    lg_ostate_t from = f->o->state;
    if (from != LG_OS_SENT && from != LG_OS_UNKNOWN) {
        return lg_eng_refuse(e, LG_EMISMATCH, f->g->id, f->o->tag,
                      "look-up found no order %s, which the broker reported as %s", f->o->tag,
                      lg_ostate_name(from));
    }
    if (from == LG_OS_SENT) lg_order_on_send_error(f->o, false, e->now); /* now in doubt */
    int rc = lg_order_on_send_error(f->o, true, e->now);                /* one miss */
    LG_ASSERT(rc == LG_OK);
    record_order_state(e, f->g, f->o, from);
    lg_eng_alert(e, LG_ALERT_WARN, 0, f->g->id, "order %s not found at the broker (%u of %u): %.80s",
                 f->o->tag, (unsigned)f->o->not_found, (unsigned)LG_ORDER_NOT_FOUND_CONFIRM,
                 ev->u.error.message);
    if (f->o->state == LG_OS_REJECTED) order_rejected(e, f->g, f->o);
    lg_eng_touch(e, f->g);
    return LG_OK;
}

int lg_eng_on_error(lg_engine_t *e, const lg_event_t *ev) {
    found_t f;
    int rc = find_order(e, ev->u.error.tag, "error", &f);
    if (rc != LG_OK) return rc;
    if (ev->u.error.is_lookup) return on_lookup_miss(e, &f, ev);
    if (ev->u.error.is_cancel) {
        f.o->cancel_at = e->now; /* answered: the next try waits a full interval */
        /* The cancel lost (already filled or rejected): ask for the final state. */
        if (!lg_ostate_terminal(f.o->state) && lg_eng_room(e, 1, 0)) {
            lg_cmd_t *c = lg_eng_cmd(e, LG_CMD_QUERY_ORDER, true);
            lg_strlcpy(c->tag, f.o->tag, sizeof c->tag);
            lg_strlcpy(c->broker_id, f.o->broker_id, sizeof c->broker_id);
        }
        lg_eng_alert(e, LG_ALERT_INFO, 0, f.g->id, "cancel of %s refused: %.96s", f.o->tag,
                     ev->u.error.message);
        lg_eng_touch(e, f.g);
        return LG_OK;
    }
    lg_ostate_t from = f.o->state;
    rc = lg_order_on_send_error(f.o, ev->u.error.definitive, e->now);
    if (rc != LG_OK) {
        return lg_eng_refuse(e, rc, f.g->id, f.o->tag, "send error for %s in state %s", f.o->tag,
                      lg_ostate_name(f.o->state));
    }
    record_order_state(e, f.g, f.o, from);
    lg_eng_alert(e, ev->u.error.definitive ? LG_ALERT_WARN : LG_ALERT_ERROR, 0, f.g->id,
                 "order %s %s (HTTP %d): %.96s", f.o->tag,
                 ev->u.error.definitive ? "refused" : "outcome unknown",
                 (int)ev->u.error.http_status, ev->u.error.message);
    if (f.o->state == LG_OS_REJECTED && from != LG_OS_REJECTED) order_rejected(e, f.g, f.o);
    lg_eng_touch(e, f.g);
    return LG_OK;
}

static void apply_fill(lg_engine_t *e, lg_group_t *g, const lg_order_t *o,
                       const lg_apply_result_t *r) {
    lg_leg_t *leg = &g->legs[o->id.leg];
    if (o->id.purpose == LG_PURPOSE_ENTRY) leg->entry_filled += r->fill_delta;
    else leg->rev_filled += r->fill_delta;
    if (leg->rev_filled > leg->entry_filled) { /* reversed more than held: never by design */
        lg_eng_alert(e, LG_ALERT_CRITICAL, LG_EOVERFILL, g->id,
                     "group %u leg %s: reversed %lld but only %lld filled; halting", g->id,
                     leg->ins->symbol, (long long)leg->rev_filled, (long long)leg->entry_filled);
        lg_eng_set_tstate(e, LG_TS_HALTED, LG_WHY_EMERGENCY_FAIL);
    }
    lg_risk_fill(e, leg->ins_index, o->side * r->fill_delta, r->value_delta);
    g->cash -= o->side * r->value_delta;
    lg_eng_record(e, LG_REC_FILL, g->id, o->tag, o->token, o->side * r->fill_delta,
                  r->value_delta);
    /* A late fill reopens a finished group, or moves a live one off its structure; the
     * armed stop's exit is no surprise (CLOSING), an orphan stop order's is. */
    bool beyond = (g->state == LG_GS_FILLED || g->state == LG_GS_HEDGED) &&
                  leg->entry_filled - leg->rev_filled != leg->target &&
                  !(o->id.purpose == LG_PURPOSE_STOP && lg_stop_eng_owns(e, g, o));
    if ((lg_group_finished(g) || beyond) && !e->recovering) /* recovering: at RECOVERED */
        lg_unwind_start(e, g, LG_PURPOSE_EMERGENCY, LG_WHY_LATE_FILL);
}

int lg_eng_on_update(lg_engine_t *e, const lg_event_t *ev) {
    const lg_order_update_t *u = &ev->u.update;
    found_t f;
    int rc = find_order(e, u->tag, "update", &f);
    if (rc != LG_OK) return rc;
    lg_apply_result_t r;
    lg_ostate_t from = f.o->state;
    rc = lg_order_apply_update(f.o, u, e->now, &r);
    if (rc != LG_OK) {
        return lg_eng_refuse(e, rc, f.g->id, f.o->tag,
                      "update for %s refused (status %s, quantity %lld, filled %lld, "
                      "average %lld paise; order quantity %lld, filled %lld)",
                      f.o->tag, lg_kstatus_name(u->status), (long long)u->quantity,
                      (long long)u->filled, (long long)u->avg_price, (long long)f.o->qty,
                      (long long)f.o->filled);
    }
    record_order_state(e, f.g, f.o, from);
    if (f.o->cancel_sent) f.o->cancel_at = e->now; /* the order is talking: wait again */
    if (r.fill_delta > 0) apply_fill(e, f.g, f.o, &r);
    /* Rejected, or cancelled by the exchange rather than by us: the order failed. */
    bool failed = (f.o->state == LG_OS_REJECTED && from != LG_OS_REJECTED) ||
                  (f.o->state == LG_OS_CANCELLED && from != LG_OS_CANCELLED && !f.o->cancel_sent &&
                   f.o->filled < f.o->qty);
    if (failed) {
        lg_eng_alert(e, LG_ALERT_WARN, 0, f.g->id, "order %s %s: %.96s", f.o->tag,
                     lg_ostate_name(f.o->state), u->message);
        order_rejected(e, f.g, f.o);
    }
    lg_eng_touch(e, f.g);
    return LG_OK;
}

/* The forward an option's last price goes with: the future's price when the option
 * last ticked, or the future's price now if it had none then. */
static lg_paise_t paired_forward(const lg_engine_t *e, uint32_t idx) {
    uint32_t f = e->fut_of[idx];
    lg_paise_t now = f == LG_NO_INDEX ? 0 : e->ltp[f];
    return e->iv_fwd[idx] > 0 ? e->iv_fwd[idx] : now;
}

void lg_eng_price_seen(lg_engine_t *e, uint32_t idx) {
    uint32_t f = e->fut_of[idx];
    e->iv_fwd[idx] = f == LG_NO_INDEX ? 0 : e->ltp[f];
    e->iv_until[idx] = 0;
}

static double solve_at(const lg_engine_t *e, uint32_t idx, lg_paise_t fwd) {
    const lg_instrument_t *ins = &e->master->items[idx];
    if (ins->kind == LG_KIND_FUT || fwd <= 0 || e->ltp[idx] <= 0) return 0;
    double secs = ((double)ins->expiry_day * 86400.0 + 36000.0) -
                  (double)(e->now + e->cfg.clock_offset_ns) / 1e9;
    if (secs <= 0) return 0;
    double iv = 0;
    if (lg_b76_iv_from(ins->kind == LG_KIND_CE, (double)fwd / 100.0, (double)ins->strike / 100.0,
                       secs / (365.0 * 86400.0), 0.0, (double)e->ltp[idx] / 100.0, e->iv[idx],
                       &iv) != LG_OK)
        return 0;
    return iv;
}

/* Implied volatility of an option from its last price and the forward that price
 * goes with — or, when no volatility explains that pair (a future and its option
 * ticking in one packet, taken in the other order), the forward now; 0 when a price
 * is missing or neither explains it. */
double lg_eng_solve_iv(const lg_engine_t *e, uint32_t idx) {
    lg_paise_t paired = paired_forward(e, idx);
    double iv = solve_at(e, idx, paired);
    uint32_t f = e->fut_of[idx];
    lg_paise_t now = f == LG_NO_INDEX ? 0 : e->ltp[f];
    return iv > 0 || now == paired ? iv : solve_at(e, idx, now);
}

#define IV_HOLD_NS (60 * LG_NS_PER_S)

/* The volatility when it is needed (exposure, admission, greeks): solved from the
 * option's last price and the forward of the moment it ticked, and kept (sticky
 * strike) until the option ticks again or IV_HOLD_NS pass. A move of the future alone
 * keeps it: pairing the option's older price with the newer forward would measure the
 * quote's staleness, not the market's volatility. Ticks alone never pay for it. */
bool lg_eng_iv_held(const lg_engine_t *e, uint32_t idx) {
    return e->now < e->iv_until[idx] && e->iv[idx] > 0; /* unknown: tried each time */
}

double lg_eng_iv(lg_engine_t *e, uint32_t idx) {
    if (lg_eng_iv_held(e, idx)) return e->iv[idx];
    e->iv[idx] = lg_eng_solve_iv(e, idx);
    e->iv_until[idx] = e->now + IV_HOLD_NS;
    return e->iv[idx];
}

int lg_eng_on_tick(lg_engine_t *e, const lg_event_t *ev) {
    const lg_instrument_t *ins = lg_instruments_find(e->master, ev->u.tick.token);
    if (ins == NULL) {
        return lg_eng_refuse(e, LG_EINSTRUMENT, 0, NULL, "tick for token %u missing from the master",
                      ev->u.tick.token);
    }
    if (ev->u.tick.ltp <= 0 || ev->u.tick.bid < 0 || ev->u.tick.ask < 0) {
        return lg_eng_refuse(e, LG_EPRICE, 0, NULL, "tick for %s with price %lld", ins->symbol,
                      (long long)ev->u.tick.ltp);
    }
    uint32_t idx = (uint32_t)(ins - e->master->items);
    lg_paise_t old = e->ltp[idx];
    e->ltp[idx] = ev->u.tick.ltp;
    e->n_priced += old == 0;
    lg_eng_price_seen(e, idx); /* its volatility, when next needed, from this price */
    lg_risk_tick(e, idx, old);
    if (e->recovering) return LG_OK; /* exposure is looked at again at RECOVERED */
    lg_stop_eng_tick(e, idx);
    /* Exposure of every group in entry that this price moves. */
    /* Backwards: a group that leaves entry is swapped out from behind the cursor. */
    for (uint32_t i = e->n_entering; i-- > 0;) {
        if (i >= e->n_entering) continue;
        lg_group_t *g = &e->groups[e->entering[i]];
        LG_ASSERT(lg_group_in_entry(g));
        if (!lg_eng_room(e, 2 * LG_MAX_LEGS, 8 * LG_MAX_LEGS)) {
            g->exposure_due = true; /* evaluated at the next wake-up, which is now */
            lg_eng_schedule(e, g);
            lg_eng_defer(e);
            continue;
        }
        for (uint32_t l = 0; l < g->n_legs; l++) {
            if (g->legs[l].ins_index == idx ||
                strcmp(g->legs[l].ins->underlying, ins->underlying) == 0) {
                lg_exposure_evaluate(e, g);
                lg_eng_schedule(e, g);
                break;
            }
        }
    }
    return LG_OK;
}

int lg_eng_on_control(lg_engine_t *e, const lg_event_t *ev) {
    switch (ev->u.control.op) {
    case LG_CTL_KILL:
        lg_eng_set_tstate(e, LG_TS_HALTED, LG_WHY_KILL);
        return LG_OK;
    case LG_CTL_REDUCE:
        if (e->tstate == LG_TS_ACTIVE) lg_eng_set_tstate(e, LG_TS_REDUCING, LG_WHY_REDUCE);
        return LG_OK;
    case LG_CTL_RESUME:
        lg_risk_resume(e);
        for (uint32_t i = 0; i < e->cfg.max_groups; i++)
            if (e->groups[i].id != 0 && !lg_group_finished(&e->groups[i])) {
                lg_unwind_reset_escalation(&e->groups[i]);
                lg_eng_schedule(e, &e->groups[i]);
            }
        return LG_OK;
    case LG_CTL_RECOVER_BEGIN:
        e->recovering = true;
        return LG_OK;
    case LG_CTL_RECOVERED:
        if (!e->recovering)
            return lg_eng_refuse(e, LG_ESTATE, 0, NULL, "RECOVERED without RECOVER_BEGIN");
        lg_basket_recovered(e);
        lg_eng_recovered(e);
        return LG_OK;
    case LG_CTL_EXIT_GROUP: {
        if (e->recovering)
            return lg_eng_refuse(e, LG_ESTATE, ev->u.control.group, NULL,
                                 "exit of group %u refused: recovery has not finished",
                                 ev->u.control.group);
        lg_group_t *g = lg_eng_group_by_id(e, ev->u.control.group);
        if (g == NULL) {
            return lg_eng_refuse(e, LG_EUNKNOWN_GROUP, ev->u.control.group, NULL,
                          "exit of unknown group %u", ev->u.control.group);
        }
        if (g->state != LG_GS_HEDGED && g->state != LG_GS_FILLED) {
            return lg_eng_refuse(e, LG_ESTATE, g->id, NULL, "exit of group %u in state %s", g->id,
                          lg_gstate_name(g->state));
        }
        lg_unwind_start(e, g, LG_PURPOSE_EXIT, LG_WHY_EXIT);
        lg_eng_schedule(e, g);
        return LG_OK;
    }
    default:
        return lg_eng_refuse(e, LG_EINVAL, 0, NULL, "control operation %d unknown",
                      (int)ev->u.control.op);
    }
}

/* Net broker quantity of a token: the sum of its rows (one per product). */
static lg_qty_t broker_qty(const lg_position_row_t *rows, uint32_t n, uint32_t token) {
    lg_qty_t q = 0;
    for (uint32_t i = 0; i < n; i++)
        if (rows[i].token == token) q += rows[i].qty;
    return q;
}

static void positions_for_group(lg_engine_t *e, lg_group_t *g, const lg_position_row_t *rows,
                                uint32_t n) {
    LG_ASSERT(g->state == LG_GS_FILLED);
    bool agree = true;
    for (uint32_t l = 0; l < g->n_legs && agree; l++)
        agree = broker_qty(rows, n, g->legs[l].ins->token) == e->pos[g->legs[l].ins_index];
    if (agree) {
        lg_group_transition(e, g, LG_GS_HEDGED, LG_WHY_POSITIONS);
        return;
    }
    g->pos_checks++;
    g->pos_check_at = e->now + e->cfg.positions_check_ns;
    if (g->pos_checks == e->cfg.positions_checks) {
        lg_eng_alert(e, LG_ALERT_ERROR, LG_EMISMATCH, g->id,
                     "group %u: broker positions still disagree after %u checks", g->id,
                     (unsigned)g->pos_checks);
    }
}

int lg_eng_on_positions(lg_engine_t *e, const lg_event_t *ev) {
    const lg_position_row_t *rows = ev->u.positions.rows;
    uint32_t n = ev->u.positions.n;
    if (n > 0 && rows == NULL) return lg_eng_refuse(e, LG_EINVAL, 0, NULL, "positions without rows");
    for (uint32_t i = 0; i < n; i++) { /* not ours to judge, but worth a word */
        if (lg_instruments_find(e->master, rows[i].token) != NULL) continue;
        lg_eng_alert(e, LG_ALERT_WARN, LG_EINSTRUMENT, 0,
                     "broker position in token %u (missing from the master) ignored", rows[i].token);
        break;
    }
    e->pos_query_out = false;
    for (uint32_t i = 0; i < e->cfg.max_groups; i++) {
        lg_group_t *g = &e->groups[i];
        if (g->id == 0 || g->state != LG_GS_FILLED) continue;
        if (!lg_eng_room(e, 0, 4)) { /* the rest wait for the next answer */
            lg_eng_defer(e);
            break;
        }
        positions_for_group(e, g, rows, n);
        lg_eng_schedule(e, g);
    }
    return LG_OK;
}

