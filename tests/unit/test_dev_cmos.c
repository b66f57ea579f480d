/* MC146818 RTC and CMOS through ports 0x70/0x71, on a real virtual clock.
 * Expectations from the MC146818A data sheet: register map, BCD/binary and
 * 12/24-hour formats per register B, SET, rate select, register C flags
 * and IRQF, alarm "don't care" codes, UIP 244 us before an update. */
#include <check.h>
#include <stdlib.h>
#include <time.h>

#include "devices/cmos.h"
#include "devices/iobus.h"
#include "machine/vclock.h"

#define MHZ 100u
#define TICKS_PER_SEC (MHZ * 1000000ull)

static struct iobus *bus;
static struct cmos *cmos;
static struct vclock vc;
static uint64_t icount;
static bool irq8;
static int irq8_rises;
static int64_t base;

static void irq_set_cb(void *ctx, int irq, bool level)
{
    (void)ctx;
    if (irq != 8)
        return;
    if (level && !irq8)
        irq8_rises++;
    irq8 = level;
}

static uint8_t rd(uint8_t reg) { iobus_out(bus, 0x70, reg, 1); return (uint8_t)iobus_in(bus, 0x71, 1); }
static void wr(uint8_t reg, uint8_t v) { iobus_out(bus, 0x70, reg, 1); iobus_out(bus, 0x71, v, 1); }

static void advance_ticks(uint64_t t)
{
    uint64_t to = icount + t;
    while (vclock_next(&vc) <= to) {
        if (vclock_next(&vc) > icount)
            icount = vclock_next(&vc);
        vclock_run_due(&vc);
    }
    icount = to;
}

static void advance_us(uint64_t us) { advance_ticks(us * MHZ); }

static void setup(void)
{
    bus = malloc(sizeof *bus);
    iobus_init(bus);
    icount = 0;
    vclock_init(&vc, &icount, MHZ);
    irq8 = false;
    irq8_rises = 0;
    /* Saturday 2024-03-09 13:45:50 UTC */
    struct tm tm = { .tm_year = 124, .tm_mon = 2, .tm_mday = 9, .tm_hour = 13, .tm_min = 45, .tm_sec = 50 };
    base = (int64_t)timegm(&tm);
    cmos = cmos_create(bus, &vc, (struct irq_line){ irq_set_cb, NULL }, base);
    ck_assert_ptr_nonnull(cmos);
}

static void teardown(void)
{
    cmos_destroy(cmos);
    free(bus);
}

START_TEST(time_registers_read_the_base_in_bcd_24_hour)
{
    ck_assert_uint_eq(rd(0x00), 0x50);
    ck_assert_uint_eq(rd(0x02), 0x45);
    ck_assert_uint_eq(rd(0x04), 0x13);
    ck_assert_uint_eq(rd(0x06), 7);       /* Saturday; Sunday = 1 */
    ck_assert_uint_eq(rd(0x07), 0x09);
    ck_assert_uint_eq(rd(0x08), 0x03);
    ck_assert_uint_eq(rd(0x09), 0x24);
    ck_assert_uint_eq(rd(0x32), 0x20);
}
END_TEST

START_TEST(clock_advances_with_virtual_time_only)
{
    advance_us(14999999);
    ck_assert_uint_eq(rd(0x00), 0x04);
    advance_us(1);
    ck_assert_uint_eq(rd(0x00), 0x05);
    ck_assert_uint_eq(rd(0x02), 0x46);
}
END_TEST

START_TEST(binary_mode_from_register_b_dm)
{
    wr(0x0B, 0x06);
    ck_assert_uint_eq(rd(0x00), 50);
    ck_assert_uint_eq(rd(0x04), 13);
    ck_assert_uint_eq(rd(0x09), 24);
}
END_TEST

START_TEST(twelve_hour_mode_sets_bit7_for_pm)
{
    wr(0x0B, 0x00);
    ck_assert_uint_eq(rd(0x04), 0x81);
    wr(0x0B, 0x04);                       /* binary 12-hour */
    ck_assert_uint_eq(rd(0x04), 0x81);
    wr(0x04, 0x0C);                       /* 12 AM = midnight */
    wr(0x0B, 0x06);
    ck_assert_uint_eq(rd(0x04), 0);
}
END_TEST

START_TEST(set_bit_freezes_the_clock_for_writing)
{
    wr(0x0B, 0x82);
    wr(0x04, 0x08);
    wr(0x02, 0x30);
    wr(0x00, 0x00);
    advance_us(5000000);
    ck_assert_uint_eq(rd(0x00), 0x00);    /* held */
    ck_assert_uint_eq(rd(0x04), 0x08);
    wr(0x0B, 0x02);
    advance_us(2000000);
    ck_assert_uint_eq(rd(0x00), 0x02);
    ck_assert_uint_eq(rd(0x02), 0x30);
    ck_assert_uint_eq(rd(0x04), 0x08);
    ck_assert_uint_eq(rd(0x07), 0x09);    /* the date is untouched */
}
END_TEST

START_TEST(writing_the_year_keeps_the_rest_of_the_date)
{
    wr(0x09, 0x25);
    ck_assert_uint_eq(rd(0x09), 0x25);
    ck_assert_uint_eq(rd(0x08), 0x03);
    ck_assert_uint_eq(rd(0x06), 1);       /* 2025-03-09 is a Sunday */
}
END_TEST

START_TEST(periodic_interrupt_at_1024_hz)
{
    wr(0x0A, 0x26);
    wr(0x0B, 0x42);                       /* PIE */
    advance_us(976);
    ck_assert(!irq8);
    advance_us(2);
    ck_assert(irq8);
    ck_assert_uint_eq(rd(0x0C), 0xC0);    /* IRQF | PF */
    ck_assert(!irq8);
    ck_assert_uint_eq(rd(0x0C), 0x00);    /* cleared by the read */
    for (int i = 0; i < 1023; i++) {
        advance_us(977);
        rd(0x0C);
    }
    ck_assert_int_eq(irq8_rises, 1024);
}
END_TEST

START_TEST(rate_select_15_is_2_hz)
{
    wr(0x0A, 0x2F);
    wr(0x0B, 0x42);
    advance_us(499999);
    ck_assert(!irq8);
    advance_us(1);
    ck_assert(irq8);
}
END_TEST

START_TEST(pf_is_flagged_without_pie_but_raises_nothing)
{
    wr(0x0A, 0x26);
    advance_us(2000);
    ck_assert(!irq8);
    ck_assert_uint_eq(rd(0x0C), 0x40);    /* PF, no IRQF */
}
END_TEST

START_TEST(update_ended_interrupt_each_second)
{
    wr(0x0A, 0x20);                       /* no periodic rate: PF stays clear */
    wr(0x0B, 0x12);                       /* UIE */
    advance_us(999999);
    ck_assert(!irq8);
    advance_us(1);
    ck_assert(irq8);
    ck_assert_uint_eq(rd(0x0C), 0x90);
    ck_assert_uint_eq(rd(0x00), 0x51);
    advance_us(1000000);
    ck_assert_int_eq(irq8_rises, 2);
}
END_TEST

START_TEST(alarm_fires_when_hms_match)
{
    wr(0x01, 0x55);
    wr(0x03, 0x45);
    wr(0x05, 0x13);
    wr(0x0B, 0x22);                       /* AIE */
    advance_us(4000000);
    ck_assert(!irq8);
    advance_us(1000000);                  /* 13:45:55 */
    ck_assert(irq8);
    ck_assert_uint_eq(rd(0x0C) & 0xA0, 0xA0);   /* IRQF | AF */
}
END_TEST

START_TEST(alarm_dont_care_hours_and_minutes_fire_every_minute)
{
    wr(0x01, 0x00);
    wr(0x03, 0xC0);
    wr(0x05, 0xFF);
    wr(0x0B, 0x22);
    advance_us(10000000);                 /* 13:46:00 */
    ck_assert(irq8);
    rd(0x0C);
    advance_us(59000000);
    ck_assert(!irq8);
    advance_us(1000000);                  /* 13:47:00 */
    ck_assert(irq8);
}
END_TEST

START_TEST(alarm_flag_is_seen_lazily_without_aie)
{
    wr(0x01, 0x52);
    wr(0x03, 0xC0);
    wr(0x05, 0xC0);
    advance_us(5000000);
    ck_assert(!irq8);
    ck_assert_uint_eq(rd(0x0C) & 0x20, 0x20);
}
END_TEST

START_TEST(uip_is_set_244_us_before_the_update)
{
    advance_us(1000000 - 245);
    ck_assert_uint_eq(rd(0x0A) & 0x80, 0);
    advance_us(2);
    ck_assert_uint_eq(rd(0x0A) & 0x80, 0x80);
    advance_us(243);
    ck_assert_uint_eq(rd(0x0A) & 0x80, 0);
    ck_assert_uint_eq(rd(0x0A) & 0x7F, 0x26);
}
END_TEST

START_TEST(register_d_reports_valid_ram_and_time)
{
    ck_assert_uint_eq(rd(0x0D), 0x80);
    wr(0x0D, 0x00);
    ck_assert_uint_eq(rd(0x0D), 0x80);
}
END_TEST

START_TEST(port70_bit7_masks_nmi)
{
    ck_assert(!cmos_nmi_masked(cmos));
    iobus_out(bus, 0x70, 0x8F, 1);
    ck_assert(cmos_nmi_masked(cmos));
    iobus_out(bus, 0x71, 0x12, 1);        /* still indexes 0x0F */
    ck_assert_uint_eq(rd(0x0F), 0x12);
    ck_assert(!cmos_nmi_masked(cmos));
}
END_TEST

START_TEST(memory_size_bytes_for_256_mib)
{
    cmos_set_memory(cmos, 256u << 20);
    ck_assert_uint_eq(rd(0x15) | rd(0x16) << 8, 640);
    ck_assert_uint_eq(rd(0x17) | rd(0x18) << 8, 0xFFFF);
    ck_assert_uint_eq(rd(0x30) | rd(0x31) << 8, 0xFFFF);
    ck_assert_uint_eq(rd(0x34) | rd(0x35) << 8, (256 - 16) * 16);
}
END_TEST

START_TEST(memory_size_bytes_for_8_mib_and_checksum)
{
    cmos_set_memory(cmos, 8u << 20);
    cmos_set_byte(cmos, 0x10, 0x40);      /* 1.44 MB drive A */
    ck_assert_uint_eq(rd(0x17) | rd(0x18) << 8, 7 * 1024);
    ck_assert_uint_eq(rd(0x34) | rd(0x35) << 8, 0);
    unsigned sum = 0;
    for (int i = 0x10; i <= 0x2D; i++)
        sum += rd((uint8_t)i);
    ck_assert_uint_eq(rd(0x2E) << 8 | rd(0x2F), sum);
    ck_assert_uint_eq(rd(0x10), 0x40);
}
END_TEST

START_TEST(reset_clears_interrupt_enables_and_flags)
{
    wr(0x0B, 0x52);
    advance_us(1000);
    ck_assert(irq8);
    cmos_reset(cmos);
    ck_assert(!irq8);
    ck_assert_uint_eq(rd(0x0B), 0x02);
    ck_assert_uint_eq(rd(0x00), 0x50);    /* time keeps running from base */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dev_cmos");
    TCase *tc = tcase_create("MC146818");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, time_registers_read_the_base_in_bcd_24_hour);
    tcase_add_test(tc, clock_advances_with_virtual_time_only);
    tcase_add_test(tc, binary_mode_from_register_b_dm);
    tcase_add_test(tc, twelve_hour_mode_sets_bit7_for_pm);
    tcase_add_test(tc, set_bit_freezes_the_clock_for_writing);
    tcase_add_test(tc, writing_the_year_keeps_the_rest_of_the_date);
    tcase_add_test(tc, periodic_interrupt_at_1024_hz);
    tcase_add_test(tc, rate_select_15_is_2_hz);
    tcase_add_test(tc, pf_is_flagged_without_pie_but_raises_nothing);
    tcase_add_test(tc, update_ended_interrupt_each_second);
    tcase_add_test(tc, alarm_fires_when_hms_match);
    tcase_add_test(tc, alarm_dont_care_hours_and_minutes_fire_every_minute);
    tcase_add_test(tc, alarm_flag_is_seen_lazily_without_aie);
    tcase_add_test(tc, uip_is_set_244_us_before_the_update);
    tcase_add_test(tc, register_d_reports_valid_ram_and_time);
    tcase_add_test(tc, port70_bit7_masks_nmi);
    tcase_add_test(tc, memory_size_bytes_for_256_mib);
    tcase_add_test(tc, memory_size_bytes_for_8_mib_and_checksum);
    tcase_add_test(tc, reset_clears_interrupt_enables_and_flags);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
