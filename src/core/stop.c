/*
 * stop.c — the hybrid stop-loss of one position (stop.h): SL-LIMIT first, a protected
 * MARKET order when the SL is rejected, gapped through or too slow, and never more
 * exited than is held.
 *
 * Two rules carry the safety argument, and everything else is bookkeeping around them:
 *
 *   1. At most one order of the stop is working at any moment. A new order is placed
 *      only when every earlier one is final (COMPLETE, CANCELLED or REJECTED), and the
 *      stop does not decide to replace a working order until the broker confirms it is
 *      final: a cancel can lose the race to a fill, and only the final state says how
 *      much the cancelled order sold.
 *   2. Every order is placed for exactly rem = qty - Σ filled. With rule 1 that makes
 *      filled + still-able-to-fill == qty while an order works and == filled otherwise,
 *      so no exit can flip the position. place() asserts it; stop_check() asserts it
 *      after every call unless a fill arrived on a final order (late_fill), which no
 *      rule can prevent: then the working order is cancelled and replaced by the rest,
 *      and an over-exit is escalated.
 *
 * Everything that follows from an event is decided in progress(), called at the end of
 * every entry point with the time handed in, so a late or missing timer delays an
 * action but never loses it. State changes happen only in enter(), which checks the
 * allowed[] table below with an assertion.
 *
 * States and transitions. rem = qty - Σ filled; "final" = the working order reached
 * COMPLETE, CANCELLED or REJECTED; "triggered" = a tick at or through the trigger
 * (long: ltp <= trigger, short: ltp >= trigger) or a fill on the SL was seen.
 *
 *   from             event / condition                        action             to
 *   IDLE (re-arm: DONE, FAILED, DISARMED)
 *                    lg_stop_arm                              PLACE_SL qty       ARMED
 *                    lg_stop_adopt (a working SL, recovery)   -                  ARMED
 *   ARMED            tick past the trigger by more than gap   CANCEL  gap        SL_CANCELLING
 *   ARMED            triggered timeout_ns ago, SL not final   CANCEL  timeout    SL_CANCELLING
 *   ARMED            SL COMPLETE                              -                  DONE
 *   ARMED            SL REJECTED                              PLACE_MARKET rem   MARKET
 *   ARMED            SL cancelled by the exchange, triggered  PLACE_MARKET rem   MARKET
 *   ARMED            ... not triggered                        PLACE_SL rem       ARMED
 *   SL_CANCELLING    SL final, rem > 0                        PLACE_MARKET rem   MARKET
 *   SL_CANCELLING    SL final, rem = 0 (the cancel lost)      -                  DONE
 *   MARKET           final, rem = 0                           -                  DONE
 *   MARKET           REJECTED, rejects < max_rejects          PLACE_MARKET x2    MARKET
 *   MARKET           REJECTED, rejects = max_rejects          ESCALATE           FAILED
 *   MARKET           cancelled by the exchange, rem > 0       PLACE_MARKET x2    MARKET
 *   MARKET           not final market_fill_ns after placing   CANCEL  stale      MARKET_CANCELLING
 *   MARKET_CANCELLING final, rem > 0                          PLACE_MARKET x2    MARKET
 *   MARKET_CANCELLING final, rem = 0                          -                  DONE
 *   *_CANCELLING, DISARMING
 *                    no final state cancel_retry_ns after     CANCEL again       (same)
 *                    the last cancel
 *   ARMED, MARKET    a late fill on a final order makes       CANCEL  late_fill  *_CANCELLING
 *                    committed > qty
 *   working states   lg_stop_disarm                           CANCEL unless sent DISARMING
 *   DISARMING        final                                    -                  DISARMED
 *                                                                                (DONE if rem = 0)
 *   FAILED           lg_stop_disarm                           -                  DISARMED
 *   FAILED           lg_stop_retry                            PLACE_MARKET rem   MARKET
 *   FAILED           a late fill makes rem = 0                -                  DONE
 *   placing          no order slot left                       ESCALATE no_slots  FAILED
 *   any but IDLE     rem < 0, nothing working (late fills     ESCALATE over_exit FAILED
 *                    exited more than was held)
 *
 * Every PLACE is for rem exactly; "x2": protection doubles (mprot_pct, 2x, 4x ... up to
 * max_mprot_pct) after each rejection, exchange cancel or stale cancel, while the market
 * that follows a late-fill cancel keeps its protection. A late-fill cancel of a re-placed
 * SL resumes as an exchange cancel would (market if triggered, else a new SL).
 */
#include "legato/stop.h"

#include <string.h>

#define STOP_MAX_WIDEN 7 /* 2^7 × any valid mprot_pct is past 100 */

static const char *const state_names[LG_STOP__COUNT] = {
    [LG_STOP_IDLE] = "IDLE",
    [LG_STOP_ARMED] = "ARMED",
    [LG_STOP_SL_CANCELLING] = "SL_CANCELLING",
    [LG_STOP_MARKET] = "MARKET",
    [LG_STOP_MARKET_CANCELLING] = "MARKET_CANCELLING",
    [LG_STOP_DISARMING] = "DISARMING",
    [LG_STOP_DONE] = "DONE",
    [LG_STOP_FAILED] = "FAILED",
    [LG_STOP_DISARMED] = "DISARMED",
};

static const char *const why_names[LG_STOP_WHY__COUNT] = {
    [LG_STOP_WHY_ARM] = "arm",
    [LG_STOP_WHY_SL_REJECTED] = "sl_rejected",
    [LG_STOP_WHY_SL_CANCELLED] = "sl_cancelled",
    [LG_STOP_WHY_GAP] = "gap",
    [LG_STOP_WHY_TIMEOUT] = "timeout",
    [LG_STOP_WHY_MARKET_REJECTED] = "market_rejected",
    [LG_STOP_WHY_MARKET_CANCELLED] = "market_cancelled",
    [LG_STOP_WHY_MARKET_STALE] = "market_stale",
    [LG_STOP_WHY_LATE_FILL] = "late_fill",
    [LG_STOP_WHY_DISARM] = "disarm",
    [LG_STOP_WHY_RETRY] = "retry",
    [LG_STOP_WHY_OVER_EXIT] = "over_exit",
    [LG_STOP_WHY_NO_SLOTS] = "no_slots",
    [LG_STOP_WHY_ADOPT] = "adopt",
};

/* Allowed transitions: bit `to` set in allowed[from]. */
#define B(s) (1u << (s))
static const uint16_t allowed[LG_STOP__COUNT] = {
    [LG_STOP_IDLE] = B(LG_STOP_ARMED),
    [LG_STOP_ARMED] = B(LG_STOP_ARMED) | B(LG_STOP_SL_CANCELLING) | B(LG_STOP_MARKET) |
                      B(LG_STOP_DONE) | B(LG_STOP_DISARMING) | B(LG_STOP_FAILED),
    [LG_STOP_SL_CANCELLING] = B(LG_STOP_ARMED) | B(LG_STOP_MARKET) | B(LG_STOP_DONE) |
                              B(LG_STOP_DISARMING) | B(LG_STOP_FAILED),
    [LG_STOP_MARKET] = B(LG_STOP_MARKET) | B(LG_STOP_MARKET_CANCELLING) | B(LG_STOP_DONE) |
                       B(LG_STOP_DISARMING) | B(LG_STOP_FAILED),
    [LG_STOP_MARKET_CANCELLING] = B(LG_STOP_MARKET) | B(LG_STOP_DONE) |
                                  B(LG_STOP_DISARMING) | B(LG_STOP_FAILED),
    [LG_STOP_DISARMING] = B(LG_STOP_DISARMED) | B(LG_STOP_DONE) | B(LG_STOP_FAILED),
    [LG_STOP_DONE] = B(LG_STOP_FAILED),
    [LG_STOP_FAILED] = B(LG_STOP_FAILED) | B(LG_STOP_MARKET) | B(LG_STOP_DONE) |
                       B(LG_STOP_DISARMED),
    [LG_STOP_DISARMED] = B(LG_STOP_FAILED),
};
#undef B

const char *lg_stop_state_name(lg_stop_state_t st) {
    return (unsigned)st < LG_STOP__COUNT ? state_names[st] : "?";
}

const char *lg_stop_why_name(lg_stop_why_t why) {
    return (unsigned)why < LG_STOP_WHY__COUNT ? why_names[why] : "?";
}

void lg_stop_config_default(lg_stop_config_t *c) {
    LG_ASSERT(c != NULL);
    *c = (lg_stop_config_t){
        .timeout_ns = 2 * LG_NS_PER_S,
        .cancel_retry_ns = 1 * LG_NS_PER_S,
        .market_fill_ns = 2 * LG_NS_PER_S,
        .mprot_pct = 3,
        .max_mprot_pct = 20,
        .max_rejects = 3,
    };
}

/* Intervals beyond a day are refused, so that now + interval cannot overflow. */
#define STOP_MAX_INTERVAL_NS (86400LL * LG_NS_PER_S)

static bool interval_ok(lg_ns_t ns) {
    return ns > 0 && ns <= STOP_MAX_INTERVAL_NS;
}

int lg_stop_config_check(const lg_stop_config_t *c) {
    LG_ASSERT(c != NULL);
    if (!interval_ok(c->timeout_ns) || !interval_ok(c->cancel_retry_ns) ||
        !interval_ok(c->market_fill_ns))
        return LG_EINVAL;
    if (c->mprot_pct <= 0 || c->max_mprot_pct < c->mprot_pct || c->max_mprot_pct > 100)
        return LG_EINVAL;
    if (c->max_rejects == 0 || c->max_rejects >= LG_STOP_MAX_ORDERS) return LG_EINVAL;
    return LG_OK;
}

static int spec_check(const lg_stop_spec_t *p) {
    if (p->side != 1 && p->side != -1) return LG_EINVAL;
    if (p->qty <= 0) return LG_EQTY;
    if (p->trigger <= 0 || p->limit <= 0 || p->gap < 0) return LG_EPRICE;
    if (p->side > 0 ? p->limit > p->trigger : p->limit < p->trigger) return LG_EPRICE;
    return LG_OK;
}

/* ---- reading the machine ---------------------------------------------------------- */

static bool state_working(uint8_t st) {
    return st >= LG_STOP_ARMED && st <= LG_STOP_DISARMING;
}

static bool order_final(const lg_stop_order_t *o) {
    return lg_ostate_terminal((lg_ostate_t)o->state);
}

/* The one order that may still fill, or NULL. Only the newest can be working. */
static lg_stop_order_t *live_order(lg_stop_t *s) {
    if (s->n_orders == 0) return NULL;
    lg_stop_order_t *o = &s->orders[s->n_orders - 1];
    return order_final(o) ? NULL : o;
}

lg_qty_t lg_stop_filled(const lg_stop_t *s) {
    LG_ASSERT(s != NULL && s->n_orders <= LG_STOP_MAX_ORDERS);
    lg_qty_t f = 0;
    for (uint32_t i = 0; i < s->n_orders; i++) f += s->orders[i].filled;
    return f;
}

lg_qty_t lg_stop_held(const lg_stop_t *s) {
    return s->spec.qty - lg_stop_filled(s);
}

lg_qty_t lg_stop_committed(const lg_stop_t *s) {
    lg_qty_t c = lg_stop_filled(s);
    if (s->n_orders > 0) {
        const lg_stop_order_t *o = &s->orders[s->n_orders - 1];
        if (!order_final(o)) c += o->qty - o->filled;
    }
    return c;
}

int64_t lg_stop_exit_value(const lg_stop_t *s) {
    LG_ASSERT(s != NULL && s->n_orders <= LG_STOP_MAX_ORDERS);
    int64_t v = 0;
    for (uint32_t i = 0; i < s->n_orders; i++) v += s->orders[i].filled * s->orders[i].avg_price;
    return v;
}

lg_stop_state_t lg_stop_state(const lg_stop_t *s) {
    LG_ASSERT(s != NULL);
    return (lg_stop_state_t)s->state;
}

bool lg_stop_working(const lg_stop_t *s) {
    LG_ASSERT(s != NULL);
    return state_working(s->state);
}

const lg_stop_order_t *lg_stop_order(const lg_stop_t *s, uint32_t seq) {
    LG_ASSERT(s != NULL);
    if (seq < s->first_seq || seq - s->first_seq >= s->n_orders) return NULL;
    return &s->orders[seq - s->first_seq];
}

static lg_ns_t add_ns(lg_ns_t t, lg_ns_t d) {
    return t > INT64_MAX - d ? INT64_MAX : t + d;
}

lg_ns_t lg_stop_wake(const lg_stop_t *s) {
    LG_ASSERT(s != NULL);
    if (!state_working(s->state)) return INT64_MAX;
    const lg_stop_order_t *o = &s->orders[s->n_orders - 1];
    if (o->cancel_sent) return add_ns(o->cancel_ns, s->cfg.cancel_retry_ns);
    if (s->state == LG_STOP_MARKET) return add_ns(o->placed_ns, s->cfg.market_fill_ns);
    LG_ASSERT(s->state == LG_STOP_ARMED);
    return s->triggered ? add_ns(s->triggered_ns, s->cfg.timeout_ns) : INT64_MAX;
}

/* Invariants of every stop, checked on entry and exit of every call. */
static void stop_check(lg_stop_t *s) {
    LG_ASSERT(s->state < LG_STOP__COUNT);
    if (s->state == LG_STOP_IDLE) return;
    LG_ASSERT(s->spec.side == 1 || s->spec.side == -1);
    LG_ASSERT(s->spec.qty > 0 && s->n_orders >= 1 && s->n_orders <= LG_STOP_MAX_ORDERS);
    LG_ASSERT(s->next_seq - s->first_seq == s->n_orders);
    LG_ASSERT(s->rejects <= s->cfg.max_rejects && s->widen <= STOP_MAX_WIDEN);
    for (uint32_t i = 0; i < s->n_orders; i++) {
        const lg_stop_order_t *o = &s->orders[i];
        LG_ASSERT(o->seq == s->first_seq + i);
        LG_ASSERT(o->otype == LG_OT_SL || o->otype == LG_OT_MARKET);
        LG_ASSERT(o->state < LG_OS__COUNT);
        LG_ASSERT(o->qty > 0 && o->filled >= 0 && o->filled <= o->qty);
        LG_ASSERT(o->state != LG_OS_COMPLETE || o->filled == o->qty);
        LG_ASSERT(i + 1 == s->n_orders || order_final(o)); /* rule 1 */
    }
    lg_stop_order_t *live = live_order(s);
    LG_ASSERT(state_working(s->state) == (live != NULL));
    if (live != NULL) {
        bool sl = live->otype == LG_OT_SL;
        LG_ASSERT(s->state != LG_STOP_ARMED || (sl && !live->cancel_sent));
        LG_ASSERT(s->state != LG_STOP_SL_CANCELLING || (sl && live->cancel_sent));
        LG_ASSERT(s->state != LG_STOP_MARKET || (!sl && !live->cancel_sent));
        LG_ASSERT(s->state != LG_STOP_MARKET_CANCELLING || (!sl && live->cancel_sent));
        LG_ASSERT(s->state != LG_STOP_DISARMING || live->cancel_sent);
    }
    /* Rule 2: never more exiting than held, unless the broker filled a final order. */
    LG_ASSERT(s->late_fill || lg_stop_committed(s) <= s->spec.qty);
    LG_ASSERT(s->state != LG_STOP_DONE || lg_stop_held(s) == 0 || s->late_fill);
}

/* ---- changing the machine --------------------------------------------------------- */

static void enter(lg_stop_t *s, lg_stop_state_t to, lg_stop_why_t why) {
    LG_ASSERT(to < LG_STOP__COUNT && why < LG_STOP_WHY__COUNT);
    LG_ASSERT((allowed[s->state] & (1u << to)) != 0);
    s->state = (uint8_t)to;
    s->why = (uint8_t)why;
}

static lg_stop_act_t *push(lg_stop_out_t *out, lg_stop_act_kind_t kind, lg_stop_why_t why,
                           const lg_stop_t *s) {
    LG_ASSERT(out->n < LG_STOP_ACTS_MAX);
    lg_stop_act_t *a = &out->acts[out->n++];
    *a = (lg_stop_act_t){.kind = kind, .why = why, .side = (int8_t)-s->spec.side};
    return a;
}

static void escalate(lg_stop_t *s, lg_stop_why_t why, lg_stop_out_t *out) {
    lg_stop_act_t *a = push(out, LG_STOP_ACT_ESCALATE, why, s);
    a->qty = lg_stop_held(s);
    if (why == LG_STOP_WHY_OVER_EXIT) s->over_exit = true;
    enter(s, LG_STOP_FAILED, why);
}

static int16_t market_protection(const lg_stop_t *s) {
    int p = s->cfg.mprot_pct;
    for (uint32_t i = 0; i < s->widen && p < s->cfg.max_mprot_pct; i++) p *= 2;
    return (int16_t)LG_MIN(p, (int)s->cfg.max_mprot_pct);
}

static void widen(lg_stop_t *s) {
    if (s->widen < STOP_MAX_WIDEN) s->widen++;
}

/* Places otype for qty (always the whole rest): ARMED for an SL, MARKET for a market
 * order; FAILED when every slot is used. */
static void place(lg_stop_t *s, lg_otype_t otype, lg_qty_t qty, lg_stop_why_t why,
                  lg_stop_out_t *out) {
    LG_ASSERT(otype == LG_OT_SL || otype == LG_OT_MARKET);
    LG_ASSERT(live_order(s) == NULL);
    LG_ASSERT(qty > 0 && qty == lg_stop_held(s)); /* rules 1 and 2 */
    if (s->n_orders == LG_STOP_MAX_ORDERS) {
        escalate(s, LG_STOP_WHY_NO_SLOTS, out);
        return;
    }
    lg_stop_order_t *o = &s->orders[s->n_orders++];
    *o = (lg_stop_order_t){.seq = s->next_seq++, .otype = (uint8_t)otype,
                           .state = LG_OS_INTENT, .why = (uint8_t)why, .qty = qty,
                           .placed_ns = s->now};
    lg_stop_act_t *a = push(out, otype == LG_OT_SL ? LG_STOP_ACT_PLACE_SL
                                                   : LG_STOP_ACT_PLACE_MARKET, why, s);
    a->seq = o->seq;
    a->qty = qty;
    if (otype == LG_OT_SL) {
        a->trigger = s->spec.trigger;
        a->limit = s->spec.limit;
    } else {
        o->mprot_pct = a->mprot_pct = market_protection(s);
    }
    enter(s, otype == LG_OT_SL ? LG_STOP_ARMED : LG_STOP_MARKET, why);
    LG_ASSERT(lg_stop_committed(s) <= s->spec.qty);
}

static void send_cancel(lg_stop_t *s, lg_stop_order_t *o, lg_stop_why_t why,
                        lg_stop_out_t *out) {
    LG_ASSERT(!order_final(o));
    o->cancel_sent = true;
    o->cancel_why = (uint8_t)why;
    o->cancel_ns = s->now;
    push(out, LG_STOP_ACT_CANCEL, why, s)->seq = o->seq;
}

/* Cancels the working order (not yet cancelled) and moves to its cancelling state. */
static void cancel_working(lg_stop_t *s, lg_stop_order_t *o, lg_stop_why_t why,
                           lg_stop_out_t *out) {
    LG_ASSERT(!o->cancel_sent);
    send_cancel(s, o, why, out);
    if (why == LG_STOP_WHY_DISARM) enter(s, LG_STOP_DISARMING, why);
    else if (o->otype == LG_OT_SL) enter(s, LG_STOP_SL_CANCELLING, why);
    else enter(s, LG_STOP_MARKET_CANCELLING, why);
}

/* ---- deciding --------------------------------------------------------------------- */

static bool through_trigger(const lg_stop_t *s, lg_paise_t ltp) {
    return s->spec.side > 0 ? ltp <= s->spec.trigger : ltp >= s->spec.trigger;
}

/* Beyond the trigger by more than the gap (both prices > 0: no overflow). */
static bool past_gap(const lg_stop_t *s, lg_paise_t ltp) {
    lg_paise_t beyond = s->spec.side > 0 ? s->spec.trigger - ltp : ltp - s->spec.trigger;
    return beyond > s->spec.gap;
}

static void note_trigger(lg_stop_t *s) {
    if (s->triggered) return;
    s->triggered = true;
    s->triggered_ns = s->now;
}

/* The SL just became final with rem > 0. */
static void settle_sl(lg_stop_t *s, const lg_stop_order_t *o, lg_qty_t rem,
                      lg_stop_out_t *out) {
    LG_ASSERT(o->state != LG_OS_COMPLETE); /* complete means filled == its qty == rem */
    lg_stop_why_t cw = (lg_stop_why_t)o->cancel_why;
    if (o->state == LG_OS_REJECTED) {
        place(s, LG_OT_MARKET, rem, LG_STOP_WHY_SL_REJECTED, out);
    } else if (o->cancel_sent && (cw == LG_STOP_WHY_GAP || cw == LG_STOP_WHY_TIMEOUT)) {
        place(s, LG_OT_MARKET, rem, cw, out);
    } else {
        lg_stop_why_t why = o->cancel_sent ? cw : LG_STOP_WHY_SL_CANCELLED;
        place(s, s->triggered ? LG_OT_MARKET : LG_OT_SL, rem, why, out);
    }
}

/* A market order just became final with rem > 0. */
static void settle_market(lg_stop_t *s, const lg_stop_order_t *o, lg_qty_t rem,
                          lg_stop_out_t *out) {
    LG_ASSERT(o->state != LG_OS_COMPLETE);
    if (o->state == LG_OS_REJECTED) {
        s->rejects++;
        widen(s); /* a retry after FAILED goes out wider too */
        if (s->rejects >= s->cfg.max_rejects) escalate(s, LG_STOP_WHY_MARKET_REJECTED, out);
        else place(s, LG_OT_MARKET, rem, LG_STOP_WHY_MARKET_REJECTED, out);
    } else if (o->cancel_sent && o->cancel_why == LG_STOP_WHY_LATE_FILL) {
        place(s, LG_OT_MARKET, rem, LG_STOP_WHY_LATE_FILL, out);
    } else {
        widen(s);
        place(s, LG_OT_MARKET, rem,
              o->cancel_sent ? LG_STOP_WHY_MARKET_STALE : LG_STOP_WHY_MARKET_CANCELLED, out);
    }
}

/* The working order o just became final: decide what follows. */
static void settle(lg_stop_t *s, const lg_stop_order_t *o, lg_stop_out_t *out) {
    lg_qty_t rem = lg_stop_held(s);
    if (rem < 0) escalate(s, LG_STOP_WHY_OVER_EXIT, out);
    else if (rem == 0) enter(s, LG_STOP_DONE, (lg_stop_why_t)o->why);
    else if (s->state == LG_STOP_DISARMING) enter(s, LG_STOP_DISARMED, LG_STOP_WHY_DISARM);
    else if (o->otype == LG_OT_SL) settle_sl(s, o, rem, out);
    else settle_market(s, o, rem, out);
}

/* Nothing working and nothing to place: only late fills can still change things. */
static void rest_check(lg_stop_t *s, lg_stop_out_t *out) {
    lg_qty_t rem = lg_stop_held(s);
    if (rem < 0 && !s->over_exit) escalate(s, LG_STOP_WHY_OVER_EXIT, out);
    else if (rem == 0 && s->state == LG_STOP_FAILED) enter(s, LG_STOP_DONE, LG_STOP_WHY_LATE_FILL);
}

/* The rules that apply while order o works, in order of precedence. */
static void working_rules(lg_stop_t *s, lg_stop_order_t *o, lg_stop_out_t *out) {
    if (!o->cancel_sent && lg_stop_committed(s) > s->spec.qty) {
        cancel_working(s, o, LG_STOP_WHY_LATE_FILL, out);
    } else if (o->cancel_sent) {
        if (s->now >= add_ns(o->cancel_ns, s->cfg.cancel_retry_ns))
            send_cancel(s, o, (lg_stop_why_t)o->cancel_why, out);
    } else if (s->state == LG_STOP_ARMED) {
        if (s->ltp > 0 && past_gap(s, s->ltp))
            cancel_working(s, o, LG_STOP_WHY_GAP, out);
        else if (s->triggered && s->now >= add_ns(s->triggered_ns, s->cfg.timeout_ns))
            cancel_working(s, o, LG_STOP_WHY_TIMEOUT, out);
    } else {
        LG_ASSERT(s->state == LG_STOP_MARKET);
        if (s->now >= add_ns(o->placed_ns, s->cfg.market_fill_ns))
            cancel_working(s, o, LG_STOP_WHY_MARKET_STALE, out);
    }
}

/* Everything the current state and time call for. */
static void progress(lg_stop_t *s, lg_stop_out_t *out) {
    lg_stop_order_t *o = live_order(s);
    if (o != NULL) working_rules(s, o, out);
    else if (state_working(s->state)) settle(s, &s->orders[s->n_orders - 1], out);
    else rest_check(s, out);
}

/* ---- entry points ----------------------------------------------------------------- */

/* Common start: clears out; refuses a stop never armed and time running backwards. */
static int begin(lg_stop_t *s, lg_ns_t now, lg_stop_out_t *out) {
    LG_ASSERT(s != NULL && out != NULL);
    out->n = 0;
    out->wake_at = INT64_MAX;
    if (s->state == LG_STOP_IDLE) return LG_ESTATE;
    stop_check(s);
    out->wake_at = lg_stop_wake(s);
    if (now < s->now) return LG_EINVAL;
    return LG_OK;
}

static int finish(lg_stop_t *s, lg_stop_out_t *out) {
    stop_check(s);
    out->wake_at = lg_stop_wake(s);
    LG_ASSERT(out->wake_at == INT64_MAX || state_working(s->state));
    return LG_OK;
}

void lg_stop_reset(lg_stop_t *s, uint32_t next_seq) {
    LG_ASSERT(s != NULL && next_seq <= UINT32_MAX - LG_STOP_MAX_ORDERS);
    memset(s, 0, sizeof *s);
    s->state = LG_STOP_DISARMED;
    s->first_seq = next_seq;
    s->next_seq = next_seq;
}

/* What arming and adopting both check first: nothing working, time forward, a sound
 * configuration and spec. out is emptied. */
static int start_check(const lg_stop_t *s, const lg_stop_config_t *cfg, const lg_stop_spec_t *spec,
                       lg_ns_t now, lg_stop_out_t *out) {
    out->n = 0;
    out->wake_at = lg_stop_wake(s);
    if (state_working(s->state)) return LG_ESTATE;
    if (s->state != LG_STOP_IDLE && now < s->now) return LG_EINVAL;
    int rc = lg_stop_config_check(cfg);
    return rc == LG_OK ? spec_check(spec) : rc;
}

int lg_stop_arm(lg_stop_t *s, const lg_stop_config_t *cfg, const lg_stop_spec_t *spec,
                lg_ns_t now, lg_stop_out_t *out) {
    LG_ASSERT(s != NULL && cfg != NULL && spec != NULL && out != NULL);
    int rc = start_check(s, cfg, spec, now, out);
    if (rc != LG_OK) return rc;
    uint32_t seq = s->state == LG_STOP_IDLE ? 0 : s->next_seq;
    LG_ASSERT(seq <= UINT32_MAX - LG_STOP_MAX_ORDERS);
    *s = (lg_stop_t){.cfg = *cfg, .spec = *spec, .state = LG_STOP_IDLE, .now = now,
                     .first_seq = seq, .next_seq = seq};
    place(s, LG_OT_SL, spec->qty, LG_STOP_WHY_ARM, out);
    return finish(s, out);
}

/* Everything that makes an adoption unacceptable, checked before any change. */
static int found_check(const lg_stop_spec_t *spec, const lg_stop_found_t *f) {
    if ((unsigned)f->state >= (unsigned)LG_OS__COUNT || lg_ostate_terminal(f->state))
        return LG_ESTATUS;
    if (f->seq > UINT32_MAX - LG_STOP_MAX_ORDERS) return LG_EINVAL;
    if (f->filled < 0) return LG_EQTY;
    if (f->filled > spec->qty) return LG_EOVERFILL;
    if (f->avg_price < 0 || (f->filled > 0 && f->avg_price == 0)) return LG_EPRICE;
    if (f->filled > 0 && f->avg_price > INT64_MAX / f->filled) return LG_EPRICE;
    return LG_OK;
}

int lg_stop_adopt(lg_stop_t *s, const lg_stop_config_t *cfg, const lg_stop_spec_t *spec,
                  const lg_stop_found_t *found, lg_paise_t ltp, lg_ns_t now,
                  lg_stop_out_t *out) {
    LG_ASSERT(s != NULL && cfg != NULL && spec != NULL && found != NULL && out != NULL);
    int rc = start_check(s, cfg, spec, now, out);
    if (rc == LG_OK) rc = found_check(spec, found);
    if (rc == LG_OK && ltp < 0) rc = LG_EPRICE;
    if (rc != LG_OK) return rc;
    *s = (lg_stop_t){.cfg = *cfg, .spec = *spec, .state = LG_STOP_IDLE, .now = now,
                     .first_seq = found->seq, .next_seq = found->seq + 1, .n_orders = 1};
    s->orders[0] = (lg_stop_order_t){.seq = found->seq, .otype = LG_OT_SL,
                                     .state = (uint8_t)found->state,
                                     .why = LG_STOP_WHY_ADOPT, .qty = spec->qty,
                                     .filled = found->filled, .avg_price = found->avg_price,
                                     .placed_ns = now};
    enter(s, LG_STOP_ARMED, LG_STOP_WHY_ADOPT);
    if (ltp > 0) s->ltp = ltp;
    if (found->filled > 0 || found->state == LG_OS_OPEN || (ltp > 0 && through_trigger(s, ltp)))
        note_trigger(s);
    progress(s, out);
    return finish(s, out);
}

int lg_stop_on_tick(lg_stop_t *s, lg_paise_t ltp, lg_ns_t now, lg_stop_out_t *out) {
    int rc = begin(s, now, out);
    if (rc != LG_OK) return rc;
    if (ltp <= 0) return LG_EPRICE;
    s->now = now;
    s->ltp = ltp;
    if (s->state == LG_STOP_ARMED && through_trigger(s, ltp)) note_trigger(s);
    progress(s, out);
    return finish(s, out);
}

/* Everything that makes an update unacceptable, checked before any change. */
static int update_check(const lg_stop_order_t *o, lg_ostate_t st, lg_qty_t filled,
                        lg_paise_t avg) {
    if ((unsigned)st >= (unsigned)LG_OS__COUNT) return LG_ESTATUS;
    if (filled < 0) return LG_EQTY;
    if (filled > o->qty) return LG_EOVERFILL;
    if (avg < 0 || (filled > 0 && avg == 0)) return LG_EPRICE;
    if (filled > 0 && avg > INT64_MAX / filled) return LG_EPRICE;
    if (st == LG_OS_COMPLETE && filled != o->qty) return LG_EINVAL;
    return LG_OK;
}

/* Rank of a state: an update never moves an order back (order.c's rule). */
static int ostate_rank(lg_ostate_t st) {
    if (lg_ostate_terminal(st)) return 4;
    if (st == LG_OS_OPEN || st == LG_OS_TRIGGER_PENDING) return 3;
    if (st == LG_OS_ACKED) return 2;
    return st == LG_OS_INTENT ? 0 : 1;
}

static void apply_update(lg_stop_t *s, lg_stop_order_t *o, lg_ostate_t st, lg_qty_t filled,
                         lg_paise_t avg) {
    lg_ostate_t cur = (lg_ostate_t)o->state;
    if (filled > o->filled) {
        if (order_final(o)) s->late_fill = true;
        o->filled = filled;
        o->avg_price = avg;
    }
    bool up = ostate_rank(st) > ostate_rank(cur) ||
              (cur == LG_OS_TRIGGER_PENDING && st == LG_OS_OPEN);
    if (!lg_ostate_terminal(cur) && up) o->state = (uint8_t)st;
    if (o->otype == LG_OT_SL && o->filled > 0) note_trigger(s); /* a fill proves it */
}

int lg_stop_on_order(lg_stop_t *s, uint32_t seq, lg_ostate_t state, lg_qty_t filled,
                     lg_paise_t avg_price, lg_ns_t now, lg_stop_out_t *out) {
    int rc = begin(s, now, out);
    if (rc != LG_OK) return rc;
    if (seq < s->first_seq || seq - s->first_seq >= s->n_orders) return LG_EUNKNOWN_ORDER;
    lg_stop_order_t *o = &s->orders[seq - s->first_seq];
    rc = update_check(o, state, filled, avg_price);
    if (rc != LG_OK) return rc;
    s->now = now;
    apply_update(s, o, state, filled, avg_price);
    progress(s, out);
    return finish(s, out);
}

int lg_stop_on_timer(lg_stop_t *s, lg_ns_t now, lg_stop_out_t *out) {
    int rc = begin(s, now, out);
    if (rc != LG_OK) return rc;
    s->now = now;
    progress(s, out);
    return finish(s, out);
}

int lg_stop_disarm(lg_stop_t *s, lg_ns_t now, lg_stop_out_t *out) {
    int rc = begin(s, now, out);
    if (rc != LG_OK) return rc;
    s->now = now;
    lg_stop_order_t *o = live_order(s);
    if (o != NULL && !o->cancel_sent) cancel_working(s, o, LG_STOP_WHY_DISARM, out);
    else if (o != NULL && s->state != LG_STOP_DISARMING)
        enter(s, LG_STOP_DISARMING, LG_STOP_WHY_DISARM); /* its cancel is already out */
    else if (s->state == LG_STOP_FAILED)
        enter(s, LG_STOP_DISARMED, LG_STOP_WHY_DISARM);
    progress(s, out);
    return finish(s, out);
}

int lg_stop_retry(lg_stop_t *s, lg_ns_t now, lg_stop_out_t *out) {
    int rc = begin(s, now, out);
    if (rc != LG_OK) return rc;
    if (s->state != LG_STOP_FAILED || s->over_exit || lg_stop_held(s) <= 0) return LG_ESTATE;
    if (s->n_orders == LG_STOP_MAX_ORDERS) return LG_EPOOL_FULL;
    s->now = now;
    s->rejects = 0;
    place(s, LG_OT_MARKET, lg_stop_held(s), LG_STOP_WHY_RETRY, out);
    return finish(s, out);
}
