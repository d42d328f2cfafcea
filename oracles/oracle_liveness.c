/*
 * oracle_liveness.c: the liveness oracle: did the call come back, and if the
 * guest was lost, is that a way the contract lets it end?
 *
 * Per call: a call the program never reached is SKIP naming the call it
 * stopped at; a result the harness cannot trust is ERROR; a call that came
 * back although it had to end the guest (an ends: item marked must holds,
 * or the model requires it) is FAIL. Losses are judged over the whole
 * program, because a loss may be an earlier call's doing:
 *
 * 1. Never excused: a hang (the vCPU frozen, or stuck in the agent: a
 *    livelock in the host), a KVM internal error, a failed entry, an
 *    unexpected exit (CRASH), garbage on the channel (ERROR). No declaration
 *    changes that; a harness failure is ERROR.
 * 2. A call that hands the guest over to the program's code (an event return
 *    to a context the program describes), for inputs where it does: a
 *    shutdown, an agent panic, a runaway (the vCPU executing outside the
 *    agent) or garbage in the guest's report is the program's code's doing:
 *    LOST, and the memory oracle does not judge what that code wrote.
 * 3. A shutdown, an agent panic or a runaway is LOST (an expected loss,
 *    counted and shown) when the call it happened in declares it for its
 *    inputs; or when a call that succeeded earlier, or the call it happened
 *    in (or was about to report), had the hypervisor write agent memory it
 *    pointed at, and those bytes really changed (the program's doing: the
 *    evidence names the call and the bytes); or when an earlier destructive
 *    call that returned declares it. Otherwise CRASH. A hang with the vCPU
 *    in the agent's own code and that same evidence is LOST too: the agent
 *    loops on the state the program had overwritten.
 * 4. A shutdown, an agent panic, a runaway or a hang in the agent's code,
 *    after the hypervisor wrote the agent's own memory where no call pointed
 *    it, on a page a call did point it into, is blamed on that call, with
 *    the verdict an unexplained loss gets (a known anomaly of that call may
 *    account for it): the guest died of that write, however many calls
 *    later.
 * 5. Otherwise a loss after a destructive call returned is blamed on that
 *    call: the issue goes on the call that explains it (or, unexplained, on
 *    the last destructive call that returned), naming the call the guest
 *    died in, which carries the same verdict as a consequence.
 * 6. A garbled report followed by a loss is a loss in that call ("its
 *    report garbled first"): a guest a call broke may limp on long enough to
 *    half-write its result. Garbage with the guest alive is ERROR.
 * 7. What a declaration depends on may be guest memory hcfuzz cannot read
 *    (a struct outside the program's buffers): a loss only such an item
 *    would declare is SKIP, not judged; so is a hang in a call that waits
 *    as long as a field says (waits:) when that field asks for longer than
 *    the spec allows, or cannot be read.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "oracles/oracle.h"

/* How each way of losing the guest is judged when nothing explains it. The
 * harness failing is not the hypervisor's fault: ERROR, not CRASH. */
static const struct {
	enum hcf_verdict v;
	const char *what;
} lost_table[HCF_LIVE_COUNT] = {
	[HCF_LIVE_OK] = { HCF_V_CRASH, "lost for no recorded reason" },
	[HCF_LIVE_HANG] = { HCF_V_HANG, "no progress within the watchdog" },
	[HCF_LIVE_SHUTDOWN] = { HCF_V_CRASH, "shutdown (a triple fault, or its hypervisor ended it)" },
	[HCF_LIVE_INTERNAL_ERROR] = { HCF_V_CRASH, "KVM internal error" },
	[HCF_LIVE_ENTRY_FAILED] = { HCF_V_CRASH, "KVM could not enter the guest again" },
	[HCF_LIVE_AGENT_PANIC] = { HCF_V_CRASH, "agent panic (an exception outside a call)" },
	[HCF_LIVE_PROTOCOL] = { HCF_V_ERROR, "garbage in the guest's mailbox" },
	[HCF_LIVE_UNEXPECTED_EXIT] = { HCF_V_CRASH, "an exit the VMM does not expect" },
	[HCF_LIVE_HARNESS] = { HCF_V_ERROR, "the harness or the host failed" },
	[HCF_LIVE_RUNAWAY] = { HCF_V_CRASH, "the guest runs away: executing outside the agent's "
					    "code, never coming back" },
	[HCF_LIVE_VMM_GONE] = { HCF_V_CRASH, "the hypervisor's process ended" },
	[HCF_LIVE_HALT] = { HCF_V_CRASH, "the guest halted (its ABI's halt call)" },
	[HCF_LIVE_REFUSED] = { HCF_V_CRASH, "the VMM refused a call and exited" },
};

static enum hcf_verdict lost_verdict(enum hcf_liveness why)
{
	return (unsigned)why < HCF_LIVE_COUNT ? lost_table[why].v : HCF_V_CRASH;
}

static const char *lost_what(enum hcf_liveness why)
{
	return (unsigned)why < HCF_LIVE_COUNT ? lost_table[why].what : "the guest was lost";
}

size_t hcf_oracle_stop_index(const struct hcf_prog_result *r)
{
	size_t first_not_run = r->ncalls;
	if (!r->calls)
		return r->ncalls;
	for (size_t i = 0; i < r->ncalls; i++) {
		enum hcf_call_outcome o = r->calls[i].outcome;
		if (o == HCF_CO_HANG || o == HCF_CO_GUEST_LOST || o == HCF_CO_BAD_RESULT ||
		    (unsigned)o >= HCF_CO_COUNT)
			return i;
		if (o == HCF_CO_NOT_RUN && first_not_run == r->ncalls)
			first_not_run = i;
	}
	return first_not_run;
}

size_t hcf_oracle_resumed_in_agent(const struct hcf_abi *abi, const struct hcf_prog *p,
				   const struct hcf_prog_result *r)
{
	for (size_t i = 0; r->calls && i < r->ncalls && i < p->ncalls; i++) {
		const struct hcf_call_result *cr = &r->calls[i];
		const struct hcf_op *op = hcf_prog_call_op(p, i);
		if (cr->outcome != HCF_CO_RETURNED && cr->outcome != HCF_CO_EXCEPTION &&
		    cr->outcome != HCF_CO_BAD_RESULT)
			continue;
		if (op && op->hands_over_rip < HCF_NGPR && hcf_op_hands_over(op, cr->before) &&
		    cr->before[op->hands_over_rip] >= HCF_GPA_AGENT &&
		    cr->before[op->hands_over_rip] < HCF_GPA_AGENT + HCF_AGENT_MAX)
			return i;
	}
	return SIZE_MAX;
}

size_t hcf_oracle_last_ran(const struct hcf_prog_result *r)
{
	if (!r->calls)
		return SIZE_MAX;
	for (size_t i = r->ncalls; i-- > 0;)
		if (r->calls[i].outcome != HCF_CO_NOT_RUN)
			return i;
	return SIZE_MAX;
}

/* ---- per call ----------------------------------------------------------- */

static void check_not_run(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
			  struct hcf_call_verdict *cv)
{
	const struct hcf_prog_result *r = ctx->res;
	size_t stop = hcf_oracle_stop_index(r);
	struct hcf_loc loc = hcf_loc_of(HCF_LOC_OUTCOME);
	if (cr->detail) /* the target said why it did not run this one call */
		hcf_call_verdict_add(cv, HCF_V_SKIP, "liveness", &loc, "%s", cr->detail);
	else if (stop < ctx->idx && r->calls[stop].outcome != HCF_CO_NOT_RUN)
		hcf_call_verdict_add(cv, HCF_V_SKIP, "liveness", &loc,
				     "not run: the program stopped at call %zu (%s)", stop,
				     hcf_call_outcome_name(r->calls[stop].outcome));
	else if (r->liveness == HCF_LIVE_OK && !r->detail[0])
		hcf_call_verdict_add(cv, HCF_V_SKIP, "liveness", &loc,
				     "not run: the program stopped before call %zu",
				     stop < ctx->idx ? stop : ctx->idx);
	else
		hcf_call_verdict_add(cv, HCF_V_SKIP, "liveness", &loc,
				     "not run: the program stopped before call %zu (%s%s%.*s)",
				     stop < ctx->idx ? stop : ctx->idx, hcf_liveness_name(r->liveness),
				     r->detail[0] ? ": " : "", (int)sizeof(r->detail), r->detail);
}

/* A report that is garbage, and then the guest ended (a shutdown ...): a
 * guest that limps on for a moment after a call broke it (stale TLB
 * entries, a half-written slot) garbles its report as it dies. */
static bool garbled_then_lost(const struct hcf_prog_result *r)
{
	return r->liveness != HCF_LIVE_OK && r->liveness != HCF_LIVE_PROTOCOL &&
	       r->liveness != HCF_LIVE_HARNESS;
}

static void check_bad(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
		      struct hcf_call_verdict *cv)
{
	struct hcf_loc loc = hcf_loc_of(HCF_LOC_OUTCOME);
	/* The guest died after a garbled report: the loss is what happened
	 * in this call, and the program part judges it. */
	if (garbled_then_lost(ctx->res))
		return;
	/* A call that handed the guest over to the program's code: whatever
	 * reached the result slot, the program's bytes wrote it. */
	if (hcf_op_hands_over(ctx->op, cr->before)) {
		hcf_call_verdict_add(cv, HCF_V_LOST, "liveness", &loc,
				     "guest lost here: its report is garbage%s%s; %s hands the guest "
				     "over to the program's code (%s), which wrote it; memory after "
				     "it is not judged",
				     cr->detail ? ": " : "", cr->detail ? cr->detail : "",
				     ctx->op->name, ctx->op->hands_over);
		return;
	}
	hcf_call_verdict_add(cv, HCF_V_ERROR, "liveness", &loc,
			     "the guest's report of this call cannot be trusted%s%s",
			     cr->detail ? ": " : "", cr->detail ? cr->detail : "");
}

/* What a VMM that ends the guest so does, for "expected the VMM to ...". */
static const char *const end_duty[HCF_LIVE_COUNT] = {
	[HCF_LIVE_SHUTDOWN] = "shut the guest down",
	[HCF_LIVE_AGENT_PANIC] = "deliver an exception the agent cannot survive",
	[HCF_LIVE_RUNAWAY] = "hand the guest over to code of its own",
	[HCF_LIVE_HALT] = "halt the guest",
	[HCF_LIVE_REFUSED] = "refuse the call (exit)",
};

/*
 * A call that came back although it had to end the guest: an ends: item
 * marked must holds for its inputs and the memory it found (the struct or
 * a buffer outside guest memory ...), or the model says it must (a device
 * the guest does not have).
 */
static void check_must_end(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
			   struct hcf_call_verdict *cv)
{
	const struct hcf_loss *m = hcf_oracle_must_end(ctx->abi, ctx->prog, ctx->idx, cr->before);
	unsigned way = m ? hcf_loss_first_way(m->ends) : HCF_LIVE_OK;
	const char *what = m ? (m->what ? m->what : "its inputs") : NULL, *why = m ? m->why : NULL;
	if (!m && ctx->expect && ctx->expect->ends) {
		way = hcf_loss_first_way(ctx->expect->ends);
		what = ctx->expect->ends_why ? ctx->expect->ends_why : "the model says so";
		why = ctx->expect->why_model;
	}
	if (way == HCF_LIVE_OK || way >= HCF_LIVE_COUNT)
		return;
	char got[48] = "returned";
	if (cr->outcome == HCF_CO_EXCEPTION)
		hcf_exc_format(got, sizeof(got), cr->vector, cr->error_code);
	struct hcf_loc loc = hcf_loc_of(HCF_LOC_OUTCOME);
	hcf_call_verdict_add(cv, HCF_V_FAIL, "liveness", &loc,
			     "expected the VMM to %s: %s%s%s%s; got: %s",
			     end_duty[way] ? end_duty[way] : hcf_liveness_name((enum hcf_liveness)way),
			     what, why ? " (" : "", why ? why : "", why ? ")" : "", got);
}

typedef void (*outcome_fn)(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
			   struct hcf_call_verdict *cv);

/* One row per outcome; NULL: nothing to say here (a loss, which the
 * program part judges). A call that came back may have had to end the
 * guest. */
static const outcome_fn outcome_table[HCF_CO_COUNT] = {
	[HCF_CO_NOT_RUN] = check_not_run,
	[HCF_CO_RETURNED] = check_must_end,
	[HCF_CO_EXCEPTION] = check_must_end,
	[HCF_CO_HANG] = NULL,
	[HCF_CO_GUEST_LOST] = NULL,
	[HCF_CO_BAD_RESULT] = check_bad,
};

void hcf_oracle_liveness(const struct hcf_oracle_ctx *ctx, struct hcf_call_verdict *cv)
{
	const struct hcf_call_result *cr = &ctx->res->calls[ctx->idx];
	if ((unsigned)cr->outcome >= HCF_CO_COUNT) {
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_OUTCOME);
		hcf_call_verdict_add(cv, HCF_V_ERROR, "liveness", &loc,
				     "the target reported an unknown outcome %u",
				     (unsigned)cr->outcome);
		return;
	}
	if (outcome_table[cr->outcome])
		outcome_table[cr->outcome](ctx, cr, cv);
}

/* ---- losses ------------------------------------------------------------- */

/* What a loss is about. */
struct loss {
	const struct hcf_abi *abi;
	const struct hcf_prog *p;
	const struct hcf_prog_result *r;
	struct hcf_call_verdict *cvs;
	size_t at;                  /* the call the guest was lost in (or stopped at) */
	bool in_call;               /* lost during call `at`; else between calls */
	size_t upto;                /* the last call that ran, or SIZE_MAX */
	enum hcf_liveness why;
	const char *detail;
	bool garbled;               /* the call's report was garbage before the guest ended */
};

static const char *op_name(const struct loss *l, size_t i)
{
	const struct hcf_op *op = hcf_prog_call_op(l->p, i);
	return op ? op->name : "undeclared";
}

/* "during call 3 (flush_tlb)" or "between calls, before call 3". */
static void where_lost(const struct loss *l, char *buf, size_t len)
{
	if (l->in_call)
		snprintf(buf, len, "during call %zu (%s)", l->at, op_name(l, l->at));
	else
		snprintf(buf, len, "between calls, before call %zu", l->at);
}

/* Record verdict v for the loss on call `on`, and, when that is not the
 * call the guest was lost in, the same verdict there as its consequence. */
static void record(const struct loss *l, size_t on, enum hcf_verdict v, const char *text)
{
	struct hcf_issue is = {
		.v = v,
		.oracle = "liveness",
		.loc = hcf_loc_of(l->in_call ? HCF_LOC_OUTCOME : HCF_LOC_PROGRAM),
		.related = on == l->at ? SIZE_MAX : l->at,
		.lost = (uint8_t)l->why,
	};
	const struct hcf_call_result *at = &l->r->calls[l->at];
	if (l->in_call && at->has_lost_rip) {
		/* OUTCOME's address: the guest's rip when it was lost */
		is.loc.addr = at->lost_rip;
		is.loc.end = at->lost_rip + 1;
	}
	char lost[64];
	where_lost(l, lost, sizeof(lost));
	/* the target's detail, when it says more than the kind (a shutdown's
	 * does not) */
	bool detail = l->detail && l->why != HCF_LIVE_SHUTDOWN;
	char rip[40] = "";
	if (is.loc.end > is.loc.addr && l->why == HCF_LIVE_INTERNAL_ERROR)
		snprintf(rip, sizeof(rip), " at rip 0x%llx", (unsigned long long)is.loc.addr);
	snprintf(is.reason, sizeof(is.reason), "guest lost %s%s: %s%s%s%s; %s", lost,
		 l->garbled ? ", its report garbled first" : "", lost_what(l->why), rip,
		 detail ? ": " : "", detail ? l->detail : "", text);
	hcf_call_verdict_put(&l->cvs[on], &is);
	if (on == l->at)
		return;
	is.related = on;
	is.consequence = true;
	snprintf(is.reason, sizeof(is.reason), "guest lost here: %s; blamed on call %zu (%s): %s",
		 lost_what(l->why), on, op_name(l, on), text);
	hcf_call_verdict_put(&l->cvs[l->at], &is);
}

/* The last call before `at` that returned from a destructive op, or SIZE_MAX. */
static size_t last_destructive(const struct loss *l, size_t before)
{
	for (size_t i = before; i-- > 0;) {
		const struct hcf_op *op = hcf_prog_call_op(l->p, i);
		if (op && op->destructive && l->r->calls[i].outcome == HCF_CO_RETURNED)
			return i;
	}
	return SIZE_MAX;
}

/* Does the call the guest was lost in, or a destructive call before it,
 * declare this loss for its inputs (and the memory it found)? The latest
 * one that does, or SIZE_MAX. A call that is not destructive ends the
 * guest only while it runs. */
static size_t declared_by(const struct loss *l, size_t upto, const struct hcf_loss **unknown)
{
	*unknown = NULL;
	for (size_t i = upto + 1; i-- > 0;) {
		const struct hcf_op *op = hcf_prog_call_op(l->p, i);
		const struct hcf_call_result *cr = &l->r->calls[i];
		bool during = i == l->at && l->in_call;
		bool ran = during ? true : cr->outcome == HCF_CO_RETURNED;
		const struct hcf_loss *u;
		if (!ran || !(during || (op && op->destructive)))
			continue;
		enum hcf_tri t = hcf_oracle_may_end(l->abi, l->p, i, l->why, cr->before, &u);
		if (t == HCF_TRI_YES)
			return i;
		if (t == HCF_TRI_UNKNOWN && during)
			*unknown = u;
	}
	return SIZE_MAX;
}

/*
 * The loss is the program's doing: it had the hypervisor overwrite the
 * agent's memory (hcf_oracle_self_inflicted), by a call that ran or by the
 * one the guest was lost in or about to report (lost between calls, the
 * agent may have issued it and died after: bytes it pointed the hypervisor
 * at that changed show it ran). For a shutdown, an agent panic or a
 * runaway; and for a hang with the vCPU in the agent's own code, which
 * loops on its broken state (a boot block that now says "external", a
 * mapping gone): a loop of the program's making, not the host's. Records
 * LOST on the call that wrote and returns true, or returns false.
 */
/* The call the guest was lost in, if it is one of the program's (NULL:
 * lost between calls); *hang_in_agent: a hang with the vCPU in the agent's
 * own code. Returns whether memory the program or the hypervisor wrote can
 * explain the loss at all: a declarable end, or such a hang. */
static bool memory_can_explain(const struct loss *l, const struct hcf_call_result **at_cr,
			       bool *hang_in_agent)
{
	bool at_valid = l->at < l->p->ncalls && l->at < l->r->ncalls;
	*at_cr = at_valid ? &l->r->calls[l->at] : NULL;
	*hang_in_agent = l->why == HCF_LIVE_HANG && *at_cr && (*at_cr)->has_lost_rip &&
			 hcf_oracle_agent_area((*at_cr)->lost_rip);
	return hcf_liveness_declarable(l->why) || *hang_in_agent;
}

static bool explained_by_self(const struct loss *l)
{
	const struct hcf_call_result *at_cr;
	bool hang_in_agent;
	if (!memory_can_explain(l, &at_cr, &hang_in_agent))
		return false;
	bool at_valid = at_cr != NULL;
	size_t upto = at_valid ? l->at : l->upto;
	if (upto == SIZE_MAX)
		return false;
	char text[200];
	size_t self = hcf_oracle_self_inflicted(l->abi, l->p, l->r, upto, at_valid ? l->at : SIZE_MAX,
						 text, sizeof(text));
	if (self == SIZE_MAX)
		return false;
	if (hang_in_agent) {
		size_t used = strlen(text);
		snprintf(text + used, sizeof(text) - used, "; the agent loops at 0x%llx",
			 (unsigned long long)at_cr->lost_rip);
	}
	record(l, self, HCF_V_LOST, text);
	return true;
}

/*
 * The guest died of a write the hypervisor made into the agent's own memory
 * where no call pointed it (hcf_oracle_stray_agent_write): the loss is
 * blamed on the call that pointed the hypervisor into that page, with the
 * verdict of an unexplained loss, so that a known anomaly of that call
 * (one naming how the guest then dies) can account for it. Without this a
 * guest that limps on (PVM's shadow paging keeps translations a program
 * made earlier in the same VM) was blamed on whatever destructive call came
 * last. For the same losses as explained_by_self. Records and returns true,
 * or returns false.
 */
static bool explained_by_stray_write(const struct loss *l)
{
	const struct hcf_call_result *at_cr;
	bool hang_in_agent;
	if (!memory_can_explain(l, &at_cr, &hang_in_agent))
		return false;
	char text[240];
	size_t by = hcf_oracle_stray_agent_write(l->abi, l->p, l->r, at_cr ? l->at : l->upto,
						 text, sizeof(text));
	if (by == SIZE_MAX)
		return false;
	record(l, by, lost_verdict(l->why), text);
	return true;
}

/*
 * A hang in a call that waits as long as a field of its struct says (waits:
 * in the spec, POLL's relative timeout): a correct VMM takes that long. The
 * plan and the fuzzer keep such a field below the spec's maximum, which the
 * call's watchdog covers; a program that asks for longer, or whose field
 * hcfuzz cannot read (a struct outside its buffers), is not judged: SKIP,
 * saying why. Records it and returns true.
 */
static bool hang_waits(const struct loss *l)
{
	const struct hcf_op *op = hcf_prog_call_op(l->p, l->at);
	if (!l->in_call || l->why != HCF_LIVE_HANG || !op)
		return false;
	const uint64_t *regs = l->r->calls[l->at].before;
	for (size_t i = 0; i < op->nargs; i++) {
		const struct hcf_arg *a = &op->args[i];
		if (a->struct_idx < 0 || !(a->dir & HCF_DIR_IN) || a->reg >= HCF_NGPR)
			continue;
		const struct hcf_struct *st = &l->abi->structs[a->struct_idx];
		uint64_t base = regs[a->reg] & hcf_x86_width_mask(a->width);
		for (size_t k = 0; k < st->nfields; k++) {
			const struct hcf_field *f = &st->fields[k];
			uint64_t v, max = hcf_field_waits_max(f);
			char text[200];
			if (!f->waits_unit_ns)
				continue;
			if (!hcf_oracle_found_field(l->abi, l->p, l->at, base + f->offset, f->size, &v))
				snprintf(text, sizeof(text), "not judged: %s waits as long as %s.%s says, "
					 "which lies outside the program's buffers (at 0x%llx): how long "
					 "is not known", op->name, st->name, f->name,
					 (unsigned long long)(base + f->offset));
			else if (v > max)
				snprintf(text, sizeof(text), "not judged: %s waits as long as %s.%s says, "
					 "%llu, longer than the %u ms the harness gives it", op->name,
					 st->name, f->name, (unsigned long long)v, f->waits_max_ms);
			else
				continue;
			record(l, l->at, HCF_V_SKIP, text);
			return true;
		}
	}
	return false;
}

static void judge_loss(const struct loss *l)
{
	char text[200];
	enum hcf_verdict unexplained = lost_verdict(l->why);
	size_t upto = l->upto;

	if (hang_waits(l))
		return;

	if (l->why == HCF_LIVE_HARNESS || upto == SIZE_MAX) {
		if (l->why != HCF_LIVE_HARNESS && explained_by_self(l))
			return;
		record(l, l->at, unexplained, "nothing the program did explains it");
		return;
	}
	/* Handed over to the program's code: every way the guest itself can
	 * end, garbage on the channel included, is the program's. */
	const struct hcf_op *at_op = hcf_prog_call_op(l->p, l->at);
	if (l->in_call && (hcf_liveness_declarable(l->why) || l->why == HCF_LIVE_PROTOCOL) &&
	    hcf_op_hands_over(at_op, l->r->calls[l->at].before)) {
		snprintf(text, sizeof(text), "%s hands the guest over to the program's code (%s): "
					     "how it ends is the program's; memory after it is not "
					     "judged", at_op->name, at_op->hands_over);
		record(l, l->at, HCF_V_LOST, text);
		return;
	}
	const struct hcf_loss *unknown = NULL;
	if (hcf_liveness_declarable(l->why)) {
		size_t by = declared_by(l, upto, &unknown);
		if (by != SIZE_MAX && by == l->at) {
			snprintf(text, sizeof(text), "%s declares it may end the guest so for these "
						     "inputs", op_name(l, by));
			record(l, by, HCF_V_LOST, text);
			return;
		}
		if (explained_by_self(l))
			return;
		if (by != SIZE_MAX) {
			const struct hcf_op *op = hcf_prog_call_op(l->p, by);
			snprintf(text, sizeof(text), "call %zu (%s) reconfigured the guest and declares it "
						     "may end it so for its inputs", by, op->name);
			record(l, by, HCF_V_LOST, text);
			return;
		}
	}
	if (l->why == HCF_LIVE_HANG && explained_by_self(l))
		return;
	if (explained_by_stray_write(l))
		return;
	if (unknown) {
		/* the call declares this end for memory hcfuzz cannot read (a
		 * field of a struct outside the program's buffers): not judged */
		snprintf(text, sizeof(text), "not judged: %s may end the guest so when %s, which "
			 "depends on guest memory outside the program's buffers", op_name(l, l->at),
			 unknown->what ? unknown->what : unknown->why ? unknown->why : "its ends: says");
		record(l, l->at, HCF_V_SKIP, text);
		return;
	}
	size_t d = last_destructive(l, l->in_call ? l->at : upto + 1);
	if (l->in_call) {
		const struct hcf_op *op = hcf_prog_call_op(l->p, l->at);
		if (op && op->destructive)
			d = l->at; /* it reconfigured the guest itself */
	}
	if (d == SIZE_MAX) {
		record(l, l->at, unexplained,
		       hcf_liveness_declarable(l->why) ?
			       "no call of the program declares this loss" :
			       "no spec can declare this: it is always a verdict");
		return;
	}
	if (d == l->at)
		snprintf(text, sizeof(text), "%s", hcf_liveness_declarable(l->why) ?
			 "it is destructive, but declares no such loss for these inputs" :
			 "no spec can declare this: it is always a verdict");
	else
		snprintf(text, sizeof(text), "%s", hcf_liveness_declarable(l->why) ?
			 "no call declares this loss; it is the last destructive call before it" :
			 "the last destructive call before it; no spec can declare this loss");
	record(l, d, unexplained, text);
}

void hcf_oracle_program_liveness(const struct hcf_abi *abi, const struct hcf_prog *p,
				 const struct hcf_prog_result *r, struct hcf_call_verdict *cvs)
{
	if (p->ncalls == 0 || !r->calls)
		return;
	/* the driver said what happened from the hand-over on */
	if (hcf_oracle_resumed_in_agent(abi, p, r) != SIZE_MAX)
		return;
	size_t n = r->ncalls < p->ncalls ? r->ncalls : p->ncalls;
	struct loss l = { .abi = abi, .p = p, .r = r, .cvs = cvs };
	/* A call the guest was lost in. */
	for (size_t i = 0; i < n; i++) {
		const struct hcf_call_result *cr = &r->calls[i];
		bool bad = cr->outcome == HCF_CO_BAD_RESULT && garbled_then_lost(r);
		if (cr->outcome != HCF_CO_HANG && cr->outcome != HCF_CO_GUEST_LOST && !bad)
			continue;
		l.at = i;
		l.upto = i;
		l.in_call = true;
		l.why = cr->outcome == HCF_CO_HANG ? HCF_LIVE_HANG : bad ? r->liveness : cr->lost_why;
		l.detail = bad ? (r->detail[0] ? r->detail : NULL) : cr->detail;
		l.garbled = bad;
		judge_loss(&l);
		return;
	}
	if (r->liveness == HCF_LIVE_OK)
		return;
	/* An untrusted result already says what went wrong. */
	for (size_t i = 0; i < n; i++)
		if (r->calls[i].outcome == HCF_CO_BAD_RESULT)
			return;
	/* Lost between calls: on the way to the first call that did not
	 * complete, or after the last. */
	size_t at = hcf_oracle_stop_index(r);
	/* no call ran at all (the target could not start the program): the
	 * loss goes on the first, explained by nothing before it */
	l.at = n == 0 ? 0 : at >= n ? n - 1 : at;
	l.upto = n == 0 ? SIZE_MAX : at >= n ? n - 1 : at ? at - 1 : SIZE_MAX;
	l.in_call = false;
	l.why = r->liveness;
	l.detail = r->detail[0] ? r->detail : NULL;
	judge_loss(&l);
}
