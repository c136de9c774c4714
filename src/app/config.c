/*
 * config.c — the daemon's configuration (config.h): one table of keys, each with its
 * section, its type and unit, where it lives in lg_daemon_config_t and its range. The
 * parser, the dump and docs/CONFIG.md all follow the table; a key is added here once.
 *
 * A file is parsed into a copy and the copy replaces the configuration only when every
 * line was good, so a bad file leaves nothing half applied.
 */
#include "legato/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef enum {
    K_STR,    /* char[]: the field's size bounds it */
    K_ENUM,   /* one of names[], stored as int or int8 (size) */
    K_UINT,   /* unsigned of 1, 2, 4 or 8 bytes, [lo, hi] */
    K_INT,    /* signed of 2 or 4 bytes, [lo, hi] */
    K_BOOL,   /* int8: true/false */
    K_DBL,    /* double, [lo, hi] */
    K_RUPEES, /* int64 paise from rupees (2 decimals), [lo, hi] rupees */
    K_MS,     /* lg_ns_t from milliseconds, [lo, hi] ms */
    K_SEC,    /* lg_ns_t from seconds (decimals allowed), [lo, hi] s */
    K_BANDS,  /* the volatility bands: "iv:mult, iv:mult, ..." */
    K_SECRET, /* only in a secrets file or the environment */
} lg_key_type_t;

typedef struct lg_key {
    const char *section, *name;
    lg_key_type_t type;
    size_t off, size;
    double lo, hi;
    const char *const *names; /* K_ENUM, NULL-terminated */
} lg_key_t;

#define AT(f) offsetof(lg_daemon_config_t, f), sizeof(((lg_daemon_config_t *)0)->f)

static const char *const MODES[] = {"paper", "live", NULL};
static const char *const DURABILITY[] = {"full", "normal", NULL};
static const char *const LEVELS[] = {"info", "warn", "error", "critical", NULL};
static const char *const POLICIES[] = {"ratchet", "protection_first", "naive", NULL};
static const char *const INCOMPLETE[] = {"flat", "shrink", NULL};
static const char *const BROKER_MARGIN[] = {"auto", "on", "off", NULL};

#define DAY_MS 86400000.0
#define DAY_S 86400.0

static const lg_key_t KEYS[] = {
    {"daemon", "mode", K_ENUM, AT(mode), 0, 0, MODES},
    {"daemon", "data_dir", K_STR, AT(data_dir), 0, 0, NULL},
    {"daemon", "db_path", K_STR, AT(db_path), 0, 0, NULL},
    {"daemon", "durability", K_ENUM, AT(durability), 0, 0, DURABILITY},
    {"daemon", "log_level", K_ENUM, AT(log_level), 0, 0, LEVELS},
    {"daemon", "summary_s", K_UINT, AT(summary_s), 0, DAY_S, NULL},
    {"api", "host", K_STR, AT(api_host), 0, 0, NULL},
    {"api", "port", K_INT, AT(api_port), 0, 65535, NULL},
    {"api", "token_file", K_STR, AT(token_file), 0, 0, NULL},
    {"api", "max_body", K_UINT, AT(api_max_body), 1024, 16 << 20, NULL},
    {"api", "rate_per_s", K_UINT, AT(api_rate_per_s), 1, 100000, NULL},
    {"api", "burst", K_UINT, AT(api_burst), 1, 1000000, NULL},
    {"broker", "rest_root", K_STR, AT(rest_root), 0, 0, NULL},
    {"broker", "ws_root", K_STR, AT(ws_root), 0, 0, NULL},
    {"broker", "secrets_file", K_STR, AT(secrets_file), 0, 0, NULL},
    {"broker", "freeze_file", K_STR, AT(freeze_file), 0, 0, NULL},
    {"broker", "band_refresh_s", K_UINT, AT(band_refresh_s), 0, DAY_S, NULL},
    {"broker", "api_key", K_SECRET, AT(api_key), 0, 0, NULL},
    {"broker", "access_token", K_SECRET, AT(access_token), 0, 0, NULL},
    {"paper", "seed", K_UINT, AT(paper_seed), 0, 18446744073709551615.0, NULL},
    {"engine", "max_groups", K_UINT, AT(engine.max_groups), 1, 1 << 24, NULL},
    {"engine", "max_orders", K_UINT, AT(engine.max_orders), LG_ENGINE_GROUP_ORDERS, 1 << 26, NULL},
    {"engine", "policy", K_ENUM, AT(engine.policy), 0, 0, POLICIES},
    {"engine", "on_incomplete", K_ENUM, AT(engine.on_incomplete), 0, 0, INCOMPLETE},
    {"engine", "entry_timeout_s", K_SEC, AT(engine.entry_timeout_ns), 0.001, DAY_S, NULL},
    {"engine", "naked_grace_ms", K_MS, AT(engine.naked_grace_ns), 0, 60000, NULL},
    {"engine", "delta_limit_frac", K_DBL, AT(engine.delta_limit_frac), 1e-6, 100, NULL},
    {"engine", "delta_grace_ms", K_MS, AT(engine.delta_grace_ns), 0, 600000, NULL},
    {"engine", "default_iv", K_DBL, AT(engine.default_iv), 0.01, 5, NULL},
    {"engine", "ratchet_slices", K_UINT, AT(engine.ratchet_slices), 1, 64, NULL},
    {"engine", "entry_mprot_pct", K_INT, AT(engine.entry_mprot_pct), 1, 100, NULL},
    {"engine", "emergency_mprot_pct", K_INT, AT(engine.emergency_mprot_pct), 1, 100, NULL},
    {"engine", "max_mprot_pct", K_INT, AT(engine.max_mprot_pct), 1, 100, NULL},
    {"engine", "emergency_max_failures", K_UINT, AT(engine.emergency_max_failures), 1, 100, NULL},
    {"engine", "emergency_retry_ms", K_MS, AT(engine.emergency_retry_ns), 1, 600000, NULL},
    {"engine", "reversal_fill_ms", K_MS, AT(engine.reversal_fill_ns), 1, 600000, NULL},
    {"engine", "order_silence_ms", K_MS, AT(engine.order_silence_ns), 1, 600000, NULL},
    {"engine", "positions_check_ms", K_MS, AT(engine.positions_check_ns), 1, 600000, NULL},
    {"engine", "positions_checks", K_UINT, AT(engine.positions_checks), 1, 1000, NULL},
    {"engine", "finished_retain_s", K_SEC, AT(engine.finished_retain_ns), 0, DAY_S, NULL},
    {"engine", "greeks_watch_ms", K_MS, AT(engine.greeks_watch_ns), 1, 600000, NULL},
    {"engine", "max_stops", K_UINT, AT(engine.max_stops), 0, 1 << 20, NULL},
    {"engine", "risk_off", K_BOOL, AT(engine.risk_off), 0, 1, NULL},
    {"risk", "margin_use", K_DBL, AT(engine.risk.margin_use), 1e-6, 1, NULL},
    {"risk", "margin_floor", K_RUPEES, AT(engine.risk.margin_floor), 0, 1e12, NULL},
    {"risk", "daily_loss_limit", K_RUPEES, AT(engine.risk.daily_loss_limit), 0.01, 1e12, NULL},
    {"risk", "loss_throttle", K_DBL, AT(engine.risk.loss_throttle), 0, 0.999999, NULL},
    {"risk", "max_delta", K_DBL, AT(engine.risk.greeks.max_delta), 0, 1e12, NULL},
    {"risk", "max_gamma", K_DBL, AT(engine.risk.greeks.max_gamma), 0, 1e12, NULL},
    {"risk", "max_vega", K_DBL, AT(engine.risk.greeks.max_vega), 0, 1e12, NULL},
    {"risk", "max_theta", K_DBL, AT(engine.risk.greeks.max_theta), 0, 1e12, NULL},
    {"risk", "vol_bands", K_BANDS, AT(engine.risk.vol_bands), 0, 0, NULL},
    {"risk", "max_units", K_UINT, AT(engine.risk.max_units), 1, 1000000, NULL},
    {"risk", "max_lots_order", K_UINT, AT(engine.risk.max_lots_order), 1, 1000000, NULL},
    {"risk", "max_lots_group", K_UINT, AT(engine.risk.max_lots_group), 1, 1000000, NULL},
    {"risk", "max_notional_order", K_RUPEES, AT(engine.risk.max_notional_order), 0, 1e13, NULL},
    {"risk", "max_notional_group", K_RUPEES, AT(engine.risk.max_notional_group), 0, 1e13, NULL},
    {"risk", "max_orders_minute", K_UINT, AT(engine.risk.max_orders_minute), 0, 100000, NULL},
    {"risk", "max_slippage", K_DBL, AT(engine.risk.max_slippage), 0, 1, NULL},
    {"risk", "worst_move", K_DBL, AT(engine.risk.shock.worst_move), 1e-6, 0.999999, NULL},
    {"risk", "worst_vol", K_DBL, AT(engine.risk.shock.worst_vol), 0, 0.999999, NULL},
    {"risk", "addon", K_DBL, AT(engine.risk.shock.addon), 0, 10, NULL},
    {"risk", "price_scan", K_DBL, AT(engine.risk.shock.margin.price_scan), 1e-6, 0.999999, NULL},
    {"risk", "vol_scan", K_DBL, AT(engine.risk.shock.margin.vol_scan), 0, 0.999999, NULL},
    {"risk", "extreme_weight", K_DBL, AT(engine.risk.shock.margin.extreme_weight), 0, 1, NULL},
    {"risk", "exposure", K_DBL, AT(engine.risk.shock.margin.exposure), 0, 1, NULL},
    {"risk", "broker_margin", K_ENUM, AT(broker_margin), 0, 0, BROKER_MARGIN},
    {"risk", "basket_timeout_ms", K_MS, AT(engine.risk.basket_timeout_ns), 1, 600000, NULL},
    {"stop", "timeout_ms", K_MS, AT(engine.stop.timeout_ns), 1, 600000, NULL},
    {"stop", "cancel_retry_ms", K_MS, AT(engine.stop.cancel_retry_ns), 1, 600000, NULL},
    {"stop", "market_fill_ms", K_MS, AT(engine.stop.market_fill_ns), 1, 600000, NULL},
    {"stop", "mprot_pct", K_INT, AT(engine.stop.mprot_pct), 1, 100, NULL},
    {"stop", "max_mprot_pct", K_INT, AT(engine.stop.max_mprot_pct), 1, 100, NULL},
    {"stop", "max_rejects", K_UINT, AT(engine.stop.max_rejects), 1, 255, NULL},
    {"strategy.ema", "enabled", K_BOOL, AT(ema_on), 0, 1, NULL},
    {"strategy.ema", "underlying", K_STR, AT(ema.underlying), 0, 0, NULL},
    {"strategy.ema", "bar_s", K_UINT, AT(ema.bar_s), 1, DAY_S, NULL},
    {"strategy.ema", "fast", K_UINT, AT(ema.fast), 1, 999, NULL},
    {"strategy.ema", "slow", K_UINT, AT(ema.slow), 2, 1000, NULL},
    {"strategy.ema", "width", K_UINT, AT(ema.width), 1, 50, NULL},
    {"strategy.ema", "min_days", K_UINT, AT(ema.min_days), 0, 366, NULL},
    {"strategy.ema", "confidence", K_DBL, AT(ema.confidence), 1e-6, 1, NULL},
    {"strategy.condor", "enabled", K_BOOL, AT(condor_on), 0, 1, NULL},
    {"strategy.condor", "underlying", K_STR, AT(condor.underlying), 0, 0, NULL},
    {"strategy.condor", "offset", K_UINT, AT(condor.offset), 1, 50, NULL},
    {"strategy.condor", "wing", K_UINT, AT(condor.wing), 1, 50, NULL},
    {"strategy.condor", "every_s", K_UINT, AT(condor.every_s), 1, DAY_S, NULL},
    {"strategy.condor", "hold_s", K_UINT, AT(condor.hold_s), 0, 30 * DAY_S, NULL},
    {"strategy.condor", "min_days", K_UINT, AT(condor.min_days), 0, 366, NULL},
    {"strategy.condor", "confidence", K_DBL, AT(condor.confidence), 1e-6, 1, NULL},
};

#define N_KEYS LG_COUNT(KEYS)

void lg_config_default(lg_daemon_config_t *c) {
    LG_ASSERT(c != NULL);
    memset(c, 0, sizeof *c);
    c->mode = LG_MODE_PAPER;
    lg_strlcpy(c->data_dir, "./var", sizeof c->data_dir);
    c->durability = 0; /* LG_DUR_FULL */
    c->log_level = LG_ALERT_INFO;
    c->summary_s = 10;
    lg_strlcpy(c->api_host, "127.0.0.1", sizeof c->api_host);
    c->api_port = 7878;
    c->api_max_body = 65536;
    c->api_rate_per_s = 50;
    c->api_burst = 100;
    lg_strlcpy(c->rest_root, "https://api.kite.trade", sizeof c->rest_root);
    lg_strlcpy(c->ws_root, "wss://ws.kite.trade", sizeof c->ws_root);
    lg_strlcpy(c->freeze_file, "data/freeze_qty.csv", sizeof c->freeze_file);
    c->band_refresh_s = 300;
    c->paper_seed = 1;
    lg_engine_config_default(&c->engine);
    c->ema_on = c->condor_on = 1;
    lg_ema_params_default(&c->ema);
    lg_condor_params_default(&c->condor);
}

/* ---- values ------------------------------------------------------------------------------ */

static void *field(lg_daemon_config_t *c, const lg_key_t *k) { return (char *)c + k->off; }
static const void *cfield(const lg_daemon_config_t *c, const lg_key_t *k) {
    return (const char *)c + k->off;
}

static int parse_double(const char *v, double *out) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end != '\0' || errno == ERANGE || !isfinite(x)) return LG_EPARSE;
    *out = x;
    return LG_OK;
}

static int in_range(const lg_key_t *k, double x, char *why, size_t cap) {
    if (x >= k->lo && x <= k->hi) return LG_OK;
    return lg_errf(why, cap, LG_ERANGE, "%s is outside [%.15g, %.15g]", "the value", k->lo, k->hi);
}

static int set_uint(const lg_key_t *k, void *p, const char *v, char *why, size_t cap) {
    if (*v < '0' || *v > '9') return lg_errf(why, cap, LG_EPARSE, "'%s' is not a whole number >= 0", v);
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end != '\0' || errno == ERANGE) return lg_errf(why, cap, LG_EPARSE, "'%s' is not a whole number >= 0", v);
    if (k->size < 8 && in_range(k, (double)x, why, cap) != LG_OK) return LG_ERANGE;
    switch (k->size) {
    case 1: *(uint8_t *)p = (uint8_t)x; break;
    case 2: *(uint16_t *)p = (uint16_t)x; break;
    case 4: *(uint32_t *)p = (uint32_t)x; break;
    default: LG_ASSERT(k->size == 8); *(uint64_t *)p = (uint64_t)x; break;
    }
    return LG_OK;
}

static int set_int(const lg_key_t *k, void *p, const char *v, char *why, size_t cap) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '\0' || errno == ERANGE) return lg_errf(why, cap, LG_EPARSE, "'%s' is not a whole number", v);
    if (in_range(k, (double)x, why, cap) != LG_OK) return LG_ERANGE;
    if (k->size == 2) *(int16_t *)p = (int16_t)x;
    else { LG_ASSERT(k->size == 4); *(int32_t *)p = (int32_t)x; }
    return LG_OK;
}

static int set_enum(const lg_key_t *k, void *p, const char *v, char *why, size_t cap) {
    for (int i = 0; k->names[i] != NULL; i++) {
        if (strcmp(k->names[i], v) != 0) continue;
        if (k->size == 1) *(int8_t *)p = (int8_t)i;
        else { LG_ASSERT(k->size == sizeof(int)); *(int *)p = i; }
        return LG_OK;
    }
    char list[160] = "";
    for (int i = 0; k->names[i] != NULL; i++) {
        size_t n = strlen(list);
        snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", k->names[i]);
    }
    return lg_errf(why, cap, LG_EINVAL, "'%s' is not one of %s", v, list);
}

static int set_number(const lg_key_t *k, void *p, const char *v, char *why, size_t cap) {
    double x;
    if (parse_double(v, &x) != LG_OK) return lg_errf(why, cap, LG_EPARSE, "'%s' is not a number", v);
    if (in_range(k, x, why, cap) != LG_OK) return LG_ERANGE;
    if (k->type == K_DBL) {
        *(double *)p = x;
    } else if (k->type == K_RUPEES) {
        double paise = x * 100.0;
        if (fabs(paise - round(paise)) > 1e-6)
            return lg_errf(why, cap, LG_EINVAL, "'%s' has more than 2 decimals (rupees)", v);
        *(int64_t *)p = (int64_t)llround(paise);
    } else {
        double ns = x * (k->type == K_MS ? 1e6 : 1e9);
        if (fabs(ns - round(ns)) > 1e-3) return lg_errf(why, cap, LG_EINVAL, "'%s' is finer than a nanosecond", v);
        *(lg_ns_t *)p = (lg_ns_t)llround(ns);
    }
    return LG_OK;
}

/* "0:1, 0.20:0.75" — volatilities ascending from 0, multipliers in [0, 1]. */
static int set_bands(lg_daemon_config_t *c, const char *v, char *why, size_t cap) {
    lg_risk_config_t *r = &c->engine.risk;
    lg_vol_band_t b[LG_VOL_BANDS];
    uint32_t n = 0;
    const char *s = v;
    while (*s != '\0') {
        if (n == LG_VOL_BANDS) return lg_errf(why, cap, LG_ERANGE, "more than %d bands", LG_VOL_BANDS);
        char *end;
        double iv = strtod(s, &end);
        if (end == s || *end != ':') return lg_errf(why, cap, LG_EPARSE, "band %u: not 'iv:mult'", n + 1);
        s = end + 1;
        double m = strtod(s, &end);
        if (end == s) return lg_errf(why, cap, LG_EPARSE, "band %u: not 'iv:mult'", n + 1);
        if (!(isfinite(iv) && iv >= 0 && iv < 10) || !(isfinite(m) && m >= 0 && m <= 1))
            return lg_errf(why, cap, LG_ERANGE, "band %u: iv in [0, 10) and mult in [0, 1]", n + 1);
        if (n > 0 && !(iv > b[n - 1].iv_from))
            return lg_errf(why, cap, LG_EINVAL, "band %u: volatilities must ascend", n + 1);
        b[n++] = (lg_vol_band_t){iv, m};
        s = end;
        while (*s == ' ' || *s == '\t') s++;
        if (*s == ',') s++;
        else if (*s != '\0') return lg_errf(why, cap, LG_EPARSE, "band %u: ',' expected", n);
        while (*s == ' ' || *s == '\t') s++;
    }
    if (n == 0) return lg_errf(why, cap, LG_EINVAL, "at least one band 'iv:mult'");
    memcpy(r->vol_bands, b, sizeof b);
    r->n_vol_bands = n;
    return LG_OK;
}

static int set_value(lg_daemon_config_t *c, const lg_key_t *k, const char *v, char *why, size_t cap) {
    void *p = field(c, k);
    switch (k->type) {
    case K_STR:
    case K_SECRET:
        if (strlen(v) >= k->size) return lg_errf(why, cap, LG_ERANGE, "longer than %zu characters", k->size - 1);
        lg_strlcpy(p, v, k->size);
        return LG_OK;
    case K_ENUM: return set_enum(k, p, v, why, cap);
    case K_UINT: return set_uint(k, p, v, why, cap);
    case K_INT: return set_int(k, p, v, why, cap);
    case K_BOOL:
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
            return lg_errf(why, cap, LG_EINVAL, "'%s' is not true or false", v);
        *(int8_t *)p = v[0] == 't';
        return LG_OK;
    case K_DBL:
    case K_RUPEES:
    case K_MS:
    case K_SEC: return set_number(k, p, v, why, cap);
    case K_BANDS: return set_bands(c, v, why, cap);
    }
    LG_ASSERT(0 && "key type");
    return LG_EINVAL;
}

static const lg_key_t *find_key(const char *section, const char *name) {
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(KEYS[i].section, section) == 0 && strcmp(KEYS[i].name, name) == 0) return &KEYS[i];
    return NULL;
}

static bool known_section(const char *s) {
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(KEYS[i].section, s) == 0) return true;
    return false;
}

/* ---- the INI reader ------------------------------------------------------------------------- */

#define LINE_MAX_LEN 1024

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

/* One file's lines into c; secrets: a secrets file (only [broker] api_key, access_token). */
static int parse_into(lg_daemon_config_t *c, const char *name, const char *text, size_t len,
                      bool secrets, char *err, size_t cap) {
    bool seen[N_KEYS] = {false};
    char section[32] = "";
    char line[LINE_MAX_LEN + 2];
    size_t at = 0;
    for (unsigned no = 1; at < len; no++) {
        size_t end = at;
        while (end < len && text[end] != '\n') end++;
        if (end - at > LINE_MAX_LEN) return lg_errf(err, cap, LG_EPARSE, "%s:%u: line longer than %d bytes", name, no, LINE_MAX_LEN);
        if (memchr(text + at, '\0', end - at) != NULL)
            return lg_errf(err, cap, LG_EPARSE, "%s:%u: a NUL byte in the line", name, no);
        memcpy(line, text + at, end - at);
        line[end - at] = '\0';
        at = end + 1;
        char *s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';') continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (close == NULL || close[1] != '\0' || close - s - 1 >= (long)sizeof section || close == s + 1)
                return lg_errf(err, cap, LG_EPARSE, "%s:%u: a section is written [name]", name, no);
            *close = '\0';
            lg_strlcpy(section, s + 1, sizeof section);
            if (!known_section(section) || (secrets && strcmp(section, "broker") != 0))
                return lg_errf(err, cap, LG_EINVAL, "%s:%u: [%s]: unknown section", name, no, section);
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL) return lg_errf(err, cap, LG_EPARSE, "%s:%u: not 'key = value'", name, no);
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        size_t vn = strlen(val);
        if (vn >= 2 && val[0] == '"' && val[vn - 1] == '"') {
            val[vn - 1] = '\0';
            val++;
        }
        if (section[0] == '\0') return lg_errf(err, cap, LG_EINVAL, "%s:%u: %s: a key before any [section]", name, no, key);
        const lg_key_t *k = find_key(section, key);
        if (k == NULL || (secrets && k->type != K_SECRET))
            return lg_errf(err, cap, LG_EINVAL, "%s:%u: [%s] %s: unknown key", name, no, section, key);
        if (k->type == K_SECRET && !secrets)
            return lg_errf(err, cap, LG_EINVAL, "%s:%u: [%s] %s: a secret is never kept in the configuration; "
                           "put it in [broker] secrets_file (mode 0600) or LEGATO_KITE_%s", name, no, section, key,
                           strcmp(key, "api_key") == 0 ? "API_KEY" : "ACCESS_TOKEN");
        size_t ki = (size_t)(k - KEYS);
        if (seen[ki]) return lg_errf(err, cap, LG_EINVAL, "%s:%u: [%s] %s: given twice", name, no, section, key);
        seen[ki] = true;
        char why[200];
        int rc = set_value(c, k, val, why, sizeof why);
        if (rc != LG_OK) return lg_errf(err, cap, LG_EINVAL, "%s:%u: [%s] %s: %s", name, no, section, key, why);
    }
    return LG_OK;
}

int lg_config_parse(lg_daemon_config_t *c, const char *name, const char *text, size_t len,
                    char *err, size_t cap) {
    LG_ASSERT(c != NULL && name != NULL && (text != NULL || len == 0));
    lg_daemon_config_t *tmp = malloc(sizeof *tmp);
    if (tmp == NULL) return lg_errf(err, cap, LG_ENOMEM, "%s: out of memory", name);
    *tmp = *c;
    int rc = parse_into(tmp, name, text, len, false, err, cap);
    if (rc == LG_OK) *c = *tmp;
    free(tmp);
    return rc;
}

/* A whole file in memory (a configuration is small: 1 MiB at most). */
static int read_file(const char *path, char **out, size_t *len, struct stat *st, char *err, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return lg_errf(err, cap, LG_EIO, "%s: cannot open (%s)", path, strerror(errno));
    if (fstat(fileno(f), st) != 0 || !S_ISREG(st->st_mode) || st->st_size > (1 << 20)) {
        fclose(f);
        return lg_errf(err, cap, LG_EIO, "%s: not a regular file of at most 1 MiB", path);
    }
    char *buf = malloc((size_t)st->st_size + 1);
    size_t n = buf != NULL ? fread(buf, 1, (size_t)st->st_size, f) : 0;
    int bad = buf == NULL || ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return lg_errf(err, cap, LG_EIO, "%s: cannot read", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return LG_OK;
}

static int load_secrets(lg_daemon_config_t *c, char *err, size_t cap) {
    char *text;
    size_t len;
    struct stat st;
    int rc = read_file(c->secrets_file, &text, &len, &st, err, cap);
    if (rc != LG_OK) return rc;
    if ((st.st_mode & 077) != 0) {
        free(text);
        return lg_errf(err, cap, LG_EAUTH, "[broker] secrets_file %s: mode %04o lets others read it; "
                       "chmod 600 it", c->secrets_file, (unsigned)(st.st_mode & 07777));
    }
    rc = parse_into(c, c->secrets_file, text, len, true, err, cap);
    free(text);
    return rc;
}

int lg_config_load(lg_daemon_config_t *c, const char *path, char *err, size_t cap) {
    LG_ASSERT(c != NULL && path != NULL);
    char *text;
    size_t len;
    struct stat st;
    int rc = read_file(path, &text, &len, &st, err, cap);
    if (rc != LG_OK) return rc;
    lg_daemon_config_t *tmp = malloc(sizeof *tmp);
    if (tmp == NULL) {
        free(text);
        return lg_errf(err, cap, LG_ENOMEM, "%s: out of memory", path);
    }
    *tmp = *c;
    rc = parse_into(tmp, path, text, len, false, err, cap);
    if (rc == LG_OK && tmp->secrets_file[0] != '\0') rc = load_secrets(tmp, err, cap);
    if (rc == LG_OK) *c = *tmp;
    free(tmp);
    free(text);
    return rc;
}

/* ---- environment, derived paths, the whole check ------------------------------------------------ */

static int env_into(lg_daemon_config_t *c, const char *var, const char *section, const char *key,
                    char *err, size_t cap) {
    const char *v = getenv(var);
    if (v == NULL || *v == '\0') return LG_OK;
    char why[200];
    if (set_value(c, find_key(section, key), v, why, sizeof why) != LG_OK)
        return lg_errf(err, cap, LG_EINVAL, "%s: %s", var, strcmp(section, "broker") == 0 ? "too long" : why);
    return LG_OK;
}

static int derive(char *dst, size_t cap, const char *dir, const char *file, char *err, size_t ecap) {
    if (dst[0] != '\0') return LG_OK;
    int n = snprintf(dst, cap, "%s/%s", dir, file);
    if (n < 0 || (size_t)n >= cap) return lg_errf(err, ecap, LG_ERANGE, "[daemon] data_dir: too long for %s", file);
    return LG_OK;
}

int lg_config_env(lg_daemon_config_t *c, char *err, size_t cap) {
    LG_ASSERT(c != NULL);
    lg_daemon_config_t *tmp = malloc(sizeof *tmp);
    if (tmp == NULL) return lg_errf(err, cap, LG_ENOMEM, "out of memory");
    *tmp = *c;
    int rc = env_into(tmp, "LEGATO_KITE_API_KEY", "broker", "api_key", err, cap);
    if (rc == LG_OK) rc = env_into(tmp, "LEGATO_KITE_ACCESS_TOKEN", "broker", "access_token", err, cap);
    if (rc == LG_OK) rc = env_into(tmp, "LEGATO_API_PORT", "api", "port", err, cap);
    if (rc == LG_OK) rc = env_into(tmp, "LEGATO_DATA_DIR", "daemon", "data_dir", err, cap);
    if (rc == LG_OK) rc = derive(tmp->db_path, sizeof tmp->db_path, tmp->data_dir, "legato.db", err, cap);
    if (rc == LG_OK) rc = derive(tmp->token_file, sizeof tmp->token_file, tmp->data_dir, "api.token", err, cap);
    if (rc == LG_OK) *c = *tmp;
    free(tmp);
    return rc;
}

int lg_config_check(const lg_daemon_config_t *c, char *err, size_t cap) {
    LG_ASSERT(c != NULL);
    const lg_engine_config_t *e = &c->engine;
    struct in_addr a;
    if (inet_pton(AF_INET, c->api_host, &a) != 1)
        return lg_errf(err, cap, LG_EINVAL, "[api] host: '%s' is not an IPv4 address", c->api_host);
    if (c->data_dir[0] == '\0' || c->db_path[0] == '\0' || c->token_file[0] == '\0')
        return lg_errf(err, cap, LG_EINVAL, "[daemon] data_dir: empty");
    if (e->risk_off)
        return lg_errf(err, cap, LG_EINVAL, "[engine] risk_off: the daemon never trades without the risk engine");
    if (e->max_mprot_pct < e->emergency_mprot_pct)
        return lg_errf(err, cap, LG_EINVAL, "[engine] max_mprot_pct: below emergency_mprot_pct");
    if (e->stop.max_mprot_pct < e->stop.mprot_pct)
        return lg_errf(err, cap, LG_EINVAL, "[stop] max_mprot_pct: below mprot_pct");
    char why[200];
    if (lg_risk_config_check(&e->risk, why, sizeof why) != LG_OK)
        return lg_errf(err, cap, LG_EINVAL, "[risk] %s", why);
    if (lg_stop_config_check(&e->stop) != LG_OK) return lg_errf(err, cap, LG_EINVAL, "[stop]: the timings contradict");
    lg_ema_t ema;
    lg_condor_t condor;
    lg_strategy_t st;
    if (c->ema_on && lg_ema_init(&ema, &c->ema, &st, why, sizeof why) != LG_OK)
        return lg_errf(err, cap, LG_EINVAL, "[strategy.ema] %s", strchr(why, ':') + 2);
    if (c->condor_on && lg_condor_init(&condor, &c->condor, &st, why, sizeof why) != LG_OK)
        return lg_errf(err, cap, LG_EINVAL, "[strategy.condor] %s", strchr(why, ':') + 2);
    if (c->mode == LG_MODE_LIVE && (c->ema_on || c->condor_on))
        return lg_errf(err, cap, LG_EINVAL, "[strategy.%s] enabled: the example strategies trade paper "
                       "only; set enabled = false for live", c->ema_on ? "ema" : "condor");
    if (c->mode == LG_MODE_LIVE) {
        if (c->api_key[0] == '\0' || c->access_token[0] == '\0')
            return lg_errf(err, cap, LG_EAUTH, "[daemon] mode = live: the Kite %s is missing (LEGATO_KITE_%s or "
                           "[broker] secrets_file)", c->api_key[0] == '\0' ? "api_key" : "access token",
                           c->api_key[0] == '\0' ? "API_KEY" : "ACCESS_TOKEN");
        if (strncmp(c->rest_root, "http", 4) != 0) return lg_errf(err, cap, LG_EINVAL, "[broker] rest_root: not an http(s) URL");
        if (strncmp(c->ws_root, "ws", 2) != 0) return lg_errf(err, cap, LG_EINVAL, "[broker] ws_root: not a ws(s) URL");
    }
    return LG_OK;
}

/* ---- dump ------------------------------------------------------------------------------------ */

static int value_text(const lg_daemon_config_t *c, const lg_key_t *k, char *out, size_t cap) {
    const void *p = cfield(c, k);
    switch (k->type) {
    case K_STR: return snprintf(out, cap, "%s", (const char *)p);
    case K_SECRET: return snprintf(out, cap, "%s", *(const char *)p ? "(set)" : "(not set)");
    case K_ENUM: {
        int i = k->size == 1 ? *(const int8_t *)p : *(const int *)p;
        return snprintf(out, cap, "%s", k->names[i]);
    }
    case K_UINT: {
        unsigned long long x = k->size == 1 ? *(const uint8_t *)p : k->size == 2 ? *(const uint16_t *)p
                             : k->size == 4 ? *(const uint32_t *)p : *(const uint64_t *)p;
        return snprintf(out, cap, "%llu", x);
    }
    case K_INT: return snprintf(out, cap, "%ld", k->size == 2 ? (long)*(const int16_t *)p : (long)*(const int32_t *)p);
    case K_BOOL: return snprintf(out, cap, "%s", *(const int8_t *)p ? "true" : "false");
    case K_DBL: return snprintf(out, cap, "%.15g", *(const double *)p);
    case K_RUPEES: return snprintf(out, cap, "%.2f", (double)*(const int64_t *)p / 100.0);
    case K_MS: return snprintf(out, cap, "%.15g", (double)*(const lg_ns_t *)p / 1e6);
    case K_SEC: return snprintf(out, cap, "%.15g", (double)*(const lg_ns_t *)p / 1e9);
    case K_BANDS: {
        int n = 0;
        for (uint32_t i = 0; i < c->engine.risk.n_vol_bands && (size_t)n < cap; i++)
            n += snprintf(out + n, cap - (size_t)n, "%s%g:%g", i ? ", " : "", c->engine.risk.vol_bands[i].iv_from,
                          c->engine.risk.vol_bands[i].mult);
        return n;
    }
    }
    return 0;
}

size_t lg_config_dump(const lg_daemon_config_t *c, char *buf, size_t cap) {
    LG_ASSERT(c != NULL && buf != NULL && cap > 0);
    size_t n = 0;
    const char *section = "";
    buf[0] = '\0';
    for (size_t i = 0; i < N_KEYS && n < cap; i++) {
        const lg_key_t *k = &KEYS[i];
        char v[256];
        value_text(c, k, v, sizeof v);
        int w = 0;
        if (strcmp(section, k->section) != 0)
            w = snprintf(buf + n, cap - n, "%s[%s]\n", n ? "\n" : "", k->section);
        section = k->section;
        if (w > 0) n = LG_MIN(n + (size_t)w, cap - 1);
        w = snprintf(buf + n, cap - n, k->type == K_SECRET ? "; %s: %s\n" : "%s = %s\n", k->name, v);
        if (w > 0) n = LG_MIN(n + (size_t)w, cap - 1);
    }
    return n;
}
