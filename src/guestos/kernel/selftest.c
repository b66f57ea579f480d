/*
 * In-guest selftests: one "PASS name" or "FAIL name: why" line per case,
 * then "selftest: N passed, M failed". Every case runs at every memory
 * size; where a case needs HighMem and there is none it checks the lowmem
 * path instead and says so.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/memblock.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/highmem.h>
#include <linux/mempool.h>
#include <linux/percpu.h>
#include <asm/io.h>

static char why[160];
static const char *note;

#define CHECK(cond, ...) do { if (!(cond)) { snprintf(why, sizeof(why), __VA_ARGS__); return false; } } while (0)

static u32 rnd_state = 0x2545F491;
static u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static bool have_highmem(void)
{
	return totalhigh_pages != 0;
}

/* Where GFP_KERNEL goes first: Normal, or DMA on a machine of 16 MiB or less. */
static struct zone *kernel_zone(void)
{
	struct zone *normal = &contig_page_data.node_zones[ZONE_NORMAL];
	return normal->managed_pages ? normal : &contig_page_data.node_zones[ZONE_DMA];
}

/* ---- zone snapshots ------------------------------------------------------ */

struct zone_snap {
	unsigned long nr_free[MAX_NR_ZONES][MAX_ORDER];
	unsigned long free_pages[MAX_NR_ZONES];
};

static void snap_zones(struct zone_snap *s)
{
	drain_local_pages();
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &contig_page_data.node_zones[z];
		for (int o = 0; o < MAX_ORDER; o++)
			s->nr_free[z][o] = zone->free_area[o].nr_free;
		s->free_pages[z] = zone_page_state(zone, NR_FREE_PAGES);
	}
}

static bool snaps_equal(const struct zone_snap *a, const struct zone_snap *b)
{
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		CHECK(a->free_pages[z] == b->free_pages[z], "zone %s free pages %lu, expected %lu",
		      contig_page_data.node_zones[z].name, b->free_pages[z], a->free_pages[z]);
		for (int o = 0; o < MAX_ORDER; o++)
			CHECK(a->nr_free[z][o] == b->nr_free[z][o], "zone %s order %d: %lu free blocks, expected %lu",
			      contig_page_data.node_zones[z].name, o, b->nr_free[z][o], a->nr_free[z][o]);
	}
	return true;
}

/* ---- a chain of allocated blocks, linked through page->lru -------------- */

struct chain {
	struct list_head head;
	unsigned long count[MAX_NR_ZONES];
	unsigned long total;		/* pages */
	unsigned int order;		/* every block in the chain has this order */
	bool order_ok;			/* no page came from a zone the fast path should have skipped to */
	bool saw_highmem;
};

static void chain_init_order(struct chain *c, unsigned int order)
{
	memset(c, 0, sizeof(*c));
	INIT_LIST_HEAD(&c->head);
	c->order_ok = true;
	c->order = order;
}

static void chain_init(struct chain *c)
{
	chain_init_order(c, 0);
}

/*
 * The zonelist walk takes the first zone, from the top, above its low
 * watermark (then, in the slow path, above min). So when a page comes from
 * zone z, every higher zone the request may use must be at or below low.
 */
static struct page *chain_alloc(struct chain *c, gfp_t gfp)
{
	struct page *page = alloc_pages(gfp | __GFP_NOWARN, c->order);
	int z, highest = gfp_zone(gfp);

	if (!page)
		return NULL;
	z = page_zonenum(page);
	list_add(&page->lru, &c->head);
	c->count[z] += 1UL << c->order;
	c->total += 1UL << c->order;
	for (int h = z + 1; h <= highest && h < MAX_NR_ZONES; h++) {
		struct zone *hz = &contig_page_data.node_zones[h];
		if (hz->managed_pages && zone_watermark_ok(hz, c->order, low_wmark_pages(hz), highest, 0))
			c->order_ok = false;
	}
	c->saw_highmem |= PageHighMem(page);
	return page;
}

static void chain_fill(struct chain *c, gfp_t gfp)
{
	while (chain_alloc(c, gfp))
		;
}

static void chain_free(struct chain *c)
{
	struct page *page, *tmp;
	unsigned int order = c->order;

	list_for_each_entry_safe(page, tmp, &c->head, lru) {
		list_del(&page->lru);
		__free_pages(page, order);
	}
	chain_init_order(c, order);
}

/* ---- buddy ---------------------------------------------------------------- */

static bool storm_overlap_ok, storm_zone_ok;
static char storm_overlap_why[160], storm_zone_why[160];

/* Every GFP mix the storm uses; a zone rule is checked on every allocation. */
static const gfp_t storm_gfps[] = {
	GFP_KERNEL, GFP_ATOMIC, GFP_USER, GFP_NOIO, GFP_NOFS, GFP_HIGHUSER, GFP_HIGHUSER_MOVABLE,
	GFP_DMA, GFP_DMA | GFP_KERNEL, GFP_DMA | GFP_ATOMIC, GFP_KERNEL | __GFP_HIGHMEM, GFP_ATOMIC | __GFP_HIGHMEM,
};
static const char *const storm_gfp_names[] = {
	"GFP_KERNEL", "GFP_ATOMIC", "GFP_USER", "GFP_NOIO", "GFP_NOFS", "GFP_HIGHUSER", "GFP_HIGHUSER_MOVABLE",
	"GFP_DMA", "GFP_DMA|GFP_KERNEL", "GFP_DMA|GFP_ATOMIC", "GFP_KERNEL|__GFP_HIGHMEM", "GFP_ATOMIC|__GFP_HIGHMEM",
};
static unsigned long storm_served[ARRAY_SIZE(storm_gfps)][6];	/* successful allocations per gfp and order */

/*
 * The highest zone a request may be served from, read off the flags here
 * rather than through gfp_zone(), so that a broken gfp_zone() cannot vouch
 * for itself: __GFP_DMA means DMA only; without __GFP_HIGHMEM nothing above
 * Normal; with it HighMem, or Movable when __GFP_MOVABLE is set too.
 */
static int storm_top_zone(gfp_t gfp)
{
	if (gfp & __GFP_DMA)
		return ZONE_DMA;
	if (!(gfp & __GFP_HIGHMEM))
		return ZONE_NORMAL;
	return (gfp & __GFP_MOVABLE) ? ZONE_MOVABLE : ZONE_HIGHMEM;
}

static void storm_check_zone(struct page *page, unsigned int order, unsigned int g)
{
	gfp_t gfp = storm_gfps[g];
	unsigned long pfn = page_to_pfn(page), end = pfn + (1UL << order);
	struct zone *zone = page_zone(page);
	int z = page_zonenum(page);

	if (!storm_zone_ok)
		return;
	if (z > storm_top_zone(gfp))
		snprintf(storm_zone_why, sizeof(storm_zone_why), "%s order %u got pfn 0x%lx from zone %s",
			 storm_gfp_names[g], order, pfn, zone->name);
	else if ((gfp & __GFP_DMA) && end > MAX_DMA_PFN)
		snprintf(storm_zone_why, sizeof(storm_zone_why), "%s order %u got pfns 0x%lx-0x%lx, not below 16 MiB",
			 storm_gfp_names[g], order, pfn, end - 1);
	else if (PageHighMem(page) && !(gfp & __GFP_HIGHMEM))
		snprintf(storm_zone_why, sizeof(storm_zone_why), "%s order %u got HighMem pfn 0x%lx without __GFP_HIGHMEM",
			 storm_gfp_names[g], order, pfn);
	else if (pfn < zone->zone_start_pfn || end > zone_end_pfn(zone))
		snprintf(storm_zone_why, sizeof(storm_zone_why), "order-%u block at pfn 0x%lx crosses zone %s",
			 order, pfn, zone->name);
	else
		return;
	storm_zone_ok = false;
}

static bool test_buddy_storm_returns_zones_to_boot_state(void)
{
	static struct { struct page *page; unsigned int order; } live[512];
	unsigned long bits = ALIGN(max_pfn, 32);
	u32 *owned = vzalloc(bits / 8);
	struct zone_snap before, after;

	CHECK(owned, "vzalloc of the ownership bitmap failed");
	memset(live, 0, sizeof(live));
	storm_overlap_ok = storm_zone_ok = true;
	memset(storm_served, 0, sizeof(storm_served));
	snap_zones(&before);
	for (int round = 0; round < 30000; round++) {
		unsigned int i = rnd() % ARRAY_SIZE(live);

		if (live[i].page) {
			unsigned long pfn = page_to_pfn(live[i].page);
			for (unsigned long p = pfn; p < pfn + (1UL << live[i].order); p++)
				owned[p / 32] &= ~(1U << (p % 32));
			__free_pages(live[i].page, live[i].order);
			live[i].page = NULL;
		} else {
			unsigned int order = rnd() % 6, g = rnd() % ARRAY_SIZE(storm_gfps);
			struct page *page = alloc_pages(storm_gfps[g] | __GFP_NOWARN, order);
			unsigned long pfn;

			if (!page)
				continue;
			storm_served[g][order]++;
			storm_check_zone(page, order, g);
			pfn = page_to_pfn(page);
			if (pfn & ((1UL << order) - 1)) {
				storm_overlap_ok = false;
				snprintf(storm_overlap_why, sizeof(storm_overlap_why),
					 "order-%u block at unaligned pfn 0x%lx", order, pfn);
			}
			for (unsigned long p = pfn; p < pfn + (1UL << order); p++) {
				if (owned[p / 32] & (1U << (p % 32))) {
					storm_overlap_ok = false;
					snprintf(storm_overlap_why, sizeof(storm_overlap_why),
						 "pfn 0x%lx handed out twice", p);
				}
				owned[p / 32] |= 1U << (p % 32);
			}
			live[i].page = page;
			live[i].order = order;
		}
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(live); i++)
		if (live[i].page)
			__free_pages(live[i].page, live[i].order);
	snap_zones(&after);
	vfree(owned);
	return snaps_equal(&before, &after);
}

static bool test_buddy_live_allocations_never_overlap(void)
{
	CHECK(storm_overlap_ok, "%s", storm_overlap_why);
	return true;
}

/* Every allocation of the storm (12 GFP mixes x orders 0-5) came from a zone its flags allow. */
static bool test_buddy_storm_respects_gfp_zones(void)
{
	for (unsigned int g = 0; g < ARRAY_SIZE(storm_gfps); g++)
		for (unsigned int o = 0; o < 6; o++)
			CHECK(storm_served[g][o], "the storm never served %s at order %u", storm_gfp_names[g], o);
	CHECK(storm_zone_ok, "%s", storm_zone_why);
	if (!have_highmem())
		note = "no HighMem: __GFP_HIGHMEM requests served from Normal";
	return true;
}

/* Every free block is aligned, marked, in its zone, and has no free twin. */
static bool test_buddy_free_lists_aligned_and_fully_merged(void)
{
	struct zone *zone;

	drain_local_pages();
	for_each_populated_zone(zone) {
		for (int o = 0; o < MAX_ORDER; o++) {
			struct page *page;
			unsigned long n = 0;

			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			list_for_each_entry(page, &zone->free_area[o].free_list[mt], lru) {
				unsigned long pfn = page_to_pfn(page);
				unsigned long buddy = pfn ^ (1UL << o);

				n++;
				CHECK(!(pfn & ((1UL << o) - 1)), "%s order %d block at pfn 0x%lx", zone->name, o, pfn);
				CHECK(PageBuddy(page) && buddy_order(page) == (unsigned long)o,
				      "%s pfn 0x%lx not marked as an order-%d buddy", zone->name, pfn, o);
				CHECK(pfn >= zone->zone_start_pfn && pfn + (1UL << o) <= zone_end_pfn(zone),
				      "%s pfn 0x%lx outside the zone", zone->name, pfn);
				if (o < MAX_ORDER - 1 && buddy >= zone->zone_start_pfn && buddy < zone_end_pfn(zone)) {
					struct page *b = pfn_to_page(buddy);
					CHECK(!(PageBuddy(b) && buddy_order(b) == (unsigned long)o),
					      "%s: free order-%d buddies 0x%lx and 0x%lx were not merged", zone->name, o,
					      pfn, buddy);
				}
			}
			CHECK(n == zone->free_area[o].nr_free, "%s order %d: list has %lu, nr_free says %lu",
			      zone->name, o, n, zone->free_area[o].nr_free);
		}
	}
	return true;
}

/* expand() hands out the low half and queues the upper halves one order down. */
static bool test_buddy_split_gives_upper_halves_back(void)
{
	struct zone *zone = kernel_zone();
	int zi = zone_idx(zone);
	struct zone_snap before, after;
	struct page *page;
	int top = -1;

	snap_zones(&before);
	/* GFP_KERNEL is unmovable: the split comes from the Unmovable lists. */
	for (int o = 2; o < MAX_ORDER; o++) {
		if (!list_empty(&zone->free_area[o].free_list[MIGRATE_UNMOVABLE])) {
			top = o;
			break;
		}
	}
	CHECK(top >= 0, "no Unmovable block of order >= 2 in %s", zone->name);
	page = alloc_pages(GFP_KERNEL, 2);
	CHECK(page && page_zone(page) == zone, "order-2 GFP_KERNEL did not come from %s", zone->name);
	snap_zones(&after);
	CHECK(after.nr_free[zi][top] == before.nr_free[zi][top] - 1, "order-%d count did not drop by one", top);
	for (int k = 2; k < top; k++)
		CHECK(after.nr_free[zi][k] == before.nr_free[zi][k] + 1, "order %d did not gain the upper half", k);
	__free_pages(page, 2);
	snap_zones(&after);
	return snaps_equal(&before, &after);
}

static bool test_gfp_zone_maps_flags_to_zones(void)
{
	CHECK(gfp_zone(GFP_KERNEL) == ZONE_NORMAL, "GFP_KERNEL");
	CHECK(gfp_zone(GFP_DMA) == ZONE_DMA, "GFP_DMA");
	CHECK(gfp_zone(GFP_HIGHUSER) == ZONE_HIGHMEM, "GFP_HIGHUSER");
	CHECK(gfp_zone(GFP_HIGHUSER_MOVABLE) == ZONE_MOVABLE, "GFP_HIGHUSER_MOVABLE");
	CHECK(gfp_zone(__GFP_DMA32) == ZONE_NORMAL, "__GFP_DMA32 (no DMA32 zone on i386)");
	CHECK(gfp_zone(__GFP_MOVABLE) == ZONE_NORMAL, "__GFP_MOVABLE alone");
	CHECK(get_order(1) == 0 && get_order(4096) == 0 && get_order(4097) == 1 && get_order(1 << 22) == 10,
	      "get_order");
	return true;
}

static bool test_zonelist_order_is_highmem_normal_dma(void)
{
	struct zoneref *z = node_zonelist(GFP_KERNEL)->_zonerefs;
	int last = MAX_NR_ZONES, n = 0;

	for (; z->zone; z++, n++) {
		CHECK(z->zone_idx < last, "zonelist goes up from %d to %d", last, z->zone_idx);
		CHECK(z->zone->managed_pages, "unpopulated zone %s in the zonelist", z->zone->name);
		last = z->zone_idx;
	}
	{
		int populated = 0;
		for (int i = 0; i < MAX_NR_ZONES; i++)
			populated += contig_page_data.node_zones[i].managed_pages != 0;
		CHECK(n == populated, "%d zones in the zonelist, %d populated", n, populated);
	}
	CHECK(node_zonelist(GFP_KERNEL)->_zonerefs[n - 1].zone_idx == ZONE_DMA, "DMA is not last");
	return true;
}

static bool test_gfp_flags_map_to_migrate_types(void)
{
	if (page_group_by_mobility_disabled) {
		note = "mobility grouping off: everything is Unmovable";
		CHECK(gfp_migratetype(GFP_HIGHUSER_MOVABLE) == MIGRATE_UNMOVABLE, "grouping off but typed");
		return true;
	}
	CHECK(gfp_migratetype(GFP_KERNEL) == MIGRATE_UNMOVABLE, "GFP_KERNEL");
	CHECK(gfp_migratetype(GFP_HIGHUSER) == MIGRATE_UNMOVABLE, "GFP_HIGHUSER (no __GFP_MOVABLE)");
	CHECK(gfp_migratetype(GFP_HIGHUSER_MOVABLE) == MIGRATE_MOVABLE, "GFP_HIGHUSER_MOVABLE");
	CHECK(gfp_migratetype(GFP_KERNEL | __GFP_RECLAIMABLE) == MIGRATE_RECLAIMABLE, "__GFP_RECLAIMABLE");
	return true;
}

/*
 * An unmovable request that finds no Unmovable block takes a free block
 * from another type; with a whole pageblock free it retypes the block, so
 * unmovable pages cluster (__rmqueue_fallback / steal_suitable_fallback).
 */
static bool test_unmovable_request_steals_a_movable_pageblock(void)
{
	static u8 before[1024];
	struct zone *zone = kernel_zone();
	unsigned long first = zone->zone_start_pfn >> pageblock_order;
	unsigned long nblocks = (zone_end_pfn(zone) - 1) / pageblock_nr_pages - first + 1;
	struct chain c;
	struct page *page;
	bool stole = false, retyped = false;

	drain_local_pages();
	for (unsigned long b = 0; b < nblocks && b < ARRAY_SIZE(before); b++)
		before[b] = get_pageblock_migratetype((first + b) << pageblock_order);
	chain_init_order(&c, 3);
	while ((page = chain_alloc(&c, GFP_KERNEL))) {
		unsigned long b = (page_to_pfn(page) >> pageblock_order) - first;

		if (page_zone(page) != zone || b >= ARRAY_SIZE(before))
			continue;
		if (before[b] == MIGRATE_MOVABLE) {
			stole = true;
			retyped = get_pageblock_migratetype(page_to_pfn(page)) == MIGRATE_UNMOVABLE;
			break;
		}
	}
	chain_free(&c);
	if (!stole) {
		note = "no Movable pageblock left to steal";
		return true;
	}
	CHECK(retyped, "the stolen pageblock kept type Movable");
	return true;
}

static bool test_gfp_dma_stays_below_16mib(void)
{
	struct chain c;
	unsigned long bad = 0;
	struct page *page;

	chain_init(&c);
	for (int i = 0; i < 3000; i++)
		if (!chain_alloc(&c, GFP_DMA))
			break;
	unsigned long n = c.total;

	list_for_each_entry(page, &c.head, lru)
		bad += page_to_pfn(page) >= MAX_DMA_PFN;
	chain_free(&c);
	CHECK(n > 0 && bad == 0, "%lu of %lu GFP_DMA frames at or above 16 MiB", bad, n);
	return true;
}

static bool fallback_used_every_zone(struct chain *c, int top)
{
	for (int z = top; z >= 0; z--) {
		struct zone *zone = &contig_page_data.node_zones[z];
		if (zone->managed_pages)
			CHECK(c->count[z], "no page came from %s", zone->name);
	}
	return true;
}

/* GFP_HIGHUSER: HighMem first, then Normal, then DMA, never back up. */
static bool test_fallback_order_highmem_normal_dma(void)
{
	struct chain c;
	bool ok;

	/* Order-2 blocks: the same walk with a quarter of the calls. */
	chain_init_order(&c, 2);
	chain_fill(&c, GFP_HIGHUSER);
	ok = c.order_ok && fallback_used_every_zone(&c, ZONE_HIGHMEM);
	if (!c.order_ok)
		snprintf(why, sizeof(why), "a page came from a lower zone while a higher one was above low");
	if (ok)
		snprintf(why, sizeof(why), "%lu HighMem, %lu Normal, %lu DMA pages", c.count[ZONE_HIGHMEM],
			 c.count[ZONE_NORMAL], c.count[ZONE_DMA]);
	chain_free(&c);
	if (ok)
		note = why;
	return ok;
}

static bool lowmem_exhausted_ok, dma_reserve_failed;
static char lowmem_why[160];

/* One exhaustion of lowmem by GFP_KERNEL answers three questions. */
static bool test_gfp_kernel_never_gets_highmem(void)
{
	struct chain big, rest, atomic;
	struct zone *normal = kernel_zone();
	struct page *dma;
	long below_min;
	bool ok;

	/* Order-2 blocks for speed, then the order-0 rest down to the watermark. */
	chain_init_order(&big, 2);
	chain_init(&rest);
	chain_init(&atomic);
	chain_fill(&big, GFP_KERNEL);
	chain_fill(&rest, GFP_KERNEL);
	lowmem_exhausted_ok = true;
	dma_reserve_failed = false;
	lowmem_why[0] = 0;

	/* GFP_KERNEL stopped at a watermark, with pages still free. */
	if (!zone_page_state(normal, NR_FREE_PAGES)) {
		lowmem_exhausted_ok = false;
		snprintf(lowmem_why, sizeof(lowmem_why), "%s ran dry instead of stopping at min", normal->name);
	}
	/* lowmem_reserve kept DMA pages from the Normal-capable requests. */
	dma = alloc_pages(GFP_DMA | __GFP_NOWARN, 0);
	if (!dma && normal != &contig_page_data.node_zones[ZONE_DMA]) {
		dma_reserve_failed = true;
		snprintf(lowmem_why, sizeof(lowmem_why), "no GFP_DMA page left: lowmem_reserve did not hold");
	}
	if (dma)
		__free_page(dma);
	/* GFP_ATOMIC may go below min (ALLOC_HIGH | ALLOC_HARDER). */
	chain_fill(&atomic, GFP_ATOMIC);
	below_min = (long)zone_page_state(normal, NR_FREE_PAGES) - (long)min_wmark_pages(normal);
	if (lowmem_exhausted_ok && (!atomic.total || below_min >= 0)) {
		lowmem_exhausted_ok = false;
		snprintf(lowmem_why, sizeof(lowmem_why), "GFP_ATOMIC got %lu pages, %s free - min = %ld",
			 atomic.total, normal->name, below_min);
	}
	chain_free(&atomic);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		big.count[z] += rest.count[z];
	ok = !big.saw_highmem && !rest.saw_highmem && big.order_ok && rest.order_ok &&
	     fallback_used_every_zone(&big, ZONE_NORMAL);
	if (big.saw_highmem || rest.saw_highmem)
		snprintf(why, sizeof(why), "GFP_KERNEL returned a HighMem page");
	else if (!big.order_ok || !rest.order_ok)
		snprintf(why, sizeof(why), "GFP_KERNEL skipped a zone that was above low");
	chain_free(&rest);
	chain_free(&big);
	return ok;
}

static bool test_gfp_atomic_dips_below_min_where_gfp_kernel_fails(void)
{
	CHECK(lowmem_exhausted_ok, "%s", lowmem_why);
	return true;
}

static bool test_lowmem_reserve_keeps_dma_for_gfp_dma(void)
{
	struct zone *dma = &contig_page_data.node_zones[ZONE_DMA];

	CHECK(dma->lowmem_reserve[ZONE_NORMAL] == (long)(contig_page_data.node_zones[ZONE_NORMAL].managed_pages / 256),
	      "DMA lowmem_reserve[Normal] is %ld", dma->lowmem_reserve[ZONE_NORMAL]);
	CHECK(!dma_reserve_failed, "after GFP_KERNEL filled lowmem no GFP_DMA page was left");
	if (kernel_zone() == dma)
		note = "no Normal zone: nothing to reserve against";
	return true;
}

static bool test_watermarks_sum_to_min_free_kbytes(void)
{
	unsigned long sum = 0, lowzones = 0;
	struct zone *zone;

	for_each_zone(zone) {
		if (is_highmem(zone)) {
			if (zone_idx(zone) == ZONE_HIGHMEM)
				CHECK(min_wmark_pages(zone) >= 32 && min_wmark_pages(zone) <= 128,
				      "HighMem min %lu not in [32, 128]", min_wmark_pages(zone));
			continue;
		}
		sum += min_wmark_pages(zone);
		lowzones += zone->managed_pages != 0;
		CHECK(low_wmark_pages(zone) - min_wmark_pages(zone) == high_wmark_pages(zone) - low_wmark_pages(zone),
		      "%s: low-min != high-low", zone->name);
	}
	CHECK(sum <= (unsigned long)min_free_kbytes / 4 && sum + lowzones >= (unsigned long)min_free_kbytes / 4,
	      "lowmem min watermarks sum to %lu pages, min_free_kbytes/4 = %d", sum, min_free_kbytes / 4);
	{
		/* sqrt(16 * lowmem kB), or THP's 5% of lowmem at 512 MiB and up. */
		unsigned long low_kb = (totalram_pages - totalhigh_pages) * 4;
		unsigned long bound = max(int_sqrt(low_kb * 16) + 1, low_kb / 20 + 4);
		CHECK((unsigned long)min_free_kbytes <= bound && min_free_kbytes >= 128,
		      "min_free_kbytes %d outside [128, %lu]", min_free_kbytes, bound);
	}
	return true;
}

static bool test_pcp_list_stays_below_high(void)
{
	struct zone *zone = kernel_zone();
	struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, 0);
	struct chain c;
	struct page *page, *tmp;

	drain_local_pages();
	chain_init(&c);
	page = chain_alloc(&c, GFP_KERNEL);
	CHECK(page && pcp->count == pcp->batch - 1, "first order-0 alloc left %d on the pcp list, batch %d",
	      pcp->count, pcp->batch);
	/* Enough to push the list past high once everything is freed. */
	for (int i = 0; i < pcp->high + 3 * pcp->batch; i++)
		if (!chain_alloc(&c, GFP_KERNEL))
			break;
	list_for_each_entry_safe(page, tmp, &c.head, lru) {
		list_del(&page->lru);
		if (page_zone(page) != zone) {
			__free_page(page);
			continue;
		}
		__free_page(page);
		CHECK(pcp->count < pcp->high, "pcp count %d reached high %d", pcp->count, pcp->high);
	}
	drain_local_pages();
	CHECK(pcp->count == 0, "drain left %d pages", pcp->count);
	return true;
}

static bool test_zone_boundaries_follow_linux(void)
{
	struct zone *z = contig_page_data.node_zones;

	CHECK(MAXMEM_PFN == 0x36bfe, "MAXMEM_PFN 0x%lx, Debian's is 0x36bfe", MAXMEM_PFN);
	CHECK(max_low_pfn == min(max_pfn, MAXMEM_PFN), "max_low_pfn 0x%lx", max_low_pfn);
	CHECK(zone_end_pfn(&z[ZONE_DMA]) == min(MAX_DMA_PFN, max_low_pfn), "DMA ends at 0x%lx", zone_end_pfn(&z[ZONE_DMA]));
	CHECK(!z[ZONE_NORMAL].spanned_pages || zone_end_pfn(&z[ZONE_NORMAL]) == max_low_pfn, "Normal end");
	CHECK(have_highmem() == (max_pfn > MAXMEM_PFN), "HighMem presence");
	if (have_highmem())
		CHECK(z[ZONE_HIGHMEM].zone_start_pfn == max_low_pfn && zone_end_pfn(&z[ZONE_HIGHMEM]) == max_pfn,
		      "HighMem span");
	CHECK((unsigned long)high_memory == PAGE_OFFSET + (max_low_pfn << PAGE_SHIFT), "high_memory");
	return true;
}

/*
 * The bootmem names at work: boot's round trip (bootmem_round_trip) got
 * zeroed memory with each name's alignment, alloc_bootmem_low below 16 MiB,
 * all in lowmem, and free_bootmem gave every byte back; the per-CPU area,
 * which lives on, came from alloc_bootmem_pages and its pages never reached
 * the buddy allocator.
 */
static bool test_bootmem_names_allocate_and_free_through_memblock(void)
{
	const struct bootmem_record *r = &bootmem_record;
	unsigned long pcpu = __pa(per_cpu_ptr(&this_cpu_off, 0));

	CHECK(r->reserved_during >= r->reserved_before + 100 + 100 + PAGE_ALIGN(5000),
	      "memblock.reserved grew by %llu bytes for 100 + 100 + 5000", r->reserved_during - r->reserved_before);
	CHECK(r->reserved_after == r->reserved_before, "free_bootmem left %lld bytes reserved",
	      (long long)(r->reserved_after - r->reserved_before));
	CHECK(r->zeroed, "bootmem memory was not zeroed");
	CHECK(!(r->bootmem & 15) && !(r->bootmem_low & 15) && !(r->bootmem_pages & ~PAGE_MASK),
	      "alignment: bootmem 0x%llx, low 0x%llx, pages 0x%llx", r->bootmem, r->bootmem_low, r->bootmem_pages);
	CHECK(r->bootmem_low + 100 <= (16 << 20), "alloc_bootmem_low gave 0x%llx, not below 16 MiB", r->bootmem_low);
	CHECK(PFN_DOWN(r->bootmem) < max_low_pfn && PFN_DOWN(r->bootmem_pages) < max_low_pfn,
	      "bootmem outside lowmem");
	CHECK(memblock_is_reserved(pcpu) && PageReserved(pfn_to_page(PFN_DOWN(pcpu))),
	      "the per-CPU area at 0x%lx is not a reserved bootmem page", pcpu);
	return true;
}

/* managed = present - pages memblock kept (kernel, mem_map, low 1 MiB, ...). */
static bool test_managed_is_present_minus_memblock_reserved(void)
{
	extern char _text[], _end[];
	struct zone *zone;

	for_each_populated_zone(zone) {
		unsigned long reserved = memblock_reserved_pages(zone->zone_start_pfn, zone_end_pfn(zone));
		CHECK(zone->managed_pages == zone->present_pages - reserved,
		      "%s: managed %lu, present %lu, reserved %lu", zone->name, zone->managed_pages,
		      zone->present_pages, reserved);
	}
	CHECK(PageReserved(virt_to_page(_text)) && PageReserved(virt_to_page(_end - 1)),
	      "kernel image pages are not PageReserved");
	CHECK(PageReserved(pfn_to_page(0x9e)) && PageReserved(virt_to_page(mem_map)),
	      "low 1 MiB / mem_map pages are not PageReserved");
	return true;
}

/* ---- slab ----------------------------------------------------------------- */

struct thing {
	u32 magic;
	u32 payload[9];
};
static unsigned long ctor_calls;
static void thing_ctor(void *p)
{
	((struct thing *)p)->magic = 0xC0FFEE;
	ctor_calls++;
}

static bool test_slab_objects_aligned_and_distinct(void)
{
	struct kmem_cache *s = kmem_cache_create("test_aligned", sizeof(struct thing), 0, SLAB_HWCACHE_ALIGN, NULL);
	static void *objs[600];
	bool ok = true;

	CHECK(s, "kmem_cache_create failed");
	CHECK(s->align == 64 && s->size == 64, "align %u size %u for a 40-byte HWCACHE_ALIGN object",
	      s->align, s->size);
	for (int i = 0; i < 600 && ok; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		if (!objs[i] || ((unsigned long)objs[i] & 63)) {
			snprintf(why, sizeof(why), "object %d at %p", i, objs[i]);
			ok = false;
			break;
		}
		memset(objs[i], i & 0xff, sizeof(struct thing));
	}
	for (int i = 0; ok && i < 600; i++)
		for (int j = 0; j < (int)sizeof(struct thing); j++)
			if (((u8 *)objs[i])[j] != (i & 0xff)) {
				snprintf(why, sizeof(why), "object %d was overwritten: objects overlap", i);
				ok = false;
				break;
			}
	for (int i = 0; i < 600; i++)
		if (objs[i])
			kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
	CHECK(!kmem_cache_find("test_aligned"), "cache still listed after destroy");
	return ok;
}

static bool test_slab_ctor_constructs_new_objects(void)
{
	struct kmem_cache *s = kmem_cache_create("test_ctor", sizeof(struct thing), 0, 0, thing_ctor);
	struct thing *t;

	CHECK(s, "kmem_cache_create failed");
	ctor_calls = 0;
	t = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(t && t->magic == 0xC0FFEE, "object not constructed");
	CHECK(ctor_calls == s->num, "ctor ran %lu times for a %u-object slab", ctor_calls, s->num);
	kmem_cache_free(s, t);
	t = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(ctor_calls == s->num, "ctor ran again on reuse");
	kmem_cache_free(s, t);
	kmem_cache_destroy(s);
	return true;
}

static bool test_slab_poisons_freed_objects(void)
{
	struct kmem_cache *s = kmem_cache_create("test_poison", 100, 0, SLAB_POISON, NULL);
	u8 *p;

	CHECK(s, "kmem_cache_create failed");
	p = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(p, "alloc failed");
	memset(p, 0x11, 100);
	kmem_cache_free(s, p);
	/* Still a mapped slab page, parked in the per-CPU array. */
	for (int i = 0; i < 99; i++)
		CHECK(p[i] == POISON_FREE, "byte %d is 0x%02x after free, not 0x6b", i, p[i]);
	CHECK(p[99] == POISON_END, "last byte 0x%02x, not 0xa5", p[99]);
	p[10] = 0;			/* a use after free ... */
	p = kmem_cache_alloc(s, GFP_KERNEL);	/* ... is reported on the next alloc */
	CHECK(s->errors == 1, "use-after-free write not detected (errors %lu)", s->errors);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	return true;
}

static bool test_slab_redzone_catches_overflow(void)
{
	struct kmem_cache *s = kmem_cache_create("test_redzone", 24, 0, SLAB_RED_ZONE | SLAB_HWCACHE_ALIGN, NULL);
	u8 *p;

	CHECK(s, "kmem_cache_create failed");
	p = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(p && !((unsigned long)p & 31), "red-zoned object %p lost its alignment", p);
	kmem_cache_free(s, p);
	CHECK(s->errors == 0, "clean free reported %lu errors", s->errors);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	p[24] = 0x42;			/* one byte past the end */
	kmem_cache_free(s, p);
	CHECK(s->errors == 1, "overflow not caught (errors %lu)", s->errors);
	kmem_cache_free(s, p);		/* double free */
	CHECK(s->errors == 2, "double free not caught (errors %lu)", s->errors);
	kmem_cache_destroy(s);
	return true;
}

static bool test_slab_destroy_refused_with_live_objects(void)
{
	struct kmem_cache *s = kmem_cache_create("test_busy", 32, 0, 0, NULL);
	void *p;

	CHECK(s, "kmem_cache_create failed");
	p = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_destroy(s);
	CHECK(kmem_cache_find("test_busy") == s, "destroy went ahead with a live object");
	CHECK(kmem_cache_alloc(s, GFP_KERNEL) != NULL, "refused cache no longer allocates");
	kmem_cache_free(s, p);
	kmem_cache_shrink(s);
	kmem_cache_destroy(s);		/* one object still out: refused again */
	CHECK(kmem_cache_find("test_busy") == s, "second destroy went ahead");
	/* Give back the object allocated above by freeing everything on its slab. */
	{
		struct page *page;
		list_for_each_entry(page, &s->node.slabs_partial, slab_list) {
			void *obj = (char *)page->s_mem + page->freelist[0] * s->size + s->obj_offset;
			kmem_cache_free(s, obj);
			break;
		}
	}
	kmem_cache_destroy(s);
	CHECK(!kmem_cache_find("test_busy"), "destroy of an empty cache failed");
	return true;
}

static bool test_slab_colouring_moves_first_object(void)
{
	struct kmem_cache *s = kmem_cache_create("test_colour", 200, 0, SLAB_HWCACHE_ALIGN, NULL);
	static void *objs[200];
	unsigned long offsets[4] = { 0 };
	int slabs = 0;

	CHECK(s, "kmem_cache_create failed");
	CHECK(s->colour >= 2, "only %u colours for 256-byte slots", s->colour);
	for (int i = 0; i < (int)(4 * s->num) && i < 200; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < (int)(4 * s->num) && i < 200; i += s->num) {
		struct page *page = virt_to_head_page(objs[i]);
		offsets[slabs++ % 4] = (unsigned long)page->s_mem & ~PAGE_MASK;
	}
	for (int i = 0; i < (int)(4 * s->num) && i < 200; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
	CHECK(offsets[0] != offsets[1] && offsets[1] % 64 == 0, "slab offsets %lu, %lu", offsets[0], offsets[1]);
	return true;
}

static bool test_kmalloc_picks_linux_size_classes(void)
{
	static const struct { size_t size; const char *cache; } cases[] = {
		{ 1, "kmalloc-8" }, { 8, "kmalloc-8" }, { 9, "kmalloc-16" }, { 33, "kmalloc-64" },
		{ 65, "kmalloc-96" }, { 96, "kmalloc-96" }, { 97, "kmalloc-128" }, { 129, "kmalloc-192" },
		{ 193, "kmalloc-256" }, { 1000, "kmalloc-1k" }, { 4096, "kmalloc-4k" }, { 8192, "kmalloc-8k" },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		void *p = kmalloc(cases[i].size, GFP_KERNEL);
		struct page *page = virt_to_head_page(p);

		CHECK(p && PageSlab(page), "kmalloc(%u) not from a slab", cases[i].size);
		CHECK(!strcmp(page->slab_cache->name, cases[i].cache), "kmalloc(%u) from %s, expected %s",
		      cases[i].size, page->slab_cache->name, cases[i].cache);
		CHECK(ksize(p) >= cases[i].size, "ksize %u < %u", ksize(p), cases[i].size);
		kfree(p);
	}
	CHECK(kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR, "kmalloc(0) is not ZERO_SIZE_PTR");
	return true;
}

static bool test_kmalloc_large_comes_from_page_allocator(void)
{
	unsigned long slab_before = global_node_page_state(NR_SLAB_UNRECLAIMABLE_B);
	void *p = kmalloc(8193, GFP_KERNEL);
	struct page *page;

	CHECK(p, "kmalloc(8193) failed");
	page = virt_to_head_page(p);
	CHECK(!PageSlab(page) && PageHead(page) && compound_order(page) == 2,
	      "kmalloc(8193): slab %d head %d order %u", PageSlab(page), PageHead(page), compound_order(page));
	CHECK(ksize(p) == 16384, "ksize %u", ksize(p));
	kfree(p);
	CHECK(global_node_page_state(NR_SLAB_UNRECLAIMABLE_B) == slab_before, "slab page count leaked");
	CHECK(!kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN), "kmalloc above 4 MiB succeeded");
	return true;
}

static bool test_kmalloc_gfp_dma_uses_dma_caches(void)
{
	void *p = kmalloc(100, GFP_KERNEL | GFP_DMA);
	void *z = kzalloc(300, GFP_KERNEL);

	CHECK(p && !strcmp(virt_to_head_page(p)->slab_cache->name, "dma-kmalloc-128"),
	      "GFP_DMA kmalloc(100) not from dma-kmalloc-128");
	CHECK(__pa(p) < (16UL << 20), "dma-kmalloc object above 16 MiB");
	CHECK(z && !memchr_inv(z, 0, 300), "kzalloc memory not zeroed");
	kfree(p);
	kfree(z);
	return true;
}

/* ---- mempool -------------------------------------------------------------- */

static bool pool_fail;
static void *flaky_alloc(gfp_t gfp, void *data)
{
	return pool_fail ? NULL : kmalloc((size_t)data, gfp);
}

static bool test_mempool_serves_from_reserve_when_allocator_fails(void)
{
	mempool_t *pool = mempool_create(3, flaky_alloc, mempool_kfree, (void *)64);
	void *e[4];

	CHECK(pool && pool->curr_nr == 3, "mempool_create did not fill the reserve");
	e[0] = mempool_alloc(pool, GFP_KERNEL);
	CHECK(e[0] && pool->curr_nr == 3, "allocator working, but the reserve was used");
	pool_fail = true;
	for (int i = 1; i < 4; i++)
		e[i] = mempool_alloc(pool, GFP_KERNEL);
	CHECK(e[1] && e[2] && e[3] && pool->curr_nr == 0, "reserve did not serve (curr_nr %d)", pool->curr_nr);
	CHECK(!mempool_alloc(pool, GFP_NOWAIT), "empty pool with a failing allocator returned memory");
	/* Frees refill the reserve first, then go back to the allocator. */
	for (int i = 0; i < 4; i++)
		mempool_free(e[i], pool);
	pool_fail = false;
	CHECK(pool->curr_nr == 3, "mempool_free did not refill (curr_nr %d)", pool->curr_nr);
	mempool_destroy(pool);
	return true;
}

static bool test_mempool_resize_grows_and_shrinks_reserve(void)
{
	struct kmem_cache *s = kmem_cache_create("test_pool", 48, 0, 0, NULL);
	mempool_t *pool = mempool_create_slab_pool(2, s);

	CHECK(pool, "mempool_create_slab_pool failed");
	CHECK(mempool_resize(pool, 6) == 0 && pool->min_nr == 6 && pool->curr_nr == 6, "grow to 6: %d/%d",
	      pool->curr_nr, pool->min_nr);
	/* SLAB counts objects parked in the per-CPU array as active too. */
	CHECK(kmem_cache_active_objs(s) >= 6, "cache has %lu active objects", kmem_cache_active_objs(s));
	CHECK(mempool_resize(pool, 1) == 0 && pool->curr_nr == 1, "shrink to 1: %d", pool->curr_nr);
	mempool_destroy(pool);
	kmem_cache_destroy(s);
	CHECK(!kmem_cache_find("test_pool"), "pool elements leaked: cache destroy refused");
	return true;
}

/* ---- vmalloc, ioremap, kmap ----------------------------------------------- */

static bool test_vmalloc_is_contiguous_and_guarded(void)
{
	unsigned long size = 10 * PAGE_SIZE + 100;
	u8 *p = vmalloc(size), probe;
	struct vm_struct *area;
	unsigned long pfns[11];
	int large;

	CHECK(p, "vmalloc failed");
	CHECK(is_vmalloc_addr(p) && !((unsigned long)p & ~PAGE_MASK), "address %p", p);
	for (unsigned long i = 0; i < size; i++)
		p[i] = (u8)(i * 7);
	for (unsigned long i = 0; i < size; i++)
		CHECK(p[i] == (u8)(i * 7), "byte %lu reads back wrong", i);
	for (int i = 0; i < 11; i++) {
		pfns[i] = page_to_pfn(vmalloc_to_page(p + i * PAGE_SIZE));
		for (int j = 0; j < i; j++)
			CHECK(pfns[i] != pfns[j], "pages %d and %d share a frame", i, j);
	}
	area = find_vm_area(p);
	CHECK(area && area->size == 12 * PAGE_SIZE && area->nr_pages == 11, "area size %lu", area ? area->size : 0);
	CHECK(probe_kernel_read_byte(p + 11 * PAGE_SIZE - 1, &probe) == 0, "last page not readable");
	CHECK(probe_kernel_read_byte(p + 11 * PAGE_SIZE, &probe) == -EFAULT, "guard page is mapped");
	CHECK(!lookup_address((unsigned long)p + 11 * PAGE_SIZE, &large) ||
	      !(*lookup_address((unsigned long)p + 11 * PAGE_SIZE, &large) & _PAGE_PRESENT), "guard PTE present");
	vfree(p);
	CHECK(probe_kernel_read_byte(p, &probe) == -EFAULT, "vfree left the mapping");
	return true;
}

static bool test_vmalloc_pages_prefer_highmem(void)
{
	u8 *p = vmalloc(32 * PAGE_SIZE);
	int high = 0;

	CHECK(p, "vmalloc failed");
	for (int i = 0; i < 32; i++)
		high += PageHighMem(vmalloc_to_page(p + i * PAGE_SIZE));
	vfree(p);
	if (have_highmem())
		CHECK(high == 32, "%d of 32 vmalloc pages from HighMem", high);
	else
		CHECK(high == 0, "HighMem page without HighMem");
	if (!have_highmem())
		note = "no HighMem: lowmem pages";
	return true;
}

static bool test_ioremap_maps_physical_range(void)
{
	u32 *page = (u32 *)get_zeroed_page(GFP_KERNEL);
	u32 *io;
	int large;

	CHECK(page, "get_zeroed_page failed");
	page[5] = 0xfeedface;
	io = ioremap(__pa(page) + 20, 8);
	CHECK(io && is_vmalloc_addr(io) && ((unsigned long)io & ~PAGE_MASK) == 20, "ioremap returned %p", io);
	CHECK(io[0] == 0xfeedface, "read through ioremap gave 0x%08x", io[0]);
	CHECK(*lookup_address((unsigned long)io, &large) & _PAGE_PCD, "ioremap PTE is cached");
	io[1] = 0x12345678;
	CHECK(page[6] == 0x12345678, "write through ioremap not seen in the direct map");
	iounmap(io);
	free_page((unsigned long)page);
	return true;
}

static bool test_kmap_highmem_page_gives_working_mapping(void)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	u32 *v, *a;

	CHECK(page, "alloc_page(GFP_HIGHUSER) failed");
	if (have_highmem()) {
		CHECK(PageHighMem(page), "GFP_HIGHUSER page not in HighMem");
		CHECK(page_address(page) == NULL, "unmapped HighMem page has an address");
	} else {
		note = "no HighMem: kmap returns the direct map";
	}
	v = kmap(page);
	CHECK(v, "kmap failed");
	if (have_highmem())
		CHECK((unsigned long)v >= PKMAP_BASE && (unsigned long)v < PKMAP_ADDR(LAST_PKMAP), "kmap %p", v);
	CHECK(page_address(page) == v, "page_address disagrees with kmap");
	for (int i = 0; i < 1024; i++)
		v[i] = page_to_pfn(page) + i;
	kunmap(page);
	a = kmap_atomic(page);
	if (have_highmem())
		CHECK((unsigned long)a >= FIXADDR_START, "kmap_atomic %p not in the fixmap", a);
	for (int i = 0; i < 1024; i++)
		CHECK(a[i] == page_to_pfn(page) + i, "word %d reads 0x%x through kmap_atomic", i, a[i]);
	kunmap_atomic(a);
	__free_page(page);
	return true;
}

static bool test_kmap_reuses_slots_and_flushes_on_wrap(void)
{
	static struct page *pages[LAST_PKMAP + 100];
	unsigned long flushes = pkmap_flushes;
	int n = 0;
	bool ok = true;

	if (!have_highmem()) {
		note = "no HighMem: nothing to kmap";
		return true;
	}
	for (; n < (int)ARRAY_SIZE(pages); n++) {
		pages[n] = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);
		if (!pages[n])
			break;
		u32 *v = kmap(pages[n]);
		*v = 0xabc00000 + n;
		kunmap(pages[n]);
	}
	for (int i = 0; i < n && ok; i++) {
		u32 *v = kmap(pages[i]);
		if (*v != 0xabc00000u + i) {
			snprintf(why, sizeof(why), "page %d reads 0x%x after the wrap", i, *v);
			ok = false;
		}
		kunmap(pages[i]);
	}
	for (int i = 0; i < n; i++)
		__free_page(pages[i]);
	CHECK(ok, "%s", why);
	CHECK(n == (int)ARRAY_SIZE(pages), "only %d HighMem pages", n);
	CHECK(pkmap_flushes > flushes, "mapping %d pages never wrapped the pkmap area", n);
	return true;
}

static bool test_kmap_atomic_nests_lifo(void)
{
	struct page *a = alloc_page(GFP_HIGHUSER), *b = alloc_page(GFP_HIGHUSER);
	u32 *va, *vb;

	CHECK(a && b, "alloc failed");
	va = kmap_atomic(a);
	*va = 1;
	vb = kmap_atomic(b);
	*vb = 2;
	CHECK(va != vb && *va == 1 && *vb == 2, "nested mappings collide");
	kunmap_atomic(vb);
	kunmap_atomic(va);
	__free_page(a);
	__free_page(b);
	if (!have_highmem())
		note = "no HighMem: direct map";
	return true;
}

/* ---- per-CPU -------------------------------------------------------------- */

static DEFINE_PER_CPU(unsigned long, test_counter);

static bool test_percpu_ops_reach_this_cpus_copy(void)
{
	unsigned long *dyn;

	this_cpu_write(test_counter, 5);
	this_cpu_inc(test_counter);
	CHECK(per_cpu(test_counter, 0) == 6, "per_cpu sees %lu", per_cpu(test_counter, 0));
	CHECK(test_counter == 0, "the section copy itself was written (%lu)", test_counter);
	CHECK(this_cpu_ptr(&test_counter) == per_cpu_ptr(&test_counter, 0), "this_cpu_ptr != per_cpu_ptr");
	get_cpu_var(test_counter) += 10;
	put_cpu_var(test_counter);
	CHECK(this_cpu_read(test_counter) == 16, "get_cpu_var: %lu", this_cpu_read(test_counter));
	dyn = alloc_percpu(unsigned long);
	CHECK(dyn && *per_cpu_ptr(dyn, 0) == 0, "alloc_percpu not zeroed");
	*this_cpu_ptr(dyn) = 77;
	CHECK(*per_cpu_ptr(dyn, 0) == 77, "alloc_percpu copy");
	free_percpu(dyn);
	return true;
}

/* __GFP_ZERO zeroes the whole block, every page of it, at every order: a
 * freed block comes back with whatever its last owner wrote. Each round
 * dirties a block, frees it and asks for the same order again with
 * __GFP_ZERO (the buddy lists and pcp lists hand back the block just freed
 * first, so the dirt is usually right there); every byte must read 0.
 * HighMem pages are reached through kmap, as clear_highpage must. */
static bool zeroed_block_checks(gfp_t gfp, unsigned int order, bool want_high, int *reused)
{
	unsigned long nr = 1UL << order;

	for (int round = 0; round < 8; round++) {
		struct page *dirty = alloc_pages(gfp, order), *page;
		unsigned long pfn;

		CHECK(dirty, "order-%u allocation failed", order);
		if (want_high)
			CHECK(PageHighMem(dirty), "GFP_HIGHUSER order-%u block not in HighMem", order);
		for (unsigned long i = 0; i < nr; i++) {
			u32 *v = kmap(dirty + i);
			for (int w = 0; w < 1024; w++)
				v[w] = 0xA5A5A5A5u ^ (u32)w;
			kunmap(dirty + i);
		}
		pfn = page_to_pfn(dirty);
		__free_pages(dirty, order);
		page = alloc_pages(gfp | __GFP_ZERO, order);
		CHECK(page, "order-%u __GFP_ZERO allocation failed", order);
		if (page_to_pfn(page) == pfn)
			(*reused)++;
		for (unsigned long i = 0; i < nr; i++) {
			u8 *b = kmap(page + i);
			for (unsigned int k = 0; k < PAGE_SIZE; k++) {
				if (b[k]) {
					snprintf(why, sizeof(why), "order %u%s: page %lu of pfn 0x%lx byte 0x%x is 0x%02x",
						 order, want_high ? " HighMem" : "", i, page_to_pfn(page), k, b[k]);
					kunmap(page + i);
					__free_pages(page, order);
					return false;
				}
			}
			kunmap(page + i);
		}
		__free_pages(page, order);
	}
	return true;
}

static bool test_gfp_zero_clears_every_page_of_high_order_blocks(void)
{
	for (unsigned int order = 1; order <= 3; order++) {
		int reused = 0;

		if (!zeroed_block_checks(GFP_KERNEL, order, false, &reused))
			return false;
		/* Without a dirty block coming back the case would prove nothing. */
		CHECK(reused > 0, "order %u: no __GFP_ZERO block was a just-dirtied one", order);
		if (have_highmem()) {
			reused = 0;
			if (!zeroed_block_checks(GFP_HIGHUSER, order, true, &reused))
				return false;
			CHECK(reused > 0, "order %u HighMem: no __GFP_ZERO block was a just-dirtied one", order);
		}
	}
	if (!have_highmem())
		note = "no HighMem: lowmem blocks only";
	return true;
}

/* ---- runner --------------------------------------------------------------- */

static const struct {
	const char *name;
	bool (*fn)(void);
} tests[] = {
#define T(n) { #n, test_##n }
	T(zone_boundaries_follow_linux),
	T(managed_is_present_minus_memblock_reserved),
	T(bootmem_names_allocate_and_free_through_memblock),
	T(gfp_zone_maps_flags_to_zones),
	T(zonelist_order_is_highmem_normal_dma),
	T(watermarks_sum_to_min_free_kbytes),
	T(buddy_storm_returns_zones_to_boot_state),
	T(buddy_live_allocations_never_overlap),
	T(buddy_storm_respects_gfp_zones),
	T(buddy_free_lists_aligned_and_fully_merged),
	T(buddy_split_gives_upper_halves_back),
	T(gfp_zero_clears_every_page_of_high_order_blocks),
	T(pcp_list_stays_below_high),
	T(gfp_flags_map_to_migrate_types),
	T(unmovable_request_steals_a_movable_pageblock),
	T(gfp_dma_stays_below_16mib),
	T(fallback_order_highmem_normal_dma),
	T(gfp_kernel_never_gets_highmem),
	T(gfp_atomic_dips_below_min_where_gfp_kernel_fails),
	T(lowmem_reserve_keeps_dma_for_gfp_dma),
	T(slab_objects_aligned_and_distinct),
	T(slab_ctor_constructs_new_objects),
	T(slab_poisons_freed_objects),
	T(slab_redzone_catches_overflow),
	T(slab_destroy_refused_with_live_objects),
	T(slab_colouring_moves_first_object),
	T(kmalloc_picks_linux_size_classes),
	T(kmalloc_large_comes_from_page_allocator),
	T(kmalloc_gfp_dma_uses_dma_caches),
	T(mempool_serves_from_reserve_when_allocator_fails),
	T(mempool_resize_grows_and_shrinks_reserve),
	T(vmalloc_is_contiguous_and_guarded),
	T(vmalloc_pages_prefer_highmem),
	T(ioremap_maps_physical_range),
	T(kmap_highmem_page_gives_working_mapping),
	T(kmap_reuses_slots_and_flushes_on_wrap),
	T(kmap_atomic_nests_lifo),
	T(percpu_ops_reach_this_cpus_copy),
#undef T
};

int run_selftests(const char *only);
int run_selftests(const char *only)
{
	int passed = 0, failed = 0;
	u64 t0 = tsc_now();

	for (unsigned int i = 0; i < ARRAY_SIZE(tests); i++) {
		bool ok;

		if (only && strcmp(only, tests[i].name))
			continue;
		why[0] = 0;
		note = NULL;
		ok = tests[i].fn();
		if (ok) {
			passed++;
			printk("PASS %s%s%s%s\n", tests[i].name, note ? " (" : "", note ? note : "", note ? ")" : "");
		} else {
			failed++;
			printk("FAIL %s: %s\n", tests[i].name, why);
		}
	}
	printk("selftest: %d passed, %d failed\n", passed, failed);
	printk("selftest: took %llu TSC cycles\n", tsc_now() - t0);
	return failed;
}

/* Allocation costs in TSC cycles (on Pagoda, TSC counts guest instructions). */
void run_benchmarks(void);
void run_benchmarks(void)
{
	enum { N = 2000 };
	struct kmem_cache *s = kmem_cache_create("bench_64", 64, 0, 0, NULL);
	u64 t0, t1;
	void *p;

	/* Warm up each path once so the per-CPU caches are primed. */
	__free_page(alloc_page(GFP_KERNEL));
	kfree(kmalloc(64, GFP_KERNEL));
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));

	t0 = tsc_now();
	for (int i = 0; i < N; i++)
		__free_page(alloc_page(GFP_KERNEL));
	t1 = tsc_now();
	printk("bench: order-0 alloc_page+__free_page: %llu cycles/pair\n", (t1 - t0) / N);
	t0 = tsc_now();
	for (int i = 0; i < N; i++) {
		struct page *pg = alloc_pages(GFP_KERNEL, 3);
		__free_pages(pg, 3);
	}
	t1 = tsc_now();
	printk("bench: order-3 alloc_pages+__free_pages: %llu cycles/pair\n", (t1 - t0) / N);
	t0 = tsc_now();
	for (int i = 0; i < N; i++) {
		p = kmalloc(64, GFP_KERNEL);
		kfree(p);
	}
	t1 = tsc_now();
	printk("bench: kmalloc-64 kmalloc+kfree: %llu cycles/pair\n", (t1 - t0) / N);
	t0 = tsc_now();
	for (int i = 0; i < N; i++) {
		p = kmem_cache_alloc(s, GFP_KERNEL);
		kmem_cache_free(s, p);
	}
	t1 = tsc_now();
	printk("bench: kmem_cache_alloc+kmem_cache_free (64 B): %llu cycles/pair\n", (t1 - t0) / N);
	kmem_cache_destroy(s);
}
