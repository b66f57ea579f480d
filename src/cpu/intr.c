/* Exceptions and interrupts: raising (unwinding out of the instruction),
 * delivery through the real-mode IVT or the protected-mode IDT (interrupt,
 * trap and task gates, ring changes with the TSS stack switch, interrupts
 * out of V86), and IRET. SDM Vol. 3 ch. 6 and §20.3; Vol. 2 INT n / IRET. */
#include <stdlib.h>

#include "cpu/cpu_impl.h"
#include "machine/events.h"

void check_tss_ss(struct cpu *c, uint16_t ss, unsigned dpl, bool ext, struct seg *out);
void check_return_cs(struct cpu *c, uint16_t sel, struct seg *out);
void check_return_ss(struct cpu *c, uint16_t sel, unsigned rpl, struct seg *out);
void seg_invalidate_outer(struct cpu *c);

noreturn void cpu_exception(struct cpu *c, int vec, uint32_t err)
{
    c->exc_vec = vec;
    c->exc_err = err;
    if (!c->jb_valid)
        abort();   /* a CPU entry point outside cpu_run/cpu_step raised: a bug */
    longjmp(c->jb, 1);
}

static bool has_error_code(int vec)
{
    return vec == EXC_DF || (vec >= EXC_TS && vec <= EXC_PF) || vec == EXC_AC;
}

/* Pushes onto a stack that becomes current only when delivery succeeds. */
struct frame {
    struct seg ss;
    uint32_t sp, mask;
    unsigned cpl;
    bool outer;      /* a new stack from the TSS: #SS errors name its selector */
};

static void frame_push(struct cpu *c, struct frame *k, unsigned sz, uint32_t v, bool ext)
{
    k->sp = (k->sp - sz) & k->mask;
    bool ok;
    if (!(k->ss.flags & SF_CODE) && (k->ss.flags & SF_E))
        ok = k->sp > k->ss.limit;
    else
        ok = (uint64_t)k->sp + sz - 1 <= k->ss.limit;
    if (!ok)
        cpu_exception(c, EXC_SS, (k->outer ? (k->ss.sel & 0xfffcu) : 0) | (ext ? 1 : 0));
    unsigned saved = c->m->user;
    c->m->user = k->cpl == 3;
    mmu_write_f(c->m, k->ss.base + k->sp, (int)sz, v, MMU_WRITE);
    c->m->user = saved;
}

static void deliver_real(struct cpu *c, int vec)
{
    if ((uint32_t)vec * 4 + 3 > c->idt_limit)
        cpu_exception(c, EXC_GP, 0);
    uint32_t ent = sys_read(c, c->idt_base + (uint32_t)vec * 4, 4);
    struct frame k = {c->seg[S_SS], c->r[R_ESP] & c->sp_mask, c->sp_mask, 0, false};
    frame_push(c, &k, 2, flags_materialize(c), false);
    frame_push(c, &k, 2, c->seg[S_CS].sel, false);
    frame_push(c, &k, 2, c->eip, false);
    c->r[R_ESP] = (c->r[R_ESP] & ~k.mask) | k.sp;
    c->eflags &= ~(F_IF | F_TF | F_AC | F_RF);
    seg_load_real(c, S_CS, (uint16_t)(ent >> 16));
    c->eip = ent & 0xffff;
}

static void deliver_prot(struct cpu *c, int vec, uint32_t err, bool soft, bool ext)
{
    uint32_t e = ext ? 1 : 0, idterr = (uint32_t)vec * 8 + 2 + e;
    if ((uint32_t)vec * 8 + 7 > c->idt_limit)
        cpu_exception(c, EXC_GP, idterr);
    uint32_t lo = sys_read(c, c->idt_base + (uint32_t)vec * 8, 4);
    uint32_t hi = sys_read(c, c->idt_base + (uint32_t)vec * 8 + 4, 4);
    unsigned type = (hi >> 8) & 0x1f, gdpl = (hi >> 13) & 3;
    if (type != 5 && type != 6 && type != 7 && type != 14 && type != 15)
        cpu_exception(c, EXC_GP, idterr);
    /* INT n, INT3, INTO from a less privileged ring than the gate allows;
     * in V86 INT n with IOPL = 3 checks the gate DPL too. */
    if (soft && gdpl < c->cpl)
        cpu_exception(c, EXC_GP, (uint32_t)vec * 8 + 2);
    if (!(hi & (1u << 15)))
        cpu_exception(c, EXC_NP, idterr);

    if (type == 5) {
        uint16_t tss = (uint16_t)(lo >> 16);
        uint32_t tlo, thi;
        if ((tss & 4) || !seg_read_desc(c, tss, &tlo, &thi))
            cpu_exception(c, EXC_GP, (tss & 0xfffcu) | e);
        unsigned tt = (thi >> 8) & 0x1f;
        if (tt != 1 && tt != 9)
            cpu_exception(c, EXC_GP, (tss & 0xfffcu) | e);
        if (!(thi & (1u << 15)))
            cpu_exception(c, EXC_NP, (tss & 0xfffcu) | e);
        task_switch(c, tss, tlo, thi, TS_INT, err);
        return;
    }

    bool gate32 = type & 8, intgate = !(type & 1);
    unsigned gsz = gate32 ? 4 : 2;
    uint16_t sel = (uint16_t)(lo >> 16);
    uint32_t off = (lo & 0xffff) | (gate32 ? (hi & 0xffff0000u) : 0);
    uint32_t clo, chi;
    if ((sel & ~3u) == 0)
        cpu_exception(c, EXC_GP, e);
    if (!seg_read_desc(c, sel, &clo, &chi))
        cpu_exception(c, EXC_GP, (sel & 0xfffcu) | e);
    uint16_t f = (uint16_t)(chi >> 8);
    unsigned dpl = SF_DPL(f);
    if (!(f & SF_S) || !(f & SF_CODE) || dpl > c->cpl)
        cpu_exception(c, EXC_GP, (sel & 0xfffcu) | e);
    if (!(f & SF_P))
        cpu_exception(c, EXC_NP, (sel & 0xfffcu) | e);
    struct seg cs;
    seg_desc_to_seg(&cs, sel, clo, chi);

    uint32_t fl = flags_materialize(c);
    bool v86 = fl & F_VM;
    unsigned newcpl;
    struct frame k;
    if (!(f & SF_C) && dpl < c->cpl) {
        /* inter-privilege: the stack for ring dpl comes from the TSS */
        if (v86 && dpl != 0)
            cpu_exception(c, EXC_GP, (sel & 0xfffcu) | e);
        uint16_t nss;
        uint32_t nesp;
        tss_stack(c, dpl, &nss, &nesp);
        check_tss_ss(c, nss, dpl, ext, &k.ss);
        k.mask = (k.ss.flags & SF_DB) ? 0xffffffffu : 0xffffu;
        k.sp = nesp & k.mask;
        k.cpl = dpl;
        k.outer = true;
        if (v86) {
            frame_push(c, &k, gsz, c->seg[S_GS].sel, ext);
            frame_push(c, &k, gsz, c->seg[S_FS].sel, ext);
            frame_push(c, &k, gsz, c->seg[S_DS].sel, ext);
            frame_push(c, &k, gsz, c->seg[S_ES].sel, ext);
        }
        frame_push(c, &k, gsz, c->seg[S_SS].sel, ext);
        frame_push(c, &k, gsz, c->r[R_ESP], ext);
        newcpl = dpl;
    } else {
        if (v86)
            cpu_exception(c, EXC_GP, (sel & 0xfffcu) | e);
        k.ss = c->seg[S_SS];
        k.mask = c->sp_mask;
        k.sp = c->r[R_ESP] & c->sp_mask;
        k.cpl = c->cpl;
        k.outer = false;
        newcpl = c->cpl;
    }
    /* SDM §17.3.1.1: for fault-class exceptions (but an instruction
     * breakpoint) the EFLAGS image saved has RF = 1 */
    frame_push(c, &k, gsz, c->push_rf ? fl | F_RF : fl, ext);
    frame_push(c, &k, gsz, c->seg[S_CS].sel, ext);
    frame_push(c, &k, gsz, c->eip, ext);
    if (err != NO_ERR)
        frame_push(c, &k, gsz, err, ext);
    if (off > cs.limit)
        cpu_exception(c, EXC_GP, e);

    /* commit */
    if (v86) {
        static const int segs[] = {S_ES, S_DS, S_FS, S_GS};
        for (int s = 0; s < 4; s++) {
            c->seg[segs[s]] = (struct seg){.sel = 0};
            seg_update_cache(c, segs[s]);
        }
    }
    c->seg[S_SS] = k.ss;
    seg_update_cache(c, S_SS);
    c->r[R_ESP] = (c->r[R_ESP] & ~k.mask) | k.sp;
    c->eflags &= ~(F_TF | F_NT | F_RF | F_VM);
    if (intgate)
        c->eflags &= ~F_IF;
    cpu_set_cs(c, cs, newcpl);
    c->eip = gate32 ? off : off & 0xffff;
}

void cpu_deliver(struct cpu *c, int vec, uint32_t err, bool soft, bool ext)
{
    c->last_vec = vec;
    c->last_err = err;
    c->halted = false;
    /* exceptions only (c->delivering names one): not INT n, not IRQs, even
     * when a real-mode IRQ uses a vector below 32 */
    if (c->ev && c->delivering == vec && !soft && (c->ev->mask & (1u << EV_EXCEPTION)))
        events_push(c->ev, EV_EXCEPTION, (uint32_t)vec, err, c->insn_eip, 0);
    if (!cpu_pe(c))
        deliver_real(c, vec);
    else
        deliver_prot(c, vec, soft || !has_error_code(vec) ? NO_ERR : err, soft, ext);
    end_trace(c);
}

/* ---------- IRET ---------- */

#define IRET_BASE (F_CF | F_PF | F_AF | F_ZF | F_SF | F_TF | F_DF | F_OF | F_NT)

static void iret_v86_or_real(struct cpu *c, unsigned osz, uint32_t mask)
{
    uint32_t eip = stack_peek(c, 0, osz);
    uint16_t cs = (uint16_t)stack_peek(c, osz, 2);
    uint32_t fl = stack_peek(c, 2 * osz, osz);
    if (osz == 2)
        eip &= 0xffff;
    if (eip > c->seg[S_CS].limit && !cpu_v86(c))
        cpu_exception(c, EXC_GP, 0);
    if (osz == 4)
        mask |= F_RF | F_AC | F_ID;
    c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | ((c->r[R_ESP] + 3 * osz) & c->sp_mask);
    seg_load_real(c, S_CS, cs);
    c->eip = eip;
    cpu_write_eflags(c, fl, osz == 2 ? mask & 0xffff : mask);
}

void cpu_iret(struct cpu *c, unsigned osz)
{
    uint32_t fl_now = flags_materialize(c);
    unsigned iopl = (fl_now & F_IOPL) >> 12;
    if (!cpu_pe(c)) {
        iret_v86_or_real(c, osz, IRET_BASE | F_IF | F_IOPL);
        return;
    }
    if (fl_now & F_VM) {
        if (iopl < 3)
            cpu_exception(c, EXC_GP, 0);
        iret_v86_or_real(c, osz, IRET_BASE | F_IF);
        return;
    }
    if (fl_now & F_NT) {
        /* return from a nested task through the back link (SDM §7.3) */
        uint16_t link = (uint16_t)sys_read(c, c->seg[S_TR].base, 2);
        uint32_t lo, hi;
        if ((link & 4) || !seg_read_desc(c, link, &lo, &hi))
            cpu_exception(c, EXC_TS, link & 0xfffcu);
        unsigned tt = (hi >> 8) & 0x1f;
        if (tt != 3 && tt != 11)
            cpu_exception(c, EXC_TS, link & 0xfffcu);
        if (!(hi & (1u << 15)))
            cpu_exception(c, EXC_NP, link & 0xfffcu);
        task_switch(c, link, lo, hi, TS_IRET, NO_ERR);
        return;
    }
    uint32_t eip = stack_peek(c, 0, osz);
    uint16_t sel = (uint16_t)stack_peek(c, osz, 2);
    uint32_t fl = stack_peek(c, 2 * osz, osz);
    if (osz == 4 && (fl & F_VM) && c->cpl == 0) {
        /* return to virtual-8086 mode (SDM Vol. 2 IRET, RETURN-TO-VIRTUAL-8086-MODE) */
        uint32_t esp = stack_peek(c, 12, 4);
        uint16_t ss = (uint16_t)stack_peek(c, 16, 2), es = (uint16_t)stack_peek(c, 20, 2);
        uint16_t ds = (uint16_t)stack_peek(c, 24, 2), fs = (uint16_t)stack_peek(c, 28, 2);
        uint16_t gs = (uint16_t)stack_peek(c, 32, 2);
        cpu_write_eflags(c, fl, 0x003f7fd5u);
        c->cpl = 3;
        c->m->user = 1;
        seg_load_real(c, S_CS, sel);
        seg_load_real(c, S_SS, ss);
        seg_load_real(c, S_ES, es);
        seg_load_real(c, S_DS, ds);
        seg_load_real(c, S_FS, fs);
        seg_load_real(c, S_GS, gs);
        c->r[R_ESP] = esp;
        c->eip = eip & 0xffff;
        cpu_remap(c);
        return;
    }
    struct seg cs;
    check_return_cs(c, sel, &cs);
    unsigned rpl = sel & 3, oldcpl = c->cpl;
    if (osz == 2)
        eip &= 0xffff;
    uint32_t mask = IRET_BASE;
    if (osz == 4)
        mask |= F_RF | F_AC | F_ID;
    if (oldcpl <= iopl)
        mask |= F_IF;
    if (oldcpl == 0)
        mask |= F_IOPL;
    if (osz == 2)
        mask &= 0xffff;
    if (rpl == oldcpl) {
        if (eip > cs.limit)
            cpu_exception(c, EXC_GP, 0);
        c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | ((c->r[R_ESP] + 3 * osz) & c->sp_mask);
        cpu_set_cs(c, cs, oldcpl);
        c->eip = eip;
        cpu_write_eflags(c, fl, mask);
        return;
    }
    uint32_t esp = stack_peek(c, 3 * osz, osz);
    uint16_t ss = (uint16_t)stack_peek(c, 4 * osz, 2);
    struct seg nss;
    check_return_ss(c, ss, rpl, &nss);
    if (eip > cs.limit)
        cpu_exception(c, EXC_GP, 0);
    cpu_write_eflags(c, fl, mask);
    cpu_set_cs(c, cs, rpl);
    c->seg[S_SS] = nss;
    seg_update_cache(c, S_SS);
    if (osz == 2)
        esp &= 0xffff;
    c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | (esp & c->sp_mask);
    c->eip = eip;
    seg_invalidate_outer(c);
}
