/*
 * cli_inputs.h: programs and fuzzer inputs read from files and directories,
 * as tests, for the commands that run given inputs (replay, diff).
 *
 * Every file under a directory (recursively, sorted: the same order every
 * run; hidden files and *.md skipped) is an input: *.hcf is a program in the
 * text format (a malformed one is reported with file:line:column, skipped
 * and counted), anything else a fuzzer input (decoded, never rejected). Each
 * becomes a test whose id is its path and whose group is its directory.
 */
#ifndef HCF_CLI_INPUTS_H
#define HCF_CLI_INPUTS_H

#include <stddef.h>

#include "prog/plan.h"
#include "spec/spec.h"

struct hcf_cli_inputs {
	struct hcf_test *tests;
	size_t n, cap;
	size_t malformed;   /* inputs reported and skipped */
};

/* Add path, a directory or one file. cmd prefixes messages. */
void hcf_cli_inputs_add(struct hcf_cli_inputs *in, const struct hcf_abi *abi, const char *path,
			const char *cmd);

#endif /* HCF_CLI_INPUTS_H */
