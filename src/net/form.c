/*
 * form.c — decoding of application/x-www-form-urlencoded text (request bodies and
 * query strings), header look-up and HTTP reason phrases.
 */
#include "net_int.h"

#include <string.h>
#include <strings.h>

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

int lg_form_parse(const char *s, size_t len, char *buf, size_t bufcap, const char **names,
                  const char **values, uint32_t cap, uint32_t *n) {
    LG_ASSERT(s != NULL || len == 0);
    LG_ASSERT(buf != NULL && bufcap > 0 && names != NULL && values != NULL && n != NULL);
    uint32_t k = 0;
    size_t w = 0, i = 0;
    while (i < len) {
        if (s[i] == '&') { i++; continue; } /* empty pair */
        if (k == cap) return LG_ENOSPACE;
        names[k] = buf + w;
        values[k] = NULL;
        for (; i < len && s[i] != '&'; i++) {
            if (w + 2 > bufcap) return LG_ENOSPACE;
            char ch = s[i];
            if (ch == '=' && values[k] == NULL) {
                buf[w++] = '\0';
                values[k] = buf + w;
                continue;
            }
            if (ch == '+') ch = ' ';
            else if (ch == '%') {
                int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
                int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
                if (hi < 0 || lo < 0) return LG_EPARSE;
                ch = (char)(hi * 16 + lo);
                i += 2;
            }
            buf[w++] = ch;
        }
        if (w + 2 > bufcap) return LG_ENOSPACE;
        buf[w++] = '\0';
        if (values[k] == NULL) { /* "name" alone: an empty value */
            values[k] = buf + w - 1;
        }
        k++;
    }
    *n = k;
    return LG_OK;
}

const char *lg_form_get(const char *const *names, const char *const *values, uint32_t n,
                        const char *name) {
    LG_ASSERT(name != NULL);
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return values[i];
    return NULL;
}

const char *lg_http_header(const lg_http_req_t *r, const char *name) {
    LG_ASSERT(r != NULL && name != NULL);
    for (uint32_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0) return r->headers[i].value;
    return NULL;
}

const char *lg_http_reason(int status) {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}
