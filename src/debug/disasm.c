/* The disassembler: Intel syntax from the CPU's own opcode table
 * (cpu/opcodes.def through cpu_insn_decode and cpu_opcode_lookup), so it
 * knows exactly the instructions the interpreter executes and measures
 * them the same way. Operand notation: SDM Vol. 2 Appendix A. */
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "debug/debugger.h"
#include "mmu/paging.h"
#include "mmu/phys.h"

struct dis {
    const uint8_t *b;
    unsigned pos, len;
    bool osz32, asz32;
    const char *seg;             /* segment override, or NULL */
    bool rep, repne, lock;
    unsigned opcode;
    bool has_modrm;
    uint8_t mod, reg, rm;
    char mem[64];                /* the ModRM memory operand, "[...]" */
    uint32_t eip;
};

static const char *const reg32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
static const char *const reg16[8] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
static const char *const reg8[8] = { "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh" };
static const char *const sreg[8] = { "es", "cs", "ss", "ds", "fs", "gs", "?6", "?7" };
static const char *const cond[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                      "s", "ns", "p", "np", "l", "ge", "le", "g" };

static uint32_t take(struct dis *d, unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes && d->pos < d->len; i++)
        v |= (uint32_t)d->b[d->pos++] << (8 * i);
    return v;
}

static void hexs(char *buf, size_t len, int32_t v)
{
    if (v < 0)
        snprintf(buf, len, "-0x%x", (unsigned)-(int64_t)v);
    else
        snprintf(buf, len, "+0x%x", (unsigned)v);
}

/* The memory operand of a ModRM byte (SDM Vol. 2 §2.1.5, tables 2-1..2-3). */
static void decode_mem(struct dis *d)
{
    char base[32] = "", disp[24] = "";
    int32_t off = 0;
    bool has_disp = false;
    if (d->asz32) {
        if (d->rm == 4) {   /* SIB */
            uint8_t sib = (uint8_t)take(d, 1);
            unsigned ss = sib >> 6, idx = (sib >> 3) & 7, b = sib & 7;
            if (b == 5 && d->mod == 0) {
                off = (int32_t)take(d, 4);
                has_disp = true;
            } else {
                snprintf(base, sizeof base, "%s", reg32[b]);
            }
            if (idx != 4) {
                size_t n = strlen(base);
                snprintf(base + n, sizeof base - n, "%s%s*%u", n ? "+" : "", reg32[idx], 1u << ss);
            }
        } else if (d->rm == 5 && d->mod == 0) {
            off = (int32_t)take(d, 4);
            has_disp = true;
        } else {
            snprintf(base, sizeof base, "%s", reg32[d->rm]);
        }
        if (d->mod == 1) {
            off = (int8_t)take(d, 1);
            has_disp = true;
        } else if (d->mod == 2) {
            off = (int32_t)take(d, 4);
            has_disp = true;
        }
    } else {
        static const char *const rm16[8] = { "bx+si", "bx+di", "bp+si", "bp+di", "si", "di", "bp", "bx" };
        if (d->rm == 6 && d->mod == 0) {
            off = (int32_t)take(d, 2);
            has_disp = true;
        } else {
            snprintf(base, sizeof base, "%s", rm16[d->rm]);
        }
        if (d->mod == 1) {
            off = (int8_t)take(d, 1);
            has_disp = true;
        } else if (d->mod == 2) {
            off = (int16_t)take(d, 2);
            has_disp = true;
        }
    }
    if (has_disp) {
        /* with a base register the displacement reads as signed; with an
         * index only it is a table address */
        bool has_base = base[0] && !(strchr(base, '*') && !strchr(base, '+'));
        if (has_base)
            hexs(disp, sizeof disp, off);
        else if (base[0])
            snprintf(disp, sizeof disp, "+0x%x", (uint32_t)off);
        else
            snprintf(disp, sizeof disp, "0x%x", (uint32_t)off);
    }
    snprintf(d->mem, sizeof d->mem, "%s%s[%s%s]", d->seg ? d->seg : "", d->seg ? ":" : "", base, disp);
}

static const char *reg_by_size(unsigned n, char size, bool osz32)
{
    if (size == 'b')
        return reg8[n];
    if (size == 'w' || (size == 'v' && !osz32))
        return reg16[n];
    return reg32[n];
}

static const char *ptr_size(char size, bool osz32)
{
    if (size == 'b')
        return "byte ";
    if (size == 'w' || (size == 'v' && !osz32))
        return "word ";
    return "dword ";
}

/* Format one operand (notation op, e.g. "Ev") into out. */
static void operand(struct dis *d, const struct cpu_opcode_info *in, const char *op, size_t oplen,
                    char *out, size_t len)
{
    char t[8];
    snprintf(t, sizeof t, "%.*s", (int)oplen, op);
    char k = t[0], s = t[1];
    bool byte = in->flags & OPF_BYTE;
    /* size letters are lower case: "ES", "AL", "DX" name fixed registers */
    bool fixed = (s >= 'A' && s <= 'Z') || !strcmp(t, "1");
    if (fixed || !strcmp(t, "eAX")) {
        if (!strcmp(t, "eAX")) {
            snprintf(out, len, "%s", d->osz32 ? "eax" : "ax");
            return;
        }
        size_t i;
        for (i = 0; t[i] && i + 1 < len; i++)
            out[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] - 'A' + 'a' : t[i]);
        out[i] = '\0';
        return;
    }
    if (k == 'E' && d->mod == 3)
        snprintf(out, len, "%s", reg_by_size(d->rm, s, d->osz32));
    else if (k == 'E')
        snprintf(out, len, "%s%s", ptr_size(s, d->osz32), d->mem);
    else if (k == 'G')
        snprintf(out, len, "%s", reg_by_size(d->reg, s, d->osz32));
    else if (k == 'M')
        snprintf(out, len, "%s", d->mem);
    else if (k == 'R')
        snprintf(out, len, "%s", reg32[d->rm]);
    else if (k == 'C')
        snprintf(out, len, "cr%u", d->reg);
    else if (k == 'D' && s == 'd')
        snprintf(out, len, "dr%u", d->reg);
    else if (k == 'S' && s == 'w')
        snprintf(out, len, "%s", sreg[d->reg]);
    else if (k == 'Z')
        snprintf(out, len, "%s", reg_by_size(d->opcode & 7, s, d->osz32));
    else if (k == 'I') {
        unsigned bytes = s == 'b' ? 1 : s == 'w' ? 2 : s == 'v' ? (d->osz32 ? 4 : 2)
                         : byte ? 1 : (d->osz32 ? 4 : 2);
        uint32_t v = take(d, bytes);
        if (bytes == 1 && (in->flags & OPF_SX))
            v = (uint32_t)(int32_t)(int8_t)v & (d->osz32 ? 0xffffffffu : 0xffffu);
        snprintf(out, len, "0x%x", v);
    } else if (k == 'J') {
        unsigned bytes = s == 'b' ? 1 : (d->osz32 ? 4 : 2);
        int32_t rel = bytes == 1 ? (int8_t)take(d, 1) : bytes == 2 ? (int16_t)take(d, 2) : (int32_t)take(d, 4);
        uint32_t target = d->eip + d->len + (uint32_t)rel;
        if (!d->osz32)
            target &= 0xffff;
        snprintf(out, len, "0x%08x", target);
    } else if (k == 'O') {
        uint32_t off = take(d, d->asz32 ? 4 : 2);
        snprintf(out, len, "%s%s%s[0x%x]", ptr_size(s, d->osz32), d->seg ? d->seg : "", d->seg ? ":" : "", off);
    } else if (k == 'A' && s == 'p') {
        uint32_t off = take(d, d->osz32 ? 4 : 2);
        uint32_t sel = take(d, 2);
        snprintf(out, len, "0x%04x:0x%x", sel, off);
    } else {
        snprintf(out, len, "%s", t);   /* notation this table does not use yet */
    }
}

static bool is_string_op(const char *mn)
{
    static const char *const s[] = { "movs", "cmps", "stos", "lods", "scas", "ins", "outs" };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (!strncmp(mn, s[i], strlen(s[i])))
            return true;
    return false;
}

int dbg_disasm(const uint8_t *buf, unsigned n, uint32_t eip, bool code32, char *out, size_t outlen)
{
    const struct cpu_opcode_info *info;
    int len = cpu_insn_decode(buf, n, code32, &info);
    if (len <= 0) {
        snprintf(out, outlen, len == -1 ? "(truncated)" : "(bad)");
        return len;
    }
    struct dis d = { .b = buf, .len = (unsigned)len, .osz32 = code32, .asz32 = code32, .eip = eip };
    for (;; d.pos++) {
        uint8_t p = buf[d.pos];
        if (p == 0x26 || p == 0x2e || p == 0x36 || p == 0x3e || p == 0x64 || p == 0x65)
            d.seg = sreg[p == 0x26 ? 0 : p == 0x2e ? 1 : p == 0x36 ? 2 : p == 0x3e ? 3 : p == 0x64 ? 4 : 5];
        else if (p == 0x66)
            d.osz32 = !code32;
        else if (p == 0x67)
            d.asz32 = !code32;
        else if (p == 0xf0)
            d.lock = true;
        else if (p == 0xf2)
            d.repne = true;
        else if (p == 0xf3)
            d.rep = true;
        else
            break;
    }
    d.opcode = buf[d.pos++];
    if (d.opcode == 0x0f)
        d.opcode = 0x100 | buf[d.pos++];
    d.has_modrm = cpu_opcode_has_modrm(d.opcode);
    if (d.has_modrm) {
        uint8_t m = buf[d.pos++];
        d.mod = m >> 6;
        d.reg = (m >> 3) & 7;
        d.rm = m & 7;
        if (info->flags & OPF_REGM)
            d.mod = 3;
        else if (d.mod != 3)
            decode_mem(&d);
    }

    /* mnemonic */
    char mn[16];
    const char *cc = strstr(info->mnemonic, "cc");
    if (cc && cc[2] == '\0' && strcmp(info->mnemonic, "cc"))
        snprintf(mn, sizeof mn, "%.*s%s", (int)(cc - info->mnemonic), info->mnemonic, cond[d.opcode & 15]);
    else
        snprintf(mn, sizeof mn, "%s", info->mnemonic);
    size_t ml = strlen(mn);
    if (d.osz32 && ml > 1 && mn[ml - 1] == 'w' && is_string_op(mn))
        mn[ml - 1] = 'd';   /* movsw -> movsd with a 32-bit operand size */
    if (d.osz32 && !strcmp(mn, "cbw"))
        snprintf(mn, sizeof mn, "cwde");
    if (d.osz32 && !strcmp(mn, "cwd"))
        snprintf(mn, sizeof mn, "cdq");

    int o = snprintf(out, outlen, "%s%s%s", d.lock ? "lock " : "",
                     d.rep && is_string_op(mn) ? (!strncmp(mn, "cmps", 4) || !strncmp(mn, "scas", 4) ? "repe " : "rep ")
                     : d.repne && is_string_op(mn) ? "repne " : "",
                     mn);
    /* string instructions name their operands in the mnemonic */
    if (is_string_op(mn) || !info->operands[0] || !strcmp(info->operands, "x87")) {
        if (!strcmp(info->operands, "x87") && (size_t)o < outlen)
            snprintf(out + o, outlen - (size_t)o, " (x87 %02x /%u)", d.opcode & 0xff, d.reg);
        return len;
    }
    const char *ops = info->operands;
    bool first = true;
    while (*ops && (size_t)o < outlen) {
        size_t k = strcspn(ops, ",");
        char one[96];
        operand(&d, info, ops, k, one, sizeof one);
        o += snprintf(out + o, outlen - (size_t)o, "%s%s", first ? " " : ", ", one);
        first = false;
        ops += k;
        if (*ops == ',')
            ops++;
    }
    return len;
}

unsigned dbg_read_lin(struct debugger *d, uint32_t lin, uint8_t *buf, unsigned n)
{
    struct machine *m = d->m;
    unsigned got = 0;
    while (got < n) {
        uint32_t at = lin + got;
        struct paging_walk w;
        if (!paging_probe(&m->mmu, at, MMU_READ | MMU_SUPER, &w))
            break;
        unsigned chunk = 4096 - (at & 0xfff);
        if (chunk > n - got)
            chunk = n - got;
        /* MMIO is never read: a read may change the device */
        if (phys_kind_at(m->phys, w.phys) == PHYS_MMIO)
            break;
        phys_read_block(m->phys, w.phys, buf + got, chunk);
        got += chunk;
    }
    return got;
}

int dbg_disasm_pc(struct debugger *d, char *out, size_t len)
{
    struct seg cs = cpu_get_seg(d->m->cpu, S_CS);
    uint8_t code[16];
    unsigned n = dbg_read_lin(d, dbg_pc(d), code, sizeof code);
    if (!n) {
        snprintf(out, len, "(unmapped)");
        return 0;
    }
    return dbg_disasm(code, n, cpu_get_eip(d->m->cpu), cs.flags & 0x4000, out, len);
}
