/* The 32-bit page walk (SDM Vol. 3 §4.3), access rights (§4.6), the #PF
 * error code (§4.7) and A/D bits (§4.8). See paging.h for the model. */
#include "mmu/paging.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mmu/mmu.h"

static uint32_t read_entry(struct mmu *m, uint32_t addr, bool probe, bool *unreadable)
{
    /* A probe must not disturb a device: entries in MMIO are not read. */
    if (probe && phys_kind_at(m->phys, addr) == PHYS_MMIO) {
        *unreadable = true;
        return 0;
    }
    return phys_read(m->phys, addr, 4);
}

static bool fault(struct paging_walk *w, uint32_t err, const char *why)
{
    w->fault = true;
    w->err = err | (w->access & MMU_WRITE ? PF_W : 0) | (w->user ? PF_U : 0);
    w->why = why;
    return false;
}

/* SDM §4.6.1 (no SMEP/SMAP/NX): a user access needs U/S=1 in every entry;
 * a user write also needs R/W=1 in every entry; a supervisor write needs
 * R/W=1 in every entry only when CR0.WP=1; reads and fetches by the
 * supervisor are always allowed. */
static const char *rights_violation(const struct paging_walk *w, bool wp)
{
    bool write = w->access & MMU_WRITE;
    if (w->user && !w->user_ok)
        return "user access to a supervisor page";
    if (write && !w->write_ok && (w->user || wp))
        return w->user ? "user write to a read-only page"
                       : "supervisor write to a read-only page with CR0.WP=1";
    return NULL;
}

/* Set bits in an entry as a locked read-modify-write would: OR into what
 * memory holds now (an earlier step of this walk may have written the same
 * entry, e.g. through a self-mapping page directory). */
static void set_entry_bits(struct mmu *m, struct paging_step *s, uint32_t bits)
{
    uint32_t now = phys_read(m->phys, s->addr, 4);
    if ((now & bits) != bits)
        phys_write(m->phys, s->addr, now | bits, 4);
}

static bool walk(struct mmu *m, uint32_t cr3, bool user, uint32_t lin, unsigned access,
                 struct paging_walk *w, bool probe)
{
    memset(w, 0, sizeof *w);
    w->lin = lin;
    w->access = access;
    w->probe = probe;
    w->cr3 = cr3;
    w->user = user && !(access & MMU_SUPER);
    w->paging = m->cr0 & CR0_PG;
    uint32_t a20 = phys_a20_mask(m->phys);
    if (!w->paging) {
        w->phys = lin & a20;
        w->page_size = 4096;
        w->user_ok = w->write_ok = w->dirty = true;
        return true;
    }
    bool wp = m->cr0 & CR0_WP, pse = m->cr4 & CR4_PSE, pge = m->cr4 & CR4_PGE;
    bool write = access & MMU_WRITE, unreadable = false;

    struct paging_step *pd = &w->step[w->nsteps++];
    pd->level = PAGING_PDE;
    pd->index = lin >> 22;
    pd->addr = ((cr3 & PG_FRAME) | (lin >> 22) * 4) & a20;
    pd->value = read_entry(m, pd->addr, probe, &unreadable);
    if (unreadable)
        return fault(w, 0, "PDE lies in MMIO (not read by a probe)");
    uint32_t pde = pd->value;
    if (!(pde & PG_P))
        return fault(w, 0, "PDE not present");

    struct paging_step *last = pd;
    uint32_t rights = pde;
    if (pse && (pde & PG_PS)) {
        pd->large = true;
        if (pde & PG_LARGE_RSVD)
            return fault(w, PF_P | PF_RSVD, "reserved bit set in 4 MiB PDE (bits 21..13)");
        w->page_size = 4u << 20;
        w->phys = ((pde & PG_LARGE_FRAME) | (lin & 0x3fffffu)) & a20;
    } else {
        struct paging_step *pt = &w->step[w->nsteps++];
        pt->level = PAGING_PTE;
        pt->index = (lin >> 12) & 0x3ffu;
        pt->addr = ((pde & PG_FRAME) | ((lin >> 12) & 0x3ffu) * 4) & a20;
        pt->value = read_entry(m, pt->addr, probe, &unreadable);
        if (unreadable)
            return fault(w, 0, "PTE lies in MMIO (not read by a probe)");
        uint32_t pte = pt->value;
        if (!(pte & PG_P))
            return fault(w, 0, "PTE not present");
        rights &= pte;
        last = pt;
        w->page_size = 4096;
        w->phys = ((pte & PG_FRAME) | (lin & 0xfffu)) & a20;
    }
    w->user_ok = rights & PG_US;
    w->write_ok = rights & PG_RW;
    w->global = pge && (last->value & PG_G);
    const char *why = rights_violation(w, wp);
    if (why)
        return fault(w, PF_P, why);

    /* SDM §4.8: the walk succeeded, so A is set in every entry it used;
     * a write sets D in the entry that maps the page. */
    for (unsigned i = 0; i < w->nsteps; i++) {
        struct paging_step *s = &w->step[i];
        uint32_t want = PG_A | (s == last && write ? PG_D : 0);
        s->set_bits = want & ~s->value;
    }
    w->dirty = (last->value | last->set_bits) & PG_D;
    if (!probe)
        for (unsigned i = 0; i < w->nsteps; i++)
            if (w->step[i].set_bits)
                set_entry_bits(m, &w->step[i], w->step[i].set_bits);
    return true;
}

bool paging_walk(struct mmu *m, uint32_t lin, unsigned access, struct paging_walk *w)
{
    return walk(m, m->cr3, m->user, lin, access, w, false);
}

bool paging_probe(struct mmu *m, uint32_t lin, unsigned access, struct paging_walk *w)
{
    return walk(m, m->cr3, m->user, lin, access, w, true);
}

bool paging_probe_as(struct mmu *m, uint32_t cr3, bool user, uint32_t lin, unsigned access,
                     struct paging_walk *w)
{
    return walk(m, cr3, user, lin, access, w, true);
}

/* Reads an entry without side effects; false for entries in MMIO. */
static bool peek_entry(struct mmu *m, uint32_t addr, uint32_t *v)
{
    if (phys_kind_at(m->phys, addr) == PHYS_MMIO)
        return false;
    *v = phys_read(m->phys, addr, 4);
    return true;
}

unsigned paging_enumerate(struct mmu *m, uint32_t cr3,
                          int (*fn)(void *ctx, const struct paging_mapping *map), void *ctx)
{
    uint32_t a20 = phys_a20_mask(m->phys);
    bool pse = m->cr4 & CR4_PSE, pge = m->cr4 & CR4_PGE;
    unsigned n = 0;
    for (uint32_t i = 0; i < 1024; i++) {
        uint32_t pde;
        if (!peek_entry(m, ((cr3 & PG_FRAME) | i * 4) & a20, &pde) || !(pde & PG_P))
            continue;
        if (pse && (pde & PG_PS)) {
            if (pde & PG_LARGE_RSVD)
                continue;   /* faults with RSVD: no translation */
            struct paging_mapping map = {
                .lin = i << 22, .phys = pde & PG_LARGE_FRAME & a20, .size = 4u << 20,
                .pde = pde, .user_ok = pde & PG_US, .write_ok = pde & PG_RW,
                .global = pge && (pde & PG_G), .accessed = pde & PG_A, .dirty = pde & PG_D,
            };
            n++;
            if (fn(ctx, &map))
                return n;
            continue;
        }
        for (uint32_t j = 0; j < 1024; j++) {
            uint32_t pte;
            if (!peek_entry(m, ((pde & PG_FRAME) | j * 4) & a20, &pte) || !(pte & PG_P))
                continue;
            struct paging_mapping map = {
                .lin = i << 22 | j << 12, .phys = pte & PG_FRAME & a20, .size = 4096,
                .pde = pde, .pte = pte, .user_ok = pde & pte & PG_US,
                .write_ok = pde & pte & PG_RW, .global = pge && (pte & PG_G),
                .accessed = pte & PG_A, .dirty = pte & PG_D,
            };
            n++;
            if (fn(ctx, &map))
                return n;
        }
    }
    return n;
}

/* Append to a bounded buffer, counting what the full text needs. */
struct out {
    char *buf;
    size_t len, need;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->need < o->len ? o->len - o->need : 0;
    int n = vsnprintf(room ? o->buf + o->need : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->need += (size_t)n;
}

size_t paging_entry_format(uint32_t v, enum paging_level level, bool pse, char *buf, size_t len)
{
    struct out o = { buf, len, 0 };
    if (len)
        buf[0] = '\0';
    bool large = level == PAGING_PDE && pse && (v & PG_PS);
    put(&o, "%s %s %s", v & PG_P ? "P" : "-", v & PG_RW ? "RW" : "RO", v & PG_US ? "U" : "S");
    if (v & PG_PWT) put(&o, " PWT");
    if (v & PG_PCD) put(&o, " PCD");
    if (v & PG_A) put(&o, " A");
    if ((level == PAGING_PTE || large) && (v & PG_D)) put(&o, " D");
    if (large) put(&o, " PS");
    if ((level == PAGING_PTE || large) && (v & PG_G)) put(&o, " G");
    return o.need;
}

static const char *access_name(unsigned access)
{
    switch (access & 3u) {
    case MMU_WRITE: return "write";
    case MMU_FETCH: return "fetch";
    default: return "read";
    }
}

size_t paging_walk_format(const struct paging_walk *w, char *buf, size_t len)
{
    struct out o = { buf, len, 0 };
    if (len)
        buf[0] = '\0';
    put(&o, "%s %s of lin %08x%s\n", w->user ? "user" : "supervisor", access_name(w->access),
        w->lin, w->probe ? " (probe: nothing written)" : "");
    if (!w->paging) {
        put(&o, "  paging off: phys %08x\n", w->phys);
        return o.need;
    }
    put(&o, "  CR3 %08x: page directory at %08x%s%s\n", w->cr3, w->cr3 & PG_FRAME,
        w->cr3 & PG_PWT ? " PWT" : "", w->cr3 & PG_PCD ? " PCD" : "");
    for (unsigned i = 0; i < w->nsteps; i++) {
        const struct paging_step *s = &w->step[i];
        char flags[64];
        paging_entry_format(s->value, s->level, s->large, flags, sizeof flags);
        put(&o, "  %s[%4u] at %08x = %08x  %s", s->level == PAGING_PDE ? "PDE" : "PTE",
            s->index, s->addr, s->value, flags);
        if (s->set_bits)
            put(&o, "  %s%s%s", w->probe ? "would set" : "set", s->set_bits & PG_A ? " A" : "",
                s->set_bits & PG_D ? " D" : "");
        put(&o, "\n");
    }
    if (w->fault)
        put(&o, "  #PF error %x (%s%s%s%s): %s\n", w->err, w->err & PF_P ? "P" : "not-P",
            w->err & PF_W ? " W" : " R", w->err & PF_U ? " U" : " S",
            w->err & PF_RSVD ? " RSVD" : "", w->why);
    else
        put(&o, "  -> phys %08x (%s page, %s %s%s%s)\n", w->phys,
            w->page_size > 4096 ? "4 MiB" : "4 KiB", w->user_ok ? "user" : "supervisor",
            w->write_ok ? "read/write" : "read-only", w->global ? ", global" : "",
            w->dirty ? ", dirty" : "");
    return o.need;
}

struct ranges {
    struct out *o;
    bool open;
    uint32_t start, end;    /* end exclusive; 0 with open = 4 GiB */
    bool user_ok, write_ok;
};

static void range_close(struct ranges *r)
{
    if (!r->open)
        return;
    uint64_t end = r->end ? r->end : (1ull << 32);
    put(r->o, "%08x-%08llx %08llx %cr%c\n", r->start, (unsigned long long)end,
        (unsigned long long)(end - r->start), r->user_ok ? 'u' : '-', r->write_ok ? 'w' : '-');
    r->open = false;
}

static int range_add(void *ctx, const struct paging_mapping *map)
{
    struct ranges *r = ctx;
    if (!r->open || map->lin != r->end || map->user_ok != r->user_ok || map->write_ok != r->write_ok) {
        range_close(r);
        *r = (struct ranges){ .o = r->o, .open = true, .start = map->lin,
                              .user_ok = map->user_ok, .write_ok = map->write_ok };
    }
    r->end = map->lin + map->size;
    return 0;
}

size_t paging_format_ranges(struct mmu *m, uint32_t cr3, char *buf, size_t len)
{
    struct out o = { buf, len, 0 };
    if (len)
        buf[0] = '\0';
    struct ranges r = { .o = &o };
    paging_enumerate(m, cr3, range_add, &r);
    range_close(&r);
    return o.need;
}
