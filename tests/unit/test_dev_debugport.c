/* Debug console 0xE9, POST ports 0x80/0x190 and the exit port 0xF4,
 * written as a guest does with OUT. Expectations from QEMU's documented
 * -debugcon and isa-debug-exit behaviour: status (v << 1) | 1. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/debugport.h"
#include "devices/iobus.h"

static struct iobus *bus;
static struct debugport *dbg;
static char *conbuf, *postbuf;
static size_t conlen, postlen;
static FILE *con, *post;
static int exits, exit_status;

static void on_exit_req(void *ctx, int status)
{
    (void)ctx;
    exits++;
    exit_status = status;
}

static void setup(void)
{
    bus = malloc(sizeof *bus);
    iobus_init(bus);
    con = open_memstream(&conbuf, &conlen);
    post = open_memstream(&postbuf, &postlen);
    exits = 0;
    exit_status = -1;
    dbg = debugport_create(bus, con, post, on_exit_req, NULL);
    ck_assert_ptr_nonnull(dbg);
}

static void teardown(void)
{
    debugport_destroy(dbg);
    fclose(con);
    fclose(post);
    free(conbuf);
    free(postbuf);
    free(bus);
}

START_TEST(bytes_written_to_e9_reach_the_console_file)
{
    const char *s = "ok\n";
    for (const char *p = s; *p; p++)
        iobus_out(bus, 0xE9, (uint8_t)*p, 1);
    iobus_out(bus, 0xE9, 'A' | 'B' << 8, 2);
    fflush(con);
    ck_assert_uint_eq(conlen, 5);
    ck_assert_mem_eq(conbuf, "ok\nAB", 5);
}
END_TEST

START_TEST(reading_e9_answers_e9)
{
    ck_assert_uint_eq(iobus_in(bus, 0xE9, 1), 0xE9);
}
END_TEST

START_TEST(post_codes_are_logged_in_hex_one_per_line_and_the_last_kept)
{
    ck_assert_int_eq(debugport_last_post(dbg), -1);
    iobus_out(bus, 0x80, 0x12, 1);
    iobus_out(bus, 0x190, 0xAB, 1);
    iobus_out(bus, 0x80, 0x05, 1);
    fflush(post);
    ck_assert_str_eq(postbuf, "12\nab\n05\n");
    ck_assert_int_eq(debugport_last_post(dbg), 0x05);
    ck_assert_uint_eq(iobus_in(bus, 0x80, 1), 0x05);
}
END_TEST

START_TEST(exit_port_write_asks_for_status_v_shl_1_or_1)
{
    iobus_out(bus, 0xF4, 0x10, 1);
    ck_assert_int_eq(exits, 1);
    ck_assert_int_eq(exit_status, 0x21);
    iobus_out(bus, 0xF4, 0, 1);
    ck_assert_int_eq(exit_status, 1);
}
END_TEST

START_TEST(wide_write_to_the_exit_port_exits_once)
{
    iobus_out(bus, 0xF4, 0x01, 4);
    ck_assert_int_eq(exits, 1);
    ck_assert_int_eq(exit_status, 3);
}
END_TEST

START_TEST(reset_forgets_the_last_post_code)
{
    iobus_out(bus, 0x80, 0x77, 1);
    debugport_reset(dbg);
    ck_assert_int_eq(debugport_last_post(dbg), -1);
}
END_TEST

START_TEST(null_files_discard_output_without_crashing)
{
    struct iobus *b2 = malloc(sizeof *b2);
    iobus_init(b2);
    struct debugport *d2 = debugport_create(b2, NULL, NULL, NULL, NULL);
    ck_assert_ptr_nonnull(d2);
    iobus_out(b2, 0xE9, 'x', 1);
    iobus_out(b2, 0x80, 0x42, 1);
    iobus_out(b2, 0xF4, 1, 1);
    ck_assert_int_eq(debugport_last_post(d2), 0x42);
    debugport_destroy(d2);
    free(b2);
}
END_TEST

static uint32_t other_read(void *ctx, uint16_t port, int size) { (void)ctx; (void)port; (void)size; return 0x5A; }
static void other_write(void *ctx, uint16_t port, uint32_t val, int size) { (void)ctx; (void)port; (void)val; (void)size; }

START_TEST(port_conflict_fails_creation_and_releases_ports_already_claimed)
{
    struct iobus *b2 = malloc(sizeof *b2);
    iobus_init(b2);
    struct io_handler other = { other_read, other_write, NULL, false, "other" };
    ck_assert_int_eq(iobus_register(b2, 0x80, 1, &other), 0);
    ck_assert_ptr_null(debugport_create(b2, NULL, NULL, NULL, NULL));
    ck_assert_ptr_null(iobus_owner_name(b2, 0xE9));      /* claimed, then given back */
    ck_assert_uint_eq(iobus_in(b2, 0xE9, 1), 0xFF);
    ck_assert_str_eq(iobus_owner_name(b2, 0x80), "other");
    free(b2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dev_debugport");
    TCase *tc = tcase_create("debug ports");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, bytes_written_to_e9_reach_the_console_file);
    tcase_add_test(tc, reading_e9_answers_e9);
    tcase_add_test(tc, post_codes_are_logged_in_hex_one_per_line_and_the_last_kept);
    tcase_add_test(tc, exit_port_write_asks_for_status_v_shl_1_or_1);
    tcase_add_test(tc, wide_write_to_the_exit_port_exits_once);
    tcase_add_test(tc, reset_forgets_the_last_post_code);
    tcase_add_test(tc, null_files_discard_output_without_crashing);
    tcase_add_test(tc, port_conflict_fails_creation_and_releases_ports_already_claimed);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
