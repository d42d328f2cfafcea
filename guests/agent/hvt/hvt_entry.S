/*
 * hvt_entry.S: the Solo5 hvt front-end of the agent (hcf-agent-hvt.elf):
 * the ELF notes a Solo5 tender reads (the ABI it speaks, the manifest of
 * the devices the guest wants) and the 64-bit entry the tender jumps to.
 *
 * The notes' layouts are Solo5's include/elf_abi.h and mft_abi.h: a note
 * header (namesz 6, "Solo5" padded to 8 bytes), then the descriptor. The
 * manifest's first entry must be the reserved one with an empty name; the
 * devices follow, their handle being their index. The tender fills in each
 * device's properties (a block device's capacity and block size) in the
 * copy it hands the guest at boot.
 */
#include "agent.h"

#define SOLO5_ABI1   0x31494241   /* "ABI1" */
#define SOLO5_MFT1   0x3154464d   /* "MFT1" */
#define HVT_TARGET   1            /* enum abi_target: HVT_ABI_TARGET */
#define HVT_VERSION  2            /* HVT_ABI_VERSION of the tender ABI spoken */
#define MFT_VERSION  1
#define MFT_RESERVED_FIRST (1 << 30)
#define MFT_BLOCK_BASIC 1
#define MFT_ENTRY_SIZE 104        /* struct mft_entry on x86-64 */
#define STACK_HI 0x20000          /* HCF_GPA_STACK_HI */

	.section .note.solo5.abi, "a"
	.balign 4
	.long 6                       /* namesz: "Solo5\0" */
	.long 16                      /* descsz: struct abi1_info */
	.long SOLO5_ABI1
	.asciz "Solo5"
	.balign 4
	.long HVT_TARGET, HVT_VERSION, 0, 0

/* One device: handle 1, the block device "storage" (the target attaches an
 * image with --block:storage=FILE). */
.macro MFT_ENTRY name, type
1:	.ascii "\name"
	.fill 68 - (. - 1b), 1, 0     /* name[68], zero-padded */
	.long \type
	.fill MFT_ENTRY_SIZE - 72, 1, 0 /* properties, backing, attached: the tender's */
.endm

	.section .note.solo5.manifest, "a"
	.balign 8
	.long 6
	.long 4 + 8 + 2 * MFT_ENTRY_SIZE /* descsz: padding to 8, struct mft, 2 entries */
	.long SOLO5_MFT1
	.asciz "Solo5"
	.balign 8
	.long MFT_VERSION, 2
	MFT_ENTRY "", MFT_RESERVED_FIRST
	MFT_ENTRY "storage", MFT_BLOCK_BASIC

	.text
/*
 * The tender enters in 64-bit mode on its own GDT and page tables (which
 * leave the pages below 0x10000 unmapped and those below 0x100000
 * read-only), with the boot info's address in %rdi and the stack at the
 * top of memory, in the arena. The front-end runs there until the agent's
 * own machine is built, then the agent moves to its stack.
 */
	.globl hcf_hvt_start
hcf_hvt_start:
	cli
	xor %ebp, %ebp
	cld
	call agent_hvt_machine
	mov $STACK_HI, %rsp
	call agent_hvt_serve
1:	hlt
	jmp 1b

/* void hcf_hvt_switch(uint64_t cr3, const void *gdtr): load the page tables
 * and the GDT, reload every segment from it (code 0x08, data 0x10) and, when
 * the GDT holds the agent's TSS, the task register. */
	.globl hcf_hvt_switch
hcf_hvt_switch:
	mov %rdi, %cr3
	lgdt (%rsi)
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	pop %rax                      /* the return address: far-return through CS 0x08 */
	pushq $0x08
	push %rax
	lretq

	.globl hcf_hvt_ltr
hcf_hvt_ltr:
	mov $0x18, %eax
	ltr %ax
	ret
