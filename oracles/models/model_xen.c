/*
 * model_xen.c: the reference model of Xen's classic hypercall ABI (model
 * "xen"), for a 64-bit guest: the number in rax, the arguments in rdi, rsi,
 * rdx, r10, r8, the result in rax (public/arch-x86/xen-x86_64.h).
 *
 * What it predicts (sources in model_xen.h and model_xen_core.c):
 * - a number the build has no handler for, for the agent's kind of guest
 *   (hypercall-defs.c): -ENOSYS;
 * - xen_version (kernel.c do_xen_version): XENVER_version answers the
 *   build's major << 16 | minor, which the target read from CPUID leaf
 *   base+1 (cpuid_hypervisor_leaves fills it from the same two numbers);
 *   XENVER_pagesize answers PAGE_SIZE for a NULL argument and -EINVAL for
 *   any other; XENVER_get_features answers -EINVAL for a submap index other
 *   than 0; XENVER_platform_parameters writes HYPERVISOR_VIRT_START
 *   (0xffff800000000000 on x86-64, asm/config.h) and answers 0;
 * - sched_op's SCHEDOP_yield (sched/core.c vcpu_yield): 0;
 * - event_channel_op's alloc_unbound, close and status on the agent's own
 *   domain, statefully (model_xen_core.c): their answer, the port an
 *   allocation returns and the status fields, in the structs the calls
 *   point to.
 * Everything else is the spec's. A struct argument is read only where the
 * call's register points into a program buffer that holds all of it, and
 * a field only where no earlier call of the program pointed Xen at it.
 * The calls, sub-operations and structs are found by name in the spec (the
 * __HYPERVISOR_* and EVTCHNOP_* names without their prefixes, the C struct
 * names), with xen.h's numbers and the headers' layouts where the spec has
 * no such name, so the model follows the spec it is paired with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracles/models/model_xen.h"

#define XEN_PAGE_SIZE 4096u
#define XEN_HYPERVISOR_VIRT_START 0xffff800000000000ull

enum xop { X_VERSION, X_PAGESIZE, X_GET_FEATURES, X_PLATFORM, X_ALLOC, X_CLOSE, X_STATUS,
	   X_YIELD, X_COUNT };

static const struct {
	const char *call, *sub;   /* call and sub-operation names in the spec */
	uint32_t nr, cmd;         /* public/xen.h, version.h, event_channel.h, sched.h */
	const char *strct;        /* the struct the second argument points to */
	uint32_t size;            /* its size in the public headers */
} xops[X_COUNT] = {
	[X_VERSION] = { "xen_version", "version", XEN_HC_XEN_VERSION, 0, NULL, 0 },
	[X_PAGESIZE] = { "xen_version", "pagesize", XEN_HC_XEN_VERSION, 7, NULL, 0 },
	[X_GET_FEATURES] = { "xen_version", "get_features", XEN_HC_XEN_VERSION, 6,
			     "xen_feature_info", 8 },
	[X_PLATFORM] = { "xen_version", "platform_parameters", XEN_HC_XEN_VERSION, 5,
			 "xen_platform_parameters", 8 },
	[X_ALLOC] = { "event_channel_op", "alloc_unbound", XEN_HC_EVENT_CHANNEL_OP, 6,
		      "evtchn_alloc_unbound", 8 },
	[X_CLOSE] = { "event_channel_op", "close", XEN_HC_EVENT_CHANNEL_OP, 3, "evtchn_close", 4 },
	[X_STATUS] = { "event_channel_op", "status", XEN_HC_EVENT_CHANNEL_OP, 5, "evtchn_status",
		       24 },
	[X_YIELD] = { "sched_op", "yield", XEN_HC_SCHED_OP, 0, NULL, 0 },
};

/* A field of a struct: the header's place, or the spec's field of that name. */
enum xfld { F_DOM, F_REMOTE, F_ALLOC_PORT, F_CLOSE_PORT, F_ST_DOM, F_ST_PORT, F_ST_STATUS,
	    F_ST_VCPU, F_ST_UNBOUND_DOM, F_SUBMAP_IDX, F_VIRT_START, F_COUNT };

static const struct {
	enum xop op;
	const char *name;         /* the field's name in the spec */
	uint32_t off, size;       /* the public header's layout */
} xflds[F_COUNT] = {
	[F_DOM] = { X_ALLOC, "dom", 0, 2 },
	[F_REMOTE] = { X_ALLOC, "remote_dom", 2, 2 },
	[F_ALLOC_PORT] = { X_ALLOC, "port", 4, 4 },
	[F_CLOSE_PORT] = { X_CLOSE, "port", 0, 4 },
	[F_ST_DOM] = { X_STATUS, "dom", 0, 2 },
	[F_ST_PORT] = { X_STATUS, "port", 4, 4 },
	[F_ST_STATUS] = { X_STATUS, "status", 8, 4 },
	[F_ST_VCPU] = { X_STATUS, "vcpu", 12, 4 },
	[F_ST_UNBOUND_DOM] = { X_STATUS, NULL, 16, 2 }, /* u.unbound.dom: whatever the spec
							    calls the field at offset 16 */
	[F_SUBMAP_IDX] = { X_GET_FEATURES, "submap_idx", 0, 4 },
	[F_VIRT_START] = { X_PLATFORM, "virt_start", 0, 8 },
};

struct xen_model {
	struct xen_build build;
	struct xen_errnos en;
	uint64_t nr[X_COUNT];
	uint32_t cmd[X_COUNT];
	uint8_t reg[X_COUNT];          /* the register the struct's address is in */
	uint32_t fld_off[F_COUNT];
	bool fld_out[F_COUNT];         /* the spec declares the field OUT: predict it */
	char fld_name[F_COUNT][40];
	struct xen_evtchns ev;
};

/* The spec's field of struct st covering [off, off + size), by name when
 * given (name NULL: any field there). */
static const struct hcf_field *spec_field(const struct hcf_struct *st, const char *name,
					  uint32_t off, uint32_t size)
{
	for (size_t k = 0; st && k < st->nfields; k++) {
		const struct hcf_field *f = &st->fields[k];
		if (name ? !strcmp(f->name, name)
			 : f->offset <= off && (uint64_t)f->offset + f->size >= (uint64_t)off + size)
			return f;
	}
	return NULL;
}

static void resolve(struct xen_model *m, const struct hcf_abi *abi)
{
	for (size_t i = 0; i < X_COUNT; i++) {
		char name[96];
		snprintf(name, sizeof(name), "%s.%s", xops[i].call, xops[i].sub);
		const struct hcf_op *op = abi ? hcf_spec_op_by_name(abi, name) : NULL;
		m->nr[i] = op ? op->nr : xops[i].nr;
		m->cmd[i] = op && op->has_subop ? (uint32_t)op->subop : xops[i].cmd;
		m->reg[i] = HCF_RSI; /* the second argument */
		for (size_t a = 0; op && xops[i].strct && a < op->nargs; a++) {
			int si = op->args[a].struct_idx;
			if (si >= 0 && (size_t)si < abi->nstructs &&
			    !strcmp(abi->structs[si].name, xops[i].strct))
				m->reg[i] = op->args[a].reg;
		}
	}
	for (size_t f = 0; f < F_COUNT; f++) {
		const char *sname = xops[xflds[f].op].strct;
		const struct hcf_struct *st = abi ? hcf_spec_struct(abi, sname) : NULL;
		const struct hcf_field *fl = spec_field(st, xflds[f].name, xflds[f].off,
							xflds[f].size);
		if (xflds[f].name) {
			/* the spec's field of that name, where it says it is */
			m->fld_off[f] = fl && fl->size == xflds[f].size ? fl->offset : xflds[f].off;
			m->fld_out[f] = fl && (fl->dir & HCF_DIR_OUT) && fl->size == xflds[f].size;
		} else {
			/* part of a field (a union): the header's place */
			m->fld_off[f] = xflds[f].off;
			m->fld_out[f] = fl && (fl->dir & HCF_DIR_OUT);
		}
		snprintf(m->fld_name[f], sizeof(m->fld_name[f]), "%s.%s", sname,
			 fl ? fl->name : xflds[f].name ? xflds[f].name : "u");
	}
}

static void *xen_create(const struct hcf_abi *abi, const struct hcf_target_info *ti)
{
	struct xen_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	xen_build_from(&m->build, ti);
	xen_errnos_from(&m->en, abi);
	resolve(m, abi);
	/* a target opens on a guest it has just booted */
	xen_ev_boot(&m->ev, &m->build);
	return m;
}

static void xen_destroy(void *st)
{
	free(st);
}

static void xen_reset(void *st)
{
	struct xen_model *m = st;
	xen_ev_boot(&m->ev, &m->build);
}

static void xen_forget(void *st)
{
	xen_ev_forget(&((struct xen_model *)st)->ev);
}

/* Which modelled operation the registers issue, or X_COUNT. */
static enum xop decode(const struct xen_model *m, const struct hcf_abi *abi,
		       const uint64_t before[HCF_NGPR])
{
	/* do_*(int cmd, ...): the command is the low half of rdi */
	uint32_t cmd = (uint32_t)before[HCF_RDI];
	uint64_t nr = xen_issued_nr(abi, before);
	for (size_t i = 0; i < X_COUNT; i++)
		if (nr == m->nr[i] && cmd == m->cmd[i])
			return (enum xop)i;
	return X_COUNT;
}

static uint32_t struct_size(const struct hcf_abi *abi, enum xop x)
{
	const struct hcf_struct *st = abi && xops[x].strct ? hcf_spec_struct(abi, xops[x].strct)
							   : NULL;
	return st && st->size > xops[x].size ? st->size : xops[x].size;
}

/* Field f of the struct call idx points at, as the call found it. */
static bool in_field(const struct xen_model *m, const struct hcf_abi *abi,
		     const struct hcf_prog *p, size_t idx, enum xfld f, uint64_t *v)
{
	enum xop x = xflds[f].op;
	int b;
	uint32_t at;
	if (!hcf_model_struct_at(p, idx, m->reg[x], struct_size(abi, x), &b, &at))
		return false;
	return hcf_model_in_field(abi, p, idx, m->reg[x], m->fld_off[f], xflds[f].size, v);
}

static bool out_field(const struct xen_model *m, const struct hcf_abi *abi,
		      const struct hcf_prog *p, const struct hcf_prog_result *res, size_t idx,
		      enum xfld f, uint64_t *v)
{
	enum xop x = xflds[f].op;
	return hcf_model_out_field(abi, p, res, idx, m->reg[x], m->fld_off[f], xflds[f].size, v);
}

static void expect_field(const struct xen_model *m, struct hcf_expect *e, enum xfld f,
			 uint64_t v)
{
	if (m->fld_out[f])
		hcf_expect_field(e, m->reg[xflds[f].op], m->fld_off[f], xflds[f].size, v,
				 m->fld_name[f]);
}

static void set_rax(struct hcf_expect *e, int64_t v)
{
	e->known |= HCF_REGBIT(HCF_RAX);
	e->gpr[HCF_RAX] = (uint64_t)v;
}

/* The neutral form of an event-channel call's inputs. */
static void evop_inputs(const struct xen_model *m, const struct hcf_abi *abi,
			const struct hcf_prog *p, size_t idx, enum xop x, struct xen_evop *op)
{
	uint64_t a = 0, c = 0;
	memset(op, 0, sizeof(*op));
	switch (x) {
	case X_ALLOC:
		op->in_known = in_field(m, abi, p, idx, F_DOM, &a) &&
			       in_field(m, abi, p, idx, F_REMOTE, &c);
		op->dom = (uint16_t)a;
		op->remote = (uint16_t)c;
		break;
	case X_CLOSE:
		op->in_known = in_field(m, abi, p, idx, F_CLOSE_PORT, &a);
		op->port = (uint32_t)a;
		break;
	case X_STATUS:
		op->in_known = in_field(m, abi, p, idx, F_ST_DOM, &a) &&
			       in_field(m, abi, p, idx, F_ST_PORT, &c);
		op->dom = (uint16_t)a;
		op->port = (uint32_t)c;
		break;
	default:
		break;
	}
}

static void predict_evtchn(struct xen_model *m, const struct hcf_abi *abi,
			   const struct hcf_prog *p, size_t idx, enum xop x, struct hcf_expect *e)
{
	struct xen_evop op;
	evop_inputs(m, abi, p, idx, x, &op);
	if (x == X_ALLOC)
		xen_ev_predict_alloc(&m->ev, &m->build, &m->en, &op);
	else if (x == X_CLOSE)
		xen_ev_predict_close(&m->ev, &m->build, &m->en, &op);
	else
		xen_ev_predict_status(&m->ev, &m->build, &m->en, &op);
	e->why = op.why;
	if (!op.rc_known)
		return;
	set_rax(e, op.rc);
	if (op.rc != 0)
		return;
	if (x == X_ALLOC && op.port_known)
		expect_field(m, e, F_ALLOC_PORT, op.out_port);
	if (x == X_STATUS) {
		if (op.status_known)
			expect_field(m, e, F_ST_STATUS, op.status);
		if (op.vcpu_known)
			expect_field(m, e, F_ST_VCPU, op.vcpu);
		if (op.remote_known)
			expect_field(m, e, F_ST_UNBOUND_DOM, op.out_remote);
	}
}

static void xen_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	struct xen_model *m = st;
	hcf_model_predict_from_spec(abi, p, idx, before, e);
	const char *why;
	if (xen_number_absent(&m->build, xen_issued_nr(abi, before), &why)) {
		set_rax(e, -m->en.enosys);
		e->outcome = HCF_EXP_RETURN;
		e->why_model = "xen";
		e->why = why;
		return;
	}
	enum xop x = decode(m, abi, before);
	if (x == X_COUNT)
		return;
	e->why_model = "xen";
	e->why_what = NULL;
	uint64_t v;
	int b;
	uint32_t at;
	switch (x) {
	case X_VERSION:
		if (!m->build.known) {
			e->why = "XENVER_version: the target did not report Xen's CPUID leaves";
			return;
		}
		set_rax(e, m->build.version);
		e->why = "XENVER_version: major << 16 | minor of the booted build (CPUID leaf "
			 "base+1 EAX)";
		return;
	case X_PAGESIZE:
		set_rax(e, before[HCF_RSI] == 0 ? (int64_t)XEN_PAGE_SIZE : -m->en.einval);
		e->why = before[HCF_RSI] == 0 ? "XENVER_pagesize with a NULL argument: PAGE_SIZE"
					      : "XENVER_pagesize: a non-NULL argument is -EINVAL";
		return;
	case X_GET_FEATURES:
		if (in_field(m, abi, p, idx, F_SUBMAP_IDX, &v) && v != 0) {
			set_rax(e, -m->en.einval);
			e->why = "XENVER_get_features: only submap 0 exists: -EINVAL";
		}
		return;
	case X_PLATFORM:
		if (hcf_model_struct_at(p, idx, m->reg[x], struct_size(abi, x), &b, &at)) {
			set_rax(e, 0);
			expect_field(m, e, F_VIRT_START, XEN_HYPERVISOR_VIRT_START);
			e->why = "XENVER_platform_parameters: HYPERVISOR_VIRT_START, 0";
		}
		return;
	case X_YIELD:
		set_rax(e, 0);
		e->why = "SCHEDOP_yield: vcpu_yield always returns 0";
		return;
	default:
		predict_evtchn(m, abi, p, idx, x, e);
		return;
	}
}

static void xen_observe(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			const struct hcf_prog_result *res)
{
	struct xen_model *m = st;
	const struct hcf_call_result *r = &res->calls[idx];
	bool returned = r->outcome == HCF_CO_RETURNED;
	int64_t rc = (int64_t)r->after[HCF_RAX];
	enum xop x = decode(m, abi, r->before);
	if (x != X_ALLOC && x != X_CLOSE && x != X_STATUS) {
		xen_ev_saw_other(&m->ev, &m->en, xen_issued_nr(abi, r->before), returned, rc);
		return;
	}
	struct xen_evop op;
	evop_inputs(m, abi, p, idx, x, &op);
	op.rc_known = returned;
	op.rc = rc;
	uint64_t v = 0;
	if (x == X_ALLOC) {
		op.port_known = returned && rc == 0 && out_field(m, abi, p, res, idx, F_ALLOC_PORT, &v);
		op.out_port = (uint32_t)v;
		xen_ev_saw_alloc(&m->ev, &m->build, &m->en, &op);
	} else if (x == X_CLOSE) {
		xen_ev_saw_close(&m->ev, &m->build, &m->en, &op);
	} else {
		if (returned && rc == 0) {
			op.status_known = out_field(m, abi, p, res, idx, F_ST_STATUS, &v);
			op.status = (uint32_t)v;
			op.vcpu_known = out_field(m, abi, p, res, idx, F_ST_VCPU, &v);
			op.vcpu = (uint32_t)v;
			op.remote_known = out_field(m, abi, p, res, idx, F_ST_UNBOUND_DOM, &v);
			op.out_remote = (uint16_t)v;
		}
		xen_ev_saw_status(&m->ev, &m->build, &m->en, &op);
	}
}

const struct hcf_model_ops hcf_model_xen = {
	.name = "xen",
	.summary = "Xen 4.17's classic hypercalls: -ENOSYS by guest kind, xen_version from the "
		   "booted build, event channels of the agent's domain (stateful)",
	.create = xen_create,
	.destroy = xen_destroy,
	.reset = xen_reset,
	.forget = xen_forget,
	.predict = xen_predict,
	.observe = xen_observe,
};
