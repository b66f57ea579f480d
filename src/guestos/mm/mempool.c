/*
 * mempool: min_nr preallocated elements kept for when the allocator
 * fails (mm/mempool.c). mempool_alloc tries the allocator first, without
 * waiting; only on failure does it take from the reserve. mempool_free
 * refills the reserve before giving anything back to the allocator.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/mempool.h>
#include <linux/mm.h>

static void add_element(mempool_t *pool, void *element)
{
	BUG_ON(pool->curr_nr >= pool->min_nr);
	pool->elements[pool->curr_nr++] = element;
}

static void *remove_element(mempool_t *pool)
{
	BUG_ON(pool->curr_nr <= 0);
	return pool->elements[--pool->curr_nr];
}

void mempool_destroy(mempool_t *pool)
{
	if (!pool)
		return;
	while (pool->curr_nr)
		pool->free(remove_element(pool), pool->pool_data);
	kfree(pool->elements);
	kfree(pool);
}

mempool_t *mempool_create(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn, void *pool_data)
{
	mempool_t *pool = kzalloc(sizeof(*pool), GFP_KERNEL);

	if (!pool)
		return NULL;
	pool->elements = kmalloc(min_nr * sizeof(void *), GFP_KERNEL);
	if (!pool->elements) {
		kfree(pool);
		return NULL;
	}
	pool->min_nr = min_nr;
	pool->pool_data = pool_data;
	pool->alloc = alloc_fn;
	pool->free = free_fn;
	while (pool->curr_nr < pool->min_nr) {
		void *element = pool->alloc(GFP_KERNEL, pool->pool_data);
		if (!element) {
			mempool_destroy(pool);
			return NULL;
		}
		add_element(pool, element);
	}
	return pool;
}

int mempool_resize(mempool_t *pool, int new_min_nr)
{
	void **new_elements;
	unsigned long flags;

	BUG_ON(new_min_nr <= 0);
	local_irq_save(flags);
	if (new_min_nr <= pool->min_nr) {
		while (new_min_nr < pool->curr_nr)
			pool->free(remove_element(pool), pool->pool_data);
		pool->min_nr = new_min_nr;
		local_irq_restore(flags);
		return 0;
	}
	local_irq_restore(flags);
	new_elements = kmalloc(new_min_nr * sizeof(void *), GFP_KERNEL);
	if (!new_elements)
		return -ENOMEM;
	local_irq_save(flags);
	memcpy(new_elements, pool->elements, pool->curr_nr * sizeof(void *));
	kfree(pool->elements);
	pool->elements = new_elements;
	pool->min_nr = new_min_nr;
	local_irq_restore(flags);
	while (pool->curr_nr < pool->min_nr) {
		void *element = pool->alloc(GFP_KERNEL, pool->pool_data);
		if (!element)
			break;		/* the reserve refills from later frees */
		local_irq_save(flags);
		if (pool->curr_nr < pool->min_nr) {
			add_element(pool, element);
			local_irq_restore(flags);
		} else {
			local_irq_restore(flags);
			pool->free(element, pool->pool_data);
		}
	}
	return 0;
}

void *mempool_alloc(mempool_t *pool, gfp_t gfp)
{
	void *element;
	unsigned long flags;
	gfp_t gfp_temp;

	WARN_ON(gfp & __GFP_ZERO);
	gfp |= __GFP_NORETRY | __GFP_NOWARN;
	gfp_temp = gfp & ~(__GFP_DIRECT_RECLAIM | __GFP_IO);
	for (;;) {
		element = pool->alloc(gfp_temp, pool->pool_data);
		if (element)
			return element;
		local_irq_save(flags);
		if (pool->curr_nr) {
			element = remove_element(pool);
			local_irq_restore(flags);
			return element;
		}
		local_irq_restore(flags);
		if (gfp_temp != gfp) {
			gfp_temp = gfp;	/* one more try with the caller's full gfp */
			continue;
		}
		/*
		 * Linux now sleeps until mempool_free() refills the pool. This
		 * kernel has one thread, so nobody could free: report failure.
		 */
		return NULL;
	}
}

void mempool_free(void *element, mempool_t *pool)
{
	unsigned long flags;

	if (!element)
		return;
	local_irq_save(flags);
	if (pool->curr_nr < pool->min_nr) {
		add_element(pool, element);
		local_irq_restore(flags);
		return;
	}
	local_irq_restore(flags);
	pool->free(element, pool->pool_data);
}

void *mempool_alloc_slab(gfp_t gfp, void *pool_data)
{
	return kmem_cache_alloc(pool_data, gfp);
}

void mempool_free_slab(void *element, void *pool_data)
{
	kmem_cache_free(pool_data, element);
}

void *mempool_kmalloc(gfp_t gfp, void *pool_data)
{
	return kmalloc((size_t)pool_data, gfp);
}

void mempool_kfree(void *element, void *pool_data)
{
	(void)pool_data;
	kfree(element);
}

void *mempool_alloc_pages(gfp_t gfp, void *pool_data)
{
	return alloc_pages(gfp, (unsigned long)pool_data);
}

void mempool_free_pages(void *element, void *pool_data)
{
	__free_pages(element, (unsigned long)pool_data);
}
