/*
 * slice.c — freeze-quantity slicing: a leg larger than the exchange's freeze
 * quantity is sent as child orders of whole lots, each at most the freeze quantity.
 *
 * Greedy, largest first: every child carries floor(freeze / lot) lots except the
 * last, which carries the remainder (6500 units, lot 65, freeze 1800 -> 1755, 1755,
 * 1755, 1235). Quantities written are units, never lots.
 *
 * Errors (nothing is written to out or *n on any error):
 *   LG_EQTY       qty <= 0, lot <= 0, freeze < lot, or qty not a whole number of lots
 *   LG_EPOOL_FULL more than max children would be needed
 */
#include "legato/numeric.h"

static bool slice_args_ok(lg_qty_t qty, lg_qty_t lot, lg_qty_t freeze) {
    return qty > 0 && lot > 0 && freeze >= lot && qty % lot == 0;
}

int lg_slice_plan(lg_qty_t qty, lg_qty_t lot, lg_qty_t freeze, lg_qty_t *out, uint32_t max,
                  uint32_t *n) {
    LG_ASSERT(n != NULL);
    LG_ASSERT(out != NULL || max == 0);
    if (!slice_args_ok(qty, lot, freeze)) {
        return LG_EQTY;
    }
    lg_qty_t lots = qty / lot;
    lg_qty_t per_child = freeze / lot; /* >= 1 since freeze >= lot */
    lg_qty_t children = lots / per_child + (lots % per_child != 0 ? 1 : 0);
    LG_ASSERT(children >= 1);
    if (children > (lg_qty_t)max) {
        return LG_EPOOL_FULL;
    }
    lg_qty_t left = qty;
    uint32_t count = (uint32_t)children;
    for (uint32_t i = 0; i < count; i++) {
        lg_qty_t child = LG_MIN(left, per_child * lot);
        LG_ASSERT(child > 0 && child <= freeze && child % lot == 0);
        out[i] = child;
        left -= child;
    }
    LG_ASSERT(left == 0);
    *n = count;
    return LG_OK;
}
