/*
 * shock.h — the margin-shock predictor: before a group's first order leaves, walk
 * every partial-fill state its execution plan can reach, shock each by the worst
 * move in its adverse direction, and refuse (or size down) when any state would need
 * more than the available margin. The refusal names the state.
 *
 * A state is the quantity each leg holds. What a state needs:
 *
 *     need = margin(state) + (1 + addon) × max(0, loss(state) under the worst move)
 *
 * margin is the scenario model of margin.h (spread benefit by construction); the
 * loss is the state's mark-to-market loss when the underlying moves by worst_move,
 * up or down, whichever hurts it more, with volatility up by worst_vol; the add-on
 * (50% by default) is what a broker's risk system blocks on top of an unrealised loss.
 *
 * Reachable states per plan (lg_policy_t of event.h):
 *   naive             every leg fills on its own: any quantity of any leg.
 *   protection_first  shorts hold nothing until every protection leg is complete.
 *   ratchet           the shorts a protection leg covers hold together at most what
 *                     that protection holds.
 * Each leg's quantities walked are 0, its target, every ratchet slice boundary, and
 * the quantities where a pairing's constraint is tight (a protection holding exactly
 * its shorts' targets, a short holding what its protection leaves it). The need is
 * convex in the quantities (a maximum of linear terms, plus linear terms), so its
 * largest value over a plan's polytope is at a vertex; those tight points and the
 * ends are the vertices, and the walk is exact for the worst state even when the
 * slice boundaries are left out to keep within LG_SHOCK_SLICE_STATES.
 */
#ifndef LEGATO_SHOCK_H
#define LEGATO_SHOCK_H

#include "legato/event.h"
#include "legato/margin.h"

#define LG_SHOCK_SLICE_STATES 1024 /* slice boundaries walked while the walk stays within */
#define LG_SHOCK_MAX_STATES 16384  /* vertex states beyond this: LG_ENOSPACE */
#define LG_SHOCK_MAX_LEVELS 32 /* per leg: the vertex levels (at most 17) always fit */

typedef struct lg_shock_params {
    lg_margin_params_t margin;
    double worst_move; /* fraction of the underlying, e.g. 0.03 */
    double worst_vol;  /* relative rise of volatility with the move, e.g. 0.10 */
    double addon;      /* share of the unrealised loss blocked on top of it, e.g. 0.5 */
} lg_shock_params_t;

/* One leg of the plan: m.qty is the finished structure's signed quantity. */
typedef struct lg_shock_leg {
    lg_margin_leg_t m;
    int8_t cover; /* a short's protection leg, -1 otherwise */
    lg_qty_t lot;
} lg_shock_leg_t;

typedef struct lg_shock_state {
    lg_qty_t held[LG_MAX_LEGS]; /* units held per leg, >= 0 (the leg's side gives the sign) */
    lg_paise_t margin;          /* scenario margin of the state */
    lg_paise_t loss;            /* its loss under the worst move, >= 0 */
    lg_paise_t need;            /* margin + (1 + addon) × loss */
    int8_t direction;           /* the adverse move: +1 up, -1 down, 0 none */
} lg_shock_state_t;

typedef struct lg_shock_result {
    uint32_t states;          /* states walked */
    bool slices_walked;       /* false: slice boundaries left out (see above) */
    lg_shock_state_t worst;   /* the state needing most */
    lg_shock_state_t finished;/* the finished structure */
    lg_paise_t available;
    bool fits;                /* worst.need <= available */
} lg_shock_result_t;

void lg_shock_params_default(lg_shock_params_t *p);
/* LG_ERANGE naming the field (worst_move in (0, 1), worst_vol in [0, 1), addon >= 0). */
int lg_shock_params_check(const lg_shock_params_t *p, char *err, size_t errcap);

/* Walks the plan's reachable states. LG_EINVAL for a bad leg (margin.h's rules, a lot
 * that does not divide the target, a cover that is not a bought option of the same
 * underlying); LG_ENOSPACE when even the vertex states are more than
 * LG_SHOCK_MAX_STATES; the result is filled only on LG_OK. */
int lg_shock_walk(const lg_shock_leg_t *legs, uint32_t n, lg_policy_t policy, uint32_t slices,
                  const lg_shock_params_t *p, lg_paise_t available, lg_shock_result_t *r);

/* "leg 0 short NIFTY..CE 65/65, leg 1 long ..CE 0/65: needs ₹X (margin Y + loss Z on
 * a 3% fall), available W" — names[i] label the legs (symbols), may be NULL. */
void lg_shock_describe(const lg_shock_leg_t *legs, uint32_t n, const char *const *names,
                       const lg_shock_state_t *s, lg_paise_t available, char *buf, size_t cap);

#endif
