/*
 * The slab allocator, in the shape of Linux's SLAB (mm/slab.c), which is
 * Bonwick's 1994 design plus a per-CPU object cache.
 *
 * A cache hands out objects of one size. Its memory is slabs: 2^gfporder
 * pages cut into num slots. A slab's state lives in its head struct page
 * (PG_slab, slab_cache, s_mem, active, freelist); the freelist is a stack
 * of free object indices, kept at the slab's end or, for objects of 512
 * bytes and more, in a kmalloc'ed buffer (off-slab). Slabs sit on the
 * cache's full, partial or free list.
 *
 * Per-CPU object cache: an array_cache per CPU (Linux SLAB's descendant of
 * Bonwick's magazines) rather than SLUB's per-CPU freelist. Why: objects
 * in the array are whole and untouched, so poisoning and red zones stay
 * exact while they wait; the limit/batchcount numbers are real tunables
 * that /proc/slabinfo 2.1 reports; and a freelist kept apart from the
 * objects leaves freed memory fully poisoned for the selftests to check.
 * alloc: pop entry[--avail]; if empty, refill batchcount objects from the
 * slabs (growing the cache if needed). free: push; if full, first return
 * batchcount of the oldest objects to their slabs.
 *
 * Slot layout with SLAB_RED_ZONE: [pad][red zone 1 (8)][object][red zone 2 (8)]
 * with the object at obj_offset, still aligned as asked. Colouring: each new
 * slab starts its first slot colour_off bytes further on, cycling through
 * the slack, so equal-index objects of different slabs use different
 * cache lines.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/percpu.h>

LIST_HEAD(slab_caches);
unsigned long slab_generation;
static struct kmem_cache kmem_cache_boot;
static struct kmem_cache *kmem_cache = &kmem_cache_boot;
static struct kmem_cache *kmalloc_caches[2][KMALLOC_SHIFT_HIGH + 1];
static bool slab_up;			/* kmalloc works: off-slab freelists allowed */

#define OFF_SLAB_MIN_SIZE 512
#define SLAB_MAX_ORDER 3
#define REDZONE_SIZE sizeof(unsigned long long)

static inline void *index_to_obj(struct kmem_cache *s, struct page *page, unsigned int idx)
{
	return (char *)page->s_mem + idx * s->size + s->obj_offset;
}

static inline unsigned int obj_to_index(struct kmem_cache *s, struct page *page, const void *obj)
{
	return ((const char *)obj - s->obj_offset - (char *)page->s_mem) / s->size;
}

static inline unsigned long long *redzone1(struct kmem_cache *s, void *obj)
{
	(void)s;
	return (unsigned long long *)((char *)obj - REDZONE_SIZE);
}

static inline unsigned long long *redzone2(struct kmem_cache *s, void *obj)
{
	return (unsigned long long *)((char *)obj + ALIGN(s->object_size, REDZONE_SIZE));
}

/* ---- layout ------------------------------------------------------------- */

static unsigned int calculate_alignment(slab_flags_t flags, unsigned int align, unsigned int size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = L1_CACHE_BYTES;
		while (size <= ralign / 2)
			ralign /= 2;
		align = max(align, ralign);
	}
	align = max(align, 8u);		/* ARCH_SLAB_MINALIGN: alignof(u64) */
	return ALIGN(align, sizeof(void *));
}

static void cache_estimate(unsigned int order, unsigned int size, bool off_slab,
			   unsigned int *num, unsigned int *left_over)
{
	unsigned int slab_size = PAGE_SIZE << order;

	if (off_slab) {
		*num = slab_size / size;
		*left_over = slab_size - *num * size;
	} else {
		*num = slab_size / (size + sizeof(u16));
		*left_over = slab_size - *num * size - ALIGN(*num * sizeof(u16), 4);
	}
}

/* Smallest order that wastes at most 1/8 of the slab (Bonwick's bound). */
static void calculate_slab_order(struct kmem_cache *s)
{
	unsigned int num = 0, left = 0;

	for (unsigned int order = 0; order < MAX_ORDER; order++) {
		cache_estimate(order, s->size, s->off_slab, &num, &left);
		if (!num)
			continue;
		s->num = num;
		s->gfporder = order;
		if (left * 8 <= (PAGE_SIZE << order) || order >= SLAB_MAX_ORDER)
			break;
	}
	s->colour = left / s->colour_off;
	s->freelist_size = s->off_slab ? s->num * sizeof(u16) : ALIGN(s->num * sizeof(u16), 4);
}

/* enable_cpucache() defaults: smaller objects get deeper per-CPU arrays. */
static int setup_cpu_cache(struct kmem_cache *s)
{
	unsigned int limit;

	if (s->size > 131072)
		limit = 1;
	else if (s->size > PAGE_SIZE)
		limit = 8;
	else if (s->size > 1024)
		limit = 24;
	else if (s->size > 256)
		limit = 54;
	else
		limit = 120;
	s->limit = limit;
	s->batchcount = (limit + 1) / 2;
	s->shared = 0;			/* one CPU: no shared array */
	s->cpu_cache = __alloc_percpu(sizeof(struct array_cache) + limit * sizeof(void *), sizeof(void *));
	if (!s->cpu_cache)
		return -ENOMEM;
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct array_cache *ac = per_cpu_ptr(s->cpu_cache, cpu);
		ac->limit = limit;
		ac->batchcount = s->batchcount;
		ac->avail = 0;
	}
	s->node.free_limit = (1 + NR_CPUS) * s->batchcount + s->num;
	return 0;
}

static int __kmem_cache_create(struct kmem_cache *s, const char *name, unsigned int size,
			       unsigned int align, slab_flags_t flags, void (*ctor)(void *))
{
	unsigned int slot;

	strlcpy(s->namebuf, name, sizeof(s->namebuf));
	s->name = s->namebuf;
	s->object_size = size;
	s->flags = flags;
	s->ctor = ctor;
	s->align = calculate_alignment(flags, align, size);
	s->refcount = 1;
	INIT_LIST_HEAD(&s->node.slabs_partial);
	INIT_LIST_HEAD(&s->node.slabs_full);
	INIT_LIST_HEAD(&s->node.slabs_free);

	slot = ALIGN(size, sizeof(void *));
	s->obj_offset = 0;
	if (flags & SLAB_RED_ZONE) {
		s->obj_offset = ALIGN((unsigned int)REDZONE_SIZE, s->align);
		slot = s->obj_offset + ALIGN(size, REDZONE_SIZE) + REDZONE_SIZE;
	}
	s->size = ALIGN(slot, s->align);
	s->off_slab = slab_up && s->size >= OFF_SLAB_MIN_SIZE;
	s->colour_off = max((unsigned int)L1_CACHE_BYTES, s->align);
	s->allocflags = (flags & SLAB_CACHE_DMA) ? GFP_DMA : 0;
	if (flags & SLAB_RECLAIM_ACCOUNT)
		s->allocflags |= __GFP_RECLAIMABLE;
	calculate_slab_order(s);
	if (!s->num)
		return -EINVAL;
	return setup_cpu_cache(s);
}

/* ---- debugging: poison and red zones ------------------------------------ */

static void poison_obj(struct kmem_cache *s, void *obj, unsigned char val)
{
	memset(obj, val, s->object_size);
	((unsigned char *)obj)[s->object_size - 1] = POISON_END;
}

static void slab_error(struct kmem_cache *s, const char *msg, void *obj)
{
	s->errors++;
	printk(KERN_ERR "Slab corruption (%s): %s object %p\n", s->name, msg, obj);
}

static void check_poison_obj(struct kmem_cache *s, void *obj)
{
	unsigned char *p = obj;

	if (memchr_inv(p, POISON_FREE, s->object_size - 1) || p[s->object_size - 1] != POISON_END)
		slab_error(s, "written after free (poison overwritten)", obj);
}

static void debug_on_alloc(struct kmem_cache *s, void *obj)
{
	if (s->flags & SLAB_RED_ZONE) {
		if (*redzone1(s, obj) != RED_INACTIVE || *redzone2(s, obj) != RED_INACTIVE)
			slab_error(s, "redzone overwritten while free", obj);
		*redzone1(s, obj) = RED_ACTIVE;
		*redzone2(s, obj) = RED_ACTIVE;
	}
	if (s->flags & SLAB_POISON) {
		check_poison_obj(s, obj);
		if (s->ctor)
			s->ctor(obj);	/* the poison destroyed the constructed state */
	}
}

/* Returns false when the free must not proceed (a double free). */
static bool debug_on_free(struct kmem_cache *s, void *obj)
{
	if (s->flags & SLAB_RED_ZONE) {
		unsigned long long r1 = *redzone1(s, obj), r2 = *redzone2(s, obj);

		if (r1 == RED_INACTIVE && r2 == RED_INACTIVE) {
			slab_error(s, "double free", obj);
			return false;
		}
		if (r1 != RED_ACTIVE)
			slab_error(s, "redzone 1 overwritten (write before the object)", obj);
		if (r2 != RED_ACTIVE)
			slab_error(s, "redzone 2 overwritten (write past the object)", obj);
		*redzone1(s, obj) = RED_INACTIVE;
		*redzone2(s, obj) = RED_INACTIVE;
	}
	if (s->flags & SLAB_POISON)
		poison_obj(s, obj, POISON_FREE);
	return true;
}

/* ---- slabs -------------------------------------------------------------- */

static void slab_account(struct kmem_cache *s, long pages)
{
	mod_node_page_state((s->flags & SLAB_RECLAIM_ACCOUNT) ? NR_SLAB_RECLAIMABLE_B : NR_SLAB_UNRECLAIMABLE_B,
			    pages);
}

static struct page *cache_grow(struct kmem_cache *s, gfp_t gfp)
{
	gfp_t page_gfp = (gfp & ~(GFP_ZONEMASK | __GFP_ZERO)) | s->allocflags | __GFP_COMP;
	struct kmem_cache_node *n = &s->node;
	unsigned int offset;
	struct page *page;
	char *addr;

	page = alloc_pages(page_gfp, s->gfporder);
	if (!page)
		return NULL;
	addr = page_address(page);
	offset = n->colour_next * s->colour_off;
	if (++n->colour_next >= s->colour)
		n->colour_next = 0;
	if (s->off_slab) {
		page->freelist = kmalloc(s->freelist_size, gfp & ~(GFP_ZONEMASK | __GFP_ZERO));
		if (!page->freelist) {
			__free_pages(page, s->gfporder);
			return NULL;
		}
	} else {
		page->freelist = (u16 *)(addr + (PAGE_SIZE << s->gfporder) - s->freelist_size);
	}
	__SetPageSlab(page);
	page->slab_cache = s;
	page->s_mem = addr + offset;
	page->active = 0;
	for (unsigned int i = 0; i < s->num; i++) {
		void *obj = index_to_obj(s, page, i);

		page->freelist[i] = i;
		if (s->flags & SLAB_RED_ZONE) {
			*redzone1(s, obj) = RED_INACTIVE;
			*redzone2(s, obj) = RED_INACTIVE;
		}
		if (s->ctor && !(s->flags & SLAB_POISON))
			s->ctor(obj);
		if (s->flags & SLAB_POISON)
			poison_obj(s, obj, POISON_FREE);
	}
	list_add_tail(&page->slab_list, &n->slabs_free);
	n->total_slabs++;
	n->free_slabs++;
	n->free_objects += s->num;
	slab_account(s, 1L << s->gfporder);
	return page;
}

static void slab_destroy(struct kmem_cache *s, struct page *page)
{
	if (s->off_slab)
		kfree(page->freelist);
	__ClearPageSlab(page);
	page->slab_cache = NULL;
	page->freelist = NULL;
	page->s_mem = NULL;
	INIT_LIST_HEAD(&page->lru);
	slab_account(s, -(1L << s->gfporder));
	__free_pages(page, s->gfporder);
}

/* Give n objects back to their slabs (free_block). */
static void free_block(struct kmem_cache *s, void **objs, unsigned int nr)
{
	struct kmem_cache_node *n = &s->node;

	for (unsigned int i = 0; i < nr; i++) {
		void *obj = objs[i];
		struct page *page = virt_to_head_page(obj);

		list_del(&page->slab_list);
		page->freelist[--page->active] = obj_to_index(s, page, obj);
		n->free_objects++;
		if (page->active == 0) {
			if (n->free_objects > n->free_limit) {
				n->free_objects -= s->num;
				n->total_slabs--;
				slab_destroy(s, page);
			} else {
				list_add(&page->slab_list, &n->slabs_free);
				n->free_slabs++;
			}
		} else {
			list_add_tail(&page->slab_list, &n->slabs_partial);
		}
	}
}

static void *cache_alloc_refill(struct kmem_cache *s, struct array_cache *ac, gfp_t gfp)
{
	struct kmem_cache_node *n = &s->node;
	unsigned int batch = ac->batchcount;
	bool grown = false;

retry:
	while (batch > 0) {
		struct page *page;

		if (!list_empty(&n->slabs_partial)) {
			page = list_first_entry(&n->slabs_partial, struct page, slab_list);
		} else if (!list_empty(&n->slabs_free)) {
			page = list_first_entry(&n->slabs_free, struct page, slab_list);
			n->free_slabs--;
		} else {
			break;
		}
		while (page->active < s->num && batch) {
			ac->entry[ac->avail++] = index_to_obj(s, page, page->freelist[page->active++]);
			n->free_objects--;
			batch--;
		}
		list_del(&page->slab_list);
		list_add(&page->slab_list, page->active == s->num ? &n->slabs_full : &n->slabs_partial);
	}
	if (!ac->avail && !grown) {
		grown = true;
		if (cache_grow(s, gfp))
			goto retry;
	}
	return ac->avail ? ac->entry[--ac->avail] : NULL;
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	struct array_cache *ac;
	unsigned long flags;
	void *obj;

	local_irq_save(flags);
	ac = this_cpu_ptr(s->cpu_cache);
	if (likely(ac->avail))
		obj = ac->entry[--ac->avail];
	else
		obj = cache_alloc_refill(s, ac, gfp);
	local_irq_restore(flags);
	if (!obj)
		return NULL;
	debug_on_alloc(s, obj);
	if (gfp & __GFP_ZERO)
		memset(obj, 0, s->object_size);
	return obj;
}

void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	struct array_cache *ac;
	struct page *page;
	unsigned long flags;

	if (!obj)
		return;
	if (!virt_addr_valid(obj)) {
		printk(KERN_ERR "kmem_cache_free(%s): %p is not in the direct map\n", s->name, obj);
		return;
	}
	page = virt_to_head_page(obj);
	if (PageSlab(page) && page->slab_cache == s) {
		unsigned long off = (char *)obj - (char *)page->s_mem - s->obj_offset;
		if ((char *)obj < (char *)page->s_mem || off % s->size || off / s->size >= s->num) {
			slab_error(s, "free of a pointer that is not an object start", obj);
			return;
		}
	}
	if (!PageSlab(page) || page->slab_cache != s) {
		printk(KERN_ERR "cache_from_obj: Wrong slab cache. %s but object is from %s\n", s->name,
		       PageSlab(page) ? page->slab_cache->name : "(not a slab)");
		dump_stack();
		return;
	}
	if (!debug_on_free(s, obj))
		return;
	local_irq_save(flags);
	ac = this_cpu_ptr(s->cpu_cache);
	if (ac->avail >= ac->limit) {
		/* cache_flusharray: the oldest batchcount objects go back to slabs. */
		unsigned int batch = min(ac->batchcount, ac->avail);
		free_block(s, ac->entry, batch);
		ac->avail -= batch;
		memmove(ac->entry, ac->entry + batch, ac->avail * sizeof(void *));
	}
	ac->entry[ac->avail++] = obj;
	local_irq_restore(flags);
}

static void drain_cpu_caches(struct kmem_cache *s)
{
	unsigned long flags;

	local_irq_save(flags);
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct array_cache *ac = per_cpu_ptr(s->cpu_cache, cpu);
		free_block(s, ac->entry, ac->avail);
		ac->avail = 0;
	}
	local_irq_restore(flags);
}

/* Release every empty slab; 0 means the cache now holds no slabs at all. */
int kmem_cache_shrink(struct kmem_cache *s)
{
	struct kmem_cache_node *n = &s->node;
	struct page *page, *tmp;
	unsigned long flags;

	drain_cpu_caches(s);
	local_irq_save(flags);
	list_for_each_entry_safe(page, tmp, &n->slabs_free, slab_list) {
		list_del(&page->slab_list);
		n->free_slabs--;
		n->total_slabs--;
		n->free_objects -= s->num;
		slab_destroy(s, page);
	}
	local_irq_restore(flags);
	return n->total_slabs ? 1 : 0;
}

void slab_drain_all(void)
{
	struct kmem_cache *s;

	list_for_each_entry(s, &slab_caches, list)
		kmem_cache_shrink(s);
}

unsigned long kmem_cache_active_objs(struct kmem_cache *s)
{
	return s->node.total_slabs * s->num - s->node.free_objects;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *))
{
	struct kmem_cache *s;

	if (!name || !size || size < sizeof(void *) || size > KMALLOC_MAX_SIZE) {
		printk(KERN_ERR "kmem_cache_create(%s) integrity check failed\n", name ? name : "NULL");
		return NULL;
	}
	s = kmem_cache_zalloc(kmem_cache, GFP_KERNEL);
	if (!s)
		goto fail;
	if (__kmem_cache_create(s, name, size, align, flags, ctor)) {
		kmem_cache_free(kmem_cache, s);
		goto fail;
	}
	list_add(&s->list, &slab_caches);	/* /proc/slabinfo lists the newest first */
	slab_generation++;
	return s;
fail:
	if (flags & SLAB_PANIC)
		panic("kmem_cache_create: Failed to create slab '%s'", name);
	printk(KERN_WARNING "kmem_cache_create(%s) failed\n", name);
	return NULL;
}

/* Refuses (and reports) a cache that still has live objects, as Linux does. */
void kmem_cache_destroy(struct kmem_cache *s)
{
	if (!s)
		return;
	if (--s->refcount)
		return;
	kmem_cache_shrink(s);
	if (s->node.total_slabs) {
		printk(KERN_ERR "kmem_cache_destroy %s: Slab cache still has objects\n", s->name);
		dump_stack();
		s->refcount = 1;	/* stays listed; free the objects and try again */
		return;
	}
	list_del(&s->list);
	slab_generation++;
	free_percpu(s->cpu_cache);
	kmem_cache_free(kmem_cache, s);
}

struct kmem_cache *kmem_cache_find(const char *name)
{
	struct kmem_cache *s;

	list_for_each_entry(s, &slab_caches, list)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/* ---- kmalloc ------------------------------------------------------------ */

/* kmalloc_index(): 8..8192 by powers of two, plus 96 and 192 (index 1, 2). */
static unsigned int kmalloc_index(size_t size)
{
	if (size <= 8)
		return 3;
	if (size <= 16)
		return 4;
	if (size <= 32)
		return 5;
	if (size <= 64)
		return 6;
	if (size <= 96)
		return 1;
	if (size <= 128)
		return 7;
	if (size <= 192)
		return 2;
	return fls(size - 1);
}

struct kmem_cache *kmalloc_slab(size_t size, gfp_t gfp)
{
	return kmalloc_caches[(gfp & __GFP_DMA) ? 1 : 0][kmalloc_index(size)];
}

static void *kmalloc_large(size_t size, gfp_t gfp)
{
	unsigned int order = get_order(size);
	struct page *page;

	if (size > KMALLOC_MAX_SIZE) {
		if (!(gfp & __GFP_NOWARN))
			printk(KERN_WARNING "kmalloc: %u bytes is more than KMALLOC_MAX_SIZE\n", size);
		return NULL;
	}
	page = alloc_pages((gfp & ~__GFP_HIGHMEM) | __GFP_COMP, order);
	if (!page)
		return NULL;
	mod_node_page_state(NR_SLAB_UNRECLAIMABLE_B, 1L << order);
	return page_address(page);
}

void *kmalloc(size_t size, gfp_t gfp)
{
	if (!size)
		return ZERO_SIZE_PTR;
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_large(size, gfp);
	return kmem_cache_alloc(kmalloc_slab(size, gfp), gfp);
}

void kfree(const void *obj)
{
	struct page *page;

	if (ZERO_OR_NULL_PTR(obj))
		return;
	if (!virt_addr_valid(obj)) {
		printk(KERN_ERR "kfree: %p is not a kmalloc address\n", obj);
		dump_stack();
		return;
	}
	page = virt_to_head_page(obj);
	if (PageSlab(page)) {
		kmem_cache_free(page->slab_cache, (void *)obj);
	} else {
		unsigned int order = compound_order(page);
		mod_node_page_state(NR_SLAB_UNRECLAIMABLE_B, -(1L << order));
		__free_pages(page, order);
	}
}

size_t ksize(const void *obj)
{
	struct page *page;

	if (ZERO_OR_NULL_PTR(obj))
		return 0;
	page = virt_to_head_page(obj);
	if (PageSlab(page))
		return page->slab_cache->object_size;
	return PAGE_SIZE << compound_order(page);
}

void *krealloc(const void *p, size_t new_size, gfp_t gfp)
{
	size_t old = ksize(p);
	void *n;

	if (!new_size) {
		kfree(p);
		return ZERO_SIZE_PTR;
	}
	if (old >= new_size)
		return (void *)p;
	n = kmalloc(new_size, gfp);
	if (n && !ZERO_OR_NULL_PTR(p)) {
		memcpy(n, p, old);
		kfree(p);
	}
	return n;
}

static const char *kmalloc_name(unsigned int idx)
{
	static const char *const names[KMALLOC_SHIFT_HIGH + 1] = {
		NULL, "96", "192", "8", "16", "32", "64", "128", "256", "512", "1k", "2k", "4k", "8k",
	};
	return names[idx];
}

void kmem_cache_init(void)
{
	/* Bootstrap: the cache of struct kmem_cache is static, then kmalloc-*. */
	if (__kmem_cache_create(kmem_cache, "kmem_cache", sizeof(struct kmem_cache), 0,
				SLAB_HWCACHE_ALIGN, NULL))
		panic("kmem_cache_init: kmem_cache");
	list_add(&kmem_cache->list, &slab_caches);

	/* Small caches first: their freelists are on-slab and feed the big ones'. */
	static const unsigned int order[] = { 3, 4, 5, 6, 1, 7, 2, 8, 9, 10, 11, 12, 13 };
	for (unsigned int t = 0; t < 2; t++) {
		for (unsigned int i = 0; i < ARRAY_SIZE(order); i++) {
			unsigned int idx = order[i];
			unsigned int size = idx == 1 ? 96 : idx == 2 ? 192 : 1U << idx;
			char name[24];

			if (t == 0 && idx == 9)
				slab_up = true;
			snprintf(name, sizeof(name), "%skmalloc-%s", t ? "dma-" : "", kmalloc_name(idx));
			kmalloc_caches[t][idx] = kmem_cache_create(name, size, ARCH_KMALLOC_MINALIGN,
								   SLAB_PANIC | (t ? SLAB_CACHE_DMA : 0), NULL);
		}
	}
	slab_up = true;
}
