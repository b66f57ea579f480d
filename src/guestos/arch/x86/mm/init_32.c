/*
 * The kernel's page tables (arch/x86/mm/init_32.c, pgtable_32.c).
 *
 * swapper_pg_dir maps lowmem [0, max_low_pfn) at PAGE_OFFSET: a 4 MiB
 * global page (PSE + PGE) for every whole 4 MiB, 4 KiB PTEs for the tail.
 * The pkmap and fixmap PDEs get their page tables at boot; vmalloc PDEs get
 * theirs on demand (pte_alloc_kernel). Nothing below PAGE_OFFSET is mapped.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/memblock.h>
#include <asm/io.h>

pgd_t swapper_pg_dir[PTRS_PER_PGD] __aligned(4096) __attribute__((section(".bss..page_aligned")));
void *high_memory;
pte_t *pkmap_page_table;
static pte_t *fixmap_page_table;
static unsigned long direct_4k_pages, direct_4m_pages;
static bool have_pge;
bool boot_cpu_has_tsc;

unsigned long direct_map_4k_kb(void) { return direct_4k_pages << 2; }
unsigned long direct_map_4m_kb(void) { return direct_4m_pages << 12; }

static pte_t *one_page_table_init(unsigned long vaddr)
{
	pgd_t *pgd = &swapper_pg_dir[pgd_index(vaddr)];

	if (!(*pgd & _PAGE_PRESENT)) {
		pte_t *table = memblock_alloc(PAGE_SIZE, PAGE_SIZE, "page tables");
		*pgd = __pa(table) | _KERNPG_TABLE;
	}
	return __va(*pgd & PAGE_MASK);
}

/* kernel_physical_mapping_init(): the direct map of lowmem. */
static void kernel_physical_mapping_init(void)
{
	unsigned long pfn = 0;
	unsigned long global = have_pge ? _PAGE_GLOBAL : 0;

	while (pfn < max_low_pfn) {
		unsigned long vaddr = PAGE_OFFSET + (pfn << PAGE_SHIFT);

		if (pfn + PTRS_PER_PTE <= max_low_pfn) {
			swapper_pg_dir[pgd_index(vaddr)] = (pfn << PAGE_SHIFT) |
				((__PAGE_KERNEL_LARGE & ~_PAGE_GLOBAL) | global);
			pfn += PTRS_PER_PTE;
			direct_4m_pages++;
		} else {
			pte_t *pte = one_page_table_init(vaddr);
			for (; pfn < max_low_pfn; pfn++, direct_4k_pages++)
				pte[pte_index(PAGE_OFFSET + (pfn << PAGE_SHIFT))] =
					(pfn << PAGE_SHIFT) | ((__PAGE_KERNEL & ~_PAGE_GLOBAL) | global);
		}
	}
}

void paging_init(void)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if (!(d & (1 << 3)))
		panic("CPU lacks PSE (4 MiB pages), which this kernel needs");
	have_pge = d & (1 << 13);
	boot_cpu_has_tsc = d & (1 << 4);

	kernel_physical_mapping_init();
	pkmap_page_table = one_page_table_init(PKMAP_BASE);
	fixmap_page_table = one_page_table_init(FIXADDR_TOP);
	write_cr3(__pa(swapper_pg_dir));
	if (have_pge)
		write_cr4(read_cr4() | 0x80);	/* CR4.PGE: global pages survive CR3 loads */
	__flush_tlb_all();
}

/* Give page-table pages their PG_table flag once mem_map exists. */
void mark_kernel_pagetables(void);
void mark_kernel_pagetables(void)
{
	SetPageTable(virt_to_page(swapper_pg_dir));
	for (int i = pgd_index(PAGE_OFFSET); i < PTRS_PER_PGD; i++) {
		pgd_t pgd = swapper_pg_dir[i];
		if ((pgd & _PAGE_PRESENT) && !(pgd & _PAGE_PSE)) {
			SetPageTable(pfn_to_page(pgd >> PAGE_SHIFT));
			mod_node_page_state(NR_PAGETABLE, 1);
		}
	}
}

void set_fixmap(enum fixed_addresses idx, phys_addr_t phys, unsigned long prot)
{
	unsigned long vaddr = __fix_to_virt(idx);

	fixmap_page_table[pte_index(vaddr)] = (phys & PAGE_MASK) | prot;
	__flush_tlb_one(vaddr);
}

void clear_fixmap(enum fixed_addresses idx)
{
	unsigned long vaddr = __fix_to_virt(idx);

	fixmap_page_table[pte_index(vaddr)] = 0;
	__flush_tlb_one(vaddr);
}

pte_t *lookup_address(unsigned long addr, int *large)
{
	pgd_t pgd = swapper_pg_dir[pgd_index(addr)];
	pte_t *pte;

	*large = 0;
	if (!(pgd & _PAGE_PRESENT))
		return NULL;
	if (pgd & _PAGE_PSE) {
		*large = 1;
		return &swapper_pg_dir[pgd_index(addr)];
	}
	pte = __va(pgd & PAGE_MASK);
	return &pte[pte_index(addr)];
}

/* The page table for a vmalloc/ioremap address, allocated on first use. */
pte_t *pte_alloc_kernel(unsigned long addr)
{
	pgd_t *pgd = &swapper_pg_dir[pgd_index(addr)];

	if (!(*pgd & _PAGE_PRESENT)) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!page)
			return NULL;
		SetPageTable(page);
		mod_node_page_state(NR_PAGETABLE, 1);
		*pgd = page_to_phys(page) | _KERNPG_TABLE;
	}
	return (pte_t *)__va(*pgd & PAGE_MASK) + pte_index(addr);
}

/*
 * mem_init(): lowmem goes to the buddy allocator through memblock, HighMem
 * page by page (set_highmem_pages_init -> free_highmem_page).
 */
void mem_init(void)
{
	extern char _text[], _etext[], __start_rodata[], __end_rodata[], _sdata[], _edata[];
	extern char __bss_start[], __bss_stop[];
	unsigned long physpages = contig_page_data.node_present_pages;

	memblock_free_all();
	/* add_highpages_with_active_regions(): every free HighMem pfn, one by one. */
	for (unsigned long i = 0; highstart_pfn && i < memblock.memory.cnt; i++) {
		unsigned long pfn = max(PFN_UP(memblock.memory.regions[i].base), highstart_pfn);
		unsigned long end = min(PFN_DOWN(memblock.memory.regions[i].base + memblock.memory.regions[i].size),
					max_pfn);

		while (pfn < end) {
			bool busy;
			unsigned long run_end = reserved_run(pfn, end, &busy);

			for (; pfn < run_end; pfn++)
				if (!busy)
					free_highmem_page(pfn_to_page(pfn));
		}
	}

	printk("Memory: %luK/%luK available (%luK kernel code, %luK rwdata, %luK rodata, %luK init, "
	       "%luK bss, %luK reserved, %luK cma-reserved, %luK highmem)\n",
	       totalram_pages << 2, physpages << 2, (unsigned long)(_etext - _text) >> 10,
	       (unsigned long)(_edata - _sdata) >> 10, (unsigned long)(__end_rodata - __start_rodata) >> 10,
	       0UL, (unsigned long)(__bss_stop - __bss_start) >> 10, (physpages - totalram_pages) << 2, 0UL,
	       totalhigh_pages << 2);
}
