/*
 * test_adopt.c — the engine's side of recovery (src/core/adopt.c), stepped by hand
 * without a store: the recovery window (ADOPT only between RECOVER_BEGIN and
 * RECOVERED, no new group inside it, RECOVERED only after BEGIN), a credit call spread
 * rebuilt from its broker orders alone and reversed to flat in unwind order (short
 * bought back first, protection sold only after), an emergency reversal the journal
 * lost adopted into a known group and never sent twice, and every bad adoption refused
 * with an error naming the order and the engine's state untouched (same digest). Then:
 * a group rebuilt while its short was still working (cancelled; protection kept for
 * what it may still fill), a journal that lost its last steps brought back to the
 * exact state (digest) by adoption, and updates applied during recovery in the book's
 * order (a short's fill before its protection's) deciding nothing until RECOVERED.
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
#include "legato/tag.h"


#define QTY 650

typedef struct fx {
    lg_instruments_t m;
    lg_engine_t *e;
    lg_out_t out;
    lg_ns_t now;
    uint32_t next_broker; /* broker ids handed out by ack_all */
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
    f.next_broker = 1;
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

static int control(fx_t *f, lg_control_op_t op) {
    lg_event_t ev = {.kind = LG_EV_CONTROL};
    ev.u.control.op = (int32_t)op;
    return step(f, &ev);
}

static lg_group_spec_t call_spread(lg_qty_t qty) {
    lg_group_spec_t s = {.n_legs = 2, .policy = -1, .on_incomplete = -1};
    s.legs[0] = (lg_leg_spec_t){.token = T_C24200, .side = -1, .covered_by = -1, .qty = qty};
    s.legs[1] = (lg_leg_spec_t){.token = T_C24400, .side = 1, .covered_by = -1, .qty = qty};
    return s;
}

static int submit_rc(fx_t *f, lg_group_spec_t s, uint32_t *id) {
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    ev.u.submit = s;
    int rc = step(f, &ev);
    *id = f->out.new_group;
    return rc;
}

static bool alert_mentions(const lg_out_t *o, const char *needle) {
    for (uint32_t i = 0; i < o->n_alerts; i++)
        if (strstr(o->alerts[i].text, needle)) return true;
    return false;
}

static void make_tag(uint32_t group, uint8_t leg, uint16_t child, lg_purpose_t p, char *out) {
    lg_tag_t t = {.group = group, .leg = leg, .child = child, .purpose = (uint8_t)p, .attempt = 0};
    assert_int_equal(lg_tag_encode(&t, out, LG_TAG_MAX + 1), LG_OK);
}

static lg_event_t adopt_ev(const char *tag, const char *broker_id, uint32_t token, int side,
                           lg_kstatus_t st, lg_qty_t qty, lg_qty_t filled, lg_paise_t avg) {
    lg_event_t ev = {.kind = LG_EV_ADOPT};
    lg_adopt_t *a = &ev.u.adopt;
    snprintf(a->u.tag, sizeof a->u.tag, "%s", tag);
    snprintf(a->u.broker_id, sizeof a->u.broker_id, "%s", broker_id);
    a->u.status = st;
    a->u.quantity = qty;
    a->u.filled = filled;
    a->u.avg_price = avg;
    a->token = token;
    a->side = (int8_t)side;
    a->otype = LG_OT_MARKET;
    return ev;
}

/* ---- the broker, by hand ------------------------------------------------------------- */

#define MAX_PLACED 64

/* The PLACE commands of the last step, copied out (the next step overwrites out). */
typedef struct placed {
    lg_cmd_t c[MAX_PLACED];
    uint32_t n;
} placed_t;

static void take_places(const fx_t *f, placed_t *p) {
    p->n = 0;
    for (uint32_t i = 0; i < f->out.n_cmds; i++)
        if (f->out.cmds[i].kind == LG_CMD_PLACE) {
            assert_true(p->n < MAX_PLACED);
            p->c[p->n++] = f->out.cmds[i];
        }
}

static lg_qty_t placed_qty(const placed_t *p, uint32_t token, int side) {
    lg_qty_t q = 0;
    for (uint32_t i = 0; i < p->n; i++)
        if (p->c[i].token == token && p->c[i].side == side) q += p->c[i].qty;
    return q;
}

static lg_paise_t fill_price(uint32_t token) { return token == T_C24200 ? 9000 : 4000; }

/* Acks and completely fills every order of p, one at a time; each step's new PLACE
 * commands are filled too (bounded), and counted in *sent (may be NULL) by token. */
typedef struct sent {
    lg_qty_t buy[2], sell[2]; /* [0] C24200, [1] C24400 */
    uint32_t places;
} sent_t;

static void count_sent(sent_t *s, const placed_t *p) {
    if (s == NULL) return;
    for (uint32_t i = 0; i < p->n; i++) {
        int k = p->c[i].token == T_C24200 ? 0 : 1;
        if (p->c[i].side == 1) s->buy[k] += p->c[i].qty;
        else s->sell[k] += p->c[i].qty;
        s->places++;
    }
}

static void fill_all(fx_t *f, const placed_t *first, sent_t *sent) {
    lg_cmd_t queue[MAX_PLACED];
    uint32_t head = 0, n = 0;
    for (uint32_t i = 0; i < first->n; i++) queue[n++] = first->c[i];
    for (uint32_t guard = 0; head < n && guard < MAX_PLACED; guard++) {
        lg_cmd_t c = queue[head++];
        lg_event_t ev = {.kind = LG_EV_ORDER_ACK};
        snprintf(ev.u.ack.tag, sizeof ev.u.ack.tag, "%s", c.tag);
        snprintf(ev.u.ack.broker_id, sizeof ev.u.ack.broker_id, "9000000000%06u", f->next_broker++);
        char bid[LG_BROKER_ID_MAX];
        snprintf(bid, sizeof bid, "%s", ev.u.ack.broker_id);
        assert_int_equal(step(f, &ev), LG_OK);
        placed_t p;
        take_places(f, &p);
        count_sent(sent, &p);
        for (uint32_t i = 0; i < p.n; i++) {
            assert_true(n < MAX_PLACED);
            queue[n++] = p.c[i];
        }
        ev = (lg_event_t){.kind = LG_EV_ORDER_UPDATE};
        snprintf(ev.u.update.tag, sizeof ev.u.update.tag, "%s", c.tag);
        snprintf(ev.u.update.broker_id, sizeof ev.u.update.broker_id, "%s", bid);
        ev.u.update.status = LG_KS_COMPLETE;
        ev.u.update.quantity = c.qty;
        ev.u.update.filled = c.qty;
        ev.u.update.avg_price = fill_price(c.token);
        assert_int_equal(step(f, &ev), LG_OK);
        take_places(f, &p);
        count_sent(sent, &p);
        for (uint32_t i = 0; i < p.n; i++) {
            assert_true(n < MAX_PLACED);
            queue[n++] = p.c[i];
        }
    }
    assert_int_equal(head, n);
}

static lg_group_view_t view(const fx_t *f, uint32_t id) {
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->e, id, &v), LG_OK);
    return v;
}

/* A call spread submitted, filled and confirmed by the broker's positions: HEDGED. */
static uint32_t hedged_spread(fx_t *f) {
    uint32_t g = 0;
    assert_int_equal(submit_rc(f, call_spread(QTY), &g), LG_OK);
    assert_true(g != 0);
    placed_t p;
    take_places(f, &p);
    fill_all(f, &p, NULL);
    assert_int_equal(view(f, g).state, LG_GS_FILLED);
    lg_position_row_t rows[2] = {{.token = T_C24200, .qty = -QTY}, {.token = T_C24400, .qty = QTY}};
    lg_event_t ev = {.kind = LG_EV_POSITIONS};
    ev.u.positions.rows = rows;
    ev.u.positions.n = 2;
    assert_int_equal(step(f, &ev), LG_OK);
    assert_int_equal(view(f, g).state, LG_GS_HEDGED);
    assert_int_equal(lg_engine_position(f->e, T_C24200), -QTY);
    assert_int_equal(lg_engine_position(f->e, T_C24400), QTY);
    return g;
}

static bool has_group_rec(const lg_out_t *o, uint32_t g, lg_gstate_t to, lg_reason_t why) {
    for (uint32_t i = 0; i < o->n_recs; i++)
        if (o->recs[i].kind == LG_REC_GROUP_STATE && o->recs[i].group == g &&
            o->recs[i].b == (int64_t)to && o->recs[i].c == (int64_t)why)
            return true;
    return false;
}

/* ---- the recovery window ------------------------------------------------------------ */

/* Each instrument's P&L: the cash of its fills plus its position at the last price. */
static void test_position_pnl(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    hedged_spread(f);
    lg_paise_t pnl = 0, ltp = 0;
    double iv = 0;
    assert_int_equal(lg_engine_price(f->e, T_C24200, &ltp, &iv), LG_OK);
    assert_int_equal(lg_engine_position_pnl(f->e, T_C24200, &pnl), LG_OK);
    assert_int_equal(pnl, QTY * fill_price(T_C24200) - QTY * ltp); /* sold QTY at 90 */
    lg_event_t tick = {.kind = LG_EV_TICK};
    tick.u.tick.token = T_C24200;
    tick.u.tick.ltp = 12000; /* the short's price rises to 120: a loss of 30 a unit */
    assert_int_equal(step(f, &tick), LG_OK);
    assert_int_equal(lg_engine_position_pnl(f->e, T_C24200, &pnl), LG_OK);
    assert_int_equal(pnl, -QTY * 3000);
    tick.u.tick.token = T_C24400;
    tick.u.tick.ltp = 5000; /* the long's rises from 40 to 50 */
    assert_int_equal(step(f, &tick), LG_OK);
    assert_int_equal(lg_engine_position_pnl(f->e, T_C24400, &pnl), LG_OK);
    assert_int_equal(pnl, QTY * 1000);
    assert_int_equal(lg_engine_position_pnl(f->e, 424242, &pnl), LG_EINSTRUMENT);
    fx_free(f);
}

static void test_window(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    char tag[LG_TAG_MAX + 1];
    make_tag(5, 0, 0, LG_PURPOSE_ENTRY, tag);
    lg_event_t a = adopt_ev(tag, "1100000000000000001", T_C24400, 1, LG_KS_COMPLETE, QTY, QTY, 4000);
    uint64_t d = lg_engine_digest(f->e);
    /* outside recovery */
    assert_false(lg_engine_recovering(f->e));
    assert_int_equal(step(f, &a), LG_ESTATE);
    assert_true(alert_mentions(&f->out, tag));
    assert_int_equal(f->out.n_cmds, 0);
    assert_true(lg_engine_digest(f->e) == d);
    assert_int_equal(lg_engine_group(f->e, 5, &(lg_group_view_t){0}), LG_EUNKNOWN_GROUP);
    /* RECOVERED without BEGIN */
    assert_int_equal(control(f, LG_CTL_RECOVERED), LG_ESTATE);
    assert_true(lg_engine_digest(f->e) == d);
    /* inside: no new group */
    assert_int_equal(control(f, LG_CTL_RECOVER_BEGIN), LG_OK);
    assert_true(lg_engine_recovering(f->e));
    uint32_t id = 99;
    assert_int_equal(submit_rc(f, call_spread(QTY), &id), LG_ESTATE);
    assert_int_equal(id, 0);
    assert_int_equal(f->out.n_cmds, 0);
    assert_true(lg_engine_digest(f->e) == d);
    assert_int_equal(control(f, LG_CTL_RECOVERED), LG_OK);
    assert_false(lg_engine_recovering(f->e));
    /* RECOVERED twice: the second has no BEGIN */
    assert_int_equal(control(f, LG_CTL_RECOVERED), LG_ESTATE);
    /* after recovery, groups are taken again */
    assert_int_equal(submit_rc(f, call_spread(QTY), &id), LG_OK);
    assert_true(id != 0);
    fx_free(f);
}

/* ---- rebuilt from the order book alone ---------------------------------------------- */

static void test_rebuild_spread(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    const uint32_t gid = 7;
    char prot[LG_TAG_MAX + 1], shrt[LG_TAG_MAX + 1];
    make_tag(gid, 1, 0, LG_PURPOSE_ENTRY, prot); /* protection first */
    make_tag(gid, 0, 1, LG_PURPOSE_ENTRY, shrt);
    assert_int_equal(control(f, LG_CTL_RECOVER_BEGIN), LG_OK);
    lg_event_t a = adopt_ev(prot, "1100000000000000001", T_C24400, 1, LG_KS_COMPLETE, QTY, QTY, 4000);
    assert_int_equal(step(f, &a), LG_OK);
    assert_int_equal(f->out.n_cmds, 0); /* decisions wait for RECOVERED */
    a = adopt_ev(shrt, "1100000000000000002", T_C24200, -1, LG_KS_COMPLETE, QTY, QTY, 9000);
    assert_int_equal(step(f, &a), LG_OK);
    assert_int_equal(f->out.n_cmds, 0);
    assert_non_null(lg_engine_order_by_tag(f->e, prot));
    assert_non_null(lg_engine_order_by_tag(f->e, shrt));
    assert_int_equal(lg_engine_position(f->e, T_C24200), -QTY);
    assert_int_equal(lg_engine_position(f->e, T_C24400), QTY);

    assert_int_equal(control(f, LG_CTL_RECOVERED), LG_OK);
    lg_group_view_t v = view(f, gid);
    assert_int_equal(v.id, gid);
    assert_int_equal(v.state, LG_GS_FAILED);
    assert_true(has_group_rec(&f->out, gid, LG_GS_FAILED, LG_WHY_RECOVERED));
    assert_int_equal(v.n_legs, 2);
    assert_int_equal(v.legs[0].token, T_C24200);
    assert_int_equal(v.legs[0].side, -1);
    assert_int_equal(v.legs[0].cover, 1); /* paired with the long call */
    assert_int_equal(v.legs[1].token, T_C24400);
    assert_true(v.legs[1].protection);
    /* unwind order: only the short is bought back in this step */
    placed_t p;
    take_places(f, &p);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.c[0].token, T_C24200);
    assert_int_equal(p.c[0].side, 1);
    assert_int_equal(p.c[0].qty, QTY);
    assert_true(p.c[0].risk_reducing);
    lg_tag_t t;
    assert_int_equal(lg_tag_decode(p.c[0].tag, &t), LG_OK);
    assert_int_equal(t.group, gid);
    assert_int_equal(t.leg, 0);
    assert_int_equal(t.purpose, LG_PURPOSE_EMERGENCY);
    assert_true(t.child >= 2); /* after the adopted children */
    assert_int_equal(placed_qty(&p, T_C24400, -1), 0);

    /* the buy-back fills: then the protection is sold, and the group is flat */
    sent_t s = {0};
    fill_all(f, &p, &s);
    assert_int_equal(s.sell[1], QTY);
    assert_int_equal(s.buy[0], 0); /* no second buy-back */
    v = view(f, gid);
    assert_int_equal(v.state, LG_GS_EMERGENCY_HEDGED);
    assert_int_equal(lg_engine_position(f->e, T_C24200), 0);
    assert_int_equal(lg_engine_position(f->e, T_C24400), 0);
    assert_int_equal(v.naked_lot_ns, 0);

    /* new groups continue above the adopted id */
    uint32_t id = 0;
    assert_int_equal(submit_rc(f, call_spread(QTY), &id), LG_OK);
    assert_true(id > gid);
    fx_free(f);
}

/* ---- adopted into a known group ----------------------------------------------------- */

/* A HEDGED group; the broker has an emergency buy-back of its short the journal lost
 * (filled `filled` of QTY, COMPLETE when all). */
static void run_known_reversal(lg_qty_t filled) {
    fx_t *f = fx_new(8);
    uint32_t g = hedged_spread(f);
    lg_group_view_t v = view(f, g);
    uint16_t child = (uint16_t)v.n_orders;
    assert_null(lg_engine_group_order(f->e, g, child));
    char rev[LG_TAG_MAX + 1];
    make_tag(g, 0, child, LG_PURPOSE_EMERGENCY, rev);
    assert_null(lg_engine_order_by_tag(f->e, rev));

    assert_int_equal(control(f, LG_CTL_RECOVER_BEGIN), LG_OK);
    lg_event_t a = adopt_ev(rev, "1100000000000000077", T_C24200, 1,
                            filled == QTY ? LG_KS_COMPLETE : LG_KS_OPEN, QTY, filled, 9100);
    assert_int_equal(step(f, &a), LG_OK);
    assert_int_equal(f->out.n_cmds, 0);
    assert_int_equal(lg_engine_position(f->e, T_C24200), -QTY + filled);
    assert_int_equal(view(f, g).state, LG_GS_HEDGED); /* decided at RECOVERED */
    assert_int_equal(control(f, LG_CTL_RECOVERED), LG_OK);
    v = view(f, g);
    assert_int_equal(v.state, LG_GS_FAILED);
    assert_true(has_group_rec(&f->out, g, LG_GS_FAILED, LG_WHY_RECOVERED));
    assert_int_equal(v.legs[0].rev_filled, filled);
    assert_int_equal(v.legs[0].rev_committed, QTY);

    /* the short's reversal is at the broker already: never sent again; protection is
     * sold only as far as the short is closed */
    placed_t p;
    take_places(f, &p);
    assert_int_equal(placed_qty(&p, T_C24200, 1), 0);
    assert_int_equal(placed_qty(&p, T_C24400, -1), filled);
    assert_int_equal(p.n, filled > 0 ? 1u : 0u);
    sent_t s = {0};
    count_sent(&s, &p);
    fill_all(f, &p, &s);
    if (filled < QTY) { /* the adopted reversal completes */
        lg_event_t ev = {.kind = LG_EV_ORDER_UPDATE};
        snprintf(ev.u.update.tag, sizeof ev.u.update.tag, "%s", rev);
        snprintf(ev.u.update.broker_id, sizeof ev.u.update.broker_id, "1100000000000000077");
        ev.u.update.status = LG_KS_COMPLETE;
        ev.u.update.quantity = QTY;
        ev.u.update.filled = QTY;
        ev.u.update.avg_price = 9100;
        assert_int_equal(step(f, &ev), LG_OK);
        take_places(f, &p);
        count_sent(&s, &p);
        assert_int_equal(placed_qty(&p, T_C24200, 1), 0);
        fill_all(f, &p, &s);
    }
    assert_int_equal(s.buy[0], 0);   /* no second buy-back of the short, ever */
    assert_int_equal(s.sell[1], QTY); /* protection sold exactly once */
    v = view(f, g);
    assert_int_equal(v.state, LG_GS_EMERGENCY_HEDGED);
    assert_int_equal(lg_engine_position(f->e, T_C24200), 0);
    assert_int_equal(lg_engine_position(f->e, T_C24400), 0);
    assert_int_equal(v.naked_lot_ns, 0);
    fx_free(f);
}

static void test_known_reversal_complete(void **st) {
    (void)st;
    run_known_reversal(QTY);
}

static void test_known_reversal_partial(void **st) {
    (void)st;
    run_known_reversal(260);
}

static void test_known_reversal_working(void **st) {
    (void)st;
    run_known_reversal(0);
}

/* ---- refusals ------------------------------------------------------------------------ */

/* The adoption is refused with code, its alert names `name`, nothing changes. */
static void expect_refused(fx_t *f, const lg_event_t *ev, int code, const char *name) {
    uint64_t d = lg_engine_digest(f->e);
    lg_engine_stats_t s0, s1;
    lg_engine_stats(f->e, &s0);
    int rc = step(f, ev);
    if (rc != code)
        fail_msg("adopting %s: %s, expected %s", ev->u.adopt.u.tag, lg_errname(rc), lg_errname(code));
    if (!alert_mentions(&f->out, name))
        fail_msg("adopting %s: no alert names '%s' (%s)", ev->u.adopt.u.tag, name,
                 f->out.n_alerts > 0 ? f->out.alerts[0].text : "no alert");
    assert_int_equal(f->out.n_cmds, 0);
    bool err_rec = false;
    for (uint32_t i = 0; i < f->out.n_recs; i++) {
        assert_true(f->out.recs[i].kind == LG_REC_ERROR); /* nothing else journaled */
        err_rec = err_rec || f->out.recs[i].a == code;
    }
    assert_true(err_rec);
    assert_true(lg_engine_digest(f->e) == d);
    lg_engine_stats(f->e, &s1);
    assert_int_equal(s1.orders_in_use, s0.orders_in_use);
    assert_true(lg_engine_recovering(f->e));
}

static void test_refusals_known_group(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    uint32_t g = hedged_spread(f);
    uint16_t next = (uint16_t)view(f, g).n_orders;
    const lg_order_t *o0 = lg_engine_group_order(f->e, g, 0);
    assert_non_null(o0);
    char known[LG_TAG_MAX + 1];
    snprintf(known, sizeof known, "%s", o0->tag);
    uint32_t known_token = o0->token;
    int known_side = o0->side;
    assert_int_equal(control(f, LG_CTL_RECOVER_BEGIN), LG_OK);

    char tag[LG_TAG_MAX + 1];
    lg_event_t ev;
    /* not legato's tag */
    ev = adopt_ev("ABC123", "1200000000000000001", T_C24200, -1, LG_KS_COMPLETE, QTY, QTY, 9000);
    expect_refused(f, &ev, LG_ETAG, "ABC123");
    /* leg 0 is the short C24200: another instrument */
    make_tag(g, 0, next, LG_PURPOSE_ENTRY, tag);
    ev = adopt_ev(tag, "1200000000000000002", T_C24400, -1, LG_KS_COMPLETE, QTY, QTY, 9000);
    expect_refused(f, &ev, LG_EMISMATCH, tag);
    assert_true(alert_mentions(&f->out, "1200000000000000002")); /* and its broker id */
    /* an entry of the short leg that buys */
    ev = adopt_ev(tag, "1200000000000000003", T_C24200, 1, LG_KS_COMPLETE, QTY, QTY, 9000);
    expect_refused(f, &ev, LG_EMISMATCH, tag);
    /* a reversal of the short leg that sells */
    make_tag(g, 0, next, LG_PURPOSE_EMERGENCY, tag);
    ev = adopt_ev(tag, "1200000000000000004", T_C24200, -1, LG_KS_COMPLETE, QTY, QTY, 9000);
    expect_refused(f, &ev, LG_EMISMATCH, tag);
    /* a leg the group does not have */
    make_tag(g, 5, next, LG_PURPOSE_ENTRY, tag);
    ev = adopt_ev(tag, "1200000000000000005", T_C24200, -1, LG_KS_COMPLETE, QTY, QTY, 9000);
    expect_refused(f, &ev, LG_EMISMATCH, tag);
    /* an order the engine knows: an update, not an adoption */
    ev = adopt_ev(known, "1200000000000000006", known_token, known_side, LG_KS_COMPLETE, QTY, QTY, 4000);
    expect_refused(f, &ev, LG_ESTATE, known);
    /* filled beyond its quantity */
    make_tag(g, 0, next, LG_PURPOSE_EMERGENCY, tag);
    ev = adopt_ev(tag, "1200000000000000007", T_C24200, 1, LG_KS_OPEN, QTY, QTY + 65, 9000);
    expect_refused(f, &ev, LG_EOVERFILL, tag);
    /* an instrument missing from the master */
    ev = adopt_ev(tag, "1200000000000000008", 999, 1, LG_KS_COMPLETE, QTY, QTY, 9000);
    expect_refused(f, &ev, LG_EINSTRUMENT, tag);

    /* nothing was adopted: the group stays as it was and sends nothing */
    assert_int_equal(control(f, LG_CTL_RECOVERED), LG_OK);
    assert_int_equal(view(f, g).state, LG_GS_HEDGED);
    placed_t p;
    take_places(f, &p);
    assert_int_equal(p.n, 0);
    fx_free(f);
}

/* Refusals for groups the engine does not know leave no group behind; a second order
 * of a rebuilt group must agree with the first on its leg. */
static void test_refusals_unknown_group(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    assert_int_equal(control(f, LG_CTL_RECOVER_BEGIN), LG_OK);
    char tag[LG_TAG_MAX + 1];
    make_tag(40, 1, 0, LG_PURPOSE_ENTRY, tag);
    lg_event_t ev = adopt_ev(tag, "1300000000000000001", T_C24400, 1, LG_KS_OPEN, QTY, QTY + 65, 4000);
    expect_refused(f, &ev, LG_EOVERFILL, tag);
    ev = adopt_ev(tag, "1300000000000000001", 4242, 1, LG_KS_COMPLETE, QTY, QTY, 4000);
    expect_refused(f, &ev, LG_EINSTRUMENT, tag);
    assert_int_equal(lg_engine_group(f->e, 40, &(lg_group_view_t){0}), LG_EUNKNOWN_GROUP);
    /* the first order builds the group; a second on the same leg must fit it */
    ev = adopt_ev(tag, "1300000000000000001", T_C24400, 1, LG_KS_COMPLETE, QTY, QTY, 4000);
    assert_int_equal(step(f, &ev), LG_OK);
    char tag2[LG_TAG_MAX + 1];
    make_tag(40, 1, 1, LG_PURPOSE_ENTRY, tag2);
    ev = adopt_ev(tag2, "1300000000000000002", T_C24200, 1, LG_KS_COMPLETE, QTY, QTY, 4000);
    expect_refused(f, &ev, LG_EMISMATCH, tag2);
    ev = adopt_ev(tag2, "1300000000000000002", T_C24400, -1, LG_KS_COMPLETE, QTY, QTY, 4000);
    expect_refused(f, &ev, LG_EMISMATCH, tag2);
    ev = adopt_ev(tag, "1300000000000000001", T_C24400, 1, LG_KS_COMPLETE, QTY, QTY, 4000);
    expect_refused(f, &ev, LG_ESTATE, tag);
    /* the long alone is reversed at RECOVERED */
    assert_int_equal(control(f, LG_CTL_RECOVERED), LG_OK);
    placed_t p;
    take_places(f, &p);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.c[0].token, T_C24400);
    assert_int_equal(p.c[0].side, -1);
    assert_int_equal(p.c[0].qty, QTY);
    fill_all(f, &p, NULL);
    assert_int_equal(view(f, 40).state, LG_GS_EMERGENCY_HEDGED);
    assert_int_equal(lg_engine_position(f->e, T_C24400), 0);
    fx_free(f);
}

/* ---- more recovery stories --------------------------------------------------------- */

/* Rebuilt while its short was still working: the short's entry order is cancelled,
 * what it filled is bought back, and the protection is sold only once the cancel is
 * confirmed (the short could still fill until then). */
static void test_rebuild_working_short(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    const uint32_t gid = 12;
    char prot[LG_TAG_MAX + 1], shrt[LG_TAG_MAX + 1];
    make_tag(gid, 1, 0, LG_PURPOSE_ENTRY, prot);
    make_tag(gid, 0, 1, LG_PURPOSE_ENTRY, shrt);
    assert_int_equal(control(f, LG_CTL_RECOVER_BEGIN), LG_OK);
    /* the book in any order: the short first */
    lg_event_t a = adopt_ev(shrt, "1400000000000000002", T_C24200, -1, LG_KS_OPEN, QTY, 260, 9000);
    assert_int_equal(step(f, &a), LG_OK);
    a = adopt_ev(prot, "1400000000000000001", T_C24400, 1, LG_KS_COMPLETE, QTY, QTY, 4000);
    assert_int_equal(step(f, &a), LG_OK);
    assert_int_equal(control(f, LG_CTL_RECOVERED), LG_OK);
    assert_int_equal(view(f, gid).state, LG_GS_FAILED);
    bool cancel = false;
    for (uint32_t i = 0; i < f->out.n_cmds; i++)
        cancel = cancel || (f->out.cmds[i].kind == LG_CMD_CANCEL &&
                            strcmp(f->out.cmds[i].tag, shrt) == 0 &&
                            strcmp(f->out.cmds[i].broker_id, "1400000000000000002") == 0);
    assert_true(cancel);
    placed_t p;
    take_places(f, &p);
    assert_int_equal(placed_qty(&p, T_C24200, 1), 260);
    assert_int_equal(placed_qty(&p, T_C24400, -1), 0); /* the short may still fill */
    /* once bought back, protection is sold down to what the working short can still
     * fill (390 kept of 650) */
    sent_t s = {0};
    fill_all(f, &p, &s);
    assert_int_equal(s.buy[0], 0);
    assert_int_equal(s.sell[1], QTY - 390);
    assert_int_equal(lg_engine_position(f->e, T_C24400), 390);
    /* the cancel is confirmed with nothing more filled: the rest of the protection goes */
    lg_event_t ev = {.kind = LG_EV_ORDER_UPDATE};
    snprintf(ev.u.update.tag, sizeof ev.u.update.tag, "%s", shrt);
    snprintf(ev.u.update.broker_id, sizeof ev.u.update.broker_id, "1400000000000000002");
    ev.u.update.status = LG_KS_CANCELLED;
    ev.u.update.quantity = QTY;
    ev.u.update.filled = 260;
    ev.u.update.avg_price = 9000;
    assert_int_equal(step(f, &ev), LG_OK);
    take_places(f, &p);
    assert_int_equal(placed_qty(&p, T_C24400, -1), 390);
    assert_int_equal(placed_qty(&p, T_C24200, 1), 0);
    fill_all(f, &p, NULL);
    assert_int_equal(view(f, gid).state, LG_GS_EMERGENCY_HEDGED);
    assert_int_equal(lg_engine_position(f->e, T_C24200), 0);
    assert_int_equal(lg_engine_position(f->e, T_C24400), 0);
    fx_free(f);
}

/* The journal lost the steps after the protection's ack (durability=normal and a power
 * loss): the replayed engine knows the protection as working and unfilled and has never
 * heard of the short. Adopting the short and updating the protection (as recovery does)
 * reaches the state the engine had before the crash: same digest, nothing sent again. */
static void test_lost_steps_same_state(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    lg_event_t log[64];
    uint32_t n_log = 0;
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    ev.u.submit = call_spread(QTY);
    assert_int_equal(step(f, &ev), LG_OK);
    log[n_log++] = ev;
    uint32_t g = f->out.new_group;
    placed_t p;
    take_places(f, &p);
    assert_int_equal(p.n, 1);
    lg_cmd_t prot = p.c[0];
    ev = (lg_event_t){.kind = LG_EV_ORDER_ACK};
    snprintf(ev.u.ack.tag, sizeof ev.u.ack.tag, "%s", prot.tag);
    snprintf(ev.u.ack.broker_id, sizeof ev.u.ack.broker_id, "1500000000000000001");
    assert_int_equal(step(f, &ev), LG_OK);
    log[n_log++] = ev;
    const uint32_t kept = n_log; /* the journal ends here */
    lg_event_t prot_done = {.kind = LG_EV_ORDER_UPDATE};
    snprintf(prot_done.u.update.tag, sizeof prot_done.u.update.tag, "%s", prot.tag);
    snprintf(prot_done.u.update.broker_id, sizeof prot_done.u.update.broker_id, "1500000000000000001");
    prot_done.u.update.status = LG_KS_COMPLETE;
    prot_done.u.update.quantity = QTY;
    prot_done.u.update.filled = QTY;
    prot_done.u.update.avg_price = 4000;
    assert_int_equal(step(f, &prot_done), LG_OK);
    take_places(f, &p);
    assert_true(p.n >= 1);
    /* the shorts fill; the broker's book then holds these orders */
    lg_adopt_t book[16];
    uint32_t n_book = 0;
    for (uint32_t i = 0; i < p.n; i++) {
        assert_int_equal(p.c[i].token, T_C24200);
        char bid[LG_BROKER_ID_MAX];
        snprintf(bid, sizeof bid, "15000000000000001%02u", i);
        ev = (lg_event_t){.kind = LG_EV_ORDER_ACK};
        snprintf(ev.u.ack.tag, sizeof ev.u.ack.tag, "%s", p.c[i].tag);
        snprintf(ev.u.ack.broker_id, sizeof ev.u.ack.broker_id, "%s", bid);
        assert_int_equal(step(f, &ev), LG_OK);
        lg_event_t up = adopt_ev(p.c[i].tag, bid, T_C24200, -1, LG_KS_COMPLETE, p.c[i].qty,
                                 p.c[i].qty, 9000);
        book[n_book++] = up.u.adopt;
        ev = (lg_event_t){.kind = LG_EV_ORDER_UPDATE};
        ev.u.update = up.u.adopt.u;
        assert_int_equal(step(f, &ev), LG_OK);
        placed_t none;
        take_places(f, &none);
        assert_int_equal(none.n, 0); /* filled: nothing more to send */
    }
    assert_int_equal(view(f, g).state, LG_GS_FILLED);
    uint64_t before_crash = lg_engine_digest(f->e);

    /* a second engine from the journal's prefix */
    lg_engine_t *e2 = NULL;
    lg_engine_config_t c = *lg_engine_config(f->e);
    assert_int_equal(lg_engine_create(&c, &f->m, &e2), LG_OK);
    lg_ns_t t = 1000;
    for (uint32_t i = 0; i < kept; i++) {
        t += LG_NS_PER_MS;
        lg_engine_step(e2, &log[i], t, &f->out);
    }
    assert_int_equal(lg_engine_group_order(e2, g, 0)->state, LG_OS_ACKED);
    t = f->now + LG_NS_PER_S;
    lg_event_t ctl = {.kind = LG_EV_CONTROL};
    ctl.u.control.op = LG_CTL_RECOVER_BEGIN;
    assert_int_equal(lg_engine_step(e2, &ctl, t, &f->out), LG_OK);
    for (uint32_t i = 0; i < n_book; i++) {
        ev = (lg_event_t){.kind = LG_EV_ADOPT};
        ev.u.adopt = book[i];
        assert_int_equal(lg_engine_step(e2, &ev, t, &f->out), LG_OK);
        assert_int_equal(f->out.n_cmds, 0);
    }
    assert_int_equal(lg_engine_step(e2, &prot_done, t, &f->out), LG_OK);
    assert_int_equal(f->out.n_cmds, 0);
    ctl.u.control.op = LG_CTL_RECOVERED;
    assert_int_equal(lg_engine_step(e2, &ctl, t, &f->out), LG_OK);
    for (uint32_t i = 0; i < f->out.n_cmds; i++) assert_true(f->out.cmds[i].kind != LG_CMD_PLACE);
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(e2, g, &v), LG_OK);
    assert_int_equal(v.state, LG_GS_FILLED);
    assert_int_equal(lg_engine_position(e2, T_C24200), -QTY);
    assert_int_equal(lg_engine_position(e2, T_C24400), QTY);
    assert_true(lg_engine_digest(e2) == before_crash);
    lg_engine_destroy(e2);
    fx_free(f);
}

/* Between BEGIN and RECOVERED groups do not decide: updates of known orders applied in
 * the book's order (here the short's fill before its protection's) must not unwind a
 * group that the broker shows fully covered. Naive policy: both legs were working. */
static void test_updates_wait_naive(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    lg_group_spec_t s = call_spread(QTY);
    s.policy = LG_POLICY_NAIVE;
    uint32_t g = 0;
    assert_int_equal(submit_rc(f, s, &g), LG_OK);
    placed_t p;
    take_places(f, &p);
    assert_int_equal(p.n, 2);
    for (uint32_t i = 0; i < p.n; i++) {
        lg_event_t ev = {.kind = LG_EV_ORDER_ACK};
        snprintf(ev.u.ack.tag, sizeof ev.u.ack.tag, "%s", p.c[i].tag);
        snprintf(ev.u.ack.broker_id, sizeof ev.u.ack.broker_id, "16000000000000000%02u", i);
        assert_int_equal(step(f, &ev), LG_OK);
    }
    assert_int_equal(control(f, LG_CTL_RECOVER_BEGIN), LG_OK);
    /* the short first, then its protection: both filled while the engine was down */
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < p.n; i++) {
            if ((pass == 0) != (p.c[i].side == -1)) continue;
            lg_event_t ev = {.kind = LG_EV_ORDER_UPDATE};
            snprintf(ev.u.update.tag, sizeof ev.u.update.tag, "%s", p.c[i].tag);
            snprintf(ev.u.update.broker_id, sizeof ev.u.update.broker_id, "16000000000000000%02u", i);
            ev.u.update.status = LG_KS_COMPLETE;
            ev.u.update.quantity = QTY;
            ev.u.update.filled = QTY;
            ev.u.update.avg_price = fill_price(p.c[i].token);
            assert_int_equal(step(f, &ev), LG_OK);
            placed_t q;
            take_places(f, &q);
            if (q.n != 0)
                fail_msg("recovery: %s sent during recovery after the update of %s (group %s)",
                         q.c[0].tag, p.c[i].tag, lg_gstate_name(view(f, g).state));
        }
    assert_int_equal(control(f, LG_CTL_RECOVERED), LG_OK);
    placed_t q;
    take_places(f, &q);
    assert_int_equal(q.n, 0);
    assert_int_equal(view(f, g).state, LG_GS_FILLED);
    fx_free(f);
}

/* The same with the ratchet. The journal (durability=normal, power loss) ends after
 * the first short slice filled: protection 260 of 650 filled, short child 1 260
 * filled. While down the protection completed and the lost steps sent a second short
 * slice (child 2, 390), which filled. Recovery adopts child 2, then updates the known
 * orders in the book's order, short first: the group is covered at the broker all the
 * time and must not be unwound. */
static void ack_fill(fx_t *f, const char *tag, const char *bid, lg_kstatus_t stt, lg_qty_t qty,
                     lg_qty_t filled, lg_paise_t avg, bool do_ack) {
    lg_event_t ev;
    if (do_ack) {
        ev = (lg_event_t){.kind = LG_EV_ORDER_ACK};
        snprintf(ev.u.ack.tag, sizeof ev.u.ack.tag, "%s", tag);
        snprintf(ev.u.ack.broker_id, sizeof ev.u.ack.broker_id, "%s", bid);
        assert_int_equal(step(f, &ev), LG_OK);
    }
    ev = (lg_event_t){.kind = LG_EV_ORDER_UPDATE};
    snprintf(ev.u.update.tag, sizeof ev.u.update.tag, "%s", tag);
    snprintf(ev.u.update.broker_id, sizeof ev.u.update.broker_id, "%s", bid);
    ev.u.update.status = stt;
    ev.u.update.quantity = qty;
    ev.u.update.filled = filled;
    ev.u.update.avg_price = avg;
    assert_int_equal(step(f, &ev), LG_OK);
}

static void test_updates_wait_ratchet(void **st) {
    (void)st;
    fx_t *f = fx_new(8);
    uint32_t g = 0;
    assert_int_equal(submit_rc(f, call_spread(QTY), &g), LG_OK);
    placed_t p;
    take_places(f, &p);
    assert_int_equal(p.n, 1);
    char prot[LG_TAG_MAX + 1], s1[LG_TAG_MAX + 1], s2[LG_TAG_MAX + 1];
    snprintf(prot, sizeof prot, "%s", p.c[0].tag);
    ack_fill(f, prot, "1700000000000000001", LG_KS_OPEN, QTY, 260, 4000, true);
    take_places(f, &p);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.c[0].qty, 260);
    snprintf(s1, sizeof s1, "%s", p.c[0].tag);
    ack_fill(f, s1, "1700000000000000002", LG_KS_COMPLETE, 260, 260, 9000, true);
    assert_int_equal(view(f, g).state, LG_GS_PARTIALLY_FILLED);
    /* the journal ends here; the lost steps sent child 2 (the next child) */
    uint16_t child = (uint16_t)view(f, g).n_orders;
    make_tag(g, 0, child, LG_PURPOSE_ENTRY, s2);

    assert_int_equal(control(f, LG_CTL_RECOVER_BEGIN), LG_OK);
    lg_event_t a = adopt_ev(s2, "1700000000000000003", T_C24200, -1, LG_KS_COMPLETE, 390, 390, 9000);
    assert_int_equal(step(f, &a), LG_OK);
    assert_int_equal(f->out.n_cmds, 0);
    /* the book's order: the short slice, then the protection */
    ack_fill(f, s1, "1700000000000000002", LG_KS_COMPLETE, 260, 260, 9000, false);
    take_places(f, &p);
    if (p.n != 0)
        fail_msg("recovery: %s (qty %lld) sent during recovery, group %s, after a no-op update "
                 "of %s", p.c[0].tag, (long long)p.c[0].qty, lg_gstate_name(view(f, g).state), s1);
    ack_fill(f, prot, "1700000000000000001", LG_KS_COMPLETE, QTY, QTY, 4000, false);
    take_places(f, &p);
    assert_int_equal(p.n, 0);
    assert_int_equal(control(f, LG_CTL_RECOVERED), LG_OK);
    take_places(f, &p);
    assert_int_equal(p.n, 0);
    assert_int_equal(view(f, g).state, LG_GS_FILLED);
    assert_int_equal(lg_engine_position(f->e, T_C24200), -QTY);
    assert_int_equal(lg_engine_position(f->e, T_C24400), QTY);
    fx_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_position_pnl),
        cmocka_unit_test(test_rebuild_spread),
        cmocka_unit_test(test_known_reversal_complete),
        cmocka_unit_test(test_known_reversal_partial),
        cmocka_unit_test(test_known_reversal_working),
        cmocka_unit_test(test_refusals_known_group),
        cmocka_unit_test(test_refusals_unknown_group),
        cmocka_unit_test(test_rebuild_working_short),
        cmocka_unit_test(test_lost_steps_same_state),
        cmocka_unit_test(test_updates_wait_ratchet),
        cmocka_unit_test(test_updates_wait_naive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
