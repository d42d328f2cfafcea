/* verdict.c: verdict names, exit codes, per-call issue lists and tallies. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "oracles/verdict.h"

/* One row per verdict, in severity order: the enum value indexes the table. */
static const struct {
	const char *name;
	int exit_code;
} verdict_table[HCF_V_COUNT] = {
	[HCF_V_PASS] = { "PASS", HCF_EXIT_PASS },
	[HCF_V_SKIP] = { "SKIP", HCF_EXIT_SKIP },
	[HCF_V_ERROR] = { "ERROR", HCF_EXIT_ERROR },
	[HCF_V_FAIL] = { "FAIL", HCF_EXIT_FAIL },
	[HCF_V_HANG] = { "HANG", HCF_EXIT_HANG },
	[HCF_V_CRASH] = { "CRASH", HCF_EXIT_CRASH },
};

const char *hcf_verdict_name(enum hcf_verdict v)
{
	return (unsigned)v < HCF_V_COUNT ? verdict_table[v].name : "?";
}

int hcf_verdict_parse(const char *name, enum hcf_verdict *v)
{
	if (!name)
		return -1;
	for (unsigned i = 0; i < HCF_V_COUNT; i++)
		if (!strcasecmp(verdict_table[i].name, name)) {
			*v = (enum hcf_verdict)i;
			return 0;
		}
	return -1;
}

int hcf_verdict_exit_code(enum hcf_verdict v)
{
	/* A value outside the enum is a harness bug: say ERROR rather than PASS. */
	return (unsigned)v < HCF_V_COUNT ? verdict_table[v].exit_code : HCF_EXIT_ERROR;
}

void hcf_call_verdict_init(struct hcf_call_verdict *cv)
{
	/* Only the counts: the issue slots (2 KiB) are written when used, and
	 * clearing them for every call of a 65536-call program cost more than
	 * all the oracles together. */
	cv->v = HCF_V_PASS;
	cv->nissues = 0;
	cv->dropped = 0;
}

/*
 * The common part of both add functions. The verdict always moves to the
 * worst seen, also for issues that no longer fit: a dropped FAIL must still
 * fail the call.
 */
static struct hcf_issue *verdict_vadd(struct hcf_call_verdict *cv, enum hcf_verdict v,
				      const char *oracle, const char *where, bool has_values,
				      uint64_t expected, uint64_t got, const char *fmt, va_list ap)
{
	if ((unsigned)v >= HCF_V_COUNT)
		v = HCF_V_ERROR;
	cv->v = hcf_verdict_worst(cv->v, v);
	if (cv->nissues >= HCF_MAX_ISSUES) {
		cv->dropped++;
		return NULL;
	}
	struct hcf_issue *is = &cv->issues[cv->nissues++];
	memset(is, 0, sizeof(*is));
	is->v = v;
	is->oracle = oracle ? oracle : "?";
	snprintf(is->where, sizeof(is->where), "%s", where ? where : "");
	is->has_values = has_values;
	is->expected = expected;
	is->got = got;
	if (fmt)
		vsnprintf(is->reason, sizeof(is->reason), fmt, ap);
	return is;
}

struct hcf_issue *hcf_call_verdict_add(struct hcf_call_verdict *cv, enum hcf_verdict v,
				       const char *oracle, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct hcf_issue *is = verdict_vadd(cv, v, oracle, where, false, 0, 0, fmt, ap);
	va_end(ap);
	return is;
}

struct hcf_issue *hcf_call_verdict_add_values(struct hcf_call_verdict *cv, enum hcf_verdict v,
					      const char *oracle, const char *where,
					      uint64_t expected, uint64_t got, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct hcf_issue *is = verdict_vadd(cv, v, oracle, where, true, expected, got, fmt, ap);
	va_end(ap);
	return is;
}

void hcf_tally_add(struct hcf_tally *t, enum hcf_verdict v)
{
	if ((unsigned)v >= HCF_V_COUNT)
		v = HCF_V_ERROR;
	t->n[v]++;
	t->total++;
	t->worst = hcf_verdict_worst(t->worst, v);
}
