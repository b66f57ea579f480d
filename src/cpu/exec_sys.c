/* System instructions: port I/O, control and debug registers, descriptor
 * table registers, LAR/LSL/VERR/VERW/ARPL, CPUID, MSRs, time stamp. */
#include "cpu/cpu_impl.h"

static void need_cpl0(struct cpu *c)
{
    if (cpu_pe(c) && (cpu_v86(c) || c->cpl != 0))
        cpu_exception(c, EXC_GP, 0);
}

static void need_pmode(struct cpu *c)
{
    if (!cpu_pmode(c))
        cpu_exception(c, EXC_UD, NO_ERR);
}

/* ---------- port I/O (SDM Vol. 1 §19.5: IOPL and the I/O bitmap) ---------- */

bool io_allowed(struct cpu *c, uint16_t port, int size)
{
    if (!cpu_pe(c))
        return true;
    if (!cpu_v86(c) && c->cpl <= ((c->eflags & F_IOPL) >> 12))
        return true;
    struct seg *tr = &c->seg[S_TR];
    unsigned type = tr->flags & SF_TYPE;
    if (!tr->valid || (type != 9 && type != 11) || tr->limit < 0x67)
        return false;
    uint32_t iobase = sys_read(c, tr->base + 0x66, 2);
    uint32_t byte = iobase + port / 8;
    if (byte + 1 > tr->limit)
        return false;
    uint32_t bits = sys_read(c, tr->base + byte, 2);
    uint32_t want = ((1u << size) - 1) << (port & 7);
    return (bits & want) == 0;
}

/* DR7 R/W = 10 is an I/O breakpoint only while CR4.DE = 1 (SDM Vol. 3
 * §17.2.4-5): DRn holds the port, LEN 00/01/11 = 1/2/4 ports (10, 8 bytes,
 * is undefined outside 64-bit mode: taken as 8). Like a data breakpoint it
 * is a trap, taken when the instruction completes (exec_one). With CR4.DE
 * = 0 the SDM leaves R/W = 10 undefined; Pagoda then ignores it, as the
 * 386, which had no I/O breakpoints, did. */
static void io_breakpoints(struct cpu *c, uint16_t port, int size)
{
    uint32_t dr7 = c->dr[7];
    for (int n = 0; n < 4; n++) {
        unsigned rw = (dr7 >> (16 + 4 * n)) & 3, len = (dr7 >> (18 + 4 * n)) & 3;
        if (!((dr7 >> (2 * n)) & 3) || rw != 2)
            continue;
        uint32_t ports = len == 0 ? 1 : len == 1 ? 2 : len == 3 ? 4 : 8;
        uint32_t a = (c->dr[n] & 0xffffu) & ~(ports - 1);
        if (port < a + ports && a < (uint32_t)port + (uint32_t)size)
            c->dbg_hits |= 1u << n;
    }
}

void io_check(struct cpu *c, uint16_t port, int size)
{
    if (!io_allowed(c, port, size))
        cpu_exception(c, EXC_GP, 0);
    if (UNLIKELY(c->dr[7] & 0xff) && (c->m->cr4 & CR4_DE))
        io_breakpoints(c, port, size);
}

void op_in(struct cpu *c, const struct insn *i)
{
    uint16_t port = (i->opcode & 8) ? (uint16_t)c->r[R_EDX] : (uint16_t)i->imm;
    io_check(c, port, i->osz);
    uint32_t v = c->bus.io_in ? c->bus.io_in(c->bus.ctx, port, i->osz) : 0xffffffffu;
    reg_set(c, R_EAX, i->osz, v);
}

void op_out(struct cpu *c, const struct insn *i)
{
    uint16_t port = (i->opcode & 8) ? (uint16_t)c->r[R_EDX] : (uint16_t)i->imm;
    io_check(c, port, i->osz);
    if (c->bus.io_out)
        c->bus.io_out(c->bus.ctx, port, reg_get(c, R_EAX, i->osz), i->osz);
    end_trace(c);   /* a device may have raised an interrupt or a stop */
}

/* ---------- control registers ---------- */

uint32_t cpu_read_cr(struct cpu *c, int n)
{
    switch (n) {
    case 0: return c->m->cr0;
    case 2: return c->m->cr2;
    case 3: return c->m->cr3;
    default: return c->m->cr4;
    }
}

#define CR0_VALID (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | \
                   CR0_NW | CR0_CD | CR0_PG)
#define CR4_VALID (CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE)

void cpu_write_cr(struct cpu *c, int n, uint32_t v)
{
    switch (n) {
    case 0:
        v = (v & CR0_VALID) | CR0_ET;
        if ((v & CR0_PG) && !(v & CR0_PE))
            cpu_exception(c, EXC_GP, 0);
        if ((v & CR0_NW) && !(v & CR0_CD))
            cpu_exception(c, EXC_GP, 0);
        mmu_set_cr0(c->m, v);
        break;
    case 2: c->m->cr2 = v; break;
    case 3: mmu_set_cr3(c->m, v & 0xfffff018u); break;
    case 4:
        if (v & ~CR4_VALID)
            cpu_exception(c, EXC_GP, 0);
        mmu_set_cr4(c->m, v);
        break;
    default: cpu_exception(c, EXC_UD, NO_ERR);
    }
    cpu_remap(c);
}

void op_mov_RC(struct cpu *c, const struct insn *i)
{
    if (i->reg == 1 || i->reg > 4)
        cpu_exception(c, EXC_UD, NO_ERR);
    need_cpl0(c);
    c->r[i->rm] = cpu_read_cr(c, i->reg);
}

void op_mov_CR(struct cpu *c, const struct insn *i)
{
    if (i->reg == 1 || i->reg > 4)
        cpu_exception(c, EXC_UD, NO_ERR);
    need_cpl0(c);
    cpu_write_cr(c, i->reg, c->r[i->rm]);
}

/* Debug registers: DR4/5 alias DR6/7 unless CR4.DE; DR7.GD makes any
 * access a #DB fault with DR6.BD (SDM Vol. 3 §17.2.4). */
static unsigned dr_index(struct cpu *c, unsigned n)
{
    need_cpl0(c);
    if (n == 4 || n == 5) {
        if (c->m->cr4 & CR4_DE)
            cpu_exception(c, EXC_UD, NO_ERR);
        n += 2;
    }
    if (c->dr[7] & (1u << 13)) {
        c->dr[6] |= 1u << 13;
        c->dr[7] &= ~(1u << 13);
        cpu_exception(c, EXC_DB, NO_ERR);
    }
    return n;
}

void op_mov_RD(struct cpu *c, const struct insn *i)
{
    unsigned n = dr_index(c, i->reg);
    c->r[i->rm] = c->dr[n];
}

void op_mov_DR(struct cpu *c, const struct insn *i)
{
    unsigned n = dr_index(c, i->reg);
    uint32_t v = c->r[i->rm];
    if (n == 6)
        v = (v & 0x0000e00fu) | 0xffff0ff0u;
    else if (n == 7)
        v = (v & ~0x0000d800u) | 0x400u;
    c->dr[n] = v;
    end_trace(c);
}

void op_clts(struct cpu *c, const struct insn *i)
{
    (void)i;
    need_cpl0(c);
    mmu_set_cr0(c->m, c->m->cr0 & ~CR0_TS);
}

void op_invd(struct cpu *c, const struct insn *i)
{
    (void)i;
    need_cpl0(c);   /* no caches are modelled */
}

/* ---------- CPUID, MSRs, TSC ---------- */

/* A P6-family part (family 6, model 1) with exactly the features built:
 * DE(2: CR4.DE, I/O breakpoints, DR4/5 #UD) PSE(3) TSC(4) MSR(5) CX8(8)
 * PGE(13) CMOV(15). No FPU bit: no x87. */
#define CPUID_EDX1 ((1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 13) | \
                    (1u << 15))

void op_cpuid(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint32_t leaf = c->r[R_EAX];
    if (leaf == 0) {
        c->r[R_EAX] = 1;
        c->r[R_EBX] = 0x756e6547;   /* "GenuineIntel" */
        c->r[R_EDX] = 0x49656e69;
        c->r[R_ECX] = 0x6c65746e;
        return;
    }
    /* leaf 1, and (as Intel parts do) any leaf above the maximum */
    c->r[R_EAX] = 0x00000619;
    c->r[R_EBX] = 0;
    c->r[R_ECX] = 0;
    c->r[R_EDX] = CPUID_EDX1;
}

void op_rdtsc(struct cpu *c, const struct insn *i)
{
    (void)i;
    if ((c->m->cr4 & CR4_TSD) && cpu_pe(c) && c->cpl != 0)
        cpu_exception(c, EXC_GP, 0);
    uint64_t t = cpu_ticks(c) + c->tsc_offset;
    c->r[R_EAX] = (uint32_t)t;
    c->r[R_EDX] = (uint32_t)(t >> 32);
}

void op_rdmsr(struct cpu *c, const struct insn *i)
{
    (void)i;
    need_cpl0(c);
    uint64_t v;
    switch (c->r[R_ECX]) {
    case MSR_TSC: v = cpu_ticks(c) + c->tsc_offset; break;
    case MSR_SYSENTER_CS: v = c->sysenter_cs; break;
    case MSR_SYSENTER_ESP: v = c->sysenter_esp; break;
    case MSR_SYSENTER_EIP: v = c->sysenter_eip; break;
    default: cpu_exception(c, EXC_GP, 0);
    }
    c->r[R_EAX] = (uint32_t)v;
    c->r[R_EDX] = (uint32_t)(v >> 32);
}

void op_wrmsr(struct cpu *c, const struct insn *i)
{
    (void)i;
    need_cpl0(c);
    uint64_t v = (uint64_t)c->r[R_EDX] << 32 | c->r[R_EAX];
    switch (c->r[R_ECX]) {
    case MSR_TSC: c->tsc_offset = v - cpu_ticks(c); break;
    case MSR_SYSENTER_CS: c->sysenter_cs = (uint32_t)v & 0xffff; break;
    case MSR_SYSENTER_ESP: c->sysenter_esp = (uint32_t)v; break;
    case MSR_SYSENTER_EIP: c->sysenter_eip = (uint32_t)v; break;
    default: cpu_exception(c, EXC_GP, 0);
    }
}

/* ---------- group 6: LDTR, TR, VERR/VERW ---------- */

static void store_sel(struct cpu *c, const struct insn *i, uint16_t sel)
{
    if (i->mod == 3)
        reg_set(c, i->rm, i->osz, sel);
    else
        mem_write(c, i->seg, ea_off(c, i), 2, sel);
}

/* Is the segment accessible for VERR (write = false) / VERW? */
static bool verify(struct cpu *c, uint16_t sel, bool write)
{
    uint32_t lo, hi;
    if ((sel & ~3u) == 0 || !seg_read_desc(c, sel, &lo, &hi))
        return false;
    uint16_t f = (uint16_t)(hi >> 8);
    if (!(f & SF_S))
        return false;
    unsigned dpl = SF_DPL(f), rpl = sel & 3;
    if (!((f & SF_CODE) && (f & SF_C)) && (dpl < c->cpl || dpl < rpl))
        return false;
    if (write)
        return !(f & SF_CODE) && (f & SF_W);
    return !(f & SF_CODE) || (f & SF_R);
}

void op_grp6(struct cpu *c, const struct insn *i)
{
    need_pmode(c);
    switch (i->reg) {
    case 0: store_sel(c, i, c->seg[S_LDTR].sel); return;
    case 1: store_sel(c, i, c->seg[S_TR].sel); return;
    case 2: case 3: {
        need_cpl0(c);
        uint16_t sel = (uint16_t)rm_read(c, i, 2);
        uint32_t lo, hi;
        if (i->reg == 2 && (sel & ~3u) == 0) {
            c->seg[S_LDTR] = (struct seg){.sel = sel};
            return;
        }
        if ((sel & 4) || (sel & ~3u) == 0 || !seg_read_desc(c, sel, &lo, &hi))
            cpu_exception(c, EXC_GP, sel & 0xfffc);
        unsigned type = (hi >> 8) & 0x1f;
        if (i->reg == 2 ? type != 2 : (type != 1 && type != 9))
            cpu_exception(c, EXC_GP, sel & 0xfffc);
        if (!(hi & (1u << 15)))
            cpu_exception(c, EXC_NP, sel & 0xfffc);
        struct seg sg;
        seg_desc_to_seg(&sg, sel, lo, hi);
        if (i->reg == 2) {
            c->seg[S_LDTR] = sg;
        } else {
            hi |= 0x200;      /* busy */
            seg_write_desc_hi(c, sel, hi);
            sg.flags |= 2;
            c->seg[S_TR] = sg;
        }
        return;
    }
    case 4: case 5: {
        bool ok = verify(c, (uint16_t)rm_read(c, i, 2), i->reg == 5);
        uint32_t f = flags_materialize(c);
        flags_set_arith(c, ok ? f | F_ZF : f & ~F_ZF);
        return;
    }
    }
}

void op_lar_lsl(struct cpu *c, const struct insn *i)
{
    need_pmode(c);
    uint16_t sel = (uint16_t)rm_read(c, i, 2);
    uint32_t lo, hi;
    bool ok = (sel & ~3u) != 0 && seg_read_desc(c, sel, &lo, &hi);
    bool lar = i->opcode == 0x102;
    if (ok) {
        uint16_t f = (uint16_t)(hi >> 8);
        unsigned type = f & 0x1f;
        if (!(f & SF_S)) {
            /* LAR: TSS, LDT, call and task gates; LSL: TSS and LDT only */
            static const uint8_t lar_ok[16] = {0,1,1,1,1,1,0,0,0,1,0,1,1,0,0,0};
            static const uint8_t lsl_ok[16] = {0,1,1,1,0,0,0,0,0,1,0,1,0,0,0,0};
            ok = lar ? lar_ok[type & 15] : lsl_ok[type & 15];
        }
        bool conforming_code = (f & SF_S) && (f & SF_CODE) && (f & SF_C);
        unsigned dpl = SF_DPL(f);
        if (ok && !conforming_code && (dpl < c->cpl || dpl < (sel & 3u)))
            ok = false;
    }
    uint32_t fl = flags_materialize(c);
    if (!ok) {
        flags_set_arith(c, fl & ~F_ZF);
        return;
    }
    if (lar) {
        reg_set(c, i->reg, i->osz, i->osz == 2 ? hi & 0xff00 : hi & 0x00f0ff00u);
    } else {
        uint32_t lim = (lo & 0xffff) | (hi & 0xf0000);
        if (hi & (1u << 23))
            lim = (lim << 12) | 0xfff;
        reg_set(c, i->reg, i->osz, lim);
    }
    flags_set_arith(c, fl | F_ZF);
}

/* ARPL writes its destination only when it raises the RPL: a read-only or
 * absent page faults only then (as the host CPU does). */
void op_arpl(struct cpu *c, const struct insn *i)
{
    need_pmode(c);
    uint32_t d = rm_read(c, i, 2);
    uint32_t s = reg_get(c, i->reg, 2);
    uint32_t f = flags_materialize(c);
    if ((d & 3) < (s & 3)) {
        rm_write(c, i, 2, (d & ~3u) | (s & 3));
        flags_set_arith(c, f | F_ZF);
    } else {
        flags_set_arith(c, f & ~F_ZF);
    }
}

/* ---------- group 7: descriptor table registers, MSW, INVLPG ---------- */

void op_grp7(struct cpu *c, const struct insn *i)
{
    switch (i->reg) {
    case 0: case 1: {
        uint32_t off = ea_off(c, i);
        uint32_t base = i->reg == 0 ? c->gdt_base : c->idt_base;
        uint16_t lim = i->reg == 0 ? c->gdt_limit : c->idt_limit;
        if (i->osz == 2)
            base &= 0x00ffffffu;   /* 24-bit base, sixth byte written as 0 */
        mem_write(c, i->seg, off, 2, lim);
        mem_write(c, i->seg, (off + 2) & i->amask, 4, base);
        return;
    }
    case 2: case 3: {
        need_cpl0(c);
        uint32_t off = ea_off(c, i);
        uint16_t lim = (uint16_t)mem_read(c, i->seg, off, 2);
        uint32_t base = mem_read(c, i->seg, (off + 2) & i->amask, 4);
        if (i->osz == 2)
            base &= 0x00ffffffu;
        if (i->reg == 2) {
            c->gdt_base = base;
            c->gdt_limit = lim;
        } else {
            c->idt_base = base;
            c->idt_limit = lim;
        }
        return;
    }
    case 4:
        if (i->mod == 3)
            reg_set(c, i->rm, i->osz, c->m->cr0);
        else
            mem_write(c, i->seg, ea_off(c, i), 2, c->m->cr0 & 0xffff);
        return;
    case 6: {
        need_cpl0(c);
        uint32_t v = rm_read(c, i, 2);
        uint32_t cr0 = c->m->cr0;
        /* PE can be set but not cleared by LMSW */
        cr0 = (cr0 & ~0xeu) | (v & 0xeu) | ((cr0 | v) & 1u);
        mmu_set_cr0(c->m, cr0);
        cpu_remap(c);
        return;
    }
    default:
        need_cpl0(c);
        mmu_invlpg(c->m, c->seg[i->seg].base + ea_off(c, i));
        cpu_remap(c);
        return;
    }
}
