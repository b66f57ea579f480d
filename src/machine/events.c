#include "machine/events.h"

#include <string.h>

void events_init(struct events *ev, const uint64_t *icount)
{
    memset(ev, 0, sizeof *ev);
    ev->mask = ~0u;
    ev->icount = icount;
}

void events_push(struct events *ev, enum event_kind kind,
                 uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    if (!ev)
        return;
    ev->counts[kind]++;
    if (!(ev->mask & (1u << kind)))
        return;
    struct event *e = &ev->ring[ev->head & (EVENTS_CAPACITY - 1)];
    e->icount = ev->icount ? *ev->icount : 0;
    e->kind = kind;
    e->a = a;
    e->b = b;
    e->c = c;
    e->d = d;
    ev->head++;
}

unsigned events_read(const struct events *ev, uint64_t *since,
                     struct event *out, unsigned max)
{
    uint64_t first = ev->head > EVENTS_CAPACITY ? ev->head - EVENTS_CAPACITY : 0;
    if (*since < first)
        *since = first;
    unsigned n = 0;
    while (*since < ev->head && n < max) {
        out[n++] = ev->ring[*since & (EVENTS_CAPACITY - 1)];
        (*since)++;
    }
    return n;
}

const char *event_kind_name(enum event_kind kind)
{
    static const char *const names[EV_KIND_COUNT] = {
        [EV_PAGE_FAULT] = "page-fault", [EV_EXCEPTION] = "exception",
        [EV_CR3_LOAD] = "cr3-load",     [EV_TLB_FLUSH] = "tlb-flush",
        [EV_INVLPG] = "invlpg",         [EV_IRQ] = "irq",
        [EV_DMA] = "dma",               [EV_TRIPLE_FAULT] = "triple-fault",
        [EV_GUEST_INFO] = "guest-info",
    };
    return (unsigned)kind < EV_KIND_COUNT ? names[kind] : "?";
}
