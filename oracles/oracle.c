/*
 * oracle.c: the oracle tables and the driver that checks a program result.
 *
 * Call oracles run in table order for every call: liveness first, because it
 * decides whether the call came back at all; the others only look at calls
 * that returned or raised an exception, since a hung or lost call has no
 * trustworthy register image. Program oracles run once at the end and
 * attribute what they find to a call. The model is asked for a prediction
 * before a call's oracles run and told what happened afterwards.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "oracles/oracle.h"

#include "oracles/anomaly.h"

const struct hcf_oracle hcf_call_oracles[] = {
	{ "liveness", "the call came back: no hang, no lost guest, a result the harness can trust",
	  hcf_oracle_liveness, false },
	{ "exception", "the call raised no exception the spec does not allow for it",
	  hcf_oracle_exception, true },
	{ "clobber", "registers outside outputs and declared clobbers, RFLAGS bits and vector "
		     "registers are unchanged",
	  hcf_oracle_clobber, true },
	{ "retval", "the return value is allowed and an error is encoded the way the spec says",
	  hcf_oracle_retval, true },
	{ "model", "outputs equal the reference model's prediction; monotonic outputs never go back",
	  hcf_oracle_model, true },
};
const size_t hcf_ncall_oracles = sizeof(hcf_call_oracles) / sizeof(hcf_call_oracles[0]);

const struct hcf_prog_oracle hcf_prog_oracles[] = {
	{ "memory", "bytes outside OUT fields and the guards around every buffer are unchanged; "
		    "no page outside the agent's writable areas was dirtied",
	  hcf_oracle_memory },
	{ "liveness", "a guest lost between calls is attributed to the call the program stopped at",
	  hcf_oracle_program_liveness },
};
const size_t hcf_nprog_oracles = sizeof(hcf_prog_oracles) / sizeof(hcf_prog_oracles[0]);

const char *hcf_oracle_value_str(const struct hcf_abi *abi, const struct hcf_op *op, uint64_t v,
				 unsigned width, char *buf, size_t len)
{
	char name[64];
	const char *n = NULL;
	if (width == 0 || width > 64)
		width = 64;
	if (abi)
		n = hcf_spec_value_name(abi, op, hcf_sext(v, width), name, sizeof(name));
	if (n)
		snprintf(buf, len, "%s (0x%llx)", n, (unsigned long long)v);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)v);
	return buf;
}

int hcf_oracle_pointed_struct(const struct hcf_arg *arg, const uint64_t before[HCF_NGPR])
{
	if (arg->struct_idx >= 0)
		return arg->struct_idx;
	for (size_t k = 0; k < arg->npointers; k++)
		if (hcf_cond_holds(&arg->pointers[k].when, before))
			return arg->pointers[k].struct_idx;
	return -1;
}

uint64_t hcf_span_clip(const struct hcf_span *s, uint64_t wlo, uint64_t whi, uint8_t *map)
{
	if (s->hi <= s->lo || !s->n || whi <= wlo)
		return 0;
	uint64_t n = s->stride ? s->n : 1, stride = s->stride ? s->stride : 1;
	/* the first copy that ends after wlo: k * stride > wlo - hi */
	uint64_t k = wlo < s->hi ? 0 : (wlo - s->hi) / stride + 1;
	uint64_t covered = 0;
	for (; k < n && s->lo + k * stride < whi; k++) {
		uint64_t lo = s->lo + k * stride, hi = s->hi + k * stride;
		uint64_t from = lo > wlo ? lo : wlo, to = hi < whi ? hi : whi;
		if (from >= to)
			continue;
		if (map)
			memset(map + (from - wlo), 1, to - from);
		covered += to - from;
	}
	return covered;
}

size_t hcf_oracle_call_writes(const struct hcf_abi *abi, const struct hcf_op *op,
			      const uint64_t before[HCF_NGPR], struct hcf_span *out, size_t max)
{
	size_t n = 0;
	for (size_t a = 0; op && a < op->nargs; a++) {
		const struct hcf_arg *arg = &op->args[a];
		int si = hcf_oracle_pointed_struct(arg, before);
		if (si < 0 || (size_t)si >= abi->nstructs || arg->reg >= HCF_NGPR ||
		    !(arg->dir & HCF_DIR_IN))
			continue;
		const struct hcf_struct *st = &abi->structs[si];
		uint64_t align = st->align_down ? st->align_down : 1;
		/* the hypervisor reads the pointer at the argument's width */
		uint64_t base = before[arg->reg] & hcf_x86_width_mask(arg->width) & ~(align - 1);
		uint64_t elems = hcf_arg_elements(op, arg, before);
		for (size_t k = 0; k < st->nfields && n < max && elems; k++) {
			const struct hcf_field *f = &st->fields[k];
			uint64_t lo = base + f->offset, hi = lo + f->size;
			if (!(f->dir & HCF_DIR_OUT) || lo < base || hi < lo) /* wraps around */
				continue;
			/* the elements whose copy of the field still ends below 2^64 */
			uint64_t fit = (UINT64_MAX - hi) / st->size + 1;
			out[n] = (struct hcf_span){ .lo = lo, .hi = hi, .stride = st->size,
						    .n = elems < fit ? elems : fit };
			n++;
		}
	}
	return n;
}

bool hcf_oracle_call_succeeded(const struct hcf_abi *abi, const struct hcf_prog *p,
			       const struct hcf_prog_result *r, size_t idx)
{
	const struct hcf_op *op = hcf_prog_call_op(p, idx);
	if (!op || idx >= r->ncalls || r->calls[idx].outcome != HCF_CO_RETURNED)
		return false;
	const struct hcf_call_result *cr = &r->calls[idx];
	if (op->err == HCF_ERR_STATUS_FIELD) {
		uint64_t status;
		unsigned width;
		struct hcf_loc where;
		char why[120];
		return hcf_oracle_status(abi, p, r, idx, op, &status, &width, &where, why,
					 sizeof(why)) == 0 && status == 0;
	}
	if (op->ret_reg >= HCF_NGPR)
		return true;
	int64_t v = hcf_sext(cr->after[op->ret_reg], op->ret_width ? op->ret_width : 64);
	switch (op->err) {
	case HCF_ERR_NEG_ERRNO:
		return !(v >= -4095 && v <= -1);
	case HCF_ERR_CARRY:
		return !(cr->rflags_after & HCF_X86_RFLAGS_CF);
	default:
		return true;
	}
}

#define HCF_MAX_CALL_WRITES 64

/*
 * A shared page registered by address (the PVM VIF page) is written there
 * long after the call, so every call that ran counts, not only the one
 * before a change.
 */
size_t hcf_oracle_pointed_out(const struct hcf_abi *abi, const struct hcf_prog *p,
			      const struct hcf_prog_result *r, size_t first, size_t last,
			      uint64_t lo, uint64_t hi, uint8_t *free_)
{
	size_t found = SIZE_MAX;
	struct hcf_span w[HCF_MAX_CALL_WRITES];
	for (size_t i = first; i <= last && i < p->ncalls && i < r->ncalls; i++) {
		if (r->calls[i].outcome == HCF_CO_NOT_RUN)
			continue;
		size_t n = hcf_oracle_call_writes(abi, hcf_prog_call_op(p, i),
						  r->calls[i].before, w, HCF_MAX_CALL_WRITES);
		n += hcf_oracle_buffer_writes(abi, p, i, r->calls[i].before, w + n,
					      HCF_MAX_CALL_WRITES - n);
		for (size_t k = 0; k < n; k++) {
			if (!hcf_span_clip(&w[k], lo, hi, free_))
				continue;
			if (found == SIZE_MAX)
				found = i;
			if (!free_)
				return found;
		}
	}
	return found;
}

uint32_t hcf_oracle_allowed_exceptions(const struct hcf_oracle_ctx *ctx)
{
	uint32_t allowed = ctx->op ? ctx->op->exceptions : ctx->undeclared->exceptions;
	if (ctx->expect)
		allowed |= ctx->expect->extra_exceptions;
	return allowed;
}

static bool outcome_completed(enum hcf_call_outcome o)
{
	return o == HCF_CO_RETURNED || o == HCF_CO_EXCEPTION;
}

/* Guest memory the agent cannot lose without losing the guest, for naming
 * what a call had the hypervisor overwrite. */
static const struct {
	uint64_t lo, hi;
	const char *what;
} agent_areas[] = {
	{ HCF_GPA_BOOT, HCF_GPA_GDT, "boot block" },
	{ HCF_GPA_GDT, HCF_GPA_IDT, "GDT" },
	{ HCF_GPA_IDT, HCF_GPA_VIF, "IDT" },
	{ HCF_GPA_HCPAGE, HCF_GPA_PGTABLES, "hypercall page" },
	{ HCF_GPA_PGTABLES, HCF_GPA_STACK_LO, "page tables" },
	{ HCF_GPA_STACK_LO, HCF_GPA_XSTACK_HI, "stacks" },
	{ HCF_GPA_AGENT, HCF_GPA_AGENT + HCF_AGENT_MAX, "code and data" },
};

const char *hcf_oracle_agent_area(uint64_t gpa)
{
	for (size_t k = 0; k < sizeof(agent_areas) / sizeof(agent_areas[0]); k++)
		if (gpa >= agent_areas[k].lo && gpa < agent_areas[k].hi)
			return agent_areas[k].what;
	return NULL;
}

/*
 * Evidence that the program had the hypervisor overwrite the agent: a call up
 * to `upto` that succeeded (or `died_in`, the call the guest was lost in or
 * that raised: it reported no success, but bytes that changed where it
 * pointed show it did its write) pointed an OUT field at agent memory whose
 * bytes really differ from the snapshot. Fills text and returns the call, or
 * SIZE_MAX.
 */
size_t hcf_oracle_self_inflicted(const struct hcf_abi *abi, const struct hcf_prog *p,
				 const struct hcf_prog_result *r, size_t upto, size_t died_in,
				 char *text, size_t len)
{
	struct hcf_span w[64];
	uint8_t pointed[4096];
	for (size_t i = upto + 1; i-- > 0;) {
		const struct hcf_op *op = hcf_prog_call_op(p, i);
		const struct hcf_call_result *cr = &r->calls[i];
		bool in = i == died_in;
		if (!op || (!in && !hcf_oracle_call_succeeded(abi, p, r, i)))
			continue;
		size_t nw = hcf_oracle_call_writes(abi, op, cr->before, w, 64);
		for (size_t k = 0; k < nw; k++)
			for (size_t g = 0; g < r->npages; g++) {
				const struct hcf_page_change *pc = &r->pages[g];
				/* only the agent's own memory can explain what
				 * happened to it: a write elsewhere (page 0, unused
				 * RAM) harms nothing. Its areas are whole pages. */
				if (!hcf_oracle_agent_area(pc->gpa))
					continue;
				memset(pointed, 0, sizeof(pointed));
				if (!hcf_span_clip(&w[k], pc->gpa, pc->gpa + 4096, pointed))
					continue;
				unsigned n = 0, first = 0;
				for (unsigned b = 0; b < 4096; b++)
					if (pointed[b] && hcf_page_byte_changed(pc, b) && !n++)
						first = b;
				if (!n)
					continue;
				snprintf(text, len,
					 "the program's doing: call %zu (%s) %s the hypervisor write "
					 "the agent's %s: %u byte%s at 0x%llx (0x%02x -> 0x%02x)",
					 i, op->name, in ? "had" : "succeeded and had",
					 hcf_oracle_agent_area(pc->gpa + first), n, n == 1 ? "" : "s",
					 (unsigned long long)(pc->gpa + first), pc->was[first],
					 pc->now[first]);
				return i;
			}
	}
	return SIZE_MAX;
}

size_t hcf_oracle_stray_agent_write(const struct hcf_abi *abi, const struct hcf_prog *p,
				    const struct hcf_prog_result *r, size_t upto, char *text,
				    size_t len)
{
	static _Thread_local uint8_t pointed[4096];
	if (upto == SIZE_MAX)
		return SIZE_MAX;
	for (size_t g = 0; g < r->npages && r->pages; g++) {
		const struct hcf_page_change *pc = &r->pages[g];
		const char *area = hcf_oracle_agent_area(pc->gpa);
		if (pc->agent_writes || !area)
			continue;
		memset(pointed, 0, sizeof(pointed));
		hcf_oracle_pointed_out(abi, p, r, 0, upto, pc->gpa, pc->gpa + 4096, pointed);
		unsigned n = 0, first = 0;
		for (unsigned b = 0; b < 4096; b++)
			if (!pointed[b] && hcf_page_byte_changed(pc, b) && !n++)
				first = b;
		if (!n)
			continue;
		/* the call that pointed the hypervisor into this page, if any */
		size_t by = hcf_oracle_pointed_out(abi, p, r, 0, upto, pc->gpa, pc->gpa + 4096, NULL);
		if (by == SIZE_MAX)
			continue;
		const struct hcf_op *op = hcf_prog_call_op(p, by);
		snprintf(text, len,
			 "call %zu (%s) pointed the hypervisor into the agent's %s (page 0x%llx), "
			 "and %u byte%s there changed where no call pointed it, first at 0x%llx "
			 "(0x%02x -> 0x%02x)",
			 by, op ? op->name : "undeclared", area, (unsigned long long)pc->gpa, n,
			 n == 1 ? "" : "s", (unsigned long long)(pc->gpa + first), pc->was[first],
			 pc->now[first]);
		return by;
	}
	return SIZE_MAX;
}

/* Bytes at [rip, rip + 16), the faulting instruction, that differ from the
 * snapshot: the agent ran code a write replaced. */
static bool rip_overwritten(const struct hcf_prog_result *r, uint64_t rip)
{
	for (size_t g = 0; g < r->npages; g++)
		for (uint64_t a = rip; a < rip + 16; a++)
			if (a >= r->pages[g].gpa && a < r->pages[g].gpa + 4096 &&
			    hcf_page_byte_changed(&r->pages[g], (unsigned)(a - r->pages[g].gpa)))
				return true;
	return false;
}

/*
 * Call i raised an exception in an agent the program had the hypervisor
 * overwrite: by a call before it that succeeded, or by call i itself when
 * the faulting instruction is one of the bytes that changed (a call that
 * raised, with no such evidence, is judged: the exception may be the
 * hypervisor's answer).
 */
static bool agent_overwritten_before(const struct hcf_abi *abi, const struct hcf_prog *p,
				     const struct hcf_prog_result *r, size_t i, char *why, size_t len)
{
	if (i > 0 && hcf_oracle_self_inflicted(abi, p, r, i - 1, SIZE_MAX, why, len) != SIZE_MAX)
		return true;
	return rip_overwritten(r, r->calls[i].fault_rip) &&
	       hcf_oracle_self_inflicted(abi, p, r, i, i, why, len) != SIZE_MAX;
}

/* Did this call take the guest down (the target restores or rebuilds it
 * afterwards)? */
static bool outcome_lost_guest(enum hcf_call_outcome o)
{
	return o == HCF_CO_HANG || o == HCF_CO_GUEST_LOST;
}

uint64_t hcf_oracle_rflags_compared(const struct hcf_target_info *ti)
{
	return ti && ti->rflags_captured ? ti->rflags_captured & HCF_X86_RFLAGS_ARCH :
					   HCF_X86_RFLAGS_ARCH;
}

/*
 * Call `resumed` handed the guest over into the agent's own code, which
 * reported as if the call had come back: nothing from there on is the
 * hypervisor's answer to a call. The handing-over call is LOST (the guest
 * left the agent's control as the spec says it may), the later ones are
 * not judged.
 */
static void judge_after_resume(const struct hcf_abi *abi, const struct hcf_prog *p,
			       const struct hcf_prog_result *r, size_t resumed, size_t i,
			       struct hcf_call_verdict *cv)
{
	const struct hcf_op *op = hcf_prog_call_op(p, resumed);
	struct hcf_loc loc = hcf_loc_of(HCF_LOC_OUTCOME);
	uint64_t rip = r->calls[resumed].before[op->hands_over_rip];
	if (i == resumed)
		hcf_call_verdict_add(cv, HCF_V_LOST, "liveness", &loc,
				     "%s hands the guest over to the program's code (%s), and the "
				     "program resumed it at 0x%llx, in the agent's own code, which "
				     "reported for this call: the report is the program's doing, not "
				     "judged; memory is not judged either",
				     op->name, op->hands_over, (unsigned long long)rip);
	else
		hcf_call_verdict_add(cv, HCF_V_SKIP, "liveness", &loc,
				     "not judged: call %zu (%s) handed the guest over into the "
				     "agent's own code at 0x%llx, which ran on from there",
				     resumed, op->name, (unsigned long long)rip);
}

enum hcf_verdict hcf_oracles_check(const struct hcf_abi *abi, const struct hcf_prog *p,
				   const struct hcf_prog_result *r, struct hcf_model *model,
				   const struct hcf_target_info *tinfo, struct hcf_call_verdict *cvs)
{
	return hcf_oracles_check_anomalies(abi, p, r, model, tinfo, cvs, NULL);
}

enum hcf_verdict hcf_oracles_check_anomalies(const struct hcf_abi *abi, const struct hcf_prog *p,
					     const struct hcf_prog_result *r,
					     struct hcf_model *model,
					     const struct hcf_target_info *tinfo,
					     struct hcf_call_verdict *cvs, bool *matched)
{
	size_t n = p->ncalls;
	bool have_model = model && model->ops && model->ops->predict;
	struct hcf_anomaly_scope scope = { .matched = matched,
					   .nmatched = matched ? abi->nanomalies : 0,
					   .target = tinfo ? tinfo->target : NULL };
	hcf_anomaly_scope_init(&scope, abi, p, r);

	for (size_t i = 0; i < n; i++) {
		hcf_call_verdict_init(&cvs[i]);
		cvs[i].idx = i;
		if (abi->nanomalies)
			cvs[i].hook = &scope.hook;
	}

	size_t resumed = r->calls ? hcf_oracle_resumed_in_agent(abi, p, r) : SIZE_MAX;
	size_t faulted = SIZE_MAX;  /* the call whose exception an overwritten agent made */
	char doing[200];
	for (size_t i = 0; i < n; i++) {
		if (i >= resumed) {
			judge_after_resume(abi, p, r, resumed, i, &cvs[i]);
			continue;
		}
		if (faulted != SIZE_MAX) {
			struct hcf_loc loc = hcf_loc_of(HCF_LOC_OUTCOME);
			hcf_call_verdict_add(&cvs[i], HCF_V_SKIP, "liveness", &loc,
					     "not judged: call %zu ran on an agent the program had "
					     "overwritten (%s)", faulted, doing);
			continue;
		}
		/* The oracles index r->calls by the program's call index. */
		if (!r->calls || i >= r->ncalls) {
			struct hcf_loc loc = hcf_loc_of(HCF_LOC_NONE);
			snprintf(loc.name, sizeof(loc.name), "result");
			hcf_call_verdict_add(&cvs[i], HCF_V_ERROR, "liveness", &loc,
					     "no result for this call: the target returned %zu "
					     "results for %zu calls",
					     r->calls ? r->ncalls : 0, n);
			continue;
		}
		const struct hcf_call_result *cr = &r->calls[i];
		struct hcf_expect e;
		/* the op of what was loaded: a buffer address in the number
		 * register is known only now */
		const uint64_t *loaded = cr->outcome != HCF_CO_NOT_RUN ? cr->before : NULL;
		int opi = hcf_pcall_op_loaded(p, &p->calls[i], loaded);
		struct hcf_oracle_ctx ctx = {
			.abi = abi, .prog = p, .res = r, .idx = i,
			.op = opi >= 0 && (size_t)opi < abi->nops ? &abi->ops[opi] : NULL,
			.undeclared = hcf_pcall_undeclared(p, &p->calls[i], loaded),
			.expect = NULL, .tinfo = tinfo,
		};

		/* A call that never ran has nothing to predict; a stateful
		 * model must not count it either. */
		if (have_model && cr->outcome != HCF_CO_NOT_RUN) {
			model->ops->predict(model->st, abi, p, i, cr->before, &e);
			ctx.expect = &e;
		}

		/* An exception in an agent whose own memory (code, tables,
		 * boot block) a call of the program had the hypervisor
		 * overwrite: the agent faulted in what it could no longer run,
		 * and nothing it captured is the hypervisor's answer. The
		 * program's doing, like a loss it explains (the liveness
		 * oracle); later calls run on the same broken agent. */
		if (cr->outcome == HCF_CO_EXCEPTION && agent_overwritten_before(abi, p, r, i, doing,
										 sizeof(doing))) {
			struct hcf_loc loc = hcf_loc_of(HCF_LOC_EXCEPTION);
			char got[40];
			hcf_call_verdict_add(&cvs[i], HCF_V_LOST, "exception", &loc,
					     "%s at rip 0x%llx, not judged: %s",
					     hcf_exc_format(got, sizeof(got), cr->vector, cr->error_code),
					     (unsigned long long)cr->fault_rip, doing);
			faulted = i;
			continue;
		}

		bool completed = outcome_completed(cr->outcome);
		for (size_t k = 0; k < hcf_ncall_oracles; k++) {
			if (hcf_call_oracles[k].completed_only && !completed)
				continue;
			hcf_call_oracles[k].check(&ctx, &cvs[i]);
		}

		if (have_model && completed && model->ops->observe)
			model->ops->observe(model->st, abi, p, i, r);
		/*
		 * The target restores (or rebuilds) a lost guest, so whatever
		 * state the model kept describes a guest that is gone. Reset on
		 * every loss, not only at destructive calls: the guest is as
		 * booted either way. Reset at once, so that the next program (run
		 * in that guest) starts from a fresh model too.
		 */
		if (have_model && model->ops->reset && outcome_lost_guest(cr->outcome) &&
		    r->liveness != HCF_LIVE_OK)
			model->ops->reset(model->st);
	}

	for (size_t k = 0; k < hcf_nprog_oracles; k++)
		hcf_prog_oracles[k].check(abi, p, r, cvs);

	enum hcf_verdict worst = HCF_V_PASS;
	for (size_t i = 0; i < n; i++) {
		cvs[i].hook = NULL; /* the scope ends here */
		worst = hcf_verdict_worst(worst, cvs[i].v);
	}
	return worst;
}
