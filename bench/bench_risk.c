/*
 * bench_risk.c — cost of the risk engine (DESIGN §7; budgets §11): the margin-shock
 * walk of a call spread and an iron condor under the ratchet and naive plans, the
 * scenario margin (a whole calculation, and one state of a prepared table), sizing
 * alone, and the engine steps it enters: a GROUP_SUBMIT admitted with the risk engine
 * on against the same with it off, an INTENT (sizing and admission), a submit beside
 * held positions, a TICK while positions are held (the greeks watch's cycles), and
 * a TICK while groups are in entry (their exposure takes each leg's volatility).
 * Every figure is a percentile over many repetitions on this machine; calls shorter
 * than the clock are timed in batches and reported per call. The market: a NIFTY
 * future at ₹24 000 and options every 100 from 22 000 to 26 000 at their Black-76
 * prices (14% volatility, 30 days to expiry). ONLY=word runs the lines whose name
 * contains it. Prints one JSON object per line.
 */
#include "legato/engine.h"
#include "legato/numeric.h"

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FWD 2400000 /* NIFTY future at ₹24 000, paise */
#define IV 0.14
#define EXPIRY_DAY 20650
#define DAYS_LEFT 30
#define OFFSET ((lg_ns_t)(EXPIRY_DAY - DAYS_LEFT) * 86400 * LG_NS_PER_S)
#define LOT 65
#define STRIKE_LO 22000 /* rupees; strikes every 100 up to STRIKE_HI */
#define STRIKE_HI 26000
#define N_STRIKES ((STRIKE_HI - STRIKE_LO) / 100 + 1)
#define T_FUT ((1u << 8) | 2u)
#define HUGE_MARGIN (100000000000LL * 100) /* ₹10 000 crore: reservations never bind */
#define MAX_SAMPLES 200000

static volatile int64_t sink; /* keeps results alive */

/* ---- percentiles ---------------------------------------------------------------------- */

typedef struct samples {
    lg_ns_t v[MAX_SAMPLES];
    uint32_t n;
} samples_t;

static samples_t S; /* one measurement at a time */

static void add(lg_ns_t dt) {
    if (S.n < MAX_SAMPLES) S.v[S.n++] = dt;
}

static lg_ns_t pct(uint32_t p) { return S.v[(uint64_t)S.n * p / 100]; }

/* Sorts the samples and prints name, n, p50/p90/p99/max (ns per call: a sample timed
 * `batch` calls) and extra fields (JSON, starting with a comma, or ""). */
static void report(const char *name, uint32_t batch, const char *extra) {
    if (S.n == 0) return;
    qsort(S.v, S.n, sizeof S.v[0], bench_cmp_ns);
    double b = (double)batch;
    printf("{\"name\":\"%s\",\"samples\":%u,\"batch\":%u,\"p50_ns\":%.0f,\"p90_ns\":%.0f,"
           "\"p99_ns\":%.0f,\"max_ns\":%.0f%s}\n",
           name, S.n, batch, (double)pct(50) / b, (double)pct(90) / b, (double)pct(99) / b,
           (double)S.v[S.n - 1] / b, extra);
    fflush(stdout);
    S.n = 0;
}

/* ---- the market ------------------------------------------------------------------------- */

static uint32_t opt_token(lg_kind_t k, int strike) {
    uint32_t i = (uint32_t)(strike - STRIKE_LO) / 100u;
    return ((k == LG_KIND_CE ? 16u : 128u) + i) << 8 | 2u;
}

static int master(lg_instruments_t *m) {
    if (lg_instruments_init(m, 2 * N_STRIKES + 1) != LG_OK) return -1;
    lg_instrument_t f = {.token = T_FUT, .kind = LG_KIND_FUT, .lot = LOT, .tick = 5,
                         .freeze = 1800, .expiry_day = EXPIRY_DAY};
    snprintf(f.symbol, sizeof f.symbol, "NIFTY26JULFUT");
    snprintf(f.underlying, sizeof f.underlying, "NIFTY");
    if (lg_instruments_add(m, &f) != LG_OK) return -1;
    for (int s = STRIKE_LO; s <= STRIKE_HI; s += 100)
        for (int c = 0; c < 2; c++) {
            lg_kind_t k = c == 0 ? LG_KIND_CE : LG_KIND_PE;
            lg_instrument_t in = f;
            in.token = opt_token(k, s);
            in.kind = k;
            in.strike = (lg_paise_t)s * 100;
            snprintf(in.symbol, sizeof in.symbol, "NIFTY26JUL%d%s", s, c == 0 ? "CE" : "PE");
            if (lg_instruments_add(m, &in) != LG_OK) return -1;
        }
    return 0;
}

static double years_left(void) { return (DAYS_LEFT * 86400.0 + 36000.0) / (365.0 * 86400.0); }

/* Black-76 price on the tick grid, paise. */
static lg_paise_t fair(lg_kind_t k, int strike, lg_paise_t fwd) {
    double px = lg_b76_price(k == LG_KIND_CE, (double)fwd / 100.0, strike, years_left(), 0.0, IV);
    lg_paise_t p = (lg_paise_t)(px * 100.0 + 0.5);
    p -= p % 5;
    return p > 0 ? p : 5;
}

/* ---- pure functions ------------------------------------------------------------------------- */

typedef struct leg_def {
    lg_kind_t kind;
    int strike;
    int8_t side;
    int8_t cover;
} leg_def_t;

static const leg_def_t SPREAD[2] = {{LG_KIND_CE, 24200, -1, 1}, {LG_KIND_CE, 24400, 1, -1}};
static const leg_def_t CONDOR[4] = {{LG_KIND_CE, 24200, -1, 1}, {LG_KIND_CE, 24400, 1, -1},
                                    {LG_KIND_PE, 23800, -1, 3}, {LG_KIND_PE, 23600, 1, -1}};

static void shock_legs(const leg_def_t *d, uint32_t n, lg_qty_t lots, lg_shock_leg_t *out) {
    for (uint32_t i = 0; i < n; i++) {
        out[i] = (lg_shock_leg_t){.cover = d[i].cover, .lot = LOT};
        out[i].m = (lg_margin_leg_t){.kind = d[i].kind, .und = 0, .spot = FWD / 100.0,
                                     .strike = d[i].strike, .t_years = years_left(), .iv = IV,
                                     .qty = d[i].side * lots * LOT,
                                     .price = fair(d[i].kind, d[i].strike, FWD)};
    }
}

static int bench_shock(const char *name, const leg_def_t *d, uint32_t n, lg_policy_t pol,
                       lg_paise_t *need) {
    lg_shock_leg_t legs[LG_MAX_LEGS];
    shock_legs(d, n, 10, legs);
    lg_shock_params_t p;
    lg_shock_params_default(&p);
    lg_shock_result_t r;
    for (int rep = 0; rep < 3000; rep++) {
        lg_ns_t t0 = bench_clock_ns();
        int rc = lg_shock_walk(legs, n, pol, 4, &p, HUGE_MARGIN, &r);
        lg_ns_t dt = bench_clock_ns() - t0;
        if (rc != LG_OK) return -1;
        if (rep >= 100) add(dt); /* the first ones warm the caches */
    }
    sink += r.worst.need;
    if (need) *need = r.worst.need;
    char extra[200];
    snprintf(extra, sizeof extra,
             ",\"legs\":%u,\"lots\":10,\"slices\":4,\"states\":%u,\"slices_walked\":%s,"
             "\"worst_need_rupees\":%lld,\"finished_margin_rupees\":%lld",
             n, r.states, r.slices_walked ? "true" : "false", (long long)(r.worst.need / 100),
             (long long)(r.finished.margin / 100));
    report(name, 1, extra);
    return 0;
}

static int bench_margin(void) {
    lg_shock_leg_t sl[4];
    shock_legs(CONDOR, 4, 10, sl);
    lg_margin_leg_t legs[4];
    for (int i = 0; i < 4; i++) legs[i] = sl[i].m;
    lg_margin_params_t p;
    lg_margin_params_default(&p);
    lg_margin_t m;
    for (int rep = 0; rep < 20000; rep++) {
        lg_ns_t t0 = bench_clock_ns();
        int rc = lg_margin_calc(legs, 4, &p, &m);
        lg_ns_t dt = bench_clock_ns() - t0;
        if (rc != LG_OK) return -1;
        if (rep >= 100) add(dt);
    }
    sink += m.total;
    char extra[120];
    snprintf(extra, sizeof extra, ",\"legs\":4,\"margin_rupees\":%lld", (long long)(m.total / 100));
    report("margin_calc", 1, extra);

    lg_margin_table_t t;
    if (lg_margin_prepare(legs, 4, &p, &t) != LG_OK) return -1;
    enum { B = 64 };
    lg_qty_t q[B][4];
    for (int k = 0; k < B; k++)
        for (int i = 0; i < 4; i++) q[k][i] = legs[i].qty / LOT * (k % 11) * LOT / 10;
    for (int rep = 0; rep < 20000; rep++) {
        lg_ns_t t0 = bench_clock_ns();
        for (int k = 0; k < B; k++) {
            lg_margin_eval(&t, q[k], &m);
            sink += m.total;
        }
        add(bench_clock_ns() - t0);
    }
    report("margin_eval", B, ",\"legs\":4");
    return 0;
}

static int bench_size(lg_paise_t need_per_unit) {
    lg_risk_config_t c;
    lg_risk_config_default(&c);
    lg_size_input_t in = {.available = 1000000 * 100LL, .need_per_unit = need_per_unit / 10,
                          .delta_now = 120, .delta_unit = 9.5, .vega_now = -900,
                          .vega_unit = -140, .day_pnl = -3000 * 100LL, .iv = IV,
                          .confidence = 0.8, .lots_per_unit = 2,
                          .notional_per_unit = 2 * LOT * (lg_paise_t)FWD};
    lg_size_result_t r;
    enum { B = 16 };
    for (int rep = 0; rep < 20000; rep++) {
        lg_ns_t t0 = bench_clock_ns();
        for (int k = 0; k < B; k++) {
            in.confidence = 0.5 + 0.03 * k;
            if (lg_risk_size(&c, &in, &r) != LG_OK) return -1;
            sink += r.units;
        }
        add(bench_clock_ns() - t0);
    }
    char extra[160];
    snprintf(extra, sizeof extra, ",\"units\":%u,\"bound\":\"%s\"", r.units, lg_bound_name(r.bound));
    report("risk_size", B, extra);
    return 0;
}

static void bench_clock(void) {
    for (int rep = 0; rep < 20000; rep++) {
        lg_ns_t t0 = bench_clock_ns();
        add(bench_clock_ns() - t0);
    }
    report("clock_overhead", 1, "");
}

/* ---- engine steps ------------------------------------------------------------------------- */

typedef struct rig {
    lg_engine_t *e;
    lg_out_t out;
    lg_ns_t now;
    lg_cmd_t pending[512];
    uint32_t n_pending, acks;
} rig_t;

static rig_t R;

static void keep_places(rig_t *r) {
    for (uint32_t i = 0; i < r->out.n_cmds; i++)
        if (r->out.cmds[i].kind == LG_CMD_PLACE && r->n_pending < LG_COUNT(r->pending))
            r->pending[r->n_pending++] = r->out.cmds[i];
}

static int step(rig_t *r, const lg_event_t *ev) {
    r->now += LG_NS_PER_MS;
    int rc = lg_engine_step(r->e, ev, r->now, &r->out);
    keep_places(r);
    return rc;
}

/* The same step, timed. */
static int tstep(rig_t *r, const lg_event_t *ev, lg_ns_t *dt) {
    r->now += LG_NS_PER_MS;
    lg_ns_t t0 = bench_clock_ns();
    int rc = lg_engine_step(r->e, ev, r->now, &r->out);
    *dt = bench_clock_ns() - t0;
    keep_places(r);
    return rc;
}

static lg_event_t tick_ev(uint32_t token, lg_paise_t ltp) {
    lg_event_t ev = {.kind = LG_EV_TICK};
    ev.u.tick.token = token;
    ev.u.tick.ltp = ev.u.tick.bid = ev.u.tick.ask = ltp;
    return ev;
}

static int tick(rig_t *r, uint32_t token, lg_paise_t ltp) {
    lg_event_t ev = tick_ev(token, ltp);
    return step(r, &ev);
}

/* The future and every option at their fair prices. */
static int market(rig_t *r) {
    if (tick(r, T_FUT, FWD) != LG_OK) return -1;
    for (int s = STRIKE_LO; s <= STRIKE_HI; s += 100) {
        if (tick(r, opt_token(LG_KIND_CE, s), fair(LG_KIND_CE, s, FWD)) != LG_OK) return -1;
        if (tick(r, opt_token(LG_KIND_PE, s), fair(LG_KIND_PE, s, FWD)) != LG_OK) return -1;
    }
    return 0;
}

static int margins(rig_t *r) {
    lg_event_t ev = {.kind = LG_EV_MARGINS};
    ev.u.margins.available = HUGE_MARGIN;
    return step(r, &ev);
}

static int rig_open(rig_t *r, const lg_instruments_t *m, bool risk_off) {
    lg_engine_config_t c;
    lg_engine_config_default(&c);
    c.max_groups = 64;
    c.max_orders = 2048;
    c.clock_offset_ns = OFFSET;
    c.risk_off = risk_off ? 1 : 0;
    /* groups stay in entry without fills: no timeout or silent-order query intrudes */
    c.entry_timeout_ns = 4 * 3600 * LG_NS_PER_S;
    c.order_silence_ns = 4 * 3600 * LG_NS_PER_S;
    /* 32 groups entering at once count in the portfolio's greeks: limits that never
     * bind (checked all the same), so every step measures an admission */
    c.risk.greeks = (lg_greeks_limits_t){.max_delta = 1e9, .max_gamma = 1e9, .max_vega = 1e12,
                                         .max_theta = 1e12};
    r->now = 1000;
    r->n_pending = 0;
    if (lg_engine_create(&c, m, &r->e) != LG_OK) return -1;
    if (margins(r) != LG_OK || market(r) != 0) return -1;
    return 0;
}

static void rig_close(rig_t *r) {
    lg_engine_destroy(r->e);
    r->e = NULL;
}

static lg_event_t submit_ev(const leg_def_t *d, uint32_t n, lg_qty_t lots) {
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    lg_group_spec_t *s = &ev.u.submit;
    *s = (lg_group_spec_t){.n_legs = n, .policy = LG_POLICY_RATCHET, .on_incomplete = -1};
    for (uint32_t i = 0; i < n; i++)
        s->legs[i] = (lg_leg_spec_t){.token = opt_token(d[i].kind, d[i].strike),
                                     .side = d[i].side, .covered_by = -1, .qty = lots * LOT};
    return ev;
}

static lg_event_t intent_ev(rig_t *r, const leg_def_t *d, uint32_t n) {
    lg_event_t ev = {.kind = LG_EV_INTENT};
    lg_intent_t *it = &ev.u.intent;
    it->n_legs = n;
    it->direction = 1;
    it->policy = -1;
    it->on_incomplete = -1;
    it->confidence = 1.0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t tok = opt_token(d[i].kind, d[i].strike);
        it->legs[i] = (lg_intent_leg_t){.token = tok, .side = d[i].side, .covered_by = -1, .ratio = 1};
        lg_paise_t ltp = 0;
        double iv = 0;
        lg_engine_price(r->e, tok, &ltp, &iv);
        it->decision_price += d[i].side * ltp;
    }
    return ev;
}

enum { KIND_SUBMIT, KIND_INTENT };

/* 150 fresh engines, 32 timed steps each (after one untimed warm-up); the groups
 * submitted stay in entry. */
static int bench_admit(const lg_instruments_t *m, const char *name, int kind,
                       const leg_def_t *d, uint32_t n, bool risk_off, bool resolve_iv) {
    const uint32_t engines = 150, per = 32;
    uint64_t cmds = 0, refused = 0;
    uint32_t units = 0;
    for (uint32_t b = 0; b < engines; b++) {
        if (rig_open(&R, m, risk_off) != 0) return -1;
        for (uint32_t k = 0; k <= per; k++) {
            /* a minute later every volatility is stale, and the admission solves its
             * legs' again (after a tick the tick's own step would: the exposure of the
             * groups in entry on those legs takes their volatility) */
            if (resolve_iv) R.now += 60 * LG_NS_PER_S;
            lg_event_t ev = kind == KIND_SUBMIT ? submit_ev(d, n, 10) : intent_ev(&R, d, n);
            lg_ns_t dt;
            int rc = tstep(&R, &ev, &dt);
            if (rc != LG_OK || R.out.new_group == 0 || R.out.n_cmds == 0) {
                refused++;
                continue;
            }
            if (k == 0) continue;
            add(dt);
            cmds += R.out.n_cmds;
            lg_sizing_view_t sz;
            if (kind == KIND_INTENT && lg_engine_sizing(R.e, R.out.new_group, &sz) == LG_OK)
                units = sz.units;
        }
        R.n_pending = 0;
        rig_close(&R);
    }
    if (refused > 0) {
        fprintf(stderr, "%s: %llu steps refused\n", name, (unsigned long long)refused);
        return -1;
    }
    char extra[200];
    int at = snprintf(extra, sizeof extra, ",\"structure\":\"%s\",\"risk\":\"%s\","
                      "\"iv\":\"%s\",\"cmds_per_step\":%.2f",
                      n == 2 ? "call_spread" : "iron_condor", risk_off ? "off" : "on",
                      resolve_iv ? "solved" : "cached", (double)cmds / (double)S.n);
    if (kind == KIND_INTENT)
        at += snprintf(extra + at, sizeof extra - (size_t)at, ",\"units\":%u", units);
    else
        at += snprintf(extra + at, sizeof extra - (size_t)at, ",\"lots\":10");
    /* the entry's budget beyond its journal commit (DESIGN §11) */
    snprintf(extra + at, sizeof extra - (size_t)at, ",\"budget_entry_rest_p99_ns\":50000");
    report(name, 1, extra);
    return 0;
}

/* Acks and fills every order sent at its instrument's last price, until nothing more. */
/* Acks and fills the oldest n orders sent (what they release waits behind them). */
static int fill_n(rig_t *r, uint32_t n) {
    for (uint32_t round = 0; round < n && r->n_pending > 0; round++) {
        lg_cmd_t c = r->pending[0];
        memmove(&r->pending[0], &r->pending[1], (r->n_pending - 1) * sizeof c);
        r->n_pending--;
        lg_event_t ev = {.kind = LG_EV_ORDER_ACK};
        snprintf(ev.u.ack.tag, sizeof ev.u.ack.tag, "%s", c.tag);
        snprintf(ev.u.ack.broker_id, sizeof ev.u.ack.broker_id, "10000000000%08u", ++r->acks);
        if (step(r, &ev) != LG_OK) return -1;
        lg_paise_t ltp = 0;
        double iv = 0;
        lg_engine_price(r->e, c.token, &ltp, &iv);
        ev = (lg_event_t){.kind = LG_EV_ORDER_UPDATE};
        snprintf(ev.u.update.tag, sizeof ev.u.update.tag, "%s", c.tag);
        snprintf(ev.u.update.broker_id, sizeof ev.u.update.broker_id, "10000000000%08u", r->acks);
        ev.u.update.status = LG_KS_COMPLETE;
        ev.u.update.quantity = ev.u.update.filled = c.qty;
        ev.u.update.avg_price = ltp;
        if (step(r, &ev) != LG_OK) return -1;
    }
    return 0;
}

static int fill_all(rig_t *r) {
    if (fill_n(r, 10000) != 0) return -1;
    return r->n_pending == 0 ? 0 : -1;
}

/* Condor i of a book of several, each on strikes of its own: shorts 100·i further out,
 * protections 900 beyond the nearest short (all distinct for i < 8). */
static void condor_i(uint32_t i, leg_def_t *d) {
    int o = 100 * (int)i;
    d[0] = (leg_def_t){LG_KIND_CE, 24100 + o, -1, 1};
    d[1] = (leg_def_t){LG_KIND_CE, 25000 + o, 1, -1};
    d[2] = (leg_def_t){LG_KIND_PE, 23900 - o, -1, 3};
    d[3] = (leg_def_t){LG_KIND_PE, 23000 - o, 1, -1};
}

/* A rig holding `condors` filled one-lot iron condors. */
static int rig_held(const lg_instruments_t *m, uint32_t condors, uint32_t *tokens) {
    if (rig_open(&R, m, false) != 0) return -1;
    R.acks = 0;
    for (uint32_t i = 0; i < condors; i++) {
        leg_def_t d[4];
        condor_i(i, d);
        lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
        ev.u.submit = (lg_group_spec_t){.n_legs = 4, .policy = LG_POLICY_RATCHET, .on_incomplete = -1};
        for (uint32_t l = 0; l < 4; l++) {
            tokens[4 * i + l] = opt_token(d[l].kind, d[l].strike);
            ev.u.submit.legs[l] = (lg_leg_spec_t){.token = tokens[4 * i + l], .side = d[l].side,
                                                  .covered_by = -1, .qty = LOT};
        }
        if (step(&R, &ev) != LG_OK || R.out.new_group == 0) return -1;
        if (fill_all(&R) != 0) return -1;
    }
    for (uint32_t i = 0; i < 4 * condors; i++)
        if (lg_engine_position(R.e, tokens[i]) == 0) return -1;
    return lg_engine_trading_state(R.e) == LG_TS_ACTIVE ? 0 : -1;
}

/* Ticks on held options (each makes its volatility solved again when next needed),
 * the future every 20th; every 20th tick comes greeks_watch_ns after the one before,
 * so a watch cycle starts there and prices one instrument per tick until it is done
 * (greeks_watch.c). Every tick is timed: the cycle's work lands on ordinary ticks. */
static int bench_ticks(const lg_instruments_t *m, uint32_t condors, uint32_t n_ticks) {
    uint32_t tokens[32];
    if (rig_held(m, condors, tokens) != 0) return -1;
    lg_paise_t base[32];
    for (uint32_t i = 0; i < 4 * condors; i++) {
        double iv;
        lg_engine_price(R.e, tokens[i], &base[i], &iv);
    }
    lg_ns_t watch = lg_engine_config(R.e)->greeks_watch_ns;
    uint32_t next = 0;
    S.n = 0;
    for (uint32_t j = 0; j < n_ticks; j++) {
        bool is_due = j % 20 == 0;
        lg_event_t ev;
        if (j % 20 == 10) {
            ev = tick_ev(T_FUT, FWD + (j / 20 % 2 ? 5 : 0));
        } else {
            uint32_t i = next++ % (4 * condors);
            ev = tick_ev(tokens[i], base[i] + (next / (4 * condors) % 2 ? 5 : 0));
        }
        if (is_due) R.now += watch;
        lg_ns_t dt;
        if (tstep(&R, &ev, &dt) != LG_OK) return -1;
        if (j >= 200 && S.n < MAX_SAMPLES) S.v[S.n++] = dt;
    }
    if (lg_engine_trading_state(R.e) != LG_TS_ACTIVE) return -1; /* the watch ran throughout */
    rig_close(&R);
    char extra[160];
    snprintf(extra, sizeof extra,
             ",\"held\":%u,\"greeks_watch_ns\":%lld,\"watch_every_ticks\":20,"
             "\"budget_p99_ns\":2000",
             4 * condors, (long long)watch);
    char name[64];
    snprintf(name, sizeof name, "engine_tick_held%u_watch", 4 * condors);
    report(name, 1, extra);
    return 0;
}

/* Ticks while `condors` one-lot iron condors are in entry: every tick of the underlying
 * re-evaluates each entering group's exposure, and a tick of the future moves every
 * leg's volatility. Futures and options ticks alternate. Nothing filled, or (partial)
 * the protections filled and the shorts working: then every leg weighs in the group's
 * delta exposure and each tick computes its delta. */
static int bench_ticks_entering(const lg_instruments_t *m, uint32_t condors, uint32_t n_ticks,
                                bool partial) {
    if (rig_open(&R, m, false) != 0) return -1;
    uint32_t tokens[32];
    lg_paise_t base[32];
    for (uint32_t i = 0; i < condors; i++) {
        leg_def_t d[4];
        condor_i(i, d);
        lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
        ev.u.submit = (lg_group_spec_t){.n_legs = 4, .policy = LG_POLICY_RATCHET, .on_incomplete = -1};
        for (uint32_t l = 0; l < 4; l++) {
            tokens[4 * i + l] = opt_token(d[l].kind, d[l].strike);
            base[4 * i + l] = fair(d[l].kind, d[l].strike, FWD);
            ev.u.submit.legs[l] = (lg_leg_spec_t){.token = tokens[4 * i + l], .side = d[l].side,
                                                  .covered_by = -1, .qty = LOT};
        }
        if (step(&R, &ev) != LG_OK || R.out.new_group == 0) return -1;
    }
    if (partial && fill_n(&R, R.n_pending) != 0) return -1; /* the protections, sent first */
    static lg_ns_t fut[MAX_SAMPLES / 2], opt[MAX_SAMPLES / 2];
    uint32_t n_fut = 0, n_opt = 0;
    for (uint32_t j = 0; j < n_ticks; j++) {
        uint32_t i = j / 2 % (4 * condors);
        lg_event_t ev = j % 2 ? tick_ev(T_FUT, FWD + (j / 2 % 2 ? 5 : 0))
                              : tick_ev(tokens[i], base[i] + (j / 8 % 2 ? 5 : 0));
        lg_ns_t dt;
        if (tstep(&R, &ev, &dt) != LG_OK) return -1;
        if (j < 200) continue;
        if (j % 2 && n_fut < LG_COUNT(fut)) fut[n_fut++] = dt;
        else if (j % 2 == 0 && n_opt < LG_COUNT(opt)) opt[n_opt++] = dt;
    }
    lg_engine_stats_t st;
    lg_engine_stats(R.e, &st);
    R.n_pending = 0;
    rig_close(&R);
    if (st.groups_live != condors) return -1;
    char name[64], extra[120];
    snprintf(extra, sizeof extra,
             ",\"entering_groups\":%u,\"legs\":%u,\"tick\":\"future\",\"budget_p99_ns\":2000",
             condors, 4 * condors);
    memcpy(S.v, fut, n_fut * sizeof fut[0]);
    S.n = n_fut;
    snprintf(name, sizeof name, "engine_tick_entering%u%s_future", 4 * condors, partial ? "_partial" : "");
    report(name, 1, extra);
    snprintf(extra, sizeof extra,
             ",\"entering_groups\":%u,\"legs\":%u,\"tick\":\"option\",\"budget_p99_ns\":2000",
             condors, 4 * condors);
    memcpy(S.v, opt, n_opt * sizeof opt[0]);
    S.n = n_opt;
    snprintf(name, sizeof name, "engine_tick_entering%u%s_option", 4 * condors, partial ? "_partial" : "");
    report(name, 1, extra);
    return 0;
}

/* A call spread submitted beside 8 held condors (32 positions): the greeks before the
 * trade are the whole book's. resolve: the future and every held option ticked before
 * each submit, so every held volatility is solved again in the submit's step. */
static int bench_submit_held(const lg_instruments_t *m, bool resolve, uint32_t rigs, uint32_t per) {
    uint32_t tokens[32];
    for (uint32_t b = 0; b < rigs; b++) {
        if (rig_held(m, 8, tokens) != 0) return -1;
        for (uint32_t k = 0; k <= per; k++) {
            if (resolve && tick(&R, T_FUT, FWD + (k % 2 ? 5 : 0)) != LG_OK) return -1;
            for (uint32_t i = 0; resolve && i < 32; i++) {
                lg_paise_t ltp = 0;
                double iv;
                lg_engine_price(R.e, tokens[i], &ltp, &iv);
                if (tick(&R, tokens[i], ltp) != LG_OK) return -1;
            }
            lg_event_t ev = submit_ev(SPREAD, 2, 1);
            lg_ns_t dt;
            if (tstep(&R, &ev, &dt) != LG_OK || R.out.new_group == 0) return -1;
            if (k > 0) add(dt);
        }
        R.n_pending = 0;
        rig_close(&R);
    }
    report(resolve ? "engine_submit_held32_all_ticked" : "engine_submit_held32", 1,
           resolve ? ",\"held\":32,\"lots\":1,\"iv\":\"solved\",\"budget_entry_rest_p99_ns\":50000"
                   : ",\"held\":32,\"lots\":1,\"iv\":\"cached\",\"budget_entry_rest_p99_ns\":50000");
    return 0;
}

/* The admission steps measured: submit or intent, structure, risk on or off, every
 * volatility stale or kept. */
typedef struct admit_case {
    const char *name;
    int kind;
    bool condor, risk_off, resolve_iv;
} admit_case_t;

static const admit_case_t ADMITS[] = {
    {"engine_submit_risk_off", KIND_SUBMIT, false, true, false},
    {"engine_submit_risk_on", KIND_SUBMIT, false, false, false},
    {"engine_submit_risk_on_iv_solved", KIND_SUBMIT, false, false, true},
    {"engine_submit_condor_risk_off", KIND_SUBMIT, true, true, false},
    {"engine_submit_condor_risk_on", KIND_SUBMIT, true, false, false},
    {"engine_intent", KIND_INTENT, false, false, false},
    {"engine_intent_iv_solved", KIND_INTENT, false, false, true},
};

/* ONLY=word runs the measurements whose name contains it. */
static bool want(const char *name) {
    const char *only = getenv("ONLY");
    return only == NULL || *only == '\0' || strstr(name, only) != NULL;
}

int main(void) {
    lg_instruments_t m;
    if (master(&m) != 0 || lg_out_init(&R.out, 256, 1024, 64) != LG_OK) return 1;
    lg_ns_t t0 = bench_clock_ns();
    lg_paise_t need = 0;
    int rc = 0;
    bench_clock();
    if (want("shock_walk_spread_ratchet") || want("risk_size"))
        rc |= bench_shock("shock_walk_spread_ratchet", SPREAD, 2, LG_POLICY_RATCHET, &need);
    if (want("shock_walk_spread_naive"))
        rc |= bench_shock("shock_walk_spread_naive", SPREAD, 2, LG_POLICY_NAIVE, NULL);
    if (want("shock_walk_condor_ratchet"))
        rc |= bench_shock("shock_walk_condor_ratchet", CONDOR, 4, LG_POLICY_RATCHET, NULL);
    if (want("shock_walk_condor_naive"))
        rc |= bench_shock("shock_walk_condor_naive", CONDOR, 4, LG_POLICY_NAIVE, NULL);
    if (want("margin_")) rc |= bench_margin();
    if (want("risk_size")) rc |= bench_size(need);
    for (size_t i = 0; i < LG_COUNT(ADMITS); i++) {
        const admit_case_t *a = &ADMITS[i];
        if (want(a->name))
            rc |= bench_admit(&m, a->name, a->kind, a->condor ? CONDOR : SPREAD,
                              a->condor ? 4 : 2, a->risk_off, a->resolve_iv);
    }
    if (want("engine_submit_held32")) rc |= bench_submit_held(&m, false, 40, 32);
    if (want("engine_submit_held32_all_ticked")) rc |= bench_submit_held(&m, true, 40, 32);
    if (want("engine_tick_held4")) rc |= bench_ticks(&m, 1, 100000);
    if (want("engine_tick_held32")) rc |= bench_ticks(&m, 8, 100000);
    if (want("engine_tick_entering4")) rc |= bench_ticks_entering(&m, 1, 40000, false);
    if (want("engine_tick_entering32")) rc |= bench_ticks_entering(&m, 8, 40000, false);
    if (want("engine_tick_entering32_partial")) rc |= bench_ticks_entering(&m, 8, 40000, true);
    if (rc != 0) return 1;
    printf("{\"name\":\"risk_bench_total\",\"seconds\":%.1f}\n",
           (double)(bench_clock_ns() - t0) / 1e9);
    lg_out_free(&R.out);
    lg_instruments_free(&m);
    return 0;
}
