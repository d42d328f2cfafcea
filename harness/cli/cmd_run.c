/*
 * cmd_run.c: "hcfuzz run", one program in the text format, explained.
 *
 * Parses the program against the spec, runs it on the target, judges every
 * call with the oracles and prints, per call, how it ended, every register
 * that changed (before -> after, with constant names) and the verdict with
 * the issues found. The exit code is the most severe verdict's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_target.h"
#include "exec/judged.h"
#include "exec/targets.h"
#include "oracles/models/model.h"
#include "oracles/oracle.h"
#include "oracles/verdict.h"
#include "prog/layout.h"
#include "prog/prog.h"
#include "reports/report.h"
#include "util/interrupt.h"
#include "util/xalloc.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hcfuzz run --spec FILE [options] PROGRAM\n"
		"\n"
		"Run one program (text format, docs/program-format.md) and show, per call, how it\n"
		"ended, the registers that changed and the oracles' verdict.\n"
		"\n"
		"  --spec FILE        the ABI the program is written against (required)\n"
		"%s"
		"  --summary          only the verdict tally and timing, not every call\n"
		"  --memory           also every byte that changed: in each buffer and its guards,\n"
		"                     and in each guest page that differs from the boot snapshot\n"
		"  -h, --help         this text\n"
		"\n"
		"exit codes: 0 PASS (also LOST: the guest ended as the spec declares, and XFAIL: a\n"
		"            known anomaly), 2 usage or malformed spec/program, 3 SKIP, 4 ERROR,\n"
		"            5 FAIL, 6 HANG, 7 CRASH: the most severe verdict of the program\n",
		hcf_cli_target_usage());
}

static void print_call(FILE *f, const struct hcf_abi *abi, const struct hcf_prog *p, size_t i,
		       const struct hcf_call_result *cr, const struct hcf_call_verdict *cv)
{
	char name[96], b1[96], b2[96];
	const struct hcf_pcall *c = &p->calls[i];
	const struct hcf_op *op = c->op >= 0 && (size_t)c->op < abi->nops ? &abi->ops[c->op] : NULL;
	fprintf(f, "call %zu  %s  %s", i, hcf_pcall_name(p, c, name, sizeof(name)),
		hcf_call_outcome_name(cr->outcome));
	if (cr->outcome == HCF_CO_EXCEPTION)
		fprintf(f, " (vector %u, error code 0x%llx, rip 0x%llx)", cr->vector,
			(unsigned long long)cr->error_code, (unsigned long long)cr->fault_rip);
	if (cr->tsc_delta)
		fprintf(f, "  %llu cycles", (unsigned long long)cr->tsc_delta);
	fprintf(f, "  %s\n", hcf_verdict_name(cv->v));
	if (cr->outcome == HCF_CO_RETURNED || cr->outcome == HCF_CO_EXCEPTION) {
		bool any = false;
		for (unsigned r = 0; r < HCF_NGPR; r++) {
			if (cr->before[r] == cr->after[r])
				continue;
			any = true;
			fprintf(f, "    %-4s %s -> %s\n", hcf_reg_name(r),
				hcf_fmt_value(abi, op, cr->before[r], b1, sizeof(b1)),
				hcf_fmt_value(abi, op, cr->after[r], b2, sizeof(b2)));
		}
		uint64_t fl = (cr->rflags_before ^ cr->rflags_after) & HCF_X86_RFLAGS_ARCH;
		if (fl) {
			any = true;
			fprintf(f, "    rflags 0x%llx -> 0x%llx\n", (unsigned long long)cr->rflags_before,
				(unsigned long long)cr->rflags_after);
		}
		if (!any)
			fprintf(f, "    (no register changed)\n");
	} else if (cr->detail) {
		fprintf(f, "    %s\n", cr->detail);
	}
	for (size_t k = 0; k < cv->nissues; k++) {
		const struct hcf_issue *is = &cv->issues[k];
		fprintf(f, "    %s", hcf_verdict_name(is->v));
		if (is->anomaly)
			fprintf(f, " [%s, was %s]", is->anomaly, hcf_verdict_name(is->was));
		fprintf(f, " %s %s: ", is->oracle, is->where);
		if (is->has_values && is->loc.kind != HCF_LOC_EXCEPTION)
			fprintf(f, "expected %s, got %s: ", hcf_fmt_value(abi, op, is->expected, b1, sizeof(b1)),
				hcf_fmt_value(abi, op, is->got, b2, sizeof(b2)));
		fprintf(f, "%s\n", is->reason);
	}
	if (cv->dropped)
		fprintf(f, "    (%zu more issues)\n", cv->dropped);
}

/* One run of changed bytes: where, then the bytes before and after, at most
 * MEM_RUN_SHOWN of them (the length says how many changed). */
#define MEM_RUN_SHOWN 32u

static void print_run(FILE *f, const char *where, uint64_t gpa, const uint8_t *was,
		      const uint8_t *now, size_t n)
{
	fprintf(f, "    %s (0x%llx, %zu bytes): ", where, (unsigned long long)gpa, n);
	for (size_t k = 0; k < n && k < MEM_RUN_SHOWN; k++)
		fprintf(f, "%02x", was[k]);
	fprintf(f, "%s -> ", n > MEM_RUN_SHOWN ? "..." : "");
	for (size_t k = 0; k < n && k < MEM_RUN_SHOWN; k++)
		fprintf(f, "%02x", now[k]);
	fprintf(f, "%s\n", n > MEM_RUN_SHOWN ? "..." : "");
}

/* Each run of bytes that differ between was and now (n bytes at gpa), named
 * label+offset, where the first byte is at offset base_off. */
static void print_changes(FILE *f, const char *label, long base_off, uint64_t gpa,
			  const uint8_t *was, const uint8_t *now, size_t n)
{
	for (size_t k = 0; k < n;) {
		if (was[k] == now[k]) {
			k++;
			continue;
		}
		size_t e = k;
		while (e < n && was[e] != now[e])
			e++;
		char where[96];
		snprintf(where, sizeof(where), "%s%+ld", label, (long)k + base_off);
		print_run(f, where, gpa + k, was + k, now + k, e - k);
		k = e;
	}
}

/* The memory a program changed: buffers (guards included) against their
 * images before the first call, and the pages the target found changed. */
static void print_memory(FILE *f, const struct hcf_prog *p, const struct hcf_prog_result *r)
{
	struct hcf_layout l;
	char err[160];
	if (hcf_layout_place(p, &l, err, sizeof(err)) != 0) {
		fprintf(f, "memory: %s\n", err);
		return;
	}
	fprintf(f, "memory:\n");
	for (size_t b = 0; b < p->nbufs && b < r->nbufs; b++) {
		const struct hcf_buf_after *ba = &r->bufs[b];
		char label[32];
		snprintf(label, sizeof(label), "buf%zu", b);
		if (!ba->valid) {
			fprintf(f, "    %s: not read back\n", label);
			continue;
		}
		size_t n = (size_t)p->bufs[b].size + 2 * HCF_BUF_GUARD;
		uint8_t *image = hcf_xmalloc(n);
		hcf_layout_image(p, &l, b, image);
		print_changes(f, label, -(long)HCF_BUF_GUARD, l.buf_gva[b] - HCF_BUF_GUARD, image,
			      ba->bytes, n);
		free(image);
	}
	if (!r->pages_checked) {
		fprintf(f, "    (the target cannot tell which guest pages changed)\n");
		return;
	}
	for (size_t k = 0; k < r->npages; k++) {
		const struct hcf_page_change *pc = &r->pages[k];
		char label[48];
		snprintf(label, sizeof(label), "page 0x%llx%s", (unsigned long long)pc->gpa,
			 pc->agent_writes ? " (agent's)" : "");
		print_changes(f, label, 0, pc->gpa, pc->was, pc->now, sizeof(pc->now));
	}
	if (r->pages_found > r->npages)
		fprintf(f, "    (%zu more changed pages not kept)\n", r->pages_found - r->npages);
}

int hcf_cmd_run(int argc, char **argv)
{
	const char *spec = NULL;
	bool summary = false, memory = false;
	struct hcf_cli_target tgt;
	hcf_cli_target_defaults(&tgt);
	enum { O_SPEC = 256, O_SUMMARY, O_MEMORY };
	struct option lopts[32] = {
		{ "spec", required_argument, NULL, O_SPEC },
		{ "summary", no_argument, NULL, O_SUMMARY },
		{ "memory", no_argument, NULL, O_MEMORY },
		{ "help", no_argument, NULL, 'h' },
	};
	hcf_cli_target_options(lopts, 4);
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case O_SPEC: spec = optarg; break;
		case O_SUMMARY: summary = true; break;
		case O_MEMORY: memory = true; break;
		case 'h': usage(stdout); return HCF_EXIT_PASS;
		default:
			if (hcf_cli_target_option(&tgt, ch, optarg, "run") == 0)
				break;
			usage(stderr);
			return HCF_EXIT_USAGE;
		}
	}
	if (!spec || optind != argc - 1) {
		hcf_cli_error("run", !spec ? "--spec is required" : "expected exactly one PROGRAM file");
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	const char *path = argv[optind];

	struct hcf_abi *abi = NULL;
	int rc = hcf_cli_load_spec_for(&tgt, spec, "run", &abi);
	if (rc != HCF_EXIT_PASS)
		return rc;
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	struct hcf_diags diags;
	hcf_diags_init(&diags);
	if (hcf_prog_parse_file(&p, abi, path, &diags) != 0) {
		hcf_diags_print(&diags, stderr);
		hcf_prog_free(&p);
		hcf_spec_free(abi);
		return HCF_EXIT_USAGE;
	}
	hcf_interrupt_install();
	struct hcf_target *t = NULL;
	char err[512];
	if (hcf_target_open(tgt.name, &t, abi, &tgt.opts, err, sizeof(err)) != 0) {
		hcf_cli_error("run", "target %s: %s", tgt.name, err);
		hcf_prog_free(&p);
		hcf_spec_free(abi);
		return HCF_EXIT_ERROR;
	}
	const struct hcf_target_info *ti = t->ops->info(t);
	struct hcf_model model;
	bool have_model = hcf_model_open(&model, abi, ti) == 0;

	struct hcf_judged j;
	hcf_judged_init(&j);
	enum hcf_verdict worst =
		hcf_run_judged(t, have_model ? &model : NULL, &p, HCF_RUN_AS_IS, NULL, &j);
	const struct hcf_prog_result *rp = &j.res;
	const struct hcf_call_verdict *cvs = j.cvs;
	bool trc = j.target_failed;

	printf("# %s on %s: %s\n", abi->name, ti->target, ti->notes);
	struct hcf_tally tally;
	memset(&tally, 0, sizeof(tally));
	for (size_t i = 0; i < p.ncalls; i++) {
		hcf_tally_add(&tally, cvs[i].v);
		if (!summary)
			print_call(stdout, abi, &p, i, &rp->calls[i], &cvs[i]);
	}
	if (rp->liveness != HCF_LIVE_OK || trc)
		printf("guest: %s: %s\n", hcf_liveness_name(rp->liveness), rp->detail);
	if (memory && !trc)
		print_memory(stdout, &p, rp);
	double run_s = j.run_s, judge_s = j.judge_s;
	printf("%zu calls, %zu completed: ", p.ncalls, rp->ndone);
	for (int v = 0; v < HCF_V_COUNT; v++)
		if (tally.n[v])
			printf("%s %zu  ", hcf_verdict_name((enum hcf_verdict)v), tally.n[v]);
	printf("\nrun %.6f s, oracles %.6f s, %.0f calls/s; verdict %s\n", run_s, judge_s,
	       run_s + judge_s > 0 ? (double)p.ncalls / (run_s + judge_s) : 0.0, hcf_verdict_name(worst));

	hcf_judged_free(&j);
	if (have_model)
		hcf_model_close(&model);
	hcf_target_close(t);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
	return hcf_verdict_exit_code(worst);
}
