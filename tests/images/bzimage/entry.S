/* Entry of the fake bzImage's protected-mode part, at 0x100000: the
 * 32-bit boot protocol hands over with ESI = boot_params, EBX = EBP =
 * EDI = 0, flat CS/DS from the loader's GDT and no stack promised. Keep
 * those registers (in .data: bss is not loaded), zero our bss (a kernel
 * must), take a stack, call bz_main(regs) and give its return value to
 * the exit port. */
    .section .text.entry, "ax"
    .globl _start
_start:
    cli
    mov %esi, entry_regs
    mov %ebx, entry_regs + 4
    mov %ebp, entry_regs + 8
    mov %edi, entry_regs + 12
    mov $__bss_start, %edi
    mov $_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    cld
    rep stosb
    mov $stack_top, %esp
    push $entry_regs
    call bz_main
    push %eax
    call guest_exit
1:  hlt
    jmp 1b

    .section .data
    .align 4
    .globl entry_regs
entry_regs:
    .long 0xdeadbeef, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef   /* esi ebx ebp edi */

    .section .bss
    .align 16
    .space 8192
stack_top:

    .section .note.GNU-stack, "", @progbits
