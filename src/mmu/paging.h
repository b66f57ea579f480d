/* The 32-bit page walk (SDM Vol. 3 ch. 4, §4.3) as a value.
 *
 * paging_walk() walks the guest's page directory and page table for one
 * access, applies the access-rights rules of §4.6, sets Accessed and Dirty
 * bits as a P6 does (A on every entry of a walk that succeeds, D on the PTE
 * or 4 MiB PDE of a write; a walk that faults writes nothing) and records
 * every step. paging_probe() does the same walk without writing anything.
 * The TLB fill (mmu_translate), the monitor, the UI and the tests all read
 * the same record.
 *
 * Model choices (we report a P6 without PSE-36, PAE or NX):
 * - CR4.PSE=1 and PDE.PS=1: a 4 MiB page. Bits 21..13 of such a PDE are
 *   reserved (without PSE-36 there are no physical address bits above 31),
 *   so a present 4 MiB PDE with any of them set faults with RSVD=1.
 * - CR4.PSE=0: PDE bit 7 is ignored and the PDE points to a page table.
 * - The PAT bits (PTE bit 7, 4 MiB PDE bit 12) are ignored, not reserved:
 *   the memory type is not modelled.
 * - Instruction fetches are checked as reads (no NX, no SMEP: the #PF error
 *   code never has I/D set).
 * - Accesses flagged MMU_SUPER (descriptor tables, TSS, ...) are
 *   supervisor-mode accesses whatever the CPL; their error code has U=0. */
#ifndef PAGODA_PAGING_H
#define PAGODA_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmu;

/* Paging-structure entry bits (SDM Vol. 3 §4.3, tables 4-4 to 4-6) */
#define PG_P   (1u << 0)
#define PG_RW  (1u << 1)
#define PG_US  (1u << 2)
#define PG_PWT (1u << 3)
#define PG_PCD (1u << 4)
#define PG_A   (1u << 5)
#define PG_D   (1u << 6)
#define PG_PS  (1u << 7)   /* PDE only, with CR4.PSE */
#define PG_G   (1u << 8)   /* PTE or 4 MiB PDE, with CR4.PGE */
#define PG_FRAME     0xfffff000u
#define PG_LARGE_FRAME 0xffc00000u
#define PG_LARGE_RSVD  0x003fe000u   /* bits 21..13: no PSE-36 */

enum paging_level { PAGING_PDE = 2, PAGING_PTE = 1 };

struct paging_step {
    uint8_t level;        /* PAGING_PDE or PAGING_PTE */
    bool large;           /* a PDE that maps a 4 MiB page (CR4.PSE and PS) */
    uint16_t index;       /* entry index in its table (0..1023) */
    uint32_t addr;        /* physical address of the entry */
    uint32_t value;       /* the entry as read, before any A/D update */
    uint32_t set_bits;    /* PG_A / PG_D this walk set (probe: would set) */
};

struct paging_walk {
    uint32_t lin;
    unsigned access;      /* MMU_READ / MMU_WRITE / MMU_FETCH, | MMU_SUPER */
    bool user;            /* a user-mode access (CPL 3 and not MMU_SUPER) */
    bool paging;          /* CR0.PG was set; if not, phys = lin (A20 applied) */
    bool probe;           /* made by paging_probe: nothing was written */
    uint32_t cr3;
    unsigned nsteps;
    struct paging_step step[2];
    /* outcome */
    bool fault;
    uint32_t err;         /* #PF error code (PF_P, PF_W, PF_U, PF_RSVD) */
    const char *why;      /* short reason for a fault, e.g. "PTE not present" */
    uint32_t phys;        /* physical address of lin (no fault) */
    uint32_t page_size;   /* 4096 or 4 MiB (no fault) */
    /* the translation's combined rights (no fault), as a TLB caches them */
    bool user_ok;         /* U/S=1 in PDE and PTE */
    bool write_ok;        /* R/W=1 in PDE and PTE */
    bool global;          /* G=1 in the final entry while CR4.PGE = 1 */
    bool dirty;           /* D of the final entry after the walk */
};

/* Walk for one access and apply A/D side effects. Returns true if the
 * access is allowed; on a fault w->err holds the error code and nothing was
 * written to guest memory. Does not touch the TLB, CR2 or the stats. */
bool paging_walk(struct mmu *m, uint32_t lin, unsigned access, struct paging_walk *w);

/* The same walk with no side effects at all (entries in MMIO are not
 * read: the walk then stops with a fault whose why says so). */
bool paging_probe(struct mmu *m, uint32_t lin, unsigned access, struct paging_walk *w);

/* A probe through another address space (e.g. a process that is not
 * running): page directory at cr3, access made at CPL 3 if user. CR0 and
 * CR4 are the current ones. */
bool paging_probe_as(struct mmu *m, uint32_t cr3, bool user, uint32_t lin, unsigned access,
                     struct paging_walk *w);

/* Human-readable multi-line account of a walk. Returns the length that
 * the full text needs (like snprintf); the text is truncated to len. */
size_t paging_walk_format(const struct paging_walk *w, char *buf, size_t len);

/* One present translation of an address space, as the page tables hold it
 * (what the TLB may cache is another matter: see tlb_snapshot). */
struct paging_mapping {
    uint32_t lin, phys, size;   /* size 4096 or 4 MiB */
    uint32_t pde, pte;          /* the entries (pte = 0 for a 4 MiB page) */
    bool user_ok, write_ok;     /* combined U/S and R/W */
    bool global, accessed, dirty;
};

/* Every present translation of the address space whose page directory is
 * at cr3, in linear order, with CR4.PSE/PGE as now; read without side
 * effects (tables in MMIO are skipped). fn returns nonzero to stop.
 * Returns the number of mappings visited. */
unsigned paging_enumerate(struct mmu *m, uint32_t cr3,
                          int (*fn)(void *ctx, const struct paging_mapping *map), void *ctx);

/* QEMU "info mem" style: one line per run of contiguous linear addresses
 * with the same rights, "c0000000-c0400000 00400000 -rw" (u/-, r, w/-).
 * Returns the length the full text needs (like snprintf). */
size_t paging_format_ranges(struct mmu *m, uint32_t cr3, char *buf, size_t len);

/* "P RW US A D PS G ..." for one entry; level selects PS/G meaning. */
size_t paging_entry_format(uint32_t value, enum paging_level level, bool pse,
                           char *buf, size_t len);

#endif
