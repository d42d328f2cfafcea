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

struct hcf_run_info {
	const char *command;          /* "conform", "replay" ... */
	const char *spec_path;
	const struct hcf_abi *abi;
	const struct hcf_target_info *tinfo;
	time_t started;
	uint64_t seed;
};

struct hcf_report_ops {
	const char *name;             /* "junit", "jsonl", "markdown" */
	const char *filename;         /* file name inside the output directory */
	void *(*begin)(FILE *f, const struct hcf_run_info *ri);
	void (*test)(void *st, const struct hcf_test *t, const struct hcf_test_outcome *o);
	/* Write the rest and free st. Returns 0, or -1 if writing failed. */
	int (*end)(void *st, const struct hcf_exec_stats *stats);
};

extern const struct hcf_report_ops hcf_report_junit;
extern const struct hcf_report_ops hcf_report_jsonl;
extern const struct hcf_report_ops hcf_report_markdown;

/* A set of reports written into one directory, atomically. */
struct hcf_report_dir;

/* Create dir if needed and open every writer in ops[0..n) on a temporary file.
 * Returns NULL with a message in err on failure (unwritable dir ...). */
struct hcf_report_dir *hcf_report_dir_open(const char *dir, const struct hcf_report_ops *const *ops,
					   size_t n, const struct hcf_run_info *ri, char *err,
					   size_t errlen);
void hcf_report_dir_test(struct hcf_report_dir *rd, const struct hcf_test *t,
			 const struct hcf_test_outcome *o);
/* Finish every writer, fsync and rename into place. Returns 0 or -1 (err). */
int hcf_report_dir_commit(struct hcf_report_dir *rd, const struct hcf_exec_stats *stats, char *err,
			  size_t errlen);
/* Drop the temporary files (aborted run). */
void hcf_report_dir_abort(struct hcf_report_dir *rd);

/* Terminal: the verdict table at the end of a run. */
void hcf_report_table(FILE *f, const struct hcf_abi *abi, const struct hcf_test *tests, size_t n,
		      const enum hcf_verdict *verdicts, const struct hcf_exec_stats *stats);

/* Format a value for humans: hex, plus a constant's name when one fits. */
const char *hcf_fmt_value(const struct hcf_abi *abi, const struct hcf_op *op, uint64_t v,
			  char *buf, size_t len);

#endif /* HCF_REPORT_H */
