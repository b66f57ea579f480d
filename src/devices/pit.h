/* The 8254 programmable interval timer at 0x40-0x43, clocked at
 * 1.193182 MHz, and the PC's system control port B at 0x61 (bit 0 gate 2,
 * bit 1 speaker data, bit 4 refresh toggle, bit 5 OUT2). Counters are
 * computed from virtual time when read, never ticked; channel 0's OUT
 * drives IRQ 0 through timers armed on the virtual clock. */
#ifndef PAGODA_PIT_H
#define PAGODA_PIT_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"

struct iobus;
struct vclock;
struct pit;

#define PIT_HZ 1193182u

struct pit *pit_create(struct iobus *bus, struct vclock *vc, struct irq_line irq);
void pit_destroy(struct pit *p);
void pit_reset(struct pit *p);

/* Output of channel ch (0-2) now; for tests, the monitor and the UI. */
bool pit_out(struct pit *p, int ch);
/* Interrupts raised on IRQ 0 so far. */
uint64_t pit_irq0_count(const struct pit *p);

#endif
