/* GFP flags: Linux 6.1 bit values (include/linux/gfp_types.h). */
#ifndef _LINUX_GFP_H
#define _LINUX_GFP_H
#include <linux/types.h>

#define ___GFP_DMA 0x01u
#define ___GFP_HIGHMEM 0x02u
#define ___GFP_DMA32 0x04u
#define ___GFP_MOVABLE 0x08u
#define ___GFP_RECLAIMABLE 0x10u
#define ___GFP_HIGH 0x20u
#define ___GFP_IO 0x40u
#define ___GFP_FS 0x80u
#define ___GFP_ZERO 0x100u
#define ___GFP_ATOMIC 0x200u
#define ___GFP_DIRECT_RECLAIM 0x400u
#define ___GFP_KSWAPD_RECLAIM 0x800u
#define ___GFP_NOWARN 0x2000u
#define ___GFP_RETRY_MAYFAIL 0x4000u
#define ___GFP_NOFAIL 0x8000u
#define ___GFP_NORETRY 0x10000u
#define ___GFP_COMP 0x40000u
#define ___GFP_HARDWALL 0x100000u

#define __GFP_DMA ___GFP_DMA
#define __GFP_HIGHMEM ___GFP_HIGHMEM
#define __GFP_DMA32 ___GFP_DMA32
#define __GFP_MOVABLE ___GFP_MOVABLE
#define GFP_ZONEMASK (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE)
#define __GFP_RECLAIMABLE ___GFP_RECLAIMABLE
#define __GFP_HIGH ___GFP_HIGH
#define __GFP_IO ___GFP_IO
#define __GFP_FS ___GFP_FS
#define __GFP_ZERO ___GFP_ZERO
#define __GFP_ATOMIC ___GFP_ATOMIC
#define __GFP_DIRECT_RECLAIM ___GFP_DIRECT_RECLAIM
#define __GFP_KSWAPD_RECLAIM ___GFP_KSWAPD_RECLAIM
#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_NOWARN ___GFP_NOWARN
#define __GFP_RETRY_MAYFAIL ___GFP_RETRY_MAYFAIL
#define __GFP_NOFAIL ___GFP_NOFAIL
#define __GFP_NORETRY ___GFP_NORETRY
#define __GFP_COMP ___GFP_COMP
#define __GFP_HARDWALL ___GFP_HARDWALL

#define GFP_ATOMIC (__GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_NOWAIT (__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO (__GFP_RECLAIM)
#define GFP_NOFS (__GFP_RECLAIM | __GFP_IO)
#define GFP_USER (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA __GFP_DMA
#define GFP_HIGHUSER (GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE (GFP_HIGHUSER | __GFP_MOVABLE)

struct page;
enum zone_type;
enum zone_type gfp_zone(gfp_t flags);

struct page *alloc_pages(gfp_t gfp, unsigned int order);
#define alloc_page(gfp) alloc_pages(gfp, 0)
void __free_pages(struct page *page, unsigned int order);
#define __free_page(page) __free_pages((page), 0)
unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
#define __get_free_page(gfp) __get_free_pages((gfp), 0)
#define __get_dma_pages(gfp, order) __get_free_pages((gfp) | GFP_DMA, (order))
unsigned long get_zeroed_page(gfp_t gfp);
void free_pages(unsigned long addr, unsigned int order);
#define free_page(addr) free_pages((addr), 0)
void drain_local_pages(void);
int format_gfp(char *buf, size_t n, gfp_t gfp);

static inline unsigned int get_order(unsigned long size)
{
	unsigned int order = 0;

	size = (size - 1) >> 12;
	while (size) {
		order++;
		size >>= 1;
	}
	return order;
}

#endif
