/* report_util.c: text buffers, UTF-8 repair, escaping and issue formatting shared by the writers. */
#include "reports/report_util.h"
#include "util/x86.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* ---- growable text ----------------------------------------------------- */

static void rbuf_reserve(struct hcf_rbuf *b, size_t extra)
{
	if (b->cap - b->len > extra)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len <= extra)
		cap *= 2;
	b->p = hcf_xrealloc(b->p, cap);
	b->cap = cap;
}

void hcf_rbuf_put(struct hcf_rbuf *b, const char *s, size_t n)
{
	rbuf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void hcf_rbuf_puts(struct hcf_rbuf *b, const char *s)
{
	hcf_rbuf_put(b, s, strlen(s));
}

void hcf_rbuf_printf(struct hcf_rbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	rbuf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void hcf_rbuf_free(struct hcf_rbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Lead bytes of multi-byte sequences: range, length, payload bits, smallest
 * code point the length may encode (anything below is an overlong form). */
static const struct {
	uint8_t lo, hi, len, mask;
	uint32_t min;
} utf8_leads[] = {
	{ 0xc2, 0xdf, 2, 0x1f, 0x80 },
	{ 0xe0, 0xef, 3, 0x0f, 0x800 },
	{ 0xf0, 0xf4, 4, 0x07, 0x10000 },
};

static const char utf8_replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

size_t hcf_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (!n)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	for (size_t i = 0; i < sizeof(utf8_leads) / sizeof(utf8_leads[0]); i++) {
		if (s[0] < utf8_leads[i].lo || s[0] > utf8_leads[i].hi)
			continue;
		size_t len = utf8_leads[i].len;
		if (n < len)
			return 0;
		uint32_t v = s[0] & utf8_leads[i].mask;
		for (size_t k = 1; k < len; k++) {
			if ((s[k] & 0xc0) != 0x80)
				return 0;
			v = (v << 6) | (s[k] & 0x3f);
		}
		if (v < utf8_leads[i].min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return 0;
		*cp = v;
		return len;
	}
	return 0;
}

bool hcf_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	for (size_t i = 0; i < n;) {
		size_t k = hcf_utf8_next(u + i, n - i, &cp);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/*
 * Walk s as UTF-8 and hand each character to emit: ASCII through a table
 * (NULL entry: the byte itself), anything invalid or refused as U+FFFD. One
 * walker for every escaping style keeps the UTF-8 rules in one place.
 */
typedef bool (*cp_ok_fn)(uint32_t cp);

static void put_escaped(struct hcf_rbuf *b, const char *s, size_t n,
			const char *const ascii[128], cp_ok_fn ok)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = hcf_utf8_next(u + i, n - i, &cp);
		if (!k || (ok && !ok(cp))) {
			hcf_rbuf_puts(b, utf8_replacement);
			i += k ? k : 1;
			continue;
		}
		if (cp < 128 && ascii[cp])
			hcf_rbuf_puts(b, ascii[cp]);
		else
			hcf_rbuf_put(b, s + i, k);
		i += k;
	}
}

void hcf_rbuf_put_utf8(struct hcf_rbuf *b, const char *s, size_t n)
{
	static const char *const none[128];
	put_escaped(b, s, n, none, NULL);
}

/* XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
 * Surrogates never get here (invalid UTF-8). */
static bool xml_char_ok(uint32_t cp)
{
	if (cp < 0x20)
		return cp == 0x9 || cp == 0xa || cp == 0xd;
	return cp != 0xfffe && cp != 0xffff;
}

/* In character data a CR would be normalised to LF by the parser, so it goes
 * as a reference; in attributes TAB and LF would become spaces as well. */
static const char *const xml_text_ent[128] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&apos;",
	['\r'] = "&#13;",
};
static const char *const xml_attr_ent[128] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&apos;",
	['\r'] = "&#13;", ['\n'] = "&#10;", ['\t'] = "&#9;",
};

void hcf_rbuf_put_xml(struct hcf_rbuf *b, const char *s, size_t n, bool attr)
{
	put_escaped(b, s, n, attr ? xml_attr_ent : xml_text_ent, xml_char_ok);
}

/* Markdown: one line per row or item, so C0 controls other than the line
 * breaks (flattened to spaces below) become U+FFFD. */
static bool md_char_ok(uint32_t cp)
{
	return cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r';
}

/* Characters that would start inline markup, a table cell boundary, an HTML
 * tag or an entity; CommonMark lets any ASCII punctuation be escaped. */
static const char *const md_text_esc[128] = {
	['\\'] = "\\\\", ['`'] = "\\`", ['*'] = "\\*", ['_'] = "\\_", ['|'] = "\\|",
	['<'] = "\\<", ['>'] = "\\>", ['['] = "\\[", [']'] = "\\]", ['&'] = "\\&",
	['~'] = "\\~", ['\n'] = " ", ['\r'] = " ", ['\t'] = " ",
};
/* Inside a code span nothing is markup; only the line breaks (and, in a GFM
 * table, the cell separator) need care. */
static const char *const md_code_esc[128] = {
	['\n'] = " ", ['\r'] = " ", ['\t'] = " ",
};
static const char *const md_code_table_esc[128] = {
	['|'] = "\\|", ['\n'] = " ", ['\r'] = " ", ['\t'] = " ",
};

void hcf_rbuf_put_md(struct hcf_rbuf *b, const char *s, size_t n)
{
	put_escaped(b, s, n, md_text_esc, md_char_ok);
}

void hcf_rbuf_put_md_code(struct hcf_rbuf *b, const char *s, size_t n, bool in_table)
{
	/* The fence must be longer than any backtick run inside. */
	size_t run = 0, longest = 0;
	for (size_t i = 0; i < n; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	char fence[16];
	size_t flen = longest + 1 < sizeof(fence) - 1 ? longest + 1 : sizeof(fence) - 1;
	memset(fence, '`', flen);
	fence[flen] = '\0';
	/* A span starting or ending with a backtick or space needs a space of
	 * padding on both sides; CommonMark strips exactly one of each. */
	bool pad = n && (s[0] == '`' || s[n - 1] == '`' || s[0] == ' ' || s[n - 1] == ' ');
	hcf_rbuf_puts(b, fence);
	if (pad)
		hcf_rbuf_puts(b, " ");
	put_escaped(b, s, n, in_table ? md_code_table_esc : md_code_esc, md_char_ok);
	if (pad)
		hcf_rbuf_puts(b, " ");
	hcf_rbuf_puts(b, fence);
}

/* ---- values and names --------------------------------------------------- */

const char *hcf_fmt_value(const struct hcf_abi *abi, const struct hcf_op *op, uint64_t v,
			  char *buf, size_t len)
{
	if (!buf || !len)
		return "";
	int n = snprintf(buf, len, "0x%llx", (unsigned long long)v);
	if (!abi || n < 0 || (size_t)n >= len)
		return buf;
	char name[128];
	const char *nm = hcf_spec_value_name(abi, op, (int64_t)v, name, sizeof(name));
	/* A name that does not fit whole is left out rather than cut. */
	if (nm && (size_t)n + strlen(nm) + 3 < len)
		snprintf(buf + n, len - (size_t)n, " (%s)", nm);
	return buf;
}

const char *hcf_rpt_vector_name(unsigned vector, char *buf, size_t len)
{
	const char *m = hcf_x86_exc_mnemonic(vector);
	if (m)
		return m;
	snprintf(buf, len, "vector %u", vector);
	return buf;
}

const char *hcf_rpt_verdict(enum hcf_verdict v)
{
	const char *s = (unsigned)v < HCF_V_COUNT ? hcf_verdict_name(v) : NULL;
	return s ? s : "?";
}

/* ---- issues -------------------------------------------------------------- */

const char *hcf_rpt_issue_value(const struct hcf_abi *abi, const struct hcf_op *op,
				const struct hcf_issue *is, uint64_t v, char *buf, size_t len)
{
	/* Constant names are return values and error codes: a clobbered rdx that
	 * happens to hold 1 is not "KVM_EPERM". */
	unsigned ret = op ? op->ret_reg : abi ? abi->ret_reg : HCF_REG_NONE;
	bool named = ret != HCF_REG_NONE && is->loc.kind == HCF_LOC_REG && is->loc.reg == ret;
	return hcf_fmt_value(named ? abi : NULL, op, v, buf, len);
}

const char *hcf_rpt_issue_line(const struct hcf_abi *abi, const struct hcf_op *op,
			       const struct hcf_issue *is, char *buf, size_t len)
{
	const char *oracle = is->oracle ? is->oracle : "?";
	int wl = (int)HCF_FIELD_LEN(is->where), rl = (int)HCF_FIELD_LEN(is->reason);
	const char *wsep = wl ? " " : "";
	/* a known anomaly says which, and what it would have been */
	char anom[96] = "";
	if (is->anomaly && is->v == HCF_V_XFAIL)
		snprintf(anom, sizeof(anom), " [known anomaly %s, else %s]", is->anomaly,
			 hcf_rpt_verdict(is->was));
	if (is->has_values && is->loc.kind != HCF_LOC_EXCEPTION) {
		char e[160], g[160];
		hcf_rpt_issue_value(abi, op, is, is->expected, e, sizeof(e));
		hcf_rpt_issue_value(abi, op, is, is->got, g, sizeof(g));
		snprintf(buf, len, "%s%s%.*s%s: expected %s got %s%s%.*s", oracle, wsep, wl, is->where,
			 anom, e, g, rl ? ": " : "", rl, is->reason);
	} else {
		snprintf(buf, len, "%s%s%.*s%s%s%.*s", oracle, wsep, wl, is->where, anom,
			 rl ? ": " : "", rl, is->reason);
	}
	return buf;
}

static size_t kept_issues(const struct hcf_call_verdict *cv)
{
	return cv->nissues < HCF_MAX_ISSUES ? cv->nissues : HCF_MAX_ISSUES;
}

const struct hcf_issue *hcf_rpt_decisive_issue(const struct hcf_test *t,
					       const struct hcf_test_outcome *o, size_t *call)
{
	if (!o->cvs)
		return NULL;
	/* Three passes, most specific first: the issue carrying the test's own
	 * verdict explains it best; a HANG test's earlier FAIL does not. */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < t->prog.ncalls; i++) {
			const struct hcf_call_verdict *cv = &o->cvs[i];
			for (size_t j = 0; j < kept_issues(cv); j++) {
				enum hcf_verdict v = cv->issues[j].v;
				bool hit = pass == 0   ? v == o->v && v != HCF_V_PASS
					   : pass == 1 ? v >= HCF_V_FAIL
						       : v != HCF_V_PASS;
				if (hit) {
					if (call)
						*call = i;
					return &cv->issues[j];
				}
			}
		}
	}
	return NULL;
}

/* "call 2 (NAME): " when the program has several calls, else nothing. */
static int call_prefix(const struct hcf_test *t, size_t i, char *buf, size_t len)
{
	if (t->prog.ncalls <= 1 || i >= t->prog.ncalls) {
		buf[0] = '\0';
		return 0;
	}
	char name[96];
	return snprintf(buf, len, "call %zu (%s): ", i,
			hcf_pcall_name(&t->prog, &t->prog.calls[i], name, sizeof(name)));
}

static const char *liveness_reason(const struct hcf_test_outcome *o, char *buf, size_t len)
{
	const struct hcf_prog_result *r = o->res;
	int dl = r ? (int)HCF_FIELD_LEN(r->detail) : 0;
	if (r && r->liveness != HCF_LIVE_OK)
		snprintf(buf, len, "liveness: %s%s%.*s", hcf_liveness_name(r->liveness),
			 dl ? ": " : "", dl, r->detail);
	else if (dl)
		snprintf(buf, len, "%.*s", dl, r->detail);
	else
		snprintf(buf, len, "no issue recorded");
	return buf;
}

const char *hcf_rpt_test_reason(const struct hcf_test *t, const struct hcf_test_outcome *o,
				char *buf, size_t len)
{
	size_t ci = 0;
	const struct hcf_issue *is = hcf_rpt_decisive_issue(t, o, &ci);
	if (!is) {
		if (o->v == HCF_V_PASS)
			return NULL;
		return liveness_reason(o, buf, len);
	}
	char pre[160], line[512];
	call_prefix(t, ci, pre, sizeof(pre));
	hcf_rpt_issue_line(t->prog.abi, hcf_prog_call_op(&t->prog, ci), is, line,
			   sizeof(line));
	snprintf(buf, len, "%s%s", pre, line);
	return buf;
}

void hcf_rpt_issue_lines(struct hcf_rbuf *b, const struct hcf_test *t,
			 const struct hcf_test_outcome *o)
{
	size_t total = 0;
	for (size_t i = 0; o->cvs && i < t->prog.ncalls; i++) {
		const struct hcf_call_verdict *cv = &o->cvs[i];
		char pre[160], line[512];
		call_prefix(t, i, pre, sizeof(pre));
		for (size_t j = 0; j < kept_issues(cv); j++) {
			hcf_rpt_issue_line(t->prog.abi, hcf_prog_call_op(&t->prog, i),
					   &cv->issues[j], line, sizeof(line));
			hcf_rbuf_printf(b, "%s%s\n", pre, line);
			total++;
		}
		if (cv->dropped) {
			hcf_rbuf_printf(b, "%s%zu more issue%s counted but not kept\n", pre,
					cv->dropped, cv->dropped == 1 ? "" : "s");
			total++;
		}
	}
	if (!total && o->v != HCF_V_PASS) {
		char line[512];
		hcf_rbuf_printf(b, "%s\n", liveness_reason(o, line, sizeof(line)));
	}
}

/* ---- groups --------------------------------------------------------------- */

void hcf_rpt_groups_add(struct hcf_rpt_groups *gs, const char *group, size_t len,
			enum hcf_verdict v)
{
	if (len >= sizeof(gs->g[0].name))
		len = sizeof(gs->g[0].name) - 1;
	size_t i = gs->last;
	if (i >= gs->n || strncmp(gs->g[i].name, group, len) || gs->g[i].name[len]) {
		for (i = 0; i < gs->n; i++)
			if (!strncmp(gs->g[i].name, group, len) && !gs->g[i].name[len])
				break;
	}
	if (i == gs->n) {
		if (gs->n == gs->cap) {
			gs->cap = gs->cap ? gs->cap * 2 : 16;
			gs->g = hcf_xreallocarray(gs->g, gs->cap, sizeof(*gs->g));
		}
		memset(&gs->g[i], 0, sizeof(gs->g[i]));
		memcpy(gs->g[i].name, group, len);
		gs->n++;
	}
	gs->last = i;
	hcf_tally_add(&gs->g[i].tally, v);
}

void hcf_rpt_groups_free(struct hcf_rpt_groups *gs)
{
	free(gs->g);
	memset(gs, 0, sizeof(*gs));
}

const char *hcf_rpt_iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (!t)
		t = time(NULL);
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(buf, len, "1970-01-01T00:00:00");
	return buf;
}

const char *hcf_report_test_reason(const struct hcf_test *t, const struct hcf_test_outcome *o,
				   char *buf, size_t len)
{
	return hcf_rpt_test_reason(t, o, buf, len);
}

bool hcf_rpt_verdict_column(enum hcf_verdict v, const struct hcf_tally *total)
{
	if (v != HCF_V_LOST && v != HCF_V_XFAIL && v != HCF_V_XPASS)
		return true;
	return total && (unsigned)v < HCF_V_COUNT && total->n[v];
}
