/*
 * cli_finding.h: opening a finding for a command: its spec (from --spec or the
 * path finding.json records), the program, errors named by file.
 */
#ifndef HCF_CLI_FINDING_H
#define HCF_CLI_FINDING_H

#include <stdbool.h>

#include "fuzz/finding.h"
#include "spec/spec.h"

/* Load spec (spec_override, else the finding's) and the finding. Returns
 * HCF_EXIT_PASS, or an exit code after printing why. */
int hcf_cli_open_finding(const char *cmd, const char *path, const char *spec_override,
			 bool prefer_minimized, struct hcf_abi **abi, struct hcf_finding *f);

#endif /* HCF_CLI_FINDING_H */
