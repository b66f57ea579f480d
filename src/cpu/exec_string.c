/* String instructions with REP/REPE/REPNE. Each iteration commits ESI/EDI/
 * ECX only after its memory accesses succeeded, so a fault mid-string
 * restarts the instruction with the visible progress kept (SDM Vol. 2
 * "REP"). Long repeats are cut into chunks: the instruction restarts
 * itself so that interrupts and the run budget are honoured in between. */
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

void op_movs(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    int32_t d = delta(c, sz);
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

/* REPE (F3) stops when ZF = 0, REPNE (F2) when ZF = 1. */
static inline bool rep_stop(struct cpu *c, const struct insn *i)
{
    bool zf = cpu_cond(c, 4);
    return i->rep == 0xf3 ? !zf : zf;
}

void op_cmps(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    int32_t d = delta(c, sz);
    STRING_LOOP(i, {
        uint32_t a = mem_read(c, i->seg, reg_get(c, R_ESI, i->asz), sz);
        uint32_t b = mem_read(c, S_ES, reg_get(c, R_EDI, i->asz), sz);
        alu_op(c, 7, sz, a, b);
        idx_step(c, R_ESI, i, d);
        idx_step(c, R_EDI, i, d);
    }, rep_stop(c, i));
}

void op_scas(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    int32_t d = delta(c, sz);
    uint32_t a = reg_get(c, R_EAX, sz);
    STRING_LOOP(i, {
        uint32_t b = mem_read(c, S_ES, reg_get(c, R_EDI, i->asz), sz);
        alu_op(c, 7, sz, a, b);
        idx_step(c, R_EDI, i, d);
    }, rep_stop(c, i));
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
