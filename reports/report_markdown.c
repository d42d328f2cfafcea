/* report_markdown.c: summary.md, the run for humans: facts, tallies, per-group table, findings. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracles/anomaly.h"
#include "reports/coverage.h"
#include "reports/diff_report.h"
#include "reports/report.h"
#include "reports/report_util.h"
#include "spec/transport.h"
#include "util/xalloc.h"

/*
 * Findings are kept per verdict, at most HCF_REPORT_MD_FINDINGS of each, and
 * listed most severe first: in a run with thousands of SKIPs the one CRASH
 * must still make the list. Everything is written by end(), because the
 * tables above the findings need the final counts.
 */

struct md_state {
	FILE *f;
	char *abi_name, *spec_path, *command;
	struct hcf_target_info tinfo;
	bool has_tinfo;
	uint64_t seed;
	time_t started;
	const struct hcf_diff_report *differences;
	const struct hcf_cov *cov;               /* the run's coverage matrix, or NULL */
	struct hcf_tally tally;
	double seconds;
	struct hcf_rpt_groups groups;
	struct hcf_rbuf findings[HCF_V_COUNT];  /* rendered entries per verdict */
	size_t nfindings[HCF_V_COUNT];          /* entries rendered (capped) */
	/* where each entry ends in findings[v], so the list can stop between entries */
	size_t entry_end[HCF_V_COUNT][HCF_REPORT_MD_FINDINGS];
	const struct hcf_abi *abi;               /* lives as long as the run */
	struct hcf_anomaly_counts anomalies;     /* tests that showed each known anomaly */
};

static void md_code(struct hcf_rbuf *b, const char *s, size_t n, bool in_table)
{
	if (n)
		hcf_rbuf_put_md_code(b, s, n, in_table);
	else
		hcf_rbuf_puts(b, "(none)");
}

static void md_ccode(struct hcf_rbuf *b, const char *s, bool in_table)
{
	md_code(b, s ? s : "", s ? strlen(s) : 0, in_table);
}

static void *md_begin(FILE *f, const struct hcf_run_info *ri)
{
	struct md_state *st = hcf_xcalloc(1, sizeof(*st));
	st->f = f;
	if (ri) {
		st->abi_name = hcf_xstrdup(ri->abi && ri->abi->name ? ri->abi->name : "unknown");
		st->spec_path = ri->spec_path ? hcf_xstrdup(ri->spec_path) : NULL;
		st->command = ri->command ? hcf_xstrdup(ri->command) : NULL;
		if (ri->tinfo) {
			st->tinfo = *ri->tinfo;
			st->has_tinfo = true;
		}
		st->seed = ri->seed;
		st->started = ri->started;
		st->abi = ri->abi;
		st->differences = ri->differences;
		st->cov = ri->cov;
	} else {
		st->abi_name = hcf_xstrdup("unknown");
	}
	hcf_anomaly_counts_init(&st->anomalies, st->abi);
	return st;
}

/* One issue as a nested list item: oracle, where, expected, got, reason. */
static void md_issue(struct hcf_rbuf *b, const struct hcf_test *t, size_t call,
		     const struct hcf_issue *is)
{
	const struct hcf_op *op = hcf_prog_call_op(&t->prog, call);
	hcf_rbuf_puts(b, "   - ");
	if (t->prog.ncalls > 1) {
		char name[96];
		hcf_rbuf_printf(b, "call %zu ", call);
		md_ccode(b, hcf_pcall_name(&t->prog, &t->prog.calls[call], name, sizeof(name)),
			 false);
		hcf_rbuf_puts(b, ": ");
	}
	hcf_rbuf_printf(b, "%s ", hcf_rpt_verdict(is->v));
	if (is->oracle)
		hcf_rbuf_put_md(b, is->oracle, strlen(is->oracle));
	size_t wl = HCF_FIELD_LEN(is->where);
	if (wl) {
		hcf_rbuf_puts(b, " ");
		md_code(b, is->where, wl, false);
	}
	if (is->anomaly) {
		hcf_rbuf_puts(b, " (known anomaly ");
		md_ccode(b, is->anomaly, false);
		hcf_rbuf_printf(b, ", else %s)", hcf_rpt_verdict(is->was));
	}
	if (is->has_values && is->loc.kind != HCF_LOC_EXCEPTION) {
		char e[160], g[160];
		hcf_rbuf_puts(b, ": expected ");
		md_ccode(b, hcf_rpt_issue_value(t->prog.abi, op, is, is->expected, e, sizeof(e)),
			 false);
		hcf_rbuf_puts(b, " got ");
		md_ccode(b, hcf_rpt_issue_value(t->prog.abi, op, is, is->got, g, sizeof(g)), false);
	}
	size_t rl = HCF_FIELD_LEN(is->reason);
	if (rl) {
		hcf_rbuf_puts(b, ": ");
		hcf_rbuf_put_md(b, is->reason, rl);
	}
	hcf_rbuf_puts(b, "\n");
}

static void md_finding(struct hcf_rbuf *b, const struct hcf_test *t,
		       const struct hcf_test_outcome *o, enum hcf_verdict v)
{
	hcf_rbuf_printf(b, "1. **%s** ", hcf_rpt_verdict(v));
	md_code(b, t->id, HCF_FIELD_LEN(t->id), false);
	size_t dl = HCF_FIELD_LEN(t->desc);
	if (dl) {
		hcf_rbuf_puts(b, ": ");
		hcf_rbuf_put_md(b, t->desc, dl);
	}
	hcf_rbuf_puts(b, "\n");
	size_t shown = 0;
	for (size_t i = 0; o->cvs && i < t->prog.ncalls; i++) {
		const struct hcf_call_verdict *cv = &o->cvs[i];
		size_t kept = cv->nissues < HCF_MAX_ISSUES ? cv->nissues : HCF_MAX_ISSUES;
		for (size_t j = 0; j < kept; j++, shown++)
			md_issue(b, t, i, &cv->issues[j]);
		if (cv->dropped) {
			hcf_rbuf_printf(b, "   - call %zu: %zu more issue%s counted but not kept\n", i,
					cv->dropped, cv->dropped == 1 ? "" : "s");
			shown++;
		}
	}
	if (!shown) {
		char why[512];
		const char *r = hcf_rpt_test_reason(t, o, why, sizeof(why));
		hcf_rbuf_puts(b, "   - ");
		hcf_rbuf_put_md(b, r ? r : "no issue recorded", strlen(r ? r : "no issue recorded"));
		hcf_rbuf_puts(b, "\n");
	}
}

static void md_test(void *vst, const struct hcf_test *t, const struct hcf_test_outcome *o)
{
	struct md_state *st = vst;
	enum hcf_verdict v = (unsigned)o->v < HCF_V_COUNT ? o->v : HCF_V_ERROR;
	hcf_tally_add(&st->tally, v);
	hcf_rpt_groups_add(&st->groups, t->group, HCF_FIELD_LEN(t->group), v);
	st->seconds += o->seconds;
	if (o->cvs)
		hcf_anomaly_counts_add(&st->anomalies, o->cvs, t->prog.ncalls);
	if (v == HCF_V_PASS || st->nfindings[v] >= HCF_REPORT_MD_FINDINGS)
		return;
	md_finding(&st->findings[v], t, o, v);
	st->entry_end[v][st->nfindings[v]++] = st->findings[v].len;
}

static void md_fact(struct hcf_rbuf *b, const char *name, const char *value, size_t n, bool code)
{
	hcf_rbuf_printf(b, "| %s | ", name);
	if (code)
		md_code(b, value, n, true);
	else if (n)
		hcf_rbuf_put_md(b, value, n);
	else
		hcf_rbuf_puts(b, "(none)");
	hcf_rbuf_puts(b, " |\n");
}

static void md_tally_cells(struct hcf_rbuf *b, const struct hcf_tally *ty,
			   const struct hcf_tally *run)
{
	hcf_rbuf_printf(b, " %zu |", ty->total);
	for (int v = 0; v < HCF_V_COUNT; v++)
		if (hcf_rpt_verdict_column((enum hcf_verdict)v, run))
			hcf_rbuf_printf(b, " %zu |", ty->n[v]);
	hcf_rbuf_printf(b, " %s |\n", ty->total ? hcf_rpt_verdict(ty->worst) : "-");
}

/* The spec's known anomalies: what each is, how many tests showed it, the
 * evidence. A deviation is never hidden in the contract: it is listed. */
static void md_anomalies(const struct md_state *st, struct hcf_rbuf *b)
{
	if (!st->abi || !st->abi->nanomalies)
		return;
	hcf_rbuf_puts(b, "\n## Known anomalies\n\nDeviations from the contract the spec lists; "
			 "a result that matches one is XFAIL, an anomaly whose own program no "
			 "longer shows it is XPASS.\n\n| id | what | tests | evidence |\n"
			 "|---|---|--:|---|\n");
	for (size_t k = 0; k < st->abi->nanomalies; k++) {
		const struct hcf_anomaly *a = &st->abi->anomalies[k];
		hcf_rbuf_puts(b, "| ");
		md_ccode(b, a->id, true);
		hcf_rbuf_puts(b, " | ");
		hcf_rbuf_put_md(b, a->summary, strlen(a->summary));
		hcf_rbuf_printf(b, " | %zu | ", st->anomalies.n ? st->anomalies.n[k] : 0);
		hcf_rbuf_put_md(b, a->evidence, strlen(a->evidence));
		hcf_rbuf_puts(b, " |\n");
	}
}

static void md_render(struct md_state *st, struct hcf_rbuf *b, const struct hcf_exec_stats *stats)
{
	const struct hcf_tally *ty = &st->tally;
	char when[32];
	hcf_rpt_iso_time(st->started, when, sizeof(when));
	when[10] = ' ';  /* "YYYY-MM-DD HH:MM:SS" reads better in a title */

	hcf_rbuf_puts(b, "# hcfuzz");
	if (st->command) {
		hcf_rbuf_puts(b, " ");
		hcf_rbuf_put_md(b, st->command, strlen(st->command));
	}
	hcf_rbuf_puts(b, ": ");
	hcf_rbuf_put_md(b, st->abi_name, strlen(st->abi_name));
	hcf_rbuf_printf(b, ", %s UTC\n\n", when);

	if (st->has_tinfo && !strcmp(st->tinfo.target, "model"))
		hcf_rbuf_puts(b, "**Self-check, not a conformance result**: the target is the spec's "
				 "reference model, so this run checks the spec, the decoder and the "
				 "oracles against the model they compare with, not a hypervisor.\n\n");
	hcf_rbuf_puts(b, "| fact | value |\n|---|---|\n");
	if (st->has_tinfo) {
		const struct hcf_target_info *ti = &st->tinfo;
		md_fact(b, "target", ti->target, HCF_FIELD_LEN(ti->target), true);
		md_fact(b, "hypervisor", ti->hypervisor, HCF_FIELD_LEN(ti->hypervisor), false);
		md_fact(b, "CPU vendor", ti->cpu_vendor, HCF_FIELD_LEN(ti->cpu_vendor), false);
		md_fact(b, "hypervisor signature", ti->hv_signature, HCF_FIELD_LEN(ti->hv_signature),
			true);
		if (ti->facts[0])
			md_fact(b, "target facts", ti->facts, HCF_FIELD_LEN(ti->facts), true);
	}
	md_fact(b, "spec", st->spec_path ? st->spec_path : "",
		st->spec_path ? strlen(st->spec_path) : 0, true);
	if (st->abi) {
		const char *xp = hcf_xport_name(st->abi->transport.kind);
		md_fact(b, "transport", xp, strlen(xp), true);
	}
	hcf_rbuf_printf(b, "| seed | %" PRIu64 " |\n", st->seed);
	hcf_rbuf_printf(b, "| tests | %zu |\n", ty->total);
	if (stats)
		hcf_rbuf_printf(b, "| calls | %zu |\n", stats->calls);
	hcf_rbuf_printf(b, "| duration | %.3f s |\n", stats ? stats->seconds : st->seconds);
	hcf_rbuf_printf(b, "| worst | %s |\n\n", ty->total ? hcf_rpt_verdict(ty->worst) : "-");

	if (st->differences) { /* what changed since the baseline comes first */
		char *diffs = hcf_diff_report_markdown(st->differences);
		hcf_rbuf_puts(b, diffs);
		free(diffs);
	}

	if (stats && stats->requirement[0]) {
		const char *doc = stats->requirement_doc;
		hcf_rbuf_puts(b, stats->not_applicable ? "## Not applicable\n\n"
						       : "## Requirement not checked\n\n");
		hcf_rbuf_put_md(b, stats->requirement, strlen(stats->requirement));
		hcf_rbuf_puts(b, ".\n");
		if (doc) {
			hcf_rbuf_puts(b, "\n> ");
			hcf_rbuf_put_md(b, doc, strlen(doc));
			hcf_rbuf_puts(b, "\n");
		}
		if (stats->not_applicable)
			hcf_rbuf_printf(b, "\nNo call was made: every test is SKIP (%zu test%s, %zu "
					   "call%s not applicable).\n",
					ty->total, ty->total == 1 ? "" : "s", stats->calls_not_applicable,
					stats->calls_not_applicable == 1 ? "" : "s");
		hcf_rbuf_puts(b, "\n");
	}

	hcf_rbuf_puts(b, "## Verdicts\n\n| verdict | tests | share |\n|---|--:|--:|\n");
	for (int v = 0; v < HCF_V_COUNT; v++)
		if (hcf_rpt_verdict_column((enum hcf_verdict)v, ty))
			hcf_rbuf_printf(b, "| %s | %zu | %.1f%% |\n",
					hcf_rpt_verdict((enum hcf_verdict)v), ty->n[v],
					ty->total ? 100.0 * (double)ty->n[v] / (double)ty->total : 0.0);
	hcf_rbuf_printf(b, "| **total** | %zu | |\n\n", ty->total);

	hcf_rbuf_puts(b, "## Groups\n\n| group | tests |");
	for (int v = 0; v < HCF_V_COUNT; v++)
		if (hcf_rpt_verdict_column((enum hcf_verdict)v, ty))
			hcf_rbuf_printf(b, " %s |", hcf_rpt_verdict((enum hcf_verdict)v));
	hcf_rbuf_puts(b, " worst |\n|---|--:|");
	for (int v = 0; v < HCF_V_COUNT; v++)
		if (hcf_rpt_verdict_column((enum hcf_verdict)v, ty))
			hcf_rbuf_puts(b, "--:|");
	hcf_rbuf_puts(b, "---|\n");
	for (size_t i = 0; i < st->groups.n; i++) {
		const struct hcf_rpt_group *g = &st->groups.g[i];
		hcf_rbuf_puts(b, "| ");
		md_code(b, g->name, strlen(g->name), true);
		hcf_rbuf_puts(b, " |");
		md_tally_cells(b, &g->tally, ty);
	}
	hcf_rbuf_puts(b, "| **total** |");
	md_tally_cells(b, ty, ty);

	md_anomalies(st, b);
	if (st->cov) {
		hcf_rbuf_puts(b, "\n");
		hcf_cov_render_md_summary(st->cov, b, "##");
	}

	size_t nonpass = ty->total - ty->n[HCF_V_PASS], listed = 0;
	hcf_rbuf_puts(b, "\n## Findings\n\n");
	if (!nonpass) {
		hcf_rbuf_puts(b, "Every test passed.\n");
		return;
	}
	if (stats && stats->not_applicable) {
		hcf_rbuf_puts(b, "None: the ABI is not applicable here (above); results.jsonl has "
				 "every test with the reason.\n");
		return;
	}
	hcf_rbuf_printf(b, "%zu test%s did not pass%s, most severe first.\n\n", nonpass,
			nonpass == 1 ? "" : "s",
			ty->n[HCF_V_LOST] || ty->n[HCF_V_XFAIL] ?
				" (expected losses and known anomalies included)" : "");
	/* Most severe first; within a verdict, in run order. */
	for (int v = HCF_V_COUNT - 1; v > HCF_V_PASS && listed < HCF_REPORT_MD_FINDINGS; v--) {
		size_t take = st->nfindings[v];
		if (listed + take > HCF_REPORT_MD_FINDINGS)
			take = HCF_REPORT_MD_FINDINGS - listed;
		if (take)
			hcf_rbuf_put(b, hcf_rbuf_str(&st->findings[v]), st->entry_end[v][take - 1]);
		listed += take;
	}
	if (listed < nonpass)
		hcf_rbuf_printf(b, "\n%zu more finding%s omitted (the list stops at %u); "
				   "results.jsonl has every test.\n",
				nonpass - listed, nonpass - listed == 1 ? "" : "s",
				HCF_REPORT_MD_FINDINGS);
}

static void md_free(struct md_state *st)
{
	for (int v = 0; v < HCF_V_COUNT; v++)
		hcf_rbuf_free(&st->findings[v]);
	hcf_rpt_groups_free(&st->groups);
	hcf_anomaly_counts_free(&st->anomalies);
	free(st->abi_name);
	free(st->spec_path);
	free(st->command);
	free(st);
}

static int md_end(void *vst, const struct hcf_exec_stats *stats)
{
	struct md_state *st = vst;
	struct hcf_rbuf b = { 0 };
	md_render(st, &b, stats);
	errno = 0;
	bool ok = fwrite(b.p, 1, b.len, st->f) == b.len && fflush(st->f) == 0 && !ferror(st->f);
	int err = ok ? 0 : (errno ? errno : EIO);
	hcf_rbuf_free(&b);
	md_free(st);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static void md_discard(void *st)
{
	md_free(st);
}

const struct hcf_report_ops hcf_report_markdown = {
	.name = "markdown",
	.filename = "summary.md",
	.begin = md_begin,
	.test = md_test,
	.end = md_end,
	.discard = md_discard,
};
