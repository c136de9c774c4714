/*
 * test_restart.c — kill -9 in the middle of a group, as a user would meet it: `legato sim`
 * and `legato run` (live mode, pointed at the simulator as at Kite) as two processes,
 * driven over HTTP only.
 *
 *   an iron condor is submitted with its fills held back at the exchange: the wings are
 *   placed, nothing has filled; the daemon is killed with SIGKILL
 *   the daemon is started again on the same journal: it replays it, reconciles with the
 *   exchange's order book and positions, and goes on — the condor reaches HEDGED
 *   no order was placed twice (every tag once in the exchange's book), every leg filled
 *   exactly its quantity, trading is ACTIVE (nothing unexplained), the exit closes it
 *
 * The two binaries are the build's `legato` (next to this test's executable).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../unit/test_http_client.h"

#include <fcntl.h>
#include <stdbool.h>
#include <jansson.h>
#include <libgen.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define SIM_AUTH "token legato_sim:legato_sim_token"

typedef struct fix {
    char dir[64], bin[512], ini[128];
    pid_t sim, daemon;
    int sim_port, api_port;
    char auth[128];
    int starts;
    struct {
        uint32_t token;
        char symbol[48];
        long lot;
    } legs[4]; /* put wing, short put, short call, call wing */
} fix_t;

static pid_t spawn(char *const argv[], const char *log) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("LEGATO_KITE_API_KEY", "legato_sim", 1);
        setenv("LEGATO_KITE_ACCESS_TOKEN", "legato_sim_token", 1);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* The number after `after` in the first line of the log that has it (waits up to 15 s). */
static int log_number(const char *log, const char *after) {
    for (int i = 0; i < 1500; i++) {
        FILE *f = fopen(log, "r");
        char line[1024];
        while (f != NULL && fgets(line, sizeof line, f) != NULL) {
            const char *p = strstr(line, after);
            if (p != NULL) {
                fclose(f);
                return atoi(p + strlen(after));
            }
        }
        if (f != NULL) fclose(f);
        tc_pause_ms(10);
    }
    fail_msg("%s: no '%s' in 15 s", log, after);
    return -1;
}

static void start_daemon(fix_t *f) {
    char log[128];
    snprintf(log, sizeof log, "%s/daemon-%d.log", f->dir, ++f->starts);
    char *argv[] = {f->bin, "run", "--config", f->ini, NULL};
    f->daemon = spawn(argv, log);
    f->api_port = log_number(log, "control API on http://127.0.0.1:");
    char path[128], tok[96] = "";
    snprintf(path, sizeof path, "%s/var/api.token", f->dir);
    FILE *t = fopen(path, "r");
    assert_non_null(t);
    assert_non_null(fgets(tok, sizeof tok, t));
    fclose(t);
    tok[strcspn(tok, "\r\n")] = '\0';
    snprintf(f->auth, sizeof f->auth, "Bearer %s", tok);
}

/* The condor's legs from the exchange's master: NIFTY, nearest expiry, strikes as the
 * daemon test uses them. */
static void find_legs(fix_t *f) {
    tc_resp_t r;
    assert_int_equal(tc_request(f->sim_port, "GET", "/instruments/NFO", SIM_AUTH, NULL, &r), 200);
    static const int strikes[4] = {25700, 25900, 26100, 26300};
    static const char *const kinds[4] = {"PE", "PE", "CE", "CE"};
    char best[4][16] = {{0}};
    for (char *line = strtok(r.body, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *col[12] = {0};
        int n = 0;
        for (char *p = line; n < 12; n++) {
            col[n] = p;
            char *c = strchr(p, ',');
            if (c == NULL) break;
            *c = '\0';
            p = c + 1;
        }
        if (n < 11 || strcmp(col[3], "\"NIFTY\"") != 0) continue;
        for (int k = 0; k < 4; k++) {
            if (atoi(col[6]) != strikes[k] || strcmp(col[9], kinds[k]) != 0) continue;
            if (best[k][0] != '\0' && strcmp(col[5], best[k]) >= 0) continue; /* ISO dates sort */
            snprintf(best[k], sizeof best[k], "%s", col[5]);
            f->legs[k].token = (uint32_t)strtoul(col[0], NULL, 10);
            snprintf(f->legs[k].symbol, sizeof f->legs[k].symbol, "%s", col[2]);
            f->legs[k].lot = atol(col[8]);
        }
    }
    tc_free(&r);
    for (int k = 0; k < 4; k++) assert_true(f->legs[k].token != 0);
}

static int setup(void **state) {
    fix_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/legato-restart-%d", (int)getpid());
    mkdir(f->dir, 0700);
    char self[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    snprintf(f->bin, sizeof f->bin, "%s/legato", dirname(self));
    char log[128];
    snprintf(log, sizeof log, "%s/sim.log", f->dir);
    char *argv[] = {f->bin, "sim", "--port", "0", "--seed", "7", NULL};
    f->sim = spawn(argv, log);
    f->sim_port = log_number(log, "rest http://127.0.0.1:");
    snprintf(f->ini, sizeof f->ini, "%s/live.ini", f->dir);
    FILE *c = fopen(f->ini, "w");
    assert_non_null(c);
    fprintf(c,
            "[daemon]\nmode = live\ndata_dir = %s/var\ndurability = normal\nsummary_s = 0\n"
            "[api]\nport = 0\nrate_per_s = 1000\nburst = 1000\n"
            "[broker]\nrest_root = http://127.0.0.1:%d\nws_root = ws://127.0.0.1:%d/ws\n"
            "freeze_file = %s/data/freeze_qty.csv\n"
            "[strategy.ema]\nenabled = false\n[strategy.condor]\nenabled = false\n",
            f->dir, f->sim_port, f->sim_port, LG_SOURCE_DIR);
    fclose(c);
    find_legs(f);
    *state = f;
    return 0;
}

static void end(pid_t pid, int sig) {
    if (pid <= 0) return;
    kill(pid, sig);
    int st = 0;
    waitpid(pid, &st, 0);
}

static int teardown(void **state) {
    fix_t *f = *state;
    end(f->daemon, SIGKILL);
    end(f->sim, SIGTERM);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", f->dir);
    free(f);
    return 0;
}

static int api(fix_t *f, const char *method, const char *path, const char *body, tc_resp_t *r) {
    return tc_request(f->api_port, method, path, f->auth, body, r);
}

static json_t *get_json(int port, const char *path, const char *auth) {
    tc_resp_t r;
    int st = tc_request(port, "GET", path, auth, NULL, &r);
    json_t *j = st == 200 ? json_loads(r.body, 0, NULL) : NULL;
    tc_free(&r);
    return j;
}

static const char *group_state(fix_t *f, uint32_t id, char *buf, size_t cap) {
    char path[64];
    snprintf(path, sizeof path, "/v1/groups/%u", id);
    json_t *g = get_json(f->api_port, path, f->auth);
    snprintf(buf, cap, "%s", g != NULL ? json_string_value(json_object_get(g, "state")) : "?");
    json_decref(g);
    return buf;
}

static bool wait_state(fix_t *f, uint32_t id, const char *want, int ms) {
    char st[32] = "";
    for (int i = 0; i < ms / 50; i++) {
        if (strcmp(group_state(f, id, st, sizeof st), want) == 0) return true;
        tc_pause_ms(50);
    }
    fprintf(stderr, "group %u: %s, not %s\n", id, st, want);
    return false;
}

/* The exchange's order book: how many orders, and whether any tag is there twice. */
static int book(fix_t *f, int *dup) {
    json_t *j = get_json(f->sim_port, "/orders", SIM_AUTH);
    assert_non_null(j);
    json_t *data = json_object_get(j, "data"), *o;
    size_t n = json_array_size(data), i, k;
    *dup = 0;
    json_array_foreach(data, i, o) {
        const char *t = json_string_value(json_object_get(o, "tag"));
        for (k = 0; k < i && t != NULL; k++) {
            const char *u = json_string_value(json_object_get(json_array_get(data, k), "tag"));
            if (u != NULL && strcmp(t, u) == 0) (*dup)++;
        }
    }
    json_decref(j);
    return (int)n;
}

static void hold_fills(fix_t *f, int ms) {
    for (int k = 0; k < 4; k++) {
        char body[128];
        snprintf(body, sizeof body, "tradingsymbol=%s&ms=%d", f->legs[k].symbol, ms);
        tc_resp_t r;
        assert_int_equal(tc_request(f->sim_port, "POST", "/admin/delay", SIM_AUTH, body, &r), 200);
        tc_free(&r);
    }
}

static void test_kill9_mid_group(void **state) {
    fix_t *f = *state;
    start_daemon(f);
    static const char *const side[4] = {"buy", "sell", "sell", "buy"};
    char body[768];
    int w = snprintf(body, sizeof body, "{\"legs\":[");
    for (int k = 0; k < 4; k++)
        w += snprintf(body + w, sizeof body - (size_t)w, "%s{\"token\":%u,\"side\":\"%s\",\"qty\":%ld}",
                      k ? "," : "", f->legs[k].token, side[k], f->legs[k].lot);
    snprintf(body + w, sizeof body - (size_t)w, "]}");
    /* Fills held back four seconds at the exchange; the first prices take a moment. */
    hold_fills(f, 4000);
    uint32_t id = 0;
    for (int i = 0; i < 100 && id == 0; i++) {
        tc_resp_t r;
        if (api(f, "POST", "/v1/groups", body, &r) == 201) {
            json_t *g = json_loads(r.body, 0, NULL);
            id = (uint32_t)json_integer_value(json_object_get(g, "id"));
            json_decref(g);
        } else {
            tc_pause_ms(100);
        }
        tc_free(&r);
    }
    assert_true(id > 0);
    int dup = 0, placed = 0;
    for (int i = 0; i < 100 && (placed = book(f, &dup)) < 2; i++) tc_pause_ms(20);
    assert_true(placed >= 2); /* the wings are at the exchange, unfilled */
    char st[32];
    assert_string_not_equal(group_state(f, id, st, sizeof st), "HEDGED");

    end(f->daemon, SIGKILL);
    f->daemon = 0;
    int before = book(f, &dup);
    assert_int_equal(dup, 0);

    start_daemon(f); /* the same journal: replay, then the exchange's book */
    assert_true(wait_state(f, id, "HEDGED", 20000));
    int after = book(f, &dup);
    assert_int_equal(dup, 0); /* nothing placed twice */
    assert_true(after >= before);
    assert_true(after >= 4);
    json_t *s = get_json(f->api_port, "/v1/status", f->auth);
    assert_non_null(s);
    assert_string_equal(json_string_value(json_object_get(s, "trading_state")), "ACTIVE");
    json_decref(s);
    /* Every leg holds exactly its quantity at the exchange. */
    json_t *p = get_json(f->sim_port, "/portfolio/positions", SIM_AUTH);
    assert_non_null(p);
    json_t *net = json_object_get(json_object_get(p, "data"), "net"), *row;
    size_t i;
    int legs_ok = 0;
    json_array_foreach(net, i, row) {
        uint32_t tok = (uint32_t)json_integer_value(json_object_get(row, "instrument_token"));
        long q = (long)json_integer_value(json_object_get(row, "quantity"));
        for (int k = 0; k < 4; k++)
            legs_ok += tok == f->legs[k].token && q == (strcmp(side[k], "buy") == 0 ? 1 : -1) * f->legs[k].lot;
    }
    json_decref(p);
    assert_int_equal(legs_ok, 4);
    /* And it goes on as before: the exit closes it; SIGTERM ends the daemon cleanly. */
    char path[64];
    snprintf(path, sizeof path, "/v1/groups/%u/exit", id);
    tc_resp_t r;
    assert_int_equal(api(f, "POST", path, NULL, &r), 202);
    tc_free(&r);
    assert_true(wait_state(f, id, "CLOSED", 15000));
    kill(f->daemon, SIGTERM);
    int wst = 0;
    assert_int_equal(waitpid(f->daemon, &wst, 0), f->daemon);
    f->daemon = 0;
    assert_true(WIFEXITED(wst));
    assert_int_equal(WEXITSTATUS(wst), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill9_mid_group, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
