/* Entry and exit stubs of the native executor (i386, AT&T syntax).
 *
 * diff_native_enter(ctx) saves the host's callee-saved registers, loads
 * EFLAGS and all eight GPRs (ESP last but one, EAX last) from ctx and jumps to
 * the instruction under test at diff_native_code. The code page holds, right
 * after that instruction, a JMP rel32 to diff_native_exit, which stores every
 * GPR and EFLAGS back into ctx without touching a flag before PUSHFD, then
 * returns to the caller of diff_native_enter on the host stack.
 *
 * ctx layout (struct native_ctx in native32.c):
 *   0..31 regs (EAX ECX EDX EBX ESP EBP ESI EDI), 32 eflags,
 *   36 host ESP (saved here), 40 ES selector to load (0 = leave ES alone),
 *   44..55 selectors after the instruction (ES CS SS DS FS GS, 16 bits each),
 *   56..63 the host's DS ES FS GS, restored on the way out
 * The instruction may leave ESP anywhere and DS/ES/FS/GS null, so ctx is
 * found through a global read with an SS override (the instruction can only
 * have loaded SS with the flat data selector). */

    .text
    .globl diff_native_enter
    .type diff_native_enter, @function
diff_native_enter:
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl 20(%esp), %eax
    movl %eax, diff_native_ctx
    movl %esp, 36(%eax)
    movw %ds, 56(%eax)
    movw %es, 58(%eax)
    movw %fs, 60(%eax)
    movw %gs, 62(%eax)
    movl 40(%eax), %ecx
    testl %ecx, %ecx
    jz 1f
    movw %cx, %es
1:
    pushl 32(%eax)
    popfl
    movl 4(%eax), %ecx
    movl 8(%eax), %edx
    movl 12(%eax), %ebx
    movl 20(%eax), %ebp
    movl 24(%eax), %esi
    movl 28(%eax), %edi
    movl 16(%eax), %esp
    movl 0(%eax), %eax
    jmp *diff_native_code
    .size diff_native_enter, . - diff_native_enter

    .globl diff_native_exit
    .type diff_native_exit, @function
diff_native_exit:
    /* MOV never changes a flag: everything up to PUSHFD keeps EFLAGS intact */
    movl %eax, %ss:diff_native_scratch
    movl %ss:diff_native_ctx, %eax
    movl %ecx, %ss:4(%eax)
    movl %edx, %ss:8(%eax)
    movl %ebx, %ss:12(%eax)
    movl %esp, %ss:16(%eax)
    movl %ebp, %ss:20(%eax)
    movl %esi, %ss:24(%eax)
    movl %edi, %ss:28(%eax)
    movl %ss:diff_native_scratch, %ecx
    movl %ecx, %ss:0(%eax)
    movw %es, %ss:44(%eax)
    movw %cs, %ss:46(%eax)
    movw %ss, %ss:48(%eax)
    movw %ds, %ss:50(%eax)
    movw %fs, %ss:52(%eax)
    movw %gs, %ss:54(%eax)
    movw %ss:56(%eax), %ds
    movw 58(%eax), %es
    movw 60(%eax), %fs
    movw 62(%eax), %gs
    movl 36(%eax), %esp
    pushfl
    popl 32(%eax)
    /* the C ABI wants DF = 0; AC = 1 (from POPF) would make the host's own
     * unaligned accesses fault, NT is harmless but not ours to keep */
    pushl $0x202
    popfl
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret
    .size diff_native_exit, . - diff_native_exit

    .bss
    .align 4
    .globl diff_native_ctx
diff_native_ctx:
    .long 0
diff_native_scratch:
    .long 0
    .globl diff_native_code
diff_native_code:
    .long 0

    .section .note.GNU-stack, "", @progbits
