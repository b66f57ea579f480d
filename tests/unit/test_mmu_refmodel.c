/* A reference model of 32-bit paging protection, written from the manuals'
 * tables and NOT from src/mmu (it includes nothing of ours):
 *
 *  - Table "Combined Page-Directory and Page-Table Protection" (Intel 386
 *    Programmer's Reference Manual §6.4.1.3, Table 6-5; carried into the
 *    SDM as the rule that the most restrictive of PDE and PTE applies):
 *    16 rows of (PDE U/S, PDE R/W, PTE U/S, PTE R/W) -> combined (U/S, R/W).
 *  - SDM Vol. 3 §4.6.1 "Determination of Access Rights", read as a table of
 *    (access mode, access kind, page kind, CR0.WP) -> allowed.
 *  - SDM Vol. 3 §4.7 "Page-Fault Exceptions": error code bits 0..3.
 *  - SDM Vol. 3 §4.8 "Accessed and Dirty Flags" with the P6 behaviour that
 *    a faulting translation sets no flag.
 *  - SDM Vol. 3 §4.3 Table 4-4: in a 4 MiB PDE, bits 21..13 are reserved
 *    when the processor has 32 physical address bits (no PSE-36).
 *
 * test_mmu_paging.c includes this file (with REFMODEL_NO_MAIN); built on
 * its own it checks the model against rows copied from those tables. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>

enum ref_access { REF_READ, REF_WRITE, REF_FETCH };
enum ref_mode { REF_CPL0, REF_CPL3, REF_CPL3_IMPLICIT_SUPERVISOR };

struct ref_in {
    bool large;                 /* CR4.PSE = 1 and PDE.PS = 1 */
    bool pde_p, pde_rw, pde_us;
    bool pte_p, pte_rw, pte_us; /* unused when large */
    bool pde_reserved;          /* some of bits 21..13 set in a 4 MiB PDE */
    bool wp;
    enum ref_mode mode;
    enum ref_access access;
};

struct ref_out {
    bool fault;
    uint8_t err;                /* bit 0 P, bit 1 W/R, bit 2 U/S, bit 3 RSVD */
    bool pde_a, pde_d, pte_a, pte_d;   /* flags afterwards, all 0 before */
};

/* Combined protection (386 PRM Table 6-5). 'S' = supervisor page, 'U' =
 * user page; 'R' = read-only, 'W' = read/write, '-' = no user access at
 * all (the R/W column does not apply to a supervisor page at U level). */
static const struct {
    char pde_us, pde_rw, pte_us, pte_rw;
    char us, rw;
} ref_combined[16] = {
    { 'S', 'R', 'S', 'R', 'S', '-' }, { 'S', 'R', 'S', 'W', 'S', '-' },
    { 'S', 'R', 'U', 'R', 'S', '-' }, { 'S', 'R', 'U', 'W', 'S', '-' },
    { 'S', 'W', 'S', 'R', 'S', '-' }, { 'S', 'W', 'S', 'W', 'S', '-' },
    { 'S', 'W', 'U', 'R', 'S', '-' }, { 'S', 'W', 'U', 'W', 'S', '-' },
    { 'U', 'R', 'S', 'R', 'S', '-' }, { 'U', 'R', 'S', 'W', 'S', '-' },
    { 'U', 'R', 'U', 'R', 'U', 'R' }, { 'U', 'R', 'U', 'W', 'U', 'R' },
    { 'U', 'W', 'S', 'R', 'S', '-' }, { 'U', 'W', 'S', 'W', 'S', '-' },
    { 'U', 'W', 'U', 'R', 'U', 'R' }, { 'U', 'W', 'U', 'W', 'U', 'W' },
};

/* For a supervisor page the 386 table gives no R/W column: on later
 * processors (CR0.WP, SDM §4.6.1) the supervisor's write right to it is
 * still decided by R/W in every entry, which this table records. */
static bool ref_all_rw(const struct ref_in *in)
{
    return in->large ? in->pde_rw : (in->pde_rw && in->pte_rw);
}

/* SDM §4.6.1 as a table. Page kinds: 'S' supervisor, 'R' user read-only,
 * 'W' user read/write. Rows: mode, access, kind -> allowed with WP=0 / WP=1
 * (for a supervisor write to an 'S' page, see ref_all_rw). */
static const struct {
    int user;        /* a user-mode access */
    int access;      /* REF_READ / REF_WRITE / REF_FETCH */
    char kind;
    int ok_wp0, ok_wp1;
} ref_rights[] = {
    /* supervisor-mode accesses: "data may be read from any ... address
     * with a valid translation"; "instructions may be fetched from any"
     * (no NX, no SMEP); writes: any address if WP=0, only R/W=1 if WP=1 */
    { 0, REF_READ, 'S', 1, 1 }, { 0, REF_READ, 'R', 1, 1 }, { 0, REF_READ, 'W', 1, 1 },
    { 0, REF_FETCH, 'S', 1, 1 }, { 0, REF_FETCH, 'R', 1, 1 }, { 0, REF_FETCH, 'W', 1, 1 },
    { 0, REF_WRITE, 'R', 1, 0 }, { 0, REF_WRITE, 'W', 1, 1 },
    /* user-mode accesses: only user-mode addresses; writes only where
     * R/W = 1 in every entry, whatever CR0.WP */
    { 1, REF_READ, 'S', 0, 0 }, { 1, REF_READ, 'R', 1, 1 }, { 1, REF_READ, 'W', 1, 1 },
    { 1, REF_FETCH, 'S', 0, 0 }, { 1, REF_FETCH, 'R', 1, 1 }, { 1, REF_FETCH, 'W', 1, 1 },
    { 1, REF_WRITE, 'S', 0, 0 }, { 1, REF_WRITE, 'R', 0, 0 }, { 1, REF_WRITE, 'W', 1, 1 },
};

static char ref_page_kind(const struct ref_in *in)
{
    /* A 4 MiB page has one entry: combine the PDE with an all-permissive
     * virtual PTE, which leaves the PDE's own rights. */
    char pde_us = in->pde_us ? 'U' : 'S', pde_rw = in->pde_rw ? 'W' : 'R';
    char pte_us = in->large ? 'U' : (in->pte_us ? 'U' : 'S');
    char pte_rw = in->large ? 'W' : (in->pte_rw ? 'W' : 'R');
    for (int i = 0; i < 16; i++) {
        if (ref_combined[i].pde_us == pde_us && ref_combined[i].pde_rw == pde_rw &&
            ref_combined[i].pte_us == pte_us && ref_combined[i].pte_rw == pte_rw)
            return ref_combined[i].us == 'S' ? 'S' : ref_combined[i].rw;
    }
    return '?';
}

static bool ref_allowed(const struct ref_in *in)
{
    int user = in->mode == REF_CPL3;
    char kind = ref_page_kind(in);
    if (!user && in->access == REF_WRITE && kind == 'S')
        return in->wp ? ref_all_rw(in) : true;
    for (unsigned i = 0; i < sizeof ref_rights / sizeof ref_rights[0]; i++)
        if (ref_rights[i].user == user && ref_rights[i].access == (int)in->access &&
            ref_rights[i].kind == kind)
            return in->wp ? ref_rights[i].ok_wp1 : ref_rights[i].ok_wp0;
    return false;
}

static struct ref_out ref_model(const struct ref_in *in)
{
    struct ref_out out = { 0 };
    bool present = in->pde_p && (in->large || in->pte_p);
    bool rsvd = in->large && in->pde_p && in->pde_reserved;
    bool ok = present && !rsvd && ref_allowed(in);
    if (!ok) {
        out.fault = true;
        /* §4.7: P=0 "caused by a non-present page"; RSVD implies P=1 */
        out.err = (present || rsvd ? 1 : 0) |
                  (in->access == REF_WRITE ? 2 : 0) |
                  (in->mode == REF_CPL3 ? 4 : 0) |
                  (rsvd ? 8 : 0);
        return out;   /* a faulting translation sets no A/D (P6) */
    }
    /* §4.8: A in every entry used; D in the entry mapping the page. */
    out.pde_a = true;
    if (in->large) {
        out.pde_d = in->access == REF_WRITE;
    } else {
        out.pte_a = true;
        out.pte_d = in->access == REF_WRITE;
    }
    return out;
}

#ifndef REFMODEL_NO_MAIN
#include <stdlib.h>

/* Spot rows from the manuals, checked against the model by hand. */
START_TEST(user_write_to_user_readonly_page_faults_with_err_7)
{
    struct ref_in in = { .pde_p = 1, .pde_rw = 1, .pde_us = 1, .pte_p = 1, .pte_rw = 0,
                         .pte_us = 1, .mode = REF_CPL3, .access = REF_WRITE };
    struct ref_out o = ref_model(&in);
    ck_assert(o.fault);
    ck_assert_uint_eq(o.err, 7);
}
END_TEST

START_TEST(supervisor_write_to_readonly_page_is_allowed_only_without_wp)
{
    struct ref_in in = { .pde_p = 1, .pde_rw = 0, .pde_us = 0, .pte_p = 1, .pte_rw = 1,
                         .pte_us = 0, .mode = REF_CPL0, .access = REF_WRITE };
    ck_assert(!ref_model(&in).fault);
    ck_assert(ref_model(&in).pte_d);
    in.wp = 1;
    ck_assert(ref_model(&in).fault);
    ck_assert_uint_eq(ref_model(&in).err, 3);
}
END_TEST

START_TEST(user_read_of_page_with_supervisor_pde_faults_with_err_5)
{
    struct ref_in in = { .pde_p = 1, .pde_rw = 1, .pde_us = 0, .pte_p = 1, .pte_rw = 1,
                         .pte_us = 1, .mode = REF_CPL3, .access = REF_READ };
    ck_assert_uint_eq(ref_model(&in).err, 5);
}
END_TEST

START_TEST(not_present_pte_faults_with_p_clear_and_sets_no_accessed_bit)
{
    struct ref_in in = { .pde_p = 1, .pde_rw = 1, .pde_us = 1, .pte_p = 0,
                         .mode = REF_CPL3, .access = REF_WRITE };
    struct ref_out o = ref_model(&in);
    ck_assert_uint_eq(o.err, 6);
    ck_assert(!o.pde_a);
}
END_TEST

START_TEST(implicit_supervisor_access_from_ring3_faults_with_u_clear)
{
    struct ref_in in = { .pde_p = 0, .mode = REF_CPL3_IMPLICIT_SUPERVISOR, .access = REF_READ };
    ck_assert_uint_eq(ref_model(&in).err, 0);
    in = (struct ref_in){ .pde_p = 1, .pde_us = 0, .pte_p = 1, .pte_us = 0,
                          .mode = REF_CPL3_IMPLICIT_SUPERVISOR, .access = REF_READ };
    ck_assert(!ref_model(&in).fault);
}
END_TEST

START_TEST(reserved_bit_in_4mib_pde_faults_with_rsvd)
{
    struct ref_in in = { .large = 1, .pde_p = 1, .pde_rw = 1, .pde_us = 1,
                         .pde_reserved = 1, .mode = REF_CPL0, .access = REF_READ };
    ck_assert_uint_eq(ref_model(&in).err, 9);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu reference model");
    TCase *tc = tcase_create("sdm rows");
    tcase_add_test(tc, user_write_to_user_readonly_page_faults_with_err_7);
    tcase_add_test(tc, supervisor_write_to_readonly_page_is_allowed_only_without_wp);
    tcase_add_test(tc, user_read_of_page_with_supervisor_pde_faults_with_err_5);
    tcase_add_test(tc, not_present_pte_faults_with_p_clear_and_sets_no_accessed_bit);
    tcase_add_test(tc, implicit_supervisor_access_from_ring3_faults_with_u_clear);
    tcase_add_test(tc, reserved_bit_in_4mib_pde_faults_with_rsvd);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
#endif
