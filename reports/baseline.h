/*
 * baseline.h: a run's every result saved, to compare a later build with.
 *
 * `hcfuzz conform --save-baseline FILE` (and replay) writes one: a header
 * line (format version, the spec's digest and transport, the plan's digest,
 * the hypervisor's identity) and one JSON line per test with everything its
 * result holds that a later run can be compared on: each call's outcome,
 * registers and RFLAGS before and after, exception, the buffers after the
 * program (guards included), the pages written outside the agent's areas,
 * the verdict. `--baseline FILE` loads it back into results the difference
 * module compares like live ones. docs/baselines.md is the format.
 *
 * A baseline file is input like any other: every line is checked, and a
 * malformed one is an error naming the file and line, never a crash.
 */
#ifndef HCF_BASELINE_H
#define HCF_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec/exec.h"
#include "oracles/verdict.h"
#include "prog/plan.h"
#include "spec/spec.h"
#include "target/result.h"
#include "target/target.h"

/* The format's version; a file of another version is refused. */
#define HCF_BASELINE_VERSION 1

/* What a baseline was saved from. */
struct hcf_baseline_header {
	unsigned version;
	char command[16];             /* "conform", "replay" */
	char created[32];             /* UTC, ISO 8601 */
	char spec_name[64], spec_path[256], transport[32];
	uint64_t spec_digest;         /* hcf_abi.digest */
	uint64_t plan_digest;         /* hcf_tests_digest */
	size_t tests;
	uint64_t seed;
	char target[16], hypervisor[16], hv_signature[13], cpu_vendor[13];
	char facts[128];
	uint64_t rflags_captured;
};

/* The header of a run about to start, from its spec, tests and target. */
void hcf_baseline_header_of(struct hcf_baseline_header *h, const char *command,
			    const struct hcf_abi *abi, const struct hcf_test *tests, size_t n,
			    uint64_t seed, const struct hcf_target_info *ti);

/* ---- saving ----------------------------------------------------------- */

struct hcf_baseline_writer;

/* Open FILE under a temporary name (renamed into place by commit). NULL
 * with err on failure. */
struct hcf_baseline_writer *hcf_baseline_create(const char *path,
						const struct hcf_baseline_header *h, char *err,
						size_t errlen);
void hcf_baseline_add(struct hcf_baseline_writer *w, const struct hcf_test *t,
		      const struct hcf_test_outcome *o);
/* 0 (the file is in place), or -1 with err. Frees w either way. */
int hcf_baseline_commit(struct hcf_baseline_writer *w, char *err, size_t errlen);
void hcf_baseline_abort(struct hcf_baseline_writer *w);

/* ---- loading ---------------------------------------------------------- */

struct hcf_baseline_test {
	char id[96];
	uint64_t digest;              /* hcf_test_digest of the test that ran */
	enum hcf_verdict verdict;
	struct hcf_prog_result res;
};

struct hcf_baseline {
	char *path;
	struct hcf_baseline_header h;
	struct hcf_baseline_test *tests;
	size_t n;
};

/* Load FILE. NULL with err ("FILE:LINE: ...") when it cannot be read or a
 * line is malformed. */
struct hcf_baseline *hcf_baseline_load(const char *path, char *err, size_t errlen);
void hcf_baseline_free(struct hcf_baseline *b);

/* Is the baseline one this run can be compared with: same spec (digest),
 * transport and plan? 0, or -1 with why in one paragraph (which spec, which
 * tests were added, removed or changed). */
int hcf_baseline_check(const struct hcf_baseline *b, const struct hcf_baseline_header *now,
		       const struct hcf_test *tests, size_t n, char *why, size_t len);

/* The saved result of test i of the run (checked to be the same test by
 * hcf_baseline_check), or NULL. */
const struct hcf_baseline_test *hcf_baseline_test(const struct hcf_baseline *b, size_t i,
						  const char *id);

#endif /* HCF_BASELINE_H */
