/*
 * order.c — one broker order's lifecycle: Kite's status strings, their mapping
 * onto lifecycle states, and the idempotent application of acks, send errors and
 * order updates. Pure: no I/O, no clock (time is passed in), no allocation.
 *
 * States have a rank; an update never lowers it:
 *
 *     INTENT 0 < SENT 1 = UNKNOWN 1 < ACKED 2 < OPEN 3 = TRIGGER_PENDING 3 < terminal 4
 *
 * Transitions (every other combination is refused with LG_ESTATE, state untouched):
 *
 *   from            event                       to
 *   INTENT          lg_order_mark_sent          SENT
 *   SENT, UNKNOWN   lg_order_on_ack             ACKED (takes the broker id)
 *   ACKED .. term.  lg_order_on_ack, same id    (no-op; another id: LG_EMISMATCH)
 *   OPEN, TRIG.P.   lg_order_on_ack, no id yet  (keeps state, takes the id: the
 *                                                update outran the ack)
 *   SENT, UNKNOWN   lg_order_on_send_error      REJECTED (definitive) / UNKNOWN
 *   REJECTED        definitive send error again (no-op: a duplicate)
 *   SENT .. OPEN    lg_order_apply_update       the status's state, if higher rank;
 *                                               TRIGGER_PENDING -> OPEN (same rank)
 *   terminal        lg_order_apply_update       stays; only a larger fill is taken
 *
 * An update's fill: filled = max(old, new). On an increase the broker's average
 * price is taken and fill_value becomes avg × filled (paise·units); the deltas are
 * reported in lg_apply_result_t so the caller can book exactly the new fills.
 * Every update is validated whole before anything changes.
 */
#include "legato/order.h"

#include <string.h>

static const char *const kstatus_names[LG_KS__COUNT] = {
#define LG_KS_NAME(name, text) [name] = text,
    LG_KITE_STATUSES(LG_KS_NAME)
#undef LG_KS_NAME
};

static const char *const ostate_names[LG_OS__COUNT] = {
    [LG_OS_INTENT] = "INTENT",       [LG_OS_SENT] = "SENT",
    [LG_OS_UNKNOWN] = "UNKNOWN",     [LG_OS_ACKED] = "ACKED",
    [LG_OS_OPEN] = "OPEN",           [LG_OS_TRIGGER_PENDING] = "TRIGGER_PENDING",
    [LG_OS_COMPLETE] = "COMPLETE",   [LG_OS_CANCELLED] = "CANCELLED",
    [LG_OS_REJECTED] = "REJECTED",
};

static bool kstatus_valid(lg_kstatus_t k) {
    return (unsigned)k < (unsigned)LG_KS__COUNT;
}

static bool ostate_valid(lg_ostate_t s) {
    return (unsigned)s < (unsigned)LG_OS__COUNT;
}

int lg_kstatus_parse(const char *s, lg_kstatus_t *out) {
    LG_ASSERT(s != NULL && out != NULL);
    for (int k = 0; k < LG_KS__COUNT; k++) {
        if (strcmp(s, kstatus_names[k]) == 0) {
            *out = (lg_kstatus_t)k;
            return LG_OK;
        }
    }
    return LG_ESTATUS;
}

const char *lg_kstatus_name(lg_kstatus_t k) {
    return kstatus_valid(k) ? kstatus_names[k] : "?";
}

lg_ostate_t lg_kstatus_to_ostate(lg_kstatus_t k) {
    LG_ASSERT(kstatus_valid(k));
    switch (k) {
    case LG_KS_PUT_ORDER_REQ_RECEIVED:
    case LG_KS_VALIDATION_PENDING:
    case LG_KS_OPEN_PENDING:
    case LG_KS_AMO_REQ_RECEIVED:
        return LG_OS_ACKED;
    case LG_KS_TRIGGER_PENDING:
        return LG_OS_TRIGGER_PENDING;
    case LG_KS_COMPLETE:
        return LG_OS_COMPLETE;
    case LG_KS_CANCELLED:
        return LG_OS_CANCELLED;
    case LG_KS_REJECTED:
        return LG_OS_REJECTED;
    default: /* OPEN, MODIFY ..., MODIFIED, CANCEL PENDING, UPDATE: still working */
        return LG_OS_OPEN;
    }
}

const char *lg_ostate_name(lg_ostate_t s) {
    return ostate_valid(s) ? ostate_names[s] : "?";
}

bool lg_ostate_terminal(lg_ostate_t s) {
    return s == LG_OS_COMPLETE || s == LG_OS_CANCELLED || s == LG_OS_REJECTED;
}

bool lg_ostate_live(lg_ostate_t s) {
    return s == LG_OS_SENT || s == LG_OS_UNKNOWN || s == LG_OS_ACKED || s == LG_OS_OPEN ||
           s == LG_OS_TRIGGER_PENDING;
}

const char *lg_otype_name(lg_otype_t t) {
    switch (t) {
    case LG_OT_MARKET: return "MARKET";
    case LG_OT_LIMIT: return "LIMIT";
    case LG_OT_SL: return "SL";
    case LG_OT_SLM: return "SL-M";
    default: return "?";
    }
}

static int ostate_rank(lg_ostate_t s) {
    LG_ASSERT(ostate_valid(s));
    static const int8_t rank[LG_OS__COUNT] = {
        [LG_OS_INTENT] = 0, [LG_OS_SENT] = 1,      [LG_OS_UNKNOWN] = 1,
        [LG_OS_ACKED] = 2,  [LG_OS_OPEN] = 3,      [LG_OS_TRIGGER_PENDING] = 3,
        [LG_OS_COMPLETE] = 4, [LG_OS_CANCELLED] = 4, [LG_OS_REJECTED] = 4,
    };
    return rank[s];
}

/* Invariants of every order, checked after each change. */
static void order_check(const lg_order_t *o) {
    LG_ASSERT(ostate_valid(o->state));
    LG_ASSERT(o->qty > 0);
    LG_ASSERT(o->filled >= 0 && o->filled <= o->qty);
    LG_ASSERT(o->avg_price >= 0);
    LG_ASSERT(o->fill_value == o->avg_price * o->filled);
    LG_ASSERT(o->state != LG_OS_COMPLETE || o->filled == o->qty);
    LG_ASSERT(strnlen(o->broker_id, LG_BROKER_ID_MAX) < LG_BROKER_ID_MAX);
    LG_ASSERT(strnlen(o->tag, sizeof o->tag) == LG_TAG_LEN);
}

void lg_order_init(lg_order_t *o, const lg_tag_t *id, uint32_t token, int side,
                   lg_otype_t otype, lg_qty_t qty, lg_paise_t price, lg_paise_t trigger,
                   int mprot_pct, bool risk_reducing, lg_ns_t now) {
    LG_ASSERT(o != NULL && id != NULL);
    LG_ASSERT(side == 1 || side == -1);
    LG_ASSERT(otype == LG_OT_MARKET || otype == LG_OT_LIMIT || otype == LG_OT_SL ||
              otype == LG_OT_SLM);
    LG_ASSERT(qty > 0 && price >= 0 && trigger >= 0);
    LG_ASSERT(mprot_pct >= -1 && mprot_pct <= INT16_MAX);
    memset(o, 0, sizeof *o);
    o->id = *id;
    lg_tag_encode(id, o->tag, sizeof o->tag);
    o->token = token;
    o->side = (int8_t)side;
    o->otype = (uint8_t)otype;
    o->mprot_pct = (int16_t)mprot_pct;
    o->risk_reducing = risk_reducing;
    o->qty = qty;
    o->price = price;
    o->trigger = trigger;
    o->state = LG_OS_INTENT;
    o->created_ns = now;
    o->last_update_ns = now;
    order_check(o);
}

int lg_order_mark_sent(lg_order_t *o, lg_ns_t now) {
    LG_ASSERT(o != NULL);
    if (o->state != LG_OS_INTENT) return LG_ESTATE;
    o->state = LG_OS_SENT;
    o->sent_ns = now;
    o->last_update_ns = now;
    order_check(o);
    return LG_OK;
}

/* A broker id: non-empty and fits the field with its NUL. */
static bool broker_id_ok(const char *id) {
    size_t n = strnlen(id, LG_BROKER_ID_MAX);
    return n > 0 && n < LG_BROKER_ID_MAX;
}

int lg_order_on_ack(lg_order_t *o, const char *broker_id, lg_ns_t now) {
    LG_ASSERT(o != NULL && broker_id != NULL);
    if (!broker_id_ok(broker_id)) return LG_EINVAL;
    if (o->state == LG_OS_INTENT) return LG_ESTATE;
    if (o->broker_id[0] != '\0') {
        return strcmp(o->broker_id, broker_id) == 0 ? LG_OK : LG_EMISMATCH;
    }
    /* No id yet. A terminal order without one was refused before reaching the broker:
     * an ack for it contradicts that. */
    if (lg_ostate_terminal(o->state)) return LG_ESTATE;
    lg_strlcpy(o->broker_id, broker_id, sizeof o->broker_id);
    if (o->state == LG_OS_SENT || o->state == LG_OS_UNKNOWN) o->state = LG_OS_ACKED;
    o->last_update_ns = now;
    order_check(o);
    return LG_OK;
}

int lg_order_on_send_error(lg_order_t *o, bool definitive, lg_ns_t now) {
    LG_ASSERT(o != NULL);
    if (o->state == LG_OS_REJECTED && definitive && o->broker_id[0] == '\0') {
        return LG_OK; /* the same refusal delivered twice */
    }
    if (o->state == LG_OS_UNKNOWN && !definitive) return LG_OK; /* duplicate */
    if (o->state != LG_OS_SENT && o->state != LG_OS_UNKNOWN) return LG_ESTATE;
    if (o->state == LG_OS_UNKNOWN && definitive && ++o->not_found < LG_ORDER_NOT_FOUND_CONFIRM) {
        o->last_update_ns = now; /* look again one silence interval later */
        return LG_OK;
    }
    o->state = definitive ? LG_OS_REJECTED : LG_OS_UNKNOWN;
    o->last_update_ns = now;
    order_check(o);
    return LG_OK;
}

int lg_order_supersede(lg_order_t *o, lg_ns_t now) {
    LG_ASSERT(o != NULL);
    if ((o->state != LG_OS_SENT && o->state != LG_OS_UNKNOWN) || o->broker_id[0] != '\0' ||
        o->filled != 0)
        return LG_ESTATE;
    o->state = LG_OS_REJECTED;
    o->last_update_ns = now;
    order_check(o);
    return LG_OK;
}

/* Everything that makes an update unacceptable, checked before any change. */
static int update_validate(const lg_order_t *o, const lg_order_update_t *u) {
    if (o->state == LG_OS_INTENT) return LG_ESTATE; /* never sent: nobody can report it */
    if (!kstatus_valid(u->status)) return LG_ESTATUS;
    if (strnlen(u->broker_id, sizeof u->broker_id) == sizeof u->broker_id) return LG_EINVAL;
    if (strnlen(u->tag, sizeof u->tag) == sizeof u->tag) return LG_EINVAL;
    if (u->filled < 0 || u->quantity < 0) return LG_EQTY;
    if (u->filled > o->qty) return LG_EOVERFILL;
    if (u->avg_price < 0) return LG_EPRICE;
    if (u->filled > 0 && u->avg_price == 0) return LG_EPRICE;
    if (u->filled > 0 && u->avg_price > INT64_MAX / u->filled) return LG_EPRICE;
    if (u->quantity > 0 && u->quantity != o->qty) return LG_EQTY;
    if (u->broker_id[0] != '\0' && o->broker_id[0] != '\0' &&
        strcmp(u->broker_id, o->broker_id) != 0) {
        return LG_EMISMATCH;
    }
    if (u->tag[0] != '\0' && strcmp(u->tag, o->tag) != 0) return LG_EMISMATCH;
    if (u->status == LG_KS_COMPLETE && u->filled != o->qty) return LG_EINVAL;
    return LG_OK;
}

/* The state an update leads to from cur: never lower in rank, terminal absorbs. */
static lg_ostate_t update_next_state(lg_ostate_t cur, lg_ostate_t reported) {
    if (lg_ostate_terminal(cur)) return cur;
    if (ostate_rank(reported) > ostate_rank(cur)) return reported;
    if (cur == LG_OS_TRIGGER_PENDING && reported == LG_OS_OPEN) return LG_OS_OPEN;
    return cur;
}

int lg_order_apply_update(lg_order_t *o, const lg_order_update_t *u, lg_ns_t now,
                          lg_apply_result_t *r) {
    LG_ASSERT(o != NULL && u != NULL && r != NULL);
    order_check(o);
    *r = (lg_apply_result_t){.old_state = o->state, .new_state = o->state};
    int rc = update_validate(o, u);
    if (rc != LG_OK) return rc;

    lg_ostate_t next = update_next_state(o->state, lg_kstatus_to_ostate(u->status));
    if (u->filled > o->filled) {
        int64_t value = u->avg_price * u->filled;
        r->fill_delta = u->filled - o->filled;
        r->value_delta = value - o->fill_value;
        o->filled = u->filled;
        o->avg_price = u->avg_price;
        o->fill_value = value;
    }
    if (o->broker_id[0] == '\0' && u->broker_id[0] != '\0') {
        lg_strlcpy(o->broker_id, u->broker_id, sizeof o->broker_id);
    }
    LG_ASSERT(ostate_rank(next) >= ostate_rank(o->state));
    o->state = next;
    o->last_update_ns = now;
    r->new_state = next;
    r->state_changed = next != r->old_state;
    order_check(o);
    return LG_OK;
}
