/*
 * verdict.h: verdicts, their severity order and their exit codes; the issues
 * oracles find, with where each one is as typed data.
 *
 * The XTF model plus the two classes a contract with known deviations and
 * declared losses needs: PASS, LOST (the guest ended the way the spec
 * declares a call may end it: an expected loss, counted and shown), XFAIL (a
 * known anomaly of the spec reproduced), SKIP (not applicable here, with the
 * reason), XPASS (a known anomaly that did not reproduce), ERROR (the harness
 * or environment failed), FAIL (the hypervisor broke the contract), HANG (no
 * progress within the watchdog), CRASH (the guest or the target died
 * unexpectedly). When several apply, the most severe wins, in the order of
 * the enum. Exit codes: docs/verdicts.md.
 */
#ifndef HCF_VERDICT_H
#define HCF_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hcf_verdict {
	HCF_V_PASS = 0,
	HCF_V_LOST,
	HCF_V_XFAIL,
	HCF_V_SKIP,
	HCF_V_XPASS,
	HCF_V_ERROR,
	HCF_V_FAIL,
	HCF_V_HANG,
	HCF_V_CRASH,
	HCF_V_COUNT
};

/* Process exit codes. Verdict codes are distinct from usage errors. A run
 * whose worst verdict is LOST or XFAIL kept the contract (apart from the
 * deviations its spec lists): it exits 0 like PASS. */
enum hcf_exit_code {
	HCF_EXIT_PASS = 0,
	HCF_EXIT_USAGE = 2,   /* bad command line, malformed spec, program or corpus file */
	HCF_EXIT_SKIP = 3,
	HCF_EXIT_ERROR = 4,
	HCF_EXIT_FAIL = 5,
	HCF_EXIT_HANG = 6,
	HCF_EXIT_CRASH = 7,
	HCF_EXIT_XPASS = 8,   /* a known anomaly no longer reproduces: the spec is out of date */
	HCF_EXIT_DIFF = 9     /* compared with a baseline or a second target: results differ
	                         (when no verdict is worse than XPASS) */
};

const char *hcf_verdict_name(enum hcf_verdict v);          /* "PASS" ... */
int hcf_verdict_parse(const char *name, enum hcf_verdict *v); /* case-insensitive; -1 if unknown */
int hcf_verdict_exit_code(enum hcf_verdict v);
/* Does this verdict fail a run (a nonzero exit)? */
bool hcf_verdict_fails(enum hcf_verdict v);
static inline enum hcf_verdict hcf_verdict_worst(enum hcf_verdict a, enum hcf_verdict b)
{
	return a > b ? a : b;
}

/*
 * Where an issue is. Messages, finding signatures, known-anomaly matches and
 * reproducer checks are all made from this, never from the rendered text.
 * Memory places carry the buffer (or page), the span of bytes that differ and
 * their guest addresses.
 */
enum hcf_loc_kind {
	HCF_LOC_NONE = 0,     /* the call as a whole (a harness problem) */
	HCF_LOC_OUTCOME,      /* how the call ended: hang, lost guest, untrusted result, not run */
	HCF_LOC_PROGRAM,      /* the guest lost between calls */
	HCF_LOC_EXCEPTION,    /* the exception the call raised or should have raised */
	HCF_LOC_REG,          /* a general-purpose register: reg */
	HCF_LOC_FLAG,         /* an RFLAGS bit: bit */
	HCF_LOC_XMM,          /* a vector register: reg is its number */
	HCF_LOC_STATUS,       /* the status field of a status_field call (buf, off, name) */
	HCF_LOC_GUARD_BELOW,  /* the guard before buffer buf */
	HCF_LOC_GUARD_ABOVE,  /* the guard after buffer buf */
	HCF_LOC_FIELD,        /* an IN field of the struct in buf: name "struct.field" */
	HCF_LOC_PADDING,      /* bytes of buf's struct no field covers: name is the struct */
	HCF_LOC_PAST_STRUCT,  /* bytes of buf after its struct's end: name is the struct */
	HCF_LOC_READONLY,     /* a raw buffer the hypervisor may not write */
	HCF_LOC_BYTES,        /* bytes of buffer buf (a raw buffer's, between two results) */
	HCF_LOC_PAGE,         /* a guest page outside the agent's writable areas: page */
	HCF_LOC_PAGES,        /* pages beyond the ones a result keeps */
	HCF_LOC_COUNT
};

struct hcf_loc {
	enum hcf_loc_kind kind;
	uint8_t reg;            /* REG, XMM */
	uint8_t bit;            /* FLAG */
	int16_t buf;            /* memory places in a buffer: its index; -1 otherwise */
	int32_t off;            /* memory: first changed byte, from the buffer's start (negative:
	                           in the guard below) or from the page's start */
	uint32_t nbytes;        /* memory: bytes that differ */
	uint64_t addr, end;     /* memory: guest addresses of the first changed byte and one past
	                           the last; PAGE: the page; OUTCOME: the guest's rip when it was
	                           lost, end = addr + 1 (end 0: not known) */
	char name[40];          /* FIELD, STATUS: "struct.field"; PADDING, PAST_STRUCT: the struct */
};

/* Loc kind names as JSON and signatures spell them: "reg", "guard-below" ... */
const char *hcf_loc_kind_name(enum hcf_loc_kind k);
int hcf_loc_kind_parse(const char *name, enum hcf_loc_kind *k);
/* The place as people read it: "rbx", "rflags.CF", "guard buf0-3",
 * "buf0+12 (walltime.nsecs)", "page 0x7000". Returns buf. */
const char *hcf_loc_format(const struct hcf_loc *loc, char *buf, size_t len);
/* Is this a place in guest memory (a buffer or a page)? */
bool hcf_loc_is_memory(const struct hcf_loc *loc);

/* Constructors for the common places. */
static inline struct hcf_loc hcf_loc_of(enum hcf_loc_kind k)
{
	struct hcf_loc l = { .kind = k, .buf = -1 };
	return l;
}
static inline struct hcf_loc hcf_loc_reg(unsigned reg)
{
	struct hcf_loc l = { .kind = HCF_LOC_REG, .reg = (uint8_t)reg, .buf = -1 };
	return l;
}
static inline struct hcf_loc hcf_loc_flag(unsigned bit)
{
	struct hcf_loc l = { .kind = HCF_LOC_FLAG, .bit = (uint8_t)bit, .buf = -1 };
	return l;
}

/* "expected"/"got" of an exception place when the call returned (no vector). */
#define HCF_EXC_RETURNED 256u

/*
 * One thing an oracle found. Every FAIL names the call, the place (loc), and
 * expected/got when they are values.
 */
struct hcf_issue {
	enum hcf_verdict v;
	const char *oracle;     /* "clobber", "exception", "retval", "memory", "model", "liveness" */
	struct hcf_loc loc;
	char where[48];         /* loc as hcf_loc_format renders it */
	bool has_values;
	uint64_t expected, got;
	/* The known anomaly this issue matched (an id owned by the spec): the
	 * issue is XFAIL, and `was` keeps the verdict it had before. */
	const char *anomaly;
	enum hcf_verdict was;
	/* Another call this issue is about: the call a loss happened in (on
	 * the call it is blamed on), the call it is blamed on (on the call it
	 * happened in), the earlier call a monotonic output went back from;
	 * SIZE_MAX if none. */
	size_t related;
	/* Repeats, on the call the guest was lost in, the issue recorded on the
	 * call the loss is blamed on: reports show it, findings count the
	 * blamed call's. */
	bool consequence;
	/* Liveness issues about a loss: how the guest ended (enum hcf_liveness). */
	uint8_t lost;
	char reason[320];
};

#define HCF_MAX_ISSUES 8

struct hcf_call_verdict;

/*
 * Known anomalies are matched as issues are added: a FAIL, HANG or CRASH the
 * spec lists as a known deviation becomes XFAIL before it is counted, so a
 * dropped issue is matched like a kept one. The oracles' driver sets this
 * hook; it may change is->v and set is->anomaly.
 */
struct hcf_anomaly_hook {
	void (*match)(const struct hcf_anomaly_hook *h, const struct hcf_call_verdict *cv,
		      struct hcf_issue *is);
	void *ctx;
};

struct hcf_call_verdict {
	enum hcf_verdict v;     /* worst of the issues, PASS if none */
	size_t nissues;         /* kept (at most HCF_MAX_ISSUES) */
	size_t dropped;         /* further issues counted, not kept */
	size_t idx;             /* the call this verdict is for (set by the driver) */
	const struct hcf_anomaly_hook *hook; /* NULL: no known anomalies to match */
	struct hcf_issue issues[HCF_MAX_ISSUES];
};

void hcf_call_verdict_init(struct hcf_call_verdict *cv);
/* Record an issue at loc (NULL: the call as a whole); the verdict becomes the
 * worst seen. Returns the issue, or NULL when it was counted but not kept. */
struct hcf_issue *hcf_call_verdict_add(struct hcf_call_verdict *cv, enum hcf_verdict v,
				       const char *oracle, const struct hcf_loc *loc,
				       const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The same with expected/got values. */
struct hcf_issue *hcf_call_verdict_add_values(struct hcf_call_verdict *cv, enum hcf_verdict v,
					      const char *oracle, const struct hcf_loc *loc,
					      uint64_t expected, uint64_t got, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* Record an issue prepared in full (place, values, related call, reason ...):
 * copied, matched against the known anomalies, counted. Returns the kept
 * copy, or NULL when it was counted but not kept. */
struct hcf_issue *hcf_call_verdict_put(struct hcf_call_verdict *cv, const struct hcf_issue *is);

/* A verdict tally for summaries. */
struct hcf_tally {
	size_t n[HCF_V_COUNT];
	enum hcf_verdict worst;
	size_t total;
};
void hcf_tally_add(struct hcf_tally *t, enum hcf_verdict v);
/* "PASS 210  LOST 12  XFAIL 3": the verdicts with a nonzero count (PASS
 * always), in severity order. Returns buf. */
const char *hcf_tally_format(const struct hcf_tally *t, char *buf, size_t len);

#endif /* HCF_VERDICT_H */
