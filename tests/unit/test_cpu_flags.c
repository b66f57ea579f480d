/* Conditions evaluated from lazy flags. Jcc and SETcc decide from the
 * recorded operation (fast paths for CMP/SUB and TEST/AND, the general
 * lazy path otherwise); here each is checked against the condition computed
 * from the EFLAGS image PUSHFD stores (which the differential test checks
 * against the host CPU), for all 16 conditions (SDM Vol. 1 Appendix B). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_fixture.h"

static bool cond_from_eflags(uint32_t f, unsigned cc)
{
    bool cf = f & F_CF, zf = f & F_ZF, sf = f & F_SF, of = f & F_OF, pf = f & F_PF, r;
    switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    default: r = zf || sf != of; break;
    }
    return r ^ (cc & 1);
}

/* The flag-setting instructions tried before the Jcc / SETcc. */
static const struct {
    const char *name;
    uint8_t bytes[3];
    unsigned len;
} ops[] = {
    {"cmp eax,ebx", {0x39, 0xd8}, 2},  {"test eax,ebx", {0x85, 0xd8}, 2},
    {"add eax,ebx", {0x01, 0xd8}, 2},  {"sub eax,ebx", {0x29, 0xd8}, 2},
    {"cmp al,bl", {0x38, 0xd8}, 2},    {"cmp ax,bx", {0x66, 0x39, 0xd8}, 3},
    {"inc eax", {0x40}, 1},            {"dec eax", {0x48}, 1},
    {"and eax,ebx", {0x21, 0xd8}, 2},  {"sbb eax,ebx", {0x19, 0xd8}, 2},
    {"neg eax", {0xf7, 0xd8}, 2},      {"shl eax,1", {0xd1, 0xe0}, 2},
};

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t x = (uint32_t)(*s >> 33);
    switch (x & 7) {   /* favour edges: equal, zero, sign boundaries */
    case 0: return 0;
    case 1: return 0x80000000u;
    case 2: return 0x7fffffffu;
    case 3: return 0xffffffffu;
    default: return (uint32_t)(*s >> 1);
    }
}

START_TEST(jcc_and_setcc_after_each_flag_setter_agree_with_the_pushed_eflags)
{
    struct vm *v = vm_new();
    cpu_set_flat32(v->c);
    uint64_t seed = 12345;
    unsigned checked = 0;
    for (unsigned o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        for (unsigned cc = 0; cc < 16; cc++) {
            for (unsigned n = 0; n < 40; n++) {
                /* op; jcc t; mov edx,0; jmp e; t: mov edx,1; e: set<cc> cl; pushfd; pop esi; hlt
                 * (MOV and JMP leave the flags alone) */
                uint8_t code[32];
                unsigned k = 0;
                memcpy(code, ops[o].bytes, ops[o].len);
                k = ops[o].len;
                code[k++] = (uint8_t)(0x70 + cc);
                code[k++] = 7;
                code[k++] = 0xba; code[k++] = 0; code[k++] = 0; code[k++] = 0; code[k++] = 0;
                code[k++] = 0xeb; code[k++] = 5;          /* jmp e */
                code[k++] = 0xba; code[k++] = 1; code[k++] = 0; code[k++] = 0; code[k++] = 0;
                code[k++] = 0x0f; code[k++] = (uint8_t)(0x90 + cc); code[k++] = 0xc1;   /* setcc cl */
                code[k++] = 0x9c; code[k++] = 0x5e; code[k++] = 0xf4;
                ck_assert_int_eq(phys_load(v->p, 0x1000, code, k), 0);
                /* carry in for SBB from a STC/CLC-like EFLAGS input */
                uint32_t a = rnd(&seed), b = (n & 3) == 0 ? a : rnd(&seed);
                cpu_set_reg(v->c, R_EAX, a);
                cpu_set_reg(v->c, R_EBX, b);
                cpu_set_reg(v->c, R_ESP, 0x8000);
                cpu_set_eflags(v->c, 2 | ((n & 1) ? F_CF : 0));
                cpu_set_eip(v->c, 0x1000);
                ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 50), CPU_STOP_HLT);
                uint32_t f = cpu_get_reg(v->c, R_ESI);
                bool want = cond_from_eflags(f, cc);
                ck_assert_msg((cpu_get_reg(v->c, R_EDX) == 1) == want,
                              "%s; j%x with eax=%08x ebx=%08x: eflags %08x", ops[o].name, cc, a, b, f);
                ck_assert_msg((cpu_get_reg(v->c, R_ECX) & 0xff) == want,
                              "%s; set%x with eax=%08x ebx=%08x: eflags %08x", ops[o].name, cc, a, b, f);
                checked++;
            }
        }
    }
    ck_assert_uint_eq(checked, (sizeof ops / sizeof ops[0]) * 16 * 40);
    vm_free(v);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("cpu_flags");
    TCase *tc = tcase_create("flags");
    tcase_add_test(tc, jcc_and_setcc_after_each_flag_setter_agree_with_the_pushed_eflags);
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
