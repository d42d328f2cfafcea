/*
 * report_util.h: helpers the report writers share (internal to reports/).
 *
 * Growable text buffers, UTF-8 repair, XML and Markdown escaping, the one-line
 * form of an issue, the issue that decided a test, exception mnemonics and
 * per-group verdict counts. Every writer formats the same facts the same way
 * through these, so the terminal table, JUnit, JSON Lines and Markdown never
 * disagree about what a test found.
 */
#ifndef HCF_REPORT_UTIL_H
#define HCF_REPORT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "reports/report.h"

/* ---- growable text ----------------------------------------------------- */

struct hcf_rbuf {
	char *p;       /* NUL-terminated once anything was appended */
	size_t len, cap;
};

void hcf_rbuf_put(struct hcf_rbuf *b, const char *s, size_t n);
void hcf_rbuf_puts(struct hcf_rbuf *b, const char *s);
void hcf_rbuf_printf(struct hcf_rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hcf_rbuf_free(struct hcf_rbuf *b);
static inline const char *hcf_rbuf_str(const struct hcf_rbuf *b)
{
	return b->p ? b->p : "";
}

/* ---- UTF-8 and escaping ------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..n) with its code point in *cp,
 * or 0 when s starts an invalid one (overlong, surrogate, > U+10FFFF, cut). */
size_t hcf_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);
bool hcf_utf8_valid(const char *s, size_t n);
/* s[0..n) as valid UTF-8: every invalid byte becomes U+FFFD. */
void hcf_rbuf_put_utf8(struct hcf_rbuf *b, const char *s, size_t n);

/* XML 1.0 character data (attr false) or attribute value (attr true):
 * markup characters as entities, characters XML cannot carry (C0 controls,
 * U+FFFE/U+FFFF, invalid UTF-8) as U+FFFD. */
void hcf_rbuf_put_xml(struct hcf_rbuf *b, const char *s, size_t n, bool attr);

/* Markdown text: inline markup characters backslash-escaped, line breaks and
 * controls flattened so a table row or list item stays one line. */
void hcf_rbuf_put_md(struct hcf_rbuf *b, const char *s, size_t n);
/* Markdown code span, fenced with enough backticks for s; in_table escapes
 * '|' as GFM tables require even inside code spans. */
void hcf_rbuf_put_md_code(struct hcf_rbuf *b, const char *s, size_t n, bool in_table);

/* Length of a fixed-size char array's string (arrays filled from hostile
 * data may lack the NUL). */
#define HCF_FIELD_LEN(arr) strnlen((arr), sizeof(arr))

/* ---- facts about tests -------------------------------------------------- */

/* (call names and numbers: hcf_pcall_name, hcf_pcall_nr in prog/prog.h) */

/* "#GP", "#PF" ... for exception vectors, "vector N" otherwise. */
const char *hcf_rpt_vector_name(unsigned vector, char *buf, size_t len);

/* An issue's expected or got value: hex, plus the constant's name when the
 * issue is about the op's return register. */
const char *hcf_rpt_issue_value(const struct hcf_abi *abi, const struct hcf_op *op,
				const struct hcf_issue *is, uint64_t v, char *buf, size_t len);

/* One line: "oracle where: expected X got Y: reason" (values via hcf_rpt_issue_value). */
const char *hcf_rpt_issue_line(const struct hcf_abi *abi, const struct hcf_op *op,
			       const struct hcf_issue *is, char *buf, size_t len);

/*
 * The issue that decided a test's verdict: the first one, in call order, with
 * the test's verdict; else the first FAIL-or-worse; else the first non-PASS.
 * NULL when there is none (or cvs is NULL); *call gets its call index.
 */
const struct hcf_issue *hcf_rpt_decisive_issue(const struct hcf_test *t,
					       const struct hcf_test_outcome *o, size_t *call);

/*
 * Why a test has its verdict, in one line: the decisive issue (prefixed with
 * its call when the program has several), else the program's liveness and
 * detail. NULL for a PASS without issues.
 */
const char *hcf_rpt_test_reason(const struct hcf_test *t, const struct hcf_test_outcome *o,
				char *buf, size_t len);

/* Every issue of a test, one line each, appended to b (with the call when
 * the program has several, and a note for issues counted but not kept). */
void hcf_rpt_issue_lines(struct hcf_rbuf *b, const struct hcf_test *t,
			 const struct hcf_test_outcome *o);

/* Does a verdict get a column in a table of this run's tallies? The XTF
 * verdicts always do (a zero is news too); the classes a spec's declarations
 * make (LOST, XFAIL, XPASS) when a test has them. */
bool hcf_rpt_verdict_column(enum hcf_verdict v, const struct hcf_tally *total);

/* ---- per-group counts -------------------------------------------------- */

struct hcf_rpt_group {
	char name[64];
	struct hcf_tally tally;
};

struct hcf_rpt_groups {
	struct hcf_rpt_group *g;   /* in order of first appearance */
	size_t n, cap;
	size_t last;               /* tests come grouped: the last hit is checked first */
};

void hcf_rpt_groups_add(struct hcf_rpt_groups *gs, const char *group, size_t len,
			enum hcf_verdict v);
void hcf_rpt_groups_free(struct hcf_rpt_groups *gs);

/* ---- misc --------------------------------------------------------------- */

/* "2026-11-21T19:38:20" in UTC (t == 0: now). */
const char *hcf_rpt_iso_time(time_t t, char *buf, size_t len);

/* Verdict name that never returns NULL. */
const char *hcf_rpt_verdict(enum hcf_verdict v);

#endif /* HCF_REPORT_UTIL_H */
