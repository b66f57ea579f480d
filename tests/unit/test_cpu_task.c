/* Hardware task switches and virtual-8086 mode: CALL/JMP to a TSS, IRET
 * through the back link, exceptions through a task gate with the error code
 * on the new task's stack, busy bits and NT (SDM Vol. 3 ch. 7), and V86
 * entry by IRET, IOPL-sensitive INT n and interrupts out of V86 with the
 * nine-dword frame (SDM Vol. 3 ch. 20). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_fixture.h"

#define TSS2_SEL 0x58
#define TSS2 0x3800u

/* The fixture's machine with the current task's TSS marked busy (as it is
 * once TR is loaded) and TSS2_SEL, an available TSS at TSS2. */
static struct vm *vm_new_with_second_task(void)
{
    struct vm *v = vm_new_protected();
    write_qword(v, GDT + 0x28, seg_descriptor(TSS, 0x68 + 8192 / 8 + 1, 0x8b, 0));
    write_qword(v, GDT + 0x58, seg_descriptor(TSS2, 0x67, 0x89, 0));
    cpu_set_gdtr(v->c, GDT, 0x5f);
    return v;
}

/* A second 32-bit task: flat ring 0, EIP = eip, ESP = esp. */
static void task2(struct vm *v, uint32_t eip, uint32_t esp)
{
    phys_write(v->p, TSS2 + 0x20, eip, 4);
    phys_write(v->p, TSS2 + 0x24, 0x2, 4);
    phys_write(v->p, TSS2 + 0x38, esp, 4);
    phys_write(v->p, TSS2 + 0x1c, 0, 4);
    phys_write(v->p, TSS2 + 0x4c, K_CODE, 2);
    for (int s = 0; s < 6; s++)
        if (s != 1)
            phys_write(v->p, TSS2 + 0x48 + 4u * (unsigned)s, K_DATA, 2);
    phys_write(v->p, TSS2 + 0x60, 0, 2);
}

static unsigned gdt_type(struct vm *v, unsigned sel) { return (read_dword(v, GDT + sel + 4) >> 8) & 0xf; }

START_TEST(call_to_a_tss_nests_the_task_and_iret_returns_through_the_back_link)
{
    struct vm *v = vm_new_with_second_task();
    /* task 1: mov eax,5; call far 58h:0; mov ebx,eax; hlt */
    load_bytes(v, CODE, (uint8_t[]){0xb8, 5, 0, 0, 0, 0x9a, 0, 0, 0, 0, TSS2_SEL, 0, 0x89, 0xc3, 0xf4}, 15);
    /* task 2: pushfd; pop ecx; mov eax, 77h; iretd */
    load_bytes(v, CODE + 0x200, (uint8_t[]){0x9c, 0x59, 0xb8, 0x77, 0, 0, 0, 0xcf}, 8);
    task2(v, CODE + 0x200, 0x8800);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 1000), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_eip(v->c), CODE + 15);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX), 5);          /* task 1's EAX restored */
    ck_assert_uint_eq(phys_read(v->p, TSS2 + 0x2c, 4) & F_NT, F_NT); /* task 2's ECX: it ran nested */
    ck_assert_uint_eq(phys_read(v->p, TSS2, 2), TSS_SEL);     /* back link */
    ck_assert_uint_eq(phys_read(v->p, TSS2 + 0x28, 4), 0x77);  /* task 2's EAX saved */
    ck_assert_uint_eq(gdt_type(v, TSS2_SEL), 9);              /* IRET left it available */
    ck_assert_uint_eq(gdt_type(v, TSS_SEL), 0xb);             /* task 1 busy again */
    ck_assert_uint_eq(cpu_get_seg(v->c, S_TR).sel, TSS_SEL);
    ck_assert_uint_eq(cpu_get_eflags(v->c) & F_NT, 0);
    ck_assert_uint_eq(cpu_get_cr(v->c, 0) & 8, 8);            /* CR0.TS set by a switch */
    vm_free(v);
}
END_TEST

START_TEST(jmp_to_a_tss_frees_the_old_task_and_sets_no_back_link)
{
    struct vm *v = vm_new_with_second_task();
    load_bytes(v, CODE, (uint8_t[]){0xea, 0, 0, 0, 0, TSS2_SEL, 0}, 7);
    load_bytes(v, CODE + 0x200, (uint8_t[]){0x9c, 0x59, 0xf4}, 3);
    task2(v, CODE + 0x200, 0x8800);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 1000), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_eip(v->c), CODE + 0x203);
    ck_assert_uint_eq(gdt_type(v, TSS_SEL), 9);
    ck_assert_uint_eq(gdt_type(v, TSS2_SEL), 0xb);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ECX) & F_NT, 0);
    ck_assert_uint_eq(phys_read(v->p, TSS + 0x20, 4), CODE + 7);   /* old EIP saved */
    vm_free(v);
}
END_TEST

START_TEST(call_to_a_busy_tss_is_gp)
{
    struct vm *v = vm_new_with_second_task();
    load_bytes(v, CODE, (uint8_t[]){0x9a, 0, 0, 0, 0, TSS_SEL, 0}, 7);   /* call to itself */
    ck_assert_int_eq(run_to_handler(v), 13);
    ck_assert_uint_eq(read_dword(v, cpu_get_reg(v->c, R_ESP)), TSS_SEL);
    vm_free(v);
}
END_TEST

START_TEST(exception_through_a_task_gate_pushes_its_error_code_on_the_new_stack)
{
    struct vm *v = vm_new_with_second_task();
    set_idt_gate(v, 13, gate_descriptor(TSS2_SEL, 0, 0x85, 0));
    load_bytes(v, CODE, (uint8_t[]){0x66, 0xb8, 0x30, 0x12, 0x8e, 0xd8}, 6);
    load_bytes(v, CODE + 0x200, (uint8_t[]){0xf4}, 1);
    task2(v, CODE + 0x200, 0x8800);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 1000), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_eip(v->c), CODE + 0x201);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESP), 0x8800 - 4);
    ck_assert_uint_eq(read_dword(v, 0x8800 - 4), 0x1230);
    ck_assert_uint_eq(phys_read(v->p, TSS + 0x20, 4), CODE + 4);   /* the faulting MOV */
    ck_assert_uint_eq(phys_read(v->p, TSS2, 2), TSS_SEL);
    vm_free(v);
}
END_TEST

START_TEST(tss_t_bit_raises_db_with_dr6_bt_before_the_new_tasks_first_instruction)
{
    struct vm *v = vm_new_with_second_task();
    load_bytes(v, CODE, (uint8_t[]){0xea, 0, 0, 0, 0, TSS2_SEL, 0}, 7);
    load_bytes(v, CODE + 0x200, (uint8_t[]){0x90, 0xf4}, 2);
    task2(v, CODE + 0x200, 0x8800);
    phys_write(v->p, TSS2 + 0x64, 1, 2);
    ck_assert_int_eq(run_to_handler(v), 1);
    ck_assert_uint_eq(read_dword(v, cpu_get_reg(v->c, R_ESP)), CODE + 0x200);
    ck_assert_uint_eq(cpu_get_dr(v->c, 6) & 0x8000, 0x8000);
    vm_free(v);
}
END_TEST

/* Enter V86 at 2000:0000 by IRETD from ring 0 with VM set. */
static void enter_v86(struct vm *v, uint32_t iopl)
{
    /* push 0(gs) 0(fs) 0(ds) 0x1000(es) 0x3000(ss) 0x100(esp) eflags cs=2000 eip=0; iretd */
    uint32_t sp = STACK0 - 36;
    const uint32_t frame[9] = {0, 0x2000, 0x20002 | iopl << 12, 0x100, 0x3000, 0x1000, 0, 0, 0};
    for (int k = 0; k < 9; k++)
        phys_write(v->p, sp + 4u * (unsigned)k, frame[k], 4);
    cpu_set_reg(v->c, R_ESP, sp);
    load_bytes(v, CODE, (uint8_t[]){0xcf}, 1);
}

START_TEST(v86_int_with_iopl_below_3_is_gp_with_the_v86_frame_on_the_ring0_stack)
{
    struct vm *v = vm_new_with_second_task();
    enter_v86(v, 0);
    /* V86 code: mov ax,1234h; mov [5],ax (DS=0 -> linear 5); int 30h */
    load_bytes(v, 0x20000, (uint8_t[]){0xb8, 0x34, 0x12, 0xa3, 0x05, 0x00, 0xcd, 0x30}, 8);
    ck_assert_int_eq(run_to_handler(v), 13);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(sp, STACK0 - 40);
    ck_assert_uint_eq(read_dword(v, sp), 0);             /* error code */
    ck_assert_uint_eq(read_dword(v, sp + 4), 6);         /* IP of the INT */
    ck_assert_uint_eq(read_dword(v, sp + 8), 0x2000);    /* CS */
    ck_assert_uint_eq(read_dword(v, sp + 12) & F_VM, F_VM);
    ck_assert_uint_eq(read_dword(v, sp + 16), 0x100);    /* ESP */
    ck_assert_uint_eq(read_dword(v, sp + 20), 0x3000);   /* SS */
    ck_assert_uint_eq(read_dword(v, sp + 24), 0x1000);   /* ES */
    ck_assert_uint_eq(phys_read(v->p, 5, 2), 0x1234);
    ck_assert_uint_eq(cpu_get_eflags(v->c) & F_VM, 0);
    ck_assert_uint_eq(cpu_cpl(v->c), 0);
    ck_assert(!cpu_get_seg(v->c, S_ES).valid);   /* data segments nulled on the way out */
    vm_free(v);
}
END_TEST

START_TEST(v86_int_with_iopl3_goes_through_a_dpl3_gate)
{
    struct vm *v = vm_new_with_second_task();
    set_idt_gate(v, 0x30, gate_descriptor(K_CODE, HANDLERS + 16 * 0x30, 0xee, 0));
    enter_v86(v, 3u);
    load_bytes(v, 0x20000, (uint8_t[]){0xfa, 0xcd, 0x30}, 3);    /* cli (allowed: IOPL 3); int 30h */
    ck_assert_int_eq(run_to_handler(v), 0x30);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(read_dword(v, sp), 3);             /* IP after INT */
    ck_assert_uint_eq(read_dword(v, sp + 8) & (F_VM | F_IF), F_VM);
    vm_free(v);
}
END_TEST

START_TEST(v86_segment_loads_use_selector_times_16_and_64k_limits)
{
    struct vm *v = vm_new_with_second_task();
    enter_v86(v, 3u);
    /* mov ax,4000h; mov ds,ax; mov byte [10h], 99h; int 30h */
    set_idt_gate(v, 0x30, gate_descriptor(K_CODE, HANDLERS + 16 * 0x30, 0xee, 0));
    load_bytes(v, 0x20000,
               (uint8_t[]){0xb8, 0x00, 0x40, 0x8e, 0xd8, 0xc6, 0x06, 0x10, 0x00, 0x99, 0xcd, 0x30}, 12);
    ck_assert_int_eq(run_to_handler(v), 0x30);
    ck_assert_uint_eq(phys_read(v->p, 0x40010, 1), 0x99);
    ck_assert_uint_eq(read_dword(v, cpu_get_reg(v->c, R_ESP) + 24), 0x4000);   /* DS in the frame */
    vm_free(v);
}
END_TEST

START_TEST(v86_pushf_with_iopl_below_3_is_gp_zero)
{
    struct vm *v = vm_new_with_second_task();
    enter_v86(v, 1u);
    load_bytes(v, 0x20000, (uint8_t[]){0x90, 0x9c}, 2);   /* nop; pushf */
    ck_assert_int_eq(run_to_handler(v), 13);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(read_dword(v, sp), 0);
    ck_assert_uint_eq(read_dword(v, sp + 4), 1);          /* IP of the PUSHF */
    ck_assert_uint_eq(read_dword(v, sp + 8), 0x2000);
    vm_free(v);
}
END_TEST

START_TEST(v86_port_io_follows_the_tss_bitmap_even_with_iopl3)
{
    struct vm *v = vm_new_with_second_task();
    enter_v86(v, 3u);
    load_bytes(v, 0x20000, (uint8_t[]){0xe6, 0x80, 0xe6, 0x81}, 4);   /* out 80h,al; out 81h,al */
    ck_assert_int_eq(run_to_handler(v), 13);
    ck_assert_uint_eq(v->last_port, 0x80);
    ck_assert_uint_eq(read_dword(v, cpu_get_reg(v->c, R_ESP) + 4), 2);
    vm_free(v);
}
END_TEST

START_TEST(v86_popf_with_iopl3_cannot_change_iopl)
{
    struct vm *v = vm_new_with_second_task();
    enter_v86(v, 3u);
    set_idt_gate(v, 0x30, gate_descriptor(K_CODE, HANDLERS + 16 * 0x30, 0xee, 0));
    /* push 0 (IOPL 0 image); popf; int 30h */
    load_bytes(v, 0x20000, (uint8_t[]){0x6a, 0x00, 0x9d, 0xcd, 0x30}, 5);
    ck_assert_int_eq(run_to_handler(v), 0x30);
    ck_assert_uint_eq(read_dword(v, cpu_get_reg(v->c, R_ESP) + 8) & (F_IOPL | F_VM), F_IOPL | F_VM);
    vm_free(v);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("cpu_task");
    TCase *tc = tcase_create("task");
    tcase_add_test(tc, call_to_a_tss_nests_the_task_and_iret_returns_through_the_back_link);
    tcase_add_test(tc, jmp_to_a_tss_frees_the_old_task_and_sets_no_back_link);
    tcase_add_test(tc, call_to_a_busy_tss_is_gp);
    tcase_add_test(tc, exception_through_a_task_gate_pushes_its_error_code_on_the_new_stack);
    tcase_add_test(tc, tss_t_bit_raises_db_with_dr6_bt_before_the_new_tasks_first_instruction);
    tcase_add_test(tc, v86_int_with_iopl_below_3_is_gp_with_the_v86_frame_on_the_ring0_stack);
    tcase_add_test(tc, v86_int_with_iopl3_goes_through_a_dpl3_gate);
    tcase_add_test(tc, v86_segment_loads_use_selector_times_16_and_64k_limits);
    tcase_add_test(tc, v86_pushf_with_iopl_below_3_is_gp_zero);
    tcase_add_test(tc, v86_port_io_follows_the_tss_bitmap_even_with_iopl3);
    tcase_add_test(tc, v86_popf_with_iopl3_cannot_change_iopl);
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
