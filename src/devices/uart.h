/* A 16550A UART (PC16550D). COM1 = 0x3F8 / IRQ 4, COM2 = 0x2F8 / IRQ 3.
 * Transmitted bytes go to a FILE*; received bytes come from a host fd
 * (polled without blocking) and/or a buffer injected by tests or the UI. */
#ifndef PAGODA_UART_H
#define PAGODA_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/irq.h"

struct iobus;
struct vclock;
struct uart;

#define UART_COM1_BASE 0x3F8
#define UART_COM1_IRQ  4
#define UART_COM2_BASE 0x2F8
#define UART_COM2_IRQ  3

/* out may be NULL (output discarded); in_fd < 0 means no host input. The
 * UART never closes either. */
struct uart *uart_create(struct iobus *bus, uint16_t base, int irq_num,
                         struct irq_line irq, struct vclock *vc,
                         FILE *out, int in_fd);
void uart_destroy(struct uart *u);
void uart_reset(struct uart *u);

/* Queue bytes as if they arrived on the line (in order, after earlier ones). */
void uart_inject(struct uart *u, const void *buf, size_t len);
/* Called from the run loop: read what the host fd has without blocking and
 * move queued input into the receive FIFO as space allows. Returns false
 * once the fd reached end of file (input is then over). */
bool uart_poll(struct uart *u);
/* An observer of the output: fn(ctx, byte) for every byte transmitted on
 * the line (not in loopback), after it went to the FILE*, whether or not
 * there is one (the UI's console panel, a test). NULL removes it. */
typedef void (*uart_tap_fn)(void *ctx, uint8_t byte);
void uart_set_tap(struct uart *u, uart_tap_fn fn, void *ctx);

/* Bytes transmitted so far (including those in loopback). */
uint64_t uart_tx_count(const struct uart *u);

#endif
