/* Decoded-trace cache, keyed by the physical address of a trace's first
 * instruction. A trace is a run of straight-line instructions inside one
 * page, ending at a control transfer (only its first instruction may
 * straddle into a second page). Pages that hold decoded code are marked in
 * phys (mmu_mark_code); a write to one bumps the page's generation, which
 * makes every trace decoded from it stale (self-modifying code). */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_impl.h"

static uint32_t page_gen(const struct cpu *c, uint32_t pa)
{
    uint32_t pfn = pa >> 12;
    return pfn < c->ic.npages ? c->ic.gen[pfn] : 0;
}

static void on_code_write(void *ctx, uint32_t pa, uint32_t len)
{
    struct cpu *c = ctx;
    (void)len;
    uint32_t pfn = pa >> 12;
    if (pfn < c->ic.npages)
        c->ic.gen[pfn]++;
    c->ic.invalidations++;
    /* until code is decoded from it again, writes to the page run free */
    phys_clear_code(c->m->phys, pa);
    c->break_trace = true;
    c->epoch++;   /* links may lead into the stale traces */
}

void icache_init(struct cpu *c)
{
    c->ic.tab = calloc(TC_SIZE, sizeof *c->ic.tab);
    c->ic.arena = calloc(TC_ARENA, sizeof *c->ic.arena);
    c->ic.npages = phys_ram_size(c->m->phys) >> 12;
    c->ic.gen = calloc(c->ic.npages + 1, sizeof *c->ic.gen);
    if (!c->ic.tab || !c->ic.arena || !c->ic.gen)
        abort();
    phys_set_code_hook(c->m->phys, on_code_write, c);
}

void icache_free(struct cpu *c)
{
    phys_set_code_hook(c->m->phys, NULL, NULL);
    free(c->ic.tab);
    free(c->ic.arena);
    free(c->ic.gen);
}

void icache_flush(struct cpu *c)
{
    memset(c->ic.tab, 0, TC_SIZE * sizeof *c->ic.tab);
    c->ic.used = 0;
    c->ic.flushes++;
    c->prev_tc = NULL;
    c->epoch++;
}

static inline uint32_t tc_hash(uint32_t pa) { return (pa ^ (pa >> TC_BITS)) & (TC_SIZE - 1); }

/* Copy up to n bytes of code at physical pa (inside one page) into dst. */
static void fetch_bytes(struct cpu *c, uint32_t pa, uint8_t *dst, unsigned n)
{
    const uint8_t *host = phys_host_page(c->m->phys, pa & ~0xfffu, false);
    if (host)
        memcpy(dst, host + (pa & 0xfff), n);
    else
        phys_read_block(c->m->phys, pa, dst, n);
}

/* The fetch side of the TLB fast path: a hit counts like a data hit (the
 * slow path, mmu_translate, counts its own hits and misses). */
static uint32_t fetch_translate(struct cpu *c, uint32_t lin)
{
    struct tlb_entry *e = mmu_tlb_slot(c->m, lin);
    if (LIKELY(e->tag_read[c->m->user] == (lin & ~0xfffu))) {
        c->m->tlb.st.hits++;
        return e->phys_page | (lin & 0xfffu);
    }
    return mmu_translate(c->m, lin, MMU_FETCH);
}

static struct tc_entry *fill(struct cpu *c, struct tc_entry *t, uint32_t pa, uint32_t lin)
{
    if (c->ic.used + TC_MAX_TRACE > TC_ARENA)
        icache_flush(c);
    struct insn *out = c->ic.arena + c->ic.used;
    uint32_t cs_limit = c->seg[S_CS].limit;
    uint32_t eip = c->eip;
    uint8_t page[4096];
    unsigned off = pa & 0xfff, in_page = 4096 - off;
    /* bytes up to the CS limit only: beyond it the fetch is a #GP */
    uint64_t to_limit = (uint64_t)cs_limit - eip + 1;
    unsigned avail = to_limit < in_page ? (unsigned)to_limit : in_page;
    fetch_bytes(c, pa, page + off, avail);

    uint32_t fl, pa2 = pa & ~0xfffu;
    int r = cpu_decode(page + off, avail, c->code32, &out[0], &fl);
    if (r == DEC_MORE) {
        uint8_t buf[16];
        memcpy(buf, page + off, avail);
        if (avail == in_page && to_limit > in_page) {
            /* the instruction straddles into the next page */
            pa2 = fetch_translate(c, lin + in_page);
            unsigned more = 15 - avail;
            if ((uint64_t)more > to_limit - avail)
                more = (unsigned)(to_limit - avail);
            fetch_bytes(c, pa2, buf + avail, more);
            r = cpu_decode(buf, avail + more, c->code32, &out[0], &fl);
            pa2 &= ~0xfffu;
        }
        if (r == DEC_MORE)
            cpu_exception(c, EXC_GP, 0);
    }
    if (r == DEC_UD)
        cpu_exception(c, EXC_UD, NO_ERR);
    if (r == DEC_GP)
        cpu_exception(c, EXC_GP, 0);

    cpu_specialize(&out[0]);
    unsigned n = 1, pos = off + out[0].len;
    if (pa2 == (pa & ~0xfffu)) {
        while (n < TC_MAX_TRACE && !(fl & OPF_BRANCH) && pos < off + avail) {
            r = cpu_decode(page + pos, off + avail - pos, c->code32, &out[n], &fl);
            if (r <= 0)
                break;    /* decoded (and faulted) when execution reaches it */
            pos += out[n].len;
            cpu_specialize(&out[n]);
            n++;
        }
    }
    mmu_mark_code(c->m, pa);
    if (pa2 != (pa & ~0xfffu))
        mmu_mark_code(c->m, pa2);
    c->ic.used += n;
    t->pa = pa;
    t->key = (c->code32 ? 2u : 0u) | 1u;
    t->page2 = pa2;
    t->gen = page_gen(c, pa);
    t->gen2 = page_gen(c, pa2);
    t->insn = out;
    t->n = n;
    /* the entry may have held another trace that links lead to */
    c->epoch++;
    t->link_epoch[0] = t->link_epoch[1] = c->epoch - 1;
    t->link_next = 0;
    return t;
}

struct tc_entry *icache_lookup(struct cpu *c)
{
    if (c->eip > c->seg[S_CS].limit)
        cpu_exception(c, EXC_GP, 0);
    uint32_t lin = c->seg[S_CS].base + c->eip;
    uint32_t pa = fetch_translate(c, lin);
    struct tc_entry *t = &c->ic.tab[tc_hash(pa)];
    if (LIKELY(t->pa == pa && t->key == ((c->code32 ? 2u : 0u) | 1u) &&
               t->gen == page_gen(c, pa) && t->gen2 == page_gen(c, t->page2))) {
        /* a first instruction that straddles pages: the second page must
         * still be mapped where it was */
        if (UNLIKELY(t->page2 != (pa & ~0xfffu)) &&
            (fetch_translate(c, (lin | 0xfffu) + 1) & ~0xfffu) != t->page2)
            return fill(c, t, pa, lin);
        return t;
    }
    return fill(c, t, pa, lin);
}

/* icache_next (cpu_impl.h) found no link: look the trace up and link it
 * from the trace that ran last. */
struct tc_entry *icache_next_slow(struct cpu *c)
{
    struct tc_entry *p = c->prev_tc, *t;
    t = icache_lookup(c);
    if (p && t->page2 == (t->pa & ~0xfffu)) {
        unsigned k = p->link_next++ & 1;
        p->link_eip[k] = c->eip;
        p->link_epoch[k] = c->epoch;
        p->link[k] = t;
    }
    return c->prev_tc = t;
}
