/*
 * port_ticker.c — the Kite ticker's WebSocket client (ticker_client.h) on libwebsockets,
 * joined to the shell's libuv loop as a foreign loop: lws runs its sockets and timers
 * on our loop; we keep two uv timers of our own (the heartbeat watch and the reconnect).
 *
 * States:   IDLE --connect--> CONNECTING --101--> UP --close/silence--> IDLE (retry armed)
 *                                 |  403 --> AUTH (no retry until a new token)
 *
 * Memory: the handle is freed once our two timers have closed; lws calls us no more
 * after lws_context_destroy, which closes its connections and its libuv handles.
 * Known limit of libwebsockets 4.1 with a foreign libuv loop: its context is freed only
 * by a second lws_context_destroy, and that second call frees the per-thread state while
 * the libuv handles it has just closed are still waiting for their close callbacks (a
 * use after free, and a call into its event-loop plugin after unloading it). So the
 * second call is not made: each closed ticker leaves lws's context (about a megabyte
 * with the TLS trust store) allocated. A process opens one ticker for its life, so this
 * is a one-off at exit; the sanitizer builds list it in tests/lsan.supp.
 *
 * A second defect of libwebsockets 4.1 (upstream issue 2514): its context destroy
 * closes its cancel pipe's descriptor at once, and again when the loop later finishes
 * closing that pipe's handle. Whatever took the number in between (a libcurl socket, the
 * journal) would be closed under its owner. So the descriptors lws opened are noted at
 * create, those its destroy closed are held at once by a /dev/null placeholder (lws's
 * second close then closes the placeholder), and a few loop turns later the placeholders
 * lws did not close are closed by us (`reap`).
 *
 * The access token is in the connection path only; lws's own logging is switched off so
 * that it never prints it, and our messages never include the path.
 */
#include "ticker_client.h"

#include <fcntl.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MSG_MAX (1u << 20)       /* the largest message taken */
#define OUT_MAX 128              /* text frames waiting to be written */
#define OUT_FRAME 4096           /* the largest text frame we write */
#define CHUNK 200                /* tokens per subscribe / mode frame */
#define WATCH_MS 100
#define LWS_FDS_MAX 8            /* descriptors of lws's context we keep track of */
#define FD_SCAN 4096             /* descriptor numbers looked at around lws_create_context */
#define REAP_TURNS 4             /* loop turns before the placeholders go */

typedef struct out_frame {
    uint8_t buf[LWS_PRE + OUT_FRAME];
    size_t len;
} out_frame_t;

struct lg_tkc {
    lg_tkc_config_t cfg;
    char host[128], base[160], path[512], api_key[64], token[160];
    int port;
    bool tls;
    struct lws_context *ctx;
    struct lws *wsi;
    uv_timer_t watch, retry;
    uv_idle_t reap;              /* after close: lets the loop turn, then drops guards */
    int releases;                /* 3: our timers and the reap handle closed */
    int lws_fds[LWS_FDS_MAX];    /* descriptors lws_create_context opened */
    int n_lws_fds;
    int guards[LWS_FDS_MAX];     /* placeholders on numbers lws may close again */
    int n_guards, reap_turns;
    bool closing, up, auth_failed, attempting, kill;
    lg_ns_t backoff, last_rx, up_at;
    uint8_t *msg;
    size_t msg_len;
    bool in_msg, msg_binary, too_big;
    uint32_t *tokens;
    uint8_t *modes;
    uint32_t n_tokens;
    out_frame_t *out;
    uint32_t out_head, out_n;
    lg_tkc_stats_t st;
};

static lg_ns_t now_ns(void) {
    return (lg_ns_t)uv_hrtime();
}

static void release(lg_tkc_t *t) {
    LG_ASSERT(t->releases > 0);
    if (--t->releases > 0) return;
    memset(t->token, 0, sizeof t->token);
    memset(t->path, 0, sizeof t->path);
    free(t->msg);
    free(t->tokens);
    free(t->modes);
    free(t->out);
    free(t);
}

static void timer_closed(uv_handle_t *h) {
    release(h->data);
}

/* ---- outgoing text frames ------------------------------------------------------------- */

static out_frame_t *out_slot(lg_tkc_t *t) {
    if (t->out_n == OUT_MAX) return NULL;
    return &t->out[(t->out_head + t->out_n) % OUT_MAX];
}

/* Queues subscribe + mode frames for tokens[0..n) in one mode. */
static int queue_sub(lg_tkc_t *t, const uint32_t *tokens, uint32_t n, lg_tick_mode_t mode) {
    for (uint32_t i = 0; i < n; i += CHUNK) {
        uint32_t k = LG_MIN(CHUNK, n - i);
        if (t->out_n + 2 > OUT_MAX) return LG_EPOOL_FULL;
        out_frame_t *f = out_slot(t);
        int rc = lg_ticker_subscribe(tokens + i, k, (char *)f->buf + LWS_PRE, OUT_FRAME, &f->len);
        if (rc != LG_OK) return rc;
        t->out_n++;
        f = out_slot(t);
        rc = lg_ticker_mode(mode, tokens + i, k, (char *)f->buf + LWS_PRE, OUT_FRAME, &f->len);
        if (rc != LG_OK) return rc;
        t->out_n++;
    }
    if (t->wsi != NULL && t->up) lws_callback_on_writable(t->wsi);
    return LG_OK;
}

/* Everything remembered, mode by mode (after a connect). */
static void queue_all(lg_tkc_t *t) {
    uint32_t *buf = malloc(sizeof *buf * (t->n_tokens ? t->n_tokens : 1));
    if (buf == NULL) return;
    for (int m = LG_TICK_LTP; m <= LG_TICK_FULL; m++) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < t->n_tokens; i++)
            if (t->modes[i] == m) buf[n++] = t->tokens[i];
        if (n > 0 && queue_sub(t, buf, n, (lg_tick_mode_t)m) != LG_OK) break;
    }
    free(buf);
}

static int writeable(lg_tkc_t *t, struct lws *wsi) {
    if (t->kill) return -1; /* closes the connection */
    if (t->out_n == 0) return 0;
    out_frame_t *f = &t->out[t->out_head];
    int n = lws_write(wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT);
    if (n < (int)f->len) return -1;
    t->out_head = (t->out_head + 1) % OUT_MAX;
    t->out_n--;
    if (t->out_n > 0) lws_callback_on_writable(wsi);
    return 0;
}

/* ---- connection ------------------------------------------------------------------------- */

static void on_retry(uv_timer_t *timer);

static void down(lg_tkc_t *t, bool auth, const char *why) {
    t->wsi = NULL;
    if (t->closing || !t->attempting) return;
    t->attempting = false;
    bool was_up = t->up;
    t->up = false;
    t->st.up = false;
    t->in_msg = false;
    t->msg_len = 0;
    t->out_n = 0;
    t->kill = false;
    uv_timer_stop(&t->watch);
    if (was_up) {
        t->st.disconnects++;
        if (now_ns() - t->up_at > t->cfg.heartbeat_timeout_ns) t->backoff = t->cfg.backoff_min_ns;
    }
    if (auth) t->auth_failed = true;
    if (t->cfg.on_down != NULL) t->cfg.on_down(t->cfg.ud, auth, why);
    if (auth || t->closing) return;
    uv_timer_start(&t->retry, on_retry, (uint64_t)(t->backoff / LG_NS_PER_MS), 0);
    t->backoff = LG_MIN(t->backoff * 2, t->cfg.backoff_max_ns);
}

static void connect_now(lg_tkc_t *t) {
    if (t->closing || t->attempting || t->auth_failed) return;
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = t->ctx;
    i.address = t->host;
    i.port = t->port;
    i.path = t->path;
    i.host = t->host;
    i.origin = t->host;
    i.ssl_connection = t->tls ? LCCSCF_USE_SSL : 0;
    i.local_protocol_name = "legato-ticker";
    i.pwsi = &t->wsi;
    t->attempting = true;
    if (lws_client_connect_via_info(&i) == NULL && t->attempting)
        down(t, false, "could not start the connection");
}

static void on_retry(uv_timer_t *timer) {
    connect_now(timer->data);
}

static void on_watch(uv_timer_t *timer) {
    lg_tkc_t *t = timer->data;
    if (!t->up || t->wsi == NULL || t->kill) return;
    if (now_ns() - t->last_rx <= t->cfg.heartbeat_timeout_ns) return;
    t->st.silent_closes++;
    t->kill = true; /* the next writeable callback closes it */
    lws_callback_on_writable(t->wsi);
}

static void established(lg_tkc_t *t, struct lws *wsi) {
    t->wsi = wsi;
    t->up = true;
    t->st.up = true;
    t->st.connects++;
    t->up_at = t->last_rx = now_ns();
    queue_all(t);
    uv_timer_start(&t->watch, on_watch, WATCH_MS, WATCH_MS);
    if (t->cfg.on_up != NULL) t->cfg.on_up(t->cfg.ud);
    if (t->out_n > 0 && t->wsi != NULL) lws_callback_on_writable(t->wsi);
}

static void deliver(lg_tkc_t *t) {
    if (t->msg_binary) {
        t->st.binary++;
        if (t->msg_len == 1) t->st.heartbeats++;
        if (t->cfg.on_binary != NULL) t->cfg.on_binary(t->cfg.ud, t->msg, t->msg_len);
    } else {
        t->st.text++;
        if (t->cfg.on_text != NULL) t->cfg.on_text(t->cfg.ud, (const char *)t->msg, t->msg_len);
    }
}

static void receive(lg_tkc_t *t, struct lws *wsi, const uint8_t *p, size_t n) {
    t->last_rx = now_ns();
    if (!t->in_msg) {
        t->in_msg = true;
        t->msg_len = 0;
        t->too_big = false;
        t->msg_binary = lws_frame_is_binary(wsi) != 0;
    }
    if (t->msg_len + n > MSG_MAX) t->too_big = true;
    if (!t->too_big) {
        memcpy(t->msg + t->msg_len, p, n);
        t->msg_len += n;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) return;
    t->in_msg = false;
    if (t->too_big) {
        t->kill = true; /* a message past 1 MiB: not Kite's; reconnect */
        lws_callback_on_writable(wsi);
        return;
    }
    deliver(t);
}

static bool refused_403(struct lws *wsi, const char *why) {
    unsigned int status = wsi ? lws_http_client_http_response(wsi) : 0;
    return status == 403 || status == 401 || (why && strstr(why, "403") != NULL);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
    (void)user;
    struct lws_context *ctx = lws_get_context(wsi);
    lg_tkc_t *t = ctx ? lws_context_user(ctx) : NULL;
    if (t == NULL || t->closing) return 0;
    char why[128];
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        snprintf(why, sizeof why, "connection failed: %.100s", in ? (const char *)in : "unknown");
        down(t, refused_403(wsi, in), why);
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        established(t, wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        receive(t, wsi, in, len);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return writeable(t, wsi);
    case LWS_CALLBACK_CLIENT_CLOSED:
        down(t, false, t->kill ? "closed: the stream went silent or sent too much"
                               : "closed by the server");
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"legato-ticker", callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- the handle ------------------------------------------------------------------------- */

static int parse_root(lg_tkc_t *t, const char *root) {
    const char *p;
    if (strncmp(root, "wss://", 6) == 0) {
        t->tls = true;
        t->port = 443;
        p = root + 6;
    } else if (strncmp(root, "ws://", 5) == 0) {
        t->port = 80;
        p = root + 5;
    } else {
        return LG_EINVAL;
    }
    size_t hl = strcspn(p, ":/?");
    if (hl == 0 || hl >= sizeof t->host) return LG_EINVAL;
    memcpy(t->host, p, hl);
    t->host[hl] = '\0';
    p += hl;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (port <= 0 || port > 65535) return LG_EINVAL;
        t->port = (int)port;
        p = end;
    }
    if (*p != '\0' && *p != '/') return LG_EINVAL;
    return lg_strlcpy(t->base, *p ? p : "/", sizeof t->base) == LG_OK ? LG_OK : LG_EINVAL;
}

static int build_path(lg_tkc_t *t) {
    int n = snprintf(t->path, sizeof t->path, "%s?api_key=%s&access_token=%s", t->base,
                     t->api_key, t->token);
    return n > 0 && (size_t)n < sizeof t->path ? LG_OK : LG_EINVAL;
}

static int make_context(lg_tkc_t *t) {
    static bool quiet;
    if (!quiet) {
        lws_set_log_level(0, NULL); /* lws would print paths, and the path has the token */
        quiet = true;
    }
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *loops[1] = {t->cfg.loop};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = loops;
    info.user = t;
    info.timeout_secs = 5;
    uint8_t *before = calloc(FD_SCAN / 8, 1);
    if (before == NULL) return LG_ENOSPACE;
    for (int fd = 0; fd < FD_SCAN; fd++)
        if (fcntl(fd, F_GETFD) != -1) before[fd / 8] |= (uint8_t)(1u << (fd % 8));
    t->ctx = lws_create_context(&info);
    for (int fd = 0; t->ctx != NULL && fd < FD_SCAN && t->n_lws_fds < LWS_FDS_MAX; fd++)
        if (!(before[fd / 8] & (1u << (fd % 8))) && fcntl(fd, F_GETFD) != -1)
            t->lws_fds[t->n_lws_fds++] = fd;
    free(before);
    return t->ctx != NULL ? LG_OK : LG_EIO;
}

int lg_tkc_create(const lg_tkc_config_t *cfg, lg_tkc_t **out) {
    LG_ASSERT(cfg != NULL && out != NULL && cfg->loop != NULL && cfg->ws_root != NULL);
    if (cfg->api_key == NULL || cfg->access_token == NULL) return LG_EINVAL;
    lg_tkc_t *t = calloc(1, sizeof *t);
    if (t == NULL) return LG_ENOSPACE;
    t->cfg = *cfg;
    if (t->cfg.heartbeat_timeout_ns <= 0) t->cfg.heartbeat_timeout_ns = 5 * LG_NS_PER_S;
    if (t->cfg.backoff_min_ns <= 0) t->cfg.backoff_min_ns = 250 * LG_NS_PER_MS;
    if (t->cfg.backoff_max_ns < t->cfg.backoff_min_ns) t->cfg.backoff_max_ns = 30 * LG_NS_PER_S;
    t->cfg.ws_root = NULL;
    t->cfg.api_key = NULL;
    t->cfg.access_token = NULL;
    t->backoff = t->cfg.backoff_min_ns;
    t->releases = 1; /* until the context exists: freed here on failure */
    t->msg = malloc(MSG_MAX);
    t->tokens = malloc(sizeof *t->tokens * LG_TKC_MAX_TOKENS);
    t->modes = malloc(LG_TKC_MAX_TOKENS);
    t->out = malloc(sizeof *t->out * OUT_MAX);
    int rc = t->msg && t->tokens && t->modes && t->out ? LG_OK : LG_ENOSPACE;
    if (rc == LG_OK) rc = parse_root(t, cfg->ws_root);
    if (rc == LG_OK && (lg_strlcpy(t->api_key, cfg->api_key, sizeof t->api_key) != LG_OK ||
                        lg_strlcpy(t->token, cfg->access_token, sizeof t->token) != LG_OK))
        rc = LG_EINVAL;
    if (rc == LG_OK) rc = build_path(t);
    if (rc == LG_OK) rc = make_context(t);
    if (rc != LG_OK) {
        release(t);
        return rc;
    }
    t->releases = 3; /* our two timers and the reap handle */
    uv_timer_init(t->cfg.loop, &t->watch);
    uv_timer_init(t->cfg.loop, &t->retry);
    uv_idle_init(t->cfg.loop, &t->reap);
    t->watch.data = t;
    t->retry.data = t;
    t->reap.data = t;
    connect_now(t);
    *out = t;
    return LG_OK;
}

int lg_tkc_subscribe(lg_tkc_t *t, const uint32_t *tokens, uint32_t n, lg_tick_mode_t mode) {
    LG_ASSERT(t != NULL && !t->closing);
    if (n == 0 || mode < LG_TICK_LTP || mode > LG_TICK_FULL) return LG_EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = 0;
        while (k < t->n_tokens && t->tokens[k] != tokens[i]) k++;
        if (k == t->n_tokens) {
            if (t->n_tokens == LG_TKC_MAX_TOKENS) return LG_ENOSPACE;
            t->tokens[t->n_tokens++] = tokens[i];
        }
        t->modes[k] = (uint8_t)mode;
    }
    return t->up ? queue_sub(t, tokens, n, mode) : LG_OK;
}

int lg_tkc_set_token(lg_tkc_t *t, const char *access_token) {
    LG_ASSERT(t != NULL && access_token != NULL && !t->closing);
    if (lg_strlcpy(t->token, access_token, sizeof t->token) != LG_OK || build_path(t) != LG_OK)
        return LG_EINVAL;
    t->auth_failed = false;
    t->backoff = t->cfg.backoff_min_ns;
    if (t->wsi != NULL) {
        t->kill = true; /* reconnect with the new token */
        lws_callback_on_writable(t->wsi);
    } else if (!t->attempting) {
        uv_timer_stop(&t->retry);
        connect_now(t);
    }
    return LG_OK;
}

void lg_tkc_stats(const lg_tkc_t *t, lg_tkc_stats_t *s) {
    *s = t->st;
}

static bool is_dev_null(int fd) {
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0 && S_ISCHR(a.st_mode) &&
           a.st_rdev == b.st_rdev;
}

/* Holds the numbers lws's destroy just closed, before anything else can take them. */
static void guard(lg_tkc_t *t) {
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) return;
    bool kept = false; /* the placeholder itself may have taken a freed number */
    for (int i = 0; i < t->n_lws_fds; i++) {
        int fd = t->lws_fds[i];
        if (fd == null_fd) {
            t->guards[t->n_guards++] = fd;
            kept = true;
        } else if (fcntl(fd, F_GETFD) == -1 && dup2(null_fd, fd) == fd) {
            fcntl(fd, F_SETFD, FD_CLOEXEC);
            t->guards[t->n_guards++] = fd; /* else still lws's: not ours to touch */
        }
    }
    if (!kept) close(null_fd);
}

/* A few loop turns later lws has closed what it closes twice; the rest of the
 * placeholders are ours to close. */
static void on_reap(uv_idle_t *idle) {
    lg_tkc_t *t = idle->data;
    if (++t->reap_turns < REAP_TURNS) return;
    for (int i = 0; i < t->n_guards; i++)
        if (is_dev_null(t->guards[i])) close(t->guards[i]);
    t->n_guards = 0;
    uv_idle_stop(&t->reap);
    uv_close((uv_handle_t *)&t->reap, timer_closed);
}

void lg_tkc_close(lg_tkc_t *t) {
    if (t == NULL || t->closing) return;
    t->closing = true;
    uv_timer_stop(&t->watch);
    uv_timer_stop(&t->retry);
    uv_close((uv_handle_t *)&t->watch, timer_closed);
    uv_close((uv_handle_t *)&t->retry, timer_closed);
    lws_context_destroy(t->ctx); /* lws closes its connections and libuv handles */
    guard(t);
    uv_idle_start(&t->reap, on_reap);
}
