/* Integer ALU instructions: arithmetic, logic, shifts and rotates, multiply
 * and divide, BCD, bit tests and scans, data movement between registers and
 * memory. Flag rules from the SDM Vol. 2 instruction pages; where a flag is
 * "undefined" the choice made here is noted (matching P6-family hardware). */
#include "cpu/cpu_impl.h"

uint32_t alu_op(struct cpu *c, unsigned op, unsigned sz, uint32_t d, uint32_t s)
{
    uint32_t m = szmask(sz), r, cin;
    switch (op & 7) {
    case 0: r = (d + s) & m; lf_set(c, LF_ADD, sz, d, s, r); break;
    case 1: r = d | s; lf_set(c, LF_LOGIC, sz, d, s, r); break;
    case 2:
        cin = lf_cf(c);
        r = (d + s + cin) & m;
        lf_set(c, LF_ADC, sz, d, s, r);
        c->lf.cin = cin;
        break;
    case 3:
        cin = lf_cf(c);
        r = (d - s - cin) & m;
        lf_set(c, LF_SBB, sz, d, s, r);
        c->lf.cin = cin;
        break;
    case 4: r = d & s; lf_set(c, LF_LOGIC, sz, d, s, r); break;
    case 5:
    case 7: r = (d - s) & m; lf_set(c, LF_SUB, sz, d, s, r); break;
    default: r = d ^ s; lf_set(c, LF_LOGIC, sz, d, s, r); break;
    }
    return r;
}

/* op E, G (and op E, imm): destination r/m. CMP (7) writes nothing. */
static inline void alu_E(struct cpu *c, const struct insn *i, unsigned op, uint32_t s)
{
    unsigned sz = i->osz;
    if (i->mod == 3) {
        uint32_t r = alu_op(c, op, sz, reg_get(c, i->rm, sz), s);
        if (op != 7)
            reg_set(c, i->rm, sz, r);
        return;
    }
    uint32_t off = ea_off(c, i);
    if (op == 7) {
        alu_op(c, op, sz, mem_read(c, i->seg, off, sz), s);
        return;
    }
    uint32_t lin = seg_lin(c, i->seg, off, sz, true);
    uint32_t r = alu_op(c, op, sz, mmu_read_rmw(c->m, lin, (int)sz), s);
    lin_write(c, lin, sz, r);
}

void op_alu_EbGb(struct cpu *c, const struct insn *i)
{
    alu_E(c, i, i->opcode >> 3, reg_get(c, i->reg, 1));
}
void op_alu_EvGv(struct cpu *c, const struct insn *i)
{
    alu_E(c, i, i->opcode >> 3, reg_get(c, i->reg, i->osz));
}
void op_alu_GbEb(struct cpu *c, const struct insn *i)
{
    unsigned op = (i->opcode >> 3) & 7;
    uint32_t r = alu_op(c, op, 1, reg_get(c, i->reg, 1), rm_read(c, i, 1));
    if (op != 7)
        reg_set(c, i->reg, 1, r);
}
void op_alu_GvEv(struct cpu *c, const struct insn *i)
{
    unsigned op = (i->opcode >> 3) & 7;
    uint32_t r = alu_op(c, op, i->osz, reg_get(c, i->reg, i->osz), rm_read(c, i, i->osz));
    if (op != 7)
        reg_set(c, i->reg, i->osz, r);
}
void op_alu_ALIb(struct cpu *c, const struct insn *i)
{
    unsigned op = (i->opcode >> 3) & 7;
    uint32_t r = alu_op(c, op, 1, c->r[R_EAX] & 0xff, i->imm & 0xff);
    if (op != 7)
        reg_set(c, R_EAX, 1, r);
}
void op_alu_eAXIv(struct cpu *c, const struct insn *i)
{
    unsigned op = (i->opcode >> 3) & 7;
    uint32_t r = alu_op(c, op, i->osz, reg_get(c, R_EAX, i->osz), i->imm & szmask(i->osz));
    if (op != 7)
        reg_set(c, R_EAX, i->osz, r);
}
void op_grp1_EbIb(struct cpu *c, const struct insn *i) { alu_E(c, i, i->reg, i->imm & 0xff); }
void op_grp1_EvI(struct cpu *c, const struct insn *i)
{
    alu_E(c, i, i->reg, i->imm & szmask(i->osz));
}

void op_test_EG(struct cpu *c, const struct insn *i)
{
    alu_op(c, 4, i->osz, rm_read(c, i, i->osz), reg_get(c, i->reg, i->osz));
}
void op_test_AI(struct cpu *c, const struct insn *i)
{
    alu_op(c, 4, i->osz, reg_get(c, R_EAX, i->osz), i->imm & szmask(i->osz));
}

/* INC/DEC keep CF: it is captured into lf.cin before the new record. */
static uint32_t incdec(struct cpu *c, bool dec, unsigned sz, uint32_t d)
{
    uint32_t cin = lf_cf(c);
    uint32_t r = (dec ? d - 1 : d + 1) & szmask(sz);
    lf_set(c, dec ? LF_DEC : LF_INC, sz, d, 1, r);
    c->lf.cin = cin;
    return r;
}

void op_inc_r(struct cpu *c, const struct insn *i)
{
    unsigned r = i->opcode & 7;
    reg_set(c, r, i->osz, incdec(c, false, i->osz, reg_get(c, r, i->osz)));
}
void op_dec_r(struct cpu *c, const struct insn *i)
{
    unsigned r = i->opcode & 7;
    reg_set(c, r, i->osz, incdec(c, true, i->osz, reg_get(c, r, i->osz)));
}
void op_incdec_E(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    if (i->mod == 3) {
        reg_set(c, i->rm, sz, incdec(c, i->reg == 1, sz, reg_get(c, i->rm, sz)));
        return;
    }
    uint32_t lin = seg_lin(c, i->seg, ea_off(c, i), sz, true);
    uint32_t v = mmu_read_rmw(c->m, lin, (int)sz);
    lin_write(c, lin, sz, incdec(c, i->reg == 1, sz, v));
}

void op_xchg_EG(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    uint32_t g = reg_get(c, i->reg, sz);
    if (i->mod == 3) {
        reg_set(c, i->reg, sz, reg_get(c, i->rm, sz));
        reg_set(c, i->rm, sz, g);
        return;
    }
    uint32_t lin = seg_lin(c, i->seg, ea_off(c, i), sz, true);
    uint32_t v = mmu_read_rmw(c->m, lin, (int)sz);
    lin_write(c, lin, sz, g);
    reg_set(c, i->reg, sz, v);
}
void op_xchg_r(struct cpu *c, const struct insn *i)
{
    unsigned r = i->opcode & 7;
    uint32_t a = reg_get(c, R_EAX, i->osz);
    reg_set(c, R_EAX, i->osz, reg_get(c, r, i->osz));
    reg_set(c, r, i->osz, a);
}

void op_mov_EbGb(struct cpu *c, const struct insn *i) { rm_write(c, i, 1, reg_get(c, i->reg, 1)); }
void op_mov_EvGv(struct cpu *c, const struct insn *i)
{
    rm_write(c, i, i->osz, reg_get(c, i->reg, i->osz));
}
void op_mov_GbEb(struct cpu *c, const struct insn *i) { reg_set(c, i->reg, 1, rm_read(c, i, 1)); }
void op_mov_GvEv(struct cpu *c, const struct insn *i)
{
    reg_set(c, i->reg, i->osz, rm_read(c, i, i->osz));
}
void op_mov_EI(struct cpu *c, const struct insn *i) { rm_write(c, i, i->osz, i->imm); }
void op_mov_r8I(struct cpu *c, const struct insn *i) { reg_set(c, i->opcode & 7, 1, i->imm); }
void op_mov_rI(struct cpu *c, const struct insn *i) { reg_set(c, i->opcode & 7, i->osz, i->imm); }
void op_mov_AO(struct cpu *c, const struct insn *i)
{
    reg_set(c, R_EAX, i->osz, mem_read(c, i->seg, i->disp & i->amask, i->osz));
}
void op_mov_OA(struct cpu *c, const struct insn *i)
{
    mem_write(c, i->seg, i->disp & i->amask, i->osz, reg_get(c, R_EAX, i->osz));
}
void op_lea(struct cpu *c, const struct insn *i) { reg_set(c, i->reg, i->osz, ea_off(c, i)); }

void op_movx(struct cpu *c, const struct insn *i)
{
    bool word = i->opcode & 1, sx = i->opcode & 8;
    uint32_t v = rm_read(c, i, word ? 2 : 1);
    if (sx)
        v = word ? (uint32_t)(int32_t)(int16_t)v : (uint32_t)(int32_t)(int8_t)v;
    reg_set(c, i->reg, i->osz, v);
}

void op_cbw(struct cpu *c, const struct insn *i)
{
    if (i->osz == 2)
        reg_set(c, R_EAX, 2, (uint32_t)(int32_t)(int8_t)c->r[R_EAX]);
    else
        c->r[R_EAX] = (uint32_t)(int32_t)(int16_t)c->r[R_EAX];
}
void op_cwd(struct cpu *c, const struct insn *i)
{
    if (i->osz == 2)
        reg_set(c, R_EDX, 2, (c->r[R_EAX] & 0x8000) ? 0xffff : 0);
    else
        c->r[R_EDX] = (c->r[R_EAX] & 0x80000000u) ? 0xffffffffu : 0;
}

void op_nop(struct cpu *c, const struct insn *i) { (void)c; (void)i; }

void op_xlat(struct cpu *c, const struct insn *i)
{
    uint32_t off = (c->r[R_EBX] + (c->r[R_EAX] & 0xff)) & i->amask;
    reg_set(c, R_EAX, 1, mem_read(c, i->seg, off, 1));
}

void op_salc(struct cpu *c, const struct insn *i)
{
    (void)i;
    reg_set(c, R_EAX, 1, lf_cf(c) ? 0xff : 0);
}

void op_sahf(struct cpu *c, const struct insn *i)
{
    (void)i;
    flags_materialize(c);
    uint32_t m = F_SF | F_ZF | F_AF | F_PF | F_CF;
    c->eflags = (c->eflags & ~m) | ((c->r[R_EAX] >> 8) & m);
}
void op_lahf(struct cpu *c, const struct insn *i)
{
    (void)i;
    reg_set(c, R_ESP, 1, (flags_materialize(c) & 0xd5) | 2);   /* r 4 as byte = AH */
}

void op_flagop(struct cpu *c, const struct insn *i)
{
    switch (i->opcode) {
    case 0xf5: flags_materialize(c); c->eflags ^= F_CF; break;
    case 0xf8: flags_materialize(c); c->eflags &= ~F_CF; break;
    case 0xf9: flags_materialize(c); c->eflags |= F_CF; break;
    case 0xfc: c->eflags &= ~F_DF; break;
    default: c->eflags |= F_DF; break;
    }
}

void op_setcc(struct cpu *c, const struct insn *i) { rm_write(c, i, 1, cpu_cond(c, i->opcode & 15)); }

void op_cmov(struct cpu *c, const struct insn *i)
{
    uint32_t v = rm_read(c, i, i->osz);   /* the source is read (and may fault) either way */
    if (cpu_cond(c, i->opcode & 15))
        reg_set(c, i->reg, i->osz, v);
}

void op_bswap(struct cpu *c, const struct insn *i)
{
    unsigned r = i->opcode & 7;
    if (i->osz == 2)   /* undefined by the SDM; P6-family hardware clears the word */
        reg_set(c, r, 2, 0);
    else
        c->r[r] = __builtin_bswap32(c->r[r]);
}

/* ---------- shifts and rotates ---------- */

/* Flags of rotates: only CF and OF change (when the masked count != 0).
 * OF for counts > 1 is undefined; P6-family hardware (and the host the
 * differential test runs on) computes it as for the first 1-bit step, from
 * the original operand. ofirst() is that value for ROL/RCL/SHL. */
static inline bool ofirst_left(uint32_t d, unsigned w) { return ((d >> (w - 1)) ^ (d >> (w - 2))) & 1; }

/* imm: the count came from an immediate (C0/C1). P6-family hardware leaves
 * OF unchanged after ROL/ROR by an immediate count other than 1. */
static uint32_t do_grp2(struct cpu *c, unsigned op, unsigned sz, uint32_t d, unsigned cnt, bool imm)
{
    unsigned w = sz * 8;
    uint32_t m = szmask(sz), sign = szsign(sz), r, f;
    cnt &= 31;
    if (cnt == 0)
        return d;
    f = flags_materialize(c);
    bool cf = f & F_CF, of;
    switch (op) {
    case 0: {   /* ROL */
        unsigned n = cnt % w;
        r = n ? ((d << n) | (d >> (w - n))) & m : d;
        cf = r & 1;
        of = cnt == 1 ? ((r & sign) != 0) != cf : imm ? (f & F_OF) != 0 : ofirst_left(d, w);
        f = (f & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
        break;
    }
    case 1: {   /* ROR */
        unsigned n = cnt % w;
        r = n ? ((d >> n) | (d << (w - n))) & m : d;
        cf = r & sign;
        /* first step: new MSB (old bit 0) ^ old MSB */
        of = (cnt != 1 && imm) ? (f & F_OF) != 0 : ((d >> (w - 1)) ^ d) & 1;
        f = (f & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
        break;
    }
    case 2: {   /* RCL through a (w+1)-bit rotate */
        unsigned n = sz == 4 ? cnt : cnt % (w + 1);
        uint64_t x = ((uint64_t)cf << w) | d;
        for (unsigned k = 0; k < n; k++)
            x = ((x << 1) | (x >> w)) & ((2ull << (w)) - 1);
        r = (uint32_t)x & m;
        cf = (x >> w) & 1;
        of = ofirst_left(d, w);
        f = (f & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
        break;
    }
    case 3: {   /* RCR */
        unsigned n = sz == 4 ? cnt : cnt % (w + 1);
        bool of_first = ((d & sign) != 0) != cf;
        uint64_t x = ((uint64_t)cf << w) | d;
        for (unsigned k = 0; k < n; k++)
            x = ((x >> 1) | ((x & 1) << w)) & ((2ull << (w)) - 1);
        r = (uint32_t)x & m;
        cf = (x >> w) & 1;
        of = of_first;
        f = (f & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
        break;
    }
    case 4:
    case 6:     /* SHL/SAL. CF for count > width is undefined: 0 here. */
        r = cnt < w ? (d << cnt) & m : 0;
        cf = cnt <= w ? (d >> (w - cnt)) & 1 : 0;
        of = ofirst_left(d, w);
        f = (f & ~LF_BITS) | szp_flags(r, sz) | (cf ? F_CF : 0) | (of ? F_OF : 0);
        break;
    case 5:     /* SHR: OF is the original sign */
        r = cnt < w ? d >> cnt : 0;
        cf = cnt <= w ? (d >> (cnt - 1)) & 1 : 0;
        of = d & sign;
        f = (f & ~LF_BITS) | szp_flags(r, sz) | (cf ? F_CF : 0) | (of ? F_OF : 0);
        break;
    default: {  /* SAR */
        int32_t sd = sz == 4 ? (int32_t)d : sz == 2 ? (int16_t)d : (int8_t)d;
        unsigned n = cnt < w ? cnt : w - 1;
        r = (uint32_t)(sd >> n) & m;
        cf = (sd >> (cnt < w ? cnt - 1 : w - 1)) & 1;
        f = (f & ~LF_BITS) | szp_flags(r, sz) | (cf ? F_CF : 0);
        break;
    }
    }
    flags_set_arith(c, f);
    return r;
}

void op_grp2(struct cpu *c, const struct insn *i)
{
    unsigned cnt, sz = i->osz;
    switch (i->opcode) {
    case 0xc0: case 0xc1: cnt = i->imm; break;
    case 0xd0: case 0xd1: cnt = 1; break;
    default: cnt = c->r[R_ECX] & 0xff; break;
    }
    bool imm = i->opcode == 0xc0 || i->opcode == 0xc1;
    if (i->mod == 3) {
        reg_set(c, i->rm, sz, do_grp2(c, i->reg, sz, reg_get(c, i->rm, sz), cnt, imm));
        return;
    }
    uint32_t lin = seg_lin(c, i->seg, ea_off(c, i), sz, true);
    uint32_t v = mmu_read_rmw(c->m, lin, (int)sz);
    if ((cnt & 31) == 0)
        return;
    lin_write(c, lin, sz, do_grp2(c, i->reg, sz, v, cnt, imm));
}

/* SHLD/SHRD. Counts above 16 on word operands are undefined; here the
 * destination is treated as repeating (d:s:d), as P6-family hardware does. */
void op_shxd(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz, w = sz * 8;
    unsigned cnt = ((i->opcode & 1) ? c->r[R_ECX] : i->imm) & 31;
    bool left = i->opcode < 0x1a8;
    uint32_t s = reg_get(c, i->reg, sz);
    uint32_t lin = 0, d;
    if (i->mod == 3) {
        d = reg_get(c, i->rm, sz);
    } else {
        lin = seg_lin(c, i->seg, ea_off(c, i), sz, true);
        d = mmu_read_rmw(c->m, lin, (int)sz);
    }
    if (cnt == 0)
        return;
    uint32_t r;
    bool cf;
    if (sz == 4) {
        if (left) {
            r = (d << cnt) | (cnt ? s >> (32 - cnt) : 0);
            cf = (d >> (32 - cnt)) & 1;
        } else {
            r = (d >> cnt) | (s << (32 - cnt));
            cf = (d >> (cnt - 1)) & 1;
        }
    } else {
        if (left) {
            uint64_t x = ((uint64_t)d << 32) | ((uint64_t)s << 16) | d;
            r = (uint32_t)(x >> (32 - cnt)) & 0xffff;
            cf = (x >> (48 - cnt)) & 1;
        } else {
            uint64_t x = ((uint64_t)d << 32) | ((uint64_t)s << 16) | d;
            r = (uint32_t)(x >> cnt) & 0xffff;
            cf = (x >> (cnt - 1)) & 1;
        }
    }
    uint32_t f = flags_materialize(c) & ~LF_BITS;
    f |= szp_flags(r, sz) | (cf ? F_CF : 0);
    /* OF: sign change of the first 1-bit step (defined for count 1; the
     * host computes larger counts the same way) */
    bool of = left ? ofirst_left(d, w) : (((d >> (w - 1)) ^ s) & 1);
    if (of)
        f |= F_OF;
    if (i->mod == 3)
        reg_set(c, i->rm, sz, r);
    else
        lin_write(c, lin, sz, r);
    flags_set_arith(c, f);
}

/* ---------- multiply and divide ---------- */

/* MUL/IMUL: CF = OF = the upper half is significant. SF, ZF, PF, AF are
 * undefined: as the P6-family host does, SF/PF follow the low half of the
 * result and ZF = AF = 0. */
static void mul_flags(struct cpu *c, bool carry, uint32_t low, unsigned sz)
{
    uint32_t f = flags_materialize(c) & ~LF_BITS;
    f |= szp_flags(low, sz) & ~F_ZF;
    if (carry)
        f |= F_CF | F_OF;
    flags_set_arith(c, f);
}

static inline int32_t sext(uint32_t v, unsigned sz)
{
    return sz == 4 ? (int32_t)v : sz == 2 ? (int16_t)v : (int8_t)v;
}

void op_grp3(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    uint32_t m = szmask(sz);
    switch (i->reg) {
    case 0:
    case 1:
        alu_op(c, 4, sz, rm_read(c, i, sz), i->imm & m);
        return;
    case 2:
    case 3: {
        uint32_t lin = 0, d;
        if (i->mod == 3) {
            d = reg_get(c, i->rm, sz);
        } else {
            lin = seg_lin(c, i->seg, ea_off(c, i), sz, true);
            d = mmu_read_rmw(c->m, lin, (int)sz);
        }
        uint32_t r;
        if (i->reg == 2) {
            r = ~d & m;
        } else {
            r = (0 - d) & m;
        }
        if (i->mod == 3)
            reg_set(c, i->rm, sz, r);
        else
            lin_write(c, lin, sz, r);
        if (i->reg == 3)
            lf_set(c, LF_SUB, sz, 0, d, r);
        return;
    }
    }
    uint32_t s = rm_read(c, i, sz);
    switch (i->reg) {
    case 4:
        if (sz == 1) {
            uint32_t r = (c->r[R_EAX] & 0xff) * s;
            reg_set(c, R_EAX, 2, r);
            mul_flags(c, r >> 8, r, 1);
        } else if (sz == 2) {
            uint32_t r = (c->r[R_EAX] & 0xffff) * s;
            reg_set(c, R_EAX, 2, r);
            reg_set(c, R_EDX, 2, r >> 16);
            mul_flags(c, r >> 16, r, 2);
        } else {
            uint64_t r = (uint64_t)c->r[R_EAX] * s;
            c->r[R_EAX] = (uint32_t)r;
            c->r[R_EDX] = (uint32_t)(r >> 32);
            mul_flags(c, r >> 32, (uint32_t)r, 4);
        }
        return;
    case 5: {
        int64_t a = sext(reg_get(c, R_EAX, sz), sz), r = a * sext(s, sz);
        if (sz == 1)
            reg_set(c, R_EAX, 2, (uint32_t)r);
        else if (sz == 2) {
            reg_set(c, R_EAX, 2, (uint32_t)r);
            reg_set(c, R_EDX, 2, (uint32_t)(r >> 16));
        } else {
            c->r[R_EAX] = (uint32_t)r;
            c->r[R_EDX] = (uint32_t)((uint64_t)r >> 32);
        }
        mul_flags(c, r != sext((uint32_t)r & m, sz), (uint32_t)r, sz);
        return;
    }
    case 6: {   /* DIV: flags undefined, left unchanged */
        if (s == 0)
            cpu_exception(c, EXC_DE, NO_ERR);
        uint64_t n = sz == 1 ? (c->r[R_EAX] & 0xffff)
                   : sz == 2 ? ((c->r[R_EDX] & 0xffff) << 16 | (c->r[R_EAX] & 0xffff))
                             : ((uint64_t)c->r[R_EDX] << 32 | c->r[R_EAX]);
        uint64_t q = n / s, rem = n % s;
        if (q > m)
            cpu_exception(c, EXC_DE, NO_ERR);
        if (sz == 1) {
            reg_set(c, R_EAX, 2, (uint32_t)(q | rem << 8));
        } else {
            reg_set(c, R_EAX, sz, (uint32_t)q);
            reg_set(c, R_EDX, sz, (uint32_t)rem);
        }
        return;
    }
    default: {  /* IDIV */
        int64_t dv = sext(s, sz);
        if (dv == 0)
            cpu_exception(c, EXC_DE, NO_ERR);
        int64_t n = sz == 1 ? (int16_t)c->r[R_EAX]
                  : sz == 2 ? (int32_t)((c->r[R_EDX] & 0xffff) << 16 | (c->r[R_EAX] & 0xffff))
                            : (int64_t)((uint64_t)c->r[R_EDX] << 32 | c->r[R_EAX]);
        if (sz == 4 && n == INT64_MIN && dv == -1)
            cpu_exception(c, EXC_DE, NO_ERR);
        int64_t q = n / dv, rem = n % dv;
        int64_t lim = (int64_t)1 << (sz * 8 - 1);
        if (q >= lim || q < -lim)
            cpu_exception(c, EXC_DE, NO_ERR);
        if (sz == 1) {
            reg_set(c, R_EAX, 2, ((uint32_t)q & 0xff) | ((uint32_t)rem & 0xff) << 8);
        } else {
            reg_set(c, R_EAX, sz, (uint32_t)q);
            reg_set(c, R_EDX, sz, (uint32_t)rem);
        }
        return;
    }
    }
}

static void imul2(struct cpu *c, const struct insn *i, uint32_t a, uint32_t b)
{
    unsigned sz = i->osz;
    int64_t r = (int64_t)sext(a, sz) * sext(b, sz);
    reg_set(c, i->reg, sz, (uint32_t)r);
    mul_flags(c, r != sext((uint32_t)r & szmask(sz), sz), (uint32_t)r, sz);
}
void op_imul_GvEv(struct cpu *c, const struct insn *i)
{
    imul2(c, i, reg_get(c, i->reg, i->osz), rm_read(c, i, i->osz));
}
void op_imul_GvEvI(struct cpu *c, const struct insn *i)
{
    imul2(c, i, rm_read(c, i, i->osz), i->imm & szmask(i->osz));
}

/* ---------- BCD (SDM Vol. 2 DAA/DAS/AAA/AAS/AAM/AAD pseudocode) ----------
 * Undefined OF after DAA/DAS and SF/ZF/PF/OF after AAA/AAS: computed from
 * the result as P6 hardware does (OF = 0 for AAA/AAS, SZP of AL). */
void op_daa(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint32_t f = flags_materialize(c);
    uint8_t al = c->r[R_EAX] & 0xff, old = al;
    bool oldcf = f & F_CF, cf = false, af = false;
    if ((al & 0xf) > 9 || (f & F_AF)) {
        cf = oldcf || al > 0xf9;
        al += 6;
        af = true;
    }
    if (old > 0x99 || oldcf) {
        al += 0x60;
        cf = true;
    } else {
        cf = false;
    }
    reg_set(c, R_EAX, 1, al);
    uint32_t nf = szp_flags(al, 1) | (cf ? F_CF : 0) | (af ? F_AF : 0);
    if ((old ^ al) & al & 0x80)
        nf |= F_OF;
    flags_set_arith(c, nf);
}

void op_das(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint32_t f = flags_materialize(c);
    uint8_t al = c->r[R_EAX] & 0xff, old = al;
    bool oldcf = f & F_CF, cf = false, af = false;
    if ((al & 0xf) > 9 || (f & F_AF)) {
        cf = oldcf || al < 6;
        al -= 6;
        af = true;
    }
    if (old > 0x99 || oldcf) {
        al -= 0x60;
        cf = true;
    }
    reg_set(c, R_EAX, 1, al);
    uint32_t nf = szp_flags(al, 1) | (cf ? F_CF : 0) | (af ? F_AF : 0);
    if ((old ^ al) & old & 0x80)
        nf |= F_OF;
    flags_set_arith(c, nf);
}

void op_aaa(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint32_t f = flags_materialize(c), nf;
    uint32_t ax = c->r[R_EAX] & 0xffff;
    if ((ax & 0xf) > 9 || (f & F_AF)) {
        ax += 0x106;
        nf = F_AF | F_CF;
    } else {
        nf = 0;
    }
    ax &= 0xff0f;
    reg_set(c, R_EAX, 2, ax);
    flags_set_arith(c, nf | szp_flags(ax & 0xff, 1));
}

void op_aas(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint32_t f = flags_materialize(c), nf;
    uint32_t ax = c->r[R_EAX] & 0xffff;
    if ((ax & 0xf) > 9 || (f & F_AF)) {
        ax = (ax - 6) & 0xffff;
        ax = (ax - 0x100) & 0xffff;
        nf = F_AF | F_CF;
    } else {
        nf = 0;
    }
    ax &= 0xff0f;
    reg_set(c, R_EAX, 2, ax);
    flags_set_arith(c, nf | szp_flags(ax & 0xff, 1));
}

/* AAM/AAD: SZP from AL; OF/AF/CF undefined: 0 after AAM, and after AAD
 * those of the 8-bit addition AL + AH*imm that computes it. */
void op_aam(struct cpu *c, const struct insn *i)
{
    uint8_t base = i->imm & 0xff, al = c->r[R_EAX] & 0xff;
    if (base == 0)
        cpu_exception(c, EXC_DE, NO_ERR);
    uint32_t ax = ((uint32_t)(al / base) << 8) | (al % base);
    reg_set(c, R_EAX, 2, ax);
    flags_materialize(c);
    flags_set_arith(c, szp_flags(ax, 1));
}

void op_aad(struct cpu *c, const struct insn *i)
{
    uint8_t base = i->imm & 0xff;
    uint32_t al = c->r[R_EAX] & 0xff, ah = (c->r[R_EAX] >> 8) & 0xff;
    uint32_t t = (ah * base) & 0xff;
    uint32_t r = (al + t) & 0xff;
    reg_set(c, R_EAX, 2, r);
    lf_set(c, LF_ADD, 1, al, t, r);
    flags_materialize(c);
}

/* ---------- bit test and scan ---------- */

/* BT*: CF = the bit; OF, SF, AF, PF undefined and left unchanged; ZF kept. */
static void bt_common(struct cpu *c, const struct insn *i, unsigned op, uint32_t bitoff, bool from_reg)
{
    unsigned sz = i->osz, w = sz * 8;
    uint32_t v, lin = 0, bit;
    if (i->mod == 3) {
        bit = bitoff & (w - 1);
        v = reg_get(c, i->rm, sz);
    } else {
        uint32_t off = ea_off(c, i);
        if (from_reg) {   /* the bit offset is signed and may leave the operand */
            int32_t so = sz == 2 ? (int16_t)bitoff : (int32_t)bitoff;
            off += (uint32_t)((so >> (sz == 2 ? 4 : 5)) * (int32_t)sz);
            off &= i->amask;
        }
        bit = bitoff & (w - 1);
        if (op == 0) {
            v = mem_read(c, i->seg, off, sz);
        } else {
            lin = seg_lin(c, i->seg, off, sz, true);
            v = mmu_read_rmw(c->m, lin, (int)sz);
        }
    }
    bool cf = (v >> bit) & 1;
    uint32_t nv = v;
    if (op == 1)
        nv |= 1u << bit;
    else if (op == 2)
        nv &= ~(1u << bit);
    else if (op == 3)
        nv ^= 1u << bit;
    if (op) {
        if (i->mod == 3)
            reg_set(c, i->rm, sz, nv);
        else
            lin_write(c, lin, sz, nv);
    }
    uint32_t f = flags_materialize(c);
    flags_set_arith(c, (f & ~F_CF) | (cf ? F_CF : 0));
}

void op_bt_G(struct cpu *c, const struct insn *i)
{
    unsigned op = i->opcode == 0x1a3 ? 0 : i->opcode == 0x1ab ? 1 : i->opcode == 0x1b3 ? 2 : 3;
    bt_common(c, i, op, reg_get(c, i->reg, i->osz), true);
}
void op_bt_I(struct cpu *c, const struct insn *i) { bt_common(c, i, i->reg - 4, i->imm & 0xff, false); }

/* BSF/BSR: source 0 sets ZF and leaves the destination unchanged. CF, OF,
 * SF, AF, PF are undefined: here they are computed as for the source
 * value's logical test (CF = OF = AF = 0, SF/PF of the source). */
void op_bsf_bsr(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    uint32_t s = rm_read(c, i, sz);
    uint32_t f = flags_materialize(c) & ~LF_BITS;
    if (s == 0) {
        flags_set_arith(c, f | F_ZF | parity_flag(0));
        return;
    }
    uint32_t r = i->opcode == 0x1bc ? (uint32_t)__builtin_ctz(s) : 31u - (uint32_t)__builtin_clz(s);
    reg_set(c, i->reg, sz, r);
    flags_set_arith(c, f | parity_flag(r));
}

/* ---------- 486 / P6 atomics ---------- */

void op_xadd(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    uint32_t s = reg_get(c, i->reg, sz);
    if (i->mod == 3) {
        uint32_t d = reg_get(c, i->rm, sz);
        uint32_t r = alu_op(c, 0, sz, d, s);
        reg_set(c, i->reg, sz, d);
        reg_set(c, i->rm, sz, r);
        return;
    }
    uint32_t lin = seg_lin(c, i->seg, ea_off(c, i), sz, true);
    uint32_t d = mmu_read_rmw(c->m, lin, (int)sz);
    struct lazyf save = c->lf;
    uint32_t r = alu_op(c, 0, sz, d, s);
    struct lazyf after = c->lf;
    c->lf = save;
    lin_write(c, lin, sz, r);
    c->lf = after;
    reg_set(c, i->reg, sz, d);
}

void op_cmpxchg(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    uint32_t acc = reg_get(c, R_EAX, sz), s = reg_get(c, i->reg, sz);
    if (i->mod == 3) {
        uint32_t d = reg_get(c, i->rm, sz);
        alu_op(c, 7, sz, acc, d);
        if (acc == d)
            reg_set(c, i->rm, sz, s);
        else
            reg_set(c, R_EAX, sz, d);
        return;
    }
    uint32_t lin = seg_lin(c, i->seg, ea_off(c, i), sz, true);
    uint32_t d = mmu_read_rmw(c->m, lin, (int)sz);
    /* the destination is always written (with itself when unequal) */
    lin_write(c, lin, sz, acc == d ? s : d);
    alu_op(c, 7, sz, acc, d);
    if (acc != d)
        reg_set(c, R_EAX, sz, d);
}

void op_cmpxchg8b(struct cpu *c, const struct insn *i)
{
    uint32_t off = ea_off(c, i);
    uint32_t lin = seg_lin(c, i->seg, off, 8, true);
    uint32_t lo = mmu_read_rmw(c->m, lin, 4), hi = mmu_read_rmw(c->m, lin + 4, 4);
    uint32_t f = flags_materialize(c);
    if (lo == c->r[R_EAX] && hi == c->r[R_EDX]) {
        lin_write(c, lin, 4, c->r[R_EBX]);
        lin_write(c, lin + 4, 4, c->r[R_ECX]);
        flags_set_arith(c, f | F_ZF);
    } else {
        lin_write(c, lin, 4, lo);
        lin_write(c, lin + 4, 4, hi);
        c->r[R_EAX] = lo;
        c->r[R_EDX] = hi;
        flags_set_arith(c, f & ~F_ZF);
    }
}
