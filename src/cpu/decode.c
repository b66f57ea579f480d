/* The decoder: instruction bytes -> struct insn, driven by opcodes.def.
 * Prefixes, 16/32-bit ModRM and SIB (SDM Vol. 2 §2.1, tables 2-1..2-3),
 * displacements, immediates and the 15-byte limit. */
#include <stddef.h>

#include "cpu/cpu_impl.h"

struct op_entry {
    struct cpu_opcode_info info;
    op_fn *fn;
};

#define OP(opc, sub, mn, ops, fl, h) {(opc), (sub), (mn), (ops), (fl), #h},
static const struct cpu_opcode_info rows[] = {
#include "cpu/opcodes.def"
};
#undef OP

/* [opcode * 8 + reg]: a plain row fills all eight reg slots of its opcode. */
#define OP(opc, sub, mn, ops, fl, h)                                              \
    [(opc) * 8 + ((sub) < 0 ? 0 : (sub))...(opc) * 8 + ((sub) < 0 ? 7 : (sub))] = \
        {{(opc), (sub), (mn), (ops), (fl), #h}, h},
static const struct op_entry dispatch[512 * 8] = {
#include "cpu/opcodes.def"
};
#undef OP

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#define OP(opc, sub, mn, ops, fl, h) [(opc)] = ((fl) & OPF_MODRM) != 0,
static const uint8_t has_modrm[512] = {
#include "cpu/opcodes.def"
};
#undef OP
#pragma GCC diagnostic pop

const struct cpu_opcode_info *cpu_opcode_table(size_t *n)
{
    *n = sizeof rows / sizeof rows[0];
    return rows;
}

const struct cpu_opcode_info *cpu_opcode_lookup(unsigned opcode, unsigned reg)
{
    if (opcode >= 512 || reg >= 8 || !dispatch[opcode * 8 + reg].fn)
        return NULL;
    return &dispatch[opcode * 8 + reg].info;
}

int cpu_opcode_has_modrm(unsigned opcode)
{
    return opcode < 512 && has_modrm[opcode];
}

/* 16-bit ModRM r/m: base and index registers (8 = none). */
static const uint8_t rm16_base[8] = {R_EBX, R_EBX, R_EBP, R_EBP, 8, 8, R_EBP, R_EBX};
static const uint8_t rm16_index[8] = {R_ESI, R_EDI, R_ESI, R_EDI, R_ESI, R_EDI, 8, 8};

/* Bytes are fetched in order: an instruction longer than 15 bytes is #GP
 * only once its first 15 bytes have been fetched (a fetch fault on one of
 * them comes first), so with fewer than 15 bytes at hand ask for more. */
#define NEED(n)                                               \
    do {                                                      \
        if (pos + (n) > avail && avail < 15)                  \
            return DEC_MORE;                                  \
        if (pos + (n) > 15)                                   \
            return DEC_GP;                                    \
    } while (0)

static uint32_t get16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t get32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int cpu_decode(const uint8_t *buf, unsigned avail, bool code32, struct insn *out, uint32_t *opf)
{
    unsigned pos = 0, op;
    bool o16 = !code32, a16 = !code32;
    int seg = -1;
    uint8_t rep = 0, lock = 0;

    for (;;) {
        NEED(1);
        uint8_t b = buf[pos++];
        switch (b) {
        case 0x26: seg = S_ES; continue;
        case 0x2e: seg = S_CS; continue;
        case 0x36: seg = S_SS; continue;
        case 0x3e: seg = S_DS; continue;
        case 0x64: seg = S_FS; continue;
        case 0x65: seg = S_GS; continue;
        case 0x66: o16 = code32; continue;
        case 0x67: a16 = code32; continue;
        case 0xf0: lock = 1; continue;
        case 0xf2:
        case 0xf3: rep = b; continue;
        case 0x0f:
            NEED(1);
            op = 0x100u | buf[pos++];
            break;
        default:
            op = b;
            break;
        }
        break;
    }

    struct insn i = {0};
    unsigned reg = 0;
    if (has_modrm[op]) {
        NEED(1);
        uint8_t modrm = buf[pos++];
        i.mod = modrm >> 6;
        reg = (modrm >> 3) & 7;
        i.rm = modrm & 7;
    }
    const struct op_entry *e = &dispatch[op * 8 + reg];
    if (!e->fn)
        return DEC_UD;
    uint32_t fl = e->info.flags;
    /* A defined opcode used wrongly (a register where memory is required,
     * LOCK where it is not allowed) is #UD, but only once the whole
     * instruction has been fetched: a fetch fault on its last bytes comes
     * first (as on hardware). */
    bool ud = ((fl & OPF_MEM) && i.mod == 3) ||
              (lock && (!(fl & OPF_LOCK) || i.mod == 3 || (fl & OPF_REGM)));
    if (fl & OPF_REGM)
        i.mod = 3;

    i.fn = e->fn;
    i.opcode = (uint16_t)op;
    i.reg = (uint8_t)reg;
    i.osz = (fl & OPF_BYTE) ? 1 : o16 ? 2 : 4;
    i.asz = a16 ? 2 : 4;
    i.amask = a16 ? 0xffffu : 0xffffffffu;
    i.rep = rep;
    i.lock = lock;
    i.segovr = seg >= 0;
    i.base = i.index = 8;
    int defseg = S_DS;

    if (has_modrm[op] && i.mod != 3) {
        if (a16) {
            if (i.mod == 0 && i.rm == 6) {
                NEED(2);
                i.disp = get16(buf + pos);
                pos += 2;
            } else {
                i.base = rm16_base[i.rm];
                i.index = rm16_index[i.rm];
                if (i.base == R_EBP)
                    defseg = S_SS;
                if (i.mod == 1) {
                    NEED(1);
                    i.disp = (uint32_t)(int32_t)(int8_t)buf[pos++];
                } else if (i.mod == 2) {
                    NEED(2);
                    i.disp = get16(buf + pos);
                    pos += 2;
                }
            }
        } else {
            unsigned base = i.rm;
            if (i.rm == 4) {
                NEED(1);
                uint8_t sib = buf[pos++];
                i.scale = sib >> 6;
                unsigned idx = (sib >> 3) & 7;
                i.index = idx == 4 ? 8 : (uint8_t)idx;
                base = sib & 7;
            }
            if (base == 5 && i.mod == 0) {
                NEED(4);
                i.disp = get32(buf + pos);
                pos += 4;
            } else {
                i.base = (uint8_t)base;
                if (base == R_ESP || base == R_EBP)
                    defseg = S_SS;
                if (i.mod == 1) {
                    NEED(1);
                    i.disp = (uint32_t)(int32_t)(int8_t)buf[pos++];
                } else if (i.mod == 2) {
                    NEED(4);
                    i.disp = get32(buf + pos);
                    pos += 4;
                }
            }
        }
    }

    if (fl & OPF_IA) {          /* moffs: a memory operand with only a displacement */
        unsigned n = a16 ? 2 : 4;
        NEED(n);
        i.disp = n == 2 ? get16(buf + pos) : get32(buf + pos);
        pos += n;
    }
    if (fl & OPF_IB) {
        NEED(1);
        i.imm = (fl & OPF_SX) ? (uint32_t)(int32_t)(int8_t)buf[pos] : buf[pos];
        pos++;
    } else if (fl & OPF_IW) {
        NEED(2);
        i.imm = get16(buf + pos);
        pos += 2;
    } else if (fl & (OPF_IV | OPF_IP)) {
        if (o16) {
            NEED(2);
            i.imm = get16(buf + pos);
            pos += 2;
        } else {
            NEED(4);
            i.imm = get32(buf + pos);
            pos += 4;
        }
    }
    if (fl & OPF_IP) {
        NEED(2);
        i.imm2 = get16(buf + pos);
        pos += 2;
    }
    if (fl & OPF_IB2) {
        NEED(1);
        i.imm2 = buf[pos++];
    }

    if (ud)
        return DEC_UD;
    i.seg = (uint8_t)(seg >= 0 ? seg : defseg);
    i.len = (uint8_t)pos;
    *out = i;
    *opf = fl;
    return (int)pos;
}

int cpu_insn_decode(const uint8_t *buf, unsigned n, int code32,
                    const struct cpu_opcode_info **info)
{
    struct insn i;
    uint32_t fl;
    int r = cpu_decode(buf, n, code32 != 0, &i, &fl);
    if (r == DEC_MORE)
        return -1;
    if (r == DEC_GP)
        return -2;
    if (r <= 0)
        return 0;
    if (info)
        *info = &dispatch[i.opcode * 8 + i.reg].info;
    return r;
}
