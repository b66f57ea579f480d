/* printk to COM1; "<n>" log-level prefixes are accepted and dropped. */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/serial.h>
#include <asm/io.h>
#include <asm/x86.h>

int printk(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;
	const char *p = buf;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	if (p[0] == '<' && p[1] >= '0' && p[1] <= '7' && p[2] == '>') {
		p += 3;
		n -= 3;
	}
	console_write(p, n);
	return n;
}

void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	local_irq_disable();
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("Kernel panic - not syncing: %s\n", buf);
	dump_stack();
	machine_power_off_status(1);	/* a harness sees exit status 3, not a clean power-off */
}
