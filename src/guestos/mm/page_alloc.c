/*
 * The zoned buddy allocator (mm/page_alloc.c).
 *
 * Mechanism: each zone keeps free_area[order] lists of 2^order-page blocks;
 * a free block's head page has PG_buddy and its order in page->private.
 * expand() splits a larger block and gives back the upper halves;
 * __free_one_page() merges a block with its buddy (pfn ^ (1 << order))
 * while the buddy is free, of the same order and in the same zone.
 * Free blocks sit on one list per migrate type; a type whose lists are
 * empty steals from another (__rmqueue_fallback), retyping whole
 * pageblocks when it can. Order-0 pages go through a per-CPU list per
 * type (count/high/batch) first.
 *
 * Policy: gfp_zone() picks the highest zone a request may use; the
 * zonelist walks down from it (HighMem -> Normal -> DMA); a zone is used
 * only while its free pages stay above a watermark plus lowmem_reserve
 * for the requesting zone. GFP_ATOMIC and __GFP_HIGH may dig below min.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/memblock.h>
#include <linux/percpu.h>
#include <linux/highmem.h>

struct pglist_data contig_page_data = { .node_id = 0 };
struct page *mem_map;
unsigned long max_low_pfn, max_pfn, min_low_pfn, highstart_pfn;
unsigned long totalram_pages, totalhigh_pages, totalreserve_pages;
unsigned long vm_events[NR_VM_EVENT_ITEMS];
int min_free_kbytes = 1024;
int watermark_scale_factor = 10;
int sysctl_lowmem_reserve_ratio[MAX_NR_ZONES] = { 256, 32, 0, 0 };
static const char *const zone_names[MAX_NR_ZONES] = { "DMA", "Normal", "HighMem", "Movable" };
static int movable_zone;		/* the zone ZONE_MOVABLE would be carved from */

#define ALLOC_WMARK_MIN WMARK_MIN
#define ALLOC_WMARK_LOW WMARK_LOW
#define ALLOC_WMARK_HIGH WMARK_HIGH
#define ALLOC_NO_WATERMARKS 0x04
#define ALLOC_WMARK_MASK (ALLOC_NO_WATERMARKS - 1)
#define ALLOC_HARDER 0x10
#define ALLOC_HIGH 0x20

bool is_highmem_idx(int idx)
{
	return idx == ZONE_HIGHMEM || (idx == ZONE_MOVABLE && movable_zone == ZONE_HIGHMEM);
}

/* GFP_ZONE_TABLE as a function: the low four gfp bits name a zone. */
enum zone_type gfp_zone(gfp_t flags)
{
	gfp_t bits = flags & GFP_ZONEMASK;

	if (bits & __GFP_DMA) {
		BUG_ON(bits & (__GFP_HIGHMEM | __GFP_DMA32));	/* GFP_ZONE_BAD */
		return ZONE_DMA;
	}
	if (bits & __GFP_HIGHMEM)
		return (bits & __GFP_MOVABLE) ? ZONE_MOVABLE : ZONE_HIGHMEM;
	return ZONE_NORMAL;		/* also __GFP_DMA32: no ZONE_DMA32 on i386 */
}

unsigned long global_zone_page_state(enum zone_stat_item item)
{
	struct zone *zone;
	long sum = 0;

	for_each_zone(zone)
		sum += zone->vm_stat[item];
	return sum < 0 ? 0 : sum;
}

static inline void mod_zone_page_state(struct zone *zone, enum zone_stat_item item, long delta)
{
	zone->vm_stat[item] += delta;
}

/* ---- migrate types and pageblocks --------------------------------------- */

const char *const migratetype_names[MIGRATE_TYPES] = { "Unmovable", "Movable", "Reclaimable", "HighAtomic" };
bool page_group_by_mobility_disabled;
static u8 pageblock_migratetype[(1UL << 20) >> pageblock_order];	/* 4 GiB of pfns */

/* Where to look when a type's own lists are empty (mm/page_alloc.c fallbacks[]). */
static const int fallbacks[MIGRATE_PCPTYPES][2] = {
	[MIGRATE_UNMOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

const u8 *pageblock_migratetype_map(void)
{
	return pageblock_migratetype;
}

int get_pageblock_migratetype(unsigned long pfn)
{
	return pageblock_migratetype[pfn >> pageblock_order];
}

static void set_pageblock_migratetype(unsigned long pfn, int mt)
{
	if (page_group_by_mobility_disabled && mt < MIGRATE_PCPTYPES)
		mt = MIGRATE_UNMOVABLE;
	pageblock_migratetype[pfn >> pageblock_order] = mt;
}

/* __GFP_MOVABLE (0x8) and __GFP_RECLAIMABLE (0x10) are the type, shifted by 3. */
int gfp_migratetype(gfp_t gfp)
{
	gfp_t bits = gfp & (__GFP_MOVABLE | __GFP_RECLAIMABLE);

	/* Both at once is a caller bug (Linux VM_WARN_ONs it); don't index past the pcp lists. */
	if (page_group_by_mobility_disabled || bits == (__GFP_MOVABLE | __GFP_RECLAIMABLE))
		return MIGRATE_UNMOVABLE;
	return bits >> 3;
}

/* ---- buddy mechanism ---------------------------------------------------- */

static inline void set_buddy_order(struct page *page, unsigned int order)
{
	page->private = order;
	__SetPageBuddy(page);
}

static inline bool page_is_buddy(struct page *page, struct page *buddy, unsigned int order)
{
	return PageBuddy(buddy) && buddy_order(buddy) == order &&
	       page_zonenum(buddy) == page_zonenum(page);
}

static inline void add_to_free_list(struct page *page, struct zone *zone, unsigned int order, int mt,
				    bool tail)
{
	struct free_area *area = &zone->free_area[order];

	if (tail)
		list_add_tail(&page->lru, &area->free_list[mt]);
	else
		list_add(&page->lru, &area->free_list[mt]);
	area->nr_free++;
}

static inline void move_to_free_list(struct page *page, struct zone *zone, unsigned int order, int mt)
{
	list_move(&page->lru, &zone->free_area[order].free_list[mt]);
}

static inline void del_page_from_free_list(struct page *page, struct zone *zone, unsigned int order)
{
	list_del(&page->lru);
	__ClearPageBuddy(page);
	page->private = 0;
	zone->free_area[order].nr_free--;
}

/*
 * Merge a freed block with its buddy while the buddy is free, then queue the
 * result on the list of `mt` (the type of the pageblock it was freed into).
 */
static void __free_one_page(struct page *page, unsigned long pfn, struct zone *zone, unsigned int order,
			    int mt)
{
	unsigned long buddy_pfn = 0, combined_pfn;
	struct page *buddy;
	bool to_tail = false;

	mod_zone_page_state(zone, NR_FREE_PAGES, 1L << order);
	while (order < MAX_ORDER - 1) {
		buddy_pfn = pfn ^ (1UL << order);
		if (buddy_pfn < zone->zone_start_pfn || buddy_pfn >= zone_end_pfn(zone))
			break;
		buddy = page + (buddy_pfn - pfn);
		if (!page_is_buddy(page, buddy, order))
			break;
		del_page_from_free_list(buddy, zone, order);
		combined_pfn = buddy_pfn & pfn;
		page = page + (combined_pfn - pfn);
		pfn = combined_pfn;
		order++;
	}
	set_buddy_order(page, order);
	/*
	 * If the next-larger buddy is free, this block will probably merge
	 * soon: queue it at the tail so it is not handed out first.
	 */
	if (order < MAX_ORDER - 2) {
		unsigned long higher = (pfn & ~((2UL << order) - 1)) ^ (2UL << order);
		if (higher >= zone->zone_start_pfn && higher < zone_end_pfn(zone))
			to_tail = page_is_buddy(page, pfn_to_page(higher), order + 1);
	}
	add_to_free_list(page, zone, order, mt, to_tail);
}

/* Split a 2^high block down to 2^low, returning the upper halves. */
static inline void expand(struct zone *zone, struct page *page, unsigned int low, unsigned int high, int mt)
{
	unsigned long size = 1UL << high;

	while (high > low) {
		high--;
		size >>= 1;
		add_to_free_list(&page[size], zone, high, mt, false);
		set_buddy_order(&page[size], high);
	}
}

static struct page *__rmqueue_smallest(struct zone *zone, unsigned int order, int mt)
{
	for (unsigned int current_order = order; current_order < MAX_ORDER; current_order++) {
		struct free_area *area = &zone->free_area[current_order];
		struct page *page = list_first_entry_or_null(&area->free_list[mt], struct page, lru);

		if (!page)
			continue;
		del_page_from_free_list(page, zone, current_order);
		expand(zone, page, order, current_order, mt);
		mod_zone_page_state(zone, NR_FREE_PAGES, -(1L << order));
		return page;
	}
	return NULL;
}

/* Move every free block inside pfn's pageblock to the lists of `mt`. */
static unsigned long move_freepages_block(struct zone *zone, unsigned long pfn, int mt)
{
	unsigned long start = pfn & ~(pageblock_nr_pages - 1), end = start + pageblock_nr_pages;
	unsigned long moved = 0;

	start = max(start, zone->zone_start_pfn);
	end = min(end, zone_end_pfn(zone));
	for (pfn = start; pfn < end;) {
		struct page *page = pfn_to_page(pfn);

		if (!PageBuddy(page)) {
			pfn++;
			continue;
		}
		move_to_free_list(page, zone, buddy_order(page), mt);
		moved += 1UL << buddy_order(page);
		pfn += 1UL << buddy_order(page);
	}
	return moved;
}

/*
 * can_steal_fallback(): take the whole pageblock when the block is big, or
 * when the request is unmovable/reclaimable (those should not spread).
 */
static bool can_steal_fallback(unsigned int order, int start_mt)
{
	return order >= pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE || page_group_by_mobility_disabled;
}

static int find_suitable_fallback(struct free_area *area, unsigned int order, int start_mt, bool *can_steal)
{
	*can_steal = false;
	if (!area->nr_free)
		return -1;
	for (int i = 0; i < 2; i++) {
		int fmt = fallbacks[start_mt][i];

		if (list_empty(&area->free_list[fmt]))
			continue;
		*can_steal = can_steal_fallback(order, start_mt);
		return fmt;
	}
	return -1;
}

/*
 * steal_suitable_fallback(): move the stolen block to start_mt; when the
 * whole pageblock may go, move its other free pages too, and retype the
 * block if at least half of it is free or already holds alike pages.
 */
static void steal_suitable_fallback(struct zone *zone, struct page *page, unsigned int current_order,
				    int start_mt, bool whole_block)
{
	unsigned long pfn = page_to_pfn(page);
	int old_mt = get_pageblock_migratetype(pfn);
	unsigned long free_pages, alike_pages;

	if (current_order >= pageblock_order) {
		for (unsigned long p = pfn; p < pfn + (1UL << current_order); p += pageblock_nr_pages)
			set_pageblock_migratetype(p, start_mt);
		goto single_page;
	}
	if (!whole_block)
		goto single_page;
	free_pages = move_freepages_block(zone, pfn, start_mt);
	/* No LRU here: every allocated page of a movable block counts as alike. */
	alike_pages = (start_mt != MIGRATE_MOVABLE && old_mt == MIGRATE_MOVABLE) ?
		      pageblock_nr_pages - free_pages : 0;
	if (!free_pages)
		goto single_page;
	if (free_pages + alike_pages >= pageblock_nr_pages / 2)
		set_pageblock_migratetype(pfn, start_mt);
	return;
single_page:
	move_to_free_list(page, zone, current_order, start_mt);
}

/* __rmqueue_fallback: steal from another type, the largest block first. */
static bool __rmqueue_fallback(struct zone *zone, unsigned int order, int start_mt)
{
	struct free_area *area;
	int current_order, fallback_mt = -1;
	bool can_steal = false;
	struct page *page;

	for (current_order = MAX_ORDER - 1; current_order >= (int)order; current_order--) {
		area = &zone->free_area[current_order];
		fallback_mt = find_suitable_fallback(area, current_order, start_mt, &can_steal);
		if (fallback_mt == -1)
			continue;
		/* Movable requests may take a big block; others prefer the smallest. */
		if (!can_steal && start_mt != MIGRATE_MOVABLE && current_order > (int)order)
			goto find_smallest;
		goto do_steal;
	}
	return false;
find_smallest:
	for (current_order = order; current_order < MAX_ORDER; current_order++) {
		area = &zone->free_area[current_order];
		fallback_mt = find_suitable_fallback(area, current_order, start_mt, &can_steal);
		if (fallback_mt != -1)
			break;
	}
	if (fallback_mt == -1)
		return false;
do_steal:
	page = list_first_entry(&area->free_list[fallback_mt], struct page, lru);
	steal_suitable_fallback(zone, page, current_order, start_mt, can_steal);
	return true;
}

static struct page *__rmqueue(struct zone *zone, unsigned int order, int mt)
{
	struct page *page;

	for (;;) {
		page = __rmqueue_smallest(zone, order, mt);
		if (page || !__rmqueue_fallback(zone, order, mt))
			return page;
	}
}

/* ---- per-CPU order-0 lists ---------------------------------------------- */

static int rmqueue_bulk(struct zone *zone, unsigned int order, int count, struct list_head *list, int mt)
{
	int i;

	for (i = 0; i < count; i++) {
		struct page *page = __rmqueue(zone, order, mt);
		if (!page)
			break;
		__SetPagePcp(page);
		page->private = get_pageblock_migratetype(page_to_pfn(page));	/* set_pcppage_migratetype */
		list_add_tail(&page->lru, list);
	}
	return i;
}

/* Give back `count` pages, oldest first, taking the lists round-robin. */
static void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp)
{
	int mt = 0;

	while (count > 0 && pcp->count > 0) {
		struct list_head *list = &pcp->lists[mt];

		mt = (mt + 1) % MIGRATE_PCPTYPES;
		if (list_empty(list))
			continue;
		struct page *page = list_last_entry(list, struct page, lru);
		int pmt = page->private;

		list_del(&page->lru);
		__ClearPagePcp(page);
		page->private = 0;
		pcp->count--;
		count--;
		__free_one_page(page, page_to_pfn(page), zone, 0, pmt);
	}
}

void drain_local_pages(void)
{
	struct zone *zone;
	unsigned long flags;

	local_irq_save(flags);
	for_each_zone(zone) {
		if (zone->per_cpu_pageset) {
			struct per_cpu_pages *pcp = this_cpu_ptr(zone->per_cpu_pageset);
			free_pcppages_bulk(zone, pcp->count, pcp);
		}
	}
	local_irq_restore(flags);
}

static struct page *rmqueue(struct zone *zone, unsigned int order, int mt)
{
	struct page *page;
	unsigned long flags;

	local_irq_save(flags);
	if (order == 0 && zone->per_cpu_pageset) {
		struct per_cpu_pages *pcp = this_cpu_ptr(zone->per_cpu_pageset);
		struct list_head *list = &pcp->lists[mt];

		if (list_empty(list))
			pcp->count += rmqueue_bulk(zone, 0, pcp->batch, list, mt);
		page = list_first_entry_or_null(list, struct page, lru);
		if (page) {
			list_del(&page->lru);
			__ClearPagePcp(page);
			page->private = 0;
			pcp->count--;
		}
	} else {
		page = __rmqueue(zone, order, mt);
	}
	if (page)
		count_vm_events(PGALLOC_DMA + zone_idx(zone), 1UL << order);
	local_irq_restore(flags);
	return page;
}

/* ---- watermarks and the zonelist walk ----------------------------------- */

static bool __zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
				int highest_zoneidx, unsigned int alloc_flags, long free_pages)
{
	long min = mark;

	free_pages -= (1L << order) - 1;
	if (alloc_flags & ALLOC_HIGH)
		min -= min / 2;
	if (alloc_flags & ALLOC_HARDER)
		min -= min / 4;
	if (free_pages <= min + z->lowmem_reserve[highest_zoneidx])
		return false;
	if (!order)
		return true;
	for (unsigned int o = order; o < MAX_ORDER; o++)
		if (z->free_area[o].nr_free)
			return true;
	return false;
}

bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags)
{
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags,
				   zone_page_state(z, NR_FREE_PAGES));
}

struct zonelist *node_zonelist(gfp_t gfp)
{
	(void)gfp;
	return &contig_page_data.node_zonelists[0];
}

static void prep_compound_page(struct page *page, unsigned int order)
{
	unsigned long nr = 1UL << order;

	__SetPageHead(page);
	for (unsigned long i = 1; i < nr; i++) {
		__SetPageTail(&page[i]);
		page[i].compound_head = (unsigned long)page + 1;
	}
	page[1].compound_order = order;
}

static void prep_new_page(struct page *page, unsigned int order, gfp_t gfp)
{
	set_page_count(page, 1);
	page->private = 0;
	if (gfp & __GFP_ZERO) {
		for (unsigned long i = 0; i < (1UL << order); i++)
			clear_highpage(page + i);
	}
	if ((gfp & __GFP_COMP) && order)
		prep_compound_page(page, order);
}

static struct page *get_page_from_freelist(gfp_t gfp, unsigned int order, unsigned int alloc_flags,
					   int highest_zoneidx)
{
	struct zoneref *z;

	for (z = node_zonelist(gfp)->_zonerefs; z->zone; z++) {
		struct zone *zone = z->zone;
		struct page *page;

		if (z->zone_idx > highest_zoneidx)
			continue;
		if (!(alloc_flags & ALLOC_NO_WATERMARKS)) {
			unsigned long mark = wmark_pages(zone, alloc_flags & ALLOC_WMARK_MASK);
			if (!zone_watermark_ok(zone, order, mark, highest_zoneidx, alloc_flags))
				continue;
		}
		page = rmqueue(zone, order, gfp_migratetype(gfp));
		if (page) {
			prep_new_page(page, order, gfp);
			return page;
		}
	}
	return NULL;
}

int format_gfp(char *buf, size_t n, gfp_t gfp)
{
	static const struct { gfp_t mask; const char *name; } names[] = {
		{ GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE" }, { GFP_HIGHUSER, "GFP_HIGHUSER" },
		{ GFP_USER, "GFP_USER" }, { GFP_KERNEL, "GFP_KERNEL" }, { GFP_NOFS, "GFP_NOFS" },
		{ GFP_ATOMIC, "GFP_ATOMIC" }, { GFP_NOIO, "GFP_NOIO" }, { GFP_NOWAIT, "GFP_NOWAIT" },
		{ __GFP_DMA, "GFP_DMA" }, { __GFP_HIGHMEM, "__GFP_HIGHMEM" }, { __GFP_DMA32, "__GFP_DMA32" },
		{ __GFP_MOVABLE, "__GFP_MOVABLE" }, { __GFP_RECLAIMABLE, "__GFP_RECLAIMABLE" },
		{ __GFP_HIGH, "__GFP_HIGH" }, { __GFP_IO, "__GFP_IO" }, { __GFP_FS, "__GFP_FS" },
		{ __GFP_ZERO, "__GFP_ZERO" }, { __GFP_ATOMIC, "__GFP_ATOMIC" },
		{ __GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM" }, { __GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM" },
		{ __GFP_NOWARN, "__GFP_NOWARN" }, { __GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL" },
		{ __GFP_NOFAIL, "__GFP_NOFAIL" }, { __GFP_NORETRY, "__GFP_NORETRY" },
		{ __GFP_COMP, "__GFP_COMP" }, { __GFP_HARDWALL, "__GFP_HARDWALL" },
	};
	size_t len = 0;

	buf[0] = 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(names) && gfp; i++) {
		if ((gfp & names[i].mask) == names[i].mask) {
			len += snprintf(buf + len, len < n ? n - len : 0, "%s%s", len ? "|" : "", names[i].name);
			gfp &= ~names[i].mask;
		}
	}
	if (!len)
		snprintf(buf, n, "0");
	return len;
}

static void warn_alloc(gfp_t gfp, unsigned int order)
{
	char names[160];

	format_gfp(names, sizeof(names), gfp);
	printk(KERN_WARNING "shell: page allocation failure: order:%u, mode:0x%x(%s), nodemask=(null)\n",
	       order, gfp, names);
	show_free_areas();
}

/* The allocator's entry point (__alloc_pages). */
struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	int highest_zoneidx = gfp_zone(gfp);
	unsigned int alloc_flags;
	struct page *page;

	if (order >= MAX_ORDER) {
		WARN_ON(!(gfp & __GFP_NOWARN));
		return NULL;
	}
	/* Fast path: stay above the low watermark. */
	page = get_page_from_freelist(gfp, order, ALLOC_WMARK_LOW, highest_zoneidx);
	if (page)
		return page;

	/*
	 * Slow path (gfp_to_alloc_flags): this kernel has no kswapd or direct
	 * reclaim, so what is left is retrying at min, with the reserves
	 * __GFP_HIGH and atomic requests are entitled to.
	 */
	alloc_flags = ALLOC_WMARK_MIN;
	if (gfp & __GFP_HIGH)
		alloc_flags |= ALLOC_HIGH;
	if (gfp & __GFP_ATOMIC)
		alloc_flags |= ALLOC_HARDER;
	page = get_page_from_freelist(gfp, order, alloc_flags, highest_zoneidx);
	if (page)
		return page;
	if (gfp & __GFP_NOFAIL) {
		/* Nothing to reclaim: a must-succeed request may take the reserves. */
		page = get_page_from_freelist(gfp, order, ALLOC_NO_WATERMARKS, highest_zoneidx);
		if (page)
			return page;
		panic("__GFP_NOFAIL allocation of order %u cannot be satisfied", order);
	}
	if (!(gfp & __GFP_NOWARN))
		warn_alloc(gfp, order);
	return NULL;
}

static void bad_page(struct page *page, const char *reason)
{
	printk(KERN_ERR "BUG: Bad page state: pfn:%05lx flags:0x%08lx count:%d mapcount:%d: %s\n",
	       page_to_pfn(page), page->flags, page->_refcount, page->_mapcount, reason);
	dump_stack();
}

#define PAGE_FLAGS_CHECK_AT_FREE ((1UL << PG_slab) | (1UL << PG_buddy) | (1UL << PG_reserved) | \
				  (1UL << PG_pcp) | (1UL << PG_pgtable))

static bool free_pages_prepare(struct page *page, unsigned int order)
{
	if (PageHead(page)) {
		for (unsigned long i = 1; i < (1UL << order); i++) {
			__ClearPageTail(&page[i]);
			page[i].compound_head = 0;
			page[i].compound_order = 0;
		}
		__ClearPageHead(page);
	}
	if (page->flags & PAGE_FLAGS_CHECK_AT_FREE) {
		bad_page(page, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set");
		return false;
	}
	/* A freed HighMem page keeps its idle pkmap slot until the next wrap, as in Linux. */
	page->flags &= (ZONES_MASK << ZONES_PGSHIFT) | (1UL << PG_highmem_mapped);
	page->_mapcount = -1;
	return true;
}

static void free_one_page_locked(struct page *page, unsigned int order)
{
	struct zone *zone = page_zone(page);
	unsigned long flags;

	local_irq_save(flags);
	count_vm_events(PGFREE, 1UL << order);
	int mt = get_pageblock_migratetype(page_to_pfn(page));

	if (order == 0 && zone->per_cpu_pageset && mt < MIGRATE_PCPTYPES) {
		struct per_cpu_pages *pcp = this_cpu_ptr(zone->per_cpu_pageset);

		__SetPagePcp(page);
		page->private = mt;
		list_add(&page->lru, &pcp->lists[mt]);
		if (++pcp->count >= pcp->high)
			free_pcppages_bulk(zone, pcp->batch, pcp);
	} else {
		__free_one_page(page, page_to_pfn(page), zone, order, mt);
	}
	local_irq_restore(flags);
}

void __free_pages(struct page *page, unsigned int order)
{
	if (!page)
		return;
	if (page->_refcount <= 0) {
		bad_page(page, "freeing a free page");
		return;
	}
	if (put_page_testzero(page) && free_pages_prepare(page, order))
		free_one_page_locked(page, order);
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp & ~__GFP_HIGHMEM, order);
	return page ? (unsigned long)page_address(page) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

void free_pages(unsigned long addr, unsigned int order)
{
	if (addr)
		__free_pages(virt_to_page(addr), order);
}

void *page_address(const struct page *page)
{
	if (!PageHighMem(page))
		return lowmem_page_address(page);
	return kmap_high_get_address(page);
}

/* ---- boot: node and zone set-up ----------------------------------------- */

/* Called from memblock_free_all() and for highmem (free_highmem_page). */
void memblock_free_pages(struct page *page, unsigned long pfn, unsigned int order)
{
	unsigned long nr = 1UL << order;
	struct zone *zone = page_zone(page);

	(void)pfn;
	for (unsigned long i = 0; i < nr; i++) {
		__ClearPageReserved(&page[i]);
		set_page_count(&page[i], 0);
	}
	zone->managed_pages += nr;
	totalram_pages += nr;
	set_page_count(page, 1);
	__free_pages(page, order);
}

void free_highmem_page(struct page *page)
{
	memblock_free_pages(page, page_to_pfn(page), 0);
	totalhigh_pages++;
}

/*
 * free_area_init(): the node spans the first to the last RAM pfn; each zone
 * spans its [start, end) clipped to that; present = RAM pages inside.
 */
void free_area_init(unsigned long *max_zone_pfn)
{
	struct pglist_data *pgdat = &contig_page_data;
	unsigned long node_start = PFN_UP(memblock.memory.regions[0].base);
	unsigned long node_end = PFN_DOWN(memblock_end_of_DRAM());
	unsigned long zone_start = node_start;
	unsigned long pfn;

	printk("Zone ranges:\n");
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *zone = &pgdat->node_zones[i];
		unsigned long end = min(max_zone_pfn[i], node_end);

		zone->name = zone_names[i];
		zone->zone_pgdat = pgdat;
		for (int o = 0; o < MAX_ORDER; o++)
			for (int t = 0; t < MIGRATE_TYPES; t++)
				INIT_LIST_HEAD(&zone->free_area[o].free_list[t]);
		if (i == ZONE_MOVABLE)
			continue;	/* no movablecore=: ZONE_MOVABLE stays empty */
		if (end > zone_start) {
			zone->zone_start_pfn = zone_start;
			zone->spanned_pages = end - zone_start;
			zone->present_pages = memblock_present_pages(zone_start, end);
			printk("  %-8s [mem 0x%016llx-0x%016llx]\n", zone->name, PFN_PHYS(zone_start),
			       PFN_PHYS(end) - 1);
			zone_start = end;
		} else {
			printk("  %-8s empty\n", zone->name);
		}
		if (zone->present_pages)
			movable_zone = i;
	}
	printk("Movable zone start for each node\nEarly memory node ranges\n");
	for (unsigned long i = 0; i < memblock.memory.cnt; i++)
		printk("  node   0: [mem 0x%016llx-0x%016llx]\n", memblock.memory.regions[i].base,
		       memblock.memory.regions[i].base + memblock.memory.regions[i].size - 1);
	printk("Initmem setup node 0 [mem 0x%016llx-0x%016llx]\n", PFN_PHYS(node_start), PFN_PHYS(node_end) - 1);

	pgdat->node_start_pfn = node_start;
	pgdat->node_spanned_pages = node_end - node_start;
	pgdat->node_present_pages = memblock_present_pages(node_start, node_end);
	pgdat->nr_zones = MAX_NR_ZONES;

	/* FLATMEM: mem_map covers pfn 0..max_pfn so pfn_to_page is one add. */
	mem_map = memblock_alloc(max_pfn * sizeof(struct page), PAGE_SIZE, "mem_map");
	pgdat->node_mem_map = mem_map;
	for (pfn = 0; pfn < max_pfn; pfn++) {
		struct page *page = &mem_map[pfn];
		enum zone_type z = pfn < max_zone_pfn[ZONE_DMA] ? ZONE_DMA :
				   pfn < max_zone_pfn[ZONE_NORMAL] ? ZONE_NORMAL : ZONE_HIGHMEM;

		page->flags = 1UL << PG_reserved;
		set_page_zone(page, z);
		if (!(pfn & (pageblock_nr_pages - 1)))
			set_pageblock_migratetype(pfn, MIGRATE_MOVABLE);	/* memmap_init */
		set_page_count(page, 1);
		page->_mapcount = -1;
	}
}

/* UMA build_zonerefs_node: populated zones from the highest down. */
void build_all_zonelists(void)
{
	struct zonelist *zl = &contig_page_data.node_zonelists[0];
	int nr = 0;

	for (int i = MAX_NR_ZONES - 1; i >= 0; i--) {
		struct zone *zone = &contig_page_data.node_zones[i];
		if (zone->managed_pages) {
			zl->_zonerefs[nr].zone = zone;
			zl->_zonerefs[nr].zone_idx = i;
			nr++;
		}
	}
	zl->_zonerefs[nr].zone = NULL;
	/* Too little memory to group by mobility: one type does (6.1 build_all_zonelists). */
	page_group_by_mobility_disabled = totalram_pages < pageblock_nr_pages * MIGRATE_TYPES;
	printk("Built 1 zonelists, mobility grouping %s.  Total pages: %lu\n",
	       page_group_by_mobility_disabled ? "off" : "on", totalram_pages);
}

/* sum of (managed - high) over zones <= ZONE_NORMAL (nr_free_zone_pages). */
unsigned long nr_free_buffer_pages(void)
{
	unsigned long sum = 0;

	for (int i = 0; i <= ZONE_NORMAL; i++) {
		struct zone *zone = &contig_page_data.node_zones[i];
		unsigned long size = zone_managed_pages(zone), high = high_wmark_pages(zone);
		if (size > high)
			sum += size - high;
	}
	return sum;
}

static void calculate_totalreserve_pages(void)
{
	unsigned long reserve = 0;

	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *zone = &contig_page_data.node_zones[i];
		long max = 0;

		for (int j = i; j < MAX_NR_ZONES; j++)
			if (zone->lowmem_reserve[j] > max)
				max = zone->lowmem_reserve[j];
		max += high_wmark_pages(zone);
		if (max > (long)zone_managed_pages(zone))
			max = zone_managed_pages(zone);
		reserve += max;
	}
	totalreserve_pages = reserve;
}

/* lowmem_reserve[j] of zone i = managed pages of zones i+1..j / ratio[i]. */
static void setup_per_zone_lowmem_reserve(void)
{
	for (int i = 0; i < MAX_NR_ZONES - 1; i++) {
		struct zone *zone = &contig_page_data.node_zones[i];
		int ratio = sysctl_lowmem_reserve_ratio[i];
		bool clear = !ratio || !zone_managed_pages(zone);
		unsigned long managed = 0;

		for (int j = i + 1; j < MAX_NR_ZONES; j++) {
			managed += zone_managed_pages(&contig_page_data.node_zones[j]);
			zone->lowmem_reserve[j] = clear ? 0 : managed / ratio;
		}
	}
	calculate_totalreserve_pages();
}

/* zone_batchsize(): about 0.1% of the zone, at most 1 MiB, as 2^n - 1. */
static int zone_batchsize(struct zone *zone)
{
	long batch = min(zone_managed_pages(zone) >> 10, (1UL << 20) / PAGE_SIZE);

	batch /= 4;
	if (batch < 1)
		batch = 1;
	batch = rounddown_pow_of_two(batch + batch / 2) - 1;
	return batch;
}

/* 6.1 zone_highsize(): the low watermark split over the CPUs, >= 4 batches. */
static int zone_highsize(struct zone *zone, int batch)
{
	int high = low_wmark_pages(zone) / 1;	/* one CPU */
	return max(high, batch << 2);
}

static void zone_pcp_update(struct zone *zone)
{
	struct per_cpu_pages *pcp;
	int batch = max(1, zone_batchsize(zone));

	if (!zone->per_cpu_pageset)
		return;
	pcp = per_cpu_ptr(zone->per_cpu_pageset, 0);
	pcp->batch = batch;
	pcp->high = zone_highsize(zone, batch);
}

void setup_zone_pageset(void)
{
	struct zone *zone;

	for_each_populated_zone(zone) {
		struct per_cpu_pages *pcp;

		zone->per_cpu_pageset = alloc_percpu(struct per_cpu_pages);
		pcp = per_cpu_ptr(zone->per_cpu_pageset, 0);
		for (int t = 0; t < MIGRATE_PCPTYPES; t++)
			INIT_LIST_HEAD(&pcp->lists[t]);
		zone_pcp_update(zone);
	}
}

void setup_per_zone_wmarks(void)
{
	unsigned long pages_min = min_free_kbytes >> (PAGE_SHIFT - 10);
	unsigned long lowmem_pages = 0;
	struct zone *zone;

	for_each_zone(zone)
		if (!is_highmem(zone))
			lowmem_pages += zone_managed_pages(zone);

	for_each_zone(zone) {
		u64 tmp = (u64)pages_min * zone_managed_pages(zone);

		tmp = lowmem_pages ? tmp / lowmem_pages : 0;
		if (is_highmem(zone)) {
			/*
			 * HighMem needs no reserve of its own for GFP_ATOMIC:
			 * __GFP_HIGH cannot be satisfied from it anyway. A small
			 * min keeps some pages for the __GFP_HIGHMEM slow path.
			 */
			unsigned long min_pages = zone_managed_pages(zone) / 1024;
			zone->_watermark[WMARK_MIN] = clamp(min_pages, 32UL, 128UL);
		} else {
			zone->_watermark[WMARK_MIN] = tmp;
		}
		/* watermark_scale_factor (0.1% of the zone) when that is larger. */
		tmp = max(tmp >> 2, (u64)zone_managed_pages(zone) * watermark_scale_factor / 10000);
		zone->watermark_boost = 0;
		zone->_watermark[WMARK_LOW] = zone->_watermark[WMARK_MIN] + tmp;
		zone->_watermark[WMARK_HIGH] = zone->_watermark[WMARK_LOW] + tmp;
	}
	for_each_zone(zone)
		zone_pcp_update(zone);
	calculate_totalreserve_pages();
}

/*
 * Debian's 6.1 kernel enables transparent hugepages (madvise) on machines
 * of 512 MiB and more, and khugepaged's start-up raises min_free_kbytes
 * (mm/khugepaged.c set_recommended_min_free_kbytes): room for
 * 2 + MIGRATE_PCPTYPES^2 = 11 pageblocks per lowmem zone, capped at 5% of
 * lowmem. This kernel has no THP, but it applies the same rule so that its
 * watermarks line up with Debian's; the boot option "nothp" skips it.
 */
static void set_recommended_min_free_kbytes(void)
{
	extern char boot_command_line[];
	unsigned long recommended_min, nr_zones = 0;
	struct zone *zone;

	if (totalram_pages < (512UL << (20 - PAGE_SHIFT)) || strstr(boot_command_line, "nothp"))
		return;
	for_each_populated_zone(zone)
		if (zone_idx(zone) <= ZONE_NORMAL)
			nr_zones++;
	recommended_min = (1UL << pageblock_order) * nr_zones * 2;
	recommended_min += (1UL << pageblock_order) * nr_zones * 3 * 3;
	recommended_min = min(recommended_min, nr_free_buffer_pages() / 20);
	recommended_min <<= PAGE_SHIFT - 10;
	if (recommended_min > (unsigned long)min_free_kbytes) {
		printk("raising min_free_kbytes from %d to %lu to help transparent hugepage allocations\n",
		       min_free_kbytes, recommended_min);
		min_free_kbytes = recommended_min;
		setup_per_zone_wmarks();
		setup_per_zone_lowmem_reserve();
	}
}

/* min_free_kbytes = sqrt(lowmem_kbytes * 16), clamped to [128, 262144] (6.1). */
void init_per_zone_wmark_min(void)
{
	unsigned long lowmem_kbytes = nr_free_buffer_pages() * (PAGE_SIZE >> 10);

	min_free_kbytes = clamp(int_sqrt(lowmem_kbytes * 16), 128UL, 262144UL);
	setup_per_zone_wmarks();
	setup_per_zone_lowmem_reserve();
	set_recommended_min_free_kbytes();
}

unsigned long nr_free_highpages(void)
{
	unsigned long n = 0;

	for (int i = 0; i < MAX_NR_ZONES; i++)
		if (is_highmem_idx(i))
			n += zone_page_state(&contig_page_data.node_zones[i], NR_FREE_PAGES);
	return n;
}

long si_mem_available(void)
{
	long available, wmark_low = 0, reclaimable;
	struct zone *zone;

	for_each_zone(zone)
		wmark_low += low_wmark_pages(zone);
	available = global_zone_page_state(NR_FREE_PAGES) - totalreserve_pages;
	reclaimable = global_node_page_state(NR_SLAB_RECLAIMABLE_B);
	available += reclaimable - min(reclaimable / 2, wmark_low);
	return available < 0 ? 0 : available;
}

/* show_free_areas(): what Linux prints after an allocation failure. */
void show_free_areas(void)
{
	struct zone *zone;

	for_each_populated_zone(zone) {
		unsigned long total = 0;
		char line[256];
		int len;

		printk("Node 0 %s free:%lukB boost:0kB min:%lukB low:%lukB high:%lukB present:%lukB managed:%lukB\n",
		       zone->name, zone_page_state(zone, NR_FREE_PAGES) << 2, min_wmark_pages(zone) << 2,
		       low_wmark_pages(zone) << 2, high_wmark_pages(zone) << 2, zone->present_pages << 2,
		       zone->managed_pages << 2);
		printk("lowmem_reserve[]: %ld %ld %ld %ld\n", zone->lowmem_reserve[0], zone->lowmem_reserve[1],
		       zone->lowmem_reserve[2], zone->lowmem_reserve[3]);
		len = snprintf(line, sizeof(line), "Node 0 %s: ", zone->name);
		for (int o = 0; o < MAX_ORDER; o++) {
			unsigned long n = zone->free_area[o].nr_free;
			total += n << o;
			len += snprintf(line + len, sizeof(line) - len, "%lu*%lukB ", n, 4UL << o);
		}
		snprintf(line + len, sizeof(line) - len, "= %lukB", total << 2);
		printk("%s\n", line);
	}
}
