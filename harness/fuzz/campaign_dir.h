/*
 * campaign_dir.h: the campaign directory's format, one definition for the
 * code that writes it (fuzz/campaign.c, fuzz/finding.c) and the code that
 * reads it back (fuzz/campaign.c on resume, fuzz/finding.c, the campaign
 * report in reports/campaign_data.c). docs/campaign-report.md describes it
 * for people.
 *
 *   DIR/campaign.json    facts (HCF_CF_*), jobs, one "runs" entry per run
 *   DIR/stats.csv        one row about every second, columns HCF_CS_*
 *   DIR/findings/<id>/   finding.json, program.hcf, minimized.hcf, repro.c
 *   DIR/seeds/ corpus/ afl/ stats/ logs/ quarantine/
 *   DIR/report.html, report.md, plot-*.svg
 *   DIR/coverage.json    the spec coverage matrix, summed; coverage.md, .html
 */
#ifndef HCF_CAMPAIGN_DIR_H
#define HCF_CAMPAIGN_DIR_H

#define HCF_CAMPAIGN_JSON        "campaign.json"
#define HCF_CAMPAIGN_STATS       "stats.csv"
#define HCF_CAMPAIGN_FINDINGS    "findings"
#define HCF_CAMPAIGN_SEEDS       "seeds"
#define HCF_CAMPAIGN_CORPUS      "corpus"      /* libFuzzer's corpus */
#define HCF_CAMPAIGN_AFL         "afl"         /* AFL++'s sync directory */
#define HCF_CAMPAIGN_STATS_DIR   "stats"       /* one progress file per fuzzing process */
#define HCF_CAMPAIGN_LOGS        "logs"
#define HCF_CAMPAIGN_QUARANTINE  "quarantine"  /* anything found damaged, never deleted */
#define HCF_CAMPAIGN_REPORT_HTML "report.html"
#define HCF_CAMPAIGN_REPORT_MD   "report.md"
/* The spec coverage matrix (reports/coverage.h): each fuzzing process's
 * own, stats/<engine>-<pid>.coverage (coverage.json's format), summed by
 * the campaign into coverage.json, which the report shows as coverage.md
 * and coverage.html. */
#define HCF_CAMPAIGN_COV_SUFFIX  ".coverage"
#define HCF_CAMPAIGN_COVERAGE    "coverage.json"
#define HCF_CAMPAIGN_COVERAGE_MD "coverage.md"
#define HCF_CAMPAIGN_COVERAGE_HTML "coverage.html"

/* The files of one finding, findings/<id>/. */
#define HCF_FINDING_JSON      "finding.json"
#define HCF_FINDING_PROGRAM   "program.hcf"
#define HCF_FINDING_MINIMIZED "minimized.hcf"
#define HCF_FINDING_REPRO     "repro.c"

/* stats.csv columns, in the order the campaign writes them. */
enum hcf_cstat_col {
	HCF_CS_UNIX,
	HCF_CS_ELAPSED,
	HCF_CS_EXECS,
	HCF_CS_EXECS_PS,
	HCF_CS_CALLS,
	HCF_CS_CALLS_PS,
	HCF_CS_CORPUS,
	HCF_CS_FEATURES,
	HCF_CS_FINDINGS,
	HCF_CS_SINCE_NEW,
	HCF_CS_COUNT
};
extern const char *const hcf_cstat_col_names[HCF_CS_COUNT];

/* String facts of campaign.json, with the key they are stored under. */
enum hcf_cfact {
	HCF_CF_SPEC,
	HCF_CF_ABI,
	HCF_CF_ENGINE,
	HCF_CF_TARGET,
	HCF_CF_HYPERVISOR,
	HCF_CF_KCOV,
	HCF_CF_COUNT
};
extern const char *const hcf_cfact_keys[HCF_CF_COUNT];

/* campaign.json's other keys, and those of each "runs" entry. */
#define HCF_CJ_VERSION      "version"
#define HCF_CJ_JOBS         "jobs"
#define HCF_CJ_RUNS         "runs"
#define HCF_CJ_RUN_STARTED  "started_unix"
#define HCF_CJ_RUN_SECONDS  "seconds"
#define HCF_CJ_RUN_STOPPED  "stopped"

/* finding.json keys the campaign report reads besides the writer. */
#define HCF_FJ_ID              "id"
#define HCF_FJ_SIGNATURE       "signature"
#define HCF_FJ_REASON          "reason"
#define HCF_FJ_VERDICT         "verdict"
#define HCF_FJ_FIRST_SEEN      "first_seen"
#define HCF_FJ_FIRST_SEEN_UNIX "first_seen_unix"

#endif /* HCF_CAMPAIGN_DIR_H */
