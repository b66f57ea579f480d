/* Stack and control transfer: PUSH/POP, near JMP/CALL/RET, Jcc, LOOP,
 * ENTER/LEAVE, PUSHF/POPF, and the thin handlers of far transfers and
 * software interrupts (the protection rules live in seg.c and intr.c). */
#include "cpu/cpu_impl.h"

static void jump_near(struct cpu *c, uint32_t target, unsigned osz)
{
    if (osz == 2)
        target &= 0xffff;
    if (target > c->seg[S_CS].limit)
        cpu_exception(c, EXC_GP, 0);
    c->eip = target;
}

void op_jcc(struct cpu *c, const struct insn *i)
{
    if (cpu_cond(c, i->opcode & 15))
        jump_near(c, c->eip + i->imm, i->osz);
}

void op_jmp_J(struct cpu *c, const struct insn *i) { jump_near(c, c->eip + i->imm, i->osz); }

void op_call_J(struct cpu *c, const struct insn *i)
{
    uint32_t target = c->eip + i->imm;
    if (i->osz == 2)
        target &= 0xffff;
    if (target > c->seg[S_CS].limit)
        cpu_exception(c, EXC_GP, 0);
    push(c, i->osz, c->eip);
    c->eip = target;
}

void op_jmp_E(struct cpu *c, const struct insn *i) { jump_near(c, rm_read(c, i, i->osz), i->osz); }

void op_call_E(struct cpu *c, const struct insn *i)
{
    uint32_t target = rm_read(c, i, i->osz);
    if (target > c->seg[S_CS].limit)
        cpu_exception(c, EXC_GP, 0);
    push(c, i->osz, c->eip);
    c->eip = target;
}

void op_ret(struct cpu *c, const struct insn *i)
{
    uint32_t target = stack_peek(c, 0, i->osz);
    if (target > c->seg[S_CS].limit)
        cpu_exception(c, EXC_GP, 0);
    uint32_t release = i->osz + (i->opcode == 0xc2 ? (i->imm & 0xffff) : 0);
    c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | ((c->r[R_ESP] + release) & c->sp_mask);
    c->eip = target;
}

void op_loop(struct cpu *c, const struct insn *i)
{
    uint32_t cx = reg_get(c, R_ECX, i->asz);
    bool take;
    if (i->opcode == 0xe3) {
        take = cx == 0;
    } else {
        cx = (cx - 1) & (i->asz == 2 ? 0xffff : 0xffffffffu);
        take = cx != 0;
        if (i->opcode == 0xe0)
            take = take && !cpu_cond(c, 4);
        else if (i->opcode == 0xe1)
            take = take && cpu_cond(c, 4);
        if (take) {
            uint32_t target = (c->eip + i->imm) & (i->osz == 2 ? 0xffff : 0xffffffffu);
            if (target > c->seg[S_CS].limit)
                cpu_exception(c, EXC_GP, 0);
        }
        reg_set(c, R_ECX, i->asz, cx);
    }
    if (take)
        jump_near(c, c->eip + i->imm, i->osz);
}

void op_push_r(struct cpu *c, const struct insn *i) { push(c, i->osz, reg_get(c, i->opcode & 7, i->osz)); }

void op_pop_r(struct cpu *c, const struct insn *i)
{
    uint32_t v = pop(c, i->osz);
    reg_set(c, i->opcode & 7, i->osz, v);
}

void op_push_imm(struct cpu *c, const struct insn *i) { push(c, i->osz, i->imm); }

void op_push_Ev(struct cpu *c, const struct insn *i) { push(c, i->osz, rm_read(c, i, i->osz)); }

/* POP r/m: the address is computed with ESP already incremented (SDM POP). */
void op_pop_Ev(struct cpu *c, const struct insn *i)
{
    c->insn_esp = c->r[R_ESP];
    c->esp_dirty = true;
    uint32_t v = pop(c, i->osz);
    rm_write(c, i, i->osz, v);
    c->esp_dirty = false;
}

static int sreg_of(unsigned opcode)
{
    switch (opcode) {
    case 0x06: case 0x07: return S_ES;
    case 0x0e: return S_CS;
    case 0x16: case 0x17: return S_SS;
    case 0x1e: case 0x1f: return S_DS;
    case 0x1a0: case 0x1a1: return S_FS;
    default: return S_GS;
    }
}

/* PUSH Sreg with a 32-bit operand size writes only the low word (P6). */
void op_push_sreg(struct cpu *c, const struct insn *i)
{
    uint16_t sel = c->seg[sreg_of(i->opcode)].sel;
    uint32_t sp = (c->r[R_ESP] - i->osz) & c->sp_mask;
    mem_write(c, S_SS, sp, 2, sel);
    c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | sp;
}

void op_pop_sreg(struct cpu *c, const struct insn *i)
{
    int s = sreg_of(i->opcode);
    uint16_t sel = (uint16_t)stack_peek(c, 0, 2);
    seg_load(c, s, sel);
    c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | ((c->r[R_ESP] + i->osz) & c->sp_mask);
    if (s == S_SS) {
        c->shadow = 2;
        end_trace(c);
    }
}

void op_pusha(struct cpu *c, const struct insn *i)
{
    uint32_t sp = c->r[R_ESP];
    c->insn_esp = sp;
    c->esp_dirty = true;
    for (int r = R_EAX; r <= R_EDI; r++)
        push(c, i->osz, r == R_ESP ? sp : c->r[r]);
    c->esp_dirty = false;
}

void op_popa(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    uint32_t v[8];
    for (int k = 0; k < 8; k++)          /* all reads before any register changes */
        v[k] = stack_peek(c, (uint32_t)k * sz, sz);
    for (int k = 0; k < 8; k++) {
        int r = R_EDI - k;
        if (r != R_ESP)
            reg_set(c, (unsigned)r, sz, v[k]);
    }
    c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | ((c->r[R_ESP] + 8 * sz) & c->sp_mask);
}

void op_enter(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz, level = i->imm2 & 31;
    uint32_t ebp = c->r[R_EBP];
    c->insn_esp = c->r[R_ESP];
    c->esp_dirty = true;
    push(c, sz, reg_get(c, R_EBP, sz));
    uint32_t frame = c->r[R_ESP] & c->sp_mask;
    if (level > 0) {
        for (unsigned k = 1; k < level; k++) {
            ebp = (ebp - sz) & c->sp_mask;
            push(c, sz, mem_read(c, S_SS, ebp, sz));
        }
        push(c, sz, frame);
    }
    uint32_t sp = (c->r[R_ESP] - (i->imm & 0xffff)) & c->sp_mask;
    /* the new top of stack must be writable (P6 checks it before committing) */
    if (c->sp_mask != 0xffffffffu || sp != 0)
        seg_lin(c, S_SS, sp, 1, true);
    reg_set(c, R_EBP, sz, frame);
    c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | sp;
    c->esp_dirty = false;
}

void op_leave(struct cpu *c, const struct insn *i)
{
    uint32_t sp = c->r[R_EBP] & c->sp_mask;
    uint32_t v = mem_read(c, S_SS, sp, i->osz);
    c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | ((sp + i->osz) & c->sp_mask);
    reg_set(c, R_EBP, i->osz, v);
}

void op_bound(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osz;
    uint32_t off = ea_off(c, i);
    uint32_t lo = mem_read(c, i->seg, off, sz), hi = mem_read(c, i->seg, (off + sz) & i->amask, sz);
    int32_t v = sz == 2 ? (int16_t)reg_get(c, i->reg, 2) : (int32_t)c->r[i->reg];
    int32_t l = sz == 2 ? (int16_t)lo : (int32_t)lo, h = sz == 2 ? (int16_t)hi : (int32_t)hi;
    if (v < l || v > h)
        cpu_exception(c, EXC_BR, NO_ERR);
}

/* PUSHF/POPF: SDM Vol. 2 and Vol. 3 §20.2.7 (V86 with IOPL < 3 faults). */
void op_pushf(struct cpu *c, const struct insn *i)
{
    if (cpu_v86(c) && ((c->eflags & F_IOPL) >> 12) < 3)
        cpu_exception(c, EXC_GP, 0);
    uint32_t f = flags_materialize(c) & ~(F_VM | F_RF);
    push(c, i->osz, f);
}

void op_popf(struct cpu *c, const struct insn *i)
{
    unsigned iopl = (c->eflags & F_IOPL) >> 12;
    if (cpu_v86(c) && iopl < 3)
        cpu_exception(c, EXC_GP, 0);
    uint32_t v = stack_peek(c, 0, i->osz);
    uint32_t mask = F_CF | F_PF | F_AF | F_ZF | F_SF | F_TF | F_DF | F_OF | F_NT | F_IF | F_IOPL;
    if (i->osz == 4)
        mask |= F_AC | F_ID;
    if (cpu_pe(c)) {
        if (cpu_v86(c) || c->cpl > 0)
            mask &= ~F_IOPL;
        if (!cpu_v86(c) && c->cpl > iopl)
            mask &= ~F_IF;
    }
    c->r[R_ESP] = (c->r[R_ESP] & ~c->sp_mask) | ((c->r[R_ESP] + i->osz) & c->sp_mask);
    cpu_write_eflags(c, v, mask | F_RF);
    c->eflags &= ~F_RF;
}

void op_cli(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (cpu_pe(c) && c->cpl > ((c->eflags & F_IOPL) >> 12))
        cpu_exception(c, EXC_GP, 0);
    c->eflags &= ~F_IF;
}

void op_sti(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (cpu_pe(c) && c->cpl > ((c->eflags & F_IOPL) >> 12))
        cpu_exception(c, EXC_GP, 0);
    if (!(c->eflags & F_IF)) {
        c->shadow = 2;        /* interrupts wait until after the next instruction */
        end_trace(c);
    }
    c->eflags |= F_IF;
}

void op_hlt(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (cpu_pe(c) && c->cpl != 0)
        cpu_exception(c, EXC_GP, 0);
    c->halted = true;
    end_trace(c);
}

void op_wait(struct cpu *c, const struct insn *i)
{
    (void)i;
    if ((c->m->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        cpu_exception(c, EXC_NM, NO_ERR);
}

/* x87 escapes. There is no FPU yet: with CR0.EM or TS set they raise #NM
 * (the way an OS emulates or lazily switches the FPU); otherwise they
 * behave like a socket with no coprocessor: FNSTSW / FNSTCW store all ones
 * (what probing code reads back from an empty bus), the rest do nothing. */
void op_esc(struct cpu *c, const struct insn *i)
{
    if (c->m->cr0 & (CR0_EM | CR0_TS))
        cpu_exception(c, EXC_NM, NO_ERR);
    unsigned op = i->opcode & 7;
    if (op == 7 && i->mod == 3 && i->reg == 4 && i->rm == 0)       /* DF E0 FNSTSW AX */
        reg_set(c, R_EAX, 2, 0xffff);
    else if (i->mod != 3 && ((op == 5 && i->reg == 7) || (op == 1 && i->reg == 7)))
        mem_write(c, i->seg, ea_off(c, i), 2, 0xffff);            /* FNSTSW m16 / FNSTCW m16 */
}

/* Far transfers. */
void op_jmpf_A(struct cpu *c, const struct insn *i) { cpu_far_jmp(c, (uint16_t)i->imm2, i->imm, i->osz); }
void op_callf_A(struct cpu *c, const struct insn *i) { cpu_far_call(c, (uint16_t)i->imm2, i->imm, i->osz); }

static void far_ptr(struct cpu *c, const struct insn *i, uint16_t *sel, uint32_t *off)
{
    uint32_t ea = ea_off(c, i);
    *off = mem_read(c, i->seg, ea, i->osz);
    *sel = (uint16_t)mem_read(c, i->seg, (ea + i->osz) & i->amask, 2);
}
void op_jmpf_M(struct cpu *c, const struct insn *i)
{
    uint16_t sel;
    uint32_t off;
    far_ptr(c, i, &sel, &off);
    cpu_far_jmp(c, sel, off, i->osz);
}
void op_callf_M(struct cpu *c, const struct insn *i)
{
    uint16_t sel;
    uint32_t off;
    far_ptr(c, i, &sel, &off);
    cpu_far_call(c, sel, off, i->osz);
}
void op_retf(struct cpu *c, const struct insn *i)
{
    cpu_far_ret(c, i->osz, i->opcode == 0xca ? (uint16_t)i->imm : 0);
}

void op_lseg(struct cpu *c, const struct insn *i)
{
    int s;
    switch (i->opcode) {
    case 0xc4: s = S_ES; break;
    case 0xc5: s = S_DS; break;
    case 0x1b2: s = S_SS; break;
    case 0x1b4: s = S_FS; break;
    default: s = S_GS; break;
    }
    uint16_t sel;
    uint32_t off;
    far_ptr(c, i, &sel, &off);
    seg_load(c, s, sel);
    reg_set(c, i->reg, i->osz, off);
}

void op_mov_EwSw(struct cpu *c, const struct insn *i)
{
    if (i->reg > S_GS)
        cpu_exception(c, EXC_UD, NO_ERR);
    uint16_t sel = c->seg[i->reg].sel;
    if (i->mod == 3)
        reg_set(c, i->rm, i->osz, sel);   /* zero-extended into a 32-bit register */
    else
        mem_write(c, i->seg, ea_off(c, i), 2, sel);
}

void op_mov_SwEw(struct cpu *c, const struct insn *i)
{
    if (i->reg > S_GS || i->reg == S_CS)
        cpu_exception(c, EXC_UD, NO_ERR);
    seg_load(c, i->reg, (uint16_t)rm_read(c, i, 2));
    if (i->reg == S_SS) {
        c->shadow = 2;
        end_trace(c);
    }
}

/* Software interrupts: traps, EIP already past the instruction. */
void op_int3(struct cpu *c, const struct insn *i)
{
    (void)i;
    cpu_deliver(c, EXC_BP, NO_ERR, true, false);
}
void op_int(struct cpu *c, const struct insn *i)
{
    /* V86 with IOPL < 3: INT n is IOPL-sensitive (SDM Vol. 3 §20.3) */
    if (cpu_v86(c) && ((c->eflags & F_IOPL) >> 12) < 3)
        cpu_exception(c, EXC_GP, 0);
    cpu_deliver(c, i->imm & 0xff, NO_ERR, true, false);
}
void op_into(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (cpu_cond(c, 0))
        cpu_deliver(c, EXC_OF, NO_ERR, true, false);
}
/* ICEBP: a #DB trap delivered like a hardware event (no gate DPL check). */
void op_int1(struct cpu *c, const struct insn *i)
{
    (void)i;
    cpu_deliver(c, EXC_DB, NO_ERR, false, false);
}
void op_iret(struct cpu *c, const struct insn *i) { cpu_iret(c, i->osz); }

void op_ud2(struct cpu *c, const struct insn *i)
{
    (void)i;
    cpu_exception(c, EXC_UD, NO_ERR);
}
