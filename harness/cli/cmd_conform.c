/*
 * cmd_conform.c: "hcfuzz conform", the systematic conformance check.
 *
 * Loads a spec (or picks the one matching the hypervisor behind the target),
 * builds the conformance plan, runs it with a live status line, prints the
 * verdict table and writes JUnit XML, JSON Lines and a Markdown summary into
 * the output directory. The exit code is the most severe verdict's.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_baseline.h"
#include "cli/cli_target.h"
#include "exec/exec.h"
#include "oracles/anomaly.h"
#include "oracles/models/model.h"
#include "oracles/verdict.h"
#include "prog/plan.h"
#include "reports/coverage.h"
#include "reports/report.h"
#include "util/clock.h"
#include "util/interrupt.h"
#include "util/xalloc.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hcfuzz conform [--spec FILE] [--target NAME] [--out DIR] [options]\n"
		"\n"
		"Run the systematic conformance plan of a spec: every declared call with\n"
		"boundary, garbage and seeded random inputs, plus undeclared call numbers,\n"
		"and judge every result with the oracles (clobber, exception, return value,\n"
		"memory, model, liveness).\n"
		"\n"
		"  --spec FILE        spec to check against; without it, the spec matching the\n"
		"                     hypervisor the target detects (specs/pvm.yaml, specs/kvm.yaml)\n"
		"  --out DIR          report directory (default: out/conform-ABI):\n"
		"                     junit.xml, results.jsonl, summary.md, and the spec\n"
		"                     coverage matrix: coverage.json, coverage.md, coverage.html\n"
		"  --seed N           seed of the plan's random values (default fixed)\n"
		"  --randoms N        seeded random values per input (default 3)\n"
		"  --no-undeclared    skip undeclared call numbers\n"
		"  --no-destructive   skip calls the spec marks destructive\n"
		"  --skip OP          leave out ops named OP, a name or a shell pattern\n"
		"                     (console_io.write, 'grant_table_op.*'); repeatable\n"
		"  --save-baseline FILE  save every test's full result (JSON Lines,\n"
		"                     docs/baselines.md) to compare later builds with\n"
		"  --baseline FILE    compare every result with a saved baseline of the same\n"
		"                     spec and plan: each difference outside the spec's declared\n"
		"                     nondeterminism is listed first, and written to\n"
		"                     differences.jsonl and differences.xml (JUnit)\n"
		"%s"
		"  -q, --quiet        no status line, no table (reports and exit code only)\n"
		"  -h, --help         this text\n"
		"\n"
		"The spec's known anomalies run too (anomaly/ID): each must still show its\n"
		"deviation (XFAIL), or it is XPASS.\n"
		"\n"
		"exit codes: 0 PASS (also LOST: guests ended as the spec declares, and XFAIL:\n"
		"            known anomalies), 2 usage or malformed spec, 3 SKIP (also: the\n"
		"            hypervisor lacks what the spec requires, no call made), 4 ERROR,\n"
		"            5 FAIL, 6 HANG, 7 CRASH, 8 XPASS: the most severe verdict of the run;\n"
		"            9 DIFF: results differ from the baseline and no verdict is worse\n"
		"            than XPASS\n",
		hcf_cli_target_usage());
}

struct conform_ctx {
	const struct hcf_abi *abi;
	struct hcf_report_dir *rd;
	struct hcf_report_summary *sum;
	struct hcf_cli_baseline *cb;
	struct hcf_anomaly_counts anomalies;
	size_t ntests, done;
	size_t not_run;      /* reported without running: the harness stopped first */
	struct hcf_tally tally;
	double t0;
	bool quiet;
};

static void on_test(void *vctx, size_t i, const struct hcf_test *t, const struct hcf_test_outcome *o)
{
	struct conform_ctx *c = vctx;
	c->done++;
	if (o->res && !o->res->ncalls && o->res->liveness == HCF_LIVE_HARNESS)
		c->not_run++;
	hcf_tally_add(&c->tally, o->v);
	hcf_report_summary_add(c->sum, t, o);
	if (o->cvs)
		hcf_anomaly_counts_add(&c->anomalies, o->cvs, t->prog.ncalls);
	if (c->rd)
		hcf_report_dir_test(c->rd, t, o);
	hcf_cli_baseline_test(c->cb, i, t, o);
	if (!c->quiet) {
		double el = hcf_now_s() - c->t0;
		char tally[160], ids[160];
		hcf_tally_format(&c->tally, tally, sizeof(tally));
		hcf_anomaly_counts_format(&c->anomalies, ids, sizeof(ids));
		hcf_status("conform %s: %zu/%zu tests  %.0f tests/s  %s%s%s%s", c->abi->name, c->done,
			   c->ntests, el > 0 ? (double)c->done / el : 0.0, tally,
			   ids[0] ? "  (known anomalies: " : "", ids, ids[0] ? ")" : "");
	}
}

int hcf_cmd_conform(int argc, char **argv)
{
	const char *spec = NULL, *out = NULL, *baseline = NULL, *save_baseline = NULL;
	struct hcf_cli_target tgt;
	hcf_cli_target_defaults(&tgt);
	struct hcf_plan_opts popts = { 0 };
	bool quiet = false;
	enum {
		O_SPEC = 256, O_OUT, O_SEED, O_RANDOMS, O_NO_UNDECL, O_NO_DESTR, O_SKIP, O_BASELINE,
		O_SAVE_BASELINE,
	};
	const char *skips[32];
	struct option lopts[64] = {
		{ "spec", required_argument, NULL, O_SPEC },
		{ "out", required_argument, NULL, O_OUT },
		{ "seed", required_argument, NULL, O_SEED },
		{ "randoms", required_argument, NULL, O_RANDOMS },
		{ "no-undeclared", no_argument, NULL, O_NO_UNDECL },
		{ "no-destructive", no_argument, NULL, O_NO_DESTR },
		{ "skip", required_argument, NULL, O_SKIP },
		{ "baseline", required_argument, NULL, O_BASELINE },
		{ "save-baseline", required_argument, NULL, O_SAVE_BASELINE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
	};
	hcf_cli_target_options(lopts, 11);
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
		switch (ch) {
		case O_SPEC: spec = optarg; break;
		case O_OUT: out = optarg; break;
		case O_SEED:
			if (hcf_cli_parse_u64(optarg, &popts.seed) != 0) {
				hcf_cli_error("conform", "--seed: not a number: %s", optarg);
				return HCF_EXIT_USAGE;
			}
			break;
		case O_RANDOMS: {
			uint64_t v;
			if (hcf_cli_parse_u64(optarg, &v) != 0 || v > 64) {
				hcf_cli_error("conform", "--randoms: 0..64, got %s", optarg);
				return HCF_EXIT_USAGE;
			}
			popts.randoms = (unsigned)v;
			popts.randoms_given = true;
			break;
		}
		case O_NO_UNDECL: popts.no_undeclared = true; break;
		case O_NO_DESTR: popts.no_destructive = true; break;
		case O_SKIP:
			if (popts.nskip_ops == sizeof(skips) / sizeof(skips[0])) {
				hcf_cli_error("conform", "--skip: at most %zu patterns",
					      sizeof(skips) / sizeof(skips[0]));
				return HCF_EXIT_USAGE;
			}
			skips[popts.nskip_ops++] = optarg;
			popts.skip_ops = skips;
			break;
		case O_BASELINE: baseline = optarg; break;
		case O_SAVE_BASELINE: save_baseline = optarg; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return HCF_EXIT_PASS;
		default:
			if (hcf_cli_target_option(&tgt, ch, optarg, "conform") == 0)
				break;
			usage(stderr);
			return HCF_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		hcf_cli_error("conform", "unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return HCF_EXIT_USAGE;
	}

	hcf_interrupt_install();
	struct hcf_abi *abi = NULL;
	struct hcf_target *t = NULL;
	int rc = hcf_cli_open_target(&tgt, spec, "conform", &abi, &t, quiet);
	if (rc != HCF_EXIT_PASS)
		return rc;
	const struct hcf_target_info *ti = t->ops->info(t);

	struct hcf_test *tests = NULL;
	size_t ntests = 0;
	if (hcf_plan_build(abi, &popts, &tests, &ntests) != 0) {
		hcf_cli_error("conform", "cannot build the plan for %s", abi->name);
		hcf_target_close(t);
		hcf_spec_free(abi);
		return HCF_EXIT_ERROR;
	}
	struct hcf_diags diags;
	hcf_diags_init(&diags);
	if (hcf_plan_add_anomalies(abi, &tests, &ntests, &diags) != 0) {
		hcf_diags_print(&diags, stderr);
		hcf_tests_free(tests, ntests);
		hcf_target_close(t);
		hcf_spec_free(abi);
		return HCF_EXIT_USAGE;
	}

	uint64_t seed = popts.seed ? popts.seed : HCF_PLAN_DEFAULT_SEED;
	struct hcf_cli_baseline cb;
	rc = hcf_cli_baseline_open(&cb, "conform", baseline, save_baseline, abi, tests, ntests, seed,
				   ti, quiet);
	if (rc != HCF_EXIT_PASS) {
		hcf_tests_free(tests, ntests);
		hcf_target_close(t);
		hcf_spec_free(abi);
		return rc;
	}

	char outbuf[512];
	if (!out) {
		snprintf(outbuf, sizeof(outbuf), "out/conform-%s", abi->name);
		out = outbuf;
	}
	struct hcf_cov *cov = hcf_cov_new(abi, abi->path);
	struct hcf_run_info ri = {
		.command = "conform", .spec_path = abi->path, .abi = abi, .tinfo = ti,
		.started = time(NULL), .seed = seed, .differences = cb.report, .cov = cov,
	};
	const struct hcf_report_ops *writers[] = { &hcf_report_junit, &hcf_report_jsonl,
						   &hcf_report_markdown, HCF_REPORT_COVERAGE_WRITERS };
	char err[512];
	struct hcf_report_dir *rd = hcf_report_dir_open(out, writers, sizeof(writers) / sizeof(writers[0]),
							&ri, err, sizeof(err));
	if (!rd) {
		hcf_cov_free(cov);
		hcf_cli_error("conform", "%s", err);
		hcf_cli_baseline_finish(&cb, false, NULL, 0, true);
		hcf_tests_free(tests, ntests);
		hcf_target_close(t);
		hcf_spec_free(abi);
		return HCF_EXIT_ERROR;
	}

	struct hcf_model model;
	bool have_model = hcf_model_open(&model, abi, ti) == 0;
	if (!quiet)
		fprintf(stderr, "hcfuzz conform: %s (%s), %zu tests on target %s\n  %s\n", abi->name,
			abi->path, ntests, ti->target, ti->notes);

	struct conform_ctx c = { .abi = abi, .rd = rd, .ntests = ntests, .quiet = quiet,
				 .t0 = hcf_now_s(), .sum = hcf_report_summary_new(abi), .cb = &cb };
	hcf_anomaly_counts_init(&c.anomalies, abi);
	struct hcf_exec_opts eopts = { .batch_max = tgt.batch };
	struct hcf_exec_stats stats;
	int erc = hcf_exec_tests(t, abi, have_model ? &model : NULL, tests, ntests, &eopts, on_test,
				 &c, &stats);
	if (!quiet)
		hcf_status_done();

	int exit_code;
	if (hcf_interrupted()) {
		/* What ran is kept: the report of the tests that ran, the rest
		 * ERROR "interrupted" (exec.c), so a long run stopped by hand
		 * loses nothing it had learned. A baseline of part of a plan
		 * would not be one: none is saved. */
		hcf_cli_error("conform", "interrupted after %zu of %zu tests; the other %zu are ERROR "
			      "(interrupted)", c.done - c.not_run, ntests, ntests - (c.done - c.not_run));
		if (hcf_report_dir_commit(rd, &stats, err, sizeof(err)) != 0)
			hcf_cli_error("conform", "writing reports: %s", err);
		else if (!quiet)
			printf("partial reports: %s/junit.xml %s/results.jsonl %s/summary.md\n", out, out,
			       out);
		exit_code = HCF_EXIT_ERROR;
		hcf_cli_baseline_finish(&cb, false, NULL, exit_code, quiet);
	} else {
		hcf_cli_baseline_print(&cb, quiet);
		if (!quiet) {
			hcf_report_summary_print(c.sum, stdout, &stats);
			char ids[512];
			hcf_anomaly_counts_format(&c.anomalies, ids, sizeof(ids));
			if (ids[0])
				printf("known anomalies seen (tests): %s\n", ids);
			fflush(stdout);
		}
		if (hcf_report_dir_commit(rd, &stats, err, sizeof(err)) != 0) {
			hcf_cli_error("conform", "writing reports: %s", err);
			exit_code = HCF_EXIT_ERROR;
		} else {
			exit_code = hcf_verdict_exit_code(stats.tally.worst);
			if (erc != 0 && exit_code < HCF_EXIT_ERROR)
				exit_code = HCF_EXIT_ERROR;
			if (!quiet)
				printf("\n%zu tests, %zu calls in %.2f s (%zu batches, %zu vCPU restores, "
				       "%zu VM rebuilds); worst verdict %s\nreports: %s/junit.xml "
				       "%s/results.jsonl %s/summary.md\n",
				       stats.tests, stats.calls, stats.seconds, stats.batches, stats.restores,
				       stats.rebuilds,
				       hcf_verdict_name(stats.tally.worst), out, out, out);
			char reach[160];
			if (!quiet)
				printf("spec coverage: %s: %s/coverage.html\n",
				       hcf_cov_format_reach(cov, reach, sizeof(reach)), out);
			hcf_cli_save_console(t, out, "conform", quiet);
		}
		exit_code = hcf_cli_baseline_finish(&cb, true, out, exit_code, quiet);
	}
	if (have_model)
		hcf_model_close(&model);
	hcf_cov_free(cov);
	hcf_report_summary_free(c.sum);
	hcf_anomaly_counts_free(&c.anomalies);
	hcf_tests_free(tests, ntests);
	hcf_target_close(t);
	hcf_spec_free(abi);
	return exit_code;
}
