/* Differential test: every generated case runs natively on the host CPU
 * (the 32-bit executor in tests/diff/native/) and on Pagoda's CPU; all GPRs,
 * EIP, EFLAGS (minus the bits the SDM leaves undefined for that case), the
 * exception vector and error code, and the data area must agree.
 *
 * Environment (all optional):
 *   PAGODA_DIFF_CASES   number of cases (default DIFF_DEFAULT_CASES)
 *   PAGODA_DIFF_SEED    generator seed (default 1)
 *   PAGODA_DIFF_FORM    only forms whose name contains this string
 *   PAGODA_DIFF_RING    3 (default) or 0: the privilege level cases run at
 *   PAGODA_DIFF_PAGING  1 (default) or 0: Pagoda runs with paging on or off
 *   PAGODA_DIFF_TLB     Pagoda's TLB geometry, as --tlb takes it ("i386", "64x4");
 *                       default DIFF_DEFAULT_TLB, else the MMU's default
 *   PAGODA_DIFF_NATIVE_TWICE=1  compare the executor with itself (harness check)
 *   PAGODA_DIFF_SHOW    how many mismatches to print in full (default 1 per form, 40 in all)
 *   PAGODA_DIFF_UNDEF=1 also report, per form, how often the flags the SDM
 *                       leaves undefined differ from the host's (not a failure) */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu.h"
#include "mmu/mmu.h"
#include "gen.h"
#include "native_pipe.h"

#ifndef DIFF_DEFAULT_CASES
#define DIFF_DEFAULT_CASES 1000000ull
#endif
#define BATCH 4096u
#ifndef DIFF_DEFAULT_TLB
#define DIFF_DEFAULT_TLB ""
#endif

static const char *const rname[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtoull(s, NULL, 0) : dflt;
}

/* Which EFLAGS bits are compared: all of 0..21 except undefined arithmetic
 * flags; after an exception, all of them (the instruction did not complete). */
static uint32_t eflags_mask(const struct diff_case *c, const struct diff_out *n)
{
    uint32_t m = 0x003fffffu;
    if (n->vector < 0)
        m &= ~c->flags_undef;
    /* REP CMPS/SCAS page-faulting after some iterations: the host reports the
     * flags the instruction started with (its microcode rolls them back),
     * though ECX/ESI/EDI show the iterations done; Pagoda keeps the flags of
     * the last comparison, which is what an interrupt between iterations
     * would show. Not compared. */
    unsigned op = c->form->op;
    if (n->vector == 14 && (op == 0xa6 || op == 0xa7 || op == 0xae || op == 0xaf))
        m &= ~(uint32_t)DF_OSZAPC;
    return m;
}

static bool vector_has_err(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

/* #PF error code bit 4 (I/D, instruction fetch) exists only with PAE/NX or
 * SMEP (SDM Vol. 3 §4.7): the host runs with NX, Pagoda's 32-bit paging has
 * none, so that bit is not compared. */
static uint32_t err_mask(int v)
{
    return v == 14 ? ~0x10u : ~0u;
}

/* Bits of GPR r not compared. Besides the case's own undefined bits: a POPA
 * that faults part-way (a page fault on a later word) leaves the host with
 * the registers it had already popped loaded; the SDM's fault semantics (and
 * Pagoda) keep them as they were. The popped registers are not compared
 * then; ESP, EIP and the vector are. */
static uint32_t reg_undef(const struct diff_case *c, const struct diff_out *n, unsigned r)
{
    if (c->form->op == 0x61 && n->vector == 14 && r != 4)
        return ~0u;
    return c->reg_undef[r];
}

static bool data_compared(const struct diff_case *c, unsigned i, unsigned flo, unsigned fhi)
{
    return !(i >= flo && i < fhi) && !(i >= c->data_undef_lo && i < c->data_undef_hi);
}

/* Selectors agree; a null selector's RPL is not compared: the host's kernel
 * returns to user mode with IRET, which may turn a null selector with RPL 3
 * into 0 when an interrupt lands between the instruction and the exit stub
 * (SDM IRET: segment registers invalid for the outer level are nulled). */
static bool sregs_equal(const struct diff_out *n, const struct diff_out *m)
{
    for (unsigned s = 0; s < 6; s++)
        if (n->sregs[s] != m->sregs[s] && ((n->sregs[s] | m->sregs[s]) & ~3u))
            return false;
    return true;
}

/* sregs: compare selectors (ring-3 runs, where Pagoda's match the executor's) */
static bool same(const struct diff_case *c, const struct diff_out *n, const struct diff_out *m,
                 unsigned flo, unsigned fhi, bool compare_sregs)
{
    if (n->vector != m->vector || n->eip != m->eip)
        return false;
    if (compare_sregs && !sregs_equal(n, m))
        return false;
    if (vector_has_err(n->vector) && ((n->err ^ m->err) & err_mask(n->vector)))
        return false;
    for (unsigned r = 0; r < 8; r++)
        if ((n->regs[r] ^ m->regs[r]) & ~reg_undef(c, n, r))
            return false;
    if ((n->eflags ^ m->eflags) & eflags_mask(c, n))
        return false;
    for (unsigned i = 0; i < DIFF_DATA_SIZE; i++)
        if (n->data[i] != m->data[i] && data_compared(c, i, flo, fhi))
            return false;
    return true;
}

static void print_out(FILE *f, const char *who, const struct diff_out *o)
{
    fprintf(f, "  %s:", who);
    for (unsigned r = 0; r < 8; r++)
        fprintf(f, " %s=%08x", rname[r], o->regs[r]);
    fprintf(f, " eip=%08x eflags=%08x es/cs/ss/ds/fs/gs=%04x/%04x/%04x/%04x/%04x/%04x", o->eip, o->eflags,
            o->sregs[0], o->sregs[1], o->sregs[2], o->sregs[3], o->sregs[4], o->sregs[5]);
    if (o->vector >= 0)
        fprintf(f, " EXC %d err %#x", o->vector, o->err);
    else if (o->vector == -2)
        fprintf(f, " (no progress in the step budget)");
    else if (o->vector == -3)
        fprintf(f, " (triple fault)");
    fprintf(f, "\n");
}

static void print_mismatch(FILE *f, uint64_t index, const struct diff_case *c, const struct diff_out *n,
                           const struct diff_out *m, unsigned flo, unsigned fhi, bool compare_sregs)
{
    fprintf(f, "MISMATCH case %llu\n", (unsigned long long)index);
    diff_print_in(f, c);
    print_out(f, "native", n);
    print_out(f, "pagoda", m);
    fprintf(f, "  differs:");
    if (n->vector != m->vector)
        fprintf(f, " vector");
    if (vector_has_err(n->vector) && ((n->err ^ m->err) & err_mask(n->vector)))
        fprintf(f, " err");
    if (n->vector == 14 && n->cr2 != m->cr2)
        fprintf(f, " cr2(native %#x pagoda %#x)", n->cr2, m->cr2);
    if (n->eip != m->eip)
        fprintf(f, " eip");
    if (compare_sregs && !sregs_equal(n, m))
        fprintf(f, " selectors");
    for (unsigned r = 0; r < 8; r++)
        if ((n->regs[r] ^ m->regs[r]) & ~reg_undef(c, n, r))
            fprintf(f, " %s", rname[r]);
    uint32_t fx = (n->eflags ^ m->eflags) & eflags_mask(c, n);
    if (fx)
        fprintf(f, " eflags(xor %#x, undefined-not-compared %#x)", fx, c->flags_undef);
    for (unsigned i = 0; i < DIFF_DATA_SIZE; i++)
        if (n->data[i] != m->data[i] && data_compared(c, i, flo, fhi))
            fprintf(f, " data[%#x]: in %02x native %02x pagoda %02x;", i, c->in.data[i],
                    n->data[i], m->data[i]);
    fprintf(f, "\n");
}

struct run_stats {
    uint64_t cases, mismatches, native_faults, skipped;
    double seconds;
};

/* harness_check: run the executor twice on ncases instead of Pagoda */
static void run_diff(struct run_stats *st, bool harness_check, uint64_t check_cases)
{
    uint64_t ncases = harness_check ? check_cases : env_u64("PAGODA_DIFF_CASES", DIFF_DEFAULT_CASES);
    uint64_t seed = env_u64("PAGODA_DIFF_SEED", 1);
    int ring = (int)env_u64("PAGODA_DIFF_RING", 3);
    /* ring 0 pushes exception frames wherever ESP points: with paging that
     * can end in a triple fault, so ring-0 runs keep paging off */
    bool paging = ring == 3 && env_u64("PAGODA_DIFF_PAGING", 1) != 0;
    const char *tlb = getenv("PAGODA_DIFF_TLB");
    if (!tlb || !*tlb)
        tlb = DIFF_DEFAULT_TLB;
    unsigned tlb_sets = TLB_DEFAULT_SETS, tlb_ways = TLB_DEFAULT_WAYS;
    ck_assert_msg(!*tlb || mmu_parse_tlb_geometry(tlb, &tlb_sets, &tlb_ways) == 0, "bad TLB geometry '%s'", tlb);
    bool twice = harness_check || env_u64("PAGODA_DIFF_NATIVE_TWICE", 0) != 0;
    uint64_t show = env_u64("PAGODA_DIFF_SHOW", 0);
    const char *only = getenv("PAGODA_DIFF_FORM");

    /* forms in play */
    unsigned *forms = malloc(sizeof *forms * diff_nforms), nf = 0;
    ck_assert_ptr_nonnull(forms);
    for (unsigned i = 0; i < diff_nforms; i++)
        if ((!only || strstr(diff_forms[i].name, only)) && (ring == 3 || !diff_form_needs_ring3(&diff_forms[i])))
            forms[nf++] = i;
    ck_assert_msg(nf > 0, "no generator form matches PAGODA_DIFF_FORM=%s", only ? only : "");
    uint64_t *form_bad = calloc(diff_nforms, sizeof *form_bad);
    ck_assert_ptr_nonnull(form_bad);
    bool undef_report = env_u64("PAGODA_DIFF_UNDEF", 0) != 0;
    uint64_t (*undef_diff)[2] = calloc(diff_nforms, sizeof *undef_diff);   /* [cases, differing] */
    uint32_t *undef_bits = calloc(diff_nforms, sizeof *undef_bits);
    ck_assert(undef_diff && undef_bits);

    char err[256];
    struct native_pipe np;
    ck_assert_msg(native_start(&np, DIFF_NATIVE_PATH, err, sizeof err) == 0, "%s", err);
    struct diff_hello hello;
    ck_assert_msg(native_hello(&np, &hello) == 0, "native executor did not answer");
    struct diff_env env;
    memcpy(env.sel, hello.sregs, sizeof env.sel);
    bool compare_sregs = ring == 3 || twice;
    struct diff_emu *emu = NULL;
    if (!twice) {
        emu = diff_emu_create(ring, paging, tlb_sets, tlb_ways, env.sel, err, sizeof err);
        ck_assert_msg(emu != NULL, "diff_emu_create: %s", err);
    }

    struct diff_case *cases = malloc(sizeof *cases * BATCH);
    struct diff_in *ins = malloc(sizeof *ins * BATCH);
    struct diff_out *nat = malloc(sizeof *nat * BATCH), *emo = malloc(sizeof *emo * BATCH);
    ck_assert(cases && ins && nat && emo);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(st, 0, sizeof *st);
    uint64_t shown = 0;
    for (uint64_t base = 0; base < ncases; base += BATCH) {
        uint32_t n = (uint32_t)(ncases - base < BATCH ? ncases - base : BATCH);
        for (uint32_t i = 0; i < n; i++) {
            uint64_t idx = base + i;
            diff_gen_form(&env, seed, idx, &diff_forms[forms[idx % nf]], &cases[i]);
            if (!paging)   /* page protections need Pagoda's paging */
                cases[i].in.flags &= (uint8_t)~DIFF_F_PAGES;
            ins[i] = cases[i].in;
        }
        ck_assert_msg(native_run(&np, ins, nat, n) == 0, "native executor died at batch %llu",
                      (unsigned long long)base);
        if (twice)
            ck_assert_msg(native_run(&np, ins, emo, n) == 0, "native executor died");
        for (uint32_t i = 0; i < n; i++) {
            unsigned flo = 0, fhi = 0;
            if (!twice) {
                if (diff_emu_run(emu, &ins[i], &emo[i]) == 1) {
                    st->skipped++;   /* ring 0: the frame left guest RAM */
                    continue;
                }
                diff_emu_frame_span(emu, &flo, &fhi);
                if (emo[i].vector == -3) {   /* shutdown: a fresh machine for the next case */
                    diff_emu_destroy(emu);
                    emu = diff_emu_create(ring, paging, tlb_sets, tlb_ways, env.sel, err, sizeof err);
                    ck_assert_msg(emu != NULL, "diff_emu_create: %s", err);
                }
            }
            st->cases++;
            if (nat[i].vector >= 0)
                st->native_faults++;
            if (nat[i].vector < 0 && cases[i].flags_undef) {
                unsigned fi = (unsigned)(cases[i].form - diff_forms);
                uint32_t x = (nat[i].eflags ^ emo[i].eflags) & cases[i].flags_undef;
                undef_diff[fi][0]++;
                if (x) {
                    undef_diff[fi][1]++;
                    undef_bits[fi] |= x;
                }
            }
            if (same(&cases[i], &nat[i], &emo[i], flo, fhi, compare_sregs))
                continue;
            st->mismatches++;
            unsigned fi = (unsigned)(cases[i].form - diff_forms);
            bool first_of_form = form_bad[fi]++ == 0;
            if ((show ? shown < show : (first_of_form && shown < 40))) {
                shown++;
                print_mismatch(stdout, base + i, &cases[i], &nat[i], &emo[i], flo, fhi, compare_sregs);
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;

    if (st->mismatches) {
        printf("mismatches by form:\n");
        for (unsigned i = 0; i < diff_nforms; i++)
            if (form_bad[i])
                printf("  %-24s %llu\n", diff_forms[i].name, (unsigned long long)form_bad[i]);
    }
    if (undef_report) {
        printf("undefined flags that differ from the host (form: cases with undefined flags, differing, bits):\n");
        for (unsigned i = 0; i < diff_nforms; i++)
            if (undef_diff[i][0])
                printf("  %-24s %8llu %8llu  %#05x\n", diff_forms[i].name, (unsigned long long)undef_diff[i][0],
                       (unsigned long long)undef_diff[i][1], undef_bits[i]);
    }
    printf("diff: %llu cases compared (%u forms, seed %llu, ring %d, paging %s, TLB %ux%u%s), %llu mismatches, "
           "%llu native exceptions, %llu skipped, %.1f s\n",
           (unsigned long long)st->cases, nf, (unsigned long long)seed, ring, paging ? "on" : "off",
           tlb_sets, tlb_ways,
           twice ? ", native vs native" : "", (unsigned long long)st->mismatches,
           (unsigned long long)st->native_faults, (unsigned long long)st->skipped, st->seconds);
    fflush(stdout);

    ck_assert_int_eq(native_stop(&np), 0);
    diff_emu_destroy(emu);
    free(cases); free(ins); free(nat); free(emo); free(forms); free(form_bad); free(undef_diff); free(undef_bits);
}

START_TEST(every_case_matches_the_host_cpu)
{
    struct run_stats st;
    run_diff(&st, false, 0);
    ck_assert_msg(st.mismatches == 0, "%llu of %llu cases differ from the host CPU",
                  (unsigned long long)st.mismatches, (unsigned long long)st.cases);
}
END_TEST

START_TEST(native_executor_runs_identical_cases_identically)
{
    /* the harness itself: same inputs twice through the executor */
    struct run_stats st;
    run_diff(&st, true, 20000);
    ck_assert_int_eq(st.mismatches, 0);
    ck_assert(st.native_faults > 0);     /* the #DE / #UD / INT3 paths were exercised */
}
END_TEST

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);   /* reports survive a failing forked test */
    Suite *s = suite_create("diff");
    TCase *tc = tcase_create("host");
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, native_executor_runs_identical_cases_identically);
    tcase_add_test(tc, every_case_matches_the_host_cpu);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
