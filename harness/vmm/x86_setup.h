/*
 * x86_setup.h: the x86-64 machine state the agent boots into.
 *
 * Identity page tables over the low 4 GiB with every entry U/S=1 (PVM runs a
 * guest natively only when its pages are user-accessible; hardware KVM does
 * not care without SMEP/SMAP), page 0 left unmapped so NULL faults, 2 MiB
 * pages elsewhere; a flat GDT with a 64-bit code segment and a TSS; the
 * control registers for long mode with SSE enabled (the agent uses SSE only
 * in its explicit vector-capture path).
 */
#ifndef HCF_X86_SETUP_H
#define HCF_X86_SETUP_H

#include <linux/kvm.h>

#include "vmm/gmem.h"

#define HCF_X86_SEL_CODE 0x08
#define HCF_X86_SEL_DATA 0x10
#define HCF_X86_SEL_TSS  0x18

/* Write page tables, GDT and TSS into guest memory. Returns 0 or -1. */
int hcf_x86_build_tables(const struct hcf_gmem *m);
/* Build the IDT at HCF_GPA_IDT: 256 interrupt gates to handlers[]. Saves the
 * agent a loop PVM would emulate instruction by instruction. */
int hcf_x86_build_idt(const struct hcf_gmem *m, const uint64_t handlers[256]);

/* Fill the segment and control registers for long mode (IDTR: HCF_GPA_IDT). */
void hcf_x86_long_mode_sregs(struct kvm_sregs *s);

#endif /* HCF_X86_SETUP_H */
