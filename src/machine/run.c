/* The run loop. The CPU runs in slices that end at the next timer deadline
 * (so devices see time advance exactly when their timers are due), at
 * --max-insns, or after SLICE_MAX instructions (so signals and host input
 * are noticed). A HLT with IF = 1 skips virtual time to the next deadline:
 * an idle guest costs no host time and a run stays deterministic. With
 * --realtime the loop sleeps instead, keeping virtual time at wall time. */
#include "machine/machine.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "devices/debugport.h"
#include "devices/pic.h"
#include "devices/uart.h"

#define SLICE_MAX (1u << 20)
/* A guest that sleeps in HLT for this much virtual time, printing nothing
 * on COM1, with no host input left to wake it and the CPU busy less than
 * 1% of the time, waits for something that cannot come: the run ends
 * (not with --realtime, where a person is watching). */
#define IDLE_LIMIT_SECONDS 3600ull

struct quiet {
    uint64_t since;      /* tick the window began (VCLOCK_NEVER: none) */
    uint64_t icount;     /* instructions retired then */
    uint64_t tx;         /* COM1 bytes sent then */
};

/* Called at each HLT with IF = 1; true when the window above has passed. */
static bool idle_for_good(struct machine *m, struct quiet *q)
{
    uint64_t now = vclock_now(&m->vc), ic = cpu_icount(m->cpu), tx = uart_tx_count(m->com1);
    uint64_t limit = IDLE_LIMIT_SECONDS * 1000000ull * m->vc.mhz;
    if (m->cfg.realtime || m->serial_input || q->since == VCLOCK_NEVER || tx != q->tx) {
        *q = (struct quiet){ now, ic, tx };
        return false;
    }
    if (now - q->since < limit)
        return false;
    if (ic - q->icount < (now - q->since) / 100)
        return true;
    *q = (struct quiet){ now, ic, tx };   /* it was working: a new window */
    return false;
}

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct pace {
    uint64_t wall0;      /* host ns at the start of the run */
    uint64_t virt0;      /* virtual ns then */
};

/* --realtime: wait until the wall clock catches up with virtual time ns,
 * returning early if host input arrives for COM1. */
static void pace_to(struct machine *m, const struct pace *pc, uint64_t virt_ns)
{
    uint64_t target = pc->wall0 + (virt_ns - pc->virt0);
    uint64_t now = host_ns();
    if (target <= now)
        return;
    if (m->serial_out)
        fflush(m->serial_out);   /* someone is watching: show output before sleeping */
    uint64_t wait = target - now;
    if (m->serial_input) {
        struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
        int ms = (int)((wait + 999999) / 1000000);
        poll(&pfd, 1, ms > 1000 ? 1000 : ms);
    } else {
        struct timespec ts = { .tv_sec = (time_t)(wait / 1000000000ull),
                               .tv_nsec = (long)(wait % 1000000000ull) };
        nanosleep(&ts, NULL);
    }
}

static uint64_t wall_ticks(const struct machine *m, const struct pace *pc)
{
    uint64_t ns = host_ns() - pc->wall0 + pc->virt0;
    return vclock_ticks_from_ns(&m->vc, ns);
}

static void poll_input(struct machine *m)
{
    if (m->serial_input && !uart_poll(m->com1))
        m->serial_input = false;   /* stdin reached EOF: no more input */
}

static enum machine_stop finish(struct machine *m, struct machine_result *res,
                                enum machine_stop why, int status, uint64_t t0)
{
    res->reason = why;
    res->exit_status = status;
    res->eip = cpu_get_eip(m->cpu);
    res->icount = cpu_icount(m->cpu);
    res->last_post = debugport_last_post(m->dbg);
    res->host_seconds = (double)(host_ns() - t0) / 1e9;
    machine_flush(m);
    return why;
}

enum machine_stop machine_run(struct machine *m, volatile sig_atomic_t *signal_seen,
                              struct machine_result *res)
{
    memset(res, 0, sizeof *res);
    uint64_t t0 = host_ns();
    struct pace pc = { .wall0 = t0, .virt0 = vclock_ns(&m->vc) };
    uint64_t max = m->cfg.max_insns;
    struct quiet quiet = { VCLOCK_NEVER, 0, 0 };
    uint64_t reset_icount = UINT64_MAX;   /* icount at the last reset */
    char err[512];

    for (;;) {
        if (signal_seen && *signal_seen) {
            res->signal = *signal_seen;
            return finish(m, res, MSTOP_SIGNAL, 128 + res->signal, t0);
        }
        if (m->exit_requested)
            return finish(m, res, MSTOP_EXIT_PORT, m->exit_status, t0);
        if (m->reset_requested) {
            reset_icount = cpu_icount(m->cpu);
            if (machine_reset(m, err, sizeof err) < 0) {
                fprintf(stderr, "pagoda: %s\n", err);
                return finish(m, res, MSTOP_ERROR, 2, t0);
            }
            continue;
        }
        uint64_t ic = cpu_icount(m->cpu);
        if (max && ic >= max)
            return finish(m, res, MSTOP_MAX_INSNS, 124, t0);

        vclock_run_due(&m->vc);
        poll_input(m);

        uint64_t until = ic + SLICE_MAX;
        uint64_t next = vclock_next(&m->vc);
        if (next != VCLOCK_NEVER) {
            uint64_t at = next > m->vc.idle ? next - m->vc.idle : 0;
            if (at < until)
                until = at > ic ? at : ic + 1;
        }
        if (max && max < until)
            until = max;
        m->slice_end = until;
        enum cpu_stop st = cpu_run(m->cpu, until);
        m->slice_end = UINT64_MAX;
        if (m->cfg.realtime)
            pace_to(m, &pc, vclock_ns(&m->vc));

        switch (st) {
        case CPU_STOP_BUDGET:
        case CPU_STOP_REQUEST:
            break;
        case CPU_STOP_BREAKPOINT:
            return finish(m, res, MSTOP_BREAKPOINT, 0, t0);
        case CPU_STOP_TRIPLE_FAULT:
            /* a reset that cannot retire one instruction would loop forever */
            if (!m->cfg.reset_on_triple_fault || cpu_icount(m->cpu) == reset_icount)
                return finish(m, res, MSTOP_TRIPLE_FAULT, 3, t0);
            m->reset_requested = true;
            break;
        case CPU_STOP_HLT:
            if (m->exit_requested || m->reset_requested)
                break;
            if (!(cpu_get_eflags(m->cpu) & F_IF))
                return finish(m, res, MSTOP_HALT, 0, t0);   /* no NMI source exists */
            if (pic_intr(m->pic))
                break;                                     /* wakes on the next cpu_run */
            next = vclock_next(&m->vc);
            if (next == VCLOCK_NEVER && !m->serial_input)
                return finish(m, res, MSTOP_HALT, 0, t0);
            if (idle_for_good(m, &quiet))
                return finish(m, res, MSTOP_IDLE, 0, t0);
            if (m->cfg.realtime) {
                if (next != VCLOCK_NEVER)
                    pace_to(m, &pc, next * 1000u / m->vc.mhz);
                else
                    pace_to(m, &pc, vclock_ns(&m->vc) + 10000000u);   /* 10 ms: look at input */
                /* input may have come early: wake at wall time, not at the deadline */
                uint64_t w = wall_ticks(m, &pc);
                vclock_skip_to(&m->vc, next != VCLOCK_NEVER && w > next ? next : w);
            } else if (next != VCLOCK_NEVER) {
                vclock_skip_to(&m->vc, next);
            } else {
                /* only host input can wake it: wait for it (blocking) */
                struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
                if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
                    m->serial_input = false;
            }
            break;
        }
    }
}

void machine_format_report(const struct machine_result *res, char *buf, size_t len)
{
    char why[96];
    switch (res->reason) {
    case MSTOP_HALT:
        snprintf(why, sizeof why, "guest halted (nothing can wake it)");
        break;
    case MSTOP_IDLE:
        snprintf(why, sizeof why, "guest idle: halted, silent and without input for %llu virtual seconds",
                 IDLE_LIMIT_SECONDS);
        break;
    case MSTOP_TRIPLE_FAULT:
        snprintf(why, sizeof why, "triple fault");
        break;
    case MSTOP_MAX_INSNS:
        snprintf(why, sizeof why, "instruction limit reached");
        break;
    case MSTOP_EXIT_PORT:
        snprintf(why, sizeof why, "guest wrote the exit port (status %d)", res->exit_status);
        break;
    case MSTOP_SIGNAL:
        snprintf(why, sizeof why, "stopped by %s", res->signal == SIGINT ? "SIGINT" :
                 res->signal == SIGTERM ? "SIGTERM" : "a signal");
        break;
    case MSTOP_BREAKPOINT:
        snprintf(why, sizeof why, "breakpoint");
        break;
    case MSTOP_ERROR:
        snprintf(why, sizeof why, "reset failed");
        break;
    }
    char post[32];
    if (res->last_post >= 0)
        snprintf(post, sizeof post, "0x%02x", res->last_post);
    else
        snprintf(post, sizeof post, "none");
    snprintf(buf, len, "pagoda: %s at EIP 0x%08x after %llu instructions, last POST code %s",
             why, res->eip, (unsigned long long)res->icount, post);
}

void machine_print_stats(const struct machine *m, const struct machine_result *res, FILE *out)
{
    const struct tlb_stats *st = &m->mmu.tlb.st;
    uint64_t flushes = 0;
    for (int i = 0; i < TLB_FLUSH_CAUSES; i++)
        flushes += st->flushes[i];
    double mips = res->host_seconds > 0 ? (double)res->icount / res->host_seconds / 1e6 : 0;
    fprintf(out, "pagoda: stats: %llu instructions in %.3f s host (%.1f MIPS), %.6f s virtual at %u MHz\n",
            (unsigned long long)res->icount, res->host_seconds, mips,
            (double)vclock_ns(&m->vc) / 1e9, m->vc.mhz);
    fprintf(out, "pagoda: stats: TLB %llu hits, %llu misses, %llu flushes, %llu invlpg; "
            "%llu page faults; %llu DMA transfers\n",
            (unsigned long long)st->hits, (unsigned long long)st->misses,
            (unsigned long long)flushes, (unsigned long long)st->invlpg,
            (unsigned long long)st->page_faults, (unsigned long long)m->ev.counts[EV_DMA]);
    struct cpu_stats cs;
    cpu_get_stats(m->cpu, &cs);
    fprintf(out, "pagoda: stats: decoded-instruction cache %u entries, %llu invalidations "
            "(writes to code pages), %llu full flushes\n", cs.icache_used,
            (unsigned long long)cs.icache_invalidations, (unsigned long long)cs.icache_flushes);
}
