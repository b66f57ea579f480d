/* Run control: breakpoints, watches and stepping.
 *
 * Without stop conditions the guest runs through machine_run with the
 * instruction limit moved to where we want to stop, so it goes at full
 * speed with the run loop's own handling of timers, HLT and resets. With
 * breakpoints, watches or `until` conditions the debugger steps one
 * instruction at a time with cpu_step (the CPU has no breakpoint hook yet),
 * skips virtual time itself while the CPU waits in HLT for a timer, and
 * hands anything else (triple fault, exit, reset, a halt nothing can wake)
 * to machine_run, so the machine behaves as in a normal run. */
#include "debug/debugger.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "mmu/phys.h"

void dbg_init(struct debugger *d, struct machine *m)
{
    memset(d, 0, sizeof *d);
    d->m = m;
    d->last_break = -1;
    d->last_watch = -1;
}

void dbg_free(struct debugger *d)
{
    for (int i = 0; i < DBG_MAX_WATCHES; i++)
        free(d->watch[i].copy);
    memset(d->watch, 0, sizeof d->watch);
}

int dbg_break_add(struct debugger *d, uint32_t lin)
{
    int free_slot = -1;
    for (int i = 0; i < DBG_MAX_BREAKS; i++) {
        if (d->brk[i].used && d->brk[i].lin == lin)
            return i;
        if (!d->brk[i].used && free_slot < 0)
            free_slot = i;
    }
    if (free_slot >= 0)
        d->brk[free_slot] = (struct dbg_break){ .used = true, .lin = lin };
    return free_slot;
}

bool dbg_break_delete(struct debugger *d, int slot)
{
    if (slot < 0 || slot >= DBG_MAX_BREAKS || !d->brk[slot].used)
        return false;
    d->brk[slot].used = false;
    return true;
}

static void watch_snapshot(struct debugger *d, struct dbg_watch *w)
{
    phys_read_block(d->m->phys, w->phys, w->copy, PHYS_PAGE_SIZE);
}

int dbg_watch_add(struct debugger *d, uint32_t phys)
{
    phys &= ~(PHYS_PAGE_SIZE - 1);
    int free_slot = -1;
    for (int i = 0; i < DBG_MAX_WATCHES; i++) {
        if (d->watch[i].used && d->watch[i].phys == phys)
            return i;
        if (!d->watch[i].used && free_slot < 0)
            free_slot = i;
    }
    if (free_slot < 0)
        return -1;
    /* only RAM can be written by the guest and compared cheaply */
    if (phys_kind_at(d->m->phys, phys) != PHYS_RAM)
        return -1;
    struct dbg_watch *w = &d->watch[free_slot];
    if (!w->copy && !(w->copy = malloc(PHYS_PAGE_SIZE)))
        return -1;
    w->used = true;
    w->phys = phys;
    w->hits = 0;
    watch_snapshot(d, w);
    return free_slot;
}

bool dbg_watch_delete(struct debugger *d, int slot)
{
    if (slot < 0 || slot >= DBG_MAX_WATCHES || !d->watch[slot].used)
        return false;
    d->watch[slot].used = false;
    return true;
}

uint32_t dbg_pc(const struct debugger *d)
{
    return cpu_get_seg(d->m->cpu, S_CS).base + cpu_get_eip(d->m->cpu);
}

/* machine_run for at most n instructions (0: no limit), keeping the
 * user's --max-insns. DBG_STOP_DONE when only our limit ended it. */
static enum dbg_stop run_machine(struct debugger *d, uint64_t n, struct machine_result *res)
{
    struct machine *m = d->m;
    uint64_t user_max = m->cfg.max_insns;
    uint64_t lim = n ? cpu_icount(m->cpu) + n : 0;
    if (user_max && (!lim || user_max < lim))
        lim = user_max;
    m->cfg.max_insns = lim;
    struct machine_result r;
    enum machine_stop st = machine_run(m, d->signal_seen, &r);
    m->cfg.max_insns = user_max;
    if (st == MSTOP_MAX_INSNS && !(user_max && r.icount >= user_max))
        return DBG_STOP_DONE;
    if (res)
        *res = r;
    return DBG_STOP_MACHINE;
}

/* Runs of at most this many instructions are stepped exactly. */
#define DBG_EXACT_STEPS 100000u

static bool any_conditions(const struct debugger *d, unsigned until)
{
    if (until)
        return true;
    for (int i = 0; i < DBG_MAX_BREAKS; i++)
        if (d->brk[i].used)
            return true;
    for (int i = 0; i < DBG_MAX_WATCHES; i++)
        if (d->watch[i].used)
            return true;
    return false;
}

static int break_at(struct debugger *d, uint32_t pc)
{
    for (int i = 0; i < DBG_MAX_BREAKS; i++)
        if (d->brk[i].used && d->brk[i].lin == pc)
            return i;
    return -1;
}

/* A watched page that changed since the last look: its slot, with the
 * first changed byte in last_watch_off and the copy brought up to date. */
static int watch_hit(struct debugger *d)
{
    for (int i = 0; i < DBG_MAX_WATCHES; i++) {
        struct dbg_watch *w = &d->watch[i];
        if (!w->used)
            continue;
        const uint8_t *now = phys_host_page(d->m->phys, w->phys, false);
        if (!now || memcmp(now, w->copy, PHYS_PAGE_SIZE) == 0)
            continue;
        uint32_t off = 0;
        while (off < PHYS_PAGE_SIZE && now[off] == w->copy[off])
            off++;
        d->last_watch_off = off;
        memcpy(w->copy, now, PHYS_PAGE_SIZE);
        return i;
    }
    return -1;
}

enum dbg_stop dbg_run(struct debugger *d, uint64_t n, unsigned until,
                      struct machine_result *res, uint64_t *executed)
{
    struct machine *m = d->m;
    uint64_t ic0 = cpu_icount(m->cpu);
    enum dbg_stop why = DBG_STOP_DONE;
    d->last_break = -1;
    d->last_watch = -1;

    /* cpu_run checks its budget between decoded traces, so machine_run
     * may overshoot a small count by a few instructions: short runs step */
    if (!any_conditions(d, until) && (!n || n > DBG_EXACT_STEPS)) {
        why = run_machine(d, n, res);
        goto out;
    }
    /* a watched page may have changed while we were not looking (monitor
     * writes, a run without conditions): start from what it holds now */
    for (int i = 0; i < DBG_MAX_WATCHES; i++)
        if (d->watch[i].used)
            watch_snapshot(d, &d->watch[i]);

    const struct tlb_stats *st = &m->mmu.tlb.st;
    for (uint64_t steps = 0; !n || steps < n; steps++) {
        uint64_t misses = st->misses, faults = st->page_faults;
        bool plain = !(d->signal_seen && *d->signal_seen) && !m->exit_requested &&
                     !m->reset_requested &&
                     !(m->cfg.max_insns && cpu_icount(m->cpu) >= m->cfg.max_insns);
        if (plain) {
            vclock_run_due(&m->vc);
            enum cpu_stop cs = cpu_step(m->cpu);
            plain = cs == CPU_STOP_BUDGET || cs == CPU_STOP_REQUEST;
            /* halted, waiting for a timer's interrupt: skip virtual time
             * to it as the run loop does; the next step then delivers the
             * interrupt alone, so a breakpoint in its handler is not run
             * past inside a decoded trace */
            uint64_t next = vclock_next(&m->vc);
            if (cs == CPU_STOP_HLT && (cpu_get_eflags(m->cpu) & F_IF) && next != VCLOCK_NEVER) {
                vclock_skip_to(&m->vc, next);
                continue;
            }
        }
        if (!plain && (why = run_machine(d, 1, res)) != DBG_STOP_DONE)
            goto out;
        if ((until & DBG_UNTIL_PAGE_FAULT) && st->page_faults != faults) {
            why = DBG_STOP_PAGE_FAULT;
            goto out;
        }
        if ((until & DBG_UNTIL_TLB_MISS) && st->misses != misses) {
            why = DBG_STOP_TLB_MISS;
            goto out;
        }
        int w = watch_hit(d);
        if (w >= 0) {
            d->watch[w].hits++;
            d->last_watch = w;
            why = DBG_STOP_WATCH;
            goto out;
        }
        int b = break_at(d, dbg_pc(d));
        if (b >= 0) {
            d->brk[b].hits++;
            d->last_break = b;
            why = DBG_STOP_BREAK;
            goto out;
        }
    }
out:
    if (executed)
        *executed = cpu_icount(m->cpu) - ic0;
    return why;
}

enum dbg_stop dbg_run_slice(struct debugger *d, uint64_t n, struct machine_result *res,
                            uint64_t *executed)
{
    if (any_conditions(d, 0))
        return dbg_run(d, n, 0, res, executed);
    uint64_t ic0 = cpu_icount(d->m->cpu);
    d->last_break = -1;
    d->last_watch = -1;
    enum dbg_stop why = run_machine(d, n, res);
    if (executed)
        *executed = cpu_icount(d->m->cpu) - ic0;
    return why;
}

void dbg_stop_format(const struct debugger *d, enum dbg_stop why,
                     const struct machine_result *res, char *buf, size_t len)
{
    uint32_t pc = dbg_pc(d);
    switch (why) {
    case DBG_STOP_DONE:
        snprintf(buf, len, "stopped at %08x", pc);
        break;
    case DBG_STOP_BREAK:
        snprintf(buf, len, "breakpoint %d at %08x", d->last_break, pc);
        break;
    case DBG_STOP_WATCH:
        snprintf(buf, len, "watch %d: phys %08x written, next instruction at %08x",
                 d->last_watch, d->watch[d->last_watch].phys + d->last_watch_off, pc);
        break;
    case DBG_STOP_TLB_MISS:
        snprintf(buf, len, "TLB miss, next instruction at %08x", pc);
        break;
    case DBG_STOP_PAGE_FAULT:
        snprintf(buf, len, "page fault (CR2=%08x), next instruction at %08x",
                 cpu_get_cr(d->m->cpu, 2), pc);
        break;
    case DBG_STOP_MACHINE:
        if (res)
            machine_format_report(res, buf, len);
        else
            snprintf(buf, len, "machine stopped at %08x", pc);
        break;
    }
}
