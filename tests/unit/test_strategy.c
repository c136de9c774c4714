/*
 * test_strategy.c — the strategy host (bars from ticks, wake-ups, routing a group's
 * records to the strategy that made it, the action queue) and the two example
 * strategies: the EMA crossover's spreads and the condor seller's hedge-first condor,
 * both without a quantity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "legato/engine.h"
#include "legato/strategies.h"

#define S (LG_NS_PER_S)
#define TODAY 20640 /* IST date of T0 */
#define T0 ((lg_ns_t)TODAY * 86400 * S + 4 * 3600 * S) /* 09:30 IST */
#define NEAR 20650
#define NEXT 20657
#define FUT_OLD 900
#define FUT 901
#define FUT_NEXT 902

/* Options: 9 strikes 23 600 .. 24 400; token = base + kind·100 + strike index. */
static uint32_t opt(int32_t expiry, lg_kind_t k, int idx) {
    return (uint32_t)((expiry == NEAR ? 1000 : 2000) + (int)k * 100 + idx);
}

static void add(lg_instruments_t *m, uint32_t tok, lg_kind_t k, int32_t expiry, lg_paise_t strike,
                const char *und) {
    lg_instrument_t in = {.token = tok, .kind = k, .strike = strike, .lot = 65, .tick = 5,
                          .freeze = 1800, .expiry_day = expiry};
    snprintf(in.symbol, sizeof in.symbol, "%s%u", und, tok);
    snprintf(in.underlying, sizeof in.underlying, "%s", und);
    assert_int_equal(lg_instruments_add(m, &in), LG_OK);
}

static void master(lg_instruments_t *m) {
    assert_int_equal(lg_instruments_init(m, 64), LG_OK);
    add(m, FUT_OLD, LG_KIND_FUT, TODAY - 1, 0, "NIFTY");
    add(m, FUT_NEXT, LG_KIND_FUT, NEXT + 20, 0, "NIFTY");
    add(m, FUT, LG_KIND_FUT, NEAR, 0, "NIFTY");
    add(m, 950, LG_KIND_FUT, NEAR, 0, "BANKNIFTY");
    for (int e = 0; e < 2; e++)
        for (int i = 0; i < 9; i++) {
            int32_t ex = e == 0 ? NEAR : NEXT;
            add(m, opt(ex, LG_KIND_CE, i), LG_KIND_CE, ex, 2360000 + i * 10000, "NIFTY");
            add(m, opt(ex, LG_KIND_PE, i), LG_KIND_PE, ex, 2360000 + i * 10000, "NIFTY");
        }
}

typedef struct fx {
    lg_instruments_t m;
    lg_strat_host_t *h;
} fx_t;

static int setup(void **state) {
    static fx_t f;
    memset(&f, 0, sizeof f);
    master(&f.m);
    assert_int_equal(lg_strat_host_create(&f.m, &f.h), LG_OK);
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fx_t *f = *state;
    lg_strat_host_destroy(f->h);
    lg_instruments_free(&f->m);
    return 0;
}

static void tick(fx_t *f, lg_ns_t at, uint32_t tok, lg_paise_t ltp) {
    lg_strat_tick_t t = {.token = tok, .ltp = ltp, .bid = ltp - 5, .ask = ltp + 5};
    lg_strat_host_tick(f->h, at, &t);
}

/* Quotes for every near option: calls cheaper upwards, puts cheaper downwards. */
static void quote_chain(fx_t *f, lg_ns_t at) {
    for (int i = 0; i < 9; i++) {
        tick(f, at, opt(NEAR, LG_KIND_CE, i), 50000 - i * 5000);
        tick(f, at, opt(NEAR, LG_KIND_PE, i), 10000 + i * 5000);
    }
}

static uint32_t take(fx_t *f, lg_strat_action_t *a, uint32_t cap, lg_strat_action_kind_t only) {
    lg_strat_action_t all[LG_STRAT_ACTIONS_MAX];
    uint32_t n = lg_strat_host_take(f->h, all, LG_STRAT_ACTIONS_MAX), k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (all[i].kind == only && k < cap) a[k++] = all[i];
    return k;
}

/* Takes every queued action: the exits of group, and the intents. */
static void take_counts(fx_t *f, uint32_t group, uint32_t *exits, uint32_t *intents) {
    lg_strat_action_t all[LG_STRAT_ACTIONS_MAX];
    uint32_t n = lg_strat_host_take(f->h, all, LG_STRAT_ACTIONS_MAX);
    for (uint32_t i = 0; i < n; i++) {
        *exits += all[i].kind == LG_SA_EXIT && all[i].group == group;
        *intents += all[i].kind == LG_SA_INTENT;
    }
}

/* ---- a recording strategy for the host's own behaviour ---------------------------------- */

typedef struct rec {
    lg_bar_t bars[16];
    uint32_t n_bars, n_ticks, n_timers;
    lg_strat_fill_t fills[16];
    uint32_t n_fills;
    uint32_t token;
    lg_ns_t period, wake;
    int start_rc;
} rec_t;

static int rec_start(void *self, lg_strat_ctx_t *c) {
    rec_t *r = self;
    if (r->start_rc != LG_OK) {
        lg_strat_note(c, LG_ALERT_ERROR, "the chain has no BANKNIFTY weekly");
        return r->start_rc;
    }
    if (r->wake) lg_strat_wake(c, r->wake);
    return r->period ? lg_strat_bars(c, r->token, r->period) : LG_OK;
}
static void rec_tick(void *self, lg_strat_ctx_t *c, const lg_strat_tick_t *t) {
    (void)c;
    (void)t;
    ((rec_t *)self)->n_ticks++;
}
static void rec_bar(void *self, lg_strat_ctx_t *c, const lg_bar_t *b) {
    (void)c;
    rec_t *r = self;
    assert_true(r->n_bars < 16);
    r->bars[r->n_bars++] = *b;
}
static void rec_fill(void *self, lg_strat_ctx_t *c, const lg_strat_fill_t *fl) {
    (void)c;
    rec_t *r = self;
    assert_true(r->n_fills < 16);
    r->fills[r->n_fills++] = *fl;
}
static void rec_timer(void *self, lg_strat_ctx_t *c) {
    (void)c;
    ((rec_t *)self)->n_timers++;
}

static lg_strategy_t rec_strategy(rec_t *r, const char *name) {
    return (lg_strategy_t){.name = name, .self = r, .on_start = rec_start, .on_tick = rec_tick,
                           .on_bar = rec_bar, .on_fill = rec_fill, .on_timer = rec_timer};
}

static void test_bars_from_ticks(void **state) {
    fx_t *f = *state;
    char err[256];
    static rec_t r;
    memset(&r, 0, sizeof r);
    r.token = FUT;
    r.period = 60 * S;
    lg_strategy_t s = rec_strategy(&r, "rec");
    assert_int_equal(lg_strat_host_add(f->h, &s, T0, err, sizeof err), LG_OK);
    lg_ns_t m0 = T0 + 10 * S; /* 09:30:10: the bar of 09:30:00 */
    assert_int_equal(lg_strat_host_wake(f->h), INT64_MAX); /* no open bar, no wake-up */
    tick(f, m0, FUT, 2400000);
    tick(f, m0 + 5 * S, FUT, 2401000);
    tick(f, m0 + 6 * S, FUT, 2399000);
    tick(f, m0 + 7 * S, FUT, 2400500);
    tick(f, m0 + 8 * S, FUT_NEXT, 1); /* another instrument: not this series */
    assert_int_equal(r.n_bars, 0);
    assert_int_equal(lg_strat_host_wake(f->h), T0 + 60 * S);
    tick(f, T0 + 60 * S, FUT, 2402000); /* the first tick of the next minute closes it */
    assert_int_equal(r.n_bars, 1);
    lg_bar_t b = r.bars[0];
    assert_int_equal(b.start, T0);
    assert_int_equal(b.period, 60 * S);
    assert_int_equal(b.open, 2400000);
    assert_int_equal(b.high, 2401000);
    assert_int_equal(b.low, 2399000);
    assert_int_equal(b.close, 2400500);
    assert_int_equal(b.ticks, 4);
    /* The timer closes the next bar at its end, with no tick after it. */
    lg_strat_host_timer(f->h, T0 + 119 * S);
    assert_int_equal(r.n_bars, 1);
    lg_strat_host_timer(f->h, T0 + 120 * S);
    assert_int_equal(r.n_bars, 2);
    assert_int_equal(r.bars[1].open, 2402000);
    assert_int_equal(r.bars[1].close, 2402000);
    assert_int_equal(r.bars[1].ticks, 1);
    /* An empty minute makes no bar; the next tick opens a bar at its own minute. */
    lg_strat_host_timer(f->h, T0 + 200 * S);
    assert_int_equal(r.n_bars, 2);
    tick(f, T0 + 250 * S, FUT, 2403000);
    assert_int_equal(lg_strat_host_wake(f->h), T0 + 300 * S);
    assert_int_equal(r.n_ticks, 7);
    lg_strat_host_stats_t st;
    lg_strat_host_stats(f->h, &st);
    assert_int_equal(st.bars, 2);
    assert_int_equal(st.ticks, 7);
    /* A tick of an instrument outside the master is nobody's. */
    tick(f, T0 + 251 * S, 424242, 100);
    assert_int_equal(r.n_ticks, 7);
}

static void test_wake_and_routing(void **state) {
    fx_t *f = *state;
    char err[256];
    static rec_t a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.wake = T0 + 5 * S;
    lg_strategy_t sa = rec_strategy(&a, "a"), sb = rec_strategy(&b, "b");
    assert_int_equal(lg_strat_host_add(f->h, &sa, T0, err, sizeof err), LG_OK);
    assert_int_equal(lg_strat_host_add(f->h, &sb, T0, err, sizeof err), LG_OK);
    assert_int_equal(lg_strat_host_wake(f->h), T0 + 5 * S);
    lg_strat_host_timer(f->h, T0 + 4 * S);
    assert_int_equal(a.n_timers, 0);
    lg_strat_host_timer(f->h, T0 + 5 * S);
    assert_int_equal(a.n_timers, 1);
    assert_int_equal(b.n_timers, 0);
    assert_int_equal(lg_strat_host_wake(f->h), INT64_MAX); /* one-shot */

    /* a's intent becomes group 7; its records reach a, not b; another group's reach nobody. */
    lg_strat_action_t act = {.kind = LG_SA_INTENT, .strategy = 0, .ref = 41};
    lg_strat_host_bound(f->h, T0, &act, 7, LG_GS_SUBMITTED, LG_OK, NULL);
    assert_int_equal(a.n_fills, 1);
    assert_int_equal(a.fills[0].kind, LG_SF_STATE);
    assert_int_equal(a.fills[0].state, LG_GS_SUBMITTED);
    assert_int_equal(a.fills[0].ref, 41);
    lg_record_t fill = {.kind = LG_REC_FILL, .group = 7, .a = opt(NEAR, LG_KIND_CE, 3), .b = -130,
                        .c = 130 * 20000};
    lg_strat_host_record(f->h, T0, &fill);
    lg_record_t other = {.kind = LG_REC_GROUP_STATE, .group = 8, .a = LG_GS_SUBMITTED, .b = LG_GS_HEDGED};
    lg_strat_host_record(f->h, T0, &other);
    lg_record_t sizing = {.kind = LG_REC_SIZING, .group = 7, .a = 2};
    lg_strat_host_record(f->h, T0, &sizing);
    assert_int_equal(a.n_fills, 2);
    assert_int_equal(b.n_fills, 0);
    assert_int_equal(a.fills[1].kind, LG_SF_FILL);
    assert_int_equal(a.fills[1].qty, -130);
    assert_int_equal(a.fills[1].price, 20000);
    assert_int_equal(a.fills[1].group, 7);

    /* A refusal reaches b with the reason. */
    lg_strat_action_t actb = {.kind = LG_SA_INTENT, .strategy = 1, .ref = 42};
    lg_strat_host_bound(f->h, T0, &actb, 0, 0, LG_EMARGIN, "margin: needs Rs 90 000, has Rs 10 000");
    assert_int_equal(b.n_fills, 1);
    assert_int_equal(b.fills[0].kind, LG_SF_REFUSED);
    assert_int_equal(b.fills[0].code, LG_EMARGIN);
    assert_non_null(strstr(b.fills[0].text, "margin"));
    assert_string_equal(lg_strat_host_name(f->h, 1), "b");
}

/* Services seen from inside a callback: a probe strategy runs them in on_timer. */
typedef struct probe {
    int emit_rc[3], exit_rc[2];
    int32_t today;
    lg_paise_t price, price_ltp_only;
} probe_t;

static void probe_timer(void *self, lg_strat_ctx_t *c) {
    probe_t *p = self;
    p->today = lg_strat_today(c);
    p->price = lg_strat_price(c, FUT);
    p->price_ltp_only = lg_strat_price(c, FUT_NEXT);
    lg_intent_t ok = {.n_legs = 1, .direction = 1, .confidence = 1};
    ok.legs[0] = (lg_intent_leg_t){.token = FUT, .side = 1, .covered_by = -1, .ratio = 1};
    lg_intent_t zero_ratio = ok, no_conf = ok;
    zero_ratio.legs[0].ratio = 0;
    no_conf.confidence = 0;
    uint32_t ref = 0;
    p->emit_rc[0] = lg_strat_emit(c, &ok, &ref);
    p->emit_rc[1] = lg_strat_emit(c, &zero_ratio, &ref);
    p->emit_rc[2] = lg_strat_emit(c, &no_conf, &ref);
    p->exit_rc[0] = lg_strat_exit(c, 99); /* not its group */
    for (int i = 0; i < LG_STRAT_ACTIONS_MAX + 2; i++) lg_strat_note(c, LG_ALERT_INFO, "n%d", i);
    p->exit_rc[1] = lg_strat_emit(c, &ok, &ref); /* the queue is full now */
}

static int probe_start(void *self, lg_strat_ctx_t *c) {
    (void)self;
    lg_strat_wake(c, lg_strat_now(c) + S);
    return LG_OK;
}

static void test_services_and_limits(void **state) {
    fx_t *f = *state;
    char err[256];
    static probe_t p;
    memset(&p, 0, sizeof p);
    lg_strategy_t s = {.name = "probe", .self = &p, .on_start = probe_start, .on_timer = probe_timer};
    assert_int_equal(lg_strat_host_add(f->h, &s, T0, err, sizeof err), LG_OK);
    lg_strat_tick_t q = {.token = FUT, .ltp = 2400000, .bid = 2399900, .ask = 2400300};
    lg_strat_host_tick(f->h, T0, &q);
    lg_strat_tick_t l = {.token = FUT_NEXT, .ltp = 2410000}; /* not quoted: the last price */
    lg_strat_host_tick(f->h, T0, &l);
    lg_strat_host_timer(f->h, T0 + S);
    assert_int_equal(p.today, TODAY);
    assert_int_equal(p.price, 2400100); /* the middle of bid and ask */
    assert_int_equal(p.price_ltp_only, 2410000);
    assert_int_equal(p.emit_rc[0], LG_OK);
    assert_int_equal(p.emit_rc[1], LG_EINVAL); /* a ratio of 0 */
    assert_int_equal(p.emit_rc[2], LG_EINVAL); /* no confidence */
    assert_int_equal(p.exit_rc[0], LG_EUNKNOWN_GROUP);
    assert_int_equal(p.exit_rc[1], LG_EPOOL_FULL);
    lg_strat_host_stats_t st;
    lg_strat_host_stats(f->h, &st);
    assert_int_equal(st.intents, 1);
    assert_int_equal(st.dropped, 4); /* three notes and the last intent did not fit */
    lg_strat_action_t a[LG_STRAT_ACTIONS_MAX];
    assert_int_equal(lg_strat_host_take(f->h, a, 2), 2); /* oldest first */
    assert_int_equal(a[0].kind, LG_SA_INTENT);
    assert_int_equal(a[1].kind, LG_SA_NOTE);
    assert_string_equal(a[1].text, "n0");
    assert_int_equal(lg_strat_host_take(f->h, a, LG_STRAT_ACTIONS_MAX), LG_STRAT_ACTIONS_MAX - 2);
    assert_string_equal(a[0].text, "n1");
}

static void test_refused_start_leaves_nothing(void **state) {
    fx_t *f = *state;
    char err[256];
    static rec_t r;
    memset(&r, 0, sizeof r);
    r.start_rc = LG_EINSTRUMENT;
    lg_strategy_t s = rec_strategy(&r, "weekly");
    assert_int_equal(lg_strat_host_add(f->h, &s, T0, err, sizeof err), LG_EINSTRUMENT);
    assert_non_null(strstr(err, "strategy weekly"));
    assert_non_null(strstr(err, "BANKNIFTY weekly"));
    assert_int_equal(lg_strat_host_count(f->h), 0);
    lg_strat_action_t a[4];
    assert_int_equal(lg_strat_host_take(f->h, a, 4), 0);
}

static void test_chain(void **state) {
    fx_t *f = *state;
    const lg_chain_t *ch = lg_strat_host_chain(f->h);
    assert_int_equal(lg_chain_future(ch, "NIFTY", TODAY), FUT); /* not the expired one */
    assert_int_equal(lg_chain_future(ch, "NIFTY", NEAR + 1), FUT_NEXT);
    assert_int_equal(lg_chain_future(ch, "FINNIFTY", TODAY), 0);
    assert_int_equal(lg_chain_expiry(ch, "NIFTY", TODAY, 0), NEAR);
    assert_int_equal(lg_chain_expiry(ch, "NIFTY", TODAY, 11), NEXT);
    assert_int_equal(lg_chain_expiry(ch, "NIFTY", TODAY, 30), -1);
    /* Nearest strike to 24 040 is 24 000 (index 4); two up is 24 200, two down 23 800. */
    assert_int_equal(lg_chain_option(ch, "NIFTY", NEAR, LG_KIND_CE, 2404000, 0), opt(NEAR, LG_KIND_CE, 4));
    assert_int_equal(lg_chain_option(ch, "NIFTY", NEAR, LG_KIND_CE, 2404000, 2), opt(NEAR, LG_KIND_CE, 6));
    assert_int_equal(lg_chain_option(ch, "NIFTY", NEAR, LG_KIND_PE, 2404000, -2), opt(NEAR, LG_KIND_PE, 2));
    assert_int_equal(lg_chain_option(ch, "NIFTY", NEXT, LG_KIND_PE, 2356000, 0), opt(NEXT, LG_KIND_PE, 0));
    assert_int_equal(lg_chain_option(ch, "NIFTY", NEAR, LG_KIND_CE, 2404000, 5), 0); /* off the chain */
    assert_int_equal(lg_chain_option(ch, "NIFTY", NEAR, LG_KIND_PE, 2404000, -5), 0);
    assert_int_equal(lg_chain_option(ch, "NIFTY", 12345, LG_KIND_PE, 2404000, 0), 0);
    /* Halfway between 24 000 and 24 100: the lower; beyond either end: the end strike. */
    assert_int_equal(lg_chain_option(ch, "NIFTY", NEAR, LG_KIND_CE, 2405000, 0), opt(NEAR, LG_KIND_CE, 4));
    assert_int_equal(lg_chain_option(ch, "NIFTY", NEAR, LG_KIND_CE, 2405001, 0), opt(NEAR, LG_KIND_CE, 5));
    assert_int_equal(lg_chain_option(ch, "NIFTY", NEAR, LG_KIND_PE, 100, 0), opt(NEAR, LG_KIND_PE, 0));
    assert_int_equal(lg_chain_option(ch, "NIFTY", NEAR, LG_KIND_PE, 900000000, 0), opt(NEAR, LG_KIND_PE, 8));
    assert_int_equal(lg_chain_option(ch, "NIFTY", NEAR, LG_KIND_PE, 900000000, 1), 0);
    assert_int_equal(lg_chain_option(ch, "NIFTY", NEAR, LG_KIND_PE, 100, -1), 0);
    assert_int_equal(lg_chain_option(ch, "BANKNIFTY", NEAR, LG_KIND_CE, 2404000, 0), 0); /* a future only */
    assert_int_equal(lg_chain_future(ch, "BANKNIFTY", TODAY), 950);
    assert_int_equal(lg_chain_expiry(ch, "BANKNIFTY", TODAY, 0), -1);
}

/* ---- the EMA crossover -------------------------------------------------------------------- */

static void bar_close(fx_t *f, lg_ns_t *t, lg_paise_t px) {
    tick(f, *t, FUT, px);
    *t += 60 * S;
    lg_strat_host_timer(f->h, *t);
}

static void test_ema_crossover(void **state) {
    fx_t *f = *state;
    char err[256];
    static lg_ema_t ema;
    lg_ema_params_t p;
    lg_ema_params_default(&p);
    p.fast = 2;
    p.slow = 4;
    lg_strategy_t s;
    assert_int_equal(lg_ema_init(&ema, &p, &s, err, sizeof err), LG_OK);
    assert_int_equal(lg_strat_host_add(f->h, &s, T0, err, sizeof err), LG_OK);
    assert_int_equal(ema.future, FUT);
    lg_ns_t t = T0;
    quote_chain(f, t);
    lg_strat_action_t a[8];
    /* Falling: the fast average settles below the slow one; no cross yet, no intent. */
    for (int i = 0; i < 6; i++) bar_close(f, &t, 2410000 - i * 2000);
    assert_int_equal(ema.relation, -1);
    assert_int_equal(take(f, a, 8, LG_SA_INTENT), 0);
    /* Rising through: the cross up buys the call spread at the money (24 000 / 24 200). */
    quote_chain(f, t);
    for (int i = 0; i < 4 && ema.relation < 0; i++) bar_close(f, &t, 2404000 + i * 6000);
    assert_int_equal(ema.relation, 1);
    assert_int_equal(take(f, a, 8, LG_SA_INTENT), 1);
    const lg_intent_t *it = &a[0].intent;
    assert_int_equal(it->n_legs, 2);
    assert_int_equal(it->legs[0].side, 1);
    assert_int_equal(it->legs[1].side, -1);
    assert_int_equal(it->legs[1].covered_by, 0); /* the long covers the short */
    assert_int_equal(it->legs[0].ratio, 1);
    assert_int_equal(it->legs[1].ratio, 1);
    const lg_instrument_t *lo = lg_instruments_find(&f->m, it->legs[0].token);
    const lg_instrument_t *hi = lg_instruments_find(&f->m, it->legs[1].token);
    assert_int_equal(lo->kind, LG_KIND_CE);
    assert_int_equal(hi->kind, LG_KIND_CE);
    assert_int_equal(lo->expiry_day, NEAR);
    assert_int_equal(hi->strike - lo->strike, 2 * 10000); /* two strikes up */
    /* The decision price is the debit from the quotes: mid(long) − mid(short). */
    int lo_i = (int)(lo->strike - 2360000) / 10000, hi_i = (int)(hi->strike - 2360000) / 10000;
    assert_int_equal(it->decision_price, (50000 - lo_i * 5000) - (50000 - hi_i * 5000));
    assert_true(it->decision_price > 0);
    assert_true(it->confidence == 0.5);
    /* No second spread while the first is asked for. */
    bar_close(f, &t, 2440000);
    assert_int_equal(take(f, a, 8, LG_SA_INTENT), 0);
    /* It becomes group 11, hedged; then the market falls: the spread is exited first... */
    lg_strat_action_t bound = {.kind = LG_SA_INTENT, .strategy = 0, .ref = ema.ref};
    lg_strat_host_bound(f->h, t, &bound, 11, LG_GS_SUBMITTED, LG_OK, NULL);
    assert_int_equal(ema.group, 11);
    lg_record_t hedged = {.kind = LG_REC_GROUP_STATE, .group = 11, .a = LG_GS_FILLED, .b = LG_GS_HEDGED};
    lg_strat_host_record(f->h, t, &hedged);
    for (int i = 0; i < 8 && ema.relation > 0; i++) bar_close(f, &t, 2400000 - i * 8000);
    assert_int_equal(ema.relation, -1);
    uint32_t exits = 0, intents = 0;
    take_counts(f, 11, &exits, &intents);
    assert_int_equal(exits, 1);
    assert_int_equal(intents, 0);
    /* ... and once it has closed, the put spread is bought. */
    lg_record_t closed = {.kind = LG_REC_GROUP_STATE, .group = 11, .a = LG_GS_CLOSING, .b = LG_GS_CLOSED};
    lg_strat_host_record(f->h, t, &closed);
    assert_int_equal(take(f, a, 8, LG_SA_INTENT), 1);
    it = &a[0].intent;
    lo = lg_instruments_find(&f->m, it->legs[0].token);
    hi = lg_instruments_find(&f->m, it->legs[1].token);
    assert_int_equal(lo->kind, LG_KIND_PE);
    assert_int_equal(hi->kind, LG_KIND_PE);
    assert_true(hi->strike < lo->strike); /* long the higher put, short the lower */
    assert_int_equal(it->legs[1].covered_by, 0);
    assert_true(it->decision_price > 0);
    /* Refused: it forgets the spread and may try at the next cross. */
    lg_strat_action_t b2 = a[0];
    lg_strat_host_bound(f->h, t, &b2, 0, 0, LG_ELIMIT, "daily loss limit");
    assert_int_equal(ema.ref, 0);
    assert_int_equal(ema.held_dir, 0);
    assert_int_equal(ema.crosses, 2);
}

static void test_ema_params(void **state) {
    (void)state;
    lg_ema_params_t p;
    lg_ema_t e;
    lg_strategy_t s;
    char err[128];
    lg_ema_params_default(&p);
    p.fast = 21;
    assert_int_equal(lg_ema_init(&e, &p, &s, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, "fast"));
    lg_ema_params_default(&p);
    p.confidence = 1.5;
    assert_int_equal(lg_ema_init(&e, &p, &s, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, "confidence"));
    lg_ema_params_default(&p);
    p.width = 0;
    assert_int_equal(lg_ema_init(&e, &p, &s, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, "width"));
    lg_condor_params_t q;
    lg_condor_t c;
    lg_condor_params_default(&q);
    q.wing = 0;
    assert_int_equal(lg_condor_init(&c, &q, &s, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, "wing"));
}

static void test_ema_without_future_is_refused(void **state) {
    fx_t *f = *state;
    char err[256];
    static lg_ema_t ema;
    lg_ema_params_t p;
    lg_ema_params_default(&p);
    lg_strlcpy(p.underlying, "MIDCPNIFTY", sizeof p.underlying);
    lg_strategy_t s;
    assert_int_equal(lg_ema_init(&ema, &p, &s, err, sizeof err), LG_OK);
    assert_int_equal(lg_strat_host_add(f->h, &s, T0, err, sizeof err), LG_EINSTRUMENT);
    assert_non_null(strstr(err, "MIDCPNIFTY"));
}

/* ---- the condor seller ---------------------------------------------------------------------- */

static void test_condor_seller(void **state) {
    fx_t *f = *state;
    char err[256];
    static lg_condor_t cd;
    lg_condor_params_t p;
    lg_condor_params_default(&p);
    p.every_s = 30;
    p.hold_s = 600;
    lg_strategy_t s;
    assert_int_equal(lg_condor_init(&cd, &p, &s, err, sizeof err), LG_OK);
    assert_int_equal(lg_strat_host_add(f->h, &s, T0, err, sizeof err), LG_OK);
    assert_int_equal(lg_strat_host_wake(f->h), T0 + S);
    lg_strat_action_t a[8];
    /* No quotes yet: a note, no intent, and a try again every_s later. */
    lg_strat_host_timer(f->h, T0 + S);
    assert_int_equal(take(f, a, 8, LG_SA_INTENT), 0);
    assert_int_equal(lg_strat_host_wake(f->h), T0 + 31 * S);
    tick(f, T0 + 2 * S, FUT, 2401000);
    quote_chain(f, T0 + 2 * S);
    lg_strat_host_timer(f->h, T0 + 31 * S);
    assert_int_equal(take(f, a, 8, LG_SA_INTENT), 1);
    const lg_intent_t *it = &a[0].intent;
    assert_int_equal(it->n_legs, 4);
    static const int8_t side[4] = {1, -1, -1, 1}, cover[4] = {-1, 0, 3, -1};
    static const lg_kind_t kind[4] = {LG_KIND_PE, LG_KIND_PE, LG_KIND_CE, LG_KIND_CE};
    static const int idx[4] = {0, 2, 6, 8}; /* ATM 24 000 (4): shorts 2 out, wings 2 more */
    lg_paise_t want = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(it->legs[i].side, side[i]);
        assert_int_equal(it->legs[i].covered_by, cover[i]);
        assert_int_equal(it->legs[i].ratio, 1);
        assert_int_equal(it->legs[i].token, opt(NEAR, kind[i], idx[i]));
        lg_paise_t px = kind[i] == LG_KIND_CE ? 50000 - idx[i] * 5000 : 10000 + idx[i] * 5000;
        want += side[i] * px;
    }
    assert_int_equal(it->decision_price, want);
    assert_true(it->decision_price < 0); /* a credit */
    assert_int_equal(lg_strat_host_wake(f->h), INT64_MAX); /* waits for the engine */
    /* Refused: it tries again every_s after the last try. */
    lg_strat_host_bound(f->h, T0 + 31 * S, &a[0], 0, 0, LG_EMARGIN, "margin");
    assert_int_equal(lg_strat_host_wake(f->h), T0 + 61 * S);
    lg_strat_host_timer(f->h, T0 + 61 * S);
    assert_int_equal(take(f, a, 8, LG_SA_INTENT), 1);
    /* Made, hedged at +70 s: exited hold_s later, and nothing is tried meanwhile. */
    lg_strat_host_bound(f->h, T0 + 61 * S, &a[0], 21, LG_GS_SUBMITTED, LG_OK, NULL);
    assert_int_equal(lg_strat_host_wake(f->h), INT64_MAX);
    lg_record_t h = {.kind = LG_REC_GROUP_STATE, .group = 21, .a = LG_GS_FILLED, .b = LG_GS_HEDGED};
    lg_strat_host_record(f->h, T0 + 70 * S, &h);
    assert_int_equal(lg_strat_host_wake(f->h), T0 + 670 * S);
    lg_strat_host_timer(f->h, T0 + 670 * S);
    uint32_t exits = 0, intents = 0;
    take_counts(f, 21, &exits, &intents);
    assert_int_equal(exits, 1);
    assert_int_equal(intents, 0);
    assert_int_equal(lg_strat_host_wake(f->h), INT64_MAX); /* exiting: waits */
    /* Closed: the next condor at the next try. */
    lg_record_t c = {.kind = LG_REC_GROUP_STATE, .group = 21, .a = LG_GS_CLOSING, .b = LG_GS_CLOSED};
    lg_strat_host_record(f->h, T0 + 680 * S, &c);
    assert_int_equal(cd.group, 0);
    assert_int_equal(lg_strat_host_wake(f->h), T0 + 91 * S);
    lg_strat_host_timer(f->h, T0 + 681 * S);
    assert_int_equal(take(f, a, 8, LG_SA_INTENT), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bars_from_ticks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wake_and_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_services_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_start_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ema_crossover, setup, teardown),
        cmocka_unit_test(test_ema_params),
        cmocka_unit_test_setup_teardown(test_ema_without_future_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_condor_seller, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
