/* Floppy reads and writes through ISA DMA channel 2 (82077AA + 8237A, as
 * the PC/AT programs them), chosen by the command line:
 *   read    tracks (c0 h0), (c1 h1), (c79 h1) into 0x80000; print checksums
 *   wrap    16 sectors at 0x1F000: an 8-bit channel wraps inside its 64 KiB
 *           block, so bytes past 0x1FFFF land at 0x10000, not at 0x20000
 *   write   2 sectors from a pattern to c1 h0 s1-2, then read them back
 * Checksums are FNV-1a; the integration test computes the same over the
 * image file. */
#include "guest.h"

#define DOR  0x3F2
#define MSR  0x3F4
#define FIFO 0x3F5
#define CCR  0x3F7

#define MSR_RQM 0x80
#define MSR_DIO 0x40

static volatile int irq6;

static void on_irq6(struct irq_frame *f)
{
    (void)f;
    irq6 = 1;
}

static void fail(const char *what)
{
    printf("floppy: timeout %s\n", what);
    guest_exit(0x7D);
}

static void wait_irq(const char *what)
{
    for (uint32_t spins = 0; !irq6; spins++) {
        if (spins > 1000000)
            fail(what);
        sti_hlt();
        cli();
    }
    irq6 = 0;
}

static void fdc_out(uint8_t v)
{
    for (uint32_t spins = 0; (inb(MSR) & (MSR_RQM | MSR_DIO)) != MSR_RQM; spins++)
        if (spins > 1000000)
            fail("writing a command byte");
    outb(FIFO, v);
}

static uint8_t fdc_in(void)
{
    for (uint32_t spins = 0; (inb(MSR) & (MSR_RQM | MSR_DIO)) != (MSR_RQM | MSR_DIO); spins++)
        if (spins > 1000000)
            fail("reading a result byte");
    return inb(FIFO);
}

static void sense_interrupt(uint8_t *st0, uint8_t *pcn)
{
    fdc_out(0x08);
    *st0 = fdc_in();
    *pcn = fdc_in();
}

static void fdc_init(void)
{
    uint8_t st0, pcn;
    outb(DOR, 0x00);          /* reset */
    outb(DOR, 0x0C);          /* out of reset, DMA/IRQ enabled */
    wait_irq("after reset");
    for (int i = 0; i < 4; i++)   /* one per drive after a reset */
        sense_interrupt(&st0, &pcn);
    outb(CCR, 0x00);          /* 500 kbit/s: 1.44 MB media */
    fdc_out(0x03);            /* specify: SRT/HUT, HLT, ND = 0 (DMA) */
    fdc_out(0xDF);
    fdc_out(0x02);
    outb(DOR, 0x1C);          /* motor A on, drive 0 selected */
    fdc_out(0x07);            /* recalibrate drive 0 */
    fdc_out(0x00);
    wait_irq("after recalibrate");
    sense_interrupt(&st0, &pcn);
}

static void seek(uint8_t cyl, uint8_t head)
{
    uint8_t st0, pcn;
    fdc_out(0x0F);
    fdc_out((uint8_t)(head << 2));
    fdc_out(cyl);
    wait_irq("after seek");
    sense_interrupt(&st0, &pcn);
    if (pcn != cyl)
        printf("floppy: seek to %u ended at %u\n", cyl, pcn);
}

/* 8237A channel 2: mode 0x46 = single, write to memory; 0x4A = read from memory */
static void dma_setup(uint32_t addr, uint32_t len, uint8_t mode)
{
    outb(0x0A, 0x06);                 /* mask channel 2 */
    outb(0x0C, 0xFF);                 /* clear the byte flip-flop */
    outb(0x04, (uint8_t)addr);
    outb(0x04, (uint8_t)(addr >> 8));
    outb(0x81, (uint8_t)(addr >> 16));
    outb(0x0C, 0xFF);
    outb(0x05, (uint8_t)(len - 1));
    outb(0x05, (uint8_t)((len - 1) >> 8));
    outb(0x0B, mode);
    outb(0x0A, 0x02);                 /* unmask */
}

struct result {
    uint8_t st0, st1, st2;
};

/* READ DATA (0x46) or WRITE DATA (0x45), MFM, sectors first..first+n-1 */
static struct result transfer(int write, uint8_t cyl, uint8_t head, uint8_t first, uint8_t n, uint32_t addr)
{
    seek(cyl, head);
    dma_setup(addr, n * 512u, write ? 0x4A : 0x46);
    fdc_out(write ? 0x45 : 0x46);
    fdc_out((uint8_t)(head << 2));
    fdc_out(cyl);
    fdc_out(head);
    fdc_out(first);
    fdc_out(2);       /* 512-byte sectors */
    fdc_out(18);      /* EOT */
    fdc_out(0x1B);    /* GPL */
    fdc_out(0xFF);    /* DTL */
    wait_irq("after the transfer");
    struct result r;
    r.st0 = fdc_in();
    r.st1 = fdc_in();
    r.st2 = fdc_in();
    for (int i = 0; i < 4; i++)
        fdc_in();     /* C, H, R, N */
    return r;
}

static void report(const char *what, struct result r, uint32_t sum)
{
    if (r.st0 & 0xC0)
        printf("floppy: %s: error st0=0x%02x st1=0x%02x st2=0x%02x\n", what, r.st0, r.st1, r.st2);
    else
        printf("floppy: %s: ok sum=0x%08x\n", what, sum);
}

static void read_track(uint8_t cyl, uint8_t head)
{
    uint8_t *buf = (uint8_t *)0x80000;
    memset(buf, 0xEE, 18 * 512);
    struct result r = transfer(0, cyl, head, 1, 18, 0x80000);
    char what[64];
    snprintf(what, sizeof what, "read c=%u h=%u s=1..18 at 0x80000", cyl, head);
    report(what, r, fnv1a(buf, 18 * 512, FNV_INIT));
}

static void wrap(void)
{
    uint8_t *low = (uint8_t *)0x10000, *at = (uint8_t *)0x1F000, *above = (uint8_t *)0x20000;
    memset(low, 0xEE, 0x1000);
    memset(at, 0xEE, 0x1000);
    memset(above, 0xEE, 0x1000);
    struct result r = transfer(0, 0, 0, 1, 16, 0x1F000);
    uint32_t sum = fnv1a(at, 0x1000, FNV_INIT);
    sum = fnv1a(low, 0x1000, sum);
    int untouched = 1;
    for (int i = 0; i < 0x1000; i++)
        if (above[i] != 0xEE)
            untouched = 0;
    report("wrap 16 sectors at 0x1f000 (then 0x10000)", r, sum);
    printf("floppy: 0x20000 %s\n", untouched ? "untouched" : "OVERWRITTEN");
}

static void write_back(void)
{
    uint8_t *src = (uint8_t *)0x80000, *back = (uint8_t *)0x90000;
    for (uint32_t i = 0; i < 1024; i++)
        src[i] = (uint8_t)((i * 7 + 3) ^ (i >> 9));
    memset(back, 0, 1024);
    struct result r = transfer(1, 1, 0, 1, 2, 0x80000);
    report("write c=1 h=0 s=1..2 from 0x80000", r, fnv1a(src, 1024, FNV_INIT));
    if (r.st0 & 0xC0)
        return;
    r = transfer(0, 1, 0, 1, 2, 0x90000);
    report("read back c=1 h=0 s=1..2 at 0x90000", r, fnv1a(back, 1024, FNV_INIT));
    printf("floppy: read back %s\n", memcmp(src, back, 1024) == 0 ? "matches" : "DIFFERS");
}

int guest_main(uint32_t magic, const struct multiboot_info *mbi);
int guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
    (void)magic;
    serial_init();
    const char *args = boot_args(mbi);
    irq_init();
    irq_register(6, on_irq6);
    fdc_init();
    if (has_word(args, "read")) {
        read_track(0, 0);
        read_track(1, 1);
        read_track(79, 1);
    }
    if (has_word(args, "wrap"))
        wrap();
    if (has_word(args, "write"))
        write_back();
    outb(DOR, 0x0C);   /* motor off */
    printf("floppy: done\n");
    return 0;
}
