#ifndef _LINUX_VMALLOC_H
#define _LINUX_VMALLOC_H
#include <linux/types.h>
#include <linux/gfp.h>

#define VM_IOREMAP 0x00000001
#define VM_ALLOC 0x00000002
#define VM_MAP 0x00000004
#define VM_NO_GUARD 0x00000040

struct page;
struct vm_struct {
	struct vm_struct *next;		/* sorted by address */
	void *addr;
	unsigned long size;		/* includes the guard page */
	unsigned long flags;
	struct page **pages;
	unsigned int nr_pages;
	phys_addr_t phys_addr;
};

void vmalloc_init(void);
void *vmalloc(unsigned long size);
void *vzalloc(unsigned long size);
void *__vmalloc(unsigned long size, gfp_t gfp);
void vfree(const void *addr);
void *vmap(struct page **pages, unsigned int count, unsigned long flags);
void vunmap(const void *addr);
void *ioremap(phys_addr_t phys, unsigned long size);
void iounmap(volatile void *addr);
struct vm_struct *find_vm_area(const void *addr);
unsigned long vmalloc_nr_pages(void);
bool is_vmalloc_addr(const void *x);
struct page *vmalloc_to_page(const void *addr);
void vmallocinfo_show(void);

#endif
