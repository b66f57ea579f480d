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

struct vclock {
    uint64_t now;         /* ticks: instructions retired */
    uint32_t mhz;         /* ticks per microsecond */
    struct vtimer *head;  /* armed timers, earliest first */
};

#define VCLOCK_NEVER UINT64_MAX

void vclock_init(struct vclock *vc, uint32_t mhz);
void vtimer_init(struct vtimer *t, vtimer_fn fn, void *ctx);
void vtimer_arm(struct vclock *vc, struct vtimer *t, uint64_t when);
void vtimer_cancel(struct vclock *vc, struct vtimer *t);
/* Earliest armed deadline, or VCLOCK_NEVER. */
uint64_t vclock_next(const struct vclock *vc);
/* Move time to `to` (>= now) and run every timer due by then, in order. */
void vclock_advance(struct vclock *vc, uint64_t to);

/* Conversions between ticks and nanoseconds at the nominal rate. */
uint64_t vclock_ns(const struct vclock *vc);
uint64_t vclock_ticks_from_ns(const struct vclock *vc, uint64_t ns);

#endif
