/*
 * anomaly.h: matching issues against the known anomalies a spec lists.
 *
 * The oracles' driver gives every call verdict of a program the hook of one
 * scope; each FAIL, HANG or CRASH issue added to it is compared with the
 * spec's known anomalies (anomaly.c) and, when one matches, becomes XFAIL
 * with that anomaly's id. The scope records which anomalies matched, for
 * runs that check an anomaly's own program still shows it (XPASS if not).
 */
#ifndef HCF_ANOMALY_H
#define HCF_ANOMALY_H

#include <stdbool.h>
#include <stddef.h>

#include "oracles/verdict.h"
#include "prog/prog.h"
#include "spec/spec.h"
#include "target/result.h"

struct hcf_anomaly_scope {
	struct hcf_anomaly_hook hook;
	const struct hcf_abi *abi;
	const struct hcf_prog *p;
	const struct hcf_prog_result *r;
	bool *matched;       /* optional: one per abi->anomalies, set when one matched */
	size_t nmatched;
	const char *target;  /* the target that ran the program (NULL: unknown): an
	                        anomaly recorded for other targets does not match */
};

/* Aim the scope at one program's result (matched[] cleared). */
void hcf_anomaly_scope_init(struct hcf_anomaly_scope *s, const struct hcf_abi *abi,
			    const struct hcf_prog *p, const struct hcf_prog_result *r);

/* How many programs (tests, executions) showed each known anomaly, for
 * status lines and summaries. */
struct hcf_anomaly_counts {
	const struct hcf_abi *abi;
	size_t *n;           /* one per abi->anomalies */
	size_t total;        /* programs that showed at least one */
};
void hcf_anomaly_counts_init(struct hcf_anomaly_counts *c, const struct hcf_abi *abi);
/* Count a judged program once per anomaly its issues matched. */
void hcf_anomaly_counts_add(struct hcf_anomaly_counts *c, const struct hcf_call_verdict *cvs,
			    size_t ncalls);
/* "pvm-cr-status 12, pvm-wrmsr-status 3": the ids seen, most frequent first
 * (an empty string when none). Returns buf. */
const char *hcf_anomaly_counts_format(const struct hcf_anomaly_counts *c, char *buf, size_t len);
/* The same from any list of ids and counts (a campaign sums its processes'). */
const char *hcf_anomaly_ranking(const char *const *ids, const uint64_t *counts, size_t n,
				char *buf, size_t len);
void hcf_anomaly_counts_free(struct hcf_anomaly_counts *c);

/* The anomaly with this id, or NULL. */
const struct hcf_anomaly *hcf_anomaly_find(const struct hcf_abi *abi, const char *id);

#endif /* HCF_ANOMALY_H */
