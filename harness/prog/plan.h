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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prog/prog.h"
#include "spec/spec.h"
#include "util/diag.h"

/* A named program: what conform, replay and the executor run and report. */
struct hcf_test {
	char id[96];        /* unique within a run: "KVM_HC_KICK_CPU/rcx=all-ones" */
	char group[64];     /* op name, or "undeclared" */
	char desc[128];     /* what this test varies */
	struct hcf_prog prog;
	/* The known anomaly this test is the program of: it must show it
	 * (XFAIL), or the test is XPASS. NULL for other tests. */
	const struct hcf_anomaly *anomaly;
};

void hcf_tests_free(struct hcf_test *tests, size_t n);

/* What a test is, as a number: FNV-1a of its id and its program's text. Two
 * runs whose tests have the same digests ran the same plan (a saved
 * baseline checks this). */
uint64_t hcf_test_digest(const struct hcf_test *t);
/* The plan's: its tests' digests in order. */
uint64_t hcf_tests_digest(const struct hcf_test *tests, size_t n);

struct hcf_plan_opts {
	uint64_t seed;            /* 0: HCF_PLAN_DEFAULT_SEED */
	unsigned randoms;         /* seeded random values per input; 0: default 3, at most 64 */
	bool randoms_given;       /* take randoms as given, so that 0 means none (--randoms 0) */
	bool no_undeclared;       /* skip undeclared numbers */
	bool no_destructive;      /* skip destructive ops */
	/* ops to leave out, by name or shell pattern ("console_io.*"): a run
	 * that cannot afford a slow op, or that checks one family */
	const char *const *skip_ops;
	size_t nskip_ops;
};

/* Is op name `name` one of the patterns? */
bool hcf_plan_op_skipped(const struct hcf_plan_opts *o, const char *name);

#define HCF_PLAN_DEFAULT_SEED 0x6863667a7a6c616eull
#define HCF_PLAN_DEFAULT_RANDOMS 3u
#define HCF_PLAN_MAX_RANDOMS 64u
#define HCF_PLAN_MAX_HINTS 16u      /* hint values tried per input */
#define HCF_PLAN_BYTES_BUF 64u      /* bytes behind a pointer-with-length field */

/*
 * Build the plan. opts may be NULL for the defaults. Returns 0 with *tests
 * (free with hcf_tests_free) and *n, or -1 (EINVAL) for missing arguments.
 *
 * Test ids: "<op>/baseline", "<op>/<arg>=<kind>" with kind one of zero, one,
 * all-ones, sign-bit, max, upper-garbage, hint-K, random-K, and for pointer
 * arguments null (instead of zero), non-canonical, past-ram, last-byte;
 * "<op>/<arg>.<field>=hint-K" for the hints of a field of the struct a
 * pointer input points to (its other fields at their baselines);
 * "undeclared/nr=0x..." (and "undeclared/nr=0x...-without-mask"). Groups:
 * the op name, or "undeclared". docs/program-format.md lists the values.
 */
int hcf_plan_build(const struct hcf_abi *abi, const struct hcf_plan_opts *opts,
		   struct hcf_test **tests, size_t *n);

/*
 * Append one test per known anomaly of the spec: its reproduce program, id
 * "anomaly/<id>", group "anomalies". Returns 0, or -1 with diagnostics when
 * a program does not parse (then *tests and *n are as they were).
 */
int hcf_plan_add_anomalies(const struct hcf_abi *abi, struct hcf_test **tests, size_t *n,
			   struct hcf_diags *diags);

#endif /* HCF_PLAN_H */
