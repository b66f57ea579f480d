/*
 * vmalloc: virtually contiguous kernel memory from scattered pages, in
 * [VMALLOC_START, VMALLOC_END). Every area is followed by one unmapped
 * guard page (unless VM_NO_GUARD), so running off the end faults instead of
 * corrupting the neighbour. Areas are kept on an address-sorted list and
 * found first-fit (Linux uses an rbtree of vmap_areas for the same job).
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/io.h>

static struct vm_struct *vmlist;

bool is_vmalloc_addr(const void *x)
{
	unsigned long a = (unsigned long)x;
	return a >= VMALLOC_START && a < VMALLOC_END;
}

void vmalloc_init(void)
{
	printk("vmalloc : 0x%08lx - 0x%08lx   (%4lu MB)\n", VMALLOC_START, VMALLOC_END,
	       (VMALLOC_END - VMALLOC_START) >> 20);
}

static struct vm_struct *get_vm_area(unsigned long size, unsigned long flags)
{
	struct vm_struct *area, **p;
	unsigned long addr = VMALLOC_START;

	size = PAGE_ALIGN(size);
	if (!(flags & VM_NO_GUARD))
		size += PAGE_SIZE;
	area = kzalloc(sizeof(*area), GFP_KERNEL);
	if (!area)
		return NULL;
	for (p = &vmlist; *p; p = &(*p)->next) {
		if ((unsigned long)(*p)->addr >= addr + size)
			break;
		addr = (unsigned long)(*p)->addr + (*p)->size;
	}
	if (addr + size > VMALLOC_END || addr + size < addr) {
		kfree(area);
		return NULL;
	}
	area->addr = (void *)addr;
	area->size = size;
	area->flags = flags;
	area->next = *p;
	*p = area;
	return area;
}

static struct vm_struct *remove_vm_area(const void *addr)
{
	for (struct vm_struct **p = &vmlist; *p; p = &(*p)->next) {
		if ((*p)->addr == addr) {
			struct vm_struct *area = *p;
			*p = area->next;
			return area;
		}
	}
	return NULL;
}

struct vm_struct *find_vm_area(const void *addr)
{
	for (struct vm_struct *a = vmlist; a; a = a->next)
		if ((unsigned long)addr >= (unsigned long)a->addr &&
		    (unsigned long)addr < (unsigned long)a->addr + a->size)
			return a;
	return NULL;
}

static unsigned long get_vm_area_size(const struct vm_struct *area)
{
	return (area->flags & VM_NO_GUARD) ? area->size : area->size - PAGE_SIZE;
}

static int map_kernel_range(unsigned long addr, unsigned long size, phys_addr_t phys,
			    struct page **pages, unsigned long prot)
{
	for (unsigned long off = 0; off < size; off += PAGE_SIZE) {
		pte_t *pte = pte_alloc_kernel(addr + off);
		phys_addr_t pa = pages ? page_to_phys(pages[off >> PAGE_SHIFT]) : phys + off;

		if (!pte)
			return -ENOMEM;
		BUG_ON(*pte & _PAGE_PRESENT);
		*pte = pa | prot;
	}
	return 0;
}

static void unmap_kernel_range(unsigned long addr, unsigned long size)
{
	int large;

	for (unsigned long off = 0; off < size; off += PAGE_SIZE) {
		pte_t *pte = lookup_address(addr + off, &large);
		if (pte && !large) {
			*pte = 0;
			__flush_tlb_one(addr + off);
		}
	}
}

unsigned long vmalloc_nr_pages(void)
{
	unsigned long n = 0;

	for (struct vm_struct *a = vmlist; a; a = a->next)
		n += a->nr_pages;
	return n;
}

void *__vmalloc(unsigned long size, gfp_t gfp)
{
	struct vm_struct *area;
	unsigned int nr_pages, i;
	gfp_t page_gfp = (gfp & ~__GFP_ZERO) | __GFP_NOWARN;

	if (!size || (size >> PAGE_SHIFT) > totalram_pages)
		return NULL;
	area = get_vm_area(size, VM_ALLOC);
	if (!area)
		goto fail;
	nr_pages = get_vm_area_size(area) >> PAGE_SHIFT;
	area->pages = kzalloc(nr_pages * sizeof(struct page *), gfp & ~__GFP_HIGHMEM);
	if (!area->pages) {
		remove_vm_area(area->addr);
		kfree(area);
		goto fail;
	}
	/* One page at a time, HighMem welcome unless the caller wants DMA. */
	if (!(gfp & (__GFP_DMA | __GFP_DMA32)))
		page_gfp |= __GFP_HIGHMEM;
	for (i = 0; i < nr_pages; i++) {
		area->pages[i] = alloc_page(page_gfp | (gfp & __GFP_ZERO));
		if (!area->pages[i])
			break;
		area->nr_pages++;
	}
	if (i < nr_pages || map_kernel_range((unsigned long)area->addr, get_vm_area_size(area), 0,
					     area->pages, __PAGE_KERNEL)) {
		if (!(gfp & __GFP_NOWARN))
			printk(KERN_WARNING "vmalloc: allocation failure, allocated %u of %lu bytes\n",
			       area->nr_pages << PAGE_SHIFT, size);
		vfree(area->addr);
		return NULL;
	}
	return area->addr;
fail:
	if (!(gfp & __GFP_NOWARN))
		printk(KERN_WARNING "vmalloc: allocation failure: %lu bytes\n", size);
	return NULL;
}

void *vmalloc(unsigned long size)
{
	return __vmalloc(size, GFP_KERNEL);
}

void *vzalloc(unsigned long size)
{
	return __vmalloc(size, GFP_KERNEL | __GFP_ZERO);
}

void vfree(const void *addr)
{
	struct vm_struct *area;

	if (!addr)
		return;
	area = remove_vm_area(addr);
	if (!area) {
		printk(KERN_ERR "Trying to vfree() nonexistent vm area (%p)\n", addr);
		return;
	}
	unmap_kernel_range((unsigned long)area->addr, get_vm_area_size(area));
	for (unsigned int i = 0; i < area->nr_pages; i++)
		__free_page(area->pages[i]);
	kfree(area->pages);
	kfree(area);
}

void *vmap(struct page **pages, unsigned int count, unsigned long flags)
{
	struct vm_struct *area = get_vm_area(count << PAGE_SHIFT, flags | VM_MAP);

	if (!area)
		return NULL;
	if (map_kernel_range((unsigned long)area->addr, count << PAGE_SHIFT, 0, pages, __PAGE_KERNEL)) {
		vunmap(area->addr);
		return NULL;
	}
	return area->addr;
}

void vunmap(const void *addr)
{
	struct vm_struct *area = remove_vm_area(addr);

	if (!area)
		return;
	unmap_kernel_range((unsigned long)area->addr, get_vm_area_size(area));
	kfree(area);
}

/* Device memory: uncached (PCD|PWT) mapping of a physical range. */
void *ioremap(phys_addr_t phys, unsigned long size)
{
	unsigned long offset = phys & ~PAGE_MASK;
	struct vm_struct *area;

	phys &= PAGE_MASK;
	size = PAGE_ALIGN(size + offset);
	area = get_vm_area(size, VM_IOREMAP);
	if (!area)
		return NULL;
	area->phys_addr = phys;
	if (map_kernel_range((unsigned long)area->addr, size, phys, NULL, __PAGE_KERNEL_NOCACHE)) {
		vunmap(area->addr);
		return NULL;
	}
	return (char *)area->addr + offset;
}

void iounmap(volatile void *addr)
{
	vunmap((void *)((unsigned long)addr & PAGE_MASK));
}

struct page *vmalloc_to_page(const void *addr)
{
	int large;
	pte_t *pte = lookup_address((unsigned long)addr, &large);

	if (!pte || !(*pte & _PAGE_PRESENT))
		return NULL;
	return pfn_to_page(*pte >> PAGE_SHIFT);
}

/* /proc/vmallocinfo: "0x%pK-0x%pK %7ld ... pages=%d phys=%pa <type>". */
void vmallocinfo_show(void)
{
	for (struct vm_struct *a = vmlist; a; a = a->next) {
		char line[128];
		int n = snprintf(line, sizeof(line), "0x%08lx-0x%08lx %7lu", (unsigned long)a->addr,
				 (unsigned long)a->addr + a->size, a->size);
		if (a->nr_pages)
			n += snprintf(line + n, sizeof(line) - n, " pages=%u", a->nr_pages);
		if (a->flags & VM_IOREMAP)
			n += snprintf(line + n, sizeof(line) - n, " phys=0x%08llx ioremap", a->phys_addr);
		if (a->flags & VM_ALLOC)
			n += snprintf(line + n, sizeof(line) - n, " vmalloc");
		if (a->flags & VM_MAP)
			n += snprintf(line + n, sizeof(line) - n, " vmap");
		printk("%s\n", line);
	}
}
