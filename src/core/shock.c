/*
 * shock.c — the margin-shock predictor of shock.h.
 *
 * The legs are priced once: a margin table (margin.h) and each leg's per-unit P&L
 * under the worst move up and down. Each leg then gets a short sorted list of
 * quantities (levels): first the vertex levels (0, the target, the tight points of
 * its pairing), then the ratchet slice boundaries. The walk is a mixed-radix count
 * over the levels of every leg, skipping states the plan cannot reach; each state
 * costs sums over the table only. If the slice levels would take the walk past
 * LG_SHOCK_SLICE_STATES, or do not fit in LG_SHOCK_MAX_LEVELS, only the vertex levels
 * are walked (exact for the worst state, see shock.h), and the result says so.
 */
#include "legato/shock.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void lg_shock_params_default(lg_shock_params_t *p) {
    LG_ASSERT(p != NULL);
    lg_margin_params_default(&p->margin);
    p->worst_move = 0.03;
    p->worst_vol = 0.10;
    p->addon = 0.5;
}

int lg_shock_params_check(const lg_shock_params_t *p, char *err, size_t errcap) {
    LG_ASSERT(p != NULL);
    int rc = lg_margin_params_check(&p->margin, err, errcap);
    if (rc != LG_OK) return rc;
    const char *bad = !(p->worst_move > 0.0 && p->worst_move < 1.0) ? "worst_move"
                      : !(p->worst_vol >= 0.0 && p->worst_vol < 1.0) ? "worst_vol"
                      : !(p->addon >= 0.0 && p->addon <= 10.0)       ? "addon"
                                                                     : NULL;
    if (bad == NULL) return LG_OK;
    if (err != NULL && errcap > 0) snprintf(err, errcap, "shock parameter %s out of range", bad);
    return LG_ERANGE;
}

typedef struct levels {
    lg_qty_t q[LG_SHOCK_MAX_LEVELS];
    uint32_t n;
    bool dropped; /* a level did not fit: the list is not the whole plan */
} levels_t;

typedef struct walk {
    const lg_shock_leg_t *legs;
    uint32_t n;
    lg_policy_t policy;
    double addon;
    lg_margin_table_t t;
    double shock[LG_MAX_LEGS][2]; /* per unit bought: P&L on the move up [0], down [1] */
    levels_t vert[LG_MAX_LEGS], all[LG_MAX_LEGS];
    bool prot[LG_MAX_LEGS];       /* some short names the leg as its cover */
    lg_qty_t target[LG_MAX_LEGS];
    uint32_t uslot[LG_MAX_LEGS];  /* the leg's underlying, in order of first appearance */
    uint32_t n_und;
} walk_t;

/* The sums a state's need is made of, over legs 0..i: the same terms, added in the
 * same order, as lg_margin_eval and evaluate() below, so the need is the same to the
 * last bit. */
typedef struct acc {
    double scen[LG_MAX_LEGS][LG_MARGIN_SCENARIOS]; /* per underlying slot */
    double longs[LG_MAX_LEGS];                     /* bought options' value, per slot */
    double exposure, premium, shock[2];
} acc_t;

static void add_level(levels_t *l, lg_qty_t q, lg_qty_t target, lg_qty_t lot) {
    if (q < 0 || q > target || q % lot != 0) return;
    uint32_t i = 0;
    while (i < l->n && l->q[i] < q) i++;
    if (i < l->n && l->q[i] == q) return;
    if (l->n == LG_SHOCK_MAX_LEVELS) {
        l->dropped = true;
        return;
    }
    memmove(&l->q[i + 1], &l->q[i], (l->n - i) * sizeof l->q[0]);
    l->q[i] = q;
    l->n++;
}

static lg_qty_t target_of(const lg_shock_leg_t *l) { return l->m.qty < 0 ? -l->m.qty : l->m.qty; }

/* Sums of subsets of the targets of the shorts covering p (all subsets of up to four
 * shorts, else each alone and all together), handed to fn. */
static void short_sums(const walk_t *w, uint32_t p, int skip, levels_t *out, lg_qty_t base,
                       int sign, lg_qty_t target, lg_qty_t lot) {
    uint32_t idx[LG_MAX_LEGS], k = 0;
    for (uint32_t i = 0; i < w->n; i++)
        if (w->legs[i].cover == (int8_t)p && (int)i != skip) idx[k++] = i;
    if (k <= 4) {
        for (uint32_t mask = 0; mask < (1u << k); mask++) {
            lg_qty_t s = 0;
            for (uint32_t b = 0; b < k; b++)
                if (mask & (1u << b)) s += target_of(&w->legs[idx[b]]);
            add_level(out, base + sign * s, target, lot);
        }
        return;
    }
    lg_qty_t all = 0;
    for (uint32_t b = 0; b < k; b++) {
        all += target_of(&w->legs[idx[b]]);
        add_level(out, base + sign * target_of(&w->legs[idx[b]]), target, lot);
    }
    add_level(out, base + sign * all, target, lot);
}

static bool is_protection(const walk_t *w, uint32_t p) {
    for (uint32_t i = 0; i < w->n; i++)
        if (w->legs[i].cover == (int8_t)p) return true;
    return false;
}

static void plan_levels(walk_t *w, uint32_t slices) {
    for (uint32_t i = 0; i < w->n; i++) {
        const lg_shock_leg_t *l = &w->legs[i];
        lg_qty_t t = target_of(l), lot = l->lot;
        levels_t *v = &w->vert[i];
        v->n = 0;
        v->dropped = false;
        add_level(v, 0, t, lot);
        add_level(v, t, t, lot);
        if (is_protection(w, i)) short_sums(w, i, -1, v, 0, 1, t, lot);
        if (l->cover >= 0) {
            lg_qty_t tp = target_of(&w->legs[l->cover]);
            short_sums(w, (uint32_t)l->cover, (int)i, v, tp, -1, t, lot);
        }
        LG_ASSERT(!v->dropped); /* subsets of at most four shorts: 17 levels */
        w->all[i] = *v;
        lg_qty_t lots = t / lot;
        lg_qty_t step = slices > 0 ? (lots + slices - 1) / slices * lot : t;
        for (lg_qty_t q = step; step > 0 && q < t; q += step) add_level(&w->all[i], q, t, lot);
    }
    /* a short also stops where its protection's slices stand */
    for (uint32_t i = 0; i < w->n; i++) {
        const lg_shock_leg_t *l = &w->legs[i];
        if (l->cover < 0) continue;
        const levels_t *pl = &w->all[l->cover];
        for (uint32_t k = 0; k < pl->n; k++) add_level(&w->all[i], pl->q[k], target_of(l), l->lot);
    }
}

/* out = in with leg i holding q units added. */
static void acc_add(const walk_t *w, const acc_t *in, uint32_t i, lg_qty_t q, acc_t *out) {
    for (uint32_t u = 0; u < w->n_und; u++) {
        memcpy(out->scen[u], in->scen[u], sizeof out->scen[u]);
        out->longs[u] = in->longs[u];
    }
    double qd = (double)(w->legs[i].m.qty < 0 ? -q : q), units = fabs(qd);
    const lg_margin_table_t *t = &w->t;
    uint32_t u = w->uslot[i];
    for (uint32_t k = 0; k < LG_MARGIN_SCENARIOS; k++) out->scen[u][k] += qd * t->pnl[i][k];
    bool bought = t->option[i] && qd > 0;
    if (bought) out->longs[u] += qd * t->premium[i];
    out->exposure = in->exposure + (!t->option[i] || qd < 0 ? units * t->expo[i] : 0.0);
    out->premium = in->premium + (bought ? units * t->premium[i] : 0.0);
    for (int d = 0; d < 2; d++) out->shock[d] = in->shock[d] + qd * w->shock[i][d];
}

static lg_paise_t paise(double rupees) { return (lg_paise_t)llround(rupees * 100.0); }

/* The need of a whole state from its sums (evaluate() gives the same, and the rest),
 * or -1 when it is surely below floor: its rupee sum, before the four roundings to
 * paise (each off by half a paisa at most), is more than 4 paise short. */
static lg_paise_t acc_need(const walk_t *w, const acc_t *a, lg_paise_t floor) {
    double span = 0.0;
    for (uint32_t u = 0; u < w->n_und; u++) {
        double worst = 0.0;
        for (uint32_t k = 0; k < LG_MARGIN_SCENARIOS; k++)
            if (-a->scen[u][k] > worst) worst = -a->scen[u][k];
        span += worst > a->longs[u] ? worst - a->longs[u] : 0.0;
    }
    double loss = 0.0;
    for (int d = 0; d < 2; d++)
        if (-a->shock[d] > loss) loss = -a->shock[d];
    double rough = (span + a->exposure + a->premium + loss * (1.0 + w->addon)) * 100.0;
    if (rough < (double)floor - 4.0) return -1;
    return paise(span) + paise(a->exposure) + paise(a->premium) +
           (lg_paise_t)llround(loss * (1.0 + w->addon) * 100.0);
}

/* Legs 0..i hold held[0..i]: can the plan still reach a state that starts so? Only
 * the constraints leg i takes part in can have changed; exact once i is the last. */
static bool partial_ok(const walk_t *w, const lg_qty_t *held, uint32_t i) {
    if (w->policy == LG_POLICY_NAIVE) return true;
    if (w->policy == LG_POLICY_RATCHET) {
        int p = w->legs[i].cover >= 0 ? w->legs[i].cover : w->prot[i] ? (int)i : -1;
        if (p < 0) return true;
        lg_qty_t shorts = 0;
        for (uint32_t j = 0; j <= i; j++)
            if (w->legs[j].cover == p) shorts += held[j];
        return shorts <= ((uint32_t)p <= i ? held[p] : w->target[p]);
    }
    bool short_on = false, prot_open = false; /* protection first */
    for (uint32_t j = 0; j <= i; j++) {
        short_on = short_on || (w->legs[j].cover >= 0 && held[j] > 0);
        prot_open = prot_open || (w->prot[j] && held[j] != w->target[j]);
    }
    return !(short_on && prot_open);
}

static void evaluate(const walk_t *w, const lg_qty_t *held, lg_shock_state_t *s) {
    lg_qty_t qty[LG_MAX_LEGS];
    memset(s, 0, sizeof *s);
    for (uint32_t i = 0; i < w->n; i++) {
        s->held[i] = held[i];
        qty[i] = w->legs[i].m.qty < 0 ? -held[i] : held[i];
    }
    lg_margin_t m;
    lg_margin_eval(&w->t, qty, &m);
    double worst = 0.0;
    for (int d = 0; d < 2; d++) {
        double pnl = 0.0;
        for (uint32_t i = 0; i < w->n; i++) pnl += (double)qty[i] * w->shock[i][d];
        if (-pnl > worst) {
            worst = -pnl;
            s->direction = d == 0 ? 1 : -1;
        }
    }
    s->margin = m.total;
    s->loss = (lg_paise_t)llround(worst * 100.0);
    s->need = s->margin + (lg_paise_t)llround(worst * (1.0 + w->addon) * 100.0);
}

/* Depth first over the legs, leg 0 outermost, each node adding one leg's terms to its
 * parent's sums; a branch the plan cannot reach is cut where it leaves the plan. The
 * worst state (ties: the first in the order where leg 0 changes fastest) goes to
 * worst_held. Nodes are bounded by LG_MAX_LEGS × LG_SHOCK_MAX_STATES. */
static void walk_states(const walk_t *w, const levels_t *lv, lg_shock_result_t *r,
                        lg_qty_t *worst_held) {
    uint32_t n = w->n, digit[LG_MAX_LEGS] = {0}, i = 0;
    uint64_t weight[LG_MAX_LEGS], best_at = 0;
    for (uint32_t k = 0; k < n; k++) weight[k] = k == 0 ? 1 : weight[k - 1] * lv[k - 1].n;
    acc_t acc[LG_MAX_LEGS + 1];
    memset(&acc[0], 0, sizeof acc[0]);
    lg_qty_t held[LG_MAX_LEGS];
    lg_paise_t best = -1;
    for (uint64_t node = 0; node < (uint64_t)LG_MAX_LEGS * LG_SHOCK_MAX_STATES; node++) {
        held[i] = lv[i].q[digit[i]];
        acc_add(w, &acc[i], i, held[i], &acc[i + 1]);
        bool ok = partial_ok(w, held, i);
        if (ok && i + 1 < n) {
            digit[++i] = 0;
            continue;
        }
        if (ok) {
            lg_paise_t need = acc_need(w, &acc[n], best);
            uint64_t at = 0;
            for (uint32_t k = 0; k < n; k++) at += digit[k] * weight[k];
            r->states++;
            if (need > best || (need == best && at < best_at)) {
                best = need, best_at = at;
                memcpy(worst_held, held, n * sizeof held[0]);
            }
        }
        while (++digit[i] == lv[i].n) { /* the next sibling, or up */
            if (i == 0) return;
            i--;
        }
    }
    LG_ASSERT(0 && "shock walk past its node bound");
}

static int check_legs(const lg_shock_leg_t *legs, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        const lg_shock_leg_t *l = &legs[i];
        if (l->m.qty == 0 || l->lot <= 0 || l->m.qty % l->lot != 0) return LG_EINVAL;
        if (l->cover < 0) continue;
        if ((uint32_t)l->cover >= n || l->m.qty > 0 || l->m.kind == LG_KIND_FUT) return LG_EINVAL;
        const lg_shock_leg_t *c = &legs[l->cover];
        if (c->m.qty <= 0 || c->m.kind != l->m.kind || c->m.und != l->m.und) return LG_EINVAL;
    }
    return LG_OK;
}

static uint64_t product(const levels_t *lv, uint32_t n) {
    uint64_t p = 1;
    for (uint32_t i = 0; i < n && p <= LG_SHOCK_MAX_STATES; i++) p *= lv[i].n;
    return p;
}

int lg_shock_walk(const lg_shock_leg_t *legs, uint32_t n, lg_policy_t policy, uint32_t slices,
                  const lg_shock_params_t *p, lg_paise_t available, lg_shock_result_t *r) {
    LG_ASSERT(legs != NULL && p != NULL && r != NULL);
    if (n == 0 || n > LG_MAX_LEGS || (unsigned)policy > LG_POLICY_NAIVE) return LG_EINVAL;
    int rc = check_legs(legs, n);
    if (rc != LG_OK) return rc;
    walk_t w = {.legs = legs, .n = n, .policy = policy, .addon = p->addon};
    lg_margin_leg_t ml[LG_MAX_LEGS];
    for (uint32_t i = 0; i < n; i++) ml[i] = legs[i].m;
    rc = lg_margin_prepare(ml, n, &p->margin, &w.t);
    if (rc != LG_OK) return rc;
    for (uint32_t i = 0; i < n; i++) {
        const lg_margin_leg_t *l = &legs[i].m;
        double now = l->kind == LG_KIND_FUT ? l->spot : (double)l->price / 100.0;
        lg_margin_leg_t hot = *l;
        hot.iv = l->iv * (1.0 + p->worst_vol);
        for (int d = 0; d < 2; d++) {
            double f = l->spot * (1.0 + (d == 0 ? p->worst_move : -p->worst_move));
            w.shock[i][d] = lg_margin_unit_value(&hot, f) - now;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        w.prot[i] = is_protection(&w, i);
        w.target[i] = target_of(&legs[i]);
        w.uslot[i] = w.n_und;
        for (uint32_t j = 0; j < i; j++)
            if (legs[j].m.und == legs[i].m.und) w.uslot[i] = w.uslot[j];
        if (w.uslot[i] == w.n_und) w.n_und++;
    }
    plan_levels(&w, slices);
    bool whole = true;
    for (uint32_t i = 0; i < n; i++) whole = whole && !w.all[i].dropped;
    const levels_t *lv = whole && product(w.all, n) <= LG_SHOCK_SLICE_STATES ? w.all : w.vert;
    if (product(lv, n) > LG_SHOCK_MAX_STATES) return LG_ENOSPACE;
    memset(r, 0, sizeof *r);
    r->slices_walked = lv == w.all;
    r->available = available;
    r->worst.need = -1;
    lg_qty_t held[LG_MAX_LEGS];
    walk_states(&w, lv, r, held);
    evaluate(&w, held, &r->worst);
    for (uint32_t i = 0; i < n; i++) held[i] = target_of(&legs[i]);
    evaluate(&w, held, &r->finished);
    r->fits = r->worst.need <= available;
    return LG_OK;
}

static void rupees(char *b, size_t cap, lg_paise_t p) {
    lg_paise_t a = p < 0 ? -p : p;
    snprintf(b, cap, "%s%lld.%02lld", p < 0 ? "-" : "", (long long)(a / 100), (long long)(a % 100));
}

void lg_shock_describe(const lg_shock_leg_t *legs, uint32_t n, const char *const *names,
                       const lg_shock_state_t *s, lg_paise_t available, char *buf, size_t cap) {
    LG_ASSERT(legs != NULL && s != NULL && buf != NULL && cap > 0);
    size_t at = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < n && at < cap; i++) {
        int k = snprintf(buf + at, cap - at, "%sleg %u %s %s %lld/%lld", i ? ", " : "", i,
                         legs[i].m.qty < 0 ? "short" : "long",
                         names && names[i] ? names[i] : "?", (long long)s->held[i],
                         (long long)target_of(&legs[i]));
        at += k > 0 ? (size_t)k : 0;
    }
    char need[32], margin[32], loss[32], avail[32];
    rupees(need, sizeof need, s->need);
    rupees(margin, sizeof margin, s->margin);
    rupees(loss, sizeof loss, s->loss);
    rupees(avail, sizeof avail, available);
    if (at < cap)
        snprintf(buf + at, cap - at, ": needs Rs %s (margin %s + loss %s on a move %s, with add-on), available %s",
                 need, margin, loss, s->direction > 0 ? "up" : s->direction < 0 ? "down" : "either way",
                 avail);
}
