/*
 * pvh_note.S: the PVH boot front-end: an ELF note (Xen's
 * XEN_ELFNOTE_PHYS32_ENTRY, type 18) naming boot32.S's 32-bit entry, which a
 * PVH loader (QEMU's -kernel, Xen's PVH dom0 builder) enters in protected
 * mode with paging off and %ebx pointing at its start_info. Linked only into
 * hcf-agent-pvh.elf: a loader that sees the note prefers it to multiboot.
 */
	.section .note.Xen, "a"
	.balign 4
	.long 4                /* namesz: "Xen\0" */
	.long 4                /* descsz */
	.long 18               /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.long _start32
	.balign 4
