/*
 * margin.c — the scenario margin model of margin.h: scan loss per underlying over the
 * scenario grid, exposure on shorts and futures, premium of bought options.
 *
 * Every term is linear in a leg's quantity for a given scenario, so the model is kept
 * as a table of per-unit figures (lg_margin_prepare: Black-76 once per leg and
 * scenario) and a cheap evaluation for any quantities (lg_margin_eval: sums and
 * maxima only). The margin-shock predictor evaluates hundreds of partial-fill states
 * of one plan against one table; lg_margin_calc is prepare + eval on the legs' own
 * quantities.
 */
#include "legato/margin.h"
#include "legato/numeric.h"

#include <math.h>
#include <stdio.h>

void lg_margin_params_default(lg_margin_params_t *p) {
    LG_ASSERT(p != NULL);
    *p = (lg_margin_params_t){
        .price_scan = 0.06, .vol_scan = 0.25, .extreme_weight = 0.35, .exposure = 0.02};
}

int lg_margin_params_check(const lg_margin_params_t *p, char *err, size_t errcap) {
    LG_ASSERT(p != NULL);
    const char *bad = !(p->price_scan > 0.0 && p->price_scan < 1.0)         ? "price_scan"
                      : !(p->vol_scan >= 0.0 && p->vol_scan < 1.0)          ? "vol_scan"
                      : !(p->extreme_weight >= 0.0 && p->extreme_weight <= 1.0) ? "extreme_weight"
                      : !(p->exposure >= 0.0 && p->exposure < 1.0)          ? "exposure"
                                                                             : NULL;
    if (bad == NULL) return LG_OK;
    if (err != NULL && errcap > 0) snprintf(err, errcap, "margin parameter %s out of range", bad);
    return LG_ERANGE;
}

/* Scenario k: the move (fraction of the scan range), the volatility factor, the weight. */
static void scenario(uint32_t k, const lg_margin_params_t *p, double *move, double *vf,
                     double *w) {
    static const double moves[7] = {0.0, 1.0 / 3, -1.0 / 3, 2.0 / 3, -2.0 / 3, 1.0, -1.0};
    *w = 1.0;
    if (k < 14) {
        *move = moves[k / 2] * p->price_scan;
        *vf = (k % 2 == 0) ? 1.0 + p->vol_scan : 1.0 - p->vol_scan;
        return;
    }
    *move = (k == 14 ? 2.0 : -2.0) * p->price_scan;
    *vf = 1.0;
    *w = p->extreme_weight;
}

/* Value in rupees of one unit of a leg at a forward and volatility factor. */
static double unit_value(const lg_margin_leg_t *l, double fwd, double vf) {
    if (l->kind == LG_KIND_FUT) return fwd;
    return lg_b76_price(l->kind == LG_KIND_CE, fwd, l->strike, l->t_years, 0.0, l->iv * vf);
}

double lg_margin_unit_value(const lg_margin_leg_t *l, double fwd) {
    LG_ASSERT(l != NULL && fwd > 0.0);
    return unit_value(l, fwd, 1.0);
}

static bool leg_ok(const lg_margin_leg_t *l) {
    bool opt = l->kind == LG_KIND_CE || l->kind == LG_KIND_PE;
    if (!opt && l->kind != LG_KIND_FUT) return false;
    return l->spot > 0.0 && isfinite(l->spot) && l->price >= 0 &&
           (!opt || (l->strike > 0.0 && l->t_years > 0.0 && l->iv > 0.0 && isfinite(l->iv)));
}

int lg_margin_prepare(const lg_margin_leg_t *legs, uint32_t n, const lg_margin_params_t *p,
                      lg_margin_table_t *t) {
    LG_ASSERT((legs != NULL || n == 0) && p != NULL && t != NULL);
    if (n > LG_MARGIN_MAX_LEGS) return LG_ENOSPACE;
    for (uint32_t i = 0; i < n; i++)
        if (!leg_ok(&legs[i])) return LG_EINVAL;
    t->n = n;
    for (uint32_t i = 0; i < n; i++) {
        const lg_margin_leg_t *l = &legs[i];
        /* Options are worth their premium now; a future its forward (its price only
         * sets the cash paid, which a scenario does not change). */
        double base = l->kind == LG_KIND_FUT ? l->spot : (double)l->price / 100.0;
        t->und[i] = l->und;
        t->option[i] = l->kind != LG_KIND_FUT;
        t->premium[i] = (double)l->price / 100.0;
        t->expo[i] = p->exposure * l->spot;
        for (uint32_t k = 0; k < LG_MARGIN_SCENARIOS; k++) {
            double move, vf, w;
            scenario(k, p, &move, &vf, &w);
            t->pnl[i][k] = w * (unit_value(l, l->spot * (1.0 + move), vf) - base);
        }
    }
    return LG_OK;
}

static lg_paise_t paise(double rupees) {
    return (lg_paise_t)llround(rupees * 100.0);
}

/* Span of underlying u: the worst weighted scenario loss, less the value of the bought
 * options (paid in full, so never lost twice), never below zero. */
static double span_of(const lg_margin_table_t *t, const lg_qty_t *qty, uint32_t u) {
    double worst = 0.0, longs = 0.0;
    for (uint32_t k = 0; k < LG_MARGIN_SCENARIOS; k++) {
        double pnl = 0.0;
        for (uint32_t i = 0; i < t->n; i++)
            if (t->und[i] == u) pnl += (double)qty[i] * t->pnl[i][k];
        if (-pnl > worst) worst = -pnl;
    }
    for (uint32_t i = 0; i < t->n; i++)
        if (t->und[i] == u && t->option[i] && qty[i] > 0) longs += (double)qty[i] * t->premium[i];
    return worst > longs ? worst - longs : 0.0;
}

void lg_margin_eval(const lg_margin_table_t *t, const lg_qty_t *qty, lg_margin_t *out) {
    LG_ASSERT(t != NULL && (qty != NULL || t->n == 0) && out != NULL);
    LG_ASSERT(t->n <= LG_MARGIN_MAX_LEGS);
    double span = 0.0, exposure = 0.0, premium = 0.0;
    for (uint32_t i = 0; i < t->n; i++) {
        bool seen = false; /* each underlying once */
        for (uint32_t j = 0; j < i; j++) seen = seen || t->und[j] == t->und[i];
        if (!seen) span += span_of(t, qty, t->und[i]);
        double units = fabs((double)qty[i]);
        if (!t->option[i] || qty[i] < 0) exposure += units * t->expo[i];
        if (t->option[i] && qty[i] > 0) premium += units * t->premium[i];
    }
    out->span = paise(span);
    out->exposure = paise(exposure);
    out->option_premium = paise(premium);
    out->total = out->span + out->exposure + out->option_premium;
}

int lg_margin_calc(const lg_margin_leg_t *legs, uint32_t n, const lg_margin_params_t *p,
                   lg_margin_t *out) {
    LG_ASSERT((legs != NULL || n == 0) && p != NULL && out != NULL);
    lg_margin_table_t t;
    int rc = lg_margin_prepare(legs, n, p, &t);
    if (rc != LG_OK) return rc;
    lg_qty_t qty[LG_MARGIN_MAX_LEGS];
    for (uint32_t i = 0; i < n; i++) qty[i] = legs[i].qty;
    lg_margin_eval(&t, qty, out);
    return LG_OK;
}
