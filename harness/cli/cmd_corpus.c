/*
 * cmd_corpus.c: "hcfuzz decode", "encode" and "seeds": fuzzer inputs for
 * people and people's programs for fuzzers.
 *
 *   decode --spec FILE INPUT...          print each input as a text program
 *   encode --spec FILE PROGRAM -o OUT    a text program as a fuzzer input
 *   seeds  --spec FILE DIR               the conformance plan as seed inputs
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exec/exec.h"
#include "oracles/verdict.h"
#include "prog/codec.h"
#include "prog/plan.h"
#include "util/fileio.h"
#include "util/xalloc.h"

#define INPUT_MAX (1u << 20)

/* --spec FILE plus positional arguments; -o for encode. */
static int parse(const char *cmd, const char *usage_text, int argc, char **argv,
		 const char **spec, const char **out, int min_pos)
{
	static const struct option lopts[] = {
		{ "spec", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:h", lopts, NULL)) != -1) {
		switch (ch) {
		case 's': *spec = optarg; break;
		case 'o':
			if (!out) {
				hcf_cli_error(cmd, "-o is not an option of %s", cmd);
				return HCF_EXIT_USAGE;
			}
			*out = optarg;
			break;
		case 'h': fputs(usage_text, stdout); return -1;
		default: fputs(usage_text, stderr); return HCF_EXIT_USAGE;
		}
	}
	if (!*spec || argc - optind < min_pos || (out && !*out)) {
		hcf_cli_error(cmd, !*spec ? "--spec is required" : "missing arguments");
		fputs(usage_text, stderr);
		return HCF_EXIT_USAGE;
	}
	return HCF_EXIT_PASS;
}

int hcf_cmd_decode(int argc, char **argv)
{
	static const char text[] =
		"usage: hcfuzz decode --spec FILE INPUT...\n\n"
		"Print fuzzer inputs (corpus entries, findings' input.bin) as programs in the text\n"
		"format. Every byte string decodes; edit the text and \"hcfuzz encode\" it back.\n";
	const char *spec = NULL;
	int rc = parse("decode", text, argc, argv, &spec, NULL, 1);
	if (rc != HCF_EXIT_PASS)
		return rc < 0 ? HCF_EXIT_PASS : rc;
	struct hcf_abi *abi;
	if ((rc = hcf_cli_load_spec(spec, &abi)) != HCF_EXIT_PASS)
		return rc;
	int worst = HCF_EXIT_PASS;
	for (int i = optind; i < argc; i++) {
		size_t len;
		char *data = hcf_read_file(argv[i], INPUT_MAX, &len);
		if (!data) {
			hcf_cli_error("decode", "%s: unreadable or larger than %u bytes", argv[i], INPUT_MAX);
			worst = HCF_EXIT_USAGE;
			continue;
		}
		struct hcf_prog p;
		hcf_prog_init(&p, abi);
		hcf_prog_decode(&p, abi, (const uint8_t *)data, len);
		if (argc - optind > 1)
			printf("# %s (%zu bytes)\n", argv[i], len);
		hcf_prog_print(&p, stdout);
		hcf_prog_free(&p);
		free(data);
	}
	hcf_spec_free(abi);
	return worst;
}

int hcf_cmd_encode(int argc, char **argv)
{
	static const char text[] =
		"usage: hcfuzz encode --spec FILE PROGRAM -o OUT\n\n"
		"Write a program in the text format as a fuzzer input (a corpus entry) that decodes\n"
		"back to the same program.\n";
	const char *spec = NULL, *out = NULL;
	int rc = parse("encode", text, argc, argv, &spec, &out, 1);
	if (rc != HCF_EXIT_PASS)
		return rc < 0 ? HCF_EXIT_PASS : rc;
	struct hcf_abi *abi;
	if ((rc = hcf_cli_load_spec(spec, &abi)) != HCF_EXIT_PASS)
		return rc;
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_prog_parse_file(&p, abi, argv[optind], &d) != 0) {
		hcf_diags_print(&d, stderr);
		hcf_spec_free(abi);
		return HCF_EXIT_USAGE;
	}
	uint8_t *bytes = NULL;
	size_t len = 0;
	char err[256];
	rc = HCF_EXIT_PASS;
	if (hcf_prog_encode(&p, &bytes, &len, err, sizeof(err)) != 0) {
		hcf_cli_error("encode", "%s: %s", argv[optind], err);
		rc = HCF_EXIT_USAGE;
	} else if (hcf_write_file_atomic(out, bytes, len) != 0) {
		hcf_cli_error("encode", "writing %s failed", out);
		rc = HCF_EXIT_ERROR;
	}
	free(bytes);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
	return rc;
}

int hcf_cmd_seeds(int argc, char **argv)
{
	static const char text[] =
		"usage: hcfuzz seeds --spec FILE DIR\n\n"
		"Write every test of the spec's conformance plan into DIR as a fuzzer input\n"
		"(file name: plan-HASH), a seed corpus that exercises every declared call.\n";
	const char *spec = NULL;
	int rc = parse("seeds", text, argc, argv, &spec, NULL, 1);
	if (rc != HCF_EXIT_PASS)
		return rc < 0 ? HCF_EXIT_PASS : rc;
	struct hcf_abi *abi;
	if ((rc = hcf_cli_load_spec(spec, &abi)) != HCF_EXIT_PASS)
		return rc;
	const char *dir = argv[optind];
	if (hcf_mkdir_p(dir, 0755) != 0) {
		hcf_cli_error("seeds", "cannot create %s", dir);
		hcf_spec_free(abi);
		return HCF_EXIT_ERROR;
	}
	struct hcf_test *tests = NULL;
	size_t n = 0, written = 0;
	struct hcf_plan_opts po = { 0 };
	if (hcf_plan_build(abi, &po, &tests, &n) != 0) {
		hcf_spec_free(abi);
		return HCF_EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *bytes = NULL;
		size_t len = 0;
		char err[128];
		if (hcf_prog_encode(&tests[i].prog, &bytes, &len, err, sizeof(err)) != 0)
			continue;
		uint64_t h = 0xcbf29ce484222325ull;
		for (size_t k = 0; k < len; k++)
			h = (h ^ bytes[k]) * 0x100000001b3ull;
		char *p = hcf_xasprintf("%s/plan-%016" PRIx64, dir, h);
		if (hcf_write_file_atomic(p, bytes, len) == 0)
			written++;
		free(p);
		free(bytes);
	}
	printf("%zu seed inputs from %zu plan tests written to %s\n", written, n, dir);
	hcf_tests_free(tests, n);
	hcf_spec_free(abi);
	return written ? HCF_EXIT_PASS : HCF_EXIT_ERROR;
}
