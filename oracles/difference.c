/* difference.c: the places where two results of one program differ. */
#include <stdio.h>
#include <string.h>

#include "oracles/difference.h"
#include "oracles/oracle.h"
#include "spec/transport.h"
#include "util/x86.h"

struct differ {
	const struct hcf_prog *p;
	struct hcf_differences *out;
	hcf_regmask_t ignore;    /* the transports' own clobbers */
};

static struct hcf_difference *add(struct differ *df, size_t call, const struct hcf_loc *loc)
{
	df->out->found++;
	if (df->out->n == HCF_DIFF_KEEP)
		return NULL;
	struct hcf_difference *d = &df->out->d[df->out->n++];
	memset(d, 0, sizeof(*d));
	d->call = call;
	d->loc = *loc;
	hcf_loc_format(loc, d->where, sizeof(d->where));
	return d;
}

static void add_text(struct differ *df, size_t call, const struct hcf_loc *loc, const char *was,
		     const char *now)
{
	struct hcf_difference *d = add(df, call, loc);
	if (!d)
		return;
	snprintf(d->was, sizeof(d->was), "%s", was);
	snprintf(d->now, sizeof(d->now), "%s", now);
}

/* ---- one call -------------------------------------------------------- */

/* How a call ended, as people read it: "returned", "exception #GP(0x0)",
 * "guest-lost (shutdown)". */
static void outcome_text(const struct hcf_call_result *cr, char *buf, size_t len)
{
	char m[32];
	switch (cr->outcome) {
	case HCF_CO_EXCEPTION:
		snprintf(buf, len, "exception %s", hcf_exc_format(m, sizeof(m), cr->vector, 0));
		buf[strcspn(buf, "(")] = '\0';
		break;
	case HCF_CO_HANG:
	case HCF_CO_GUEST_LOST:
		snprintf(buf, len, "%s (%s)", hcf_call_outcome_name(cr->outcome),
			 hcf_liveness_name(cr->lost_why));
		break;
	default:
		snprintf(buf, len, "%s", hcf_call_outcome_name(cr->outcome));
		break;
	}
}

/* Is reg an output the spec says may differ between runs? */
static bool nondet_output(const struct hcf_op *op, unsigned reg)
{
	for (size_t i = 0; op && i < op->nargs; i++)
		if (op->args[i].reg == reg && (op->args[i].dir & HCF_DIR_OUT) &&
		    op->args[i].nondet != HCF_NONDET_NONE)
			return true;
	return false;
}

static void reg_text(uint64_t before, uint64_t after, char *buf, size_t len)
{
	if (after == before)
		snprintf(buf, len, "kept 0x%llx", (unsigned long long)after);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)after);
}

static void compare_regs(struct differ *df, size_t i, const struct hcf_call_result *a,
			 const struct hcf_call_result *b)
{
	const struct hcf_op *op = hcf_prog_call_op(df->p, i);
	/* declared clobbers hold garbage by contract, whose value may vary from
	 * run to run (Xen re-enters a preempted call with its argument registers
	 * advanced: how far depends on when it was preempted) */
	hcf_regmask_t garbage = op ? op->clobber_mask : df->p->abi->clobbers;
	for (unsigned r = 0; r < HCF_NGPR; r++) {
		if (nondet_output(op, r) || ((df->ignore | garbage) & HCF_REGBIT(r)))
			continue;
		bool kept_a = a->after[r] == a->before[r], kept_b = b->after[r] == b->before[r];
		/* kept on both sides: the same, whatever each side loaded */
		if ((kept_a && kept_b) || (!kept_a && !kept_b && a->after[r] == b->after[r]))
			continue;
		struct hcf_loc loc = hcf_loc_reg(r);
		struct hcf_difference *d = add(df, i, &loc);
		if (!d)
			continue;
		reg_text(a->before[r], a->after[r], d->was, sizeof(d->was));
		reg_text(b->before[r], b->after[r], d->now, sizeof(d->now));
		d->has_values = true;
		d->was_v = a->after[r];
		d->now_v = b->after[r];
	}
}

/* A flag's fate in a call: kept (0), cleared (1) or set (2). */
static unsigned flag_state(const struct hcf_call_result *cr, unsigned bit)
{
	if (!((cr->rflags_before ^ cr->rflags_after) >> bit & 1))
		return 0;
	return 1 + (unsigned)(cr->rflags_after >> bit & 1);
}

static void compare_flags(struct differ *df, size_t i, const struct hcf_call_result *a,
			  const struct hcf_call_result *b, uint64_t mask)
{
	static const char *const state_name[] = { "kept", "cleared", "set" };
	for (uint64_t m = mask; m; m &= m - 1) {
		unsigned bit = (unsigned)__builtin_ctzll(m);
		unsigned sa = flag_state(a, bit), sb = flag_state(b, bit);
		if (sa == sb)
			continue;
		struct hcf_loc loc = hcf_loc_flag(bit);
		struct hcf_difference *d = add(df, i, &loc);
		if (!d)
			continue;
		snprintf(d->was, sizeof(d->was), "%s", state_name[sa]);
		snprintf(d->now, sizeof(d->now), "%s", state_name[sb]);
		d->has_values = true;
		d->was_v = a->rflags_after >> bit & 1;
		d->now_v = b->rflags_after >> bit & 1;
	}
}

static void compare_call(struct differ *df, size_t i, const struct hcf_call_result *a,
			 const struct hcf_call_result *b, uint64_t flag_mask)
{
	char wa[48], wb[48];
	outcome_text(a, wa, sizeof(wa));
	outcome_text(b, wb, sizeof(wb));
	if (a->outcome != b->outcome || strcmp(wa, wb)) {
		struct hcf_loc loc = a->outcome == HCF_CO_EXCEPTION && b->outcome == HCF_CO_EXCEPTION
					     ? hcf_loc_of(HCF_LOC_EXCEPTION)
					     : hcf_loc_of(HCF_LOC_OUTCOME);
		add_text(df, i, &loc, wa, wb);
		return;
	}
	if (a->outcome != HCF_CO_RETURNED && a->outcome != HCF_CO_EXCEPTION)
		return; /* lost, hung, untrusted or not run alike: no registers to compare */
	if (a->outcome == HCF_CO_EXCEPTION && a->error_code != b->error_code) {
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_EXCEPTION);
		struct hcf_difference *d = add(df, i, &loc);
		if (d) {
			snprintf(d->was, sizeof(d->was), "error code 0x%llx",
				 (unsigned long long)a->error_code);
			snprintf(d->now, sizeof(d->now), "error code 0x%llx",
				 (unsigned long long)b->error_code);
		}
	}
	compare_regs(df, i, a, b);
	compare_flags(df, i, a, b, flag_mask);
}

/* ---- buffers --------------------------------------------------------- */

/* The place that holds byte off of buffer b (contents from 0, guards
 * outside) and the span [*start, *end) of that place. */
static struct hcf_loc place_of(const struct hcf_abi *abi, const struct hcf_buf *pb, int b, long off,
			       long *start, long *end, const struct hcf_field **field)
{
	struct hcf_loc loc = hcf_loc_of(HCF_LOC_BYTES);
	loc.buf = (int16_t)b;
	*field = NULL;
	long size = pb->size;
	if (off < 0) {
		loc.kind = HCF_LOC_GUARD_BELOW;
		*start = -(long)HCF_BUF_GUARD;
		*end = 0;
		return loc;
	}
	if (off >= size) {
		loc.kind = HCF_LOC_GUARD_ABOVE;
		*start = size;
		*end = size + HCF_BUF_GUARD;
		return loc;
	}
	if (pb->struct_idx < 0 || (size_t)pb->struct_idx >= abi->nstructs) {
		*start = 0;
		*end = size;
		return loc;
	}
	const struct hcf_struct *st = &abi->structs[pb->struct_idx];
	long ssize = st->size ? st->size : size;
	long base = st->array_element ? off / ssize * ssize : 0;
	if (off - base >= ssize) { /* past a single struct */
		loc.kind = HCF_LOC_PAST_STRUCT;
		snprintf(loc.name, sizeof(loc.name), "%s", st->name);
		*start = ssize;
		*end = size;
		return loc;
	}
	long in = off - base, next = ssize;
	for (size_t f = 0; f < st->nfields; f++) {
		const struct hcf_field *fl = &st->fields[f];
		if (in >= fl->offset && in < (long)(fl->offset + fl->size)) {
			loc.kind = HCF_LOC_FIELD;
			snprintf(loc.name, sizeof(loc.name), "%s.%s", st->name, fl->name);
			*start = base + fl->offset;
			*end = base + fl->offset + fl->size;
			if (*end > size)
				*end = size;
			*field = fl;
			return loc;
		}
		if (fl->offset > in && fl->offset < next)
			next = fl->offset;
	}
	loc.kind = HCF_LOC_PADDING;
	snprintf(loc.name, sizeof(loc.name), "%s", st->name);
	*start = off;
	*end = base + next < size ? base + next : size;
	return loc;
}

/* Up to 8 bytes from p as a little-endian hex number, or "N bytes". */
static void bytes_text(const uint8_t *p, long n, char *buf, size_t len)
{
	if (n > 8) {
		snprintf(buf, len, "%ld bytes from %02x%02x%02x%02x...", n, p[0], p[1], p[2], p[3]);
		return;
	}
	uint64_t v = 0;
	for (long k = n - 1; k >= 0; k--)
		v = v << 8 | p[k];
	snprintf(buf, len, "0x%llx", (unsigned long long)v);
}

/* Mark the nondeterministic fields of struct sidx laid out at byte `at` of
 * a buffer (mask: one flag per byte, guards included, index 0 is the first
 * byte of the guard below). */
static void mark_nondet(const struct hcf_abi *abi, int sidx, long at, long size, bool *mask)
{
	if (sidx < 0 || (size_t)sidx >= abi->nstructs)
		return;
	const struct hcf_struct *st = &abi->structs[sidx];
	for (size_t f = 0; f < st->nfields; f++) {
		const struct hcf_field *fl = &st->fields[f];
		if (fl->nondet == HCF_NONDET_NONE)
			continue;
		for (long k = at + fl->offset; k < at + (long)(fl->offset + fl->size); k++)
			if (k >= -(long)HCF_BUF_GUARD && k < size + (long)HCF_BUF_GUARD)
				mask[k + HCF_BUF_GUARD] = true;
	}
}

/* The bytes of buffer b the spec declares nondeterministic: the fields of
 * its own struct (each element of an array) and of every struct a call's
 * pointer argument lays over it, wherever in the buffer it points. */
static void nondet_mask(const struct hcf_prog *p, int b, bool *mask)
{
	const struct hcf_abi *abi = p->abi;
	const struct hcf_buf *pb = &p->bufs[b];
	long size = pb->size;
	if (pb->struct_idx >= 0 && (size_t)pb->struct_idx < abi->nstructs) {
		const struct hcf_struct *st = &abi->structs[pb->struct_idx];
		long step = st->array_element && st->size ? st->size : size;
		for (long at = 0; at < size; at += step)
			mark_nondet(abi, pb->struct_idx, at, size, mask);
	}
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct hcf_op *op = hcf_prog_call_op(p, i);
		for (size_t a = 0; op && a < op->nargs; a++) {
			const struct hcf_arg *arg = &op->args[a];
			if (arg->reg >= HCF_NGPR || arg->struct_idx < 0)
				continue;
			const struct hcf_bufref *ref = &p->calls[i].ref[arg->reg];
			if (ref->buf == b)
				mark_nondet(abi, arg->struct_idx, ref->offset, size, mask);
		}
	}
}

static void compare_buf(struct differ *df, int b, const struct hcf_buf_after *x,
			const struct hcf_buf_after *y)
{
	const struct hcf_buf *pb = &df->p->bufs[b];
	if (x->valid != y->valid) {
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_BYTES);
		loc.buf = (int16_t)b;
		add_text(df, SIZE_MAX, &loc, x->valid ? "read back" : "unreadable",
			 y->valid ? "read back" : "unreadable");
		return;
	}
	if (!x->valid || x->size != pb->size || y->size != pb->size || !x->bytes || !y->bytes)
		return;
	bool mask[HCF_BUF_MAX + 2 * HCF_BUF_GUARD] = { false };
	nondet_mask(df->p, b, mask);
	const bool *nondet = mask + HCF_BUF_GUARD;
	const uint8_t *xa = x->bytes + HCF_BUF_GUARD, *ya = y->bytes + HCF_BUF_GUARD;
	for (long off = -(long)HCF_BUF_GUARD; off < (long)pb->size + (long)HCF_BUF_GUARD;) {
		long start, end;
		const struct hcf_field *fl;
		struct hcf_loc loc = place_of(df->p->abi, pb, b, off, &start, &end, &fl);
		off = end;
		long first = 0, ndiff = 0; /* offsets in the guard below are negative */
		for (long k = start; k < end; k++)
			if (xa[k] != ya[k] && !nondet[k]) {
				if (!ndiff)
					first = k;
				ndiff++;
			}
		if (!ndiff)
			continue;
		loc.off = (int32_t)first;
		loc.nbytes = (uint32_t)ndiff;
		loc.addr = x->gva + (uint64_t)first;
		loc.end = loc.addr + (uint64_t)(end - first);
		struct hcf_difference *d = add(df, SIZE_MAX, &loc);
		if (!d)
			continue;
		/* a field reads as its value; other places from the first byte that differs */
		long from = fl ? start : first;
		bytes_text(xa + from, end - from, d->was, sizeof(d->was));
		bytes_text(ya + from, end - from, d->now, sizeof(d->now));
	}
}

/* ---- pages the hypervisor wrote outside the agent's areas ----------- */

static const struct hcf_page_change *find_page(const struct hcf_prog_result *r, uint64_t gpa)
{
	for (size_t k = 0; k < r->npages; k++)
		if (!r->pages[k].agent_writes && r->pages[k].gpa == gpa)
			return &r->pages[k];
	return NULL;
}

static void compare_pages(struct differ *df, const struct hcf_prog_result *a,
			  const struct hcf_prog_result *b)
{
	if (!a->pages_checked || !b->pages_checked)
		return;
	for (int side = 0; side < 2; side++) {
		const struct hcf_prog_result *x = side ? b : a, *y = side ? a : b;
		for (size_t k = 0; k < x->npages; k++) {
			const struct hcf_page_change *px = &x->pages[k];
			if (px->agent_writes)
				continue;
			const struct hcf_page_change *py = find_page(y, px->gpa);
			if (py && (side || !memcmp(px->now, py->now, sizeof(px->now))))
				continue; /* the same, or already said from a's side */
			struct hcf_loc loc = hcf_loc_of(HCF_LOC_PAGE);
			loc.addr = px->gpa;
			loc.end = px->gpa + 4096;
			loc.nbytes = px->nchanged;
			char mine[48], theirs[48];
			snprintf(mine, sizeof(mine), "%u bytes changed", px->nchanged);
			snprintf(theirs, sizeof(theirs), "%s", py ? "other bytes" : "unchanged");
			add_text(df, SIZE_MAX, &loc, side ? theirs : mine, side ? mine : theirs);
		}
	}
}

/* ---- the program ----------------------------------------------------- */

/* What the program and both results have: calls or buffers. */
static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

size_t hcf_differ(const struct hcf_prog *p, const struct hcf_diff_side *a,
		  const struct hcf_diff_side *b, struct hcf_differences *out)
{
	memset(out, 0, sizeof(*out));
	struct differ df = { .p = p, .out = out };
	const struct hcf_abi *abi_a = a->abi ? a->abi : p->abi, *abi_b = b->abi ? b->abi : p->abi;
	df.ignore = hcf_xport_info(abi_a->transport.kind)->clobbers |
		    hcf_xport_info(abi_b->transport.kind)->clobbers;
	/* At an exception rsp is where the agent's stub was: a call into Xen's
	 * hypercall page has pushed a return address that a syscall has not.
	 * Between two transports that is the stubs' difference, not the
	 * hypervisor's. */
	if (abi_a->transport.kind != abi_b->transport.kind)
		df.ignore |= HCF_REGBIT(HCF_RSP);
	const struct hcf_prog_result *ra = a->res, *rb = b->res;
	uint64_t flag_mask = HCF_X86_RFLAGS_ARCH;
	if (a->rflags_captured)
		flag_mask &= a->rflags_captured;
	if (b->rflags_captured)
		flag_mask &= b->rflags_captured;

	if (a->has_verdict && b->has_verdict && a->verdict != b->verdict) {
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_NONE);
		snprintf(loc.name, sizeof(loc.name), "verdict");
		add_text(&df, SIZE_MAX, &loc, hcf_verdict_name(a->verdict), hcf_verdict_name(b->verdict));
	}
	size_t n = min3(p->ncalls, ra->ncalls, rb->ncalls);
	for (size_t i = 0; i < n; i++)
		compare_call(&df, i, &ra->calls[i], &rb->calls[i], flag_mask);
	if (ra->liveness != rb->liveness) {
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_PROGRAM);
		add_text(&df, SIZE_MAX, &loc, hcf_liveness_name(ra->liveness),
			 hcf_liveness_name(rb->liveness));
	}
	size_t nb = min3(p->nbufs, ra->nbufs, rb->nbufs);
	for (size_t k = 0; k < nb; k++)
		compare_buf(&df, (int)k, &ra->bufs[k], &rb->bufs[k]);
	compare_pages(&df, ra, rb);
	return out->found;
}

const char *hcf_difference_format(const struct hcf_prog *p, const struct hcf_difference *d,
				  const char *label_a, const char *label_b, char *buf, size_t len)
{
	char who[128] = "";
	if (d->call != SIZE_MAX && d->call < p->ncalls) {
		char name[96];
		snprintf(who, sizeof(who), "call %zu (%s) ", d->call,
			 hcf_pcall_name(p, &p->calls[d->call], name, sizeof(name)));
	}
	snprintf(buf, len, "%s%s: %s %s, %s %s", who, d->where, label_a, d->was, label_b, d->now);
	return buf;
}

const char *hcf_difference_key(const struct hcf_prog *p, const struct hcf_difference *d, char *buf,
			       size_t len)
{
	char name[96] = "program";
	/* a program of one call: what differs in it is that call's */
	size_t call = d->call != SIZE_MAX ? d->call : p->ncalls == 1 ? 0 : SIZE_MAX;
	if (call < p->ncalls) {
		const struct hcf_op *op = hcf_prog_call_op(p, call);
		if (op)
			snprintf(name, sizeof(name), "%s", op->name);
		else
			snprintf(name, sizeof(name), "undeclared");
	}
	const struct hcf_loc *l = &d->loc;
	char place[64];
	switch (l->kind) {
	case HCF_LOC_REG:
	case HCF_LOC_FLAG:
	case HCF_LOC_NONE:
		hcf_loc_format(l, place, sizeof(place));
		break;
	default: /* memory and outcomes: the kind and name, not the offset or address */
		snprintf(place, sizeof(place), "%s", l->name);
		break;
	}
	snprintf(buf, len, "%s/%s/%s", name, hcf_loc_kind_name(l->kind), place);
	return buf;
}
