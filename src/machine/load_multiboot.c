/* Multiboot v1 loader (Multiboot Specification 0.6.96, §3): find the header
 * in the first 8 KiB, load the ELF program headers through libelf (or the
 * header's address fields when flag 16 is set), place modules, and build the
 * boot information structure with a full memory map. Machine state at entry
 * (§3.2): EAX = 0x2BADB002, EBX = info, flat 32-bit protected mode, paging
 * off, IF = 0, A20 on. */
#include "machine/boot.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/phys.h"

#define MB_HEADER_MAGIC   0x1BADB002u
#define MB_BOOT_MAGIC     0x2BADB002u
#define MB_SEARCH_BYTES   8192u
#define MB_FLAG_PAGE_ALIGN 0x1u
#define MB_FLAG_MEMINFO    0x2u
#define MB_FLAG_VIDEO      0x4u
#define MB_FLAG_AOUT_KLUDGE 0x10000u
#define MB_KNOWN_REQUIRED  (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO | MB_FLAG_VIDEO)

/* boot information flags (§3.3) */
#define MBI_MEM      (1u << 0)
#define MBI_CMDLINE  (1u << 2)
#define MBI_MODS     (1u << 3)
#define MBI_MMAP     (1u << 6)
#define MBI_LOADER   (1u << 9)
#define MBI_SIZE     120u

#define MAX_RANGES 64
#define MAX_MODULES 32

struct range {
    uint32_t start, end;   /* [start, end) */
};

struct mb_load {
    struct phys *p;
    const char *path;
    char *err;
    size_t errlen;
    uint32_t ram;
    struct range r[MAX_RANGES];
    unsigned nr;
    uint32_t kernel_end;
    uint32_t arena;        /* bump pointer in [BOOT_MB_ARENA, BOOT_MB_ARENA_END) */
};

static uint32_t rd32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static bool header_ok(const uint8_t *img, size_t len, uint32_t off)
{
    if (off + 12 > len || rd32(img + off) != MB_HEADER_MAGIC)
        return false;
    return (uint32_t)(rd32(img + off) + rd32(img + off + 4) + rd32(img + off + 8)) == 0;
}

bool multiboot_find_header(const uint8_t *img, size_t len, uint32_t *offset)
{
    /* §3.1.1: 32-bit aligned, wholly inside the first 8192 bytes */
    for (uint32_t off = 0; off + 12 <= MB_SEARCH_BYTES && off + 12 <= len; off += 4) {
        if (header_ok(img, len, off)) {
            *offset = off;
            return true;
        }
    }
    return false;
}

static int no_header(const uint8_t *img, size_t len, const char *path, char *err, size_t errlen)
{
    for (uint32_t off = 0; off + 12 <= MB_SEARCH_BYTES && off + 12 <= len; off += 4) {
        if (rd32(img + off) == MB_HEADER_MAGIC) {
            snprintf(err, errlen, "%s: multiboot header at offset 0x%x has a bad checksum", path, off);
            return -1;
        }
    }
    snprintf(err, errlen, "%s: no multiboot header in the first 8 KiB", path);
    return -1;
}

/* Record [start, start+size) as used; refuse overlaps, RAM overruns and the
 * loader's own boot-data area. what names the piece in messages. */
static int claim(struct mb_load *L, uint32_t start, uint64_t size, const char *what)
{
    uint64_t end = (uint64_t)start + size;
    if (end > L->ram) {
        snprintf(L->err, L->errlen, "%s: %s (0x%x-0x%llx) does not fit in the guest's %u MiB of RAM",
                 L->path, what, start, (unsigned long long)end, L->ram >> 20);
        return -1;
    }
    if (start < BOOT_MB_ARENA_END && end > BOOT_GDT_ADDR) {
        snprintf(L->err, L->errlen, "%s: %s (0x%x-0x%llx) overlaps the loader's boot data at 0x%x-0x%x",
                 L->path, what, start, (unsigned long long)end, BOOT_GDT_ADDR, BOOT_MB_ARENA_END);
        return -1;
    }
    for (unsigned i = 0; i < L->nr; i++) {
        if (start < L->r[i].end && L->r[i].start < end) {
            uint32_t at = start > L->r[i].start ? start : L->r[i].start;
            snprintf(L->err, L->errlen, "%s: %s overlaps an earlier segment at 0x%x", L->path, what, at);
            return -1;
        }
    }
    if (L->nr == MAX_RANGES) {
        snprintf(L->err, L->errlen, "%s: more than %d loadable pieces", L->path, MAX_RANGES);
        return -1;
    }
    L->r[L->nr++] = (struct range){ start, (uint32_t)end };
    if ((uint32_t)end > L->kernel_end)
        L->kernel_end = (uint32_t)end;
    return 0;
}

static int place(struct mb_load *L, uint32_t pa, const uint8_t *src, uint32_t filesz, uint32_t memsz)
{
    if (phys_load(L->p, pa, src, filesz) < 0 || boot_zero(L->p, pa + filesz, memsz - filesz) < 0) {
        snprintf(L->err, L->errlen, "%s: cannot load at 0x%x: not RAM", L->path, pa);
        return -1;
    }
    return 0;
}

static bool phdr_at(Elf *e, size_t i, Elf32_Phdr *out)
{
    GElf_Phdr g;
    if (!gelf_getphdr(e, (int)i, &g))
        return false;
    *out = (Elf32_Phdr){ .p_type = g.p_type, .p_offset = (Elf32_Off)g.p_offset,
                         .p_vaddr = (Elf32_Addr)g.p_vaddr, .p_paddr = (Elf32_Addr)g.p_paddr,
                         .p_filesz = (Elf32_Word)g.p_filesz, .p_memsz = (Elf32_Word)g.p_memsz,
                         .p_flags = g.p_flags, .p_align = (Elf32_Word)g.p_align };
    return true;
}

static int load_elf(struct mb_load *L, const uint8_t *img, size_t len, uint32_t *entry)
{
    if (elf_version(EV_CURRENT) == EV_NONE) {
        snprintf(L->err, L->errlen, "%s: libelf is unusable: %s", L->path, elf_errmsg(-1));
        return -1;
    }
    if (len < 4 || memcmp(img, "\177ELF", 4) != 0) {
        snprintf(L->err, L->errlen, "%s: not an ELF file (a multiboot header without flag 16 needs one)", L->path);
        return -1;
    }
    if (len < 5 || img[4] != ELFCLASS32) {
        snprintf(L->err, L->errlen, "%s: not a 32-bit ELF (multiboot v1 loads i386 ELF32 kernels)", L->path);
        return -1;
    }
    Elf *e = elf_memory((char *)(uintptr_t)img, len);
    if (!e) {
        snprintf(L->err, L->errlen, "%s: unreadable ELF: %s", L->path, elf_errmsg(-1));
        return -1;
    }
    int rc = -1;
    Elf32_Ehdr *eh = elf32_getehdr(e);
    if (!eh) {
        snprintf(L->err, L->errlen, "%s: truncated or corrupt ELF header: %s", L->path, elf_errmsg(-1));
        goto out;
    }
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB) {
        /* i386 code is little-endian: say so, rather than name the
         * machine number the other byte order makes of e_machine */
        snprintf(L->err, L->errlen, "%s: a big-endian ELF, not an i386 (little-endian) one", L->path);
        goto out;
    }
    if (eh->e_machine != EM_386) {
        snprintf(L->err, L->errlen, "%s: ELF for machine %u, not i386", L->path, eh->e_machine);
        goto out;
    }
    size_t nph;
    if (elf_getphdrnum(e, &nph) != 0) {
        snprintf(L->err, L->errlen, "%s: corrupt ELF program header count: %s", L->path, elf_errmsg(-1));
        goto out;
    }
    if (nph && !elf32_getphdr(e)) {
        snprintf(L->err, L->errlen, "%s: truncated or corrupt ELF program headers: %s", L->path, elf_errmsg(-1));
        goto out;
    }
    unsigned loaded = 0;
    for (size_t i = 0; i < nph; i++) {
        /* a copy: the table may sit at any file offset, unaligned in memory */
        Elf32_Phdr one;
        if (!phdr_at(e, i, &one)) {
            snprintf(L->err, L->errlen, "%s: corrupt ELF program header %zu: %s", L->path, i, elf_errmsg(-1));
            goto out;
        }
        const Elf32_Phdr *s = &one;
        if (s->p_type != PT_LOAD || s->p_memsz == 0)
            continue;
        char what[48];
        snprintf(what, sizeof what, "segment %zu", i);
        if (s->p_filesz > s->p_memsz) {
            snprintf(L->err, L->errlen, "%s: %s: file size 0x%x exceeds its memory size 0x%x",
                     L->path, what, s->p_filesz, s->p_memsz);
            goto out;
        }
        if ((uint64_t)s->p_offset + s->p_filesz > len) {
            snprintf(L->err, L->errlen, "%s: truncated: %s needs file bytes up to 0x%llx, the file has 0x%zx",
                     L->path, what, (unsigned long long)s->p_offset + s->p_filesz, len);
            goto out;
        }
        if (claim(L, s->p_paddr, s->p_memsz, what) < 0 ||
            place(L, s->p_paddr, img + s->p_offset, s->p_filesz, s->p_memsz) < 0)
            goto out;
        loaded++;
    }
    if (!loaded) {
        snprintf(L->err, L->errlen, "%s: ELF has no loadable segments", L->path);
        goto out;
    }
    /* A kernel linked to run high (p_vaddr != p_paddr) may give a virtual
     * e_entry; paging is off at entry, so translate it through the segment
     * that holds it, as GRUB does. */
    *entry = eh->e_entry;
    for (size_t i = 0; i < nph; i++) {
        Elf32_Phdr one;
        if (!phdr_at(e, i, &one))
            break;
        const Elf32_Phdr *s = &one;
        if (s->p_type == PT_LOAD && s->p_vaddr != s->p_paddr &&
            eh->e_entry - s->p_vaddr < s->p_memsz) {
            *entry = eh->e_entry - s->p_vaddr + s->p_paddr;
            break;
        }
    }
    /* an entry outside what was loaded would run whatever RAM holds there */
    bool inside = false;
    for (size_t i = 0; i < nph && !inside; i++) {
        Elf32_Phdr one;
        if (!phdr_at(e, i, &one))
            break;
        inside = one.p_type == PT_LOAD && *entry - one.p_paddr < one.p_memsz;
    }
    if (!inside) {
        snprintf(L->err, L->errlen, "%s: entry point 0x%x (e_entry 0x%x) is outside the loaded segments",
                 L->path, *entry, eh->e_entry);
        goto out;
    }
    rc = 0;
out:
    elf_end(e);
    return rc;
}

/* Flag 16: the header's address fields say where the image goes (§3.1.3). */
static int load_kludge(struct mb_load *L, const uint8_t *img, size_t len, uint32_t off, uint32_t *entry)
{
    if (off + 32 > len) {
        snprintf(L->err, L->errlen, "%s: truncated: the multiboot header's address fields end past the file", L->path);
        return -1;
    }
    uint32_t header_addr = rd32(img + off + 12), load_addr = rd32(img + off + 16);
    uint32_t load_end = rd32(img + off + 20), bss_end = rd32(img + off + 24);
    if (header_addr < load_addr || header_addr - load_addr > off) {
        snprintf(L->err, L->errlen, "%s: multiboot load_addr 0x%x does not fit header_addr 0x%x at file offset 0x%x",
                 L->path, load_addr, header_addr, off);
        return -1;
    }
    uint32_t file_off = off - (header_addr - load_addr);
    uint64_t load_len;
    if (load_end == 0) {
        load_len = len - file_off;
    } else {
        if (load_end < load_addr) {
            snprintf(L->err, L->errlen, "%s: multiboot load_end_addr 0x%x is below load_addr 0x%x",
                     L->path, load_end, load_addr);
            return -1;
        }
        load_len = load_end - load_addr;
        if (file_off + load_len > len) {
            snprintf(L->err, L->errlen, "%s: truncated: load_end_addr needs file bytes up to 0x%llx, the file has 0x%zx",
                     L->path, (unsigned long long)(file_off + load_len), len);
            return -1;
        }
    }
    uint64_t mem_len = load_len;
    if (bss_end) {
        if (bss_end < load_addr + load_len) {
            snprintf(L->err, L->errlen, "%s: multiboot bss_end_addr 0x%x is below the loaded image's end 0x%llx",
                     L->path, bss_end, (unsigned long long)(load_addr + load_len));
            return -1;
        }
        mem_len = bss_end - load_addr;
    }
    if (claim(L, load_addr, mem_len, "image") < 0 ||
        place(L, load_addr, img + file_off, (uint32_t)load_len, (uint32_t)mem_len) < 0)
        return -1;
    *entry = rd32(img + off + 28);
    if (*entry - load_addr >= mem_len) {
        snprintf(L->err, L->errlen, "%s: multiboot entry_addr 0x%x is outside the loaded image (0x%x-0x%llx)",
                 L->path, *entry, load_addr, (unsigned long long)load_addr + mem_len);
        return -1;
    }
    return 0;
}

/* Bump allocation in the boot-data arena. */
static int arena_put(struct mb_load *L, const void *data, uint32_t len, uint32_t align,
                     uint32_t *at, const char *what)
{
    uint32_t a = (L->arena + align - 1) & ~(align - 1);
    if ((uint64_t)a + len > BOOT_MB_ARENA_END) {
        snprintf(L->err, L->errlen, "%s: %s too long for the boot information area", L->path, what);
        return -1;
    }
    if (phys_load(L->p, a, data, len) < 0) {
        snprintf(L->err, L->errlen, "%s: boot information area is not RAM", L->path);
        return -1;
    }
    L->arena = a + len;
    *at = a;
    return 0;
}

static void wr32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

/* Modules: "FILE [ARGS],FILE [ARGS]"; each string is the whole entry,
 * as GRUB and QEMU pass it. Page-aligned after the kernel. */
static int load_modules(struct mb_load *L, const char *spec, uint8_t *mods, unsigned *count)
{
    *count = 0;
    if (!spec)
        return 0;
    uint32_t next = (L->kernel_end + 0xFFFu) & ~0xFFFu;
    if (next < BOOT_MB_ARENA_END)
        next = BOOT_MB_ARENA_END;   /* never over the boot data */
    const char *s = spec;
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t elen = comma ? (size_t)(comma - s) : strlen(s);
        char entry[4096];
        if (elen == 0 || elen >= sizeof entry) {
            snprintf(L->err, L->errlen, "-initrd %s: %s module entry", spec, elen ? "overlong" : "empty");
            return -1;
        }
        if (*count == MAX_MODULES) {
            snprintf(L->err, L->errlen, "-initrd: more than %d modules", MAX_MODULES);
            return -1;
        }
        memcpy(entry, s, elen);
        entry[elen] = '\0';
        char file[4096];
        size_t flen = strcspn(entry, " ");
        memcpy(file, entry, flen);
        file[flen] = '\0';

        char what[64];
        snprintf(what, sizeof what, "the guest's %u MiB of RAM", L->ram >> 20);
        uint8_t *data;
        size_t len;
        if (boot_read_file(file, L->ram, what, &data, &len, L->err, L->errlen) < 0)
            return -1;
        int rc = 0;
        if ((uint64_t)next + len > L->ram) {
            snprintf(L->err, L->errlen, "%s: %zu bytes at 0x%x do not fit in the guest's %u MiB of RAM",
                     file, len, next, L->ram >> 20);
            rc = -1;
        } else if (phys_load(L->p, next, data, (uint32_t)len) < 0) {
            snprintf(L->err, L->errlen, "%s: cannot load at 0x%x: not RAM", file, next);
            rc = -1;
        }
        free(data);
        uint32_t str;
        if (rc < 0 || arena_put(L, entry, (uint32_t)elen + 1, 1, &str, "module string") < 0)
            return -1;
        uint8_t *m = mods + 16 * *count;
        wr32(m, next);
        wr32(m + 4, next + (uint32_t)len);
        wr32(m + 8, str);
        wr32(m + 12, 0);
        (*count)++;
        next = (uint32_t)((next + len + 0xFFFu) & ~0xFFFull);
        s += elen;
        if (*s == ',')
            s++;
    }
    return 0;
}

int load_multiboot(struct phys *p, const char *path, const uint8_t *img, size_t len,
                   const char *modules, const char *cmdline,
                   struct boot_state *bs, char *err, size_t errlen)
{
    uint32_t off;
    if (!multiboot_find_header(img, len, &off)) {
        if (len < 4 || memcmp(img, "\177ELF", 4) != 0) {
            snprintf(err, errlen, "%s: not an ELF file", path);
            return -1;
        }
        return no_header(img, len, path, err, errlen);
    }
    uint32_t flags = rd32(img + off + 4);
    if (flags & 0xFFFFu & ~MB_KNOWN_REQUIRED) {
        snprintf(err, errlen, "%s: multiboot header requires features pagoda does not know (flags 0x%x)",
                 path, flags);
        return -1;
    }
    struct mb_load L = { .p = p, .path = path, .err = err, .errlen = errlen,
                         .ram = phys_ram_size(p), .arena = BOOT_MB_ARENA };
    memset(bs, 0, sizeof *bs);
    uint32_t entry;
    int r = (flags & MB_FLAG_AOUT_KLUDGE) ? load_kludge(&L, img, len, off, &entry)
                                          : load_elf(&L, img, len, &entry);
    if (r < 0)
        return -1;

    uint8_t mbi[MBI_SIZE] = { 0 };
    uint8_t mods[16 * MAX_MODULES];
    unsigned nmods;
    uint32_t mbi_at, at;
    /* the info structure first, so that its address is fixed (BOOT_MB_ARENA) */
    if (arena_put(&L, mbi, sizeof mbi, 8, &mbi_at, "info") < 0 ||
        load_modules(&L, modules, mods, &nmods) < 0)
        return -1;

    uint32_t ram = L.ram;
    uint32_t fl = MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER;
    wr32(mbi + 0, fl);
    wr32(mbi + 4, (ram < 0x9FC00u ? ram : 0x9FC00u) / 1024);              /* mem_lower, KiB */
    wr32(mbi + 8, ram > 0x100000u ? (ram - 0x100000u) / 1024 : 0);       /* mem_upper, KiB */

    /* "kernel-file args", as GRUB and QEMU pass it */
    size_t clen = strlen(path) + 1 + (cmdline ? strlen(cmdline) : 0) + 1;
    char *cl = malloc(clen);
    if (!cl) {
        snprintf(err, errlen, "%s: out of host memory", path);
        return -1;
    }
    snprintf(cl, clen, "%s%s%s", path, cmdline && *cmdline ? " " : "", cmdline ? cmdline : "");
    r = arena_put(&L, cl, (uint32_t)strlen(cl) + 1, 1, &at, "command line");
    free(cl);
    if (r < 0)
        return -1;
    wr32(mbi + 16, at);

    if (nmods) {
        if (arena_put(&L, mods, 16 * nmods, 4, &at, "module list") < 0)
            return -1;
        wr32(mbi + 20, nmods);
        wr32(mbi + 24, at);
    }

    /* §3.3 memory map: size precedes each entry and does not count itself */
    struct e820_entry e[E820_MAX];
    unsigned n = e820_build(ram, e);
    uint8_t mmap[24 * E820_MAX];
    for (unsigned i = 0; i < n; i++) {
        uint8_t *m = mmap + 24 * i;
        wr32(m, 20);
        wr32(m + 4, (uint32_t)e[i].addr);
        wr32(m + 8, (uint32_t)(e[i].addr >> 32));
        wr32(m + 12, (uint32_t)e[i].size);
        wr32(m + 16, (uint32_t)(e[i].size >> 32));
        wr32(m + 20, e[i].type);
    }
    if (arena_put(&L, mmap, 24 * n, 4, &at, "memory map") < 0)
        return -1;
    wr32(mbi + 44, 24 * n);
    wr32(mbi + 48, at);

    static const char loader[] = "pagoda";
    if (arena_put(&L, loader, sizeof loader, 1, &at, "loader name") < 0)
        return -1;
    wr32(mbi + 64, at);
    phys_load(p, mbi_at, mbi, sizeof mbi);

    if (boot_flat_gdt(p, bs) < 0) {
        snprintf(err, errlen, "%s: the guest has no RAM at 0x%x for the boot GDT", path, BOOT_GDT_ADDR);
        return -1;
    }
    bs->reg[0] = MB_BOOT_MAGIC;   /* EAX */
    bs->reg[3] = mbi_at;          /* EBX */
    bs->eip = entry;
    bs->kind = "multiboot";
    return 0;
}
