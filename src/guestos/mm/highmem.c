/*
 * HighMem has no permanent kernel mapping. kmap() borrows one of the
 * LAST_PKMAP slots of the pkmap area (mm/highmem.c):
 *   pkmap_count[nr] == 0  free, no stale TLB entry
 *   pkmap_count[nr] == 1  unused, but the TLB may still hold the old mapping
 *   pkmap_count[nr] == n  n - 1 users
 * Slots are handed out round-robin; when the search wraps to slot 0 every
 * count-1 slot is cleared and the TLB flushed once (flush_all_zero_pkmaps).
 * kmap_atomic() uses this CPU's fixmap slots instead: no lock, a stack of
 * up to KM_MAX_IDX nested mappings, one INVLPG when each is undone.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/highmem.h>
#include <linux/percpu.h>
#include <asm/io.h>

extern pte_t *pkmap_page_table;
static int pkmap_count[LAST_PKMAP];
static struct page *pkmap_page[LAST_PKMAP];
static unsigned int last_pkmap_nr;
unsigned long pkmap_flushes;
static DEFINE_PER_CPU(int, __kmap_atomic_idx);

/*
 * The pkmap address of a HighMem page, or NULL. PG_highmem_mapped says
 * whether to look at all (Linux hashes page -> address instead).
 */
void *kmap_high_get_address(const struct page *page)
{
	if (!(page->flags & (1UL << PG_highmem_mapped)))
		return NULL;
	for (int nr = 0; nr < LAST_PKMAP; nr++)
		if (pkmap_count[nr] && pkmap_page[nr] == page)
			return (void *)PKMAP_ADDR(nr);
	return NULL;
}

unsigned int nr_free_pkmaps(void)
{
	unsigned int n = 0;

	for (int nr = 0; nr < LAST_PKMAP; nr++)
		n += pkmap_count[nr] <= 1;
	return n;
}

static void flush_all_zero_pkmaps(void)
{
	bool need_flush = false;

	for (int i = 0; i < LAST_PKMAP; i++) {
		if (pkmap_count[i] != 1)
			continue;
		pkmap_count[i] = 0;
		pkmap_page_table[i] = 0;
		pkmap_page[i]->flags &= ~(1UL << PG_highmem_mapped);
		pkmap_page[i] = NULL;
		need_flush = true;
	}
	if (need_flush) {
		__flush_tlb_all();	/* global PTEs: a CR3 reload would not drop them */
		pkmap_flushes++;
	}
}

static unsigned long map_new_virtual(struct page *page)
{
	int count = LAST_PKMAP;

	for (;;) {
		last_pkmap_nr = (last_pkmap_nr + 1) & LAST_PKMAP_MASK;
		if (!last_pkmap_nr) {
			flush_all_zero_pkmaps();
			count = LAST_PKMAP;
		}
		if (!pkmap_count[last_pkmap_nr])
			break;
		if (--count == 0) {
			/* Linux sleeps on pkmap_map_wait here; one thread cannot wait. */
			panic("kmap: all %d pkmap slots are in use", LAST_PKMAP);
		}
	}
	pkmap_page_table[last_pkmap_nr] = page_to_phys(page) | __PAGE_KERNEL;
	pkmap_count[last_pkmap_nr] = 1;
	pkmap_page[last_pkmap_nr] = page;
	page->flags |= 1UL << PG_highmem_mapped;
	return PKMAP_ADDR(last_pkmap_nr);
}

void *kmap(struct page *page)
{
	unsigned long vaddr, flags;

	if (!PageHighMem(page))
		return page_address(page);
	local_irq_save(flags);
	vaddr = (unsigned long)kmap_high_get_address(page);
	if (!vaddr)
		vaddr = map_new_virtual(page);
	pkmap_count[PKMAP_NR(vaddr)]++;
	BUG_ON(pkmap_count[PKMAP_NR(vaddr)] < 2);
	local_irq_restore(flags);
	return (void *)vaddr;
}

void kunmap(struct page *page)
{
	unsigned long vaddr, flags;

	if (!PageHighMem(page))
		return;
	local_irq_save(flags);
	vaddr = (unsigned long)kmap_high_get_address(page);
	BUG_ON(!vaddr);
	/* 1 means "unused but maybe still in the TLB": the next wrap clears it. */
	if (--pkmap_count[PKMAP_NR(vaddr)] == 0)
		BUG();
	local_irq_restore(flags);
}

void *kmap_atomic(struct page *page)
{
	int idx;
	unsigned long vaddr;

	preempt_disable();
	if (!PageHighMem(page))
		return page_address(page);
	idx = this_cpu_read(__kmap_atomic_idx);
	BUG_ON(idx >= KM_MAX_IDX);
	this_cpu_write(__kmap_atomic_idx, idx + 1);
	idx += FIX_KMAP_BEGIN + KM_MAX_IDX * smp_processor_id();
	vaddr = __fix_to_virt(idx);
	set_fixmap(idx, page_to_phys(page), __PAGE_KERNEL);
	return (void *)vaddr;
}

void kunmap_atomic(void *addr)
{
	unsigned long vaddr = (unsigned long)addr & PAGE_MASK;

	if (vaddr >= __fix_to_virt(FIX_KMAP_END) && vaddr <= __fix_to_virt(FIX_KMAP_BEGIN)) {
		int idx = this_cpu_read(__kmap_atomic_idx) - 1;
		int fix = idx + FIX_KMAP_BEGIN + KM_MAX_IDX * smp_processor_id();

		BUG_ON(vaddr != __fix_to_virt(fix));	/* kmap_atomic nests LIFO */
		clear_fixmap(fix);
		this_cpu_write(__kmap_atomic_idx, idx);
	}
	preempt_enable();
}

void clear_highpage(struct page *page)
{
	void *kaddr = kmap_atomic(page);

	memset(kaddr, 0, PAGE_SIZE);
	kunmap_atomic(kaddr);
}
