#include "devices/iobus.h"

#include <string.h>

void iobus_init(struct iobus *bus)
{
    memset(bus, 0, sizeof *bus);
}

int iobus_register(struct iobus *bus, uint16_t first, unsigned count,
                   const struct io_handler *h)
{
    if (bus->nhandlers == IOBUS_MAX_HANDLERS || first + count > 65536u)
        return -1;
    for (unsigned i = 0; i < count; i++)
        if (bus->owner[first + i])
            return -1;
    bus->handlers[bus->nhandlers++] = *h;
    for (unsigned i = 0; i < count; i++)
        bus->owner[first + i] = (uint8_t)bus->nhandlers;
    return 0;
}

void iobus_release(struct iobus *bus, const void *ctx)
{
    for (unsigned port = 0; port < 65536; port++) {
        unsigned o = bus->owner[port];
        if (o && bus->handlers[o - 1].ctx == ctx)
            bus->owner[port] = 0;
    }
}

uint32_t iobus_in(struct iobus *bus, uint16_t port, int size)
{
    unsigned o = bus->owner[port];
    if (o) {
        struct io_handler *h = &bus->handlers[o - 1];
        if (size == 1 || h->wide)
            return h->read(h->ctx, port, size) & (size == 4 ? ~0u : (1u << (8 * size)) - 1);
    } else if (size == 1) {
        return 0xFF;
    }
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= iobus_in(bus, (uint16_t)(port + i), 1) << (8 * i);
    return v;
}

void iobus_out(struct iobus *bus, uint16_t port, uint32_t val, int size)
{
    unsigned o = bus->owner[port];
    if (o) {
        struct io_handler *h = &bus->handlers[o - 1];
        if (size == 1 || h->wide) {
            h->write(h->ctx, port, val, size);
            return;
        }
    } else if (size == 1) {
        return;
    }
    for (int i = 0; i < size; i++)
        iobus_out(bus, (uint16_t)(port + i), (val >> (8 * i)) & 0xFF, 1);
}

const char *iobus_owner_name(const struct iobus *bus, uint16_t port)
{
    unsigned o = bus->owner[port];
    return o ? bus->handlers[o - 1].name : NULL;
}
