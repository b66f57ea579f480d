/*
 * GDT, IDT, TSS and the C side of every trap: exceptions print a register
 * dump (like Linux's oops) and stop; IRQs go to their registered handler.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/io.h>
#include <asm/x86.h>
#include <asm/page.h>

struct desc_struct {
	u16 limit0, base0;
	u8 base1, type_flags, limit1_flags, base2;
} __packed;

struct gate_desc {
	u16 offset0, selector;
	u8 zero, type_attr;
	u16 offset1;
} __packed;

struct tss_struct {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u32 es, cs, ss, ds, fs, gs, ldt;
	u16 trap, io_bitmap_base;
} __packed;

struct desc_ptr {
	u16 size;
	u32 address;
} __packed;

static struct desc_struct gdt[GDT_ENTRIES] __aligned(8);
static struct gate_desc idt[256] __aligned(8);
static struct tss_struct tss;
static irq_handler_t irq_handlers[16];
extern const unsigned long vector_table[48];
extern char init_stack_top[];
extern const struct exception_table_entry __start___ex_table[], __stop___ex_table[];

/* SDM Vol. 3 §3.4.5: segment descriptor layout. */
static void set_desc(int n, u32 base, u32 limit, u8 type, u8 flags)
{
	gdt[n].limit0 = limit & 0xffff;
	gdt[n].base0 = base & 0xffff;
	gdt[n].base1 = (base >> 16) & 0xff;
	gdt[n].type_flags = type;
	gdt[n].limit1_flags = ((limit >> 16) & 0xf) | (flags << 4);
	gdt[n].base2 = base >> 24;
}

void gdt_set_percpu_base(unsigned long base)
{
	set_desc(GDT_ENTRY_PERCPU, base, 0xfffff, 0x92, 0xc);
	__asm__ volatile("movl %0, %%fs" : : "r"(__KERNEL_PERCPU) : "memory");
}

/* SDM Vol. 3 §6.11: interrupt gate, DPL 0 (type 0x8E). */
static void set_intr_gate(int n, unsigned long handler)
{
	idt[n].offset0 = handler & 0xffff;
	idt[n].selector = __KERNEL_CS;
	idt[n].zero = 0;
	idt[n].type_attr = 0x8e;
	idt[n].offset1 = handler >> 16;
}

void trap_init(void)
{
	struct desc_ptr gdtr, idtr;
	int i;

	set_desc(1, 0, 0xfffff, 0x9a, 0xc);	/* kernel code, 4 GiB, 32-bit */
	set_desc(2, 0, 0xfffff, 0x92, 0xc);	/* kernel data */
	set_desc(3, 0, 0xfffff, 0xfa, 0xc);	/* user code, DPL 3 */
	set_desc(4, 0, 0xfffff, 0xf2, 0xc);	/* user data, DPL 3 */
	tss.ss0 = __KERNEL_DS;
	tss.esp0 = (u32)init_stack_top;
	tss.io_bitmap_base = sizeof(tss);	/* no I/O bitmap */
	set_desc(GDT_ENTRY_TSS, (u32)&tss, sizeof(tss) - 1, 0x89, 0x0);
	set_desc(GDT_ENTRY_PERCPU, 0, 0xfffff, 0x92, 0xc);	/* base set by setup_per_cpu_areas */

	gdtr.size = sizeof(gdt) - 1;
	gdtr.address = (u32)gdt;
	__asm__ volatile("lgdt %0\n\t"
			 "ljmp $0x08, $1f\n1:\n\t"
			 "movl $0x10, %%eax\n\t"
			 "movl %%eax, %%ds\n\tmovl %%eax, %%es\n\tmovl %%eax, %%ss\n\t"
			 "movl %%eax, %%gs\n\t"
			 "movl $0x30, %%eax\n\tmovl %%eax, %%fs"
			 : : "m"(gdtr) : "eax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(GDT_ENTRY_TSS * 8));

	for (i = 0; i < 48; i++)
		set_intr_gate(i, vector_table[i]);
	idtr.size = sizeof(idt) - 1;
	idtr.address = (u32)idt;
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

static const char *const trap_names[32] = {
	"divide error", "debug", "NMI", "int3", "overflow", "bounds",
	"invalid opcode", "device not available", "double fault",
	"coprocessor segment overrun", "invalid TSS", "segment not present",
	"stack segment", "general protection fault", "page fault", "reserved",
	"x87 FPU error", "alignment check", "machine check", "SIMD exception",
};

void dump_stack(void)
{
	unsigned long *ebp = __builtin_frame_address(0);
	int depth = 0;

	printk("Call Trace:\n");
	while (ebp && (unsigned long)ebp >= PAGE_OFFSET && depth++ < 16) {
		printk(" [<%08lx>]\n", ebp[1]);
		ebp = (unsigned long *)ebp[0];
	}
}

static void die(const char *str, struct pt_regs *regs)
{
	printk("%s: %04x [#1]\n", str, regs->error_code);
	/* A 32-bit push of a segment register may leave bits 16-31 of the
	 * stack slot as they were (SDM Vol. 2, PUSH): show the selector only. */
	printk("EIP: %04x:%08x EFLAGS: %08x\n", regs->cs & 0xffff, regs->eip, regs->eflags);
	printk("EAX: %08x EBX: %08x ECX: %08x EDX: %08x\n", regs->eax, regs->ebx, regs->ecx, regs->edx);
	printk("ESI: %08x EDI: %08x EBP: %08x ESP: %08lx\n", regs->esi, regs->edi, regs->ebp,
	       (unsigned long)&regs->esp);
	printk("DS: %04x ES: %04x FS: %04x GS: %04x\n", regs->ds & 0xffff, regs->es & 0xffff, regs->fs & 0xffff,
	       regs->gs & 0xffff);
	printk("CR0: %08lx CR2: %08lx CR3: %08lx CR4: %08lx\n", read_cr0(), read_cr2(), read_cr3(), read_cr4());
	panic("Fatal exception");
}

static bool fixup_exception(struct pt_regs *regs)
{
	const struct exception_table_entry *e;

	for (e = __start___ex_table; e < __stop___ex_table; e++) {
		if (e->insn == regs->eip) {
			regs->eip = e->fixup;
			return true;
		}
	}
	return false;
}

void do_trap(struct pt_regs *regs);
void do_trap(struct pt_regs *regs)
{
	unsigned int nr = regs->trapnr;

	if (nr >= 32 && nr < 48) {
		int irq = nr - 32;

		/* Spurious IRQ7/15: the 8259 ISR bit is clear (OCW3 read ISR). */
		if (irq == 7 || irq == 15) {
			u16 port = irq == 7 ? 0x20 : 0xa0;
			outb(0x0b, port);
			if (!(inb(port) & 0x80)) {
				if (irq == 15)
					outb(0x62, 0x20);
				return;
			}
		}
		if (irq_handlers[irq])
			irq_handlers[irq](irq, regs);
		if (irq >= 8)
			outb(0x60 + (irq & 7), 0xa0);	/* specific EOI, slave */
		outb(0x60 + (irq >= 8 ? 2 : irq), 0x20);	/* specific EOI, master */
		return;
	}
	if (nr == 14) {
		if (fixup_exception(regs))
			return;
		printk("BUG: unable to handle page fault for address: %08lx\n", read_cr2());
		printk("#PF: %s %s access in %s mode\n",
		       regs->error_code & 1 ? "protection" : "not-present",
		       regs->error_code & 2 ? "write" : "read",
		       regs->error_code & 4 ? "user" : "kernel");
		die("Oops", regs);
	}
	die(nr < 20 ? trap_names[nr] : "exception", regs);
}

void request_irq(int irq, irq_handler_t handler)
{
	irq_handlers[irq] = handler;
	enable_irq(irq);
}
