/* Event tracing (see trace.h). */
#include "debug/trace.h"

#include <string.h>

#include "cpu/cpu.h"

/* Instructions per slice: the ring (EVENTS_CAPACITY records) must not fill
 * within one. The busiest source is the timer IRQ of an idle guest whose
 * HLTs skip virtual time: a few hundred instructions a tick. */
#define TRACE_SLICE 100000u

static uint64_t drain(struct debugger *d, uint64_t *since, FILE *out, uint32_t kinds)
{
    struct event ev[256];
    uint64_t lost = 0;
    unsigned n;
    const struct events *log = &d->m->ev;
    uint64_t first = log->head > EVENTS_CAPACITY ? log->head - EVENTS_CAPACITY : 0;
    if (*since < first) {
        lost = first - *since;
        fprintf(out, "# %llu events lost (the log wrapped before it was read)\n",
                (unsigned long long)lost);
    }
    char line[200];
    while ((n = events_read(log, since, ev, 256)) > 0) {
        for (unsigned i = 0; i < n; i++) {
            if (kinds && !(kinds & (1u << ev[i].kind)))
                continue;
            dbg_event_format(&ev[i], line, sizeof line);
            fprintf(out, "%s\n", line);
        }
    }
    return lost;
}

enum machine_stop dbg_trace_run(struct debugger *d, FILE *out, uint32_t kinds,
                                struct machine_result *res)
{
    uint64_t since = d->m->ev.head;
    fprintf(out, "#     icount  event        details\n");
    for (;;) {
        enum dbg_stop why = dbg_run_slice(d, TRACE_SLICE, res, NULL);
        drain(d, &since, out, kinds);
        if (why == DBG_STOP_MACHINE)
            return res->reason;
        if (why != DBG_STOP_DONE) {   /* a breakpoint or watch set by the caller */
            res->reason = MSTOP_BREAKPOINT;
            res->eip = cpu_get_eip(d->m->cpu);
            res->icount = cpu_icount(d->m->cpu);
            return MSTOP_BREAKPOINT;
        }
    }
}

int dbg_trace_parse_kinds(const char *s, uint32_t *kinds, char *err, size_t errlen)
{
    static const struct { const char *word; int kind; } words[] = {
        { "pf", EV_PAGE_FAULT }, { "exc", EV_EXCEPTION }, { "cr3", EV_CR3_LOAD },
        { "flush", EV_TLB_FLUSH }, { "invlpg", EV_INVLPG }, { "irq", EV_IRQ },
        { "dma", EV_DMA }, { "triple", EV_TRIPLE_FAULT }, { "info", EV_GUEST_INFO },
    };
    *kinds = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (!strcmp(w, "all")) {
            *kinds = 0;
            return 0;
        }
        size_t i;
        for (i = 0; i < sizeof words / sizeof words[0] && strcmp(w, words[i].word); i++)
            ;
        if (i == sizeof words / sizeof words[0]) {
            snprintf(err, errlen, "unknown event kind '%s' (pf, exc, cr3, flush, invlpg, irq, dma, "
                     "triple, info, all)", w);
            return -1;
        }
        *kinds |= 1u << words[i].kind;
    }
    return 0;
}
