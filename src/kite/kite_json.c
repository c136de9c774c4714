/*
 * kite_json.c — the helpers every Kite JSON decoder uses (kite_json_int.h): jansson
 * loading with its errors turned into ours, the success envelope, typed getters that
 * name the field's path, money into paise, and two-pass array decoding (validate every
 * element, then write), so that a refused answer leaves the caller's outputs untouched.
 *
 * jansson is called with flags 0: integers stay integers (a quantity of 75.0 is a type
 * error), duplicate keys keep the last value, a NUL inside a string is refused. A number
 * jansson cannot hold (1e400, an integer beyond int64) fails the whole load; it is
 * reported as LG_ERANGE naming the key written just before it when there is one.
 */
#include "kite_json_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SCAN_BACK_MAX 512 /* bytes looked at behind an overflowing number for its key */

lg_kj_err_t lg_kj_err_make(char *err, size_t errcap) {
    LG_ASSERT(err != NULL || errcap == 0);
    if (errcap > 0) err[0] = '\0';
    lg_kj_err_t e = {err, errcap};
    return e;
}

int lg_kj_fail(lg_kj_err_t *e, int rc, const char *fmt, ...) {
    LG_ASSERT(e != NULL && fmt != NULL && rc < 0);
    if (e->cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->s, e->cap, fmt, ap);
        va_end(ap);
    }
    return rc;
}

void lg_kj_copy_text(char *dst, size_t cap, const char *src) {
    LG_ASSERT(dst != NULL && src != NULL && cap > 0);
    size_t n = strnlen(src, cap);
    if (n == cap) {
        n = cap - 1;
        /* src[n] is the first byte left out: if it continues a character (10xxxxxx),
         * cut before that character's lead byte (at most 3 back; else not UTF-8: keep) */
        size_t k = n;
        for (int step = 0; step < 3 && k > 0 && ((unsigned char)src[k] & 0xC0u) == 0x80u; step++) {
            k--;
        }
        if (((unsigned char)src[k] & 0xC0u) != 0x80u) n = k;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

const char *lg_kj_type_name(const json_t *v) {
    if (v == NULL) return "nothing";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

void lg_kj_path_key(char *out, size_t cap, const char *prefix, const char *key) {
    LG_ASSERT(out != NULL && cap > 0 && prefix != NULL && key != NULL);
    snprintf(out, cap, "%s%s%s", prefix, prefix[0] != '\0' ? "." : "", key);
}

void lg_kj_path_index(char *out, size_t cap, const char *prefix, size_t i) {
    LG_ASSERT(out != NULL && cap > 0 && prefix != NULL);
    snprintf(out, cap, "%s[%zu]", prefix, i);
}

/* ---- loading ---------------------------------------------------------------------- */

static bool number_char(char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static bool space_char(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The key of "key": <number> when the number ends at pos; false when there is none. */
static bool key_before(const char *body, size_t pos, char *key, size_t cap) {
    LG_ASSERT(body != NULL && key != NULL && cap > 1);
    size_t lo = pos > SCAN_BACK_MAX ? pos - SCAN_BACK_MAX : 0;
    size_t i = pos;
    while (i > lo && number_char(body[i - 1])) i--;
    while (i > lo && space_char(body[i - 1])) i--;
    if (i == lo || body[i - 1] != ':') return false;
    i--;
    while (i > lo && space_char(body[i - 1])) i--;
    if (i == lo || body[i - 1] != '"') return false;
    size_t end = --i;
    while (i > lo && body[i - 1] != '"') {
        unsigned char c = (unsigned char)body[i - 1];
        if (c == '\\' || c < 0x20 || end - i + 1 >= cap) return false;
        i--;
    }
    if (i == lo) return false;
    memcpy(key, body + i, end - i);
    key[end - i] = '\0';
    return end > i;
}

static int load_error(const char *body, size_t len, const json_error_t *j, lg_kj_err_t *e) {
    if (json_error_code(j) != json_error_numeric_overflow) {
        return lg_kj_fail(e, LG_EPARSE, "not JSON: %s (line %d, column %d)", j->text, j->line,
                          j->column);
    }
    char key[LG_KJ_PATH_MAX];
    size_t pos = j->position > 0 ? LG_MIN((size_t)j->position, len) : 0;
    if (key_before(body, pos, key, sizeof key)) {
        return lg_kj_fail(e, LG_ERANGE, "%s: number out of range (line %d, column %d)", key,
                          j->line, j->column);
    }
    return lg_kj_fail(e, LG_ERANGE, "number out of range (line %d, column %d)", j->line,
                      j->column);
}

int lg_kj_load(const char *body, size_t len, json_t **root, lg_kj_err_t *e) {
    LG_ASSERT(root != NULL && e != NULL);
    LG_ASSERT(body != NULL || len == 0);
    if (len == 0) return lg_kj_fail(e, LG_EPARSE, "not JSON: the body is empty");
    json_error_t j;
    json_t *r = json_loadb(body, len, 0, &j);
    if (r == NULL) return load_error(body, len, &j, e);
    if (!json_is_object(r)) {
        int rc = lg_kj_fail(e, LG_EPARSE, "body: expected an object, got %s", lg_kj_type_name(r));
        json_decref(r);
        return rc;
    }
    *root = r;
    return LG_OK;
}

static int envelope_check(json_t *r, json_t **data, lg_kj_err_t *e) {
    json_t *st = json_object_get(r, "status");
    if (!json_is_string(st)) {
        return lg_kj_fail(e, LG_EPARSE, "status: expected a string, got %s", lg_kj_type_name(st));
    }
    if (strcmp(json_string_value(st), "success") != 0) {
        const char *et = json_string_value(json_object_get(r, "error_type"));
        const char *msg = json_string_value(json_object_get(r, "message"));
        return lg_kj_fail(e, LG_EPARSE, "status: \"%.16s\", not \"success\" (%.32s: %.80s)",
                          json_string_value(st), et != NULL ? et : "no error_type",
                          msg != NULL ? msg : "no message");
    }
    json_t *d = json_object_get(r, "data");
    if (d == NULL) return lg_kj_fail(e, LG_EPARSE, "data: missing");
    if (json_is_null(d)) return lg_kj_fail(e, LG_EPARSE, "data: expected a value, got null");
    *data = d;
    return LG_OK;
}

int lg_kj_envelope(const char *body, size_t len, json_t **root, json_t **data, lg_kj_err_t *e) {
    LG_ASSERT(root != NULL && data != NULL && e != NULL);
    json_t *r = NULL;
    int rc = lg_kj_load(body, len, &r, e);
    if (rc != LG_OK) return rc;
    json_t *d = NULL;
    rc = envelope_check(r, &d, e);
    if (rc != LG_OK) {
        json_decref(r);
        return rc;
    }
    *root = r;
    *data = d;
    return LG_OK;
}

/* ---- getters ---------------------------------------------------------------------- */

static int bad_type(lg_kj_err_t *e, const char *path, const char *key, const char *want,
                    const json_t *v) {
    char p[LG_KJ_PATH_MAX];
    lg_kj_path_key(p, sizeof p, path, key);
    if (v == NULL) return lg_kj_fail(e, LG_EPARSE, "%s: missing", p);
    return lg_kj_fail(e, LG_EPARSE, "%s: expected %s, got %s", p, want, lg_kj_type_name(v));
}

static json_t *member(json_t *obj, const char *path, const char *key) {
    LG_ASSERT(json_is_object(obj) && path != NULL && key != NULL);
    return json_object_get(obj, key);
}

int lg_kj_object(json_t *obj, const char *path, const char *key, json_t **out, lg_kj_err_t *e) {
    LG_ASSERT(out != NULL && e != NULL);
    json_t *v = member(obj, path, key);
    if (!json_is_object(v)) return bad_type(e, path, key, "an object", v);
    *out = v;
    return LG_OK;
}

int lg_kj_array(json_t *obj, const char *path, const char *key, json_t **out, lg_kj_err_t *e) {
    LG_ASSERT(out != NULL && e != NULL);
    json_t *v = member(obj, path, key);
    if (!json_is_array(v)) return bad_type(e, path, key, "an array", v);
    *out = v;
    return LG_OK;
}

int lg_kj_bool(json_t *obj, const char *path, const char *key, bool *out, lg_kj_err_t *e) {
    LG_ASSERT(out != NULL && e != NULL);
    json_t *v = member(obj, path, key);
    if (!json_is_boolean(v)) return bad_type(e, path, key, "a boolean", v);
    *out = json_is_true(v);
    return LG_OK;
}

int lg_kj_int(json_t *obj, const char *path, const char *key, int64_t lo, int64_t hi,
              int64_t *out, lg_kj_err_t *e) {
    LG_ASSERT(out != NULL && e != NULL && lo <= hi);
    json_t *v = member(obj, path, key);
    if (!json_is_integer(v)) return bad_type(e, path, key, "an integer", v);
    int64_t x = (int64_t)json_integer_value(v);
    if (x < lo || x > hi) {
        char p[LG_KJ_PATH_MAX];
        lg_kj_path_key(p, sizeof p, path, key);
        return lg_kj_fail(e, LG_ERANGE, "%s: %lld out of range [%lld, %lld]", p, (long long)x,
                          (long long)lo, (long long)hi);
    }
    *out = x;
    return LG_OK;
}

int lg_kj_money(json_t *obj, const char *path, const char *key, bool optional, lg_paise_t *out,
                lg_kj_err_t *e) {
    LG_ASSERT(out != NULL && e != NULL);
    json_t *v = member(obj, path, key);
    if (optional && (v == NULL || json_is_null(v))) {
        *out = 0;
        return LG_OK;
    }
    if (!json_is_number(v)) return bad_type(e, path, key, "a number", v);
    double x = json_number_value(v); /* an integer below 10^12 converts exactly */
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < -(json_int_t)LG_KJ_RUPEES_MAX || i > (json_int_t)LG_KJ_RUPEES_MAX) x = INFINITY;
    }
    if (!isfinite(x) || fabs(x) > LG_KJ_RUPEES_MAX) {
        char p[LG_KJ_PATH_MAX];
        lg_kj_path_key(p, sizeof p, path, key);
        return lg_kj_fail(e, LG_ERANGE, "%s: %g rupees out of range (at most %g)", p,
                          json_number_value(v), LG_KJ_RUPEES_MAX);
    }
    *out = (lg_paise_t)llround(x * 100.0);
    return LG_OK;
}

int lg_kj_string(json_t *obj, const char *path, const char *key, lg_kj_str_mode_t mode,
                 char *out, size_t cap, lg_kj_err_t *e) {
    LG_ASSERT(out != NULL && cap > 0 && e != NULL);
    json_t *v = member(obj, path, key);
    if (mode != LG_KJ_STR_ID && (v == NULL || json_is_null(v))) {
        out[0] = '\0';
        return LG_OK;
    }
    if (!json_is_string(v)) return bad_type(e, path, key, "a string", v);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (mode == LG_KJ_STR_TEXT) {
        lg_kj_copy_text(out, cap, s);
        return LG_OK;
    }
    char p[LG_KJ_PATH_MAX];
    lg_kj_path_key(p, sizeof p, path, key);
    if (mode == LG_KJ_STR_ID && n == 0) return lg_kj_fail(e, LG_EPARSE, "%s: empty", p);
    if (n >= cap) {
        return lg_kj_fail(e, LG_EPARSE, "%s: %zu characters, at most %zu", p, n, cap - 1);
    }
    memcpy(out, s, n + 1);
    return LG_OK;
}

int lg_kj_enum(json_t *obj, const char *path, const char *key, const char *const *names,
               int n, int *out, lg_kj_err_t *e) {
    LG_ASSERT(names != NULL && n > 0 && out != NULL && e != NULL);
    json_t *v = member(obj, path, key);
    if (!json_is_string(v)) return bad_type(e, path, key, "a string", v);
    const char *s = json_string_value(v);
    for (int i = 0; i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return LG_OK;
        }
    }
    char p[LG_KJ_PATH_MAX], list[96];
    lg_kj_path_key(p, sizeof p, path, key);
    size_t used = 0;
    for (int i = 0; i < n && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i > 0 ? ", " : "", names[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    return lg_kj_fail(e, LG_EPARSE, "%s: expected one of %s; got \"%.24s\"", p, list, s);
}

/* ---- arrays ----------------------------------------------------------------------- */

int lg_kj_array_decode(json_t *arr, const char *path, lg_kj_elem_fn fn, void *out, size_t size,
                       void *tmp, uint32_t cap, uint32_t *n, lg_kj_err_t *e) {
    LG_ASSERT(path != NULL && fn != NULL && size > 0 && tmp != NULL && n != NULL && e != NULL);
    LG_ASSERT(out != NULL || cap == 0);
    if (!json_is_array(arr)) {
        return lg_kj_fail(e, LG_EPARSE, "%s: expected an array, got %s", path,
                          lg_kj_type_name(arr));
    }
    size_t count = json_array_size(arr);
    if (count > cap) {
        return lg_kj_fail(e, LG_ENOSPACE, "%s: %zu elements, room for %u", path, count, cap);
    }
    char p[LG_KJ_PATH_MAX];
    for (size_t i = 0; i < count; i++) { /* pass 1: validate all */
        lg_kj_path_index(p, sizeof p, path, i);
        int rc = fn(json_array_get(arr, i), p, tmp, e);
        if (rc != LG_OK) return rc;
    }
    for (size_t i = 0; i < count; i++) { /* pass 2: write (cannot fail: same input) */
        lg_kj_path_index(p, sizeof p, path, i);
        int rc = fn(json_array_get(arr, i), p, (char *)out + i * size, e);
        LG_ASSERT(rc == LG_OK);
    }
    *n = (uint32_t)count;
    return LG_OK;
}
