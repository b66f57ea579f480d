/* Linux bzImage through the 32-bit boot protocol, with no BIOS and no
 * real-mode setup (Documentation/x86/boot.rst, "32-bit boot protocol"):
 * the loader does what setup would have done -- a zeroed boot_params with
 * the image's setup header copied in, an e820 map, the command line and the
 * initrd -- then enters code32_start in flat protected mode with
 * __BOOT_CS = 0x10, __BOOT_DS = 0x18, ESI = boot_params, IF = 0. */
#include "machine/boot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/phys.h"

/* setup header fields (offsets in the image and in boot_params) */
#define HDR_START            0x1F1
#define HDR_SETUP_SECTS      0x1F1
#define HDR_SYSSIZE          0x1F4
#define HDR_VID_MODE         0x1FA
#define HDR_JUMP_LEN         0x201   /* header ends at 0x202 + this byte */
#define HDR_MAGIC            0x202
#define HDR_VERSION          0x206
#define HDR_TYPE_OF_LOADER   0x210
#define HDR_LOADFLAGS        0x211
#define HDR_CODE32_START     0x214
#define HDR_RAMDISK_IMAGE    0x218
#define HDR_RAMDISK_SIZE     0x21C
#define HDR_HEAP_END_PTR     0x224
#define HDR_CMD_LINE_PTR     0x228
#define HDR_INITRD_ADDR_MAX  0x22C
#define HDR_CMDLINE_SIZE     0x238
#define HDR_HARDWARE_SUBARCH 0x23C
#define HDR_PREF_ADDRESS     0x258
#define HDR_INIT_SIZE        0x260
#define HDR_LIMIT            0x290   /* end of struct setup_header's room */

/* boot_params fields outside the setup header (zero-page.rst) */
#define BP_ALT_MEM_K    0x1E0
#define BP_E820_ENTRIES 0x1E8
#define BP_E820_TABLE   0x2D0
#define BP_SIZE         4096

#define LOADED_HIGH   0x01
#define CAN_USE_HEAP  0x80

/* Keep the initrd inside i386 lowmem (below about 880 MiB with the 3G/1G
 * split), so that the kernel need not copy it out of highmem. */
#define INITRD_LOWMEM_LIMIT 0x36000000u

static uint16_t rd16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }
static uint32_t rd32(const uint8_t *b) { return (uint32_t)rd16(b) | (uint32_t)rd16(b + 2) << 16; }
static uint64_t rd64(const uint8_t *b) { return (uint64_t)rd32(b) | (uint64_t)rd32(b + 4) << 32; }
static void wr16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *b, uint32_t v) { wr16(b, (uint16_t)v); wr16(b + 2, (uint16_t)(v >> 16)); }

static int load_initrd(struct phys *p, const char *initrd, const uint8_t *img, uint16_t version,
                       uint32_t kernel_end, uint8_t *bp, char *err, size_t errlen)
{
    uint32_t ram = phys_ram_size(p);
    char what[64];
    snprintf(what, sizeof what, "the guest's %u MiB of RAM", ram >> 20);
    uint8_t *data;
    size_t len;
    if (boot_read_file(initrd, ram, what, &data, &len, err, errlen) < 0)
        return -1;
    /* initrd_addr_max: the highest address the initrd's last byte may have
     * (2.03+; older kernels assume 0x37FFFFFF) */
    uint32_t max = version >= 0x0203 ? rd32(img + HDR_INITRD_ADDR_MAX) : 0x37FFFFFFu;
    if (max > e820_usable_top(ram) - 1)
        max = e820_usable_top(ram) - 1;   /* not in the reserved top of RAM */
    if (max > INITRD_LOWMEM_LIMIT - 1)
        max = INITRD_LOWMEM_LIMIT - 1;
    uint64_t top = (uint64_t)max + 1;
    uint64_t addr = top >= len ? (top - len) & ~0xFFFull : 0;
    if (top < len || addr < kernel_end) {
        snprintf(err, errlen, "%s: %zu bytes do not fit between the kernel (ends at 0x%x) and 0x%llx "
                 "in the guest's %u MiB of RAM", initrd, len, kernel_end,
                 (unsigned long long)top, ram >> 20);
        free(data);
        return -1;
    }
    int r = phys_load(p, (uint32_t)addr, data, (uint32_t)len);
    free(data);
    if (r < 0) {
        snprintf(err, errlen, "%s: cannot load at 0x%llx: not RAM", initrd, (unsigned long long)addr);
        return -1;
    }
    wr32(bp + HDR_RAMDISK_IMAGE, (uint32_t)addr);
    wr32(bp + HDR_RAMDISK_SIZE, (uint32_t)len);
    return 0;
}

int load_bzimage(struct phys *p, const char *path, const uint8_t *img, size_t len,
                 const char *initrd, const char *cmdline,
                 struct boot_state *bs, char *err, size_t errlen)
{
    memset(bs, 0, sizeof *bs);
    uint32_t ram = phys_ram_size(p);
    if (len < HDR_VERSION + 2) {
        snprintf(err, errlen, "%s: truncated: %zu bytes, a bzImage's setup header alone needs %d",
                 path, len, HDR_VERSION + 2);
        return -1;
    }
    if (memcmp(img + HDR_MAGIC, "HdrS", 4) != 0) {
        snprintf(err, errlen, "%s: bad bzImage magic: no \"HdrS\" at offset 0x%x", path, HDR_MAGIC);
        return -1;
    }
    uint16_t version = rd16(img + HDR_VERSION);
    if (version < 0x0202) {
        snprintf(err, errlen, "%s: Linux boot protocol %u.%02u is too old (the 32-bit entry needs 2.02 or later)",
                 path, version >> 8, version & 0xFF);
        return -1;
    }
    size_t hdr_end = 0x202 + (size_t)img[HDR_JUMP_LEN];
    if (hdr_end > HDR_LIMIT)
        hdr_end = HDR_LIMIT;
    if (len < hdr_end || len < HDR_INIT_SIZE + 4) {
        snprintf(err, errlen, "%s: truncated: %zu bytes end inside the setup header", path, len);
        return -1;
    }
    if (!(img[HDR_LOADFLAGS] & LOADED_HIGH)) {
        snprintf(err, errlen, "%s: a zImage (LOADED_HIGH clear); only bzImages are supported", path);
        return -1;
    }
    unsigned setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
    size_t prot_off = (size_t)(setup_sects + 1) * 512;
    if (prot_off > len) {
        snprintf(err, errlen, "%s: truncated: %zu bytes end inside the %zu bytes of setup code",
                 path, len, prot_off);
        return -1;
    }
    if (prot_off == len) {
        snprintf(err, errlen, "%s: truncated: the file ends with its %zu bytes of setup code; "
                 "the protected-mode kernel that follows them is missing", path, prot_off);
        return -1;
    }
    size_t prot_len = len - prot_off;
    uint64_t syssize = version >= 0x0204 ? rd32(img + HDR_SYSSIZE) : rd16(img + HDR_SYSSIZE);
    if (syssize * 16 > prot_len + 15) {
        snprintf(err, errlen, "%s: truncated: the header says %llu bytes of kernel, the file has %zu",
                 path, (unsigned long long)syssize * 16, prot_len);
        return -1;
    }
    if ((uint64_t)BOOT_KERNEL_HIGH + prot_len > ram) {
        snprintf(err, errlen, "%s: the kernel (%zu bytes at 0x%x) does not fit in the guest's %u MiB of RAM",
                 path, prot_len, BOOT_KERNEL_HIGH, ram >> 20);
        return -1;
    }
    /* the kernel decompresses into [pref_address, + init_size) (2.10+) */
    uint64_t kernel_end = BOOT_KERNEL_HIGH + prot_len;
    if (version >= 0x020A) {
        uint64_t pref = rd64(img + HDR_PREF_ADDRESS), init = rd32(img + HDR_INIT_SIZE);
        if (pref > UINT32_MAX) {   /* (and pref + init cannot wrap below) */
            snprintf(err, errlen, "%s: pref_address 0x%llx is beyond the 4 GiB an i386 can address",
                     path, (unsigned long long)pref);
            return -1;
        }
        if (pref < BOOT_KERNEL_HIGH)
            pref = BOOT_KERNEL_HIGH;
        if (pref + init > kernel_end)
            kernel_end = pref + init;
        if (kernel_end > ram) {
            snprintf(err, errlen, "%s: the kernel decompresses up to 0x%llx, beyond the guest's %u MiB of RAM "
                     "(use a larger -m)", path, (unsigned long long)kernel_end, ram >> 20);
            return -1;
        }
    }
    kernel_end = (kernel_end + 0xFFF) & ~0xFFFull;

    const char *cl = cmdline ? cmdline : "";
    size_t cl_max = version >= 0x0206 ? rd32(img + HDR_CMDLINE_SIZE) : 255;
    if (cl_max > BOOT_LINUX_CMDLINE_END - BOOT_LINUX_CMDLINE - 1)
        cl_max = BOOT_LINUX_CMDLINE_END - BOOT_LINUX_CMDLINE - 1;
    if (strlen(cl) > cl_max) {
        snprintf(err, errlen, "-append: the command line is %zu bytes; %s accepts at most %zu",
                 strlen(cl), path, cl_max);
        return -1;
    }

    uint8_t bp[BP_SIZE] = { 0 };
    /* the header only: bytes 0x1EF-0x1F0 (the sentinel) stay zero, or
     * sanitize_boot_params() would wipe fields as from a broken loader */
    memcpy(bp + HDR_START, img + HDR_START, hdr_end - HDR_START);
    bp[HDR_TYPE_OF_LOADER] = 0xFF;                    /* no assigned loader id */
    bp[HDR_LOADFLAGS] &= (uint8_t)~CAN_USE_HEAP;      /* no real-mode heap: setup never runs */
    wr16(bp + HDR_HEAP_END_PTR, 0);
    wr16(bp + HDR_VID_MODE, 0xFFFF);                  /* "normal" */
    wr32(bp + HDR_CMD_LINE_PTR, BOOT_LINUX_CMDLINE);
    if (version >= 0x0207)
        wr32(bp + HDR_HARDWARE_SUBARCH, 0);           /* a PC */
    wr32(bp + BP_ALT_MEM_K, ram > 0x100000u ? (ram - 0x100000u) / 1024 : 0);

    struct e820_entry e[E820_MAX];
    unsigned n = e820_build(ram, e);
    bp[BP_E820_ENTRIES] = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *t = bp + BP_E820_TABLE + 20 * i;
        wr32(t, (uint32_t)e[i].addr);
        wr32(t + 4, (uint32_t)(e[i].addr >> 32));
        wr32(t + 8, (uint32_t)e[i].size);
        wr32(t + 12, (uint32_t)(e[i].size >> 32));
        wr32(t + 16, e[i].type);
    }

    if (phys_load(p, BOOT_KERNEL_HIGH, img + prot_off, (uint32_t)prot_len) < 0) {
        snprintf(err, errlen, "%s: cannot load at 0x%x: not RAM", path, BOOT_KERNEL_HIGH);
        return -1;
    }
    if (initrd && load_initrd(p, initrd, img, version, (uint32_t)kernel_end, bp, err, errlen) < 0)
        return -1;
    if (phys_load(p, BOOT_LINUX_CMDLINE, cl, (uint32_t)strlen(cl) + 1) < 0 ||
        phys_load(p, BOOT_LINUX_PARAMS, bp, sizeof bp) < 0 || boot_flat_gdt(p, bs) < 0) {
        snprintf(err, errlen, "%s: the guest has no RAM for boot data below 0x%x", path, BOOT_LINUX_CMDLINE_END);
        return -1;
    }
    uint32_t entry = rd32(img + HDR_CODE32_START);
    if (!entry)
        entry = BOOT_KERNEL_HIGH;
    if (entry < BOOT_KERNEL_HIGH || entry - BOOT_KERNEL_HIGH >= prot_len) {
        /* the kernel is loaded at 1 MiB whatever code32_start says: an
         * entry elsewhere would run whatever RAM holds there */
        snprintf(err, errlen, "%s: code32_start 0x%x is outside the loaded kernel (0x%x-0x%llx)",
                 path, entry, BOOT_KERNEL_HIGH, (unsigned long long)BOOT_KERNEL_HIGH + prot_len);
        return -1;
    }
    bs->eip = entry;
    bs->reg[6] = BOOT_LINUX_PARAMS;   /* ESI; EBX = EBP = EDI = 0 */
    bs->kind = "linux";
    return 0;
}
