/*
 * cmd_report.c: "hcfuzz report DIR": write the campaign report of a campaign directory.
 *
 * The same report a campaign writes when it ends (reports/campaign_report.h), on
 * demand: for a campaign that was killed, one still running, or after
 * findings were minimized or got reproducers. Problems with the input are
 * warnings on stderr and notes in the report; only a directory that is not
 * a campaign (exit 2) or cannot be written (exit 4) fails.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "oracles/verdict.h"
#include "reports/campaign_report.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: hcfuzz report [options] DIR\n\n"
		   "Write the report of the fuzzing campaign in DIR into DIR:\n"
		   "  report.html   one self-contained page: facts, runs, plots, findings\n"
		   "  report.md     the same for Markdown viewers, with the plots as\n"
		   "  plot-execs.svg plot-features.svg plot-calls.svg plot-findings.svg\n"
		   "from DIR/campaign.json, DIR/stats.csv and DIR/findings/. Whatever cannot be\n"
		   "read (a campaign killed mid-write, a full disk) is skipped and named on\n"
		   "stderr and in the report's Notes.\n\n"
		   "options:\n"
		   "  -q, --quiet   do not print the problems found in the input\n"
		   "  -h, --help    this text\n\n"
		   "exit status: 0 written, 2 bad usage or DIR is not a campaign directory,\n"
		   "             4 the report could not be written\n"
		   "docs/campaign-report.md describes the files and the report.\n");
}

int hcf_cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool quiet = false;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return HCF_EXIT_PASS;
		default:
			usage(stderr);
			return HCF_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		hcf_cli_error("report", "%s", optind >= argc ? "no campaign directory given"
							      : "one campaign directory at a time");
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	const char *dir = argv[optind];
	char err[512];
	if (hcf_campaign_dir_check(dir, err, sizeof(err)) != 0) {
		hcf_cli_error("report", "%s", err);
		return HCF_EXIT_USAGE;
	}
	struct hcf_campaign_report_stats st;
	struct hcf_campaign_report_opts ro = { .quiet = quiet, .stats = &st };
	if (hcf_campaign_report(dir, &ro, err, sizeof(err)) != 0) {
		hcf_cli_error("report", "%s", err);
		return HCF_EXIT_ERROR;
	}
	size_t n = strlen(dir);
	const char *sep = n && dir[n - 1] == '/' ? "" : "/";
	printf("wrote %s%s%s and %s%s%s: %zu finding%s (%zu unreadable), %zu stats row%s, "
	       "%zu input problem%s\n",
	       dir, sep, HCF_CAMPAIGN_REPORT_HTML, dir, sep, HCF_CAMPAIGN_REPORT_MD, st.findings,
	       st.findings == 1 ? "" : "s", st.unreadable, st.stats_rows,
	       st.stats_rows == 1 ? "" : "s", st.problems, st.problems == 1 ? "" : "s");
	return HCF_EXIT_PASS;
}
