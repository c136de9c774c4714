/*
 * test_kite_scan.c — the order frames' fast path (lg_kite_scan_order_frame) held to the
 * full decoder (lg_kite_parse_text_frame): it takes the broker's own postback and the
 * frames legato sim writes; whenever it answers, the full decoder answers the same; on
 * hundreds of thousands of mutated frames (bytes flipped, cut, duplicated, escapes, big
 * numbers) it never answers where the full decoder refuses or decodes otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "legato/kite.h"
#include "test_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool same(const lg_adopt_t *a, const lg_adopt_t *b) {
    return strcmp(a->u.tag, b->u.tag) == 0 && strcmp(a->u.broker_id, b->u.broker_id) == 0 &&
           a->u.status == b->u.status && a->u.quantity == b->u.quantity &&
           a->u.filled == b->u.filled && a->u.avg_price == b->u.avg_price &&
           strcmp(a->u.message, b->u.message) == 0 && a->token == b->token &&
           a->side == b->side && a->otype == b->otype && a->price == b->price &&
           a->trigger == b->trigger;
}

/* The property: the fast path answers only what the full decoder answers. Returns
 * whether the fast path answered. */
static bool check(const char *frame, size_t len) {
    lg_adopt_t fast, full;
    memset(&fast, 0, sizeof fast);
    memset(&full, 0, sizeof full);
    if (!lg_kite_scan_order_frame(frame, len, &fast)) return false;
    lg_kite_text_t type = 0;
    char msg[64], err[128] = "";
    int rc = lg_kite_parse_text_frame(frame, len, &type, &full, msg, sizeof msg, err, sizeof err);
    if (rc != LG_OK || type != LG_KITE_TEXT_ORDER || !same(&fast, &full))
        fail_msg("fast path answered, full decoder: rc %d (%s) on %.*s", rc, err, (int)len, frame);
    return true;
}

static char *postback_frame(size_t *len) {
    size_t n = 0;
    char *body = lg_test_read("kite/postback.json", &n);
    assert_non_null(body);
    char *frame = malloc(n + 64);
    assert_non_null(frame);
    *len = (size_t)snprintf(frame, n + 64, "{\"type\":\"order\",\"data\":%.*s}", (int)n, body);
    free(body);
    return frame;
}

static void test_broker_and_sim_frames(void **state) {
    (void)state;
    size_t len;
    char *frame = postback_frame(&len);
    assert_true(check(frame, len)); /* the broker's own example takes the fast path */
    free(frame);
    lg_kite_order_row_t row = {
        .a = {.u = {.tag = "L0000001001E00", .broker_id = "2600000000000000001",
                    .status = LG_KS_COMPLETE, .quantity = 65, .filled = 65, .avg_price = 12345,
                    .message = ""},
              .token = 12345678, .side = -1, .otype = LG_OT_MARKET},
        .symbol = "NIFTY26D0826000CE", .product = "NRML", .account = "LG0001",
        .mprot = 3, .placed_s = 1796000000, .updated_s = 1796000001,
    };
    for (int st = 0; st < 3; st++) {
        row.a.u.status = st == 0 ? LG_KS_OPEN : st == 1 ? LG_KS_COMPLETE : LG_KS_REJECTED;
        if (st == 2) lg_strlcpy(row.a.u.message, "RMS: margin exceeds", sizeof row.a.u.message);
        char *j = lg_kite_json_order_frame(&row);
        assert_non_null(j);
        assert_true(check(j, strlen(j))); /* what legato sim writes takes it too */
        free(j);
    }
}

static void test_handed_to_the_full_decoder(void **state) {
    (void)state;
    static const char *const cases[] = {
        "{\"type\":\"error\",\"data\":\"bad\"}",
        "{\"type\":\"order\",\"data\":[]}",
        "{\"type\":\"order\",\"type\":\"order\",\"data\":{}}",
        "{\"type\":\"order\",\"data\":{\"order_id\":\"1\",\"order_id\":\"2\"}}",
        "{\"type\":\"ord\\u0065r\",\"data\":{}}",
        "{\"type\":\"order\",\"data\":{},\"x\":123456789012345678901234}",
        "{\"type\":\"order\",\"data\":{}} x",
        "[1,2]",
        "",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lg_adopt_t o;
        assert_false(lg_kite_scan_order_frame(cases[i], strlen(cases[i]), &o));
    }
}

static uint64_t next(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void test_mutations(void **state) {
    (void)state;
    size_t len;
    char *frame = postback_frame(&len);
    static const char *const bits[] = {"\\n", "\\u00e9", "\"", "\\", "{", "}", "[", "]", ",",
                                       ":", "null", "1e5", "-0", "0.5", "99999999999999999999",
                                       "\"tag\":\"x\",", "\"price\":1,", " ", "\x01", "\xc3\xa9"};
    char *buf = malloc(len + 256);
    assert_non_null(buf);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    uint32_t answered = 0;
    for (int round = 0; round < 200000; round++) {
        memcpy(buf, frame, len);
        size_t n = len;
        for (int m = 0, k = 1 + (int)(next(&x) % 3); m < k && n > 1; m++) {
            size_t at = (size_t)(next(&x) % n);
            switch (next(&x) % 4) {
            case 0: buf[at] = (char)(next(&x) & 0x7F); break;            /* flip a byte */
            case 1: memmove(buf + at, buf + at + 1, n - at - 1); n--; break; /* drop one */
            case 2: n = at + 1; break;                                     /* cut */
            default: {                                                     /* insert */
                const char *b = bits[next(&x) % (sizeof bits / sizeof bits[0])];
                size_t bl = strlen(b);
                if (n + bl > len + 200) break;
                memmove(buf + at + bl, buf + at, n - at);
                memcpy(buf + at, b, bl);
                n += bl;
            }
            }
        }
        answered += check(buf, n);
    }
    free(buf);
    free(frame);
    assert_true(answered > 1000); /* the property was exercised, not only refusals */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broker_and_sim_frames),
        cmocka_unit_test(test_handed_to_the_full_decoder),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
