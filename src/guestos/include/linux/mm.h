/* struct page helpers: flags, pfn <-> page <-> address (FLATMEM). */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/mm_types.h>
#include <linux/mmzone.h>
#include <linux/gfp.h>
#include <asm/page.h>

enum pageflags {
	PG_locked,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_active,
	PG_slab,
	PG_reserved = 10,
	PG_private,
	PG_head = 16,
	PG_tail,		/* not in Linux 6.1 (it tests compound_head bit 0) */
	PG_buddy,		/* Linux keeps this in page_type; a flag is simpler */
	PG_pgtable,		/* page-table page (Linux: page_type PG_table) */
	PG_highmem_mapped,	/* HighMem page currently has a pkmap slot */
	PG_pcp,			/* sitting on a per-CPU page list */
};
#define ZONES_PGSHIFT 30
#define ZONES_MASK 3UL

#define PAGEFLAG(name, bit)							\
	static inline int Page##name(const struct page *p) { return (p->flags >> bit) & 1; } \
	static inline void SetPage##name(struct page *p) { p->flags |= 1UL << bit; }	\
	static inline void __SetPage##name(struct page *p) { p->flags |= 1UL << bit; }	\
	static inline void ClearPage##name(struct page *p) { p->flags &= ~(1UL << bit); } \
	static inline void __ClearPage##name(struct page *p) { p->flags &= ~(1UL << bit); }
PAGEFLAG(Reserved, PG_reserved)
PAGEFLAG(Slab, PG_slab)
PAGEFLAG(Head, PG_head)
PAGEFLAG(Tail, PG_tail)
PAGEFLAG(Buddy, PG_buddy)
PAGEFLAG(Table, PG_pgtable)
PAGEFLAG(Pcp, PG_pcp)

extern struct page *mem_map;
#define ARCH_PFN_OFFSET 0UL
#define pfn_to_page(pfn) (mem_map + ((pfn) - ARCH_PFN_OFFSET))
#define page_to_pfn(page) ((unsigned long)((page) - mem_map) + ARCH_PFN_OFFSET)
#define pfn_valid(pfn) ((pfn) < max_pfn)
#define virt_to_page(kaddr) pfn_to_page(__pa(kaddr) >> PAGE_SHIFT)
#define page_to_phys(page) ((phys_addr_t)page_to_pfn(page) << PAGE_SHIFT)
#define virt_addr_valid(kaddr) ((unsigned long)(kaddr) >= PAGE_OFFSET && \
				(unsigned long)(kaddr) < (unsigned long)high_memory)

static inline enum zone_type page_zonenum(const struct page *page)
{
	return (page->flags >> ZONES_PGSHIFT) & ZONES_MASK;
}
static inline struct zone *page_zone(const struct page *page)
{
	return &contig_page_data.node_zones[page_zonenum(page)];
}
static inline void set_page_zone(struct page *page, enum zone_type zone)
{
	page->flags &= ~(ZONES_MASK << ZONES_PGSHIFT);
	page->flags |= (unsigned long)zone << ZONES_PGSHIFT;
}
static inline bool PageHighMem(const struct page *page)
{
	return page_zonenum(page) == ZONE_HIGHMEM;
}
static inline struct page *compound_head(struct page *page)
{
	if (page->compound_head & 1)
		return (struct page *)(page->compound_head - 1);
	return page;
}
static inline unsigned int compound_order(struct page *page)
{
	return PageHead(page) ? page[1].compound_order : 0;
}
static inline struct page *virt_to_head_page(const void *x)
{
	return compound_head(virt_to_page(x));
}
static inline int page_count(struct page *page) { return compound_head(page)->_refcount; }
static inline void set_page_count(struct page *page, int v) { page->_refcount = v; }
static inline void get_page(struct page *page) { compound_head(page)->_refcount++; }
static inline int put_page_testzero(struct page *page) { return --page->_refcount == 0; }
static inline unsigned long buddy_order(struct page *page) { return page->private; }

void *page_address(const struct page *page);
#define lowmem_page_address(page) __va(page_to_pfn(page) << PAGE_SHIFT)

extern unsigned long totalram_pages, totalhigh_pages;
unsigned long nr_free_highpages(void);
void si_meminfo_pages(unsigned long *total, unsigned long *free);
long si_mem_available(void);
void show_free_areas(void);
void mem_init(void);
void paging_init(void);
void kmap_init(void);
void early_ioremap_reset(void);
unsigned long direct_map_4k_kb(void);
unsigned long direct_map_4m_kb(void);
int probe_kernel_read_byte(const void *addr, u8 *out);
pte_t *pte_alloc_kernel(unsigned long addr);

#endif
