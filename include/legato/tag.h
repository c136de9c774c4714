/*
 * tag.h — client tags: the Kite `tag` (at most 20 alphanumerics) that every order
 * carries, encoding group, leg, child, purpose and attempt, so that the broker's
 * order book alone tells which group every order belongs to.
 *
 * Format (fixed width, base 36, upper case): "L" group(7) leg(1) child(2) purpose(1)
 * attempt(2) = 14 characters; any uint32 group id fits. Decoding rejects anything
 * that is not exactly that.
 */
#ifndef LEGATO_TAG_H
#define LEGATO_TAG_H

#include "legato/base.h"

#define LG_TAG_MAX 20
#define LG_TAG_LEN 14
#define LG_TAG_LEG_MAX 35u
#define LG_TAG_CHILD_MAX 1295u
#define LG_TAG_ATTEMPT_MAX 1295u

typedef enum lg_purpose {
    LG_PURPOSE_ENTRY = 'E',     /* opening a group's leg */
    LG_PURPOSE_EMERGENCY = 'H', /* reversing fills of a failed group */
    LG_PURPOSE_EXIT = 'X',      /* closing a live group */
    LG_PURPOSE_STOP = 'S',      /* stop-loss exit */
    LG_PURPOSE_DELTA = 'D',     /* delta hedge with futures */
} lg_purpose_t;

typedef struct lg_tag {
    uint32_t group;
    uint8_t leg;
    uint16_t child;
    uint8_t purpose; /* an lg_purpose_t */
    uint16_t attempt;
} lg_tag_t;

/* Writes LG_TAG_LEN characters plus NUL into out (cap >= LG_TAG_MAX + 1). */
int lg_tag_encode(const lg_tag_t *t, char *out, size_t cap);
/* LG_ETAG when s is not a legato tag. */
int lg_tag_decode(const char *s, lg_tag_t *t);
bool lg_purpose_valid(int p);

#endif
