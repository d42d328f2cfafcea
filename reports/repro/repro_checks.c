/* repro_checks.c: the one check a reproducer makes, one emitter per kind. */
#include "reports/repro/repro_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/repro_rt/repro_rt.h"
#include "util/x86.h"
#include "util/xalloc.h"

/* ---- the checks, one emitter per kind -------------------------------------- */

static void emit_no_snapshot(struct em *e)
{
	rp_pf(e, "/* Nothing to remember before the run. */\n"
	      "const uint8_t *before_run(const uint8_t *mem)\n{\n\t(void)mem;\n\treturn NULL;\n}\n\n");
}

/* The start of a check on the call's result: not reached is inconclusive. */
static void emit_check_open(struct em *e)
{
	rp_pf(e, "int check(const struct run_result *rr, char *msg, size_t len)\n{\n"
	      "\tchar stop[320];\n"
	      "\tif (rr->inflight <= CHECK_CALL) {\n"
	      "\t\tsnprintf(msg, len, \"%%s not checked: %%s\", check_at, stop_str(rr, stop, sizeof(stop)));\n"
	      "\t\treturn 3;\n"
	      "\t}\n"
	      "\tconst struct hcf_wire_result *s = &rr->slots[CHECK_CALL];\n");
}

static void emit_contract_comment(struct em *e)
{
	char u[512], t[800];
	rp_contract_text(e, u, sizeof(u));
	u[0] = (char)toupper((unsigned char)u[0]);
	snprintf(t, sizeof(t), "The check: %s. %s", e->pl->what, u);
	rp_pf(e, "/*\n");
	rp_pwrap(e, " * ", " * ", t);
	rp_pf(e, " */\n");
}

static void emit_clobber_reg(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	emit_contract_comment(e);
	emit_check_open(e);
	if (pl->reg == HCF_RSP)
		rp_pf(e, "\tuint64_t want = s->rsp_before, got = s->gpr[RSP];\n");
	else
		rp_pf(e, "\tuint64_t want = loaded[CHECK_CALL][%s], got = s->gpr[%s];\n", rp_reg_upper(pl->reg), rp_reg_upper(pl->reg));
	rp_pf(e, "\tif (got != want) {\n"
	      "\t\tsnprintf(msg, len, \"clobber %s at %%s: expected 0x%%\" PRIx64 \" got 0x%%\" PRIx64, check_at,\n"
	      "\t\t\t want, got);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"%s at %%s kept its value 0x%%\" PRIx64, check_at, got);\n"
	      "\treturn 0;\n}\n",
	   asm_reg_name(pl->reg), asm_reg_name(pl->reg));
}

static void emit_clobber_flag(struct em *e)
{
	const struct plan *pl = e->pl;
	const char *n = hcf_x86_rflags_name(pl->bit);
	char name[16];
	if (n)
		snprintf(name, sizeof(name), "%s", n);
	else
		snprintf(name, sizeof(name), "bit%u", pl->bit);
	emit_no_snapshot(e);
	emit_contract_comment(e);
	emit_check_open(e);
	rp_pf(e, "\tunsigned was = (unsigned)(s->rflags_before >> %u & 1);\n"
	      "\tunsigned now = (unsigned)(s->rflags_after >> %u & 1);\n",
	   pl->bit, pl->bit);
	rp_pf(e, "\tif (was != now) {\n"
	      "\t\tsnprintf(msg, len, \"clobber rflags.%s at %%s: %s changed from %%u to %%u (rflags 0x%%\" PRIx64\n"
	      "\t\t\t \" -> 0x%%\" PRIx64 \")\", check_at, was, now, s->rflags_before, s->rflags_after);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"rflags.%s at %%s kept its value %%u\", check_at, now);\n"
	      "\treturn 0;\n}\n",
	   name, name, name);
}

static void emit_clobber_xmm(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	emit_contract_comment(e);
	emit_check_open(e);
	rp_pf(e, "\t(void)s; /* the vector state is beside the result */\n"
	      "\tconst uint8_t *want = rr->ctl->xmm_sentinel[%u], *got = rr->vecs[CHECK_CALL].xmm[%u];\n",
	      pl->xmm, pl->xmm);
	rp_pf(e, "\tif (memcmp(want, got, 16) != 0) {\n"
	      "\t\tunsigned first = 0;\n"
	      "\t\twhile (want[first] == got[first])\n"
	      "\t\t\tfirst++;\n"
	      "\t\tsnprintf(msg, len, \"clobber xmm%u at %%s: byte %%u expected 0x%%02x got 0x%%02x\", check_at,\n"
	      "\t\t\t first, want[first], got[first]);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"xmm%u at %%s kept its value\", check_at);\n"
	      "\treturn 0;\n}\n",
	   pl->xmm, pl->xmm);
}

static void emit_exception(struct em *e)
{
	char x[160];
	uint32_t allowed = rp_allowed_vectors(e->pl);
	rp_fmt_vectors(allowed, x, sizeof(x));
	emit_no_snapshot(e);
	rp_pf(e, "#define ALLOWED_VECTORS 0x%08" PRIx32 "u /* %s */\n\n", allowed, x);
	emit_contract_comment(e);
	emit_check_open(e);
	rp_pf(e, "\tchar v[48];\n"
	      "\tif (s->outcome != 2) {\n"
	      "\t\tsnprintf(msg, len, \"%%s returned without an exception\", check_at);\n"
	      "\t\treturn 0;\n"
	      "\t}\n"
	      "\tvector_str(s->vector, s->error_code, v, sizeof(v));\n"
	      "\tif (s->vector >= 32 || !(ALLOWED_VECTORS >> s->vector & 1)) {\n"
	      "\t\tsnprintf(msg, len, \"exception at %%s: got %%s at rip 0x%%\" PRIx64 \", allowed: %s\",\n"
	      "\t\t\t check_at, v, s->fault_rip);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"%%s raised %%s, which the spec allows\", check_at, v);\n"
	      "\treturn 0;\n}\n",
	   x);
}

/* "v == 0 || (v >= 5 && v <= 9)" for a value set; *uses_v false when the
 * expression does not mention v. */
static void vset_expr(const struct hcf_vset *s, char *buf, size_t len, bool *uses_v)
{
	size_t o = 0;
	char a[40], b[40];
	*uses_v = false;
	if (s->any) {
		snprintf(buf, len, "1");
		return;
	}
	for (size_t i = 0; i < s->n && o + 1 < len; i++) {
		int64_t lo = s->r[i].lo, hi = s->r[i].hi;
		int k;
		if (lo == INT64_MIN && hi == INT64_MAX) {
			snprintf(buf, len, "1");
			*uses_v = false;
			return;
		}
		if (lo == hi)
			k = snprintf(buf + o, len - o, "%sv == %s", o ? " || " : "", rp_c_i64(lo, a, sizeof(a)));
		else if (lo == INT64_MIN)
			k = snprintf(buf + o, len - o, "%sv <= %s", o ? " || " : "", rp_c_i64(hi, a, sizeof(a)));
		else if (hi == INT64_MAX)
			k = snprintf(buf + o, len - o, "%sv >= %s", o ? " || " : "", rp_c_i64(lo, a, sizeof(a)));
		else
			k = snprintf(buf + o, len - o, "%s(v >= %s && v <= %s)", o ? " || " : "",
				     rp_c_i64(lo, a, sizeof(a)), rp_c_i64(hi, b, sizeof(b)));
		if (k < 0)
			break;
		o += (size_t)k;
		*uses_v = true;
	}
	if (!o)
		snprintf(buf, len, "0");
}

static void emit_allowed_fns(struct em *e, const struct hcf_vset *returns, const struct hcf_op *op,
			     bool need_returns)
{
	char expr[2048], r[256], x[256], a[40];
	bool uses;
	if (need_returns) {
		vset_expr(returns, expr, sizeof(expr), &uses);
		rp_fmt_vset(returns, r, sizeof(r));
		rp_pf(e, "/* Success values the spec allows: %s */\n", r);
		rp_pf(e, "static int allowed_return(int64_t v)\n{\n%s\treturn %s;\n}\n\n", uses ? "" : "\t(void)v;\n",
		   expr);
	}
	if (!op)
		return;
	rp_fmt_errors(e->cx, op, x, sizeof(x));
	size_t o = 0;
	expr[0] = '\0';
	for (size_t i = 0; i < op->nerrors && o + 1 < sizeof(expr); i++)
		o += (size_t)snprintf(expr + o, sizeof(expr) - o, "%se == %s", o ? " || " : "",
				      rp_c_i64(op->errors[i], a, sizeof(a)));
	rp_pf(e, "/* Error codes the spec allows (as positive numbers): %s */\n", x);
	rp_pf(e, "static int allowed_error(int64_t e)\n{\n%s\treturn %s;\n}\n\n", o ? "" : "\t(void)e;\n",
	   o ? expr : "0");
}

/* int64_t v from the return register, sign-extended from its width. */
static void emit_ret_value(struct em *e)
{
	const struct plan *pl = e->pl;
	rp_pf(e, "\tuint64_t raw = s->gpr[%s];\n", rp_reg_upper(pl->reg));
	if (pl->width >= 64)
		rp_pf(e, "\tint64_t v = (int64_t)raw;\n");
	else
		rp_pf(e, "\tint64_t v = (int64_t)(raw << %u) >> %u; /* sign-extended from %u bits */\n",
		   64 - pl->width, 64 - pl->width, pl->width);
}

static void emit_retval(struct em *e)
{
	const struct cx *cx = e->cx;
	const struct plan *pl = e->pl;
	const struct hcf_op *op = pl->op;
	char r[256], x[256];
	emit_no_snapshot(e);
	if (!op) {
		rp_fmt_vset(&pl->undeclared->returns, r, sizeof(r));
		emit_allowed_fns(e, &pl->undeclared->returns, NULL, true);
		emit_contract_comment(e);
		emit_check_open(e);
		emit_ret_value(e);
		rp_pf(e, "\tint ok = allowed_return(v);\n");
		snprintf(x, sizeof(x), "an undeclared number must return %s", r);
	} else {
		rp_fmt_vset(&op->returns, r, sizeof(r));
		/* a status-field op's register is checked only when its returns are declared */
		emit_allowed_fns(e, &op->returns, op,
				 op->err != HCF_ERR_STATUS_FIELD || (pl->reg < HCF_NGPR && !op->returns.any));
		char errs[256];
		rp_fmt_errors(cx, op, errs, sizeof(errs));
		snprintf(x, sizeof(x), "allowed returns %s; errors %s (%s)", r, errs, hcf_err_conv_name(op->err));
		if (op->err == HCF_ERR_STATUS_FIELD) {
			int b = 0;
			int64_t off = 0;
			unsigned size = 0;
			char why[160];
			rp_status_place(cx, pl, &b, &off, &size, why, sizeof(why));
			rp_pf(e, "/* The status field: %u bytes at buf%d + %" PRId64 ", read after the program. */\n"
			      "#define STATUS_GPA 0x%" PRIx64 "ull\n#define STATUS_SIZE %uu\n\n",
			   size, b, off, e->g->buf_gpa[b] + (uint64_t)off, size);
		}
		emit_contract_comment(e);
		emit_check_open(e);
		switch (op->err) {
		case HCF_ERR_NEG_ERRNO:
			emit_ret_value(e);
			/* an explicit success range covering an error value wins; "any" does not */
			rp_pf(e, "\tint ok = v >= -4095 && v <= -1 ? allowed_error(-v)%s : allowed_return(v);\n",
			   op->returns.any ? "" : " || allowed_return(v)");
			break;
		case HCF_ERR_CARRY:
			emit_ret_value(e);
			rp_pf(e, "\tint ok = s->rflags_after & 1 ? allowed_error(v) : allowed_return(v); /* CF: an error */\n");
			break;
		case HCF_ERR_STATUS_FIELD:
			rp_pf(e, "\tuint64_t status = 0;\n"
			      "\tmemcpy(&status, rr->mem + STATUS_GPA, STATUS_SIZE);\n"
			      "\tint64_t st = (int64_t)(status << (64 - 8 * STATUS_SIZE)) >> (64 - 8 * STATUS_SIZE);\n"
			      "\tint ok = status == 0 || allowed_error((int64_t)status) || allowed_error(st) ||\n"
			      "\t\t allowed_error(-st);\n");
			if (pl->reg < HCF_NGPR && !op->returns.any) {
				emit_ret_value(e);
				rp_pf(e, "\tok = ok && (allowed_return(v) || allowed_error(v));\n");
			} else {
				rp_pf(e, "\tuint64_t raw = status;\n\tint64_t v = st;\n");
			}
			break;
		default:
			emit_ret_value(e);
			rp_pf(e, "\tint ok = allowed_return(v) || allowed_error(v);\n");
			break;
		}
	}
	char xs[300];
	rp_cstr(x, xs, sizeof(xs));
	rp_pf(e, "\tif (s->outcome != 1) {\n"
	      "\t\tsnprintf(msg, len, \"%%s raised an exception: no return value to check\", check_at);\n"
	      "\t\treturn 3;\n"
	      "\t}\n"
	      "\tif (!ok) {\n"
	      "\t\tsnprintf(msg, len, \"retval at %%s: 0x%%\" PRIx64 \" (%%\" PRId64 \") is not allowed: %%s\",\n"
	      "\t\t\t check_at, raw, v, \"%s\");\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"%%s returned 0x%%\" PRIx64 \" (%%\" PRId64 \"), which the spec allows\", check_at,\n"
	      "\t\t raw, v);\n"
	      "\treturn 0;\n}\n",
	   xs);
}

static void emit_model_reg(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	rp_pf(e, "#define EXPECTED 0x%" PRIx64 "ull /* what hcfuzz's model predicted */\n"
	      "#define MASK 0x%" PRIx64 "ull     /* the bits it compares (%u) */\n\n",
	   pl->expect, pl->mask, pl->width);
	emit_contract_comment(e);
	emit_check_open(e);
	rp_pf(e, "\tuint64_t got = s->gpr[%s];\n", rp_reg_upper(pl->reg));
	rp_pf(e, "\tif (s->outcome != 1) {\n"
	      "\t\tsnprintf(msg, len, \"%%s raised an exception instead of returning: %s not compared\", check_at);\n"
	      "\t\treturn 3;\n"
	      "\t}\n"
	      "\tif ((got & MASK) != EXPECTED) {\n"
	      "\t\tsnprintf(msg, len, \"model %s at %%s: expected 0x%%\" PRIx64 \" got 0x%%\" PRIx64, check_at,\n"
	      "\t\t\t (uint64_t)EXPECTED, got);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"%s at %%s is 0x%%\" PRIx64 \" as the model predicted\", check_at, got);\n"
	      "\treturn 0;\n}\n",
	   asm_reg_name(pl->reg), asm_reg_name(pl->reg), asm_reg_name(pl->reg));
}

static void emit_model_flag(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	emit_contract_comment(e);
	emit_check_open(e);
	rp_pf(e, "\tunsigned got = (unsigned)(s->rflags_after >> %u & 1), want = %" PRIu64 "u;\n", pl->bit, pl->expect);
	rp_pf(e, "\tif (s->outcome != 1) {\n"
	      "\t\tsnprintf(msg, len, \"%%s raised an exception instead of returning: RFLAGS not compared\",\n"
	      "\t\t\t check_at);\n"
	      "\t\treturn 3;\n"
	      "\t}\n"
	      "\tif (got != want) {\n"
	      "\t\tsnprintf(msg, len, \"model rflags bit %u at %%s: expected %%u got %%u\", check_at, want, got);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"rflags bit %u at %%s is %%u as the model predicted\", check_at, got);\n"
	      "\treturn 0;\n}\n",
	   pl->bit, pl->bit);
}

static void emit_model_exc(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	emit_contract_comment(e);
	emit_check_open(e);
	rp_pf(e, "\tchar v[48];\n");
	if (pl->exp_vector < 0) {
		rp_pf(e, "\tif (s->outcome == 2) {\n"
		      "\t\tsnprintf(msg, len, \"model at %%s: expected the call to return, got %%s at rip \"\n"
		      "\t\t\t \"0x%%\" PRIx64, check_at, vector_str(s->vector, s->error_code, v, sizeof(v)),\n"
		      "\t\t\t s->fault_rip);\n"
		      "\t\treturn 1;\n"
		      "\t}\n"
		      "\t(void)v;\n"
		      "\tsnprintf(msg, len, \"%%s returned, as the model predicted\", check_at);\n"
		      "\treturn 0;\n}\n");
		return;
	}
	rp_pf(e, "\tconst uint64_t want = %d;\n", pl->exp_vector);
	rp_pf(e, "\tif (s->outcome != 2) {\n"
	      "\t\tsnprintf(msg, len, \"model at %%s: expected %%s, but the call returned\", check_at,\n"
	      "\t\t\t vector_str(want, 0, v, sizeof(v)));\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tif (s->vector != want) {\n"
	      "\t\tchar w[48];\n"
	      "\t\tsnprintf(msg, len, \"model at %%s: expected %%s, got %%s\", check_at,\n"
	      "\t\t\t vector_str(want, 0, w, sizeof(w)), vector_str(s->vector, s->error_code, v, sizeof(v)));\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"%%s raised %%s, as the model predicted\", check_at,\n"
	      "\t\t vector_str(s->vector, s->error_code, v, sizeof(v)));\n"
	      "\treturn 0;\n}\n");
}

static void emit_model_mono(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	rp_pf(e, "#define PREV_CALL %zuu /* the earlier call of the same op */\n#define MASK 0x%" PRIx64 "ull\n\n",
	   pl->prev, pl->mask);
	emit_contract_comment(e);
	emit_check_open(e);
	rp_pf(e, "\tconst struct hcf_wire_result *p = &rr->slots[PREV_CALL];\n"
	   "\tif (s->outcome != 1 || p->outcome != 1) {\n"
	   "\t\tsnprintf(msg, len, \"%%s or call %%u raised an exception: nothing to compare\", check_at,\n"
	   "\t\t\t (unsigned)PREV_CALL);\n"
	   "\t\treturn 3;\n"
	   "\t}\n"
	   "\tuint64_t was = p->gpr[%s] & MASK, now = s->gpr[%s] & MASK;\n"
	   "\tif (now < was) {\n"
	   "\t\tsnprintf(msg, len, \"model %s at %%s went back from 0x%%\" PRIx64 \" (call %%u) to 0x%%\" PRIx64,\n"
	   "\t\t\t check_at, was, (unsigned)PREV_CALL, now);\n"
	   "\t\treturn 1;\n"
	   "\t}\n"
	   "\tsnprintf(msg, len, \"%s at %%s did not go back (0x%%\" PRIx64 \" -> 0x%%\" PRIx64 \")\", check_at,\n"
	   "\t\t was, now);\n"
	   "\treturn 0;\n}\n",
	   rp_reg_upper(pl->reg), rp_reg_upper(pl->reg), asm_reg_name(pl->reg), asm_reg_name(pl->reg));
}

/*
 * The results as the reproducer's run gives every call's registers to the
 * hypervisor (the calls up to the checked one, as if they ran): what the
 * memory oracle reads to know where a call pointed an OUT field.
 */
static void ran_as_reproduced(const struct em *e, struct hcf_prog_result *r)
{
	const struct hcf_prog *p = e->cx->p;
	hcf_result_init(r, p->ncalls);
	for (size_t i = 0; i < p->ncalls; i++) {
		uint64_t gpr[HCF_NGPR], entry;
		hcf_layout_call_image(p, &e->g->layout, i, gpr, &entry);
		hcf_call_result_init(&r->calls[i], gpr);
		r->calls[i].outcome = i < e->pl->ncalls ? HCF_CO_RETURNED : HCF_CO_NOT_RUN;
	}
}

/* Which bytes of buffer b's image (guard, data, guard) the memory check
 * compares: the finding's place, less every byte the hypervisor may change
 * there, as the memory oracle decides it (hcf_oracle_memory_free: OUT
 * fields, writable raw buffers, pointers, what calls pointed at). */
static void memory_mask(const struct em *e, const struct hcf_prog_result *ran, size_t b,
			uint8_t *must)
{
	const struct cx *cx = e->cx;
	const struct plan *pl = e->pl;
	const struct hcf_buf *buf = &cx->p->bufs[b];
	size_t total = (size_t)buf->size + 2 * HCF_BUF_GUARD;
	static uint8_t free_[HCF_BUF_MAX + 2 * HCF_BUF_GUARD];
	memset(must, 0, total);
	if (pl->mbuf < 0 || (size_t)pl->mbuf != b || pl->ihi <= pl->ilo || pl->ihi > total)
		return;
	memset(must + pl->ilo, 1, pl->ihi - pl->ilo);
	hcf_oracle_memory_free(cx->abi, cx->p, ran, b, e->g->buf_gpa[b] - HCF_BUF_GUARD,
			       pl->ncalls ? pl->ncalls - 1 : 0, free_);
	for (size_t i = 0; i < total; i++)
		if (free_[i])
			must[i] = 0;
}

static void emit_memory(struct em *e)
{
	const struct cx *cx = e->cx;
	struct gen *g = e->g;
	uint8_t must[HCF_BUF_MAX + 2 * HCF_BUF_GUARD];
	size_t nreg = 0;
	struct hcf_prog_result ran;
	ran_as_reproduced(e, &ran);
	emit_no_snapshot(e);
	rp_pf(e, "/*\n"
	      " * The bytes the hypervisor may not change, as runs of guest memory with the\n"
	      " * values written before the run (GUARD_BYTE in the guards, the program's bytes\n"
	      " * inside the buffers).\n"
	      " */\n");
	for (size_t b = 0; b < cx->p->nbufs; b++) {
		const struct hcf_buf *buf = &cx->p->bufs[b];
		size_t total = (size_t)buf->size + 2 * HCF_BUF_GUARD;
		memory_mask(e, &ran, b, must);
		for (size_t i = 0; i < total;) {
			if (!must[i]) {
				i++;
				continue;
			}
			size_t j = i;
			while (j < total && must[j])
				j++;
			rp_pf(e, "static const uint8_t mem%zu[%zu] = {", nreg, j - i);
			for (size_t k = i; k < j; k++) {
				uint8_t v = g->buf_image[b][k];
				rp_pf(e, "%s0x%02x,", (k - i) % 16 ? " " : "\n\t", v);
			}
			rp_pf(e, "\n};\n");
			nreg++;
			i = j;
		}
	}
	rp_pf(e, "static const struct {\n\tuint64_t gpa;\n\tsize_t len;\n\tconst uint8_t *want;\n\tconst char *what;\n"
	      "} regions[] = {\n");
	nreg = 0;
	for (size_t b = 0; b < cx->p->nbufs; b++) {
		const struct hcf_buf *buf = &cx->p->bufs[b];
		size_t total = (size_t)buf->size + 2 * HCF_BUF_GUARD;
		memory_mask(e, &ran, b, must);
		for (size_t i = 0; i < total;) {
			if (!must[i]) {
				i++;
				continue;
			}
			size_t j = i;
			while (j < total && must[j])
				j++;
			char what[96];
			int64_t lo = (int64_t)i - HCF_BUF_GUARD, hi = (int64_t)j - HCF_BUF_GUARD;
			if (j <= HCF_BUF_GUARD)
				snprintf(what, sizeof(what), "the guard before buf%zu", b);
			else if (i >= HCF_BUF_GUARD + buf->size)
				snprintf(what, sizeof(what), "the guard after buf%zu", b);
			else
				snprintf(what, sizeof(what), "buf%zu bytes %" PRId64 "..%" PRId64, b, lo, hi - 1);
			rp_pf(e, "\t{ 0x%" PRIx64 "ull, %zu, mem%zu, \"%s\" },\n",
			   g->buf_gpa[b] - HCF_BUF_GUARD + i, j - i, nreg, what);
			nreg++;
			i = j;
		}
	}
	rp_pf(e, "};\n\n");
	emit_contract_comment(e);
	rp_pf(e, "int check(const struct run_result *rr, char *msg, size_t len)\n{\n"
	      "\tfor (size_t k = 0; k < sizeof(regions) / sizeof(regions[0]); k++) {\n"
	      "\t\tconst uint8_t *got = rr->mem + regions[k].gpa;\n"
	      "\t\tsize_t n = 0, first = 0;\n"
	      "\t\tfor (size_t i = 0; i < regions[k].len; i++)\n"
	      "\t\t\tif (got[i] != regions[k].want[i] && !n++)\n"
	      "\t\t\t\tfirst = i;\n"
	      "\t\tif (n) {\n"
	      "\t\t\tsnprintf(msg, len, \"memory after %%s: %%zu of %%zu bytes of %%s changed, first at 0x%%\" PRIx64\n"
	      "\t\t\t\t \": expected 0x%%02x got 0x%%02x\", check_at, n, regions[k].len, regions[k].what,\n"
	      "\t\t\t\t regions[k].gpa + first, regions[k].want[first], got[first]);\n"
	      "\t\t\treturn 1;\n"
	      "\t\t}\n"
	      "\t}\n"
	      "\tchar stop[320];\n"
	      "\tif (rr->inflight <= CHECK_CALL) {\n"
	      "\t\tsnprintf(msg, len, \"memory unchanged, but %%s\", stop_str(rr, stop, sizeof(stop)));\n"
	      "\t\treturn 3;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"the bytes the hypervisor may not write are unchanged after %%s\", check_at);\n"
	      "\treturn 0;\n}\n");
	hcf_result_free(&ran);
}

/* Where the program's calls told the hypervisor it may write (the memory
 * oracle's rule, hcf_oracle_call_writes), as a table of the emitted program. */
static void emit_may_write(struct em *e)
{
	const struct cx *cx = e->cx;
	struct hcf_prog_result ran;
	struct hcf_span w[64];
	ran_as_reproduced(e, &ran);
	rp_pf(e, "/* Bytes a call pointed an OUT field at: the hypervisor's to write, [lo, hi)\n"
	      " * and n - 1 more copies every stride bytes (the field in each element of an\n"
	      " * array). */\n"
	      "static const struct {\n\tuint64_t lo, hi, stride, n;\n} may_write[] = {\n");
	size_t n = 0;
	for (size_t i = 0; i < e->pl->ncalls && i < cx->p->ncalls; i++) {
		size_t k = hcf_oracle_call_writes(cx->abi, hcf_prog_call_op(cx->p, i),
						  ran.calls[i].before, w, 64);
		for (size_t j = 0; j < k; j++, n++)
			rp_pf(e, "\t{ 0x%" PRIx64 "ull, 0x%" PRIx64 "ull, %" PRIu64 ", %" PRIu64 "ull }, /* call %zu */\n",
			      w[j].lo, w[j].hi, w[j].stride ? w[j].stride : 1, w[j].stride ? w[j].n : 1, i);
	}
	if (!n)
		rp_pf(e, "\t{ 0, 0, 1, 0 }, /* none */\n");
	rp_pf(e, "};\n\n"
	      "static int pointed_at(uint64_t a)\n{\n"
	      "\tfor (size_t k = 0; k < sizeof(may_write) / sizeof(may_write[0]); k++)\n"
	      "\t\tif (a >= may_write[k].lo && (a - may_write[k].lo) / may_write[k].stride < may_write[k].n &&\n"
	      "\t\t    (a - may_write[k].lo) %% may_write[k].stride < may_write[k].hi - may_write[k].lo)\n"
	      "\t\t\treturn 1;\n"
	      "\treturn 0;\n}\n\n");
	hcf_result_free(&ran);
}

static void emit_pages(struct em *e)
{
	emit_may_write(e);
	rp_pf(e, "/* Pages the check leaves alone, as hcfuzz does (hcf_km_page_unjudged: VIF page,\n"
	      " * mailbox, arena; hcf_km_page_stack: the stacks), and the hypercall page, which the\n"
	      " * hypervisor fills during this program's setup: every other page must keep its\n"
	      " * bytes. */\n"
	      "static int guest_writes(uint64_t pg)\n{\n"
	      "\treturn hcf_km_page_unjudged(pg) || hcf_km_page_stack(pg) || pg == HCPAGE_GPA;\n}\n\n"
	      "/* The stray-page check compares every page with its bytes before the run. */\n"
	      "const uint8_t *before_run(const uint8_t *mem)\n{\n"
	      "\tuint8_t *copy = malloc(MEM_SIZE);\n"
	      "\tif (!copy)\n\t\tsetup_error(\"out of memory\");\n"
	      "\tmemcpy(copy, mem, MEM_SIZE);\n"
	      "\treturn copy;\n}\n\n");
	emit_contract_comment(e);
	rp_pf(e, "int check(const struct run_result *rr, char *msg, size_t len)\n{\n"
	      "\tfor (uint64_t pg = 0; pg < MEM_SIZE; pg += 0x1000) {\n"
	      "\t\tif (guest_writes(pg) || !memcmp(rr->mem + pg, rr->mem_before + pg, 0x1000))\n"
	      "\t\t\tcontinue;\n"
	      "\t\tsize_t first = 0x1000;\n"
	      "\t\tfor (size_t i = 0; i < 0x1000 && first == 0x1000; i++)\n"
	      "\t\t\tif (rr->mem[pg + i] != rr->mem_before[pg + i] && !pointed_at(pg + i))\n"
	      "\t\t\t\tfirst = i;\n"
	      "\t\tif (first == 0x1000)\n"
	      "\t\t\tcontinue; /* every changed byte one a call pointed at */\n"
	      "\t\tsnprintf(msg, len, \"memory: page 0x%%\" PRIx64 \" changed by the end of the program (%%s), first at 0x%%\"\n"
	      "\t\t\t PRIx64 \": 0x%%02x -> 0x%%02x\", pg, check_at, pg + first, rr->mem_before[pg + first],\n"
	      "\t\t\t rr->mem[pg + first]);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"no page outside the guest's writable areas changed (%%s)\", check_at);\n"
	      "\treturn 0;\n}\n");
}

/* A run that stopped before the checked call cannot tell (not emitted for
 * call 0, where the comparison would always be false). */
static void emit_earlier_stop(struct em *e)
{
	if (e->pl->call == 0)
		return;
	rp_pf(e, "\tif (rr->inflight < CHECK_CALL) {\n"
	      "\t\tsnprintf(msg, len, \"%%s not checked: %%s\", check_at, stop);\n"
	      "\t\treturn 3;\n"
	      "\t}\n");
}

static void emit_liveness(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	emit_contract_comment(e);
	rp_pf(e, "int check(const struct run_result *rr, char *msg, size_t len)\n{\n"
	      "\tchar stop[320];\n"
	      "\tstop_str(rr, stop, sizeof(stop));\n");
	switch (pl->lv) {
	case LV_PROGRAM:
		rp_pf(e, "\tif (rr->end != END_DONE) {\n"
		      "\t\tsnprintf(msg, len, \"liveness: %%s\", stop);\n"
		      "\t\treturn 1;\n"
		      "\t}\n"
		      "\tsnprintf(msg, len, \"the guest came through every call (%%s)\", check_at);\n"
		      "\treturn 0;\n}\n");
		return;
	case LV_BAD:
		emit_earlier_stop(e);
		rp_pf(e, "\tif (rr->inflight == CHECK_CALL && rr->end == END_DONE) {\n"
		      "\t\tsnprintf(msg, len, \"liveness at %%s: its result slot holds garbage (seq 0x%%\" PRIx64\n"
		      "\t\t\t \", outcome %%u)\", check_at, rr->slots[CHECK_CALL].seq,\n"
		      "\t\t\t rr->slots[CHECK_CALL].outcome);\n"
		      "\t\treturn 1;\n"
		      "\t}\n");
		break;
	case LV_LOST: {
		/* A loss the spec declares for these inputs (the call's own, or
		 * an earlier destructive call's: hcf_op_may_end, as the liveness
		 * oracle asks) is the contract kept, not the finding. */
		bool shut = false, panic = false;
		for (size_t j = 0; j <= pl->call && j < e->cx->p->ncalls; j++) {
			const struct hcf_op *op = hcf_prog_call_op(e->cx->p, j);
			shut |= hcf_op_may_end(op, HCF_LIVE_SHUTDOWN, e->g->img[j]);
			panic |= hcf_op_may_end(op, HCF_LIVE_AGENT_PANIC, e->g->img[j]);
		}
		if (shut || panic)
			rp_pf(e, "\t/* the spec declares this call may end the guest so (%s%s%s) */\n"
			      "\tif (rr->inflight == CHECK_CALL && (%s || %s)) {\n"
			      "\t\tsnprintf(msg, len, \"%%s ended the guest as the spec declares it may: %%s\",\n"
			      "\t\t\t check_at, stop);\n"
			      "\t\treturn 0;\n"
			      "\t}\n",
			   shut ? "shutdown" : "", shut && panic ? ", " : "", panic ? "agent panic" : "",
			   shut ? "rr->end == END_SHUTDOWN" : "0", panic ? "rr->end == END_PANIC" : "0");
	}
		/* fall through */
	case LV_HANG:
		emit_earlier_stop(e);
		rp_pf(e, "\tif (rr->inflight == CHECK_CALL && rr->end %s) {\n"
		      "\t\tsnprintf(msg, len, \"liveness at %%s: %%s\", check_at, stop);\n"
		      "\t\treturn 1;\n"
		      "\t}\n",
		   pl->lv == LV_HANG ? "== END_HANG" : "!= END_HANG && rr->end != END_DONE");
		break;
	}
	rp_pf(e, "\tif (rr->inflight > CHECK_CALL) {\n"
	      "\t\tsnprintf(msg, len, \"%%s came back\", check_at);\n"
	      "\t\treturn 0;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"%%s did not come back, but not the way the finding says: %%s\", check_at,\n"
	      "\t\t stop);\n"
	      "\treturn 1;\n}\n");
}

static void (*const check_emitters[CK_COUNT])(struct em *e) = {
	[CK_CLOBBER_REG] = emit_clobber_reg,
	[CK_CLOBBER_FLAG] = emit_clobber_flag,
	[CK_CLOBBER_XMM] = emit_clobber_xmm,
	[CK_EXCEPTION] = emit_exception,
	[CK_RETVAL] = emit_retval,
	[CK_MODEL_REG] = emit_model_reg,
	[CK_MODEL_FLAG] = emit_model_flag,
	[CK_MODEL_EXC] = emit_model_exc,
	[CK_MODEL_MONO] = emit_model_mono,
	[CK_MEMORY] = emit_memory,
	[CK_PAGES] = emit_pages,
	[CK_LIVENESS] = emit_liveness,
};

void rp_emit_check(struct em *e)
{
	char s[256];
	rp_cstr(e->pl->at, s, sizeof(s));
	rp_pf(e, "\n/* ---- the check ------------------------------------------------------------- */\n\n");
	rp_pf(e, "static const char check_at[] = \"%s\";\n\n", s);
	check_emitters[e->pl->kind](e);
}

