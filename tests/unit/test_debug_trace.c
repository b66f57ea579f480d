/* Event tracing on the fixture machine: the trace names each event in the
 * order it happened, filtered by kind. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug/trace.h"
#include "test_debug_fixture.h"

static struct machine *m;
static struct debugger d;

/* After the fixture's first instructions: reload CR3, then write to an
 * address no PDE maps. There is no IDT, so the #PF becomes a #DF and then
 * a triple fault, which stops the machine. */
static void setup(void)
{
    m = fixture_machine();
    ck_assert_ptr_nonnull(m);
    static const uint8_t code[] = { 0x0F, 0x20, 0xD8, 0x0F, 0x22, 0xD8, 0xA2, 0x00, 0x00, 0x00, 0x09 };
    phys_write_block(m->phys, 0x10000cu, code, sizeof code);
    dbg_init(&d, m);
}

static void teardown(void)
{
    dbg_free(&d);
    machine_destroy(m);
}

static char *trace(uint32_t kinds, enum machine_stop *stop)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct machine_result res;
    *stop = dbg_trace_run(&d, f, kinds, &res);
    fclose(f);
    return text;
}

START_TEST(trace_lists_events_in_order_until_the_machine_stops)
{
    enum machine_stop stop;
    char *t = trace(0, &stop);
    ck_assert_int_eq(stop, MSTOP_TRIPLE_FAULT);
    /* the #PF's delivery reads IDT entry 14 at linear 0x70, which no PDE
     * maps: a #PF there is a #DF, whose IDT entry at 0x40 faults again */
    ck_assert_str_eq(t,
        "#     icount  event        details\n"
        "         5  cr3-load     cr3 00020000 (was 00020000)\n"
        "         5  tlb-flush    CR3 load, 2 entries dropped\n"
        "         6  page-fault   lin 09000000 err 2 (not-P W S) eip 00100012\n"
        "         6  exception    vector 14 (#PF) err 2 eip 00100012\n"
        "         6  page-fault   lin 00000070 err 0 (not-P R S) eip 00100012\n"
        "         6  exception    vector 8 (#DF) err 0 eip 00100012\n"
        "         6  page-fault   lin 00000040 err 0 (not-P R S) eip 00100012\n"
        "         6  triple-fault eip 00100012\n");
    free(t);
}
END_TEST

START_TEST(trace_filters_by_kind)
{
    uint32_t kinds;
    char err[128];
    ck_assert_int_eq(dbg_trace_parse_kinds("pf,cr3", &kinds, err, sizeof err), 0);
    enum machine_stop stop;
    char *t = trace(kinds, &stop);
    ck_assert_str_eq(t,
        "#     icount  event        details\n"
        "         5  cr3-load     cr3 00020000 (was 00020000)\n"
        "         6  page-fault   lin 09000000 err 2 (not-P W S) eip 00100012\n"
        "         6  page-fault   lin 00000070 err 0 (not-P R S) eip 00100012\n"
        "         6  page-fault   lin 00000040 err 0 (not-P R S) eip 00100012\n");
    free(t);
    ck_assert_int_eq(dbg_trace_parse_kinds("pf,bogus", &kinds, err, sizeof err), -1);
    ck_assert_str_eq(err, "unknown event kind 'bogus' (pf, exc, cr3, flush, invlpg, irq, dma, triple, info, all)");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("debug_trace");
    TCase *tc = tcase_create("trace");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, trace_lists_events_in_order_until_the_machine_stops);
    tcase_add_test(tc, trace_filters_by_kind);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
