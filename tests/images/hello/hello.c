/* Serial hello: proves a multiboot boot (magic, info, command line, memory
 * map) and COM1 output. Every line is the same on Pagoda and on QEMU. */
#include "guest.h"

static int ram_above_1m(const struct multiboot_info *mbi)
{
    if (!(mbi->flags & MBI_MMAP))
        return 0;
    uint32_t p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
    while (p < end) {
        const struct multiboot_mmap *e = (const void *)(uintptr_t)p;
        if (e->type == 1 && e->addr == 0x100000 && e->len >= 0x100000)
            return 1;
        p += e->size + 4;
    }
    return 0;
}

/* MC146818: wait out an update cycle (register A bit 7), then read the
 * BCD time (register B as reset leaves it: BCD, 24-hour). */
static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned bcd(uint8_t v) { return (v >> 4) * 10u + (v & 15u); }

static void print_rtc(void)
{
    while (cmos(0x0A) & 0x80)
        ;
    unsigned s = bcd(cmos(0)), mi = bcd(cmos(2)), h = bcd(cmos(4));
    unsigned d = bcd(cmos(7)), mo = bcd(cmos(8)), y = bcd(cmos(9)), c = bcd(cmos(0x32));
    printf("rtc: %02u%02u-%02u-%02u %02u:%02u:%02u\n", c, y, mo, d, h, mi, s);
}

int guest_main(uint32_t magic, const struct multiboot_info *mbi);
int guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
    serial_init();
    printf("hello from a pagoda test image\n");
    printf("multiboot magic: %s\n", magic == MULTIBOOT_BOOTLOADER_MAGIC ? "ok" : "BAD");
    printf("mem_lower: %u KiB\n", (mbi->flags & MBI_MEM) ? mbi->mem_lower : 0);
    printf("RAM at 1 MiB in the memory map: %s\n", ram_above_1m(mbi) ? "yes" : "no");
    printf("command line: [%s]\n", boot_args(mbi));
    if (has_word(boot_args(mbi), "rtc"))
        print_rtc();
    printf("bye\n");
    return 0;
}
