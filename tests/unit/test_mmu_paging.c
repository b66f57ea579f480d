/* Every combination of PDE and PTE (P, R/W, U/S) x CR0.WP x CPL 0 / 3 /
 * implicit supervisor at CPL 3 x read / write / fetch x 4 KiB / 4 MiB page,
 * run through the MMU's public API and compared with the reference model of
 * test_mmu_refmodel.c (written from the SDM's tables, not from our code):
 * fault or not, error code, CR2, the A/D bits afterwards, and that a
 * faulting write wrote nothing. Each case runs three ways: with a cold TLB,
 * with a TLB warmed by a supervisor read (so cached rights must give the
 * walk's answer), the same with D preset (so a write can hit a dirty
 * entry without walking again), and as an access that crosses into the page from a
 * writable neighbour (CR2 = first byte of the page). */
#define REFMODEL_NO_MAIN
#include "test_mmu_refmodel.c"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu.h"
#include "mmu/paging.h"

/* Layout: the tested page starts at lin T, the first byte of PDE[3]'s
 * region; the page below it (last page of PDE[2]) is always user-writable
 * and dirty, so a crossing access can only fault on the tested page. */
#define T        0x00c00000u
#define PD       0x00010000u
#define PT_LOW   0x00011000u   /* PDE[2]: maps the neighbour page */
#define PT_T     0x00012000u   /* PDE[3] when 4 KiB pages */
#define DATA_LOW 0x00030000u
#define DATA_4K  0x00020000u
#define DATA_4M  0x00400000u
#define PDE_T_ADDR (PD + 3 * 4)
#define PTE_T_ADDR (PT_T + 0 * 4)

struct harness {
    struct phys *p;
    struct mmu m;
    jmp_buf jb;
    uint32_t fault_lin, fault_err;
};

static struct harness *H;

static void __attribute__((__noreturn__)) on_fault(void *ctx, uint32_t lin, uint32_t err)
{
    struct harness *h = ctx;
    h->fault_lin = lin;
    h->fault_err = err;
    longjmp(h->jb, 1);
}

static void setup(void)
{
    char err[128];
    H = calloc(1, sizeof *H);
    H->p = phys_create(16u << 20, err, sizeof err);
    ck_assert_ptr_nonnull(H->p);
    ck_assert_int_eq(mmu_init(&H->m, H->p, TLB_DEFAULT_SETS, TLB_DEFAULT_WAYS), 0);
    H->m.fault = on_fault;
    H->m.fault_ctx = H;
}

static void teardown(void)
{
    mmu_free(&H->m);
    phys_destroy(H->p);
    free(H);
}

/* WARM_DIRTY: D preset in the entry that maps the page, so the warm-up
 * read fills a dirty entry and a write may be decided by the cached rights
 * alone, with no second walk. */
enum path { COLD, WARM, WARM_DIRTY, CROSSING };
static const char *const path_name[] = { "cold", "warm", "warm-dirty", "crossing" };
static const char *const mode_name[] = { "cpl0", "cpl3", "cpl3-implicit-super" };
static const char *const access_name[] = { "read", "write", "fetch" };

static void describe(char *buf, size_t len, const struct ref_in *in, enum path path)
{
    snprintf(buf, len, "%s %s page, PDE P%d RW%d US%d, PTE P%d RW%d US%d, WP%d, %s %s%s",
             path_name[path], in->large ? "4M" : "4K", in->pde_p, in->pde_rw, in->pde_us,
             in->pte_p, in->pte_rw, in->pte_us, in->wp, mode_name[in->mode],
             access_name[in->access], in->pde_reserved ? ", reserved bit" : "");
}

/* Build the tables for one case, all A/D clear in the tested entries. */
static void build_tables(const struct ref_in *in, bool dirty)
{
    struct phys *p = H->p;
    phys_write(p, PD + 2 * 4, PT_LOW | PG_P | PG_RW | PG_US | PG_A, 4);
    phys_write(p, PT_LOW + 1023 * 4, DATA_LOW | PG_P | PG_RW | PG_US | PG_A | PG_D, 4);
    uint32_t pde = (in->pde_p ? PG_P : 0) | (in->pde_rw ? PG_RW : 0) | (in->pde_us ? PG_US : 0);
    if (in->large)
        pde |= DATA_4M | PG_PS | (in->pde_reserved ? 1u << 13 : 0) | (dirty ? PG_D : 0);
    else
        pde |= PT_T;
    phys_write(p, PDE_T_ADDR, pde, 4);
    uint32_t pte = DATA_4K | (in->pte_p ? PG_P : 0) | (in->pte_rw ? PG_RW : 0) |
                   (in->pte_us ? PG_US : 0) | (dirty ? PG_D : 0);
    phys_write(p, PTE_T_ADDR, pte, 4);
    /* known bytes at both data pages and the end of the neighbour page */
    phys_write(p, DATA_4K, 0x11223344, 4);
    phys_write(p, DATA_4M, 0x55667788, 4);
    phys_write(p, DATA_LOW + 0xffc, 0xa0b0c0d0, 4);
}

static unsigned flags_for(const struct ref_in *in)
{
    unsigned f = in->access == REF_WRITE ? MMU_WRITE : in->access == REF_FETCH ? MMU_FETCH : MMU_READ;
    return f | (in->mode == REF_CPL3_IMPLICIT_SUPERVISOR ? MMU_SUPER : 0);
}

/* Do the access through the API the CPU uses; returns true if it faulted. */
static bool do_access(const struct ref_in *in, enum path path, uint32_t *value)
{
    struct mmu *m = &H->m;
    unsigned f = flags_for(in);
    volatile bool faulted = false;
    if (setjmp(H->jb)) {
        faulted = true;
        return faulted;
    }
    if (path == CROSSING) {
        /* 4 bytes at T-2: two in the neighbour page, two in the tested one */
        if (in->access == REF_WRITE)
            mmu_write_f(m, T - 2, 4, 0xcafef00d, f);
        else
            *value = mmu_read_f(m, T - 2, 4, f);
        return false;
    }
    if (in->mode == REF_CPL3_IMPLICIT_SUPERVISOR || in->access == REF_FETCH) {
        if (in->access == REF_WRITE)
            mmu_write_f(m, T, 4, 0xcafef00d, f);
        else if (in->access == REF_FETCH)
            *value = phys_read(H->p, mmu_translate(m, T, f), 4);
        else
            *value = mmu_read_f(m, T, 4, f);
    } else if (in->access == REF_WRITE) {
        mmu_write32(m, T, 0xcafef00d);
    } else {
        *value = mmu_read32(m, T);
    }
    return false;
}

static void run_case(struct ref_in in, enum path path)
{
    struct mmu *m = &H->m;
    char what[200];
    describe(what, sizeof what, &in, path);
    build_tables(&in, path == WARM_DIRTY);
    mmu_set_cr0(m, CR0_PE | CR0_PG | (in.wp ? CR0_WP : 0));
    mmu_set_cr4(m, in.large ? CR4_PSE : 0);
    mmu_set_cr3(m, PD);
    mmu_flush(m, TLB_FLUSH_EXPLICIT);
    m->cr2 = 0xdeadbeef;

    bool warm_ok = false;
    if (path == WARM || path == WARM_DIRTY) {
        /* A supervisor read fills the TLB (and sets A) if the page is
         * present; its result is the model's, for a supervisor read. */
        struct ref_in r = in;
        r.mode = REF_CPL0;
        r.access = REF_READ;
        m->user = 0;
        warm_ok = !ref_model(&r).fault;
        uint32_t v;
        bool f = do_access(&r, COLD, &v);
        ck_assert_msg(f == !warm_ok, "%s: warm-up read disagrees with the model", what);
    }

    m->user = in.mode != REF_CPL0;
    struct ref_out want = ref_model(&in);
    uint32_t value = 0;
    bool faulted = do_access(&in, path, &value);
    uint32_t pde = phys_read(H->p, PDE_T_ADDR, 4), pte = phys_read(H->p, PTE_T_ADDR, 4);
    uint32_t data = in.large ? DATA_4M : DATA_4K;

    ck_assert_msg(faulted == want.fault, "%s: faulted=%d, model says %d", what, faulted, want.fault);
    if (want.fault) {
        ck_assert_msg(H->fault_err == want.err, "%s: error code %x, model says %x", what,
                      H->fault_err, want.err);
        ck_assert_msg(m->cr2 == T && H->fault_lin == T, "%s: CR2 %08x, want %08x", what, m->cr2, T);
        ck_assert_msg(phys_read(H->p, data, 4) == (in.large ? 0x55667788u : 0x11223344u),
                      "%s: a faulting write changed the page", what);
        ck_assert_msg(phys_read(H->p, DATA_LOW + 0xffc, 4) == 0xa0b0c0d0u,
                      "%s: a faulting crossing write changed the first page", what);
    } else if (in.access == REF_WRITE) {
        uint32_t got = path == CROSSING ? phys_read(H->p, data, 2) : phys_read(H->p, data, 4);
        uint32_t exp = path == CROSSING ? 0xcafeu : 0xcafef00du;
        ck_assert_msg(got == exp, "%s: wrote %x, want %x", what, got, exp);
    } else {
        uint32_t exp = path == CROSSING ? (0xa0b0u | (in.large ? 0x7788u : 0x3344u) << 16)
                                        : (in.large ? 0x55667788u : 0x11223344u);
        ck_assert_msg(value == exp, "%s: read %08x, want %08x", what, value, exp);
    }
    bool pde_a = want.pde_a || warm_ok, pte_a = want.pte_a || (warm_ok && !in.large);
    ck_assert_msg(!!(pde & PG_A) == pde_a, "%s: PDE.A=%d, model says %d", what, !!(pde & PG_A), pde_a);
    bool pde_d = want.pde_d || (path == WARM_DIRTY && in.large);
    bool pte_d = want.pte_d || (path == WARM_DIRTY && !in.large);
    ck_assert_msg(!!(pde & PG_D) == pde_d, "%s: PDE.D=%d, model says %d", what, !!(pde & PG_D), pde_d);
    if (!in.large) {
        ck_assert_msg(!!(pte & PG_A) == pte_a, "%s: PTE.A=%d, model says %d", what,
                      !!(pte & PG_A), pte_a);
        ck_assert_msg(!!(pte & PG_D) == pte_d, "%s: PTE.D=%d, model says %d", what,
                      !!(pte & PG_D), pte_d);
    }
}

/* Loop index -> one (page size, path) pair; all combinations inside. */
static unsigned run_all(bool large, enum path path)
{
    unsigned n = 0;
    for (unsigned bits = 0; bits < 64; bits++) {
        struct ref_in in = { .large = large };
        in.pde_p = bits & 1;
        in.pde_rw = bits >> 1 & 1;
        in.pde_us = bits >> 2 & 1;
        in.pte_p = bits >> 3 & 1;
        in.pte_rw = bits >> 4 & 1;
        in.pte_us = bits >> 5 & 1;
        if (large && bits >= 8)
            break;   /* a 4 MiB page has no PTE */
        for (int wp = 0; wp < 2; wp++)
            for (int mode = REF_CPL0; mode <= REF_CPL3_IMPLICIT_SUPERVISOR; mode++)
                for (int acc = REF_READ; acc <= REF_FETCH; acc++) {
                    if (path == CROSSING && acc == REF_FETCH)
                        continue;   /* fetches are translated a page at a time */
                    in.wp = wp;
                    in.mode = mode;
                    in.access = acc;
                    run_case(in, path);
                    n++;
                }
    }
    return n;
}

START_TEST(every_4k_combination_matches_the_sdm_model)
{
    ck_assert_uint_eq(run_all(false, (enum path)_i), _i == CROSSING ? 64 * 2 * 3 * 2 : 64 * 2 * 3 * 3);
}
END_TEST

START_TEST(every_4m_combination_matches_the_sdm_model)
{
    ck_assert_uint_eq(run_all(true, (enum path)_i), _i == CROSSING ? 8 * 2 * 3 * 2 : 8 * 2 * 3 * 3);
}
END_TEST

START_TEST(reserved_bit_in_4m_pde_faults_with_rsvd_and_sets_nothing)
{
    for (int mode = REF_CPL0; mode <= REF_CPL3_IMPLICIT_SUPERVISOR; mode++)
        for (int acc = REF_READ; acc <= REF_FETCH; acc++)
            for (int p = 0; p < 2; p++) {
                struct ref_in in = { .large = 1, .pde_p = p, .pde_rw = 1, .pde_us = 1,
                                     .pde_reserved = 1, .mode = mode, .access = acc };
                run_case(in, COLD);
            }
}
END_TEST

/* Each reserved bit alone (21..13) faults; bit 12 (PAT) does not. */
START_TEST(each_of_bits_21_to_13_of_a_4m_pde_is_reserved)
{
    struct mmu *m = &H->m;
    mmu_set_cr0(m, CR0_PE | CR0_PG);
    mmu_set_cr4(m, CR4_PSE);
    mmu_set_cr3(m, PD);
    for (unsigned bit = 12; bit <= 21; bit++) {
        phys_write(H->p, PDE_T_ADDR, DATA_4M | PG_P | PG_RW | PG_PS | (1u << bit), 4);
        struct paging_walk w;
        bool ok = paging_probe(m, T, MMU_READ, &w);
        ck_assert_msg(ok == (bit == 12), "bit %u", bit);
        if (!ok)
            ck_assert_uint_eq(w.err, PF_P | PF_RSVD);
    }
}
END_TEST

START_TEST(ps_bit_is_ignored_without_cr4_pse)
{
    struct mmu *m = &H->m;
    mmu_set_cr0(m, CR0_PE | CR0_PG);
    mmu_set_cr4(m, 0);
    mmu_set_cr3(m, PD);
    /* PS=1 plus "reserved" bits: without PSE this PDE points to PT_T */
    phys_write(H->p, PDE_T_ADDR, PT_T | PG_P | PG_RW | PG_PS, 4);
    phys_write(H->p, PTE_T_ADDR, DATA_4K | PG_P | PG_RW, 4);
    struct paging_walk w;
    ck_assert(paging_walk(m, T + 0x10, MMU_READ, &w));
    ck_assert_uint_eq(w.nsteps, 2);
    ck_assert_uint_eq(w.phys, DATA_4K + 0x10);
    ck_assert_uint_eq(w.page_size, 4096);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu paging vs SDM model");
    TCase *tc = tcase_create("combinations");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, every_4k_combination_matches_the_sdm_model, COLD, CROSSING + 1);
    tcase_add_loop_test(tc, every_4m_combination_matches_the_sdm_model, COLD, CROSSING + 1);
    tcase_add_test(tc, reserved_bit_in_4m_pde_faults_with_rsvd_and_sets_nothing);
    tcase_add_test(tc, each_of_bits_21_to_13_of_a_4m_pde_is_reserved);
    tcase_add_test(tc, ps_bit_is_ignored_without_cr4_pse);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
