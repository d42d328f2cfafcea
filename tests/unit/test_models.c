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
	assert_null(hcf_model_find("xen"));
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
	abi_vset_add(&abi->undeclared_returns, -38, -38);
	struct hcf_expect e;

	predict(abi, 0, 1, &e);
	assert_int_equal(e.outcome, HCF_EXP_RETURN);
	assert_int_equal(e.known, 0);
	assert_false(e.may_lose_guest);
	assert_int_equal(e.rflags_mask, 0);

	predict(abi, 1, 2, &e);
	assert_int_equal(e.outcome, HCF_EXP_UNKNOWN);

	predict(abi, 2, 3, &e);
	assert_true(e.may_lose_guest);

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
	abi_vset_add(&abi->undeclared_returns, -1, -1);
	predict(abi, -1, 99, &e);
	assert_int_equal(e.known, 0);

	abi->undeclared_exceptions = 1u << 6;
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
		assert_false(e.may_lose_guest);
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

static void test_pvm(void **state)
{
	const char *names[] = { "set_cr3" };
	const uint64_t nrs[] = { 0x1001 };
	struct hcf_abi *abi = make_abi("pvm", 1, names, nrs);
	struct hcf_expect e;
	const uint64_t enosys = 0xffffffffffffffdaull;

	predict(abi, -1, 0x1006, &e);
	expect_rax(&e, enosys);
	predict(abi, -1, 0x2000, &e);
	expect_rax(&e, enosys);
	predict(abi, -1, 0xfff, &e);
	expect_rax(&e, enosys);
	predict(abi, -1, 0x100f, &e);
	expect_rax(&e, enosys);

	/* Implemented: nothing beyond the spec, destructive ones may kill. */
	predict(abi, 0, 0x1001, &e);
	assert_int_equal(e.known, 0);
	assert_true(e.may_lose_guest);
	/* Measured: HLT leaves rax alone, TLB flush and INVLPG return 0. */
	predict(abi, -1, 0x1009, &e);
	expect_rax(&e, 0x1009);
	assert_false(e.may_lose_guest);
	predict(abi, -1, 0x100e, &e);
	expect_rax(&e, 0);
	assert_false(e.may_lose_guest);
	predict(abi, -1, 0x1008, &e);
	expect_rax(&e, 0);

	/* Upper bits over an implemented number: decoding width unmeasured. */
	predict(abi, -1, 0x100001001ull, &e);
	assert_int_equal(e.known, 0);
	assert_int_equal(e.outcome, HCF_EXP_UNKNOWN);
	assert_true(e.may_lose_guest);
	hcf_spec_free(abi);
}

/* The pvm model follows the IDT a program loads: an allowed #GP through an
 * IDT too short for it arrives as #DF, and an IDT elsewhere may deliver
 * anything. A reset (the guest rebuilt) forgets it. */
static void test_pvm_idt(void **state)
{
	const char *names[] = { "load_idtr", "invlpg" };
	const uint64_t nrs[] = { 0x1005, 0x1008 };
	struct hcf_abi *abi = make_abi("pvm", 2, names, nrs);
	abi->ops[1].exceptions = 1u << 13; /* #GP, for the test: not destructive */
	struct hcf_model m;
	struct one o;
	struct hcf_call_result cr;
	struct hcf_expect e;
	const uint32_t gp_df = (1u << 13) | (1u << 8);
	assert_int_equal(hcf_model_open(&m, abi, NULL), 0);

	/* Nothing loaded: the spec's list. */
	one_make(&o, abi, 1, 0x1008);
	m.ops->predict(m.st, abi, &o.p, 0, o.before, &e);
	assert_int_equal(e.extra_exceptions, 0);

	static const struct {
		uint64_t base, limit;
		int rax_after;       /* what load_idtr returned */
		uint32_t extra;
		bool may_lose;
	} rows[] = {
		{ HCF_GPA_IDT, 0xfff, 0, 0, false },     /* the agent's own, whole: as before */
		{ HCF_GPA_IDT, 0xdf, 0, 0, false },      /* gate 13 ends at 0xdf: still there */
		{ HCF_GPA_IDT, 0xde, 0, gp_df, false },  /* #GP gate cut: #GP becomes #DF */
		{ HCF_GPA_IDT, 0xb6, 0, gp_df, false },  /* the fuzzer's case: #DF delivered */
		{ HCF_GPA_IDT, 0x7f, 0, gp_df, true },   /* no #DF gate either: shutdown */
		{ HCF_GPA_IDT, 0x7f, -22, 0, false },    /* refused: the old IDT stands */
		{ 0x600000, 0xfff, 0, ~0u, true },       /* someone else's gates */
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		m.ops->reset(m.st);
		hcf_call_result_init(&cr, o.before);
		cr.outcome = HCF_CO_RETURNED;
		cr.before[HCF_RAX] = 0x1005;
		cr.before[HCF_RBX] = rows[i].base;
		cr.before[HCF_RCX] = 0xabcd0000ull | rows[i].limit; /* CX: 16 bits */
		cr.after[HCF_RAX] = (uint64_t)(int64_t)rows[i].rax_after;
		m.ops->observe(m.st, abi, &o.p, 0, &cr);
		m.ops->predict(m.st, abi, &o.p, 0, o.before, &e);
		if (e.extra_exceptions != rows[i].extra)
			print_message("row %zu: extra 0x%x\n", i, e.extra_exceptions);
		assert_int_equal(e.extra_exceptions, rows[i].extra);
		assert_int_equal(e.may_lose_guest, rows[i].may_lose);
	}

	/* A call with no allowed exception gains none: it should not fault. */
	one_make(&o, abi, -1, 0x100e);
	m.ops->predict(m.st, abi, &o.p, 0, o.before, &e);
	assert_int_equal(e.extra_exceptions, 0);
	assert_false(e.may_lose_guest);

	/* The guest rebuilt: its IDT is the agent's again. */
	m.ops->reset(m.st);
	one_make(&o, abi, 1, 0x1008);
	m.ops->predict(m.st, abi, &o.p, 0, o.before, &e);
	assert_int_equal(e.extra_exceptions, 0);
	assert_false(e.may_lose_guest);
	hcf_model_close(&m);
	hcf_spec_free(abi);
}

/* The model against the real spec: op names and constants resolve, every
 * declared call gets the answer kvm_emulate_hypercall gives at CPL0. */
static void test_kvm_with_spec_file(void **state)
{
	const char *src = getenv("HCF_SOURCE_DIR");
	char path[4096];
	struct hcf_abi *abi = NULL;
	struct hcf_diags diags;
	if (!src) {
		print_message("skipped: HCF_SOURCE_DIR not set (run under ctest)\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/specs/kvm.yaml", src);
	hcf_diags_init(&diags);
	if (hcf_spec_load(path, &abi, &diags) < 0) {
		hcf_diags_print(&diags, stderr);
		fail_msg("%s does not load", path);
	}
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
