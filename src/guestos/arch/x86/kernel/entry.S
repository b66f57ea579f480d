/*
 * Exception and IRQ entry stubs. Every vector pushes a uniform frame
 * (dummy error code where the CPU pushes none, SDM Vol. 3 §6.13) and the
 * vector number, then common_entry saves the rest as struct pt_regs and
 * calls do_trap(regs).
 */
	.macro ERR n
	.globl vector_\n
vector_\n:
	pushl $\n
	jmp common_entry
	.endm
	.macro NOERR n
	.globl vector_\n
vector_\n:
	pushl $0
	pushl $\n
	jmp common_entry
	.endm

	.text
	.irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,21,22,23,24,25,26,27,28,29,31
	NOERR \n
	.endr
	.irp n, 8,10,11,12,13,14,17,30
	ERR \n
	.endr
	.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	NOERR \n
	.endr

common_entry:
	pushl %gs
	pushl %fs
	pushl %es
	pushl %ds
	pushl %eax
	pushl %ebp
	pushl %edi
	pushl %esi
	pushl %edx
	pushl %ecx
	pushl %ebx
	movl $0x10, %eax		/* __KERNEL_DS */
	movl %eax, %ds
	movl %eax, %es
	movl $0x30, %eax		/* __KERNEL_PERCPU */
	movl %eax, %fs
	pushl %esp
	call do_trap
	addl $4, %esp
	popl %ebx
	popl %ecx
	popl %edx
	popl %esi
	popl %edi
	popl %ebp
	popl %eax
	popl %ds
	popl %es
	popl %fs
	popl %gs
	addl $8, %esp			/* vector, error code */
	iret

	.section .rodata
	.globl vector_table
vector_table:
	.long vector_0, vector_1, vector_2, vector_3, vector_4, vector_5, vector_6, vector_7
	.long vector_8, vector_9, vector_10, vector_11, vector_12, vector_13, vector_14, vector_15
	.long vector_16, vector_17, vector_18, vector_19, vector_20, vector_21, vector_22, vector_23
	.long vector_24, vector_25, vector_26, vector_27, vector_28, vector_29, vector_30, vector_31
	.long vector_32, vector_33, vector_34, vector_35, vector_36, vector_37, vector_38, vector_39
	.long vector_40, vector_41, vector_42, vector_43, vector_44, vector_45, vector_46, vector_47

/*
 * probe_kernel_read_byte(addr, out): 0, or -EFAULT if reading addr faults.
 * The load is listed in __ex_table, so the #PF handler resumes at 2f
 * (Linux's exception-table fixups, arch/x86/mm/extable.c).
 */
	.text
	.globl probe_kernel_read_byte
probe_kernel_read_byte:
	movl 4(%esp), %ecx
	movl 8(%esp), %edx
1:	movb (%ecx), %al
	movb %al, (%edx)
	xorl %eax, %eax
	ret
2:	movl $-14, %eax
	ret
	.section __ex_table, "a"
	.long 1b, 2b
	.text

	.section .note.GNU-stack, "", @progbits
