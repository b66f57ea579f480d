/* Slab caches and kmalloc (the SLAB design with per-CPU array caches). */
#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H
#include <linux/types.h>
#include <linux/list.h>
#include <linux/gfp.h>

#define SLAB_RED_ZONE 0x00000400U
#define SLAB_POISON 0x00000800U
#define SLAB_HWCACHE_ALIGN 0x00002000U
#define SLAB_CACHE_DMA 0x00004000U
#define SLAB_RECLAIM_ACCOUNT 0x00020000U
#define SLAB_PANIC 0x00040000U

#define POISON_INUSE 0x5a
#define POISON_FREE 0x6b
#define POISON_END 0xa5
#define RED_INACTIVE 0x09F911029D74E35BULL
#define RED_ACTIVE 0xD84156C5635688C0ULL

#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)
#define KMALLOC_SHIFT_LOW 3
#define KMALLOC_SHIFT_HIGH 13
#define KMALLOC_MAX_CACHE_SIZE (1UL << KMALLOC_SHIFT_HIGH)
#define KMALLOC_MAX_SIZE (1UL << 22)
#define ARCH_KMALLOC_MINALIGN 8
#define L1_CACHE_BYTES 64

/* Per-CPU object cache: Bonwick's magazine reduced to one array (mm/slab.c). */
struct array_cache {
	unsigned int avail;
	unsigned int limit;
	unsigned int batchcount;
	void *entry[];
};

struct kmem_cache_node {
	struct list_head slabs_partial;
	struct list_head slabs_full;
	struct list_head slabs_free;
	unsigned long total_slabs;
	unsigned long free_slabs;
	unsigned long free_objects;
	unsigned int free_limit;
	unsigned int colour_next;
};

struct kmem_cache {
	struct array_cache __percpu *cpu_cache;
	unsigned int batchcount;
	unsigned int limit;
	unsigned int shared;
	unsigned int size;		/* slot: red zones + object, aligned */
	unsigned int object_size;	/* what the user asked for */
	unsigned int obj_offset;	/* object start within its slot */
	unsigned int align;
	unsigned int num;		/* objects per slab */
	unsigned int gfporder;
	gfp_t allocflags;
	unsigned int colour;		/* number of colours */
	unsigned int colour_off;	/* colour step in bytes */
	unsigned int freelist_size;
	bool off_slab;
	slab_flags_t flags;
	void (*ctor)(void *);
	const char *name;
	char namebuf[24];
	struct list_head list;
	int refcount;
	unsigned long errors;		/* red-zone / poison violations seen */
	struct kmem_cache_node node;
};

extern struct list_head slab_caches;
extern unsigned long slab_generation;

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *s);
int kmem_cache_shrink(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void kmem_cache_free(struct kmem_cache *s, void *obj);
static inline void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	return kmem_cache_alloc(s, gfp | __GFP_ZERO);
}
struct kmem_cache *kmem_cache_find(const char *name);
unsigned long kmem_cache_active_objs(struct kmem_cache *s);

void *kmalloc(size_t size, gfp_t gfp);
static inline void *kzalloc(size_t size, gfp_t gfp) { return kmalloc(size, gfp | __GFP_ZERO); }
void kfree(const void *obj);
size_t ksize(const void *obj);
void *krealloc(const void *p, size_t new_size, gfp_t gfp);
struct kmem_cache *kmalloc_slab(size_t size, gfp_t gfp);
void kmem_cache_init(void);
void kmem_cache_init_late(void);
void slab_drain_all(void);

#endif
