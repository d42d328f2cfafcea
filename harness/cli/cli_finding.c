/* cli_finding.c: load a finding and its spec for minimize, repro and friends. */
#include "cli/cli_finding.h"

#include <stdio.h>

#include "cli/cli.h"
#include "oracles/verdict.h"

int hcf_cli_open_finding(const char *cmd, const char *path, const char *spec_override,
			 bool prefer_minimized, struct hcf_abi **abi, struct hcf_finding *f)
{
	struct hcf_diags d;
	hcf_diags_init(&d);
	*abi = NULL;
	if (hcf_finding_load_meta(path, f, &d) != 0) {
		hcf_diags_print(&d, stderr);
		hcf_cli_error(cmd, "%s is not a readable finding", path);
		return HCF_EXIT_USAGE;
	}
	const char *spec = spec_override ? spec_override : f->spec;
	if (!spec[0]) {
		hcf_cli_error(cmd, "%s/finding.json names no spec; pass --spec", path);
		return HCF_EXIT_USAGE;
	}
	int rc = hcf_cli_load_spec(spec, abi);
	if (rc != HCF_EXIT_PASS)
		return rc;
	char err[256];
	if (f->transport[0] && hcf_spec_use_transport(*abi, f->transport, err, sizeof(err)) != 0) {
		hcf_cli_error(cmd, "%s: the finding's transport: %s", path, err);
		hcf_spec_free(*abi);
		*abi = NULL;
		return HCF_EXIT_USAGE;
	}
	hcf_diags_init(&d);
	if (hcf_finding_load(path, *abi, prefer_minimized, f, &d) != 0) {
		hcf_diags_print(&d, stderr);
		hcf_spec_free(*abi);
		*abi = NULL;
		return HCF_EXIT_USAGE;
	}
	return HCF_EXIT_PASS;
}
