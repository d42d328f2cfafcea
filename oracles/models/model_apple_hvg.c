/*
 * model_apple_hvg.c: the reference model of Apple's x86 guest hypercalls (ABI "apple-hvg").
 *
 * The hypervisor modelled offers every call x86 XNU knows (the four feature
 * bits of the Apple PV CPUID leaf set), so each declared call succeeds:
 * - CF is the error flag, so it is predicted for every call: clear on
 *   success, set on an error;
 * - a code it does not know: CF set, HVG_HCALL_INVALID_CODE in rax, nothing
 *   else changed;
 * - HVG_HCALL_TRIGGER_DUMP: the vmcore tag, a fixed name of the model's,
 *   packed into the seven output registers as hvg_hcall_output_regs_t
 *   orders them;
 * - HVG_HCALL_SET_COREDUMP_DATA: no output; rax is left to the spec;
 * - HVG_HCALL_GET_MABS_OFFSET: offset 0 in rdi (the model's host clock is
 *   the guest's);
 * - HVG_HCALL_GET_BOOTSESSIONUUID: the host's boot session does not change
 *   while the guest runs, so the first successful answer is the answer:
 *   later calls are predicted to repeat it, register for register.
 * The tag and the offset are nondeterministic in the spec, so a hypervisor's
 * own values are never compared with these; they are what the model target
 * answers. The UUID is learned, never invented: the host's is unknowable.
 *
 * The model reads the code as the hypervisor does, from rax itself: a value
 * whose bits above the low 24 are not exactly 'A' << 24 is no Apple call
 * (another ABI's, or garbage), whatever op the harness files it under.
 * Codes come from the spec's ops by name, the prefix from its OR mask and
 * the error code from its constants, so the model follows the spec it is
 * paired with.
 *
 * State: the learned UUID, dropped whenever the guest goes back to boot
 * (reset, and forget, which is reset here). A rebuilt guest may run on a
 * rebooted host (the kvm-nested target boots a new machine). And although
 * a snapshot restore leaves the host's UUID as it was, the model target,
 * where this model is the host, can only learn the UUID it answers (it
 * answers whatever the registers held) and starts over at every return to
 * boot: the model judging it must start over too. So a hypervisor is held
 * to one UUID from one return to boot to the next (within a program).
 */
#include <stdlib.h>
#include <string.h>

#include "oracles/models/model.h"
#include "util/x86.h"

/* osfmk/kern/hvg_hypercall.h and x86_hypercall.h, when the spec lacks them. */
#define HVG_INVALID_CODE_DEFAULT 2
#define HVG_PREFIX_DEFAULT 0x41000000ull /* 'A' << 24 */
#define HVG_CODE_MASK 0xffffffull       /* HVG_HCALL_CODE keeps 24 bits of the code */

/* The output registers in the order of hvg_hcall_output_regs_t
 * (osfmk/i386/x86_hypercall.h): output[0] .. output[6]. */
static const unsigned hvg_out_regs[] = { HCF_RAX, HCF_RDI, HCF_RSI, HCF_RDX,
					 HCF_RCX, HCF_R8,  HCF_R9 };
#define HVG_NOUT (sizeof(hvg_out_regs) / sizeof(hvg_out_regs[0]))

/* GET_BOOTSESSIONUUID answers in the first five of them. */
#define HVG_UUID_REGS 5

/* What the model's hypervisor names its core dumps; at most 56 bytes. */
static const char hvg_model_tag[] = "hcfuzz-model.vmcore";

struct hvg_model;
typedef void (*hvg_answer_fn)(const struct hvg_model *m, struct hcf_expect *e);

enum hvg_call {
	HVG_TRIGGER_DUMP,
	HVG_SET_COREDUMP_DATA,
	HVG_GET_MABS_OFFSET,
	HVG_GET_BOOTSESSIONUUID,
	HVG_NCALLS
};

struct hvg_model {
	bool declared[HVG_NCALLS];    /* the spec has the call, */
	uint64_t code[HVG_NCALLS];    /* with this code */
	uint64_t prefix;              /* what rax holds above the code */
	uint64_t invalid_code;
	bool uuid_known;
	uint64_t uuid[HVG_UUID_REGS]; /* in hvg_out_regs order */
};

static void predict(struct hcf_expect *e, unsigned reg, uint64_t v)
{
	e->known |= HCF_REGBIT(reg);
	e->gpr[reg] = v;
}

static void answer_dump(const struct hvg_model *m, struct hcf_expect *e)
{
	(void)m;
	uint8_t tag[HVG_NOUT * 8] = { 0 };
	_Static_assert(sizeof(hvg_model_tag) <= sizeof(tag), "the tag fits seven registers");
	memcpy(tag, hvg_model_tag, sizeof(hvg_model_tag));
	for (size_t r = 0; r < HVG_NOUT; r++) {
		uint64_t v = 0;
		for (unsigned b = 8; b-- > 0;)
			v = v << 8 | tag[r * 8 + b];
		predict(e, hvg_out_regs[r], v);
	}
}

static void answer_mabs_offset(const struct hvg_model *m, struct hcf_expect *e)
{
	(void)m;
	predict(e, HCF_RDI, 0);
}

static void answer_uuid(const struct hvg_model *m, struct hcf_expect *e)
{
	if (!m->uuid_known)
		return;
	for (size_t r = 0; r < HVG_UUID_REGS; r++)
		predict(e, hvg_out_regs[r], m->uuid[r]);
}

static const struct hvg_row {
	const char *name; /* the op in the spec */
	hvg_answer_fn answer; /* the outputs it predicts; NULL: none */
	const char *why;
} hvg_rows[HVG_NCALLS] = {
	[HVG_TRIGGER_DUMP] = { "HVG_HCALL_TRIGGER_DUMP", answer_dump,
			       "succeeds (coredump offered), CF clear; the tag is nondeterministic" },
	[HVG_SET_COREDUMP_DATA] = { "HVG_HCALL_SET_COREDUMP_DATA", NULL,
				    "succeeds (XNU debug offered), CF clear, no output" },
	[HVG_GET_MABS_OFFSET] = { "HVG_HCALL_GET_MABS_OFFSET", answer_mabs_offset,
				  "succeeds (mach_absolute_time offset offered), CF clear" },
	[HVG_GET_BOOTSESSIONUUID] = { "HVG_HCALL_GET_BOOTSESSIONUUID", answer_uuid,
				      "succeeds, CF clear, the same UUID as the first answer" },
};

static void *hvg_create(const struct hcf_abi *abi, const struct hcf_target_info *ti)
{
	(void)ti;
	struct hvg_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	for (size_t i = 0; i < HVG_NCALLS; i++) {
		const struct hcf_op *op = abi ? hcf_spec_op_by_name(abi, hvg_rows[i].name) : NULL;
		m->declared[i] = op != NULL;
		m->code[i] = op ? op->nr : 0;
	}
	m->prefix = abi && abi->nr_or_mask ? abi->nr_or_mask : HVG_PREFIX_DEFAULT;
	const struct hcf_const *k = abi ? hcf_spec_const(abi, "HVG_HCALL_INVALID_CODE") : NULL;
	m->invalid_code = k ? (uint64_t)k->value : HVG_INVALID_CODE_DEFAULT;
	return m;
}

static void hvg_destroy(void *st)
{
	free(st);
}

static void hvg_reset(void *st)
{
	struct hvg_model *m = st;
	m->uuid_known = false;
	memset(m->uuid, 0, sizeof(m->uuid));
}

/* Is rax an Apple code at all? */
static bool hvg_is_apple(const struct hvg_model *m, uint64_t rax)
{
	return (rax & ~HVG_CODE_MASK) == m->prefix;
}

/* The model's call for what rax holds, or HVG_NCALLS. */
static enum hvg_call hvg_call_of(const struct hvg_model *m, uint64_t rax)
{
	size_t c = 0;
	while (c < HVG_NCALLS && !(hvg_is_apple(m, rax) && m->declared[c] &&
				   m->code[c] == (rax & HVG_CODE_MASK)))
		c++;
	return (enum hvg_call)c;
}

static void hvg_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	const struct hvg_model *m = st;
	hcf_model_predict_from_spec(abi, p, idx, before, e);
	enum hvg_call c = hvg_call_of(m, before[HCF_RAX]);
	if (c == HVG_NCALLS && hvg_is_apple(m, before[HCF_RAX]) && idx < p->ncalls &&
	    hcf_pcall_op_loaded(p, &p->calls[idx], before) >= 0)
		return; /* a declared code this model does not know: the spec's prediction */
	e->why_model = "apple-hvg";
	e->rflags_mask = HCF_X86_RFLAGS_CF;
	if (c == HVG_NCALLS) {
		predict(e, HCF_RAX, m->invalid_code);
		e->rflags = HCF_X86_RFLAGS_CF;
		e->why = "no 'A'-prefixed code it knows: HVG_HCALL_INVALID_CODE, CF set";
		return;
	}
	e->rflags = 0;
	e->why_what = hvg_rows[c].name;
	e->why = hvg_rows[c].why;
	if (hvg_rows[c].answer)
		hvg_rows[c].answer(m, e);
}

static void hvg_observe(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			const struct hcf_prog_result *res)
{
	(void)abi;
	struct hvg_model *m = st;
	if (m->uuid_known || idx >= res->ncalls || idx >= p->ncalls)
		return;
	const struct hcf_call_result *cr = &res->calls[idx];
	if (cr->outcome != HCF_CO_RETURNED || (cr->rflags_after & HCF_X86_RFLAGS_CF))
		return;
	if (hvg_call_of(m, cr->before[HCF_RAX]) != HVG_GET_BOOTSESSIONUUID)
		return;
	for (size_t r = 0; r < HVG_UUID_REGS; r++)
		m->uuid[r] = cr->after[hvg_out_regs[r]];
	m->uuid_known = true;
}

const struct hcf_model_ops hcf_model_apple_hvg = {
	.name = "apple-hvg",
	.summary = "Apple's x86 guest hypercalls (XNU's x86_hypercall.c), every feature offered",
	.create = hvg_create,
	.destroy = hvg_destroy,
	.reset = hvg_reset,
	.predict = hvg_predict,
	.observe = hvg_observe,
};
