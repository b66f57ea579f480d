/*
 * COM1, a 16550A UART at 0x3F8: output is polled (THRE in LSR), input
 * arrives by IRQ4 (IER.ERBFI) into a ring buffer the shell drains.
 */
#include <linux/kernel.h>
#include <linux/serial.h>
#include <asm/io.h>
#include <asm/x86.h>

#define COM1 0x3f8
#define UART_RX 0
#define UART_TX 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20

static char rx_buf[256];
static volatile unsigned int rx_head, rx_tail;

void serial_init(void)
{
	outb(0x00, COM1 + UART_IER);
	outb(0x80, COM1 + UART_LCR);	/* DLAB */
	outb(0x01, COM1 + 0);		/* divisor 1: 115200 baud */
	outb(0x00, COM1 + 1);
	outb(0x03, COM1 + UART_LCR);	/* 8N1 */
	/*
	 * Keep what was typed before we got here (QEMU hands piped input to the
	 * UART during the BIOS already): turning the FIFO on clears it.
	 */
	while ((inb(COM1 + UART_LSR) & UART_LSR_DR) && rx_head < sizeof(rx_buf))
		rx_buf[rx_head++] = inb(COM1 + UART_RX);
	outb(0xc7, COM1 + UART_FCR);	/* FIFO on, cleared, 14-byte trigger */
	outb(0x0b, COM1 + UART_MCR);	/* DTR, RTS, OUT2 (gates the IRQ line) */
}

void serial_putc(char c)
{
	int spins = 100000;

	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE) && --spins)
		;
	outb(c, COM1 + UART_TX);
}

void console_write(const char *s, unsigned int n)
{
	while (n--) {
		if (*s == '\n')
			serial_putc('\r');
		serial_putc(*s++);
	}
}

static void serial_interrupt(int irq, struct pt_regs *regs)
{
	(void)irq;
	(void)regs;
	while (inb(COM1 + UART_LSR) & UART_LSR_DR) {
		char c = inb(COM1 + UART_RX);
		if (rx_head - rx_tail < sizeof(rx_buf))
			rx_buf[rx_head++ % sizeof(rx_buf)] = c;
	}
}

void serial_enable_rx_irq(void)
{
	request_irq(4, serial_interrupt);
	outb(0x01, COM1 + UART_IER);
	serial_interrupt(4, NULL);	/* anything typed before the IRQ was on */
}

int serial_getc(void)
{
	unsigned long flags;
	int c = -1;

	local_irq_save(flags);
	if (rx_tail != rx_head)
		c = (unsigned char)rx_buf[rx_tail++ % sizeof(rx_buf)];
	local_irq_restore(flags);
	return c;
}
