/* Hardware task switches (SDM Vol. 3 §7.3): JMP/CALL to a TSS or task
 * gate, INT/exceptions through a task gate, IRET with NT = 1. The outgoing
 * state is saved in the current TSS, busy bits and the back link are kept
 * as the table in §7.4 says, and the incoming state is loaded and checked.
 * Checks on the incoming segments happen after the switch is committed and
 * fault in the new task's context, as on hardware. */
#include "cpu/cpu_impl.h"

void check_tss_ss(struct cpu *c, uint16_t ss, unsigned dpl, bool ext, struct seg *out);

#define BUSY 0x200u   /* type bit 1 of a TSS descriptor (in the high dword) */

struct tss_state {
    uint32_t cr3, eip, eflags, r[8];
    uint16_t sel[6], ldt;
};

static void read_tss(struct cpu *c, uint32_t base, bool is32, struct tss_state *t)
{
    if (is32) {
        t->cr3 = sys_read(c, base + 0x1c, 4);
        t->eip = sys_read(c, base + 0x20, 4);
        t->eflags = sys_read(c, base + 0x24, 4);
        for (int k = 0; k < 8; k++)
            t->r[k] = sys_read(c, base + 0x28 + 4u * (unsigned)k, 4);
        for (int s = 0; s < 6; s++)
            t->sel[s] = (uint16_t)sys_read(c, base + 0x48 + 4u * (unsigned)s, 2);
        t->ldt = (uint16_t)sys_read(c, base + 0x60, 2);
    } else {
        t->cr3 = c->m->cr3;
        t->eip = sys_read(c, base + 0x0e, 2);
        t->eflags = sys_read(c, base + 0x10, 2);
        for (int k = 0; k < 8; k++)   /* upper halves kept from the outgoing task */
            t->r[k] = (c->r[k] & 0xffff0000u) | sys_read(c, base + 0x12 + 2u * (unsigned)k, 2);
        for (int s = 0; s < 4; s++)   /* ES CS SS DS */
            t->sel[s] = (uint16_t)sys_read(c, base + 0x22 + 2u * (unsigned)s, 2);
        t->sel[S_FS] = t->sel[S_GS] = 0;
        t->ldt = (uint16_t)sys_read(c, base + 0x2a, 2);
    }
}

static void write_tss(struct cpu *c, uint32_t base, bool is32, uint32_t eflags)
{
    if (is32) {
        sys_write(c, base + 0x20, 4, c->eip);
        sys_write(c, base + 0x24, 4, eflags);
        for (int k = 0; k < 8; k++)
            sys_write(c, base + 0x28 + 4u * (unsigned)k, 4, c->r[k]);
        for (int s = 0; s < 6; s++)
            sys_write(c, base + 0x48 + 4u * (unsigned)s, 2, c->seg[s].sel);
    } else {
        sys_write(c, base + 0x0e, 2, c->eip);
        sys_write(c, base + 0x10, 2, eflags);
        for (int k = 0; k < 8; k++)
            sys_write(c, base + 0x12 + 2u * (unsigned)k, 2, c->r[k]);
        for (int s = 0; s < 4; s++)
            sys_write(c, base + 0x22 + 2u * (unsigned)s, 2, c->seg[s].sel);
    }
}

static void load_data_seg(struct cpu *c, int s, uint16_t sel)
{
    uint32_t lo, hi;
    if ((sel & ~3u) == 0) {
        c->seg[s] = (struct seg){.sel = sel};
        seg_update_cache(c, s);
        return;
    }
    if (!seg_read_desc(c, sel, &lo, &hi))
        cpu_exception(c, EXC_TS, sel & 0xfffcu);
    uint16_t f = (uint16_t)(hi >> 8);
    if (!(f & SF_S) || ((f & SF_CODE) && !(f & SF_R)))
        cpu_exception(c, EXC_TS, sel & 0xfffcu);
    if (!((f & SF_CODE) && (f & SF_C)) && ((sel & 3u) > SF_DPL(f) || c->cpl > SF_DPL(f)))
        cpu_exception(c, EXC_TS, sel & 0xfffcu);
    if (!(f & SF_P))
        cpu_exception(c, EXC_NP, sel & 0xfffcu);
    seg_desc_to_seg(&c->seg[s], sel, lo, hi);
    seg_update_cache(c, s);
}

void task_switch(struct cpu *c, uint16_t sel, uint32_t lo, uint32_t hi,
                 enum ts_reason why, uint32_t err)
{
    struct seg ntss;
    seg_desc_to_seg(&ntss, sel, lo, hi);
    bool n32 = (ntss.flags & 8) != 0;
    if (ntss.limit < (n32 ? 0x67u : 0x2bu))
        cpu_exception(c, EXC_TS, sel & 0xfffcu);

    struct seg *otr = &c->seg[S_TR];
    bool o32 = (otr->flags & 8) != 0;
    uint16_t osel = otr->sel;
    uint32_t obase = otr->base;

    /* everything the switch reads, before anything is written */
    struct tss_state t;
    read_tss(c, ntss.base, n32, &t);

    uint32_t ofl = flags_materialize(c);
    if (why == TS_IRET)
        ofl &= ~F_NT;
    if (why == TS_JMP || why == TS_IRET) {
        uint32_t olo, ohi;
        if (seg_read_desc(c, osel, &olo, &ohi))
            seg_write_desc_hi(c, osel, ohi & ~BUSY);
    }
    write_tss(c, obase, o32, ofl);
    if (why == TS_CALL || why == TS_INT) {
        sys_write(c, ntss.base, 2, osel);
        t.eflags |= F_NT;
    }
    if (why != TS_IRET)
        seg_write_desc_hi(c, sel, hi | BUSY);

    /* commit: from here on faults belong to the new task */
    ntss.flags |= 2;   /* busy */
    c->seg[S_TR] = ntss;
    mmu_set_cr0(c->m, c->m->cr0 | CR0_TS);
    if (n32 && (c->m->cr0 & CR0_PG))
        mmu_set_cr3(c->m, t.cr3);
    else if (n32)
        c->m->cr3 = t.cr3;
    for (int k = 0; k < 8; k++)
        c->r[k] = t.r[k];
    c->eip = t.eip;
    c->lf.op = LF_NONE;
    c->eflags = (t.eflags | 2u) & 0x003f7fd7u;
    if (!n32)
        c->eflags &= 0xffff;
    bool v86 = c->eflags & F_VM;
    for (int s = 0; s < 6; s++) {   /* provisional selectors: the TSS values */
        c->seg[s].sel = t.sel[s];
        c->seg[s].valid = false;
        seg_update_cache(c, s);
    }
    c->cpl = v86 ? 3 : (t.sel[S_CS] & 3u);
    c->m->user = c->cpl == 3;
    c->insn_eip = c->eip;
    c->esp_dirty = false;
    cpu_remap(c);

    /* LDT */
    if ((t.ldt & ~3u) == 0) {
        c->seg[S_LDTR] = (struct seg){.sel = t.ldt};
    } else {
        uint32_t llo, lhi;
        if ((t.ldt & 4) || !seg_read_desc(c, t.ldt, &llo, &lhi) || ((lhi >> 8) & 0x1f) != 2)
            cpu_exception(c, EXC_TS, t.ldt & 0xfffcu);
        if (!(lhi & (1u << 15)))
            cpu_exception(c, EXC_TS, t.ldt & 0xfffcu);
        seg_desc_to_seg(&c->seg[S_LDTR], t.ldt, llo, lhi);
    }

    if (v86) {
        for (int s = 0; s < 6; s++)
            seg_load_real(c, s, t.sel[s]);
    } else {
        /* CS */
        uint16_t cs = t.sel[S_CS];
        uint32_t clo, chi;
        if ((cs & ~3u) == 0 || !seg_read_desc(c, cs, &clo, &chi))
            cpu_exception(c, EXC_TS, cs & 0xfffcu);
        uint16_t f = (uint16_t)(chi >> 8);
        if (!(f & SF_S) || !(f & SF_CODE) ||
            ((f & SF_C) ? SF_DPL(f) > (cs & 3u) : SF_DPL(f) != (cs & 3u)))
            cpu_exception(c, EXC_TS, cs & 0xfffcu);
        if (!(f & SF_P))
            cpu_exception(c, EXC_NP, cs & 0xfffcu);
        struct seg cseg;
        seg_desc_to_seg(&cseg, cs, clo, chi);
        cpu_set_cs(c, cseg, cs & 3u);
        /* SS */
        struct seg sseg;
        check_tss_ss(c, t.sel[S_SS], c->cpl, false, &sseg);
        c->seg[S_SS] = sseg;
        seg_update_cache(c, S_SS);
        load_data_seg(c, S_DS, t.sel[S_DS]);
        load_data_seg(c, S_ES, t.sel[S_ES]);
        load_data_seg(c, S_FS, t.sel[S_FS]);
        load_data_seg(c, S_GS, t.sel[S_GS]);
    }

    if (err != NO_ERR && why == TS_INT) {
        unsigned sz = n32 ? 4 : 2;
        push(c, sz, err);
    }
    if (c->eip > c->seg[S_CS].limit)
        cpu_exception(c, EXC_GP, 0);
    /* the T bit of a 32-bit TSS: #DB (DR6.BT) before the new task's first
     * instruction (SDM Vol. 3 §17.3.1.5) */
    if (n32 && (sys_read(c, ntss.base + 0x64, 2) & 1)) {
        c->pending_dr6 |= 1u << 15;
        end_trace(c);
    }
}
