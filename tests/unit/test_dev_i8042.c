/* 8042 keyboard controller and port 0x92 through ports 0x60/0x64/0x92.
 * Expectations from the IBM AT technical reference / 8042 command set:
 * self-test 0xAA -> 0x55, interface tests -> 0x00, output port bit 1 = A20
 * and bit 0 = reset (active low), 0xFE pulses reset, keyboard ACK 0xFA,
 * reset BAT 0xAA, ID 0xAB 0x83 (0x41 translated). */
#include <check.h>
#include <stdlib.h>

#include "devices/i8042.h"
#include "devices/iobus.h"

static struct iobus *bus;
static struct i8042 *kbc;
static int a20_calls;
static bool a20;
static int resets;
static bool irq1, irq12;

static void on_a20(void *ctx, bool en) { (void)ctx; a20_calls++; a20 = en; }
static void on_reset(void *ctx) { (void)ctx; resets++; }
static void irq_set_cb(void *ctx, int irq, bool level)
{
    (void)ctx;
    if (irq == 1) irq1 = level;
    if (irq == 12) irq12 = level;
}

static void out8(uint16_t port, uint8_t v) { iobus_out(bus, port, v, 1); }
static uint8_t in8(uint16_t port) { return (uint8_t)iobus_in(bus, port, 1); }

static uint8_t read_data(void)
{
    ck_assert_uint_eq(in8(0x64) & 1, 1);   /* OBF */
    return in8(0x60);
}

static void setup(void)
{
    bus = malloc(sizeof *bus);
    iobus_init(bus);
    a20_calls = 0;
    a20 = true;
    resets = 0;
    irq1 = irq12 = false;
    struct i8042_callbacks cb = { on_a20, on_reset, NULL };
    kbc = i8042_create(bus, (struct irq_line){ irq_set_cb, NULL }, &cb);
    ck_assert_ptr_nonnull(kbc);
    ck_assert_int_eq(a20_calls, 0);          /* creation calls nothing */
    i8042_reset(kbc);
}

static void teardown(void)
{
    i8042_destroy(kbc);
    free(bus);
}

START_TEST(reset_turns_a20_off_through_the_callback)
{
    ck_assert_int_eq(a20_calls, 1);
    ck_assert(!a20);
    ck_assert(!i8042_a20(kbc));
}
END_TEST

START_TEST(self_test_answers_55_and_sets_sys_flag)
{
    out8(0x64, 0xAA);
    ck_assert_uint_eq(in8(0x64) & 0x08, 0x08);   /* A2: last write was a command */
    ck_assert_uint_eq(read_data(), 0x55);
    ck_assert_uint_eq(in8(0x64) & 0x05, 0x04);   /* OBF clear, SYS set */
}
END_TEST

START_TEST(interface_tests_answer_zero)
{
    out8(0x64, 0xAB);
    ck_assert_uint_eq(read_data(), 0x00);
    out8(0x64, 0xA9);
    ck_assert_uint_eq(read_data(), 0x00);
}
END_TEST

START_TEST(command_byte_reads_back_what_was_written)
{
    out8(0x64, 0x20);
    ck_assert_uint_eq(read_data(), 0x45);
    out8(0x64, 0x60);
    out8(0x60, 0x64);
    out8(0x64, 0x20);
    ck_assert_uint_eq(read_data(), 0x64);
}
END_TEST

START_TEST(output_port_bit1_gates_a20)
{
    out8(0x64, 0xD1);
    out8(0x60, 0xDF);
    ck_assert(a20);
    out8(0x64, 0xD0);
    ck_assert_uint_eq(read_data() & 0x03, 0x03);
    out8(0x64, 0xD1);
    out8(0x60, 0xDD);
    ck_assert(!a20);
    out8(0x64, 0xD0);
    ck_assert_uint_eq(read_data() & 0x03, 0x01);
    ck_assert_int_eq(resets, 0);
}
END_TEST

START_TEST(output_port_bit0_low_resets_the_system)
{
    out8(0x64, 0xD1);
    out8(0x60, 0x02);
    ck_assert_int_eq(resets, 1);
}
END_TEST

START_TEST(pulse_command_fe_resets_and_ff_does_not)
{
    out8(0x64, 0xFF);
    ck_assert_int_eq(resets, 0);
    out8(0x64, 0xFE);
    ck_assert_int_eq(resets, 1);
}
END_TEST

START_TEST(port92_bit1_is_fast_a20_ored_with_the_output_port)
{
    out8(0x92, 0x02);
    ck_assert(a20);
    ck_assert_uint_eq(in8(0x92), 0x02);
    out8(0x64, 0xD1);
    out8(0x60, 0x03);                  /* A20 via the 8042 too */
    out8(0x92, 0x00);
    ck_assert(a20);                    /* still on through the 8042 */
    out8(0x64, 0xD1);
    out8(0x60, 0x01);
    ck_assert(!a20);
}
END_TEST

START_TEST(port92_bit0_rising_edge_resets)
{
    out8(0x92, 0x01);
    ck_assert_int_eq(resets, 1);
    out8(0x92, 0x03);                  /* already set: no new edge */
    ck_assert_int_eq(resets, 1);
}
END_TEST

START_TEST(keyboard_reset_acks_and_passes_bat)
{
    out8(0x60, 0xFF);
    ck_assert_uint_eq(in8(0x64) & 0x08, 0);  /* A2: data */
    ck_assert_uint_eq(read_data(), 0xFA);
    ck_assert_uint_eq(read_data(), 0xAA);
    ck_assert_uint_eq(in8(0x64) & 1, 0);
}
END_TEST

START_TEST(keyboard_identify_is_translated_in_set1_mode)
{
    out8(0x60, 0xF2);
    ck_assert_uint_eq(read_data(), 0xFA);
    ck_assert_uint_eq(read_data(), 0xAB);
    ck_assert_uint_eq(read_data(), 0x41);
    out8(0x64, 0x60);
    out8(0x60, 0x05);                  /* translation off */
    out8(0x60, 0xF2);
    read_data();
    read_data();
    ck_assert_uint_eq(read_data(), 0x83);
}
END_TEST

START_TEST(keyboard_data_raises_irq1_until_read)
{
    i8042_key(kbc, 0x1C);              /* set 2 'A' make */
    ck_assert(irq1);
    ck_assert_uint_eq(in8(0x60), 0x1E);  /* set 1 'A' make */
    ck_assert(!irq1);
    i8042_key(kbc, 0xF0);
    i8042_key(kbc, 0x1C);              /* 'A' break */
    ck_assert(irq1);
    ck_assert_uint_eq(in8(0x60), 0x9E);
}
END_TEST

START_TEST(command_byte_bit0_clear_keeps_irq1_low)
{
    out8(0x64, 0x60);
    out8(0x60, 0x44);
    i8042_key(kbc, 0x29);
    ck_assert(!irq1);
    ck_assert_uint_eq(read_data(), 0x39);
}
END_TEST

START_TEST(disabled_keyboard_holds_keys_until_enabled)
{
    out8(0x64, 0xAD);
    i8042_key(kbc, 0x5A);
    ck_assert_uint_eq(in8(0x64) & 1, 0);
    out8(0x64, 0xAE);
    ck_assert_uint_eq(read_data(), 0x1C);
}
END_TEST

START_TEST(write_aux_output_buffer_loops_back_as_aux_data)
{
    out8(0x64, 0x60);
    out8(0x60, 0x47);                  /* IRQ 12 on */
    out8(0x64, 0xD3);
    out8(0x60, 0x5A);
    ck_assert_uint_eq(in8(0x64) & 0x21, 0x21);
    ck_assert(irq12);
    ck_assert(!irq1);
    ck_assert_uint_eq(in8(0x60), 0x5A);
    ck_assert(!irq12);
}
END_TEST

START_TEST(aux_loopback_works_with_the_aux_interface_disabled)
{
    out8(0x64, 0xA7);                  /* Linux's i8042_check_aux order */
    out8(0x64, 0xD3);
    out8(0x60, 0x5A);
    ck_assert_uint_eq(in8(0x64) & 0x21, 0x21);
    ck_assert_uint_eq(in8(0x60), 0x5A);
    out8(0x64, 0x20);
    ck_assert_uint_eq(read_data() & 0x20, 0x20);   /* AUXDIS shows in the command byte */
    out8(0x64, 0xA8);
    out8(0x64, 0x20);
    ck_assert_uint_eq(read_data() & 0x20, 0x00);
}
END_TEST

START_TEST(aux_device_write_times_out_with_no_mouse)
{
    out8(0x64, 0xD4);
    out8(0x60, 0xF2);
    ck_assert_uint_eq(in8(0x64) & 0x61, 0x61);   /* TO, AUXB, OBF */
    ck_assert_uint_eq(in8(0x60), 0xFE);
    ck_assert_uint_eq(in8(0x64) & 0x40, 0);
}
END_TEST

START_TEST(set_a20_helper_goes_through_the_callback)
{
    i8042_set_a20(kbc, true);
    ck_assert(a20);
    ck_assert(i8042_a20(kbc));
    out8(0x64, 0xD0);
    ck_assert_uint_eq(read_data() & 0x02, 0x02);
}
END_TEST

START_TEST(led_command_takes_a_parameter_and_acks_both)
{
    out8(0x60, 0xED);
    ck_assert_uint_eq(read_data(), 0xFA);
    out8(0x60, 0x07);
    ck_assert_uint_eq(read_data(), 0xFA);
    out8(0x60, 0xEE);
    ck_assert_uint_eq(read_data(), 0xEE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dev_i8042");
    TCase *tc = tcase_create("8042");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reset_turns_a20_off_through_the_callback);
    tcase_add_test(tc, self_test_answers_55_and_sets_sys_flag);
    tcase_add_test(tc, interface_tests_answer_zero);
    tcase_add_test(tc, command_byte_reads_back_what_was_written);
    tcase_add_test(tc, output_port_bit1_gates_a20);
    tcase_add_test(tc, output_port_bit0_low_resets_the_system);
    tcase_add_test(tc, pulse_command_fe_resets_and_ff_does_not);
    tcase_add_test(tc, port92_bit1_is_fast_a20_ored_with_the_output_port);
    tcase_add_test(tc, port92_bit0_rising_edge_resets);
    tcase_add_test(tc, keyboard_reset_acks_and_passes_bat);
    tcase_add_test(tc, keyboard_identify_is_translated_in_set1_mode);
    tcase_add_test(tc, keyboard_data_raises_irq1_until_read);
    tcase_add_test(tc, command_byte_bit0_clear_keeps_irq1_low);
    tcase_add_test(tc, disabled_keyboard_holds_keys_until_enabled);
    tcase_add_test(tc, write_aux_output_buffer_loops_back_as_aux_data);
    tcase_add_test(tc, aux_loopback_works_with_the_aux_interface_disabled);
    tcase_add_test(tc, aux_device_write_times_out_with_no_mouse);
    tcase_add_test(tc, set_a20_helper_goes_through_the_callback);
    tcase_add_test(tc, led_command_takes_a_parameter_and_acks_both);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
