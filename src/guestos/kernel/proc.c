/*
 * The /proc reports, printed in Linux 6.1's formats (mm/vmstat.c,
 * mm/slab_common.c, fs/proc/meminfo.c) and procps-ng 4.0's `free`.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/percpu.h>

static const char *const node_stat_names[] = {
	"nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable",
	"nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon", "nr_isolated_file",
	"workingset_nodes", "workingset_refault_anon", "workingset_refault_file",
	"workingset_activate_anon", "workingset_activate_file", "workingset_restore_anon",
	"workingset_restore_file", "workingset_nodereclaim", "nr_anon_pages", "nr_mapped",
	"nr_file_pages", "nr_dirty", "nr_writeback", "nr_writeback_temp", "nr_shmem",
	"nr_shmem_hugepages", "nr_shmem_pmdmapped", "nr_file_hugepages", "nr_file_pmdmapped",
	"nr_anon_transparent_hugepages", "nr_vmscan_write", "nr_vmscan_immediate_reclaim",
	"nr_dirtied", "nr_written", "nr_throttled_written", "nr_kernel_misc_reclaimable",
	"nr_foll_pin_acquired", "nr_foll_pin_released", "nr_kernel_stack", "nr_page_table_pages",
	"nr_sec_page_table_pages", "nr_swapcached",
};

static const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS] = {
	"nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file",
	"nr_zone_active_file", "nr_zone_unevictable", "nr_zone_write_pending", "nr_mlock",
	"nr_bounce", "nr_free_cma",
};

/* The node counters this kernel keeps, by name; everything else is 0. */
static unsigned long node_stat(const char *name)
{
	if (!strcmp(name, "nr_slab_reclaimable"))
		return global_node_page_state(NR_SLAB_RECLAIMABLE_B);
	if (!strcmp(name, "nr_slab_unreclaimable"))
		return global_node_page_state(NR_SLAB_UNRECLAIMABLE_B);
	if (!strcmp(name, "nr_kernel_stack"))
		return 16;		/* kB: the one boot stack */
	if (!strcmp(name, "nr_page_table_pages"))
		return global_node_page_state(NR_PAGETABLE);
	return 0;
}

void proc_buddyinfo(void)
{
	struct zone *zone;

	for_each_populated_zone(zone) {
		char line[160];
		int n = snprintf(line, sizeof(line), "Node %d, zone %8s ", 0, zone->name);

		for (int order = 0; order < MAX_ORDER; order++)
			n += snprintf(line + n, sizeof(line) - n, "%6lu ", zone->free_area[order].nr_free);
		printk("%s\n", line);
	}
}

/* 6.1 pagetypeinfo_show: free blocks per type and order, then pageblocks per type. */
void proc_pagetypeinfo(void)
{
	struct zone *zone;
	char line[200];
	int n;

	printk("Page block order: %d\n", pageblock_order);
	printk("Pages per block:  %lu\n", pageblock_nr_pages);
	printk("\n");
	n = snprintf(line, sizeof(line), "%-43s ", "Free pages count per migrate type at order");
	for (int order = 0; order < MAX_ORDER; order++)
		n += snprintf(line + n, sizeof(line) - n, "%6d ", order);
	printk("%s\n", line);
	for_each_populated_zone(zone) {
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			n = snprintf(line, sizeof(line), "Node %4d, zone %8s, type %12s ", 0, zone->name,
				     migratetype_names[mt]);
			for (int order = 0; order < MAX_ORDER; order++) {
				unsigned long count = 0;
				struct list_head *pos;
				bool overflow = false;

				list_for_each(pos, &zone->free_area[order].free_list[mt]) {
					if (++count >= 100000) {
						overflow = true;
						break;
					}
				}
				n += snprintf(line + n, sizeof(line) - n, "%s%6lu ", overflow ? ">" : "", count);
			}
			printk("%s\n", line);
		}
	}
	n = snprintf(line, sizeof(line), "\n%-23s", "Number of blocks type ");
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		n += snprintf(line + n, sizeof(line) - n, "%12s ", migratetype_names[mt]);
	printk("%s\n", line);
	for_each_populated_zone(zone) {
		unsigned long count[MIGRATE_TYPES] = { 0 };

		for (unsigned long pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone); pfn += pageblock_nr_pages)
			if (pfn_valid(pfn) && page_zone(pfn_to_page(pfn)) == zone)
				count[get_pageblock_migratetype(pfn)]++;
		n = snprintf(line, sizeof(line), "Node %d, zone %8s ", 0, zone->name);
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			n += snprintf(line + n, sizeof(line) - n, "%12lu ", count[mt]);
		printk("%s\n", line);
	}
}

static bool is_zone_first_populated(struct zone *zone)
{
	struct zone *z;

	for_each_zone(z)
		if (populated_zone(z))
			return z == zone;
	return false;
}

void proc_zoneinfo(void)
{
	struct zone *zone;

	for_each_zone(zone) {
		printk("Node %d, zone %8s\n", 0, zone->name);
		if (is_zone_first_populated(zone)) {
			printk("  per-node stats\n");
			for (unsigned int i = 0; i < ARRAY_SIZE(node_stat_names); i++)
				printk("      %-12s %lu\n", node_stat_names[i], node_stat(node_stat_names[i]));
		}
		printk("  pages free     %lu\n", zone_page_state(zone, NR_FREE_PAGES));
		printk("        boost    %lu\n", zone->watermark_boost);
		printk("        min      %lu\n", min_wmark_pages(zone));
		printk("        low      %lu\n", low_wmark_pages(zone));
		printk("        high     %lu\n", high_wmark_pages(zone));
		printk("        spanned  %lu\n", zone->spanned_pages);
		printk("        present  %lu\n", zone->present_pages);
		printk("        managed  %lu\n", zone_managed_pages(zone));
		printk("        cma      %lu\n", 0UL);
		printk("        protection: (%ld, %ld, %ld, %ld)\n", zone->lowmem_reserve[0],
		       zone->lowmem_reserve[1], zone->lowmem_reserve[2], zone->lowmem_reserve[3]);
		if (!populated_zone(zone))
			continue;
		for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
			printk("      %-12s %lu\n", zone_stat_names[i], zone_page_state(zone, i));
		printk("  pagesets\n");
		if (zone->per_cpu_pageset) {
			struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, 0);
			printk("    cpu: %i\n              count: %i\n              high:  %i\n"
			       "              batch: %i\n", 0, pcp->count, pcp->high, pcp->batch);
		}
		printk("  node_unreclaimable:  %u\n  start_pfn:           %lu\n", 0u, zone->zone_start_pfn);
	}
}

void proc_slabinfo(void)
{
	struct kmem_cache *s;

	printk("slabinfo - version: 2.1\n");
	printk("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
	       " : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	list_for_each_entry(s, &slab_caches, list) {
		unsigned long num_objs = s->node.total_slabs * s->num;
		unsigned long active_objs = num_objs - s->node.free_objects;
		unsigned long active_slabs = s->node.total_slabs - s->node.free_slabs;

		printk("%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu\n",
		       s->name, active_objs, num_objs, s->size, s->num, 1 << s->gfporder, s->limit,
		       s->batchcount, s->shared, active_slabs, s->node.total_slabs, 0UL);
	}
}

static void show_val_kb(const char *label, unsigned long kb)
{
	printk("%-16s%8lu kB\n", label, kb);
}

#define K(pages) ((pages) << (PAGE_SHIFT - 10))

void proc_meminfo(void)
{
	unsigned long free = global_zone_page_state(NR_FREE_PAGES);
	unsigned long freehigh = nr_free_highpages();
	unsigned long sreclaim = global_node_page_state(NR_SLAB_RECLAIMABLE_B);
	unsigned long sunreclaim = global_node_page_state(NR_SLAB_UNRECLAIMABLE_B);

	show_val_kb("MemTotal:", K(totalram_pages));
	show_val_kb("MemFree:", K(free));
	show_val_kb("MemAvailable:", K(si_mem_available()));
	show_val_kb("Buffers:", 0);
	show_val_kb("Cached:", 0);
	show_val_kb("SwapCached:", 0);
	show_val_kb("Active:", 0);
	show_val_kb("Inactive:", 0);
	show_val_kb("Active(anon):", 0);
	show_val_kb("Inactive(anon):", 0);
	show_val_kb("Active(file):", 0);
	show_val_kb("Inactive(file):", 0);
	show_val_kb("Unevictable:", 0);
	show_val_kb("Mlocked:", 0);
	show_val_kb("HighTotal:", K(totalhigh_pages));
	show_val_kb("HighFree:", K(freehigh));
	show_val_kb("LowTotal:", K(totalram_pages - totalhigh_pages));
	show_val_kb("LowFree:", K(free - freehigh));
	show_val_kb("SwapTotal:", 0);
	show_val_kb("SwapFree:", 0);
	show_val_kb("Dirty:", 0);
	show_val_kb("Writeback:", 0);
	show_val_kb("AnonPages:", 0);
	show_val_kb("Mapped:", 0);
	show_val_kb("Shmem:", 0);
	show_val_kb("KReclaimable:", K(sreclaim));
	show_val_kb("Slab:", K(sreclaim + sunreclaim));
	show_val_kb("SReclaimable:", K(sreclaim));
	show_val_kb("SUnreclaim:", K(sunreclaim));
	show_val_kb("KernelStack:", node_stat("nr_kernel_stack"));
	show_val_kb("PageTables:", K(global_node_page_state(NR_PAGETABLE)));
	show_val_kb("SecPageTables:", 0);
	show_val_kb("NFS_Unstable:", 0);
	show_val_kb("Bounce:", 0);
	show_val_kb("WritebackTmp:", 0);
	/* vm.overcommit_ratio 50, no swap, no hugetlb. */
	show_val_kb("CommitLimit:", K(totalram_pages / 2));
	show_val_kb("Committed_AS:", 0);
	show_val_kb("VmallocTotal:", (VMALLOC_END - VMALLOC_START) >> 10);
	show_val_kb("VmallocUsed:", K(vmalloc_nr_pages()));
	show_val_kb("VmallocChunk:", 0);
	show_val_kb("Percpu:", K(pcpu_nr_pages()));
	show_val_kb("DirectMap4k:", direct_map_4k_kb());
	show_val_kb("DirectMap4M:", direct_map_4m_kb());
}

void proc_vmstat(void)
{
	static const char *const events[] = {
		"pgalloc_dma", "pgalloc_normal", "pgalloc_high", "pgalloc_movable",
	};

	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		printk("%s %lu\n", zone_stat_names[i], global_zone_page_state(i));
	for (unsigned int i = 0; i < ARRAY_SIZE(node_stat_names); i++)
		printk("%s %lu\n", node_stat_names[i], node_stat(node_stat_names[i]));
	printk("nr_dirty_threshold %lu\n", 0UL);
	printk("nr_dirty_background_threshold %lu\n", 0UL);
	printk("pgpgin 0\npgpgout 0\npswpin 0\npswpout 0\n");
	for (int i = 0; i < 4; i++)
		printk("%s %lu\n", events[i], vm_events[PGALLOC_DMA + i]);
	printk("allocstall_dma 0\nallocstall_normal 0\nallocstall_high 0\nallocstall_movable 0\n");
	printk("pgskip_dma 0\npgskip_normal 0\npgskip_high 0\npgskip_movable 0\n");
	printk("pgfree %lu\npgactivate 0\npgdeactivate 0\npglazyfree 0\n", vm_events[PGFREE]);
	printk("pgfault %lu\npgmajfault %lu\npglazyfreed 0\n", vm_events[PGFAULT], vm_events[PGMAJFAULT]);
	printk("nr_unstable 0\n");
}

/* procps-ng 4.0 free: used = total - available; units KiB. */
void cmd_free(bool low_high)
{
	unsigned long total = K(totalram_pages), free = K(global_zone_page_state(NR_FREE_PAGES));
	unsigned long avail = K(si_mem_available());
	unsigned long buffcache = K(global_node_page_state(NR_SLAB_RECLAIMABLE_B));

	if (!avail || avail > total)
		avail = free;
	printk("               total        used        free      shared  buff/cache   available\n");
	printk("%-9s%11lu %11lu %11lu %11lu %11lu %11lu\n", "Mem:", total, total - avail, free, 0UL,
	       buffcache, avail);
	if (low_high) {
		unsigned long ht = K(totalhigh_pages), hf = K(nr_free_highpages());
		printk("%-9s%11lu %11lu %11lu\n", "Low:", total - ht, (total - ht) - (free - hf), free - hf);
		printk("%-9s%11lu %11lu %11lu\n", "High:", ht, ht - hf, hf);
	}
	printk("%-9s%11lu %11lu %11lu\n", "Swap:", 0UL, 0UL, 0UL);
}
