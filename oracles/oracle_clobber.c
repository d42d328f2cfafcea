/*
 * oracle_clobber.c: the clobber oracle: a call changes only what its contract
 * lets it change.
 *
 * Every general-purpose register, RSP included (the agent records the stack
 * pointer at the call, and an exception frame carries the RSP at the fault),
 * must keep its value unless it is an output, a declared clobber or an
 * architectural clobber of the transport (or, at an exception delivered
 * inside the transport's own code, a register that code holds). RFLAGS: every architectural bit the
 * target captures may change only where the op declares it (and CF under the
 * carry convention). Vector
 * registers, where the target captured them, must not change at all: no spec
 * gives a hypercall XMM outputs.
 */
#include <stdio.h>
#include <string.h>

#include "oracles/oracle.h"
#include "spec/transport.h"
#include "util/x86.h"

static const char *who(const struct hcf_oracle_ctx *ctx)
{
	return ctx->op ? ctx->op->name : "an undeclared number";
}

static void check_gprs(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
		       struct hcf_call_verdict *cv)
{
	hcf_regmask_t may = ctx->op ? hcf_op_may_change(ctx->abi, ctx->op)
				    : hcf_abi_undeclared_may_change(ctx->abi);
	/* an exception inside the transport's own code (the hypercall page):
	 * the registers that code holds are its, not the call's */
	if (cr->outcome == HCF_CO_EXCEPTION)
		may |= hcf_xport_inflight_regs(&ctx->abi->transport, cr->fault_rip);
	for (unsigned r = 0; r < HCF_NGPR; r++) {
		if (cr->before[r] == cr->after[r] || (may & HCF_REGBIT(r)))
			continue;
		struct hcf_loc loc = hcf_loc_reg(r);
		hcf_call_verdict_add_values(cv, HCF_V_FAIL, "clobber", &loc, cr->before[r],
					    cr->after[r],
					    "%s changed, but it is not an output, declared clobber or "
					    "transport clobber of %s",
					    hcf_reg_name(r), who(ctx));
	}
}

/* One 32-bit output whose upper half is not zero. */
static void zext_issue(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
		       struct hcf_call_verdict *cv, unsigned r)
{
	if (!(cr->after[r] >> 32))
		return;
	struct hcf_loc loc = hcf_loc_reg(r);
	hcf_call_verdict_add_values(cv, HCF_V_FAIL, "clobber", &loc, cr->after[r] & 0xffffffffull,
				    cr->after[r],
				    "%s is a 32-bit output of %s, written as a 32-bit register: its "
				    "upper half must be zero",
				    hcf_reg_name(r), who(ctx));
}

/*
 * outputs_zero_extend: every output named by its 32-bit register (and a
 * 32-bit return register) comes back with its upper half zero, after a call
 * that returned; an exception's frame is another story.
 */
static void check_zero_extend(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
			      struct hcf_call_verdict *cv)
{
	if (!ctx->abi->outputs_zero_extend || cr->outcome != HCF_CO_RETURNED)
		return;
	hcf_regmask_t done = 0;
	const struct hcf_op *op = ctx->op;
	unsigned ret = op ? op->ret_reg : ctx->abi->ret_reg;
	unsigned ret_width = op ? op->ret_width : ctx->abi->ret_width;
	if (ret < HCF_NGPR && ret_width == 32) {
		zext_issue(ctx, cr, cv, ret);
		done |= HCF_REGBIT(ret);
	}
	for (size_t i = 0; op && i < op->nargs; i++) {
		const struct hcf_arg *a = &op->args[i];
		if ((a->dir & HCF_DIR_OUT) && a->width == 32 && a->reg < HCF_NGPR &&
		    !(done & HCF_REGBIT(a->reg))) {
			zext_issue(ctx, cr, cv, a->reg);
			done |= HCF_REGBIT(a->reg);
		}
	}
}

static void check_rflags(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
			 struct hcf_call_verdict *cv)
{
	enum hcf_err_conv err = ctx->op ? ctx->op->err : ctx->abi->err;
	uint64_t allowed = ctx->op ? ctx->op->rflags_may_change : 0;
	/* The carry convention reports errors in CF: changing it is the point. */
	if (err == HCF_ERR_CARRY)
		allowed |= HCF_X86_RFLAGS_CF;
	/* After a fault (or an abort) the flags are the frame's, where the CPU
	 * sets RF. */
	if (cr->outcome == HCF_CO_EXCEPTION && hcf_x86_exc_sets_rf(cr->vector))
		allowed |= HCF_X86_RFLAGS_RF;
	uint64_t diff = (cr->rflags_before ^ cr->rflags_after) & hcf_oracle_rflags_compared(ctx->tinfo) & ~allowed;
	/* only the bits that differ: this runs for every call */
	while (diff) {
		unsigned bit = (unsigned)__builtin_ctzll(diff);
		diff &= diff - 1;
		struct hcf_loc loc = hcf_loc_flag(bit);
		char where[24];
		hcf_loc_format(&loc, where, sizeof(where));
		hcf_call_verdict_add_values(cv, HCF_V_FAIL, "clobber", &loc, cr->rflags_before,
					    cr->rflags_after,
					    "%s changed from %u to %u, but %s may not change it",
					    where + 7, (unsigned)((cr->rflags_before >> bit) & 1),
					    (unsigned)((cr->rflags_after >> bit) & 1), who(ctx));
	}
}

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void check_vec(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
		      struct hcf_call_verdict *cv)
{
	if (!cr->has_vec || !cr->vec)
		return;
	for (unsigned x = 0; x < 16; x++) {
		const uint8_t *b = cr->vec->before.xmm[x], *a = cr->vec->after.xmm[x];
		if (!memcmp(a, b, 16))
			continue;
		unsigned first = 16, ndiff = 0;
		for (unsigned i = 0; i < 16; i++)
			if (a[i] != b[i]) {
				ndiff++;
				if (first == 16)
					first = i;
			}
		/* expected/got: the 8-byte half holding the first change. */
		unsigned half = first < 8 ? 0 : 8;
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_XMM);
		loc.reg = (uint8_t)x;
		hcf_call_verdict_add_values(cv, HCF_V_FAIL, "clobber", &loc, load_le64(b + half),
					    load_le64(a + half),
					    "xmm%u changed (%u of 16 bytes, first at byte %u; values are "
					    "bytes %u..%u): no call may change vector registers",
					    x, ndiff, first, half, half + 7);
	}
}

void hcf_oracle_clobber(const struct hcf_oracle_ctx *ctx, struct hcf_call_verdict *cv)
{
	const struct hcf_call_result *cr = &ctx->res->calls[ctx->idx];
	if (cr->outcome != HCF_CO_RETURNED && cr->outcome != HCF_CO_EXCEPTION)
		return;
	/* An exception through descriptor tables the program loaded reached
	 * one of the agent's handlers for another vector, which read the
	 * registers from a frame it did not lay out: its report says nothing
	 * about what the call changed. */
	if (cr->outcome == HCF_CO_EXCEPTION && ctx->expect && ctx->expect->exceptions_unknown) {
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_NONE);
		snprintf(loc.name, sizeof(loc.name), "registers");
		hcf_call_verdict_add(cv, HCF_V_SKIP, "clobber", &loc,
				     "registers not judged: %s, and the exception reached an agent "
				     "handler that read them from a frame it did not lay out",
				     ctx->expect->exceptions_unknown);
		return;
	}
	check_gprs(ctx, cr, cv);
	check_zero_extend(ctx, cr, cv);
	check_rflags(ctx, cr, cv);
	check_vec(ctx, cr, cv);
}
