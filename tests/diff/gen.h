/* The differential test's case generator: deterministic (seeded), one
 * generator form per user-mode opcode form of the CPU's opcode table. */
#ifndef PAGODA_DIFF_GEN_H
#define PAGODA_DIFF_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diff_case.h"

/* Arithmetic flags */
#define DF_CF 0x001u
#define DF_PF 0x004u
#define DF_AF 0x010u
#define DF_ZF 0x040u
#define DF_SF 0x080u
#define DF_OF 0x800u
#define DF_OSZAPC 0x8d5u

/* One generator form: which opcode-table rows it covers (same key as
 * src/cpu/opcodes.def: op 0x000-0x0ff one byte, 0x100-0x1ff the 0F map; sub
 * the ModRM reg field of a group member or -1; count consecutive opcodes for
 * register-in-opcode and condition-code families) and how to build cases. */
struct diff_form {
    const char *name;
    uint16_t op;
    int8_t sub;
    uint8_t count;
    uint8_t kind;        /* enum gen_kind in gen.c */
    uint8_t size;        /* 1: byte; 0: by operand size (16 or 32); 2: word; 4: dword */
    uint8_t aux;         /* per-kind detail (shift op, flag class, ...) */
};

struct diff_case {
    struct diff_in in;
    const struct diff_form *form;
    uint32_t flags_undef;     /* EFLAGS bits undefined for this case (not compared) */
    uint32_t reg_undef[8];    /* per GPR, the bits whose value is undefined */
    uint16_t data_undef_lo, data_undef_hi;  /* data-area bytes [lo, hi) undefined */
};

/* What cases depend on beyond the seed: the executor's selectors (from its
 * hello), ES CS SS DS FS GS, for the segment-register forms. */
struct diff_env {
    uint16_t sel[6];
};

/* Segment-register forms need Pagoda's GDT to match the executor's
 * selectors, and privileged forms need CPL 3: both only in ring-3 runs. */
bool diff_form_needs_ring3(const struct diff_form *f);
/* The form tests undefined encodings: it covers no opcode-table row. */
bool diff_form_is_undefined_opcode(const struct diff_form *f);

extern const struct diff_form diff_forms[];
extern const unsigned diff_nforms;

/* Case number `index` of the suite seeded by `seed`: form index % nforms,
 * everything else from a generator seeded by (seed, index). */
void diff_gen(const struct diff_env *env, uint64_t seed, uint64_t index, struct diff_case *c);
void diff_gen_form(const struct diff_env *env, uint64_t seed, uint64_t index,
                   const struct diff_form *f, struct diff_case *c);
const struct diff_form *diff_form_by_name(const char *name);

void diff_print_in(FILE *f, const struct diff_case *c);

#endif
