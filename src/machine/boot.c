/* What the loaders share: reading files, the memory map, the flat GDT, and
 * choosing a loader by the image's content. */
#include "machine/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine/options.h"
#include "mmu/phys.h"

/* The PC layout as SeaBIOS reports it under QEMU, so that a guest sizes its
 * zones the same on both: conventional memory up to the EBDA at 639 KiB,
 * the VGA/option-ROM hole (not listed, as on real machines), the system ROM
 * area, extended memory up to 128 KiB below the top of RAM (SeaBIOS keeps
 * that for its tables), and the flash window under 4 GiB. */
uint32_t e820_usable_top(uint32_t ram_bytes)
{
    if (ram_bytes <= 0x100000u + E820_BIOS_TABLES)
        return ram_bytes;   /* too little RAM above 1 MiB to give any away */
    return ram_bytes - E820_BIOS_TABLES;
}

unsigned e820_build(uint32_t ram_bytes, struct e820_entry *out)
{
    unsigned n = 0;
    uint32_t low = ram_bytes < 0x9FC00u ? ram_bytes : 0x9FC00u;
    uint32_t top = e820_usable_top(ram_bytes);
    out[n++] = (struct e820_entry){ 0, low, E820_RAM };
    out[n++] = (struct e820_entry){ 0x9FC00u, 0x400u, E820_RESERVED };
    out[n++] = (struct e820_entry){ 0xF0000u, 0x10000u, E820_RESERVED };
    if (ram_bytes > 0x100000u)
        out[n++] = (struct e820_entry){ 0x100000u, top - 0x100000u, E820_RAM };
    if (top < ram_bytes)
        out[n++] = (struct e820_entry){ top, ram_bytes - top, E820_RESERVED };
    out[n++] = (struct e820_entry){ E820_FLASH_BASE, 0x100000000ull - E820_FLASH_BASE, E820_RESERVED };
    return n;
}

int boot_read_file(const char *path, size_t max, const char *max_what,
                   uint8_t **data, size_t *len, char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory", path);
        close(fd);
        return -1;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
        snprintf(err, errlen, "%s: %llu bytes is larger than %s", path,
                 (unsigned long long)st.st_size, max_what);
        close(fd);
        return -1;
    }
    size_t cap = 0, n = 0;
    uint8_t *buf = NULL;
    for (;;) {
        if (n == cap) {
            if (n > max) {
                snprintf(err, errlen, "%s: larger than %s", path, max_what);
                goto fail;
            }
            size_t ncap = cap ? cap * 2 : 65536;
            if (S_ISREG(st.st_mode) && (uint64_t)st.st_size + 1 > ncap &&
                (uint64_t)st.st_size <= max)
                ncap = (size_t)st.st_size + 1;   /* one read for a regular file */
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                snprintf(err, errlen, "%s: out of host memory", path);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n == 0) {
        snprintf(err, errlen, "%s: empty file", path);
        free(buf);
        return -1;
    }
    if (n > max) {
        snprintf(err, errlen, "%s: %zu bytes is larger than %s", path, n, max_what);
        free(buf);
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
fail:
    close(fd);
    free(buf);
    return -1;
}

int boot_zero(struct phys *p, uint32_t pa, uint32_t len)
{
    static const uint8_t zeros[4096];
    while (len) {
        uint32_t n = len < sizeof zeros ? len : sizeof zeros;
        if (phys_load(p, pa, zeros, n) < 0)
            return -1;
        pa += n;
        len -= n;
    }
    return 0;
}

/* Descriptor words for a flat 4 GiB segment: base 0, limit 0xFFFFF pages,
 * G=1, D=1, present, DPL 0; the accessed bit is preset so that the CPU
 * never needs to write the table (SDM Vol. 3 §3.4.5). */
#define FLAT_CODE_HI 0x00CF9B00u   /* execute/read */
#define FLAT_DATA_HI 0x00CF9300u   /* read/write */
#define FLAT_LO      0x0000FFFFu

static struct boot_seg flat_seg(uint16_t sel, uint32_t hi)
{
    /* struct seg keeps descriptor bits 40..55 without limit 19:16 */
    return (struct boot_seg){ .sel = sel, .base = 0, .limit = 0xFFFFFFFFu,
                              .flags = (uint16_t)((hi >> 8) & 0xF0FFu) };
}

int boot_flat_gdt(struct phys *p, struct boot_state *bs)
{
    uint32_t gdt[8] = { 0, 0, 0, 0, FLAT_LO, FLAT_CODE_HI, FLAT_LO, FLAT_DATA_HI };
    if (phys_load(p, BOOT_GDT_ADDR, gdt, sizeof gdt) < 0)
        return -1;
    bs->gdt_base = BOOT_GDT_ADDR;
    bs->gdt_limit = sizeof gdt - 1;
    bs->cs = flat_seg(BOOT_CS, FLAT_CODE_HI);
    bs->ds = flat_seg(BOOT_DS, FLAT_DATA_HI);
    bs->cr0_set = 1u;   /* PE */
    bs->eflags = 0x2u;  /* IF = 0; bit 1 always reads 1 */
    bs->reg[4] = BOOT_STACK_TOP;   /* ESP */
    return 0;
}

static bool is_elf(const uint8_t *img, size_t len)
{
    return len >= 4 && memcmp(img, "\177ELF", 4) == 0;
}

static bool has_hdrs(const uint8_t *img, size_t len)
{
    return len >= 0x206 && memcmp(img + 0x202, "HdrS", 4) == 0;
}

int boot_load(struct phys *p, const struct machine_config *cfg, const char *kernel,
              struct boot_state *bs, char *err, size_t errlen)
{
    memset(bs, 0, sizeof *bs);
    if (cfg->bios)
        return load_rom(p, cfg->bios, bs, err, errlen);

    char what[64];
    snprintf(what, sizeof what, "the guest's %u MiB of RAM", phys_ram_size(p) >> 20);
    uint8_t *img;
    size_t len;
    if (boot_read_file(kernel, phys_ram_size(p), what, &img, &len, err, errlen) < 0)
        return -1;
    int r;
    uint32_t off;
    /* Linux first, as QEMU does: a bzImage may also carry other headers. */
    if (has_hdrs(img, len)) {
        r = load_bzimage(p, kernel, img, len, cfg->initrd, cfg->append, bs, err, errlen);
    } else if (is_elf(img, len) || multiboot_find_header(img, len, &off)) {
        r = load_multiboot(p, kernel, img, len, cfg->initrd, cfg->append, bs, err, errlen);
    } else if (len >= 0x200 && img[0x1FE] == 0x55 && img[0x1FF] == 0xAA) {
        /* a boot sector: claims to be a Linux kernel, without the header */
        r = load_bzimage(p, kernel, img, len, cfg->initrd, cfg->append, bs, err, errlen);
    } else {
        snprintf(err, errlen, "%s: not an ELF file, a multiboot image or a Linux bzImage", kernel);
        r = -1;
    }
    free(img);
    return r;
}
