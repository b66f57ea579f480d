/* i386 non-PAE paging constants and the 3G/1G virtual layout. */
#ifndef _ASM_PAGE_H
#define _ASM_PAGE_H
#include <linux/types.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PGDIR_SHIFT 22			/* 2-level paging: PMD folded into PGD */
#define PMD_SIZE (1UL << PGDIR_SHIFT)
#define PMD_MASK (~(PMD_SIZE - 1))
#define PTRS_PER_PGD 1024
#define PTRS_PER_PTE 1024
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define PFN_UP(x) (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define PFN_DOWN(x) ((x) >> PAGE_SHIFT)
#define PFN_PHYS(x) ((phys_addr_t)(x) << PAGE_SHIFT)

#define PAGE_OFFSET 0xC0000000UL	/* CONFIG_VMSPLIT_3G */
#define __pa(x) ((unsigned long)(x) - PAGE_OFFSET)
#define __va(x) ((void *)((unsigned long)(x) + PAGE_OFFSET))

/* PTE/PDE bits (SDM Vol. 3 §4.3, Table 4-5/4-6). */
#define _PAGE_PRESENT 0x001
#define _PAGE_RW 0x002
#define _PAGE_USER 0x004
#define _PAGE_PWT 0x008
#define _PAGE_PCD 0x010
#define _PAGE_ACCESSED 0x020
#define _PAGE_DIRTY 0x040
#define _PAGE_PSE 0x080
#define _PAGE_GLOBAL 0x100
#define _KERNPG_TABLE (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define __PAGE_KERNEL (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL)
#define __PAGE_KERNEL_LARGE (__PAGE_KERNEL | _PAGE_PSE)
#define __PAGE_KERNEL_NOCACHE (__PAGE_KERNEL | _PAGE_PCD | _PAGE_PWT)

typedef u32 pte_t;
typedef u32 pgd_t;
#define pgd_index(a) (((a) >> PGDIR_SHIFT) & (PTRS_PER_PGD - 1))
#define pte_index(a) (((a) >> PAGE_SHIFT) & (PTRS_PER_PTE - 1))

/*
 * Top of the kernel address space, as laid out by Linux 6.1
 * (arch/x86/include/asm/pgtable_32_areas.h), top down:
 *   fixmap         [FIXADDR_START, FIXADDR_TOP)
 *   cpu entry area  CPU_ENTRY_AREA_BASE (unmapped here: no PTI, one CPU)
 *   LDT remap       LDT_BASE_ADDR, one PMD (unmapped here)
 *   pkmap           [PKMAP_BASE, PKMAP_BASE + LAST_PKMAP pages)
 *   2-page gap, then VMALLOC_END
 * CPU_ENTRY_AREA_BASE is the value Debian's 686 build (NR_CPUS=32) gets;
 * keeping it puts PKMAP_BASE at 0xFEC00000 and max_low_pfn at 0x36bfe, as
 * Debian's kernel has. docs/guestos.md shows the arithmetic.
 */
#define FIXADDR_TOP 0xFFFFF000UL
#define CPU_ENTRY_AREA_BASE 0xFF400000UL
#define LDT_BASE_ADDR ((CPU_ENTRY_AREA_BASE - PAGE_SIZE) & PMD_MASK)
#define LAST_PKMAP 1024
#define LAST_PKMAP_MASK (LAST_PKMAP - 1)
#define PKMAP_BASE ((LDT_BASE_ADDR - PAGE_SIZE) & PMD_MASK)
#define PKMAP_NR(v) (((v) - PKMAP_BASE) >> PAGE_SHIFT)
#define PKMAP_ADDR(nr) (PKMAP_BASE + ((nr) << PAGE_SHIFT))
#define VMALLOC_OFFSET (8UL << 20)
#define VMALLOC_END (PKMAP_BASE - 2 * PAGE_SIZE)
#define __VMALLOC_RESERVE (128UL << 20)
#define MAXMEM (VMALLOC_END - PAGE_OFFSET - __VMALLOC_RESERVE)
#define MAXMEM_PFN (MAXMEM >> PAGE_SHIFT)
extern void *high_memory;
#define VMALLOC_START ((unsigned long)high_memory + VMALLOC_OFFSET)

/* Fixmap slots: compile-time constant virtual pages below FIXADDR_TOP. */
#define NR_CPUS 1
#define KM_MAX_IDX 16
enum fixed_addresses {
	FIX_HOLE,
	FIX_KMAP_BEGIN,
	FIX_KMAP_END = FIX_KMAP_BEGIN + KM_MAX_IDX * NR_CPUS - 1,
	__end_of_fixed_addresses
};
#define __fix_to_virt(x) (FIXADDR_TOP - ((unsigned long)(x) << PAGE_SHIFT))
#define FIXADDR_START (FIXADDR_TOP - __end_of_fixed_addresses * PAGE_SIZE)

extern pgd_t swapper_pg_dir[PTRS_PER_PGD];
void set_fixmap(enum fixed_addresses idx, phys_addr_t phys, unsigned long prot);
void clear_fixmap(enum fixed_addresses idx);
pte_t *lookup_address(unsigned long addr, int *large);

#endif
