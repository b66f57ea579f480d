#include "machine/vclock.h"

void vclock_init(struct vclock *vc, const uint64_t *icount, uint32_t mhz)
{
    vc->icount = icount;
    vc->idle = 0;
    vc->mhz = mhz ? mhz : 1;
    vc->head = 0;
    vc->deadline_changed = 0;
    vc->deadline_ctx = 0;
}

uint64_t vclock_now(const struct vclock *vc)
{
    return *vc->icount + vc->idle;
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
    if (vc->head == t && vc->deadline_changed)
        vc->deadline_changed(vc->deadline_ctx, when);
}

uint64_t vclock_next(const struct vclock *vc)
{
    return vc->head ? vc->head->when : VCLOCK_NEVER;
}

void vclock_run_due(struct vclock *vc)
{
    uint64_t now = vclock_now(vc);
    while (vc->head && vc->head->when <= now) {
        struct vtimer *t = vc->head;
        vc->head = t->next;
        t->next = 0;
        t->armed = false;
        t->fn(t->ctx, now);  /* may re-arm itself */
    }
}

void vclock_skip_to(struct vclock *vc, uint64_t to)
{
    uint64_t now = vclock_now(vc);
    if (to > now)
        vc->idle += to - now;
    vclock_run_due(vc);
}

uint64_t vclock_ns(const struct vclock *vc)
{
    return vclock_now(vc) * 1000u / vc->mhz;
}

uint64_t vclock_ticks_from_ns(const struct vclock *vc, uint64_t ns)
{
    return ns * vc->mhz / 1000u;
}
