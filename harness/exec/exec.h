/*
 * exec.h: run tests on a target and judge them.
 *
 * A test is a named program (conformance tests are one call each). The
 * executor packs independent single-call tests into large mailbox batches so
 * a plan runs at the speed of the hypercalls, not of VM exits; it runs a
 * destructive call or a program with buffers on its own. When the guest dies
 * in the middle of a batch, the call it died in gets its verdict and the rest
 * of the batch goes on in the rebuilt VM. Every finished test is handed to a
 * callback with its verdict, for progress and reports.
 */
#ifndef HCF_EXEC_H
#define HCF_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "oracles/models/model.h"
#include "oracles/oracle.h"
#include "oracles/verdict.h"
#include "prog/plan.h"
#include "prog/prog.h"
#include "target/result.h"
#include "target/target.h"

struct hcf_test_outcome {
	enum hcf_verdict v;
	const struct hcf_prog_result *res;   /* valid during the callback only */
	const struct hcf_call_verdict *cvs;  /* one per call, valid during the callback only */
	double seconds;
};

typedef void (*hcf_test_done_fn)(void *ctx, size_t i, const struct hcf_test *t,
				 const struct hcf_test_outcome *o);

struct hcf_exec_opts {
	size_t batch_max;    /* calls per mailbox batch; 0: HCF_MBOX_MAX_CALLS */
	bool no_batching;    /* one program per run (debugging) */
	bool reset_each;     /* every program starts from the target's boot snapshot
	                        (replay: as the fuzzer ran it) */
};

struct hcf_exec_stats {
	size_t tests, calls, batches, rebuilds;
	double seconds;
	struct hcf_tally tally;
};

/*
 * Run tests[0..n) in order. model may be NULL. Returns 0, or -1 if the
 * harness failed in a way that stops the run (then the remaining tests are
 * reported as ERROR).
 */
int hcf_exec_tests(struct hcf_target *t, const struct hcf_abi *abi, struct hcf_model *model,
		   struct hcf_test *tests, size_t n, const struct hcf_exec_opts *opts,
		   hcf_test_done_fn done, void *ctx, struct hcf_exec_stats *stats);


#endif /* HCF_EXEC_H */
