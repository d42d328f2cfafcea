/* test_coverage.c: input value classes, return value classes, and the spec coverage matrix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prog/plan.h"
#include "prog/value_class.h"
#include "spec/spec.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_number_classes),
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_pointer_classes),
		cmocka_unit_test(test_plan_values_in_their_class),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
