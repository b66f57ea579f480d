/* Guest physical memory: RAM, ROM and MMIO regions that shadow RAM, open
 * bus, accesses of every size at every alignment across page and region
 * edges, host pointers, loaders, A20 and the decoded-code hook. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/phys.h"

static struct phys *P;

static void setup(void)
{
    char err[128];
    P = phys_create(1u << 20, err, sizeof err);   /* 1 MiB of RAM */
    ck_assert_ptr_nonnull(P);
}

static void teardown(void) { phys_destroy(P); }

struct mmio_log {
    uint32_t last_off, last_val;
    int last_size, reads, writes;
};

static uint32_t mmio_read(void *ctx, uint32_t off, int size)
{
    struct mmio_log *l = ctx;
    l->reads++;
    l->last_off = off;
    l->last_size = size;
    return 0xa0a0a0a0u ^ off;
}

static void mmio_write(void *ctx, uint32_t off, uint32_t val, int size)
{
    struct mmio_log *l = ctx;
    l->writes++;
    l->last_off = off;
    l->last_val = val;
    l->last_size = size;
}

static const struct phys_mmio_ops ops = { mmio_read, mmio_write };

/* A byte-at-a-time model of what each address holds. */
static uint8_t expect_byte(uint32_t pa, const uint8_t *ram_model, const uint8_t *rom)
{
    if (pa >= 0xf0000 && pa < 0x100000)
        return rom[pa - 0xf0000];
    if (pa < (1u << 20))
        return ram_model[pa];
    return 0xff;
}

START_TEST(every_size_at_every_offset_near_edges_reads_what_bytes_hold)
{
    static uint8_t rom[0x10000], ram_model[1u << 20];
    for (unsigned i = 0; i < sizeof rom; i++)
        rom[i] = (uint8_t)(i * 7 + 3);
    ck_assert_int_eq(phys_add_rom(P, 0xf0000, rom, sizeof rom), 0);
    for (uint32_t pa = 0; pa < (1u << 20); pa++)
        ram_model[pa] = (uint8_t)(pa * 13 + 1);
    ck_assert_int_eq(phys_load(P, 0, ram_model, 0xf0000), 0);
    /* edges: page edges in RAM, RAM/ROM edge, ROM/open-bus edge */
    const uint32_t edges[] = { 0x1000, 0x2000, 0xf0000, 0x100000 };
    for (unsigned e = 0; e < 4; e++) {
        for (uint32_t pa = edges[e] - 4; pa < edges[e] + 4; pa++) {
            for (int size = 1; size <= 4; size++) {
                uint32_t want = 0;
                for (int i = 0; i < size; i++)
                    want |= (uint32_t)expect_byte(pa + i, ram_model, rom) << (8 * i);
                ck_assert_msg(phys_read(P, pa, size) == want, "read %d at %x: %x, want %x", size,
                              pa, phys_read(P, pa, size), want);
            }
        }
    }
}
END_TEST

START_TEST(writes_of_every_size_across_a_page_edge_land_byte_by_byte)
{
    for (int size = 1; size <= 4; size++) {
        for (uint32_t pa = 0x1ffc; pa <= 0x2000; pa++) {
            phys_write(P, 0x1ff8, 0, 4);
            phys_write(P, 0x1ffc, 0, 4);
            phys_write(P, 0x2000, 0, 4);
            phys_write(P, pa, 0x04030201u, size);
            for (uint32_t a = 0x1ff8; a < 0x2004; a++) {
                uint8_t want = (a >= pa && a < pa + (uint32_t)size) ? (uint8_t)(a - pa + 1) : 0;
                ck_assert_msg(phys_read(P, a, 1) == want, "size %d at %x: byte %x", size, pa, a);
            }
        }
    }
}
END_TEST

START_TEST(rom_hides_the_ram_below_it_and_ignores_writes)
{
    uint8_t rom[4096];
    memset(rom, 0x5a, sizeof rom);
    phys_write(P, 0xe0000, 0x11111111, 4);   /* RAM that the ROM will hide */
    ck_assert_int_eq(phys_add_rom(P, 0xe0000, rom, sizeof rom), 0);
    ck_assert_uint_eq(phys_read(P, 0xe0000, 4), 0x5a5a5a5a);
    phys_write(P, 0xe0000, 0x22222222, 4);
    ck_assert_uint_eq(phys_read(P, 0xe0000, 4), 0x5a5a5a5a);
    ck_assert_int_eq(phys_kind_at(P, 0xe0000), PHYS_ROM);
    ck_assert_ptr_nonnull(phys_host_page(P, 0xe0000, false));
    ck_assert_ptr_null(phys_host_page(P, 0xe0000, true));
    bool writable = true;
    ck_assert_ptr_nonnull(phys_host_page_rw(P, 0xe0123, &writable));
    ck_assert(!writable);
    ck_assert_int_eq(phys_load(P, 0xe0000, rom, 4), -1);   /* loaders need RAM */
    ck_assert_int_eq(phys_add_rom(P, 0xe0800, rom, sizeof rom), -1);   /* overlap */
}
END_TEST

START_TEST(mmio_inside_ram_gets_whole_accesses_and_no_host_pointer)
{
    struct mmio_log log = { 0 };
    ck_assert_int_eq(phys_add_mmio(P, 0xa0000, 0x20000, &ops, &log), 0);
    ck_assert_uint_eq(phys_read(P, 0xa0010, 4), 0xa0a0a0a0u ^ 0x10);
    ck_assert_int_eq(log.last_size, 4);
    phys_write(P, 0xa0020, 0xdeadbeef, 2);
    ck_assert_uint_eq(log.last_off, 0x20);
    ck_assert_uint_eq(log.last_val, 0xdeadbeef);
    ck_assert_int_eq(log.last_size, 2);
    ck_assert_ptr_null(phys_host_page(P, 0xa0000, false));
    bool writable = true;
    ck_assert_ptr_null(phys_host_page_rw(P, 0xbf000, &writable));
    ck_assert(!writable);
    ck_assert_int_eq(phys_kind_at(P, 0xbffff), PHYS_MMIO);
    ck_assert_int_eq(phys_kind_at(P, 0xc0000), PHYS_RAM);
}
END_TEST

START_TEST(a_region_starting_inside_a_page_makes_it_not_plain_ram)
{
    struct mmio_log log = { 0 };
    phys_write(P, 0x50000, 0x12345678, 4);
    ck_assert_int_eq(phys_add_mmio(P, 0x50800, 0x100, &ops, &log), 0);
    ck_assert_ptr_null(phys_host_page(P, 0x50000, false));
    ck_assert_uint_eq(phys_read(P, 0x50000, 4), 0x12345678);   /* RAM part still RAM */
    phys_write(P, 0x50004, 0xcafe, 2);
    ck_assert_uint_eq(phys_read(P, 0x50004, 2), 0xcafe);
    ck_assert_int_eq(log.reads + log.writes, 0);
    phys_read(P, 0x50800, 1);
    ck_assert_int_eq(log.reads, 1);
    /* an access straddling the region edge goes byte by byte */
    phys_write(P, 0x507fe, 0x44332211, 4);
    ck_assert_uint_eq(phys_read(P, 0x507fe, 2), 0x2211);
    ck_assert_int_eq(log.writes, 2);
}
END_TEST

START_TEST(open_bus_reads_ff_and_drops_writes)
{
    ck_assert_uint_eq(phys_read(P, 0x40000000, 4), 0xffffffff);
    phys_write(P, 0x40000000, 0, 4);
    ck_assert_uint_eq(phys_read(P, 0x40000000, 1), 0xff);
    ck_assert_uint_eq(phys_read(P, 0xffffffff, 1), 0xff);
    ck_assert_uint_eq(phys_read(P, 0xfffffffe, 4), 0x0000ffff);   /* wraps to RAM at 0 */
    ck_assert_ptr_null(phys_host_page(P, 0x40000000, false));
    ck_assert_int_eq(phys_kind_at(P, 0x100000), PHYS_OPEN_BUS);
    /* RAM's last bytes and the open bus after them */
    phys_write(P, 0xffffe, 0xbbaa, 2);
    ck_assert_uint_eq(phys_read(P, 0xffffe, 4), 0xffffbbaa);
}
END_TEST

START_TEST(a20_mask_clears_bit_20_only_when_disabled)
{
    ck_assert(phys_a20(P));
    ck_assert_uint_eq(phys_a20_mask(P), 0xffffffff);
    phys_set_a20(P, false);
    ck_assert(!phys_a20(P));
    ck_assert_uint_eq(0x123456 & phys_a20_mask(P), 0x023456);
}
END_TEST

static uint32_t hook_pa, hook_calls;
static void on_code(void *ctx, uint32_t pa, uint32_t len)
{
    (void)ctx, (void)len;
    hook_pa = pa;
    hook_calls++;
}

START_TEST(writes_to_a_code_page_call_the_hook_including_the_second_page_of_a_split)
{
    phys_set_code_hook(P, on_code, NULL);
    phys_mark_code(P, 0x3000);
    ck_assert(phys_is_code(P, 0x3fff));
    ck_assert(!phys_is_code(P, 0x4000));
    phys_write(P, 0x2000, 1, 4);
    ck_assert_uint_eq(hook_calls, 0);
    phys_write(P, 0x2ffe, 0x01020304, 4);   /* second half on the code page */
    ck_assert_uint_eq(hook_calls, 1);
    ck_assert_uint_eq(hook_pa >> 12, 3);
    phys_write(P, 0x3010, 1, 1);
    ck_assert_uint_eq(hook_calls, 2);
    phys_clear_code(P, 0x3000);
    phys_write(P, 0x3010, 1, 1);
    ck_assert_uint_eq(hook_calls, 2);
}
END_TEST

START_TEST(ram_size_is_checked_and_rounded)
{
    char err[128];
    ck_assert_ptr_null(phys_create(0, err, sizeof err));
    ck_assert_ptr_null(phys_create((uint64_t)PHYS_RAM_MAX + 4096, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "out of range"));
    struct phys *p = phys_create(5000, err, sizeof err);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(phys_ram_size(p), 8192);
    phys_destroy(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu phys");
    TCase *tc = tcase_create("phys");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_size_at_every_offset_near_edges_reads_what_bytes_hold);
    tcase_add_test(tc, writes_of_every_size_across_a_page_edge_land_byte_by_byte);
    tcase_add_test(tc, rom_hides_the_ram_below_it_and_ignores_writes);
    tcase_add_test(tc, mmio_inside_ram_gets_whole_accesses_and_no_host_pointer);
    tcase_add_test(tc, a_region_starting_inside_a_page_makes_it_not_plain_ram);
    tcase_add_test(tc, open_bus_reads_ff_and_drops_writes);
    tcase_add_test(tc, a20_mask_clears_bit_20_only_when_disabled);
    tcase_add_test(tc, writes_to_a_code_page_call_the_hook_including_the_second_page_of_a_split);
    tcase_add_test(tc, ram_size_is_checked_and_rounded);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
