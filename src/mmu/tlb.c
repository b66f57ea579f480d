/* The software TLB: a set-associative cache of translations with their
 * combined rights, which also opens the host fast path of mmu.h.
 *
 * Invariants: a lin page has at most one valid entry, in the set
 * (lin >> 12) & set_mask; ways are in LRU order (way 0 = most recent); a
 * fast-path tag equals lin_page only if that access kind is allowed by the
 * cached rights and may go straight to host memory (RAM or ROM for reads;
 * RAM that holds no decoded code and whose D bit is known set, for writes).
 * A 4 MiB page is cached as 4 KiB splinters marked large. */
#include "mmu/tlb.h"

#include <string.h>

#include "mmu/paging.h"

void tlb_entry_clear(struct tlb_entry *e)
{
    memset(e, 0, sizeof *e);
    e->tag_read[0] = e->tag_read[1] = TLB_INVALID_TAG;
    e->tag_write[0] = e->tag_write[1] = TLB_INVALID_TAG;
}

struct tlb_entry *tlb_lookup(struct mmu *m, uint32_t lin)
{
    struct tlb_entry *set = mmu_tlb_slot(m, lin);
    uint32_t page = lin & ~0xfffu;
    for (unsigned w = 0; w < m->tlb.ways; w++) {
        if (set[w].valid && set[w].lin_page == page) {
            if (w) {
                struct tlb_entry hit = set[w];
                memmove(&set[1], &set[0], w * sizeof *set);
                set[0] = hit;
            }
            return &set[0];
        }
    }
    return NULL;
}

static void set_tags(struct mmu *m, struct tlb_entry *e)
{
    uint8_t *host = phys_host_page(m->phys, e->phys_page, false);
    if (!host)
        return;   /* MMIO or open bus: every access goes the slow way */
    e->addend = (uintptr_t)host - e->lin_page;
    e->tag_read[0] = e->lin_page;
    if (e->user_ok)
        e->tag_read[1] = e->lin_page;
    if (!e->dirty || !phys_host_page(m->phys, e->phys_page, true) ||
        phys_is_code(m->phys, e->phys_page))
        return;
    if (tlb_permits(e, false, true))
        e->tag_write[0] = e->lin_page;
    if (tlb_permits(e, true, true))
        e->tag_write[1] = e->lin_page;
}

struct tlb_entry *tlb_fill(struct mmu *m, const struct paging_walk *w)
{
    struct tlb_entry *set = mmu_tlb_slot(m, w->lin);
    uint32_t page = w->lin & ~0xfffu;
    /* The ways above the one we reuse move down one place: reuse the entry
     * for this page if there is one, else the first free way, else the
     * LRU way (drops may leave free ways anywhere in a set). */
    unsigned shift = m->tlb.ways - 1, free_way = m->tlb.ways;
    for (unsigned i = 0; i < m->tlb.ways; i++) {
        if (set[i].valid && set[i].lin_page == page) {
            free_way = i;
            break;
        }
        if (!set[i].valid && free_way == m->tlb.ways)
            free_way = i;
    }
    if (free_way < m->tlb.ways)
        shift = free_way;
    memmove(&set[1], &set[0], shift * sizeof *set);

    struct tlb_entry *e = &set[0];
    tlb_entry_clear(e);
    e->valid = 1;
    e->lin_page = page;
    e->phys_page = w->phys & ~0xfffu;
    e->user_ok = w->user_ok;
    e->write_ok_user = w->write_ok;
    /* CR0.WP changes flush the TLB, so the current WP can be folded in. */
    e->write_ok_super = w->write_ok || !(m->cr0 & CR0_WP);
    e->dirty = w->dirty;
    e->global = w->global;
    e->large = w->page_size > 4096;
    if (e->large)
        m->tlb.large_regions[w->lin >> 27] |= 1u << ((w->lin >> 22) & 31);
    set_tags(m, e);
    return e;
}

static void region_mark(struct tlb *t, uint32_t region, bool on)
{
    if (on)
        t->large_regions[region >> 5] |= 1u << (region & 31);
    else
        t->large_regions[region >> 5] &= ~(1u << (region & 31));
}

unsigned tlb_drop(struct mmu *m, uint32_t lin)
{
    struct tlb *t = &m->tlb;
    uint32_t page = lin & ~0xfffu, region = lin >> 22;
    unsigned dropped = 0;
    struct tlb_entry *set = mmu_tlb_slot(m, lin);
    for (unsigned w = 0; w < t->ways; w++) {
        if (set[w].valid && set[w].lin_page == page) {
            tlb_entry_clear(&set[w]);
            dropped++;
        }
    }
    if (!(t->large_regions[region >> 5] & (1u << (region & 31))))
        return dropped;
    /* The 1024 pages of the region fall in min(sets, 1024) distinct sets. */
    unsigned nsets = t->sets < 1024 ? t->sets : 1024;
    for (unsigned i = 0; i < nsets; i++) {
        struct tlb_entry *s = &t->ent[(((region << 10) + i) & t->set_mask) * t->ways];
        for (unsigned w = 0; w < t->ways; w++) {
            if (s[w].valid && s[w].large && (s[w].lin_page >> 22) == region) {
                tlb_entry_clear(&s[w]);
                dropped++;
            }
        }
    }
    region_mark(t, region, false);
    return dropped;
}

unsigned tlb_drop_all(struct mmu *m, bool keep_global)
{
    struct tlb *t = &m->tlb;
    unsigned n = t->sets * t->ways, dropped = 0;
    memset(t->large_regions, 0, sizeof t->large_regions);
    for (unsigned i = 0; i < n; i++) {
        struct tlb_entry *e = &t->ent[i];
        if (!e->valid)
            continue;
        if (keep_global && e->global) {
            if (e->large)
                region_mark(t, e->lin_page >> 22, true);
            continue;
        }
        tlb_entry_clear(e);
        dropped++;
    }
    return dropped;
}

void tlb_close_writes_to(struct mmu *m, uint32_t phys_page)
{
    unsigned n = m->tlb.sets * m->tlb.ways;
    for (unsigned i = 0; i < n; i++) {
        struct tlb_entry *e = &m->tlb.ent[i];
        if (e->valid && e->phys_page == phys_page)
            e->tag_write[0] = e->tag_write[1] = TLB_INVALID_TAG;
    }
}

unsigned tlb_snapshot(const struct mmu *m, struct tlb_snap *out, unsigned max)
{
    const struct tlb *t = &m->tlb;
    unsigned count = 0;
    for (unsigned s = 0; s < t->sets; s++) {
        for (unsigned w = 0; w < t->ways; w++) {
            const struct tlb_entry *e = &t->ent[s * t->ways + w];
            if (!e->valid)
                continue;
            if (count < max) {
                out[count] = (struct tlb_snap){
                    .lin = e->lin_page, .phys = e->phys_page, .set = s, .way = (uint8_t)w,
                    .user_ok = e->user_ok, .write_ok_user = e->write_ok_user,
                    .write_ok_super = e->write_ok_super, .dirty = e->dirty,
                    .global = e->global, .large = e->large,
                    .fast_read = (uint8_t)((e->tag_read[0] == e->lin_page) |
                                           (e->tag_read[1] == e->lin_page) << 1),
                    .fast_write = (uint8_t)((e->tag_write[0] == e->lin_page) |
                                            (e->tag_write[1] == e->lin_page) << 1),
                };
            }
            count++;
        }
    }
    return count;
}
