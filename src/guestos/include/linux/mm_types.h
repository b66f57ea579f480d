/* struct page: one per physical frame, in mem_map[] (FLATMEM). */
#ifndef _LINUX_MM_TYPES_H
#define _LINUX_MM_TYPES_H
#include <linux/types.h>

struct kmem_cache;

/*
 * The union holds what the page's current owner needs, as in Linux:
 *  - buddy / pcp lists: lru + private (buddy order while PageBuddy);
 *  - compound tail pages: compound_head (head address | 1) in the first word;
 *    the first tail page also holds compound_order;
 *  - slab: slab_list, slab_cache, s_mem (first object), active (objects in
 *    use), freelist (index stack of free objects).
 * The guest-info ABI publishes these offsets (docs/guest-info.md).
 */
struct page {
	unsigned long flags;		/* PG_* bits; zone number in bits 30..31 */
	union {
		struct {
			struct list_head lru;
			unsigned long private;
		};
		struct {
			unsigned long compound_head;
			unsigned int compound_order;
		};
		struct {
			struct list_head slab_list;
			struct kmem_cache *slab_cache;
			void *s_mem;
			unsigned int active;
			u16 *freelist;
		};
	};
	int _mapcount;
	int _refcount;
};

#endif
