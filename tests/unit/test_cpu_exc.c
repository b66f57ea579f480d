/* Exceptions 0-14 in protected mode: vector, fault or trap class (the
 * pushed EIP), error code and frame, per the SDM Vol. 3 §6.15 table of
 * exceptions and ch. 17 for #DB. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_fixture.h"
#include "machine/events.h"

#define TSS2_SEL 0x58    /* a TSS whose limit is too small */
#define U_SMALL 0x63     /* ring-3 data, limit 0xff */

/* The fixture's machine with two more GDT entries: TSS2_SEL, a TSS too
 * short to switch to, and U_SMALL. */
static struct vm *vm_new_with_short_tss(void)
{
    struct vm *v = vm_new_protected();
    write_qword(v, GDT + 0x58, seg_descriptor(0x3800, 0x20, 0x89, 0));
    write_qword(v, GDT + 0x60, seg_descriptor(0x20000, 0xff, 0xf3, 0x4));
    cpu_set_gdtr(v->c, GDT, 0x67);
    return v;
}

static uint32_t frame(struct vm *v, unsigned k) { return read_dword(v, cpu_get_reg(v->c, R_ESP) + 4 * k); }

START_TEST(divide_by_zero_is_fault_0_without_error_code)
{
    struct vm *v = vm_new_with_short_tss();
    load_bytes(v, CODE, (uint8_t[]){0x31, 0xc9, 0xf7, 0xf1}, 4);   /* xor ecx,ecx; div ecx */
    ck_assert_int_eq(run_to_handler(v), 0);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESP), STACK0 - 12);
    ck_assert_uint_eq(frame(v, 0), CODE + 2);
    vm_free(v);
}
END_TEST

START_TEST(instruction_breakpoint_is_a_db_fault_with_dr6_b0)
{
    struct vm *v = vm_new_with_short_tss();
    load_bytes(v, CODE, (uint8_t[]){0x90, 0x90, 0x90}, 3);
    cpu_set_dr(v->c, 0, CODE + 2);
    cpu_set_dr(v->c, 7, 0x401);   /* L0, execute, length 1 */
    ck_assert_int_eq(run_to_handler(v), 1);
    ck_assert_uint_eq(frame(v, 0), CODE + 2);
    ck_assert_uint_eq(cpu_get_dr(v->c, 6) & 0xf, 1);
    vm_free(v);
}
END_TEST

START_TEST(nmi_is_delivered_through_vector_2)
{
    struct vm *v = vm_new_with_short_tss();
    load_bytes(v, CODE, (uint8_t[]){0x90, 0x90}, 2);
    cpu_set_nmi(v->c);
    ck_assert_int_eq(run_to_handler(v), 2);
    ck_assert_uint_eq(frame(v, 0), CODE);
    vm_free(v);
}
END_TEST

START_TEST(int3_is_trap_3_pushing_the_next_eip)
{
    struct vm *v = vm_new_with_short_tss();
    load_bytes(v, CODE, (uint8_t[]){0x90, 0xcc}, 2);
    ck_assert_int_eq(run_to_handler(v), 3);
    ck_assert_uint_eq(frame(v, 0), CODE + 2);
    ck_assert_uint_eq(frame(v, 2) & 0x10000, 0);   /* a trap: RF clear in the image */
    vm_free(v);
}
END_TEST

START_TEST(into_with_of_set_is_trap_4)
{
    struct vm *v = vm_new_with_short_tss();
    load_bytes(v, CODE, (uint8_t[]){0xb0, 0x7f, 0x04, 0x01, 0xce}, 5);   /* mov al,7fh; add al,1; into */
    ck_assert_int_eq(run_to_handler(v), 4);
    ck_assert_uint_eq(frame(v, 0), CODE + 5);
    vm_free(v);
}
END_TEST

START_TEST(bound_out_of_range_is_fault_5)
{
    struct vm *v = vm_new_with_short_tss();
    phys_write(v->p, 0x5000, 10, 4);
    phys_write(v->p, 0x5004, 20, 4);
    /* mov eax,21; bound eax,[5000h] */
    load_bytes(v, CODE, (uint8_t[]){0xb8, 21, 0, 0, 0, 0x62, 0x05, 0x00, 0x50, 0x00, 0x00}, 11);
    ck_assert_int_eq(run_to_handler(v), 5);
    ck_assert_uint_eq(frame(v, 0), CODE + 5);
    vm_free(v);
}
END_TEST

START_TEST(ud2_is_fault_6)
{
    struct vm *v = vm_new_with_short_tss();
    load_bytes(v, CODE, (uint8_t[]){0x0f, 0x0b}, 2);
    ck_assert_int_eq(run_to_handler(v), 6);
    ck_assert_uint_eq(frame(v, 0), CODE);
    vm_free(v);
}
END_TEST

START_TEST(x87_escape_with_cr0_em_is_fault_7)
{
    struct vm *v = vm_new_with_short_tss();
    cpu_set_cr(v->c, 0, cpu_get_cr(v->c, 0) | 4);
    load_bytes(v, CODE, (uint8_t[]){0xd9, 0xe8}, 2);    /* fld1 */
    ck_assert_int_eq(run_to_handler(v), 7);
    ck_assert_uint_eq(frame(v, 0), CODE);
    vm_free(v);
}
END_TEST

START_TEST(task_switch_to_a_too_short_tss_is_ts_with_its_selector)
{
    struct vm *v = vm_new_with_short_tss();
    load_bytes(v, CODE, (uint8_t[]){0xea, 0, 0, 0, 0, TSS2_SEL, 0}, 7);
    ck_assert_int_eq(run_to_handler(v), 10);
    ck_assert_uint_eq(frame(v, 0), TSS2_SEL);
    ck_assert_uint_eq(frame(v, 1), CODE);
    vm_free(v);
}
END_TEST

START_TEST(push_below_a_ring3_stack_limit_is_ss_zero_on_the_ring0_stack)
{
    struct vm *v = vm_new_with_short_tss();
    /* mov ax,63h; mov ss,ax; mov esp,0; push eax */
    load_bytes(v, CODE, (uint8_t[]){0x66, 0xb8, U_SMALL, 0x00, 0x8e, 0xd0, 0xbc, 0, 0, 0, 0, 0x50}, 12);
    enter_ring3(v);
    ck_assert_int_eq(run_to_handler(v), 12);
    ck_assert_uint_eq(frame(v, 0), 0);            /* error code */
    ck_assert_uint_eq(frame(v, 1), CODE + 11);    /* the PUSH */
    ck_assert_uint_eq(frame(v, 4), 0);            /* ESP as it was */
    ck_assert_uint_eq(frame(v, 5), U_SMALL);      /* SS */
    vm_free(v);
}
END_TEST

START_TEST(not_present_page_is_pf_with_cr2_and_error_code)
{
    struct vm *v = vm_new_with_short_tss();
    /* page directory at 0x50000: PDE 0 -> page table at 0x51000 mapping 0-4 MiB
     * identity, except page 0x200000 not present */
    phys_write(v->p, 0x50000, 0x51000 | 3, 4);
    for (uint32_t k = 0; k < 1024; k++)
        phys_write(v->p, 0x51000 + 4 * k, k == 0x200 ? 0 : (k << 12) | 3, 4);
    load_bytes(v, CODE, (uint8_t[]){0xa1, 0x10, 0x00, 0x20, 0x00}, 5);   /* mov eax,[200010h] */
    cpu_set_cr(v->c, 3, 0x50000);
    cpu_set_cr(v->c, 0, cpu_get_cr(v->c, 0) | 0x80000000u);
    ck_assert_int_eq(run_to_handler(v), 14);
    ck_assert_uint_eq(frame(v, 0), 0);            /* not present, read, supervisor */
    ck_assert_uint_eq(frame(v, 1), CODE);
    ck_assert_uint_eq(cpu_get_cr(v->c, 2), 0x200010);
    vm_free(v);
}
END_TEST

START_TEST(external_interrupt_is_taken_between_instructions_when_if_is_set)
{
    struct vm *v = vm_new_with_short_tss();
    load_bytes(v, CODE, (uint8_t[]){0x90, 0x90, 0x90}, 3);
    cpu_set_eflags(v->c, 0x202);
    v->irq_vector = 0x40;
    cpu_set_intr(v->c, true);
    ck_assert_int_eq(run_to_handler(v), 0x40);
    ck_assert_uint_eq(frame(v, 0), CODE);
    ck_assert_uint_eq(frame(v, 2) & 0x200, 0x200);
    ck_assert_int_eq(cpu_last_exception(v->c, NULL), 0x40);
    vm_free(v);
}
END_TEST

START_TEST(external_interrupt_waits_while_if_is_clear)
{
    struct vm *v = vm_new_with_short_tss();
    load_bytes(v, CODE, (uint8_t[]){0x90, 0x90, 0xf4}, 3);
    cpu_set_eflags(v->c, 0x2);
    v->irq_vector = 0x40;
    cpu_set_intr(v->c, true);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_eip(v->c), CODE + 3);
    cpu_set_intr(v->c, false);
    vm_free(v);
}
END_TEST

START_TEST(misaligned_ring3_access_with_am_and_ac_is_fault_17)
{
    struct vm *v = vm_new_with_short_tss();
    /* mov eax,[5000h] (aligned: fine); mov eax,[5001h] */
    load_bytes(v, CODE, (uint8_t[]){0xa1, 0x00, 0x50, 0, 0, 0xa1, 0x01, 0x50, 0, 0}, 10);
    cpu_set_cr(v->c, 0, cpu_get_cr(v->c, 0) | (1u << 18));
    enter_ring3(v);
    cpu_set_eflags(v->c, 0x40002);
    ck_assert_int_eq(run_to_handler(v), 17);
    ck_assert_uint_eq(frame(v, 0), 0);
    ck_assert_uint_eq(frame(v, 1), CODE + 5);
    vm_free(v);
}
END_TEST

START_TEST(misaligned_access_without_eflags_ac_is_allowed)
{
    struct vm *v = vm_new_with_short_tss();
    load_bytes(v, CODE, (uint8_t[]){0xa1, 0x01, 0x50, 0, 0, 0xcd, 0x81}, 7);
    set_idt_gate(v, 0x81, gate_descriptor(K_CODE, HANDLERS + 16 * 0x81, 0xee, 0));
    cpu_set_cr(v->c, 0, cpu_get_cr(v->c, 0) | (1u << 18));
    enter_ring3(v);
    phys_write(v->p, 0x5001, 0x11223344, 4);
    ck_assert_int_eq(run_to_handler(v), 0x81);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), 0x11223344);
    vm_free(v);
}
END_TEST

START_TEST(data_breakpoint_on_a_write_is_a_db_trap_after_the_store)
{
    struct vm *v = vm_new_with_short_tss();
    /* mov eax,[5000h] (a read: no hit); mov [5002h],al; nop */
    load_bytes(v, CODE, (uint8_t[]){0xa1, 0x00, 0x50, 0, 0, 0xa2, 0x02, 0x50, 0, 0, 0x90}, 11);
    cpu_set_dr(v->c, 1, 0x5000);
    cpu_set_dr(v->c, 7, 0x400 | (1u << 2) | (1u << 20) | (3u << 22));   /* L1, write, 4 bytes */
    ck_assert_int_eq(run_to_handler(v), 1);
    ck_assert_uint_eq(frame(v, 0), CODE + 10);    /* after the store */
    ck_assert_uint_eq(cpu_get_dr(v->c, 6) & 0xf, 2);
    vm_free(v);
}
END_TEST

/* Identity-map 0-4 MiB with user pages; page 0x200000 absent and page
 * 0x300000 read-only; paging on. */
static void user_paging(struct vm *v)
{
    phys_write(v->p, 0x50000, 0x51000 | 7, 4);
    for (uint32_t k = 0; k < 1024; k++)
        phys_write(v->p, 0x51000 + 4 * k, k == 0x200 ? 0 : k == 0x300 ? (k << 12) | 5 : (k << 12) | 7, 4);
    cpu_set_cr(v->c, 3, 0x50000);
    cpu_set_cr(v->c, 0, cpu_get_cr(v->c, 0) | 0x80000000u);
}

START_TEST(fetch_fault_on_the_tail_of_a_locked_cmp_comes_before_its_ud)
{
    struct vm *v = vm_new_with_short_tss();
    /* es lock cmp ah,[ecx+0c490...] with its displacement on the absent page */
    load_bytes(v, 0x1ffffa, (uint8_t[]){0x26, 0xf0, 0x3a, 0xa1, 0xe7, 0x66}, 6);
    user_paging(v);
    cpu_set_eip(v->c, 0x1ffffa);
    ck_assert_int_eq(run_to_handler(v), 14);
    ck_assert_uint_eq(cpu_get_cr(v->c, 2), 0x200000);
    ck_assert_uint_eq(frame(v, 1), 0x1ffffa);
    vm_free(v);
}
END_TEST

/* The page-fault events of a run: the MMU names the EIP of the faulting
 * instruction (its first byte), whether the fault is a data access in the
 * middle of a trace, a fetch at a jump target or the tail of an instruction
 * that straddles into an absent page. */
START_TEST(page_fault_events_carry_the_eip_of_the_faulting_instruction)
{
    struct vm *v = vm_new_with_short_tss();
    struct events *ev = calloc(1, sizeof *ev);
    events_init(ev, NULL);
    ev->mask = 1u << EV_PAGE_FAULT;
    v->m.ev = ev;
    user_paging(v);
    /* nop; nop; mov eax,[200010h] */
    load_bytes(v, CODE, (uint8_t[]){0x90, 0x90, 0xa1, 0x10, 0x00, 0x20, 0x00}, 7);
    ck_assert_int_eq(run_to_handler(v), 14);
    /* jmp 200000h (absent): the fetch at the target faults */
    load_bytes(v, CODE + 0x20, (uint8_t[]){0xe9, 0xdb, 0xff, 0x1e, 0x00}, 5);
    cpu_set_eip(v->c, CODE + 0x20);
    ck_assert_int_eq(run_to_handler(v), 14);
    /* nop; then mov eax,imm32 whose last 2 bytes are on the absent page */
    load_bytes(v, 0x1ffffc, (uint8_t[]){0x90, 0xb8, 0x11, 0x22}, 4);
    cpu_set_eip(v->c, 0x1ffffc);
    ck_assert_int_eq(run_to_handler(v), 14);
    struct event e[8];
    uint64_t since = 0;
    ck_assert_uint_eq(events_read(ev, &since, e, 8), 3);
    ck_assert_uint_eq(e[0].a, 0x200010);
    ck_assert_uint_eq(e[0].c, CODE + 2);
    ck_assert_uint_eq(e[1].a, 0x200000);
    ck_assert_uint_eq(e[1].c, 0x200000);
    ck_assert_uint_eq(e[2].a, 0x200000);
    ck_assert_uint_eq(e[2].c, 0x1ffffd);
    vm_free(v);
    free(ev);
}
END_TEST

/* Instruction fetches through the TLB fast path count as hits, as data
 * accesses do: a lookup of a trace at a new CS:EIP translates once. */
START_TEST(instruction_fetch_through_the_tlb_counts_a_hit)
{
    struct vm *v = vm_new_with_short_tss();
    user_paging(v);
    load_bytes(v, CODE, (uint8_t[]){0xf4}, 1);    /* hlt: no data access */
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 10), CPU_STOP_HLT);
    uint64_t hits = v->m.tlb.st.hits, misses = v->m.tlb.st.misses;
    cpu_set_eip(v->c, CODE);                /* a new lookup, the TLB entry is there */
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 10), CPU_STOP_HLT);
    ck_assert_uint_eq(v->m.tlb.st.hits - hits, 1);
    ck_assert_uint_eq(v->m.tlb.st.misses, misses);
    vm_free(v);
}
END_TEST

/* SDM Vol. 2 REP: a fault during REPE/REPNE CMPS or SCAS restores EFLAGS
 * to their state before the instruction; ECX/ESI/EDI keep the progress.
 * The P6-family host does the same (measured with a -m32 REPE CMPSB that
 * faults on a PROT_NONE page: the SIGSEGV frame has the starting flags). */
static void check_rep_compare_fault(const uint8_t *insn, uint32_t al)
{
    struct vm *v = vm_new_with_short_tss();
    user_paging(v);
    load_bytes(v, CODE, insn, 2);
    cpu_set_reg(v->c, R_ESI, 0x1ffff0);   /* 16 zero bytes, then the absent page */
    cpu_set_reg(v->c, R_EDI, 0x1ffff0);
    cpu_set_reg(v->c, R_ECX, 64);
    cpu_set_reg(v->c, R_EAX, al);
    uint32_t in = 0x2 | 0x1 | 0x4 | 0x80 | 0x800;   /* CF PF SF OF, ZF clear */
    cpu_set_eflags(v->c, in);
    ck_assert_int_eq(run_to_handler(v), 14);
    ck_assert_uint_eq(frame(v, 1), CODE);
    ck_assert_uint_eq(frame(v, 3) & 0x8d5, in & 0x8d5);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ECX), 48);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDI), 0x200000);
    vm_free(v);
}

START_TEST(repe_cmpsb_faulting_mid_string_restores_the_flags_it_started_with)
{
    /* ESI and EDI both run into the absent page: the source read faults */
    check_rep_compare_fault((const uint8_t[]){0xf3, 0xa6}, 0);
}
END_TEST

START_TEST(repne_scasb_faulting_mid_string_restores_the_flags_it_started_with)
{
    check_rep_compare_fault((const uint8_t[]){0xf2, 0xae}, 1);
}
END_TEST

/* mov al,1; out 82h,al; out 81h,al; nop; hlt with DR0 = 80h, L0, R/W0 = 10
 * (I/O), LEN0 = 01 (ports 80h-81h). */
static struct vm *io_breakpoint_vm(uint32_t cr4)
{
    struct vm *v = vm_new_with_short_tss();
    load_bytes(v, CODE, (uint8_t[]){0xb0, 0x01, 0xe6, 0x82, 0xe6, 0x81, 0x90, 0xf4}, 8);
    cpu_set_cr(v->c, 4, cr4);
    cpu_set_dr(v->c, 0, 0x80);
    cpu_set_dr(v->c, 7, 0x400 | 1u | (2u << 16) | (1u << 18));
    return v;
}

START_TEST(io_breakpoint_with_cr4_de_is_a_db_trap_after_the_out)
{
    struct vm *v = io_breakpoint_vm(1u << 3);
    ck_assert_int_eq(run_to_handler(v), 1);
    ck_assert_uint_eq(v->last_port, 0x81);
    ck_assert_uint_eq(frame(v, 0), CODE + 6);     /* after the second OUT */
    ck_assert_uint_eq(cpu_get_dr(v->c, 6) & 0xf, 1);
    vm_free(v);
}
END_TEST

START_TEST(io_breakpoint_encoding_without_cr4_de_never_fires)
{
    struct vm *v = io_breakpoint_vm(0);   /* R/W = 10 undefined: Pagoda ignores it */
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_eip(v->c), CODE + 8);
    ck_assert_uint_eq(cpu_get_dr(v->c, 6) & 0xf, 0);
    vm_free(v);
}
END_TEST

START_TEST(over_long_instruction_straddling_an_absent_page_faults_pf_before_gp)
{
    struct vm *v = vm_new_with_short_tss();
    uint8_t p[14];
    memset(p, 0x26, sizeof p);          /* 14 prefixes end the page; the 15th byte is absent */
    load_bytes(v, 0x1ffff2, p, sizeof p);
    user_paging(v);
    cpu_set_eip(v->c, 0x1ffff2);
    ck_assert_int_eq(run_to_handler(v), 14);
    ck_assert_uint_eq(cpu_get_cr(v->c, 2), 0x200000);
    vm_free(v);
}
END_TEST

START_TEST(arpl_on_a_read_only_page_faults_only_when_it_must_write)
{
    struct vm *v = vm_new_with_short_tss();
    phys_write(v->p, 0x300000, 0x0b, 2);   /* RPL 3 already */
    phys_write(v->p, 0x300010, 0x08, 2);   /* RPL 0: needs raising */
    /* mov bx,3; arpl [300000h],bx (no write); arpl [300010h],bx (write: #PF) */
    load_bytes(v, CODE, (uint8_t[]){0x66, 0xbb, 0x03, 0x00, 0x63, 0x1d, 0x00, 0x00, 0x30, 0x00,
                              0x63, 0x1d, 0x10, 0x00, 0x30, 0x00}, 16);
    user_paging(v);
    enter_ring3(v);
    ck_assert_int_eq(run_to_handler(v), 14);
    ck_assert_uint_eq(frame(v, 0), 7);               /* present, write, user */
    ck_assert_uint_eq(frame(v, 1), CODE + 10);       /* the second ARPL */
    ck_assert_uint_eq(cpu_get_cr(v->c, 2), 0x300010);
    vm_free(v);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("cpu_exc");
    TCase *tc = tcase_create("exc");
    tcase_add_test(tc, divide_by_zero_is_fault_0_without_error_code);
    tcase_add_test(tc, instruction_breakpoint_is_a_db_fault_with_dr6_b0);
    tcase_add_test(tc, nmi_is_delivered_through_vector_2);
    tcase_add_test(tc, int3_is_trap_3_pushing_the_next_eip);
    tcase_add_test(tc, into_with_of_set_is_trap_4);
    tcase_add_test(tc, bound_out_of_range_is_fault_5);
    tcase_add_test(tc, ud2_is_fault_6);
    tcase_add_test(tc, x87_escape_with_cr0_em_is_fault_7);
    tcase_add_test(tc, task_switch_to_a_too_short_tss_is_ts_with_its_selector);
    tcase_add_test(tc, push_below_a_ring3_stack_limit_is_ss_zero_on_the_ring0_stack);
    tcase_add_test(tc, not_present_page_is_pf_with_cr2_and_error_code);
    tcase_add_test(tc, external_interrupt_is_taken_between_instructions_when_if_is_set);
    tcase_add_test(tc, external_interrupt_waits_while_if_is_clear);
    tcase_add_test(tc, misaligned_ring3_access_with_am_and_ac_is_fault_17);
    tcase_add_test(tc, misaligned_access_without_eflags_ac_is_allowed);
    tcase_add_test(tc, data_breakpoint_on_a_write_is_a_db_trap_after_the_store);
    tcase_add_test(tc, fetch_fault_on_the_tail_of_a_locked_cmp_comes_before_its_ud);
    tcase_add_test(tc, arpl_on_a_read_only_page_faults_only_when_it_must_write);
    tcase_add_test(tc, over_long_instruction_straddling_an_absent_page_faults_pf_before_gp);
    tcase_add_test(tc, page_fault_events_carry_the_eip_of_the_faulting_instruction);
    tcase_add_test(tc, instruction_fetch_through_the_tlb_counts_a_hit);
    tcase_add_test(tc, repe_cmpsb_faulting_mid_string_restores_the_flags_it_started_with);
    tcase_add_test(tc, repne_scasb_faulting_mid_string_restores_the_flags_it_started_with);
    tcase_add_test(tc, io_breakpoint_with_cr4_de_is_a_db_trap_after_the_out);
    tcase_add_test(tc, io_breakpoint_encoding_without_cr4_de_never_fires);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
