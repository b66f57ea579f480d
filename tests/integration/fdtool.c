/* Host helper for the floppy integration tests:
 *   fdtool make FILE          write a 1.44 MB image whose every byte depends
 *                             on its sector and offset
 *   fdtool sum FILE LBA N     FNV-1a of sectors LBA..LBA+N-1, as the guest
 *                             image prints it ("0x%08x") */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTORS 2880u

static uint8_t pattern(uint32_t lba, uint32_t off)
{
    return (uint8_t)(lba * 31u + off * 7u + (off >> 8) + (lba >> 3));
}

static int make(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return 1;
    }
    uint8_t sec[512];
    for (uint32_t lba = 0; lba < SECTORS; lba++) {
        for (uint32_t i = 0; i < 512; i++)
            sec[i] = pattern(lba, i);
        if (fwrite(sec, 1, sizeof sec, f) != sizeof sec) {
            perror(path);
            fclose(f);
            return 1;
        }
    }
    return fclose(f) == 0 ? 0 : 1;
}

static int sum(const char *path, unsigned long lba, unsigned long n)
{
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, (long)(lba * 512), SEEK_SET) != 0) {
        perror(path);
        return 1;
    }
    uint32_t h = 0x811C9DC5u;
    for (unsigned long i = 0; i < n * 512; i++) {
        int c = fgetc(f);
        if (c == EOF) {
            fprintf(stderr, "%s: short\n", path);
            fclose(f);
            return 1;
        }
        h ^= (uint8_t)c;
        h *= 16777619u;
    }
    fclose(f);
    printf("0x%08x\n", h);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "make") == 0)
        return make(argv[2]);
    if (argc == 5 && strcmp(argv[1], "sum") == 0)
        return sum(argv[2], strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
    fprintf(stderr, "usage: fdtool make FILE | fdtool sum FILE LBA N\n");
    return 2;
}
