/* The CPU object, its public accessors and the run loop: look up the
 * decoded trace at CS:EIP, run its handlers back to back, and between
 * traces take interrupts, single-step traps and stop requests. Exceptions
 * unwind to the setjmp in run() and are delivered there (one mechanism). */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_impl.h"
#include "machine/events.h"

static noreturn void on_page_fault(void *ctx, uint32_t lin, uint32_t err)
{
    struct cpu *c = ctx;
    (void)lin;
    cpu_exception(c, EXC_PF, err);
}

struct cpu *cpu_create(struct mmu *m, const struct cpu_bus *bus, struct events *ev)
{
    struct cpu *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->m = m;
    if (bus)
        c->bus = *bus;
    c->ev = ev;
    m->fault = on_page_fault;
    m->fault_ctx = c;
    m->eip = &c->insn_eip;   /* page-fault events name the faulting instruction */
    c->idle = &c->no_idle;
    icache_init(c);
    cpu_reset(c);
    return c;
}

void cpu_destroy(struct cpu *c)
{
    if (!c)
        return;
    icache_free(c);
    free(c);
}

/* Power-on / RESET state, SDM Vol. 3 §9.1.1 table 9-1. */
void cpu_reset(struct cpu *c)
{
    memset(c->r, 0, sizeof c->r);
    c->r[R_EDX] = 0x0619;   /* family 6, model 1, stepping 9: as CPUID reports */
    c->eflags = 2;
    c->lf.op = LF_NONE;
    c->eip = 0xfff0;
    for (int s = 0; s < 8; s++) {
        c->seg[s] = (struct seg){.sel = 0, .base = 0, .limit = 0xffff, .flags = 0x93, .valid = true};
    }
    c->seg[S_CS].sel = 0xf000;
    c->seg[S_CS].base = 0xffff0000u;
    c->seg[S_CS].flags = 0x9b;
    c->seg[S_LDTR].flags = 0x82;
    c->seg[S_TR].flags = 0x8b;
    c->ac_active = c->dbg_data = false;   /* CR0.AM and DR7 are cleared below */
    for (int s = 0; s <= S_GS; s++)
        seg_update_cache(c, s);
    c->cpl = 0;
    c->m->user = 0;
    mmu_set_cr0(c->m, 0x60000010u);
    mmu_set_cr4(c->m, 0);
    mmu_set_cr3(c->m, 0);
    c->m->cr2 = 0;
    c->gdt_base = c->idt_base = 0;
    c->gdt_limit = c->idt_limit = 0xffff;
    memset(c->dr, 0, sizeof c->dr);
    c->dr[6] = 0xffff0ff0u;
    c->dr[7] = 0x400;
    c->sysenter_cs = c->sysenter_esp = c->sysenter_eip = 0;
    c->tsc_offset = 0 - cpu_ticks(c);   /* RESET zeroes the TSC */
    /* RESET also ends a shutdown (SDM Vol. 3 §6.15, interrupt 8: only NMI
     * or RESET leave it) and drops every event still in flight. */
    c->triple = false;
    c->halted = false;
    c->shadow = 0;
    c->delivering = -1;
    c->delivering_ext = false;
    c->push_rf = false;
    c->nmi_pending = false;
    c->pending_dr6 = 0;
    c->dbg_hits = 0;
    c->esp_dirty = false;
    c->flags_dirty = false;
    c->last_vec = -1;
    c->last_err = NO_ERR;
    icache_flush(c);   /* also drops the trace links (prev_tc, epoch) */
    c->break_trace = true;
}

/* ---------- exceptions in the run loop ---------- */

enum exc_class { EXC_BENIGN, EXC_CONTRIB, EXC_PAGE };

static enum exc_class exc_class(int vec)
{
    if (vec == EXC_DE || (vec >= EXC_TS && vec <= EXC_GP))
        return EXC_CONTRIB;
    if (vec == EXC_PF)
        return EXC_PAGE;
    return EXC_BENIGN;
}

/* An exception unwound an instruction or a delivery. Restore the state at
 * the start of the instruction, combine with an exception being delivered
 * (SDM Vol. 3 §6.15 table 6-5: #DF, then shutdown), and deliver it.
 * Returns true on a triple fault. */
static bool handle_exception(struct cpu *c)
{
    int vec = c->exc_vec;
    uint32_t err = c->exc_err;
    c->m->user = c->cpl == 3;   /* a fault inside a new-stack push left it switched */
    c->eip = c->insn_eip;
    if (c->esp_dirty) {
        c->r[R_ESP] = c->insn_esp;
        c->esp_dirty = false;
    }
    if (c->flags_dirty) {
        c->eflags = (c->eflags & ~LF_BITS) | (c->insn_eflags & LF_BITS);
        c->lf = c->insn_lf;
        c->flags_dirty = false;
    }
    bool ext = c->delivering_ext;
    if (c->delivering >= 0) {
        int first = c->delivering;
        if (first == EXC_DF) {
            c->delivering = -1;
            c->delivering_ext = false;
            c->triple = true;
            if (c->ev && (c->ev->mask & (1u << EV_TRIPLE_FAULT)))
                events_push(c->ev, EV_TRIPLE_FAULT, 0, 0, c->insn_eip, 0);
            return true;
        }
        enum exc_class a = exc_class(first), b = exc_class(vec);
        if ((a == EXC_CONTRIB && b == EXC_CONTRIB) || (a == EXC_PAGE && b != EXC_BENIGN)) {
            vec = EXC_DF;
            err = 0;
        }
    }
    if (ext && err != NO_ERR && vec != EXC_DF && vec != EXC_PF)
        err |= 1;   /* EXT: the fault happened while delivering an external event */
    c->delivering = vec;
    c->delivering_ext = true;   /* faults while delivering this are EXT */
    c->push_rf = vec != EXC_DB && vec != EXC_DF;
    cpu_deliver(c, vec, err, false, true);
    c->push_rf = false;
    c->delivering = -1;
    c->delivering_ext = false;
    return false;
}

/* Deliver an external interrupt (or the #DB trap) at an instruction boundary. */
static void deliver_event(struct cpu *c, int vec, bool is_exc)
{
    c->insn_eip = c->eip;
    c->delivering = is_exc ? vec : -1;
    c->delivering_ext = true;
    cpu_deliver(c, vec, NO_ERR, false, true);
    c->delivering = -1;
    c->delivering_ext = false;
}

/* DR7 instruction breakpoints (R/W = 00, length 1) enabled? */
static bool dr_exec_armed(const struct cpu *c)
{
    for (int n = 0; n < 4; n++)
        if ((c->dr[7] >> (2 * n)) & 3 && ((c->dr[7] >> (16 + 4 * n)) & 3) == 0)
            return true;
    return false;
}

static void check_exec_breakpoints(struct cpu *c)
{
    if (c->eflags & F_RF)
        return;
    uint32_t lin = c->seg[S_CS].base + c->eip, hit = 0;
    for (int n = 0; n < 4; n++)
        if ((c->dr[7] >> (2 * n)) & 3 && ((c->dr[7] >> (16 + 4 * n)) & 3) == 0 && c->dr[n] == lin)
            hit |= 1u << n;
    if (hit) {
        c->dr[6] = (c->dr[6] & ~0xfu) | hit;
        cpu_exception(c, EXC_DB, NO_ERR);   /* a fault: EIP stays on the instruction */
    }
}

/* One instruction with the single-step, shadow and breakpoint rules. */
static void exec_one(struct cpu *c, const struct insn *i)
{
    c->insn_eip = c->eip;
    if (UNLIKELY(c->dr[7] & 0xff) && dr_exec_armed(c))
        check_exec_breakpoints(c);
    bool tf = c->eflags & F_TF;
    c->dbg_hits = 0;
    c->eip = (c->eip + i->len) & c->ip_mask;
    i->fn(c, i);
    c->icount++;
    c->eflags &= ~F_RF;
    if (UNLIKELY(c->dbg_hits)) {   /* data breakpoint: a trap after the instruction */
        c->dr[6] = (c->dr[6] & ~0xfu) | c->dbg_hits | (tf && c->shadow != 2 ? 1u << 14 : 0);
        c->dbg_hits = 0;
        deliver_event(c, EXC_DB, true);
        return;
    }
    /* TF set before the instruction: #DB trap after it (SDM §17.3.1.4).
     * An instruction that opened an interrupt shadow (MOV SS, POP SS)
     * delays the trap to after the next one. */
    if (tf && c->shadow != 2) {
        c->dr[6] |= 1u << 14;   /* BS */
        deliver_event(c, EXC_DB, true);
    }
}

static void exec_trace(struct cpu *c, const struct tc_entry *t, uint32_t n)
{
    const struct insn *i = t->insn, *end = i + n;
    for (;;) {
        c->insn_eip = c->eip;
        c->eip = (c->eip + i->len) & c->ip_mask;
        i->fn(c, i);
        c->icount++;
        if (++i == end || c->break_trace)
            break;
    }
}

static bool slow_mode(const struct cpu *c)
{
    return c->shadow || (c->eflags & (F_TF | F_RF)) || (c->dr[7] & 0xff);
}

/* Between traces only c->break_trace is tested: everything that needs the
 * loop's attention (an interrupt line, a stop request, HLT, a shadow, TF,
 * CR0/EFLAGS/CPL/A20 changes) sets it. While single-stepping (TF, RF, an
 * interrupt shadow, debug registers) it stays set and instructions run one
 * at a time. Kept apart from the setjmp in run(): a function that calls
 * setjmp keeps its variables in memory, and this loop wants c in a register. */
static __attribute__((noinline)) enum cpu_stop run_loop(struct cpu *c, bool single)
{
    for (;;) {
        bool slow = false;
        if (UNLIKELY(c->break_trace)) {
            c->break_trace = false;
            if (c->stop_req) {
                c->stop_req = false;
                return CPU_STOP_REQUEST;
            }
            if (c->shadow)
                c->shadow--;
            if (UNLIKELY(c->pending_dr6)) {
                c->dr[6] |= c->pending_dr6;
                c->pending_dr6 = 0;
                deliver_event(c, EXC_DB, true);
                if (single)
                    break;
            }
            if (!c->shadow) {
                if (c->nmi_pending) {
                    c->nmi_pending = false;
                    deliver_event(c, EXC_NMI, false);
                    if (single)
                        break;
                } else if (c->intr && (c->eflags & F_IF) && c->bus.intr_ack) {
                    c->halted = false;
                    int vec = c->bus.intr_ack(c->bus.ctx);
                    if (vec >= 0) {
                        deliver_event(c, vec & 0xff, false);
                        if (single)
                            break;
                    }
                }
            }
            if (c->halted)
                return CPU_STOP_HLT;
            cpu_update_ac(c);   /* CR0, EFLAGS or CPL may have changed */
            if (UNLIKELY(c->m->tlb.st.flushes[TLB_FLUSH_A20] != c->a20_seen)) {
                c->a20_seen = c->m->tlb.st.flushes[TLB_FLUSH_A20];
                c->epoch++;
            }
            slow = single || slow_mode(c);
            c->break_trace = false;
        }
        if (!single && c->icount >= c->until)
            break;
        c->insn_eip = c->eip;
        struct tc_entry *t = icache_next(c);
        if (UNLIKELY(slow)) {
            exec_one(c, t->insn);
            c->break_trace = true;   /* keep checking between instructions */
            if (single)
                break;
        } else {
            uint32_t n = t->n;
            if (UNLIKELY(c->icount + n > c->until))   /* stop exactly at the budget */
                n = (uint32_t)(c->until - c->icount);
            exec_trace(c, t, n);
        }
    }
    return c->halted ? CPU_STOP_HLT : CPU_STOP_BUDGET;
}

/* An exception anywhere below unwinds to the setjmp here, is delivered,
 * and the loop resumes (or, for one step, the delivery was the step). */
static enum cpu_stop run(struct cpu *c, bool single)
{
    c->jb_valid = true;
    c->break_trace = true;
    if (setjmp(c->jb)) {
        if (handle_exception(c)) {
            c->jb_valid = false;
            return CPU_STOP_TRIPLE_FAULT;
        }
        if (single) {
            c->jb_valid = false;
            return CPU_STOP_BUDGET;
        }
        c->break_trace = true;
    }
    enum cpu_stop st = run_loop(c, single);
    c->jb_valid = false;
    return st;
}

enum cpu_stop cpu_run(struct cpu *c, uint64_t until)
{
    c->until = until;
    if (c->triple)
        return CPU_STOP_TRIPLE_FAULT;
    return run(c, false);
}

enum cpu_stop cpu_step(struct cpu *c)
{
    if (c->triple)
        return CPU_STOP_TRIPLE_FAULT;
    if (c->halted && !(c->intr && (c->eflags & F_IF)) && !c->nmi_pending)
        return CPU_STOP_HLT;
    return run(c, true);
}

void cpu_request_stop(struct cpu *c)
{
    c->stop_req = true;
    c->break_trace = true;
}

void cpu_set_run_until(struct cpu *c, uint64_t until)
{
    c->until = until;
    c->break_trace = true;
}

void cpu_set_intr(struct cpu *c, bool level)
{
    c->intr = level;
    if (level)
        c->break_trace = true;
}

void cpu_set_nmi(struct cpu *c)
{
    c->nmi_pending = true;
    c->break_trace = true;
}

/* ---------- state accessors ---------- */

const uint64_t *cpu_icount_ptr(const struct cpu *c) { return &c->icount; }
uint64_t cpu_icount(const struct cpu *c) { return c->icount; }

void cpu_set_idle_ticks(struct cpu *c, const uint64_t *idle)
{
    uint64_t tsc = cpu_ticks(c) + c->tsc_offset;
    c->idle = idle ? idle : &c->no_idle;
    c->tsc_offset = tsc - cpu_ticks(c);   /* the TSC does not jump */
}
uint32_t cpu_get_reg(const struct cpu *c, enum cpu_reg r) { return c->r[r & 7]; }
void cpu_set_reg(struct cpu *c, enum cpu_reg r, uint32_t v) { c->r[r & 7] = v; }
uint32_t cpu_get_eip(const struct cpu *c) { return c->eip; }

/* Setting EIP (a loader, the debugger, a test) also ends a halt. */
void cpu_set_eip(struct cpu *c, uint32_t v)
{
    c->eip = v;
    c->halted = false;
    cpu_remap(c);
}

uint32_t cpu_get_eflags(struct cpu *c) { return flags_materialize(c); }

void cpu_set_eflags(struct cpu *c, uint32_t v)
{
    c->lf.op = LF_NONE;
    c->eflags = (v | 2u) & ~(0x8u | 0x20u | 0x8000u | 0xffc00000u);
    if (cpu_pe(c) && (c->eflags & F_VM)) {
        c->cpl = 3;
        c->m->user = 1;
    }
    cpu_remap(c);
}

struct seg cpu_get_seg(const struct cpu *c, enum cpu_seg s) { return c->seg[s & 7]; }

void cpu_set_seg(struct cpu *c, enum cpu_seg s, struct seg v)
{
    c->seg[s & 7] = v;
    if (s <= S_GS)
        seg_update_cache(c, s);
    if (s == S_CS) {
        c->cpl = cpu_pe(c) ? (cpu_v86(c) ? 3u : (v.sel & 3u)) : 0u;
        c->m->user = c->cpl == 3;
    }
    cpu_remap(c);
}

uint32_t cpu_get_cr(const struct cpu *c, int n)
{
    switch (n) {
    case 0: return c->m->cr0;
    case 2: return c->m->cr2;
    case 3: return c->m->cr3;
    case 4: return c->m->cr4;
    default: return 0;
    }
}

void cpu_set_cr(struct cpu *c, int n, uint32_t v)
{
    switch (n) {
    case 0: mmu_set_cr0(c->m, v); break;
    case 2: c->m->cr2 = v; break;
    case 3: mmu_set_cr3(c->m, v); break;
    case 4: mmu_set_cr4(c->m, v); break;
    default: break;
    }
    cpu_remap(c);
}

void cpu_get_gdtr(const struct cpu *c, uint32_t *base, uint16_t *limit)
{
    *base = c->gdt_base;
    *limit = c->gdt_limit;
}
void cpu_set_gdtr(struct cpu *c, uint32_t base, uint16_t limit)
{
    c->gdt_base = base;
    c->gdt_limit = limit;
}
void cpu_get_idtr(const struct cpu *c, uint32_t *base, uint16_t *limit)
{
    *base = c->idt_base;
    *limit = c->idt_limit;
}
void cpu_set_idtr(struct cpu *c, uint32_t base, uint16_t limit)
{
    c->idt_base = base;
    c->idt_limit = limit;
}

unsigned cpu_cpl(const struct cpu *c) { return c->cpl; }
bool cpu_halted(const struct cpu *c) { return c->halted; }

int cpu_last_exception(const struct cpu *c, uint32_t *err)
{
    if (err)
        *err = c->last_err;
    return c->last_vec;
}

void cpu_clear_last_exception(struct cpu *c)
{
    c->last_vec = -1;
    c->last_err = NO_ERR;
}

uint32_t cpu_get_dr(const struct cpu *c, int n) { return c->dr[n & 7]; }
void cpu_set_dr(struct cpu *c, int n, uint32_t v)
{
    c->dr[n & 7] = v;
    end_trace(c);
}

void cpu_set_flat32(struct cpu *c)
{
    struct seg code = {.sel = 0x08, .base = 0, .limit = 0xffffffffu, .flags = 0xc09b, .valid = true};
    struct seg data = {.sel = 0x10, .base = 0, .limit = 0xffffffffu, .flags = 0xc093, .valid = true};
    mmu_set_cr0(c->m, c->m->cr0 | CR0_PE);
    c->eflags &= ~F_VM;
    cpu_set_seg(c, S_CS, code);
    for (int s = S_ES; s <= S_GS; s++)
        if (s != S_CS)
            cpu_set_seg(c, s, data);
}

void cpu_get_stats(const struct cpu *c, struct cpu_stats *st)
{
    st->icount = c->icount;
    st->icache_flushes = c->ic.flushes;
    st->icache_invalidations = c->ic.invalidations;
    st->icache_used = c->ic.used;
}
