/*
 * model_pvm.c: the reference model of the PVM build behind /dev/kvm on the
 * development machines (ABI "pvm"; ../shared/PLATFORM.md).
 *
 * Measured: `int $0x1b` from guest supervisor mode, number in RAX, result in
 * RAX. Numbers 0x1000..0x100e are implemented (0x1006 answers "not
 * implemented" with -38); any other number returns -38 (ENOSYS). Most of the
 * implemented ones reconfigure the guest (control registers, descriptor
 * tables, MSRs, event return), so losing the guest there is allowed.
 *
 * The table holds one row per number with what has been measured about it;
 * rows grow as measurements come in (PVM_VALUE rows carry a measured RAX).
 * The decoding width of the number is not measured: a number whose low 32
 * bits name an implemented call but whose upper bits are set gets no
 * prediction, rather than a guess that could raise false findings.
 *
 * State: the IDT a program loaded (load IDTR). Exception delivery through an
 * IDT too short for an allowed vector raises #GP, and #GP through it #DF;
 * an IDT the agent did not build delivers whatever its gates say. The model
 * adds those vectors to what later calls may raise, and lets them lose the
 * guest (a #DF that cannot be delivered either shuts it down).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracles/models/model.h"

enum pvm_pred {
	PVM_SPEC,    /* nothing measured beyond the spec */
	PVM_ENOSYS,  /* RAX = -ENOSYS */
	PVM_VALUE,   /* RAX = value, measured */
	PVM_KEEP     /* RAX keeps the call number, measured */
};

static const struct pvm_hc {
	uint64_t nr;
	const char *name;
	enum pvm_pred pred;
	uint64_t value;       /* PVM_VALUE */
	bool destructive;     /* the guest may die or be reconfigured */
} pvm_hcs[] = {
	{ 0x1000, "set CR0", PVM_SPEC, 0, true },
	{ 0x1001, "set CR3", PVM_SPEC, 0, true },
	{ 0x1002, "set CR4", PVM_SPEC, 0, true },
	{ 0x1003, "WRMSR (index in EBX, value in RCX)", PVM_SPEC, 0, true },
	{ 0x1004, "load GDTR", PVM_SPEC, 0, true },
	{ 0x1005, "load IDTR", PVM_SPEC, 0, true },
	{ 0x1006, "reserved number (answers -ENOSYS)", PVM_ENOSYS, 0, false },
	{ 0x1007, "set a vCPU request bit", PVM_VALUE, 0, true },
	{ 0x1008, "INVLPG", PVM_VALUE, 0, false },
	{ 0x1009, "HLT (KVM_EXIT_HLT)", PVM_KEEP, 0, false },
	{ 0x100a, "event return", PVM_SPEC, 0, true },
	{ 0x100b, "event return", PVM_SPEC, 0, true },
	{ 0x100c, "register the VIF page", PVM_SPEC, 0, true },
	{ 0x100d, "event return", PVM_SPEC, 0, true },
	{ 0x100e, "TLB flush", PVM_VALUE, 0, false },
};
#define PVM_NHCS (sizeof(pvm_hcs) / sizeof(pvm_hcs[0]))

#define PVM_ENOSYS_DEFAULT 38

#define PVM_NR_LOAD_IDTR 0x1005
#define PVM_GATE_SIZE 16u /* a 64-bit IDT gate */
#define PVM_VEC_DF 8u
#define PVM_VEC_GP 13u

struct pvm_model {
	int64_t enosys;
	bool idt_loaded;      /* a call loaded IDTR since the guest was built */
	uint64_t idt_base;
	uint16_t idt_limit;
};

static void *pvm_create(const struct hcf_abi *abi, const struct hcf_target_info *ti)
{
	struct pvm_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	const struct hcf_const *k = abi ? hcf_spec_const(abi, "ENOSYS") : NULL;
	m->enosys = k && k->value > 0 ? k->value : PVM_ENOSYS_DEFAULT;
	return m;
}

static void pvm_destroy(void *st)
{
	free(st);
}

static void pvm_reset(void *st)
{
	struct pvm_model *m = st;
	m->idt_loaded = false;
}

static void pvm_observe(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			const struct hcf_call_result *r)
{
	struct pvm_model *m = st;
	(void)abi, (void)p, (void)idx;
	/* load IDTR: base in RBX, limit in CX; 0 in RAX when it took. */
	if (r->outcome != HCF_CO_RETURNED || r->before[HCF_RAX] != PVM_NR_LOAD_IDTR ||
	    r->after[HCF_RAX] != 0)
		return;
	m->idt_loaded = true;
	m->idt_base = r->before[HCF_RBX];
	m->idt_limit = (uint16_t)r->before[HCF_RCX];
}

static bool gate_present(const struct pvm_model *m, unsigned vector)
{
	return (uint32_t)vector * PVM_GATE_SIZE + PVM_GATE_SIZE - 1 <= m->idt_limit;
}

/* What a loaded IDT adds to the vectors a call may raise (see the top). */
static void idt_effects(const struct pvm_model *m, uint32_t allowed, struct hcf_expect *e)
{
	if (!m->idt_loaded || !allowed)
		return;
	if (m->idt_base != HCF_GPA_IDT) {
		e->extra_exceptions = ~0u;
		e->may_lose_guest = true;
		return;
	}
	for (unsigned v = 0; v < 32; v++) {
		if (!(allowed & (1u << v)) || gate_present(m, v))
			continue;
		e->extra_exceptions |= (1u << PVM_VEC_GP) | (1u << PVM_VEC_DF);
		if (!gate_present(m, PVM_VEC_DF)) /* #DF undeliverable: shutdown */
			e->may_lose_guest = true;
	}
}

static const struct pvm_hc *pvm_find(uint64_t nr)
{
	for (size_t i = 0; i < PVM_NHCS; i++)
		if (pvm_hcs[i].nr == nr)
			return &pvm_hcs[i];
	return NULL;
}

static void pvm_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	const struct pvm_model *m = st;
	hcf_model_predict_from_spec(abi, p, idx, before, e);

	uint64_t nr = before[HCF_RAX];
	const struct hcf_op *op = NULL;
	int o = idx < p->ncalls ? hcf_pcall_op(p, &p->calls[idx]) : -1;
	if (abi && o >= 0 && (size_t)o < abi->nops)
		op = &abi->ops[o];
	idt_effects(m, op ? op->exceptions : abi ? abi->undeclared_exceptions : 0, e);

	const struct pvm_hc *hc = pvm_find(nr);
	if (!hc) {
		if ((nr >> 32) && pvm_find(nr & 0xffffffffull)) {
			/* Might be truncated to an implemented call: unmeasured. */
			const struct pvm_hc *low = pvm_find(nr & 0xffffffffull);
			e->may_lose_guest |= low->destructive;
			e->known &= (hcf_regmask_t)~HCF_REGBIT(HCF_RAX);
			e->outcome = HCF_EXP_UNKNOWN;
			e->why_model = "pvm";
			e->why_what = low->name;
			e->why = "the number may decode as this call; its width was not measured";
			return;
		}
		e->known |= HCF_REGBIT(HCF_RAX);
		e->gpr[HCF_RAX] = (uint64_t)-m->enosys;
		e->why_model = "pvm";
		e->why = "a number outside 0x1000..0x100e returns -ENOSYS (measured)";
		return;
	}

	e->may_lose_guest |= hc->destructive;
	switch (hc->pred) {
	case PVM_SPEC:
		return;
	case PVM_ENOSYS:
		e->known |= HCF_REGBIT(HCF_RAX);
		e->gpr[HCF_RAX] = (uint64_t)-m->enosys;
		break;
	case PVM_VALUE:
		e->known |= HCF_REGBIT(HCF_RAX);
		e->gpr[HCF_RAX] = hc->value;
		break;
	case PVM_KEEP:
		e->known |= HCF_REGBIT(HCF_RAX);
		e->gpr[HCF_RAX] = before[HCF_RAX];
		break;
	}
	e->why_model = "pvm";
	e->why_what = hc->name;
	e->why = "measured on the PVM build";
}

const struct hcf_model_ops hcf_model_pvm = {
	.name = "pvm",
	.summary = "the PVM build on the development machines (int $0x1b, 0x1000..0x100e)",
	.create = pvm_create,
	.destroy = pvm_destroy,
	.reset = pvm_reset,
	.predict = pvm_predict,
	.observe = pvm_observe,
};
