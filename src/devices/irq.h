/* An interrupt request line as a device sees it: the device drives a level
 * on ISA IRQ number `irq` (0-15); the interrupt controller behind `set`
 * decides what a level change means (edge or level triggered). A device
 * that holds no line (set == NULL) simply raises nothing. */
#ifndef PAGODA_IRQ_H
#define PAGODA_IRQ_H

#include <stdbool.h>

struct irq_line {
    void (*set)(void *ctx, int irq, bool level);
    void *ctx;
};

static inline void irq_set(const struct irq_line *l, int irq, bool level)
{
    if (l->set)
        l->set(l->ctx, irq, level);
}

/* An edge for an edge-triggered input: low then high (the line stays high,
 * as OUT0 of a PIT in mode 2 or 3 does between pulses). */
static inline void irq_pulse(const struct irq_line *l, int irq)
{
    irq_set(l, irq, false);
    irq_set(l, irq, true);
}

#endif
