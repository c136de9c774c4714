/*
 * port_http.c — REST for the broker port: libcurl's multi interface driven by the
 * libuv loop. libcurl says which sockets it waits on (socket callback: a uv_poll per
 * socket) and when it wants to be called for its timeouts (timer callback: one
 * uv_timer); the loop tells it what became ready (curl_multi_socket_action), and each
 * finished transfer is handed to port.c (lg_port_done).
 *
 * Keep-alive: each slot's easy handle lives as long as the port and the multi handle
 * keeps the connection cache, so requests reuse their TCP (and TLS) connections.
 * Timeouts: CURLOPT_TIMEOUT_MS per request; a timeout is "no answer" (http 0), which
 * the codec calls an unknown outcome.
 */
#include "port_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lg_ph_sock {
    uv_poll_t poll;
    lg_port_t *port;
    curl_socket_t fd;
    lg_ph_sock_t *prev, *next; /* the port's open sockets */
};

/* Failures of setting up a connection: the request cannot have left. */
static bool never_sent(CURLcode rc) {
    return rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
           rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
           rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_UNSUPPORTED_PROTOCOL;
}

static void check_done(lg_port_t *p) {
    CURLMsg *m;
    int left = 0;
    while ((m = curl_multi_info_read(p->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) continue;
        lg_port_slot_t *s = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        LG_ASSERT(s != NULL && s->busy && s->easy == m->easy_handle);
        CURLcode rc = m->data.result;
        long http = 0;
        char *ctype = NULL;
        if (rc == CURLE_OK) {
            curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &http);
            curl_easy_getinfo(s->easy, CURLINFO_CONTENT_TYPE, &ctype);
        }
        const char *why = s->too_big ? "answer larger than the port takes"
                                     : (rc == CURLE_OK ? NULL : curl_easy_strerror(rc));
        curl_multi_remove_handle(p->multi, s->easy);
        s->unsent = never_sent(rc);
        lg_port_done(p, s, s->too_big ? 0 : (int)http, ctype, why);
    }
}

static void act(lg_port_t *p, curl_socket_t fd, int flags) {
    int running = 0;
    LG_ASSERT(!p->in_curl);
    p->in_curl = true;
    curl_multi_socket_action(p->multi, fd, flags, &running);
    p->in_curl = false;
    check_done(p);
}

static void on_poll(uv_poll_t *h, int status, int events) {
    lg_ph_sock_t *k = h->data;
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    act(k->port, k->fd, flags);
}

static void on_curl_timer(uv_timer_t *t) {
    act(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static void sock_closed(uv_handle_t *h) {
    lg_ph_sock_t *k = h->data;
    lg_port_t *p = k->port;
    free(k);
    lg_port_release(p);
}

static void sock_close(lg_port_t *p, lg_ph_sock_t *k) {
    if (k->prev != NULL) k->prev->next = k->next;
    else p->socks = k->next;
    if (k->next != NULL) k->next->prev = k->prev;
    uv_poll_stop(&k->poll);
    uv_close((uv_handle_t *)&k->poll, sock_closed);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp) {
    (void)e;
    lg_port_t *p = userp;
    lg_ph_sock_t *k = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (k != NULL) {
            sock_close(p, k);
            curl_multi_assign(p->multi, fd, NULL);
        }
        return 0;
    }
    if (k == NULL) {
        k = calloc(1, sizeof *k);
        if (k == NULL) return -1;
        k->port = p;
        k->fd = fd;
        if (uv_poll_init_socket(p->cfg.loop, &k->poll, fd) != 0) {
            free(k);
            return -1;
        }
        k->poll.data = k;
        k->next = p->socks;
        if (p->socks != NULL) p->socks->prev = k;
        p->socks = k;
        p->open_handles++;
        curl_multi_assign(p->multi, fd, k);
    }
    int ev = ((what & CURL_POLL_IN) ? UV_READABLE : 0) | ((what & CURL_POLL_OUT) ? UV_WRITABLE : 0);
    uv_poll_start(&k->poll, ev, on_poll);
    return 0;
}

static int on_timer(CURLM *m, long ms, void *userp) {
    (void)m;
    lg_port_t *p = userp;
    if (ms < 0) uv_timer_stop(&p->curl_timer);
    else uv_timer_start(&p->curl_timer, on_curl_timer, (uint64_t)ms, 0);
    return 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud) {
    size_t n = size * nmemb;
    return lg_port_slot_take(ud, ptr, n) ? n : 0; /* 0: libcurl ends with CURLE_WRITE_ERROR */
}

/* CURLINFO_HEADER_OUT: the request's head has been written to the socket. */
static int on_debug(CURL *e, curl_infotype type, char *data, size_t size, void *ud) {
    (void)e;
    (void)data;
    (void)size;
    lg_port_slot_t *s = ud;
    if (type == CURLINFO_HEADER_OUT) lg_port_written(s->port, s);
    return 0;
}

/* libcurl's pre-request callback: the connection is ready; the request is built and
 * written next, in the same call. */
static int on_prereq(void *ud, char *conn_primary_ip, char *conn_local_ip, int primary_port,
                     int local_port) {
    (void)conn_primary_ip;
    (void)conn_local_ip;
    (void)primary_port;
    (void)local_port;
    lg_port_slot_t *s = ud;
    lg_port_written(s->port, s);
    return CURL_PREREQFUNC_OK;
}

/* The options every request of a slot shares, set once: only the URL, the method and
 * the body change per request (curl_easy_reset would cost a few microseconds each). */
static void slot_options(lg_port_t *p, lg_port_slot_t *s) {
    CURL *e = s->easy;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)s);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(p->cfg.request_timeout_ns / 1000000));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(p->cfg.connect_timeout_ns / 1000000));
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never a proxy from the environment */
    curl_easy_setopt(e, CURLOPT_USERAGENT, "legato");
    if (p->ca_file[0] != '\0') curl_easy_setopt(e, CURLOPT_CAINFO, p->ca_file);
    if (p->cfg.on_request_written != NULL && p->cfg.hook_at_prereq) {
        curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
        curl_easy_setopt(e, CURLOPT_PREREQDATA, s);
    } else if (p->cfg.on_request_written != NULL) {
        curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(e, CURLOPT_DEBUGDATA, s);
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    }
}

int lg_ph_headers(lg_port_t *p) {
    char auth[256];
    snprintf(auth, sizeof auth, "Authorization: token %s:%s", p->api_key, p->token);
    struct curl_slist *h = curl_slist_append(NULL, "X-Kite-Version: 3");
    struct curl_slist *h2 = h ? curl_slist_append(h, auth) : NULL;
    struct curl_slist *h3 = h2 ? curl_slist_append(h2, "Expect:") : NULL; /* no 100-continue */
    struct curl_slist *j = curl_slist_append(NULL, "X-Kite-Version: 3");
    struct curl_slist *j2 = j ? curl_slist_append(j, auth) : NULL;
    struct curl_slist *j3 = j2 ? curl_slist_append(j2, "Expect:") : NULL;
    struct curl_slist *j4 = j3 ? curl_slist_append(j3, "Content-Type: application/json") : NULL;
    memset(auth, 0, sizeof auth);
    if (h3 == NULL || j4 == NULL) {
        curl_slist_free_all(h);
        curl_slist_free_all(j);
        return LG_ENOSPACE;
    }
    curl_slist_free_all(p->old_json_headers);
    p->old_json_headers = p->json_headers;
    p->json_headers = j4;
    /* The list a request in flight may still use is kept until the next change. */
    curl_slist_free_all(p->old_headers);
    p->old_headers = p->headers;
    p->headers = h3;
    for (uint32_t i = 0; i < p->n_slots; i++)
        if (p->slots[i].easy != NULL) curl_easy_setopt(p->slots[i].easy, CURLOPT_HTTPHEADER, h3);
    return LG_OK;
}

int lg_ph_init(lg_port_t *p) {
    static bool global;
    if (!global) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return LG_EIO;
        global = true;
    }
    uv_timer_init(p->cfg.loop, &p->curl_timer);
    p->curl_timer.data = p;
    p->open_handles++;
    p->multi = curl_multi_init();
    if (p->multi == NULL) return LG_EIO;
    curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p);
    curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p);
    curl_multi_setopt(p->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)p->n_slots);
    for (uint32_t i = 0; i < p->n_slots; i++) {
        lg_port_slot_t *s = &p->slots[i];
        s->port = p;
        s->easy = curl_easy_init();
        if (s->easy == NULL) return LG_EIO;
    }
    for (uint32_t i = 0; i < p->n_slots; i++) slot_options(p, &p->slots[i]);
    return lg_ph_headers(p);
}

int lg_ph_start(lg_port_t *p, lg_port_slot_t *s, const char *method) {
    CURL *e = s->easy;
    curl_easy_setopt(e, CURLOPT_URL, s->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->json ? p->json_headers : p->headers);
    bool get = strcmp(method, "GET") == 0, del = strcmp(method, "DELETE") == 0;
    if (get || del) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else { /* POST, PUT: a form body */
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->form);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)s->form_len);
    }
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, get || strcmp(method, "POST") == 0 ? NULL : method);
    if (curl_multi_add_handle(p->multi, e) != CURLM_OK) return LG_EIO;
    /* Start at once rather than at libcurl's 0 ms timer, unless we are inside libcurl. */
    if (!p->in_curl) act(p, CURL_SOCKET_TIMEOUT, 0);
    return LG_OK;
}

void lg_ph_close(lg_port_t *p) {
    for (uint32_t i = 0; i < p->n_slots; i++) {
        lg_port_slot_t *s = &p->slots[i];
        if (s->easy == NULL) continue;
        if (s->busy) curl_multi_remove_handle(p->multi, s->easy);
        curl_easy_cleanup(s->easy);
        s->easy = NULL;
        free(s->body);
        s->body = NULL;
    }
    if (p->multi != NULL) curl_multi_cleanup(p->multi);
    p->multi = NULL;
    while (p->socks != NULL) sock_close(p, p->socks); /* any libcurl did not remove */
    curl_slist_free_all(p->headers);
    curl_slist_free_all(p->old_headers);
    p->headers = p->old_headers = NULL;
    curl_slist_free_all(p->json_headers);
    curl_slist_free_all(p->old_json_headers);
    p->json_headers = p->old_json_headers = NULL;
    uv_timer_stop(&p->curl_timer);
    uv_close((uv_handle_t *)&p->curl_timer, lg_port_handle_closed);
}
