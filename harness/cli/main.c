/*
 * main.c: the hcfuzz command-line entry point.
 *
 * "hcfuzz COMMAND [options]" dispatches through the command table below;
 * "hcfuzz --help" lists the commands, "hcfuzz COMMAND --help" shows one.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "oracles/verdict.h"

const char hcf_version[] = "0.1.0";

const struct hcf_command hcf_cmds[] = {
	{ "spec", "validate spec files (spec check FILE...)", hcf_cmd_spec },
	{ "conform", "run the systematic conformance plan of a spec on a target", hcf_cmd_conform },
	{ "run", "run one program in the text format and show what changed", hcf_cmd_run },
	{ "fuzz", "run a coverage-guided campaign (libFuzzer or AFL++), resumable", hcf_cmd_fuzz },
	{ "minimize", "shrink findings to their smallest programs", hcf_cmd_minimize },
	{ "replay", "replay corpora (regression), exit non-zero on any non-PASS", hcf_cmd_replay },
	{ "diff", "run the same programs on two targets and report every difference", hcf_cmd_diff },
	{ "learn", "probe a hypervisor's call numbers and draft a spec of what they do", hcf_cmd_learn },
	{ "repro", "write a finding as a standalone C program (libc and /dev/kvm only)", hcf_cmd_repro },
	{ "report", "write the report (report.html, report.md) of a campaign directory", hcf_cmd_report },
	{ "decode", "print fuzzer inputs as text programs", hcf_cmd_decode },
	{ "encode", "turn a text program into a fuzzer input", hcf_cmd_encode },
	{ "seeds", "write a spec's conformance plan as seed inputs", hcf_cmd_seeds },
	{ "detect", "print the hypervisor behind /dev/kvm and the spec that fits", hcf_cmd_detect },
	{ "targets", "list the targets this host can run, and what the others need", hcf_cmd_targets },
	{ NULL, NULL, NULL }
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hcfuzz COMMAND [options]\n\n"
		   "hcfuzz checks a hypervisor's hypercall interface against a machine-readable\n"
		   "contract (a spec) by running calls in a VM and judging every result.\n\n"
		   "commands:\n");
	for (const struct hcf_command *c = hcf_cmds; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'hcfuzz COMMAND --help' describes a command.\n"
		   "exit codes: 0 PASS, LOST or XFAIL, 2 usage or malformed input, 3 SKIP, 4 ERROR,\n"
		   "            5 FAIL, 6 HANG, 7 CRASH, 8 XPASS (the most severe verdict wins)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		if (argc > 2 && strcmp(name, "help") == 0) {
			for (const struct hcf_command *c = hcf_cmds; c->name; c++)
				if (!strcmp(c->name, argv[2])) {
					char *hargv[] = { argv[2], "--help", NULL };
					return c->run(2, hargv);
				}
		}
		usage(stdout);
		return HCF_EXIT_PASS;
	}
	if (!strcmp(name, "--version")) {
		printf("hcfuzz %s (protocol %u)\n", hcf_version, HCF_PROTO_VERSION);
		return HCF_EXIT_PASS;
	}
	for (const struct hcf_command *c = hcf_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "hcfuzz: unknown command '%s'\n\n", name);
	usage(stderr);
	return HCF_EXIT_USAGE;
}
