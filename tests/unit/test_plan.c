/* test_plan.c: the conformance plan: expected tests for a small ABI, determinism, unique ids,
 * narrow-input garbage, pointer inputs, undeclared numbers per transport, text round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi_build.h"

#include "prog/plan.h"



/*
 * The small ABI whose plan is counted by hand in test_expected_count:
 *   nop   nr 1  no inputs
 *   kick  nr 5  flags (rbx, 64-bit, hints 7 and -1..2), apic_id (rcx, 32-bit), out (rdx, OUT)
 *   put   nr 8  req (rsi, pointer to struct req: next -> leaf, data -> bytes of length len)
 *   boom  nr 9  code (rbx, 8-bit), destructive
 */
static struct hcf_abi *small_abi(void)
{
	struct hcf_abi *abi = abi_new("small", HCF_XPORT_NATIVE, HCF_RAX, 64, 0, HCF_REG_NONE);
	int req = abi_struct(abi, "req", 24);
	int leaf = abi_struct(abi, "leaf", 8);
	abi_field(abi, req, "next", 0, 8, HCF_DIR_IN, leaf, -1);
	abi_field(abi, req, "data", 8, 8, HCF_DIR_IN, -1, 2);
	abi_field(abi, req, "len", 16, 8, HCF_DIR_IN, -1, -1);
	abi_field(abi, leaf, "v", 0, 8, HCF_DIR_OUT, -1, -1);
	abi_op(abi, "nop", NULL, 1, 0);
	int kick = abi_op(abi, "kick", NULL, 5, 0);
	abi_arg(abi, kick, "flags", HCF_RBX, 64, HCF_DIR_IN, -1);
	abi_hint(abi, kick, 0, 7, 7);
	abi_hint(abi, kick, 0, -1, 2); /* -1 repeats all-ones: dropped */
	abi_arg(abi, kick, "apic_id", HCF_RCX, 32, HCF_DIR_IN, -1);
	abi_arg(abi, kick, "out", HCF_RDX, 64, HCF_DIR_OUT, -1);
	int put = abi_op(abi, "put", NULL, 8, 0);
	abi_arg(abi, put, "req", HCF_RSI, 64, HCF_DIR_IN, req);
	int boom = abi_op(abi, "boom", NULL, 9, 0);
	abi_arg(abi, boom, "code", HCF_RBX, 8, HCF_DIR_IN, -1);
	abi->ops[boom].destructive = true;
	return abi;
}

static const struct hcf_test *find_test(const struct hcf_test *t, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].id, id))
			return &t[i];
	return NULL;
}

static const struct hcf_test *must_find(const struct hcf_test *t, size_t n, const char *id)
{
	const struct hcf_test *x = find_test(t, n, id);
	if (!x)
		fail_msg("no test %s", id);
	return x;
}

static void check_ids_unique(const struct hcf_test *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_true(strlen(t[i].id) > 0 && strlen(t[i].id) < sizeof(t[i].id));
		for (size_t j = i + 1; j < n; j++)
			if (!strcmp(t[i].id, t[j].id))
				fail_msg("duplicate id %s", t[i].id);
	}
}

/* Every test is one valid call that survives the text format. */
static void check_programs(const struct hcf_test *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct hcf_prog *p = &t[i].prog;
		assert_int_equal(p->ncalls, 1);
		assert_int_equal(hcf_prog_validate(p, NULL, 0), 0);
		char *text = hcf_prog_to_text(p);
		assert_non_null(text);
		struct hcf_prog q;
		struct hcf_diags d;
		hcf_diags_init(&d);
		assert_int_equal(hcf_prog_parse(&q, p->abi, t[i].id, text, strlen(text), &d), 0);
		if (!hcf_prog_equal(p, &q))
			fail_msg("%s does not round-trip:\n%s", t[i].id, text);
		hcf_prog_free(&q);
		free(text);
	}
}

static void test_expected_count(void **state)
{
	(void)state;
	struct hcf_abi *abi = small_abi();
	struct hcf_test *t;
	size_t n;
	assert_int_equal(hcf_plan_build(abi, NULL, &t, &n), 0);
	/*
	 * nop 1; kick 1 + flags (5 + hint-0, hint-2 + 3 random) + apic_id (6 + 3 random) = 20;
	 * put 1 + null, one, all-ones, sign-bit, max, 3 random, past-ram, last-byte = 11
	 * (non-canonical is the 64-bit sign bit); boom 1 + 6 + 3 random = 10;
	 * undeclared: neighbours 0 2 4 6 7 10, far 0x7fffffff 0x80000000 0xffffffff
	 * 0x100000000 0x7fffffffffffffff 0xffffffffffffffff = 12.
	 */
	if (n != 54)
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%s\n", t[i].id);
	assert_int_equal(n, 54);
	static const char *const ids[] = {
		"nop/baseline", "kick/baseline", "kick/flags=zero", "kick/flags=one",
		"kick/flags=all-ones", "kick/flags=sign-bit", "kick/flags=max", "kick/flags=hint-0",
		"kick/flags=hint-2", "kick/flags=random-0", "kick/flags=random-2",
		"kick/apic_id=upper-garbage", "put/baseline", "put/req=null", "put/req=past-ram",
		"put/req=last-byte", "boom/code=upper-garbage", "undeclared/nr=0x0",
		"undeclared/nr=0x2", "undeclared/nr=0xa", "undeclared/nr=0x80000000",
		"undeclared/nr=0xffffffffffffffff",
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		must_find(t, n, ids[i]);
	assert_null(find_test(t, n, "kick/flags=upper-garbage"));
	assert_null(find_test(t, n, "kick/flags=hint-1"));
	assert_null(find_test(t, n, "kick/out=zero"));
	assert_null(find_test(t, n, "put/req=zero"));
	assert_null(find_test(t, n, "put/req=non-canonical"));
	assert_null(find_test(t, n, "undeclared/nr=0x8"));
	check_ids_unique(t, n);
	check_programs(t, n);

	/* groups, order, descriptions */
	assert_string_equal(t[0].id, "nop/baseline");
	assert_string_equal(t[0].group, "nop");
	const struct hcf_test *x = must_find(t, n, "kick/apic_id=all-ones");
	assert_string_equal(x->group, "kick");
	assert_string_equal(x->desc, "rcx (apic_id, 32-bit) = 0xffffffff");
	x = must_find(t, n, "undeclared/nr=0x6");
	assert_string_equal(x->group, "undeclared");
	assert_non_null(strstr(x->desc, "kick"));
	hcf_tests_free(t, n);

	struct hcf_plan_opts o = { .no_destructive = true };
	assert_int_equal(hcf_plan_build(abi, &o, &t, &n), 0);
	assert_int_equal(n, 44);
	assert_null(find_test(t, n, "boom/baseline"));
	hcf_tests_free(t, n);
	o = (struct hcf_plan_opts){ .no_undeclared = true, .randoms = 1 };
	assert_int_equal(hcf_plan_build(abi, &o, &t, &n), 0);
	assert_int_equal(n, 54 - 12 - 4 * 2);
	assert_null(find_test(t, n, "kick/flags=random-1"));
	hcf_tests_free(t, n);
	o = (struct hcf_plan_opts){ .randoms = 0, .randoms_given = true };
	assert_int_equal(hcf_plan_build(abi, &o, &t, &n), 0);
	assert_int_equal(n, 54 - 4 * 3);
	hcf_tests_free(t, n);
	o = (struct hcf_plan_opts){ .randoms = 1000 };
	assert_int_equal(hcf_plan_build(abi, &o, &t, &n), 0);
	must_find(t, n, "kick/apic_id=random-63");
	assert_null(find_test(t, n, "kick/apic_id=random-64"));
	hcf_tests_free(t, n);

	assert_int_equal(hcf_plan_build(NULL, NULL, &t, &n), -1);
	hcf_tests_free(NULL, 0);
	hcf_spec_free(abi);
}

/* --skip: ops named exactly or by a pattern have no tests; the rest do. */
static void test_skip_ops(void **state)
{
	(void)state;
	struct hcf_abi *abi = small_abi();
	static const char *const skip[] = { "kick", "b*" };
	struct hcf_plan_opts o = { .skip_ops = skip, .nskip_ops = 2, .no_undeclared = true };
	struct hcf_test *t;
	size_t n;
	assert_int_equal(hcf_plan_build(abi, &o, &t, &n), 0);
	assert_null(find_test(t, n, "kick/baseline"));
	assert_null(find_test(t, n, "boom/baseline"));
	must_find(t, n, "nop/baseline");
	must_find(t, n, "put/baseline");
	assert_int_equal(n, 1 + 11); /* nop and put, as test_expected_count counts them */
	hcf_tests_free(t, n);
	hcf_spec_free(abi);
}

static void test_baseline_and_values(void **state)
{
	(void)state;
	struct hcf_abi *abi = small_abi();
	struct hcf_test *t;
	size_t n;
	assert_int_equal(hcf_plan_build(abi, NULL, &t, &n), 0);

	/* every input zero, outputs left to their sentinels */
	const struct hcf_pcall *c = &must_find(t, n, "kick/baseline")->prog.calls[0];
	assert_int_equal(c->op, 1);
	assert_int_equal(c->gpr[HCF_RAX], 5);
	assert_int_equal(c->set, HCF_REGBIT(HCF_RAX) | HCF_REGBIT(HCF_RBX) | HCF_REGBIT(HCF_RCX));
	assert_int_equal(c->gpr[HCF_RBX], 0);
	assert_int_equal(c->gpr[HCF_RCX], 0);
	assert_int_equal(c->gpr[HCF_RDX], hcf_sentinel(HCF_RDX, 0));

	/* one input changed, the others at baseline; the whole register written */
	static const struct {
		const char *id;
		unsigned reg;
		uint64_t v;
	} vals[] = {
		{ "kick/flags=one", HCF_RBX, 1 },
		{ "kick/flags=all-ones", HCF_RBX, ~0ull },
		{ "kick/flags=sign-bit", HCF_RBX, 1ull << 63 },
		{ "kick/flags=max", HCF_RBX, INT64_MAX },
		{ "kick/flags=hint-0", HCF_RBX, 7 },
		{ "kick/flags=hint-2", HCF_RBX, 2 },
		{ "kick/apic_id=all-ones", HCF_RCX, 0xffffffffull },
		{ "kick/apic_id=sign-bit", HCF_RCX, 0x80000000ull },
		{ "kick/apic_id=max", HCF_RCX, 0x7fffffffull },
		{ "kick/apic_id=upper-garbage", HCF_RCX, 0xdeadbeef00000001ull },
		{ "boom/code=all-ones", HCF_RBX, 0xff },
		{ "boom/code=upper-garbage", HCF_RBX, 0xdeadbeefdeadbe01ull },
		{ "put/req=null", HCF_RSI, 0 },
		{ "put/req=past-ram", HCF_RSI, HCF_GUEST_MEM_SIZE + 0x1000 },
	};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		c = &must_find(t, n, vals[i].id)->prog.calls[0];
		assert_int_equal(c->gpr[vals[i].reg], vals[i].v);
		assert_int_equal(c->ref[vals[i].reg].buf, -1);
		assert_true(c->set & HCF_REGBIT(vals[i].reg));
		if (!strncmp(vals[i].id, "kick/flags", 10))
			assert_int_equal(c->gpr[HCF_RCX], 0);
	}
	/* randoms fit the width */
	for (int k = 0; k < 3; k++) {
		char id[64];
		snprintf(id, sizeof(id), "kick/apic_id=random-%d", k);
		assert_int_equal(must_find(t, n, id)->prog.calls[0].gpr[HCF_RCX] >> 32, 0);
		snprintf(id, sizeof(id), "boom/code=random-%d", k);
		assert_true(must_find(t, n, id)->prog.calls[0].gpr[HCF_RBX] <= 0xff);
	}

	/* a pointer input: a zeroed struct, its pointer fields to zeroed buffers */
	const struct hcf_prog *p = &must_find(t, n, "put/baseline")->prog;
	c = &p->calls[0];
	assert_int_equal(c->ref[HCF_RSI].buf, 0);
	assert_int_equal(c->ref[HCF_RSI].offset, 0);
	assert_int_equal(p->nbufs, 3);
	assert_int_equal(p->bufs[0].struct_idx, 0);
	assert_int_equal(p->bufs[0].size, 24);
	assert_int_equal(p->bufs[1].struct_idx, 1);
	assert_int_equal(p->bufs[2].struct_idx, -1);
	assert_int_equal(p->bufs[2].size, HCF_PLAN_BYTES_BUF);
	assert_int_equal(p->bufs[2].dir, HCF_DIR_INOUT);
	assert_int_equal(p->bufs[0].nrelocs, 2);
	assert_int_equal(p->bufs[0].relocs[0].at, 0);
	assert_int_equal(p->bufs[0].relocs[0].buf, 1);
	assert_int_equal(p->bufs[0].relocs[1].at, 8);
	assert_int_equal(p->bufs[0].relocs[1].buf, 2);
	for (size_t b = 0; b < p->nbufs; b++)
		for (uint32_t i = 0; i < p->bufs[b].size; i++)
			assert_int_equal(p->bufs[b].init[i], 0);
	c = &must_find(t, n, "put/req=last-byte")->prog.calls[0];
	assert_int_equal(c->ref[HCF_RSI].buf, 0);
	assert_int_equal(c->ref[HCF_RSI].offset, 23);
	hcf_tests_free(t, n);
	hcf_spec_free(abi);
}

static void test_deterministic(void **state)
{
	(void)state;
	struct hcf_abi *abi = small_abi();
	struct hcf_test *a, *b;
	size_t na, nb;
	struct hcf_plan_opts o = { .seed = 42 };
	assert_int_equal(hcf_plan_build(abi, &o, &a, &na), 0);
	assert_int_equal(hcf_plan_build(abi, &o, &b, &nb), 0);
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(a[i].id, b[i].id);
		assert_string_equal(a[i].group, b[i].group);
		assert_string_equal(a[i].desc, b[i].desc);
		assert_true(hcf_prog_equal(&a[i].prog, &b[i].prog));
	}
	hcf_tests_free(b, nb);

	/* another seed: same tests, other random values */
	o.seed = 43;
	assert_int_equal(hcf_plan_build(abi, &o, &b, &nb), 0);
	assert_int_equal(na, nb);
	size_t differ = 0;
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(a[i].id, b[i].id);
		if (strstr(a[i].id, "random-"))
			differ += !hcf_prog_equal(&a[i].prog, &b[i].prog);
		else
			assert_true(hcf_prog_equal(&a[i].prog, &b[i].prog));
	}
	assert_true(differ >= 8);
	hcf_tests_free(b, nb);

	/* seed 0 is the default seed */
	o.seed = 0;
	struct hcf_plan_opts d = { .seed = HCF_PLAN_DEFAULT_SEED };
	struct hcf_test *c;
	size_t nc;
	assert_int_equal(hcf_plan_build(abi, &o, &b, &nb), 0);
	assert_int_equal(hcf_plan_build(abi, &d, &c, &nc), 0);
	for (size_t i = 0; i < nb; i++)
		assert_true(hcf_prog_equal(&b[i].prog, &c[i].prog));
	hcf_tests_free(c, nc);
	hcf_tests_free(b, nb);

	/* a new op does not move the random values of the others */
	int extra = abi_op(abi, "extra", NULL, 100, 0);
	abi_arg(abi, extra, "x", HCF_RBX, 64, HCF_DIR_IN, -1);
	o.seed = 42;
	assert_int_equal(hcf_plan_build(abi, &o, &b, &nb), 0);
	assert_true(nb > na);
	const struct hcf_test *x = must_find(a, na, "kick/flags=random-1");
	const struct hcf_test *y = must_find(b, nb, "kick/flags=random-1");
	assert_true(hcf_prog_equal(&x->prog, &y->prog));
	hcf_tests_free(b, nb);
	hcf_tests_free(a, na);
	hcf_spec_free(abi);
}

static bool declared(const struct hcf_abi *abi, uint64_t nr)
{
	for (size_t i = 0; i < abi->ncalls; i++)
		if (abi->calls[i].nr == nr)
			return true;
	return false;
}

static size_t count_group(const struct hcf_test *t, size_t n, const char *group)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += !strcmp(t[i].group, group);
	return k;
}

static void test_undeclared_numbers(void **state)
{
	(void)state;
	/* a dense ABI: most neighbours are declared */
	struct hcf_abi *abi = abi_new("dense", HCF_XPORT_VMCALL, HCF_RAX, 64, 0, HCF_REG_NONE);
	for (uint64_t nr = 0; nr < 6; nr++) {
		char name[16];
		snprintf(name, sizeof(name), "op%llu", (unsigned long long)nr);
		abi_op(abi, name, NULL, nr, 0);
	}
	abi_op(abi, "top", NULL, UINT64_MAX, 0);
	struct hcf_test *t;
	size_t n;
	struct hcf_plan_opts o = { .seed = 1 };
	assert_int_equal(hcf_plan_build(abi, &o, &t, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i].group, "undeclared"))
			continue;
		const struct hcf_pcall *c = &t[i].prog.calls[0];
		assert_int_equal(c->op, -1);
		uint64_t nr = hcf_pcall_nr(&t[i].prog, c);
		if (declared(abi, nr))
			fail_msg("%s issues declared number 0x%llx", t[i].id, (unsigned long long)nr);
	}
	/* 6 above op5; 0xfffffffffffffffe below top; far values but 0 and ~0 */
	must_find(t, n, "undeclared/nr=0x6");
	must_find(t, n, "undeclared/nr=0xfffffffffffffffe");
	assert_null(find_test(t, n, "undeclared/nr=0x0"));
	assert_null(find_test(t, n, "undeclared/nr=0xffffffffffffffff"));
	assert_int_equal(count_group(t, n, "undeclared"), 2 + 5);
	check_ids_unique(t, n);
	hcf_tests_free(t, n);
	hcf_spec_free(abi);
}

static void test_undeclared_mask_and_width(void **state)
{
	(void)state;
	struct hcf_abi *abi = abi_new("fast", HCF_XPORT_VMCALL, HCF_RAX, 32, 0x40000000, HCF_RDI);
	abi_op(abi, "sched", NULL, 29, 0);
	int st = abi_op(abi, "event_channel", "status", 32, 5);
	abi_arg(abi, st, "port", HCF_RSI, 32, HCF_DIR_IN, -1);
	abi_arg(abi, st, "shadow", HCF_RDI, 32, HCF_DIR_IN, -1); /* the sub-operation register */
	struct hcf_test *t;
	size_t n;
	assert_int_equal(hcf_plan_build(abi, NULL, &t, &n), 0);
	check_ids_unique(t, n);
	check_programs(t, n);
	/* the number without its mask, loaded raw */
	const struct hcf_test *x = must_find(t, n, "undeclared/nr=0x1d-without-mask");
	assert_int_equal(x->prog.calls[0].op, -1);
	assert_int_equal(x->prog.calls[0].gpr[HCF_RAX], 0x1d);
	/* every other number carries the mask, fits 32 bits and has no mask bit of its own */
	for (size_t i = 0; i < n; i++) {
		const struct hcf_pcall *c = &t[i].prog.calls[0];
		if (strcmp(t[i].group, "undeclared") || strstr(t[i].id, "without-mask"))
			continue;
		assert_true(c->gpr[HCF_RAX] & 0x40000000);
		assert_int_equal(c->gpr[HCF_RAX] >> 32, 0);
		assert_false(declared(abi, hcf_pcall_nr(&t[i].prog, c)));
	}
	must_find(t, n, "undeclared/nr=0x80000000");
	assert_null(find_test(t, n, "undeclared/nr=0x7fffffff"));   /* has the mask bit */
	assert_null(find_test(t, n, "undeclared/nr=0x100000000")); /* wider than 32 bits */
	/* sub-operation register: set by the op, never varied */
	x = must_find(t, n, "event_channel.status/baseline");
	assert_int_equal(x->prog.calls[0].gpr[HCF_RDI], 5);
	assert_null(find_test(t, n, "event_channel.status/shadow=one"));
	must_find(t, n, "event_channel.status/port=upper-garbage");
	hcf_tests_free(t, n);
	hcf_spec_free(abi);
}

static void test_undeclared_pio_mmio(void **state)
{
	(void)state;
	struct hcf_abi *abi = abi_new("hvt", HCF_XPORT_PIO, HCF_RDX, 16, 0, HCF_REG_NONE);
	abi->transport.port_base = 0x500;
	abi_op(abi, "walltime", NULL, 1, 0);
	abi_op(abi, "puts", NULL, 2, 0);
	abi_op(abi, "top", NULL, 0xfaff, 0);
	struct hcf_test *t;
	size_t n;
	assert_int_equal(hcf_plan_build(abi, NULL, &t, &n), 0);
	/* ports stay within 0..0xffff: 0, 3 and below top; never above it */
	must_find(t, n, "undeclared/nr=0x0");
	must_find(t, n, "undeclared/nr=0x3");
	must_find(t, n, "undeclared/nr=0xfafe");
	assert_int_equal(count_group(t, n, "undeclared"), 3);
	const struct hcf_test *x = must_find(t, n, "undeclared/nr=0x3");
	assert_int_equal(x->prog.calls[0].gpr[HCF_RDX], 3);
	check_programs(t, n);
	hcf_tests_free(t, n);
	hcf_spec_free(abi);

	abi = abi_new("mmio", HCF_XPORT_MMIO, HCF_RDX, 64, 0, HCF_REG_NONE);
	abi->transport.mmio_base = 0x100000000ull;
	abi->transport.mmio_scale = 8;
	abi_op(abi, "a", NULL, 1, 0);
	abi_op(abi, "b", NULL, 0x1fff, 0);
	assert_int_equal(hcf_plan_build(abi, NULL, &t, &n), 0);
	must_find(t, n, "undeclared/nr=0x0");
	must_find(t, n, "undeclared/nr=0x2");
	must_find(t, n, "undeclared/nr=0x1ffe");
	assert_null(find_test(t, n, "undeclared/nr=0x2000")); /* past the 64 KiB window */
	assert_int_equal(count_group(t, n, "undeclared"), 3);
	hcf_tests_free(t, n);
	/* an MMIO window inside guest RAM gets no undeclared numbers at all */
	abi->transport.mmio_base = 0x1000;
	assert_int_equal(hcf_plan_build(abi, NULL, &t, &n), 0);
	assert_int_equal(count_group(t, n, "undeclared"), 0);
	hcf_tests_free(t, n);
	hcf_spec_free(abi);
}

static void test_odd_specs(void **state)
{
	(void)state;
	struct hcf_abi *abi = abi_new("odd", HCF_XPORT_VMCALL, HCF_RAX, 64, 0, HCF_REG_NONE);
	/* a struct pointing at itself: followed a few levels, then left NULL */
	int node = abi_struct(abi, "node", 16);
	abi_field(abi, node, "next", 0, 8, HCF_DIR_IN, node, -1);
	abi_field(abi, node, "prev", 8, 8, HCF_DIR_IN, node, -1);
	int op = abi_op(abi, "walk", NULL, 1, 0);
	abi_arg(abi, op, "head", HCF_RBX, 64, HCF_DIR_IN, node);
	/* long names: ids stay unique inside their field */
	char longname[200];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	op = abi_op(abi, longname, NULL, 2, 0);
	abi_arg(abi, op, "argument_with_a_long_name_one", HCF_RBX, 64, HCF_DIR_IN, -1);
	abi_arg(abi, op, "argument_with_a_long_name_two", HCF_RCX, 64, HCF_DIR_IN, -1);
	/* a repeated argument name */
	op = abi_op(abi, "twice", NULL, 3, 0);
	abi_arg(abi, op, "x", HCF_RBX, 64, HCF_DIR_IN, -1);
	abi_arg(abi, op, "x", HCF_RCX, 64, HCF_DIR_IN, -1);
	struct hcf_test *t;
	size_t n;
	assert_int_equal(hcf_plan_build(abi, NULL, &t, &n), 0);
	check_ids_unique(t, n);
	check_programs(t, n);
	const struct hcf_prog *p = &must_find(t, n, "walk/baseline")->prog;
	assert_true(p->nbufs > 4 && p->nbufs < HCF_PROG_MAX_BUFS);
	hcf_tests_free(t, n);
	hcf_spec_free(abi);
}

/* The plans of the project's specs: unique ids, valid one-call programs that
 * survive the text format, undeclared numbers that really are undeclared. */
/*
 * A pointer with a count points at as many zeroed elements as the count the
 * call loads says (at its width), up to what one buffer holds: 4096 bytes.
 */
static void test_arrays(void **state)
{
	(void)state;
	struct hcf_abi *abi = abi_new("arrays", HCF_XPORT_NATIVE, HCF_RAX, 64, 0, HCF_REG_NONE);
	int ent = abi_struct(abi, "ent", 48);
	abi_field(abi, ent, "op", 0, 8, HCF_DIR_IN, -1, -1);
	abi_field(abi, ent, "result", 8, 8, HCF_DIR_OUT, -1, -1);
	abi->structs[ent].array_element = true;
	int list = abi_op(abi, "list", NULL, 3, 0);
	abi_arg(abi, list, "calls", HCF_RBX, 64, HCF_DIR_IN, ent);
	abi_arg(abi, list, "n", HCF_RCX, 32, HCF_DIR_IN, -1);
	abi_hint(abi, list, 1, 3, 3);
	abi->ops[list].args[0].count_arg = 1;
	struct hcf_test *t;
	size_t n;
	assert_int_equal(hcf_plan_build(abi, NULL, &t, &n), 0);
	static const struct {
		const char *id;
		uint32_t size;
	} sizes[] = {
		{ "list/baseline", 48 },          /* a count of 0: one element all the same */
		{ "list/n=one", 48 },
		{ "list/n=hint-0", 3 * 48 },
		{ "list/n=all-ones", 85 * 48 },   /* as many as 4096 bytes hold */
		{ "list/n=upper-garbage", 48 },   /* 1 in the count's 32 bits */
		{ "list/calls=null", 48 },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const struct hcf_prog *p = &must_find(t, n, sizes[i].id)->prog;
		assert_int_equal(p->nbufs, 1);
		if (p->bufs[0].size != sizes[i].size)
			fail_msg("%s: %u bytes, not %u", sizes[i].id, p->bufs[0].size, sizes[i].size);
		assert_int_equal(p->bufs[0].struct_idx, ent);
		for (uint32_t b = 0; b < p->bufs[0].size; b++)
			assert_int_equal(p->bufs[0].init[b], 0);
	}
	check_programs(t, n);
	hcf_tests_free(t, n);
	hcf_spec_free(abi);
}

static void test_real_specs(void **state)
{
	(void)state;
	const char *src = getenv("HCF_SOURCE_DIR");
	if (!src)
		skip();
	static const char *const specs[] = {
		"specs/kvm.yaml", "specs/pvm.yaml", "specs/xen.yaml",
		"tests/fixtures/xen-fastabi", "tests/fixtures/specs/valid/pio.yaml",
		"tests/fixtures/specs/valid/mmio.yaml",
		"tests/fixtures/specs/valid/full.yaml",
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", src, specs[i]);
		struct hcf_abi *abi = NULL;
		struct hcf_diags d;
		hcf_diags_init(&d);
		if (hcf_spec_load(path, &abi, &d)) {
			hcf_diags_print(&d, stderr);
			fail_msg("cannot load %s", specs[i]);
		}
		struct hcf_test *t;
		size_t n;
		assert_int_equal(hcf_plan_build(abi, NULL, &t, &n), 0);
		assert_true(n > abi->nops);
		check_ids_unique(t, n);
		check_programs(t, n);
		for (size_t j = 0; j < n; j++) {
			const struct hcf_pcall *c = &t[j].prog.calls[0];
			if (strcmp(t[j].group, "undeclared") || strstr(t[j].id, "without-mask"))
				continue;
			assert_false(declared(abi, hcf_pcall_nr(&t[j].prog, c)));
		}
		hcf_tests_free(t, n);
		hcf_spec_free(abi);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expected_count),
		cmocka_unit_test(test_baseline_and_values),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_undeclared_numbers),
		cmocka_unit_test(test_undeclared_mask_and_width),
		cmocka_unit_test(test_undeclared_pio_mmio),
		cmocka_unit_test(test_odd_specs),
		cmocka_unit_test(test_real_specs),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_skip_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
