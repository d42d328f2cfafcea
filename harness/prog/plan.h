/*
 * plan.h: the systematic conformance plan.
 *
 * From a spec, build the tests a conformance run executes: for every op a
 * baseline call, then one input at a time set to 0, 1, all-ones, the sign bit
 * and the maximum of its width, garbage in the upper bits of a narrower input,
 * the spec's hints and a few seeded random values; for the call number every
 * declared op plus undeclared neighbours and far values. Deterministic for a
 * given seed.
 */
#ifndef HCF_PLAN_H
#define HCF_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "exec/exec.h"
#include "spec/spec.h"

struct hcf_plan_opts {
	uint64_t seed;            /* 0: HCF_PLAN_DEFAULT_SEED */
	unsigned randoms;         /* seeded random values per input; default 3 */
	bool no_undeclared;       /* skip undeclared numbers */
	bool no_destructive;      /* skip destructive ops */
};

#define HCF_PLAN_DEFAULT_SEED 0x6863667a7a6c616eull

/* Build the plan. Returns 0 with *tests (free with hcf_tests_free) and *n. */
int hcf_plan_build(const struct hcf_abi *abi, const struct hcf_plan_opts *opts,
		   struct hcf_test **tests, size_t *n);

#endif /* HCF_PLAN_H */
