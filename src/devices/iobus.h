/* The I/O-port bus: 65536 ports, each owned by at most one device. Ports no
 * device claims read as all ones and ignore writes. A 16- or 32-bit access
 * to a port whose owner registered only byte access is split into bytes. */
#ifndef PAGODA_IOBUS_H
#define PAGODA_IOBUS_H

#include <stdbool.h>
#include <stdint.h>

typedef uint32_t (*io_read_fn)(void *ctx, uint16_t port, int size);
typedef void (*io_write_fn)(void *ctx, uint16_t port, uint32_t val, int size);

struct io_handler {
    io_read_fn read;
    io_write_fn write;
    void *ctx;
    bool wide;          /* accepts 2- and 4-byte accesses as one */
    const char *name;
};

#define IOBUS_MAX_HANDLERS 64

struct iobus {
    uint8_t owner[65536];   /* 0 = none, else index+1 into handlers */
    struct io_handler handlers[IOBUS_MAX_HANDLERS];
    unsigned nhandlers;
};

void iobus_init(struct iobus *bus);
/* Claim [first, first+count). Returns 0, or -1 if a port is taken or the
 * table is full. */
int iobus_register(struct iobus *bus, uint16_t first, unsigned count,
                   const struct io_handler *h);
/* Release every port whose handler has this ctx (a device whose creation
 * failed half-way, or that is being destroyed). Handler slots are not
 * reused. */
void iobus_release(struct iobus *bus, const void *ctx);
uint32_t iobus_in(struct iobus *bus, uint16_t port, int size);
void iobus_out(struct iobus *bus, uint16_t port, uint32_t val, int size);
const char *iobus_owner_name(const struct iobus *bus, uint16_t port);

#endif
