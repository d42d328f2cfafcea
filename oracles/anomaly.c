/*
 * anomaly.c: known anomalies: an issue that is a deviation the spec lists
 * becomes XFAIL with the anomaly's id.
 *
 * The match is precise (spec.h struct hcf_anomaly): the call the issue is on
 * (or the call a loss is blamed from, or the call that pointed at the bytes
 * of a memory issue) must be one the anomaly names, its inputs must satisfy
 * the anomaly's condition, the oracle must be one it lists, and the issue's
 * place and the observed value must be the ones it describes. Only FAIL,
 * HANG and CRASH issues are matched (verdict.c calls the hook for those):
 * a harness problem is never a hypervisor's known deviation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracles/anomaly.h"
#include "oracles/oracle.h"

static bool concerns(const struct hcf_anomaly *a, int op)
{
	for (size_t i = 0; i < a->nops; i++)
		if (a->ops[i] == (op >= 0 ? op : -1))
			return true;
	return false;
}

/* The op index of call i, -1 for an undeclared number. */
static int call_op(const struct hcf_anomaly_scope *s, size_t i)
{
	const struct hcf_op *op = hcf_prog_call_op(s->p, i);
	return op ? (int)(op - s->abi->ops) : -1;
}

/* Did a call before i run the anomaly's after: call with its inputs? */
static bool after_holds(const struct hcf_anomaly_scope *s, const struct hcf_anomaly *a, size_t i)
{
	if (a->after_op < 0)
		return true;
	for (size_t k = 0; k < i && k < s->r->ncalls; k++)
		if (call_op(s, k) == a->after_op && s->r->calls[k].outcome == HCF_CO_RETURNED &&
		    hcf_cond_holds(&a->after_when, s->r->calls[k].before))
			return true;
	return false;
}

/* Is call i one the anomaly names, with inputs its condition accepts (and
 * after the call its after: names)? A test of a struct field must surely
 * hold: one hcfuzz cannot read matches nothing. */
static bool call_fits(const struct hcf_anomaly_scope *s, const struct hcf_anomaly *a, size_t i)
{
	return i < s->p->ncalls && i < s->r->ncalls && concerns(a, call_op(s, i)) &&
	       hcf_oracle_cond(s->abi, s->p, i, &a->when, s->r->calls[i].before) == HCF_TRI_YES &&
	       after_holds(s, a, i);
}

/* A struct field after the call: the issue is at the field the anomaly
 * names ("struct.field", or "field" in whichever struct), and what it
 * found there is one of the anomaly's values. */
static bool match_field(const struct hcf_anomaly_scope *s, const struct hcf_anomaly *a, size_t i,
			const struct hcf_issue *is)
{
	if ((is->loc.kind != HCF_LOC_FIELD && is->loc.kind != HCF_LOC_STATUS) || !is->has_values ||
	    !a->field || !call_fits(s, a, i) || s->r->calls[i].outcome != HCF_CO_RETURNED)
		return false;
	const char *dot = strchr(is->loc.name, '.');
	bool named = !strcmp(is->loc.name, a->field) ||
		     (!strchr(a->field, '.') && dot && !strcmp(dot + 1, a->field));
	return named && hcf_vset_contains(&a->values, (int64_t)is->got);
}

static bool match_reg(const struct hcf_anomaly_scope *s, const struct hcf_anomaly *a, size_t i,
		      const struct hcf_issue *is)
{
	const struct hcf_call_result *cr = &s->r->calls[i];
	if (!call_fits(s, a, i) || cr->outcome != HCF_CO_RETURNED || a->reg >= HCF_NGPR ||
	    !hcf_vset_contains(&a->values, (int64_t)cr->after[a->reg]))
		return false;
	if (is->loc.kind == HCF_LOC_REG)
		return is->loc.reg == a->reg;
	/* "returns 1 instead of raising #GP": the model's outcome finding is
	 * the same deviation */
	return a->instead_of >= 0 && is->loc.kind == HCF_LOC_EXCEPTION && is->has_values &&
	       is->expected == (uint64_t)a->instead_of && is->got == HCF_EXC_RETURNED;
}

static bool match_exception(const struct hcf_anomaly_scope *s, const struct hcf_anomaly *a,
			    size_t i, const struct hcf_issue *is)
{
	const struct hcf_call_result *cr = &s->r->calls[i];
	return is->loc.kind == HCF_LOC_EXCEPTION && call_fits(s, a, i) &&
	       cr->outcome == HCF_CO_EXCEPTION && cr->vector < 32 &&
	       (a->vectors & (1u << cr->vector));
}

static bool match_outcome(const struct hcf_anomaly_scope *s, const struct hcf_anomaly *a,
			  size_t i, const struct hcf_issue *is)
{
	if (strcmp(is->oracle, "liveness") != 0 ||
	    (is->loc.kind != HCF_LOC_OUTCOME && is->loc.kind != HCF_LOC_PROGRAM) ||
	    is->lost >= HCF_LIVE_COUNT || !(a->outcomes & (1u << is->lost)))
		return false;
	/* where the guest was: only when the target said (loc end past addr) */
	if (a->has_rip && (is->loc.end <= is->loc.addr || !hcf_pred_holds(&a->rip, is->loc.addr)))
		return false;
	/* the call the issue is on, or the other call of the loss */
	return call_fits(s, a, i) || (is->related != SIZE_MAX && call_fits(s, a, is->related));
}

/* Memory: every changed byte lies in the window an input of a call that ran
 * names; the issue then concerns that call. */
static bool match_memory(const struct hcf_anomaly_scope *s, const struct hcf_anomaly *a,
			 size_t i, struct hcf_issue *is)
{
	if (!hcf_loc_is_memory(&is->loc) || !is->loc.nbytes || is->loc.end <= is->loc.addr)
		return false;
	size_t last = hcf_oracle_last_ran(s->r);
	for (size_t k = 0; k <= last && k < s->p->ncalls && k < s->r->ncalls; k++) {
		if (s->r->calls[k].outcome == HCF_CO_NOT_RUN || !call_fits(s, a, k) ||
		    a->mem_reg >= HCF_NGPR)
			continue;
		uint64_t base = s->r->calls[k].before[a->mem_reg] & ~(a->mem_align - 1);
		uint64_t end = base + a->mem_size;
		if (end < base) /* the window wraps: it holds nothing */
			continue;
		if (is->loc.addr >= base && is->loc.end <= end) {
			if (k != i)
				is->related = k;
			return true;
		}
	}
	return false;
}

static void match(const struct hcf_anomaly_hook *h, const struct hcf_call_verdict *cv,
		  struct hcf_issue *is)
{
	struct hcf_anomaly_scope *s = h->ctx;
	size_t i = cv->idx;
	if (!s || !s->abi || i >= s->p->ncalls || i >= s->r->ncalls)
		return;
	uint32_t check = hcf_anomaly_check_bit(is->oracle);
	for (size_t k = 0; k < s->abi->nanomalies; k++) {
		const struct hcf_anomaly *a = &s->abi->anomalies[k];
		if ((a->checks && !(a->checks & check)) || !hcf_anomaly_on_target(a, s->target))
			continue;
		bool hit = false;
		switch (a->kind) {
		case HCF_ANOM_REG:
			hit = match_reg(s, a, i, is);
			break;
		case HCF_ANOM_EXCEPTION:
			hit = match_exception(s, a, i, is);
			break;
		case HCF_ANOM_OUTCOME:
			hit = match_outcome(s, a, i, is);
			break;
		case HCF_ANOM_MEMORY:
			hit = match_memory(s, a, i, is);
			break;
		case HCF_ANOM_FIELD:
			hit = match_field(s, a, i, is);
			break;
		default:
			break;
		}
		if (!hit)
			continue;
		is->anomaly = a->id;
		is->v = HCF_V_XFAIL;
		if (s->matched && k < s->nmatched)
			s->matched[k] = true;
		return;
	}
}

void hcf_anomaly_scope_init(struct hcf_anomaly_scope *s, const struct hcf_abi *abi,
			    const struct hcf_prog *p, const struct hcf_prog_result *r)
{
	s->abi = abi;
	s->p = p;
	s->r = r;
	s->hook.match = match;
	s->hook.ctx = s;
	if (s->matched)
		memset(s->matched, 0, s->nmatched * sizeof(*s->matched));
}

const struct hcf_anomaly *hcf_anomaly_find(const struct hcf_abi *abi, const char *id)
{
	for (size_t k = 0; abi && id && k < abi->nanomalies; k++)
		if (!strcmp(abi->anomalies[k].id, id))
			return &abi->anomalies[k];
	return NULL;
}

void hcf_anomaly_counts_init(struct hcf_anomaly_counts *c, const struct hcf_abi *abi)
{
	c->abi = abi;
	c->n = calloc(abi && abi->nanomalies ? abi->nanomalies : 1, sizeof(*c->n));
	c->total = 0;
}

void hcf_anomaly_counts_add(struct hcf_anomaly_counts *c, const struct hcf_call_verdict *cvs,
			    size_t ncalls)
{
	if (!c->n || !c->abi || !c->abi->nanomalies)
		return;
	bool any = false;
	for (size_t k = 0; k < c->abi->nanomalies; k++) {
		const char *id = c->abi->anomalies[k].id;
		bool seen = false;
		for (size_t i = 0; i < ncalls && !seen; i++)
			for (size_t j = 0; j < cvs[i].nissues && j < HCF_MAX_ISSUES && !seen; j++)
				seen = cvs[i].issues[j].anomaly == id &&
				       cvs[i].issues[j].v == HCF_V_XFAIL;
		c->n[k] += seen;
		any |= seen;
	}
	c->total += any;
}

const char *hcf_anomaly_ranking(const char *const *ids, const uint64_t *counts, size_t n,
				char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	/* most frequent first: a selection, the list is short */
	bool *done = calloc(n ? n : 1, sizeof(*done));
	for (size_t round = 0; done && round < n && used < len; round++) {
		size_t best = SIZE_MAX;
		for (size_t k = 0; k < n; k++)
			if (!done[k] && counts[k] && (best == SIZE_MAX || counts[k] > counts[best]))
				best = k;
		if (best == SIZE_MAX)
			break;
		done[best] = true;
		int w = snprintf(buf + used, len - used, "%s%s %llu", used ? ", " : "", ids[best],
				 (unsigned long long)counts[best]);
		if (w < 0 || (size_t)w >= len - used) {
			/* whole entries only: say that more did not fit */
			buf[used] = '\0';
			if (used + 5 < len)
				memcpy(buf + used, ", ...", 6);
			break;
		}
		used += (size_t)w;
	}
	free(done);
	return buf;
}

const char *hcf_anomaly_counts_format(const struct hcf_anomaly_counts *c, char *buf, size_t len)
{
	size_t na = c->abi && c->n ? c->abi->nanomalies : 0;
	const char **ids = calloc(na ? na : 1, sizeof(*ids));
	uint64_t *counts = calloc(na ? na : 1, sizeof(*counts));
	buf[0] = '\0';
	if (ids && counts) {
		for (size_t k = 0; k < na; k++) {
			ids[k] = c->abi->anomalies[k].id;
			counts[k] = c->n[k];
		}
		hcf_anomaly_ranking(ids, counts, na, buf, len);
	}
	free(ids);
	free(counts);
	return buf;
}

void hcf_anomaly_counts_free(struct hcf_anomaly_counts *c)
{
	free(c->n);
	c->n = NULL;
}
