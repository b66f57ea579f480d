/* The UI never changes what the guest computes: the bundled guest kernel
 * run for a fixed number of instructions headless (machine_run) and in
 * irregular UI slices with every panel drawn between some of them ends in
 * the same state: instruction count, EIP, registers and every byte of RAM. */
#include <check.h>
#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "mmu/phys.h"
#include "ui/ui_impl.h"

#define RUN_INSNS 30000000ull   /* boot (the prompt comes before 15M), then idle ticks */

static uint64_t ram_hash(struct machine *m)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a over 64-bit words */
    uint32_t n = phys_ram_size(m->phys);
    for (uint32_t pa = 0; pa < n; pa += 4096) {
        const uint8_t *p = phys_host_page(m->phys, pa, false);
        for (int i = 0; p && i < 4096; i += 8) {
            uint64_t v;
            memcpy(&v, p + i, 8);
            h = (h ^ v) * 1099511628211ull;
        }
    }
    return h;
}

static struct machine *boot(const char *elf)
{
    struct machine_config cfg;
    options_defaults(&cfg);
    cfg.serial = SERIAL_NONE;
    cfg.rtc_set = true;
    cfg.rtc_base = 0;
    cfg.max_insns = RUN_INSNS;
    char err[256];
    struct machine *m = machine_create(&cfg, elf, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    return m;
}

START_TEST(ui_slices_and_drawing_leave_the_guest_bit_identical)
{
    const char *build = getenv("PAGODA_BUILD");
    char elf[4096];
    snprintf(elf, sizeof elf, "%s/guestos/pagoda-guest.elf", build ? build : ".");
    ck_assert_msg(access(elf, R_OK) == 0, "%s: the bundled guest is not built", elf);

    struct machine *a = boot(elf);
    struct machine_result ra;
    ck_assert_int_eq(machine_run(a, NULL, &ra), MSTOP_MAX_INSNS);

    SDL_setenv("SDL_VIDEODRIVER", "dummy", 1);
    struct machine *b = boot(elf);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 1280, 800, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = SDL_CreateSoftwareRenderer(s);
    struct ui_config uc;
    ui_config_defaults(&uc);
    char err[256];
    struct ui *u = ui_create(b, r, &uc, err, sizeof err);
    ck_assert_msg(u != NULL, "%s", err);
    uint64_t chunk = 37117;
    unsigned slices = 0;
    struct machine_result rb;
    while (dbg_run_slice(&u->d, chunk, &rb, NULL) == DBG_STOP_DONE) {
        if (++slices % 40 == 0)
            ui_render(u);
        chunk = chunk * 3 % 400000 + 1000;   /* boundaries nowhere in particular */
    }
    ck_assert_int_eq(rb.reason, MSTOP_MAX_INSNS);
    ck_assert_uint_gt(slices, 50);

    ck_assert_uint_eq(cpu_icount(b->cpu), cpu_icount(a->cpu));
    ck_assert_uint_eq(cpu_get_eip(b->cpu), cpu_get_eip(a->cpu));
    for (int reg = R_EAX; reg <= R_EDI; reg++)
        ck_assert_uint_eq(cpu_get_reg(b->cpu, (enum cpu_reg)reg), cpu_get_reg(a->cpu, (enum cpu_reg)reg));
    ck_assert_uint_eq(cpu_get_cr(b->cpu, 3), cpu_get_cr(a->cpu, 3));
    ck_assert_uint_eq(ram_hash(b), ram_hash(a));

    ui_destroy(u);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    machine_destroy(b);
    machine_destroy(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ui_determinism");
    TCase *tc = tcase_create("determinism");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, ui_slices_and_drawing_leave_the_guest_bit_identical);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
