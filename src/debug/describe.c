/* Words for what the hardware reports: #PF error codes (SDM Vol. 3 §4.7),
 * exception vectors (§6.3.1, table 6-1) and event-log records. The monitor,
 * the trace and the UI's fault log all print these same words. */
#include "debug/debugger.h"

#include <stdio.h>

#include "mmu/mmu.h"

void dbg_pf_err_format(uint32_t err, char *buf, size_t len)
{
    /* the same words paging_walk_format uses */
    snprintf(buf, len, "%s %s %s%s", err & PF_P ? "P" : "not-P", err & PF_W ? "W" : "R",
             err & PF_U ? "U" : "S", err & PF_RSVD ? " RSVD" : "");
}

const char *dbg_vector_name(uint32_t vector)
{
    static const char *const names[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
        "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
    };
    if (vector < 32)
        return names[vector] ? names[vector] : "reserved";
    return "int";
}

static const char *flush_cause_name(uint32_t cause)
{
    static const char *const names[TLB_FLUSH_CAUSES] = {
        [TLB_FLUSH_CR3] = "CR3 load", [TLB_FLUSH_CR0] = "CR0 write",
        [TLB_FLUSH_CR4] = "CR4 write", [TLB_FLUSH_A20] = "A20 change",
        [TLB_FLUSH_TASK_SWITCH] = "task switch", [TLB_FLUSH_EXPLICIT] = "explicit",
    };
    return cause < TLB_FLUSH_CAUSES ? names[cause] : "?";
}

void dbg_event_format(const struct event *e, char *buf, size_t len)
{
    char err[32];
    int n = snprintf(buf, len, "%10llu  %-12s ", (unsigned long long)e->icount,
                     event_kind_name((enum event_kind)e->kind));
    if (n < 0 || (size_t)n >= len)
        return;
    buf += n;
    len -= (size_t)n;
    switch (e->kind) {
    case EV_PAGE_FAULT:
        dbg_pf_err_format(e->b, err, sizeof err);
        if (e->c)
            snprintf(buf, len, "lin %08x err %x (%s) eip %08x", e->a, e->b, err, e->c);
        else   /* the CPU did not tell the MMU where EIP lives */
            snprintf(buf, len, "lin %08x err %x (%s)", e->a, e->b, err);
        break;
    case EV_EXCEPTION:
        /* vectors that push no error code (SDM Vol. 3 table 6-1) */
        if (!(e->a == 8 || (e->a >= 10 && e->a <= 14) || e->a == 17))
            snprintf(buf, len, "vector %u (%s) eip %08x", e->a, dbg_vector_name(e->a), e->c);
        else
            snprintf(buf, len, "vector %u (%s) err %x eip %08x", e->a, dbg_vector_name(e->a),
                     e->b, e->c);
        break;
    case EV_CR3_LOAD:
        snprintf(buf, len, "cr3 %08x (was %08x)", e->a, e->b);
        break;
    case EV_TLB_FLUSH:
        snprintf(buf, len, "%s, %u entries dropped", flush_cause_name(e->a), e->b);
        break;
    case EV_INVLPG:
        snprintf(buf, len, "lin %08x, %u entries dropped", e->a, e->b);
        break;
    case EV_IRQ:
        snprintf(buf, len, "irq %u vector %02x", e->a, e->b);
        break;
    case EV_DMA:
        snprintf(buf, len, "channel %u phys %08x %u bytes mode %02x", e->a, e->b, e->c, e->d);
        break;
    case EV_TRIPLE_FAULT:
        snprintf(buf, len, "eip %08x", e->c);
        break;
    default:
        snprintf(buf, len, "%08x %08x %08x %08x", e->a, e->b, e->c, e->d);
        break;
    }
}
