/*
 * daemon_live.c — what `legato run` asks the broker before it trades in live mode, each a
 * blocking REST call at start-up (nothing is traded yet; the loop is not running):
 *
 *   GET /instruments/NFO       the instrument master (with the freeze-quantity file)
 *   GET /orders                the day's order book  } a restart reconciles the journal
 *   GET /portfolio/positions   net positions         } with them (recover.h)
 *
 * Errors name the URL and what the broker answered; the secrets are never in them.
 */
#include "daemon_int.h"

#include "legato/kite.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX (64u << 20) /* the NFO master is ~10 MB */
#define BOOK_MAX 20000       /* orders and positions rows read */

typedef struct body {
    char *p;
    size_t n, cap;
    bool too_big;
} body_t;

static size_t on_data(char *data, size_t size, size_t n, void *ud) {
    body_t *b = ud;
    size_t k = size * n;
    if (b->n + k + 1 > BODY_MAX) {
        b->too_big = true;
        return 0;
    }
    if (b->n + k + 1 > b->cap) {
        size_t cap = LG_MAX(b->cap * 2, b->n + k + 1);
        char *p = realloc(b->p, cap);
        if (p == NULL) return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, k);
    b->n += k;
    b->p[b->n] = '\0';
    return k;
}

/* GET rest_root + path with Kite's headers; the body (NUL-terminated) on a 200. */
static int fetch(const lg_daemon_config_t *cfg, const char *path, body_t *b, char *err, size_t cap) {
    memset(b, 0, sizeof *b);
    char url[LG_CONFIG_URL_MAX + 64], auth[2 * LG_CONFIG_SECRET_MAX + 32];
    snprintf(url, sizeof url, "%s%s", cfg->rest_root, path);
    snprintf(auth, sizeof auth, "Authorization: token %s:%s", cfg->api_key, cfg->access_token);
    CURL *c = curl_easy_init();
    if (c == NULL) return lg_errf(err, cap, LG_ENOMEM, "GET %s: no curl handle", url);
    struct curl_slist *h = curl_slist_append(NULL, "X-Kite-Version: 3");
    h = curl_slist_append(h, auth);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    int out = LG_OK;
    if (b->too_big) out = lg_errf(err, cap, LG_ETOOBIG, "GET %s: answer beyond %u MB", url, BODY_MAX >> 20);
    else if (rc != CURLE_OK) out = lg_errf(err, cap, LG_EIO, "GET %s: %s", url, curl_easy_strerror(rc));
    else if (status != 200)
        out = lg_errf(err, cap, status == 403 ? LG_EAUTH : LG_EIO, "GET %s: HTTP %ld: %.160s", url, status,
                      b->p != NULL ? b->p : "");
    else if (b->p == NULL) out = lg_errf(err, cap, LG_EPARSE, "GET %s: empty answer", url);
    if (out != LG_OK) {
        free(b->p);
        b->p = NULL;
    }
    return out;
}

static int read_text(const char *path, body_t *b, char *err, size_t cap) {
    memset(b, 0, sizeof *b);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return lg_errf(err, cap, LG_EIO, "[broker] freeze_file %s: cannot be read", path);
    char chunk[4096];
    for (size_t k; (k = fread(chunk, 1, sizeof chunk, f)) > 0;)
        if (on_data(chunk, 1, k, b) != k) break;
    fclose(f);
    if (b->p == NULL || b->too_big) {
        free(b->p);
        return lg_errf(err, cap, LG_EIO, "[broker] freeze_file %s: empty or too large", path);
    }
    return LG_OK;
}

int lg_daemon_fetch_master(const lg_daemon_config_t *cfg, lg_instruments_t *m, char *err, size_t cap) {
    body_t fz, csv;
    int rc = read_text(cfg->freeze_file, &fz, err, cap);
    if (rc != LG_OK) return rc;
    static lg_freeze_table_t freeze; /* start-up only */
    char why[200];
    rc = lg_freeze_table_parse(&freeze, fz.p, fz.n, why, sizeof why);
    free(fz.p);
    if (rc != LG_OK) return lg_errf(err, cap, rc, "[broker] freeze_file %s: %s", cfg->freeze_file, why);
    rc = fetch(cfg, "/instruments/NFO", &csv, err, cap);
    if (rc != LG_OK) return rc;
    uint32_t rows = 1;
    for (size_t i = 0; i < csv.n; i++) rows += csv.p[i] == '\n';
    rc = lg_instruments_init(m, rows);
    uint32_t skipped = 0;
    if (rc == LG_OK) rc = lg_instruments_load_csv(m, csv.p, csv.n, &freeze, &skipped, why, sizeof why);
    free(csv.p);
    if (rc != LG_OK) {
        lg_instruments_free(m);
        return lg_errf(err, cap, rc, "GET %s/instruments/NFO: %s", cfg->rest_root, why);
    }
    if (m->n == 0) {
        lg_instruments_free(m);
        return lg_errf(err, cap, LG_EINSTRUMENT, "GET %s/instruments/NFO: no NFO option or future", cfg->rest_root);
    }
    return LG_OK;
}

int lg_daemon_fetch_book(const lg_daemon_config_t *cfg, lg_daemon_book_t *out, char *err, size_t cap) {
    memset(out, 0, sizeof *out);
    out->orders = calloc(BOOK_MAX, sizeof *out->orders);
    out->positions = calloc(BOOK_MAX, sizeof *out->positions);
    if (out->orders == NULL || out->positions == NULL) {
        lg_daemon_book_free(out);
        return lg_errf(err, cap, LG_ENOMEM, "out of memory for the order book");
    }
    body_t b;
    char why[200];
    int rc = fetch(cfg, "/orders", &b, err, cap);
    if (rc == LG_OK) {
        rc = lg_kite_parse_orders(b.p, b.n, out->orders, BOOK_MAX, &out->book.n_orders, why, sizeof why);
        free(b.p);
        if (rc != LG_OK) rc = lg_errf(err, cap, rc, "GET %s/orders: %s", cfg->rest_root, why);
    }
    if (rc == LG_OK && (rc = fetch(cfg, "/portfolio/positions", &b, err, cap)) == LG_OK) {
        rc = lg_kite_parse_positions(b.p, b.n, out->positions, BOOK_MAX, &out->book.n_positions, why,
                                     sizeof why);
        free(b.p);
        if (rc != LG_OK) rc = lg_errf(err, cap, rc, "GET %s/portfolio/positions: %s", cfg->rest_root, why);
    }
    if (rc != LG_OK) {
        lg_daemon_book_free(out);
        return rc;
    }
    out->book.orders = out->orders;
    out->book.positions = out->positions;
    return LG_OK;
}

void lg_daemon_book_free(lg_daemon_book_t *b) {
    free(b->orders);
    free(b->positions);
    memset(b, 0, sizeof *b);
}
