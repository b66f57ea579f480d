/*
 * Multiboot v1 entry. The loader leaves us in flat 32-bit protected mode,
 * paging off, EAX = 0x2BADB002, EBX = physical address of the info block
 * (multiboot spec 0.6.96, "Machine state"). We run at physical addresses
 * until paging is on, so every symbol is used through pa().
 *
 * initial_page_dir maps the first 896 MiB twice with 4 MiB pages (CR4.PSE,
 * SDM Vol. 3 §4.3): identity (so the instruction after "mov cr0" still
 * fetches) and at PAGE_OFFSET. paging_init() replaces it with
 * swapper_pg_dir, which maps exactly lowmem.
 */
#define PAGE_OFFSET 0xC0000000
#define pa(x) ((x) - PAGE_OFFSET)
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003	/* page-align modules, give memory info */
#define BOOT_PDES 224		/* 896 MiB in 4 MiB pages */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .head.text, "ax"
	.globl startup_32
startup_32:
	cli
	cld
	movl %eax, pa(boot_magic)
	movl %ebx, pa(boot_info_phys)

	/* The loader zeroes .bss from the ELF header; do it again for loaders that don't. */
	movl $pa(__bss_start), %edi
	movl $pa(__bss_stop), %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	movl $pa(initial_page_dir), %edi
	movl $0x000000e3, %eax		/* P | RW | A | D | PS */
	movl $BOOT_PDES, %ecx
1:	movl %eax, (%edi)
	movl %eax, 0xC00(%edi)		/* PDE 768 = PAGE_OFFSET >> 22 */
	addl $0x400000, %eax
	addl $4, %edi
	loop 1b

	movl %cr4, %eax
	orl $0x10, %eax			/* CR4.PSE */
	movl %eax, %cr4
	movl $pa(initial_page_dir), %eax
	movl %eax, %cr3
	movl %cr0, %eax
	orl $0x80010000, %eax		/* CR0.PG | CR0.WP */
	movl %eax, %cr0
	movl $1f, %eax
	jmp *%eax			/* now at 0xC01xxxxx */
1:
	movl $init_stack_top, %esp
	xorl %ebp, %ebp
	pushl $0
	popfl
	call start_kernel
2:	hlt
	jmp 2b

	.data
	.globl boot_magic, boot_info_phys
boot_magic:	.long 0
boot_info_phys:	.long 0

	.section .bss..page_aligned, "aw", @nobits
	.align 4096
	.globl initial_page_dir
initial_page_dir:
	.skip 4096
	.globl init_stack, init_stack_top
init_stack:
	.skip 16384
init_stack_top:

	.section .note.GNU-stack, "", @progbits
