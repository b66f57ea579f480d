/* The debugger: run control (step, continue, breakpoints on linear
 * addresses, write watches on physical pages, "run to the next TLB miss or
 * page fault") and the monitor commands that print machine state.
 *
 * The debugger only reads the machine through the rooms' public queries
 * (cpu.h, mmu.h, paging.h, phys.h, events.h) and drives it through
 * machine_run / cpu_step; it never changes what the guest computes: a run
 * under the debugger retires the same instructions with the same results
 * as a run without it. */
#ifndef PAGODA_DEBUGGER_H
#define PAGODA_DEBUGGER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "machine/machine.h"

#define DBG_MAX_BREAKS  16
#define DBG_MAX_WATCHES 8

struct dbg_break {
    bool used;
    uint32_t lin;         /* linear address of the instruction's first byte */
    uint64_t hits;
};

struct dbg_watch {
    bool used;
    uint32_t phys;        /* page-aligned physical address */
    uint8_t *copy;        /* the page as last seen (4 KiB) */
    uint64_t hits;
};

struct debugger {
    struct machine *m;
    struct dbg_break brk[DBG_MAX_BREAKS];
    struct dbg_watch watch[DBG_MAX_WATCHES];
    /* the last stop, for the monitor's and the UI's status lines */
    int last_break;       /* index into brk, -1 if none */
    int last_watch;       /* index into watch, -1 if none */
    uint32_t last_watch_off;  /* first byte that changed in the watched page */
    /* polled between instructions and slices (a SIGINT handler stores the
     * signal number there); may be NULL */
    volatile sig_atomic_t *signal_seen;
};

/* Why dbg_run returned. */
enum dbg_stop {
    DBG_STOP_DONE,        /* ran the number of instructions asked for */
    DBG_STOP_BREAK,       /* EIP reached a breakpoint (not yet executed) */
    DBG_STOP_WATCH,       /* an instruction wrote a watched physical page */
    DBG_STOP_TLB_MISS,    /* the last instruction missed the TLB */
    DBG_STOP_PAGE_FAULT,  /* the last instruction raised #PF */
    DBG_STOP_MACHINE,     /* the machine stopped (halt, exit port, ...): see res */
};

/* Stop conditions for dbg_run besides breakpoints and watches. */
#define DBG_UNTIL_TLB_MISS   1u
#define DBG_UNTIL_PAGE_FAULT 2u

void dbg_init(struct debugger *d, struct machine *m);
void dbg_free(struct debugger *d);

/* Breakpoints: return the slot number (0..), the existing slot if lin
 * already has one, or -1 if the table is full. */
int dbg_break_add(struct debugger *d, uint32_t lin);
bool dbg_break_delete(struct debugger *d, int slot);
/* Watch writes to the 4 KiB physical page holding phys. Returns the slot or -1. */
int dbg_watch_add(struct debugger *d, uint32_t phys);
bool dbg_watch_delete(struct debugger *d, int slot);

/* Run up to n instructions (n = 0: no limit but the machine's own stops)
 * with breakpoints, watches and `until` conditions checked after every
 * instruction. With none of those the guest runs at full speed through
 * machine_run. res (may be NULL) receives the machine's stop report when
 * the result is DBG_STOP_MACHINE. *executed (may be NULL): instructions
 * retired by this call. */
enum dbg_stop dbg_run(struct debugger *d, uint64_t n, unsigned until,
                      struct machine_result *res, uint64_t *executed);

/* The same for a run slice of about n instructions (the UI between
 * frames): at full speed unless breakpoints or watches are set, possibly
 * a few instructions past n (cpu_run ends at a decoded trace's end). */
enum dbg_stop dbg_run_slice(struct debugger *d, uint64_t n, struct machine_result *res,
                            uint64_t *executed);

/* The linear address of the next instruction (CS.base + EIP). */
uint32_t dbg_pc(const struct debugger *d);

/* Short text for a stop ("breakpoint 1 at 00100010", "guest halted ...").
 * res is used for DBG_STOP_MACHINE. */
void dbg_stop_format(const struct debugger *d, enum dbg_stop why,
                     const struct machine_result *res, char *buf, size_t len);

/* The monitor. Executes one command line, printing to out. Returns
 * MON_OK, MON_ERROR (a message was printed) or MON_QUIT. */
enum { MON_OK = 0, MON_ERROR = -1, MON_QUIT = 1 };
int monitor_exec(struct debugger *d, const char *line, FILE *out);
/* Read commands from in until `quit` or end of input, with a "(pagoda) "
 * prompt if asked; an empty line repeats a step or trace. Returns
 * MON_QUIT or MON_OK (end of input). */
int monitor_repl(struct debugger *d, FILE *in, FILE *out, bool prompt);

/* Disassemble the instruction at buf (n bytes valid) that sits at eip, in
 * Intel syntax, with 32- or 16-bit default sizes. Returns its length, or
 * <= 0 as cpu_insn_decode (out then says "(bad)" or "(truncated)"). */
int dbg_disasm(const uint8_t *buf, unsigned n, uint32_t eip, bool code32, char *out, size_t len);
/* Read up to n bytes at a linear address through the page tables (a
 * supervisor probe: no A/D bits, no TLB fill, no MMIO). Returns how many
 * bytes could be read before an unmapped page or MMIO. */
unsigned dbg_read_lin(struct debugger *d, uint32_t lin, uint8_t *buf, unsigned n);
/* The instruction at the current CS:EIP, disassembled ("(unmapped)" if it
 * cannot be read). Returns its length or <= 0. */
int dbg_disasm_pc(struct debugger *d, char *out, size_t len);

/* Decoded #PF error code, "not-P W U" style as paging_walk_format prints it. */
void dbg_pf_err_format(uint32_t err, char *buf, size_t len);
/* One event of the event log as one line (no newline). */
void dbg_event_format(const struct event *e, char *buf, size_t len);
/* Exception mnemonic for a vector ("#PF"), or "int" for vectors >= 32. */
const char *dbg_vector_name(uint32_t vector);

#endif
