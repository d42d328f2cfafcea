/* campaign_data.c: campaign.json, stats.csv and findings/ read into memory, every problem noted. */
#include "reports/campaign_data.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reports/campaign_report.h"
#include "reports/report_util.h"
#include "util/fileio.h"
#include "util/xalloc.h"

/*
 * The campaign may still be running, or may have been killed in the middle
 * of a write: every file is read as untrusted input. Sizes are capped (a
 * line, a JSON file, a program), a stats.csv line is used only when it is
 * complete (ends with a newline: a torn last line can look like a valid
 * shorter number) and every field parses, and nothing is ever written or
 * removed here.
 */

static const char *const src_names[HCF_CN_COUNT] = {
	[HCF_CN_CAMPAIGN] = HCF_CAMPAIGN_JSON,
	[HCF_CN_STATS] = HCF_CAMPAIGN_STATS,
	[HCF_CN_FINDINGS] = HCF_CAMPAIGN_FINDINGS "/",
	[HCF_CN_COVERAGE] = HCF_CAMPAIGN_COVERAGE,
};

#define JSON_MAX (16u << 20)
#define STATS_LINE_MAX 4096
#define STATS_FIELDS_MAX 64
#define STATS_ROWS_MAX (1u << 18)  /* rows kept; a longer file is thinned evenly */

/* ---- notes ------------------------------------------------------------------ */

/* A note goes to a terminal and into the reports: control characters, C1
 * controls and invalid UTF-8 (from file names, jansson's quotes of the
 * input) become '?'. */
static char *clean_msg(const char *s)
{
	size_t n = strlen(s);
	char *out = hcf_xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = hcf_utf8_next((const unsigned char *)s + i, n - i, &cp);
		if (!k || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			out[o++] = '?';
			i += k ? k : 1;
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return out;
}

static void push_note(struct hcf_campaign *c, const char *msg)
{
	if (c->nnotes == c->notes_cap) {
		c->notes_cap = c->notes_cap ? c->notes_cap * 2 : 16;
		c->notes = hcf_xreallocarray(c->notes, c->notes_cap, sizeof(*c->notes));
	}
	c->notes[c->nnotes++] = clean_msg(msg);
	if (c->warn)
		fprintf(c->warn, "warning: %s/%s\n", c->dir, c->notes[c->nnotes - 1]);
}

static void note(struct hcf_campaign *c, enum hcf_cnote_src src, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(struct hcf_campaign *c, enum hcf_cnote_src src, const char *fmt, ...)
{
	c->problems++;
	if (c->shown[src] >= HCF_CNOTES_PER_SOURCE) {
		c->dropped[src]++;
		return;
	}
	c->shown[src]++;
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	push_note(c, msg);
}

/* s[0..n) quoted for a message, cut at 40 bytes (clean_msg does the rest). */
static const char *quoted(const char *s, size_t n, char *buf, size_t len)
{
	snprintf(buf, len, "\"%.*s%s\"", (int)(n > 40 ? 40 : n), s, n > 40 ? "..." : "");
	return buf;
}

/* A file name for a message: as it is when it is a plain name (the findings'
 * hex ids), quoted when it holds anything that could blur the message. */
static const char *name_for_msg(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);
	bool plain = n && n <= 40;
	for (size_t i = 0; plain && i < n; i++)
		plain = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || strchr("._-+", s[i]);
	if (plain) {
		snprintf(buf, len, "%s", s);
		return buf;
	}
	return quoted(s, n, buf, len);
}

static char *join(const char *a, const char *b)
{
	return hcf_xasprintf("%s/%s", a, b);
}

/* ---- JSON ---------------------------------------------------------------------- */

static const char *json_kind(const json_t *j)
{
	static const char *const names[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",
		[JSON_INTEGER] = "an integer", [JSON_REAL] = "a number", [JSON_TRUE] = "true",
		[JSON_FALSE] = "false", [JSON_NULL] = "null",
	};
	unsigned t = (unsigned)json_typeof(j);
	return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "something else";
}

/* path parsed as a JSON object, or NULL with the reason (starting with
 * name) in why. */
static json_t *load_json_object(const char *path, const char *name, char *why, size_t len)
{
	size_t n = 0;
	char *text = hcf_read_file(path, JSON_MAX, &n);
	if (!text) {
		snprintf(why, len, "%s: %s", name,
			 errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
		return NULL;
	}
	if (!n) {
		free(text);
		snprintf(why, len, "%s: empty", name);
		return NULL;
	}
	json_error_t e;
	json_t *j = json_loadb(text, n, 0, &e);
	free(text);
	if (!j) {
		snprintf(why, len, "%s line %d column %d: %s", name, e.line, e.column, e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		snprintf(why, len, "%s: %s, expected an object", name, json_kind(j));
		json_decref(j);
		return NULL;
	}
	return j;
}

/* The types a field may want; a number accepts integers too. */
enum jwant { J_STRING, J_INTEGER, J_NUMBER, J_ARRAY, J_OBJECT };

static const char *const jwant_names[] = {
	[J_STRING] = "a string", [J_INTEGER] = "an integer", [J_NUMBER] = "a number",
	[J_ARRAY] = "an array", [J_OBJECT] = "an object",
};

/* jansson's type tests are macros, so a switch rather than a table of them */
static bool json_has(const json_t *j, enum jwant w)
{
	switch (w) {
	case J_STRING:
		return json_is_string(j);
	case J_INTEGER:
		return json_is_integer(j);
	case J_NUMBER:
		return json_is_number(j);
	case J_ARRAY:
		return json_is_array(j);
	case J_OBJECT:
		return json_is_object(j);
	}
	return false;
}

/* obj[key] when it has the wanted type; NULL when absent (silently) or of
 * another type (noted, naming where it was read). */
static json_t *field(struct hcf_campaign *c, enum hcf_cnote_src src, const char *where,
		     json_t *obj, const char *key, enum jwant want)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return NULL;
	if (json_has(v, want))
		return v;
	note(c, src, "%s: \"%s\" is %s, expected %s: ignored", where, key, json_kind(v),
	     jwant_names[want]);
	return NULL;
}

static char *field_str(struct hcf_campaign *c, enum hcf_cnote_src src, const char *where,
		       json_t *obj, const char *key)
{
	json_t *v = field(c, src, where, obj, key, J_STRING);
	return v ? hcf_xstrndup(json_string_value(v), json_string_length(v)) : NULL;
}

/* ---- campaign.json ----------------------------------------------------------------- */

static void read_runs(struct hcf_campaign *c, json_t *runs)
{
	size_t n = json_array_size(runs);
	c->runs = hcf_xcalloc(n ? n : 1, sizeof(*c->runs));
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(runs, i);
		char where[64];
		snprintf(where, sizeof(where), "%s: runs[%zu]", HCF_CAMPAIGN_JSON, i);
		if (!json_is_object(r)) {
			note(c, HCF_CN_CAMPAIGN, "%s is %s, expected an object: ignored", where,
			     json_kind(r));
			continue;
		}
		struct hcf_crun *run = &c->runs[c->nruns++];
		run->started = run->seconds = NAN;
		json_t *v = field(c, HCF_CN_CAMPAIGN, where, r, HCF_CJ_RUN_STARTED, J_NUMBER);
		if (v)
			run->started = json_number_value(v);
		v = field(c, HCF_CN_CAMPAIGN, where, r, HCF_CJ_RUN_SECONDS, J_NUMBER);
		if (v && json_number_value(v) >= 0)
			run->seconds = json_number_value(v);
		else if (v)
			note(c, HCF_CN_CAMPAIGN, "%s: \"seconds\" is negative: ignored", where);
		run->stopped = field_str(c, HCF_CN_CAMPAIGN, where, r, HCF_CJ_RUN_STOPPED);
	}
}

static void read_campaign_json(struct hcf_campaign *c)
{
	char *path = join(c->dir, HCF_CAMPAIGN_JSON);
	char why[512];
	json_t *j = load_json_object(path, HCF_CAMPAIGN_JSON, why, sizeof(why));
	free(path);
	if (!j) {
		note(c, HCF_CN_CAMPAIGN, "%s: campaign facts unknown", why);
		return;
	}
	c->has_json = true;
	const char *where = HCF_CAMPAIGN_JSON;
	json_t *v = json_object_get(j, "version");
	if (!v)
		note(c, HCF_CN_CAMPAIGN, "%s: no \"version\": read as version 1", where);
	else if (!json_is_integer(v))
		note(c, HCF_CN_CAMPAIGN, "%s: \"version\" is %s, expected 1: read as version 1",
		     where, json_kind(v));
	else if (json_integer_value(v) != 1)
		note(c, HCF_CN_CAMPAIGN, "%s: version %lld is not known: read as version 1", where,
		     (long long)json_integer_value(v));
	for (size_t i = 0; i < HCF_CF_COUNT; i++)
		c->fact[i] = field_str(c, HCF_CN_CAMPAIGN, where, j, hcf_cfact_keys[i]);
	v = field(c, HCF_CN_CAMPAIGN, where, j, HCF_CJ_JOBS, J_INTEGER);
	if (v && json_integer_value(v) >= 1) {
		c->jobs = json_integer_value(v);
		c->has_jobs = true;
	} else if (v) {
		note(c, HCF_CN_CAMPAIGN, "%s: \"jobs\" is %lld, expected 1 or more: ignored", where,
		     (long long)json_integer_value(v));
	}
	v = field(c, HCF_CN_CAMPAIGN, where, j, HCF_CJ_RUNS, J_ARRAY);
	if (v)
		read_runs(c, v);
	json_decref(j);
}

/* ---- stats.csv ------------------------------------------------------------------------ */

struct csv_line {
	char buf[STATS_LINE_MAX + 1];
	size_t len;      /* bytes kept */
	bool cut;        /* longer than STATS_LINE_MAX */
	bool nl;         /* ended by a newline */
	bool nul;        /* holds a NUL byte (the zeroed tail a crash can leave) */
};

/* The next line of f; false at the end of the file. */
static bool read_line(FILE *f, struct csv_line *l)
{
	int ch;
	bool any = false;
	l->len = 0;
	l->cut = l->nl = l->nul = false;
	while ((ch = getc_unlocked(f)) != EOF) {
		any = true;
		if (ch == '\n') {
			l->nl = true;
			break;
		}
		if (ch == '\0')
			l->nul = true;
		if (l->len < STATS_LINE_MAX)
			l->buf[l->len++] = (char)ch;
		else
			l->cut = true;
	}
	if (l->len && l->buf[l->len - 1] == '\r')
		l->len--;
	l->buf[l->len] = '\0';
	return any;
}

/* Split at commas, in place. Returns the number of fields (which may exceed
 * max; only the first max are stored). */
static size_t split_fields(char *s, char **fields, size_t max)
{
	size_t n = 0;
	for (char *p = s;; p++) {
		char *comma = strchr(p, ',');
		if (n < max)
			fields[n] = p;
		n++;
		if (!comma)
			break;
		*comma = '\0';
		p = comma;
	}
	return n;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* A field as a finite, non-negative number; NULL, or why not. */
static const char *parse_value(char *s, double *v)
{
	s = trim(s);
	if (!*s)
		return "is empty";
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (end == s || *end)
		return "is not a number";
	if (!isfinite(d))
		return "is not a finite number";
	if (d < 0)
		return "is negative";
	*v = d;
	return NULL;
}

struct csv_state {
	int map[STATS_FIELDS_MAX];   /* field index -> column, -1 for an unknown column */
	size_t nfields;
	bool have_prev;
	double elapsed_off, prev_elapsed;
	double execs_closed, execs_cur, calls_closed, calls_cur;
};

/* A counter that restarts lower (a run that counted from zero) closes a
 * segment: the total is the sum of every segment's last value. */
static void counter_add(double *closed, double *cur, bool have_prev, double v)
{
	if (isnan(v))
		return;
	if (have_prev && !isnan(*cur) && v < *cur)
		*closed += *cur;
	*cur = v;
}

static void keep_row(struct hcf_campaign *c, const double *v)
{
	if (c->nrows == STATS_ROWS_MAX) {
		/* thin evenly: keep every other row and from now on every 2^k-th */
		for (size_t i = 0; 2 * i < c->nrows; i++)
			memcpy(c->rows[i], c->rows[2 * i], sizeof(c->rows[0]));
		c->nrows = (c->nrows + 1) / 2;
		c->stride *= 2;
	}
	if (c->nrows == c->rows_cap) {
		c->rows_cap = c->rows_cap ? c->rows_cap * 2 : 256;
		c->rows = hcf_xreallocarray(c->rows, c->rows_cap, sizeof(c->rows[0]));
	}
	memcpy(c->rows[c->nrows++], v, sizeof(c->rows[0]));
}

static void use_row(struct hcf_campaign *c, struct csv_state *st, double *v, size_t lineno)
{
	double e = v[HCF_CS_ELAPSED];
	if (!isnan(e)) {
		/* elapsed_s is cumulative over resumed runs; a run that restarted it
		 * is drawn after the previous one instead of over it */
		if (st->have_prev && e + st->elapsed_off < st->prev_elapsed) {
			note(c, HCF_CN_STATS,
			     "%s line %zu: elapsed_s goes back from %.1f to %.1f: counted on from %.1f",
			     HCF_CAMPAIGN_STATS, lineno, st->prev_elapsed, e, st->prev_elapsed);
			st->elapsed_off = st->prev_elapsed;
		}
		v[HCF_CS_ELAPSED] = e + st->elapsed_off;
		st->prev_elapsed = v[HCF_CS_ELAPSED];
	}
	counter_add(&st->execs_closed, &st->execs_cur, st->have_prev, v[HCF_CS_EXECS]);
	counter_add(&st->calls_closed, &st->calls_cur, st->have_prev, v[HCF_CS_CALLS]);
	st->have_prev = true;
	if (c->rows_used % c->stride == 0)
		keep_row(c, v);
	memcpy(c->last, v, sizeof(c->last));
	c->rows_used++;
}

/* Line 1: map the header's names to columns. A file without a header (its
 * first line is numbers in the documented order) is read with the
 * documented columns; returns true when line 1 is then a data line too.
 * *ok is false when the file cannot be read at all. line is not changed. */
static bool read_header(struct hcf_campaign *c, struct csv_state *st, const char *line, bool *ok)
{
	char names[STATS_LINE_MAX + 1];
	snprintf(names, sizeof(names), "%s", line);
	char *fields[STATS_FIELDS_MAX];
	size_t n = split_fields(names, fields, STATS_FIELDS_MAX);
	char q[64];
	*ok = false;
	if (n > STATS_FIELDS_MAX) {
		note(c, HCF_CN_STATS, "%s line 1: %zu columns, at most %d are read: file skipped",
		     HCF_CAMPAIGN_STATS, n, STATS_FIELDS_MAX);
		return false;
	}
	size_t known = 0;
	for (size_t i = 0; i < n; i++) {
		char *name = trim(fields[i]);
		st->map[i] = -1;
		for (int k = 0; k < HCF_CS_COUNT; k++) {
			if (strcmp(name, hcf_cstat_col_names[k]))
				continue;
			if (c->col[k]) {
				note(c, HCF_CN_STATS, "%s line 1: column %s twice: the second is ignored",
				     HCF_CAMPAIGN_STATS, quoted(name, strlen(name), q, sizeof(q)));
				break;
			}
			st->map[i] = k;
			c->col[k] = true;
			known++;
			break;
		}
	}
	st->nfields = n;
	if (!known) {
		/* headerless: numbers in the documented order */
		char nums[STATS_LINE_MAX + 1];
		snprintf(nums, sizeof(nums), "%s", line);
		double v;
		char *f2[STATS_FIELDS_MAX];
		bool numeric = split_fields(nums, f2, STATS_FIELDS_MAX) == HCF_CS_COUNT;
		for (size_t i = 0; numeric && i < HCF_CS_COUNT; i++)
			numeric = !parse_value(f2[i], &v);
		if (!numeric) {
			note(c, HCF_CN_STATS, "%s line 1: no known column in the header: file skipped",
			     HCF_CAMPAIGN_STATS);
			return false;
		}
		note(c, HCF_CN_STATS, "%s line 1: no header: read as the documented columns",
		     HCF_CAMPAIGN_STATS);
		for (int k = 0; k < HCF_CS_COUNT; k++) {
			st->map[k] = k;
			c->col[k] = true;
		}
		st->nfields = HCF_CS_COUNT;
		*ok = true;
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (st->map[i] < 0)
			note(c, HCF_CN_STATS, "%s line 1: unknown column %s: ignored",
			     HCF_CAMPAIGN_STATS, quoted(fields[i], strlen(fields[i]), q, sizeof(q)));
	for (int k = 0; k < HCF_CS_COUNT; k++)
		if (!c->col[k])
			note(c, HCF_CN_STATS, "%s line 1: no column \"%s\": left out of the report",
			     HCF_CAMPAIGN_STATS, hcf_cstat_col_names[k]);
	*ok = true;
	return false;
}

/* Why a data line cannot be used, or NULL with its values in v. */
static const char *parse_row(struct csv_state *st, struct csv_line *l, double *v, char *why,
			     size_t len)
{
	if (l->nul)
		return "holds NUL bytes (a torn write)";
	if (l->cut)
		return "longer than 4096 bytes";
	if (!l->len)
		return "empty";
	if (!l->nl)
		return "no line end (cut short by an interrupted write)";
	char *fields[STATS_FIELDS_MAX];
	size_t n = split_fields(l->buf, fields, STATS_FIELDS_MAX);
	if (n != st->nfields) {
		snprintf(why, len, "%zu field%s, expected %zu", n, n == 1 ? "" : "s", st->nfields);
		return why;
	}
	for (int k = 0; k < HCF_CS_COUNT; k++)
		v[k] = NAN;
	for (size_t i = 0; i < n; i++) {
		if (st->map[i] < 0)
			continue;
		const char *bad = parse_value(fields[i], &v[st->map[i]]);
		if (bad) {
			char q[64];
			snprintf(why, len, "%s %s %s", hcf_cstat_col_names[st->map[i]],
				 quoted(fields[i], strlen(fields[i]), q, sizeof(q)), bad);
			return why;
		}
	}
	return NULL;
}

static void read_stats(struct hcf_campaign *c)
{
	char *path = join(c->dir, HCF_CAMPAIGN_STATS);
	FILE *f = fopen(path, "rb");
	free(path);
	c->stride = 1;
	if (!f) {
		note(c, HCF_CN_STATS, "%s: %s: no progress plots", HCF_CAMPAIGN_STATS, strerror(errno));
		return;
	}
	struct csv_line *l = hcf_xmalloc(sizeof(*l));
	struct csv_state st;
	memset(&st, 0, sizeof(st));
	st.execs_cur = st.calls_cur = NAN;
	size_t lineno = 0;
	bool header_ok = false;
	while (read_line(f, l)) {
		lineno++;
		char why[160];
		double v[HCF_CS_COUNT];
		if (lineno == 1) {
			if (l->nul || l->cut || !l->len) {
				note(c, HCF_CN_STATS, "%s line 1: %s header: file skipped",
				     HCF_CAMPAIGN_STATS,
				     l->nul ? "a torn" : l->cut ? "an over-long" : "an empty");
				break;
			}
			bool data = read_header(c, &st, l->buf, &header_ok);
			if (!header_ok)
				break;
			c->has_stats = true;
			if (!data)
				continue;
			/* headerless file: line 1 is data as well */
		}
		const char *bad = parse_row(&st, l, v, why, sizeof(why));
		if (bad) {
			note(c, HCF_CN_STATS, "%s line %zu: %s: skipped", HCF_CAMPAIGN_STATS, lineno, bad);
			c->rows_skipped++;
			continue;
		}
		use_row(c, &st, v, lineno);
	}
	if (ferror(f))
		note(c, HCF_CN_STATS, "%s: read error after line %zu: %s: the rest is missing",
		     HCF_CAMPAIGN_STATS, lineno, strerror(errno));
	else if (lineno == 0)
		note(c, HCF_CN_STATS, "%s: empty: no progress plots", HCF_CAMPAIGN_STATS);
	fclose(f);
	free(l);

	/* the last row always makes the plots, also after thinning */
	if (c->rows_used && (c->rows_used - 1) % c->stride != 0) {
		c->stride = 1;  /* keep_row would thin again at the cap; one more row is fine */
		if (c->nrows == c->rows_cap) {
			c->rows_cap++;
			c->rows = hcf_xreallocarray(c->rows, c->rows_cap, sizeof(c->rows[0]));
		}
		memcpy(c->rows[c->nrows++], c->last, sizeof(c->last));
	}
	c->execs_total = isnan(st.execs_cur) ? NAN : st.execs_closed + st.execs_cur;
	c->calls_total = isnan(st.calls_cur) ? NAN : st.calls_closed + st.calls_cur;
	if (c->rows_skipped) {
		/* the summary is listed even when the lines it sums up were too many to list */
		char msg[160];
		snprintf(msg, sizeof(msg), "%s: %zu of %zu data lines skipped", HCF_CAMPAIGN_STATS,
			 c->rows_skipped, c->rows_skipped + c->rows_used);
		push_note(c, msg);
	}
}

/* ---- findings/ ------------------------------------------------------------------------ */

/* Higher first: known verdicts by severity, then unknown ones, unreadable last. */
static int finding_rank(const struct hcf_cfinding *f)
{
	return f->problem ? 0 : !f->has_v ? 1 : 2 + (int)f->v;
}

static int finding_cmp(const void *a, const void *b)
{
	const struct hcf_cfinding *x = a, *y = b;
	int rx = finding_rank(x), ry = finding_rank(y);
	if (rx != ry)
		return ry - rx;
	if (x->has_first_seen != y->has_first_seen)
		return x->has_first_seen ? -1 : 1;
	if (x->has_first_seen && x->first_seen != y->first_seen)
		return x->first_seen < y->first_seen ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The time_t range a finding may claim: no earlier than 1970, no later than
 * year 9999 (gmtime and the ISO form stay meaningful). */
#define FIRST_SEEN_MAX 253402300799.0

static void read_finding_json(struct hcf_campaign *c, struct hcf_cfinding *f, const char *fdir)
{
	char *path = join(fdir, HCF_FINDING_JSON);
	char why[512], where[384], q[64];
	json_t *j = load_json_object(path, HCF_FINDING_JSON, why, sizeof(why));
	free(path);
	const char *qn = name_for_msg(f->name, q, sizeof(q));
	if (!j) {
		f->problem = hcf_xstrdup(why);
		note(c, HCF_CN_FINDINGS, "%s/%s: %s: listed as unreadable", HCF_CAMPAIGN_FINDINGS,
		     qn, why);
		return;
	}
	snprintf(where, sizeof(where), "%s/%s/finding.json", HCF_CAMPAIGN_FINDINGS, qn);
	f->id = field_str(c, HCF_CN_FINDINGS, where, j, HCF_FJ_ID);
	f->signature = field_str(c, HCF_CN_FINDINGS, where, j, HCF_FJ_SIGNATURE);
	f->reason = field_str(c, HCF_CN_FINDINGS, where, j, HCF_FJ_REASON);
	f->verdict_name = field_str(c, HCF_CN_FINDINGS, where, j, HCF_FJ_VERDICT);
	f->first_seen_text = field_str(c, HCF_CN_FINDINGS, where, j, HCF_FJ_FIRST_SEEN);

	if (f->id && strcmp(f->id, f->name))
		note(c, HCF_CN_FINDINGS, "%s: id %s differs from the directory's name", where,
		     quoted(f->id, strlen(f->id), why, sizeof(why)));
	if (!f->signature) {
		/* the parts it is made of, when they are all there */
		static const char *const parts[] = { "oracle", "op", "where", "class" };
		const char *p[4];
		size_t k = 0;
		for (; k < 4; k++) {
			json_t *v = json_object_get(j, parts[k]);
			if (!json_is_string(v))
				break;
			p[k] = json_string_value(v);
		}
		if (k == 4)
			f->signature = hcf_xasprintf("%s|%s|%s|%s", p[0], p[1], p[2], p[3]);
		else
			note(c, HCF_CN_FINDINGS, "%s: no \"signature\"", where);
	}
	if (!f->verdict_name)
		note(c, HCF_CN_FINDINGS, "%s: no \"verdict\"", where);
	else if (hcf_verdict_parse(f->verdict_name, &f->v) == 0)
		f->has_v = true;
	else
		note(c, HCF_CN_FINDINGS, "%s: verdict %s is not a verdict", where,
		     quoted(f->verdict_name, strlen(f->verdict_name), why, sizeof(why)));
	json_t *v = field(c, HCF_CN_FINDINGS, where, j, HCF_FJ_FIRST_SEEN_UNIX, J_NUMBER);
	if (v) {
		double t = json_number_value(v);
		if (t >= 0 && t <= FIRST_SEEN_MAX) {
			f->first_seen = (time_t)t;
			f->has_first_seen = true;
		} else {
			note(c, HCF_CN_FINDINGS, "%s: first_seen_unix %.0f is not a time: ignored",
			     where, t);
		}
	}
	json_decref(j);
}

static bool is_regular(const char *dir, const char *name)
{
	char *p = join(dir, name);
	struct stat st;
	bool r = stat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return r;
}

/* minimized.hcf (up to HCF_CFINDING_PROG_MAX bytes), program.hcf, repro.c. */
static void read_finding_files(struct hcf_campaign *c, struct hcf_cfinding *f, const char *fdir)
{
	f->has_program = is_regular(fdir, HCF_FINDING_PROGRAM);
	f->has_repro = is_regular(fdir, HCF_FINDING_REPRO);
	char *path = join(fdir, HCF_FINDING_MINIMIZED);
	FILE *in = fopen(path, "rb");
	free(path);
	char q[64];
	const char *qn = name_for_msg(f->name, q, sizeof(q));
	if (!in) {
		if (errno != ENOENT) {
			f->minimized_problem = hcf_xstrdup(strerror(errno));
			note(c, HCF_CN_FINDINGS, "%s/%s/minimized.hcf: %s: shown as unreadable",
			     HCF_CAMPAIGN_FINDINGS, qn, f->minimized_problem);
		}
		return;
	}
	struct stat st;
	f->minimized = hcf_xmalloc(HCF_CFINDING_PROG_MAX + 1);
	f->minimized_len = fread(f->minimized, 1, HCF_CFINDING_PROG_MAX, in);
	if (ferror(in)) {
		f->minimized_problem = hcf_xstrdup(strerror(errno ? errno : EIO));
		note(c, HCF_CN_FINDINGS, "%s/%s/minimized.hcf: %s: shown as unreadable",
		     HCF_CAMPAIGN_FINDINGS, qn, f->minimized_problem);
		free(f->minimized);
		f->minimized = NULL;
		f->minimized_len = 0;
	} else {
		f->minimized[f->minimized_len] = '\0';
		if (fstat(fileno(in), &st) == 0 && (size_t)st.st_size > f->minimized_len)
			f->minimized_more = (size_t)st.st_size - f->minimized_len;
	}
	fclose(in);
}

static void read_findings(struct hcf_campaign *c, size_t max_listed)
{
	char *path = join(c->dir, HCF_CAMPAIGN_FINDINGS);
	struct stat st;
	DIR *d = NULL;
	if (stat(path, &st) != 0) {
		/* a campaign without findings need not have the directory */
		if (errno != ENOENT)
			note(c, HCF_CN_FINDINGS, "%s/: %s: no findings read", HCF_CAMPAIGN_FINDINGS,
			     strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		note(c, HCF_CN_FINDINGS, "%s: not a directory: no findings read",
		     HCF_CAMPAIGN_FINDINGS);
		goto out;
	}
	d = opendir(path);
	if (!d) {
		note(c, HCF_CN_FINDINGS, "%s/: %s: no findings read", HCF_CAMPAIGN_FINDINGS,
		     strerror(errno));
		goto out;
	}
	c->has_findings_dir = true;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *name = e->d_name;
		char q[64];
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		const char *qn = name_for_msg(name, q, sizeof(q));
		if (name[0] == '.') {
			note(c, HCF_CN_FINDINGS,
			     "%s/%s: hidden (a finding being written, or left by an interrupted "
			     "write): skipped",
			     HCF_CAMPAIGN_FINDINGS, qn);
			continue;
		}
		char *fdir = join(path, name);
		int sr = stat(fdir, &st);
		if (sr != 0 || !S_ISDIR(st.st_mode)) {
			note(c, HCF_CN_FINDINGS, "%s/%s: %s: skipped", HCF_CAMPAIGN_FINDINGS, qn,
			     sr != 0 ? strerror(errno) : "not a directory");
			free(fdir);
			continue;
		}
		if (c->nf == cap) {
			cap = cap ? cap * 2 : 16;
			c->f = hcf_xreallocarray(c->f, cap, sizeof(*c->f));
		}
		struct hcf_cfinding *f = &c->f[c->nf++];
		memset(f, 0, sizeof(*f));
		f->name = hcf_xstrdup(name);
		read_finding_json(c, f, fdir);
		free(fdir);
	}
	closedir(d);
	if (c->nf)
		qsort(c->f, c->nf, sizeof(*c->f), finding_cmp);
	c->listed = c->nf < max_listed ? c->nf : max_listed;
	for (size_t i = 0; i < c->listed; i++) {
		char *fdir = join(path, c->f[i].name);
		read_finding_files(c, &c->f[i], fdir);
		free(fdir);
	}
	for (size_t i = 0; i < c->nf; i++) {
		if (c->f[i].problem)
			c->unreadable++;
		else if (!c->f[i].has_v)
			c->unknown_verdict++;
		else
			c->tally[c->f[i].v]++;
	}
out:
	free(path);
}

/* ---- all of it ------------------------------------------------------------------------ */

/* coverage.json, the matrix the campaign summed; its loader checks it whole. */
static void read_coverage(struct hcf_campaign *c)
{
	char *p = hcf_xasprintf("%s/%s", c->dir, HCF_CAMPAIGN_COVERAGE);
	struct stat st;
	c->has_cov_file = stat(p, &st) == 0;
	if (c->has_cov_file) {
		char why[768];
		c->cov = hcf_cov_load_file(p, why, sizeof(why));
		/* the message starts with the path: the note names the file alone */
		size_t dl = strlen(c->dir);
		if (!c->cov)
			note(c, HCF_CN_COVERAGE, "%s: skipped",
			     !strncmp(why, c->dir, dl) && why[dl] == '/' ? why + dl + 1 : why);
	}
	free(p);
}

void hcf_campaign_read(struct hcf_campaign *c, const char *dir, FILE *warn, size_t max_listed)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	c->dir = hcf_xstrndup(dir, n);
	c->warn = warn;
	for (int k = 0; k < HCF_CS_COUNT; k++)
		c->last[k] = NAN;
	c->execs_total = c->calls_total = NAN;
	read_campaign_json(c);
	read_stats(c);
	read_findings(c, max_listed);
	read_coverage(c);
	for (int s = 0; s < HCF_CN_COUNT; s++)
		if (c->dropped[s]) {
			char msg[160];
			snprintf(msg, sizeof(msg), "%s: %zu more problem%s not listed", src_names[s],
				 c->dropped[s], c->dropped[s] == 1 ? "" : "s");
			push_note(c, msg);
		}
}

void hcf_campaign_free(struct hcf_campaign *c)
{
	hcf_cov_free(c->cov);
	for (int i = 0; i < HCF_CF_COUNT; i++)
		free(c->fact[i]);
	for (size_t i = 0; i < c->nruns; i++)
		free(c->runs[i].stopped);
	free(c->runs);
	free(c->rows);
	for (size_t i = 0; i < c->nf; i++) {
		struct hcf_cfinding *f = &c->f[i];
		free(f->name);
		free(f->problem);
		free(f->id);
		free(f->signature);
		free(f->reason);
		free(f->verdict_name);
		free(f->first_seen_text);
		free(f->minimized);
		free(f->minimized_problem);
	}
	free(c->f);
	for (size_t i = 0; i < c->nnotes; i++)
		free(c->notes[i]);
	free(c->notes);
	free(c->dir);
	memset(c, 0, sizeof(*c));
}
