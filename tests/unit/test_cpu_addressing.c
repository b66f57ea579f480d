/* Default segment of every ModRM/SIB memory form.
 *
 * The differential suite cannot see which segment a form defaults to: the
 * host's SS and DS have the same base. Here every segment register gets its
 * own base, the same effective address (EA) holds a different tag in each
 * segment, and MOV EAX,[form] reports the segment the CPU chose.
 *
 * Expected segments come from the manuals, not from decode.c:
 * - SDM Vol. 1 §3.7.5 / Table 3-5: SS is the default for memory references
 *   that use EBP or ESP as the base register (BP in 16-bit addressing);
 *   otherwise DS. A segment-override prefix replaces the default.
 * - SDM Vol. 2 Table 2-1 (16-bit ModRM): [BX+SI] [BX+DI] [SI] [DI] [BX]
 *   disp16 -> DS; [BP+SI] [BP+DI] [BP]+disp -> SS (mod 00 r/m 110 is
 *   disp16 alone, no BP).
 * - SDM Vol. 2 Table 2-2 (32-bit ModRM): mod 00 r/m 101 is disp32 alone;
 *   mod 01/10 r/m 101 is [EBP]+disp; r/m 100 means a SIB byte follows.
 * - SDM Vol. 2 Table 2-3 (SIB): base 100 is ESP; base 101 is [EBP] with
 *   mod 01/10 but no base at all (disp32) with mod 00; index 100 is "none"
 *   (ESP cannot be an index), and an index register never selects SS. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_fixture.h"

/* One base per segment register, all different; EA is the same in all. */
#define EA 0xc000u
static const uint32_t seg_base[6] = {
    [S_ES] = 0x180000, [S_CS] = 0x000000, [S_SS] = 0x100000,
    [S_DS] = 0x080000, [S_FS] = 0x200000, [S_GS] = 0x280000,
};

static uint32_t tag(int s) { return 0x5e600000u + (unsigned)s * 0x1111u; }

static const char *seg_name(int s)
{
    static const char *n[6] = {[S_ES] = "ES", [S_CS] = "CS", [S_SS] = "SS",
                               [S_DS] = "DS", [S_FS] = "FS", [S_GS] = "GS"};
    return s >= 0 && s < 6 ? n[s] : "?";
}

/* Ring 0, flat CS, the data segments at seg_base[], and seg_base[s] + EA
 * holding tag(s) for every segment s. */
static struct vm *vm_with_distinct_bases(void)
{
    struct vm *v = vm_new_protected();
    static const int data[] = {S_ES, S_SS, S_DS, S_FS, S_GS};
    for (unsigned k = 0; k < sizeof data / sizeof data[0]; k++) {
        int s = data[k];
        struct seg d = {.sel = K_DATA, .base = seg_base[s], .limit = 0xffffffffu, .flags = 0xc093,
                        .valid = true};
        cpu_set_seg(v->c, (enum cpu_seg)s, d);
    }
    for (int s = 0; s < 6; s++)
        phys_write(v->p, seg_base[s] + EA, tag(s), 4);
    return v;
}

/* Run code (ending in HLT) at CODE; it must stop at its own HLT. */
static void run_code(struct vm *v, const uint8_t *code, unsigned n)
{
    load_bytes(v, CODE, code, n);
    cpu_set_eip(v->c, CODE);
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100), CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_get_eip(v->c), CODE + n);
}

/* A load through one memory form: the bytes (without the final HLT), the
 * registers that make its EA equal EA, and the segment the SDM says. */
struct form {
    const char *what;
    uint8_t bytes[12];
    unsigned n;
    uint32_t eax, ecx, ebx, ebp, esp, esi, edi;
    int seg;
};

static const struct form forms[] = {
    /* 32-bit ModRM without SIB (Table 2-2), MOV EAX,m32 = 8B /0 */
    {"[eax]", {0x8b, 0x00}, 2, .eax = EA, .seg = S_DS},
    {"[disp32] (mod 00 r/m 101: no EBP)", {0x8b, 0x05, 0x00, 0xc0, 0x00, 0x00}, 6, .ebp = 0x777, .seg = S_DS},
    {"[ebp+0] (mod 01 r/m 101)", {0x8b, 0x45, 0x00}, 3, .ebp = EA, .seg = S_SS},
    {"[ebp+disp8]", {0x8b, 0x45, 0x10}, 3, .ebp = EA - 0x10, .seg = S_SS},
    {"[ebp-disp8]", {0x8b, 0x45, 0xf0}, 3, .ebp = EA + 0x10, .seg = S_SS},
    {"[ebp+disp32]", {0x8b, 0x85, 0x00, 0x01, 0x00, 0x00}, 6, .ebp = EA - 0x100, .seg = S_SS},
    {"[ebx+disp8]", {0x8b, 0x43, 0x10}, 3, .ebx = EA - 0x10, .seg = S_DS},
    /* SIB, base ESP (Table 2-3 base 100) */
    {"[esp] (SIB 24)", {0x8b, 0x04, 0x24}, 3, .esp = EA, .seg = S_SS},
    {"[esp+disp8]", {0x8b, 0x44, 0x24, 0x08}, 4, .esp = EA - 8, .seg = S_SS},
    {"[esp+disp32]", {0x8b, 0x84, 0x24, 0x00, 0x02, 0x00, 0x00}, 7, .esp = EA - 0x200, .seg = S_SS},
    {"[esp+ecx*4]", {0x8b, 0x04, 0x8c}, 3, .esp = EA - 0x40, .ecx = 0x10, .seg = S_SS},
    {"[esp+ebp] (EBP as index)", {0x8b, 0x04, 0x2c}, 3, .esp = EA - 0x30, .ebp = 0x30, .seg = S_SS},
    /* SIB, base EBP with mod 01/10 (Table 2-3 base 101, [EBP]) */
    {"[ebp+disp8] (SIB 25, no index)", {0x8b, 0x44, 0x25, 0x04}, 4, .ebp = EA - 4, .seg = S_SS},
    {"[ebp+ecx+disp8]", {0x8b, 0x44, 0x0d, 0x04}, 4, .ebp = EA - 0x24, .ecx = 0x20, .seg = S_SS},
    {"[ebp+ecx*2+disp32]", {0x8b, 0x84, 0x4d, 0x00, 0x01, 0x00, 0x00}, 7, .ebp = EA - 0x140, .ecx = 0x20,
     .seg = S_SS},
    {"[ebp+ebp*2+disp8]", {0x8b, 0x44, 0x6d, 0x00}, 4, .ebp = EA / 3, .seg = S_SS},
    /* SIB, base 101 with mod 00: no base, disp32 (Table 2-3 [*]) */
    {"[ebp*1+disp32] (mod 00 base 101)", {0x8b, 0x04, 0x2d, 0x00, 0xb0, 0x00, 0x00}, 7, .ebp = EA - 0xb000,
     .seg = S_DS},
    {"[ebp*4+disp32]", {0x8b, 0x04, 0xad, 0x00, 0xb0, 0x00, 0x00}, 7, .ebp = (EA - 0xb000) / 4, .seg = S_DS},
    {"[ecx*4+disp32]", {0x8b, 0x04, 0x8d, 0x00, 0xb0, 0x00, 0x00}, 7, .ecx = (EA - 0xb000) / 4, .seg = S_DS},
    {"[disp32] (SIB 25, mod 00: no base, no index)", {0x8b, 0x04, 0x25, 0x00, 0xc0, 0x00, 0x00}, 7,
     .ebp = 0x777, .esp = 0x888, .seg = S_DS},
    /* EBP as index under another base: DS */
    {"[eax+ebp] (SIB 28)", {0x8b, 0x04, 0x28}, 3, .eax = EA - 0x30, .ebp = 0x30, .seg = S_DS},
    {"[eax+ebp*2+disp8]", {0x8b, 0x44, 0x68, 0x10}, 4, .eax = EA - 0x50, .ebp = 0x20, .seg = S_DS},
    {"[ebx+ebp*8+disp32]", {0x8b, 0x84, 0xeb, 0x00, 0x01, 0x00, 0x00}, 7, .ebx = EA - 0x180, .ebp = 0x10,
     .seg = S_DS},
    /* index 100 is "none": ESP is never an index, the base decides */
    {"[eax] (SIB 20: index none)", {0x8b, 0x04, 0x20}, 3, .eax = EA, .esp = 0x999, .seg = S_DS},
    {"[ebx+disp8] (SIB 23: index none)", {0x8b, 0x44, 0x23, 0x08}, 4, .ebx = EA - 8, .esp = 0x999,
     .seg = S_DS},
    /* a segment override beats the default, either way */
    {"ds: [ebp+disp8]", {0x3e, 0x8b, 0x45, 0x10}, 4, .ebp = EA - 0x10, .seg = S_DS},
    {"es: [esp]", {0x26, 0x8b, 0x04, 0x24}, 4, .esp = EA, .seg = S_ES},
    {"fs: [ebp+disp8] (SIB)", {0x64, 0x8b, 0x44, 0x25, 0x04}, 5, .ebp = EA - 4, .seg = S_FS},
    {"gs: [ebp+disp32]", {0x65, 0x8b, 0x85, 0x00, 0x01, 0x00, 0x00}, 7, .ebp = EA - 0x100, .seg = S_GS},
    {"cs: [ebp+0]", {0x2e, 0x8b, 0x45, 0x00}, 4, .ebp = EA, .seg = S_CS},
    {"ss: [disp32]", {0x36, 0x8b, 0x05, 0x00, 0xc0, 0x00, 0x00}, 7, .seg = S_SS},
    {"ss: [eax+ebp]", {0x36, 0x8b, 0x04, 0x28}, 4, .eax = EA - 0x30, .ebp = 0x30, .seg = S_SS},
    /* 16-bit ModRM (Table 2-1) through 67; the high halves are ignored */
    {"[bx+si]", {0x67, 0x8b, 0x00}, 3, .ebx = 0xaaaa8000, .esi = 0x4000, .seg = S_DS},
    {"[bx+di]", {0x67, 0x8b, 0x01}, 3, .ebx = 0x8000, .edi = 0xbbbb4000, .seg = S_DS},
    {"[bp+si]", {0x67, 0x8b, 0x02}, 3, .ebp = 0xcccc8000, .esi = 0x4000, .seg = S_SS},
    {"[bp+di]", {0x67, 0x8b, 0x03}, 3, .ebp = 0x8000, .edi = 0x4000, .seg = S_SS},
    {"[si]", {0x67, 0x8b, 0x04}, 3, .esi = EA, .ebp = 0x10, .seg = S_DS},
    {"[di]", {0x67, 0x8b, 0x05}, 3, .edi = EA, .ebp = 0x10, .seg = S_DS},
    {"[disp16] (mod 00 r/m 110: no BP)", {0x67, 0x8b, 0x06, 0x00, 0xc0}, 5, .ebp = 0x10, .seg = S_DS},
    {"[bx]", {0x67, 0x8b, 0x07}, 3, .ebx = EA, .seg = S_DS},
    {"[bp+disp8]", {0x67, 0x8b, 0x46, 0x10}, 4, .ebp = EA - 0x10, .seg = S_SS},
    {"[bp+disp16]", {0x67, 0x8b, 0x86, 0x00, 0x01}, 5, .ebp = EA - 0x100, .seg = S_SS},
    {"[bp+si+disp8]", {0x67, 0x8b, 0x42, 0x08}, 4, .ebp = 0x8000, .esi = 0x3ff8, .seg = S_SS},
    {"[bx+si+disp16]", {0x67, 0x8b, 0x80, 0x00, 0x01}, 5, .ebx = 0x8000, .esi = 0x3f00, .seg = S_DS},
    {"ds: [bp+disp8]", {0x67, 0x3e, 0x8b, 0x46, 0x10}, 5, .ebp = EA - 0x10, .seg = S_DS},
    {"ss: [bx+si]", {0x36, 0x67, 0x8b, 0x00}, 4, .ebx = 0x8000, .esi = 0x4000, .seg = S_SS},
};

static void set_regs(struct vm *v, const struct form *f)
{
    cpu_set_reg(v->c, R_EAX, f->eax);
    cpu_set_reg(v->c, R_ECX, f->ecx);
    cpu_set_reg(v->c, R_EDX, 0);
    cpu_set_reg(v->c, R_EBX, f->ebx);
    cpu_set_reg(v->c, R_ESP, f->esp);
    cpu_set_reg(v->c, R_EBP, f->ebp);
    cpu_set_reg(v->c, R_ESI, f->esi);
    cpu_set_reg(v->c, R_EDI, f->edi);
}

START_TEST(memory_forms_default_to_ss_for_an_ebp_or_esp_base_and_to_ds_otherwise)
{
    const struct form *f = &forms[_i];
    struct vm *v = vm_with_distinct_bases();
    uint8_t code[16];
    memcpy(code, f->bytes, f->n);
    code[f->n] = 0xf4;   /* hlt */
    set_regs(v, f);
    run_code(v, code, f->n + 1);
    uint32_t got = cpu_get_reg(v->c, R_EAX);
    int seg = -1;
    for (int s = 0; s < 6; s++)
        if (got == tag(s))
            seg = s;
    ck_assert_msg(seg == f->seg, "%s: read through %s (EAX=%08x), the SDM says %s", f->what, seg_name(seg), got,
                  seg_name(f->seg));
    vm_free(v);
}
END_TEST

/* Stores take the same default: MOV [EBP+8],EAX (89 45 08) writes SS:EA,
 * MOV [EAX+EBP],ECX (89 0C 28) writes DS:EA, and DS itself is untouched by
 * the first. */
START_TEST(stores_through_an_ebp_base_write_the_stack_segment)
{
    struct vm *v = vm_with_distinct_bases();
    cpu_set_reg(v->c, R_EBP, EA - 8);
    cpu_set_reg(v->c, R_EAX, 0x11223344);
    run_code(v, (const uint8_t[]){0x89, 0x45, 0x08, 0xf4}, 4);
    ck_assert_uint_eq(read_dword(v, seg_base[S_SS] + EA), 0x11223344);
    ck_assert_uint_eq(read_dword(v, seg_base[S_DS] + EA), tag(S_DS));

    cpu_set_reg(v->c, R_EAX, EA - 0x30);
    cpu_set_reg(v->c, R_EBP, 0x30);
    cpu_set_reg(v->c, R_ECX, 0x55667788);
    run_code(v, (const uint8_t[]){0x89, 0x0c, 0x28, 0xf4}, 4);
    ck_assert_uint_eq(read_dword(v, seg_base[S_DS] + EA), 0x55667788);
    ck_assert_uint_eq(read_dword(v, seg_base[S_SS] + EA), 0x11223344);
    vm_free(v);
}
END_TEST

/* LEA computes the offset only: no segment is involved, so [ebp+disp8]
 * and an override give the bare EA (SDM Vol. 2 LEA). */
START_TEST(lea_of_an_ebp_form_is_the_offset_without_a_segment_base)
{
    struct vm *v = vm_with_distinct_bases();
    cpu_set_reg(v->c, R_EBP, EA - 0x10);
    run_code(v, (const uint8_t[]){0x8d, 0x45, 0x10, 0x64, 0x8d, 0x5d, 0x10, 0xf4}, 8);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EAX), EA);
    ck_assert_uint_eq(cpu_get_reg(v->c, R_EBX), EA);
    vm_free(v);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_addressing");
    TCase *tc = tcase_create("default_segment");
    tcase_add_loop_test(tc, memory_forms_default_to_ss_for_an_ebp_or_esp_base_and_to_ds_otherwise, 0,
                        (int)(sizeof forms / sizeof forms[0]));
    tcase_add_test(tc, stores_through_an_ebp_base_write_the_stack_segment);
    tcase_add_test(tc, lea_of_an_ebp_form_is_the_offset_without_a_segment_base);
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
