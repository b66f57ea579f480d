/* 8237A DMA pair and page registers, programmed through their ports as a
 * driver does (mask, clear flip-flop, mode, address, page, count, unmask),
 * with transfers requested as a device would and checked in guest RAM.
 * Expectations from the Intel 8237A datasheet and the PC/AT page-register
 * wiring: count = transfers - 1, TC masks a channel without auto-init, the
 * address counter wraps in 16 bits under a fixed page. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/dma.h"
#include "devices/iobus.h"
#include "machine/events.h"
#include "mmu/phys.h"

#define RAM (32u << 20)

static struct iobus *bus;
static struct phys *phys;
static struct events *ev;
static struct dma *dma;
static uint64_t icount;

static void out8(uint16_t port, uint8_t v) { iobus_out(bus, port, v, 1); }
static uint8_t in8(uint16_t port) { return (uint8_t)iobus_in(bus, port, 1); }

/* LSB then MSB, in that order (C leaves operand order unspecified). */
static uint16_t in16_ff(uint16_t port)
{
    uint8_t lo = in8(port);
    uint8_t hi = in8(port);
    return (uint16_t)(lo | hi << 8);
}

static const uint16_t addr_port[8] = { 0x00, 0x02, 0x04, 0x06, 0xC0, 0xC4, 0xC8, 0xCC };
static const uint16_t page_port[8] = { 0x87, 0x83, 0x81, 0x82, 0x8F, 0x8B, 0x89, 0x8A };

/* Program a channel like a driver: mask, mode, flip-flop, address, count,
 * page, unmask. addr/count are in the channel's units. */
static void program(int chan, uint8_t mode_bits, uint8_t page, uint16_t addr, uint16_t count)
{
    bool hi = chan >= 4;
    uint16_t mask = hi ? 0xD4 : 0x0A, mode = hi ? 0xD6 : 0x0B, ff = hi ? 0xD8 : 0x0C;
    uint16_t ap = addr_port[chan], cp = (uint16_t)(ap + (hi ? 2 : 1));
    out8(mask, (uint8_t)(0x04 | (chan & 3)));
    out8(mode, (uint8_t)(mode_bits | (chan & 3)));
    out8(ff, 0);
    out8(ap, (uint8_t)addr);
    out8(ap, (uint8_t)(addr >> 8));
    out8(ff, 0);
    out8(cp, (uint8_t)count);
    out8(cp, (uint8_t)(count >> 8));
    out8(page_port[chan], page);
    out8(mask, (uint8_t)(chan & 3));
}

#define WRITE_SINGLE 0x44    /* single mode, write (device -> memory) */
#define READ_SINGLE  0x48    /* single mode, read (memory -> device) */

static void fill(uint8_t *b, unsigned n, uint8_t seed)
{
    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(seed + i * 7);
}

static void setup(void)
{
    bus = malloc(sizeof *bus);
    ev = malloc(sizeof *ev);
    iobus_init(bus);
    icount = 0;
    events_init(ev, &icount);
    char err[128];
    phys = phys_create(RAM, err, sizeof err);
    ck_assert_ptr_nonnull(phys);
    dma = dma_create(bus, phys, ev);
    ck_assert_ptr_nonnull(dma);
}

static void teardown(void)
{
    dma_destroy(dma);
    phys_destroy(phys);
    free(ev);
    free(bus);
}

START_TEST(write_transfer_lands_at_page_and_address_then_tc_masks_the_channel)
{
    program(2, WRITE_SINGLE, 0x03, 0x4000, 511);
    uint8_t sector[512], back[512];
    fill(sector, 512, 1);
    bool tc;
    ck_assert_uint_eq(dma_transfer(dma, 2, sector, 512, &tc), 512);
    ck_assert(tc);
    phys_read_block(phys, 0x34000, back, 512);
    ck_assert_mem_eq(back, sector, 512);
    ck_assert_uint_eq(in8(0x08) & 0x04, 0x04);   /* TC for channel 2 */
    ck_assert_uint_eq(in8(0x08) & 0x04, 0x00);   /* cleared by the read */
    ck_assert_uint_eq(in8(0x0F) & 0x04, 0x04);   /* masked itself */
    ck_assert(!dma_ready(dma, 2));
    ck_assert_uint_eq(dma_transfer(dma, 2, sector, 512, &tc), 0);
}
END_TEST

START_TEST(current_address_and_count_read_back_lsb_then_msb)
{
    program(1, WRITE_SINGLE, 0x00, 0x1234, 0x00FF);
    uint8_t buf[16] = { 0 };
    dma_transfer(dma, 1, buf, 16, NULL);
    out8(0x0C, 0);
    ck_assert_uint_eq(in16_ff(0x02), 0x1244);
    ck_assert_uint_eq(in16_ff(0x03), 0x00EF);
}
END_TEST

START_TEST(flip_flop_is_shared_and_cleared_by_port_0c)
{
    out8(0x0C, 0);
    out8(0x00, 0x34);                    /* LSB of ch0 address */
    out8(0x01, 0x12);                    /* ... MSB goes to the count: same flip-flop */
    out8(0x0C, 0);
    ck_assert_uint_eq(in8(0x00), 0x34);
    ck_assert_uint_eq(in8(0x00), 0x00);
    out8(0x0C, 0);
    ck_assert_uint_eq(in8(0x01), 0x00);
    ck_assert_uint_eq(in8(0x01), 0x12);
}
END_TEST

START_TEST(eight_bit_channel_wraps_inside_its_64k_block)
{
    uint8_t data[32], back[32];
    fill(data, 32, 9);
    program(3, WRITE_SINGLE, 0x01, 0xFFF0, 31);
    ck_assert_uint_eq(dma_transfer(dma, 3, data, 32, NULL), 32);
    phys_read_block(phys, 0x1FFF0, back, 16);
    ck_assert_mem_eq(back, data, 16);
    phys_read_block(phys, 0x10000, back, 16);
    ck_assert_mem_eq(back, data + 16, 16);
    ck_assert_uint_eq(phys_read(phys, 0x20000, 1), 0);   /* not the next block */
}
END_TEST

START_TEST(sixteen_bit_channel_counts_words_and_ignores_page_bit0)
{
    uint8_t data[64], back[64];
    fill(data, 64, 3);
    program(5, WRITE_SINGLE, 0x03, 0x1234, 31);   /* 32 words */
    bool tc;
    ck_assert_uint_eq(dma_transfer(dma, 5, data, 64, &tc), 64);
    ck_assert(tc);
    phys_read_block(phys, 0x020000 + 0x2468, back, 64);
    ck_assert_mem_eq(back, data, 64);
    ck_assert_uint_eq(in8(0xD0) & 0x02, 0x02);    /* TC, channel 5 = bit 1 of DMA2 */
}
END_TEST

START_TEST(sixteen_bit_channel_wraps_inside_its_128k_block)
{
    uint8_t data[8], back[8];
    fill(data, 8, 0x40);
    program(6, WRITE_SINGLE, 0x02, 0xFFFE, 3);    /* 4 words from byte 0x3FFFC */
    ck_assert_uint_eq(dma_transfer(dma, 6, data, 8, NULL), 8);
    phys_read_block(phys, 0x3FFFC, back, 4);
    ck_assert_mem_eq(back, data, 4);
    phys_read_block(phys, 0x20000, back, 4);
    ck_assert_mem_eq(back, data + 4, 4);
    ck_assert_uint_eq(phys_read(phys, 0x40000, 4), 0);
}
END_TEST

START_TEST(no_transfer_reaches_memory_at_or_above_16_mib)
{
    /* RAM runs to 32 MiB; the highest page wraps inside 0xFF0000. */
    static uint8_t data[0x20000];
    fill(data, sizeof data, 0x11);
    program(7, WRITE_SINGLE, 0xFF, 0xFFF0, 0xFFFF);    /* 64K words */
    ck_assert_uint_eq(dma_transfer(dma, 7, data, sizeof data, NULL), sizeof data);
    program(0, WRITE_SINGLE, 0xFF, 0xFFF0, 0xFFFF);
    ck_assert_uint_eq(dma_transfer(dma, 0, data, 0x10000, NULL), 0x10000);
    for (uint32_t pa = 16u << 20; pa < (16u << 20) + 0x40000; pa += 4)
        ck_assert_uint_eq(phys_read(phys, pa, 4), 0);
    ck_assert_uint_eq(phys_read(phys, 0xFFFFF0, 1), data[0]);
    ck_assert_uint_eq(phys_read(phys, 0xFF0000, 1), data[16]);
    uint64_t since = 0;
    struct event e[8];
    unsigned n = events_read(ev, &since, e, 8);
    for (unsigned i = 0; i < n; i++)
        ck_assert_uint_lt((uint64_t)e[i].b + e[i].c, 16u << 20 | 1u);
}
END_TEST

START_TEST(read_transfer_copies_memory_to_the_device)
{
    uint8_t data[100], got[100] = { 0 };
    fill(data, 100, 77);
    phys_write_block(phys, 0x9000, data, 100);
    program(2, READ_SINGLE, 0x00, 0x9000, 99);
    ck_assert_uint_eq(dma_transfer(dma, 2, got, 100, NULL), 100);
    ck_assert_mem_eq(got, data, 100);
}
END_TEST

START_TEST(decrement_mode_walks_down_from_the_address)
{
    uint8_t data[4] = { 1, 2, 3, 4 };
    program(1, WRITE_SINGLE | 0x20, 0x00, 0x5003, 3);
    ck_assert_uint_eq(dma_transfer(dma, 1, data, 4, NULL), 4);
    ck_assert_uint_eq(phys_read(phys, 0x5000, 4), 0x01020304);
}
END_TEST

START_TEST(auto_init_reloads_base_at_tc_and_stays_unmasked)
{
    uint8_t a[8], b[8], back[8];
    fill(a, 8, 1);
    fill(b, 8, 100);
    program(2, WRITE_SINGLE | 0x10, 0x00, 0x7000, 7);
    bool tc;
    dma_transfer(dma, 2, a, 8, &tc);
    ck_assert(tc);
    ck_assert(dma_ready(dma, 2));
    dma_transfer(dma, 2, b, 8, &tc);
    phys_read_block(phys, 0x7000, back, 8);
    ck_assert_mem_eq(back, b, 8);          /* same buffer again */
}
END_TEST

START_TEST(transfer_stops_at_terminal_count_even_if_device_offers_more)
{
    uint8_t data[64];
    fill(data, 64, 5);
    program(3, WRITE_SINGLE, 0x00, 0x8000, 9);    /* 10 bytes */
    bool tc;
    ck_assert_uint_eq(dma_transfer(dma, 3, data, 64, &tc), 10);
    ck_assert(tc);
    ck_assert_uint_eq(phys_read(phys, 0x800A, 1), 0);
}
END_TEST

START_TEST(short_device_transfer_leaves_remaining_count)
{
    uint8_t data[10] = { 0 };
    program(3, WRITE_SINGLE, 0x00, 0x8000, 99);
    bool tc;
    ck_assert_uint_eq(dma_transfer(dma, 3, data, 10, &tc), 10);
    ck_assert(!tc);
    struct dma_chan_regs r;
    dma_get_regs(dma, 3, &r);
    ck_assert_uint_eq(r.count, 89);
    ck_assert_uint_eq(r.phys, 0x800A);
    ck_assert(!r.masked);
}
END_TEST

START_TEST(verify_mode_counts_without_touching_memory)
{
    uint8_t data[16];
    fill(data, 16, 1);
    program(1, 0x40, 0x00, 0x6000, 15);
    ck_assert_uint_eq(dma_transfer(dma, 1, data, 16, NULL), 16);
    ck_assert_uint_eq(phys_read(phys, 0x6000, 4), 0);
}
END_TEST

START_TEST(mask_registers_single_all_clear_and_master_clear)
{
    ck_assert_uint_eq(in8(0x0F) & 0x0F, 0x0F);   /* reset: all masked */
    out8(0x0E, 0);                               /* clear mask register */
    ck_assert_uint_eq(in8(0x0F) & 0x0F, 0x00);
    out8(0x0A, 0x06);                            /* set mask ch2 */
    ck_assert_uint_eq(in8(0x0F) & 0x0F, 0x04);
    out8(0x0F, 0x09);                            /* write all: ch0, ch3 */
    ck_assert_uint_eq(in8(0x0F) & 0x0F, 0x09);
    out8(0x0D, 0);                               /* master clear */
    ck_assert_uint_eq(in8(0x0F) & 0x0F, 0x0F);
}
END_TEST

START_TEST(request_register_shows_in_status_high_nibble)
{
    out8(0x09, 0x05);                            /* request ch1 */
    ck_assert_uint_eq(in8(0x08) & 0xF0, 0x20);
    out8(0x09, 0x01);
    ck_assert_uint_eq(in8(0x08) & 0xF0, 0x00);
}
END_TEST

START_TEST(controller_disable_bit_blocks_transfers)
{
    program(2, WRITE_SINGLE, 0, 0x1000, 9);
    out8(0x08, 0x04);
    uint8_t b[10] = { 0 };
    ck_assert_uint_eq(dma_transfer(dma, 2, b, 10, NULL), 0);
    out8(0x08, 0x00);
    ck_assert_uint_eq(dma_transfer(dma, 2, b, 10, NULL), 10);
}
END_TEST

START_TEST(page_registers_read_back)
{
    out8(0x81, 0x12);
    out8(0x8B, 0x34);
    out8(0x84, 0x56);                            /* a spare page register */
    ck_assert_uint_eq(in8(0x81), 0x12);
    ck_assert_uint_eq(in8(0x8B), 0x34);
    ck_assert_uint_eq(in8(0x84), 0x56);
}
END_TEST

START_TEST(every_transfer_is_recorded_as_an_ev_dma_event)
{
    uint8_t data[32];
    fill(data, 32, 2);
    program(3, WRITE_SINGLE, 0x01, 0xFFF0, 31);
    dma_transfer(dma, 3, data, 32, NULL);
    uint64_t since = 0;
    struct event e[4];
    ck_assert_uint_eq(events_read(ev, &since, e, 4), 2);   /* split at the wrap */
    ck_assert_uint_eq(e[0].kind, EV_DMA);
    ck_assert_uint_eq(e[0].a, 3);
    ck_assert_uint_eq(e[0].b, 0x1FFF0);
    ck_assert_uint_eq(e[0].c, 16);
    ck_assert_uint_eq(e[0].d, WRITE_SINGLE | 3);
    ck_assert_uint_eq(e[1].b, 0x10000);
    ck_assert_uint_eq(e[1].c, 16);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dev_dma");
    TCase *tc = tcase_create("8237A");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, write_transfer_lands_at_page_and_address_then_tc_masks_the_channel);
    tcase_add_test(tc, current_address_and_count_read_back_lsb_then_msb);
    tcase_add_test(tc, flip_flop_is_shared_and_cleared_by_port_0c);
    tcase_add_test(tc, eight_bit_channel_wraps_inside_its_64k_block);
    tcase_add_test(tc, sixteen_bit_channel_counts_words_and_ignores_page_bit0);
    tcase_add_test(tc, sixteen_bit_channel_wraps_inside_its_128k_block);
    tcase_add_test(tc, no_transfer_reaches_memory_at_or_above_16_mib);
    tcase_add_test(tc, read_transfer_copies_memory_to_the_device);
    tcase_add_test(tc, decrement_mode_walks_down_from_the_address);
    tcase_add_test(tc, auto_init_reloads_base_at_tc_and_stays_unmasked);
    tcase_add_test(tc, transfer_stops_at_terminal_count_even_if_device_offers_more);
    tcase_add_test(tc, short_device_transfer_leaves_remaining_count);
    tcase_add_test(tc, verify_mode_counts_without_touching_memory);
    tcase_add_test(tc, mask_registers_single_all_clear_and_master_clear);
    tcase_add_test(tc, request_register_shows_in_status_high_nibble);
    tcase_add_test(tc, controller_disable_bit_blocks_transfers);
    tcase_add_test(tc, page_registers_read_back);
    tcase_add_test(tc, every_transfer_is_recorded_as_an_ev_dma_event);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
