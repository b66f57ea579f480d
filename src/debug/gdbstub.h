/* A GDB remote-serial-protocol stub on 127.0.0.1 (never another
 * interface): `target remote :PORT` from gdb. Packets: ? g G p P m M c s
 * Z0/z0 (Z1/z1 alike: the debugger's breakpoints are on linear addresses),
 * qSupported, qAttached, qC, qfThreadInfo/qsThreadInfo, H, D, k, and
 * Ctrl-C while running. Registers in gdb's i386 order: eax ecx edx ebx esp
 * ebp esi edi eip eflags cs ss ds es fs gs; memory addresses are linear
 * (translated through the guest's page tables without touching A/D bits). */
#ifndef PAGODA_GDBSTUB_H
#define PAGODA_GDBSTUB_H

#include <stddef.h>
#include <stdint.h>

#include "debug/debugger.h"

struct gdbstub;

/* Listen on 127.0.0.1:port (0: any free port). *bound (may be NULL) gets
 * the port. NULL with a message in err on failure. */
struct gdbstub *gdbstub_listen(struct debugger *d, uint16_t port, uint16_t *bound,
                               char *err, size_t errlen);
void gdbstub_close(struct gdbstub *g);

enum gdbstub_end {
    GDB_DETACHED,        /* D: the guest may go on running without gdb */
    GDB_KILLED,          /* k */
    GDB_DISCONNECTED,    /* the connection closed */
    GDB_MACHINE_STOPPED, /* the machine stopped (exit port, halt, ...): *res */
    GDB_ERROR,
};

/* Wait for one connection and serve it until it ends. */
enum gdbstub_end gdbstub_serve(struct gdbstub *g, struct machine_result *res);

/* One packet's reply (without framing), for tests and for serve. Returns
 * the reply length; `c` and `s` run the machine before replying. */
size_t gdbstub_handle(struct gdbstub *g, const char *pkt, size_t len, char *reply, size_t cap);

#endif
