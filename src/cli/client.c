/*
 * client.c — the client commands of `legato` (cli_int.h): each is one request to a
 * running daemon's control API (docs/API.md), its answer printed as a table, or with
 * --json as the API's JSON object itself.
 *
 *   status | groups | group ID | positions | kill | resume | exit ID | submit FILE
 *
 * The address and the token come from the daemon's own configuration (--config FILE,
 * else the embedded defaults, then the environment: [api] host, port, token_file);
 * --url and --token-file override them. The token file is refused when group or
 * others may read it. `submit FILE` ('-': standard input) sends an intent when the
 * object has a key only intents take (direction, confidence, decision_price,
 * broker_margin) or a leg with "ratio", an explicit group otherwise. docs/CLI.md.
 */
#include "cli_int.h"

#include "legato/config.h"
#include "legato/daemon.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SUBMIT_MAX (4u * 1024u * 1024u) /* the largest file submit reads */

typedef struct cl_cmd {
    const char *name;
    const char *operand; /* NULL, "ID" or "FILE" */
    const char *method;
    const char *path;    /* "%u": the ID */
    void (*print)(FILE *out, json_t *j, const char *path);
} cl_cmd_t;

typedef struct cl_opts {
    const cl_cmd_t *cmd;
    const char *operand;
    const char *config, *url, *token_file;
    bool json, help;
} cl_opts_t;

/* ---- printing helpers ---------------------------------------------------------------- */

static const char *cl_str(json_t *o, const char *k) {
    const char *s = json_string_value(json_object_get(o, k));
    return s != NULL ? s : "?";
}

static double cl_num(json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

static long long cl_int(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (long long)json_integer_value(v) : (long long)json_number_value(v);
}

/* Rupees with 2 decimals ("-0.00" never shown). */
static const char *cl_money(char *buf, size_t cap, double rupees) {
    if (fabs(rupees) < 0.005) rupees = 0.0;
    snprintf(buf, cap, "%.2f", rupees);
    return buf;
}

static long long cl_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A duration from Unix ms `from` to now: "45s", "3m12s", "2h05m", "3d04h"; "-" unknown. */
static const char *cl_age(char *buf, size_t cap, long long from_ms) {
    long long s = (cl_now_ms() - from_ms) / 1000;
    if (from_ms <= 0 || s < 0) snprintf(buf, cap, "-");
    else if (s < 60) snprintf(buf, cap, "%llds", s);
    else if (s < 3600) snprintf(buf, cap, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400) snprintf(buf, cap, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else snprintf(buf, cap, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
    return buf;
}

/* Local wall-clock time of a Unix ms ("-" for 0). */
static const char *cl_clock(char *buf, size_t cap, long long ms) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || localtime_r(&t, &tm) == NULL) snprintf(buf, cap, "-");
    else strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

/* "+75 NIFTY26JUL25700PE -75 NIFTY26JUL25900PE ..." (target units, + bought). */
static const char *cl_legs(char *buf, size_t cap, json_t *legs) {
    size_t n = 0, i;
    json_t *l;
    buf[0] = '\0';
    json_array_foreach(legs, i, l) {
        if (n + 1 >= cap) break;
        int k = snprintf(buf + n, cap - n, "%s%c%lld %s", i > 0 ? " " : "",
                         strcmp(cl_str(l, "side"), "buy") == 0 ? '+' : '-', cl_int(l, "target"),
                         cl_str(l, "symbol"));
        if (k < 0) break;
        n += (size_t)k;
    }
    if (n >= cap && cap > 4) memcpy(buf + cap - 4, "...", 4);
    return buf;
}

/* ---- the answers as tables ------------------------------------------------------------- */

static void cl_print_risk(FILE *out, json_t *r) {
    char a[32], b[32], c[32];
    if (json_is_true(json_object_get(r, "margins_known")))
        fprintf(out, "margin          available %s, reserved %s\n", cl_money(a, sizeof a, cl_num(r, "available")),
                cl_money(b, sizeof b, cl_num(r, "reserved")));
    else
        fprintf(out, "margin          not known yet (no margin snapshot), reserved %s\n",
                cl_money(b, sizeof b, cl_num(r, "reserved")));
    fprintf(out, "day P&L         %s (realised cash %s, mark %s)\n", cl_money(a, sizeof a, cl_num(r, "day_pnl")),
            cl_money(b, sizeof b, cl_num(r, "realised_cash")), cl_money(c, sizeof c, cl_num(r, "mark")));
    if (cl_int(r, "unpriced") > 0)
        fprintf(out, "                incomplete: %lld held instruments without a price\n", cl_int(r, "unpriced"));
    fprintf(out, "loss limit      %s a day\n", cl_money(a, sizeof a, cl_num(r, "daily_loss_limit")));
}

static void cl_print_status(FILE *out, json_t *j, const char *path) {
    (void)path;
    json_t *k = json_object_get(j, "counters"), *r = json_object_get(j, "risk");
    fprintf(out, "trading         %s%s\n", cl_str(j, "trading_state"),
            json_is_true(json_object_get(j, "recovering")) ? " (recovering)" : "");
    fprintf(out, "groups live     %lld (submitted %lld, rejected %lld)\n", cl_int(k, "groups_live"),
            cl_int(k, "groups_submitted"), cl_int(k, "groups_rejected"));
    fprintf(out, "intents         %lld (sized %lld, refused by the risk engine %lld)\n", cl_int(k, "intents"),
            cl_int(k, "intents_sized"), cl_int(k, "risk_refused"));
    fprintf(out, "emergencies     %lld, kill switches %lld\n", cl_int(k, "emergencies"), cl_int(k, "halts"));
    cl_print_risk(out, r);
    fprintf(out, "orders          %lld in the last minute\n", cl_int(r, "orders_last_minute"));
}

/* One row of the groups table. */
static void cl_group_row(FILE *out, json_t *g) {
    char units[16], age[24], legs[512];
    json_t *sz = json_object_get(g, "sizing");
    if (json_is_object(sz) && cl_int(sz, "units") > 0) snprintf(units, sizeof units, "%lld", cl_int(sz, "units"));
    else snprintf(units, sizeof units, "-");
    fprintf(out, "%6lld  %-18s %-16s %5s  %-7s %s\n", cl_int(g, "id"), cl_str(g, "state"), cl_str(g, "policy"),
            units, cl_age(age, sizeof age, cl_int(g, "created_ms")),
            cl_legs(legs, sizeof legs, json_object_get(g, "legs")));
}

static void cl_group_head(FILE *out) {
    fprintf(out, "%6s  %-18s %-16s %5s  %-7s %s\n", "ID", "STATE", "POLICY", "UNITS", "AGE", "LEGS (+ bought, - sold)");
}

static void cl_print_groups(FILE *out, json_t *j, const char *path) {
    (void)path;
    json_t *arr = json_object_get(j, "groups"), *g;
    size_t i;
    if (json_array_size(arr) == 0) {
        fprintf(out, "no groups\n");
        return;
    }
    cl_group_head(out);
    json_array_foreach(arr, i, g) cl_group_row(out, g);
}

static void cl_print_group(FILE *out, json_t *g, const char *path) {
    (void)path;
    char a[32], b[32], t[32];
    fprintf(out, "group %lld: %s   policy %s, on_incomplete %s\n", cl_int(g, "id"), cl_str(g, "state"),
            cl_str(g, "policy"), cl_str(g, "on_incomplete"));
    fprintf(out, "created   %s (%s ago)\n", cl_clock(t, sizeof t, cl_int(g, "created_ms")),
            cl_age(a, sizeof a, cl_int(g, "created_ms")));
    if (cl_int(g, "finished_ms") > 0)
        fprintf(out, "finished  %s\n", cl_clock(t, sizeof t, cl_int(g, "finished_ms")));
    fprintf(out, "cash      %s   naked units %lld   reversal orders %lld\n",
            cl_money(a, sizeof a, cl_num(g, "cash")), cl_int(g, "naked"), cl_int(g, "reversal_orders"));
    json_t *sz = json_object_get(g, "sizing");
    if (json_is_object(sz) && cl_int(sz, "units") > 0)
        fprintf(out, "sizing    %lld units (bound: %s), worst partial-fill need %s\n", cl_int(sz, "units"),
                cl_str(sz, "bound"), cl_money(b, sizeof b, cl_num(sz, "worst_need")));
    fprintf(out, "\nlegs:\n  %2s  %-4s %-22s %8s %8s %8s %8s  %s\n", "#", "SIDE", "SYMBOL", "TARGET", "FILLED",
            "REVERSED", "HELD", "ROLE");
    json_t *x;
    size_t i;
    json_array_foreach(json_object_get(g, "legs"), i, x) {
        char role[32];
        if (json_is_true(json_object_get(x, "protection"))) snprintf(role, sizeof role, "protection");
        else if (cl_int(x, "covered_by") >= 0) snprintf(role, sizeof role, "covered by #%lld", cl_int(x, "covered_by"));
        else role[0] = '\0';
        fprintf(out, "  %2zu  %-4s %-22s %8lld %8lld %8lld %8lld  %s\n", i, cl_str(x, "side"), cl_str(x, "symbol"),
                cl_int(x, "target"), cl_int(x, "entry_filled"), cl_int(x, "reversed"), cl_int(x, "held"), role);
    }
    fprintf(out, "\ntimeline: ");
    json_array_foreach(json_object_get(g, "timeline"), i, x) fprintf(out, "%s%s", i > 0 ? " -> " : "", json_string_value(x));
    fprintf(out, "\n\norders:\n");
    json_t *orders = json_object_get(g, "orders");
    if (json_array_size(orders) == 0) {
        fprintf(out, "  none\n");
        return;
    }
    fprintf(out, "  %-20s %-19s %-4s %-22s %-8s %7s %7s %10s %10s  %s\n", "TAG", "BROKER_ID", "SIDE", "SYMBOL", "TYPE",
            "QTY", "FILLED", "PRICE", "AVG", "STATE");
    json_array_foreach(orders, i, x) {
        double price = cl_num(x, "price"), avg = cl_num(x, "avg_price"); /* 0: market, no fill */
        fprintf(out, "  %-20s %-19s %-4s %-22s %-8s %7lld %7lld %10s %10s  %s\n", cl_str(x, "tag"),
                cl_str(x, "broker_id")[0] ? cl_str(x, "broker_id") : "-", cl_str(x, "side"), cl_str(x, "symbol"),
                cl_str(x, "type"), cl_int(x, "qty"), cl_int(x, "filled"),
                price > 0 ? cl_money(a, sizeof a, price) : "-", avg > 0 ? cl_money(b, sizeof b, avg) : "-",
                cl_str(x, "state"));
    }
}

static void cl_greeks_cols(FILE *out, json_t *gk) {
    if (!json_is_object(gk)) {
        fprintf(out, "%10s %10s %10s %10s", "-", "-", "-", "-");
        return;
    }
    fprintf(out, "%10.2f %10.4f %10.2f %10.2f", cl_num(gk, "delta"), cl_num(gk, "gamma"), cl_num(gk, "vega"),
            cl_num(gk, "theta"));
}

static void cl_print_positions(FILE *out, json_t *j, const char *path) {
    (void)path;
    json_t *rows = json_object_get(j, "positions"), *p;
    size_t i;
    char a[32], b[32], c[32];
    if (json_array_size(rows) == 0) {
        fprintf(out, "no positions\n");
    } else {
        fprintf(out, "%-22s %8s %10s %12s %12s %6s %10s %10s %10s %10s\n", "SYMBOL", "QTY", "LTP", "VALUE", "P&L",
                "IV", "DELTA", "GAMMA", "VEGA", "THETA");
        json_array_foreach(rows, i, p) {
            fprintf(out, "%-22s %8lld %10s %12s %12s %5.1f%% ", cl_str(p, "symbol"), cl_int(p, "qty"),
                    cl_money(a, sizeof a, cl_num(p, "ltp")), cl_money(b, sizeof b, cl_num(p, "value")),
                    cl_money(c, sizeof c, cl_num(p, "pnl")), cl_num(p, "iv") * 100.0);
            cl_greeks_cols(out, json_object_get(p, "greeks"));
            fprintf(out, "\n");
            if (json_is_string(json_object_get(p, "greeks_missing")))
                fprintf(out, "%22s   greeks: %s\n", "", cl_str(p, "greeks_missing"));
        }
    }
    json_t *tot = json_object_get(j, "greeks"), *g;
    const char *und;
    if (json_object_size(tot) > 0) {
        fprintf(out, "\ngreeks per underlying:\n%-22s %10s %10s %10s %10s\n", "UNDERLYING", "DELTA", "GAMMA", "VEGA",
                "THETA");
        json_object_foreach(tot, und, g) {
            fprintf(out, "%-22s ", und);
            cl_greeks_cols(out, g);
            fprintf(out, "\n");
        }
    }
    fprintf(out, "\n");
    cl_print_risk(out, json_object_get(j, "risk"));
}

static void cl_print_trading(FILE *out, json_t *j, const char *path) {
    (void)path;
    json_t *g = json_object_get(j, "group");
    if (json_is_object(g))
        fprintf(out, "group %lld: exit asked, now %s\n", cl_int(g, "id"), cl_str(g, "state"));
    fprintf(out, "trading %s\n", cl_str(j, "trading_state"));
}

static void cl_print_submitted(FILE *out, json_t *g, const char *path) {
    bool intent = strcmp(path, "/v1/intents") == 0;
    fprintf(out, "group %lld submitted as %s (POST %s): %s\n", cl_int(g, "id"),
            intent ? "an intent, sized by the risk engine" : "an explicit group", path, cl_str(g, "state"));
    cl_group_head(out);
    cl_group_row(out, g);
}

static const cl_cmd_t CMDS[] = {
    {"status", NULL, "GET", "/v1/status", cl_print_status},
    {"groups", NULL, "GET", "/v1/groups", cl_print_groups},
    {"group", "ID", "GET", "/v1/groups/%u", cl_print_group},
    {"positions", NULL, "GET", "/v1/positions", cl_print_positions},
    {"kill", NULL, "POST", "/v1/kill", cl_print_trading},
    {"resume", NULL, "POST", "/v1/resume", cl_print_trading},
    {"exit", "ID", "POST", "/v1/groups/%u/exit", cl_print_trading},
    {"submit", "FILE", "POST", "/v1/groups", cl_print_submitted}, /* or /v1/intents */
};

/* ---- the command line ------------------------------------------------------------------ */

static void cl_usage(FILE *f) {
    fprintf(f,
            "usage: legato status | groups | group ID | positions | kill | resume | exit ID | submit FILE\n"
            "              [--config FILE] [--url http://HOST:PORT] [--token-file F] [--json]\n"
            "  the address and token: the daemon's configuration ([api] host, port, token_file of\n"
            "  --config FILE, else the defaults and LEGATO_API_PORT, LEGATO_DATA_DIR); --url and\n"
            "  --token-file override them. --json prints the API's JSON answer as it is.\n"
            "  submit FILE ('-': standard input): an intent (POST /v1/intents) when the object has\n"
            "  direction, confidence, decision_price or broker_margin, or a leg with \"ratio\";\n"
            "  an explicit group (POST /v1/groups) otherwise.\n"
            "  exit status: 0 done, 1 the API refused or no daemon answered, 2 a usage error\n"
            "  (options, configuration, token file, the submitted file: nothing was sent)\n");
}

bool lg_cli_is_client(const char *command) {
    for (size_t i = 0; command != NULL && i < LG_COUNT(CMDS); i++)
        if (strcmp(command, CMDS[i].name) == 0) return true;
    return false;
}

/* --opt VALUE or --opt=VALUE; NULL when o is not that option. */
static const char *cl_opt_value(const char *name, int argc, char **argv, int *i, bool *missing) {
    size_t n = strlen(name);
    const char *o = argv[*i];
    if (strncmp(o, name, n) != 0) return NULL;
    if (o[n] == '=') return o + n + 1;
    if (o[n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static int cl_parse(int argc, char **argv, cl_opts_t *o, FILE *err) {
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < LG_COUNT(CMDS); i++)
        if (strcmp(argv[1], CMDS[i].name) == 0) o->cmd = &CMDS[i];
    LG_ASSERT(o->cmd != NULL);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v;
        bool missing = false;
        if (strcmp(a, "--json") == 0) o->json = true;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) o->help = true;
        else if ((v = cl_opt_value("--config", argc, argv, &i, &missing)) != NULL) o->config = v;
        else if ((v = cl_opt_value("--url", argc, argv, &i, &missing)) != NULL) o->url = v;
        else if ((v = cl_opt_value("--token-file", argc, argv, &i, &missing)) != NULL) o->token_file = v;
        else if (missing) {
            fprintf(err, "legato %s: %s needs a value\n", o->cmd->name, a);
            return 2;
        } else if ((a[0] != '-' || strcmp(a, "-") == 0) && o->cmd->operand != NULL && o->operand == NULL) {
            o->operand = a;
        } else {
            fprintf(err, "legato %s: unexpected '%s'\n", o->cmd->name, a);
            cl_usage(err);
            return 2;
        }
    }
    if (o->help) return 0;
    if (o->cmd->operand != NULL && o->operand == NULL) {
        fprintf(err, "legato %s: needs %s\n", o->cmd->name, o->cmd->operand);
        cl_usage(err);
        return 2;
    }
    return 0;
}

/* A group id: decimal, 1..4294967295. */
static int cl_group_id(const char *s, uint32_t *id) {
    unsigned long long v = 0;
    size_t n = strlen(s);
    if (n == 0 || n > 10) return LG_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return LG_EINVAL;
        v = v * 10 + (unsigned long long)(s[i] - '0');
    }
    if (v == 0 || v > UINT32_MAX) return LG_ERANGE;
    *id = (uint32_t)v;
    return LG_OK;
}

/* http://HOST:PORT[/] into host and port. */
static int cl_parse_url(const char *url, char *host, size_t cap, int *port) {
    static const char scheme[] = "http://";
    if (strncmp(url, scheme, sizeof scheme - 1) != 0) return LG_EINVAL;
    const char *h = url + sizeof scheme - 1, *colon = strrchr(h, ':');
    if (colon == NULL || colon == h || (size_t)(colon - h) >= cap) return LG_EINVAL;
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || (*end != '\0' && strcmp(end, "/") != 0) || p < 1 || p > 65535) return LG_EINVAL;
    memcpy(host, h, (size_t)(colon - h));
    host[colon - h] = '\0';
    if (strchr(host, '/') != NULL) return LG_EINVAL;
    *port = (int)p;
    return LG_OK;
}

typedef struct cl_target {
    char host[64];
    int port;
    char token[160];
} cl_target_t;

/* Where the daemon listens and its token: the configuration, then --url, --token-file. */
static int cl_target(const cl_opts_t *o, cl_target_t *t, FILE *err) {
    char token_file[LG_CONFIG_PATH_MAX] = "";
    if (o->token_file != NULL && lg_strlcpy(token_file, o->token_file, sizeof token_file) != LG_OK) {
        fprintf(err, "legato: --token-file: too long\n");
        return 2;
    }
    if (o->url != NULL && cl_parse_url(o->url, t->host, sizeof t->host, &t->port) != LG_OK) {
        fprintf(err, "legato: --url '%s': want http://HOST:PORT\n", o->url);
        return 2;
    }
    if (o->url == NULL || o->token_file == NULL) {
        lg_daemon_config_t *c = malloc(sizeof *c);
        if (c == NULL) return fprintf(err, "legato: out of memory\n"), 2;
        char e[512] = "";
        lg_config_default(c);
        int rc = o->config != NULL ? lg_config_load(c, o->config, e, sizeof e) : LG_OK;
        if (rc == LG_OK) rc = lg_config_env(c, e, sizeof e);
        if (rc == LG_OK && o->url == NULL) {
            bool any = strcmp(c->api_host, "0.0.0.0") == 0; /* listening everywhere: ask locally */
            rc = lg_strlcpy(t->host, any ? "127.0.0.1" : c->api_host, sizeof t->host);
            t->port = c->api_port;
            if (rc != LG_OK) snprintf(e, sizeof e, "[api] host: too long");
            else if (t->port == 0)
                rc = lg_errf(e, sizeof e, LG_EINVAL, "[api] port is 0 (any free port): give --url "
                                                     "http://HOST:PORT (the daemon's first log line has it)");
        }
        if (rc == LG_OK && o->token_file == NULL) lg_strlcpy(token_file, c->token_file, sizeof token_file);
        free(c);
        if (rc != LG_OK) {
            fprintf(err, "legato: %s\n", e);
            return 2;
        }
    }
    char e[512] = "";
    if (lg_daemon_token(token_file, false, t->token, sizeof t->token, e, sizeof e) != LG_OK) {
        bool absent = access(token_file, F_OK) != 0 && errno == ENOENT;
        fprintf(err, "legato: %s%s\n", e,
                absent ? " (the daemon makes it at its first start: run this where `legato run` "
                         "runs, or give --config or --token-file)"
                       : "");
        return 2;
    }
    return 0;
}

/* ---- submit ---------------------------------------------------------------------------- */

/* The whole file (or standard input for "-") into *buf (malloc'd, NUL-terminated). */
static int cl_read_file(const char *path, char **buf, size_t *len, FILE *err) {
    bool std = strcmp(path, "-") == 0;
    FILE *f = std ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(err, "legato submit: %s: cannot open it\n", path);
        return 2;
    }
    char *p = malloc(SUBMIT_MAX + 1);
    size_t n = p != NULL ? fread(p, 1, SUBMIT_MAX + 1, f) : 0;
    bool bad = ferror(f) != 0;
    if (!std) fclose(f);
    if (p == NULL || bad || n > SUBMIT_MAX) {
        fprintf(err, "legato submit: %s: %s\n", std ? "standard input" : path,
                p == NULL ? "out of memory" : bad ? "cannot read it" : "larger than 4 MiB");
        free(p);
        return 2;
    }
    p[n] = '\0';
    *buf = p;
    *len = n;
    return 0;
}

/* An intent: a key only intents take, or a leg with a ratio (docs/API.md). */
static bool cl_is_intent(json_t *root) {
    static const char *const INTENT_KEYS[] = {"direction", "confidence", "decision_price", "broker_margin"};
    for (size_t i = 0; i < LG_COUNT(INTENT_KEYS); i++)
        if (json_object_get(root, INTENT_KEYS[i]) != NULL) return true;
    json_t *leg;
    size_t i;
    json_array_foreach(json_object_get(root, "legs"), i, leg) {
        if (json_is_object(leg) && json_object_get(leg, "ratio") != NULL) return true;
    }
    return false;
}

/* ---- the command ------------------------------------------------------------------------- */

/* "legato: METHOD path: status message" for an API error. */
static void cl_api_error(FILE *err, const char *method, const char *path, const lg_cli_resp_t *r) {
    json_t *j = json_loadb(r->body, r->len, 0, NULL);
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    if (msg != NULL) fprintf(err, "legato: %s %s: %d %s\n", method, path, r->status, msg);
    else fprintf(err, "legato: %s %s: %d %.200s\n", method, path, r->status, r->len > 0 ? r->body : "(no body)");
    json_decref(j);
}

int lg_cli_client(int argc, char **argv, FILE *out, FILE *err) {
    LG_ASSERT(argc >= 2 && argv != NULL && out != NULL && err != NULL);
    cl_opts_t o;
    int rc = cl_parse(argc, argv, &o, err);
    if (rc != 0) return rc;
    if (o.help) {
        cl_usage(out);
        return 0;
    }
    char path[64];
    const char *method = o.cmd->method;
    uint32_t id = 0;
    if (o.cmd->operand != NULL && strcmp(o.cmd->operand, "ID") == 0) {
        if (cl_group_id(o.operand, &id) != LG_OK) {
            fprintf(err, "legato %s: '%s' is not a group id (1 to 4294967295)\n", o.cmd->name, o.operand);
            return 2;
        }
    }
    snprintf(path, sizeof path, o.cmd->path, id);
    char *body = NULL;
    size_t body_len = 0;
    if (strcmp(o.cmd->name, "submit") == 0) {
        rc = cl_read_file(o.operand, &body, &body_len, err);
        if (rc != 0) return rc;
        json_error_t je;
        json_t *root = json_loadb(body, body_len, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(root)) {
            if (root == NULL) fprintf(err, "legato submit: %s:%d:%d: not JSON: %s\n", o.operand, je.line, je.column, je.text);
            else fprintf(err, "legato submit: %s: not a JSON object\n", o.operand);
            json_decref(root);
            free(body);
            return 2;
        }
        if (cl_is_intent(root)) lg_strlcpy(path, "/v1/intents", sizeof path);
        json_decref(root);
    }
    cl_target_t t;
    memset(&t, 0, sizeof t);
    rc = cl_target(&o, &t, err);
    if (rc != 0) {
        free(body);
        return rc;
    }
    lg_cli_resp_t r;
    char e[256];
    rc = lg_cli_http(t.host, t.port, method, path, t.token, body, body_len, &r, e, sizeof e);
    free(body);
    if (rc != LG_OK) {
        if (r.refused)
            fprintf(err, "legato: no daemon at http://%s:%d (is `legato run` running?)\n", t.host, t.port);
        else
            fprintf(err, "legato: %s %s: http://%s:%d: %s\n", method, path, t.host, t.port, e);
        return 1;
    }
    if (r.status >= 400 || r.status < 200) {
        cl_api_error(err, method, path, &r);
        lg_cli_resp_free(&r);
        return 1;
    }
    if (o.json) {
        fwrite(r.body, 1, r.len, out);
        if (r.len == 0 || r.body[r.len - 1] != '\n') fputc('\n', out);
        lg_cli_resp_free(&r);
        return 0;
    }
    json_error_t je;
    json_t *j = json_loadb(r.body, r.len, 0, &je);
    lg_cli_resp_free(&r);
    if (!json_is_object(j)) {
        fprintf(err, "legato: %s %s: the answer is not a JSON object (%s)\n", method, path, j == NULL ? je.text : "");
        json_decref(j);
        return 1;
    }
    o.cmd->print(out, j, path);
    json_decref(j);
    return 0;
}
