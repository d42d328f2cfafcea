/*
 * cmd_diff.c: "hcfuzz diff", the same programs on two targets, compared.
 *
 * Each side is a target with its own options (a transport, parameters):
 * `--target xen-pv,transport=hypercall_page --target xen-pv,transport=syscall`.
 * The programs (files and directories, or the spec's conformance plan) run
 * on side A from the boot snapshot each, then on side B; every result of B
 * is compared with A's (oracles/difference.h: declared nondeterminism left
 * out). Each distinct difference is minimized to the fewest calls that
 * still show it, on both targets, and saved with a script that reproduces
 * it. Reports: differences.jsonl, differences.xml (JUnit), summary.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cli_inputs.h"
#include "cli/cli_target.h"
#include "exec/differential.h"
#include "exec/exec.h"
#include "exec/judged.h"
#include "exec/targets.h"
#include "fuzz/minimize.h"
#include "oracles/difference.h"
#include "oracles/models/model.h"
#include "prog/plan.h"
#include "reports/diff_report.h"
#include "util/fileio.h"
#include "util/interrupt.h"
#include "util/xalloc.h"

/* Differences minimized and saved as reproducers at most (one per key). */
#define REPRO_MAX 32

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hcfuzz diff --spec FILE --target A --target B [options] [PROGRAM|DIR]...\n"
		"\n"
		"Run the same programs on two targets and report every difference between their\n"
		"results: outcomes, exceptions, registers (as kept or changed, and the value),\n"
		"RFLAGS, buffers, pages written, verdicts. Outputs the spec declares\n"
		"nondeterministic are never compared. Programs each start from the boot\n"
		"snapshot (as replay runs them); without programs (or with --plan) the spec's\n"
		"conformance plan runs, batched as conform runs it. Each distinct difference is\n"
		"minimized to the fewest calls that still show it and saved with a reproducer.\n"
		"\n"
		"  --spec FILE        the ABI (required)\n"
		"  --target SIDE      twice: NAME[,transport=X][,KEY[=VALUE]]... a target with\n"
		"                     its own transport and parameters (as --target-opt), e.g.\n"
		"                     --target kvm --target model, or --target xen-pv\n"
		"                     --target xen-pv,transport=syscall\n"
		"  --plan             run the conformance plan (the default without programs)\n"
		"  --no-undeclared    plan: skip undeclared call numbers\n"
		"  --no-destructive   plan: skip calls the spec marks destructive\n"
		"  --skip OP          plan: leave out ops named OP (a shell pattern); repeatable\n"
		"  --out DIR          reports and reproducers (default out/diff-ABI)\n"
		"  --no-minimize      keep differences as found\n"
		"  --min-seconds N    minimization budget per difference (default 30)\n"
		"%s"
		"  -q, --quiet        no status line, no list\n"
		"  -h, --help         this text\n"
		"\n"
		"Options other than --target and --transport apply to both sides.\n"
		"\n"
		"exit codes: 0 no difference, 2 usage or a malformed spec or program, 3 SKIP (a\n"
		"            target cannot run here), 4 ERROR, 9 DIFF: the targets differ\n",
		hcf_cli_target_usage());
}

struct side {
	char text[256];            /* as given: "xen-pv,transport=syscall" */
	char label[64];            /* how reports name it */
	struct hcf_cli_target tgt;
	struct hcf_abi *abi;
	struct hcf_target *t;
	const struct hcf_target_info *ti;
	struct hcf_model model;
	bool have_model;
	struct hcf_test *tests;    /* the programs against this side's ABI */
	struct hcf_tally tally;
};

/* "NAME[,transport=X][,KEY[=VALUE]]..." over the shared options. */
static int parse_side(struct side *s, const char *text, const struct hcf_cli_target *common)
{
	hcf_cli_target_copy(&s->tgt, common);
	if (snprintf(s->text, sizeof(s->text), "%s", text) >= (int)sizeof(s->text)) {
		hcf_cli_error("diff", "--target %s: too long", text);
		return -1;
	}
	const char *name, *transport;
	struct hcf_target_opts own = { 0 };
	char err[256];
	if (hcf_side_split(s->text, &name, &transport, &own, err, sizeof(err)) != 0) {
		hcf_cli_error("diff", "--target %s: %s", text, err);
		return -1;
	}
	s->tgt.name = name;
	s->tgt.transport = transport;
	for (size_t i = 0; i < own.nparams; i++)
		if (hcf_cli_target_param(&s->tgt, own.params[i], "diff") != 0)
			return -1;
	snprintf(s->label, sizeof(s->label), "%s", text);
	return 0;
}

struct run_ctx {
	struct side *a, *b;
	struct hcf_prog_result *res_a;   /* side a's results, kept for b's */
	enum hcf_verdict *v_a;
	bool *ran_a;
	struct hcf_diff_report *report;
	size_t n, done;
	bool second, quiet;
};

static void on_test(void *vctx, size_t i, const struct hcf_test *t,
		    const struct hcf_test_outcome *o)
{
	struct run_ctx *c = vctx;
	struct side *s = c->second ? c->b : c->a;
	hcf_tally_add(&s->tally, o->v);
	c->done++;
	if (!c->second) {
		if (o->res)
			hcf_result_copy(&c->res_a[i], o->res);
		else
			hcf_result_init(&c->res_a[i], 0);
		c->v_a[i] = o->v;
		c->ran_a[i] = true;
	} else if (!c->ran_a[i]) {
		char why[160];
		snprintf(why, sizeof(why), "no result on %s", c->a->label);
		hcf_diff_report_uncompared(c->report, &c->a->tests[i], why);
	} else {
		static const struct hcf_prog_result none;
		struct hcf_diff_side da = { .res = &c->res_a[i], .abi = c->a->abi,
					    .rflags_captured = c->a->ti->rflags_captured,
					    .has_verdict = true, .verdict = c->v_a[i] };
		struct hcf_diff_side db = { .res = o->res ? o->res : &none, .abi = c->b->abi,
					    .rflags_captured = c->b->ti->rflags_captured,
					    .has_verdict = true, .verdict = o->v };
		struct hcf_differences d;
		/* judged against side a's program: the same calls, a's ABI */
		hcf_differ(&c->a->tests[i].prog, &da, &db, &d);
		hcf_diff_report_add(c->report, &c->a->tests[i], &d);
	}
	if (!c->quiet)
		hcf_status("diff: %s %zu/%zu", s->label, c->done, c->n);
}

/* ---- minimizing one difference on both targets ------------------------ */

struct min_arg {
	struct side *a, *b;
	const char *key;
	struct hcf_judged ja, jb;
};

static int keeps_difference(void *varg, const struct hcf_prog *p, char *why, size_t len)
{
	struct min_arg *m = varg;
	struct hcf_prog pb;
	if (hcf_prog_convert(p, m->b->abi, &pb) != 0) {
		hcf_prog_free(&pb);
		return 0;
	}
	hcf_run_judged(m->a->t, m->a->have_model ? &m->a->model : NULL, p, HCF_RUN_FROM_BOOT, NULL,
		       &m->ja);
	hcf_run_judged(m->b->t, m->b->have_model ? &m->b->model : NULL, &pb, HCF_RUN_FROM_BOOT,
		       NULL, &m->jb);
	hcf_prog_free(&pb);
	if (m->ja.target_failed || m->jb.target_failed) {
		snprintf(why, len, "a target failed: %s",
			 m->ja.target_failed ? m->ja.res.detail : m->jb.res.detail);
		return -1;
	}
	struct hcf_diff_side da = { .res = &m->ja.res, .abi = m->a->abi,
				    .rflags_captured = m->a->ti->rflags_captured,
				    .has_verdict = true, .verdict = m->ja.worst };
	struct hcf_diff_side db = { .res = &m->jb.res, .abi = m->b->abi,
				    .rflags_captured = m->b->ti->rflags_captured,
				    .has_verdict = true, .verdict = m->jb.worst };
	struct hcf_differences d;
	hcf_differ(p, &da, &db, &d);
	char key[160];
	for (size_t k = 0; k < d.n; k++)
		if (!strcmp(hcf_difference_key(p, &d.d[k], key, sizeof(key)), m->key))
			return 1;
	return 0;
}

/* A shell word in single quotes. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

/* OUT/repro/NN/: program.hcf, difference.txt and reproduce.sh. */
static int save_repro(const char *out, size_t nr, const char *spec, const struct side *a,
		      const struct side *b, const struct hcf_prog *p, const char *line,
		      const char *test_id, const struct hcf_min_stats *ms)
{
	char dir[4096], path[4200];
	snprintf(dir, sizeof(dir), "%s/repro/%02zu", out, nr);
	if (hcf_mkdir_p(dir, 0777) != 0)
		return -1;
	char *text = hcf_prog_to_text(p);
	if (!text)
		return -1;
	snprintf(path, sizeof(path), "%s/program.hcf", dir);
	int rc = hcf_write_file_atomic(path, text, strlen(text));
	free(text);
	snprintf(path, sizeof(path), "%s/difference.txt", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%s: %s\nfound by %s", a->label, b->label, test_id);
	if (ms)
		fprintf(f, ", minimized from %zu to %zu calls in %u runs", ms->calls_before,
			ms->calls_after, ms->runs);
	fprintf(f, "\n%s\n", line);
	rc |= fclose(f);
	snprintf(path, sizeof(path), "%s/reproduce.sh", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "#!/bin/sh\n# Runs program.hcf on both targets; exit 9 while they still differ.\n"
		   "cd \"$(dirname \"$0\")\" && exec \"${HCFUZZ:-hcfuzz}\" diff --spec ");
	put_quoted(f, spec);
	fputs(" --target ", f);
	put_quoted(f, a->label);
	fputs(" --target ", f);
	put_quoted(f, b->label);
	fputs(" --no-minimize --out ./rerun program.hcf\n", f);
	rc |= fclose(f);
	chmod(path, 0755);
	return rc;
}

static void minimize_all(struct run_ctx *c, const char *spec, const char *out, bool minimize,
			 double min_seconds, bool quiet)
{
	char keys[REPRO_MAX][160];
	size_t nkeys = 0, ti;
	const struct hcf_difference *d;
	const char *test_id;
	for (size_t i = 0; hcf_diff_report_get(c->report, i, &ti, &d, &test_id) && nkeys < REPRO_MAX;
	     i++) {
		const struct hcf_prog *p = &c->a->tests[ti].prog;
		char key[160], line[384];
		hcf_difference_key(p, d, key, sizeof(key));
		bool seen = false;
		for (size_t k = 0; k < nkeys && !seen; k++)
			seen = !strcmp(keys[k], key);
		if (seen)
			continue;
		snprintf(keys[nkeys++], sizeof(keys[0]), "%s", key);
		hcf_difference_format(p, d, c->a->label, c->b->label, line, sizeof(line));
		struct hcf_prog small;
		struct hcf_min_stats ms;
		bool did = false;
		if (minimize && p->ncalls > 1 && !hcf_interrupted()) {
			struct min_arg m = { .a = c->a, .b = c->b, .key = key };
			hcf_judged_init(&m.ja);
			hcf_judged_init(&m.jb);
			struct hcf_min_opts mo = { .max_seconds = min_seconds };
			char err[256];
			did = hcf_minimize_with(keeps_difference, &m, key, p, &mo, &small, &ms, err,
						sizeof(err)) == 0;
			if (!did && !quiet)
				fprintf(stderr, "hcfuzz diff: %s: not minimized: %s\n", key, err);
			hcf_judged_free(&m.ja);
			hcf_judged_free(&m.jb);
		}
		if (save_repro(out, nkeys, spec, c->a, c->b, did ? &small : p, line, test_id,
			       did ? &ms : NULL) != 0)
			hcf_cli_error("diff", "cannot save the reproducer of %s under %s/repro", key,
				      out);
		if (did)
			hcf_prog_free(&small);
	}
	if (!quiet && nkeys)
		printf("reproducers: %s/repro/01..%02zu (program.hcf, reproduce.sh)\n", out, nkeys);
}

/* ---- the command ------------------------------------------------------ */

static void write_summary(const char *out, const struct run_ctx *c, const char *spec)
{
	char *diffs = hcf_diff_report_markdown(c->report);
	char head[2048], tally_a[200], tally_b[200];
	hcf_tally_format(&c->a->tally, tally_a, sizeof(tally_a));
	hcf_tally_format(&c->b->tally, tally_b, sizeof(tally_b));
	const struct hcf_target_info *ia = c->a->ti, *ib = c->b->ti;
	snprintf(head, sizeof(head),
		 "# hcfuzz diff: %s\n\n| side | target | hypervisor | facts | verdicts |\n"
		 "|---|---|---|---|---|\n| A | `%s` | %s (`%s`) | `%s` | %s |\n"
		 "| B | `%s` | %s (`%s`) | `%s` | %s |\n\nSpec `%s`, %zu programs.\n\n",
		 c->a->abi->name, c->a->label, ia->hypervisor, ia->hv_signature, ia->facts, tally_a,
		 c->b->label, ib->hypervisor, ib->hv_signature, ib->facts, tally_b, spec, c->n);
	size_t la = strlen(head), lb = strlen(diffs);
	char *all = hcf_xmalloc(la + lb + 1);
	memcpy(all, head, la);
	memcpy(all + la, diffs, lb + 1);
	char path[4096];
	snprintf(path, sizeof(path), "%s/summary.md", out);
	if (hcf_write_file_atomic(path, all, la + lb) != 0)
		hcf_cli_error("diff", "cannot write %s", path);
	free(all);
	free(diffs);
}

int hcf_cmd_diff(int argc, char **argv)
{
	const char *spec = NULL, *out = NULL, *sides_text[2] = { NULL, NULL };
	size_t nsides = 0;
	bool quiet = false, plan = false, minimize = true;
	double min_seconds = 30;
	struct hcf_cli_target common;
	hcf_cli_target_defaults(&common);
	struct hcf_plan_opts popts = { 0 };
	const char *skips[32];
	enum { O_SPEC = 256, O_OUT, O_PLAN, O_NO_UNDECL, O_NO_DESTR, O_SKIP, O_NO_MIN, O_MIN_S };
	struct option lopts[64] = {
		{ "spec", required_argument, NULL, O_SPEC },
		{ "out", required_argument, NULL, O_OUT },
		{ "plan", no_argument, NULL, O_PLAN },
		{ "no-undeclared", no_argument, NULL, O_NO_UNDECL },
		{ "no-destructive", no_argument, NULL, O_NO_DESTR },
		{ "skip", required_argument, NULL, O_SKIP },
		{ "no-minimize", no_argument, NULL, O_NO_MIN },
		{ "min-seconds", required_argument, NULL, O_MIN_S },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
	};
	hcf_cli_target_options(lopts, 10);
	int ch, li = -1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", lopts, &li)) != -1) {
		const char *lname = li >= 0 ? lopts[li].name : "";
		li = -1;
		if (!strcmp(lname, "target")) { /* the sides: ours, not the shared option's */
			if (nsides == 2) {
				hcf_cli_error("diff", "--target: exactly two");
				return HCF_EXIT_USAGE;
			}
			sides_text[nsides++] = optarg;
			continue;
		}
		if (!strcmp(lname, "transport")) {
			hcf_cli_error("diff", "--transport: give each side its own "
					      "(--target NAME,transport=X)");
			return HCF_EXIT_USAGE;
		}
		switch (ch) {
		case O_SPEC: spec = optarg; break;
		case O_OUT: out = optarg; break;
		case O_PLAN: plan = true; break;
		case O_NO_UNDECL: popts.no_undeclared = true; break;
		case O_NO_DESTR: popts.no_destructive = true; break;
		case O_SKIP:
			if (popts.nskip_ops == sizeof(skips) / sizeof(skips[0])) {
				hcf_cli_error("diff", "--skip: at most 32 patterns");
				return HCF_EXIT_USAGE;
			}
			skips[popts.nskip_ops++] = optarg;
			popts.skip_ops = skips;
			break;
		case O_NO_MIN: minimize = false; break;
		case O_MIN_S: {
			uint64_t v;
			if (hcf_cli_parse_u64(optarg, &v) != 0 || v == 0 || v > 3600) {
				hcf_cli_error("diff", "--min-seconds: 1..3600, got %s", optarg);
				return HCF_EXIT_USAGE;
			}
			min_seconds = (double)v;
			break;
		}
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return HCF_EXIT_PASS;
		default:
			if (hcf_cli_target_option(&common, ch, optarg, "diff") == 0)
				break;
			usage(stderr);
			return HCF_EXIT_USAGE;
		}
	}
	if (!spec || nsides != 2) {
		hcf_cli_error("diff", !spec ? "--spec is required" : "--target: give two sides");
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	if (plan && optind < argc) {
		hcf_cli_error("diff", "--plan or programs, not both");
		return HCF_EXIT_USAGE;
	}

	hcf_interrupt_install();
	struct side sides[2];
	memset(sides, 0, sizeof(sides));
	int rc = HCF_EXIT_PASS;
	for (size_t k = 0; k < 2 && rc == HCF_EXIT_PASS; k++) {
		if (parse_side(&sides[k], sides_text[k], &common) != 0) {
			rc = HCF_EXIT_USAGE;
			break;
		}
		rc = hcf_cli_open_target(&sides[k].tgt, spec, "diff", &sides[k].abi, &sides[k].t,
					 quiet);
		if (rc == HCF_EXIT_PASS) {
			sides[k].ti = sides[k].t->ops->info(sides[k].t);
			sides[k].have_model = hcf_model_open(&sides[k].model, sides[k].abi,
							     sides[k].ti) == 0;
		}
	}
	if (rc == HCF_EXIT_PASS && !strcmp(sides[0].label, sides[1].label)) {
		/* the same side twice: a determinism check; tell the columns apart */
		snprintf(sides[0].label, sizeof(sides[0].label), "%.60s#1", sides_text[0]);
		snprintf(sides[1].label, sizeof(sides[1].label), "%.60s#2", sides_text[1]);
	}

	/* The programs, against side A's ABI, then converted for side B. */
	struct hcf_cli_inputs in = { 0 };
	size_t n = 0;
	bool from_plan = optind == argc;
	if (rc == HCF_EXIT_PASS) {
		if (from_plan) {
			if (hcf_plan_build(sides[0].abi, &popts, &in.tests, &in.n) != 0) {
				hcf_cli_error("diff", "cannot build the plan");
				rc = HCF_EXIT_ERROR;
			}
		} else {
			for (int i = optind; i < argc; i++)
				hcf_cli_inputs_add(&in, sides[0].abi, argv[i], "diff");
			if (in.malformed)
				rc = HCF_EXIT_USAGE;
		}
		n = in.n;
		sides[0].tests = in.tests;
		sides[1].tests = hcf_xcalloc(n ? n : 1, sizeof(*sides[1].tests));
		for (size_t i = 0; i < n && rc == HCF_EXIT_PASS; i++) {
			sides[1].tests[i] = in.tests[i];
			if (hcf_prog_convert(&in.tests[i].prog, sides[1].abi,
					     &sides[1].tests[i].prog) != 0) {
				hcf_cli_error("diff", "%s: cannot be made against %s's ABI", in.tests[i].id,
					      sides[1].label);
				rc = HCF_EXIT_USAGE;
			}
		}
	}

	char outbuf[512];
	if (!out && sides[0].abi) {
		snprintf(outbuf, sizeof(outbuf), "out/diff-%s", sides[0].abi->name);
		out = outbuf;
	}
	struct run_ctx c = { .a = &sides[0], .b = &sides[1], .n = n, .quiet = quiet };
	if (rc == HCF_EXIT_PASS) {
		char about[256];
		snprintf(about, sizeof(about), "%s against %s", sides[1].label, sides[0].label);
		c.report = hcf_diff_report_new(sides[0].label, sides[1].label, about);
		c.res_a = hcf_xcalloc(n ? n : 1, sizeof(*c.res_a));
		c.v_a = hcf_xcalloc(n ? n : 1, sizeof(*c.v_a));
		c.ran_a = hcf_xcalloc(n ? n : 1, sizeof(*c.ran_a));
		if (!quiet)
			fprintf(stderr, "hcfuzz diff: %zu programs on %s (%s) and %s (%s)\n", n,
				sides[0].label, sides[0].ti->notes, sides[1].label, sides[1].ti->notes);
		/* Programs from files each start from the boot snapshot, as replay
		 * runs them; the plan runs as conform runs it, in batches (what one
		 * test leaves in the hypervisor reaches the next alike on both
		 * sides), so that a diff of the plan matches two conform runs. */
		struct hcf_exec_opts eo = { .reset_each = !from_plan, .batch_max = common.batch };
		struct hcf_exec_stats st;
		int erc = 0;
		for (int k = 0; k < 2 && !hcf_interrupted(); k++) {
			c.second = k == 1;
			c.done = 0;
			erc |= hcf_exec_tests(sides[k].t, sides[k].abi,
					      sides[k].have_model ? &sides[k].model : NULL,
					      sides[k].tests, n, &eo, on_test, &c, &st);
		}
		if (!quiet)
			hcf_status_done();
		if (hcf_interrupted()) {
			hcf_cli_error("diff", "interrupted; no report written");
			rc = HCF_EXIT_ERROR;
		} else {
			if (!quiet)
				hcf_diff_report_print(c.report, stdout, 40);
			char err[512];
			if (hcf_diff_report_write(c.report, out, err, sizeof(err)) != 0) {
				hcf_cli_error("diff", "%s", err);
				rc = HCF_EXIT_ERROR;
			}
			write_summary(out, &c, spec);
			minimize_all(&c, spec, out, minimize, min_seconds, quiet);
			struct hcf_diff_counts dc;
			hcf_diff_report_counts(c.report, &dc);
			if (!quiet)
				printf("reports: %s/summary.md %s/differences.jsonl %s/differences.xml\n",
				       out, out, out);
			if (rc == HCF_EXIT_PASS && erc != 0)
				rc = HCF_EXIT_ERROR;
			if (rc == HCF_EXIT_PASS && (dc.differences || dc.tests_uncompared))
				rc = HCF_EXIT_DIFF;
		}
	}

	for (size_t i = 0; c.res_a && i < n; i++)
		hcf_result_free(&c.res_a[i]);
	free(c.res_a);
	free(c.v_a);
	free(c.ran_a);
	hcf_diff_report_free(c.report);
	for (size_t i = 0; sides[1].tests && i < n; i++)
		hcf_prog_free(&sides[1].tests[i].prog);
	free(sides[1].tests);
	hcf_tests_free(in.tests, in.n);
	for (size_t k = 0; k < 2; k++) {
		if (sides[k].have_model)
			hcf_model_close(&sides[k].model);
		hcf_target_close(sides[k].t);
		hcf_spec_free(sides[k].abi);
	}
	return rc;
}
