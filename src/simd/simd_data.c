/*
 * simd_data.c — `legato sim`'s market and account data: quotes (/quote, /quote/ohlc,
 * /quote/ltp), the instruments CSV, positions and trades kept from the model's
 * fills, and margins from the scenario margin model (margin.h): /user/margins on the
 * open positions, /margins/orders per order, /margins/basket with the spread benefit
 * (`initial` is the legs alone, `final` the legs together), every leg as the model
 * itself prices it (lg_sim_margin_leg: its underlying, volatility and time).
 *
 * Contract names. The model names every contract in Kite's monthly form; here the
 * master is renamed by its expiry, as Kite does: an option expiring on its month's
 * last Tuesday is monthly (NIFTY26DEC26000CE), any other is weekly, named by year,
 * one month character (1..9 for January..September, O, N, D) and day
 * (NIFTY26D0826000CE for 2026-12-08). Futures are monthly only: a future is moved to
 * its month's last Tuesday (NIFTY26DECFUT); the model prices a future at the spot, so
 * the expiry it keeps for it does not matter. Tokens are left as they are.
 */
#include "legato/margin.h"
#include "simd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---- contract names -------------------------------------------------------------------- */

static const char *const month_names[12] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char month_chars[12] = {'1', '2', '3', '4', '5', '6', '7', '8', '9', 'O', 'N', 'D'};

/* The weekday of a day since 1970-01-01 (a Thursday): 0 Sunday .. 6 Saturday. */
static int weekday_of(int32_t day) {
    return (int)(((day + 4) % 7 + 7) % 7);
}

/* The last Tuesday of the month `day` is in. */
static int32_t last_tuesday(int32_t day) {
    int y, m, d;
    lg_civil_from_days(day, &y, &m, &d);
    int32_t last = lg_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
    int32_t tue = last - (weekday_of(last) - 2 + 7) % 7;
    LG_ASSERT(weekday_of(tue) == 2 && tue <= last && last - tue < 7);
    return tue;
}

/* Kite's strike text: whole rupees, or rupees and paise. */
static int strike_text(char *out, size_t cap, lg_paise_t strike) {
    if (strike % 100 == 0) return snprintf(out, cap, "%lld", (long long)(strike / 100));
    return snprintf(out, cap, "%lld.%02lld", (long long)(strike / 100), (long long)(strike % 100));
}

/* One contract's tradingsymbol from its underlying, kind, strike and expiry. */
static void contract_symbol(const lg_instrument_t *in, char *out, size_t cap) {
    int y, m, d;
    lg_civil_from_days(in->expiry_day, &y, &m, &d);
    LG_ASSERT(m >= 1 && m <= 12 && d >= 1 && d <= 31);
    bool monthly = in->expiry_day == last_tuesday(in->expiry_day);
    char strike[24];
    int k = strike_text(strike, sizeof strike, in->strike);
    LG_ASSERT(k > 0 && (size_t)k < sizeof strike);
    const char *type = in->kind == LG_KIND_CE ? "CE" : "PE";
    int n;
    if (in->kind == LG_KIND_FUT) {
        LG_ASSERT(monthly);
        n = snprintf(out, cap, "%s%02d%sFUT", in->underlying, y % 100, month_names[m - 1]);
    } else if (monthly) {
        n = snprintf(out, cap, "%s%02d%s%s%s", in->underlying, y % 100, month_names[m - 1], strike,
                     type);
    } else {
        n = snprintf(out, cap, "%s%02d%c%02d%s%s", in->underlying, y % 100, month_chars[m - 1], d,
                     strike, type);
    }
    LG_ASSERT(n > 0 && (size_t)n < cap);
}

void lg_simd_name_contracts(lg_instruments_t *m) {
    LG_ASSERT(m != NULL && m->n <= m->cap);
    for (uint32_t i = 0; i < m->n; i++) {
        lg_instrument_t *in = &m->items[i];
        if (in->kind == LG_KIND_FUT) in->expiry_day = last_tuesday(in->expiry_day);
        contract_symbol(in, in->symbol, sizeof in->symbol);
    }
}

/* ---- ticks and quotes --------------------------------------------------------------------- */

void lg_simd_mark(lg_simd_t *d, uint32_t token, lg_paise_t ltp) {
    uint32_t i = lg_simd_index(d, token);
    if (i == UINT32_MAX || ltp <= 0) return;
    simd_ohlc_t *o = &d->ohlc[i];
    if (o->open == 0) o->open = o->high = o->low = o->close = ltp;
    if (ltp > o->high) o->high = ltp;
    if (ltp < o->low) o->low = ltp;
}

void lg_simd_tick(lg_simd_t *d, uint32_t token, lg_tick_mode_t mode, lg_tick_t *t) {
    memset(t, 0, sizeof *t);
    lg_paise_t bid = 0, ask = 0, ltp = 0, lo = 0, hi = 0;
    if (lg_sim_quote(d->sim, token, &bid, &ask, &ltp) != LG_OK) return;
    lg_sim_band(d->sim, token, &lo, &hi);
    lg_simd_mark(d, token, ltp);
    uint32_t i = lg_simd_index(d, token);
    const lg_instrument_t *in = &d->master.items[i];
    const simd_ohlc_t *o = &d->ohlc[i];
    t->token = token;
    t->mode = (uint8_t)mode;
    t->tradable = true;
    t->ltp = ltp;
    t->last_qty = in->lot;
    t->avg_price = ltp;
    t->volume = o->volume;
    t->open = o->open;
    t->high = o->high;
    t->low = o->low;
    t->close = o->close;
    int64_t now_s = lg_simd_unix_s(d, lg_simd_now(d));
    t->last_trade_time = now_s;
    t->exchange_time = now_s;
    for (int k = 0; k < 5; k++) { /* a plausible book around the model's bid and ask */
        t->bid[k] = (lg_depth_t){.qty = in->lot * 10 * (k + 1), .price = bid - k * in->tick,
                                 .orders = k + 1};
        t->ask[k] = (lg_depth_t){.qty = in->lot * 10 * (k + 1), .price = ask + k * in->tick,
                                 .orders = k + 1};
        if (t->bid[k].price <= 0) t->bid[k] = (lg_depth_t){0};
        t->buy_qty += t->bid[k].qty;
        t->sell_qty += t->ask[k].qty;
    }
}

static json_t *depth_json(const lg_depth_t *lv) {
    json_t *a = json_array();
    for (int k = 0; k < 5; k++)
        json_array_append_new(a, json_pack("{s:o,s:I,s:i}", "price", lg_simd_money(lv[k].price),
                                           "quantity", (json_int_t)lv[k].qty, "orders",
                                           lv[k].orders));
    return a;
}

/* One instrument's quote at a depth: 0 ltp, 1 ohlc, 2 the full quote. */
static json_t *quote_json(lg_simd_t *d, uint32_t token, int depth) {
    lg_tick_t t;
    lg_simd_tick(d, token, LG_TICK_FULL, &t);
    json_t *q = json_pack("{s:I,s:o}", "instrument_token", (json_int_t)token, "last_price",
                          lg_simd_money(t.ltp));
    if (depth == 0) return q;
    json_object_set_new(q, "ohlc", json_pack("{s:o,s:o,s:o,s:o}", "open", lg_simd_money(t.open),
                                             "high", lg_simd_money(t.high), "low",
                                             lg_simd_money(t.low), "close", lg_simd_money(t.close)));
    if (depth == 1) return q;
    char ts[24];
    int64_t s = t.exchange_time + 19800;
    int y, m, dd;
    lg_civil_from_days((int32_t)(s / 86400), &y, &m, &dd);
    snprintf(ts, sizeof ts, "%04d-%02d-%02d %02d:%02d:%02d", y, m, dd, (int)(s % 86400 / 3600),
             (int)(s % 3600 / 60), (int)(s % 60));
    lg_paise_t lo = 0, hi = 0;
    lg_sim_band(d->sim, token, &lo, &hi);
    json_object_set_new(q, "timestamp", json_string(ts));
    json_object_set_new(q, "last_trade_time", json_string(ts));
    json_object_set_new(q, "last_quantity", json_integer(t.last_qty));
    json_object_set_new(q, "buy_quantity", json_integer(t.buy_qty));
    json_object_set_new(q, "sell_quantity", json_integer(t.sell_qty));
    json_object_set_new(q, "volume", json_integer(t.volume));
    json_object_set_new(q, "average_price", lg_simd_money(t.avg_price));
    json_object_set_new(q, "oi", json_integer(0));
    json_object_set_new(q, "oi_day_high", json_integer(0));
    json_object_set_new(q, "oi_day_low", json_integer(0));
    json_object_set_new(q, "net_change", lg_simd_money(t.ltp - t.close));
    json_object_set_new(q, "lower_circuit_limit", lg_simd_money(lo));
    json_object_set_new(q, "upper_circuit_limit", lg_simd_money(hi));
    json_object_set_new(q, "depth", json_pack("{s:o,s:o}", "buy", depth_json(t.bid), "sell",
                                              depth_json(t.ask)));
    return q;
}

void lg_simd_quote(lg_simd_t *d, lg_http_conn_t *c, const lg_http_req_t *r, int depth) {
    simd_form_t f;
    if (lg_simd_form(&f, r->query, strlen(r->query)) != LG_OK) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "Malformed query");
        return;
    }
    json_t *data = json_object();
    for (uint32_t i = 0; i < f.n; i++) {
        if (strcmp(f.names[i], "i") != 0) continue;
        const char *colon = strchr(f.values[i], ':');
        const lg_instrument_t *in =
            colon != NULL && strncmp(f.values[i], "NFO:", 4) == 0
                ? lg_instruments_find_symbol(&d->master, colon + 1)
                : NULL;
        if (in != NULL) json_object_set_new(data, f.values[i], quote_json(d, in->token, depth));
        /* Kite leaves unknown instruments out of the answer */
    }
    lg_simd_reply_json(c, 200, data);
}

/* ---- instruments ------------------------------------------------------------------------------ */

void lg_simd_instruments(lg_simd_t *d, lg_http_conn_t *c, const char *exchange) {
    if (exchange != NULL && strcmp(exchange, "NFO") != 0) {
        lg_http_reply(c, 200, "text/csv", "", 0, NULL); /* no instruments there */
        return;
    }
    size_t cap = 256 + (size_t)d->master.n * 160, n = 0;
    char *csv = malloc(cap);
    if (csv == NULL) {
        lg_simd_reply_error(c, 500, LG_KITE_E_GENERAL, "out of memory");
        return;
    }
    n += (size_t)snprintf(csv, cap, "instrument_token,exchange_token,tradingsymbol,name,"
                          "last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,"
                          "exchange\n");
    for (uint32_t i = 0; i < d->master.n && n + 160 < cap; i++) {
        const lg_instrument_t *in = &d->master.items[i];
        int y, m, dd;
        lg_civil_from_days(in->expiry_day, &y, &m, &dd);
        const char *type = in->kind == LG_KIND_FUT ? "FUT" : in->kind == LG_KIND_CE ? "CE" : "PE";
        n += (size_t)snprintf(csv + n, cap - n,
                              "%u,%u,%s,\"%s\",0,%04d-%02d-%02d,%lld.%02lld,%lld.%02lld,%lld,%s,%s,NFO\n",
                              in->token, in->token >> 8, in->symbol, in->underlying, y, m, dd,
                              (long long)(in->strike / 100), (long long)(in->strike % 100),
                              (long long)(in->tick / 100), (long long)(in->tick % 100),
                              (long long)in->lot, type, in->kind == LG_KIND_FUT ? "NFO-FUT" : "NFO-OPT");
    }
    lg_http_reply(c, 200, "text/csv", csv, n, NULL);
    free(csv);
}

/* ---- fills, positions ---------------------------------------------------------------------------- */

void lg_simd_on_fill(lg_simd_t *d, const lg_sim_fill_t *f) {
    uint32_t i = lg_simd_index(d, f->token);
    if (i == UINT32_MAX) return;
    simd_pos_t *p = &d->pos[i];
    lg_qty_t q = f->qty < 0 ? -f->qty : f->qty;
    if (f->qty > 0) {
        p->buy_qty += q;
        p->buy_value += q * f->price;
    } else {
        p->sell_qty += q;
        p->sell_value += q * f->price;
    }
    d->ohlc[i].volume += q;
    if (d->n_trades < SIMD_MAX_TRADES && f->order < d->cfg.max_orders) {
        d->trades[d->n_trades++] = (simd_trade_t){.order = f->order, .token = f->token,
                                                  .qty = f->qty, .price = f->price,
                                                  .at_s = lg_simd_unix_s(d, f->at)};
    }
}

static lg_paise_t ltp_of(lg_simd_t *d, uint32_t token) {
    lg_paise_t bid, ask, ltp = 0;
    return lg_sim_quote(d->sim, token, &bid, &ask, &ltp) == LG_OK ? ltp : 0;
}

static void position_row(lg_simd_t *d, uint32_t i, lg_kite_position_row_t *row) {
    const simd_pos_t *p = &d->pos[i];
    const lg_instrument_t *in = &d->master.items[i];
    lg_qty_t net = p->buy_qty - p->sell_qty;
    lg_paise_t ltp = ltp_of(d, in->token);
    *row = (lg_kite_position_row_t){
        .symbol = in->symbol, .product = "NRML", .token = in->token, .qty = net,
        .buy_qty = p->buy_qty, .sell_qty = p->sell_qty, .last_price = ltp,
        .buy_value = p->buy_value, .sell_value = p->sell_value,
        .buy_price = p->buy_qty > 0 ? p->buy_value / p->buy_qty : 0,
        .sell_price = p->sell_qty > 0 ? p->sell_value / p->sell_qty : 0,
        .value = p->sell_value - p->buy_value,
        .pnl = p->sell_value - p->buy_value + net * ltp};
    row->avg_price = net > 0 ? row->buy_price : net < 0 ? row->sell_price : 0;
}

void lg_simd_positions(lg_simd_t *d, lg_http_conn_t *c) {
    lg_kite_position_row_t *rows = calloc(d->master.n + 1, sizeof *rows);
    uint32_t n = 0;
    for (uint32_t i = 0; rows != NULL && i < d->master.n; i++)
        if (d->pos[i].buy_qty > 0 || d->pos[i].sell_qty > 0) position_row(d, i, &rows[n++]);
    lg_simd_reply_text(c, 200, rows != NULL ? lg_kite_json_positions(rows, n) : NULL);
    free(rows);
}

/* ---- margins ------------------------------------------------------------------------------------ */

/* A position or an order as a leg of the margin model; false for an unknown token. */
static bool margin_leg(lg_simd_t *d, uint32_t token, lg_qty_t qty, lg_paise_t price,
                       lg_margin_leg_t *l) {
    return lg_sim_margin_leg(d->sim, token, qty, price, l) == LG_OK; /* the model's own legs */
}

static lg_kite_margin_calc_t calc_of(const lg_margin_t *m) {
    return (lg_kite_margin_calc_t){m->span, m->exposure, m->option_premium, m->total};
}

void lg_simd_margins(lg_simd_t *d, lg_http_conn_t *c, const char *segment) {
    if (segment != NULL && strcmp(segment, "equity") != 0 && strcmp(segment, "commodity") != 0) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "Invalid segment '%.20s'", segment);
        return;
    }
    lg_margin_leg_t legs[LG_MARGIN_MAX_LEGS];
    uint32_t n = 0;
    lg_paise_t m2m = 0;
    for (uint32_t i = 0; i < d->master.n; i++) {
        lg_kite_position_row_t row;
        if (d->pos[i].buy_qty == 0 && d->pos[i].sell_qty == 0) continue;
        position_row(d, i, &row);
        m2m += row.pnl;
        if (row.qty != 0 && n < LG_MARGIN_MAX_LEGS && margin_leg(d, row.token, row.qty, 0, &legs[n]))
            n++;
    }
    lg_margin_params_t mp;
    lg_margin_params_default(&mp);
    lg_margin_t m = {0};
    lg_margin_calc(legs, n, &mp, &m);
    lg_paise_t ob = d->cfg.opening_balance;
    lg_kite_margins_t eq = {.enabled = true, .net = ob - m.total + m2m, .cash = ob,
                            .opening_balance = ob, .live_balance = ob - m.total + m2m,
                            .debits = m.total, .exposure = m.exposure, .span = m.span,
                            .option_premium = m.option_premium, .m2m_unrealised = m2m};
    char *text = lg_kite_json_margins(&eq);
    if (segment == NULL || text == NULL) {
        lg_simd_reply_text(c, 200, text);
        return;
    }
    json_t *all = json_loads(text, 0, NULL); /* one segment: its object alone */
    free(text);
    json_t *seg = json_object_get(json_object_get(all, "data"), segment);
    lg_simd_reply_json(c, 200, json_incref(seg));
    json_decref(all);
}

/* The JSON array of orders of a margin request into legs; NULL after replying. */
static uint32_t order_legs(lg_simd_t *d, lg_http_conn_t *c, const json_t *arr,
                           lg_margin_leg_t *legs) {
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n == 0 || n > LG_MARGIN_MAX_LEGS) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT,
                            "Expected a JSON array of 1 to %d orders", LG_MARGIN_MAX_LEGS);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(arr, i);
        const char *sym = json_string_value(json_object_get(o, "tradingsymbol"));
        const char *tt = json_string_value(json_object_get(o, "transaction_type"));
        json_t *q = json_object_get(o, "quantity"), *p = json_object_get(o, "price");
        const lg_instrument_t *in = sym != NULL ? lg_instruments_find_symbol(&d->master, sym) : NULL;
        bool buy = tt != NULL && strcmp(tt, "BUY") == 0, sell = tt != NULL && strcmp(tt, "SELL") == 0;
        if (in == NULL || (!buy && !sell) || !json_is_integer(q) || json_integer_value(q) <= 0 ||
            (p != NULL && !json_is_number(p))) {
            lg_simd_reply_error(c, 400, LG_KITE_E_INPUT,
                                "orders[%zu]: tradingsymbol, transaction_type and quantity are "
                                "required (a known NFO symbol, BUY/SELL, an integer)", i);
            return 0;
        }
        lg_qty_t qty = (lg_qty_t)json_integer_value(q) * (buy ? 1 : -1);
        lg_paise_t price = p != NULL ? (lg_paise_t)(json_number_value(p) * 100.0 + 0.5) : 0;
        margin_leg(d, in->token, qty, price, &legs[i]);
    }
    return (uint32_t)n;
}

static json_t *calc_json(const lg_margin_t *m, const char *sym) {
    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:i,s:i,s:i,s:i,s:{s:i,s:i},s:i,s:o}", "type",
                     "equity", "tradingsymbol", sym, "exchange", "NFO", "span",
                     lg_simd_money(m->span), "exposure", lg_simd_money(m->exposure),
                     "option_premium", lg_simd_money(m->option_premium), "additional", 0, "bo",
                     0, "cash", 0, "var", 0, "pnl", "realised", 0, "unrealised", 0, "leverage",
                     1, "total", lg_simd_money(m->total));
}

void lg_simd_order_margins(lg_simd_t *d, lg_http_conn_t *c, const lg_http_req_t *r, bool basket) {
    json_error_t jerr;
    json_t *arr = json_loadb(r->body, r->body_len, 0, &jerr);
    lg_margin_leg_t legs[LG_MARGIN_MAX_LEGS];
    uint32_t n = arr != NULL ? order_legs(d, c, arr, legs) : 0;
    if (arr == NULL) lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "Body is not JSON: %.80s", jerr.text);
    if (n == 0) {
        json_decref(arr);
        return;
    }
    lg_margin_params_t mp;
    lg_margin_params_default(&mp);
    lg_margin_t each[LG_MARGIN_MAX_LEGS], initial = {0}, together = {0};
    lg_kite_margin_calc_t calcs[LG_MARGIN_MAX_LEGS];
    json_t *out = json_array();
    for (uint32_t i = 0; i < n; i++) {
        lg_margin_calc(&legs[i], 1, &mp, &each[i]);
        initial.span += each[i].span;
        initial.exposure += each[i].exposure;
        initial.option_premium += each[i].option_premium;
        initial.total += each[i].total;
        calcs[i] = calc_of(&each[i]);
        const char *sym = json_string_value(json_object_get(json_array_get(arr, i), "tradingsymbol"));
        json_array_append_new(out, calc_json(&each[i], sym));
    }
    lg_margin_calc(legs, n, &mp, &together);
    json_decref(arr);
    if (!basket) {
        lg_simd_reply_json(c, 200, out);
        return;
    }
    json_decref(out);
    lg_kite_margin_calc_t ci = calc_of(&initial), cf = calc_of(&together);
    lg_simd_reply_text(c, 200, lg_kite_json_basket(&ci, &cf, calcs, n));
}
