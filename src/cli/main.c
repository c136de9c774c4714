/*
 * main.c — the `legato` command.
 *
 *   legato dst [--seeds N] [--start S] [--seed S] [--policy P] [--crash] [--strategies] [--verbose]
 *       deterministic simulation over seeds; a failing seed prints the one command
 *       that replays it
 *   legato replay FILE
 *       re-runs a journal through a fresh engine and checks every recorded decision
 *   legato sim [--port N] [--seed N] [--api-key K] [--access-token T]
 *       the exchange model behind a Kite-compatible server on 127.0.0.1 (src/cli/sim.c)
 *   legato run [--config FILE] [--print-config]
 *       the daemon: the paper exchange in-process (or Kite), journal, control API
 *       (src/cli/run.c)
 *   legato status | groups | group ID | positions | kill | resume | exit ID | submit FILE
 *       the client commands: requests to a running daemon's control API (src/cli/client.c)
 *   legato demo
 *       a paper session in virtual time: an iron condor hedged first, a spread whose
 *       short leg is rejected and emergency-hedged, printed as state timelines
 *   legato version
 */
#include "cli_int.h"
#include "legato/harness.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEGATO_VERSION "0.1.0"

static void usage(FILE *f) {
    fprintf(f,
            "usage: legato <command> [options]\n"
            "  dst [--seeds N] [--start S] [--seed S] [--policy ratchet|protection_first|naive] [--crash] [--verbose]\n"
            "      [--strategies]     (the example strategies trade in every world, not three in ten)\n"
            "      [--journal FILE]   (with --seed: write every step to a SQLite journal)\n"
            "  replay FILE            re-run a journal through the engine; print the first divergence\n"
            "  sim [--port 8765] [--seed 1] [--api-key K] [--access-token T] [--host 127.0.0.1]\n"
            "      the exchange model behind a Kite-compatible HTTP + WebSocket server\n"
            "  run [--config FILE] [--print-config]\n"
            "                         the daemon: paper exchange in-process, journal, control API on\n"
            "                         127.0.0.1 (docs/CONFIG.md, docs/API.md)\n"
            "  status | groups | group ID | positions | kill | resume | exit ID | submit FILE\n"
            "      [--config FILE] [--url http://HOST:PORT] [--token-file F] [--json]\n"
            "                         a running daemon's control API (docs/CLI.md)\n"
            "  demo\n"
            "  version\n");
}

static int parse_u64(const char *s, uint64_t *v) {
    char *end = NULL;
    unsigned long long x = strtoull(s, &end, 10);
    if (s[0] == '\0' || s[0] == '-' || *end != '\0') return -1;
    *v = x;
    return 0;
}

typedef struct dst_args {
    uint64_t start, seeds;
    int policy, verbose, crash, strategies;
    const char *journal;
} dst_args_t;

static int dst_parse(int argc, char **argv, dst_args_t *a) {
    *a = (dst_args_t){.start = 1, .seeds = 100, .policy = -1};
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--verbose") == 0) { a->verbose = 1; continue; }
        if (strcmp(o, "--crash") == 0) { a->crash = 1; continue; }
        if (strcmp(o, "--strategies") == 0) { a->strategies = 1; continue; }
        if (v == NULL) { fprintf(stderr, "legato dst: %s needs a value\n", o); return -1; }
        i++;
        if (strcmp(o, "--seeds") == 0 && parse_u64(v, &a->seeds) == 0) continue;
        if (strcmp(o, "--start") == 0 && parse_u64(v, &a->start) == 0) continue;
        if (strcmp(o, "--seed") == 0 && parse_u64(v, &a->start) == 0) { a->seeds = 1; continue; }
        if (strcmp(o, "--journal") == 0) { a->journal = v; continue; }
        if (strcmp(o, "--policy") == 0) {
            lg_policy_t p;
            if (lg_policy_parse(v, &p) != LG_OK) {
                fprintf(stderr, "legato dst: --policy '%s' is not ratchet, protection_first or naive\n", v);
                return -1;
            }
            a->policy = (int)p;
            continue;
        }
        fprintf(stderr, "legato dst: bad option %s %s\n", o, v);
        return -1;
    }
    return 0;
}

static int cmd_dst(int argc, char **argv) {
    dst_args_t a;
    if (dst_parse(argc, argv, &a) != 0) return 2;
    if (a.journal != NULL && a.seeds != 1) {
        fprintf(stderr, "legato dst: --journal records one seed: use it with --seed\n");
        return 2;
    }
    uint64_t failures = 0, groups = 0, emergencies = 0, halts = 0, events = 0;
    uint64_t restarts = 0, lost = 0, adopted = 0, rebuilt = 0, disk = 0;
    uint64_t sized = 0, refused = 0, stops = 0, stop_orders = 0, risk_halts = 0;
    uint64_t baskets = 0, baskets_answered = 0;
    uint64_t s_worlds = 0, s_intents = 0, s_groups = 0, s_exits = 0;
    int flags = (a.verbose ? LG_DST_VERBOSE : 0) | (a.crash ? LG_DST_CRASH : 0) |
                (a.strategies ? LG_DST_STRATEGIES : 0);
    for (uint64_t s = a.start; s < a.start + a.seeds; s++) {
        lg_dst_result_t r;
        lg_dst_run_seed(s, a.policy, flags, a.journal, &r);
        groups += r.groups;
        emergencies += r.stats.emergencies;
        halts += r.stats.halts;
        events += r.stats.events;
        restarts += r.stats.restarts;
        lost += r.stats.lost_dbs;
        adopted += r.stats.adopted;
        rebuilt += r.stats.rebuilt;
        disk += r.stats.disk_faults;
        sized += r.stats.sized;
        refused += r.stats.risk_refused;
        stops += r.stats.stops_armed;
        stop_orders += r.stats.stop_orders;
        risk_halts += r.stats.risk_halts;
        baskets += r.stats.baskets;
        baskets_answered += r.stats.baskets_answered;
        s_worlds += r.strategies;
        s_intents += r.strat.intents;
        s_groups += r.strat.groups;
        s_exits += r.strat.exits;
        if (r.ok) continue;
        failures++;
        printf("dst: seed %llu FAILED: %s\n  replay: build/legato dst%s%s --seed %llu%s%s --verbose\n",
               (unsigned long long)s, r.failure, a.crash ? " --crash" : "",
               a.strategies ? " --strategies" : "", (unsigned long long)s,
               a.policy >= 0 ? " --policy " : "",
               a.policy >= 0 ? lg_policy_name((lg_policy_t)a.policy) : "");
        if (failures >= 10) break;
    }
    printf("dst: invariants checked after every step: %s\n", lg_dst_invariants);
    printf("dst: %llu passed, %llu failed\n", (unsigned long long)(a.seeds - failures),
           (unsigned long long)failures);
    printf("dst: %llu seeds, %llu failures, %llu groups, %llu emergency hedges, %llu halts, "
           "%llu events\n",
           (unsigned long long)a.seeds, (unsigned long long)failures, (unsigned long long)groups,
           (unsigned long long)emergencies, (unsigned long long)halts, (unsigned long long)events);
    printf("dst: risk engine: %llu intents sized, %llu groups or intents refused, %llu stops "
           "armed (%llu stop orders), %llu kill switches by loss limit, margin floor or lost "
           "session\n",
           (unsigned long long)sized, (unsigned long long)refused, (unsigned long long)stops,
           (unsigned long long)stop_orders, (unsigned long long)risk_halts);
    printf("dst: broker basket margins: %llu asked, %llu answers taken (the rest late, or lost "
           "with a crash)\n", (unsigned long long)baskets, (unsigned long long)baskets_answered);
    printf("dst: example strategies traded in %llu worlds: %llu intents, %llu groups made, "
           "%llu exits asked\n",
           (unsigned long long)s_worlds, (unsigned long long)s_intents, (unsigned long long)s_groups,
           (unsigned long long)s_exits);
    if (a.crash)
        printf("dst: %llu crashes recovered (%llu with the database lost): %llu orders adopted "
               "into journaled groups, %llu groups rebuilt from the order book; %llu disk-fault "
               "windows\n",
               (unsigned long long)restarts, (unsigned long long)lost,
               (unsigned long long)adopted, (unsigned long long)rebuilt, (unsigned long long)disk);
    return failures == 0 ? 0 : 1;
}

int lg_cli_demo(void);
int lg_cli_replay(int argc, char **argv);
int lg_cli_sim(int argc, char **argv);
int lg_cli_run(int argc, char **argv);

int main(int argc, char **argv) {
    /* Each simulated seed allocates and frees the same large pools: keep them on the
     * heap (reused) rather than in fresh mappings that fault in page by page. */
    mallopt(M_MMAP_THRESHOLD, 512 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "dst") == 0) return cmd_dst(argc, argv);
    if (strcmp(argv[1], "demo") == 0) return lg_cli_demo();
    if (strcmp(argv[1], "replay") == 0) return lg_cli_replay(argc, argv);
    if (strcmp(argv[1], "sim") == 0) return lg_cli_sim(argc, argv);
    if (strcmp(argv[1], "run") == 0) return lg_cli_run(argc, argv);
    if (lg_cli_is_client(argv[1])) return lg_cli_client(argc, argv, stdout, stderr);
    if (strcmp(argv[1], "version") == 0) {
        printf("legato %s\n", LEGATO_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "legato: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
