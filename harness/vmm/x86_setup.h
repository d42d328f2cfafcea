/*
 * x86_setup.h: the x86-64 machine state the agent boots into, over checked
 * guest memory.
 *
 * The machine itself (page tables, GDT, TSS, IDT gates, long-mode registers)
 * is vmm/kvm_machine.h, shared with the reproducers; these wrappers make
 * sure guest RAM is big enough before they write it.
 */
#ifndef HCF_X86_SETUP_H
#define HCF_X86_SETUP_H

#include <linux/kvm.h>

#include "vmm/gmem.h"

/* Write page tables, GDT and TSS into guest memory. Returns 0 or -1. */
int hcf_x86_build_tables(const struct hcf_gmem *m);
/* Build the IDT at HCF_GPA_IDT: 256 interrupt gates to handlers[]. Saves the
 * agent a loop PVM would emulate instruction by instruction. */
int hcf_x86_build_idt(const struct hcf_gmem *m, const uint64_t handlers[256]);

/* Fill the segment and control registers for long mode (IDTR: HCF_GPA_IDT). */
void hcf_x86_long_mode_sregs(struct kvm_sregs *s);

#endif /* HCF_X86_SETUP_H */
