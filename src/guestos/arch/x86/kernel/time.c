/* 8254 PIT channel 0 in mode 2 (rate generator) drives jiffies at HZ. */
#include <linux/kernel.h>
#include <asm/io.h>
#include <asm/x86.h>

#define PIT_TICK_RATE 1193182UL
unsigned long volatile jiffies;

static void timer_interrupt(int irq, struct pt_regs *regs)
{
	(void)irq;
	(void)regs;
	jiffies++;
}

void time_init(void)
{
	unsigned int latch = (PIT_TICK_RATE + HZ / 2) / HZ;

	outb(0x34, 0x43);		/* channel 0, lo/hi byte, mode 2 */
	outb(latch & 0xff, 0x40);
	outb(latch >> 8, 0x40);
	request_irq(0, timer_interrupt);
}

/*
 * QEMU's isa-debug-exit (and Pagoda) at port 0xF4; a PC without it halts.
 * The emulator exits with (status << 1) | 1: 1 for a clean power-off,
 * 3 for status 1, the failure a test harness should see.
 */
void machine_power_off_status(u8 status)
{
	printk("reboot: Power down%s\n", status ? " (failure status)" : "");
	outb(status, 0xf4);
	local_irq_disable();
	for (;;)
		halt();
}

void machine_power_off(void)
{
	machine_power_off_status(0);
}
