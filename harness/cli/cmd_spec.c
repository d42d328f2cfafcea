/*
 * cmd_spec.c: "hcfuzz spec check FILE|DIR...": validate spec files.
 *
 * Each argument is loaded exactly as a campaign would load it (a directory
 * is a set of Xen FastABI operation files merged into one ABI). A valid spec
 * gets one summary line on stdout; an invalid one gets every diagnostic as
 * file:line:col on stderr and a "FILE: invalid" line on stdout, and checking
 * goes on with the next argument. Exit 0 when all are valid, 2 otherwise.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "oracles/verdict.h"
#include "prog/plan.h"
#include "spec/transport.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: hcfuzz spec check [--list] FILE|DIR...\n\n"
		   "Validate spec files: the native hcfuzz language (hcfuzz_spec: 1) or Xen\n"
		   "FastABI operation files; a directory is read as one ABI made of the FastABI\n"
		   "files (*.yml, *.yaml) in it. Errors are printed as file:line:col: error: msg.\n\n"
		   "options:\n"
		   "  -l, --list   also print every op: number, sub-operation, registers\n"
		   "  -h, --help   this text\n\n"
		   "exit status: 0 every spec is valid, 2 any is invalid or unreadable\n"
		   "docs/spec-format.md describes the language.\n");
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* "rbx,rcx" for a mask, "-" for none. */
static const char *mask_str(hcf_regmask_t m, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (unsigned r = 0; r < HCF_NGPR && off < len; r++)
		if (m & HCF_REGBIT(r)) {
			int w = snprintf(buf + off, len - off, "%s%s", off ? "," : "", hcf_reg_name(r));
			if (w < 0)
				break;
			off += (size_t)w;
		}
	if (!off)
		snprintf(buf, len, "-");
	return buf;
}

static void print_ops(const struct hcf_abi *abi)
{
	for (size_t i = 0; i < abi->nops; i++) {
		const struct hcf_op *op = &abi->ops[i];
		char in[128], out[128], clob[128];
		printf("  %-40s nr %llu", op->name, (unsigned long long)op->nr);
		if (op->has_subop)
			printf(" sub %llu", (unsigned long long)op->subop);
		printf("  in %s  out %s  clobbers %s%s%s\n", mask_str(op->in_mask, in, sizeof(in)),
		       mask_str(op->out_mask, out, sizeof(out)),
		       mask_str(op->clobber_mask, clob, sizeof(clob)),
		       op->destructive ? "  destructive" : "", op->blocks ? "  blocks" : "");
	}
}

/* ", requires XEN_HVM_CPUID_FASTABI": what the hypervisor must offer. */
static void print_requires(const struct hcf_abi *abi)
{
	for (size_t i = 0; i < abi->nrequires; i++)
		printf("%s%s", i ? " and " : ", requires ", abi->requires[i].feature);
}

static void print_summary(const char *path, const struct hcf_abi *abi)
{
	size_t nsub = 0;
	for (size_t i = 0; i < abi->nops; i++)
		nsub += abi->ops[i].has_subop;
	if (abi->dialect == HCF_DIALECT_XEN_FASTABI) {
		printf("%s: ok: abi %s (xen-fastabi), %zu call%s, %zu sub-operation%s", path,
		       abi->name, abi->ncalls, plural(abi->ncalls), nsub, plural(nsub));
		print_requires(abi);
		printf("\n");
		return;
	}
	char xport[32];
	if (abi->transport.kind == HCF_XPORT_INT)
		snprintf(xport, sizeof(xport), "int %#x", abi->transport.vector);
	else
		snprintf(xport, sizeof(xport), "%s", hcf_xport_name(abi->transport.kind));
	printf("%s: ok: abi %s, %zu call%s, %zu sub-operation%s, %zu op%s, transport %s", path,
	       abi->name, abi->ncalls, plural(abi->ncalls), nsub, plural(nsub), abi->nops,
	       plural(abi->nops), xport);
	if (abi->nanomalies)
		printf(", %zu known anomal%s", abi->nanomalies, abi->nanomalies == 1 ? "y" : "ies");
	print_requires(abi);
	printf("\n");
}

static int spec_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool list = false;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "lh", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			list = true;
			break;
		case 'h':
			usage(stdout);
			return HCF_EXIT_PASS;
		default:
			usage(stderr);
			return HCF_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "hcfuzz spec check: no spec file given\n\n");
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	int rc = HCF_EXIT_PASS;
	for (int i = optind; i < argc; i++) {
		struct hcf_diags diags;
		struct hcf_abi *abi;
		hcf_diags_init(&diags);
		if (hcf_spec_load(argv[i], &abi, &diags) != 0) {
			/* Diagnostics before the verdict line, also when both
			 * streams go to one terminal or file. */
			fflush(stdout);
			hcf_diags_print(&diags, stderr);
			fflush(stderr);
			printf("%s: invalid\n", argv[i]);
			rc = HCF_EXIT_USAGE;
			continue;
		}
		/* the known anomalies' programs must parse against the spec
		 * (hcfuzz conform runs them) */
		struct hcf_test *tests = NULL;
		size_t ntests = 0;
		if (hcf_plan_add_anomalies(abi, &tests, &ntests, &diags) != 0) {
			fflush(stdout);
			hcf_diags_print(&diags, stderr);
			fflush(stderr);
			printf("%s: invalid\n", argv[i]);
			rc = HCF_EXIT_USAGE;
		} else {
			print_summary(argv[i], abi);
			if (list)
				print_ops(abi);
		}
		hcf_tests_free(tests, ntests);
		hcf_spec_free(abi);
	}
	fflush(stdout);
	return rc;
}

int hcf_cmd_spec(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return HCF_EXIT_PASS;
	}
	if (!strcmp(argv[1], "check"))
		return spec_check(argc - 1, argv + 1);
	fprintf(stderr, "hcfuzz spec: unknown subcommand '%s'\n\n", argv[1]);
	usage(stderr);
	return HCF_EXIT_USAGE;
}
