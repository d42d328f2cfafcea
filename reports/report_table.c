/* report_table.c: the verdict table printed on the terminal at the end of a run. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "reports/report.h"
#include "reports/report_util.h"
#include "util/xalloc.h"

/*
 * One row per group, a total row, then the most severe tests with their first
 * issue. Everything printed passes through term_clean(): ids, op names and
 * issue reasons can carry guest-supplied bytes, and an escape sequence in
 * them must not reach the terminal.
 */

struct worst_entry {
	char id[96];
	char issue[320];
};

struct hcf_report_summary {
	const struct hcf_abi *abi;
	struct hcf_tally tally;
	struct hcf_rpt_groups groups;
	/* the first HCF_REPORT_TABLE_WORST tests of each verdict, in run order */
	struct worst_entry worst[HCF_V_COUNT][HCF_REPORT_TABLE_WORST];
	size_t nworst[HCF_V_COUNT];
};

/* SGR colour per verdict. */
static const char *const verdict_colour[HCF_V_COUNT] = {
	[HCF_V_PASS] = "32",     /* green */
	[HCF_V_LOST] = "34",     /* blue */
	[HCF_V_XFAIL] = "33",    /* yellow */
	[HCF_V_SKIP] = "36",     /* cyan */
	[HCF_V_XPASS] = "1;33",  /* bold yellow */
	[HCF_V_ERROR] = "35",    /* magenta */
	[HCF_V_FAIL] = "31",     /* red */
	[HCF_V_HANG] = "1;31",   /* bold red */
	[HCF_V_CRASH] = "1;37;41", /* white on red */
};

struct hcf_report_summary *hcf_report_summary_new(const struct hcf_abi *abi)
{
	struct hcf_report_summary *s = hcf_xcalloc(1, sizeof(*s));
	s->abi = abi;
	return s;
}

void hcf_report_summary_free(struct hcf_report_summary *s)
{
	if (!s)
		return;
	hcf_rpt_groups_free(&s->groups);
	free(s);
}

static void summary_add(struct hcf_report_summary *s, const char *id, size_t idlen,
			const char *group, size_t glen, enum hcf_verdict v, const char *issue)
{
	if ((unsigned)v >= HCF_V_COUNT)
		v = HCF_V_ERROR;
	hcf_tally_add(&s->tally, v);
	hcf_rpt_groups_add(&s->groups, group, glen, v);
	if (v == HCF_V_PASS || s->nworst[v] >= HCF_REPORT_TABLE_WORST)
		return;
	struct worst_entry *w = &s->worst[v][s->nworst[v]++];
	snprintf(w->id, sizeof(w->id), "%.*s", (int)idlen, id);
	snprintf(w->issue, sizeof(w->issue), "%s", issue ? issue : "");
}

void hcf_report_summary_add(struct hcf_report_summary *s, const struct hcf_test *t,
			    const struct hcf_test_outcome *o)
{
	if (!s)
		return;
	char reason[512];
	summary_add(s, t->id, HCF_FIELD_LEN(t->id), t->group, HCF_FIELD_LEN(t->group), o->v,
		    hcf_rpt_test_reason(t, o, reason, sizeof(reason)));
}

/* ---- terminal text ------------------------------------------------------ */

/*
 * Copy s into dst for a terminal, at most maxcols columns (0: no limit):
 * controls (C0, DEL, C1) and invalid UTF-8 become '?', a cut string ends in
 * '~'. A code point counts as one column. Returns the columns used.
 */
static size_t term_clean(char *dst, size_t dstlen, const char *s, size_t maxcols)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), cols = 0, o = 0;
	size_t total = 0;
	uint32_t cp;
	for (size_t i = 0; i < n; total++) {
		size_t k = hcf_utf8_next(u + i, n - i, &cp);
		i += k ? k : 1;
	}
	bool cut = maxcols && total > maxcols;
	for (size_t i = 0; i < n && o + 5 < dstlen;) {
		if (cut && cols + 1 >= maxcols)
			break;
		size_t k = hcf_utf8_next(u + i, n - i, &cp);
		if (!k || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			dst[o++] = '?';
			i += k ? k : 1;
		} else {
			memcpy(dst + o, s + i, k);
			o += k;
			i += k;
		}
		cols++;
	}
	if (cut && o + 1 < dstlen) {
		dst[o++] = '~';
		cols++;
	}
	dst[o] = '\0';
	return cols;
}

struct term {
	FILE *f;
	bool colour;
	size_t width;   /* 0: unknown, no limit */
};

static void term_init(struct term *tm, FILE *f)
{
	tm->f = f;
	int fd = fileno(f);
	bool tty = fd >= 0 && isatty(fd);
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	/* no-color.org: a set, non-empty NO_COLOR disables colour. */
	tm->colour = tty && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
	tm->width = 0;
	struct winsize ws;
	if (tty && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		tm->width = ws.ws_col;
	const char *cols = getenv("COLUMNS");
	if (!tm->width && cols && atoi(cols) > 0)
		tm->width = (size_t)atoi(cols);
}

/* Print text padded to width columns (left or right aligned), coloured by sgr. */
static void term_cell(const struct term *tm, const char *text, size_t cols, size_t width,
		      bool right, const char *sgr)
{
	size_t pad = width > cols ? width - cols : 0;
	if (right)
		fprintf(tm->f, "%*s", (int)pad, "");
	if (tm->colour && sgr)
		fprintf(tm->f, "\033[%sm%s\033[0m", sgr, text);
	else
		fputs(text, tm->f);
	if (!right)
		fprintf(tm->f, "%*s", (int)pad, "");
}

static size_t digits(size_t v)
{
	size_t d = 1;
	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

struct cols {
	size_t group, tests, v[HCF_V_COUNT], worst;
	bool show[HCF_V_COUNT];
};


static void row(const struct term *tm, const struct cols *w, const char *name,
		const struct hcf_tally *ty, bool bold)
{
	char buf[256], num[32];
	size_t c = term_clean(buf, sizeof(buf), name, w->group);
	term_cell(tm, buf, c, w->group, false, bold ? "1" : NULL);
	snprintf(num, sizeof(num), "%zu", ty->total);
	fputs("  ", tm->f);
	term_cell(tm, num, strlen(num), w->tests, true, bold ? "1" : NULL);
	for (int v = 0; v < HCF_V_COUNT; v++) {
		if (!w->show[v])
			continue;
		snprintf(num, sizeof(num), "%zu", ty->n[v]);
		fputs("  ", tm->f);
		/* Only counts that are there get a colour; zeros stay dim. */
		term_cell(tm, num, strlen(num), w->v[v], true, ty->n[v] ? verdict_colour[v] : "2");
	}
	const char *wn = ty->total ? hcf_rpt_verdict(ty->worst) : "-";
	fputs("  ", tm->f);
	/* the last column is not padded: no trailing blanks */
	term_cell(tm, wn, strlen(wn), 0, false, ty->total ? verdict_colour[ty->worst] : NULL);
	fputc('\n', tm->f);
}

void hcf_report_summary_print(const struct hcf_report_summary *s, FILE *f,
			      const struct hcf_exec_stats *stats)
{
	if (!s || !f)
		return;
	struct term tm;
	term_init(&tm, f);
	const struct hcf_tally *ty = &s->tally;

	/* Column widths from the content; the group column gives way when the
	 * terminal is narrower than the table. */
	struct cols w = { .group = strlen("group"), .tests = strlen("tests"), .worst = strlen("worst") };
	for (size_t i = 0; i < s->groups.n; i++) {
		char buf[256];
		size_t c = term_clean(buf, sizeof(buf), s->groups.g[i].name, 0);
		if (c > w.group)
			w.group = c;
	}
	if (w.tests < digits(ty->total))
		w.tests = digits(ty->total);
	for (int v = 0; v < HCF_V_COUNT; v++) {
		w.show[v] = hcf_rpt_verdict_column((enum hcf_verdict)v, ty);
		w.v[v] = strlen(hcf_rpt_verdict((enum hcf_verdict)v));
		if (w.v[v] < digits(ty->n[v]))
			w.v[v] = digits(ty->n[v]);
		if (w.worst < w.v[v])
			w.worst = w.v[v];
	}
	size_t rest = 2 + w.tests + 2 + w.worst;
	for (int v = 0; v < HCF_V_COUNT; v++)
		if (w.show[v])
			rest += 2 + w.v[v];
	if (tm.width && w.group + rest > tm.width)
		w.group = tm.width > rest + 8 ? tm.width - rest : 8;

	const char *abi = s->abi && s->abi->name ? s->abi->name : "?";
	char abibuf[128];
	term_clean(abibuf, sizeof(abibuf), abi, 64);
	fprintf(f, "%s: %zu test%s", abibuf, ty->total, ty->total == 1 ? "" : "s");
	if (stats)
		fprintf(f, ", %zu call%s in %.2f s", stats->calls, stats->calls == 1 ? "" : "s",
			stats->seconds);
	fputc('\n', f);

	term_cell(&tm, "group", 5, w.group, false, "1");
	fputs("  ", f);
	term_cell(&tm, "tests", 5, w.tests, true, "1");
	for (int v = 0; v < HCF_V_COUNT; v++) {
		if (!w.show[v])
			continue;
		const char *vn = hcf_rpt_verdict((enum hcf_verdict)v);
		fputs("  ", f);
		term_cell(&tm, vn, strlen(vn), w.v[v], true, "1");
	}
	fputs("  ", f);
	term_cell(&tm, "worst", 5, 0, false, "1");
	fputc('\n', f);
	for (size_t i = 0; i < s->groups.n; i++)
		row(&tm, &w, s->groups.g[i].name, &s->groups.g[i].tally, false);
	row(&tm, &w, "total", ty, true);

	/* An ABI the hypervisor does not offer: why, once, instead of a list
	 * of SKIPs that all say the same. */
	if (stats && stats->requirement[0]) {
		char rb[512];
		term_clean(rb, sizeof(rb), stats->requirement, 0);
		fprintf(f, "\n%s: %s\n", stats->not_applicable ? "not applicable" : "requirement", rb);
		if (stats->requirement_doc) {
			term_clean(rb, sizeof(rb), stats->requirement_doc, 0);
			fprintf(f, "  (%s)\n", rb);
		}
		if (stats->not_applicable) {
			fprintf(f, "no call was made: every test is SKIP (%zu call%s not applicable)\n",
				stats->calls_not_applicable,
				stats->calls_not_applicable == 1 ? "" : "s");
			fflush(f);
			return;
		}
	}

	/* The most severe tests, CRASH first, at most HCF_REPORT_TABLE_WORST. */
	size_t nonpass = ty->total - ty->n[HCF_V_PASS], listed = 0, idw = 0;
	for (int v = HCF_V_COUNT - 1; v > HCF_V_PASS; v--)
		for (size_t k = 0; k < s->nworst[v]; k++) {
			char buf[256];
			size_t c = term_clean(buf, sizeof(buf), s->worst[v][k].id, 0);
			if (c > idw)
				idw = c;
		}
	if (idw > 48)
		idw = 48;
	if (nonpass)
		fputc('\n', f);
	for (int v = HCF_V_COUNT - 1; v > HCF_V_PASS; v--) {
		for (size_t k = 0; k < s->nworst[v] && listed < HCF_REPORT_TABLE_WORST; k++, listed++) {
			const struct worst_entry *e = &s->worst[v][k];
			const char *vn = hcf_rpt_verdict((enum hcf_verdict)v);
			char idb[256], isb[512];
			term_cell(&tm, vn, strlen(vn), 5, false, verdict_colour[v]);
			fputs("  ", f);
			size_t c = term_clean(idb, sizeof(idb), e->id, idw);
			size_t used = 5 + 2 + (c > idw ? c : idw) + 2;
			if (!e->issue[0]) {
				fprintf(f, "%s\n", idb);
				continue;
			}
			term_cell(&tm, idb, c, idw, false, NULL);
			fputs("  ", f);
			size_t room = tm.width > used + 10 ? tm.width - used : (tm.width ? 10 : 0);
			term_clean(isb, sizeof(isb), e->issue, room);
			fprintf(f, "%s\n", isb);
		}
	}
	if (listed < nonpass)
		fprintf(f, "... and %zu more test%s that did not pass (results.jsonl lists every test)\n",
			nonpass - listed, nonpass - listed == 1 ? "" : "s");
	fflush(f);
}

void hcf_report_table(FILE *f, const struct hcf_abi *abi, const struct hcf_test *tests, size_t n,
		      const enum hcf_verdict *verdicts, const struct hcf_exec_stats *stats)
{
	struct hcf_report_summary *s = hcf_report_summary_new(abi);
	for (size_t i = 0; tests && verdicts && i < n; i++)
		summary_add(s, tests[i].id, HCF_FIELD_LEN(tests[i].id), tests[i].group,
			    HCF_FIELD_LEN(tests[i].group), verdicts[i], NULL);
	hcf_report_summary_print(s, f, stats);
	hcf_report_summary_free(s);
}
