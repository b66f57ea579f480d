/* Real-mode behaviour of the interpreter, the decoder's limits, the decoded
 * cache and self-modifying code. Expected values from the Intel SDM
 * (Vol. 2 instruction pages; Vol. 3 §20.1 real-address mode, §6.15). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/opcodes.h"
#include "cpu_fixture.h"
#include "machine/events.h"

static void real_seg(struct vm *v, enum cpu_seg s, uint16_t sel)
{
    struct seg g = {.sel = sel, .base = (uint32_t)sel << 4, .limit = 0xffff,
                    .flags = s == S_CS ? 0x9b : 0x93, .valid = true};
    cpu_set_seg(v->c, s, g);
}

/* Real mode, CS = DS = ES = SS = 0, IP = ip, SP = 0x7000. */
static void real_at(struct vm *v, uint16_t ip)
{
    real_seg(v, S_CS, 0);
    real_seg(v, S_DS, 0);
    real_seg(v, S_ES, 0);
    real_seg(v, S_SS, 0);
    cpu_set_eip(v->c, ip);
    cpu_set_reg(v->c, R_ESP, 0x7000);
}

static enum cpu_stop run(struct vm *v) { return cpu_run(v->c, cpu_icount(v->c) + 100000); }

static void ivt(struct vm *v, int vec, uint16_t cs, uint16_t ip)
{
    phys_write(v->p, (uint32_t)vec * 4, ip, 2);
    phys_write(v->p, (uint32_t)vec * 4 + 2, cs, 2);
}

START_TEST(reset_state_is_f000_fff0_with_cs_base_ffff0000)
{
    struct vm *v = vm_new();
    struct seg cs = cpu_get_seg(v->c, S_CS);
    ck_assert_uint_eq(cs.sel, 0xf000);
    ck_assert_uint_eq(cs.base, 0xffff0000u);
    ck_assert_uint_eq(cpu_get_eip(v->c), 0xfff0);
    ck_assert_uint_eq(cpu_get_eflags(v->c), 2);
    ck_assert_uint_eq(cpu_get_cr(v->c, 0), 0x60000010u);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDX) >> 8, 6);   /* family 6 */
    vm_free(v);
}
END_TEST

START_TEST(loop_sums_and_halts_with_stop_hlt)
{
    struct vm *v = vm_new();
    /* mov ax,5; mov cx,10; l: add ax,cx; loop l; hlt */
    const uint8_t code[] = {0xb8, 5, 0, 0xb9, 10, 0, 0x01, 0xc8, 0xe2, 0xfc, 0xf4};
    load_bytes(v, 0x1000, code, sizeof code);
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xffff, 60);
    ck_assert_uint_eq(cpu_get_eip(v->c), 0x100b);
    ck_assert(cpu_halted(v->c));
    vm_free(v);
}
END_TEST

START_TEST(far_jump_in_real_mode_sets_cs_base_to_selector_times_16)
{
    struct vm *v = vm_new();
    const uint8_t code[] = {0xea, 0x05, 0x00, 0x00, 0x02};  /* jmp 0200:0005 */
    const uint8_t hlt[] = {0xf4};
    load_bytes(v, 0x1000, code, sizeof code);
    load_bytes(v, 0x2005, hlt, 1);
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    struct seg cs = cpu_get_seg(v->c, S_CS);
    ck_assert_uint_eq(cs.sel, 0x200);
    ck_assert_uint_eq(cs.base, 0x2000);
    ck_assert_uint_eq(cpu_get_eip(v->c), 6);
    vm_free(v);
}
END_TEST

START_TEST(int_n_pushes_flags_cs_ip_and_clears_if_tf)
{
    struct vm *v = vm_new();
    /* sti; int 21h; (handler at 0300:0010: hlt) */
    const uint8_t code[] = {0xfb, 0xcd, 0x21};
    load_bytes(v, 0x1000, code, sizeof code);
    load_bytes(v, 0x3010, (uint8_t[]){0xf4}, 1);
    ivt(v, 0x21, 0x300, 0x10);
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_seg(v->c, S_CS).sel, 0x300);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESP), 0x7000 - 6);
    ck_assert_uint_eq(read_guest(v, 0x7000 - 6, 2), 0x1003);     /* IP after INT */
    ck_assert_uint_eq(read_guest(v, 0x7000 - 4, 2), 0);          /* CS */
    ck_assert_uint_eq(read_guest(v, 0x7000 - 2, 2) & F_IF, F_IF); /* FLAGS as before */
    ck_assert_uint_eq(cpu_get_eflags(v->c) & (F_IF | F_TF), 0);
    vm_free(v);
}
END_TEST

START_TEST(divide_error_is_a_fault_pushing_ip_of_the_div)
{
    struct vm *v = vm_new();
    /* xor cx,cx; mov ax,7; div cx  -> #DE handler at 0400:0000 */
    const uint8_t code[] = {0x31, 0xc9, 0xb8, 7, 0, 0xf7, 0xf1};
    load_bytes(v, 0x1000, code, sizeof code);
    load_bytes(v, 0x4000, (uint8_t[]){0xf4}, 1);
    ivt(v, 0, 0x400, 0);
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(read_guest(v, 0x7000 - 6, 2), 0x1005);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xffff, 7);   /* unchanged */
    uint32_t err;
    ck_assert_int_eq(cpu_last_exception(v->c, &err), 0);
    vm_free(v);
}
END_TEST

START_TEST(iret_returns_to_the_pushed_cs_ip_and_restores_flags)
{
    struct vm *v = vm_new();
    /* int 22h; inc bx; hlt ; handler: mov ax,1234h; iret */
    const uint8_t code[] = {0xcd, 0x22, 0x43, 0xf4};
    const uint8_t h[] = {0xb8, 0x34, 0x12, 0xcf};
    load_bytes(v, 0x1000, code, sizeof code);
    load_bytes(v, 0x5000, h, sizeof h);
    ivt(v, 0x22, 0x500, 0);
    real_at(v, 0x1000);
    cpu_set_eflags(v->c, 2 | F_CF);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xffff, 0x1234);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX) & 0xffff, 1);
    ck_assert_uint_eq(cpu_get_eflags(v->c) & F_CF, F_CF);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESP), 0x7000);
    vm_free(v);
}
END_TEST

START_TEST(store_into_the_next_instruction_is_executed_self_modifying)
{
    struct vm *v = vm_new();
    /* mov byte [1006h], 42h ; mov al, 00h ; hlt   (imm of the second insn at 0x1006) */
    const uint8_t code[] = {0xc6, 0x06, 0x06, 0x10, 0x42, 0xb0, 0x00, 0xf4};
    load_bytes(v, 0x1000, code, sizeof code);
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xff, 0x42);
    vm_free(v);
}
END_TEST

START_TEST(code_rewritten_after_it_ran_runs_the_new_bytes)
{
    struct vm *v = vm_new();
    /* 0x1000: call 2000h ; mov byte [2001h], 7 ; call 2000h ; hlt
     * 0x2000: mov al, 3 ; add bl, al ; ret   (second call adds 7) */
    const uint8_t code[] = {0xe8, 0xfd, 0x0f, 0xc6, 0x06, 0x01, 0x20, 0x07, 0xe8, 0xf5, 0x0f, 0xf4};
    const uint8_t sub[] = {0xb0, 0x03, 0x00, 0xc3, 0xc3};
    load_bytes(v, 0x1000, code, sizeof code);
    load_bytes(v, 0x2000, sub, sizeof sub);
    real_at(v, 0x1000);
    cpu_set_reg(v->c, R_EBX, 0);
    /* first fix sub to "mov al,3; add bl,al; ret" */
    load_bytes(v, 0x2000, (uint8_t[]){0xb0, 0x03, 0x00, 0xc3, 0xc3}, 5);
    load_bytes(v, 0x2002, (uint8_t[]){0x00, 0xc3, 0xc3}, 3);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX) & 0xff, 3 + 7);
    vm_free(v);
}
END_TEST

START_TEST(phys_load_over_decoded_code_invalidates_it)
{
    struct vm *v = vm_new();
    load_bytes(v, 0x1000, (uint8_t[]){0xb0, 0x11, 0xf4}, 3);   /* mov al,11h; hlt */
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xff, 0x11);
    load_bytes(v, 0x1000, (uint8_t[]){0xb0, 0x22, 0xf4}, 3);
    cpu_set_eip(v->c, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xff, 0x22);
    vm_free(v);
}
END_TEST

START_TEST(rep_movsb_copies_cx_bytes_forward_and_std_copies_backward)
{
    struct vm *v = vm_new();
    load_bytes(v, 0x3000, "abcdefgh", 8);
    /* cld; mov si,3000h; mov di,4000h; mov cx,8; rep movsb;
     * std; mov si,3007h; mov di,5007h; mov cx,8; rep movsb; hlt */
    const uint8_t code[] = {0xfc, 0xbe, 0x00, 0x30, 0xbf, 0x00, 0x40, 0xb9, 8, 0, 0xf3, 0xa4,
                            0xfd, 0xbe, 0x07, 0x30, 0xbf, 0x07, 0x50, 0xb9, 8, 0, 0xf3, 0xa4, 0xf4};
    load_bytes(v, 0x1000, code, sizeof code);
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    char a[9] = {0}, b[9] = {0};
    phys_read_block(v->p, 0x4000, a, 8);
    phys_read_block(v->p, 0x5000, b, 8);
    ck_assert_str_eq(a, "abcdefgh");
    ck_assert_str_eq(b, "abcdefgh");
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ECX) & 0xffff, 0);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESI) & 0xffff, 0x2fff);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDI) & 0xffff, 0x4fff);
    vm_free(v);
}
END_TEST

START_TEST(repe_cmpsb_stops_at_first_difference)
{
    struct vm *v = vm_new();
    load_bytes(v, 0x3000, "hello", 5);
    load_bytes(v, 0x4000, "helpo", 5);
    /* cld; mov si,3000h; mov di,4000h; mov cx,5; repe cmpsb; hlt */
    const uint8_t code[] = {0xfc, 0xbe, 0x00, 0x30, 0xbf, 0x00, 0x40, 0xb9, 5, 0, 0xf3, 0xa6, 0xf4};
    load_bytes(v, 0x1000, code, sizeof code);
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ECX) & 0xffff, 1);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ESI) & 0xffff, 0x3004);
    ck_assert_uint_eq(cpu_get_eflags(v->c) & F_ZF, 0);
    ck_assert_uint_eq(cpu_get_eflags(v->c) & F_CF, F_CF);   /* 'l' < 'p': borrow */
    vm_free(v);
}
END_TEST

START_TEST(hlt_wakes_on_intr_when_if_is_set)
{
    struct vm *v = vm_new();
    /* sti; hlt; inc cx; hlt   handler (vector 8) at 0600:0000: mov dx, 77h; iret */
    load_bytes(v, 0x1000, (uint8_t[]){0xfb, 0xf4, 0x41, 0xf4}, 4);
    load_bytes(v, 0x6000, (uint8_t[]){0xba, 0x77, 0x00, 0xcf}, 4);
    ivt(v, 8, 0x600, 0);
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_eip(v->c), 0x1002);
    v->irq_vector = 8;
    cpu_set_intr(v->c, true);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    cpu_set_intr(v->c, false);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EDX) & 0xffff, 0x77);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_ECX) & 0xffff, 1);
    ck_assert_uint_eq(cpu_get_eip(v->c), 0x1004);
    vm_free(v);
}
END_TEST

START_TEST(sti_delays_interrupts_until_after_the_next_instruction)
{
    struct vm *v = vm_new();
    /* sti; inc ax; inc ax; hlt  handler: mov bx, ax; hlt */
    load_bytes(v, 0x1000, (uint8_t[]){0xfb, 0x40, 0x40, 0xf4}, 4);
    load_bytes(v, 0x6000, (uint8_t[]){0x89, 0xc3, 0xf4}, 3);
    ivt(v, 9, 0x600, 0);
    real_at(v, 0x1000);
    cpu_set_reg(v->c, R_EAX, 0);
    v->irq_vector = 9;
    cpu_set_intr(v->c, true);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX) & 0xffff, 1);   /* one INC ran in the shadow */
    ck_assert_uint_eq(read_guest(v, 0x7000 - 6, 2), 0x1002);
    vm_free(v);
}
END_TEST

START_TEST(in_and_out_reach_the_bus)
{
    struct vm *v = vm_new();
    /* mov dx, 3f8h; in al, dx; out 80h, al; hlt */
    load_bytes(v, 0x1000, (uint8_t[]){0xba, 0xf8, 0x03, 0xec, 0xe6, 0x80, 0xf4}, 7);
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xff, (0x1200 + 0x3f8) & 0xff);
    ck_assert_uint_eq(v->last_port, 0x80);
    ck_assert_uint_eq(v->last_out, (0x1200 + 0x3f8) & 0xff);
    vm_free(v);
}
END_TEST

START_TEST(undefined_opcode_raises_ud_vector_6)
{
    struct vm *v = vm_new();
    load_bytes(v, 0x1000, (uint8_t[]){0x0f, 0xff}, 2);
    load_bytes(v, 0x6000, (uint8_t[]){0xf4}, 1);
    ivt(v, 6, 0x600, 0);
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_int_eq(cpu_last_exception(v->c, NULL), 6);
    ck_assert_uint_eq(read_guest(v, 0x7000 - 6, 2), 0x1000);
    vm_free(v);
}
END_TEST

START_TEST(lock_prefix_on_a_non_lockable_instruction_is_ud)
{
    struct vm *v = vm_new();
    load_bytes(v, 0x1000, (uint8_t[]){0xf0, 0x89, 0xc3}, 3);   /* lock mov bx, ax */
    load_bytes(v, 0x6000, (uint8_t[]){0xf4}, 1);
    ivt(v, 6, 0x600, 0);
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_int_eq(cpu_last_exception(v->c, NULL), 6);
    vm_free(v);
}
END_TEST

START_TEST(lock_add_to_memory_is_allowed)
{
    struct vm *v = vm_new();
    load_bytes(v, 0x1000, (uint8_t[]){0xf0, 0x01, 0x06, 0x00, 0x30, 0xf4}, 6);   /* lock add [3000h], ax */
    real_at(v, 0x1000);
    cpu_set_reg(v->c, R_EAX, 5);
    phys_write(v->p, 0x3000, 10, 2);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(read_guest(v, 0x3000, 2), 15);
    vm_free(v);
}
END_TEST

START_TEST(instruction_longer_than_15_bytes_raises_gp)
{
    struct vm *v = vm_new();
    uint8_t code[20];
    memset(code, 0x66, 14);          /* 14 prefixes + 05 iw = 17 bytes */
    code[14] = 0x05;
    code[15] = 1;
    code[16] = 0;
    load_bytes(v, 0x1000, code, 17);
    load_bytes(v, 0x6000, (uint8_t[]){0xf4}, 1);
    ivt(v, 13, 0x600, 0);
    real_at(v, 0x1000);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_int_eq(cpu_last_exception(v->c, NULL), 13);
    ck_assert_uint_eq(read_guest(v, 0x7000 - 6, 2), 0x1000);
    vm_free(v);
}
END_TEST

START_TEST(sixteen_bit_addressing_bp_defaults_to_ss)
{
    struct vm *v = vm_new();
    /* mov ax,[bp+si+2]; hlt, with SS = 0x100 and DS = 0 */
    load_bytes(v, 0x1000, (uint8_t[]){0x8b, 0x42, 0x02, 0xf4}, 4);
    real_at(v, 0x1000);
    real_seg(v, S_SS, 0x100);
    cpu_set_reg(v->c, R_EBP, 0x10);
    cpu_set_reg(v->c, R_ESI, 0x20);
    phys_write(v->p, 0x1000 + 0x32, 0xbeef, 2);
    phys_write(v->p, 0x32, 0xdead, 2);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX) & 0xffff, 0xbeef);
    vm_free(v);
}
END_TEST

START_TEST(cpu_step_executes_exactly_one_instruction)
{
    struct vm *v = vm_new();
    load_bytes(v, 0x1000, (uint8_t[]){0x40, 0x40, 0x40, 0xf4}, 4);
    real_at(v, 0x1000);
    cpu_set_reg(v->c, R_EAX, 0);
    uint64_t n = cpu_icount(v->c);
    cpu_step(v->c);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), 1);
    ck_assert_uint_eq(cpu_icount(v->c), n + 1);
    cpu_step(v->c);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), 2);
    ck_assert_uint_eq(cpu_get_eip(v->c), 0x1002);
    vm_free(v);
}
END_TEST

START_TEST(opcode_table_rows_decode_to_themselves)
{
    size_t n;
    const struct cpu_opcode_info *t = cpu_opcode_table(&n);
    ck_assert_uint_gt(n, 400);
    for (size_t k = 0; k < n; k++) {
        unsigned reg = t[k].sub < 0 ? 0 : (unsigned)t[k].sub;
        const struct cpu_opcode_info *r = cpu_opcode_lookup(t[k].opcode, reg);
        ck_assert_ptr_nonnull(r);
        ck_assert_str_eq(r->mnemonic, t[k].mnemonic);
        ck_assert_int_eq(cpu_opcode_has_modrm(t[k].opcode), (t[k].flags & OPF_MODRM) != 0);
    }
    /* holes are undefined */
    ck_assert_ptr_null(cpu_opcode_lookup(0x1ff, 0));
    ck_assert_ptr_null(cpu_opcode_lookup(0xff, 7));
    ck_assert_ptr_null(cpu_opcode_lookup(0x1ba, 0));
    ck_assert_ptr_nonnull(cpu_opcode_lookup(0x1c7, 1));
}
END_TEST

START_TEST(insn_decode_reports_length_row_and_limits)
{
    const struct cpu_opcode_info *info = NULL;
    /* 66 81 84 88 44 33 22 11 55 66: add word [eax+ecx*4+11223344h], 6655h */
    const uint8_t a[] = {0x66, 0x81, 0x84, 0x88, 0x44, 0x33, 0x22, 0x11, 0x55, 0x66};
    ck_assert_int_eq(cpu_insn_decode(a, sizeof a, 1, &info), 10);
    ck_assert_str_eq(info->mnemonic, "add");
    ck_assert_int_eq(info->sub, 0);
    ck_assert_int_eq(cpu_insn_decode(a, 9, 1, NULL), -1);
    /* the same bytes in 16-bit code: 66 selects 32-bit operands, ModRM 84 is [si+disp16] */
    ck_assert_int_eq(cpu_insn_decode(a, sizeof a, 0, NULL), 9);
    const uint8_t ud[] = {0x0f, 0x0b};
    ck_assert_int_eq(cpu_insn_decode(ud, 2, 1, &info), 2);
    ck_assert_str_eq(info->mnemonic, "ud2");
    const uint8_t bad[] = {0xff, 0xf8};   /* FF /7 */
    ck_assert_int_eq(cpu_insn_decode(bad, 2, 1, NULL), 0);
    uint8_t longp[16];
    memset(longp, 0x26, sizeof longp);
    ck_assert_int_eq(cpu_insn_decode(longp, sizeof longp, 1, NULL), -2);
}
END_TEST

START_TEST(exceptions_are_logged_as_events_but_irqs_on_low_vectors_are_not)
{
    struct events *ev = calloc(1, sizeof *ev);
    struct vm *v = vm_new_with_events(ev);
    events_init(ev, cpu_icount_ptr(v->c));
    ev->mask = 1u << EV_EXCEPTION;
    /* sti; nop; (IRQ -> vector 8: handler iret); ud2 (-> vector 6: hlt) */
    load_bytes(v, 0x1000, (uint8_t[]){0xfb, 0x90, 0x0f, 0x0b}, 4);
    load_bytes(v, 0x6000, (uint8_t[]){0xcf}, 1);
    load_bytes(v, 0x6100, (uint8_t[]){0xf4}, 1);
    ivt(v, 8, 0x600, 0);
    ivt(v, 6, 0x610, 0);
    real_at(v, 0x1000);
    v->irq_vector = 8;
    cpu_set_intr(v->c, true);
    ck_assert_int_eq(run(v), CPU_STOP_HLT);
    uint64_t since = 0;
    struct event out[8];
    unsigned n = events_read(ev, &since, out, 8);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(out[0].kind, EV_EXCEPTION);
    ck_assert_uint_eq(out[0].a, 6);
    ck_assert_uint_eq(out[0].c, 0x1002);
    vm_free(v);
    free(ev);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("cpu_real");
    TCase *tc = tcase_create("real");
    tcase_add_test(tc, reset_state_is_f000_fff0_with_cs_base_ffff0000);
    tcase_add_test(tc, loop_sums_and_halts_with_stop_hlt);
    tcase_add_test(tc, far_jump_in_real_mode_sets_cs_base_to_selector_times_16);
    tcase_add_test(tc, int_n_pushes_flags_cs_ip_and_clears_if_tf);
    tcase_add_test(tc, divide_error_is_a_fault_pushing_ip_of_the_div);
    tcase_add_test(tc, iret_returns_to_the_pushed_cs_ip_and_restores_flags);
    tcase_add_test(tc, store_into_the_next_instruction_is_executed_self_modifying);
    tcase_add_test(tc, code_rewritten_after_it_ran_runs_the_new_bytes);
    tcase_add_test(tc, phys_load_over_decoded_code_invalidates_it);
    tcase_add_test(tc, rep_movsb_copies_cx_bytes_forward_and_std_copies_backward);
    tcase_add_test(tc, repe_cmpsb_stops_at_first_difference);
    tcase_add_test(tc, hlt_wakes_on_intr_when_if_is_set);
    tcase_add_test(tc, sti_delays_interrupts_until_after_the_next_instruction);
    tcase_add_test(tc, in_and_out_reach_the_bus);
    tcase_add_test(tc, undefined_opcode_raises_ud_vector_6);
    tcase_add_test(tc, lock_prefix_on_a_non_lockable_instruction_is_ud);
    tcase_add_test(tc, lock_add_to_memory_is_allowed);
    tcase_add_test(tc, instruction_longer_than_15_bytes_raises_gp);
    tcase_add_test(tc, sixteen_bit_addressing_bp_defaults_to_ss);
    tcase_add_test(tc, cpu_step_executes_exactly_one_instruction);
    tcase_add_test(tc, opcode_table_rows_decode_to_themselves);
    tcase_add_test(tc, insn_decode_reports_length_row_and_limits);
    tcase_add_test(tc, exceptions_are_logged_as_events_but_irqs_on_low_vectors_are_not);
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
