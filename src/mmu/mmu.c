/* MMU slow paths: control registers and the flushes they cause, the
 * translation behind every TLB miss, page-crossing accesses, ROM/MMIO/code
 * pages. The rules of the walk are in paging.c, the TLB in tlb.c. */
#include "mmu/mmu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/events.h"
#include "mmu/paging.h"
#include "mmu/tlb.h"

int mmu_init(struct mmu *m, struct phys *phys, unsigned sets, unsigned ways)
{
    memset(m, 0, sizeof *m);
    if (sets < 2 || (sets & (sets - 1)) || ways == 0 || ways > 64)
        return -1;
    m->phys = phys;
    m->tlb.sets = sets;
    m->tlb.ways = ways;
    m->tlb.set_mask = sets - 1;
    m->tlb.ent = calloc((size_t)sets * ways, sizeof *m->tlb.ent);
    if (!m->tlb.ent)
        return -1;
    for (unsigned i = 0; i < sets * ways; i++)
        tlb_entry_clear(&m->tlb.ent[i]);
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
    if (sscanf(s, "%ux%u%c", &a, &b, &tail) != 2 || a < 2 || (a & (a - 1)) ||
        a > (1u << 16) || b == 0 || b > 64)
        return -1;
    *sets = a;
    *ways = b;
    return 0;
}

static void flushed(struct mmu *m, enum tlb_flush_cause cause, unsigned dropped)
{
    m->tlb.st.flushes[cause]++;
    if (m->ev)
        events_push(m->ev, EV_TLB_FLUSH, cause, dropped, 0, 0);
}

void mmu_flush(struct mmu *m, enum tlb_flush_cause cause)
{
    flushed(m, cause, tlb_drop_all(m, false));
}

/* SDM Vol. 3 §4.10.4.1: MOV to CR0 changing PG or WP, and MOV to CR4
 * changing PSE or PGE, invalidate all TLB entries, global ones included. */
void mmu_set_cr0(struct mmu *m, uint32_t v)
{
    uint32_t changed = m->cr0 ^ v;
    m->cr0 = v;
    if (changed & (CR0_PG | CR0_WP | CR0_PE))
        mmu_flush(m, TLB_FLUSH_CR0);
}

/* A CR3 load (MOV, task switch) keeps global entries when CR4.PGE = 1. */
void mmu_set_cr3(struct mmu *m, uint32_t v)
{
    uint32_t old = m->cr3;
    m->cr3 = v;
    if (m->ev)
        events_push(m->ev, EV_CR3_LOAD, v, old, 0, 0);
    flushed(m, TLB_FLUSH_CR3, tlb_drop_all(m, m->cr4 & CR4_PGE));
}

void mmu_set_cr4(struct mmu *m, uint32_t v)
{
    uint32_t changed = m->cr4 ^ v;
    m->cr4 = v;
    if (changed & (CR4_PSE | CR4_PGE))
        mmu_flush(m, TLB_FLUSH_CR4);
}

/* INVLPG drops the entries for the page holding lin, global or not, and
 * the whole 4 MiB page when lin lies in one. */
void mmu_invlpg(struct mmu *m, uint32_t lin)
{
    unsigned dropped = tlb_drop(m, lin);
    m->tlb.st.invlpg++;
    if (m->ev)
        events_push(m->ev, EV_INVLPG, lin, dropped, 0, 0);
}

void mmu_a20_changed(struct mmu *m) { mmu_flush(m, TLB_FLUSH_A20); }

void mmu_mark_code(struct mmu *m, uint32_t phys_addr)
{
    uint32_t page = phys_addr & ~0xfffu;
    phys_mark_code(m->phys, page);
    tlb_close_writes_to(m, page);
}

static void __attribute__((__noreturn__)) page_fault(struct mmu *m, const struct paging_walk *w)
{
    /* SDM §4.10.4.1: a page fault invalidates the TLB entries for the
     * faulting address (no stale entry outlives the fault). */
    tlb_drop(m, w->lin);
    m->cr2 = w->lin;
    m->tlb.st.page_faults++;
    if (m->ev)
        events_push(m->ev, EV_PAGE_FAULT, w->lin, w->err, m->eip ? *m->eip : 0, 0);
    m->fault(m->fault_ctx, w->lin, w->err);
}

uint32_t mmu_translate(struct mmu *m, uint32_t lin, unsigned flags)
{
    bool user = m->user && !(flags & MMU_SUPER), write = flags & MMU_WRITE;
    struct tlb_entry *e = tlb_lookup(m, lin);
    /* A clean entry cannot take a write: the walk must set D first. An
     * entry whose cached rights refuse the access is walked again too, so
     * a fault always reflects the page tables as they are now. */
    if (e && tlb_permits(e, user, write) && (!write || e->dirty)) {
        m->tlb.st.hits++;
        return e->phys_page | (lin & 0xfffu);
    }
    m->tlb.st.misses++;
    if (m->cr0 & CR0_PG)
        m->tlb.st.walks++;
    struct paging_walk w;
    if (!paging_walk(m, lin, flags, &w))
        page_fault(m, &w);
    tlb_fill(m, &w);
    return w.phys;
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
