/* Port I/O and control registers (SDM Vol. 2: IN/OUT, MOV CRn). */
#ifndef _ASM_IO_H
#define _ASM_IO_H
#include <linux/types.h>

static inline void outb(u8 v, u16 port) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 v, u16 port) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u32 v, u16 port) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
/* outb_p: a write to port 0x80 gives slow ISA devices (8259, 8254) time. */
static inline void io_delay(void) { outb(0, 0x80); }

static inline unsigned long read_cr0(void) { unsigned long v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline unsigned long read_cr2(void) { unsigned long v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline unsigned long read_cr3(void) { unsigned long v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline unsigned long read_cr4(void) { unsigned long v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr3(unsigned long v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(unsigned long v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline void __flush_tlb_one(unsigned long addr) { __asm__ volatile("invlpg (%0)" : : "r"(addr) : "memory"); }
/* With CR4.PGE set a CR3 reload keeps global entries; toggling PGE drops them (SDM Vol. 3 §4.10.4.1). */
static inline void __flush_tlb_all(void)
{
	unsigned long cr4 = read_cr4();
	write_cr4(cr4 & ~0x80UL);
	write_cr4(cr4);
}
static inline u64 rdtsc(void) { u64 v; __asm__ volatile("rdtsc" : "=A"(v)); return v; }
extern bool boot_cpu_has_tsc;		/* CPUID.1:EDX.TSC, set by paging_init() */
/* The TSC, or 0 on a CPU without one (timings then read 0). */
static inline u64 tsc_now(void) { return boot_cpu_has_tsc ? rdtsc() : 0; }
static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static inline void halt(void) { __asm__ volatile("hlt"); }

#endif
