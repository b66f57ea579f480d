/* The i386 interpreter: public interface. The machine, the debugger, the UI
 * and the tests use only what is declared here; the decoder, handlers and
 * flag machinery are private to src/cpu.
 *
 * The CPU modelled: a P6-family part (CPUID family 6 model 1) with the 386
 * integer instruction set, the 486/P6 additions (BSWAP, CMPXCHG, XADD,
 * INVD/WBINVD, INVLPG, CPUID, RDTSC, RDMSR/WRMSR, CMPXCHG8B, CMOVcc, UD2,
 * hint NOPs), real, protected and virtual-8086 mode, hardware task switches,
 * debug registers. Not modelled: the x87 (escapes fault #NM with CR0.EM/TS,
 * else behave as an empty coprocessor socket), MMX/SSE, SYSENTER/SYSEXIT,
 * RDPMC, VME/PVI, SMM; CPUID reports none of them. Undefined flag values
 * follow the P6-family host where the differential test found them
 * consistent (exec_alu.c says which). */
#ifndef PAGODA_CPU_H
#define PAGODA_CPU_H

#include <stdbool.h>
#include <stdint.h>

struct mmu;
struct events;

enum cpu_reg { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
enum cpu_seg { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_LDTR, S_TR };

/* EFLAGS bits */
#define F_CF  (1u << 0)
#define F_PF  (1u << 2)
#define F_AF  (1u << 4)
#define F_ZF  (1u << 6)
#define F_SF  (1u << 7)
#define F_TF  (1u << 8)
#define F_IF  (1u << 9)
#define F_DF  (1u << 10)
#define F_OF  (1u << 11)
#define F_IOPL (3u << 12)
#define F_NT  (1u << 14)
#define F_RF  (1u << 16)
#define F_VM  (1u << 17)
#define F_AC  (1u << 18)
#define F_ID  (1u << 21)

/* A segment register with its descriptor cache.
 *
 * flags holds bits 40..55 of the descriptor, i.e. (descriptor_high >> 8) &
 * 0xf0ff, limit bits 19:16 (flags bits 8..11) always 0:
 *   bits 0-3  type (data: A, W, E(expand-down); code: A, R, C(conforming); bit 3 = code)
 *   bit  4    S (1 = code/data, 0 = system)
 *   bits 5-6  DPL
 *   bit  7    P
 *   bit  12   AVL
 *   bit  14   D/B (32-bit code segment / 32-bit stack / 4 GiB expand-down bound)
 *   bit  15   G (already applied to limit)
 * Examples: flat 32-bit ring-0 code 0xc09b, flat data 0xc093, real-mode
 * data 0x0093, real-mode code 0x009b, V86 segments 0x00f3.
 * valid = false marks a null selector loaded in protected mode (any access
 * through it is #GP(0)). */
struct seg {
    uint16_t sel;
    uint32_t base, limit;   /* limit in bytes (granularity applied) */
    uint16_t flags;         /* descriptor bits 40..55, see above */
    bool valid;
};

/* What the CPU needs from the machine around it. */
struct cpu_bus {
    uint32_t (*io_in)(void *ctx, uint16_t port, int size);
    void (*io_out)(void *ctx, uint16_t port, uint32_t val, int size);
    int (*intr_ack)(void *ctx);   /* INTA: the vector of the pending IRQ */
    void *ctx;
};

enum cpu_stop {
    CPU_STOP_BUDGET,        /* ran to the end of the slice */
    CPU_STOP_HLT,           /* halted; wakes on INTR if IF = 1 */
    CPU_STOP_TRIPLE_FAULT,  /* shutdown */
    CPU_STOP_REQUEST,       /* cpu_request_stop() was called (exit port, debugger) */
    CPU_STOP_BREAKPOINT,    /* a debugger breakpoint (src/debug) */
};

struct cpu;

/* Allocation and reset. The CPU owns nothing outside itself. */
struct cpu *cpu_create(struct mmu *m, const struct cpu_bus *bus, struct events *ev);
void cpu_destroy(struct cpu *c);
/* Power-on state: CS:EIP = F000:FFF0. Also leaves a shutdown (triple
 * fault) and drops pending NMI/#DB events and the last exception. */
void cpu_reset(struct cpu *c);

/* Run until icount reaches `until` exactly (or another stop: HLT, triple
 * fault, cpu_request_stop). A REP string instruction counts as one. */
enum cpu_stop cpu_run(struct cpu *c, uint64_t until);
/* Execute exactly one instruction (or deliver one pending event: an
 * interrupt, or an exception the instruction raised, which then is the
 * step). TF, breakpoints and the interrupt shadow apply as in cpu_run. */
enum cpu_stop cpu_step(struct cpu *c);
/* End the current cpu_run after the instruction in progress. */
void cpu_request_stop(struct cpu *c);
/* Shorten the current slice (the virtual clock armed an earlier timer). */
void cpu_set_run_until(struct cpu *c, uint64_t until);
/* The PIC's INTR output. */
void cpu_set_intr(struct cpu *c, bool level);

/* State, for the machine, loaders, debugger, UI and tests. */
const uint64_t *cpu_icount_ptr(const struct cpu *c);
uint64_t cpu_icount(const struct cpu *c);
/* The machine's count of ticks skipped while the CPU was halted (struct
 * vclock's idle), read live: RDTSC and RDMSR(TSC) then count icount + idle,
 * the same virtual time as the timers. NULL: no skipped time. */
void cpu_set_idle_ticks(struct cpu *c, const uint64_t *idle);
uint32_t cpu_get_reg(const struct cpu *c, enum cpu_reg r);
void cpu_set_reg(struct cpu *c, enum cpu_reg r, uint32_t v);
uint32_t cpu_get_eip(const struct cpu *c);
void cpu_set_eip(struct cpu *c, uint32_t v);
uint32_t cpu_get_eflags(struct cpu *c);
void cpu_set_eflags(struct cpu *c, uint32_t v);
struct seg cpu_get_seg(const struct cpu *c, enum cpu_seg s);
/* Load a segment register's selector and cache directly (loaders, tests). */
void cpu_set_seg(struct cpu *c, enum cpu_seg s, struct seg v);
uint32_t cpu_get_cr(const struct cpu *c, int n);     /* CR0, CR2, CR3, CR4 */
void cpu_set_cr(struct cpu *c, int n, uint32_t v);
void cpu_get_gdtr(const struct cpu *c, uint32_t *base, uint16_t *limit);
void cpu_set_gdtr(struct cpu *c, uint32_t base, uint16_t limit);
void cpu_get_idtr(const struct cpu *c, uint32_t *base, uint16_t *limit);
void cpu_set_idtr(struct cpu *c, uint32_t base, uint16_t limit);
unsigned cpu_cpl(const struct cpu *c);
bool cpu_halted(const struct cpu *c);
/* The last exception or interrupt delivered: its vector (or -1 if none
 * since cpu_create, cpu_reset or
 * cpu_clear_last_exception), and in *err its error code
 * (0xffffffff when it pushed none). */
int cpu_last_exception(const struct cpu *c, uint32_t *err);
void cpu_clear_last_exception(struct cpu *c);

/* Flat 32-bit protected mode for tests and loaders: CR0.PE = 1, CS =
 * selector 0x08 base 0 limit 4 GiB D = 1 (flags 0xc09b), DS/ES/SS/FS/GS =
 * selector 0x10 base 0 limit 4 GiB writable B = 1 (flags 0xc093), CPL 0.
 * No GDT is written: code that reloads segment registers needs one. */
void cpu_set_flat32(struct cpu *c);

/* The NMI input (edge). */
void cpu_set_nmi(struct cpu *c);

/* Debug registers DR0-DR7 (for the debugger). Modelled (SDM Vol. 3 ch. 17):
 * instruction breakpoints (faults), data breakpoints on reads/writes through
 * segment registers (traps after the instruction), I/O breakpoints (R/W =
 * 10) only while CR4.DE = 1 (with CR4.DE = 0 that encoding is undefined and
 * ignored), DR6 B0-B3/BD/BS/BT, DR7.GD, TF. Not modelled: data breakpoints
 * do not see the processor's own accesses to system structures: descriptor
 * A/busy bit writes (GDT/LDT), TSS saves in task switches, and the pushes of
 * an interrupt/exception frame (they go through mmu_write_f, not a segment
 * check), nor the GE/LE exactness bits (breakpoints are always exact). */
uint32_t cpu_get_dr(const struct cpu *c, int n);
void cpu_set_dr(struct cpu *c, int n, uint32_t v);

struct cpu_stats {
    uint64_t icount;
    uint64_t icache_flushes;        /* full decoded-cache flushes (arena full) */
    uint64_t icache_invalidations;  /* writes to pages holding decoded code */
    uint32_t icache_used;           /* decoded instructions in the arena */
};
void cpu_get_stats(const struct cpu *c, struct cpu_stats *st);

#endif
