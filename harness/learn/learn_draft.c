/* learn_draft.c: what `hcfuzz learn` observed, written as a draft spec with its evidence, and compared with a spec. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "learn/learn.h"
#include "spec/transport.h"
#include "target/result.h"
#include "util/liveness.h"
#include "util/x86.h"

/* How sure a fact is, from how many probes showed it of how many could. */
static const char *confidence(unsigned seen, unsigned of)
{
	if (!of || seen * 4 < of)
		return "low confidence";
	return seen * 4 < of * 3 ? "medium confidence" : "high confidence";
}

/* A value as a spec writes it: small negatives signed. */
static void fmt_value(char *buf, size_t len, uint64_t v)
{
	int64_t s = (int64_t)v;
	if (s < 0 && s > -0x10000)
		snprintf(buf, len, "%" PRId64, s);
	else
		snprintf(buf, len, "0x%" PRIx64, v);
}

/* Is v an error code under negative_errno (-1 .. -4095)? */
static bool errno_like(uint64_t v)
{
	int64_t s = (int64_t)v;
	return s < 0 && s >= -4095;
}

static bool negative_errno(const struct hcf_learned *L)
{
	return L->ret_reg < HCF_NGPR && (L->def.changed & HCF_REGBIT(L->ret_reg)) &&
	       errno_like(L->def.after[L->ret_reg]);
}

/* The answer as words: "returned: rax = -38, every other register kept". */
static void fmt_answer(char *buf, size_t len, const struct hcf_learn_answer *a)
{
	size_t n = 0;
	switch (a->outcome) {
	case HCF_CO_RETURNED:
		n = (size_t)snprintf(buf, len, "returned");
		break;
	case HCF_CO_EXCEPTION:
		n = (size_t)snprintf(buf, len, "raised %s (vector %u)",
				     hcf_x86_exc_mnemonic(a->vector) ? hcf_x86_exc_mnemonic(a->vector) : "an exception",
				     a->vector);
		break;
	case HCF_CO_GUEST_LOST:
	case HCF_CO_HANG:
		snprintf(buf, len, "the guest was lost (%s)", hcf_liveness_name((enum hcf_liveness)a->lost));
		return;
	default:
		snprintf(buf, len, "%s", hcf_call_outcome_name((enum hcf_call_outcome)a->outcome));
		return;
	}
	for (unsigned g = 0; g < HCF_NGPR && n < len; g++)
		if (a->changed & HCF_REGBIT(g)) {
			char v[32];
			fmt_value(v, sizeof(v), a->after[g]);
			n += (size_t)snprintf(buf + n, len - n, ", %s = %s", hcf_reg_name(g), v);
		}
	if (n < len)
		snprintf(buf + n, len - n, "%s", a->changed ? ", every other register kept" :
							      ", every register kept");
}

/* The input of an example: "rbx = 0x1000, every other register 0". */
static void fmt_example(char *buf, size_t len, const struct hcf_learn_example *e)
{
	static const char *const bases[HCF_LEARN_NBASES] = {
		[HCF_LEARN_SENTINELS] = "its sentinel",
		[HCF_LEARN_ZEROS] = "0",
		[HCF_LEARN_ONES] = "all ones",
	};
	const char *base = e->base < HCF_LEARN_NBASES ? bases[e->base] : "?";
	if (e->reg < HCF_NGPR)
		snprintf(buf, len, "%s = 0x%" PRIx64 ", every other register %s", hcf_reg_name(e->reg),
			 e->value, base);
	else
		snprintf(buf, len, "every register %s", base);
}

/* An input a call reacts to: varying it changed the answer, or the
 * hypervisor wrote or read memory through it. */
static bool is_input(const struct hcf_learn_reg *lr)
{
	return lr->differed || lr->pair_differed || lr->wrote || lr->reads;
}

/* A pointer input: the hypervisor wrote through it, or its bytes mattered. */
static bool is_pointer(const struct hcf_learn_reg *lr)
{
	return lr->wrote || lr->reads;
}

/* The struct a pointer input's observations make: the bytes written from
 * the pointer (an out field), or, read only, 8 bytes in. */
static void write_struct(FILE *f, const struct hcf_learn_call *c, unsigned g)
{
	const struct hcf_learn_reg *lr = &c->regs[g];
	fprintf(f, "  learned_%" PRIx64 "_%s:\n", c->nr, hcf_reg_name(g));
	if (lr->wrote && lr->write_lo >= 0) {
		int64_t size = lr->write_hi > 8 ? lr->write_hi : 8;
		fprintf(f, "    size: %" PRId64 "\n", size);
		fprintf(f, "    doc: \"bytes %" PRId64 "..%" PRId64 " from the pointer written in %u of %u "
			   "probes pointing there (%s); their layout is not learned\"\n",
			lr->write_lo, lr->write_hi - 1, lr->write_count, lr->pointed,
			confidence(lr->write_count, lr->pointed));
		fprintf(f, "    fields:\n");
		if (lr->write_lo > 0)
			fprintf(f, "      head: {offset: 0, size: %" PRId64 ", dir: in}\n", lr->write_lo);
		fprintf(f, "      written: {offset: %" PRId64 ", size: %" PRId64 ", dir: out}\n",
			lr->write_lo, lr->write_hi - lr->write_lo);
		if (size > lr->write_hi)
			fprintf(f, "      tail: {offset: %" PRId64 ", size: %" PRId64 ", dir: in}\n",
				lr->write_hi, size - lr->write_hi);
	} else if (lr->wrote && lr->page_known) {
		/* below the pointer, in its page: the address rounded down */
		fprintf(f, "    size: %" PRId64 "\n    align_down: 4096\n", lr->page_hi);
		fprintf(f, "    doc: \"written at bytes %" PRId64 "..%" PRId64 " of the page the pointer "
			   "is in, below the pointer, in %u of %u probes: keep align_down only if the "
			   "ABI defines that rounding, else it is a known anomaly (docs/spec-format.md, "
			   "align_down)\"\n",
			lr->page_lo, lr->page_hi - 1, lr->write_count, lr->pointed);
		fprintf(f, "    fields:\n");
		if (lr->page_lo > 0)
			fprintf(f, "      head: {offset: 0, size: %" PRId64 ", dir: in}\n", lr->page_lo);
		fprintf(f, "      written: {offset: %" PRId64 ", size: %" PRId64 ", dir: out}\n",
			lr->page_lo, lr->page_hi - lr->page_lo);
	} else {
		fprintf(f, "    size: 8\n");
		fprintf(f, "    doc: \"%s; how many bytes it reads is not learned (low confidence)\"\n",
			lr->wrote ? "written below the pointer, past its page (see the call's comment)" :
				    "the answer depended on the bytes at the pointer");
		fprintf(f, "    fields:\n      data: {offset: 0, size: 8, dir: in}\n");
	}
}

static void write_call(FILE *f, const struct hcf_learned *L, const struct hcf_learn_call *c,
		       const struct hcf_abi *base)
{
	char buf[512];
	const struct hcf_call *bc = NULL;
	for (size_t i = 0; base && i < base->ncalls && !bc; i++)
		if (base->calls[i].nr == c->nr)
			bc = &base->calls[i];
	fmt_answer(buf, sizeof(buf), &c->scan);
	fprintf(f, "\n  # 0x%" PRIx64 " answers unlike an unknown number: %s (every input its "
		   "sentinel).\n", c->nr, buf);
	fprintf(f, "  # %u probes%s%s.\n", c->probes,
		c->noise ? "; answers that did not repeat when probed again were left out as noise" : "",
		c->complete ? "" : "; the budget ran out before every probe of it ran: what is "
				   "below is partial");
	if (bc)
		fprintf(f, "  - name: %s   # the name the base spec gives 0x%" PRIx64 "\n", bc->name, c->nr);
	else
		fprintf(f, "  - name: nr_0x%" PRIx64 "\n", c->nr);
	fprintf(f, "    nr: 0x%" PRIx64 "\n", c->nr);

	/* inputs */
	bool any = false;
	for (unsigned g = 0; g < HCF_NGPR; g++) {
		const struct hcf_learn_reg *lr = &c->regs[g];
		if (!is_input(lr))
			continue;
		if (!any++)
			fprintf(f, "    input:\n");
		/* a width says something only of a register that matters alone */
		bool w32 = lr->differed && lr->high_tried && lr->high_alike == lr->high_tried;
		fprintf(f, "      a_%s: {reg: %s%s", hcf_reg_name(g), hcf_reg_name(g), w32 ? ", width: 32" : "");
		if (is_pointer(lr))
			fprintf(f, ", pointer: learned_%" PRIx64 "_%s", c->nr, hcf_reg_name(g));
		fprintf(f, "}\n");
		if (lr->differed) {
			char v[32];
			fmt_value(v, sizeof(v), lr->differed_example);
			fprintf(f, "        # %u of %u values changed the answer (e.g. %s), every other "
				   "register its sentinel, 0 or all ones: %s\n",
				lr->differed, lr->tried, v, confidence(lr->differed, lr->tried));
		}
		if (lr->pair_differed) {
			char v[32], w[32];
			fmt_value(v, sizeof(v), lr->pair_example);
			fmt_value(w, sizeof(w), lr->pair_with);
			fprintf(f, "        # with another input set, %u of %u values changed the answer "
				   "(e.g. %s with %s = %s): %s\n",
				lr->pair_differed, lr->pair_tried, v, hcf_reg_name(lr->pair_reg), w,
				confidence(lr->pair_differed, lr->pair_tried));
		}
		if (w32)
			fprintf(f, "        # only bits 31..0 matter: %u of %u values answered alike with "
				   "bits 63..32 set (%s)\n",
				lr->high_alike, lr->high_tried, confidence(lr->high_alike, lr->high_tried));
		if (lr->small_answers >= 3)
			fprintf(f, "        # %u distinct answers among the values 0..7: a sub-operation "
				   "selector? (low confidence; subops: are not drafted)\n",
				lr->small_answers);
		if (lr->wrote)
			fprintf(f, "        # pointed at a buffer, the hypervisor wrote bytes %" PRId64
				   "..%" PRId64 " from the pointer in %u of %u probes\n",
				lr->write_lo, lr->write_hi - 1, lr->write_count, lr->pointed);
		if (lr->reads)
			fprintf(f, "        # the answer depended on the bytes it points at (buffers of "
				   "0x00, 0xff and 0x5a): the hypervisor reads them\n");
	}

	/* outputs and clobbers: registers a returned probe changed, besides
	 * the return register; garbage where identical calls disagree */
	hcf_regmask_t outs = c->changed_any, clob = 0;
	if (L->ret_reg < HCF_NGPR)
		outs &= (hcf_regmask_t)~HCF_REGBIT(L->ret_reg);
	clob = outs & c->nondet;
	outs &= (hcf_regmask_t)~clob;
	any = false;
	for (unsigned g = 0; g < HCF_NGPR; g++) {
		if (!(outs & HCF_REGBIT(g)))
			continue;
		if (!any++)
			fprintf(f, "    output:\n");
		fprintf(f, "      r_%s: {reg: %s}   # changed in %u of %u returned probes, alike in "
			   "identical calls (%s)\n",
			hcf_reg_name(g), hcf_reg_name(g), c->changed_count[g], c->returned,
			confidence(c->changed_count[g], c->returned));
	}
	if (clob) {
		fprintf(f, "    clobbers: [");
		bool first = true;
		for (unsigned g = 0; g < HCF_NGPR; g++)
			if (clob & HCF_REGBIT(g)) {
				fprintf(f, "%s%s", first ? "" : ", ", hcf_reg_name(g));
				first = false;
			}
		fprintf(f, "]   # changed to values that differed between %u identical calls: garbage, or a "
			   "nondeterministic output (low confidence)\n", c->repeats + 1);
	}

	/* return values: errors under the ABI's convention, the rest success;
	 * a call that came back with the return register as it was returns
	 * nothing there */
	if (L->ret_reg < HCF_NGPR && !c->nvalues && c->ret_kept) {
		fprintf(f, "    return: none   # %s kept as it was in %u of %u returned probes\n"
			   "    error_convention: none\n",
			hcf_reg_name(L->ret_reg), c->ret_kept, c->returned);
	} else if (L->ret_reg < HCF_NGPR) {
		bool neg = negative_errno(L);
		char list[512] = "", errs[512] = "";
		size_t nl = 0, ne = 0;
		unsigned total = 0;
		for (size_t k = 0; k < c->nvalues; k++)
			total += c->values[k].count;
		for (size_t k = 0; k < c->nvalues; k++) {
			char v[32];
			uint64_t x = c->values[k].v;
			if (neg && errno_like(x)) {
				if (ne < sizeof(errs))
					ne += (size_t)snprintf(errs + ne, sizeof(errs) - ne, "%s%" PRId64,
							       ne ? ", " : "", -(int64_t)x);
			} else {
				fmt_value(v, sizeof(v), x);
				if (nl < sizeof(list))
					nl += (size_t)snprintf(list + nl, sizeof(list) - nl, "%s%s",
							       nl ? ", " : "", v);
			}
		}
		fprintf(f, "    returns: [%s]\n", list);
		if (neg)
			fprintf(f, "    errors: [%s]\n", errs);
		fprintf(f, "    # %s: %zu distinct value%s in %u returned probes, kept as it was in %u%s\n",
			hcf_reg_name(L->ret_reg), c->nvalues, c->nvalues == 1 ? "" : "s", total,
			c->ret_kept, c->values_overflow ? " (more values than kept: the list is "
							  "incomplete)" : "");
		for (size_t k = 0; k < c->nvalues && k < 8; k++) {
			char v[32];
			fmt_value(v, sizeof(v), c->values[k].v);
			fprintf(f, "    #   %s: %u\n", v, c->values[k].count);
		}
	}

	/* exceptions */
	any = false;
	for (unsigned v = 0; v < 32; v++) {
		if (!c->exc[v].seen)
			continue;
		const char *m = hcf_x86_exc_mnemonic(v);
		fprintf(f, "%s%s", any++ ? ", " : "    exceptions: [", m ? (m[0] == '#' ? m + 1 : m) : "?");
	}
	if (any) {
		fprintf(f, "]\n");
		for (unsigned v = 0; v < 32; v++)
			if (c->exc[v].seen) {
				char ex[128];
				fmt_example(ex, sizeof(ex), &c->exc[v]);
				fprintf(f, "    #   vector %u in %u probes, e.g. %s\n", v, c->exc[v].count, ex);
			}
	}

	/* lost guests: declarable ways as destructive ends, the rest a note */
	char ways[256] = "";
	size_t nw = 0;
	for (unsigned w = 0; w < HCF_LIVE_COUNT; w++) {
		const struct hcf_learn_example *e = &c->lost[w];
		if (!e->seen)
			continue;
		char ex[128];
		fmt_example(ex, sizeof(ex), e);
		fprintf(f, "    # the guest was lost (%s) in %u probes, e.g. %s\n",
			hcf_liveness_name((enum hcf_liveness)w), e->count, ex);
		if (hcf_liveness_declarable((enum hcf_liveness)w))
			nw += (size_t)snprintf(ways + nw, sizeof(ways) - nw, "%s%s", nw ? ", " : "",
					       hcf_liveness_name((enum hcf_liveness)w));
		else
			fprintf(f, "    #   (%s is always a verdict: no spec declares it)\n",
				hcf_liveness_name((enum hcf_liveness)w));
	}
	/* what the follow-up found of the guest after the call came back */
	bool changed_guest = false;
	for (unsigned w = 0; w < HCF_LIVE_COUNT; w++) {
		const struct hcf_learn_example *e = &c->later[w];
		if (!e->seen)
			continue;
		char ex[128];
		fmt_example(ex, sizeof(ex), e);
		fprintf(f, "    # after it came back, 0x%" PRIx64 " (which raises %s in a guest as booted) "
			   "%s%s%s in %u of %u probes, e.g. %s: it leaves the guest changed\n",
			L->follow_nr, hcf_x86_exc_mnemonic(L->follow_alone.vector) ?
			hcf_x86_exc_mnemonic(L->follow_alone.vector) : "an exception",
			w ? "lost the guest (" : "ended otherwise", w ? hcf_liveness_name((enum hcf_liveness)w) : "",
			w ? ")" : "", e->count, c->followed, ex);
		changed_guest = true;
		if (w && hcf_liveness_declarable((enum hcf_liveness)w) &&
		    !strstr(ways, hcf_liveness_name((enum hcf_liveness)w)))
			nw += (size_t)snprintf(ways + nw, sizeof(ways) - nw, "%s%s", nw ? ", " : "",
					       hcf_liveness_name((enum hcf_liveness)w));
	}
	/* lost at the address an input held, at two addresses at least: the
	 * call hands the guest over there */
	unsigned over = HCF_NGPR;
	for (unsigned g = 0; g < HCF_NGPR; g++)
		if (c->lost_at_two[g] && is_input(&c->regs[g]) && c->lost_at_reg[g] >= 3 &&
		    (over == HCF_NGPR || c->lost_at_reg[g] > c->lost_at_reg[over]))
			over = g;
	if (over < HCF_NGPR)
		fprintf(f, "    # %u of the %u guests lost with a known rip were lost at the address "
			   "%s held: it hands the guest over there (for which inputs is not learned: "
			   "add when:)\n",
			c->lost_at_reg[over], c->lost_with_rip, hcf_reg_name(over));
	if (nw || over < HCF_NGPR) {
		fprintf(f, "    destructive: {why: \"learned: the guest was lost in or after it\"");
		if (nw)
			fprintf(f, ", ends: [%s]", ways);
		if (over < HCF_NGPR)
			fprintf(f, ", hands_over: {how: \"resumes the guest at rip = %s (learned)\", "
				   "rip: a_%s}", hcf_reg_name(over), hcf_reg_name(over));
		fprintf(f, "}\n");
	} else if (changed_guest) {
		fprintf(f, "    destructive: \"learned: a later call ended otherwise after it\"\n");
	}
}

int hcf_learn_write_draft(FILE *f, const struct hcf_learned *L, const struct hcf_abi *pa,
			  const char *transport_text, const struct hcf_abi *base)
{
	char when[32] = "", tx[160], buf[512];
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (transport_text)
		snprintf(tx, sizeof(tx), "%s", transport_text);
	else
		hcf_xport_spec_text(&pa->transport, tx, sizeof(tx));

	fprintf(f, "# A DRAFT spec, learned by hcfuzz learn from target %s (hypervisor %s), %s.\n",
		L->target, L->hypervisor, when);
	fprintf(f, "# %" PRIu64 " numbers scanned with %" PRIu64 " calls in %.1f s; %zu answer unlike "
		   "an unknown number, %zu of them probed fully.\n",
		L->probed, L->calls, L->seconds, L->ncalls_found, L->ndeep_done);
	if (L->budget_hit)
		fprintf(f, "# %s (last number scanned: 0x%" PRIx64 "): what it cut short is "
			   "missing, not absent.\n",
			L->interrupted ? "Probing was interrupted" : "The budget ran out", L->scanned_to);
	fprintf(f, "# Every fact says its evidence and confidence. It describes what the hypervisor "
		   "did, not what it\n# should do: edit it into the contract (docs/learn.md) before "
		   "judging anything by it.\n");
	fprintf(f, "hcfuzz_spec: 1\n");
	fprintf(f, "abi: learned\n");
	fprintf(f, "description: \"draft learned from %s on %s, %s\"\n", L->hypervisor, L->target, when);
	fprintf(f, "transport: %s\n", tx);
	if (L->nr_reg < HCF_NGPR && !hcf_xport_addressed(&pa->transport))
		fprintf(f, "call_number: {reg: %s}\n", hcf_reg_name(L->nr_reg));
	fmt_answer(buf, sizeof(buf), &L->def);
	if (L->ret_reg < HCF_NGPR) {
		fprintf(f, "return: {reg: %s}   # the one register the default answer changes\n",
			hcf_reg_name(L->ret_reg));
		fprintf(f, "error_convention: %s\n", negative_errno(L) ?
			"negative_errno   # the default answer is a small negative value" : "none");
	} else {
		fprintf(f, "return: none   # the default answer changes %s register\n",
			L->def.changed ? "more than one" : "no");
	}
	fprintf(f, "clobbers: []\nexceptions: []\n");
	fprintf(f, "\n# %" PRIu64 " of %" PRIu64 " numbers answered: %s (%s)\n", L->def_count,
		L->probed, buf, confidence((unsigned)(L->def_count > 1000000 ? 1000000 : L->def_count),
					   (unsigned)(L->probed > 1000000 ? 1000000 : L->probed)));
	fprintf(f, "undeclared:\n");
	if (L->ret_reg < HCF_NGPR && L->def.outcome == HCF_CO_RETURNED) {
		char v[32];
		fmt_value(v, sizeof(v), L->def.after[L->ret_reg]);
		fprintf(f, "  returns: [%s]\n", v);
	}
	if (L->def.outcome == HCF_CO_EXCEPTION) {
		const char *m = hcf_x86_exc_mnemonic(L->def.vector);
		fprintf(f, "  exceptions: [%s]\n", m ? (m[0] == '#' ? m + 1 : m) : "?");
	} else {
		fprintf(f, "  exceptions: []\n");
	}
	/* unknown numbers end the guest (a Solo5 tender exits on them): a
	 * declarable way is the default's ends:; the others are verdicts */
	if ((L->def.outcome == HCF_CO_GUEST_LOST || L->def.outcome == HCF_CO_HANG) &&
	    hcf_liveness_declarable((enum hcf_liveness)L->def.lost))
		fprintf(f, "  ends: {by: %s}\n", hcf_liveness_name((enum hcf_liveness)L->def.lost));

	/* structs of pointer inputs first: calls name them */
	bool any = false;
	for (size_t i = 0; i < L->ncalls_found; i++)
		for (unsigned g = 0; g < HCF_NGPR; g++)
			if (is_pointer(&L->calls_found[i].regs[g])) {
				if (!any++)
					fprintf(f, "\nstructs:\n");
				write_struct(f, &L->calls_found[i], g);
			}

	fprintf(f, "\ncalls:\n");
	if (!L->ncalls_found) {
		/* the loader wants a call: say that none was found */
		fprintf(f, "  # no number answered unlike the others: a placeholder\n"
			   "  - {name: none_found, nr: 0x%" PRIx64 "}\n", L->def_count ? L->scanned_to : 0);
	}
	for (size_t i = 0; i < L->ncalls_found; i++)
		write_call(f, L, &L->calls_found[i], base);
	if (base) {
		fprintf(f, "\n# Compared with the spec \"%s\":\n", base->name);
		hcf_learn_compare(f, "#   ", L, base);
	}
	return ferror(f) ? -1 : 0;
}

/* ---- against a spec -------------------------------------------------------- */

static const struct hcf_learn_call *found(const struct hcf_learned *L, uint64_t nr)
{
	for (size_t i = 0; i < L->ncalls_found; i++)
		if (L->calls_found[i].nr == nr)
			return &L->calls_found[i];
	return NULL;
}

/* Was nr scanned (in a range asked for, before the budget ran out)? */
static bool scanned(const struct hcf_learned *L, uint64_t nr)
{
	for (size_t i = 0; i < L->nranges; i++) {
		if (nr < L->ranges[i].lo || nr > L->ranges[i].hi)
			continue;
		if (L->ranges_done || i < L->range_reached ||
		    (i == L->range_reached && nr <= L->range_last))
			return true;
	}
	return false;
}

size_t hcf_learn_compare(FILE *f, const char *prefix, const struct hcf_learned *L,
			 const struct hcf_abi *base)
{
	size_t n = 0;
	char v[32];
	/* the default answer against undeclared: */
	/* values as the spec reads them: at its result register's width */
	if (L->ret_reg < HCF_NGPR && L->def.outcome == HCF_CO_RETURNED) {
		int64_t got = hcf_sext(L->def.after[L->ret_reg], base->ret_width ? base->ret_width : 64);
		if (!hcf_vset_contains(&base->undeclared.returns, got)) {
			fmt_value(v, sizeof(v), L->def.after[L->ret_reg]);
			fprintf(f, "%sunknown numbers answer %s, which the spec's undeclared: does not allow\n",
				prefix, v);
			n++;
		}
	}
	if (L->ret_reg != base->ret_reg) {
		fprintf(f, "%sthe result register: observed %s, the spec says %s\n", prefix,
			L->ret_reg < HCF_NGPR ? hcf_reg_name(L->ret_reg) : "none",
			base->ret_reg < HCF_NGPR ? hcf_reg_name(base->ret_reg) : "none");
		n++;
	}
	/* numbers */
	for (size_t i = 0; i < L->ncalls_found; i++) {
		const struct hcf_learn_call *c = &L->calls_found[i];
		const struct hcf_op *op = NULL;
		for (size_t k = 0; k < base->nops && !op; k++)
			if (base->ops[k].nr == c->nr)
				op = &base->ops[k];
		if (!op) {
			fprintf(f, "%snew number 0x%" PRIx64 ": it answers unlike unknown numbers, the spec "
				   "does not declare it\n", prefix, c->nr);
			n++;
			continue;
		}
		for (unsigned g = 0; g < HCF_NGPR; g++) {
			hcf_regmask_t bit = HCF_REGBIT(g);
			if (!is_input(&c->regs[g]) && (op->in_mask & bit) && g != L->nr_reg &&
			    c->complete) {
				fprintf(f, "%s%s (0x%" PRIx64 "): the spec's input %s never changed its answer "
					   "(its effect shows later, or for values learn did not try)\n",
					prefix, op->name, c->nr, hcf_reg_name(g));
				n++;
			}
			if (is_input(&c->regs[g]) && !(op->in_mask & bit)) {
				fprintf(f, "%s%s (0x%" PRIx64 "): %s changes its answer, the spec has no input "
					   "there\n", prefix, op->name, c->nr, hcf_reg_name(g));
				n++;
			}
			if ((c->changed_any & bit) && g != op->ret_reg && !(op->out_mask & bit) &&
			    !(op->clobber_mask & bit)) {
				fprintf(f, "%s%s (0x%" PRIx64 "): %s changed, which the spec neither outputs nor "
					   "lets it clobber (a candidate known anomaly, or a missing output)\n",
					prefix, op->name, c->nr, hcf_reg_name(g));
				n++;
			}
		}
		if (L->ret_reg < HCF_NGPR && op->ret_reg == L->ret_reg && !op->returns.any) {
			for (size_t k = 0; k < c->nvalues; k++) {
				int64_t x = hcf_sext(c->values[k].v, op->ret_width ? op->ret_width : 64);
				bool allowed = hcf_vset_contains(&op->returns, x);
				for (size_t e = 0; !allowed && e < op->nerrors; e++)
					allowed = op->err == HCF_ERR_NEG_ERRNO && x == -(int64_t)op->errors[e];
				if (allowed)
					continue;
				fmt_value(v, sizeof(v), c->values[k].v);
				fprintf(f, "%s%s (0x%" PRIx64 "): returned %s in %u probes, which the spec does "
					   "not allow (a candidate known anomaly)\n",
					prefix, op->name, c->nr, v, c->values[k].count);
				n++;
			}
		}
	}
	for (size_t k = 0; k < base->nops; k++) {
		const struct hcf_op *op = &base->ops[k];
		if (op->has_subop && &base->ops[base->calls[op->call_idx].first_op] != op)
			continue; /* one line per number */
		if (!scanned(L, op->nr) || found(L, op->nr))
			continue;
		fprintf(f, "%s%s (0x%" PRIx64 "): declared, but it answers like an unknown number\n",
			prefix, op->name, op->nr);
		n++;
	}
	return n;
}
