/*
 * port_quote.c — circuit bands for the risk engine: the port's own cycle of GET /quote
 * over the instruments lg_port_bands names, each entry's lower/upper circuit limit
 * handed to the engine as an LG_EV_BAND (pre-trade validation refuses a price outside
 * it, as the exchange would).
 *
 * A cycle walks the instruments in batches of up to LG_PORT_QUOTE_BATCH (as many as
 * the URL holds), one request on the wire at a time and one a second (Kite's limit for
 * quotes), outside the order and look-up lanes: bands never delay an order. The next
 * cycle starts every_ns after this one started (bands move rarely: the exchange sets
 * them daily and relaxes them in steps). A batch that fails (no answer, an error, a
 * malformed entry: the decoder refuses the whole answer, naming the field) gives no
 * bands, and the cycle goes on; the cycle's end alerts once with how many failed and
 * the first reason. A 429 waits and asks for the same batch again; a TokenException
 * halts the port like any other request (the cycle resumes with the session).
 */
#include "port_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_GAP_MS 1000  /* Kite: quotes 1 request a second */
#define QUOTE_RETRY_MS 100 /* every slot busy, or the port halted: look again soon */
#define QUOTE_429_MS 2000

static void on_timer(uv_timer_t *t);

static void later(lg_port_t *p, uint64_t ms) {
    if (!p->closing) uv_timer_start(&p->quotes.timer, on_timer, ms, 0);
}

static void end_cycle(lg_port_t *p) {
    if (p->quotes.failures > 0)
        lg_port_alert(p, LG_ALERT_WARN, LG_EIO, "circuit bands: %u of the cycle's requests gave "
                      "none (first: %s); %llu bands taken", p->quotes.failures,
                      p->quotes.first_error, (unsigned long long)p->quotes.bands);
    else if (p->st.quote_cycles == 0)
        lg_port_alert(p, LG_ALERT_INFO, 0, "circuit bands: %llu of %u instruments known",
                      (unsigned long long)p->quotes.bands, p->quotes.n);
    p->st.quote_cycles++;
    lg_ns_t next = p->quotes.cycle_at + p->quotes.every_ns, now = lg_port_now();
    p->quotes.next = 0;
    p->quotes.failures = 0;
    p->quotes.bands = 0;
    p->quotes.first_error[0] = '\0';
    if (p->quotes.every_ns <= 0) {
        p->quotes.on = false; /* once only */
        return;
    }
    later(p, next > now ? (uint64_t)((next - now) / 1000000) : QUOTE_GAP_MS);
}

__attribute__((format(printf, 2, 3))) static void failed(lg_port_t *p, const char *fmt, ...) {
    if (p->quotes.failures++ > 0) return; /* the cycle's end names the first */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->quotes.first_error, sizeof p->quotes.first_error, fmt, ap);
    va_end(ap);
}

static void send_batch(lg_port_t *p) {
    if (!p->quotes.on || p->quotes.inflight || p->closing) return;
    if (p->quotes.next >= p->quotes.n) {
        end_cycle(p);
        return;
    }
    lg_port_slot_t *s = NULL;
    for (uint32_t i = 0; i < p->n_slots && s == NULL; i++)
        if (!p->slots[i].busy) s = &p->slots[i];
    if (p->halted || s == NULL) {
        later(p, QUOTE_RETRY_MS);
        return;
    }
    if (p->quotes.next == 0) p->quotes.cycle_at = lg_port_now();
    int n = snprintf(s->url, sizeof s->url, "%s/quote?", p->rest_root);
    LG_ASSERT(n > 0 && (size_t)n < sizeof s->url);
    uint32_t taken = 0;
    int rc = lg_kite_quote_query(p->cfg.master, p->quotes.tokens + p->quotes.next,
                                 p->quotes.n - p->quotes.next, LG_PORT_QUOTE_BATCH, s->url + n,
                                 sizeof s->url - (size_t)n, &taken);
    LG_ASSERT(rc == LG_OK && taken > 0); /* tokens checked by lg_port_bands; a symbol fits */
    s->form[0] = '\0';
    s->form_len = 0;
    lg_port_slot_open(p, s, &(lg_cmd_t){0}, false, true);
    p->st.quote_requests++;
    p->quotes.taken = taken;
    p->quotes.inflight = true;
    rc = lg_ph_start(p, s, "GET");
    if (rc == LG_OK) return;
    s->busy = s->quote = false;
    p->n_busy--;
    p->quotes.inflight = false;
    failed(p, "request not started: %s", lg_strerror(rc));
    p->quotes.next += taken;
    later(p, QUOTE_GAP_MS);
}

static void on_timer(uv_timer_t *t) {
    send_batch(t->data);
}

void lg_pq_done(lg_port_t *p, lg_port_slot_t *s, int http, const char *ctype, const char *why,
                lg_kite_answer_t *a) {
    LG_ASSERT(s->quote && p->quotes.inflight);
    s->quote = false;
    p->quotes.inflight = false;
    const char *body = s->body ? s->body : "";
    lg_kite_classify(http, ctype, body, s->len, a);
    uint32_t got = 0;
    char err[100] = "";
    int rc = LG_EIO;
    if (http == 0) failed(p, "no answer: %.80s", why ? why : "connection closed");
    else if (!a->ok && !a->backoff && !a->halt) failed(p, "http %d: %.80s", http, a->message);
    else if (a->ok && (rc = lg_kite_parse_bands(body, s->len, p->quotes.scratch,
                                                LG_PORT_QUOTE_BATCH, &got, err, sizeof err)) != LG_OK)
        failed(p, "answer refused: %s", err);
    /* the slot is free before the engine hears of the bands */
    s->busy = false;
    p->n_busy--;
    if (a->backoff || a->halt) { /* the same batch again: after a wait, or the new session */
        if (a->backoff) p->st.rate_429++;
        later(p, a->backoff ? QUOTE_429_MS : QUOTE_RETRY_MS);
        return;
    }
    for (uint32_t i = 0; rc == LG_OK && i < got && !p->closing; i++) {
        lg_event_t ev;
        if (!lg_kite_band_event(&p->quotes.scratch[i], &ev)) continue;
        if (lg_instruments_find(p->cfg.master, ev.u.band.token) == NULL) continue; /* not ours */
        p->quotes.bands++;
        p->st.bands++;
        p->cfg.on_event(p->cfg.ud, &ev);
    }
    p->quotes.next += p->quotes.taken;
    later(p, QUOTE_GAP_MS);
}

int lg_port_bands(lg_port_t *p, const uint32_t *tokens, uint32_t n, lg_ns_t every_ns) {
    LG_ASSERT(p != NULL && (tokens != NULL || n == 0));
    if (p->closing) return LG_ESTATE;
    if (every_ns < 0) return LG_EINVAL;
    for (uint32_t i = 0; i < n; i++)
        if (lg_instruments_find(p->cfg.master, tokens[i]) == NULL) return LG_EINSTRUMENT;
    uint32_t *copy = n > 0 ? malloc((size_t)n * sizeof *copy) : NULL;
    if (n > 0 && copy == NULL) return LG_ENOMEM;
    if (n > 0) memcpy(copy, tokens, (size_t)n * sizeof *copy);
    free(p->quotes.tokens); /* a new list: the cycle starts again (a request out ends first:
                             * its bands still count, its batch is not stepped past) */
    p->quotes.tokens = copy;
    p->quotes.n = n;
    p->quotes.next = 0;
    p->quotes.taken = 0;
    p->quotes.failures = 0;
    p->quotes.first_error[0] = '\0';
    p->quotes.bands = 0;
    p->quotes.every_ns = every_ns;
    p->quotes.on = n > 0;
    uv_timer_stop(&p->quotes.timer);
    if (p->quotes.on && !p->quotes.inflight) send_batch(p);
    return LG_OK;
}

void lg_pq_init(lg_port_t *p) {
    uv_timer_init(p->cfg.loop, &p->quotes.timer);
    p->quotes.timer.data = p;
    p->open_handles++;
}

void lg_pq_close(lg_port_t *p) {
    uv_timer_stop(&p->quotes.timer);
    uv_close((uv_handle_t *)&p->quotes.timer, lg_port_handle_closed);
    p->quotes.on = false;
}
