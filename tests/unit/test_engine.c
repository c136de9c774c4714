/*
 * test_engine.c — the engine driven by hand-made events, without the exchange model:
 * the hedge-first order flow step by step, and every kind of bad input (unknown
 * order, foreign tag, fill beyond quantity, negative price, missing instrument,
 * off-tick price, full pool, new risk while halted) refused with an error that names
 * it and with the state untouched (same digest before and after).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "test_master.h"

#include "legato/engine.h"


typedef struct fx {
    lg_instruments_t m;
    lg_engine_t *e;
    lg_out_t out;
    lg_ns_t now;
} fx_t;

static fx_t *fx_new(uint32_t max_groups) {
    static fx_t f;
    memset(&f, 0, sizeof f);
    lg_test_master(&f.m);
    lg_engine_config_t c;
    lg_engine_config_default(&c);
    c.risk_off = 1; /* the lifecycle alone: risk has its own tests */
    c.max_groups = max_groups;
    c.max_orders = 1024;
    assert_int_equal(lg_engine_create(&c, &f.m, &f.e), LG_OK);
    assert_int_equal(lg_out_init(&f.out, 256, 1024, 64), LG_OK);
    f.now = 1000;
    return &f;
}

static void fx_free(fx_t *f) {
    lg_engine_destroy(f->e);
    lg_out_free(&f->out);
    lg_instruments_free(&f->m);
}

static int step(fx_t *f, const lg_event_t *ev) {
    f->now += LG_NS_PER_MS;
    return lg_engine_step(f->e, ev, f->now, &f->out);
}

static lg_group_spec_t call_spread(lg_qty_t qty) {
    lg_group_spec_t s = {.n_legs = 2, .policy = -1, .on_incomplete = -1};
    s.legs[0] = (lg_leg_spec_t){.token = T_C24200, .side = -1, .covered_by = -1, .qty = qty};
    s.legs[1] = (lg_leg_spec_t){.token = T_C24400, .side = 1, .covered_by = -1, .qty = qty};
    return s;
}

static uint32_t submit(fx_t *f, lg_group_spec_t s) {
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    ev.u.submit = s;
    step(f, &ev);
    return f->out.new_group;
}

static lg_event_t update(const char *tag, lg_kstatus_t st, lg_qty_t qty, lg_qty_t filled,
                         lg_paise_t avg) {
    lg_event_t ev = {.kind = LG_EV_ORDER_UPDATE};
    snprintf(ev.u.update.tag, sizeof ev.u.update.tag, "%s", tag);
    ev.u.update.status = st;
    ev.u.update.quantity = qty;
    ev.u.update.filled = filled;
    ev.u.update.avg_price = avg;
    return ev;
}

static void ack(fx_t *f, const char *tag, const char *id) {
    lg_event_t ev = {.kind = LG_EV_ORDER_ACK};
    snprintf(ev.u.ack.tag, sizeof ev.u.ack.tag, "%s", tag);
    snprintf(ev.u.ack.broker_id, sizeof ev.u.ack.broker_id, "%s", id);
    assert_int_equal(step(f, &ev), LG_OK);
}

static bool alert_mentions(const lg_out_t *o, const char *needle) {
    for (uint32_t i = 0; i < o->n_alerts; i++)
        if (strstr(o->alerts[i].text, needle)) return true;
    return false;
}

/* Protection goes out alone; the short follows only once protection has filled. */
static void test_ratchet_flow(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    uint32_t g = submit(f, call_spread(650));
    assert_true(g != 0);
    assert_int_equal(f->out.n_cmds, 1);
    lg_cmd_t prot = f->out.cmds[0];
    assert_int_equal(prot.kind, LG_CMD_PLACE);
    assert_int_equal(prot.token, T_C24400);
    assert_int_equal(prot.side, 1);
    assert_int_equal(prot.qty, 650);
    assert_false(prot.risk_reducing);
    assert_true(prot.mprot_pct > 0);
    /* the intent is journaled in the same step, before release */
    bool intent = false;
    for (uint32_t i = 0; i < f->out.n_recs; i++)
        intent = intent || (f->out.recs[i].kind == LG_REC_ORDER_INTENT && !strcmp(f->out.recs[i].tag, prot.tag));
    assert_true(intent);
    ack(f, prot.tag, "1000000000000000001");
    lg_event_t ev = update(prot.tag, LG_KS_OPEN, 650, 0, 0);
    assert_int_equal(step(f, &ev), LG_OK);
    assert_int_equal(f->out.n_cmds, 0); /* nothing filled: no short */
    ev = update(prot.tag, LG_KS_OPEN, 650, 260, 4000);
    assert_int_equal(step(f, &ev), LG_OK);
    /* 4 lots of protection filled: one slice (3 lots, rounded to 4 available) of short */
    assert_int_equal(f->out.n_cmds, 1);
    assert_int_equal(f->out.cmds[0].token, T_C24200);
    assert_int_equal(f->out.cmds[0].side, -1);
    assert_int_equal(f->out.cmds[0].qty, 260);
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->e, g, &v), LG_OK);
    assert_int_equal(v.state, LG_GS_PARTIALLY_FILLED);
    assert_int_equal(v.legs[0].entry_committed, 260);
    assert_int_equal(v.legs[1].entry_filled, 260);
    fx_free(f);
}

static void test_unknown_order(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    submit(f, call_spread(650));
    uint64_t d = lg_engine_digest(f->e);
    lg_event_t ev = update("L0000ZZZ000E00", LG_KS_COMPLETE, 650, 650, 100);
    assert_int_equal(step(f, &ev), LG_EUNKNOWN_ORDER);
    assert_true(alert_mentions(&f->out, "L0000ZZZ000E00"));
    assert_int_equal(f->out.n_recs, 1);
    assert_int_equal(f->out.recs[0].kind, LG_REC_ERROR);
    ev = update("not-ours", LG_KS_COMPLETE, 650, 650, 100);
    assert_int_equal(step(f, &ev), LG_EUNKNOWN_ORDER);
    assert_true(alert_mentions(&f->out, "not-ours"));
    assert_true(lg_engine_digest(f->e) == d);
    fx_free(f);
}

static void test_overfill_and_bad_price(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    submit(f, call_spread(650));
    char tag[LG_TAG_MAX + 1];
    snprintf(tag, sizeof tag, "%s", f->out.cmds[0].tag);
    ack(f, tag, "1000000000000000001");
    uint64_t d = lg_engine_digest(f->e);
    lg_event_t ev = update(tag, LG_KS_OPEN, 650, 715, 4000);
    assert_int_equal(step(f, &ev), LG_EOVERFILL);
    assert_true(alert_mentions(&f->out, tag));
    ev = update(tag, LG_KS_OPEN, 650, 65, -500);
    assert_int_equal(step(f, &ev), LG_EPRICE);
    ev = update(tag, LG_KS_OPEN, 1300, 65, 500);
    assert_int_equal(step(f, &ev), LG_EQTY);
    assert_true(lg_engine_digest(f->e) == d);
    assert_int_equal(lg_engine_position(f->e, T_C24400), 0);
    /* a good update still applies afterwards */
    ev = update(tag, LG_KS_COMPLETE, 650, 650, 4000);
    assert_int_equal(step(f, &ev), LG_OK);
    assert_int_equal(lg_engine_position(f->e, T_C24400), 650);
    fx_free(f);
}

/* Duplicates and reordering change nothing; fills are counted once. */
static void test_idempotent_updates(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    submit(f, call_spread(650));
    char tag[LG_TAG_MAX + 1];
    snprintf(tag, sizeof tag, "%s", f->out.cmds[0].tag);
    ack(f, tag, "1000000000000000001");
    lg_event_t part = update(tag, LG_KS_OPEN, 650, 130, 4000);
    lg_event_t done = update(tag, LG_KS_COMPLETE, 650, 650, 4010);
    lg_event_t stale = update(tag, LG_KS_OPEN_PENDING, 650, 0, 0);
    assert_int_equal(step(f, &done), LG_OK);
    uint64_t d = lg_engine_digest(f->e);
    assert_int_equal(step(f, &part), LG_OK);
    assert_int_equal(step(f, &done), LG_OK);
    assert_int_equal(step(f, &stale), LG_OK);
    assert_true(lg_engine_digest(f->e) == d);
    assert_int_equal(lg_engine_position(f->e, T_C24400), 650);
    fx_free(f);
}

static void test_bad_specs(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    lg_group_spec_t s = call_spread(650);
    s.legs[1].token = 999;
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    ev.u.submit = s;
    assert_int_equal(step(f, &ev), LG_EINSTRUMENT);
    assert_int_equal(f->out.new_group, 0);
    assert_int_equal(f->out.n_cmds, 0);
    assert_true(alert_mentions(&f->out, "999"));
    s = call_spread(600); /* not whole lots */
    ev.u.submit = s;
    assert_int_equal(step(f, &ev), LG_EQTY);
    s = call_spread(650);
    s.legs[1].limit_price = 10003; /* tick is 5 paise */
    ev.u.submit = s;
    assert_int_equal(step(f, &ev), LG_ETICK);
    s = call_spread(650);
    s.legs[1].limit_price = -5;
    ev.u.submit = s;
    assert_int_equal(step(f, &ev), LG_EPRICE);
    s = call_spread(650);
    s.legs[1].side = -1; /* two shorts, nothing covers */
    ev.u.submit = s;
    assert_int_equal(step(f, &ev), LG_ESPEC);
    assert_true(alert_mentions(&f->out, "cover"));
    s = call_spread(650);
    s.legs[0].qty = 1300; /* short larger than its protection */
    ev.u.submit = s;
    assert_int_equal(step(f, &ev), LG_ESPEC);
    lg_event_t tick = {.kind = LG_EV_TICK};
    tick.u.tick.token = 12345;
    tick.u.tick.ltp = 100;
    assert_int_equal(step(f, &tick), LG_EINSTRUMENT);
    assert_true(alert_mentions(&f->out, "12345"));
    tick.u.tick.token = T_FUT;
    tick.u.tick.ltp = -100;
    assert_int_equal(step(f, &tick), LG_EPRICE);
    fx_free(f);
}

static void test_pool_full(void **st) {
    (void)st;
    fx_t *f = fx_new(2);
    assert_true(submit(f, call_spread(650)) != 0);
    assert_true(submit(f, call_spread(650)) != 0);
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    ev.u.submit = call_spread(650);
    assert_int_equal(step(f, &ev), LG_EPOOL_FULL);
    assert_int_equal(f->out.new_group, 0);
    assert_int_equal(f->out.n_cmds, 0);
    assert_true(alert_mentions(&f->out, "pool full"));
    fx_free(f);
}

/* Refusals retried in a loop do not fill the pool: a group REJECTED before it sent
 * anything gives its slot to the next group, while one that traded is kept. */
/* The instruments with a price: counted once each, from the first tick. */
static void test_priced_count(void **st) {
    (void)st;
    fx_t *f = fx_new(2);
    lg_engine_stats_t s;
    lg_engine_stats(f->e, &s);
    assert_int_equal(s.instruments, 5);
    assert_int_equal(s.instruments_priced, 0);
    lg_event_t tick = {.kind = LG_EV_TICK};
    tick.u.tick.token = T_FUT;
    tick.u.tick.ltp = 2400000;
    assert_int_equal(step(f, &tick), LG_OK);
    tick.u.tick.ltp = 2401000;
    assert_int_equal(step(f, &tick), LG_OK);
    tick.u.tick.token = T_C24200;
    tick.u.tick.ltp = 9000;
    assert_int_equal(step(f, &tick), LG_OK);
    lg_engine_stats(f->e, &s);
    assert_int_equal(s.instruments_priced, 2);
    fx_free(f);
}

static void test_refusals_do_not_fill_pool(void **st) {
    (void)st;
    fx_t *f = fx_new(2);
    uint32_t kept = submit(f, call_spread(650));
    assert_true(kept != 0);
    lg_event_t bad = {.kind = LG_EV_GROUP_SUBMIT};
    bad.u.submit = call_spread(100); /* not whole lots: REJECTED, nothing sent */
    for (int i = 0; i < 10; i++) {
        assert_int_not_equal(step(f, &bad), LG_OK);
        assert_int_equal(f->out.n_cmds, 0);
    }
    uint32_t next = submit(f, call_spread(650));
    assert_true(next != 0);
    lg_gstate_t gs;
    assert_int_equal(lg_engine_group_state(f->e, kept, &gs), LG_OK); /* still there */
    assert_int_equal(lg_engine_group_state(f->e, next, &gs), LG_OK);
    fx_free(f);
}

static void test_halted_refuses_risk(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    lg_event_t kill = {.kind = LG_EV_CONTROL};
    kill.u.control.op = LG_CTL_KILL;
    assert_int_equal(step(f, &kill), LG_OK);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_HALTED);
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    ev.u.submit = call_spread(650);
    assert_int_equal(step(f, &ev), LG_EHALTED);
    assert_int_equal(f->out.n_cmds, 0);
    lg_event_t resume = {.kind = LG_EV_CONTROL};
    resume.u.control.op = LG_CTL_RESUME;
    assert_int_equal(step(f, &resume), LG_OK);
    assert_true(submit(f, call_spread(650)) != 0);
    fx_free(f);
}

/* A rejected short after protection filled: FAILED, protection sold back. */
static void test_reject_unwinds(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    uint32_t g = submit(f, call_spread(650));
    char prot[LG_TAG_MAX + 1], shrt[LG_TAG_MAX + 1];
    snprintf(prot, sizeof prot, "%s", f->out.cmds[0].tag);
    ack(f, prot, "1000000000000000001");
    lg_event_t ev = update(prot, LG_KS_COMPLETE, 650, 650, 4000);
    step(f, &ev);
    assert_int_equal(f->out.n_cmds, 1);
    snprintf(shrt, sizeof shrt, "%s", f->out.cmds[0].tag);
    ack(f, shrt, "1000000000000000002");
    ev = update(shrt, LG_KS_REJECTED, 650, 0, 0);
    assert_int_equal(step(f, &ev), LG_OK);
    lg_group_view_t v;
    lg_engine_group(f->e, g, &v);
    assert_int_equal(v.state, LG_GS_FAILED);
    assert_int_equal(f->out.n_cmds, 1);
    assert_int_equal(f->out.cmds[0].token, T_C24400);
    assert_int_equal(f->out.cmds[0].side, -1);
    assert_int_equal(f->out.cmds[0].qty, 650);
    assert_true(f->out.cmds[0].risk_reducing);
    char rev[LG_TAG_MAX + 1];
    snprintf(rev, sizeof rev, "%s", f->out.cmds[0].tag);
    ack(f, rev, "1000000000000000003");
    ev = update(rev, LG_KS_COMPLETE, 650, 650, 3900);
    step(f, &ev);
    lg_engine_group(f->e, g, &v);
    assert_int_equal(v.state, LG_GS_EMERGENCY_HEDGED);
    assert_int_equal(v.cash, -650 * 100);
    assert_int_equal(lg_engine_position(f->e, T_C24400), 0);
    bool pnl = false;
    for (uint32_t i = 0; i < f->out.n_recs; i++)
        pnl = pnl || (f->out.recs[i].kind == LG_REC_PNL && f->out.recs[i].a == -65000);
    assert_true(pnl);
    fx_free(f);
}

/* A look-up that finds nothing never settles an order on its own: the first miss
 * leaves it in doubt (UNKNOWN), the second one, later, makes it REJECTED. */
static void test_lookup_miss_twice(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    uint32_t g = submit(f, call_spread(650));
    char prot[LG_TAG_MAX + 1];
    snprintf(prot, sizeof prot, "%s", f->out.cmds[0].tag);
    lg_event_t miss = {.kind = LG_EV_ORDER_ERROR};
    snprintf(miss.u.error.tag, sizeof miss.u.error.tag, "%s", prot);
    miss.u.error.definitive = true;
    miss.u.error.is_lookup = true;
    miss.u.error.http_status = 404;
    assert_int_equal(step(f, &miss), LG_OK);
    const lg_order_t *o = lg_engine_group_order(f->e, g, 0);
    assert_int_equal(o->state, LG_OS_UNKNOWN);
    lg_group_view_t v;
    lg_engine_group(f->e, g, &v);
    assert_int_equal(v.state, LG_GS_SUBMITTED);
    assert_int_equal(v.legs[1].entry_committed, 650); /* still counted: it may exist */
    assert_int_equal(step(f, &miss), LG_OK);
    assert_int_equal(o->state, LG_OS_REJECTED);
    lg_engine_group(f->e, g, &v);
    assert_int_equal(v.state, LG_GS_EMERGENCY_HEDGED); /* nothing filled: flat at once */
    /* a miss for an order the broker acknowledged is a contradiction, refused */
    g = submit(f, call_spread(650));
    snprintf(prot, sizeof prot, "%s", f->out.cmds[0].tag);
    ack(f, prot, "1000000000000000009");
    snprintf(miss.u.error.tag, sizeof miss.u.error.tag, "%s", prot);
    assert_int_equal(step(f, &miss), LG_EMISMATCH);
    assert_true(alert_mentions(&f->out, prot));
    fx_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratchet_flow),       cmocka_unit_test(test_unknown_order),
        cmocka_unit_test(test_overfill_and_bad_price), cmocka_unit_test(test_idempotent_updates),
        cmocka_unit_test(test_bad_specs),          cmocka_unit_test(test_pool_full),
        cmocka_unit_test(test_refusals_do_not_fill_pool),
        cmocka_unit_test(test_priced_count),
        cmocka_unit_test(test_halted_refuses_risk), cmocka_unit_test(test_reject_unwinds),
        cmocka_unit_test(test_lookup_miss_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
