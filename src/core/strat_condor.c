/*
 * strat_condor.c — the iron-condor seller example (strategies.h): a short strangle
 * with its wings, each short covered by the wing beyond it so that the engine buys
 * protection before it sells; one condor at a time, retried every every_s, exited
 * after hold_s. The risk engine decides how many.
 */
#include "legato/engine.h"
#include "legato/strategies.h"

#include <stdio.h>
#include <string.h>

void lg_condor_params_default(lg_condor_params_t *p) {
    memset(p, 0, sizeof *p);
    lg_strlcpy(p->underlying, "NIFTY", sizeof p->underlying);
    p->offset = 2;
    p->wing = 2;
    p->every_s = 300;
    p->hold_s = 1800;
    p->min_days = 0;
    p->confidence = 0.5;
}

static lg_ns_t secs(uint32_t s) { return (lg_ns_t)s * LG_NS_PER_S; }

/* Legs: 0 long put wing, 1 short put, 2 short call, 3 long call wing. */
static void enter(lg_condor_t *s, lg_strat_ctx_t *c) {
    const lg_chain_t *m = lg_strat_chain(c);
    const char *u = s->p.underlying;
    int32_t today = lg_strat_today(c);
    lg_paise_t spot = lg_strat_price(c, lg_chain_future(m, u, today));
    int32_t expiry = lg_chain_expiry(m, u, today, (int32_t)s->p.min_days);
    int off = (int)s->p.offset, far = (int)(s->p.offset + s->p.wing);
    uint32_t tok[4] = {0};
    if (spot > 0 && expiry >= 0) {
        tok[0] = lg_chain_option(m, u, expiry, LG_KIND_PE, spot, -far);
        tok[1] = lg_chain_option(m, u, expiry, LG_KIND_PE, spot, -off);
        tok[2] = lg_chain_option(m, u, expiry, LG_KIND_CE, spot, off);
        tok[3] = lg_chain_option(m, u, expiry, LG_KIND_CE, spot, far);
    }
    if (tok[0] == 0 || tok[1] == 0 || tok[2] == 0 || tok[3] == 0) {
        lg_strat_note(c, LG_ALERT_WARN, "no %s condor %u+%u strikes out in the chain%s", u,
                      s->p.offset, s->p.wing, spot > 0 ? "" : " (no future price yet)");
        return;
    }
    static const int8_t side[4] = {1, -1, -1, 1}, cover[4] = {-1, 0, 3, -1};
    lg_intent_t it = {.n_legs = 4, .direction = 1, .policy = -1, .on_incomplete = -1,
                      .confidence = s->p.confidence};
    for (uint32_t i = 0; i < 4; i++)
        it.legs[i] = (lg_intent_leg_t){.token = tok[i], .side = side[i], .covered_by = cover[i], .ratio = 1};
    uint32_t missing = 0;
    it.decision_price = lg_strat_structure_price(c, &it, &missing);
    if (missing != 0) {
        lg_strat_note(c, LG_ALERT_INFO, "instrument %u has no quote yet; no condor", missing);
        return;
    }
    if (it.decision_price >= 0) {
        lg_strat_note(c, LG_ALERT_WARN, "the condor would not be a credit (Rs %.2f); none",
                      (double)it.decision_price / 100);
        return;
    }
    lg_strat_note(c, LG_ALERT_INFO, "selling an iron condor for a credit of Rs %.2f",
                  (double)-it.decision_price / 100);
    if (lg_strat_emit(c, &it, &s->ref) == LG_OK) s->intents++;
}

/* The next wake-up: the next try while it holds nothing, the end of the holding time
 * of a hedged condor; none while it waits for the engine (a group in flight, an exit). */
static void plan(lg_condor_t *s, lg_strat_ctx_t *c) {
    lg_ns_t at = INT64_MAX;
    if (s->group == 0 && s->ref == 0) at = s->next_try;
    else if (s->group != 0 && s->hedged_at > 0 && s->p.hold_s > 0 && !s->exiting)
        at = s->hedged_at + secs(s->p.hold_s);
    lg_strat_wake(c, at);
}

static void on_timer(void *self, lg_strat_ctx_t *c) {
    lg_condor_t *s = self;
    lg_ns_t now = lg_strat_now(c);
    if (s->group != 0) {
        if (s->hedged_at > 0 && s->p.hold_s > 0 && !s->exiting &&
            now >= s->hedged_at + secs(s->p.hold_s) && lg_strat_exit(c, s->group) == LG_OK) {
            s->exiting = true;
            s->exits++;
            lg_strat_note(c, LG_ALERT_INFO, "condor held %us: exiting it", s->p.hold_s);
        }
    } else if (s->ref == 0 && now >= s->next_try) {
        s->next_try = now + secs(s->p.every_s);
        enter(s, c);
    }
    plan(s, c);
}

static int on_start(void *self, lg_strat_ctx_t *c) {
    lg_condor_t *s = self;
    if (lg_chain_future(lg_strat_chain(c), s->p.underlying, lg_strat_today(c)) == 0) {
        lg_strat_note(c, LG_ALERT_ERROR, "no unexpired %s future in the instrument master", s->p.underlying);
        return LG_EINSTRUMENT;
    }
    s->next_try = lg_strat_now(c) + LG_NS_PER_S; /* give the first ticks a second */
    plan(s, c);
    return LG_OK;
}

static void on_fill(void *self, lg_strat_ctx_t *c, const lg_strat_fill_t *f) {
    lg_condor_t *s = self;
    if (f->kind == LG_SF_REFUSED && f->ref == s->ref) {
        s->ref = 0;
    } else if (f->kind == LG_SF_STATE) {
        if (s->ref != 0 && f->ref == s->ref) {
            s->group = f->group;
            s->ref = 0;
            s->hedged_at = 0;
            s->exiting = false;
        }
        if (f->group != s->group) return;
        if (f->state == LG_GS_HEDGED && s->hedged_at == 0) s->hedged_at = lg_strat_now(c);
        if (lg_strat_finished(f->state)) {
            s->group = 0;
            s->hedged_at = 0;
            s->exiting = false;
        }
    }
    plan(s, c);
}

int lg_condor_init(lg_condor_t *s, const lg_condor_params_t *p, lg_strategy_t *out, char *err,
                   size_t errcap) {
    const char *bad = p->underlying[0] == '\0'                      ? "underlying is empty"
                      : p->offset == 0                              ? "offset must be >= 1"
                      : p->wing == 0                                ? "wing must be >= 1"
                      : p->every_s == 0                             ? "every_s must be >= 1"
                      : !(p->confidence > 0 && p->confidence <= 1) ? "confidence must be in (0, 1]"
                                                                    : NULL;
    if (bad != NULL) {
        snprintf(err, errcap, "strategy condor: %s", bad);
        return LG_EINVAL;
    }
    memset(s, 0, sizeof *s);
    s->p = *p;
    *out = (lg_strategy_t){.name = "condor", .self = s, .on_start = on_start, .on_fill = on_fill,
                           .on_timer = on_timer};
    return LG_OK;
}
