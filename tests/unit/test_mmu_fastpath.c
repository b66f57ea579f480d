/* The fast path only ever reaches RAM: a TLB entry for a ROM, MMIO or
 * open-bus page keeps both fast tags closed, so every access to it goes
 * through the slow path (issue 3: "a TLB hit on RAM yields a host pointer;
 * ROM, MMIO ... take the slow path"). Paging off: linear = physical. */
#include <check.h>
#include <stdlib.h>

#include "mmu/mmu.h"

static struct phys *P;
static struct mmu M;
static uint8_t rom[4096];

static void setup(void)
{
    char err[128];
    P = phys_create(1u << 20, err, sizeof err);
    ck_assert_ptr_nonnull(P);
    for (unsigned i = 0; i < sizeof rom; i++)
        rom[i] = (uint8_t)(i * 7);
    ck_assert_int_eq(phys_add_rom(P, 0xF0000, rom, sizeof rom), 0);
    ck_assert_int_eq(mmu_init(&M, P, TLB_DEFAULT_SETS, TLB_DEFAULT_WAYS), 0);
}

static void teardown(void)
{
    mmu_free(&M);
    phys_destroy(P);
}

static const struct tlb_snap *entry_for(struct tlb_snap *snap, unsigned n, uint32_t lin)
{
    for (unsigned i = 0; i < n; i++)
        if (snap[i].lin == (lin & ~0xfffu))
            return &snap[i];
    return NULL;
}

START_TEST(rom_page_in_the_tlb_keeps_its_fast_tags_closed_and_reads_right)
{
    ck_assert_uint_eq(mmu_read32(&M, 0xF0010), (uint32_t)rom[0x10] | rom[0x11] << 8 |
                                              rom[0x12] << 16 | (uint32_t)rom[0x13] << 24);
    ck_assert_uint_eq(mmu_read8(&M, 0xF0011), rom[0x11]);   /* again: still right */
    ck_assert_uint_eq(mmu_read32(&M, 0x2000), 0);           /* a RAM page beside it */

    struct tlb_snap snap[64];
    unsigned n = tlb_snapshot(&M, snap, 64);
    const struct tlb_snap *r = entry_for(snap, n, 0xF0000);
    const struct tlb_snap *ram = entry_for(snap, n, 0x2000);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(ram);
    ck_assert_uint_eq(r->fast_read, 0);
    ck_assert_uint_eq(r->fast_write, 0);
    ck_assert_uint_ne(ram->fast_read, 0);
}
END_TEST

START_TEST(write_to_rom_is_dropped_and_the_rom_keeps_its_bytes)
{
    mmu_write32(&M, 0xF0020, 0xdeadbeef);
    ck_assert_uint_eq(mmu_read8(&M, 0xF0020), rom[0x20]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu_fastpath");
    TCase *tc = tcase_create("fastpath");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, rom_page_in_the_tlb_keeps_its_fast_tags_closed_and_reads_right);
    tcase_add_test(tc, write_to_rom_is_dropped_and_the_rom_keeps_its_bytes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
