/* TLB internals shared by mmu.c and tlb.c (not for other rooms: they use
 * mmu.h and tlb_snapshot). A set keeps its ways in LRU order, way 0 the most
 * recently used; the fast path in mmu.h only ever looks at way 0. */
#ifndef PAGODA_MMU_TLB_H
#define PAGODA_MMU_TLB_H

#include "mmu/mmu.h"

struct paging_walk;

void tlb_entry_clear(struct tlb_entry *e);
/* The valid entry for lin's page, moved to way 0 of its set, or NULL. */
struct tlb_entry *tlb_lookup(struct mmu *m, uint32_t lin);
/* Fill way 0 of lin's set from a successful walk (the set's older ways
 * shift down; an entry for the same page is replaced, else the LRU way is
 * evicted). Returns the new entry. */
struct tlb_entry *tlb_fill(struct mmu *m, const struct paging_walk *w);
/* Drop every entry covering lin (its 4 KiB page and, if lin lies in a
 * 4 MiB page, all splinters of it). Returns how many were dropped. */
unsigned tlb_drop(struct mmu *m, uint32_t lin);
/* Drop all entries, or all but the global ones. Returns how many. */
unsigned tlb_drop_all(struct mmu *m, bool keep_global);
/* Withhold the fast write path from entries mapping this physical page. */
void tlb_close_writes_to(struct mmu *m, uint32_t phys_page);

/* May an access of this kind use the entry (SDM §4.6, rights as cached)? */
static inline bool tlb_permits(const struct tlb_entry *e, bool user, bool write)
{
    if (user)
        return e->user_ok && (!write || e->write_ok_user);
    return !write || e->write_ok_super;
}

#endif
