/* Specialised handlers for the most frequent instruction forms. The table's
 * handlers are generic over operand size and register/memory operands; for
 * the common 32-bit forms the decoder swaps in one of these, where the size
 * and the operand kind are constants. Semantics are identical: the
 * differential test runs every form through both paths. */
#include "cpu/cpu_impl.h"

#define LF(c, o, d, s, r)                 \
    do {                                  \
        (c)->lf.op = (o);                 \
        (c)->lf.sz = 4;                   \
        (c)->lf.dst = (d);                \
        (c)->lf.src = (s);                \
        (c)->lf.res = (r);                \
    } while (0)

/* op r32, r32 (both directions: ModRM rm is the destination for 01/09/...,
 * reg for 03/0b/...; the decoder resolves which into rm/reg order). */
#define RR(name, expr, lfop, store)                                     \
    static void name##_EvGv(struct cpu *c, const struct insn *i)        \
    {                                                                   \
        uint32_t d = c->r[i->rm], s = c->r[i->reg], r = (expr);         \
        LF(c, lfop, d, s, r);                                           \
        if (store)                                                      \
            c->r[i->rm] = r;                                            \
    }                                                                   \
    static void name##_GvEv(struct cpu *c, const struct insn *i)        \
    {                                                                   \
        uint32_t d = c->r[i->reg], s = c->r[i->rm], r = (expr);         \
        LF(c, lfop, d, s, r);                                           \
        if (store)                                                      \
            c->r[i->reg] = r;                                           \
    }                                                                   \
    static void name##_GvM(struct cpu *c, const struct insn *i)         \
    {                                                                   \
        uint32_t s = mem_read(c, i->seg, ea_off(c, i), 4);              \
        uint32_t d = c->r[i->reg], r = (expr);                          \
        LF(c, lfop, d, s, r);                                           \
        if (store)                                                      \
            c->r[i->reg] = r;                                           \
    }

RR(f_add, d + s, LF_ADD, 1)
RR(f_or, d | s, LF_LOGIC, 1)
RR(f_and, d & s, LF_LOGIC, 1)
RR(f_sub, d - s, LF_SUB, 1)
RR(f_xor, d ^ s, LF_LOGIC, 1)
RR(f_cmp, d - s, LF_SUB, 0)

/* op r32, imm (81 /n and 83 /n with a register operand) */
#define RI(name, expr, lfop, store)                                     \
    static void name##_RI(struct cpu *c, const struct insn *i)          \
    {                                                                   \
        uint32_t d = c->r[i->rm], s = i->imm, r = (expr);               \
        LF(c, lfop, d, s, r);                                           \
        if (store)                                                      \
            c->r[i->rm] = r;                                            \
    }
RI(f_add, d + s, LF_ADD, 1)
RI(f_or, d | s, LF_LOGIC, 1)
RI(f_and, d & s, LF_LOGIC, 1)
RI(f_sub, d - s, LF_SUB, 1)
RI(f_xor, d ^ s, LF_LOGIC, 1)
RI(f_cmp, d - s, LF_SUB, 0)

static void f_mov_rr_EvGv(struct cpu *c, const struct insn *i) { c->r[i->rm] = c->r[i->reg]; }
static void f_mov_rr_GvEv(struct cpu *c, const struct insn *i) { c->r[i->reg] = c->r[i->rm]; }
static void f_mov_load(struct cpu *c, const struct insn *i)
{
    c->r[i->reg] = mem_read(c, i->seg, ea_off(c, i), 4);
}
static void f_mov_store(struct cpu *c, const struct insn *i)
{
    mem_write(c, i->seg, ea_off(c, i), 4, c->r[i->reg]);
}
static void f_mov_rI(struct cpu *c, const struct insn *i) { c->r[i->opcode & 7] = i->imm; }
static void f_lea(struct cpu *c, const struct insn *i)
{
    c->r[i->reg] = c->r[i->base] + (c->r[i->index] << i->scale) + i->disp;
}

/* INC/DEC keep CF: after another INC/DEC it is already in lf.cin. */
static inline uint32_t kept_cf(const struct cpu *c)
{
    return (c->lf.op == LF_INC || c->lf.op == LF_DEC) ? c->lf.cin : lf_cf(c);
}

static void f_inc(struct cpu *c, const struct insn *i)
{
    uint32_t cin = kept_cf(c), d = c->r[i->opcode & 7];
    LF(c, LF_INC, d, 1, d + 1);
    c->lf.cin = cin;
    c->r[i->opcode & 7] = d + 1;
}
static void f_dec(struct cpu *c, const struct insn *i)
{
    uint32_t cin = kept_cf(c), d = c->r[i->opcode & 7];
    LF(c, LF_DEC, d, 1, d - 1);
    c->lf.cin = cin;
    c->r[i->opcode & 7] = d - 1;
}

static void f_push_r(struct cpu *c, const struct insn *i) { push(c, 4, c->r[i->opcode & 7]); }
static void f_pop_r(struct cpu *c, const struct insn *i)
{
    uint32_t v = pop(c, 4);
    c->r[i->opcode & 7] = v;
}

static void f_test_rr(struct cpu *c, const struct insn *i)
{
    uint32_t r = c->r[i->rm] & c->r[i->reg];
    LF(c, LF_LOGIC, r, r, r);
}

/* Conditions straight from the operands of a 32-bit SUB/CMP (no flag
 * materialisation): SDM Vol. 1 Appendix B, unsigned and signed compares. */
static inline bool cond_sub32(uint32_t d, uint32_t s, unsigned cc)
{
    bool r;
    switch (cc >> 1) {
    case 1: r = d < s; break;                              /* B / AE */
    case 2: r = d == s; break;                             /* E / NE */
    case 3: r = d <= s; break;                             /* BE / A */
    case 4: r = (d - s) >> 31; break;                      /* S / NS */
    case 6: r = (int32_t)d < (int32_t)s; break;            /* L / GE */
    case 7: r = (int32_t)d <= (int32_t)s; break;           /* LE / G */
    default: return false;                                 /* O, P: general path */
    }
    return r ^ (cc & 1);
}

/* After AND/OR/XOR/TEST: CF = OF = 0, so the conditions reduce to ZF/SF. */
static inline bool cond_logic32(uint32_t res, unsigned cc)
{
    bool r;
    switch (cc >> 1) {
    case 0: r = false; break;                       /* O / NO */
    case 1: r = false; break;                       /* B / AE */
    case 2: r = res == 0; break;                    /* E / NE */
    case 3: r = res == 0; break;                    /* BE / A */
    case 4: r = res >> 31; break;                   /* S / NS */
    case 6: r = res >> 31; break;                   /* L / GE: SF != OF(0) */
    case 7: r = res == 0 || (res >> 31); break;     /* LE / G */
    default: r = false; break;                      /* P: not taken here */
    }
    return r ^ (cc & 1);
}

/* Jcc rel8/rel32 in 32-bit code. */
static void f_jcc32(struct cpu *c, const struct insn *i)
{
    unsigned cc = i->opcode & 15;
    bool take;
    if (c->lf.op == LF_SUB && c->lf.sz == 4 && (cc >> 1) != 0 && (cc >> 1) != 5)
        take = cond_sub32(c->lf.dst, c->lf.src, cc);
    else if (c->lf.op == LF_LOGIC && c->lf.sz == 4 && (cc >> 1) != 5)
        take = cond_logic32(c->lf.res, cc);
    else
        take = cpu_cond(c, cc);
    if (take) {
        uint32_t t = c->eip + i->imm;
        if (UNLIKELY(t > c->seg[S_CS].limit))
            cpu_exception(c, EXC_GP, 0);
        c->eip = t;
    }
}

/* SHL/SAL, SHR, SAR of a 32-bit register: a non-zero count rewrites all six
 * arithmetic flags (AF = 0, OF as for the first step, as do_grp2 does), so
 * nothing needs materialising first. */
static void f_shift32(struct cpu *c, const struct insn *i)
{
    unsigned op = i->opcode;
    unsigned cnt = (op == 0xc1 ? i->imm : op == 0xd1 ? 1u : c->r[R_ECX]) & 31;
    if (cnt == 0)
        return;
    uint32_t d = c->r[i->rm], r, cf, of;
    switch (i->reg) {
    case 5:
        r = d >> cnt;
        cf = (d >> (cnt - 1)) & 1;
        of = d >> 31;
        break;
    case 7:
        r = (uint32_t)((int32_t)d >> cnt);
        cf = (uint32_t)((int32_t)d >> (cnt - 1)) & 1;
        of = 0;
        break;
    default:   /* 4, 6 */
        r = d << cnt;
        cf = (d >> (32 - cnt)) & 1;
        of = ((d >> 31) ^ (d >> 30)) & 1;
        break;
    }
    c->r[i->rm] = r;
    c->eflags = (c->eflags & ~LF_BITS) | szp_flags(r, 4) | cf | (of << 11);
    c->lf.op = LF_NONE;
}

static void f_mov_EI_reg(struct cpu *c, const struct insn *i) { c->r[i->rm] = i->imm; }
static void f_mov_EI_mem(struct cpu *c, const struct insn *i)
{
    mem_write(c, i->seg, ea_off(c, i), 4, i->imm);
}

static void f_movzx(struct cpu *c, const struct insn *i)
{
    bool word = i->opcode & 1;
    uint32_t v;
    if (i->mod == 3)
        v = word ? c->r[i->rm] & 0xffff : reg_get(c, i->rm, 1);
    else
        v = mem_read(c, i->seg, ea_off(c, i), word ? 2 : 1);
    c->r[i->reg] = v;
}

static void f_test_EI(struct cpu *c, const struct insn *i)
{
    uint32_t d = i->mod == 3 ? c->r[i->rm] : mem_read(c, i->seg, ea_off(c, i), 4);
    uint32_t r = d & i->imm;
    LF(c, LF_LOGIC, d, i->imm, r);
}

void cpu_specialize(struct insn *i)
{
    unsigned op = i->opcode;
    bool reg = i->mod == 3;
    if (i->osz != 4 || i->lock)
        return;
    static op_fn *const ev_gv[8] = {f_add_EvGv, f_or_EvGv, 0, 0, f_and_EvGv, f_sub_EvGv, f_xor_EvGv, f_cmp_EvGv};
    static op_fn *const gv_ev[8] = {f_add_GvEv, f_or_GvEv, 0, 0, f_and_GvEv, f_sub_GvEv, f_xor_GvEv, f_cmp_GvEv};
    static op_fn *const gv_m[8] = {f_add_GvM, f_or_GvM, 0, 0, f_and_GvM, f_sub_GvM, f_xor_GvM, f_cmp_GvM};
    static op_fn *const ri[8] = {f_add_RI, f_or_RI, 0, 0, f_and_RI, f_sub_RI, f_xor_RI, f_cmp_RI};
    if (op < 0x40 && (op & 7) == 1 && reg && ev_gv[op >> 3]) {
        i->fn = ev_gv[op >> 3];
    } else if (op < 0x40 && (op & 7) == 3 && ev_gv[op >> 3]) {
        i->fn = reg ? gv_ev[op >> 3] : gv_m[op >> 3];
    } else if ((op == 0x81 || op == 0x83) && reg && ri[i->reg]) {
        i->fn = ri[i->reg];
    } else if (op == 0x89) {
        i->fn = reg ? f_mov_rr_EvGv : f_mov_store;
    } else if (op == 0x8b) {
        i->fn = reg ? f_mov_rr_GvEv : f_mov_load;
    } else if (op >= 0xb8 && op <= 0xbf) {
        i->fn = f_mov_rI;
    } else if (op == 0x8d && i->amask == 0xffffffffu) {
        i->fn = f_lea;
    } else if (op >= 0x40 && op <= 0x47) {
        i->fn = f_inc;
    } else if (op >= 0x48 && op <= 0x4f) {
        i->fn = f_dec;
    } else if (op >= 0x50 && op <= 0x57) {
        i->fn = f_push_r;
    } else if (op >= 0x58 && op <= 0x5f && op != 0x5c) {
        i->fn = f_pop_r;
    } else if (op == 0x85 && reg) {
        i->fn = f_test_rr;
    } else if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) {
        i->fn = f_jcc32;
    } else if ((op == 0xc1 || op == 0xd1 || op == 0xd3) && reg && i->reg >= 4) {
        i->fn = f_shift32;
    } else if (op == 0xc7) {
        i->fn = reg ? f_mov_EI_reg : f_mov_EI_mem;
    } else if (op == 0x1b6 || op == 0x1b7) {
        i->fn = f_movzx;
    } else if (op == 0xf7 && i->reg <= 1) {
        i->fn = f_test_EI;
    }
}
