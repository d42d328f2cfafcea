/*
 * campaign_report.h: the campaign report: report.html and report.md from a campaign directory.
 *
 * A fuzzing campaign leaves campaign.json (its facts and runs), stats.csv (a
 * row about every second: executions, calls, corpus, features, findings) and
 * findings/<id>/ (finding.json, program.hcf, minimized.hcf, repro.c) in its
 * directory (docs/campaign-report.md). The report reads all of it and writes,
 * into the same directory:
 *
 *   report.html        one self-contained page: facts, runs, plots as inline
 *                      SVG, the findings table with each minimized program;
 *                      no script, no external resource
 *   report.md          the same facts and findings for Markdown viewers
 *   plot-execs.svg, plot-features.svg, plot-calls.svg, plot-findings.svg
 *                      the plots as files, which report.md shows as images
 *
 * Any input may be missing, empty, truncated or corrupt (a campaign killed
 * with kill -9, a full disk): what cannot be read is skipped, and each skip
 * is named with its reason ("stats.csv line 17: 3 fields, expected 10:
 * skipped") on stderr and in the reports' Notes. A finding whose finding.json
 * cannot be read is listed as "unreadable: <reason>"; nothing in the campaign
 * directory is changed except the report files.
 *
 * Every file is written under a temporary name and all of them are renamed
 * into place only when all were written, so the directory never mixes the
 * plots of one report with the page of another.
 */
#ifndef HCF_CAMPAIGN_REPORT_H
#define HCF_CAMPAIGN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "fuzz/campaign_dir.h"

/* Findings listed in full (most severe first); the tally counts them all. */
#define HCF_CAMPAIGN_MAX_FINDINGS 1000

/* What a report found, for the caller's own summary line. */
struct hcf_campaign_report_stats {
	size_t findings;      /* finding directories, readable or not */
	size_t unreadable;    /* of which finding.json could not be read */
	size_t stats_rows;    /* stats.csv rows used */
	size_t problems;      /* input problems noted (skipped lines, bad fields ...) */
};

struct hcf_campaign_report_opts {
	FILE *warn;           /* where problems are printed as found; NULL: stderr */
	bool quiet;           /* print nothing (the reports' Notes still list every problem) */
	time_t generated;     /* the time the report states; 0: now (tests pin it) */
	size_t max_findings;  /* 0: HCF_CAMPAIGN_MAX_FINDINGS */
	struct hcf_campaign_report_stats *stats;  /* filled in when not NULL */
};

/*
 * Write the campaign report of dir into dir. opts may be NULL. Returns 0
 * when every file was written (problems with the input are warnings, not
 * errors), or -1 with a message in err when the files could not be written
 * (dir missing or unwritable, disk full): then no report file was changed,
 * unless renaming one into place failed after others were renamed (the rest
 * are then left as they were).
 */
int hcf_campaign_report(const char *dir, const struct hcf_campaign_report_opts *opts, char *err,
			size_t errlen);

/*
 * Is dir a campaign directory: a directory with campaign.json, stats.csv or
 * findings/ in it (any of them, readable or not)? Returns 0, or -1 with the
 * reason in err ("out/x: not a campaign directory (no campaign.json,
 * stats.csv or findings/)").
 */
int hcf_campaign_dir_check(const char *dir, char *err, size_t errlen);

#endif /* HCF_CAMPAIGN_REPORT_H */
