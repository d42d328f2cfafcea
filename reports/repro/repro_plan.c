/* repro_plan.c: from a finding's typed place to the one check its reproducer makes. */
#include "reports/repro/repro_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/transport.h"
#include "util/x86.h"

static unsigned clamp_width(unsigned w)
{
	return w == 0 || w > 64 ? 64 : w;
}

/* The width the model oracle compares reg at (oracle_model.c reg_width). */
static unsigned model_width(const struct hcf_abi *abi, const struct hcf_op *op, unsigned reg)
{
	if (op)
		for (size_t i = 0; i < op->nargs; i++)
			if (op->args[i].reg == reg && (op->args[i].dir & HCF_DIR_OUT))
				return clamp_width(op->args[i].width);
	if (op && op->ret_reg == reg)
		return clamp_width(op->ret_width);
	if (!op && abi->ret_reg == reg)
		return clamp_width(abi->ret_width);
	return 64;
}

typedef int (*parse_fn)(struct plan *pl, const struct cx *cx, char *err, size_t errlen);

static int parse_clobber(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	const struct hcf_loc *l = &cx->f->loc;
	switch (l->kind) {
	case HCF_LOC_REG:
		pl->kind = CK_CLOBBER_REG;
		pl->reg = l->reg;
		break;
	case HCF_LOC_FLAG:
		pl->kind = CK_CLOBBER_FLAG;
		pl->bit = l->bit;
		break;
	case HCF_LOC_XMM:
		pl->kind = CK_CLOBBER_XMM;
		pl->xmm = l->reg;
		pl->vec = true;
		break;
	default:
		snprintf(err, errlen, "clobber finding at %s: not a register, RFLAGS bit or XMM register",
			 hcf_loc_kind_name(l->kind));
		return -1;
	}
	snprintf(pl->what, sizeof(pl->what), "clobber %s at %s", cx->f->sig.where, pl->at);
	return 0;
}

static int parse_exception(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	(void)cx;
	pl->kind = CK_EXCEPTION;
	snprintf(pl->what, sizeof(pl->what), "exception at %s", pl->at);
	return 0;
}

/* The status field the op reports through (oracle_retval.c read_status), as
 * buffer b at offset off, size bytes. */
int rp_status_place(const struct cx *cx, const struct plan *pl, int *b, int64_t *off,
		    unsigned *size, char *why, size_t len)
{
	const struct hcf_struct *st;
	const struct hcf_field *f;
	if (hcf_oracle_status_place(cx->abi, cx->p, pl->call, pl->op, b, off, &st, &f, why, len) != 0)
		return -1;
	*size = f->size;
	return 0;
}

static int parse_retval(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	const struct hcf_abi *abi = cx->abi;
	const struct hcf_op *op = pl->op;
	pl->kind = CK_RETVAL;
	if (!op) {
		if (abi->ret_reg >= HCF_NGPR || pl->undeclared->returns.any) {
			snprintf(err, errlen, "retval finding on an undeclared number, but the spec allows "
					      "undeclared numbers any return value");
			return -1;
		}
		pl->reg = abi->ret_reg;
		pl->width = clamp_width(abi->ret_width);
	} else if ((unsigned)op->err >= HCF_ERR_COUNT) {
		snprintf(err, errlen, "%s: unknown error convention", op->name);
		return -1;
	} else if (op->err == HCF_ERR_STATUS_FIELD) {
		int b;
		int64_t off;
		unsigned size;
		char why[160];
		if (rp_status_place(cx, pl, &b, &off, &size, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "retval finding on %s: %s", op->name, why);
			return -1;
		}
		pl->reg = op->ret_reg;
		pl->width = clamp_width(op->ret_width);
		pl->ncalls = cx->p->ncalls; /* the status is read after the program, as hcfuzz does */
	} else {
		if (op->ret_reg >= HCF_NGPR) {
			snprintf(err, errlen, "retval finding on %s, which returns nothing in a register", op->name);
			return -1;
		}
		pl->reg = op->ret_reg;
		pl->width = clamp_width(op->ret_width);
	}
	snprintf(pl->what, sizeof(pl->what), "retval %s at %s", cx->f->sig.where, pl->at);
	return 0;
}

static int parse_model(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	const struct hcf_finding *f = cx->f;
	const struct hcf_loc *l = &f->loc;
	if (l->kind == HCF_LOC_EXCEPTION) {
		/* expected: the vector the model predicted, or "returned" */
		if (!f->has_values || (f->expected > 255 && f->expected != HCF_EXC_RETURNED)) {
			snprintf(err, errlen, "model finding on the exception without the expected "
					      "outcome (finding.json has no \"expected\")");
			return -1;
		}
		pl->kind = CK_MODEL_EXC;
		pl->exp_vector = f->expected == HCF_EXC_RETURNED ? -1 : (int)f->expected;
		snprintf(pl->what, sizeof(pl->what), "model outcome at %s", pl->at);
		return 0;
	}
	if (l->kind == HCF_LOC_REG && f->related != SIZE_MAX) {
		/* a monotonic output that went back: compared with that call */
		size_t j = pl->call;
		while (j-- > 0)
			if (cx->p->calls[j].op == cx->p->calls[pl->call].op)
				break;
		if (j == SIZE_MAX) {
			snprintf(err, errlen, "monotonic model finding on %s, but no earlier call of %s is in "
					      "the program", f->sig.where, pl->name);
			return -1;
		}
		pl->kind = CK_MODEL_MONO;
		pl->reg = l->reg;
		pl->width = model_width(cx->abi, pl->op, l->reg);
		pl->mask = hcf_x86_width_mask(pl->width);
		pl->prev = j;
		snprintf(pl->what, sizeof(pl->what), "model: %s went back at %s", f->sig.where, pl->at);
		return 0;
	}
	if (!f->has_values) {
		snprintf(err, errlen, "model finding on %s without the expected value (finding.json has "
				      "no \"expected\")", f->sig.where);
		return -1;
	}
	if (l->kind == HCF_LOC_REG) {
		pl->kind = CK_MODEL_REG;
		pl->reg = l->reg;
		pl->width = model_width(cx->abi, pl->op, l->reg);
		pl->mask = hcf_x86_width_mask(pl->width);
		pl->expect = f->expected & pl->mask;
	} else if (l->kind == HCF_LOC_FLAG) {
		pl->kind = CK_MODEL_FLAG;
		pl->bit = l->bit;
		pl->expect = (f->expected >> l->bit) & 1;
	} else {
		snprintf(err, errlen, "model finding at %s: not a register, RFLAGS bit or the exception",
			 hcf_loc_kind_name(l->kind));
		return -1;
	}
	snprintf(pl->what, sizeof(pl->what), "model %s at %s", f->sig.where, pl->at);
	return 0;
}

/* The bytes of the finding's buffer image (guard | data | guard) its place
 * names: a guard, a field, a run of padding, the bytes past the struct, a
 * read-only buffer. */
static void memory_place(struct plan *pl, const struct cx *cx, const struct hcf_loc *l)
{
	const struct hcf_buf *b = &cx->p->bufs[pl->mbuf];
	const struct hcf_struct *st = b->struct_idx >= 0 && (size_t)b->struct_idx < cx->abi->nstructs ?
					      &cx->abi->structs[b->struct_idx] : NULL;
	uint32_t g = HCF_BUF_GUARD, size = b->size, end = st && st->size < size ? st->size : size;
	pl->ilo = g;
	pl->ihi = g + size;
	switch (l->kind) {
	case HCF_LOC_GUARD_BELOW:
		pl->ilo = 0;
		pl->ihi = g;
		return;
	case HCF_LOC_GUARD_ABOVE:
		pl->ilo = g + size;
		pl->ihi = 2 * g + size;
		return;
	case HCF_LOC_PAST_STRUCT:
		pl->ilo = g + end;
		return;
	case HCF_LOC_FIELD: {
		const char *dot = strrchr(l->name, '.');
		for (size_t k = 0; st && dot && k < st->nfields; k++) {
			const struct hcf_field *fl = &st->fields[k];
			if (strcmp(fl->name, dot + 1) != 0)
				continue;
			pl->ilo = g + (fl->offset < size ? fl->offset : size);
			pl->ihi = g + ((uint64_t)fl->offset + fl->size < size ? fl->offset + fl->size : size);
			return;
		}
		return;
	}
	case HCF_LOC_PADDING: {
		/* the run of bytes no field covers around the first changed one */
		uint8_t covered[HCF_BUF_MAX];
		memset(covered, 0, sizeof(covered));
		for (size_t k = 0; st && k < st->nfields; k++)
			for (uint64_t i = st->fields[k].offset;
			     i < (uint64_t)st->fields[k].offset + st->fields[k].size && i < size; i++)
				covered[i] = 1;
		uint32_t off = l->off >= 0 ? (uint32_t)l->off : 0, lo = off, hi = off;
		if (off >= end || covered[off]) {
			pl->ihi = g + end;
			return;
		}
		while (lo > 0 && !covered[lo - 1])
			lo--;
		while (hi < end && !covered[hi])
			hi++;
		pl->ilo = g + lo;
		pl->ihi = g + hi;
		return;
	}
	default: /* a read-only buffer: all of it */
		return;
	}
}

static int parse_memory(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	const struct hcf_loc *l = &cx->f->loc;
	pl->kind = CK_MEMORY;
	pl->ncalls = cx->p->ncalls; /* memory is compared after the whole program */
	pl->mbuf = -1;
	if (l->kind == HCF_LOC_PAGE || l->kind == HCF_LOC_PAGES) {
		pl->kind = CK_PAGES;
		snprintf(pl->what, sizeof(pl->what), "memory: stray page write at %s", pl->at);
		return 0;
	}
	if (!hcf_loc_is_memory(l) || l->kind == HCF_LOC_STATUS || l->buf < 0) {
		snprintf(err, errlen, "memory finding at %s: not a buffer, guard or page (a harness "
				      "problem, not something the hypervisor did, cannot be replayed)",
			 cx->f->sig.where[0] ? cx->f->sig.where : hcf_loc_kind_name(l->kind));
		return -1;
	}
	if ((size_t)l->buf >= cx->p->nbufs) {
		snprintf(err, errlen, "memory finding on buf%d, but the program has %zu buffers", l->buf,
			 cx->p->nbufs);
		return -1;
	}
	pl->mbuf = l->buf;
	memory_place(pl, cx, l);
	snprintf(pl->what, sizeof(pl->what), "memory %s after %s", cx->f->sig.where, pl->at);
	return 0;
}

static int parse_liveness(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	const struct hcf_finding *f = cx->f;
	const char *rc = f->sig.rclass;
	pl->kind = CK_LIVENESS;
	/* a loss blamed on an earlier call happened in the related one */
	if (f->related != SIZE_MAX && f->related < cx->p->ncalls && f->related > pl->call) {
		pl->call = f->related;
		pl->ncalls = f->related + 1;
		hcf_pcall_name(cx->p, &cx->p->calls[pl->call], pl->name, sizeof(pl->name));
		snprintf(pl->at, sizeof(pl->at), "call %zu (%s)", pl->call, pl->name);
	}
	if (f->loc.kind == HCF_LOC_PROGRAM) {
		pl->lv = LV_PROGRAM;
		pl->ncalls = cx->p->ncalls;
	} else if (!strcmp(rc, "hang") || !strcmp(rc, "lost:runaway")) {
		/* the reproducer does not sample a guest that stops making
		 * progress: a runaway shows there as a hang */
		pl->lv = LV_HANG;
	} else if (!strncmp(rc, "lost:", 5) || !strcmp(rc, "guest-lost")) {
		pl->lv = LV_LOST;
	} else if (!strcmp(rc, "bad-result")) {
		pl->lv = LV_BAD;
	} else {
		snprintf(err, errlen, "liveness finding of class \"%s\": not a hang, lost guest or bad result", rc);
		return -1;
	}
	snprintf(pl->what, sizeof(pl->what), "liveness (%s) at %s", rc, pl->at);
	return 0;
}

/* One row per oracle: how its findings become a check. */
static const struct {
	const char *oracle;
	parse_fn parse;
} oracle_rows[] = {
	{ "clobber", parse_clobber },
	{ "exception", parse_exception },
	{ "retval", parse_retval },
	{ "model", parse_model },
	{ "memory", parse_memory },
	{ "liveness", parse_liveness },
};

static const char *call_op_name(const struct cx *cx, size_t i)
{
	const struct hcf_op *op = hcf_prog_call_op(cx->p, i);
	return op ? op->name : "undeclared";
}

/*
 * The call the check is on: the one finding.json names when the program has
 * it with the signature's op; else (a minimized program renumbers its calls)
 * the last call of that op.
 */
static int pick_call(const struct cx *cx, size_t *call, char *err, size_t errlen)
{
	const struct hcf_finding_sig *s = &cx->f->sig;
	size_t n = cx->p->ncalls;
	if (n == 0) {
		snprintf(err, errlen, "the finding's program has no calls");
		return -1;
	}
	if (s->call < n && !strcmp(call_op_name(cx, s->call), s->op)) {
		*call = s->call;
		return 0;
	}
	for (size_t i = n; i-- > 0;)
		if (!strcmp(call_op_name(cx, i), s->op)) {
			*call = i;
			return 0;
		}
	snprintf(err, errlen, "the signature names %s, but no call of the program is %s", s->op,
		 !strcmp(s->op, "undeclared") ? "an undeclared number" : "to it");
	return -1;
}

int rp_make_plan(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	memset(pl, 0, sizeof(*pl));
	pl->mbuf = -1;
	if (pick_call(cx, &pl->call, err, errlen) != 0)
		return -1;
	pl->ncalls = pl->call + 1; /* later calls cannot change what this one did */
	pl->op = hcf_prog_call_op(cx->p, pl->call);
	pl->undeclared = hcf_pcall_undeclared(cx->p, &cx->p->calls[pl->call], NULL);
	hcf_pcall_name(cx->p, &cx->p->calls[pl->call], pl->name, sizeof(pl->name));
	snprintf(pl->at, sizeof(pl->at), "call %zu (%s)", pl->call, pl->name);
	for (size_t i = 0; i < sizeof(oracle_rows) / sizeof(oracle_rows[0]); i++) {
		if (strcmp(oracle_rows[i].oracle, cx->f->sig.oracle) != 0)
			continue;
		if (oracle_rows[i].parse(pl, cx, err, errlen) != 0)
			return -1;
		if (pl->ncalls > HCF_REPRO_MAX_CALLS) {
			snprintf(err, errlen, "the program replays %zu calls, more than the %u a reproducer holds: "
					      "minimize the finding first (hcfuzz minimize)",
				 pl->ncalls, HCF_REPRO_MAX_CALLS);
			return -1;
		}
		/* A call hcfuzz refuses to issue (the harness's own port, an MMIO
		 * address in RAM) was never run: a program cannot replay it. */
		for (size_t k = 0; k < pl->ncalls; k++) {
			const char *why = hcf_xport_refusal(&cx->abi->transport,
							    hcf_pcall_nr(cx->p, &cx->p->calls[k]));
			if (why) {
				snprintf(err, errlen, "call %zu is one hcfuzz does not issue (%s): remove it "
						      "from the program", k, why);
				return -1;
			}
		}
		return 0;
	}
	snprintf(err, errlen, "no reproducer check for findings of the %s oracle", cx->f->sig.oracle);
	return -1;
}

