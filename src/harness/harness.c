/*
 * harness.c — the virtual-time loop that runs the engine against the exchange model,
 * the script of submissions and controls, and the summary statistics. Invariant
 * checks live in check.c; random scenarios in dst.c.
 */
#include "harness_int.h"

#include "legato/vfs_fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lg_harness_config_default(lg_harness_config_t *c) {
    memset(c, 0, sizeof *c);
    c->seed = 1;
    lg_sim_knobs_default(&c->knobs);
    lg_engine_config_default(&c->engine);
    c->engine.max_groups = 256;
    c->engine.max_orders = 8192;
    c->check_invariants = true;
    c->record = true;
    c->emergency_window_ns = 10 * LG_NS_PER_S;
    c->max_events = 2000000;
    c->sim_max_orders = 16384;
    c->sim_max_pending = 65536;
    c->funds = 50000000LL * 100; /* ₹5 crore */
    /* the loss limit's kill switch is a scenario of its own (dst.c tightens it) */
    c->engine.risk.daily_loss_limit = 5000000LL * 100; /* ₹50 lakh */
}

int lg_harness_create(const lg_harness_config_t *cfg, lg_harness_t **out) {
    lg_harness_t *h = calloc(1, sizeof *h);
    if (h == NULL) return LG_EPOOL_FULL;
    h->cfg = *cfg;
    h->subs = calloc(LG_H_MAX_SUBS, sizeof *h->subs);
    h->script = calloc(LG_H_MAX_SCRIPT, sizeof *h->script);
    h->tokens = calloc(LG_H_MAX_TOKENS, sizeof *h->tokens);
    h->eng_wake = INT64_MAX;
    int rc = lg_instruments_init(&h->master, 512);
    lg_sim_config_t sc = {.seed = cfg->seed, .max_orders = cfg->sim_max_orders,
                          .max_pending = cfg->sim_max_pending,
                          .knobs = cfg->knobs, .funds = cfg->funds};
    if (rc == LG_OK) rc = lg_sim_create(&sc, &h->master, &h->sim);
    if (rc == LG_OK) rc = lg_out_init(&h->out, 4096, 16384, 256);
    if (rc == LG_OK && cfg->record) {
        h->cap_log = 1u << 14; /* grows by doubling up to max_events */
        h->log = malloc(h->cap_log * sizeof *h->log);
        h->log_t = malloc(h->cap_log * sizeof *h->log_t);
        h->cap_rows = 1u << 12; /* grows by doubling */
        h->rows = malloc(h->cap_rows * sizeof *h->rows);
        if (!h->log || !h->log_t || !h->rows) rc = LG_EPOOL_FULL;
    }
    if (rc != LG_OK || !h->subs || !h->script || !h->tokens) {
        lg_harness_destroy(h);
        return rc != LG_OK ? rc : LG_EPOOL_FULL;
    }
    h->cmd_hash = 1469598103934665603ull;
    *out = h;
    return LG_OK;
}

void lg_harness_destroy(lg_harness_t *h) {
    if (h == NULL) return;
    if (h->disk_on) lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0);
    lg_runner_destroy(h->runner);
    if (h->store) lg_store_close(h->store);
    lg_engine_destroy(h->eng);
    free(h->book);
    lg_sim_destroy(h->sim);
    if (h->out.cmds) lg_out_free(&h->out);
    if (h->master.items) lg_instruments_free(&h->master);
    free(h->subs);
    free(h->script);
    free(h->tokens);
    free(h->log);
    free(h->chain_of);
    free(h->log_t);
    free(h->rows);
    free(h);
}

/* Expiry of the simulated chains: 30 days after the engine's clock origin. */
#define LG_H_EXPIRY_DAY 20650 /* 2026-07-17 */
#define LG_H_CLOCK_OFFSET ((lg_ns_t)(LG_H_EXPIRY_DAY - 30) * 86400 * LG_NS_PER_S)

int lg_harness_add_nifty(lg_harness_t *h) {
    return lg_sim_add_underlying(h->sim, "NIFTY", 24000.0, 50.0, 21, LG_H_EXPIRY_DAY, 65, 1800,
                                 0.14);
}

int lg_harness_add_banknifty(lg_harness_t *h) {
    return lg_sim_add_underlying(h->sim, "BANKNIFTY", 52000.0, 100.0, 21, LG_H_EXPIRY_DAY, 30,
                                 600, 0.16);
}

static void prime_token(lg_harness_t *h, uint32_t tok);

int lg_harness_start(lg_harness_t *h) {
    h->cfg.engine.clock_offset_ns = LG_H_CLOCK_OFFSET;
    lg_h_index_chains(h);
    int rc = lg_engine_create(&h->cfg.engine, &h->master, &h->eng);
    if (rc != LG_OK) return rc;
    if (h->cfg.crashes > 0 && h->cfg.journal == NULL) return LG_EINVAL;
    if (h->cfg.journal != NULL && (rc = lg_h_open_journal(h, true)) != LG_OK) return rc;
    lg_h_plan_crashes(h);
    for (uint32_t i = 0; i < h->master.n; i++)
        if (h->master.items[i].kind == LG_KIND_FUT) lg_harness_subscribe(h, h->master.items[i].token);
    lg_h_prime(h);
    return h->failed ? LG_EMISMATCH : LG_OK;
}

static bool step(lg_harness_t *h, const lg_event_t *ev, int sub);

/* An instrument's circuit band and quote, stepped in. */
static void prime_token(lg_harness_t *h, uint32_t tok) {
    if (h->down || h->failed) return; /* a crash point can stop the engine in any step */
    lg_event_t ev = {.kind = LG_EV_BAND};
    ev.u.band.token = tok;
    if (lg_sim_band(h->sim, tok, &ev.u.band.lo, &ev.u.band.hi) == LG_OK && ev.u.band.lo > 0)
        step(h, &ev, -1);
    if (h->down) return;
    ev = (lg_event_t){.kind = LG_EV_TICK};
    ev.u.tick.token = tok;
    if (lg_sim_quote(h->sim, tok, &ev.u.tick.bid, &ev.u.tick.ask, &ev.u.tick.ltp) == LG_OK &&
        ev.u.tick.ltp > 0)
        step(h, &ev, -1);
}

/* Futures first: an option's volatility is implied from its future's price. */
void lg_h_prime(lg_harness_t *h) {
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t k = 0; k < h->n_tokens; k++) {
            const lg_instrument_t *in = lg_instruments_find(&h->master, h->tokens[k]);
            if (in != NULL && (in->kind == LG_KIND_FUT) == (pass == 0)) prime_token(h, in->token);
        }
    }
    if (h->down || h->failed) return;
    lg_event_t ev = {.kind = LG_EV_MARGINS};
    lg_sim_margins(h->sim, &ev.u.margins.available, &ev.u.margins.used);
    step(h, &ev, -1);
}

lg_sim_t *lg_harness_sim(lg_harness_t *h) { return h->sim; }
lg_engine_t *lg_harness_engine(lg_harness_t *h) { return h->eng; }
const lg_instruments_t *lg_harness_master(const lg_harness_t *h) { return &h->master; }
lg_ns_t lg_harness_now(const lg_harness_t *h) { return h->now; }
const lg_engine_config_t *lg_harness_engine_config(const lg_harness_t *h) { return &h->cfg.engine; }
const char *lg_harness_failure(const lg_harness_t *h) { return h->failed ? h->failure : ""; }

uint32_t lg_harness_token(const lg_harness_t *h, const char *underlying, lg_kind_t kind,
                          int strike_rupees) {
    for (uint32_t i = 0; i < h->master.n; i++) {
        const lg_instrument_t *in = &h->master.items[i];
        if (in->kind != kind || strcmp(in->underlying, underlying) != 0) continue;
        if (kind == LG_KIND_FUT || in->strike == (lg_paise_t)strike_rupees * 100) return in->token;
    }
    return 0;
}

/* ---- script ---------------------------------------------------------------------- */

static void script_add(lg_harness_t *h, lg_h_script_t it) {
    LG_ASSERT(h->n_script < LG_H_MAX_SCRIPT);
    it.seq = h->script_seq++;
    uint32_t i = h->n_script++;
    /* insertion into the unconsumed tail, ordered by (at, seq) */
    while (i > h->next_script && h->script[i - 1].at > it.at) {
        h->script[i] = h->script[i - 1];
        i--;
    }
    h->script[i] = it;
}

/* Ticks for an instrument from now on (once each). */
void lg_harness_subscribe(lg_harness_t *h, uint32_t token) {
    for (uint32_t k = 0; k < h->n_tokens; k++)
        if (h->tokens[k] == token) return;
    if (h->n_tokens == LG_H_MAX_TOKENS) {
        lg_h_fail(h, "more than %d instruments subscribed", LG_H_MAX_TOKENS);
        return;
    }
    h->tokens[h->n_tokens++] = token;
    lg_sim_subscribe(h->sim, token);
    if (h->eng != NULL && !h->down) prime_token(h, token); /* a quote at once, as a shell asks */
}

int lg_harness_submit_at(lg_harness_t *h, lg_ns_t at, const lg_group_spec_t *spec) {
    LG_ASSERT(h->n_subs < LG_H_MAX_SUBS);
    for (uint32_t i = 0; i < spec->n_legs && i < LG_MAX_LEGS; i++)
        if (lg_instruments_find(&h->master, spec->legs[i].token) != NULL)
            lg_harness_subscribe(h, spec->legs[i].token);
    int sub = (int)h->n_subs++;
    h->subs[sub].spec = *spec;
    h->subs[sub].exit_hold = -1;
    h->subs[sub].stop_hold = -1;
    script_add(h, (lg_h_script_t){.at = at, .kind = 0, .sub = sub});
    return sub;
}

/* The submission's spec is the intent's structure at one unit (ratio lots a leg) until
 * its group's sized quantities are known (lg_h_sized_spec). */
int lg_harness_intent_at(lg_harness_t *h, lg_ns_t at, const lg_intent_t *it) {
    LG_ASSERT(it->n_legs <= LG_MAX_LEGS);
    lg_group_spec_t unit = {.n_legs = it->n_legs, .policy = it->policy,
                            .on_incomplete = it->on_incomplete,
                            .entry_timeout_ns = it->entry_timeout_ns};
    for (uint32_t i = 0; i < it->n_legs; i++) {
        const lg_instrument_t *in = lg_instruments_find(&h->master, it->legs[i].token);
        unit.legs[i] = (lg_leg_spec_t){.token = it->legs[i].token,
                                       .side = (int8_t)(it->legs[i].side * it->direction),
                                       .covered_by = it->legs[i].covered_by,
                                       .qty = (lg_qty_t)it->legs[i].ratio * (in ? in->lot : 1),
                                       .limit_price = it->legs[i].limit_price};
    }
    int sub = lg_harness_submit_at(h, at, &unit);
    h->subs[sub].is_intent = true;
    h->subs[sub].intent = *it;
    return sub;
}

void lg_harness_event_at(lg_harness_t *h, lg_ns_t at, const lg_event_t *ev) {
    LG_ASSERT(h->n_events < LG_H_MAX_EVENTS);
    h->events[h->n_events] = *ev;
    script_add(h, (lg_h_script_t){.at = at, .kind = 2, .sub = -1, .op = (int)h->n_events++});
}

void lg_harness_stop_after(lg_harness_t *h, int submission, lg_ns_t hold_ns, double pct,
                           lg_paise_t max_loss) {
    LG_ASSERT(submission >= 0 && (uint32_t)submission < h->n_subs && hold_ns >= 0);
    LG_ASSERT(pct > 0 && pct < 0.5 && max_loss > 0);
    lg_h_sub_t *s = &h->subs[submission];
    s->stop_hold = hold_ns;
    s->stop_pct = pct;
    s->stop_loss = max_loss;
}

void lg_h_sized_spec(lg_harness_t *h, lg_h_sub_t *s) {
    if (!s->is_intent || s->sized_known || s->group == 0 || h->eng == NULL) return;
    lg_group_view_t v;
    if (lg_engine_group(h->eng, s->group, &v) != LG_OK || v.n_legs != s->spec.n_legs) return;
    if (v.state == LG_GS_CREATED) return; /* not sized yet: its broker basket margin awaited */
    for (uint32_t i = 0; i < v.n_legs; i++) s->spec.legs[i].qty = v.legs[i].target;
    s->sized_known = true;
}

void lg_harness_control_at(lg_harness_t *h, lg_ns_t at, lg_control_op_t op, int submission) {
    script_add(h, (lg_h_script_t){.at = at, .kind = 1, .sub = submission, .op = (int)op});
}

void lg_harness_exit_after(lg_harness_t *h, int submission, lg_ns_t hold_ns) {
    LG_ASSERT(submission >= 0 && (uint32_t)submission < h->n_subs);
    h->subs[submission].exit_hold = hold_ns;
}

uint32_t lg_harness_group(const lg_harness_t *h, int submission) {
    if (submission < 0 || (uint32_t)submission >= h->n_subs) return 0;
    return h->subs[submission].group;
}

void lg_harness_observe(lg_harness_t *h, lg_harness_observer_fn fn, void *ctx) {
    h->observer = fn;
    h->observer_ctx = ctx;
}

/* ---- the loop ----------------------------------------------------------------------- */

static void verbose_step(const lg_harness_t *h, const lg_event_t *ev, const lg_out_t *o) {
    fprintf(stderr, "t=%.6f %s", (double)h->now / 1e9, lg_ev_kind_name(ev->kind));
    if (ev->kind == LG_EV_ORDER_UPDATE)
        fprintf(stderr, " %s %s filled=%lld", ev->u.update.tag, lg_kstatus_name(ev->u.update.status),
                (long long)ev->u.update.filled);
    if (ev->kind == LG_EV_ORDER_ACK) fprintf(stderr, " %s", ev->u.ack.tag);
    if (ev->kind == LG_EV_ORDER_ERROR) fprintf(stderr, " %s %s", ev->u.error.tag, ev->u.error.message);
    fprintf(stderr, " -> status=%d\n", o->status);
    for (uint32_t i = 0; i < o->n_cmds; i++) {
        const lg_cmd_t *c = &o->cmds[i];
        fprintf(stderr, "    cmd %d %s token=%u side=%d qty=%lld mprot=%d%s\n", c->kind, c->tag,
                c->token, c->side, (long long)c->qty, c->mprot_pct,
                c->risk_reducing ? " reducing" : "");
    }
    for (uint32_t i = 0; i < o->n_recs; i++) {
        const lg_record_t *r = &o->recs[i];
        if (r->kind == LG_REC_GROUP_STATE)
            fprintf(stderr, "    group %u %s -> %s (%s)\n", r->group, lg_gstate_name((lg_gstate_t)r->a),
                    lg_gstate_name((lg_gstate_t)r->b), lg_reason_name((lg_reason_t)r->c));
    }
    for (uint32_t i = 0; i < o->n_alerts; i++) fprintf(stderr, "    alert %d: %s\n", o->alerts[i].level, o->alerts[i].text);
}

/* The step itself: through the runner with a journal (write-ahead / write-behind, and
 * crash points), else straight to the engine and the exchange model. */
static int run_step(lg_harness_t *h, const lg_event_t *ev) {
    h->placed = false;
    if (h->runner != NULL) {
        lg_h_disk(h);
        lg_runner_crash_at(h->runner, lg_h_arm(h));
        if (h->cfg.batch && !h->batch_open) {
            lg_runner_begin(h->runner);
            h->batch_open = true;
        }
        return lg_runner_step(h->runner, ev, h->now, &h->out);
    }
    lg_engine_step(h->eng, ev, h->now, &h->out);
    for (uint32_t i = 0; i < h->out.n_cmds; i++) {
        const lg_cmd_t *c = &h->out.cmds[i];
        if (h->cfg.check_invariants && c->kind == LG_CMD_PLACE) lg_h_check_place(h, c);
        lg_sim_request(h->sim, c, h->now);
    }
    return h->out.status;
}

/* One engine step, its commands forwarded to the exchange model, invariants checked.
 * sub: the submission this event carries, or -1. False when a crash stopped the step
 * before its commit: what it carried is lost, and the caller offers it again. */
/* The risk engine's part in a step: sizing decisions, refusals, stops, kill switches. */
static void count_risk(lg_harness_t *h, const lg_event_t *ev, const lg_out_t *o) {
    bool rejected = false; /* a group made and refused; else an intent refused unmade */
    if (ev->kind == LG_EV_STOP && o->status == LG_OK) h->stats.stops_armed++;
    if (ev->kind == LG_EV_BASKET && o->status != LG_ESTATE) h->stats.baskets_answered++;
    for (uint32_t i = 0; i < o->n_recs; i++) {
        const lg_record_t *r = &o->recs[i];
        if (r->kind == LG_REC_SIZING && r->a > 0) h->stats.sized++;
        if (r->kind == LG_REC_GROUP_STATE && r->b == LG_GS_REJECTED) rejected = true;
        if (r->kind == LG_REC_GROUP_STATE && r->b == LG_GS_REJECTED &&
            (r->c == LG_WHY_RISK || r->c == LG_WHY_GREEKS || r->c == LG_WHY_MARGIN))
            h->stats.risk_refused++;
        if (r->kind == LG_REC_TRADING_STATE && r->b == LG_TS_HALTED &&
            (r->c == LG_WHY_LOSS_LIMIT || r->c == LG_WHY_MARGIN || r->c == LG_WHY_SESSION))
            h->stats.risk_halts++;
    }
    if (ev->kind == LG_EV_INTENT && o->status != LG_OK && !rejected) h->stats.risk_refused++;
    for (uint32_t i = 0; i < o->n_cmds; i++) {
        lg_tag_t t;
        if (o->cmds[i].kind == LG_CMD_PLACE && lg_tag_decode(o->cmds[i].tag, &t) == LG_OK &&
            t.purpose == LG_PURPOSE_STOP)
            h->stats.stop_orders++;
        h->stats.baskets += o->cmds[i].kind == LG_CMD_QUERY_BASKET;
    }
}

static bool step(lg_harness_t *h, const lg_event_t *ev, int sub) {
    lg_tstate_t before = lg_engine_trading_state(h->eng);
    if (h->cfg.record) lg_h_log_event(h, ev, h->now);
    if (run_step(h, ev) == LG_ESTOPPED) {
        bool committed = h->crash[h->next_crash].kind == LG_H_CRASH_AFTER_COMMIT;
        if (committed && sub >= 0) {
            h->subs[sub].submitted = true;
            h->subs[sub].group = h->out.new_group;
            lg_h_sized_spec(h, &h->subs[sub]); /* the engine still stands */
        }
        lg_h_crash_planned(h);
        return committed;
    }
    h->stats.events++;
    h->stats.cmds += h->out.n_cmds;
    h->stats.alerts += h->out.n_alerts;
    if (h->out.status != LG_OK) h->stats.errors++;
    if (h->cfg.verbose) verbose_step(h, ev, &h->out);
    h->cmd_hash = lg_h_hash_cmds(h->cmd_hash, &h->out);
    count_risk(h, ev, &h->out);
    h->eng_wake = h->out.wake_at;
    if (sub >= 0) {
        h->subs[sub].submitted = true;
        h->subs[sub].group = h->out.new_group;
        lg_h_sized_spec(h, &h->subs[sub]);
    }
    for (uint32_t i = 0; ev->kind == LG_EV_BASKET && i < h->n_subs; i++) /* sized only now */
        if (h->subs[i].group == ev->u.basket.group) lg_h_sized_spec(h, &h->subs[i]);
    if (h->cfg.check_invariants) lg_h_check_step(h, before, &h->out);
    if (h->observer) h->observer(h, ev, &h->out, h->observer_ctx);
    if (h->runner != NULL && lg_h_crash_after_step(h)) lg_h_crash_planned(h);
    else if (h->runner != NULL && !h->batch_open) lg_runner_idle(h->runner); /* checkpoints */
    return true;
}

/* What a strategy decided on: Σ side·ratio·last price now, as the exchange quotes it. */
static lg_paise_t intent_price(const lg_harness_t *h, const lg_intent_t *it) {
    lg_paise_t net = 0;
    for (uint32_t i = 0; i < it->n_legs; i++) {
        lg_paise_t bid = 0, ask = 0, ltp = 0;
        if (lg_sim_quote(h->sim, it->legs[i].token, &bid, &ask, &ltp) != LG_OK) continue;
        net += it->legs[i].side * it->direction * (lg_paise_t)it->legs[i].ratio * ltp;
    }
    return net;
}

static void run_script(lg_harness_t *h) {
    lg_h_script_t it = h->script[h->next_script++];
    lg_event_t ev = {0};
    if (it.kind == 0 && h->subs[it.sub].is_intent) {
        ev.kind = LG_EV_INTENT;
        ev.u.intent = h->subs[it.sub].intent;
        if (ev.u.intent.decision_price == 0) /* not given: the market now */
            ev.u.intent.decision_price = intent_price(h, &ev.u.intent);
    } else if (it.kind == 0) {
        ev.kind = LG_EV_GROUP_SUBMIT;
        ev.u.submit = h->subs[it.sub].spec;
    } else if (it.kind == 2) {
        ev = h->events[it.op];
    } else {
        ev.kind = LG_EV_CONTROL;
        ev.u.control.op = it.op;
        ev.u.control.group = lg_harness_group(h, it.sub);
    }
    if (step(h, &ev, it.kind == 0 ? it.sub : -1)) return;
    it.at = h->down_until; /* lost with the crash: offered again at the restart */
    script_add(h, it);
}

/* The stop a submission arms: one-leg groups a price stop pct from the last price on
 * the losing side (limit another pct beyond, gap pct), on the instrument's tick and
 * inside its band; others a group stop of stop_loss paise. */
static void stop_event(const lg_harness_t *h, const lg_h_sub_t *s, lg_event_t *ev) {
    *ev = (lg_event_t){.kind = LG_EV_STOP};
    ev->u.stop.group = s->group;
    lg_paise_t bid = 0, ask = 0, ltp = 0, lo = 0, hi = 0;
    const lg_instrument_t *in = lg_instruments_find(&h->master, s->spec.legs[0].token);
    if (s->spec.n_legs != 1 || in == NULL ||
        lg_sim_quote(h->sim, in->token, &bid, &ask, &ltp) != LG_OK || ltp <= 0) {
        ev->u.stop.max_loss = s->stop_loss;
        return;
    }
    (void)lg_sim_band(h->sim, in->token, &lo, &hi);
    int dir = s->spec.legs[0].side > 0 ? -1 : 1; /* a long's stop is below */
    lg_paise_t step = (lg_paise_t)(s->stop_pct * (double)ltp);
    step = LG_MAX(in->tick, step - step % in->tick);
    lg_paise_t trig = ltp - ltp % in->tick + dir * step;
    lg_paise_t lim = trig + dir * step;
    if (lo > 0 && (LG_MIN(trig, lim) < lo || LG_MAX(trig, lim) > hi)) {
        ev->u.stop.max_loss = s->stop_loss; /* too near the band: a group stop instead */
        return;
    }
    ev->u.stop.trigger = trig;
    ev->u.stop.limit = lim;
    ev->u.stop.gap = step;
}

/* Automatic exits and stops: the earliest due time, and those due now fired. */
static lg_ns_t exits(lg_harness_t *h, bool fire) {
    lg_ns_t t = INT64_MAX;
    if (h->down) return t;
    for (uint32_t i = 0; i < h->n_subs; i++) {
        lg_h_sub_t *s = &h->subs[i];
        bool want_exit = s->exit_hold >= 0 && !s->exit_sent;
        bool want_stop = s->stop_hold >= 0 && !s->stop_sent;
        if ((!want_exit && !want_stop) || s->group == 0) continue;
        lg_gstate_t st;
        if (lg_engine_group_state(h->eng, s->group, &st) != LG_OK || st != LG_GS_HEDGED) continue;
        if (s->hedged_at == 0) s->hedged_at = h->now;
        lg_ns_t stop_due = want_stop ? s->hedged_at + s->stop_hold : INT64_MAX;
        lg_ns_t exit_due = want_exit ? s->hedged_at + s->exit_hold : INT64_MAX;
        if (fire && stop_due <= h->now) {
            s->stop_sent = true;
            lg_event_t ev;
            stop_event(h, s, &ev);
            if (!step(h, &ev, -1)) s->stop_sent = false; /* lost with a crash */
            if (h->down) return INT64_MAX;
            continue;
        }
        if (fire && exit_due <= h->now) {
            s->exit_sent = true;
            lg_event_t ev = {.kind = LG_EV_CONTROL};
            ev.u.control.op = LG_CTL_EXIT_GROUP;
            ev.u.control.group = s->group;
            if (!step(h, &ev, -1)) s->exit_sent = false; /* lost with a crash */
            if (h->down) return INT64_MAX;
            continue;
        }
        t = LG_MIN(t, LG_MIN(stop_due, exit_due));
    }
    return t;
}

/* While the engine is down the exchange runs on; what it delivers is lost. */
static void down_step(lg_harness_t *h, lg_ns_t until, uint32_t *idle) {
    lg_ns_t t = LG_MIN(lg_sim_next_time(h->sim), h->down_until);
    if (t > until) t = h->down_until; /* the run never ends with the engine down */
    if (t > h->now) h->now = t;
    if (h->down_until <= h->now) {
        lg_h_restart(h, NULL);
        return;
    }
    lg_event_t ev;
    if (lg_sim_poll(h->sim, h->now, &ev) == 1) *idle = 0;
    else if (++*idle > 1000) lg_h_fail(h, "exchange model stalled at t=%lld", (long long)h->now);
    if (h->cfg.check_invariants) lg_h_check_exchange(h);
}

int lg_harness_run(lg_harness_t *h, lg_ns_t until) {
    LG_ASSERT(h->eng != NULL || h->down);
    uint32_t idle = 0;
    for (uint32_t n = 0; n < h->cfg.max_events && !h->failed; n++) {
        if (h->down) {
            down_step(h, until, &idle);
            continue;
        }
        lg_ns_t t_script = h->next_script < h->n_script ? h->script[h->next_script].at : INT64_MAX;
        lg_ns_t t_exit = exits(h, false);
        lg_ns_t t_sim = lg_sim_next_time(h->sim);
        lg_ns_t t = LG_MIN(LG_MIN(t_script, t_exit), LG_MIN(t_sim, h->eng_wake));
        if (h->batch_open && t > h->now) { /* the instant is over: commit its steps */
            lg_h_commit(h);
            continue;
        }
        if (t == INT64_MAX || t > until) break;
        if (t > h->now) h->now = t;
        if (t_script <= h->now) {
            run_script(h);
        } else if (t_exit <= h->now) {
            exits(h, true);
        } else if (h->eng_wake <= h->now && h->eng_wake <= t_sim) {
            lg_event_t ev = {.kind = LG_EV_TIMER};
            step(h, &ev, -1);
        } else {
            lg_event_t ev;
            if (lg_sim_poll(h->sim, h->now, &ev) == 1) {
                idle = 0;
                step(h, &ev, -1);
            } else if (++idle > 1000) {
                lg_h_fail(h, "exchange model stalled at t=%lld", (long long)h->now);
            }
        }
    }
    if (!h->failed && !h->down) lg_h_commit(h);
    if (h->cfg.check_invariants && !h->failed && !h->down) lg_h_check_all(h);
    if (h->now < until && !h->failed && lg_sim_next_time(h->sim) != INT64_MAX &&
        lg_sim_next_time(h->sim) <= until)
        lg_h_fail(h, "step budget of %u events exhausted at t=%.3fs", h->cfg.max_events,
                  (double)h->now / 1e9);
    return h->failed ? LG_EMISMATCH : LG_OK;
}

bool lg_harness_settled(const lg_harness_t *h) {
    if (h->eng == NULL) return false;
    for (uint32_t i = 0; i < h->n_subs; i++) {
        const lg_h_sub_t *s = &h->subs[i];
        if (!s->submitted) return false;
        if (s->group == 0) continue;
        lg_group_view_t v;
        /* gone: its slot was reused, which the pool does only to finished groups */
        if (lg_engine_group(h->eng, s->group, &v) != LG_OK) continue;
        if (v.state != LG_GS_HEDGED && v.state != LG_GS_EMERGENCY_HEDGED &&
            v.state != LG_GS_CLOSED && v.state != LG_GS_REJECTED)
            return false;
    }
    return true;
}

void lg_harness_stats(const lg_harness_t *h, lg_harness_stats_t *out) {
    *out = h->stats;
    out->n_fill_time = 0;
    if (h->eng == NULL) return; /* stopped while down */
    for (uint32_t i = 0; i < h->n_subs; i++) {
        const lg_h_sub_t *s = &h->subs[i];
        if (!s->submitted) continue;
        out->submitted++;
        lg_group_view_t v;
        if (s->group == 0 || lg_engine_group(h->eng, s->group, &v) != LG_OK) {
            out->rejected++;
            continue;
        }
        bool failed = false;
        for (uint32_t k = 0; k < v.n_states; k++) failed = failed || v.path[k] == LG_GS_FAILED;
        lg_ns_t done = 0;
        for (uint32_t k = 0; k < v.n_states; k++) {
            if (v.path[k] == LG_GS_HEDGED && !done) done = s->hedged_at;
        }
        if (v.state == LG_GS_REJECTED) out->rejected++;
        if (v.state == LG_GS_HEDGED) out->hedged++;
        if (v.state == LG_GS_CLOSED) out->closed++;
        if (v.state == LG_GS_EMERGENCY_HEDGED) {
            out->emergency_hedged++;
            out->emergency_cost += v.cash;
            done = v.finished_ns;
        }
        if (failed) out->emergencies++;
        out->emergency_orders += v.emergency_orders;
        if (done > 0 && out->n_fill_time < LG_COUNT(out->fill_time))
            out->fill_time[out->n_fill_time++] = done - v.created_ns;
    }
    lg_engine_stats_t es;
    lg_engine_stats(h->eng, &es);
    out->halts = (uint32_t)es.halts;
}
