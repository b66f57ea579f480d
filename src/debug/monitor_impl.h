/* Monitor internals shared by the command files (not for other rooms). */
#ifndef PAGODA_DEBUG_MONITOR_IMPL_H
#define PAGODA_DEBUG_MONITOR_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "debug/debugger.h"

/* Arguments after the command word; argv[0] is the command itself. */
#define MON_MAX_ARGS 8
struct mon_args {
    int argc;
    char *argv[MON_MAX_ARGS];
};

/* A number (hex, "0x" optional; "#123" decimal) or a register name
 * (eax..edi, esp, ebp, eip, cr0..cr4, with or without '$'). */
bool mon_parse_value(struct debugger *d, const char *s, uint32_t *out);
/* A decimal count (instructions, lines). */
bool mon_parse_count(const char *s, uint64_t *out);

int mon_regs(struct debugger *d, const struct mon_args *a, FILE *out);
int mon_examine(struct debugger *d, const struct mon_args *a, FILE *out, bool physical);
int mon_unassemble(struct debugger *d, uint32_t lin, uint64_t count, FILE *out);
int mon_translate(struct debugger *d, const struct mon_args *a, FILE *out);
int mon_tlb(struct debugger *d, const struct mon_args *a, FILE *out);
int mon_info_mem(struct debugger *d, FILE *out);
int mon_info_tab(struct debugger *d, FILE *out);
int mon_events(struct debugger *d, const struct mon_args *a, FILE *out);

#endif
