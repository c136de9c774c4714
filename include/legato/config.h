/*
 * config.h — `legato run`'s configuration: embedded defaults, an INI file on top, the
 * environment on top of that, then one whole check before anything starts.
 *
 *   [section]
 *   key = value        ; or # comments, on their own line
 *
 * Every key is a row of one table (config.c) with its type, its unit and its range;
 * docs/CONFIG.md lists them all. Money is written in rupees (paise inside), times in
 * the unit the key's name ends with (_ms, _s; nanoseconds inside). A file is applied
 * whole or not at all: an unknown section or key, a value of the wrong type or out of
 * range, a key given twice, a line that is not "key = value" — each is an error
 * "FILE:LINE: [section] key: what is wrong", and the configuration is left as it was.
 *
 * Secrets (the Kite api_key and access token) come from a secrets file (an INI with
 * [broker] api_key and access_token; refused when group or others may read it) or from
 * the environment (LEGATO_KITE_API_KEY, LEGATO_KITE_ACCESS_TOKEN), never from the main
 * file, and are never printed: lg_config_dump shows them as "(set)".
 */
#ifndef LEGATO_CONFIG_H
#define LEGATO_CONFIG_H

#include "legato/engine.h"
#include "legato/strategies.h"

/* [risk] broker_margin: intents wait for the broker's basket margin of a unit (auto: live
 * only; the paper exchange answers it too, with its own model). */
enum { LG_BROKER_MARGIN_AUTO = 0, LG_BROKER_MARGIN_ON, LG_BROKER_MARGIN_OFF };

typedef enum lg_mode { LG_MODE_PAPER = 0, LG_MODE_LIVE = 1 } lg_mode_t;

#define LG_CONFIG_PATH_MAX 256
#define LG_CONFIG_URL_MAX 128
#define LG_CONFIG_SECRET_MAX 128

typedef struct lg_daemon_config {
    /* [daemon] */
    int mode;                            /* lg_mode_t */
    char data_dir[LG_CONFIG_PATH_MAX];   /* made mode 0700 */
    char db_path[LG_CONFIG_PATH_MAX];    /* the journal */
    int durability;                      /* lg_durability_t */
    int log_level;                       /* lg_alert_level_t: lines below it are counted only */
    uint32_t summary_s;                  /* the one-line summary's period (0: none) */
    /* [api] */
    char api_host[64];
    int api_port;                        /* 0: any free port */
    char token_file[LG_CONFIG_PATH_MAX]; /* made at the first start, mode 0600 */
    uint32_t api_max_body;
    uint32_t api_rate_per_s, api_burst;
    /* [broker] (live) */
    char rest_root[LG_CONFIG_URL_MAX], ws_root[LG_CONFIG_URL_MAX];
    char secrets_file[LG_CONFIG_PATH_MAX];
    char freeze_file[LG_CONFIG_PATH_MAX]; /* freeze quantities per underlying (live) */
    uint32_t band_refresh_s;             /* circuit bands fetched again this often (0: once) */
    char api_key[LG_CONFIG_SECRET_MAX], access_token[LG_CONFIG_SECRET_MAX];
    /* [paper] */
    uint64_t paper_seed;
    /* [engine], [risk], [stop] */
    lg_engine_config_t engine;
    /* [strategy.ema], [strategy.condor]: the example strategies (paper mode only) */
    int8_t ema_on, condor_on;
    int8_t broker_margin;                /* [risk] broker_margin: LG_BROKER_MARGIN_* */
    lg_ema_params_t ema;
    lg_condor_params_t condor;
} lg_daemon_config_t;

void lg_config_default(lg_daemon_config_t *c);
/* Applies an INI file whole (see above); LG_EIO when it cannot be read, LG_EINVAL
 * with err "FILE:LINE: [section] key: ..." otherwise. A secrets_file it names is read
 * here too, with its mode checked (LG_EAUTH). */
int lg_config_load(lg_daemon_config_t *c, const char *path, char *err, size_t errcap);
/* The same from a buffer (name labels the errors). */
int lg_config_parse(lg_daemon_config_t *c, const char *name, const char *text, size_t len,
                    char *err, size_t errcap);
/* LEGATO_KITE_API_KEY, LEGATO_KITE_ACCESS_TOKEN, LEGATO_API_PORT, LEGATO_DATA_DIR. */
int lg_config_env(lg_daemon_config_t *c, char *err, size_t errcap);
/* The whole check: each part's own rules (the engine's, the risk engine's), the
 * daemon's (risk_off refused; live needs an api_key and an access token). */
int lg_config_check(const lg_daemon_config_t *c, char *err, size_t errcap);
/* Every key as an INI file, the secrets hidden; returns the length written. */
size_t lg_config_dump(const lg_daemon_config_t *c, char *buf, size_t cap);

#endif
