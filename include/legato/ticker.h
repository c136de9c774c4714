/*
 * ticker.h — the Kite ticker's WebSocket frames, pure: binary market-data frames into
 * ticks, and the client's text frames (subscribe, unsubscribe, mode). No network, no
 * clock, no allocation. Facts: ../shared/kite/PROTOCOL.md ("Ticker WebSocket").
 *
 * A binary frame is a 1-byte heartbeat, or big-endian int16 N then N times {int16
 * length, packet}. Packets by length: 8 ltp, 28 index quote, 32 index full, 44 quote,
 * 184 full (a depth entry is 12 bytes: int32 qty, int32 price, int16 orders, 2 bytes
 * padding; five bids then five asks). Prices are int32 in the segment's unit
 * (instrument_token & 0xFF: paise for every segment but CDS, 1e-7 rupee, and BCD,
 * 1e-4 rupee); ticks carry them converted to paise (rounded half away from zero) so
 * that one unit is used across legato.
 *
 * Decoding refuses a frame whole (LG_EPARSE, the outputs untouched) when: it is empty;
 * the count or a packet length runs past the frame; bytes are left over after the N
 * packets; a packet length is none of the five; N is negative; a packet's layout
 * contradicts its token (28/32 bytes for a segment other than 9, 44/184 for segment 9).
 * More packets than the caller's room is LG_ENOSPACE (nothing written). Prices and an
 * index's change are signed int32; quantities, volume, OI and times unsigned uint32,
 * depth orders uint16 (as Kite's clients read them). Fields not on the wire are zero.
 */
#ifndef LEGATO_TICKER_H
#define LEGATO_TICKER_H

#include "legato/base.h"
#include "legato/event.h"

typedef enum lg_tick_mode {
    LG_TICK_LTP = 1,   /* 8 bytes */
    LG_TICK_QUOTE = 2, /* 44 bytes; index quote 28 */
    LG_TICK_FULL = 3,  /* 184 bytes; index full 32 */
} lg_tick_mode_t;

typedef struct lg_depth {
    int64_t qty;
    lg_paise_t price;
    int32_t orders;
} lg_depth_t;

typedef struct lg_tick {
    uint32_t token;
    uint8_t mode;           /* lg_tick_mode_t */
    bool index;             /* an index packet (segment 9): no depth, no volume */
    bool tradable;          /* not an index */
    lg_paise_t ltp;
    int64_t last_qty;       /* quote/full */
    lg_paise_t avg_price;   /* quote/full */
    int64_t volume;         /* quote/full */
    int64_t buy_qty, sell_qty;
    lg_paise_t open, high, low, close;
    lg_paise_t change;      /* index packets: as sent (paise) */
    int64_t last_trade_time; /* full: epoch seconds */
    int64_t oi, oi_day_high, oi_day_low;
    int64_t exchange_time;  /* full: epoch seconds; index full: its timestamp */
    lg_depth_t bid[5], ask[5]; /* full */
} lg_tick_t;

/* Decodes a binary frame. *n = ticks written (0 for a heartbeat, *heartbeat then true).
 * heartbeat may be NULL. */
int lg_ticker_decode(const uint8_t *frame, size_t len, lg_tick_t *out, uint32_t cap, uint32_t *n,
                     bool *heartbeat);

/* A tick as the engine's TICK event: last price, best bid and ask (0 without depth). */
void lg_ticker_tick_event(const lg_tick_t *t, lg_event_t *ev);

/* Client text frames: {"a":"subscribe","v":[t,...]}, {"a":"unsubscribe","v":[...]},
 * {"a":"mode","v":["ltp"|"quote"|"full",[t,...]]}. LG_EINVAL for n == 0 or a bad mode;
 * LG_ENOSPACE when buf is too small (buf then unspecified). *len excludes the NUL, which
 * is written. */
int lg_ticker_subscribe(const uint32_t *tokens, uint32_t n, char *buf, size_t cap, size_t *len);
int lg_ticker_unsubscribe(const uint32_t *tokens, uint32_t n, char *buf, size_t cap, size_t *len);
int lg_ticker_mode(lg_tick_mode_t mode, const uint32_t *tokens, uint32_t n, char *buf, size_t cap,
                   size_t *len);

/* Encodes one tick as a packet of its mode (the simulator's side; lg_ticker_decode's
 * inverse for every tick it produces). Prices must be whole units of the token's
 * segment. *len = bytes written; LG_ENOSPACE if cap is too small; LG_ERANGE if a value
 * does not fit its wire field (buf then untouched). Asserts mode 1..3 and that index
 * and tradable agree with the token's segment. */
int lg_ticker_encode_packet(const lg_tick_t *t, uint8_t *buf, size_t cap, size_t *len);
/* Frames packets: writes int16 N and {int16 len, packet} for each of n ticks. */
int lg_ticker_encode_frame(const lg_tick_t *t, uint32_t n, uint8_t *buf, size_t cap, size_t *len);

#endif
