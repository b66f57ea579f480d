/* The event log: a ring of architectural events (page faults, CR3 loads,
 * TLB flushes, DMA transfers, IRQs, ...) for the UI, the monitor and traces.
 * Recording is off-hot-path only: callers test ev->mask before building an
 * event, so a disabled kind costs one branch where it happens. */
#ifndef PAGODA_EVENTS_H
#define PAGODA_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

enum event_kind {
    EV_PAGE_FAULT,   /* a = lin (CR2), b = error code, c = EIP */
    EV_EXCEPTION,    /* a = vector, b = error code, c = EIP */
    EV_CR3_LOAD,     /* a = new CR3, b = old CR3 */
    EV_TLB_FLUSH,    /* a = cause (enum tlb_flush_cause), b = entries dropped */
    EV_INVLPG,       /* a = lin, b = entries dropped */
    EV_IRQ,          /* a = irq line, b = vector */
    EV_DMA,          /* a = channel, b = phys address, c = byte count, d = mode */
    EV_TRIPLE_FAULT, /* c = EIP */
    EV_GUEST_INFO,   /* a = what the guest published (see docs/guest-info.md) */
    EV_KIND_COUNT
};

struct event {
    uint64_t icount;  /* instructions retired when it happened */
    uint32_t kind;
    uint32_t a, b, c, d;
};

#define EVENTS_CAPACITY 4096u  /* a power of two */

struct events {
    uint32_t mask;                /* bit (1 << kind) set: record that kind */
    uint64_t head;                /* total events ever pushed */
    const uint64_t *icount;       /* where the current instruction count lives */
    uint64_t counts[EV_KIND_COUNT]; /* every event, recorded or not */
    struct event ring[EVENTS_CAPACITY];
};

void events_init(struct events *ev, const uint64_t *icount);
void events_push(struct events *ev, enum event_kind kind,
                 uint32_t a, uint32_t b, uint32_t c, uint32_t d);
/* Copy up to max events with sequence number >= *since into out, oldest
 * first; *since is advanced past what was copied. Returns how many. Events
 * that were overwritten before being read are skipped. */
unsigned events_read(const struct events *ev, uint64_t *since,
                     struct event *out, unsigned max);
const char *event_kind_name(enum event_kind kind);

#endif
