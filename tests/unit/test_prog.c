/* test_prog.c: the program model: sentinels, call setup, buffers, copy, equality, removal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi_build.h"

#include "prog/prog.h"
#include "util/x86.h"



/* A KVM-like ABI: number in rax, no mask, no sub-operations. */
static struct hcf_abi *kvm_abi(void)
{
	struct hcf_abi *abi = abi_new("kvm", HCF_XPORT_NATIVE, HCF_RAX, 64, 0, HCF_REG_NONE);
	abi_op(abi, "KVM_HC_VAPIC_POLL_IRQ", NULL, 1, 0);
	int kick = abi_op(abi, "KVM_HC_KICK_CPU", NULL, 5, 0);
	abi_arg(abi, kick, "flags", HCF_RBX, 64, HCF_DIR_IN, -1);
	abi_arg(abi, kick, "apic_id", HCF_RCX, 32, HCF_DIR_IN, -1);
	int s = abi_struct(abi, "pair", 16);
	abi_field(abi, s, "a", 0, 8, HCF_DIR_IN, -1, -1);
	abi_field(abi, s, "b", 8, 8, HCF_DIR_IN, -1, -1);
	return abi;
}

/* A FastABI-like ABI: OR mask, 32-bit numbers, sub-operation in rdi. */
static struct hcf_abi *fast_abi(void)
{
	struct hcf_abi *abi = abi_new("fast", HCF_XPORT_VMCALL, HCF_RAX, 32, 0x40000000, HCF_RDI);
	abi_op(abi, "sched", NULL, 29, 0);
	int st = abi_op(abi, "event_channel", "status", 32, 5);
	abi_arg(abi, st, "port", HCF_RSI, 32, HCF_DIR_IN, -1);
	abi_op(abi, "event_channel", "close", 32, 3);
	return abi;
}

/* An hvt-like ABI: port I/O at 0x500, number in the port. */
static struct hcf_abi *pio_abi(void)
{
	struct hcf_abi *abi = abi_new("hvt", HCF_XPORT_PIO, HCF_RAX, 16, 0, HCF_REG_NONE);
	abi->transport.port_base = 0x500;
	abi->transport.width = 4;
	int puts = abi_op(abi, "HVT_HYPERCALL_PUTS", NULL, 2, 0);
	abi_arg(abi, puts, "arg", HCF_RAX, 32, HCF_DIR_IN, -1);
	return abi;
}

static struct hcf_abi *backdoor_abi(void)
{
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	char path[4096];
	snprintf(path, sizeof(path), "%s/specs/vmware-backdoor.yaml",
		 getenv("HCF_SOURCE_DIR") ? getenv("HCF_SOURCE_DIR") : ".");
	if (hcf_spec_load(path, &abi, &d) != 0)
		hcf_diags_print(&d, stderr);
	assert_non_null(abi);
	return abi;
}

/* Which op a call issues: not one without its magic; the number in its width. */
static void test_magic_and_width(void **state)
{
	(void)state;
	struct hcf_abi *abi = backdoor_abi();
	const struct hcf_op *gv = hcf_spec_op_by_name(abi, "GETVERSION");
	assert_non_null(gv);
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	struct hcf_pcall *c = hcf_prog_add_call(&p, (int)(gv - abi->ops), gv->nr);
	assert_int_equal(c->gpr[HCF_RAX], 0x564d5868);        /* every call loads the magic */
	assert_true(c->set & HCF_REGBIT(HCF_RAX));
	assert_ptr_equal(hcf_prog_call_op(&p, 0), gv);
	hcf_pcall_set(c, HCF_RAX, 0xdead00000000ull | 0x564d5868); /* garbage above eax */
	assert_ptr_equal(hcf_prog_call_op(&p, 0), gv);
	hcf_pcall_set(c, HCF_RAX, 0x564d5869);                  /* not the magic */
	assert_null(hcf_prog_call_op(&p, 0));
	hcf_pcall_set(c, HCF_RAX, 0x564d5868);
	hcf_pcall_set(c, HCF_RCX, 0x100 | gv->nr);              /* above the command byte */
	assert_int_equal(hcf_pcall_nr(&p, c), gv->nr);
	assert_ptr_equal(hcf_prog_call_op(&p, 0), gv);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}


static void test_sentinels_distinct(void **state)
{
	(void)state;
	enum { NCALLS = 512 };
	size_t n = 0;
	uint64_t *all = malloc(HCF_NGPR * NCALLS * sizeof(*all));
	for (unsigned r = 0; r < HCF_NGPR; r++)
		for (size_t i = 0; i < NCALLS; i++) {
			uint64_t v = hcf_sentinel(r, i);
			assert_true(hcf_is_sentinel(v));
			/* non-canonical: bits 63..47 are not all equal */
			uint64_t top = v >> 47;
			assert_true(top != 0 && top != 0x1ffff);
			all[n++] = v;
		}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_true(all[i] != all[j]);
	free(all);
	/* reading a dump: register and call are in the value */
	assert_int_equal(hcf_sentinel(HCF_RBX, 7), 0x5e5e030000000007ull);
	assert_false(hcf_is_sentinel(0));
	assert_false(hcf_is_sentinel(0x5e5e100000000000ull));
}

static void test_add_call_registers(void **state)
{
	(void)state;
	struct hcf_abi *abi = kvm_abi();
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	struct hcf_pcall *c = hcf_prog_add_call(&p, 1, 0);
	assert_non_null(c);
	assert_int_equal(c->op, 1);
	assert_int_equal(c->gpr[HCF_RAX], 5);
	assert_int_equal(c->set, HCF_REGBIT(HCF_RAX));
	for (unsigned r = 0; r < HCF_NGPR; r++) {
		assert_int_equal(c->ref[r].buf, -1);
		if (r != HCF_RAX)
			assert_int_equal(c->gpr[r], hcf_sentinel(r, 0));
	}
	assert_int_equal(c->rflags, 0);
	assert_false(c->capture_vec);
	assert_int_equal(hcf_pcall_nr(&p, c), 5);

	c = hcf_prog_add_call(&p, -1, 0x2000);
	assert_int_equal(c->op, -1);
	assert_int_equal(c->gpr[HCF_RAX], 0x2000);
	assert_int_equal(c->gpr[HCF_RBX], hcf_sentinel(HCF_RBX, 1));
	char name[64];
	assert_string_equal(hcf_pcall_name(&p, c, name, sizeof(name)), "nr=0x2000");
	assert_string_equal(hcf_pcall_name(&p, &p.calls[0], name, sizeof(name)), "KVM_HC_KICK_CPU");

	assert_null(hcf_prog_add_call(&p, 2, 0)); /* op out of range */
	assert_int_equal(p.ncalls, 2);

	hcf_pcall_set(c, HCF_RCX, 42);
	assert_true(c->set & HCF_REGBIT(HCF_RCX));
	hcf_pcall_set_ref(c, HCF_RSI, 0, 8);
	assert_int_equal(c->ref[HCF_RSI].buf, 0);
	assert_int_equal(c->ref[HCF_RSI].offset, 8);
	hcf_pcall_set(c, HCF_RSI, 1);
	assert_int_equal(c->ref[HCF_RSI].buf, -1);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

static void test_add_call_mask_and_subop(void **state)
{
	(void)state;
	struct hcf_abi *abi = fast_abi();
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	struct hcf_pcall *c = hcf_prog_add_call(&p, 1, 0); /* event_channel.status */
	assert_int_equal(c->gpr[HCF_RAX], 0x40000020);
	assert_int_equal(c->gpr[HCF_RDI], 5);
	assert_int_equal(c->set, HCF_REGBIT(HCF_RAX) | HCF_REGBIT(HCF_RDI));
	assert_int_equal(hcf_pcall_nr(&p, c), 32);

	c = hcf_prog_add_call(&p, 0, 0); /* sched: no sub-operation */
	assert_int_equal(c->gpr[HCF_RAX], 0x4000001d);
	assert_int_equal(c->set, HCF_REGBIT(HCF_RAX));
	assert_int_equal(c->gpr[HCF_RDI], hcf_sentinel(HCF_RDI, 1));

	c = hcf_prog_add_call(&p, -1, 0x77);
	assert_int_equal(c->gpr[HCF_RAX], 0x40000077);
	assert_int_equal(hcf_pcall_nr(&p, c), 0x77);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

static void test_add_call_pio(void **state)
{
	(void)state;
	struct hcf_abi *abi = pio_abi();
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	assert_int_equal(hcf_prog_nr_reg(abi), HCF_RDX);
	struct hcf_pcall *c = hcf_prog_add_call(&p, 0, 0);
	/* the number alone: the target adds the port base */
	assert_int_equal(c->gpr[HCF_RDX], 2);
	assert_int_equal(c->set, HCF_REGBIT(HCF_RDX));
	assert_int_equal(c->gpr[HCF_RAX], hcf_sentinel(HCF_RAX, 0));
	assert_int_equal(hcf_pcall_nr(&p, c), 2);
	assert_int_equal(hcf_pcall_op(&p, c), 0);
	/* `out` takes its port from DX: a number with bits above it reaches
	 * the port of its low bits, and is judged as the call there; one that
	 * wraps past 0xffff reaches a port below the base */
	c->gpr[HCF_RDX] = 0x5e5e020000000002ull;
	assert_int_equal(hcf_pcall_nr(&p, c), 2);
	assert_int_equal(hcf_pcall_op(&p, c), 0);
	c->gpr[HCF_RDX] = 0x10000 - 0x500 + 0x10;
	assert_int_equal(hcf_pcall_nr(&p, c), 0x10000 - 0x500 + 0x10);
	c->gpr[HCF_RDX] = 0x10000;
	assert_int_equal(hcf_pcall_nr(&p, c), 0);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

static void test_calls_limit(void **state)
{
	(void)state;
	struct hcf_abi *abi = kvm_abi();
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	for (size_t i = 0; i < HCF_PROG_MAX_CALLS; i++)
		assert_non_null(hcf_prog_add_call(&p, 0, 0));
	assert_null(hcf_prog_add_call(&p, 0, 0));
	assert_int_equal(p.ncalls, HCF_PROG_MAX_CALLS);
	assert_true(p.cap <= HCF_PROG_MAX_CALLS);
	assert_int_equal(p.calls[HCF_PROG_MAX_CALLS - 1].gpr[HCF_RBX],
			 hcf_sentinel(HCF_RBX, HCF_PROG_MAX_CALLS - 1));
	hcf_prog_reset(&p);
	assert_int_equal(p.ncalls, 0);
	assert_non_null(p.calls); /* storage kept */
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

static void test_buffers(void **state)
{
	(void)state;
	struct hcf_abi *abi = kvm_abi();
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	uint8_t init[4] = { 1, 2, 3, 4 };
	assert_int_equal(hcf_prog_add_buf(&p, 0, -1, HCF_DIR_IN, NULL), -1);
	assert_int_equal(hcf_prog_add_buf(&p, HCF_BUF_MAX + 1, -1, HCF_DIR_IN, NULL), -1);
	assert_int_equal(hcf_prog_add_buf(&p, 16, 1, HCF_DIR_IN, NULL), -1); /* no struct 1 */
	assert_int_equal(hcf_prog_add_buf(&p, 16, -1, (enum hcf_dir)0, NULL), -1);
	assert_int_equal(hcf_prog_add_buf(&p, 4, -1, HCF_DIR_OUT, init), 0);
	assert_memory_equal(p.bufs[0].init, init, 4);
	init[0] = 9; /* copied, not kept */
	assert_int_equal(p.bufs[0].init[0], 1);
	assert_int_equal(hcf_prog_add_buf(&p, 16, 0, HCF_DIR_IN, NULL), 1);
	for (int i = 0; i < 16; i++)
		assert_int_equal(p.bufs[1].init[i], 0);
	assert_int_equal(p.bufs[1].struct_idx, 0);
	assert_int_equal(p.bufs[0].dir, HCF_DIR_OUT);
	assert_int_equal(hcf_prog_add_buf(&p, HCF_BUF_MAX, -1, HCF_DIR_INOUT, NULL), 2);
	while (p.nbufs < HCF_PROG_MAX_BUFS)
		assert_true(hcf_prog_add_buf(&p, 1, -1, HCF_DIR_IN, NULL) >= 0);
	assert_int_equal(hcf_prog_add_buf(&p, 1, -1, HCF_DIR_IN, NULL), -1);

	/* relocations: inside the buffer, to an existing buffer, at most 8 */
	assert_int_equal(hcf_prog_add_reloc(&p, 1, 8, 0, 0), 0);
	assert_int_equal(hcf_prog_add_reloc(&p, 1, 9, 0, 0), -1);
	assert_int_equal(hcf_prog_add_reloc(&p, 0, 0, 1, 0), -1); /* 4-byte buffer */
	assert_int_equal(hcf_prog_add_reloc(&p, 1, 0, 64, 0), -1);
	assert_int_equal(hcf_prog_add_reloc(&p, 64, 0, 0, 0), -1);
	assert_int_equal(hcf_prog_add_reloc(&p, 1, UINT32_MAX, 0, 0), -1);
	for (int i = 1; i < HCF_BUF_MAX_RELOCS; i++)
		assert_int_equal(hcf_prog_add_reloc(&p, 2, (uint32_t)i * 8, 1, -i), 0);
	assert_int_equal(hcf_prog_add_reloc(&p, 2, 0, 1, 0), 0);
	assert_int_equal(hcf_prog_add_reloc(&p, 2, 0, 1, 0), -1);
	assert_int_equal(p.bufs[2].nrelocs, HCF_BUF_MAX_RELOCS);
	assert_int_equal(hcf_prog_validate(&p, NULL, 0), 0);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

static void build_sample(struct hcf_prog *p)
{
	uint8_t bytes[16] = { 0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x55 };
	hcf_prog_add_buf(p, 16, 0, HCF_DIR_IN, bytes);
	hcf_prog_add_buf(p, 32, -1, HCF_DIR_OUT, NULL);
	hcf_prog_add_reloc(p, 0, 8, 1, 4);
	struct hcf_pcall *c = hcf_prog_add_call(p, 1, 0);
	hcf_pcall_set(c, HCF_RBX, 0);
	hcf_pcall_set_ref(c, HCF_RCX, 0, 0);
	c->rflags = HCF_X86_RFLAGS_CF;
	c = hcf_prog_add_call(p, -1, 0x1234);
	hcf_pcall_set(c, HCF_R15, ~0ull);
	c->capture_vec = true;
}

static void test_copy_and_equal(void **state)
{
	(void)state;
	struct hcf_abi *abi = kvm_abi();
	struct hcf_prog a, b;
	hcf_prog_init(&a, abi);
	build_sample(&a);
	assert_int_equal(hcf_prog_copy(&b, &a), 0);
	assert_true(hcf_prog_equal(&a, &b));
	assert_ptr_not_equal(a.bufs[0].init, b.bufs[0].init);
	assert_ptr_not_equal(a.calls, b.calls);

	/* sentinels of unset registers do not matter */
	b.calls[0].gpr[HCF_RDX] = 12345;
	assert_true(hcf_prog_equal(&a, &b));

	/* every part that matters does */
	b.calls[0].gpr[HCF_RBX] = 1;
	assert_false(hcf_prog_equal(&a, &b));
	b.calls[0].gpr[HCF_RBX] = 0;
	b.calls[0].ref[HCF_RCX].offset = 1;
	assert_false(hcf_prog_equal(&a, &b));
	b.calls[0].ref[HCF_RCX].offset = 0;
	b.calls[0].rflags = 0;
	assert_false(hcf_prog_equal(&a, &b));
	b.calls[0].rflags = HCF_X86_RFLAGS_CF;
	b.calls[1].capture_vec = false;
	assert_false(hcf_prog_equal(&a, &b));
	b.calls[1].capture_vec = true;
	hcf_pcall_set(&b.calls[1], HCF_RDX, hcf_sentinel(HCF_RDX, 1));
	assert_false(hcf_prog_equal(&a, &b)); /* explicitly set, even to the sentinel */
	b.calls[1].set &= (hcf_regmask_t)~HCF_REGBIT(HCF_RDX);
	assert_true(hcf_prog_equal(&a, &b));
	b.calls[1].op = 0;
	assert_false(hcf_prog_equal(&a, &b));
	b.calls[1].op = -1;
	b.bufs[0].init[15] = 0;
	assert_false(hcf_prog_equal(&a, &b));
	b.bufs[0].init[15] = 0x55;
	b.bufs[1].dir = HCF_DIR_INOUT;
	assert_false(hcf_prog_equal(&a, &b));
	b.bufs[1].dir = HCF_DIR_OUT;
	b.bufs[0].relocs[0].offset = 5;
	assert_false(hcf_prog_equal(&a, &b));
	b.bufs[0].relocs[0].offset = 4;
	b.bufs[0].struct_idx = -1;
	assert_false(hcf_prog_equal(&a, &b));
	b.bufs[0].struct_idx = 0;
	assert_true(hcf_prog_equal(&a, &b));
	hcf_prog_remove_call(&b, 1);
	assert_false(hcf_prog_equal(&a, &b));

	hcf_prog_free(&a);
	hcf_prog_free(&b);
	hcf_spec_free(abi);
}

static void test_remove_call(void **state)
{
	(void)state;
	struct hcf_abi *abi = kvm_abi();
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	for (uint64_t i = 0; i < 4; i++)
		hcf_pcall_set(hcf_prog_add_call(&p, -1, 0x100 + i), HCF_RBX, i);
	hcf_prog_remove_call(&p, 1);
	assert_int_equal(p.ncalls, 3);
	assert_int_equal(p.calls[0].gpr[HCF_RAX], 0x100);
	assert_int_equal(p.calls[1].gpr[HCF_RAX], 0x102);
	assert_int_equal(p.calls[2].gpr[HCF_RAX], 0x103);
	/* moved calls carry the sentinels of their new position */
	assert_int_equal(p.calls[1].gpr[HCF_RCX], hcf_sentinel(HCF_RCX, 1));
	assert_int_equal(p.calls[2].gpr[HCF_RCX], hcf_sentinel(HCF_RCX, 2));
	assert_int_equal(p.calls[2].gpr[HCF_RBX], 3);
	hcf_prog_remove_call(&p, 2);
	hcf_prog_remove_call(&p, 7); /* out of range: nothing */
	assert_int_equal(p.ncalls, 2);
	hcf_prog_remove_call(&p, 0);
	hcf_prog_remove_call(&p, 0);
	assert_int_equal(p.ncalls, 0);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

static void test_validate(void **state)
{
	(void)state;
	struct hcf_abi *abi = kvm_abi();
	struct hcf_prog p;
	char why[128];
	hcf_prog_init(&p, abi);
	build_sample(&p);
	assert_int_equal(hcf_prog_validate(&p, why, sizeof(why)), 0);
	hcf_pcall_set_ref(&p.calls[1], HCF_RSI, 2, 0);
	assert_int_equal(hcf_prog_validate(&p, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "buffer 2"));
	hcf_pcall_set(&p.calls[1], HCF_RSI, 0);
	p.calls[0].op = 9;
	assert_int_equal(hcf_prog_validate(&p, why, sizeof(why)), -1);
	p.calls[0].op = 1;
	p.bufs[0].relocs[0].at = 9;
	assert_int_equal(hcf_prog_validate(&p, NULL, 0), -1);
	p.bufs[0].relocs[0].at = 8;
	assert_int_equal(hcf_prog_validate(&p, NULL, 0), 0);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sentinels_distinct),
		cmocka_unit_test(test_add_call_registers),
		cmocka_unit_test(test_add_call_mask_and_subop),
		cmocka_unit_test(test_add_call_pio),
		cmocka_unit_test(test_calls_limit),
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_copy_and_equal),
		cmocka_unit_test(test_remove_call),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_magic_and_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
