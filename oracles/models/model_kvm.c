/*
 * model_kvm.c: the reference model of Linux KVM's x86 hypercalls (ABI "kvm").
 *
 * What kvm_emulate_hypercall (arch/x86/kvm/x86.c) does with a vmcall/vmmcall:
 * the number is RAX, all 64 bits in long mode; a caller above CPL0 gets
 * -KVM_EPERM; otherwise a switch over the number, -KVM_ENOSYS for anything it
 * does not handle; the result goes to RAX and nothing else changes. The agent
 * issues calls at CPL0 as the guest sees it, so the model assumes CPL0.
 *
 * Per number (the table below):
 * - KVM_HC_VAPIC_POLL_IRQ: 0.
 * - KVM_HC_KICK_CPU, KVM_HC_SCHED_YIELD: 0. KVM checks the PV feature bits
 *   only when userspace enforces PV CPUID, which the hcfuzz VMM does not.
 * - KVM_HC_MAP_GPA_RANGE: -KVM_ENOSYS, because it is handled only when the
 *   VMM enables the userspace hypercall exit for it, and hcfuzz does not.
 * - KVM_HC_CLOCK_PAIRING, KVM_HC_SEND_IPI: depend on arguments and host
 *   state (clock source, APIC map): left to the retval oracle.
 * - every other number, including the retired and non-x86 ones (2, 3, 4,
 *   6, 7, 8): -KVM_ENOSYS.
 * Numbers and error codes come from the spec's constants (or the op of that
 * name) when it has them, so the model follows the spec it is paired with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracles/models/model.h"

enum kvm_pred {
	KVM_P_ZERO,    /* RAX = 0 */
	KVM_P_ENOSYS,  /* RAX = -KVM_ENOSYS */
	KVM_P_UNKNOWN  /* depends on arguments or host state */
};

static const struct kvm_hc {
	const char *name;   /* constant or op name in the spec */
	uint64_t nr;        /* uapi/linux/kvm_para.h, when the spec has no such name */
	enum kvm_pred pred;
	const char *why;
} kvm_hcs[] = {
	{ "KVM_HC_VAPIC_POLL_IRQ", 1, KVM_P_ZERO, "always succeeds at CPL0" },
	{ "KVM_HC_MMU_OP", 2, KVM_P_ENOSYS, "retired: -KVM_ENOSYS at CPL0" },
	{ "KVM_HC_FEATURES", 3, KVM_P_ENOSYS, "not handled on x86: -KVM_ENOSYS" },
	{ "KVM_HC_PPC_MAP_MAGIC_PAGE", 4, KVM_P_ENOSYS, "PowerPC only: -KVM_ENOSYS on x86" },
	{ "KVM_HC_KICK_CPU", 5, KVM_P_ZERO, "succeeds at CPL0; PV CPUID is not enforced" },
	{ "KVM_HC_MIPS_GET_CLOCK_FREQ", 6, KVM_P_ENOSYS, "MIPS only: -KVM_ENOSYS on x86" },
	{ "KVM_HC_MIPS_EXIT_VM", 7, KVM_P_ENOSYS, "MIPS only: -KVM_ENOSYS on x86" },
	{ "KVM_HC_MIPS_CONSOLE_OUTPUT", 8, KVM_P_ENOSYS, "MIPS only: -KVM_ENOSYS on x86" },
	{ "KVM_HC_CLOCK_PAIRING", 9, KVM_P_UNKNOWN, "depends on the host clock source" },
	{ "KVM_HC_SEND_IPI", 10, KVM_P_UNKNOWN, "depends on the APIC map" },
	{ "KVM_HC_SCHED_YIELD", 11, KVM_P_ZERO, "succeeds at CPL0; PV CPUID is not enforced" },
	{ "KVM_HC_MAP_GPA_RANGE", 12, KVM_P_ENOSYS,
	  "handled only with the userspace hypercall exit, which the VMM does not enable" },
};
#define KVM_NHCS (sizeof(kvm_hcs) / sizeof(kvm_hcs[0]))

#define KVM_ENOSYS_DEFAULT 1000

struct kvm_model {
	uint64_t nr[KVM_NHCS]; /* kvm_hcs[i]'s number as the spec has it */
	int64_t enosys;
};

static void *kvm_create(const struct hcf_abi *abi, const struct hcf_target_info *ti)
{
	struct kvm_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	for (size_t i = 0; i < KVM_NHCS; i++) {
		const struct hcf_const *k = abi ? hcf_spec_const(abi, kvm_hcs[i].name) : NULL;
		const struct hcf_op *op = abi ? hcf_spec_op_by_name(abi, kvm_hcs[i].name) : NULL;
		m->nr[i] = k ? (uint64_t)k->value : op ? op->nr : kvm_hcs[i].nr;
	}
	const struct hcf_const *k = abi ? hcf_spec_const(abi, "KVM_ENOSYS") : NULL;
	m->enosys = k && k->value > 0 ? k->value : KVM_ENOSYS_DEFAULT;
	return m;
}

static void kvm_destroy(void *st)
{
	free(st);
}

static void kvm_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	const struct kvm_model *m = st;
	hcf_model_predict_from_spec(abi, p, idx, before, e);

	/* KVM reads the number from RAX whatever the spec calls it, and a
	 * 64-bit caller's whole RAX counts: 0x100000001 is not 1. */
	uint64_t nr = before[HCF_RAX];
	const struct kvm_hc *hc = NULL;
	for (size_t i = 0; i < KVM_NHCS; i++)
		if (m->nr[i] == nr) {
			hc = &kvm_hcs[i];
			break;
		}

	enum kvm_pred pred = hc ? hc->pred : KVM_P_ENOSYS;
	switch (pred) {
	case KVM_P_ZERO:
		e->known |= HCF_REGBIT(HCF_RAX);
		e->gpr[HCF_RAX] = 0;
		break;
	case KVM_P_ENOSYS:
		e->known |= HCF_REGBIT(HCF_RAX);
		e->gpr[HCF_RAX] = (uint64_t)-m->enosys;
		break;
	case KVM_P_UNKNOWN:
		/* Leave it to the spec-level prediction (and retval). */
		return;
	}
	e->why_model = "kvm";
	if (hc) {
		e->why_what = hc->name;
		e->why = hc->why;
	} else {
		e->why = "an undeclared number is not handled at CPL0 (-KVM_ENOSYS)";
	}
}

const struct hcf_model_ops hcf_model_kvm = {
	.name = "kvm",
	.summary = "Linux KVM x86 hypercalls (kvm_emulate_hypercall) at CPL0",
	.create = kvm_create,
	.destroy = kvm_destroy,
	.predict = kvm_predict,
};
