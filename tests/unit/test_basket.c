/*
 * test_basket.c — unit tests for the broker's basket margin in sizing (src/core/basket.c):
 * with risk.broker_basket on, an intent waits in CREATED while the engine asks for the
 * basket margin of one unit (the legs at their ratios, signed, nothing placed), and is
 * sized by the larger of the broker's figure and the engine's own once it comes; every
 * way of not getting one — an error, a figure that is no margin, no answer in time, the
 * kill switch, a restart — refuses the intent with its reason and sends nothing; a late
 * answer is refused as an event and changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "risk_fixture.h"

static fx_t *basket_fx(void) {
    lg_engine_config_t c;
    cfg_default(&c);
    c.risk.broker_basket = 1;
    c.risk.basket_timeout_ns = 2 * LG_NS_PER_S;
    fx_t *f = fx_new_cfg(&c);
    market(f, FWD);
    return f;
}

static uint32_t n_kind(const lg_out_t *o, lg_cmd_kind_t k) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < o->n_cmds; i++) n += o->cmds[i].kind == k;
    return n;
}

static lg_gstate_t state_of(fx_t *f, uint32_t g) {
    lg_gstate_t s = LG_GS__COUNT;
    assert_int_equal(lg_engine_group_state(f->e, g, &s), LG_OK);
    return s;
}

static lg_ns_t last_asked; /* the last query's asked: answers echo it */

/* The intent stepped in: its group, waiting, and the one query it sent. */
static uint32_t ask(fx_t *f, lg_cmd_t *query) {
    lg_event_t ev = spread_intent(f, 1.0);
    assert_int_equal(step(f, &ev), LG_OK);
    uint32_t g = f->out.new_group;
    assert_true(g != 0);
    assert_int_equal(state_of(f, g), LG_GS_CREATED);
    assert_int_equal(n_kind(&f->out, LG_CMD_PLACE), 0);
    assert_int_equal(n_kind(&f->out, LG_CMD_QUERY_BASKET), 1);
    for (uint32_t i = 0; i < f->out.n_cmds; i++)
        if (f->out.cmds[i].kind == LG_CMD_QUERY_BASKET) *query = f->out.cmds[i];
    last_asked = query->asked;
    assert_true(f->out.wake_at <= f->now + 2 * LG_NS_PER_S); /* its deadline */
    return g;
}

static int answer(fx_t *f, uint32_t g, bool ok, lg_paise_t initial, lg_paise_t final, const char *msg) {
    lg_event_t ev = {.kind = LG_EV_BASKET};
    ev.u.basket.group = g;
    ev.u.basket.asked = last_asked;
    ev.u.basket.ok = ok;
    ev.u.basket.initial = initial;
    ev.u.basket.final = final;
    snprintf(ev.u.basket.message, sizeof ev.u.basket.message, "%s", msg);
    return step(f, &ev);
}

static void test_sized_by_the_broker(void **st) {
    (void)st;
    fx_t *f = basket_fx();
    lg_shock_result_t unit = spread_walk(f, 65, LG_POLICY_RATCHET, 0);
    lg_paise_t avail = unit.worst.need * 40;
    assert_int_equal(margins(f, avail), LG_OK);
    lg_cmd_t q;
    uint32_t g = ask(f, &q);
    assert_int_equal(q.group, g);
    assert_true(q.risk_reducing); /* a query: it adds no risk */
    assert_int_equal(q.n_basket, 2);
    assert_int_equal(q.basket[0].token, T_C24200);
    assert_int_equal(q.basket[0].qty, -65); /* one unit: the short */
    assert_int_equal(q.basket[1].token, T_C24400);
    assert_int_equal(q.basket[1].qty, 65);
    /* the broker's figure, ten times the engine's: it decides (0.9 × 40 / 10 = 3.6) */
    lg_paise_t broker = unit.worst.need * 10;
    assert_int_equal(answer(f, g, true, broker * 3, broker, ""), LG_OK);
    lg_sizing_view_t sz;
    assert_int_equal(lg_engine_sizing(f->e, g, &sz), LG_OK);
    if (sz.units != 3) say_alerts(&f->out);
    assert_int_equal(sz.units, 3);
    assert_int_equal(sz.bound, LG_BOUND_MARGIN);
    assert_true(alert_mentions(&f->out, "(the broker's basket)=3"));
    assert_true(n_kind(&f->out, LG_CMD_PLACE) >= 1); /* released at once */
    assert_int_not_equal(state_of(f, g), LG_GS_CREATED);
    assert_int_equal(f->out.new_group, 0); /* the step made no group of its own */
    /* the same answer again: late, refused as an event, nothing moves */
    assert_int_equal(answer(f, g, true, broker, broker, ""), LG_ESTATE);
    assert_true(alert_mentions(&f->out, "not waiting"));
    assert_int_equal(n_kind(&f->out, LG_CMD_PLACE), 0);
    /* smaller than the engine's own worst state: the engine's figure decides (0.9 × 40) */
    g = ask(f, &q);
    assert_int_equal(margins(f, avail), LG_OK);
    assert_int_equal(answer(f, g, true, 1, 1, ""), LG_OK);
    assert_int_equal(lg_engine_sizing(f->e, g, &sz), LG_OK);
    assert_true(sz.units > 3);
    /* an intent that carries the broker's figure is sized at once, no query */
    lg_event_t ev = spread_intent(f, 1.0);
    ev.u.intent.broker_margin = broker;
    assert_int_equal(margins(f, avail * 10), LG_OK);
    if (step(f, &ev) != LG_OK) say_alerts(&f->out);
    assert_int_equal(f->out.status, LG_OK);
    assert_int_equal(n_kind(&f->out, LG_CMD_QUERY_BASKET), 0);
    assert_int_not_equal(state_of(f, f->out.new_group), LG_GS_CREATED);
    fx_free(f);
}

static void test_no_margin_no_size(void **st) {
    (void)st;
    fx_t *f = basket_fx();
    assert_int_equal(margins(f, 100000000LL * 100), LG_OK);
    lg_cmd_t q;
    uint32_t g = ask(f, &q);
    last_asked = q.asked - 1; /* an answer to another query of that group id */
    assert_int_equal(answer(f, g, true, 1000, 1000, ""), LG_ESTATE);
    assert_true(alert_mentions(&f->out, "not its own"));
    assert_int_equal(state_of(f, g), LG_GS_CREATED); /* still waiting for its own */
    last_asked = q.asked;
    assert_int_equal(answer(f, g, false, 0, 0, "http 400: data.final.total: missing"), LG_EMARGIN);
    assert_int_equal(state_of(f, g), LG_GS_REJECTED);
    assert_true(alert_mentions(&f->out, "data.final.total: missing"));
    assert_int_equal(n_kind(&f->out, LG_CMD_PLACE), 0);
    g = ask(f, &q);
    assert_int_equal(answer(f, g, true, 100, 0, ""), LG_EMARGIN); /* ok, but no margin */
    assert_int_equal(state_of(f, g), LG_GS_REJECTED);
    assert_true(alert_mentions(&f->out, "not a margin"));
    /* no answer in time */
    g = ask(f, &q);
    f->now += 2 * LG_NS_PER_S;
    lg_event_t t = {.kind = LG_EV_TIMER};
    assert_int_equal(step(f, &t), LG_OK);
    assert_int_equal(state_of(f, g), LG_GS_REJECTED);
    assert_true(alert_mentions(&f->out, "no answer in 2000 ms"));
    assert_int_equal(n_kind(&f->out, LG_CMD_PLACE), 0);
    assert_int_equal(answer(f, g, true, 1000, 1000, ""), LG_ESTATE); /* then late */
    assert_int_equal(n_kind(&f->out, LG_CMD_PLACE), 0);
    /* the kill switch while it waits: refused in that step */
    g = ask(f, &q);
    lg_event_t kill = {.kind = LG_EV_CONTROL};
    kill.u.control.op = LG_CTL_KILL;
    assert_int_equal(step(f, &kill), LG_OK);
    assert_int_equal(state_of(f, g), LG_GS_REJECTED);
    assert_true(alert_mentions(&f->out, "trading became HALTED while it waited"));
    assert_int_equal(answer(f, g, true, 1000, 1000, ""), LG_ESTATE);
    assert_int_equal(n_kind(&f->out, LG_CMD_PLACE), 0);
    fx_free(f);
}

/* A waiting intent refused in another event's step (its deadline passed) leaves that
 * step's new group alone: a submit in it is reported as made, not refused. The entry's
 * timeout starts once the answer came, not when the intent did. */
static void test_other_steps(void **st) {
    (void)st;
    fx_t *f = basket_fx();
    assert_int_equal(margins(f, 100000000LL * 100), LG_OK);
    lg_cmd_t q;
    uint32_t a = ask(f, &q);
    f->now += 3 * LG_NS_PER_S; /* past A's deadline; the next event is a submit */
    market(f, FWD);
    uint32_t b = submit(f, call_spread(65, LG_POLICY_RATCHET));
    assert_int_equal(state_of(f, a), LG_GS_REJECTED);
    assert_true(b != 0 && b != a);
    assert_int_not_equal(state_of(f, b), LG_GS_REJECTED);
    assert_int_equal(f->out.status, LG_OK);
    /* an entry timeout of 1 s, the answer after 1.5 s: it enters, it does not time out */
    lg_event_t ev = spread_intent(f, 1.0);
    ev.u.intent.entry_timeout_ns = LG_NS_PER_S;
    assert_int_equal(step(f, &ev), LG_OK);
    uint32_t c = f->out.new_group;
    assert_int_equal(state_of(f, c), LG_GS_CREATED);
    for (uint32_t i = 0; i < f->out.n_cmds; i++)
        if (f->out.cmds[i].kind == LG_CMD_QUERY_BASKET) last_asked = f->out.cmds[i].asked;
    f->now += 1500 * LG_NS_PER_MS;
    market(f, FWD);
    assert_int_equal(margins(f, 100000000LL * 100), LG_OK);
    lg_shock_result_t unit = spread_walk(f, 65, LG_POLICY_RATCHET, 0);
    assert_int_equal(answer(f, c, true, unit.worst.need, unit.worst.need, ""), LG_OK);
    lg_event_t t = {.kind = LG_EV_TIMER}; /* its wake-ups come: the entry is on time */
    assert_int_equal(step(f, &t), LG_OK);
    lg_gstate_t s = state_of(f, c);
    if (s != LG_GS_SUBMITTED) say_alerts(&f->out);
    assert_int_equal(s, LG_GS_SUBMITTED);
    assert_false(alert_mentions(&f->out, "timed out"));
    fx_free(f);
}

/* A restart while it waits: the query died with the process; RECOVERED refuses it. */
static void test_restart_refuses(void **st) {
    (void)st;
    fx_t *f = basket_fx();
    assert_int_equal(margins(f, 100000000LL * 100), LG_OK);
    lg_cmd_t q;
    uint32_t g = ask(f, &q);
    lg_event_t c = {.kind = LG_EV_CONTROL};
    c.u.control.op = LG_CTL_RECOVER_BEGIN;
    assert_int_equal(step(f, &c), LG_OK);
    assert_int_equal(state_of(f, g), LG_GS_CREATED);
    c.u.control.op = LG_CTL_RECOVERED;
    assert_int_equal(step(f, &c), LG_OK);
    assert_int_equal(state_of(f, g), LG_GS_REJECTED);
    assert_true(alert_mentions(&f->out, "nothing was sent"));
    assert_int_equal(n_kind(&f->out, LG_CMD_PLACE), 0);
    fx_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sized_by_the_broker),
        cmocka_unit_test(test_no_margin_no_size),
        cmocka_unit_test(test_other_steps),
        cmocka_unit_test(test_restart_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
