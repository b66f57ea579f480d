/* Monitor commands on the hand-built machine of test_debug_fixture.h:
 * exact output lines, and the run commands' stops. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug/debugger.h"
#include "test_debug_fixture.h"

static struct machine *m;
static struct debugger d;

static void setup(void)
{
    m = fixture_machine();
    ck_assert_ptr_nonnull(m);
    dbg_init(&d, m);
}

static void teardown(void)
{
    dbg_free(&d);
    machine_destroy(m);
}

/* Run one command; returns its output (caller frees) and its status. */
static char *run(const char *line, int *status)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    int st = monitor_exec(&d, line, f);
    fclose(f);
    if (status)
        *status = st;
    return text;
}

static void expect(const char *line, const char *want)
{
    int st;
    char *got = run(line, &st);
    ck_assert_int_eq(st, MON_OK);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(regs_decodes_eflags_segments_and_control_registers)
{
    expect("regs",
           "EAX=00000000 EBX=00000000 ECX=00000000 EDX=00000619\n"
           "ESI=00000000 EDI=00000000 EBP=00000000 ESP=00007000\n"
           "EIP=00100000 EFLAGS=00000002 [ ] IOPL=0 CPL=0\n"
           "ES  =0010 base=00000000 limit=ffffffff flags=c093 data rw 32-bit DPL0\n"
           "CS  =0008 base=00000000 limit=ffffffff flags=c09b code rx 32-bit DPL0\n"
           "SS  =0010 base=00000000 limit=ffffffff flags=c093 data rw 32-bit DPL0\n"
           "DS  =0010 base=00000000 limit=ffffffff flags=c093 data rw 32-bit DPL0\n"
           "FS  =0010 base=00000000 limit=ffffffff flags=c093 data rw 32-bit DPL0\n"
           "GS  =0010 base=00000000 limit=ffffffff flags=c093 data rw 32-bit DPL0\n"
           "LDTR=0000 base=00000000 limit=0000ffff flags=0082 LDT DPL0\n"
           "TR  =0000 base=00000000 limit=0000ffff flags=008b 32-bit TSS busy DPL0\n"
           "GDTR base=00000000 limit=ffff  IDTR base=00000000 limit=ffff\n"
           "CR0=e0010011 [ PE ET WP NW CD PG ] CR2=00000000 CR3=00020000 CR4=00000010 [ PSE ]\n"
           "icount=0\n");
}
END_TEST

START_TEST(regs_names_set_flags_and_iopl)
{
    cpu_set_eflags(m->cpu, 0x2u | F_CF | F_ZF | F_IF | (3u << 12));
    char *got = run("regs", NULL);
    ck_assert_ptr_nonnull(strstr(got, "EFLAGS=00003243 [ CF ZF IF ] IOPL=3 CPL=0\n"));
    free(got);
}
END_TEST

START_TEST(translate_user_write_to_readonly_page_faults_with_err_7)
{
    expect("translate 0x08048004 w user",
           "user write of lin 08048004 (probe: nothing written)\n"
           "  CR3 00020000: page directory at 00020000\n"
           "  PDE[  32] at 00020080 = 00022007  P RW U\n"
           "  PTE[  72] at 00022120 = 00300025  P RO U A\n"
           "  #PF error 7 (P W U): user write to a read-only page\n"
           "  TLB: no entry for 08048000\n");
}
END_TEST

START_TEST(translate_4mib_page_takes_one_step)
{
    expect("page c0001234",
           "supervisor read of lin c0001234 (probe: nothing written)\n"
           "  CR3 00020000: page directory at 00020000\n"
           "  PDE[ 768] at 00020c00 = 00400183  P RW S PS G  would set A\n"
           "  -> phys 00401234 (4 MiB page, supervisor read/write)\n"
           "  TLB: no entry for c0001000\n");
}
END_TEST

START_TEST(translate_missing_pde_faults_with_err_0)
{
    expect("translate 09000000",
           "supervisor read of lin 09000000 (probe: nothing written)\n"
           "  CR3 00020000: page directory at 00020000\n"
           "  PDE[  36] at 00020090 = 00000000  - RO S\n"
           "  #PF error 0 (not-P R S): PDE not present\n"
           "  TLB: no entry for 09000000\n");
}
END_TEST

START_TEST(translate_supervisor_write_to_readonly_page_with_wp_faults_with_err_3)
{
    char *got = run("translate 5000 w", NULL);
    ck_assert_ptr_nonnull(strstr(got, "  #PF error 3 (P W S): supervisor write to a read-only page with CR0.WP=1\n"));
    free(got);
}
END_TEST

START_TEST(translate_sets_no_accessed_bits)
{
    char *got = run("translate 08049000 w", NULL);
    free(got);
    ck_assert_uint_eq(phys_read(m->phys, FIX_PD + 0x20 * 4, 4), FIX_PTU | PG_P | PG_RW | PG_US);
    ck_assert_uint_eq(m->mmu.tlb.st.walks, 0);
}
END_TEST

START_TEST(translate_shows_the_tlb_entry_after_a_fetch)
{
    free(run("step", NULL));
    char *got = run("translate 100000", NULL);
    ck_assert_ptr_nonnull(strstr(got, "  TLB set 256 way 0: 00100000 -> 00100000  - w w - - -\n"));
    free(got);
}
END_TEST

START_TEST(x_reads_dwords_and_bytes_through_the_page_tables)
{
    expect("x/4d 08048000", "08048000: deadbeef 04030201 00000000 00000000\n");
    expect("x/8b 08048000", "08048000: ef be ad de 01 02 03 04\n");
    expect("xp/2w 300000", "00300000: beef dead\n");
    expect("x/5d 0x08048000",
           "08048000: deadbeef 04030201 00000000 00000000\n"
           "08048010: 00000000\n");
}
END_TEST

START_TEST(x_stops_at_an_unmapped_page)
{
    int st;
    char *got = run("x/2d 08049ffc", &st);
    ck_assert_int_eq(st, MON_ERROR);
    ck_assert_str_eq(got, "08049ffc: 00000000\nlin 0804a000: not readable (PTE not present)\n");
    free(got);
}
END_TEST

START_TEST(info_mem_lists_ranges_with_rights)
{
    expect("info mem",
           "00005000-00006000 00001000 -r-\n"
           "00100000-00110000 00010000 -rw\n"
           "08048000-08049000 00001000 ur-\n"
           "08049000-0804a000 00001000 urw\n"
           "c0000000-c0400000 00400000 -rw\n");
}
END_TEST

START_TEST(info_tab_coalesces_runs_contiguous_in_both_spaces)
{
    expect("info tab",
           "cr3: 00020000\n"
           "00005000-00005fff -> 00005000-00005fff\n"
           "00100000-0010ffff -> 00100000-0010ffff\n"
           "08048000-08049fff -> 00300000-00301fff\n"
           "c0000000-c03fffff -> 00400000-007fffff\n");
}
END_TEST

START_TEST(info_mem_without_paging_says_so)
{
    cpu_set_cr(m->cpu, 0, cpu_get_cr(m->cpu, 0) & ~CR0_PG);
    expect("info mem", "paging is disabled: linear = physical\n");
}
END_TEST

START_TEST(until_tlb_stops_after_the_first_fetch_miss)
{
    expect("until tlb", "TLB miss, next instruction at 00100005 (1 instruction, icount 1)\n");
    char *got = run("tlb", NULL);
    ck_assert_ptr_nonnull(strstr(got, "TLB 1024 sets x 1 ways: 1 valid entries\n"
                                      "hits 0  misses 1 (100.00%)  walks 1  page faults 0  invlpg 0\n"));
    ck_assert_ptr_nonnull(strstr(got, " set way  lin page    phys page  U Wu Ws D G L\n"
                                      " 256   0  00100000 -> 00100000  - w w - - -\n"));
    free(got);
}
END_TEST

START_TEST(watch_stops_after_the_write_and_names_the_byte)
{
    expect("watch 301000", "watch 0 on writes to phys page 00301000\n");
    expect("continue 100",
           "watch 0: phys 00301010 written, next instruction at 0010000a (2 instructions, icount 2)\n");
    expect("x/1d 08049010", "08049010: 11223344\n");
}
END_TEST

START_TEST(breakpoint_stops_before_its_instruction)
{
    expect("break 10000b", "breakpoint 0 at 0010000b\n");
    expect("c 100", "breakpoint 0 at 0010000b (3 instructions, icount 3)\n");
    ck_assert_uint_eq(cpu_get_reg(m->cpu, R_EAX), 0x11223345u);
    expect("info break", "breakpoint 0 at 0010000b, hit 1 times\n");
    expect("delete 0", "deleted breakpoint 0\n");
    expect("info break", "no breakpoints or watches\n");
}
END_TEST

START_TEST(step_executes_exactly_n_instructions)
{
    expect("step 2", "stopped at 0010000a (2 instructions, icount 2)\n");
    expect("step", "stopped at 0010000b (1 instruction, icount 3)\n");
}
END_TEST

START_TEST(trace_prints_each_address)
{
    expect("trace 3",
           "         0  00100000  mov eax, 0x11223344\n"
           "         1  00100005  mov dword [0x8049010], eax\n"
           "         2  0010000a  inc eax\n");
}
END_TEST

START_TEST(u_and_x_i_disassemble_through_the_page_tables)
{
    expect("u 100000 3",
           "00100000: b844332211           mov eax, 0x11223344\n"
           "00100005: a310900408           mov dword [0x8049010], eax\n"
           "0010000a: 40                   inc eax\n");
    expect("x/2i 10000b",
           "0010000b: 90                   nop\n"
           "0010000c: ebfe                 jmp 0x0010000c\n");
    int st;
    char *got = run("u 09000000 1", &st);
    ck_assert_int_eq(st, MON_ERROR);
    ck_assert_str_eq(got, "09000000: not readable\n");
    free(got);
}
END_TEST

START_TEST(events_decode_page_fault_error_codes)
{
    events_push(&m->ev, EV_PAGE_FAULT, 0x08048004u, 7, 0x0804900fu, 0);
    events_push(&m->ev, EV_EXCEPTION, 14, 7, 0x0804900fu, 0);
    events_push(&m->ev, EV_INVLPG, 0xc0001000u, 1, 0, 0);
    expect("events 3",
           "    icount  event        details\n"
           "         0  page-fault   lin 08048004 err 7 (P W U) eip 0804900f\n"
           "         0  exception    vector 14 (#PF) err 7 eip 0804900f\n"
           "         0  invlpg       lin c0001000, 1 entries dropped\n");
}
END_TEST

START_TEST(unknown_command_is_an_error)
{
    int st;
    char *got = run("frobnicate", &st);
    ck_assert_int_eq(st, MON_ERROR);
    ck_assert_str_eq(got, "unknown command 'frobnicate' (try help)\n");
    free(got);
    ck_assert_int_eq(monitor_exec(&d, "quit", stdout), MON_QUIT);
}
END_TEST

START_TEST(repl_runs_lines_and_repeats_step_on_empty_line)
{
    static const char script[] = "step\n\nregs\nquit\nstep\n";
    FILE *in = fmemopen((void *)script, sizeof script - 1, "r");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ck_assert_int_eq(monitor_repl(&d, in, out, true), MON_QUIT);
    fclose(in);
    fclose(out);
    ck_assert_uint_eq(cpu_icount(m->cpu), 2);   /* step, repeated; nothing after quit */
    const char *want = "(pagoda) stopped at 00100005 (1 instruction, icount 1)\n"
                       "(pagoda) stopped at 0010000a (1 instruction, icount 2)\n"
                       "(pagoda) EAX=";
    ck_assert_msg(!strncmp(text, want, strlen(want)), "got: %s", text);
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("debug_monitor");
    TCase *tc = tcase_create("monitor");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, regs_decodes_eflags_segments_and_control_registers);
    tcase_add_test(tc, regs_names_set_flags_and_iopl);
    tcase_add_test(tc, translate_user_write_to_readonly_page_faults_with_err_7);
    tcase_add_test(tc, translate_4mib_page_takes_one_step);
    tcase_add_test(tc, translate_missing_pde_faults_with_err_0);
    tcase_add_test(tc, translate_supervisor_write_to_readonly_page_with_wp_faults_with_err_3);
    tcase_add_test(tc, translate_sets_no_accessed_bits);
    tcase_add_test(tc, translate_shows_the_tlb_entry_after_a_fetch);
    tcase_add_test(tc, x_reads_dwords_and_bytes_through_the_page_tables);
    tcase_add_test(tc, x_stops_at_an_unmapped_page);
    tcase_add_test(tc, info_mem_lists_ranges_with_rights);
    tcase_add_test(tc, info_tab_coalesces_runs_contiguous_in_both_spaces);
    tcase_add_test(tc, info_mem_without_paging_says_so);
    tcase_add_test(tc, until_tlb_stops_after_the_first_fetch_miss);
    tcase_add_test(tc, watch_stops_after_the_write_and_names_the_byte);
    tcase_add_test(tc, breakpoint_stops_before_its_instruction);
    tcase_add_test(tc, step_executes_exactly_n_instructions);
    tcase_add_test(tc, trace_prints_each_address);
    tcase_add_test(tc, u_and_x_i_disassemble_through_the_page_tables);
    tcase_add_test(tc, events_decode_page_fault_error_codes);
    tcase_add_test(tc, unknown_command_is_an_error);
    tcase_add_test(tc, repl_runs_lines_and_repeats_step_on_empty_line);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
