/*
 * kite_orders.c — Kite's order objects into legato's adoption form (lg_adopt_t): one
 * object (a postback, a ticker frame's data), the order book and an order's history
 * (GET /orders, GET /orders/:id), the order id of a place / modify / cancel answer,
 * and the ticker's text frames (order, error, message).
 *
 * An order object: order_id (string, 1..LG_BROKER_ID_MAX-1 characters), status (a Kite
 * status: lg_kstatus_parse, else LG_ESTATUS), tag (null or absent: "", at most
 * LG_TAG_MAX characters as sent), status_message (null: "", cut to fit: it is only
 * text), instrument_token (uint32), transaction_type BUY/SELL, order_type
 * MARKET/LIMIT/SL/SL-M, quantity and filled_quantity (JSON integers, 0..10^9),
 * average_price (rupees), price and trigger_price (rupees, absent or null: 0). Beyond
 * form, one fact is checked: filled_quantity <= quantity (LG_ERANGE); the rest of the
 * meaning (prices on the tick, COMPLETE fully filled, ...) is the engine's to judge.
 */
#include "kite_json_int.h"

#include <string.h>

static const char *const side_names[] = {"BUY", "SELL"};
static const char *const otype_names[] = {"MARKET", "LIMIT", "SL", "SL-M"};
_Static_assert(LG_OT_MARKET == 0 && LG_OT_LIMIT == 1 && LG_OT_SL == 2 && LG_OT_SLM == 3,
               "otype_names follows lg_otype_t");
static const char *const frame_names[] = {"order", "error", "message"};
_Static_assert(LG_KITE_TEXT_ORDER == 1 && LG_KITE_TEXT_ERROR == 2 && LG_KITE_TEXT_MESSAGE == 3,
               "frame_names[i] is lg_kite_text_t i + 1");

static int status_get(json_t *o, const char *path, lg_kstatus_t *out, lg_kj_err_t *e) {
    json_t *v = json_object_get(o, "status");
    char p[LG_KJ_PATH_MAX];
    lg_kj_path_key(p, sizeof p, path, "status");
    if (v == NULL) return lg_kj_fail(e, LG_EPARSE, "%s: missing", p);
    if (!json_is_string(v)) {
        return lg_kj_fail(e, LG_EPARSE, "%s: expected a string, got %s", p, lg_kj_type_name(v));
    }
    if (lg_kstatus_parse(json_string_value(v), out) != LG_OK) {
        return lg_kj_fail(e, LG_ESTATUS, "%s: unknown status \"%.32s\"", p, json_string_value(v));
    }
    return LG_OK;
}

/* One order object at path into *out (written only on success). */
static int order_decode(json_t *o, const char *path, lg_adopt_t *out, lg_kj_err_t *e) {
    LG_ASSERT(path != NULL && out != NULL && e != NULL);
    if (!json_is_object(o)) {
        return lg_kj_fail(e, LG_EPARSE, "%s: expected an object, got %s",
                          path[0] != '\0' ? path : "body", lg_kj_type_name(o));
    }
    lg_adopt_t t;
    memset(&t, 0, sizeof t);
    int64_t token = 0;
    int side = 0, otype = 0;
    int rc = lg_kj_string(o, path, "order_id", LG_KJ_STR_ID, t.u.broker_id,
                          sizeof t.u.broker_id, e);
    if (rc == LG_OK) rc = status_get(o, path, &t.u.status, e);
    if (rc == LG_OK) {
        rc = lg_kj_string(o, path, "tag", LG_KJ_STR_NULL_OK, t.u.tag, sizeof t.u.tag, e);
    }
    if (rc == LG_OK) {
        rc = lg_kj_string(o, path, "status_message", LG_KJ_STR_TEXT, t.u.message,
                          sizeof t.u.message, e);
    }
    if (rc == LG_OK) rc = lg_kj_int(o, path, "instrument_token", 0, UINT32_MAX, &token, e);
    if (rc == LG_OK) rc = lg_kj_enum(o, path, "transaction_type", side_names, 2, &side, e);
    if (rc == LG_OK) rc = lg_kj_enum(o, path, "order_type", otype_names, 4, &otype, e);
    if (rc == LG_OK) rc = lg_kj_int(o, path, "quantity", 0, LG_KJ_QTY_MAX, &t.u.quantity, e);
    if (rc == LG_OK) rc = lg_kj_int(o, path, "filled_quantity", 0, LG_KJ_QTY_MAX, &t.u.filled, e);
    if (rc == LG_OK && t.u.filled > t.u.quantity) {
        char p[LG_KJ_PATH_MAX];
        lg_kj_path_key(p, sizeof p, path, "filled_quantity");
        rc = lg_kj_fail(e, LG_ERANGE, "%s: %lld above quantity %lld", p, (long long)t.u.filled,
                        (long long)t.u.quantity);
    }
    if (rc == LG_OK) rc = lg_kj_money(o, path, "average_price", false, &t.u.avg_price, e);
    if (rc == LG_OK) rc = lg_kj_money(o, path, "price", true, &t.price, e);
    if (rc == LG_OK) rc = lg_kj_money(o, path, "trigger_price", true, &t.trigger, e);
    if (rc != LG_OK) return rc;
    t.token = (uint32_t)token;
    t.side = side == 0 ? 1 : -1;
    t.otype = (uint8_t)otype;
    *out = t;
    return LG_OK;
}

static int order_elem(json_t *v, const char *path, void *out, lg_kj_err_t *e) {
    return order_decode(v, path, out, e);
}

int lg_kite_parse_order_object(const char *json, size_t len, lg_adopt_t *out, char *err,
                               size_t errcap) {
    LG_ASSERT(json != NULL && out != NULL);
    lg_kj_err_t e = lg_kj_err_make(err, errcap);
    json_t *root = NULL;
    int rc = lg_kj_load(json, len, &root, &e);
    if (rc != LG_OK) return rc;
    rc = order_decode(root, "", out, &e);
    json_decref(root);
    return rc;
}

int lg_kite_parse_orders(const char *body, size_t len, lg_adopt_t *out, uint32_t cap,
                         uint32_t *n, char *err, size_t errcap) {
    LG_ASSERT(body != NULL && n != NULL);
    LG_ASSERT(out != NULL || cap == 0);
    lg_kj_err_t e = lg_kj_err_make(err, errcap);
    json_t *root = NULL, *data = NULL;
    int rc = lg_kj_envelope(body, len, &root, &data, &e);
    if (rc != LG_OK) return rc;
    lg_adopt_t tmp;
    rc = lg_kj_array_decode(data, "data", order_elem, out, sizeof *out, &tmp, cap, n, &e);
    json_decref(root);
    return rc;
}

int lg_kite_parse_order_id(const char *body, size_t len, char *id, size_t cap, char *err,
                           size_t errcap) {
    LG_ASSERT(body != NULL && id != NULL && cap > 0);
    lg_kj_err_t e = lg_kj_err_make(err, errcap);
    json_t *root = NULL, *data = NULL;
    int rc = lg_kj_envelope(body, len, &root, &data, &e);
    if (rc != LG_OK) return rc;
    char tmp[LG_BROKER_ID_MAX];
    if (!json_is_object(data)) {
        rc = lg_kj_fail(&e, LG_EPARSE, "data: expected an object, got %s", lg_kj_type_name(data));
    } else {
        rc = lg_kj_string(data, "data", "order_id", LG_KJ_STR_ID, tmp, LG_MIN(cap, sizeof tmp), &e);
    }
    json_decref(root);
    if (rc != LG_OK) return rc;
    memcpy(id, tmp, strlen(tmp) + 1);
    return LG_OK;
}

/* ---- ticker text frames ------------------------------------------------------------ */

int lg_kite_parse_text_frame(const char *frame, size_t len, lg_kite_text_t *type,
                             lg_adopt_t *order, char *msg, size_t msgcap, char *err,
                             size_t errcap) {
    LG_ASSERT(frame != NULL && type != NULL && order != NULL);
    LG_ASSERT(msg != NULL || msgcap == 0);
    lg_kj_err_t e = lg_kj_err_make(err, errcap);
    json_t *root = NULL;
    int rc = lg_kj_load(frame, len, &root, &e);
    if (rc != LG_OK) return rc;
    int kind = 0;
    rc = lg_kj_enum(root, "", "type", frame_names, 3, &kind, &e);
    lg_adopt_t t;
    memset(&t, 0, sizeof t);
    json_t *data = json_object_get(root, "data");
    if (rc == LG_OK && kind == 0) {
        rc = data == NULL ? lg_kj_fail(&e, LG_EPARSE, "data: missing")
                          : order_decode(data, "data", &t, &e);
    } else if (rc == LG_OK && !json_is_string(data)) {
        rc = lg_kj_fail(&e, LG_EPARSE, "data: expected a string, got %s", lg_kj_type_name(data));
    }
    if (rc == LG_OK) {
        *type = (lg_kite_text_t)(kind + 1);
        if (kind == 0) {
            *order = t;
        } else if (msgcap > 0) {
            lg_kj_copy_text(msg, msgcap, json_string_value(data));
        }
    }
    json_decref(root);
    return rc;
}
