/*
 * sim_margin.c — the simulated broker's margin snapshot: the scenario margin model
 * (margin.h, the same one the risk engine uses) over the open positions, priced at
 * the market's current time, and the account's funds: the opening balance plus the
 * mark-to-market of every trade. available = funds − margin; used = margin. A
 * QUERY_MARGINS is answered with it, computed at delivery like positions.
 */
#include "sim_int.h"

#include "legato/margin.h"

#define EXPIRY_UTC_S 36000.0 /* 15:30 IST */

void lg_sim_margins(const lg_sim_t *s, lg_paise_t *available, lg_paise_t *used) {
    LG_ASSERT(s != NULL && available != NULL && used != NULL);
    lg_margin_leg_t legs[LG_MARGIN_MAX_LEGS];
    uint32_t n = 0;
    int64_t mark = 0;
    double now_s = (double)(s->mkt_t + s->offset) / 1e9;
    lg_paise_t extra = 0; /* positions beyond the model's legs: their premium/notional in full */
    for (uint32_t i = 0; i < s->n_ins; i++) {
        const sim_ins_t *in = &s->ins[i];
        if (in->pos == 0) continue;
        lg_paise_t ltp = lg_simm_quote_now(s, i).ltp;
        mark += in->pos * ltp;
        const sim_und_t *u = &s->und[in->und];
        double t = ((double)in->expiry_day * 86400.0 + EXPIRY_UTC_S - now_s) / (365.0 * 86400.0);
        if (n == LG_MARGIN_MAX_LEGS) {
            extra += (in->pos < 0 ? -in->pos : in->pos) * (in->kind == LG_KIND_FUT ? ltp / 5 : ltp);
            continue;
        }
        legs[n++] = (lg_margin_leg_t){.kind = in->kind, .und = in->und, .spot = u->spot,
                                      .strike = in->strike, .t_years = t > 1e-6 ? t : 1e-6,
                                      .iv = u->iv, .qty = in->pos, .price = ltp};
    }
    lg_margin_params_t mp;
    lg_margin_params_default(&mp);
    lg_margin_t m = {0};
    int rc = lg_margin_calc(legs, n, &mp, &m);
    LG_ASSERT(rc == LG_OK);
    *used = m.total + extra;
    *available = s->cfg.funds + s->cash + mark - *used;
}
