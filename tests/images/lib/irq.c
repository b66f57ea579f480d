/* IDT for vectors 0-47 and the 8259A pair remapped to 0x20-0x2F (ICW1-4
 * as the 8259A datasheet gives them). IRQ handlers run with the IRQ's EOI
 * sent after them. */
#include "guest.h"

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t zero, type;
    uint16_t off_hi;
} __attribute__((packed));

extern const uint32_t isr_table[48];

static struct idt_gate idt[48];
static irq_fn handlers[16];

void irq_init(void)
{
    for (int i = 0; i < 48; i++) {
        idt[i].off_lo = (uint16_t)isr_table[i];
        idt[i].off_hi = (uint16_t)(isr_table[i] >> 16);
        idt[i].sel = 0x08;
        idt[i].zero = 0;
        idt[i].type = 0x8E;   /* present, DPL 0, 32-bit interrupt gate */
    }
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) idtr = { sizeof idt - 1, (uint32_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(idtr));

    outb(0x20, 0x11);  /* ICW1: edge, cascade, ICW4 */
    outb(0xA0, 0x11);
    outb(0x21, 0x20);  /* ICW2: vector bases */
    outb(0xA1, 0x28);
    outb(0x21, 0x04);  /* ICW3: slave on IRQ 2 */
    outb(0xA1, 0x02);
    outb(0x21, 0x01);  /* ICW4: 8086 mode */
    outb(0xA1, 0x01);
    outb(0x21, 0xFB);  /* all masked but the cascade */
    outb(0xA1, 0xFF);
}

void irq_register(int irq, irq_fn fn)
{
    handlers[irq] = fn;
    if (irq < 8) {
        outb(0x21, inb(0x21) & (uint8_t)~(1u << irq));
    } else {
        outb(0xA1, inb(0xA1) & (uint8_t)~(1u << (irq - 8)));
    }
}

void irq_dispatch(struct irq_frame *f);
void irq_dispatch(struct irq_frame *f)
{
    if (f->vector < 32) {
        printf("exception %u err=0x%x eip=0x%x\n", f->vector, f->err, f->eip);
        guest_exit(0x7E);
    }
    int irq = (int)f->vector - 32;
    if (handlers[irq])
        handlers[irq](f);
    if (irq >= 8)
        outb(0xA0, 0x20);
    outb(0x20, 0x20);
}
