/*
 * out.c — the engine's output buffers (commands, journal records, alerts). Allocated
 * once by the caller; a step only fills them.
 */
#include "legato/event.h"

#include <stdint.h>
#include <stdlib.h>

int lg_out_init(lg_out_t *o, uint32_t cap_cmds, uint32_t cap_recs, uint32_t cap_alerts) {
    LG_ASSERT(o != NULL);
    if (cap_cmds == 0 || cap_recs == 0 || cap_alerts == 0) return LG_EINVAL;
    *o = (lg_out_t){0};
    o->cmds = calloc(cap_cmds, sizeof *o->cmds);
    o->recs = calloc(cap_recs, sizeof *o->recs);
    o->alerts = calloc(cap_alerts, sizeof *o->alerts);
    if (!o->cmds || !o->recs || !o->alerts) {
        lg_out_free(o);
        return LG_EPOOL_FULL;
    }
    o->cap_cmds = cap_cmds;
    o->cap_recs = cap_recs;
    o->cap_alerts = cap_alerts;
    lg_out_reset(o);
    return LG_OK;
}

void lg_out_free(lg_out_t *o) {
    LG_ASSERT(o != NULL);
    free(o->cmds);
    free(o->recs);
    free(o->alerts);
    *o = (lg_out_t){0};
}

void lg_out_reset(lg_out_t *o) {
    LG_ASSERT(o != NULL && o->cmds != NULL);
    o->n_cmds = o->n_recs = o->n_alerts = 0;
    o->wake_at = INT64_MAX;
    o->new_group = 0;
    o->status = LG_OK;
    o->deferred = 0;
}

const char *lg_ev_kind_name(lg_ev_kind_t k) {
    static const char *const names[LG_EV__COUNT] = {
        "none", "group_submit", "order_ack", "order_error", "order_update",
        "tick", "timer",        "control",   "positions",   "connection", "adopt",
        "intent", "margins", "band", "stop", "basket"};
    if ((unsigned)k >= LG_EV__COUNT) return "?";
    return names[k];
}
