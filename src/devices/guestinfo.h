/* The guest-info port (docs/guest-info.md): I/O port 0x0EF0, where a guest
 * kernel announces with one 32-bit OUT the physical address of its
 * struct pagoda_guest_info. The device remembers the latest address and
 * logs an EV_GUEST_INFO event (a = the address) for the UI, the monitor
 * and traces. The port has no reads: they float high, as on a PC without
 * the device, so the guest cannot tell the difference. */
#ifndef PAGODA_DEV_GUESTINFO_H
#define PAGODA_DEV_GUESTINFO_H

#include <stdbool.h>
#include <stdint.h>

struct iobus;
struct events;
struct guestinfo;

#define GUESTINFO_IO_PORT 0x0EF0

/* NULL if the port is taken or memory runs out. ev may be NULL. */
struct guestinfo *guestinfo_create(struct iobus *bus, struct events *ev);
void guestinfo_destroy(struct guestinfo *g);
void guestinfo_reset(struct guestinfo *g);   /* forget the address (machine reset) */

/* The address of the last announcement; false if none since reset. */
bool guestinfo_phys(const struct guestinfo *g, uint32_t *phys);
/* Announcements since reset (the guest repeats one when its generation moves). */
uint32_t guestinfo_count(const struct guestinfo *g);

#endif
