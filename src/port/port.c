/*
 * port.c — the broker port (port.h): commands through the rate queues onto request
 * slots, answers into engine events, the ticker's messages into ticks and order
 * updates, TokenException into a halt, 429 into a backoff. REST transport: port_http.c;
 * the ticker's socket: ticker_client.c.
 */
#include "port_int.h"

#include "legato/tag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_MIN_NS 1000000000LL
#define BACKOFF_MAX_NS 8000000000LL

lg_ns_t lg_port_now(void) {
    return (lg_ns_t)uv_hrtime();
}

void lg_port_alert(lg_port_t *p, lg_alert_level_t level, int code, const char *fmt, ...) {
    if (p->cfg.on_alert == NULL) return;
    lg_alert_t a = {.level = level, .code = code};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a.text, sizeof a.text, fmt, ap);
    va_end(ap);
    p->cfg.on_alert(p->cfg.ud, &a);
}

static void emit(lg_port_t *p, const lg_event_t *ev) {
    if (!p->closing) p->cfg.on_event(p->cfg.ud, ev);
}

static const char *kind_name(const lg_cmd_t *c) {
    switch (c->kind) {
    case LG_CMD_PLACE: return "place";
    case LG_CMD_CANCEL: return "cancel";
    case LG_CMD_QUERY_ORDER: return c->tag[0] ? "order look-up" : "order book fetch";
    case LG_CMD_QUERY_POSITIONS: return "positions";
    case LG_CMD_QUERY_MARGINS: return "margins";
    case LG_CMD_MODIFY: return "modification";
    case LG_CMD_QUERY_BASKET: return "basket margin";
    default: return "request";
    }
}

/* ---- halting and resuming --------------------------------------------------------------- */

static void halt(lg_port_t *p, const char *why) {
    if (p->halted) return;
    p->halted = true;
    p->st.halted = true;
    lg_port_alert(p, LG_ALERT_CRITICAL, LG_EHALTED,
                  "Kite session ended (TokenException: %.60s): nothing is sent until a new "
                  "access token is set; trading halted", why);
    lg_event_t ev = {.kind = LG_EV_CONNECTION}; /* the engine's kill switch: session lost */
    ev.u.connection.session_lost = true;
    emit(p, &ev);
}

int lg_port_set_token(lg_port_t *p, const char *access_token) {
    LG_ASSERT(p != NULL && access_token != NULL);
    if (access_token[0] == '\0' || lg_strlcpy(p->token, access_token, sizeof p->token) != LG_OK)
        return LG_EINVAL;
    int rc = lg_ph_headers(p);
    if (rc == LG_OK && p->wire.conns != NULL) rc = lg_pw_headers(p);
    if (rc != LG_OK) return rc;
    if (p->ticker != NULL) lg_tkc_set_token(p->ticker, p->token);
    if (p->halted) lg_port_alert(p, LG_ALERT_INFO, 0, "new access token: sending resumes");
    p->halted = false;
    p->st.halted = false;
    lg_port_pump(p);
    return LG_OK;
}

/* ---- requests --------------------------------------------------------------------------- */

static int build(lg_port_t *p, const lg_cmd_t *c, char *url, char *form, size_t *form_len,
                 const char **method) {
    char path[128];
    *form_len = 0;
    form[0] = '\0';
    switch (c->kind) {
    case LG_CMD_PLACE: {
        const lg_instrument_t *ins = lg_instruments_find(p->cfg.master, c->token);
        if (ins == NULL) return LG_EINSTRUMENT;
        int rc = lg_kite_form_place(c, ins, p->product, form, LG_PORT_FORM_MAX, form_len);
        if (rc != LG_OK) return rc;
        snprintf(path, sizeof path, "/orders/regular");
        *method = "POST";
        break;
    }
    case LG_CMD_MODIFY: {
        lg_kite_modify_t m = {.otype = c->otype, .qty = c->qty, .price = c->price,
                              .trigger = c->trigger, .mprot_pct = c->mprot_pct};
        lg_strlcpy(m.broker_id, c->broker_id, sizeof m.broker_id);
        int rc = lg_kite_form_modify(&m, path, sizeof path, form, LG_PORT_FORM_MAX, form_len);
        if (rc != LG_OK) return rc;
        *method = "PUT";
        break;
    }
    case LG_CMD_CANCEL: {
        int rc = lg_kite_path_cancel(c, path, sizeof path);
        if (rc != LG_OK) return rc;
        *method = "DELETE";
        break;
    }
    case LG_CMD_QUERY_ORDER:
        if (c->broker_id[0] != '\0') snprintf(path, sizeof path, "/orders/%s", c->broker_id);
        else snprintf(path, sizeof path, "/orders");
        *method = "GET";
        break;
    case LG_CMD_QUERY_POSITIONS:
        snprintf(path, sizeof path, "/portfolio/positions");
        *method = "GET";
        break;
    case LG_CMD_QUERY_MARGINS:
        snprintf(path, sizeof path, "/user/margins");
        *method = "GET";
        break;
    case LG_CMD_QUERY_BASKET: { /* one unit on its own: not netted against positions */
        int rc = lg_kite_json_basket_request(c, p->cfg.master, p->product, form, LG_PORT_FORM_MAX,
                                             form_len);
        if (rc != LG_OK) return rc;
        snprintf(path, sizeof path, "/margins/basket?consider_positions=false");
        *method = "POST";
        break;
    }
    default:
        return LG_EINVAL;
    }
    int n = snprintf(url, LG_PORT_URL_MAX, "%s%s", p->rest_root, path);
    return n > 0 && n < LG_PORT_URL_MAX ? LG_OK : LG_ENOSPACE;
}

bool lg_port_slot_take(lg_port_slot_t *s, const char *b, size_t n) {
    if (s->len + n + 1 > LG_PORT_BODY_MAX) {
        s->too_big = true;
        return false;
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1) cap *= 2; /* bounded: cap doubles towards BODY_MAX */
        if (cap > LG_PORT_BODY_MAX) cap = LG_PORT_BODY_MAX;
        char *nb = realloc(s->body, cap);
        if (nb == NULL) return false;
        s->body = nb;
        s->cap = cap;
    }
    memcpy(s->body + s->len, b, n);
    s->len += n;
    s->body[s->len] = '\0';
    return true;
}

void lg_port_written(lg_port_t *p, const lg_port_slot_t *s) {
    if (p->cfg.on_request_written != NULL)
        p->cfg.on_request_written(p->cfg.ud, s->book ? NULL : &s->cmd);
}

void lg_port_slot_open(lg_port_t *p, lg_port_slot_t *s, const lg_cmd_t *c, bool book, bool quote) {
    LG_ASSERT(!s->busy);
    s->cmd = *c;
    s->book = book;
    s->quote = quote;
    s->json = c->kind == LG_CMD_QUERY_BASKET;
    s->busy = true;
    s->len = 0;
    s->too_big = false;
    s->unsent = false;
    p->n_busy++;
    p->st.requests++;
}

static lg_port_slot_t *free_slot(lg_port_t *p) {
    for (uint32_t i = 0; i < p->n_slots; i++)
        if (!p->slots[i].busy) return &p->slots[i];
    return NULL;
}

/* A request that could not be started never left: a PLACE is a definitive error. */
static void not_sent(lg_port_t *p, const lg_cmd_t *c, int rc, const char *why);
static void not_started(lg_port_t *p, const lg_cmd_t *c, int rc) {
    not_sent(p, c, rc, NULL);
}

static void not_sent(lg_port_t *p, const lg_cmd_t *c, int rc, const char *why) {
    if (why == NULL) why = lg_strerror(rc);
    lg_port_alert(p, LG_ALERT_ERROR, rc, "%s %.20s not sent: %.100s", kind_name(c), c->tag, why);
    if (c->kind == LG_CMD_QUERY_BASKET) { /* the waiting group hears it at once */
        lg_event_t ev = {.kind = LG_EV_BASKET};
        ev.u.basket.group = c->group;
        ev.u.basket.asked = c->asked;
        snprintf(ev.u.basket.message, sizeof ev.u.basket.message, "not sent: %.80s", why);
        emit(p, &ev);
        return;
    }
    if (c->kind != LG_CMD_PLACE) return;
    lg_event_t ev = {.kind = LG_EV_ORDER_ERROR};
    lg_strlcpy(ev.u.error.tag, c->tag, sizeof ev.u.error.tag);
    ev.u.error.definitive = true;
    snprintf(ev.u.error.message, sizeof ev.u.error.message, "not sent: %.80s", why);
    p->st.definitive_errors++;
    emit(p, &ev);
}

static void start(lg_port_t *p, const lg_cmd_t *c) {
    lg_port_slot_t *s = free_slot(p);
    LG_ASSERT(s != NULL);
    const char *method = "GET";
    int rc = LG_OK;
    if (p->pre.valid && memcmp(&p->pre.cmd, c, sizeof *c) == 0) { /* built by lg_port_send */
        memcpy(s->url, p->pre.url, strlen(p->pre.url) + 1);
        memcpy(s->form, p->pre.form, p->pre.form_len);
        s->form[p->pre.form_len] = '\0';
        s->form_len = p->pre.form_len;
        method = p->pre.method;
    } else {
        rc = build(p, c, s->url, s->form, &s->form_len, &method);
        p->st.rebuilt++;
    }
    p->pre.valid = false;
    if (rc == LG_OK) {
        lg_port_slot_open(p, s, c, c->kind == LG_CMD_QUERY_ORDER && c->tag[0] == '\0', false);
        if (s->book) p->st.book_fetches++;
        bool order = c->kind == LG_CMD_PLACE || c->kind == LG_CMD_MODIFY || c->kind == LG_CMD_CANCEL;
        if (order && lg_pw_send(p, s, method)) return;
        rc = lg_ph_start(p, s, method);
        if (rc == LG_OK) return;
        s->busy = false;
        p->n_busy--;
    }
    not_started(p, c, rc);
}

static void on_rate_timer(uv_timer_t *t) {
    lg_port_pump(t->data);
}

void lg_port_pump(lg_port_t *p) {
    if (p->closing || p->halted) return;
    lg_ns_t now = lg_port_now(), next = INT64_MAX;
    for (uint32_t i = 0; i < p->n_slots && p->n_busy < p->n_slots; i++) {
        lg_cmd_t c;
        if (!lg_rate_pop(p->rate, now, &c, &next)) break;
        start(p, &c);
    }
    if (p->n_busy < p->n_slots && next != INT64_MAX) {
        uint64_t ms = next > now ? (uint64_t)((next - now + 999999) / 1000000) : 0;
        uv_timer_start(&p->rate_timer, on_rate_timer, ms, 0);
    } else {
        uv_timer_stop(&p->rate_timer); /* nothing waits, or a finishing request pumps */
    }
}

/* ---- modifications: Kite allows 25 an order ---------------------------------------------- */

static uint32_t mod_slot(lg_port_t *p, const char *id, bool add) {
    uint32_t h = 2166136261u;
    for (const char *c = id; *c; c++) h = (h ^ (uint8_t)*c) * 16777619u;
    for (uint32_t i = 0; i < LG_PORT_MODS; i++) {
        uint32_t k = (h + i) & (LG_PORT_MODS - 1);
        if (strcmp(p->mods[k].id, id) == 0) return k;
        if (p->mods[k].id[0] != '\0') continue;
        if (!add || p->n_mods == LG_PORT_MODS - 1) return UINT32_MAX;
        lg_strlcpy(p->mods[k].id, id, sizeof p->mods[k].id);
        p->n_mods++;
        return k;
    }
    return UINT32_MAX;
}

/* Counts a modification before it is queued; refuses the 26th of an order. */
static int mod_take(lg_port_t *p, const lg_cmd_t *c) {
    uint32_t k = mod_slot(p, c->broker_id, true);
    if (k == UINT32_MAX) return LG_EPOOL_FULL;
    if (p->mods[k].n >= LG_PORT_MODS_PER_ORDER) {
        lg_port_alert(p, LG_ALERT_ERROR, LG_ERANGE, "order %.20s: Kite allows %d modifications "
                      "of an order; this one is not sent", c->broker_id, LG_PORT_MODS_PER_ORDER);
        return LG_ERANGE;
    }
    p->mods[k].n++;
    return LG_OK;
}

/* A modification that certainly had no effect does not count. */
static void mod_give_back(lg_port_t *p, const lg_cmd_t *c) {
    uint32_t k = mod_slot(p, c->broker_id, false);
    if (k != UINT32_MAX && p->mods[k].n > 0) p->mods[k].n--;
}

static void modify_answer(lg_port_t *p, const lg_cmd_t *c, const lg_kite_answer_t *a) {
    if (a->ok || a->backoff) return; /* the order's update follows; or sent again */
    if (a->definitive) mod_give_back(p, c);
    lg_port_alert(p, LG_ALERT_WARN, 0, "modification of %.20s %s (http %d): %.80s", c->broker_id,
                  a->definitive ? "refused" : "outcome unknown", a->http, a->message);
}

int lg_port_send(void *port, const lg_cmd_t *cmd) {
    lg_port_t *p = port;
    LG_ASSERT(p != NULL && cmd != NULL);
    if (p->closing) return LG_ESTATE;
    /* Refuse what can never be sent, now; what is built is kept for start (it usually
     * leaves at once). */
    p->pre.valid = false;
    int rc = build(p, cmd, p->pre.url, p->pre.form, &p->pre.form_len, &p->pre.method);
    if (rc != LG_OK) return rc;
    p->pre.cmd = *cmd;
    p->pre.valid = true;
    if (cmd->kind == LG_CMD_QUERY_ORDER && cmd->tag[0] != '\0' && cmd->broker_id[0] == '\0' &&
        lg_rate_waiting_place(p->rate, cmd->tag)) {
        /* Still waiting for the rate limit here: the broker's book cannot have it yet, and
         * "not found" would make the engine give up an order that is about to be sent. */
        lg_port_alert(p, LG_ALERT_INFO, 0, "order %.20s is still waiting for the rate limit "
                      "(%u waiting): not looked up", cmd->tag, lg_port_waiting(p));
        return LG_OK;
    }
    if (cmd->kind == LG_CMD_MODIFY && (rc = mod_take(p, cmd)) != LG_OK) return rc;
    rc = lg_rate_push(p->rate, cmd, lg_port_now());
    if (rc != LG_OK) {
        if (cmd->kind == LG_CMD_MODIFY) mod_give_back(p, cmd);
        return rc;
    }
    lg_port_pump(p);
    return LG_OK;
}

/* ---- answers ---------------------------------------------------------------------------- */

static void retry_later(lg_port_t *p, const lg_cmd_t *c) {
    p->st.rate_429++;
    lg_ns_t wait = p->backoff_ns;
    p->backoff_ns = LG_MIN(p->backoff_ns * 2, BACKOFF_MAX_NS);
    lg_rate_backoff(p->rate, lg_port_now() + wait);
    lg_port_alert(p, LG_ALERT_WARN, 0, "Kite rate limit (429) on a %s: waiting %lld ms",
                  kind_name(c), (long long)(wait / 1000000));
    if (lg_rate_push(p->rate, c, lg_port_now()) == LG_OK) return;
    not_started(p, c, LG_EPOOL_FULL);
}

static void book_answer(lg_port_t *p, const lg_port_slot_t *s, const lg_kite_answer_t *a) {
    if (!a->ok) {
        lg_port_alert(p, LG_ALERT_WARN, LG_EIO, "order book fetch after reconnect failed "
                      "(http %d): %.80s", a->http, a->message);
        return;
    }
    uint32_t n = 0;
    char err[96];
    int rc = lg_kite_parse_orders(s->body, s->len, p->book, LG_PORT_BOOK_MAX, &n, err, sizeof err);
    if (rc != LG_OK) {
        lg_port_alert(p, LG_ALERT_ERROR, rc, "order book after reconnect: %s", err);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        lg_tag_t t;
        if (lg_tag_decode(p->book[i].u.tag, &t) != LG_OK) continue; /* not legato's order */
        lg_event_t ev;
        lg_kite_update_event(&p->book[i], &ev);
        p->st.book_orders++;
        emit(p, &ev);
    }
}

static lg_kite_next_t positions_answer(lg_port_t *p, const lg_port_slot_t *s, const char *ctype,
                                       int http, lg_event_t *ev, lg_kite_answer_t *a) {
    lg_kite_classify(http, ctype, s->body, s->len, a);
    if (a->backoff) return LG_KITE_RETRY;
    char err[96] = "";
    bool margins = s->cmd.kind == LG_CMD_QUERY_MARGINS;
    int rc = !a->ok ? LG_EIO
             : margins ? lg_kite_margins_event(s->body, s->len, ev, err, sizeof err)
                       : lg_kite_positions_event(s->body, s->len, p->rows, LG_PORT_ROWS_MAX, ev,
                                                 err, sizeof err);
    if (rc == LG_OK) return LG_KITE_EVENT;
    lg_port_alert(p, LG_ALERT_WARN, LG_EIO, "%s (http %d): %.100s", margins ? "margins" : "positions",
                  http, a->ok ? err : a->message);
    return LG_KITE_NOTHING;
}

/* POST /margins/basket's answer for the waiting group: final, or none with the reason. */
static lg_kite_next_t basket_answer(const lg_port_slot_t *s, const char *ctype, int http,
                                    const char *why, lg_event_t *ev, lg_kite_answer_t *a) {
    lg_kite_classify(http, ctype, s->body ? s->body : "", s->len, a);
    if (a->backoff) return LG_KITE_RETRY;
    ev->kind = LG_EV_BASKET;
    ev->u.basket.group = s->cmd.group;
    ev->u.basket.asked = s->cmd.asked;
    char err[96] = "";
    if (http == 0)
        snprintf(ev->u.basket.message, sizeof ev->u.basket.message, "no answer: %.80s",
                 why ? why : "connection closed");
    else if (!a->ok)
        snprintf(ev->u.basket.message, sizeof ev->u.basket.message, "http %d: %.80s", http, a->message);
    else if (lg_kite_parse_basket(s->body, s->len, &ev->u.basket.initial, &ev->u.basket.final, err,
                                  sizeof err) != LG_OK)
        snprintf(ev->u.basket.message, sizeof ev->u.basket.message, "answer refused: %.70s", err);
    else
        ev->u.basket.ok = true;
    return LG_KITE_EVENT;
}

static void count(lg_port_t *p, const lg_event_t *ev) {
    if (ev->kind == LG_EV_ORDER_ACK) p->st.acks++;
    else if (ev->kind == LG_EV_ORDER_ERROR && ev->u.error.definitive) p->st.definitive_errors++;
    else if (ev->kind == LG_EV_ORDER_ERROR) p->st.unknown_outcomes++;
}

void lg_port_done(lg_port_t *p, lg_port_slot_t *s, int http, const char *ctype, const char *why) {
    LG_ASSERT(s->busy);
    p->st.answered++;
    if (s->quote) { /* the port's own: circuit bands */
        lg_kite_answer_t qa;
        memset(&qa, 0, sizeof qa);
        lg_pq_done(p, s, http, ctype, why, &qa);
        if (!qa.backoff) p->backoff_ns = BACKOFF_MIN_NS;
        if (qa.halt) halt(p, qa.message);
        lg_port_pump(p);
        return;
    }
    const lg_cmd_t c = s->cmd;
    if (http == 0 && s->unsent) { /* no connection: it never left, certainly */
        s->busy = false;
        p->n_busy--;
        if (c.kind == LG_CMD_MODIFY) mod_give_back(p, &c);
        not_sent(p, &c, LG_EIO, why);
        lg_port_pump(p);
        return;
    }
    const char *body = s->body ? s->body : "";
    if (http == 0)
        lg_port_alert(p, LG_ALERT_WARN, LG_EIO, "%s %.20s: no answer (%s): outcome unknown",
                      kind_name(&c), c.tag, why ? why : "connection closed");
    lg_event_t ev;
    memset(&ev, 0, sizeof ev);
    lg_kite_answer_t a;
    memset(&a, 0, sizeof a);
    lg_kite_next_t next = LG_KITE_NOTHING;
    if (s->book) {
        lg_kite_classify(http, ctype, body, s->len, &a);
        if (a.backoff) next = LG_KITE_RETRY;
        else book_answer(p, s, &a);
    } else if (c.kind == LG_CMD_PLACE) {
        next = lg_kite_place_answer(&c, http, ctype, body, s->len, &ev, &a);
    } else if (c.kind == LG_CMD_CANCEL) {
        next = lg_kite_cancel_answer(&c, http, ctype, body, s->len, &ev, &a);
    } else if (c.kind == LG_CMD_QUERY_ORDER) {
        next = lg_kite_lookup_answer(&c, http, ctype, body, s->len, &ev, &a);
    } else if (c.kind == LG_CMD_QUERY_BASKET) {
        next = basket_answer(s, ctype, http, why, &ev, &a);
    } else if (c.kind == LG_CMD_MODIFY) {
        lg_kite_classify(http, ctype, body, s->len, &a);
        next = a.backoff ? LG_KITE_RETRY : LG_KITE_NOTHING;
        modify_answer(p, &c, &a);
    } else {
        next = positions_answer(p, s, ctype, http, &ev, &a);
    }
    /* The slot is free before anything reacts: a reversal placed from this event may use it. */
    s->busy = false;
    p->n_busy--;
    if (next != LG_KITE_RETRY) p->backoff_ns = BACKOFF_MIN_NS;
    if (next == LG_KITE_RETRY) retry_later(p, &c);
    if (next == LG_KITE_EVENT) {
        count(p, &ev);
        emit(p, &ev);
    }
    if (a.halt) halt(p, a.message);
    lg_port_pump(p);
}

/* ---- the ticker ------------------------------------------------------------------------- */

static void on_up(void *ud) {
    lg_port_t *p = ud;
    p->st.ticker_connects++;
    p->st.ticker_up = true;
    lg_event_t ev = {.kind = LG_EV_CONNECTION};
    ev.u.connection.up = true;
    emit(p, &ev);
    if (p->st.ticker_connects == 1) return;
    /* Updates sent while the socket was down are gone: the order book has them. */
    lg_cmd_t book = {.kind = LG_CMD_QUERY_ORDER};
    if (lg_rate_push(p->rate, &book, lg_port_now()) != LG_OK)
        lg_port_alert(p, LG_ALERT_ERROR, LG_EPOOL_FULL, "order book fetch after reconnect "
                      "not queued: the look-up queue is full");
    lg_port_pump(p);
}

static void on_down(void *ud, bool auth, const char *why) {
    lg_port_t *p = ud;
    if (p->st.ticker_up) {
        p->st.ticker_disconnects++;
        p->st.ticker_up = false;
        lg_event_t ev = {.kind = LG_EV_CONNECTION};
        ev.u.connection.up = false;
        emit(p, &ev);
    }
    lg_port_alert(p, auth ? LG_ALERT_ERROR : LG_ALERT_WARN, LG_EIO, "ticker down: %.100s", why);
    if (auth) halt(p, "ticker handshake refused (403)");
}

static void on_binary(void *ud, const uint8_t *b, size_t n) {
    lg_port_t *p = ud;
    if (p->cfg.on_frame_read != NULL) p->cfg.on_frame_read(p->cfg.ud);
    uint32_t k = 0;
    bool hb = false;
    int rc = lg_ticker_decode(b, n, p->ticks, LG_PORT_TICKS_MAX, &k, &hb);
    if (rc != LG_OK) {
        lg_port_alert(p, LG_ALERT_WARN, rc, "ticker frame of %zu bytes refused: %s", n,
                      lg_strerror(rc));
        return;
    }
    if (hb) p->st.heartbeats++;
    for (uint32_t i = 0; i < k; i++) {
        lg_event_t ev;
        lg_ticker_tick_event(&p->ticks[i], &ev);
        p->st.ticks++;
        emit(p, &ev);
    }
}

static void on_text(void *ud, const char *t, size_t n) {
    lg_port_t *p = ud;
    if (p->cfg.on_frame_read != NULL) p->cfg.on_frame_read(p->cfg.ud);
    lg_kite_text_t type = LG_KITE_TEXT_ORDER;
    lg_adopt_t o;
    char msg[LG_ALERT_TEXT_MAX], err[96];
    int rc = LG_OK; /* an order frame decodes on the fast path; anything else in full */
    if (!lg_kite_scan_order_frame(t, n, &o))
        rc = lg_kite_parse_text_frame(t, n, &type, &o, msg, sizeof msg, err, sizeof err);
    if (rc != LG_OK) {
        lg_port_alert(p, LG_ALERT_WARN, rc, "ticker text frame refused: %s", err);
        return;
    }
    if (type == LG_KITE_TEXT_ORDER) {
        lg_event_t ev;
        lg_kite_update_event(&o, &ev);
        p->st.order_frames++;
        emit(p, &ev);
    } else {
        lg_port_alert(p, type == LG_KITE_TEXT_ERROR ? LG_ALERT_WARN : LG_ALERT_INFO, 0,
                      "ticker %s: %.120s", type == LG_KITE_TEXT_ERROR ? "error" : "message", msg);
    }
}

int lg_port_subscribe(lg_port_t *p, const uint32_t *tokens, uint32_t n, lg_tick_mode_t mode) {
    LG_ASSERT(p != NULL);
    if (p->ticker == NULL) return LG_ESTATE;
    return lg_tkc_subscribe(p->ticker, tokens, n, mode);
}

/* ---- life --------------------------------------------------------------------------------- */

static int copy_config(lg_port_t *p, const lg_port_config_t *cfg) {
    p->cfg = *cfg;
    const char *product = cfg->product ? cfg->product : "NRML";
    if (lg_strlcpy(p->rest_root, cfg->rest_root, sizeof p->rest_root) != LG_OK ||
        lg_strlcpy(p->api_key, cfg->api_key, sizeof p->api_key) != LG_OK ||
        lg_strlcpy(p->token, cfg->access_token, sizeof p->token) != LG_OK ||
        lg_strlcpy(p->product, product, sizeof p->product) != LG_OK)
        return LG_EINVAL;
    if (strncmp(p->rest_root, "http://", 7) != 0 && strncmp(p->rest_root, "https://", 8) != 0)
        return LG_EINVAL;
    size_t rl = strlen(p->rest_root);
    if (rl > 0 && p->rest_root[rl - 1] == '/') p->rest_root[rl - 1] = '\0';
    if (cfg->ws_root != NULL && lg_strlcpy(p->ws_root, cfg->ws_root, sizeof p->ws_root) != LG_OK)
        return LG_EINVAL;
    p->cfg.rest_root = p->rest_root;
    p->cfg.ws_root = cfg->ws_root ? p->ws_root : NULL;
    p->cfg.api_key = p->api_key;
    p->cfg.access_token = NULL; /* only p->token holds it */
    p->cfg.product = p->product;
    if (p->cfg.request_timeout_ns <= 0) p->cfg.request_timeout_ns = 7000000000LL;
    if (p->cfg.connect_timeout_ns <= 0) p->cfg.connect_timeout_ns = 3000000000LL;
    if (p->cfg.max_inflight == 0) p->cfg.max_inflight = 16;
    if (p->cfg.order_conns == 0) p->cfg.order_conns = 4;
    if (p->cfg.conn_idle_ns <= 0) p->cfg.conn_idle_ns = 30000000000LL;
    if (cfg->tls_ca_file != NULL && lg_strlcpy(p->ca_file, cfg->tls_ca_file, sizeof p->ca_file) != LG_OK)
        return LG_EINVAL;
    p->cfg.tls_ca_file = cfg->tls_ca_file ? p->ca_file : NULL;
    if (p->cfg.rate.orders_per_second == 0) lg_rate_config_default(&p->cfg.rate);
    return LG_OK;
}

static int start_ticker(lg_port_t *p) {
    lg_tkc_config_t tc = {
        .loop = p->cfg.loop,
        .ws_root = p->ws_root,
        .api_key = p->api_key,
        .access_token = p->token,
        .heartbeat_timeout_ns = p->cfg.heartbeat_timeout_ns,
        .backoff_min_ns = p->cfg.reconnect_min_ns,
        .backoff_max_ns = p->cfg.reconnect_max_ns,
        .on_up = on_up,
        .on_down = on_down,
        .on_binary = on_binary,
        .on_text = on_text,
        .ud = p,
    };
    return lg_tkc_create(&tc, &p->ticker);
}

static void free_port(lg_port_t *p) {
    lg_rate_destroy(p->rate);
    free(p->quotes.tokens);
    free(p->slots);
    lg_pw_free(p);
    memset(p->token, 0, sizeof p->token);
    free(p);
}

void lg_port_release(lg_port_t *p) {
    LG_ASSERT(p->open_handles > 0);
    if (--p->open_handles == 0 && p->closing) free_port(p);
}

void lg_port_handle_closed(uv_handle_t *h) {
    lg_port_release(h->data);
}

int lg_port_create(const lg_port_config_t *cfg, lg_port_t **out) {
    LG_ASSERT(cfg != NULL && out != NULL);
    if (cfg->loop == NULL || cfg->rest_root == NULL || cfg->api_key == NULL ||
        cfg->access_token == NULL || cfg->master == NULL || cfg->on_event == NULL)
        return LG_EINVAL;
    lg_port_t *p = calloc(1, sizeof *p);
    if (p == NULL) return LG_ENOSPACE;
    int rc = copy_config(p, cfg);
    if (rc == LG_OK) rc = lg_rate_create(&p->cfg.rate, &p->rate);
    if (rc != LG_OK) {
        free_port(p);
        return rc;
    }
    p->n_slots = p->cfg.max_inflight;
    p->slots = calloc(p->n_slots, sizeof *p->slots);
    p->backoff_ns = BACKOFF_MIN_NS;
    uv_timer_init(cfg->loop, &p->rate_timer);
    p->rate_timer.data = p;
    p->open_handles = 1;
    lg_pq_init(p);
    rc = p->slots ? lg_ph_init(p) : LG_ENOSPACE;
    if (rc == LG_OK) rc = lg_pw_init(p);
    if (rc == LG_OK && p->cfg.ws_root != NULL) rc = start_ticker(p);
    if (rc != LG_OK) {
        lg_port_close(p);
        return rc;
    }
    *out = p;
    return LG_OK;
}

void lg_port_close(lg_port_t *p) {
    if (p == NULL || p->closing) return;
    p->closing = true;
    if (p->ticker != NULL) lg_tkc_close(p->ticker);
    p->ticker = NULL;
    lg_pw_close(p);
    if (p->curl_timer.data != NULL) lg_ph_close(p); /* lg_ph_init ran */
    uv_timer_stop(&p->rate_timer);
    lg_pq_close(p);
    uv_close((uv_handle_t *)&p->rate_timer, lg_port_handle_closed);
}

uint32_t lg_port_waiting(const lg_port_t *p) {
    lg_rate_stats_t r;
    lg_rate_stats(p->rate, &r);
    return r.waiting;
}

void lg_port_stats(const lg_port_t *p, lg_port_stats_t *s) {
    *s = p->st;
    s->inflight = p->n_busy;
    s->waiting = lg_port_waiting(p);
}
