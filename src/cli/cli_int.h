/*
 * cli_int.h — inside the `legato` command: the client commands that talk to a running
 * daemon's control API (client.c), and the small blocking HTTP/1.1 client they use
 * (http_get.c).
 *
 *   legato status | groups | group ID | positions | kill | resume | exit ID | submit FILE
 *          [--config FILE] [--url http://HOST:PORT] [--token-file F] [--json]
 *
 * lg_cli_client takes main's argv (argv[1] the command) and writes to out and err, so
 * that tests can run it in-process. It returns the exit code: 0 done, 1 the API refused
 * or the daemon could not be reached, 2 the command line, the configuration, the token
 * file or the submitted file is wrong (nothing was sent). docs/CLI.md is the reference.
 */
#ifndef LEGATO_CLI_INT_H
#define LEGATO_CLI_INT_H

#include "legato/base.h"

#include <stdio.h>

/* The client commands' names: status, groups, group, positions, kill, resume, exit,
 * submit. */
bool lg_cli_is_client(const char *command);
int lg_cli_client(int argc, char **argv, FILE *out, FILE *err);

#define LG_CLI_HTTP_TIMEOUT_S 10           /* connect, send and each receive */
#define LG_CLI_HTTP_MAX (16u * 1024u * 1024u) /* the largest reply read */

typedef struct lg_cli_resp {
    int status;      /* the HTTP status */
    char *body;      /* malloc'd, NUL-terminated; lg_cli_resp_free */
    size_t len;
    bool refused;    /* the connection was refused: nothing listens there */
} lg_cli_resp_t;

/* One request on a fresh connection (Connection: close) to host:port, with
 * "Authorization: Bearer <token>" and body (may be NULL: none). LG_OK with *r filled
 * whatever the status; LG_EIO when it cannot connect (r->refused when refused), send
 * or receive in time; LG_EPARSE for a reply that is not HTTP/1.x; LG_ETOOBIG past
 * LG_CLI_HTTP_MAX. err says what happened. */
int lg_cli_http(const char *host, int port, const char *method, const char *path,
                const char *token, const char *body, size_t body_len, lg_cli_resp_t *r,
                char *err, size_t errcap);
void lg_cli_resp_free(lg_cli_resp_t *r);

#endif
