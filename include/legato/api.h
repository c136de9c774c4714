/*
 * api.h — the daemon's control API (HTTP + JSON), as a pure request → reply function:
 * the daemon puts it behind its HTTP server on 127.0.0.1, the tests call it directly.
 * Reads come from the engine's views; anything that changes state goes through the
 * operations the daemon hands in (its live shell: journaled, then sent), so the API
 * never steps the engine itself.
 *
 *   GET  /v1/status              trading state, risk picture, counters
 *   GET  /v1/groups              every group the engine holds, newest first
 *   GET  /v1/groups/{id}         one group: legs, orders, its state timeline, sizing
 *   POST /v1/groups              an explicit group (quantities given)             201
 *   POST /v1/intents             an intent (no quantity: the risk engine sizes)   201
 *   POST /v1/groups/{id}/exit    close a live group in unwind order               202
 *   GET  /v1/positions           held instruments with greeks and P&L
 *   GET  /v1/risk                the risk picture alone
 *   GET  /v1/instruments?underlying=NIFTY[&expiry=nearest|YYYY-MM-DD]
 *                                the tradable instruments of one underlying, with prices
 *   POST /v1/kill | /v1/resume   the kill switch, and a person's resume
 *   GET  /metrics                Prometheus text format
 *
 * Every request needs "Authorization: Bearer <token>" (compared in constant time):
 * 401 without it. A request over max_body is 413, past the rate (a token bucket over
 * all clients) 429 with a retry time. A body must be one JSON object with only the
 * documented fields, of the documented types: anything else is 400 with the field
 * named ("legs[1].qty: must be a whole number of units > 0"). A request the engine
 * refuses (the risk engine, a bad instrument, trading halted) is 422 with the engine's
 * own reason. Nothing is half applied: a body is decoded whole before anything is done.
 *
 * Money in bodies and answers is in rupees (JSON numbers, at most 2 decimals); times
 * are Unix milliseconds. docs/API.md is the reference.
 */
#ifndef LEGATO_API_H
#define LEGATO_API_H

#include "legato/engine.h"

typedef struct lg_api lg_api_t;

/* What the API acts through. Each returns LG_OK or the engine's refusal (err says
 * why); *group is the new group's id. */
typedef struct lg_api_ops {
    int (*submit)(void *ud, const lg_group_spec_t *spec, uint32_t *group, char *err, size_t cap);
    int (*intent)(void *ud, const lg_intent_t *it, uint32_t *group, char *err, size_t cap);
    int (*control)(void *ud, lg_control_op_t op, uint32_t group, char *err, size_t cap);
} lg_api_ops_t;

typedef struct lg_api_config {
    const lg_engine_t *engine; /* read views (the ops' engine) */
    const char *token;         /* the bearer token, >= 16 characters */
    uint32_t max_body;         /* bytes (65536) */
    uint32_t rate_per_s;       /* requests per second over all clients (50) */
    uint32_t burst;            /* bucket size (100) */
    lg_api_ops_t ops;
    void *ud;
    /* Extra lines for /metrics (the daemon's own counters), may be NULL. */
    size_t (*metrics)(void *ud, char *buf, size_t cap);
} lg_api_config_t;

typedef struct lg_api_request {
    const char *method, *path; /* path without the query */
    const char *query;         /* after '?', percent-decoded or not; NULL or "" when none */
    const char *authorization; /* the header's value, NULL when absent */
    const char *body;          /* NUL-terminated */
    size_t body_len;
    lg_ns_t now;               /* monotonic, for the rate */
    lg_ns_t unix_now;          /* for answers */
} lg_api_request_t;

typedef struct lg_api_reply {
    int status;
    char *body;               /* malloc'd; lg_api_reply_free */
    size_t len;
    const char *content_type; /* static */
    uint32_t retry_after_s;   /* 429: the Retry-After header */
} lg_api_reply_t;

int lg_api_create(const lg_api_config_t *cfg, lg_api_t **out);
void lg_api_destroy(lg_api_t *a);
/* Always fills *rep (an out-of-memory answer is a static 500). */
void lg_api_handle(lg_api_t *a, const lg_api_request_t *req, lg_api_reply_t *rep);
void lg_api_reply_free(lg_api_reply_t *rep);

typedef struct lg_api_stats {
    uint64_t requests, ok, client_errors, unauthorized, limited, refused;
} lg_api_stats_t;
void lg_api_stats(const lg_api_t *a, lg_api_stats_t *s);

/* The bearer check of every request, for the daemon's other doors (the event
 * stream): "Bearer <token>", compared in constant time. */
bool lg_api_authorized(const lg_api_t *a, const char *authorization);

#endif
