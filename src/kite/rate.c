/*
 * rate.c — the broker's request limits (rate.h): exact sliding windows kept as rings of
 * the last N send times, two lanes of order requests (risk-reducing first) and a queue
 * of look-ups, all bounded and allocated once.
 */
#include "legato/rate.h"

#include <stdlib.h>
#include <string.h>

/* Send times of the last `cap` requests of a class, oldest at head. */
typedef struct ring {
    lg_ns_t *t;
    uint32_t cap, n, head;
    lg_ns_t window;
} ring_t;

typedef struct entry {
    lg_cmd_t cmd;
    lg_ns_t at; /* pushed */
} entry_t;

/* FIFO of waiting commands. */
typedef struct queue {
    entry_t *e;
    uint32_t cap, n, head;
} queue_t;

enum { Q_REDUCE = 0, Q_ADD, Q_QUERY, Q__COUNT };

struct lg_rate {
    lg_rate_config_t cfg;
    ring_t sec, min, qsec;
    queue_t q[Q__COUNT];
    uint32_t day_sent;
    lg_ns_t backoff_until;
    lg_rate_stats_t st;
};

void lg_rate_config_default(lg_rate_config_t *c) {
    LG_ASSERT(c != NULL);
    *c = (lg_rate_config_t){.orders_per_second = 10, .orders_per_minute = 400,
                            .orders_per_day = 5000, .queries_per_second = 10, .queue_cap = 4096,
                            .guard_ns = 50 * LG_NS_PER_MS};
}

static bool ring_init(ring_t *r, uint32_t cap, lg_ns_t window) {
    r->t = calloc(cap, sizeof *r->t);
    r->cap = cap;
    r->window = window;
    return r->t != NULL;
}

/* Earliest time one more request may leave. */
static lg_ns_t ring_next(const ring_t *r) {
    if (r->n < r->cap) return INT64_MIN;
    return r->t[r->head] + r->window;
}

static void ring_add(ring_t *r, lg_ns_t now) {
    LG_ASSERT(ring_next(r) <= now);
    if (r->n < r->cap) {
        r->t[(r->head + r->n++) % r->cap] = now;
        return;
    }
    r->t[r->head] = now; /* replaces the oldest, which is now the newest */
    r->head = (r->head + 1) % r->cap;
}

int lg_rate_create(const lg_rate_config_t *cfg, lg_rate_t **out) {
    LG_ASSERT(cfg != NULL && out != NULL);
    *out = NULL;
    if (cfg->orders_per_second == 0 || cfg->orders_per_minute == 0 ||
        cfg->queries_per_second == 0 || cfg->queue_cap == 0 || cfg->guard_ns < 0 ||
        cfg->guard_ns >= LG_NS_PER_S)
        return LG_EINVAL;
    lg_rate_t *r = calloc(1, sizeof *r);
    if (r == NULL) return LG_EPOOL_FULL;
    r->cfg = *cfg;
    lg_ns_t g = cfg->guard_ns;
    bool ok = ring_init(&r->sec, cfg->orders_per_second, LG_NS_PER_S + g) &&
              ring_init(&r->min, cfg->orders_per_minute, 60 * LG_NS_PER_S + g) &&
              ring_init(&r->qsec, cfg->queries_per_second, LG_NS_PER_S + g);
    for (int i = 0; i < Q__COUNT && ok; i++) {
        r->q[i].e = calloc(cfg->queue_cap, sizeof *r->q[i].e);
        r->q[i].cap = cfg->queue_cap;
        ok = r->q[i].e != NULL;
    }
    if (!ok) {
        lg_rate_destroy(r);
        return LG_EPOOL_FULL;
    }
    *out = r;
    return LG_OK;
}

void lg_rate_destroy(lg_rate_t *r) {
    if (r == NULL) return;
    free(r->sec.t);
    free(r->min.t);
    free(r->qsec.t);
    for (int i = 0; i < Q__COUNT; i++) free(r->q[i].e);
    free(r);
}

static int queue_of(const lg_cmd_t *c) {
    switch (c->kind) {
    case LG_CMD_PLACE:
    case LG_CMD_MODIFY: return c->risk_reducing ? Q_REDUCE : Q_ADD;
    case LG_CMD_CANCEL: return Q_REDUCE;
    case LG_CMD_QUERY_ORDER:
    case LG_CMD_QUERY_POSITIONS: return Q_QUERY;
    case LG_CMD_QUERY_MARGINS:
    case LG_CMD_QUERY_BASKET: return Q_QUERY;
    default: return -1;
    }
}

int lg_rate_push(lg_rate_t *r, const lg_cmd_t *cmd, lg_ns_t now) {
    LG_ASSERT(r != NULL && cmd != NULL);
    int qi = queue_of(cmd);
    if (qi < 0) return LG_EINVAL;
    queue_t *q = &r->q[qi];
    if (q->n == q->cap) {
        r->st.refused++;
        return LG_EPOOL_FULL;
    }
    q->e[(q->head + q->n++) % q->cap] = (entry_t){.cmd = *cmd, .at = now};
    r->st.pushed++;
    return LG_OK;
}

/* When the head of an order lane may leave (INT64_MAX: the day's limit is spent). */
static lg_ns_t order_allowed(const lg_rate_t *r) {
    if (r->cfg.orders_per_day > 0 && r->day_sent >= r->cfg.orders_per_day) return INT64_MAX;
    return LG_MAX(ring_next(&r->sec), ring_next(&r->min));
}

static void take(lg_rate_t *r, int qi, lg_ns_t now, lg_cmd_t *out) {
    queue_t *q = &r->q[qi];
    LG_ASSERT(q->n > 0);
    entry_t *e = &q->e[q->head];
    *out = e->cmd;
    r->st.max_wait_ns = LG_MAX(r->st.max_wait_ns, now - e->at);
    q->head = (q->head + 1) % q->cap;
    q->n--;
    r->st.sent++;
    if (qi == Q_QUERY) {
        ring_add(&r->qsec, now);
        return;
    }
    ring_add(&r->sec, now);
    ring_add(&r->min, now);
    r->day_sent++;
}

int lg_rate_pop(lg_rate_t *r, lg_ns_t now, lg_cmd_t *out, lg_ns_t *next_at) {
    LG_ASSERT(r != NULL && out != NULL && next_at != NULL);
    *next_at = INT64_MAX;
    bool orders = r->q[Q_REDUCE].n + r->q[Q_ADD].n > 0, queries = r->q[Q_QUERY].n > 0;
    if (!orders && !queries) return 0;
    if (now < r->backoff_until) {
        *next_at = r->backoff_until;
        return 0;
    }
    lg_ns_t t_order = orders ? order_allowed(r) : INT64_MAX;
    lg_ns_t t_query = queries ? ring_next(&r->qsec) : INT64_MAX;
    if (orders && t_order <= now) {
        take(r, r->q[Q_REDUCE].n > 0 ? Q_REDUCE : Q_ADD, now, out);
        return 1;
    }
    if (queries && t_query <= now) {
        take(r, Q_QUERY, now, out);
        return 1;
    }
    *next_at = LG_MIN(t_order, t_query);
    return 0;
}

bool lg_rate_waiting_place(const lg_rate_t *r, const char *tag) {
    LG_ASSERT(r != NULL && tag != NULL);
    for (int qi = Q_REDUCE; qi <= Q_ADD; qi++) {
        const queue_t *q = &r->q[qi];
        for (uint32_t i = 0; i < q->n; i++) { /* bounded by queue_cap */
            const lg_cmd_t *c = &q->e[(q->head + i) % q->cap].cmd;
            if (c->kind == LG_CMD_PLACE && strcmp(c->tag, tag) == 0) return true;
        }
    }
    return false;
}

void lg_rate_backoff(lg_rate_t *r, lg_ns_t until) {
    LG_ASSERT(r != NULL);
    r->backoff_until = LG_MAX(r->backoff_until, until);
}

void lg_rate_new_day(lg_rate_t *r) {
    LG_ASSERT(r != NULL);
    r->day_sent = 0;
}

void lg_rate_stats(const lg_rate_t *r, lg_rate_stats_t *s) {
    LG_ASSERT(r != NULL && s != NULL);
    *s = r->st;
    s->waiting = r->q[Q_REDUCE].n + r->q[Q_ADD].n + r->q[Q_QUERY].n;
    s->day_left = r->cfg.orders_per_day == 0 ? UINT32_MAX
                  : r->day_sent >= r->cfg.orders_per_day ? 0 : r->cfg.orders_per_day - r->day_sent;
}
