/* The opcode table as data (rows in opcodes.def), for the disassembler and
 * the opcode-coverage test. */
#ifndef PAGODA_CPU_OPCODES_H
#define PAGODA_CPU_OPCODES_H

#include <stddef.h>
#include <stdint.h>

/* Row flags. */
#define OPF_MODRM  0x0001u  /* a ModRM byte follows the opcode */
#define OPF_IB     0x0002u  /* imm8 */
#define OPF_IW     0x0004u  /* imm16 */
#define OPF_IV     0x0008u  /* imm16 or imm32 by operand size */
#define OPF_IA     0x0010u  /* moffs: offset of address size */
#define OPF_IP     0x0020u  /* far pointer: offset (operand size) then selector */
#define OPF_IB2    0x0040u  /* a second immediate, imm8 (ENTER) */
#define OPF_SX     0x0080u  /* the imm8 is sign-extended */
#define OPF_LOCK   0x0100u  /* LOCK allowed (with a memory destination) */
#define OPF_BRANCH 0x0200u  /* may change CS:EIP or the mode: ends a decoded trace */
#define OPF_MEM    0x0400u  /* ModRM must name memory (mod != 3), else #UD */
#define OPF_REGM   0x0800u  /* ModRM mod is ignored: operands are registers */
#define OPF_BYTE   0x1000u  /* byte operand size */
#define OPF_486    0x2000u  /* 486 addition */
#define OPF_P6     0x4000u  /* Pentium / P6 addition */
#define OPF_UNDOC  0x8000u  /* undocumented alias (SALC, 0x82, /6 SAL, F6 /1 ...) */

struct cpu_opcode_info {
    uint16_t opcode;       /* 0x000-0x0ff, or 0x100 | second byte for 0F xx */
    int8_t sub;            /* ModRM reg field for group members, else -1 */
    const char *mnemonic;
    const char *operands;  /* SDM Appendix A notation */
    uint32_t flags;        /* OPF_* */
    const char *handler;   /* name of the op_* function */
};

/* Every row of opcodes.def, in table order. */
const struct cpu_opcode_info *cpu_opcode_table(size_t *n);
/* The row that decodes opcode (with ModRM reg field `reg` for groups), or
 * NULL for an undefined encoding. */
const struct cpu_opcode_info *cpu_opcode_lookup(unsigned opcode, unsigned reg);
/* 1 when the opcode byte (0x000-0x1ff) is followed by a ModRM byte. */
int cpu_opcode_has_modrm(unsigned opcode);

/* Decode the instruction at buf (n bytes available) as the CPU would, with
 * 32-bit (code32) or 16-bit default sizes: returns its length (1-15) and,
 * if info is not NULL, its table row; 0 for an undefined encoding (#UD),
 * -1 when more than n bytes are needed, -2 when longer than 15 bytes. */
int cpu_insn_decode(const uint8_t *buf, unsigned n, int code32,
                    const struct cpu_opcode_info **info);

#endif
