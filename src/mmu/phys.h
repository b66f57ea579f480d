/* Guest physical memory: RAM, ROM and MMIO regions over a 4 GiB space,
 * open bus elsewhere (reads 0xFF, writes dropped), and the A20 gate.
 * Every guest access is bounds-checked here at region level: nothing the
 * guest does can reach host memory outside RAM/ROM buffers.
 *
 * Pages that hold decoded code are marked; a write to one (by the CPU slow
 * path or by DMA) calls on_code_write so the CPU can drop stale decodes. */
#ifndef PAGODA_PHYS_H
#define PAGODA_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHYS_PAGE_SHIFT 12
#define PHYS_PAGE_SIZE  4096u
#define PHYS_RAM_MAX    (3u << 30)   /* 3 GiB */

struct phys_mmio_ops {
    uint32_t (*read)(void *ctx, uint32_t offset, int size);
    void (*write)(void *ctx, uint32_t offset, uint32_t val, int size);
};

enum phys_kind { PHYS_OPEN_BUS, PHYS_RAM, PHYS_ROM, PHYS_MMIO };

struct phys;

/* ram_bytes is rounded up to a page; at most PHYS_RAM_MAX. Returns NULL and
 * writes a message to err on failure. */
struct phys *phys_create(uint64_t ram_bytes, char *err, size_t errlen);
void phys_destroy(struct phys *p);

uint32_t phys_ram_size(const struct phys *p);
/* Map a copy of data as ROM at [base, base+len); len a multiple of 4 KiB.
 * Returns 0, or -1 if it overlaps another region. */
int phys_add_rom(struct phys *p, uint32_t base, const void *data, uint32_t len);
int phys_add_mmio(struct phys *p, uint32_t base, uint32_t len,
                  const struct phys_mmio_ops *ops, void *ctx);

void phys_set_a20(struct phys *p, bool enabled);
bool phys_a20(const struct phys *p);
/* Apply the A20 gate to an address (bit 20 forced to 0 when disabled). */
uint32_t phys_a20_mask(const struct phys *p);

enum phys_kind phys_kind_at(const struct phys *p, uint32_t pa);

/* Host pointer to the page holding pa if it is RAM (or ROM and !write), else
 * NULL. Valid for the rest of that 4 KiB page. Does not apply A20. */
uint8_t *phys_host_page(struct phys *p, uint32_t pa, bool write);
/* The same for reading, telling in *writable whether writes may use it too
 * (RAM: yes; ROM: no). One lookup for the TLB fill. */
uint8_t *phys_host_page_rw(struct phys *p, uint32_t pa, bool *writable);

/* Accesses of 1, 2 or 4 bytes at any alignment (split at region edges). */
uint32_t phys_read(struct phys *p, uint32_t pa, int size);
void phys_write(struct phys *p, uint32_t pa, uint32_t val, int size);
/* Block copies for loaders, DMA and the debugger. Returns bytes that hit
 * RAM or ROM (open bus reads give 0xFF; writes to ROM are dropped unless
 * phys_load, which loaders use to fill ROM too). */
void phys_read_block(struct phys *p, uint32_t pa, void *dst, uint32_t len);
void phys_write_block(struct phys *p, uint32_t pa, const void *src, uint32_t len);
/* Loader write: like phys_write_block but fails (-1) unless every byte is RAM. */
int phys_load(struct phys *p, uint32_t pa, const void *src, uint32_t len);

/* Decoded-code tracking. */
void phys_set_code_hook(struct phys *p, void (*on_code_write)(void *ctx, uint32_t pa, uint32_t len), void *ctx);
void phys_mark_code(struct phys *p, uint32_t pa);     /* page of pa holds decoded code */
void phys_clear_code(struct phys *p, uint32_t pa);    /* ... no longer */
bool phys_is_code(const struct phys *p, uint32_t pa);

#endif
