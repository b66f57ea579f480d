/* Malformed input never crashes a loader: valid multiboot ELF, multiboot
 * raw (flag 16) and bzImage images with random header bytes flipped and
 * random truncations go through boot_load; each attempt either loads or
 * fails with one line. Run under the sanitizer build to catch overruns.
 * Deterministic: a fixed seed, so a failure reproduces. */
#include <check.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine/boot.h"
#include "machine/options.h"
#include "mmu/phys.h"

#define ITERATIONS 20000
#define IMG_MAX 0x3000

static uint32_t rng(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

static size_t seed_elf(uint8_t *b)
{
    memset(b, 0, IMG_MAX);
    Elf32_Ehdr eh = { 0 };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_386;
    eh.e_version = EV_CURRENT;
    eh.e_entry = 0x100000;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf32_Phdr);
    eh.e_phnum = 2;
    memcpy(b, &eh, sizeof eh);
    Elf32_Phdr ph[2] = {
        { .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = 0x100000, .p_paddr = 0x100000,
          .p_filesz = 0x800, .p_memsz = 0x1000, .p_align = 0x1000 },
        { .p_type = PT_LOAD, .p_offset = 0x2000, .p_vaddr = 0x200000, .p_paddr = 0x200000,
          .p_filesz = 0x800, .p_memsz = 0x800, .p_align = 0x1000 },
    };
    memcpy(b + sizeof eh, ph, sizeof ph);
    uint32_t h[3] = { 0x1BADB002u, 3, -(0x1BADB002u + 3) };
    memcpy(b + 0x200, h, sizeof h);
    return 0x2800;
}

static size_t seed_raw(uint8_t *b)
{
    memset(b, 0x90, IMG_MAX);
    uint32_t h[8] = { 0x1BADB002u, 0x10003, -(0x1BADB002u + 0x10003),
                      0x100040, 0x100000, 0x101000, 0x102000, 0x100080 };
    memcpy(b + 0x40, h, sizeof h);
    return 0x1800;
}

static size_t seed_bzimage(uint8_t *b)
{
    memset(b, 0, IMG_MAX);
    b[0x1F1] = 1;
    uint32_t sys = (IMG_MAX - 0x400) / 16;
    memcpy(b + 0x1F4, &sys, 4);
    b[0x1FE] = 0x55;
    b[0x1FF] = 0xAA;
    b[0x201] = 0x6A;
    memcpy(b + 0x202, "HdrS", 4);
    uint16_t v = 0x020F;
    memcpy(b + 0x206, &v, 2);
    b[0x211] = 1;
    uint32_t code32 = 0x100000, max = 0x7FFFFFFF, cls = 256, init = 0x100000;
    memcpy(b + 0x214, &code32, 4);
    memcpy(b + 0x22C, &max, 4);
    memcpy(b + 0x238, &cls, 4);
    memcpy(b + 0x260, &init, 4);
    return IMG_MAX;
}

START_TEST(mutated_images_load_or_fail_with_one_line)
{
    char dir[] = "/tmp/pagoda-fuzz-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[64], initrd[64];
    snprintf(path, sizeof path, "%s/img", dir);
    snprintf(initrd, sizeof initrd, "%s/initrd", dir);
    FILE *f = fopen(initrd, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("an initrd", f);
    fclose(f);

    char perr[128];
    struct phys *p = phys_create(16u << 20, perr, sizeof perr);
    ck_assert_ptr_nonnull(p);
    struct machine_config cfg;
    options_defaults(&cfg);
    cfg.append = "console=ttyS0";
    uint64_t seed = 0x5eed;
    static uint8_t img[IMG_MAX];
    unsigned loaded = 0, refused = 0;
    for (int it = 0; it < ITERATIONS; it++) {
        size_t len;
        switch (it % 3) {
        case 0: len = seed_elf(img); break;
        case 1: len = seed_raw(img); break;
        default: len = seed_bzimage(img); break;
        }
        cfg.initrd = (it & 4) ? initrd : NULL;
        unsigned flips = 1 + rng(&seed) % 8;
        for (unsigned k = 0; k < flips; k++) {
            /* mostly the headers, sometimes anywhere */
            size_t at = (rng(&seed) & 3) ? rng(&seed) % 0x300 : rng(&seed) % len;
            img[at] ^= (uint8_t)(1u << (rng(&seed) % 8));
            if (rng(&seed) % 4 == 0)
                img[at] = (uint8_t)rng(&seed);
        }
        if (rng(&seed) % 5 == 0)
            len = rng(&seed) % len;
        f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        if (len)
            ck_assert_uint_eq(fwrite(img, 1, len, f), len);
        fclose(f);
        struct boot_state bs;
        char err[512] = "";
        int r = boot_load(p, &cfg, path, &bs, err, sizeof err);
        ck_assert(r == 0 || r == -1);
        if (r == 0) {
            loaded++;
        } else {
            refused++;
            ck_assert_msg(err[0] && !strchr(err, '\n'), "iteration %d: message '%s'", it, err);
        }
    }
    printf("%u mutated images loaded, %u refused\n", loaded, refused);
    ck_assert_uint_gt(loaded, 0);
    ck_assert_uint_gt(refused, 0);
    phys_destroy(p);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("machine_loader_fuzz");
    TCase *tc = tcase_create("fuzz");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, mutated_images_load_or_fail_with_one_line);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
