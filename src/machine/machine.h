/* The PC: physical memory, the MMU and the CPU, the I/O bus with the
 * devices on it, virtual time and the event log, wired together, plus the
 * run loop that drives them. One struct machine per emulated PC; nothing is
 * global, so tests may build several side by side. */
#ifndef PAGODA_MACHINE_H
#define PAGODA_MACHINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/iobus.h"
#include "machine/boot.h"
#include "machine/events.h"
#include "machine/options.h"
#include "machine/vclock.h"
#include "mmu/mmu.h"

struct cpu;
struct pic;
struct pit;
struct uart;
struct cmos;
struct i8042;
struct dma;
struct fdc;
struct debugport;
struct guestinfo;

struct machine {
    struct machine_config cfg;
    const char *kernel;          /* the image booted (NULL with --bios) */
    struct phys *phys;
    struct mmu mmu;
    struct cpu *cpu;
    struct iobus io;
    struct vclock vc;
    struct events ev;
    uint64_t no_icount;          /* the event log's clock until the CPU exists */

    struct pic *pic;
    struct pit *pit;
    struct uart *com1, *com2;
    struct cmos *cmos;
    struct i8042 *kbc;
    struct dma *dma;
    struct fdc *fdc;
    struct debugport *dbg;
    struct guestinfo *ginfo;     /* port 0x0EF0 (docs/guest-info.md) */

    FILE *serial_out;            /* COM1 output (owned when a file) */
    FILE *debugcon;
    FILE *post_log;
    bool own_serial_out, own_debugcon;
    bool serial_input;           /* COM1 reads the host's stdin, not at EOF yet */

    struct boot_state boot;

    /* run state */
    uint64_t slice_end;          /* icount at which the current cpu_run ends */
    bool exit_requested;
    int exit_status;
    bool reset_requested;
    uint64_t resets;
};

/* Build a machine for cfg booting `kernel` (ignored with cfg->bios). On
 * failure returns NULL with one line in err (the caller exits with 2). */
struct machine *machine_create(const struct machine_config *cfg, const char *kernel,
                               char *err, size_t errlen);
void machine_destroy(struct machine *m);   /* flushes the floppy and logs */

/* Power-on/reset: CPU and devices to their reset state, RAM reloaded with
 * the boot image, the loader's entry state applied. Returns 0 or -1 (err). */
int machine_reset(struct machine *m, char *err, size_t errlen);

/* Make written floppy sectors and output durable (exit, SIGINT/SIGTERM). */
void machine_flush(struct machine *m);

enum machine_stop {
    MSTOP_HALT,          /* halted with IF = 0, or nothing left that could wake it */
    MSTOP_IDLE,          /* an hour of virtual time halted, silent, with no input left */
    MSTOP_TRIPLE_FAULT,
    MSTOP_MAX_INSNS,
    MSTOP_EXIT_PORT,
    MSTOP_SIGNAL,
    MSTOP_BREAKPOINT,
    MSTOP_ERROR,         /* the reset after a triple fault could not reload the image */
};

struct machine_result {
    enum machine_stop reason;
    int exit_status;     /* what `pagoda run` exits with */
    int signal;          /* MSTOP_SIGNAL: which one */
    uint32_t eip;
    uint64_t icount;
    int last_post;       /* -1: none */
    double host_seconds;
};

/* Run until one of the stops above. *signal_seen (may be NULL) is polled
 * between slices: a handler stores the signal number there. */
enum machine_stop machine_run(struct machine *m, volatile sig_atomic_t *signal_seen,
                              struct machine_result *res);

/* Where the guest last announced its guest-info block (port 0x0EF0, a
 * physical address); false if it has not since the last reset. */
bool machine_guest_info(const struct machine *m, uint32_t *phys);

/* The one stop-report line (no newline) and the --stats lines. */
void machine_format_report(const struct machine_result *res, char *buf, size_t len);
void machine_print_stats(const struct machine *m, const struct machine_result *res, FILE *out);

#endif
