#include "machine/vclock.h"

void vclock_init(struct vclock *vc, uint32_t mhz)
{
    vc->now = 0;
    vc->mhz = mhz ? mhz : 1;
    vc->head = 0;
}

void vtimer_init(struct vtimer *t, vtimer_fn fn, void *ctx)
{
    t->when = 0;
    t->fn = fn;
    t->ctx = ctx;
    t->next = 0;
    t->armed = false;
}

void vtimer_cancel(struct vclock *vc, struct vtimer *t)
{
    if (!t->armed)
        return;
    for (struct vtimer **p = &vc->head; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->armed = false;
    t->next = 0;
}

void vtimer_arm(struct vclock *vc, struct vtimer *t, uint64_t when)
{
    vtimer_cancel(vc, t);
    t->when = when;
    struct vtimer **p = &vc->head;
    while (*p && (*p)->when <= when)   /* equal deadlines fire in arming order */
        p = &(*p)->next;
    t->next = *p;
    *p = t;
    t->armed = true;
}

uint64_t vclock_next(const struct vclock *vc)
{
    return vc->head ? vc->head->when : VCLOCK_NEVER;
}

void vclock_advance(struct vclock *vc, uint64_t to)
{
    if (to > vc->now)
        vc->now = to;
    while (vc->head && vc->head->when <= vc->now) {
        struct vtimer *t = vc->head;
        vc->head = t->next;
        t->next = 0;
        t->armed = false;
        t->fn(t->ctx, vc->now);  /* may re-arm itself */
    }
}

uint64_t vclock_ns(const struct vclock *vc)
{
    return vc->now * 1000u / vc->mhz;
}

uint64_t vclock_ticks_from_ns(const struct vclock *vc, uint64_t ns)
{
    return ns * vc->mhz / 1000u;
}
