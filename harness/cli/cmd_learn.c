/*
 * cmd_learn.c: "hcfuzz learn", a draft spec from what a hypervisor does.
 *
 * Opens the target for a probing ABI (a transport and a number register, or
 * a spec the user names, every number of it treated as unknown and
 * destructive), runs learn's probes (learn/learn.h) within a budget, writes
 * the draft atomically after loading it back with the spec loader, and with
 * --base lists how the observations differ from an existing spec.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_target.h"
#include "exec/targets.h"
#include "learn/learn.h"
#include "oracles/verdict.h"
#include "util/diag.h"
#include "util/fileio.h"
#include "util/interrupt.h"
#include "util/xalloc.h"

/* A probe that does not come back costs the watchdog: learning runs many,
 * and a guest handed over to code of its own never comes back. */
#define LEARN_WATCHDOG_MS 500u

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hcfuzz learn --transport T [options]\n"
		"       hcfuzz learn --spec FILE [options]\n"
		"\n"
		"Probe a hypervisor's call numbers and write a draft spec of what they do: the\n"
		"default answer of unknown numbers, the result register, and per number that\n"
		"answers otherwise its inputs (and whether only their low 32 bits matter),\n"
		"outputs, registers changed to garbage, values returned, exceptions, lost\n"
		"guests, memory written or read through a pointer, each with its evidence.\n"
		"The draft is what the hypervisor did, not what it should do: edit it into a\n"
		"contract (docs/learn.md).\n"
		"\n"
		"  --transport T      how calls are made, as a spec writes it (\"int 0x1b\",\n"
		"                     native, vmcall, syscall, \"{kind: pio, port: 0x500,\n"
		"                     width: 4}\"); with --spec, one of that spec's transports\n"
		"  --nr-reg REG       the call number register (default rax; none for pio and\n"
		"                     mmio, whose number is in the port or address)\n"
		"  --spec FILE        open the target for this spec instead (the model target\n"
		"                     answers from it); its numbers are probed as unknown\n"
		"  --numbers RANGES   numbers to probe, comma-separated numbers and LO-HI ranges\n"
		"                     (default 0x0-0xffff)\n"
		"  --around N         also probe N numbers on each side of every number that\n"
		"                     answers otherwise, and around those found so: sparse\n"
		"                     --numbers (0x0,0x1000,0x40000000) find whole families\n"
		"  --base SPEC        compare what was observed with SPEC and list the\n"
		"                     differences (new numbers, registers it misses, values it\n"
		"                     does not allow); SPEC itself is not changed\n"
		"  -o, --out FILE     the draft (default learned.yaml), written whole or not at all\n"
		"  --max-calls N      stop probing after N calls (default 300000)\n"
		"  --max-seconds S    stop probing after S seconds (default 900)\n"
		"  -q, --quiet        no status line\n"
		"%s"
		"  -h, --help         this text\n"
		"\n"
		"The watchdog defaults to %u ms here (--watchdog changes it).\n"
		"\n"
		"exit codes: 0 the draft was written (also when the budget cut probing short:\n"
		"            it says so), 2 usage or a spec that does not load, 4 the target\n"
		"            or the harness failed, or the draft did not load back\n",
		hcf_cli_target_usage(), LEARN_WATCHDOG_MS);
}

/* The ABI to probe with, and how the draft names its transport (NULL: as
 * the ABI has it). */
static int probing_abi(struct hcf_cli_target *tgt, const char *spec, const char *transport,
		       const char *nr_reg, struct hcf_abi **abi, const char **tx_text)
{
	*tx_text = NULL;
	if (spec) {
		int rc = hcf_cli_load_spec_for(tgt, spec, "learn", abi);
		if (rc != HCF_EXIT_PASS)
			return rc;
		/* every number is unknown to learning, and may reconfigure */
		(*abi)->undeclared_destructive = true;
		for (size_t i = 0; i < (*abi)->nops; i++)
			(*abi)->ops[i].destructive = true;
		return HCF_EXIT_PASS;
	}
	char *text = hcf_learn_seed_spec(transport, nr_reg);
	struct hcf_diags d;
	hcf_diags_init(&d);
	int rc = hcf_spec_load_buffer("learn's probing ABI (--transport, --nr-reg)", text, strlen(text),
				      abi, &d);
	free(text);
	if (rc != 0) {
		hcf_diags_print(&d, stderr);
		return HCF_EXIT_USAGE;
	}
	*tx_text = transport;
	return HCF_EXIT_PASS;
}

/* The draft in memory, loaded back (an hcfuzz bug if it does not load),
 * then written whole. */
static int write_draft(const char *out, const struct hcf_learned *L, const struct hcf_abi *abi,
		       const char *tx_text, const struct hcf_abi *base)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m || hcf_learn_write_draft(m, L, abi, tx_text, base) != 0 || fclose(m) != 0) {
		hcf_cli_error("learn", "cannot format the draft");
		free(text);
		return HCF_EXIT_ERROR;
	}
	struct hcf_abi *back = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	int loads = hcf_spec_load_buffer(out, text, len, &back, &d);
	hcf_spec_free(back);
	int rc = HCF_EXIT_PASS;
	if (hcf_write_file_atomic(out, text, len) != 0) {
		hcf_cli_error("learn", "cannot write %s", out);
		rc = HCF_EXIT_ERROR;
	} else if (loads != 0) {
		hcf_diags_print(&d, stderr);
		hcf_cli_error("learn", "%s was written but does not load as a spec (a bug of learn)", out);
		rc = HCF_EXIT_ERROR;
	}
	free(text);
	return rc;
}

int hcf_cmd_learn(int argc, char **argv)
{
	const char *spec = NULL, *base_path = NULL, *out = "learned.yaml", *numbers = "0x0-0xffff";
	const char *nr_reg = "rax";
	bool nr_reg_given = false;
	struct hcf_learn_opts lo = { .max_calls = 300000, .max_seconds = 900 };
	struct hcf_cli_target tgt;
	hcf_cli_target_defaults(&tgt);
	tgt.opts.watchdog_ms = LEARN_WATCHDOG_MS;
	enum { O_SPEC = 256, O_BASE, O_NUMBERS, O_NRREG, O_MAXC, O_MAXS, O_AROUND };
	struct option lopts[40] = {
		{ "spec", required_argument, NULL, O_SPEC },
		{ "base", required_argument, NULL, O_BASE },
		{ "numbers", required_argument, NULL, O_NUMBERS },
		{ "nr-reg", required_argument, NULL, O_NRREG },
		{ "max-calls", required_argument, NULL, O_MAXC },
		{ "max-seconds", required_argument, NULL, O_MAXS },
		{ "around", required_argument, NULL, O_AROUND },
		{ "out", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
	};
	hcf_cli_target_options(lopts, 10);
	int ch;
	uint64_t u;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "ho:q", lopts, NULL)) != -1) {
		switch (ch) {
		case O_SPEC: spec = optarg; break;
		case O_BASE: base_path = optarg; break;
		case O_NUMBERS: numbers = optarg; break;
		case O_NRREG: nr_reg = optarg; nr_reg_given = true; break;
		case O_MAXC:
		case O_MAXS:
		case O_AROUND:
			if (hcf_cli_parse_u64(optarg, &u) != 0) {
				hcf_cli_error("learn", "--%s needs a number, got '%s'",
					      ch == O_MAXC ? "max-calls" : ch == O_MAXS ? "max-seconds" :
					      "around", optarg);
				return HCF_EXIT_USAGE;
			}
			if (ch == O_MAXC)
				lo.max_calls = u;
			else if (ch == O_MAXS)
				lo.max_seconds = (double)u;
			else
				lo.around = u;
			break;
		case 'o': out = optarg; break;
		case 'q': lo.quiet = true; break;
		case 'h': usage(stdout); return HCF_EXIT_PASS;
		default:
			if (hcf_cli_target_option(&tgt, ch, optarg, "learn") == 0)
				break;
			usage(stderr);
			return HCF_EXIT_USAGE;
		}
	}
	if (optind != argc || (!spec && !tgt.transport)) {
		hcf_cli_error("learn", optind != argc ? "unexpected argument '%s'" :
			      "--transport or --spec is required", optind != argc ? argv[optind] : "");
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	char err[512];
	if (hcf_learn_parse_ranges(numbers, &lo, err, sizeof(err)) != 0) {
		hcf_cli_error("learn", "--numbers: %s", err);
		return HCF_EXIT_USAGE;
	}
	/* without a spec, --transport is the transport itself, not a choice
	 * among a spec's */
	const char *transport = NULL;
	if (!spec) {
		transport = tgt.transport;
		tgt.transport = NULL;
		if (!strcmp(nr_reg, "none"))
			nr_reg = NULL;
	} else if (nr_reg_given) {
		hcf_cli_error("learn", "--nr-reg goes with --transport; a spec names its own");
		return HCF_EXIT_USAGE;
	}
	struct hcf_abi *base = NULL, *abi = NULL;
	if (base_path && hcf_cli_load_spec(base_path, &base) != 0)
		return HCF_EXIT_USAGE;
	const char *tx_text;
	int rc = probing_abi(&tgt, spec, transport, nr_reg, &abi, &tx_text);
	if (rc != HCF_EXIT_PASS) {
		hcf_spec_free(base);
		return rc;
	}
	hcf_interrupt_install();
	struct hcf_target *t = NULL;
	if (hcf_target_open(tgt.name, &t, abi, &tgt.opts, err, sizeof(err)) != 0) {
		hcf_cli_error("learn", "target %s: %s", tgt.name, err);
		hcf_spec_free(abi);
		hcf_spec_free(base);
		return HCF_EXIT_ERROR;
	}
	struct hcf_learned L;
	if (hcf_learn_probe(t, abi, &lo, &L, err, sizeof(err)) != 0) {
		hcf_cli_error("learn", "%s", err);
		rc = HCF_EXIT_ERROR;
	} else {
		rc = write_draft(out, &L, abi, tx_text, base);
	}
	if (rc == HCF_EXIT_PASS) {
		printf("learn: %llu numbers in %llu calls, %.1f s: %llu answer like unknown numbers, "
		       "%zu otherwise (%zu probed fully)%s; draft: %s\n",
		       (unsigned long long)L.probed, (unsigned long long)L.calls, L.seconds,
		       (unsigned long long)L.def_count, L.ncalls_found, L.ndeep_done,
		       L.interrupted ? "; interrupted" : L.budget_hit ? "; the budget ran out" : "", out);
		if (base) {
			printf("compared with %s:\n", base_path);
			if (!hcf_learn_compare(stdout, "  ", &L, base))
				printf("  no difference\n");
		}
	}
	hcf_learned_free(&L);
	hcf_target_close(t);
	hcf_spec_free(abi);
	hcf_spec_free(base);
	return rc;
}
