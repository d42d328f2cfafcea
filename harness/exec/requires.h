/*
 * requires.h: does the hypervisor behind a target offer what a spec requires
 * (struct hcf_requirement, a bit of its CPUID leaves)?
 *
 * Asked once per run, from what the target read at boot (struct
 * hcf_target_info's hv_signature and hv_cpuid). An ABI the hypervisor does
 * not offer is not applicable there: hcf_exec_tests makes no call and
 * reports every test SKIP with the reason, so that Xen 4.17 run against the
 * FastABI says "absent" once instead of failing every call.
 */
#ifndef HCF_REQUIRES_H
#define HCF_REQUIRES_H

#include <stddef.h>

#include "spec/spec.h"
#include "target/target.h"

enum hcf_req_state {
	HCF_REQ_MET = 0,     /* every requirement holds, or the spec has none */
	HCF_REQ_ABSENT,      /* one does not: the ABI is not applicable on this target */
	HCF_REQ_UNCHECKED    /* the target does not report the leaves: run, and say so */
};

/* The answer, with why (ABSENT, UNCHECKED: one line naming the feature, the
 * leaf and what the hypervisor showed) and *doc the requirement's own doc
 * line (where it is documented; NULL if none). */
enum hcf_req_state hcf_requirements_check(const struct hcf_abi *abi,
					  const struct hcf_target_info *ti, char *why, size_t len,
					  const char **doc);

#endif /* HCF_REQUIRES_H */
