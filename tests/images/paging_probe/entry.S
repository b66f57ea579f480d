/* Paging probe: multiboot header, entry, exception and system-call entries,
 * and the two access stubs (ring 0 and ring 3). Each stub performs one
 * access -- read, write, or fetch -- at a linear address; a #PF records the
 * error code and CR2 and resumes at the stub's "done" label, named in
 * fixup_eip before the access. */

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0

#define KERNEL_DS 0x10
#define USER_CS   0x1b
#define USER_DS   0x23

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .globl _start
_start:
    cli
    mov $boot_stack_top, %esp
    push %ebx
    push %eax
    call probe_main
1:  hlt
    jmp 1b

/* Vectors 0..31: #PF has its own entry; the rest report and stop. */
.macro EXC n
exc_\n:
    .if (\n == 8) || (\n == 10) || (\n == 11) || (\n == 12) || (\n == 13) || (\n == 17)
    .else
    push $0
    .endif
    push $\n
    jmp exc_common
.endm
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    EXC \n
.endr

exc_common:
    mov $KERNEL_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    push %esp                   /* frame: vector, error code, eip, cs, eflags */
    call unexpected_exception   /* does not return */

/* #PF: record, then resume at fixup_eip (0 means no fault was expected). */
pf_entry:
    push %eax
    mov %ss:fixup_eip, %eax
    test %eax, %eax
    jz 1f
    mov %eax, %ss:8(%esp)       /* saved EIP */
    movl $0, %ss:fixup_eip
    mov %ss:4(%esp), %eax
    mov %eax, %ss:pf_err
    mov %cr2, %eax
    mov %eax, %ss:pf_cr2
    incl %ss:pf_count
    pop %eax
    add $4, %esp                /* error code */
    iret
1:  pop %eax
    push $14
    jmp exc_common

    .section .rodata
    .globl exc_table
exc_table:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13
    .long exc_\n
.endr
    .long pf_entry
.irp n, 15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long exc_\n
.endr
    .globl syscall_entry_addr
syscall_entry_addr:
    .long syscall_entry
    .text

/* uint32_t kaccess(uint32_t lin, int kind, uint32_t val): ring 0.
 * kind 0 = read (returns the dword), 1 = write val, 2 = fetch (the target
 * holds "jmp *%ecx", which comes back to kaccess_done). */
    .globl kaccess
kaccess:
    push %ebx
    mov 8(%esp), %eax
    mov 12(%esp), %ebx
    mov 16(%esp), %edx
    movl $kaccess_done, fixup_eip
    lea kaccess_done, %ecx
    cmp $1, %ebx
    je 1f
    cmp $2, %ebx
    je 2f
    mov (%eax), %edx
    jmp kaccess_done
1:  mov %edx, (%eax)
    jmp kaccess_done
2:  jmp *%eax
kaccess_done:
    movl $0, fixup_eip
    mov %edx, %eax
    pop %ebx
    ret

/* uint32_t uaccess(uint32_t lin, int kind, uint32_t val): the same access
 * from ring 3 (kind 3: reload DS, an implicit supervisor read of the GDT). Drops to ring 3 with an IRET, comes back with INT 0x80,
 * whose entry discards its frame and returns from uaccess. */
    .globl uaccess
uaccess:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov %esp, kernel_esp
    mov 20(%esp), %eax
    mov 24(%esp), %ebx
    mov 28(%esp), %edx
    movl $user_done, fixup_eip
    mov $USER_DS, %ecx
    mov %ecx, %ds
    mov %ecx, %es
    mov %ecx, %fs
    mov %ecx, %gs
    push $USER_DS
    push $user_stack_top
    push $0x2                   /* EFLAGS: IF=0, IOPL=0, NT=0 */
    push $USER_CS
    push $user_code
    iret
user_code:
    lea user_done, %ecx
    cmp $1, %ebx
    je 1f
    cmp $2, %ebx
    je 2f
    cmp $3, %ebx
    je 3f
    mov (%eax), %edx
    jmp user_done
1:  mov %edx, (%eax)
    jmp user_done
2:  jmp *%eax
3:  mov $USER_DS, %ecx          /* kind 3: a descriptor load (GDT read) */
    mov %ecx, %ds
    jmp user_done
user_done:
    int $0x80

syscall_entry:
    mov $KERNEL_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %fs
    mov %eax, %gs
    movl $0, fixup_eip
    mov kernel_esp, %esp
    mov %edx, %eax
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret

    .bss
    .align 16
    .globl kernel_esp
kernel_esp:
    .long 0
    .globl fixup_eip, pf_err, pf_cr2, pf_count
fixup_eip:
    .long 0
pf_err:
    .long 0
pf_cr2:
    .long 0
pf_count:
    .long 0
    .align 16
    .space 8192
boot_stack_top:
    .space 4096
user_stack_top:
    .globl isr_stack_top
    .space 4096
isr_stack_top:

    .section .note.GNU-stack, "", @progbits
