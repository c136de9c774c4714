/*
 * daemon.c — `legato run` (daemon.h): the live chain of live.h with the control API of
 * api.h in front and the example strategies behind it (daemon_strat.c), started in
 * order, each step's failure named; JSON-line logs and the periodic summary. The files
 * it keeps (token, journal) are in daemon_files.c.
 */
#include "daemon_int.h"

#include "legato/api.h"
#include "legato/httpd.h"
#include "legato/live.h"
#include "legato/port.h"
#include "legato/simd.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAPER_KEY "legato_paper"
#define PAPER_TOKEN "legato_paper_token"

struct lg_daemon {
    lg_daemon_config_t cfg;
    uv_loop_t *loop;
    lg_simd_t *sim;
    lg_port_t *port;
    lg_engine_t *eng;
    lg_store_t *store;
    lg_live_t *live;
    lg_api_t *api;
    lg_httpd_t *httpd;
    lg_dstrat_t *strat;
    lg_devents_t *events;
    uv_timer_t summary;
    bool summary_on, stopped;
    const lg_instruments_t *master;
    lg_instruments_t own;       /* live: the journal's or Kite's master */
    bool own_master, recovering; /* recovering: a live journal with events to continue */
    lg_engine_config_t ec;      /* the engine configuration in force */
    char token[80];
    bool capture;               /* an API call is stepping: keep its refusal's text */
    char refusal[LG_ALERT_TEXT_MAX];
    uint64_t sent_at_summary;
    uint64_t logged[4];         /* lines by level */
};

/* ---- logs ---------------------------------------------------------------------------- */

static const char *const LEVELS[] = {"info", "warn", "error", "critical"};

void lg_daemon_log(lg_daemon_t *d, int level, uint32_t group, const char *fmt, ...) {
    if (level < 0 || level > LG_ALERT_CRITICAL) level = LG_ALERT_ERROR;
    if (d != NULL) d->logged[level]++;
    if (d != NULL && level < d->cfg.log_level) return;
    char msg[LG_ALERT_TEXT_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *j = json_pack("{s:I,s:s,s:s}", "ts", (json_int_t)(lg_live_unix_now() / LG_NS_PER_MS),
                          "level", LEVELS[level], "msg", msg);
    char tag[LG_TAG_MAX + 1];
    uint32_t tag_group = lg_daemon_find_tag(msg, tag, sizeof tag);
    if (group == 0) group = tag_group;
    if (j != NULL && group != 0) json_object_set_new(j, "group", json_integer(group));
    if (j != NULL && tag_group != 0) json_object_set_new(j, "order", json_string(tag));
    char *line = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    fprintf(stderr, "%s\n", line != NULL ? line : msg);
    free(line);
    json_decref(j);
}

static void on_alert(void *ud, const lg_alert_t *a) {
    lg_daemon_t *d = ud;
    if (d->capture && a->level >= LG_ALERT_WARN) lg_strlcpy(d->refusal, a->text, sizeof d->refusal);
    lg_daemon_log(d, (int)a->level, a->group, "%s", a->text);
    lg_devents_alert(d->events, (int)a->level, a->group, a->text);
}

static void on_event(void *ud, const lg_event_t *ev) {
    lg_daemon_t *d = ud;
    if (d->live == NULL || d->stopped) return;
    lg_live_event(d->live, ev);
    lg_dstrat_tick(d->strat, ev);
}

static void on_records(void *ud, const lg_record_t *recs, uint32_t n) {
    lg_daemon_t *d = ud;
    lg_dstrat_records(d->strat, recs, n);
    lg_devents_records(d->events, recs, n);
}

/* ---- the API's operations: through the live shell, journaled -------------------------- */

void lg_daemon_capture_begin(lg_daemon_t *d) {
    d->capture = true;
    d->refusal[0] = '\0';
}

int lg_daemon_capture_end(lg_daemon_t *d, int rc, char *err, size_t cap) {
    d->capture = false;
    if (rc != LG_OK) snprintf(err, cap, "%s", d->refusal[0] ? d->refusal : lg_strerror(rc));
    return rc;
}

static int op_submit(void *ud, const lg_group_spec_t *spec, uint32_t *group, char *err, size_t cap) {
    lg_daemon_t *d = ud;
    return lg_daemon_capture(d, lg_live_submit(d->live, spec, group), err, cap);
}

static int op_intent(void *ud, const lg_intent_t *it, uint32_t *group, char *err, size_t cap) {
    lg_daemon_t *d = ud;
    return lg_daemon_capture(d, lg_live_intent(d->live, it, group), err, cap);
}

static int op_control(void *ud, lg_control_op_t op, uint32_t group, char *err, size_t cap) {
    lg_daemon_t *d = ud;
    lg_event_t ev = {.kind = LG_EV_CONTROL};
    ev.u.control.op = (int32_t)op;
    ev.u.control.group = group;
    lg_daemon_log(d, op == LG_CTL_KILL ? LG_ALERT_CRITICAL : LG_ALERT_WARN, group,
                  "control API: %s", op == LG_CTL_KILL ? "kill switch" : op == LG_CTL_RESUME ? "resume" : "exit group");
    return lg_daemon_capture(d, lg_live_event(d->live, &ev), err, cap);
}

static size_t daemon_metrics(void *ud, char *buf, size_t cap) {
    lg_daemon_t *d = ud;
    lg_live_stats_t ls;
    lg_strat_host_stats_t ss;
    lg_live_stats(d->live, &ls);
    lg_dstrat_stats(d->strat, &ss);
    uint32_t listeners = 0;
    uint64_t ev_sent = 0, ev_dropped = 0;
    lg_devents_counts(d->events, &listeners, &ev_sent, &ev_dropped);
    int k = snprintf(buf, cap,
                     "# HELP legato_orders_sent_total commands handed to the broker port\n"
                     "# TYPE legato_orders_sent_total counter\nlegato_orders_sent_total %llu\n"
                     "# HELP legato_journal_commits_total journal commits\n"
                     "# TYPE legato_journal_commits_total counter\nlegato_journal_commits_total %llu\n"
                     "# HELP legato_log_critical_total critical log lines\n"
                     "# TYPE legato_log_critical_total counter\nlegato_log_critical_total %llu\n"
                     "# HELP legato_strategy_intents_total intents the strategies made\n"
                     "# TYPE legato_strategy_intents_total counter\nlegato_strategy_intents_total %llu\n"
                     "# HELP legato_strategy_refused_total strategy intents the engine refused\n"
                     "# TYPE legato_strategy_refused_total counter\nlegato_strategy_refused_total %llu\n"
                     "# HELP legato_strategy_bars_total bars built from ticks\n"
                     "# TYPE legato_strategy_bars_total counter\nlegato_strategy_bars_total %llu\n"
                     "# HELP legato_event_listeners event stream listeners\n"
                     "# TYPE legato_event_listeners gauge\nlegato_event_listeners %u\n"
                     "# HELP legato_events_sent_total event stream messages sent\n"
                     "# TYPE legato_events_sent_total counter\nlegato_events_sent_total %llu\n",
                     (unsigned long long)ls.sent, (unsigned long long)ls.commits,
                     (unsigned long long)d->logged[LG_ALERT_CRITICAL], (unsigned long long)ss.intents,
                     (unsigned long long)ss.refused, (unsigned long long)ss.bars, listeners,
                     (unsigned long long)ev_sent);
    return k < 0 ? cap : (size_t)k;
}

/* ---- HTTP ------------------------------------------------------------------------------ */

static void on_request(void *ud, lg_http_conn_t *c, const lg_http_req_t *r) {
    lg_daemon_t *d = ud;
    lg_api_request_t q = {.method = r->method, .path = r->path, .query = r->query,
                          .authorization = lg_http_header(r, "Authorization"), .body = r->body,
                          .body_len = r->body_len, .now = (lg_ns_t)uv_hrtime(),
                          .unix_now = lg_live_unix_now()};
    lg_api_reply_t rep;
    lg_api_handle(d->api, &q, &rep);
    char headers[96] = "Cache-Control: no-store\r\n";
    if (rep.status == 429)
        snprintf(headers, sizeof headers, "Cache-Control: no-store\r\nRetry-After: %u\r\n",
                 rep.retry_after_s);
    lg_http_reply(c, rep.status, rep.content_type, rep.body, rep.len, headers);
    if (rep.status >= 400 && rep.status != 404)
        lg_daemon_log(d, LG_ALERT_INFO, 0, "control API %s %s: %d", r->method, r->path, rep.status);
    lg_api_reply_free(&rep);
}

static int on_ws_open(void *ud, lg_http_conn_t *c, const lg_http_req_t *r, const char **body,
                      size_t *len, const char **ctype) {
    lg_daemon_t *d = ud;
    int st = lg_devents_open(d->events, c, r, body, len, ctype);
    if (st != 0) lg_daemon_log(d, LG_ALERT_INFO, 0, "control API event stream %s: %d", r->path, st);
    return st;
}

static void on_ws_ready(void *ud, lg_http_conn_t *c) {
    lg_daemon_t *d = ud;
    lg_devents_ready(d->events, c);
}

static void on_conn_close(void *ud, lg_http_conn_t *c) {
    lg_daemon_t *d = ud;
    lg_devents_close(d->events, c);
}

/* ---- summary ----------------------------------------------------------------------------- */

static void on_summary(uv_timer_t *t) {
    lg_daemon_t *d = t->data;
    lg_engine_stats_t s;
    lg_risk_view_t r;
    lg_live_stats_t ls;
    lg_engine_stats(d->eng, &s);
    lg_engine_risk(d->eng, &r);
    lg_live_stats(d->live, &ls);
    lg_strat_host_stats_t ss;
    lg_dstrat_stats(d->strat, &ss);
    uint32_t held = 0;
    for (uint32_t i = 0; i < d->master->n; i++) held += lg_engine_position(d->eng, d->master->items[i].token) != 0;
    double secs = d->cfg.summary_s > 0 ? (double)d->cfg.summary_s : 1.0;
    lg_daemon_log(d, LG_ALERT_INFO, 0,
                  "summary: trading %s, %u groups live, %u instruments held, day P&L Rs %.2f, "
                  "margin available Rs %.2f (reserved %.2f), %.1f orders/s, %llu strategy intents",
                  lg_tstate_name(lg_engine_trading_state(d->eng)), s.groups_live, held,
                  (double)r.day_pnl / 100, (double)r.available / 100, (double)r.reserved / 100,
                  (double)(ls.sent - d->sent_at_summary) / secs, (unsigned long long)ss.intents);
    d->sent_at_summary = ls.sent;
}

/* ---- start and stop ---------------------------------------------------------------------- */

static int fail(char *err, size_t cap, int rc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return rc;
}

/* The journal: a paper start begins a new one (the earlier one set aside); a live start
 * continues its own, and one with events in it is a restart to recover. */
static int open_journal(lg_daemon_t *d, char *err, size_t cap) {
    int rc = d->cfg.mode == LG_MODE_PAPER ? lg_daemon_journal_aside(d->cfg.db_path, err, cap) : LG_OK;
    if (rc != LG_OK) return rc;
    char serr[160];
    rc = lg_store_open(d->cfg.db_path, (lg_durability_t)d->cfg.durability, &d->store, serr, sizeof serr);
    if (rc != LG_OK) return fail(err, cap, rc, "journal %s: %s", d->cfg.db_path, serr);
    uint64_t seq = 0, step = 0;
    lg_store_last(d->store, &seq, &step);
    d->recovering = d->cfg.mode == LG_MODE_LIVE && seq > 0;
    return LG_OK;
}

/* The instruments: the simulator's (paper); on a live restart the journal's (its groups
 * name them, its replay needs them); else Kite's master, fetched. */
static int setup_master(lg_daemon_t *d, char *err, size_t cap) {
    if (d->cfg.mode == LG_MODE_PAPER) {
        lg_simd_config_t sc;
        lg_simd_config_default(&sc);
        sc.port = 0;
        sc.seed = d->cfg.paper_seed;
        sc.api_key = PAPER_KEY;
        sc.access_token = PAPER_TOKEN;
        int rc = lg_simd_start(d->loop, &sc, &d->sim);
        if (rc != LG_OK) return fail(err, cap, rc, "paper exchange: cannot listen on 127.0.0.1");
        d->master = lg_simd_master(d->sim);
        d->ec = d->cfg.engine;
        return LG_OK;
    }
    int rc = LG_OK;
    if (d->recovering) {
        char serr[200];
        rc = lg_store_load_setup(d->store, &d->own, &d->ec, serr, sizeof serr);
        if (rc != LG_OK) return fail(err, cap, rc, "journal %s: %s", d->cfg.db_path, serr);
        lg_engine_config_t now_cfg = d->cfg.engine;
        now_cfg.clock_offset_ns = d->ec.clock_offset_ns;
        if (memcmp(&d->ec, &now_cfg, sizeof d->ec) != 0)
            lg_daemon_log(d, LG_ALERT_WARN, 0, "restart: the journal's [engine] [risk] [stop] settings "
                          "stay in force; changed ones apply to a new journal");
    } else {
        rc = lg_daemon_fetch_master(&d->cfg, &d->own, err, cap);
        d->ec = d->cfg.engine;
    }
    if (rc != LG_OK) return rc;
    d->own_master = true;
    d->master = &d->own;
    return LG_OK;
}

/* The port: towards the in-process simulator (paper) or the configured broker. */
static int start_port(lg_daemon_t *d, char *err, size_t cap) {
    char rest[96], ws[96];
    lg_port_config_t pc = {.loop = d->loop, .rest_root = d->cfg.rest_root, .ws_root = d->cfg.ws_root,
                           .api_key = d->cfg.api_key, .access_token = d->cfg.access_token,
                           .master = d->master, .on_event = on_event, .on_alert = on_alert, .ud = d};
    if (d->cfg.mode == LG_MODE_PAPER) {
        snprintf(rest, sizeof rest, "http://127.0.0.1:%d", lg_simd_port(d->sim));
        snprintf(ws, sizeof ws, "ws://127.0.0.1:%d/ws", lg_simd_port(d->sim));
        pc.rest_root = rest;
        pc.ws_root = ws;
        pc.api_key = PAPER_KEY;
        pc.access_token = PAPER_TOKEN;
    }
    int rc = lg_port_create(&pc, &d->port);
    return rc == LG_OK ? LG_OK : fail(err, cap, rc, "broker port: %s", lg_strerror(rc));
}

/* The engine: new, or rebuilt from the journal on a restart, its clock going on from the
 * journal's (the engine's time is wall time since its first start). */
static int start_engine(lg_daemon_t *d, char *err, size_t cap) {
    uint64_t t0 = uv_hrtime();
    int rc;
    if (d->recovering) {
        lg_recovery_t rep;
        rc = lg_recover_replay(d->store, &d->ec, d->master, &d->eng, &rep);
        if (rc != LG_OK) return fail(err, cap, rc, "journal %s: replay: %s", d->cfg.db_path, rep.report);
        t0 -= (uint64_t)(lg_live_unix_now() - d->ec.clock_offset_ns);
        lg_daemon_log(d, LG_ALERT_WARN, 0, "restart: %llu journaled events replayed from %s",
                      (unsigned long long)rep.replayed, d->cfg.db_path);
    } else {
        d->ec.clock_offset_ns = lg_live_unix_now();
        rc = lg_engine_create(&d->ec, d->master, &d->eng);
        if (rc != LG_OK) return fail(err, cap, rc, "engine: the configuration is refused (%s)", lg_strerror(rc));
        rc = lg_store_save_setup(d->store, d->master, &d->ec);
        if (rc != LG_OK) return fail(err, cap, rc, "journal %s: cannot save the setup (%s)", d->cfg.db_path, lg_strerror(rc));
    }
    lg_live_config_t lc = {.loop = d->loop, .engine = d->eng, .store = d->store,
                           .send = lg_port_send, .broker = d->port, .on_alert = on_alert,
                           .on_records = on_records, .ud = d, .t0_hrtime = t0};
    rc = lg_live_create(&lc, &d->live);
    return rc == LG_OK ? LG_OK : fail(err, cap, rc, "live shell: %s", lg_strerror(rc));
}

/* A restart: the broker's book against the replayed engine before anything is traded.
 * Something unexplained halts trading (a person must look) but the daemon serves on. */
static int reconcile(lg_daemon_t *d, char *err, size_t cap) {
    if (!d->recovering) return LG_OK;
    lg_daemon_book_t b;
    int rc = lg_daemon_fetch_book(&d->cfg, &b, err, cap);
    if (rc != LG_OK) return rc;
    lg_recovery_t rep;
    memset(&rep, 0, sizeof rep);
    rc = lg_live_reconcile(d->live, &b.book, &rep);
    lg_daemon_book_free(&b);
    if (rc != LG_OK && rc != LG_EMISMATCH) return fail(err, cap, rc, "restart: reconciliation: %s", lg_strerror(rc));
    lg_daemon_log(d, rc == LG_OK ? LG_ALERT_WARN : LG_ALERT_CRITICAL, 0,
                  "restart: reconciled with the broker: %u orders updated, %u adopted, %u groups "
                  "rebuilt, %u missing, %u unexplained%s%s", rep.updated, rep.adopted, rep.rebuilt,
                  rep.missing, rep.unexplained, rep.unexplained ? ": trading HALTED: " : "",
                  rep.unexplained ? rep.report : "");
    return LG_OK;
}

static int start_api(lg_daemon_t *d, char *err, size_t cap) {
    lg_api_config_t ac = {.engine = d->eng, .token = d->token, .max_body = d->cfg.api_max_body,
                          .rate_per_s = d->cfg.api_rate_per_s, .burst = d->cfg.api_burst,
                          .ops = {op_submit, op_intent, op_control}, .ud = d,
                          .metrics = daemon_metrics};
    int rc = lg_api_create(&ac, &d->api);
    if (rc != LG_OK) return fail(err, cap, rc, "control API: bad settings");
    d->events = lg_devents_create(d->api, d->eng);
    if (d->events == NULL) return fail(err, cap, LG_ENOMEM, "out of memory");
    lg_httpd_cbs_t cbs = {.on_request = on_request, .on_ws_open = on_ws_open,
                          .on_ws_ready = on_ws_ready, .on_close = on_conn_close};
    rc = lg_httpd_start(d->loop, d->cfg.api_host, d->cfg.api_port, &cbs, d, &d->httpd);
    if (rc != LG_OK)
        return fail(err, cap, rc, "[api] listen %s port %d: cannot listen (in use?)", d->cfg.api_host,
                    d->cfg.api_port);
    return LG_OK;
}

/* The instruments in full mode (the risk engine prices each leg): every one when they fit
 * on the ticker's connection, else the futures and the nearest expiries; their circuit
 * bands (GET /quote, again every band_refresh_s) and a margin snapshot. */
static int prime(lg_daemon_t *d, char *err, size_t cap) {
    uint32_t all = d->master->n;
    uint32_t *tokens = malloc((size_t)(all > 0 ? all : 1) * sizeof *tokens);
    if (tokens == NULL) return fail(err, cap, LG_ENOMEM, "out of memory");
    uint32_t n = lg_daemon_watchlist(d->master, LG_DAEMON_SUBSCRIBE_MAX, tokens);
    if (all > n)
        lg_daemon_log(d, LG_ALERT_WARN, 0, "ticker: %u of the master's %u instruments subscribed "
                      "(Kite takes %u on a connection): the futures, then each underlying's "
                      "nearest expiries, middle strikes first; "
                      "the rest have no prices, and groups on them are refused", n, all, n);
    int rc = lg_port_subscribe(d->port, tokens, n, LG_TICK_FULL);
    if (rc == LG_OK) rc = lg_port_bands(d->port, tokens, n, (lg_ns_t)d->cfg.band_refresh_s * LG_NS_PER_S);
    free(tokens);
    if (rc != LG_OK) return fail(err, cap, rc, "ticker subscription or circuit bands: %s", lg_strerror(rc));
    lg_cmd_t q = {.kind = LG_CMD_QUERY_MARGINS, .risk_reducing = true};
    rc = lg_port_send(d->port, &q);
    return rc == LG_OK ? LG_OK : fail(err, cap, rc, "margin query: %s", lg_strerror(rc));
}

int lg_daemon_start(uv_loop_t *loop, const lg_daemon_config_t *cfg, lg_daemon_t **out,
                    char *err, size_t errcap) {
    LG_ASSERT(loop != NULL && cfg != NULL && out != NULL && err != NULL);
    *out = NULL;
    lg_daemon_t *d = calloc(1, sizeof *d);
    if (d == NULL) return fail(err, errcap, LG_ENOMEM, "out of memory");
    d->cfg = *cfg;
    d->loop = loop;
    d->cfg.engine.risk.broker_basket =
        cfg->broker_margin == LG_BROKER_MARGIN_ON ||
        (cfg->broker_margin == LG_BROKER_MARGIN_AUTO && cfg->mode == LG_MODE_LIVE);
    int rc = lg_daemon_dir(cfg->data_dir, err, errcap);
    if (rc == LG_OK) rc = lg_daemon_token(cfg->token_file, true, d->token, sizeof d->token, err, errcap);
    if (rc == LG_OK) rc = open_journal(d, err, errcap);
    if (rc == LG_OK) rc = setup_master(d, err, errcap);
    if (rc == LG_OK) rc = start_port(d, err, errcap);
    if (rc == LG_OK) rc = start_engine(d, err, errcap);
    if (rc == LG_OK) rc = reconcile(d, err, errcap);
    if (rc == LG_OK) rc = start_api(d, err, errcap);
    if (rc == LG_OK) rc = prime(d, err, errcap);
    if (rc == LG_OK) rc = lg_dstrat_start(d, loop, cfg, d->master, d->live, d->eng, &d->strat, err, errcap);
    if (rc != LG_OK) {
        lg_daemon_stop(d);
        for (int i = 0; i < 1000 && uv_run(loop, UV_RUN_NOWAIT) != 0; i++) uv_sleep(1);
        lg_daemon_free(d);
        return rc;
    }
    uv_timer_init(loop, &d->summary);
    d->summary.data = d;
    d->summary_on = true;
    if (cfg->summary_s > 0)
        uv_timer_start(&d->summary, on_summary, (uint64_t)cfg->summary_s * 1000,
                       (uint64_t)cfg->summary_s * 1000);
    lg_daemon_log(d, LG_ALERT_INFO, 0,
                  "legato %s daemon: control API on http://%s:%d, token in %s, journal %s",
                  cfg->mode == LG_MODE_LIVE ? "live" : "paper", cfg->api_host,
                  lg_httpd_port(d->httpd), cfg->token_file, cfg->db_path);
    *out = d;
    return LG_OK;
}

void lg_daemon_stop(lg_daemon_t *d) {
    if (d == NULL || d->stopped) return;
    d->stopped = true;
    if (d->summary_on) uv_close((uv_handle_t *)&d->summary, NULL);
    if (d->httpd != NULL) lg_httpd_stop(d->httpd); /* its connections go without on_close: */
    lg_devents_free(d->events);                     /* so do the listeners */
    d->events = NULL;
    lg_dstrat_stop(d->strat);
    d->strat = NULL;
    if (d->live != NULL) lg_live_close(d->live);
    if (d->port != NULL) lg_port_close(d->port);
    if (d->sim != NULL) lg_simd_stop(d->sim);
    d->httpd = NULL;
    d->port = NULL;
    d->sim = NULL;
}

void lg_daemon_free(lg_daemon_t *d) {
    if (d == NULL) return;
    LG_ASSERT(d->stopped);
    lg_api_destroy(d->api);
    lg_devents_free(d->events);
    if (d->store != NULL) lg_store_close(d->store);
    if (d->eng != NULL) lg_engine_destroy(d->eng);
    if (d->own_master) lg_instruments_free(&d->own);
    free(d);
}

int lg_daemon_api_port(const lg_daemon_t *d) { return d->httpd != NULL ? lg_httpd_port(d->httpd) : 0; }
const lg_engine_t *lg_daemon_engine(const lg_daemon_t *d) { return d->eng; }
const char *lg_daemon_api_token(const lg_daemon_t *d) { return d->token; }
