/*
 * base.h — the few things every legato module shares: integer units for money,
 * quantity and time, the always-on assertion, and the one table of error codes.
 *
 * Money is int64 paise, quantity int64 units (not lots), time int64 nanoseconds
 * handed in by the shell. Errors are negative ints; lg_strerror names them.
 */
#ifndef LEGATO_BASE_H
#define LEGATO_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t lg_paise_t; /* money: 1 rupee = 100 paise */
typedef int64_t lg_qty_t;   /* quantity in units (contracts), never lots */
typedef int64_t lg_ns_t;    /* time in nanoseconds */

#define LG_NS_PER_US 1000LL
#define LG_NS_PER_MS 1000000LL
#define LG_NS_PER_S 1000000000LL

/* Assertions are always on: a broken invariant stops the program, it is never
 * compiled away. Pair them across boundaries (assert before writing, again after
 * reading back). */
_Noreturn void lg_assert_fail(const char *expr, const char *file, int line);
#define LG_ASSERT(e) ((e) ? (void)0 : lg_assert_fail(#e, __FILE__, __LINE__))

/* The one error table: X(name, value, text). */
#define LG_ERRORS(X)                                                          \
    X(LG_OK, 0, "ok")                                                         \
    X(LG_EINVAL, -1, "invalid argument")                                      \
    X(LG_EPOOL_FULL, -2, "pool full")                                         \
    X(LG_EUNKNOWN_ORDER, -3, "unknown order")                                 \
    X(LG_EOVERFILL, -4, "fill beyond order quantity")                         \
    X(LG_EPRICE, -5, "negative or invalid price")                             \
    X(LG_ETICK, -6, "price not on the instrument's tick")                     \
    X(LG_ESTATUS, -7, "unknown order status")                                 \
    X(LG_EINSTRUMENT, -8, "instrument missing from the master")               \
    X(LG_ETAG, -9, "client tag invalid")                                      \
    X(LG_EPARSE, -10, "malformed input")                                      \
    X(LG_ESTATE, -11, "not allowed in the current state")                     \
    X(LG_EHALTED, -12, "trading halted: no new risk")                         \
    X(LG_EQTY, -13, "quantity invalid (zero, negative or not whole lots)")    \
    X(LG_EUNKNOWN_GROUP, -14, "unknown group")                                \
    X(LG_ESPEC, -15, "group specification invalid")                           \
    X(LG_EIO, -16, "input/output error")                                      \
    X(LG_ENOSPACE, -17, "no space")                                           \
    X(LG_EMISMATCH, -18, "broker state disagrees with engine state")          \
    X(LG_ERANGE, -19, "value out of range")                                  \
    X(LG_ESTOPPED, -20, "stopped at a simulated crash point")                 \
    X(LG_ELIMIT, -21, "a risk limit would be exceeded")                       \
    X(LG_EMARGIN, -22, "margin insufficient")                                 \
    X(LG_ENODATA, -23, "market data missing (price or implied volatility)")  \
    X(LG_EAUTH, -24, "not authorized")                                        \
    X(LG_ERATE, -25, "too many requests")                                     \
    X(LG_ETOOBIG, -26, "input too large")                                     \
    X(LG_ENOMEM, -27, "out of memory")

typedef enum lg_err {
#define LG_ERR_ENUM(name, value, text) name = value,
    LG_ERRORS(LG_ERR_ENUM)
#undef LG_ERR_ENUM
} lg_err_t;

/* Text for an error code; never NULL ("unrecognised error" for others). */
const char *lg_strerror(int err);

/* Name of an error code ("LG_EOVERFILL"); never NULL. */
const char *lg_errname(int err);

#define LG_MIN(a, b) ((a) < (b) ? (a) : (b))
#define LG_MAX(a, b) ((a) > (b) ? (a) : (b))
#define LG_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Bounded string copy that always terminates; returns LG_ERANGE if truncated. */
int lg_strlcpy(char *dst, const char *src, size_t cap);
/* Formats an error message into err (cap bytes; err may be NULL) and returns rc, so
 * that a refusal reads `return lg_errf(err, cap, LG_EINVAL, "field %s ...", name);`. */
int lg_errf(char *err, size_t cap, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
