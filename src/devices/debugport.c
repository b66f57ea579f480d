/* Debug ports. 0xE9 is the Bochs/QEMU debug console: each byte written
 * appears on the host, and a read answers 0xE9 so a guest can tell the
 * port is there. 0x80 (the POST diagnostic port, also Linux's I/O delay
 * port) and 0x190 latch the last code written; with a log FILE every code
 * is appended as two hex digits and a newline. 0xF4 behaves as QEMU's
 * isa-debug-exit: a write of v asks the machine to stop with exit status
 * (v << 1) | 1, so a guest can never produce status 0 by accident. */
#include "devices/debugport.h"

#include <stdlib.h>

#include "devices/iobus.h"

struct debugport {
    FILE *con;
    FILE *post_log;
    void (*exit_req)(void *ctx, int status);
    void *ctx;
    int last_post;
};

static uint32_t dbg_read(void *ctx, uint16_t port, int size)
{
    struct debugport *d = ctx;
    (void)size;
    switch (port) {
    case DEBUGPORT_CON: return 0xE9;
    case DEBUGPORT_POST:
    case DEBUGPORT_POST2: return d->last_post < 0 ? 0xFF : (uint32_t)d->last_post;
    default: return 0xFF;
    }
}

static void dbg_write(void *ctx, uint16_t port, uint32_t val, int size)
{
    struct debugport *d = ctx;
    switch (port) {
    case DEBUGPORT_CON:
        if (d->con) {
            /* A wide OUT carries its bytes in order, low byte first. */
            for (int i = 0; i < size; i++)
                fputc((int)(val >> (8 * i) & 0xFF), d->con);
            if (d->con != stderr)
                fflush(d->con);
        }
        break;
    case DEBUGPORT_POST:
    case DEBUGPORT_POST2:
        d->last_post = (int)(val & 0xFF);
        if (d->post_log)
            fprintf(d->post_log, "%02x\n", d->last_post);
        break;
    case DEBUGPORT_EXIT:
        if (d->exit_req)
            d->exit_req(d->ctx, (int)((val << 1) | 1));
        break;
    default:
        break;
    }
}

void debugport_reset(struct debugport *d)
{
    d->last_post = -1;
}

struct debugport *debugport_create(struct iobus *bus, FILE *con, FILE *post_log,
                                   void (*exit_req)(void *ctx, int status),
                                   void *ctx)
{
    struct debugport *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->con = con;
    d->post_log = post_log;
    d->exit_req = exit_req;
    d->ctx = ctx;
    d->last_post = -1;
    /* 0xE9 and 0xF4 take wide accesses whole (outw to 0xE9 prints two
     * characters, outl to 0xF4 exits once); the POST ports are bytes. */
    struct io_handler wide = { .read = dbg_read, .write = dbg_write, .ctx = d, .wide = true,
                               .name = "debugport" };
    struct io_handler byte = wide;
    byte.wide = false;
    if (iobus_register(bus, DEBUGPORT_CON, 1, &wide) || iobus_register(bus, DEBUGPORT_EXIT, 1, &wide) ||
        iobus_register(bus, DEBUGPORT_POST, 1, &byte) || iobus_register(bus, DEBUGPORT_POST2, 1, &byte)) {
        iobus_release(bus, d);   /* ports claimed before the one that failed */
        free(d);
        return NULL;
    }
    return d;
}

void debugport_destroy(struct debugport *d)
{
    if (!d)
        return;
    if (d->post_log)
        fflush(d->post_log);
    free(d);
}

int debugport_last_post(const struct debugport *d)
{
    return d->last_post;
}
