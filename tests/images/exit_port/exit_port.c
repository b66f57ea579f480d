/* How a run ends, chosen by the command line:
 *   code=N   write N to the exit port 0xF4 (exit status (N << 1) | 1)
 *   halt     cli; hlt (Pagoda: nothing can wake it, exit status 0)
 *   sleep    sti; hlt with every IRQ masked (nothing can wake it either)
 *   idle     sti; hlt forever with the PIT ticking at 100 Hz (Pagoda ends
 *            the run after an hour of virtual time: silent, no input)
 *   triple   an exception with no IDT: triple fault (exit status 3)
 *   spin     jmp $ forever (ends with --max-insns, exit status 124)
 *   post=N   write POST code N to port 0x80 first
 *   e9=TEXT  write TEXT to the debug console port 0xE9 first */
#include "guest.h"

static void on_tick(struct irq_frame *f)
{
    (void)f;
}

int guest_main(uint32_t magic, const struct multiboot_info *mbi);
int guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
    (void)magic;
    serial_init();
    const char *args = boot_args(mbi);
    printf("exit_port: [%s]\n", args);
    const char *e9 = arg_value(args, "e9");
    for (; e9 && *e9 && *e9 != ' '; e9++)
        outb(0xE9, (uint8_t)*e9);
    if (arg_value(args, "e9"))
        outb(0xE9, '\n');
    const char *post = arg_value(args, "post");
    if (post)
        outb(0x80, (uint8_t)parse_ulong(post));
    const char *code = arg_value(args, "code");
    if (code)
        guest_exit((int)parse_ulong(code));
    if (has_word(args, "halt")) {
        cli();
        for (;;)
            hlt();
    }
    if (has_word(args, "sleep")) {
        outb(0x21, 0xFF);
        outb(0xA1, 0xFF);
        for (;;)
            sti_hlt();
    }
    if (has_word(args, "idle")) {
        irq_init();
        irq_register(0, on_tick);
        outb(0x43, 0x34);     /* channel 0, mode 2, divisor 11932: 100 Hz */
        outb(0x40, 0x9C);
        outb(0x40, 0x2E);
        for (;;)
            sti_hlt();
    }
    if (has_word(args, "triple")) {
        struct {
            uint16_t limit;
            uint32_t base;
        } __attribute__((packed)) none = { 0, 0 };
        __asm__ volatile("lidt %0; int3" : : "m"(none));
    }
    if (has_word(args, "spin"))
        for (;;)
            __asm__ volatile("");
    printf("exit_port: nothing to do\n");
    return 0x7F;
}
