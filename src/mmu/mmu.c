/* MMU slow paths: TLB fill, page-crossing accesses, ROM/MMIO/code pages. */
#include "mmu/mmu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/events.h"

static void entry_clear(struct tlb_entry *e)
{
    memset(e, 0, sizeof *e);
    e->tag_read[0] = e->tag_read[1] = TLB_INVALID_TAG;
    e->tag_write[0] = e->tag_write[1] = TLB_INVALID_TAG;
}

int mmu_init(struct mmu *m, struct phys *phys, unsigned sets, unsigned ways)
{
    memset(m, 0, sizeof *m);
    if (sets == 0 || (sets & (sets - 1)) || ways == 0 || ways > 64)
        return -1;
    m->phys = phys;
    m->tlb.sets = sets;
    m->tlb.ways = ways;
    m->tlb.set_mask = sets - 1;
    m->tlb.ent = calloc((size_t)sets * ways, sizeof *m->tlb.ent);
    if (!m->tlb.ent)
        return -1;
    for (unsigned i = 0; i < sets * ways; i++)
        entry_clear(&m->tlb.ent[i]);
    return 0;
}

void mmu_free(struct mmu *m)
{
    free(m->tlb.ent);
    m->tlb.ent = NULL;
}

int mmu_parse_tlb_geometry(const char *s, unsigned *sets, unsigned *ways)
{
    if (strcmp(s, "i386") == 0) {
        *sets = 8;
        *ways = 4;
        return 0;
    }
    unsigned a, b;
    char tail;
    if (sscanf(s, "%ux%u%c", &a, &b, &tail) != 2 || a == 0 || (a & (a - 1)) ||
        a > (1u << 16) || b == 0 || b > 64)
        return -1;
    *sets = a;
    *ways = b;
    return 0;
}

void mmu_flush(struct mmu *m, enum tlb_flush_cause cause)
{
    unsigned n = m->tlb.sets * m->tlb.ways, dropped = 0;
    for (unsigned i = 0; i < n; i++) {
        dropped += m->tlb.ent[i].valid;
        entry_clear(&m->tlb.ent[i]);
    }
    m->tlb.st.flushes[cause]++;
    if (m->ev)
        events_push(m->ev, EV_TLB_FLUSH, cause, dropped, 0, 0);
}

void mmu_set_cr0(struct mmu *m, uint32_t v)
{
    uint32_t changed = m->cr0 ^ v;
    m->cr0 = v;
    if (changed & (CR0_PG | CR0_WP | CR0_PE))
        mmu_flush(m, TLB_FLUSH_CR0);
}

void mmu_set_cr3(struct mmu *m, uint32_t v)
{
    uint32_t old = m->cr3;
    m->cr3 = v;
    if (m->ev)
        events_push(m->ev, EV_CR3_LOAD, v, old, 0, 0);
    mmu_flush(m, TLB_FLUSH_CR3);
}

void mmu_set_cr4(struct mmu *m, uint32_t v)
{
    uint32_t changed = m->cr4 ^ v;
    m->cr4 = v;
    if (changed & (CR4_PSE | CR4_PGE))
        mmu_flush(m, TLB_FLUSH_CR4);
}

void mmu_invlpg(struct mmu *m, uint32_t lin)
{
    struct tlb_entry *set = mmu_tlb_slot(m, lin);
    unsigned dropped = 0;
    for (unsigned w = 0; w < m->tlb.ways; w++) {
        if (set[w].valid && set[w].lin_page == (lin & ~0xfffu)) {
            entry_clear(&set[w]);
            dropped++;
        }
    }
    m->tlb.st.invlpg++;
    if (m->ev)
        events_push(m->ev, EV_INVLPG, lin, dropped, 0, 0);
}

void mmu_a20_changed(struct mmu *m) { mmu_flush(m, TLB_FLUSH_A20); }

void mmu_mark_code(struct mmu *m, uint32_t phys_addr)
{
    uint32_t page = phys_addr & ~0xfffu;
    phys_mark_code(m->phys, page);
    unsigned n = m->tlb.sets * m->tlb.ways;
    for (unsigned i = 0; i < n; i++) {
        struct tlb_entry *e = &m->tlb.ent[i];
        if (e->valid && e->phys_page == page)
            e->tag_write[0] = e->tag_write[1] = TLB_INVALID_TAG;
    }
}

/* Fill (or refresh) the TLB entry for lin with a translation to phys_page. */
static void tlb_fill(struct mmu *m, uint32_t lin, uint32_t phys_page, bool write_ok)
{
    struct tlb_entry *e = mmu_tlb_slot(m, lin);
    uint32_t lin_page = lin & ~0xfffu;
    entry_clear(e);
    e->valid = 1;
    e->lin_page = lin_page;
    e->phys_page = phys_page;
    e->user_ok = e->write_ok_user = e->write_ok_super = 1;
    e->dirty = 1;
    uint8_t *host = phys_host_page(m->phys, phys_page, false);
    if (host) {
        e->addend = (uintptr_t)host - lin_page;
        e->tag_read[0] = e->tag_read[1] = lin_page;
        if (write_ok && phys_host_page(m->phys, phys_page, true) && !phys_is_code(m->phys, phys_page))
            e->tag_write[0] = e->tag_write[1] = lin_page;
    }
}

uint32_t mmu_translate(struct mmu *m, uint32_t lin, unsigned flags)
{
    (void)flags;
    m->tlb.st.misses++;
    /* Paging off: linear is physical, through the A20 gate. The paging
     * walk replaces this when CR0.PG is set (paging.c). */
    uint32_t pa = lin & phys_a20_mask(m->phys);
    tlb_fill(m, lin, pa & ~0xfffu, true);
    return pa;
}

uint32_t mmu_read_slow(struct mmu *m, uint32_t lin, int size, unsigned flags)
{
    uint32_t off = lin & 0xfffu;
    if (off + (uint32_t)size <= 0x1000u) {
        uint32_t pa = mmu_translate(m, lin, flags);
        return phys_read(m->phys, pa, size);
    }
    /* crosses a page: translate both before reading either */
    int first = (int)(0x1000u - off);
    uint32_t pa1 = mmu_translate(m, lin, flags);
    uint32_t pa2 = mmu_translate(m, lin + first, flags);
    uint32_t lo = phys_read(m->phys, pa1, first);
    uint32_t hi = phys_read(m->phys, pa2, size - first);
    return lo | (hi << (8 * first));
}

void mmu_write_slow(struct mmu *m, uint32_t lin, int size, uint32_t val, unsigned flags)
{
    flags |= MMU_WRITE;
    uint32_t off = lin & 0xfffu;
    if (off + (uint32_t)size <= 0x1000u) {
        uint32_t pa = mmu_translate(m, lin, flags);
        phys_write(m->phys, pa, val, size);
        return;
    }
    int first = (int)(0x1000u - off);
    uint32_t pa1 = mmu_translate(m, lin, flags);
    uint32_t pa2 = mmu_translate(m, lin + first, flags);  /* faults before any byte is written */
    phys_write(m->phys, pa1, val, first);
    phys_write(m->phys, pa2, val >> (8 * first), size - first);
}
