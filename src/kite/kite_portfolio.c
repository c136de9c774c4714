/*
 * kite_portfolio.c — Kite's trades, positions and margins into legato's types: GET
 * /trades and /orders/:id/trades (lg_kite_trade_t), the "net" rows of GET
 * /portfolio/positions (token, signed quantity), the equity segment of GET
 * /user/margins (or of GET /user/margins/equity, whose data is the segment itself),
 * and the initial / final totals of POST /margins/basket.
 *
 * Money is rupees (a JSON integer or real) into paise; quantities are JSON integers
 * (trades 1..10^9, net positions -10^9..10^9). Every field read is required.
 */
#include "kite_json_int.h"

#include <string.h>

static const char *const side_names[] = {"BUY", "SELL"};

static int trade_elem(json_t *o, const char *path, void *out, lg_kj_err_t *e) {
    LG_ASSERT(path != NULL && out != NULL && e != NULL);
    if (!json_is_object(o)) {
        return lg_kj_fail(e, LG_EPARSE, "%s: expected an object, got %s", path,
                          lg_kj_type_name(o));
    }
    lg_kite_trade_t t;
    memset(&t, 0, sizeof t);
    int64_t token = 0;
    int side = 0;
    int rc = lg_kj_string(o, path, "trade_id", LG_KJ_STR_ID, t.trade_id, sizeof t.trade_id, e);
    if (rc == LG_OK) {
        rc = lg_kj_string(o, path, "order_id", LG_KJ_STR_ID, t.order_id, sizeof t.order_id, e);
    }
    if (rc == LG_OK) rc = lg_kj_int(o, path, "instrument_token", 0, UINT32_MAX, &token, e);
    if (rc == LG_OK) rc = lg_kj_enum(o, path, "transaction_type", side_names, 2, &side, e);
    if (rc == LG_OK) rc = lg_kj_int(o, path, "quantity", 1, LG_KJ_QTY_MAX, &t.qty, e);
    if (rc == LG_OK) rc = lg_kj_money(o, path, "average_price", false, &t.price, e);
    if (rc != LG_OK) return rc;
    t.token = (uint32_t)token;
    t.side = side == 0 ? 1 : -1;
    *(lg_kite_trade_t *)out = t;
    return LG_OK;
}

int lg_kite_parse_trades(const char *body, size_t len, lg_kite_trade_t *out, uint32_t cap,
                         uint32_t *n, char *err, size_t errcap) {
    LG_ASSERT(body != NULL && n != NULL);
    LG_ASSERT(out != NULL || cap == 0);
    lg_kj_err_t e = lg_kj_err_make(err, errcap);
    json_t *root = NULL, *data = NULL;
    int rc = lg_kj_envelope(body, len, &root, &data, &e);
    if (rc != LG_OK) return rc;
    lg_kite_trade_t tmp;
    rc = lg_kj_array_decode(data, "data", trade_elem, out, sizeof *out, &tmp, cap, n, &e);
    json_decref(root);
    return rc;
}

static int position_elem(json_t *o, const char *path, void *out, lg_kj_err_t *e) {
    LG_ASSERT(path != NULL && out != NULL && e != NULL);
    if (!json_is_object(o)) {
        return lg_kj_fail(e, LG_EPARSE, "%s: expected an object, got %s", path,
                          lg_kj_type_name(o));
    }
    int64_t token = 0, qty = 0;
    int rc = lg_kj_int(o, path, "instrument_token", 0, UINT32_MAX, &token, e);
    if (rc == LG_OK) rc = lg_kj_int(o, path, "quantity", -LG_KJ_QTY_MAX, LG_KJ_QTY_MAX, &qty, e);
    if (rc != LG_OK) return rc;
    lg_position_row_t *row = out;
    row->token = (uint32_t)token;
    row->qty = qty;
    return LG_OK;
}

int lg_kite_parse_positions(const char *body, size_t len, lg_position_row_t *out, uint32_t cap,
                            uint32_t *n, char *err, size_t errcap) {
    LG_ASSERT(body != NULL && n != NULL);
    LG_ASSERT(out != NULL || cap == 0);
    lg_kj_err_t e = lg_kj_err_make(err, errcap);
    json_t *root = NULL, *data = NULL, *net = NULL;
    int rc = lg_kj_envelope(body, len, &root, &data, &e);
    if (rc != LG_OK) return rc;
    if (!json_is_object(data)) {
        rc = lg_kj_fail(&e, LG_EPARSE, "data: expected an object, got %s", lg_kj_type_name(data));
    } else {
        rc = lg_kj_array(data, "data", "net", &net, &e);
    }
    lg_position_row_t tmp;
    if (rc == LG_OK) {
        rc = lg_kj_array_decode(net, "data.net", position_elem, out, sizeof *out, &tmp, cap, n, &e);
    }
    json_decref(root);
    return rc;
}

/* ---- margins ------------------------------------------------------------------------ */

typedef struct money_field {
    const char *key;
    size_t off;
} money_field_t;

#define MF(key, field) {key, offsetof(lg_kite_margins_t, field)}
static const money_field_t available_fields[] = {
    MF("cash", cash), MF("opening_balance", opening_balance), MF("live_balance", live_balance),
    MF("collateral", collateral), MF("adhoc_margin", adhoc),
};
static const money_field_t utilised_fields[] = {
    MF("debits", debits), MF("exposure", exposure), MF("span", span),
    MF("option_premium", option_premium), MF("m2m_realised", m2m_realised),
    MF("m2m_unrealised", m2m_unrealised),
};
#undef MF

static int money_fields(json_t *seg, const char *path, const char *key, const money_field_t *f,
                        size_t nf, lg_kite_margins_t *m, lg_kj_err_t *e) {
    json_t *o = NULL;
    int rc = lg_kj_object(seg, path, key, &o, e);
    char p[LG_KJ_PATH_MAX];
    lg_kj_path_key(p, sizeof p, path, key);
    for (size_t i = 0; i < nf && rc == LG_OK; i++) {
        rc = lg_kj_money(o, p, f[i].key, false, (lg_paise_t *)(void *)((char *)m + f[i].off), e);
    }
    return rc;
}

/* The equity segment: data.equity, or data itself when it is one (GET .../equity). */
static int equity_segment(json_t *data, json_t **seg, const char **path, lg_kj_err_t *e) {
    if (!json_is_object(data)) {
        return lg_kj_fail(e, LG_EPARSE, "data: expected an object, got %s", lg_kj_type_name(data));
    }
    if (json_object_get(data, "equity") == NULL && json_object_get(data, "net") != NULL &&
        json_object_get(data, "available") != NULL) {
        *seg = data;
        *path = "data";
        return LG_OK;
    }
    *path = "data.equity";
    return lg_kj_object(data, "data", "equity", seg, e);
}

int lg_kite_parse_margins(const char *body, size_t len, lg_kite_margins_t *out, char *err,
                          size_t errcap) {
    LG_ASSERT(body != NULL && out != NULL);
    lg_kj_err_t e = lg_kj_err_make(err, errcap);
    json_t *root = NULL, *data = NULL, *seg = NULL;
    int rc = lg_kj_envelope(body, len, &root, &data, &e);
    if (rc != LG_OK) return rc;
    const char *path = "data";
    lg_kite_margins_t m;
    memset(&m, 0, sizeof m);
    rc = equity_segment(data, &seg, &path, &e);
    if (rc == LG_OK) rc = lg_kj_bool(seg, path, "enabled", &m.enabled, &e);
    if (rc == LG_OK) rc = lg_kj_money(seg, path, "net", false, &m.net, &e);
    if (rc == LG_OK) {
        rc = money_fields(seg, path, "available", available_fields, LG_COUNT(available_fields),
                          &m, &e);
    }
    if (rc == LG_OK) {
        rc = money_fields(seg, path, "utilised", utilised_fields, LG_COUNT(utilised_fields), &m,
                          &e);
    }
    json_decref(root);
    if (rc == LG_OK) *out = m;
    return rc;
}

static int basket_total(json_t *data, const char *key, lg_paise_t *out, lg_kj_err_t *e) {
    json_t *o = NULL;
    int rc = lg_kj_object(data, "data", key, &o, e);
    char p[LG_KJ_PATH_MAX];
    lg_kj_path_key(p, sizeof p, "data", key);
    if (rc == LG_OK) rc = lg_kj_money(o, p, "total", false, out, e);
    return rc;
}

int lg_kite_parse_basket(const char *body, size_t len, lg_paise_t *initial, lg_paise_t *final,
                         char *err, size_t errcap) {
    LG_ASSERT(body != NULL && initial != NULL && final != NULL);
    lg_kj_err_t e = lg_kj_err_make(err, errcap);
    json_t *root = NULL, *data = NULL;
    int rc = lg_kj_envelope(body, len, &root, &data, &e);
    if (rc != LG_OK) return rc;
    lg_paise_t a = 0, b = 0;
    if (!json_is_object(data)) {
        rc = lg_kj_fail(&e, LG_EPARSE, "data: expected an object, got %s", lg_kj_type_name(data));
    }
    if (rc == LG_OK) rc = basket_total(data, "initial", &a, &e);
    if (rc == LG_OK) rc = basket_total(data, "final", &b, &e);
    json_decref(root);
    if (rc != LG_OK) return rc;
    *initial = a;
    *final = b;
    return LG_OK;
}
