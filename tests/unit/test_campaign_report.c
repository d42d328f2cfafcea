/* test_campaign_report.c: the SVG line charts and the campaign report on hand-built campaign directories. */
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "reports/campaign_report.h"
#include "reports/report_util.h"
#include "reports/svg_plot.h"
#include "util/fileio.h"
#include "util/xalloc.h"

/* strstr that shows the whole text when the needle is missing. */
#define assert_contains(text, needle)                                                    \
	do {                                                                                 \
		if (!strstr((text), (needle)))                                               \
			fail_msg("missing \"%s\" in:\n%s", (needle), (text));                \
	} while (0)
#define assert_lacks(text, needle)                                                       \
	do {                                                                                 \
		if (strstr((text), (needle)))                                                \
			fail_msg("unexpected \"%s\" in:\n%s", (needle), (text));             \
	} while (0)

/* ---- files and directories ----------------------------------------------------------- */

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		unlink(dir);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = hcf_xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			chmod(p, 0700);
			rm_tree(p);
		} else {
			unlink(p);
		}
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

static char *make_tmpdir(void)
{
	char *dir = hcf_xstrdup("/tmp/hcf-creport-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void put_bytes(const char *dir, const char *rel, const void *data, size_t n)
{
	char *p = hcf_xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(p, "wb");
	if (!f)
		fail_msg("cannot create %s: %s", p, strerror(errno));
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	free(p);
}

static void put_file(const char *dir, const char *rel, const char *text)
{
	put_bytes(dir, rel, text, strlen(text));
}

static void make_dir(const char *dir, const char *rel)
{
	char *p = hcf_xasprintf("%s/%s", dir, rel);
	assert_int_equal(hcf_mkdir_p(p, 0755), 0);
	free(p);
}

static char *slurp(const char *dir, const char *rel)
{
	char *p = hcf_xasprintf("%s/%s", dir, rel);
	size_t n;
	char *t = hcf_read_file(p, 64u << 20, &n);
	if (!t)
		fail_msg("cannot read %s: %s", p, strerror(errno));
	free(p);
	return t;
}

static bool exists(const char *dir, const char *rel)
{
	char *p = hcf_xasprintf("%s/%s", dir, rel);
	struct stat st;
	bool r = stat(p, &st) == 0;
	free(p);
	return r;
}

/* Names in dir containing ".tmp.": temporaries left behind. */
static size_t count_temps(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strstr(e->d_name, ".tmp.") != NULL;
	closedir(d);
	return n;
}

/* ---- XML checks -------------------------------------------------------------------- */

static bool have_xmllint(void)
{
	static int have = -1;
	if (have < 0)
		have = system("command -v xmllint >/dev/null 2>&1") == 0;
	return have;
}

/* xmllint --noout on dir/rel; a missing xmllint is a printed SKIP, never a pass. */
static void assert_well_formed(const char *dir, const char *rel)
{
	if (!have_xmllint()) {
		print_message("SKIP: xmllint not installed (libxml2-utils); %s not checked by an "
			      "XML parser\n",
			      rel);
		return;
	}
	char *cmd = hcf_xasprintf("xmllint --noout '%s/%s'", dir, rel);
	int rc = system(cmd);
	if (rc != 0)
		fail_msg("%s is not well-formed XML (xmllint exit %d)", rel, rc);
	free(cmd);
}

/* The same for text in memory. */
static void assert_text_well_formed(const char *text)
{
	char *dir = make_tmpdir();
	put_file(dir, "t.svg", text);
	assert_well_formed(dir, "t.svg");
	rm_tree(dir);
	free(dir);
}

/* xmllint --xpath's answer for expr on dir/rel, or NULL without xmllint. */
static char *xpath(const char *dir, const char *rel, const char *expr)
{
	if (!have_xmllint()) {
		print_message("SKIP: xmllint not installed; xpath %s on %s not checked\n", expr, rel);
		return NULL;
	}
	char *cmd = hcf_xasprintf("xmllint --xpath \"%s\" '%s/%s' 2>/dev/null", expr, dir, rel);
	FILE *p = popen(cmd, "r");
	free(cmd);
	assert_non_null(p);
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	pclose(p);
	return hcf_xstrdup(buf);
}

/* Points in every <polyline> of text; their pixel coordinates go to the
 * callback-free checks below: all within [0, w] x [0, h]. */
static size_t polyline_points(const char *text, double w, double h, double *ymin_px)
{
	size_t n = 0;
	double ymin = INFINITY;
	for (const char *p = strstr(text, "<polyline"); p; p = strstr(p + 1, "<polyline")) {
		const char *q = strstr(p, "points=\"");
		assert_non_null(q);
		q += 8;
		while (*q != '"') {
			char *end;
			double x = strtod(q, &end);
			assert_true(end != q && *end == ',');
			double y = strtod(end + 1, &end);
			if (!(x >= 0 && x <= w && y >= 0 && y <= h))
				fail_msg("point %g,%g outside the %gx%g chart", x, y, w, h);
			ymin = y < ymin ? y : ymin;
			n++;
			q = end;
			while (*q == ' ')
				q++;
		}
	}
	if (ymin_px)
		*ymin_px = ymin;
	return n;
}

static size_t count_str(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* No "nan" or "inf" can appear in a number the chart wrote. */
static void assert_no_bad_numbers(const char *svg)
{
	static const char *const bad[] = { "nan", "NaN", "inf", "-nan" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char q1[16], q2[16];
		snprintf(q1, sizeof(q1), "\"%s", bad[i]);
		snprintf(q2, sizeof(q2), ">%s", bad[i]);
		assert_lacks(svg, q1);
		assert_lacks(svg, q2);
	}
}

/* ---- svg_plot ------------------------------------------------------------------------- */

static size_t chart(struct hcf_rbuf *b, const struct hcf_svg_point *pts, size_t n, bool from_zero)
{
	struct hcf_svg_series s = { .name = "y", .pts = pts, .n = n };
	struct hcf_svg_chart c = { .title = "T", .x_label = "the x axis", .y_label = "the y axis",
				   .series = &s, .nseries = 1, .y_from_zero = from_zero };
	return hcf_svg_line_chart(b, &c);
}

static void test_svg_empty(void **state)
{
	(void)state;
	/* no chart, no series, a series without points: the frame and "no data" */
	struct hcf_rbuf b = { 0 };
	assert_int_equal(hcf_svg_line_chart(&b, NULL), 0);
	assert_contains(hcf_rbuf_str(&b), "no data");
	assert_text_well_formed(hcf_rbuf_str(&b));
	hcf_rbuf_free(&b);

	struct hcf_svg_chart c = { .title = "Empty", .empty_text = "no data: stats.csv missing" };
	assert_int_equal(hcf_svg_line_chart(&b, &c), 0);
	assert_contains(hcf_rbuf_str(&b), ">no data: stats.csv missing</text>");
	assert_lacks(hcf_rbuf_str(&b), "<polyline");
	hcf_rbuf_free(&b);

	assert_int_equal(chart(&b, NULL, 0, true), 0);
	const char *t = hcf_rbuf_str(&b);
	assert_contains(t, ">no data</text>");
	assert_contains(t, ">the x axis</text>");
	assert_contains(t, ">the y axis</text>");
	assert_lacks(t, "<polyline");
	assert_lacks(t, "<circle");
	assert_no_bad_numbers(t);
	assert_text_well_formed(t);
	hcf_rbuf_free(&b);

	/* only NaN and infinities: nothing drawable */
	struct hcf_svg_point bad[] = { { NAN, 1 }, { 1, NAN }, { INFINITY, 2 }, { 3, -INFINITY } };
	assert_int_equal(chart(&b, bad, 4, false), 0);
	assert_contains(hcf_rbuf_str(&b), ">no data</text>");
	assert_no_bad_numbers(hcf_rbuf_str(&b));
	hcf_rbuf_free(&b);
}

static void test_svg_one_point(void **state)
{
	(void)state;
	struct hcf_rbuf b = { 0 };
	struct hcf_svg_point p = { 10, 5 };
	assert_int_equal(chart(&b, &p, 1, false), 1);
	const char *t = hcf_rbuf_str(&b);
	assert_int_equal(count_str(t, "<circle"), 1);
	assert_lacks(t, "<polyline");
	/* the widened range still has labelled ticks */
	assert_true(count_str(t, "text-anchor=\"end\">") >= 2);
	assert_no_bad_numbers(t);
	assert_text_well_formed(t);
	hcf_rbuf_free(&b);

	/* the one point at the origin */
	struct hcf_svg_point z = { 0, 0 };
	assert_int_equal(chart(&b, &z, 1, false), 1);
	assert_no_bad_numbers(hcf_rbuf_str(&b));
	assert_text_well_formed(hcf_rbuf_str(&b));
	hcf_rbuf_free(&b);
}

static void test_svg_flat(void **state)
{
	(void)state;
	struct hcf_svg_point pts[50];
	for (int i = 0; i < 50; i++)
		pts[i] = (struct hcf_svg_point){ i, 42 };
	struct hcf_rbuf b = { 0 };
	assert_int_equal(chart(&b, pts, 50, false), 50);
	const char *t = hcf_rbuf_str(&b);
	assert_int_equal(polyline_points(t, 720, 300, NULL), 50);
	/* distinct y labels around 42, and 42 itself between them */
	assert_true(count_str(t, "text-anchor=\"end\">") >= 2);
	assert_contains(t, "text-anchor=\"end\">42</text>");
	assert_text_well_formed(t);
	hcf_rbuf_free(&b);

	/* all zero */
	for (int i = 0; i < 50; i++)
		pts[i].y = 0;
	assert_int_equal(chart(&b, pts, 50, false), 50);
	assert_contains(hcf_rbuf_str(&b), "text-anchor=\"end\">1.0</text>");
	assert_no_bad_numbers(hcf_rbuf_str(&b));
	hcf_rbuf_free(&b);
}

static void test_svg_huge(void **state)
{
	(void)state;
	struct hcf_svg_point pts[] = {
		{ 0, 1e18 }, { 1, 1.8446744073709552e19 }, { 2, DBL_MAX }, { 3, -DBL_MAX },
		{ 4, NAN }, { INFINITY, 5 }, { 6, 1e-320 }, { DBL_MAX, 7 },
	};
	struct hcf_rbuf b = { 0 };
	assert_int_equal(chart(&b, pts, 8, true), 6);
	const char *t = hcf_rbuf_str(&b);
	assert_int_equal(polyline_points(t, 720, 300, NULL), 6);
	assert_no_bad_numbers(t);
	assert_contains(t, "e+300");
	assert_text_well_formed(t);
	hcf_rbuf_free(&b);

	/* huge values with a tiny spread: the range is widened, not sliced into ULPs */
	struct hcf_svg_point close[] = { { 0, 1e18 }, { 1, 1e18 + 1024 }, { 2, 1e18 + 2048 } };
	assert_int_equal(chart(&b, close, 3, false), 3);
	t = hcf_rbuf_str(&b);
	assert_true(count_str(t, "text-anchor=\"end\">") <= 12);
	assert_no_bad_numbers(t);
	assert_text_well_formed(t);
	hcf_rbuf_free(&b);
}

static void test_svg_labels(void **state)
{
	(void)state;
	static const struct {
		double v, step, maxabs;
		const char *want;
	} nums[] = {
		{ 0, 20, 100, "0" },
		{ 40, 20, 100, "40" },
		{ 5000, 1000, 5000, "5000" },
		{ 20000, 20000, 100000, "20k" },
		{ 2500, 2500, 10000, "2.5k" },
		{ 1500000, 500000, 2000000, "1.5M" },
		{ 0.30000000000000004, 0.1, 1, "0.3" },
		{ 1e-17, 0.1, 1, "0" },
		{ 1.5e300, 5e299, 1.5e300, "1.5e+300" },
		{ 3e18, 1e18, 5e18, "3E" },
		{ 10002, 0.5, 10002, "10002.0" },
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		char buf[64];
		const char *got = hcf_svg_fmt_number(nums[i].v, nums[i].step, nums[i].maxabs, buf,
						     sizeof(buf));
		if (strcmp(got, nums[i].want))
			fail_msg("number %g step %g: expected %s got %s", nums[i].v, nums[i].step,
				 nums[i].want, got);
	}
	static const struct {
		double s, step;
		const char *want;
	} durs[] = {
		{ 0, 60, "0" },      { 30, 10, "30s" },     { 90, 30, "1m30s" },
		{ 3600, 900, "1h" }, { 5400, 1800, "1h30m" }, { 172800, 86400, "2d" },
		{ 0.5, 0.5, "0.5s" }, { 93784, 3600, "1d2h" },
	};
	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		char buf[64];
		const char *got = hcf_svg_fmt_duration(durs[i].s, durs[i].step, buf, sizeof(buf));
		if (strcmp(got, durs[i].want))
			fail_msg("duration %g: expected %s got %s", durs[i].s, durs[i].want, got);
	}

	/* nice ticks on a chart: 0..97 gives 0 20 40 60 80 100 */
	struct hcf_svg_point pts[] = { { 0, 3 }, { 1, 97 } };
	struct hcf_rbuf b = { 0 };
	chart(&b, pts, 2, true);
	static const char *const ticks[] = { ">0</text>", ">20</text>", ">40</text>", ">60</text>",
					     ">80</text>", ">100</text>" };
	for (size_t i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++)
		assert_contains(hcf_rbuf_str(&b), ticks[i]);
	hcf_rbuf_free(&b);

	/* a duration axis over two hours ticks on whole units */
	struct hcf_svg_point tp[] = { { 0, 1 }, { 7200, 2 } };
	struct hcf_svg_series s = { .pts = tp, .n = 2 };
	struct hcf_svg_chart c = { .series = &s, .nseries = 1, .x_kind = HCF_SVG_AXIS_DURATION };
	hcf_svg_line_chart(&b, &c);
	assert_contains(hcf_rbuf_str(&b), ">1h</text>");
	assert_contains(hcf_rbuf_str(&b), ">2h</text>");
	assert_contains(hcf_rbuf_str(&b), ">30m</text>");
	hcf_rbuf_free(&b);
}

static void test_svg_escape_legend_markers(void **state)
{
	(void)state;
	struct hcf_svg_point p1[] = { { 0, 1 }, { 10, 2 } }, p2[] = { { 0, 2 }, { 10, 1 } };
	struct hcf_svg_series s[] = {
		{ .name = "a<b>&\"'", .color = "#123456", .pts = p1, .n = 2 },
		{ .name = "ctl\x01\x1b[31m", .color = "\"><script/>", .pts = p2, .n = 2 },
	};
	struct hcf_svg_marker m[] = { { 5, "run <2>" }, { 50, "outside" }, { NAN, "nan" } };
	struct hcf_svg_chart c = { .title = "</svg><x>&amp;", .x_label = "x & y", .y_label = "\xff\xfe",
				   .series = s, .nseries = 2, .markers = m, .nmarkers = 3,
				   .standalone = true };
	struct hcf_rbuf b = { 0 };
	assert_int_equal(hcf_svg_line_chart(&b, &c), 4);
	const char *t = hcf_rbuf_str(&b);
	assert_true(!strncmp(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44));
	assert_contains(t, "&lt;/svg&gt;&lt;x&gt;&amp;amp;");
	assert_contains(t, ">a&lt;b&gt;&amp;&quot;&apos;</text>");   /* the legend */
	assert_contains(t, "stroke=\"#123456\"");
	assert_contains(t, "&quot;&gt;&lt;script/&gt;");
	assert_contains(t, ">run &lt;2&gt;</text>");
	assert_lacks(t, ">outside<");
	assert_int_equal(count_str(t, "stroke-dasharray"), 1);
	assert_lacks(t, "\x1b");
	assert_true(hcf_utf8_valid(t, strlen(t)));
	assert_text_well_formed(t);
	hcf_rbuf_free(&b);
}

static void test_svg_decimate(void **state)
{
	(void)state;
	size_t n = 10000;
	struct hcf_svg_point *pts = hcf_xcalloc(n, sizeof(*pts));
	for (size_t i = 0; i < n; i++)
		pts[i] = (struct hcf_svg_point){ (double)i, (double)(i % 17) };
	pts[5003].y = 1000;   /* one spike must survive */
	struct hcf_svg_series s = { .pts = pts, .n = n };
	struct hcf_svg_chart c = { .series = &s, .nseries = 1, .max_points = 500 };
	struct hcf_rbuf b = { 0 };
	size_t drawn = hcf_svg_line_chart(&b, &c);
	assert_true(drawn <= 500 && drawn >= 250);
	double top_few;
	assert_int_equal(polyline_points(hcf_rbuf_str(&b), 720, 300, &top_few), drawn);
	hcf_rbuf_free(&b);

	c.max_points = n;
	assert_int_equal(hcf_svg_line_chart(&b, &c), n);
	double top_all;
	polyline_points(hcf_rbuf_str(&b), 720, 300, &top_all);
	assert_true(fabs(top_few - top_all) < 0.05);
	hcf_rbuf_free(&b);

	/* the default cap */
	c.max_points = 0;
	assert_true(hcf_svg_line_chart(&b, &c) <= HCF_SVG_MAX_POINTS);
	hcf_rbuf_free(&b);
	free(pts);
}

/* ---- campaign directories ------------------------------------------------------------- */

#define T_START1 1795200000
#define T_START2 1795300000
#define T_GENERATED 1795400000

static const char campaign_json[] =
	"{\"version\": 1, \"spec\": \"specs/pvm.yaml\", \"abi\": \"pvm\", \"engine\": \"libfuzzer\",\n"
	" \"jobs\": 4, \"target\": \"kvm\", \"hypervisor\": \"pvm\",\n"
	" \"runs\": [{\"started_unix\": 1795200000, \"seconds\": 150.5, \"stopped\": \"interrupted\"},\n"
	"          {\"started_unix\": 1795300000, \"seconds\": 150, \"stopped\": \"time limit\"}],\n"
	" \"kcov\": \"not available: no /sys/kernel/debug/kcov\"}\n";

static const char stats_header[] = "unix_time,elapsed_s,execs,execs_per_s,calls,calls_per_s,"
				   "corpus,features,findings,since_new_feature_s\n";

/* rows [from, to) of a two-run campaign: run 2 from row 150 on, elapsed
 * cumulative; 1000 execs/s, 3 calls per exec */
static void stats_rows(struct hcf_rbuf *b, int from, int to)
{
	for (int i = from; i < to; i++) {
		long t = i < 150 ? T_START1 + i : T_START2 + (i - 150);
		hcf_rbuf_printf(b, "%ld,%d,%d,%.1f,%d,%.1f,%d,%d,%d,%d\n", t, i + 1, (i + 1) * 1000,
				1000.0 + (i % 10), (i + 1) * 3000, 3000.0 + (i % 10), 10 + i / 3,
				100 + 10 * i, i / 100, i % 7);
	}
}

struct fnd {
	const char *id, *verdict, *sig;
	long first_seen;
	const char *minimized, *repro;
	bool program;
};

static void put_finding(const char *dir, const struct fnd *f)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "findings/%s", f->id);
	make_dir(dir, rel);
	char *json = hcf_xasprintf(
		"{\"version\": 1, \"id\": \"%s\", \"signature\": \"%s\", \"verdict\": \"%s\",\n"
		" \"reason\": \"reason of %s\", \"first_seen\": \"x\", \"first_seen_unix\": %ld,\n"
		" \"minimized\": %s, \"calls\": []}\n",
		f->id, f->sig, f->verdict, f->id, f->first_seen, f->minimized ? "true" : "false");
	snprintf(rel, sizeof(rel), "findings/%s/finding.json", f->id);
	put_file(dir, rel, json);
	free(json);
	if (f->minimized) {
		snprintf(rel, sizeof(rel), "findings/%s/minimized.hcf", f->id);
		put_file(dir, rel, f->minimized);
	}
	if (f->repro) {
		snprintf(rel, sizeof(rel), "findings/%s/repro.c", f->id);
		put_file(dir, rel, f->repro);
	}
	if (f->program) {
		snprintf(rel, sizeof(rel), "findings/%s/program.hcf", f->id);
		put_file(dir, rel, "abi pvm\ncall invlpg\n");
	}
}

static const struct fnd std_findings[] = {
	{ "00000000000000a1", "FAIL", "clobber|invlpg|rax|returned", T_START1 + 50,
	  "abi pvm\ncall invlpg rax=0x1 # `tick`\ncall nr=0x99 <&>\n", "int main(void) { return 0; }\n",
	  true },
	{ "00000000000000b2", "HANG", "liveness|kick|-|hang", T_START1 + 100, NULL, NULL, true },
	{ "00000000000000c3", "CRASH", "liveness|undeclared|-|lost:shutdown", T_START2 + 10,
	  "abi pvm\ncall nr=0x1234\n", NULL, true },
};

/* A full campaign: campaign.json, 300 rows over two runs plus a torn last
 * line, three findings and one unreadable finding.json. */
static char *standard_campaign(void)
{
	char *dir = make_tmpdir();
	put_file(dir, "campaign.json", campaign_json);
	struct hcf_rbuf b = { 0 };
	hcf_rbuf_puts(&b, stats_header);
	stats_rows(&b, 0, 300);
	hcf_rbuf_puts(&b, "1795300151,301,30");   /* killed mid-line */
	put_file(dir, "stats.csv", hcf_rbuf_str(&b));
	hcf_rbuf_free(&b);
	for (size_t i = 0; i < sizeof(std_findings) / sizeof(std_findings[0]); i++)
		put_finding(dir, &std_findings[i]);
	make_dir(dir, "findings/00000000000000d4");
	put_file(dir, "findings/00000000000000d4/finding.json", "{\"version\": 1, \"id\": \"0000");
	return dir;
}

/* Run the report with warnings captured; returns them (the caller frees). */
static char *report(const char *dir, int want_rc, struct hcf_campaign_report_stats *st,
		    size_t max_findings)
{
	FILE *w = tmpfile();
	assert_non_null(w);
	char err[512] = "";
	struct hcf_campaign_report_opts o = { .warn = w, .generated = T_GENERATED,
					      .stats = st, .max_findings = max_findings };
	int rc = hcf_campaign_report(dir, &o, err, sizeof(err));
	if (rc != want_rc)
		fail_msg("hcf_campaign_report %s returned %d (%s)", dir, rc, err);
	if (rc == 0)
		assert_string_equal(err, "");
	long n = ftell(w);
	char *text = hcf_xcalloc(1, (size_t)n + 1);
	rewind(w);
	assert_int_equal(fread(text, 1, (size_t)n, w), (size_t)n);
	fclose(w);
	return text;
}

static const char *const plot_files[] = { "plot-execs.svg", "plot-features.svg",
					  "plot-calls.svg", "plot-findings.svg" };

static void test_report_full(void **state)
{
	(void)state;
	char *dir = standard_campaign();
	struct hcf_campaign_report_stats st;
	char *warn = report(dir, 0, &st, 0);
	assert_int_equal(st.findings, 4);
	assert_int_equal(st.unreadable, 1);
	assert_int_equal(st.stats_rows, 300);
	assert_true(st.problems >= 2);

	/* warnings on the stream, naming the file and the line */
	char *want = hcf_xasprintf("warning: %s/stats.csv line 302: no line end", dir);
	assert_contains(warn, want);
	free(want);
	assert_contains(warn, "findings/00000000000000d4: finding.json line 1 column");

	char *md = slurp(dir, "report.md");
	assert_contains(md, "# hcfuzz campaign report: pvm on kvm\n");
	assert_contains(md, "Generated 2026-11-23T");
	assert_contains(md, "| spec | `specs/pvm.yaml` |\n");
	assert_contains(md, "| engine | libfuzzer |\n");
	assert_contains(md, "| jobs | 4 |\n");
	assert_contains(md, "| coverage (kcov) | not available: no /sys/kernel/debug/kcov |\n");
	assert_contains(md, "| runs | 2 |\n");
	assert_contains(md, "| fuzzing time | 5m1s (300.5 s) |\n");
	assert_contains(md, "| executions | 300,000 (998/s on average) |\n");
	assert_contains(md, "| calls | 900,000 (2,995/s on average) |\n");
	assert_contains(md, "| features | 3,090 (the last new one 5.0 s before the last sample) |\n");
	assert_contains(md, "| findings | 4 (1 CRASH, 1 HANG, 1 FAIL, 1 unreadable) |\n");
	assert_contains(md, "| stats.csv | 300 rows used, 1 skipped |\n");
	assert_contains(md, "| 1 | 2026-11-20T18:40:00Z | 2m31s (150.5 s) | interrupted |\n");
	assert_contains(md, "| 2 | 2026-11-21T22:26:40Z | 2m30s (150.0 s) | time limit |\n");
	/* plots as image references to the files written beside it */
	assert_contains(md, "![Executions per second](plot-execs.svg)\n");
	assert_contains(md, "![Coverage features](plot-features.svg)\n");
	assert_contains(md, "![Calls per second](plot-calls.svg)\n");
	assert_contains(md, "![Findings](plot-findings.svg)\n");
	/* the tally */
	assert_contains(md, "| CRASH | 1 |\n| HANG | 1 |\n| FAIL | 1 |\n| unreadable | 1 |\n"
			    "| total | 4 |\n");
	/* the findings table, most severe first, unreadable last */
	const char *crash = strstr(md, "| `00000000000000c3` | `liveness\\|undeclared\\|-\\|lost:shutdown` "
				       "| **CRASH** | 2026-11-21T22:26:50Z | "
				       "[`findings/00000000000000c3/minimized.hcf`]"
				       "(findings/00000000000000c3/minimized.hcf), 2 lines (below) "
				       "| none | reason of 00000000000000c3 |\n");
	const char *hang = strstr(md, "| `00000000000000b2` | `liveness\\|kick\\|-\\|hang` | **HANG** | "
				      "2026-11-20T18:41:40Z | not minimized; program: "
				      "[`findings/00000000000000b2/program.hcf`]"
				      "(findings/00000000000000b2/program.hcf) | none |");
	const char *fail = strstr(md, "| `00000000000000a1` | `clobber\\|invlpg\\|rax\\|returned` | "
				      "**FAIL** | 2026-11-20T18:40:50Z | "
				      "[`findings/00000000000000a1/minimized.hcf`]"
				      "(findings/00000000000000a1/minimized.hcf), 3 lines (below) | "
				      "[`findings/00000000000000a1/repro.c`]"
				      "(findings/00000000000000a1/repro.c) |");
	const char *unread = strstr(md, "| `00000000000000d4` | unreadable: finding.json line 1 column");
	if (!crash || !hang || !fail || !unread)
		fail_msg("findings rows (crash %p hang %p fail %p unreadable %p) in:\n%s",
			 (void *)crash, (void *)hang, (void *)fail, (void *)unread, md);
	assert_true(crash < hang && hang < fail && fail < unread);
	/* minimized programs in full, in fences longer than their backtick runs */
	assert_contains(md, "#### `00000000000000a1` `clobber|invlpg|rax|returned`\n\n```text\n"
			    "abi pvm\ncall invlpg rax=0x1 # `tick`\ncall nr=0x99 <&>\n```\n");
	assert_contains(md, "## Notes\n");
	assert_contains(md, "- stats.csv line 302: no line end (cut short by an interrupted write): "
			    "skipped\n");
	assert_contains(md, "- stats.csv: 1 of 301 data lines skipped\n");

	char *html = slurp(dir, "report.html");
	assert_true(!strncmp(html, "<!DOCTYPE html>\n", 16));
	assert_contains(html, "<th>fuzzing time</th><td>5m1s (300.5 s)</td>");
	assert_contains(html, "<span class=\"v v-CRASH\">CRASH</span>");
	assert_contains(html, "<details><summary>minimized.hcf, 3 lines</summary><pre>abi pvm\n"
			      "call invlpg rax=0x1 # `tick`\ncall nr=0x99 &lt;&amp;&gt;\n</pre></details>");
	assert_contains(html, "<a href=\"findings/00000000000000a1/repro.c\"><code>"
			      "findings/00000000000000a1/repro.c</code></a>");
	assert_contains(html, "<td colspan=\"5\" class=\"unreadable\">unreadable: finding.json line 1");
	assert_contains(html, "not minimized<br/>program: <a href=\"findings/00000000000000b2/program.hcf\">");
	assert_contains(html, ">executions/s</text>");
	assert_contains(html, ">fuzzing time (elapsed, over all runs)</text>");
	/* self-contained: no script, nothing fetched */
	assert_lacks(html, "<script");
	assert_lacks(html, "src=");
	assert_lacks(html, "http://cdn");
	assert_lacks(html, "@import");
	assert_int_equal(count_str(html, "<svg xmlns=\"http://www.w3.org/2000/svg\""), 4);
	assert_lacks(html, "<?xml");
	assert_true(hcf_utf8_valid(html, strlen(html)));
	assert_well_formed(dir, "report.html");
	char *n = xpath(dir, "report.html", "count(//*[local-name()='polyline'])");
	if (n)
		assert_string_equal(n, "4");
	free(n);
	n = xpath(dir, "report.html", "count(//*[local-name()='table'][@class='findings']//*[local-name()='tr'])");
	if (n)
		assert_string_equal(n, "5");   /* the head and four findings */
	free(n);

	/* every plot: a file of its own, well formed, one polyline with a point per row */
	for (size_t i = 0; i < 4; i++) {
		assert_true(exists(dir, plot_files[i]));
		assert_well_formed(dir, plot_files[i]);
		char *svg = slurp(dir, plot_files[i]);
		assert_true(!strncmp(svg, "<?xml version=\"1.0\"", 19));
		assert_int_equal(count_str(svg, "<polyline"), 1);
		assert_int_equal(polyline_points(svg, 720, 300, NULL), 300);
		assert_contains(svg, ">fuzzing time (elapsed, over all runs)</text>");
		assert_contains(svg, ">run 2</text>");   /* where the resumed run starts */
		assert_no_bad_numbers(svg);
		free(svg);
	}
	char *svg = slurp(dir, "plot-execs.svg");
	assert_contains(svg, ">executions/s</text>");
	assert_contains(svg, ">Executions per second</text>");
	assert_contains(svg, ">5m</text>");
	free(svg);
	svg = slurp(dir, "plot-features.svg");
	assert_contains(svg, ">features</text>");
	free(svg);
	assert_int_equal(count_temps(dir), 0);

	free(md);
	free(html);
	free(warn);
	rm_tree(dir);
	free(dir);
}

/* The report run twice replaces its files; temporaries of a killed report
 * are removed, those of a live process are not. */
static void test_report_rewrite(void **state)
{
	(void)state;
	char *dir = standard_campaign();
	free(report(dir, 0, NULL, 0));
	char *first = slurp(dir, "report.md");

	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	char stale[64], live[64];
	snprintf(stale, sizeof(stale), ".report.md.tmp.%ld", (long)child);
	snprintf(live, sizeof(live), ".report.html.tmp.%ld", (long)getppid());
	put_file(dir, stale, "half a report");
	put_file(dir, live, "another writer");

	/* a new finding shows up in the rewritten report */
	struct fnd extra = { "00000000000000e5", "ERROR", "model|x|rax|returned", T_START2 + 20,
			     NULL, NULL, false };
	put_finding(dir, &extra);
	free(report(dir, 0, NULL, 0));
	char *second = slurp(dir, "report.md");
	assert_lacks(first, "00000000000000e5");
	assert_contains(second, "| `00000000000000e5` | `model\\|x\\|rax\\|returned` | **ERROR** |");
	assert_false(exists(dir, stale));
	assert_true(exists(dir, live));
	char *p = hcf_xasprintf("%s/%s", dir, live);
	unlink(p);
	free(p);
	assert_int_equal(count_temps(dir), 0);
	free(first);
	free(second);
	rm_tree(dir);
	free(dir);
}

/* Everything broken at once: nothing crashes, every problem is named. */
static void test_report_corrupt(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	put_file(dir, "campaign.json", "{\"version\": 1, \"abi\": \"pvm\", garbage");
	struct hcf_rbuf b = { 0 };
	hcf_rbuf_puts(&b, stats_header);
	stats_rows(&b, 0, 10);                                         /* lines 2-11 */
	hcf_rbuf_puts(&b, "1795200010,11,12\n");                       /* 12: 3 fields */
	hcf_rbuf_puts(&b, "1795200011,12,abc,1,1,1,1,1,1,1\n");        /* 13: not a number */
	hcf_rbuf_puts(&b, "1795200012,13,1,-5,1,1,1,1,1,1\n");         /* 14: negative */
	static const char nul_line[] = "1795200013,14,\0\0\0,1,1,1,1,1,1,1\n";
	hcf_rbuf_put(&b, nul_line, sizeof(nul_line) - 1);               /* 15: NUL bytes */
	hcf_rbuf_puts(&b, "\n");                                       /* 16: empty */
	hcf_rbuf_puts(&b, "1795200014,15,nan,1,1,1,1,1,1,1\n");        /* 17: not finite */
	hcf_rbuf_puts(&b, "1795200015,16,1,1,1,1,1,1,1,1,extra\n");    /* 18: 11 fields */
	for (int i = 0; i < 5000; i++)                                 /* 19: over-long */
		hcf_rbuf_puts(&b, "9");
	hcf_rbuf_puts(&b, "\n");
	hcf_rbuf_puts(&b, "1795200016,17,1 7,1,1,1,1,1,1,1\r\n");      /* 20: space inside */
	hcf_rbuf_puts(&b, "1795200017,18,18000,1000,54000,3000,16,270,0,1\r\n"); /* 21: CRLF, fine */
	put_bytes(dir, "stats.csv", b.p, b.len);
	hcf_rbuf_free(&b);

	make_dir(dir, "findings");
	put_file(dir, "findings/a-regular-file", "not a finding");
	make_dir(dir, "findings/0000000000000001");               /* no finding.json */
	make_dir(dir, "findings/0000000000000002");
	put_file(dir, "findings/0000000000000002/finding.json", "");
	make_dir(dir, "findings/0000000000000003");
	put_file(dir, "findings/0000000000000003/finding.json", "[1, 2]");
	make_dir(dir, "findings/0000000000000004");
	put_file(dir, "findings/0000000000000004/finding.json",
		 "{\"id\": 7, \"verdict\": 3, \"signature\": [\"x\"], \"first_seen_unix\": \"soon\"}");
	make_dir(dir, "findings/0000000000000005");
	put_file(dir, "findings/0000000000000005/finding.json",
		 "{\"id\": \"0000000000000005\", \"verdict\": \"BOGUS\", \"oracle\": \"o\", \"op\": \"p\","
		 " \"where\": \"w\", \"class\": \"c\", \"first_seen_unix\": -4}");
	make_dir(dir, "findings/0000000000000006");
	put_bytes(dir, "findings/0000000000000006/finding.json", "{\"id\": \"\xff\"}", 11);
	make_dir(dir, "findings/.0000000000000007.tmp.123");
	make_dir(dir, "findings/0000000000000008");
	put_file(dir, "findings/0000000000000008/finding.json",
		 "{\"id\": \"0000000000000009\", \"verdict\": \"fail\", \"signature\": \"s\"}");
	make_dir(dir, "findings/0000000000000008/minimized.hcf");   /* unreadable as a file */

	struct hcf_campaign_report_stats st;
	char *warn = report(dir, 0, &st, 0);
	assert_int_equal(st.findings, 7);
	assert_int_equal(st.unreadable, 4);
	assert_int_equal(st.stats_rows, 11);
	char *md = slurp(dir, "report.md");
	static const char *const notes[] = {
		"- campaign.json line 1 column ",
		"string or '}' expected near 'garbage': campaign facts unknown\n",
		"- stats.csv line 12: 3 fields, expected 10: skipped\n",
		"- stats.csv line 13: execs \"abc\" is not a number: skipped\n",
		"- stats.csv line 14: execs\\_per\\_s \"-5\" is negative: skipped\n",
		"- stats.csv line 15: holds NUL bytes (a torn write): skipped\n",
		"- stats.csv line 16: empty: skipped\n",
		"- stats.csv line 17: execs \"nan\" is not a finite number: skipped\n",
		"- stats.csv line 18: 11 fields, expected 10: skipped\n",
		"- stats.csv line 19: longer than 4096 bytes: skipped\n",
		"- stats.csv line 20: execs \"1 7\" is not a number: skipped\n",
		"- stats.csv: 9 of 20 data lines skipped\n",
		"- findings/a-regular-file: not a directory: skipped\n",
		"- findings/.0000000000000007.tmp.123: hidden (a finding being written, or left by "
		"an interrupted write): skipped\n",
		"- findings/0000000000000001: finding.json: No such file or directory: listed as "
		"unreadable\n",
		"- findings/0000000000000002: finding.json: empty: listed as unreadable\n",
		"- findings/0000000000000003: finding.json: an array, expected an object: listed as "
		"unreadable\n",
		"- findings/0000000000000004/finding.json: \"id\" is an integer, expected a string: "
		"ignored\n",
		"- findings/0000000000000004/finding.json: \"verdict\" is an integer, expected a "
		"string: ignored\n",
		"- findings/0000000000000004/finding.json: no \"signature\"\n",
		"- findings/0000000000000004/finding.json: \"first\\_seen\\_unix\" is a string, "
		"expected a number: ignored\n",
		"- findings/0000000000000005/finding.json: verdict \"BOGUS\" is not a verdict\n",
		"- findings/0000000000000005/finding.json: first\\_seen\\_unix -4 is not a time: "
		"ignored\n",
		"- findings/0000000000000006: finding.json line 1 column",
		"- findings/0000000000000008/finding.json: id \"0000000000000009\" differs from the "
		"directory's name\n",
		"- findings/0000000000000008/minimized.hcf: Is a directory: shown as unreadable\n",
	};
	for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
		assert_contains(md, notes[i]);
	/* the same problems went to the warning stream */
	assert_contains(warn, "/stats.csv line 12: 3 fields, expected 10: skipped\n");
	assert_contains(warn, "/findings/0000000000000003: finding.json: an array");
	/* unreadable findings are listed as such */
	assert_contains(md, "| `0000000000000001` | unreadable: finding.json: No such file or "
			    "directory | | | | | |\n");
	assert_contains(md, "| `0000000000000002` | unreadable: finding.json: empty |");
	/* readable but odd: shown with what could be read */
	assert_contains(md, "| `0000000000000005` | `o\\|p\\|w\\|c` | BOGUS | unknown |");
	assert_contains(md, "| `0000000000000004` | (none) | unknown | unknown |");
	assert_contains(md, "| `0000000000000008` | `s` | **FAIL** |");
	assert_contains(md, "minimized.hcf unreadable: Is a directory");
	assert_contains(md, "| findings | 7 (1 FAIL, 2 of unknown verdict, 4 unreadable) |\n");
	/* campaign facts unknown, the rest still reported */
	assert_contains(md, "| spec | not recorded |\n");
	assert_contains(md, "| fuzzing time | 18.0 s, from stats.csv |\n");
	assert_contains(md, "| executions | 18,000 (1,000/s on average) |\n");
	assert_contains(md, "# hcfuzz campaign report\n");
	/* the findings/ directory was not touched */
	assert_true(exists(dir, "findings/a-regular-file"));
	assert_true(exists(dir, "findings/.0000000000000007.tmp.123"));
	assert_true(exists(dir, "findings/0000000000000003/finding.json"));
	assert_well_formed(dir, "report.html");
	for (size_t i = 0; i < 4; i++)
		assert_well_formed(dir, plot_files[i]);
	char *svg = slurp(dir, "plot-execs.svg");
	assert_int_equal(polyline_points(svg, 720, 300, NULL), 11);
	free(svg);
	free(md);
	free(warn);
	rm_tree(dir);
	free(dir);
}

/* Nothing but an empty findings/: a report that says so. */
static void test_report_missing(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	make_dir(dir, "findings");
	char *warn = report(dir, 0, NULL, 0);
	char *md = slurp(dir, "report.md");
	assert_contains(md, "- campaign.json: No such file or directory: campaign facts unknown\n");
	assert_contains(md, "- stats.csv: No such file or directory: no progress plots\n");
	assert_contains(md, "No findings.\n");
	assert_contains(md, "| findings | none |\n");
	assert_contains(md, "| fuzzing time | unknown |\n");
	assert_contains(md, "| executions | unknown |\n");
	assert_contains(warn, "campaign.json: No such file or directory");
	for (size_t i = 0; i < 4; i++) {
		char *svg = slurp(dir, plot_files[i]);
		assert_contains(svg, ">no data: stats.csv not read (see Notes)</text>");
		assert_lacks(svg, "<polyline");
		assert_no_bad_numbers(svg);
		free(svg);
		assert_well_formed(dir, plot_files[i]);
	}
	assert_well_formed(dir, "report.html");
	free(md);
	free(warn);

	/* not even findings/: a report all the same (the library does not judge) */
	rm_tree(dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	free(report(dir, 0, NULL, 0));
	md = slurp(dir, "report.md");
	assert_contains(md, "No findings (no findings/ directory).\n");
	free(md);
	rm_tree(dir);
	free(dir);
}

static void test_report_empty_files(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	put_file(dir, "campaign.json", "");
	put_file(dir, "stats.csv", "");
	put_file(dir, "findings", "a file where the directory should be");
	char *warn = report(dir, 0, NULL, 0);
	char *md = slurp(dir, "report.md");
	assert_contains(md, "- campaign.json: empty: campaign facts unknown\n");
	assert_contains(md, "- stats.csv: empty: no progress plots\n");
	assert_contains(md, "- findings: not a directory: no findings read\n");
	assert_well_formed(dir, "report.html");
	free(md);
	free(warn);

	/* a header and nothing else; a campaign.json of the wrong shape */
	put_file(dir, "stats.csv", stats_header);
	put_file(dir, "campaign.json",
		 "{\"version\": 2, \"abi\": 5, \"jobs\": 0, \"runs\": [7, {\"seconds\": -1, "
		 "\"stopped\": false}]}");
	free(report(dir, 0, NULL, 0));
	md = slurp(dir, "report.md");
	assert_contains(md, "- campaign.json: version 2 is not known: read as version 1\n");
	assert_contains(md, "- campaign.json: \"abi\" is an integer, expected a string: ignored\n");
	assert_contains(md, "- campaign.json: \"jobs\" is 0, expected 1 or more: ignored\n");
	assert_contains(md, "- campaign.json: runs\\[0\\] is an integer, expected an object: ignored\n");
	assert_contains(md, "- campaign.json: runs\\[1\\]: \"seconds\" is negative: ignored\n");
	assert_contains(md, "- campaign.json: runs\\[1\\]: \"stopped\" is false, expected a string: "
			    "ignored\n");
	assert_contains(md, "| 1 | unknown | unknown | unknown |\n");
	assert_contains(md, "| stats.csv | 0 rows used, 0 skipped |\n");
	char *svg = slurp(dir, "plot-features.svg");
	assert_contains(svg, ">no data: no usable row in stats.csv</text>");
	free(svg);
	free(md);
	rm_tree(dir);
	free(dir);
}

/* A header with missing, unknown and reordered columns; a file without a header. */
static void test_report_columns(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	put_file(dir, "stats.csv", "features, elapsed_s ,colour,unix_time\n"
				   "10,1,red,1795200001\n20,2,green,1795200002\n30,3,blue,1795200003\n");
	free(report(dir, 0, NULL, 0));
	char *md = slurp(dir, "report.md");
	assert_contains(md, "- stats.csv line 1: unknown column \"colour\": ignored\n");
	assert_contains(md, "- stats.csv line 1: no column \"execs\\_per\\_s\": left out of the report\n");
	assert_contains(md, "| features | 30 |\n");
	assert_contains(md, "| executions | unknown |\n");
	free(md);
	char *svg = slurp(dir, "plot-features.svg");
	assert_int_equal(polyline_points(svg, 720, 300, NULL), 3);
	free(svg);
	svg = slurp(dir, "plot-execs.svg");
	assert_contains(svg, ">no data: stats.csv has no execs_per_s column</text>");
	free(svg);

	struct hcf_rbuf b = { 0 };
	stats_rows(&b, 0, 20);
	put_file(dir, "stats.csv", hcf_rbuf_str(&b));
	hcf_rbuf_free(&b);
	free(report(dir, 0, NULL, 0));
	md = slurp(dir, "report.md");
	assert_contains(md, "- stats.csv line 1: no header: read as the documented columns\n");
	assert_contains(md, "| stats.csv | 20 rows used, 0 skipped |\n");
	free(md);

	put_file(dir, "stats.csv", "what,is,this\n1,2,3\n");
	free(report(dir, 0, NULL, 0));
	md = slurp(dir, "report.md");
	assert_contains(md, "- stats.csv line 1: no known column in the header: file skipped\n");
	assert_contains(md, "| stats.csv | not read (see Notes) |\n");
	free(md);
	rm_tree(dir);
	free(dir);
}

/* A resumed run that restarted elapsed_s and the counters: drawn after the
 * first run, counted in addition to it. */
static void test_report_restarted_counters(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	struct hcf_rbuf b = { 0 };
	hcf_rbuf_puts(&b, stats_header);
	for (int i = 0; i < 100; i++) {
		int run = i / 50, k = i % 50;
		hcf_rbuf_printf(&b, "%d,%d,%d,100,%d,300,5,%d,0,0\n", T_START1 + run * 100000 + k,
				k + 1, (k + 1) * 100, (k + 1) * 300, 10 + i);
	}
	put_file(dir, "stats.csv", hcf_rbuf_str(&b));
	hcf_rbuf_free(&b);
	free(report(dir, 0, NULL, 0));
	char *md = slurp(dir, "report.md");
	assert_contains(md, "- stats.csv line 52: elapsed\\_s goes back from 50.0 to 1.0: counted on "
			    "from 50.0\n");
	assert_contains(md, "| fuzzing time | 1m40s (100.0 s), from stats.csv |\n");
	assert_contains(md, "| executions | 10,000 (100/s on average) |\n");
	assert_contains(md, "| calls | 30,000 (300/s on average) |\n");
	free(md);
	/* x never goes back in the plot */
	char *svg = slurp(dir, "plot-features.svg");
	const char *p = strstr(svg, "points=\"");
	assert_non_null(p);
	p += 8;
	double prev = -1;
	size_t n = 0;
	while (*p != '"') {
		char *end;
		double x = strtod(p, &end);
		assert_true(x >= prev);
		prev = x;
		strtod(end + 1, &end);
		p = end;
		while (*p == ' ')
			p++;
		n++;
	}
	assert_int_equal(n, 100);
	free(svg);
	rm_tree(dir);
	free(dir);
}

/* A thousand bad lines: twenty listed, the rest counted. */
static void test_report_many_problems(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	struct hcf_rbuf b = { 0 };
	hcf_rbuf_puts(&b, stats_header);
	stats_rows(&b, 0, 50);
	for (int i = 0; i < 1000; i++)
		hcf_rbuf_puts(&b, "1,2,3\n");
	put_file(dir, "stats.csv", hcf_rbuf_str(&b));
	hcf_rbuf_free(&b);
	char *warn = report(dir, 0, NULL, 0);
	char *md = slurp(dir, "report.md");
	assert_contains(md, "- stats.csv line 52: 3 fields, expected 10: skipped\n");
	assert_lacks(md, "line 1051:");
	assert_contains(md, "- stats.csv: 980 more problems not listed\n");
	assert_contains(md, "- stats.csv: 1000 of 1050 data lines skipped\n");
	assert_contains(md, "| stats.csv | 50 rows used, 1000 skipped |\n");
	assert_true(count_str(warn, "3 fields, expected 10") == 20);
	free(md);
	free(warn);

	/* many rows: the plots stay small */
	b = (struct hcf_rbuf){ 0 };
	hcf_rbuf_puts(&b, stats_header);
	for (int i = 0; i < 20000; i++)
		hcf_rbuf_printf(&b, "%d,%d,%d,%d,1,1,1,%d,0,0\n", T_START1 + i, i + 1, i * 10,
				1000 + (i % 50), i);
	put_file(dir, "stats.csv", hcf_rbuf_str(&b));
	hcf_rbuf_free(&b);
	free(report(dir, 0, NULL, 0));
	char *svg = slurp(dir, "plot-execs.svg");
	size_t pts = polyline_points(svg, 720, 300, NULL);
	assert_true(pts <= HCF_SVG_MAX_POINTS && pts >= HCF_SVG_MAX_POINTS / 2);
	free(svg);
	rm_tree(dir);
	free(dir);
}

/* Hostile names and strings cannot break either report. */
static void test_report_hostile(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	put_file(dir, "campaign.json", "{\"version\": 1, \"abi\": \"</title><script>x</script>\","
				       " \"target\": \"a|b\\nc\", \"engine\": \"\\u001b[31mred\"}");
	static const char name[] = "a b<c>&\"`|(x)";
	char *rel = hcf_xasprintf("findings/%s", name);
	make_dir(dir, rel);
	char *fj = hcf_xasprintf("%s/finding.json", rel);
	put_file(dir, fj, "{\"signature\": \"s|</td><script>|`x``\\ny\", \"verdict\": \"FAIL\","
			  " \"reason\": \"r\\r\\n| # <b>\", \"first_seen\": \"<now>\"}");
	char *mh = hcf_xasprintf("%s/minimized.hcf", rel);
	static const char prog[] = "call x ``` ````\n\x01\x1b[2J\xff\r\n</pre>";
	put_bytes(dir, mh, prog, sizeof(prog) - 1);
	char *rc = hcf_xasprintf("%s/repro.c", rel);
	put_file(dir, rc, "int main(void) { return 0; }\n");
	free(report(dir, 0, NULL, 0));

	char *md = slurp(dir, "report.md");
	assert_true(hcf_utf8_valid(md, strlen(md)));
	assert_lacks(md, "\x1b");
	assert_lacks(md, "\r");
	assert_contains(md, "# hcfuzz campaign report: \\</title\\>\\<script\\>x\\</script\\> on "
			    "a\\|b c\n");
	/* the row stays one line; the link target is percent-encoded */
	assert_contains(md, "(findings/a%20b%3Cc%3E%26%22%60%7C%28x%29/repro.c)");
	const char *row = strstr(md, "| ``a b<c>&\"`\\|(x)`` |");
	assert_non_null(row);
	assert_true(strchr(row, '\n') > strstr(row, "| r  \\| # \\<b\\> |"));
	/* the program's fence outlasts its backtick runs */
	assert_contains(md, "`````text\ncall x ``` ````\n\xef\xbf\xbd\xef\xbf\xbd[2J\xef\xbf\xbd\n"
			    "</pre>\n`````\n");
	free(md);
	char *html = slurp(dir, "report.html");
	assert_lacks(html, "<script>");
	assert_lacks(html, "\x1b");
	assert_contains(html, "&lt;/td&gt;&lt;script&gt;");
	assert_contains(html, "href=\"findings/a%20b%3Cc%3E%26%22%60%7C%28x%29/repro.c\"");
	assert_contains(html, "&lt;/pre&gt;</pre>");
	free(html);
	assert_well_formed(dir, "report.html");
	free(rel);
	free(fj);
	free(mh);
	free(rc);
	rm_tree(dir);
	free(dir);
}

/* At most max_findings listed in full, the most severe; all counted. */
static void test_report_max_findings(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	static const char *const verdicts[] = { "ERROR", "FAIL", "CRASH", "FAIL", "HANG" };
	for (size_t i = 0; i < 5; i++) {
		char id[17];
		snprintf(id, sizeof(id), "%016zx", i + 1);
		struct fnd f = { id, verdicts[i], "sig", T_START1 + (long)i, "call x\n", NULL, false };
		put_finding(dir, &f);
	}
	struct hcf_campaign_report_stats st;
	free(report(dir, 0, &st, 2));
	assert_int_equal(st.findings, 5);
	char *md = slurp(dir, "report.md");
	assert_contains(md, "| `0000000000000003` | `sig` | **CRASH** |");
	assert_contains(md, "| `0000000000000005` | `sig` | **HANG** |");
	assert_lacks(md, "| `0000000000000002` |");
	assert_contains(md, "3 more findings not listed (the least severe).\n");
	assert_contains(md, "| findings | 5 (1 CRASH, 1 HANG, 2 FAIL, 1 ERROR) |\n");
	free(md);
	rm_tree(dir);
	free(dir);
}

static void test_report_unwritable(void **state)
{
	(void)state;
	char *dir = standard_campaign();
	/* a path below a regular file: ENOTDIR, also for root */
	char *below = hcf_xasprintf("%s/campaign.json/sub", dir);
	char err[512] = "";
	FILE *w = tmpfile();
	struct hcf_campaign_report_opts o = { .warn = w };
	assert_int_equal(hcf_campaign_report(below, &o, err, sizeof(err)), -1);
	assert_contains(err, below);
	assert_contains(err, strerror(ENOTDIR));
	assert_contains(err, "cannot write");
	/* nothing read, nothing warned about */
	assert_int_equal(ftell(w), 0);
	fclose(w);
	free(below);

	char *missing = hcf_xasprintf("%s/no-such-dir", dir);
	err[0] = '\0';
	assert_int_equal(hcf_campaign_report(missing, NULL, err, sizeof(err)), -1);
	assert_contains(err, strerror(ENOENT));
	free(missing);
	err[0] = '\0';
	assert_int_equal(hcf_campaign_report("", NULL, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	assert_int_equal(hcf_campaign_report(NULL, NULL, NULL, 0), -1);

	if (geteuid() == 0) {
		print_message("SKIP: running as root, a mode 0500 directory is writable; the "
			      "ENOTDIR case above covers the unwritable directory\n");
	} else {
		assert_int_equal(chmod(dir, 0500), 0);
		err[0] = '\0';
		assert_int_equal(hcf_campaign_report(dir, NULL, err, sizeof(err)), -1);
		assert_contains(err, strerror(EACCES));
		assert_int_equal(chmod(dir, 0700), 0);
		assert_false(exists(dir, "report.md"));
	}
	assert_int_equal(count_temps(dir), 0);
	rm_tree(dir);
	free(dir);
}

static void test_dir_check(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char err[512] = "";
	assert_int_equal(hcf_campaign_dir_check(dir, err, sizeof(err)), -1);
	assert_contains(err, "not a campaign directory (no campaign.json, stats.csv or findings/)");
	static const char *const marks[] = { "campaign.json", "stats.csv", "findings" };
	for (size_t i = 0; i < 3; i++) {
		put_file(dir, marks[i], "");
		assert_int_equal(hcf_campaign_dir_check(dir, err, sizeof(err)), 0);
		char *p = hcf_xasprintf("%s/%s", dir, marks[i]);
		unlink(p);
		free(p);
	}
	char *file = hcf_xasprintf("%s/plain", dir);
	put_file(dir, "plain", "x");
	assert_int_equal(hcf_campaign_dir_check(file, err, sizeof(err)), -1);
	assert_contains(err, "not a directory");
	char *none = hcf_xasprintf("%s/none", dir);
	assert_int_equal(hcf_campaign_dir_check(none, err, sizeof(err)), -1);
	assert_contains(err, strerror(ENOENT));
	free(file);
	free(none);
	rm_tree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svg_empty),
		cmocka_unit_test(test_svg_one_point),
		cmocka_unit_test(test_svg_flat),
		cmocka_unit_test(test_svg_huge),
		cmocka_unit_test(test_svg_labels),
		cmocka_unit_test(test_svg_escape_legend_markers),
		cmocka_unit_test(test_svg_decimate),
		cmocka_unit_test(test_report_full),
		cmocka_unit_test(test_report_rewrite),
		cmocka_unit_test(test_report_corrupt),
		cmocka_unit_test(test_report_missing),
		cmocka_unit_test(test_report_empty_files),
		cmocka_unit_test(test_report_columns),
		cmocka_unit_test(test_report_restarted_counters),
		cmocka_unit_test(test_report_many_problems),
		cmocka_unit_test(test_report_hostile),
		cmocka_unit_test(test_report_max_findings),
		cmocka_unit_test(test_report_unwritable),
		cmocka_unit_test(test_dir_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
