#ifndef _LINUX_SERIAL_H
#define _LINUX_SERIAL_H

void serial_init(void);
void serial_enable_rx_irq(void);
void serial_putc(char c);
int serial_getc(void);		/* -1 when nothing is buffered */
void console_write(const char *s, unsigned int n);

#endif
