/* Private to the generator: the kinds of forms, shared by the form table
 * (gen_forms.c) and the code that builds cases for each kind (gen.c). */
#ifndef PAGODA_DIFF_GEN_KINDS_H
#define PAGODA_DIFF_GEN_KINDS_H

enum gen_kind {
    K_EG,        /* E dest, G src (ALU, TEST, XCHG, MOV, XADD) */
    K_GE,        /* G dest, E src (ALU, MOV, IMUL Gv,Ev, CMOVcc) */
    K_AI,        /* AL/eAX, immediate */
    K_EI,        /* E, immediate (group 1, MOV, TEST) */
    K_E,         /* E only (NOT NEG INC DEC SETcc NOP Ev) */
    K_MULDIV,    /* MUL IMUL DIV IDIV E */
    K_SHIFT,     /* group 2; aux: 0 imm8, 1 by 1, 2 by CL */
    K_SHXD,      /* SHLD/SHRD; aux: 0 imm8, 1 CL */
    K_IMUL3,     /* IMUL Gv,Ev,imm */
    K_BT_G,      /* BT/BTS/BTR/BTC Ev,Gv */
    K_BT_I,      /* BT.. Ev,Ib */
    K_BSF,       /* BSF/BSR */
    K_MOVX,      /* MOVZX/MOVSX; size = source size */
    K_CMPXCHG,
    K_CMPXCHG8B,
    K_BSWAP,
    K_MOV_RI,    /* B0-BF */
    K_MOFFS,     /* A0-A3 */
    K_LEA,
    K_REG,       /* register in opcode: INC/DEC r, XCHG r,eAX */
    K_NONE,      /* no operands: flag ops, CBW/CWD, SAHF, LAHF, SALC, NOP, WAIT */
    K_BCD,       /* DAA DAS AAA AAS */
    K_AAMD,      /* AAM/AAD imm8 */
    K_STRING,    /* aux: 0 movs 1 cmps 2 stos 3 lods 4 scas */
    K_XLAT,
    K_PUSH_R, K_POP_R, K_PUSH_I, K_PUSH_E, K_POP_E,
    K_PUSHA, K_POPA, K_PUSHF, K_POPF, K_ENTER, K_LEAVE,
    K_JCC, K_JMP, K_CALL, K_JMP_E, K_CALL_E, K_RET, K_LOOP,
    K_BOUND, K_INTO, K_INT3, K_UD2,
    K_PRIV,      /* privileged at CPL 3: #GP(0); aux: PRIV_* operand shape */
    K_INTN,      /* INT imm8 (not 0x80, the host's system call) */
    /* segment registers (aux: the segment register, enum order ES CS SS DS FS GS) */
    K_PUSH_SREG, K_POP_SREG, K_MOV_ESW, K_MOV_SWE, K_LSEG,
    K_JMPF, K_CALLF, K_FAR_E, K_RETF, K_IRET,
    K_SELTEST,   /* VERR VERW (aux 0: Ew) and LAR LSL (aux 1: Gv,Ew) */
    K_UNDEF,     /* 0F xx slots undefined on the P6 and on today's hosts: #UD */
};
enum { SR_ES, SR_CS, SR_SS, SR_DS, SR_FS, SR_GS };

/* K_PRIV operand shapes */
enum { PRIV_NONE, PRIV_IB, PRIV_E, PRIV_M, PRIV_CR, PRIV_DR, PRIV_STRING };

/* Flag classes (low nibble of aux for the generic kinds): which
 * arithmetic flags the SDM leaves undefined. */
enum { FC_NONE, FC_ARITH, FC_LOGIC, FC_MUL, FC_DIV, FC_BT, FC_BSF, FC_DAA, FC_AAA, FC_AAM, FC_INCDEC };

#define LOCKABLE 0x80u

#endif
