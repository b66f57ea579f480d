/* One node (pglist_data) of zones, each with buddy free areas. */
#ifndef _LINUX_MMZONE_H
#define _LINUX_MMZONE_H
#include <linux/types.h>
#include <linux/list.h>
#include <linux/mm_types.h>

#define MAX_ORDER 11
#define MAX_ORDER_NR_PAGES (1 << (MAX_ORDER - 1))
#define pageblock_order (MAX_ORDER - 1)

enum zone_type {
	ZONE_DMA,
	ZONE_NORMAL,
	ZONE_HIGHMEM,
	ZONE_MOVABLE,
	MAX_NR_ZONES
};
#define MAX_DMA_PFN ((16UL << 20) >> 12)

enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, NR_WMARK };

/* Per-zone counters (Linux 6.1 enum zone_stat_item order). */
enum zone_stat_item {
	NR_FREE_PAGES,
	NR_ZONE_INACTIVE_ANON,
	NR_ZONE_ACTIVE_ANON,
	NR_ZONE_INACTIVE_FILE,
	NR_ZONE_ACTIVE_FILE,
	NR_ZONE_UNEVICTABLE,
	NR_ZONE_WRITE_PENDING,
	NR_MLOCK,
	NR_BOUNCE,
	NR_FREE_CMA_PAGES,
	NR_VM_ZONE_STAT_ITEMS
};

/* Node counters kept by this kernel (the rest of 6.1's list print as 0). */
enum node_stat_item {
	NR_SLAB_RECLAIMABLE_B,
	NR_SLAB_UNRECLAIMABLE_B,
	NR_KERNEL_STACK_KB,
	NR_PAGETABLE,
	NR_VM_NODE_STAT_ITEMS
};

/* vm events (a subset of 6.1's enum vm_event_item). */
enum vm_event_item {
	PGALLOC_DMA, PGALLOC_NORMAL, PGALLOC_HIGH, PGALLOC_MOVABLE,
	PGFREE, PGFAULT, PGMAJFAULT,
	NR_VM_EVENT_ITEMS
};

/*
 * Mobility grouping: free pages are kept per migrate type, and every
 * pageblock (2^pageblock_order pages) has a type, so that unmovable
 * allocations cluster in few blocks (no CMA, no memory isolation here).
 */
enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES,
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_TYPES
};
extern const char *const migratetype_names[MIGRATE_TYPES];
#define pageblock_nr_pages (1UL << pageblock_order)

struct free_area {
	struct list_head free_list[MIGRATE_TYPES];
	unsigned long nr_free;		/* blocks of this order, all types, not pages */
};

/* Order-0 per-CPU page cache: count/high/batch, one list per PCP type. */
struct per_cpu_pages {
	int count;
	int high;
	int batch;
	struct list_head lists[MIGRATE_PCPTYPES];
};

struct pglist_data;

struct zone {
	unsigned long _watermark[NR_WMARK];
	unsigned long watermark_boost;
	long lowmem_reserve[MAX_NR_ZONES];
	struct pglist_data *zone_pgdat;
	struct per_cpu_pages __percpu *per_cpu_pageset;
	unsigned long zone_start_pfn;
	unsigned long managed_pages;
	unsigned long spanned_pages;
	unsigned long present_pages;
	const char *name;
	struct free_area free_area[MAX_ORDER];
	long vm_stat[NR_VM_ZONE_STAT_ITEMS];
};

#define min_wmark_pages(z) ((z)->_watermark[WMARK_MIN] + (z)->watermark_boost)
#define low_wmark_pages(z) ((z)->_watermark[WMARK_LOW] + (z)->watermark_boost)
#define high_wmark_pages(z) ((z)->_watermark[WMARK_HIGH] + (z)->watermark_boost)
#define wmark_pages(z, i) ((z)->_watermark[i] + (z)->watermark_boost)

/* UMA zonelist: zones from the highest down, "HighMem -> Normal -> DMA". */
struct zoneref {
	struct zone *zone;
	int zone_idx;
};
struct zonelist {
	struct zoneref _zonerefs[MAX_NR_ZONES + 1];
};

typedef struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	struct zonelist node_zonelists[1];
	int nr_zones;
	struct page *node_mem_map;
	unsigned long node_start_pfn;
	unsigned long node_present_pages;
	unsigned long node_spanned_pages;
	int node_id;
	long vm_stat[NR_VM_NODE_STAT_ITEMS];
} pg_data_t;

extern struct pglist_data contig_page_data;
#define NODE_DATA(nid) (&contig_page_data)
extern unsigned long vm_events[NR_VM_EVENT_ITEMS];

static inline bool populated_zone(struct zone *z) { return z->present_pages != 0; }
static inline int zone_idx(struct zone *z) { return z - z->zone_pgdat->node_zones; }
static inline unsigned long zone_end_pfn(struct zone *z) { return z->zone_start_pfn + z->spanned_pages; }
static inline unsigned long zone_managed_pages(struct zone *z) { return z->managed_pages; }
static inline unsigned long zone_page_state(struct zone *z, enum zone_stat_item i)
{
	return z->vm_stat[i] < 0 ? 0 : z->vm_stat[i];
}
bool is_highmem_idx(int idx);
int get_pageblock_migratetype(unsigned long pfn);
const u8 *pageblock_migratetype_map(void);
int gfp_migratetype(gfp_t gfp);
extern bool page_group_by_mobility_disabled;
static inline bool is_highmem(struct zone *z) { return is_highmem_idx(zone_idx(z)); }
unsigned long global_zone_page_state(enum zone_stat_item i);
static inline unsigned long global_node_page_state(enum node_stat_item i)
{
	return contig_page_data.vm_stat[i] < 0 ? 0 : contig_page_data.vm_stat[i];
}
static inline void mod_node_page_state(enum node_stat_item i, long delta) { contig_page_data.vm_stat[i] += delta; }
static inline void count_vm_events(enum vm_event_item i, unsigned long n) { vm_events[i] += n; }

#define for_each_zone(z) \
	for (z = contig_page_data.node_zones; z < contig_page_data.node_zones + MAX_NR_ZONES; z++)
#define for_each_populated_zone(z) for_each_zone(z) if (!populated_zone(z)) ; else

extern int min_free_kbytes;
extern unsigned long totalreserve_pages;
extern unsigned long max_low_pfn, max_pfn, min_low_pfn, highstart_pfn;
extern int sysctl_lowmem_reserve_ratio[MAX_NR_ZONES];

bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags);
void free_area_init(unsigned long *max_zone_pfn);
void setup_per_zone_wmarks(void);
void init_per_zone_wmark_min(void);
void build_all_zonelists(void);
void setup_zone_pageset(void);
unsigned long nr_free_buffer_pages(void);
void memblock_free_pages(struct page *page, unsigned long pfn, unsigned int order);
void free_highmem_page(struct page *page);
struct zonelist *node_zonelist(gfp_t gfp);

#endif
