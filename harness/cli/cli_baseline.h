/*
 * cli_baseline.h: --save-baseline and --baseline, shared by conform and replay.
 *
 * A command opens the comparison once its tests and target are known, hands
 * every finished test to it, and finishes it with the run's exit code: the
 * saved baseline is committed, the differences are printed (before the
 * verdict table), written into the report directory, and turn the exit code
 * into HCF_EXIT_DIFF when no verdict is worse.
 */
#ifndef HCF_CLI_BASELINE_H
#define HCF_CLI_BASELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "exec/exec.h"
#include "reports/baseline.h"
#include "reports/diff_report.h"

struct hcf_cli_baseline {
	const char *cmd;
	struct hcf_baseline *base;          /* --baseline, loaded */
	struct hcf_baseline_writer *save;   /* --save-baseline, being written */
	struct hcf_diff_report *report;     /* differences from base */
	uint64_t rflags_now;                /* RFLAGS bits this run's target captures */
};

/*
 * Load `compare` (may be NULL) and check it against this run; open `save`
 * (may be NULL). Returns HCF_EXIT_PASS, or the exit code to return having
 * printed why (a baseline of another spec or plan, an unreadable file).
 */
int hcf_cli_baseline_open(struct hcf_cli_baseline *cb, const char *cmd, const char *compare,
			  const char *save, const struct hcf_abi *abi, const struct hcf_test *tests,
			  size_t n, uint64_t seed, const struct hcf_target_info *ti, bool quiet);
void hcf_cli_baseline_test(struct hcf_cli_baseline *cb, size_t i, const struct hcf_test *t,
			   const struct hcf_test_outcome *o);
/* Print the differences (unless quiet); call before the verdict table. */
void hcf_cli_baseline_print(const struct hcf_cli_baseline *cb, bool quiet);
/* Commit the saved baseline and write the differences into out (complete:
 * the run was not interrupted). Returns exit_code, made HCF_EXIT_DIFF when
 * the results differ and no verdict is worse, or HCF_EXIT_ERROR when a file
 * could not be written. Frees everything. */
int hcf_cli_baseline_finish(struct hcf_cli_baseline *cb, bool complete, const char *out,
			    int exit_code, bool quiet);

#endif /* HCF_CLI_BASELINE_H */
