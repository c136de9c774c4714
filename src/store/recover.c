/*
 * recover.c — restart (recover.h): replay the journal into a fresh engine, then walk
 * the broker's order book through the runner (adopt, update, look-up misses,
 * positions, RECOVERED), naming whatever it cannot explain and halting on it.
 *
 * The book's tags are indexed once in an open-addressing table (two slots per order,
 * allocated for the call) so that "does the broker have this order?" is O(1) for
 * each of the engine's orders.
 */
#include "legato/recover.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- replay --------------------------------------------------------------------------- */

typedef struct replay_ctx {
    lg_engine_t *e;
    lg_out_t out;
    lg_recovery_t *rep;
} replay_ctx_t;

static int replay_one(void *ctx, const lg_store_row_t *row) {
    replay_ctx_t *c = ctx;
    LG_ASSERT(row->item == LG_JRNL_EVENT);
    lg_engine_step(c->e, &row->u.ev, row->time_ns, &c->out);
    c->rep->replayed++;
    c->rep->last_ns = row->time_ns;
    return LG_OK;
}

int lg_recover_replay(lg_store_t *s, const lg_engine_config_t *cfg, const lg_instruments_t *m,
                      lg_engine_t **out, lg_recovery_t *rep) {
    LG_ASSERT(s != NULL && cfg != NULL && m != NULL && out != NULL && rep != NULL);
    memset(rep, 0, sizeof *rep);
    *out = NULL;
    replay_ctx_t c = {.rep = rep};
    int rc = lg_engine_create(cfg, m, &c.e);
    if (rc != LG_OK) {
        snprintf(rep->report, sizeof rep->report, "engine: %s", lg_strerror(rc));
        return rc;
    }
    rc = lg_out_init(&c.out, 4096, 16384, 256);
    if (rc == LG_OK) rc = lg_store_scan_events(s, replay_one, &c);
    if (c.out.cmds != NULL) lg_out_free(&c.out);
    if (rc != LG_OK) {
        snprintf(rep->report, sizeof rep->report, "journal replay stopped after %llu events: %s",
                 (unsigned long long)rep->replayed, lg_store_errmsg(s));
        lg_engine_destroy(c.e);
        return rc;
    }
    *out = c.e;
    return LG_OK;
}

/* ---- reconciliation ------------------------------------------------------------------- */

typedef struct recon {
    lg_runner_t *r;
    lg_engine_t *e;
    const lg_book_t *book;
    lg_ns_t now;
    lg_out_t *out;
    lg_recovery_t *rep;
    uint32_t *slots; /* book index + 1, 0 empty */
    uint32_t nslots;
    bool *adopted;   /* per book order: adopted in this call */
    int err;         /* a runner error that stops everything */
} recon_t;

static void say(recon_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(recon_t *c, const char *fmt, ...) {
    c->rep->unexplained++;
    size_t n = strlen(c->rep->report);
    if (n + 2 >= sizeof c->rep->report) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->rep->report + n, sizeof c->rep->report - n, fmt, ap);
    va_end(ap);
    n = strlen(c->rep->report);
    if (n + 1 < sizeof c->rep->report) {
        c->rep->report[n] = '\n';
        c->rep->report[n + 1] = '\0';
    }
}

static uint32_t tag_hash(const char *t) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < LG_TAG_MAX && t[i] != '\0'; i++) h = (h ^ (uint8_t)t[i]) * 16777619u;
    return h;
}

static int index_book(recon_t *c) {
    uint32_t n = 16;
    while (n < 2 * c->book->n_orders + 2 && n < (1u << 30)) n *= 2;
    c->nslots = n;
    c->slots = calloc(n, sizeof *c->slots);
    c->adopted = calloc(c->book->n_orders + 1u, sizeof *c->adopted);
    if (c->slots == NULL || c->adopted == NULL) return LG_EPOOL_FULL;
    for (uint32_t i = 0; i < c->book->n_orders; i++) {
        uint32_t h = tag_hash(c->book->orders[i].u.tag) & (n - 1);
        for (uint32_t k = 0; k < n && c->slots[h] != 0; k++) h = (h + 1) & (n - 1);
        c->slots[h] = i + 1;
    }
    return LG_OK;
}

static bool in_book(const recon_t *c, const char *tag) {
    uint32_t h = tag_hash(tag) & (c->nslots - 1);
    for (uint32_t k = 0; k < c->nslots && c->slots[h] != 0; k++) {
        if (strcmp(c->book->orders[c->slots[h] - 1].u.tag, tag) == 0) return true;
        h = (h + 1) & (c->nslots - 1);
    }
    return false;
}

/* One step through the runner; the engine's refusal comes back, a runner error stops. */
static int step(recon_t *c, const lg_event_t *ev) {
    if (c->err != LG_OK) return c->err;
    int rc = lg_runner_step(c->r, ev, c->now, c->out);
    if (rc == LG_ENOSPACE && c->out->n_cmds == 0 && c->out->n_recs == 0 &&
        lg_runner_journal_error(c->r) != LG_OK)
        c->err = rc; /* the backlog is full: nothing more can be stepped */
    if (rc == LG_ESTOPPED) c->err = rc;
    return rc;
}

static void control(recon_t *c, lg_control_op_t op) {
    lg_event_t ev = {.kind = LG_EV_CONTROL};
    ev.u.control.op = (int32_t)op;
    step(c, &ev);
}

static void adopt_unknown(recon_t *c) {
    for (uint32_t i = 0; i < c->book->n_orders && c->err == LG_OK; i++) {
        const lg_adopt_t *a = &c->book->orders[i];
        lg_tag_t t;
        if (lg_tag_decode(a->u.tag, &t) != LG_OK) {
            say(c, "broker order %.24s (tag '%.20s') is not legato's", a->u.broker_id, a->u.tag);
            continue;
        }
        if (lg_engine_order_by_tag(c->e, a->u.tag) != NULL) continue;
        lg_group_view_t v; /* a group being rebuilt is CREATED; a journaled one never is */
        bool group_known = lg_engine_group(c->e, t.group, &v) == LG_OK && v.state != LG_GS_CREATED;
        /* Final orders that never filled are adopted too: they tell of no decision,
         * but their child numbers are taken (a tag is never placed twice). */
        lg_event_t ev = {.kind = LG_EV_ADOPT};
        ev.u.adopt = *a;
        int rc = step(c, &ev);
        if (rc != LG_OK) {
            if (c->err == LG_OK)
                say(c, "broker order %s refused: %s", a->u.tag,
                    c->out->n_alerts > 0 ? c->out->alerts[0].text : lg_strerror(rc));
            continue;
        }
        c->adopted[i] = true;
        if (group_known) c->rep->adopted++;
        else if (lg_engine_group(c->e, t.group, &v) == LG_OK && v.n_orders == 1) c->rep->rebuilt++;
    }
}

static void update_known(recon_t *c) {
    for (uint32_t i = 0; i < c->book->n_orders && c->err == LG_OK; i++) {
        const lg_adopt_t *a = &c->book->orders[i];
        if (c->adopted[i] || lg_engine_order_by_tag(c->e, a->u.tag) == NULL) continue;
        lg_event_t ev = {.kind = LG_EV_ORDER_UPDATE};
        ev.u.update = a->u;
        int rc = step(c, &ev);
        if (rc == LG_OK) c->rep->updated++;
        else if (c->err == LG_OK)
            say(c, "broker's state of order %s refused: %s", a->u.tag,
                c->out->n_alerts > 0 ? c->out->alerts[0].text : lg_strerror(rc));
    }
}

/* Orders the engine has that the broker has not got. */
static void missing_orders(recon_t *c) {
    uint32_t max = lg_engine_config(c->e)->max_groups;
    uint32_t *ids = calloc(max, sizeof *ids);
    if (ids == NULL) {
        c->err = LG_EPOOL_FULL;
        return;
    }
    uint32_t n = lg_engine_groups(c->e, ids, max);
    for (uint32_t i = 0; i < n && c->err == LG_OK; i++) {
        for (uint32_t k = 0; k < LG_ENGINE_GROUP_ORDERS && c->err == LG_OK; k++) {
            const lg_order_t *o = lg_engine_group_order(c->e, ids[i], k);
            if (o == NULL) break;
            if (lg_ostate_terminal(o->state) || o->state == LG_OS_INTENT || in_book(c, o->tag))
                continue;
            if (o->state != LG_OS_SENT && o->state != LG_OS_UNKNOWN) {
                say(c, "order %s is %s in the journal but the broker has no such order", o->tag,
                    lg_ostate_name(o->state));
                continue;
            }
            /* The book is as conclusive as the live look-ups are once the order was sent
             * a silence interval ago: the broker has had the time to list it. Younger
             * orders get one miss, and the engine looks them up again. */
            uint32_t misses = o->sent_ns + lg_engine_config(c->e)->order_silence_ns <= c->now
                                  ? (uint32_t)(LG_ORDER_NOT_FOUND_CONFIRM - o->not_found) : 1u;
            lg_event_t ev = {.kind = LG_EV_ORDER_ERROR};
            lg_strlcpy(ev.u.error.tag, o->tag, sizeof ev.u.error.tag);
            ev.u.error.definitive = true;
            ev.u.error.is_lookup = true;
            ev.u.error.http_status = 404;
            lg_strlcpy(ev.u.error.message, "not in the broker's order book at recovery",
                       sizeof ev.u.error.message);
            for (uint32_t m = 0; m < misses && m < LG_ORDER_NOT_FOUND_CONFIRM; m++)
                if (step(c, &ev) != LG_OK) break;
            c->rep->missing++;
        }
    }
    free(ids);
}

static lg_qty_t book_position(const lg_book_t *b, uint32_t token) {
    lg_qty_t q = 0;
    for (uint32_t i = 0; i < b->n_positions; i++)
        if (b->positions[i].token == token) q += b->positions[i].qty;
    return q;
}

static void positions(recon_t *c, const lg_instruments_t *m) {
    if (c->book->n_positions > LG_JRNL_MAX_ROWS) {
        say(c, "the broker lists %u positions, more than the %u one snapshot holds",
            c->book->n_positions, LG_JRNL_MAX_ROWS);
        return;
    }
    lg_event_t ev = {.kind = LG_EV_POSITIONS};
    ev.u.positions.rows = c->book->positions;
    ev.u.positions.n = c->book->n_positions;
    step(c, &ev);
    for (uint32_t i = 0; i < m->n && c->err == LG_OK; i++) {
        uint32_t tok = m->items[i].token;
        lg_qty_t mine = lg_engine_position(c->e, tok), theirs = book_position(c->book, tok);
        if (mine != theirs)
            say(c, "%s: legato's orders account for %lld, the broker holds %lld",
                m->items[i].symbol, (long long)mine, (long long)theirs);
    }
    for (uint32_t i = 0; i < c->book->n_positions; i++)
        if (lg_instruments_find(m, c->book->positions[i].token) == NULL)
            say(c, "the broker holds %lld of token %u, which is not in the instrument master",
                (long long)c->book->positions[i].qty, c->book->positions[i].token);
}

int lg_recover_reconcile(lg_runner_t *r, lg_engine_t *e, const lg_book_t *book, lg_ns_t now,
                         lg_out_t *out, lg_recovery_t *rep) {
    LG_ASSERT(r != NULL && e != NULL && book != NULL && out != NULL && rep != NULL);
    LG_ASSERT(book->n_orders == 0 || book->orders != NULL);
    LG_ASSERT(book->n_positions == 0 || book->positions != NULL);
    recon_t c = {.r = r, .e = e, .book = book, .now = now, .out = out, .rep = rep};
    int rc = index_book(&c);
    if (rc == LG_OK) {
        lg_runner_begin(r); /* one group commit for the whole reconciliation */
        control(&c, LG_CTL_RECOVER_BEGIN);
        adopt_unknown(&c);
        update_known(&c);
        missing_orders(&c);
        positions(&c, lg_engine_master(e));
        if (c.err == LG_OK && rep->unexplained > 0) control(&c, LG_CTL_KILL);
        control(&c, LG_CTL_RECOVERED);
        int crc = c.err == LG_ESTOPPED ? LG_ESTOPPED : lg_runner_commit(r, out);
        if (c.err == LG_OK && crc != LG_OK) c.err = crc;
        rc = c.err != LG_OK ? c.err : rep->unexplained > 0 ? LG_EMISMATCH : LG_OK;
    } else {
        snprintf(rep->report, sizeof rep->report, "recovery: %s", lg_strerror(rc));
    }
    free(c.slots);
    free(c.adopted);
    return rc;
}
