/* Segmentation and protection: descriptor loads with their checks, and the
 * far JMP / CALL / RET transfers including call gates and ring changes
 * (SDM Vol. 3 ch. 3 and ch. 5; Vol. 2 pseudocode of MOV, JMP, CALL, RET). */
#include "cpu/cpu_impl.h"

#include "machine/events.h"

#define SELERR(sel) ((uint32_t)(sel) & 0xfffcu)

noreturn void seg_fault(struct cpu *c, int s)
{
    cpu_exception(c, s == S_SS ? EXC_SS : EXC_GP, 0);
}

/* The offsets [lo, hi] a data access may touch and whether reads / writes
 * are allowed at all, from the descriptor cache. */
static void seg_bounds(const struct cpu *c, int s, uint32_t *lo, uint32_t *hi, bool *rd, bool *wr)
{
    const struct seg *sg = &c->seg[s];
    uint16_t f = sg->flags;
    if (!sg->valid) {
        *rd = *wr = false;
        *lo = 1;
        *hi = 0;
        return;
    }
    *rd = !(f & SF_CODE) || (f & SF_R);
    *wr = !(f & SF_CODE) && (f & SF_W);
    if (!(f & SF_CODE) && (f & SF_E)) {   /* expand-down: valid above the limit */
        *lo = sg->limit + 1;
        *hi = (f & SF_DB) ? 0xffffffffu : 0xffffu;
    } else {
        *lo = 0;
        *hi = sg->limit;
    }
}

uint32_t seg_lin_slow(struct cpu *c, int s, uint32_t off, unsigned sz, bool write)
{
    uint32_t lo, hi;
    bool rd, wr;
    seg_bounds(c, s, &lo, &hi, &rd, &wr);
    if (off < lo || (uint64_t)off + sz - 1 > hi || !(write ? wr : rd))
        seg_fault(c, s);
    uint32_t lin = c->seg[s].base + off;
    if (c->ac_active && (lin & (sz - 1)))   /* SDM Vol. 3 §6.15 interrupt 17 */
        cpu_exception(c, EXC_AC, 0);
    if (c->dbg_data) {
        /* DR7 R/W 01 = writes, 11 = reads or writes; LEN 00/01/11 = 1/2/4
         * bytes, 10 = 8 bytes (SDM Vol. 3 §17.2.4-5). The #DB is a trap
         * taken when the instruction completes. */
        for (int n = 0; n < 4; n++) {
            uint32_t dr7 = c->dr[7];
            unsigned rw = (dr7 >> (16 + 4 * n)) & 3, len = (dr7 >> (18 + 4 * n)) & 3;
            if (!((dr7 >> (2 * n)) & 3) || rw == 0 || rw == 2 || (rw == 1 && !write))
                continue;
            uint32_t bytes = len == 0 ? 1 : len == 1 ? 2 : len == 3 ? 4 : 8;
            uint32_t a = c->dr[n] & ~(bytes - 1);
            if (lin < a + bytes && a < lin + sz)
                c->dbg_hits |= 1u << n;
        }
    }
    return lin;
}

/* Alignment checking and data breakpoints both need every data access to
 * take seg_lin_slow: recompute whether they are on. */
void cpu_update_ac(struct cpu *c)
{
    bool ac = (c->m->cr0 & CR0_AM) && (c->eflags & F_AC) && c->cpl == 3;
    bool dbg = false;
    for (int n = 0; n < 4; n++) {
        unsigned rw = (c->dr[7] >> (16 + 4 * n)) & 3;
        if (((c->dr[7] >> (2 * n)) & 3) && (rw == 1 || rw == 3))
            dbg = true;
    }
    if (ac == c->ac_active && dbg == c->dbg_data)
        return;
    c->ac_active = ac;
    c->dbg_data = dbg;
    for (int s = S_ES; s <= S_GS; s++)
        seg_update_cache(c, s);
}

void seg_update_cache(struct cpu *c, int s)
{
    struct seg *sg = &c->seg[s];
    if (s == S_CS) {
        c->code32 = sg->flags & SF_DB;
        c->ip_mask = c->code32 ? 0xffffffffu : 0xffffu;
    } else if (s == S_SS) {
        c->stack32 = sg->flags & SF_DB;
        c->sp_mask = c->stack32 ? 0xffffffffu : 0xffffu;
    }
    if (s > S_GS)
        return;
    uint32_t lo, hi;
    bool rd, wr;
    seg_bounds(c, s, &lo, &hi, &rd, &wr);
    if (c->ac_active || c->dbg_data) {   /* every access to the slow path */
        lo = 1;
        hi = 0;
    }
    c->seg_lo[s] = lo;
    c->seg_hi[s] = hi;
    c->seg_rd[s] = rd;
    c->seg_wr[s] = wr;
}

/* Real mode and V86: selector * 16 is the base. In real mode the limit and
 * most attributes stay as they were (so "unreal" limits survive); V86
 * segments are 64 KiB, DPL 3 (SDM Vol. 3 §20.1.1). */
void seg_load_real(struct cpu *c, int s, uint16_t sel)
{
    struct seg *sg = &c->seg[s];
    sg->sel = sel;
    sg->base = (uint32_t)sel << 4;
    sg->valid = true;
    if (cpu_v86(c)) {
        sg->limit = 0xffff;
        sg->flags = s == S_CS ? 0xfb : 0xf3;
    } else if (s == S_CS) {
        sg->flags = (uint16_t)((sg->flags & (SF_G | SF_AVL)) | 0x9b);
    } else {
        sg->flags = (uint16_t)((sg->flags & (SF_G | SF_AVL | SF_DB)) | 0x93);
    }
    seg_update_cache(c, s);
    if (s == S_CS)
        cpu_remap(c);
}

bool seg_read_desc(struct cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    uint32_t base, limit;
    if (sel & 4) {
        if (!c->seg[S_LDTR].valid || (c->seg[S_LDTR].sel & ~3u) == 0)
            return false;
        base = c->seg[S_LDTR].base;
        limit = c->seg[S_LDTR].limit;
    } else {
        base = c->gdt_base;
        limit = c->gdt_limit;
    }
    uint32_t idx = sel & ~7u;
    if (idx + 7 > limit)
        return false;
    *lo = sys_read(c, base + idx, 4);
    *hi = sys_read(c, base + idx + 4, 4);
    return true;
}

void seg_write_desc_hi(struct cpu *c, uint16_t sel, uint32_t hi)
{
    uint32_t base = (sel & 4) ? c->seg[S_LDTR].base : c->gdt_base;
    sys_write(c, base + (sel & ~7u) + 4, 4, hi);
}

void seg_desc_to_seg(struct seg *sg, uint16_t sel, uint32_t lo, uint32_t hi)
{
    sg->sel = sel;
    sg->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
    uint32_t limit = (lo & 0xffff) | (hi & 0xf0000);
    if (hi & (1u << 23))
        limit = (limit << 12) | 0xfff;
    sg->limit = limit;
    sg->flags = (uint16_t)((hi >> 8) & 0xf0ff);
    sg->valid = true;
}

/* Set the accessed bit of a code/data descriptor (a write to the table). */
static void set_accessed(struct cpu *c, uint16_t sel, uint32_t *hi)
{
    if (!(*hi & 0x100)) {
        *hi |= 0x100;
        seg_write_desc_hi(c, sel, *hi);
    }
}

/* MOV / POP / LxS into DS, ES, FS, GS or SS (SDM Vol. 2 MOV pseudocode). */
void seg_load(struct cpu *c, int s, uint16_t sel)
{
    if (!cpu_pmode(c)) {
        seg_load_real(c, s, sel);
        return;
    }
    uint32_t lo, hi;
    if ((sel & ~3u) == 0) {
        if (s == S_SS)
            cpu_exception(c, EXC_GP, 0);
        c->seg[s] = (struct seg){.sel = sel};
        seg_update_cache(c, s);
        return;
    }
    if (!seg_read_desc(c, sel, &lo, &hi))
        cpu_exception(c, EXC_GP, SELERR(sel));
    uint16_t f = (uint16_t)(hi >> 8);
    unsigned dpl = SF_DPL(f), rpl = sel & 3;
    if (s == S_SS) {
        if (rpl != c->cpl || dpl != c->cpl || !(f & SF_S) || (f & SF_CODE) || !(f & SF_W))
            cpu_exception(c, EXC_GP, SELERR(sel));
        if (!(f & SF_P))
            cpu_exception(c, EXC_SS, SELERR(sel));
    } else {
        if (!(f & SF_S) || ((f & SF_CODE) && !(f & SF_R)))
            cpu_exception(c, EXC_GP, SELERR(sel));
        if (!((f & SF_CODE) && (f & SF_C)) && (rpl > dpl || c->cpl > dpl))
            cpu_exception(c, EXC_GP, SELERR(sel));
        if (!(f & SF_P))
            cpu_exception(c, EXC_NP, SELERR(sel));
    }
    set_accessed(c, sel, &hi);
    seg_desc_to_seg(&c->seg[s], sel, lo, hi);
    seg_update_cache(c, s);
}

void cpu_set_cs(struct cpu *c, struct seg cs, unsigned cpl)
{
    cs.sel = (uint16_t)((cs.sel & ~3u) | cpl);
    c->seg[S_CS] = cs;
    c->cpl = cpl;
    c->m->user = cpl == 3;
    seg_update_cache(c, S_CS);
    cpu_remap(c);
}

/* The descriptor a selector names for a far transfer or a return: a null
 * selector is #GP(0), one past its table's limit #GP(selector). */
static void read_desc_nonnull(struct cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    if ((sel & ~3u) == 0)
        cpu_exception(c, EXC_GP, 0);
    if (!seg_read_desc(c, sel, lo, hi))
        cpu_exception(c, EXC_GP, SELERR(sel));
}

/* Checks common to a code segment reached by JMP/CALL (directly or through
 * a gate target); returns the descriptor in lo/hi. */
static void read_code_desc(struct cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    read_desc_nonnull(c, sel, lo, hi);
    uint16_t f = (uint16_t)(*hi >> 8);
    if (!(f & SF_S) || !(f & SF_CODE))
        cpu_exception(c, EXC_GP, SELERR(sel));
}

bool tss_stack(struct cpu *c, unsigned dpl, uint16_t *ss, uint32_t *esp)
{
    struct seg *tr = &c->seg[S_TR];
    unsigned type = tr->flags & SF_TYPE;
    if (type == 9 || type == 11) {
        uint32_t off = 4 + 8 * dpl;
        if (off + 5 > tr->limit)
            cpu_exception(c, EXC_TS, SELERR(tr->sel));
        *esp = sys_read(c, tr->base + off, 4);
        *ss = (uint16_t)sys_read(c, tr->base + off + 4, 2);
    } else {
        uint32_t off = 2 + 4 * dpl;
        if (off + 3 > tr->limit)
            cpu_exception(c, EXC_TS, SELERR(tr->sel));
        *esp = sys_read(c, tr->base + off, 2);
        *ss = (uint16_t)sys_read(c, tr->base + off + 2, 2);
    }
    return true;
}

/* The stack segment named by a TSS for a ring change to `dpl`
 * (#TS with the selector, #SS if not present; SDM Vol. 3 §6.12.1). */
void check_tss_ss(struct cpu *c, uint16_t ss, unsigned dpl, bool ext, struct seg *out);
void check_tss_ss(struct cpu *c, uint16_t ss, unsigned dpl, bool ext, struct seg *out)
{
    uint32_t lo, hi, e = ext ? 1 : 0;
    if ((ss & ~3u) == 0)
        cpu_exception(c, EXC_TS, e);
    if (!seg_read_desc(c, ss, &lo, &hi))
        cpu_exception(c, EXC_TS, SELERR(ss) | e);
    uint16_t f = (uint16_t)(hi >> 8);
    if ((ss & 3) != dpl || SF_DPL(f) != dpl || !(f & SF_S) || (f & SF_CODE) || !(f & SF_W))
        cpu_exception(c, EXC_TS, SELERR(ss) | e);
    if (!(f & SF_P))
        cpu_exception(c, EXC_SS, SELERR(ss) | e);
    set_accessed(c, ss, &hi);
    seg_desc_to_seg(out, ss, lo, hi);
}

/* Writes to a stack that is not (yet) the current SS. */
struct stk {
    struct seg s;
    uint32_t sp, mask;
    unsigned cpl;       /* privilege of the writes */
};

static void stk_push(struct cpu *c, struct stk *k, unsigned sz, uint32_t v)
{
    k->sp = (k->sp - sz) & k->mask;
    bool ok;
    if (k->s.flags & SF_E)
        ok = k->sp > k->s.limit && (uint64_t)k->sp + sz - 1 <= k->mask;
    else
        ok = (uint64_t)k->sp + sz - 1 <= k->s.limit;
    if (!ok)
        cpu_exception(c, EXC_SS, cpu_pmode(c) && k->s.sel != c->seg[S_SS].sel ? SELERR(k->s.sel) : 0);
    unsigned saved = c->m->user;
    c->m->user = k->cpl == 3;
    mmu_write_f(c->m, k->s.base + k->sp, (int)sz, v, MMU_WRITE);
    c->m->user = saved;
}

static void commit_ss(struct cpu *c, const struct stk *k)
{
    c->seg[S_SS] = k->s;
    seg_update_cache(c, S_SS);
    c->r[R_ESP] = (c->r[R_ESP] & ~k->mask) | k->sp;
}

static struct stk cur_stack(struct cpu *c)
{
    struct stk k = {c->seg[S_SS], c->r[R_ESP] & c->sp_mask, c->sp_mask, c->cpl};
    return k;
}

/* The descriptor a protected-mode far JMP or CALL names, with the checks
 * both make before anything else (SDM Vol. 2 JMP and CALL pseudocode).
 * A code segment: nonconforming needs RPL <= CPL and DPL = CPL, conforming
 * DPL <= CPL; then present (#NP); its cache is returned in cs and the
 * result is true. Anything else (a gate or a TSS): DPL >= CPL and DPL >=
 * RPL, present; the result is false and the caller checks the type. */
static bool far_target(struct cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi, struct seg *cs)
{
    read_desc_nonnull(c, sel, lo, hi);
    uint16_t f = (uint16_t)(*hi >> 8);
    unsigned dpl = SF_DPL(f), rpl = sel & 3;
    bool code = (f & SF_S) && (f & SF_CODE), denied;
    if (code)
        denied = (f & SF_C) ? dpl > c->cpl : (rpl > c->cpl || dpl != c->cpl);
    else
        denied = dpl < c->cpl || dpl < rpl;
    if (denied)
        cpu_exception(c, EXC_GP, SELERR(sel));
    if (!(f & SF_P))
        cpu_exception(c, EXC_NP, SELERR(sel));
    if (code)
        seg_desc_to_seg(cs, sel, *lo, *hi);
    return code;
}

/* The TSS a task gate names: in the GDT (#GP), an available or busy TSS
 * (#GP), present (#NP), all with the TSS selector (SDM Vol. 3 §7.3). */
static void read_gate_tss(struct cpu *c, uint16_t tss, uint32_t *lo, uint32_t *hi)
{
    if ((tss & 4) || !seg_read_desc(c, tss, lo, hi))
        cpu_exception(c, EXC_GP, SELERR(tss));
    unsigned type = (*hi >> 8) & 0x1f;
    if (type != 1 && type != 9)
        cpu_exception(c, EXC_GP, SELERR(tss));
    if (!(*hi & (1u << 15)))
        cpu_exception(c, EXC_NP, SELERR(tss));
}

/* A far JMP or RET in real mode or V86: the new IP is checked against the
 * current CS limit (#GP(0)) before CS = sel * 16 is loaded. */
static void far_real(struct cpu *c, uint16_t sel, uint32_t off)
{
    if (off > c->seg[S_CS].limit)
        cpu_exception(c, EXC_GP, 0);
    seg_load_real(c, S_CS, sel);
    c->eip = off;
}

void cpu_far_jmp(struct cpu *c, uint16_t sel, uint32_t off, unsigned osz)
{
    if (osz == 2)
        off &= 0xffff;
    if (!cpu_pmode(c)) {
        far_real(c, sel, off);
        return;
    }
    uint32_t lo, hi;
    struct seg cs;
    if (far_target(c, sel, &lo, &hi, &cs)) {
        if (off > cs.limit)
            cpu_exception(c, EXC_GP, 0);
        set_accessed(c, sel, &hi);
        cs.flags |= SF_A;
        cpu_set_cs(c, cs, c->cpl);
        c->eip = off;
        return;
    }
    unsigned type = (hi >> 8) & 0x1f;
    switch (type) {
    case 4:
    case 12: {   /* call gate */
        uint16_t tsel = (uint16_t)(lo >> 16);
        uint32_t toff = (lo & 0xffff) | (type == 12 ? (hi & 0xffff0000u) : 0);
        uint32_t tlo, thi;
        read_code_desc(c, tsel, &tlo, &thi);
        uint16_t tf = (uint16_t)(thi >> 8);
        unsigned tdpl = SF_DPL(tf);
        if ((tf & SF_C) ? tdpl > c->cpl : tdpl != c->cpl)
            cpu_exception(c, EXC_GP, SELERR(tsel));
        if (!(tf & SF_P))
            cpu_exception(c, EXC_NP, SELERR(tsel));
        seg_desc_to_seg(&cs, tsel, tlo, thi);
        if (toff > cs.limit)
            cpu_exception(c, EXC_GP, 0);
        cpu_set_cs(c, cs, c->cpl);
        c->eip = toff;
        return;
    }
    case 5: {   /* task gate */
        uint16_t tss = (uint16_t)(lo >> 16);
        uint32_t tlo, thi;
        read_gate_tss(c, tss, &tlo, &thi);
        task_switch(c, tss, tlo, thi, TS_JMP, NO_ERR);
        return;
    }
    case 1:
    case 9:
        if (sel & 4)
            cpu_exception(c, EXC_GP, SELERR(sel));
        task_switch(c, sel, lo, hi, TS_JMP, NO_ERR);
        return;
    default:
        cpu_exception(c, EXC_GP, SELERR(sel));
    }
}

void cpu_far_call(struct cpu *c, uint16_t sel, uint32_t off, unsigned osz)
{
    if (osz == 2)
        off &= 0xffff;
    uint16_t old_cs = c->seg[S_CS].sel;
    uint32_t ret = c->eip;
    if (!cpu_pmode(c)) {
        if (off > c->seg[S_CS].limit)
            cpu_exception(c, EXC_GP, 0);
        struct stk k = cur_stack(c);
        stk_push(c, &k, osz, old_cs);
        stk_push(c, &k, osz, ret);
        commit_ss(c, &k);
        seg_load_real(c, S_CS, sel);
        c->eip = off;
        return;
    }
    uint32_t lo, hi;
    struct seg cs;
    if (far_target(c, sel, &lo, &hi, &cs)) {
        struct stk k = cur_stack(c);
        stk_push(c, &k, osz, old_cs);
        stk_push(c, &k, osz, ret);
        if (off > cs.limit)
            cpu_exception(c, EXC_GP, 0);
        set_accessed(c, sel, &hi);
        cs.flags |= SF_A;
        commit_ss(c, &k);
        cpu_set_cs(c, cs, c->cpl);
        c->eip = off;
        return;
    }
    unsigned type = (hi >> 8) & 0x1f;
    if (type == 5 || type == 1 || type == 9) {
        uint16_t tss = sel;
        uint32_t tlo = lo, thi = hi;
        if (type == 5) {
            tss = (uint16_t)(lo >> 16);
            read_gate_tss(c, tss, &tlo, &thi);
        } else if (sel & 4) {
            cpu_exception(c, EXC_GP, SELERR(sel));
        }
        task_switch(c, tss, tlo, thi, TS_CALL, NO_ERR);
        return;
    }
    if (type != 4 && type != 12)
        cpu_exception(c, EXC_GP, SELERR(sel));

    /* call gate */
    unsigned gsz = type == 12 ? 4 : 2, nparam = hi & 0x1f;
    uint16_t tsel = (uint16_t)(lo >> 16);
    uint32_t toff = (lo & 0xffff) | (type == 12 ? (hi & 0xffff0000u) : 0);
    uint32_t tlo, thi;
    read_code_desc(c, tsel, &tlo, &thi);
    uint16_t tf = (uint16_t)(thi >> 8);
    unsigned tdpl = SF_DPL(tf);
    if (tdpl > c->cpl)
        cpu_exception(c, EXC_GP, SELERR(tsel));
    if (!(tf & SF_P))
        cpu_exception(c, EXC_NP, SELERR(tsel));
    seg_desc_to_seg(&cs, tsel, tlo, thi);
    if (!(tf & SF_C) && tdpl < c->cpl) {
        /* more privilege: stack from the TSS, copy nparam parameters */
        uint16_t nss;
        uint32_t nesp;
        tss_stack(c, tdpl, &nss, &nesp);
        struct stk k;
        check_tss_ss(c, nss, tdpl, false, &k.s);
        k.mask = (k.s.flags & SF_DB) ? 0xffffffffu : 0xffffu;
        k.sp = nesp & k.mask;
        k.cpl = tdpl;
        uint32_t params[32];
        for (unsigned p = 0; p < nparam; p++)
            params[p] = stack_peek(c, p * gsz, gsz);
        stk_push(c, &k, gsz, c->seg[S_SS].sel);
        stk_push(c, &k, gsz, c->r[R_ESP]);
        for (unsigned p = nparam; p-- > 0;)
            stk_push(c, &k, gsz, params[p]);
        stk_push(c, &k, gsz, old_cs);
        stk_push(c, &k, gsz, ret);
        if (toff > cs.limit)
            cpu_exception(c, EXC_GP, 0);
        c->r[R_ESP] = 0;
        commit_ss(c, &k);
        cpu_set_cs(c, cs, tdpl);
    } else {
        struct stk k = cur_stack(c);
        stk_push(c, &k, gsz, old_cs);
        stk_push(c, &k, gsz, ret);
        if (toff > cs.limit)
            cpu_exception(c, EXC_GP, 0);
        commit_ss(c, &k);
        cpu_set_cs(c, cs, c->cpl);
    }
    c->eip = toff;
}

/* After a return to an outer ring: data segments the new CPL may not use
 * become null (SDM Vol. 2 RET, "IRET": "FOR each of segment register"). */
void seg_invalidate_outer(struct cpu *c);
void seg_invalidate_outer(struct cpu *c)
{
    static const int segs[] = {S_ES, S_DS, S_FS, S_GS};
    for (int k = 0; k < 4; k++) {
        struct seg *sg = &c->seg[segs[k]];
        uint16_t f = sg->flags;
        if (!sg->valid)
            continue;
        bool conf_code = (f & SF_CODE) && (f & SF_C);
        if (!conf_code && SF_DPL(f) < c->cpl) {
            *sg = (struct seg){.sel = 0};
            seg_update_cache(c, segs[k]);
        }
    }
}

/* The checks of a return CS (RET far and IRET): returns its descriptor. */
void check_return_cs(struct cpu *c, uint16_t sel, struct seg *out);
void check_return_cs(struct cpu *c, uint16_t sel, struct seg *out)
{
    uint32_t lo, hi;
    read_desc_nonnull(c, sel, &lo, &hi);
    uint16_t f = (uint16_t)(hi >> 8);
    unsigned rpl = sel & 3, dpl = SF_DPL(f);
    if (!(f & SF_S) || !(f & SF_CODE) || rpl < c->cpl)
        cpu_exception(c, EXC_GP, SELERR(sel));
    if ((f & SF_C) ? dpl > rpl : dpl != rpl)
        cpu_exception(c, EXC_GP, SELERR(sel));
    if (!(f & SF_P))
        cpu_exception(c, EXC_NP, SELERR(sel));
    set_accessed(c, sel, &hi);
    seg_desc_to_seg(out, sel, lo, hi);
}

/* The checks of a stack segment popped on a return to ring rpl. */
void check_return_ss(struct cpu *c, uint16_t sel, unsigned rpl, struct seg *out);
void check_return_ss(struct cpu *c, uint16_t sel, unsigned rpl, struct seg *out)
{
    uint32_t lo, hi;
    read_desc_nonnull(c, sel, &lo, &hi);
    uint16_t f = (uint16_t)(hi >> 8);
    if ((sel & 3) != rpl || SF_DPL(f) != rpl || !(f & SF_S) || (f & SF_CODE) || !(f & SF_W))
        cpu_exception(c, EXC_GP, SELERR(sel));
    if (!(f & SF_P))
        cpu_exception(c, EXC_SS, SELERR(sel));
    set_accessed(c, sel, &hi);
    seg_desc_to_seg(out, sel, lo, hi);
}

void cpu_far_ret(struct cpu *c, unsigned osz, uint16_t imm)
{
    uint32_t eip = stack_peek(c, 0, osz);
    uint16_t sel = (uint16_t)stack_peek(c, osz, 2);
    if (osz == 2)
        eip &= 0xffff;
    if (!cpu_pmode(c)) {
        far_real(c, sel, eip);
        c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | ((c->r[R_ESP] + 2 * osz + imm) & c->sp_mask);
        return;
    }
    struct seg cs;
    check_return_cs(c, sel, &cs);
    unsigned rpl = sel & 3;
    if (rpl == c->cpl) {
        if (eip > cs.limit)
            cpu_exception(c, EXC_GP, 0);
        c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | ((c->r[R_ESP] + 2 * osz + imm) & c->sp_mask);
        cpu_set_cs(c, cs, c->cpl);
        c->eip = eip;
        return;
    }
    /* return to an outer ring */
    uint32_t esp = stack_peek(c, 2 * osz + imm, osz);
    uint16_t ss = (uint16_t)stack_peek(c, 3 * osz + imm, 2);
    struct seg nss;
    check_return_ss(c, ss, rpl, &nss);
    if (eip > cs.limit)
        cpu_exception(c, EXC_GP, 0);
    cpu_set_cs(c, cs, rpl);
    c->seg[S_SS] = nss;
    seg_update_cache(c, S_SS);
    if (osz == 2)
        esp &= 0xffff;
    c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | ((esp + imm) & c->sp_mask);
    c->eip = eip;
    seg_invalidate_outer(c);
}
