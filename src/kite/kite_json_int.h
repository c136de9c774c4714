/*
 * kite_json_int.h — private to src/kite: the helpers the Kite JSON decoders share
 * (kite_json.c): loading a body with jansson, the {"status":"success","data":...}
 * envelope, and typed field getters that name the field's path on an error
 * ("data[3].filled_quantity: expected an integer, got a string").
 *
 * Paths: a getter is given the path of the object it reads ("" for the top, "data",
 * "data[3]") and a key; the message names path.key. Getters write their output only
 * on success.
 */
#ifndef LEGATO_KITE_JSON_INT_H
#define LEGATO_KITE_JSON_INT_H

#include <jansson.h>

#include "legato/kite.h"

/* Bounds on what the broker can mean: far inside int64 and inside the 2^53 over which
 * a double holds every integer, so that rupees * 100 rounds to the right paise. */
#define LG_KJ_RUPEES_MAX 1e12          /* |money| in rupees: 10^14 paise */
#define LG_KJ_QTY_MAX 1000000000LL     /* |quantity| in units */
#define LG_KJ_PATH_MAX 64

/* Where an error message goes: cap 0 means nowhere. */
typedef struct lg_kj_err {
    char *s;
    size_t cap;
} lg_kj_err_t;

lg_kj_err_t lg_kj_err_make(char *err, size_t errcap);
/* Formats the message (when there is room for one) and returns rc. */
int lg_kj_fail(lg_kj_err_t *e, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Copies text, cutting at a UTF-8 character boundary when it does not fit. */
void lg_kj_copy_text(char *dst, size_t cap, const char *src);
/* "a string", "an array", ... for messages. */
const char *lg_kj_type_name(const json_t *v);
/* prefix.key (or key when prefix is ""); prefix[i]. Cut to cap, always terminated. */
void lg_kj_path_key(char *out, size_t cap, const char *prefix, const char *key);
void lg_kj_path_index(char *out, size_t cap, const char *prefix, size_t i);

/* Parses body into an object (*root, owned by the caller: json_decref). LG_EPARSE when
 * it is not JSON or not an object, LG_ERANGE for a number jansson cannot hold. */
int lg_kj_load(const char *body, size_t len, json_t **root, lg_kj_err_t *e);
/* lg_kj_load, then status "success" and a non-null "data" (*data borrowed from *root).
 * On an error nothing is left to free. */
int lg_kj_envelope(const char *body, size_t len, json_t **root, json_t **data, lg_kj_err_t *e);

/* Member key of obj: required (missing or null is an error) and of the given kind. */
int lg_kj_object(json_t *obj, const char *path, const char *key, json_t **out, lg_kj_err_t *e);
int lg_kj_array(json_t *obj, const char *path, const char *key, json_t **out, lg_kj_err_t *e);
int lg_kj_bool(json_t *obj, const char *path, const char *key, bool *out, lg_kj_err_t *e);
/* A JSON integer (a real such as 75.0 is refused) within [lo, hi] (else LG_ERANGE). */
int lg_kj_int(json_t *obj, const char *path, const char *key, int64_t lo, int64_t hi,
              int64_t *out, lg_kj_err_t *e);
/* Rupees (a JSON integer or real) into paise. optional: absent or null is 0. */
int lg_kj_money(json_t *obj, const char *path, const char *key, bool optional, lg_paise_t *out,
                lg_kj_err_t *e);

typedef enum lg_kj_str_mode {
    LG_KJ_STR_ID,       /* required, non-empty, must fit cap (else LG_EPARSE) */
    LG_KJ_STR_NULL_OK,  /* absent or null is "", else must fit cap */
    LG_KJ_STR_TEXT,     /* absent or null is "", cut to cap (messages) */
} lg_kj_str_mode_t;
int lg_kj_string(json_t *obj, const char *path, const char *key, lg_kj_str_mode_t mode,
                 char *out, size_t cap, lg_kj_err_t *e);
/* A required string that must be one of names[0..n): *out is its index. */
int lg_kj_enum(json_t *obj, const char *path, const char *key, const char *const *names,
               int n, int *out, lg_kj_err_t *e);

/* Decodes every element of arr (an array at path) with fn: first each into tmp (one
 * element of size bytes) to validate them all, then, only when all passed, into out[0..).
 * fn must write its output only on success and be deterministic. LG_ENOSPACE when there
 * are more than cap elements. *n is written on success. */
typedef int (*lg_kj_elem_fn)(json_t *v, const char *path, void *out, lg_kj_err_t *e);
int lg_kj_array_decode(json_t *arr, const char *path, lg_kj_elem_fn fn, void *out, size_t size,
                       void *tmp, uint32_t cap, uint32_t *n, lg_kj_err_t *e);

#endif
