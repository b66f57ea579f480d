/* Virtual time. The clock advances with instructions retired at a nominal
 * rate (mhz instructions per microsecond), so a run is reproducible: same
 * image and input give the same output. Devices arm timers on it; the run
 * loop executes the CPU up to the next deadline, then fires what is due. */
#ifndef PAGODA_VCLOCK_H
#define PAGODA_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct vclock;
typedef void (*vtimer_fn)(void *ctx, uint64_t now);

struct vtimer {
    uint64_t when;        /* absolute tick (instruction count) */
    vtimer_fn fn;
    void *ctx;
    struct vtimer *next;
    bool armed;
};

/* Now = instructions retired (read live from the CPU's counter, so a device
 * sees the right time in the middle of a run slice) + ticks skipped while
 * the CPU was halted. */
struct vclock {
    const uint64_t *icount;  /* the CPU's retired-instruction counter */
    uint64_t idle;           /* ticks skipped in HLT */
    uint32_t mhz;            /* ticks per microsecond */
    struct vtimer *head;     /* armed timers, earliest first */
    /* Told when a timer is armed earlier than any before it, so the run
     * loop can end its slice in time (may be NULL). */
    void (*deadline_changed)(void *ctx, uint64_t when);
    void *deadline_ctx;
};

#define VCLOCK_NEVER UINT64_MAX

void vclock_init(struct vclock *vc, const uint64_t *icount, uint32_t mhz);
uint64_t vclock_now(const struct vclock *vc);
void vtimer_init(struct vtimer *t, vtimer_fn fn, void *ctx);
void vtimer_arm(struct vclock *vc, struct vtimer *t, uint64_t when);
void vtimer_cancel(struct vclock *vc, struct vtimer *t);
/* Earliest armed deadline, or VCLOCK_NEVER. */
uint64_t vclock_next(const struct vclock *vc);
/* Run every timer due by now, in order. */
void vclock_run_due(struct vclock *vc);
/* The CPU is halted: skip time forward to `to` (if later), then run what is due. */
void vclock_skip_to(struct vclock *vc, uint64_t to);

/* Conversions between ticks and nanoseconds at the nominal rate. */
uint64_t vclock_ns(const struct vclock *vc);
uint64_t vclock_ticks_from_ns(const struct vclock *vc, uint64_t ns);

#endif
