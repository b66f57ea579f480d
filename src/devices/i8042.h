/* The 8042 keyboard controller (data 0x60, status/command 0x64) and System
 * Control Port A at 0x92 (bit 1 fast A20, bit 0 fast reset). The A20 line
 * seen by memory is the controller's output-port bit 1 OR port 0x92 bit 1;
 * a change of it, and every reset request, goes out through callbacks. */
#ifndef PAGODA_I8042_H
#define PAGODA_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"

struct iobus;
struct i8042;

#define I8042_KBD_IRQ 1
#define I8042_AUX_IRQ 12

struct i8042_callbacks {
    void (*set_a20)(void *ctx, bool enabled);  /* machine: phys_set_a20 + mmu_a20_changed */
    void (*reset)(void *ctx);                  /* machine: CPU reset (system reset line) */
    void *ctx;
};

struct i8042 *i8042_create(struct iobus *bus, struct irq_line irq,
                           const struct i8042_callbacks *cb);
void i8042_destroy(struct i8042 *k);
/* Power-on: A20 disabled (callback told), buffers empty, command byte
 * 0x45 as a BIOS leaves it (IRQ 1 on, system flag, set 1 translation).
 * i8042_create calls no callback; the machine resets it. */
void i8042_reset(struct i8042 *k);

/* A scancode (set 2 as the keyboard sends it; translated to set 1 if the
 * command byte asks) from the UI; queued, raised on IRQ 1. */
void i8042_key(struct i8042 *k, uint8_t scancode);
bool i8042_a20(const struct i8042 *k);
/* Set the controller's output-port A20 bit as a boot loader's "enable
 * A20" would (the callback is told if the line changes). */
void i8042_set_a20(struct i8042 *k, bool enabled);

#endif
