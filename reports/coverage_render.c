/* coverage_render.c: the coverage matrix as Markdown (coverage.md, a summary) and as an HTML heat map (coverage.html). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/coverage.h"
#include "reports/report.h"
#include "reports/report_util.h"
#include "util/x86.h"
#include "util/xalloc.h"

/*
 * Both renderings go over the same cells in the same order. A cell is one
 * of: reached (a count), not reached (a cell the matrix wants, count 0),
 * not applicable (a class that does not apply to the input, an error the op
 * does not declare), or observed (an outcome the matrix counts but does not
 * want: shown when it happened, blank when not).
 */

#define MD_UNREACHED "✗"
#define MD_NA "–"
#define SUMMARY_NAMES 12   /* names a summary lists before "and N more" */

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static uint64_t total_calls(const struct hcf_cov *cov)
{
	uint64_t n = 0;
	for (size_t i = 0; i < cov->nrows; i++)
		n += cov->rows[i].calls;
	return n;
}

static bool any_inputs(const struct hcf_cov *cov)
{
	for (size_t i = 0; i < cov->nrows; i++)
		if (cov->rows[i].nin)
			return true;
	return false;
}

/* A class column is shown when it applies to some input of the matrix. */
static bool class_column(const struct hcf_cov *cov, int c)
{
	for (size_t i = 0; i < cov->nrows; i++)
		for (size_t k = 0; k < cov->rows[i].nin; k++)
			if (cov->rows[i].in[k].applies & (1u << c))
				return true;
	return false;
}

static void md_code(struct hcf_rbuf *b, const char *s)
{
	hcf_rbuf_put_md_code(b, s, strlen(s), true);
}

/* "calls 10/12, input classes 90/120, ..." */
static void reach_parts(struct hcf_rbuf *b, const struct hcf_cov_reach *r)
{
	hcf_rbuf_printf(b, "calls made %zu/%zu, input classes tried %zu/%zu, successes seen %zu/%zu, "
			   "declared errors seen %zu/%zu",
			r->ops_reached, r->ops, r->classes_reached, r->classes, r->ok_reached, r->ok,
			r->errors_reached, r->errors);
}


/* ---- Markdown ----------------------------------------------------------------------------------- */

static void md_count(struct hcf_rbuf *b, uint64_t n, bool wanted)
{
	if (n)
		hcf_rbuf_printf(b, " %llu |", (unsigned long long)n);
	else
		hcf_rbuf_printf(b, " %s |", wanted ? MD_UNREACHED : MD_NA);
}

static void md_inputs(const struct hcf_cov *cov, struct hcf_rbuf *b)
{
	hcf_rbuf_puts(b, "## Inputs\n\n");
	if (!any_inputs(cov)) {
		hcf_rbuf_puts(b, "No call of the spec has inputs a program chooses.\n\n");
		return;
	}
	hcf_rbuf_puts(b, "| call / op | input |");
	for (int c = 0; c < HCF_VC_COUNT; c++)
		if (class_column(cov, c))
			hcf_rbuf_printf(b, " %s |", hcf_vclass_name((enum hcf_vclass)c));
	hcf_rbuf_puts(b, "\n|---|---|");
	for (int c = 0; c < HCF_VC_COUNT; c++)
		if (class_column(cov, c))
			hcf_rbuf_puts(b, "--:|");
	hcf_rbuf_puts(b, "\n");
	for (size_t i = 0; i < cov->nrows; i++) {
		const struct hcf_cov_row *row = &cov->rows[i];
		for (size_t k = 0; k < row->nin; k++) {
			const struct hcf_cov_input *in = &row->in[k];
			hcf_rbuf_puts(b, "| ");
			md_code(b, row->op);
			hcf_rbuf_puts(b, " | ");
			md_code(b, in->name);
			hcf_rbuf_printf(b, " (%s, %u bits%s) |", in->reg < HCF_NGPR ? hcf_reg_name(in->reg) : "?",
					in->width, in->pointer ? ", pointer" : "");
			for (int c = 0; c < HCF_VC_COUNT; c++)
				if (class_column(cov, c))
					md_count(b, in->n[c], in->applies & (1u << c));
			hcf_rbuf_puts(b, "\n");
		}
	}
	hcf_rbuf_puts(b, "\n");
}

/* "`-E1` 2, `-E2` ✗" */
static void md_errors_cell(const struct hcf_cov_row *row, struct hcf_rbuf *b)
{
	if (!row->nerr) {
		hcf_rbuf_puts(b, " " MD_NA " |");
		return;
	}
	for (size_t k = 0; k < row->nerr; k++) {
		hcf_rbuf_puts(b, k ? ", " : " ");
		md_code(b, row->err[k].name);
		if (row->err[k].n)
			hcf_rbuf_printf(b, " %llu", (unsigned long long)row->err[k].n);
		else
			hcf_rbuf_puts(b, " " MD_UNREACHED);
	}
	hcf_rbuf_puts(b, " |");
}

static void md_exceptions_cell(const struct hcf_cov_row *row, struct hcf_rbuf *b)
{
	bool any = false;
	for (unsigned v = 0; v < HCF_COV_VECTORS; v++) {
		if (!row->vec[v])
			continue;
		char name[24];
		hcf_rbuf_puts(b, any ? ", " : " ");
		md_code(b, hcf_rpt_vector_name(v, name, sizeof(name)));
		hcf_rbuf_printf(b, " %llu%s", (unsigned long long)row->vec[v],
				row->vec_declared >> v & 1 ? "" : " (undeclared)");
		any = true;
	}
	hcf_rbuf_puts(b, any ? " |" : " " MD_NA " |");
}

static void md_lost_cell(const struct hcf_cov_row *row, struct hcf_rbuf *b)
{
	bool any = false;
	for (int l = 0; l < HCF_LIVE_COUNT; l++)
		if (row->lost[l]) {
			hcf_rbuf_printf(b, "%s%s %llu", any ? ", " : " ",
					hcf_liveness_name((enum hcf_liveness)l),
					(unsigned long long)row->lost[l]);
			any = true;
		}
	/* a loss whose way the target did not say */
	uint64_t said = 0;
	for (int l = 0; l < HCF_LIVE_COUNT; l++)
		said += row->lost[l];
	if (row->out[HCF_COV_LOST] > said) {
		hcf_rbuf_printf(b, "%s%llu", any ? ", " : " ",
				(unsigned long long)(row->out[HCF_COV_LOST] - said));
		any = true;
	}
	hcf_rbuf_puts(b, any ? " |" : " " MD_NA " |");
}

static void md_outcomes(const struct hcf_cov *cov, struct hcf_rbuf *b)
{
	hcf_rbuf_puts(b, "## Outcomes\n\n| call / op | calls | ok | declared errors | undeclared value "
			 "| exceptions | lost | hang | unclassified | bad result |\n"
			 "|---|--:|--:|---|--:|---|---|--:|--:|--:|\n");
	for (size_t i = 0; i < cov->nrows; i++) {
		const struct hcf_cov_row *row = &cov->rows[i];
		hcf_rbuf_puts(b, "| ");
		md_code(b, row->op);
		hcf_rbuf_puts(b, " |");
		md_count(b, row->calls, true);
		md_count(b, row->out[HCF_COV_OK], row->can_succeed);
		md_errors_cell(row, b);
		md_count(b, row->out[HCF_COV_UNDECLARED], false);
		md_exceptions_cell(row, b);
		md_lost_cell(row, b);
		md_count(b, row->out[HCF_COV_HANG], false);
		md_count(b, row->out[HCF_COV_UNCLASSIFIED], false);
		md_count(b, row->out[HCF_COV_BAD_RESULT], false);
		hcf_rbuf_puts(b, "\n");
	}
	hcf_rbuf_puts(b, "\n");
}

/* The list of what was never reached, by kind; max 0: all of it. */
static void md_unreached(const struct hcf_cov *cov, struct hcf_rbuf *b, size_t max)
{
	struct hcf_cov_reach r;
	hcf_cov_reach(cov, &r);
	size_t shown = 0;
	hcf_rbuf_printf(b, "- Calls never made (%zu)%s", r.ops - r.ops_reached,
			r.ops == r.ops_reached ? ": none.\n" : ": ");
	for (size_t i = 0; i < cov->nrows; i++)
		if (!cov->rows[i].calls && (!max || shown < max)) {
			hcf_rbuf_puts(b, shown++ ? ", " : "");
			md_code(b, cov->rows[i].op);
		}
	if (max && r.ops - r.ops_reached > shown)
		hcf_rbuf_printf(b, " and %zu more", r.ops - r.ops_reached - shown);
	if (r.ops != r.ops_reached)
		hcf_rbuf_puts(b, ".\n");

	/* the classes per input of a call that was made (the others are
	 * untried as a whole, above) */
	hcf_rbuf_printf(b, "- Input classes never tried (%zu)%s", r.classes - r.classes_reached,
			r.classes == r.classes_reached ? ": none.\n" : ":");
	shown = 0;
	size_t skipped_rows = 0;
	for (size_t i = 0; i < cov->nrows && r.classes != r.classes_reached; i++) {
		const struct hcf_cov_row *row = &cov->rows[i];
		for (size_t k = 0; k < row->nin; k++) {
			const struct hcf_cov_input *in = &row->in[k];
			bool first = true;
			for (int c = 0; c < HCF_VC_COUNT; c++) {
				if (!(in->applies & (1u << c)) || in->n[c])
					continue;
				if (!row->calls) {
					skipped_rows += first;
					first = false;
					continue;
				}
				if (max && shown >= max)
					break;
				if (first) {
					hcf_rbuf_puts(b, shown ? "; " : " ");
					md_code(b, row->op);
					hcf_rbuf_puts(b, " ");
					md_code(b, in->name);
					hcf_rbuf_puts(b, ": ");
				} else {
					hcf_rbuf_puts(b, ", ");
				}
				hcf_rbuf_puts(b, hcf_vclass_name((enum hcf_vclass)c));
				first = false;
				shown++;
			}
		}
	}
	if (r.classes != r.classes_reached) {
		if (max && shown < r.classes - r.classes_reached)
			hcf_rbuf_printf(b, "%s(%zu more%s)", shown ? " " : " ",
					r.classes - r.classes_reached - shown,
					skipped_rows ? ", those of calls never made included" : "");
		else if (skipped_rows)
			hcf_rbuf_printf(b, "%severy class of the %zu input%s of calls never made",
					shown ? "; " : " ", skipped_rows, plural(skipped_rows));
		hcf_rbuf_puts(b, ".\n");
	}

	hcf_rbuf_printf(b, "- Declared errors never seen (%zu)%s", r.errors - r.errors_reached,
			r.errors == r.errors_reached ? ": none.\n" : ":");
	shown = 0;
	for (size_t i = 0; i < cov->nrows && r.errors != r.errors_reached; i++) {
		const struct hcf_cov_row *row = &cov->rows[i];
		bool first = true;
		for (size_t k = 0; k < row->nerr; k++) {
			if (row->err[k].n || (max && shown >= max))
				continue;
			hcf_rbuf_puts(b, first ? (shown ? "; " : " ") : ", ");
			if (first) {
				md_code(b, row->op);
				hcf_rbuf_puts(b, " ");
			}
			md_code(b, row->err[k].name);
			first = false;
			shown++;
		}
	}
	if (r.errors != r.errors_reached) {
		if (max && shown < r.errors - r.errors_reached)
			hcf_rbuf_printf(b, " (%zu more)", r.errors - r.errors_reached - shown);
		hcf_rbuf_puts(b, ".\n");
	}

	hcf_rbuf_printf(b, "- Calls that never succeeded although they can (%zu)%s", r.ok - r.ok_reached,
			r.ok == r.ok_reached ? ": none.\n" : ": ");
	shown = 0;
	for (size_t i = 0; i < cov->nrows; i++)
		if (cov->rows[i].can_succeed && !cov->rows[i].out[HCF_COV_OK] && (!max || shown < max)) {
			hcf_rbuf_puts(b, shown++ ? ", " : "");
			md_code(b, cov->rows[i].op);
		}
	if (r.ok != r.ok_reached) {
		if (max && shown < r.ok - r.ok_reached)
			hcf_rbuf_printf(b, " and %zu more", r.ok - r.ok_reached - shown);
		hcf_rbuf_puts(b, ".\n");
	}
}

static void md_share_line(const struct hcf_cov *cov, struct hcf_rbuf *b)
{
	struct hcf_cov_reach r;
	hcf_cov_reach(cov, &r);
	hcf_rbuf_printf(b, "**%d%%** of the matrix reached: %zu of %zu cells (", hcf_cov_percent(cov), r.reached,
			r.cells);
	reach_parts(b, &r);
	hcf_rbuf_puts(b, ").\n");
}

void hcf_cov_render_md(const struct hcf_cov *cov, struct hcf_rbuf *b)
{
	hcf_rbuf_puts(b, "# Spec coverage: ");
	hcf_rbuf_put_md(b, cov->abi_name, strlen(cov->abi_name));
	hcf_rbuf_puts(b, "\n\n");
	if (cov->spec_path) {
		hcf_rbuf_put_md_code(b, cov->spec_path, strlen(cov->spec_path), false);
		hcf_rbuf_puts(b, ": ");
	}
	uint64_t calls = total_calls(cov);
	hcf_rbuf_printf(b, "%llu program%s, %llu call%s that ran.\n\n", (unsigned long long)cov->programs,
			plural(cov->programs), (unsigned long long)calls, plural(calls));
	md_share_line(cov, b);
	hcf_rbuf_puts(b, "\nA number is how many calls; " MD_UNREACHED " marks a cell the matrix wants "
			 "and no call reached; " MD_NA " a class that does not apply to the input or "
			 "an outcome that did not happen. Input classes: docs/reports.md.\n\n");
	md_inputs(cov, b);
	md_outcomes(cov, b);
	hcf_rbuf_puts(b, "## Never reached\n\n");
	md_unreached(cov, b, 0);
}

void hcf_cov_render_md_summary(const struct hcf_cov *cov, struct hcf_rbuf *b, const char *heading)
{
	hcf_rbuf_printf(b, "%s Spec coverage\n\n", heading);
	md_share_line(cov, b);
	hcf_rbuf_puts(b, "\n");
	md_unreached(cov, b, SUMMARY_NAMES);
	hcf_rbuf_puts(b, "\nThe whole matrix: coverage.md, coverage.html (a heat map), coverage.json.\n");
}

/* ---- HTML ------------------------------------------------------------------------------------------ */

static const char css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;margin:1.5em;"
	"line-height:1.35}\n"
	"h1{font-size:1.5em;margin-bottom:.1em}h2{margin-top:1.4em;border-bottom:1px solid #ddd}\n"
	".sub{color:#666;margin-top:0}code{font-family:ui-monospace,Menlo,Consolas,monospace;"
	"font-size:.92em}\n"
	"table.heat{border-collapse:collapse;font-size:12px}\n"
	".heat th,.heat td{border:1px solid #d0d0d0;padding:2px 5px;text-align:center;"
	"white-space:nowrap}\n"
	".heat thead th{background:#f4f4f4;font-weight:600}\n"
	".heat thead th.v{writing-mode:vertical-rl;transform:rotate(180deg);text-align:left;"
	"padding:5px 2px;max-height:11em}\n"
	".heat th.op{text-align:left;background:#fafafa}.heat th.op.never{color:#b71c1c}\n"
	".heat td.in{text-align:left;color:#333}\n"
	".heat .gap{border-left:3px solid #888}\n"
	"td.na{background:repeating-linear-gradient(45deg,#f6f6f6,#f6f6f6 3px,#ececec 3px,"
	"#ececec 6px)}\n"
	"td.u{background:#fbe3e0;color:#b71c1c;font-weight:bold}\n"
	"td.z{color:#bbb}\n"
	"td.r1{background:#e3f2e5}td.r2{background:#b9e0bf}td.r3{background:#86c791;color:#fff}"
	"td.r4{background:#4caf50;color:#fff}td.r5{background:#1b5e20;color:#fff}\n"
	"td.b1{background:#fff0d9}td.b2{background:#ffd8a1}td.b3{background:#ffb45c}"
	"td.b4{background:#f57c00;color:#fff}td.b5{background:#b34700;color:#fff}\n"
	".legend{display:flex;flex-wrap:wrap;gap:1em;font-size:12px;margin:.5em 0 1em}\n"
	".legend span{display:inline-block;width:1.6em;height:1em;vertical-align:middle;"
	"border:1px solid #ccc;margin-right:.3em}\n"
	"ul.never li{margin:.2em 0}\n";

/* A column of the outcome part of the heat map. */
enum ocol_kind { OC_CALLS, OC_OK, OC_ERROR, OC_OUTCOME, OC_VECTOR };

struct ocol {
	enum ocol_kind kind;
	const char *label;      /* error name (borrowed from a row) or outcome name */
	int outcome;            /* OC_OUTCOME */
	unsigned vector;        /* OC_VECTOR */
	char buf[24];           /* a vector's label */
};

struct ocols {
	struct ocol *c;
	size_t n, cap;
};

static struct ocol *ocol_add(struct ocols *o, enum ocol_kind kind, const char *label)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 16;
		o->c = hcf_xreallocarray(o->c, o->cap, sizeof(*o->c));
	}
	struct ocol *c = &o->c[o->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->label = label;
	return c;
}

/* calls, ok, the declared errors (first appearance), undeclared value,
 * the vectors declared or seen, lost, hang, and unclassified and bad
 * result where they happened. */
static void build_ocols(const struct hcf_cov *cov, struct ocols *o)
{
	ocol_add(o, OC_CALLS, "calls");
	ocol_add(o, OC_OK, "ok");
	for (size_t i = 0; i < cov->nrows; i++)
		for (size_t k = 0; k < cov->rows[i].nerr; k++) {
			const char *name = cov->rows[i].err[k].name;
			bool seen = false;
			for (size_t j = 0; j < o->n && !seen; j++)
				seen = o->c[j].kind == OC_ERROR && !strcmp(o->c[j].label, name);
			if (!seen)
				ocol_add(o, OC_ERROR, name);
		}
	ocol_add(o, OC_OUTCOME, "undeclared value")->outcome = HCF_COV_UNDECLARED;
	for (unsigned v = 0; v < HCF_COV_VECTORS; v++) {
		bool any = false;
		for (size_t i = 0; i < cov->nrows && !any; i++)
			any = cov->rows[i].vec[v] || (cov->rows[i].vec_declared >> v & 1);
		if (!any)
			continue;
		struct ocol *c = ocol_add(o, OC_VECTOR, NULL);
		c->vector = v;
		c->label = hcf_rpt_vector_name(v, c->buf, sizeof(c->buf));
	}
	static const struct {
		int outcome;
		const char *label;
		bool always;
	} tail[] = {
		{ HCF_COV_LOST, "lost", true },
		{ HCF_COV_HANG, "hang", true },
		{ HCF_COV_UNCLASSIFIED, "unclassified", false },
		{ HCF_COV_BAD_RESULT, "bad result", false },
	};
	for (size_t t = 0; t < sizeof(tail) / sizeof(tail[0]); t++) {
		bool any = tail[t].always;
		for (size_t i = 0; i < cov->nrows && !any; i++)
			any = cov->rows[i].out[tail[t].outcome] != 0;
		if (any)
			ocol_add(o, OC_OUTCOME, tail[t].label)->outcome = tail[t].outcome;
	}
	/* vector labels point into their column: fix them up after the array moved */
	for (size_t j = 0; j < o->n; j++)
		if (o->c[j].kind == OC_VECTOR)
			o->c[j].label = o->c[j].buf;
}

/* A cell's kind and count: wanted (a cell of the matrix), observed, or not
 * applicable. */
enum cell_kind { CELL_NA, CELL_WANTED, CELL_OBSERVED };

static enum cell_kind ocell(const struct hcf_cov_row *row, const struct ocol *c, uint64_t *n)
{
	*n = 0;
	switch (c->kind) {
	case OC_CALLS:
		*n = row->calls;
		return CELL_WANTED;
	case OC_OK:
		*n = row->out[HCF_COV_OK];
		return row->can_succeed ? CELL_WANTED : *n ? CELL_OBSERVED : CELL_NA;
	case OC_ERROR:
		for (size_t k = 0; k < row->nerr; k++)
			if (!strcmp(row->err[k].name, c->label)) {
				*n = row->err[k].n;
				return CELL_WANTED;
			}
		return CELL_NA;
	case OC_OUTCOME:
		*n = row->out[c->outcome];
		return CELL_OBSERVED;
	case OC_VECTOR:
		*n = row->vec[c->vector];
		return CELL_OBSERVED;
	}
	return CELL_NA;
}

/* Shade 1..5 of n on a log scale up to max. */
static int shade(uint64_t n, uint64_t max)
{
	if (!n || !max)
		return 0;
	double s = log1p((double)n) / log1p((double)max);
	int k = (int)ceil(s * 5.0);
	return k < 1 ? 1 : k > 5 ? 5 : k;
}

static void html_text(struct hcf_rbuf *b, const char *s)
{
	hcf_rbuf_put_xml(b, s, strlen(s), false);
}

static void html_attr(struct hcf_rbuf *b, const char *s)
{
	hcf_rbuf_put_xml(b, s, strlen(s), true);
}

/* One cell: class and title, the count, ✗ for a wanted cell not reached. */
static void html_cell(struct hcf_rbuf *b, enum cell_kind kind, uint64_t n, uint64_t max, bool bad,
		      const char *title, bool gap, unsigned rowspan)
{
	char cls[16];
	const char *text = "";
	char num[24];
	if (kind == CELL_NA) {
		snprintf(cls, sizeof(cls), "na");
	} else if (!n) {
		snprintf(cls, sizeof(cls), kind == CELL_WANTED ? "u" : "z");
		text = kind == CELL_WANTED ? "\u2717" : "\u00b7";
	} else {
		snprintf(cls, sizeof(cls), "%c%d", bad ? 'b' : 'r', shade(n, max));
		snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
		text = num;
	}
	hcf_rbuf_printf(b, "<td class=\"%s%s\"", cls, gap ? " gap" : "");
	if (rowspan > 1)
		hcf_rbuf_printf(b, " rowspan=\"%u\"", rowspan);
	hcf_rbuf_puts(b, " title=\"");
	html_attr(b, title);
	hcf_rbuf_printf(b, "%s\">%s</td>", kind == CELL_NA ? ": does not apply" : !n ? ": none" : "",
			text);
}

/* The largest count of wanted cells, and of observed ones, for the shades. */
static void maxima(const struct hcf_cov *cov, const struct ocols *o, uint64_t *wanted, uint64_t *observed)
{
	*wanted = *observed = 0;
	for (size_t i = 0; i < cov->nrows; i++) {
		const struct hcf_cov_row *row = &cov->rows[i];
		for (size_t k = 0; k < row->nin; k++)
			for (int c = 0; c < HCF_VC_COUNT; c++)
				if (row->in[k].n[c] > *wanted)
					*wanted = row->in[k].n[c];
		for (size_t j = 0; j < o->n; j++) {
			uint64_t n;
			enum cell_kind kind = ocell(row, &o->c[j], &n);
			uint64_t *m = kind == CELL_WANTED ? wanted : observed;
			if (n > *m)
				*m = n;
		}
	}
}

/* Is an observed outcome column one that tells of a deviation (orange)
 * rather than a neutral fact? */
static bool ocol_bad(const struct hcf_cov_row *row, const struct ocol *c)
{
	if (c->kind == OC_VECTOR)
		return !(row->vec_declared >> c->vector & 1);
	return c->kind == OC_OUTCOME || c->kind == OC_OK;
}

static void html_heat_row(struct hcf_rbuf *b, const struct hcf_cov_row *row,
			  const bool *ccol, const struct ocols *o, uint64_t maxw, uint64_t maxo)
{
	unsigned span = row->nin ? (unsigned)row->nin : 1;
	char title[256];
	for (unsigned k = 0; k < span; k++) {
		hcf_rbuf_puts(b, "<tr>");
		if (k == 0) {
			hcf_rbuf_printf(b, "<th class=\"op%s\" rowspan=\"%u\"", row->calls ? "" : " never", span);
			hcf_rbuf_puts(b, " title=\"");
			html_attr(b, row->call);
			hcf_rbuf_puts(b, row->calls ? "\"><code>" : ": never called\"><code>");
			html_text(b, row->op);
			hcf_rbuf_puts(b, "</code></th>");
		}
		const struct hcf_cov_input *in = row->nin ? &row->in[k] : NULL;
		if (in) {
			hcf_rbuf_puts(b, "<td class=\"in\"><code>");
			html_text(b, in->name);
			hcf_rbuf_printf(b, "</code> %s/%u%s</td>",
					in->reg < HCF_NGPR ? hcf_reg_name(in->reg) : "?", in->width,
					in->pointer ? " ptr" : "");
		} else {
			hcf_rbuf_puts(b, "<td class=\"in z\">no inputs</td>");
		}
		bool first = true;
		for (int c = 0; c < HCF_VC_COUNT; c++) {
			if (!ccol[c])
				continue;
			bool applies = in && (in->applies & (1u << c));
			snprintf(title, sizeof(title), "%s %s %s", row->op, in ? in->name : "",
				 hcf_vclass_name((enum hcf_vclass)c));
			html_cell(b, applies ? CELL_WANTED : CELL_NA, applies ? in->n[c] : 0, maxw, false,
				  title, first || c == HCF_VC_PTR_VALID, 1);
			first = false;
		}
		if (k == 0)
			for (size_t j = 0; j < o->n; j++) {
				uint64_t n;
				enum cell_kind kind = ocell(row, &o->c[j], &n);
				snprintf(title, sizeof(title), "%s %s", row->op, o->c[j].label);
				html_cell(b, kind, n, kind == CELL_WANTED ? maxw : maxo,
					  kind == CELL_OBSERVED && ocol_bad(row, &o->c[j]), title, j == 0, span);
			}
		hcf_rbuf_puts(b, "</tr>\n");
	}
}

/* The share as a bar and a sentence; styled inline, so that another page
 * (the campaign's report.html) can show it as it is. */
static void html_share(const struct hcf_cov *cov, struct hcf_rbuf *b)
{
	struct hcf_cov_reach r;
	hcf_cov_reach(cov, &r);
	hcf_rbuf_printf(b, "<div style=\"display:flex;align-items:center;gap:.8em;margin:.6em 0\">"
			   "<div style=\"flex:none;width:280px;height:14px;background:#fbe3e0;"
			   "border:1px solid #bbb;border-radius:3px;overflow:hidden\">"
			   "<div style=\"height:100%%;width:%.1f%%;background:#2e7d32\"></div></div>"
			   "<div><b>%d%%</b> of the matrix reached: %zu of %zu cells (",
			r.cells ? 100.0 * (double)r.reached / (double)r.cells : 0.0, hcf_cov_percent(cov),
			r.reached, r.cells);
	reach_parts(b, &r);
	hcf_rbuf_puts(b, ")</div></div>\n");
}

static void html_never(const struct hcf_cov *cov, struct hcf_rbuf *b)
{
	struct hcf_cov_reach r;
	hcf_cov_reach(cov, &r);
	hcf_rbuf_puts(b, "<ul class=\"never\">\n<li>Calls never made (");
	hcf_rbuf_printf(b, "%zu)%s", r.ops - r.ops_reached, r.ops == r.ops_reached ? ": none" : ":");
	size_t shown = 0;
	for (size_t i = 0; i < cov->nrows; i++)
		if (!cov->rows[i].calls) {
			hcf_rbuf_puts(b, shown++ ? ", <code>" : " <code>");
			html_text(b, cov->rows[i].op);
			hcf_rbuf_puts(b, "</code>");
		}
	hcf_rbuf_printf(b, ".</li>\n<li>Input classes never tried: %zu of %zu (red in the heat map).</li>\n",
			r.classes - r.classes_reached, r.classes);
	hcf_rbuf_printf(b, "<li>Declared errors never seen: %zu of %zu.</li>\n", r.errors - r.errors_reached,
			r.errors);
	hcf_rbuf_printf(b, "<li>Calls that never succeeded although they can: %zu of %zu.</li>\n</ul>\n",
			r.ok - r.ok_reached, r.ok);
}

void hcf_cov_render_html(const struct hcf_cov *cov, struct hcf_rbuf *b)
{
	struct hcf_cov_reach r;
	hcf_cov_reach(cov, &r);
	hcf_rbuf_puts(b, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
			 "<head>\n<meta charset=\"utf-8\"/>\n<title>Spec coverage: ");
	html_text(b, cov->abi_name);
	hcf_rbuf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>Spec coverage: ", css);
	html_text(b, cov->abi_name);
	hcf_rbuf_puts(b, "</h1>\n<p class=\"sub\">");
	if (cov->spec_path) {
		hcf_rbuf_puts(b, "<code>");
		html_text(b, cov->spec_path);
		hcf_rbuf_puts(b, "</code>: ");
	}
	uint64_t calls = total_calls(cov);
	hcf_rbuf_printf(b, "%llu program%s, %llu call%s that ran.</p>\n", (unsigned long long)cov->programs,
			plural(cov->programs), (unsigned long long)calls, plural(calls));
	html_share(cov, b);
	hcf_rbuf_puts(b, "<div class=\"legend\"><div><span class=\"r3\" style=\"background:#86c791\"></span>"
			 "reached: calls, shaded by count (log scale)</div>"
			 "<div><span style=\"background:#fbe3e0\"></span>\u2717 wanted, never reached</div>"
			 "<div><span style=\"background:#ffb45c\"></span>an outcome outside the contract"
			 " (undeclared value or exception, loss, hang)</div>"
			 "<div><span style=\"background:repeating-linear-gradient(45deg,#f6f6f6,#f6f6f6 3px,"
			 "#ececec 3px,#ececec 6px)\"></span>does not apply</div>"
			 "<div>\u00b7 did not happen</div></div>\n");

	bool ccol[HCF_VC_COUNT];
	size_t nccol = 0;
	for (int c = 0; c < HCF_VC_COUNT; c++)
		nccol += ccol[c] = class_column(cov, c);
	struct ocols o = { 0 };
	build_ocols(cov, &o);
	uint64_t maxw, maxo;
	maxima(cov, &o, &maxw, &maxo);

	hcf_rbuf_puts(b, "<table class=\"heat\"><thead>\n<tr><th rowspan=\"2\">call / op</th>"
			 "<th rowspan=\"2\">input</th>");
	if (nccol)
		hcf_rbuf_printf(b, "<th class=\"gap\" colspan=\"%zu\">input value classes</th>", nccol);
	hcf_rbuf_printf(b, "<th class=\"gap\" colspan=\"%zu\">outcomes</th></tr>\n<tr>", o.n);
	bool first = true;
	for (int c = 0; c < HCF_VC_COUNT; c++)
		if (ccol[c]) {
			hcf_rbuf_printf(b, "<th class=\"v%s\">%s</th>",
					first || c == HCF_VC_PTR_VALID ? " gap" : "",
					c >= HCF_VC_PTR_VALID ? (c == HCF_VC_PTR_VALID   ? "ptr valid"
								 : c == HCF_VC_PTR_EDGE ? "ptr edge"
											: "ptr invalid")
							      : hcf_vclass_name((enum hcf_vclass)c));
			first = false;
		}
	for (size_t j = 0; j < o.n; j++) {
		hcf_rbuf_printf(b, "<th class=\"v%s\">", j == 0 ? " gap" : "");
		html_text(b, o.c[j].label);
		hcf_rbuf_puts(b, "</th>");
	}
	hcf_rbuf_puts(b, "</tr>\n</thead><tbody>\n");
	for (size_t i = 0; i < cov->nrows; i++)
		html_heat_row(b, &cov->rows[i], ccol, &o, maxw, maxo);
	hcf_rbuf_puts(b, "</tbody></table>\n<h2>Never reached</h2>\n");
	html_never(cov, b);
	hcf_rbuf_puts(b, "<p class=\"sub\">Input classes, outcomes and the cells the matrix wants: "
			 "docs/reports.md, \"coverage.json\". The same matrix as Markdown: "
			 "coverage.md.</p>\n</body>\n</html>\n");
	free(o.c);
}

void hcf_cov_render_html_summary(const struct hcf_cov *cov, struct hcf_rbuf *b)
{
	html_share(cov, b);
	html_never(cov, b);
}

/* ---- the report writers ---------------------------------------------------------------------- */

enum cov_file { COV_JSON, COV_MD, COV_HTML };

struct cov_writer {
	FILE *f;
	const struct hcf_cov *cov;
	enum cov_file kind;
};

static void *cov_begin(FILE *f, const struct hcf_run_info *ri, enum cov_file kind)
{
	if (!ri || !ri->cov) {
		errno = EINVAL; /* the run feeds no matrix: a caller's mistake */
		return NULL;
	}
	struct cov_writer *w = hcf_xcalloc(1, sizeof(*w));
	w->f = f;
	w->cov = ri->cov;
	w->kind = kind;
	return w;
}

static void *cov_begin_json(FILE *f, const struct hcf_run_info *ri)
{
	return cov_begin(f, ri, COV_JSON);
}

static void *cov_begin_md(FILE *f, const struct hcf_run_info *ri)
{
	return cov_begin(f, ri, COV_MD);
}

static void *cov_begin_html(FILE *f, const struct hcf_run_info *ri)
{
	return cov_begin(f, ri, COV_HTML);
}

/* The report directory feeds the matrix (hcf_report_dir_test). */
static void cov_test(void *st, const struct hcf_test *t, const struct hcf_test_outcome *o)
{
	(void)st;
	(void)t;
	(void)o;
}

static int cov_end(void *vst, const struct hcf_exec_stats *stats)
{
	(void)stats;
	struct cov_writer *w = vst;
	struct hcf_rbuf b = { 0 };
	char *json = NULL;
	switch (w->kind) {
	case COV_JSON:
		json = hcf_cov_to_text(w->cov, true);
		if (json) {
			hcf_rbuf_puts(&b, json);
			hcf_rbuf_puts(&b, "\n");
		}
		break;
	case COV_MD:
		hcf_cov_render_md(w->cov, &b);
		break;
	case COV_HTML:
		hcf_cov_render_html(w->cov, &b);
		break;
	}
	free(json);
	errno = 0;
	bool ok = b.len && fwrite(b.p, 1, b.len, w->f) == b.len && fflush(w->f) == 0 && !ferror(w->f);
	int err = ok ? 0 : (errno ? errno : EIO);
	hcf_rbuf_free(&b);
	free(w);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static void cov_discard(void *st)
{
	free(st);
}

const struct hcf_report_ops hcf_report_coverage_json = {
	.name = "coverage-json", .filename = "coverage.json", .begin = cov_begin_json,
	.test = cov_test, .end = cov_end, .discard = cov_discard,
};
const struct hcf_report_ops hcf_report_coverage_md = {
	.name = "coverage-md", .filename = "coverage.md", .begin = cov_begin_md,
	.test = cov_test, .end = cov_end, .discard = cov_discard,
};
const struct hcf_report_ops hcf_report_coverage_html = {
	.name = "coverage-html", .filename = "coverage.html", .begin = cov_begin_html,
	.test = cov_test, .end = cov_end, .discard = cov_discard,
};
