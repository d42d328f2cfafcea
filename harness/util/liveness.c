/* liveness.c: the names of the ways a guest stops. */
#include "util/liveness.h"

#include <string.h>

static const char *const names[HCF_LIVE_COUNT] = {
	[HCF_LIVE_OK] = "ok",
	[HCF_LIVE_HANG] = "hang",
	[HCF_LIVE_SHUTDOWN] = "shutdown",
	[HCF_LIVE_INTERNAL_ERROR] = "kvm-internal-error",
	[HCF_LIVE_ENTRY_FAILED] = "entry-failed",
	[HCF_LIVE_AGENT_PANIC] = "agent-panic",
	[HCF_LIVE_PROTOCOL] = "protocol-violation",
	[HCF_LIVE_UNEXPECTED_EXIT] = "unexpected-exit",
	[HCF_LIVE_HARNESS] = "harness-error",
	[HCF_LIVE_RUNAWAY] = "runaway",
	[HCF_LIVE_VMM_GONE] = "vmm-gone",
	[HCF_LIVE_HALT] = "halt",
	[HCF_LIVE_REFUSED] = "refused",
};

const char *hcf_liveness_name(enum hcf_liveness l)
{
	return (unsigned)l < HCF_LIVE_COUNT ? names[l] : "?";
}

int hcf_liveness_parse(const char *name)
{
	for (int i = 0; name && i < HCF_LIVE_COUNT; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}
