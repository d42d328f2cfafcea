/* agent_blob.S: the guest agent's images, built into hcfuzz so it runs without extra files. */
	.section .rodata
	.balign 16
	.globl hcf_agent_elf, hcf_agent_elf_end
hcf_agent_elf:
	.incbin HCF_AGENT_ELF
hcf_agent_elf_end:
	/* the same agent with the PVH entry note (a PVH loader's -kernel) */
	.balign 16
	.globl hcf_agent_pvh_elf, hcf_agent_pvh_elf_end
hcf_agent_pvh_elf:
	.incbin HCF_AGENT_PVH_ELF
hcf_agent_pvh_elf_end:
	/* the same agent with the Xen PV front-end (a PV dom0 kernel) */
	.balign 16
	.globl hcf_agent_xenpv_elf, hcf_agent_xenpv_elf_end
hcf_agent_xenpv_elf:
	.incbin HCF_AGENT_XENPV_ELF
hcf_agent_xenpv_elf_end:
	/* the same agent with the Solo5 hvt front-end (a tender's guest) */
	.balign 16
	.globl hcf_agent_hvt_elf, hcf_agent_hvt_elf_end
hcf_agent_hvt_elf:
	.incbin HCF_AGENT_HVT_ELF
hcf_agent_hvt_elf_end:
	.section .note.GNU-stack, "", @progbits
