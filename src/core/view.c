/*
 * view.c — read-only snapshots of a group for tests, invariants and the control API.
 * Nothing here changes engine state.
 */
#include "engine_int.h"

#include <string.h>

int lg_engine_group(const lg_engine_t *e, uint32_t id, lg_group_view_t *v) {
    LG_ASSERT(e != NULL && v != NULL);
    const lg_group_t *g = lg_eng_group_const(e, id);
    if (g == NULL) return LG_EUNKNOWN_GROUP;
    memset(v, 0, sizeof *v);
    v->id = g->id;
    v->state = g->state;
    v->policy = (lg_policy_t)g->policy;
    v->on_incomplete = (lg_incomplete_t)g->on_incomplete;
    v->n_legs = g->n_legs;
    for (uint32_t i = 0; i < g->n_legs; i++) {
        const lg_leg_t *l = &g->legs[i];
        lg_leg_view_t *lv = &v->legs[i];
        lv->token = l->ins ? l->ins->token : 0;
        lv->side = l->side;
        lv->cover = l->cover;
        lv->protection = l->protection;
        lv->target = l->target;
        lv->entry_filled = l->entry_filled;
        lv->entry_committed = lg_group_committed(e, g, i, true);
        lv->rev_filled = l->rev_filled;
        lv->rev_committed = lg_group_committed(e, g, i, false);
        lv->held = l->entry_filled - l->rev_filled;
    }
    v->n_orders = g->n_orders;
    v->naked = g->naked;
    v->cash = g->cash;
    v->created_ns = g->created_ns;
    v->finished_ns = g->finished_ns;
    v->naked_lot_ns = g->naked_lot_ns;
    v->emergency_orders = g->emergency_orders;
    v->n_states = g->n_states;
    memcpy(v->path, g->path, sizeof v->path);
    return LG_OK;
}

const lg_order_t *lg_engine_group_order(const lg_engine_t *e, uint32_t id, uint32_t child) {
    const lg_group_t *g = lg_eng_group_const(e, id);
    if (g == NULL || child >= g->n_orders) return NULL;
    return &e->orders[g->orders[child]];
}
