/*
 * oracle_model.c: the model oracle: what the call did equals what the ABI's
 * reference model predicted, and outputs the spec calls monotonic never go
 * back.
 *
 * A prediction says whether the call returns or raises an exception, and the
 * value of some registers and RFLAGS bits after it, and of OUT fields the
 * call writes into guest memory (read from the buffer after the program,
 * where no later call pointed the hypervisor at them). Registers are compared
 * only when the call returned: after an exception the hypervisor has not
 * produced outputs. A model may also predict the bytes a call writes behind
 * a buffer field (a block read's data). Outputs the spec marks
 * nondeterministic are not compared with the model; monotonic ones are
 * checked against the previous call of the same op in the same guest life,
 * with or without a model, since the relation comes from the spec itself;
 * so are struct fields, and a field that is the host's clock is held to the
 * window the run took place in.
 */
#include <stdio.h>

#include "oracles/oracle.h"

/* The op's output argument in register reg, or NULL. */
static const struct hcf_arg *output_arg(const struct hcf_op *op, unsigned reg)
{
	if (!op)
		return NULL;
	for (size_t i = 0; i < op->nargs; i++)
		if (op->args[i].reg == reg && (op->args[i].dir & HCF_DIR_OUT))
			return &op->args[i];
	return NULL;
}

/* The width in bits the value of reg is compared at. */
static unsigned reg_width(const struct hcf_abi *abi, const struct hcf_op *op, unsigned reg)
{
	const struct hcf_arg *a = output_arg(op, reg);
	unsigned w = 64;
	if (a)
		w = a->width;
	else if (op && op->ret_reg == reg)
		w = op->ret_width;
	else if (!op && abi->ret_reg == reg)
		w = abi->ret_width;
	return (w == 0 || w > 64) ? 64 : w;
}

/* Is this exception one the exception oracle reports already? */
static bool spec_disallows(const struct hcf_oracle_ctx *ctx, unsigned vector)
{
	uint32_t allowed = hcf_oracle_allowed_exceptions(ctx);
	return vector >= 32 || !(allowed & (1u << vector));
}

static void check_outcome(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
			  const struct hcf_expect *e, struct hcf_call_verdict *cv)
{
	char got[40], exp[40], why[200];
	struct hcf_loc loc = hcf_loc_of(HCF_LOC_EXCEPTION);
	switch (e->outcome) {
	case HCF_EXP_RETURN:
		/* One finding, one issue: a vector the spec forbids is the
		 * exception oracle's to report. */
		if (cr->outcome == HCF_CO_EXCEPTION && !spec_disallows(ctx, cr->vector))
			hcf_call_verdict_add_values(cv, HCF_V_FAIL, "model", &loc, HCF_EXC_RETURNED,
					     cr->vector,
					     "expected the call to return, got %s at rip 0x%llx; %s",
					     hcf_exc_format(got, sizeof(got), cr->vector, cr->error_code),
					     (unsigned long long)cr->fault_rip,
					     hcf_expect_why(e, why, sizeof(why)));
		break;
	case HCF_EXP_EXCEPTION:
		hcf_exc_format(exp, sizeof(exp), e->vector, 0);
		if (cr->outcome == HCF_CO_RETURNED && e->translated) {
			/* the deviation is the call's: it raised nothing (the
			 * contract's exception, not the vector delivery would
			 * have made of it, is what known anomalies name) */
			char raised[40];
			hcf_call_verdict_add_values(cv, HCF_V_FAIL, "model", &loc, e->raised,
					     HCF_EXC_RETURNED,
					     "expected %s (arriving as %s through the descriptor "
					     "tables the program loaded), but the call returned; %s",
					     hcf_exc_format(raised, sizeof(raised), e->raised, 0), exp,
					     hcf_expect_why(e, why, sizeof(why)));
		} else if (cr->outcome == HCF_CO_RETURNED)
			hcf_call_verdict_add_values(cv, HCF_V_FAIL, "model", &loc, e->vector,
					     HCF_EXC_RETURNED,
					     "expected %s, but the call returned; %s", exp,
					     hcf_expect_why(e, why, sizeof(why)));
		else if (cr->vector != e->vector && !e->exceptions_unknown)
			hcf_call_verdict_add_values(
				cv, HCF_V_FAIL, "model", &loc, e->vector, cr->vector,
				"expected %s, got %s; %s", exp,
				hcf_exc_format(got, sizeof(got), cr->vector, cr->error_code),
				hcf_expect_why(e, why, sizeof(why)));
		break;
	case HCF_EXP_UNKNOWN:
	default:
		break;
	}
}

static void check_known(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
			const struct hcf_expect *e, struct hcf_call_verdict *cv)
{
	for (unsigned known = e->known; known; known &= known - 1) {
		unsigned r = (unsigned)__builtin_ctz(known);
		if (r >= HCF_NGPR)
			break;
		const struct hcf_arg *a = output_arg(ctx->op, r);
		/* Nondeterministic outputs: no value to predict (monotonic
		 * ones are checked below, against their own history). */
		if (a && a->nondet != HCF_NONDET_NONE)
			continue;
		unsigned w = reg_width(ctx->abi, ctx->op, r);
		uint64_t m = hcf_x86_width_mask(w);
		if (((e->gpr[r] ^ cr->after[r]) & m) == 0)
			continue;
		char exp[80], got[80], why[200];
		struct hcf_loc loc = hcf_loc_reg(r);
		hcf_call_verdict_add_values(
			cv, HCF_V_FAIL, "model", &loc, e->gpr[r], cr->after[r],
			"expected %s got %s; %s",
			hcf_oracle_value_str(ctx->abi, ctx->op, e->gpr[r], w, exp, sizeof(exp)),
			hcf_oracle_value_str(ctx->abi, ctx->op, cr->after[r], w, got, sizeof(got)),
			hcf_expect_why(e, why, sizeof(why)));
	}

	uint64_t diff = (cr->rflags_after ^ e->rflags) & e->rflags_mask;
	while (diff) {
		unsigned bit = (unsigned)__builtin_ctzll(diff);
		diff &= diff - 1;
		struct hcf_loc loc = hcf_loc_flag(bit);
		char where[24];
		hcf_loc_format(&loc, where, sizeof(where));
		uint64_t want = (cr->rflags_after & ~e->rflags_mask) | (e->rflags & e->rflags_mask);
		char why[200];
		hcf_call_verdict_add_values(cv, HCF_V_FAIL, "model", &loc, want, cr->rflags_after,
					    "expected %s=%u got %u; %s", where + 7,
					    (unsigned)((e->rflags >> bit) & 1),
					    (unsigned)((cr->rflags_after >> bit) & 1),
					    hcf_expect_why(e, why, sizeof(why)));
	}
}

/* The spec's field of the struct the op's pointer input in reg points to,
 * at offset off; NULL if there is none. */
static const struct hcf_field *spec_field(const struct hcf_oracle_ctx *ctx, unsigned reg,
					  uint32_t off)
{
	for (size_t i = 0; ctx->op && i < ctx->op->nargs; i++) {
		const struct hcf_arg *a = &ctx->op->args[i];
		if (a->reg != reg || a->struct_idx < 0 || (size_t)a->struct_idx >= ctx->abi->nstructs)
			continue;
		const struct hcf_struct *st = &ctx->abi->structs[a->struct_idx];
		for (size_t k = 0; k < st->nfields; k++)
			if (st->fields[k].offset == off)
				return &st->fields[k];
	}
	return NULL;
}

/* The place of the size bytes at offset off of the struct reg points to,
 * in the program buffer that holds it; false when none does. */
static bool field_loc(const struct hcf_oracle_ctx *ctx, unsigned reg, uint32_t off, uint32_t size,
		      const char *name, struct hcf_loc *loc)
{
	int b;
	uint32_t at;
	if (!hcf_model_struct_at(ctx->prog, ctx->idx, reg, off + size, &b, &at) ||
	    (size_t)b >= ctx->res->nbufs)
		return false;
	*loc = hcf_loc_of(HCF_LOC_FIELD);
	loc->buf = (int16_t)b;
	loc->off = (int32_t)(at + off);
	loc->nbytes = size;
	loc->addr = ctx->res->bufs[b].gva + at + off;
	loc->end = loc->addr + size;
	snprintf(loc->name, sizeof(loc->name), "%s", name ? name : "field");
	return true;
}

/* The OUT fields the model predicted in guest memory, read from the buffer
 * after the program. A field a later call of the program pointed the
 * hypervisor at again holds that call's answer, not this one's: it is not
 * compared (hcf_model_out_field says so). Nor is a field the spec calls
 * nondeterministic: the model target needs a value to write there, the
 * oracle holds it to its relation instead (check_field_relations). */
static void check_fields(const struct hcf_oracle_ctx *ctx, const struct hcf_expect *e,
			 struct hcf_call_verdict *cv)
{
	for (unsigned k = 0; k < e->nfields && k < HCF_EXPECT_FIELDS; k++) {
		const struct hcf_expect_field *f = &e->fields[k];
		const struct hcf_field *sf = spec_field(ctx, f->reg, f->offset);
		uint64_t got;
		struct hcf_loc loc;
		if ((sf && sf->nondet != HCF_NONDET_NONE) ||
		    !hcf_model_out_field(ctx->abi, ctx->prog, ctx->res, ctx->idx, f->reg, f->offset,
					 f->size, &got) ||
		    !field_loc(ctx, f->reg, f->offset, f->size, f->name, &loc))
			continue;
		uint64_t m = f->size < 8 ? (1ull << (f->size * 8)) - 1 : ~0ull;
		if (((got ^ f->value) & m) == 0)
			continue;
		char why[200];
		hcf_call_verdict_add_values(cv, HCF_V_FAIL, "model", &loc, f->value, got & m,
					    "expected %s = 0x%llx got 0x%llx; %s",
					    f->name ? f->name : "the field",
					    (unsigned long long)f->value, (unsigned long long)(got & m),
					    hcf_expect_why(e, why, sizeof(why)));
	}
}

/*
 * The bytes the model predicted behind a buffer field (a block read's
 * data), read from the program buffer (guards included) that holds them
 * after the program, unless a later call pointed the hypervisor there.
 */
static void check_data(const struct hcf_oracle_ctx *ctx, const struct hcf_expect *e,
		       struct hcf_call_verdict *cv)
{
	const struct hcf_prog_result *r = ctx->res;
	uint64_t lo = e->data_addr, hi = lo + e->data_len;
	if (!e->data || !e->data_len || hi < lo)
		return;
	size_t last = hcf_oracle_last_ran(r);
	if (last != SIZE_MAX && last > ctx->idx &&
	    hcf_oracle_pointed_out(ctx->abi, ctx->prog, r, ctx->idx + 1, last, lo, hi, NULL) !=
		    SIZE_MAX)
		return;
	for (size_t b = 0; b < r->nbufs; b++) {
		const struct hcf_buf_after *ba = &r->bufs[b];
		uint64_t img = ba->gva - HCF_BUF_GUARD;
		if (!ba->valid || !ba->bytes || lo < img || hi > img + ba->size + 2 * HCF_BUF_GUARD)
			continue;
		const uint8_t *got = ba->bytes + (lo - img);
		uint32_t first = 0, n = 0;
		for (uint32_t i = 0; i < e->data_len; i++)
			if (got[i] != e->data[i] && !n++)
				first = i;
		if (!n)
			return;
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_FIELD);
		loc.buf = (int16_t)b;
		loc.off = (int32_t)(lo + first - ba->gva);
		loc.nbytes = n;
		loc.addr = lo + first;
		loc.end = hi;
		snprintf(loc.name, sizeof(loc.name), "%s", e->data_name ? e->data_name : "data");
		char why[200];
		hcf_call_verdict_add_values(cv, HCF_V_FAIL, "model", &loc, e->data[first], got[first],
					    "expected the %u bytes behind %s as predicted; %u differ, "
					    "the first at +%u: 0x%02x got 0x%02x; %s",
					    e->data_len, loc.name, n, first, e->data[first], got[first],
					    hcf_expect_why(e, why, sizeof(why)));
		return;
	}
}

/*
 * The previous call of the same op in this program that returned, within the
 * same guest life (a lost guest is rebuilt, and its clocks with it).
 */
static bool previous_call(const struct hcf_oracle_ctx *ctx, size_t *prev)
{
	const struct hcf_prog *p = ctx->prog;
	const struct hcf_prog_result *r = ctx->res;
	int op = hcf_pcall_op(p, &p->calls[ctx->idx]);
	for (size_t j = ctx->idx; j-- > 0;) {
		if (j >= r->ncalls || j >= p->ncalls)
			continue;
		enum hcf_call_outcome o = r->calls[j].outcome;
		if (o == HCF_CO_HANG || o == HCF_CO_GUEST_LOST)
			return false;
		if (hcf_pcall_op(p, &p->calls[j]) == op && o == HCF_CO_RETURNED) {
			*prev = j;
			return true;
		}
	}
	return false;
}

static void check_monotonic(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
			    struct hcf_call_verdict *cv)
{
	const struct hcf_op *op = ctx->op;
	size_t j;
	if (!op || cr->outcome != HCF_CO_RETURNED)
		return;
	bool any = false;
	for (size_t i = 0; i < op->nargs && !any; i++)
		any = op->args[i].nondet == HCF_NONDET_MONOTONIC;
	/* the backwards scan only for ops that have something to compare */
	if (!any || !previous_call(ctx, &j))
		return;
	for (size_t i = 0; i < op->nargs; i++) {
		const struct hcf_arg *a = &op->args[i];
		if (a->nondet != HCF_NONDET_MONOTONIC || !(a->dir & HCF_DIR_OUT) ||
		    a->reg >= HCF_NGPR)
			continue;
		uint64_t m = hcf_x86_width_mask(reg_width(ctx->abi, op, a->reg));
		uint64_t was = ctx->res->calls[j].after[a->reg] & m;
		uint64_t now = cr->after[a->reg] & m;
		if (now >= was)
			continue;
		struct hcf_loc loc = hcf_loc_reg(a->reg);
		struct hcf_issue *is = hcf_call_verdict_add_values(cv, HCF_V_FAIL, "model", &loc, was, now,
					    "%s is monotonic but went back from 0x%llx (call %zu) "
					    "to 0x%llx",
					    a->name ? a->name : hcf_reg_name(a->reg),
					    (unsigned long long)was, j, (unsigned long long)now);
		if (is)
			is->related = j; /* the earlier value it went back from */
	}
}

/*
 * Struct fields the spec calls nondeterministic keep their relation, with
 * or without a model: a monotonic field never goes back from the previous
 * call of the same op, a clock field is the host's clock while the run
 * took place (the window the executor took, widened by the spec's slack).
 */
static void check_field_relations(const struct hcf_oracle_ctx *ctx,
				  const struct hcf_call_result *cr, struct hcf_call_verdict *cv)
{
	const struct hcf_op *op = ctx->op;
	const struct hcf_prog_result *r = ctx->res;
	if (!op || cr->outcome != HCF_CO_RETURNED)
		return;
	for (size_t i = 0; i < op->nargs; i++) {
		const struct hcf_arg *a = &op->args[i];
		if (a->struct_idx < 0 || (size_t)a->struct_idx >= ctx->abi->nstructs)
			continue;
		const struct hcf_struct *st = &ctx->abi->structs[a->struct_idx];
		for (size_t k = 0; k < st->nfields; k++) {
			const struct hcf_field *f = &st->fields[k];
			char name[64], why[160];
			uint64_t now, was;
			size_t j;
			struct hcf_loc loc;
			snprintf(name, sizeof(name), "%s.%s", st->name, f->name);
			if (f->nondet == HCF_NONDET_NONE || f->size > 8 ||
			    !hcf_model_out_field(ctx->abi, ctx->prog, r, ctx->idx, a->reg, f->offset,
						 f->size, &now) ||
			    !field_loc(ctx, a->reg, f->offset, f->size, name, &loc))
				continue;
			if (f->nondet == HCF_NONDET_CLOCK && r->realtime_ns[0]) {
				uint64_t slack = (uint64_t)f->clock_slack_ms * 1000000ull;
				uint64_t lo = r->realtime_ns[0] > slack ? r->realtime_ns[0] - slack : 0;
				uint64_t hi = r->realtime_ns[1] + slack;
				if (now >= lo && now <= hi)
					continue;
				snprintf(why, sizeof(why), "%s = %llu is not the host's clock: the run took "
					 "place from %llu to %llu ns since the epoch (slack %u ms)", name,
					 (unsigned long long)now, (unsigned long long)r->realtime_ns[0],
					 (unsigned long long)r->realtime_ns[1], f->clock_slack_ms);
				hcf_call_verdict_add_values(cv, HCF_V_FAIL, "model", &loc, r->realtime_ns[0],
							    now, "%s", why);
			} else if (f->nondet == HCF_NONDET_MONOTONIC && previous_call(ctx, &j) &&
				   hcf_model_out_field(ctx->abi, ctx->prog, r, j, a->reg, f->offset,
						       f->size, &was) &&
				   now < was) {
				struct hcf_issue *is = hcf_call_verdict_add_values(
					cv, HCF_V_FAIL, "model", &loc, was, now,
					"%s is monotonic but went back from 0x%llx (call %zu) to 0x%llx",
					name, (unsigned long long)was, j, (unsigned long long)now);
				if (is)
					is->related = j;
			}
		}
	}
}

void hcf_oracle_model(const struct hcf_oracle_ctx *ctx, struct hcf_call_verdict *cv)
{
	const struct hcf_call_result *cr = &ctx->res->calls[ctx->idx];
	if (cr->outcome != HCF_CO_RETURNED && cr->outcome != HCF_CO_EXCEPTION)
		return;
	const struct hcf_expect *e = ctx->expect;
	if (e) {
		check_outcome(ctx, cr, e, cv);
		if (cr->outcome == HCF_CO_RETURNED && e->outcome != HCF_EXP_EXCEPTION) {
			check_known(ctx, cr, e, cv);
			check_fields(ctx, e, cv);
			check_data(ctx, e, cv);
		}
	}
	check_monotonic(ctx, cr, cv);
	check_field_relations(ctx, cr, cv);
}
