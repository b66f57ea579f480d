/* Entry and exit stubs of the native executor (i386, AT&T syntax).
 *
 * diff_native_enter(ctx) saves the host's callee-saved registers, loads
 * EFLAGS and all eight GPRs (ESP last but one, EAX last) from ctx and jumps to
 * the instruction under test at DIFF_CODE_ADDR. The code page holds, right
 * after that instruction, a JMP rel32 to diff_native_exit, which stores every
 * GPR and EFLAGS back into ctx without touching a flag before PUSHFD, then
 * returns to the caller of diff_native_enter on the host stack.
 *
 * ctx layout (struct native_ctx in native32.c):
 *   0..31 regs (EAX ECX EDX EBX ESP EBP ESI EDI), 32 eflags,
 *   36 host ESP (saved here), 40 ES selector to load (0 = leave ES alone)
 * The instruction may leave ESP anywhere, so ctx is found through a global. */

#define CODE_ADDR 0x00100800

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
    jmp CODE_ADDR
    .size diff_native_enter, . - diff_native_enter

    .globl diff_native_exit
    .type diff_native_exit, @function
diff_native_exit:
    /* MOV never changes a flag: everything up to PUSHFD keeps EFLAGS intact */
    movl %eax, diff_native_scratch
    movl diff_native_ctx, %eax
    movl %ecx, 4(%eax)
    movl %edx, 8(%eax)
    movl %ebx, 12(%eax)
    movl %esp, 16(%eax)
    movl %ebp, 20(%eax)
    movl %esi, 24(%eax)
    movl %edi, 28(%eax)
    movl diff_native_scratch, %ecx
    movl %ecx, 0(%eax)
    movl 36(%eax), %esp
    pushfl
    popl 32(%eax)
    /* the C ABI wants DF = 0; AC = 1 (from POPF) would make the host's own
     * unaligned accesses fault, NT is harmless but not ours to keep */
    pushl $0x202
    popfl
    movw %ds, %cx
    movw %cx, %es
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

    .section .note.GNU-stack, "", @progbits
