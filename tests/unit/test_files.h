/*
 * test_files.h — reads a test vector under tests/data (LG_TEST_DATA) whole, NUL-terminated,
 * for the unit tests that use the broker's files. Header-only (static inline), included
 * after cmocka.h.
 */
#ifndef LEGATO_TEST_FILES_H
#define LEGATO_TEST_FILES_H

#include <stdio.h>
#include <stdlib.h>

/* tests/data/<rel>, malloc'd (the caller frees it); *len (may be NULL) = its size. */
static inline char *lg_test_read(const char *rel, size_t *len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", LG_TEST_DATA, rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len != NULL) *len = (size_t)n;
    return buf;
}

#endif
