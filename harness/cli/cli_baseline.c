/* cli_baseline.c: saving a run as a baseline and comparing a run with one. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_baseline.h"
#include "oracles/difference.h"

/* Differences the terminal lists; the files have them all. */
#define PRINT_MAX 40

int hcf_cli_baseline_open(struct hcf_cli_baseline *cb, const char *cmd, const char *compare,
			  const char *save, const struct hcf_abi *abi, const struct hcf_test *tests,
			  size_t n, uint64_t seed, const struct hcf_target_info *ti, bool quiet)
{
	memset(cb, 0, sizeof(*cb));
	cb->cmd = cmd;
	cb->rflags_now = ti ? ti->rflags_captured : 0;
	if (!compare && !save)
		return HCF_EXIT_PASS;
	struct hcf_baseline_header now;
	hcf_baseline_header_of(&now, cmd, abi, tests, n, seed, ti);
	char err[1024];
	if (compare) {
		cb->base = hcf_baseline_load(compare, err, sizeof(err));
		if (!cb->base) {
			hcf_cli_error(cmd, "%s", err);
			return HCF_EXIT_USAGE;
		}
		if (hcf_baseline_check(cb->base, &now, tests, n, err, sizeof(err)) != 0) {
			hcf_cli_error(cmd, "%s", err);
			hcf_baseline_free(cb->base);
			cb->base = NULL;
			return HCF_EXIT_USAGE;
		}
		const struct hcf_baseline_header *h = &cb->base->h;
		char about[512];
		snprintf(about, sizeof(about), "%s against baseline %s (%s, saved %s on %s/%s %s)", cmd,
			 compare, h->spec_name, h->created, h->target, h->hypervisor, h->facts);
		cb->report = hcf_diff_report_new("baseline", "now", about);
		if (!quiet)
			fprintf(stderr, "hcfuzz %s: comparing with baseline %s, saved %s on target %s "
					"(hypervisor %s, signature \"%s\", %s)\n",
				cmd, compare, h->created, h->target, h->hypervisor, h->hv_signature,
				h->facts[0] ? h->facts : "no facts");
	}
	if (save) {
		cb->save = hcf_baseline_create(save, &now, err, sizeof(err));
		if (!cb->save) {
			hcf_cli_error(cmd, "%s", err);
			hcf_baseline_free(cb->base);
			hcf_diff_report_free(cb->report);
			cb->base = NULL;
			cb->report = NULL;
			return HCF_EXIT_ERROR;
		}
	}
	return HCF_EXIT_PASS;
}

void hcf_cli_baseline_test(struct hcf_cli_baseline *cb, size_t i, const struct hcf_test *t,
			   const struct hcf_test_outcome *o)
{
	if (cb->save)
		hcf_baseline_add(cb->save, t, o);
	if (!cb->base)
		return;
	const struct hcf_baseline_test *bt = hcf_baseline_test(cb->base, i, t->id);
	if (!bt) { /* hcf_baseline_check makes this a harness bug, never silent */
		hcf_diff_report_uncompared(cb->report, t, "not in the baseline at this position");
		return;
	}
	static const struct hcf_prog_result none; /* a test that ran no call (SKIP) */
	struct hcf_diff_side a = { .res = &bt->res, .rflags_captured = cb->base->h.rflags_captured,
				   .has_verdict = true, .verdict = bt->verdict };
	struct hcf_diff_side b = { .res = o->res ? o->res : &none, .rflags_captured = cb->rflags_now,
				   .has_verdict = true, .verdict = o->v };
	struct hcf_differences d;
	hcf_differ(&t->prog, &a, &b, &d);
	hcf_diff_report_add(cb->report, t, &d);
}

void hcf_cli_baseline_print(const struct hcf_cli_baseline *cb, bool quiet)
{
	if (cb->report && !quiet) {
		hcf_diff_report_print(cb->report, stdout, PRINT_MAX);
		printf("\n");
		fflush(stdout);
	}
}

int hcf_cli_baseline_finish(struct hcf_cli_baseline *cb, bool complete, const char *out,
			    int exit_code, bool quiet)
{
	char err[1024];
	if (cb->save) {
		if (!complete) {
			hcf_baseline_abort(cb->save);
		} else if (hcf_baseline_commit(cb->save, err, sizeof(err)) != 0) {
			hcf_cli_error(cb->cmd, "%s", err);
			exit_code = HCF_EXIT_ERROR;
		}
		cb->save = NULL;
	}
	if (cb->report && complete) {
		struct hcf_diff_counts c;
		hcf_diff_report_counts(cb->report, &c);
		if (out && hcf_diff_report_write(cb->report, out, err, sizeof(err)) != 0) {
			hcf_cli_error(cb->cmd, "%s", err);
			exit_code = HCF_EXIT_ERROR;
		} else if (out && !quiet) {
			printf("differences: %s/differences.jsonl %s/differences.xml\n", out, out);
		}
		bool differs = c.differences || c.tests_uncompared;
		if (differs && (exit_code == HCF_EXIT_PASS || exit_code == HCF_EXIT_SKIP ||
				exit_code == HCF_EXIT_XPASS))
			exit_code = HCF_EXIT_DIFF;
	}
	hcf_diff_report_free(cb->report);
	hcf_baseline_free(cb->base);
	memset(cb, 0, sizeof(*cb));
	return exit_code;
}
