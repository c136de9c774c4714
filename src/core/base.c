/*
 * base.c — the assertion handler, the error table's strings and a bounded string
 * copy. The only core file that writes anywhere: a failed assertion prints one line
 * to stderr and aborts.
 */
#include "legato/base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void lg_assert_fail(const char *expr, const char *file, int line) {
    fprintf(stderr, "legato: assertion failed: %s (%s:%d)\n", expr, file, line);
    fflush(stderr);
    abort();
}

const char *lg_strerror(int err) {
    switch (err) {
#define LG_ERR_TEXT(name, value, text) \
    case value:                        \
        return text;
        LG_ERRORS(LG_ERR_TEXT)
#undef LG_ERR_TEXT
    default:
        return "unrecognised error";
    }
}

const char *lg_errname(int err) {
    switch (err) {
#define LG_ERR_NAME(name, value, text) \
    case value:                        \
        return #name;
        LG_ERRORS(LG_ERR_NAME)
#undef LG_ERR_NAME
    default:
        return "LG_E?";
    }
}

int lg_errf(char *err, size_t cap, int rc, const char *fmt, ...) {
    if (err == NULL || cap == 0) return rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return rc;
}

int lg_strlcpy(char *dst, const char *src, size_t cap) {
    LG_ASSERT(dst != NULL && src != NULL && cap > 0);
    size_t n = strnlen(src, cap);
    if (n == cap) {
        memcpy(dst, src, cap - 1);
        dst[cap - 1] = '\0';
        return LG_ERANGE;
    }
    memcpy(dst, src, n + 1);
    return LG_OK;
}
