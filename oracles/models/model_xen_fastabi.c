/*
 * model_xen_fastabi.c: the reference model of the Xen FastABI RFC (model
 * "xen-fastabi"): the classic operations with their arguments and results
 * in registers (the patch's fastabi.pandoc and its xen/abi/ files, loaded by the
 * FastABI dialect, harness/spec/spec_fastabi.c).
 *
 * No Xen release implements the RFC, so there is no handler to read; the
 * model holds a FastABI call to what the classic operation of the same name
 * does (model_xen_core.c, the same state as model_xen.c), which is what the
 * RFC promises: the same operations, another encoding. Per call:
 * - version.version: the booted build's major << 16 | minor;
 * - sched.yield: 0;
 * - event_channel.alloc_unbound, close, status: as classic, on the agent's
 *   own domain, with the port and status answers in their output registers.
 * An input is taken as the C type its struct field has (domid_t,
 * evtchn_port_t, the files' c_lang struct); a register value that does not
 * fit it gets no prediction, since the RFC does not say whether a handler
 * truncates it or refuses it. A number without the FastABI mask is a classic
 * hypercall (the RFC: the mask tells the two apart): the model predicts
 * nothing for it, whatever the dialect's rule for undeclared numbers says,
 * and forgets what a classic call may have changed. Operations, their
 * arguments and numbers are found by name in the spec, with the RFC files'
 * values where it has no such name.
 */
#include <stdlib.h>
#include <string.h>

#include "oracles/models/model_xen.h"

#define FASTABI_MASK 0x40000000ull

enum fop { FX_VERSION, FX_ALLOC, FX_CLOSE, FX_STATUS, FX_YIELD, FX_COUNT };

/* An argument: its name in the files, the register (regN) they give it. */
struct farg {
	const char *name;
	uint8_t reg;
};

static const struct {
	const char *name;          /* the op in the spec */
	uint32_t index, sub;       /* hypercall_index, sub-operation index */
	struct farg args[4];       /* inputs, then outputs, as the model reads them */
} fops[FX_COUNT] = {
	[FX_VERSION] = { "version.version", 17, 0, { { NULL, 0 } } },
	[FX_ALLOC] = { "event_channel.alloc_unbound", 32, 6,
		       { { "dom", HCF_RSI }, { "remote_dom", HCF_R8 }, { "port", HCF_R9 } } },
	[FX_CLOSE] = { "event_channel.close", 32, 3, { { "port", HCF_RSI } } },
	[FX_STATUS] = { "event_channel.status", 32, 5,
			{ { "dom", HCF_RSI }, { "port", HCF_R8 }, { "status", HCF_R9 },
			  { "vcpu", HCF_R10 } } },
	[FX_YIELD] = { "sched.yield", 29, 0, { { NULL, 0 } } },
};

struct fastabi_model {
	struct xen_build build;
	struct xen_errnos en;
	uint64_t nr[FX_COUNT], sub[FX_COUNT];
	uint8_t reg[FX_COUNT][4];
	struct xen_evtchns ev;
};

static void *fa_create(const struct hcf_abi *abi, const struct hcf_target_info *ti)
{
	struct fastabi_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	xen_build_from(&m->build, ti);
	xen_errnos_from(&m->en, abi);
	for (size_t i = 0; i < FX_COUNT; i++) {
		const struct hcf_op *op = abi ? hcf_spec_op_by_name(abi, fops[i].name) : NULL;
		m->nr[i] = op ? op->nr : fops[i].index;
		m->sub[i] = op && op->has_subop ? op->subop : fops[i].sub;
		for (size_t a = 0; a < 4 && fops[i].args[a].name; a++) {
			m->reg[i][a] = fops[i].args[a].reg;
			for (size_t k = 0; op && k < op->nargs; k++) {
				/* "in/out" names an INOUT argument: either half counts */
				const char *n = op->args[k].name, *slash = strchr(n, '/');
				size_t len = strlen(fops[i].args[a].name);
				if (!strcmp(n, fops[i].args[a].name) ||
				    (slash && ((size_t)(slash - n) == len &&
					       !strncmp(n, fops[i].args[a].name, len))) ||
				    (slash && !strcmp(slash + 1, fops[i].args[a].name)))
					m->reg[i][a] = op->args[k].reg;
			}
		}
	}
	xen_ev_boot(&m->ev, &m->build); /* a target opens on a guest it has just booted */
	return m;
}

static void fa_destroy(void *st)
{
	free(st);
}

static void fa_reset(void *st)
{
	struct fastabi_model *m = st;
	xen_ev_boot(&m->ev, &m->build);
}

static void fa_forget(void *st)
{
	xen_ev_forget(&((struct fastabi_model *)st)->ev);
}

static enum fop decode(const struct fastabi_model *m, const uint64_t before[HCF_NGPR])
{
	for (size_t i = 0; i < FX_COUNT; i++)
		if (before[HCF_RAX] == (m->nr[i] | FASTABI_MASK) && before[HCF_RDI] == m->sub[i])
			return (enum fop)i;
	return FX_COUNT;
}

/* Input a of op x as its C type: false when the register holds more. */
static bool in_reg(const struct fastabi_model *m, enum fop x, size_t a, uint64_t max,
		   const uint64_t before[HCF_NGPR], uint64_t *v)
{
	*v = before[m->reg[x][a]];
	return *v <= max;
}

static void evop_inputs(const struct fastabi_model *m, enum fop x,
			const uint64_t before[HCF_NGPR], struct xen_evop *op)
{
	uint64_t a = 0, c = 0;
	memset(op, 0, sizeof(*op));
	switch (x) {
	case FX_ALLOC:
		op->in_known = in_reg(m, x, 0, UINT16_MAX, before, &a) &&
			       in_reg(m, x, 1, UINT16_MAX, before, &c);
		op->dom = (uint16_t)a;
		op->remote = (uint16_t)c;
		break;
	case FX_CLOSE:
		op->in_known = in_reg(m, x, 0, UINT32_MAX, before, &a);
		op->port = (uint32_t)a;
		break;
	case FX_STATUS:
		op->in_known = in_reg(m, x, 0, UINT16_MAX, before, &a) &&
			       in_reg(m, x, 1, UINT32_MAX, before, &c);
		op->dom = (uint16_t)a;
		op->port = (uint32_t)c;
		break;
	default:
		break;
	}
}

static void set_reg(struct hcf_expect *e, unsigned reg, uint64_t v)
{
	e->known |= HCF_REGBIT(reg);
	e->gpr[reg] = v;
}

static void fa_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
		       const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	struct fastabi_model *m = st;
	hcf_model_predict_from_spec(abi, p, idx, before, e);
	if (!(before[HCF_RAX] & FASTABI_MASK)) {
		/* a classic hypercall, not the FastABI's to answer */
		e->outcome = HCF_EXP_UNKNOWN;
		e->known = 0;
		e->why_model = "xen-fastabi";
		e->why = "a number without the FastABI mask is a classic hypercall";
		return;
	}
	enum fop x = decode(m, before);
	if (x == FX_COUNT)
		return;
	e->why_model = "xen-fastabi";
	e->why_what = NULL;
	if (x == FX_VERSION) {
		if (!m->build.known) {
			e->why = "version: the target did not report Xen's CPUID leaves";
			return;
		}
		set_reg(e, HCF_RAX, m->build.version);
		e->why = "version: as XENVER_version, major << 16 | minor of the booted build";
		return;
	}
	if (x == FX_YIELD) {
		set_reg(e, HCF_RAX, 0);
		e->why = "sched.yield: as SCHEDOP_yield, vcpu_yield always returns 0";
		return;
	}
	struct xen_evop op;
	evop_inputs(m, x, before, &op);
	if (x == FX_ALLOC)
		xen_ev_predict_alloc(&m->ev, &m->build, &m->en, &op);
	else if (x == FX_CLOSE)
		xen_ev_predict_close(&m->ev, &m->build, &m->en, &op);
	else
		xen_ev_predict_status(&m->ev, &m->build, &m->en, &op);
	e->why = op.why;
	if (!op.rc_known)
		return;
	set_reg(e, HCF_RAX, (uint64_t)op.rc);
	if (op.rc != 0)
		return;
	if (x == FX_ALLOC && op.port_known)
		set_reg(e, m->reg[x][2], op.out_port);
	if (x == FX_STATUS && op.status_known)
		set_reg(e, m->reg[x][2], op.status);
	if (x == FX_STATUS && op.vcpu_known)
		set_reg(e, m->reg[x][3], op.vcpu);
}

static void fa_observe(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
		       const struct hcf_prog_result *res)
{
	struct fastabi_model *m = st;
	const struct hcf_call_result *r = &res->calls[idx];
	bool returned = r->outcome == HCF_CO_RETURNED;
	int64_t rc = (int64_t)r->after[HCF_RAX];
	uint64_t nr = r->before[HCF_RAX];
	enum fop x = decode(m, r->before);
	if (x != FX_ALLOC && x != FX_CLOSE && x != FX_STATUS) {
		/* the FastABI's own numbers and the classic ones alike */
		xen_ev_saw_other(&m->ev, &m->en, nr & ~FASTABI_MASK, returned, rc);
		return;
	}
	struct xen_evop op;
	evop_inputs(m, x, r->before, &op);
	op.rc_known = returned;
	op.rc = rc;
	if (x == FX_ALLOC) {
		op.port_known = returned && rc == 0 && r->after[m->reg[x][2]] <= UINT32_MAX;
		op.out_port = (uint32_t)r->after[m->reg[x][2]];
		xen_ev_saw_alloc(&m->ev, &m->build, &m->en, &op);
	} else if (x == FX_CLOSE) {
		xen_ev_saw_close(&m->ev, &m->build, &m->en, &op);
	} else {
		if (returned && rc == 0) {
			op.status_known = r->after[m->reg[x][2]] <= UINT32_MAX;
			op.status = (uint32_t)r->after[m->reg[x][2]];
			op.vcpu_known = r->after[m->reg[x][3]] <= UINT32_MAX;
			op.vcpu = (uint32_t)r->after[m->reg[x][3]];
		}
		xen_ev_saw_status(&m->ev, &m->build, &m->en, &op);
	}
}

const struct hcf_model_ops hcf_model_xen_fastabi = {
	.name = "xen-fastabi",
	.summary = "the Xen FastABI RFC: the classic operations' answers in registers, the same "
		   "event-channel state as the xen model",
	.create = fa_create,
	.destroy = fa_destroy,
	.reset = fa_reset,
	.forget = fa_forget,
	.predict = fa_predict,
	.observe = fa_observe,
};
