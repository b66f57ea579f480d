/* Guest physical memory. RAM is one host buffer at physical 0; ROM and MMIO
 * regions are kept in a short list (there are only a handful). */
#include "mmu/phys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_REGIONS 16

struct region {
    enum phys_kind kind;
    uint32_t base, len;
    uint8_t *data;                    /* ROM */
    const struct phys_mmio_ops *ops;  /* MMIO */
    void *ctx;
};

struct phys {
    uint8_t *ram;
    uint32_t ram_size;
    uint32_t a20_mask;
    struct region regions[MAX_REGIONS];
    int nregions;
    uint8_t *code;   /* one bit per RAM page: holds decoded code */
    uint8_t *shadow; /* one bit per RAM page: some region overlaps it, so it
                        is not plain RAM (kept so the common case -- plain
                        RAM -- is one bit test, not a walk of the regions) */
    void (*on_code_write)(void *ctx, uint32_t pa, uint32_t len);
    void *code_ctx;
};

struct phys *phys_create(uint64_t ram_bytes, char *err, size_t errlen)
{
    ram_bytes = (ram_bytes + PHYS_PAGE_SIZE - 1) & ~(uint64_t)(PHYS_PAGE_SIZE - 1);
    if (ram_bytes == 0 || ram_bytes > PHYS_RAM_MAX) {
        snprintf(err, errlen, "RAM size %llu bytes is out of range (4 KiB to 3 GiB)",
                 (unsigned long long)ram_bytes);
        return NULL;
    }
    struct phys *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    /* mmap: pages the guest never touches cost the host nothing. */
    void *ram = mmap(NULL, ram_bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    uint8_t *code = calloc(ram_bytes / PHYS_PAGE_SIZE / 8 + 1, 1);
    uint8_t *shadow = calloc(ram_bytes / PHYS_PAGE_SIZE / 8 + 1, 1);
    if (ram == MAP_FAILED || !code || !shadow) {
        snprintf(err, errlen, "cannot reserve %llu MiB of host memory for guest RAM",
                 (unsigned long long)(ram_bytes >> 20));
        if (ram != MAP_FAILED)
            munmap(ram, ram_bytes);
        free(code);
        free(shadow);
        free(p);
        return NULL;
    }
    p->ram = ram;
    p->ram_size = (uint32_t)ram_bytes;
    p->a20_mask = ~0u;
    p->code = code;
    p->shadow = shadow;
    return p;
}

void phys_destroy(struct phys *p)
{
    if (!p)
        return;
    munmap(p->ram, p->ram_size);
    for (int i = 0; i < p->nregions; i++)
        free(p->regions[i].data);
    free(p->code);
    free(p->shadow);
    free(p);
}

uint32_t phys_ram_size(const struct phys *p) { return p->ram_size; }

static bool overlaps(const struct phys *p, uint32_t base, uint32_t len)
{
    uint64_t end = (uint64_t)base + len;
    for (int i = 0; i < p->nregions; i++) {
        const struct region *r = &p->regions[i];
        if (base < (uint64_t)r->base + r->len && r->base < end)
            return true;
    }
    return false;
}

static inline bool shadowed(const struct phys *p, uint32_t pa)
{
    return (p->shadow[pa >> 15] >> ((pa >> 12) & 7)) & 1;
}

/* [pa, pa+len) lies in RAM pages that no region overlaps (len <= 4 KiB). */
static inline bool plain_ram(const struct phys *p, uint32_t pa, uint32_t len)
{
    uint32_t last = pa + len - 1;
    if (last < pa || last >= p->ram_size || shadowed(p, pa))
        return false;
    return ((pa ^ last) >> PHYS_PAGE_SHIFT) == 0 || !shadowed(p, last);
}

static int add_region(struct phys *p, struct region r)
{
    if (r.len == 0 || (uint64_t)r.base + r.len > (1ull << 32) ||
        p->nregions == MAX_REGIONS || overlaps(p, r.base, r.len))
        return -1;
    p->regions[p->nregions++] = r;
    for (uint64_t a = r.base & ~(uint64_t)(PHYS_PAGE_SIZE - 1); a < (uint64_t)r.base + r.len && a < p->ram_size;
         a += PHYS_PAGE_SIZE)
        p->shadow[a >> 15] |= (uint8_t)(1u << ((a >> 12) & 7));
    return 0;
}

int phys_add_rom(struct phys *p, uint32_t base, const void *data, uint32_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    memcpy(copy, data, len);
    struct region r = { .kind = PHYS_ROM, .base = base, .len = len, .data = copy };
    if (add_region(p, r) < 0) {
        free(copy);
        return -1;
    }
    return 0;
}

int phys_add_mmio(struct phys *p, uint32_t base, uint32_t len,
                  const struct phys_mmio_ops *ops, void *ctx)
{
    struct region r = { .kind = PHYS_MMIO, .base = base, .len = len, .ops = ops, .ctx = ctx };
    return add_region(p, r);
}

void phys_set_a20(struct phys *p, bool enabled) { p->a20_mask = enabled ? ~0u : ~(1u << 20); }
bool phys_a20(const struct phys *p) { return p->a20_mask == ~0u; }
uint32_t phys_a20_mask(const struct phys *p) { return p->a20_mask; }

/* Regions shadow RAM (a ROM at 0xF0000 hides the RAM under it). */
static const struct region *region_at(const struct phys *p, uint32_t pa)
{
    for (int i = 0; i < p->nregions; i++) {
        const struct region *r = &p->regions[i];
        if (pa - r->base < r->len)
            return r;
    }
    return NULL;
}

enum phys_kind phys_kind_at(const struct phys *p, uint32_t pa)
{
    const struct region *r = region_at(p, pa);
    if (r)
        return r->kind;
    return pa < p->ram_size ? PHYS_RAM : PHYS_OPEN_BUS;
}

uint8_t *phys_host_page_rw(struct phys *p, uint32_t pa, bool *writable)
{
    uint32_t page = pa & ~(PHYS_PAGE_SIZE - 1);
    if (plain_ram(p, page, PHYS_PAGE_SIZE)) {
        *writable = true;
        return p->ram + page;
    }
    *writable = false;
    uint8_t *host = phys_host_page(p, page, false);
    if (host)
        *writable = phys_host_page(p, page, true) != NULL;
    return host;
}

uint8_t *phys_host_page(struct phys *p, uint32_t pa, bool write)
{
    uint32_t page = pa & ~(PHYS_PAGE_SIZE - 1);
    if (plain_ram(p, page, PHYS_PAGE_SIZE))
        return p->ram + page;
    const struct region *r = region_at(p, page);
    if (r) {
        if (r->kind == PHYS_ROM && !write && page - r->base + PHYS_PAGE_SIZE <= r->len)
            return r->data + (page - r->base);
        return NULL;
    }
    /* a region could start inside this page: then the page is not plain RAM */
    if (page < p->ram_size && !overlaps(p, page, PHYS_PAGE_SIZE))
        return p->ram + page;
    return NULL;
}

static uint8_t read_byte(struct phys *p, uint32_t pa)
{
    const struct region *r = region_at(p, pa);
    if (r) {
        if (r->kind == PHYS_ROM)
            return r->data[pa - r->base];
        return (uint8_t)r->ops->read(r->ctx, pa - r->base, 1);
    }
    return pa < p->ram_size ? p->ram[pa] : 0xFF;
}

static void code_check(struct phys *p, uint32_t pa, uint32_t len)
{
    if (p->on_code_write && pa < p->ram_size && phys_is_code(p, pa))
        p->on_code_write(p->code_ctx, pa, len);
}

static void write_byte(struct phys *p, uint32_t pa, uint8_t v)
{
    const struct region *r = region_at(p, pa);
    if (r) {
        if (r->kind == PHYS_MMIO)
            r->ops->write(r->ctx, pa - r->base, v, 1);
        return;
    }
    if (pa < p->ram_size) {
        code_check(p, pa, 1);
        p->ram[pa] = v;
    }
}

/* Regions, open bus, and RAM accesses that touch a shadowed page. Kept out
 * of line so that the plain-RAM case needs no stack frame. */
static uint32_t __attribute__((noinline)) read_slow(struct phys *p, uint32_t pa, int size)
{
    const struct region *r = region_at(p, pa);
    if (r && r->kind == PHYS_MMIO && pa - r->base + size <= r->len)
        return r->ops->read(r->ctx, pa - r->base, size);
    if (!r && (uint64_t)pa + size <= p->ram_size && !overlaps(p, pa, size)) {
        uint32_t v = 0;
        memcpy(&v, p->ram + pa, size);   /* little-endian host */
        return v;
    }
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint32_t)read_byte(p, pa + i) << (8 * i);
    return v;
}

uint32_t phys_read(struct phys *p, uint32_t pa, int size)
{
    if (plain_ram(p, pa, (uint32_t)size)) {
        const uint8_t *h = p->ram + pa;   /* little-endian host */
        if (size == 4) {
            uint32_t v;
            memcpy(&v, h, 4);
            return v;
        }
        if (size == 2) {
            uint16_t v;
            memcpy(&v, h, 2);
            return v;
        }
        if (size == 1)
            return *h;
        uint32_t v = 0;   /* 3: one half of a page-crossing access */
        memcpy(&v, h, size);
        return v;
    }
    return read_slow(p, pa, size);
}

static void __attribute__((noinline)) write_slow(struct phys *p, uint32_t pa, uint32_t val, int size)
{
    const struct region *r = region_at(p, pa);
    if (r && r->kind == PHYS_MMIO && pa - r->base + size <= r->len) {
        r->ops->write(r->ctx, pa - r->base, val, size);
        return;
    }
    if (!r && (uint64_t)pa + size <= p->ram_size && !overlaps(p, pa, size)) {
        code_check(p, pa, size);
        if (((pa + size - 1) ^ pa) >> PHYS_PAGE_SHIFT)
            code_check(p, pa + size - 1, size);
        memcpy(p->ram + pa, &val, size);
        return;
    }
    for (int i = 0; i < size; i++)
        write_byte(p, pa + i, (uint8_t)(val >> (8 * i)));
}

void phys_write(struct phys *p, uint32_t pa, uint32_t val, int size)
{
    if (plain_ram(p, pa, (uint32_t)size)) {
        code_check(p, pa, size);
        if (((pa + size - 1) ^ pa) >> PHYS_PAGE_SHIFT)
            code_check(p, pa + size - 1, size);
        uint8_t *h = p->ram + pa;
        if (size == 4) {
            memcpy(h, &val, 4);
        } else if (size == 2) {
            uint16_t v = (uint16_t)val;
            memcpy(h, &v, 2);
        } else if (size == 1) {
            *h = (uint8_t)val;
        } else {
            memcpy(h, &val, size);   /* 3: one half of a page-crossing access */
        }
        return;
    }
    write_slow(p, pa, val, size);
}

void phys_read_block(struct phys *p, uint32_t pa, void *dst, uint32_t len)
{
    uint8_t *d = dst;
    for (uint32_t i = 0; i < len; i++)
        d[i] = read_byte(p, pa + i);
}

void phys_write_block(struct phys *p, uint32_t pa, const void *src, uint32_t len)
{
    const uint8_t *s = src;
    for (uint32_t i = 0; i < len; i++)
        write_byte(p, pa + i, s[i]);
}

int phys_load(struct phys *p, uint32_t pa, const void *src, uint32_t len)
{
    if ((uint64_t)pa + len > p->ram_size || overlaps(p, pa, len))
        return -1;
    memcpy(p->ram + pa, src, len);
    for (uint32_t a = pa & ~(PHYS_PAGE_SIZE - 1); a < pa + len; a += PHYS_PAGE_SIZE)
        code_check(p, a, PHYS_PAGE_SIZE);
    return 0;
}

void phys_set_code_hook(struct phys *p, void (*fn)(void *ctx, uint32_t pa, uint32_t len), void *ctx)
{
    p->on_code_write = fn;
    p->code_ctx = ctx;
}

void phys_mark_code(struct phys *p, uint32_t pa)
{
    if (pa < p->ram_size)
        p->code[pa >> 15] |= (uint8_t)(1u << ((pa >> 12) & 7));
}

void phys_clear_code(struct phys *p, uint32_t pa)
{
    if (pa < p->ram_size)
        p->code[pa >> 15] &= (uint8_t)~(1u << ((pa >> 12) & 7));
}

bool phys_is_code(const struct phys *p, uint32_t pa)
{
    return pa < p->ram_size && (p->code[pa >> 15] >> ((pa >> 12) & 7)) & 1;
}
