/* What every test image may use: serial console, printf-lite, the
 * multiboot info, interrupts, a few libc functions, exit. */
#ifndef TEST_GUEST_H
#define TEST_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "multiboot.h"

/* COM1 at 115200 8N1; '\n' is sent as is (no CR) so that serial output
 * compares byte for byte between Pagoda and QEMU. */
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);

/* %s %c %d %u %x %X %p with optional '0' and width; to COM1. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The exit port 0xF4 (QEMU: -device isa-debug-exit,iobase=0xf4): the
 * emulator exits with status (code << 1) | 1. Halts if nothing listens. */
void guest_exit(int code) __attribute__((noreturn));

/* The arguments after the kernel path in the multiboot command line. */
const char *boot_args(const struct multiboot_info *mbi);
/* Value of "key=" in args, or NULL; has_word: the word appears on its own. */
const char *arg_value(const char *args, const char *key);
int has_word(const char *args, const char *word);
unsigned long parse_ulong(const char *s);

/* Interrupts: an IDT for vectors 0-47, the PIC pair remapped to 0x20/0x28.
 * Exceptions print their vector and exit with code 0x7E. */
struct irq_frame {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t vector, err, eip, cs, eflags;
};
typedef void (*irq_fn)(struct irq_frame *f);
void irq_init(void);
void irq_register(int irq, irq_fn fn);   /* unmasks the IRQ */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
const char *strstr(const char *h, const char *n);

/* FNV-1a over bytes: the checksum the integration tests compare. */
uint32_t fnv1a(const void *p, size_t n, uint32_t h);
#define FNV_INIT 0x811C9DC5u

#endif
