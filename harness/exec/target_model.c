/*
 * target_model.c: the "model" target, where the reference model answers.
 *
 * No VM: every call "returns" with the registers the ABI's model predicts and
 * every other register untouched. It is what a perfectly conforming hypervisor
 * would do as far as the model knows, so a conformance run against it checks
 * the plan, the oracles and the reports end to end without /dev/kvm, and it is
 * one side of a differential run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hcf_proto.h"
#include "oracles/models/model.h"
#include "oracles/oracle.h"
#include "prog/layout.h"
#include "exec/targets.h"
#include "target/target.h"
#include "util/xalloc.h"

struct model_target {
	struct hcf_target base;
	struct hcf_target_info info;
	struct hcf_model model;
};

/*
 * Where the model predicts nothing for the return register, answer with the
 * first value the spec allows (its first success value, else 0): a
 * conforming hypervisor returns something, and the call number left in RAX
 * would not be conforming.
 */
static void set_unpredicted_return(const struct hcf_prog *p, const struct hcf_pcall *c,
				   struct hcf_call_result *cr, const struct hcf_expect *e)
{
	const struct hcf_abi *abi = p->abi;
	int opi = hcf_pcall_op(p, c);
	const struct hcf_op *op = opi >= 0 ? &abi->ops[opi] : NULL;
	unsigned reg = op ? op->ret_reg : abi->ret_reg;
	if (reg >= HCF_NGPR || (e->known & HCF_REGBIT(reg)))
		return;
	const struct hcf_vset *ok = op ? &op->returns : &hcf_pcall_undeclared(p, c, NULL)->returns;
	int64_t v = !ok->any && ok->n ? ok->r[0].lo : 0;
	cr->after[reg] = (uint64_t)v;
}

/* A call that never comes back: it has a return register but no success
 * value and no error. Where the model predicts no exception for it, the
 * guest goes on elsewhere (an event return), which no model follows. */
static bool never_returns(const struct hcf_prog *p, const struct hcf_pcall *c)
{
	int opi = hcf_pcall_op(p, c);
	const struct hcf_op *op = opi >= 0 ? &p->abi->ops[opi] : NULL;
	return op && op->ret_reg != HCF_REG_NONE && !op->returns.any && op->returns.n == 0 &&
	       op->nerrors == 0;
}

/* outputs_zero_extend: what the model leaves of a 32-bit output is written
 * back as a 32-bit register, as the spec says the hypervisor does. */
static void zero_extend_outputs(const struct hcf_prog *p, const struct hcf_pcall *c,
				struct hcf_call_result *cr)
{
	const struct hcf_abi *abi = p->abi;
	if (!abi->outputs_zero_extend)
		return;
	int opi = hcf_pcall_op(p, c);
	const struct hcf_op *op = opi >= 0 ? &abi->ops[opi] : NULL;
	unsigned ret = op ? op->ret_reg : abi->ret_reg;
	if (ret < HCF_NGPR && (op ? op->ret_width : abi->ret_width) == 32)
		cr->after[ret] &= 0xffffffffull;
	for (size_t i = 0; op && i < op->nargs; i++)
		if ((op->args[i].dir & HCF_DIR_OUT) && op->args[i].width == 32 &&
		    op->args[i].reg < HCF_NGPR)
			cr->after[op->args[i].reg] &= 0xffffffffull;
}

/* The bytes the model predicted behind a buffer field (a block read's
 * data), written where they lie in a buffer's image (guards included). */
static void write_data(const struct hcf_expect *e, struct hcf_prog_result *r)
{
	uint64_t lo = e->data_addr, hi = lo + e->data_len;
	for (size_t b = 0; e->data && e->data_len && hi > lo && b < r->nbufs; b++) {
		struct hcf_buf_after *ba = &r->bufs[b];
		uint64_t img = ba->gva - HCF_BUF_GUARD;
		if (ba->bytes && lo >= img && hi <= img + ba->size + 2 * HCF_BUF_GUARD) {
			memcpy(ba->bytes + (lo - img), e->data, e->data_len);
			return;
		}
	}
}

/*
 * The way call i must end the guest, as the spec's ends: items marked must
 * say for its inputs (a struct outside guest memory), or as the model says
 * (a device the guest does not have); HCF_LIVE_OK when it need not. A
 * conforming VMM ends it so before the call does anything else.
 */
static unsigned must_end(const struct hcf_prog *p, size_t i, const uint64_t before[HCF_NGPR],
			 const struct hcf_expect *e, const char **why)
{
	const struct hcf_loss *m = hcf_oracle_must_end(p->abi, p, i, before);
	if (m) {
		*why = m->what ? m->what : m->why ? m->why : "the spec's ends: requires it";
		return hcf_loss_first_way(m->ends);
	}
	*why = e->ends_why ? e->ends_why : "the model requires it";
	return e->ends ? hcf_loss_first_way(e->ends) : HCF_LIVE_OK;
}

/* The OUT fields the model predicted, written into the buffers as a
 * hypervisor would write them. */
static void write_fields(const struct hcf_prog *p, size_t i, const struct hcf_expect *e,
			 struct hcf_prog_result *r)
{
	for (unsigned k = 0; k < e->nfields && k < HCF_EXPECT_FIELDS; k++) {
		const struct hcf_expect_field *f = &e->fields[k];
		int b;
		uint32_t at;
		if (!hcf_model_struct_at(p, i, f->reg, (uint32_t)f->offset + f->size, &b, &at) ||
		    (size_t)b >= r->nbufs || !r->bufs[b].bytes)
			continue;
		uint8_t *dst = r->bufs[b].bytes + HCF_BUF_GUARD + at + f->offset;
		for (unsigned n = 0; n < f->size; n++)
			dst[n] = (uint8_t)(f->value >> (8 * n));
	}
}

static int model_run(struct hcf_target *t, const struct hcf_prog *p, struct hcf_prog_result *r)
{
	struct model_target *mt = (struct model_target *)t;
	hcf_result_reserve(r, p->ncalls);
	for (size_t i = 0; i < p->ncalls; i++)
		hcf_call_result_init(&r->calls[i], p->calls[i].gpr);
	/* the buffers where the kvm target puts them: the same addresses */
	struct hcf_layout l;
	char err[128];
	if (hcf_layout_place(p, &l, err, sizeof(err)) != 0) {
		r->liveness = HCF_LIVE_HARNESS;
		snprintf(r->detail, sizeof(r->detail), "%s", err);
		return -1;
	}
	r->ndone = p->ncalls;
	r->liveness = HCF_LIVE_OK;
	r->detail[0] = '\0';
	/* the buffers as the program lays them out; calls write their
	 * predicted OUT fields into them as they run, so that the model
	 * observes each call with the memory it left */
	r->nbufs = p->nbufs;
	r->guard_byte = HCF_GUARD_BYTE;
	for (size_t b = 0; b < p->nbufs; b++) {
		uint8_t *bytes = hcf_result_buf_storage(r, b, p->bufs[b].size, l.buf_gva[b]);
		hcf_layout_image(p, &l, b, bytes);
		r->bufs[b].valid = true;
	}
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct hcf_pcall *c = &p->calls[i];
		struct hcf_call_result *cr = &r->calls[i];
		uint64_t entry;
		hcf_layout_call_image(p, &l, i, cr->before, &entry);
		cr->before[HCF_RSP] = HCF_GPA_STACK_HI - 0x100;
		cr->rflags_before = 0x2 | (c->rflags & HCF_RFLAGS_LOADABLE);
		struct hcf_expect e;
		mt->model.ops->predict(mt->model.st, p->abi, p, i, cr->before, &e);
		memcpy(cr->after, cr->before, sizeof(cr->after));
		cr->rflags_after = (cr->rflags_before & ~e.rflags_mask) | (e.rflags & e.rflags_mask);
		const char *ends_why;
		unsigned way = must_end(p, i, cr->before, &e, &ends_why);
		if (way != HCF_LIVE_OK) {
			/* the VMM exits (refuses the call, halts the guest) as the
			 * contract requires: the program ends here */
			cr->outcome = HCF_CO_GUEST_LOST;
			cr->lost_why = (enum hcf_liveness)way;
			cr->detail = ends_why;
			r->liveness = (enum hcf_liveness)way;
			snprintf(r->detail, sizeof(r->detail), "the model target ends the guest (%s): %s",
				 hcf_liveness_name((enum hcf_liveness)way), ends_why);
			r->ndone = i;
			break;
		}
		if (e.outcome == HCF_EXP_EXCEPTION) {
			cr->outcome = HCF_CO_EXCEPTION;
			cr->vector = e.vector;
		} else if (never_returns(p, c)) {
			/* no model runs the code the guest goes on to: it ends
			 * there (the liveness oracle asks whether a call of the
			 * program declares that) */
			cr->outcome = HCF_CO_GUEST_LOST;
			cr->lost_why = HCF_LIVE_SHUTDOWN;
			cr->detail = "the model target ends the guest where a call never returns";
			r->liveness = HCF_LIVE_SHUTDOWN;
			snprintf(r->detail, sizeof(r->detail), "%s", cr->detail);
			r->ndone = i;
			break;
		} else {
			cr->outcome = HCF_CO_RETURNED;
			set_unpredicted_return(p, c, cr, &e);
			for (unsigned reg = 0; reg < HCF_NGPR; reg++)
				if (e.known & HCF_REGBIT(reg))
					cr->after[reg] = e.gpr[reg];
			zero_extend_outputs(p, c, cr);
			write_fields(p, i, &e, r);
			write_data(&e, r);
		}
		if (mt->model.ops->observe)
			mt->model.ops->observe(mt->model.st, p->abi, p, i, r);
	}
	/* as the kvm target, the next program gets a fresh guest after one
	 * that reconfigured or lost this one */
	if (r->liveness != HCF_LIVE_OK || hcf_prog_has_destructive(p))
		hcf_model_reset(&mt->model);
	return 0;
}

/* Back to boot: the model is the hypervisor here, so its state is as after
 * boot too (a rebuild, not a forget). */
static int model_reset(struct hcf_target *t)
{
	struct model_target *mt = (struct model_target *)t;
	hcf_model_reset(&mt->model);
	return 0;
}

static void model_close(struct hcf_target *t)
{
	struct model_target *mt = (struct model_target *)t;
	if (!mt)
		return;
	hcf_model_close(&mt->model);
	free(mt);
}

static const struct hcf_target_info *model_info(struct hcf_target *t)
{
	return &((struct model_target *)t)->info;
}

static int model_open(struct hcf_target **out, const struct hcf_abi *abi,
		      const struct hcf_target_opts *opts, char *err, size_t errlen);

const struct hcf_target_ops hcf_target_model_ops = {
	.name = "model",
	.summary = "no VM: the spec's reference model answers every call",
	.open = model_open,
	.run = model_run,
	.reset = model_reset,
	.close = model_close,
	.info = model_info,
};

static int model_open(struct hcf_target **out, const struct hcf_abi *abi,
		      const struct hcf_target_opts *opts, char *err, size_t errlen)
{
	*out = NULL;
	/* xen-wake-port=N: answer as the agent's Xen dom0 starts, with event
	 * channel N bound to its wake-up event (the Xen targets' boot) */
	static const char *const params[] = { "xen-wake-port", NULL };
	if (hcf_target_params_check(opts, "model", params, err, errlen) != 0)
		return -1;
	const char *wake = hcf_target_param(opts, "xen-wake-port");
	char *end = NULL;
	unsigned long port = wake ? strtoul(wake, &end, 0) : 0;
	if (wake && (*end || port == 0 || port >= 4096)) {
		snprintf(err, errlen, "model: xen-wake-port=%s: a port, 1 to 4095", wake);
		return -1;
	}
	if (!abi) {
		snprintf(err, errlen, "the model target needs a spec");
		return -1;
	}
	struct model_target *mt = hcf_xcalloc(1, sizeof(*mt));
	mt->base.ops = &hcf_target_model_ops;
	mt->base.abi = abi;
	snprintf(mt->info.target, sizeof(mt->info.target), "model");
	snprintf(mt->info.hypervisor, sizeof(mt->info.hypervisor), "model");
	mt->info.xen_wake_port = (uint32_t)port;
	if (hcf_model_open(&mt->model, abi, &mt->info) != 0) {
		snprintf(err, errlen, "no reference model for ABI %s", abi->name);
		free(mt);
		return -1;
	}
	snprintf(mt->info.notes, sizeof(mt->info.notes), "reference model %s answers every call",
		 mt->model.ops->name);
	*out = &mt->base;
	return 0;
}
