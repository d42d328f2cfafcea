/*
 * model.c: the table of reference models, opening and closing one, and the
 * spec-only prediction every model starts from.
 *
 * The "spec" model predicts only what the spec itself pins down: whether a
 * call returns, and the single value an undeclared number must return. ABIs
 * without a model of their own (or naming one hcfuzz does not have) get it,
 * so the model oracle always has something to compare.
 */
#include <stdio.h>
#include <string.h>

#include "oracles/models/model.h"

const struct hcf_model_ops *const hcf_models[] = {
	&hcf_model_spec,
	&hcf_model_kvm,
	&hcf_model_pvm,
	&hcf_model_vmport,
	&hcf_model_xen,
	&hcf_model_xen_fastabi,
	&hcf_model_apple_hvg,
	&hcf_model_solo5_hvt,
	NULL,
};

const struct hcf_model_ops *hcf_model_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; hcf_models[i]; i++)
		if (!strcmp(hcf_models[i]->name, name))
			return hcf_models[i];
	return NULL;
}

const char *hcf_expect_why(const struct hcf_expect *e, char *buf, size_t len)
{
	snprintf(buf, len, "model %s: %s%s%s", e->why_model ? e->why_model : "?",
		 e->why_what ? e->why_what : "", e->why_what ? ": " : "", e->why ? e->why : "");
	return buf;
}

void hcf_model_predict_from_spec(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
				 const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	memset(e, 0, sizeof(*e));
	if (!abi) {
		/* No spec, nothing to rest a prediction on. */
		e->outcome = HCF_EXP_UNKNOWN;
		e->why_model = "spec";
		e->why = "no spec";
		return;
	}
	e->outcome = HCF_EXP_RETURN;
	int opi = idx < p->ncalls ? hcf_pcall_op_loaded(p, &p->calls[idx], before) : -1;
	const struct hcf_op *op = opi >= 0 && (size_t)opi < abi->nops ? &abi->ops[opi] : NULL;

	if (op) {
		/* A call allowed to raise exceptions may or may not: no
		 * prediction either way. */
		if (op->exceptions)
			e->outcome = HCF_EXP_UNKNOWN;
		e->why_model = "spec";
		e->why_what = op->name;
		e->why = "as the spec declares it";
		return;
	}

	const struct hcf_undeclared *u = idx < p->ncalls ? hcf_pcall_undeclared(p, &p->calls[idx], before)
							 : &abi->undeclared;
	if (u->exceptions)
		e->outcome = HCF_EXP_UNKNOWN;
	e->why_model = "spec";
	e->why = u == &abi->undeclared ? "undeclared call number" : "undeclared sub-operation";
	const struct hcf_vset *s = &u->returns;
	if (!s->any && s->n == 1 && s->r[0].lo == s->r[0].hi && abi->ret_reg < HCF_NGPR) {
		unsigned w = abi->ret_width ? abi->ret_width : 64;
		e->known = HCF_REGBIT(abi->ret_reg);
		e->gpr[abi->ret_reg] = (uint64_t)hcf_sext((uint64_t)s->r[0].lo, w > 64 ? 64 : w);
	}
}

static void spec_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			 const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	hcf_model_predict_from_spec(abi, p, idx, before, e);
}

const struct hcf_model_ops hcf_model_spec = {
	.name = "spec",
	.summary = "only what the spec pins down: returns vs exceptions, undeclared numbers",
	.predict = spec_predict,
};

int hcf_model_open(struct hcf_model *m, const struct hcf_abi *abi, const struct hcf_target_info *ti)
{
	memset(m, 0, sizeof(*m));
	const char *name = abi ? abi->model : NULL;
	const struct hcf_model_ops *ops = hcf_model_find(name);
	if (!ops) {
		ops = &hcf_model_spec;
		m->fell_back = name != NULL;
	}
	if (ops->create) {
		m->st = ops->create(abi, ti);
		if (!m->st)
			return -1;
	}
	m->ops = ops;
	return 0;
}

void hcf_model_reset(struct hcf_model *m)
{
	if (m && m->ops && m->ops->reset)
		m->ops->reset(m->st);
}

void hcf_model_forget(struct hcf_model *m)
{
	if (m && m->ops && m->ops->forget)
		m->ops->forget(m->st);
	else
		hcf_model_reset(m);
}

void hcf_model_close(struct hcf_model *m)
{
	if (m->ops && m->ops->destroy)
		m->ops->destroy(m->st);
	memset(m, 0, sizeof(*m));
}
