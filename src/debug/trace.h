/* Event tracing: run the machine to its stop while streaming the event log
 * (page faults, exceptions, CR3 loads, TLB flushes, INVLPG, IRQs, DMA) to a
 * file, one line per event, in the words the monitor's `events` uses. The
 * log is a ring; the run goes in slices short enough that it is drained
 * before it wraps, and any loss is reported in the trace. */
#ifndef PAGODA_TRACE_H
#define PAGODA_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "debug/debugger.h"

/* kinds: a mask of (1 << EV_...) to write (0: all). Returns the machine's
 * stop (as machine_run) with its report in *res. */
enum machine_stop dbg_trace_run(struct debugger *d, FILE *out, uint32_t kinds,
                                struct machine_result *res);

/* Parse "pf,cr3,flush,invlpg,irq,dma,exc,triple,info" or "all" into a
 * kinds mask. Returns 0, or -1 naming the unknown word in err. */
int dbg_trace_parse_kinds(const char *s, uint32_t *kinds, char *err, size_t errlen);

#endif
