/* test_coverage.c: input value classes, return value classes, and the spec coverage matrix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <jansson.h>

#include "fuzz/campaign_cov.h"
#include "fuzz/campaign_dir.h"
#include "fuzz/session.h"
#include "prog/plan.h"
#include "prog/value_class.h"
#include "reports/campaign_report.h"
#include "reports/coverage.h"
#include "reports/report.h"
#include "reports/report_util.h"
#include "spec/spec.h"
#include "util/fileio.h"
#include "util/xalloc.h"

/* strstr that shows the whole text when the needle is missing. */
#define assert_contains(text, needle)                                                    \
	do {                                                                                 \
		if (!strstr((text), (needle)))                                               \
			fail_msg("missing \"%s\" in:\n%s", (needle), (text));                \
	} while (0)

/* A shipped spec, or NULL (the test then fails: they ship with the source). */
static struct hcf_abi *load_spec(const char *name)
{
	const char *src = getenv("HCF_SOURCE_DIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/specs/%s", src ? src : ".", name);
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load(path, &abi, &d) != 0)
		fail_msg("%s: %s", path, d.n ? d.d[0].msg : "does not load");
	return abi;
}

/* ---- input value classes ---------------------------------------------------- */

static void test_number_classes(void **state)
{
	(void)state;
	struct hcf_vrange r[] = { { 7, 7 }, { -3, -2 }, { 100, 200 } };
	struct hcf_vset hints = { .n = 3, .r = r };
	static const struct {
		uint64_t v;
		unsigned width;
		bool hints;
		enum hcf_vclass want;
	} cases[] = {
		{ 0, 64, false, HCF_VC_ZERO },
		{ 1, 64, false, HCF_VC_ONE },
		{ ~0ull, 64, false, HCF_VC_ALL_ONES },
		{ 1ull << 63, 64, false, HCF_VC_SIGN_BIT },
		{ ~0ull >> 1, 64, false, HCF_VC_MAX },
		{ 2, 64, false, HCF_VC_RANDOM },
		{ 0xffffffff, 32, false, HCF_VC_ALL_ONES },
		{ 0xffffffff, 64, false, HCF_VC_RANDOM },
		{ 0x80000000, 32, false, HCF_VC_SIGN_BIT },
		{ 0x7fffffff, 32, false, HCF_VC_MAX },
		{ 0x80, 8, false, HCF_VC_SIGN_BIT },
		{ 0x7f, 8, false, HCF_VC_MAX },
		{ 0xff, 8, false, HCF_VC_ALL_ONES },
		/* above the width: garbage first, whatever the bits below say */
		{ 0x100000000ull, 32, false, HCF_VC_UPPER_GARBAGE },
		{ 0xdead000000000001ull, 32, false, HCF_VC_UPPER_GARBAGE },
		{ ~0ull, 32, false, HCF_VC_UPPER_GARBAGE },
		{ 0x100, 8, false, HCF_VC_UPPER_GARBAGE },
		{ 0x100000007ull, 32, true, HCF_VC_UPPER_GARBAGE }, /* not the hint 7 */
		/* width 0 (not said) is 64 */
		{ ~0ull, 0, false, HCF_VC_ALL_ONES },
		/* hints: a value, a negative range read as unsigned or sign-extended */
		{ 7, 64, true, HCF_VC_HINT },
		{ 150, 64, true, HCF_VC_HINT },
		{ 201, 64, true, HCF_VC_RANDOM },
		{ (uint64_t)-3, 64, true, HCF_VC_HINT },
		{ 0xfffffffe, 32, true, HCF_VC_HINT },
		{ 0xfffffffe, 64, true, HCF_VC_RANDOM },
		/* the special values win over a hint that names them */
		{ 1, 64, true, HCF_VC_ONE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum hcf_vclass got = hcf_vclass_of_number(cases[i].v, cases[i].width,
							   cases[i].hints ? &hints : NULL);
		if (got != cases[i].want)
			fail_msg("case %zu: 0x%llx at %u bits: %s, expected %s", i,
				 (unsigned long long)cases[i].v, cases[i].width, hcf_vclass_name(got),
				 hcf_vclass_name(cases[i].want));
	}
	/* any: no value is a hint */
	struct hcf_vset any = { .any = true };
	assert_int_equal(hcf_vclass_of_number(5, 64, &any), HCF_VC_RANDOM);
	/* the values the plan tries are their own class */
	for (int c = HCF_VC_ZERO; c <= HCF_VC_UPPER_GARBAGE; c++)
		for (unsigned w = 8; w <= 64; w *= 2)
			if (hcf_vclass_applies((enum hcf_vclass)c, w, false, false))
				assert_int_equal(hcf_vclass_of_number(hcf_vclass_value((enum hcf_vclass)c, w),
								      w, NULL),
						 c);
}

static void test_class_names(void **state)
{
	(void)state;
	for (int c = 0; c < HCF_VC_COUNT; c++)
		assert_int_equal(hcf_vclass_parse(hcf_vclass_name((enum hcf_vclass)c)), c);
	assert_int_equal(hcf_vclass_parse("null"), -1);
	assert_string_equal(hcf_vclass_name(HCF_VC_COUNT), "?");
	assert_false(hcf_vclass_applies(HCF_VC_UPPER_GARBAGE, 64, true, true));
	assert_true(hcf_vclass_applies(HCF_VC_UPPER_GARBAGE, 32, false, false));
	assert_false(hcf_vclass_applies(HCF_VC_HINT, 32, false, false));
	assert_true(hcf_vclass_applies(HCF_VC_HINT, 32, true, false));
	assert_false(hcf_vclass_applies(HCF_VC_PTR_EDGE, 64, false, false));
	assert_true(hcf_vclass_applies(HCF_VC_PTR_EDGE, 64, false, true));
	assert_true(hcf_vclass_applies(HCF_VC_RANDOM, 64, false, true));
}

/* A hint that is one of the special values is that class: an input whose
 * hints are all special has no hint cell. */
static void test_hints_apply(void **state)
{
	(void)state;
	struct hcf_vrange special[] = { { 0, 1 }, { -1, -1 } };
	struct hcf_vrange seven[] = { { 0, 0 }, { 7, 7 } };
	struct hcf_vrange wide[] = { { -100, 100 } };
	struct hcf_vset s = { .n = 2, .r = special };
	assert_false(hcf_vclass_hints_apply(&s, 64));
	assert_false(hcf_vclass_hints_apply(&s, 32)); /* -1 is all-ones at 32 bits too */
	s.r = seven;
	assert_true(hcf_vclass_hints_apply(&s, 64));
	s = (struct hcf_vset){ .n = 1, .r = wide };
	assert_true(hcf_vclass_hints_apply(&s, 8));
	s.any = true;
	assert_false(hcf_vclass_hints_apply(&s, 64));
	assert_false(hcf_vclass_hints_apply(NULL, 64));
	struct hcf_vrange signbit[] = { { 0x80, 0x80 } };
	s = (struct hcf_vset){ .n = 1, .r = signbit };
	assert_false(hcf_vclass_hints_apply(&s, 8));
	assert_true(hcf_vclass_hints_apply(&s, 16));
}

static void test_pointer_classes(void **state)
{
	(void)state;
	struct hcf_abi *abi = load_spec("kvm.yaml");
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	assert_int_equal(hcf_prog_add_buf(&p, 64, -1, HCF_DIR_IN, NULL), 0);
	static const struct {
		int16_t buf;
		int32_t off;
		uint32_t need;
		enum hcf_vclass want;
	} cases[] = {
		{ 0, 0, 64, HCF_VC_PTR_VALID },
		{ 0, 8, 56, HCF_VC_PTR_VALID },
		{ 0, 63, 0, HCF_VC_PTR_VALID },   /* need 0 is one byte */
		{ 0, 63, 8, HCF_VC_PTR_EDGE },    /* the plan's last-byte */
		{ 0, 8, 64, HCF_VC_PTR_EDGE },
		{ 0, -8, 8, HCF_VC_PTR_EDGE },    /* wholly in the guard below */
		{ 0, 64 + HCF_BUF_GUARD - 1, 1, HCF_VC_PTR_EDGE },
		{ 0, 64 + HCF_BUF_GUARD, 1, HCF_VC_PTR_INVALID },
		{ 0, -(int32_t)HCF_BUF_GUARD - 8, 8, HCF_VC_PTR_INVALID },
		{ -1, 0, 8, HCF_VC_PTR_INVALID }, /* a plain number */
		{ 3, 0, 8, HCF_VC_PTR_INVALID },  /* a buffer the program does not have */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hcf_bufref ref = { .buf = cases[i].buf, .offset = cases[i].off };
		enum hcf_vclass got = hcf_vclass_of_pointer(&p, &ref, cases[i].need);
		if (got != cases[i].want)
			fail_msg("case %zu: %s, expected %s", i, hcf_vclass_name(got),
				 hcf_vclass_name(cases[i].want));
	}
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

/* The input a plan test "<op>/<arg>=<kind>" varies, or NULL. */
static const struct hcf_arg *varied_arg(const struct hcf_abi *abi, const struct hcf_test *t,
					const char **kind)
{
	const struct hcf_op *op = hcf_spec_op_by_name(abi, t->group);
	const char *eq = strrchr(t->id, '=');
	const char *slash = strchr(t->id, '/');
	if (!op || !eq || !slash || eq < slash)
		return NULL;
	*kind = eq + 1;
	for (size_t i = 0; i < op->nargs; i++)
		if (strlen(op->args[i].name) == (size_t)(eq - slash - 1) &&
		    !strncmp(op->args[i].name, slash + 1, (size_t)(eq - slash - 1)))
			return &op->args[i];
	return NULL; /* a struct field's test ("arg.field=hint-0") */
}

/* Every value the plan tries lands in the class its test is named after:
 * the plan and the matrix share the names (prog/value_class.h). */
static void check_plan_classes(const char *spec)
{
	struct hcf_abi *abi = load_spec(spec);
	struct hcf_test *t;
	size_t n, checked = 0;
	assert_int_equal(hcf_plan_build(abi, NULL, &t, &n), 0);
	for (size_t i = 0; i < n; i++) {
		const char *kind;
		const struct hcf_arg *a = varied_arg(abi, &t[i], &kind);
		if (!a)
			continue;
		const struct hcf_pcall *c = &t[i].prog.calls[0];
		const struct hcf_bufref *ref = &c->ref[a->reg];
		bool ptr = hcf_arg_is_pointer(abi, a);
		uint32_t need = ptr ? abi->structs[a->struct_idx].size : 0;
		enum hcf_vclass num = hcf_vclass_of_number(c->gpr[a->reg], hcf_arg_width(a), &a->hints);
		enum hcf_vclass pc = ptr ? hcf_vclass_of_pointer(&t[i].prog, ref, need) : HCF_VC_COUNT;
		char want[32];
		snprintf(want, sizeof(want), "%s", kind);
		char *dash = strrchr(want, '-');
		if (dash && (!strncmp(want, "hint-", 5) || !strncmp(want, "random-", 7)))
			*dash = '\0';
		if (!strcmp(want, "null")) {
			assert_int_equal(num, HCF_VC_ZERO);
			assert_int_equal(pc, HCF_VC_PTR_INVALID);
		} else if (!strcmp(want, "last-byte")) {
			assert_int_equal(pc, HCF_VC_PTR_EDGE);
		} else if (!strcmp(want, "non-canonical") || !strcmp(want, "past-ram")) {
			assert_int_equal(pc, HCF_VC_PTR_INVALID);
		} else if (!strcmp(want, "random") && num == HCF_VC_HINT) {
			/* a seeded value inside a hint range: counted as the hint it is */
		} else if (strcmp(hcf_vclass_name(num), want)) {
			fail_msg("%s: %s (0x%llx) classified %s", spec, t[i].id,
				 (unsigned long long)c->gpr[a->reg], hcf_vclass_name(num));
		}
		if (ptr && ref->buf < 0)
			assert_int_equal(pc, HCF_VC_PTR_INVALID);
		checked++;
	}
	/* and the baseline's pointers are valid */
	for (size_t i = 0; i < n; i++) {
		const struct hcf_op *op = hcf_spec_op_by_name(abi, t[i].group);
		if (!op || !strstr(t[i].id, "/baseline"))
			continue;
		for (size_t k = 0; k < op->nargs; k++) {
			const struct hcf_arg *a = &op->args[k];
			if (!hcf_arg_is_input(abi, op, a) || !hcf_arg_is_pointer(abi, a))
				continue;
			const struct hcf_bufref *ref = &t[i].prog.calls[0].ref[a->reg];
			assert_int_equal(hcf_vclass_of_pointer(&t[i].prog, ref,
							       abi->structs[a->struct_idx].size),
					 HCF_VC_PTR_VALID);
		}
	}
	assert_true(checked > 20);
	hcf_tests_free(t, n);
	hcf_spec_free(abi);
}

static void test_plan_values_in_their_class(void **state)
{
	(void)state;
	check_plan_classes("kvm.yaml");
	check_plan_classes("pvm.yaml");
	check_plan_classes("xen.yaml");
}


/* ---- the matrix ------------------------------------------------------------------ */

static const char cov_spec[] =
	"hcfuzz_spec: 1\n"
	"abi: covtest\n"
	"transport: vmcall\n"
	"call_number: {reg: rax}\n"
	"return: {reg: rax}\n"
	"error_convention: negative_errno\n"
	"clobbers: []\n"
	"exceptions: []\n"
	"constants:\n"
	"  EINVAL: 22\n"
	"  ENOSYS: 38\n"
	"undeclared:\n"
	"  returns: [-ENOSYS]\n"
	"  exceptions: [UD]\n"
	"structs:\n"
	"  blob:\n"
	"    size: 16\n"
	"    fields:\n"
	"      a: {offset: 0, size: 8, dir: in}\n"
	"      b: {offset: 8, size: 8, dir: out}\n"
	"calls:\n"
	"  - name: set\n"
	"    nr: 1\n"
	"    input:\n"
	"      flags: {reg: ebx, hints: [0, 7]}\n"
	"      blob: {reg: rcx, pointer: blob}\n"
	"    returns: [0]\n"
	"    errors: [EINVAL, ENOSYS]\n"
	"    exceptions: [GP]\n"
	"  - name: nop\n"
	"    nr: 2\n"
	"    returns: [0]\n"
	"  - name: fail\n"
	"    nr: 3\n"
	"    returns: []\n"
	"    errors: [ENOSYS]\n";

enum { OP_SET, OP_NOP, OP_FAIL };

static struct hcf_abi *cov_abi(void)
{
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load_buffer("cov_spec", cov_spec, strlen(cov_spec), &abi, &d) != 0)
		fail_msg("cov_spec: %s", d.n ? d.d[0].msg : "does not load");
	return abi;
}

/* One call's program and result, fabricated: the call returned rax. */
struct one {
	struct hcf_prog p;
	struct hcf_prog_result r;
};

static struct hcf_pcall *one_call(struct one *o, const struct hcf_abi *abi, int op, uint64_t nr)
{
	hcf_prog_init(&o->p, abi);
	memset(&o->r, 0, sizeof(o->r));
	return hcf_prog_add_call(&o->p, op, nr);
}

static void one_result(struct one *o, enum hcf_call_outcome outcome, uint64_t rax)
{
	assert_int_equal(hcf_result_init(&o->r, o->p.ncalls), 0);
	o->r.ncalls = o->p.ncalls;
	for (size_t i = 0; i < o->p.ncalls; i++) {
		hcf_call_result_init(&o->r.calls[i], o->p.calls[i].gpr);
		o->r.calls[i].outcome = outcome;
		o->r.calls[i].after[HCF_RAX] = rax;
	}
}

static void one_free(struct one *o)
{
	hcf_result_free(&o->r);
	hcf_prog_free(&o->p);
}

/* Feed one call to op with rbx/rcx (rcx a buffer reference when ref >= 0)
 * and its outcome. */
static void feed(struct hcf_cov *cov, const struct hcf_abi *abi, int op, uint64_t nr, uint64_t rbx,
		 int32_t ref_off, enum hcf_call_outcome outcome, uint64_t rax)
{
	struct one o;
	struct hcf_pcall *c = one_call(&o, abi, op, nr);
	if (op == OP_SET) {
		hcf_pcall_set(c, HCF_RBX, rbx);
		if (ref_off != INT32_MIN) {
			int b = hcf_prog_add_buf(&o.p, 16, 0, HCF_DIR_IN, NULL);
			c = &o.p.calls[0];
			hcf_pcall_set_ref(c, HCF_RCX, b, ref_off);
		} else {
			hcf_pcall_set(c, HCF_RCX, 0);
		}
	}
	one_result(&o, outcome, rax);
	hcf_cov_add(cov, &o.p, &o.r);
	one_free(&o);
}

static const struct hcf_cov_input *input(const struct hcf_cov *cov, size_t row, const char *name)
{
	for (size_t k = 0; k < cov->rows[row].nin; k++)
		if (!strcmp(cov->rows[row].in[k].name, name))
			return &cov->rows[row].in[k];
	fail_msg("row %zu has no input %s", row, name);
	return NULL;
}

/* Every class and outcome lands in its cell, and the reach adds up. */
static void test_matrix_counts(void **state)
{
	(void)state;
	struct hcf_abi *abi = cov_abi();
	struct hcf_cov *cov = hcf_cov_new(abi, "cov_spec");
	assert_int_equal(cov->nrows, 4);
	assert_string_equal(cov->rows[3].op, HCF_COV_UNDECLARED_ROW);
	assert_false(cov->rows[3].declared);
	/* shape: flags is 32 bits with a hint of its own (7), blob a pointer */
	const struct hcf_cov_input *flags = input(cov, OP_SET, "flags");
	const struct hcf_cov_input *blob = input(cov, OP_SET, "blob");
	assert_int_equal(flags->width, 32);
	assert_true(flags->applies & (1u << HCF_VC_UPPER_GARBAGE));
	assert_true(flags->applies & (1u << HCF_VC_HINT));
	assert_false(flags->applies & (1u << HCF_VC_PTR_VALID));
	assert_true(blob->pointer);
	assert_true(blob->applies & (1u << HCF_VC_PTR_EDGE));
	assert_false(blob->applies & (1u << HCF_VC_UPPER_GARBAGE));
	assert_false(blob->applies & (1u << HCF_VC_HINT));
	assert_true(cov->rows[OP_SET].can_succeed);
	assert_false(cov->rows[OP_FAIL].can_succeed);
	assert_int_equal(cov->rows[OP_SET].nerr, 2);
	assert_string_equal(cov->rows[OP_SET].err[1].name, "-ENOSYS");
	assert_true(cov->rows[OP_SET].vec_declared & (1u << 13));
	assert_true(cov->rows[3].vec_declared & (1u << 6));

	/* nothing fed: only cells, none reached */
	struct hcf_cov_reach r;
	hcf_cov_reach(cov, &r);
	/* 4 rows; flags: 8 number classes with upper-garbage and hint = 8,
	 * blob: 6 number classes + 3 pointer = 9; errors 2 + 1; ok: set, nop,
	 * undeclared */
	assert_int_equal(r.ops, 4);
	assert_int_equal(r.classes, 8 + 9);
	assert_int_equal(r.errors, 3);
	assert_int_equal(r.ok, 3);
	assert_int_equal(r.cells, 4 + 17 + 3 + 3);
	assert_int_equal(r.reached, 0);
	assert_int_equal(hcf_cov_percent(cov), 0);

	feed(cov, abi, OP_SET, 0, 7, 0, HCF_CO_RETURNED, 0);                      /* hint, valid, ok */
	feed(cov, abi, OP_SET, 0, 0xdead00000001ull, 15, HCF_CO_RETURNED, (uint64_t)-22); /* edge, EINVAL */
	feed(cov, abi, OP_SET, 0, 0x7fffffff, INT32_MIN, HCF_CO_RETURNED, (uint64_t)-1); /* rcx 0: zero + invalid */
	feed(cov, abi, OP_SET, 0, 1, 0, HCF_CO_EXCEPTION, 0);
	feed(cov, abi, OP_SET, 0, 2, 0, HCF_CO_GUEST_LOST, 0);
	feed(cov, abi, OP_SET, 0, 3, 0, HCF_CO_HANG, 0);
	feed(cov, abi, OP_SET, 0, 4, 0, HCF_CO_NOT_RUN, 0);                        /* not counted */
	feed(cov, abi, OP_FAIL, 0, 0, 0, HCF_CO_RETURNED, (uint64_t)-38);
	feed(cov, abi, -1, 0x99, 0, 0, HCF_CO_RETURNED, (uint64_t)-38);              /* undeclared, ok */
	feed(cov, abi, -1, 0x98, 0, 0, HCF_CO_RETURNED, 5);                          /* undeclared value */

	const struct hcf_cov_row *set = &cov->rows[OP_SET];
	flags = input(cov, OP_SET, "flags");
	blob = input(cov, OP_SET, "blob");
	assert_int_equal(set->calls, 6);
	assert_int_equal(flags->n[HCF_VC_HINT], 1);
	assert_int_equal(flags->n[HCF_VC_UPPER_GARBAGE], 1);
	assert_int_equal(flags->n[HCF_VC_MAX], 1);
	assert_int_equal(flags->n[HCF_VC_ONE], 1);
	assert_int_equal(flags->n[HCF_VC_RANDOM], 2); /* 2 and 3 */
	assert_int_equal(blob->n[HCF_VC_PTR_VALID], 4);
	assert_int_equal(blob->n[HCF_VC_PTR_EDGE], 1);
	assert_int_equal(blob->n[HCF_VC_PTR_INVALID], 1);
	assert_int_equal(blob->n[HCF_VC_ZERO], 1); /* the plain 0; a reference is no number */
	assert_int_equal(set->out[HCF_COV_OK], 1);
	assert_int_equal(set->out[HCF_COV_ERROR], 1);
	assert_int_equal(set->err[0].n, 1);
	assert_int_equal(set->err[1].n, 0);
	assert_int_equal(set->out[HCF_COV_UNDECLARED], 1); /* -1: EPERM, not declared */
	assert_int_equal(set->out[HCF_COV_EXCEPTION], 1);
	assert_int_equal(set->out[HCF_COV_LOST], 1);
	assert_int_equal(set->out[HCF_COV_HANG], 1);
	assert_int_equal(cov->rows[OP_FAIL].err[0].n, 1);
	assert_int_equal(cov->rows[OP_NOP].calls, 0);
	assert_int_equal(cov->rows[3].calls, 2);
	assert_int_equal(cov->rows[3].out[HCF_COV_OK], 1);
	assert_int_equal(cov->rows[3].out[HCF_COV_UNDECLARED], 1);
	assert_int_equal(cov->programs, 10);

	hcf_cov_reach(cov, &r);
	assert_int_equal(r.ops_reached, 3);             /* nop never */
	/* flags: hint, upper-garbage, max, one, random; blob: zero (the plain
	 * 0) and its three pointer classes */
	assert_int_equal(r.classes_reached, 5 + 4);
	assert_int_equal(r.errors_reached, 2);
	assert_int_equal(r.ok_reached, 2);
	assert_int_equal(r.reached, 3 + 9 + 2 + 2);
	hcf_cov_free(cov);
	hcf_spec_free(abi);
}

/* A matrix with a few of everything, for the text forms. */
static struct hcf_cov *fed_matrix(struct hcf_abi *abi)
{
	struct hcf_cov *cov = hcf_cov_new(abi, "specs/covtest.yaml");
	feed(cov, abi, OP_SET, 0, 7, 0, HCF_CO_RETURNED, 0);
	feed(cov, abi, OP_SET, 0, 0xdead00000001ull, 15, HCF_CO_RETURNED, (uint64_t)-22);
	feed(cov, abi, OP_SET, 0, 1, 0, HCF_CO_EXCEPTION, 0);
	feed(cov, abi, OP_SET, 0, 2, 0, HCF_CO_GUEST_LOST, 0);
	feed(cov, abi, -1, 0x99, 0, 0, HCF_CO_RETURNED, 5);
	cov->rows[OP_SET].vec[13] = 1; /* the exception fed above is vector 0 */
	cov->rows[OP_SET].lost[HCF_LIVE_SHUTDOWN] = 1;
	return cov;
}

/* coverage.json says everything a matrix holds: read back it gives the same
 * text, and matrices of one spec add up. */
static void test_json_round_trip(void **state)
{
	(void)state;
	struct hcf_abi *abi = cov_abi();
	struct hcf_cov *cov = fed_matrix(abi);
	char *text = hcf_cov_to_text(cov, true);
	assert_non_null(text);
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "format")), HCF_COV_FORMAT);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), HCF_COV_VERSION);
	json_t *unreached = json_object_get(j, "unreached");
	assert_int_equal(json_array_size(json_object_get(unreached, "ops")), 2); /* nop, fail */
	assert_string_equal(json_string_value(json_array_get(json_object_get(unreached, "ops"), 0)), "nop");
	char err[256] = "";
	struct hcf_cov *back = hcf_cov_from_json_v(j, err, sizeof(err));
	if (!back)
		fail_msg("%s", err);
	assert_null(back->abi);
	char *again = hcf_cov_to_text(back, true);
	assert_string_equal(text, again);
	free(again);

	/* adding a matrix to itself doubles every count, the reach stays */
	struct hcf_cov_reach r0, r1;
	hcf_cov_reach(cov, &r0);
	assert_int_equal(hcf_cov_add_counts(back, cov), 0);
	hcf_cov_reach(back, &r1);
	assert_int_equal(r0.reached, r1.reached);
	assert_int_equal(r0.cells, r1.cells);
	assert_int_equal(back->rows[OP_SET].calls, 2 * cov->rows[OP_SET].calls);
	assert_int_equal(back->rows[OP_SET].in[0].n[HCF_VC_HINT], 2);
	assert_int_equal(back->rows[OP_SET].err[0].n, 2);
	assert_int_equal(back->rows[OP_SET].vec[13], 2);
	assert_int_equal(back->rows[OP_SET].lost[HCF_LIVE_SHUTDOWN], 2);
	assert_int_equal(back->programs, 2 * cov->programs);

	/* what the other lacks is skipped and counted */
	free(back->rows[OP_SET].op);
	back->rows[OP_SET].op = hcf_xstrdup("renamed");
	assert_int_equal(hcf_cov_add_counts(back, cov), 1);
	/* cleared, it is the shape alone */
	hcf_cov_clear(back);
	hcf_cov_reach(back, &r1);
	assert_int_equal(r1.reached, 0);
	assert_int_equal(r1.cells, r0.cells);
	hcf_cov_free(back);
	json_decref(j);
	free(text);
	hcf_cov_free(cov);
	hcf_spec_free(abi);
}

/* Anything that is not a matrix of this version is refused, saying where. */
static void test_json_refused(void **state)
{
	(void)state;
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "[]", "not a coverage matrix" },
		{ "{\"format\": \"other\", \"version\": 1, \"rows\": []}", "not a coverage matrix" },
		{ "{\"format\": \"hcfuzz-coverage\", \"version\": 2, \"rows\": []}", "version 2" },
		{ "{\"format\": \"hcfuzz-coverage\", \"version\": 1}", "\"rows\" is not an array" },
		{ "{\"format\": \"hcfuzz-coverage\", \"version\": 1, \"rows\": [{}]}", "rows[0]: not a row" },
		{ "{\"format\": \"hcfuzz-coverage\", \"version\": 1, \"rows\": [{\"op\": \"a\", "
		  "\"calls\": -1}]}", "rows[0].calls: not a count" },
		{ "{\"format\": \"hcfuzz-coverage\", \"version\": 1, \"rows\": [{\"op\": \"a\", "
		  "\"inputs\": [{\"name\": \"x\", \"classes\": {\"huge\": 1}}]}]}",
		  "rows[0].inputs[0].classes: unknown class \"huge\"" },
		{ "{\"format\": \"hcfuzz-coverage\", \"version\": 1, \"rows\": [{\"op\": \"a\", "
		  "\"outcomes\": {\"ok\": \"3\"}}]}", "rows[0].outcomes.ok: not a count" },
		{ "{\"format\": \"hcfuzz-coverage\", \"version\": 1, \"rows\": [{\"op\": \"a\", "
		  "\"exceptions\": [{\"vector\": 40, \"count\": 1}]}]}", "rows[0].exceptions[0]" },
		{ "{\"format\": \"hcfuzz-coverage\", \"version\": 1, \"rows\": [{\"op\": \"a\", "
		  "\"lost\": {\"melted\": 1}}]}", "rows[0].lost.melted: unknown way to end" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = json_loads(cases[i].text, 0, NULL);
		assert_non_null(j);
		char err[256] = "";
		struct hcf_cov *cov = hcf_cov_from_json_v(j, err, sizeof(err));
		if (cov)
			fail_msg("case %zu accepted", i);
		assert_contains(err, cases[i].why);
		json_decref(j);
	}
	char err[512];
	assert_null(hcf_cov_load_file("/nonexistent/coverage.json", err, sizeof(err)));
	assert_contains(err, "/nonexistent/coverage.json: No such file or directory");
	/* not JSON: where it stops */
	char path[] = "/tmp/hcf-covjson-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"format\": ", 12), 12);
	close(fd);
	assert_null(hcf_cov_load_file(path, err, sizeof(err)));
	assert_contains(err, path);
	assert_contains(err, ":1:");
	unlink(path);
}

/* The Markdown and the heat map mark what was not reached. */
static void test_rendering(void **state)
{
	(void)state;
	struct hcf_abi *abi = cov_abi();
	struct hcf_cov *cov = fed_matrix(abi);
	struct hcf_rbuf md = { 0 }, html = { 0 }, sum = { 0 };
	hcf_cov_render_md(cov, &md);
	hcf_cov_render_html(cov, &html);
	hcf_cov_render_md_summary(cov, &sum, "##");
	const char *m = hcf_rbuf_str(&md), *h = hcf_rbuf_str(&html), *s = hcf_rbuf_str(&sum);
	char reach[160], pct[32];
	hcf_cov_format_reach(cov, reach, sizeof(reach));
	snprintf(pct, sizeof(pct), "**%d%%** of the matrix", hcf_cov_percent(cov));
	assert_contains(m, "# Spec coverage: covtest");
	assert_contains(m, pct);
	assert_contains(m, "| `set` | `flags` (rbx, 32 bits) |");
	assert_contains(m, "- Calls never made (2): `nop`, `fail`.");
	assert_contains(m, "`-ENOSYS` ✗");          /* set's error never seen */
	assert_contains(m, "`#GP` 1");              /* a declared vector */
	assert_contains(m, "`#DE` 1 (undeclared)");
	assert_contains(m, "shutdown 1");
	assert_contains(s, "## Spec coverage");
	assert_contains(s, pct);
	assert_contains(s, "`nop`, `fail`");
	assert_contains(reach, "2 calls never made");
	/* the heat map: self-contained, the never-made calls and unreached cells marked */
	assert_contains(h, "<!DOCTYPE html>");
	assert_contains(h, "<th class=\"op never\" rowspan=\"1\" title=\"nop: never called\"><code>nop</code>");
	assert_contains(h, "class=\"u\" title=\"set flags sign-bit: none\">\u2717</td>");
	assert_contains(h, "title=\"set blob upper-garbage: does not apply\"");
	assert_null(strstr(h, "src=\""));
	assert_null(strstr(h, "href=\"http"));
	assert_null(strstr(h, "<script"));
	hcf_rbuf_free(&md);
	hcf_rbuf_free(&html);
	hcf_rbuf_free(&sum);
	hcf_cov_free(cov);
	hcf_spec_free(abi);
}

/* The requirement's test: the matrix of a plan that skips a call shows that
 * call unreached, and every other call reached (kvm.yaml, its plan with
 * KVM_HC_KICK_CPU skipped, every call answered -KVM_ENOSYS). */
static void test_skipped_call_unreached(void **state)
{
	(void)state;
	struct hcf_abi *abi = load_spec("kvm.yaml");
	static const char *const skip[] = { "KVM_HC_KICK_CPU" };
	struct hcf_plan_opts po = { .skip_ops = skip, .nskip_ops = 1 };
	struct hcf_test *t;
	size_t n;
	assert_int_equal(hcf_plan_build(abi, &po, &t, &n), 0);
	struct hcf_cov *cov = hcf_cov_new(abi, abi->path);
	for (size_t i = 0; i < n; i++) {
		struct hcf_prog_result r;
		memset(&r, 0, sizeof(r));
		assert_int_equal(hcf_result_init(&r, t[i].prog.ncalls), 0);
		r.ncalls = t[i].prog.ncalls;
		for (size_t k = 0; k < r.ncalls; k++) {
			hcf_call_result_init(&r.calls[k], t[i].prog.calls[k].gpr);
			r.calls[k].outcome = HCF_CO_RETURNED;
			r.calls[k].after[HCF_RAX] = (uint64_t)-1000;
		}
		hcf_cov_add(cov, &t[i].prog, &r);
		hcf_result_free(&r);
	}
	const struct hcf_op *kick = hcf_spec_op_by_name(abi, "KVM_HC_KICK_CPU");
	assert_non_null(kick);
	for (size_t i = 0; i < cov->nrows; i++) {
		bool skipped = !strcmp(cov->rows[i].op, "KVM_HC_KICK_CPU");
		if (skipped != (cov->rows[i].calls == 0))
			fail_msg("%s: %llu calls", cov->rows[i].op, (unsigned long long)cov->rows[i].calls);
	}
	json_t *j = hcf_cov_to_json_v(cov);
	json_t *ops = json_object_get(json_object_get(j, "unreached"), "ops");
	assert_int_equal(json_array_size(ops), 1);
	assert_string_equal(json_string_value(json_array_get(ops, 0)), "KVM_HC_KICK_CPU");
	json_decref(j);
	struct hcf_rbuf md = { 0 };
	hcf_cov_render_md(cov, &md);
	assert_contains(hcf_rbuf_str(&md), "- Calls never made (1): `KVM_HC_KICK_CPU`.");
	hcf_rbuf_free(&md);
	hcf_cov_free(cov);
	hcf_tests_free(t, n);
	hcf_spec_free(abi);
}

/* The coverage writers need the run's matrix: without one the report
 * directory does not open. */
static void test_writers_need_a_matrix(void **state)
{
	(void)state;
	char dir[] = "/tmp/hcf-cov-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct hcf_abi *abi = cov_abi();
	struct hcf_run_info ri = { .command = "conform", .abi = abi };
	const struct hcf_report_ops *w[] = { HCF_REPORT_COVERAGE_WRITERS };
	char err[256] = "";
	assert_null(hcf_report_dir_open(dir, w, 3, &ri, err, sizeof(err)));
	assert_contains(err, "coverage-json");
	ri.cov = hcf_cov_new(abi, NULL);
	struct hcf_report_dir *rd = hcf_report_dir_open(dir, w, 3, &ri, err, sizeof(err));
	assert_non_null(rd);
	/* the directory feeds the matrix test by test */
	struct hcf_test test;
	memset(&test, 0, sizeof(test));
	struct one o;
	one_call(&o, abi, OP_NOP, 0);
	one_result(&o, HCF_CO_RETURNED, 0);
	test.prog = o.p;
	struct hcf_test_outcome out = { .v = HCF_V_PASS, .res = &o.r };
	hcf_report_dir_test(rd, &test, &out);
	assert_int_equal(ri.cov->rows[OP_NOP].calls, 1);
	assert_int_equal(hcf_report_dir_commit(rd, NULL, err, sizeof(err)), 0);
	static const char *const files[] = { "coverage.json", "coverage.md", "coverage.html" };
	for (size_t i = 0; i < 3; i++) {
		char *p = hcf_xasprintf("%s/%s", dir, files[i]);
		FILE *f = fopen(p, "r");
		assert_non_null(f);
		fclose(f);
		unlink(p);
		free(p);
	}
	rmdir(dir);
	one_free(&o);
	hcf_cov_free(ri.cov);
	hcf_spec_free(abi);
}

/* ---- a campaign's matrix ------------------------------------------------------------ */

static char *read_text(const char *dir, const char *name)
{
	char *p = hcf_xasprintf("%s/%s", dir, name);
	size_t len;
	char *t = hcf_read_file(p, 16u << 20, &len);
	if (!t)
		fail_msg("cannot read %s", p);
	free(p);
	return t;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A process id that no process has any more. */
static long dead_pid(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return (long)pid;
}

static uint64_t programs_of(struct hcf_campaign_cov *cc)
{
	return hcf_campaign_cov_read(cc)->programs;
}

/* Fuzzing processes write their matrices into stats/; the campaign sums
 * them, reading an ended process's file once; the report shows the sum. A
 * real session on the model target (no VM needed). */
static void test_campaign_matrix(void **state)
{
	(void)state;
	char dir[] = "/tmp/hcf-covcamp-XXXXXX";
	assert_non_null(mkdtemp(dir));
	const char *src = getenv("HCF_SOURCE_DIR");
	char *spec = hcf_xasprintf("%s/specs/kvm.yaml", src ? src : ".");
	struct hcf_fuzz_session *s = NULL;
	struct hcf_fuzz_session_opts o = { .spec_path = spec, .dir = dir, .engine = "test",
					   .target = "model" };
	char err[512];
	if (hcf_fuzz_session_open(&s, &o, err, sizeof(err)) != 0)
		fail_msg("session: %s", err);
	uint8_t in[64];
	uint32_t slots[512];
	uint64_t x = 0x1234;
	for (int i = 0; i < 200; i++) {
		for (size_t k = 0; k < sizeof(in); k++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			in[k] = (uint8_t)(x >> 56);
		}
		assert_true(hcf_fuzz_session_exec(s, in, 8 + (size_t)(i % 56), slots, 512) != (size_t)-1);
	}
	hcf_fuzz_session_flush(s);
	char *mine = hcf_xasprintf("%s/%s/test-%ld%s", dir, HCF_CAMPAIGN_STATS_DIR, (long)getpid(),
				   HCF_CAMPAIGN_COV_SUFFIX);
	struct hcf_cov *own = hcf_cov_load_file(mine, err, sizeof(err));
	if (!own)
		fail_msg("%s", err);
	assert_int_equal(own->programs, 200);
	assert_true(hcf_cov_percent(own) > 0);
	hcf_cov_free(own);

	/* an ended process's file, read once */
	size_t len;
	char *cov_text = hcf_read_file(mine, 16u << 20, &len);
	assert_non_null(cov_text);
	char *ended = hcf_xasprintf("%s/%s/test-%ld%s", dir, HCF_CAMPAIGN_STATS_DIR, dead_pid(),
				    HCF_CAMPAIGN_COV_SUFFIX);
	write_text(ended, cov_text);
	struct hcf_abi *abi = load_spec("kvm.yaml");
	struct hcf_campaign_cov *cc = hcf_campaign_cov_new(abi, spec, dir);
	assert_int_equal(programs_of(cc), 400);
	assert_int_equal(programs_of(cc), 400); /* not counted twice */
	for (int i = 0; i < 50; i++)
		assert_true(hcf_fuzz_session_exec(s, in, 8 + (size_t)i, slots, 512) != (size_t)-1);
	hcf_fuzz_session_flush(s);
	assert_int_equal(programs_of(cc), 450); /* the live one read again */
	/* the ended one's bytes changed: a new process with its pid */
	usleep(2000);
	write_text(ended, cov_text);
	assert_int_equal(programs_of(cc), 650);
	assert_int_equal(programs_of(cc), 650);
	/* a file that is no matrix: skipped, once */
	char *junk = hcf_xasprintf("%s/%s/test-%ld%s", dir, HCF_CAMPAIGN_STATS_DIR, dead_pid(),
				   HCF_CAMPAIGN_COV_SUFFIX);
	write_text(junk, "{\"format\": \"something else\"}");
	assert_int_equal(programs_of(cc), 650);
	assert_int_equal(programs_of(cc), 650);
	assert_int_equal(hcf_campaign_cov_skipped(cc), 1);

	/* coverage.json, and the report that shows it */
	assert_int_equal(hcf_campaign_cov_save(cc), 0);
	struct hcf_campaign_report_opts ro = { .quiet = true, .generated = 1 };
	assert_int_equal(hcf_campaign_report(dir, &ro, err, sizeof(err)), 0);
	char *md = read_text(dir, HCF_CAMPAIGN_REPORT_MD);
	char *html = read_text(dir, HCF_CAMPAIGN_REPORT_HTML);
	char *cmd = read_text(dir, HCF_CAMPAIGN_COVERAGE_MD);
	char *chtml = read_text(dir, HCF_CAMPAIGN_COVERAGE_HTML);
	char pct[64];
	snprintf(pct, sizeof(pct), "**%d%%** of the matrix reached", hcf_cov_percent(hcf_campaign_cov_read(cc)));
	assert_contains(md, "## Spec coverage");
	assert_contains(md, pct);
	assert_contains(html, "<h2>Spec coverage</h2>");
	assert_contains(html, "href=\"coverage.html\"");
	assert_contains(cmd, "# Spec coverage: kvm");
	assert_contains(cmd, "650 programs");
	assert_contains(chtml, "<table class=\"heat\">");
	free(md);
	free(html);
	free(cmd);
	free(chtml);

	/* a damaged coverage.json: said, in the Notes and in coverage.md */
	char *cj = hcf_xasprintf("%s/%s", dir, HCF_CAMPAIGN_COVERAGE);
	write_text(cj, "{\"format\": \"hcfuzz-coverage\", \"version\": 1, \"rows\": [{\"op\": 5}]}");
	assert_int_equal(hcf_campaign_report(dir, &ro, err, sizeof(err)), 0);
	md = read_text(dir, HCF_CAMPAIGN_REPORT_MD);
	cmd = read_text(dir, HCF_CAMPAIGN_COVERAGE_MD);
	assert_contains(md, "No matrix: coverage.json could not be read");
	assert_contains(md, "coverage.json: rows\\[0\\]: not a row with an op name: skipped");
	assert_contains(cmd, "No matrix");
	free(md);
	free(cmd);
	/* none at all: a campaign from before the matrix */
	unlink(cj);
	assert_int_equal(hcf_campaign_report(dir, &ro, err, sizeof(err)), 0);
	md = read_text(dir, HCF_CAMPAIGN_REPORT_MD);
	assert_contains(md, "the campaign directory has no coverage.json");
	free(md);

	free(cj);
	free(junk);
	free(ended);
	free(cov_text);
	free(mine);
	hcf_campaign_cov_free(cc);
	hcf_spec_free(abi);
	hcf_fuzz_session_close(s);
	free(spec);
	char *rm = hcf_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_number_classes),
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_hints_apply),
		cmocka_unit_test(test_pointer_classes),
		cmocka_unit_test(test_plan_values_in_their_class),
		cmocka_unit_test(test_matrix_counts),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_refused),
		cmocka_unit_test(test_rendering),
		cmocka_unit_test(test_skipped_call_unreached),
		cmocka_unit_test(test_writers_need_a_matrix),
		cmocka_unit_test(test_campaign_matrix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
