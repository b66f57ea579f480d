/* 8259A pair, driven through its ports as a guest does. Expectations from
 * the Intel 8259A datasheet (231468): ICW/OCW formats, fully nested
 * priority, EOI, auto-EOI, poll, spurious IR7. */
#include <check.h>
#include <stdlib.h>

#include "devices/iobus.h"
#include "devices/pic.h"
#include "machine/events.h"

static struct iobus *bus;
static struct pic *pic;
static struct events *ev;
static uint64_t icount;
static int intr_level;
static int intr_changes;

static void on_intr(void *ctx, bool level)
{
    (void)ctx;
    intr_level = level;
    intr_changes++;
}

static void out8(uint16_t port, uint8_t v) { iobus_out(bus, port, v, 1); }
static uint8_t in8(uint16_t port) { return (uint8_t)iobus_in(bus, port, 1); }

/* What Linux's init_8259A writes: edge, cascade, ICW4; vectors 0x20/0x28. */
static void init_pair(uint8_t icw4)
{
    out8(0x20, 0x11); out8(0x21, 0x20); out8(0x21, 0x04); out8(0x21, icw4);
    out8(0xA0, 0x11); out8(0xA1, 0x28); out8(0xA1, 0x02); out8(0xA1, icw4);
    out8(0x21, 0x00);
    out8(0xA1, 0x00);
}

static uint8_t read_isr(uint16_t base) { out8(base, 0x0B); return in8(base); }
static uint8_t read_irr(uint16_t base) { out8(base, 0x0A); return in8(base); }

static void setup(void)
{
    bus = malloc(sizeof *bus);
    ev = malloc(sizeof *ev);
    iobus_init(bus);
    events_init(ev, &icount);
    intr_level = 0;
    intr_changes = 0;
    pic = pic_create(bus, ev, on_intr, NULL);
    ck_assert_ptr_nonnull(pic);
}

static void teardown(void)
{
    pic_destroy(pic);
    free(ev);
    free(bus);
}

START_TEST(reset_leaves_every_irq_masked)
{
    ck_assert_uint_eq(in8(0x21), 0xFF);
    ck_assert_uint_eq(in8(0xA1), 0xFF);
    pic_set_irq(pic, 0, true);
    ck_assert_int_eq(intr_level, 0);
}
END_TEST

START_TEST(icw1_clears_imr_and_ocw1_reads_back)
{
    out8(0x20, 0x11);
    out8(0x21, 0x20); out8(0x21, 0x04); out8(0x21, 0x01);
    ck_assert_uint_eq(in8(0x21), 0x00);
    out8(0x21, 0xA5);
    ck_assert_uint_eq(in8(0x21), 0xA5);
    out8(0xA1, 0x5A);
    ck_assert_uint_eq(in8(0xA1), 0x5A);
}
END_TEST

START_TEST(irq0_delivers_icw2_vector_and_sets_isr)
{
    init_pair(0x01);
    pic_set_irq(pic, 0, true);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_uint_eq(read_irr(0x20), 0x01);
    ck_assert_int_eq(pic_intr_ack(pic), 0x20);
    ck_assert_int_eq(intr_level, 0);
    ck_assert_uint_eq(read_isr(0x20), 0x01);
    ck_assert_uint_eq(read_irr(0x20), 0x00);
    out8(0x20, 0x20);                       /* non-specific EOI */
    ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(lower_irq_number_wins_and_in_service_blocks_lower_priority)
{
    init_pair(0x01);
    pic_set_irq(pic, 3, true);
    pic_set_irq(pic, 1, true);
    ck_assert_int_eq(pic_intr_ack(pic), 0x21);
    /* IRQ 3 is pending but IRQ 1 is in service: INTR stays low. */
    ck_assert_int_eq(intr_level, 0);
    ck_assert_uint_eq(read_irr(0x20), 0x08);
    /* A higher-priority request nests. */
    pic_set_irq(pic, 0, true);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_intr_ack(pic), 0x20);
    ck_assert_uint_eq(read_isr(0x20), 0x03);
    out8(0x20, 0x20);                       /* ends IRQ 0, the highest in service */
    ck_assert_uint_eq(read_isr(0x20), 0x02);
    ck_assert_int_eq(intr_level, 0);
    out8(0x20, 0x20);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_intr_ack(pic), 0x23);
}
END_TEST

START_TEST(specific_eoi_clears_only_the_named_level)
{
    init_pair(0x01);
    pic_set_irq(pic, 4, true);
    ck_assert_int_eq(pic_intr_ack(pic), 0x24);
    pic_set_irq(pic, 1, true);
    ck_assert_int_eq(pic_intr_ack(pic), 0x21);
    ck_assert_uint_eq(read_isr(0x20), 0x12);
    out8(0x20, 0x64);                       /* specific EOI level 4 */
    ck_assert_uint_eq(read_isr(0x20), 0x02);
}
END_TEST

START_TEST(slave_irq_cascades_through_master_ir2)
{
    init_pair(0x01);
    pic_set_irq(pic, 8, true);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_uint_eq(read_irr(0xA0), 0x01);
    ck_assert_int_eq(pic_intr_ack(pic), 0x28);
    ck_assert_uint_eq(read_isr(0xA0), 0x01);
    ck_assert_uint_eq(read_isr(0x20), 0x04);
    /* A second slave IRQ waits for the master's cascade level EOI. */
    pic_set_irq(pic, 14, true);
    out8(0xA0, 0x20);
    ck_assert_int_eq(intr_level, 0);
    out8(0x20, 0x20);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_intr_ack(pic), 0x2E);
}
END_TEST

START_TEST(irq_dropped_before_inta_gives_spurious_irq7_without_isr)
{
    init_pair(0x01);
    pic_set_irq(pic, 5, true);
    ck_assert_int_eq(intr_level, 1);
    pic_set_irq(pic, 5, false);
    ck_assert_int_eq(pic_intr_ack(pic), 0x27);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(slave_irq_dropped_before_inta_gives_master_irq7_not_irq15)
{
    /* The datasheet's slave-side spurious interrupt (IRQ 15, master ISR
     * bit 2 set) needs the master to resolve IR2 while the slave no
     * longer has a request. Here the cascade is a level recomputed on
     * every change and INTA is one atomic call, so a slave line dropped
     * between INT and INTA takes master IR2 with it: the late INTA is the
     * master's spurious IR7, and neither chip sets an ISR bit. */
    init_pair(0x01);
    pic_set_irq(pic, 11, true);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_uint_eq(read_irr(0x20), 0x04);
    pic_set_irq(pic, 11, false);
    ck_assert_int_eq(intr_level, 0);
    ck_assert_uint_eq(read_irr(0x20), 0x00);
    ck_assert_int_eq(pic_intr_ack(pic), 0x27);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert_uint_eq(read_isr(0xA0), 0x00);
}
END_TEST

START_TEST(masking_a_slave_request_drops_the_cascade_and_intr)
{
    init_pair(0x01);
    pic_set_irq(pic, 12, true);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_uint_eq(read_irr(0x20), 0x04);
    out8(0xA1, 0x10);                            /* mask IRQ 12 at the slave */
    ck_assert_int_eq(intr_level, 0);
    ck_assert_uint_eq(read_irr(0x20), 0x00);
    ck_assert_int_eq(pic_intr_ack(pic), 0x27);   /* a late INTA is spurious */
    ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(auto_eoi_leaves_isr_clear)
{
    init_pair(0x03);
    pic_set_irq(pic, 1, true);
    ck_assert_int_eq(pic_intr_ack(pic), 0x21);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    pic_set_irq(pic, 3, true);
    ck_assert_int_eq(intr_level, 1);             /* nothing in service blocks it */
}
END_TEST

START_TEST(edge_mode_line_held_high_requests_once)
{
    init_pair(0x01);
    pic_set_irq(pic, 3, true);
    ck_assert_int_eq(pic_intr_ack(pic), 0x23);
    out8(0x20, 0x20);
    ck_assert_int_eq(intr_level, 0);
    pic_set_irq(pic, 3, true);                   /* still high: no new edge */
    ck_assert_int_eq(intr_level, 0);
    pic_set_irq(pic, 3, false);
    pic_set_irq(pic, 3, true);
    ck_assert_int_eq(intr_level, 1);
}
END_TEST

START_TEST(level_mode_via_elcr_rerequests_after_eoi_while_high)
{
    init_pair(0x01);
    out8(0x4D1, 0x08);                           /* IRQ 11 level triggered */
    ck_assert_uint_eq(in8(0x4D1), 0x08);
    pic_set_irq(pic, 11, true);
    ck_assert_int_eq(pic_intr_ack(pic), 0x2B);
    out8(0xA0, 0x20);
    out8(0x20, 0x20);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_intr_ack(pic), 0x2B);
}
END_TEST

START_TEST(elcr_reserved_bits_for_irq_0_1_2_8_13_stay_zero)
{
    out8(0x4D0, 0xFF);
    out8(0x4D1, 0xFF);
    ck_assert_uint_eq(in8(0x4D0), 0xF8);
    ck_assert_uint_eq(in8(0x4D1), 0xDE);
}
END_TEST

START_TEST(masked_request_waits_in_irr_until_unmasked)
{
    init_pair(0x01);
    out8(0x21, 0x10);
    pic_set_irq(pic, 4, true);
    ck_assert_int_eq(intr_level, 0);
    ck_assert_uint_eq(read_irr(0x20), 0x10);
    out8(0x21, 0x00);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_intr_ack(pic), 0x24);
}
END_TEST

START_TEST(rotate_on_nonspecific_eoi_makes_served_level_lowest)
{
    init_pair(0x01);
    pic_set_irq(pic, 0, true);
    ck_assert_int_eq(pic_intr_ack(pic), 0x20);
    out8(0x20, 0xA0);                            /* rotate on non-specific EOI */
    pic_set_irq(pic, 0, false);
    pic_set_irq(pic, 0, true);
    pic_set_irq(pic, 6, true);
    /* IR0 is now lowest: IR6 goes first. */
    ck_assert_int_eq(pic_intr_ack(pic), 0x26);
}
END_TEST

START_TEST(set_priority_command_makes_named_level_lowest)
{
    init_pair(0x01);
    out8(0x20, 0xC4);                            /* IR4 lowest, so IR5 highest */
    pic_set_irq(pic, 1, true);
    pic_set_irq(pic, 6, true);
    ck_assert_int_eq(pic_intr_ack(pic), 0x26);
}
END_TEST

START_TEST(poll_command_reads_level_and_acknowledges)
{
    init_pair(0x01);
    pic_set_irq(pic, 6, true);
    out8(0x20, 0x0C);                            /* OCW3 poll */
    ck_assert_uint_eq(in8(0x20), 0x86);
    ck_assert_uint_eq(read_isr(0x20), 0x40);
    out8(0x20, 0x0C);
    ck_assert_uint_eq(in8(0x20), 0x00);          /* nothing pending */
}
END_TEST

START_TEST(special_mask_mode_lets_lower_priority_in)
{
    init_pair(0x01);
    pic_set_irq(pic, 2 + 1, true);
    ck_assert_int_eq(pic_intr_ack(pic), 0x23);
    out8(0x21, 0x08);                            /* mask the level in service */
    out8(0x20, 0x68);                            /* OCW3: set special mask */
    pic_set_irq(pic, 5, true);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_intr_ack(pic), 0x25);
}
END_TEST

START_TEST(single_mode_skips_icw3_and_no_icw4_goes_straight_to_ocw1)
{
    out8(0x20, 0x12);                            /* ICW1: single, no ICW4 */
    out8(0x21, 0x40);                            /* ICW2: vectors 0x40 */
    out8(0x21, 0x01);                            /* already OCW1 */
    ck_assert_uint_eq(in8(0x21), 0x01);
    pic_set_irq(pic, 1, true);
    ck_assert_int_eq(pic_intr_ack(pic), 0x41);
    ck_assert_uint_eq(read_isr(0x20), 0x02);     /* no ICW4: normal EOI mode */
}
END_TEST

START_TEST(special_fully_nested_lets_a_higher_slave_irq_through_the_cascade)
{
    init_pair(0x01);
    out8(0x20, 0x11); out8(0x21, 0x20); out8(0x21, 0x04); out8(0x21, 0x11);   /* master SFNM */
    pic_set_irq(pic, 12, true);
    ck_assert_int_eq(pic_intr_ack(pic), 0x2C);
    pic_set_irq(pic, 9, true);                   /* higher priority on the slave */
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_intr_ack(pic), 0x29);
    pic_set_irq(pic, 14, true);                  /* lower: still blocked by the slave's ISR */
    out8(0xA0, 0x20);                            /* ends IRQ 9 */
    ck_assert_int_eq(intr_level, 0);
}
END_TEST

START_TEST(acknowledge_is_recorded_in_the_event_log)
{
    init_pair(0x01);
    pic_set_irq(pic, 9, true);
    ck_assert_int_eq(pic_intr_ack(pic), 0x29);
    uint64_t since = 0;
    struct event e;
    ck_assert_uint_eq(events_read(ev, &since, &e, 1), 1);
    ck_assert_uint_eq(e.kind, EV_IRQ);
    ck_assert_uint_eq(e.a, 9);
    ck_assert_uint_eq(e.b, 0x29);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dev_pic");
    TCase *tc = tcase_create("8259A");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reset_leaves_every_irq_masked);
    tcase_add_test(tc, icw1_clears_imr_and_ocw1_reads_back);
    tcase_add_test(tc, irq0_delivers_icw2_vector_and_sets_isr);
    tcase_add_test(tc, lower_irq_number_wins_and_in_service_blocks_lower_priority);
    tcase_add_test(tc, specific_eoi_clears_only_the_named_level);
    tcase_add_test(tc, slave_irq_cascades_through_master_ir2);
    tcase_add_test(tc, irq_dropped_before_inta_gives_spurious_irq7_without_isr);
    tcase_add_test(tc, slave_irq_dropped_before_inta_gives_master_irq7_not_irq15);
    tcase_add_test(tc, masking_a_slave_request_drops_the_cascade_and_intr);
    tcase_add_test(tc, auto_eoi_leaves_isr_clear);
    tcase_add_test(tc, edge_mode_line_held_high_requests_once);
    tcase_add_test(tc, level_mode_via_elcr_rerequests_after_eoi_while_high);
    tcase_add_test(tc, elcr_reserved_bits_for_irq_0_1_2_8_13_stay_zero);
    tcase_add_test(tc, masked_request_waits_in_irr_until_unmasked);
    tcase_add_test(tc, rotate_on_nonspecific_eoi_makes_served_level_lowest);
    tcase_add_test(tc, set_priority_command_makes_named_level_lowest);
    tcase_add_test(tc, poll_command_reads_level_and_acknowledges);
    tcase_add_test(tc, special_mask_mode_lets_lower_priority_in);
    tcase_add_test(tc, single_mode_skips_icw3_and_no_icw4_goes_straight_to_ocw1);
    tcase_add_test(tc, special_fully_nested_lets_a_higher_slave_irq_through_the_cascade);
    tcase_add_test(tc, acknowledge_is_recorded_in_the_event_log);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
