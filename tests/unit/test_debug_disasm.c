/* The disassembler against the encodings of SDM Vol. 2 (Intel syntax; the
 * expected texts were cross-checked with GNU objdump -Mintel). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "debug/debugger.h"

static void dis(const char *want, int want_len, bool code32, uint32_t eip, const uint8_t *b, unsigned n)
{
    char out[128];
    int len = dbg_disasm(b, n, eip, code32, out, sizeof out);
    ck_assert_str_eq(out, want);
    ck_assert_int_eq(len, want_len);
}
#define DIS32(want, ...) do { static const uint8_t b_[] = { __VA_ARGS__ }; \
    dis(want, (int)sizeof b_, true, 0x1000, b_, sizeof b_); } while (0)
#define DIS16(want, ...) do { static const uint8_t b_[] = { __VA_ARGS__ }; \
    dis(want, (int)sizeof b_, false, 0x100, b_, sizeof b_); } while (0)

START_TEST(modrm_sib_and_displacements)
{
    DIS32("mov eax, dword [esp+0x8]", 0x8b, 0x44, 0x24, 0x08);
    DIS32("mov dword [ebp-0x8], eax", 0x89, 0x45, 0xf8);
    DIS32("lea eax, [ecx*4+0x1000]", 0x8d, 0x04, 0x8d, 0x00, 0x10, 0x00, 0x00);
    DIS32("jmp dword [eax*4+0xc0002000]", 0xff, 0x24, 0x85, 0x00, 0x20, 0x00, 0xc0);
    DIS32("mov byte [0xb8000], 0x41", 0xc6, 0x05, 0x00, 0x80, 0x0b, 0x00, 0x41);
    DIS32("mov byte [esp-0x1], ah", 0x88, 0x64, 0x24, 0xff);
}
END_TEST

START_TEST(prefixes_change_sizes_segments_and_repeat)
{
    DIS32("mov word [edi], ax", 0x66, 0x89, 0x07);
    DIS32("rep movsd", 0xf3, 0xa5);
    DIS32("repe cmpsb", 0xf3, 0xa6);
    DIS32("mov eax, dword fs:[0x10]", 0x64, 0xa1, 0x10, 0x00, 0x00, 0x00);
    DIS32("lock bts dword [ebx], eax", 0xf0, 0x0f, 0xab, 0x03);
}
END_TEST

START_TEST(branches_show_their_targets)
{
    DIS32("je 0x00001016", 0x0f, 0x84, 0x10, 0x00, 0x00, 0x00);
    DIS32("je 0x00001000", 0x74, 0xfe);
    DIS32("call 0x00001005", 0xe8, 0x00, 0x00, 0x00, 0x00);
    DIS32("jmpf 0x0008:0x100000", 0xea, 0x00, 0x00, 0x10, 0x00, 0x08, 0x00);
    DIS16("jmp 0x00000100", 0xeb, 0xfe);
}
END_TEST

START_TEST(condition_codes_and_system_registers)
{
    DIS32("sete al", 0x0f, 0x94, 0xc0);
    DIS32("cmovg ecx, eax", 0x0f, 0x4f, 0xc8);
    DIS32("mov cr3, eax", 0x0f, 0x22, 0xd8);
    DIS32("mov eax, cr0", 0x0f, 0x20, 0xc0);
    DIS32("invlpg [eax]", 0x0f, 0x01, 0x38);
    DIS32("push cs", 0x0e);
}
END_TEST

START_TEST(immediates_by_size_and_sign_extension)
{
    DIS32("imul eax, eax, 0xfffffffc", 0x6b, 0xc0, 0xfc);
    DIS32("sub eax, 0xffffffff", 0x83, 0xe8, 0xff);
    DIS32("add ebx, 0x80000000", 0x81, 0xc3, 0x00, 0x00, 0x00, 0x80);
    DIS32("test ecx, 0x1", 0xf7, 0xc1, 0x01, 0x00, 0x00, 0x00);
    DIS32("enter 0x10, 0x1", 0xc8, 0x10, 0x00, 0x01);
    DIS32("shl eax, 1", 0xd1, 0xe0);
    DIS32("sar edx, cl", 0xd3, 0xfa);
    DIS32("in al, 0x60", 0xe4, 0x60);
    DIS32("cdq", 0x99);
}
END_TEST

START_TEST(sixteen_bit_addressing)
{
    DIS16("mov ax, word [bx+si+0x4]", 0x8b, 0x40, 0x04);
    DIS16("mov word [0x7c00], ax", 0xa3, 0x00, 0x7c);
}
END_TEST

START_TEST(undefined_and_truncated_encodings)
{
    char out[64];
    static const uint8_t ud[] = { 0x0f, 0xff };
    ck_assert_int_le(dbg_disasm(ud, sizeof ud, 0, true, out, sizeof out), 0);
    ck_assert_str_eq(out, "(bad)");
    static const uint8_t cut[] = { 0xb8, 0x01 };
    ck_assert_int_eq(dbg_disasm(cut, sizeof cut, 0, true, out, sizeof out), -1);
    ck_assert_str_eq(out, "(truncated)");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("debug_disasm");
    TCase *tc = tcase_create("disasm");
    tcase_add_test(tc, modrm_sib_and_displacements);
    tcase_add_test(tc, prefixes_change_sizes_segments_and_repeat);
    tcase_add_test(tc, branches_show_their_targets);
    tcase_add_test(tc, condition_codes_and_system_registers);
    tcase_add_test(tc, immediates_by_size_and_sign_extension);
    tcase_add_test(tc, sixteen_bit_addressing);
    tcase_add_test(tc, undefined_and_truncated_encodings);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
