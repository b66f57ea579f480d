/* memblock: boot-time physical memory regions, with the bootmem names. */
#ifndef _LINUX_MEMBLOCK_H
#define _LINUX_MEMBLOCK_H
#include <linux/types.h>

#define INIT_MEMBLOCK_REGIONS 128

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
	const char *name;		/* who reserved it (kernel, mem_map, ...) */
};

struct memblock_type {
	unsigned long cnt;
	unsigned long max;
	phys_addr_t total_size;
	struct memblock_region regions[INIT_MEMBLOCK_REGIONS];
	const char *name;
};

struct memblock {
	bool bottom_up;
	phys_addr_t current_limit;
	struct memblock_type memory;
	struct memblock_type reserved;
};

extern struct memblock memblock;

int memblock_add(phys_addr_t base, phys_addr_t size);
int memblock_remove(phys_addr_t base, phys_addr_t size);
int memblock_reserve_named(phys_addr_t base, phys_addr_t size, const char *name);
#define memblock_reserve(b, s) memblock_reserve_named(b, s, "reserved")
int memblock_free(phys_addr_t base, phys_addr_t size);
phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align,
				      phys_addr_t start, phys_addr_t end, const char *name);
void *memblock_alloc(phys_addr_t size, phys_addr_t align, const char *name);
void *memblock_alloc_low(phys_addr_t size, phys_addr_t align, const char *name);
void memblock_set_current_limit(phys_addr_t limit);
unsigned long memblock_free_all(void);
void memblock_dump_all(void);
bool memblock_is_reserved(phys_addr_t addr);
bool memblock_is_memory(phys_addr_t addr);
phys_addr_t memblock_end_of_DRAM(void);
unsigned long memblock_present_pages(unsigned long start_pfn, unsigned long end_pfn);
unsigned long memblock_reserved_pages(unsigned long start_pfn, unsigned long end_pfn);
/* End of the run of equally reserved (or free) pages starting at pfn. */
unsigned long reserved_run(unsigned long pfn, unsigned long limit, bool *busy);

#define for_each_mem_region(i) for (i = 0; i < memblock.memory.cnt; i++)

/* The 2.6-era bootmem interface on top of memblock (mm/bootmem.c). */
void *alloc_bootmem(unsigned long size);
void *alloc_bootmem_low(unsigned long size);
void *alloc_bootmem_pages(unsigned long size);
void free_bootmem(unsigned long addr, unsigned long size);

/* What boot saw when it took the bootmem names round once (bootmem_round_trip). */
struct bootmem_record {
	phys_addr_t reserved_before, reserved_during, reserved_after;	/* memblock.reserved.total_size */
	phys_addr_t bootmem, bootmem_low, bootmem_pages;		/* where each allocation landed */
	bool zeroed;
};
extern struct bootmem_record bootmem_record;
void bootmem_round_trip(void);

#endif
