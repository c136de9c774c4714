/*
 * demo.c — `legato demo` (what `make run` starts until the daemon lands): a paper
 * session against the built-in exchange model in virtual time. An iron condor goes
 * in hedge-first and is exited; a credit spread's short leg is rejected and the
 * filled protection is emergency-hedged back to flat. Prints each group's timeline.
 */
#include "legato/harness.h"

#include <stdio.h>

int lg_cli_demo(void);

static void print_group(lg_harness_t *h, int sub, const char *label) {
    lg_group_view_t v;
    uint32_t id = lg_harness_group(h, sub);
    if (id == 0 || lg_engine_group(lg_harness_engine(h), id, &v) != LG_OK) {
        printf("  %-28s refused\n", label);
        return;
    }
    printf("  %-28s group %u:", label, id);
    for (uint32_t i = 0; i < v.n_states; i++)
        printf("%s%s", i ? " -> " : " ", lg_gstate_name((lg_gstate_t)v.path[i]));
    printf("\n  %-28s %u orders, cash %+.2f rupees, uncovered short lot-seconds %.3f\n", "",
           v.n_orders, (double)v.cash / 100.0, (double)v.naked_lot_ns / 1e9);
}

static void spec_leg(lg_harness_t *h, lg_group_spec_t *s, lg_kind_t k, int strike, int side,
                     lg_qty_t qty) {
    lg_leg_spec_t *l = &s->legs[s->n_legs++];
    l->token = lg_harness_token(h, "NIFTY", k, strike);
    l->side = (int8_t)side;
    l->covered_by = -1;
    l->qty = qty;
}

int lg_cli_demo(void) {
    lg_harness_config_t cfg;
    lg_harness_config_default(&cfg);
    cfg.seed = 7;
    lg_harness_t *h = NULL;
    int rc = lg_harness_create(&cfg, &h);
    if (rc == LG_OK) rc = lg_harness_add_nifty(h) >= 0 ? LG_OK : LG_EINVAL;
    if (rc == LG_OK) rc = lg_harness_start(h);
    if (rc != LG_OK) {
        fprintf(stderr, "legato demo: set-up failed: %s\n", lg_strerror(rc));
        lg_harness_destroy(h);
        return 1;
    }
    lg_group_spec_t condor = {.policy = -1, .on_incomplete = -1};
    spec_leg(h, &condor, LG_KIND_CE, 24200, -1, 650);
    spec_leg(h, &condor, LG_KIND_CE, 24400, 1, 650);
    spec_leg(h, &condor, LG_KIND_PE, 23800, -1, 650);
    spec_leg(h, &condor, LG_KIND_PE, 23600, 1, 650);
    int c = lg_harness_submit_at(h, LG_NS_PER_S, &condor);
    lg_harness_exit_after(h, c, 5 * LG_NS_PER_S);

    lg_group_spec_t spread = {.policy = -1, .on_incomplete = -1};
    spec_leg(h, &spread, LG_KIND_PE, 23900, -1, 6500);
    spec_leg(h, &spread, LG_KIND_PE, 23700, 1, 6500);
    lg_sim_reject_next(lg_harness_sim(h), spread.legs[0].token, LG_SIM_REJ_RMS, 1);
    int s = lg_harness_submit_at(h, 2 * LG_NS_PER_S, &spread);

    rc = lg_harness_run(h, 120 * LG_NS_PER_S);
    printf("legato demo: paper session, NIFTY chain, seed %llu, %.1f s simulated\n",
           (unsigned long long)cfg.seed, (double)lg_harness_now(h) / 1e9);
    print_group(h, c, "iron condor (exit after 5 s)");
    print_group(h, s, "put spread, short rejected");
    if (rc != LG_OK) printf("  invariant violated: %s\n", lg_harness_failure(h));
    lg_harness_destroy(h);
    printf("(the daemon with its control API comes with `legato run`; see README)\n");
    return rc == LG_OK ? 0 : 1;
}
