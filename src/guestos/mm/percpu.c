/*
 * The per-CPU area: one unit per CPU holding a copy of .data..percpu
 * followed by a dynamic region for alloc_percpu(). A per-CPU pointer is
 * an address in the .data..percpu section's own range; adding
 * __per_cpu_offset[cpu] gives that CPU's copy (mm/percpu.c, first chunk).
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/percpu.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <asm/x86.h>

#define PERCPU_DYNAMIC_SIZE (48 << 10)
#define PCPU_MIN_ALLOC 8
#define PCPU_DYN_UNITS (PERCPU_DYNAMIC_SIZE / PCPU_MIN_ALLOC)

extern char __per_cpu_start[], __per_cpu_end[];
unsigned long __per_cpu_offset[NR_CPUS];
DEFINE_PER_CPU(unsigned long, this_cpu_off);
int preempt_count;

static char *pcpu_base;			/* CPU 0's unit */
static unsigned long pcpu_static_size, pcpu_unit_size;
static u16 pcpu_run[PCPU_DYN_UNITS];	/* at an allocation's first unit: its length */
static u8 pcpu_used[PCPU_DYN_UNITS];

void setup_per_cpu_areas(void)
{
	pcpu_static_size = ALIGN((unsigned long)(__per_cpu_end - __per_cpu_start), PCPU_MIN_ALLOC);
	pcpu_unit_size = PAGE_ALIGN(pcpu_static_size + PERCPU_DYNAMIC_SIZE);
	/* As 2.6's setup_per_cpu_areas(): the unit comes from bootmem, page-aligned. */
	pcpu_base = alloc_bootmem_pages(pcpu_unit_size);
	memcpy(pcpu_base, __per_cpu_start, __per_cpu_end - __per_cpu_start);
	__per_cpu_offset[0] = (unsigned long)pcpu_base - (unsigned long)__per_cpu_start;
	per_cpu(this_cpu_off, 0) = __per_cpu_offset[0];
	gdt_set_percpu_base(__per_cpu_offset[0]);
	printk("percpu: Embedded %lu pages/cpu s%lu r0 d%u u%lu\n", pcpu_unit_size >> PAGE_SHIFT,
	       pcpu_static_size, PERCPU_DYNAMIC_SIZE, pcpu_unit_size);
}

unsigned long pcpu_nr_pages(void)
{
	return (pcpu_unit_size >> PAGE_SHIFT) * NR_CPUS;
}

unsigned long pcpu_dyn_free_bytes(void)
{
	unsigned long n = 0;

	for (int i = 0; i < PCPU_DYN_UNITS; i++)
		n += !pcpu_used[i];
	return n * PCPU_MIN_ALLOC;
}

/* First fit over the dynamic region; memory comes back zeroed. */
void __percpu *__alloc_percpu(size_t size, size_t align)
{
	unsigned int units = DIV_ROUND_UP(size, PCPU_MIN_ALLOC);
	unsigned int step = max(1u, (unsigned int)(align / PCPU_MIN_ALLOC));
	unsigned long flags;

	local_irq_save(flags);
	for (unsigned int i = 0; i + units <= PCPU_DYN_UNITS; i += step) {
		unsigned int j;

		for (j = 0; j < units && !pcpu_used[i + j]; j++)
			;
		if (j < units)
			continue;
		memset(pcpu_used + i, 1, units);
		pcpu_run[i] = units;
		local_irq_restore(flags);
		/* The same offset in every CPU's unit (one unit here). */
		for (int cpu = 0; cpu < NR_CPUS; cpu++)
			memset(pcpu_base + cpu * pcpu_unit_size + pcpu_static_size + i * PCPU_MIN_ALLOC, 0,
			       units * PCPU_MIN_ALLOC);
		return (void *)(pcpu_base + pcpu_static_size + i * PCPU_MIN_ALLOC - __per_cpu_offset[0]);
	}
	local_irq_restore(flags);
	printk(KERN_WARNING "percpu: allocation failed, size=%u align=%u\n", size, align);
	return NULL;
}

void free_percpu(void __percpu *ptr)
{
	unsigned long addr = (unsigned long)ptr + __per_cpu_offset[0];
	unsigned long i;

	if (!ptr)
		return;
	i = (addr - (unsigned long)pcpu_base - pcpu_static_size) / PCPU_MIN_ALLOC;
	BUG_ON(i >= PCPU_DYN_UNITS || !pcpu_run[i]);
	memset(pcpu_used + i, 0, pcpu_run[i]);
	pcpu_run[i] = 0;
}
