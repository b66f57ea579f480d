/* `pagoda run` option parsing: values, aliases, defaults and the exact
 * one-line errors for unknown flags and bad values. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "machine/options.h"

static char err[512];

static int parse(struct machine_config *cfg, int argc, const char *const *argv)
{
    options_defaults(cfg);
    err[0] = '\0';
    return options_parse(argc, (char **)argv, cfg, err, sizeof err);
}

START_TEST(defaults_are_128m_100mhz_stdio_default_tlb_no_limit)
{
    struct machine_config c;
    const char *argv[] = { "k.elf" };
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    ck_assert_int_eq(parse(&c, 1, argv), 0);
    ck_assert_uint_eq(c.ram_bytes, 128u << 20);
    ck_assert_uint_eq(c.mhz, 100);
    ck_assert_int_eq(c.serial, SERIAL_STDIO);
    ck_assert_uint_eq(c.tlb_sets, 1024);
    ck_assert_uint_eq(c.tlb_ways, 1);
    ck_assert_uint_eq(c.max_insns, 0);
    ck_assert_str_eq(c.kernel, "k.elf");
    ck_assert(c.headless);
    ck_assert(!c.stats && !c.realtime && !c.reset_on_triple_fault && !c.rtc_set);
}
END_TEST

START_TEST(qemu_and_long_spellings_set_the_same_fields)
{
    struct machine_config c;
    const char *a[] = { "-m", "64M", "-kernel", "k", "-initrd", "i", "-append", "console=ttyS0",
                        "-fda", "f.img,rw", "-serial", "file:/tmp/s", "-display", "none" };
    ck_assert_int_eq(parse(&c, 14, a), 0);
    ck_assert_uint_eq(c.ram_bytes, 64u << 20);
    ck_assert_str_eq(c.kernel, "k");
    ck_assert_str_eq(c.initrd, "i");
    ck_assert_str_eq(c.append, "console=ttyS0");
    ck_assert_str_eq(c.fda, "f.img");
    ck_assert(c.fda_rw);
    ck_assert_int_eq(c.serial, SERIAL_FILE);
    ck_assert_str_eq(c.serial_path, "/tmp/s");

    const char *b[] = { "--memory=1G", "--initrd", "i2", "--append=a b", "--fda", "g.img",
                        "--serial", "none", "--headless", "k2" };
    ck_assert_int_eq(parse(&c, 10, b), 0);
    ck_assert_uint_eq(c.ram_bytes, 1u << 30);
    ck_assert_str_eq(c.initrd, "i2");
    ck_assert_str_eq(c.append, "a b");
    ck_assert_str_eq(c.fda, "g.img");
    ck_assert(!c.fda_rw);
    ck_assert_int_eq(c.serial, SERIAL_NONE);
    ck_assert_str_eq(c.kernel, "k2");
}
END_TEST

START_TEST(machine_flags_parse_their_values)
{
    struct machine_config c;
    const char *a[] = { "--max-insns", "1000000", "--mhz", "250", "--realtime", "--rtc", "2000-01-02T03:04:05",
                        "--tlb", "i386", "--reset-on-triple-fault", "--stats", "--debugcon", "d.log",
                        "--post-log", "p.log", "--bios", "rom.bin" };
    ck_assert_int_eq(parse(&c, 17, a), 0);
    ck_assert_uint_eq(c.max_insns, 1000000);
    ck_assert_uint_eq(c.mhz, 250);
    ck_assert(c.realtime && c.reset_on_triple_fault && c.stats && c.rtc_set);
    ck_assert_int_eq(c.rtc_base, 946782245);
    ck_assert_uint_eq(c.tlb_sets, 8);
    ck_assert_uint_eq(c.tlb_ways, 4);
    ck_assert_str_eq(c.debugcon, "d.log");
    ck_assert_str_eq(c.post_log, "p.log");
    ck_assert_str_eq(c.bios, "rom.bin");
    ck_assert_ptr_null(c.kernel);
}
END_TEST

START_TEST(sizes_accept_k_m_g_and_plain_mib)
{
    uint64_t b;
    ck_assert_int_eq(options_parse_size("512", &b), 0);
    ck_assert_uint_eq(b, 512ull << 20);
    ck_assert_int_eq(options_parse_size("2048K", &b), 0);
    ck_assert_uint_eq(b, 2ull << 20);
    ck_assert_int_eq(options_parse_size("3G", &b), 0);
    ck_assert_uint_eq(b, 3ull << 30);
    ck_assert_int_eq(options_parse_size("16MiB", &b), 0);
    ck_assert_uint_eq(b, 16ull << 20);
    ck_assert_int_eq(options_parse_size("12X", &b), -1);
    ck_assert_int_eq(options_parse_size("", &b), -1);
    ck_assert_int_eq(options_parse_size("-1M", &b), -1);
}
END_TEST

START_TEST(rtc_accepts_seconds_and_dates_and_refuses_impossible_dates)
{
    int64_t t;
    ck_assert_int_eq(options_parse_rtc("0", &t), 0);
    ck_assert_int_eq(t, 0);
    ck_assert_int_eq(options_parse_rtc("2024-02-29", &t), 0);
    ck_assert_int_eq(t, 1709164800);
    ck_assert_int_eq(options_parse_rtc("2023-02-29", &t), -1);
    ck_assert_int_eq(options_parse_rtc("2024-13-01", &t), -1);
    ck_assert_int_eq(options_parse_rtc("yesterday", &t), -1);
}
END_TEST

struct bad_case {
    int argc;
    const char *argv[4];
    const char *message;
};

static const struct bad_case bad[] = {
    { 1, { "--frobnicate" }, "--frobnicate: unknown option (see pagoda --help)" },
    { 1, { "--frob=3" }, "--frob: unknown option (see pagoda --help)" },
    { 1, { "-m" }, "-m: needs a value (see pagoda --help)" },
    { 2, { "-m", "4G" }, "-m 4G: memory size must be between 1M and 3G" },
    { 2, { "-m", "512K" }, "-m 512K: memory size must be between 1M and 3G" },
    { 2, { "--memory", "lots" }, "--memory lots: not a size (use e.g. 64M or 1G)" },
    { 2, { "--max-insns", "0" }, "--max-insns 0: expected a positive instruction count" },
    { 2, { "--max-insns", "12abc" }, "--max-insns 12abc: expected a positive instruction count" },
    { 2, { "--mhz", "0" }, "--mhz 0: expected a clock rate from 1 to 100000 MHz" },
    { 2, { "--tlb", "3x4" }, "--tlb 3x4: expected SETSxWAYS (sets a power of two from 2 to 65536, ways 1 to 64) or i386" },
    { 2, { "-serial", "tcp:1234" }, "-serial tcp:1234: expected stdio, file:PATH or none" },
    { 2, { "-display", "gtk" }, "-display gtk: expected none or sdl" },
    { 2, { "-fda", "a.img,wr" }, "-fda a.img,wr: unknown floppy option 'wr' (use FILE or FILE,rw)" },
    { 2, { "--rtc", "noon" }, "--rtc noon: expected Unix seconds or YYYY-MM-DD[THH:MM:SS]" },
    { 1, { "--stats=yes" }, "--stats: takes no value" },
    { 2, { "a.elf", "b.elf" }, "b.elf: unexpected argument (the image is already a.elf)" },
    { 3, { "-kernel", "a.elf", "b.elf" }, "b.elf: a kernel image was already given (-kernel a.elf)" },
    { 3, { "--bios", "r.bin", "k.elf" }, "--bios r.bin: cannot be combined with a kernel image (k.elf)" },
};

START_TEST(bad_flags_and_values_give_one_line_naming_the_flag)
{
    const struct bad_case *b = &bad[_i];
    struct machine_config c;
    ck_assert_int_eq(parse(&c, b->argc, b->argv), -1);
    ck_assert_str_eq(err, b->message);
    ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(help_flag_is_recognised_and_usage_mentions_every_option)
{
    struct machine_config c;
    const char *a[] = { "--help" };
    ck_assert_int_eq(parse(&c, 1, a), 0);
    ck_assert(c.help);
    const char *u = options_usage();
    const char *want[] = { "--memory", "-kernel", "--initrd", "--append", "--fda", "-serial",
                           "--headless", "-display none", "--bios", "--debugcon", "--post-log",
                           "--max-insns", "--mhz", "--realtime", "--rtc", "--tlb",
                           "--reset-on-triple-fault", "--stats", "--gdb PORT",
                           "--trace FILE[=KINDS]", "--close-on-stop", "pagoda debug" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(u, want[i]), "usage lacks %s", want[i]);
}
END_TEST

START_TEST(a_display_opens_the_window_unless_headless_or_display_none)
{
    struct machine_config c;
    const char *none[] = { "k" }, *h[] = { "--headless", "k" }, *dn[] = { "-display", "none", "k" };
    setenv("DISPLAY", ":0", 1);
    ck_assert_int_eq(parse(&c, 1, none), 0);
    ck_assert(!c.headless);
    ck_assert_int_eq(parse(&c, 2, h), 0);
    ck_assert(c.headless);
    ck_assert_int_eq(parse(&c, 3, dn), 0);
    ck_assert(c.headless);
    unsetenv("DISPLAY");
    setenv("WAYLAND_DISPLAY", "wayland-0", 1);
    ck_assert_int_eq(parse(&c, 1, none), 0);
    ck_assert(!c.headless);
    unsetenv("WAYLAND_DISPLAY");
    ck_assert_int_eq(parse(&c, 1, none), 0);
    ck_assert(c.headless);
}
END_TEST

START_TEST(gdb_port_trace_file_and_kinds_are_parsed)
{
    struct machine_config c;
    const char *a[] = { "--gdb", "1234", "--trace", "out=x.txt=pf,cr3", "--close-on-stop", "k" };
    ck_assert_int_eq(parse(&c, 6, a), 0);
    ck_assert_uint_eq(c.gdb_port, 1234);
    ck_assert_str_eq(c.trace_path, "out=x.txt");   /* the kinds follow the last '=' */
    ck_assert_str_eq(c.trace_kinds, "pf,cr3");
    ck_assert(c.close_on_stop);
    const char *b[] = { "--trace=t.txt", "k" };
    ck_assert_int_eq(parse(&c, 2, b), 0);
    ck_assert_str_eq(c.trace_path, "t.txt");
    ck_assert_ptr_null(c.trace_kinds);
    const char *bad_port[] = { "--gdb", "0", "k" }, *bad_kinds[] = { "--trace", "t.txt=", "k" };
    ck_assert_int_eq(parse(&c, 3, bad_port), -1);
    ck_assert_str_eq(err, "--gdb 0: expected a TCP port from 1 to 65535");
    ck_assert_int_eq(parse(&c, 3, bad_kinds), -1);
    ck_assert_str_eq(err, "--trace t.txt=: no event kinds after '='");
}
END_TEST

START_TEST(double_dash_ends_options)
{
    struct machine_config c;
    const char *a[] = { "--stats", "--", "-odd-name.elf" };
    ck_assert_int_eq(parse(&c, 3, a), 0);
    ck_assert_str_eq(c.kernel, "-odd-name.elf");
    ck_assert(c.stats);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("machine_options");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, defaults_are_128m_100mhz_stdio_default_tlb_no_limit);
    tcase_add_test(tc, qemu_and_long_spellings_set_the_same_fields);
    tcase_add_test(tc, machine_flags_parse_their_values);
    tcase_add_test(tc, sizes_accept_k_m_g_and_plain_mib);
    tcase_add_test(tc, rtc_accepts_seconds_and_dates_and_refuses_impossible_dates);
    tcase_add_loop_test(tc, bad_flags_and_values_give_one_line_naming_the_flag, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, help_flag_is_recognised_and_usage_mentions_every_option);
    tcase_add_test(tc, double_dash_ends_options);
    tcase_add_test(tc, a_display_opens_the_window_unless_headless_or_display_none);
    tcase_add_test(tc, gdb_port_trace_file_and_kinds_are_parsed);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
