/*
 * wire_answer.c — an HTTP/1.1 answer read incrementally (wire_answer.h): the head into
 * a bounded buffer, then the body by Content-Length, by chunks or up to the close.
 */
#include "legato/wire_answer.h"

#include <string.h>
#include <strings.h>

#define LEN_MAX (1ull << 40)

void lg_wa_reset(lg_wa_t *a) {
    LG_ASSERT(a != NULL);
    a->state = LG_WA_HEAD;
    a->status = 0;
    a->close = a->chunked = false;
    a->left = 0;
    a->ctype[0] = '\0';
    a->error = NULL;
    a->head_len = a->line_len = 0;
}

static size_t fail(lg_wa_t *a, const char *why, size_t used) {
    a->state = LG_WA_ERROR;
    a->error = why;
    return used;
}

/* A decimal (hex when base 16) number filling [b, e); false when empty, bad or too big. */
static bool number(const char *b, const char *e, int base, uint64_t *out) {
    uint64_t v = 0;
    if (b == e) return false;
    for (const char *c = b; c < e; c++) {
        int d;
        if (*c >= '0' && *c <= '9') d = *c - '0';
        else if (base == 16 && *c >= 'a' && *c <= 'f') d = *c - 'a' + 10;
        else if (base == 16 && *c >= 'A' && *c <= 'F') d = *c - 'A' + 10;
        else return false;
        v = v * (uint64_t)base + (uint64_t)d;
        if (v > LEN_MAX) return false;
    }
    *out = v;
    return true;
}

static const char *trim(const char *b, const char **e) {
    while (b < *e && (*b == ' ' || *b == '\t')) b++;
    while (*e > b && ((*e)[-1] == ' ' || (*e)[-1] == '\t')) (*e)--;
    return b;
}

static bool has_token(const char *b, const char *e, const char *tok) {
    size_t n = strlen(tok);
    for (const char *c = b; c + n <= e; c++)
        if (strncasecmp(c, tok, n) == 0) return true;
    return false;
}

/* One header line [b, e) (no CRLF). NULL, or what is wrong with it. */
static const char *header(lg_wa_t *a, const char *b, const char *e, bool *have_len) {
    const char *colon = memchr(b, ':', (size_t)(e - b));
    if (colon == NULL || colon == b) return "a header line without a name";
    size_t nl = (size_t)(colon - b);
    const char *ve = e, *v = trim(colon + 1, &ve);
    if (nl == 14 && strncasecmp(b, "Content-Length", 14) == 0) {
        uint64_t len;
        if (!number(v, ve, 10, &len)) return "Content-Length is not a length";
        if (*have_len && len != a->left) return "two different Content-Lengths";
        a->left = len;
        *have_len = true;
    } else if (nl == 17 && strncasecmp(b, "Transfer-Encoding", 17) == 0) {
        if (!has_token(v, ve, "chunked")) return "a transfer coding other than chunked";
        a->chunked = true;
    } else if (nl == 10 && strncasecmp(b, "Connection", 10) == 0) {
        if (has_token(v, ve, "close")) a->close = true;
        else if (has_token(v, ve, "keep-alive")) a->close = false;
    } else if (nl == 12 && strncasecmp(b, "Content-Type", 12) == 0) {
        size_t n = LG_MIN((size_t)(ve - v), sizeof a->ctype - 1);
        memcpy(a->ctype, v, n);
        a->ctype[n] = '\0';
    }
    return NULL;
}

/* The whole head is in a->head (head_len bytes, ending in CRLF CRLF). */
static void parse_head(lg_wa_t *a) {
    const char *h = a->head, *end = a->head + a->head_len - 2; /* the last CRLF */
    const char *eol = memchr(h, '\r', (size_t)(end - h));
    if (eol == NULL || eol - h < 12 || memcmp(h, "HTTP/1.", 7) != 0 || h[8] != ' ') {
        fail(a, "not an HTTP/1.x answer", 0);
        return;
    }
    uint64_t st;
    if (!number(h + 9, h + 12, 10, &st) || st < 100 || st > 599 || (eol > h + 12 && h[12] != ' ')) {
        fail(a, "a bad status code", 0);
        return;
    }
    a->status = (int)st;
    a->close = h[7] == '0';   /* HTTP/1.0 closes unless it says keep-alive */
    a->left = 0;
    a->chunked = false;
    a->ctype[0] = '\0';
    bool have_len = false;
    for (const char *b = eol + 2; b < end;) {  /* bounded: b advances a line each time */
        const char *e = memchr(b, '\r', (size_t)(end - b));
        if (e == NULL || e[1] != '\n') {
            fail(a, "a header line not ended by CRLF", 0);
            return;
        }
        const char *why = header(a, b, e, &have_len);
        if (why != NULL) {
            fail(a, why, 0);
            return;
        }
        b = e + 2;
    }
    a->head_len = 0;
    if (a->status < 200) a->state = LG_WA_HEAD;             /* 1xx: the real head follows */
    else if (a->status == 204 || a->status == 304) a->state = LG_WA_DONE;
    else if (a->chunked) a->state = LG_WA_CHUNK_SIZE;
    else if (have_len) a->state = a->left == 0 ? LG_WA_DONE : LG_WA_BODY;
    else {
        a->state = LG_WA_TO_CLOSE;
        a->close = true;
    }
}

/* Head bytes up to and including CRLF CRLF; returns what it used. */
static size_t feed_head(lg_wa_t *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (a->head_len == LG_WA_HEAD_MAX) return fail(a, "an answer head over 8 KB", i);
        a->head[a->head_len++] = b[i];
        if (a->head_len >= 4 && b[i] == '\n' && memcmp(a->head + a->head_len - 4, "\r\n\r\n", 4) == 0) {
            parse_head(a);
            return i + 1;
        }
    }
    return n;
}

/* A CRLF-ended line into a->line; true once whole (a->line_len excludes the CRLF). */
static bool feed_line(lg_wa_t *a, char c, const char *what) {
    if (a->line_len == sizeof a->line) {
        fail(a, what, 0);
        return false;
    }
    a->line[a->line_len++] = c;
    if (c != '\n') return false;
    if (a->line_len < 2 || a->line[a->line_len - 2] != '\r') {
        fail(a, what, 0);
        return false;
    }
    a->line_len -= 2;
    return true;
}

static void chunk_size(lg_wa_t *a) {
    const char *e = a->line + a->line_len, *semi = memchr(a->line, ';', a->line_len);
    if (semi != NULL) e = semi;
    const char *b = trim(a->line, &e);
    a->line_len = 0;
    if (!number(b, e, 16, &a->left)) {
        fail(a, "a bad chunk size", 0);
        return;
    }
    a->state = a->left == 0 ? LG_WA_TRAILER : LG_WA_CHUNK_DATA;
}

static size_t body(lg_wa_t *a, const char *b, size_t n, lg_wa_sink_fn sink, void *ud) {
    size_t take = a->state == LG_WA_TO_CLOSE ? n : (size_t)LG_MIN((uint64_t)n, a->left);
    const char *why = "the answer's body was refused";
    if (take > 0 && !sink(ud, b, take, &why)) return fail(a, why, take);
    if (a->state == LG_WA_TO_CLOSE) return take;
    a->left -= take;
    if (a->left == 0) a->state = a->state == LG_WA_BODY ? LG_WA_DONE : LG_WA_CHUNK_END;
    return take;
}

size_t lg_wa_feed(lg_wa_t *a, const char *b, size_t n, lg_wa_sink_fn sink, void *ud) {
    LG_ASSERT(a != NULL && (b != NULL || n == 0) && sink != NULL);
    size_t used = 0;
    /* Bounded: every pass consumes at least one byte or reaches DONE or ERROR. */
    while (used < n && a->state != LG_WA_DONE && a->state != LG_WA_ERROR) {
        size_t k = 1;
        switch (a->state) {
        case LG_WA_HEAD: k = feed_head(a, b + used, n - used); break;
        case LG_WA_BODY:
        case LG_WA_CHUNK_DATA:
        case LG_WA_TO_CLOSE: k = body(a, b + used, n - used, sink, ud); break;
        case LG_WA_CHUNK_SIZE:
            if (feed_line(a, b[used], "a bad chunk-size line")) chunk_size(a);
            break;
        case LG_WA_CHUNK_END:
            if (feed_line(a, b[used], "chunk data not ended by CRLF")) {
                if (a->line_len != 0) fail(a, "chunk data longer than its size", 0);
                else a->state = LG_WA_CHUNK_SIZE;
                a->line_len = 0;
            }
            break;
        case LG_WA_TRAILER:
            if (feed_line(a, b[used], "a bad trailer line")) {
                if (a->line_len == 0) a->state = LG_WA_DONE;
                a->line_len = 0;
            }
            break;
        default: LG_ASSERT(0);
        }
        LG_ASSERT(k >= 1 || a->state == LG_WA_DONE || a->state == LG_WA_ERROR);
        used += k;
    }
    LG_ASSERT(used <= n);
    return used;
}

void lg_wa_eof(lg_wa_t *a) {
    LG_ASSERT(a != NULL);
    if (a->state == LG_WA_TO_CLOSE) a->state = LG_WA_DONE;
    else if (a->state != LG_WA_DONE && a->state != LG_WA_ERROR)
        fail(a, a->state == LG_WA_HEAD && a->head_len == 0 ? "closed before answering"
                                                          : "closed in the middle of the answer", 0);
}
