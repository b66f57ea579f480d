/* A small hand-built machine for the debugger and UI tests: a real struct
 * machine (booted from a blank 64 KiB ROM, then put in flat 32-bit mode)
 * whose page tables the fixture writes into RAM:
 *
 *   PD at 0x20000 (CR3), CR4.PSE, CR0.PG|WP
 *   PDE[0]     -> PT 0x21000, supervisor, writable
 *                 PTE[0x100..0x10f] identity 0x100000.., supervisor RW
 *                 PTE[5]  -> 0x5000 supervisor read-only
 *   PDE[0x20]  -> PT 0x22000, user, writable     (0x08000000..)
 *                 PTE[0x48] -> 0x300000 user read-only, A
 *                 PTE[0x49] -> 0x301000 user RW, A D
 *   PDE[0x300] -> 4 MiB page at 0x400000, supervisor RW, global
 *
 * Code at 0x100000 (linear = physical):
 *   100000  B8 44 33 22 11   mov eax, 0x11223344
 *   100005  A3 10 90 04 08   mov [0x08049010], eax      (phys 0x301010)
 *   10000a  40               inc eax
 *   10000b  90               nop
 *   10000c  EB FE            jmp $
 */
#ifndef PAGODA_TEST_DEBUG_FIXTURE_H
#define PAGODA_TEST_DEBUG_FIXTURE_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "devices/i8042.h"
#include "machine/machine.h"
#include "mmu/paging.h"
#include "mmu/phys.h"

#define FIX_PD   0x20000u
#define FIX_PT0  0x21000u
#define FIX_PTU  0x22000u

static struct machine *fixture_machine(void)
{
    char rom[] = "/tmp/pagoda-test-romXXXXXX";
    int fd = mkstemp(rom);
    if (fd < 0)
        return NULL;
    static uint8_t blank[64 << 10];
    memset(blank, 0xf4, sizeof blank);   /* hlt */
    if (write(fd, blank, sizeof blank) != (ssize_t)sizeof blank) {
        close(fd);
        unlink(rom);
        return NULL;
    }
    close(fd);
    struct machine_config cfg;
    options_defaults(&cfg);
    cfg.ram_bytes = 16u << 20;
    cfg.serial = SERIAL_NONE;
    cfg.bios = rom;
    cfg.rtc_set = true;
    cfg.rtc_base = 0;
    char err[256];
    struct machine *m = machine_create(&cfg, NULL, err, sizeof err);
    unlink(rom);
    if (!m)
        return NULL;
    m->cfg.bios = NULL;   /* the path is gone; a reset would not need it again */

    i8042_set_a20(m->kbc, true);   /* as a boot loader leaves it */
    struct phys *p = m->phys;
    phys_write(p, FIX_PD + 0 * 4, FIX_PT0 | PG_P | PG_RW, 4);
    phys_write(p, FIX_PD + 0x20 * 4, FIX_PTU | PG_P | PG_RW | PG_US, 4);
    phys_write(p, FIX_PD + 0x300 * 4, 0x400000u | PG_P | PG_RW | PG_PS | PG_G, 4);
    for (uint32_t i = 0x100; i < 0x110; i++)
        phys_write(p, FIX_PT0 + i * 4, (i << 12) | PG_P | PG_RW, 4);
    phys_write(p, FIX_PT0 + 5 * 4, 0x5000u | PG_P, 4);
    phys_write(p, FIX_PTU + 0x48 * 4, 0x300000u | PG_P | PG_US | PG_A, 4);
    phys_write(p, FIX_PTU + 0x49 * 4, 0x301000u | PG_P | PG_RW | PG_US | PG_A | PG_D, 4);

    static const uint8_t code[] = { 0xB8, 0x44, 0x33, 0x22, 0x11, 0xA3, 0x10, 0x90, 0x04, 0x08,
                                    0x40, 0x90, 0xEB, 0xFE };
    phys_write_block(p, 0x100000u, code, sizeof code);
    phys_write(p, 0x300000u, 0xdeadbeefu, 4);
    phys_write(p, 0x300004u, 0x04030201u, 4);

    cpu_set_flat32(m->cpu);
    cpu_set_eip(m->cpu, 0x100000u);
    cpu_set_reg(m->cpu, R_ESP, 0x7000u);
    cpu_set_eflags(m->cpu, 0x2u);
    cpu_set_cr(m->cpu, 4, CR4_PSE);
    cpu_set_cr(m->cpu, 3, FIX_PD);
    cpu_set_cr(m->cpu, 0, cpu_get_cr(m->cpu, 0) | CR0_PG | CR0_WP);
    return m;
}

#endif
