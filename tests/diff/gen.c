/* The differential test's case generator.
 *
 * Each case is one instruction with random-but-constrained inputs: register
 * values are biased to edge values (0, 1, 0x7f.., 0x80.., 0xff.., small
 * numbers), and every memory operand is steered into the data area by
 * solving the addressing form for its base/index registers (so 16-bit
 * addressing with wrap-around, SIB scaling, base == index, ESP as base all
 * occur). Registers an instruction uses for a fixed role (CL counts, EAX for
 * CMPXCHG, ESI/EDI/ECX for strings, ESP for stack instructions) are pinned
 * before the addressing form is chosen, so the solver never disturbs them.
 *
 * Everything comes from a splitmix64 stream seeded by (seed, case index):
 * case i of a run is reproducible on its own. */
#include "gen.h"

#include <string.h>

#include "gen_kinds.h"

static const uint32_t fc_undef[] = {
    [FC_NONE] = 0,
    [FC_ARITH] = 0,
    [FC_LOGIC] = DF_AF,
    [FC_MUL] = DF_SF | DF_ZF | DF_AF | DF_PF,
    [FC_DIV] = DF_OSZAPC,
    [FC_BT] = DF_OF | DF_SF | DF_AF | DF_PF,
    [FC_BSF] = DF_OF | DF_SF | DF_AF | DF_PF | DF_CF,
    [FC_DAA] = DF_OF,
    [FC_AAA] = DF_OF | DF_SF | DF_ZF | DF_PF,
    [FC_AAM] = DF_OF | DF_AF | DF_CF,
    [FC_INCDEC] = 0,
};

enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI };

/* Safe stack for instructions that may fault (see README: the emulator's
 * exception frame must land in guest RAM outside the code and data). */
#define SAFE_ESP_LO 0x00300000u
#define SAFE_ESP_SPAN 0x000f0000u



/* ---- random numbers ---- */

struct gen {
    uint64_t s;
    const struct diff_env *env;
    struct diff_case *c;
    struct diff_in *in;
    uint8_t pre[DIFF_CODE_MAX];
    unsigned npre;
    uint8_t body[24];
    unsigned nbody;
    unsigned osz;        /* operand size of the instruction's main operand: 1, 2, 4 */
    bool a16;            /* 67 prefix: 16-bit addressing */
    bool may_fault;      /* the emulator needs a safe ESP (see SAFE_ESP_LO) */
    uint8_t pinned;      /* registers whose value the addressing solver must not change */
    int mem_off;         /* data-area offset of the memory operand, -1 for a register */
    uint32_t code_addr;  /* where the instruction sits */
    uint8_t seg;         /* segment prefix emitted, 0 if none */
};

static uint64_t rnd64(struct gen *g)
{
    uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t rnd(struct gen *g) { return (uint32_t)(rnd64(g) >> 32); }
static unsigned below(struct gen *g, unsigned n) { return (unsigned)(((uint64_t)rnd(g) * n) >> 32); }
static bool chance(struct gen *g, unsigned pct) { return below(g, 100) < pct; }

static uint32_t size_mask(unsigned bytes) { return bytes >= 4 ? 0xffffffffu : (1u << (bytes * 8)) - 1; }

/* An edge-biased value of `bytes` bytes. */
static uint32_t edge(struct gen *g, unsigned bytes)
{
    uint32_t mask = size_mask(bytes), sign = 1u << (bytes * 8 - 1), v;
    switch (below(g, 16)) {
    case 0: v = 0; break;
    case 1: v = 1; break;
    case 2: v = sign - 1; break;
    case 3: v = sign; break;
    case 4: v = mask; break;
    case 5: v = sign + below(g, 3); break;
    case 6: v = below(g, 16); break;
    case 7: v = 0u - below(g, 16); break;
    case 8: v = 1u << below(g, bytes * 8); break;
    case 9: v = sign - 1 - below(g, 3); break;
    case 10: v = (rnd(g) & 0x0f0f0f0f) | (below(g, 2) ? 0x80808080u : 0); break; /* BCD-ish */
    default: v = rnd(g); break;
    }
    return v & mask;
}

/* ---- registers and memory ---- */

static void set_reg(struct gen *g, unsigned r, uint32_t v) { g->in->regs[r] = v; }

/* Register operand r of size bytes (byte regs 4..7 are AH CH DH BH). */
static void set_op_reg(struct gen *g, unsigned r, unsigned bytes, uint32_t v)
{
    uint32_t *p;
    if (bytes == 1) {
        p = &g->in->regs[r & 3];
        unsigned sh = (r & 4) ? 8 : 0;
        *p = (*p & ~(0xffu << sh)) | ((v & 0xff) << sh);
        return;
    }
    p = &g->in->regs[r];
    *p = (*p & ~size_mask(bytes)) | (v & size_mask(bytes));
}

static uint32_t get_op_reg(struct gen *g, unsigned r, unsigned bytes)
{
    if (bytes == 1)
        return (g->in->regs[r & 3] >> ((r & 4) ? 8 : 0)) & 0xff;
    return g->in->regs[r] & size_mask(bytes);
}

static void mem_put(struct gen *g, unsigned off, unsigned bytes, uint32_t v)
{
    for (unsigned i = 0; i < bytes && off + i < DIFF_DATA_SIZE; i++)
        g->in->data[off + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t mem_get(struct gen *g, unsigned off, unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes && off + i < DIFF_DATA_SIZE; i++)
        v |= (uint32_t)g->in->data[off + i] << (8 * i);
    return v;
}

static void pin(struct gen *g, unsigned r) { g->pinned |= (uint8_t)(1u << r); }
static bool pinned(struct gen *g, unsigned r) { return g->pinned & (1u << r); }

/* ---- encoding ---- */

static void prefix(struct gen *g, uint8_t b) { g->pre[g->npre++] = b; }
static void emit(struct gen *g, uint8_t b) { g->body[g->nbody++] = b; }
static void emit16(struct gen *g, uint32_t v) { emit(g, (uint8_t)v); emit(g, (uint8_t)(v >> 8)); }
static void emit32(struct gen *g, uint32_t v) { emit16(g, v); emit16(g, v >> 16); }
static void emit_imm(struct gen *g, unsigned bytes, uint32_t v)
{
    if (bytes == 1) emit(g, (uint8_t)v);
    else if (bytes == 2) emit16(g, v);
    else emit32(g, v);
}

static void opcode(struct gen *g, unsigned op)
{
    if (op >= 0x100)
        emit(g, 0x0f);
    emit(g, (uint8_t)op);
}

/* Operand size for a "v" operand: 16 (66 prefix) or 32. */
static void choose_osz(struct gen *g, unsigned form_size)
{
    if (form_size == 0) {
        g->osz = chance(g, 40) ? 2 : 4;
        if (g->osz == 2)
            prefix(g, 0x66);
    } else {
        g->osz = form_size;
    }
}

static void modrm_reg(struct gen *g, unsigned reg, unsigned rm)
{
    emit(g, (uint8_t)(0xc0 | reg << 3 | rm));
    g->mem_off = -1;
}

static uint32_t inverse_odd(uint32_t k)
{
    uint32_t x = k;
    for (int i = 0; i < 5; i++)
        x *= 2 - k * x;
    return x;
}

/* A memory operand at ModRM reg field `reg` whose effective address reaches
 * data-area offset `off` (free: any address, nothing is accessed, as for LEA).
 * Picks a random 16- or 32-bit addressing form and solves for its registers. */
static void modrm_mem_at(struct gen *g, unsigned reg, unsigned off, bool free)
{
    static const int8_t b16[8][2] = {
        { R_BX, R_SI }, { R_BX, R_DI }, { R_BP, R_SI }, { R_BP, R_DI },
        { R_SI, -1 }, { R_DI, -1 }, { R_BP, -1 }, { R_BX, -1 },
    };
    g->mem_off = free ? -1 : (int)off;
    bool a16 = chance(g, 20);
    if (a16) {
        for (int tries = 0; tries < 16; tries++) {
            unsigned mod = below(g, 3), rm = below(g, 8);
            int r1 = b16[rm][0], r2 = b16[rm][1];
            if (mod == 0 && rm == 6)
                r1 = -1;
            if ((r1 >= 0 && pinned(g, r1)) || (r2 >= 0 && pinned(g, r2)))
                continue;
            uint32_t disp = mod == 1 ? (uint32_t)(int8_t)rnd(g) : (mod == 2 || r1 < 0) ? rnd(g) & 0xffff : 0;
            uint32_t t = free ? rnd(g) & 0xffff : off;
            if (r1 < 0) {
                disp = t;
            } else if (r2 < 0) {
                set_reg(g, r1, (rnd(g) & 0xffff0000u) | ((t - disp) & 0xffff));
            } else {
                uint32_t v1 = rnd(g);
                set_reg(g, r1, v1);
                set_reg(g, r2, (rnd(g) & 0xffff0000u) | ((t - disp - v1) & 0xffff));
            }
            if (r1 >= 0) pin(g, r1);
            if (r2 >= 0) pin(g, r2);
            g->a16 = true;
            prefix(g, 0x67);
            if (!free) {
                prefix(g, 0x64);   /* FS: base = the data area */
                g->seg = 0x64;
            }
            emit(g, (uint8_t)(mod << 6 | reg << 3 | rm));
            if (mod == 1)
                emit(g, (uint8_t)disp);
            else if (mod == 2 || r1 < 0)
                emit16(g, disp);
            return;
        }
    }
    /* 32-bit addressing: FS (base = data area) or a flat segment */
    uint32_t t = free ? rnd(g) : DIFF_DATA_ADDR + off;
    if (!free) {
        unsigned s = below(g, 10);
        if (s < 2) {
            prefix(g, 0x64);
            g->seg = 0x64;
            t = off;
        } else if (s < 4) {
            static const uint8_t flat[3] = { 0x26, 0x36, 0x3e };
            g->seg = flat[below(g, 3)];
            prefix(g, g->seg);
        }
    }
    for (int tries = 0; tries < 32; tries++) {
        unsigned mod = below(g, 3), rm = below(g, 8), scale = 0;
        int base, index = -1;
        bool sib = rm == 4;
        if (sib) {
            scale = below(g, 4);
            index = (int)below(g, 8);
            base = (int)below(g, 8);
            if (index == 4)
                index = -1;
            if (base == 5 && mod == 0)
                base = -1;
        } else {
            base = (rm == 5 && mod == 0) ? -1 : (int)rm;
        }
        if ((base >= 0 && pinned(g, base)) || (index >= 0 && pinned(g, index)))
            continue;
        bool disp32 = mod == 2 || base < 0;
        uint32_t disp = mod == 1 ? (uint32_t)(int8_t)rnd(g) : disp32 ? (chance(g, 50) ? rnd(g) : edge(g, 4)) : 0;
        if (base < 0 && index < 0) {
            disp = t;
        } else if (base < 0) {
            uint32_t iv = chance(g, 50) ? edge(g, 4) : rnd(g);
            set_reg(g, index, iv);
            disp = t - (iv << scale);
        } else if (index < 0) {
            set_reg(g, base, t - disp);
        } else if (base != index) {
            uint32_t iv = chance(g, 50) ? edge(g, 4) : rnd(g);
            set_reg(g, index, iv);
            set_reg(g, base, t - disp - (iv << scale));
        } else {
            uint32_t k = 1 + (1u << scale), need = t - disp;
            if (k == 2) {
                if (need & 1)
                    continue;
                set_reg(g, base, (need >> 1) | (rnd(g) & 0x80000000u));
            } else {
                set_reg(g, base, need * inverse_odd(k));
            }
        }
        if (base >= 0) pin(g, base);
        if (index >= 0) pin(g, index);
        emit(g, (uint8_t)(mod << 6 | reg << 3 | rm));
        if (sib)
            emit(g, (uint8_t)(scale << 6 | (index < 0 ? 4 : index) << 3 | (base < 0 ? 5 : base)));
        if (mod == 1)
            emit(g, (uint8_t)disp);
        else if (disp32)
            emit32(g, disp);
        return;
    }
    emit(g, (uint8_t)(reg << 3 | 5));
    emit32(g, t);
}

/* A memory operand of `bytes` bytes somewhere in the data area; returns its offset. */
static unsigned modrm_mem(struct gen *g, unsigned reg, unsigned bytes)
{
    unsigned off = below(g, DIFF_DATA_SIZE - bytes + 1);
    modrm_mem_at(g, reg, off, false);
    return off;
}

/* E operand: register or memory (pct % memory); the operand gets value v. */
static void modrm_E(struct gen *g, unsigned reg, unsigned bytes, unsigned pct_mem, uint32_t v)
{
    if (chance(g, pct_mem)) {
        unsigned off = modrm_mem(g, reg, bytes);
        mem_put(g, off, bytes, v);
    } else {
        unsigned rm = below(g, 8);
        modrm_reg(g, reg, rm);
        /* a pinned register (ESP of a stack instruction, a CL count) keeps
         * the value its role needs */
        if (!pinned(g, bytes == 1 ? rm & 3 : rm))
            set_op_reg(g, rm, bytes, v);
    }
}

/* LOCK: on lockable memory forms often; elsewhere rarely, where it is #UD. */
static void maybe_lock(struct gen *g, bool lockable)
{
    bool mem = g->mem_off >= 0;
    if (lockable && mem) {
        if (chance(g, 30))
            prefix(g, 0xf0);
    } else if (chance(g, 2)) {
        prefix(g, 0xf0);
        g->may_fault = true;
    }
}

/* ---- branches ---- */

/* A branch target on an INT3 of the code page, outside [insn, insn+len+5). */
static uint32_t land(struct gen *g, unsigned len)
{
    uint32_t lo = DIFF_CODE_PAGE, hi = DIFF_CODE_PAGE + DIFF_CODE_SIZE;
    uint32_t gap_lo = g->code_addr, gap_hi = g->code_addr + len + 5;
    for (;;) {
        uint32_t t = lo + below(g, hi - lo);
        if (t < gap_lo || t >= gap_hi)
            return t;
    }
}

/* rel8 from next to a landing pad */
static int rel8_target(struct gen *g, unsigned len)
{
    for (;;) {
        int rel = (int)below(g, 256) - 128;
        uint32_t t = g->code_addr + len + (uint32_t)rel;
        if (t < g->code_addr || t >= g->code_addr + len + 5)
            return rel;
    }
}

/* ESP inside the data area with room for `below` bytes of pushes under it
 * and `above` bytes of pops over it. */
static void stack_in_data(struct gen *g, unsigned down, unsigned up)
{
    unsigned off = down + below(g, DIFF_DATA_SIZE - down - up + 1);
    set_reg(g, R_SP, DIFF_DATA_ADDR + off);
    pin(g, R_SP);
}

static unsigned shift_count(struct gen *g, unsigned width)
{
    switch (below(g, 12)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return width - 1;
    case 3: return width;
    case 4: return width + 1;
    case 5: return 31;
    case 6: return 32;
    case 7: return 33;
    case 8: return 2 + below(g, width - 2);
    case 9: return below(g, 256);
    default: return below(g, 32);
    }
}

/* SDM Vol. 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR: "Flags Affected". */
static uint32_t shift_undef(unsigned sub, unsigned width, unsigned count)
{
    unsigned m = count & 31;
    if (m == 0)
        return 0;
    uint32_t u = m == 1 ? 0 : DF_OF;
    if (sub >= 4) {
        u |= DF_AF;
        if ((sub == 4 || sub == 5 || sub == 6) && m >= width)
            u |= DF_CF;
    }
    return u;
}

/* ---- segment selectors ---- */

/* Pagoda's GDT has 16 entries, as Linux's (x86-64 kernel) has; indices 16 and
 * up are beyond the limit, and there is no LDT. */
#define GDT_ENTRIES 16u

/* A selector for loading segment register sr: usually a valid one for it,
 * else one that faults (null for SS/CS, beyond the GDT, in the absent LDT,
 * wrong type or privilege). The executor's selectors are the only valid
 * descriptors both sides agree on. */
static uint16_t pick_sel(struct gen *g, unsigned sr)
{
    const uint16_t *sel = g->env->sel;
    unsigned r = below(g, 20);
    uint16_t v;
    if (r < 10) {
        /* valid: SS takes only the flat data selector with RPL 3; CS the code
         * selector (RPL <= CPL is fine for non-conforming code); data
         * registers take data or readable code with any RPL */
        if (sr == SR_SS)
            return sel[SR_DS];
        if (sr == SR_CS)
            return (uint16_t)((sel[SR_CS] & ~3u) | below(g, 4));
        static const unsigned pool[4] = { SR_DS, SR_CS, SR_FS, SR_GS };
        return (uint16_t)((sel[pool[below(g, 4)]] & ~3u) | below(g, 4));
    }
    switch (r) {
    case 10: case 11: v = (uint16_t)below(g, 4); break;                          /* null */
    case 12: v = (uint16_t)((GDT_ENTRIES + below(g, 8192 - GDT_ENTRIES)) << 3 | below(g, 4)); break;
    case 13: v = (uint16_t)(rnd(g) | 4); break;                                  /* LDT */
    case 14: v = (uint16_t)((sel[SR_DS] & ~3u) | below(g, 3)); break;            /* RPL < 3 */
    case 15: v = sel[SR_CS]; break;                                              /* code */
    case 16: v = sel[SR_DS]; break;                                              /* data */
    case 17: v = sr == SR_SS ? sel[SR_CS] : sel[SR_FS]; break;   /* SS: never a based segment */
    default: v = (uint16_t)((sel[SR_CS] & ~3u) | below(g, 4)); break;
    }
    return v;
}

/* A far-transfer target: a landing pad through the code selector mostly.
 * JMP/CALL take any RPL <= CPL there; RET/IRET need RPL 3 (a return to an
 * inner level is #GP), so for them RPL 3 is the usual case. */
static void far_target(struct gen *g, unsigned len, bool ret, uint32_t *off, uint16_t *sel)
{
    *off = land(g, len);
    unsigned rpl = ret && chance(g, 80) ? 3 : below(g, 4);
    *sel = chance(g, 75) ? (uint16_t)((g->env->sel[SR_CS] & ~3u) | rpl) : pick_sel(g, SR_CS);
}

/* ---- the forms ---- */

static void gen_muldiv(struct gen *g, const struct diff_form *f)
{
    unsigned sz = g->osz, sub = (unsigned)f->sub;
    uint32_t v = edge(g, sz);
    if (sub >= 6 && chance(g, 80)) {
        /* mostly quotients that fit: no #DE */
        if (v == 0)   /* a small divisor that fits the operand */
            v = 1 + below(g, sz == 1 ? 255 : 1000);
        uint64_t dv = sub == 6 ? v : (uint64_t)(int64_t)(int32_t)(sz == 1 ? (int8_t)v : sz == 2 ? (int16_t)v : (int32_t)v);
        int64_t sdv = (int64_t)dv;
        uint32_t qmask = size_mask(sz);
        uint64_t dividend;
        if (sub == 6) {
            uint64_t q = edge(g, sz) & qmask, r = dv ? rnd64(g) % dv : 0;
            dividend = q * dv + r;
        } else {
            int64_t q = (int64_t)(sz == 1 ? (int8_t)edge(g, 1) : sz == 2 ? (int16_t)edge(g, 2) : (int32_t)edge(g, 4));
            int64_t ad = sdv < 0 ? -sdv : sdv;
            int64_t r = (int64_t)(rnd64(g) % (uint64_t)ad);
            int64_t prod = q * sdv;
            if (prod < 0 || (prod == 0 && chance(g, 50)))
                r = -r;
            dividend = (uint64_t)(prod + r);
        }
        if (sz == 1) {
            set_op_reg(g, R_AX, 2, (uint32_t)dividend);
        } else if (sz == 2) {
            set_op_reg(g, R_AX, 2, (uint32_t)dividend);
            set_op_reg(g, R_DX, 2, (uint32_t)(dividend >> 16));
        } else {
            set_reg(g, R_AX, (uint32_t)dividend);
            set_reg(g, R_DX, (uint32_t)(dividend >> 32));
        }
    } else {
        set_op_reg(g, R_AX, sz, edge(g, sz));
        if (sz > 1)
            set_op_reg(g, R_DX, sz, edge(g, sz));
        else
            set_op_reg(g, 4, 1, edge(g, 1));
    }
    if (sub >= 6)
        g->may_fault = true;
    pin(g, R_AX);
    if (sz > 1)
        pin(g, R_DX);
    /* the divisor may still be AX/DX themselves when rm picks them */
    modrm_E(g, sub, sz, 50, v);
}

static void gen_string(struct gen *g, const struct diff_form *f)
{
    unsigned what = f->aux, sz = g->osz;
    bool rep = chance(g, 70);
    if (rep) {
        /* REP for MOVS/STOS/LODS; REPE or REPNE for CMPS/SCAS */
        prefix(g, (what == 1 || what == 4) && chance(g, 50) ? 0xf2 : 0xf3);
    }
    bool a16 = chance(g, 25);
    if (a16)
        prefix(g, 0x67);
    bool df = chance(g, 50);
    g->in->eflags = (g->in->eflags & ~0x400u) | (df ? 0x400u : 0);
    unsigned n = rep ? below(g, 9) : 1;
    unsigned span = (n ? n : 1) * sz;
    bool uses_src = what == 0 || what == 1 || what == 3;
    bool uses_dst = what == 0 || what == 1 || what == 2 || what == 4;
    /* count */
    if (rep) {
        if (a16)
            set_reg(g, R_CX, (rnd(g) & 0xffff0000u) | n);
        else
            set_reg(g, R_CX, n);
    }
    pin(g, R_CX);
    /* start offsets: DF=1 walks down from the last element */
    unsigned soff = below(g, DIFF_DATA_SIZE - span + 1), doff = below(g, DIFF_DATA_SIZE - span + 1);
    if (df) {
        soff += span - sz;
        doff += span - sz;
    }
    /* source segment: DS default; overrides FS (data-area base) / ES / SS */
    uint32_t sbase = DIFF_DATA_ADDR;
    if (uses_src) {
        unsigned s = below(g, 8);
        if (a16 || s == 0) {
            prefix(g, 0x64);
            sbase = 0;
        } else if (s == 1) {
            prefix(g, chance(g, 50) ? 0x36 : 0x3e);
        }
    } else if (chance(g, 5)) {
        prefix(g, 0x3e);   /* an override on a string op with no DS source: ignored */
    }
    uint32_t dbase = DIFF_DATA_ADDR;
    if (uses_dst && (a16 || chance(g, 20))) {
        g->in->flags |= DIFF_F_ES_ALT;
        dbase = 0;
    }
    if (a16) {
        set_reg(g, R_SI, (rnd(g) & 0xffff0000u) | (sbase + soff));
        set_reg(g, R_DI, (rnd(g) & 0xffff0000u) | (dbase + doff));
    } else {
        set_reg(g, R_SI, uses_src ? sbase + soff : rnd(g));
        set_reg(g, R_DI, uses_dst ? dbase + doff : rnd(g));
    }
    /* CMPS/SCAS: make equal runs likely so REPE/REPNE end for both reasons */
    if (what == 1 && chance(g, 60)) {
        memmove(&g->in->data[df ? doff + sz - span : doff], &g->in->data[df ? soff + sz - span : soff], span);
        if (chance(g, 50))
            g->in->data[(df ? doff + sz - span : doff) + below(g, span)] ^= (uint8_t)(1u << below(g, 8));
    }
    if (what == 4) {
        unsigned e = df ? doff - sz * below(g, n ? n : 1) : doff + sz * below(g, n ? n : 1);
        uint32_t v = chance(g, 50) ? mem_get(g, e, sz) : edge(g, sz);
        set_op_reg(g, R_AX, sz, v);
        if (chance(g, 30)) /* a run of equal elements for REPE */
            for (unsigned i = 0; i < (n ? n : 1); i++)
                mem_put(g, df ? doff - sz * i : doff + sz * i, sz, v);
    }
    static const uint8_t ops[5] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };
    emit(g, (uint8_t)(ops[what] | (sz > 1 ? 1 : 0)));
}

static void gen_form(struct gen *g, const struct diff_form *f)
{
    struct diff_in *in = g->in;
    unsigned op = f->op + (f->count > 1 ? below(g, f->count) : 0);
    unsigned fc = f->aux & 15;
    bool lockable = f->aux & LOCKABLE;
    unsigned sz, reg;
    /* the generic kinds carry a flag class in aux; the others use aux for
     * their own detail and leave every flag defined unless they say so */
    uint32_t undef = 0;
    switch ((enum gen_kind)f->kind) {
    case K_EG: case K_GE: case K_AI: case K_EI: case K_E: case K_MULDIV: case K_IMUL3:
    case K_BT_G: case K_BT_I: case K_BSF: case K_CMPXCHG: case K_BCD: case K_AAMD: case K_REG:
        undef = fc_undef[fc];
        break;
    default:
        break;
    }

    switch ((enum gen_kind)f->kind) {
    case K_EG:
    case K_GE:
        choose_osz(g, f->size);
        sz = g->osz;
        reg = below(g, 8);
        set_op_reg(g, reg, sz, edge(g, sz));
        opcode(g, op);
        modrm_E(g, reg, sz, 50, edge(g, sz));
        if (f->kind == K_EG)
            maybe_lock(g, lockable);
        else
            maybe_lock(g, false);
        break;
    case K_AI:
        choose_osz(g, f->size);
        sz = g->osz;
        set_op_reg(g, R_AX, sz, edge(g, sz));
        opcode(g, op);
        emit_imm(g, sz, edge(g, sz));
        break;
    case K_EI: {
        choose_osz(g, f->size);
        sz = g->osz;
        unsigned isz = op == 0x83 ? 1 : sz;
        uint32_t imm = edge(g, isz);
        opcode(g, op);
        modrm_E(g, (unsigned)f->sub, sz, 50, edge(g, sz));
        emit_imm(g, isz, imm);
        maybe_lock(g, lockable);
        break;
    }
    case K_E:
        choose_osz(g, f->size);
        sz = g->osz;
        opcode(g, op);
        modrm_E(g, f->sub >= 0 ? (unsigned)f->sub : below(g, 8), sz, 50, edge(g, sz));
        maybe_lock(g, lockable);
        break;
    case K_MULDIV:
        choose_osz(g, f->size);
        opcode(g, op);
        gen_muldiv(g, f);
        break;
    case K_SHIFT: {
        choose_osz(g, f->size);
        sz = g->osz;
        unsigned count = f->aux == 1 ? 1 : shift_count(g, sz * 8);
        if (f->aux == 2) {
            set_reg(g, R_CX, (rnd(g) & ~0xffu) | count);
            pin(g, R_CX);
        }
        opcode(g, op);
        modrm_E(g, (unsigned)f->sub, sz, 50, edge(g, sz));
        if (f->aux == 2 && g->mem_off < 0)
            count = in->regs[R_CX] & 0xff;   /* the operand may be CL itself */
        if (f->aux == 0)
            emit(g, (uint8_t)count);
        undef = shift_undef((unsigned)f->sub, sz * 8, count);
        break;
    }
    case K_SHXD: {
        choose_osz(g, 0);
        sz = g->osz;
        unsigned count;
        do
            count = shift_count(g, sz * 8);
        while ((count & 31) > sz * 8);   /* beyond the width: undefined result */
        if (f->aux == 1) {
            set_reg(g, R_CX, (rnd(g) & ~0xffu) | count);
            pin(g, R_CX);
        }
        do
            reg = below(g, 8);
        while (f->aux == 1 && reg == R_CX);
        set_op_reg(g, reg, sz, edge(g, sz));
        opcode(g, op);
        unsigned rm;
        if (f->aux == 1) {
            do
                rm = below(g, 8);
            while (rm == R_CX);
            if (chance(g, 50)) {
                unsigned off = modrm_mem(g, reg, sz);
                mem_put(g, off, sz, edge(g, sz));
            } else {
                modrm_reg(g, reg, rm);
                set_op_reg(g, rm, sz, edge(g, sz));
            }
        } else {
            modrm_E(g, reg, sz, 50, edge(g, sz));
            emit(g, (uint8_t)count);
        }
        unsigned m = count & 31;
        undef = m == 0 ? 0 : (m == 1 ? 0 : DF_OF) | DF_AF;
        break;
    }
    case K_IMUL3:
        choose_osz(g, 0);
        sz = g->osz;
        opcode(g, op);
        modrm_E(g, below(g, 8), sz, 50, edge(g, sz));
        emit_imm(g, op == 0x6b ? 1 : sz, edge(g, op == 0x6b ? 1 : sz));
        break;
    case K_BT_G: {
        choose_osz(g, 0);
        sz = g->osz;
        reg = below(g, 8);
        opcode(g, op);
        if (chance(g, 50)) {
            /* memory: the bit offset reaches beyond the operand, either way */
            unsigned off = below(g, DIFF_DATA_SIZE - sz + 1) & ~(sz - 1);
            int lo = -(int)(off / sz), hi = (int)((DIFF_DATA_SIZE - sz - off) / sz);
            int k = lo + (int)below(g, (unsigned)(hi - lo + 1));
            int32_t bit = k * (int)(8 * sz) + (int)below(g, 8 * sz);
            set_op_reg(g, reg, sz, (uint32_t)bit);
            pin(g, reg);
            modrm_mem_at(g, reg, off, false);
            maybe_lock(g, lockable);
        } else {
            unsigned rm = below(g, 8);
            set_op_reg(g, reg, sz, edge(g, sz));
            modrm_reg(g, reg, rm);
            if (rm != reg)
                set_op_reg(g, rm, sz, edge(g, sz));
            maybe_lock(g, false);
        }
        break;
    }
    case K_BT_I:
        choose_osz(g, 0);
        sz = g->osz;
        opcode(g, op);
        modrm_E(g, (unsigned)f->sub, sz, 50, edge(g, sz));
        emit(g, (uint8_t)rnd(g));
        maybe_lock(g, lockable);
        break;
    case K_BSF:
        choose_osz(g, 0);
        sz = g->osz;
        reg = below(g, 8);
        set_op_reg(g, reg, sz, edge(g, sz));
        opcode(g, op);
        modrm_E(g, reg, sz, 50, chance(g, 15) ? 0 : edge(g, sz));
        break;
    case K_MOVX:
        choose_osz(g, 0);
        reg = below(g, 8);
        set_op_reg(g, reg, g->osz, edge(g, g->osz));
        opcode(g, op);
        modrm_E(g, reg, f->size, 50, edge(g, f->size));
        break;
    case K_CMPXCHG: {
        choose_osz(g, f->size);
        sz = g->osz;
        reg = below(g, 8);
        set_op_reg(g, reg, sz, edge(g, sz));
        set_op_reg(g, R_AX, sz, edge(g, sz));
        pin(g, R_AX);
        opcode(g, op);
        uint32_t dv = edge(g, sz);
        bool equal = chance(g, 50);
        if (equal)
            dv = get_op_reg(g, R_AX, sz);
        modrm_E(g, reg, sz, 50, dv);
        if (g->mem_off < 0 && equal)
            set_op_reg(g, R_AX, sz, dv);
        maybe_lock(g, lockable);
        break;
    }
    case K_CMPXCHG8B: {
        g->osz = 8;
        for (unsigned r = 0; r < 4; r++) {
            set_reg(g, r, edge(g, 4));
            pin(g, r);
        }
        opcode(g, op);
        if (chance(g, 3)) {
            modrm_reg(g, 1, below(g, 8));    /* register operand: #UD */
            g->may_fault = true;
        } else {
            unsigned off = modrm_mem(g, 1, 8);
            if (chance(g, 50)) {
                mem_put(g, off, 4, in->regs[R_AX]);
                mem_put(g, off + 4, 4, in->regs[R_DX]);
            }
            if (chance(g, 30))
                prefix(g, 0xf0);
        }
        break;
    }
    case K_BSWAP:
        opcode(g, op);
        break;
    case K_MOV_RI:
        choose_osz(g, f->size);
        opcode(g, op);
        emit_imm(g, g->osz, edge(g, g->osz));
        break;
    case K_MOFFS: {
        choose_osz(g, f->size);
        sz = g->osz;
        unsigned off = below(g, DIFF_DATA_SIZE - sz + 1);
        bool a16 = chance(g, 25);
        if (a16) {
            prefix(g, 0x67);
            prefix(g, 0x64);
        } else if (chance(g, 20)) {
            prefix(g, 0x3e);
        }
        opcode(g, op);
        if (a16)
            emit16(g, off);
        else
            emit32(g, DIFF_DATA_ADDR + off);
        mem_put(g, off, sz, edge(g, sz));
        break;
    }
    case K_LEA:
        choose_osz(g, 0);
        opcode(g, op);
        modrm_mem_at(g, below(g, 8), 0, true);
        break;
    case K_REG:
        choose_osz(g, f->size);
        opcode(g, op);
        break;
    case K_NONE:
        choose_osz(g, f->size);
        opcode(g, op);
        break;
    case K_BCD:
        /* AL values around the BCD boundaries, AF/CF both ways */
        opcode(g, op);
        break;
    case K_AAMD: {
        opcode(g, op);
        unsigned r = below(g, 10);
        uint8_t imm = r < 5 ? 10 : r < 6 ? 0 : (uint8_t)edge(g, 1);
        if (op == 0xd4 && imm == 0)
            g->may_fault = true;
        emit(g, imm);
        break;
    }
    case K_STRING:
        choose_osz(g, f->size);
        gen_string(g, f);
        break;
    case K_XLAT: {
        bool a16 = chance(g, 25);
        uint32_t base = DIFF_DATA_ADDR;
        if (a16) {
            prefix(g, 0x67);
            prefix(g, 0x64);
            base = 0;
        }
        unsigned off = below(g, DIFF_DATA_SIZE);
        uint32_t ebx = base + off - (in->regs[R_AX] & 0xff);
        if (a16)
            ebx = (rnd(g) & 0xffff0000u) | (ebx & 0xffff);
        set_reg(g, R_BX, ebx);
        opcode(g, op);
        break;
    }
    case K_PUSH_R:
        choose_osz(g, 0);
        stack_in_data(g, 4, 0);
        opcode(g, op);
        break;
    case K_POP_R:
        choose_osz(g, 0);
        stack_in_data(g, 0, 4);
        opcode(g, op);
        break;
    case K_PUSH_I:
        choose_osz(g, 0);
        stack_in_data(g, 4, 0);
        opcode(g, op);
        emit_imm(g, op == 0x6a ? 1 : g->osz, edge(g, op == 0x6a ? 1 : g->osz));
        break;
    case K_PUSH_E:
        choose_osz(g, 0);
        stack_in_data(g, 4, 0);
        opcode(g, op);
        modrm_E(g, 6, g->osz, 50, edge(g, g->osz));
        break;
    case K_POP_E:
        choose_osz(g, 0);
        stack_in_data(g, 0, 4);
        opcode(g, op);
        modrm_E(g, 0, g->osz, 50, edge(g, g->osz));
        break;
    case K_PUSHA:
        choose_osz(g, 0);
        stack_in_data(g, 32, 0);
        opcode(g, op);
        break;
    case K_POPA:
        choose_osz(g, 0);
        stack_in_data(g, 0, 32);
        opcode(g, op);
        break;
    case K_PUSHF:
        choose_osz(g, 0);
        stack_in_data(g, 4, 0);
        opcode(g, op);
        break;
    case K_POPF: {
        choose_osz(g, 0);
        stack_in_data(g, 0, 4);
        /* TF stays 0 (no single-step trap); IF 1 and IOPL 0, which user mode
         * cannot change natively; everything else random, reserved bits too. */
        uint32_t v = (rnd(g) & ~(0x100u | 0x3000u)) | 0x200u;
        mem_put(g, in->regs[R_SP] - DIFF_DATA_ADDR, g->osz, v);
        opcode(g, op);
        break;
    }
    case K_ENTER: {
        choose_osz(g, 0);
        unsigned level = chance(g, 50) ? below(g, 4) : below(g, 40);
        unsigned l = level & 31, w = g->osz;
        stack_in_data(g, w * (l + 1), 0);
        unsigned boff = w * l + below(g, DIFF_DATA_SIZE - w * l - w + 1);
        set_reg(g, R_BP, DIFF_DATA_ADDR + boff);   /* a 32-bit stack: all of EBP counts */
        pin(g, R_BP);
        opcode(g, op);
        /* the CPU probes the final frame (ESP - size) for writability: keep
         * all of it inside the data area */
        unsigned room = in->regs[R_SP] - DIFF_DATA_ADDR - w * (l + 1);
        emit16(g, chance(g, 20) ? room : below(g, room + 1));
        emit(g, (uint8_t)level);
        break;
    }
    case K_LEAVE:
        choose_osz(g, 0);
        set_reg(g, R_BP, DIFF_DATA_ADDR + below(g, DIFF_DATA_SIZE - 4 + 1));
        pin(g, R_BP);
        opcode(g, op);
        break;
    case K_JCC:
        opcode(g, op);
        if (op < 0x100) {
            unsigned len = g->npre + g->nbody + 1;
            emit(g, (uint8_t)rel8_target(g, len));
        } else {
            unsigned len = g->npre + g->nbody + 4;
            emit32(g, land(g, len) - (g->code_addr + len));
        }
        break;
    case K_JMP:
        opcode(g, op);
        if (f->size == 1) {
            emit(g, (uint8_t)rel8_target(g, g->npre + g->nbody + 1));
        } else {
            unsigned len = g->npre + g->nbody + 4;
            emit32(g, land(g, len) - (g->code_addr + len));
        }
        break;
    case K_CALL: {
        stack_in_data(g, 4, 0);
        opcode(g, op);
        unsigned len = g->npre + g->nbody + 4;
        emit32(g, land(g, len) - (g->code_addr + len));
        break;
    }
    case K_JMP_E:
    case K_CALL_E: {
        if (f->kind == K_CALL_E)
            stack_in_data(g, 4, 0);
        opcode(g, op);
        /* the target depends on the final length: encode, then fill it in */
        if (chance(g, 50)) {
            unsigned off = modrm_mem(g, (unsigned)f->sub, 4);
            unsigned len = g->npre + g->nbody;
            mem_put(g, off, 4, land(g, len));
        } else {
            unsigned rm;
            do
                rm = below(g, 8);
            while (rm == R_SP && f->kind == K_CALL_E);
            modrm_reg(g, (unsigned)f->sub, rm);
            set_reg(g, rm, land(g, g->npre + g->nbody));
        }
        break;
    }
    case K_RET: {
        stack_in_data(g, 0, 4);
        opcode(g, op);
        if (f->aux)
            emit16(g, chance(g, 50) ? below(g, 32) : rnd(g) & 0xffff);
        unsigned len = g->npre + g->nbody;
        mem_put(g, in->regs[R_SP] - DIFF_DATA_ADDR, 4, land(g, len));
        break;
    }
    case K_LOOP: {
        bool a16 = chance(g, 30);
        if (a16)
            prefix(g, 0x67);
        uint32_t cx = chance(g, 50) ? below(g, 3) : edge(g, 4);
        set_reg(g, R_CX, cx);
        opcode(g, op);
        emit(g, (uint8_t)rel8_target(g, g->npre + g->nbody + 1));
        break;
    }
    case K_BOUND: {
        choose_osz(g, 0);
        sz = g->osz;
        do
            reg = below(g, 8);
        while (reg == R_SP);   /* ESP must stay a safe stack for the #BR frame */
        uint32_t lo = edge(g, sz), hi = edge(g, sz);
        pin(g, reg);
        opcode(g, op);
        unsigned off = modrm_mem(g, reg, 2 * sz);
        if (chance(g, 60)) {
            /* ordered bounds, index inside or at an edge */
            int32_t a = sz == 2 ? (int16_t)lo : (int32_t)lo, b = sz == 2 ? (int16_t)hi : (int32_t)hi;
            if (a > b) { int32_t t = a; a = b; b = t; }
            lo = (uint32_t)a;
            hi = (uint32_t)b;
            uint32_t idx = chance(g, 30) ? lo : chance(g, 30) ? hi : lo + below(g, 8);
            set_op_reg(g, reg, sz, idx);
        } else {
            set_op_reg(g, reg, sz, edge(g, sz));
        }
        mem_put(g, off, sz, lo);
        mem_put(g, off + sz, sz, hi);
        g->may_fault = true;
        break;
    }
    case K_INTO:
    case K_INT3:
    case K_UD2:
        opcode(g, op);
        g->may_fault = true;
        break;
    case K_INTN: {
        /* gates 3 and 4 have DPL 3 (a trap), every other one DPL 0: #GP(n*8+2) */
        unsigned n;
        do
            n = chance(g, 20) ? 3 + below(g, 2) : below(g, 256);
        while (n == 0x80);
        opcode(g, op);
        emit(g, (uint8_t)n);
        g->may_fault = true;
        break;
    }
    case K_PRIV:
        /* CPL 3, IOPL 0, no I/O bitmap: each of these is #GP(0) before it
         * touches an operand */
        choose_osz(g, f->size == 4 || f->size == 2 ? 4 : f->size);
        if (f->aux == PRIV_STRING && chance(g, 40))
            prefix(g, 0xf3);
        opcode(g, op);
        switch (f->aux) {
        case PRIV_IB:
            emit(g, (uint8_t)rnd(g));
            break;
        case PRIV_E:
            modrm_E(g, (unsigned)f->sub, 2, 50, edge(g, 2));
            break;
        case PRIV_M:
            modrm_mem(g, (unsigned)f->sub, 6);
            break;
        case PRIV_CR: {
            static const uint8_t crs[4] = { 0, 2, 3, 4 };
            modrm_reg(g, crs[below(g, 4)], below(g, 8));
            break;
        }
        case PRIV_DR: {
            static const uint8_t drs[6] = { 0, 1, 2, 3, 6, 7 };
            modrm_reg(g, drs[below(g, 6)], below(g, 8));
            break;
        }
        default:
            break;
        }
        g->may_fault = true;
        break;
    case K_PUSH_SREG: {
        choose_osz(g, 0);
        stack_in_data(g, 4, 0);
        opcode(g, op);
        /* a 32-bit push of a selector writes the low word; whether the high
         * word is zeroed or left alone is model-specific (SDM Vol. 2 PUSH) */
        if (g->osz == 4) {
            unsigned top = in->regs[R_SP] - DIFF_DATA_ADDR;
            g->c->data_undef_lo = (uint16_t)(top - 2);
            g->c->data_undef_hi = (uint16_t)top;
        }
        break;
    }
    case K_POP_SREG: {
        choose_osz(g, 0);
        stack_in_data(g, 0, 4);
        uint32_t v = pick_sel(g, f->aux) | (g->osz == 4 ? rnd(g) & 0xffff0000u : 0);
        mem_put(g, in->regs[R_SP] - DIFF_DATA_ADDR, g->osz, v);
        opcode(g, op);
        g->may_fault = true;
        break;
    }
    case K_MOV_ESW: {
        choose_osz(g, 0);
        unsigned sr = chance(g, 96) ? below(g, 6) : 6 + below(g, 2);
        if (sr >= 6)
            g->may_fault = true;
        opcode(g, op);
        modrm_E(g, sr, 2, 50, edge(g, 2));
        break;
    }
    case K_MOV_SWE: {
        choose_osz(g, 0);
        static const uint8_t loadable[5] = { SR_ES, SR_SS, SR_DS, SR_FS, SR_GS };
        unsigned sr = chance(g, 96) ? loadable[below(g, 5)] : (chance(g, 50) ? SR_CS : 6 + below(g, 2));
        opcode(g, op);
        uint16_t v = pick_sel(g, sr < 6 ? sr : SR_DS);
        if (chance(g, 50)) {
            unsigned off = modrm_mem(g, sr, 2);
            mem_put(g, off, 2, v);
        } else {
            /* the source may be SP: pin it, or the safe-ESP rule would
             * replace the selector */
            unsigned rm = below(g, 8);
            modrm_reg(g, sr, rm);
            set_op_reg(g, rm, 2, v);
            pin(g, rm);
        }
        g->may_fault = true;
        break;
    }
    case K_LSEG: {
        choose_osz(g, 0);
        reg = below(g, 8);
        opcode(g, op);
        /* a register operand is #UD, but C4/C5 with mod = 3 are VEX
         * prefixes on an AVX host: only the 0F forms get one */
        if (op >= 0x100 && chance(g, 3)) {
            modrm_reg(g, reg, below(g, 8));
        } else {
            unsigned off = modrm_mem(g, reg, g->osz + 2);
            mem_put(g, off, g->osz, edge(g, g->osz));
            mem_put(g, off + g->osz, 2, pick_sel(g, f->aux));
        }
        g->may_fault = true;
        break;
    }
    case K_JMPF:
    case K_CALLF: {
        /* 32-bit operand size only: a 16-bit one would leave the code page */
        if (f->kind == K_CALLF) {
            stack_in_data(g, 8, 0);
            unsigned top = in->regs[R_SP] - DIFF_DATA_ADDR;
            g->c->data_undef_lo = (uint16_t)(top - 2);   /* high word of the CS slot */
            g->c->data_undef_hi = (uint16_t)top;
        }
        opcode(g, op);
        uint32_t off;
        uint16_t sel;
        far_target(g, g->npre + g->nbody + 6, false, &off, &sel);
        emit32(g, off);
        emit16(g, sel);
        g->may_fault = true;
        break;
    }
    case K_FAR_E: {
        if (f->aux) {
            stack_in_data(g, 8, 0);
            unsigned top = in->regs[R_SP] - DIFF_DATA_ADDR;
            g->c->data_undef_lo = (uint16_t)(top - 2);
            g->c->data_undef_hi = (uint16_t)top;
        }
        opcode(g, op);
        if (chance(g, 3)) {
            modrm_reg(g, (unsigned)f->sub, below(g, 8));   /* #UD */
        } else {
            unsigned off = modrm_mem(g, (unsigned)f->sub, 6);
            uint32_t to;
            uint16_t sel;
            far_target(g, g->npre + g->nbody, false, &to, &sel);
            mem_put(g, off, 4, to);
            mem_put(g, off + 4, 2, sel);
        }
        g->may_fault = true;
        break;
    }
    case K_RETF:
    case K_IRET: {
        unsigned n = f->kind == K_IRET ? 12 : 8;
        stack_in_data(g, 0, n);
        opcode(g, op);
        if (f->kind == K_RETF && f->aux)
            emit16(g, chance(g, 50) ? below(g, 32) : rnd(g) & 0xffff);
        uint32_t to;
        uint16_t sel;
        far_target(g, g->npre + g->nbody, true, &to, &sel);
        unsigned sp = in->regs[R_SP] - DIFF_DATA_ADDR;
        mem_put(g, sp, 4, to);
        mem_put(g, sp + 4, 4, sel | (rnd(g) & 0xffff0000u));
        if (f->kind == K_IRET) {
            /* the popped image: everything random but TF and RF (the landing
             * INT3 must trap plainly); CPL 3 keeps IOPL, IF, VM, VIF, VIP */
            mem_put(g, sp + 8, 4, rnd(g) & ~(0x100u | 0x10000u));
            in->eflags &= ~0x4000u;   /* NT = 0: not a task return */
        }
        g->may_fault = true;
        break;
    }
    case K_SELTEST: {
        /* Only descriptors both sides agree on: the executor's own (any RPL),
         * null, past the GDT limit, in the absent LDT. */
        const uint16_t *sel = g->env->sel;
        static const unsigned pool[4] = { SR_CS, SR_DS, SR_FS, SR_GS };
        unsigned r = below(g, 10);
        uint16_t v = r < 6 ? (uint16_t)((sel[pool[below(g, 4)]] & ~3u) | below(g, 4))
                   : r == 6 ? (uint16_t)below(g, 4)
                   : r == 7 ? (uint16_t)((GDT_ENTRIES + below(g, 8192 - GDT_ENTRIES)) << 3 | below(g, 4))
                   : (uint16_t)(rnd(g) | 4);
        if (f->aux) {
            choose_osz(g, 0);
            reg = below(g, 8);
            set_op_reg(g, reg, g->osz, edge(g, g->osz));
        } else {
            reg = (unsigned)f->sub;
        }
        opcode(g, op);
        modrm_E(g, reg, 2, 50, v);
        /* LAR, 32-bit: "masked by 00FxFF00H", bits 19:16 undefined (SDM Vol. 2 LAR) */
        if (op == 0x102 && g->osz == 4)
            g->c->reg_undef[reg] = 0x000f0000u;
        break;
    }
    case K_UNDEF: {
        /* #UD on the P6 and on the Intel/AMD hosts of today (not 0F 0D/0E/0F,
         * which some hosts execute: PREFETCHW, FEMMS, 3DNow!) */
        static const uint8_t ud[] = { 0x04, 0x0a, 0x0c, 0x24, 0x25, 0x26, 0x27, 0x36, 0x37, 0x39,
                                      0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x78, 0x79, 0x7a, 0x7b, 0xa6,
                                      0xa7, 0xaa, 0xb8, 0xb9, 0xff };
        emit(g, 0x0f);
        emit(g, ud[below(g, sizeof ud)]);
        modrm_reg(g, below(g, 8), below(g, 8));   /* a ModRM byte, for those that take one */
        g->may_fault = true;
        break;
    }
    }
    g->c->flags_undef = undef;
}

bool diff_form_is_undefined_opcode(const struct diff_form *f)
{
    return f->kind == K_UNDEF;
}

bool diff_form_needs_ring3(const struct diff_form *f)
{
    switch ((enum gen_kind)f->kind) {
    case K_PRIV: case K_INTN:
    case K_PUSH_SREG: case K_POP_SREG: case K_MOV_ESW: case K_MOV_SWE: case K_LSEG:
    case K_JMPF: case K_CALLF: case K_FAR_E: case K_RETF: case K_IRET: case K_SELTEST:
        return true;
    default:
        return false;
    }
}

/* ---- entry points ---- */

static bool is_branch(const struct diff_form *f)
{
    switch ((enum gen_kind)f->kind) {
    case K_JCC: case K_JMP: case K_CALL: case K_JMP_E: case K_CALL_E: case K_RET: case K_LOOP:
    case K_JMPF: case K_CALLF: case K_FAR_E: case K_RETF: case K_IRET:
        return true;
    default:
        return false;
    }
}

void diff_gen_form(const struct diff_env *env, uint64_t seed, uint64_t index,
                   const struct diff_form *f, struct diff_case *c)
{
    struct gen g;
    memset(&g, 0, sizeof g);
    memset(c, 0, sizeof *c);
    g.env = env;
    g.s = seed * 0x2545f4914f6cdd1dull + index;
    rnd64(&g);
    g.c = c;
    g.in = &c->in;
    g.mem_off = -1;
    c->form = f;
    /* 40% of instructions end near the first code page's end, so that many
     * straddle it (fetch across pages); the rest anywhere away from the edges */
    g.code_addr = chance(&g, 40) ? DIFF_CODE_PAGE + 0x1000 - 1 - below(&g, 15)
                                 : DIFF_CODE_PAGE + 0x100 + below(&g, DIFF_CODE_SIZE - 0x200);
    c->in.code_addr = g.code_addr;

    for (unsigned r = 0; r < 8; r++)
        g.in->regs[r] = chance(&g, 70) ? edge(&g, 4) : edge(&g, 1) | (rnd(&g) & 0xffffff00u);
    for (unsigned i = 0; i < DIFF_DATA_SIZE; i += 4)
        mem_put(&g, i, 4, rnd(&g));
    /* arithmetic flags and DF random; IF = 1 as in user mode; NT and ID
     * random (harmless to every instruction tested here) */
    g.in->eflags = 0x202u | (rnd(&g) & (DF_OSZAPC | 0x400u | 0x4000u | 0x200000u));

    /* A segment override on an instruction without a memory operand is
     * ignored; exercise the decoder with one now and then. */
    if (f->kind != K_STRING && f->kind != K_XLAT && f->kind != K_MOFFS && chance(&g, 3))
        prefix(&g, 0x3e);

    gen_form(&g, f);

    /* 5%: this case runs with the second data page read-only or absent, or
     * the second code page absent: page faults mid-instruction, on either
     * part of a straddling access or fetch, with partial progress (REP) and
     * restart semantics to compare */
    /* (not BOUND: the host checks the lower bound before it reads the upper
     * one, so a #BR can win over a #PF on the upper bound; that order is
     * the host's, not the SDM's) */
    /* (nor undefined opcodes: how many bytes the host fetches for one
     * before its #UD is the host's business) */
    if (f->kind != K_BOUND && f->kind != K_UNDEF && chance(&g, 5)) {
        static const uint8_t pf[3] = { DIFF_F_DATA2_RO, DIFF_F_DATA2_NP, DIFF_F_CODE2_NP };
        c->in.flags |= pf[below(&g, 3)];
        g.may_fault = true;
    }

    /* 4%: redundant prefixes in front of the others, up to and past the
     * 15-byte limit (#GP(0) beyond it): segment overrides (a later one wins;
     * alone they name flat segments, except that CS makes a write #GP(0)),
     * repeats of 66 or 67 the instruction already has. Not for branches,
     * whose targets were placed around the instruction's length, nor for
     * undefined opcodes, whose length is the host's guess. */
    uint8_t extra[DIFF_CODE_MAX];
    unsigned nx = 0;
    if (!is_branch(f) && f->kind != K_UNDEF && chance(&g, 4)) {
        bool has66 = memchr(g.pre, 0x66, g.npre) != NULL, has67 = memchr(g.pre, 0x67, g.npre) != NULL;
        unsigned want = 1 + below(&g, 10);
        while (nx < want && g.npre + g.nbody + nx < DIFF_CODE_MAX) {
            static const uint8_t seg[4] = { 0x26, 0x2e, 0x36, 0x3e };
            unsigned r = below(&g, 6);
            uint8_t b = r == 4 && has66 ? 0x66 : r == 5 && has67 ? 0x67 : seg[r & 3];
            if (b == 0x26 && (c->in.flags & DIFF_F_ES_ALT))
                b = 0x3e;   /* ES is not flat in this case */
            extra[nx++] = b;
        }
        g.may_fault = true;
    }

    if (g.may_fault && !pinned(&g, R_SP))
        g.in->regs[R_SP] = SAFE_ESP_LO + below(&g, SAFE_ESP_SPAN);

    /* prefixes in the order generated (LOCK last is as valid as first) */
    c->in.code_len = (uint8_t)(nx + g.npre + g.nbody);
    memcpy(c->in.code, extra, nx);
    memcpy(c->in.code + nx, g.pre, g.npre);
    memcpy(c->in.code + nx + g.npre, g.body, g.nbody);
}

void diff_gen(const struct diff_env *env, uint64_t seed, uint64_t index, struct diff_case *c)
{
    diff_gen_form(env, seed, index, &diff_forms[index % diff_nforms], c);
}

const struct diff_form *diff_form_by_name(const char *name)
{
    for (unsigned i = 0; i < diff_nforms; i++)
        if (strcmp(diff_forms[i].name, name) == 0)
            return &diff_forms[i];
    return NULL;
}

void diff_print_in(FILE *f, const struct diff_case *c)
{
    static const char *rn[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    fprintf(f, "  form %s, bytes:", c->form ? c->form->name : "?");
    for (unsigned i = 0; i < c->in.code_len; i++)
        fprintf(f, " %02x", c->in.code[i]);
    fprintf(f, "%s\n  in:  ", (c->in.flags & DIFF_F_ES_ALT) ? "  (ES = data segment)" : "");
    for (unsigned r = 0; r < 8; r++)
        fprintf(f, "%s=%08x ", rn[r], c->in.regs[r]);
    fprintf(f, "eflags=%08x\n", c->in.eflags);
}
