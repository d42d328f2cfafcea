/* entry.S: 64-bit entry from the in-process VMM (long mode, paging and GDT set up by the host). */
#include "agent.h"

	.section .text.entry, "ax"
	.globl _start
_start:
	mov $0x20000, %rsp      /* HCF_GPA_STACK_HI */
	xor %ebp, %ebp
	cld
	call agent_main
1:	hlt
	jmp 1b
