/*
 * sim_queue.c — the exchange model's bounded, time-ordered queue: one pool of item
 * slots shared by two binary min-heaps (world actions and client deliveries), each
 * ordered by (time, insertion sequence) so that equal times keep the order in which
 * they were scheduled and a run replays exactly.
 *
 * Heaps hold small entries (time, sequence, slot); the items stay in their slots.
 * Slots are handed out from a high-water mark first, then from a free stack, so a
 * large pool costs nothing until it is used. Everything is allocated by
 * lg_simq_init; a full pool makes lg_simq_push return false (the caller counts it).
 */
#include "sim_int.h"

#include <stdlib.h>
#include <string.h>

int lg_simq_init(sim_queue_t *q, uint32_t cap) {
    LG_ASSERT(q != NULL);
    memset(q, 0, sizeof *q);
    if (cap == 0 || cap > (UINT32_MAX >> 2)) return LG_EINVAL;
    q->items = calloc(cap, sizeof *q->items);
    q->free = calloc(cap, sizeof *q->free);
    q->world.a = calloc(cap, sizeof *q->world.a);
    q->dlv.a = calloc(cap, sizeof *q->dlv.a);
    if (!q->items || !q->free || !q->world.a || !q->dlv.a) {
        lg_simq_free(q);
        return LG_EPOOL_FULL;
    }
    q->cap = q->world.cap = q->dlv.cap = cap;
    return LG_OK;
}

void lg_simq_free(sim_queue_t *q) {
    LG_ASSERT(q != NULL);
    free(q->items);
    free(q->free);
    free(q->world.a);
    free(q->dlv.a);
    memset(q, 0, sizeof *q);
}

uint32_t lg_simq_room(const sim_queue_t *q) {
    LG_ASSERT(q->hw <= q->cap && q->n_free <= q->hw);
    return (q->cap - q->hw) + q->n_free;
}

static bool hent_less(const sim_hent_t *a, const sim_hent_t *b) {
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void heap_up(sim_heap_t *h, uint32_t i) {
    sim_hent_t e = h->a[i];
    for (uint32_t k = 0; k < 32 && i > 0; k++) {
        uint32_t p = (i - 1) / 2;
        if (!hent_less(&e, &h->a[p])) break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i] = e;
}

static void heap_down(sim_heap_t *h, uint32_t i) {
    sim_hent_t e = h->a[i];
    for (uint32_t k = 0; k < 32; k++) {
        uint32_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && hent_less(&h->a[c + 1], &h->a[c])) c++;
        if (!hent_less(&h->a[c], &e)) break;
        h->a[i] = h->a[c];
        i = c;
    }
    h->a[i] = e;
}

static uint32_t slot_take(sim_queue_t *q) {
    if (q->n_free > 0) return q->free[--q->n_free];
    LG_ASSERT(q->hw < q->cap);
    return q->hw++;
}

bool lg_simq_push(sim_queue_t *q, sim_heap_t *h, lg_ns_t t, const sim_item_t *it) {
    LG_ASSERT(q != NULL && h != NULL && it != NULL && it->kind != SK_NONE);
    LG_ASSERT(t >= 0 && t < INT64_MAX);
    if (lg_simq_room(q) == 0) return false;
    LG_ASSERT(h->n < h->cap);
    uint32_t slot = slot_take(q);
    q->items[slot] = *it;
    h->a[h->n] = (sim_hent_t){.t = t, .seq = q->seq++, .slot = slot};
    heap_up(h, h->n++);
    return true;
}

lg_ns_t lg_simq_head(const sim_heap_t *h) {
    LG_ASSERT(h != NULL);
    return h->n > 0 ? h->a[0].t : INT64_MAX;
}

void lg_simq_pop(sim_queue_t *q, sim_heap_t *h, sim_item_t *out, lg_ns_t *t) {
    LG_ASSERT(q != NULL && h != NULL && out != NULL && t != NULL && h->n > 0);
    sim_hent_t top = h->a[0];
    h->a[0] = h->a[--h->n];
    if (h->n > 0) heap_down(h, 0);
    *out = q->items[top.slot];
    *t = top.t;
    LG_ASSERT(q->n_free < q->cap);
    q->free[q->n_free++] = top.slot;
}
