/*
 * test_tag.c — unit tests for client tags (src/core/tag.c): exact encodings worked
 * out by hand, round trips over many identities (the uint32 extremes included),
 * every way decoding must refuse a string (leaving the output untouched), and that
 * encoding out-of-range identities stops the program (checked in a forked child).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "legato/tag.h"

static const lg_tag_t sentinel = {.group = 0xDEADBEEFu, .leg = 7, .child = 77,
                                  .purpose = 'X', .attempt = 777};

static void encode(const lg_tag_t *t, char out[LG_TAG_MAX + 1]) {
    memset(out, '?', LG_TAG_MAX + 1);
    assert_int_equal(lg_tag_encode(t, out, LG_TAG_MAX + 1), LG_OK);
}

static void test_encode_exact(void **state) {
    (void)state;
    char s[LG_TAG_MAX + 1];
    lg_tag_t t = {.group = 1, .leg = 2, .child = 3, .purpose = LG_PURPOSE_ENTRY, .attempt = 0};
    encode(&t, s);
    assert_string_equal(s, "L0000001203E00");
    t = (lg_tag_t){.group = 0, .leg = 0, .child = 0, .purpose = 'H', .attempt = 0};
    encode(&t, s);
    assert_string_equal(s, "L0000000000H00");
    t = (lg_tag_t){.group = UINT32_MAX, .leg = 35, .child = 1295, .purpose = 'D',
                   .attempt = 1295};
    encode(&t, s);
    assert_string_equal(s, "L1Z141Z3ZZZDZZ");
    t = (lg_tag_t){.group = 123456789, .leg = 10, .child = 1000, .purpose = 'S', .attempt = 36};
    encode(&t, s);
    assert_string_equal(s, "L021I3V9ARSS10");
    t = (lg_tag_t){.group = 36, .leg = 1, .child = 35, .purpose = 'X', .attempt = 1};
    encode(&t, s);
    assert_string_equal(s, "L000001010ZX01");
    assert_int_equal(strlen(s), LG_TAG_LEN);
}

static void test_decode_exact(void **state) {
    (void)state;
    lg_tag_t t;
    assert_int_equal(lg_tag_decode("L1Z141Z3ZZZDZZ", &t), LG_OK);
    assert_int_equal(t.group, UINT32_MAX);
    assert_int_equal(t.leg, 35);
    assert_int_equal(t.child, 1295);
    assert_int_equal(t.purpose, 'D');
    assert_int_equal(t.attempt, 1295);
    assert_int_equal(lg_tag_decode("L021I3V9ARSS10", &t), LG_OK);
    assert_int_equal(t.group, 123456789);
    assert_int_equal(t.leg, 10);
    assert_int_equal(t.child, 1000);
    assert_int_equal(t.purpose, 'S');
    assert_int_equal(t.attempt, 36);
}

static void round_trip(const lg_tag_t *t) {
    char s[LG_TAG_MAX + 1];
    encode(t, s);
    assert_int_equal(strlen(s), LG_TAG_LEN);
    lg_tag_t back = sentinel;
    assert_int_equal(lg_tag_decode(s, &back), LG_OK);
    assert_int_equal(back.group, t->group);
    assert_int_equal(back.leg, t->leg);
    assert_int_equal(back.child, t->child);
    assert_int_equal(back.purpose, t->purpose);
    assert_int_equal(back.attempt, t->attempt);
}

static void test_round_trip(void **state) {
    (void)state;
    static const uint32_t groups[] = {0, 1, 35, 36, 1295, 1296, 46655, 46656, 2176782335u,
                                      2176782336u, 0x7FFFFFFFu, 0x80000000u, UINT32_MAX - 1,
                                      UINT32_MAX};
    static const uint8_t purposes[] = {'E', 'H', 'X', 'S', 'D'};
    uint32_t n = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        for (uint32_t leg = 0; leg <= LG_TAG_LEG_MAX; leg += 5) {
            for (uint32_t c = 0; c <= LG_TAG_CHILD_MAX; c += 37) {
                lg_tag_t t = {.group = groups[g], .leg = (uint8_t)leg, .child = (uint16_t)c,
                              .purpose = purposes[(g + leg + c) % 5],
                              .attempt = (uint16_t)((c * 7 + leg) % (LG_TAG_ATTEMPT_MAX + 1))};
                round_trip(&t);
                n++;
            }
        }
    }
    /* A pseudo-random walk over the whole group range. */
    uint32_t x = 2463534242u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        lg_tag_t t = {.group = x, .leg = (uint8_t)(x % 36), .child = (uint16_t)(x % 1296),
                      .purpose = purposes[x % 5], .attempt = (uint16_t)((x >> 11) % 1296)};
        round_trip(&t);
        n++;
    }
    assert_true(n > 20000);
    lg_tag_t max = {.group = UINT32_MAX, .leg = 35, .child = 1295, .purpose = 'E',
                    .attempt = 1295};
    round_trip(&max);
}

static void expect_bad(const char *s) {
    lg_tag_t t = sentinel;
    int rc = lg_tag_decode(s, &t);
    if (rc != LG_ETAG) fail_msg("decode('%s') = %d, want LG_ETAG", s, rc);
    assert_int_equal(t.group, sentinel.group);
    assert_int_equal(t.leg, sentinel.leg);
    assert_int_equal(t.child, sentinel.child);
    assert_int_equal(t.purpose, sentinel.purpose);
    assert_int_equal(t.attempt, sentinel.attempt);
}

static void test_decode_refuses(void **state) {
    (void)state;
    expect_bad("");
    expect_bad("L");
    expect_bad("L0000001203E0");    /* 13 characters */
    expect_bad("L0000001203E000");  /* 15 characters */
    expect_bad("L0000001203E00 ");  /* trailing space */
    expect_bad("X0000001203E00");   /* wrong prefix */
    expect_bad("l0000001203E00");   /* lower-case prefix */
    expect_bad("L00000a1203E00");   /* lower-case digit in group */
    expect_bad("L0000001203e00");   /* lower-case purpose */
    expect_bad("L0000001203E0z");   /* lower-case digit in attempt */
    expect_bad("L0000001203A00");   /* unknown purpose */
    expect_bad("L00000012030000");  /* purpose replaced, wrong length too */
    expect_bad("L000000120300");    /* short */
    expect_bad("L0000001203000");   /* purpose '0' */
    expect_bad("L000-001203E00");   /* bad character */
    expect_bad("L0000001 03E00");   /* space */
    expect_bad("L1Z141Z40000E00");  /* long */
    expect_bad("L1Z141Z4000E00");   /* group UINT32_MAX + 1 */
    expect_bad("LZZZZZZZ000E00");   /* group far beyond uint32 */
    expect_bad("L0000001203E\x01""0"); /* control character */
    expect_bad("L0000001203E\xC3\x80"); /* non-ASCII */
    expect_bad("ORD-0000001203");   /* someone else's tag */
    /* The good neighbours of the bad ones decode. */
    lg_tag_t t;
    assert_int_equal(lg_tag_decode("L1Z141Z3000E00", &t), LG_OK);
    assert_int_equal(t.group, UINT32_MAX);
    assert_int_equal(lg_tag_decode("L0000001203E00", &t), LG_OK);
    assert_int_equal(t.group, 1);
}

static void test_purpose_valid(void **state) {
    (void)state;
    assert_true(lg_purpose_valid('E'));
    assert_true(lg_purpose_valid('H'));
    assert_true(lg_purpose_valid('X'));
    assert_true(lg_purpose_valid('S'));
    assert_true(lg_purpose_valid('D'));
    assert_false(lg_purpose_valid('e'));
    assert_false(lg_purpose_valid('A'));
    assert_false(lg_purpose_valid(0));
    assert_false(lg_purpose_valid(-1));
    assert_false(lg_purpose_valid('E' + 256));
}

/* Runs encode in a child process; true when the child died of an assertion (abort). */
static bool encode_aborts(const lg_tag_t *t) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL) _exit(3);
        char s[LG_TAG_MAX + 1];
        (void)lg_tag_encode(t, s, sizeof s);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void test_encode_asserts_ranges(void **state) {
    (void)state;
    lg_tag_t ok = {.group = 5, .leg = 35, .child = 1295, .purpose = 'E', .attempt = 1295};
    assert_false(encode_aborts(&ok));
    lg_tag_t t = ok;
    t.leg = 36;
    assert_true(encode_aborts(&t));
    t = ok;
    t.child = 1296;
    assert_true(encode_aborts(&t));
    t = ok;
    t.attempt = 1296;
    assert_true(encode_aborts(&t));
    t = ok;
    t.purpose = 'e';
    assert_true(encode_aborts(&t));
    t = ok;
    t.purpose = 0;
    assert_true(encode_aborts(&t));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_exact),
        cmocka_unit_test(test_decode_exact),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_decode_refuses),
        cmocka_unit_test(test_purpose_valid),
        cmocka_unit_test(test_encode_asserts_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
