/* The guest-info port (see guestinfo.h). Only a dword OUT is an
 * announcement: the ABI defines no byte or word form, and a stray narrow
 * write (an I/O-delay loop, a probe) must not be taken for an address. */
#include "devices/guestinfo.h"

#include <stdlib.h>

#include "devices/iobus.h"
#include "machine/events.h"

struct guestinfo {
    struct iobus *bus;
    struct events *ev;
    bool seen;
    uint32_t phys;
    uint32_t count;
};

static uint32_t gi_read(void *ctx, uint16_t port, int size)
{
    (void)ctx;
    (void)port;
    return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
}

static void gi_write(void *ctx, uint16_t port, uint32_t val, int size)
{
    struct guestinfo *g = ctx;
    (void)port;
    if (size != 4)
        return;
    g->seen = true;
    g->phys = val;
    g->count++;
    if (g->ev)
        events_push(g->ev, EV_GUEST_INFO, val, 0, 0, 0);
}

struct guestinfo *guestinfo_create(struct iobus *bus, struct events *ev)
{
    struct guestinfo *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->bus = bus;
    g->ev = ev;
    struct io_handler h = { .read = gi_read, .write = gi_write, .ctx = g,
                            .wide = true, .name = "guest-info" };
    /* 4 ports: a dword OUT to 0x0EF0 covers 0x0EF0-0x0EF3 */
    if (iobus_register(bus, GUESTINFO_IO_PORT, 4, &h) < 0) {
        iobus_release(bus, g);
        free(g);
        return NULL;
    }
    return g;
}

void guestinfo_destroy(struct guestinfo *g)
{
    if (!g)
        return;
    iobus_release(g->bus, g);
    free(g);
}

void guestinfo_reset(struct guestinfo *g)
{
    g->seen = false;
    g->phys = 0;
    g->count = 0;
}

bool guestinfo_phys(const struct guestinfo *g, uint32_t *phys)
{
    if (g->seen && phys)
        *phys = g->phys;
    return g->seen;
}

uint32_t guestinfo_count(const struct guestinfo *g)
{
    return g->count;
}
