/* 16550A UART through its eight ports, on a real virtual clock.
 * Expectations from the PC16550D datasheet (register map, IIR priorities
 * and codes, FCR trigger levels, loopback wiring) and from Linux's 8250
 * autoconfig probe (IER scratch test, MCR 0x1A loopback -> MSR 0x90,
 * FCR 0x01 -> IIR bits 7:6 = 11). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/iobus.h"
#include "devices/uart.h"
#include "machine/vclock.h"

#define MHZ 100u
#define COM1 0x3F8

static struct iobus *bus;
static struct uart *uart;
static struct vclock vc;
static uint64_t icount;
static bool irq4;
static char *outbuf;
static size_t outlen;
static FILE *out;

static void irq_set_cb(void *ctx, int irq, bool level)
{
    (void)ctx;
    if (irq == 4)
        irq4 = level;
}

static void out8(uint16_t port, uint8_t v) { iobus_out(bus, port, v, 1); }
static uint8_t in8(uint16_t port) { return (uint8_t)iobus_in(bus, port, 1); }

/* Advance virtual time by us microseconds, stopping at each deadline. */
static void advance_us(uint64_t us)
{
    uint64_t to = icount + us * MHZ;
    while (vclock_next(&vc) <= to) {
        if (vclock_next(&vc) > icount)
            icount = vclock_next(&vc);
        vclock_run_due(&vc);
    }
    icount = to;
}

static void setup(void)
{
    bus = malloc(sizeof *bus);
    iobus_init(bus);
    icount = 0;
    vclock_init(&vc, &icount, MHZ);
    irq4 = false;
    out = open_memstream(&outbuf, &outlen);
    uart = uart_create(bus, COM1, 4, (struct irq_line){ irq_set_cb, NULL }, &vc, out, -1);
    ck_assert_ptr_nonnull(uart);
}

static void teardown(void)
{
    uart_destroy(uart);
    fclose(out);
    free(outbuf);
    free(bus);
}

/* 115200 8N1: 10 bits, 86.8 us a character. */
static void line_115200_8n1(void)
{
    out8(COM1 + 3, 0x80);
    out8(COM1 + 0, 1);
    out8(COM1 + 1, 0);
    out8(COM1 + 3, 0x03);
}

START_TEST(scratch_register_keeps_what_is_written)
{
    out8(COM1 + 7, 0x5A);
    ck_assert_uint_eq(in8(COM1 + 7), 0x5A);
    out8(COM1 + 7, 0xA5);
    ck_assert_uint_eq(in8(COM1 + 7), 0xA5);
}
END_TEST

START_TEST(ier_keeps_only_its_four_enable_bits)
{
    out8(COM1 + 1, 0x00);
    ck_assert_uint_eq(in8(COM1 + 1), 0x00);
    out8(COM1 + 1, 0xFF);
    ck_assert_uint_eq(in8(COM1 + 1), 0x0F);
}
END_TEST

START_TEST(linux_loopback_probe_mcr_1a_reads_msr_90)
{
    out8(COM1 + 4, 0x1A);                /* LOOP | OUT2 | RTS */
    ck_assert_uint_eq(in8(COM1 + 6) & 0xF0, 0x90);
    out8(COM1 + 4, 0x1F);
    ck_assert_uint_eq(in8(COM1 + 6) & 0xF0, 0xF0);
    out8(COM1 + 4, 0x10);
    ck_assert_uint_eq(in8(COM1 + 6) & 0xF0, 0x00);
}
END_TEST

START_TEST(fifo_enable_identifies_as_16550a_in_iir)
{
    ck_assert_uint_eq(in8(COM1 + 2), 0x01);
    out8(COM1 + 2, 0x01);
    ck_assert_uint_eq(in8(COM1 + 2) >> 6, 3);
    ck_assert_uint_eq(in8(COM1 + 2), 0xC1);
    out8(COM1 + 2, 0x00);
    ck_assert_uint_eq(in8(COM1 + 2) >> 6, 0);
}
END_TEST

START_TEST(fcr_bits_need_fifo_enable_bit)
{
    /* Trigger level written without FCR0 is ignored: FIFOs stay off. */
    out8(COM1 + 2, 0xC0);
    ck_assert_uint_eq(in8(COM1 + 2), 0x01);
}
END_TEST

START_TEST(dlab_switches_ports_0_and_1_to_the_divisor_latch)
{
    out8(COM1 + 1, 0x05);                /* IER */
    out8(COM1 + 3, 0x83);
    out8(COM1 + 0, 0x0C);
    out8(COM1 + 1, 0x00);
    ck_assert_uint_eq(in8(COM1 + 0), 0x0C);
    ck_assert_uint_eq(in8(COM1 + 1), 0x00);
    ck_assert_uint_eq(in8(COM1 + 3), 0x83);
    out8(COM1 + 3, 0x03);
    ck_assert_uint_eq(in8(COM1 + 1), 0x05);
    ck_assert_uint_eq(outlen, 0);        /* the DLL write sent nothing */
}
END_TEST

START_TEST(thr_bytes_reach_the_output_file_and_thre_temt_stay_set)
{
    line_115200_8n1();
    const char *msg = "hello\n";
    for (const char *p = msg; *p; p++) {
        ck_assert_uint_eq(in8(COM1 + 5) & 0x60, 0x60);
        out8(COM1, (uint8_t)*p);
    }
    fflush(out);
    ck_assert_uint_eq(outlen, 6);
    ck_assert_mem_eq(outbuf, "hello\n", 6);
    ck_assert_uint_eq(uart_tx_count(uart), 6);
}
END_TEST

START_TEST(loopback_returns_thr_byte_in_rbr_and_sends_nothing)
{
    out8(COM1 + 4, 0x10);
    ck_assert_uint_eq(in8(COM1 + 5) & 1, 0);
    out8(COM1, 0x42);
    ck_assert_uint_eq(in8(COM1 + 5) & 1, 1);
    ck_assert_uint_eq(in8(COM1), 0x42);
    ck_assert_uint_eq(in8(COM1 + 5) & 1, 0);
    fflush(out);
    ck_assert_uint_eq(outlen, 0);
}
END_TEST

START_TEST(loopback_overrun_without_fifo_sets_oe_until_lsr_read)
{
    out8(COM1 + 4, 0x10);
    out8(COM1 + 1, 0x04);                /* receiver line status interrupt */
    out8(COM1, 1);
    out8(COM1, 2);
    ck_assert_uint_eq(in8(COM1 + 2), 0x06);
    ck_assert_uint_eq(in8(COM1 + 5) & 0x03, 0x03);
    ck_assert_uint_eq(in8(COM1 + 5) & 0x02, 0x00);  /* cleared by the read */
    ck_assert_uint_eq(in8(COM1), 1);     /* the second byte was lost */
}
END_TEST

START_TEST(loopback_fifo_holds_sixteen_bytes)
{
    out8(COM1 + 2, 0x07);
    out8(COM1 + 4, 0x10);
    for (int i = 0; i < 16; i++)
        out8(COM1, (uint8_t)(0x30 + i));
    ck_assert_uint_eq(in8(COM1 + 5) & 0x02, 0);
    out8(COM1, 0xFF);
    ck_assert_uint_eq(in8(COM1 + 5) & 0x02, 0x02);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(in8(COM1), 0x30 + i);
}
END_TEST

START_TEST(rx_data_interrupt_waits_for_the_fifo_trigger_level)
{
    line_115200_8n1();
    out8(COM1 + 2, 0x41);                /* FIFO on, trigger 4 */
    out8(COM1 + 4, 0x08);                /* OUT2: IRQ reaches the PIC */
    out8(COM1 + 1, 0x01);
    uart_inject(uart, "abcd", 4);
    advance_us(3 * 87);                  /* three characters on the line */
    ck_assert_uint_eq(in8(COM1 + 5) & 1, 1);
    ck_assert_uint_eq(in8(COM1 + 2), 0xC1);
    ck_assert(!irq4);
    advance_us(87);
    ck_assert_uint_eq(in8(COM1 + 2), 0xC4);
    ck_assert(irq4);
    ck_assert_uint_eq(in8(COM1), 'a');   /* below the trigger again */
    ck_assert_uint_eq(in8(COM1 + 2), 0xC1);
    ck_assert(!irq4);
}
END_TEST

START_TEST(trigger_level_14_from_fcr_bits_7_6)
{
    line_115200_8n1();
    out8(COM1 + 2, 0xC1);
    out8(COM1 + 1, 0x01);
    uart_inject(uart, "0123456789abcdef", 16);
    advance_us(13 * 87);
    ck_assert_uint_eq(in8(COM1 + 2) & 0x0F, 0x01);
    advance_us(87);
    ck_assert_uint_eq(in8(COM1 + 2) & 0x0F, 0x04);
}
END_TEST

START_TEST(lone_byte_below_trigger_raises_timeout_after_four_characters)
{
    line_115200_8n1();
    out8(COM1 + 2, 0xC1);                /* trigger 14 */
    out8(COM1 + 4, 0x08);
    out8(COM1 + 1, 0x01);
    uart_inject(uart, "x", 1);
    advance_us(87);                      /* arrived */
    advance_us(3 * 87);
    ck_assert_uint_eq(in8(COM1 + 2), 0xC1);
    advance_us(2 * 87);
    ck_assert_uint_eq(in8(COM1 + 2), 0xCC);
    ck_assert(irq4);
    ck_assert_uint_eq(in8(COM1), 'x');
    ck_assert_uint_eq(in8(COM1 + 2), 0xC1);
    ck_assert(!irq4);
}
END_TEST

START_TEST(thre_interrupt_on_enable_cleared_by_iir_read_rearmed_by_thr_write)
{
    out8(COM1 + 4, 0x08);
    out8(COM1 + 1, 0x02);
    ck_assert(irq4);
    ck_assert_uint_eq(in8(COM1 + 2), 0x02);
    ck_assert(!irq4);
    ck_assert_uint_eq(in8(COM1 + 2), 0x01);
    out8(COM1, 'z');
    ck_assert(irq4);
    ck_assert_uint_eq(in8(COM1 + 2), 0x02);
}
END_TEST

START_TEST(irq_line_needs_out2)
{
    out8(COM1 + 4, 0x00);
    out8(COM1 + 1, 0x02);
    ck_assert_uint_eq(in8(COM1 + 2), 0x02);   /* pending inside the chip */
    out8(COM1 + 1, 0x00);
    out8(COM1 + 1, 0x02);
    ck_assert(!irq4);
    out8(COM1 + 4, 0x08);
    ck_assert(irq4);
}
END_TEST

START_TEST(received_data_outranks_thre_in_iir)
{
    line_115200_8n1();
    out8(COM1 + 1, 0x03);
    uart_inject(uart, "q", 1);
    advance_us(100);
    ck_assert_uint_eq(in8(COM1 + 2), 0x04);
    in8(COM1);
    ck_assert_uint_eq(in8(COM1 + 2), 0x02);
}
END_TEST

START_TEST(full_fifo_holds_back_host_input_without_overrun)
{
    line_115200_8n1();
    out8(COM1 + 2, 0x01);
    char data[40];
    for (int i = 0; i < 40; i++)
        data[i] = (char)('A' + i);
    uart_inject(uart, data, sizeof data);
    advance_us(100000);
    ck_assert_uint_eq(in8(COM1 + 5) & 0x02, 0);
    for (int i = 0; i < 40; i++) {
        ck_assert_uint_eq(in8(COM1 + 5) & 1, 1);
        ck_assert_uint_eq(in8(COM1), (uint8_t)('A' + i));
        if ((i & 15) == 15)
            advance_us(16 * 87);
    }
    advance_us(1000);
    ck_assert_uint_eq(in8(COM1 + 5) & 0x03, 0);
}
END_TEST

START_TEST(character_time_follows_the_divisor)
{
    out8(COM1 + 3, 0x80);
    out8(COM1 + 0, 12);                  /* 9600 baud */
    out8(COM1 + 1, 0);
    out8(COM1 + 3, 0x03);                /* 8N1: 10 bits = 1041.7 us */
    uart_inject(uart, "k", 1);
    advance_us(1040);
    ck_assert_uint_eq(in8(COM1 + 5) & 1, 0);
    advance_us(3);
    ck_assert_uint_eq(in8(COM1 + 5) & 1, 1);
}
END_TEST

START_TEST(modem_status_deltas_latch_until_msr_read)
{
    out8(COM1 + 1, 0x08);
    out8(COM1 + 4, 0x11);                /* loopback, DTR: DSR stays, CTS/DCD fall */
    uint8_t msr = in8(COM1 + 6);
    ck_assert_uint_eq(msr & 0xF0, 0x20);
    ck_assert_uint_eq(msr & 0x0F, 0x09); /* DDCD, DCTS */
    ck_assert_uint_eq(in8(COM1 + 6) & 0x0F, 0);
    out8(COM1 + 4, 0x14);                /* OUT1 -> RI up */
    in8(COM1 + 6);
    out8(COM1 + 4, 0x10);                /* RI falls: trailing edge */
    ck_assert_uint_eq(in8(COM1 + 6) & 0x04, 0x04);
}
END_TEST

START_TEST(poll_reads_a_host_fd_and_reports_eof)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    struct iobus *bus2 = malloc(sizeof *bus2);
    iobus_init(bus2);
    struct uart *u2 = uart_create(bus2, UART_COM2_BASE, 3, (struct irq_line){ 0 }, &vc, NULL, fds[0]);
    ck_assert(uart_poll(u2));            /* nothing yet, not at EOF */
    ck_assert_int_eq(write(fds[1], "hi", 2), 2);
    close(fds[1]);
    ck_assert(!uart_poll(u2));           /* read "hi", then EOF */
    advance_us(200);
    ck_assert_uint_eq(iobus_in(bus2, UART_COM2_BASE, 1), 'h');
    advance_us(100);
    ck_assert_uint_eq(iobus_in(bus2, UART_COM2_BASE, 1), 'i');
    uart_destroy(u2);
    close(fds[0]);
    free(bus2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dev_uart");
    TCase *tc = tcase_create("16550A");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, scratch_register_keeps_what_is_written);
    tcase_add_test(tc, ier_keeps_only_its_four_enable_bits);
    tcase_add_test(tc, linux_loopback_probe_mcr_1a_reads_msr_90);
    tcase_add_test(tc, fifo_enable_identifies_as_16550a_in_iir);
    tcase_add_test(tc, fcr_bits_need_fifo_enable_bit);
    tcase_add_test(tc, dlab_switches_ports_0_and_1_to_the_divisor_latch);
    tcase_add_test(tc, thr_bytes_reach_the_output_file_and_thre_temt_stay_set);
    tcase_add_test(tc, loopback_returns_thr_byte_in_rbr_and_sends_nothing);
    tcase_add_test(tc, loopback_overrun_without_fifo_sets_oe_until_lsr_read);
    tcase_add_test(tc, loopback_fifo_holds_sixteen_bytes);
    tcase_add_test(tc, rx_data_interrupt_waits_for_the_fifo_trigger_level);
    tcase_add_test(tc, trigger_level_14_from_fcr_bits_7_6);
    tcase_add_test(tc, lone_byte_below_trigger_raises_timeout_after_four_characters);
    tcase_add_test(tc, thre_interrupt_on_enable_cleared_by_iir_read_rearmed_by_thr_write);
    tcase_add_test(tc, irq_line_needs_out2);
    tcase_add_test(tc, received_data_outranks_thre_in_iir);
    tcase_add_test(tc, full_fifo_holds_back_host_input_without_overrun);
    tcase_add_test(tc, character_time_follows_the_divisor);
    tcase_add_test(tc, modem_status_deltas_latch_until_msr_read);
    tcase_add_test(tc, poll_reads_a_host_fd_and_reports_eof);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
