/*
 * test_cli.c — the client commands of `legato` (src/cli/client.c) against a paper
 * daemon: the daemon on its own loop thread (as in test_daemon.c), the commands run
 * in-process on the test's thread through lg_cli_client, their output and errors
 * captured. The test binary links the libraries only, not src/cli, so it compiles the
 * client's two files in itself (#include of client.c and http_get.c below).
 *
 * The daemon runs with the example strategies on: the group list may hold groups of
 * theirs, so every check looks for the test's own group by its id.
 *
 *   status as a table and as the API's JSON (parseable, the body as the API sent it);
 *   the address and token from the configuration file, from the environment, or given
 *   an iron condor submitted from a file -> listed by groups -> HEDGED in its timeline
 *   -> positions -> exit -> CLOSED; an intent (a file with ratios, from standard input)
 *   goes to /v1/intents
 *   kill -> HALTED -> a submit refused (exit 1, the reason on err) -> resume -> ACTIVE
 *   a token file others may read (refused, named), a wrong token (401), no daemon at
 *   the address (exit 1, the message), usage errors (exit 2)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../unit/test_http_client.h"

#include "../../src/cli/client.c"
#include "../../src/cli/http_get.c"

#include <sys/stat.h>

typedef struct fix {
    tl_loop_t l;
    lg_daemon_config_t cfg;
    lg_daemon_t *d;
    char dir[64], ini[96], url[64], port_s[16];
    char condor[128], sym[4][32];
    int port;
} fix_t;

static fix_t *F;

/* ---- the daemon --------------------------------------------------------------------- */

/* The nearest expiry's NIFTY option of this kind and strike: its symbol, lot in *lot. */
static void find_symbol(const lg_instruments_t *m, lg_kind_t kind, int strike, char *sym, size_t cap,
                        lg_qty_t *lot) {
    int32_t best = INT32_MAX;
    sym[0] = '\0';
    for (uint32_t i = 0; i < m->n; i++) {
        const lg_instrument_t *in = &m->items[i];
        if (strcmp(in->underlying, "NIFTY") == 0 && in->kind == kind &&
            in->strike == (lg_paise_t)strike * 100 && in->expiry_day < best) {
            best = in->expiry_day;
            lg_strlcpy(sym, in->symbol, cap);
            *lot = in->lot;
        }
    }
    assert_true(sym[0] != '\0');
}

static void write_file(const char *path, const char *text, mode_t mode) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void stop_daemon(void *arg) { lg_daemon_stop(arg); }

static int group_setup(void **state) {
    (void)state;
    fix_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/legato-cli-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->ini, sizeof f->ini, "%s/legato.ini", f->dir);
    char ini[512];
    snprintf(ini, sizeof ini,
             "[daemon]\ndata_dir = %s/var\ndurability = normal\nsummary_s = 0\nlog_level = warn\n"
             "[api]\nport = 0\nrate_per_s = 1000\nburst = 1000\n",
             f->dir);
    write_file(f->ini, ini, 0600);
    char err[512];
    lg_config_default(&f->cfg);
    assert_int_equal(lg_config_load(&f->cfg, f->ini, err, sizeof err), LG_OK);
    assert_int_equal(lg_config_env(&f->cfg, err, sizeof err), LG_OK);
    assert_int_equal(lg_config_check(&f->cfg, err, sizeof err), LG_OK);
    tl_init(&f->l);
    if (lg_daemon_start(&f->l.loop, &f->cfg, &f->d, err, sizeof err) != LG_OK)
        fail_msg("lg_daemon_start: %s", err);
    f->port = lg_daemon_api_port(f->d);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", f->port);
    snprintf(f->port_s, sizeof f->port_s, "%d", f->port);
    const lg_instruments_t *m = lg_engine_master(lg_daemon_engine(f->d));
    lg_qty_t lot = 0;
    find_symbol(m, LG_KIND_PE, 25700, f->sym[0], sizeof f->sym[0], &lot);
    find_symbol(m, LG_KIND_PE, 25900, f->sym[1], sizeof f->sym[1], &lot);
    find_symbol(m, LG_KIND_CE, 26100, f->sym[2], sizeof f->sym[2], &lot);
    find_symbol(m, LG_KIND_CE, 26300, f->sym[3], sizeof f->sym[3], &lot);
    tl_run(&f->l);
    char body[768];
    snprintf(body, sizeof body,
             "{\"legs\": [{\"symbol\": \"%s\", \"side\": \"buy\", \"qty\": %lld},\n"
             "          {\"symbol\": \"%s\", \"side\": \"sell\", \"qty\": %lld},\n"
             "          {\"symbol\": \"%s\", \"side\": \"sell\", \"qty\": %lld},\n"
             "          {\"symbol\": \"%s\", \"side\": \"buy\", \"qty\": %lld}],\n"
             " \"policy\": \"ratchet\"}\n",
             f->sym[0], (long long)lot, f->sym[1], (long long)lot, f->sym[2], (long long)lot, f->sym[3],
             (long long)lot);
    snprintf(f->condor, sizeof f->condor, "%s/condor.json", f->dir);
    write_file(f->condor, body, 0644);
    F = f;
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    fix_t *f = F;
    tl_stop(&f->l, stop_daemon, f->d);
    lg_daemon_free(f->d);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", f->dir);
    free(f);
    F = NULL;
    return 0;
}

/* ---- running a command ------------------------------------------------------------------- */

typedef struct run {
    int rc;
    char *out, *err;
} run_t;

static void run_free(run_t *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* `legato ARGS...` (NULL-terminated) in-process; out and err captured. */
static int cli(run_t *r, ...) {
    char *argv[24] = {"legato"};
    int argc = 1;
    va_list ap;
    va_start(ap, r);
    for (const char *a; argc < 23 && (a = va_arg(ap, const char *)) != NULL;) argv[argc++] = (char *)a;
    va_end(ap);
    size_t no = 0, ne = 0;
    FILE *out = open_memstream(&r->out, &no), *err = open_memstream(&r->err, &ne);
    assert_non_null(out);
    assert_non_null(err);
    r->rc = lg_cli_client(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return r->rc;
}

/* The usual way of the tests: the configuration file for the token, --url for the port. */
#define CLI(r, ...) cli(r, __VA_ARGS__, "--config", F->ini, "--url", F->url, NULL)

static json_t *run_json(run_t *r) {
    json_error_t je;
    json_t *j = json_loads(r->out, 0, &je);
    if (j == NULL) fail_msg("not JSON (%s): %s", je.text, r->out);
    return j;
}

/* The line of text starting with prefix, copied into buf ("" when none). */
static const char *line_of(const char *text, const char *prefix, char *buf, size_t cap) {
    buf[0] = '\0';
    for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, prefix, strlen(prefix)) != 0) continue;
        size_t n = strcspn(p, "\n");
        if (n >= cap) n = cap - 1;
        memcpy(buf, p, n);
        buf[n] = '\0';
        break;
    }
    return buf;
}

/* The group's state by `group ID --json`. */
static bool wait_state(const char *id, const char *want, int ms) {
    char st[32] = "";
    for (int i = 0; i < ms / 20; i++) {
        run_t r;
        if (CLI(&r, "group", id, "--json") == 0) {
            json_t *j = run_json(&r);
            lg_strlcpy(st, cl_str(j, "state"), sizeof st);
            json_decref(j);
        }
        run_free(&r);
        if (strcmp(st, want) == 0) return true;
        tc_pause_ms(20);
    }
    fprintf(stderr, "group %s: %s, not %s\n", id, st, want);
    return false;
}

/* Submits the condor until the daemon takes it (it needs its first ticks and margins);
 * the new group's id into id. */
static void submit_condor(char *id, size_t cap) {
    for (int i = 0; i < 100; i++) {
        run_t r;
        if (CLI(&r, "submit", F->condor) == 0) {
            unsigned long n = 0;
            assert_int_equal(sscanf(r.out, "group %lu submitted as an explicit group (POST /v1/groups)", &n), 1);
            snprintf(id, cap, "%lu", n);
            run_free(&r);
            return;
        }
        assert_int_equal(r.rc, 1);
        assert_non_null(strstr(r.err, "legato: POST /v1/groups: 422 "));
        run_free(&r);
        tc_pause_ms(50);
    }
    fail_msg("the condor was never accepted");
}

/* ---- the tests ------------------------------------------------------------------------------- */

static void test_status(void **state) {
    (void)state;
    run_t r;
    bool known = false; /* the first margin snapshot and ticks */
    for (int i = 0; i < 500 && !known; i++) {
        assert_int_equal(CLI(&r, "status", "--json"), 0);
        json_t *j = run_json(&r);
        json_t *risk = json_object_get(j, "risk");
        known = json_is_true(json_object_get(risk, "margins_known")) && cl_int(risk, "unpriced") == 0;
        json_decref(j);
        run_free(&r);
        if (!known) tc_pause_ms(20);
    }
    assert_true(known);
    assert_int_equal(CLI(&r, "status"), 0);
    assert_non_null(strstr(r.out, "trading         ACTIVE\n"));
    assert_non_null(strstr(r.out, "groups live     "));
    assert_non_null(strstr(r.out, "margin          available "));
    assert_non_null(strstr(r.out, "day P&L         "));
    assert_string_equal(r.err, "");
    run_free(&r);
    /* --json: one object, the API's own */
    assert_int_equal(CLI(&r, "status", "--json"), 0);
    json_t *j = run_json(&r);
    assert_true(json_is_object(j));
    assert_string_equal(cl_str(j, "trading_state"), "ACTIVE");
    assert_true(json_is_object(json_object_get(j, "counters")));
    assert_true(json_is_number(json_object_get(json_object_get(j, "risk"), "day_pnl")));
    json_decref(j);
    run_free(&r);
    /* the address and token from the environment and the defaults: no option at all */
    char data[96];
    snprintf(data, sizeof data, "%s/var", F->dir);
    setenv("LEGATO_DATA_DIR", data, 1);
    setenv("LEGATO_API_PORT", F->port_s, 1);
    assert_int_equal(cli(&r, "status", NULL), 0);
    assert_non_null(strstr(r.out, "trading         ACTIVE\n"));
    run_free(&r);
    unsetenv("LEGATO_DATA_DIR");
    unsetenv("LEGATO_API_PORT");
    /* or given: --token-file */
    assert_int_equal(cli(&r, "status", "--url", F->url, "--token-file", F->cfg.token_file, NULL), 0);
    run_free(&r);
}

static void test_condor(void **state) {
    (void)state;
    char id[16], line[512];
    submit_condor(id, sizeof id);
    run_t r;
    /* listed, among whatever the example strategies hold */
    assert_int_equal(CLI(&r, "groups"), 0);
    assert_non_null(strstr(r.out, "    ID  STATE"));
    char row[24];
    snprintf(row, sizeof row, "%6s  ", id);
    line_of(r.out, row, line, sizeof line);
    assert_non_null(strstr(line, F->sym[0]));
    assert_non_null(strstr(line, F->sym[3]));
    run_free(&r);
    assert_int_equal(CLI(&r, "groups", "--json"), 0);
    json_t *j = run_json(&r), *g;
    size_t i;
    bool mine = false;
    json_array_foreach(json_object_get(j, "groups"), i, g) mine |= cl_int(g, "id") == atoll(id);
    assert_true(mine);
    json_decref(j);
    run_free(&r);
    /* HEDGED in its timeline */
    bool hedged = false;
    for (int k = 0; k < 500 && !hedged; k++) {
        assert_int_equal(CLI(&r, "group", id), 0);
        hedged = strstr(line_of(r.out, "timeline: ", line, sizeof line), "HEDGED") != NULL;
        if (hedged) {
            assert_non_null(strstr(r.out, "protection"));
            assert_non_null(strstr(r.out, "covered by #"));
            assert_non_null(strstr(r.out, "COMPLETE"));
        }
        run_free(&r);
        if (!hedged) tc_pause_ms(20);
    }
    assert_true(hedged);
    assert_true(strstr(line, "CREATED -> VALIDATED -> ") == line + strlen("timeline: "));
    assert_int_equal(CLI(&r, "positions"), 0);
    assert_non_null(strstr(r.out, F->sym[2]));
    assert_non_null(strstr(r.out, "greeks per underlying:"));
    assert_non_null(strstr(r.out, "\nNIFTY "));
    run_free(&r);
    /* exit -> CLOSED */
    assert_int_equal(CLI(&r, "exit", id), 0);
    assert_non_null(strstr(r.out, "exit asked"));
    run_free(&r);
    assert_true(wait_state(id, "CLOSED", 10000));
    assert_int_equal(CLI(&r, "group", id), 0);
    assert_non_null(strstr(line_of(r.out, "timeline: ", line, sizeof line), "HEDGED -> CLOSING -> CLOSED"));
    run_free(&r);
    /* --json is the API's body itself */
    char path[48];
    snprintf(path, sizeof path, "/v1/groups/%s", id);
    char auth[128];
    snprintf(auth, sizeof auth, "Bearer %s", lg_daemon_api_token(F->d));
    tc_resp_t t;
    assert_int_equal(tc_request(F->port, "GET", path, auth, NULL, &t), 200);
    assert_int_equal(CLI(&r, "group", id, "--json"), 0);
    assert_int_equal(strlen(r.out), t.len + 1);
    assert_memory_equal(r.out, t.body, t.len);
    tc_free(&t);
    run_free(&r);
    /* an exit of a group that is not there: 404 */
    assert_int_equal(CLI(&r, "exit", "4000000000"), 1);
    assert_non_null(strstr(r.err, "legato: POST /v1/groups/4000000000/exit: 404 "));
    run_free(&r);
}

static void test_intent(void **state) {
    (void)state;
    char path[96], body[512];
    run_t r;
    /* a key only intents take: decoded by /v1/intents, which names the field */
    snprintf(path, sizeof path, "%s/intent-bad.json", F->dir);
    snprintf(body, sizeof body,
             "{\"legs\": [{\"symbol\": \"%s\", \"side\": \"buy\", \"qty\": 65}], \"confidence\": 2}", F->sym[0]);
    write_file(path, body, 0644);
    assert_int_equal(CLI(&r, "submit", path), 1);
    assert_non_null(strstr(r.err, "legato: POST /v1/intents: 400 "));
    run_free(&r);
    /* legs with ratios, read from standard input */
    snprintf(path, sizeof path, "%s/intent.json", F->dir);
    snprintf(body, sizeof body,
             "{\"legs\": [{\"symbol\": \"%s\", \"side\": \"buy\", \"ratio\": 1},"
             " {\"symbol\": \"%s\", \"side\": \"sell\", \"ratio\": 1}], \"entry_timeout_ms\": 20000}",
             F->sym[0], F->sym[1]);
    write_file(path, body, 0644);
    assert_non_null(freopen(path, "r", stdin));
    int rc = CLI(&r, "submit", "-");
    assert_non_null(freopen("/dev/null", "r", stdin));
    if (rc == 0) /* sized, or refused by the risk engine: either way /v1/intents answered */
        assert_non_null(strstr(r.out, "submitted as an intent, sized by the risk engine (POST /v1/intents)"));
    else
        assert_non_null(strstr(r.err, "legato: POST /v1/intents: 422 "));
    run_free(&r);
}

static void test_kill_resume(void **state) {
    (void)state;
    run_t r;
    assert_int_equal(CLI(&r, "kill"), 0);
    assert_string_equal(r.out, "trading HALTED\n");
    run_free(&r);
    assert_int_equal(CLI(&r, "status"), 0);
    assert_non_null(strstr(r.out, "trading         HALTED"));
    run_free(&r);
    assert_int_equal(CLI(&r, "submit", F->condor), 1);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "legato: POST /v1/groups: 422 "));
    assert_non_null(strstr(r.err, "HALTED"));
    run_free(&r);
    assert_int_equal(CLI(&r, "resume"), 0);
    assert_string_equal(r.out, "trading ACTIVE\n");
    run_free(&r);
    assert_int_equal(CLI(&r, "status", "--json"), 0);
    json_t *j = run_json(&r);
    assert_string_equal(cl_str(j, "trading_state"), "ACTIVE");
    json_decref(j);
    run_free(&r);
}

static void test_tokens(void **state) {
    (void)state;
    char open_tok[96], bad_tok[96], none[96], text[160];
    run_t r;
    /* the right token in a file others may read: refused before anything is sent */
    snprintf(open_tok, sizeof open_tok, "%s/open.token", F->dir);
    snprintf(text, sizeof text, "%s\n", lg_daemon_api_token(F->d));
    write_file(open_tok, text, 0644);
    assert_int_equal(cli(&r, "status", "--url", F->url, "--token-file", open_tok, NULL), 2);
    assert_non_null(strstr(r.err, open_tok));
    assert_non_null(strstr(r.err, "may be read by group or others"));
    assert_string_equal(r.out, "");
    run_free(&r);
    /* a wrong token: the API's 401 */
    snprintf(bad_tok, sizeof bad_tok, "%s/bad.token", F->dir);
    write_file(bad_tok, "0123456789abcdef0123456789abcdef\n", 0600);
    assert_int_equal(cli(&r, "groups", "--url", F->url, "--token-file", bad_tok, NULL), 1);
    assert_non_null(strstr(r.err, "legato: GET /v1/groups: 401 a valid 'Authorization: Bearer <token>' header"));
    run_free(&r);
    snprintf(none, sizeof none, "%s/none.token", F->dir);
    assert_int_equal(cli(&r, "status", "--url", F->url, "--token-file", none, NULL), 2);
    assert_non_null(strstr(r.err, none));
    run_free(&r);
}

static void test_no_daemon(void **state) {
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* a port nobody listens on */
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    close(fd);
    char url[64], want[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
    snprintf(want, sizeof want, "legato: no daemon at %s (is `legato run` running?)\n", url);
    run_t r;
    assert_int_equal(cli(&r, "status", "--config", F->ini, "--url", url, NULL), 1);
    assert_string_equal(r.err, want);
    assert_string_equal(r.out, "");
    run_free(&r);
    /* the configuration's port 0 is no address */
    assert_int_equal(cli(&r, "status", "--config", F->ini, NULL), 2);
    assert_non_null(strstr(r.err, "--url"));
    run_free(&r);
}

static void test_usage(void **state) {
    (void)state;
    char notjson[96];
    snprintf(notjson, sizeof notjson, "%s/not.json", F->dir);
    write_file(notjson, "{\"legs\": [", 0644);
    const char *const BAD[][3] = {
        {"group", NULL, NULL},           {"group", "abc", NULL},     {"exit", "0", NULL},
        {"exit", "4294967296", NULL},    {"status", "--bogus", NULL}, {"status", "extra", NULL},
        {"status", "--url", NULL},       {"status", "--url", "ftp://127.0.0.1:1"},
        {"status", "--url", "http://127.0.0.1"}, {"submit", NULL, NULL},
        {"submit", "/nonexistent/g.json", NULL}, {"submit", notjson, NULL},
        {"group", "1", "2"},
    };
    for (size_t i = 0; i < LG_COUNT(BAD); i++) {
        run_t r;
        int rc = cli(&r, BAD[i][0], BAD[i][1], BAD[i][2], NULL);
        if (rc != 2) fail_msg("legato %s %s %s: %d, not 2", BAD[i][0], BAD[i][1] ? BAD[i][1] : "",
                              BAD[i][2] ? BAD[i][2] : "", rc);
        assert_true(strncmp(r.err, "legato", 6) == 0);
        assert_string_equal(r.out, "");
        run_free(&r);
    }
    run_t r;
    assert_int_equal(cli(&r, "submit", notjson, NULL), 2);
    assert_non_null(strstr(r.err, "not JSON"));
    run_free(&r);
    assert_int_equal(cli(&r, "status", "--help", NULL), 0);
    assert_non_null(strstr(r.out, "usage: legato status | groups | group ID"));
    run_free(&r);
    assert_true(lg_cli_is_client("positions"));
    assert_false(lg_cli_is_client("run"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status),      cmocka_unit_test(test_condor),
        cmocka_unit_test(test_intent),      cmocka_unit_test(test_kill_resume),
        cmocka_unit_test(test_tokens),      cmocka_unit_test(test_no_daemon),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
