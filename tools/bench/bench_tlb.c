/* bench_tlb: host cost of a guest linear access through the MMU.
 *
 *   bench_tlb [--scale N] [--tlb SETSxWAYS|i386]
 *
 * Paging is on (4 KiB pages, CR0.WP, like a Linux guest). Each figure is
 * ns per access over many accesses, best of 3 runs:
 *   read hit    mmu_read32 on pages resident in way 0 (the inline fast path)
 *   write hit   mmu_write32, same pages, D already set
 *   other-way   i386-style hit found in another way of the set (slow path)
 *   miss        every access misses: pages that all fall in one set, more
 *               of them than ways, so each access walks PDE and PTE and fills
 * For host instruction counts per access (repeatable on noisy machines):
 *   valgrind --tool=callgrind --toggle-collect='loop_*' bench_tlb --scale 1
 * and divide each loop_* function's inclusive Ir by the accesses it made
 * (printed below). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmu/mmu.h"
#include "mmu/paging.h"

#define PD 0x00100000u
#define PT_BASE 0x00101000u  /* one page table per 4 MiB of lin, 64 of them */
#define NPT 64u

static void __attribute__((__noreturn__)) on_fault(void *ctx, uint32_t lin, uint32_t err)
{
    (void)ctx;
    fprintf(stderr, "bench_tlb: unexpected #PF at %08x err %x\n", lin, err);
    exit(1);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* lin -> phys identity for 256 MiB, page tables in low memory. */
static void build_tables(struct phys *p)
{
    for (uint32_t i = 0; i < NPT; i++) {
        phys_write(p, PD + i * 4, (PT_BASE + i * 4096) | PG_P | PG_RW | PG_US, 4);
        for (uint32_t j = 0; j < 1024; j++) {
            uint32_t page = (i << 22) | (j << 12);
            phys_write(p, PT_BASE + i * 4096 + j * 4, page | PG_P | PG_RW | PG_US | PG_A | PG_D, 4);
        }
    }
}

/* One read loop per figure, so that callgrind can tell them apart. */
#define READ_LOOP(name)                                                                     \
    static uint32_t __attribute__((noinline)) name(struct mmu *m, const uint32_t *lin,      \
                                                   unsigned n, unsigned reps)               \
    {                                                                                       \
        uint32_t sum = 0;                                                                   \
        for (unsigned r = 0; r < reps; r++)                                                 \
            for (unsigned i = 0; i < n; i++)                                                \
                sum += mmu_read32(m, lin[i]);                                               \
        return sum;                                                                         \
    }
READ_LOOP(loop_read_hit)
READ_LOOP(loop_other_way)
READ_LOOP(loop_miss)

static void __attribute__((noinline)) loop_write_hit(struct mmu *m, const uint32_t *lin, unsigned n, unsigned reps)
{
    for (unsigned r = 0; r < reps; r++)
        for (unsigned i = 0; i < n; i++)
            mmu_write32(m, lin[i], r);
}

typedef uint32_t (*loop_fn)(struct mmu *, const uint32_t *, unsigned, unsigned);

static double best_ns(loop_fn f, struct mmu *m, const uint32_t *lin, unsigned n, unsigned reps,
                      volatile uint32_t *sink)
{
    double best = 1e30;
    for (int run = 0; run < 3; run++) {
        double t0 = now_ns();
        *sink += f(m, lin, n, reps);
        double t = (now_ns() - t0) / ((double)n * reps);
        if (t < best)
            best = t;
    }
    return best;
}

static uint32_t write_as_read(struct mmu *m, const uint32_t *lin, unsigned n, unsigned reps)
{
    loop_write_hit(m, lin, n, reps);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned scale = 20, sets = TLB_DEFAULT_SETS, ways = TLB_DEFAULT_WAYS;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--scale") && i + 1 < argc) {
            scale = (unsigned)atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--tlb") && i + 1 < argc) {
            if (mmu_parse_tlb_geometry(argv[++i], &sets, &ways) < 0) {
                fprintf(stderr, "bench_tlb: bad --tlb %s (want SETSxWAYS or i386)\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: bench_tlb [--scale N] [--tlb SETSxWAYS|i386]\n");
            return 2;
        }
    }
    if (scale == 0)
        scale = 1;
    char err[128];
    struct phys *p = phys_create(256u << 20, err, sizeof err);
    if (!p) {
        fprintf(stderr, "bench_tlb: %s\n", err);
        return 1;
    }
    struct mmu m;
    if (mmu_init(&m, p, sets, ways) < 0) {
        fprintf(stderr, "bench_tlb: bad TLB geometry\n");
        return 1;
    }
    m.fault = on_fault;
    build_tables(p);
    mmu_set_cr3(&m, PD);
    mmu_set_cr0(&m, CR0_PE | CR0_PG | CR0_WP);
    volatile uint32_t sink = 0;

    /* Hits: 16 consecutive pages (distinct sets), 4 accesses in each. */
    uint32_t hit[64];
    for (unsigned i = 0; i < 64; i++)
        hit[i] = 0x00400000u + (i % 16) * 4096 + (i / 16) * 256;
    unsigned hit_reps = 40000 * scale;
    loop_read_hit(&m, hit, 64, 1);
    double rd = best_ns(loop_read_hit, &m, hit, 64, hit_reps, &sink);
    loop_write_hit(&m, hit, 64, 1);
    double wr = best_ns(write_as_read, &m, hit, 64, hit_reps, &sink);

    /* Misses: ways+1 pages in one set, cycled: LRU evicts each before reuse. */
    uint32_t miss[65];
    unsigned nmiss = ways + 1;
    for (unsigned i = 0; i < nmiss; i++)
        miss[i] = 0x00400000u + i * sets * 4096u % (240u << 20);
    unsigned miss_reps = 20000 * scale / nmiss + 1;
    uint64_t walks0 = m.tlb.st.walks;
    double ms = best_ns(loop_miss, &m, miss, nmiss, miss_reps, &sink);
    double walks_per = (double)(m.tlb.st.walks - walks0) / (3.0 * nmiss * miss_reps);

    /* Hits in another way (only with ways > 1): exactly `ways` pages in one
     * set, cycled, so each is found in the LRU way and moved to way 0. */
    double ow = 0;
    if (ways > 1) {
        loop_other_way(&m, miss, ways, 1);
        ow = best_ns(loop_other_way, &m, miss, ways, miss_reps * 4, &sink);
    }

    printf("TLB %ux%u, paging on, 4 KiB pages\n", sets, ways);
    printf("  read hit (fast path)     %7.2f ns/access  (%u accesses per run)\n", rd, 64 * hit_reps);
    printf("  write hit (fast path)    %7.2f ns/access  (%u accesses per run)\n", wr, 64 * hit_reps);
    if (ways > 1)
        printf("  hit in another way       %7.2f ns/access  (%u accesses per run)\n", ow,
               ways * miss_reps * 4);
    printf("  miss (walk + fill)       %7.2f ns/access  (%u accesses per run, %.2f walks each)\n",
           ms, nmiss * miss_reps, walks_per);
    printf("  counters: hits %llu misses %llu walks %llu\n", (unsigned long long)m.tlb.st.hits,
           (unsigned long long)m.tlb.st.misses, (unsigned long long)m.tlb.st.walks);
    mmu_free(&m);
    phys_destroy(p);
    return sink == 0x12345678u;   /* keep the sums alive */
}
