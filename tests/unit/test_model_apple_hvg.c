/*
 * test_model_apple_hvg.c: specs/apple-hvg.yaml and its reference model "apple-hvg".
 *
 * - the model's prediction for each kind of call: CF always, the unknown
 *   code's error, the outputs it answers;
 * - its state: the boot session UUID learned from the first successful
 *   answer, dropped when the guest goes back to boot;
 * - the spec's whole conformance plan on the model target: every test PASS
 *   (what `hcfuzz conform --target model` runs);
 * - a misstated model is caught: a model variant that says an error leaves
 *   CF clear, or names another error code, makes the model oracle FAIL at
 *   rflags.CF or rax; a spec that misstates where an output is, or the CF
 *   convention, FAILs at rdi or rflags.CF against the right model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec/exec.h"
#include "exec/targets.h"
#include "oracles/models/model.h"
#include "oracles/oracle.h"
#include "prog/plan.h"
#include "util/x86.h"

#include "model_run.h"

#define SPEC "specs/apple-hvg.yaml"

/* The shipped spec, or a copy with its first `from` replaced by `to`. */
static struct hcf_abi *load_spec(const char *from, const char *to)
{
	return from ? mr_load_variant(SPEC, from, to) : mr_load_src(SPEC);
}

static void test_table(void **state)
{
	(void)state;
	assert_ptr_equal(hcf_model_find("apple-hvg"), &hcf_model_apple_hvg);
	struct hcf_abi *abi = load_spec(NULL, NULL);
	assert_string_equal(abi->model, "apple-hvg");
	assert_int_equal(abi->err, HCF_ERR_CARRY);
	assert_int_equal(abi->nr_or_mask, 0x41000000);
	struct hcf_model m;
	assert_int_equal(hcf_model_open(&m, abi, NULL), 0);
	assert_false(m.fell_back);
	hcf_model_close(&m);
	hcf_spec_free(abi);
}

/* "hcfuzz-model.vmcore", 8 bytes a register, little-endian. */
#define TAG_RAX 0x6d2d7a7a75666368ull /* "hcfuzz-m" */
#define TAG_RDI 0x636d762e6c65646full /* "odel.vmc" */
#define TAG_RSI 0x65726full           /* "ore" */

static const struct predict_case {
	const char *prog;
	uint64_t cf;               /* the CF predicted */
	hcf_regmask_t known;       /* the registers predicted, with their values: */
	uint64_t rax, rdi, rsi;
} predict_cases[] = {
	/* codes it does not know, the arm64-only ones, a code without the 'A' */
	{ "call nr=0", HCF_X86_RFLAGS_CF, HCF_REGBIT(HCF_RAX), 2, 0, 0 },
	{ "call nr=5", HCF_X86_RFLAGS_CF, HCF_REGBIT(HCF_RAX), 2, 0, 0 },
	{ "call nr=6 rflags=CF", HCF_X86_RFLAGS_CF, HCF_REGBIT(HCF_RAX), 2, 0, 0 },
	{ "call rax=1", HCF_X86_RFLAGS_CF, HCF_REGBIT(HCF_RAX), 2, 0, 0 },
	{ "call rax=0x141000001", HCF_X86_RFLAGS_CF, HCF_REGBIT(HCF_RAX), 2, 0, 0 },
	/* the four calls succeed, whatever CF was */
	{ "call HVG_HCALL_TRIGGER_DUMP dump_option/tag_1=1 rflags=CF", 0,
	  HCF_REGBIT(HCF_RAX) | HCF_REGBIT(HCF_RDI) | HCF_REGBIT(HCF_RSI) | HCF_REGBIT(HCF_RDX) |
		  HCF_REGBIT(HCF_RCX) | HCF_REGBIT(HCF_R8) | HCF_REGBIT(HCF_R9),
	  TAG_RAX, TAG_RDI, TAG_RSI },
	{ "call HVG_HCALL_SET_COREDUMP_DATA kernel_cr3=0x1000", 0, 0, 0, 0, 0 },
	{ "call HVG_HCALL_GET_MABS_OFFSET tsc_base/mabs_offset=7 ns_base=9", 0, HCF_REGBIT(HCF_RDI), 0,
	  0, 0 },
	{ "call HVG_HCALL_GET_BOOTSESSIONUUID", 0, 0, 0, 0, 0 },
};

static void test_predictions(void **state)
{
	(void)state;
	struct hcf_abi *abi = load_spec(NULL, NULL);
	for (size_t i = 0; i < sizeof(predict_cases) / sizeof(predict_cases[0]); i++) {
		const struct predict_case *c = &predict_cases[i];
		struct hcf_prog p;
		memset(&p, 0, sizeof(p));
		mr_parse(&p, abi, c->prog);
		struct hcf_model m;
		assert_int_equal(hcf_model_open(&m, abi, NULL), 0);
		struct hcf_expect e;
		m.ops->predict(m.st, abi, &p, 0, p.calls[0].gpr, &e);
		print_message("%s: known 0x%x rax 0x%llx CF %llu\n", c->prog, (unsigned)e.known,
			      (unsigned long long)e.gpr[HCF_RAX],
			      (unsigned long long)(e.rflags & HCF_X86_RFLAGS_CF));
		assert_int_equal(e.outcome, HCF_EXP_RETURN);
		assert_int_equal(e.rflags_mask, HCF_X86_RFLAGS_CF);
		assert_int_equal(e.rflags, c->cf);
		assert_int_equal(e.known, c->known);
		if (c->known & HCF_REGBIT(HCF_RAX))
			assert_int_equal(e.gpr[HCF_RAX], c->rax);
		if (c->known & HCF_REGBIT(HCF_RDI))
			assert_int_equal(e.gpr[HCF_RDI], c->rdi);
		if (c->known & HCF_REGBIT(HCF_RSI))
			assert_int_equal(e.gpr[HCF_RSI], c->rsi);
		assert_string_equal(e.why_model, "apple-hvg");
		hcf_model_close(&m);
		hcf_prog_free(&p);
	}
	hcf_spec_free(abi);
}

/* The UUID: nothing to predict until an answer came; then that answer. */
static void test_uuid_learned(void **state)
{
	(void)state;
	struct hcf_abi *abi = load_spec(NULL, NULL);
	struct hcf_prog p;
	memset(&p, 0, sizeof(p));
	mr_parse(&p, abi, "call HVG_HCALL_GET_BOOTSESSIONUUID\ncall HVG_HCALL_GET_BOOTSESSIONUUID\n");
	struct hcf_model m;
	assert_int_equal(hcf_model_open(&m, abi, NULL), 0);
	struct hcf_expect e;
	m.ops->predict(m.st, abi, &p, 0, p.calls[0].gpr, &e);
	assert_int_equal(e.known, 0);

	/* "5F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0" as XNU reads it back */
	static const uint64_t uuid[] = { 0x43334432452d4531ull, 0x2d413542342d4333ull,
					 0x363937382d393738ull, 0x34432d4135344235ull,
					 0xdead000030463145ull };
	static const unsigned regs[] = { HCF_RAX, HCF_RDI, HCF_RSI, HCF_RDX, HCF_RCX };
	struct hcf_prog_result res;
	hcf_result_init(&res, 0);
	hcf_result_reserve(&res, 2);
	res.ncalls = res.ndone = 2;
	res.liveness = HCF_LIVE_OK;
	for (size_t i = 0; i < 2; i++)
		hcf_call_result_init(&res.calls[i], p.calls[i].gpr);
	/* an error teaches nothing */
	res.calls[0].outcome = HCF_CO_RETURNED;
	memcpy(res.calls[0].after, res.calls[0].before, sizeof(res.calls[0].after));
	res.calls[0].after[HCF_RAX] = 5;
	res.calls[0].rflags_after = 0x2 | HCF_X86_RFLAGS_CF;
	m.ops->observe(m.st, abi, &p, 0, &res);
	m.ops->predict(m.st, abi, &p, 1, p.calls[1].gpr, &e);
	assert_int_equal(e.known, 0);
	/* the answer */
	for (size_t r = 0; r < 5; r++)
		res.calls[0].after[regs[r]] = uuid[r];
	res.calls[0].rflags_after = 0x2;
	m.ops->observe(m.st, abi, &p, 0, &res);
	m.ops->predict(m.st, abi, &p, 1, p.calls[1].gpr, &e);
	for (size_t r = 0; r < 5; r++) {
		assert_true(e.known & HCF_REGBIT(regs[r]));
		assert_int_equal(e.gpr[regs[r]], uuid[r]);
	}
	/* back to boot, where the model target starts over */
	hcf_model_forget(&m);
	m.ops->predict(m.st, abi, &p, 1, p.calls[1].gpr, &e);
	assert_int_equal(e.known, 0);

	/* judged: a second answer that differs in ecx FAILs there, one that
	 * differs only above ecx (which XNU does not read) passes */
	res.calls[1].outcome = HCF_CO_RETURNED;
	memcpy(res.calls[1].after, res.calls[1].before, sizeof(res.calls[1].after));
	for (size_t r = 0; r < 5; r++)
		res.calls[1].after[regs[r]] = uuid[r];
	res.calls[1].after[HCF_RCX] ^= 0xffff000000000000ull;
	res.calls[1].rflags_after = 0x2;
	struct hcf_target_info ti = { 0 };
	struct hcf_call_verdict cvs[2];
	assert_int_equal(hcf_oracles_check(abi, &p, &res, &m, &ti, cvs), HCF_V_PASS);
	hcf_model_reset(&m);
	res.calls[1].after[HCF_RCX] ^= 1;
	assert_int_equal(hcf_oracles_check(abi, &p, &res, &m, &ti, cvs), HCF_V_FAIL);
	assert_true(mr_has_issue(&cvs[1], "model", "rcx", NULL));
	hcf_model_close(&m);
	hcf_result_free(&res);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

/* Every test that did not PASS, for the message. */
struct plan_seen {
	size_t n, undeclared, not_pass;
	char first[160];
};

static void on_test(void *ctx, size_t i, const struct hcf_test *t, const struct hcf_test_outcome *o)
{
	(void)i;
	struct plan_seen *s = ctx;
	s->n++;
	s->undeclared += !strcmp(t->group, "undeclared");
	if (o->v != HCF_V_PASS && !s->not_pass++)
		snprintf(s->first, sizeof(s->first), "%s: %s: %s", t->id, hcf_verdict_name(o->v),
			 o->cvs && o->cvs[0].nissues ? o->cvs[0].issues[0].reason : "?");
}

/* `hcfuzz conform --target model`: the plan through the executor, every
 * test PASS. */
static void test_plan_on_model(void **state)
{
	(void)state;
	struct hcf_abi *abi = load_spec(NULL, NULL);
	struct hcf_test *tests = NULL;
	size_t n = 0;
	struct hcf_plan_opts popts = { 0 };
	assert_int_equal(hcf_plan_build(abi, &popts, &tests, &n), 0);
	assert_true(n > 50);
	struct hcf_target *t;
	struct hcf_model m;
	mr_open_model(abi, &t, &m);
	struct plan_seen seen = { 0 };
	struct hcf_exec_stats st;
	assert_int_equal(hcf_exec_tests(t, abi, &m, tests, n, NULL, on_test, &seen, &st), 0);
	if (seen.not_pass)
		fail_msg("%zu of %zu tests not PASS, the first %s", seen.not_pass, n, seen.first);
	assert_int_equal(seen.n, n);
	assert_true(seen.undeclared >= 4);
	hcf_model_close(&m);
	hcf_target_close(t);
	hcf_tests_free(tests, n);
	hcf_spec_free(abi);
}

/*
 * Misstated models: the apple-hvg model with one answer changed, judging what
 * the real model answered on the model target.
 */
static void lie_cf_clear(struct hcf_expect *e)
{
	e->rflags &= ~HCF_X86_RFLAGS_CF; /* "errors leave CF clear" */
}

static void lie_unsupported(struct hcf_expect *e)
{
	if (e->rflags & HCF_X86_RFLAGS_CF)
		e->gpr[HCF_RAX] = 6; /* "an unknown code is HVG_HCALL_UNSUPPORTED" */
}

static void lie_offset_in_rsi(struct hcf_expect *e)
{
	if (e->known & HCF_REGBIT(HCF_RDI)) { /* GET_MABS_OFFSET: "the offset is in rsi" */
		e->known = (e->known & ~HCF_REGBIT(HCF_RDI)) | HCF_REGBIT(HCF_RSI);
		e->gpr[HCF_RSI] = e->gpr[HCF_RDI];
	}
}

static void (*lie)(struct hcf_expect *e);

static void lying_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			  const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	hcf_model_apple_hvg.predict(st, abi, p, idx, before, e);
	lie(e);
}

static const struct lie_case {
	void (*lie)(struct hcf_expect *e);
	const char *prog;
	const char *where; /* the model oracle's FAIL */
} lie_cases[] = {
	{ lie_cf_clear, "call nr=0x7f", "rflags.CF" },
	{ lie_unsupported, "call nr=0x7f", "rax" },
	/* the tsc_base sentinel is not 0, the model's offset is */
	{ lie_offset_in_rsi, "call HVG_HCALL_GET_MABS_OFFSET tsc_base/mabs_offset=5 ns_base=7", "rsi" },
};

static void test_misstated_model(void **state)
{
	(void)state;
	struct hcf_abi *abi = load_spec(NULL, NULL);
	for (size_t i = 0; i < sizeof(lie_cases) / sizeof(lie_cases[0]); i++) {
		const struct lie_case *c = &lie_cases[i];
		struct mr_run r;
		mr_run_model(&r, abi, c->prog);
		struct hcf_model truth;
		assert_int_equal(hcf_model_open(&truth, abi, &r.ti), 0);
		assert_int_equal(hcf_oracles_check(abi, &r.p, &r.res, &truth, &r.ti, r.cvs), HCF_V_PASS);
		hcf_model_close(&truth);

		struct hcf_model_ops ops = hcf_model_apple_hvg;
		ops.predict = lying_predict;
		lie = c->lie;
		struct hcf_model wrong;
		assert_int_equal(hcf_model_open(&wrong, abi, &r.ti), 0);
		wrong.ops = &ops;
		assert_int_equal(hcf_oracles_check(abi, &r.p, &r.res, &wrong, &r.ti, r.cvs), HCF_V_FAIL);
		if (!mr_has_issue(&r.cvs[0], "model", c->where, NULL))
			fail_msg("%s: no model FAIL at %s", c->prog, c->where);
		wrong.ops = &hcf_model_apple_hvg;
		hcf_model_close(&wrong);
		mr_run_free(&r);
	}
	hcf_spec_free(abi);
}

/*
 * Misstated specs, judged against the right model on the model target: the
 * oracle that catches each, at the place it names.
 */
static const struct spec_lie {
	const char *from, *to;
	const char *prog;
	const char *oracle, *where;
} spec_lies[] = {
	/* "errors are negative numbers": CF is not the spec's to change */
	{ "error_convention: carry", "error_convention: negative_errno", "call nr=0x7f", "clobber",
	  "rflags.CF" },
	/* "the offset comes back in rsi": rdi is only an input then */
	{ "      tsc_base/mabs_offset: {reg: rdi, nondeterministic: any}\n"
	  "    input:\n      ns_base: rsi\n",
	  "      ns_base/mabs_offset: {reg: rsi, nondeterministic: any}\n"
	  "    input:\n      tsc_base: rdi\n",
	  "call HVG_HCALL_GET_MABS_OFFSET tsc_base=5 ns_base/mabs_offset=7", "clobber", "rdi" },
};

static void test_misstated_spec(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(spec_lies) / sizeof(spec_lies[0]); i++) {
		const struct spec_lie *c = &spec_lies[i];
		struct hcf_abi *abi = load_spec(c->from, c->to);
		struct mr_run r;
		mr_run_model(&r, abi, c->prog);
		struct hcf_model m;
		assert_int_equal(hcf_model_open(&m, abi, &r.ti), 0);
		assert_int_equal(hcf_oracles_check(abi, &r.p, &r.res, &m, &r.ti, r.cvs), HCF_V_FAIL);
		if (!mr_has_issue(&r.cvs[0], c->oracle, c->where, NULL))
			fail_msg("%s -> %s: no %s FAIL at %s", c->from, c->to, c->oracle, c->where);
		hcf_model_close(&m);
		mr_run_free(&r);
		hcf_spec_free(abi);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_predictions),
		cmocka_unit_test(test_uuid_learned),
		cmocka_unit_test(test_plan_on_model),
		cmocka_unit_test(test_misstated_model),
		cmocka_unit_test(test_misstated_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
