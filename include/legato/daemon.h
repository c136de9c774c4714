/*
 * daemon.h — `legato run`: the engine behind its journal (live shell), the broker port,
 * and the control API on 127.0.0.1, on one libuv loop.
 *
 *   paper   the exchange simulator in-process (`legato sim`'s server on a loopback
 *           port of its own), the port talking Kite to it: the whole live chain runs,
 *           only the market is made up. Each start is a new paper session: an earlier
 *           session's journal is kept aside as legato.db.<unix s>.
 *   live    the port talks to Kite (rest_root, ws_root) with the api_key and access
 *           token of the configuration (never logged; a token file readable by group
 *           or others is refused).
 *
 * Start: the data directory (mode 0700), the API token (made at the first start in the
 * token file, mode 0600; a token file readable by others is refused), the journal, the
 * engine, the port, every instrument subscribed in full mode and a margin snapshot
 * asked for, then the API. Logs are JSON lines on stderr: {"ts","level","msg"} plus
 * "group" where one is named; emergency hedges and halts are critical; a one-line
 * summary every summary_interval_s.
 */
#ifndef LEGATO_DAEMON_H
#define LEGATO_DAEMON_H

#include "legato/config.h"

#include <uv.h>

typedef struct lg_daemon lg_daemon_t;

/* Starts everything on loop; LG_OK, or an error with err naming what failed (a file,
 * its mode, an address in use). */
int lg_daemon_start(uv_loop_t *loop, const lg_daemon_config_t *cfg, lg_daemon_t **out,
                    char *err, size_t errcap);
/* Commits, closes every handle; run the loop until it ends, then lg_daemon_free. */
void lg_daemon_stop(lg_daemon_t *d);
void lg_daemon_free(lg_daemon_t *d);

/* The API's bound port (the configured one, or the one picked for port 0). */
int lg_daemon_api_port(const lg_daemon_t *d);
const lg_engine_t *lg_daemon_engine(const lg_daemon_t *d);
/* The bearer token (for the process's own use: tests, the CLI in-process). */
const char *lg_daemon_api_token(const lg_daemon_t *d);

/* Reads a token file: refused (LG_EAUTH, named) when group or others may read it;
 * create: made with 32 random bytes in hex when absent. */
int lg_daemon_token(const char *path, bool create, char *token, size_t cap, char *err,
                    size_t errcap);

#endif
