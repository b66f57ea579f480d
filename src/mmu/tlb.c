/* The software TLB: a set-associative cache of translations with their
 * combined rights, which also opens the host fast path of mmu.h.
 *
 * Invariants: a lin page has at most one valid entry, in the set
 * (lin >> 12) & set_mask; ways are in LRU order (way 0 = most recent); a
 * fast-path tag equals lin_page only if that access kind is allowed by the
 * cached rights and may go straight to host memory (RAM or ROM for reads;
 * RAM that holds no decoded code and whose D bit is known set, for writes).
 * A 4 MiB page is cached as 4 KiB splinters marked large.
 *
 * Layout: way 0 of every set first (ent[set], what the fast path reads),
 * then ways 1.. of set s at ent[sets + s * (ways - 1) + way - 1]. */
#include "mmu/tlb.h"

#include <string.h>

#include "mmu/paging.h"

void tlb_entry_clear(struct tlb_entry *e)
{
    memset(e, 0, sizeof *e);
    e->tag_read[0] = e->tag_read[1] = TLB_INVALID_TAG;
    e->tag_write[0] = e->tag_write[1] = TLB_INVALID_TAG;
}

static struct tlb_entry *way(struct tlb *t, unsigned set, unsigned w)
{
    return w == 0 ? &t->ent[set] : &t->ent[t->sets + set * (t->ways - 1) + w - 1];
}

static unsigned set_of(const struct tlb *t, uint32_t lin) { return (lin >> 12) & t->set_mask; }

/* Make way k the most recent: ways 0..k-1 move down one place. */
static struct tlb_entry *to_front(struct tlb *t, unsigned set, unsigned k)
{
    if (k) {
        struct tlb_entry e = *way(t, set, k);
        for (unsigned w = k; w > 0; w--)
            *way(t, set, w) = *way(t, set, w - 1);
        *way(t, set, 0) = e;
    }
    return way(t, set, 0);
}

struct tlb_entry *tlb_lookup(struct mmu *m, uint32_t lin)
{
    struct tlb *t = &m->tlb;
    unsigned set = set_of(t, lin);
    uint32_t page = lin & ~0xfffu;
    for (unsigned w = 0; w < t->ways; w++) {
        struct tlb_entry *e = way(t, set, w);
        if (e->valid && e->lin_page == page)
            return to_front(t, set, w);
    }
    return NULL;
}

static void set_tags(struct mmu *m, struct tlb_entry *e)
{
    bool writable;
    uint8_t *host = phys_host_page_rw(m->phys, e->phys_page, &writable);
    if (!host || !writable)
        return;   /* ROM, MMIO or open bus: every access goes the slow way,
                   * so the fast path only ever touches RAM */
    e->addend = (uintptr_t)host - e->lin_page;
    e->tag_read[0] = e->lin_page;
    if (e->user_ok)
        e->tag_read[1] = e->lin_page;
    if (!e->dirty || !writable || phys_is_code(m->phys, e->phys_page))
        return;
    if (tlb_permits(e, false, true))
        e->tag_write[0] = e->lin_page;
    if (tlb_permits(e, true, true))
        e->tag_write[1] = e->lin_page;
}

struct tlb_entry *tlb_fill(struct mmu *m, const struct paging_walk *w)
{
    struct tlb *t = &m->tlb;
    unsigned set = set_of(t, w->lin);
    uint32_t page = w->lin & ~0xfffu;
    /* Reuse the entry for this page if there is one, else the first free
     * way, else the LRU way (drops may leave free ways anywhere in a set). */
    unsigned k = t->ways - 1, free_way = t->ways;
    for (unsigned i = 0; i < t->ways; i++) {
        struct tlb_entry *e = way(t, set, i);
        if (e->valid && e->lin_page == page) {
            free_way = i;
            break;
        }
        if (!e->valid && free_way == t->ways)
            free_way = i;
    }
    if (free_way < t->ways)
        k = free_way;
    struct tlb_entry *e = to_front(t, set, k);
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
    unsigned dropped = 0, set = set_of(t, lin);
    for (unsigned w = 0; w < t->ways; w++) {
        struct tlb_entry *e = way(t, set, w);
        if (e->valid && e->lin_page == page) {
            tlb_entry_clear(e);
            dropped++;
        }
    }
    if (!(t->large_regions[region >> 5] & (1u << (region & 31))))
        return dropped;
    /* The 1024 pages of the region fall in min(sets, 1024) distinct sets. */
    unsigned nsets = t->sets < 1024 ? t->sets : 1024;
    for (unsigned i = 0; i < nsets; i++) {
        unsigned s = ((region << 10) + i) & t->set_mask;
        for (unsigned w = 0; w < t->ways; w++) {
            struct tlb_entry *e = way(t, s, w);
            if (e->valid && e->large && (e->lin_page >> 22) == region) {
                tlb_entry_clear(e);
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
    struct tlb *t = (struct tlb *)&m->tlb;   /* way() is read-only here */
    unsigned count = 0;
    for (unsigned s = 0; s < t->sets; s++) {
        for (unsigned w = 0; w < t->ways; w++) {
            const struct tlb_entry *e = way(t, s, w);
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
