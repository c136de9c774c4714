/*
 * sim_market.c — the simulated market: underlyings, their option chains, quotes,
 * circuit bands, scripted gaps and ticks.
 *
 * Underlying: geometric Brownian motion with vol_annual (calendar-year time), plus
 * Poisson jumps (jump_per_hour, log-size normal with jump_pct standard deviation),
 * plus scripted gaps (lg_sim_gap: spot × (1 + pct/100) at a time). It moves in
 * steps of step_ns at multiples of step_ns; a long stretch with nothing else
 * happening (more than LG_SIM_MAX_CATCHUP steps) is taken as one aggregated step,
 * which is still deterministic. Each underlying draws from its own generator.
 *
 * Chain: the future is priced at the spot; options by Black-76 with F = spot,
 * r = 0, sigma = the underlying's iv and T from the virtual time to 15:30 IST
 * (10:00 UTC) of the expiry day, through the clock offset (unix ns at virtual 0).
 * Quotes are computed lazily, only for instruments someone looks at, and cached
 * until the underlying moves: spread = max(1 tick, 1 % of fair value rounded up to
 * the 5-paise tick); bid = fair − spread/2 rounded down to the tick (>= 1 tick),
 * ask = bid + spread; both clamped into the circuit band; ltp = the mid rounded to
 * the tick. A cheap option is one tick wide, so any protection > 0 crosses it.
 *
 * Circuit band: around the fair value when the chain was made, ± max(circuit_pct %,
 * 20 ticks); circuit_pct <= 0 means no band. A gap can push the fair value beyond
 * the band: quotes then sit at the band's edge, LIMIT orders priced beyond it are
 * refused, and so are MARKET orders on the locked side (a buy when the fair value
 * is above the band, a sell when below). When the fair value has been seen beyond
 * the band for circuit_flex_ns the band is re-centred on it (the exchange flexes
 * its range), so a market that gapped becomes tradable again. "Seen" is lazy:
 * checked whenever the cached quote is recomputed, which happens for every
 * instrument someone trades or watches.
 */
#include "sim_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BAND_MIN_TICKS 20
#define EXPIRY_UTC_S 36000.0 /* 15:30 IST */
#define SPOT_MIN 1e-4
#define SPOT_MAX 1e12
#define POISSON_MAX_ITERS 256

static const char *const month_names[12] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

static lg_paise_t floor_tick(double x, lg_paise_t tick) {
    LG_ASSERT(isfinite(x) && tick > 0);
    return (lg_paise_t)floor(x / (double)tick) * tick;
}

static lg_paise_t ceil_tick(double x, lg_paise_t tick) {
    LG_ASSERT(isfinite(x) && tick > 0);
    return (lg_paise_t)ceil(x / (double)tick) * tick;
}

static lg_paise_t clamp_paise(lg_paise_t x, lg_paise_t lo, lg_paise_t hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

uint32_t lg_simm_find(const lg_sim_t *s, uint32_t token) {
    LG_ASSERT(s != NULL);
    if ((token & 0xFFu) != LG_SIM_SEGMENT_NFO) return LG_SIM_NONE;
    uint32_t x = token >> 8;
    if (x < LG_SIM_XTOKEN_BASE || x - LG_SIM_XTOKEN_BASE >= s->n_ins) return LG_SIM_NONE;
    uint32_t i = x - LG_SIM_XTOKEN_BASE;
    LG_ASSERT(s->ins[i].token == token);
    return i;
}

/* Fair value in paise at the market's current time. */
static double fair_paise(const lg_sim_t *s, const sim_ins_t *in) {
    const sim_und_t *u = &s->und[in->und];
    if (in->kind == LG_KIND_FUT) return u->spot * 100.0;
    double now_s = (double)(s->mkt_t + s->offset) / 1e9;
    double T = ((double)in->expiry_day * 86400.0 + EXPIRY_UTC_S - now_s) / (365.0 * 86400.0);
    if (T < 0.0) T = 0.0;
    return 100.0 * lg_b76_price(in->kind == LG_KIND_CE, u->spot, in->strike, T, 0.0, u->iv);
}

static sim_quote_t quote_of(const sim_ins_t *in, double fair) {
    LG_ASSERT(isfinite(fair) && fair >= 0.0);
    lg_paise_t spread = LG_MAX(in->tick, ceil_tick(0.01 * fair, in->tick));
    sim_quote_t q;
    q.bid = LG_MAX(floor_tick(fair - (double)spread / 2.0, in->tick), in->tick);
    q.ask = q.bid + spread;
    q.bid = clamp_paise(q.bid, in->band_lo, in->band_hi);
    q.ask = clamp_paise(q.ask, in->band_lo, in->band_hi);
    q.ltp = (lg_paise_t)llround((double)(q.bid + q.ask) / 2.0 / (double)in->tick) * in->tick;
    q.ltp = clamp_paise(q.ltp, q.bid, q.ask);
    q.fair = fair;
    LG_ASSERT(q.bid >= in->tick && q.bid <= q.ltp && q.ltp <= q.ask);
    return q;
}

sim_quote_t lg_simm_quote_now(const lg_sim_t *s, uint32_t i) {
    LG_ASSERT(s != NULL && i < s->n_ins);
    return quote_of(&s->ins[i], fair_paise(s, &s->ins[i]));
}

/* The band around ref: ± max(circuit_pct %, BAND_MIN_TICKS ticks); none if pct <= 0. */
static void set_band(const lg_sim_t *s, sim_ins_t *in, double ref) {
    double c = s->cfg.knobs.circuit_pct;
    in->out_since = -1;
    in->band_lo = in->tick;
    in->band_hi = INT64_MAX / 4;
    if (c <= 0.0) return;
    double w = LG_MAX(ref * c / 100.0, (double)(BAND_MIN_TICKS * in->tick));
    in->band_lo = LG_MAX(ceil_tick(ref - w, in->tick), in->tick);
    in->band_hi = LG_MAX(floor_tick(ref + w, in->tick), in->band_lo);
}

/* Tracks how long the fair value has been beyond the band; flexes the band. */
static void band_watch(lg_sim_t *s, sim_ins_t *in, double fair) {
    bool out = lg_simm_beyond(in, fair, 1) || lg_simm_beyond(in, fair, -1);
    lg_ns_t flex = s->cfg.knobs.circuit_flex_ns;
    if (!out) {
        in->out_since = -1;
    } else if (in->out_since < 0) {
        in->out_since = s->mkt_t;
    } else if (flex > 0 && s->mkt_t - in->out_since >= flex) {
        set_band(s, in, fair);
    }
}

const sim_quote_t *lg_simm_quote(lg_sim_t *s, uint32_t i) {
    LG_ASSERT(s != NULL && i < s->n_ins);
    sim_ins_t *in = &s->ins[i];
    uint64_t v = s->und[in->und].ver + 1;
    if (in->qver != v) {
        double fair = fair_paise(s, in);
        band_watch(s, in, fair);
        in->q = quote_of(in, fair);
        in->qver = v;
    }
    return &in->q;
}

lg_paise_t lg_simm_protect(const sim_ins_t *in, lg_paise_t ltp, int side, int pct) {
    LG_ASSERT(in != NULL && ltp > 0 && (side == 1 || side == -1) && pct > 0);
    double x = (double)ltp * (1.0 + (double)side * (double)pct / 100.0);
    lg_paise_t p = side > 0 ? ceil_tick(x, in->tick) : floor_tick(x, in->tick);
    return LG_MAX(p, in->tick);
}

lg_paise_t lg_simm_cap(const sim_ins_t *in, lg_paise_t price) {
    LG_ASSERT(in != NULL);
    return clamp_paise(price, in->band_lo, in->band_hi);
}

bool lg_simm_in_band(const sim_ins_t *in, lg_paise_t price) {
    LG_ASSERT(in != NULL);
    return price >= in->band_lo && price <= in->band_hi;
}

bool lg_simm_beyond(const sim_ins_t *in, double fair, int side) {
    LG_ASSERT(in != NULL && (side == 1 || side == -1));
    /* a lower limit at the minimum price is no limit: worthless options trade there */
    if (side < 0) return in->band_lo > in->tick && fair < (double)in->band_lo;
    return fair > (double)in->band_hi;
}

bool lg_simm_locked(const sim_ins_t *in, const sim_quote_t *q, int side) {
    LG_ASSERT(q != NULL);
    return lg_simm_beyond(in, q->fair, side);
}

/* ---- chains --------------------------------------------------------------------- */

static bool name_ok(const char *name) {
    size_t n = strnlen(name, LG_UNDERLYING_MAX);
    if (n == 0 || n >= LG_UNDERLYING_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    }
    return true;
}

static void make_symbol(char *out, size_t cap, const char *name, int32_t day,
                        lg_paise_t strike, lg_kind_t kind) {
    int y, m, d;
    lg_civil_from_days(day, &y, &m, &d);
    LG_ASSERT(m >= 1 && m <= 12);
    int n;
    if (kind == LG_KIND_FUT) {
        n = snprintf(out, cap, "%s%02d%sFUT", name, y % 100, month_names[m - 1]);
    } else if (strike % 100 == 0) {
        n = snprintf(out, cap, "%s%02d%s%lld%s", name, y % 100, month_names[m - 1],
                     (long long)(strike / 100), kind == LG_KIND_CE ? "CE" : "PE");
    } else {
        n = snprintf(out, cap, "%s%02d%s%lld.%02lld%s", name, y % 100, month_names[m - 1],
                     (long long)(strike / 100), (long long)(strike % 100),
                     kind == LG_KIND_CE ? "CE" : "PE");
    }
    LG_ASSERT(n > 0 && (size_t)n < cap);
}

static uint32_t token_of(uint32_t i) {
    return ((LG_SIM_XTOKEN_BASE + i) << 8) | LG_SIM_SEGMENT_NFO;
}

/* Adds sim instrument n_ins (state and master row); the chain was validated. */
static void add_instrument(lg_sim_t *s, uint32_t und, lg_kind_t kind, double strike,
                           int32_t expiry, lg_qty_t lot, lg_qty_t freeze) {
    uint32_t i = s->n_ins++;
    sim_ins_t *in = &s->ins[i];
    memset(in, 0, sizeof *in);
    in->token = token_of(i);
    in->und = und;
    in->kind = kind;
    in->strike = strike;
    in->expiry_day = expiry;
    in->lot = lot;
    in->freeze = freeze;
    in->tick = LG_SIM_TICK_PAISE;
    lg_instrument_t m = {.token = in->token, .expiry_day = expiry, .kind = kind, .lot = lot,
                         .tick = in->tick, .freeze = freeze};
    m.strike = (lg_paise_t)llround(strike * 100.0);
    lg_strlcpy(m.underlying, s->und[und].name, sizeof m.underlying);
    make_symbol(m.symbol, sizeof m.symbol, s->und[und].name, expiry, m.strike, kind);
    int rc = lg_instruments_add(s->master, &m);
    LG_ASSERT(rc == LG_OK);
    set_band(s, in, fair_paise(s, in)); /* around the fair value now */
}

static int chain_check(const lg_sim_t *s, const char *name, double spot, double step,
                       uint32_t n, int32_t expiry, lg_qty_t lot, lg_qty_t freeze, double iv) {
    if (!name_ok(name) || !(spot > 0.0 && spot < SPOT_MAX) || !(step > 0.0) || n == 0 ||
        n > 10000 || expiry <= 0 || lot <= 0 || freeze < lot || !(iv > 0.0 && iv < 5.0))
        return LG_EINVAL;
    if (s->n_und == LG_SIM_MAX_UNDERLYINGS) return LG_EPOOL_FULL;
    uint32_t need = 1 + 2 * n;
    if (s->n_ins + need > s->cap_ins || s->master->n + need > s->master->cap)
        return LG_EPOOL_FULL;
    double atm = round(spot / step) * step;
    if (atm - (double)(n / 2) * step <= 0.0) return LG_EINVAL;
    for (uint32_t i = 0; i < need; i++) {
        if (lg_instruments_find(s->master, token_of(s->n_ins + i)) != NULL) return LG_EINVAL;
    }
    return LG_OK;
}

int lg_simm_add(lg_sim_t *s, const char *name, double spot, double step, uint32_t n,
                int32_t expiry, lg_qty_t lot, lg_qty_t freeze, double iv) {
    LG_ASSERT(s != NULL && name != NULL);
    int rc = chain_check(s, name, spot, step, n, expiry, lot, freeze, iv);
    if (rc != LG_OK) return rc;
    if (!s->offset_set) {
        s->offset = (lg_ns_t)(expiry - 30) * 86400 * LG_NS_PER_S;
        s->offset_set = true;
    }
    uint32_t ui = s->n_und++;
    sim_und_t *u = &s->und[ui];
    memset(u, 0, sizeof *u);
    lg_strlcpy(u->name, name, sizeof u->name);
    u->spot = spot;
    u->iv = iv;
    u->first = s->n_ins;
    u->count = 1 + 2 * n;
    u->n_strikes = n;
    lg_rng_seed(&u->rng, s->cfg.seed ^ (0x9E3779B97F4A7C15ULL * (ui + 1)));
    add_instrument(s, ui, LG_KIND_FUT, 0.0, expiry, lot, freeze);
    double k0 = round(spot / step) * step - (double)(n / 2) * step;
    for (uint32_t k = 0; k < n; k++) {
        double K = k0 + (double)k * step;
        add_instrument(s, ui, LG_KIND_CE, K, expiry, lot, freeze);
        add_instrument(s, ui, LG_KIND_PE, K, expiry, lot, freeze);
    }
    LG_ASSERT(s->n_ins == u->first + u->count);
    return (int)ui;
}

/* ---- motion --------------------------------------------------------------------- */

static uint32_t poisson(lg_rng_t *r, double lam) {
    if (lam > 30.0) {
        double v = lam + sqrt(lam) * lg_rng_normal(r);
        return v <= 0.0 ? 0 : (uint32_t)LG_MIN(llround(v), 1000000000LL);
    }
    double limit = exp(-lam), p = 1.0;
    uint32_t k = 0;
    for (uint32_t i = 0; i < POISSON_MAX_ITERS; i++) {
        p *= lg_rng_uniform(r);
        if (p <= limit) break;
        k++;
    }
    return k;
}

/* Moves one underlying over n steps (n > 1: one aggregated draw). */
static void und_evolve(const lg_sim_knobs_t *k, sim_und_t *u, uint64_t n) {
    double dt = (double)k->step_ns * (double)n;
    double sig = k->vol_annual * sqrt(dt / LG_SIM_NS_PER_YEAR);
    double x = 0.0;
    if (sig > 0.0) x = sig * lg_rng_normal(&u->rng) - 0.5 * sig * sig;
    if (k->jump_per_hour > 0.0 && k->jump_pct > 0.0) {
        double lam = k->jump_per_hour * dt / (3600.0 * 1e9);
        uint32_t j = n == 1 ? (lg_rng_chance(&u->rng, lam) ? 1u : 0u) : poisson(&u->rng, lam);
        if (j > 0) x += k->jump_pct / 100.0 * sqrt((double)j) * lg_rng_normal(&u->rng);
    }
    u->spot *= exp(x);
    u->spot = u->spot < SPOT_MIN ? SPOT_MIN : (u->spot > SPOT_MAX ? SPOT_MAX : u->spot);
    LG_ASSERT(isfinite(u->spot));
    u->ver++;
}

void lg_simm_step(lg_sim_t *s, uint64_t n) {
    LG_ASSERT(s != NULL && n >= 1);
    for (uint32_t i = 0; i < s->n_und; i++) und_evolve(&s->cfg.knobs, &s->und[i], n);
    s->mkt_t += s->cfg.knobs.step_ns * (lg_ns_t)n;
}

/* ---- gaps ----------------------------------------------------------------------- */

void lg_simm_add_gap(lg_sim_t *s, uint32_t und, double pct, lg_ns_t at) {
    LG_ASSERT(s != NULL && und < s->n_und && isfinite(pct) && pct > -100.0 && at >= 0);
    if (s->n_gaps == LG_SIM_MAX_GAPS) {
        s->overflows++;
        return;
    }
    sim_gap_t g = {.at = at, .seq = s->gap_seq++, .und = und, .pct = pct};
    /* sorted latest first, so the next gap is the last; a new gap goes before
     * (is applied after) the ones already scripted for the same time */
    uint32_t i = s->n_gaps++;
    for (uint32_t k = 0; k < LG_SIM_MAX_GAPS && i > 0 && s->gaps[i - 1].at <= at; k++) {
        s->gaps[i] = s->gaps[i - 1];
        i--;
    }
    s->gaps[i] = g;
}

lg_ns_t lg_simm_next_gap(const lg_sim_t *s) {
    return s->n_gaps > 0 ? s->gaps[s->n_gaps - 1].at : INT64_MAX;
}

uint32_t lg_simm_apply_gap(lg_sim_t *s, lg_ns_t *at) {
    LG_ASSERT(s->n_gaps > 0 && at != NULL);
    sim_gap_t g = s->gaps[--s->n_gaps];
    sim_und_t *u = &s->und[g.und];
    u->spot *= 1.0 + g.pct / 100.0;
    u->spot = LG_MAX(u->spot, SPOT_MIN);
    u->ver++;
    *at = g.at;
    return g.und;
}

/* ---- ticks ---------------------------------------------------------------------- */

/* Is subscription k due in the current round? Futures every round, options every
 * option_tick_every-th. */
static bool due(const lg_sim_t *s, uint32_t k) {
    const sim_ins_t *in = &s->ins[s->subs[k]];
    if (in->kind == LG_KIND_FUT) return true;
    uint64_t round = (uint64_t)(s->tick_t / s->cfg.knobs.tick_interval_ns);
    return round % s->cfg.knobs.option_tick_every == 0;
}

/* Moves tick_cur to the next due subscription, or on to the next round that has one
 * (bounded: a round with a future, or every option_tick_every-th round, has one). */
static void settle(lg_sim_t *s) {
    for (uint32_t r = 0; s->n_subs > 0 && r <= s->cfg.knobs.option_tick_every; r++) {
        while (s->tick_cur < s->n_subs && !due(s, s->tick_cur)) s->tick_cur++;
        if (s->tick_cur < s->n_subs) return;
        s->tick_cur = 0;
        s->tick_t += s->cfg.knobs.tick_interval_ns;
    }
    LG_ASSERT(s->n_subs == 0 || due(s, s->tick_cur));
}

void lg_simm_subscribe(lg_sim_t *s, uint32_t i) {
    LG_ASSERT(s != NULL && i < s->n_ins);
    if (s->ins[i].subscribed) return;
    LG_ASSERT(s->n_subs < s->cap_ins);
    s->ins[i].subscribed = true;
    s->subs[s->n_subs++] = i;
    if (s->tick_cur == 0) settle(s);
}

/* Skips rounds that are wholly in the past (a caller that jumped ahead gets the
 * current market, not a replay of old ticks). */
void lg_simm_tick_catch_up(lg_sim_t *s, lg_ns_t now) {
    lg_ns_t iv = s->cfg.knobs.tick_interval_ns;
    if (s->n_subs == 0 || s->tick_cur != 0 || s->tick_t + iv > now) return;
    s->tick_t = now - now % iv;
    settle(s);
}

lg_ns_t lg_simm_next_tick(const lg_sim_t *s) {
    return s->n_subs > 0 ? s->tick_t : INT64_MAX;
}

void lg_simm_tick(lg_sim_t *s, lg_event_t *ev) {
    LG_ASSERT(s->n_subs > 0 && s->tick_cur < s->n_subs && due(s, s->tick_cur));
    uint32_t i = s->subs[s->tick_cur++];
    const sim_quote_t *q = lg_simm_quote(s, i);
    memset(ev, 0, sizeof *ev);
    ev->kind = LG_EV_TICK;
    ev->u.tick.token = s->ins[i].token;
    ev->u.tick.ltp = q->ltp;
    ev->u.tick.bid = q->bid;
    ev->u.tick.ask = q->ask;
    if (s->tick_cur == s->n_subs) {
        s->tick_cur = 0;
        s->tick_t += s->cfg.knobs.tick_interval_ns;
    }
    settle(s);
}
