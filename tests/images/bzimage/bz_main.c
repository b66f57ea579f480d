/* The fake bzImage's payload: print on COM1 what a Linux kernel would
 * find at its 32-bit entry -- the registers, the boot_params fields the
 * loader fills (Documentation/arch/x86/zero-page.rst, boot.rst), the
 * e820 map, the command line, and the initrd's address, size and FNV-1a
 * checksum -- so that the integration test can compare them with what it
 * asked for. Exits through port 0xF4 with code 0x21. */
#include "guest.h"

struct entry_regs { uint32_t esi, ebx, ebp, edi; };

static uint8_t rd8(uint32_t a) { return *(volatile const uint8_t *)(uintptr_t)a; }
static uint16_t rd16(uint32_t a) { return *(volatile const uint16_t *)(uintptr_t)a; }
static uint32_t rd32(uint32_t a) { return *(volatile const uint32_t *)(uintptr_t)a; }

int bz_main(const struct entry_regs *r)
{
    serial_init();
    uint32_t bp = r->esi;
    uint32_t cs, ds;
    __asm__ volatile("mov %%cs, %0; mov %%ds, %1" : "=r"(cs), "=r"(ds));
    printf("fake bzImage: esi %08x ebx %08x ebp %08x edi %08x cs %02x ds %02x\n",
           r->esi, r->ebx, r->ebp, r->edi, cs & 0xffff, ds & 0xffff);
    printf("header: %c%c%c%c version %04x type_of_loader %02x loadflags %02x boot_flag %04x\n",
           rd8(bp + 0x202), rd8(bp + 0x203), rd8(bp + 0x204), rd8(bp + 0x205),
           rd16(bp + 0x206), rd8(bp + 0x210), rd8(bp + 0x211), rd16(bp + 0x1FE));
    unsigned n = rd8(bp + 0x1E8);
    printf("e820 entries: %u\n", n);
    for (unsigned i = 0; i < n && i < 128; i++) {
        uint32_t e = bp + 0x2D0 + 20 * i;
        printf("e820: %08x%08x %08x%08x %u\n", rd32(e + 4), rd32(e), rd32(e + 12), rd32(e + 8),
               rd32(e + 16));
    }
    uint32_t cl = rd32(bp + 0x228);
    printf("cmd_line_ptr %08x: [%s]\n", cl, (const char *)(uintptr_t)cl);
    uint32_t rd = rd32(bp + 0x218), rdsize = rd32(bp + 0x21C);
    uint32_t sum = rdsize ? fnv1a((const void *)(uintptr_t)rd, rdsize, FNV_INIT) : 0;
    printf("ramdisk_image %08x ramdisk_size %u fnv1a %08x\n", rd, rdsize, sum);
    printf("alt_mem_k %u\n", rd32(bp + 0x1E0));
    return 0x21;
}
