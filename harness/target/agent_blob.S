/* agent_blob.S: the guest agent ELF, built into hcfuzz so it runs without extra files. */
	.section .rodata
	.balign 16
	.globl hcf_agent_elf, hcf_agent_elf_end
hcf_agent_elf:
	.incbin HCF_AGENT_ELF
hcf_agent_elf_end:
	.section .note.GNU-stack, "", @progbits
