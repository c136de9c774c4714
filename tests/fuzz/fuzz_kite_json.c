/*
 * fuzz_kite_json.c — libFuzzer harness for every decoder of Kite's JSON answers and
 * text frames, and the classification of answers. Any input either decodes into
 * values the contract promises (counts within the room, sides +1/-1, fills within
 * quantity, circuit bands in order) or is refused with the outputs untouched; nothing crashes, leaks or reads
 * past the input (ASan).
 */
#include <stdint.h>
#include <string.h>

#include "legato/kite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP 32

static void check_adopt(const lg_adopt_t *a) {
    LG_ASSERT(a->side == 1 || a->side == -1);
    LG_ASSERT(a->u.filled >= 0 && a->u.filled <= a->u.quantity);
    LG_ASSERT(strlen(a->u.tag) <= LG_TAG_MAX && a->otype <= LG_OT_SLM);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    char err[160];
    static lg_adopt_t orders[CAP], before[CAP];
    memset(orders, 0x5A, sizeof orders);
    memcpy(before, orders, sizeof orders);
    uint32_t n = 777;
    if (lg_kite_parse_orders(s, size, orders, CAP, &n, err, sizeof err) == LG_OK) {
        LG_ASSERT(n <= CAP);
        for (uint32_t i = 0; i < n; i++) check_adopt(&orders[i]);
    } else {
        LG_ASSERT(n == 777 && memcmp(orders, before, sizeof orders) == 0);
    }
    lg_adopt_t one;
    if (lg_kite_parse_order_object(s, size, &one, err, sizeof err) == LG_OK) check_adopt(&one);
    lg_kite_trade_t trades[CAP];
    if (lg_kite_parse_trades(s, size, trades, CAP, &n, err, sizeof err) == LG_OK) LG_ASSERT(n <= CAP);
    lg_position_row_t rows[CAP];
    if (lg_kite_parse_positions(s, size, rows, CAP, &n, err, sizeof err) == LG_OK) LG_ASSERT(n <= CAP);
    lg_kite_margins_t m;
    (void)lg_kite_parse_margins(s, size, &m, err, sizeof err);
    lg_paise_t ini = 0, fin = 0;
    (void)lg_kite_parse_basket(s, size, &ini, &fin, err, sizeof err);
    lg_kite_band_t bands[CAP];
    if (lg_kite_parse_bands(s, size, bands, CAP, &n, err, sizeof err) == LG_OK) {
        LG_ASSERT(n <= CAP);
        for (uint32_t i = 0; i < n; i++) {
            lg_event_t ev;
            LG_ASSERT(bands[i].token > 0 && bands[i].lo >= 0 && bands[i].hi >= 0);
            if (lg_kite_band_event(&bands[i], &ev)) LG_ASSERT(ev.u.band.lo > 0 && ev.u.band.lo <= ev.u.band.hi);
        }
    }
    char id[LG_BROKER_ID_MAX];
    if (lg_kite_parse_order_id(s, size, id, sizeof id, err, sizeof err) == LG_OK)
        LG_ASSERT(strlen(id) < sizeof id);
    lg_kite_text_t type;
    char msg[LG_STATUS_MSG_MAX];
    if (lg_kite_parse_text_frame(s, size, &type, &one, msg, sizeof msg, err, sizeof err) == LG_OK &&
        type == LG_KITE_TEXT_ORDER)
        check_adopt(&one);
    static const int statuses[] = {0, 200, 400, 403, 429, 500, 502, 503};
    lg_kite_answer_t a;
    lg_kite_classify(statuses[size % 8], size % 3 ? "application/json" : "text/html", s, size, &a);
    LG_ASSERT(!a.ok || a.etype == LG_KITE_E_NONE);
    LG_ASSERT(!a.halt || a.etype == LG_KITE_E_TOKEN);
    LG_ASSERT(strlen(a.message) < sizeof a.message);
    return 0;
}
