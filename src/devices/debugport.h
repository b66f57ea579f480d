/* Debug ports: 0xE9 debug console (bytes written go to a FILE*; reads give
 * 0xE9 so a guest can detect it), POST codes written to 0x80 and 0x190
 * (optionally logged in hex, one per line), and the exit port 0xF4 like
 * QEMU's isa-debug-exit: writing v asks for the run to end with exit status
 * (v << 1) | 1. */
#ifndef PAGODA_DEBUGPORT_H
#define PAGODA_DEBUGPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct iobus;
struct debugport;

#define DEBUGPORT_CON  0xE9
#define DEBUGPORT_POST 0x80
#define DEBUGPORT_POST2 0x190
#define DEBUGPORT_EXIT 0xF4

/* con and post_log may be NULL (discard / no log). exit_req(ctx, status) is
 * called on each write to the exit port. */
struct debugport *debugport_create(struct iobus *bus, FILE *con, FILE *post_log,
                                   void (*exit_req)(void *ctx, int status),
                                   void *ctx);
void debugport_destroy(struct debugport *d);
void debugport_reset(struct debugport *d);

/* The last POST code written, or -1 if none. */
int debugport_last_post(const struct debugport *d);

#endif
