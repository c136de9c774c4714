/*
 * margin.c — the scenario margin model of margin.h: scan loss per underlying over the
 * scenario grid, exposure on shorts and futures, premium of bought options.
 */
#include "legato/margin.h"
#include "legato/numeric.h"

#include <math.h>

#define N_SCEN 16

void lg_margin_params_default(lg_margin_params_t *p) {
    LG_ASSERT(p != NULL);
    *p = (lg_margin_params_t){
        .price_scan = 0.06, .vol_scan = 0.25, .extreme_weight = 0.35, .exposure = 0.02};
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

/* Value in rupees of one leg at a scenario (signed by its quantity). */
static double leg_value(const lg_margin_leg_t *l, double move, double vf) {
    double f = l->spot * (1.0 + move);
    double q = (double)l->qty;
    if (l->kind == LG_KIND_FUT) return q * f;
    double sigma = l->iv * vf;
    return q * lg_b76_price(l->kind == LG_KIND_CE, f, l->strike, l->t_years, 0.0, sigma);
}

static double leg_now(const lg_margin_leg_t *l) {
    return (double)l->qty * (double)l->price / 100.0;
}

/* Worst weighted loss (rupees, >= 0) of the legs of underlying u. */
static double scan_loss(const lg_margin_leg_t *legs, uint32_t n, uint32_t u,
                        const lg_margin_params_t *p) {
    double worst = 0.0;
    for (uint32_t k = 0; k < N_SCEN; k++) {
        double move, vf, w, pnl = 0.0;
        scenario(k, p, &move, &vf, &w);
        for (uint32_t i = 0; i < n; i++) {
            if (legs[i].und != u) continue;
            double base = legs[i].kind == LG_KIND_FUT ? (double)legs[i].qty * legs[i].spot
                                                      : leg_now(&legs[i]);
            pnl += leg_value(&legs[i], move, vf) - base;
        }
        double loss = -pnl * w;
        if (loss > worst) worst = loss;
    }
    return worst;
}

static lg_paise_t paise(double rupees) {
    return (lg_paise_t)llround(rupees * 100.0);
}

int lg_margin_calc(const lg_margin_leg_t *legs, uint32_t n, const lg_margin_params_t *p,
                   lg_margin_t *out) {
    LG_ASSERT((legs != NULL || n == 0) && p != NULL && out != NULL);
    if (n > LG_MARGIN_MAX_LEGS) return LG_ENOSPACE;
    for (uint32_t i = 0; i < n; i++) {
        const lg_margin_leg_t *l = &legs[i];
        bool opt = l->kind == LG_KIND_CE || l->kind == LG_KIND_PE;
        if (!(l->spot > 0.0) || l->price < 0 || (opt && (!(l->strike > 0.0) ||
                                                         !(l->t_years > 0.0) || !(l->iv > 0.0))))
            return LG_EINVAL;
    }
    double span = 0.0, exposure = 0.0, premium = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        bool seen = false; /* each underlying once */
        for (uint32_t j = 0; j < i; j++) seen = seen || legs[j].und == legs[i].und;
        if (!seen) {
            double longs = 0.0;
            for (uint32_t j = 0; j < n; j++)
                if (legs[j].und == legs[i].und && legs[j].kind != LG_KIND_FUT && legs[j].qty > 0)
                    longs += leg_now(&legs[j]);
            double s = scan_loss(legs, n, legs[i].und, p) - longs;
            span += s > 0.0 ? s : 0.0;
        }
        const lg_margin_leg_t *l = &legs[i];
        double units = fabs((double)l->qty);
        if (l->kind == LG_KIND_FUT || l->qty < 0) exposure += p->exposure * units * l->spot;
        if (l->kind != LG_KIND_FUT && l->qty > 0) premium += leg_now(l);
    }
    out->span = paise(span);
    out->exposure = paise(exposure);
    out->option_premium = paise(premium);
    out->total = out->span + out->exposure + out->option_premium;
    return LG_OK;
}
