#ifndef _LINUX_HIGHMEM_H
#define _LINUX_HIGHMEM_H
#include <linux/mm.h>

void *kmap(struct page *page);
void kunmap(struct page *page);
void *kmap_atomic(struct page *page);
void kunmap_atomic(void *addr);
void *kmap_high_get_address(const struct page *page);
unsigned int nr_free_pkmaps(void);
extern unsigned long pkmap_flushes;
void clear_highpage(struct page *page);

#endif
