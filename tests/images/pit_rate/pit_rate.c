/* PIT interrupt rate: channel 0 in mode 2 at divisor D (default 11932,
 * 1193182 / 11932 = 99.998 Hz) on IRQ 0; wait for N ticks (default 100)
 * sleeping in HLT, then exit. On Pagoda the run's virtual time (--stats)
 * must be N / rate seconds, whatever --mhz is. Also checks that the
 * counter, latched between ticks, stays inside [1, D]. */
#include "guest.h"

static volatile uint32_t ticks;

static void on_irq0(struct irq_frame *f)
{
    (void)f;
    ticks++;
}

static uint16_t read_counter0(void)
{
    outb(0x43, 0x00);   /* counter latch, channel 0 */
    uint8_t lo = inb(0x40);
    uint8_t hi = inb(0x40);
    return (uint16_t)(lo | hi << 8);
}

int guest_main(uint32_t magic, const struct multiboot_info *mbi);
int guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
    (void)magic;
    serial_init();
    const char *args = boot_args(mbi);
    uint32_t n = arg_value(args, "ticks") ? (uint32_t)parse_ulong(arg_value(args, "ticks")) : 100;
    uint32_t div = arg_value(args, "divisor") ? (uint32_t)parse_ulong(arg_value(args, "divisor")) : 11932;
    irq_init();
    irq_register(0, on_irq0);
    outb(0x43, 0x34);   /* channel 0, lo/hi, mode 2, binary */
    outb(0x40, (uint8_t)div);
    outb(0x40, (uint8_t)(div >> 8));
    int counter_ok = 1;
    while (ticks < n) {
        /* before the first CLK after the count is written the counter is
         * undefined (8254 data sheet, mode 2): check it from tick 1 on */
        uint16_t c = read_counter0();
        if (ticks > 0 && (c == 0 || c > div))
            counter_ok = 0;
        sti_hlt();
    }
    cli();
    outb(0x43, 0x30);   /* stop: mode 0, never loaded */
    printf("pit: %u ticks at divisor %u, counter in range: %s\n", ticks >= n ? n : ticks, div,
           counter_ok ? "yes" : "no");
    return 0;
}
