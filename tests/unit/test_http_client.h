/*
 * test_http_client.h — for tests of the servers: a libuv loop on its own thread (the
 * server under test lives there) and a blocking HTTP / WebSocket client on the test's
 * thread, with receive timeouts so that a server that does not answer fails the test
 * instead of hanging it.
 */
#ifndef LEGATO_TEST_HTTP_CLIENT_H
#define LEGATO_TEST_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

/* ---- the server's loop on a thread --------------------------------------------------- */

typedef struct tl_loop {
    uv_loop_t loop;
    uv_async_t wake;
    pthread_t thread;
    void (*on_stop)(void *arg); /* runs on the loop's thread */
    void (*call)(void *arg);    /* tl_call: runs on the loop's thread */
    void *arg, *call_arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, called;
} tl_loop_t;

static void tl_on_wake(uv_async_t *a) {
    tl_loop_t *l = a->data;
    pthread_mutex_lock(&l->mu);
    void (*call)(void *) = l->call;
    l->call = NULL;
    int stop = l->stop;
    pthread_mutex_unlock(&l->mu);
    if (call != NULL) {
        call(l->call_arg);
        pthread_mutex_lock(&l->mu);
        l->called = 1;
        pthread_cond_signal(&l->cv);
        pthread_mutex_unlock(&l->mu);
    }
    if (stop) {
        if (l->on_stop != NULL) l->on_stop(l->arg);
        uv_close((uv_handle_t *)&l->wake, NULL);
    }
}

static void *tl_main(void *p) {
    tl_loop_t *l = p;
    uv_run(&l->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* The loop is made here; the caller starts its server on l->loop, then tl_run. */
static inline void tl_init(tl_loop_t *l) {
    memset(l, 0, sizeof *l);
    uv_loop_init(&l->loop);
    uv_async_init(&l->loop, &l->wake, tl_on_wake);
    l->wake.data = l;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
}

static inline void tl_run(tl_loop_t *l) {
    pthread_create(&l->thread, NULL, tl_main, l);
}

/* Runs fn(arg) on the loop's thread and waits for it (inspection between turns). */
static inline void tl_call(tl_loop_t *l, void (*fn)(void *), void *arg) {
    pthread_mutex_lock(&l->mu);
    l->call = fn;
    l->call_arg = arg;
    l->called = 0;
    pthread_mutex_unlock(&l->mu);
    uv_async_send(&l->wake);
    pthread_mutex_lock(&l->mu);
    while (!l->called) pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
}

/* on_stop(arg) runs on the loop's thread (stop the server there); then the loop drains. */
static inline void tl_stop(tl_loop_t *l, void (*on_stop)(void *), void *arg) {
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    l->on_stop = on_stop;
    l->arg = arg;
    pthread_mutex_unlock(&l->mu);
    uv_async_send(&l->wake);
    pthread_join(l->thread, NULL);
    uv_loop_close(&l->loop);
}

static inline void tc_pause_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- a blocking client ------------------------------------------------------------------- */

static inline int tc_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static inline int tc_send(int fd, const void *p, size_t n) {
    const char *s = p;
    while (n > 0) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k <= 0) return -1;
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads exactly n bytes; -1 on end or timeout. */
static inline int tc_read_n(int fd, void *p, size_t n) {
    char *s = p;
    while (n > 0) {
        ssize_t k = recv(fd, s, n, 0);
        if (k <= 0) return -1;
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

typedef struct tc_resp {
    int status;
    char head[4096];
    char *body; /* malloc'd, NUL-terminated */
    size_t len;
} tc_resp_t;

/* One response (Content-Length bodies); the status, or -1. */
static inline int tc_read_resp(int fd, tc_resp_t *r) {
    memset(r, 0, sizeof *r);
    size_t h = 0;
    while (h + 1 < sizeof r->head) {
        if (tc_read_n(fd, r->head + h, 1) != 0) return -1;
        h++;
        if (h >= 4 && memcmp(r->head + h - 4, "\r\n\r\n", 4) == 0) break;
    }
    r->head[h] = '\0';
    if (sscanf(r->head, "HTTP/1.1 %d", &r->status) != 1) return -1;
    r->len = 0;
    for (const char *p = r->head; (p = strstr(p, "\r\n")) != NULL; p += 2)
        if (strncasecmp(p + 2, "Content-Length:", 15) == 0) r->len = (size_t)strtoul(p + 17, NULL, 10);
    r->body = calloc(1, r->len + 1);
    if (r->len > 0 && tc_read_n(fd, r->body, r->len) != 0) return -1;
    return r->status;
}

static inline void tc_free(tc_resp_t *r) {
    free(r->body);
    r->body = NULL;
}

/* A whole request on a fresh connection (Connection: close); the status, or -1. */
static inline int tc_request(int port, const char *method, const char *path, const char *auth,
                             const char *body, tc_resp_t *r) {
    int fd = tc_connect(port);
    if (fd < 0) return -1;
    char head[1024];
    size_t bl = body != NULL ? strlen(body) : 0;
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s%s"
                     "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n",
                     method, path, auth != NULL ? "Authorization: " : "", auth != NULL ? auth : "",
                     auth != NULL ? "\r\n" : "", bl);
    int st = tc_send(fd, head, (size_t)n) == 0 && (bl == 0 || tc_send(fd, body, bl) == 0)
                 ? tc_read_resp(fd, r)
                 : -1;
    close(fd);
    return st;
}

/* ---- WebSocket client frames -------------------------------------------------------------- */

/* A masked client frame (mask 0x11 0x22 0x33 0x44). */
static inline int tc_ws_send(int fd, int fin, int op, const void *p, size_t n) {
    uint8_t h[14];
    size_t hn = 0;
    h[hn++] = (uint8_t)((fin ? 0x80 : 0) | op);
    if (n < 126) {
        h[hn++] = (uint8_t)(0x80 | n);
    } else {
        h[hn++] = 0x80 | 126;
        h[hn++] = (uint8_t)(n >> 8);
        h[hn++] = (uint8_t)n;
    }
    static const uint8_t mask[4] = {0x11, 0x22, 0x33, 0x44};
    memcpy(h + hn, mask, 4);
    hn += 4;
    uint8_t *m = malloc(n + 1);
    for (size_t i = 0; i < n; i++) m[i] = ((const uint8_t *)p)[i] ^ mask[i & 3];
    int rc = tc_send(fd, h, hn) == 0 && tc_send(fd, m, n) == 0 ? 0 : -1;
    free(m);
    return rc;
}

/* A server frame into buf (NUL-terminated); its opcode, or -1. */
static inline int tc_ws_read(int fd, uint8_t *buf, size_t cap, size_t *len) {
    uint8_t h[2];
    if (tc_read_n(fd, h, 2) != 0) return -1;
    uint64_t n = h[1] & 0x7F;
    if (n == 126) {
        uint8_t e[2];
        if (tc_read_n(fd, e, 2) != 0) return -1;
        n = (uint64_t)e[0] << 8 | e[1];
    } else if (n == 127) {
        uint8_t e[8];
        if (tc_read_n(fd, e, 8) != 0) return -1;
        n = 0;
        for (int i = 0; i < 8; i++) n = n << 8 | e[i];
    }
    if (n + 1 > cap || tc_read_n(fd, buf, (size_t)n) != 0) return -1;
    buf[n] = 0;
    *len = (size_t)n;
    return h[0] & 0x0F;
}

/* Opens a WebSocket at path; the fd, or -1 (the status is in *status). */
static inline int tc_ws_open(int port, const char *path, int *status) {
    int fd = tc_connect(port);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     path);
    tc_resp_t r;
    *status = fd >= 0 && tc_send(fd, req, (size_t)n) == 0 ? tc_read_resp(fd, &r) : -1;
    if (*status > 0) tc_free(&r);
    if (*status != 101) {
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

#endif
