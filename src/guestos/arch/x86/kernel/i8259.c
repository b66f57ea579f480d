/*
 * 8259A PIC pair: IRQ 0-7 -> vectors 0x20-0x27, IRQ 8-15 -> 0x28-0x2f,
 * cascade on IRQ2, specific EOI (8259A datasheet, ICW1-4 / OCW2).
 */
#include <linux/kernel.h>
#include <asm/io.h>
#include <asm/x86.h>

static u8 cached_master_mask = 0xff, cached_slave_mask = 0xff;

void init_IRQ(void)
{
	outb(0xff, 0x21);
	outb(0xff, 0xa1);
	outb(0x11, 0x20); io_delay();	/* ICW1: edge, cascade, ICW4 */
	outb(0x20, 0x21); io_delay();	/* ICW2: vector base */
	outb(0x04, 0x21); io_delay();	/* ICW3: slave on IRQ2 */
	outb(0x01, 0x21); io_delay();	/* ICW4: 8086 mode, normal EOI */
	outb(0x11, 0xa0); io_delay();
	outb(0x28, 0xa1); io_delay();
	outb(0x02, 0xa1); io_delay();
	outb(0x01, 0xa1); io_delay();
	cached_master_mask = 0xfb;	/* everything masked but the cascade */
	cached_slave_mask = 0xff;
	outb(cached_master_mask, 0x21);
	outb(cached_slave_mask, 0xa1);
}

void enable_irq(int irq)
{
	if (irq < 8) {
		cached_master_mask &= ~(1 << irq);
		outb(cached_master_mask, 0x21);
	} else {
		cached_slave_mask &= ~(1 << (irq - 8));
		outb(cached_slave_mask, 0xa1);
	}
}

void disable_irq(int irq)
{
	if (irq < 8) {
		cached_master_mask |= 1 << irq;
		outb(cached_master_mask, 0x21);
	} else {
		cached_slave_mask |= 1 << (irq - 8);
		outb(cached_slave_mask, 0xa1);
	}
}
