/*
 * test_config.c — the daemon's configuration (config.h): keys and their units, the
 * errors naming file, line, section and key, a bad file leaving nothing applied, the
 * secrets file's mode, the environment's overrides, the whole check, and a dump that
 * hides the secrets and reads back to itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "legato/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static lg_daemon_config_t cfg;
static char err[512];

static int parse(const char *text) {
    err[0] = '\0';
    return lg_config_parse(&cfg, "t.ini", text, strlen(text), err, sizeof err);
}

static int setup(void **state) {
    (void)state;
    lg_config_default(&cfg);
    unsetenv("LEGATO_KITE_API_KEY");
    unsetenv("LEGATO_KITE_ACCESS_TOKEN");
    unsetenv("LEGATO_API_PORT");
    unsetenv("LEGATO_DATA_DIR");
    return 0;
}

static void test_defaults_pass(void **state) {
    (void)state;
    assert_int_equal(lg_config_env(&cfg, err, sizeof err), LG_OK);
    assert_int_equal(lg_config_check(&cfg, err, sizeof err), LG_OK);
    assert_int_equal(cfg.mode, LG_MODE_PAPER);
    assert_string_equal(cfg.api_host, "127.0.0.1");
    assert_int_equal(cfg.api_port, 7878);
    assert_string_equal(cfg.db_path, "./var/legato.db");
    assert_string_equal(cfg.token_file, "./var/api.token");
}

static void test_units(void **state) {
    (void)state;
    assert_int_equal(parse("# a comment\n; another\n[risk]\ndaily_loss_limit = 12500.50\nmargin_floor = 0\n"
                           "max_delta = 250\nvol_bands = 0:1, 0.25:0.5\n"
                           "[engine]\nentry_timeout_s = 2.5\nnaked_grace_ms = 40\npolicy = naive\n"
                           "[stop]\ntimeout_ms = 1500\nmax_rejects = 7\n[api]\nport = \"9000\"\n"
                           "[paper]\nseed = 18446744073709551615\n"),
                     LG_OK);
    assert_int_equal(cfg.engine.risk.daily_loss_limit, 1250050);
    assert_int_equal(cfg.engine.risk.margin_floor, 0);
    assert_true(cfg.engine.risk.greeks.max_delta == 250.0);
    assert_int_equal(cfg.engine.risk.n_vol_bands, 2);
    assert_true(cfg.engine.risk.vol_bands[1].iv_from == 0.25 && cfg.engine.risk.vol_bands[1].mult == 0.5);
    assert_int_equal(cfg.engine.entry_timeout_ns, 2500 * LG_NS_PER_MS);
    assert_int_equal(cfg.engine.naked_grace_ns, 40 * LG_NS_PER_MS);
    assert_int_equal(cfg.engine.policy, LG_POLICY_NAIVE);
    assert_int_equal(cfg.engine.stop.timeout_ns, 1500 * LG_NS_PER_MS);
    assert_int_equal(cfg.engine.stop.max_rejects, 7);
    assert_int_equal(cfg.api_port, 9000);
    assert_true(cfg.paper_seed == UINT64_MAX);
}

/* Each bad line: the error names the file and line, the section and key, and the
 * configuration is exactly as before (the good lines above it not applied either). */
static void test_errors_name_the_line(void **state) {
    (void)state;
    static const struct { const char *text, *want; } cases[] = {
        {"[api]\nport = 1\nprot = 2\n", "t.ini:3: [api] prot: unknown key"},
        {"[api]\nport = 1\n[apii]\n", "t.ini:3: [apii]: unknown section"},
        {"[api]\nport = 1\nport = 2\n", "t.ini:3: [api] port: given twice"},
        {"[api]\nburst = 1\nport = 70000\n", "t.ini:3: [api] port: the value is outside [0, 65535]"},
        {"[api]\nport = 1\n[risk]\nmax_delta = abc\n", "t.ini:4: [risk] max_delta: 'abc' is not a number"},
        {"[api]\nport = 1\n[risk]\ndaily_loss_limit = 10.005\n", "t.ini:4: [risk] daily_loss_limit: '10.005' has more than 2 decimals"},
        {"[api]\nport = 1\n[risk]\ndaily_loss_limit = -5\n", "t.ini:4: [risk] daily_loss_limit: the value is outside"},
        {"[risk]\nmax_lots_order = 0\n", "t.ini:2: [risk] max_lots_order: the value is outside [1,"},
        {"[risk]\nmax_units = -1\n", "t.ini:2: [risk] max_units: '-1' is not a whole number >= 0"},
        {"[engine]\npolicy = fast\n", "t.ini:2: [engine] policy: 'fast' is not one of ratchet, protection_first, naive"},
        {"[engine]\nrisk_off = yes\n", "t.ini:2: [engine] risk_off: 'yes' is not true or false"},
        {"[risk]\nvol_bands = 0.3:1, 0.2:0.5\n", "t.ini:2: [risk] vol_bands: band 2: volatilities must ascend"},
        {"[risk]\nvol_bands = 0:2\n", "t.ini:2: [risk] vol_bands: band 1: iv in [0, 10) and mult in [0, 1]"},
        {"[api]\nport\n", "t.ini:2: not 'key = value'"},
        {"port = 1\n", "t.ini:1: port: a key before any [section]"},
        {"[api\n", "t.ini:1: a section is written [name]"},
        {"[broker]\naccess_token = abc\n", "t.ini:2: [broker] access_token: a secret is never kept in the configuration"},
    };
    lg_daemon_config_t before;
    lg_config_default(&before);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lg_config_default(&cfg);
        int rc = parse(cases[i].text);
        if (rc == LG_OK || strstr(err, cases[i].want) == NULL)
            fail_msg("case %zu: rc %d, '%s', wanted '%s'", i, rc, err, cases[i].want);
        assert_memory_equal(&cfg, &before, sizeof cfg);
    }
    /* a NUL byte inside a line */
    static const char nul[] = "[api]\nport = 1\0\n";
    assert_int_equal(lg_config_parse(&cfg, "t.ini", nul, sizeof nul - 1, err, sizeof err), LG_EPARSE);
    assert_non_null(strstr(err, "t.ini:2: a NUL byte"));
}

static void test_check(void **state) {
    (void)state;
    assert_int_equal(lg_config_env(&cfg, err, sizeof err), LG_OK);
    lg_daemon_config_t good = cfg;
    cfg.engine.risk_off = 1;
    assert_int_equal(lg_config_check(&cfg, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, "[engine] risk_off"));
    cfg = good;
    lg_strlcpy(cfg.api_host, "localhost", sizeof cfg.api_host);
    assert_int_equal(lg_config_check(&cfg, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, "[api] host"));
    cfg = good;
    cfg.engine.stop.mprot_pct = 30;
    assert_int_equal(lg_config_check(&cfg, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, "[stop] max_mprot_pct"));
    cfg = good;
    cfg.engine.risk.max_slippage = -1;
    assert_int_equal(lg_config_check(&cfg, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, "[risk] "));
    assert_non_null(strstr(err, "max_slippage"));
    cfg = good;
    cfg.ema.fast = 30; /* not below slow */
    assert_int_equal(lg_config_check(&cfg, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, "[strategy.ema] fast"));
    cfg = good;
    cfg.condor.confidence = 0;
    assert_int_equal(lg_config_check(&cfg, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, "[strategy.condor] confidence"));
    cfg.condor_on = 0; /* off: its parameters are not its concern */
    assert_int_equal(lg_config_check(&cfg, err, sizeof err), LG_OK);
    cfg = good;
    cfg.mode = LG_MODE_LIVE; /* the examples trade paper only */
    assert_int_equal(lg_config_check(&cfg, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, "[strategy.ema] enabled"));
    cfg.ema_on = cfg.condor_on = 0;
    assert_int_equal(lg_config_check(&cfg, err, sizeof err), LG_EAUTH);
    assert_non_null(strstr(err, "api_key"));
    lg_strlcpy(cfg.api_key, "kitekey", sizeof cfg.api_key);
    assert_int_equal(lg_config_check(&cfg, err, sizeof err), LG_EAUTH);
    assert_non_null(strstr(err, "access token"));
    lg_strlcpy(cfg.access_token, "kitetoken", sizeof cfg.access_token);
    assert_int_equal(lg_config_check(&cfg, err, sizeof err), LG_OK);
}

static void test_environment(void **state) {
    (void)state;
    setenv("LEGATO_API_PORT", "7001", 1);
    setenv("LEGATO_DATA_DIR", "/tmp/lgdata", 1);
    setenv("LEGATO_KITE_API_KEY", "envkey", 1);
    assert_int_equal(lg_config_env(&cfg, err, sizeof err), LG_OK);
    assert_int_equal(cfg.api_port, 7001);
    assert_string_equal(cfg.db_path, "/tmp/lgdata/legato.db");
    assert_string_equal(cfg.token_file, "/tmp/lgdata/api.token");
    assert_string_equal(cfg.api_key, "envkey");
    lg_daemon_config_t before = cfg;
    setenv("LEGATO_API_PORT", "seventy", 1);
    assert_int_equal(lg_config_env(&cfg, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, "LEGATO_API_PORT"));
    assert_memory_equal(&cfg, &before, sizeof cfg);
    setup(NULL);
}

static void write_file(const char *path, const char *text, mode_t mode) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_secrets_file(void **state) {
    (void)state;
    char main_ini[64], secrets[64], text[256];
    snprintf(main_ini, sizeof main_ini, "/tmp/lg-cfg-%d.ini", (int)getpid());
    snprintf(secrets, sizeof secrets, "/tmp/lg-secrets-%d.ini", (int)getpid());
    snprintf(text, sizeof text, "[daemon]\nmode = live\n[broker]\nsecrets_file = %s\n", secrets);
    write_file(main_ini, text, 0644);
    write_file(secrets, "[broker]\napi_key = k123\naccess_token = t456\n", 0640);
    lg_daemon_config_t before = cfg;
    assert_int_equal(lg_config_load(&cfg, main_ini, err, sizeof err), LG_EAUTH);
    assert_non_null(strstr(err, secrets));
    assert_non_null(strstr(err, "0640")); /* group may read: refused too */
    assert_memory_equal(&cfg, &before, sizeof cfg);
    assert_int_equal(chmod(secrets, 0600), 0);
    assert_int_equal(lg_config_load(&cfg, main_ini, err, sizeof err), LG_OK);
    assert_string_equal(cfg.api_key, "k123");
    assert_string_equal(cfg.access_token, "t456");
    assert_int_equal(cfg.mode, LG_MODE_LIVE);
    /* the dump names neither */
    char buf[16384];
    lg_config_dump(&cfg, buf, sizeof buf);
    assert_null(strstr(buf, "k123"));
    assert_null(strstr(buf, "t456"));
    assert_non_null(strstr(buf, "; api_key: (set)"));
    /* a secrets file holds secrets only */
    write_file(secrets, "[broker]\napi_key = k\n[api]\nport = 1\n", 0600);
    lg_config_default(&cfg);
    assert_int_equal(lg_config_load(&cfg, main_ini, err, sizeof err), LG_EINVAL);
    assert_non_null(strstr(err, ":3: [api]: unknown section"));
    assert_int_equal(lg_config_load(&cfg, "/nonexistent/legato.ini", err, sizeof err), LG_EIO);
    assert_non_null(strstr(err, "/nonexistent/legato.ini"));
    unlink(main_ini);
    unlink(secrets);
}

/* The dump is a configuration file: parsed again it dumps the same. */
static void test_dump_round_trip(void **state) {
    (void)state;
    assert_int_equal(parse("[risk]\nmax_vega = 1234.5\nvol_bands = 0:1, 0.3:0.4\n[engine]\npolicy = protection_first\n"
                           "[daemon]\ndurability = normal\n"),
                     LG_OK);
    assert_int_equal(lg_config_env(&cfg, err, sizeof err), LG_OK);
    static char a[16384], b[16384];
    size_t na = lg_config_dump(&cfg, a, sizeof a);
    assert_true(na > 1000 && na < sizeof a - 1);
    lg_daemon_config_t again;
    lg_config_default(&again);
    assert_int_equal(lg_config_parse(&again, "dump", a, na, err, sizeof err), LG_OK);
    lg_config_dump(&again, b, sizeof b);
    assert_string_equal(a, b);
    assert_int_equal(again.engine.policy, LG_POLICY_PROTECTION_FIRST);
    assert_int_equal(again.durability, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults_pass, setup),
        cmocka_unit_test_setup(test_units, setup),
        cmocka_unit_test_setup(test_errors_name_the_line, setup),
        cmocka_unit_test_setup(test_check, setup),
        cmocka_unit_test_setup(test_environment, setup),
        cmocka_unit_test_setup(test_secrets_file, setup),
        cmocka_unit_test_setup(test_dump_round_trip, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
