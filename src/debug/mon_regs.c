/* `regs`: general registers, EFLAGS, segment registers with their
 * descriptor caches, system table registers and control registers, every
 * bit field decoded (SDM Vol. 3 §2.3 EFLAGS, §2.5 CR0/CR4, §3.4.5 segment
 * descriptors). */
#include <string.h>

#include "cpu/cpu.h"
#include "debug/monitor_impl.h"

struct bitname {
    uint32_t bit;
    const char *name;
};

static void put_bits(FILE *out, uint32_t v, const struct bitname *b, size_t n)
{
    fputs("[", out);
    for (size_t i = 0; i < n; i++)
        if (v & b[i].bit)
            fprintf(out, " %s", b[i].name);
    fputs(" ]", out);
}

static const struct bitname eflags_bits[] = {
    { F_CF, "CF" }, { F_PF, "PF" }, { F_AF, "AF" }, { F_ZF, "ZF" }, { F_SF, "SF" },
    { F_TF, "TF" }, { F_IF, "IF" }, { F_DF, "DF" }, { F_OF, "OF" }, { F_NT, "NT" },
    { F_RF, "RF" }, { F_VM, "VM" }, { F_AC, "AC" }, { F_ID, "ID" },
};

static const struct bitname cr0_bits[] = {
    { 1u << 0, "PE" }, { 1u << 1, "MP" }, { 1u << 2, "EM" }, { 1u << 3, "TS" },
    { 1u << 4, "ET" }, { 1u << 5, "NE" }, { 1u << 16, "WP" }, { 1u << 18, "AM" },
    { 1u << 29, "NW" }, { 1u << 30, "CD" }, { 1u << 31, "PG" },
};

static const struct bitname cr4_bits[] = {
    { 1u << 0, "VME" }, { 1u << 1, "PVI" }, { 1u << 2, "TSD" }, { 1u << 3, "DE" },
    { 1u << 4, "PSE" }, { 1u << 5, "PAE" }, { 1u << 6, "MCE" }, { 1u << 7, "PGE" },
    { 1u << 8, "PCE" },
};

/* The descriptor-cache flags (see struct seg in cpu.h) in words. */
static void put_seg_kind(FILE *out, uint16_t f)
{
    unsigned type = f & 0xf;
    if (f & 0x10) {
        if (type & 8)
            fprintf(out, "code %s%s", type & 2 ? "rx" : "x", type & 4 ? " conforming" : "");
        else
            fprintf(out, "data %s%s", type & 2 ? "rw" : "ro", type & 4 ? " expand-down" : "");
        fprintf(out, " %s", f & 0x4000 ? "32-bit" : "16-bit");
    } else {
        static const char *const sys[16] = {
            [1] = "16-bit TSS", [2] = "LDT", [3] = "16-bit TSS busy",
            [9] = "32-bit TSS", [11] = "32-bit TSS busy",
        };
        fprintf(out, "%s", sys[type] ? sys[type] : "system");
    }
    fprintf(out, " DPL%u%s", (f >> 5) & 3, f & 0x80 ? "" : " not-present");
}

int mon_regs(struct debugger *d, const struct mon_args *a, FILE *out)
{
    (void)a;
    struct cpu *c = d->m->cpu;
    static const char *const gpr[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };
    static const enum cpu_reg order[8] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP };
    for (int i = 0; i < 8; i++)
        fprintf(out, "%s=%08x%s", gpr[order[i]], cpu_get_reg(c, order[i]), i % 4 == 3 ? "\n" : " ");
    uint32_t fl = cpu_get_eflags(c);
    fprintf(out, "EIP=%08x EFLAGS=%08x ", cpu_get_eip(c), fl);
    put_bits(out, fl, eflags_bits, sizeof eflags_bits / sizeof eflags_bits[0]);
    fprintf(out, " IOPL=%u CPL=%u%s\n", (fl >> 12) & 3, cpu_cpl(c), cpu_halted(c) ? " halted" : "");

    static const char *const segname[8] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
    for (int s = S_ES; s <= S_TR; s++) {
        struct seg g = cpu_get_seg(c, (enum cpu_seg)s);
        fprintf(out, "%-4s=%04x", segname[s], g.sel);
        if (!g.valid) {
            fputs(" (null)\n", out);
            continue;
        }
        fprintf(out, " base=%08x limit=%08x flags=%04x ", g.base, g.limit, g.flags);
        put_seg_kind(out, g.flags);
        fputc('\n', out);
    }
    uint32_t base;
    uint16_t limit;
    cpu_get_gdtr(c, &base, &limit);
    fprintf(out, "GDTR base=%08x limit=%04x  ", base, limit);
    cpu_get_idtr(c, &base, &limit);
    fprintf(out, "IDTR base=%08x limit=%04x\n", base, limit);

    uint32_t cr0 = cpu_get_cr(c, 0), cr4 = cpu_get_cr(c, 4);
    fprintf(out, "CR0=%08x ", cr0);
    put_bits(out, cr0, cr0_bits, sizeof cr0_bits / sizeof cr0_bits[0]);
    fprintf(out, " CR2=%08x CR3=%08x CR4=%08x ", cpu_get_cr(c, 2), cpu_get_cr(c, 3), cr4);
    put_bits(out, cr4, cr4_bits, sizeof cr4_bits / sizeof cr4_bits[0]);
    fprintf(out, "\nicount=%llu\n", (unsigned long long)cpu_icount(c));
    return MON_OK;
}
