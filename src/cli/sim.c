/*
 * sim.c — `legato sim`: the exchange model behind a Kite-compatible server.
 *
 *   legato sim [--port N] [--seed N] [--api-key K] [--access-token T] [--host H]
 *
 * Defaults: port 8765 (0: any free port), seed 1, api key "legato_sim", access token
 * "legato_sim_token" (or $LEGATO_SIM_ACCESS_TOKEN, which keeps it out of `ps`), host
 * 127.0.0.1. When it is ready it prints one line with its REST and WebSocket roots:
 *
 *   legato sim: rest http://127.0.0.1:8765 ws ws://127.0.0.1:8765/ws
 *
 * and serves until SIGINT or SIGTERM.
 */
#include "legato/simd.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lg_cli_sim(int argc, char **argv);

static uv_signal_t sig_int, sig_term;
static lg_simd_t *running;

static void on_signal(uv_signal_t *s, int signum) {
    (void)s;
    (void)signum;
    if (running != NULL) lg_simd_stop(running);
    running = NULL;
    uv_close((uv_handle_t *)&sig_int, NULL);
    uv_close((uv_handle_t *)&sig_term, NULL);
}

static int parse_args(int argc, char **argv, lg_simd_config_t *c) {
    const char *env = getenv("LEGATO_SIM_ACCESS_TOKEN");
    if (env != NULL && env[0] != '\0') c->access_token = env;
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (v == NULL) {
            fprintf(stderr, "legato sim: %s needs a value\n", o);
            return -1;
        }
        i++;
        if (strcmp(o, "--port") == 0) {
            long p = strtol(v, &end, 10);
            if (*end != '\0' || p < 0 || p > 65535) goto bad;
            c->port = (int)p;
        } else if (strcmp(o, "--seed") == 0) {
            unsigned long long s = strtoull(v, &end, 10);
            if (*end != '\0' || v[0] == '-') goto bad;
            c->seed = s;
        } else if (strcmp(o, "--api-key") == 0) {
            c->api_key = v;
        } else if (strcmp(o, "--access-token") == 0) {
            c->access_token = v;
        } else if (strcmp(o, "--host") == 0) {
            c->host = v;
        } else {
            fprintf(stderr, "legato sim: unknown option %s\n", o);
            return -1;
        }
        continue;
    bad:
        fprintf(stderr, "legato sim: bad value for %s: '%s'\n", o, v);
        return -1;
    }
    if (c->api_key[0] == '\0' || c->access_token[0] == '\0') {
        fprintf(stderr, "legato sim: the api key and access token must not be empty\n");
        return -1;
    }
    return 0;
}

int lg_cli_sim(int argc, char **argv) {
    lg_simd_config_t cfg;
    lg_simd_config_default(&cfg);
    if (parse_args(argc, argv, &cfg) != 0) return 2;
    uv_loop_t *loop = uv_default_loop();
    int rc = lg_simd_start(loop, &cfg, &running);
    if (rc != LG_OK) {
        fprintf(stderr, "legato sim: cannot listen on %s:%d (%s)\n", cfg.host, cfg.port,
                lg_strerror(rc));
        return 1;
    }
    int port = lg_simd_port(running);
    uv_signal_init(loop, &sig_int);
    uv_signal_init(loop, &sig_term);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    printf("legato sim: rest http://%s:%d ws ws://%s:%d/ws\n", cfg.host, port, cfg.host, port);
    fflush(stdout);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return 0;
}
