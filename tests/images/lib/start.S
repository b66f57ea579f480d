/* Multiboot v1 entry of the test images: header (page-align modules, memory
 * info), our own flat GDT (the loader's may be gone), a stack, then
 * guest_main(magic, info); its return value goes to the exit port. Also the
 * interrupt stubs for vectors 0-47 (exceptions and the remapped PIC IRQs). */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .text
    .globl _start
_start:
    cli
    mov $stack_top, %esp
    mov %eax, %esi
    mov %ebx, %edi
    lgdt gdt_ptr
    ljmp $0x08, $1f
1:  mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    push %edi
    push %esi
    call guest_main
    push %eax
    call guest_exit
2:  cli
    hlt
    jmp 2b

/* Interrupt stubs: push a dummy error code where the CPU pushes none, then
 * the vector, and call irq_dispatch(frame). */
#define STUB(n) \
    .globl isr##n; isr##n: push $0; push $n; jmp isr_common;
#define STUB_ERR(n) \
    .globl isr##n; isr##n: push $n; jmp isr_common;

STUB(0)  STUB(1)  STUB(2)  STUB(3)  STUB(4)  STUB(5)  STUB(6)  STUB(7)
STUB_ERR(8) STUB(9) STUB_ERR(10) STUB_ERR(11) STUB_ERR(12) STUB_ERR(13) STUB_ERR(14) STUB(15)
STUB(16) STUB_ERR(17) STUB(18) STUB(19) STUB(20) STUB(21) STUB(22) STUB(23)
STUB(24) STUB(25) STUB(26) STUB(27) STUB(28) STUB(29) STUB(30) STUB(31)
STUB(32) STUB(33) STUB(34) STUB(35) STUB(36) STUB(37) STUB(38) STUB(39)
STUB(40) STUB(41) STUB(42) STUB(43) STUB(44) STUB(45) STUB(46) STUB(47)

isr_common:
    pusha
    push %esp
    call irq_dispatch
    add $4, %esp
    popa
    add $8, %esp
    iret

    .section .rodata
    .globl isr_table
isr_table:
    .long isr0, isr1, isr2, isr3, isr4, isr5, isr6, isr7
    .long isr8, isr9, isr10, isr11, isr12, isr13, isr14, isr15
    .long isr16, isr17, isr18, isr19, isr20, isr21, isr22, isr23
    .long isr24, isr25, isr26, isr27, isr28, isr29, isr30, isr31
    .long isr32, isr33, isr34, isr35, isr36, isr37, isr38, isr39
    .long isr40, isr41, isr42, isr43, isr44, isr45, isr46, isr47

    .section .data
    .align 8
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF    /* 0x08: flat code */
    .quad 0x00CF92000000FFFF    /* 0x10: flat data */
gdt_end:
gdt_ptr:
    .word gdt_end - gdt - 1
    .long gdt

    .section .bss
    .align 16
stack:
    .skip 16384
stack_top:
    .section .note.GNU-stack, "", @progbits
