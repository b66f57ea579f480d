/* Private to src/cpu: the CPU state, the decoded instruction, and the inline
 * helpers every handler uses (registers, segmented memory, lazy flags). */
#ifndef PAGODA_CPU_IMPL_H
#define PAGODA_CPU_IMPL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "mmu/mmu.h"

struct cpu;
struct insn;
typedef void op_fn(struct cpu *c, const struct insn *i);

/* One decoded instruction, operands pre-resolved. The effective address of
 * a memory operand is (r[base] + (r[index] << scale) + disp) & amask, where
 * base/index 8 name the always-zero register r[8]. */
struct insn {
    op_fn *fn;
    uint32_t disp;
    uint32_t imm;
    uint32_t imm2;       /* far pointer selector, ENTER level */
    uint32_t amask;      /* 0xffff or 0xffffffff */
    uint16_t opcode;     /* 0x000-0x1ff */
    uint8_t len;
    uint8_t osz;         /* operand size in bytes: 1, 2 or 4 */
    uint8_t asz;         /* address size: 2 or 4 */
    uint8_t seg;         /* effective segment of a memory operand / string source */
    uint8_t mod, reg, rm;
    uint8_t base, index, scale;
    uint8_t rep;         /* 0, 0xf2 or 0xf3 */
    uint8_t lock;
    uint8_t segovr;      /* an override prefix was present */
};

/* Lazy flags: the last flag-setting ALU operation, replayed on demand. */
enum lf_op { LF_NONE, LF_ADD, LF_ADC, LF_SUB, LF_SBB, LF_LOGIC, LF_INC, LF_DEC };

struct lazyf {
    uint32_t res, dst, src;  /* masked to the operand size */
    uint32_t cin;            /* carry in (ADC/SBB); CF kept by INC/DEC */
    uint8_t op;              /* enum lf_op */
    uint8_t sz;              /* 1, 2, 4 */
};

#define LF_BITS (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* Decoded-trace cache (icache.c). */
struct tc_entry {
    uint32_t pa;          /* physical address of the first instruction */
    uint32_t key;         /* decode mode (CS.D) | valid */
    uint32_t page2;       /* second physical page touched, or same page */
    uint32_t gen, gen2;   /* page generations when decoded */
    struct insn *insn;
    uint32_t n;
    /* chaining: the traces that followed this one last, valid while the
     * CPU's epoch (CS, CRx, INVLPG, A20 ... unchanged) is the one recorded */
    uint32_t link_eip[2], link_epoch[2];
    struct tc_entry *link[2];
    uint32_t link_next;
};

#define TC_BITS 15
#define TC_SIZE (1u << TC_BITS)
#define TC_ARENA (1u << 19)     /* instructions decoded before a full flush */
#define TC_MAX_TRACE 32

struct icache {
    struct tc_entry *tab;
    struct insn *arena;
    uint32_t used;
    uint32_t *gen;          /* per RAM page */
    uint32_t npages;
    uint64_t flushes, invalidations;
};

/* Pending exception while unwinding. */
#define NO_ERR 0xffffffffu

enum { EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
       EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
       EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19 };

/* MSRs */
#define MSR_TSC 0x10
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_AM (1u << 18)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR4_VME (1u << 0)
#define CR4_PVI (1u << 1)
#define CR4_TSD (1u << 2)
#define CR4_DE (1u << 3)

struct cpu {
    uint32_t r[9];          /* EAX..EDI, r[8] == 0 always */
    uint32_t eip;           /* during a handler: the next instruction */
    uint32_t eflags;        /* LF_BITS stale while lf.op != LF_NONE */
    struct lazyf lf;
    uint32_t ip_mask;       /* 0xffff for 16-bit code, else ~0 */

    struct seg seg[8];
    /* per data segment ES..GS: offsets [lo, hi] are inside the limit,
     * and whether reads / writes are allowed at all (null, execute-only,
     * read-only segments). Kept in step with seg[] by seg_update_cache(). */
    uint32_t seg_lo[6], seg_hi[6];
    uint8_t seg_rd[6], seg_wr[6];
    unsigned cpl;
    bool ac_active;         /* CR0.AM && EFLAGS.AC && CPL 3: alignment checks on */
    bool dbg_data;          /* a DR0-3 data breakpoint is armed in DR7 */
    uint32_t dbg_hits;      /* DR6 B0-B3 bits of data breakpoints hit by this instruction */
    bool code32, stack32;
    uint32_t sp_mask;       /* 0xffff or ~0 by SS.B */

    uint32_t gdt_base, idt_base;
    uint16_t gdt_limit, idt_limit;
    uint32_t dr[8];
    uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t tsc_offset;           /* TSC = cpu_ticks() + tsc_offset */
    const uint64_t *idle;          /* ticks the machine skipped in HLT (cpu_set_idle_ticks) */
    uint64_t no_idle;              /* what idle points at when nobody skips time: 0 */

    struct mmu *m;
    struct cpu_bus bus;
    struct events *ev;

    uint64_t icount, until;
    uint32_t insn_eip;             /* EIP at the start of the current instruction */
    /* ESP to restore if the current instruction faults: only the few
     * handlers that move ESP before their last possible fault (PUSHA, ENTER,
     * POP r/m) save it and set esp_dirty; all others commit ESP last. */
    uint32_t insn_esp;
    bool esp_dirty;
    /* Arithmetic flags to restore if the current instruction faults: REP
     * CMPS/SCAS set them on every iteration, but a fault puts back the
     * EFLAGS the instruction started with (SDM Vol. 2 "REP"). */
    uint32_t insn_eflags;
    struct lazyf insn_lf;
    bool flags_dirty;

    /* run-loop signalling */
    volatile bool break_trace;     /* finish the current trace early */
    bool stop_req;
    bool intr;                     /* INTR line level */
    bool nmi_pending;
    bool halted;
    uint8_t shadow;                /* STI / MOV SS shadow: 1 while it covers the next insn */
    uint32_t pending_dr6;          /* DR6 bits of a #DB trap due at the next boundary (task switch T bit) */

    /* exception unwinding */
    jmp_buf jb;
    bool jb_valid;
    int exc_vec;
    uint32_t exc_err;
    int delivering;                /* vector being delivered, or -1 */
    bool delivering_ext;           /* the event being delivered is external */
    bool triple;
    bool push_rf;                  /* delivering a fault: the pushed EFLAGS has RF = 1 */
    int last_vec;
    uint32_t last_err;

    struct icache ic;
    struct tc_entry *prev_tc;      /* the trace that ran last, for chaining */
    uint32_t epoch;                /* bumped by anything that may change CS:EIP -> physical */
    uint64_t a20_seen;
};

/* ---- exceptions (intr.c) ---- */
noreturn void cpu_exception(struct cpu *c, int vec, uint32_t err);
/* Deliver an interrupt or exception now; soft = INT n / INT3 / INTO
 * (privilege check against the gate DPL, EIP is the next instruction). */
void cpu_deliver(struct cpu *c, int vec, uint32_t err, bool soft, bool ext);
void cpu_iret(struct cpu *c, unsigned osz);

/* ---- segments and protection (seg.c) ---- */
void seg_update_cache(struct cpu *c, int s);
void seg_load_real(struct cpu *c, int s, uint16_t sel);
/* MOV/POP/LxS: load a data or stack segment register with all checks. */
void seg_load(struct cpu *c, int s, uint16_t sel);
bool seg_read_desc(struct cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi);
void seg_desc_to_seg(struct seg *sg, uint16_t sel, uint32_t lo, uint32_t hi);
void seg_set_busy_or_accessed(struct cpu *c, uint16_t sel, uint32_t hi);
void seg_write_desc_hi(struct cpu *c, uint16_t sel, uint32_t hi);
void cpu_set_cs(struct cpu *c, struct seg cs, unsigned cpl);
void cpu_far_jmp(struct cpu *c, uint16_t sel, uint32_t off, unsigned osz);
void cpu_far_call(struct cpu *c, uint16_t sel, uint32_t off, unsigned osz);
void cpu_far_ret(struct cpu *c, unsigned osz, uint16_t imm);
bool tss_stack(struct cpu *c, unsigned dpl, uint16_t *ss, uint32_t *esp);
bool io_allowed(struct cpu *c, uint16_t port, int size);

/* ---- task switch (task.c) ---- */
enum ts_reason { TS_JMP, TS_CALL, TS_IRET, TS_INT };
void task_switch(struct cpu *c, uint16_t sel, uint32_t lo, uint32_t hi,
                 enum ts_reason why, uint32_t err);

/* ---- flags (flags.c) ---- */
uint32_t flags_materialize(struct cpu *c);
bool cpu_cond(struct cpu *c, unsigned cc);
/* CF of the last flag-setting operation (inline: INC/DEC keep it, and
 * the fast INC/DEC handlers ask for it every time). */
static inline bool lf_cf(const struct cpu *c)
{
    const struct lazyf *l = &c->lf;
    switch (l->op) {
    case LF_ADD: return l->res < l->dst;
    case LF_ADC: return l->cin ? l->res <= l->dst : l->res < l->dst;
    case LF_SUB: return l->dst < l->src;
    case LF_SBB: return l->cin ? l->dst <= l->src : l->dst < l->src;
    case LF_LOGIC: return false;
    case LF_INC:
    case LF_DEC: return l->cin;
    default: return c->eflags & F_CF;
    }
}
void cpu_write_eflags(struct cpu *c, uint32_t v, uint32_t mask);

/* ---- decode + cache (decode.c, icache.c) ---- */
enum dec_status { DEC_OK = 0, DEC_MORE = -1, DEC_UD = -2, DEC_GP = -3 };
int cpu_decode(const uint8_t *buf, unsigned avail, bool code32, struct insn *out, uint32_t *opf);
void icache_init(struct cpu *c);
void icache_free(struct cpu *c);
void icache_flush(struct cpu *c);
struct tc_entry *icache_lookup(struct cpu *c);
struct tc_entry *icache_next_slow(struct cpu *c);
void cpu_specialize(struct insn *i);

/* ---- descriptor bits: struct seg.flags = descriptor bits 40..55 ---- */
#define SF_TYPE   0x000fu
#define SF_A      0x0001u   /* accessed (code/data) */
#define SF_W      0x0002u   /* data: writable */
#define SF_R      0x0002u   /* code: readable */
#define SF_E      0x0004u   /* data: expand-down */
#define SF_C      0x0004u   /* code: conforming */
#define SF_CODE   0x0008u
#define SF_S      0x0010u   /* code/data (1) vs system (0) */
#define SF_DPL(f) (((f) >> 5) & 3u)
#define SF_P      0x0080u
#define SF_AVL    0x1000u
#define SF_DB     0x4000u
#define SF_G      0x8000u

/* ---- inline helpers ---- */
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HOT static inline __attribute__((always_inline))

/* Virtual time in ticks, the timers' clock: instructions retired plus the
 * ticks skipped while halted. The TSC counts it. */
static inline uint64_t cpu_ticks(const struct cpu *c) { return c->icount + *c->idle; }

static inline bool cpu_pe(const struct cpu *c) { return c->m->cr0 & CR0_PE; }
static inline bool cpu_v86(const struct cpu *c) { return c->eflags & F_VM; }
static inline bool cpu_pmode(const struct cpu *c) { return cpu_pe(c) && !cpu_v86(c); }

static inline uint32_t szmask(unsigned sz)
{
    return sz == 4 ? 0xffffffffu : sz == 2 ? 0xffffu : 0xffu;
}
static inline uint32_t szsign(unsigned sz) { return 1u << (sz * 8 - 1); }

HOT uint32_t reg_get(const struct cpu *c, unsigned r, unsigned sz)
{
    if (sz == 4)
        return c->r[r];
    if (sz == 2)
        return c->r[r] & 0xffff;
    return r < 4 ? c->r[r] & 0xff : (c->r[r - 4] >> 8) & 0xff;
}

HOT void reg_set(struct cpu *c, unsigned r, unsigned sz, uint32_t v)
{
    if (sz == 4)
        c->r[r] = v;
    else if (sz == 2)
        c->r[r] = (c->r[r] & 0xffff0000u) | (v & 0xffff);
    else if (r < 4)
        c->r[r] = (c->r[r] & 0xffffff00u) | (v & 0xff);
    else
        c->r[r - 4] = (c->r[r - 4] & 0xffff00ffu) | ((v & 0xff) << 8);
}

HOT uint32_t ea_off(const struct cpu *c, const struct insn *i)
{
    return (c->r[i->base] + (c->r[i->index] << i->scale) + i->disp) & i->amask;
}

noreturn void seg_fault(struct cpu *c, int s);
uint32_t seg_lin_slow(struct cpu *c, int s, uint32_t off, unsigned sz, bool write);
void cpu_update_ac(struct cpu *c);

/* Offset -> linear with the segment limit / access checks. While alignment
 * checking is on, the fast-path bounds are emptied so every access takes
 * seg_lin_slow, which also checks alignment. */
HOT uint32_t seg_lin(struct cpu *c, int s, uint32_t off, unsigned sz, bool write)
{
    if (UNLIKELY(off < c->seg_lo[s] || (uint64_t)off + sz - 1 > c->seg_hi[s] ||
                 !(write ? c->seg_wr[s] : c->seg_rd[s])))
        return seg_lin_slow(c, s, off, sz, write);
    return c->seg[s].base + off;
}

HOT uint32_t lin_read(struct cpu *c, uint32_t lin, unsigned sz)
{
    if (sz == 4)
        return mmu_read32(c->m, lin);
    if (sz == 2)
        return mmu_read16(c->m, lin);
    return mmu_read8(c->m, lin);
}

HOT void lin_write(struct cpu *c, uint32_t lin, unsigned sz, uint32_t v)
{
    if (sz == 4)
        mmu_write32(c->m, lin, v);
    else if (sz == 2)
        mmu_write16(c->m, lin, v);
    else
        mmu_write8(c->m, lin, v);
}

HOT uint32_t mem_read(struct cpu *c, int s, uint32_t off, unsigned sz)
{
    return lin_read(c, seg_lin(c, s, off, sz, false), sz);
}

HOT void mem_write(struct cpu *c, int s, uint32_t off, unsigned sz, uint32_t v)
{
    lin_write(c, seg_lin(c, s, off, sz, true), sz, v);
}

/* Read for read-modify-write: write permission checked first. */
HOT uint32_t mem_read_rmw(struct cpu *c, int s, uint32_t off, unsigned sz)
{
    return mmu_read_rmw(c->m, seg_lin(c, s, off, sz, true), (int)sz);
}

HOT uint32_t rm_read(struct cpu *c, const struct insn *i, unsigned sz)
{
    if (i->mod == 3)
        return reg_get(c, i->rm, sz);
    return mem_read(c, i->seg, ea_off(c, i), sz);
}

HOT void rm_write(struct cpu *c, const struct insn *i, unsigned sz, uint32_t v)
{
    if (i->mod == 3)
        reg_set(c, i->rm, sz, v);
    else
        mem_write(c, i->seg, ea_off(c, i), sz, v);
}

HOT uint32_t rm_read_rmw(struct cpu *c, const struct insn *i, unsigned sz)
{
    if (i->mod == 3)
        return reg_get(c, i->rm, sz);
    return mem_read_rmw(c, i->seg, ea_off(c, i), sz);
}

/* Supervisor-forced accesses to system tables (GDT, IDT, TSS). */
static inline uint32_t sys_read(struct cpu *c, uint32_t lin, unsigned sz)
{
    return mmu_read_f(c->m, lin, (int)sz, MMU_READ | MMU_SUPER);
}
static inline void sys_write(struct cpu *c, uint32_t lin, unsigned sz, uint32_t v)
{
    mmu_write_f(c->m, lin, (int)sz, v, MMU_WRITE | MMU_SUPER);
}

/* Stack. */
HOT void push(struct cpu *c, unsigned sz, uint32_t v)
{
    uint32_t sp = (c->r[R_ESP] - sz) & c->sp_mask;
    mem_write(c, S_SS, sp, sz, v);
    c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | sp;
}

HOT uint32_t pop(struct cpu *c, unsigned sz)
{
    uint32_t sp = c->r[R_ESP] & c->sp_mask;
    uint32_t v = mem_read(c, S_SS, sp, sz);
    c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | ((sp + sz) & c->sp_mask);
    return v;
}

/* Read from the stack at ESP + off without moving ESP. */
static inline uint32_t stack_peek(struct cpu *c, uint32_t off, unsigned sz)
{
    return mem_read(c, S_SS, (c->r[R_ESP] + off) & c->sp_mask, sz);
}

static inline void lf_set(struct cpu *c, enum lf_op op, unsigned sz, uint32_t dst,
                          uint32_t src, uint32_t res)
{
    c->lf.op = (uint8_t)op;
    c->lf.sz = (uint8_t)sz;
    c->lf.dst = dst;
    c->lf.src = src;
    c->lf.res = res;
}

/* Set the six arithmetic flags eagerly. */
static inline void flags_set_arith(struct cpu *c, uint32_t bits)
{
    c->eflags = (c->eflags & ~LF_BITS) | (bits & LF_BITS);
    c->lf.op = LF_NONE;
}

static inline uint32_t parity_flag(uint32_t v)
{
    return __builtin_parity(v & 0xff) ? 0 : F_PF;
}

/* ZF, SF, PF of a result. */
static inline uint32_t szp_flags(uint32_t res, unsigned sz)
{
    res &= szmask(sz);
    return (res == 0 ? F_ZF : 0) | (res & szsign(sz) ? F_SF : 0) | parity_flag(res);
}

/* The trace at CS:EIP, first through the links of the trace that ran last
 * (no translation, no hashing), else through icache_lookup. A link is good
 * while the epoch it was made in lasts: the epoch moves on every change of
 * CS, mode or mapping (cpu_remap), every write to a page of decoded code and
 * every refill of a cache entry, so the link target is still the trace it
 * was. Inline: the run loop follows a link for every trace it runs. */
HOT struct tc_entry *icache_next(struct cpu *c)
{
    struct tc_entry *p = c->prev_tc;
    if (LIKELY(p != NULL)) {
        uint32_t eip = c->eip, epoch = c->epoch;
        if (p->link_eip[0] == eip && p->link_epoch[0] == epoch)
            return c->prev_tc = p->link[0];
        if (p->link_eip[1] == eip && p->link_epoch[1] == epoch)
            return c->prev_tc = p->link[1];
    }
    return icache_next_slow(c);
}

/* Finish the trace after this instruction: the run loop has something to
 * look at (an interrupt may be deliverable, a shadow, HLT, TF ...). */
static inline void end_trace(struct cpu *c)
{
    c->break_trace = true;
}

/* ... and also drop trace chaining: CS, the mode or the linear-to-physical
 * map (CR0/CR3/CR4, INVLPG, task switch) may have changed, so a link keyed
 * by EIP alone may now lead elsewhere. */
static inline void cpu_remap(struct cpu *c)
{
    c->break_trace = true;
    c->epoch++;
}

/* Shared helpers (exec_*.c). */
uint32_t alu_op(struct cpu *c, unsigned op, unsigned sz, uint32_t dst, uint32_t src);
void io_check(struct cpu *c, uint16_t port, int size);
uint32_t cpu_read_cr(struct cpu *c, int n);
void cpu_write_cr(struct cpu *c, int n, uint32_t v);

/* Every handler named in opcodes.def. */
#define OP(opc, sub, mn, ops, fl, h) op_fn h;
#include "cpu/opcodes.def"
#undef OP

#endif
