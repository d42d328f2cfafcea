/*
 * oracle_retval.c: the return-value oracle: the value a call returns is one
 * the spec allows, and an error is encoded the way the ABI's convention says.
 *
 * Conventions, one checker each (a table indexed by enum hcf_err_conv):
 * - negative errno: a value in [-4095, -1] is an error and must be -e for an
 *   allowed e; anything else must be an allowed success value. Two encoding
 *   mistakes get their own message: an error returned as a positive number,
 *   and a 32-bit -errno not sign-extended into a 64-bit register.
 * - carry: CF set means the register holds an allowed error code, CF clear
 *   an allowed success value.
 * - none: the value is in the returns set (or is one of the raw error codes).
 * - status field: the status lives in a structure the call writes; 0 is
 *   success, anything else must be an allowed error.
 * An undeclared call must return a value its undeclared contract allows: the
 * ABI's, or for an unknown sub-operation its call's (hcf_pcall_undeclared).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "oracles/oracle.h"
#include "util/x86.h"

#define ERRNO_MAX 4095 /* the Linux convention: -4095..-1 are errors */

struct rv {
	const struct hcf_oracle_ctx *ctx;
	const struct hcf_call_result *cr;
	const struct hcf_op *op;
	unsigned reg, width;
	struct hcf_loc loc; /* the return register as a place */
	uint64_t raw;   /* the register as the guest saw it */
	int64_t v;      /* sign-extended from width */
};

/* The index of error e in op's list, or -1. */
static int error_index(const struct hcf_op *op, int64_t e)
{
	for (size_t i = 0; i < op->nerrors; i++)
		if (op->errors[i] == e)
			return (int)i;
	return -1;
}

static bool op_has_error(const struct hcf_op *op, int64_t e)
{
	return error_index(op, e) >= 0;
}

/*
 * Is the success set a constraint? The loader turns an absent "returns:" into
 * `any`, so an empty set is the spec saying "no success value at all"
 * (returns: [] for a call that only fails), and is enforced.
 */
static bool returns_declared(const struct hcf_vset *s)
{
	return !s->any;
}

/* "0, 0x10..0x20" into buf. */
static void format_vset(char *buf, size_t len, const struct hcf_vset *s)
{
	size_t used = 0;
	buf[0] = '\0';
	if (s->any) {
		snprintf(buf, len, "any");
		return;
	}
	if (s->n == 0) {
		snprintf(buf, len, "none");
		return;
	}
	for (size_t i = 0; i < s->n && used < len; i++) {
		int k;
		if (s->r[i].lo == s->r[i].hi)
			k = snprintf(buf + used, len - used, "%s%lld", i ? ", " : "",
				     (long long)s->r[i].lo);
		else
			k = snprintf(buf + used, len - used, "%s%lld..%lld", i ? ", " : "",
				     (long long)s->r[i].lo, (long long)s->r[i].hi);
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

/* The allowed errors by name where the constants table has one. */
static void format_errors(char *buf, size_t len, const struct hcf_abi *abi, const struct hcf_op *op,
			  bool negative)
{
	size_t used = 0;
	buf[0] = '\0';
	if (op->nerrors == 0) {
		snprintf(buf, len, "none");
		return;
	}
	for (size_t i = 0; i < op->nerrors && used < len; i++) {
		char name[64];
		int64_t e = negative ? -op->errors[i] : op->errors[i];
		const char *n = hcf_spec_value_name(abi, op, e, name, sizeof(name));
		int k = n ? snprintf(buf + used, len - used, "%s%s", i ? ", " : "", n)
			  : snprintf(buf + used, len - used, "%s%lld", i ? ", " : "", (long long)e);
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

static const char *val(const struct rv *rv, uint64_t v, char *buf, size_t len)
{
	return hcf_oracle_value_str(rv->ctx->abi, rv->op, v, rv->width, buf, len);
}

static void fail_not_allowed(const struct rv *rv, struct hcf_call_verdict *cv, const char *what)
{
	char got[80], ok[64];
	format_vset(ok, sizeof(ok), &rv->op->returns);
	hcf_call_verdict_add(cv, HCF_V_FAIL, "retval", &rv->loc,
			     "%s: got %s; allowed returns: %s", what, val(rv, rv->raw, got, sizeof(got)),
			     ok);
}

/*
 * Each convention is a classifier (what the value is: success, one of the
 * op's errors, or neither) and an explanation of "neither" for the verdict.
 * The oracle fails exactly what the classifier calls undeclared, and the
 * coverage matrix counts the same classes (hcf_oracle_retval_class).
 */
static enum hcf_rv_class class_neg_errno(const struct rv *rv, int *err)
{
	const struct hcf_op *op = rv->op;
	bool declared_ok = hcf_vset_contains(&op->returns, rv->v);
	if (rv->v >= -ERRNO_MAX && rv->v <= -1) {
		if ((*err = error_index(op, -rv->v)) >= 0)
			return HCF_RV_ERROR;
		/* An explicit success range covering it wins (a call returning
		 * small negative numbers on success); "any" does not, since it
		 * means "any success value", not "any error". */
		return declared_ok && !op->returns.any ? HCF_RV_SUCCESS : HCF_RV_UNDECLARED;
	}
	/* an absent returns: is any, which every non-error value is in */
	return declared_ok ? HCF_RV_SUCCESS : HCF_RV_UNDECLARED;
}

static void explain_neg_errno(const struct rv *rv, struct hcf_call_verdict *cv)
{
	const struct hcf_op *op = rv->op;
	char got[80], exp[80], errs[96];
	if (rv->v >= -ERRNO_MAX && rv->v <= -1) {
		format_errors(errs, sizeof(errs), rv->ctx->abi, op, true);
		hcf_call_verdict_add(cv, HCF_V_FAIL, "retval", &rv->loc,
				     "error %s not allowed for this call; allowed errors: %s",
				     val(rv, rv->raw, got, sizeof(got)), errs);
		return;
	}
	/* 0x00000000fffffc18: a 32-bit -errno stored without sign extension. */
	if (rv->width == 64 && (rv->raw >> 32) == 0) {
		int64_t low = hcf_sext(rv->raw, 32);
		if (low >= -ERRNO_MAX && low <= -1 && op_has_error(op, -low)) {
			uint64_t want = (uint64_t)low;
			hcf_call_verdict_add_values(cv, HCF_V_FAIL, "retval", &rv->loc,
						    want, rv->raw,
						    "error not sign-extended to 64 bits: expected %s, "
						    "got 0x%llx",
						    val(rv, want, exp, sizeof(exp)),
						    (unsigned long long)rv->raw);
			return;
		}
	}
	if (rv->v > 0 && op_has_error(op, rv->v)) {
		uint64_t want = (uint64_t)-rv->v;
		hcf_call_verdict_add_values(cv, HCF_V_FAIL, "retval", &rv->loc, want,
					    rv->raw, "error returned as positive errno: expected %s",
					    val(rv, want, exp, sizeof(exp)));
		return;
	}
	fail_not_allowed(rv, cv, "return value not allowed for this call");
}

/* CF set: the register holds an error code; clear: a success value. */
static enum hcf_rv_class class_carry(const struct rv *rv, int *err)
{
	if (rv->cr->rflags_after & HCF_X86_RFLAGS_CF)
		return (*err = error_index(rv->op, rv->v)) >= 0 ? HCF_RV_ERROR : HCF_RV_UNDECLARED;
	return hcf_vset_contains(&rv->op->returns, rv->v) ? HCF_RV_SUCCESS : HCF_RV_UNDECLARED;
}

static void explain_carry(const struct rv *rv, struct hcf_call_verdict *cv)
{
	const struct hcf_op *op = rv->op;
	char got[80], errs[96];
	if (rv->cr->rflags_after & HCF_X86_RFLAGS_CF) {
		format_errors(errs, sizeof(errs), rv->ctx->abi, op, false);
		hcf_call_verdict_add(cv, HCF_V_FAIL, "retval", &rv->loc,
				     "CF set but %s is not an allowed error code; allowed errors: %s",
				     val(rv, rv->raw, got, sizeof(got)), errs);
		return;
	}
	if (op_has_error(op, rv->v)) {
		struct hcf_loc cf_loc = hcf_loc_flag(0);
		hcf_call_verdict_add_values(cv, HCF_V_FAIL, "retval", &cf_loc,
					    rv->cr->rflags_after | HCF_X86_RFLAGS_CF, rv->cr->rflags_after,
					    "error code without CF: %s in %s is an error code, not a "
					    "success value, but CF is clear",
					    val(rv, rv->raw, got, sizeof(got)), hcf_reg_name(rv->reg));
		return;
	}
	fail_not_allowed(rv, cv, "CF clear and the value is not an allowed success value");
}

/* No convention: the value is one of the raw error codes or in returns. */
static enum hcf_rv_class class_none(const struct rv *rv, int *err)
{
	if ((*err = error_index(rv->op, rv->v)) >= 0)
		return HCF_RV_ERROR;
	return hcf_vset_contains(&rv->op->returns, rv->v) ? HCF_RV_SUCCESS : HCF_RV_UNDECLARED;
}

static void explain_none(const struct rv *rv, struct hcf_call_verdict *cv)
{
	fail_not_allowed(rv, cv, "return value not allowed for this call");
}

/* Why the status cannot be read, when the caller wants to know (why may be
 * NULL: the coverage matrix asks only whether, for every call). */
static void __attribute__((format(printf, 3, 4))) say(char *why, size_t ylen, const char *fmt, ...)
{
	if (!why || !ylen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, ylen, fmt, ap);
	va_end(ap);
}

/*
 * Find the status field: the op's pointer argument to the status structure,
 * the buffer the program pointed it at, the field inside that buffer's bytes
 * after the call. Everything here is bounds-checked: offsets come from the
 * program (possibly fuzzed), bytes from the guest.
 */
int hcf_oracle_status_place(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			    const struct hcf_op *op, int *buf, int64_t *off,
			    const struct hcf_struct **st_out, const struct hcf_field **field, char *why,
			    size_t ylen)
{
	if (op->status_struct < 0 || (size_t)op->status_struct >= abi->nstructs) {
		say(why, ylen, "the spec names no status structure");
		return -1;
	}
	const struct hcf_struct *st = &abi->structs[op->status_struct];
	if (op->status_field < 0 || (size_t)op->status_field >= st->nfields) {
		say(why, ylen, "the spec names no status field in %s", st->name);
		return -1;
	}
	const struct hcf_field *f = &st->fields[op->status_field];
	if (f->size == 0 || f->size > 8) {
		say(why, ylen, "status field %s.%s is %u bytes (1..8 supported)", st->name,
		    f->name, f->size);
		return -1;
	}
	const struct hcf_arg *arg = NULL;
	for (size_t i = 0; i < op->nargs; i++)
		if (op->args[i].struct_idx == op->status_struct && op->args[i].reg < HCF_NGPR) {
			arg = &op->args[i];
			break;
		}
	if (!arg) {
		say(why, ylen, "no argument of the call points to %s", st->name);
		return -1;
	}
	const struct hcf_bufref *ref = &p->calls[idx].ref[arg->reg];
	if (ref->buf < 0 || (size_t)ref->buf >= p->nbufs || ref->buf >= (int)HCF_PROG_MAX_BUFS) {
		say(why, ylen, "%s does not point into a program buffer", hcf_reg_name(arg->reg));
		return -1;
	}
	int64_t o = (int64_t)ref->offset + f->offset;
	if (ref->offset < 0 || o + f->size > (int64_t)p->bufs[ref->buf].size) {
		say(why, ylen, "%s.%s at buf%d+%lld lies outside the buffer", st->name, f->name,
		    ref->buf, (long long)o);
		return -1;
	}
	*buf = ref->buf;
	*off = o;
	*st_out = st;
	*field = f;
	return 0;
}

int hcf_oracle_status(const struct hcf_abi *abi, const struct hcf_prog *p,
		      const struct hcf_prog_result *r, size_t idx, const struct hcf_op *op,
		      uint64_t *status, unsigned *width, struct hcf_loc *where, char *why,
		      size_t ylen)
{
	int buf;
	int64_t off;
	const struct hcf_struct *st;
	const struct hcf_field *f;
	if (hcf_oracle_status_place(abi, p, idx, op, &buf, &off, &st, &f, why, ylen) != 0)
		return -1;
	if ((size_t)buf >= r->nbufs) {
		say(why, ylen, "buf%d could not be read back", buf);
		return -1;
	}
	const struct hcf_buf_after *b = &r->bufs[buf];
	if (!b->valid || !b->bytes) {
		say(why, ylen, "buf%d could not be read back", buf);
		return -1;
	}
	if (off + f->size > (int64_t)b->size || (uint64_t)HCF_BUF_GUARD + (uint64_t)off + f->size > b->cap) {
		say(why, ylen, "%s.%s at buf%d+%lld lies outside the buffer", st->name, f->name,
		    buf, (long long)off);
		return -1;
	}
	const uint8_t *src = b->bytes + HCF_BUF_GUARD + off;
	uint64_t v = 0;
	for (unsigned i = 0; i < f->size; i++)
		v |= (uint64_t)src[i] << (8 * i);
	*status = v;
	*width = f->size * 8;
	*where = hcf_loc_of(HCF_LOC_STATUS);
	where->buf = (int16_t)buf;
	where->off = (int32_t)off;
	where->nbytes = f->size;
	where->addr = b->gva + (uint64_t)off;
	where->end = where->addr + f->size;
	snprintf(where->name, sizeof(where->name), "%s.%s", st->name, f->name);
	return 0;
}

/* The status field: 0 is success, an allowed error as is or negated an
 * error; unreadable (the pointer is not a program buffer) unknown, with
 * why. */
static enum hcf_rv_class class_status(const struct rv *rv, int *err, uint64_t *status,
				      unsigned *width, struct hcf_loc *where, char *why, size_t ylen)
{
	const struct hcf_oracle_ctx *ctx = rv->ctx;
	*where = hcf_loc_of(HCF_LOC_STATUS);
	if (hcf_oracle_status(ctx->abi, ctx->prog, ctx->res, ctx->idx, rv->op, status, width, where,
			      why, ylen) < 0)
		return HCF_RV_UNKNOWN;
	if (*status == 0)
		return HCF_RV_SUCCESS;
	int64_t s = hcf_sext(*status, *width);
	/* Status fields hold the code either as is or negated, as the ABI
	 * chooses; both spellings of an allowed error pass. */
	const int64_t spellings[] = { (int64_t)*status, s, -s };
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
		if ((*err = error_index(rv->op, spellings[i])) >= 0)
			return HCF_RV_ERROR;
	return HCF_RV_UNDECLARED;
}

static enum hcf_rv_class class_status_only(const struct rv *rv, int *err)
{
	uint64_t status;
	unsigned width;
	struct hcf_loc where;
	return class_status(rv, err, &status, &width, &where, NULL, 0);
}

static void explain_status(const struct rv *rv, struct hcf_call_verdict *cv)
{
	char why[120], errs[96];
	struct hcf_loc where;
	uint64_t status = 0;
	unsigned width = 64;
	int err;
	if (class_status(rv, &err, &status, &width, &where, why, sizeof(why)) == HCF_RV_UNKNOWN) {
		hcf_call_verdict_add(cv, HCF_V_SKIP, "retval", &where, "status not checked: %s",
				     why);
		return;
	}
	format_errors(errs, sizeof(errs), rv->ctx->abi, rv->op, false);
	hcf_call_verdict_add_values(cv, HCF_V_FAIL, "retval", &where, 0, status,
				    "status %lld is neither 0 nor an allowed error; allowed errors: %s",
				    (long long)hcf_sext(status, width), errs);
}

static const struct {
	enum hcf_rv_class (*classify)(const struct rv *rv, int *err);
	/* a value classify calls undeclared (or unknown) as an issue */
	void (*explain)(const struct rv *rv, struct hcf_call_verdict *cv);
} conv_table[HCF_ERR_COUNT] = {
	[HCF_ERR_NONE] = { class_none, explain_none },
	[HCF_ERR_NEG_ERRNO] = { class_neg_errno, explain_neg_errno },
	[HCF_ERR_CARRY] = { class_carry, explain_carry },
	[HCF_ERR_STATUS_FIELD] = { class_status_only, explain_status },
};

static unsigned clamp_width(unsigned w)
{
	return (w == 0 || w > 64) ? 64 : w;
}

/* The undeclared contract: its returns (when it says any), else anything. */
static enum hcf_rv_class class_undeclared(const struct hcf_oracle_ctx *ctx,
					  const struct hcf_call_result *cr)
{
	const struct hcf_abi *abi = ctx->abi;
	const struct hcf_vset *s = &ctx->undeclared->returns;
	if (abi->ret_reg >= HCF_NGPR || !returns_declared(s))
		return HCF_RV_SUCCESS;
	return hcf_vset_contains(s, hcf_sext(cr->after[abi->ret_reg], clamp_width(abi->ret_width)))
		       ? HCF_RV_SUCCESS
		       : HCF_RV_UNDECLARED;
}

static void explain_undeclared(const struct hcf_oracle_ctx *ctx, const struct hcf_call_result *cr,
			       struct hcf_call_verdict *cv)
{
	const struct hcf_abi *abi = ctx->abi;
	const struct hcf_vset *s = &ctx->undeclared->returns;
	unsigned width = clamp_width(abi->ret_width);
	uint64_t raw = cr->after[abi->ret_reg];
	char got[80], ok[64];
	struct hcf_loc loc = hcf_loc_reg(abi->ret_reg);
	const char *what = ctx->undeclared == &abi->undeclared
				   ? "undeclared call number"
				   : "unknown sub-operation (its call's undeclared contract)";
	format_vset(ok, sizeof(ok), s);
	hcf_oracle_value_str(abi, NULL, raw, width, got, sizeof(got));
	if (!s->any && s->n == 1 && s->r[0].lo == s->r[0].hi) {
		uint64_t want = (uint64_t)s->r[0].lo;
		char exp[80];
		if (width < 64)
			want &= (1ull << width) - 1;
		hcf_call_verdict_add_values(cv, HCF_V_FAIL, "retval", &loc, want,
					    raw, "%s: expected %s, got %s", what,
					    hcf_oracle_value_str(abi, NULL, want, width, exp,
								 sizeof(exp)),
					    got);
		return;
	}
	hcf_call_verdict_add(cv, HCF_V_FAIL, "retval", &loc,
			     "%s returned %s; allowed: %s", what, got, ok);
}

/* The return register as rv reads it: raw and sign-extended from its width. */
static void rv_read(struct rv *rv)
{
	rv->raw = rv->cr->after[rv->op->ret_reg];
	rv->v = hcf_sext(rv->raw, rv->width);
}

enum hcf_rv_class hcf_oracle_retval_class(const struct hcf_oracle_ctx *ctx, int *err)
{
	int e = -1;
	if (!err)
		err = &e;
	*err = -1;
	const struct hcf_call_result *cr = &ctx->res->calls[ctx->idx];
	if (cr->outcome != HCF_CO_RETURNED)
		return HCF_RV_UNKNOWN;
	if (!ctx->op)
		return class_undeclared(ctx, cr);
	const struct hcf_op *op = ctx->op;
	if ((unsigned)op->err >= HCF_ERR_COUNT)
		return HCF_RV_SUCCESS;
	struct rv rv = { .ctx = ctx, .cr = cr, .op = op, .reg = op->ret_reg,
			 .width = clamp_width(op->ret_width), .loc = hcf_loc_reg(op->ret_reg) };
	if (op->err == HCF_ERR_STATUS_FIELD) {
		enum hcf_rv_class c = class_status_only(&rv, err);
		/* A register result beside the status is still bound by returns. */
		if (op->ret_reg < HCF_NGPR && returns_declared(&op->returns)) {
			int reg_err;
			rv_read(&rv);
			if (class_none(&rv, &reg_err) == HCF_RV_UNDECLARED)
				return HCF_RV_UNDECLARED;
		}
		return c;
	}
	if (op->ret_reg >= HCF_NGPR)
		return HCF_RV_SUCCESS;
	rv_read(&rv);
	return conv_table[op->err].classify(&rv, err);
}

void hcf_oracle_retval(const struct hcf_oracle_ctx *ctx, struct hcf_call_verdict *cv)
{
	const struct hcf_call_result *cr = &ctx->res->calls[ctx->idx];
	if (cr->outcome != HCF_CO_RETURNED)
		return;
	if (!ctx->op) {
		if (class_undeclared(ctx, cr) == HCF_RV_UNDECLARED)
			explain_undeclared(ctx, cr, cv);
		return;
	}
	const struct hcf_op *op = ctx->op;
	if ((unsigned)op->err >= HCF_ERR_COUNT)
		return;
	struct rv rv = { .ctx = ctx, .cr = cr, .op = op, .reg = op->ret_reg,
			 .width = clamp_width(op->ret_width), .loc = hcf_loc_reg(op->ret_reg) };
	int err;
	if (op->err == HCF_ERR_STATUS_FIELD) {
		enum hcf_rv_class c = class_status_only(&rv, &err);
		if (c == HCF_RV_UNDECLARED || c == HCF_RV_UNKNOWN)
			explain_status(&rv, cv);
		/* A register result beside the status is still bound by returns. */
		if (op->ret_reg >= HCF_NGPR || !returns_declared(&op->returns))
			return;
		rv_read(&rv);
		if (class_none(&rv, &err) == HCF_RV_UNDECLARED)
			explain_none(&rv, cv);
		return;
	}
	if (op->ret_reg >= HCF_NGPR)
		return;
	rv_read(&rv);
	if (conv_table[op->err].classify(&rv, &err) == HCF_RV_UNDECLARED)
		conv_table[op->err].explain(&rv, cv);
}
