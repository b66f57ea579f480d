/* 8254 PIT through ports 0x40-0x43 and 0x61, on a real virtual clock.
 * Expectations from the Intel 8254 datasheet (231164): the count loads on
 * the CLK after it is written, mode timings in CLK pulses, counter latch,
 * read-back status byte (OUT, NULL COUNT, RW, M2-M0, BCD). */
#include <check.h>
#include <stdlib.h>

#include "devices/iobus.h"
#include "devices/pit.h"
#include "machine/vclock.h"

#define MHZ 100u

static struct iobus *bus;
static struct pit *pit;
static struct vclock vc;
static uint64_t icount;
static bool irq0_level;
static int irq0_rises;

static void irq_set_cb(void *ctx, int irq, bool level)
{
    (void)ctx;
    if (irq != 0)
        return;
    if (level && !irq0_level)
        irq0_rises++;
    irq0_level = level;
}

static void out8(uint16_t port, uint8_t v) { iobus_out(bus, port, v, 1); }
static uint8_t in8(uint16_t port) { return (uint8_t)iobus_in(bus, port, 1); }

/* Virtual tick at which PIT clock c begins (the PIT's own conversion). */
static uint64_t tick_of_clock(uint64_t c)
{
    unsigned __int128 t = (unsigned __int128)c * (MHZ * 1000000ull);
    return (uint64_t)((t + PIT_HZ - 1) / PIT_HZ);
}

/* Move virtual time to PIT clock c as the run loop does: stop at each
 * armed deadline on the way and run what is due. */
static void at_clock(uint64_t c)
{
    uint64_t to = tick_of_clock(c);
    while (vclock_next(&vc) <= to) {
        if (vclock_next(&vc) > icount)
            icount = vclock_next(&vc);
        vclock_run_due(&vc);
    }
    icount = to;
    vclock_run_due(&vc);
}

static uint16_t read_word(uint16_t port)
{
    uint8_t lo = in8(port);
    return (uint16_t)(lo | in8(port) << 8);
}

static void write_word(uint16_t port, uint16_t v)
{
    out8(port, (uint8_t)v);
    out8(port, (uint8_t)(v >> 8));
}

static void setup(void)
{
    bus = malloc(sizeof *bus);
    iobus_init(bus);
    icount = 0;
    vclock_init(&vc, &icount, MHZ);
    irq0_level = false;
    irq0_rises = 0;
    pit = pit_create(bus, &vc, (struct irq_line){ irq_set_cb, NULL });
    ck_assert_ptr_nonnull(pit);
    irq0_rises = 0;
}

static void teardown(void)
{
    pit_destroy(pit);
    free(bus);
}

START_TEST(mode2_interrupts_once_every_n_clocks)
{
    out8(0x43, 0x34);                    /* ch0, LSB/MSB, mode 2, binary */
    write_word(0x40, 1000);              /* written at clock 0, loads at 1 */
    at_clock(1000);
    ck_assert_int_eq(irq0_rises, 0);
    at_clock(1001);
    ck_assert_int_eq(irq0_rises, 1);
    at_clock(2000);
    ck_assert_int_eq(irq0_rises, 1);
    at_clock(2001);
    ck_assert_int_eq(irq0_rises, 2);
    at_clock(1 + 1000 * 50);
    ck_assert_int_eq(irq0_rises, 50);
    ck_assert_uint_eq(pit_irq0_count(pit), 50);
}
END_TEST

START_TEST(mode2_count_runs_n_down_to_1_with_out_low_at_1)
{
    out8(0x43, 0x34);
    write_word(0x40, 100);
    ck_assert_uint_eq(read_word(0x40), 100);   /* before the load CLK too */
    at_clock(1);
    ck_assert_uint_eq(read_word(0x40), 100);
    at_clock(1 + 30);
    ck_assert_uint_eq(read_word(0x40), 70);
    at_clock(1 + 99);
    ck_assert_uint_eq(read_word(0x40), 1);
    ck_assert(!pit_out(pit, 0));
    at_clock(1 + 100);
    ck_assert_uint_eq(read_word(0x40), 100);
    ck_assert(pit_out(pit, 0));
}
END_TEST

START_TEST(mode2_zero_count_means_65536)
{
    out8(0x43, 0x34);
    write_word(0x40, 0);
    at_clock(65536);
    ck_assert_int_eq(irq0_rises, 0);
    at_clock(65537);
    ck_assert_int_eq(irq0_rises, 1);
}
END_TEST

START_TEST(mode2_new_count_waits_for_end_of_period)
{
    out8(0x43, 0x34);
    write_word(0x40, 1000);
    at_clock(500);
    write_word(0x40, 200);
    ck_assert_uint_eq(read_word(0x40), 501);   /* old period continues */
    at_clock(1001);
    ck_assert_int_eq(irq0_rises, 1);
    at_clock(1200);
    ck_assert_int_eq(irq0_rises, 1);
    at_clock(1201);
    ck_assert_int_eq(irq0_rises, 2);
}
END_TEST

START_TEST(mode0_out_low_after_control_word_and_high_n_plus_1_clocks_after_count)
{
    out8(0x61, 0x01);                    /* gate 2 on, speaker off */
    out8(0x43, 0xB0);                    /* ch2, LSB/MSB, mode 0 */
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(10);
    write_word(0x42, 500);               /* written at 10 */
    at_clock(10 + 500);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(10 + 501);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    /* The counter keeps counting down through 0 and wraps. */
    at_clock(10 + 503);
    ck_assert_uint_eq(read_word(0x42), 0xFFFE);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
}
END_TEST

START_TEST(mode0_on_channel0_raises_irq0_once_at_terminal_count)
{
    out8(0x43, 0x30);
    ck_assert(!irq0_level);
    write_word(0x40, 300);
    at_clock(300);
    ck_assert(!irq0_level);
    at_clock(301);
    ck_assert(irq0_level);
    at_clock(100000);
    ck_assert_int_eq(irq0_rises, 1);
}
END_TEST

START_TEST(gate_low_pauses_mode0_counting)
{
    out8(0x61, 0x01);
    out8(0x43, 0xB0);
    write_word(0x42, 1000);
    at_clock(101);                        /* 100 clocks counted */
    out8(0x61, 0x00);
    at_clock(5000);
    ck_assert_uint_eq(read_word(0x42), 900);
    out8(0x61, 0x01);
    at_clock(5100);
    ck_assert_uint_eq(read_word(0x42), 800);
}
END_TEST

START_TEST(counter_latch_freezes_value_until_read)
{
    out8(0x43, 0x74);                    /* ch1, LSB/MSB, mode 2 */
    write_word(0x41, 5000);
    at_clock(1 + 1234);
    out8(0x43, 0x40);                    /* latch ch1 */
    at_clock(1 + 3000);
    out8(0x43, 0x40);                    /* ignored: a latch is pending */
    ck_assert_uint_eq(read_word(0x41), 5000 - 1234);
    ck_assert_uint_eq(read_word(0x41), 5000 - 3000);
}
END_TEST

START_TEST(readback_status_shows_null_count_until_the_count_loads)
{
    out8(0x61, 0x01);
    out8(0x43, 0xB0);
    out8(0x43, 0xE8);                    /* read-back: status only, ch2 */
    /* OUT 0, NULL COUNT 1, RW 11, mode 0, binary */
    ck_assert_uint_eq(in8(0x42), 0x70);
    write_word(0x42, 20);
    at_clock(5);
    out8(0x43, 0xE8);
    ck_assert_uint_eq(in8(0x42), 0x30);
    at_clock(100);
    out8(0x43, 0xE8);
    ck_assert_uint_eq(in8(0x42), 0xB0);  /* OUT went high */
}
END_TEST

START_TEST(readback_count_and_status_reads_status_first)
{
    out8(0x43, 0x36);                    /* ch0, LSB/MSB, mode 3 */
    write_word(0x40, 1000);
    at_clock(1 + 100);
    out8(0x43, 0xC2);                    /* read-back count and status of ch0 */
    at_clock(1 + 400);
    ck_assert_uint_eq(in8(0x40), 0x80 | 0x30 | 3 << 1);
    ck_assert_uint_eq(read_word(0x40), 1000 - 200);
}
END_TEST

START_TEST(readback_selects_several_counters_at_once)
{
    out8(0x43, 0x74);
    write_word(0x41, 100);
    out8(0x61, 0x01);
    out8(0x43, 0xB4);
    write_word(0x42, 200);
    at_clock(1 + 10);
    out8(0x43, 0xDC);                    /* count only, ch1 and ch2 */
    at_clock(1 + 50);
    ck_assert_uint_eq(read_word(0x41), 90);
    ck_assert_uint_eq(read_word(0x42), 190);
}
END_TEST

START_TEST(bcd_mode_counts_in_decimal)
{
    out8(0x43, 0x71);                    /* ch1, LSB/MSB, mode 0, BCD */
    write_word(0x41, 0x1234);
    at_clock(1 + 35);
    ck_assert_uint_eq(read_word(0x41), 0x1199);
}
END_TEST

START_TEST(bcd_zero_count_wraps_from_9999)
{
    out8(0x43, 0x71);
    write_word(0x41, 0x0000);             /* 10^4 */
    at_clock(1 + 1);
    ck_assert_uint_eq(read_word(0x41), 0x9999);
}
END_TEST

START_TEST(lsb_only_and_msb_only_access)
{
    out8(0x43, 0x50);                    /* ch1, LSB only, mode 0 */
    out8(0x41, 0x80);
    at_clock(1 + 0x10);
    ck_assert_uint_eq(in8(0x41), 0x70);
    ck_assert_uint_eq(in8(0x41), 0x70);  /* every read is the LSB */
    out8(0x43, 0x60);                    /* ch1, MSB only, mode 0 */
    out8(0x41, 0x02);                    /* count 0x0200 */
    at_clock(1 + 0x10 + 1 + 0x100);
    ck_assert_uint_eq(in8(0x41), 0x01);
}
END_TEST

START_TEST(mode3_even_count_is_half_high_half_low)
{
    out8(0x61, 0x01);
    out8(0x43, 0xB6);                    /* ch2, LSB/MSB, mode 3 */
    write_word(0x42, 100);
    at_clock(1);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    at_clock(1 + 10);
    ck_assert_uint_eq(read_word(0x42), 80);   /* counts by two */
    at_clock(1 + 49);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    at_clock(1 + 50);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(1 + 99);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(1 + 100);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
}
END_TEST

START_TEST(mode3_odd_count_is_high_one_clock_longer)
{
    out8(0x61, 0x01);
    out8(0x43, 0xB6);
    write_word(0x42, 5);
    at_clock(1 + 2);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    at_clock(1 + 3);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(1 + 4);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(1 + 5);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
}
END_TEST

START_TEST(mode3_new_count_takes_over_at_the_end_of_the_half_cycle)
{
    out8(0x61, 0x01);
    out8(0x43, 0xB6);
    write_word(0x42, 100);
    at_clock(1 + 10);
    write_word(0x42, 40);                /* during the high half */
    at_clock(1 + 49);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    at_clock(1 + 50);                    /* old fall, then the new low half */
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(1 + 69);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(1 + 70);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    at_clock(1 + 90);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(1 + 110);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    write_word(0x42, 10);                /* at once in the high half again */
    at_clock(1 + 129);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    at_clock(1 + 130);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(1 + 135);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
}
END_TEST

START_TEST(mode3_new_count_written_in_the_low_half_waits_for_the_rise)
{
    out8(0x43, 0x36);                    /* on channel 0: IRQ 0 edges follow */
    write_word(0x40, 100);
    at_clock(1 + 60);
    write_word(0x40, 30);
    at_clock(1 + 99);
    ck_assert_int_eq(irq0_rises, 0);
    at_clock(1 + 100);
    ck_assert_int_eq(irq0_rises, 1);
    at_clock(1 + 129);
    ck_assert_int_eq(irq0_rises, 1);
    at_clock(1 + 130);
    ck_assert_int_eq(irq0_rises, 2);
}
END_TEST

START_TEST(mode3_on_channel0_interrupts_once_per_period)
{
    out8(0x43, 0x36);
    write_word(0x40, 11932);             /* ~100 Hz */
    at_clock(1 + 11932 * 10);
    ck_assert_int_eq(irq0_rises, 10);
    at_clock(1 + 11932 * 10 + 11932 / 2 + 1);
    ck_assert(!irq0_level);
}
END_TEST

START_TEST(mode4_strobes_once_n_plus_1_clocks_after_write)
{
    out8(0x43, 0x38);                    /* ch0, LSB/MSB, mode 4 */
    write_word(0x40, 10);
    at_clock(11);
    ck_assert_int_eq(irq0_rises, 0);
    ck_assert(!pit_out(pit, 0));         /* the strobe clock */
    at_clock(12);
    ck_assert_int_eq(irq0_rises, 1);
    at_clock(70000);
    ck_assert_int_eq(irq0_rises, 1);     /* no second strobe */
}
END_TEST

START_TEST(mode1_one_shot_starts_on_gate_rising_edge)
{
    out8(0x61, 0x00);
    out8(0x43, 0xB2);                    /* ch2, LSB/MSB, mode 1 */
    write_word(0x42, 50);
    at_clock(100);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);   /* waits for a trigger */
    out8(0x61, 0x01);                    /* trigger at 100 */
    at_clock(101);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(101 + 49);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(101 + 50);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
}
END_TEST

START_TEST(mode5_strobes_n_clocks_after_gate_rising_edge_and_retriggers)
{
    /* Datasheet mode 5: OUT starts high; a count written does not start
     * counting; a GATE rising edge loads it on the next CLK; OUT goes low
     * for one CLK when the count reaches 0; a rising edge while counting
     * reloads the initial count (retriggerable); GATE level does not
     * pause the count. */
    out8(0x61, 0x00);
    out8(0x43, 0xBA);                    /* ch2, LSB/MSB, mode 5 */
    write_word(0x42, 20);
    at_clock(100);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);   /* no trigger yet, no strobe */
    out8(0x61, 0x01);                    /* trigger at 100: loads at 101 */
    at_clock(101 + 19);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    at_clock(101 + 20);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);      /* the strobe clock */
    at_clock(101 + 21);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    at_clock(70000);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);   /* one strobe per trigger */

    /* Retrigger: edge at 200, gate dropped at 205 (no pause), edge at 210. */
    out8(0x61, 0x00);
    at_clock(200);
    out8(0x61, 0x01);
    at_clock(205);
    out8(0x61, 0x00);
    at_clock(210);
    out8(0x61, 0x01);                    /* reloads at 211 */
    at_clock(201 + 20);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);   /* the first strobe never comes */
    at_clock(211 + 19);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    at_clock(211 + 20);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    at_clock(211 + 21);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
}
END_TEST

START_TEST(mode5_new_count_waits_for_the_next_trigger)
{
    out8(0x61, 0x00);
    out8(0x43, 0xBA);
    write_word(0x42, 50);
    at_clock(10);
    out8(0x61, 0x01);                    /* loads 50 at 11 */
    at_clock(20);
    write_word(0x42, 5);                 /* no effect on the current count */
    at_clock(11 + 49);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    at_clock(11 + 50);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    out8(0x61, 0x00);
    at_clock(100);
    out8(0x61, 0x01);                    /* loads 5 at 101 */
    at_clock(101 + 4);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    at_clock(101 + 5);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
}
END_TEST

START_TEST(mode2_gate_low_forces_out_high_and_rising_gate_reloads)
{
    out8(0x61, 0x01);
    out8(0x43, 0xB4);                    /* ch2 mode 2 */
    write_word(0x42, 100);
    at_clock(1 + 40);
    out8(0x61, 0x00);
    at_clock(1000);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    ck_assert_uint_eq(read_word(0x42), 60);
    out8(0x61, 0x01);                    /* reload at 1001 */
    at_clock(1001 + 10);
    ck_assert_uint_eq(read_word(0x42), 90);
}
END_TEST

START_TEST(port61_keeps_low_bits_and_toggles_refresh_bit)
{
    out8(0x61, 0x03);
    ck_assert_uint_eq(in8(0x61) & 0x0F, 0x03);
    at_clock(0);
    uint8_t a = in8(0x61) & 0x10;
    at_clock(18);
    uint8_t b = in8(0x61) & 0x10;
    ck_assert_uint_ne(a, b);
}
END_TEST

START_TEST(linux_style_tsc_calibration_sees_out2_after_the_programmed_delay)
{
    /* pit_calibrate_tsc(): gate high / speaker off, mode 0, 50 ms latch. */
    uint16_t latch = (uint16_t)(PIT_HZ / 20);
    out8(0x61, (uint8_t)((in8(0x61) & ~0x02) | 0x01));
    out8(0x43, 0xB0);
    write_word(0x42, latch);
    uint64_t start = icount;
    while (!(in8(0x61) & 0x20))
        icount += 1000;                  /* the guest's loop, 1000 insns a turn */
    uint64_t us = (icount - start) / MHZ;
    ck_assert_uint_ge(us, 49990);
    ck_assert_uint_le(us, 50020);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dev_pit");
    TCase *tc = tcase_create("8254");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, mode2_interrupts_once_every_n_clocks);
    tcase_add_test(tc, mode2_count_runs_n_down_to_1_with_out_low_at_1);
    tcase_add_test(tc, mode2_zero_count_means_65536);
    tcase_add_test(tc, mode2_new_count_waits_for_end_of_period);
    tcase_add_test(tc, mode0_out_low_after_control_word_and_high_n_plus_1_clocks_after_count);
    tcase_add_test(tc, mode0_on_channel0_raises_irq0_once_at_terminal_count);
    tcase_add_test(tc, gate_low_pauses_mode0_counting);
    tcase_add_test(tc, counter_latch_freezes_value_until_read);
    tcase_add_test(tc, readback_status_shows_null_count_until_the_count_loads);
    tcase_add_test(tc, readback_count_and_status_reads_status_first);
    tcase_add_test(tc, readback_selects_several_counters_at_once);
    tcase_add_test(tc, bcd_mode_counts_in_decimal);
    tcase_add_test(tc, bcd_zero_count_wraps_from_9999);
    tcase_add_test(tc, lsb_only_and_msb_only_access);
    tcase_add_test(tc, mode3_even_count_is_half_high_half_low);
    tcase_add_test(tc, mode3_odd_count_is_high_one_clock_longer);
    tcase_add_test(tc, mode3_new_count_takes_over_at_the_end_of_the_half_cycle);
    tcase_add_test(tc, mode3_new_count_written_in_the_low_half_waits_for_the_rise);
    tcase_add_test(tc, mode3_on_channel0_interrupts_once_per_period);
    tcase_add_test(tc, mode4_strobes_once_n_plus_1_clocks_after_write);
    tcase_add_test(tc, mode1_one_shot_starts_on_gate_rising_edge);
    tcase_add_test(tc, mode5_strobes_n_clocks_after_gate_rising_edge_and_retriggers);
    tcase_add_test(tc, mode5_new_count_waits_for_the_next_trigger);
    tcase_add_test(tc, mode2_gate_low_forces_out_high_and_rising_gate_reloads);
    tcase_add_test(tc, port61_keeps_low_bits_and_toggles_refresh_bit);
    tcase_add_test(tc, linux_style_tsc_calibration_sees_out2_after_the_programmed_delay);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
