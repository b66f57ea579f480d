/* The 8259A programmable interrupt controller pair of the PC/AT: master at
 * 0x20-0x21 (IRQ 0-7), slave at 0xA0-0xA1 (IRQ 8-15) cascaded on master
 * IRQ 2, plus the ELCR at 0x4D0-0x4D1 (per-IRQ level-trigger select).
 * Devices drive lines through pic_irq_line(); the pair drives the CPU's
 * INTR through the `intr` callback and answers INTA with pic_intr_ack(). */
#ifndef PAGODA_PIC_H
#define PAGODA_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"

struct iobus;
struct events;
struct pic;

/* intr(ctx, level) is called whenever the INTR output changes. ev may be
 * NULL; when given, each acknowledged IRQ is recorded as EV_IRQ. Returns
 * NULL if the ports are taken or memory runs out. */
struct pic *pic_create(struct iobus *bus, struct events *ev,
                       void (*intr)(void *ctx, bool level), void *intr_ctx);
void pic_destroy(struct pic *p);
/* Power-on state. There is no BIOS to program the pair, so reset leaves
 * what one would: vector bases 0x08 / 0x70, cascade on IRQ 2, but every
 * IRQ masked (IMR = 0xFF) until the guest unmasks what it handles. */
void pic_reset(struct pic *p);

/* The line devices are given: set(ctx, irq 0-15, level). */
struct irq_line pic_irq_line(struct pic *p);
void pic_set_irq(struct pic *p, int irq, bool level);

/* Current INTR output. */
bool pic_intr(const struct pic *p);
/* INTA cycle: the vector of the highest-priority pending IRQ, with ISR/IRR
 * updated as the 8259A does (auto-EOI honoured); a spurious IRQ 7 (or 15)
 * vector if the request went away. */
int pic_intr_ack(struct pic *p);

/* For the monitor and UI: chip 0 = master, 1 = slave. */
struct pic_regs {
    uint8_t irr, isr, imr, vector_base;
};
void pic_get_regs(const struct pic *p, int chip, struct pic_regs *out);

#endif
