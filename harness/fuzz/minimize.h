/*
 * minimize.h: shrink a program to the fewest calls and simplest values that
 * still produce a given finding signature.
 *
 * Candidates run on the real target from its boot snapshot, judged by the
 * oracles and the model exactly like the campaign judged the original; a
 * candidate is kept when the signature's id is among its findings. Calls go
 * first (delta debugging: halves, quarters ... single calls), then values
 * (an explicit register becomes its sentinel, or 0, or 1), then the rest
 * (RFLAGS, vector capture, unreferenced buffers, buffer bytes).
 */
#ifndef HCF_MINIMIZE_H
#define HCF_MINIMIZE_H

#include <stddef.h>

#include "exec/differential.h"
#include "oracles/models/model.h"
#include "prog/prog.h"
#include "target/target.h"

struct hcf_min_opts {
	unsigned max_runs;       /* candidate runs at most; 0: 2000 */
	double max_seconds;      /* wall-clock budget; 0: 60 */
	unsigned attempts;       /* runs of the original before giving up as flaky; 0: 3 */
	/* a finding of `fuzz --diff-target`: every candidate runs on this
	 * second target too, its differences judged as issues (NULL: none) */
	struct hcf_diff_target *diff;
};

struct hcf_min_stats {
	size_t calls_before, calls_after;
	size_t sets_before, sets_after; /* explicitly set registers */
	unsigned runs;
	double seconds;
	bool budget_hit;         /* stopped by max_runs or max_seconds */
};

/*
 * Minimize in for signature sig_id. Returns 0 with out (initialised here)
 * holding the result, -1 if the original does not produce the signature
 * (out is left empty), -2 if the harness failed (err says why).
 */
int hcf_minimize(struct hcf_target *t, struct hcf_model *model, const struct hcf_prog *in,
		 const char *sig_id, const struct hcf_min_opts *opts, struct hcf_prog *out,
		 struct hcf_min_stats *stats, char *err, size_t errlen);

/*
 * The same search for any property of a program: keeps(arg, p, why, len)
 * says whether candidate p still shows it (1), not (0), or that the harness
 * failed (-1, why filled). `what` names the property in messages. The diff
 * command minimizes a difference between two targets with it.
 */
typedef int (*hcf_min_keeps_fn)(void *arg, const struct hcf_prog *p, char *why, size_t len);
int hcf_minimize_with(hcf_min_keeps_fn keeps, void *arg, const char *what,
		      const struct hcf_prog *in, const struct hcf_min_opts *opts,
		      struct hcf_prog *out, struct hcf_min_stats *stats, char *err, size_t errlen);

/* Write minimized.hcf (and minimized.bin when the codec can express it) into
 * a finding directory and mark finding.json minimized. Atomic per file. */
int hcf_minimize_save(const char *finding_dir, const struct hcf_prog *p, char *err, size_t errlen);

#endif /* HCF_MINIMIZE_H */
