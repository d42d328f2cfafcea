/*
 * diff_report.h: the differences of a run, as people and CI read them.
 *
 * A run compared with a baseline (`conform --baseline`, `replay --baseline`)
 * or two targets compared (`hcfuzz diff`) feeds every test's differences
 * here (none: the test is counted the same). Out come the terminal list
 * (printed before the verdict table), a Markdown section (first in
 * summary.md), differences.jsonl (one line per difference) and
 * differences.xml (JUnit: one failed test case per difference, one passing
 * case for the tests that agree), written atomically into the run's
 * directory.
 */
#ifndef HCF_DIFF_REPORT_H
#define HCF_DIFF_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "oracles/difference.h"
#include "prog/plan.h"

struct hcf_diff_report;

/* label_a / label_b name the sides in every line ("baseline" and "now",
 * or two targets); about says what was compared, one line for titles. */
struct hcf_diff_report *hcf_diff_report_new(const char *label_a, const char *label_b,
					    const char *about);
void hcf_diff_report_free(struct hcf_diff_report *r);

/* Test t's differences (d->found == 0: the same). */
void hcf_diff_report_add(struct hcf_diff_report *r, const struct hcf_test *t,
			 const struct hcf_differences *d);
/* A test that could not be compared (no result on one side), with why. */
void hcf_diff_report_uncompared(struct hcf_diff_report *r, const struct hcf_test *t,
				const char *why);

struct hcf_diff_counts {
	size_t tests_same, tests_differing, tests_uncompared;
	size_t differences;       /* found, kept or not */
};
void hcf_diff_report_counts(const struct hcf_diff_report *r, struct hcf_diff_counts *c);

/* The list for the terminal, at most max lines of differences. */
void hcf_diff_report_print(const struct hcf_diff_report *r, FILE *f, size_t max);

/* The Markdown section ("## Differences ...") as a NUL-terminated string the
 * caller frees. */
char *hcf_diff_report_markdown(const struct hcf_diff_report *r);

/* differences.jsonl and differences.xml into dir. 0, or -1 with err. */
int hcf_diff_report_write(const struct hcf_diff_report *r, const char *dir, char *err,
			  size_t errlen);

/* The i-th difference kept (in run order), for callers that act on each
 * (the diff command minimizes them): its test index among those added, and
 * the difference. false past the end. */
bool hcf_diff_report_get(const struct hcf_diff_report *r, size_t i, size_t *test_index,
			 const struct hcf_difference **d, const char **test_id);

#endif /* HCF_DIFF_REPORT_H */
