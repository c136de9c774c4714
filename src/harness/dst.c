/*
 * dst.c — deterministic simulation: one seed makes one hostile world (fault knobs,
 * jumps, gaps, scripted rejections and delays, a kill switch, REDUCING and a person
 * resuming now and then) and one book
 * of 1–50 groups of 1–4 legs (single options, verticals, condors, butterflies
 * folded as 4-leg condors), runs it with every invariant checked after every step,
 * then checks positions (invariant 3) and replays the journal (invariant 8).
 */
#include "harness_int.h"

#include "legato/numeric.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

const char *const lg_dst_invariants =
    "1 no uncovered short, 2 ratchet, 3 positions agree once quiet, 4 finished structure, "
    "5 one intent one order, 6 exits never flip, 7 journaled before sent (--crash), 8 fills "
    "monotonic + replay, 9 no risk "
    "after HALT, 10 overflow reported, 11 every order traced to a sizing decision or a "
    "reversal";

static double between(lg_rng_t *r, double lo, double hi) {
    return lo + (hi - lo) * lg_rng_uniform(r);
}

/* Knobs: each fault present in some seeds, absent in others. */
static void random_knobs(lg_rng_t *r, lg_sim_knobs_t *k) {
    lg_sim_knobs_default(k);
    double heat = lg_rng_uniform(r); /* how hostile this world is */
    k->p_reject_random = lg_rng_chance(r, 0.5) ? between(r, 0, 0.04) * heat : 0;
    k->p_reject_margin = lg_rng_chance(r, 0.3) ? between(r, 0, 0.03) * heat : 0;
    k->p_partial = lg_rng_chance(r, 0.7) ? between(r, 0, 0.6) : 0;
    k->p_drop_update = lg_rng_chance(r, 0.5) ? between(r, 0, 0.08) * heat : 0;
    k->p_dup_update = lg_rng_chance(r, 0.5) ? between(r, 0, 0.1) : 0;
    k->p_reorder = lg_rng_chance(r, 0.5) ? between(r, 0, 0.2) : 0;
    k->p_unknown_send = lg_rng_chance(r, 0.4) ? between(r, 0, 0.05) * heat : 0;
    k->p_lost_send = lg_rng_chance(r, 0.3) ? between(r, 0, 0.03) * heat : 0;
    k->p_no_liquidity = lg_rng_chance(r, 0.5) ? between(r, 0, 0.3) : 0;
    k->vol_annual = between(r, 0.08, 0.6);
    k->jump_per_hour = lg_rng_chance(r, 0.5) ? between(r, 0, 60) : 0;
    k->jump_pct = between(r, 0.2, 3.0);
    k->ack_max_ns = (lg_ns_t)between(r, 1e6, 50e6);
    k->update_max_ns = (lg_ns_t)between(r, 0.5e6, 20e6);
}

typedef struct chain {
    const char *name;
    int atm, step;
    lg_qty_t lot, freeze;
} chain_t;

static const chain_t chains[2] = {{"NIFTY", 24000, 50, 65, 1800}, {"BANKNIFTY", 52000, 100, 30, 600}};

static void leg(lg_harness_t *h, lg_group_spec_t *s, const chain_t *c, lg_kind_t kind, int off,
                int side, lg_qty_t lots) {
    lg_leg_spec_t *l = &s->legs[s->n_legs++];
    l->token = lg_harness_token(h, c->name, kind, c->atm + off * c->step);
    LG_ASSERT(l->token != 0);
    l->side = (int8_t)side;
    l->covered_by = -1;
    l->qty = lots * c->lot;
}

/* One random group: a single long, a credit or debit vertical, or an iron condor. */
static void random_group(lg_harness_t *h, lg_rng_t *r, lg_group_spec_t *s) {
    memset(s, 0, sizeof *s);
    s->policy = -1;
    s->on_incomplete = (int8_t)lg_rng_below(r, 2);
    const chain_t *c = &chains[lg_rng_below(r, 2)];
    lg_qty_t lots = lg_rng_chance(r, 0.15) ? (lg_qty_t)between(r, 20, 100) : (lg_qty_t)between(r, 1, 12);
    lg_kind_t k = lg_rng_chance(r, 0.5) ? LG_KIND_CE : LG_KIND_PE;
    int dir = k == LG_KIND_CE ? 1 : -1; /* away from the money */
    int near = (int)lg_rng_below(r, 4), width = 1 + (int)lg_rng_below(r, 4);
    switch (lg_rng_below(r, 4)) {
    case 0: /* single long option */
        leg(h, s, c, k, dir * near, 1, lots);
        break;
    case 1: /* credit vertical: short near, long further out */
        leg(h, s, c, k, dir * near, -1, lots);
        leg(h, s, c, k, dir * (near + width), 1, lots);
        break;
    case 2: /* debit vertical */
        leg(h, s, c, k, dir * near, 1, lots);
        leg(h, s, c, k, dir * (near + width), -1, lots);
        break;
    default: /* iron condor */
        leg(h, s, c, LG_KIND_CE, near + 1, -1, lots);
        leg(h, s, c, LG_KIND_CE, near + 1 + width, 1, lots);
        leg(h, s, c, LG_KIND_PE, -(near + 1), -1, lots);
        leg(h, s, c, LG_KIND_PE, -(near + 1 + width), 1, lots);
        break;
    }
    if (lg_rng_chance(r, 0.3)) s->entry_timeout_ns = (lg_ns_t)between(r, 0.5e9, 10e9);
}

/* The same structure as an intent: ratios in lots, the risk engine sizing it. */
static void as_intent(lg_rng_t *r, const lg_group_spec_t *s, lg_intent_t *it) {
    memset(it, 0, sizeof *it);
    it->n_legs = s->n_legs;
    for (uint32_t i = 0; i < s->n_legs; i++) {
        it->legs[i] = (lg_intent_leg_t){.token = s->legs[i].token, .side = s->legs[i].side,
                                        .covered_by = -1, .ratio = 1};
    }
    it->direction = 1;
    it->policy = s->policy;
    it->on_incomplete = s->on_incomplete;
    it->confidence = lg_rng_chance(r, 0.5) ? 1.0 : between(r, 0.05, 1.0);
    it->entry_timeout_ns = s->entry_timeout_ns;
}

static void random_script(lg_harness_t *h, lg_rng_t *r, uint32_t n_groups) {
    const lg_instruments_t *m = lg_harness_master(h);
    for (uint32_t i = 0; i < n_groups; i++) {
        lg_group_spec_t s;
        random_group(h, r, &s);
        lg_ns_t at = (lg_ns_t)between(r, 0, 60e9);
        int sub;
        if (lg_rng_chance(r, 0.3)) { /* a strategy's intent: the risk engine sizes it */
            lg_intent_t it;
            as_intent(r, &s, &it);
            sub = lg_harness_intent_at(h, at, &it);
        } else {
            sub = lg_harness_submit_at(h, at, &s);
        }
        if (lg_rng_chance(r, 0.3))
            lg_harness_stop_after(h, sub, (lg_ns_t)between(r, 0, 10e9), between(r, 0.005, 0.05),
                                  (lg_paise_t)between(r, 1000, 50000) * 100);
        if (lg_rng_chance(r, 0.6)) lg_harness_exit_after(h, sub, (lg_ns_t)between(r, 0, 30e9));
    }
    if (lg_rng_chance(r, 0.05)) { /* the broker ends the session */
        lg_event_t ev = {.kind = LG_EV_CONNECTION};
        ev.u.connection.session_lost = true;
        lg_harness_event_at(h, (lg_ns_t)between(r, 0, 60e9), &ev);
    }
    uint32_t incidents = (uint32_t)lg_rng_below(r, 4);
    for (uint32_t i = 0; i < incidents; i++) {
        lg_ns_t at = (lg_ns_t)between(r, 0, 60e9);
        uint32_t tok = m->items[lg_rng_below(r, m->n)].token;
        switch (lg_rng_below(r, 4)) {
        case 0: lg_sim_gap(lg_harness_sim(h), (int)lg_rng_below(r, 2), between(r, -4, 4), at); break;
        case 1: lg_sim_reject_next(lg_harness_sim(h), tok, 1 + (int)lg_rng_below(r, 3), 1 + (uint32_t)lg_rng_below(r, 3)); break;
        case 2: lg_sim_delay_fills(lg_harness_sim(h), tok, at + (lg_ns_t)between(r, 1e9, 15e9)); break;
        default: lg_sim_gap(lg_harness_sim(h), (int)lg_rng_below(r, 2), between(r, -6, 6), at); break;
        }
    }
    if (lg_rng_chance(r, 0.1))
        lg_harness_control_at(h, (lg_ns_t)between(r, 0, 60e9), LG_CTL_KILL, -1);
    if (lg_rng_chance(r, 0.1))
        lg_harness_control_at(h, (lg_ns_t)between(r, 0, 60e9), LG_CTL_REDUCE, -1);
    /* a person resumes trading after a halt (or a reduce) in some worlds */
    if (lg_rng_chance(r, 0.3))
        lg_harness_control_at(h, (lg_ns_t)between(r, 20e9, 90e9), LG_CTL_RESUME, -1);
}

/* Crash mode: a temporary journal when none is named. */
static const char *crash_journal(const char *journal, uint64_t seed, char *buf, size_t cap) {
    if (journal != NULL) return journal;
    const char *dir = getenv("TMPDIR");
    snprintf(buf, cap, "%s/legato-dst-%ld-%llu.db", dir != NULL && dir[0] != '\0' ? dir : "/tmp",
             (long)getpid(), (unsigned long long)seed);
    return buf;
}

#define LIVENESS_S 900 /* every group settled by then (see lg_dst_run_seed) */

/* The end of a run: liveness, then invariant 3, and the replay check (the event log's,
 * or with crashes the journal's, with invariant 7's "every order known by its tag"). */
static void final_checks(lg_harness_t *h, int rc, bool crash) {
    if (rc == LG_OK && !lg_harness_settled(h))
        lg_h_fail(h, "liveness: groups not settled after %d s of simulated time", LIVENESS_S);
    if (rc == LG_OK && !h->failed) lg_harness_check_positions(h);
    if (h->failed) return;
    if (!crash) {
        lg_harness_check_replay(h);
        return;
    }
    lg_h_check_tags_known(h);
    if (!h->failed) lg_h_check_journal_replay(h);
}

void lg_dst_run_seed(uint64_t seed, int policy, int flags, const char *journal,
                     lg_dst_result_t *res) {
    memset(res, 0, sizeof *res);
    bool crash = (flags & LG_DST_CRASH) != 0;
    char tmp[1024];
    lg_rng_t r;
    lg_rng_seed(&r, seed ^ 0x6c656761746fULL);
    lg_harness_config_t cfg;
    lg_harness_config_default(&cfg);
    cfg.seed = seed;
    cfg.verbose = (flags & LG_DST_VERBOSE) != 0 ? (getenv("LG_DST_RELEASES") != NULL ? 2 : 1) : 0;
    cfg.journal = crash ? crash_journal(journal, seed, tmp, sizeof tmp) : journal;
    random_knobs(&r, &cfg.knobs);
    cfg.engine.policy = (int8_t)(policy >= 0 ? policy : (int)lg_rng_below(&r, 2));
    cfg.engine.max_groups = lg_rng_chance(&r, 0.1) ? 8 : 256; /* small pools overflow */
    /* the risk engine's limits bite in some worlds: a thin account, a tight loss limit
     * (its kill switch), a margin floor */
    if (lg_rng_chance(&r, 0.2)) cfg.funds = (lg_paise_t)between(&r, 2e5, 5e6) * 100;
    if (lg_rng_chance(&r, 0.15))
        cfg.engine.risk.daily_loss_limit = (lg_paise_t)between(&r, 5e3, 1e5) * 100;
    if (lg_rng_chance(&r, 0.05)) cfg.engine.risk.margin_floor = cfg.funds / 2;
    if (lg_rng_chance(&r, 0.1)) cfg.engine.max_stops = 2; /* the stop pool overflows */
    /* live's sizing in a third of the worlds: intents wait for the broker's basket margin,
     * which sometimes fails or comes after its timeout (a stream of its own, so that the
     * other worlds stay as they were) */
    lg_rng_t rb;
    lg_rng_seed(&rb, seed ^ 0x6261736b6574ULL);
    if (lg_rng_chance(&rb, 0.3)) {
        cfg.engine.risk.broker_basket = 1;
        cfg.knobs.p_basket_error = lg_rng_chance(&rb, 0.5) ? between(&rb, 0, 0.3) : 0;
        if (lg_rng_chance(&rb, 0.2))
            cfg.engine.risk.basket_timeout_ns = (lg_ns_t)between(&rb, 1e6, 60e6);
    }
    /* Hedge-first policies: never uncovered, not for a moment. naive: by design it is,
     * and the exposure monitor must close it within the window. */
    cfg.emergency_window_ns = cfg.engine.policy != LG_POLICY_NAIVE ? 0
                              : (flags & LG_DST_MEASURE) ? INT64_MAX / 4 : 10 * LG_NS_PER_S;
    if (crash) {
        cfg.crashes = 1 + (uint32_t)lg_rng_below(&r, 3);
        cfg.p_lose_db = 0.2;
        cfg.p_disk_fault = 0.3;
        cfg.batch = (seed & 1) != 0; /* group commit in half the seeds */
        cfg.crash_seed = seed;
        cfg.record = false; /* the journal is the record */
        cfg.knobs.tick_interval_ns = 250 * LG_NS_PER_MS;
        lg_store_remove(cfg.journal);
    }
    lg_harness_t *h = NULL;
    int rc = lg_harness_create(&cfg, &h);
    if (rc == LG_OK) lg_harness_add_nifty(h);
    if (rc == LG_OK) lg_harness_add_banknifty(h);
    if (rc == LG_OK) rc = lg_harness_start(h);
    if (rc != LG_OK) {
        snprintf(res->failure, sizeof res->failure, "set-up failed: %s", lg_strerror(rc));
        lg_harness_destroy(h);
        if (crash && journal == NULL) lg_store_remove(cfg.journal);
        return;
    }
    res->groups = 1 + (uint32_t)lg_rng_below(&r, crash ? 12 : 50);
    random_script(h, &r, res->groups);
    lg_dst_strat_t *strat = NULL;
    res->strategies = (flags & LG_DST_STRATEGIES) != 0 || lg_rng_chance(&r, 0.3);
    if (res->strategies) rc = lg_dst_strat_create(h, &r, &strat);
    if (rc == LG_OK) rc = lg_harness_run(h, 600 * LG_NS_PER_S);
    /* A stop, a greeks breach or a kill switch late in the run can start an exit into a
     * market locked at its circuit: such a world gets 300 s more, in which the band
     * flexes; then every group must have settled. */
    if (rc == LG_OK && !lg_harness_settled(h)) rc = lg_harness_run(h, LIVENESS_S * LG_NS_PER_S);
    final_checks(h, rc, crash);
    res->ok = !h->failed;
    if (h->failed) snprintf(res->failure, sizeof res->failure, "%s", h->failure);
    lg_harness_stats(h, &res->stats);
    lg_dst_strat_stats(strat, &res->strat);
    lg_dst_strat_destroy(strat);
    lg_harness_destroy(h);
    if (crash && journal == NULL) lg_store_remove(cfg.journal);
}
