/*
 * kite_answer.c — one HTTP answer from Kite into an outcome (lg_kite_classify): ok,
 * definitive (the request certainly did nothing: for a place, there is no order), or
 * unknown (look the order up by its tag, never send again), plus halt and backoff.
 *
 *   http 0                                   unknown   TRANSPORT  (no answer)
 *   body not Kite's (content type not JSON,
 *     not JSON, no "status" envelope)        unknown   TRANSPORT  whatever the status
 *   2xx + "success"                          ok
 *   non-2xx + "success"                      unknown   TRANSPORT  (nonsense: be careful)
 *   429 + error envelope                     definitive RATE, backoff
 *   5xx + error envelope                     unknown   TRANSPORT  (Kite's words kept in
 *                                                                  the message; no halt)
 *   400/403/404 + error envelope             definitive, by error_type; NetworkException
 *                                            is unknown (upstream trouble)
 *   other status + error envelope (2xx too)  unknown, by error_type
 *   TokenException (not 5xx)                 halt as well (429 sets etype RATE, so a
 *                                            TokenException with 429 is a backoff)
 *
 * An error_type never seen is LG_KITE_E_OTHER (definitive on 400/403/404 like the
 * others: Kite refused the request in its own words). A 429 without Kite's envelope
 * (a proxy's page) stays unknown: only Kite's own refusal is taken as "nothing done".
 */
#include "kite_json_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const etype_names[] = {
    [LG_KITE_E_NONE] = "none",
    [LG_KITE_E_TOKEN] = "TokenException",
    [LG_KITE_E_USER] = "UserException",
    [LG_KITE_E_ORDER] = "OrderException",
    [LG_KITE_E_INPUT] = "InputException",
    [LG_KITE_E_MARGIN] = "MarginException",
    [LG_KITE_E_HOLDING] = "HoldingException",
    [LG_KITE_E_NETWORK] = "NetworkException",
    [LG_KITE_E_DATA] = "DataException",
    [LG_KITE_E_GENERAL] = "GeneralException",
    [LG_KITE_E_PERMISSION] = "PermissionException",
    [LG_KITE_E_RATE] = "rate limited",
    [LG_KITE_E_TRANSPORT] = "transport",
    [LG_KITE_E_OTHER] = "other",
};

const char *lg_kite_etype_name(lg_kite_etype_t t) {
    if ((int)t < 0 || (size_t)t >= LG_COUNT(etype_names)) return "?";
    return etype_names[t];
}

/* Kite's error_type into ours: LG_KITE_E_OTHER for one never seen (or none). */
static lg_kite_etype_t etype_parse(const char *s) {
    if (s == NULL) return LG_KITE_E_OTHER;
    for (int t = LG_KITE_E_TOKEN; t <= LG_KITE_E_PERMISSION; t++) {
        if (strcmp(s, etype_names[t]) == 0) return (lg_kite_etype_t)t;
    }
    return LG_KITE_E_OTHER;
}

/* application/json, with or without parameters, in any case. */
static bool content_type_json(const char *ct) {
    static const char want[] = "application/json";
    size_t i = 0;
    while (i < 32 && (ct[i] == ' ' || ct[i] == '\t')) i++;
    if (strncasecmp(ct + i, want, sizeof want - 1) != 0) return false;
    char c = ct[i + sizeof want - 1];
    return c == '\0' || c == ';' || c == ' ' || c == '\t';
}

/* NULL when the body is Kite's envelope (*root, owned by the caller); else why not. */
static const char *kite_body(const char *ct, const char *body, size_t len, json_t **root) {
    if (ct != NULL && ct[0] != '\0' && !content_type_json(ct)) return "content type";
    if (len == 0) return "empty body";
    json_error_t j;
    json_t *r = json_loadb(body, len, 0, &j);
    if (r == NULL) return "not JSON";
    const char *st = json_is_object(r) ? json_string_value(json_object_get(r, "status")) : NULL;
    if (st == NULL ||
        (strcmp(st, "success") != 0 && strcmp(st, "error") != 0)) {
        json_decref(r);
        return "no status envelope";
    }
    *root = r;
    return NULL;
}

static void not_kites(int http, const char *ct, const char *why, lg_kite_answer_t *a) {
    a->etype = LG_KITE_E_TRANSPORT;
    if (strcmp(why, "content type") == 0) {
        snprintf(a->message, sizeof a->message, "HTTP %d: the body was not Kite's JSON (%.40s)",
                 http, ct);
    } else {
        snprintf(a->message, sizeof a->message, "HTTP %d: the body was not Kite's JSON (%s)", http,
                 why);
    }
}

static void error_envelope(int http, json_t *r, lg_kite_answer_t *a) {
    const char *msg = json_string_value(json_object_get(r, "message"));
    a->etype = etype_parse(json_string_value(json_object_get(r, "error_type")));
    if (http >= 500 && http <= 599) { /* Kite's words kept, but the outcome is unknown */
        char text[2 * LG_STATUS_MSG_MAX];
        snprintf(text, sizeof text, "HTTP %d %s: %.*s", http, lg_kite_etype_name(a->etype),
                 LG_STATUS_MSG_MAX, msg != NULL ? msg : "(no message)");
        lg_kj_copy_text(a->message, sizeof a->message, text);
        a->etype = LG_KITE_E_TRANSPORT;
        return;
    }
    lg_kj_copy_text(a->message, sizeof a->message, msg != NULL ? msg : "(no message)");
    if (http == 429) {
        a->etype = LG_KITE_E_RATE;
        a->definitive = true;
        a->backoff = true;
        return;
    }
    a->halt = a->etype == LG_KITE_E_TOKEN;
    bool refused = http == 400 || http == 403 || http == 404;
    a->definitive = refused && a->etype != LG_KITE_E_NETWORK;
}

void lg_kite_classify(int http, const char *content_type, const char *body, size_t len,
                      lg_kite_answer_t *a) {
    LG_ASSERT(a != NULL);
    LG_ASSERT(body != NULL || len == 0);
    memset(a, 0, sizeof *a);
    a->http = http;
    if (http == 0) {
        a->etype = LG_KITE_E_TRANSPORT;
        lg_kj_copy_text(a->message, sizeof a->message, "no answer (timeout or dropped connection)");
        return;
    }
    json_t *r = NULL;
    const char *why = kite_body(content_type, body, len, &r);
    if (why != NULL) {
        not_kites(http, content_type, why, a);
        return;
    }
    LG_ASSERT(r != NULL);
    const char *st = json_string_value(json_object_get(r, "status"));
    if (strcmp(st, "success") == 0) {
        a->ok = http >= 200 && http <= 299;
        if (!a->ok) {
            a->etype = LG_KITE_E_TRANSPORT;
            snprintf(a->message, sizeof a->message, "HTTP %d with status success: outcome unknown",
                     http);
        }
    } else {
        error_envelope(http, r, a);
    }
    json_decref(r);
    LG_ASSERT(!(a->ok && a->definitive) && (!a->backoff || a->definitive));
    LG_ASSERT(!a->halt || a->etype == LG_KITE_E_TOKEN);
}
