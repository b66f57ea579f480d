/* The differential test's case and result records, shared by the 32-bit
 * native executor (tests/diff/native/) and the 64-bit test that runs the
 * same cases on Pagoda's CPU. Only fixed-width fields: both builds see the
 * same layout, and records travel as raw bytes through a pipe.
 *
 * Address map (identical natively and in the guest, which runs flat, so
 * linear addresses agree):
 *   DIFF_CODE_PAGE .. +8 KiB   two code pages; the instruction sits at the
 *                              case's code_addr (often straddling the page
 *                              boundary), every other byte is INT3 (a branch
 *                              lands on one)
 *   DIFF_DATA_ADDR .. +DIFF_DATA_SIZE   the data area every memory operand hits;
 *                              it straddles a page boundary at DIFF_DATA_SPLIT
 *   FS (and ES when DIFF_F_ES_ALT) have base DIFF_DATA_ADDR, so 16-bit
 *   addressing (67 prefix, EA < 64 KiB) can reach the data area too. */
#ifndef PAGODA_DIFF_CASE_H
#define PAGODA_DIFF_CASE_H

#include <stdint.h>

#define DIFF_CODE_PAGE  0x00100000u
#define DIFF_CODE_SIZE  0x2000u
#define DIFF_CODE_ADDR  (DIFF_CODE_PAGE + 0x800u)   /* the default code_addr */
#define DIFF_DATA_PAGE  0x00200000u                 /* two pages */
#define DIFF_DATA_ADDR  0x00200f80u
#define DIFF_DATA_SPLIT 0x80u                       /* offset of the page boundary */
#define DIFF_DATA_SIZE  256u
#define DIFF_CODE_MAX   16u

#define DIFF_MAGIC      0x46464944u /* "DIFF" */

/* diff_in.flags */
#define DIFF_F_ES_ALT   1u   /* ES = the data-area segment (67-prefixed string ops) */
/* Page protections for this case only (ring-3 runs with paging): the second
 * data page read-only or not present, the second code page not present. */
#define DIFF_F_DATA2_RO 2u
#define DIFF_F_DATA2_NP 4u
#define DIFF_F_CODE2_NP 8u
#define DIFF_F_PAGES    (DIFF_F_DATA2_RO | DIFF_F_DATA2_NP | DIFF_F_CODE2_NP)

/* Register order = enum cpu_reg: EAX ECX EDX EBX ESP EBP ESI EDI */
struct diff_in {
    uint8_t code[DIFF_CODE_MAX];
    uint8_t code_len;
    uint8_t flags;
    uint8_t pad[2];
    uint32_t code_addr;      /* where the instruction sits, in the code pages */
    uint32_t regs[8];
    uint32_t eflags;
    uint8_t data[DIFF_DATA_SIZE];
};

struct diff_out {
    uint32_t regs[8];
    uint32_t eflags;
    uint32_t eip;
    int32_t vector;          /* -1: no exception; else the vector (trap number) */
    uint32_t err;            /* error code when the vector has one */
    uint32_t cr2;            /* the faulting address of a #PF */
    uint16_t sregs[6];       /* selectors after the instruction: ES CS SS DS FS GS */
    uint8_t data[DIFF_DATA_SIZE];
};

/* A batch on the pipe: header, then count records. */
struct diff_batch_hdr {
    uint32_t magic;
    uint32_t count;          /* 0 = quit; DIFF_HELLO = reply with a struct diff_hello */
};

#define DIFF_HELLO 0xffffffffu

/* The executor's segment selectors (what a case starts with), ES CS SS DS FS GS.
 * Pagoda's GDT is built so that the same selectors name equivalent descriptors. */
struct diff_hello {
    uint16_t sregs[6];
    uint16_t pad[2];
};

_Static_assert(sizeof(struct diff_in) == 24 + 36 + DIFF_DATA_SIZE, "diff_in layout");
_Static_assert(sizeof(struct diff_out) == 64 + DIFF_DATA_SIZE, "diff_out layout");

#endif
