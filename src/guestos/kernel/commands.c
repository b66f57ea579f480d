/*
 * Shell commands: reports (cat /proc/..., free) and commands that drive
 * each allocator by hand so a user can watch the frames move.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/memblock.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/highmem.h>
#include <linux/mempool.h>
#include <asm/io.h>
#include <asm/x86.h>

void proc_buddyinfo(void);
void proc_zoneinfo(void);
void proc_pagetypeinfo(void);
void proc_slabinfo(void);
void proc_meminfo(void);
void proc_vmstat(void);
void cmd_free(bool low_high);
void print_memory_layout(void);
int run_selftests(const char *only);
void run_benchmarks(void);
extern char boot_command_line[];

#define MAX_ARGS 8

struct command {
	const char *name;
	const char *args;
	const char *help;
	void (*fn)(int argc, char **argv);
};

/* Pages allocated from the shell, so free_pages knows their order. */
static struct { struct page *page; unsigned int order; } shell_pages[128];

/*
 * A whole argument as a number: 0x... hex, else decimal. Anything else
 * ("x", "100~", "0x") is refused with a message rather than read as far as
 * it goes, so a typo never allocates something nobody asked for.
 */
static bool get_num(const char *cmd, const char *s, unsigned long *out)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	char *end;

	*out = simple_strtoul(s, &end, 0);
	if (end == s + (hex ? 2 : 0) || *end) {
		printk("%s: '%s' is not a number\n", cmd, s);
		return false;
	}
	return true;
}

/* Argument i as a number, or `dflt` when it is absent. */
static bool num_arg(int argc, char **argv, int i, unsigned long dflt, unsigned long *out)
{
	if (argc <= i) {
		*out = dflt;
		return true;
	}
	return get_num(argv[0], argv[i], out);
}

static const struct { const char *name; gfp_t gfp; } gfp_names[] = {
	{ "GFP_KERNEL", GFP_KERNEL }, { "GFP_ATOMIC", GFP_ATOMIC }, { "GFP_USER", GFP_USER },
	{ "GFP_HIGHUSER", GFP_HIGHUSER }, { "GFP_HIGHUSER_MOVABLE", GFP_HIGHUSER_MOVABLE },
	{ "GFP_NOIO", GFP_NOIO }, { "GFP_NOFS", GFP_NOFS }, { "GFP_NOWAIT", GFP_NOWAIT },
	{ "GFP_DMA", GFP_DMA }, { "__GFP_DMA", __GFP_DMA }, { "__GFP_HIGHMEM", __GFP_HIGHMEM },
	{ "__GFP_ZERO", __GFP_ZERO }, { "__GFP_NOWARN", __GFP_NOWARN }, { "__GFP_NORETRY", __GFP_NORETRY },
	{ "__GFP_NOFAIL", __GFP_NOFAIL }, { "__GFP_HIGH", __GFP_HIGH }, { "__GFP_MOVABLE", __GFP_MOVABLE },
	{ "__GFP_COMP", __GFP_COMP }, { "__GFP_ATOMIC", __GFP_ATOMIC },
};

/* "GFP_KERNEL|__GFP_ZERO" or a number. */
static bool parse_gfp(const char *s, gfp_t *out)
{
	gfp_t gfp = 0;

	while (*s) {
		const char *bar = strchr(s, '|');
		size_t n = bar ? (size_t)(bar - s) : strlen(s);
		bool found = false;

		if (*s >= '0' && *s <= '9') {
			char num[24];
			unsigned long v;

			strlcpy(num, s, min(n + 1, sizeof(num)));
			if (!get_num("gfp", num, &v))
				return false;
			gfp |= v;
			found = true;
		}
		for (unsigned int i = 0; !found && i < ARRAY_SIZE(gfp_names); i++) {
			if (strlen(gfp_names[i].name) == n && !strncmp(gfp_names[i].name, s, n)) {
				gfp |= gfp_names[i].gfp;
				found = true;
			}
		}
		if (!found) {
			printk("unknown gfp flag in '%s'\n", s);
			return false;
		}
		s += n + (bar ? 1 : 0);
	}
	*out = gfp;
	return true;
}

static void cmd_cat(int argc, char **argv)
{
	if (argc < 2) {
		printk("usage: cat /proc/FILE\n");
		return;
	}
	if (!strcmp(argv[1], "/proc/buddyinfo"))
		proc_buddyinfo();
	else if (!strcmp(argv[1], "/proc/zoneinfo"))
		proc_zoneinfo();
	else if (!strcmp(argv[1], "/proc/pagetypeinfo"))
		proc_pagetypeinfo();
	else if (!strcmp(argv[1], "/proc/slabinfo"))
		proc_slabinfo();
	else if (!strcmp(argv[1], "/proc/meminfo"))
		proc_meminfo();
	else if (!strcmp(argv[1], "/proc/vmstat"))
		proc_vmstat();
	else if (!strcmp(argv[1], "/proc/vmallocinfo"))
		vmallocinfo_show();
	else if (!strcmp(argv[1], "/proc/cmdline"))
		printk("%s\n", boot_command_line);
	else
		printk("cat: %s: No such file or directory\n", argv[1]);
}

static void cmd_free_report(int argc, char **argv)
{
	cmd_free(argc > 1 && !strcmp(argv[1], "-l"));
}

static void cmd_alloc_pages(int argc, char **argv)
{
	unsigned long order;
	gfp_t gfp = GFP_KERNEL;
	struct page *page;
	unsigned int i;

	if (!num_arg(argc, argv, 1, 0, &order) || (argc > 2 && !parse_gfp(argv[2], &gfp)))
		return;
	for (i = 0; i < ARRAY_SIZE(shell_pages) && shell_pages[i].page; i++)
		;
	if (i == ARRAY_SIZE(shell_pages)) {
		printk("alloc_pages: the shell keeps at most %u blocks; free some\n", i);
		return;
	}
	page = alloc_pages(gfp, order);
	if (!page) {
		printk("alloc_pages: order %lu failed\n", order);
		return;
	}
	shell_pages[i].page = page;
	shell_pages[i].order = order;
	printk("pfn 0x%05lx-0x%05lx zone %s phys 0x%08llx virt 0x%08lx\n", page_to_pfn(page),
	       page_to_pfn(page) + (1UL << order) - 1, page_zone(page)->name, page_to_phys(page),
	       (unsigned long)page_address(page));
}

static void cmd_free_pages(int argc, char **argv)
{
	unsigned long pfn;

	if (argc < 2) {
		printk("usage: free_pages PFN\n");
		return;
	}
	if (!get_num(argv[0], argv[1], &pfn))
		return;

	for (unsigned int i = 0; i < ARRAY_SIZE(shell_pages); i++) {
		if (shell_pages[i].page && page_to_pfn(shell_pages[i].page) == pfn) {
			__free_pages(shell_pages[i].page, shell_pages[i].order);
			printk("freed pfn 0x%05lx order %u\n", pfn, shell_pages[i].order);
			shell_pages[i].page = NULL;
			return;
		}
	}
	printk("free_pages: pfn 0x%lx was not allocated from the shell\n", pfn);
}

static void cmd_kmalloc(int argc, char **argv)
{
	unsigned long size;
	gfp_t gfp = GFP_KERNEL;
	void *p;

	if (!num_arg(argc, argv, 1, 64, &size) || (argc > 2 && !parse_gfp(argv[2], &gfp)))
		return;
	p = kmalloc(size, gfp);
	if (!p) {
		printk("kmalloc: %lu bytes failed\n", size);
		return;
	}
	if (ZERO_OR_NULL_PTR(p)) {
		printk("kmalloc(0) = ZERO_SIZE_PTR %p\n", p);
		return;
	}
	printk("%p from %s (ksize %u) pfn 0x%05lx\n", p,
	       PageSlab(virt_to_head_page(p)) ? virt_to_head_page(p)->slab_cache->name : "page allocator",
	       ksize(p), __pa(p) >> PAGE_SHIFT);
}

static void cmd_kfree(int argc, char **argv)
{
	unsigned long addr;

	if (argc > 1 && get_num(argv[0], argv[1], &addr))
		kfree((void *)addr);
}

static void cmd_cache_create(int argc, char **argv)
{
	slab_flags_t flags = 0;
	unsigned long size, align;
	struct kmem_cache *s;

	if (argc < 3) {
		printk("usage: cache_create NAME SIZE [ALIGN] [hwcache,poison,redzone,dma]\n");
		return;
	}
	/*
	 * Linux 6.1's kmem_cache_create() accepts a second cache of the same
	 * name (3.x refused one under CONFIG_DEBUG_VM), and so does ours; but
	 * the shell finds caches by name, so it refuses to make one it could
	 * not tell apart.
	 */
	if (kmem_cache_find(argv[1])) {
		printk("cache_create: a cache named '%s' exists already; the shell could not tell them apart\n",
		       argv[1]);
		return;
	}
	if (argc > 4) {
		if (strstr(argv[4], "hwcache"))
			flags |= SLAB_HWCACHE_ALIGN;
		if (strstr(argv[4], "poison"))
			flags |= SLAB_POISON;
		if (strstr(argv[4], "redzone"))
			flags |= SLAB_RED_ZONE;
		if (strstr(argv[4], "dma"))
			flags |= SLAB_CACHE_DMA;
	}
	if (!get_num(argv[0], argv[2], &size) || !num_arg(argc, argv, 3, 0, &align))
		return;
	s = kmem_cache_create(argv[1], size, align, flags, NULL);
	if (s)
		printk("%s: object %u, slot %u, align %u, %u per slab of %u page(s), %u colours of %u bytes\n",
		       s->name, s->object_size, s->size, s->align, s->num, 1 << s->gfporder, s->colour,
		       s->colour_off);
}

static struct kmem_cache *cache_arg(int argc, char **argv)
{
	struct kmem_cache *s = argc > 1 ? kmem_cache_find(argv[1]) : NULL;

	if (!s)
		printk("no such cache\n");
	return s;
}

static void cmd_cache_alloc(int argc, char **argv)
{
	struct kmem_cache *s = cache_arg(argc, argv);
	void *obj;

	if (!s)
		return;
	obj = kmem_cache_alloc(s, GFP_KERNEL);
	if (obj)
		printk("%p (slab at pfn 0x%05lx)\n", obj, page_to_pfn(virt_to_head_page(obj)));
	else
		printk("kmem_cache_alloc failed\n");
}

static void cmd_cache_free(int argc, char **argv)
{
	struct kmem_cache *s = cache_arg(argc, argv);
	unsigned long addr;

	if (s && argc > 2 && get_num(argv[0], argv[2], &addr))
		kmem_cache_free(s, (void *)addr);
}

static void cmd_cache_destroy(int argc, char **argv)
{
	struct kmem_cache *s = cache_arg(argc, argv);

	if (s)
		kmem_cache_destroy(s);
}

static void cmd_cache_shrink(int argc, char **argv)
{
	struct kmem_cache *s = cache_arg(argc, argv);

	if (s)
		printk("kmem_cache_shrink: %d\n", kmem_cache_shrink(s));
}

static void cmd_vmalloc(int argc, char **argv)
{
	unsigned long size;
	char *p;

	if (!num_arg(argc, argv, 1, PAGE_SIZE, &size))
		return;
	p = vmalloc(size);
	if (!p) {
		/* Linux 6.1 also returns NULL for size 0 (after a WARN_ON_ONCE). */
		printk("vmalloc(%lu) = NULL%s\n", size, size ? ": no memory or no room in the vmalloc area" :
		       ": a zero-sized area is refused, as in Linux");
		return;
	}
	printk("%p:", p);
	for (unsigned long off = 0; off < PAGE_ALIGN(size) && off < 16 * PAGE_SIZE; off += PAGE_SIZE) {
		struct page *page = vmalloc_to_page(p + off);
		printk(" %05lx%s", page_to_pfn(page), PageHighMem(page) ? "(H)" : "");
	}
	printk("%s\n", PAGE_ALIGN(size) > 16 * PAGE_SIZE ? " ..." : "");
}

static void cmd_vfree(int argc, char **argv)
{
	unsigned long addr;

	if (argc > 1 && get_num(argv[0], argv[1], &addr))
		vfree((void *)addr);
}

static void cmd_kmap(int argc, char **argv)
{
	unsigned long pfn;
	struct page *page;
	u32 *v;

	if (!num_arg(argc, argv, 1, 0, &pfn))
		return;
	if (!pfn_valid(pfn)) {
		printk("kmap: pfn 0x%lx is beyond max_pfn 0x%lx\n", pfn, max_pfn);
		return;
	}
	page = pfn_to_page(pfn);
	v = kmap(page);
	printk("kmap(pfn 0x%05lx, %s) = %p, first word 0x%08x; %u pkmap slots free, %lu flushes\n", pfn,
	       page_zone(page)->name, v, *v, nr_free_pkmaps(), pkmap_flushes);
	kunmap(page);
}

static bool mempool_demo_fail;

static void *demo_alloc(gfp_t gfp, void *data)
{
	return mempool_demo_fail ? NULL : kmalloc((size_t)data, gfp);
}

static void cmd_mempool(int argc, char **argv)
{
	mempool_t *pool = mempool_create(4, demo_alloc, mempool_kfree, (void *)128);
	void *e[6];

	(void)argc;
	(void)argv;
	if (!pool)
		return;
	printk("mempool_create(min_nr 4): curr_nr %d\n", pool->curr_nr);
	mempool_demo_fail = true;
	printk("allocator now fails:\n");
	for (int i = 0; i < 6; i++) {
		e[i] = mempool_alloc(pool, GFP_NOIO);
		printk("  mempool_alloc -> %p (curr_nr %d)\n", e[i], pool->curr_nr);
	}
	mempool_demo_fail = false;
	for (int i = 0; i < 6; i++)
		mempool_free(e[i], pool);
	printk("after freeing: curr_nr %d\n", pool->curr_nr);
	mempool_resize(pool, 8);
	printk("mempool_resize(8): min_nr %d curr_nr %d\n", pool->min_nr, pool->curr_nr);
	mempool_destroy(pool);
}

static u32 stress_seed = 12345;

static u32 stress_rand(void)
{
	stress_seed = stress_seed * 1103515245 + 12345;
	return stress_seed >> 8;
}

static void cmd_stress(int argc, char **argv)
{
	unsigned long rounds, fails = 0;
	struct { void *p; struct page *page; unsigned int order; } live[64];

	if (!num_arg(argc, argv, 1, 1000, &rounds))
		return;
	memset(live, 0, sizeof(live));
	for (unsigned long r = 0; r < rounds; r++) {
		unsigned int i = stress_rand() % 64;

		if (live[i].page) {
			__free_pages(live[i].page, live[i].order);
			live[i].page = NULL;
		} else if (live[i].p) {
			kfree(live[i].p);
			live[i].p = NULL;
		} else if (stress_rand() & 1) {
			live[i].order = stress_rand() % 4;
			live[i].page = alloc_pages(GFP_HIGHUSER | __GFP_NOWARN, live[i].order);
			fails += !live[i].page;
		} else {
			live[i].p = kmalloc(1 + stress_rand() % 3000, GFP_KERNEL | __GFP_NOWARN);
			fails += !live[i].p;
		}
	}
	printk("stress: %lu rounds, %lu failed allocations; still holding:", rounds, fails);
	for (int i = 0; i < 64; i++)
		printk("%s", live[i].page || live[i].p ? "*" : ".");
	printk("\n(freeing them)\n");
	for (int i = 0; i < 64; i++) {
		if (live[i].page)
			__free_pages(live[i].page, live[i].order);
		kfree(live[i].p);
	}
}

static void cmd_selftest(int argc, char **argv)
{
	run_selftests(argc > 1 ? argv[1] : NULL);
}

static void cmd_bench(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	run_benchmarks();
}

static void cmd_memblock(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	memblock_dump_all();
}

static void cmd_layout(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print_memory_layout();
}

static void cmd_drain(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	drain_local_pages();
	slab_drain_all();
}

static void cmd_peek(int argc, char **argv)
{
	unsigned long addr;
	u8 b;

	if (!num_arg(argc, argv, 1, 0, &addr))
		return;
	/* probe_kernel_read_byte survives a #PF through the exception table. */
	if (probe_kernel_read_byte((void *)addr, &b))
		printk("0x%08lx: not mapped (the read faulted)\n", addr);
	else
		printk("0x%08lx: 0x%02x\n", addr, b);
}

static void cmd_oops(int argc, char **argv)
{
	unsigned long addr;

	if (!num_arg(argc, argv, 1, 0, &addr))
		return;
	printk("reading 0x%08lx without a fixup...\n", addr);
	printk("%02x\n", *(volatile u8 *)addr);
}

static void cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		printk("%s%s", argv[i], i + 1 < argc ? " " : "");
	printk("\n");
}

static void cmd_poweroff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	machine_power_off();
}

static void cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "help", "", "this list", cmd_help },
	{ "cat", "/proc/{buddyinfo,pagetypeinfo,zoneinfo,slabinfo,meminfo,vmstat,vmallocinfo,cmdline}", "a report", cmd_cat },
	{ "free", "[-l]", "memory summary as procps free prints it", cmd_free_report },
	{ "alloc_pages", "ORDER [GFP]", "alloc_pages(); GFP like GFP_KERNEL|__GFP_ZERO", cmd_alloc_pages },
	{ "free_pages", "PFN", "free a block from alloc_pages", cmd_free_pages },
	{ "kmalloc", "SIZE [GFP]", "kmalloc() and say which cache served it", cmd_kmalloc },
	{ "kfree", "ADDR", "kfree()", cmd_kfree },
	{ "cache_create", "NAME SIZE [ALIGN] [hwcache,poison,redzone,dma]", "kmem_cache_create()", cmd_cache_create },
	{ "cache_alloc", "NAME", "kmem_cache_alloc()", cmd_cache_alloc },
	{ "cache_free", "NAME ADDR", "kmem_cache_free()", cmd_cache_free },
	{ "cache_shrink", "NAME", "kmem_cache_shrink()", cmd_cache_shrink },
	{ "cache_destroy", "NAME", "kmem_cache_destroy() (refused while objects live)", cmd_cache_destroy },
	{ "vmalloc", "SIZE", "vmalloc() and the frames behind it", cmd_vmalloc },
	{ "vfree", "ADDR", "vfree()", cmd_vfree },
	{ "kmap", "PFN", "kmap()/kunmap() a frame", cmd_kmap },
	{ "mempool", "", "mempool demo: the reserve serves while the allocator fails", cmd_mempool },
	{ "stress", "[ROUNDS]", "random page and kmalloc alloc/free", cmd_stress },
	{ "drain", "", "empty the per-CPU page lists and slab arrays", cmd_drain },
	{ "memblock", "", "boot-time memory regions", cmd_memblock },
	{ "layout", "", "virtual kernel memory layout", cmd_layout },
	{ "selftest", "[NAME]", "run the in-guest tests", cmd_selftest },
	{ "bench", "", "allocation costs in TSC cycles", cmd_bench },
	{ "peek", "ADDR", "read a byte of kernel virtual memory, safely", cmd_peek },
	{ "oops", "[ADDR]", "read ADDR unprotected: page fault, register dump, power off", cmd_oops },
	{ "echo", "TEXT", "print TEXT", cmd_echo },
	{ "poweroff", "", "power off (port 0xF4)", cmd_poweroff },
};

static void cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (unsigned int i = 0; i < ARRAY_SIZE(commands); i++) {
		char left[128];
		snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].args);
		if (strlen(left) > 44)		/* a long synopsis gets a line of its own */
			printk("  %s\n  %-44s %s\n", left, "", commands[i].help);
		else
			printk("  %-44s %s\n", left, commands[i].help);
	}
}

void shell_run_line(char *line);
void shell_run_line(char *line)
{
	char *argv[MAX_ARGS];
	int argc = 0;

	while (*line && argc < MAX_ARGS) {
		while (*line == ' ')
			*line++ = 0;
		if (!*line)
			break;
		argv[argc++] = line;
		while (*line && *line != ' ')
			line++;
	}
	if (!argc)
		return;
	for (unsigned int i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(argv[0], commands[i].name)) {
			commands[i].fn(argc, argv);
			return;
		}
	}
	printk("%s: command not found\n", argv[0]);
}
