/*
 * test_learn.c: hcfuzz learn's pieces that need no VM (learn/learn.h): the
 * number ranges, the probing ABI, and drafts of fabricated observations,
 * each of which must load back as a spec and say what was observed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "learn/learn.h"
#include "model_run.h"
#include "target/result.h"
#include "util/liveness.h"

static void test_ranges(void **state)
{
	static const struct {
		const char *s;
		size_t n;                 /* ranges, 0: refused */
		uint64_t lo0, hi0, hi_last;
	} rows[] = {
		{ "0x0-0x2000", 1, 0, 0x2000, 0x2000 },
		{ "5", 1, 5, 5, 5 },
		{ "0-3,0x40000000-0x400000ff", 2, 0, 3, 0x400000ff },
		{ "7-3", 0, 0, 0, 0 },     /* ends before it starts */
		{ "", 0, 0, 0, 0 },
		{ "0x10-", 0, 0, 0, 0 },
		{ "abc", 0, 0, 0, 0 },
		{ "1,,2", 0, 0, 0, 0 },
		{ "1;2", 0, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct hcf_learn_opts o;
		char err[160] = "";
		memset(&o, 0, sizeof(o));
		int rc = hcf_learn_parse_ranges(rows[i].s, &o, err, sizeof(err));
		if (!rows[i].n) {
			if (rc == 0)
				fail_msg("'%s' accepted", rows[i].s);
			assert_true(err[0] != '\0');
			continue;
		}
		if (rc != 0)
			fail_msg("'%s' refused: %s", rows[i].s, err);
		assert_int_equal(o.nranges, rows[i].n);
		assert_int_equal(o.ranges[0].lo, rows[i].lo0);
		assert_int_equal(o.ranges[0].hi, rows[i].hi0);
		assert_int_equal(o.ranges[o.nranges - 1].hi, rows[i].hi_last);
	}
}

/* The probing ABI loads for a register transport and for port I/O, and
 * every number of it counts as destructive (the target restores after
 * each probe). */
static void test_seed(void **state)
{
	char *s = hcf_learn_seed_spec("\"int 0x1b\"", "rax");
	struct hcf_abi *abi = mr_load_text("seed int", s);
	assert_true(abi->undeclared_destructive);
	assert_true(abi->ops[0].destructive);
	hcf_spec_free(abi);
	free(s);
	s = hcf_learn_seed_spec("{kind: pio, port: 0x500, width: 4}", NULL);
	abi = mr_load_text("seed pio", s);
	hcf_spec_free(abi);
	free(s);
}

/* The probing ABI of a transport (number in rax), and an empty record of
 * what probing it learned, for a test to fill in. */
static struct hcf_abi *seeded(const char *transport, struct hcf_learned *L)
{
	char *s = hcf_learn_seed_spec(transport, "rax");
	struct hcf_abi *pa = mr_load_text("seed", s);
	free(s);
	memset(L, 0, sizeof(*L));
	return pa;
}

/* A draft of observations, written and loaded back. */
static char *draft(const struct hcf_learned *L, const struct hcf_abi *pa, const struct hcf_abi *base)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(hcf_learn_write_draft(f, L, pa, NULL, base), 0);
	fclose(f);
	if (getenv("HCF_TEST_VERBOSE"))
		fputs(text, stderr);
	struct hcf_abi *back = mr_load_text("draft", text);
	hcf_spec_free(back);
	return text;
}

/* An ABI like PVM's: unknown numbers -38 in rax; a call with a 32-bit
 * input, a pointer it writes 8 bytes through and a garbage register; one
 * that keeps rax; one written below its pointer, in the pointer's page;
 * one that raises #GP and loses the guest (a shutdown: destructive; a hang:
 * a comment only). Every draft loads; each fact is where it belongs. */
static void test_draft(void **state)
{
	struct hcf_learned L;
	struct hcf_abi *pa = seeded("\"int 0x1b\"", &L);
	snprintf(L.target, sizeof(L.target), "kvm");
	snprintf(L.hypervisor, sizeof(L.hypervisor), "test");
	L.nr_reg = HCF_RAX;
	L.ret_reg = HCF_RAX;
	L.probed = 100;
	L.def_count = 96;
	L.def.outcome = HCF_CO_RETURNED;
	L.def.changed = 1u << HCF_RAX;
	L.def.after[HCF_RAX] = (uint64_t)-38;
	struct hcf_learn_call calls[4];
	memset(calls, 0, sizeof(calls));
	L.calls_found = calls;
	L.ncalls_found = 4;

	struct hcf_learn_call *c = &calls[0];
	c->nr = 0x1000;
	c->complete = true;
	c->scan.outcome = HCF_CO_RETURNED;
	c->returned = c->probes = 100;
	c->changed_any = (1u << HCF_RAX) | (1u << HCF_RDX) | (1u << HCF_RSI);
	c->changed_count[HCF_RSI] = 100;
	c->nondet = 1u << HCF_RDX;
	c->values[0] = (struct hcf_learn_value){ 0, 90 };
	c->values[1] = (struct hcf_learn_value){ (uint64_t)-22, 10 };
	c->nvalues = 2;
	c->regs[HCF_RCX] = (struct hcf_learn_reg){ .tried = 48, .differed = 20, .high_tried = 4,
						   .high_alike = 4 };
	c->regs[HCF_RBX] = (struct hcf_learn_reg){ .pointed = 3, .wrote = true, .write_lo = 0,
						   .write_hi = 8, .write_count = 3 };

	c = &calls[1];
	c->nr = 0x1001;
	c->complete = true;
	c->scan.outcome = HCF_CO_RETURNED;
	c->returned = c->probes = c->ret_kept = 50;

	c = &calls[2];
	c->nr = 0x1002;
	c->complete = true;
	c->scan.outcome = HCF_CO_RETURNED;
	c->returned = c->probes = 10;
	c->values[0] = (struct hcf_learn_value){ 0, 10 };
	c->nvalues = 1;
	c->regs[HCF_RBX] = (struct hcf_learn_reg){ .pointed = 3, .wrote = true, .write_lo = -2047,
						   .write_hi = -2046, .write_count = 3,
						   .page_known = true, .page_lo = 1, .page_hi = 2 };

	c = &calls[3];
	c->nr = 0x1003;
	c->scan.outcome = HCF_CO_EXCEPTION;
	c->scan.vector = 13;
	c->probes = 20;
	c->exc[13] = (struct hcf_learn_example){ .seen = true, .reg = HCF_NGPR, .count = 10 };
	c->lost[HCF_LIVE_SHUTDOWN] = (struct hcf_learn_example){ .seen = true, .reg = HCF_RBX,
								 .value = 0x1000, .count = 5,
								 .base = HCF_LEARN_ZEROS };
	c->lost[HCF_LIVE_HANG] = (struct hcf_learn_example){ .seen = true, .reg = HCF_RBX,
							     .value = 7, .count = 1 };
	c->regs[HCF_RDX] = (struct hcf_learn_reg){ .pair_tried = 20, .pair_differed = 15,
						   .pair_reg = HCF_RBX, .pair_with = 1,
						   .pair_example = 0 };
	/* lost at the address rdx held, at several addresses: a hand-over */
	c->lost_with_rip = 6;
	c->lost_at_reg[HCF_RDX] = 4;
	c->lost_at_two[HCF_RDX] = true;

	char *text = draft(&L, pa, NULL);
	static const char *const want[] = {
		"transport: \"int 0x1b\"\n",
		"return: {reg: rax}",
		"error_convention: negative_errno",
		"  returns: [-38]\n",
		"      a_rcx: {reg: rcx, width: 32}\n",
		"      a_rbx: {reg: rbx, pointer: learned_1000_rbx}\n",
		"      written: {offset: 0, size: 8, dir: out}\n",
		"      r_rsi: {reg: rsi}",
		"    clobbers: [rdx]",
		"    returns: [0x0]\n    errors: [22]\n",
		"    return: none",
		"    align_down: 4096\n",
		"      written: {offset: 1, size: 1, dir: out}\n",
		"    exceptions: [GP]\n",
		("destructive: {why: \"learned: the guest was lost in or after it\", ends: [shutdown], "
		 "hands_over: {how: \"resumes the guest at rip = rdx (learned)\", rip: a_rdx}}"),
		"rbx = 0x1000, every other register 0",
		"(hang is always a verdict: no spec declares it)",
		"      a_rdx: {reg: rdx}\n",
		"(e.g. 0x0 with rbx = 0x1)",
		"the budget ran out before every probe of it ran",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(text, want[i]))
			fail_msg("the draft lacks '%s':\n%s", want[i], text);
	/* no width claim for a register that mattered only beside another */
	assert_null(strstr(text, "a_rdx: {reg: rdx, width"));
	free(text);

	/* against a base: a number it lacks, one it has that answered like
	 * an unknown one, an input it misses, a value it does not allow */
	struct hcf_abi *base = mr_load_text("base",
		"hcfuzz_spec: 1\nabi: base\ntransport: \"int 0x1b\"\ncall_number: {reg: rax}\n"
		"return: {reg: rax}\nerror_convention: negative_errno\n"
		"undeclared: {returns: [-38]}\n"
		"calls:\n"
		"  - {name: first, nr: 0x1000, input: {p: rbx}, output: {o: rsi}, returns: [0], "
		"errors: [14]}\n"
		"  - {name: silent, nr: 0x1004, returns: [0]}\n");
	L.nranges = 1;
	L.ranges[0] = (struct hcf_learn_range){ 0x1000, 0x1010 };
	L.ranges_done = true;
	char line[4096];
	FILE *f = fmemopen(line, sizeof(line), "w");
	size_t n = hcf_learn_compare(f, "", &L, base);
	fclose(f);
	static const char *const diffs[] = {
		"new number 0x1001",
		"first (0x1000): rcx changes its answer, the spec has no input there",
		"first (0x1000): rdx changed, which the spec neither outputs nor lets it clobber",
		"first (0x1000): returned -22 in 10 probes, which the spec does not allow",
		"silent (0x1004): declared, but it answers like an unknown number",
	};
	for (size_t i = 0; i < sizeof(diffs) / sizeof(diffs[0]); i++)
		if (!strstr(line, diffs[i]))
			fail_msg("the comparison lacks '%s':\n%s", diffs[i], line);
	assert_true(n >= sizeof(diffs) / sizeof(diffs[0]));
	/* a scan the budget stopped at 0x1002 never reached 0x1004: nothing
	 * is said of it */
	L.ranges_done = false;
	L.range_reached = 0;
	L.range_last = 0x1002;
	f = fmemopen(line, sizeof(line), "w");
	hcf_learn_compare(f, "", &L, base);
	fclose(f);
	assert_null(strstr(line, "silent (0x1004)"));
	hcf_spec_free(base);
	hcf_spec_free(pa);
}

/* A spec whose result register is 32 bits wide reads 0xffffffff as -1:
 * QEMU's VMware backdoor answers unknown commands so, as its spec says. */
static void test_compare_width(void **state)
{
	struct hcf_abi *base = mr_load_text("base32",
		"hcfuzz_spec: 1\nabi: b\ntransport: vmcall\ncall_number: {reg: rax}\n"
		"return: {reg: eax}\nundeclared: {returns: [-1]}\n"
		"calls:\n  - {name: one, nr: 1, returns: [0]}\n");
	struct hcf_learned L;
	memset(&L, 0, sizeof(L));
	L.ret_reg = HCF_RAX;
	L.def.outcome = HCF_CO_RETURNED;
	L.def.changed = 1u << HCF_RAX;
	L.def.after[HCF_RAX] = 0xffffffffull;
	char line[1024] = "";
	FILE *f = fmemopen(line, sizeof(line), "w");
	size_t n = hcf_learn_compare(f, "", &L, base);
	fclose(f);
	if (n)
		fail_msg("%s", line);
	/* 0xfffffffe is another value, at any width */
	L.def.after[HCF_RAX] = 0xfffffffeull;
	f = fmemopen(line, sizeof(line), "w");
	n = hcf_learn_compare(f, "", &L, base);
	fclose(f);
	assert_int_equal(n, 1);
	assert_non_null(strstr(line, "which the spec's undeclared: does not allow"));
	hcf_spec_free(base);
}

/* Unknown numbers that end the guest (a Solo5 tender exits on them): the
 * draft's undeclared: says so, and a call that came back is a call. */
static void test_default_loss(void **state)
{
	struct hcf_learned L;
	struct hcf_abi *pa = seeded("vmcall", &L);
	L.nr_reg = HCF_RAX;
	L.ret_reg = HCF_REG_NONE;
	L.probed = 17;
	L.def_count = 11;
	L.def.outcome = HCF_CO_GUEST_LOST;
	L.def.lost = HCF_LIVE_REFUSED;
	struct hcf_learn_call c;
	memset(&c, 0, sizeof(c));
	c.nr = 1;
	c.complete = true;
	c.scan.outcome = HCF_CO_RETURNED;
	c.returned = c.probes = 5;
	L.calls_found = &c;
	L.ncalls_found = 1;
	char *text = draft(&L, pa, NULL);
	if (!strstr(text, "  ends: {by: refused}\n") || !strstr(text, "return: none"))
		fail_msg("%s", text);
	free(text);
	hcf_spec_free(pa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_draft),
		cmocka_unit_test(test_compare_width),
		cmocka_unit_test(test_default_loss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
