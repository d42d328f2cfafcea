/*
 * cmd_minimize.c: "hcfuzz minimize FINDING...": shrink findings to the fewest
 * calls and simplest values that still give the same signature, on the real
 * target, and save minimized.hcf / minimized.bin next to them.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_finding.h"
#include "cli/cli_target.h"
#include "exec/targets.h"
#include "fuzz/minimize.h"
#include "oracles/models/model.h"
#include "oracles/verdict.h"
#include "util/interrupt.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hcfuzz minimize [--spec FILE] [options] FINDING...\n"
		"\n"
		"Shrink each finding (a directory under CAMPAIGN/findings/) to the fewest calls and\n"
		"simplest register values that still produce its signature, running every\n"
		"candidate on the target from a freshly reset VM. Writes minimized.hcf and\n"
		"minimized.bin into the finding and marks finding.json minimized.\n"
		"\n"
		"  --spec FILE        the spec (default: the one finding.json names)\n"
		"  --max-runs N       candidate runs per finding (default 2000)\n"
		"  --max-seconds S    time per finding (default 60)\n"
		"  --diff-target SIDE a finding of fuzz --diff-target: every candidate runs on\n"
		"                     that second target too (NAME[,transport=X][,KEY=VALUE])\n"
		"%s"
		"  -h, --help         this text\n"
		"\n"
		"exit codes: 0 all minimized, 2 a finding or spec is unreadable, 3 a finding no longer\n"
		"            reproduces, 4 the harness or target failed\n",
		hcf_cli_target_usage());
}

int hcf_cmd_minimize(int argc, char **argv)
{
	const char *spec = NULL, *diff_side = NULL;
	struct hcf_min_opts mo = { 0 };
	struct hcf_cli_target tgt;
	hcf_cli_target_defaults(&tgt);
	enum { O_SPEC = 256, O_RUNS, O_SECS, O_DIFF };
	struct option lopts[32] = {
		{ "spec", required_argument, NULL, O_SPEC },
		{ "max-runs", required_argument, NULL, O_RUNS },
		{ "max-seconds", required_argument, NULL, O_SECS },
		{ "diff-target", required_argument, NULL, O_DIFF },
		{ "help", no_argument, NULL, 'h' },
	};
	hcf_cli_target_options(lopts, 5);
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		uint64_t v;
		switch (ch) {
		case O_SPEC: spec = optarg; break;
		case O_RUNS:
			if (hcf_cli_parse_u64(optarg, &v) != 0 || v == 0 || v > 1000000) {
				hcf_cli_error("minimize", "--max-runs: 1..1000000, got %s", optarg);
				return HCF_EXIT_USAGE;
			}
			mo.max_runs = (unsigned)v;
			break;
		case O_SECS:
			if (hcf_cli_parse_u64(optarg, &v) != 0 || v == 0 || v > 86400) {
				hcf_cli_error("minimize", "--max-seconds: 1..86400, got %s", optarg);
				return HCF_EXIT_USAGE;
			}
			mo.max_seconds = (double)v;
			break;
		case O_DIFF: diff_side = optarg; break;
		case 'h': usage(stdout); return HCF_EXIT_PASS;
		default:
			if (hcf_cli_target_option(&tgt, ch, optarg, "minimize") == 0)
				break;
			usage(stderr);
			return HCF_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		hcf_cli_error("minimize", "expected one or more FINDING directories");
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	hcf_interrupt_install();
	int worst = HCF_EXIT_PASS;
	for (int i = optind; i < argc && !hcf_interrupted(); i++) {
		struct hcf_abi *abi = NULL;
		struct hcf_finding f;
		int rc = hcf_cli_open_finding("minimize", argv[i], spec, false, &abi, &f);
		char terr[256];
		if (rc == HCF_EXIT_PASS && tgt.transport &&
		    hcf_spec_use_transport(abi, tgt.transport, terr, sizeof(terr)) != 0) {
			hcf_cli_error("minimize", "--transport: %s", terr); /* else the finding's */
			hcf_spec_free(abi);
			rc = HCF_EXIT_USAGE;
		}
		if (rc != HCF_EXIT_PASS) {
			worst = worst > rc ? worst : rc;
			continue;
		}
		struct hcf_target *t = NULL;
		char err[512];
		if (hcf_target_open(tgt.name, &t, abi, &tgt.opts, err, sizeof(err)) != 0) {
			hcf_cli_error("minimize", "target %s: %s", tgt.name, err);
			hcf_finding_free(&f);
			hcf_spec_free(abi);
			return HCF_EXIT_ERROR;
		}
		struct hcf_model model;
		bool have_model = hcf_model_open(&model, abi, t->ops->info(t)) == 0;
		struct hcf_diff_target diff;
		mo.diff = NULL;
		if (diff_side) {
			if (hcf_diff_target_open(&diff, abi->path, diff_side, abi, err, sizeof(err)) != 0) {
				hcf_cli_error("minimize", "--diff-target %s: %s", diff_side, err);
				if (have_model)
					hcf_model_close(&model);
				hcf_target_close(t);
				hcf_finding_free(&f);
				hcf_spec_free(abi);
				return HCF_EXIT_ERROR;
			}
			mo.diff = &diff;
		}
		struct hcf_prog out;
		struct hcf_min_stats st;
		rc = hcf_minimize(t, have_model ? &model : NULL, &f.prog, f.sig.id, &mo, &out, &st, err,
				  sizeof(err));
		if (rc == 0 && hcf_minimize_save(argv[i], &out, err, sizeof(err)) != 0)
			rc = -2;
		if (rc == 0) {
			printf("%s: %s: %zu -> %zu calls, %zu -> %zu set registers (%u runs, %.1f s%s)\n",
			       argv[i], f.sig.text, st.calls_before, st.calls_after, st.sets_before,
			       st.sets_after, st.runs, st.seconds, st.budget_hit ? ", budget reached" : "");
			hcf_prog_print(&out, stdout);
		} else {
			hcf_cli_error("minimize", "%s: %s", argv[i], err);
			int code = rc == -1 ? HCF_EXIT_SKIP : HCF_EXIT_ERROR;
			worst = worst > code ? worst : code;
		}
		hcf_prog_free(&out);
		if (mo.diff)
			hcf_diff_target_close(mo.diff);
		if (have_model)
			hcf_model_close(&model);
		hcf_target_close(t);
		hcf_finding_free(&f);
		hcf_spec_free(abi);
	}
	return worst;
}
