/* Protected mode: the real -> protected transition, descriptor loads and
 * their error codes, interrupt/trap gates with and without a ring change,
 * call gates, returns to outer rings, #DF and triple fault, fault restart
 * of REP strings, TF single-step, the I/O permission bitmap, CPUID and MSRs.
 * Expected frames and error codes from the Intel SDM Vol. 3 ch. 5-7 and 17
 * and the Vol. 2 pseudocode of MOV, INT n, CALL, RET, IRET. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_fixture.h"

START_TEST(real_to_protected_transition_with_lgdt_cr0_and_far_jump)
{
    struct vm *v = vm_new_protected();
    struct seg rs = {.sel = 0, .base = 0, .limit = 0xffff, .flags = 0x9b, .valid = true};
    cpu_set_cr(v->c, 0, 0x60000010u);
    cpu_set_seg(v->c, S_CS, rs);
    rs.flags = 0x93;
    cpu_set_seg(v->c, S_DS, rs);
    cpu_set_seg(v->c, S_SS, rs);
    /* 0x7c00: lgdt [0x7d00]; mov eax,cr0; or al,1; mov cr0,eax; jmp 08:0x7c40
     * 0x7c40 (32-bit): mov ax,10h; mov ds,ax; mov ss,ax; mov dword [0x5000],0xcafe; hlt */
    const uint8_t r[] = {0x0f, 0x01, 0x16, 0x00, 0x7d, 0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22, 0xc0,
                         0xea, 0x40, 0x7c, 0x08, 0x00};
    const uint8_t p[] = {0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xd0,
                         0xc7, 0x05, 0x00, 0x50, 0x00, 0x00, 0xfe, 0xca, 0x00, 0x00, 0xf4};
    load_bytes(v, 0x7c00, r, sizeof r);
    load_bytes(v, 0x7c40, p, sizeof p);
    phys_write(v->p, 0x7d00, 0x57, 2);
    phys_write(v->p, 0x7d02, GDT, 4);
    cpu_set_eip(v->c, 0x7c00);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 1000), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_cr(v->c, 0) & 1, 1);
    struct seg cs = cpu_get_seg(v->c, S_CS);
    ck_assert_uint_eq(cs.sel, K_CODE);
    ck_assert_uint_eq(cs.flags & 0x4000, 0x4000);        /* D = 1 */
    ck_assert_uint_eq(cs.limit, 0xffffffffu);
    ck_assert_uint_eq(read_dword(v, 0x5000), 0xcafe);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_SS).sel, K_DATA);
    /* the accessed bit of the data descriptor was set by the load */
    ck_assert_uint_eq((read_dword(v, GDT + 0x14) >> 8) & 1, 1);
    vm_free(v);
}
END_TEST

START_TEST(selector_beyond_gdt_limit_is_gp_with_the_selector_as_error_code)
{
    struct vm *v = vm_new_protected();
    /* mov ax, 1230h; mov ds, ax */
    load_bytes(v, CODE, (uint8_t[]){0x66, 0xb8, 0x30, 0x12, 0x8e, 0xd8}, 6);
    ck_assert_int_eq(run_to_handler(v), 13);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(sp, STACK0 - 16);
    ck_assert_uint_eq(read_dword(v, sp), 0x1230);          /* error code */
    ck_assert_uint_eq(read_dword(v, sp + 4), CODE + 4);    /* EIP of the MOV: a fault */
    ck_assert_uint_eq(read_dword(v, sp + 8), K_CODE);
    ck_assert_uint_eq(read_dword(v, sp + 12) & 0x10002, 0x10002);  /* RF set in a fault's image */
    uint32_t err;
    ck_assert_int_eq(cpu_last_exception(v->c, &err), 13);
    ck_assert_uint_eq(err, 0x1230);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_DS).sel, K_DATA);   /* unchanged */
    vm_free(v);
}
END_TEST

START_TEST(not_present_data_segment_is_np_with_the_selector)
{
    struct vm *v = vm_new_protected();
    load_bytes(v, CODE, (uint8_t[]){0x66, 0xb8, NP_DATA, 0x00, 0x8e, 0xc0}, 6);   /* mov es, ax */
    ck_assert_int_eq(run_to_handler(v), 11);
    ck_assert_uint_eq(read_dword(v, cpu_get_reg(v->c, R_ESP)), NP_DATA);
    vm_free(v);
}
END_TEST

START_TEST(stack_segment_with_wrong_rpl_is_gp)
{
    struct vm *v = vm_new_protected();
    load_bytes(v, CODE, (uint8_t[]){0x66, 0xb8, 0x13, 0x00, 0x8e, 0xd0}, 6);   /* mov ss, 13h (RPL 3) */
    ck_assert_int_eq(run_to_handler(v), 13);
    ck_assert_uint_eq(read_dword(v, cpu_get_reg(v->c, R_ESP)), 0x10);
    vm_free(v);
}
END_TEST

START_TEST(access_past_a_data_segment_limit_is_gp_zero)
{
    struct vm *v = vm_new_protected();
    /* mov ax, 48h; mov ds, ax; mov eax, [0xfe] (4 bytes cross the 0xff limit) */
    load_bytes(v, CODE, (uint8_t[]){0x66, 0xb8, SMALL, 0x00, 0x8e, 0xd8, 0xa1, 0xfe, 0, 0, 0}, 11);
    ck_assert_int_eq(run_to_handler(v), 13);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(read_dword(v, sp), 0);
    ck_assert_uint_eq(read_dword(v, sp + 4), CODE + 6);
    vm_free(v);
}
END_TEST

START_TEST(interrupt_from_ring3_switches_to_the_tss_stack)
{
    struct vm *v = vm_new_protected();
    set_idt_gate(v, 0x80, gate_descriptor(K_CODE, HANDLERS + 16 * 0x80, 0xee, 0));   /* DPL 3 */
    load_bytes(v, CODE, (uint8_t[]){0xcd, 0x80}, 2);
    enter_ring3(v);
    cpu_set_eflags(v->c, 0x202);
    ck_assert_int_eq(run_to_handler(v), 0x80);
    ck_assert_uint_eq(cpu_cpl(v->c), 0);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_SS).sel, K_DATA);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(sp, STACK0 - 20);
    ck_assert_uint_eq(read_dword(v, sp), CODE + 2);      /* EIP after INT: a trap */
    ck_assert_uint_eq(read_dword(v, sp + 4), U_CODE);
    ck_assert_uint_eq(read_dword(v, sp + 8) & 0x202, 0x202);
    ck_assert_uint_eq(read_dword(v, sp + 12), STACK3);
    ck_assert_uint_eq(read_dword(v, sp + 16), U_DATA);
    ck_assert_uint_eq(cpu_get_eflags(v->c) & 0x200, 0);   /* interrupt gate clears IF */
    vm_free(v);
}
END_TEST

START_TEST(iret_to_ring3_restores_the_outer_stack_and_nulls_inner_data_segments)
{
    struct vm *v = vm_new_protected();
    set_idt_gate(v, 0x80, gate_descriptor(K_CODE, CODE + 0x400, 0xef, 0));    /* trap gate DPL 3 -> iret */
    set_idt_gate(v, 0x81, gate_descriptor(K_CODE, HANDLERS + 16 * 0x81, 0xee, 0));
    load_bytes(v, CODE + 0x400, (uint8_t[]){0x66, 0xb8, K_DATA, 0x00, 0x8e, 0xe0, 0xcf}, 7);  /* mov fs,ax; iret */
    load_bytes(v, CODE, (uint8_t[]){0xcd, 0x80, 0xcd, 0x81}, 4);
    enter_ring3(v);
    ck_assert_int_eq(run_to_handler(v), 0x81);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(read_dword(v, sp), CODE + 4);
    ck_assert_uint_eq(read_dword(v, sp + 4), U_CODE);
    ck_assert_uint_eq(read_dword(v, sp + 12), STACK3);   /* back on the ring-3 stack before INT 81h */
    /* FS held a DPL-0 segment when IRET went to ring 3: it became null */
    ck_assert(!cpu_get_seg(v->c, S_FS).valid);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_FS).sel, 0);
    vm_free(v);
}
END_TEST

START_TEST(int_through_a_dpl0_gate_from_ring3_is_gp_with_idt_error_code)
{
    struct vm *v = vm_new_protected();
    load_bytes(v, CODE, (uint8_t[]){0xcd, 0x82}, 2);
    enter_ring3(v);
    ck_assert_int_eq(run_to_handler(v), 13);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(read_dword(v, sp), 0x82 * 8 + 2);
    ck_assert_uint_eq(read_dword(v, sp + 4), CODE);      /* the INT itself faulted */
    vm_free(v);
}
END_TEST

START_TEST(call_gate_to_ring0_copies_parameters_and_retf_returns_to_ring3)
{
    struct vm *v = vm_new_protected();
    /* ring 3: push 11h; push 22h; call far 43h:0; int 81h
     * ring 0 at CODE+0x800: mov eax,[esp+8]; mov ebx,[esp+12]; mov ecx,[esp+4]; retf 8 */
    load_bytes(v, CODE, (uint8_t[]){0x6a, 0x11, 0x6a, 0x22, 0x9a, 0, 0, 0, 0, CGATE | 3, 0x00, 0xcd, 0x81}, 13);
    load_bytes(v, CODE + 0x800, (uint8_t[]){0x8b, 0x44, 0x24, 0x08, 0x8b, 0x5c, 0x24, 0x0c, 0x8b, 0x4c, 0x24, 0x04,
                                      0xca, 0x08, 0x00}, 15);
    set_idt_gate(v, 0x81, gate_descriptor(K_CODE, HANDLERS + 16 * 0x81, 0xee, 0));
    enter_ring3(v);
    ck_assert_int_eq(run_to_handler(v), 0x81);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), 0x22);     /* parameters in the same order */
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX), 0x11);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ECX), U_CODE);   /* caller CS */
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(read_dword(v, sp), CODE + 13);
    ck_assert_uint_eq(read_dword(v, sp + 12), STACK3);            /* RETF 8 released the parameters */
    vm_free(v);
}
END_TEST

START_TEST(far_jump_to_conforming_code_keeps_cpl3)
{
    struct vm *v = vm_new_protected();
    /* jmp far 50h:CODE+0x100 ; there: mov eax, cs; int 81h */
    load_bytes(v, CODE, (uint8_t[]){0xea, 0x00, 0x01, 0x01, 0x00, CONF_CODE, 0x00}, 7);
    load_bytes(v, CODE + 0x100, (uint8_t[]){0x8c, 0xc8, 0xcd, 0x81}, 4);
    set_idt_gate(v, 0x81, gate_descriptor(K_CODE, HANDLERS + 16 * 0x81, 0xee, 0));
    enter_ring3(v);
    ck_assert_int_eq(run_to_handler(v), 0x81);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xffff, CONF_CODE | 3);
    vm_free(v);
}
END_TEST

START_TEST(fault_while_delivering_gp_becomes_double_fault)
{
    struct vm *v = vm_new_protected();
    /* #GP gate not present */
    write_qword(v, IDT + 13 * 8, gate_descriptor(K_CODE, HANDLERS + 16 * 13, 0x0e, 0));
    load_bytes(v, CODE, (uint8_t[]){0x66, 0xb8, 0x30, 0x12, 0x8e, 0xd8}, 6);
    ck_assert_int_eq(run_to_handler(v), 8);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(read_dword(v, sp), 0);              /* #DF error code is 0 */
    ck_assert_uint_eq(read_dword(v, sp + 4), CODE + 4);
    vm_free(v);
}
END_TEST

START_TEST(exception_with_no_deliverable_double_fault_is_a_triple_fault)
{
    struct vm *v = vm_new_protected();
    cpu_set_idtr(v->c, IDT, 0);
    load_bytes(v, CODE, (uint8_t[]){0x0f, 0x0b}, 2);    /* ud2 */
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 1000), CPU_STOP_TRIPLE_FAULT);
    vm_free(v);
}
END_TEST

START_TEST(reset_after_a_triple_fault_runs_again_from_a_clean_state)
{
    struct vm *v = vm_new_protected();
    cpu_set_idtr(v->c, IDT, 0);
    load_bytes(v, CODE, (uint8_t[]){0x0f, 0x0b}, 2);    /* ud2 -> no IDT -> shutdown */
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 1000), CPU_STOP_TRIPLE_FAULT);
    cpu_set_nmi(v->c);                            /* an event pending across RESET is lost */
    cpu_reset(v->c);
    ck_assert_int_eq(cpu_last_exception(v->c, NULL), -1);
    ck_assert(!cpu_halted(v->c));
    ck_assert_uint_eq(cpu_get_seg(v->c, S_CS).sel, 0xf000);
    ck_assert_uint_eq(cpu_get_eip(v->c), 0xfff0);
    /* real mode at 0000:7c00: inc eax; inc eax; hlt */
    struct seg rs = {.sel = 0, .base = 0, .limit = 0xffff, .flags = 0x9b, .valid = true};
    cpu_set_seg(v->c, S_CS, rs);
    load_bytes(v, 0x7c00, (uint8_t[]){0x66, 0x40, 0x66, 0x40, 0xf4}, 5);
    cpu_set_eip(v->c, 0x7c00);
    uint64_t n0 = cpu_icount(v->c);
    ck_assert_int_eq(cpu_run(v->c, n0 + 1000), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_icount(v->c) - n0, 3);  /* no NMI taken, nothing but the code */
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), 2);
    ck_assert_uint_eq(cpu_get_eip(v->c), 0x7c05);
    ck_assert_int_eq(cpu_last_exception(v->c, NULL), -1);
    vm_free(v);
}
END_TEST

START_TEST(benign_exception_with_an_absent_gate_delivers_np_alone_with_ext)
{
    struct vm *v = vm_new_protected();
    /* #UD (benign) whose gate is not present: the #NP is delivered alone */
    write_qword(v, IDT + 6 * 8, gate_descriptor(K_CODE, HANDLERS + 16 * 6, 0x0e, 0));
    load_bytes(v, CODE, (uint8_t[]){0x0f, 0x0b}, 2);
    ck_assert_int_eq(run_to_handler(v), 11);
    ck_assert_uint_eq(read_dword(v, cpu_get_reg(v->c, R_ESP)), 6 * 8 + 2 + 1);   /* IDT, EXT */
    vm_free(v);
}
END_TEST

START_TEST(rep_stos_faulting_mid_string_restarts_with_progress_kept)
{
    struct vm *v = vm_new_protected();
    /* mov ax,48h; mov es,ax; mov edi,0f0h; mov ecx,20h; mov al,5ah; rep stosb */
    const uint8_t p[] = {0x66, 0xb8, SMALL, 0x00, 0x8e, 0xc0, 0xbf, 0xf0, 0, 0, 0, 0xb9, 0x20, 0, 0, 0,
                         0xb0, 0x5a, 0xf3, 0xaa};
    load_bytes(v, CODE, p, sizeof p);
    ck_assert_int_eq(run_to_handler(v), 13);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(read_dword(v, sp + 4), CODE + 18);         /* the REP STOSB */
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ECX), 0x10);  /* 16 bytes stored */
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDI), 0x100);
    ck_assert_uint_eq(phys_read(v->p, 0x200ff, 1), 0x5a);
    ck_assert_uint_eq(phys_read(v->p, 0x20100, 1), 0);
    vm_free(v);
}
END_TEST

START_TEST(tf_raises_db_trap_after_the_instruction_following_popf)
{
    struct vm *v = vm_new_protected();
    /* pushfd; or dword [esp],100h; popfd; nop; nop */
    load_bytes(v, CODE, (uint8_t[]){0x9c, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0x90, 0x90}, 11);
    ck_assert_int_eq(run_to_handler(v), 1);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(read_dword(v, sp), CODE + 10);       /* after the first NOP */
    ck_assert_uint_eq(read_dword(v, sp + 8) & 0x100, 0x100);
    ck_assert_uint_eq(cpu_get_dr(v->c, 6) & 0x4000, 0x4000);   /* BS */
    ck_assert_uint_eq(cpu_get_eflags(v->c) & 0x100, 0);
    vm_free(v);
}
END_TEST

START_TEST(io_bitmap_lets_ring3_use_only_the_ports_it_clears)
{
    struct vm *v = vm_new_protected();
    load_bytes(v, CODE, (uint8_t[]){0xe6, 0x80, 0xe6, 0x81}, 4);   /* out 80h,al; out 81h,al */
    enter_ring3(v);
    ck_assert_int_eq(run_to_handler(v), 13);
    ck_assert_uint_eq(v->last_port, 0x80);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(read_dword(v, sp), 0);
    ck_assert_uint_eq(read_dword(v, sp + 4), CODE + 2);
    vm_free(v);
}
END_TEST

START_TEST(cli_at_ring3_with_iopl0_is_gp)
{
    struct vm *v = vm_new_protected();
    load_bytes(v, CODE, (uint8_t[]){0xfa}, 1);
    enter_ring3(v);
    ck_assert_int_eq(run_to_handler(v), 13);
    vm_free(v);
}
END_TEST

START_TEST(cpuid_reports_a_p6_with_tsc_cx8_cmov_pse_pge_msr_and_no_fpu)
{
    struct vm *v = vm_new_protected();
    load_bytes(v, CODE, (uint8_t[]){0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0xf4}, 8);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    uint32_t edx = cpu_get_reg(v->c, R_EDX);
    ck_assert_uint_eq((cpu_get_reg(v->c, R_EAX) >> 8) & 0xf, 6);
    ck_assert_uint_eq(edx & 1, 0);                      /* FPU */
    ck_assert_uint_eq(edx, (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 13) |
                               (1u << 15));   /* DE PSE TSC MSR CX8 PGE CMOV */
    vm_free(v);
}
END_TEST

START_TEST(rdmsr_of_an_unknown_msr_is_gp_and_sysenter_msrs_round_trip)
{
    struct vm *v = vm_new_protected();
    /* mov ecx,174h; mov eax,1234h; xor edx,edx; wrmsr; xor eax,eax; rdmsr; mov ebx,eax;
     * mov ecx,0c0000080h; rdmsr */
    const uint8_t p[] = {0xb9, 0x74, 0x01, 0, 0, 0xb8, 0x34, 0x12, 0, 0, 0x31, 0xd2, 0x0f, 0x30,
                         0x31, 0xc0, 0x0f, 0x32, 0x89, 0xc3, 0xb9, 0x80, 0, 0, 0xc0, 0x0f, 0x32};
    load_bytes(v, CODE, p, sizeof p);
    ck_assert_int_eq(run_to_handler(v), 13);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX), 0x1234);
    ck_assert_uint_eq(read_dword(v, cpu_get_reg(v->c, R_ESP) + 4), CODE + 25);
    vm_free(v);
}
END_TEST

START_TEST(rdtsc_counts_retired_instructions)
{
    struct vm *v = vm_new_protected();
    /* rdtsc; mov esi,eax; nop; nop; rdtsc; sub eax,esi; hlt */
    load_bytes(v, CODE, (uint8_t[]){0x0f, 0x31, 0x89, 0xc6, 0x90, 0x90, 0x0f, 0x31, 0x29, 0xf0, 0xf4}, 11);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), 4);
    vm_free(v);
}
END_TEST

START_TEST(rdtsc_counts_ticks_skipped_while_halted)
{
    struct vm *v = vm_new_protected();
    uint64_t idle = 5000;   /* the machine's vclock idle counter, faked */
    /* rdtsc; mov esi,eax; hlt */
    load_bytes(v, CODE, (uint8_t[]){0x0f, 0x31, 0x89, 0xc6, 0xf4}, 5);
    /* rdtsc; sub eax,esi; mov ecx,10h; rdmsr; hlt */
    load_bytes(v, CODE + 0x10, (uint8_t[]){0x0f, 0x31, 0x29, 0xf0, 0x89, 0xc3,
                                     0xb9, 0x10, 0, 0, 0, 0x0f, 0x32, 0xf4}, 14);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    uint32_t t0 = cpu_get_reg(v->c, R_ESI);
    cpu_set_idle_ticks(v->c, &idle);     /* attaching does not move the TSC */
    idle += 1000000;                     /* the machine skips a timer's wait in HLT */
    cpu_set_eip(v->c, CODE + 0x10);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    /* 3 instructions (rdtsc, mov, hlt) + the skipped ticks */
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX), 1000000 + 3);
    /* RDMSR(TSC) counts the same time, 4 instructions after the second RDTSC */
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), t0 + 1000000 + 3 + 4);
    vm_free(v);
}
END_TEST

START_TEST(lar_lsl_verr_verw_report_access_and_limit)
{
    struct vm *v = vm_new_protected();
    /* mov cx,48h; lar eax,cx; lsl ebx,cx; verw cx; setz dl; mov cx,38h... verr on 0x08 code (readable) */
    const uint8_t p[] = {0x66, 0xb9, SMALL, 0x00, 0x0f, 0x02, 0xc1, 0x0f, 0x03, 0xd9,
                         0x0f, 0x00, 0xe9, 0x0f, 0x94, 0xc2,
                         0x66, 0xb9, K_CODE, 0x00, 0x0f, 0x00, 0xe9, 0x0f, 0x94, 0xc6, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), 0x00409300u);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX), 0xff);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDX) & 0xff, 1);         /* data writable */
    ck_assert_uint_eq((cpu_get_reg(v->c, R_EDX) >> 8) & 0xff, 0);  /* code not writable */
    vm_free(v);
}
END_TEST

START_TEST(hlt_at_ring3_is_gp_and_arpl_adjusts_rpl)
{
    struct vm *v = vm_new_protected();
    /* mov ax,8; mov bx,3; arpl ax,bx; setz cl; hlt(ring 3 -> #GP) */
    const uint8_t p[] = {0x66, 0xb8, 0x08, 0x00, 0x66, 0xbb, 0x03, 0x00, 0x63, 0xd8, 0x0f, 0x94, 0xc1, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    enter_ring3(v);
    ck_assert_int_eq(run_to_handler(v), 13);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xffff, 0x0b);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ECX) & 0xff, 1);
    vm_free(v);
}
END_TEST

START_TEST(a_286_interrupt_gate_pushes_a_16_bit_frame)
{
    struct vm *v = vm_new_protected();
    set_idt_gate(v, 0x90, gate_descriptor(K_CODE, HANDLERS + 16 * 0x90, 0x86, 0));   /* 286 interrupt gate */
    load_bytes(v, CODE, (uint8_t[]){0xcd, 0x90}, 2);
    cpu_set_eflags(v->c, 0x202);
    ck_assert_int_eq(run_to_handler(v), 0x90);
    uint32_t sp = cpu_get_reg(v->c, R_ESP);
    ck_assert_uint_eq(sp, STACK0 - 6);
    ck_assert_uint_eq(phys_read(v->p, sp, 2), (CODE + 2) & 0xffff);   /* IP */
    ck_assert_uint_eq(phys_read(v->p, sp + 2, 2), K_CODE);
    ck_assert_uint_eq(phys_read(v->p, sp + 4, 2) & 0x202, 0x202);
    ck_assert_uint_eq(cpu_get_eflags(v->c) & 0x200, 0);
    vm_free(v);
}
END_TEST

START_TEST(clearing_pe_and_a_far_jump_return_to_real_mode)
{
    struct vm *v = vm_new_protected();
    /* (32-bit) jmp far 30h:7c10 (16-bit code segment)
     * 7c10 (16-bit pmode): mov eax,cr0; and al,0feh; mov cr0,eax; jmp far 0000:7c30
     * 7c30 (real): mov ax,1234h; mov ds,ax; mov byte [0],55h; hlt */
    load_bytes(v, CODE, (uint8_t[]){0xea, 0x10, 0x7c, 0, 0, CODE16, 0}, 7);
    load_bytes(v, 0x7c10,
               (uint8_t[]){0x0f, 0x20, 0xc0, 0x24, 0xfe, 0x0f, 0x22, 0xc0, 0xea, 0x30, 0x7c, 0x00, 0x00}, 13);
    load_bytes(v, 0x7c30, (uint8_t[]){0xb8, 0x34, 0x12, 0x8e, 0xd8, 0xc6, 0x06, 0x00, 0x00, 0x55, 0xf4}, 11);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_cr(v->c, 0) & 1, 0);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_CS).base, 0);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_DS).base, 0x12340);
    ck_assert_uint_eq(phys_read(v->p, 0x12340, 1), 0x55);
    ck_assert_uint_eq(cpu_get_eip(v->c), 0x7c3b);
    vm_free(v);
}
END_TEST

START_TEST(expand_down_stack_takes_pushes_above_its_limit_and_overflow_ends_in_shutdown)
{
    struct vm *v = vm_new_protected();
    /* descriptor 0x58: expand-down writable data, limit 0x0fff, B = 1 */
    write_qword(v, GDT + 0x58, seg_descriptor(0, 0x0fff, 0x97, 0x4));
    cpu_set_gdtr(v->c, GDT, 0x5f);
    /* mov ax,58h; mov ss,ax; mov esp,2000h; push eax (ok); mov esp,1002h; push eax (#SS) */
    const uint8_t p[] = {0x66, 0xb8, 0x58, 0x00, 0x8e, 0xd0, 0xbc, 0x00, 0x20, 0, 0, 0x50,
                         0xbc, 0x02, 0x10, 0, 0, 0x50};
    load_bytes(v, CODE, p, sizeof p);
    /* the #SS is delivered on the same stack, which has no room: a second
     * #SS makes it #DF, which cannot be pushed either: shutdown */
    enum cpu_stop st = cpu_run(v->c, cpu_icount(v->c) + 100);
    ck_assert_uint_eq(read_dword(v, 0x1ffc), 0x58);   /* the first push landed above the limit */
    ck_assert_int_eq(st, CPU_STOP_TRIPLE_FAULT);
    vm_free(v);
}
END_TEST

START_TEST(real_mode_word_access_at_offset_ffff_is_exception_13)
{
    struct vm *v = vm_new_protected();
    struct seg rs = {.sel = 0, .base = 0, .limit = 0xffff, .flags = 0x9b, .valid = true};
    cpu_set_cr(v->c, 0, 0x60000010u);
    cpu_set_seg(v->c, S_CS, rs);
    rs.flags = 0x93;
    cpu_set_seg(v->c, S_DS, rs);
    cpu_set_seg(v->c, S_SS, rs);
    cpu_set_idtr(v->c, 0, 0x3ff);
    phys_write(v->p, 13 * 4, 0x6000, 2);   /* IVT 13 -> 0000:6000 (hlt) */
    phys_write(v->p, 13 * 4 + 2, 0, 2);
    phys_write(v->p, 0x6000, 0xf4, 1);
    load_bytes(v, 0x7c00, (uint8_t[]){0xa1, 0xff, 0xff}, 3);   /* mov ax,[0ffffh] */
    cpu_set_eip(v->c, 0x7c00);
    cpu_set_reg(v->c, R_ESP, 0x7000);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_eip(v->c), 0x6001);
    ck_assert_uint_eq(phys_read(v->p, 0x7000 - 6, 2), 0x7c00);
    vm_free(v);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("cpu_prot");
    TCase *tc = tcase_create("prot");
    tcase_add_test(tc, real_to_protected_transition_with_lgdt_cr0_and_far_jump);
    tcase_add_test(tc, selector_beyond_gdt_limit_is_gp_with_the_selector_as_error_code);
    tcase_add_test(tc, not_present_data_segment_is_np_with_the_selector);
    tcase_add_test(tc, stack_segment_with_wrong_rpl_is_gp);
    tcase_add_test(tc, access_past_a_data_segment_limit_is_gp_zero);
    tcase_add_test(tc, interrupt_from_ring3_switches_to_the_tss_stack);
    tcase_add_test(tc, iret_to_ring3_restores_the_outer_stack_and_nulls_inner_data_segments);
    tcase_add_test(tc, int_through_a_dpl0_gate_from_ring3_is_gp_with_idt_error_code);
    tcase_add_test(tc, call_gate_to_ring0_copies_parameters_and_retf_returns_to_ring3);
    tcase_add_test(tc, far_jump_to_conforming_code_keeps_cpl3);
    tcase_add_test(tc, fault_while_delivering_gp_becomes_double_fault);
    tcase_add_test(tc, exception_with_no_deliverable_double_fault_is_a_triple_fault);
    tcase_add_test(tc, reset_after_a_triple_fault_runs_again_from_a_clean_state);
    tcase_add_test(tc, benign_exception_with_an_absent_gate_delivers_np_alone_with_ext);
    tcase_add_test(tc, rep_stos_faulting_mid_string_restarts_with_progress_kept);
    tcase_add_test(tc, tf_raises_db_trap_after_the_instruction_following_popf);
    tcase_add_test(tc, io_bitmap_lets_ring3_use_only_the_ports_it_clears);
    tcase_add_test(tc, cli_at_ring3_with_iopl0_is_gp);
    tcase_add_test(tc, cpuid_reports_a_p6_with_tsc_cx8_cmov_pse_pge_msr_and_no_fpu);
    tcase_add_test(tc, rdmsr_of_an_unknown_msr_is_gp_and_sysenter_msrs_round_trip);
    tcase_add_test(tc, rdtsc_counts_retired_instructions);
    tcase_add_test(tc, rdtsc_counts_ticks_skipped_while_halted);
    tcase_add_test(tc, lar_lsl_verr_verw_report_access_and_limit);
    tcase_add_test(tc, hlt_at_ring3_is_gp_and_arpl_adjusts_rpl);
    tcase_add_test(tc, a_286_interrupt_gate_pushes_a_16_bit_frame);
    tcase_add_test(tc, clearing_pe_and_a_far_jump_return_to_real_mode);
    tcase_add_test(tc, expand_down_stack_takes_pushes_above_its_limit_and_overflow_ends_in_shutdown);
    tcase_add_test(tc, real_mode_word_access_at_offset_ffff_is_exception_13);
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
