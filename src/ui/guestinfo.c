/* The guest-info ABI (docs/guest-info.md) seen from the UI: where the
 * guest's struct page array lives, so the frame map can colour each frame
 * by owner (free by buddy order, per-CPU list, slab, page table, reserved,
 * allocated) instead of only by what the page tables reach.
 *
 * The address arrives as one 32-bit OUT to port 0x0EF0, which the
 * machine's guest-info device (src/devices/guestinfo.c) records; the UI
 * asks the machine for it (machine_guest_info) rather than relying on the
 * EV_GUEST_INFO event, which the ring may overwrite before a frame. */
#include <string.h>

#include "mmu/phys.h"
#include "ui/ui_impl.h"

#define GI_MAGIC 0x4E494750u
#define GI_SIZE_V1 308u

static uint32_t rd(struct ui *u, uint32_t pa)
{
    return phys_read(u->m->phys, pa, 4);
}

/* Read and check the block at u->gi_phys. */
bool guestinfo_load(struct ui *u)
{
    struct phys *p = u->m->phys;
    /* the machine's port device remembers the last announcement: the
     * EV_GUEST_INFO event alone can be overwritten in the ring (an idle
     * guest's timer IRQs) before the UI reads it */
    uint32_t pa;
    if (machine_guest_info(u->m, &pa)) {
        u->gi_seen = true;
        u->gi_phys = pa;
    }
    uint32_t b = u->gi_phys;
    if (!u->gi_seen || phys_kind_at(p, b) != PHYS_RAM || phys_kind_at(p, b + GI_SIZE_V1 - 1) != PHYS_RAM)
        return false;
    if (rd(u, b) != GI_MAGIC || rd(u, b + 4) != 1 || rd(u, b + 8) < GI_SIZE_V1)
        return false;
    struct ui_guest_info *g = &u->gi;
    g->page_offset = rd(u, b + 16);
    g->mem_map_phys = rd(u, b + 20);
    g->first_pfn = rd(u, b + 24);
    g->nr_pages = rd(u, b + 28);
    g->max_low_pfn = rd(u, b + 32);
    g->page_size = rd(u, b + 36);
    g->off_flags = rd(u, b + 40);
    g->off_refcount = rd(u, b + 44);
    g->off_private = rd(u, b + 52);
    g->off_compound_head = rd(u, b + 64);
    g->off_slab_cache = rd(u, b + 60);
    g->off_cache_name = rd(u, b + 264);
    g->pg_reserved = rd(u, b + 76);
    g->pg_slab = rd(u, b + 80);
    g->pg_buddy = rd(u, b + 84);
    g->pg_tail = rd(u, b + 92);
    g->pg_pgtable = rd(u, b + 96);
    g->pg_pcp = rd(u, b + 100);
    if (!g->page_size || g->page_size > 256 || g->pg_reserved > 31 || g->pg_slab > 31 ||
        g->pg_buddy > 31 || g->pg_tail > 31 || g->pg_pgtable > 31 || g->pg_pcp > 31)
        return false;
    uint64_t end = (uint64_t)g->mem_map_phys + (uint64_t)g->nr_pages * g->page_size;
    if (end > phys_ram_size(p))
        return false;
    return true;
}

/* The owner of one frame from its struct page (docs/guest-info.md,
 * "Colouring a frame"); free blocks colour all their pages. */
void guestinfo_classify(struct ui *u)
{
    const struct ui_guest_info *g = &u->gi;
    struct phys *p = u->m->phys;
    uint32_t n = g->nr_pages;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t pfn = g->first_pfn + k;
        if (pfn >= u->nframes)
            break;
        if (u->frame[pfn] == FK_NOT_RAM)
            continue;
        uint32_t page = g->mem_map_phys + k * g->page_size;
        uint32_t flags = phys_read(p, page + g->off_flags, 4);
        uint8_t kind;
        if (flags & (1u << g->pg_buddy)) {
            uint32_t order = phys_read(p, page + g->off_private, 4);
            if (order > 10)
                order = 10;
            for (uint32_t f = pfn; f < pfn + (1u << order) && f < u->nframes; f++)
                if (u->frame[f] != FK_NOT_RAM)
                    u->frame[f] = (uint8_t)(FK_FREE0 + order);
            k += (1u << order) - 1;
            continue;
        } else if (flags & (1u << g->pg_pcp)) {
            kind = FK_PCP;
        } else if (flags & (1u << g->pg_tail)) {
            /* a tail page belongs to its head: compound_head - 1 is the
             * head's struct page in the direct map */
            uint32_t head = phys_read(p, page + g->off_compound_head, 4) - 1 - g->page_offset;
            uint32_t hk = head >= g->mem_map_phys ? (head - g->mem_map_phys) / g->page_size : k;
            uint32_t hpfn = g->first_pfn + hk;
            kind = hk < k && hpfn < u->nframes ? u->frame[hpfn] : FK_ALLOCATED;
        } else if (flags & (1u << g->pg_slab)) {
            kind = FK_SLAB;
        } else if (flags & (1u << g->pg_pgtable)) {
            kind = FK_PAGE_TABLE;
        } else if (flags & (1u << g->pg_reserved)) {
            kind = FK_RESERVED;
        } else if ((int32_t)phys_read(p, page + g->off_refcount, 4) > 0) {
            kind = FK_ALLOCATED;
        } else {
            kind = FK_FREE0;   /* refcount 0 outside the buddy lists: in transit */
        }
        /* what the page tables say is more specific for these */
        uint8_t arch = u->frame[pfn];
        if (kind == FK_ALLOCATED && (arch == FK_USER || arch == FK_PAGE_DIR))
            kind = arch;
        if (kind == FK_RESERVED && arch == FK_PAGE_DIR)
            kind = arch;
        u->frame[pfn] = kind;
    }
}

void guestinfo_slab_name(struct ui *u, uint32_t pfn, char *buf, size_t len)
{
    const struct ui_guest_info *g = &u->gi;
    struct phys *p = u->m->phys;
    buf[0] = '\0';
    if (!u->gi_ok || pfn < g->first_pfn || pfn - g->first_pfn >= g->nr_pages || len < 2)
        return;
    uint32_t page = g->mem_map_phys + (pfn - g->first_pfn) * g->page_size;
    uint32_t flags = phys_read(p, page + g->off_flags, 4);
    if (flags & (1u << g->pg_tail)) {   /* the head page names the cache */
        uint32_t head = phys_read(p, page + g->off_compound_head, 4) - 1 - g->page_offset;
        if (head < g->mem_map_phys || head >= g->mem_map_phys + g->nr_pages * g->page_size)
            return;
        page = head;
    }
    uint32_t cache = phys_read(p, page + g->off_slab_cache, 4) - g->page_offset;
    if (phys_kind_at(p, cache) != PHYS_RAM)
        return;
    size_t n = 0;
    for (; n + 1 < len && n < 24; n++) {
        char c = (char)phys_read(p, cache + g->off_cache_name + (uint32_t)n, 1);
        if (!c)
            break;
        buf[n] = c >= 32 && c < 127 ? c : '?';
    }
    buf[n] = '\0';
}
