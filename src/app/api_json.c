/*
 * api_json.c — the control API's JSON: bodies decoded strictly into group specs and
 * intents (every field known, of its type, in its range, or the field is named), and
 * the engine's views encoded as answers. Money is rupees on the wire, paise inside.
 */
#include "api_int.h"

#include "legato/greeks.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- decoding ----------------------------------------------------------------------- */

typedef struct dec {
    char *err;
    size_t cap;
} dec_t;

static int bad(dec_t *d, const char *field, const char *fmt, ...) {
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(d->err, d->cap, "%s: %s", field, what);
    return LG_EINVAL;
}

/* Every key of o is one of the NULL-terminated names, or the first other is named. */
static int only(dec_t *d, json_t *o, const char *where, const char *const *names) {
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        bool known = false;
        for (uint32_t i = 0; names[i] != NULL && !known; i++) known = strcmp(k, names[i]) == 0;
        if (!known) {
            char f[96];
            snprintf(f, sizeof f, "%s%s%.40s", where, where[0] ? "." : "", k);
            return bad(d, f, "unknown field");
        }
    }
    return LG_OK;
}

/* An integer field in [lo, hi]; absent: *out untouched (LG_OK) unless required. */
static int get_int(dec_t *d, json_t *o, const char *key, const char *field, bool required,
                   int64_t lo, int64_t hi, int64_t *out) {
    json_t *v = json_object_get(o, key);
    if (v == NULL) return required ? bad(d, field, "required") : LG_OK;
    if (!json_is_integer(v)) return bad(d, field, "must be a whole number");
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return bad(d, field, "%lld is outside %lld..%lld", (long long)x, (long long)lo,
                   (long long)hi);
    *out = x;
    return LG_OK;
}

static int get_real(dec_t *d, json_t *o, const char *key, const char *field, double lo,
                    double hi, double *out) {
    json_t *v = json_object_get(o, key);
    if (v == NULL) return LG_OK;
    if (!json_is_number(v)) return bad(d, field, "must be a number");
    double x = json_number_value(v);
    if (!(x >= lo && x <= hi)) return bad(d, field, "%g is outside %g..%g", x, lo, hi);
    *out = x;
    return LG_OK;
}

/* Rupees with at most 2 decimals, |x| <= 1e11, into paise. */
static int get_rupees(dec_t *d, json_t *o, const char *key, const char *field, bool negative_ok,
                      lg_paise_t *out, bool *present) {
    json_t *v = json_object_get(o, key);
    if (present != NULL) *present = v != NULL;
    if (v == NULL) return LG_OK;
    if (!json_is_number(v)) return bad(d, field, "must be a number of rupees");
    double x = json_number_value(v);
    if (!(fabs(x) <= 1e11) || (!negative_ok && x < 0))
        return bad(d, field, "%g rupees is out of range", x);
    double p = x * 100.0;
    double r = nearbyint(p);
    if (fabs(p - r) > 1e-6) return bad(d, field, "%g rupees has more than 2 decimals", x);
    *out = (lg_paise_t)r;
    return LG_OK;
}

static int get_choice(dec_t *d, json_t *o, const char *key, const char *field,
                      const char *const *names, int *out) {
    json_t *v = json_object_get(o, key);
    if (v == NULL) return LG_OK;
    if (!json_is_string(v)) return bad(d, field, "must be a string");
    for (int i = 0; names[i] != NULL; i++)
        if (strcmp(json_string_value(v), names[i]) == 0) return *out = i, LG_OK;
    return bad(d, field, "'%.40s' is not one of the allowed values", json_string_value(v));
}

/* The leg's instrument by "symbol" or "token" (exactly one). */
static int get_instrument(dec_t *d, const lg_instruments_t *m, json_t *leg, const char *where,
                          const lg_instrument_t **out) {
    json_t *s = json_object_get(leg, "symbol"), *t = json_object_get(leg, "token");
    char f[64];
    snprintf(f, sizeof f, "%s.symbol", where);
    if ((s == NULL) == (t == NULL)) return bad(d, f, "give either symbol or token");
    if (s != NULL) {
        if (!json_is_string(s)) return bad(d, f, "must be a string");
        *out = lg_instruments_find_symbol(m, json_string_value(s));
        if (*out == NULL) return bad(d, f, "'%.40s' is not in the instrument master", json_string_value(s));
        return LG_OK;
    }
    int64_t tok = 0;
    snprintf(f, sizeof f, "%s.token", where);
    int rc = get_int(d, leg, "token", f, true, 1, UINT32_MAX, &tok);
    if (rc != LG_OK) return rc;
    *out = lg_instruments_find(m, (uint32_t)tok);
    return *out != NULL ? LG_OK : bad(d, f, "%lld is not in the instrument master", (long long)tok);
}

static const char *const SIDES[] = {"sell", "buy", NULL};
static const char *const INCOMPLETE[] = {"flat", "shrink", NULL};

typedef struct leg_in {
    const lg_instrument_t *ins;
    int8_t side, covered_by;
    int64_t amount; /* qty (group) or ratio (intent) */
    lg_paise_t limit;
} leg_in_t;

/* One leg: instrument, side, covered_by, limit, and qty or ratio (amount_key). */
static int leg_of(dec_t *d, const lg_instruments_t *m, json_t *leg, uint32_t i, uint32_t n,
                  const char *amount_key, int64_t amount_max, leg_in_t *out) {
    char where[24], f[64];
    snprintf(where, sizeof where, "legs[%u]", i);
    if (!json_is_object(leg)) return bad(d, where, "must be an object");
    static const char *const KEYS[] = {"symbol", "token", "side", "qty", "ratio", "limit",
                                       "covered_by", NULL};
    int rc = only(d, leg, where, KEYS);
    if (rc != LG_OK) return rc;
    const char *other = strcmp(amount_key, "qty") == 0 ? "ratio" : "qty";
    if (json_object_get(leg, other) != NULL) {
        snprintf(f, sizeof f, "%s.%s", where, other);
        return bad(d, f, "unknown field");
    }
    rc = get_instrument(d, m, leg, where, &out->ins);
    if (rc != LG_OK) return rc;
    int side = -1;
    snprintf(f, sizeof f, "%s.side", where);
    if (json_object_get(leg, "side") == NULL) return bad(d, f, "required (buy or sell)");
    rc = get_choice(d, leg, "side", f, SIDES, &side);
    if (rc != LG_OK) return rc;
    out->side = side == 1 ? 1 : -1;
    snprintf(f, sizeof f, "%s.%s", where, amount_key);
    rc = get_int(d, leg, amount_key, f, true, 1, amount_max, &out->amount);
    if (rc != LG_OK) return rc;
    int64_t cov = -1;
    snprintf(f, sizeof f, "%s.covered_by", where);
    rc = get_int(d, leg, "covered_by", f, false, 0, (int64_t)n - 1, &cov);
    if (rc != LG_OK) return rc;
    if (cov == (int64_t)i) return bad(d, f, "a leg cannot cover itself");
    out->covered_by = (int8_t)cov;
    out->limit = 0;
    snprintf(f, sizeof f, "%s.limit", where);
    return get_rupees(d, leg, "limit", f, false, &out->limit, NULL);
}

/* What groups and intents share: the legs array and the execution options. */
typedef struct common {
    uint32_t n;
    leg_in_t legs[LG_MAX_LEGS];
    int8_t policy, on_incomplete;
    lg_ns_t timeout_ns;
} common_t;

static int common_of(dec_t *d, const lg_instruments_t *m, json_t *root, const char *amount_key,
                     int64_t amount_max, common_t *c) {
    json_t *legs = json_object_get(root, "legs");
    if (legs == NULL) return bad(d, "legs", "required");
    if (!json_is_array(legs)) return bad(d, "legs", "must be an array");
    size_t n = json_array_size(legs);
    if (n == 0 || n > LG_MAX_LEGS) return bad(d, "legs", "%zu legs (1 to %d)", n, LG_MAX_LEGS);
    c->n = (uint32_t)n;
    for (uint32_t i = 0; i < c->n; i++) {
        int rc = leg_of(d, m, json_array_get(legs, i), i, c->n, amount_key, amount_max, &c->legs[i]);
        if (rc != LG_OK) return rc;
    }
    c->policy = -1;
    json_t *p = json_object_get(root, "policy");
    if (p != NULL) {
        lg_policy_t pol;
        if (!json_is_string(p) || lg_policy_parse(json_string_value(p), &pol) != LG_OK)
            return bad(d, "policy", "must be ratchet, protection_first or naive");
        c->policy = (int8_t)pol;
    }
    int inc = -1;
    int rc = get_choice(d, root, "on_incomplete", "on_incomplete", INCOMPLETE, &inc);
    if (rc != LG_OK) return rc;
    c->on_incomplete = (int8_t)inc;
    int64_t ms = 0;
    rc = get_int(d, root, "entry_timeout_ms", "entry_timeout_ms", false, 0, 86400000, &ms);
    c->timeout_ns = ms * LG_NS_PER_MS;
    return rc;
}

static json_t *parse_object(dec_t *d, const char *body, size_t len) {
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        bad(d, "body", "not JSON: %s (line %d column %d)", je.text, je.line, je.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        bad(d, "body", "must be a JSON object");
        json_decref(root);
        return NULL;
    }
    return root;
}

int lg_api_decode_group(const lg_instruments_t *m, const char *body, size_t len,
                        lg_group_spec_t *out, char *err, size_t cap) {
    dec_t d = {err, cap};
    json_t *root = parse_object(&d, body, len);
    if (root == NULL) return LG_EINVAL;
    static const char *const KEYS[] = {"legs", "policy", "on_incomplete", "entry_timeout_ms", NULL};
    common_t c;
    int rc = only(&d, root, "", KEYS);
    if (rc == LG_OK) rc = common_of(&d, m, root, "qty", 100000000, &c);
    json_decref(root);
    if (rc != LG_OK) return rc;
    memset(out, 0, sizeof *out);
    *out = (lg_group_spec_t){.n_legs = c.n, .policy = c.policy, .on_incomplete = c.on_incomplete,
                             .entry_timeout_ns = c.timeout_ns};
    for (uint32_t i = 0; i < c.n; i++)
        out->legs[i] = (lg_leg_spec_t){.token = c.legs[i].ins->token, .side = c.legs[i].side,
                                       .covered_by = c.legs[i].covered_by,
                                       .qty = (lg_qty_t)c.legs[i].amount, .limit_price = c.legs[i].limit};
    return LG_OK;
}

int lg_api_decode_intent(const lg_engine_t *e, const char *body, size_t len, lg_intent_t *out,
                         char *err, size_t cap) {
    dec_t d = {err, cap};
    json_t *root = parse_object(&d, body, len);
    if (root == NULL) return LG_EINVAL;
    static const char *const KEYS[] = {"legs", "policy", "on_incomplete", "entry_timeout_ms",
                                       "direction", "confidence", "decision_price",
                                       "broker_margin", NULL};
    common_t c;
    int64_t dir = 1;
    double conf = 1.0;
    lg_paise_t decision = 0, margin = 0;
    bool have_decision = false;
    int rc = only(&d, root, "", KEYS);
    if (rc == LG_OK) rc = common_of(&d, lg_engine_master(e), root, "ratio", 1000, &c);
    if (rc == LG_OK) rc = get_int(&d, root, "direction", "direction", false, -1, 1, &dir);
    if (rc == LG_OK && dir == 0) rc = bad(&d, "direction", "must be 1 or -1");
    if (rc == LG_OK) rc = get_real(&d, root, "confidence", "confidence", 1e-9, 1.0, &conf);
    if (rc == LG_OK)
        rc = get_rupees(&d, root, "decision_price", "decision_price", true, &decision, &have_decision);
    if (rc == LG_OK) rc = get_rupees(&d, root, "broker_margin", "broker_margin", false, &margin, NULL);
    json_decref(root);
    if (rc != LG_OK) return rc;
    memset(out, 0, sizeof *out);
    *out = (lg_intent_t){.n_legs = c.n, .direction = (int8_t)dir, .policy = c.policy,
                         .on_incomplete = c.on_incomplete, .confidence = conf,
                         .decision_price = decision, .broker_margin = margin,
                         .entry_timeout_ns = c.timeout_ns};
    lg_paise_t now = 0;
    for (uint32_t i = 0; i < c.n; i++) {
        const leg_in_t *l = &c.legs[i];
        out->legs[i] = (lg_intent_leg_t){.token = l->ins->token, .side = l->side,
                                         .covered_by = l->covered_by, .ratio = (uint16_t)l->amount,
                                         .limit_price = l->limit};
        lg_paise_t ltp = 0;
        double iv;
        lg_engine_price(e, l->ins->token, &ltp, &iv);
        now += l->side * out->direction * (lg_paise_t)l->amount * ltp;
    }
    if (!have_decision) out->decision_price = now; /* decided on the market as it is */
    return LG_OK;
}

/* ---- encoding ----------------------------------------------------------------------- */

json_t *lg_api_rupees(int64_t paise) { return json_real((double)paise / 100.0); }

static int64_t unix_ms(const lg_engine_t *e, lg_ns_t t) {
    return t == 0 ? 0 : (t + lg_engine_config(e)->clock_offset_ns) / LG_NS_PER_MS;
}

static const char *symbol_of(const lg_engine_t *e, uint32_t token) {
    const lg_instrument_t *in = lg_instruments_find(lg_engine_master(e), token);
    return in != NULL ? in->symbol : "?";
}

static json_t *leg_json(const lg_engine_t *e, const lg_leg_view_t *l) {
    return json_pack("{s:s,s:i,s:s,s:I,s:I,s:I,s:I,s:b,s:i}", "symbol", symbol_of(e, l->token),
                     "token", (json_int_t)l->token, "side", l->side > 0 ? "buy" : "sell",
                     "target", (json_int_t)l->target, "entry_filled", (json_int_t)l->entry_filled,
                     "reversed", (json_int_t)l->rev_filled, "held", (json_int_t)l->held,
                     "protection", l->protection, "covered_by", (int)l->cover);
}

static json_t *order_json(const lg_engine_t *e, const lg_order_t *o) {
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "tag", o->tag, "broker_id",
                          o->broker_id, "symbol", symbol_of(e, o->token), "side",
                          o->side > 0 ? "buy" : "sell", "type", lg_otype_name((lg_otype_t)o->otype),
                          "qty", (json_int_t)o->qty, "filled", (json_int_t)o->filled, "state",
                          lg_ostate_name(o->state));
    if (j == NULL) return NULL;
    json_object_set_new(j, "price", lg_api_rupees(o->price));
    json_object_set_new(j, "trigger", lg_api_rupees(o->trigger));
    json_object_set_new(j, "avg_price", lg_api_rupees(o->avg_price));
    json_object_set_new(j, "sent_ms", json_integer(unix_ms(e, o->sent_ns)));
    return j;
}

json_t *lg_api_group_json(const lg_engine_t *e, uint32_t id, bool full) {
    lg_group_view_t v;
    if (lg_engine_group(e, id, &v) != LG_OK) return NULL;
    json_t *g = json_pack("{s:i,s:s,s:s,s:I,s:I,s:I,s:i}", "id", (json_int_t)v.id, "state",
                          lg_gstate_name(v.state), "policy", lg_policy_name(v.policy),
                          "created_ms", (json_int_t)unix_ms(e, v.created_ns), "finished_ms",
                          (json_int_t)unix_ms(e, v.finished_ns), "naked", (json_int_t)v.naked,
                          "reversal_orders", (int)v.emergency_orders);
    if (g == NULL) return NULL;
    json_object_set_new(g, "on_incomplete", json_string(INCOMPLETE[v.on_incomplete == 1]));
    json_object_set_new(g, "cash", lg_api_rupees(v.cash));
    json_t *legs = json_array();
    for (uint32_t i = 0; i < v.n_legs; i++) json_array_append_new(legs, leg_json(e, &v.legs[i]));
    json_object_set_new(g, "legs", legs);
    lg_sizing_view_t sz;
    if (lg_engine_sizing(e, id, &sz) == LG_OK) {
        json_t *s = json_pack("{s:i,s:s}", "units", (int)sz.units, "bound", lg_bound_name(sz.bound));
        if (s != NULL) json_object_set_new(s, "worst_need", lg_api_rupees(sz.worst_need));
        json_object_set_new(g, "sizing", s);
    }
    if (!full) return g;
    json_t *path = json_array();
    for (uint32_t i = 0; i < v.n_states && i < LG_COUNT(v.path); i++)
        json_array_append_new(path, json_string(lg_gstate_name((lg_gstate_t)v.path[i])));
    json_object_set_new(g, "timeline", path);
    json_t *orders = json_array();
    for (uint32_t c = 0; c < v.n_orders && c < LG_ENGINE_GROUP_ORDERS; c++) {
        const lg_order_t *o = lg_engine_group_order(e, id, c);
        if (o != NULL) json_array_append_new(orders, order_json(e, o));
    }
    json_object_set_new(g, "orders", orders);
    return g;
}

json_t *lg_api_risk_json(const lg_engine_t *e) {
    lg_risk_view_t r;
    lg_engine_risk(e, &r);
    json_t *j = json_pack("{s:s,s:b,s:i,s:i}", "trading_state",
                          lg_tstate_name(lg_engine_trading_state(e)), "margins_known",
                          r.margins_known, "unpriced", (int)r.unpriced, "orders_last_minute",
                          (int)r.orders_last_minute);
    if (j == NULL) return NULL;
    json_object_set_new(j, "available", lg_api_rupees(r.available));
    json_object_set_new(j, "reserved", lg_api_rupees(r.reserved));
    json_object_set_new(j, "day_pnl", lg_api_rupees(r.day_pnl));
    json_object_set_new(j, "realised_cash", lg_api_rupees(r.cash));
    json_object_set_new(j, "mark", lg_api_rupees(r.mark));
    json_object_set_new(j, "daily_loss_limit",
                        lg_api_rupees(lg_engine_config(e)->risk.daily_loss_limit));
    return j;
}

static json_t *greeks_json(const lg_greeks_und_t *u) {
    return json_pack("{s:f,s:f,s:f,s:f}", "delta", u->delta, "gamma", u->gamma, "vega", u->vega,
                     "theta", u->theta);
}

/* Greeks of qty units (LG_OK) at the engine's prices, or why not in err. */
static int pos_greeks(const lg_engine_t *e, const lg_instrument_t *in, lg_qty_t qty,
                      int64_t unix_ns, lg_greeks_book_t *b, char *err, size_t cap) {
    const lg_instruments_t *m = lg_engine_master(e);
    lg_greeks_forward_t fwd = {.price = 0};
    lg_strlcpy(fwd.underlying, in->underlying, sizeof fwd.underlying);
    int32_t front = INT32_MAX;
    for (uint32_t i = 0; i < m->n; i++) { /* the front future: the nearest priced expiry */
        const lg_instrument_t *f = &m->items[i];
        if (f->kind != LG_KIND_FUT || strcmp(f->underlying, in->underlying) != 0) continue;
        lg_paise_t ltp = 0;
        double iv;
        lg_engine_price(e, f->token, &ltp, &iv);
        if (ltp > 0 && f->expiry_day < front) front = f->expiry_day, fwd.price = ltp;
    }
    lg_greeks_market_t mk = {.forwards = &fwd, .n_forwards = 1, .unix_ns = unix_ns};
    lg_paise_t ltp = 0;
    double iv = 0;
    lg_engine_price(e, in->token, &ltp, &iv);
    lg_greeks_pos_t p = {.ins = in, .qty = qty, .quote = {.ltp = ltp}, .iv = iv};
    return lg_greeks_book_build(b, &p, 1, &mk, err, cap);
}

json_t *lg_api_positions_json(const lg_engine_t *e, int64_t unix_ns) {
    const lg_instruments_t *m = lg_engine_master(e);
    json_t *rows = json_array(), *totals = json_object();
    if (rows == NULL || totals == NULL) {
        json_decref(rows);
        json_decref(totals);
        return NULL;
    }
    for (uint32_t i = 0; i < m->n; i++) {
        const lg_instrument_t *in = &m->items[i];
        lg_qty_t q = lg_engine_position(e, in->token);
        if (q == 0) continue;
        lg_paise_t ltp = 0;
        double iv = 0;
        lg_engine_price(e, in->token, &ltp, &iv);
        json_t *r = json_pack("{s:s,s:i,s:s,s:I,s:f}", "symbol", in->symbol, "token",
                              (json_int_t)in->token, "underlying", in->underlying, "qty",
                              (json_int_t)q, "iv", iv);
        if (r == NULL) continue;
        json_object_set_new(r, "ltp", lg_api_rupees(ltp));
        json_object_set_new(r, "value", lg_api_rupees(q * ltp));
        lg_paise_t pnl = 0;
        if (lg_engine_position_pnl(e, in->token, &pnl) == LG_OK) json_object_set_new(r, "pnl", lg_api_rupees(pnl));
        lg_greeks_book_t b;
        char err[160];
        if (pos_greeks(e, in, q, unix_ns, &b, err, sizeof err) == LG_OK && b.n == 1) {
            json_object_set_new(r, "greeks", greeks_json(&b.und[0]));
            json_t *t = json_object_get(totals, in->underlying);
            if (t == NULL) json_object_set_new(totals, in->underlying, t = greeks_json(&b.und[0]));
            else {
                static const char *const K[] = {"delta", "gamma", "vega", "theta"};
                for (int k = 0; k < 4; k++)
                    json_object_set_new(t, K[k], json_real(json_real_value(json_object_get(t, K[k])) +
                                                           lg_greeks_und_get(&b.und[0], (lg_greek_t)k)));
            }
        } else {
            json_object_set_new(r, "greeks", json_null());
            json_object_set_new(r, "greeks_missing", json_string(err));
        }
        json_array_append_new(rows, r);
    }
    json_t *j = json_pack("{s:o,s:o}", "positions", rows, "greeks", totals);
    if (j != NULL) json_object_set_new(j, "risk", lg_api_risk_json(e));
    return j;
}

json_t *lg_api_instrument_json(const lg_engine_t *e, const lg_instrument_t *in) {
    static const char *const KINDS[] = {"", "CE", "PE", "FUT"};
    int y, m, d;
    lg_civil_from_days(in->expiry_day, &y, &m, &d);
    char date[16];
    snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
    json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:I,s:o,s:I}", "token", (json_int_t)in->token, "symbol",
                          in->symbol, "underlying", in->underlying, "kind", KINDS[in->kind], "expiry", date,
                          "strike", lg_api_rupees(in->strike), "lot", (json_int_t)in->lot, "tick",
                          lg_api_rupees(in->tick), "freeze", (json_int_t)in->freeze);
    lg_paise_t ltp = 0;
    double iv = 0;
    bool priced = lg_engine_price(e, in->token, &ltp, &iv) == LG_OK && ltp > 0;
    if (j != NULL) json_object_set_new(j, "ltp", priced ? lg_api_rupees(ltp) : json_null());
    if (j != NULL) json_object_set_new(j, "iv", priced && iv > 0 ? json_real(iv) : json_null());
    return j;
}
