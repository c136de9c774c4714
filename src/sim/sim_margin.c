/*
 * sim_margin.c — the simulated broker's margin snapshot: the scenario margin model
 * (margin.h, the same one the risk engine uses) over the open positions, priced at
 * the market's current time, and the account's funds: the opening balance plus the
 * mark-to-market of every trade. available = funds − margin; used = margin. A
 * QUERY_MARGINS is answered with it, computed at delivery like positions. A basket (the
 * legs of a QUERY_BASKET, or the simulator daemon's POST /margins/basket) is priced by
 * the same model: initial, each leg alone; final, the legs together (the spread benefit).
 */
#include "sim_int.h"

#include "legato/margin.h"

#define EXPIRY_UTC_S 36000.0 /* 15:30 IST */

/* Instrument i held qty units, for the margin model at the market's current time. */
static lg_margin_leg_t model_leg(const lg_sim_t *s, uint32_t i, lg_qty_t qty, lg_paise_t ltp) {
    const sim_ins_t *in = &s->ins[i];
    const sim_und_t *u = &s->und[in->und];
    double now_s = (double)(s->mkt_t + s->offset) / 1e9;
    double t = ((double)in->expiry_day * 86400.0 + EXPIRY_UTC_S - now_s) / (365.0 * 86400.0);
    return (lg_margin_leg_t){.kind = in->kind, .und = in->und, .spot = u->spot,
                             .strike = in->strike, .t_years = t > 1e-6 ? t : 1e-6,
                             .iv = u->iv, .qty = qty, .price = ltp};
}

int lg_sim_margin_leg(const lg_sim_t *s, uint32_t token, lg_qty_t qty, lg_paise_t price,
                      lg_margin_leg_t *out) {
    LG_ASSERT(s != NULL && out != NULL);
    uint32_t i = lg_simm_find(s, token);
    if (i == LG_SIM_NONE) return LG_EINSTRUMENT;
    *out = model_leg(s, i, qty, price > 0 ? price : lg_simm_quote_now(s, i).ltp);
    return LG_OK;
}

void lg_sim_margins(const lg_sim_t *s, lg_paise_t *available, lg_paise_t *used) {
    LG_ASSERT(s != NULL && available != NULL && used != NULL);
    lg_margin_leg_t legs[LG_MARGIN_MAX_LEGS];
    uint32_t n = 0;
    int64_t mark = 0;
    lg_paise_t extra = 0; /* positions beyond the model's legs: their premium/notional in full */
    for (uint32_t i = 0; i < s->n_ins; i++) {
        const sim_ins_t *in = &s->ins[i];
        if (in->pos == 0) continue;
        lg_paise_t ltp = lg_simm_quote_now(s, i).ltp;
        mark += in->pos * ltp;
        if (n == LG_MARGIN_MAX_LEGS) {
            extra += (in->pos < 0 ? -in->pos : in->pos) * (in->kind == LG_KIND_FUT ? ltp / 5 : ltp);
            continue;
        }
        legs[n++] = model_leg(s, i, in->pos, ltp);
    }
    lg_margin_params_t mp;
    lg_margin_params_default(&mp);
    lg_margin_t m = {0};
    int rc = lg_margin_calc(legs, n, &mp, &m);
    LG_ASSERT(rc == LG_OK);
    *used = m.total + extra;
    *available = s->cfg.funds + s->cash + mark - *used;
}

int lg_sim_basket(const lg_sim_t *s, const lg_basket_leg_t *legs, uint32_t n, lg_paise_t *initial,
                  lg_paise_t *final) {
    LG_ASSERT(s != NULL && (legs != NULL || n == 0) && initial != NULL && final != NULL);
    if (n == 0 || n > LG_MARGIN_MAX_LEGS) return LG_EINVAL;
    lg_margin_leg_t m[LG_MARGIN_MAX_LEGS];
    lg_margin_params_t mp;
    lg_margin_params_default(&mp);
    lg_paise_t sum = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = lg_simm_find(s, legs[k].token);
        if (i == LG_SIM_NONE || legs[k].qty == 0) return LG_EINSTRUMENT;
        m[k] = model_leg(s, i, legs[k].qty, lg_simm_quote_now(s, i).ltp);
        lg_margin_t one = {0};
        int rc = lg_margin_calc(&m[k], 1, &mp, &one);
        LG_ASSERT(rc == LG_OK);
        sum += one.total;
    }
    lg_margin_t all = {0};
    int rc = lg_margin_calc(m, n, &mp, &all);
    LG_ASSERT(rc == LG_OK);
    *initial = sum;
    *final = all.total;
    return LG_OK;
}
