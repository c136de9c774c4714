/*
 * test_journal_codec.c — unit tests for the journal codec (src/store/journal_codec.c):
 * round trips of every event, record and command kind (field by field and whole
 * struct), golden bytes that pin the version-1 format, every way decoding must refuse
 * its input (leaving the outputs untouched), every way encoding must refuse a value,
 * truncation at every byte offset, the FNV-1a test vectors, and a fixed-seed fuzz loop
 * of byte flips over valid encodings that must never crash and never accept a byte
 * string that does not re-encode to itself, and that bad arguments stop the program
 * (checked in forked children).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "legato/engine.h"
#include "legato/journal.h"

/* ---- samples ------------------------------------------------------------------------ */

#define MAX_SAMPLES 96
#define BIG_ROWS 100u

static lg_position_row_t sample_rows[BIG_ROWS];
static lg_position_row_t full_rows[LG_JRNL_MAX_ROWS];

static void ev_init(lg_event_t *e, lg_ev_kind_t k) {
    memset(e, 0, sizeof *e);
    e->kind = k;
}

static void fill_str(char *dst, size_t field, char c) {
    memset(dst, c, field - 1);
    dst[field - 1] = '\0';
}

static void sample_submit4(lg_event_t *e) {
    ev_init(e, LG_EV_GROUP_SUBMIT);
    lg_group_spec_t *s = &e->u.submit;
    s->n_legs = 4;
    const uint32_t tok[4] = {11001, 11002, 11003, 11004};
    const int8_t side[4] = {+1, -1, -1, +1};
    const int8_t cov[4] = {-1, 0, 3, -1};
    for (uint32_t i = 0; i < 4; i++) {
        s->legs[i].token = tok[i];
        s->legs[i].side = side[i];
        s->legs[i].covered_by = cov[i];
        s->legs[i].qty = 75 * (int64_t)(i + 1);
        s->legs[i].limit_price = i == 0 ? 0 : 12345 + (int64_t)i;
    }
    s->policy = LG_POLICY_RATCHET;
    s->on_incomplete = LG_INCOMPLETE_SHRINK;
    s->entry_timeout_ns = 30 * LG_NS_PER_S;
}

static void sample_submit8(lg_event_t *e) {
    ev_init(e, LG_EV_GROUP_SUBMIT);
    lg_group_spec_t *s = &e->u.submit;
    s->n_legs = LG_MAX_LEGS;
    for (uint32_t i = 0; i < LG_MAX_LEGS; i++) {
        s->legs[i].token = UINT32_MAX - i;
        s->legs[i].side = (int8_t)(i % 2 ? -1 : 1);
        s->legs[i].covered_by = (int8_t)(i % 2 ? (int)i - 1 : -1);
        s->legs[i].qty = INT64_MAX - (int64_t)i;
        s->legs[i].limit_price = i == 3 ? INT64_MIN : INT64_MAX;
    }
    s->policy = -1;
    s->on_incomplete = -1;
    s->entry_timeout_ns = INT64_MIN;
}

static void sample_ack(lg_event_t *e) {
    ev_init(e, LG_EV_ORDER_ACK);
    strcpy(e->u.ack.tag, "L0000001203E00");
    strcpy(e->u.ack.broker_id, "250101000000001");
}

static void sample_error(lg_event_t *e, unsigned bits) {
    ev_init(e, LG_EV_ORDER_ERROR);
    strcpy(e->u.error.tag, "L0000002000H01");
    e->u.error.definitive = (bits & 1u) != 0;
    e->u.error.is_cancel = (bits & 2u) != 0;
    e->u.error.is_lookup = (bits & 4u) != 0;
    e->u.error.http_status = bits == 0 ? -1 : 400 + (int32_t)bits;
    if (bits == 7)
        fill_str(e->u.error.message, sizeof e->u.error.message, 'm');
    else
        strcpy(e->u.error.message, "Markets are closed right now.");
}

static void sample_update(lg_event_t *e, lg_kstatus_t k) {
    ev_init(e, LG_EV_ORDER_UPDATE);
    lg_order_update_t *u = &e->u.update;
    fill_str(u->tag, sizeof u->tag, 'T');
    fill_str(u->broker_id, sizeof u->broker_id, '9');
    u->status = k;
    u->quantity = 1800;
    u->filled = k == LG_KS_COMPLETE ? 1800 : 75 * (int64_t)k;
    u->avg_price = 2550 + (int64_t)k;
    if (k == LG_KS_REJECTED) strcpy(u->message, "RMS:Margin Exceeds");
}

static void sample_tick(lg_event_t *e, int64_t base) {
    ev_init(e, LG_EV_TICK);
    e->u.tick.token = 256265;
    e->u.tick.ltp = base;
    e->u.tick.bid = base - 5;
    e->u.tick.ask = base + 5;
}

static void sample_control(lg_event_t *e, lg_control_op_t op, uint32_t group) {
    ev_init(e, LG_EV_CONTROL);
    e->u.control.op = (int32_t)op;
    e->u.control.group = group;
}

static void sample_positions(lg_event_t *e, lg_position_row_t *rows, uint32_t n) {
    ev_init(e, LG_EV_POSITIONS);
    for (uint32_t i = 0; i < n; i++) {
        rows[i].token = 1000 + i * 7;
        rows[i].qty = (int64_t)(i % 3) * 75 - 75 + (i == 5 ? INT64_MIN : 0);
    }
    e->u.positions.rows = rows;
    e->u.positions.n = n;
}

/* A broker order recovery adopts: an update plus what the order is. */
static void sample_adopt(lg_event_t *e, lg_kstatus_t st, int8_t side, uint8_t otype) {
    ev_init(e, LG_EV_ADOPT);
    lg_strlcpy(e->u.adopt.u.tag, "L00000A10002H01", sizeof e->u.adopt.u.tag);
    lg_strlcpy(e->u.adopt.u.broker_id, "2511240000123", sizeof e->u.adopt.u.broker_id);
    e->u.adopt.u.status = st;
    e->u.adopt.u.quantity = 130;
    e->u.adopt.u.filled = st == LG_KS_COMPLETE ? 130 : 65;
    e->u.adopt.u.avg_price = 12345;
    lg_strlcpy(e->u.adopt.u.message, "adopted", sizeof e->u.adopt.u.message);
    e->u.adopt.token = 987654;
    e->u.adopt.side = side;
    e->u.adopt.otype = otype;
    e->u.adopt.price = otype == LG_OT_MARKET ? 0 : 12000;
    e->u.adopt.trigger = otype >= LG_OT_SL ? 12100 : 0;
}

static void sample_connection(lg_event_t *e, bool up) {
    ev_init(e, LG_EV_CONNECTION);
    e->u.connection.up = up;
}

static void sample_intent(lg_event_t *e, uint32_t n, double confidence) {
    ev_init(e, LG_EV_INTENT);
    lg_intent_t *it = &e->u.intent;
    it->n_legs = n;
    for (uint32_t i = 0; i < n; i++)
        it->legs[i] = (lg_intent_leg_t){.token = 11001u + i, .side = (int8_t)(i % 2 ? -1 : 1),
                                        .covered_by = (int8_t)(i % 2 ? (int)i - 1 : -1),
                                        .ratio = (uint16_t)(1 + i * 1000), .limit_price = 5 * (int64_t)i};
    it->direction = -1;
    it->policy = LG_POLICY_NAIVE;
    it->on_incomplete = -1;
    it->confidence = confidence;
    it->decision_price = -123456;
    it->broker_margin = INT64_MAX;
    it->entry_timeout_ns = 30 * LG_NS_PER_S;
}

/* Every event kind, every Kite status, every error flag combination. */
static uint32_t sample_events(lg_event_t *evs, uint32_t max) {
    uint32_t n = 0;
    LG_ASSERT(max >= 48);
    sample_submit4(&evs[n++]);
    sample_submit8(&evs[n++]);
    sample_ack(&evs[n++]);
    for (unsigned bits = 0; bits < 8; bits++) sample_error(&evs[n++], bits);
    for (int k = 0; k < (int)LG_KS__COUNT; k++) sample_update(&evs[n++], (lg_kstatus_t)k);
    sample_tick(&evs[n++], 2455000);
    sample_tick(&evs[n++], -3);
    ev_init(&evs[n++], LG_EV_TIMER);
    for (int op = LG_CTL_KILL; op <= LG_CTL_RECOVERED; op++)
        sample_control(&evs[n++], (lg_control_op_t)op, (uint32_t)op * 1000u);
    sample_positions(&evs[n++], sample_rows, 6);
    sample_positions(&evs[n++], sample_rows, 0);
    sample_connection(&evs[n++], true);
    sample_connection(&evs[n++], false);
    sample_connection(&evs[n++], false);
    evs[n - 1].u.connection.session_lost = true;
    sample_intent(&evs[n++], 2, 0.75);
    sample_intent(&evs[n++], LG_MAX_LEGS, 1e-300);
    sample_intent(&evs[n++], 0, 1.0);
    ev_init(&evs[n], LG_EV_MARGINS);
    evs[n].u.margins.available = -5000000;
    evs[n++].u.margins.used = INT64_MAX;
    ev_init(&evs[n], LG_EV_BAND);
    evs[n].u.band.token = 11001;
    evs[n].u.band.lo = 5;
    evs[n++].u.band.hi = 999995;
    ev_init(&evs[n], LG_EV_STOP); /* a price stop */
    evs[n].u.stop.group = 70000;
    evs[n].u.stop.trigger = 9500;
    evs[n].u.stop.limit = 9450;
    evs[n++].u.stop.gap = 300;
    ev_init(&evs[n], LG_EV_STOP); /* a group stop */
    evs[n].u.stop.group = 1;
    evs[n++].u.stop.max_loss = INT64_MAX;
    ev_init(&evs[n], LG_EV_STOP); /* disarm */
    evs[n++].u.stop.group = UINT32_MAX;
    ev_init(&evs[n], LG_EV_BASKET); /* the broker's basket margin */
    evs[n].u.basket.group = 42;
    evs[n].u.basket.asked = INT64_MAX;
    evs[n].u.basket.ok = true;
    evs[n].u.basket.initial = 9650498;
    evs[n++].u.basket.final = 3478673;
    ev_init(&evs[n], LG_EV_BASKET); /* none: the broker's reason */
    evs[n].u.basket.group = UINT32_MAX;
    strcpy(evs[n++].u.basket.message, "http 400: data[0].final.total: missing");
    sample_adopt(&evs[n++], LG_KS_OPEN, 1, LG_OT_LIMIT);
    sample_adopt(&evs[n++], LG_KS_COMPLETE, -1, LG_OT_MARKET);
    sample_adopt(&evs[n++], LG_KS_TRIGGER_PENDING, -1, LG_OT_SLM);
    LG_ASSERT(n <= max);
    return n;
}

static void rec_init(lg_record_t *r, lg_rec_kind_t k, uint32_t group, const char *tag,
                     int64_t a, int64_t b, int64_t c) {
    memset(r, 0, sizeof *r);
    r->kind = k;
    r->group = group;
    strcpy(r->tag, tag);
    r->a = a;
    r->b = b;
    r->c = c;
}

static uint32_t sample_records(lg_record_t *recs, uint32_t max) {
    uint32_t n = 0;
    LG_ASSERT(max >= 9);
    rec_init(&recs[n++], LG_REC_GROUP_STATE, 1, "", LG_GS_CREATED, LG_GS_VALIDATED, LG_WHY_SUBMIT);
    rec_init(&recs[n++], LG_REC_ORDER_INTENT, 2, "L0000002000E00", 11001, -150, 12345);
    rec_init(&recs[n++], LG_REC_ORDER_STATE, 3, "L0000003100E00", LG_OS_SENT, LG_OS_ACKED, 0);
    rec_init(&recs[n++], LG_REC_FILL, 4, "L0000004200H01", 11003, -75, INT64_MAX);
    rec_init(&recs[n++], LG_REC_TRADING_STATE, 0, "", LG_TS_ACTIVE, LG_TS_HALTED, LG_WHY_KILL);
    rec_init(&recs[n++], LG_REC_PNL, UINT32_MAX, "", INT64_MIN, 0, 0);
    rec_init(&recs[n++], LG_REC_ERROR, 7, "L0000007000X00", LG_EOVERFILL, 0, 0);
    rec_init(&recs[n++], LG_REC_ERROR, 0, "", LG_EINVAL, -1, 1);
    rec_init(&recs[n++], LG_REC_SIZING, 12, "", 7, LG_BOUND_MARGIN, 123456789);
    lg_record_t *r = &recs[n++];
    rec_init(r, LG_REC_ORDER_STATE, 9, "", 0, 0, 0);
    fill_str(r->tag, sizeof r->tag, 'Z');
    return n;
}

static void cmd_init(lg_cmd_t *c, lg_cmd_kind_t k, bool rr, const char *tag, const char *bid) {
    memset(c, 0, sizeof *c);
    c->kind = k;
    c->risk_reducing = rr;
    strcpy(c->tag, tag);
    strcpy(c->broker_id, bid);
}

static uint32_t sample_cmds(lg_cmd_t *cmds, uint32_t max) {
    uint32_t n = 0;
    LG_ASSERT(max >= 9);
    for (int ot = LG_OT_MARKET; ot <= LG_OT_SLM; ot++) {
        lg_cmd_t *c = &cmds[n++];
        cmd_init(c, LG_CMD_PLACE, ot % 2 == 1, "L0000001203E00", "");
        c->token = 11001u + (uint32_t)ot;
        c->side = (int8_t)(ot % 2 ? -1 : 1);
        c->otype = (uint8_t)ot;
        c->mprot_pct = (int16_t)(ot == LG_OT_MARKET || ot == LG_OT_SLM ? 5 : 0);
        c->qty = 1800;
        c->price = ot == LG_OT_MARKET ? 0 : 12345;
        c->trigger = ot >= LG_OT_SL ? 12000 : 0;
    }
    lg_cmd_t *x = &cmds[n++];
    cmd_init(x, LG_CMD_PLACE, true, "L0000001203S00", "");
    x->side = -1;
    x->token = UINT32_MAX;
    x->mprot_pct = INT16_MIN;
    x->qty = INT64_MAX;
    x->price = INT64_MIN;
    x->trigger = INT64_MAX;
    cmd_init(&cmds[n++], LG_CMD_CANCEL, true, "L0000001203E00", "250101000000001");
    cmd_init(&cmds[n++], LG_CMD_CANCEL, true, "L0000001203E01", "");
    cmd_init(&cmds[n++], LG_CMD_QUERY_ORDER, true, "L0000001203E00", "");
    cmd_init(&cmds[n++], LG_CMD_QUERY_POSITIONS, true, "", "");
    cmd_init(&cmds[n++], LG_CMD_QUERY_MARGINS, true, "", "");
    lg_cmd_t *b = &cmds[n++]; /* a basket margin of one unit: every leg's slot used */
    cmd_init(b, LG_CMD_QUERY_BASKET, true, "", "");
    b->group = UINT32_MAX;
    b->asked = INT64_MIN;
    b->n_basket = LG_MAX_LEGS;
    for (uint32_t i = 0; i < LG_MAX_LEGS; i++)
        b->basket[i] = (lg_basket_leg_t){.token = 1000u + i, .qty = i % 2 ? INT32_MIN : INT32_MAX};
    lg_cmd_t *f = &cmds[n++];
    cmd_init(f, LG_CMD_CANCEL, false, "", "");
    fill_str(f->tag, sizeof f->tag, 'A');
    fill_str(f->broker_id, sizeof f->broker_id, 'B');
    return n;
}

/* ---- field-by-field comparison ------------------------------------------------------ */

static void assert_submit_equal(const lg_group_spec_t *a, const lg_group_spec_t *b) {
    assert_int_equal(a->n_legs, b->n_legs);
    for (uint32_t i = 0; i < LG_MAX_LEGS; i++) {
        assert_int_equal(a->legs[i].token, b->legs[i].token);
        assert_int_equal(a->legs[i].side, b->legs[i].side);
        assert_int_equal(a->legs[i].covered_by, b->legs[i].covered_by);
        assert_true(a->legs[i].qty == b->legs[i].qty);
        assert_true(a->legs[i].limit_price == b->legs[i].limit_price);
    }
    assert_int_equal(a->policy, b->policy);
    assert_int_equal(a->on_incomplete, b->on_incomplete);
    assert_true(a->entry_timeout_ns == b->entry_timeout_ns);
}

static void assert_update_equal(const lg_order_update_t *a, const lg_order_update_t *b) {
    assert_string_equal(a->tag, b->tag);
    assert_string_equal(a->broker_id, b->broker_id);
    assert_int_equal(a->status, b->status);
    assert_true(a->quantity == b->quantity);
    assert_true(a->filled == b->filled);
    assert_true(a->avg_price == b->avg_price);
    assert_string_equal(a->message, b->message);
}

static void assert_event_equal(const lg_event_t *a, const lg_event_t *b) {
    assert_int_equal(a->kind, b->kind);
    switch (a->kind) {
    case LG_EV_GROUP_SUBMIT: assert_submit_equal(&a->u.submit, &b->u.submit); break;
    case LG_EV_ORDER_ACK:
        assert_string_equal(a->u.ack.tag, b->u.ack.tag);
        assert_string_equal(a->u.ack.broker_id, b->u.ack.broker_id);
        break;
    case LG_EV_ORDER_ERROR:
        assert_string_equal(a->u.error.tag, b->u.error.tag);
        assert_int_equal(a->u.error.definitive, b->u.error.definitive);
        assert_int_equal(a->u.error.is_cancel, b->u.error.is_cancel);
        assert_int_equal(a->u.error.is_lookup, b->u.error.is_lookup);
        assert_int_equal(a->u.error.http_status, b->u.error.http_status);
        assert_string_equal(a->u.error.message, b->u.error.message);
        break;
    case LG_EV_ORDER_UPDATE: assert_update_equal(&a->u.update, &b->u.update); break;
    case LG_EV_TICK:
        assert_int_equal(a->u.tick.token, b->u.tick.token);
        assert_true(a->u.tick.ltp == b->u.tick.ltp);
        assert_true(a->u.tick.bid == b->u.tick.bid);
        assert_true(a->u.tick.ask == b->u.tick.ask);
        break;
    case LG_EV_TIMER: break;
    case LG_EV_CONTROL:
        assert_int_equal(a->u.control.op, b->u.control.op);
        assert_int_equal(a->u.control.group, b->u.control.group);
        break;
    case LG_EV_POSITIONS:
        assert_int_equal(a->u.positions.n, b->u.positions.n);
        for (uint32_t i = 0; i < a->u.positions.n; i++) {
            assert_int_equal(a->u.positions.rows[i].token, b->u.positions.rows[i].token);
            assert_true(a->u.positions.rows[i].qty == b->u.positions.rows[i].qty);
        }
        break;
    case LG_EV_CONNECTION:
        assert_int_equal(a->u.connection.up, b->u.connection.up);
        assert_int_equal(a->u.connection.session_lost, b->u.connection.session_lost);
        break;
    case LG_EV_INTENT:
        assert_int_equal(a->u.intent.n_legs, b->u.intent.n_legs);
        assert_memory_equal(a->u.intent.legs, b->u.intent.legs, sizeof a->u.intent.legs);
        assert_true(a->u.intent.confidence == b->u.intent.confidence);
        assert_true(a->u.intent.decision_price == b->u.intent.decision_price);
        assert_true(a->u.intent.broker_margin == b->u.intent.broker_margin);
        break;
    case LG_EV_MARGINS:
        assert_true(a->u.margins.available == b->u.margins.available);
        assert_true(a->u.margins.used == b->u.margins.used);
        break;
    case LG_EV_BAND:
        assert_int_equal(a->u.band.token, b->u.band.token);
        assert_true(a->u.band.lo == b->u.band.lo && a->u.band.hi == b->u.band.hi);
        break;
    case LG_EV_STOP:
        assert_int_equal(a->u.stop.group, b->u.stop.group);
        assert_true(a->u.stop.trigger == b->u.stop.trigger && a->u.stop.limit == b->u.stop.limit);
        assert_true(a->u.stop.gap == b->u.stop.gap && a->u.stop.max_loss == b->u.stop.max_loss);
        break;
    case LG_EV_BASKET:
        assert_int_equal(a->u.basket.group, b->u.basket.group);
        assert_true(a->u.basket.asked == b->u.basket.asked);
        assert_int_equal(a->u.basket.ok, b->u.basket.ok);
        assert_true(a->u.basket.initial == b->u.basket.initial && a->u.basket.final == b->u.basket.final);
        assert_string_equal(a->u.basket.message, b->u.basket.message);
        break;
    case LG_EV_ADOPT:
        assert_update_equal(&a->u.adopt.u, &b->u.adopt.u);
        assert_int_equal(a->u.adopt.token, b->u.adopt.token);
        assert_int_equal(a->u.adopt.side, b->u.adopt.side);
        assert_int_equal(a->u.adopt.otype, b->u.adopt.otype);
        assert_true(a->u.adopt.price == b->u.adopt.price && a->u.adopt.trigger == b->u.adopt.trigger);
        break;
    default: fail_msg("unexpected kind %d", (int)a->kind);
    }
}

static void assert_record_equal(const lg_record_t *a, const lg_record_t *b) {
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->group, b->group);
    assert_string_equal(a->tag, b->tag);
    assert_true(a->a == b->a && a->b == b->b && a->c == b->c);
}

static void assert_cmd_equal(const lg_cmd_t *a, const lg_cmd_t *b) {
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->risk_reducing, b->risk_reducing);
    assert_string_equal(a->tag, b->tag);
    assert_string_equal(a->broker_id, b->broker_id);
    assert_int_equal(a->token, b->token);
    assert_int_equal(a->side, b->side);
    assert_int_equal(a->otype, b->otype);
    assert_int_equal(a->mprot_pct, b->mprot_pct);
    assert_true(a->qty == b->qty && a->price == b->price && a->trigger == b->trigger);
}

/* ---- round trips -------------------------------------------------------------------- */

static uint8_t buf[LG_JRNL_MAX];
static uint8_t buf2[LG_JRNL_MAX];
static lg_position_row_t got_rows[LG_JRNL_MAX_ROWS];

static size_t enc_event(const lg_event_t *e, lg_ns_t at, uint8_t *out) {
    size_t len = 0;
    assert_int_equal(lg_jrnl_encode_event(e, at, out, LG_JRNL_MAX, &len), LG_OK);
    assert_true(len >= 12 && len <= LG_JRNL_MAX);
    return len;
}

static void roundtrip_event(const lg_event_t *orig, lg_ns_t at) {
    size_t len = enc_event(orig, at, buf);
    lg_event_t got;
    lg_ns_t got_at = 0;
    memset(&got, 0x5A, sizeof got);
    assert_int_equal(lg_jrnl_decode_event(buf, len, &got, &got_at, got_rows, LG_JRNL_MAX_ROWS),
                     LG_OK);
    assert_true(got_at == at);
    assert_event_equal(orig, &got);
    size_t len2 = enc_event(&got, at, buf2);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    if (orig->kind == LG_EV_POSITIONS) {
        assert_ptr_equal(got.u.positions.rows, got_rows);
        got.u.positions.rows = orig->u.positions.rows;
    }
    assert_memory_equal(orig, &got, sizeof got);
}

static void test_event_roundtrip(void **state) {
    (void)state;
    lg_event_t evs[MAX_SAMPLES];
    uint32_t n = sample_events(evs, MAX_SAMPLES);
    const lg_ns_t ats[3] = {0, 1767225600123456789LL, -1};
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < 3; j++) roundtrip_event(&evs[i], ats[j]);
    /* the largest item there is: exactly LG_JRNL_MAX bytes */
    lg_event_t big;
    sample_positions(&big, full_rows, LG_JRNL_MAX_ROWS);
    assert_int_equal(enc_event(&big, 5, buf), LG_JRNL_MAX);
    roundtrip_event(&big, 5);
}

static void roundtrip_record(const lg_record_t *orig) {
    size_t len = 0, len2 = 0;
    assert_int_equal(lg_jrnl_encode_record(orig, buf, sizeof buf, &len), LG_OK);
    lg_record_t got;
    memset(&got, 0x5A, sizeof got);
    assert_int_equal(lg_jrnl_decode_record(buf, len, &got), LG_OK);
    assert_record_equal(orig, &got);
    assert_memory_equal(orig, &got, sizeof got);
    assert_int_equal(lg_jrnl_encode_record(&got, buf2, sizeof buf2, &len2), LG_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
}

static void test_record_roundtrip(void **state) {
    (void)state;
    lg_record_t recs[MAX_SAMPLES];
    uint32_t n = sample_records(recs, MAX_SAMPLES);
    bool seen[LG_REC_SIZING + 1] = {false};
    for (uint32_t i = 0; i < n; i++) {
        roundtrip_record(&recs[i]);
        seen[recs[i].kind] = true;
    }
    for (int k = LG_REC_GROUP_STATE; k <= LG_REC_SIZING; k++) assert_true(seen[k]);
}

static void roundtrip_cmd(const lg_cmd_t *orig) {
    size_t len = 0, len2 = 0;
    assert_int_equal(lg_jrnl_encode_cmd(orig, buf, sizeof buf, &len), LG_OK);
    lg_cmd_t got;
    memset(&got, 0x5A, sizeof got);
    assert_int_equal(lg_jrnl_decode_cmd(buf, len, &got), LG_OK);
    assert_cmd_equal(orig, &got);
    assert_memory_equal(orig, &got, sizeof got);
    assert_int_equal(lg_jrnl_encode_cmd(&got, buf2, sizeof buf2, &len2), LG_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
}

static void test_cmd_roundtrip(void **state) {
    (void)state;
    lg_cmd_t cmds[MAX_SAMPLES];
    uint32_t n = sample_cmds(cmds, MAX_SAMPLES);
    bool seen[LG_CMD_QUERY_BASKET + 1] = {false};
    for (uint32_t i = 0; i < n; i++) {
        roundtrip_cmd(&cmds[i]);
        seen[cmds[i].kind] = true;
    }
    for (int k = LG_CMD_PLACE; k <= LG_CMD_QUERY_MARGINS; k++) assert_true(seen[k]);
    assert_true(seen[LG_CMD_QUERY_BASKET]);
    lg_cmd_t none;
    cmd_init(&none, LG_CMD_QUERY_BASKET, true, "", ""); /* a basket of nothing */
    size_t len = 0;
    assert_int_equal(lg_jrnl_encode_cmd(&none, buf, sizeof buf, &len), LG_EINVAL);
}

/* ---- golden bytes ------------------------------------------------------------------- */

static void test_golden(void **state) {
    (void)state;
    lg_event_t e;
    sample_control(&e, LG_CTL_KILL, 7);
    static const uint8_t control[] = {0xA7, 0x01, 0x01, 0x07, 0x08, 0x07, 0x06, 0x05, 0x04,
                                      0x03, 0x02, 0x01, 0x01, 0x07, 0x00, 0x00, 0x00};
    size_t len = enc_event(&e, 0x0102030405060708LL, buf);
    assert_int_equal(len, sizeof control);
    assert_memory_equal(buf, control, sizeof control);

    sample_ack(&e);
    static const uint8_t ack[] = {0xA7, 0x01, 0x01, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                  0xFF, 0xFF, 14,   'L',  '0',  '0',  '0',  '0',  '0',  '0',
                                  '1',  '2',  '0',  '3',  'E',  '0',  '0',  15,   '2',  '5',
                                  '0',  '1',  '0',  '1',  '0',  '0',  '0',  '0',  '0',  '0',
                                  '0',  '0',  '1'};
    len = enc_event(&e, -1, buf);
    assert_int_equal(len, sizeof ack);
    assert_memory_equal(buf, ack, sizeof ack);

    lg_record_t r;
    rec_init(&r, LG_REC_FILL, 0x01020304u, "", -1, 2, 0);
    static const uint8_t rec[] = {0xA7, 0x01, 0x02, 0x04, 0x04, 0x03, 0x02, 0x01, 0x00,
                                  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02,
                                  0,    0,    0,    0,    0,    0,    0,    0,    0,
                                  0,    0,    0,    0,    0,    0};
    assert_int_equal(lg_jrnl_encode_record(&r, buf, sizeof buf, &len), LG_OK);
    assert_int_equal(len, sizeof rec);
    assert_memory_equal(buf, rec, sizeof rec);

    lg_cmd_t c;
    cmd_init(&c, LG_CMD_QUERY_POSITIONS, true, "", "");
    c.side = -1;
    c.otype = LG_OT_SLM;
    c.mprot_pct = -2;
    static const uint8_t cmd[] = {0xA7, 0x01, 0x03, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0xFF, 0x03, 0xFE, 0xFF, 0,    0,    0,
                                  0,    0,    0,    0,    0,    0,    0,    0,    0,
                                  0,    0,    0,    0,    0,    0,    0,    0,    0,
                                  0,    0,    0};
    assert_int_equal(lg_jrnl_encode_cmd(&c, buf, sizeof buf, &len), LG_OK);
    assert_int_equal(len, sizeof cmd);
    assert_memory_equal(buf, cmd, sizeof cmd);
}

static void test_hash(void **state) {
    (void)state;
    assert_true(lg_jrnl_hash(NULL, 0) == 0xcbf29ce484222325ull);
    assert_true(lg_jrnl_hash((const uint8_t *)"a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(lg_jrnl_hash((const uint8_t *)"foobar", 6) == 0x85944171f73967e8ull);
}

/* ---- decoding refuses --------------------------------------------------------------- */

/* A hand-made byte string, to build inputs the encoder would never write. */
typedef struct tb {
    uint8_t b[512];
    size_t n;
} tb_t;

static void tb_u(tb_t *t, uint64_t v, unsigned width) {
    LG_ASSERT(t->n + width <= sizeof t->b);
    for (unsigned i = 0; i < width; i++) t->b[t->n++] = (uint8_t)(v >> (8u * i));
}

static void tb_raw(tb_t *t, const void *p, size_t n) {
    LG_ASSERT(t->n + n <= sizeof t->b);
    memcpy(t->b + t->n, p, n);
    t->n += n;
}

static void tb_str(tb_t *t, const char *s) {
    size_t n = strlen(s);
    tb_u(t, n, 1);
    tb_raw(t, s, n);
}

static void tb_head(tb_t *t, unsigned item, unsigned kind) {
    t->n = 0;
    tb_u(t, 0xA7, 1);
    tb_u(t, 1, 1);
    tb_u(t, item, 1);
    tb_u(t, kind, 1);
    if (item == LG_JRNL_EVENT) tb_u(t, 42, 8);
}

/* Each decoder on p[0..n) must return `want` and leave every output as it was. */
static void expect_event_err(const uint8_t *p, size_t n, int want, uint32_t max_rows) {
    lg_event_t ev, ev0;
    lg_ns_t at = 99;
    memset(&ev, 0xCD, sizeof ev);
    memcpy(&ev0, &ev, sizeof ev);
    lg_position_row_t rows[8], rows0[8];
    memset(rows, 0xEE, sizeof rows);
    memcpy(rows0, rows, sizeof rows);
    LG_ASSERT(max_rows <= 8);
    assert_int_equal(lg_jrnl_decode_event(p, n, &ev, &at, rows, max_rows), want);
    assert_memory_equal(&ev, &ev0, sizeof ev);
    assert_true(at == 99);
    assert_memory_equal(rows, rows0, sizeof rows);
}

static void expect_record_err(const uint8_t *p, size_t n, int want) {
    lg_record_t r, r0;
    memset(&r, 0xCD, sizeof r);
    memcpy(&r0, &r, sizeof r);
    assert_int_equal(lg_jrnl_decode_record(p, n, &r), want);
    assert_memory_equal(&r, &r0, sizeof r);
}

static void expect_cmd_err(const uint8_t *p, size_t n, int want) {
    lg_cmd_t c, c0;
    memset(&c, 0xCD, sizeof c);
    memcpy(&c0, &c, sizeof c);
    assert_int_equal(lg_jrnl_decode_cmd(p, n, &c), want);
    assert_memory_equal(&c, &c0, sizeof c);
}

static void test_decode_header_errors(void **state) {
    (void)state;
    lg_event_t e;
    sample_ack(&e);
    size_t len = enc_event(&e, 1, buf);
    memcpy(buf2, buf, len);
    buf2[0] = 0xA6; /* magic */
    expect_event_err(buf2, len, LG_EPARSE, 0);
    memcpy(buf2, buf, len);
    buf2[1] = 0; /* version 0 never existed */
    expect_event_err(buf2, len, LG_EPARSE, 0);
    buf2[1] = 2; /* from the future */
    expect_event_err(buf2, len, LG_ERANGE, 0);
    buf2[1] = 0xFF;
    expect_event_err(buf2, len, LG_ERANGE, 0);
    memcpy(buf2, buf, len);
    expect_record_err(buf2, len, LG_EPARSE); /* an event is not a record */
    expect_cmd_err(buf2, len, LG_EPARSE);
    buf2[2] = 0;
    expect_event_err(buf2, len, LG_EPARSE, 0);
    expect_event_err(buf, 0, LG_EPARSE, 0); /* truncated */
    expect_event_err(NULL, 0, LG_EPARSE, 0);
    expect_event_err(buf, 3, LG_EPARSE, 0);
    expect_event_err(buf, len - 1, LG_EPARSE, 0);
    buf[len] = 0; /* trailing byte */
    expect_event_err(buf, len + 1, LG_EPARSE, 0);

    lg_record_t r;
    rec_init(&r, LG_REC_PNL, 1, "", 5, 0, 0);
    assert_int_equal(lg_jrnl_encode_record(&r, buf, sizeof buf, &len), LG_OK);
    memcpy(buf2, buf, len);
    buf2[0] = 0;
    expect_record_err(buf2, len, LG_EPARSE);
    buf2[0] = 0xA7;
    buf2[1] = 3;
    expect_record_err(buf2, len, LG_ERANGE);
    expect_record_err(buf, len - 1, LG_EPARSE);
    expect_record_err(buf, len + 1, LG_EPARSE);
    expect_event_err(buf, len, LG_EPARSE, 0);

    lg_cmd_t c;
    cmd_init(&c, LG_CMD_CANCEL, true, "L0000001203E00", "1");
    assert_int_equal(lg_jrnl_encode_cmd(&c, buf, sizeof buf, &len), LG_OK);
    memcpy(buf2, buf, len);
    buf2[0] = 0x7A;
    expect_cmd_err(buf2, len, LG_EPARSE);
    buf2[0] = 0xA7;
    buf2[1] = 2;
    expect_cmd_err(buf2, len, LG_ERANGE);
    expect_cmd_err(buf, len - 1, LG_EPARSE);
    expect_cmd_err(buf, len + 1, LG_EPARSE);
}

static void test_decode_unknown_kind(void **state) {
    (void)state;
    const unsigned ev_bad[] = {LG_EV_NONE, LG_EV__COUNT, 0x7F, 0xFF};
    for (size_t i = 0; i < LG_COUNT(ev_bad); i++) {
        tb_t t;
        tb_head(&t, LG_JRNL_EVENT, ev_bad[i]);
        expect_event_err(t.b, t.n, LG_EPARSE, 0);
    }
    const unsigned rec_bad[] = {0, LG_REC_SIZING + 1, 0xFF};
    for (size_t i = 0; i < LG_COUNT(rec_bad); i++) {
        tb_t t;
        tb_head(&t, LG_JRNL_RECORD, rec_bad[i]);
        tb_u(&t, 1, 4);
        tb_str(&t, "");
        tb_u(&t, 0, 8);
        tb_u(&t, 0, 8);
        tb_u(&t, 0, 8);
        expect_record_err(t.b, t.n, LG_EPARSE);
        t.b[3] = LG_REC_ERROR; /* the same bytes with a good kind decode */
        lg_record_t r;
        assert_int_equal(lg_jrnl_decode_record(t.b, t.n, &r), LG_OK);
    }
    const unsigned cmd_bad[] = {0, LG_CMD_QUERY_MARGINS + 1, 0xFF};
    for (size_t i = 0; i < LG_COUNT(cmd_bad); i++) {
        lg_cmd_t c;
        size_t len = 0;
        cmd_init(&c, LG_CMD_QUERY_POSITIONS, true, "", "");
        assert_int_equal(lg_jrnl_encode_cmd(&c, buf, sizeof buf, &len), LG_OK);
        buf[3] = (uint8_t)cmd_bad[i];
        expect_cmd_err(buf, len, LG_EPARSE);
    }
}

/* A CONTROL event with the given op byte; an update with the given status byte. */
static void build_control(tb_t *t, unsigned op) {
    tb_head(t, LG_JRNL_EVENT, LG_EV_CONTROL);
    tb_u(t, op, 1);
    tb_u(t, 3, 4);
}

static void build_update(tb_t *t, const char *tag, unsigned status, int64_t qty,
                         int64_t filled) {
    tb_head(t, LG_JRNL_EVENT, LG_EV_ORDER_UPDATE);
    tb_str(t, tag);
    tb_str(t, "123");
    tb_u(t, status, 1);
    tb_u(t, (uint64_t)qty, 8);
    tb_u(t, (uint64_t)filled, 8);
    tb_u(t, 100, 8);
    tb_str(t, "");
}

/* A submit of one leg: qty, then policy and on_incomplete bytes; n_legs as given. */
static void build_submit(tb_t *t, uint32_t n_legs, int64_t qty, unsigned policy, unsigned inc) {
    tb_head(t, LG_JRNL_EVENT, LG_EV_GROUP_SUBMIT);
    tb_u(t, n_legs, 4);
    for (uint32_t i = 0; i < n_legs; i++) {
        tb_u(t, 11001, 4);
        tb_u(t, 1, 1);
        tb_u(t, 0xFF, 1);
        tb_u(t, (uint64_t)qty, 8);
        tb_u(t, 0, 8);
    }
    tb_u(t, policy, 1);
    tb_u(t, inc, 1);
    tb_u(t, 0, 8);
}

static void test_decode_value_errors(void **state) {
    (void)state;
    tb_t t;
    lg_event_t ev;
    lg_ns_t at;
    /* the hand-built bytes are valid as given */
    build_control(&t, LG_CTL_EXIT_GROUP);
    assert_int_equal(lg_jrnl_decode_event(t.b, t.n, &ev, &at, NULL, 0), LG_OK);
    assert_int_equal(ev.u.control.op, LG_CTL_EXIT_GROUP);
    assert_true(at == 42);
    build_update(&t, "L1", LG_KS_REJECTED, 75, 0);
    assert_int_equal(lg_jrnl_decode_event(t.b, t.n, &ev, &at, NULL, 0), LG_OK);
    build_submit(&t, 1, 75, 0xFF, 0xFF);
    assert_int_equal(lg_jrnl_decode_event(t.b, t.n, &ev, &at, NULL, 0), LG_OK);
    assert_int_equal(ev.u.submit.policy, -1);
    assert_int_equal(ev.u.submit.legs[0].covered_by, -1);

    /* enums out of range */
    const unsigned ops[] = {0, LG_CTL_RECOVERED + 1, 0xFF};
    for (size_t i = 0; i < LG_COUNT(ops); i++) {
        build_control(&t, ops[i]);
        expect_event_err(t.b, t.n, LG_EPARSE, 0);
    }
    build_update(&t, "L1", LG_KS__COUNT, 75, 0);
    expect_event_err(t.b, t.n, LG_EPARSE, 0);
    build_update(&t, "L1", 0xFF, 75, 0);
    expect_event_err(t.b, t.n, LG_EPARSE, 0);
    build_submit(&t, 1, 75, 0xFE, 0); /* policy -2 */
    expect_event_err(t.b, t.n, LG_EPARSE, 0);
    build_submit(&t, 1, 75, LG_POLICY_NAIVE + 1, 0);
    expect_event_err(t.b, t.n, LG_EPARSE, 0);
    build_submit(&t, 1, 75, 0, LG_INCOMPLETE_SHRINK + 1);
    expect_event_err(t.b, t.n, LG_EPARSE, 0);
    build_submit(&t, LG_MAX_LEGS + 1, 75, 0, 0); /* too many legs */
    expect_event_err(t.b, t.n, LG_EPARSE, 0);
    lg_cmd_t c;
    size_t len = 0;
    cmd_init(&c, LG_CMD_PLACE, false, "L1", "");
    assert_int_equal(lg_jrnl_encode_cmd(&c, buf, sizeof buf, &len), LG_OK);
    size_t otype_at = 4 + 1 + 3 + 1 + 4 + 1;
    buf[otype_at] = LG_OT_SLM + 1;
    expect_cmd_err(buf, len, LG_EPARSE);
    buf[otype_at] = LG_OT_SLM;
    assert_int_equal(lg_jrnl_decode_cmd(buf, len, &c), LG_OK);

    /* a double is finite: NaN bits in an intent's confidence are refused */
    {
        lg_event_t in;
        sample_intent(&in, 2, 0.5);
        size_t ilen = enc_event(&in, 0, buf);
        size_t conf_at = 4 + 8 + 4 + 2 * 16 + 3;
        uint64_t nan_bits = 0x7FF8000000000001ull;
        for (int b = 0; b < 8; b++) buf[conf_at + (size_t)b] = (uint8_t)(nan_bits >> (8 * b));
        expect_event_err(buf, ilen, LG_EPARSE, 0);
    }
    /* a connection is 0, 1 or 2 */
    tb_head(&t, LG_JRNL_EVENT, LG_EV_CONNECTION);
    tb_u(&t, 3, 1);
    expect_event_err(t.b, t.n, LG_EPARSE, 0);
    t.b[t.n - 1] = 1;
    assert_int_equal(lg_jrnl_decode_event(t.b, t.n, &ev, &at, NULL, 0), LG_OK);
    buf[4] = 0x80; /* cmd risk_reducing */
    expect_cmd_err(buf, len, LG_EPARSE);
    lg_event_t e;
    sample_error(&e, 0);
    len = enc_event(&e, 0, buf);
    size_t flags_at = 12 + 1 + strlen(e.u.error.tag);
    for (size_t i = 0; i < 3; i++) {
        memcpy(buf2, buf, len);
        buf2[flags_at + i] = 3;
        expect_event_err(buf2, len, LG_EPARSE, 0);
    }

    /* negative quantities */
    build_update(&t, "L1", LG_KS_OPEN, -75, 0);
    expect_event_err(t.b, t.n, LG_EQTY, 0);
    build_update(&t, "L1", LG_KS_OPEN, 75, -1);
    expect_event_err(t.b, t.n, LG_EQTY, 0);
    build_submit(&t, 1, INT64_MIN, 0, 0);
    expect_event_err(t.b, t.n, LG_EQTY, 0);
    cmd_init(&c, LG_CMD_PLACE, false, "", "");
    c.qty = 1;
    assert_int_equal(lg_jrnl_encode_cmd(&c, buf, sizeof buf, &len), LG_OK);
    buf[len - 24 + 7] = 0x80; /* qty's top byte: negative */
    expect_cmd_err(buf, len, LG_EQTY);
}

static void test_decode_string_errors(void **state) {
    (void)state;
    tb_t t;
    char s[LG_STATUS_MSG_MAX + 1];
    /* a tag of LG_TAG_MAX characters fits; one more leaves no room for the NUL */
    memset(s, 'T', sizeof s);
    s[LG_TAG_MAX] = '\0';
    build_update(&t, s, LG_KS_OPEN, 75, 0);
    lg_event_t ev;
    lg_ns_t at;
    assert_int_equal(lg_jrnl_decode_event(t.b, t.n, &ev, &at, NULL, 0), LG_OK);
    s[LG_TAG_MAX] = 'T';
    s[LG_TAG_MAX + 1] = '\0';
    build_update(&t, s, LG_KS_OPEN, 75, 0);
    expect_event_err(t.b, t.n, LG_EPARSE, 0);
    /* broker id of LG_BROKER_ID_MAX characters */
    tb_head(&t, LG_JRNL_EVENT, LG_EV_ORDER_ACK);
    tb_str(&t, "L1");
    memset(s, '7', sizeof s);
    s[LG_BROKER_ID_MAX] = '\0';
    tb_str(&t, s);
    expect_event_err(t.b, t.n, LG_EPARSE, 0);
    /* a message of LG_STATUS_MSG_MAX characters */
    memset(s, 'm', sizeof s);
    s[LG_STATUS_MSG_MAX] = '\0';
    tb_head(&t, LG_JRNL_EVENT, LG_EV_ORDER_ERROR);
    tb_str(&t, "L1");
    tb_u(&t, 0, 3);
    tb_u(&t, 0, 4);
    tb_str(&t, s);
    expect_event_err(t.b, t.n, LG_EPARSE, 0);
    /* a NUL inside a string */
    tb_head(&t, LG_JRNL_EVENT, LG_EV_ORDER_ACK);
    tb_u(&t, 3, 1);
    tb_raw(&t, "L\0X", 3);
    tb_str(&t, "1");
    expect_event_err(t.b, t.n, LG_EPARSE, 0);
    t.b[14] = 'Y';
    assert_int_equal(lg_jrnl_decode_event(t.b, t.n, &ev, &at, NULL, 0), LG_OK);
    assert_string_equal(ev.u.ack.tag, "LYX");
    /* a length past the end of the input */
    tb_head(&t, LG_JRNL_EVENT, LG_EV_ORDER_ACK);
    tb_str(&t, "L1");
    tb_u(&t, 5, 1);
    tb_raw(&t, "1234", 4);
    expect_event_err(t.b, t.n, LG_EPARSE, 0);
    /* the same for records and commands */
    lg_record_t r;
    size_t len = 0;
    rec_init(&r, LG_REC_FILL, 1, "ABC", 0, 0, 0);
    assert_int_equal(lg_jrnl_encode_record(&r, buf, sizeof buf, &len), LG_OK);
    buf[10] = '\0';
    expect_record_err(buf, len, LG_EPARSE);
    lg_cmd_t c;
    cmd_init(&c, LG_CMD_CANCEL, true, "", "ABC");
    assert_int_equal(lg_jrnl_encode_cmd(&c, buf, sizeof buf, &len), LG_OK);
    buf[8] = '\0';
    expect_cmd_err(buf, len, LG_EPARSE);
}

static void test_decode_positions_errors(void **state) {
    (void)state;
    lg_event_t e;
    lg_position_row_t rows[8];
    sample_positions(&e, rows, 8);
    size_t len = enc_event(&e, 3, buf);
    expect_event_err(buf, len, LG_ENOSPACE, 7); /* rows untouched too */
    expect_event_err(buf, len, LG_ENOSPACE, 0);
    expect_event_err(buf, len - 1, LG_EPARSE, 8); /* malformed beats too small */
    expect_event_err(buf, len - 1, LG_EPARSE, 7);
    buf[len] = 0;
    expect_event_err(buf, len + 1, LG_EPARSE, 8);
    tb_t t;
    tb_head(&t, LG_JRNL_EVENT, LG_EV_POSITIONS);
    tb_u(&t, LG_JRNL_MAX_ROWS + 1, 4);
    expect_event_err(t.b, t.n, LG_EPARSE, 8);
    tb_head(&t, LG_JRNL_EVENT, LG_EV_POSITIONS);
    tb_u(&t, UINT32_MAX, 4);
    expect_event_err(t.b, t.n, LG_EPARSE, 8);
    /* zero rows need no buffer */
    tb_head(&t, LG_JRNL_EVENT, LG_EV_POSITIONS);
    tb_u(&t, 0, 4);
    lg_ns_t at;
    assert_int_equal(lg_jrnl_decode_event(t.b, t.n, &e, &at, NULL, 0), LG_OK);
    assert_int_equal(e.u.positions.n, 0);
}

/* ---- encoding refuses --------------------------------------------------------------- */

static void test_encode_errors(void **state) {
    (void)state;
    size_t len = 12345;
    lg_event_t e;
    ev_init(&e, LG_EV_NONE);
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);
    e.kind = LG_EV__COUNT;
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);
    sample_connection(&e, true);
    e.u.connection.session_lost = true; /* up and lost at once */
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);
    sample_intent(&e, 2, 0.0 / 0.0); /* a double the journal cannot hold */
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);
    sample_intent(&e, 2, 0.5);
    e.u.intent.n_legs = LG_MAX_LEGS + 1;
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);
    sample_intent(&e, 2, 0.5);
    e.u.intent.policy = 9;
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);
    sample_update(&e, LG_KS_OPEN);
    e.u.update.status = LG_KS__COUNT;
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);
    sample_update(&e, LG_KS_OPEN);
    memset(e.u.update.tag, 'T', sizeof e.u.update.tag); /* no NUL */
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);
    sample_update(&e, LG_KS_OPEN);
    e.u.update.filled = -1;
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EQTY);
    sample_submit4(&e);
    e.u.submit.n_legs = LG_MAX_LEGS + 1;
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);
    sample_submit4(&e);
    e.u.submit.policy = 3;
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);
    sample_submit4(&e);
    e.u.submit.legs[2].qty = -75;
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EQTY);
    sample_control(&e, (lg_control_op_t)0, 1);
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);
    sample_positions(&e, sample_rows, 3);
    e.u.positions.rows = NULL;
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);
    e.u.positions.rows = full_rows;
    e.u.positions.n = LG_JRNL_MAX_ROWS + 1;
    assert_int_equal(lg_jrnl_encode_event(&e, 0, buf, sizeof buf, &len), LG_EINVAL);

    lg_record_t r;
    rec_init(&r, LG_REC_FILL, 1, "", 0, 0, 0);
    r.kind = (lg_rec_kind_t)0;
    assert_int_equal(lg_jrnl_encode_record(&r, buf, sizeof buf, &len), LG_EINVAL);
    r.kind = (lg_rec_kind_t)(LG_REC_SIZING + 1);
    assert_int_equal(lg_jrnl_encode_record(&r, buf, sizeof buf, &len), LG_EINVAL);
    rec_init(&r, LG_REC_FILL, 1, "", 0, 0, 0);
    memset(r.tag, 'x', sizeof r.tag);
    assert_int_equal(lg_jrnl_encode_record(&r, buf, sizeof buf, &len), LG_EINVAL);

    lg_cmd_t c;
    cmd_init(&c, (lg_cmd_kind_t)0, false, "", "");
    assert_int_equal(lg_jrnl_encode_cmd(&c, buf, sizeof buf, &len), LG_EINVAL);
    cmd_init(&c, LG_CMD_PLACE, false, "", "");
    c.otype = LG_OT_SLM + 1;
    assert_int_equal(lg_jrnl_encode_cmd(&c, buf, sizeof buf, &len), LG_EINVAL);
    c.otype = LG_OT_LIMIT;
    c.qty = -1;
    assert_int_equal(lg_jrnl_encode_cmd(&c, buf, sizeof buf, &len), LG_EQTY);
    cmd_init(&c, LG_CMD_CANCEL, false, "", "");
    memset(c.broker_id, '1', sizeof c.broker_id);
    assert_int_equal(lg_jrnl_encode_cmd(&c, buf, sizeof buf, &len), LG_EINVAL);
    assert_int_equal(len, 12345); /* untouched by every refusal */
}

/* Every capacity short of the encoding's length is LG_ENOSPACE, *len untouched, and
 * nothing is written past the capacity. */
static void test_encode_nospace(void **state) {
    (void)state;
    lg_event_t e;
    sample_submit8(&e);
    size_t full = enc_event(&e, 1, buf);
    for (size_t cap = 0; cap < full; cap++) {
        size_t len = 777;
        memset(buf2, 0xEE, sizeof buf2);
        assert_int_equal(lg_jrnl_encode_event(&e, 1, buf2, cap, &len), LG_ENOSPACE);
        assert_int_equal(len, 777);
        for (size_t i = cap; i < full + 8; i++) assert_int_equal(buf2[i], 0xEE);
    }
    lg_record_t r;
    rec_init(&r, LG_REC_FILL, 1, "L1", 1, 2, 3);
    size_t len = 0;
    assert_int_equal(lg_jrnl_encode_record(&r, buf, sizeof buf, &len), LG_OK);
    for (size_t cap = 0; cap < len; cap++) {
        size_t l2 = 777;
        assert_int_equal(lg_jrnl_encode_record(&r, buf2, cap, &l2), LG_ENOSPACE);
        assert_int_equal(l2, 777);
    }
    lg_cmd_t c;
    cmd_init(&c, LG_CMD_CANCEL, true, "L1", "B1");
    assert_int_equal(lg_jrnl_encode_cmd(&c, buf, sizeof buf, &len), LG_OK);
    for (size_t cap = 0; cap < len; cap++) {
        size_t l2 = 777;
        assert_int_equal(lg_jrnl_encode_cmd(&c, buf2, cap, &l2), LG_ENOSPACE);
        assert_int_equal(l2, 777);
    }
}

/* ---- truncation --------------------------------------------------------------------- */

static void truncate_event(const lg_event_t *e) {
    static uint8_t whole[LG_JRNL_MAX];
    size_t len = enc_event(e, 123, whole);
    for (size_t k = 0; k < len; k++) {
        /* a fresh copy of exactly k bytes, so ASan sees any read past the end */
        static uint8_t part[LG_JRNL_MAX];
        memcpy(part, whole, k);
        expect_event_err(part, k, LG_EPARSE, 8);
    }
}

static void test_truncation(void **state) {
    (void)state;
    lg_event_t e;
    sample_submit8(&e);
    truncate_event(&e);
    sample_error(&e, 7);
    truncate_event(&e);
    sample_update(&e, LG_KS_REJECTED);
    truncate_event(&e);
    lg_position_row_t rows[8];
    sample_positions(&e, rows, 8);
    truncate_event(&e);
    lg_record_t recs[MAX_SAMPLES];
    uint32_t n = sample_records(recs, MAX_SAMPLES);
    for (uint32_t i = 0; i < n; i++) {
        size_t len = 0;
        assert_int_equal(lg_jrnl_encode_record(&recs[i], buf, sizeof buf, &len), LG_OK);
        for (size_t k = 0; k < len; k++) expect_record_err(buf, k, LG_EPARSE);
    }
    lg_cmd_t cmds[MAX_SAMPLES];
    n = sample_cmds(cmds, MAX_SAMPLES);
    for (uint32_t i = 0; i < n; i++) {
        size_t len = 0;
        assert_int_equal(lg_jrnl_encode_cmd(&cmds[i], buf, sizeof buf, &len), LG_OK);
        for (size_t k = 0; k < len; k++) expect_cmd_err(buf, k, LG_EPARSE);
    }
}

/* ---- fuzz --------------------------------------------------------------------------- */

typedef struct sample {
    uint8_t bytes[320];
    size_t len;
} sample_t;

static sample_t corpus[3 * MAX_SAMPLES];

static uint64_t xorshift64(uint64_t *s) {
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static uint32_t build_corpus(void) {
    uint32_t n = 0;
    lg_event_t evs[MAX_SAMPLES];
    uint32_t ne = sample_events(evs, MAX_SAMPLES);
    for (uint32_t i = 0; i < ne; i++) {
        assert_int_equal(lg_jrnl_encode_event(&evs[i], (lg_ns_t)i * 1000, corpus[n].bytes,
                                              sizeof corpus[n].bytes, &corpus[n].len),
                         LG_OK);
        n++;
    }
    lg_record_t recs[MAX_SAMPLES];
    uint32_t nr = sample_records(recs, MAX_SAMPLES);
    for (uint32_t i = 0; i < nr; i++, n++)
        assert_int_equal(lg_jrnl_encode_record(&recs[i], corpus[n].bytes, sizeof corpus[n].bytes,
                                               &corpus[n].len),
                         LG_OK);
    lg_cmd_t cmds[MAX_SAMPLES];
    uint32_t nc = sample_cmds(cmds, MAX_SAMPLES);
    for (uint32_t i = 0; i < nc; i++, n++)
        assert_int_equal(lg_jrnl_encode_cmd(&cmds[i], corpus[n].bytes, sizeof corpus[n].bytes,
                                            &corpus[n].len),
                         LG_OK);
    LG_ASSERT(n <= LG_COUNT(corpus));
    return n;
}

/* Flips 1..4 random bytes (sometimes to a small value, since lengths and enums are
 * small), and sometimes drops or adds a byte at the end. */
static size_t mutate(uint64_t *seed, const sample_t *s, uint8_t *out) {
    size_t len = s->len;
    memcpy(out, s->bytes, len);
    unsigned flips = 1 + (unsigned)(xorshift64(seed) % 4);
    for (unsigned i = 0; i < flips; i++) {
        uint64_t r = xorshift64(seed);
        size_t at = (size_t)(r % len);
        uint8_t v = (uint8_t)(r >> 32);
        out[at] = (r >> 40) % 2 ? (uint8_t)(v % 24) : (uint8_t)(out[at] ^ (v | 1u));
    }
    uint64_t r = xorshift64(seed) % 16;
    if (r == 0 && len > 1) len--;
    if (r == 1) out[len++] = (uint8_t)xorshift64(seed);
    return len;
}

/* Whatever decodes must re-encode to exactly the bytes it came from. */
static bool fuzz_one(const uint8_t *in, size_t len) {
    bool ok = false;
    size_t l2 = 0;
    lg_event_t ev;
    lg_ns_t at;
    if (lg_jrnl_decode_event(in, len, &ev, &at, got_rows, BIG_ROWS) == LG_OK) {
        assert_int_equal(lg_jrnl_encode_event(&ev, at, buf2, sizeof buf2, &l2), LG_OK);
        ok = true;
    }
    lg_record_t r;
    if (lg_jrnl_decode_record(in, len, &r) == LG_OK) {
        assert_false(ok);
        assert_int_equal(lg_jrnl_encode_record(&r, buf2, sizeof buf2, &l2), LG_OK);
        ok = true;
    }
    lg_cmd_t c;
    if (lg_jrnl_decode_cmd(in, len, &c) == LG_OK) {
        assert_false(ok);
        assert_int_equal(lg_jrnl_encode_cmd(&c, buf2, sizeof buf2, &l2), LG_OK);
        ok = true;
    }
    if (ok) {
        assert_int_equal(l2, len);
        assert_memory_equal(buf2, in, len);
    }
    return ok;
}

static void test_fuzz(void **state) {
    (void)state;
    uint32_t n = build_corpus();
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    uint32_t accepted = 0, refused = 0;
    static uint8_t m[400];
    for (uint32_t it = 0; it < 20000; it++) {
        const sample_t *s = &corpus[xorshift64(&seed) % n];
        size_t len = mutate(&seed, s, m);
        if (fuzz_one(m, len))
            accepted++;
        else
            refused++;
    }
    /* both outcomes were exercised */
    assert_true(accepted > 1000);
    assert_true(refused > 1000);
}

/* ---- argument assertions ------------------------------------------------------------ */

/* Runs call `which` in a child process; true when the child died of an assertion. */
static bool call_aborts(int which) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL) _exit(3);
        static uint8_t b[LG_JRNL_MAX];
        lg_event_t e;
        lg_ns_t at;
        size_t len;
        sample_ack(&e);
        switch (which) {
        case 0: (void)lg_jrnl_encode_event(NULL, 0, b, sizeof b, &len); break;
        case 1: (void)lg_jrnl_encode_event(&e, 0, NULL, sizeof b, &len); break;
        case 2: (void)lg_jrnl_encode_event(&e, 0, b, sizeof b, NULL); break;
        case 3: (void)lg_jrnl_decode_event(NULL, 4, &e, &at, NULL, 0); break;
        case 4: (void)lg_jrnl_decode_event(b, 4, NULL, &at, NULL, 0); break;
        case 5: (void)lg_jrnl_decode_event(b, 4, &e, NULL, NULL, 0); break;
        case 6: (void)lg_jrnl_decode_event(b, 4, &e, &at, NULL, 1); break;
        case 7: (void)lg_jrnl_encode_record(NULL, b, sizeof b, &len); break;
        case 8: (void)lg_jrnl_decode_record(b, 4, NULL); break;
        case 9: (void)lg_jrnl_encode_cmd(NULL, b, sizeof b, &len); break;
        case 10: (void)lg_jrnl_decode_cmd(b, 4, NULL); break;
        case 11: (void)lg_jrnl_hash(NULL, 1); break;
        default: (void)lg_jrnl_hash(b, 1); break; /* the control: no abort */
        }
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void test_argument_asserts(void **state) {
    (void)state;
    for (int i = 0; i <= 11; i++) assert_true(call_aborts(i));
    assert_false(call_aborts(12));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_roundtrip),
        cmocka_unit_test(test_record_roundtrip),
        cmocka_unit_test(test_cmd_roundtrip),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_decode_header_errors),
        cmocka_unit_test(test_decode_unknown_kind),
        cmocka_unit_test(test_decode_value_errors),
        cmocka_unit_test(test_decode_string_errors),
        cmocka_unit_test(test_decode_positions_errors),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_encode_nospace),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_argument_asserts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
