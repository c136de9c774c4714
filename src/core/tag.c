/*
 * tag.c — client tags: encode an order's identity (group, leg, child, purpose,
 * attempt) into the Kite `tag` it carries, and decode a tag read back from the
 * broker's order book.
 *
 * Layout, 14 characters, base 36 digits 0-9 A-Z, upper case only, fixed width:
 *
 *     offset 0      'L'
 *            1..7   group    (7 digits: 36^7 > 2^32, so any uint32 fits)
 *            8      leg      (1 digit: 0..35)
 *            9..10  child    (2 digits: 0..1295)
 *            11     purpose  (one of E H X S D)
 *            12..13 attempt  (2 digits: 0..1295)
 *
 * Encoding asserts its ranges (a bad identity is a bug in the engine). Decoding
 * returns LG_ETAG for anything that is not exactly this shape (wrong length, prefix,
 * character, lower case, group beyond uint32, unknown purpose) and writes nothing
 * on error. Pure: no I/O, no allocation.
 */
#include "legato/tag.h"

#include <string.h>

#define TAG_GROUP_AT 1
#define TAG_GROUP_W 7
#define TAG_LEG_AT 8
#define TAG_CHILD_AT 9
#define TAG_PURPOSE_AT 11
#define TAG_ATTEMPT_AT 12
#define TAG_W2 2

static const char tag_digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

bool lg_purpose_valid(int p) {
    return p == LG_PURPOSE_ENTRY || p == LG_PURPOSE_EMERGENCY || p == LG_PURPOSE_EXIT ||
           p == LG_PURPOSE_STOP || p == LG_PURPOSE_DELTA;
}

/* Writes v as exactly w base-36 digits, most significant first. */
static void tag_put(char *out, uint64_t v, int w) {
    LG_ASSERT(w >= 1 && w <= TAG_GROUP_W);
    for (int i = w - 1; i >= 0; i--) {
        out[i] = tag_digits[v % 36u];
        v /= 36u;
    }
    LG_ASSERT(v == 0); /* the value fitted the width */
}

/* Value of one upper-case base-36 digit, or -1. */
static int tag_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return -1;
}

/* Reads w digits; false on any character that is not an upper-case digit. */
static bool tag_get(const char *s, int w, uint64_t *v) {
    LG_ASSERT(w >= 1 && w <= TAG_GROUP_W);
    uint64_t acc = 0;
    for (int i = 0; i < w; i++) {
        int d = tag_digit(s[i]);
        if (d < 0) return false;
        acc = acc * 36u + (uint64_t)d;
    }
    *v = acc;
    return true;
}

int lg_tag_encode(const lg_tag_t *t, char *out, size_t cap) {
    LG_ASSERT(t != NULL && out != NULL);
    LG_ASSERT(cap >= LG_TAG_MAX + 1);
    LG_ASSERT(t->leg <= LG_TAG_LEG_MAX);
    LG_ASSERT(t->child <= LG_TAG_CHILD_MAX);
    LG_ASSERT(t->attempt <= LG_TAG_ATTEMPT_MAX);
    LG_ASSERT(lg_purpose_valid(t->purpose));
    out[0] = 'L';
    tag_put(out + TAG_GROUP_AT, t->group, TAG_GROUP_W);
    tag_put(out + TAG_LEG_AT, t->leg, 1);
    tag_put(out + TAG_CHILD_AT, t->child, TAG_W2);
    out[TAG_PURPOSE_AT] = (char)t->purpose;
    tag_put(out + TAG_ATTEMPT_AT, t->attempt, TAG_W2);
    out[LG_TAG_LEN] = '\0';
    LG_ASSERT(strlen(out) == LG_TAG_LEN);
    return LG_OK;
}

int lg_tag_decode(const char *s, lg_tag_t *t) {
    LG_ASSERT(s != NULL && t != NULL);
    if (strnlen(s, LG_TAG_LEN + 1) != LG_TAG_LEN || s[0] != 'L') return LG_ETAG;
    uint64_t group, leg, child, attempt;
    if (!tag_get(s + TAG_GROUP_AT, TAG_GROUP_W, &group) || group > UINT32_MAX) return LG_ETAG;
    if (!tag_get(s + TAG_LEG_AT, 1, &leg) || !tag_get(s + TAG_CHILD_AT, TAG_W2, &child) ||
        !tag_get(s + TAG_ATTEMPT_AT, TAG_W2, &attempt)) {
        return LG_ETAG;
    }
    int purpose = (unsigned char)s[TAG_PURPOSE_AT];
    if (!lg_purpose_valid(purpose)) return LG_ETAG;
    /* One base-36 digit and two base-36 digits cannot exceed the maxima. */
    LG_ASSERT(leg <= LG_TAG_LEG_MAX && child <= LG_TAG_CHILD_MAX);
    LG_ASSERT(attempt <= LG_TAG_ATTEMPT_MAX);
    t->group = (uint32_t)group;
    t->leg = (uint8_t)leg;
    t->child = (uint16_t)child;
    t->purpose = (uint8_t)purpose;
    t->attempt = (uint16_t)attempt;
    return LG_OK;
}
