/*
 * test_daemon_log.c — the daemon's log lines name the order a message is about: the
 * first word that is a legato client tag (tag.h), with its group.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../../src/app/daemon_int.h"
#include "legato/tag.h"

#include <stdio.h>
#include <string.h>

static void test_find_tag(void **state) {
    (void)state;
    char tag[LG_TAG_MAX + 1], enc[LG_TAG_MAX + 1], text[256];
    lg_tag_t t = {.group = 4242, .leg = 1, .child = 3, .purpose = LG_PURPOSE_EMERGENCY, .attempt = 2};
    assert_int_equal(lg_tag_encode(&t, enc, sizeof enc), LG_OK);
    snprintf(text, sizeof text, "order %s refused (HTTP 400): Price 12.5 is outside the band", enc);
    assert_int_equal(lg_daemon_find_tag(text, tag, sizeof tag), 4242);
    assert_string_equal(tag, enc);
    snprintf(text, sizeof text, "%s: reversal filled", enc); /* at the start, before a colon */
    assert_int_equal(lg_daemon_find_tag(text, tag, sizeof tag), 4242);
    /* Not tags: inside a longer word, too short, not decodable, none at all. */
    snprintf(text, sizeof text, "X%s and L123 and LONGWORDSXYZAB! and LEVEL", enc);
    assert_int_equal(lg_daemon_find_tag(text, tag, sizeof tag), 0);
    assert_string_equal(tag, "");
    assert_int_equal(lg_daemon_find_tag("summary: trading ACTIVE, 2 groups live", tag, sizeof tag), 0);
    /* The first of two. */
    lg_tag_t u = t;
    u.group = 7;
    char enc2[LG_TAG_MAX + 1];
    assert_int_equal(lg_tag_encode(&u, enc2, sizeof enc2), LG_OK);
    snprintf(text, sizeof text, "Lx %s then %s", enc2, enc);
    assert_int_equal(lg_daemon_find_tag(text, tag, sizeof tag), 7);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_tag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
