/*
 * fuzz_ticker.c — libFuzzer harness for the ticker's binary frames. Any input either
 * decodes (then within the caller's room, and re-encoding the ticks gives a frame that
 * decodes to the same ticks — unless a CDS/BCD price rounded to paise no longer fits
 * the wire's int32, LG_ERANGE) or is refused whole with the output untouched.
 */
#include <stdint.h>
#include <string.h>

#include "legato/ticker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static lg_tick_t ticks[CAP], again[CAP], before[CAP];
    static uint8_t frame[2 + CAP * (2 + 184)];
    memset(ticks, 0xA5, sizeof ticks);
    memcpy(before, ticks, sizeof ticks);
    uint32_t n = 12345, m = 0;
    bool hb = false;
    int rc = lg_ticker_decode(data, size, ticks, CAP, &n, &hb);
    if (rc != LG_OK) {
        LG_ASSERT(n == 12345 && memcmp(ticks, before, sizeof ticks) == 0);
        return 0;
    }
    LG_ASSERT(n <= CAP && (!hb || n == 0));
    if (hb || n == 0) return 0;
    size_t len = 0;
    int erc = lg_ticker_encode_frame(ticks, n, frame, sizeof frame, &len);
    /* CDS/BCD prices rounded to paise may no longer fit the wire's int32 at its edge */
    if (erc == LG_ERANGE) return 0;
    LG_ASSERT(erc == LG_OK);
    LG_ASSERT(lg_ticker_decode(frame, len, again, CAP, &m, &hb) == LG_OK && m == n);
    for (uint32_t i = 0; i < n; i++) {
        LG_ASSERT(again[i].token == ticks[i].token && again[i].mode == ticks[i].mode);
        LG_ASSERT(again[i].ltp == ticks[i].ltp && again[i].close == ticks[i].close);
    }
    return 0;
}
