/*
 * journal.h — the versioned binary codec of the journal: events (what went into the
 * engine, with the step's time), records (the decisions the engine journaled) and
 * commands (what it asked the shell to do), each as one self-contained byte string
 * for the `payload` column of `execution_events`. Pure: no SQLite, no I/O, no
 * allocation. `legato replay` decodes events, steps a fresh engine, and compares the
 * re-encoded records and commands (or their lg_jrnl_hash fingerprints) with the
 * recorded ones.
 *
 * Format, version 1 (every multi-byte integer little-endian, written field by field;
 * no struct is ever copied as memory, so padding and layout never reach the disk):
 *
 *   header   u8 magic (LG_JRNL_MAGIC)  u8 version  u8 item (lg_jrnl_item_t)  u8 kind
 *   event    i64 at (the step's now), then the one union member the kind uses:
 *     GROUP_SUBMIT  u32 n_legs (<= LG_MAX_LEGS), n_legs × { u32 token, i8 side,
 *                   i8 covered_by, i64 qty (>= 0), i64 limit_price },
 *                   i8 policy (-1..2), i8 on_incomplete (-1..1), i64 entry_timeout_ns
 *     ORDER_ACK     str tag, str broker_id
 *     ORDER_ERROR   str tag, u8 definitive, u8 is_cancel, u8 is_lookup,
 *                   i32 http_status, str message
 *     ORDER_UPDATE  str tag, str broker_id, u8 status (lg_kstatus_t), i64 quantity
 *                   (>= 0), i64 filled (>= 0), i64 avg_price, str message
 *     TICK          u32 token, i64 ltp, i64 bid, i64 ask
 *     TIMER         (nothing)
 *     CONTROL       u8 op (lg_control_op_t), u32 group
 *     POSITIONS     u32 n (<= LG_JRNL_MAX_ROWS), n × { u32 token, i64 qty }
 *     CONNECTION    u8: 0 down, 1 up, 2 down because the broker session was lost
 *     ADOPT         the ORDER_UPDATE fields, then u32 token, i8 side, u8 otype
 *                   (lg_otype_t), i64 price, i64 trigger
 *     INTENT        u32 n_legs (<= LG_MAX_LEGS), n_legs × { u32 token, i8 side,
 *                   i8 covered_by, u16 ratio, i64 limit_price }, i8 direction,
 *                   i8 policy (-1..2), i8 on_incomplete (-1..1), f64 confidence,
 *                   i64 decision_price, i64 broker_margin, i64 entry_timeout_ns
 *     MARGINS       i64 available, i64 used
 *     BAND          u32 token, i64 lo, i64 hi
 *     STOP          u32 group, i64 trigger, i64 limit, i64 gap, i64 max_loss
 *   f64  = the IEEE-754 bits as a u64; NaN and infinities are refused.
 *   record   u32 group, str tag, i64 a, i64 b, i64 c          (kind: lg_rec_kind_t)
 *   cmd      u8 risk_reducing, str tag, str broker_id, u32 token, i8 side,
 *            u8 otype (lg_otype_t), i16 mprot_pct, i64 qty (>= 0), i64 price,
 *            i64 trigger                                     (kind: lg_cmd_kind_t)
 *
 *   str  = u8 length, then that many bytes: no NUL among them and length < the
 *          field's size (room for the terminator). bool = one byte, 0 or 1.
 *
 * The encoding is canonical: every byte string that decodes re-encodes to itself, and
 * a proper prefix of an encoding never decodes. Encoding refuses exactly what
 * decoding refuses (LG_EINVAL for an unknown kind, an enum out of range, a string
 * without its NUL, too many legs or rows, POSITIONS rows missing; LG_EQTY for a
 * negative quantity that cannot be; LG_ENOSPACE for a short buffer), so
 * whatever was written reads back. The shell encodes an event before stepping it:
 * one the codec refuses is refused at the boundary and never reaches the engine
 * (the engine would refuse it too).
 *
 * Decoding validates everything and leaves every output untouched on error:
 *   LG_EPARSE  wrong magic, version 0, wrong item type, truncated, trailing bytes,
 *              unknown kind, enum or bool out of range, a string with no room for
 *              its NUL or with a NUL inside, too many legs or rows
 *   LG_ERANGE  a version newer than this build understands
 *   LG_EQTY    a negative quantity where none can be
 *   LG_ENOSPACE (positions) more rows than the caller's max_rows
 * Unused fields come back zero (a union member the kind does not use, legs past
 * n_legs, string bytes past the NUL), so a zeroed original compares equal whole.
 */
#ifndef LEGATO_JOURNAL_H
#define LEGATO_JOURNAL_H

#include "legato/base.h"
#include "legato/event.h"

#define LG_JRNL_MAGIC 0xA7u
#define LG_JRNL_VERSION 1u

/* Rows of one POSITIONS event the journal can hold. */
#define LG_JRNL_MAX_ROWS 1024u

/* Largest encoding of any one item (a POSITIONS event with LG_JRNL_MAX_ROWS rows:
 * header 4, at 8, n 4, 12 per row); a buffer this big never gives LG_ENOSPACE. */
#define LG_JRNL_MAX (4u + 8u + 4u + 12u * LG_JRNL_MAX_ROWS)

typedef enum lg_jrnl_item {
    LG_JRNL_EVENT = 1,
    LG_JRNL_RECORD = 2,
    LG_JRNL_CMD = 3,
} lg_jrnl_item_t;

/* Encodes ev (stepped at time `at`) into buf[0..cap); *len = bytes written. On error
 * *len is untouched and buf's contents are unspecified. */
int lg_jrnl_encode_event(const lg_event_t *ev, lg_ns_t at, uint8_t *buf, size_t cap, size_t *len);
/* Decodes exactly len bytes. A POSITIONS event's rows go into rows[0..max_rows) and
 * ev->u.positions.rows points at `rows` (rows may be NULL when max_rows is 0). */
int lg_jrnl_decode_event(const uint8_t *buf, size_t len, lg_event_t *ev, lg_ns_t *at,
                         lg_position_row_t *rows, uint32_t max_rows);

int lg_jrnl_encode_record(const lg_record_t *r, uint8_t *buf, size_t cap, size_t *len);
int lg_jrnl_decode_record(const uint8_t *buf, size_t len, lg_record_t *r);

int lg_jrnl_encode_cmd(const lg_cmd_t *c, uint8_t *buf, size_t cap, size_t *len);
int lg_jrnl_decode_cmd(const uint8_t *buf, size_t len, lg_cmd_t *c);

/* 64-bit FNV-1a of buf[0..len): stable across builds and machines, for decision
 * fingerprints (not cryptographic). buf may be NULL when len is 0. */
uint64_t lg_jrnl_hash(const uint8_t *buf, size_t len);

#endif
