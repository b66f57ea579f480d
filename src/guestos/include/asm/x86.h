/* Descriptor tables, traps and interrupt plumbing of the i386 guest. */
#ifndef _ASM_X86_H
#define _ASM_X86_H
#include <linux/types.h>

#define __KERNEL_CS 0x08
#define __KERNEL_DS 0x10
#define __USER_CS 0x1b
#define __USER_DS 0x23
#define GDT_ENTRY_TSS 5
#define GDT_ENTRY_PERCPU 6
#define __KERNEL_PERCPU (GDT_ENTRY_PERCPU * 8)
#define GDT_ENTRIES 7

/* Saved by entry.S, in push order reversed (lowest address first). */
struct pt_regs {
	u32 ebx, ecx, edx, esi, edi, ebp, eax;
	u32 ds, es, fs, gs;
	u32 trapnr, error_code;
	u32 eip, cs, eflags;
	u32 esp, ss;		/* only on a privilege change */
};

struct exception_table_entry {
	unsigned long insn, fixup;
};

void trap_init(void);
void gdt_set_percpu_base(unsigned long base);
void init_IRQ(void);
typedef void (*irq_handler_t)(int irq, struct pt_regs *regs);
void request_irq(int irq, irq_handler_t handler);
void enable_irq(int irq);
void disable_irq(int irq);
void time_init(void);
void machine_power_off(void) __attribute__((noreturn));
void machine_power_off_status(u8 status) __attribute__((noreturn));

#endif
