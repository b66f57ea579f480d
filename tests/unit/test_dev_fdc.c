/* 82077AA floppy controller with a 1.44 MB image, driven through its ports
 * and a real 8237A on channel 2, as a guest driver does. Expectations from
 * the 82077AA datasheet: reset -> four SENSE INTERRUPTs with ST0 0xC0|drive,
 * MSR phases, SEEK/RECALIBRATE end with ST0 SE, READ/WRITE results ST0 ST1
 * ST2 C H R N ending at TC (normal) or EOT (abnormal, EN), VERSION 0x90. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/dma.h"
#include "devices/fdc.h"
#include "devices/iobus.h"
#include "machine/events.h"
#include "machine/vclock.h"
#include "mmu/phys.h"

#define MHZ 100u

static struct iobus *bus;
static struct phys *phys;
static struct events *ev;
static struct dma *dma;
static struct fdc *fdc;
static struct vclock vc;
static uint64_t icount;
static bool irq6;
static char image[64];

static void irq_set_cb(void *ctx, int irq, bool level)
{
    (void)ctx;
    if (irq == FDC_IRQ)
        irq6 = level;
}

static void out8(uint16_t port, uint8_t v) { iobus_out(bus, port, v, 1); }
static uint8_t in8(uint16_t port) { return (uint8_t)iobus_in(bus, port, 1); }

static uint8_t pattern(uint32_t lba, uint32_t i)
{
    return (uint8_t)(lba * 31 + i * 7 + (i >> 8));
}

static void make_image(void)
{
    strcpy(image, "/tmp/pagoda-fdc-XXXXXX");
    int fd = mkstemp(image);
    ck_assert_int_ge(fd, 0);
    uint8_t sec[512];
    for (uint32_t lba = 0; lba < 2880; lba++) {
        for (uint32_t i = 0; i < 512; i++)
            sec[i] = pattern(lba, i);
        ck_assert_int_eq(write(fd, sec, 512), 512);
    }
    close(fd);
}

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

/* Wait for IRQ 6 like a driver sleeping on it: at most 10 ms. */
static bool wait_irq(void)
{
    for (int i = 0; i < 1000 && !irq6; i++)
        advance_us(10);
    return irq6;
}

static void cmd(const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        ck_assert_uint_eq(in8(0x3F4) & 0xC0, 0x80);   /* RQM, host -> FDC */
        out8(0x3F5, b[i]);
    }
}

static unsigned result(uint8_t *r, unsigned max)
{
    unsigned n = 0;
    while ((in8(0x3F4) & 0xC0) == 0xC0 && n < max)
        r[n++] = in8(0x3F5);
    return n;
}

static void sense(uint8_t *st0, uint8_t *pcn)
{
    uint8_t c = 0x08, r[2];
    cmd(&c, 1);
    ck_assert_uint_eq(result(r, 2), 2);
    *st0 = r[0];
    *pcn = r[1];
}

static void seek(uint8_t head, uint8_t cyl)
{
    uint8_t c[3] = { 0x0F, (uint8_t)(head << 2), cyl };
    cmd(c, 3);
    ck_assert(wait_irq());
    uint8_t st0, pcn;
    sense(&st0, &pcn);
    ck_assert_uint_eq(st0, 0x20 | head << 2);
    ck_assert_uint_eq(pcn, cyl);
}

static void dma_ch2(uint8_t mode, uint32_t pa, uint16_t count)
{
    out8(0x0A, 0x06);
    out8(0x0B, mode);
    out8(0x0C, 0);
    out8(0x04, (uint8_t)pa);
    out8(0x04, (uint8_t)(pa >> 8));
    out8(0x81, (uint8_t)(pa >> 16));
    out8(0x0C, 0);
    out8(0x05, (uint8_t)count);
    out8(0x05, (uint8_t)(count >> 8));
    out8(0x0A, 0x02);
}

/* READ DATA (0xE6: MT MFM SK) or WRITE DATA (0xC5: MT MFM). */
static void rw(uint8_t op, uint8_t c, uint8_t h, uint8_t r, uint8_t eot, uint8_t res[7])
{
    uint8_t b[9] = { op, (uint8_t)(h << 2), c, h, r, 2, eot, 0x1B, 0xFF };
    cmd(b, 9);
    ck_assert_uint_eq(in8(0x3F4) & 0x10, 0x10);      /* busy in execution */
    ck_assert(wait_irq());
    ck_assert_uint_eq(result(res, 7), 7);
    ck_assert(!irq6);                                 /* cleared by the result read */
}

static uint32_t lba_of(uint8_t c, uint8_t h, uint8_t r) { return (c * 2u + h) * 18u + r - 1u; }

static void check_ram_holds(uint32_t pa, uint32_t lba, unsigned sectors)
{
    uint32_t sum_ram = 0, sum_img = 0;
    for (uint32_t s = 0; s < sectors; s++)
        for (uint32_t i = 0; i < 512; i++) {
            sum_ram = sum_ram * 33 + phys_read(phys, pa + s * 512 + i, 1);
            sum_img = sum_img * 33 + pattern(lba + s, i);
        }
    ck_assert_uint_eq(sum_ram, sum_img);
}

static void start(bool rw_image)
{
    bus = malloc(sizeof *bus);
    ev = malloc(sizeof *ev);
    iobus_init(bus);
    icount = 0;
    vclock_init(&vc, &icount, MHZ);
    events_init(ev, &icount);
    char err[256];
    phys = phys_create(16u << 20, err, sizeof err);
    ck_assert_ptr_nonnull(phys);
    dma = dma_create(bus, phys, ev);
    fdc = fdc_create(bus, (struct irq_line){ irq_set_cb, NULL }, dma, &vc);
    ck_assert_ptr_nonnull(fdc);
    make_image();
    ck_assert_int_eq(fdc_insert(fdc, image, rw_image, err, sizeof err), 0);
    irq6 = false;
    /* Driver start-up: reset through the DOR, collect the four drives. */
    out8(0x3F2, 0x08);
    out8(0x3F2, 0x1C);                               /* motor A on, DMA, out of reset */
    ck_assert(irq6);
    for (int d = 0; d < 4; d++) {
        uint8_t st0, pcn;
        sense(&st0, &pcn);
        ck_assert_uint_eq(st0, 0xC0 | d);
    }
    ck_assert(!irq6);
    uint8_t spec[3] = { 0x03, 0xDF, 0x02 };          /* SRT/HUT, HLT, DMA mode */
    cmd(spec, 3);
}

static void setup_rw(void) { start(true); }
static void setup_ro(void) { start(false); }

static void teardown(void)
{
    fdc_destroy(fdc);
    dma_destroy(dma);
    phys_destroy(phys);
    unlink(image);
    free(ev);
    free(bus);
}

START_TEST(sense_interrupt_without_a_pending_interrupt_is_invalid)
{
    uint8_t c = 0x08, r[2];
    cmd(&c, 1);
    ck_assert_uint_eq(result(r, 2), 1);
    ck_assert_uint_eq(r[0], 0x80);
}
END_TEST

START_TEST(msr_walks_command_then_result_phase)
{
    ck_assert_uint_eq(in8(0x3F4), 0x80);
    out8(0x3F5, 0x04);                               /* SENSE DRIVE STATUS ... */
    ck_assert_uint_eq(in8(0x3F4), 0x90);             /* RQM | CB: more bytes */
    out8(0x3F5, 0x00);
    ck_assert_uint_eq(in8(0x3F4), 0xD0);             /* RQM | DIO | CB: result */
    in8(0x3F5);
    ck_assert_uint_eq(in8(0x3F4), 0x80);
}
END_TEST

START_TEST(version_dumpreg_lock_and_partid_identify_a_post_1991_82077)
{
    uint8_t c, r[16];
    c = 0x10;
    cmd(&c, 1);
    ck_assert_uint_eq(result(r, 16), 1);
    ck_assert_uint_eq(r[0], 0x90);
    c = 0x0E;
    cmd(&c, 1);
    ck_assert_uint_eq(result(r, 16), 10);
    ck_assert_uint_eq(r[4], 0xDF);                   /* SPECIFY's SRT/HUT */
    c = 0x94;
    cmd(&c, 1);
    ck_assert_uint_eq(result(r, 16), 1);
    ck_assert_uint_eq(r[0], 0x10);
    c = 0x14;
    cmd(&c, 1);
    ck_assert_uint_eq(result(r, 16), 1);
    ck_assert_uint_eq(r[0], 0x00);
    c = 0x18;                                        /* PART ID: not an 82077AA command */
    cmd(&c, 1);
    ck_assert_uint_eq(result(r, 16), 1);
    ck_assert_uint_eq(r[0], 0x80);
}
END_TEST

START_TEST(configure_takes_three_parameter_bytes_without_result)
{
    uint8_t c[4] = { 0x13, 0x00, 0x1A, 0x00 };
    cmd(c, 4);
    ck_assert_uint_eq(in8(0x3F4), 0x80);
    uint8_t d = 0x0E, r[10];
    cmd(&d, 1);
    ck_assert_uint_eq(result(r, 10), 10);
    ck_assert_uint_eq(r[8], 0x1A);
}
END_TEST

START_TEST(perpendicular_mode_drive_bits_need_ow_and_show_in_dumpreg)
{
    uint8_t p[2] = { 0x12, 0x3F & ~0x04 }, d = 0x0E, r[10];   /* OW = 0: only GAP/WGATE */
    cmd(p, 2);
    cmd(&d, 1);
    ck_assert_uint_eq(result(r, 10), 10);
    ck_assert_uint_eq(r[7], 0x03);
    p[1] = 0x80 | 0x04 << 2;                                   /* OW: drive 2 perpendicular */
    cmd(p, 2);
    cmd(&d, 1);
    result(r, 10);
    ck_assert_uint_eq(r[7], 0x10);
}
END_TEST

START_TEST(recalibrate_interrupts_after_the_step_time_with_se)
{
    seek(0, 7);
    uint8_t c[2] = { 0x07, 0x00 };
    cmd(c, 2);
    ck_assert(!irq6);                                /* not inside the OUT */
    ck_assert_uint_eq(in8(0x3F4) & 0x01, 0x01);      /* drive 0 busy */
    ck_assert(wait_irq());
    uint8_t st0, pcn;
    sense(&st0, &pcn);
    ck_assert_uint_eq(st0, 0x20);
    ck_assert_uint_eq(pcn, 0);
    ck_assert(!irq6);
    ck_assert_uint_eq(in8(0x3F4), 0x80);
}
END_TEST

START_TEST(recalibrate_of_a_missing_drive_ends_with_equipment_check)
{
    uint8_t c[2] = { 0x07, 0x01 };
    cmd(c, 2);
    ck_assert(wait_irq());
    uint8_t st0, pcn;
    sense(&st0, &pcn);
    ck_assert_uint_eq(st0, 0x71);
}
END_TEST

START_TEST(new_disk_sets_disk_change_until_a_seek)
{
    ck_assert_uint_eq(in8(0x3F7) & 0x80, 0x80);
    seek(0, 1);
    ck_assert_uint_eq(in8(0x3F7) & 0x80, 0x00);
}
END_TEST

START_TEST(read_one_sector_by_dma_matches_the_image)
{
    seek(1, 1);
    dma_ch2(0x46, 0x20000, 511);                     /* single, write to memory */
    uint8_t r[7];
    rw(0xE6, 1, 1, 3, 18, r);
    ck_assert_uint_eq(r[0], 0x04);                   /* normal end, head 1 */
    ck_assert_uint_eq(r[1], 0);
    ck_assert_uint_eq(r[2], 0);
    ck_assert_uint_eq(r[3], 1);
    ck_assert_uint_eq(r[4], 1);
    ck_assert_uint_eq(r[5], 4);                      /* the next sector */
    ck_assert_uint_eq(r[6], 2);
    check_ram_holds(0x20000, lba_of(1, 1, 3), 1);
}
END_TEST

START_TEST(multitrack_read_runs_onto_head_1_until_tc)
{
    seek(0, 2);
    dma_ch2(0x46, 0x30000, 18 * 512 - 1);
    uint8_t r[7];
    rw(0xE6, 2, 0, 10, 18, r);                       /* 10..18 on head 0, 1..9 on head 1 */
    ck_assert_uint_eq(r[0] & 0xC0, 0);
    ck_assert_uint_eq(r[4], 1);
    ck_assert_uint_eq(r[5], 10);
    check_ram_holds(0x30000, lba_of(2, 0, 10), 18);
    ck_assert_uint_eq(in8(0x08) & 0x04, 0x04);       /* the DMA reached TC */
}
END_TEST

START_TEST(read_past_eot_without_tc_ends_abnormally_with_en)
{
    dma_ch2(0x46, 0x40000, 0xFFFF);
    uint8_t r[7];
    rw(0x66, 0, 0, 17, 18, r);                       /* no MT: sectors 17 and 18 */
    ck_assert_uint_eq(r[0], 0x40);
    ck_assert_uint_eq(r[1], 0x80);
    ck_assert_uint_eq(r[3], 1);                      /* C + 1, R = 1 */
    ck_assert_uint_eq(r[5], 1);
    check_ram_holds(0x40000, lba_of(0, 0, 17), 2);
}
END_TEST

START_TEST(read_on_the_wrong_cylinder_reports_wc_and_no_data)
{
    dma_ch2(0x46, 0x20000, 511);
    uint8_t r[7];
    rw(0xE6, 3, 0, 1, 18, r);                        /* head is at cylinder 0 */
    ck_assert_uint_eq(r[0], 0x40);
    ck_assert_uint_eq(r[1], 0x04);
    ck_assert_uint_eq(r[2], 0x10);
}
END_TEST

START_TEST(read_with_dma_masked_is_an_overrun)
{
    out8(0x0A, 0x06);
    uint8_t r[7];
    rw(0xE6, 0, 0, 1, 18, r);
    ck_assert_uint_eq(r[0], 0x40);
    ck_assert_uint_eq(r[1], 0x10);
}
END_TEST

START_TEST(read_at_the_wrong_data_rate_finds_no_address_mark)
{
    out8(0x3F7, 0x02);                               /* 250 kb/s: a 720K rate */
    dma_ch2(0x46, 0x20000, 511);
    uint8_t r[7];
    rw(0xE6, 0, 0, 1, 18, r);
    ck_assert_uint_eq(r[0], 0x40);
    ck_assert_uint_eq(r[1], 0x01);
}
END_TEST

START_TEST(dma_buffer_across_64k_wraps_inside_the_block)
{
    dma_ch2(0x46, 0x1FE00, 1023);                    /* 2 sectors from 0x1FE00 */
    uint8_t r[7];
    rw(0xE6, 0, 0, 1, 18, r);
    ck_assert_uint_eq(r[0] & 0xC0, 0);
    check_ram_holds(0x1FE00, 0, 1);
    check_ram_holds(0x10000, 1, 1);                  /* not at 0x20000 */
    ck_assert_uint_eq(phys_read(phys, 0x20000, 4), 0);
}
END_TEST

START_TEST(written_sector_reaches_the_image_file)
{
    uint8_t data[1024];
    for (int i = 0; i < 1024; i++)
        data[i] = (uint8_t)(0xA0 ^ i);
    phys_write_block(phys, 0x50000, data, sizeof data);
    seek(0, 40);
    dma_ch2(0x4A, 0x50000, 1023);                    /* single, read from memory */
    uint8_t r[7];
    rw(0xC5, 40, 0, 18, 18, r);                      /* 18 on head 0, then 1 on head 1 */
    ck_assert_uint_eq(r[0] & 0xC0, 0);
    ck_assert_int_eq(fdc_flush(fdc), 0);
    int fd = open(image, O_RDONLY);
    uint8_t back[512];
    ck_assert_int_eq(pread(fd, back, 512, (off_t)lba_of(40, 0, 18) * 512), 512);
    ck_assert_mem_eq(back, data, 512);
    ck_assert_int_eq(pread(fd, back, 512, (off_t)lba_of(40, 1, 1) * 512), 512);
    ck_assert_mem_eq(back, data + 512, 512);
    ck_assert_int_eq(pread(fd, back, 512, (off_t)lba_of(40, 1, 2) * 512), 512);
    ck_assert_uint_eq(back[0], pattern(lba_of(40, 1, 2), 0));   /* untouched */
    close(fd);
}
END_TEST

START_TEST(write_to_a_read_only_image_is_not_writable)
{
    phys_write(phys, 0x50000, 0x12345678, 4);
    dma_ch2(0x4A, 0x50000, 511);
    uint8_t r[7];
    rw(0xC5, 0, 0, 1, 18, r);
    ck_assert_uint_eq(r[0], 0x40);
    ck_assert_uint_eq(r[1], 0x02);
    int fd = open(image, O_RDONLY);
    uint8_t b;
    ck_assert_int_eq(pread(fd, &b, 1, 0), 1);
    ck_assert_uint_eq(b, pattern(0, 0));
    close(fd);
}
END_TEST

START_TEST(sense_drive_status_reports_track0_and_write_protect)
{
    uint8_t c[2] = { 0x04, 0x00 }, r[1];
    cmd(c, 2);
    ck_assert_uint_eq(result(r, 1), 1);
    ck_assert_uint_eq(r[0], 0x28 | 0x40 | 0x10);
    seek(0, 3);
    cmd(c, 2);
    result(r, 1);
    ck_assert_uint_eq(r[0], 0x28 | 0x40);
}
END_TEST

START_TEST(read_id_reports_the_cylinder_under_the_head)
{
    seek(1, 9);
    uint8_t c[2] = { 0x4A, 0x04 }, r[7];
    cmd(c, 2);
    ck_assert(wait_irq());
    ck_assert_uint_eq(result(r, 7), 7);
    ck_assert_uint_eq(r[0], 0x04);
    ck_assert_uint_eq(r[3], 9);
    ck_assert_uint_eq(r[4], 1);
    ck_assert_uint_eq(r[6], 2);
}
END_TEST

START_TEST(non_dma_read_moves_bytes_through_the_fifo_and_ends_at_eot)
{
    uint8_t spec[3] = { 0x03, 0xDF, 0x03 };          /* ND = 1 */
    cmd(spec, 3);
    uint8_t b[9] = { 0x66, 0x00, 0, 0, 5, 2, 5, 0x1B, 0xFF };   /* only sector 5 */
    cmd(b, 9);
    ck_assert(wait_irq());
    uint8_t msr = in8(0x3F4);
    ck_assert_uint_eq(msr & 0xF0, 0xF0);             /* RQM DIO NDMA CB */
    for (uint32_t i = 0; i < 512; i++)
        ck_assert_uint_eq(in8(0x3F5), pattern(4, i));
    uint8_t r[7];
    ck_assert_uint_eq(result(r, 7), 7);
    ck_assert_uint_eq(r[0], 0x40);                   /* EN: no TC without DMA */
    ck_assert_uint_eq(r[1], 0x80);
}
END_TEST

START_TEST(format_track_fills_every_sector_of_the_track)
{
    seek(0, 5);
    uint8_t ids[18 * 4];
    for (int s = 0; s < 18; s++) {
        ids[s * 4] = 5;
        ids[s * 4 + 1] = 0;
        ids[s * 4 + 2] = (uint8_t)(s + 1);
        ids[s * 4 + 3] = 2;
    }
    phys_write_block(phys, 0x60000, ids, sizeof ids);
    dma_ch2(0x4A, 0x60000, sizeof ids - 1);
    uint8_t c[6] = { 0x4D, 0x00, 2, 18, 0x54, 0xE5 }, r[7];
    cmd(c, 6);
    ck_assert(wait_irq());
    ck_assert_uint_eq(result(r, 7), 7);
    ck_assert_uint_eq(r[0] & 0xC0, 0);
    int fd = open(image, O_RDONLY);
    uint8_t sec[512], e5[512];
    memset(e5, 0xE5, sizeof e5);
    for (int s = 1; s <= 18; s++) {
        ck_assert_int_eq(pread(fd, sec, 512, (off_t)lba_of(5, 0, (uint8_t)s) * 512), 512);
        ck_assert_mem_eq(sec, e5, 512);
    }
    ck_assert_int_eq(pread(fd, sec, 512, (off_t)lba_of(5, 1, 1) * 512), 512);
    ck_assert_uint_eq(sec[0], pattern(lba_of(5, 1, 1), 0));
    close(fd);
}
END_TEST

START_TEST(irq_needs_the_dor_dma_gate)
{
    out8(0x3F2, 0x14);                               /* motor, out of reset, no gate */
    uint8_t c[2] = { 0x07, 0x00 };
    cmd(c, 2);
    advance_us(1000);
    ck_assert(!irq6);
    out8(0x3F2, 0x1C);
    ck_assert(irq6);
}
END_TEST

START_TEST(dsr_software_reset_asks_for_four_sense_interrupts)
{
    out8(0x3F4, 0x80);
    ck_assert(irq6);
    uint8_t st0, pcn;
    for (int d = 0; d < 4; d++) {
        sense(&st0, &pcn);
        ck_assert_uint_eq(st0, 0xC0 | d);
    }
    ck_assert(!irq6);
}
END_TEST

START_TEST(insert_rejects_a_file_of_the_wrong_size)
{
    char err[256] = "";
    char path[] = "/tmp/pagoda-fdc-small-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_eq(write(fd, "abc", 3), 3);
    close(fd);
    ck_assert_int_eq(fdc_insert(fdc, path, false, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "1474560"));
    unlink(path);
    ck_assert_int_eq(fdc_insert(fdc, "/nonexistent/disk.img", false, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/disk.img"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dev_fdc");
    TCase *tc = tcase_create("82077AA");
    tcase_add_checked_fixture(tc, setup_rw, teardown);
    tcase_add_test(tc, sense_interrupt_without_a_pending_interrupt_is_invalid);
    tcase_add_test(tc, msr_walks_command_then_result_phase);
    tcase_add_test(tc, version_dumpreg_lock_and_partid_identify_a_post_1991_82077);
    tcase_add_test(tc, configure_takes_three_parameter_bytes_without_result);
    tcase_add_test(tc, perpendicular_mode_drive_bits_need_ow_and_show_in_dumpreg);
    tcase_add_test(tc, recalibrate_interrupts_after_the_step_time_with_se);
    tcase_add_test(tc, recalibrate_of_a_missing_drive_ends_with_equipment_check);
    tcase_add_test(tc, new_disk_sets_disk_change_until_a_seek);
    tcase_add_test(tc, read_one_sector_by_dma_matches_the_image);
    tcase_add_test(tc, multitrack_read_runs_onto_head_1_until_tc);
    tcase_add_test(tc, read_past_eot_without_tc_ends_abnormally_with_en);
    tcase_add_test(tc, read_on_the_wrong_cylinder_reports_wc_and_no_data);
    tcase_add_test(tc, read_with_dma_masked_is_an_overrun);
    tcase_add_test(tc, read_at_the_wrong_data_rate_finds_no_address_mark);
    tcase_add_test(tc, dma_buffer_across_64k_wraps_inside_the_block);
    tcase_add_test(tc, written_sector_reaches_the_image_file);
    tcase_add_test(tc, read_id_reports_the_cylinder_under_the_head);
    tcase_add_test(tc, non_dma_read_moves_bytes_through_the_fifo_and_ends_at_eot);
    tcase_add_test(tc, format_track_fills_every_sector_of_the_track);
    tcase_add_test(tc, irq_needs_the_dor_dma_gate);
    tcase_add_test(tc, dsr_software_reset_asks_for_four_sense_interrupts);
    tcase_add_test(tc, insert_rejects_a_file_of_the_wrong_size);
    suite_add_tcase(s, tc);
    TCase *ro = tcase_create("82077AA read-only image");
    tcase_add_checked_fixture(ro, setup_ro, teardown);
    tcase_add_test(ro, write_to_a_read_only_image_is_not_writable);
    tcase_add_test(ro, sense_drive_status_reports_track0_and_write_protect);
    suite_add_tcase(s, ro);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
