/* learn_probe.c: the probes of `hcfuzz learn`: the scan of every number, then each call found, deeper. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/learn.h"
#include "prog/prog.h"
#include "prog/value_class.h"
#include "target/result.h"
#include "util/clock.h"
#include "util/interrupt.h"
#include "util/liveness.h"
#include "util/status.h"
#include "util/xalloc.h"

/* The buffer a pointer probe points a register at: a page, so that the
 * hypervisor's write, wherever in it, is seen in the buffer's read-back. */
#define PROBE_BUF 4096u
/* Where in the buffer the register points: room below it for a write that
 * rounds the address down, room above for a struct. */
#define PROBE_AT 2048

/* The values each input register is tried with, one at a time. First 0..7:
 * distinct answers among them make the register look like a sub-operation
 * selector. Then the value classes the plan and the coverage matrix use
 * (prog/value_class.h: one, all-ones, sign-bit, max) at 32 and 64 bits,
 * then what else a handler tells apart or an x86-64 kernel passes its
 * hypervisor: a small number, a page, the agent's own GDT, IDT and page
 * tables (where a table load or a CR3 write succeeds), the index of MSRs
 * every such kernel writes (EFER, KERNEL_GS_BASE), the first value past
 * 32 bits. */
#define NSMALL 8u
static const uint64_t extra_values[] = {
	0x10, 0x1000, HCF_GPA_GDT, HCF_GPA_IDT, HCF_GPA_PGTABLES, 0x100000,
	0xc0000080, 0xc0000102, 0x100000000ull,
};
static const enum hcf_vclass probe_classes[] = {
	HCF_VC_ALL_ONES, HCF_VC_SIGN_BIT, HCF_VC_MAX,
};
#define MAX_VALUES 32u
/* Values whose bits 63..32 alone are then changed (the plan's upper-garbage
 * class): the answer to both is the same for a register the hypervisor
 * reads as 32 bits. */
static const uint64_t width_values[] = { 0, 1, 2, 0x10, 0x1000 };
/* Fills of the pointed buffer: an answer that differs between them depends
 * on the bytes there. */
static const uint8_t fills[] = { 0x00, 0xff, 0x5a };
/* Identical repeats of a call: what differs between them is nondeterministic. */
#define REPEATS 3u

struct prober {
	struct hcf_target *t;
	const struct hcf_abi *abi;
	const struct hcf_learn_opts *o;
	struct hcf_learned *L;
	struct hcf_prog p;
	struct hcf_prog_result r;
	double t0;
	char *err;
	size_t errlen;
	hcf_regmask_t fixed;         /* the number register and the ABI's magic ones */
	uint64_t values[MAX_VALUES]; /* the values tried, distinct (probe_values) */
	size_t nvalues;
	uint64_t high_bits;          /* set above 32 bits for the width probes */
};

static void add_value(struct prober *pr, uint64_t v)
{
	for (size_t k = 0; k < pr->nvalues; k++)
		if (pr->values[k] == v)
			return;
	if (pr->nvalues < MAX_VALUES)
		pr->values[pr->nvalues++] = v;
}

static void probe_values(struct prober *pr)
{
	static const unsigned widths[] = { 32, 64 };
	for (uint64_t v = 0; v < NSMALL; v++)
		add_value(pr, v);
	for (size_t w = 0; w < 2; w++)
		for (size_t c = 0; c < sizeof(probe_classes) / sizeof(probe_classes[0]); c++)
			add_value(pr, hcf_vclass_value(probe_classes[c], widths[w]));
	for (size_t k = 0; k < sizeof(extra_values) / sizeof(extra_values[0]); k++)
		add_value(pr, extra_values[k]);
	pr->high_bits = hcf_vclass_value(HCF_VC_UPPER_GARBAGE, 32) & ~0xffffffffull;
}

/* One probe's input: every register its sentinel, 0 or all ones (base); then
 * reg2 set to value2, and reg set to value or pointed at a buffer filled
 * with one byte (HCF_NGPR: none). */
struct probe_in {
	enum hcf_learn_base base;
	unsigned reg2;
	uint64_t value2;
	unsigned reg;
	uint64_t value;
	bool pointer;
	uint8_t fill;
};

/* Probing stops: the harness failed, or the budget is spent. */
enum { P_OK = 0, P_FAILED = -1, P_BUDGET = 1 };

static bool budget_left(struct prober *pr)
{
	const struct hcf_learn_opts *o = pr->o;
	if (hcf_interrupted() || (o->max_calls && pr->L->calls >= o->max_calls) ||
	    (o->max_seconds > 0 && hcf_now_s() - pr->t0 >= o->max_seconds)) {
		pr->L->budget_hit = true;
		pr->L->interrupted = hcf_interrupted();
		return false;
	}
	return true;
}

static void reduce_next(const struct hcf_call_result *cr, struct hcf_learn_answer *a)
{
	a->next_outcome = (uint8_t)cr->outcome;
	a->next_vector = cr->outcome == HCF_CO_EXCEPTION ? cr->vector : 0;
	a->next_lost = (uint8_t)(cr->outcome == HCF_CO_HANG ? HCF_LIVE_HANG :
				 cr->outcome == HCF_CO_GUEST_LOST ? cr->lost_why : 0);
}

static void reduce(const struct hcf_call_result *cr, struct hcf_learn_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->outcome = (uint8_t)cr->outcome;
	if (cr->outcome == HCF_CO_EXCEPTION)
		a->vector = cr->vector;
	if (cr->outcome == HCF_CO_GUEST_LOST || cr->outcome == HCF_CO_HANG)
		a->lost = (uint8_t)(cr->outcome == HCF_CO_HANG ? HCF_LIVE_HANG : cr->lost_why);
	if (cr->outcome != HCF_CO_RETURNED && cr->outcome != HCF_CO_EXCEPTION)
		return;
	for (unsigned g = 0; g < HCF_NGPR; g++)
		if (g != HCF_RSP && cr->before[g] != cr->after[g]) {
			a->changed |= HCF_REGBIT(g);
			a->after[g] = cr->after[g];
		}
}

/* Two answers alike, registers in `ignore` (nondeterministic ones, the
 * varied input itself) aside. */
static bool alike(const struct hcf_learn_answer *a, const struct hcf_learn_answer *b,
		  hcf_regmask_t ignore)
{
	if (a->outcome != b->outcome || a->vector != b->vector || a->lost != b->lost ||
	    a->next_outcome != b->next_outcome || a->next_vector != b->next_vector ||
	    a->next_lost != b->next_lost || ((a->changed ^ b->changed) & ~ignore))
		return false;
	for (unsigned g = 0; g < HCF_NGPR; g++)
		if ((a->changed & HCF_REGBIT(g) & ~ignore) && a->after[g] != b->after[g])
			return false;
	return true;
}

/* Run number nr once from the boot snapshot with input in. P_OK with the
 * answer (and, for a pointer probe, the buffer's bytes in pr->r), P_BUDGET
 * when the budget is spent, P_FAILED when the harness failed. */
static int run_probe(struct prober *pr, uint64_t nr, const struct probe_in *in,
		     struct hcf_learn_answer *a)
{
	if (!budget_left(pr))
		return P_BUDGET;
	hcf_prog_reset(&pr->p);
	int b = -1;
	if (in->pointer) {
		uint8_t init[PROBE_BUF];
		memset(init, in->fill, sizeof(init));
		b = hcf_prog_add_buf(&pr->p, PROBE_BUF, -1, HCF_DIR_INOUT, init);
	}
	struct hcf_pcall *c = hcf_prog_add_call(&pr->p, -1, nr);
	if (!c || (in->pointer && b < 0)) {
		snprintf(pr->err, pr->errlen, "cannot build the probe of number 0x%" PRIx64, nr);
		return P_FAILED;
	}
	for (unsigned g = 0; in->base != HCF_LEARN_SENTINELS && g < HCF_NGPR; g++)
		if (g != HCF_RSP && !(pr->fixed & HCF_REGBIT(g)))
			hcf_pcall_set(c, g, in->base == HCF_LEARN_ONES ? ~0ull : 0);
	if (in->reg2 < HCF_NGPR)
		hcf_pcall_set(c, in->reg2, in->value2);
	if (in->reg < HCF_NGPR) {
		if (in->pointer)
			hcf_pcall_set_ref(c, in->reg, b, PROBE_AT);
		else
			hcf_pcall_set(c, in->reg, in->value);
	}
	/* the follow-up, every register its sentinel */
	if (pr->L->has_follow && !hcf_prog_add_call(&pr->p, -1, pr->L->follow_nr)) {
		snprintf(pr->err, pr->errlen, "cannot build the probe of number 0x%" PRIx64, nr);
		return P_FAILED;
	}
	/* every probe starts from the boot snapshot: a number that reconfigured
	 * the guest must not colour the next one's answer */
	if (pr->t->ops->reset(pr->t) != 0 || hcf_target_run(pr->t, &pr->p, &pr->r) != 0 ||
	    pr->r.ncalls < 1) {
		/* an interrupt stops the run it lands in: that probe is lost,
		 * what was learned before it is not */
		if (!budget_left(pr))
			return P_BUDGET;
		snprintf(pr->err, pr->errlen, "the target failed probing number 0x%" PRIx64 "%s%s",
			 nr, pr->r.detail[0] ? ": " : "", pr->r.detail);
		return P_FAILED;
	}
	pr->L->calls++;
	reduce(&pr->r.calls[0], a);
	if (pr->L->has_follow && pr->r.ncalls > 1)
		reduce_next(&pr->r.calls[1], a);
	return P_OK;
}

static void note_example(struct hcf_learn_example *e, const struct probe_in *in)
{
	if (!e->seen) {
		e->seen = true;
		e->base = (uint8_t)in->base;
		e->reg = in->pointer ? HCF_NGPR : in->reg;
		e->value = in->value;
	}
	e->count++;
}

/* A guest lost at the address one register held, and no other: handed
 * over there (with every register 0, or all ones, which one is not told). */
static void note_lost_rip(struct hcf_learn_call *c, const struct hcf_call_result *cr)
{
	if (!cr->has_lost_rip)
		return;
	c->lost_with_rip++;
	unsigned at = HCF_NGPR, n = 0;
	for (unsigned g = 0; g < HCF_NGPR; g++)
		if (g != HCF_RSP && cr->before[g] == cr->lost_rip && !n++)
			at = g;
	if (n != 1)
		return;
	if (!c->lost_at_reg[at]++)
		c->lost_at_first[at] = cr->lost_rip;
	else if (c->lost_at_first[at] != cr->lost_rip)
		c->lost_at_two[at] = true;
}

/* What every probe of a call says regardless of why it was made; cr is
 * the call's result when it is at hand (NULL for the scan's, whose
 * results are gone: its answer is all there is). */
static void note(struct prober *pr, struct hcf_learn_call *c, const struct probe_in *in,
		 const struct hcf_learn_answer *a, const struct hcf_call_result *cr)
{
	c->probes++;
	if (a->outcome == HCF_CO_EXCEPTION && a->vector < 32)
		note_example(&c->exc[a->vector], in);
	if (a->outcome == HCF_CO_GUEST_LOST || a->outcome == HCF_CO_HANG) {
		note_example(&c->lost[a->lost < HCF_LIVE_COUNT ? a->lost : 0], in);
		if (cr)
			note_lost_rip(c, cr);
	}
	if (a->outcome != HCF_CO_RETURNED)
		return;
	/* the follow-up ended otherwise than in a guest as booted */
	if (pr->L->has_follow && a->next_outcome != HCF_CO_NOT_RUN) {
		const struct hcf_learn_answer *f = &pr->L->follow_alone;
		c->followed++;
		if (a->next_outcome != f->outcome || a->next_vector != f->vector ||
		    a->next_lost != f->lost)
			note_example(&c->later[a->next_lost < HCF_LIVE_COUNT ? a->next_lost : 0], in);
	}
	c->returned++;
	c->changed_any |= a->changed;
	for (unsigned g = 0; g < HCF_NGPR; g++)
		if (a->changed & HCF_REGBIT(g))
			c->changed_count[g]++;
	unsigned rr = pr->L->ret_reg;
	if (rr >= HCF_NGPR)
		return;
	if (!(a->changed & HCF_REGBIT(rr))) {
		c->ret_kept++;
		return;
	}
	uint64_t v = a->after[rr];
	for (size_t k = 0; k < c->nvalues; k++)
		if (c->values[k].v == v) {
			c->values[k].count++;
			return;
		}
	if (c->nvalues < HCF_LEARN_MAX_VALUES)
		c->values[c->nvalues++] = (struct hcf_learn_value){ v, 1 };
	else
		c->values_overflow = true;
}

/* Probe and note: the answer in *a. */
static int probe(struct prober *pr, struct hcf_learn_call *c, const struct probe_in *in,
		 struct hcf_learn_answer *a)
{
	int rc = run_probe(pr, c->nr, in, a);
	if (rc == P_OK)
		note(pr, c, in, a, &pr->r.calls[0]);
	return rc;
}

/* The span of the pointed buffer's image (guards included: a write that
 * rounds the address down lands there) that differs from what was put
 * there, relative to the pointer, and relative to the start of the page the
 * pointer is in (*in_page false when it reaches past that page); false when
 * nothing changed. */
static bool written_span(const struct hcf_prog_result *r, uint8_t fill, int64_t *lo, int64_t *hi,
			 int64_t *plo, int64_t *phi, bool *in_page)
{
	if (r->nbufs < 1 || !r->bufs[0].valid)
		return false;
	const struct hcf_buf_after *ba = &r->bufs[0];
	int64_t first = -1, last = -1;
	for (uint32_t i = 0; i < ba->size + 2 * HCF_BUF_GUARD && i < ba->cap; i++) {
		bool guard = i < HCF_BUF_GUARD || i >= HCF_BUF_GUARD + ba->size;
		if (ba->bytes[i] != (guard ? r->guard_byte : fill)) {
			if (first < 0)
				first = i;
			last = i;
		}
	}
	if (first < 0)
		return false;
	*lo = first - (int64_t)HCF_BUF_GUARD - PROBE_AT;
	*hi = last + 1 - (int64_t)HCF_BUF_GUARD - PROBE_AT;
	uint64_t ptr = ba->gva + PROBE_AT;
	*plo = (int64_t)(ptr & 0xfff) + *lo;
	*phi = (int64_t)(ptr & 0xfff) + *hi;
	*in_page = *plo >= 0 && *phi <= 4096;
	return true;
}

static void keep_pair_value(struct hcf_learn_reg *lr, uint64_t v)
{
	for (size_t k = 0; k < lr->npair_values; k++)
		if (lr->pair_values[k] == v)
			return;
	if (lr->npair_values < HCF_LEARN_PAIR_VALUES)
		lr->pair_values[lr->npair_values++] = v;
}

/* Did input in change the answer from ref? A difference is confirmed by
 * running the probe again: one that does not repeat is noise (a hang of a
 * loaded machine, a nondeterministic register), counted in c->noise. */
static int differs(struct prober *pr, struct hcf_learn_call *c, const struct probe_in *in,
		   const struct hcf_learn_answer *a, const struct hcf_learn_answer *ref,
		   hcf_regmask_t ignore, bool *yes)
{
	*yes = false;
	if (alike(a, ref, ignore))
		return P_OK;
	struct hcf_learn_answer again;
	int rc = probe(pr, c, in, &again);
	if (rc != P_OK)
		return rc;
	if (alike(&again, a, ignore))
		*yes = true;
	else
		c->noise++;
	return P_OK;
}

/* Register g through the value classes from base, whose answer is ref:
 * counts into lr (small: distinct answers among 0..7 too). */
static int sweep(struct prober *pr, struct hcf_learn_call *c, const struct probe_in *base,
		 const struct hcf_learn_answer *ref, unsigned g, bool small)
{
	struct hcf_learn_reg *lr = &c->regs[g];
	struct hcf_learn_answer a, seen[NSMALL];
	unsigned nseen = 0;
	for (size_t k = 0; k < pr->nvalues; k++) {
		struct probe_in in = *base;
		in.reg = g;
		in.value = pr->values[k];
		int rc = probe(pr, c, &in, &a);
		if (rc != P_OK)
			return rc;
		lr->tried++;
		bool yes;
		if ((rc = differs(pr, c, &in, &a, ref, c->nondet, &yes)) != P_OK)
			return rc;
		if (yes) {
			if (!lr->differed++)
				lr->differed_example = pr->values[k];
			keep_pair_value(lr, pr->values[k]);
		}
		if (small && k < NSMALL) {
			bool dup = false;
			for (unsigned j = 0; j < nseen && !dup; j++)
				dup = alike(&seen[j], &a, c->nondet);
			if (!dup)
				seen[nseen++] = a;
		}
	}
	if (small)
		lr->small_answers = nseen;
	return P_OK;
}

/* Bits 63..32 of register g set on top of small values, from base (whose
 * answer is ref): alike answers when only the low half is read. A pair
 * where neither value changed the answer from ref says nothing (the
 * register does not matter there) and is not counted. */
static int width(struct prober *pr, struct hcf_learn_call *c, const struct probe_in *base,
		 const struct hcf_learn_answer *ref, unsigned g)
{
	struct hcf_learn_reg *lr = &c->regs[g];
	/* an output that echoes its input is no difference in what was read */
	hcf_regmask_t ign = c->nondet | HCF_REGBIT(g);
	for (size_t k = 0; k < sizeof(width_values) / sizeof(width_values[0]); k++) {
		struct hcf_learn_answer lo_a, a;
		struct probe_in in = *base;
		in.reg = g;
		in.value = width_values[k];
		int rc = probe(pr, c, &in, &lo_a);
		if (rc == P_OK) {
			in.value |= pr->high_bits;
			rc = probe(pr, c, &in, &a);
		}
		if (rc != P_OK)
			return rc;
		if (alike(&lo_a, ref, ign) && alike(&a, ref, ign))
			continue;
		lr->high_tried++;
		if (alike(&a, &lo_a, ign))
			lr->high_alike++;
	}
	return P_OK;
}

/* Register g pointed at a buffer of each fill: bytes written, bytes read. */
static int pointed(struct prober *pr, struct hcf_learn_call *c, unsigned g)
{
	struct hcf_learn_reg *lr = &c->regs[g];
	struct hcf_learn_answer first, a;
	for (size_t k = 0; k < sizeof(fills); k++) {
		struct probe_in in = { .reg2 = HCF_NGPR, .reg = g, .pointer = true, .fill = fills[k] };
		int rc = probe(pr, c, &in, &a);
		if (rc != P_OK)
			return rc;
		lr->pointed++;
		if (k == 0)
			first = a;
		else if (!alike(&a, &first, c->nondet | HCF_REGBIT(g)))
			lr->reads = true; /* the pointer itself is in g: left out */
		int64_t lo, hi, plo, phi;
		bool in_page;
		if (a.outcome == HCF_CO_RETURNED &&
		    written_span(&pr->r, fills[k], &lo, &hi, &plo, &phi, &in_page)) {
			if (!lr->wrote || lo < lr->write_lo)
				lr->write_lo = lo;
			if (!lr->wrote || hi > lr->write_hi)
				lr->write_hi = hi;
			lr->page_known = (lr->wrote ? lr->page_known : true) && in_page;
			if (!lr->wrote || plo < lr->page_lo)
				lr->page_lo = plo;
			if (!lr->wrote || phi > lr->page_hi)
				lr->page_hi = phi;
			lr->wrote = true;
			lr->write_count++;
		}
	}
	return P_OK;
}

/* Another register varied while input a holds a value that mattered: an
 * input whose effect shows only then (wrmsr's value, for an MSR that
 * takes it). */
static int pairs(struct prober *pr, struct hcf_learn_call *c, unsigned a_reg)
{
	const struct hcf_learn_reg *la = &c->regs[a_reg];
	for (size_t v = 0; v < la->npair_values; v++) {
		struct probe_in base = { .reg2 = a_reg, .value2 = la->pair_values[v], .reg = HCF_NGPR };
		struct hcf_learn_answer ref, a;
		int rc = probe(pr, c, &base, &ref);
		if (rc != P_OK)
			return rc;
		for (unsigned g = 0; g < HCF_NGPR; g++) {
			struct hcf_learn_reg *lr = &c->regs[g];
			if (g == a_reg || g == HCF_RSP || (pr->fixed & HCF_REGBIT(g)))
				continue;
			for (size_t k = 0; k < pr->nvalues; k++) {
				struct probe_in in = base;
				in.reg = g;
				in.value = pr->values[k];
				if ((rc = probe(pr, c, &in, &a)) != P_OK)
					return rc;
				lr->pair_tried++;
				bool yes;
				if ((rc = differs(pr, c, &in, &a, &ref, c->nondet | HCF_REGBIT(a_reg),
						  &yes)) != P_OK)
					return rc;
				if (!yes)
					continue;
				if (!lr->pair_differed++) {
					lr->pair_reg = a_reg;
					lr->pair_with = la->pair_values[v];
					lr->pair_example = pr->values[k];
				}
			}
		}
	}
	return P_OK;
}

/* Probe call c deeper: repeats, each input register through the value
 * classes from three bases (sentinels, zeros, ones), its width, pointed at a
 * buffer, and varied beside each input that mattered. P_OK (c->complete),
 * P_BUDGET or P_FAILED. */
static int probe_call(struct prober *pr, struct hcf_learn_call *c)
{
	struct hcf_learn_answer a, ref, zero_ref, ones_ref;
	struct probe_in sentinels = { .reg2 = HCF_NGPR, .reg = HCF_NGPR };
	struct probe_in zeros = { .base = HCF_LEARN_ZEROS, .reg2 = HCF_NGPR, .reg = HCF_NGPR };
	struct probe_in ones = { .base = HCF_LEARN_ONES, .reg2 = HCF_NGPR, .reg = HCF_NGPR };
	int rc;

	/* the scan's call again, with the follow-up (the reference), then
	 * identical repeats */
	if ((rc = probe(pr, c, &sentinels, &ref)) != P_OK)
		return rc;
	for (unsigned k = 0; k < REPEATS; k++) {
		if ((rc = probe(pr, c, &sentinels, &a)) != P_OK)
			return rc;
		c->repeats++;
		if (alike(&a, &ref, 0)) {
			c->repeats_alike++;
			continue;
		}
		for (unsigned g = 0; g < HCF_NGPR; g++)
			if (((a.changed ^ ref.changed) & HCF_REGBIT(g)) ||
			    ((a.changed & HCF_REGBIT(g)) && a.after[g] != ref.after[g]))
				c->nondet |= HCF_REGBIT(g);
	}
	if ((rc = probe(pr, c, &zeros, &zero_ref)) != P_OK ||
	    (rc = probe(pr, c, &ones, &ones_ref)) != P_OK)
		return rc;
	for (unsigned g = 0; g < HCF_NGPR; g++) {
		if (g == HCF_RSP || (pr->fixed & HCF_REGBIT(g)))
			continue;
		if ((rc = sweep(pr, c, &sentinels, &ref, g, true)) != P_OK ||
		    (rc = sweep(pr, c, &zeros, &zero_ref, g, false)) != P_OK ||
		    (rc = sweep(pr, c, &ones, &ones_ref, g, false)) != P_OK ||
		    (rc = width(pr, c, &sentinels, &ref, g)) != P_OK ||
		    (rc = width(pr, c, &zeros, &zero_ref, g)) != P_OK || (rc = pointed(pr, c, g)) != P_OK)
			return rc;
	}
	for (unsigned g = 0; g < HCF_NGPR; g++)
		if (c->regs[g].differed && (rc = pairs(pr, c, g)) != P_OK)
			return rc;
	c->complete = true;
	return P_OK;
}

/* ---- the scan ------------------------------------------------------------ */

struct answer_count {
	struct hcf_learn_answer a;
	uint64_t n;
};

static uint64_t range_size(const struct hcf_learn_opts *o)
{
	uint64_t n = 0;
	for (size_t i = 0; i < o->nranges; i++)
		n += o->ranges[i].hi - o->ranges[i].lo + 1;
	return n;
}

/* The scan so far: every number's answer, the distinct answers counted. */
struct scan {
	uint64_t total;                /* numbers in the ranges, for the status line */
	uint64_t *nrs;
	struct hcf_learn_answer *ans;
	size_t n, cap;
	struct answer_count *kinds;
	size_t nkinds, capk;
	uint64_t *extra;               /* numbers scanned around the calls */
	size_t nextra, capx;
};

static int scan_number(struct prober *pr, struct scan *st, uint64_t nr)
{
	struct hcf_learn_answer a;
	struct probe_in none = { .reg2 = HCF_NGPR, .reg = HCF_NGPR };
	int rc = run_probe(pr, nr, &none, &a);
	if (rc != P_OK)
		return rc;
	struct hcf_learned *L = pr->L;
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 1024;
		st->nrs = hcf_xreallocarray(st->nrs, st->cap, sizeof(*st->nrs));
		st->ans = hcf_xreallocarray(st->ans, st->cap, sizeof(*st->ans));
	}
	st->nrs[st->n] = nr;
	st->ans[st->n++] = a;
	L->probed++;
	L->scanned_to = nr;
	size_t k = 0;
	while (k < st->nkinds && !alike(&st->kinds[k].a, &a, 0))
		k++;
	if (k == st->nkinds) {
		if (st->nkinds == st->capk) {
			st->capk = st->capk ? st->capk * 2 : 16;
			st->kinds = hcf_xreallocarray(st->kinds, st->capk, sizeof(*st->kinds));
		}
		st->kinds[st->nkinds++] = (struct answer_count){ a, 0 };
	}
	st->kinds[k].n++;
	if (!pr->o->quiet)
		hcf_status("learn: scan %" PRIu64 "/%" PRIu64 " numbers (0x%" PRIx64 "), %zu distinct "
			   "answers, %" PRIu64 " calls, %.0f s",
			   L->probed, st->total, nr, st->nkinds, L->calls, hcf_now_s() - pr->t0);
	return P_OK;
}

/* Was nr scanned: in a range (pass 1 ran them all unless the budget cut
 * it, and then nothing is scanned around), or around a call? Around-scans
 * are few (the calls times twice --around): a list does. */
static bool scanned_before(struct scan *st, const struct hcf_learn_opts *o, uint64_t nr)
{
	for (size_t i = 0; i < o->nranges; i++)
		if (nr >= o->ranges[i].lo && nr <= o->ranges[i].hi)
			return true;
	for (size_t i = 0; i < st->nextra; i++)
		if (st->extra[i] == nr)
			return true;
	if (st->nextra == st->capx) {
		st->capx = st->capx ? st->capx * 2 : 64;
		st->extra = hcf_xreallocarray(st->extra, st->capx, sizeof(*st->extra));
	}
	st->extra[st->nextra++] = nr; /* about to be */
	return false;
}

static int by_number(const void *a, const void *b)
{
	uint64_t x = ((const struct hcf_learn_call *)a)->nr, y = ((const struct hcf_learn_call *)b)->nr;
	return x < y ? -1 : x > y;
}

/* The default answer: the one most numbers gave. */
static void default_answer(struct hcf_learned *L, const struct scan *st)
{
	L->def_count = 0;
	for (size_t k = 0; k < st->nkinds; k++)
		if (st->kinds[k].n > L->def_count) {
			L->def = st->kinds[k].a;
			L->def_count = st->kinds[k].n;
		}
}

int hcf_learn_probe(struct hcf_target *t, const struct hcf_abi *abi,
		    const struct hcf_learn_opts *opts, struct hcf_learned *L, char *err,
		    size_t errlen)
{
	memset(L, 0, sizeof(*L));
	memcpy(L->ranges, opts->ranges, sizeof(L->ranges));
	L->nranges = opts->nranges;
	struct prober pr = { .t = t, .abi = abi, .o = opts, .L = L, .err = err, .errlen = errlen };
	pr.t0 = hcf_now_s();
	probe_values(&pr);
	const struct hcf_target_info *ti = t->ops->info(t);
	snprintf(L->target, sizeof(L->target), "%s", ti->target);
	snprintf(L->hypervisor, sizeof(L->hypervisor), "%s", ti->hypervisor);
	L->nr_reg = hcf_prog_nr_reg(abi);
	L->ret_reg = HCF_REG_NONE;
	uint64_t magic[HCF_NGPR];
	pr.fixed = hcf_prog_magic(abi, magic);
	if (L->nr_reg < HCF_NGPR)
		pr.fixed |= HCF_REGBIT(L->nr_reg);
	hcf_prog_init(&pr.p, abi);
	hcf_result_init(&pr.r, 1);

	/* 1. every number of the ranges once, then around each that answers
	 * otherwise */
	struct scan st = { .total = range_size(opts) };
	int rc = 0, prc = P_OK;
	for (size_t ri = 0; ri < opts->nranges && prc == P_OK; ri++)
		for (uint64_t nr = opts->ranges[ri].lo; prc == P_OK; nr++) {
			prc = scan_number(&pr, &st, nr);
			if (prc == P_OK) {
				L->range_reached = ri;
				L->range_last = nr;
			}
			if (nr == opts->ranges[ri].hi)
				break;
		}
	L->ranges_done = prc == P_OK;
	default_answer(L, &st);
	for (size_t i = 0; i < st.n && opts->around && prc == P_OK; i++) {
		if (L->def_count && alike(&st.ans[i], &L->def, 0))
			continue;
		for (uint64_t d = 1; d <= opts->around && prc == P_OK; d++) {
			uint64_t nr = st.nrs[i];
			if (nr >= d && !scanned_before(&st, opts, nr - d))
				prc = scan_number(&pr, &st, nr - d);
			if (prc == P_OK && nr + d > nr && !scanned_before(&st, opts, nr + d))
				prc = scan_number(&pr, &st, nr + d);
		}
	}
	if (prc == P_FAILED) {
		rc = -1;
		goto out;
	}
	/* the default over every number scanned, neighbours included */
	default_answer(L, &st);
	for (size_t i = 0; i < st.n; i++)
		if (alike(&st.ans[i], &L->def, 0)) {
			L->def_nr = st.nrs[i]; /* a harmless number, for the follow-up */
			break;
		}
	struct probe_in none_in = { .reg2 = HCF_NGPR, .reg = HCF_NGPR };
	/* the return register: the one register the default answer changes
	 * (none changed, or several: the draft says so and names none) */
	if (L->def_count && L->def.outcome == HCF_CO_RETURNED &&
	    __builtin_popcount(L->def.changed) == 1)
		L->ret_reg = (unsigned)__builtin_ctz(L->def.changed);
	struct hcf_learn_answer *scan = st.ans;
	uint64_t *nrs = st.nrs;

	/* the calls: numbers that answered otherwise */
	for (uint64_t i = 0; i < st.n; i++) {
		if (L->def_count && alike(&scan[i], &L->def, 0))
			continue;
		L->calls_found = hcf_xreallocarray(L->calls_found, L->ncalls_found + 1,
						   sizeof(*L->calls_found));
		struct hcf_learn_call *c = &L->calls_found[L->ncalls_found++];
		memset(c, 0, sizeof(*c));
		c->nr = nrs[i];
		c->scan = scan[i];
		/* the scan's probe counts as evidence too (no follow-up ran) */
		note(&pr, c, &none_in, &scan[i], NULL);
	}

	/* in number order, whatever order the scan found them in */
	if (L->ncalls_found > 1)
		qsort(L->calls_found, L->ncalls_found, sizeof(*L->calls_found), by_number);
	/* the follow-up: the first number that raised an exception, as the
	 * second call of a program after a harmless first one (how it ends
	 * in a guest as booted) */
	for (size_t i = 0; i < L->ncalls_found && !L->has_follow; i++) {
		if (L->calls_found[i].scan.outcome != HCF_CO_EXCEPTION)
			continue;
		struct hcf_learn_answer alone;
		L->follow_nr = L->calls_found[i].nr;
		L->has_follow = true;
		int frc = run_probe(&pr, L->def_nr, &none_in, &alone);
		if (frc == P_FAILED) {
			rc = -1;
			goto out;
		}
		if (frc != P_OK || alone.next_outcome != HCF_CO_EXCEPTION) {
			L->has_follow = false; /* not one that raises after a harmless call */
			continue;
		}
		L->follow_alone.outcome = alone.next_outcome;
		L->follow_alone.vector = alone.next_vector;
		L->follow_alone.lost = alone.next_lost;
	}

	/* 2. each call, deeper */
	for (size_t i = 0; i < L->ncalls_found; i++) {
		if (!budget_left(&pr))
			break;
		if (!opts->quiet)
			hcf_status("learn: probing call %zu/%zu (0x%" PRIx64 "), %" PRIu64
				   " calls, %.0f s",
				   i + 1, L->ncalls_found, L->calls_found[i].nr, L->calls,
				   hcf_now_s() - pr.t0);
		if (probe_call(&pr, &L->calls_found[i]) == P_FAILED) {
			rc = -1;
			goto out;
		}
		if (L->calls_found[i].complete)
			L->ndeep_done++;
	}
out:
	if (!opts->quiet)
		hcf_status_done();
	L->seconds = hcf_now_s() - pr.t0;
	free(st.kinds);
	free(st.ans);
	free(st.nrs);
	free(st.extra);
	hcf_prog_free(&pr.p);
	hcf_result_free(&pr.r);
	return rc;
}

void hcf_learned_free(struct hcf_learned *L)
{
	free(L->calls_found);
	L->calls_found = NULL;
	L->ncalls_found = 0;
}

/* ---- inputs ---------------------------------------------------------------- */

char *hcf_learn_seed_spec(const char *transport, const char *nr_reg)
{
	/* The loader wants one call at least: a placeholder that is destructive
	 * like every undeclared number, never issued by its name. */
	const char *fmt =
		"hcfuzz_spec: 1\n"
		"abi: learn\n"
		"description: \"the probing ABI of hcfuzz learn: no number known yet\"\n"
		"transport: %s\n"
		"%s%s%s"
		"undeclared: {destructive: \"learn probes numbers that may reconfigure the guest\"}\n"
		"calls:\n"
		"  - {name: learn_placeholder, nr: 0, destructive: \"as every number\"}\n";
	size_t n = strlen(fmt) + strlen(transport) + (nr_reg ? strlen(nr_reg) : 0) + 64;
	char *s = hcf_xmalloc(n);
	snprintf(s, n, fmt, transport, nr_reg ? "call_number: {reg: " : "", nr_reg ? nr_reg : "",
		 nr_reg ? "}\n" : "");
	return s;
}

int hcf_learn_parse_ranges(const char *s, struct hcf_learn_opts *opts, char *err, size_t errlen)
{
	opts->nranges = 0;
	const char *p = s;
	while (*p) {
		char *end;
		if (opts->nranges == HCF_LEARN_MAX_RANGES) {
			snprintf(err, errlen, "more than %d ranges in '%s'", HCF_LEARN_MAX_RANGES, s);
			return -1;
		}
		struct hcf_learn_range *r = &opts->ranges[opts->nranges];
		if (*p < '0' || *p > '9')
			goto bad;
		r->lo = strtoull(p, &end, 0);
		r->hi = r->lo;
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				goto bad;
			r->hi = strtoull(p, &end, 0);
			p = end;
		}
		if (r->hi < r->lo) {
			snprintf(err, errlen, "range 0x%" PRIx64 "-0x%" PRIx64 " ends before it starts",
				 r->lo, r->hi);
			return -1;
		}
		opts->nranges++;
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
	}
	if (!opts->nranges) {
		snprintf(err, errlen, "no number range given");
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad number range at '%s' in '%s' (LO-HI[,LO-HI...], e.g. 0x0-0x2000)",
		 p, s);
	return -1;
}
