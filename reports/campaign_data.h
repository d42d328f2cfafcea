/*
 * campaign_data.h: a campaign directory read into memory (internal to reports/).
 *
 * Reading never fails as a whole: each input is taken as far as it can be,
 * and every problem becomes a note ("stats.csv line 17: 3 fields, expected
 * 10: skipped") that is printed as it is found and listed in the reports.
 * The writers (campaign_report.c) only format what is here.
 */
#ifndef HCF_CAMPAIGN_DATA_H
#define HCF_CAMPAIGN_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "fuzz/campaign_dir.h"
#include "oracles/verdict.h"
#include "reports/coverage.h"

/* Where a note comes from: each source lists at most HCF_CNOTES_PER_SOURCE
 * notes and counts the rest, so a file of a million bad lines stays readable. */
enum hcf_cnote_src { HCF_CN_CAMPAIGN, HCF_CN_STATS, HCF_CN_FINDINGS, HCF_CN_COVERAGE, HCF_CN_COUNT };
#define HCF_CNOTES_PER_SOURCE 20

struct hcf_crun {
	double started, seconds;          /* NaN when campaign.json lacks them */
	char *stopped;                    /* NULL when absent */
};

struct hcf_cfinding {
	char *name;            /* the entry under findings/ */
	char *problem;         /* not NULL: unreadable, and why ("finding.json: empty") */
	char *id, *signature, *reason, *verdict_name, *first_seen_text;
	enum hcf_verdict v;
	bool has_v;            /* verdict_name is a known verdict */
	time_t first_seen;
	bool has_first_seen;
	/* Read only for the findings the reports list in full. */
	char *minimized;       /* minimized.hcf (at most HCF_CFINDING_PROG_MAX bytes), or NULL */
	size_t minimized_len;
	size_t minimized_more; /* bytes of minimized.hcf not read */
	char *minimized_problem; /* minimized.hcf exists but could not be read */
	bool has_program, has_repro;
};
#define HCF_CFINDING_PROG_MAX (64 * 1024)

struct hcf_campaign {
	char *dir;                        /* without trailing slashes */
	/* campaign.json */
	bool has_json;                    /* read and parsed (possibly with bad fields) */
	char *fact[HCF_CF_COUNT];
	long long jobs;
	bool has_jobs;
	struct hcf_crun *runs;
	size_t nruns;
	/* stats.csv: rows as read, elapsed_s made monotonic; NaN for a missing column */
	bool has_stats;                   /* the file had a usable header */
	bool col[HCF_CS_COUNT];           /* the header has this column */
	double (*rows)[HCF_CS_COUNT];
	size_t nrows, rows_cap;
	size_t stride;                    /* 1: every row kept; 2^k after thinning a huge file */
	size_t rows_used, rows_skipped;
	double last[HCF_CS_COUNT];        /* the last row used */
	double execs_total, calls_total;  /* summed over counter restarts */
	/* findings/ */
	bool has_findings_dir;
	struct hcf_cfinding *f;           /* sorted: most severe first, then first seen */
	size_t nf;
	size_t tally[HCF_V_COUNT];
	size_t unknown_verdict, unreadable;
	size_t listed;                    /* f[0..listed) have their files read */
	/* coverage.json: the spec coverage matrix, or NULL (absent: a campaign
	 * of an hcfuzz before the matrix; unreadable: a note says why) */
	struct hcf_cov *cov;
	bool has_cov_file;
	/* notes */
	char **notes;
	size_t nnotes, notes_cap;
	size_t shown[HCF_CN_COUNT], dropped[HCF_CN_COUNT];
	size_t problems;
	FILE *warn;                       /* NULL: quiet */
};

/* Read dir into c (which the caller zeroes). Problems go to warn as found
 * (NULL: not printed) and into c->notes. max_listed findings get their
 * programs read. */
void hcf_campaign_read(struct hcf_campaign *c, const char *dir, FILE *warn, size_t max_listed);
void hcf_campaign_free(struct hcf_campaign *c);

#endif /* HCF_CAMPAIGN_DATA_H */
