/*
 * setup_arch() + start_kernel(): from the multiboot memory map to a
 * running buddy/slab stack, in Linux's order (arch/x86/kernel/setup.c,
 * arch/x86/mm/init_32.c, init/main.c).
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/memblock.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/highmem.h>
#include <linux/percpu.h>
#include <linux/serial.h>
#include <asm/io.h>
#include <asm/x86.h>

struct multiboot_info {
	u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
} __packed;

struct multiboot_mmap_entry {
	u32 size;
	u64 addr, len;
	u32 type;
} __packed;

extern u32 boot_magic, boot_info_phys;
extern char _text[], _end[];
/*
 * Linux's x86 COMMAND_LINE_SIZE is 2048; multiboot itself sets no limit, and
 * run= scripts get long, so this kernel keeps 8 KiB (the loader puts the kernel path first). A longer line is cut
 * (Linux cuts silently); a cut run= script is refused in shell_main().
 */
char boot_command_line[COMMAND_LINE_SIZE];
static bool run_script_cut;		/* the line was cut and it has a run= script */

void mark_kernel_pagetables(void);
void guestinfo_publish(void);
void shell_main(const char *cmdline, bool truncated);

static const char *e820_type_name(u32 type)
{
	switch (type) {
	case 1: return "usable";
	case 3: return "ACPI data";
	case 4: return "ACPI NVS";
	case 5: return "unusable";
	default: return "reserved";
	}
}

/* The firmware map becomes memblock.memory; page 0 stays the BIOS's. */
static void e820_memblock_setup(struct multiboot_info *mbi)
{
	printk("BIOS-provided physical RAM map:\n");
	if (mbi->flags & (1 << 6)) {
		u32 p = mbi->mmap_addr;

		while (p < mbi->mmap_addr + mbi->mmap_length) {
			struct multiboot_mmap_entry *e = __va(p);

			printk("BIOS-e820: [mem 0x%016llx-0x%016llx] %s\n", e->addr, e->addr + e->len - 1,
			       e820_type_name(e->type));
			if (e->type == 1 && e->addr < (1ULL << 32)) {
				u64 start = PAGE_ALIGN(e->addr);
				u64 end = min(e->addr + e->len, 1ULL << 32) & PAGE_MASK;
				if (end > start)
					memblock_add(start, end - start);
			}
			p += e->size + 4;	/* size does not count itself */
		}
	} else if (mbi->flags & 1) {
		memblock_add(0, ALIGN_DOWN(mbi->mem_lower << 10, PAGE_SIZE));
		memblock_add(1 << 20, ALIGN_DOWN(mbi->mem_upper << 10, PAGE_SIZE));
	} else {
		panic("multiboot: no memory information");
	}
	printk("e820: update [mem 0x00000000-0x00000fff] usable ==> reserved\n");
	memblock_remove(0, PAGE_SIZE);
}

/* Lowmem ends at MAXMEM (arch/x86/mm/init_32.c: find_low_pfn_range). */
static void find_low_pfn_range(void)
{
	max_pfn = min(PFN_DOWN(memblock_end_of_DRAM()), 1UL << 20);
	if (max_pfn > MAXMEM_PFN) {
		max_low_pfn = MAXMEM_PFN;
		highstart_pfn = max_low_pfn;
		printk("%luMB HIGHMEM available.\n", (max_pfn - highstart_pfn) >> (20 - PAGE_SHIFT));
	} else {
		max_low_pfn = max_pfn;
		highstart_pfn = 0;
	}
	printk("%luMB LOWMEM available.\n", max_low_pfn >> (20 - PAGE_SHIFT));
	high_memory = __va(max_low_pfn << PAGE_SHIFT);
}

void print_memory_layout(void)
{
	extern char _etext[], _sdata[], _edata[], __bss_start[], __bss_stop[];

	printk("virtual kernel memory layout:\n");
	printk("    fixmap  : 0x%08lx - 0x%08lx   (%4lu kB)\n", FIXADDR_START, FIXADDR_TOP,
	       (FIXADDR_TOP - FIXADDR_START) >> 10);
	printk("    pkmap   : 0x%08lx - 0x%08lx   (%4lu kB)\n", PKMAP_BASE, PKMAP_ADDR(LAST_PKMAP),
	       (LAST_PKMAP * PAGE_SIZE) >> 10);
	printk("    vmalloc : 0x%08lx - 0x%08lx   (%4lu MB)\n", VMALLOC_START, VMALLOC_END,
	       (VMALLOC_END - VMALLOC_START) >> 20);
	printk("    lowmem  : 0x%08lx - 0x%08lx   (%4lu MB)\n", PAGE_OFFSET, (unsigned long)high_memory,
	       ((unsigned long)high_memory - PAGE_OFFSET) >> 20);
	printk("      .init : 0x%08lx - 0x%08lx   (%4lu kB)\n", (unsigned long)_text, (unsigned long)_text, 0UL);
	printk("      .data : 0x%08lx - 0x%08lx   (%4lu kB)\n", (unsigned long)_sdata, (unsigned long)_edata,
	       (unsigned long)(_edata - _sdata) >> 10);
	printk("      .text : 0x%08lx - 0x%08lx   (%4lu kB)\n", (unsigned long)_text, (unsigned long)_etext,
	       (unsigned long)(_etext - _text) >> 10);
	printk("      .bss  : 0x%08lx - 0x%08lx   (%4lu kB)\n", (unsigned long)__bss_start,
	       (unsigned long)__bss_stop, (unsigned long)(__bss_stop - __bss_start) >> 10);
}

static void setup_arch(void)
{
	struct multiboot_info *mbi = __va(boot_info_phys);
	unsigned long max_zone_pfns[MAX_NR_ZONES];

	if (boot_magic != 0x2BADB002)
		panic("not booted by a multiboot loader (eax=0x%08x)", boot_magic);
	if (mbi->flags & (1 << 2)) {
		const char *full = __va(mbi->cmdline);
		size_t len = strlcpy(boot_command_line, full, sizeof(boot_command_line));

		if (len >= sizeof(boot_command_line)) {
			printk("Kernel command line of %u bytes truncated to %d\n", (unsigned)len, COMMAND_LINE_SIZE - 1);
			run_script_cut = strstr(full, "run=") != NULL;
		}
	}
	/* printk's buffer is 512 bytes; the line may be 8 KiB. */
	printk("Command line: ");
	console_write(boot_command_line, strlen(boot_command_line));
	printk("\n");

	e820_memblock_setup(mbi);
	memblock_reserve_named(0, 1 << 20, "low 1MiB (BIOS, real mode)");
	memblock_reserve_named(__pa(_text), PAGE_ALIGN(__pa(_end)) - __pa(_text), "kernel image");
	memblock_reserve_named(boot_info_phys, sizeof(*mbi), "multiboot info");
	if (mbi->flags & (1 << 6))
		memblock_reserve_named(mbi->mmap_addr, mbi->mmap_length, "multiboot mmap");

	find_low_pfn_range();
	memblock_set_current_limit(PFN_PHYS(max_low_pfn));
	paging_init();

	max_zone_pfns[ZONE_DMA] = min(MAX_DMA_PFN, max_low_pfn);
	max_zone_pfns[ZONE_NORMAL] = max_low_pfn;
	max_zone_pfns[ZONE_HIGHMEM] = max_pfn;
	max_zone_pfns[ZONE_MOVABLE] = max_pfn;
	free_area_init(max_zone_pfns);
	mark_kernel_pagetables();
	bootmem_round_trip();
	if (highstart_pfn)
		printk("Initializing HighMem for node 0 (%08lx:%08lx)\n", highstart_pfn, max_pfn);
}

void start_kernel(void);
void start_kernel(void)
{
	serial_init();
	trap_init();
	printk("Linux-style memory stack: Pagoda guest kernel (i386, 3G/1G, HIGHMEM4G, FLATMEM, UP)\n");
	setup_arch();
	setup_per_cpu_areas();
	mem_init();
	build_all_zonelists();
	setup_zone_pageset();
	init_per_zone_wmark_min();
	kmem_cache_init();
	vmalloc_init();
	print_memory_layout();
	printk("min_free_kbytes: %d\n", min_free_kbytes);

	init_IRQ();
	time_init();
	serial_enable_rx_irq();
	local_irq_enable();
	guestinfo_publish();
	shell_main(boot_command_line, run_script_cut);
}
