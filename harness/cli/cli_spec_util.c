/* cli_spec_util.c: load a spec for a command, diagnostics to stderr. */
#include <stdio.h>

#include "cli/cli.h"
#include "oracles/verdict.h"

int hcf_cli_load_spec(const char *path, struct hcf_abi **abi)
{
	struct hcf_diags diags;

	hcf_diags_init(&diags);
	if (hcf_spec_load(path, abi, &diags) != 0) {
		hcf_diags_print(&diags, stderr);
		fprintf(stderr, "%s: invalid spec\n", path);
		return HCF_EXIT_USAGE;
	}
	return HCF_EXIT_PASS;
}
