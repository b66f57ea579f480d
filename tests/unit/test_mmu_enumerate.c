/* paging_enumerate and paging_format_ranges: what the monitor's "info mem"
 * and the UI's page-table panel list, read without side effects. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu.h"
#include "mmu/paging.h"

#define PD 0x10000u
#define PT 0x11000u

static struct phys *P;
static struct mmu M;

static void setup(void)
{
    char err[128];
    P = phys_create(16u << 20, err, sizeof err);
    ck_assert_ptr_nonnull(P);
    ck_assert_int_eq(mmu_init(&M, P, 64, 1), 0);
    /* PDE 0: a table with pages 0..15 user rw, 16..31 supervisor rw, page 40 user ro */
    phys_write(P, PD, PT | PG_P | PG_RW | PG_US, 4);
    for (uint32_t i = 0; i < 32; i++)
        phys_write(P, PT + i * 4, (i << 12) | PG_P | PG_RW | (i < 16 ? PG_US : 0), 4);
    phys_write(P, PT + 40 * 4, 0x80000 | PG_P | PG_US | PG_A | PG_D | PG_G, 4);
    /* PDE 768: a 4 MiB supervisor page; PDE 769: reserved bit set (no translation) */
    phys_write(P, PD + 768 * 4, PG_P | PG_RW | PG_PS | PG_G, 4);
    phys_write(P, PD + 769 * 4, 0x400000 | PG_P | PG_RW | PG_PS | (1u << 13), 4);
    /* PDE 1023: a 4 MiB page ending at 4 GiB */
    phys_write(P, PD + 1023 * 4, 0x800000 | PG_P | PG_PS | PG_US, 4);
    mmu_set_cr4(&M, CR4_PSE | CR4_PGE);
    mmu_set_cr3(&M, PD);
    mmu_set_cr0(&M, CR0_PE | CR0_PG);
}

static void teardown(void)
{
    mmu_free(&M);
    phys_destroy(P);
}

struct seen {
    unsigned n;
    struct paging_mapping m[64];
};

static int collect(void *ctx, const struct paging_mapping *map)
{
    struct seen *s = ctx;
    if (s->n < 64)
        s->m[s->n] = *map;
    s->n++;
    return 0;
}

START_TEST(enumerate_lists_every_present_translation_in_order)
{
    struct seen s = { 0 };
    ck_assert_uint_eq(paging_enumerate(&M, PD, collect, &s), 35);
    ck_assert_uint_eq(s.n, 35);
    ck_assert_uint_eq(s.m[0].lin, 0);
    ck_assert(s.m[0].user_ok && s.m[0].write_ok);
    ck_assert(!s.m[16].user_ok);
    ck_assert_uint_eq(s.m[32].lin, 40u << 12);
    ck_assert_uint_eq(s.m[32].phys, 0x80000);
    ck_assert(s.m[32].global && s.m[32].dirty && !s.m[32].write_ok);
    ck_assert_uint_eq(s.m[33].lin, 0xc0000000u);
    ck_assert_uint_eq(s.m[33].size, 4u << 20);
    ck_assert(s.m[33].global);
    ck_assert_uint_eq(s.m[34].lin, 0xffc00000u);   /* 769's reserved bit: skipped */
}
END_TEST

static int stop_at_two(void *ctx, const struct paging_mapping *map)
{
    (void)map;
    return ++*(int *)ctx == 2;
}

START_TEST(enumerate_stops_when_asked_and_writes_nothing)
{
    int calls = 0;
    ck_assert_uint_eq(paging_enumerate(&M, PD, stop_at_two, &calls), 2);
    ck_assert_uint_eq(phys_read(P, PD, 4) & PG_A, 0);
    ck_assert_uint_eq(phys_read(P, PT, 4) & PG_A, 0);
}
END_TEST

START_TEST(ranges_merge_contiguous_pages_with_equal_rights)
{
    char buf[512];
    size_t n = paging_format_ranges(&M, PD, buf, sizeof buf);
    ck_assert_uint_lt(n, sizeof buf);
    ck_assert_str_eq(buf,
                     "00000000-00010000 00010000 urw\n"
                     "00010000-00020000 00010000 -rw\n"
                     "00028000-00029000 00001000 ur-\n"
                     "c0000000-c0400000 00400000 -rw\n"
                     "ffc00000-100000000 00400000 ur-\n");
}
END_TEST

START_TEST(ranges_follow_cr4_pse)
{
    mmu_set_cr4(&M, 0);   /* PS ignored: PDE 768 now points to a table at 0 */
    char buf[4096];
    paging_format_ranges(&M, PD, buf, sizeof buf);
    ck_assert_ptr_null(strstr(buf, "c0000000-c0400000 00400000"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu enumerate");
    TCase *tc = tcase_create("enumerate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, enumerate_lists_every_present_translation_in_order);
    tcase_add_test(tc, enumerate_stops_when_asked_and_writes_nothing);
    tcase_add_test(tc, ranges_merge_contiguous_pages_with_equal_rights);
    tcase_add_test(tc, ranges_follow_cr4_pse);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
