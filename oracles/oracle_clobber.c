/*
 * oracle_clobber.c: the clobber oracle: a call changes only what its contract
 * lets it change.
 *
 * Every general-purpose register, RSP included (the agent records the stack
 * pointer at the call, and an exception frame carries the RSP at the fault),
 * must keep its value unless it is an output, a declared clobber or an
 * architectural clobber of the transport. RFLAGS: the compared bits may change
 * only where the op declares it (and CF under the carry convention). Vector
 * registers, where the target captured them, must not change at all: no spec
 * gives a hypercall XMM outputs.
 */
#include <stdio.h>
#include <string.h>

#include "oracles/oracle.h"

/* RFLAGS bit names, by bit number. */
static const char *const rflags_names[32] = {
	[0] = "CF",   [2] = "PF",   [4] = "AF",   [6] = "ZF",  [7] = "SF",
	[8] = "TF",   [9] = "IF",   [10] = "DF",  [11] = "OF", [12] = "IOPL0",
	[13] = "IOPL1", [14] = "NT", [16] = "RF",  [17] = "VM", [18] = "AC",
	[19] = "VIF", [20] = "VIP", [21] = "ID",
};

const char *hcf_rflags_bit_name(unsigned bit)
{
	return bit < 32 ? rflags_names[bit] : NULL;
}

static const char *who(const struct hcf_oracle_ctx *ctx)
{
	return ctx->op ? ctx->op->name : "an undeclared number";
}

static void check_gprs(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
		       struct hcf_call_verdict *cv)
{
	hcf_regmask_t may = ctx->op ? hcf_op_may_change(ctx->abi, ctx->op)
				    : hcf_abi_undeclared_may_change(ctx->abi);
	for (unsigned r = 0; r < HCF_NGPR; r++) {
		if (cr->before[r] == cr->after[r] || (may & HCF_REGBIT(r)))
			continue;
		hcf_call_verdict_add_values(cv, HCF_V_FAIL, "clobber", hcf_reg_name(r), cr->before[r],
					    cr->after[r],
					    "%s changed, but it is not an output, declared clobber or "
					    "transport clobber of %s",
					    hcf_reg_name(r), who(ctx));
	}
}

static void check_rflags(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
			 struct hcf_call_verdict *cv)
{
	enum hcf_err_conv err = ctx->op ? ctx->op->err : ctx->abi->err;
	uint64_t allowed = ctx->op ? ctx->op->rflags_may_change : 0;
	/* The carry convention reports errors in CF: changing it is the point. */
	if (err == HCF_ERR_CARRY)
		allowed |= HCF_RFLAGS_CF;
	uint64_t diff = (cr->rflags_before ^ cr->rflags_after) & HCF_RFLAGS_COMPARED & ~allowed;
	/* only the bits that differ: this runs for every call */
	while (diff) {
		unsigned bit = (unsigned)__builtin_ctzll(diff);
		diff &= diff - 1;
		const char *name = hcf_rflags_bit_name(bit);
		char where[24];
		if (name)
			snprintf(where, sizeof(where), "rflags.%s", name);
		else
			snprintf(where, sizeof(where), "rflags.bit%u", bit);
		hcf_call_verdict_add_values(cv, HCF_V_FAIL, "clobber", where, cr->rflags_before,
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
		char where[8];
		snprintf(where, sizeof(where), "xmm%u", x);
		hcf_call_verdict_add_values(cv, HCF_V_FAIL, "clobber", where, load_le64(b + half),
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
	check_gprs(ctx, cr, cv);
	check_rflags(ctx, cr, cv);
	check_vec(ctx, cr, cv);
}
