/*
 * wire_answer.h — an HTTP/1.1 answer read incrementally, for the broker port's order
 * connections (src/port/port_wire.c). Pure: bytes in, a status, a content type and
 * body bytes out; no socket, no allocation.
 *
 * States, in the order an answer passes them:
 *
 *   HEAD        reading the status line and headers, up to the blank line. A 1xx head
 *               is skipped whole and the next head read.
 *   BODY        Content-Length bytes of body still to come (`left`).
 *   CHUNK_SIZE  reading a chunk-size line (hex, extensions ignored).
 *   CHUNK_DATA  `left` bytes of the current chunk still to come.
 *   CHUNK_END   the CRLF after a chunk's data.
 *   TRAILER     after the last (zero) chunk: trailer lines up to the blank line.
 *   TO_CLOSE    no length and not chunked: the body runs until the server closes.
 *   DONE        the answer is whole; bytes after it are not consumed.
 *   ERROR       not HTTP, a head or line too long, a length that lies, a body the sink
 *               refused; `error` names it. Terminal: the connection cannot be reused.
 *
 * A 204, a 304 and an answer to nothing else with Content-Length 0 are DONE at the end
 * of the head. `close` is set when the server said "Connection: close" (or spoke
 * HTTP/1.0 without keep-alive): the connection ends after this answer.
 */
#ifndef LEGATO_PORT_WIRE_ANSWER_H
#define LEGATO_PORT_WIRE_ANSWER_H

#include "legato/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_WA_HEAD_MAX 8192 /* status line and headers of one answer */

typedef enum lg_wa_state {
    LG_WA_HEAD, LG_WA_BODY, LG_WA_CHUNK_SIZE, LG_WA_CHUNK_DATA, LG_WA_CHUNK_END,
    LG_WA_TRAILER, LG_WA_TO_CLOSE, LG_WA_DONE, LG_WA_ERROR
} lg_wa_state_t;

/* Takes body bytes; false refuses them (the answer becomes ERROR with `why`). */
typedef bool (*lg_wa_sink_fn)(void *ud, const char *b, size_t n, const char **why);

typedef struct lg_wa {
    lg_wa_state_t state;
    int status;              /* 100..599 once a head is read */
    bool close, chunked;
    uint64_t left;
    char ctype[96];          /* Content-Type, "" when none */
    const char *error;       /* ERROR: what was wrong (a static string) */
    size_t head_len, line_len;
    char head[LG_WA_HEAD_MAX];
    char line[64];           /* a chunk-size or trailer line */
} lg_wa_t;

void lg_wa_reset(lg_wa_t *a);
/* Feeds n bytes; body bytes go to sink. Returns the bytes consumed (fewer than n only
 * once DONE or ERROR). */
size_t lg_wa_feed(lg_wa_t *a, const char *b, size_t n, lg_wa_sink_fn sink, void *ud);
/* The server closed: a TO_CLOSE body is DONE; any other unfinished state is ERROR. */
void lg_wa_eof(lg_wa_t *a);

#endif
