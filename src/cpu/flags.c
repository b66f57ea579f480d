/* Lazy flags: ALU operations record (op, size, operands, result); the six
 * arithmetic flags are computed only when something reads them. Formulas:
 * SDM Vol. 1 Appendix A (EFLAGS cross-reference) and the instruction pages. */
#include "cpu/cpu_impl.h"

static bool lf_of(const struct cpu *c)
{
    const struct lazyf *l = &c->lf;
    uint32_t sign = szsign(l->sz);
    switch (l->op) {
    case LF_ADD:
    case LF_ADC:
    case LF_INC: return ((l->dst ^ l->res) & (l->src ^ l->res)) & sign;
    case LF_SUB:
    case LF_SBB:
    case LF_DEC: return ((l->dst ^ l->src) & (l->dst ^ l->res)) & sign;
    case LF_LOGIC: return false;
    default: return c->eflags & F_OF;
    }
}

uint32_t flags_materialize(struct cpu *c)
{
    const struct lazyf *l = &c->lf;
    if (l->op == LF_NONE)
        return c->eflags;
    uint32_t f = szp_flags(l->res, l->sz);
    if (lf_cf(c))
        f |= F_CF;
    if (lf_of(c))
        f |= F_OF;
    /* AF: carry/borrow out of bit 3; AND/OR/XOR/TEST leave it clear (its
     * value is undefined; P6-family hardware clears it). */
    if (l->op != LF_LOGIC && ((l->res ^ l->dst ^ l->src) & 0x10))
        f |= F_AF;
    c->eflags = (c->eflags & ~LF_BITS) | f;
    c->lf.op = LF_NONE;
    return c->eflags;
}

/* Condition codes tttn, SDM Vol. 1 Appendix B. */
bool cpu_cond(struct cpu *c, unsigned cc)
{
    bool r;
    const struct lazyf *l = &c->lf;
    if (l->op == LF_NONE) {
        uint32_t f = c->eflags;
        switch (cc >> 1) {
        case 0: r = f & F_OF; break;
        case 1: r = f & F_CF; break;
        case 2: r = f & F_ZF; break;
        case 3: r = f & (F_CF | F_ZF); break;
        case 4: r = f & F_SF; break;
        case 5: r = f & F_PF; break;
        case 6: r = !(f & F_SF) != !(f & F_OF); break;
        default: r = (f & F_ZF) || (!(f & F_SF) != !(f & F_OF)); break;
        }
    } else {
        uint32_t res = l->res;
        bool zf = res == 0, sf = res & szsign(l->sz);
        switch (cc >> 1) {
        case 0: r = lf_of(c); break;
        case 1: r = lf_cf(c); break;
        case 2: r = zf; break;
        case 3: r = zf || lf_cf(c); break;
        case 4: r = sf; break;
        case 5: r = parity_flag(res); break;
        case 6: r = sf != lf_of(c); break;
        default: r = zf || (sf != lf_of(c)); break;
        }
    }
    return r ^ (cc & 1);
}

/* Write EFLAGS bits under mask (POPF, IRET, task switch ...). Bit 1 is
 * always 1, bits 3, 5, 15 always 0. */
void cpu_write_eflags(struct cpu *c, uint32_t v, uint32_t mask)
{
    flags_materialize(c);
    uint32_t old = c->eflags;
    c->eflags = ((old & ~mask) | (v & mask) | 2u) & ~(0x8u | 0x20u | 0x8000u | 0xffc00000u);
    if ((old ^ c->eflags) & (F_TF | F_IF | F_VM | F_AC))
        end_trace(c);
}
