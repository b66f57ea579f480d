/*
 * The guest-info ABI (docs/guest-info.md): one 32-bit OUT to port 0x0EF0
 * gives the host the physical address of struct pagoda_guest_info, which
 * says where mem_map, the zones and the slab-cache list live and how to
 * read a struct page. The block stays valid for the kernel's lifetime; the
 * kernel bumps `generation` (and writes the port again) when it changes.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/io.h>

#define GUEST_INFO_PORT 0x0ef0
#define GUEST_INFO_MAGIC 0x4e494750	/* "PGIN" in memory order */
#define GUEST_INFO_VERSION 1

struct guest_zone_info {
	char name[8];
	u32 start_pfn, spanned_pages, present_pages, managed_pages;
	u32 zone_phys;			/* struct zone, for the live free counts */
	u32 reserved;
};

struct pagoda_guest_info {
	u32 magic, version, size, generation;
	u32 page_offset;
	u32 mem_map_phys, mem_map_first_pfn, nr_pages, max_low_pfn;
	u32 sizeof_struct_page;
	u32 off_flags, off_refcount, off_mapcount, off_private, off_lru, off_slab_cache, off_compound_head;
	u32 zones_pgshift, zones_mask;
	u32 pg_reserved, pg_slab, pg_buddy, pg_head, pg_tail, pg_pgtable, pg_pcp;
	u32 swapper_pg_dir_phys;
	u32 vmalloc_start, vmalloc_end, pkmap_base, fixaddr_start;
	u32 nr_zones;
	struct guest_zone_info zones[MAX_NR_ZONES];
	u32 slab_caches_phys;		/* struct list_head, links struct kmem_cache.list */
	u32 off_cache_list, off_cache_name, off_cache_object_size, off_cache_size;
	u32 off_cache_num, off_cache_gfporder, off_cache_total_slabs;
	u32 off_zone_free_area, sizeof_free_area, off_free_area_nr_free;
	u32 pageblock_pgorder, pageblock_types_phys;	/* one u8 migrate type per pageblock, by pfn >> order */
};

/* docs/guest-info.md gives these offsets; keep the two in step. */
_Static_assert(offsetof(struct pagoda_guest_info, zones) == 128, "guest-info: zones at 128");
_Static_assert(offsetof(struct pagoda_guest_info, slab_caches_phys) == 256, "guest-info: slab list at 256");
_Static_assert(sizeof(struct pagoda_guest_info) == 308, "guest-info: version 1 is 308 bytes");

static struct pagoda_guest_info guest_info __aligned(64);
static unsigned long published_generation;

void guestinfo_publish(void)
{
	struct pagoda_guest_info *gi = &guest_info;

	gi->magic = GUEST_INFO_MAGIC;
	gi->version = GUEST_INFO_VERSION;
	gi->size = sizeof(*gi);
	gi->generation = slab_generation;
	gi->page_offset = PAGE_OFFSET;
	gi->mem_map_phys = __pa(mem_map);
	gi->mem_map_first_pfn = ARCH_PFN_OFFSET;
	gi->nr_pages = max_pfn;
	gi->max_low_pfn = max_low_pfn;
	gi->sizeof_struct_page = sizeof(struct page);
	gi->off_flags = offsetof(struct page, flags);
	gi->off_refcount = offsetof(struct page, _refcount);
	gi->off_mapcount = offsetof(struct page, _mapcount);
	gi->off_private = offsetof(struct page, private);
	gi->off_lru = offsetof(struct page, lru);
	gi->off_slab_cache = offsetof(struct page, slab_cache);
	gi->off_compound_head = offsetof(struct page, compound_head);
	gi->zones_pgshift = ZONES_PGSHIFT;
	gi->zones_mask = ZONES_MASK;
	gi->pg_reserved = PG_reserved;
	gi->pg_slab = PG_slab;
	gi->pg_buddy = PG_buddy;
	gi->pg_head = PG_head;
	gi->pg_tail = PG_tail;
	gi->pg_pgtable = PG_pgtable;
	gi->pg_pcp = PG_pcp;
	gi->swapper_pg_dir_phys = __pa(swapper_pg_dir);
	gi->vmalloc_start = VMALLOC_START;
	gi->vmalloc_end = VMALLOC_END;
	gi->pkmap_base = PKMAP_BASE;
	gi->fixaddr_start = FIXADDR_START;
	gi->nr_zones = MAX_NR_ZONES;
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &contig_page_data.node_zones[i];
		strlcpy(gi->zones[i].name, z->name, sizeof(gi->zones[i].name));
		gi->zones[i].start_pfn = z->zone_start_pfn;
		gi->zones[i].spanned_pages = z->spanned_pages;
		gi->zones[i].present_pages = z->present_pages;
		gi->zones[i].managed_pages = z->managed_pages;
		gi->zones[i].zone_phys = __pa(z);
	}
	gi->slab_caches_phys = __pa(&slab_caches);
	gi->off_cache_list = offsetof(struct kmem_cache, list);
	gi->off_cache_name = offsetof(struct kmem_cache, namebuf);
	gi->off_cache_object_size = offsetof(struct kmem_cache, object_size);
	gi->off_cache_size = offsetof(struct kmem_cache, size);
	gi->off_cache_num = offsetof(struct kmem_cache, num);
	gi->off_cache_gfporder = offsetof(struct kmem_cache, gfporder);
	gi->off_cache_total_slabs = offsetof(struct kmem_cache, node.total_slabs);
	gi->off_zone_free_area = offsetof(struct zone, free_area);
	gi->sizeof_free_area = sizeof(struct free_area);
	gi->off_free_area_nr_free = offsetof(struct free_area, nr_free);
	gi->pageblock_pgorder = pageblock_order;
	gi->pageblock_types_phys = __pa(pageblock_migratetype_map());
	published_generation = slab_generation;
	outl(__pa(gi), GUEST_INFO_PORT);
	printk("guest-info: struct pagoda_guest_info at phys 0x%08lx, published on port 0x%x\n", __pa(gi),
	       GUEST_INFO_PORT);
}

/* Called after cache create/destroy: tell the host the list changed. */
void guestinfo_refresh(void);
void guestinfo_refresh(void)
{
	if (published_generation != slab_generation && guest_info.magic) {
		guest_info.generation = slab_generation;
		published_generation = slab_generation;
		outl(__pa(&guest_info), GUEST_INFO_PORT);
	}
}
