/*
 * kvm_vcpu_state.h: a vCPU's whole state as KVM hands it out, saved once and
 * put back as often as asked.
 *
 * What a snapshot fuzzer restores between inputs: general and special
 * registers, every MSR of KVM_GET_MSR_INDEX_LIST the vCPU reads and takes
 * back (and a few a host may leave out of that list), FPU/SSE/AVX (XSAVE)
 * and XCR0, the local APIC (where KVM emulates one), pending events, debug
 * registers and the run state. Which parts this host offers is learned when
 * the state is saved. An MSR the host reads but KVM_SET_MSRS does not take
 * back (PVM's, such as its VIF page registration on a vCPU that has not run
 * yet) is kept apart: its value is compared after a restore, and the caller
 * re-establishes it in the guest or gives the VM up.
 */
#ifndef HCF_KVM_VCPU_STATE_H
#define HCF_KVM_VCPU_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/vmm.h"

struct hcf_kvm_vcpu_state;

/* An empty state for a vCPU of the KVM at kvm_fd. */
struct hcf_kvm_vcpu_state *hcf_kvm_vcpu_state_new(int kvm_fd);
void hcf_kvm_vcpu_state_free(struct hcf_kvm_vcpu_state *s);

/* Save the vCPU's state (it must not be in KVM_RUN, and no I/O may be
 * pending). The first save learns which parts and MSRs this host reads and
 * takes back. 0, or -1 with what failed in err. */
int hcf_kvm_vcpu_state_save(struct hcf_kvm_vcpu_state *s, int vcpu_fd, char *err, size_t errlen);

/*
 * Put the saved state back. With run (the vCPU's kvm_run), the parts KVM can
 * take through it (registers, special registers, events) are left there for
 * the next KVM_RUN, which puts them back before it runs the guest or fails
 * with EINVAL; the caller must not read or set those parts before that
 * KVM_RUN. 0, or -1 with errno and *failed naming the part.
 */
struct kvm_run;
int hcf_kvm_vcpu_state_restore(const struct hcf_kvm_vcpu_state *s, int vcpu_fd, struct kvm_run *run,
			       const char **failed);

/* The MSRs the state holds but cannot put back (read, not taken back by
 * KVM_SET_MSRS) whose values now differ from the saved ones: how many,
 * the first max of them into idx; -1 when they cannot be read. */
int hcf_kvm_vcpu_state_kept_changed(struct hcf_kvm_vcpu_state *s, int vcpu_fd, uint32_t *idx,
				    size_t max);

/* For tests of a restore KVM refuses: a reserved CR4 bit into the saved
 * special registers. -1 when they were not saved. */
int hcf_kvm_vcpu_state_spoil(struct hcf_kvm_vcpu_state *s);

/* What the saved state holds. */
void hcf_kvm_vcpu_state_summary(const struct hcf_kvm_vcpu_state *s, struct hcf_vmm_cpu_saved *out);

#endif /* HCF_KVM_VCPU_STATE_H */
