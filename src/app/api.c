/*
 * api.c — the control API's routes (api.h): the token, the rate, the body limit, then
 * one handler per route. Each request is answered whole: a JSON object, or for
 * /metrics Prometheus text. Errors are {"error": {"status", "code", "message"}} with the
 * field or the engine's reason in the message.
 */
#include "api_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_CT "application/json"
#define TEXT_CT "text/plain; version=0.0.4"

struct lg_api {
    lg_api_config_t cfg;
    char token[128];
    double bucket;     /* requests the rate allows now */
    lg_ns_t bucket_at; /* when it was filled up to */
    lg_api_stats_t st;
};

int lg_api_create(const lg_api_config_t *cfg, lg_api_t **out) {
    LG_ASSERT(cfg != NULL && out != NULL);
    *out = NULL;
    if (cfg->engine == NULL || cfg->token == NULL || strlen(cfg->token) < 16 ||
        strlen(cfg->token) >= sizeof((lg_api_t *)0)->token || cfg->ops.submit == NULL ||
        cfg->ops.intent == NULL || cfg->ops.control == NULL || cfg->rate_per_s == 0 ||
        cfg->burst == 0 || cfg->max_body == 0)
        return LG_EINVAL;
    lg_api_t *a = calloc(1, sizeof *a);
    if (a == NULL) return LG_ENOMEM;
    a->cfg = *cfg;
    lg_strlcpy(a->token, cfg->token, sizeof a->token);
    a->cfg.token = a->token;
    a->bucket = cfg->burst;
    a->bucket_at = INT64_MIN;
    *out = a;
    return LG_OK;
}

void lg_api_destroy(lg_api_t *a) { free(a); }

void lg_api_stats(const lg_api_t *a, lg_api_stats_t *s) { *s = a->st; }

void lg_api_reply_free(lg_api_reply_t *rep) {
    free(rep->body);
    rep->body = NULL;
}

/* ---- answers -------------------------------------------------------------------------- */

static void reply_json(lg_api_reply_t *rep, int status, json_t *j) {
    rep->status = status;
    rep->content_type = JSON_CT;
    /* 15 significant digits: rupees with their 2 decimals print as written (7923569.78,
     * not 7923569.7800000003) up to ten million crore */
    rep->body = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(j);
    if (rep->body == NULL) { /* memory ran out */
        rep->status = 500;
        rep->body = strdup("{\"error\":{\"status\":500,\"code\":\"LG_ENOMEM\"}}");
    }
    rep->len = rep->body != NULL ? strlen(rep->body) : 0;
}

static void reply_error(lg_api_reply_t *rep, int status, int code, const char *fmt, ...) {
    char msg[LG_API_ERR_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_json(rep, status, json_pack("{s:{s:i,s:s,s:s}}", "error", "status", status, "code",
                                      code != 0 ? lg_errname(code) : "", "message", msg));
}

/* ---- gates ------------------------------------------------------------------------------- */

/* Constant time in the token's length: no early exit on the first differing byte. */
static bool token_ok(const lg_api_t *a, const char *auth) {
    static const char scheme[] = "Bearer ";
    if (auth == NULL || strncmp(auth, scheme, sizeof scheme - 1) != 0) return false;
    const char *given = auth + sizeof scheme - 1;
    size_t n = strlen(a->token), m = strlen(given);
    unsigned diff = (unsigned)(n ^ m);
    for (size_t i = 0; i < n; i++) diff |= (unsigned)(a->token[i] ^ (i < m ? given[i] : 0));
    return diff == 0;
}

bool lg_api_authorized(const lg_api_t *a, const char *authorization) {
    return a != NULL && token_ok(a, authorization);
}

/* One request from the bucket; false when it is empty. */
static bool rate_ok(lg_api_t *a, lg_ns_t now, uint32_t *retry_s) {
    if (a->bucket_at != INT64_MIN && now > a->bucket_at)
        a->bucket += (double)(now - a->bucket_at) / 1e9 * a->cfg.rate_per_s;
    if (a->bucket_at == INT64_MIN || now > a->bucket_at) a->bucket_at = now;
    if (a->bucket > a->cfg.burst) a->bucket = a->cfg.burst;
    if (a->bucket >= 1.0) {
        a->bucket -= 1.0;
        return true;
    }
    *retry_s = (uint32_t)((1.0 - a->bucket) / a->cfg.rate_per_s) + 1;
    return false;
}

/* ---- routes ------------------------------------------------------------------------------ */

typedef struct route_ctx {
    lg_api_t *a;
    const lg_api_request_t *req;
    lg_api_reply_t *rep;
    uint32_t id; /* {id} of the path */
} route_ctx_t;

static void get_status(route_ctx_t *c) {
    const lg_engine_t *e = c->a->cfg.engine;
    lg_engine_stats_t s;
    lg_engine_stats(e, &s);
    json_t *j = json_pack("{s:s,s:b,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "trading_state",
                          lg_tstate_name(lg_engine_trading_state(e)), "recovering",
                          lg_engine_recovering(e), "unix_ms",
                          (json_int_t)(c->req->unix_now / LG_NS_PER_MS), "counters", "steps",
                          (json_int_t)s.steps, "groups_live", (json_int_t)s.groups_live,
                          "groups_submitted", (json_int_t)s.groups_submitted, "groups_rejected",
                          (json_int_t)s.groups_rejected, "emergencies", (json_int_t)s.emergencies,
                          "halts", (json_int_t)s.halts, "intents", (json_int_t)s.intents,
                          "intents_sized", (json_int_t)s.sized, "risk_refused",
                          (json_int_t)s.risk_refused);
    if (j != NULL) json_object_set_new(j, "risk", lg_api_risk_json(e));
    json_t *cn = json_object_get(j, "counters");
    json_object_set_new(cn, "instruments", json_integer(s.instruments));
    json_object_set_new(cn, "instruments_priced", json_integer(s.instruments_priced));
    json_object_set_new(cn, "instruments_banded", json_integer(s.instruments_banded));
    reply_json(c->rep, 200, j);
}

static void get_groups(route_ctx_t *c) {
    const lg_engine_t *e = c->a->cfg.engine;
    uint32_t cap = lg_engine_config(e)->max_groups;
    uint32_t *ids = malloc((size_t)cap * sizeof *ids);
    json_t *arr = json_array();
    uint32_t n = ids != NULL ? lg_engine_groups(e, ids, cap) : 0;
    for (uint32_t i = n; i-- > 0;) json_array_append_new(arr, lg_api_group_json(e, ids[i], false));
    free(ids);
    reply_json(c->rep, 200, json_pack("{s:o}", "groups", arr));
}

static void get_group(route_ctx_t *c) {
    json_t *g = lg_api_group_json(c->a->cfg.engine, c->id, true);
    if (g == NULL) return reply_error(c->rep, 404, LG_EUNKNOWN_GROUP, "group %u: no such group", c->id);
    reply_json(c->rep, 200, g);
}

static void refused(route_ctx_t *c, int rc, const char *err) {
    c->a->st.refused++;
    /* the engine's alert text begins with its code, which the reply carries apart */
    size_t k = strlen(lg_errname(rc));
    const char *why = err[0] ? err : lg_strerror(rc);
    if (strncmp(why, lg_errname(rc), k) == 0 && strncmp(why + k, ": ", 2) == 0) why += k + 2;
    reply_error(c->rep, 422, rc, "%s", why);
}

static void created(route_ctx_t *c, uint32_t group) {
    json_t *g = lg_api_group_json(c->a->cfg.engine, group, false);
    reply_json(c->rep, 201, g != NULL ? g : json_pack("{s:i}", "id", (json_int_t)group));
}

static void post_group(route_ctx_t *c) {
    lg_group_spec_t spec;
    char err[LG_API_ERR_MAX] = "";
    if (lg_api_decode_group(lg_engine_master(c->a->cfg.engine), c->req->body, c->req->body_len,
                            &spec, err, sizeof err) != LG_OK)
        return reply_error(c->rep, 400, LG_EINVAL, "%s", err);
    uint32_t group = 0;
    int rc = c->a->cfg.ops.submit(c->a->cfg.ud, &spec, &group, err, sizeof err);
    if (rc != LG_OK || group == 0) return refused(c, rc != LG_OK ? rc : LG_ESTATE, err);
    created(c, group);
}

static void post_intent(route_ctx_t *c) {
    lg_intent_t it;
    char err[LG_API_ERR_MAX] = "";
    if (lg_api_decode_intent(c->a->cfg.engine, c->req->body, c->req->body_len, &it, err,
                             sizeof err) != LG_OK)
        return reply_error(c->rep, 400, LG_EINVAL, "%s", err);
    uint32_t group = 0;
    int rc = c->a->cfg.ops.intent(c->a->cfg.ud, &it, &group, err, sizeof err);
    if (rc != LG_OK || group == 0) return refused(c, rc != LG_OK ? rc : LG_ESTATE, err);
    created(c, group);
}

/* A control whose body, if any, is an empty object. */
static bool empty_body(route_ctx_t *c) {
    if (c->req->body_len == 0) return true;
    json_t *j = json_loadb(c->req->body, c->req->body_len, 0, NULL);
    bool ok = json_is_object(j) && json_object_size(j) == 0;
    json_decref(j);
    if (!ok) reply_error(c->rep, 400, LG_EINVAL, "body: this request takes no fields ({} or nothing)");
    return ok;
}

static void control(route_ctx_t *c, lg_control_op_t op, int ok_status) {
    if (!empty_body(c)) return;
    char err[LG_API_ERR_MAX] = "";
    int rc = c->a->cfg.ops.control(c->a->cfg.ud, op, c->id, err, sizeof err);
    if (rc != LG_OK) return refused(c, rc, err);
    const lg_engine_t *e = c->a->cfg.engine;
    json_t *j = json_pack("{s:s}", "trading_state", lg_tstate_name(lg_engine_trading_state(e)));
    if (j != NULL && c->id != 0) json_object_set_new(j, "group", lg_api_group_json(e, c->id, false));
    reply_json(c->rep, ok_status, j);
}

static void post_exit(route_ctx_t *c) {
    lg_gstate_t s;
    if (lg_engine_group_state(c->a->cfg.engine, c->id, &s) != LG_OK)
        return reply_error(c->rep, 404, LG_EUNKNOWN_GROUP, "group %u: no such group", c->id);
    control(c, LG_CTL_EXIT_GROUP, 202);
}

static void post_kill(route_ctx_t *c) { control(c, LG_CTL_KILL, 200); }
static void post_resume(route_ctx_t *c) { control(c, LG_CTL_RESUME, 200); }

static void get_positions(route_ctx_t *c) {
    reply_json(c->rep, 200, lg_api_positions_json(c->a->cfg.engine, c->req->unix_now));
}

/* One "key=value" of the query into val (no escapes: the values are names and dates);
 * false when absent. */
static bool query_get(const char *q, const char *key, char *val, size_t cap) {
    size_t k = strlen(key);
    for (const char *p = q; p != NULL && *p != '\0'; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, key, k) != 0 || p[k] != '=') continue;
        size_t n = strcspn(p + k + 1, "&");
        if (n >= cap) n = cap - 1;
        memcpy(val, p + k + 1, n);
        val[n] = '\0';
        return true;
    }
    return false;
}

/* The first key of the query that is not among keys, or NULL. */
static const char *query_unknown(const char *q, const char *const *keys) {
    static char name[32];
    for (const char *p = q; p != NULL && *p != '\0'; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        size_t n = strcspn(p, "=&");
        bool known = false;
        for (size_t i = 0; keys[i] != NULL && !known; i++) known = strlen(keys[i]) == n && strncmp(p, keys[i], n) == 0;
        if (known) continue;
        snprintf(name, sizeof name, "%.*s", (int)LG_MIN(n, sizeof name - 1), p);
        return name;
    }
    return NULL;
}

#define INSTRUMENTS_MAX 5000

static void get_instruments(route_ctx_t *c) {
    static const char *const KEYS[] = {"underlying", "expiry", NULL};
    const char *q = c->req->query != NULL ? c->req->query : "";
    const char *bad = query_unknown(q, KEYS);
    char und[LG_UNDERLYING_MAX + 8] = "", exp[16] = "";
    if (bad != NULL) return reply_error(c->rep, 400, LG_EINVAL, "%s: unknown query parameter", bad);
    if (!query_get(q, "underlying", und, sizeof und) || und[0] == '\0')
        return reply_error(c->rep, 400, LG_EINVAL, "underlying: required (?underlying=NIFTY)");
    const lg_instruments_t *m = lg_engine_master(c->a->cfg.engine);
    int32_t want = -1, today = (int32_t)((c->req->unix_now + 19800LL * LG_NS_PER_S) / (86400LL * LG_NS_PER_S));
    int y, mo, d;
    if (query_get(q, "expiry", exp, sizeof exp) && strcmp(exp, "nearest") == 0) {
        for (uint32_t i = 0; i < m->n; i++)
            if (strcmp(m->items[i].underlying, und) == 0 && m->items[i].expiry_day >= today &&
                (want < 0 || m->items[i].expiry_day < want))
                want = m->items[i].expiry_day;
    } else if (exp[0] != '\0') {
        char tail;
        if (sscanf(exp, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 || mo < 1 || mo > 12 || d < 1 || d > 31)
            return reply_error(c->rep, 400, LG_EINVAL, "expiry: 'nearest' or a date YYYY-MM-DD");
        want = lg_days_from_civil(y, mo, d);
    }
    json_t *arr = json_array();
    bool truncated = false;
    for (uint32_t i = 0; i < m->n && arr != NULL; i++) {
        const lg_instrument_t *in = &m->items[i];
        if (strcmp(in->underlying, und) != 0 || (want >= 0 && in->expiry_day != want)) continue;
        if (json_array_size(arr) == INSTRUMENTS_MAX) {
            truncated = true;
            break;
        }
        json_array_append_new(arr, lg_api_instrument_json(c->a->cfg.engine, in));
    }
    if (json_array_size(arr) == 0) {
        json_decref(arr);
        return reply_error(c->rep, 404, LG_EINSTRUMENT, "underlying: no %s instrument%s in the master", und,
                           want >= 0 ? " of that expiry" : "");
    }
    reply_json(c->rep, 200, json_pack("{s:o,s:b}", "instruments", arr, "truncated", truncated));
}

static void get_risk(route_ctx_t *c) { reply_json(c->rep, 200, lg_api_risk_json(c->a->cfg.engine)); }

/* ---- /metrics ---------------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf_t;

static void put(sbuf_t *b, const char *fmt, ...) {
    if (b->p == NULL) return;
    for (int round = 0; round < 2; round++) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if ((size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        char *q = realloc(b->p, b->cap * 2 + (size_t)k);
        if (q == NULL) return;
        b->p = q;
        b->cap = b->cap * 2 + (size_t)k;
    }
}

static void metric(sbuf_t *b, const char *name, const char *type, const char *help, double v) {
    put(b, "# HELP legato_%s %s\n# TYPE legato_%s %s\nlegato_%s %.17g\n", name, help, name, type,
        name, v);
}

static void get_metrics(route_ctx_t *c) {
    const lg_engine_t *e = c->a->cfg.engine;
    lg_engine_stats_t s;
    lg_risk_view_t r;
    lg_engine_stats(e, &s);
    lg_engine_risk(e, &r);
    sbuf_t b = {.p = malloc(4096), .cap = 4096};
    metric(&b, "trading_state", "gauge", "0 ACTIVE, 1 REDUCING, 2 HALTED",
           (double)lg_engine_trading_state(e));
    metric(&b, "groups_live", "gauge", "groups not finished", s.groups_live);
    metric(&b, "orders_in_use", "gauge", "order slots in use", s.orders_in_use);
    metric(&b, "engine_steps_total", "counter", "engine steps", (double)s.steps);
    metric(&b, "groups_submitted_total", "counter", "groups submitted", (double)s.groups_submitted);
    metric(&b, "groups_rejected_total", "counter", "groups rejected", (double)s.groups_rejected);
    metric(&b, "emergencies_total", "counter", "emergency hedges started", (double)s.emergencies);
    metric(&b, "halts_total", "counter", "kill switches", (double)s.halts);
    metric(&b, "intents_total", "counter", "intents received", (double)s.intents);
    metric(&b, "intents_sized_total", "counter", "intents sized and admitted", (double)s.sized);
    metric(&b, "risk_refused_total", "counter", "refusals by the risk engine", (double)s.risk_refused);
    metric(&b, "basket_queries_total", "counter", "broker basket margins asked for intents", (double)s.baskets);
    metric(&b, "margin_available_rupees", "gauge", "last margin snapshot", (double)r.available / 100);
    metric(&b, "margin_reserved_rupees", "gauge", "reserved by groups entering", (double)r.reserved / 100);
    metric(&b, "day_pnl_rupees", "gauge", "the day's P&L", (double)r.day_pnl / 100);
    metric(&b, "api_requests_total", "counter", "control API requests", (double)c->a->st.requests);
    metric(&b, "api_limited_total", "counter", "requests refused by the rate", (double)c->a->st.limited);
    if (c->a->cfg.metrics != NULL && b.p != NULL) {
        char extra[4096];
        size_t k = c->a->cfg.metrics(c->a->cfg.ud, extra, sizeof extra);
        if (k < sizeof extra) put(&b, "%s", extra);
    }
    if (b.p == NULL) return reply_error(c->rep, 500, LG_ENOMEM, "out of memory");
    c->rep->status = 200;
    c->rep->content_type = TEXT_CT;
    c->rep->body = b.p;
    c->rep->len = b.n;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

typedef struct route {
    const char *method;
    const char *path; /* "{id}" matches a group id */
    void (*fn)(route_ctx_t *c);
} route_t;

static const route_t ROUTES[] = {
    {"GET", "/v1/status", get_status},       {"GET", "/v1/groups", get_groups},
    {"POST", "/v1/groups", post_group},      {"GET", "/v1/groups/{id}", get_group},
    {"POST", "/v1/groups/{id}/exit", post_exit}, {"POST", "/v1/intents", post_intent},
    {"GET", "/v1/positions", get_positions}, {"GET", "/v1/risk", get_risk},
    {"POST", "/v1/kill", post_kill},         {"POST", "/v1/resume", post_resume},
    {"GET", "/v1/instruments", get_instruments}, {"GET", "/metrics", get_metrics},
};

/* path against a pattern; {id} takes a decimal group id in 1..UINT32_MAX. */
static bool match(const char *pat, const char *path, uint32_t *id) {
    while (*pat != '\0') {
        if (strncmp(pat, "{id}", 4) == 0) {
            uint64_t v = 0;
            const char *p = path;
            while (*p >= '0' && *p <= '9' && p - path < 10) v = v * 10 + (uint64_t)(*p++ - '0');
            if (p == path || v == 0 || v > UINT32_MAX || (*p >= '0' && *p <= '9')) return false;
            *id = (uint32_t)v;
            path = p;
            pat += 4;
        } else if (*pat++ != *path++) {
            return false;
        }
    }
    return *path == '\0';
}

static void count(lg_api_t *a, int status) {
    if (status < 400) a->st.ok++;
    else if (status < 500) a->st.client_errors++;
}

void lg_api_handle(lg_api_t *a, const lg_api_request_t *req, lg_api_reply_t *rep) {
    LG_ASSERT(a != NULL && req != NULL && rep != NULL);
    memset(rep, 0, sizeof *rep);
    a->st.requests++;
    if (!rate_ok(a, req->now, &rep->retry_after_s)) {
        a->st.limited++;
        uint32_t retry = rep->retry_after_s;
        reply_error(rep, 429, LG_ERATE, "more than %u requests a second: try again in %u s",
                    a->cfg.rate_per_s, retry);
        rep->retry_after_s = retry;
        return count(a, 429);
    }
    if (!token_ok(a, req->authorization)) {
        a->st.unauthorized++;
        reply_error(rep, 401, LG_EAUTH, "a valid 'Authorization: Bearer <token>' header is required "
                                        "(the token is in the daemon's token file)");
        return count(a, 401);
    }
    if (req->body_len > a->cfg.max_body) {
        reply_error(rep, 413, LG_ETOOBIG, "body of %zu bytes is over the %u allowed", req->body_len,
                    a->cfg.max_body);
        return count(a, 413);
    }
    bool path_known = false;
    for (size_t i = 0; i < LG_COUNT(ROUTES); i++) {
        uint32_t id = 0;
        if (!match(ROUTES[i].path, req->path, &id)) continue;
        path_known = true;
        if (strcmp(ROUTES[i].method, req->method) != 0) continue;
        route_ctx_t c = {.a = a, .req = req, .rep = rep, .id = id};
        ROUTES[i].fn(&c);
        return count(a, rep->status);
    }
    if (path_known)
        reply_error(rep, 405, LG_EINVAL, "%.8s is not allowed on %.80s", req->method, req->path);
    else
        reply_error(rep, 404, LG_EINVAL, "no route %.80s (docs/API.md lists them)", req->path);
    count(a, rep->status);
}
