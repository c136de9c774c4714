/*
 * run.c — `legato run [--config FILE] [--print-config]`: the daemon (daemon.h) on the
 * embedded defaults or a configuration file, the environment's overrides on top,
 * checked whole before anything starts; SIGINT or SIGTERM stops it cleanly (the
 * journal committed, every handle closed).
 */
#include "legato/daemon.h"
#include "legato/live.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lg_cli_run(int argc, char **argv);

static uv_signal_t sig_int, sig_term;
static lg_daemon_t *running;

static void on_signal(uv_signal_t *s, int signum) {
    (void)s;
    /* a log line like the daemon's own (JSON lines on stderr) */
    fprintf(stderr, "{\"ts\":%lld,\"level\":\"warn\",\"msg\":\"signal %d: stopping\"}\n",
            (long long)(lg_live_unix_now() / LG_NS_PER_MS), signum);
    if (running != NULL) lg_daemon_stop(running);
    uv_close((uv_handle_t *)&sig_int, NULL);
    uv_close((uv_handle_t *)&sig_term, NULL);
}

/* The configuration: defaults, the file, the environment, the whole check. */
static int configure(int argc, char **argv, lg_daemon_config_t *c, bool *print) {
    char err[512];
    lg_config_default(c);
    *print = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--print-config") == 0) {
            *print = true;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            if (lg_config_load(c, argv[++i], err, sizeof err) != LG_OK) {
                fprintf(stderr, "legato run: %s\n", err);
                return 2;
            }
        } else {
            fprintf(stderr, "legato run: bad option '%s' (--config FILE, --print-config)\n", argv[i]);
            return 2;
        }
    }
    if (lg_config_env(c, err, sizeof err) != LG_OK || lg_config_check(c, err, sizeof err) != LG_OK) {
        fprintf(stderr, "legato run: %s\n", err);
        return 2;
    }
    return 0;
}

int lg_cli_run(int argc, char **argv) {
    static lg_daemon_config_t c; /* large: not on the stack */
    bool print = false;
    int rc = configure(argc, argv, &c, &print);
    if (rc != 0) return rc;
    if (print) {
        static char buf[16384];
        lg_config_dump(&c, buf, sizeof buf);
        fputs(buf, stdout);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    uv_loop_t *loop = uv_default_loop();
    char err[512];
    if (lg_daemon_start(loop, &c, &running, err, sizeof err) != LG_OK) {
        fprintf(stderr, "legato run: %s\n", err);
        return 1;
    }
    uv_signal_init(loop, &sig_int);
    uv_signal_init(loop, &sig_term);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_run(loop, UV_RUN_DEFAULT);
    lg_daemon_free(running);
    running = NULL;
    uv_loop_close(loop);
    return 0;
}
