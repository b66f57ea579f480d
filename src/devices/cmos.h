/* The MC146818 real-time clock and its CMOS RAM at 0x70 (index; bit 7 masks
 * NMI) and 0x71 (data). The time is rtc_base (Unix seconds) plus virtual
 * time elapsed since creation, so a fixed base makes runs reproducible.
 * Periodic, alarm and update-ended interrupts go out on IRQ 8. */
#ifndef PAGODA_CMOS_H
#define PAGODA_CMOS_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"

struct iobus;
struct vclock;
struct cmos;

#define CMOS_IRQ 8

struct cmos *cmos_create(struct iobus *bus, struct vclock *vc,
                         struct irq_line irq, int64_t rtc_base);
void cmos_destroy(struct cmos *c);
/* Registers A-D to their power-on values; the clock keeps running. */
void cmos_reset(struct cmos *c);

/* Memory-size bytes as a BIOS leaves them: 0x15/0x16 base memory in KiB
 * (640), 0x17/0x18 and 0x30/0x31 extended memory above 1 MiB in KiB (capped
 * at 0xFFFF), 0x34/0x35 memory above 16 MiB in 64 KiB units; the checksum
 * at 0x2E/0x2F is updated. */
void cmos_set_memory(struct cmos *c, uint64_t ram_bytes);
/* Raw CMOS RAM access (index 0x0E-0x7F), e.g. floppy type at 0x10 (0x40 =
 * 1.44 MB drive A) and equipment byte 0x14; the checksum is kept. */
void cmos_set_byte(struct cmos *c, uint8_t index, uint8_t val);
uint8_t cmos_get_byte(const struct cmos *c, uint8_t index);

/* Port 0x70 bit 7: NMI disabled. */
bool cmos_nmi_masked(const struct cmos *c);

#endif
