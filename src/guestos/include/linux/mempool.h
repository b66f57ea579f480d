/* mempool: a min_nr reserve in front of an allocator (mm/mempool.c). */
#ifndef _LINUX_MEMPOOL_H
#define _LINUX_MEMPOOL_H
#include <linux/types.h>
#include <linux/gfp.h>

typedef void *(mempool_alloc_t)(gfp_t gfp, void *pool_data);
typedef void (mempool_free_t)(void *element, void *pool_data);

typedef struct mempool_s {
	int min_nr;
	int curr_nr;
	void **elements;
	void *pool_data;
	mempool_alloc_t *alloc;
	mempool_free_t *free;
} mempool_t;

mempool_t *mempool_create(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn, void *pool_data);
int mempool_resize(mempool_t *pool, int new_min_nr);
void mempool_destroy(mempool_t *pool);
void *mempool_alloc(mempool_t *pool, gfp_t gfp);
void mempool_free(void *element, mempool_t *pool);

void *mempool_alloc_slab(gfp_t gfp, void *pool_data);
void mempool_free_slab(void *element, void *pool_data);
void *mempool_kmalloc(gfp_t gfp, void *pool_data);
void mempool_kfree(void *element, void *pool_data);
void *mempool_alloc_pages(gfp_t gfp, void *pool_data);
void mempool_free_pages(void *element, void *pool_data);
#define mempool_create_slab_pool(n, c) mempool_create((n), mempool_alloc_slab, mempool_free_slab, (void *)(c))
#define mempool_create_kmalloc_pool(n, s) mempool_create((n), mempool_kmalloc, mempool_kfree, (void *)(unsigned long)(s))
#define mempool_create_page_pool(n, o) mempool_create((n), mempool_alloc_pages, mempool_free_pages, (void *)(unsigned long)(o))

#endif
