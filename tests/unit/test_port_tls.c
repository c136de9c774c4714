/*
 * test_port_tls.c — the order connections over TLS (an https REST root, as Kite's
 * api.kite.trade): a TLS server run here on a thread with a certificate made here
 * (EC P-256, self-signed, for IP 127.0.0.1) takes orders from the port when the port
 * trusts that certificate (tls_ca_file), over one kept-alive connection; with another
 * certificate as the only trusted one, the handshake is refused, the alert names the
 * certificate, no order connection comes up, and libcurl refuses it too: the order is a
 * definitive "not sent" error (no connection was made, so it cannot have left).
 */
#include "port_fixture.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct tls_server {
    int listen_fd, port;
    SSL_CTX *ctx;
    pthread_t thread;
    volatile int stop;
    volatile int handshakes, requests;
    char cert_path[128], other_path[128];
} tls_server_t;

/* A self-signed certificate for 127.0.0.1 and its key. */
static X509 *make_cert(EVP_PKEY **key) {
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(k);
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"legato test", -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509V3_CTX v;
    X509V3_set_ctx_nodb(&v);
    X509V3_set_ctx(&v, x, x, NULL, NULL, 0);
    X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &v, NID_subject_alt_name, "IP:127.0.0.1");
    X509_EXTENSION *bc = X509V3_EXT_conf_nid(NULL, &v, NID_basic_constraints, "critical,CA:TRUE");
    assert_non_null(san);
    assert_non_null(bc);
    X509_add_ext(x, san, -1);
    X509_add_ext(x, bc, -1);
    X509_EXTENSION_free(san);
    X509_EXTENSION_free(bc);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    *key = k;
    return x;
}

static void write_pem(const char *path, X509 *x) {
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(PEM_write_X509(fp, x), 1);
    fclose(fp);
}

/* Reads one request (head and Content-Length body); false when the client went. */
static bool read_request(SSL *ssl) {
    char buf[8192];
    size_t len = 0;
    for (int i = 0; i < 256 && len < sizeof buf - 1; i++) {
        int r = SSL_read(ssl, buf + len, (int)(sizeof buf - 1 - len));
        if (r <= 0) return false;
        len += (size_t)r;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end == NULL) continue;
        char *cl = strstr(buf, "Content-Length: ");
        size_t body = cl != NULL && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
        if (len >= (size_t)(end + 4 - buf) + body) return true;
    }
    return false;
}

static void serve(tls_server_t *t, int fd) {
    static const char ok[] = "{\"status\":\"success\",\"data\":{\"order_id\":\"151220000000077\"}}";
    SSL *ssl = SSL_new(t->ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
        t->handshakes++;
        char out[256];
        snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\n\r\n%s", strlen(ok), ok);
        for (int i = 0; i < 64 && !t->stop && read_request(ssl); i++) {
            t->requests++;
            SSL_write(ssl, out, (int)strlen(out));
        }
    }
    SSL_free(ssl);
    close(fd);
}

/* One connection at a time, until stop (checked every 50 ms). */
static void *server_main(void *arg) {
    tls_server_t *t = arg;
    while (!t->stop) {
        struct pollfd p = {.fd = t->listen_fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        int fd = accept(t->listen_fd, NULL, NULL);
        if (fd < 0) continue;
        struct timeval tv = {.tv_sec = 0, .tv_usec = 200000}; /* wakes to see stop */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        serve(t, fd);
    }
    return NULL;
}

static void tls_start(tls_server_t *t) {
    memset(t, 0, sizeof *t);
    EVP_PKEY *k = NULL, *k2 = NULL;
    X509 *x = make_cert(&k), *other = make_cert(&k2);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(t->cert_path, sizeof t->cert_path, "%s/lg_tls_%d.pem", tmp, (int)getpid());
    snprintf(t->other_path, sizeof t->other_path, "%s/lg_tls_other_%d.pem", tmp, (int)getpid());
    write_pem(t->cert_path, x);
    write_pem(t->other_path, other);
    t->ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate(t->ctx, x), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(t->ctx, k), 1);
    X509_free(x);
    X509_free(other);
    EVP_PKEY_free(k);
    EVP_PKEY_free(k2);
    t->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(t->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(t->listen_fd, 8), 0);
    socklen_t len = sizeof a;
    getsockname(t->listen_fd, (struct sockaddr *)&a, &len);
    t->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&t->thread, NULL, server_main, t), 0);
}

static void tls_stop(tls_server_t *t) {
    t->stop = 1;
    pthread_join(t->thread, NULL);
    close(t->listen_fd);
    SSL_CTX_free(t->ctx);
    unlink(t->cert_path);
    unlink(t->other_path);
}

static bool conns_up(fixture_t *f, const void *arg) {
    (void)arg;
    return stats(f).wire_connects >= 1;
}

static bool alerted(fixture_t *f, const void *arg) {
    for (uint32_t i = 0; i < f->n_alerts; i++)
        if (strstr(f->alerts[i].text, arg) != NULL) return true;
    return false;
}

static void test_tls_orders(void **state) {
    fixture_t *f = *state;
    tls_server_t t;
    tls_start(&t);
    start_sim(f, NULL); /* the instrument master */
    char root[64];
    snprintf(root, sizeof root, "https://127.0.0.1:%d", t.port);
    f->order_conns = 1;
    f->ca_file = t.cert_path;
    start_port(f, root, NULL, "ptoken", NULL, 0);
    assert_true(run_until(f, conns_up, NULL, 5000));
    char tag[LG_TAG_MAX + 1];
    send_place(f, 1, 0, tag);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, tag, 0, 3000));
    assert_string_equal(find(f, LG_EV_ORDER_ACK, tag)->u.ack.broker_id, "151220000000077");
    send_place(f, 1, 1, tag);
    assert_true(wait_for(f, LG_EV_ORDER_ACK, tag, 0, 3000));
    lg_port_stats_t s = stats(f);
    assert_int_equal(s.wire_requests, 2);
    assert_int_equal(s.wire_connects, 1);
    assert_int_equal(t.handshakes, 1); /* both orders on one TLS session */
    assert_int_equal(t.requests, 2);
    lg_port_close(f->port);
    f->port = NULL;
    for (int i = 0; i < 50; i++) uv_run(&f->loop, UV_RUN_NOWAIT);
    tls_stop(&t);
}

static void test_tls_untrusted_refused(void **state) {
    fixture_t *f = *state;
    tls_server_t t;
    tls_start(&t);
    start_sim(f, NULL);
    char root[64];
    snprintf(root, sizeof root, "https://127.0.0.1:%d", t.port);
    f->order_conns = 1;
    f->ca_file = t.other_path; /* trusts another certificate only */
    start_port(f, root, NULL, "ptoken", NULL, 0);
    assert_true(run_until(f, alerted, "certificate", 5000));
    assert_int_equal(stats(f).wire_connects, 0);
    char tag[LG_TAG_MAX + 1];
    send_place(f, 2, 0, tag); /* libcurl, which refuses the certificate as well */
    assert_true(wait_for(f, LG_EV_ORDER_ERROR, tag, 0, 5000));
    const lg_event_t *e = find(f, LG_EV_ORDER_ERROR, tag);
    assert_true(e->u.error.definitive); /* no connection, so it certainly never left */
    assert_non_null(strstr(e->u.error.message, "not sent"));
    assert_int_equal(stats(f).unknown_outcomes, 0);
    assert_int_equal(t.requests, 0);
    assert_int_equal(stats(f).wire_requests, 0);
    lg_port_close(f->port);
    f->port = NULL;
    for (int i = 0; i < 50; i++) uv_run(&f->loop, UV_RUN_NOWAIT);
    tls_stop(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tls_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_untrusted_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
