/* The serial console tap: the UI wraps the I/O-port handler of COM1 and
 * copies every byte the guest transmits (a THR write with DLAB = 0 and no
 * loopback, PC16550D §8) into a ring the console panel reads, then passes
 * the access on unchanged. uart.h has no output hook; this keeps the UART
 * and its FILE* output exactly as they were. */
#include <string.h>

#include "ui/ui_impl.h"

#define UART_THR 0
#define UART_LCR 3
#define UART_MCR 4
#define LCR_DLAB 0x80u
#define MCR_LOOP 0x10u

void console_push(struct ui_console *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        c->ring[c->head++ % CONSOLE_RING] = s[i];
}

static uint32_t tap_read(void *ctx, uint16_t port, int size)
{
    struct ui_console *c = ctx;
    return c->orig.read(c->orig.ctx, port, size);
}

static void tap_write(void *ctx, uint16_t port, uint32_t val, int size)
{
    struct ui_console *c = ctx;
    if (port == c->base + UART_THR && c->orig.read) {
        /* reading LCR and MCR has no side effects on a 16550 */
        uint32_t lcr = c->orig.read(c->orig.ctx, (uint16_t)(c->base + UART_LCR), 1);
        uint32_t mcr = c->orig.read(c->orig.ctx, (uint16_t)(c->base + UART_MCR), 1);
        if (!(lcr & LCR_DLAB) && !(mcr & MCR_LOOP)) {
            char b = (char)val;
            console_push(c, &b, 1);
        }
    }
    c->orig.write(c->orig.ctx, port, val, size);
}

bool console_attach(struct ui_console *c, struct iobus *bus, uint16_t base)
{
    c->slot = -1;
    unsigned owner = bus->owner[base];
    if (!owner || bus->owner[base + UART_LCR] != owner || bus->owner[base + UART_MCR] != owner)
        return false;
    c->bus = bus;
    c->base = base;
    c->slot = (int)owner - 1;
    c->orig = bus->handlers[c->slot];
    struct io_handler h = c->orig;
    h.read = tap_read;
    h.write = tap_write;
    h.ctx = c;
    bus->handlers[c->slot] = h;
    return true;
}

void console_detach(struct ui_console *c)
{
    if (c->slot >= 0 && c->bus) {
        c->bus->handlers[c->slot] = c->orig;
        c->slot = -1;
    }
}
