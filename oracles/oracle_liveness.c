/*
 * oracle_liveness.c: the liveness oracle: did the call come back?
 *
 * A hang is HANG, a lost guest is CRASH (unless the spec says the call may
 * kill the guest), a result the harness cannot trust is ERROR, and a call the
 * program never reached is SKIP with the call it stopped at. The program part
 * catches a guest lost between calls, which no call outcome records.
 *
 * A program can sabotage the agent through the hypervisor: a call whose
 * argument points a struct's OUT fields at the agent's page tables, IDT,
 * code or mailbox has the hypervisor write there, as it must. The guest lost
 * after that is the program's doing: SKIP, naming the call, not CRASH.
 */
#include <stdint.h>
#include <stdio.h>

#include "oracles/oracle.h"

/* How each way of losing the guest is judged and described. The harness
 * failing is not the hypervisor's fault: ERROR, not CRASH. */
static const struct {
	enum hcf_verdict v;
	const char *what;
} lost_table[HCF_LIVE_COUNT] = {
	[HCF_LIVE_OK] = { HCF_V_CRASH, "the guest was lost for no recorded reason" },
	[HCF_LIVE_HANG] = { HCF_V_HANG, "no progress within the watchdog" },
	[HCF_LIVE_SHUTDOWN] = { HCF_V_CRASH, "the guest shut down (triple fault)" },
	[HCF_LIVE_INTERNAL_ERROR] = { HCF_V_CRASH, "KVM internal error" },
	[HCF_LIVE_ENTRY_FAILED] = { HCF_V_CRASH, "KVM could not enter the guest again" },
	[HCF_LIVE_AGENT_PANIC] = { HCF_V_CRASH, "the agent panicked (exception outside a call)" },
	[HCF_LIVE_PROTOCOL] = { HCF_V_CRASH, "the guest's mailbox held garbage" },
	[HCF_LIVE_UNEXPECTED_EXIT] = { HCF_V_CRASH, "the VM exited in a way the VMM does not expect" },
	[HCF_LIVE_HARNESS] = { HCF_V_ERROR, "the harness or the host failed" },
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

size_t hcf_oracle_last_ran(const struct hcf_prog_result *r)
{
	if (!r->calls)
		return SIZE_MAX;
	for (size_t i = r->ncalls; i-- > 0;)
		if (r->calls[i].outcome != HCF_CO_NOT_RUN)
			return i;
	return SIZE_MAX;
}

/* Guest memory the agent cannot lose without losing the guest: everything
 * below the arena but the VIF page, which is the hypervisor's to write. */
static const struct {
	uint64_t lo, hi;
	const char *what;
} agent_private[] = {
	{ HCF_GPA_BOOT, HCF_GPA_VIF, "boot block, GDT and IDT" },
	{ HCF_GPA_HCPAGE, HCF_GPA_PGTABLES, "hypercall page" },
	{ HCF_GPA_PGTABLES, HCF_GPA_STACK_LO, "page tables" },
	{ HCF_GPA_STACK_LO, HCF_GPA_XSTACK_HI, "stacks" },
	{ HCF_GPA_AGENT, HCF_GPA_AGENT + HCF_AGENT_MAX, "code and data" },
	{ HCF_GPA_MBOX, HCF_GPA_MBOX + HCF_MBOX_SIZE, "mailbox" },
};

/*
 * Did a call up to upto point an OUT field at the agent's own memory? Then
 * the lost guest is excused: a SKIP issue naming that call, and true.
 */
static bool self_inflicted(const struct hcf_abi *abi, const struct hcf_prog *p,
			   const struct hcf_prog_result *r, size_t upto, const char *where,
			   struct hcf_call_verdict *cv)
{
	for (size_t k = 0; k < sizeof(agent_private) / sizeof(agent_private[0]); k++) {
		size_t at = hcf_oracle_pointed_out(abi, p, r, 0, upto, agent_private[k].lo,
						   agent_private[k].hi, NULL);
		if (at == SIZE_MAX)
			continue;
		const struct hcf_op *op = hcf_oracle_call_op(abi, p, at);
		hcf_call_verdict_add(cv, HCF_V_SKIP, "liveness", where,
				     "guest lost after call %zu (%s) had the hypervisor write into the "
				     "agent's %s: the program's doing, not the hypervisor's",
				     at, op ? op->name : "?", agent_private[k].what);
		return true;
	}
	return false;
}

static bool may_lose_guest(const struct hcf_oracle_ctx *ctx)
{
	return (ctx->op && ctx->op->destructive) || (ctx->expect && ctx->expect->may_lose_guest);
}

static void check_not_run(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
			  struct hcf_call_verdict *cv)
{
	const struct hcf_prog_result *r = ctx->res;
	size_t stop = hcf_oracle_stop_index(r);
	if (cr->detail) /* the target said why it did not run this one call */
		hcf_call_verdict_add(cv, HCF_V_SKIP, "liveness", "outcome", "%s", cr->detail);
	else if (stop < ctx->idx && r->calls[stop].outcome != HCF_CO_NOT_RUN)
		hcf_call_verdict_add(cv, HCF_V_SKIP, "liveness", "outcome",
				     "not run: the program stopped at call %zu (%s)", stop,
				     hcf_call_outcome_name(r->calls[stop].outcome));
	else if (r->liveness == HCF_LIVE_OK && !r->detail[0])
		hcf_call_verdict_add(cv, HCF_V_SKIP, "liveness", "outcome",
				     "not run: the program stopped before call %zu",
				     stop < ctx->idx ? stop : ctx->idx);
	else
		hcf_call_verdict_add(cv, HCF_V_SKIP, "liveness", "outcome",
				     "not run: the program stopped before call %zu (%s%s%.*s)",
				     stop < ctx->idx ? stop : ctx->idx, hcf_liveness_name(r->liveness),
				     r->detail[0] ? ": " : "", (int)sizeof(r->detail), r->detail);
}

static void check_hang(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
		       struct hcf_call_verdict *cv)
{
	/* A destructive call may take the guest down, and a guest that never
	 * comes back is as lost as one that shut down (a fuzzer found event
	 * returns through a bogus frame spinning in PVM forever). */
	if (may_lose_guest(ctx) || self_inflicted(ctx->abi, ctx->prog, ctx->res, ctx->idx, "outcome", cv))
		return;
	hcf_call_verdict_add(cv, HCF_V_HANG, "liveness", "outcome",
			     "no progress within the watchdog%s%s%s",
			     cr->detail ? " (" : "", cr->detail ? cr->detail : "",
			     cr->detail ? ")" : "");
}

static void check_lost(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
		       struct hcf_call_verdict *cv)
{
	enum hcf_verdict v = lost_verdict(cr->lost_why);
	/* The spec allows a destructive call to take the guest down; a harness
	 * failure is never the call's doing. */
	if (v == HCF_V_CRASH &&
	    (may_lose_guest(ctx) || self_inflicted(ctx->abi, ctx->prog, ctx->res, ctx->idx, "outcome", cv)))
		return;
	hcf_call_verdict_add(cv, v, "liveness", "outcome", "guest lost during the call: %s (%s)%s%s",
			     lost_what(cr->lost_why), hcf_liveness_name(cr->lost_why),
			     cr->detail ? ": " : "", cr->detail ? cr->detail : "");
}

static void check_bad(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
		      struct hcf_call_verdict *cv)
{
	hcf_call_verdict_add(cv, HCF_V_ERROR, "liveness", "outcome",
			     "the guest's report of this call cannot be trusted%s%s",
			     cr->detail ? ": " : "", cr->detail ? cr->detail : "");
}

typedef void (*outcome_fn)(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
			   struct hcf_call_verdict *cv);

/* One row per outcome; NULL: the call came back, nothing to say. */
static const outcome_fn outcome_table[HCF_CO_COUNT] = {
	[HCF_CO_NOT_RUN] = check_not_run,
	[HCF_CO_RETURNED] = NULL,
	[HCF_CO_EXCEPTION] = NULL,
	[HCF_CO_HANG] = check_hang,
	[HCF_CO_GUEST_LOST] = check_lost,
	[HCF_CO_BAD_RESULT] = check_bad,
};

void hcf_oracle_liveness(const struct hcf_oracle_ctx *ctx, struct hcf_call_verdict *cv)
{
	const struct hcf_call_result *cr = &ctx->res->calls[ctx->idx];
	if ((unsigned)cr->outcome >= HCF_CO_COUNT) {
		hcf_call_verdict_add(cv, HCF_V_ERROR, "liveness", "outcome",
				     "the target reported an unknown outcome %u",
				     (unsigned)cr->outcome);
		return;
	}
	if (outcome_table[cr->outcome])
		outcome_table[cr->outcome](ctx, cr, cv);
}

void hcf_oracle_program_liveness(const struct hcf_abi *abi, const struct hcf_prog *p,
				 const struct hcf_prog_result *r, struct hcf_call_verdict *cvs)
{
	if (r->liveness == HCF_LIVE_OK || p->ncalls == 0 || !r->calls)
		return;
	size_t n = r->ncalls < p->ncalls ? r->ncalls : p->ncalls;
	/* A call outcome that already says the guest was lost covers it. */
	for (size_t i = 0; i < n; i++) {
		enum hcf_call_outcome o = r->calls[i].outcome;
		if (o == HCF_CO_HANG || o == HCF_CO_GUEST_LOST || o == HCF_CO_BAD_RESULT)
			return;
	}
	/* Lost between calls: blame the first call that did not complete (the
	 * agent was on its way to it), or the last call after a full run. */
	size_t at = hcf_oracle_stop_index(r);
	if (at >= n)
		at = n - 1;
	enum hcf_liveness why = r->liveness;
	if (lost_verdict(why) != HCF_V_ERROR && self_inflicted(abi, p, r, at, "program", &cvs[at]))
		return;
	hcf_call_verdict_add(&cvs[at], lost_verdict(why), "liveness", "program",
			     "guest lost outside a call: %s (%s)%s%.*s", lost_what(why),
			     hcf_liveness_name(why), r->detail[0] ? ": " : "",
			     (int)sizeof(r->detail), r->detail);
}
