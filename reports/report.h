/*
 * report.h: report writers (terminal table, JUnit XML, JSON Lines, Markdown).
 *
 * A report is a sink fed one test at a time: begin with the run's facts, one
 * call per finished test, end with the tally. Writers are rows of a table; the
 * output directory helper writes each one under a temporary name and renames
 * it into place only when the run finished, so a killed run never leaves a
 * half-written report behind.
 */
#ifndef HCF_REPORT_H
#define HCF_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "exec/exec.h"
#include "oracles/verdict.h"
#include "spec/spec.h"
#include "target/target.h"

struct hcf_diff_report;
struct hcf_cov;

struct hcf_run_info {
	const char *command;          /* "conform", "replay" ... */
	const char *spec_path;
	const struct hcf_abi *abi;
	const struct hcf_target_info *tinfo;
	time_t started;
	uint64_t seed;
	/* The run is compared with a baseline: its differences, complete when the
	 * reports end, go first in summary.md (reports/diff_report.h). NULL: not. */
	const struct hcf_diff_report *differences;
	/* The spec coverage matrix the run's tests feed (reports/coverage.h):
	 * the report directory adds every test to it, and the coverage
	 * writers and summary.md show it. NULL: none. */
	struct hcf_cov *cov;
};

struct hcf_report_ops {
	const char *name;             /* "junit", "jsonl", "markdown" */
	const char *filename;         /* file name inside the output directory */
	void *(*begin)(FILE *f, const struct hcf_run_info *ri);
	void (*test)(void *st, const struct hcf_test *t, const struct hcf_test_outcome *o);
	/* Write the rest and free st. Returns 0, or -1 if writing failed. */
	int (*end)(void *st, const struct hcf_exec_stats *stats);
	/* Free st without writing anything more (aborted run). */
	void (*discard)(void *st);
};

extern const struct hcf_report_ops hcf_report_junit;
extern const struct hcf_report_ops hcf_report_jsonl;
extern const struct hcf_report_ops hcf_report_markdown;
/* The coverage matrix of hcf_run_info.cov: coverage.json, coverage.md,
 * coverage.html (reports/coverage_render.c); begin fails without one. */
extern const struct hcf_report_ops hcf_report_coverage_json;
extern const struct hcf_report_ops hcf_report_coverage_md;
extern const struct hcf_report_ops hcf_report_coverage_html;
#define HCF_REPORT_COVERAGE_WRITERS \
	&hcf_report_coverage_json, &hcf_report_coverage_md, &hcf_report_coverage_html

/* A set of reports written into one directory, atomically. */
struct hcf_report_dir;

/* Create dir if needed and open every writer in ops[0..n) on a temporary file.
 * Returns NULL with a message in err on failure (unwritable dir ...). */
struct hcf_report_dir *hcf_report_dir_open(const char *dir, const struct hcf_report_ops *const *ops,
					   size_t n, const struct hcf_run_info *ri, char *err,
					   size_t errlen);
void hcf_report_dir_test(struct hcf_report_dir *rd, const struct hcf_test *t,
			 const struct hcf_test_outcome *o);
/* Finish every writer, fsync and rename into place. Returns 0 or -1 (err).
 * Either every report is renamed into place or (as far as the file system
 * allows) none is. rd is freed either way. */
int hcf_report_dir_commit(struct hcf_report_dir *rd, const struct hcf_exec_stats *stats, char *err,
			  size_t errlen);
/* Drop the temporary files (aborted run). Frees rd. */
void hcf_report_dir_abort(struct hcf_report_dir *rd);
/* The writers' files inside the directory, for messages ("wrote out/junit.xml").
 * Valid until commit or abort. Returns the number of writers. */
size_t hcf_report_dir_files(const struct hcf_report_dir *rd, const char *const **paths);

/* Terminal: the verdict table at the end of a run. The worst tests are
 * listed by id only: use hcf_report_summary to show their first issue. */
void hcf_report_table(FILE *f, const struct hcf_abi *abi, const struct hcf_test *tests, size_t n,
		      const enum hcf_verdict *verdicts, const struct hcf_exec_stats *stats);

/*
 * The same table fed test by test, from the executor's done callback, so the
 * list of the most severe tests can show each one's first issue:
 *   s = hcf_report_summary_new(abi); ... hcf_report_summary_add(s, t, o) ...
 *   hcf_report_summary_print(s, stdout, &stats); hcf_report_summary_free(s);
 * Memory stays bounded: counts per group and a few tests per verdict.
 */
struct hcf_report_summary;
struct hcf_report_summary *hcf_report_summary_new(const struct hcf_abi *abi);
void hcf_report_summary_add(struct hcf_report_summary *s, const struct hcf_test *t,
			    const struct hcf_test_outcome *o);
/* Colours only when f is a terminal, NO_COLOR is unset (or empty) and TERM is
 * not "dumb"; the widest column gives way to the terminal's width. */
void hcf_report_summary_print(const struct hcf_report_summary *s, FILE *f,
			      const struct hcf_exec_stats *stats);
void hcf_report_summary_free(struct hcf_report_summary *s);

/* Tests the terminal table lists at most, most severe first. */
#define HCF_REPORT_TABLE_WORST 20
/* Findings the Markdown summary lists at most. */
#define HCF_REPORT_MD_FINDINGS 200

/* Format a value for humans: hex, plus a constant's name when one fits. */
const char *hcf_fmt_value(const struct hcf_abi *abi, const struct hcf_op *op, uint64_t v,
			  char *buf, size_t len);

/* Why a test has its verdict, in one line (its decisive issue), into buf;
 * NULL for a PASS without issues. */
const char *hcf_report_test_reason(const struct hcf_test *t, const struct hcf_test_outcome *o,
				   char *buf, size_t len);

/* One test as the JSON object of a results.jsonl line (a jansson json_t *,
 * new reference; void * so that this header needs no jansson). Findings use
 * it to keep the results of the program that found them. */
void *hcf_report_test_json_v(const struct hcf_test *t, const struct hcf_test_outcome *o);

/* An issue's place as JSON ({"kind": "reg", "reg": "rbx"} ...; a json_t *,
 * new reference) and back: the one spelling results.jsonl and finding.json
 * share. from_json returns 0, or -1 for a malformed place. */
void *hcf_loc_to_json_v(const struct hcf_loc *loc);
int hcf_loc_from_json_v(const void *json, struct hcf_loc *loc);

#endif /* HCF_REPORT_H */
