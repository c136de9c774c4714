/*
 * test_master.h — the small NIFTY instrument master the engine-level unit tests share:
 * the July future and four options around 24 000, lot 65, freeze 1 800, tick 5 paise.
 * Header-only (static inline), included after cmocka.h.
 */
#ifndef LEGATO_TEST_MASTER_H
#define LEGATO_TEST_MASTER_H

#include <stdio.h>

#include "legato/instrument.h"

enum { T_FUT = 256 + 2, T_C24200 = 512 + 2, T_C24400 = 768 + 2, T_P23800 = 1024 + 2, T_P23600 = 1280 + 2 };

static inline void lg_test_add_instrument(lg_instruments_t *m, uint32_t tok, const char *sym,
                                          lg_kind_t k, lg_paise_t strike) {
    lg_instrument_t in = {.token = tok, .kind = k, .strike = strike, .lot = 65, .tick = 5,
                          .freeze = 1800, .expiry_day = 20650};
    snprintf(in.symbol, sizeof in.symbol, "%s", sym);
    snprintf(in.underlying, sizeof in.underlying, "NIFTY");
    assert_int_equal(lg_instruments_add(m, &in), LG_OK);
}

/* Initialises m with the five instruments. */
static inline void lg_test_master(lg_instruments_t *m) {
    assert_int_equal(lg_instruments_init(m, 16), LG_OK);
    lg_test_add_instrument(m, T_FUT, "NIFTY26JULFUT", LG_KIND_FUT, 0);
    lg_test_add_instrument(m, T_C24200, "NIFTY26JUL24200CE", LG_KIND_CE, 2420000);
    lg_test_add_instrument(m, T_C24400, "NIFTY26JUL24400CE", LG_KIND_CE, 2440000);
    lg_test_add_instrument(m, T_P23800, "NIFTY26JUL23800PE", LG_KIND_PE, 2380000);
    lg_test_add_instrument(m, T_P23600, "NIFTY26JUL23600PE", LG_KIND_PE, 2360000);
}

#endif
