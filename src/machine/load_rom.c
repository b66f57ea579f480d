/* --bios ROM: a raw 64 KiB or 128 KiB image mapped at the top of the first
 * MiB (where real-mode code finds it) and at the top of the 4 GiB space
 * (where the reset vector 0xFFFFFFF0 is: SDM Vol. 3 §9.1.4, first
 * instruction fetched), plus the A20-masked alias of the latter. The CPU
 * starts in its reset state. */
#include "machine/boot.h"

#include <stdio.h>
#include <stdlib.h>

#include "mmu/phys.h"

int load_rom(struct phys *p, const char *path, struct boot_state *bs,
             char *err, size_t errlen)
{
    uint8_t *data;
    size_t len;
    if (boot_read_file(path, 128u << 10, "128 KiB (a BIOS ROM is 64 KiB or 128 KiB)",
                       &data, &len, err, errlen) < 0)
        return -1;
    if (len != (64u << 10) && len != (128u << 10)) {
        snprintf(err, errlen, "%s: %zu bytes, but a BIOS ROM must be exactly 65536 or 131072 bytes", path, len);
        free(data);
        return -1;
    }
    uint32_t size = (uint32_t)len;
    int r = phys_add_rom(p, 0x100000u - size, data, size);
    if (r == 0)
        r = phys_add_rom(p, (uint32_t)(0x100000000ull - size), data, size);
    /* A20 is off at reset, so the first fetch at 0xFFFFFFF0 goes out as
     * 0xFFEFFFF0: PC chipsets decode the ROM there too */
    if (r == 0)
        r = phys_add_rom(p, (uint32_t)(0x100000000ull - 0x100000u - size), data, size);
    free(data);
    if (r < 0) {
        snprintf(err, errlen, "%s: cannot map the ROM (its address range is already taken)", path);
        return -1;
    }
    bs->reset_vector = true;
    bs->kind = "rom";
    return 0;
}
