/* campaign_report.c: report.html, report.md and the plot SVGs of a campaign directory. */
#include "reports/campaign_report.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/campaign_data.h"
#include "reports/report_util.h"
#include "reports/svg_plot.h"
#include "util/diag.h"
#include "util/fileio.h"
#include "util/xalloc.h"

/*
 * The facts are put together once (a list of label/value pairs, the plots'
 * SVG) and then rendered twice, so report.md and report.html can never
 * disagree. Both are built in memory; the files are written only after the
 * directory proved writable, and renamed into place together.
 */

static const struct plot_def {
	const char *file, *title, *y_label, *color;
	enum hcf_cstat_col col;
} plot_defs[] = {
	{ "plot-execs.svg", "Executions per second", "executions/s", "#1f77b4", HCF_CS_EXECS_PS },
	{ "plot-features.svg", "Coverage features", "features", "#2ca02c", HCF_CS_FEATURES },
	{ "plot-calls.svg", "Calls per second", "calls/s", "#9467bd", HCF_CS_CALLS_PS },
	{ "plot-findings.svg", "Findings", "findings", "#d62728", HCF_CS_FINDINGS },
};
#define NPLOTS (sizeof(plot_defs) / sizeof(plot_defs[0]))
/* report.html, report.md, the plots, coverage.md, coverage.html */
#define NFILES (2 + NPLOTS + 2)
#define COV_MD_FILE (2 + NPLOTS)
#define COV_HTML_FILE (3 + NPLOTS)

/* campaign.json's string facts as the reports label them. */
static const struct {
	const char *label;
	bool code;
} cfact_labels[HCF_CF_COUNT] = {
	[HCF_CF_SPEC] = { "spec", true },
	[HCF_CF_ABI] = { "ABI", true },
	[HCF_CF_ENGINE] = { "engine", false },
	[HCF_CF_TARGET] = { "target", false },
	[HCF_CF_HYPERVISOR] = { "hypervisor", false },
	[HCF_CF_KCOV] = { "coverage (kcov)", false },
};

static const char css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;"
	"max-width:1200px;margin:1.5em auto;padding:0 1em;line-height:1.4}\n"
	"h1{font-size:1.6em;margin-bottom:.1em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}\n"
	".sub{color:#666;margin-top:0}\n"
	"table{border-collapse:collapse;margin:.4em 0 1em}\n"
	"th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}\n"
	"th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"code,pre{font-family:ui-monospace,'SF Mono',Menlo,Consolas,monospace;font-size:.9em}\n"
	"pre{background:#f6f6f6;padding:.5em;margin:.3em 0;overflow-x:auto;max-width:56em}\n"
	".plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:1em}\n"
	".plots svg{width:100%;height:auto;border:1px solid #e5e5e5}\n"
	".v{font-weight:bold;color:#fff;padding:.05em .4em;border-radius:3px;white-space:nowrap}\n"
	".v-CRASH{background:#7f0000}.v-HANG{background:#b34700}.v-FAIL{background:#c62828}\n"
	".v-ERROR{background:#6a1b9a}.v-SKIP{background:#546e7a}.v-PASS{background:#2e7d32}\n"
	".v-unknown{background:#777}.unreadable{color:#a00}.reason{color:#555}\n"
	".notes li{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}\n";

/* ---- numbers and times ------------------------------------------------------------- */

/* 1234567 -> "1,234,567"; beyond 1e15 (where doubles stop being exact
 * integers) "1.235e+15". */
static const char *fmt_count(double v, char *buf, size_t len)
{
	if (!isfinite(v)) {
		snprintf(buf, len, "unknown");
		return buf;
	}
	if (fabs(v) >= 1e15) {
		snprintf(buf, len, "%.4g", v);
		return buf;
	}
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%.0f", fabs(v));
	size_t o = 0;
	if (v <= -0.5 && o + 1 < len)
		buf[o++] = '-';
	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static const char *fmt_rate(double v, char *buf, size_t len)
{
	if (!isfinite(v))
		snprintf(buf, len, "unknown");
	else if (v >= 100)
		fmt_count(v, buf, len);
	else
		snprintf(buf, len, "%.*f", v >= 10 ? 1 : 2, v);
	return buf;
}

/* "1h2m (3725.4 s)" */
static const char *fmt_secs(double s, char *buf, size_t len)
{
	char d[48];
	if (!isfinite(s))
		snprintf(buf, len, "unknown");
	else if (s < 60)
		snprintf(buf, len, "%.1f s", s);
	else
		snprintf(buf, len, "%s (%.1f s)", hcf_svg_fmt_duration(s, 1, d, sizeof(d)), s);
	return buf;
}

/* "2026-11-21T20:01:02Z", or "unknown" for no time. */
static const char *fmt_time(double t, char *buf, size_t len)
{
	if (!(t > 0) || t > 253402300799.0) {
		snprintf(buf, len, "unknown");
		return buf;
	}
	char iso[32];
	snprintf(buf, len, "%sZ", hcf_rpt_iso_time((time_t)t, iso, sizeof(iso)));
	return buf;
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* ---- facts ----------------------------------------------------------------------------- */

struct fact {
	const char *label;
	char *text;
	bool code;
};

struct facts {
	struct fact v[32];
	size_t n;
};

static void fact_add(struct facts *fs, const char *label, bool code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fact_add(struct facts *fs, const char *label, bool code, const char *fmt, ...)
{
	if (fs->n == sizeof(fs->v) / sizeof(fs->v[0]))
		return;
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fs->v[fs->n++] = (struct fact){ label, hcf_xstrdup(text), code };
}

static void facts_free(struct facts *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->v[i].text);
}

/* The campaign's fuzzing time: the runs' own seconds when campaign.json has
 * them all, else the last elapsed_s of stats.csv. */
static double fuzz_seconds(const struct hcf_campaign *c, const char **from)
{
	double sum = 0;
	bool all = c->nruns > 0;
	for (size_t i = 0; i < c->nruns; i++) {
		all = all && isfinite(c->runs[i].seconds);
		sum += isfinite(c->runs[i].seconds) ? c->runs[i].seconds : 0;
	}
	*from = "";
	if (all)
		return sum;
	if (isfinite(c->last[HCF_CS_ELAPSED])) {
		*from = ", from stats.csv";
		return c->last[HCF_CS_ELAPSED];
	}
	return NAN;
}

/* "4 (1 CRASH, 2 FAIL, 1 unreadable)" */
static void findings_summary(const struct hcf_campaign *c, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "%zu", c->nf);
	if (!c->nf) {
		snprintf(buf, len, "%s", c->has_findings_dir ? "none" : "none (no findings/ directory)");
		return;
	}
	const char *sep = " (";
	for (int v = HCF_V_COUNT - 1; v >= 0 && o < len; v--)
		if (c->tally[v]) {
			o += (size_t)snprintf(buf + o, len - o, "%s%zu %s", sep, c->tally[v],
					      hcf_rpt_verdict((enum hcf_verdict)v));
			sep = ", ";
		}
	if (c->unknown_verdict && o < len) {
		o += (size_t)snprintf(buf + o, len - o, "%s%zu of unknown verdict", sep,
				      c->unknown_verdict);
		sep = ", ";
	}
	if (c->unreadable && o < len) {
		o += (size_t)snprintf(buf + o, len - o, "%s%zu unreadable", sep, c->unreadable);
		sep = ", ";
	}
	if (o < len && sep[0] == ',')
		snprintf(buf + o, len - o, ")");
}

static void build_facts(const struct hcf_campaign *c, struct facts *fs)
{
	char a[64], b[64];
	for (int i = 0; i < HCF_CF_COUNT; i++)
		fact_add(fs, cfact_labels[i].label, cfact_labels[i].code && c->fact[i], "%s",
			 c->fact[i] ? c->fact[i] : "not recorded");
	if (c->has_jobs)
		fact_add(fs, "jobs", false, "%lld", c->jobs);
	else
		fact_add(fs, "jobs", false, "not recorded");
	fact_add(fs, "runs", false, "%zu", c->nruns);
	fact_add(fs, "started", false, "%s",
		 fmt_time(c->nruns ? c->runs[0].started : NAN, a, sizeof(a)));
	const char *from;
	double secs = fuzz_seconds(c, &from);
	fact_add(fs, "fuzzing time", false, "%s%s", fmt_secs(secs, a, sizeof(a)), from);
	static const struct {
		const char *label;
		size_t off;
	} totals[] = {
		{ "executions", offsetof(struct hcf_campaign, execs_total) },
		{ "calls", offsetof(struct hcf_campaign, calls_total) },
	};
	for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
		double t = *(const double *)((const char *)c + totals[i].off);
		if (isfinite(t) && secs > 0)
			fact_add(fs, totals[i].label, false, "%s (%s/s on average)",
				 fmt_count(t, a, sizeof(a)), fmt_rate(t / secs, b, sizeof(b)));
		else
			fact_add(fs, totals[i].label, false, "%s", fmt_count(t, a, sizeof(a)));
	}
	fact_add(fs, "corpus", false, "%s", fmt_count(c->last[HCF_CS_CORPUS], a, sizeof(a)));
	if (isfinite(c->last[HCF_CS_SINCE_NEW]) && isfinite(c->last[HCF_CS_FEATURES]))
		fact_add(fs, "features", false, "%s (the last new one %s before the last sample)",
			 fmt_count(c->last[HCF_CS_FEATURES], a, sizeof(a)),
			 fmt_secs(c->last[HCF_CS_SINCE_NEW], b, sizeof(b)));
	else
		fact_add(fs, "features", false, "%s",
			 fmt_count(c->last[HCF_CS_FEATURES], a, sizeof(a)));
	char f[256];
	findings_summary(c, f, sizeof(f));
	fact_add(fs, "findings", false, "%s", f);
	if (c->has_stats)
		fact_add(fs, "stats.csv", false, "%zu row%s used, %zu skipped", c->rows_used,
			 plural(c->rows_used), c->rows_skipped);
	else
		fact_add(fs, "stats.csv", false, "not read (see Notes)");
}

/* ---- plots ------------------------------------------------------------------------------- */

static const char *plot_empty_text(const struct hcf_campaign *c, const struct plot_def *p,
				   char *buf, size_t len)
{
	if (!c->has_stats)
		snprintf(buf, len, "no data: stats.csv not read (see Notes)");
	else if (!c->col[p->col] || !c->col[HCF_CS_ELAPSED])
		snprintf(buf, len, "no data: stats.csv has no %s column",
			 c->col[p->col] ? "elapsed_s" : hcf_cstat_col_names[p->col]);
	else
		snprintf(buf, len, "no data: no usable row in stats.csv");
	return buf;
}

/* Where each resumed run starts on the elapsed axis: the first row at or
 * after its start time. */
static size_t run_markers(const struct hcf_campaign *c, struct hcf_svg_marker *m, char (*labels)[24],
			  size_t max)
{
	size_t n = 0;
	for (size_t r = 1; r < c->nruns && n < max; r++) {
		double t = c->runs[r].started;
		if (!isfinite(t))
			continue;
		for (size_t i = 0; i < c->nrows; i++)
			if (c->rows[i][HCF_CS_UNIX] >= t && isfinite(c->rows[i][HCF_CS_ELAPSED])) {
				snprintf(labels[n], sizeof(labels[n]), "run %zu", r + 1);
				m[n] = (struct hcf_svg_marker){ c->rows[i][HCF_CS_ELAPSED], labels[n] };
				n++;
				break;
			}
	}
	return n;
}

static void build_plot(const struct hcf_campaign *c, const struct plot_def *p, struct hcf_rbuf *svg)
{
	struct hcf_svg_point *pts = hcf_xcalloc(c->nrows ? c->nrows : 1, sizeof(*pts));
	for (size_t i = 0; i < c->nrows; i++)
		pts[i] = (struct hcf_svg_point){ c->rows[i][HCF_CS_ELAPSED], c->rows[i][p->col] };
	struct hcf_svg_series s = { .name = p->y_label, .color = p->color, .pts = pts,
				    .n = c->nrows };
	struct hcf_svg_marker m[16];
	char labels[16][24];
	char empty[128];
	struct hcf_svg_chart ch = {
		.title = p->title,
		.x_label = "fuzzing time (elapsed, over all runs)",
		.y_label = p->y_label,
		.x_kind = HCF_SVG_AXIS_DURATION,
		.y_kind = HCF_SVG_AXIS_NUMBER,
		.x_from_zero = true,
		.y_from_zero = true,
		.series = &s,
		.nseries = 1,
		.markers = m,
		.nmarkers = run_markers(c, m, labels, 16),
		.empty_text = plot_empty_text(c, p, empty, sizeof(empty)),
	};
	hcf_svg_line_chart(svg, &ch);
	free(pts);
}

/* ---- shared pieces --------------------------------------------------------------------------- */

/* A path inside the campaign directory as a link target: anything but
 * unreserved characters and '/' percent-encoded, so a hostile directory name
 * can neither end the link nor the attribute. */
static void put_href(struct hcf_rbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || strchr("-._~/", *p);
		if (plain) {
			hcf_rbuf_put(b, (const char *)p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			hcf_rbuf_put(b, e, 3);
		}
	}
}

static size_t count_lines(const char *s, size_t n)
{
	size_t lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	return lines + (n && s[n - 1] != '\n');
}

static const char *title_of(const struct hcf_campaign *c, char *buf, size_t len)
{
	const char *abi = c->fact[HCF_CF_ABI], *tgt = c->fact[HCF_CF_TARGET];
	snprintf(buf, len, "hcfuzz campaign report%s%s%s%s", abi ? ": " : "", abi ? abi : "",
		 tgt ? " on " : "", tgt ? tgt : "");
	return buf;
}

static const char *first_seen(const struct hcf_cfinding *f, char *buf, size_t len)
{
	if (f->has_first_seen)
		return fmt_time((double)f->first_seen, buf, len);
	snprintf(buf, len, "%s", f->first_seen_text ? f->first_seen_text : "unknown");
	return buf;
}

/* ---- Markdown ---------------------------------------------------------------------------------- */

static void md_text(struct hcf_rbuf *b, const char *s)
{
	hcf_rbuf_put_md(b, s, strlen(s));
}

static void md_code(struct hcf_rbuf *b, const char *s, bool in_table)
{
	if (s && *s)
		hcf_rbuf_put_md_code(b, s, strlen(s), in_table);
	else
		hcf_rbuf_puts(b, "(none)");
}

static void md_link(struct hcf_rbuf *b, const char *name, const char *file)
{
	char *path = hcf_xasprintf("%s/%s/%s", HCF_CAMPAIGN_FINDINGS, name, file);
	hcf_rbuf_puts(b, "[");
	md_code(b, path, true);
	hcf_rbuf_puts(b, "](");
	put_href(b, path);
	hcf_rbuf_puts(b, ")");
	free(path);
}

/* A program as a fenced block: valid UTF-8, no control characters but
 * TAB and LF, a fence longer than any backtick run inside. */
static void md_program(struct hcf_rbuf *b, const char *s, size_t n, size_t more)
{
	size_t run = 0, longest = 0;
	for (size_t i = 0; i < n; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		longest = run > longest ? run : longest;
	}
	size_t flen = longest + 1 > 3 ? longest + 1 : 3;
	char *fence = hcf_xmalloc(flen + 1);
	memset(fence, '`', flen);
	fence[flen] = '\0';
	hcf_rbuf_printf(b, "%stext\n", fence);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = hcf_utf8_next((const unsigned char *)s + i, n - i, &cp);
		if (k && cp == '\r') {
			i++;
			continue;
		}
		if (!k || (cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7f)
			hcf_rbuf_puts(b, "\xef\xbf\xbd");
		else
			hcf_rbuf_put(b, s + i, k);
		i += k ? k : 1;
	}
	if (n && s[n - 1] != '\n')
		hcf_rbuf_puts(b, "\n");
	if (more)
		hcf_rbuf_printf(b, "(%zu more bytes not shown)\n", more);
	hcf_rbuf_printf(b, "%s\n\n", fence);
	free(fence);
}

static void md_finding_row(struct hcf_rbuf *b, const struct hcf_cfinding *f)
{
	char t[64];
	hcf_rbuf_puts(b, "| ");
	md_code(b, f->name, true);
	if (f->problem) {
		hcf_rbuf_puts(b, " | unreadable: ");
		md_text(b, f->problem);
		hcf_rbuf_puts(b, " | | | | | |\n");
		return;
	}
	hcf_rbuf_puts(b, " | ");
	md_code(b, f->signature, true);
	hcf_rbuf_puts(b, " | ");
	if (f->has_v)
		hcf_rbuf_printf(b, "**%s**", hcf_rpt_verdict(f->v));
	else
		md_text(b, f->verdict_name ? f->verdict_name : "unknown");
	hcf_rbuf_puts(b, " | ");
	md_text(b, first_seen(f, t, sizeof(t)));
	hcf_rbuf_puts(b, " | ");
	if (f->minimized) {
		size_t lines = count_lines(f->minimized, f->minimized_len);
		md_link(b, f->name, "minimized.hcf");
		hcf_rbuf_printf(b, ", %zu line%s (below)", lines, plural(lines));
	} else if (f->minimized_problem) {
		hcf_rbuf_puts(b, "minimized.hcf unreadable: ");
		md_text(b, f->minimized_problem);
	} else {
		hcf_rbuf_puts(b, "not minimized");
		if (f->has_program) {
			hcf_rbuf_puts(b, "; program: ");
			md_link(b, f->name, "program.hcf");
		}
	}
	hcf_rbuf_puts(b, " | ");
	if (f->has_repro)
		md_link(b, f->name, "repro.c");
	else
		hcf_rbuf_puts(b, "none");
	hcf_rbuf_puts(b, " | ");
	md_text(b, f->reason ? f->reason : "");
	hcf_rbuf_puts(b, " |\n");
}

static void md_findings(struct hcf_rbuf *b, const struct hcf_campaign *c)
{
	hcf_rbuf_puts(b, "## Findings\n\n");
	if (!c->nf) {
		hcf_rbuf_puts(b, c->has_findings_dir ? "No findings.\n\n"
						     : "No findings (no findings/ directory).\n\n");
		return;
	}
	hcf_rbuf_puts(b, "| verdict | findings |\n|---|---:|\n");
	for (int v = HCF_V_COUNT - 1; v >= 0; v--)
		if (c->tally[v])
			hcf_rbuf_printf(b, "| %s | %zu |\n", hcf_rpt_verdict((enum hcf_verdict)v),
					c->tally[v]);
	if (c->unknown_verdict)
		hcf_rbuf_printf(b, "| unknown verdict | %zu |\n", c->unknown_verdict);
	if (c->unreadable)
		hcf_rbuf_printf(b, "| unreadable | %zu |\n", c->unreadable);
	hcf_rbuf_printf(b, "| total | %zu |\n\n", c->nf);

	hcf_rbuf_puts(b, "| finding | signature | verdict | first seen (UTC) | minimized program "
			 "| reproducer | reason |\n|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < c->listed; i++)
		md_finding_row(b, &c->f[i]);
	hcf_rbuf_puts(b, "\n");
	if (c->nf > c->listed)
		hcf_rbuf_printf(b, "%zu more finding%s not listed (the least severe).\n\n",
				c->nf - c->listed, plural(c->nf - c->listed));

	bool any = false;
	for (size_t i = 0; i < c->listed; i++) {
		const struct hcf_cfinding *f = &c->f[i];
		if (!f->minimized)
			continue;
		if (!any)
			hcf_rbuf_puts(b, "### Minimized programs\n\n");
		any = true;
		hcf_rbuf_puts(b, "#### ");
		md_code(b, f->name, false);
		hcf_rbuf_puts(b, " ");
		md_code(b, f->signature, false);
		hcf_rbuf_puts(b, "\n\n");
		md_program(b, f->minimized, f->minimized_len, f->minimized_more);
	}
}

static void md_notes(struct hcf_rbuf *b, const struct hcf_campaign *c)
{
	hcf_rbuf_puts(b, "## Notes\n\n");
	if (!c->nnotes) {
		hcf_rbuf_puts(b, "Every input was read in full.\n");
		return;
	}
	hcf_rbuf_puts(b, "What the report could not use, and why:\n\n");
	for (size_t i = 0; i < c->nnotes; i++) {
		hcf_rbuf_puts(b, "- ");
		md_text(b, c->notes[i]);
		hcf_rbuf_puts(b, "\n");
	}
}

/* Why a campaign has no matrix to show. */
static const char *no_coverage(const struct hcf_campaign *c)
{
	return c->has_cov_file ? "coverage.json could not be read (Notes say why)"
			       : "the campaign directory has no coverage.json (a campaign of an hcfuzz "
				 "that did not keep one, or one stopped before its first second)";
}

static void md_coverage(struct hcf_rbuf *b, const struct hcf_campaign *c)
{
	if (c->cov) {
		hcf_cov_render_md_summary(c->cov, b, "##");
		hcf_rbuf_puts(b, "\n");
		return;
	}
	hcf_rbuf_puts(b, "## Spec coverage\n\nNo matrix: ");
	md_text(b, no_coverage(c));
	hcf_rbuf_puts(b, ".\n\n");
}

static void render_md(struct hcf_rbuf *b, const struct hcf_campaign *c, const struct facts *fs,
		      const char *generated)
{
	char t[256], a[64], d[64];
	hcf_rbuf_puts(b, "# ");
	md_text(b, title_of(c, t, sizeof(t)));
	hcf_rbuf_printf(b, "\n\nGenerated %s from ", generated);
	md_code(b, c->dir, false);
	hcf_rbuf_puts(b, ".\n\n## Campaign\n\n| fact | value |\n|---|---|\n");
	for (size_t i = 0; i < fs->n; i++) {
		hcf_rbuf_printf(b, "| %s | ", fs->v[i].label);
		if (fs->v[i].code)
			md_code(b, fs->v[i].text, true);
		else
			md_text(b, fs->v[i].text);
		hcf_rbuf_puts(b, " |\n");
	}
	if (c->nruns) {
		hcf_rbuf_puts(b, "\n### Runs\n\n| run | started (UTC) | duration | stopped |\n"
				 "|---:|---|---|---|\n");
		for (size_t i = 0; i < c->nruns; i++) {
			hcf_rbuf_printf(b, "| %zu | %s | %s | ", i + 1,
					fmt_time(c->runs[i].started, a, sizeof(a)),
					fmt_secs(c->runs[i].seconds, d, sizeof(d)));
			md_text(b, c->runs[i].stopped ? c->runs[i].stopped : "unknown");
			hcf_rbuf_puts(b, " |\n");
		}
	}
	hcf_rbuf_puts(b, "\n## Progress\n\n");
	for (size_t i = 0; i < NPLOTS; i++)
		hcf_rbuf_printf(b, "![%s](%s)\n\n", plot_defs[i].title, plot_defs[i].file);
	md_coverage(b, c);
	md_findings(b, c);
	md_notes(b, c);
}

/* ---- HTML ------------------------------------------------------------------------------------------ */

static void html_text(struct hcf_rbuf *b, const char *s)
{
	hcf_rbuf_put_xml(b, s, strlen(s), false);
}

static void html_link(struct hcf_rbuf *b, const char *name, const char *file)
{
	char *path = hcf_xasprintf("%s/%s/%s", HCF_CAMPAIGN_FINDINGS, name, file);
	hcf_rbuf_puts(b, "<a href=\"");
	put_href(b, path);
	hcf_rbuf_puts(b, "\"><code>");
	html_text(b, path);
	hcf_rbuf_puts(b, "</code></a>");
	free(path);
}

static void html_verdict(struct hcf_rbuf *b, const struct hcf_cfinding *f)
{
	if (f->has_v) {
		const char *v = hcf_rpt_verdict(f->v);
		hcf_rbuf_printf(b, "<span class=\"v v-%s\">%s</span>", v, v);
		return;
	}
	hcf_rbuf_puts(b, "<span class=\"v v-unknown\">");
	html_text(b, f->verdict_name ? f->verdict_name : "unknown");
	hcf_rbuf_puts(b, "</span>");
}

static void html_finding_row(struct hcf_rbuf *b, const struct hcf_cfinding *f)
{
	char t[64];
	hcf_rbuf_puts(b, "<tr><td><code>");
	html_text(b, f->name);
	hcf_rbuf_puts(b, "</code></td>");
	if (f->problem) {
		hcf_rbuf_puts(b, "<td colspan=\"5\" class=\"unreadable\">unreadable: ");
		html_text(b, f->problem);
		hcf_rbuf_puts(b, "</td></tr>\n");
		return;
	}
	hcf_rbuf_puts(b, "<td><code>");
	html_text(b, f->signature ? f->signature : "(none)");
	hcf_rbuf_puts(b, "</code>");
	if (f->reason && f->reason[0]) {
		hcf_rbuf_puts(b, "<div class=\"reason\">");
		html_text(b, f->reason);
		hcf_rbuf_puts(b, "</div>");
	}
	hcf_rbuf_puts(b, "</td><td>");
	html_verdict(b, f);
	hcf_rbuf_puts(b, "</td><td>");
	html_text(b, first_seen(f, t, sizeof(t)));
	hcf_rbuf_puts(b, "</td><td>");
	if (f->minimized) {
		size_t lines = count_lines(f->minimized, f->minimized_len);
		hcf_rbuf_printf(b, "<details><summary>minimized.hcf, %zu line%s</summary><pre>", lines,
				plural(lines));
		hcf_rbuf_put_xml(b, f->minimized, f->minimized_len, false);
		if (f->minimized_more)
			hcf_rbuf_printf(b, "\n(%zu more bytes not shown)", f->minimized_more);
		hcf_rbuf_puts(b, "</pre></details>");
	} else if (f->minimized_problem) {
		hcf_rbuf_puts(b, "<span class=\"unreadable\">minimized.hcf unreadable: ");
		html_text(b, f->minimized_problem);
		hcf_rbuf_puts(b, "</span>");
	} else {
		hcf_rbuf_puts(b, "not minimized");
		if (f->has_program) {
			hcf_rbuf_puts(b, "<br/>program: ");
			html_link(b, f->name, "program.hcf");
		}
	}
	hcf_rbuf_puts(b, "</td><td>");
	if (f->has_repro)
		html_link(b, f->name, "repro.c");
	else
		hcf_rbuf_puts(b, "none");
	hcf_rbuf_puts(b, "</td></tr>\n");
}

static void html_findings(struct hcf_rbuf *b, const struct hcf_campaign *c)
{
	hcf_rbuf_puts(b, "<h2>Findings</h2>\n");
	if (!c->nf) {
		hcf_rbuf_puts(b, c->has_findings_dir ? "<p>No findings.</p>\n"
						     : "<p>No findings (no findings/ directory).</p>\n");
		return;
	}
	hcf_rbuf_puts(b, "<table class=\"tally\"><thead><tr><th>verdict</th><th>findings</th></tr>"
			 "</thead><tbody>\n");
	for (int v = HCF_V_COUNT - 1; v >= 0; v--)
		if (c->tally[v]) {
			const char *name = hcf_rpt_verdict((enum hcf_verdict)v);
			hcf_rbuf_printf(b, "<tr><td><span class=\"v v-%s\">%s</span></td>"
					   "<td class=\"num\">%zu</td></tr>\n",
					name, name, c->tally[v]);
		}
	if (c->unknown_verdict)
		hcf_rbuf_printf(b, "<tr><td>unknown verdict</td><td class=\"num\">%zu</td></tr>\n",
				c->unknown_verdict);
	if (c->unreadable)
		hcf_rbuf_printf(b, "<tr><td class=\"unreadable\">unreadable</td>"
				   "<td class=\"num\">%zu</td></tr>\n",
				c->unreadable);
	hcf_rbuf_printf(b, "<tr><th>total</th><td class=\"num\">%zu</td></tr>\n</tbody></table>\n",
			c->nf);
	hcf_rbuf_puts(b, "<table class=\"findings\"><thead><tr><th>finding</th><th>signature</th>"
			 "<th>verdict</th><th>first seen (UTC)</th><th>minimized program</th>"
			 "<th>reproducer</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < c->listed; i++)
		html_finding_row(b, &c->f[i]);
	hcf_rbuf_puts(b, "</tbody></table>\n");
	if (c->nf > c->listed)
		hcf_rbuf_printf(b, "<p>%zu more finding%s not listed (the least severe).</p>\n",
				c->nf - c->listed, plural(c->nf - c->listed));
}

static void render_html(struct hcf_rbuf *b, const struct hcf_campaign *c, const struct facts *fs,
			const char *generated, struct hcf_rbuf *plots)
{
	char t[256], a[64], d[64];
	title_of(c, t, sizeof(t));
	hcf_rbuf_puts(b, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
			 "<head>\n<meta charset=\"utf-8\"/>\n"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
			 "<title>");
	html_text(b, t);
	hcf_rbuf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", css);
	html_text(b, t);
	hcf_rbuf_printf(b, "</h1>\n<p class=\"sub\">Generated %s from <code>", generated);
	html_text(b, c->dir);
	hcf_rbuf_puts(b, "</code>.</p>\n<h2>Campaign</h2>\n<table class=\"facts\"><tbody>\n");
	for (size_t i = 0; i < fs->n; i++) {
		hcf_rbuf_printf(b, "<tr><th>%s</th><td>%s", fs->v[i].label,
				fs->v[i].code ? "<code>" : "");
		html_text(b, fs->v[i].text);
		hcf_rbuf_printf(b, "%s</td></tr>\n", fs->v[i].code ? "</code>" : "");
	}
	hcf_rbuf_puts(b, "</tbody></table>\n");
	if (c->nruns) {
		hcf_rbuf_puts(b, "<h3>Runs</h3>\n<table class=\"runs\"><thead><tr><th>run</th>"
				 "<th>started (UTC)</th><th>duration</th><th>stopped</th></tr></thead>"
				 "<tbody>\n");
		for (size_t i = 0; i < c->nruns; i++) {
			hcf_rbuf_printf(b, "<tr><td class=\"num\">%zu</td><td>%s</td><td>%s</td><td>",
					i + 1, fmt_time(c->runs[i].started, a, sizeof(a)),
					fmt_secs(c->runs[i].seconds, d, sizeof(d)));
			html_text(b, c->runs[i].stopped ? c->runs[i].stopped : "unknown");
			hcf_rbuf_puts(b, "</td></tr>\n");
		}
		hcf_rbuf_puts(b, "</tbody></table>\n");
	}
	hcf_rbuf_puts(b, "<h2>Progress</h2>\n<div class=\"plots\">\n");
	for (size_t i = 0; i < NPLOTS; i++)
		hcf_rbuf_puts(b, hcf_rbuf_str(&plots[i]));
	hcf_rbuf_puts(b, "</div>\n<h2>Spec coverage</h2>\n");
	if (c->cov) {
		hcf_cov_render_html_summary(c->cov, b);
		hcf_rbuf_puts(b, "<p>The heat map: <a href=\"" HCF_CAMPAIGN_COVERAGE_HTML "\"><code>"
				 HCF_CAMPAIGN_COVERAGE_HTML "</code></a>; the tables: <a href=\""
				 HCF_CAMPAIGN_COVERAGE_MD "\"><code>" HCF_CAMPAIGN_COVERAGE_MD
				 "</code></a>.</p>\n");
	} else {
		hcf_rbuf_puts(b, "<p>No matrix: ");
		html_text(b, no_coverage(c));
		hcf_rbuf_puts(b, ".</p>\n");
	}
	html_findings(b, c);
	hcf_rbuf_puts(b, "<h2>Notes</h2>\n");
	if (!c->nnotes) {
		hcf_rbuf_puts(b, "<p>Every input was read in full.</p>\n");
	} else {
		hcf_rbuf_puts(b, "<p>What the report could not use, and why:</p>\n<ul class=\"notes\">\n");
		for (size_t i = 0; i < c->nnotes; i++) {
			hcf_rbuf_puts(b, "<li>");
			html_text(b, c->notes[i]);
			hcf_rbuf_puts(b, "</li>\n");
		}
		hcf_rbuf_puts(b, "</ul>\n");
	}
	hcf_rbuf_puts(b, "</body>\n</html>\n");
}

/* coverage.md and coverage.html: the matrix, or why there is none. */
static void render_coverage(const struct hcf_campaign *c, struct hcf_rbuf *md, struct hcf_rbuf *html)
{
	if (c->cov) {
		hcf_cov_render_md(c->cov, md);
		hcf_cov_render_html(c->cov, html);
		return;
	}
	hcf_rbuf_puts(md, "# Spec coverage\n\nNo matrix: ");
	md_text(md, no_coverage(c));
	hcf_rbuf_puts(md, ".\n");
	hcf_rbuf_puts(html, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
			    "<head>\n<meta charset=\"utf-8\"/>\n<title>Spec coverage</title>\n</head>\n"
			    "<body>\n<h1>Spec coverage</h1>\n<p>No matrix: ");
	html_text(html, no_coverage(c));
	hcf_rbuf_puts(html, ".</p>\n</body>\n</html>\n");
}

/* ---- files ------------------------------------------------------------------------------------------- */

static const char *file_name(size_t i)
{
	static const char *const main_files[] = { HCF_CAMPAIGN_REPORT_HTML, HCF_CAMPAIGN_REPORT_MD };
	static const char *const cov_files[] = { HCF_CAMPAIGN_COVERAGE_MD, HCF_CAMPAIGN_COVERAGE_HTML };
	return i < 2 ? main_files[i] : i < 2 + NPLOTS ? plot_defs[i - 2].file : cov_files[i - 2 - NPLOTS];
}

/* Temporaries of a report killed while writing (".report.md.tmp.PID" from
 * hcf_atomic_open) whose process is gone; another report being written
 * into the directory right now keeps its own. */
static void remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		for (size_t i = 0; i < NFILES; i++) {
			const char *name = file_name(i);
			size_t fl = strlen(name);
			if (e->d_name[0] != '.' || strncmp(e->d_name + 1, name, fl) ||
			    strncmp(e->d_name + 1 + fl, ".tmp.", 5))
				continue;
			char *end;
			long pid = strtol(e->d_name + 1 + fl + 5, &end, 10);
			if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
				continue;
			char *p = hcf_xasprintf("%s/%s", dir, e->d_name);
			unlink(p);   /* best effort: a leftover does not stop the report */
			free(p);
		}
	}
	closedir(d);
}

static void abort_all(struct hcf_atomic_file *af, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hcf_atomic_abort(&af[i]);
}

/* Phase 2: write and fsync every file, then rename them all. */
static int write_all(const char *dir, struct hcf_atomic_file *af, struct hcf_rbuf *text,
		     char *err, size_t errlen)
{
	for (size_t i = 0; i < NFILES; i++) {
		errno = 0;
		bool ok = fwrite(text[i].p ? text[i].p : "", 1, text[i].len, af[i].f) == text[i].len &&
			  fflush(af[i].f) == 0 && fsync(fileno(af[i].f)) == 0;
		if (!ok) {
			hcf_set_err(err, errlen, "writing %s/%s failed: %s", dir, file_name(i),
				strerror(errno ? errno : EIO));
			abort_all(af, NFILES);
			return -1;
		}
	}
	/* After a failed rename the rest are dropped: an old report.html next to
	 * new plots would be worse than the old files untouched. */
	int rc = 0;
	for (size_t i = 0; i < NFILES; i++) {
		if (rc != 0) {
			hcf_atomic_abort(&af[i]);
		} else if (hcf_atomic_commit(&af[i]) != 0) {
			hcf_set_err(err, errlen, "writing %s/%s failed: %s", dir, file_name(i),
				strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

int hcf_campaign_report(const char *dir, const struct hcf_campaign_report_opts *opts, char *err,
			size_t errlen)
{
	static const struct hcf_campaign_report_opts defaults = { 0 };
	if (!opts)
		opts = &defaults;
	if (!dir || !*dir) {
		hcf_set_err(err, errlen, "no campaign directory given");
		return -1;
	}
	/* Phase 1: the directory must take every file before anything is read,
	 * so an unwritable directory fails at once and without warnings. */
	struct hcf_atomic_file af[NFILES];
	memset(af, 0, sizeof(af));
	remove_stale(dir);
	for (size_t i = 0; i < NFILES; i++) {
		char *path = hcf_xasprintf("%s/%s", dir, file_name(i));
		int rc = hcf_atomic_open(&af[i], path);
		int e = errno;
		free(path);
		if (rc != 0) {
			hcf_set_err(err, errlen, "cannot write %s/%s: %s", dir, file_name(i), strerror(e));
			abort_all(af, i);
			return -1;
		}
	}

	struct hcf_campaign c;
	memset(&c, 0, sizeof(c));
	hcf_campaign_read(&c, dir, opts->quiet ? NULL : opts->warn ? opts->warn : stderr,
			  opts->max_findings ? opts->max_findings : HCF_CAMPAIGN_MAX_FINDINGS);

	char generated[40];
	time_t now = opts->generated ? opts->generated : time(NULL);
	fmt_time((double)now, generated, sizeof(generated));
	struct facts fs = { .n = 0 };
	build_facts(&c, &fs);

	struct hcf_rbuf text[NFILES];
	memset(text, 0, sizeof(text));
	struct hcf_rbuf plots[NPLOTS];
	memset(plots, 0, sizeof(plots));
	for (size_t i = 0; i < NPLOTS; i++) {
		build_plot(&c, &plot_defs[i], &plots[i]);
		/* the file is the inline chart behind an XML declaration */
		hcf_rbuf_puts(&text[2 + i], "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
		hcf_rbuf_puts(&text[2 + i], hcf_rbuf_str(&plots[i]));
	}
	render_html(&text[0], &c, &fs, generated, plots);
	render_md(&text[1], &c, &fs, generated);
	render_coverage(&c, &text[COV_MD_FILE], &text[COV_HTML_FILE]);

	int rc = write_all(c.dir, af, text, err, errlen);
	if (opts->stats)
		*opts->stats = (struct hcf_campaign_report_stats){
			.findings = c.nf,
			.unreadable = c.unreadable,
			.stats_rows = c.rows_used,
			.problems = c.problems,
		};
	for (size_t i = 0; i < NFILES; i++)
		hcf_rbuf_free(&text[i]);
	for (size_t i = 0; i < NPLOTS; i++)
		hcf_rbuf_free(&plots[i]);
	facts_free(&fs);
	hcf_campaign_free(&c);
	return rc;
}

int hcf_campaign_dir_check(const char *dir, char *err, size_t errlen)
{
	static const char *const marks[] = { HCF_CAMPAIGN_JSON, HCF_CAMPAIGN_STATS,
					     HCF_CAMPAIGN_FINDINGS };
	struct stat st;
	if (!dir || !*dir) {
		hcf_set_err(err, errlen, "no campaign directory given");
		return -1;
	}
	if (stat(dir, &st) != 0) {
		hcf_set_err(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		hcf_set_err(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		char *p = hcf_xasprintf("%s/%s", dir, marks[i]);
		int r = lstat(p, &st);
		free(p);
		if (r == 0)
			return 0;
	}
	hcf_set_err(err, errlen, "%s: not a campaign directory (no %s, %s or %s/)", dir,
		HCF_CAMPAIGN_JSON, HCF_CAMPAIGN_STATS, HCF_CAMPAIGN_FINDINGS);
	return -1;
}
