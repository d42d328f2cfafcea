/*
 * boot32.S: the agent's boot front-end for hypervisors that load a
 * multiboot1 kernel (QEMU's -kernel): the header, and a 32-bit entry that
 * builds the machine the in-process VMM builds from the host
 * (harness/vmm/kvm_machine.h: the same page tables, GDT and TSS, control
 * registers), enters long mode and goes on at agent_external_main.
 *
 * QEMU refuses ELF64 multiboot kernels, so the header uses the a.out kludge
 * (flag 16): it names the load addresses itself, and QEMU copies the file's
 * bytes from the header's offset on. That holds because the linker lays the
 * agent out in the file exactly as in memory from 0x100000 (agent.ld).
 */
#include "agent.h"

#define MB_MAGIC  0x1badb002
#define MB_FLAGS  0x00010000          /* a.out kludge: the addresses below */

#define PML4      0x8000              /* HCF_GPA_PGTABLES */
#define PDPT      0x9000
#define PD        0xa000              /* four PDs, one per GiB */
#define PT0       0xe000              /* 4 KiB pages of the first 2 MiB */
#define GDT       0x2000              /* HCF_GPA_GDT; the TSS at GDT + 0x800 */
#define STACK_HI  0x20000             /* HCF_GPA_STACK_HI */
#define PTE       0x67                /* P RW US A D */

	.section .text.multiboot, "ax"
	.balign 4
	.globl hcf_multiboot_header
hcf_multiboot_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long hcf_multiboot_header        /* header_addr */
	.long 0x100000                    /* load_addr: the image starts here */
	.long _agent_load_end             /* load_end_addr: file contents end */
	.long _agent_end                  /* bss_end_addr: zeroed up to here */
	.long _start32                    /* entry_addr */

	.code32
	.globl _start32
_start32:
	cli
	mov %ebx, %esi                    /* the multiboot information, for later */
	mov $STACK_HI, %esp
	cld

	/* Zero the PML4 and the PDPT: whatever the firmware left there. */
	mov $PML4, %edi
	xor %eax, %eax
	mov $(0x2000 / 4), %ecx
	rep stosl
	movl $(PDPT + PTE), PML4
	/* PDPT: four entries, one PD each. */
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	add $(PD + PTE), %eax
	mov %eax, PDPT(,%ecx,8)
	inc %ecx
	cmp $4, %ecx
	jb 1b
	/* PDs: 2048 2 MiB pages over the low 4 GiB (high half of each entry 0). */
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $(PTE | 0x80), %eax
	mov %eax, PD(,%ecx,8)
	movl $0, PD + 4(,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jb 2b
	/* The first 2 MiB in 4 KiB pages: page 0 and the stack from its guard
	 * page up to its mapped top unmapped (hcf_proto.h, STACK_MAPPED). */
	movl $(PT0 + PTE), PD
	xor %ecx, %ecx
3:	mov %ecx, %eax
	shl $12, %eax
	or $PTE, %eax
	cmp $0, %ecx
	je 4f
	cmp $AS_STACK_GUARD_PG, %ecx
	jb 5f
	cmp $AS_STACK_MAPPED_PG, %ecx
	jae 5f
4:	xor %eax, %eax
5:	mov %eax, PT0(,%ecx,8)
	movl $0, PT0 + 4(,%ecx,8)
	inc %ecx
	cmp $512, %ecx
	jb 3b

	/* GDT with a zeroed TSS after it: 64-bit code at 0x08, data at 0x10,
	 * a TSS at 0x18 (available; ltr below makes it busy, as the host
	 * leaves it). */
	mov $GDT, %edi
	xor %eax, %eax
	mov $(0x1000 / 4), %ecx
	rep stosl
	movl $0x0000ffff, GDT + 0x08
	movl $0x00af9b00, GDT + 0x0c
	movl $0x0000ffff, GDT + 0x10
	movl $0x00cf9300, GDT + 0x14
	movl $(0x67 | ((GDT + 0x800) << 16)), GDT + 0x18
	movl $0x00008900, GDT + 0x1c
	lgdt gdtr32

	/* Long mode: PAE and SSE in CR4, the tables in CR3, EFER.LME, paging. */
	mov $0x620, %eax                  /* OSXMMEXCPT OSFXSR PAE */
	mov %eax, %cr4
	mov $PML4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx             /* EFER */
	rdmsr
	or $0x100, %eax                   /* LME; no SCE: a stray syscall is a clean #UD */
	wrmsr
	mov $0x80000033, %eax             /* PG NE ET MP PE */
	mov %eax, %cr0
	ljmp $0x08, $long64

	.code64
long64:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov $0x18, %eax
	ltr %ax
	mov $STACK_HI, %rsp
	xor %ebp, %ebp
	mov %esi, %edi                    /* the multiboot information */
	call agent_external_main
6:	hlt
	jmp 6b

	.section .rodata
	.balign 8
gdtr32:
	.word 0x7ff
	.long GDT
