/*
 * verdict.h: verdicts, their severity order and their exit codes.
 *
 * The XTF model: PASS, SKIP (not applicable here, with the reason), ERROR (the
 * harness or environment failed), FAIL (the hypervisor broke the contract),
 * HANG (no progress within the watchdog), CRASH (the guest or the target died
 * unexpectedly). When several apply, the most severe wins, in the order of the
 * enum. Each verdict has its own process exit code (docs/verdicts.md).
 */
#ifndef HCF_VERDICT_H
#define HCF_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hcf_verdict {
	HCF_V_PASS = 0,
	HCF_V_SKIP,
	HCF_V_ERROR,
	HCF_V_FAIL,
	HCF_V_HANG,
	HCF_V_CRASH,
	HCF_V_COUNT
};

/* Process exit codes. Verdict codes are distinct from usage errors. */
enum hcf_exit_code {
	HCF_EXIT_PASS = 0,
	HCF_EXIT_USAGE = 2,   /* bad command line, malformed spec, program or corpus file */
	HCF_EXIT_SKIP = 3,
	HCF_EXIT_ERROR = 4,
	HCF_EXIT_FAIL = 5,
	HCF_EXIT_HANG = 6,
	HCF_EXIT_CRASH = 7
};

const char *hcf_verdict_name(enum hcf_verdict v);          /* "PASS" ... */
int hcf_verdict_parse(const char *name, enum hcf_verdict *v); /* case-insensitive; -1 if unknown */
int hcf_verdict_exit_code(enum hcf_verdict v);
static inline enum hcf_verdict hcf_verdict_worst(enum hcf_verdict a, enum hcf_verdict b)
{
	return a > b ? a : b;
}

/*
 * One thing an oracle found. Every FAIL names the call, the register or field
 * (where), and expected/got when they are values.
 */
struct hcf_issue {
	enum hcf_verdict v;
	const char *oracle;     /* "clobber", "exception", "retval", "memory", "model", "liveness" */
	char where[48];         /* "rbx", "rflags.CF", "buf0[12] (walltime.nsecs)", "rax" */
	bool has_values;
	uint64_t expected, got;
	char reason[200];
};

#define HCF_MAX_ISSUES 8

struct hcf_call_verdict {
	enum hcf_verdict v;     /* worst of the issues, PASS if none */
	size_t nissues;         /* kept (at most HCF_MAX_ISSUES) */
	size_t dropped;         /* further issues counted, not kept */
	struct hcf_issue issues[HCF_MAX_ISSUES];
};

void hcf_call_verdict_init(struct hcf_call_verdict *cv);
/* Record an issue; the verdict becomes the worst seen. */
struct hcf_issue *hcf_call_verdict_add(struct hcf_call_verdict *cv, enum hcf_verdict v,
				       const char *oracle, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The same with expected/got values. */
struct hcf_issue *hcf_call_verdict_add_values(struct hcf_call_verdict *cv, enum hcf_verdict v,
					      const char *oracle, const char *where,
					      uint64_t expected, uint64_t got, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* A verdict tally for summaries. */
struct hcf_tally {
	size_t n[HCF_V_COUNT];
	enum hcf_verdict worst;
	size_t total;
};
void hcf_tally_add(struct hcf_tally *t, enum hcf_verdict v);

#endif /* HCF_VERDICT_H */
