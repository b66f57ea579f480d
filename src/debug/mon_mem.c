/* `x/N[bwd] LIN` and `xp/N[bwd] PHYS`: memory as bytes, words or
 * dwords, 16 bytes a line. Linear addresses are translated with
 * paging_probe (supervisor read: what the kernel could read, without
 * touching A/D bits or the TLB); MMIO is never read, since a read may
 * change a device's state. */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "debug/monitor_impl.h"
#include "mmu/paging.h"
#include "mmu/phys.h"

/* Reads bytes one at a time, probing once per linear page. */
struct reader {
    struct debugger *d;
    bool physical;
    bool have_page;
    uint32_t page;         /* linear page probed last */
    uint32_t page_phys;    /* its physical page */
    const char *stop;      /* why reading stopped */
    char why[96];
};

static bool read_byte(struct reader *r, uint32_t addr, uint8_t *b)
{
    struct machine *m = r->d->m;
    uint32_t pa = addr;
    if (!r->physical) {
        uint32_t page = addr & ~0xfffu;
        if (!r->have_page || r->page != page) {
            struct paging_walk w;
            if (!paging_probe(&m->mmu, addr, MMU_READ | MMU_SUPER, &w)) {
                snprintf(r->why, sizeof r->why, "lin %08x: not readable (%s)", addr, w.why);
                r->stop = r->why;
                return false;
            }
            r->have_page = true;
            r->page = page;
            r->page_phys = w.phys & ~0xfffu;
        }
        pa = r->page_phys | (addr & 0xfffu);
    }
    if (phys_kind_at(m->phys, pa) == PHYS_MMIO) {
        snprintf(r->why, sizeof r->why, "phys %08x is MMIO: not read", pa);
        r->stop = r->why;
        return false;
    }
    phys_read_block(m->phys, pa, b, 1);
    return true;
}

static int parse_format(const char *cmd, uint64_t *count, unsigned *unit, FILE *out)
{
    *count = 1;
    *unit = 4;
    const char *slash = strchr(cmd, '/');
    if (!slash)
        return 0;
    const char *p = slash + 1;
    if (*p >= '0' && *p <= '9') {
        char *end;
        *count = strtoull(p, &end, 10);
        p = end;
    }
    if (*p == 'b')
        *unit = 1, p++;
    else if (*p == 'w')
        *unit = 2, p++;
    else if (*p == 'd')
        *unit = 4, p++;
    else if (*p == 'i')
        *unit = 0, p++;   /* instructions */
    if (*p || *count == 0) {
        fprintf(out, "%s: expected /N followed by b, w, d or i (e.g. x/8b)\n", cmd);
        return -1;
    }
    return 0;
}

int mon_examine(struct debugger *d, const struct mon_args *a, FILE *out, bool physical)
{
    uint64_t count;
    unsigned unit;
    if (parse_format(a->argv[0], &count, &unit, out) < 0)
        return MON_ERROR;
    uint32_t addr;
    if (a->argc != 2 || !mon_parse_value(d, a->argv[1], &addr)) {
        fprintf(out, "usage: %s/N[bwd] %s\n", physical ? "xp" : "x", physical ? "PHYS" : "LIN");
        return MON_ERROR;
    }
    if (count > 4096)
        count = 4096;
    if (unit == 0) {
        if (physical) {
            fputs("xp: /i disassembles linear addresses only (use x/Ni)\n", out);
            return MON_ERROR;
        }
        return mon_unassemble(d, addr, count, out);
    }
    struct reader r = { .d = d, .physical = physical };
    unsigned per_line = 16 / unit;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t at = addr + (uint32_t)(i * unit);
        uint32_t v = 0;
        for (unsigned k = 0; k < unit; k++) {
            uint8_t b;
            if (!read_byte(&r, at + k, &b)) {
                if (i % per_line)
                    fputc('\n', out);
                fprintf(out, "%s\n", r.stop);
                return MON_ERROR;
            }
            v |= (uint32_t)b << (8 * k);
        }
        if (i % per_line == 0)
            fprintf(out, "%08x:", at);
        fprintf(out, " %0*x", (int)unit * 2, v);
        if (i % per_line == per_line - 1 || i + 1 == count)
            fputc('\n', out);
    }
    return MON_OK;
}

int mon_unassemble(struct debugger *d, uint32_t lin, uint64_t count, FILE *out)
{
    struct seg cs = cpu_get_seg(d->m->cpu, S_CS);
    bool code32 = cs.flags & 0x4000;
    for (uint64_t i = 0; i < count; i++) {
        uint8_t code[16];
        unsigned n = dbg_read_lin(d, lin, code, sizeof code);
        if (!n) {
            fprintf(out, "%08x: not readable\n", lin);
            return MON_ERROR;
        }
        char text[128], bytes[40] = "";
        int len = dbg_disasm(code, n, lin - cs.base, code32, text, sizeof text);
        if (len <= 0) {
            snprintf(text, sizeof text, "db 0x%02x", code[0]);
            len = 1;
        }
        for (int k = 0; k < len && k < 10; k++)
            snprintf(bytes + 2 * k, sizeof bytes - 2 * (size_t)k, "%02x", code[k]);
        fprintf(out, "%08x: %-20s %s\n", lin, bytes, text);
        lin += (uint32_t)len;
    }
    return MON_OK;
}
