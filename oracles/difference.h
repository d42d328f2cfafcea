/*
 * difference.h: what two results of the same program do differently.
 *
 * A build against its baseline, one target against another: the same
 * program ran twice, and every place where the results differ is a
 * difference, named like an issue (a typed place), with the first result's
 * value and the second's. What the spec declares nondeterministic (outputs
 * and struct fields marked `nondeterministic`) is never compared: it may
 * differ between two runs of one build. What the spec does not state is
 * compared all the same (a clobbered register, a value the ABI leaves
 * open): the question here is "did it change", not "is it allowed".
 *
 * Registers are compared as changed or kept: a register the call left as
 * loaded is the same on both sides even when the two targets loaded
 * different addresses into it (the agent's stack, a buffer), so two agents
 * laid out differently compare equal where the hypervisors behave alike.
 */
#ifndef HCF_DIFFERENCE_H
#define HCF_DIFFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oracles/verdict.h"
#include "prog/prog.h"
#include "target/result.h"

struct hcf_difference {
	size_t call;             /* the call, SIZE_MAX: the program as a whole */
	struct hcf_loc loc;      /* where (HCF_LOC_NONE named "verdict" for the verdict) */
	char where[64];          /* loc as people read it */
	char was[48], now[48];   /* the first result's value, the second's, as text */
	bool has_values;         /* was_v / now_v hold the values (registers, flags) */
	uint64_t was_v, now_v;
};

/* Differences kept per program; `found` counts all of them. */
#define HCF_DIFF_KEEP 8

struct hcf_differences {
	struct hcf_difference d[HCF_DIFF_KEEP];
	size_t n, found;
};

/* One side of a comparison. */
struct hcf_diff_side {
	const struct hcf_prog_result *res;
	/* The ABI the side's calls were made with (NULL: the program's). The
	 * registers its transport's instruction itself clobbers (syscall's rcx
	 * and r11: the CPU's, not the hypervisor's) are not compared. */
	const struct hcf_abi *abi;
	uint64_t rflags_captured;   /* RFLAGS bits the target captures (0: all) */
	bool has_verdict;           /* compare verdicts too (a baseline keeps its test's) */
	enum hcf_verdict verdict;
};

/*
 * Compare a's and b's results of program p (its ABI's nondeterminism
 * excluded) into out. Returns out->found: 0 when they agree.
 */
size_t hcf_differ(const struct hcf_prog *p, const struct hcf_diff_side *a,
		  const struct hcf_diff_side *b, struct hcf_differences *out);

/* One line, the sides labelled as the caller says ("baseline", "now"; two
 * target names): "call 2 (KVM_HC_SEND_IPI) rax: baseline 0x0, now -EINVAL". */
const char *hcf_difference_format(const struct hcf_prog *p, const struct hcf_difference *d,
				  const char *label_a, const char *label_b, char *buf, size_t len);

/* A stable key for deduplication: op, place kind and name, values' classes
 * left out ("KVM_HC_SEND_IPI/reg/rax"). */
const char *hcf_difference_key(const struct hcf_prog *p, const struct hcf_difference *d,
			       char *buf, size_t len);

#endif /* HCF_DIFFERENCE_H */
