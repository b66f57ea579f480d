/*
 * memblock: two sorted arrays of physical ranges, "memory" (RAM from the
 * firmware map) and "reserved" (what boot code already owns). Boot
 * allocations come top-down from memory minus reserved, below
 * current_limit (lowmem). memblock_free_all() hands what is left to the
 * buddy allocator in maximal aligned blocks (mm/memblock.c).
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/memblock.h>
#include <linux/mm.h>

struct memblock memblock = {
	.memory.max = INIT_MEMBLOCK_REGIONS,
	.memory.name = "memory",
	.reserved.max = INIT_MEMBLOCK_REGIONS,
	.reserved.name = "reserved",
	.current_limit = ~(phys_addr_t)0,
};

static void memblock_insert(struct memblock_type *t, int i, phys_addr_t base, phys_addr_t size,
			    const char *name)
{
	BUG_ON(t->cnt >= t->max);
	memmove(&t->regions[i + 1], &t->regions[i], (t->cnt - i) * sizeof(t->regions[0]));
	t->regions[i].base = base;
	t->regions[i].size = size;
	t->regions[i].name = name;
	t->cnt++;
}

static void memblock_remove_region(struct memblock_type *t, int i)
{
	memmove(&t->regions[i], &t->regions[i + 1], (t->cnt - i - 1) * sizeof(t->regions[0]));
	t->cnt--;
}

/* Cut [base, base+size) out of every region of t. */
static void memblock_cut(struct memblock_type *t, phys_addr_t base, phys_addr_t size)
{
	phys_addr_t end = base + size;

	for (int i = 0; i < (int)t->cnt; i++) {
		struct memblock_region *r = &t->regions[i];
		phys_addr_t rend = r->base + r->size;

		if (rend <= base || r->base >= end)
			continue;
		if (r->base < base && rend > end) {	/* split */
			r->size = base - r->base;
			memblock_insert(t, i + 1, end, rend - end, r->name);
			t->total_size -= size;
			return;
		}
		if (r->base >= base && rend <= end) {
			t->total_size -= r->size;
			memblock_remove_region(t, i--);
		} else if (r->base < base) {
			t->total_size -= rend - base;
			r->size = base - r->base;
		} else {
			t->total_size -= end - r->base;
			r->size = rend - end;
			r->base = end;
		}
	}
}

/* Add a range; overlapping parts are cut first so regions never overlap. */
static int memblock_add_range(struct memblock_type *t, phys_addr_t base, phys_addr_t size,
			      const char *name)
{
	int i;

	if (!size)
		return 0;
	memblock_cut(t, base, size);
	for (i = 0; i < (int)t->cnt && t->regions[i].base < base; i++)
		;
	memblock_insert(t, i, base, size, name);
	t->total_size += size;
	/* Merge with neighbours that touch and carry the same name. */
	for (i = 0; i + 1 < (int)t->cnt; i++) {
		struct memblock_region *a = &t->regions[i], *b = &t->regions[i + 1];
		if (a->base + a->size == b->base && a->name == b->name) {
			a->size += b->size;
			memblock_remove_region(t, i + 1);
			i--;
		}
	}
	return 0;
}

int memblock_add(phys_addr_t base, phys_addr_t size)
{
	return memblock_add_range(&memblock.memory, base, size, "System RAM");
}

int memblock_remove(phys_addr_t base, phys_addr_t size)
{
	memblock_cut(&memblock.memory, base, size);
	return 0;
}

int memblock_reserve_named(phys_addr_t base, phys_addr_t size, const char *name)
{
	return memblock_add_range(&memblock.reserved, base, size, name);
}

int memblock_free(phys_addr_t base, phys_addr_t size)
{
	memblock_cut(&memblock.reserved, base, size);
	return 0;
}

void memblock_set_current_limit(phys_addr_t limit)
{
	memblock.current_limit = limit;
}

bool memblock_is_reserved(phys_addr_t addr)
{
	for (unsigned long i = 0; i < memblock.reserved.cnt; i++) {
		struct memblock_region *r = &memblock.reserved.regions[i];
		if (addr >= r->base && addr < r->base + r->size)
			return true;
	}
	return false;
}

bool memblock_is_memory(phys_addr_t addr)
{
	for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
		struct memblock_region *r = &memblock.memory.regions[i];
		if (addr >= r->base && addr < r->base + r->size)
			return true;
	}
	return false;
}

phys_addr_t memblock_end_of_DRAM(void)
{
	struct memblock_type *t = &memblock.memory;
	return t->cnt ? t->regions[t->cnt - 1].base + t->regions[t->cnt - 1].size : 0;
}

static unsigned long pages_in(struct memblock_type *t, unsigned long spfn, unsigned long epfn)
{
	unsigned long n = 0;

	for (unsigned long i = 0; i < t->cnt; i++) {
		unsigned long s = PFN_UP(t->regions[i].base);
		unsigned long e = PFN_DOWN(t->regions[i].base + t->regions[i].size);
		s = max(s, spfn);
		e = min(e, epfn);
		if (s < e)
			n += e - s;
	}
	return n;
}

unsigned long memblock_present_pages(unsigned long spfn, unsigned long epfn)
{
	return pages_in(&memblock.memory, spfn, epfn);
}

/*
 * Where the run of pages starting at pfn ends, and whether it is reserved:
 * runs change only at reserved-region boundaries.
 */
unsigned long reserved_run(unsigned long pfn, unsigned long limit, bool *busy)
{
	struct memblock_type *res = &memblock.reserved;
	unsigned long end = limit;

	*busy = false;
	for (unsigned long i = 0; i < res->cnt; i++) {
		unsigned long s = PFN_DOWN(res->regions[i].base);
		unsigned long e = PFN_UP(res->regions[i].base + res->regions[i].size);

		if (pfn >= s && pfn < e) {
			*busy = true;
			return min(e, limit);
		}
		if (s > pfn && s < end)
			end = s;
	}
	return end;
}

/* Reserved pages that are also RAM (reserved holes do not count). */
unsigned long memblock_reserved_pages(unsigned long spfn, unsigned long epfn)
{
	unsigned long n = 0, pfn = spfn;

	while (pfn < epfn) {
		bool busy;
		unsigned long e = reserved_run(pfn, epfn, &busy);

		if (busy)
			n += memblock_present_pages(pfn, e);
		pfn = e;
	}
	return n;
}

/* Top-down: the highest free fit below min(end, current_limit). */
phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align, phys_addr_t start,
				      phys_addr_t end, const char *name)
{
	struct memblock_type *mem = &memblock.memory, *res = &memblock.reserved;

	end = min(end, memblock.current_limit);
	for (int i = mem->cnt - 1; i >= 0; i--) {
		phys_addr_t rbase = max(mem->regions[i].base, start);
		phys_addr_t rend = min(mem->regions[i].base + mem->regions[i].size, end);
		phys_addr_t cand;

		if (rend <= rbase || rend - rbase < size)
			continue;
		cand = ALIGN_DOWN(rend - size, align);
		while (cand >= rbase) {
			int j, clash = -1;

			for (j = 0; j < (int)res->cnt; j++) {
				struct memblock_region *r = &res->regions[j];
				if (r->base < cand + size && r->base + r->size > cand)
					clash = j;
			}
			if (clash < 0) {
				memblock_reserve_named(cand, size, name);
				return cand;
			}
			if (res->regions[clash].base < size)
				break;
			cand = ALIGN_DOWN(res->regions[clash].base - size, align);
		}
	}
	return 0;
}

void *memblock_alloc(phys_addr_t size, phys_addr_t align, const char *name)
{
	phys_addr_t pa = memblock_phys_alloc_range(size, align, 1UL << 20, ~(phys_addr_t)0, name);

	if (!pa)
		panic("memblock_alloc: cannot allocate %llu bytes for %s", size, name);
	memset(__va(pa), 0, size);
	return __va(pa);
}

/* ISA-reachable (below 16 MiB) boot memory. */
void *memblock_alloc_low(phys_addr_t size, phys_addr_t align, const char *name)
{
	phys_addr_t pa = memblock_phys_alloc_range(size, align, 1UL << 20, 16UL << 20, name);

	if (!pa)
		panic("memblock_alloc_low: cannot allocate %llu bytes for %s", size, name);
	memset(__va(pa), 0, size);
	return __va(pa);
}

/*
 * Free [start, end) as the largest naturally aligned blocks that fit
 * (__free_pages_memory): order = min(MAX_ORDER-1, __ffs(start)).
 */
static unsigned long free_pages_memory(unsigned long start, unsigned long end)
{
	unsigned long n = 0;

	while (start < end) {
		int order = start ? min((int)MAX_ORDER - 1, (int)__ffs(start)) : MAX_ORDER - 1;

		while (start + (1UL << order) > end)
			order--;
		memblock_free_pages(pfn_to_page(start), start, order);
		n += 1UL << order;
		start += 1UL << order;
	}
	return n;
}

/* Hand every free lowmem page to the buddy allocator (memblock_free_all). */
unsigned long memblock_free_all(void)
{
	struct memblock_type *mem = &memblock.memory;
	unsigned long count = 0;

	for (unsigned long i = 0; i < mem->cnt; i++) {
		unsigned long s = PFN_UP(mem->regions[i].base);
		unsigned long e = min(PFN_DOWN(mem->regions[i].base + mem->regions[i].size), max_low_pfn);
		unsigned long pfn = s;

		while (pfn < e) {
			bool busy;
			unsigned long run_end = reserved_run(pfn, e, &busy);

			if (!busy)
				count += free_pages_memory(pfn, run_end);
			pfn = run_end;
		}
	}
	return count;
}

void memblock_dump_all(void)
{
	struct memblock_type *types[2] = { &memblock.memory, &memblock.reserved };

	for (int t = 0; t < 2; t++) {
		printk(" %s.cnt  = 0x%lx\n", types[t]->name, types[t]->cnt);
		for (unsigned long i = 0; i < types[t]->cnt; i++) {
			struct memblock_region *r = &types[t]->regions[i];
			printk(" %s[0x%lx]\t[0x%08llx-0x%08llx], 0x%08llx bytes %s\n", types[t]->name, i,
			       r->base, r->base + r->size - 1, r->size, r->name);
		}
	}
}

/* bootmem names (the pre-2.6.35 allocator), kept for the course material. */
void *alloc_bootmem(unsigned long size)
{
	return memblock_alloc(size, 16, "bootmem");
}

void *alloc_bootmem_low(unsigned long size)
{
	return memblock_alloc_low(size, 16, "bootmem_low");
}

void *alloc_bootmem_pages(unsigned long size)
{
	return memblock_alloc(PAGE_ALIGN(size), PAGE_SIZE, "bootmem pages");
}

void free_bootmem(unsigned long addr, unsigned long size)
{
	memblock_free(addr, size);
}

/*
 * Boot takes each bootmem name round once while memblock still allocates
 * (the end of setup_arch) and keeps what it saw: the selftest
 * bootmem_names_allocate_and_free_through_memblock cannot call them later,
 * memblock having handed its free memory to the buddy allocator by then.
 * (The per-CPU area is the lasting bootmem user: setup_per_cpu_areas.)
 */
struct bootmem_record bootmem_record;

static bool all_zero(const u8 *p, unsigned long n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

void bootmem_round_trip(void)
{
	struct bootmem_record *r = &bootmem_record;
	void *a, *l, *p;

	r->reserved_before = memblock.reserved.total_size;
	a = alloc_bootmem(100);
	l = alloc_bootmem_low(100);
	p = alloc_bootmem_pages(5000);
	r->reserved_during = memblock.reserved.total_size;
	r->bootmem = __pa(a);
	r->bootmem_low = __pa(l);
	r->bootmem_pages = __pa(p);
	r->zeroed = all_zero(a, 100) && all_zero(l, 100) && all_zero(p, 5000);
	free_bootmem(__pa(p), PAGE_ALIGN(5000));
	free_bootmem(__pa(l), 100);
	free_bootmem(__pa(a), 100);
	r->reserved_after = memblock.reserved.total_size;
}
