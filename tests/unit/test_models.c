/* test_models.c: the model table, the spec-only prediction, and the kvm and pvm models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi_build.h"

#include "oracles/models/model.h"

static char *xs(const char *s)
{
	char *d = strdup(s);
	assert_non_null(d);
	return d;
}

/* An ABI with ops named names[] numbered nrs[], everything malloc'ed. */
static struct hcf_abi *make_abi(const char *model, size_t nops, const char *const *names,
				const uint64_t *nrs)
{
	struct hcf_abi *abi = calloc(1, sizeof(*abi));
	assert_non_null(abi);
	abi->name = xs("m");
	abi->model = model ? xs(model) : NULL;
	abi->nr_reg = HCF_RAX;
	abi->nr_width = 64;
	abi->subop_reg = HCF_REG_NONE;
	abi->ret_reg = HCF_RAX;
	abi->ret_width = 64;
	abi->err = HCF_ERR_NEG_ERRNO;
	abi->ops = calloc(nops ? nops : 1, sizeof(*abi->ops));
	assert_non_null(abi->ops);
	abi->nops = nops;
	for (size_t i = 0; i < nops; i++) {
		abi->ops[i].name = xs(names[i]);
		abi->ops[i].call_name = xs(names[i]);
		abi->ops[i].nr = nrs[i];
		abi->ops[i].ret_reg = HCF_RAX;
		abi->ops[i].ret_width = 64;
		abi->ops[i].status_struct = abi->ops[i].status_field = -1;
	}
	return abi;
}

/* A one-call program calling op (or an undeclared number) with rax = nr. */
struct one {
	struct hcf_prog p;
	struct hcf_pcall c;
	uint64_t before[HCF_NGPR];
};

static void one_make(struct one *o, const struct hcf_abi *abi, int op, uint64_t nr)
{
	memset(o, 0, sizeof(*o));
	o->p.abi = abi;
	o->p.calls = &o->c;
	o->p.ncalls = o->p.cap = 1;
	o->c.op = op;
	for (unsigned r = 0; r < HCF_NGPR; r++) {
		o->c.ref[r].buf = -1;
		o->before[r] = 0x5e5e0000 + r;
	}
	o->c.gpr[HCF_RAX] = o->before[HCF_RAX] = nr;
}

/* Ask model ops about op/nr. */
static void predict(const struct hcf_abi *abi, int op, uint64_t nr, struct hcf_expect *e)
{
	struct hcf_model m;
	struct one o;
	assert_int_equal(hcf_model_open(&m, abi, NULL), 0);
	one_make(&o, abi, op, nr);
	memset(e, 0xa5, sizeof(*e)); /* the model must overwrite everything */
	m.ops->predict(m.st, abi, &o.p, 0, o.before, e);
	hcf_model_close(&m);
	assert_null(m.ops);
}

static void test_table(void **state)
{
	assert_ptr_equal(hcf_model_find("spec"), &hcf_model_spec);
	assert_ptr_equal(hcf_model_find("kvm"), &hcf_model_kvm);
	assert_ptr_equal(hcf_model_find("pvm"), &hcf_model_pvm);
	assert_null(hcf_model_find("no-such-model"));
	assert_null(hcf_model_find(NULL));
	for (size_t i = 0; hcf_models[i]; i++) {
		assert_non_null(hcf_models[i]->name);
		assert_non_null(hcf_models[i]->summary);
		assert_non_null(hcf_models[i]->predict);
		assert_ptr_equal(hcf_model_find(hcf_models[i]->name), hcf_models[i]);
	}
}

static void test_open_fallback(void **state)
{
	struct hcf_model m;
	struct hcf_abi *abi = make_abi(NULL, 0, NULL, NULL);
	assert_int_equal(hcf_model_open(&m, abi, NULL), 0);
	assert_ptr_equal(m.ops, &hcf_model_spec);
	assert_false(m.fell_back);
	hcf_model_close(&m);
	hcf_spec_free(abi);

	abi = make_abi("no-such-model", 0, NULL, NULL);
	assert_int_equal(hcf_model_open(&m, abi, NULL), 0);
	assert_ptr_equal(m.ops, &hcf_model_spec);
	assert_true(m.fell_back);
	hcf_model_close(&m);
	hcf_spec_free(abi);

	abi = make_abi("kvm", 0, NULL, NULL);
	assert_int_equal(hcf_model_open(&m, abi, NULL), 0);
	assert_ptr_equal(m.ops, &hcf_model_kvm);
	assert_non_null(m.st);
	hcf_model_close(&m);
	hcf_spec_free(abi);
}

static void test_from_spec(void **state)
{
	const char *names[] = { "plain", "trapping", "destroy" };
	const uint64_t nrs[] = { 1, 2, 3 };
	struct hcf_abi *abi = make_abi(NULL, 3, names, nrs);
	abi->ops[1].exceptions = 1u << 6;
	abi->ops[2].destructive = true;
	abi->ret_width = 32;
	abi_vset_add(&abi->undeclared.returns, -38, -38);
	struct hcf_expect e;

	predict(abi, 0, 1, &e);
	assert_int_equal(e.outcome, HCF_EXP_RETURN);
	assert_int_equal(e.known, 0);
	assert_int_equal(e.rflags_mask, 0);

	predict(abi, 1, 2, &e);
	assert_int_equal(e.outcome, HCF_EXP_UNKNOWN);

	predict(abi, 2, 3, &e);

	/* Undeclared: the single undeclared return, sign-extended to 64 bits. */
	predict(abi, -1, 99, &e);
	assert_int_equal(e.outcome, HCF_EXP_RETURN);
	assert_int_equal(e.known, HCF_REGBIT(HCF_RAX));
	assert_int_equal(e.gpr[HCF_RAX], 0xffffffffffffffdaull);
	assert_string_equal(e.why, "undeclared call number");
	assert_string_equal(e.why_model, "spec");

	/* An op index the ABI does not have counts as undeclared. */
	predict(abi, 17, 99, &e);
	assert_int_equal(e.known, HCF_REGBIT(HCF_RAX));

	/* Several undeclared values allowed: no single prediction. */
	abi_vset_add(&abi->undeclared.returns, -1, -1);
	predict(abi, -1, 99, &e);
	assert_int_equal(e.known, 0);

	abi->undeclared.exceptions = 1u << 6;
	predict(abi, -1, 99, &e);
	assert_int_equal(e.outcome, HCF_EXP_UNKNOWN);

	/* No spec at all: no prediction, no crash. */
	struct one o;
	one_make(&o, abi, 0, 1);
	hcf_model_predict_from_spec(NULL, &o.p, 0, o.before, &e);
	assert_int_equal(e.outcome, HCF_EXP_UNKNOWN);
	assert_int_equal(e.known, 0);
	hcf_spec_free(abi);
}

static void expect_rax(const struct hcf_expect *e, uint64_t v)
{
	assert_true(e->known & HCF_REGBIT(HCF_RAX));
	assert_int_equal(e->gpr[HCF_RAX], v);
	/* Only rax is an output of a KVM hypercall. */
	assert_int_equal(e->known, HCF_REGBIT(HCF_RAX));
}

static void test_kvm(void **state)
{
	struct hcf_abi *abi = make_abi("kvm", 0, NULL, NULL);
	struct hcf_expect e;
	const uint64_t enosys = (uint64_t)-1000;

	/* Answers from kvm_emulate_hypercall at CPL0. */
	static const struct {
		uint64_t nr;
		bool known;
		uint64_t rax;
	} rows[] = {
		{ 1, true, 0 },       { 5, true, 0 },       { 11, true, 0 },
		{ 12, true, enosys }, { 2, true, enosys },  { 3, true, enosys },
		{ 4, true, enosys },  { 6, true, enosys },  { 7, true, enosys },
		{ 8, true, enosys },  { 9, false, 0 },      { 10, false, 0 },
		{ 0, true, enosys },  { 13, true, enosys }, { 0x100000001ull, true, enosys },
		{ ~0ull, true, enosys },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		predict(abi, -1, rows[i].nr, &e);
		if (rows[i].known)
			expect_rax(&e, rows[i].rax);
		else
			assert_int_equal(e.known, 0);
	}
	predict(abi, -1, 12, &e);
	assert_string_equal(e.why_what, "KVM_HC_MAP_GPA_RANGE");
	hcf_spec_free(abi);

	/* The spec's constants win: numbers and error codes. */
	const char *names[] = { "KVM_HC_SCHED_YIELD" };
	const uint64_t nrs[] = { 0x77 };
	abi = make_abi("kvm", 1, names, nrs);
	abi_const(abi, "KVM_ENOSYS", 1001);
	abi_const(abi, "KVM_HC_VAPIC_POLL_IRQ", 0x55);
	predict(abi, -1, 0x55, &e);
	expect_rax(&e, 0);
	predict(abi, 0, 0x77, &e);
	expect_rax(&e, 0);
	predict(abi, -1, 1, &e); /* 1 is no longer VAPIC_POLL_IRQ here */
	expect_rax(&e, (uint64_t)-1001);
	predict(abi, -1, 11, &e);
	expect_rax(&e, (uint64_t)-1001);
	hcf_spec_free(abi);
}

/* Ask the model about nr with these argument registers. */
static void predict_args(const struct hcf_abi *abi, int op, uint64_t nr, uint64_t rbx,
			 uint64_t rcx, uint64_t rdx, struct hcf_expect *e)
{
	struct hcf_model m;
	struct one o;
	assert_int_equal(hcf_model_open(&m, abi, NULL), 0);
	one_make(&o, abi, op, nr);
	o.before[HCF_RBX] = o.c.gpr[HCF_RBX] = rbx;
	o.before[HCF_RCX] = o.c.gpr[HCF_RCX] = rcx;
	o.before[HCF_RDX] = o.c.gpr[HCF_RDX] = rdx;
	memset(e, 0xa5, sizeof(*e));
	m.ops->predict(m.st, abi, &o.p, 0, o.before, e);
	hcf_model_close(&m);
}

#define GP 13
#define RET (-1)  /* returns (rax as given) */
#define UNK (-2)  /* no prediction */

/* The pvm model predicts the contract: #GP(0) where the architecture
 * refuses a value, 0 where it accepts one, nothing where it cannot know. */
static void test_pvm(void **state)
{
	struct hcf_abi *abi = make_abi("pvm", 0, NULL, NULL);
	const uint64_t enosys = 0xffffffffffffffdaull, efault = 0xfffffffffffffff2ull;
	static const struct {
		uint64_t nr, rbx, rdx;
		int outcome;          /* RET, UNK, or the vector */
		uint64_t rax;         /* RET */
	} rows[] = {
		/* numbers outside 0x1000..0x100e, all 64 bits decoded */
		{ 0x2000, 0, 0, RET, 0xffffffffffffffdaull },
		{ 0xfff, 0, 0, RET, 0xffffffffffffffdaull },
		{ 0x100f, 0, 0, RET, 0xffffffffffffffdaull },
		{ 0x100001001ull, 0, 0, RET, 0xffffffffffffffdaull },
		{ 0x1006, 0, 0, RET, 0xffffffffffffffdaull },
		/* CR0 */
		{ 0x1000, 0x80000033, 0, RET, 0 },
		{ 0x1000, 0xe0000033, 0, RET, 0 },          /* CD and NW */
		{ 0x1000, 0, 0, GP, 0 },                     /* PG cleared in 64-bit mode */
		{ 0x1000, 0x100000033ull, 0, GP, 0 },        /* bits 63..32 */
		{ 0x1000, 0x80000032, 0, GP, 0 },            /* PG without PE */
		{ 0x1000, 0xa0000033, 0, GP, 0 },            /* NW without CD */
		/* CR3 */
		{ 0x1001, 0x8000, 0, RET, 0 },               /* the agent's PML4 */
		{ 0x1001, 0x8fff, 0, RET, 0 },               /* flag bits ignored */
		{ 0x1001, 0x8000000000008000ull, 0, GP, 0 }, /* bit 63 without PCIDE */
		{ 0x1001, 0x10000000000000ull, 0, GP, 0 },   /* above any MAXPHYADDR */
		{ 0x1001, 0x9000, 0, UNK, 0 },               /* other tables: may shut down */
		/* CR4 */
		{ 0x1002, 0x600, 0, GP, 0 },                 /* PAE cleared */
		{ 0x1002, 0x1620, 0, GP, 0 },                /* LA57 */
		{ 0x1002, 0x8620, 0, GP, 0 },                /* bit 15: no CPU has it */
		{ 0x1002, 0x100000620ull, 0, UNK, 0 },       /* bit 32 (FRED): per CPUID */
		{ 0x1002, 0x620, 0, UNK, 0 },
		/* WRMSR: which MSRs exist is not the model's to know */
		{ 0x1003, 0x12345, 0, UNK, 0 },
		{ 0x1004, 0, 0, RET, 0 },
		{ 0x1005, 0, 0, RET, 0 },
		{ 0x1007, 5, 0, RET, 0 },
		{ 0x1008, 0x100000, 0, RET, 0 },
		{ 0x1009, 0, 0, RET, 0x1009 },               /* HLT: rax kept */
		/* event returns: #GP for a frame address that is not canonical */
		{ 0x100a, 0x8000000000000000ull, 0, GP, 0 },
		{ 0x100a, 0, 0x8000000000000000ull, GP, 0 },
		{ 0x100a, 0xffff800000000000ull, 0, UNK, 0 },
		{ 0x100b, 0x7fffffffffffull, 0x1000, UNK, 0 },
		{ 0x100d, 0, 0, GP, 0 },                     /* page 0 is not mapped */
		{ 0x100d, 0x800000, 0, GP, 0 },              /* past guest RAM */
		{ 0x100d, 0x1000, 0, UNK, 0 },
		{ 0x100d, 0x7fffff, 0, UNK, 0 },
		/* VIF page: guest RAM or -EFAULT */
		{ 0x100c, 0x4000, 0, RET, 0 },
		{ 0x100c, 0x7fffff, 0, RET, 0 },
		{ 0x100c, 0x800000, 0, RET, 0xfffffffffffffff2ull },
		{ 0x100e, 0, 0, RET, 0 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct hcf_expect e;
		predict_args(abi, -1, rows[i].nr, rows[i].rbx, 0, rows[i].rdx, &e);
		bool ok;
		if (rows[i].outcome == RET)
			ok = e.outcome == HCF_EXP_RETURN && (e.known & HCF_REGBIT(HCF_RAX)) &&
			     e.gpr[HCF_RAX] == rows[i].rax;
		else if (rows[i].outcome == UNK)
			ok = e.outcome == HCF_EXP_UNKNOWN && !(e.known & HCF_REGBIT(HCF_RAX));
		else
			ok = e.outcome == HCF_EXP_EXCEPTION && e.vector == rows[i].outcome;
		if (!ok)
			fail_msg("row %zu (nr 0x%llx, rbx 0x%llx): outcome %d vector %u rax 0x%llx (%s)", i,
				 (unsigned long long)rows[i].nr, (unsigned long long)rows[i].rbx,
				 (int)e.outcome, e.vector, (unsigned long long)e.gpr[HCF_RAX],
				 e.why ? e.why : "?");
		assert_string_equal(e.why_model, "pvm");
	}
	(void)enosys, (void)efault;
	hcf_spec_free(abi);
}

/* The pvm model follows the descriptor tables a program loads: an allowed
 * exception whose gate lies past a shortened agent IDT arrives as #GP, or as
 * #DF when the #GP gate is gone too; through tables the agent did not build
 * the vector cannot be predicted, and the model says why. A reset (the guest
 * rebuilt) forgets them. */
static void test_pvm_idt(void **state)
{
	const char *names[] = { "load_idtr", "invlpg", "load_gdtr" };
	const uint64_t nrs[] = { 0x1005, 0x1008, 0x1004 };
	struct hcf_abi *abi = make_abi("pvm", 3, names, nrs);
	abi->ops[1].exceptions = (1u << 13) | (1u << 14); /* #GP, #PF, for the test */
	struct hcf_model m;
	struct one o;
	struct hcf_call_result cr;
	struct hcf_expect e;
	const uint32_t gp = 1u << 13, df = 1u << 8;
	assert_int_equal(hcf_model_open(&m, abi, NULL), 0);

	/* Nothing loaded: the spec's list. */
	one_make(&o, abi, 1, 0x1008);
	m.ops->predict(m.st, abi, &o.p, 0, o.before, &e);
	assert_int_equal(e.extra_exceptions, 0);
	assert_null(e.exceptions_unknown);

	static const struct {
		uint64_t nr, base, limit;
		int rax_after;       /* what the load returned */
		uint32_t extra;
		bool unknown;
	} rows[] = {
		{ 0x1005, HCF_GPA_IDT, 0xfff, 0, 0, false },   /* the agent's own, whole */
		{ 0x1005, HCF_GPA_IDT, 0xef, 0, 0, false },    /* gate 14 ends at 0xef: still there */
		{ 0x1005, HCF_GPA_IDT, 0xee, 0, gp, false },   /* #PF gate cut, #GP's there: #GP */
		{ 0x1005, HCF_GPA_IDT, 0xde, 0, df, false },   /* #GP gate cut too: #DF */
		{ 0x1005, HCF_GPA_IDT, 0xb6, 0, df, false },   /* the fuzzer's case */
		{ 0x1005, HCF_GPA_IDT, 0x7f, 0, df, false },   /* no #DF gate either: a shutdown
								  (load_idtr's declared loss) */
		{ 0x1005, HCF_GPA_IDT, 0x7f, 1, 0, false },    /* refused: the old IDT stands */
		{ 0x1005, 0x600000, 0xfff, 0, 0, true },       /* someone else's gates */
		{ 0x1004, HCF_GPA_GDT, 0x7ff, 0, 0, false },   /* the agent's GDT */
		{ 0x1004, HCF_GPA_GDT, 0xf, 0, 0, false },     /* still holds the code segment */
		{ 0x1004, HCF_GPA_GDT, 0x7, 0, 0, true },      /* cut before it */
		{ 0x1004, 0xdead0000, 0x7ff, 0, 0, true },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		m.ops->reset(m.st);
		hcf_call_result_init(&cr, o.before);
		cr.outcome = HCF_CO_RETURNED;
		cr.before[HCF_RAX] = rows[i].nr;
		cr.before[HCF_RBX] = rows[i].base;
		cr.before[HCF_RCX] = 0xabcd0000ull | rows[i].limit; /* CX: 16 bits */
		cr.after[HCF_RAX] = (uint64_t)(int64_t)rows[i].rax_after;
		struct hcf_prog_result res = { .calls = &cr, .ncalls = 1, .ndone = 1 };
		m.ops->observe(m.st, abi, &o.p, 0, &res);
		m.ops->predict(m.st, abi, &o.p, 0, o.before, &e);
		if (e.extra_exceptions != rows[i].extra || !!e.exceptions_unknown != rows[i].unknown)
			fail_msg("row %zu: extra 0x%x, unknown %s", i, e.extra_exceptions,
				 e.exceptions_unknown ? e.exceptions_unknown : "no");
		if (rows[i].unknown)
			assert_non_null(strstr(e.exceptions_unknown, "call 0"));
	}

	/* The guest rebuilt: its tables are the agent's again. */
	m.ops->reset(m.st);
	m.ops->predict(m.st, abi, &o.p, 0, o.before, &e);
	assert_int_equal(e.extra_exceptions, 0);
	assert_null(e.exceptions_unknown);
	hcf_model_close(&m);
	hcf_spec_free(abi);
}

/* A spec of the source tree (HCF_SOURCE_DIR, which ctest sets; skipped
 * without it). */
static struct hcf_abi *load_src(const char *rel)
{
	const char *src = getenv("HCF_SOURCE_DIR");
	if (!src) {
		print_message("skipped: HCF_SOURCE_DIR not set (run under ctest)\n");
		skip();
	}
	char path[4096];
	struct hcf_abi *abi = NULL;
	struct hcf_diags diags;
	snprintf(path, sizeof(path), "%s/%s", src, rel);
	hcf_diags_init(&diags);
	if (hcf_spec_load(path, &abi, &diags) < 0) {
		hcf_diags_print(&diags, stderr);
		fail_msg("%s does not load", path);
	}
	return abi;
}

/* The model against the real spec: op names and constants resolve, every
 * declared call gets the answer kvm_emulate_hypercall gives at CPL0. */
static void test_kvm_with_spec_file(void **state)
{
	struct hcf_abi *abi = load_src("specs/kvm.yaml");
	assert_non_null(abi->model);
	assert_string_equal(abi->model, "kvm");

	static const struct {
		const char *op;
		bool known;
		int64_t rax;
	} rows[] = {
		{ "KVM_HC_VAPIC_POLL_IRQ", true, 0 },
		{ "KVM_HC_MMU_OP", true, -1000 },
		{ "KVM_HC_KICK_CPU", true, 0 },
		{ "KVM_HC_CLOCK_PAIRING", false, 0 },
		{ "KVM_HC_SEND_IPI", false, 0 },
		{ "KVM_HC_SCHED_YIELD", true, 0 },
		{ "KVM_HC_MAP_GPA_RANGE", true, -1000 },
	};
	struct hcf_expect e;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct hcf_op *op = hcf_spec_op_by_name(abi, rows[i].op);
		assert_non_null(op);
		predict(abi, (int)(op - abi->ops), op->nr, &e);
		if (rows[i].known)
			expect_rax(&e, (uint64_t)rows[i].rax);
		else
			assert_int_equal(e.known, 0);
	}
	predict(abi, -1, 0x4242, &e);
	expect_rax(&e, (uint64_t)-1000);
	hcf_spec_free(abi);
}

/* specs/pvm.yaml, pinned: the contract it states for every call (returns,
 * exceptions, how the destructive ones may end the guest) and the known
 * anomalies it lists instead of widening it; then the model on its ops. */
static void test_pvm_with_spec_file(void **state)
{
	struct hcf_abi *abi = load_src("specs/pvm.yaml");
	assert_string_equal(abi->model, "pvm");
	assert_int_equal(abi->transport.kind, HCF_XPORT_INT);
	assert_int_equal(abi->transport.vector, 0x1b);
	const uint32_t gp = 1u << 13;
	static const struct {
		const char *op;
		uint64_t nr;
		int64_t ret;         /* the one success value, or INT64_MIN for none */
		uint32_t exc;        /* allowed exceptions */
		bool destructive;
		bool losses;         /* declares a way to end the guest */
		bool hands_over;     /* hands the guest over to the program's code */
	} calls[] = {
		{ "set_cr0", 0x1000, 0, 1u << 13, true, false, false },
		{ "set_cr3", 0x1001, 0, 1u << 13, true, true, false },
		{ "set_cr4", 0x1002, 0, 1u << 13, true, true, false },
		{ "wrmsr", 0x1003, 0, 1u << 13, true, false, false },
		{ "load_gdtr", 0x1004, 0, 0, true, true, false },
		{ "load_idtr", 0x1005, 0, 0, true, true, false },
		{ "reserved_1006", 0x1006, INT64_MIN, 0, false, false, false },
		{ "set_request", 0x1007, 0, 0, true, false, false },
		{ "invlpg", 0x1008, 0, 0, false, false, false },
		{ "event_return_a", 0x100a, INT64_MIN, 1u << 13, true, false, true },
		{ "event_return_b", 0x100b, INT64_MIN, 1u << 13, true, false, true },
		{ "set_vif_page", 0x100c, 0, 0, true, false, false },
		{ "event_return_d", 0x100d, INT64_MIN, 1u << 13, true, false, true },
		{ "flush_tlb", 0x100e, 0, 0, false, false, false },
	};
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		const struct hcf_op *op = hcf_spec_op_by_name(abi, calls[i].op);
		if (!op)
			fail_msg("no op %s", calls[i].op);
		assert_int_equal(op->nr, calls[i].nr);
		assert_int_equal(op->err, HCF_ERR_NEG_ERRNO);
		assert_false(op->returns.any);
		if (calls[i].ret == INT64_MIN) {
			assert_int_equal(op->returns.n, 0); /* never returns a success value */
		} else {
			/* exactly one success value: no KVM status code in the contract */
			assert_int_equal(op->returns.n, 1);
			assert_int_equal(op->returns.r[0].lo, calls[i].ret);
			assert_int_equal(op->returns.r[0].hi, calls[i].ret);
		}
		assert_int_equal(op->exceptions, calls[i].exc);
		assert_int_equal(op->destructive, calls[i].destructive);
		assert_int_equal(op->nlosses > 0, calls[i].losses);
		assert_int_equal(op->hands_over != NULL, calls[i].hands_over);
		assert_int_equal(op->clobber_mask, 0);
	}
	const struct hcf_op *hlt = hcf_spec_op_by_name(abi, "hlt");
	assert_int_equal(hlt->ret_reg, HCF_REG_NONE);
	assert_false(hlt->destructive);
	assert_int_equal(hcf_spec_op_by_name(abi, "set_vif_page")->nerrors, 1);
	assert_int_equal(abi->structs[0].align_down, 1); /* the bytes named, no rounding */

	/* which inputs may end the guest, and how (only ever a shutdown) */
	static const struct {
		const char *op;
		uint64_t rbx, rcx, rdx;
		bool may;
	} ends[] = {
		{ "set_cr3", 0, 0, 0, true },
		{ "set_cr3", 0x9000, 0, 0, true },
		{ "set_cr3", 0x8000, 0, 0, false },
		{ "set_cr3", 0x8fff, 0, 0, false },
		{ "set_cr4", 0x100620, 0, 0, true },       /* SMEP */
		{ "set_cr4", 0x200620, 0, 0, true },       /* SMAP */
		{ "set_cr4", 0x620, 0, 0, false },
		{ "load_gdtr", 0, 0x7ff, 0, true },
		{ "load_gdtr", 0x2000, 0x7ff, 0, false },
		{ "load_gdtr", 0x2000, 0xe, 0, true },
		{ "load_gdtr", 0x2000, 0xabcd000f, 0, false }, /* limit: 16 bits */
		{ "load_idtr", 0x3000, 0xfff, 0, false },
		{ "load_idtr", 0x3000, 0x8e, 0, true },
		{ "load_idtr", 0x3000, 0x8f, 0, false },
		{ "load_idtr", 0xdead0000, 0xfff, 0, true },
		{ "event_return_a", 0, 0, 0, true },
		{ "event_return_a", 0xffff800000000000ull, 0, 0x7fffffffffffull, true },
		{ "event_return_a", 0x8000000000000000ull, 0, 0, false },
		{ "event_return_b", 0, 0, 0x800000000000ull, false },
		{ "event_return_d", 0x1000, 0, 0, true },
		{ "event_return_d", 0x7fffff, 0, 0, true },
		{ "event_return_d", 0, 0, 0, false },
		{ "event_return_d", 0x800000, 0, 0, false },
	};
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		const struct hcf_op *op = hcf_spec_op_by_name(abi, ends[i].op);
		uint64_t in[HCF_NGPR] = { 0 };
		in[HCF_RAX] = op->nr;
		in[HCF_RBX] = ends[i].rbx;
		in[HCF_RCX] = ends[i].rcx;
		in[HCF_RDX] = ends[i].rdx;
		if (hcf_op_may_end(op, HCF_LIVE_SHUTDOWN, in) != ends[i].may)
			fail_msg("row %zu: %s may %send the guest", i, ends[i].op, ends[i].may ? "not " : "");
		/* a call that hands the guest over declares every way the guest
		 * itself can end, and nothing more */
		bool ho = hcf_op_hands_over(op, in);
		assert_true(!ho || ends[i].may);
		for (int k = 0; k < HCF_LIVE_COUNT; k++)
			if (k != HCF_LIVE_SHUTDOWN)
				assert_int_equal(hcf_op_may_end(op, (unsigned)k, in),
						 ho && hcf_liveness_declarable((enum hcf_liveness)k));
	}

	/* the deviations, listed instead of allowed */
	static const struct {
		const char *id;
		enum hcf_anomaly_kind kind;
		size_t nops;
	} anomalies[] = {
		{ "pvm-cr-status", HCF_ANOM_REG, 3 },
		{ "pvm-wrmsr-status", HCF_ANOM_REG, 1 },
		{ "pvm-vif-page-rounding", HCF_ANOM_MEMORY, 1 },
		{ "pvm-vif-msr-rounding", HCF_ANOM_MEMORY, 1 },
		{ "pvm-vif-page-rounding-tables", HCF_ANOM_OUTCOME, 1 },
		{ "pvm-vif-msr-rounding-tables", HCF_ANOM_OUTCOME, 1 },
		{ "pvm-event-return-d-high-bits", HCF_ANOM_OUTCOME, 1 },
		{ "pvm-exec-outside-ram", HCF_ANOM_OUTCOME, 3 },
		{ "pvm-delivery-bad-code-segment", HCF_ANOM_OUTCOME, 7 },
		{ "pvm-mmio-fpu-sse", HCF_ANOM_OUTCOME, 3 },
	};
	assert_int_equal(abi->nanomalies, sizeof(anomalies) / sizeof(anomalies[0]));
	for (size_t i = 0; i < abi->nanomalies; i++) {
		const struct hcf_anomaly *a = &abi->anomalies[i];
		assert_string_equal(a->id, anomalies[i].id);
		assert_int_equal(a->kind, anomalies[i].kind);
		assert_int_equal(a->nops, anomalies[i].nops);
		assert_true(strlen(a->evidence) > 20);
		assert_true(strlen(a->reproduce) > 0);
	}
	assert_int_equal(abi->anomalies[0].instead_of, 13);
	assert_int_equal(abi->anomalies[1].values.n, 2);

	/* the model on the spec's ops */
	struct hcf_expect e;
	const struct hcf_op *cr0 = hcf_spec_op_by_name(abi, "set_cr0");
	predict_args(abi, (int)(cr0 - abi->ops), cr0->nr, 0, 0, 0, &e);
	assert_int_equal(e.outcome, HCF_EXP_EXCEPTION);
	assert_int_equal(e.vector, 13);
	assert_true(cr0->exceptions & gp);
	predict_args(abi, -1, 0x4242, 0, 0, 0, &e);
	expect_rax(&e, (uint64_t)-38);
	hcf_spec_free(abi);
}


static bool vsets_equal(const struct hcf_vset *a, const struct hcf_vset *b)
{
	if (a->any != b->any || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->r[i].lo != b->r[i].lo || a->r[i].hi != b->r[i].hi)
			return false;
	return true;
}

/* The tests' misstated spec is pvm.yaml but for its two deliberate
 * misstatements: the rest may not drift from the contract it copies. */
static void test_misstated_fixture_follows_pvm(void **state)
{
	struct hcf_abi *pvm = load_src("specs/pvm.yaml");
	struct hcf_abi *mis = load_src("tests/fixtures/pvm-misstated.yaml");
	assert_int_equal(pvm->nops, mis->nops);
	for (size_t i = 0; i < pvm->nops; i++) {
		const struct hcf_op *a = &pvm->ops[i], *b = &mis->ops[i];
		assert_string_equal(a->name, b->name);
		assert_int_equal(a->nr, b->nr);
		if (!strcmp(a->name, "invlpg") || !strcmp(a->name, "reserved_1006"))
			continue; /* the misstatements */
		if (!vsets_equal(&a->returns, &b->returns) || a->nerrors != b->nerrors ||
		    a->exceptions != b->exceptions || a->destructive != b->destructive ||
		    a->nlosses != b->nlosses || (a->hands_over == NULL) != (b->hands_over == NULL) ||
		    a->ret_reg != b->ret_reg ||
		    a->clobber_mask != b->clobber_mask || a->nargs != b->nargs)
			fail_msg("%s: tests/fixtures/pvm-misstated.yaml differs from specs/pvm.yaml "
				 "(tests/fixtures/make-pvm-misstated.sh writes it again)",
				 a->name);
	}
	assert_true(vsets_equal(&pvm->undeclared.returns, &mis->undeclared.returns));
	assert_int_equal(pvm->nanomalies, mis->nanomalies);
	for (size_t i = 0; i < pvm->nanomalies; i++)
		assert_string_equal(pvm->anomalies[i].id, mis->anomalies[i].id);
	hcf_spec_free(pvm);
	hcf_spec_free(mis);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_open_fallback),
		cmocka_unit_test(test_from_spec),
		cmocka_unit_test(test_kvm),
		cmocka_unit_test(test_pvm),
		cmocka_unit_test(test_pvm_idt),
		cmocka_unit_test(test_kvm_with_spec_file),
		cmocka_unit_test(test_pvm_with_spec_file),
		cmocka_unit_test(test_misstated_fixture_follows_pvm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
