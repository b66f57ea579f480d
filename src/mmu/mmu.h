/* The MMU: linear -> physical through the software TLB, paging per the SDM
 * Vol. 3 ch. 4 (32-bit mode), and the linear-access fast path.
 *
 * Fast path: an access whose page is in the TLB for the current privilege
 * and access kind, and which stays inside that page, costs a compare and an
 * add (host = lin + addend). Everything else -- misses, page-crossing
 * accesses, ROM writes, MMIO, pages that hold decoded code, the first write
 * through a clean entry -- takes the slow path in mmu.c, where the rules
 * live. A fault calls m->fault (which does not return: the CPU unwinds the
 * instruction) after setting CR2. */
#ifndef PAGODA_MMU_H
#define PAGODA_MMU_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mmu/phys.h"

struct events;

/* Access kinds. MMU_SUPER makes an access supervisor regardless of CPL
 * (descriptor tables, TSS, interrupt stack frames of ring changes go the
 * normal way: they use the new CPL). */
enum { MMU_READ = 0, MMU_WRITE = 1, MMU_FETCH = 2 };
#define MMU_SUPER 4u

#define TLB_INVALID_TAG 1u   /* never equal to a page-aligned address */

/* #PF error code bits (SDM Vol. 3 §4.7) */
#define PF_P    1u
#define PF_W    2u
#define PF_U    4u
#define PF_RSVD 8u

/* CR0/CR4 bits the MMU reads */
#define CR0_PE (1u << 0)
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_PGE (1u << 7)

struct tlb_entry {
    /* fast-path tags, indexed by [user]: the linear page when that kind of
     * access may go straight to host memory, else TLB_INVALID_TAG */
    uint32_t tag_read[2];
    uint32_t tag_write[2];
    uintptr_t addend;        /* host address = lin + addend */
    /* the cached translation, as the model sees it */
    uint32_t lin_page;
    uint32_t phys_page;
    uint8_t valid;
    uint8_t global;          /* from a G=1 entry while CR4.PGE = 1 */
    uint8_t large;           /* splinter of a 4 MiB page */
    uint8_t user_ok;         /* combined U/S of PDE and PTE */
    uint8_t write_ok_user;   /* combined R/W, user access */
    uint8_t write_ok_super;  /* combined R/W, supervisor access under current CR0.WP */
    uint8_t dirty;           /* D known set: writes need no walk */
};

enum tlb_flush_cause {
    TLB_FLUSH_CR3, TLB_FLUSH_CR0, TLB_FLUSH_CR4, TLB_FLUSH_A20,
    TLB_FLUSH_TASK_SWITCH, TLB_FLUSH_EXPLICIT, TLB_FLUSH_CAUSES
};

struct tlb_stats {
    uint64_t hits, misses, walks;
    uint64_t flushes[TLB_FLUSH_CAUSES];
    uint64_t invlpg;
    uint64_t page_faults;
};

struct tlb {
    unsigned sets, ways;     /* sets a power of two */
    unsigned set_mask;
    struct tlb_entry *ent;   /* way 0 of each set (the most recent) at ent[set],
                                then the other ways (see tlb.c) */
    struct tlb_stats st;
    /* bit r set: some valid entry may be a splinter of a 4 MiB page in the
     * region lin >> 22 == r (INVLPG then scans the sets it covers) */
    uint32_t large_regions[32];
};

struct mmu {
    struct tlb tlb;
    uint32_t cr0, cr2, cr3, cr4;
    unsigned user;           /* 1 while CPL == 3; the CPU keeps it current */
    struct phys *phys;
    struct events *ev;
    /* Called on a page fault after CR2 is set; must not return. */
    void (*fault)(void *ctx, uint32_t lin, uint32_t err) __attribute__((__noreturn__));
    void *fault_ctx;
    /* Optional: where the CPU keeps the EIP of the current instruction, so
     * page-fault events can name it (0 when NULL). */
    const uint32_t *eip;
};

/* Default geometry and the "i386" model (32 entries, 4-way: bits 14..12 of
 * the linear address pick the set, as on the i386).
 *
 * The default is direct-mapped, indexed by the low bits of the page number:
 * a hit is 14 host instructions (bench_tlb). Pages at the same offset in
 * different 4 MiB windows share a set, so kernel text and, say, vmalloc
 * data can evict each other; hashing the 4 MiB region into the index would
 * stop that for about 4 more instructions on every hit, which costs more
 * than it saves (the bundled guest's selftests at 1536 MiB: 144,599
 * misses in 258 M accesses, ~2% of the MMU's host instructions). */
#define TLB_DEFAULT_SETS 1024u
#define TLB_DEFAULT_WAYS 1u

/* sets: a power of two, at least 2 (the fast path's page-crossing test
 * relies on it); ways: 1..64. */
int mmu_init(struct mmu *m, struct phys *phys, unsigned sets, unsigned ways);
void mmu_free(struct mmu *m);
/* Parse "--tlb" values: "SETSxWAYS" or "i386". Returns 0 or -1. */
int mmu_parse_tlb_geometry(const char *s, unsigned *sets, unsigned *ways);

/* Control registers: these flush as the architecture requires. */
void mmu_set_cr0(struct mmu *m, uint32_t v);
void mmu_set_cr3(struct mmu *m, uint32_t v);
void mmu_set_cr4(struct mmu *m, uint32_t v);
void mmu_invlpg(struct mmu *m, uint32_t lin);
void mmu_flush(struct mmu *m, enum tlb_flush_cause cause);  /* all, globals too */
void mmu_a20_changed(struct mmu *m);

/* Slow paths (mmu.c). */
uint32_t mmu_read_slow(struct mmu *m, uint32_t lin, int size, unsigned flags);
void mmu_write_slow(struct mmu *m, uint32_t lin, int size, uint32_t val, unsigned flags);
/* Translate for an access kind (MMU_READ/WRITE/FETCH | MMU_SUPER): returns the
 * physical address, setting A/D and filling the TLB; faults through m->fault. */
uint32_t mmu_translate(struct mmu *m, uint32_t lin, unsigned flags);

/* One valid TLB entry as the UI and the monitor see it. */
struct tlb_snap {
    uint32_t lin, phys;      /* page addresses */
    uint32_t set;
    uint8_t way;             /* 0 = most recently used */
    uint8_t user_ok, write_ok_user, write_ok_super, dirty, global, large;
    uint8_t fast_read, fast_write;  /* host fast path open: bit 0 supervisor, bit 1 user */
};
/* Copies up to max valid entries (set by set, way 0 first) and returns how
 * many valid entries there are in all. */
unsigned tlb_snapshot(const struct mmu *m, struct tlb_snap *out, unsigned max);

/* The CPU decodes from a physical page: withhold the fast write path from
 * it so that writes reach phys and invalidate decodes. */
void mmu_mark_code(struct mmu *m, uint32_t phys_addr);

/* Way 0 of lin's set: the only entry the fast path looks at. */
static inline struct tlb_entry *mmu_tlb_slot(struct mmu *m, uint32_t lin)
{
    return &m->tlb.ent[(lin >> 12) & m->tlb.set_mask];
}

/* The fast-path test: the tag is compared with the page of the access's
 * LAST byte while the set comes from its first byte. A page-crossing access
 * never matches: its first byte's set holds pages congruent to the first
 * page modulo the number of sets, never the next page (there are at least
 * 2 sets). */
#define MMU_FAST_TAG(lin, size) (((lin) + (uint32_t)(size) - 1u) & ~0xfffu)

#define MMU_LIKELY(x) __builtin_expect(!!(x), 1)

#define MMU_FAST_READ(bits)                                                        \
    static inline uint32_t mmu_read##bits(struct mmu *m, uint32_t lin)             \
    {                                                                              \
        struct tlb_entry *e = mmu_tlb_slot(m, lin);                                \
        if (MMU_LIKELY(e->tag_read[m->user] == MMU_FAST_TAG(lin, (bits) / 8))) {   \
            uint##bits##_t v;                                                      \
            m->tlb.st.hits++;                                                      \
            memcpy(&v, (const void *)(e->addend + lin), sizeof v);                 \
            return v;                                                              \
        }                                                                          \
        return mmu_read_slow(m, lin, (bits) / 8, MMU_READ);                        \
    }
MMU_FAST_READ(8)
MMU_FAST_READ(16)
MMU_FAST_READ(32)
#undef MMU_FAST_READ

#define MMU_FAST_WRITE(bits)                                                       \
    static inline void mmu_write##bits(struct mmu *m, uint32_t lin, uint32_t val)  \
    {                                                                              \
        struct tlb_entry *e = mmu_tlb_slot(m, lin);                                \
        if (MMU_LIKELY(e->tag_write[m->user] == MMU_FAST_TAG(lin, (bits) / 8))) {  \
            uint##bits##_t v = (uint##bits##_t)val;                                \
            m->tlb.st.hits++;                                                      \
            memcpy((void *)(e->addend + lin), &v, sizeof v);                       \
            return;                                                                \
        }                                                                          \
        mmu_write_slow(m, lin, (bits) / 8, val, MMU_WRITE);                        \
    }
MMU_FAST_WRITE(8)
MMU_FAST_WRITE(16)
MMU_FAST_WRITE(32)
#undef MMU_FAST_WRITE

/* Read for a read-modify-write instruction: faults as a write (W=1 in the
 * error code) if the page is not writable, and sets D, before reading. */
static inline uint32_t mmu_read_rmw(struct mmu *m, uint32_t lin, int size)
{
    struct tlb_entry *e = mmu_tlb_slot(m, lin);
    if (MMU_LIKELY(e->tag_write[m->user] == MMU_FAST_TAG(lin, size))) {
        uint32_t v = 0;
        m->tlb.st.hits++;
        memcpy(&v, (const void *)(e->addend + lin), size);
        return v;
    }
    return mmu_read_slow(m, lin, size, MMU_WRITE);
}

/* Generic forms with explicit flags (e.g. MMU_SUPER for system tables). */
static inline uint32_t mmu_read_f(struct mmu *m, uint32_t lin, int size, unsigned flags)
{
    return mmu_read_slow(m, lin, size, flags);
}
static inline void mmu_write_f(struct mmu *m, uint32_t lin, int size, uint32_t val, unsigned flags)
{
    mmu_write_slow(m, lin, size, val, flags);
}

#endif
