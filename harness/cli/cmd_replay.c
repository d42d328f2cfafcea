/*
 * cmd_replay.c: "hcfuzz replay", regression replay of corpora.
 *
 * Every file under the given directories is an input: a fuzzer input
 * (binary; decoded, never rejected) or a program in the text format (*.hcf;
 * a malformed one is an error naming file:line:column, skipped, counted).
 * Each runs from the target's boot snapshot, as a fuzzer ran it, and is
 * judged by the oracles. A summary goes to the terminal, JUnit XML (and the
 * other reports) to --out. Non-zero exit on any verdict that fails a run
 * (everything but PASS, expected losses and known anomalies): this is what a
 * hypervisor project's CI calls (ci/replay.sh). On the model target a replay
 * is a self-check of the spec, decoder and oracles, and says so.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_baseline.h"
#include "cli/cli_inputs.h"
#include "cli/cli_target.h"
#include "exec/exec.h"
#include "exec/targets.h"
#include "oracles/anomaly.h"
#include "oracles/models/model.h"
#include "oracles/verdict.h"
#include "reports/coverage.h"
#include "reports/report.h"
#include "util/fileio.h"
#include "util/interrupt.h"
#include "util/xalloc.h"


static void usage(FILE *f)
{
	fprintf(f,
		"usage: hcfuzz replay --spec FILE [options] DIR...\n"
		"\n"
		"Replay corpora deterministically: every file under each DIR (recursively) is run\n"
		"from a freshly reset VM and judged. Binary files are fuzzer inputs (any bytes\n"
		"decode); *.hcf files are programs in the text format.\n"
		"\n"
		"  --spec FILE        the ABI the corpora belong to (required)\n"
		"  --out DIR          write junit.xml, results.jsonl, summary.md and the spec\n"
		"                     coverage matrix (coverage.json, .md, .html) there\n"
		"  --save-baseline FILE  save every input's full result (docs/baselines.md)\n"
		"  --baseline FILE    compare every result with a baseline saved from the same\n"
		"                     corpora and spec: differences are listed first and written\n"
		"                     to differences.jsonl and differences.xml (with --out)\n"
		"%s"
		"  -q, --quiet        only the summary line\n"
		"  -h, --help         this text\n"
		"\n"
		"On --target model the reference model answers: a self-check of the spec, the\n"
		"decoder and the oracles, never a conformance result.\n"
		"\n"
		"exit codes: 0 every input PASS, LOST or XFAIL, 2 usage or a malformed spec or\n"
		"            .hcf file (and otherwise 0), 3 SKIP, 4 ERROR, 5 FAIL, 6 HANG, 7 CRASH,\n"
		"            8 XPASS, 9 DIFF (results differ from the baseline, no verdict worse\n"
		"            than XPASS)\n",
		hcf_cli_target_usage());
}

struct replay_ctx {
	struct hcf_report_dir *rd;
	bool quiet;
	size_t done, total;
	struct hcf_tally tally;
	struct hcf_anomaly_counts anomalies;
	const struct hcf_abi *abi;
	struct hcf_cli_baseline *cb;
};

static void on_test(void *vctx, size_t i, const struct hcf_test *t, const struct hcf_test_outcome *o)
{
	struct replay_ctx *c = vctx;
	c->done++;
	hcf_tally_add(&c->tally, o->v);
	if (o->cvs)
		hcf_anomaly_counts_add(&c->anomalies, o->cvs, t->prog.ncalls);
	if (c->rd)
		hcf_report_dir_test(c->rd, t, o);
	hcf_cli_baseline_test(c->cb, i, t, o);
	/* every result but a plain PASS is shown, expected losses and known
	 * anomalies too; only the failing ones go to stderr in quiet mode */
	if (o->v != HCF_V_PASS && (!c->quiet || hcf_verdict_fails(o->v))) {
		char why[512];
		const char *reason = hcf_report_test_reason(t, o, why, sizeof(why));
		if (c->quiet) {
			fprintf(stderr, "%s  %s: %s\n", hcf_verdict_name(o->v), t->id,
				reason ? reason : "");
		} else {
			hcf_status_clear();
			printf("%-5s %s: %s\n", hcf_verdict_name(o->v), t->id, reason ? reason : "");
			fflush(stdout);
		}
	}
	if (!c->quiet) {
		char tally[160];
		hcf_status("replay %s: %zu/%zu  %s", c->abi->name, c->done, c->total,
			   hcf_tally_format(&c->tally, tally, sizeof(tally)));
	}
}

int hcf_cmd_replay(int argc, char **argv)
{
	const char *spec = NULL, *out = NULL, *baseline = NULL, *save_baseline = NULL;
	bool quiet = false;
	struct hcf_cli_target tgt;
	hcf_cli_target_defaults(&tgt);
	enum { O_SPEC = 256, O_OUT, O_BASELINE, O_SAVE_BASELINE };
	struct option lopts[32] = {
		{ "spec", required_argument, NULL, O_SPEC },
		{ "out", required_argument, NULL, O_OUT },
		{ "baseline", required_argument, NULL, O_BASELINE },
		{ "save-baseline", required_argument, NULL, O_SAVE_BASELINE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
	};
	hcf_cli_target_options(lopts, 6);
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
		switch (ch) {
		case O_SPEC: spec = optarg; break;
		case O_OUT: out = optarg; break;
		case O_BASELINE: baseline = optarg; break;
		case O_SAVE_BASELINE: save_baseline = optarg; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return HCF_EXIT_PASS;
		default:
			if (hcf_cli_target_option(&tgt, ch, optarg, "replay") == 0)
				break;
			usage(stderr);
			return HCF_EXIT_USAGE;
		}
	}
	if (!spec || optind >= argc) {
		hcf_cli_error("replay", !spec ? "--spec is required" : "expected one or more DIR");
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	struct hcf_abi *abi = NULL;
	int rc = hcf_cli_load_spec_for(&tgt, spec, "replay", &abi);
	if (rc != HCF_EXIT_PASS)
		return rc;
	struct hcf_cli_inputs in = { 0 };
	for (int i = optind; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
			hcf_cli_error("replay", "%s: not a directory", argv[i]);
			in.malformed++;
			continue;
		}
		hcf_cli_inputs_add(&in, abi, argv[i], "replay");
	}
	hcf_interrupt_install();
	struct hcf_target *t = NULL;
	char err[512];
	if (hcf_target_open(tgt.name, &t, abi, &tgt.opts, err, sizeof(err)) != 0) {
		hcf_cli_error("replay", "target %s: %s", tgt.name, err);
		hcf_tests_free(in.tests, in.n);
		hcf_spec_free(abi);
		return HCF_EXIT_ERROR;
	}
	const struct hcf_target_info *ti = t->ops->info(t);
	struct hcf_cli_baseline cb;
	rc = hcf_cli_baseline_open(&cb, "replay", baseline, save_baseline, abi, in.tests, in.n, 0, ti,
				   quiet);
	if (rc != HCF_EXIT_PASS) {
		hcf_target_close(t);
		hcf_tests_free(in.tests, in.n);
		hcf_spec_free(abi);
		return rc;
	}
	struct hcf_report_dir *rd = NULL;
	struct hcf_cov *cov = NULL;
	if (out) {
		cov = hcf_cov_new(abi, abi->path);
		struct hcf_run_info ri = { .command = "replay", .spec_path = abi->path, .abi = abi,
					   .tinfo = ti, .started = time(NULL),
					   .differences = cb.report, .cov = cov };
		const struct hcf_report_ops *writers[] = { &hcf_report_junit, &hcf_report_jsonl,
							   &hcf_report_markdown,
							   HCF_REPORT_COVERAGE_WRITERS };
		rd = hcf_report_dir_open(out, writers, sizeof(writers) / sizeof(writers[0]), &ri,
					 err, sizeof(err));
		if (!rd) {
			hcf_cov_free(cov);
			hcf_cli_error("replay", "%s", err);
			hcf_cli_baseline_finish(&cb, false, NULL, 0, true);
			hcf_target_close(t);
			hcf_tests_free(in.tests, in.n);
			hcf_spec_free(abi);
			return HCF_EXIT_ERROR;
		}
	}
	struct hcf_model model;
	bool have_model = hcf_model_open(&model, abi, ti) == 0;
	bool self_check = !strcmp(ti->target, "model");
	if (self_check)
		printf("replay %s: target model: a self-check of the spec, the decoder and the "
		       "oracles against the reference model, not a conformance result\n", abi->name);
	struct replay_ctx c = { .rd = rd, .quiet = quiet, .total = in.n, .abi = abi, .cb = &cb };
	hcf_anomaly_counts_init(&c.anomalies, abi);
	struct hcf_exec_opts eo = { .reset_each = true };
	struct hcf_exec_stats stats;
	int erc = hcf_exec_tests(t, abi, have_model ? &model : NULL, in.tests, in.n, &eo, on_test, &c,
				 &stats);
	if (!quiet)
		hcf_status_done();
	hcf_cli_baseline_print(&cb, quiet);
	if (rd && hcf_report_dir_commit(rd, &stats, err, sizeof(err)) != 0)
		hcf_cli_error("replay", "writing reports: %s", err);
	else if (rd)
		hcf_cli_save_console(t, out, "replay", true);
	char tally[200], ids[300], matrix[32] = "";
	hcf_tally_format(&stats.tally, tally, sizeof(tally));
	hcf_anomaly_counts_format(&c.anomalies, ids, sizeof(ids));
	if (cov)
		snprintf(matrix, sizeof(matrix), " (matrix %d%%)", hcf_cov_percent(cov));
	printf("replay %s on %s%s: %zu inputs (%zu malformed, skipped): %s%s%s%s%s%s\n", abi->name,
	       ti->hypervisor, self_check ? " (self-check)" : "", stats.tests, in.malformed, tally,
	       ids[0] ? "; known anomalies: " : "", ids, out ? "; reports in " : "",
	       out ? out : "", matrix);
	hcf_cov_free(cov);
	hcf_anomaly_counts_free(&c.anomalies);
	int code = hcf_verdict_exit_code(stats.tally.worst);
	if (erc != 0 && code < HCF_EXIT_ERROR)
		code = HCF_EXIT_ERROR;
	if (code == HCF_EXIT_PASS && in.malformed)
		code = HCF_EXIT_USAGE;
	code = hcf_cli_baseline_finish(&cb, !hcf_interrupted(), out, code, quiet);
	if (have_model)
		hcf_model_close(&model);
	hcf_target_close(t);
	hcf_tests_free(in.tests, in.n);
	hcf_spec_free(abi);
	return code;
}
