/*
 * test_difference.c: what two results of one program differ in
 * (oracles/difference.h), on fabricated results: registers as kept or
 * changed, outputs and fields declared nondeterministic never compared
 * (fields wherever a pointer lays their struct), declared clobbers and a
 * transport's own left out, flags, exceptions, buffers named by
 * field, padding and guard, the verdict, the cap on kept differences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oracles/difference.h"
#include "prog/layout.h"
#include "prog/prog.h"
#include "util/x86.h"

static const char spec_text[] =
	"hcfuzz_spec: 1\n"
	"abi: difftest\n"
	"transport: [vmcall, syscall]\n"
	"call_number: {reg: rax}\n"
	"return: {reg: rax}\n"
	"error_convention: negative_errno\n"
	"structs:\n"
	"  st:\n"
	"    size: 24\n"
	"    fields:\n"
	"      a: {offset: 0, size: 8, dir: out}\n"
	"      when: {offset: 8, size: 8, dir: out, nondeterministic: any}\n"
	"      b: {offset: 16, size: 4, dir: out}\n"
	"calls:\n"
	"  - name: get\n"
	"    nr: 1\n"
	"    input: {x: rbx}\n"
	"    output: {y: rcx, t: {reg: rdx, nondeterministic: any}}\n"
	"    clobbers: [r8]\n"
	"  - name: put\n"
	"    nr: 2\n"
	"    input: {p: {reg: rbx, pointer: st}}\n";

struct fx {
	struct hcf_abi *abi, *abi_sys;
	struct hcf_prog p;
	struct hcf_prog_result a, b;
};

static struct hcf_abi *load(const char *transport)
{
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load_buffer("difftest.yaml", spec_text, strlen(spec_text), &abi, &d) != 0)
		hcf_diags_print(&d, stderr);
	assert_non_null(abi);
	char err[128];
	if (transport)
		assert_int_equal(hcf_spec_use_transport(abi, transport, err, sizeof(err)), 0);
	return abi;
}

/* Both results: every call returned with every register as loaded. */
static void results_init(struct fx *f)
{
	for (int s = 0; s < 2; s++) {
		struct hcf_prog_result *r = s ? &f->b : &f->a;
		assert_int_equal(hcf_result_init(r, f->p.ncalls), 0);
		for (size_t i = 0; i < f->p.ncalls; i++) {
			uint64_t before[HCF_NGPR];
			for (unsigned k = 0; k < HCF_NGPR; k++)
				before[k] = hcf_sentinel(k, i) + (s ? 0x1000 : 0); /* layouts differ */
			hcf_call_result_init(&r->calls[i], before);
			r->calls[i].outcome = HCF_CO_RETURNED;
			r->calls[i].rflags_before = r->calls[i].rflags_after = 0x2;
		}
		for (size_t k = 0; k < f->p.nbufs; k++) {
			uint32_t size = f->p.bufs[k].size;
			uint8_t *bytes = hcf_result_buf_storage(r, k, size, 0x200000);
			memset(bytes, 0xcc, size + 2u * HCF_BUF_GUARD);
			r->bufs[k].valid = true;
			r->nbufs = k + 1;
		}
	}
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->abi = load(NULL);
	f->abi_sys = load("syscall");
	hcf_prog_init(&f->p, f->abi);
	struct hcf_diags d;
	hcf_diags_init(&d);
	static const char prog[] = "buf s struct=st\n"
				   "call get x=1\n"
				   "call put p=&s\n"
				   "call put p=&s+16\n";
	assert_int_equal(hcf_prog_parse(&f->p, f->abi, "t.hcf", prog, strlen(prog), &d), 0);
	results_init(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	hcf_result_free(&f->a);
	hcf_result_free(&f->b);
	hcf_prog_free(&f->p);
	hcf_spec_free(f->abi);
	hcf_spec_free(f->abi_sys);
	free(f);
	return 0;
}

static size_t differ(struct fx *f, struct hcf_differences *d)
{
	struct hcf_diff_side a = { .res = &f->a }, b = { .res = &f->b };
	return hcf_differ(&f->p, &a, &b, d);
}

static void test_kept_everywhere_is_the_same(void **state)
{
	struct fx *f = *state;
	struct hcf_differences d;
	/* every register kept on both sides, though each loaded other values */
	assert_int_equal(differ(f, &d), 0);
}

static void test_register_changed_on_one_side(void **state)
{
	struct fx *f = *state;
	f->b.calls[0].after[HCF_RCX] = 7;
	struct hcf_differences d;
	assert_int_equal(differ(f, &d), 1);
	assert_int_equal(d.d[0].call, 0);
	assert_int_equal(d.d[0].loc.kind, HCF_LOC_REG);
	assert_int_equal(d.d[0].loc.reg, HCF_RCX);
	assert_true(d.d[0].has_values);
	assert_int_equal(d.d[0].now_v, 7);
	assert_non_null(strstr(d.d[0].was, "kept"));
	char key[160], line[256];
	assert_string_equal(hcf_difference_key(&f->p, &d.d[0], key, sizeof(key)), "get/reg/rcx");
	hcf_difference_format(&f->p, &d.d[0], "old", "new", line, sizeof(line));
	assert_non_null(strstr(line, "call 0 (get) rcx: old kept"));
	assert_non_null(strstr(line, "new 0x7"));
	/* the same value on both sides: the same */
	f->a.calls[0].after[HCF_RCX] = 7;
	assert_int_equal(differ(f, &d), 0);
}

static void test_nondeterministic_output_ignored(void **state)
{
	struct fx *f = *state;
	f->a.calls[0].after[HCF_RDX] = 1;
	f->b.calls[0].after[HCF_RDX] = 2;
	struct hcf_differences d;
	assert_int_equal(differ(f, &d), 0);
}

static void test_declared_clobber_ignored(void **state)
{
	struct fx *f = *state;
	f->b.calls[0].after[HCF_R8] = 1; /* get clobbers r8: garbage by contract */
	struct hcf_differences d;
	assert_int_equal(differ(f, &d), 0);
	f->b.calls[1].after[HCF_R8] = 1; /* put does not */
	assert_int_equal(differ(f, &d), 1);
}

static void test_transport_clobbers_ignored(void **state)
{
	struct fx *f = *state;
	f->b.calls[0].after[HCF_R11] = 0x246; /* syscall's: RFLAGS into r11 */
	struct hcf_differences d;
	assert_int_equal(differ(f, &d), 1); /* vmcall on both sides: compared */
	struct hcf_diff_side a = { .res = &f->a }, b = { .res = &f->b, .abi = f->abi_sys };
	assert_int_equal(hcf_differ(&f->p, &a, &b, &d), 0);
}

static void test_flags_and_exceptions(void **state)
{
	struct fx *f = *state;
	f->b.calls[1].rflags_after |= HCF_X86_RFLAGS_CF;
	struct hcf_differences d;
	assert_int_equal(differ(f, &d), 1);
	assert_int_equal(d.d[0].loc.kind, HCF_LOC_FLAG);
	assert_string_equal(d.d[0].now, "set");
	/* a flag the other target does not capture is not compared */
	struct hcf_diff_side a = { .res = &f->a },
			     b = { .res = &f->b, .rflags_captured = ~HCF_X86_RFLAGS_CF };
	assert_int_equal(hcf_differ(&f->p, &a, &b, &d), 0);
	f->b.calls[1].rflags_after = f->b.calls[1].rflags_before;

	f->a.calls[0].outcome = f->b.calls[0].outcome = HCF_CO_EXCEPTION;
	f->a.calls[0].vector = f->b.calls[0].vector = 13;
	f->b.calls[0].error_code = 0x18;
	assert_int_equal(differ(f, &d), 1);
	assert_int_equal(d.d[0].loc.kind, HCF_LOC_EXCEPTION);
	assert_non_null(strstr(d.d[0].now, "0x18"));
	f->b.calls[0].vector = 6;
	assert_int_equal(differ(f, &d), 1);
	assert_non_null(strstr(d.d[0].was, "#GP"));
	assert_non_null(strstr(d.d[0].now, "#UD"));
	f->b.calls[0].outcome = HCF_CO_RETURNED;
	assert_int_equal(differ(f, &d), 1);
	assert_int_equal(d.d[0].loc.kind, HCF_LOC_OUTCOME);
}

static void test_buffer_places(void **state)
{
	struct fx *f = *state;
	uint8_t *x = f->b.bufs[0].bytes + HCF_BUF_GUARD;
	x[2] = 0x11;   /* st.a */
	x[9] = 0x22;   /* st.when: nondeterministic */
	x[21] = 0x33;  /* padding after b */
	x[-1] = 0x44;  /* guard below */
	struct hcf_differences d;
	assert_int_equal(differ(f, &d), 3);
	assert_int_equal(d.d[0].loc.kind, HCF_LOC_GUARD_BELOW);
	assert_int_equal(d.d[1].loc.kind, HCF_LOC_FIELD);
	assert_string_equal(d.d[1].loc.name, "st.a");
	assert_int_equal(d.d[1].loc.off, 2);
	assert_string_equal(d.d[1].now, "0xcccccccccc11cccc");
	assert_int_equal(d.d[2].loc.kind, HCF_LOC_PADDING);
	assert_int_equal(d.d[2].loc.off, 21);
	char key[160];
	assert_string_equal(hcf_difference_key(&f->p, &d.d[1], key, sizeof(key)), "program/field/st.a");
}

static void test_nondet_field_where_the_pointer_lays_it(void **state)
{
	struct fx *f = *state;
	/* the third call lays st at byte 16: its `when` covers bytes 24..31,
	 * past the buffer's 24 bytes, in the guard above */
	uint8_t *x = f->b.bufs[0].bytes + HCF_BUF_GUARD;
	x[26] = 0x55;
	struct hcf_differences d;
	assert_int_equal(differ(f, &d), 0);
	x[40] = 0x66; /* past that struct: the guard's own */
	assert_int_equal(differ(f, &d), 1);
	assert_int_equal(d.d[0].loc.kind, HCF_LOC_GUARD_ABOVE);
	assert_int_equal(d.d[0].loc.nbytes, 1);
}

static void test_verdict_liveness_and_cap(void **state)
{
	struct fx *f = *state;
	struct hcf_diff_side a = { .res = &f->a, .has_verdict = true, .verdict = HCF_V_PASS },
			     b = { .res = &f->b, .has_verdict = true, .verdict = HCF_V_FAIL };
	struct hcf_differences d;
	assert_int_equal(hcf_differ(&f->p, &a, &b, &d), 1);
	assert_string_equal(d.d[0].where, "verdict");
	f->b.liveness = HCF_LIVE_SHUTDOWN;
	b.verdict = HCF_V_PASS;
	assert_int_equal(hcf_differ(&f->p, &a, &b, &d), 1);
	assert_int_equal(d.d[0].loc.kind, HCF_LOC_PROGRAM);
	/* more than are kept: all counted */
	for (unsigned r = 0; r < HCF_NGPR; r++)
		f->b.calls[0].after[r] ^= 0x100;
	hcf_differ(&f->p, &a, &b, &d);
	assert_int_equal(d.n, HCF_DIFF_KEEP);
	assert_true(d.found > HCF_DIFF_KEEP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kept_everywhere_is_the_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_changed_on_one_side, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nondeterministic_output_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_declared_clobber_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transport_clobbers_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags_and_exceptions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_places, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nondet_field_where_the_pointer_lays_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_verdict_liveness_and_cap, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
