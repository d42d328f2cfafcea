/* campaign_dir.c: the campaign directory's column and key names (campaign_dir.h). */
#include "fuzz/campaign_dir.h"

const char *const hcf_cstat_col_names[HCF_CS_COUNT] = {
	[HCF_CS_UNIX] = "unix_time",
	[HCF_CS_ELAPSED] = "elapsed_s",
	[HCF_CS_EXECS] = "execs",
	[HCF_CS_EXECS_PS] = "execs_per_s",
	[HCF_CS_CALLS] = "calls",
	[HCF_CS_CALLS_PS] = "calls_per_s",
	[HCF_CS_CORPUS] = "corpus",
	[HCF_CS_FEATURES] = "features",
	[HCF_CS_FINDINGS] = "findings",
	[HCF_CS_SINCE_NEW] = "since_new_feature_s",
};

const char *const hcf_cfact_keys[HCF_CF_COUNT] = {
	[HCF_CF_SPEC] = "spec",
	[HCF_CF_ABI] = "abi",
	[HCF_CF_ENGINE] = "engine",
	[HCF_CF_TARGET] = "target",
	[HCF_CF_HYPERVISOR] = "hypervisor",
	[HCF_CF_KCOV] = "kcov",
};
