/*
 * daemon_events.c — the control API's event stream: GET /v1/events upgraded to a
 * WebSocket (the bearer token in the Authorization header, or ?token= for browsers),
 * then one JSON text message per event as the engine's steps make it:
 *
 *   {"type":"hello","trading_state":"ACTIVE"}                       on connecting
 *   {"type":"group","ts":..,"group":7,"from":"FILLED","to":"HEDGED","reason":".."}
 *   {"type":"fill","ts":..,"group":7,"tag":"..","token":..,"qty":-65,"value":1234.5}
 *   {"type":"pnl","ts":..,"group":7,"realised":-91.25}
 *   {"type":"trading","ts":..,"from":"ACTIVE","to":"HALTED","reason":"kill"}
 *   {"type":"alert","ts":..,"level":"critical","text":"..","group":7}   warn and above
 *
 * At most LG_DEVENTS_MAX listeners (503 past them); a listener that does not read is
 * closed by the server when its backlog fills. Nothing here steps the engine.
 */
#include "daemon_int.h"

#include "legato/api.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lg_devents {
    const lg_api_t *api;
    const lg_engine_t *eng;
    lg_http_conn_t *conns[LG_DEVENTS_MAX];
    uint32_t n;
    uint64_t sent, dropped;
};

lg_devents_t *lg_devents_create(const lg_api_t *api, const lg_engine_t *eng) {
    lg_devents_t *e = calloc(1, sizeof *e);
    if (e == NULL) return NULL;
    e->api = api;
    e->eng = eng;
    return e;
}

void lg_devents_free(lg_devents_t *e) { free(e); }

static void send_json(lg_devents_t *e, lg_http_conn_t *only, json_t *j) {
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL) return;
    size_t len = strlen(text);
    for (uint32_t i = 0; i < e->n; i++) {
        if (only != NULL && e->conns[i] != only) continue;
        if (lg_ws_send(e->conns[i], LG_WS_TEXT, text, len) == LG_OK) e->sent++;
        else e->dropped++; /* the server closes it; on_close takes it off the list */
    }
    free(text);
}

/* ?token=<hex> as a bearer token (a browser's WebSocket cannot set headers). */
static bool authorized(const lg_devents_t *e, const lg_http_req_t *r) {
    char bearer[160];
    const char *q = strstr(r->query, "token=");
    if (q != NULL && (q == r->query || q[-1] == '&')) {
        size_t n = strcspn(q + 6, "&");
        if (n < sizeof bearer - 8) {
            snprintf(bearer, sizeof bearer, "Bearer %.*s", (int)n, q + 6);
            if (lg_api_authorized(e->api, bearer)) return true;
        }
    }
    return lg_api_authorized(e->api, lg_http_header(r, "Authorization"));
}

int lg_devents_open(lg_devents_t *e, lg_http_conn_t *c, const lg_http_req_t *r, const char **body,
                    size_t *len, const char **ctype) {
    static const char not_found[] = "{\"error\":{\"status\":404,\"message\":\"no WebSocket at this path; "
                                    "the event stream is GET /v1/events\"}}";
    static const char denied[] = "{\"error\":{\"status\":401,\"code\":\"LG_EAUTH\",\"message\":\"the event "
                                 "stream needs 'Authorization: Bearer <token>' or ?token=<token>\"}}";
    static const char full[] = "{\"error\":{\"status\":503,\"message\":\"too many event listeners\"}}";
    *ctype = "application/json";
    int status = strcmp(r->path, "/v1/events") != 0 ? 404 : !authorized(e, r) ? 401 : e->n == LG_DEVENTS_MAX ? 503 : 0;
    *body = status == 404 ? not_found : status == 401 ? denied : full;
    *len = strlen(*body);
    if (status != 0) return status;
    e->conns[e->n++] = c;
    return 0;
}

void lg_devents_ready(lg_devents_t *e, lg_http_conn_t *c) {
    if (e == NULL) return;
    send_json(e, c, json_pack("{s:s,s:s}", "type", "hello", "trading_state",
                              lg_tstate_name(lg_engine_trading_state(e->eng))));
}

void lg_devents_close(lg_devents_t *e, lg_http_conn_t *c) {
    for (uint32_t i = 0; e != NULL && i < e->n; i++) {
        if (e->conns[i] != c) continue;
        e->conns[i] = e->conns[--e->n];
        return;
    }
}

void lg_devents_records(lg_devents_t *e, const lg_record_t *recs, uint32_t n) {
    if (e == NULL || e->n == 0) return;
    json_int_t ts = (json_int_t)(lg_live_unix_now() / LG_NS_PER_MS);
    for (uint32_t i = 0; i < n; i++) {
        const lg_record_t *r = &recs[i];
        json_t *j = NULL;
        switch (r->kind) {
        case LG_REC_GROUP_STATE:
            j = json_pack("{s:s,s:I,s:i,s:s,s:s,s:s}", "type", "group", "ts", ts, "group", (int)r->group,
                          "from", lg_gstate_name((lg_gstate_t)r->a), "to", lg_gstate_name((lg_gstate_t)r->b),
                          "reason", lg_reason_name((lg_reason_t)r->c));
            break;
        case LG_REC_FILL:
            j = json_pack("{s:s,s:I,s:i,s:s,s:I,s:I,s:f}", "type", "fill", "ts", ts, "group", (int)r->group,
                          "tag", r->tag, "token", (json_int_t)r->a, "qty", (json_int_t)r->b, "value",
                          (double)r->c / 100);
            break;
        case LG_REC_PNL:
            j = json_pack("{s:s,s:I,s:i,s:f}", "type", "pnl", "ts", ts, "group", (int)r->group, "realised",
                          (double)r->a / 100);
            break;
        case LG_REC_TRADING_STATE:
            j = json_pack("{s:s,s:I,s:s,s:s,s:s}", "type", "trading", "ts", ts, "from",
                          lg_tstate_name((lg_tstate_t)r->a), "to", lg_tstate_name((lg_tstate_t)r->b),
                          "reason", lg_reason_name((lg_reason_t)r->c));
            break;
        default: break;
        }
        if (j != NULL) send_json(e, NULL, j);
    }
}

void lg_devents_alert(lg_devents_t *e, int level, uint32_t group, const char *text) {
    static const char *const LEVELS[] = {"info", "warn", "error", "critical"};
    if (e == NULL || e->n == 0 || level < LG_ALERT_WARN || level > LG_ALERT_CRITICAL) return;
    json_t *j = json_pack("{s:s,s:I,s:s,s:s}", "type", "alert", "ts",
                          (json_int_t)(lg_live_unix_now() / LG_NS_PER_MS), "level", LEVELS[level], "text", text);
    if (j != NULL && group != 0) json_object_set_new(j, "group", json_integer(group));
    send_json(e, NULL, j);
}

void lg_devents_counts(const lg_devents_t *e, uint32_t *listeners, uint64_t *sent, uint64_t *dropped) {
    *listeners = e != NULL ? e->n : 0;
    *sent = e != NULL ? e->sent : 0;
    *dropped = e != NULL ? e->dropped : 0;
}
