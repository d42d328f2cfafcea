/*
 * pv_entry.S: the Xen PV front-end of the agent (hcf-agent-xenpv.elf): the
 * ELF notes a PV dom0 builder reads, the 64-bit entry Xen jumps to with its
 * own page tables loaded, and the exception entries Xen bounces to.
 *
 * Xen maps the dom0 from VIRT_BASE 0, so the agent's virtual addresses are
 * its pseudo-physical ones, as everywhere else; it writes the hypercall
 * page at HCF_GPA_HCPAGE. The note values (xen/include/public/elfnote.h):
 * ENTRY 1, HYPERCALL_PAGE 2, VIRT_BASE 3, XEN_VERSION 5, GUEST_OS 6,
 * LOADER 8, PAE_MODE 9.
 */
#include "agent.h"

#define HCPAGE   0x5000               /* HCF_GPA_HCPAGE */
#define STACK_HI 0x20000              /* HCF_GPA_STACK_HI */

.macro XEN_NOTE type, desc:vararg
	.balign 4
	.long 4                           /* namesz: "Xen\0" */
	.long 2f - 1f                     /* descsz */
	.long \type
	.asciz "Xen"
1:	\desc
2:	.balign 4
.endm

	.section .note.Xen, "a"
	XEN_NOTE 6, .asciz "hcfuzz-agent"
	XEN_NOTE 5, .asciz "xen-3.0"
	XEN_NOTE 8, .asciz "generic"
	XEN_NOTE 9, .asciz "yes"
	XEN_NOTE 3, .quad 0
	XEN_NOTE 1, .quad hcf_xen_pv_start
	XEN_NOTE 2, .quad HCPAGE

	.text
/* Xen enters here in 64-bit mode at CPL3 (a PV kernel), %rsi = start_info. */
	.globl hcf_xen_pv_start
hcf_xen_pv_start:
	mov $STACK_HI, %rsp
	xor %ebp, %ebp
	cld
	mov %rsi, %rdi
	call agent_xen_pv_main
1:	pause
	jmp 1b

/*
 * Exception entries for Xen's trap table. Xen delivers a PV exception with
 * RCX and R11 pushed below the frame a CPU would push (and their values at
 * the fault in them): pop them back, and the frame and every register are
 * what the native entries (trampoline.S) expect.
 */
	.balign 16
	.globl hcf_xen_pv_exc
hcf_xen_pv_exc:
	.set vec, 0
	.rept 32
	.balign 16
	pop %rcx
	pop %r11
	jmp *hcf_exc_entry + 8 * vec(%rip)
	.set vec, vec + 1
	.endr

/*
 * The event upcall (xen.c): Xen enters here, events masked, only where a
 * call unmasked them (SCHEDOP_block), on its way back to the call. The
 * frame is an exception's: RCX and R11 below RIP, CS, RFLAGS, RSP, SS.
 * Quiet the wake port, clear the frame's IF so that Xen's iret masks
 * events again (it sets the mask to !IF), and return through the iret
 * entry of the hypercall page, which pushes RCX, R11 and RAX for Xen to
 * restore: every register is then what the call left.
 */
#define XEN_IRET 23

	.globl hcf_xen_pv_event
hcf_xen_pv_event:
	pop %rcx
	pop %r11
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	call agent_xen_events_quiet
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	andq $~0x200, 16(%rsp)
	pushq $0                          /* flags: not from a syscall, restore all */
	jmp HCPAGE + 32 * XEN_IRET
