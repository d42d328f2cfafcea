/*
 * judged.h: one program run on a target and judged: the sequence "back to
 * boot, run, judge" that conformance, replay, fuzzing, minimization,
 * `hcfuzz run` and the benchmarks share.
 *
 * The model follows the guest: when the target goes back to its boot
 * snapshot, the model forgets what that may have undone (hcf_model_forget:
 * the guest's memory went back, the hypervisor's state for it need not
 * have), so that a stateful model predicts only from what it can still
 * know.
 */
#ifndef HCF_JUDGED_H
#define HCF_JUDGED_H

#include <stdbool.h>
#include <stddef.h>

#include "oracles/models/model.h"
#include "oracles/oracle.h"
#include "oracles/verdict.h"
#include "prog/prog.h"
#include "target/result.h"
#include "target/target.h"

/* Where a run starts. */
enum hcf_run_from {
	HCF_RUN_AS_IS,      /* wherever the target is (the next program of a run) */
	HCF_RUN_FROM_BOOT   /* the target's boot snapshot; the model forgets */
};

struct hcf_judged {
	struct hcf_prog_result res;     /* what the target returned */
	struct hcf_call_verdict *cvs;   /* one per call of the program */
	size_t cvs_cap;
	enum hcf_verdict worst;         /* of the calls; ERROR when the target failed */
	bool target_failed;             /* the target could not run it: res.detail says why */
	double reset_s, run_s, judge_s; /* the three steps' wall time */
	/* set by the caller: */
	bool no_judge;                  /* run only (a fuzzing baseline without oracles) */
	void (*before_run)(void *arg);  /* right before the run, after the reset (kcov) */
	void *before_run_arg;
};

void hcf_judged_init(struct hcf_judged *j);
void hcf_judged_free(struct hcf_judged *j);

/*
 * Run p on t from `from` and judge the result with the oracles, model may be
 * NULL; matched (one flag per known anomaly of the spec, or NULL) says which
 * known anomalies the result showed. A reset or run the target could not do
 * sets target_failed and makes the verdict ERROR; what came back is judged
 * all the same. A program for an ABI the target's hypervisor lacks (its
 * spec's requirements, exec/requires.h) is not run: every call SKIP with
 * the reason. Returns j->worst.
 */
enum hcf_verdict hcf_run_judged(struct hcf_target *t, struct hcf_model *model,
				const struct hcf_prog *p, enum hcf_run_from from, bool *matched,
				struct hcf_judged *j);

#endif /* HCF_JUDGED_H */
