/* Loaders: put a kernel (multiboot ELF, Linux bzImage) or a ROM into guest
 * physical memory and describe the CPU state it must start in. They write
 * only to phys and to a struct boot_state, so they are tested without a
 * CPU; the machine applies the state (machine.c).
 *
 * Every failure is one line in err naming the file or flag and the problem;
 * the caller prints it and exits with status 2. */
#ifndef PAGODA_BOOT_H
#define PAGODA_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct phys;
struct machine_config;

/* Low-memory layout shared by the loaders (all inside the 640 KiB of
 * conventional memory the memory map reports as available). */
#define BOOT_GDT_ADDR       0x1000u    /* null, null, 0x10 code, 0x18 data */
#define BOOT_STACK_TOP      0x7000u    /* an ESP that points at RAM */
#define BOOT_MB_ARENA       0x8000u    /* multiboot info, mmap, strings */
#define BOOT_MB_ARENA_END   0x9F000u
#define BOOT_LINUX_PARAMS   0x10000u   /* Linux boot_params (zero page) */
#define BOOT_LINUX_CMDLINE  0x20000u
#define BOOT_LINUX_CMDLINE_END 0x30000u
#define BOOT_KERNEL_HIGH    0x100000u  /* bzImage protected-mode code */

#define BOOT_CS 0x10u     /* Linux __BOOT_CS: flat 4 GiB code */
#define BOOT_DS 0x18u     /* Linux __BOOT_DS: flat 4 GiB data */

/* A segment as the loader sets it: selector plus descriptor cache. flags
 * holds descriptor bits 40..55 (access byte, AVL/D/G) with limit 19:16
 * zero, as struct seg in cpu/cpu.h. */
struct boot_seg {
    uint16_t sel;
    uint32_t base, limit;
    uint16_t flags;
};

struct boot_state {
    bool reset_vector;    /* true: leave the CPU in its reset state (ROM) */
    uint32_t reg[8];      /* indexed by enum cpu_reg */
    uint32_t eip, eflags;
    uint32_t cr0_set;     /* bits to set in CR0 (PE) */
    struct boot_seg cs, ds;   /* ds goes to DS, ES, FS, GS and SS */
    uint32_t gdt_base;
    uint16_t gdt_limit;
    const char *kind;     /* "multiboot", "linux", "rom": for messages */
};

/* The e820-style memory map every loader reports. */
enum { E820_RAM = 1, E820_RESERVED = 2 };
struct e820_entry {
    uint64_t addr, size;
    uint32_t type;
};
#define E820_MAX 8
#define E820_BIOS_TABLES 0x20000u     /* top of RAM SeaBIOS keeps for itself */
#define E820_FLASH_BASE  0xFFFC0000u  /* QEMU's 256 KiB BIOS flash under 4 GiB */
unsigned e820_build(uint32_t ram_bytes, struct e820_entry *out);
/* The end of the usable RAM above 1 MiB that e820_build reports. */
uint32_t e820_usable_top(uint32_t ram_bytes);

/* Read a whole file. max: larger files are refused with a message naming
 * what (e.g. "the guest's 128 MiB of RAM") they do not fit in. */
int boot_read_file(const char *path, size_t max, const char *max_what,
                   uint8_t **data, size_t *len, char *err, size_t errlen);

/* Fill [pa, pa+len) of RAM with zeros; -1 unless all of it is RAM. */
int boot_zero(struct phys *p, uint32_t pa, uint32_t len);

/* Write the flat GDT at BOOT_GDT_ADDR and fill cs/ds/gdt of bs. */
int boot_flat_gdt(struct phys *p, struct boot_state *bs);

/* Multiboot v1 (ELF, or any image with the address fields of flag 16). */
bool multiboot_find_header(const uint8_t *img, size_t len, uint32_t *offset);
int load_multiboot(struct phys *p, const char *path, const uint8_t *img, size_t len,
                   const char *modules, const char *cmdline,
                   struct boot_state *bs, char *err, size_t errlen);

/* Linux 32-bit boot protocol (bzImage, protocol 2.02+). */
int load_bzimage(struct phys *p, const char *path, const uint8_t *img, size_t len,
                 const char *initrd, const char *cmdline,
                 struct boot_state *bs, char *err, size_t errlen);

/* A raw 64 KiB or 128 KiB ROM under 1 MiB and under 4 GiB. */
int load_rom(struct phys *p, const char *path, struct boot_state *bs,
             char *err, size_t errlen);

/* Pick the loader for cfg (image kind by content), load, fill bs. */
int boot_load(struct phys *p, const struct machine_config *cfg, const char *kernel,
              struct boot_state *bs, char *err, size_t errlen);

#endif
