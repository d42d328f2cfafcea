/* repro_rt_blob.S: the reproducer runtime's text (reports/repro_rt/), embedded verbatim into every repro.c. */
	.section .rodata
	.globl hcf_repro_rt_head, hcf_repro_rt_tail
hcf_repro_rt_head:
	.incbin HCF_REPRO_RT_HEAD
	.byte 0
hcf_repro_rt_tail:
	.incbin HCF_REPRO_RT_TAIL
	.byte 0
	.section .note.GNU-stack, "", @progbits
