/* The TLB as a model of the real one: stale entries until INVLPG or a CR3
 * load, global entries and CR4.PGE, INVLPG inside a 4 MiB page, D set by
 * the first write through a read-filled entry, the i386 geometry's misses
 * on known access patterns, LRU ways, counters, events and the snapshot. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "machine/events.h"
#include "mmu/mmu.h"
#include "mmu/paging.h"

#define PD 0x00010000u
#define PT 0x00011000u   /* maps lin 0..4 MiB */
#define PD2 0x00014000u  /* a second address space, same PT */

struct harness {
    struct phys *p;
    struct mmu m;
    jmp_buf jb;
    uint32_t err;
    struct events ev;
    uint64_t icount;
};

static struct harness *H;

static void __attribute__((__noreturn__)) on_fault(void *ctx, uint32_t lin, uint32_t err)
{
    struct harness *h = ctx;
    (void)lin;
    h->err = err;
    longjmp(h->jb, 1);
}

static void map4k(uint32_t lin, uint32_t phys, uint32_t flags)
{
    phys_write(H->p, PT + ((lin >> 12) & 0x3ff) * 4, phys | flags, 4);
}

static uint32_t pte_of(uint32_t lin) { return phys_read(H->p, PT + ((lin >> 12) & 0x3ff) * 4, 4); }

static void start(unsigned sets, unsigned ways)
{
    char err[128];
    H = calloc(1, sizeof *H);
    H->p = phys_create(32u << 20, err, sizeof err);
    ck_assert_ptr_nonnull(H->p);
    ck_assert_int_eq(mmu_init(&H->m, H->p, sets, ways), 0);
    H->m.fault = on_fault;
    H->m.fault_ctx = H;
    events_init(&H->ev, &H->icount);
    phys_write(H->p, PD, PT | PG_P | PG_RW | PG_US, 4);
    phys_write(H->p, PD2, PT | PG_P | PG_RW | PG_US, 4);
    /* identity-map the first 4 MiB, user read/write */
    for (uint32_t a = 0; a < (4u << 20); a += 4096)
        map4k(a, a, PG_P | PG_RW | PG_US);
    mmu_set_cr3(&H->m, PD);
    mmu_set_cr4(&H->m, CR4_PSE | CR4_PGE);
    mmu_set_cr0(&H->m, CR0_PE | CR0_PG | CR0_WP);
}

static void setup(void) { start(TLB_DEFAULT_SETS, TLB_DEFAULT_WAYS); }

static void teardown(void)
{
    mmu_free(&H->m);
    phys_destroy(H->p);
    free(H);
}

/* Returns the fault error code, or -1 if the read did not fault. */
static int try_read(uint32_t lin, uint32_t *v)
{
    if (setjmp(H->jb))
        return (int)H->err;
    *v = mmu_read32(&H->m, lin);
    return -1;
}

static int try_write(uint32_t lin, uint32_t v)
{
    if (setjmp(H->jb))
        return (int)H->err;
    mmu_write32(&H->m, lin, v);
    return -1;
}

START_TEST(pte_change_stays_invisible_until_invlpg)
{
    phys_write(H->p, 0x100000, 0xaaaa, 4);
    phys_write(H->p, 0x200000, 0xbbbb, 4);
    map4k(0x5000, 0x100000, PG_P | PG_RW);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x5000), 0xaaaa);
    map4k(0x5000, 0x200000, PG_P | PG_RW);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x5000), 0xaaaa);   /* stale, as on hardware */
    mmu_invlpg(&H->m, 0x5abc);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x5000), 0xbbbb);
    ck_assert_uint_eq(H->m.tlb.st.invlpg, 1);
}
END_TEST

START_TEST(pte_change_becomes_visible_after_cr3_load)
{
    phys_write(H->p, 0x100000, 0xaaaa, 4);
    phys_write(H->p, 0x200000, 0xbbbb, 4);
    map4k(0x5000, 0x100000, PG_P | PG_RW);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x5000), 0xaaaa);
    map4k(0x5000, 0x200000, PG_P | PG_RW);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x5000), 0xaaaa);
    mmu_set_cr3(&H->m, PD);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x5000), 0xbbbb);
}
END_TEST

static void global_case(bool pge)
{
    mmu_set_cr4(&H->m, CR4_PSE | (pge ? CR4_PGE : 0));
    phys_write(H->p, 0x100000, 0xaaaa, 4);
    phys_write(H->p, 0x200000, 0xbbbb, 4);
    map4k(0x6000, 0x100000, PG_P | PG_RW | PG_G);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x6000), 0xaaaa);
    map4k(0x6000, 0x200000, PG_P | PG_RW | PG_G);
    mmu_set_cr3(&H->m, PD2);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x6000), pge ? 0xaaaau : 0xbbbbu);
}

START_TEST(global_entry_survives_cr3_load_with_pge)
{
    global_case(true);
    /* ... but not INVLPG, which drops global entries too */
    mmu_invlpg(&H->m, 0x6000);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x6000), 0xbbbb);
}
END_TEST

START_TEST(global_entry_is_dropped_by_cr3_load_without_pge)
{
    global_case(false);
}
END_TEST

START_TEST(clearing_pge_flushes_global_entries)
{
    global_case(true);
    mmu_set_cr4(&H->m, CR4_PSE);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x6000), 0xbbbb);
    ck_assert_uint_eq(H->m.tlb.st.flushes[TLB_FLUSH_CR4], 2);  /* start() set PGE, we cleared it */
}
END_TEST

START_TEST(invlpg_anywhere_in_a_4m_page_drops_all_its_splinters)
{
    /* lin 8 MiB..12 MiB -> a 4 MiB page at phys 16 MiB, then at 20 MiB */
    uint32_t lin = 8u << 20;
    phys_write(H->p, PD + 2 * 4, (16u << 20) | PG_P | PG_RW | PG_PS, 4);
    for (uint32_t off = 0; off < (4u << 20); off += 1u << 20) {
        phys_write(H->p, (16u << 20) + off, 0x1000 + (off >> 20), 4);
        phys_write(H->p, (20u << 20) + off, 0x2000 + (off >> 20), 4);
        ck_assert_uint_eq(mmu_read32(&H->m, lin + off), 0x1000 + (off >> 20));
    }
    struct tlb_snap snap[8];
    ck_assert_uint_eq(tlb_snapshot(&H->m, snap, 8), 4);
    for (int i = 0; i < 4; i++)
        ck_assert(snap[i].large);
    phys_write(H->p, PD + 2 * 4, (20u << 20) | PG_P | PG_RW | PG_PS, 4);
    ck_assert_uint_eq(mmu_read32(&H->m, lin + (3u << 20)), 0x1003);   /* stale */
    mmu_invlpg(&H->m, lin + 0x2345);   /* a page we never touched */
    ck_assert_uint_eq(tlb_snapshot(&H->m, snap, 8), 0);
    for (uint32_t off = 0; off < (4u << 20); off += 1u << 20)
        ck_assert_uint_eq(mmu_read32(&H->m, lin + off), 0x2000 + (off >> 20));
}
END_TEST

START_TEST(invlpg_of_a_4k_page_keeps_its_neighbours)
{
    mmu_read32(&H->m, 0x7000);
    mmu_read32(&H->m, 0x8000);
    mmu_invlpg(&H->m, 0x7fff);
    struct tlb_snap snap[4];
    ck_assert_uint_eq(tlb_snapshot(&H->m, snap, 4), 1);
    ck_assert_uint_eq(snap[0].lin, 0x8000);
}
END_TEST

START_TEST(first_write_through_read_filled_entry_walks_and_sets_dirty)
{
    map4k(0x9000, 0x9000, PG_P | PG_RW | PG_US);
    mmu_read32(&H->m, 0x9000);
    ck_assert_uint_eq(pte_of(0x9000) & (PG_A | PG_D), PG_A);
    struct tlb_snap snap[2];
    tlb_snapshot(&H->m, snap, 2);
    ck_assert(!snap[0].dirty);
    ck_assert_uint_eq(snap[0].fast_write, 0);   /* a write cannot bypass the walk */
    uint64_t walks = H->m.tlb.st.walks;
    mmu_write32(&H->m, 0x9004, 1);
    ck_assert_uint_eq(pte_of(0x9000) & (PG_A | PG_D), PG_A | PG_D);
    ck_assert_uint_eq(H->m.tlb.st.walks, walks + 1);
    mmu_write32(&H->m, 0x9008, 2);   /* now a hit on the fast path */
    ck_assert_uint_eq(H->m.tlb.st.walks, walks + 1);
    tlb_snapshot(&H->m, snap, 2);
    ck_assert(snap[0].dirty);
    ck_assert_uint_eq(snap[0].fast_write, 3);
}
END_TEST

START_TEST(d_bit_cleared_by_the_guest_is_not_set_again_until_invlpg)
{
    /* A dirty entry stays dirty in the TLB: like hardware, writes do not
     * re-set a D bit the OS cleared without flushing. */
    mmu_write32(&H->m, 0xa000, 1);
    ck_assert(pte_of(0xa000) & PG_D);
    map4k(0xa000, 0xa000, PG_P | PG_RW | PG_US | PG_A);
    mmu_write32(&H->m, 0xa000, 2);
    ck_assert(!(pte_of(0xa000) & PG_D));
    mmu_invlpg(&H->m, 0xa000);
    mmu_write32(&H->m, 0xa000, 3);
    ck_assert(pte_of(0xa000) & PG_D);
}
END_TEST

START_TEST(fault_drops_the_stale_entry)
{
    uint32_t v;
    mmu_read32(&H->m, 0xb000);
    map4k(0xb000, 0xb000, 0);   /* not present, no INVLPG */
    ck_assert_int_eq(try_read(0xb000, &v), -1);           /* stale hit */
    ck_assert_int_eq(try_write(0xb000, 5), PF_W);         /* clean entry: walks, faults */
    ck_assert_uint_eq(H->m.cr2, 0xb000);
    ck_assert_int_eq(try_read(0xb000, &v), 0);            /* the fault dropped it */
    ck_assert_uint_eq(H->m.tlb.st.page_faults, 2);
}
END_TEST

START_TEST(user_access_to_supervisor_entry_in_tlb_faults)
{
    uint32_t v;
    map4k(0xc000, 0xc000, PG_P | PG_RW);
    mmu_read32(&H->m, 0xc000);   /* filled by the supervisor */
    H->m.user = 1;
    ck_assert_int_eq(try_read(0xc000, &v), PF_P | PF_U);
    ck_assert_int_eq(try_write(0xc000, 1), PF_P | PF_W | PF_U);
}
END_TEST

/* i386 geometry: 8 sets x 4 ways. Pages 8 apart share a set. */
static uint64_t misses_for(unsigned npages, unsigned rounds)
{
    uint64_t before = H->m.tlb.st.misses;
    for (unsigned r = 0; r < rounds; r++)
        for (unsigned i = 0; i < npages; i++)
            mmu_read8(&H->m, 0x100000 + i * 8 * 4096);
    return H->m.tlb.st.misses - before;
}

START_TEST(i386_geometry_four_pages_in_one_set_hit_after_first_round)
{
    teardown();
    unsigned sets, ways;
    ck_assert_int_eq(mmu_parse_tlb_geometry("i386", &sets, &ways), 0);
    start(sets, ways);
    ck_assert_uint_eq(misses_for(4, 10), 4);
    ck_assert_uint_eq(H->m.tlb.st.hits, 36);
}
END_TEST

START_TEST(i386_geometry_nine_pages_in_one_set_thrash)
{
    teardown();
    start(8, 4);
    /* LRU with 4 ways and a cyclic pattern of 9 (or 5): every access misses */
    ck_assert_uint_eq(misses_for(9, 10), 90);
    mmu_flush(&H->m, TLB_FLUSH_EXPLICIT);
    ck_assert_uint_eq(misses_for(5, 10), 50);
}
END_TEST

START_TEST(i386_geometry_32_pages_spread_over_sets_fit)
{
    teardown();
    start(8, 4);
    uint64_t before = H->m.tlb.st.misses;
    for (int r = 0; r < 5; r++)
        for (uint32_t p = 0; p < 32; p++)
            mmu_read8(&H->m, 0x100000 + p * 4096);
    ck_assert_uint_eq(H->m.tlb.st.misses - before, 32);
    struct tlb_snap snap[40];
    ck_assert_uint_eq(tlb_snapshot(&H->m, snap, 40), 32);
}
END_TEST

START_TEST(hit_in_another_way_moves_to_way_0)
{
    teardown();
    start(8, 4);
    mmu_read8(&H->m, 0x100000);            /* A */
    mmu_read8(&H->m, 0x108000);            /* B, same set: A moves to way 1 */
    uint64_t hits = H->m.tlb.st.hits, misses = H->m.tlb.st.misses;
    mmu_read8(&H->m, 0x100000);            /* slow-path hit on way 1 */
    ck_assert_uint_eq(H->m.tlb.st.hits, hits + 1);
    ck_assert_uint_eq(H->m.tlb.st.misses, misses);
    struct tlb_snap snap[4];
    ck_assert_uint_eq(tlb_snapshot(&H->m, snap, 4), 2);
    ck_assert_uint_eq(snap[0].lin, 0x100000);
    ck_assert_uint_eq(snap[0].way, 0);
    ck_assert_uint_eq(snap[1].lin, 0x108000);
    ck_assert_uint_eq(snap[1].way, 1);
}
END_TEST

START_TEST(tlb_geometry_strings_parse)
{
    unsigned s, w;
    ck_assert_int_eq(mmu_parse_tlb_geometry("64x2", &s, &w), 0);
    ck_assert_uint_eq(s, 64);
    ck_assert_uint_eq(w, 2);
    ck_assert_int_eq(mmu_parse_tlb_geometry("i386", &s, &w), 0);
    ck_assert_uint_eq(s * w, 32);
    ck_assert_int_eq(mmu_parse_tlb_geometry("3x2", &s, &w), -1);
    ck_assert_int_eq(mmu_parse_tlb_geometry("64x", &s, &w), -1);
    ck_assert_int_eq(mmu_parse_tlb_geometry("64x2z", &s, &w), -1);
    ck_assert_int_eq(mmu_parse_tlb_geometry("0x1", &s, &w), -1);
    ck_assert_int_eq(mmu_parse_tlb_geometry("1x32", &s, &w), -1);   /* at least 2 sets */
}
END_TEST

START_TEST(wp_and_pse_changes_flush_and_count)
{
    mmu_read32(&H->m, 0x3000);
    struct tlb_snap snap[2];
    ck_assert_uint_eq(tlb_snapshot(&H->m, snap, 2), 1);
    mmu_set_cr0(&H->m, CR0_PE | CR0_PG);   /* WP off */
    ck_assert_uint_eq(tlb_snapshot(&H->m, snap, 2), 0);
    mmu_read32(&H->m, 0x3000);
    mmu_set_cr4(&H->m, CR4_PGE);           /* PSE off */
    ck_assert_uint_eq(tlb_snapshot(&H->m, snap, 2), 0);
    mmu_read32(&H->m, 0x3000);
    mmu_set_cr4(&H->m, CR4_PGE);           /* no change: no flush */
    ck_assert_uint_eq(tlb_snapshot(&H->m, snap, 2), 1);
}
END_TEST

START_TEST(events_record_fault_cr3_flush_and_invlpg)
{
    uint32_t eip = 0x1234, v;
    H->m.ev = &H->ev;
    H->m.eip = &eip;
    map4k(0xd000, 0, 0);
    ck_assert_int_eq(try_read(0xd000, &v), 0);
    mmu_read32(&H->m, 0xe000);
    mmu_invlpg(&H->m, 0xe000);
    mmu_set_cr3(&H->m, PD2);
    struct event e[8];
    uint64_t since = 0;
    ck_assert_uint_eq(events_read(&H->ev, &since, e, 8), 4);
    ck_assert_uint_eq(e[0].kind, EV_PAGE_FAULT);
    ck_assert_uint_eq(e[0].a, 0xd000);
    ck_assert_uint_eq(e[0].b, 0);
    ck_assert_uint_eq(e[0].c, 0x1234);
    ck_assert_uint_eq(e[1].kind, EV_INVLPG);
    ck_assert_uint_eq(e[1].b, 1);
    ck_assert_uint_eq(e[2].kind, EV_CR3_LOAD);
    ck_assert_uint_eq(e[2].a, PD2);
    ck_assert_uint_eq(e[2].b, PD);
    ck_assert_uint_eq(e[3].kind, EV_TLB_FLUSH);
    ck_assert_uint_eq(e[3].a, TLB_FLUSH_CR3);
}
END_TEST

START_TEST(probe_changes_nothing_and_walk_sets_accessed)
{
    map4k(0xf000, 0x1f000, PG_P | PG_RW | PG_US);
    struct paging_walk w;
    ck_assert(paging_probe(&H->m, 0xf123, MMU_WRITE, &w));
    ck_assert_uint_eq(w.phys, 0x1f123);
    ck_assert_uint_eq(w.nsteps, 2);
    ck_assert_uint_eq(w.step[0].addr, PD);
    ck_assert_uint_eq(w.step[1].addr, PT + 0xf * 4);
    ck_assert_uint_eq(w.step[1].set_bits, PG_A | PG_D);   /* would set */
    ck_assert_uint_eq(pte_of(0xf000) & (PG_A | PG_D), 0);
    ck_assert_uint_eq(phys_read(H->p, PD, 4) & PG_A, 0);
    struct tlb_snap snap[2];
    ck_assert_uint_eq(tlb_snapshot(&H->m, snap, 2), 0);
    ck_assert(paging_walk(&H->m, 0xf123, MMU_WRITE, &w));
    ck_assert_uint_eq(pte_of(0xf000) & (PG_A | PG_D), PG_A | PG_D);
    ck_assert_uint_eq(phys_read(H->p, PD, 4) & PG_A, PG_A);
    char buf[512];
    size_t n = paging_walk_format(&w, buf, sizeof buf);
    ck_assert_uint_lt(n, sizeof buf);
    ck_assert_ptr_nonnull(strstr(buf, "PDE[   0] at 00010000"));
    ck_assert_ptr_nonnull(strstr(buf, "PTE[  15] at 0001103c"));
    ck_assert_ptr_nonnull(strstr(buf, "set A D"));
    ck_assert_ptr_nonnull(strstr(buf, "-> phys 0001f123"));
}
END_TEST

START_TEST(probe_as_walks_another_address_space)
{
    /* PD2 maps lin 4 MiB..8 MiB too, through its own table */
    phys_write(H->p, PD2 + 4, 0x15000 | PG_P | PG_US, 4);
    phys_write(H->p, 0x15000 + 3 * 4, 0x77000 | PG_P | PG_US, 4);
    struct paging_walk w;
    ck_assert(!paging_probe(&H->m, 0x403000, MMU_READ, &w));     /* not in PD */
    ck_assert_uint_eq(w.err, 0);
    ck_assert(paging_probe_as(&H->m, PD2, true, 0x403004, MMU_READ, &w));
    ck_assert_uint_eq(w.phys, 0x77004);
    ck_assert_uint_eq(w.cr3, PD2);
    ck_assert(!paging_probe_as(&H->m, PD2, true, 0x403004, MMU_WRITE, &w));
    ck_assert_uint_eq(w.err, PF_P | PF_W | PF_U);
    ck_assert_uint_eq(phys_read(H->p, 0x15000 + 3 * 4, 4) & PG_A, 0);
}
END_TEST

START_TEST(format_explains_a_fault_and_truncates_safely)
{
    map4k(0xf000, 0x1f000, PG_P | PG_US);
    H->m.user = 1;
    struct paging_walk w;
    ck_assert(!paging_probe(&H->m, 0xf000, MMU_WRITE, &w));
    ck_assert_uint_eq(w.err, PF_P | PF_W | PF_U);
    char buf[512], small[16];
    paging_walk_format(&w, buf, sizeof buf);
    ck_assert_ptr_nonnull(strstr(buf, "#PF error 7"));
    ck_assert_ptr_nonnull(strstr(buf, "user write to a read-only page"));
    size_t n = paging_walk_format(&w, small, sizeof small);
    ck_assert_uint_eq(n, strlen(buf));
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
}
END_TEST

/* Two adjacent lin pages on non-adjacent frames, both in the TLB: an
 * access across them must not be served from the first frame's host page. */
static void crossing_reads_both_frames(void)
{
    map4k(0x20000, 0x100000, PG_P | PG_RW | PG_US | PG_A | PG_D);
    map4k(0x21000, 0x300000, PG_P | PG_RW | PG_US | PG_A | PG_D);
    phys_write(H->p, 0x100ffc, 0x44332211, 4);
    phys_write(H->p, 0x101000, 0x88776655, 4);   /* host-adjacent, wrong frame */
    phys_write(H->p, 0x300000, 0xccbbaa99, 4);
    ck_assert_uint_eq(mmu_read8(&H->m, 0x20000), 0);
    ck_assert_uint_eq(mmu_read8(&H->m, 0x21000), 0x99);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x20ffe), 0xaa994433);
    ck_assert_uint_eq(mmu_read16(&H->m, 0x20fff), 0x9944);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x20ffc), 0x44332211);   /* fits: fast */
    mmu_write32(&H->m, 0x20ffd, 0x01020304);
    ck_assert_uint_eq(phys_read(H->p, 0x100ffc, 4), 0x02030411);
    ck_assert_uint_eq(phys_read(H->p, 0x300000, 4), 0xccbbaa01);
    ck_assert_uint_eq(phys_read(H->p, 0x101000, 4), 0x88776655);
    ck_assert_uint_eq(mmu_read_rmw(&H->m, 0x20fff, 2), 0x0102);
}

START_TEST(page_crossing_access_never_takes_the_fast_path)
{
    crossing_reads_both_frames();
}
END_TEST

START_TEST(page_crossing_access_never_takes_the_fast_path_with_2_sets)
{
    teardown();
    start(2, 2);
    crossing_reads_both_frames();
}
END_TEST

static uint32_t mmio_reads;
static uint32_t mmio_read(void *ctx, uint32_t off, int size)
{
    (void)ctx;
    (void)size;
    mmio_reads++;
    return off;
}
static void mmio_write(void *ctx, uint32_t off, uint32_t val, int size)
{
    (void)ctx, (void)off, (void)val, (void)size;
}

START_TEST(mmio_page_reads_reach_the_device_on_every_access)
{
    static const struct phys_mmio_ops ops = { mmio_read, mmio_write };
    ck_assert_int_eq(phys_add_mmio(H->p, 0xfee00000, 4096, &ops, NULL), 0);
    map4k(0x2000, 0xfee00000, PG_P | PG_RW);
    mmio_reads = 0;
    ck_assert_uint_eq(mmu_read32(&H->m, 0x2010), 0x10);
    ck_assert_uint_eq(mmu_read32(&H->m, 0x2020), 0x20);
    ck_assert_uint_eq(mmio_reads, 2);
    ck_assert_uint_eq(H->m.tlb.st.misses, 1);   /* the second was a slow-path hit */
}
END_TEST

static uint32_t code_writes;
static void on_code(void *ctx, uint32_t pa, uint32_t len)
{
    (void)ctx, (void)pa, (void)len;
    code_writes++;
}

START_TEST(writes_to_a_code_page_take_the_slow_path)
{
    phys_set_code_hook(H->p, on_code, NULL);
    mmu_write32(&H->m, 0x4000, 1);   /* dirty, fast-path writable */
    mmu_mark_code(&H->m, 0x4000);
    code_writes = 0;
    mmu_write32(&H->m, 0x4004, 2);
    ck_assert_uint_eq(code_writes, 1);
}
END_TEST

START_TEST(paging_off_maps_linear_to_physical_through_a20)
{
    mmu_set_cr0(&H->m, CR0_PE);
    phys_write(H->p, 0x12345, 0x77, 1);
    ck_assert_uint_eq(mmu_read8(&H->m, 0x12345), 0x77);
    phys_set_a20(H->p, false);
    mmu_a20_changed(&H->m);
    ck_assert_uint_eq(mmu_read8(&H->m, 0x112345), 0x77);   /* wraps to 0x12345 */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu tlb");
    TCase *tc = tcase_create("tlb");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, pte_change_stays_invisible_until_invlpg);
    tcase_add_test(tc, pte_change_becomes_visible_after_cr3_load);
    tcase_add_test(tc, global_entry_survives_cr3_load_with_pge);
    tcase_add_test(tc, global_entry_is_dropped_by_cr3_load_without_pge);
    tcase_add_test(tc, clearing_pge_flushes_global_entries);
    tcase_add_test(tc, invlpg_anywhere_in_a_4m_page_drops_all_its_splinters);
    tcase_add_test(tc, invlpg_of_a_4k_page_keeps_its_neighbours);
    tcase_add_test(tc, first_write_through_read_filled_entry_walks_and_sets_dirty);
    tcase_add_test(tc, d_bit_cleared_by_the_guest_is_not_set_again_until_invlpg);
    tcase_add_test(tc, fault_drops_the_stale_entry);
    tcase_add_test(tc, user_access_to_supervisor_entry_in_tlb_faults);
    tcase_add_test(tc, i386_geometry_four_pages_in_one_set_hit_after_first_round);
    tcase_add_test(tc, i386_geometry_nine_pages_in_one_set_thrash);
    tcase_add_test(tc, i386_geometry_32_pages_spread_over_sets_fit);
    tcase_add_test(tc, hit_in_another_way_moves_to_way_0);
    tcase_add_test(tc, tlb_geometry_strings_parse);
    tcase_add_test(tc, wp_and_pse_changes_flush_and_count);
    tcase_add_test(tc, events_record_fault_cr3_flush_and_invlpg);
    tcase_add_test(tc, probe_changes_nothing_and_walk_sets_accessed);
    tcase_add_test(tc, format_explains_a_fault_and_truncates_safely);
    tcase_add_test(tc, probe_as_walks_another_address_space);
    tcase_add_test(tc, page_crossing_access_never_takes_the_fast_path);
    tcase_add_test(tc, page_crossing_access_never_takes_the_fast_path_with_2_sets);
    tcase_add_test(tc, mmio_page_reads_reach_the_device_on_every_access);
    tcase_add_test(tc, writes_to_a_code_page_take_the_slow_path);
    tcase_add_test(tc, paging_off_maps_linear_to_physical_through_a20);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
