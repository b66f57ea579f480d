/* Writes the malformed inputs of the integration tests into a directory:
 *   nomb.elf       a valid i386 ELF without a multiboot header
 *   overlap.elf    a multiboot ELF whose two segments overlap
 *   bigseg.elf     a multiboot ELF with 2 MiB of bss at 1 MiB (too big for -m 2M)
 *   badmagic.bin   a boot sector that claims to be Linux but has no "HdrS"
 *   oldproto.bin   a Linux image with boot protocol 2.01
 *   truncated.elf  a multiboot ELF cut inside its segment
 *   junk.bin       4 KiB of text
 *   empty.bin      nothing */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MB_MAGIC 0x1BADB002u

static int put(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

struct seg {
    uint32_t paddr, filesz, memsz;
};

static size_t elf(uint8_t *buf, const struct seg *s, int n, int multiboot)
{
    memset(buf, 0, 0x4000);
    Elf32_Ehdr eh = { 0 };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_386;
    eh.e_version = EV_CURRENT;
    eh.e_entry = s[0].paddr;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf32_Phdr);
    eh.e_phnum = (Elf32_Half)n;
    memcpy(buf, &eh, sizeof eh);
    for (int i = 0; i < n; i++) {
        Elf32_Phdr ph = { .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = s[i].paddr,
                          .p_paddr = s[i].paddr, .p_filesz = s[i].filesz, .p_memsz = s[i].memsz,
                          .p_flags = PF_R | PF_X, .p_align = 0x1000 };
        memcpy(buf + sizeof eh + i * sizeof ph, &ph, sizeof ph);
    }
    memset(buf + 0x1000, 0xF4, 0x1000);   /* hlt */
    if (multiboot) {
        uint32_t h[3] = { MB_MAGIC, 0, -MB_MAGIC };
        memcpy(buf + 0x200, h, sizeof h);
    }
    return 0x2000;
}

static size_t linux_image(uint8_t *buf, uint16_t version, const char *magic)
{
    memset(buf, 0, 0x4000);
    buf[0x1F1] = 1;
    buf[0x1FE] = 0x55;
    buf[0x1FF] = 0xAA;
    buf[0x201] = 0x60;
    memcpy(buf + 0x202, magic, 4);
    memcpy(buf + 0x206, &version, 2);
    buf[0x211] = 1;
    uint32_t sys = (0x4000 - 0x400) / 16;
    memcpy(buf + 0x1F4, &sys, 4);
    return 0x4000;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mkbad DIR\n");
        return 2;
    }
    const char *d = argv[1];
    static uint8_t b[0x4000];
    int r = 0;
    struct seg one[] = { { 0x100000, 0x100, 0x100 } };
    r |= put(d, "nomb.elf", b, elf(b, one, 1, 0));
    struct seg two[] = { { 0x100000, 0x1000, 0x1000 }, { 0x100800, 0x100, 0x100 } };
    r |= put(d, "overlap.elf", b, elf(b, two, 2, 1));
    struct seg big[] = { { 0x100000, 0x100, 0x200000 } };
    r |= put(d, "bigseg.elf", b, elf(b, big, 1, 1));
    elf(b, one, 1, 1);
    r |= put(d, "truncated.elf", b, 0x1080);   /* the segment ends at 0x1100 */
    r |= put(d, "badmagic.bin", b, linux_image(b, 0x020F, "HdrX"));
    r |= put(d, "oldproto.bin", b, linux_image(b, 0x0201, "HdrS"));
    memset(b, 'x', 4096);
    r |= put(d, "junk.bin", b, 4096);
    r |= put(d, "empty.bin", b, 0);
    return r;
}
