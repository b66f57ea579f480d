/* Paging commands: `translate LIN` (alias `page`), `tlb`, `info mem`,
 * `info tab`. All of them read the page tables with paging_probe /
 * paging_enumerate, which write nothing: looking never sets an A or D bit
 * or fills the TLB. */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "debug/monitor_impl.h"
#include "mmu/paging.h"

/* The TLB's entry for lin's page, if any (searched through the snapshot:
 * entries are not reachable otherwise, and looking must not reorder LRU). */
static bool tlb_find(struct mmu *mmu, uint32_t lin, struct tlb_snap *found)
{
    unsigned cap = mmu->tlb.sets * mmu->tlb.ways;
    struct tlb_snap *s = malloc(cap * sizeof *s);
    if (!s)
        return false;
    unsigned n = tlb_snapshot(mmu, s, cap);
    bool hit = false;
    for (unsigned i = 0; i < n && i < cap && !hit; i++) {
        if (s[i].lin == (lin & ~0xfffu)) {
            *found = s[i];
            hit = true;
        }
    }
    free(s);
    return hit;
}

static void put_snap_rights(FILE *out, const struct tlb_snap *s)
{
    fprintf(out, "%c %c %c %c %c %c", s->user_ok ? 'U' : '-', s->write_ok_user ? 'w' : '-',
            s->write_ok_super ? 'w' : '-', s->dirty ? 'D' : '-', s->global ? 'G' : '-',
            s->large ? 'L' : '-');
}

int mon_translate(struct debugger *d, const struct mon_args *a, FILE *out)
{
    uint32_t lin;
    if (a->argc < 2 || !mon_parse_value(d, a->argv[1], &lin)) {
        fprintf(out, "usage: %s LIN [r|w|x] [user|super]\n", a->argv[0]);
        return MON_ERROR;
    }
    unsigned access = MMU_READ;
    bool user = cpu_cpl(d->m->cpu) == 3;
    for (int i = 2; i < a->argc; i++) {
        const char *w = a->argv[i];
        if (!strcmp(w, "r"))
            access = MMU_READ;
        else if (!strcmp(w, "w"))
            access = MMU_WRITE;
        else if (!strcmp(w, "x"))
            access = MMU_FETCH;
        else if (!strcmp(w, "user"))
            user = true;
        else if (!strcmp(w, "super"))
            user = false;
        else {
            fprintf(out, "%s: unknown option '%s' (r, w, x, user, super)\n", a->argv[0], w);
            return MON_ERROR;
        }
    }
    struct mmu *mmu = &d->m->mmu;
    struct paging_walk w;
    paging_probe_as(mmu, mmu->cr3, user, lin, access, &w);
    char buf[1024];
    paging_walk_format(&w, buf, sizeof buf);
    fputs(buf, out);
    if (!w.paging)
        return MON_OK;
    struct tlb_snap s;
    if (tlb_find(mmu, lin, &s)) {
        fprintf(out, "  TLB set %u way %u: %08x -> %08x  ", s.set, s.way, s.lin, s.phys);
        put_snap_rights(out, &s);
        fputc('\n', out);
    } else {
        fprintf(out, "  TLB: no entry for %08x\n", lin & ~0xfffu);
    }
    return MON_OK;
}

int mon_tlb(struct debugger *d, const struct mon_args *a, FILE *out)
{
    (void)a;
    struct mmu *mmu = &d->m->mmu;
    const struct tlb_stats *st = &mmu->tlb.st;
    unsigned cap = mmu->tlb.sets * mmu->tlb.ways;
    struct tlb_snap *s = malloc(cap * sizeof *s);
    if (!s) {
        fputs("tlb: out of host memory\n", out);
        return MON_ERROR;
    }
    unsigned n = tlb_snapshot(mmu, s, cap);
    fprintf(out, "TLB %u sets x %u ways: %u valid entries\n", mmu->tlb.sets, mmu->tlb.ways, n);
    uint64_t looks = st->hits + st->misses;
    fprintf(out, "hits %llu  misses %llu (%.2f%%)  walks %llu  page faults %llu  invlpg %llu\n",
            (unsigned long long)st->hits, (unsigned long long)st->misses,
            looks ? 100.0 * (double)st->misses / (double)looks : 0.0,
            (unsigned long long)st->walks, (unsigned long long)st->page_faults,
            (unsigned long long)st->invlpg);
    fprintf(out, "flushes: CR3 %llu  CR0 %llu  CR4 %llu  A20 %llu  task switch %llu  explicit %llu\n",
            (unsigned long long)st->flushes[TLB_FLUSH_CR3], (unsigned long long)st->flushes[TLB_FLUSH_CR0],
            (unsigned long long)st->flushes[TLB_FLUSH_CR4], (unsigned long long)st->flushes[TLB_FLUSH_A20],
            (unsigned long long)st->flushes[TLB_FLUSH_TASK_SWITCH],
            (unsigned long long)st->flushes[TLB_FLUSH_EXPLICIT]);
    if (n)
        fputs(" set way  lin page    phys page  U Wu Ws D G L\n", out);
    for (unsigned i = 0; i < n && i < cap; i++) {
        fprintf(out, "%4u %3u  %08x -> %08x  ", s[i].set, s[i].way, s[i].lin, s[i].phys);
        put_snap_rights(out, &s[i]);
        fputc('\n', out);
    }
    free(s);
    return MON_OK;
}

int mon_info_mem(struct debugger *d, FILE *out)
{
    struct mmu *mmu = &d->m->mmu;
    if (!(mmu->cr0 & CR0_PG)) {
        fputs("paging is disabled: linear = physical\n", out);
        return MON_OK;
    }
    size_t need = paging_format_ranges(mmu, mmu->cr3, NULL, 0);
    char *buf = malloc(need + 1);
    if (!buf) {
        fputs("info mem: out of host memory\n", out);
        return MON_ERROR;
    }
    paging_format_ranges(mmu, mmu->cr3, buf, need + 1);
    fputs(buf, out);
    if (!need)
        fputs("no present pages\n", out);
    free(buf);
    return MON_OK;
}

/* `info tab`: runs of pages contiguous in both linear and physical
 * addresses, as Bochs prints them. */
struct tab_run {
    FILE *out;
    bool open;
    uint32_t lin, phys;
    uint64_t size;
};

static void tab_close(struct tab_run *r)
{
    if (!r->open)
        return;
    fprintf(r->out, "%08x-%08x -> %08x-%08x\n", r->lin, (uint32_t)(r->lin + r->size - 1),
            r->phys, (uint32_t)(r->phys + r->size - 1));
    r->open = false;
}

static int tab_add(void *ctx, const struct paging_mapping *map)
{
    struct tab_run *r = ctx;
    if (r->open && map->lin == r->lin + r->size && map->phys == r->phys + r->size) {
        r->size += map->size;
        return 0;
    }
    tab_close(r);
    *r = (struct tab_run){ .out = r->out, .open = true, .lin = map->lin, .phys = map->phys,
                           .size = map->size };
    return 0;
}

int mon_info_tab(struct debugger *d, FILE *out)
{
    struct mmu *mmu = &d->m->mmu;
    if (!(mmu->cr0 & CR0_PG)) {
        fputs("paging is disabled: linear = physical\n", out);
        return MON_OK;
    }
    fprintf(out, "cr3: %08x\n", mmu->cr3);
    struct tab_run r = { .out = out };
    paging_enumerate(mmu, mmu->cr3, tab_add, &r);
    tab_close(&r);
    return MON_OK;
}
