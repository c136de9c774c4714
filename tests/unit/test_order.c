/*
 * test_order.c — unit tests for the order lifecycle (src/core/order.c): Kite status
 * parsing and mapping, init / send / ack / send-error transitions, and the
 * idempotent update rules: rank never lowers, fills never decrease, terminal states
 * absorb all but late fills, every refused update leaves the order byte-for-byte
 * untouched, and any delivery order of the same updates ends in the same place.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "legato/order.h"

#define QTY 75
#define T0 1000

static const lg_tag_t order_id = {.group = 42, .leg = 1, .child = 2, .purpose = 'E',
                                  .attempt = 0};

static void new_order(lg_order_t *o) {
    lg_order_init(o, &order_id, 12345, -1, LG_OT_LIMIT, QTY, 10050, 0, 0, false, T0);
}

static void sent_order(lg_order_t *o) {
    new_order(o);
    assert_int_equal(lg_order_mark_sent(o, T0 + 1), LG_OK);
}

static void acked_order(lg_order_t *o) {
    sent_order(o);
    assert_int_equal(lg_order_on_ack(o, "250101000000001", T0 + 2), LG_OK);
}

static lg_order_update_t upd(lg_kstatus_t st, lg_qty_t filled, lg_paise_t avg) {
    lg_order_update_t u;
    memset(&u, 0, sizeof u);
    lg_strlcpy(u.broker_id, "250101000000001", sizeof u.broker_id);
    lg_strlcpy(u.tag, "L0000016102E00", sizeof u.tag);
    u.status = st;
    u.quantity = QTY;
    u.filled = filled;
    u.avg_price = avg;
    return u;
}

/* Applies u, expects LG_OK and the given deltas. */
static void apply_ok(lg_order_t *o, const lg_order_update_t *u, lg_ns_t now, lg_qty_t dq,
                     int64_t dv) {
    lg_apply_result_t r;
    memset(&r, 0xA5, sizeof r);
    lg_ostate_t before = o->state;
    assert_int_equal(lg_order_apply_update(o, u, now, &r), LG_OK);
    assert_int_equal(r.fill_delta, dq);
    assert_int_equal(r.value_delta, dv);
    assert_int_equal(r.old_state, before);
    assert_int_equal(r.new_state, o->state);
    assert_int_equal(r.state_changed, before != o->state);
    assert_int_equal(o->last_update_ns, now);
}

/* ---- statuses -------------------------------------------------------------------- */

static void test_kstatus_parse(void **state) {
    (void)state;
    static const char *const names[] = {
        "PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING", "OPEN",
        "TRIGGER PENDING", "MODIFY VALIDATION PENDING", "MODIFY PENDING", "MODIFIED",
        "CANCEL PENDING", "AMO REQ RECEIVED", "UPDATE", "COMPLETE", "CANCELLED", "REJECTED"};
    assert_int_equal(sizeof names / sizeof names[0], LG_KS__COUNT);
    for (int i = 0; i < LG_KS__COUNT; i++) {
        lg_kstatus_t k = LG_KS__COUNT;
        assert_int_equal(lg_kstatus_parse(names[i], &k), LG_OK);
        assert_int_equal(k, i);
        assert_string_equal(lg_kstatus_name(k), names[i]);
    }
    static const char *const bad[] = {"FOO", "open", "Open", "OPEN ", " OPEN", "",
                                      "COMPLETED", "CANCELED", "TRIGGER_PENDING", "OPENPENDING"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lg_kstatus_t k = LG_KS_UPDATE;
        assert_int_equal(lg_kstatus_parse(bad[i], &k), LG_ESTATUS);
        assert_int_equal(k, LG_KS_UPDATE);
    }
    assert_string_equal(lg_kstatus_name(LG_KS__COUNT), "?");
}

static void test_kstatus_mapping(void **state) {
    (void)state;
    static const lg_ostate_t want[LG_KS__COUNT] = {
        [LG_KS_PUT_ORDER_REQ_RECEIVED] = LG_OS_ACKED,
        [LG_KS_VALIDATION_PENDING] = LG_OS_ACKED,
        [LG_KS_OPEN_PENDING] = LG_OS_ACKED,
        [LG_KS_OPEN] = LG_OS_OPEN,
        [LG_KS_TRIGGER_PENDING] = LG_OS_TRIGGER_PENDING,
        [LG_KS_MODIFY_VALIDATION_PENDING] = LG_OS_OPEN,
        [LG_KS_MODIFY_PENDING] = LG_OS_OPEN,
        [LG_KS_MODIFIED] = LG_OS_OPEN,
        [LG_KS_CANCEL_PENDING] = LG_OS_OPEN,
        [LG_KS_AMO_REQ_RECEIVED] = LG_OS_ACKED,
        [LG_KS_UPDATE] = LG_OS_OPEN,
        [LG_KS_COMPLETE] = LG_OS_COMPLETE,
        [LG_KS_CANCELLED] = LG_OS_CANCELLED,
        [LG_KS_REJECTED] = LG_OS_REJECTED,
    };
    for (int i = 0; i < LG_KS__COUNT; i++) {
        assert_int_equal(lg_kstatus_to_ostate((lg_kstatus_t)i), want[i]);
    }
}

static void test_state_names_and_classes(void **state) {
    (void)state;
    static const char *const names[LG_OS__COUNT] = {
        "INTENT", "SENT", "UNKNOWN", "ACKED", "OPEN", "TRIGGER_PENDING",
        "COMPLETE", "CANCELLED", "REJECTED"};
    static const bool terminal[LG_OS__COUNT] = {0, 0, 0, 0, 0, 0, 1, 1, 1};
    static const bool live[LG_OS__COUNT] = {0, 1, 1, 1, 1, 1, 0, 0, 0};
    for (int s = 0; s < LG_OS__COUNT; s++) {
        assert_string_equal(lg_ostate_name((lg_ostate_t)s), names[s]);
        assert_int_equal(lg_ostate_terminal((lg_ostate_t)s), terminal[s]);
        assert_int_equal(lg_ostate_live((lg_ostate_t)s), live[s]);
    }
    assert_string_equal(lg_ostate_name(LG_OS__COUNT), "?");
    assert_string_equal(lg_otype_name(LG_OT_MARKET), "MARKET");
    assert_string_equal(lg_otype_name(LG_OT_LIMIT), "LIMIT");
    assert_string_equal(lg_otype_name(LG_OT_SL), "SL");
    assert_string_equal(lg_otype_name(LG_OT_SLM), "SL-M");
    assert_string_equal(lg_otype_name((lg_otype_t)9), "?");
}

/* ---- init, send, ack, send error -------------------------------------------------- */

static void test_init(void **state) {
    (void)state;
    lg_order_t o;
    memset(&o, 0x5A, sizeof o);
    lg_tag_t id = {.group = 7, .leg = 3, .child = 11, .purpose = 'H', .attempt = 2};
    lg_order_init(&o, &id, 987654, 1, LG_OT_MARKET, 1755, 0, 0, 5, true, 123456789);
    assert_string_equal(o.tag, "L000000730BH02");
    assert_int_equal(o.id.group, 7);
    assert_int_equal(o.id.child, 11);
    assert_string_equal(o.broker_id, "");
    assert_int_equal(o.token, 987654);
    assert_int_equal(o.side, 1);
    assert_int_equal(o.otype, LG_OT_MARKET);
    assert_int_equal(o.mprot_pct, 5);
    assert_true(o.risk_reducing);
    assert_false(o.cancel_sent);
    assert_int_equal(o.qty, 1755);
    assert_int_equal(o.price, 0);
    assert_int_equal(o.trigger, 0);
    assert_int_equal(o.filled, 0);
    assert_int_equal(o.avg_price, 0);
    assert_int_equal(o.fill_value, 0);
    assert_int_equal(o.state, LG_OS_INTENT);
    assert_int_equal(o.created_ns, 123456789);
    assert_int_equal(o.sent_ns, 0);
}

static void test_mark_sent(void **state) {
    (void)state;
    lg_order_t o;
    new_order(&o);
    assert_int_equal(lg_order_mark_sent(&o, 5000), LG_OK);
    assert_int_equal(o.state, LG_OS_SENT);
    assert_int_equal(o.sent_ns, 5000);
    assert_int_equal(o.last_update_ns, 5000);
    lg_order_t snap;
    memcpy(&snap, &o, sizeof snap);
    assert_int_equal(lg_order_mark_sent(&o, 6000), LG_ESTATE);
    assert_memory_equal(&o, &snap, sizeof o);
}

static void test_ack(void **state) {
    (void)state;
    lg_order_t o;
    new_order(&o);
    lg_order_t snap;
    memcpy(&snap, &o, sizeof snap);
    assert_int_equal(lg_order_on_ack(&o, "1", T0 + 5), LG_ESTATE); /* never sent */
    assert_memory_equal(&o, &snap, sizeof o);

    sent_order(&o);
    memcpy(&snap, &o, sizeof snap);
    assert_int_equal(lg_order_on_ack(&o, "", T0 + 5), LG_EINVAL);
    char longid[LG_BROKER_ID_MAX + 8];
    memset(longid, '7', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_int_equal(lg_order_on_ack(&o, longid, T0 + 5), LG_EINVAL);
    assert_memory_equal(&o, &snap, sizeof o);

    assert_int_equal(lg_order_on_ack(&o, "250101000000001", T0 + 5), LG_OK);
    assert_int_equal(o.state, LG_OS_ACKED);
    assert_string_equal(o.broker_id, "250101000000001");
    assert_int_equal(o.last_update_ns, T0 + 5);
    memcpy(&snap, &o, sizeof snap);
    assert_int_equal(lg_order_on_ack(&o, "250101000000001", T0 + 9), LG_OK); /* duplicate */
    assert_memory_equal(&o, &snap, sizeof o);
    assert_int_equal(lg_order_on_ack(&o, "250101000000002", T0 + 9), LG_EMISMATCH);
    assert_memory_equal(&o, &snap, sizeof o);
}

static void test_ack_after_unknown_and_after_update(void **state) {
    (void)state;
    lg_order_t o;
    sent_order(&o);
    assert_int_equal(lg_order_on_send_error(&o, false, T0 + 3), LG_OK);
    assert_int_equal(o.state, LG_OS_UNKNOWN);
    assert_int_equal(lg_order_on_ack(&o, "99", T0 + 4), LG_OK);
    assert_int_equal(o.state, LG_OS_ACKED);
    assert_string_equal(o.broker_id, "99");

    /* An update without a broker id outran the ack: the ack adds the id, keeps OPEN. */
    sent_order(&o);
    lg_order_update_t u = upd(LG_KS_OPEN, 0, 0);
    u.broker_id[0] = '\0';
    apply_ok(&o, &u, T0 + 3, 0, 0);
    assert_int_equal(o.state, LG_OS_OPEN);
    assert_string_equal(o.broker_id, "");
    assert_int_equal(lg_order_on_ack(&o, "77", T0 + 4), LG_OK);
    assert_int_equal(o.state, LG_OS_OPEN);
    assert_string_equal(o.broker_id, "77");

    /* Refused at send (definitive), then an ack: contradiction, refused. */
    sent_order(&o);
    assert_int_equal(lg_order_on_send_error(&o, true, T0 + 3), LG_OK);
    lg_order_t snap;
    memcpy(&snap, &o, sizeof snap);
    assert_int_equal(lg_order_on_ack(&o, "55", T0 + 4), LG_ESTATE);
    assert_memory_equal(&o, &snap, sizeof o);
}

static void test_send_error(void **state) {
    (void)state;
    lg_order_t o;
    new_order(&o);
    lg_order_t snap;
    memcpy(&snap, &o, sizeof snap);
    assert_int_equal(lg_order_on_send_error(&o, true, T0 + 2), LG_ESTATE);
    assert_int_equal(lg_order_on_send_error(&o, false, T0 + 2), LG_ESTATE);
    assert_memory_equal(&o, &snap, sizeof o);

    sent_order(&o);
    assert_int_equal(lg_order_on_send_error(&o, true, T0 + 2), LG_OK);
    assert_int_equal(o.state, LG_OS_REJECTED);
    assert_int_equal(o.last_update_ns, T0 + 2);
    memcpy(&snap, &o, sizeof snap);
    assert_int_equal(lg_order_on_send_error(&o, true, T0 + 3), LG_OK); /* duplicate */
    assert_memory_equal(&o, &snap, sizeof o);
    assert_int_equal(lg_order_on_send_error(&o, false, T0 + 3), LG_ESTATE);
    assert_memory_equal(&o, &snap, sizeof o);

    sent_order(&o);
    assert_int_equal(lg_order_on_send_error(&o, false, T0 + 2), LG_OK);
    assert_int_equal(o.state, LG_OS_UNKNOWN);
    memcpy(&snap, &o, sizeof snap);
    assert_int_equal(lg_order_on_send_error(&o, false, T0 + 3), LG_OK); /* duplicate */
    assert_memory_equal(&o, &snap, sizeof o);
    /* The look-up by tag found nothing: once may have overtaken the placement, so the
     * order stays UNKNOWN; the second answer makes it definitive. */
    assert_int_equal(lg_order_on_send_error(&o, true, T0 + 4), LG_OK);
    assert_int_equal(o.state, LG_OS_UNKNOWN);
    assert_int_equal(o.not_found, 1);
    assert_int_equal(o.last_update_ns, T0 + 4);
    assert_int_equal(lg_order_on_send_error(&o, true, T0 + 9), LG_OK);
    assert_int_equal(o.state, LG_OS_REJECTED);

    acked_order(&o);
    memcpy(&snap, &o, sizeof snap);
    assert_int_equal(lg_order_on_send_error(&o, true, T0 + 4), LG_ESTATE);
    assert_int_equal(lg_order_on_send_error(&o, false, T0 + 4), LG_ESTATE);
    assert_memory_equal(&o, &snap, sizeof o);
}

/* ---- updates: the happy path ------------------------------------------------------ */

static void test_update_kite_sequence(void **state) {
    (void)state;
    lg_order_t o;
    acked_order(&o);
    lg_order_update_t u = upd(LG_KS_PUT_ORDER_REQ_RECEIVED, 0, 0);
    apply_ok(&o, &u, 2000, 0, 0);
    assert_int_equal(o.state, LG_OS_ACKED);
    u = upd(LG_KS_VALIDATION_PENDING, 0, 0);
    apply_ok(&o, &u, 2001, 0, 0);
    u = upd(LG_KS_OPEN_PENDING, 0, 0);
    apply_ok(&o, &u, 2002, 0, 0);
    assert_int_equal(o.state, LG_OS_ACKED);
    u = upd(LG_KS_OPEN, 0, 0);
    apply_ok(&o, &u, 2003, 0, 0);
    assert_int_equal(o.state, LG_OS_OPEN);
    u = upd(LG_KS_UPDATE, 25, 10000); /* partial fill: 25 @ 100.00 */
    apply_ok(&o, &u, 2004, 25, 250000);
    assert_int_equal(o.state, LG_OS_OPEN);
    assert_int_equal(o.filled, 25);
    assert_int_equal(o.avg_price, 10000);
    assert_int_equal(o.fill_value, 250000);
    u = upd(LG_KS_OPEN, 50, 9950); /* 50 @ avg 99.50: the new 25 filled @ 99.00 */
    apply_ok(&o, &u, 2005, 25, 247500);
    assert_int_equal(o.fill_value, 497500);
    u = upd(LG_KS_COMPLETE, 75, 10000); /* avg 100.00: the last 25 @ 101.00 */
    apply_ok(&o, &u, 2006, 25, 252500);
    assert_int_equal(o.state, LG_OS_COMPLETE);
    assert_int_equal(o.filled, 75);
    assert_int_equal(o.avg_price, 10000);
    assert_int_equal(o.fill_value, 750000);
    assert_int_equal(o.last_update_ns, 2006);
}

static void test_update_while_sent_takes_broker_id(void **state) {
    (void)state;
    lg_order_t o;
    sent_order(&o);
    lg_order_update_t u = upd(LG_KS_OPEN, 10, 20000);
    lg_strlcpy(u.broker_id, "251231999999999", sizeof u.broker_id);
    u.quantity = 0; /* quantity not reported: accepted */
    apply_ok(&o, &u, 3000, 10, 200000);
    assert_int_equal(o.state, LG_OS_OPEN);
    assert_string_equal(o.broker_id, "251231999999999");
    /* The lost ack shows up late: same id is fine, state stays OPEN. */
    assert_int_equal(lg_order_on_ack(&o, "251231999999999", 3001), LG_OK);
    assert_int_equal(o.state, LG_OS_OPEN);
    assert_int_equal(lg_order_on_ack(&o, "251231999999998", 3002), LG_EMISMATCH);

    /* Same from UNKNOWN: the update resolves it. */
    sent_order(&o);
    assert_int_equal(lg_order_on_send_error(&o, false, 3003), LG_OK);
    u = upd(LG_KS_COMPLETE, QTY, 20000);
    apply_ok(&o, &u, 3004, QTY, 20000LL * QTY);
    assert_int_equal(o.state, LG_OS_COMPLETE);
    assert_string_equal(o.broker_id, "250101000000001");
}

/* ---- updates: refusals leave everything untouched --------------------------------- */

static void expect_refused(lg_order_t *o, const lg_order_update_t *u, int want) {
    lg_order_t snap;
    memcpy(&snap, o, sizeof snap);
    lg_apply_result_t r;
    memset(&r, 0xA5, sizeof r);
    int rc = lg_order_apply_update(o, u, 999999, &r);
    if (rc != want) fail_msg("apply_update = %s, want %s", lg_errname(rc), lg_errname(want));
    assert_memory_equal(o, &snap, sizeof snap);
    assert_int_equal(r.fill_delta, 0);
    assert_int_equal(r.value_delta, 0);
    assert_false(r.state_changed);
    assert_int_equal(r.old_state, o->state);
    assert_int_equal(r.new_state, o->state);
}

static void test_update_refusals(void **state) {
    (void)state;
    lg_order_t o;
    new_order(&o);
    lg_order_update_t u = upd(LG_KS_OPEN, 0, 0);
    expect_refused(&o, &u, LG_ESTATE); /* INTENT: never sent */

    acked_order(&o);
    u = upd(LG_KS_OPEN, 25, 10000);
    apply_ok(&o, &u, 4000, 25, 250000);

    u = upd(LG_KS_OPEN, QTY + 1, 10000);
    expect_refused(&o, &u, LG_EOVERFILL);
    u = upd(LG_KS_OPEN, 50, -1);
    expect_refused(&o, &u, LG_EPRICE);
    u = upd(LG_KS_OPEN, 0, -5);
    expect_refused(&o, &u, LG_EPRICE);
    u = upd(LG_KS_OPEN, 50, 0);
    expect_refused(&o, &u, LG_EPRICE); /* a fill needs a price */
    u = upd(LG_KS_OPEN, 50, INT64_MAX / 40);
    expect_refused(&o, &u, LG_EPRICE); /* avg × filled would overflow */
    u = upd(LG_KS_OPEN, 50, 10000);
    u.quantity = 150;
    expect_refused(&o, &u, LG_EQTY);
    u.quantity = -75;
    expect_refused(&o, &u, LG_EQTY);
    u = upd(LG_KS_OPEN, -1, 10000);
    expect_refused(&o, &u, LG_EQTY);
    u = upd(LG_KS_OPEN, 50, 10000);
    lg_strlcpy(u.broker_id, "250101000000002", sizeof u.broker_id);
    expect_refused(&o, &u, LG_EMISMATCH);
    u = upd(LG_KS_OPEN, 50, 10000);
    lg_strlcpy(u.tag, "L0000016103E00", sizeof u.tag);
    expect_refused(&o, &u, LG_EMISMATCH);
    u = upd(LG_KS_OPEN, 50, 10000);
    memset(u.broker_id, '1', sizeof u.broker_id); /* no terminator */
    expect_refused(&o, &u, LG_EINVAL);
    u = upd(LG_KS_COMPLETE, 50, 10000);
    expect_refused(&o, &u, LG_EINVAL); /* COMPLETE must be fully filled */
    u = upd(LG_KS_COMPLETE, QTY + 1, 10000);
    expect_refused(&o, &u, LG_EOVERFILL);
    u = upd(LG_KS__COUNT, 50, 10000);
    expect_refused(&o, &u, LG_ESTATUS);
    u = upd((lg_kstatus_t)-1, 50, 10000);
    expect_refused(&o, &u, LG_ESTATUS);

    /* Still exactly where it was; a good update still applies. */
    assert_int_equal(o.filled, 25);
    assert_int_equal(o.last_update_ns, 4000);
    u = upd(LG_KS_OPEN, 50, 10000);
    apply_ok(&o, &u, 4001, 25, 250000);
}

/* ---- updates: idempotence --------------------------------------------------------- */

static void test_rank_never_lowers(void **state) {
    (void)state;
    lg_order_t o;
    acked_order(&o);
    lg_order_update_t u = upd(LG_KS_OPEN, 0, 0);
    apply_ok(&o, &u, 5000, 0, 0);
    assert_int_equal(o.state, LG_OS_OPEN);
    static const lg_kstatus_t stale[] = {LG_KS_OPEN_PENDING, LG_KS_VALIDATION_PENDING,
                                         LG_KS_PUT_ORDER_REQ_RECEIVED, LG_KS_AMO_REQ_RECEIVED,
                                         LG_KS_TRIGGER_PENDING, LG_KS_CANCEL_PENDING,
                                         LG_KS_MODIFIED, LG_KS_UPDATE};
    for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++) {
        u = upd(stale[i], 0, 0);
        apply_ok(&o, &u, 5001 + (lg_ns_t)i, 0, 0);
        assert_int_equal(o.state, LG_OS_OPEN);
    }

    /* TRIGGER_PENDING -> OPEN is allowed (same rank); back is not. */
    lg_order_t s;
    acked_order(&s);
    u = upd(LG_KS_TRIGGER_PENDING, 0, 0);
    apply_ok(&s, &u, 5100, 0, 0);
    assert_int_equal(s.state, LG_OS_TRIGGER_PENDING);
    u = upd(LG_KS_OPEN_PENDING, 0, 0);
    apply_ok(&s, &u, 5101, 0, 0);
    assert_int_equal(s.state, LG_OS_TRIGGER_PENDING);
    u = upd(LG_KS_OPEN, 0, 0);
    apply_ok(&s, &u, 5102, 0, 0);
    assert_int_equal(s.state, LG_OS_OPEN);
    u = upd(LG_KS_TRIGGER_PENDING, 0, 0);
    apply_ok(&s, &u, 5103, 0, 0);
    assert_int_equal(s.state, LG_OS_OPEN);
}

static void test_duplicates_and_stale_fills(void **state) {
    (void)state;
    lg_order_t o;
    acked_order(&o);
    lg_order_update_t u = upd(LG_KS_OPEN, 50, 10020);
    apply_ok(&o, &u, 6000, 50, 501000);
    lg_order_t snap;
    memcpy(&snap, &o, sizeof snap);
    apply_ok(&o, &u, 6001, 0, 0); /* the same update again */
    snap.last_update_ns = 6001;
    assert_memory_equal(&o, &snap, sizeof o);
    u = upd(LG_KS_UPDATE, 25, 10000); /* older, smaller fill */
    apply_ok(&o, &u, 6002, 0, 0);
    assert_int_equal(o.filled, 50);
    assert_int_equal(o.avg_price, 10020);
    assert_int_equal(o.fill_value, 501000);
    u = upd(LG_KS_OPEN, 50, 10090); /* same fill, other average: nothing new */
    apply_ok(&o, &u, 6003, 0, 0);
    assert_int_equal(o.avg_price, 10020);
    assert_int_equal(o.fill_value, 501000);
}

static void test_late_fill_after_cancel(void **state) {
    (void)state;
    lg_order_t o;
    acked_order(&o);
    lg_order_update_t u = upd(LG_KS_OPEN, 25, 10000);
    apply_ok(&o, &u, 7000, 25, 250000);
    u = upd(LG_KS_CANCELLED, 25, 10000);
    apply_ok(&o, &u, 7001, 0, 0);
    assert_int_equal(o.state, LG_OS_CANCELLED);
    /* The cancel lost part of the race: a late, larger fill is taken; still CANCELLED. */
    u = upd(LG_KS_OPEN, 40, 10100);
    apply_ok(&o, &u, 7002, 15, 404000 - 250000);
    assert_int_equal(o.state, LG_OS_CANCELLED);
    assert_int_equal(o.filled, 40);
    assert_int_equal(o.fill_value, 404000);
    /* A COMPLETE after CANCELLED: fill taken, terminal state kept. */
    u = upd(LG_KS_COMPLETE, QTY, 10200);
    apply_ok(&o, &u, 7003, 35, 10200LL * QTY - 404000);
    assert_int_equal(o.state, LG_OS_CANCELLED);
    assert_int_equal(o.filled, QTY);
    /* Nothing else moves a terminal state. */
    u = upd(LG_KS_REJECTED, QTY, 10200);
    apply_ok(&o, &u, 7004, 0, 0);
    u = upd(LG_KS_OPEN, 0, 0);
    apply_ok(&o, &u, 7005, 0, 0);
    assert_int_equal(o.state, LG_OS_CANCELLED);
    assert_int_equal(o.fill_value, 10200LL * QTY);
}

static void test_terminal_never_changes(void **state) {
    (void)state;
    lg_order_t o;
    acked_order(&o);
    lg_order_update_t u = upd(LG_KS_COMPLETE, QTY, 5000);
    apply_ok(&o, &u, 8000, QTY, 5000LL * QTY);
    static const lg_kstatus_t later[] = {LG_KS_CANCELLED, LG_KS_REJECTED, LG_KS_OPEN,
                                         LG_KS_TRIGGER_PENDING, LG_KS_OPEN_PENDING};
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
        u = upd(later[i], QTY, 5000);
        apply_ok(&o, &u, 8001 + (lg_ns_t)i, 0, 0);
        assert_int_equal(o.state, LG_OS_COMPLETE);
    }

    acked_order(&o);
    u = upd(LG_KS_REJECTED, 0, 0);
    apply_ok(&o, &u, 8100, 0, 0);
    assert_int_equal(o.state, LG_OS_REJECTED);
    u = upd(LG_KS_CANCELLED, 0, 0);
    apply_ok(&o, &u, 8101, 0, 0);
    u = upd(LG_KS_COMPLETE, QTY, 5000); /* a fill is never lost, even here */
    apply_ok(&o, &u, 8102, QTY, 5000LL * QTY);
    assert_int_equal(o.state, LG_OS_REJECTED);
}

/* Every permutation of a fill sequence (with duplicates) ends in the same place, and
 * the reported deltas add up to the final fill. */
static void test_reordered_sequences(void **state) {
    (void)state;
    lg_order_update_t ups[4];
    ups[0] = upd(LG_KS_OPEN, 0, 0);
    ups[1] = upd(LG_KS_UPDATE, 25, 10000);
    ups[2] = upd(LG_KS_OPEN, 50, 10050);
    ups[3] = upd(LG_KS_COMPLETE, QTY, 10100);
    int perm[4] = {0, 1, 2, 3};
    uint32_t runs = 0;
    for (int n = 0; n < 24; n++) {
        /* n-th permutation by the factorial number system */
        int pool[4] = {0, 1, 2, 3}, left = 4, k = n;
        for (int i = 0; i < 4; i++) {
            int f = (left == 4) ? 6 : (left == 3) ? 2 : 1;
            int j = k / f;
            k %= f;
            perm[i] = pool[j];
            for (int m = j; m < left - 1; m++) pool[m] = pool[m + 1];
            left--;
        }
        for (int dup = 0; dup < 2; dup++) {
            lg_order_t o;
            acked_order(&o);
            lg_qty_t sum_q = 0;
            int64_t sum_v = 0;
            for (int i = 0; i < 4; i++) {
                for (int rep = 0; rep <= dup; rep++) {
                    lg_apply_result_t r;
                    assert_int_equal(lg_order_apply_update(&o, &ups[perm[i]], 9000 + i, &r),
                                     LG_OK);
                    sum_q += r.fill_delta;
                    sum_v += r.value_delta;
                    assert_true(r.fill_delta >= 0);
                    if (rep > 0) assert_int_equal(r.fill_delta, 0);
                }
            }
            assert_int_equal(o.state, LG_OS_COMPLETE);
            assert_int_equal(o.filled, QTY);
            assert_int_equal(o.avg_price, 10100);
            assert_int_equal(o.fill_value, 10100LL * QTY);
            assert_int_equal(sum_q, QTY);
            assert_int_equal(sum_v, 10100LL * QTY);
            runs++;
        }
    }
    assert_int_equal(runs, 48);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kstatus_parse),
        cmocka_unit_test(test_kstatus_mapping),
        cmocka_unit_test(test_state_names_and_classes),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_mark_sent),
        cmocka_unit_test(test_ack),
        cmocka_unit_test(test_ack_after_unknown_and_after_update),
        cmocka_unit_test(test_send_error),
        cmocka_unit_test(test_update_kite_sequence),
        cmocka_unit_test(test_update_while_sent_takes_broker_id),
        cmocka_unit_test(test_update_refusals),
        cmocka_unit_test(test_rank_never_lowers),
        cmocka_unit_test(test_duplicates_and_stale_fills),
        cmocka_unit_test(test_late_fill_after_cancel),
        cmocka_unit_test(test_terminal_never_changes),
        cmocka_unit_test(test_reordered_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
