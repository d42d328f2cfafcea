/*
 * cmd_fuzz.c: "hcfuzz fuzz", a coverage-guided fuzzing campaign with
 * libFuzzer or AFL++ against the hypervisor behind the target.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_target.h"
#include "exec/targets.h"
#include "fuzz/campaign.h"
#include "oracles/verdict.h"
#include "util/interrupt.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hcfuzz fuzz --spec FILE [--engine libfuzzer|afl] [--jobs N] [--time SECONDS]\n"
		"                   [--out DIR] [options]\n"
		"\n"
		"Run a coverage-guided campaign: the engine mutates inputs, hcfuzz decodes each into a\n"
		"program of the spec, runs it in a VM reset to its boot snapshot, judges it with the\n"
		"oracles and feeds the hypervisor's behaviour back as coverage. Every ERROR, FAIL,\n"
		"HANG or CRASH is a finding (DIR/findings/), deduplicated by signature; a guest lost\n"
		"as the spec declares (LOST) or a known anomaly (XFAIL) is counted, not a finding.\n"
		"At the end each new finding is minimized and gets a standalone C reproducer, and\n"
		"DIR/report.html and DIR/report.md are written. Run it again on the same DIR to resume.\n"
		"The engine's binary (hcfuzz-fuzz-libfuzzer, hcfuzz-fuzz-afl) comes from the build\n"
		"directory hcfuzz runs from, built on first use and kept up to date; HCF_FUZZ_BIN_DIR\n"
		"names a directory whose binaries are used as they are (docs/fuzzing.md).\n"
		"\n"
		"  --spec FILE        the ABI to fuzz (required)\n"
		"  --engine NAME      libfuzzer (default) or afl\n"
		"  --jobs N           parallel instances (libFuzzer -fork=N, AFL++ -M/-S); default 1\n"
		"  --time SECONDS     stop after this long (default: until Ctrl-C)\n"
		"  --out DIR          campaign directory (default out/fuzz-ABI)\n"
		"  --target NAME      kvm (default), qemu, kvm-nested, xen-pv, xen-pvh or model\n"
		"                     (docs/targets.md)\n"
		"  --transport KIND   one of the spec's transports (default: its first)\n"
		"  --target-opt K[=V] a parameter of the target (docs/targets.md), as often as\n"
		"                     needed (xen-pv --target-opt xen=PATH: the Xen build to fuzz)\n"
		"  --diff-target SIDE run every input on this second target too; each difference\n"
		"                     is a finding (oracle diff), deduplicated like the others.\n"
		"                     SIDE: NAME[,transport=X][,KEY[=VALUE]]... (as hcfuzz diff)\n"
		"  --seeds DIR        seed corpus (default corpus/ABI next to the spec's specs/)\n"
		"  --no-minimize      leave findings as found\n"
		"  -q, --quiet        no status line\n"
		"  -h, --help         this text\n"
		"\n"
		"exit codes: 0 no findings, 2 usage or malformed spec, 3 the hypervisor lacks the ABI\n"
		"            (the spec's requires:, nothing ran), 4 the campaign could not run or\n"
		"            stopped on an error (disk full, engines died), otherwise the exit code of\n"
		"            the most severe finding's verdict (5 FAIL, 6 HANG, 7 CRASH)\n");
}

int hcf_cmd_fuzz(int argc, char **argv)
{
	struct hcf_campaign_opts o = { .engine = "libfuzzer", .jobs = 1, .target = "kvm" };
	char outbuf[512];
	enum { O_SPEC = 256, O_ENGINE, O_JOBS, O_TIME, O_OUT, O_TARGET, O_SEEDS, O_NOMIN, O_TRANSPORT,
	       O_TARGET_OPT, O_DIFF };
	static const struct option lopts[] = {
		{ "spec", required_argument, NULL, O_SPEC },
		{ "engine", required_argument, NULL, O_ENGINE },
		{ "jobs", required_argument, NULL, O_JOBS },
		{ "time", required_argument, NULL, O_TIME },
		{ "out", required_argument, NULL, O_OUT },
		{ "target", required_argument, NULL, O_TARGET },
		{ "seeds", required_argument, NULL, O_SEEDS },
		{ "transport", required_argument, NULL, O_TRANSPORT },
		{ "target-opt", required_argument, NULL, O_TARGET_OPT },
		{ "diff-target", required_argument, NULL, O_DIFF },
		{ "no-minimize", no_argument, NULL, O_NOMIN },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
		uint64_t v;
		switch (ch) {
		case O_SPEC: o.spec = optarg; break;
		case O_ENGINE:
			if (strcmp(optarg, "libfuzzer") && strcmp(optarg, "afl")) {
				hcf_cli_error("fuzz", "--engine: libfuzzer or afl, got %s", optarg);
				return HCF_EXIT_USAGE;
			}
			o.engine = optarg;
			break;
		case O_JOBS:
			if (hcf_cli_parse_u64(optarg, &v) != 0 || v == 0 || v > 64) {
				hcf_cli_error("fuzz", "--jobs: 1..64, got %s", optarg);
				return HCF_EXIT_USAGE;
			}
			o.jobs = (unsigned)v;
			break;
		case O_TIME:
			if (hcf_cli_parse_u64(optarg, &v) != 0 || v > 30u * 86400) {
				hcf_cli_error("fuzz", "--time: seconds (0 = until Ctrl-C), got %s", optarg);
				return HCF_EXIT_USAGE;
			}
			o.seconds = (unsigned)v;
			break;
		case O_OUT: o.dir = optarg; break;
		case O_TARGET:
			if (!hcf_target_find(optarg)) {
				hcf_cli_error("fuzz", "--target: `hcfuzz targets` lists them, got %s", optarg);
				return HCF_EXIT_USAGE;
			}
			o.target = optarg;
			break;
		case O_SEEDS: o.seeds = optarg; break;
		case O_TRANSPORT: o.transport = optarg; break;
		case O_TARGET_OPT:
			/* one per line is how the engines get them */
			if (o.ntarget_params >= sizeof(o.target_params) / sizeof(o.target_params[0]) ||
			    strchr(optarg, '\n') || !*optarg) {
				hcf_cli_error("fuzz", "--target-opt: at most %zu, each K or K=V on one line, got '%s'",
					      sizeof(o.target_params) / sizeof(o.target_params[0]), optarg);
				return HCF_EXIT_USAGE;
			}
			o.target_params[o.ntarget_params++] = optarg;
			break;
		case O_DIFF: o.diff_target = optarg; break;
		case O_NOMIN: o.no_minimize = true; break;
		case 'q': o.quiet = true; break;
		case 'h': usage(stdout); return HCF_EXIT_PASS;
		default: usage(stderr); return HCF_EXIT_USAGE;
		}
	}
	if (!o.spec || optind != argc) {
		hcf_cli_error("fuzz", !o.spec ? "--spec is required" : "unexpected argument '%s'",
			      optind < argc ? argv[optind] : "");
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	/* A malformed spec is a usage error with its position, before anything starts. */
	struct hcf_abi *abi = NULL;
	int rc = hcf_cli_load_spec(o.spec, &abi);
	if (rc != HCF_EXIT_PASS)
		return rc;
	char terr[256];
	if (o.transport && hcf_spec_use_transport(abi, o.transport, terr, sizeof(terr)) != 0) {
		hcf_cli_error("fuzz", "--transport: %s", terr);
		hcf_spec_free(abi);
		return HCF_EXIT_USAGE;
	}
	if (!o.dir) {
		snprintf(outbuf, sizeof(outbuf), "out/fuzz-%s", abi->name);
		o.dir = outbuf;
	}
	hcf_spec_free(abi);

	hcf_interrupt_install();
	struct hcf_campaign_result res;
	char err[512];
	if (hcf_campaign_run(&o, &res, err, sizeof(err)) != 0) {
		hcf_cli_error("fuzz", "%s", err);
		return res.not_applicable ? HCF_EXIT_SKIP : HCF_EXIT_ERROR;
	}
	printf("campaign %s: %s after %.0f s: %llu executions, %llu calls; %zu findings (%zu new);\n"
	       "  %llu executions ended the guest as the spec declares (LOST), %llu showed known "
	       "anomalies (XFAIL%s%s%s)\n"
	       "report: %s/report.html %s/report.md\n",
	       o.dir, res.stopped, res.seconds, res.execs, res.calls, res.findings, res.new_findings,
	       res.lost, res.xfail, res.anomalies[0] ? ": " : "", res.anomalies, "", o.dir, o.dir);
	if (res.not_reproduced)
		printf("  %zu finding%s did not show again when minimized (flaky, or the state it "
		       "needs is gone)\n", res.not_reproduced, res.not_reproduced == 1 ? "" : "s");
	if (res.post_failed)
		printf("  minimizing or writing a reproducer failed %zu time%s: %s/logs/post.log "
		       "says why\n", res.post_failed, res.post_failed == 1 ? "" : "s", o.dir);
	if (res.error)
		return HCF_EXIT_ERROR;
	return hcf_verdict_exit_code((enum hcf_verdict)res.worst_verdict);
}
