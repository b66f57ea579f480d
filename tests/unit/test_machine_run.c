/* The machine and its run loop on tiny hand-assembled guests: the entry
 * state each loader asks for reaches the CPU, and each way a run ends gives
 * its reason, exit status, EIP and instruction count. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "devices/uart.h"
#include "machine/machine.h"
#include "mmu/phys.h"

#define MB_MAGIC 0x1BADB002u
#define CODE_AT  0x100020u

static char dir[64];
static char path[128];

static void setup(void)
{
    strcpy(dir, "/tmp/pagoda-run-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* A multiboot image with the address fields (flag 16): header at 0x100000,
 * code at 0x100020. */
static const char *kernel_at(uint32_t base, const uint8_t *code, size_t n)
{
    uint8_t img[0x200] = { 0 };
    uint32_t h[8] = { MB_MAGIC, 0x10000, -(MB_MAGIC + 0x10000), base, base, 0, 0, base + 0x20 };
    memcpy(img, h, sizeof h);
    memcpy(img + 0x20, code, n);
    snprintf(path, sizeof path, "%s/k.bin", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(img, 1, sizeof img, f), sizeof img);
    fclose(f);
    return path;
}

static const char *kernel(const uint8_t *code, size_t n)
{
    return kernel_at(0x100000, code, n);
}

static struct machine *boot(const uint8_t *code, size_t n, struct machine_config *cfg)
{
    struct machine_config def;
    if (!cfg) {
        options_defaults(&def);
        cfg = &def;
    }
    cfg->serial = SERIAL_NONE;
    char err[256];
    struct machine *m = machine_create(cfg, kernel(code, n), err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    return m;
}

static void tap_collect(void *ctx, uint8_t b)
{
    char *s = ctx;
    size_t n = strlen(s);
    s[n] = (char)b;
    s[n + 1] = '\0';
}

START_TEST(guest_info_port_records_the_address_and_logs_an_event_and_com1_tap_sees_output)
{
    static const uint8_t code[] = {
        0x66, 0xBA, 0xF0, 0x0E,             /* mov dx, 0x0EF0 */
        0xB8, 0x40, 0x23, 0x01, 0x00,       /* mov eax, 0x12340 */
        0xEF,                               /* out dx, eax: the announcement */
        0xB0, 0x55, 0xEE,                   /* mov al, 0x55; out dx, al: not a dword, ignored */
        0xED, 0x89, 0xC3,                   /* in eax, dx; mov ebx, eax */
        0x66, 0xBA, 0xF8, 0x03,             /* mov dx, 0x3F8 */
        0xB0, 0x41, 0xEE, 0xB0, 0x42, 0xEE, /* 'A', 'B' to COM1's THR */
        0xFA, 0xF4,                         /* cli; hlt */
    };
    struct machine *m = boot(code, sizeof code, NULL);
    uint32_t phys = 0;
    ck_assert(!machine_guest_info(m, &phys));
    char seen[16] = "";
    uart_set_tap(m->com1, tap_collect, seen);   /* -serial none: no FILE, the tap still sees */
    uint64_t since = m->ev.head;
    struct machine_result r;
    ck_assert_int_eq(machine_run(m, NULL, &r), MSTOP_HALT);
    ck_assert(machine_guest_info(m, &phys));
    ck_assert_uint_eq(phys, 0x12340);
    ck_assert_uint_eq(cpu_get_reg(m->cpu, R_EBX), 0xFFFFFFFFu);   /* no reads: floats high */
    struct event ev[16];
    unsigned n = events_read(&m->ev, &since, ev, 16), infos = 0;
    for (unsigned i = 0; i < n; i++)
        if (ev[i].kind == EV_GUEST_INFO) {
            infos++;
            ck_assert_uint_eq(ev[i].a, 0x12340);
        }
    ck_assert_uint_eq(infos, 1);
    ck_assert_str_eq(seen, "AB");
    char err[128];
    ck_assert_int_eq(machine_reset(m, err, sizeof err), 0);
    ck_assert(!machine_guest_info(m, &phys));   /* a reset forgets it */
    machine_destroy(m);
}
END_TEST

START_TEST(multiboot_entry_state_reaches_the_cpu)
{
    static const uint8_t code[] = { 0xF4 };
    struct machine *m = boot(code, sizeof code, NULL);
    ck_assert_uint_eq(cpu_get_reg(m->cpu, R_EAX), 0x2BADB002u);
    ck_assert_uint_eq(cpu_get_reg(m->cpu, R_EBX), BOOT_MB_ARENA);
    ck_assert_uint_eq(cpu_get_eip(m->cpu), CODE_AT);
    ck_assert_uint_eq(cpu_get_cr(m->cpu, 0) & 0x80000001u, 1);   /* PE, not PG */
    ck_assert_uint_eq(cpu_get_eflags(m->cpu) & F_IF, 0);
    struct seg cs = cpu_get_seg(m->cpu, S_CS), ss = cpu_get_seg(m->cpu, S_SS);
    ck_assert_uint_eq(cs.sel, 0x10);
    ck_assert_uint_eq(cs.base, 0);
    ck_assert_uint_eq(cs.limit, 0xFFFFFFFFu);
    ck_assert_uint_eq(cs.flags, 0xC09B);
    ck_assert_uint_eq(ss.sel, 0x18);
    ck_assert_uint_eq(ss.flags, 0xC093);
    uint32_t base;
    uint16_t limit;
    cpu_get_gdtr(m->cpu, &base, &limit);
    ck_assert_uint_eq(base, BOOT_GDT_ADDR);
    ck_assert_uint_eq(limit, 31);
    ck_assert(phys_a20(m->phys));                                /* A20 on */
    machine_destroy(m);
}
END_TEST

START_TEST(hlt_with_interrupts_off_ends_the_run_with_status_0)
{
    static const uint8_t code[] = { 0x90, 0x90, 0xFA, 0xF4 };   /* nop nop cli hlt */
    struct machine *m = boot(code, sizeof code, NULL);
    struct machine_result r;
    ck_assert_int_eq(machine_run(m, NULL, &r), MSTOP_HALT);
    ck_assert_int_eq(r.exit_status, 0);
    ck_assert_uint_eq(r.eip, CODE_AT + 4);
    ck_assert_uint_eq(r.icount, 4);
    ck_assert_int_eq(r.last_post, -1);
    char line[256];
    machine_format_report(&r, line, sizeof line);
    ck_assert_str_eq(line, "pagoda: guest halted (nothing can wake it) at EIP 0x00100024 "
                           "after 4 instructions, last POST code none");
    machine_destroy(m);
}
END_TEST

START_TEST(exit_port_value_becomes_the_exit_status)
{
    /* mov al, 0x80; out 0x80, al (POST); mov al, 5; out 0xF4, al; jmp $ */
    static const uint8_t code[] = { 0xB0, 0x80, 0xE6, 0x80, 0xB0, 0x05, 0xE6, 0xF4, 0xEB, 0xFE };
    struct machine *m = boot(code, sizeof code, NULL);
    struct machine_result r;
    ck_assert_int_eq(machine_run(m, NULL, &r), MSTOP_EXIT_PORT);
    ck_assert_int_eq(r.exit_status, 11);
    ck_assert_uint_eq(r.icount, 4);
    ck_assert_int_eq(r.last_post, 0x80);
    machine_destroy(m);
}
END_TEST

START_TEST(max_insns_stops_at_exactly_n)
{
    static const uint8_t code[] = { 0xEB, 0xFE };   /* jmp $ */
    struct machine_config cfg;
    options_defaults(&cfg);
    cfg.max_insns = 3000001;
    struct machine *m = boot(code, sizeof code, &cfg);
    struct machine_result r;
    ck_assert_int_eq(machine_run(m, NULL, &r), MSTOP_MAX_INSNS);
    ck_assert_int_eq(r.exit_status, 124);
    ck_assert_uint_eq(r.icount, 3000001);
    ck_assert_uint_eq(r.eip, CODE_AT);
    machine_destroy(m);
}
END_TEST

START_TEST(a_pending_signal_stops_the_run_with_128_plus_signo)
{
    static const uint8_t code[] = { 0xEB, 0xFE };
    struct machine *m = boot(code, sizeof code, NULL);
    volatile sig_atomic_t sig = SIGTERM;
    struct machine_result r;
    ck_assert_int_eq(machine_run(m, &sig, &r), MSTOP_SIGNAL);
    ck_assert_int_eq(r.exit_status, 143);
    char line[256];
    machine_format_report(&r, line, sizeof line);
    ck_assert_ptr_nonnull(strstr(line, "stopped by SIGTERM"));
    machine_destroy(m);
}
END_TEST

START_TEST(a_fault_without_idt_is_a_triple_fault_with_status_3)
{
    /* lidt [0x100030] (limit 0); int3 */
    static const uint8_t code[] = { 0x0F, 0x01, 0x1D, 0x30, 0x00, 0x10, 0x00, 0xCC, 0xF4,
                                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    struct machine *m = boot(code, sizeof code, NULL);
    struct machine_result r;
    ck_assert_int_eq(machine_run(m, NULL, &r), MSTOP_TRIPLE_FAULT);
    ck_assert_int_eq(r.exit_status, 3);
    machine_destroy(m);
}
END_TEST

START_TEST(hlt_with_interrupts_on_skips_virtual_time_to_the_pit_tick)
{
    /* PIT channel 0, mode 2, divisor 11932 (~100 Hz), IRQ 0 unmasked with the
     * PIC's reset vector base 0x08 -> an IDT whose vector 8 handler does
     * out 0xF4. Code: */
    static const uint8_t code[] = {
        0xB0, 0x34, 0xE6, 0x43,             /* mov al,0x34; out 0x43,al */
        0xB0, 0x9C, 0xE6, 0x40,             /* mov al,0x9c; out 0x40,al  (11932 = 0x2e9c) */
        0xB0, 0x2E, 0xE6, 0x40,             /* mov al,0x2e; out 0x40,al */
        0xB0, 0xFE, 0xE6, 0x21,             /* unmask IRQ 0 */
        0x0F, 0x01, 0x1D, 0x40, 0x00, 0x10, 0x00,   /* lidt [0x100040] */
        0xFB, 0xF4,                         /* sti; hlt */
        0xEB, 0xFE,                         /* jmp $ (never: the handler exits) */
        0, 0, 0, 0, 0,                      /* pad to 0x100040 (offset 0x20) */
        /* 0x100040: IDTR limit 0x47, base 0x100048 */
        0x47, 0x00, 0x48, 0x00, 0x10, 0x00, 0, 0,
    };
    uint8_t buf[0x20 + 0x48 + 0x10 + 8] = { 0 };
    memcpy(buf, code, sizeof code);
    /* IDT at 0x100048 (offset 0x28 from CODE_AT): vector 8 -> 0x100090 */
    uint8_t *gate = buf + 0x28 + 8 * 8;
    uint8_t g[8] = { 0x90, 0x00, 0x10, 0x00, 0x00, 0x8E, 0x10, 0x00 };
    memcpy(gate, g, 8);
    /* 0x100090 (offset 0x70): mov al,0; out 0xF4,al */
    static const uint8_t handler[] = { 0xB0, 0x00, 0xE6, 0xF4, 0xF4 };
    memcpy(buf + 0x70, handler, sizeof handler);
    struct machine *m = boot(buf, sizeof buf, NULL);
    struct machine_result r;
    ck_assert_int_eq(machine_run(m, NULL, &r), MSTOP_EXIT_PORT);
    ck_assert_int_eq(r.exit_status, 1);
    ck_assert_uint_lt(r.icount, 40);
    /* one PIT period: 11932 / 1193182 s = 10.0002 ms of virtual time */
    uint64_t ns = vclock_ns(&m->vc);
    ck_assert_uint_ge(ns, 9990000);
    ck_assert_uint_le(ns, 10010000);
    machine_destroy(m);
}
END_TEST

START_TEST(a_timer_armed_mid_slice_interrupts_a_busy_guest_on_time)
{
    /* PIT channel 0 mode 0 (one interrupt on terminal count), count 1193:
     * IRQ 0 after 1193 or 1194 PIT clocks, about 100,000 instructions at
     * 100 MHz. The guest spins with IF = 1, so only the slice end the
     * virtual clock asked for (deadline_changed) can deliver it in time. */
    static const uint8_t code[] = {
        0xB0, 0x30, 0xE6, 0x43,             /* ch 0, lo/hi, mode 0 */
        0xB0, 0xA9, 0xE6, 0x40,             /* 1193 = 0x04a9 */
        0xB0, 0x04, 0xE6, 0x40,
        0xB0, 0xFE, 0xE6, 0x21,             /* unmask IRQ 0 */
        0x0F, 0x01, 0x1D, 0x40, 0x00, 0x10, 0x00,   /* lidt [0x100040] */
        0xFB, 0xEB, 0xFE,                   /* sti; jmp $ */
        0, 0, 0, 0, 0, 0,
        0x47, 0x00, 0x48, 0x00, 0x10, 0x00, 0, 0,
    };
    uint8_t buf[0x80] = { 0 };
    memcpy(buf, code, sizeof code);
    uint8_t g[8] = { 0x90, 0x00, 0x10, 0x00, 0x00, 0x8E, 0x10, 0x00 };
    memcpy(buf + 0x28 + 8 * 8, g, 8);
    static const uint8_t handler[] = { 0xB0, 0x00, 0xE6, 0xF4, 0xF4 };
    memcpy(buf + 0x70, handler, sizeof handler);
    struct machine *m = boot(buf, sizeof buf, NULL);
    struct machine_result r;
    ck_assert_int_eq(machine_run(m, NULL, &r), MSTOP_EXIT_PORT);
    ck_assert_uint_ge(r.icount, 99900);
    ck_assert_uint_le(r.icount, 100200);
    machine_destroy(m);
}
END_TEST

START_TEST(i8042_a20_off_makes_1m_alias_0_through_the_tlb)
{
    /* runs at 0x200000 (bit 20 clear: unaffected by the gate) */
    static const uint8_t code[] = {
        0xC7, 0x05, 0x00, 0x00, 0x10, 0x00, 0x11, 0x11, 0x11, 0x11,   /* mov [0x100000], 0x11111111 */
        0xC7, 0x05, 0x00, 0x00, 0x00, 0x00, 0x22, 0x22, 0x22, 0x22,   /* mov [0], 0x22222222 */
        0xA1, 0x00, 0x00, 0x10, 0x00,                                 /* mov eax, [0x100000] (TLB warm) */
        0xB0, 0xD1, 0xE6, 0x64, 0xB0, 0xDD, 0xE6, 0x60,               /* 8042 output port: A20 off */
        0xA1, 0x00, 0x00, 0x10, 0x00,                                 /* mov eax, [0x100000] */
        0xFA, 0xF4,
    };
    struct machine_config cfg;
    options_defaults(&cfg);
    cfg.serial = SERIAL_NONE;
    char err[256];
    struct machine *m = machine_create(&cfg, kernel_at(0x200000, code, sizeof code), err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert(phys_a20(m->phys));
    uint64_t a20_flushes = m->mmu.tlb.st.flushes[TLB_FLUSH_A20];
    struct machine_result r;
    ck_assert_int_eq(machine_run(m, NULL, &r), MSTOP_HALT);
    ck_assert(!phys_a20(m->phys));
    ck_assert_uint_eq(cpu_get_reg(m->cpu, R_EAX), 0x22222222u);   /* 0x100000 now reads 0 */
    ck_assert_uint_gt(m->mmu.tlb.st.flushes[TLB_FLUSH_A20], a20_flushes);
    machine_destroy(m);
}
END_TEST

START_TEST(two_machines_side_by_side_run_identically)
{
    static const uint8_t code[] = { 0x31, 0xC0, 0x40, 0x3D, 0x00, 0x00, 0x01, 0x00, 0x75, 0xF8, 0xFA, 0xF4 };
    /* xor eax,eax; 1: inc eax; cmp eax,0x10000; jne 1b; cli; hlt */
    struct machine *a = boot(code, sizeof code, NULL);
    struct machine *b = boot(code, sizeof code, NULL);
    struct machine_result ra, rb;
    ck_assert_int_eq(machine_run(a, NULL, &ra), MSTOP_HALT);
    ck_assert_int_eq(machine_run(b, NULL, &rb), MSTOP_HALT);
    ck_assert_uint_eq(ra.icount, 1 + 3 * 0x10000 + 2);
    ck_assert_uint_eq(ra.icount, rb.icount);
    ck_assert_uint_eq(ra.eip, rb.eip);
    ck_assert_uint_eq(cpu_get_reg(a->cpu, R_EAX), 0x10000);
    machine_destroy(a);
    machine_destroy(b);
}
END_TEST

START_TEST(a_guest_reset_request_boots_the_image_again)
{
    /* in al,0x92; or al,1; out 0x92,al (fast reset); then hlt */
    static const uint8_t code[] = { 0xE4, 0x92, 0x0C, 0x01, 0xE6, 0x92, 0xFA, 0xF4 };
    struct machine_config cfg;
    options_defaults(&cfg);
    cfg.max_insns = 100;
    struct machine *m = boot(code, sizeof code, &cfg);
    struct machine_result r;
    /* every boot resets and starts over: the run ends only at the limit */
    ck_assert_int_eq(machine_run(m, NULL, &r), MSTOP_MAX_INSNS);
    ck_assert_uint_ge(m->resets, 10);
    ck_assert_uint_eq(cpu_get_reg(m->cpu, R_EAX) & 0xFFFF0000u, 0x2BAD0000u);
    machine_destroy(m);
}
END_TEST

START_TEST(a_rom_starts_at_the_reset_vector)
{
    static uint8_t rom[64u << 10];
    memset(rom, 0xF4, sizeof rom);        /* hlt everywhere */
    rom[0xFFF0] = 0xFA;                   /* cli; hlt at F000:FFF0 */
    rom[0xFFF1] = 0xF4;
    char rp[160];
    snprintf(rp, sizeof rp, "%s/rom.bin", dir);
    FILE *f = fopen(rp, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(rom, 1, sizeof rom, f);
    fclose(f);
    struct machine_config cfg;
    options_defaults(&cfg);
    cfg.bios = rp;
    cfg.serial = SERIAL_NONE;
    char err[256];
    struct machine *m = machine_create(&cfg, NULL, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_uint_eq(cpu_get_seg(m->cpu, S_CS).sel, 0xF000);
    ck_assert_uint_eq(cpu_get_eip(m->cpu), 0xFFF0);
    struct machine_result r;
    ck_assert_int_eq(machine_run(m, NULL, &r), MSTOP_HALT);
    ck_assert_msg(r.eip == 0xFFF2, "eip %x icount %llu cs %x", r.eip, (unsigned long long)r.icount, cpu_get_seg(m->cpu, S_CS).sel);
    ck_assert_uint_eq(r.icount, 2);
    machine_destroy(m);
}
END_TEST

START_TEST(machine_create_reports_loader_errors)
{
    struct machine_config cfg;
    options_defaults(&cfg);
    cfg.serial = SERIAL_NONE;
    char err[256], missing[160];
    snprintf(missing, sizeof missing, "%s/none.elf", dir);
    ck_assert_ptr_null(machine_create(&cfg, missing, err, sizeof err));
    char want[256];
    snprintf(want, sizeof want, "%s: No such file or directory", missing);
    ck_assert_str_eq(err, want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("machine_run");
    TCase *tc = tcase_create("run");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, multiboot_entry_state_reaches_the_cpu);
    tcase_add_test(tc, hlt_with_interrupts_off_ends_the_run_with_status_0);
    tcase_add_test(tc, exit_port_value_becomes_the_exit_status);
    tcase_add_test(tc, max_insns_stops_at_exactly_n);
    tcase_add_test(tc, a_pending_signal_stops_the_run_with_128_plus_signo);
    tcase_add_test(tc, a_fault_without_idt_is_a_triple_fault_with_status_3);
    tcase_add_test(tc, hlt_with_interrupts_on_skips_virtual_time_to_the_pit_tick);
    tcase_add_test(tc, a_timer_armed_mid_slice_interrupts_a_busy_guest_on_time);
    tcase_add_test(tc, i8042_a20_off_makes_1m_alias_0_through_the_tlb);
    tcase_add_test(tc, two_machines_side_by_side_run_identically);
    tcase_add_test(tc, a_guest_reset_request_boots_the_image_again);
    tcase_add_test(tc, a_rom_starts_at_the_reset_vector);
    tcase_add_test(tc, machine_create_reports_loader_errors);
    tcase_add_test(tc, guest_info_port_records_the_address_and_logs_an_event_and_com1_tap_sees_output);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
