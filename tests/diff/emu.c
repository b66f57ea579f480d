/* The Pagoda side of the differential test.
 *
 * Guest memory (linear == physical but for the two remapped pages below):
 *   0x1000 GDT, 0x2000 IDT (256 interrupt gates), 0x3000 TSS,
 *   0x4000 exception handlers (vector v at 0x4000 + 8 v, all HLT, never run),
 *   0x5000 page directory, 0x6000 two page tables,
 *   0x8000-0xf000 ring-0 stack, then the code pages and data area of
 *   diff_case.h, and 0x300000-0x3fffff where cases that may fault keep ESP;
 *   with paging, the second code and data pages are the frames at
 *   0x7e0000 and 0x7f0000.
 *
 * Ring 3 (the default) matches the native executor, which runs in user
 * mode: an exception switches to the ring-0 stack through the TSS, so the
 * frame [err] EIP CS EFLAGS ESP SS says what the user state was, and the
 * case's memory is untouched. Vectors 3 and 4 have DPL 3 gates, the rest
 * DPL 0, as in Linux, so INT3/INTO trap and INT n faults with #GP alike. */
#include "emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "mmu/mmu.h"
#include "mmu/phys.h"

#define GDT_ADDR    0x1000u
#define IDT_ADDR    0x2000u
#define TSS_ADDR    0x3000u
#define HANDLER_ADDR 0x4000u
#define KSTACK_TOP  0xf000u
#define RAM_BYTES   (8u << 20)
/* Paging (the default): identity-mapped, except that the second code page
 * and the second data page live in distant frames, so that an access or a
 * fetch across either page boundary joins two non-adjacent frames. */
#define PD_ADDR     0x5000u
#define PT_ADDR     0x6000u      /* two page tables: 8 MiB */
#define CODE_FRAME2 0x7e0000u
#define DATA_FRAME2 0x7f0000u
#define CODE_WINDOW 32u          /* bytes rewritten per case at its code_addr */
#define STEP_BUDGET 64           /* a REP string case takes at most ~9 steps */

/* descriptor bits 40..55 as struct seg.flags holds them */
#define SEGF_A    0x0001u
#define SEGF_W    0x0002u
#define SEGF_CODE 0x0008u
#define SEGF_S    0x0010u
#define SEGF_DPL3 0x0060u
#define SEGF_P    0x0080u
#define SEGF_AVL  0x1000u
#define SEGF_DB   0x4000u
#define SEGF_G    0x8000u

#define GDT_ENTRIES 16u   /* as Linux's x86-64 GDT: selectors past it fault alike */

struct diff_emu {
    struct phys *phys;
    struct mmu mmu;
    struct cpu *cpu;
    int ring;
    bool paging;
    struct seg cs, ss, ds, fs, gs, es_alt;
    unsigned frame_lo, frame_hi;
    uint32_t last_code;      /* where the previous case's bytes were written */
};

static uint32_t bus_in(void *ctx, uint16_t port, int size)
{
    (void)ctx; (void)port; (void)size;
    return 0xffffffffu;
}
static void bus_out(void *ctx, uint16_t port, uint32_t val, int size)
{
    (void)ctx; (void)port; (void)val; (void)size;
}
static int bus_ack(void *ctx)
{
    (void)ctx;
    return 0x20;
}

/* The harness's own view of its page tables (it never changes them). */
static uint32_t lin2phys(const struct diff_emu *e, uint32_t lin)
{
    if (e->paging) {
        if ((lin & ~0xfffu) == DIFF_CODE_PAGE + 0x1000u)
            return CODE_FRAME2 | (lin & 0xfffu);
        if ((lin & ~0xfffu) == DIFF_DATA_PAGE + 0x1000u)
            return DATA_FRAME2 | (lin & 0xfffu);
    }
    return lin;
}

static void guest_write(struct diff_emu *e, uint32_t lin, const void *src, uint32_t len)
{
    const uint8_t *p = src;
    while (len) {
        uint32_t n = 0x1000u - (lin & 0xfffu);
        if (n > len)
            n = len;
        phys_write_block(e->phys, lin2phys(e, lin), p, n);
        lin += n; p += n; len -= n;
    }
}

static void guest_read(struct diff_emu *e, uint32_t lin, void *dst, uint32_t len)
{
    uint8_t *p = dst;
    while (len) {
        uint32_t n = 0x1000u - (lin & 0xfffu);
        if (n > len)
            n = len;
        phys_read_block(e->phys, lin2phys(e, lin), p, n);
        lin += n; p += n; len -= n;
    }
}

static uint32_t guest_read32(struct diff_emu *e, uint32_t lin)
{
    uint8_t b[4];
    guest_read(e, lin, b, 4);
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put_desc(struct phys *p, unsigned sel, uint32_t base, uint32_t limit, uint16_t flags)
{
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | ((uint32_t)(flags & 0xf0ff) << 8) |
                  (limit & 0xf0000) | (base & 0xff000000u);
    phys_write(p, GDT_ADDR + (sel & ~7u), lo, 4);
    phys_write(p, GDT_ADDR + (sel & ~7u) + 4, hi, 4);
}

static struct seg mkseg(uint16_t sel, uint32_t base, uint32_t limit, uint16_t flags)
{
    struct seg s = { .sel = sel, .base = base, .limit = limit, .flags = flags, .valid = true };
    return s;
}

struct diff_emu *diff_emu_create(int ring, bool paging, unsigned tlb_sets, unsigned tlb_ways,
                                 const uint16_t sel[6], char *err, size_t errlen)
{
    struct diff_emu *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->ring = ring;
    e->paging = paging;
    e->phys = phys_create(RAM_BYTES, err, errlen);
    if (!e->phys) {
        free(e);
        return NULL;
    }
    if (mmu_init(&e->mmu, e->phys, tlb_sets, tlb_ways) != 0) {
        snprintf(err, errlen, "mmu_init failed");
        phys_destroy(e->phys);
        free(e);
        return NULL;
    }
    static const struct cpu_bus bus = { bus_in, bus_out, bus_ack, NULL };
    e->cpu = cpu_create(&e->mmu, &bus, NULL);
    if (!e->cpu) {
        snprintf(err, errlen, "cpu_create failed");
        mmu_free(&e->mmu);
        phys_destroy(e->phys);
        free(e);
        return NULL;
    }
    struct phys *p = e->phys;
    const uint16_t code = SEGF_S | SEGF_CODE | SEGF_W /* readable */ | SEGF_A | SEGF_P | SEGF_DB | SEGF_G;
    const uint16_t data = SEGF_S | SEGF_W | SEGF_A | SEGF_P | SEGF_DB | SEGF_G;
    /* The case's selectors are the executor's: its code, flat data (ES SS
     * DS), FS with the data-area base, GS (glibc's TLS natively; never used
     * for an access here, so flat). The kernel entries and the TSS take the
     * lowest indices none of those use. */
    bool used[GDT_ENTRIES] = { true };
    unsigned cs_i = sel[1] >> 3, ds_i = sel[3] >> 3, fs_i = sel[4] >> 3, gs_i = sel[5] >> 3;
    if (ring == 3) {
        if (cs_i >= GDT_ENTRIES || ds_i >= GDT_ENTRIES || fs_i >= GDT_ENTRIES || gs_i >= GDT_ENTRIES ||
            (sel[0] >> 3) != ds_i || (sel[2] >> 3) != ds_i) {
            snprintf(err, errlen, "unexpected native selectors cs %#x ds %#x es %#x ss %#x fs %#x gs %#x",
                     sel[1], sel[3], sel[0], sel[2], sel[4], sel[5]);
            diff_emu_destroy(e);
            return NULL;
        }
        used[cs_i] = used[ds_i] = used[fs_i] = used[gs_i] = true;
    }
    unsigned kfree[5], nk = 0;
    for (unsigned i = 1; i < GDT_ENTRIES && nk < 5; i++)
        if (!used[i])
            kfree[nk++] = i;
    if (nk < 5) {
        snprintf(err, errlen, "no room in the GDT");
        diff_emu_destroy(e);
        return NULL;
    }
    uint16_t sel_code0 = (uint16_t)(kfree[0] << 3), sel_data0 = (uint16_t)(kfree[1] << 3);
    uint16_t sel_tss = (uint16_t)(kfree[2] << 3);
    uint16_t sel_fs0 = (uint16_t)(kfree[3] << 3), sel_gs0 = (uint16_t)(kfree[4] << 3);
    put_desc(p, sel_code0, 0, 0xfffff, code);
    put_desc(p, sel_data0, 0, 0xfffff, data);
    put_desc(p, sel_tss, TSS_ADDR, 0x67, 0x0b | SEGF_P);   /* busy 32-bit TSS */
    if (ring == 3) {
        put_desc(p, sel[1], 0, 0xfffff, code | SEGF_DPL3);
        put_desc(p, sel[3], 0, 0xfffff, data | SEGF_DPL3);
        /* Linux's TLS slots (set_thread_area) have AVL = 1: LAR shows it */
        put_desc(p, sel[4], DIFF_DATA_ADDR, 0xfffff, data | SEGF_DPL3 | SEGF_AVL);
        put_desc(p, sel[5], 0, 0xfffff, data | SEGF_DPL3 | SEGF_AVL);
    } else {
        put_desc(p, sel_fs0, DIFF_DATA_ADDR, 0xfffff, data);
        put_desc(p, sel_gs0, 0, 0xfffff, data);
    }
    cpu_set_gdtr(e->cpu, GDT_ADDR, GDT_ENTRIES * 8 - 1);

    for (unsigned v = 0; v < 256; v++) {
        uint32_t off = HANDLER_ADDR + 8 * v;
        unsigned dpl = (v == 3 || v == 4) ? 3 : 0;
        phys_write(p, IDT_ADDR + 8 * v, (off & 0xffff) | ((uint32_t)sel_code0 << 16), 4);
        phys_write(p, IDT_ADDR + 8 * v + 4, (off & 0xffff0000u) | 0x8e00u | (dpl << 13), 4);
    }
    cpu_set_idtr(e->cpu, IDT_ADDR, 256 * 8 - 1);
    for (unsigned i = 0; i < 256 * 8; i++)
        phys_write(p, HANDLER_ADDR + i, 0xf4, 1);
    phys_write(p, TSS_ADDR + 4, KSTACK_TOP, 4);        /* ESP0 */
    phys_write(p, TSS_ADDR + 8, sel_data0, 4);         /* SS0 */
    phys_write(p, TSS_ADDR + 102, 0x68, 2);            /* no I/O bitmap */

    uint8_t cc[DIFF_CODE_SIZE];
    memset(cc, 0xcc, sizeof cc);
    guest_write(e, DIFF_CODE_PAGE, cc, sizeof cc);
    e->last_code = DIFF_CODE_ADDR;

    uint32_t cr0 = CR0_PE | 0x10u /* ET */;
    if (paging) {
        for (uint32_t pde = 0; pde < 2; pde++)
            phys_write(p, PD_ADDR + 4 * pde, (PT_ADDR + 0x1000u * pde) | 7u, 4);
        for (uint32_t pg = 0; pg < RAM_BYTES >> 12; pg++)
            phys_write(p, PT_ADDR + 4 * pg, lin2phys(e, pg << 12) | 7u, 4);   /* P, W, U */
        cpu_set_cr(e->cpu, 3, PD_ADDR);
        cr0 |= CR0_PG;
    }
    cpu_set_cr(e->cpu, 0, cr0);
    cpu_set_seg(e->cpu, S_TR, mkseg(sel_tss, TSS_ADDR, 0x67, 0x0b | SEGF_P));
    if (ring == 3) {
        e->cs = mkseg(sel[1], 0, 0xffffffffu, code | SEGF_DPL3);
        e->ds = mkseg(sel[3], 0, 0xffffffffu, data | SEGF_DPL3);
        e->fs = mkseg(sel[4], DIFF_DATA_ADDR, 0xffffffffu, data | SEGF_DPL3 | SEGF_AVL);
        e->gs = mkseg(sel[5], 0, 0xffffffffu, data | SEGF_DPL3 | SEGF_AVL);
    } else {
        e->cs = mkseg(sel_code0, 0, 0xffffffffu, code);
        e->ds = mkseg(sel_data0, 0, 0xffffffffu, data);
        e->fs = mkseg(sel_fs0, DIFF_DATA_ADDR, 0xffffffffu, data);
        e->gs = mkseg(sel_gs0, 0, 0xffffffffu, data);
    }
    e->ss = e->ds;
    e->es_alt = e->fs;
    cpu_set_seg(e->cpu, S_CS, e->cs);
    cpu_set_seg(e->cpu, S_SS, e->ss);
    cpu_set_seg(e->cpu, S_DS, e->ds);
    cpu_set_seg(e->cpu, S_ES, e->ds);
    cpu_set_seg(e->cpu, S_FS, e->fs);
    cpu_set_seg(e->cpu, S_GS, e->gs);
    if (cpu_cpl(e->cpu) != (unsigned)ring) {
        snprintf(err, errlen, "CPL is %u after loading a ring-%d CS", cpu_cpl(e->cpu), ring);
        diff_emu_destroy(e);
        return NULL;
    }
    return e;
}

void diff_emu_destroy(struct diff_emu *e)
{
    if (!e)
        return;
    cpu_destroy(e->cpu);
    mmu_free(&e->mmu);
    phys_destroy(e->phys);
    free(e);
}

void diff_emu_frame_span(const struct diff_emu *e, unsigned *lo, unsigned *hi)
{
    *lo = e->frame_lo;
    *hi = e->frame_hi;
}

/* The per-case protections of DIFF_F_PAGES: PTE flags, and INVLPG so the
 * TLB sees them (SDM Vol. 3 §4.10.4). */
static void set_pte(struct diff_emu *e, uint32_t lin, uint32_t flags)
{
    phys_write(e->phys, PT_ADDR + 4 * (lin >> 12), lin2phys(e, lin) | flags, 4);
    mmu_invlpg(&e->mmu, lin);
}

static void set_case_pages(struct diff_emu *e, unsigned pages, bool on)
{
    uint32_t data2 = DIFF_DATA_PAGE + 0x1000u, code2 = DIFF_CODE_PAGE + 0x1000u;
    if (pages & (DIFF_F_DATA2_RO | DIFF_F_DATA2_NP))
        set_pte(e, data2, !on ? 7u : (pages & DIFF_F_DATA2_NP) ? 0u : 5u);   /* U|P, no W */
    if (pages & DIFF_F_CODE2_NP)
        set_pte(e, code2, on ? 0u : 7u);
}

static bool has_error_code(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

int diff_emu_run(struct diff_emu *e, const struct diff_in *in, struct diff_out *out)
{
    struct cpu *c = e->cpu;
    uint32_t at = in->code_addr ? in->code_addr : DIFF_CODE_ADDR;
    uint8_t window[CODE_WINDOW];
    memset(window, 0xcc, sizeof window);
    guest_write(e, e->last_code, window, sizeof window);
    memcpy(window, in->code, in->code_len);
    guest_write(e, at, window, sizeof window);
    e->last_code = at;
    guest_write(e, DIFF_DATA_ADDR, in->data, DIFF_DATA_SIZE);
    e->frame_lo = e->frame_hi = 0;

    unsigned pages = e->paging ? in->flags & DIFF_F_PAGES : 0;
    if (pages)
        set_case_pages(e, pages, true);
    for (unsigned r = 0; r < 8; r++)
        cpu_set_reg(c, (enum cpu_reg)r, in->regs[r]);
    cpu_set_seg(c, S_ES, (in->flags & DIFF_F_ES_ALT) ? e->es_alt : e->ds);
    cpu_set_eflags(c, in->eflags);
    cpu_set_eip(c, at);

    int vec = -1;
    int steps = 0;
    bool lost = false;
    bool shutdown = false;
    for (; steps < STEP_BUDGET; steps++) {
        if (cpu_step(c) == CPU_STOP_TRIPLE_FAULT) {
            shutdown = true;
            break;
        }
        uint32_t eip = cpu_get_eip(c);
        if (eip >= HANDLER_ADDR && eip < HANDLER_ADDR + 256 * 8 && (eip - HANDLER_ADDR) % 8 == 0) {
            vec = (int)((eip - HANDLER_ADDR) / 8);
            break;
        }
        if (eip != at)
            break;
    }

    for (unsigned r = 0; r < 8; r++)
        out->regs[r] = cpu_get_reg(c, (enum cpu_reg)r);
    static const enum cpu_seg order[6] = { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS };
    bool seg_changed = false;
    for (unsigned s = 0; s < 6; s++) {
        out->sregs[s] = cpu_get_seg(c, order[s]).sel;
        seg_changed |= s != 0 && out->sregs[s] != (s == 1 ? e->cs.sel : s == 2 ? e->ss.sel : s == 3 ? e->ds.sel
                                                 : s == 4 ? e->fs.sel : e->gs.sel);
    }
    out->vector = -1;
    out->err = 0;
    out->cr2 = 0;
    if (vec == 14)
        out->cr2 = cpu_get_cr(c, 2);
    if (pages)
        set_case_pages(e, pages, false);
    if (vec >= 0) {
        uint32_t sp = out->regs[R_ESP];
        out->vector = vec;
        if (e->ring == 0 && (sp < 0x10000u || sp > RAM_BYTES - 16))
            lost = true;
        if (has_error_code(vec)) {
            out->err = guest_read32(e, sp);
            sp += 4;
        }
        out->eip = guest_read32(e, sp);
        out->eflags = guest_read32(e, sp + 8);
        out->sregs[1] = (uint16_t)guest_read32(e, sp + 4);
        if (e->ring == 3) {
            out->regs[R_ESP] = guest_read32(e, sp + 12);
            out->sregs[2] = (uint16_t)guest_read32(e, sp + 16);
        } else {
            out->regs[R_ESP] = sp + 12;
            /* the frame went onto the case's own stack */
            uint32_t lo = out->regs[R_ESP] - (has_error_code(vec) ? 16 : 12), hi = out->regs[R_ESP];
            if (lo < DIFF_DATA_ADDR + DIFF_DATA_SIZE && hi > DIFF_DATA_ADDR) {
                e->frame_lo = lo > DIFF_DATA_ADDR ? lo - DIFF_DATA_ADDR : 0;
                e->frame_hi = hi - DIFF_DATA_ADDR < DIFF_DATA_SIZE ? hi - DIFF_DATA_ADDR : DIFF_DATA_SIZE;
            }
        }
        seg_changed = true;
    } else {
        out->eip = cpu_get_eip(c);
        out->eflags = cpu_get_eflags(c);
    }
    if (seg_changed) {
        /* back to the case's privilege level and selectors for the next case */
        cpu_set_seg(c, S_CS, e->cs);
        cpu_set_seg(c, S_SS, e->ss);
        cpu_set_seg(c, S_DS, e->ds);
        cpu_set_seg(c, S_FS, e->fs);
        cpu_set_seg(c, S_GS, e->gs);
    }
    guest_read(e, DIFF_DATA_ADDR, out->data, DIFF_DATA_SIZE);
    if (shutdown) {
        out->vector = -3;     /* the machine must be created anew */
        return -1;
    }
    if (steps == STEP_BUDGET) {
        out->vector = -2;
        return -1;
    }
    return lost ? 1 : 0;
}
