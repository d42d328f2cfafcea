/*
 * campaign.h: a fuzzing campaign, run by "hcfuzz fuzz".
 *
 * The campaign directory (its format: fuzz/campaign_dir.h) holds
 * everything, so a campaign resumes where it stopped (also after kill -9)
 * with corpus and findings intact.
 *
 * Engines run as their own processes, several in parallel through their own
 * mechanisms (libFuzzer -fork=N, AFL++ -M/-S on one sync directory); this
 * process starts and stops them, shows a live status line, checks disk
 * space, and at the end minimizes findings, writes their reproducers and the
 * report.
 */
#ifndef HCF_FUZZ_CAMPAIGN_H
#define HCF_FUZZ_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "fuzz/features.h"
#include "target/target.h"

struct hcf_campaign_opts {
	const char *spec;      /* spec path */
	const char *engine;    /* "libfuzzer" (default) or "afl" */
	unsigned jobs;         /* parallel instances; 0: 1 */
	unsigned seconds;      /* 0: until interrupted */
	const char *dir;       /* campaign directory */
	const char *target;    /* "kvm" (default) or "model" */
	const char *transport; /* one of the spec's transports, or NULL: its first */
	const char *target_params[HCF_TARGET_MAX_PARAMS]; /* --target-opt K[=V] */
	size_t ntarget_params;
	const char *diff_target; /* --diff-target: every input on this second target too */
	const char *seeds;     /* seed corpus; NULL: corpus/<abi>/ next to the spec's specs/ */
	bool no_minimize;      /* leave findings as found */
	bool quiet;            /* no status line */
};

struct hcf_campaign_result {
	size_t findings;       /* in the directory at the end */
	size_t new_findings;   /* found by this run */
	unsigned long long execs, calls;
	unsigned long long lost, xfail; /* executions: expected losses, known anomalies */
	char anomalies[512];   /* the known anomalies seen most ("id 120, id 3") */
	double seconds;
	int worst_verdict;     /* enum hcf_verdict of the worst finding, 0 (PASS) if none */
	size_t not_reproduced; /* findings the minimizer could not make show again */
	size_t post_failed;    /* findings whose minimizing or reproducer failed (logs/post.log) */
	char stopped[160];     /* why the run ended */
	bool error;            /* ended by an error (disk full, engines failed) */
	bool not_applicable;   /* the hypervisor lacks the ABI (the spec's requires:):
	                          nothing ran, the error says what is missing */
};

/* The campaign's progress as its engines' files in DIR/stats/ say, summed
 * (the corpus: DIR/corpus/, or for AFL++ the largest queue). */
struct hcf_campaign_progress {
	unsigned long long execs, calls;
	unsigned long long lost, xfail;   /* expected losses, known anomalies */
	size_t features, corpus, findings;
	uint64_t last_new_feature_unix;
	struct hcf_feature_set union_;
	char anomalies[512];              /* the ids seen most, with counts */
};
void hcf_campaign_progress_read(const char *dir, const char *engine,
				struct hcf_campaign_progress *pg);

/* The seconds earlier runs of the campaign in dir recorded (stats.csv's
 * largest elapsed_s), 0 when none. */
double hcf_campaign_elapsed_before(const char *dir);

/* The process ids engines.pid's text lists ("PID NAME" a line, as the
 * campaign writes it); lines that are not one are skipped. At most max. */
size_t hcf_campaign_engine_pids(const char *text, size_t len, long *pids, size_t max);

/* Run (or resume) a campaign. Returns 0, or -1 when it could not start
 * (message in err). */
int hcf_campaign_run(const struct hcf_campaign_opts *o, struct hcf_campaign_result *res,
		     char *err, size_t errlen);

#endif /* HCF_FUZZ_CAMPAIGN_H */
