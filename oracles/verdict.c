/* verdict.c: verdict names, exit codes, places, per-call issue lists and tallies. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "oracles/verdict.h"
#include "util/x86.h"

/* One row per verdict, in severity order: the enum value indexes the table. */
static const struct {
	const char *name;
	int exit_code;
} verdict_table[HCF_V_COUNT] = {
	[HCF_V_PASS] = { "PASS", HCF_EXIT_PASS },
	[HCF_V_LOST] = { "LOST", HCF_EXIT_PASS },
	[HCF_V_XFAIL] = { "XFAIL", HCF_EXIT_PASS },
	[HCF_V_SKIP] = { "SKIP", HCF_EXIT_SKIP },
	[HCF_V_XPASS] = { "XPASS", HCF_EXIT_XPASS },
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

bool hcf_verdict_fails(enum hcf_verdict v)
{
	return hcf_verdict_exit_code(v) != HCF_EXIT_PASS;
}

/* ---- places ------------------------------------------------------------ */

static const char *const loc_names[HCF_LOC_COUNT] = {
	[HCF_LOC_NONE] = "none",
	[HCF_LOC_OUTCOME] = "outcome",
	[HCF_LOC_PROGRAM] = "program",
	[HCF_LOC_EXCEPTION] = "exception",
	[HCF_LOC_REG] = "reg",
	[HCF_LOC_FLAG] = "flag",
	[HCF_LOC_XMM] = "xmm",
	[HCF_LOC_STATUS] = "status",
	[HCF_LOC_GUARD_BELOW] = "guard-below",
	[HCF_LOC_GUARD_ABOVE] = "guard-above",
	[HCF_LOC_FIELD] = "field",
	[HCF_LOC_PADDING] = "padding",
	[HCF_LOC_PAST_STRUCT] = "past-struct",
	[HCF_LOC_READONLY] = "read-only",
	[HCF_LOC_BYTES] = "bytes",
	[HCF_LOC_PAGE] = "page",
	[HCF_LOC_PAGES] = "pages",
};

const char *hcf_loc_kind_name(enum hcf_loc_kind k)
{
	return (unsigned)k < HCF_LOC_COUNT ? loc_names[k] : "?";
}

int hcf_loc_kind_parse(const char *name, enum hcf_loc_kind *k)
{
	for (unsigned i = 0; name && i < HCF_LOC_COUNT; i++)
		if (!strcmp(loc_names[i], name)) {
			*k = (enum hcf_loc_kind)i;
			return 0;
		}
	return -1;
}

bool hcf_loc_is_memory(const struct hcf_loc *loc)
{
	return loc && loc->kind >= HCF_LOC_STATUS && loc->kind <= HCF_LOC_PAGES;
}

const char *hcf_loc_format(const struct hcf_loc *l, char *buf, size_t len)
{
	if (!l) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	const char *fname;
	switch (l->kind) {
	case HCF_LOC_NONE:
		snprintf(buf, len, "%s", l->name[0] ? l->name : "");
		break;
	case HCF_LOC_OUTCOME:
	case HCF_LOC_PROGRAM:
	case HCF_LOC_EXCEPTION:
		snprintf(buf, len, "%s", loc_names[l->kind]);
		break;
	case HCF_LOC_REG:
		snprintf(buf, len, "%s", hcf_x86_gpr_name(l->reg));
		break;
	case HCF_LOC_FLAG:
		fname = hcf_x86_rflags_name(l->bit);
		if (fname)
			snprintf(buf, len, "rflags.%s", fname);
		else
			snprintf(buf, len, "rflags.bit%u", l->bit);
		break;
	case HCF_LOC_XMM:
		snprintf(buf, len, "xmm%u", l->reg);
		break;
	case HCF_LOC_GUARD_BELOW:
		snprintf(buf, len, "guard buf%d-%ld", l->buf, -(long)l->off);
		break;
	case HCF_LOC_GUARD_ABOVE:
		snprintf(buf, len, "guard buf%d+%ld", l->buf, (long)l->off);
		break;
	case HCF_LOC_STATUS:
		if (l->buf < 0) { /* a status that could not be found */
			snprintf(buf, len, "status");
			break;
		}
		/* fall through */
	case HCF_LOC_FIELD:
		snprintf(buf, len, "buf%d+%ld (%s)", l->buf, (long)l->off, l->name);
		break;
	case HCF_LOC_PADDING:
		snprintf(buf, len, "buf%d+%ld (%s padding)", l->buf, (long)l->off, l->name);
		break;
	case HCF_LOC_PAST_STRUCT:
		snprintf(buf, len, "buf%d+%ld (past %s)", l->buf, (long)l->off, l->name);
		break;
	case HCF_LOC_READONLY:
		snprintf(buf, len, "buf%d+%ld (read-only)", l->buf, (long)l->off);
		break;
	case HCF_LOC_BYTES:
		snprintf(buf, len, "buf%d+%ld", l->buf, (long)l->off);
		break;
	case HCF_LOC_PAGE:
		snprintf(buf, len, "page 0x%llx", (unsigned long long)(l->addr & ~0xfffull));
		break;
	case HCF_LOC_PAGES:
		snprintf(buf, len, "pages");
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
	return buf;
}

/* ---- issues -------------------------------------------------------------- */

void hcf_call_verdict_init(struct hcf_call_verdict *cv)
{
	/* Only the counts: the issue slots (3 KiB) are written when used, and
	 * clearing them for every call of a 65536-call program cost more than
	 * all the oracles together. */
	cv->v = HCF_V_PASS;
	cv->nissues = 0;
	cv->dropped = 0;
	cv->hook = NULL;
}

/*
 * The common part of both add functions. The issue is built first (in a
 * scratch slot when the list is full), matched against the known
 * anomalies, and only then counted: the verdict always moves to the worst
 * seen, also for issues that no longer fit, so a dropped FAIL still fails
 * the call and a dropped known anomaly is still only XFAIL.
 */
static _Thread_local struct hcf_issue scratch;

/* The slot the next issue goes into: a kept one, or the scratch slot. */
static struct hcf_issue *next_slot(struct hcf_call_verdict *cv)
{
	return cv->nissues < HCF_MAX_ISSUES ? &cv->issues[cv->nissues] : &scratch;
}

/* Match, then count the issue written into next_slot(cv). */
static struct hcf_issue *commit(struct hcf_call_verdict *cv, struct hcf_issue *is)
{
	if ((unsigned)is->v >= HCF_V_COUNT)
		is->v = HCF_V_ERROR;
	is->was = is->v;
	is->anomaly = NULL;
	hcf_loc_format(&is->loc, is->where, sizeof(is->where));
	if (cv->hook && cv->hook->match &&
	    (is->v == HCF_V_FAIL || is->v == HCF_V_HANG || is->v == HCF_V_CRASH))
		cv->hook->match(cv->hook, cv, is);
	cv->v = hcf_verdict_worst(cv->v, is->v);
	if (is == &scratch) {
		cv->dropped++;
		return NULL;
	}
	cv->nissues++;
	return is;
}

static struct hcf_issue *verdict_vadd(struct hcf_call_verdict *cv, enum hcf_verdict v,
				      const char *oracle, const struct hcf_loc *loc,
				      bool has_values, uint64_t expected, uint64_t got,
				      const char *fmt, va_list ap)
{
	struct hcf_issue *is = next_slot(cv);
	memset(is, 0, sizeof(*is));
	is->v = v;
	is->oracle = oracle ? oracle : "?";
	is->loc = loc ? *loc : hcf_loc_of(HCF_LOC_NONE);
	is->has_values = has_values;
	is->expected = expected;
	is->got = got;
	is->related = SIZE_MAX;
	if (fmt)
		vsnprintf(is->reason, sizeof(is->reason), fmt, ap);
	return commit(cv, is);
}

struct hcf_issue *hcf_call_verdict_put(struct hcf_call_verdict *cv, const struct hcf_issue *tmpl)
{
	struct hcf_issue *is = next_slot(cv);
	*is = *tmpl;
	if (!is->oracle)
		is->oracle = "?";
	return commit(cv, is);
}

struct hcf_issue *hcf_call_verdict_add(struct hcf_call_verdict *cv, enum hcf_verdict v,
				       const char *oracle, const struct hcf_loc *loc,
				       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct hcf_issue *is = verdict_vadd(cv, v, oracle, loc, false, 0, 0, fmt, ap);
	va_end(ap);
	return is;
}

struct hcf_issue *hcf_call_verdict_add_values(struct hcf_call_verdict *cv, enum hcf_verdict v,
					      const char *oracle, const struct hcf_loc *loc,
					      uint64_t expected, uint64_t got, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct hcf_issue *is = verdict_vadd(cv, v, oracle, loc, true, expected, got, fmt, ap);
	va_end(ap);
	return is;
}

/* ---- tallies ------------------------------------------------------------- */

void hcf_tally_add(struct hcf_tally *t, enum hcf_verdict v)
{
	if ((unsigned)v >= HCF_V_COUNT)
		v = HCF_V_ERROR;
	t->n[v]++;
	t->total++;
	t->worst = hcf_verdict_worst(t->worst, v);
}

const char *hcf_tally_format(const struct hcf_tally *t, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned v = 0; v < HCF_V_COUNT && used < len; v++) {
		if (v != HCF_V_PASS && !t->n[v])
			continue;
		int k = snprintf(buf + used, len - used, "%s%s %zu", used ? "  " : "",
				 verdict_table[v].name, t->n[v]);
		if (k < 0)
			break;
		used += (size_t)k;
	}
	return buf;
}
