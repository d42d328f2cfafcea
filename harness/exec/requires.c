/* requires.c: a spec's requirements against the target's CPUID leaves (requires.h). */
#include "exec/requires.h"

#include <stdio.h>
#include <string.h>

/* The leaves' base as the agent reads them (guests/agent/agent.c probe). */
#define HV_BASE 0x40000000u

enum hcf_req_state hcf_requirements_check(const struct hcf_abi *abi,
					  const struct hcf_target_info *ti, char *why, size_t len,
					  const char **doc)
{
	if (len)
		why[0] = '\0';
	*doc = NULL;
	if (!abi || !abi->nrequires)
		return HCF_REQ_MET;
	for (size_t i = 0; i < abi->nrequires; i++) {
		const struct hcf_requirement *r = &abi->requires[i];
		if (!ti || !ti->hv_cpuid_known) {
			snprintf(why, len, "%s not checked: target %s does not report the "
					   "hypervisor's CPUID leaves",
				 r->feature, ti && ti->target[0] ? ti->target : "?");
			*doc = r->doc;
			return HCF_REQ_UNCHECKED;
		}
		if (r->signature[0] && strncmp(ti->hv_signature, r->signature, 12) != 0) {
			snprintf(why, len, "ABI %s is absent: it requires %s of %s, and the "
					   "hypervisor's CPUID signature is \"%.12s\"",
				 abi->name, r->feature, r->signature, ti->hv_signature);
			*doc = r->doc;
			return HCF_REQ_ABSENT;
		}
		if (r->leaf < 1 || r->leaf > HCF_HV_LEAVES || r->reg > 3)
			continue; /* the loader refuses these */
		uint32_t v = ti->hv_cpuid[r->leaf - 1][r->reg];
		if ((v & r->mask) != r->value) {
			snprintf(why, len, "ABI %s is absent: %s is not set (CPUID 0x%x %s = 0x%08x, "
					   "mask 0x%x, needs 0x%x; hypervisor \"%.12s\")",
				 abi->name, r->feature, HV_BASE + r->leaf,
				 hcf_requirement_reg_name(r->reg), v, r->mask, r->value,
				 ti->hv_signature);
			*doc = r->doc;
			return HCF_REQ_ABSENT;
		}
	}
	return HCF_REQ_MET;
}
