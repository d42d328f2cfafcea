/*
 * exec.h: run tests on a target and judge them.
 *
 * A test is a named program (conformance tests are one call each). The
 * executor packs independent single-call tests into large mailbox batches so
 * a plan runs at the speed of the hypercalls, not of VM exits; it runs a
 * destructive call or a program with buffers on its own. When the guest dies
 * in the middle of a batch, the call it died in gets its verdict and the rest
 * of the batch goes on in the restored VM. Every finished test is handed to a
 * callback with its verdict, for progress and reports. An ABI whose spec
 * requires what the target's hypervisor does not offer is not run at all:
 * every test is SKIP with that reason.
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
	size_t tests, calls, batches;
	/* what the target did to give programs a guest as booted (its counts
	 * over the run, struct hcf_target_info): the vCPU state put back after
	 * a destructive program or a lost guest, and new VMs */
	size_t restores, rebuilds;
	double seconds;
	struct hcf_tally tally;
	/* The spec's requirements against the target (exec/requires.h): when
	 * the hypervisor does not offer the ABI, not_applicable is set, no call
	 * is made and every test is SKIP with `requirement` as its reason
	 * (calls_not_applicable counts their calls); when the target cannot
	 * tell, the tests run and `requirement` says what was not checked.
	 * Reports print it once. */
	bool not_applicable;
	size_t calls_not_applicable;
	char requirement[256];
	const char *requirement_doc;  /* where the requirement is documented (the spec's) */
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
