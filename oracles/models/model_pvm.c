/*
 * model_pvm.c: the reference model of the PVM build behind /dev/kvm on the
 * development machines (ABI "pvm"; specs/pvm.yaml, ../shared/PLATFORM.md).
 *
 * It predicts the contract, not what this build does where it deviates
 * (those deviations are the spec's known anomalies): the calls emulate
 * privileged instructions, so a value the architecture refuses raises
 * #GP(0); an accepted one returns 0. Where the answer depends on what the
 * model cannot know (the guest's CPUID for CR4 bits, MAXPHYADDR, the MSRs the
 * vCPU has), it predicts nothing rather than guess.
 *
 * Numbers are decoded in all 64 bits (measured: 0x100001001 is -ENOSYS like
 * any other unknown number).
 *
 * State, per guest life: the GDT and IDT a program loaded. An allowed
 * exception whose gate lies past a shortened agent IDT arrives as #GP, a #GP
 * without a gate as #DF (the architecture's rule; the model adds those
 * vectors). Through a GDT or IDT the agent did not build, exception delivery
 * cannot be predicted at all: the model says so, naming the call, and the
 * exception oracle reports what arrived as not judged rather than as a
 * finding. A loss there is the loading call's, by its spec declaration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracles/models/model.h"
#include "util/x86.h"

enum pvm_pred {
	PVM_VALUE,    /* RAX = value */
	PVM_KEEP,     /* RAX keeps the call number */
	PVM_FN        /* decided by the row's function */
};

struct pvm_model;
typedef void (*pvm_fn)(const struct pvm_model *m, const uint64_t in[HCF_NGPR],
		       struct hcf_expect *e);

static const struct pvm_hc {
	uint64_t nr;
	const char *name;
	enum pvm_pred pred;
	int64_t value;        /* PVM_VALUE; -1 stands for -ENOSYS */
	pvm_fn fn;            /* PVM_FN */
} *pvm_find(uint64_t nr);

#define PVM_ENOSYS_DEFAULT 38
#define PVM_EFAULT_DEFAULT 14
#define PVM_AGENT_RAM_LAST_DEFAULT 0x7fffffull

#define NR_LOAD_GDTR 0x1004
#define NR_LOAD_IDTR 0x1005
#define GATE_SIZE 16u     /* a 64-bit IDT gate */
#define GDT_NEEDED 0x0fu  /* the agent's code segment, selector 0x08 */

struct pvm_model {
	int64_t enosys, efault;
	uint64_t ram_last;
	/* the descriptor tables this guest life's program loaded */
	bool gdt_loaded, idt_loaded;
	uint64_t gdt_base, idt_base;
	uint16_t gdt_limit, idt_limit;
	size_t gdt_call, idt_call;
	char why[96];         /* why exception delivery is unpredictable */
};

static int64_t spec_const(const struct hcf_abi *abi, const char *name, int64_t dflt)
{
	const struct hcf_const *k = abi ? hcf_spec_const(abi, name) : NULL;
	return k && k->value > 0 ? k->value : dflt;
}

static void *pvm_create(const struct hcf_abi *abi, const struct hcf_target_info *ti)
{
	struct pvm_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->enosys = spec_const(abi, "ENOSYS", PVM_ENOSYS_DEFAULT);
	m->efault = spec_const(abi, "EFAULT", PVM_EFAULT_DEFAULT);
	m->ram_last = (uint64_t)spec_const(abi, "AGENT_RAM_LAST", PVM_AGENT_RAM_LAST_DEFAULT);
	return m;
}

static void pvm_destroy(void *st)
{
	free(st);
}

static void pvm_reset(void *st)
{
	struct pvm_model *m = st;
	m->gdt_loaded = m->idt_loaded = false;
}

/* ---- the calls ------------------------------------------------------------ */

static void gp(struct hcf_expect *e, const char *why)
{
	e->outcome = HCF_EXP_EXCEPTION;
	e->vector = HCF_X86_GP;
	e->known = 0;
	e->why = why;
}

static void ret(struct hcf_expect *e, uint64_t v, const char *why)
{
	e->outcome = HCF_EXP_RETURN;
	e->known |= HCF_REGBIT(HCF_RAX);
	e->gpr[HCF_RAX] = v;
	e->why = why;
}

static void unknown(struct hcf_expect *e, const char *why)
{
	e->outcome = HCF_EXP_UNKNOWN;
	e->known &= (hcf_regmask_t)~HCF_REGBIT(HCF_RAX);
	e->why = why;
}

#define CR0_PE (1ull << 0)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)

static void set_cr0(const struct pvm_model *m, const uint64_t in[HCF_NGPR], struct hcf_expect *e)
{
	uint64_t v = in[HCF_RBX];
	if (v >> 32)
		gp(e, "bits 63..32 of CR0 are reserved: #GP(0)");
	else if ((v & CR0_PG) && !(v & CR0_PE))
		gp(e, "PG without PE: #GP(0)");
	else if ((v & CR0_NW) && !(v & CR0_CD))
		gp(e, "NW without CD: #GP(0)");
	else if (!(v & CR0_PG))
		gp(e, "clearing PG in 64-bit mode: #GP(0)");
	else
		ret(e, 0, "a CR0 value the architecture accepts returns 0");
}

static void set_cr3(const struct pvm_model *m, const uint64_t in[HCF_NGPR], struct hcf_expect *e)
{
	uint64_t v = in[HCF_RBX];
	/* bit 63 is reserved without CR4.PCIDE (the agent has none); bits 62..52
	 * lie above any MAXPHYADDR */
	if (v >> 52)
		gp(e, "CR3 bits 63..52 are reserved: #GP(0)");
	else if ((v & 0x000ffffffffff000ull) == HCF_GPA_PGTABLES)
		ret(e, 0, "the agent's own PML4: returns 0");
	else
		unknown(e, "other page tables: #GP above MAXPHYADDR, else the guest may shut down");
}

#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
/* CR4 bits no x86-64 CPU defines (15, 26, 27, 29..31, 33..63): #GP whatever
 * the CPUID. The others depend on the guest's CPUID, which the model does
 * not see. */
#define CR4_ALWAYS_RESERVED 0xfffffffeec008000ull

static void set_cr4(const struct pvm_model *m, const uint64_t in[HCF_NGPR], struct hcf_expect *e)
{
	uint64_t v = in[HCF_RBX];
	if (v & CR4_ALWAYS_RESERVED)
		gp(e, "a CR4 bit no CPU defines is set: #GP(0)");
	else if (!(v & CR4_PAE))
		gp(e, "clearing PAE in long mode: #GP(0)");
	else if (v & CR4_LA57)
		gp(e, "toggling LA57 in long mode: #GP(0)");
	else
		unknown(e, "whether the other bits are reserved depends on the guest's CPUID");
}

static void returns_zero(const struct pvm_model *m, const uint64_t in[HCF_NGPR],
			 struct hcf_expect *e)
{
	ret(e, 0, "returns 0");
}

static void wrmsr(const struct pvm_model *m, const uint64_t in[HCF_NGPR], struct hcf_expect *e)
{
	unknown(e, "which MSRs the vCPU has, and which values it takes, the model does not know");
}

static bool canonical(uint64_t a)
{
	return hcf_x86_canonical(a);
}

static void event_return(const struct pvm_model *m, const uint64_t in[HCF_NGPR],
			 struct hcf_expect *e)
{
	if (!canonical(in[HCF_RBX]) || !canonical(in[HCF_RDX]))
		gp(e, "a frame address (rbx, rdx) that is not canonical: #GP(0)");
	else
		unknown(e, "resumes at rip = rbx, rsp = rdx: never returns here");
}

static void event_return_d(const struct pvm_model *m, const uint64_t in[HCF_NGPR],
			   struct hcf_expect *e)
{
	uint64_t a = in[HCF_RBX];
	if (a < 0x1000 || a > m->ram_last)
		gp(e, "a frame address outside the guest's mapped RAM: #GP(0)");
	else
		unknown(e, "resumes the frame at rbx: never returns here");
}

static void set_vif_page(const struct pvm_model *m, const uint64_t in[HCF_NGPR],
			 struct hcf_expect *e)
{
	if (in[HCF_RBX] <= m->ram_last)
		ret(e, 0, "an address in guest RAM: returns 0");
	else
		ret(e, (uint64_t)-m->efault, "an address outside guest RAM: -EFAULT");
}

static const struct pvm_hc pvm_hcs[] = {
	{ 0x1000, "set CR0", PVM_FN, 0, set_cr0 },
	{ 0x1001, "set CR3", PVM_FN, 0, set_cr3 },
	{ 0x1002, "set CR4", PVM_FN, 0, set_cr4 },
	{ 0x1003, "WRMSR (index in EBX, value in RCX)", PVM_FN, 0, wrmsr },
	{ NR_LOAD_GDTR, "load GDTR", PVM_FN, 0, returns_zero },
	{ NR_LOAD_IDTR, "load IDTR", PVM_FN, 0, returns_zero },
	{ 0x1006, "reserved number (answers -ENOSYS)", PVM_VALUE, -1, NULL },
	{ 0x1007, "set a vCPU request bit", PVM_VALUE, 0, NULL },
	{ 0x1008, "INVLPG", PVM_VALUE, 0, NULL },
	{ 0x1009, "HLT (KVM_EXIT_HLT)", PVM_KEEP, 0, NULL },
	{ 0x100a, "event return", PVM_FN, 0, event_return },
	{ 0x100b, "event return", PVM_FN, 0, event_return },
	{ 0x100c, "register the VIF page", PVM_FN, 0, set_vif_page },
	{ 0x100d, "event return through a frame in memory", PVM_FN, 0, event_return_d },
	{ 0x100e, "TLB flush", PVM_VALUE, 0, NULL },
};
#define PVM_NHCS (sizeof(pvm_hcs) / sizeof(pvm_hcs[0]))

static const struct pvm_hc *pvm_find(uint64_t nr)
{
	for (size_t i = 0; i < PVM_NHCS; i++)
		if (pvm_hcs[i].nr == nr)
			return &pvm_hcs[i];
	return NULL;
}

/* ---- descriptor tables ------------------------------------------------ */

static void pvm_observe(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			const struct hcf_prog_result *res)
{
	struct pvm_model *m = st;
	const struct hcf_call_result *r = &res->calls[idx];
	(void)abi, (void)p;
	/* LGDT / LIDT: base in RBX, limit in CX, 0 in RAX when it took */
	if (r->outcome != HCF_CO_RETURNED || r->after[HCF_RAX] != 0)
		return;
	if (r->before[HCF_RAX] == NR_LOAD_GDTR) {
		m->gdt_loaded = true;
		m->gdt_base = r->before[HCF_RBX];
		m->gdt_limit = (uint16_t)r->before[HCF_RCX];
		m->gdt_call = idx;
	} else if (r->before[HCF_RAX] == NR_LOAD_IDTR) {
		m->idt_loaded = true;
		m->idt_base = r->before[HCF_RBX];
		m->idt_limit = (uint16_t)r->before[HCF_RCX];
		m->idt_call = idx;
	}
}

static bool gate_present(const struct pvm_model *m, unsigned vector)
{
	return (uint32_t)vector * GATE_SIZE + GATE_SIZE - 1 <= m->idt_limit;
}

/* What loaded descriptor tables do to the exceptions a call may raise (see
 * the top). allowed: the vectors the spec allows it. */
static void table_effects(struct pvm_model *m, uint32_t allowed, struct hcf_expect *e)
{
	if (m->gdt_loaded && (m->gdt_base != HCF_GPA_GDT || m->gdt_limit < GDT_NEEDED)) {
		snprintf(m->why, sizeof(m->why), "call %zu loaded a GDT (base 0x%llx, limit 0x%x) "
						 "without the agent's code segment",
			 m->gdt_call, (unsigned long long)m->gdt_base, m->gdt_limit);
		e->exceptions_unknown = m->why;
		return;
	}
	if (!m->idt_loaded)
		return;
	if (m->idt_base != HCF_GPA_IDT) {
		snprintf(m->why, sizeof(m->why), "call %zu loaded an IDT at 0x%llx the agent did "
						 "not build",
			 m->idt_call, (unsigned long long)m->idt_base);
		e->exceptions_unknown = m->why;
		return;
	}
	for (unsigned v = 0; v < 32; v++) {
		if (!(allowed & (1u << v)) || gate_present(m, v))
			continue;
		/* no gate: #GP; no #GP gate either: #DF */
		if (gate_present(m, HCF_X86_GP))
			e->extra_exceptions |= 1u << HCF_X86_GP;
		else
			e->extra_exceptions |= 1u << HCF_X86_DF;
	}
}

/* The vector a predicted exception arrives as, through the tables this
 * guest life loaded: a missing gate turns into #GP, a missing #GP gate into
 * #DF; with no #DF gate the guest shuts down (load_idtr's declared loss), and
 * through tables the agent did not build nothing can be said. */
static void delivered(const struct pvm_model *m, struct hcf_expect *e)
{
	if (e->outcome != HCF_EXP_EXCEPTION)
		return;
	if (e->exceptions_unknown) {
		e->outcome = HCF_EXP_UNKNOWN;
		return;
	}
	if (!m->idt_loaded || gate_present(m, e->vector))
		return;
	e->translated = true;
	e->raised = e->vector;
	if (gate_present(m, HCF_X86_GP))
		e->vector = HCF_X86_GP;
	else if (gate_present(m, HCF_X86_DF))
		e->vector = HCF_X86_DF;
	else
		e->outcome = HCF_EXP_UNKNOWN;
}

static void pvm_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	struct pvm_model *m = st;
	hcf_model_predict_from_spec(abi, p, idx, before, e);
	const struct hcf_op *op = hcf_prog_call_op(p, idx);
	table_effects(m, op ? op->exceptions : abi ? abi->undeclared.exceptions : 0, e);

	uint64_t nr = before[HCF_RAX];
	const struct pvm_hc *hc = pvm_find(nr);
	e->why_model = "pvm";
	if (!hc) {
		ret(e, (uint64_t)-m->enosys, "a number outside 0x1000..0x100e returns -ENOSYS");
		return;
	}
	e->why_what = hc->name;
	switch (hc->pred) {
	case PVM_VALUE:
		ret(e, hc->value == -1 ? (uint64_t)-m->enosys : (uint64_t)hc->value,
		    hc->value == -1 ? "returns -ENOSYS" : "returns 0");
		break;
	case PVM_KEEP:
		ret(e, before[HCF_RAX], "rax keeps the call number");
		break;
	case PVM_FN:
		hc->fn(m, before, e);
		break;
	}
	delivered(m, e);
}

const struct hcf_model_ops hcf_model_pvm = {
	.name = "pvm",
	.summary = "the contract of the PVM build on the development machines (int $0x1b, "
		   "0x1000..0x100e)",
	.create = pvm_create,
	.destroy = pvm_destroy,
	.reset = pvm_reset,
	.predict = pvm_predict,
	.observe = pvm_observe,
};
