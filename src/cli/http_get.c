/*
 * http_get.c — the client commands' HTTP/1.1 client (cli_int.h): one request per
 * connection, blocking POSIX sockets, every wait bounded by LG_CLI_HTTP_TIMEOUT_S
 * (SO_SNDTIMEO covers connect and send, SO_RCVTIMEO each receive). The reply is read
 * to its Content-Length (or to the end of the connection when it has none), never
 * past LG_CLI_HTTP_MAX.
 */
#include "cli_int.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define HEAD_MAX (64u * 1024u) /* the reply's status line and headers */

void lg_cli_resp_free(lg_cli_resp_t *r) {
    LG_ASSERT(r != NULL);
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

/* A connected socket to host:port, or -1 with err (and *refused) set. */
static int hg_connect(const char *host, int port, bool *refused, char *err, size_t cap) {
    char serv[16];
    snprintf(serv, sizeof serv, "%d", port);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(host, serv, &hints, &res);
    if (g != 0 || res == NULL) {
        snprintf(err, cap, "cannot resolve %s: %s", host, gai_strerror(g));
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        snprintf(err, cap, "socket: %s", strerror(errno));
        freeaddrinfo(res);
        return -1;
    }
    struct timeval tv = {.tv_sec = LG_CLI_HTTP_TIMEOUT_S};
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = connect(fd, res->ai_addr, res->ai_addrlen);
    int e = errno;
    freeaddrinfo(res);
    if (rc != 0) {
        *refused = e == ECONNREFUSED;
        if (e == EINPROGRESS || e == EAGAIN)
            snprintf(err, cap, "cannot connect to %s:%d in %d s", host, port, LG_CLI_HTTP_TIMEOUT_S);
        else
            snprintf(err, cap, "cannot connect to %s:%d: %s", host, port, strerror(e));
        close(fd);
        return -1;
    }
    return fd;
}

static int hg_send_all(int fd, const char *p, size_t n, char *err, size_t cap) {
    for (uint32_t round = 0; n > 0 && round < 1000000u; round++) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            snprintf(err, cap, "cannot send the request: %s", k < 0 ? strerror(errno) : "closed");
            return LG_EIO;
        }
        p += k;
        n -= (size_t)k;
    }
    return n == 0 ? LG_OK : LG_EIO;
}

/* The end of the head ("\r\n\r\n") in buf[0..n), or 0 when not there yet. */
static size_t hg_head_end(const char *buf, size_t n) {
    for (size_t i = 3; i < n; i++)
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
            return i + 1;
    return 0;
}

/* Status and Content-Length (-1 when absent) of a head; LG_EPARSE when not HTTP/1.x. */
static int hg_parse_head(char *head, size_t n, int *status, long long *clen) {
    head[n - 1] = '\0';
    int st = 0;
    if (strncmp(head, "HTTP/1.", 7) != 0 || sscanf(head + 7, "%*1[01] %3d", &st) != 1 || st < 100 ||
        st > 599)
        return LG_EPARSE;
    *status = st;
    *clen = -1;
    for (char *p = strstr(head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, "Content-Length:", 15) != 0) continue;
        char *end = NULL;
        long long v = strtoll(p + 17, &end, 10);
        if (end == p + 17 || v < 0) return LG_EPARSE;
        *clen = v;
    }
    return LG_OK;
}

typedef struct hg_buf {
    char *p;
    size_t n, cap;
} hg_buf_t;

/* Receives more into b (growing it, up to max bytes); bytes read, 0 at the end, -1. */
static ssize_t hg_recv(int fd, hg_buf_t *b, size_t max, char *err, size_t cap) {
    if (b->n + 1 >= b->cap) {
        size_t want = LG_MIN(b->cap * 2, max + 1);
        if (want <= b->n + 1) {
            snprintf(err, cap, "the reply is larger than %u bytes", LG_CLI_HTTP_MAX);
            return -2;
        }
        char *q = realloc(b->p, want);
        if (q == NULL) {
            snprintf(err, cap, "out of memory");
            return -1;
        }
        b->p = q;
        b->cap = want;
    }
    for (int round = 0; round < 100; round++) {
        ssize_t k = recv(fd, b->p + b->n, b->cap - 1 - b->n, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            snprintf(err, cap, "no answer in %d s", LG_CLI_HTTP_TIMEOUT_S);
            return -1;
        }
        if (k < 0) snprintf(err, cap, "cannot read the reply: %s", strerror(errno));
        if (k > 0) b->n += (size_t)k;
        return k;
    }
    snprintf(err, cap, "cannot read the reply: interrupted");
    return -1;
}

/* Reads one reply from fd into r. */
static int hg_read_reply(int fd, lg_cli_resp_t *r, char *err, size_t cap) {
    hg_buf_t b = {.p = malloc(8192), .cap = 8192};
    if (b.p == NULL) return snprintf(err, cap, "out of memory"), LG_ENOMEM;
    size_t head = 0;
    long long clen = -1;
    int rc = LG_OK;
    /* Every round reads at least one byte or ends: bounded by the reply's size. */
    for (size_t round = 0; round <= (size_t)LG_CLI_HTTP_MAX + 1; round++) {
        if (head == 0 && (head = hg_head_end(b.p, b.n)) != 0) {
            char *h = malloc(head);
            if (h == NULL) { rc = LG_ENOMEM; snprintf(err, cap, "out of memory"); break; }
            memcpy(h, b.p, head);
            rc = hg_parse_head(h, head, &r->status, &clen);
            free(h);
            if (rc != LG_OK) { snprintf(err, cap, "the answer is not HTTP/1.x"); break; }
            if (clen > (long long)LG_CLI_HTTP_MAX) {
                rc = LG_ETOOBIG;
                snprintf(err, cap, "the reply is larger than %u bytes", LG_CLI_HTTP_MAX);
                break;
            }
        }
        if (head != 0 && clen >= 0 && b.n >= head + (size_t)clen) break;
        if (head == 0 && b.n > HEAD_MAX) {
            rc = LG_EPARSE;
            snprintf(err, cap, "the answer's head is longer than %u bytes", HEAD_MAX);
            break;
        }
        ssize_t k = hg_recv(fd, &b, (size_t)LG_CLI_HTTP_MAX + HEAD_MAX, err, cap);
        if (k == -2) { rc = LG_ETOOBIG; break; }
        if (k < 0) { rc = LG_EIO; break; }
        if (k == 0) { /* the end of the connection */
            if (head != 0 && clen < 0) break;
            rc = head == 0 ? LG_EPARSE : LG_EIO;
            snprintf(err, cap, "the daemon closed the connection mid-reply");
            break;
        }
    }
    if (rc == LG_OK) {
        size_t body = clen >= 0 ? (size_t)clen : b.n - head;
        memmove(b.p, b.p + head, body);
        b.p[body] = '\0';
        r->body = b.p;
        r->len = body;
    } else {
        free(b.p);
    }
    return rc;
}

int lg_cli_http(const char *host, int port, const char *method, const char *path,
                const char *token, const char *body, size_t body_len, lg_cli_resp_t *r,
                char *err, size_t errcap) {
    LG_ASSERT(host != NULL && method != NULL && path != NULL && token != NULL && r != NULL);
    LG_ASSERT(err != NULL && errcap > 0);
    memset(r, 0, sizeof *r);
    err[0] = '\0';
    if (body == NULL) body_len = 0;
    int fd = hg_connect(host, port, &r->refused, err, errcap);
    if (fd < 0) return LG_EIO;
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: legato-cli\r\n"
                     "Authorization: Bearer %s\r\nAccept: application/json\r\n"
                     "Connection: close\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, host, port, token, body_len);
    if (n < 0 || (size_t)n >= sizeof head) {
        close(fd);
        snprintf(err, errcap, "the request's head is too long");
        return LG_EINVAL;
    }
    int rc = hg_send_all(fd, head, (size_t)n, err, errcap);
    if (rc == LG_OK && body_len > 0) rc = hg_send_all(fd, body, body_len, err, errcap);
    if (rc == LG_OK) {
        rc = hg_read_reply(fd, r, err, errcap);
    } else { /* the daemon may have answered (413) and closed before taking it all */
        char ignored[160];
        if (hg_read_reply(fd, r, ignored, sizeof ignored) == LG_OK) rc = LG_OK;
    }
    close(fd);
    return rc;
}
