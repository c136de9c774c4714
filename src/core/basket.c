/*
 * basket.c — the broker's own margin for an intent (DESIGN §7: "the broker's basket-margin
 * answer when live"). With risk.broker_basket on, an intent that does not carry
 * broker_margin is validated into a group that waits in CREATED while the engine asks the
 * broker for the basket margin of one unit of its structure (LG_CMD_QUERY_BASKET: the
 * legs at their ratios in lots, signed). The answer (LG_EV_BASKET) resumes it: `final`
 * (the spread benefit included) becomes the intent's broker_margin and the group is
 * sized and admitted as any intent — the larger of the broker's figure and the engine's
 * own worst shocked state decides the margin bound. Nothing is guessed:
 *
 *   an answer with no margin (an error, a field missing, final not positive)
 *                               REJECTED (risk), the broker's reason named;
 *   no answer by basket_timeout REJECTED (risk), "no answer in N ms";
 *   trading not ACTIVE (kill, REDUCING) while it waits
 *                               REJECTED (not active), at once;
 *   a restart while it waits    REJECTED (recovered) at RECOVERED: the query died with
 *                               the process, and nothing of the group was sent;
 *   an answer for a group not waiting (late, after its refusal), or for a query the
 *   group did not ask (its id reused after a crash: the query carries its step's time)
 *                               refused as an event, the group untouched.
 *
 * While it waits the group holds no order, no reservation and no greeks: nothing of it
 * exists for the broker.
 */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

bool lg_basket_wanted(const lg_engine_t *e, const lg_intent_t *it) {
    return e->cfg.risk.broker_basket && !e->cfg.risk_off && it->broker_margin == 0;
}

int lg_basket_ask(lg_engine_t *e, lg_group_t *g, const lg_intent_t *it) {
    LG_ASSERT(g->state == LG_GS_CREATED && !g->basket_wait && e->tstate == LG_TS_ACTIVE);
    lg_cmd_t *c = lg_eng_cmd(e, LG_CMD_QUERY_BASKET, true);
    c->group = g->id;
    c->asked = e->now; /* = g->created_ns: the answer names its query */
    c->n_basket = g->n_legs;
    for (uint32_t i = 0; i < g->n_legs; i++) {
        const lg_leg_t *l = &g->legs[i];
        LG_ASSERT(l->target > 0 && l->target <= INT32_MAX);
        c->basket[i] = (lg_basket_leg_t){.token = l->ins->token, .qty = (int32_t)(l->side * l->target)};
    }
    g->basket_wait = true;
    e->stats.baskets++;
    g->basket_deadline = e->now + e->cfg.risk.basket_timeout_ns;
    g->it_confidence = it->confidence;
    g->it_decision = it->decision_price;
    lg_eng_alert(e, LG_ALERT_INFO, 0, g->id, "group %u waits for the broker's basket margin of one unit",
                 g->id);
    lg_eng_schedule(e, g);
    return LG_OK;
}

static int refuse(lg_engine_t *e, lg_group_t *g, lg_reason_t why, int rc, const char *what) {
    g->basket_wait = false;
    e->stats.risk_refused += why == LG_WHY_RISK;
    rc = lg_eng_refuse(e, rc, g->id, NULL, "group %u refused: broker basket margin: %s", g->id, what);
    return lg_eng_reject_group(e, g, why, rc);
}

int lg_eng_on_basket(lg_engine_t *e, const lg_event_t *ev) {
    if (e->recovering)
        return lg_eng_refuse(e, LG_ESTATE, ev->u.basket.group, NULL,
                             "basket margin refused: recovery has not finished");
    lg_group_t *g = lg_eng_group_by_id(e, ev->u.basket.group);
    if (g == NULL || !g->basket_wait)
        return lg_eng_refuse(e, LG_ESTATE, ev->u.basket.group, NULL,
                             "basket margin for group %u, which is not waiting for one (late?): ignored",
                             ev->u.basket.group);
    if (ev->u.basket.asked != g->created_ns) /* a query of an earlier group of that id */
        return lg_eng_refuse(e, LG_ESTATE, g->id, NULL,
                             "basket margin for group %u answers a query asked at %lld, not its "
                             "own: ignored", g->id, (long long)ev->u.basket.asked);
    if (!lg_eng_room(e, 2 * LG_MAX_LEGS, 8 * LG_MAX_LEGS))
        return lg_eng_refuse(e, LG_EPOOL_FULL, g->id, NULL, "output buffer too small for a group");
    char why[LG_STATUS_MSG_MAX + 64];
    if (!ev->u.basket.ok) {
        snprintf(why, sizeof why, "the broker gave none: %s",
                 ev->u.basket.message[0] ? ev->u.basket.message : "no reason given");
        return refuse(e, g, LG_WHY_RISK, LG_EMARGIN, why);
    }
    if (ev->u.basket.final <= 0 || ev->u.basket.initial < 0) {
        snprintf(why, sizeof why, "final %lld, initial %lld paise: not a margin",
                 (long long)ev->u.basket.final, (long long)ev->u.basket.initial);
        return refuse(e, g, LG_WHY_RISK, LG_EMARGIN, why);
    }
    g->basket_wait = false;
    g->deadline_ns += e->now - g->created_ns; /* the entry's time starts now, not at the ask */
    lg_intent_t it = {.confidence = g->it_confidence, .decision_price = g->it_decision,
                      .broker_margin = ev->u.basket.final};
    int rc = lg_eng_admit_group(e, g, &it);
    if (e->out->new_group == g->id) e->out->new_group = 0; /* the step made no group */
    return rc;
}

/* Refusals of a wake-up or of recovery are not the step event's: its status stays. */
void lg_basket_touch(lg_engine_t *e, lg_group_t *g) {
    LG_ASSERT(g->basket_wait);
    int status = e->out->status;
    if (e->tstate != LG_TS_ACTIVE) {
        char why[64];
        snprintf(why, sizeof why, "trading became %s while it waited", lg_tstate_name(e->tstate));
        refuse(e, g, LG_WHY_NOT_ACTIVE, LG_EHALTED, why);
    } else if (e->now >= g->basket_deadline) {
        char why[64];
        snprintf(why, sizeof why, "no answer in %lld ms",
                 (long long)(e->cfg.risk.basket_timeout_ns / 1000000));
        refuse(e, g, LG_WHY_RISK, LG_EIO, why);
    }
    e->out->status = status;
    lg_eng_schedule(e, g);
}

void lg_basket_recovered(lg_engine_t *e) {
    int status = e->out->status;
    for (uint32_t i = 0; i < e->cfg.max_groups; i++) {
        lg_group_t *g = &e->groups[i];
        if (g->id == 0 || !g->basket_wait || !lg_eng_room(e, 2, 8)) continue;
        refuse(e, g, LG_WHY_RECOVERED, LG_ESTATE, "the process that asked stopped; nothing was sent");
        lg_eng_schedule(e, g);
    }
    e->out->status = status;
}
