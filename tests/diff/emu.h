/* Runs differential-test cases on Pagoda's CPU: one machine (phys + mmu +
 * cpu) reused for every case, flat 32-bit protected mode, paging on (pages
 * crossing into distant frames) or off, the same code and data addresses as
 * the native executor. */
#ifndef PAGODA_DIFF_EMU_H
#define PAGODA_DIFF_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diff_case.h"

struct diff_emu;

/* ring 3: the case runs at CPL 3 like the native one (exceptions switch to a
 * ring-0 stack through the TSS); ring 0: CPL 0, exception frames are pushed
 * on the case's own stack (see README). */
/* sel: the native executor's ES CS SS DS FS GS (struct diff_hello); in a
 * ring-3 run Pagoda's GDT gives these selectors equivalent descriptors. */
/* tlb_sets/tlb_ways: the MMU's TLB geometry (mmu_init). */
struct diff_emu *diff_emu_create(int ring, bool paging, unsigned tlb_sets, unsigned tlb_ways,
                                 const uint16_t sel[6], char *err, size_t errlen);
void diff_emu_destroy(struct diff_emu *e);
/* Returns 0; -1 if the instruction neither completed nor faulted within the
 * step budget (out->vector = -2 then) or ended in a triple fault (-3: the
 * machine is unusable, destroy it); 1 in ring 0 when the exception frame
 * went to an address outside guest RAM, so the faulting state is unknown
 * (ESP was an address register of the case). */
int diff_emu_run(struct diff_emu *e, const struct diff_in *in, struct diff_out *out);
/* Bytes [lo, hi) of the data area that the ring-0 exception frame of the
 * last case overwrote (lo == hi if none). */
void diff_emu_frame_span(const struct diff_emu *e, unsigned *lo, unsigned *hi);

#endif
