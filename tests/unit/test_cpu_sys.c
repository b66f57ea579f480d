/* System instructions outside the differential suite: segment register
 * moves, pushes and pops, far-pointer loads, far CALL/JMP/RET forms, the
 * descriptor-table stores, x87 escapes without an FPU, the P6 hint NOPs.
 * Expected values from the SDM Vol. 2 instruction pages. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_fixture.h"

START_TEST(push_and_pop_of_segment_registers_move_selectors_through_the_stack)
{
    struct vm *v = vm_new_protected();
    /* push es; push cs; push ss; push ds; push fs; push gs;
     * pop gs; pop fs; pop ds; pop es(= the ss value); pop eax(cs); pop ss? -> use pop es twice */
    const uint8_t p[] = {0x06, 0x0e, 0x16, 0x1e, 0x0f, 0xa0, 0x0f, 0xa8,
                         0x0f, 0xa9, 0x0f, 0xa1, 0x1f, 0x17, 0x58, 0x07, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(read_dword(v, STACK0 - 4) & 0xffff, K_DATA);    /* ES pushed as a dword slot */
    ck_assert_uint_eq(read_dword(v, STACK0 - 8) & 0xffff, K_CODE);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xffff, K_CODE);   /* popped CS slot */
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESP), STACK0);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_SS).sel, K_DATA);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_GS).sel, K_DATA);
    vm_free(v);
}
END_TEST

START_TEST(mov_sreg_forms_copy_selectors_and_load_descriptors)
{
    struct vm *v = vm_new_protected();
    /* mov ax,48h; mov es,ax; mov ebx,cs (8C CB: zero-extended); mov [5000h],ss; hlt */
    const uint8_t p[] = {0x66, 0xb8, SMALL, 0x00, 0x8e, 0xc0, 0x8c, 0xcb, 0x8c, 0x15, 0x00, 0x50, 0, 0, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    cpu_set_reg(v->c, R_EBX, 0xffffffffu);
    phys_write(v->p, 0x5000, 0xaaaaaaaau, 4);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_ES).base, 0x20000);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_ES).limit, 0xff);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX), K_CODE);
    ck_assert_uint_eq(read_dword(v, 0x5000), 0xaaaa0000u | K_DATA);   /* a 16-bit store */
    vm_free(v);
}
END_TEST

START_TEST(lds_les_lss_lfs_lgs_load_a_far_pointer)
{
    struct vm *v = vm_new_protected();
    phys_write(v->p, 0x5000, 0x12345678, 4);
    phys_write(v->p, 0x5004, SMALL, 2);
    phys_write(v->p, 0x5008, 0x9000, 4);
    phys_write(v->p, 0x500c, K_DATA, 2);
    /* lds eax,[5000h]... (ds last); les ebx; lfs ecx; lgs edx; lss esp,[5008h]; then lds */
    const uint8_t p[] = {0xc4, 0x1d, 0x00, 0x50, 0, 0,        /* les ebx,[5000h] */
                         0x0f, 0xb4, 0x0d, 0x00, 0x50, 0, 0,  /* lfs ecx,[5000h] */
                         0x0f, 0xb5, 0x15, 0x00, 0x50, 0, 0,  /* lgs edx,[5000h] */
                         0x0f, 0xb2, 0x25, 0x08, 0x50, 0, 0,  /* lss esp,[5008h] */
                         0xc5, 0x05, 0x00, 0x50, 0, 0,        /* lds eax,[5000h] */
                         0xf4};
    load_bytes(v, CODE, p, sizeof p);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), 0x12345678);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX), 0x12345678);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESP), 0x9000);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_DS).sel, SMALL);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_ES).sel, SMALL);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_FS).sel, SMALL);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_GS).sel, SMALL);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_SS).sel, K_DATA);
    vm_free(v);
}
END_TEST

START_TEST(far_call_and_jmp_through_memory_and_retf_stay_in_ring0)
{
    struct vm *v = vm_new_protected();
    phys_write(v->p, 0x5000, CODE + 0x100, 4);
    phys_write(v->p, 0x5004, K_CODE, 2);
    phys_write(v->p, 0x5008, CODE + 0x200, 4);
    phys_write(v->p, 0x500c, K_CODE, 2);
    /* call far [5000h]; jmp far [5008h]   sub at +100: inc esi; retf   +200: hlt */
    load_bytes(v, CODE, (uint8_t[]){0xff, 0x1d, 0x00, 0x50, 0, 0, 0xff, 0x2d, 0x08, 0x50, 0, 0}, 12);
    load_bytes(v, CODE + 0x100, (uint8_t[]){0x46, 0xcb}, 2);
    load_bytes(v, CODE + 0x200, (uint8_t[]){0xf4}, 1);
    cpu_set_reg(v->c, R_ESI, 0);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESI), 1);
    ck_assert_uint_eq(cpu_get_eip(v->c), CODE + 0x201);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESP), STACK0);
    ck_assert_uint_eq(read_dword(v, STACK0 - 8), CODE + 6);   /* return EIP, then CS */
    ck_assert_uint_eq(read_dword(v, STACK0 - 4) & 0xffff, K_CODE);
    vm_free(v);
}
END_TEST

START_TEST(sldt_str_sgdt_sidt_smsw_store_the_system_registers)
{
    struct vm *v = vm_new_protected();
    /* sldt ax; str bx; sgdt [5000h]; sidt [5010h]; smsw ecx; hlt */
    const uint8_t p[] = {0x0f, 0x00, 0xc0, 0x0f, 0x00, 0xcb, 0x0f, 0x01, 0x05, 0x00, 0x50, 0, 0,
                         0x0f, 0x01, 0x0d, 0x10, 0x50, 0, 0, 0x0f, 0x01, 0xe1, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    cpu_set_reg(v->c, R_EAX, 0xffff);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xffff, 0);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX) & 0xffff, TSS_SEL);
    ck_assert_uint_eq(phys_read(v->p, 0x5000, 2), 0x57);
    ck_assert_uint_eq(read_dword(v, 0x5002), GDT);
    ck_assert_uint_eq(phys_read(v->p, 0x5010, 2), 256 * 8 - 1);
    ck_assert_uint_eq(read_dword(v, 0x5012), IDT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ECX), cpu_get_cr(v->c, 0));
    vm_free(v);
}
END_TEST

START_TEST(x87_escapes_without_an_fpu_fault_nm_with_em_and_read_all_ones_without)
{
    for (unsigned op = 0xd8; op <= 0xdf; op++) {
        struct vm *v = vm_new_protected();
        cpu_set_cr(v->c, 0, cpu_get_cr(v->c, 0) | 4);   /* EM */
        load_bytes(v, CODE, (uint8_t[]){(uint8_t)op, 0xc0}, 2);
        ck_assert_int_eq(run_to_handler(v), 7);
        vm_free(v);
    }
    struct vm *v = vm_new_protected();
    /* fninit; fnstsw ax; fnstcw [5000h]; hlt -- the probe an OS runs */
    load_bytes(v, CODE, (uint8_t[]){0xdb, 0xe3, 0xdf, 0xe0, 0xd9, 0x3d, 0x00, 0x50, 0, 0, 0xf4}, 11);
    cpu_set_reg(v->c, R_EAX, 0);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xffff, 0xffff);
    ck_assert_uint_eq(phys_read(v->p, 0x5000, 2), 0xffff);
    vm_free(v);
}
END_TEST

START_TEST(p6_hint_nops_0f18_to_0f1f_do_nothing)
{
    struct vm *v = vm_new_protected();
    uint8_t p[16 * 3 + 1];
    for (unsigned k = 0; k < 16; k++) {   /* 0F 18..1F /k, then 0F 1F /0../7, operand [eax] */
        p[3 * k] = 0x0f;
        p[3 * k + 1] = (uint8_t)(k < 8 ? 0x18 + k : 0x1f);
        p[3 * k + 2] = (uint8_t)((k & 7) << 3);
    }
    p[48] = 0xf4;
    load_bytes(v, CODE, p, sizeof p);
    cpu_set_reg(v->c, R_EAX, 0xfffffff0u);   /* never dereferenced */
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_eip(v->c), CODE + 49);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), 0xfffffff0u);
    vm_free(v);
}
END_TEST

START_TEST(rep_movsd_with_overlap_replicates_element_by_element)
{
    struct vm *v = vm_new_protected();
    for (unsigned k = 0; k < 64; k++)
        phys_write(v->p, 0x5000 + k, k, 1);
    /* cld; mov esi,5000h; mov edi,5002h; mov ecx,8; rep movsd; hlt */
    const uint8_t p[] = {0xfc, 0xbe, 0x00, 0x50, 0, 0, 0xbf, 0x02, 0x50, 0, 0, 0xb9, 8, 0, 0, 0,
                         0xf3, 0xa5, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    /* dword k reads 4 bytes of which the first 2 were just written by dword k-1 */
    uint8_t ref[64];
    for (unsigned k = 0; k < 64; k++)
        ref[k] = (uint8_t)k;
    for (unsigned e = 0; e < 8; e++) {
        uint8_t t[4];
        memcpy(t, ref + 4 * e, 4);
        memcpy(ref + 2 + 4 * e, t, 4);
    }
    for (unsigned k = 0; k < 40; k++)
        ck_assert_uint_eq(phys_read(v->p, 0x5000 + k, 1), ref[k]);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDI), 0x5022);
    vm_free(v);
}
END_TEST

START_TEST(rep_stosd_across_pages_fills_and_counts)
{
    struct vm *v = vm_new_protected();
    /* cld; mov edi,5ff0h; mov ecx,1000h; mov eax,0a5a5a5a5h; rep stosd; hlt */
    const uint8_t p[] = {0xfc, 0xbf, 0xf0, 0x5f, 0, 0, 0xb9, 0x00, 0x10, 0, 0, 0xb8, 0xa5, 0xa5, 0xa5, 0xa5,
                         0xf3, 0xab, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ECX), 0);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDI), 0x5ff0 + 0x4000);
    ck_assert_uint_eq(read_dword(v, 0x5ff0), 0xa5a5a5a5u);
    ck_assert_uint_eq(read_dword(v, 0x9fec), 0xa5a5a5a5u);
    ck_assert_uint_eq(read_dword(v, 0x9ff0), 0);
    vm_free(v);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("cpu_sys");
    TCase *tc = tcase_create("sys");
    tcase_add_test(tc, push_and_pop_of_segment_registers_move_selectors_through_the_stack);
    tcase_add_test(tc, mov_sreg_forms_copy_selectors_and_load_descriptors);
    tcase_add_test(tc, lds_les_lss_lfs_lgs_load_a_far_pointer);
    tcase_add_test(tc, far_call_and_jmp_through_memory_and_retf_stay_in_ring0);
    tcase_add_test(tc, sldt_str_sgdt_sidt_smsw_store_the_system_registers);
    tcase_add_test(tc, x87_escapes_without_an_fpu_fault_nm_with_em_and_read_all_ones_without);
    tcase_add_test(tc, p6_hint_nops_0f18_to_0f1f_do_nothing);
    tcase_add_test(tc, rep_movsd_with_overlap_replicates_element_by_element);
    tcase_add_test(tc, rep_stosd_across_pages_fills_and_counts);
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
