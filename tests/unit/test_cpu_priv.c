/* Privileged and I/O instructions at CPL 0: the rows the differential suite
 * can only check as #GP at CPL 3. Expected values from the SDM Vol. 2
 * instruction pages (INS, OUTS, IN, OUT, LLDT, LTR, LMSW, INVLPG, CLTS,
 * INVD, WBINVD, MOV DR) and Vol. 3 §17.2 (debug registers). The stub bus
 * returns 0x1200 + port for IN and records the last OUT. */
#include <check.h>
#include <stdlib.h>

#include "cpu_fixture.h"

static void step(struct vm *v, int n)
{
    for (int k = 0; k < n; k++)
        ck_assert_int_eq(cpu_step(v->c), CPU_STOP_BUDGET);
}

START_TEST(ins_and_outs_move_data_between_ports_and_memory_stepping_by_df)
{
    struct vm *v = vm_new_protected();
    /* cld; insb; insw; insd; std; insb;
     * cld; outsb; outsw; outsd; std; outsb; hlt */
    const uint8_t p[] = {0xfc, 0x6c, 0x66, 0x6d, 0x6d, 0xfd, 0x6c,
                         0xfc, 0x6e, 0x66, 0x6f, 0x6f, 0xfd, 0x6e, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    cpu_set_reg(v->c, R_EDX, 0x60);
    cpu_set_reg(v->c, R_EDI, 0x5000);
    cpu_set_reg(v->c, R_ESI, 0x6000);
    for (unsigned k = 0; k < 16; k++)
        phys_write(v->p, 0x5000 + k, 0xee, 1);
    phys_write(v->p, 0x6000, 0x44332211u, 4);
    phys_write(v->p, 0x6004, 0x88776655u, 4);

    step(v, 2);   /* cld; insb: a byte from port DX to ES:EDI, EDI + 1 */
    ck_assert_uint_eq(read_guest(v, 0x5000, 1), 0x60);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDI), 0x5001);
    step(v, 1);   /* insw */
    ck_assert_uint_eq(read_guest(v, 0x5001, 2), 0x1260);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDI), 0x5003);
    step(v, 1);   /* insd */
    ck_assert_uint_eq(read_dword(v, 0x5003), 0x1260);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDI), 0x5007);
    step(v, 2);   /* std; insb: EDI - 1 */
    ck_assert_uint_eq(read_guest(v, 0x5007, 1), 0x60);
    ck_assert_uint_eq(read_guest(v, 0x5008, 1), 0xee);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDI), 0x5006);

    step(v, 2);   /* cld; outsb: DS:ESI to port DX */
    ck_assert_uint_eq(v->last_port, 0x60);
    ck_assert_uint_eq(v->last_out, 0x11);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESI), 0x6001);
    step(v, 1);   /* outsw */
    ck_assert_uint_eq(v->last_out, 0x3322);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESI), 0x6003);
    step(v, 1);   /* outsd: bytes 6003h-6006h */
    ck_assert_uint_eq(v->last_out, 0x77665544u);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESI), 0x6007);
    step(v, 2);   /* std; outsb */
    ck_assert_uint_eq(v->last_out, 0x88);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESI), 0x6006);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDX), 0x60);
    vm_free(v);
}
END_TEST

START_TEST(in_eax_imm8_and_out_imm8_eax_move_32_bits)
{
    struct vm *v = vm_new_protected();
    /* in eax,70h; out 71h,eax (with EAX reloaded first); hlt */
    const uint8_t p[] = {0xe5, 0x70, 0xb8, 0xef, 0xbe, 0xad, 0xde, 0xe7, 0x71, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    cpu_set_reg(v->c, R_EAX, 0xffffffffu);
    step(v, 1);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), 0x1270);   /* all 32 bits written */
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(v->last_port, 0x71);
    ck_assert_uint_eq(v->last_out, 0xdeadbeefu);
    vm_free(v);
}
END_TEST

START_TEST(lldt_loads_ldtr_from_a_gdt_ldt_descriptor_and_accepts_a_null_selector)
{
    struct vm *v = vm_new_protected();
    cpu_set_gdtr(v->c, GDT, 0x5f);
    write_qword(v, GDT + 0x58, seg_descriptor(0x7000, 0x3f, 0x82, 0));   /* LDT, type 2 */
    write_qword(v, 0x7000, seg_descriptor(0x30000, 0xfff, 0x93, 0));     /* LDT entry 0: data */
    /* mov ax,58h; lldt ax; sldt bx; mov dx,4 (LDT entry 0); mov es,dx;
     * xor ecx,ecx; lldt cx; hlt */
    const uint8_t p[] = {0x66, 0xb8, 0x58, 0x00, 0x0f, 0x00, 0xd0, 0x0f, 0x00, 0xc3,
                         0x66, 0xba, 0x04, 0x00, 0x8e, 0xc2};
    const uint8_t q[] = {0x31, 0xc9, 0x0f, 0x00, 0xd1, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    load_bytes(v, CODE + sizeof p, q, sizeof q);
    cpu_set_reg(v->c, R_EBX, 0);
    step(v, 5);
    struct seg l = cpu_get_seg(v->c, S_LDTR);
    ck_assert_uint_eq(l.sel, 0x58);
    ck_assert_uint_eq(l.base, 0x7000);
    ck_assert_uint_eq(l.limit, 0x3f);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX) & 0xffff, 0x58);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_ES).base, 0x30000);   /* TI = 1 went through the LDT */
    ck_assert_uint_eq(cpu_get_seg(v->c, S_ES).limit, 0xfff);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_eip(v->c), CODE + sizeof p + sizeof q);   /* no #GP */
    ck_assert_uint_eq(cpu_get_seg(v->c, S_LDTR).sel, 0);
    vm_free(v);
}
END_TEST

START_TEST(ltr_loads_tr_and_marks_the_tss_descriptor_busy)
{
    struct vm *v = vm_new_protected();
    cpu_set_gdtr(v->c, GDT, 0x5f);
    write_qword(v, GDT + 0x58, seg_descriptor(0x7000, 0x67, 0x89, 0));   /* available 386 TSS */
    /* mov ax,58h; ltr ax; str bx; ltr ax (now busy: #GP); */
    const uint8_t p[] = {0x66, 0xb8, 0x58, 0x00, 0x0f, 0x00, 0xd8, 0x0f, 0x00, 0xcb, 0x0f, 0x00, 0xd8, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    step(v, 3);
    struct seg t = cpu_get_seg(v->c, S_TR);
    ck_assert_uint_eq(t.sel, 0x58);
    ck_assert_uint_eq(t.base, 0x7000);
    ck_assert_uint_eq(t.limit, 0x67);
    ck_assert_uint_eq(read_guest(v, GDT + 0x58 + 5, 1), 0x8b);   /* type 9 -> 11 */
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX) & 0xffff, 0x58);
    ck_assert_int_eq(run_to_handler(v), 13);
    ck_assert_uint_eq(read_dword(v, STACK0 - 4 * 4 + 0), 0x58);   /* error code: the selector */
    vm_free(v);
}
END_TEST

START_TEST(lmsw_sets_pe_mp_em_ts_but_cannot_clear_pe)
{
    struct vm *v = vm_new_protected();
    uint32_t cr0 = cpu_get_cr(v->c, 0);
    ck_assert_uint_eq(cr0 & 1, 1);
    /* mov ax,0ffffh; lmsw ax; mov ecx,cr0; mov ax,0; lmsw ax; mov edx,cr0; hlt */
    const uint8_t p[] = {0x66, 0xb8, 0xff, 0xff, 0x0f, 0x01, 0xf0, 0x0f, 0x20, 0xc1,
                         0x66, 0xb8, 0x00, 0x00, 0x0f, 0x01, 0xf0, 0x0f, 0x20, 0xc2, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    /* only bits 0-3 load: the rest of 0xffff leaves CR0 alone */
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ECX), (cr0 & ~0xfu) | 0xf);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDX), (cr0 & ~0xfu) | 0x1);   /* PE stays set */
    vm_free(v);
}
END_TEST

START_TEST(invlpg_drops_a_stale_translation)
{
    struct vm *v = vm_new_protected();
    /* identity-map the 4 MiB: PD at 0x20000, PT at 0x21000 */
    phys_write(v->p, 0x20000, 0x21000 | 3, 4);
    for (uint32_t k = 0; k < 1024; k++)
        phys_write(v->p, 0x21000 + 4 * k, (k << 12) | 3, 4);
    phys_write(v->p, 0x5000, 0x11111111u, 4);
    phys_write(v->p, 0x7000, 0x22222222u, 4);
    cpu_set_cr(v->c, 3, 0x20000);
    cpu_set_cr(v->c, 0, cpu_get_cr(v->c, 0) | 0x80000000u);
    /* mov eax,[5000h]; mov dword [21014h],7003h (PTE of page 5 -> frame 7);
     * mov ebx,[5000h]; invlpg [5000h]; mov ecx,[5000h]; hlt */
    const uint8_t p[] = {0xa1, 0x00, 0x50, 0x00, 0x00,
                         0xc7, 0x05, 0x14, 0x10, 0x02, 0x00, 0x03, 0x70, 0x00, 0x00,
                         0x8b, 0x1d, 0x00, 0x50, 0x00, 0x00,
                         0x0f, 0x01, 0x3d, 0x00, 0x50, 0x00, 0x00,
                         0x8b, 0x0d, 0x00, 0x50, 0x00, 0x00, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), 0x11111111u);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX), 0x11111111u);   /* the TLB still holds frame 5 */
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ECX), 0x22222222u);
    vm_free(v);
}
END_TEST

START_TEST(clts_clears_cr0_ts)
{
    struct vm *v = vm_new_protected();
    uint32_t cr0 = cpu_get_cr(v->c, 0) | 0x8 | 0x2;
    cpu_set_cr(v->c, 0, cr0);
    /* clts; mov eax,cr0; hlt */
    const uint8_t p[] = {0x0f, 0x06, 0x0f, 0x20, 0xc0, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), cr0 & ~0x8u);
    ck_assert_uint_eq(cpu_get_cr(v->c, 0), cr0 & ~0x8u);
    vm_free(v);
}
END_TEST

START_TEST(invd_and_wbinvd_only_advance_eip)
{
    struct vm *v = vm_new_protected();
    /* invd; wbinvd; hlt */
    const uint8_t p[] = {0x0f, 0x08, 0x0f, 0x09, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    phys_write(v->p, 0x5000, 0x5a5a5a5au, 4);
    for (int r = R_EAX; r <= R_EDI; r++)
        if (r != R_ESP)
            cpu_set_reg(v->c, (enum cpu_reg)r, 0x100u * (unsigned)r + 7);
    uint32_t fl = cpu_get_eflags(v->c), cr0 = cpu_get_cr(v->c, 0);
    step(v, 1);
    ck_assert_uint_eq(cpu_get_eip(v->c), CODE + 2);
    step(v, 1);
    ck_assert_uint_eq(cpu_get_eip(v->c), CODE + 4);
    for (int r = R_EAX; r <= R_EDI; r++)
        if (r != R_ESP)
            ck_assert_uint_eq(cpu_get_reg(v->c, (enum cpu_reg)r), 0x100u * (unsigned)r + 7);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESP), STACK0);
    ck_assert_uint_eq(cpu_get_eflags(v->c), fl);
    ck_assert_uint_eq(cpu_get_cr(v->c, 0), cr0);
    ck_assert_uint_eq(read_dword(v, 0x5000), 0x5a5a5a5au);
    vm_free(v);
}
END_TEST

START_TEST(mov_to_and_from_dr0_and_dr7_round_trips)
{
    struct vm *v = vm_new_protected();
    /* mov dr0,eax; mov ebx,dr0; mov dr7,ecx; mov edx,dr7; hlt */
    const uint8_t p[] = {0x0f, 0x23, 0xc0, 0x0f, 0x21, 0xc3, 0x0f, 0x23, 0xf9, 0x0f, 0x21, 0xfa, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    cpu_set_reg(v->c, R_EAX, 0x12345678u);
    cpu_set_reg(v->c, R_ECX, 0x000f0400u);   /* R/W0 and LEN0 set, no breakpoint enabled */
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX), 0x12345678u);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDX), 0x000f0400u);
    ck_assert_uint_eq(cpu_get_dr(v->c, 0), 0x12345678u);
    ck_assert_uint_eq(cpu_get_dr(v->c, 7), 0x000f0400u);
    vm_free(v);
}
END_TEST

START_TEST(dr4_dr5_alias_dr6_dr7_without_cr4_de_and_are_ud_with_it)
{
    struct vm *v = vm_new_protected();
    ck_assert_uint_eq(cpu_get_cr(v->c, 4) & 0x8, 0);
    /* mov dr5,eax; mov edx,dr7; mov esi,dr4; mov edi,dr6; hlt */
    const uint8_t p[] = {0x0f, 0x23, 0xe8, 0x0f, 0x21, 0xfa, 0x0f, 0x21, 0xe6, 0x0f, 0x21, 0xf7, 0xf4};
    load_bytes(v, CODE, p, sizeof p);
    cpu_set_reg(v->c, R_EAX, 0x00f00400u);
    cpu_set_reg(v->c, R_ESI, 0);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDX), 0x00f00400u);   /* DR5 wrote DR7 */
    ck_assert_uint_eq(cpu_get_dr(v->c, 7), 0x00f00400u);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESI), cpu_get_reg(v->c, R_EDI));   /* DR4 reads DR6 */
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESI), cpu_get_dr(v->c, 6));
    ck_assert_uint_ne(cpu_get_reg(v->c, R_ESI), 0);   /* DR6 bits 4-11 read as 1 */
    vm_free(v);

    /* with CR4.DE = 1 both directions of DR4/DR5 are #UD */
    const uint8_t ud[2][4] = {{0x0f, 0x21, 0xe0, 0xf4}, {0x0f, 0x23, 0xe8, 0xf4}};
    for (int k = 0; k < 2; k++) {
        v = vm_new_protected();
        cpu_set_cr(v->c, 4, cpu_get_cr(v->c, 4) | 0x8);
        load_bytes(v, CODE, ud[k], 4);
        cpu_set_reg(v->c, R_EAX, 0x00f00400u);
        ck_assert_int_eq(run_to_handler(v), 6);
        ck_assert_uint_eq(read_dword(v, STACK0 - 12), CODE);   /* fault: EIP of the MOV */
        ck_assert_uint_ne(cpu_get_dr(v->c, 7), 0x00f00400u);
        vm_free(v);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_priv");
    TCase *tc = tcase_create("priv");
    tcase_add_test(tc, ins_and_outs_move_data_between_ports_and_memory_stepping_by_df);
    tcase_add_test(tc, in_eax_imm8_and_out_imm8_eax_move_32_bits);
    tcase_add_test(tc, lldt_loads_ldtr_from_a_gdt_ldt_descriptor_and_accepts_a_null_selector);
    tcase_add_test(tc, ltr_loads_tr_and_marks_the_tss_descriptor_busy);
    tcase_add_test(tc, lmsw_sets_pe_mp_em_ts_but_cannot_clear_pe);
    tcase_add_test(tc, invlpg_drops_a_stale_translation);
    tcase_add_test(tc, clts_clears_cr0_ts);
    tcase_add_test(tc, invd_and_wbinvd_only_advance_eip);
    tcase_add_test(tc, mov_to_and_from_dr0_and_dr7_round_trips);
    tcase_add_test(tc, dr4_dr5_alias_dr6_dr7_without_cr4_de_and_are_ud_with_it);
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
