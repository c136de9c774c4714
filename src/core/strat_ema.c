/*
 * strat_ema.c — the EMA crossover example (strategies.h): bars of the underlying's
 * nearest future, a fast and a slow exponential average, a debit spread in the
 * direction of a cross. It says which spread and at what price it decided; the risk
 * engine says how many.
 */
#include "legato/strategies.h"

#include <stdio.h>
#include <string.h>

void lg_ema_params_default(lg_ema_params_t *p) {
    memset(p, 0, sizeof *p);
    lg_strlcpy(p->underlying, "NIFTY", sizeof p->underlying);
    p->bar_s = 60;
    p->fast = 9;
    p->slow = 21;
    p->width = 2;
    p->min_days = 0;
    p->confidence = 0.5;
}

static void enter(lg_ema_t *s, lg_strat_ctx_t *c, int8_t dir) {
    const lg_chain_t *m = lg_strat_chain(c);
    lg_paise_t spot = lg_strat_price(c, s->future);
    int32_t expiry = lg_chain_expiry(m, s->p.underlying, lg_strat_today(c), (int32_t)s->p.min_days);
    lg_kind_t kind = dir > 0 ? LG_KIND_CE : LG_KIND_PE;
    uint32_t lo = expiry < 0 ? 0 : lg_chain_option(m, s->p.underlying, expiry, kind, spot, 0);
    uint32_t hi = expiry < 0 ? 0 : lg_chain_option(m, s->p.underlying, expiry, kind, spot,
                                                   dir > 0 ? (int)s->p.width : -(int)s->p.width);
    if (spot <= 0 || lo == 0 || hi == 0) {
        lg_strat_note(c, LG_ALERT_WARN, "%s cross: no %s spread %u strikes wide in the %s chain",
                      dir > 0 ? "upward" : "downward", dir > 0 ? "call" : "put", s->p.width, s->p.underlying);
        return;
    }
    lg_intent_t it = {.n_legs = 2, .direction = 1, .policy = -1, .on_incomplete = -1,
                      .confidence = s->p.confidence};
    it.legs[0] = (lg_intent_leg_t){.token = lo, .side = 1, .covered_by = -1, .ratio = 1};
    it.legs[1] = (lg_intent_leg_t){.token = hi, .side = -1, .covered_by = 0, .ratio = 1};
    uint32_t missing = 0;
    it.decision_price = lg_strat_structure_price(c, &it, &missing);
    if (missing != 0) {
        lg_strat_note(c, LG_ALERT_WARN, "cross: instrument %u has no quote yet; no spread", missing);
        return;
    }
    lg_strat_note(c, LG_ALERT_INFO, "fast EMA crossed %s the slow: a %s spread at Rs %.2f",
                  dir > 0 ? "above" : "below", dir > 0 ? "bull call" : "bear put",
                  (double)it.decision_price / 100);
    if (lg_strat_emit(c, &it, &s->ref) != LG_OK) return;
    s->held_dir = dir;
    s->intents++;
}

static int on_start(void *self, lg_strat_ctx_t *c) {
    lg_ema_t *s = self;
    s->future = lg_chain_future(lg_strat_chain(c), s->p.underlying, lg_strat_today(c));
    if (s->future == 0) {
        lg_strat_note(c, LG_ALERT_ERROR, "no unexpired %s future in the instrument master", s->p.underlying);
        return LG_EINSTRUMENT;
    }
    return lg_strat_bars(c, s->future, (lg_ns_t)s->p.bar_s * LG_NS_PER_S);
}

static void on_bar(void *self, lg_strat_ctx_t *c, const lg_bar_t *b) {
    lg_ema_t *s = self;
    double px = (double)b->close;
    if (s->bars++ == 0) {
        s->fast = s->slow = px;
        return;
    }
    s->fast += 2.0 / (s->p.fast + 1.0) * (px - s->fast);
    s->slow += 2.0 / (s->p.slow + 1.0) * (px - s->slow);
    if (s->bars < s->p.slow || s->fast == s->slow) return; /* warming up, or level */
    int8_t rel = s->fast > s->slow ? 1 : -1;
    int8_t was = s->relation;
    s->relation = rel;
    if (was == 0 || was == rel) return;
    s->crosses++;
    if (s->held_dir == rel) return;
    if (s->group != 0) { /* the other spread: out first, in once it has closed */
        s->want = rel;
        lg_strat_exit(c, s->group);
        return;
    }
    if (s->ref == 0) enter(s, c, rel);
}

static void on_fill(void *self, lg_strat_ctx_t *c, const lg_strat_fill_t *f) {
    lg_ema_t *s = self;
    if (f->kind == LG_SF_REFUSED && f->ref == s->ref) {
        s->ref = 0;
        s->held_dir = 0;
        return;
    }
    if (f->kind != LG_SF_STATE) return;
    if (s->ref != 0 && f->ref == s->ref) {
        s->group = f->group;
        s->ref = 0;
    }
    if (f->group != s->group || !lg_strat_finished(f->state)) return;
    s->group = 0;
    s->held_dir = 0;
    int8_t want = s->want;
    s->want = 0;
    if (want != 0 && want == s->relation) enter(s, c, want);
}

int lg_ema_init(lg_ema_t *s, const lg_ema_params_t *p, lg_strategy_t *out, char *err, size_t errcap) {
    const char *bad = p->underlying[0] == '\0'                        ? "underlying is empty"
                      : p->bar_s == 0                                 ? "bar_s must be >= 1"
                      : p->fast == 0 || p->fast >= p->slow           ? "fast must be >= 1 and below slow"
                      : p->slow > 1000                                ? "slow must be <= 1000"
                      : p->width == 0                                 ? "width must be >= 1"
                      : !(p->confidence > 0 && p->confidence <= 1)   ? "confidence must be in (0, 1]"
                                                                      : NULL;
    if (bad != NULL) {
        snprintf(err, errcap, "strategy ema: %s", bad);
        return LG_EINVAL;
    }
    memset(s, 0, sizeof *s);
    s->p = *p;
    *out = (lg_strategy_t){.name = "ema", .self = s, .on_start = on_start, .on_bar = on_bar,
                           .on_fill = on_fill};
    return LG_OK;
}
