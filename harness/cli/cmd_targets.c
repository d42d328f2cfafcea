/* cmd_targets.c: "hcfuzz targets", which targets this host can run, and why not the others. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "exec/targets.h"
#include "oracles/verdict.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: hcfuzz targets\n\n"
		   "List the targets (--target NAME), whether this host can run each, and what is\n"
		   "missing for those it cannot. Nothing is started.\n\n"
		   "exit codes: 0 listed, 2 usage error\n");
}

int hcf_cmd_targets(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return HCF_EXIT_PASS;
		}
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	if (optind != argc) {
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	struct hcf_target_opts o = { 0 };
	for (const struct hcf_target_ops *const *t = hcf_targets; *t; t++) {
		char why[512] = "";
		bool ok = !(*t)->available || (*t)->available(&o, why, sizeof(why)) == 0;
		printf("%-10s %-4s %s\n", (*t)->name, ok ? "yes" : "no", (*t)->summary);
		if (!ok)
			printf("                %s\n", why);
	}
	return HCF_EXIT_PASS;
}
