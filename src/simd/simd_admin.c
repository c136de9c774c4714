/*
 * simd_admin.c — the admin path of `legato sim` (same authorisation as the API), to
 * script the market from tests and by hand:
 *
 *   POST /admin/gap     underlying=NIFTY&pct=-5[&in_ms=0]   the underlying jumps
 *   POST /admin/halt    tradingsymbol=..&halted=true|false   no fills while halted
 *   POST /admin/reject  tradingsymbol=..&reason=circuit|margin|rms&n=1[&skip=0]
 *   POST /admin/delay   tradingsymbol=..&ms=5000             orders rest unfilled
 *   POST /admin/knobs   name=value&...  latencies (*_ms), probabilities (p_*), market
 *   GET  /admin/state   time, order counts, spots and the exchange's net positions
 *   GET  /admin/reaction  REJECTED order frame written -> next place request read:
 *                       n, p50, p90, p99, max (µs); POST /admin/reaction clears them
 *
 * A knobs request is checked whole before any knob changes: an unknown name or a bad
 * value is refused (400, naming it) and nothing is applied.
 */
#include "simd_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const lg_instrument_t *instrument(lg_simd_t *d, lg_http_conn_t *c, const simd_form_t *f) {
    const char *sym = lg_simd_get(f, "tradingsymbol");
    const lg_instrument_t *in = sym != NULL ? lg_instruments_find_symbol(&d->master, sym) : NULL;
    if (in == NULL)
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "unknown tradingsymbol '%.40s'",
                            sym != NULL ? sym : "");
    return in;
}

static bool number(const char *s, double lo, double hi, double *v) {
    if (s == NULL || s[0] == '\0') return false;
    char *e = NULL;
    double x = strtod(s, &e);
    if (*e != '\0' || !(x >= lo && x <= hi)) return false;
    *v = x;
    return true;
}

static void ok(lg_http_conn_t *c) {
    lg_simd_reply_json(c, 200, json_true());
}

static void gap(lg_simd_t *d, lg_http_conn_t *c, const simd_form_t *f) {
    const char *u = lg_simd_get(f, "underlying");
    double pct = 0, in_ms = 0;
    int und = u == NULL ? -1 : strcmp(u, "NIFTY") == 0 ? d->und_nifty
                             : strcmp(u, "BANKNIFTY") == 0 ? d->und_bank : -1;
    if (und < 0 || !number(lg_simd_get(f, "pct"), -50, 50, &pct) ||
        (lg_simd_get(f, "in_ms") != NULL && !number(lg_simd_get(f, "in_ms"), 0, 864e5, &in_ms))) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT,
                            "gap needs underlying=NIFTY|BANKNIFTY and pct in [-50, 50]");
        return;
    }
    lg_sim_gap(d->sim, und, pct, lg_simd_now(d) + (lg_ns_t)(in_ms * 1e6));
    lg_simd_kick(d);
    ok(c);
}

static void halt(lg_simd_t *d, lg_http_conn_t *c, const simd_form_t *f) {
    const lg_instrument_t *in = instrument(d, c, f);
    if (in == NULL) return;
    const char *h = lg_simd_get(f, "halted");
    bool on = h == NULL || strcmp(h, "true") == 0 || strcmp(h, "1") == 0;
    lg_sim_halt(d->sim, in->token, on);
    lg_simd_kick(d);
    ok(c);
}

static void reject(lg_simd_t *d, lg_http_conn_t *c, const simd_form_t *f) {
    const lg_instrument_t *in = instrument(d, c, f);
    if (in == NULL) return;
    const char *r = lg_simd_get(f, "reason");
    int reason = r == NULL ? 0 : strcmp(r, "circuit") == 0 ? LG_SIM_REJ_CIRCUIT
                             : strcmp(r, "margin") == 0  ? LG_SIM_REJ_MARGIN
                             : strcmp(r, "rms") == 0     ? LG_SIM_REJ_RMS : 0;
    double n = 1, skip = 0;
    if (reason == 0 || (lg_simd_get(f, "n") != NULL && !number(lg_simd_get(f, "n"), 0, 1e6, &n)) ||
        (lg_simd_get(f, "skip") != NULL && !number(lg_simd_get(f, "skip"), 0, 1e6, &skip))) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT,
                            "reject needs reason=circuit|margin|rms and whole n, skip");
        return;
    }
    lg_sim_reject_after(d->sim, in->token, reason, (uint32_t)skip, (uint32_t)n);
    ok(c);
}

static void delay(lg_simd_t *d, lg_http_conn_t *c, const simd_form_t *f) {
    const lg_instrument_t *in = instrument(d, c, f);
    double ms = 0;
    if (in == NULL) return;
    if (!number(lg_simd_get(f, "ms"), 0, 864e5, &ms)) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "delay needs ms in [0, 86400000]");
        return;
    }
    lg_sim_delay_fills(d->sim, in->token, lg_simd_now(d) + (lg_ns_t)(ms * 1e6));
    lg_simd_kick(d);
    ok(c);
}

/* ---- knobs --------------------------------------------------------------------------------- */

typedef struct knob {
    const char *name;
    size_t off;
    bool is_ns; /* a latency, given in ms */
    double lo, hi;
} knob_t;

#define KP(n) {#n, offsetof(lg_sim_knobs_t, n), false, 0.0, 1.0}
#define KMS(n, f) {n "_ms", offsetof(lg_sim_knobs_t, f), true, 0.0, 600000.0}
static const knob_t knobs[] = {
    KP(p_reject_random), KP(p_reject_margin), KP(p_partial), KP(p_drop_update),
    KP(p_dup_update), KP(p_reorder), KP(p_unknown_send), KP(p_no_liquidity), KP(p_lost_send), KP(p_basket_error),
    KMS("ack_min", ack_min_ns), KMS("ack_max", ack_max_ns), KMS("open_min", open_min_ns),
    KMS("open_max", open_max_ns), KMS("update_min", update_min_ns),
    KMS("update_max", update_max_ns), KMS("tick_interval", tick_interval_ns),
    {"vol_annual", offsetof(lg_sim_knobs_t, vol_annual), false, 0.0, 5.0},
    {"jump_per_hour", offsetof(lg_sim_knobs_t, jump_per_hour), false, 0.0, 3600.0},
    {"jump_pct", offsetof(lg_sim_knobs_t, jump_pct), false, 0.0, 50.0},
};

static bool set_knob(lg_sim_knobs_t *k, const char *name, const char *value) {
    for (size_t i = 0; i < LG_COUNT(knobs); i++) {
        double v;
        if (strcmp(knobs[i].name, name) != 0) continue;
        if (!number(value, knobs[i].lo, knobs[i].hi, &v)) return false;
        char *p = (char *)k + knobs[i].off;
        if (knobs[i].is_ns) {
            lg_ns_t ns = (lg_ns_t)(v * 1e6);
            memcpy(p, &ns, sizeof ns);
        } else {
            memcpy(p, &v, sizeof v);
        }
        return true;
    }
    return false;
}

static void set_knobs(lg_simd_t *d, lg_http_conn_t *c, const simd_form_t *f) {
    lg_sim_knobs_t k = *lg_sim_knobs(d->sim);
    for (uint32_t i = 0; i < f->n; i++) {
        if (!set_knob(&k, f->names[i], f->values[i])) {
            lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "knob '%.40s': unknown or out of range",
                                f->names[i]);
            return;
        }
    }
    if (k.ack_min_ns > k.ack_max_ns || k.open_min_ns > k.open_max_ns ||
        k.update_min_ns > k.update_max_ns || k.tick_interval_ns <= 0) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT,
                            "knobs: each minimum latency must not exceed its maximum; ticks > 0");
        return;
    }
    *lg_sim_knobs(d->sim) = k;
    ok(c);
}

static void state(lg_simd_t *d, lg_http_conn_t *c) {
    lg_position_row_t rows[256];
    uint32_t n = lg_sim_positions(d->sim, rows, 256);
    json_t *pos = json_array();
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(pos, json_pack("{s:I,s:I}", "instrument_token", (json_int_t)rows[i].token,
                                             "quantity", (json_int_t)rows[i].qty));
    json_t *s = json_pack("{s:I,s:i,s:i,s:i,s:{s:f,s:f},s:o}", "time_ns", (json_int_t)lg_simd_now(d),
                          "orders", (int)lg_sim_order_count(d->sim), "open_orders",
                          (int)lg_sim_open_orders(d->sim), "overflows", (int)lg_sim_overflows(d->sim),
                          "underlyings", "NIFTY", lg_sim_underlying(d->sim, d->und_nifty),
                          "BANKNIFTY", lg_sim_underlying(d->sim, d->und_bank), "positions", pos);
    lg_simd_reply_json(c, 200, s);
}

/* ---- reaction, seen from the exchange ---------------------------------------------------- */

void lg_simd_reaction_place(lg_simd_t *d) {
    if (d->rejected_at == 0) return;
    d->reactions[d->n_reactions++ % SIMD_REACTIONS] = uv_hrtime() - d->rejected_at;
    d->rejected_at = 0;
}

uint32_t lg_simd_reactions(const lg_simd_t *d, uint64_t *out, uint32_t cap) {
    uint32_t n = d->n_reactions < SIMD_REACTIONS ? d->n_reactions : SIMD_REACTIONS;
    n = n < cap ? n : cap;
    memcpy(out, d->reactions, n * sizeof *out);
    return n;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void reaction(lg_simd_t *d, lg_http_conn_t *c, bool clear) {
    uint32_t n = d->n_reactions < SIMD_REACTIONS ? d->n_reactions : SIMD_REACTIONS;
    uint64_t *v = malloc((n + 1) * sizeof *v);
    if (v == NULL) {
        lg_simd_reply_error(c, 500, LG_KITE_E_GENERAL, "out of memory");
        return;
    }
    memcpy(v, d->reactions, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_u64);
#define PCT(p) (n == 0 ? 0.0 : (double)v[(uint32_t)((double)(n - 1) * (p))] / 1000.0)
    json_t *j = json_pack("{s:i,s:f,s:f,s:f,s:f}", "n", (int)n, "p50_us", PCT(0.50), "p90_us",
                          PCT(0.90), "p99_us", PCT(0.99), "max_us", PCT(1.0));
#undef PCT
    free(v);
    if (clear) d->n_reactions = 0;
    lg_simd_reply_json(c, 200, j);
}

void lg_simd_admin(lg_simd_t *d, lg_http_conn_t *c, const lg_http_req_t *r, const char *what) {
    if (strcmp(r->method, "GET") == 0 && strcmp(what, "state") == 0) {
        state(d, c);
        return;
    }
    if (strcmp(what, "reaction") == 0) {
        reaction(d, c, strcmp(r->method, "POST") == 0);
        return;
    }
    simd_form_t f;
    if (strcmp(r->method, "POST") != 0 || lg_simd_form(&f, r->body, r->body_len) != LG_OK) {
        lg_simd_reply_error(c, 400, LG_KITE_E_INPUT, "admin: POST a form (or GET /admin/state)");
        return;
    }
    if (strcmp(what, "gap") == 0) gap(d, c, &f);
    else if (strcmp(what, "halt") == 0) halt(d, c, &f);
    else if (strcmp(what, "reject") == 0) reject(d, c, &f);
    else if (strcmp(what, "delay") == 0) delay(d, c, &f);
    else if (strcmp(what, "knobs") == 0) set_knobs(d, c, &f);
    else lg_simd_reply_error(c, 404, LG_KITE_E_GENERAL, "admin: no such action '%.20s'", what);
}
