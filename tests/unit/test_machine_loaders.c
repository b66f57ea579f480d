/* The loaders on crafted images: where bytes land in guest RAM, the boot
 * state they ask for (registers, flat segments), the multiboot info and
 * Linux boot_params they build, and the exact one-line errors for malformed
 * input. No CPU involved: loaders write phys and a struct boot_state. */
#include <check.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine/boot.h"
#include "machine/options.h"
#include "mmu/phys.h"

#define MB_MAGIC 0x1BADB002u

struct fixture {
    char dir[64];
    char path[128];
    char err[512];
    struct phys *p;
    struct boot_state bs;
    struct machine_config cfg;
};

static struct fixture fx;

static void setup(void)
{
    memset(&fx, 0, sizeof fx);
    strcpy(fx.dir, "/tmp/pagoda-loaders-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fx.dir));
    options_defaults(&fx.cfg);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx.dir);
    ck_assert_int_eq(system(cmd), 0);
    phys_destroy(fx.p);
    fx.p = NULL;
}

static const char *write_file(const char *name, const void *data, size_t len)
{
    snprintf(fx.path, sizeof fx.path, "%s/%s", fx.dir, name);
    FILE *f = fopen(fx.path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    return fx.path;
}

static struct phys *mkphys(uint64_t mib)
{
    char e[128];
    fx.p = phys_create(mib << 20, e, sizeof e);
    ck_assert_ptr_nonnull(fx.p);
    return fx.p;
}

static uint32_t rd32(uint32_t pa) { return phys_read(fx.p, pa, 4); }

static void rdstr(uint32_t pa, char *out, size_t n)
{
    size_t i = 0;
    for (; i + 1 < n; i++) {
        out[i] = (char)phys_read(fx.p, pa + i, 1);
        if (!out[i])
            break;
    }
    out[i] = '\0';
}

/* Boot a config through boot_load (content-based loader choice). */
static int boot(const char *kernel)
{
    if (!fx.p)
        mkphys(128);
    fx.err[0] = '\0';
    return boot_load(fx.p, &fx.cfg, kernel, &fx.bs, fx.err, sizeof fx.err);
}

/* ---- a crafted multiboot ELF ---- */

struct seg_spec {
    uint32_t paddr, filesz, memsz;
    uint8_t fill;
};

#define ELF_MAX (64u << 10)

/* ELF header, program headers, then each segment's bytes at the next 4 KiB
 * of the file. A multiboot header goes at mb_off (if >= 0). */
static size_t build_elf(uint8_t *buf, const struct seg_spec *s, int n, uint32_t entry,
                        int mb_off, uint32_t mb_flags, uint32_t checksum_delta)
{
    memset(buf, 0, ELF_MAX);
    Elf32_Ehdr eh = { 0 };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_386;
    eh.e_version = EV_CURRENT;
    eh.e_entry = entry;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf32_Phdr);
    eh.e_phnum = (Elf32_Half)n;
    memcpy(buf, &eh, sizeof eh);
    size_t off = 0x1000, end = 0x1000;
    for (int i = 0; i < n; i++) {
        Elf32_Phdr ph = { .p_type = PT_LOAD, .p_offset = (Elf32_Off)off, .p_vaddr = s[i].paddr,
                          .p_paddr = s[i].paddr, .p_filesz = s[i].filesz, .p_memsz = s[i].memsz,
                          .p_flags = PF_R | PF_W | PF_X, .p_align = 0x1000 };
        memcpy(buf + sizeof eh + i * sizeof ph, &ph, sizeof ph);
        memset(buf + off, s[i].fill, s[i].filesz);
        end = off + s[i].filesz;
        off = (end + 0xFFF) & ~(size_t)0xFFF;
    }
    if (mb_off >= 0) {
        uint32_t h[3] = { MB_MAGIC, mb_flags, -(MB_MAGIC + mb_flags) + checksum_delta };
        memcpy(buf + mb_off, h, sizeof h);
        if ((size_t)mb_off + 12 > end)
            end = (size_t)mb_off + 12;
    }
    return end;
}

static uint8_t elfbuf[ELF_MAX];

static const char *simple_kernel(const char *name)
{
    struct seg_spec s[] = { { 0x100000, 0x2000, 0x3000, 0x90 }, { 0x104000, 0x100, 0x100, 0xC3 } };
    size_t n = build_elf(elfbuf, s, 2, 0x100010, 0x200, 0x3, 0);
    return write_file(name, elfbuf, n);
}

START_TEST(multiboot_elf_segments_land_at_paddr_and_bss_is_zeroed)
{
    mkphys(128);
    uint8_t junk[0x1000];
    memset(junk, 0xAA, sizeof junk);
    phys_load(fx.p, 0x102000, junk, sizeof junk);   /* stale bytes where the bss goes */
    ck_assert_int_eq(boot(simple_kernel("k.elf")), 0);
    ck_assert_uint_eq(phys_read(fx.p, 0x100000, 1), 0x90);
    ck_assert_uint_eq(phys_read(fx.p, 0x101FFF, 1), 0x90);
    ck_assert_uint_eq(rd32(0x102000), 0);
    ck_assert_uint_eq(rd32(0x102FFC), 0);
    ck_assert_uint_eq(phys_read(fx.p, 0x104000, 1), 0xC3);
    ck_assert_str_eq(fx.bs.kind, "multiboot");
}
END_TEST

START_TEST(multiboot_entry_state_is_magic_info_and_flat_protected_mode)
{
    ck_assert_int_eq(boot(simple_kernel("k.elf")), 0);
    ck_assert(!fx.bs.reset_vector);
    ck_assert_uint_eq(fx.bs.reg[0], 0x2BADB002u);        /* EAX */
    ck_assert_uint_eq(fx.bs.reg[3], BOOT_MB_ARENA);      /* EBX = info */
    ck_assert_uint_eq(fx.bs.eip, 0x100010);
    ck_assert_uint_eq(fx.bs.eflags & (1u << 9), 0);      /* IF = 0 */
    ck_assert_uint_eq(fx.bs.cr0_set, 1);                 /* PE, not PG */
    ck_assert_uint_eq(fx.bs.cs.sel, 0x10);
    ck_assert_uint_eq(fx.bs.cs.base, 0);
    ck_assert_uint_eq(fx.bs.cs.limit, 0xFFFFFFFFu);
    ck_assert_uint_eq(fx.bs.cs.flags, 0xC09B);
    ck_assert_uint_eq(fx.bs.ds.sel, 0x18);
    ck_assert_uint_eq(fx.bs.ds.flags, 0xC093);
    ck_assert_uint_eq(fx.bs.gdt_base, BOOT_GDT_ADDR);
    ck_assert_uint_eq(fx.bs.gdt_limit, 31);
    /* the GDT in RAM says the same as the caches */
    ck_assert_uint_eq(rd32(BOOT_GDT_ADDR + 0x10), 0x0000FFFF);
    ck_assert_uint_eq(rd32(BOOT_GDT_ADDR + 0x14), 0x00CF9B00);
    ck_assert_uint_eq(rd32(BOOT_GDT_ADDR + 0x1C), 0x00CF9300);
}
END_TEST

START_TEST(multiboot_info_has_memory_cmdline_loader_name_and_full_map)
{
    fx.cfg.append = "console=ttyS0 quiet";
    const char *k = simple_kernel("k.elf");
    char kpath[128];
    strcpy(kpath, k);
    ck_assert_int_eq(boot(kpath), 0);
    uint32_t mbi = fx.bs.reg[3];
    uint32_t fl = rd32(mbi);
    ck_assert_uint_eq(fl & 0x24D, 0x24D);              /* MEM, CMDLINE, MODS, MMAP, LOADER */
    ck_assert_uint_eq(rd32(mbi + 4), 639);
    ck_assert_uint_eq(rd32(mbi + 8), (128u << 10) - 1024);
    char s[256], want[256];
    rdstr(rd32(mbi + 16), s, sizeof s);
    snprintf(want, sizeof want, "%s console=ttyS0 quiet", kpath);
    ck_assert_str_eq(s, want);
    rdstr(rd32(mbi + 64), s, sizeof s);
    ck_assert_str_eq(s, "pagoda");
    ck_assert_uint_eq(rd32(mbi + 20), 0);              /* no modules */

    uint32_t len = rd32(mbi + 44), at = rd32(mbi + 48);
    ck_assert_uint_eq(len, 6 * 24);
    /* SeaBIOS's map under QEMU: the last 128 KiB of RAM and the flash reserved */
    const uint32_t want_map[6][3] = {
        { 0, 0x9FC00, 1 }, { 0x9FC00, 0x400, 2 }, { 0xF0000, 0x10000, 2 },
        { 0x100000, (128u << 20) - 0x100000 - 0x20000, 1 }, { (128u << 20) - 0x20000, 0x20000, 2 },
        { 0xFFFC0000u, 0x40000, 2 } };
    for (uint32_t i = 0, e = at; e < at + len; i++, e += rd32(e) + 4) {
        ck_assert_uint_eq(rd32(e), 20);
        ck_assert_uint_eq(rd32(e + 4), want_map[i][0]);
        ck_assert_uint_eq(rd32(e + 8), 0);
        ck_assert_uint_eq(rd32(e + 12), want_map[i][1]);
        ck_assert_uint_eq(rd32(e + 20), want_map[i][2]);
    }
}
END_TEST

START_TEST(a_higher_half_entry_is_translated_to_its_physical_address)
{
    struct seg_spec s[] = { { 0x100000, 0x100, 0x100, 0x90 } };
    size_t n = build_elf(elfbuf, s, 1, 0xC0100010u, 0x200, 0, 0);
    Elf32_Phdr ph;
    memcpy(&ph, elfbuf + sizeof(Elf32_Ehdr), sizeof ph);
    ph.p_vaddr = 0xC0100000u;             /* linked at 3 GiB, loaded at 1 MiB */
    memcpy(elfbuf + sizeof(Elf32_Ehdr), &ph, sizeof ph);
    ck_assert_int_eq(boot(write_file("high.elf", elfbuf, n)), 0);
    ck_assert_uint_eq(fx.bs.eip, 0x100010);
    ck_assert_uint_eq(phys_read(fx.p, 0x100000, 1), 0x90);
}
END_TEST

START_TEST(multiboot_modules_are_page_aligned_after_the_kernel_with_their_strings)
{
    char m1[128], m2[128], k[128], spec[512];
    uint8_t a[5000], b[10];
    memset(a, 0x11, sizeof a);
    memset(b, 0x22, sizeof b);
    strcpy(m1, write_file("one.bin", a, sizeof a));
    strcpy(m2, write_file("two.bin", b, sizeof b));
    strcpy(k, simple_kernel("k.elf"));
    snprintf(spec, sizeof spec, "%s arg1 arg2,%s", m1, m2);
    fx.cfg.initrd = spec;
    ck_assert_int_eq(boot(k), 0);
    uint32_t mbi = fx.bs.reg[3];
    ck_assert_uint_eq(rd32(mbi + 20), 2);
    uint32_t mods = rd32(mbi + 24);
    /* the kernel ends at 0x104100: modules start on the next page */
    ck_assert_uint_eq(rd32(mods), 0x105000);
    ck_assert_uint_eq(rd32(mods + 4), 0x105000 + 5000);
    ck_assert_uint_eq(rd32(mods + 16), 0x107000);
    ck_assert_uint_eq(rd32(mods + 20), 0x107000 + 10);
    ck_assert_uint_eq(phys_read(fx.p, 0x105000 + 4999, 1), 0x11);
    ck_assert_uint_eq(phys_read(fx.p, 0x107009, 1), 0x22);
    char s[256], want[256];
    rdstr(rd32(mods + 8), s, sizeof s);
    snprintf(want, sizeof want, "%s arg1 arg2", m1);
    ck_assert_str_eq(s, want);
    rdstr(rd32(mods + 24), s, sizeof s);
    ck_assert_str_eq(s, m2);
}
END_TEST

START_TEST(multiboot_address_fields_load_a_raw_image_with_bss)
{
    /* flag 16: header at file offset 0x40, image loaded at 0x200000 */
    uint8_t img[0x400];
    memset(img, 0x5A, sizeof img);
    uint32_t h[8] = { MB_MAGIC, 0x10002, -(MB_MAGIC + 0x10002),
                      0x200040, 0x200000, 0x200300, 0x201000, 0x200080 };
    memcpy(img + 0x40, h, sizeof h);
    mkphys(16);
    uint8_t junk[0x100];
    memset(junk, 0xEE, sizeof junk);
    phys_load(fx.p, 0x200300, junk, sizeof junk);
    ck_assert_int_eq(boot(write_file("raw.bin", img, sizeof img)), 0);
    ck_assert_uint_eq(rd32(0x200040), MB_MAGIC);
    ck_assert_uint_eq(phys_read(fx.p, 0x2002FF, 1), 0x5A);
    ck_assert_uint_eq(phys_read(fx.p, 0x200300, 1), 0);    /* past load_end: bss */
    ck_assert_uint_eq(fx.bs.eip, 0x200080);
    ck_assert_uint_eq(rd32(fx.bs.reg[3] + 8), (16u << 10) - 1024);
}
END_TEST

/* ---- malformed multiboot input: the exact message ---- */

static void expect_error(const char *kernel, const char *fmt_suffix)
{
    char want[512];
    snprintf(want, sizeof want, "%s: %s", kernel, fmt_suffix);
    ck_assert_int_eq(boot(kernel), -1);
    ck_assert_str_eq(fx.err, want);
    ck_assert_ptr_null(strchr(fx.err, '\n'));
}

START_TEST(a_file_that_is_no_kernel_is_refused)
{
    uint8_t junk[4096];
    memset(junk, 0x42, sizeof junk);
    expect_error(write_file("junk.bin", junk, sizeof junk),
                 "not an ELF file, a multiboot image or a Linux bzImage");
}
END_TEST

START_TEST(an_elf_without_multiboot_header_is_refused)
{
    struct seg_spec s[] = { { 0x100000, 0x100, 0x100, 0x90 } };
    size_t n = build_elf(elfbuf, s, 1, 0x100000, -1, 0, 0);
    expect_error(write_file("nomb.elf", elfbuf, n), "no multiboot header in the first 8 KiB");
}
END_TEST

START_TEST(a_multiboot_header_past_8k_is_not_found)
{
    struct seg_spec s[] = { { 0x100000, 0x2000, 0x2000, 0x90 } };
    size_t n = build_elf(elfbuf, s, 1, 0x100000, 0x2400, 0, 0);
    expect_error(write_file("late.elf", elfbuf, n), "no multiboot header in the first 8 KiB");
}
END_TEST

START_TEST(a_multiboot_header_with_bad_checksum_is_named)
{
    struct seg_spec s[] = { { 0x100000, 0x100, 0x100, 0x90 } };
    size_t n = build_elf(elfbuf, s, 1, 0x100000, 0x204, 0, 1);
    expect_error(write_file("sum.elf", elfbuf, n), "multiboot header at offset 0x204 has a bad checksum");
}
END_TEST

START_TEST(unknown_required_multiboot_flags_are_refused)
{
    struct seg_spec s[] = { { 0x100000, 0x100, 0x100, 0x90 } };
    size_t n = build_elf(elfbuf, s, 1, 0x100000, 0x200, 0x8, 0);
    expect_error(write_file("flags.elf", elfbuf, n),
                 "multiboot header requires features pagoda does not know (flags 0x8)");
}
END_TEST

START_TEST(overlapping_segments_are_refused)
{
    struct seg_spec s[] = { { 0x100000, 0x1000, 0x2000, 0x90 }, { 0x101800, 0x100, 0x100, 0x90 } };
    size_t n = build_elf(elfbuf, s, 2, 0x100000, 0x200, 0, 0);
    expect_error(write_file("ovl.elf", elfbuf, n), "segment 1 overlaps an earlier segment at 0x101800");
}
END_TEST

START_TEST(a_segment_beyond_ram_is_refused)
{
    mkphys(2);
    struct seg_spec s[] = { { 0x100000, 0x100, 0x200000, 0x90 } };
    size_t n = build_elf(elfbuf, s, 1, 0x100000, 0x200, 0, 0);
    expect_error(write_file("big.elf", elfbuf, n),
                 "segment 0 (0x100000-0x300000) does not fit in the guest's 2 MiB of RAM");
}
END_TEST

START_TEST(a_segment_over_the_boot_data_is_refused)
{
    struct seg_spec s[] = { { 0x8000, 0x100, 0x100, 0x90 } };
    size_t n = build_elf(elfbuf, s, 1, 0x8000, 0x200, 0, 0);
    expect_error(write_file("low.elf", elfbuf, n),
                 "segment 0 (0x8000-0x8100) overlaps the loader's boot data at 0x1000-0x9f000");
}
END_TEST

START_TEST(an_elf_cut_inside_a_segment_is_truncated)
{
    struct seg_spec s[] = { { 0x100000, 0x800, 0x800, 0x90 } };
    build_elf(elfbuf, s, 1, 0x100000, 0x200, 0, 0);
    expect_error(write_file("cut.elf", elfbuf, 0x1400),
                 "truncated: segment 0 needs file bytes up to 0x1800, the file has 0x1400");
}
END_TEST

START_TEST(an_elf_cut_inside_its_program_headers_is_refused)
{
    struct seg_spec s[] = { { 0x100000, 0x800, 0x800, 0x90 } };
    build_elf(elfbuf, s, 1, 0x100000, 0x2F0, 0, 0);
    elfbuf[44] = 40;   /* e_phnum: the table would end at byte 1332 */
    const char *k = write_file("phdr.elf", elfbuf, 0x300);
    ck_assert_int_eq(boot(k), -1);
    ck_assert_msg(strstr(fx.err, "truncated or corrupt ELF program headers"), "%s", fx.err);
}
END_TEST

START_TEST(a_64bit_elf_is_refused)
{
    struct seg_spec s[] = { { 0x100000, 0x100, 0x100, 0x90 } };
    size_t n = build_elf(elfbuf, s, 1, 0x100000, 0x200, 0, 0);
    elfbuf[EI_CLASS] = ELFCLASS64;
    expect_error(write_file("k64.elf", elfbuf, n),
                 "not a 32-bit ELF (multiboot v1 loads i386 ELF32 kernels)");
}
END_TEST

START_TEST(empty_and_missing_files_are_named)
{
    expect_error(write_file("empty.elf", "", 0), "empty file");
    char missing[160];
    snprintf(missing, sizeof missing, "%s/nope.elf", fx.dir);
    expect_error(missing, "No such file or directory");
    expect_error(fx.dir, "is a directory");
}
END_TEST

START_TEST(an_image_larger_than_ram_is_refused)
{
    mkphys(1);
    static uint8_t big[(1u << 20) + 1];
    expect_error(write_file("huge.bin", big, sizeof big),
                 "1048577 bytes is larger than the guest's 1 MiB of RAM");
}
END_TEST

START_TEST(a_missing_module_is_named)
{
    char k[128], spec[160];
    strcpy(k, simple_kernel("k.elf"));
    snprintf(spec, sizeof spec, "%s/gone.mod some args", fx.dir);
    fx.cfg.initrd = spec;
    ck_assert_int_eq(boot(k), -1);
    char want[256];
    snprintf(want, sizeof want, "%s/gone.mod: No such file or directory", fx.dir);
    ck_assert_str_eq(fx.err, want);
}
END_TEST

/* ---- Linux bzImage ---- */

#define BZ_SETUP_SECTS 2
#define BZ_PROT (3 * 512)
#define BZ_KERNEL 8192

static uint8_t bzbuf[BZ_PROT + BZ_KERNEL];

static void put16(uint8_t *b, uint32_t off, uint16_t v) { memcpy(b + off, &v, 2); }
static void put32(uint8_t *b, uint32_t off, uint32_t v) { memcpy(b + off, &v, 4); }

static size_t build_bzimage(uint16_t version)
{
    memset(bzbuf, 0, sizeof bzbuf);
    bzbuf[0x1EF] = 0xFF;                /* the sentinel a loader must not copy */
    bzbuf[0x1F0] = 0xFF;
    bzbuf[0x1F1] = BZ_SETUP_SECTS;
    put32(bzbuf, 0x1F4, BZ_KERNEL / 16);
    put16(bzbuf, 0x1FE, 0xAA55);
    bzbuf[0x200] = 0xEB;
    bzbuf[0x201] = 0x6A;                /* header ends at 0x26C */
    memcpy(bzbuf + 0x202, "HdrS", 4);
    put16(bzbuf, 0x206, version);
    bzbuf[0x211] = 0x01 | 0x80;         /* LOADED_HIGH | CAN_USE_HEAP */
    put32(bzbuf, 0x214, 0x100000);      /* code32_start */
    put32(bzbuf, 0x22C, 0x7FFFFFFF);    /* initrd_addr_max */
    put32(bzbuf, 0x230, 0x1000000);     /* kernel_alignment */
    put32(bzbuf, 0x238, 2048);          /* cmdline_size */
    put32(bzbuf, 0x258, 0x1000000);     /* pref_address */
    put32(bzbuf, 0x260, 0x800000);      /* init_size */
    for (int i = 0; i < BZ_KERNEL; i++)
        bzbuf[BZ_PROT + i] = (uint8_t)(i * 7);
    return sizeof bzbuf;
}

START_TEST(bzimage_loads_kernel_high_and_enters_with_esi_boot_params)
{
    mkphys(64);
    ck_assert_int_eq(boot(write_file("bz", bzbuf, build_bzimage(0x020F))), 0);
    ck_assert_str_eq(fx.bs.kind, "linux");
    ck_assert_uint_eq(phys_read(fx.p, 0x100000 + 1, 1), 7);
    ck_assert_uint_eq(phys_read(fx.p, 0x100000 + BZ_KERNEL - 1, 1), (uint8_t)((BZ_KERNEL - 1) * 7));
    ck_assert_uint_eq(fx.bs.eip, 0x100000);
    ck_assert_uint_eq(fx.bs.reg[6], BOOT_LINUX_PARAMS);   /* ESI */
    ck_assert_uint_eq(fx.bs.reg[3] | fx.bs.reg[5] | fx.bs.reg[7], 0);  /* EBX EBP EDI */
    ck_assert_uint_eq(fx.bs.cs.sel, 0x10);
    ck_assert_uint_eq(fx.bs.ds.sel, 0x18);
    ck_assert_uint_eq(fx.bs.eflags & (1u << 9), 0);
    ck_assert_uint_eq(fx.bs.cr0_set, 1);
}
END_TEST

START_TEST(bzimage_boot_params_hold_header_cmdline_e820_and_no_sentinel)
{
    mkphys(64);
    fx.cfg.append = "console=ttyS0 rdinit=/bin/sh";
    ck_assert_int_eq(boot(write_file("bz", bzbuf, build_bzimage(0x020F))), 0);
    uint32_t bp = BOOT_LINUX_PARAMS;
    ck_assert_uint_eq(rd32(bp + 0x202), 0x53726448);       /* HdrS copied */
    ck_assert_uint_eq(phys_read(fx.p, bp + 0x206, 2), 0x020F);
    ck_assert_uint_eq(phys_read(fx.p, bp + 0x1EF, 2), 0);  /* sentinel left zero */
    ck_assert_uint_eq(phys_read(fx.p, bp + 0x210, 1), 0xFF);
    ck_assert_uint_eq(phys_read(fx.p, bp + 0x211, 1), 0x01);  /* heap flag cleared */
    ck_assert_uint_eq(phys_read(fx.p, bp + 0x1FA, 2), 0xFFFF);
    ck_assert_uint_eq(rd32(bp + 0x228), BOOT_LINUX_CMDLINE);
    char s[256];
    rdstr(BOOT_LINUX_CMDLINE, s, sizeof s);
    ck_assert_str_eq(s, "console=ttyS0 rdinit=/bin/sh");
    ck_assert_uint_eq(rd32(bp + 0x218), 0);                /* no initrd */
    ck_assert_uint_eq(phys_read(fx.p, bp + 0x1E8, 1), 6);  /* e820_entries */
    const uint32_t want[6][3] = { { 0, 0x9FC00, 1 }, { 0x9FC00, 0x400, 2 }, { 0xF0000, 0x10000, 2 },
                                  { 0x100000, (64u << 20) - 0x100000 - 0x20000, 1 },
                                  { (64u << 20) - 0x20000, 0x20000, 2 }, { 0xFFFC0000u, 0x40000, 2 } };
    for (int i = 0; i < 6; i++) {
        uint32_t e = bp + 0x2D0 + 20 * i;
        ck_assert_uint_eq(rd32(e), want[i][0]);
        ck_assert_uint_eq(rd32(e + 4), 0);
        ck_assert_uint_eq(rd32(e + 8), want[i][1]);
        ck_assert_uint_eq(rd32(e + 16), want[i][2]);
    }
}
END_TEST

START_TEST(bzimage_initrd_goes_page_aligned_to_the_top_of_ram)
{
    mkphys(64);
    static uint8_t rd[10000];
    memset(rd, 0x77, sizeof rd);
    char initrd[128];
    strcpy(initrd, write_file("initrd.img", rd, sizeof rd));
    fx.cfg.initrd = initrd;
    ck_assert_int_eq(boot(write_file("bz", bzbuf, build_bzimage(0x020F))), 0);
    uint32_t at = rd32(BOOT_LINUX_PARAMS + 0x218);
    ck_assert_uint_eq(at, ((64u << 20) - 0x20000 - 10000) & ~0xFFFu);   /* below the reserved 128 KiB */
    ck_assert_uint_eq(rd32(BOOT_LINUX_PARAMS + 0x21C), 10000);
    ck_assert_uint_eq(phys_read(fx.p, at, 1), 0x77);
    ck_assert_uint_eq(phys_read(fx.p, at + 9999, 1), 0x77);
}
END_TEST

START_TEST(bzimage_initrd_respects_initrd_addr_max)
{
    mkphys(64);
    build_bzimage(0x020F);
    put32(bzbuf, 0x22C, 0x01FFFFFF);    /* 32 MiB */
    uint8_t rd[100] = { 1 };
    char initrd[128];
    strcpy(initrd, write_file("initrd.img", rd, sizeof rd));
    fx.cfg.initrd = initrd;
    ck_assert_int_eq(boot(write_file("bz", bzbuf, sizeof bzbuf)), 0);
    ck_assert_uint_eq(rd32(BOOT_LINUX_PARAMS + 0x218), 0x2000000 - 0x1000);
}
END_TEST

START_TEST(a_boot_sector_without_hdrs_is_a_bad_bzimage_magic)
{
    build_bzimage(0x020F);
    memcpy(bzbuf + 0x202, "HdrZ", 4);
    expect_error(write_file("bz", bzbuf, sizeof bzbuf), "bad bzImage magic: no \"HdrS\" at offset 0x202");
}
END_TEST

START_TEST(an_old_boot_protocol_is_refused)
{
    expect_error(write_file("bz", bzbuf, build_bzimage(0x0201)),
                 "Linux boot protocol 2.01 is too old (the 32-bit entry needs 2.02 or later)");
}
END_TEST

START_TEST(a_zimage_is_refused)
{
    build_bzimage(0x020F);
    bzbuf[0x211] = 0;
    expect_error(write_file("bz", bzbuf, sizeof bzbuf),
                 "a zImage (LOADED_HIGH clear); only bzImages are supported");
}
END_TEST

START_TEST(a_big_endian_elf_and_a_pref_address_past_4g_are_named)
{
    mkphys(64);
    struct seg_spec seg[] = { { 0x100000, 0x100, 0x100, 0x90 } };
    size_t n = build_elf(elfbuf, seg, 1, 0x100000u, 0x200, 0, 0);
    elfbuf[EI_DATA] = ELFDATA2MSB;
    expect_error(write_file("be.elf", elfbuf, n), "a big-endian ELF, not an i386 (little-endian) one");
    build_bzimage(0x020F);
    put32(bzbuf, 0x258, 0xFFFFF000u);   /* pref_address 0xfffffffffffff000: pref + init_size wraps */
    put32(bzbuf, 0x25C, 0xFFFFFFFFu);
    expect_error(write_file("pref.bz", bzbuf, sizeof bzbuf),
                 "pref_address 0xfffffffffffff000 is beyond the 4 GiB an i386 can address");
}
END_TEST

START_TEST(an_entry_point_outside_the_loaded_image_is_a_loader_error)
{
    mkphys(128);
    struct seg_spec seg[] = { { 0x100000, 0x100, 0x100, 0x90 } };
    size_t n = build_elf(elfbuf, seg, 1, 0x5000000u, 0x200, 0, 0);
    expect_error(write_file("far.elf", elfbuf, n),
                 "entry point 0x5000000 (e_entry 0x5000000) is outside the loaded segments");
    /* flag 16: entry_addr past bss_end_addr */
    uint8_t img[0x400];
    memset(img, 0x5A, sizeof img);
    uint32_t h[8] = { MB_MAGIC, 0x10002, -(MB_MAGIC + 0x10002),
                      0x200040, 0x200000, 0x200300, 0x201000, 0x7000000 };
    memcpy(img + 0x40, h, sizeof h);
    expect_error(write_file("far.bin", img, sizeof img),
                 "multiboot entry_addr 0x7000000 is outside the loaded image (0x200000-0x201000)");
    /* bzImage: code32_start anywhere but inside the kernel loaded at 1 MiB */
    build_bzimage(0x020F);
    put32(bzbuf, 0x214, 0xFFFFFFF0u);
    expect_error(write_file("far.bz", bzbuf, sizeof bzbuf),
                 "code32_start 0xfffffff0 is outside the loaded kernel (0x100000-0x102000)");
}
END_TEST

START_TEST(a_bzimage_cut_short_is_truncated)
{
    build_bzimage(0x020F);
    expect_error(write_file("bz", bzbuf, BZ_PROT + 4096),
                 "truncated: the header says 8192 bytes of kernel, the file has 4096");
    expect_error(write_file("bz2", bzbuf, 0x300), "truncated: 768 bytes end inside the 1536 bytes of setup code");
    expect_error(write_file("bz4", bzbuf, BZ_PROT), "truncated: the file ends with its 1536 bytes of setup "
                 "code; the protected-mode kernel that follows them is missing");
    expect_error(write_file("bz3", bzbuf, 0x240), "truncated: 576 bytes end inside the setup header");
}
END_TEST

START_TEST(a_bzimage_needing_more_ram_than_given_is_refused)
{
    mkphys(16);
    expect_error(write_file("bz", bzbuf, build_bzimage(0x020F)),
                 "the kernel decompresses up to 0x1800000, beyond the guest's 16 MiB of RAM (use a larger -m)");
}
END_TEST

START_TEST(an_initrd_that_does_not_fit_is_refused)
{
    mkphys(32);
    static uint8_t rd[9u << 20];
    char initrd[128];
    strcpy(initrd, write_file("initrd.img", rd, sizeof rd));
    fx.cfg.initrd = initrd;
    build_bzimage(0x020F);
    ck_assert_int_eq(boot(write_file("bz", bzbuf, sizeof bzbuf)), -1);
    char want[256];
    snprintf(want, sizeof want, "%s: 9437184 bytes do not fit between the kernel (ends at 0x1800000) "
             "and 0x1fe0000 in the guest's 32 MiB of RAM", initrd);
    ck_assert_str_eq(fx.err, want);
}
END_TEST

START_TEST(an_initrd_larger_than_ram_is_refused)
{
    mkphys(16);
    static uint8_t rd[(16u << 20) + 1];
    char initrd[128];
    strcpy(initrd, write_file("initrd.img", rd, sizeof rd));
    fx.cfg.initrd = initrd;
    build_bzimage(0x020A);
    put32(bzbuf, 0x260, 0);
    ck_assert_int_eq(boot(write_file("bz", bzbuf, sizeof bzbuf)), -1);
    char want[256];
    snprintf(want, sizeof want, "%s: 16777217 bytes is larger than the guest's 16 MiB of RAM", initrd);
    ck_assert_str_eq(fx.err, want);
}
END_TEST

START_TEST(a_command_line_longer_than_cmdline_size_is_refused)
{
    build_bzimage(0x020F);
    put32(bzbuf, 0x238, 8);
    fx.cfg.append = "console=ttyS0";
    const char *k = write_file("bz", bzbuf, sizeof bzbuf);
    ck_assert_int_eq(boot(k), -1);
    char want[256];
    snprintf(want, sizeof want, "-append: the command line is 13 bytes; %s accepts at most 8", k);
    ck_assert_str_eq(fx.err, want);
}
END_TEST

/* ---- raw ROM ---- */

START_TEST(a_64k_rom_appears_below_1m_and_below_4g)
{
    static uint8_t rom[64u << 10];
    for (size_t i = 0; i < sizeof rom; i++)
        rom[i] = (uint8_t)(i ^ (i >> 8));
    mkphys(16);
    fx.cfg.bios = write_file("bios.bin", rom, sizeof rom);
    ck_assert_int_eq(boot(NULL), 0);
    ck_assert(fx.bs.reset_vector);
    ck_assert_uint_eq(phys_read(fx.p, 0xFFFF0, 1), rom[0xFFF0]);
    ck_assert_uint_eq(phys_read(fx.p, 0xFFFFFFF0u, 4), phys_read(fx.p, 0xFFFF0, 4));
    /* the A20-masked alias the reset fetch uses while A20 is off */
    ck_assert_uint_eq(phys_read(fx.p, 0xFFEFFFF0u, 4), phys_read(fx.p, 0xFFFF0, 4));
    ck_assert_uint_eq(phys_read(fx.p, 0xF0000 + 0x1234, 1), rom[0x1234]);
    ck_assert_int_eq(phys_kind_at(fx.p, 0xEFFFF), PHYS_RAM);
}
END_TEST

START_TEST(a_128k_rom_starts_at_0xe0000)
{
    static uint8_t rom[128u << 10];
    rom[0] = 0x5A;
    rom[sizeof rom - 16] = 0xEA;
    mkphys(16);
    fx.cfg.bios = write_file("bios.bin", rom, sizeof rom);
    ck_assert_int_eq(boot(NULL), 0);
    ck_assert_uint_eq(phys_read(fx.p, 0xE0000, 1), 0x5A);
    ck_assert_uint_eq(phys_read(fx.p, 0xFFFE0000u, 1), 0x5A);
    ck_assert_uint_eq(phys_read(fx.p, 0xFFFFFFF0u, 1), 0xEA);
}
END_TEST

START_TEST(a_rom_of_the_wrong_size_is_refused)
{
    uint8_t rom[100] = { 0 };
    fx.cfg.bios = write_file("bios.bin", rom, sizeof rom);
    ck_assert_int_eq(boot(NULL), -1);
    char want[256];
    snprintf(want, sizeof want, "%s: 100 bytes, but a BIOS ROM must be exactly 65536 or 131072 bytes", fx.cfg.bios);
    ck_assert_str_eq(fx.err, want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("machine_loaders");
    TCase *mb = tcase_create("multiboot");
    tcase_add_checked_fixture(mb, setup, teardown);
    tcase_add_test(mb, multiboot_elf_segments_land_at_paddr_and_bss_is_zeroed);
    tcase_add_test(mb, multiboot_entry_state_is_magic_info_and_flat_protected_mode);
    tcase_add_test(mb, multiboot_info_has_memory_cmdline_loader_name_and_full_map);
    tcase_add_test(mb, multiboot_modules_are_page_aligned_after_the_kernel_with_their_strings);
    tcase_add_test(mb, a_higher_half_entry_is_translated_to_its_physical_address);
    tcase_add_test(mb, multiboot_address_fields_load_a_raw_image_with_bss);
    tcase_add_test(mb, a_file_that_is_no_kernel_is_refused);
    tcase_add_test(mb, an_elf_without_multiboot_header_is_refused);
    tcase_add_test(mb, a_multiboot_header_past_8k_is_not_found);
    tcase_add_test(mb, a_multiboot_header_with_bad_checksum_is_named);
    tcase_add_test(mb, unknown_required_multiboot_flags_are_refused);
    tcase_add_test(mb, overlapping_segments_are_refused);
    tcase_add_test(mb, a_segment_beyond_ram_is_refused);
    tcase_add_test(mb, a_segment_over_the_boot_data_is_refused);
    tcase_add_test(mb, an_elf_cut_inside_a_segment_is_truncated);
    tcase_add_test(mb, an_elf_cut_inside_its_program_headers_is_refused);
    tcase_add_test(mb, a_64bit_elf_is_refused);
    tcase_add_test(mb, empty_and_missing_files_are_named);
    tcase_add_test(mb, an_image_larger_than_ram_is_refused);
    tcase_add_test(mb, a_missing_module_is_named);
    suite_add_tcase(s, mb);

    TCase *bz = tcase_create("bzimage");
    tcase_add_checked_fixture(bz, setup, teardown);
    tcase_add_test(bz, bzimage_loads_kernel_high_and_enters_with_esi_boot_params);
    tcase_add_test(bz, bzimage_boot_params_hold_header_cmdline_e820_and_no_sentinel);
    tcase_add_test(bz, bzimage_initrd_goes_page_aligned_to_the_top_of_ram);
    tcase_add_test(bz, bzimage_initrd_respects_initrd_addr_max);
    tcase_add_test(bz, a_boot_sector_without_hdrs_is_a_bad_bzimage_magic);
    tcase_add_test(bz, an_old_boot_protocol_is_refused);
    tcase_add_test(bz, a_zimage_is_refused);
    tcase_add_test(bz, a_bzimage_cut_short_is_truncated);
    tcase_add_test(bz, an_entry_point_outside_the_loaded_image_is_a_loader_error);
    tcase_add_test(bz, a_big_endian_elf_and_a_pref_address_past_4g_are_named);
    tcase_add_test(bz, a_bzimage_needing_more_ram_than_given_is_refused);
    tcase_add_test(bz, an_initrd_that_does_not_fit_is_refused);
    tcase_add_test(bz, an_initrd_larger_than_ram_is_refused);
    tcase_add_test(bz, a_command_line_longer_than_cmdline_size_is_refused);
    suite_add_tcase(s, bz);

    TCase *rom = tcase_create("rom");
    tcase_add_checked_fixture(rom, setup, teardown);
    tcase_add_test(rom, a_64k_rom_appears_below_1m_and_below_4g);
    tcase_add_test(rom, a_128k_rom_starts_at_0xe0000);
    tcase_add_test(rom, a_rom_of_the_wrong_size_is_refused);
    suite_add_tcase(s, rom);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
