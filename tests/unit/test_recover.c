/*
 * test_recover.c — restart from a store (src/store/recover.c): the simulation harness
 * with a journal crashed and restarted (the journal intact: nothing unexplained, the
 * group still HEDGED; the database lost: every group rebuilt from the exchange's order
 * book and taken to flat), lg_recover_reconcile fed bad books by hand (an order that
 * is not legato's, a position no order accounts for: named, LG_EMISMATCH, HALTED),
 * two recovery stories built step by step through the runner (a book listed short
 * slices first; a hedge released and rejected in a step the journal lost; a stop armed
 * in a lost step, its SL re-armed at the restart and still armed after a second crash
 * and replay), and
 * lg_recover_replay refusing a journal row that does not decode, naming its seq.
 * Files live under /tmp and are removed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_master.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "legato/engine.h"
#include "legato/harness.h"
#include "legato/recover.h"
#include "legato/runner.h"
#include "legato/store.h"
#include "legato/tag.h"

#define S LG_NS_PER_S
#define QTY 650
#define PATH_LEN 64


/* Paths handed out by tmp_path, removed after each test even when it fails. */
static char made[8][PATH_LEN];
static uint32_t n_made;

/* A unique path under /tmp with no file behind it (a store creates it). */
static void tmp_path(char *path) {
    snprintf(path, PATH_LEN, "/tmp/lg_recover_test_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    assert_true(n_made < 8);
    snprintf(made[n_made++], PATH_LEN, "%s", path);
}

static int remove_made(void **st) {
    (void)st;
    for (uint32_t i = 0; i < n_made; i++) lg_store_remove(made[i]);
    n_made = 0;
    return 0;
}

/* ---- the harness: crash, restart, lose the database ----------------------------------- */

static void add_leg(lg_harness_t *h, lg_group_spec_t *s, lg_kind_t k, int strike, int side,
                    lg_qty_t qty) {
    lg_leg_spec_t *l = &s->legs[s->n_legs++];
    l->token = lg_harness_token(h, "NIFTY", k, strike);
    assert_true(l->token != 0);
    l->side = (int8_t)side;
    l->covered_by = -1;
    l->qty = qty;
}

static lg_gstate_t hstate(lg_harness_t *h, int sub) {
    lg_group_view_t v;
    uint32_t id = lg_harness_group(h, sub);
    assert_true(id != 0);
    assert_int_equal(lg_engine_group(lg_harness_engine(h), id, &v), LG_OK);
    return v.state;
}

static void run_ok(lg_harness_t *h, lg_ns_t until) {
    int rc = lg_harness_run(h, until);
    if (rc != LG_OK) fail_msg("%s", lg_harness_failure(h));
    if (lg_harness_check_positions(h) != LG_OK) fail_msg("%s", lg_harness_failure(h));
}

static void restart_ok(lg_harness_t *h, lg_recovery_t *rep) {
    memset(rep, 0, sizeof *rep);
    int rc = lg_harness_restart(h, rep);
    if (rc != LG_OK) fail_msg("restart: %s; %s", lg_harness_failure(h), rep->report);
    if (rep->unexplained != 0) fail_msg("restart: %u unexplained:\n%s", rep->unexplained, rep->report);
    assert_false(lg_harness_down(h));
}

static void test_harness_crash_restart(void **st) {
    (void)st;
    char path[PATH_LEN];
    tmp_path(path);
    lg_harness_config_t c;
    lg_harness_config_default(&c);
    c.seed = 31;
    c.journal = path;
    c.emergency_window_ns = 0;
    lg_harness_t *h = NULL;
    assert_int_equal(lg_harness_create(&c, &h), LG_OK);
    assert_true(lg_harness_add_nifty(h) >= 0);
    assert_int_equal(lg_harness_start(h), LG_OK);
    lg_group_spec_t condor = {.policy = -1, .on_incomplete = -1};
    add_leg(h, &condor, LG_KIND_CE, 24200, -1, QTY);
    add_leg(h, &condor, LG_KIND_CE, 24400, 1, QTY);
    add_leg(h, &condor, LG_KIND_PE, 23800, -1, QTY);
    add_leg(h, &condor, LG_KIND_PE, 23600, 1, QTY);
    lg_group_spec_t spread = {.policy = -1, .on_incomplete = -1};
    add_leg(h, &spread, LG_KIND_PE, 23900, -1, 2 * QTY);
    add_leg(h, &spread, LG_KIND_PE, 23700, 1, 2 * QTY);
    int a = lg_harness_submit_at(h, 1 * S, &condor);
    int b = lg_harness_submit_at(h, 2 * S, &spread);
    run_ok(h, 30 * S);
    assert_int_equal(hstate(h, a), LG_GS_HEDGED);
    assert_int_equal(hstate(h, b), LG_GS_HEDGED);
    uint32_t ga = lg_harness_group(h, a), gb = lg_harness_group(h, b);

    /* a crash with the journal intact */
    assert_int_equal(lg_harness_crash(h, false, 0), LG_OK);
    assert_true(lg_harness_down(h));
    lg_recovery_t rep;
    restart_ok(h, &rep);
    assert_true(rep.replayed > 0);
    assert_true(rep.last_ns > 0);
    assert_int_equal(rep.rebuilt, 0);
    assert_int_equal(rep.adopted, 0);
    assert_int_equal(lg_harness_check_positions(h), LG_OK);
    assert_int_equal(hstate(h, a), LG_GS_HEDGED);
    assert_int_equal(hstate(h, b), LG_GS_HEDGED);
    assert_int_equal(lg_engine_trading_state(lg_harness_engine(h)), LG_TS_ACTIVE);
    assert_false(lg_engine_recovering(lg_harness_engine(h)));
    if (lg_harness_check_journal(h) != LG_OK) fail_msg("%s", lg_harness_failure(h));
    run_ok(h, 40 * S);
    assert_int_equal(hstate(h, a), LG_GS_HEDGED);
    assert_int_equal(hstate(h, b), LG_GS_HEDGED);

    /* a crash that loses the database: rebuilt from the order book alone, to flat */
    assert_int_equal(lg_harness_crash(h, true, 0), LG_OK);
    restart_ok(h, &rep);
    assert_int_equal(rep.replayed, 0);
    assert_int_equal(rep.rebuilt, 2);
    assert_int_equal(lg_harness_group(h, a), ga);
    assert_int_equal(lg_harness_group(h, b), gb);
    assert_int_equal(lg_harness_check_positions(h), LG_OK);
    run_ok(h, 120 * S);
    assert_int_equal(hstate(h, a), LG_GS_EMERGENCY_HEDGED);
    assert_int_equal(hstate(h, b), LG_GS_EMERGENCY_HEDGED);
    const lg_instruments_t *m = lg_harness_master(h);
    for (uint32_t i = 0; i < m->n; i++) {
        assert_int_equal(lg_sim_position(lg_harness_sim(h), m->items[i].token), 0);
        assert_int_equal(lg_engine_position(lg_harness_engine(h), m->items[i].token), 0);
    }
    if (lg_harness_check_journal(h) != LG_OK) fail_msg("%s", lg_harness_failure(h));
    lg_harness_stats_t hs;
    lg_harness_stats(h, &hs);
    assert_int_equal(hs.restarts, 2);
    assert_int_equal(hs.lost_dbs, 1);
    assert_int_equal(hs.rebuilt, 2);
    lg_harness_destroy(h);
    lg_store_remove(path);
}

/* ---- by hand: a store, a replayed engine, a runner ------------------------------------ */

#define MAX_RELEASED 256

typedef struct fx {
    char path[PATH_LEN];
    lg_instruments_t m;
    lg_engine_config_t cfg;
    lg_store_t *s;
    lg_engine_t *e;
    lg_runner_t *r;
    lg_out_t out;
    lg_ns_t now;
    lg_cmd_t released[MAX_RELEASED];
    uint32_t n_released;
} fx_t;

static void on_release(void *ctx, const lg_cmd_t *cmd, lg_ns_t now) {
    (void)now;
    fx_t *f = ctx;
    assert_true(f->n_released < MAX_RELEASED);
    f->released[f->n_released++] = *cmd;
}

static void fx_open(fx_t *f) {
    char err[LG_STORE_ERR_MAX];
    int rc = lg_store_open(f->path, LG_DUR_NORMAL, &f->s, err, sizeof err);
    if (rc != LG_OK) fail_msg("open: %s", err);
}

/* Replays the store into a new engine and puts a runner over it. */
static void fx_replay(fx_t *f, lg_recovery_t *rep) {
    int rc = lg_recover_replay(f->s, &f->cfg, &f->m, &f->e, rep);
    if (rc != LG_OK) fail_msg("replay: %s", rep->report);
    assert_non_null(f->e);
    lg_runner_config_t rc_cfg;
    lg_runner_config_default(&rc_cfg);
    assert_int_equal(lg_runner_create(&rc_cfg, f->e, f->s, on_release, f, &f->r), LG_OK);
    f->n_released = 0;
}

static fx_t *fx_new(void) {
    static fx_t f;
    memset(&f, 0, sizeof f);
    tmp_path(f.path);
    lg_test_master(&f.m);
    lg_engine_config_default(&f.cfg);
    f.cfg.risk_off = 1; /* the lifecycle alone: risk has its own tests */
    f.cfg.max_groups = 8;
    f.cfg.max_orders = 1024;
    assert_int_equal(lg_out_init(&f.out, 256, 1024, 64), LG_OK);
    f.now = 1000;
    fx_open(&f);
    lg_recovery_t rep;
    fx_replay(&f, &rep);
    assert_int_equal(rep.replayed, 0);
    return &f;
}

/* The process dies: runner, engine and store connection go; the file stays. */
static void fx_crash(fx_t *f) {
    lg_runner_destroy(f->r);
    f->r = NULL;
    lg_engine_destroy(f->e);
    f->e = NULL;
    lg_store_close(f->s);
    f->s = NULL;
}

static void fx_free(fx_t *f) {
    fx_crash(f);
    lg_out_free(&f->out);
    lg_instruments_free(&f->m);
    lg_store_remove(f->path);
}

static int rstep(fx_t *f, const lg_event_t *ev) {
    f->now += LG_NS_PER_MS;
    return lg_runner_step(f->r, ev, f->now, &f->out);
}

static int reconcile(fx_t *f, const lg_book_t *b, lg_recovery_t *rep) {
    memset(rep, 0, sizeof *rep);
    f->now += LG_NS_PER_S;
    f->n_released = 0;
    return lg_recover_reconcile(f->r, f->e, b, f->now, &f->out, rep);
}

static lg_adopt_t book_order(const char *tag, const char *bid, uint32_t token, int side,
                             lg_kstatus_t st, lg_qty_t qty, lg_qty_t filled, lg_paise_t avg) {
    lg_adopt_t a;
    memset(&a, 0, sizeof a);
    snprintf(a.u.tag, sizeof a.u.tag, "%s", tag);
    snprintf(a.u.broker_id, sizeof a.u.broker_id, "%s", bid);
    a.u.status = st;
    a.u.quantity = qty;
    a.u.filled = filled;
    a.u.avg_price = avg;
    a.token = token;
    a.side = (int8_t)side;
    a.otype = LG_OT_MARKET;
    return a;
}

static uint32_t released_places(const fx_t *f) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->n_released; i++) n += f->released[i].kind == LG_CMD_PLACE;
    return n;
}

/* Whether the journal holds a CONTROL event with this op. */
static bool journaled_control(fx_t *f, lg_control_op_t op) {
    lg_store_row_t row;
    bool seen = false;
    uint64_t seq = 1;
    for (uint32_t guard = 0; guard < 100000 && lg_store_read(f->s, seq, &row) == LG_OK; guard++) {
        if (row.item == LG_JRNL_EVENT && row.u.ev.kind == LG_EV_CONTROL &&
            row.u.ev.u.control.op == (int32_t)op)
            seen = true;
        seq = row.seq + 1;
    }
    return seen;
}

static void test_reconcile_empty_book(void **st) {
    (void)st;
    fx_t *f = fx_new();
    lg_book_t b = {0};
    lg_recovery_t rep;
    assert_int_equal(reconcile(f, &b, &rep), LG_OK);
    assert_int_equal(rep.unexplained, 0);
    assert_string_equal(rep.report, "");
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_ACTIVE);
    assert_false(lg_engine_recovering(f->e));
    assert_int_equal(f->n_released, 0);
    assert_true(journaled_control(f, LG_CTL_RECOVER_BEGIN));
    assert_true(journaled_control(f, LG_CTL_RECOVERED));
    assert_false(journaled_control(f, LG_CTL_KILL));
    fx_free(f);
}

static void test_reconcile_foreign_order(void **st) {
    (void)st;
    fx_t *f = fx_new();
    lg_adopt_t orders[1] = {
        book_order("ABC123", "250101000000042", T_C24200, -1, LG_KS_COMPLETE, QTY, QTY, 9000)};
    lg_book_t b = {.orders = orders, .n_orders = 1};
    lg_recovery_t rep;
    assert_int_equal(reconcile(f, &b, &rep), LG_EMISMATCH);
    assert_int_equal(rep.unexplained, 1);
    if (strstr(rep.report, "250101000000042") == NULL) fail_msg("report: %s", rep.report);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_HALTED);
    assert_false(lg_engine_recovering(f->e));
    assert_int_equal(released_places(f), 0);
    assert_true(journaled_control(f, LG_CTL_KILL)); /* the halt is journaled */
    /* halted: new risk is refused */
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    ev.u.submit = (lg_group_spec_t){.n_legs = 2, .policy = -1, .on_incomplete = -1};
    ev.u.submit.legs[0] = (lg_leg_spec_t){.token = T_C24200, .side = -1, .covered_by = -1, .qty = QTY};
    ev.u.submit.legs[1] = (lg_leg_spec_t){.token = T_C24400, .side = 1, .covered_by = -1, .qty = QTY};
    assert_int_equal(rstep(f, &ev), LG_EHALTED);
    assert_int_equal(released_places(f), 0);
    fx_free(f);
}

static void test_reconcile_unexplained_position(void **st) {
    (void)st;
    fx_t *f = fx_new();
    lg_position_row_t pos[1] = {{.token = T_C24200, .qty = -QTY}};
    lg_book_t b = {.positions = pos, .n_positions = 1};
    lg_recovery_t rep;
    assert_int_equal(reconcile(f, &b, &rep), LG_EMISMATCH);
    assert_int_equal(rep.unexplained, 1);
    if (strstr(rep.report, "NIFTY26JUL24200CE") == NULL) fail_msg("report: %s", rep.report);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_HALTED);
    assert_int_equal(released_places(f), 0);
    fx_free(f);

    /* a position in a token the master does not have is named by its token */
    f = fx_new();
    lg_position_row_t alien[1] = {{.token = 4242, .qty = 75}};
    b = (lg_book_t){.positions = alien, .n_positions = 1};
    assert_int_equal(reconcile(f, &b, &rep), LG_EMISMATCH);
    assert_true(rep.unexplained >= 1);
    if (strstr(rep.report, "4242") == NULL) fail_msg("report: %s", rep.report);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_HALTED);
    fx_free(f);
}

/* The database lost (an empty journal): a credit call spread rebuilt from the book; the
 * short's buy-back goes out during reconciliation (write-behind), the protection stays. */
static void test_reconcile_rebuilds(void **st) {
    (void)st;
    fx_t *f = fx_new();
    char prot[LG_TAG_MAX + 1], shrt[LG_TAG_MAX + 1];
    lg_tag_t t = {.group = 3, .leg = 1, .child = 0, .purpose = LG_PURPOSE_ENTRY};
    assert_int_equal(lg_tag_encode(&t, prot, sizeof prot), LG_OK);
    t = (lg_tag_t){.group = 3, .leg = 0, .child = 1, .purpose = LG_PURPOSE_ENTRY};
    assert_int_equal(lg_tag_encode(&t, shrt, sizeof shrt), LG_OK);
    lg_adopt_t orders[2] = {
        book_order(shrt, "1800000000000000002", T_C24200, -1, LG_KS_COMPLETE, QTY, QTY, 9000),
        book_order(prot, "1800000000000000001", T_C24400, 1, LG_KS_COMPLETE, QTY, QTY, 4000)};
    lg_position_row_t pos[2] = {{.token = T_C24200, .qty = -QTY}, {.token = T_C24400, .qty = QTY}};
    lg_book_t b = {.orders = orders, .n_orders = 2, .positions = pos, .n_positions = 2};
    lg_recovery_t rep;
    assert_int_equal(reconcile(f, &b, &rep), LG_OK);
    assert_int_equal(rep.unexplained, 0);
    assert_int_equal(rep.rebuilt, 1);
    assert_int_equal(lg_engine_trading_state(f->e), LG_TS_ACTIVE);
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->e, 3, &v), LG_OK);
    assert_int_equal(v.state, LG_GS_FAILED);
    assert_int_equal(released_places(f), 1);
    const lg_cmd_t *c = NULL;
    for (uint32_t i = 0; i < f->n_released; i++)
        if (f->released[i].kind == LG_CMD_PLACE) c = &f->released[i];
    assert_non_null(c);
    assert_int_equal(c->token, T_C24200);
    assert_int_equal(c->side, 1);
    assert_int_equal(c->qty, QTY);
    assert_true(c->risk_reducing);
    /* the adoption is journaled: the order's state is in the projections */
    int32_t js;
    assert_int_equal(lg_store_order_state(f->s, shrt, &js), LG_OK);
    assert_int_equal(js, LG_OS_COMPLETE);
    fx_crash(f);
    /* and the journal alone rebuilds the same state */
    fx_open(f);
    lg_engine_t *e2 = NULL;
    assert_int_equal(lg_recover_replay(f->s, &f->cfg, &f->m, &e2, &rep), LG_OK);
    assert_true(rep.replayed > 0);
    assert_int_equal(lg_engine_group(e2, 3, &v), LG_OK);
    assert_int_equal(v.state, LG_GS_FAILED);
    assert_int_equal(lg_engine_position(e2, T_C24200), -QTY);
    lg_engine_destroy(e2);
    lg_store_close(f->s);
    f->s = NULL;
    fx_free(f);
}

/* ---- recovery stories through the runner ------------------------------------------------ */

static lg_event_t ev_ack(const char *tag, const char *bid) {
    lg_event_t ev = {.kind = LG_EV_ORDER_ACK};
    snprintf(ev.u.ack.tag, sizeof ev.u.ack.tag, "%s", tag);
    snprintf(ev.u.ack.broker_id, sizeof ev.u.ack.broker_id, "%s", bid);
    return ev;
}

static lg_event_t ev_update(const char *tag, const char *bid, lg_kstatus_t st, lg_qty_t qty,
                            lg_qty_t filled, lg_paise_t avg) {
    lg_event_t ev = {.kind = LG_EV_ORDER_UPDATE};
    snprintf(ev.u.update.tag, sizeof ev.u.update.tag, "%s", tag);
    snprintf(ev.u.update.broker_id, sizeof ev.u.update.broker_id, "%s", bid);
    ev.u.update.status = st;
    ev.u.update.quantity = qty;
    ev.u.update.filled = filled;
    ev.u.update.avg_price = avg;
    return ev;
}

static uint32_t submit_spread(fx_t *f) {
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    ev.u.submit = (lg_group_spec_t){.n_legs = 2, .policy = -1, .on_incomplete = -1};
    ev.u.submit.legs[0] = (lg_leg_spec_t){.token = T_C24200, .side = -1, .covered_by = -1, .qty = QTY};
    ev.u.submit.legs[1] = (lg_leg_spec_t){.token = T_C24400, .side = 1, .covered_by = -1, .qty = QTY};
    f->n_released = 0;
    assert_int_equal(rstep(f, &ev), LG_OK);
    assert_true(f->out.new_group != 0);
    return f->out.new_group;
}

/* The only PLACE released since n_released was last cleared. */
static lg_cmd_t one_place(fx_t *f) {
    assert_int_equal(released_places(f), 1);
    for (uint32_t i = 0; i < f->n_released; i++)
        if (f->released[i].kind == LG_CMD_PLACE) return f->released[i];
    return f->released[0];
}

/* The journal ends after the first short slice filled (protection 260 of 650, short
 * child 1 260); while the engine was down the protection completed and a second short
 * slice (child 2, 390, sent in steps a power loss took from the journal) filled. The
 * book lists the newest orders first. The broker holds the whole spread, covered:
 * reconciliation must leave it alone — nothing to reverse. */
static void test_reconcile_book_order(void **st) {
    (void)st;
    fx_t *f = fx_new();
    uint32_t g = submit_spread(f);
    lg_cmd_t prot = one_place(f);
    lg_event_t ev = ev_ack(prot.tag, "1900000000000000001");
    assert_int_equal(rstep(f, &ev), LG_OK);
    f->n_released = 0;
    ev = ev_update(prot.tag, "1900000000000000001", LG_KS_OPEN, QTY, 260, 4000);
    assert_int_equal(rstep(f, &ev), LG_OK);
    lg_cmd_t s1 = one_place(f);
    assert_int_equal(s1.qty, 260);
    ev = ev_ack(s1.tag, "1900000000000000002");
    assert_int_equal(rstep(f, &ev), LG_OK);
    ev = ev_update(s1.tag, "1900000000000000002", LG_KS_COMPLETE, 260, 260, 9000);
    assert_int_equal(rstep(f, &ev), LG_OK);
    lg_tag_t t;
    assert_int_equal(lg_tag_decode(s1.tag, &t), LG_OK);
    t.child++;
    char s2[LG_TAG_MAX + 1];
    assert_int_equal(lg_tag_encode(&t, s2, sizeof s2), LG_OK);
    fx_crash(f);

    fx_open(f);
    lg_recovery_t rep;
    fx_replay(f, &rep);
    lg_adopt_t orders[3] = {
        book_order(s2, "1900000000000000003", T_C24200, -1, LG_KS_COMPLETE, 390, 390, 9000),
        book_order(s1.tag, "1900000000000000002", T_C24200, -1, LG_KS_COMPLETE, 260, 260, 9000),
        book_order(prot.tag, "1900000000000000001", T_C24400, 1, LG_KS_COMPLETE, QTY, QTY, 4000)};
    lg_position_row_t pos[2] = {{.token = T_C24200, .qty = -QTY}, {.token = T_C24400, .qty = QTY}};
    lg_book_t b = {.orders = orders, .n_orders = 3, .positions = pos, .n_positions = 2};
    int rc = reconcile(f, &b, &rep);
    if (rc != LG_OK) fail_msg("reconcile: %s\n%s", lg_errname(rc), rep.report);
    assert_int_equal(rep.adopted, 1);
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->e, g, &v), LG_OK);
    if (released_places(f) != 0 || v.state != LG_GS_FILLED) {
        const lg_cmd_t *c = NULL;
        for (uint32_t i = 0; i < f->n_released && c == NULL; i++)
            if (f->released[i].kind == LG_CMD_PLACE) c = &f->released[i];
        fail_msg("a covered spread was taken apart by reconciliation: group %s, %u orders "
                 "placed (first %s, side %d, qty %lld)", lg_gstate_name(v.state),
                 released_places(f), c ? c->tag : "-", c ? c->side : 0, c ? (long long)c->qty : 0);
    }
    assert_int_equal(lg_engine_position(f->e, T_C24200), -QTY);
    assert_int_equal(lg_engine_position(f->e, T_C24400), QTY);
    fx_free(f);
}

/* A short is rejected; the step releases the protection's reversal (write-behind) and the
 * process dies before the commit. The exchange rejects that reversal too. At the restart
 * the journal has neither; the book has both, final and unfilled. The engine unwinds the
 * group again — and the order it sends must not carry the tag of the broker's rejected
 * reversal: a tag names one order (invariant 5; a second restart could not tell them
 * apart). */
static void test_reconcile_lost_hedge_tag(void **st) {
    (void)st;
    fx_t *f = fx_new();
    uint32_t g = submit_spread(f);
    lg_cmd_t prot = one_place(f);
    lg_event_t ev = ev_ack(prot.tag, "2000000000000000001");
    assert_int_equal(rstep(f, &ev), LG_OK);
    f->n_released = 0;
    ev = ev_update(prot.tag, "2000000000000000001", LG_KS_COMPLETE, QTY, QTY, 4000);
    assert_int_equal(rstep(f, &ev), LG_OK);
    lg_cmd_t shrt = one_place(f);
    assert_int_equal(shrt.qty, QTY);
    ev = ev_ack(shrt.tag, "2000000000000000002");
    assert_int_equal(rstep(f, &ev), LG_OK);
    /* the short is rejected: crash as its hedge leaves */
    lg_runner_crash_at(f->r, LG_CRASH_AT_HEDGE);
    f->n_released = 0;
    ev = ev_update(shrt.tag, "2000000000000000002", LG_KS_REJECTED, QTY, 0, 0);
    assert_int_equal(rstep(f, &ev), LG_ESTOPPED);
    lg_cmd_t rev = one_place(f);
    assert_int_equal(rev.token, T_C24400);
    assert_int_equal(rev.side, -1);
    assert_true(rev.risk_reducing);
    fx_crash(f);

    fx_open(f);
    lg_recovery_t rep;
    fx_replay(f, &rep);
    assert_null(lg_engine_order_by_tag(f->e, rev.tag)); /* its step was lost */
    lg_adopt_t orders[3] = {
        book_order(prot.tag, "2000000000000000001", T_C24400, 1, LG_KS_COMPLETE, QTY, QTY, 4000),
        book_order(shrt.tag, "2000000000000000002", T_C24200, -1, LG_KS_REJECTED, QTY, 0, 0),
        book_order(rev.tag, "2000000000000000003", T_C24400, -1, LG_KS_REJECTED, QTY, 0, 0)};
    lg_position_row_t pos[1] = {{.token = T_C24400, .qty = QTY}};
    lg_book_t b = {.orders = orders, .n_orders = 3, .positions = pos, .n_positions = 1};
    int rc = reconcile(f, &b, &rep);
    if (rc != LG_OK) fail_msg("reconcile: %s\n%s", lg_errname(rc), rep.report);
    lg_group_view_t v;
    assert_int_equal(lg_engine_group(f->e, g, &v), LG_OK);
    assert_int_equal(v.state, LG_GS_FAILED);
    /* the protection is reversed again, once, under a tag of its own */
    assert_int_equal(released_places(f), 1);
    lg_cmd_t again = one_place(f);
    assert_int_equal(again.token, T_C24400);
    assert_int_equal(again.side, -1);
    assert_int_equal(again.qty, QTY);
    for (uint32_t i = 0; i < b.n_orders; i++)
        if (strcmp(again.tag, b.orders[i].u.tag) == 0)
            fail_msg("reversal sent under tag %s, which the broker's order %s already carries (%s)",
                     again.tag, b.orders[i].u.broker_id, lg_kstatus_name(b.orders[i].u.status));
    fx_free(f);
}

static uint32_t released_kind(const fx_t *f, lg_cmd_kind_t k) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->n_released; i++) n += f->released[i].kind == k;
    return n;
}

/* A long call, 65 units, is live. Arming its stop released the SL (a risk-reducing
 * order goes out before its commit) and the process died before the step was committed:
 * the broker has an SL no journaled stop owns. The first restart re-arms it from the book
 * (nothing cancelled, nothing placed). A second crash, and the replay of the journal —
 * which now holds the first recovery's steps — brings the same groups and orders back
 * (digest) and the stop still owning the SL: the second reconciliation changes nothing,
 * and a gap then cancels the SL and sends a protected MARKET for exactly the 65. */
static void test_reconcile_rearmed_stop_survives(void **st) {
    (void)st;
    fx_t *f = fx_new();
    lg_event_t ev = {.kind = LG_EV_GROUP_SUBMIT};
    ev.u.submit = (lg_group_spec_t){.n_legs = 1, .policy = -1, .on_incomplete = -1};
    ev.u.submit.legs[0] = (lg_leg_spec_t){.token = T_C24200, .side = 1, .covered_by = -1, .qty = 65};
    assert_int_equal(rstep(f, &ev), LG_OK);
    uint32_t g = f->out.new_group;
    assert_true(g != 0);
    lg_cmd_t entry = one_place(f);
    ev = ev_ack(entry.tag, "2100000000000000001");
    assert_int_equal(rstep(f, &ev), LG_OK);
    ev = ev_update(entry.tag, "2100000000000000001", LG_KS_COMPLETE, 65, 65, 10000);
    assert_int_equal(rstep(f, &ev), LG_OK);
    ev = (lg_event_t){.kind = LG_EV_TICK};
    ev.u.tick.token = T_C24200;
    ev.u.tick.ltp = ev.u.tick.bid = ev.u.tick.ask = 10000;
    assert_int_equal(rstep(f, &ev), LG_OK);
    /* the stop's step is lost; its SL is not */
    lg_runner_crash_at(f->r, LG_CRASH_AT_HEDGE);
    f->n_released = 0;
    ev = (lg_event_t){.kind = LG_EV_STOP};
    ev.u.stop.group = g;
    ev.u.stop.trigger = 9500;
    ev.u.stop.limit = 9450;
    ev.u.stop.gap = 200;
    assert_int_equal(rstep(f, &ev), LG_ESTOPPED);
    lg_cmd_t sl = one_place(f);
    assert_int_equal(sl.otype, LG_OT_SL);
    fx_crash(f);

    lg_adopt_t orders[2] = {
        book_order(entry.tag, "2100000000000000001", T_C24200, 1, LG_KS_COMPLETE, 65, 65, 10000),
        book_order(sl.tag, "2100000000000000002", T_C24200, -1, LG_KS_TRIGGER_PENDING, 65, 0, 0)};
    orders[1].otype = LG_OT_SL;
    orders[1].price = sl.price;
    orders[1].trigger = sl.trigger;
    lg_position_row_t pos[1] = {{.token = T_C24200, .qty = 65}};
    lg_book_t b = {.orders = orders, .n_orders = 2, .positions = pos, .n_positions = 1};
    for (int restart = 0; restart < 2; restart++) {
        fx_open(f);
        lg_recovery_t rep;
        fx_replay(f, &rep);
        uint64_t replayed = lg_engine_digest(f->e);
        static uint64_t after_first;
        if (restart == 1) assert_int_equal(replayed, after_first); /* replay is the same */
        int rc = reconcile(f, &b, &rep);
        if (rc != LG_OK) fail_msg("reconcile %d: %s\n%s", restart, lg_errname(rc), rep.report);
        assert_int_equal(rep.unexplained, 0);
        assert_int_equal(rep.adopted, restart == 0 ? 1 : 0);
        if (released_kind(f, LG_CMD_CANCEL) != 0 || released_places(f) != 0)
            fail_msg("restart %d: the SL was not re-armed: %u cancels, %u placements", restart,
                     released_kind(f, LG_CMD_CANCEL), released_places(f));
        lg_gstate_t gs;
        assert_int_equal(lg_engine_group_state(f->e, g, &gs), LG_OK);
        assert_true(gs == LG_GS_FILLED || gs == LG_GS_HEDGED); /* the positions confirm it */
        after_first = lg_engine_digest(f->e);
        if (restart == 0) fx_crash(f);
    }
    /* the re-armed stop acts as an armed one: gap, cancel, market for exactly the rest */
    f->n_released = 0;
    ev = (lg_event_t){.kind = LG_EV_TICK};
    ev.u.tick.token = T_C24200;
    ev.u.tick.ltp = ev.u.tick.bid = ev.u.tick.ask = 9000;
    assert_int_equal(rstep(f, &ev), LG_OK);
    assert_int_equal(released_kind(f, LG_CMD_CANCEL), 1);
    assert_int_equal(released_places(f), 0);
    f->n_released = 0;
    ev = ev_update(sl.tag, "2100000000000000002", LG_KS_CANCELLED, 65, 0, 0);
    assert_int_equal(rstep(f, &ev), LG_OK);
    lg_cmd_t mk = one_place(f);
    assert_int_equal(mk.otype, LG_OT_MARKET);
    assert_int_equal(mk.side, -1);
    assert_int_equal(mk.qty, 65);
    fx_free(f);
}

/* ---- replay of a journal that does not decode ------------------------------------------ */

static int64_t raw_int(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t v = (int64_t)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    return v;
}

static void raw_exec(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) fail_msg("%s: %s", sql, err ? err : "?");
    sqlite3_free(err);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_replay_corrupt_row(void **st) {
    (void)st;
    fx_t *f = fx_new();
    submit_spread(f);
    for (int i = 0; i < 3; i++) {
        lg_event_t ev = {.kind = LG_EV_TICK};
        ev.u.tick.token = T_FUT;
        ev.u.tick.ltp = 2400000 + 500 * i;
        ev.u.tick.bid = ev.u.tick.ltp - 5;
        ev.u.tick.ask = ev.u.tick.ltp + 5;
        assert_int_equal(rstep(f, &ev), LG_OK);
    }
    fx_crash(f);
    /* the good journal replays */
    fx_open(f);
    lg_recovery_t rep;
    lg_engine_t *e = NULL;
    assert_int_equal(lg_recover_replay(f->s, &f->cfg, &f->m, &e, &rep), LG_OK);
    assert_int_equal(rep.replayed, 4);
    lg_engine_destroy(e);
    lg_store_close(f->s);
    f->s = NULL;
    /* the third event row is damaged */
    int64_t seq = raw_int(f->path, "SELECT seq FROM execution_events WHERE item = 1 "
                                   "ORDER BY seq LIMIT 1 OFFSET 2");
    assert_true(seq > 2);
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE execution_events SET payload = x'A70102' WHERE seq = %lld",
             (long long)seq);
    raw_exec(f->path, sql);
    fx_open(f);
    e = (lg_engine_t *)(uintptr_t)1; /* must be cleared */
    assert_int_equal(lg_recover_replay(f->s, &f->cfg, &f->m, &e, &rep), LG_EPARSE);
    assert_null(e);
    char want[48];
    snprintf(want, sizeof want, "seq %lld", (long long)seq);
    if (strstr(rep.report, want) == NULL) fail_msg("report does not name %s: %s", want, rep.report);
    assert_int_equal(rep.replayed, 2);
    fx_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_harness_crash_restart, remove_made),
        cmocka_unit_test_teardown(test_reconcile_empty_book, remove_made),
        cmocka_unit_test_teardown(test_reconcile_foreign_order, remove_made),
        cmocka_unit_test_teardown(test_reconcile_unexplained_position, remove_made),
        cmocka_unit_test_teardown(test_reconcile_rebuilds, remove_made),
        cmocka_unit_test_teardown(test_reconcile_book_order, remove_made),
        cmocka_unit_test_teardown(test_reconcile_lost_hedge_tag, remove_made),
        cmocka_unit_test_teardown(test_reconcile_rearmed_stop_survives, remove_made),
        cmocka_unit_test_teardown(test_replay_corrupt_row, remove_made),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
