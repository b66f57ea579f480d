/* The serial console panel's source: the UART's output tap (uart_set_tap)
 * copies every byte COM1 transmits into a ring the panel reads. The UART
 * and its FILE* output are untouched. */
#include "ui/ui_impl.h"

#include "devices/uart.h"

void console_push(struct ui_console *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        c->ring[c->head++ % CONSOLE_RING] = s[i];
}

static void console_tap(void *ctx, uint8_t byte)
{
    char b = (char)byte;
    console_push(ctx, &b, 1);
}

void console_attach(struct ui_console *c, struct uart *u)
{
    c->uart = u;
    uart_set_tap(u, console_tap, c);
}

void console_detach(struct ui_console *c)
{
    if (c->uart)
        uart_set_tap(c->uart, NULL, NULL);
    c->uart = NULL;
}
