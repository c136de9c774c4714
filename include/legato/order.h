/*
 * order.h — one broker order (a "child" of a leg) and its lifecycle.
 *
 *   INTENT (journaled, not sent) -> SENT -> ACKED (has a broker order_id)
 *     -> OPEN / TRIGGER_PENDING -> COMPLETE | CANCELLED | REJECTED
 *   SENT -> UNKNOWN when the send's outcome is ambiguous (timeout, dropped
 *   connection, 5xx). UNKNOWN is resolved only by looking the order up by its client
 *   tag, never by sending again.
 *
 * Kite's status strings (transient ones included) map onto these states. Updates
 * are applied idempotently: filled quantity never decreases, a state never moves
 * back in rank, a terminal state absorbs everything but a late fill, and duplicates
 * or reordering change nothing.
 */
#ifndef LEGATO_ORDER_H
#define LEGATO_ORDER_H

#include "legato/base.h"
#include "legato/tag.h"

#define LG_BROKER_ID_MAX 32
#define LG_STATUS_MSG_MAX 96

typedef enum lg_ostate {
    LG_OS_INTENT = 0,
    LG_OS_SENT,
    LG_OS_UNKNOWN,
    LG_OS_ACKED,
    LG_OS_OPEN,
    LG_OS_TRIGGER_PENDING,
    LG_OS_COMPLETE,
    LG_OS_CANCELLED,
    LG_OS_REJECTED,
    LG_OS__COUNT
} lg_ostate_t;

/* Kite order statuses, as the broker spells them. */
#define LG_KITE_STATUSES(X)                                  \
    X(LG_KS_PUT_ORDER_REQ_RECEIVED, "PUT ORDER REQ RECEIVED") \
    X(LG_KS_VALIDATION_PENDING, "VALIDATION PENDING")         \
    X(LG_KS_OPEN_PENDING, "OPEN PENDING")                     \
    X(LG_KS_OPEN, "OPEN")                                     \
    X(LG_KS_TRIGGER_PENDING, "TRIGGER PENDING")               \
    X(LG_KS_MODIFY_VALIDATION_PENDING, "MODIFY VALIDATION PENDING") \
    X(LG_KS_MODIFY_PENDING, "MODIFY PENDING")                 \
    X(LG_KS_MODIFIED, "MODIFIED")                             \
    X(LG_KS_CANCEL_PENDING, "CANCEL PENDING")                 \
    X(LG_KS_AMO_REQ_RECEIVED, "AMO REQ RECEIVED")             \
    X(LG_KS_UPDATE, "UPDATE")                                 \
    X(LG_KS_COMPLETE, "COMPLETE")                             \
    X(LG_KS_CANCELLED, "CANCELLED")                           \
    X(LG_KS_REJECTED, "REJECTED")

typedef enum lg_kstatus {
#define LG_KS_ENUM(name, text) name,
    LG_KITE_STATUSES(LG_KS_ENUM)
#undef LG_KS_ENUM
    LG_KS__COUNT
} lg_kstatus_t;

typedef enum lg_otype { LG_OT_MARKET = 0, LG_OT_LIMIT, LG_OT_SL, LG_OT_SLM } lg_otype_t;

/* Parses an exact Kite status string; LG_ESTATUS for one never seen. */
int lg_kstatus_parse(const char *s, lg_kstatus_t *out);
const char *lg_kstatus_name(lg_kstatus_t k);
/* The lifecycle state a Kite status means. Transient placement statuses map to
 * ACKED; MODIFY and CANCEL PENDING statuses and UPDATE map to OPEN (the order is
 * still working). */
lg_ostate_t lg_kstatus_to_ostate(lg_kstatus_t k);
const char *lg_ostate_name(lg_ostate_t s);
bool lg_ostate_terminal(lg_ostate_t s);
/* Working: at the broker and able to fill (ACKED, OPEN, TRIGGER_PENDING) or possibly
 * so (SENT, UNKNOWN). */
bool lg_ostate_live(lg_ostate_t s);
const char *lg_otype_name(lg_otype_t t);

typedef struct lg_order {
    lg_tag_t id;                        /* group, leg, child, purpose, attempt */
    char tag[LG_TAG_MAX + 1];           /* encoded id */
    char broker_id[LG_BROKER_ID_MAX];   /* "" until acked */
    uint32_t token;
    int8_t side;                        /* +1 buy, -1 sell */
    uint8_t otype;                      /* lg_otype_t */
    int16_t mprot_pct;                  /* market protection percent (MARKET / SL-M) */
    bool risk_reducing;                 /* may leave before its journal commit */
    bool cancel_sent;
    uint8_t not_found;                  /* look-ups of an UNKNOWN order that found nothing */
    lg_qty_t qty;
    lg_paise_t price, trigger;
    lg_qty_t filled;                    /* cumulative, never decreases */
    lg_paise_t avg_price;               /* broker's average fill price */
    int64_t fill_value;                 /* Σ fill qty × price, paise·units */
    lg_ostate_t state;
    lg_ns_t created_ns, sent_ns, last_update_ns;
    lg_ns_t cancel_at;                  /* when the last cancel was sent */
} lg_order_t;

/* An UNKNOWN order is taken as never placed only after this many look-ups by tag,
 * one silence interval apart, found nothing (the first may overtake the placement). */
#define LG_ORDER_NOT_FOUND_CONFIRM 2

/* An order update as the broker reports it (postback / WebSocket / order book). */
typedef struct lg_order_update {
    char tag[LG_TAG_MAX + 1];
    char broker_id[LG_BROKER_ID_MAX];
    lg_kstatus_t status;
    lg_qty_t quantity;
    lg_qty_t filled;         /* filled_quantity, cumulative */
    lg_paise_t avg_price;    /* average_price in paise */
    char message[LG_STATUS_MSG_MAX];
} lg_order_update_t;

typedef struct lg_apply_result {
    lg_qty_t fill_delta;     /* newly filled units (0 for a duplicate) */
    int64_t value_delta;     /* paise·units of the new fills */
    bool state_changed;
    lg_ostate_t old_state, new_state;
} lg_apply_result_t;

/* Fills in a new order in state INTENT. */
void lg_order_init(lg_order_t *o, const lg_tag_t *id, uint32_t token, int side,
                   lg_otype_t otype, lg_qty_t qty, lg_paise_t price, lg_paise_t trigger,
                   int mprot_pct, bool risk_reducing, lg_ns_t now);
/* INTENT -> SENT. */
int lg_order_mark_sent(lg_order_t *o, lg_ns_t now);
/* SENT/UNKNOWN -> ACKED with the broker's order id; a second ack with the same id is
 * a no-op, with another id LG_EMISMATCH. */
int lg_order_on_ack(lg_order_t *o, const char *broker_id, lg_ns_t now);
/* The send failed. definitive: REJECTED (nothing at the broker); otherwise UNKNOWN.
 * For an UNKNOWN order a definitive error is a look-up that found nothing: it stays
 * UNKNOWN until LG_ORDER_NOT_FOUND_CONFIRM such answers, then REJECTED. */
int lg_order_on_send_error(lg_order_t *o, bool definitive, lg_ns_t now);
/* Recovery: an order in doubt (SENT or UNKNOWN, never acked, nothing filled) that the
 * broker's book does not show and a later attempt superseded is REJECTED.
 * LG_ESTATE for any other order. */
int lg_order_supersede(lg_order_t *o, lg_ns_t now);
/* Applies an update idempotently. Errors (state untouched): LG_EOVERFILL when filled
 * exceeds the order quantity, LG_EPRICE for a negative average price, LG_EQTY for a
 * quantity that differs from the order's, LG_EMISMATCH for a broker id that differs,
 * LG_EINVAL for COMPLETE with filled != quantity. */
int lg_order_apply_update(lg_order_t *o, const lg_order_update_t *u, lg_ns_t now,
                          lg_apply_result_t *r);

#endif
