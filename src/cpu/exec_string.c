/* String instructions with REP/REPE/REPNE. Each iteration commits ESI/EDI/
 * ECX only after its memory accesses succeeded, so a fault mid-string
 * restarts the instruction with the visible progress kept (SDM Vol. 2
 * "REP"). Long repeats are cut into chunks: the instruction restarts
 * itself so that interrupts and the run budget are honoured in between. */
#include <string.h>

#include "cpu/cpu_impl.h"

#define REP_CHUNK 4096u

static inline uint32_t amask_of(const struct insn *i) { return i->asz == 2 ? 0xffffu : 0xffffffffu; }

static inline void idx_step(struct cpu *c, unsigned r, const struct insn *i, int32_t d)
{
    reg_set(c, r, i->asz, (reg_get(c, r, i->asz) + (uint32_t)d) & amask_of(i));
}

static inline int32_t delta(const struct cpu *c, unsigned sz)
{
    return (c->eflags & F_DF) ? -(int32_t)sz : (int32_t)sz;
}

/* Runs body up to REP_CHUNK times; returns when done or restarts. */
#define STRING_LOOP(i, body, stop_cond)                                      \
    do {                                                                     \
        if (!(i)->rep) {                                                     \
            body;                                                            \
            break;                                                           \
        }                                                                    \
        for (unsigned n_ = 0;; n_++) {                                       \
            uint32_t cx_ = reg_get(c, R_ECX, (i)->asz);                      \
            if (cx_ == 0)                                                    \
                break;                                                       \
            if (n_ == REP_CHUNK) {                                           \
                c->eip = c->insn_eip;   /* resume later */                   \
                end_trace(c);                                                \
                break;                                                       \
            }                                                                \
            body;                                                            \
            reg_set(c, R_ECX, (i)->asz, cx_ - 1);                            \
            if (stop_cond)                                                   \
                break;                                                       \
        }                                                                    \
    } while (0)

/* Fast REP MOVS / STOS: forward, 32-bit addressing, no alignment or data
 * breakpoint checks, and runs of elements that stay inside one page of the
 * source and the destination and inside the segment limits: done on host
 * pointers from TLB entries that already allow the access (so code pages,
 * ROM and MMIO, whose TLB entries refuse fast writes, never come here).
 * Element-by-element order is kept, so overlapping copies replicate as on
 * hardware. Returns after one run; the caller's loop does the rest. */
static uint32_t run_length(struct cpu *c, int s, uint32_t off, unsigned sz, uint32_t count)
{
    uint32_t hi = c->seg_hi[s];
    if (off < c->seg_lo[s] || off > hi)
        return 0;
    uint32_t lin = c->seg[s].base + off;
    uint32_t n = (0x1000u - (lin & 0xfffu)) / sz;          /* whole elements in this page */
    uint64_t in_seg = ((uint64_t)hi - off + 1) / sz;
    if (in_seg < n)
        n = (uint32_t)in_seg;
    return n < count ? n : count;
}

static uint8_t *host_ptr(struct cpu *c, uint32_t lin, bool write)
{
    struct tlb_entry *e = mmu_tlb_slot(c->m, lin);
    uint32_t tag = write ? e->tag_write[c->m->user] : e->tag_read[c->m->user];
    if (tag != (lin & ~0xfffu))
        return NULL;
    return (uint8_t *)(e->addend + lin);
}

static bool fast_ok(const struct cpu *c, const struct insn *i)
{
    return i->rep && i->asz == 4 && !(c->eflags & F_DF) && !c->ac_active && !c->dbg_data &&
           c->seg_wr[S_ES];
}

/* One fast run of REP STOS; false if nothing could be done fast. */
static bool stos_run(struct cpu *c, const struct insn *i, uint32_t v)
{
    unsigned sz = i->osz;
    uint32_t n = run_length(c, S_ES, c->r[R_EDI], sz, c->r[R_ECX]);
    if (n < 2)
        return false;
    uint8_t *d = host_ptr(c, c->seg[S_ES].base + c->r[R_EDI], true);
    if (!d)
        return false;
    if (sz == 1) {
        memset(d, (int)(v & 0xff), n);
    } else {
        for (uint32_t k = 0; k < n; k++)
            memcpy(d + k * sz, &v, sz);
    }
    c->r[R_EDI] += n * sz;
    c->r[R_ECX] -= n;
    return true;
}

static bool movs_run(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    if (!c->seg_rd[i->seg])
        return false;
    uint32_t n = run_length(c, S_ES, c->r[R_EDI], sz, c->r[R_ECX]);
    uint32_t n2 = run_length(c, i->seg, c->r[R_ESI], sz, n);
    if (n2 < 2)
        return false;
    uint8_t *d = host_ptr(c, c->seg[S_ES].base + c->r[R_EDI], true);
    const uint8_t *src = host_ptr(c, c->seg[i->seg].base + c->r[R_ESI], false);
    if (!d || !src)
        return false;
    uint32_t bytes = n2 * sz;
    if (d >= src + bytes || src >= d + bytes || d < src) {
        memmove(d, src, bytes);   /* no forward overlap: same result as element order */
    } else {
        for (uint32_t k = 0; k < bytes; k += sz) {   /* forward overlap: element order */
            uint32_t t;
            memcpy(&t, src + k, sz);
            memcpy(d + k, &t, sz);
        }
    }
    c->r[R_EDI] += bytes;
    c->r[R_ESI] += bytes;
    c->r[R_ECX] -= n2;
    return true;
}

void op_movs(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    int32_t d = delta(c, sz);
    if (fast_ok(c, i)) {
        /* a slow element fills the TLB entries a run needs; page ends too */
        for (unsigned k = 0; k < 256 && c->r[R_ECX] > 0; k++) {
            if (!movs_run(c, i)) {
                uint32_t v = mem_read(c, i->seg, c->r[R_ESI], sz);
                mem_write(c, S_ES, c->r[R_EDI], sz, v);
                c->r[R_ESI] += sz;
                c->r[R_EDI] += sz;
                c->r[R_ECX]--;
            }
        }
    }
    STRING_LOOP(i, {
        uint32_t v = mem_read(c, i->seg, reg_get(c, R_ESI, i->asz), sz);
        mem_write(c, S_ES, reg_get(c, R_EDI, i->asz), sz, v);
        idx_step(c, R_ESI, i, d);
        idx_step(c, R_EDI, i, d);
    }, false);
}

void op_stos(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    int32_t d = delta(c, sz);
    uint32_t v = reg_get(c, R_EAX, sz);
    if (fast_ok(c, i)) {
        for (unsigned k = 0; k < 256 && c->r[R_ECX] > 0; k++) {
            if (!stos_run(c, i, v)) {
                mem_write(c, S_ES, c->r[R_EDI], sz, v);
                c->r[R_EDI] += sz;
                c->r[R_ECX]--;
            }
        }
    }
    STRING_LOOP(i, {
        mem_write(c, S_ES, reg_get(c, R_EDI, i->asz), sz, v);
        idx_step(c, R_EDI, i, d);
    }, false);
}

void op_lods(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    int32_t d = delta(c, sz);
    STRING_LOOP(i, {
        reg_set(c, R_EAX, sz, mem_read(c, i->seg, reg_get(c, R_ESI, i->asz), sz));
        idx_step(c, R_ESI, i, d);
    }, false);
}

/* REPE (F3) stops when ZF = 0, REPNE (F2) when ZF = 1.
 *
 * A fault in the middle of REPE/REPNE CMPS or SCAS keeps the progress in
 * ECX/ESI/EDI but restores EFLAGS to their value before the instruction
 * (SDM Vol. 2 "REP/REPE/REPZ/REPNE/REPNZ": the instruction does not read
 * the flags, so it resumes all the same). Measured on the P6-family host
 * too: a REPE CMPSB that faults on a PROT_NONE page after 16 equal bytes
 * delivers SIGSEGV with the flags it started with, not ZF = 1. */
static inline void save_flags(struct cpu *c)
{
    c->insn_eflags = c->eflags;
    c->insn_lf = c->lf;
    c->flags_dirty = true;
}

static inline bool rep_stop(struct cpu *c, const struct insn *i)
{
    bool zf = cpu_cond(c, 4);
    return i->rep == 0xf3 ? !zf : zf;
}

void op_cmps(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    int32_t d = delta(c, sz);
    if (i->rep)
        save_flags(c);
    STRING_LOOP(i, {
        uint32_t a = mem_read(c, i->seg, reg_get(c, R_ESI, i->asz), sz);
        uint32_t b = mem_read(c, S_ES, reg_get(c, R_EDI, i->asz), sz);
        alu_op(c, 7, sz, a, b);
        idx_step(c, R_ESI, i, d);
        idx_step(c, R_EDI, i, d);
    }, rep_stop(c, i));
    c->flags_dirty = false;
}

void op_scas(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    int32_t d = delta(c, sz);
    uint32_t a = reg_get(c, R_EAX, sz);
    if (i->rep)
        save_flags(c);
    STRING_LOOP(i, {
        uint32_t b = mem_read(c, S_ES, reg_get(c, R_EDI, i->asz), sz);
        alu_op(c, 7, sz, a, b);
        idx_step(c, R_EDI, i, d);
    }, rep_stop(c, i));
    c->flags_dirty = false;
}

void op_ins(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    uint16_t port = (uint16_t)c->r[R_EDX];
    int32_t d = delta(c, sz);
    io_check(c, port, (int)sz);
    STRING_LOOP(i, {
        uint32_t off = reg_get(c, R_EDI, i->asz);
        uint32_t lin = seg_lin(c, S_ES, off, sz, true);
        /* probe the destination before the port is read: a read has side effects */
        mmu_read_rmw(c->m, lin, (int)sz);
        uint32_t v = c->bus.io_in ? c->bus.io_in(c->bus.ctx, port, (int)sz) : 0xffffffffu;
        lin_write(c, lin, sz, v);
        idx_step(c, R_EDI, i, d);
    }, false);
}

void op_outs(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    uint16_t port = (uint16_t)c->r[R_EDX];
    int32_t d = delta(c, sz);
    io_check(c, port, (int)sz);
    STRING_LOOP(i, {
        uint32_t v = mem_read(c, i->seg, reg_get(c, R_ESI, i->asz), sz);
        if (c->bus.io_out)
            c->bus.io_out(c->bus.ctx, port, v & szmask(sz), (int)sz);
        idx_step(c, R_ESI, i, d);
    }, false);
}
