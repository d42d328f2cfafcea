/* test_prog_text.c: the program text format: every construct, every error with its position,
 * canonical printing, round trips of hand-written and 2000 random programs, hostile input. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi_build.h"
#include "rand_prog.h"

#include "prog/prog.h"
#include "util/x86.h"

/*
 * The main test ABI: number in rax, sub-operation in rdi, every kind of
 * argument and a struct with pointer, narrow and array fields.
 */
static struct hcf_abi *text_abi(void)
{
	struct hcf_abi *abi = abi_new("testabi", HCF_XPORT_NATIVE, HCF_RAX, 64, 0, HCF_RDI);
	int puts = abi_struct(abi, "hvt_puts", 16);
	abi_field(abi, puts, "data", 0, 8, HCF_DIR_IN, -1, 1);
	abi_field(abi, puts, "len", 8, 8, HCF_DIR_IN, -1, -1);
	int node = abi_struct(abi, "node", 40);
	abi_field(abi, node, "next", 0, 8, HCF_DIR_IN, node, -1);
	abi_field(abi, node, "val", 8, 8, HCF_DIR_INOUT, -1, -1);
	abi_field(abi, node, "small", 16, 4, HCF_DIR_IN, -1, -1);
	abi_field(abi, node, "tiny", 20, 1, HCF_DIR_IN, -1, -1);
	abi_field(abi, node, "arr", 24, 16, HCF_DIR_OUT, -1, -1);

	abi_op(abi, "KVM_HC_VAPIC_POLL_IRQ", NULL, 1, 0);
	int kick = abi_op(abi, "KVM_HC_KICK_CPU", NULL, 5, 0);
	abi_arg(abi, kick, "flags", HCF_RBX, 64, HCF_DIR_IN, -1);
	abi_arg(abi, kick, "apic_id", HCF_RCX, 32, HCF_DIR_IN, -1);
	int st = abi_op(abi, "event_channel", "status", 32, 5);
	abi_arg(abi, st, "port", HCF_RSI, 32, HCF_DIR_IN, -1);
	abi_arg(abi, st, "result", HCF_RDX, 64, HCF_DIR_OUT, -1);
	int cl = abi_op(abi, "event_channel", "close", 32, 3);
	abi_arg(abi, cl, "port", HCF_RSI, 32, HCF_DIR_IN, -1);
	int p = abi_op(abi, "HVT_PUTS", NULL, 0x30, 0);
	abi_arg(abi, p, "arg", HCF_RSI, 64, HCF_DIR_IN, puts);
	int nw = abi_op(abi, "narrow", NULL, 0x31, 0);
	abi_arg(abi, nw, "b8", HCF_RBX, 8, HCF_DIR_IN, -1);
	abi_arg(abi, nw, "w16", HCF_RCX, 16, HCF_DIR_IN, -1);
	abi_arg(abi, nw, "d32", HCF_RDX, 32, HCF_DIR_INOUT, -1);
	abi_arg(abi, nw, "rdx", HCF_R8, 64, HCF_DIR_IN, -1); /* shadowed by the register */
	abi_arg(abi, nw, "vec", HCF_R9, 64, HCF_DIR_IN, -1);  /* shadowed by the keyword */

	abi_const(abi, "KVM_ENOSYS", 1000);
	abi_const(abi, "KVM_EPERM", 1);
	abi_const(abi, "NEGK", -5);
	abi_const(abi, "BIG", 0x100000000ll);
	return abi;
}

/* FastABI-like: OR mask, 32-bit numbers, sub-operation in rdi. */
static struct hcf_abi *mask_abi(void)
{
	struct hcf_abi *abi = abi_new("fast", HCF_XPORT_VMCALL, HCF_RAX, 32, 0x40000000, HCF_RDI);
	abi->subop_width = 32;
	abi_op(abi, "sched", NULL, 29, 0);
	int st = abi_op(abi, "event_channel", "status", 32, 5);
	abi_arg(abi, st, "port", HCF_RSI, 32, HCF_DIR_IN, -1);
	abi_op(abi, "event_channel", "close", 32, 3);
	abi_op(abi, "version", NULL, 0, 0);
	int s = abi_struct(abi, "pair", 16);
	abi_field(abi, s, "a", 0, 8, HCF_DIR_IN, -1, -1);
	abi_field(abi, s, "size", 8, 8, HCF_DIR_IN, -1, -1); /* a buf keyword: printed as @8 */
	return abi;
}

/* hvt-like: port I/O at 0x500, number in rdx, argument in eax. */
static struct hcf_abi *pio_abi(void)
{
	struct hcf_abi *abi = abi_new("hvt", HCF_XPORT_PIO, HCF_RDX, 16, 0, HCF_REG_NONE);
	abi->transport.port_base = 0x500;
	abi->transport.width = 4;
	int puts = abi_struct(abi, "hvt_puts", 16);
	abi_field(abi, puts, "data", 0, 8, HCF_DIR_IN, -1, 1);
	abi_field(abi, puts, "len", 8, 8, HCF_DIR_IN, -1, -1);
	int w = abi_struct(abi, "hvt_walltime", 8);
	abi_field(abi, w, "nsecs", 0, 8, HCF_DIR_OUT, -1, -1);
	int wt = abi_op(abi, "HVT_HYPERCALL_WALLTIME", NULL, 1, 0);
	abi_arg(abi, wt, "arg", HCF_RAX, 32, HCF_DIR_IN, w);
	int pu = abi_op(abi, "HVT_HYPERCALL_PUTS", NULL, 2, 0);
	abi_arg(abi, pu, "arg", HCF_RAX, 32, HCF_DIR_IN, puts);
	return abi;
}

struct fixture {
	struct hcf_abi *abi, *mask, *pio;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	fx->abi = text_abi();
	fx->mask = mask_abi();
	fx->pio = pio_abi();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	hcf_spec_free(fx->abi);
	hcf_spec_free(fx->mask);
	hcf_spec_free(fx->pio);
	free(fx);
	return 0;
}

static int parse_str(struct hcf_prog *p, const struct hcf_abi *abi, const char *text,
		     struct hcf_diags *d)
{
	hcf_diags_init(d);
	return hcf_prog_parse(p, abi, "t.hcf", text, strlen(text), d);
}

/* Parse text that must be valid; print the diagnostics if it is not. */
static void parse_ok(struct hcf_prog *p, const struct hcf_abi *abi, const char *text)
{
	struct hcf_diags d;
	int rc = parse_str(p, abi, text, &d);
	if (rc) {
		hcf_diags_print(&d, stderr);
		fprintf(stderr, "in:\n%s\n", text);
	}
	assert_int_equal(rc, 0);
}

/* print, parse the output, compare; and the output is a fixed point */
static void check_round_trip(const struct hcf_prog *p)
{
	char *text = hcf_prog_to_text(p);
	if (!text) {
		char why[160] = "";
		hcf_prog_validate(p, why, sizeof(why));
		fprintf(stderr, "cannot print program: %s\n", why);
	}
	assert_non_null(text);
	struct hcf_prog q;
	struct hcf_diags d;
	int rc = parse_str(&q, p->abi, text, &d);
	if (rc || !hcf_prog_equal(p, &q)) {
		hcf_diags_print(&d, stderr);
		fprintf(stderr, "round trip failed for:\n%s\n", text);
	}
	assert_int_equal(rc, 0);
	assert_true(hcf_prog_equal(p, &q));
	char *again = hcf_prog_to_text(&q);
	assert_non_null(again);
	assert_string_equal(text, again);
	free(again);
	free(text);
	hcf_prog_free(&q);
}

/* ---- every construct ---- */

static const char example[] =
	"# hcfuzz program\n"
	"abi testabi                              # optional; must be the spec's name\n"
	"\n"
	"buf b1 size=5 dir=in hex=68656c6c6f\n"
	"buf b0 size=16 struct=hvt_puts dir=in fill=0x00 len=5 data=&b1+0\n"
	"call KVM_HC_KICK_CPU rbx=0 apic_id=5 rflags=CF|ZF\n"
	"call nr=0x2000 rbx=1                     # an undeclared number\n"
	"call event_channel.status rsi=&b0 r8=&b0+8 vec\n";

static void test_parse_example(void **state)
{
	struct fixture *fx = *state;
	struct hcf_prog p;
	parse_ok(&p, fx->abi, example);
	assert_int_equal(p.nbufs, 2);
	assert_int_equal(p.bufs[0].size, 5);
	assert_memory_equal(p.bufs[0].init, "hello", 5);
	assert_int_equal(p.bufs[0].struct_idx, -1);
	assert_int_equal(p.bufs[1].size, 16);
	assert_int_equal(p.bufs[1].struct_idx, 0);
	assert_int_equal(p.bufs[1].init[8], 5);
	assert_int_equal(p.bufs[1].nrelocs, 1);
	assert_int_equal(p.bufs[1].relocs[0].at, 0);
	assert_int_equal(p.bufs[1].relocs[0].buf, 0);

	assert_int_equal(p.ncalls, 3);
	const struct hcf_pcall *c = &p.calls[0];
	assert_int_equal(c->op, 1);
	assert_int_equal(c->gpr[HCF_RAX], 5);
	assert_int_equal(c->gpr[HCF_RBX], 0);
	assert_int_equal(c->gpr[HCF_RCX], 5);
	assert_int_equal(c->set, HCF_REGBIT(HCF_RAX) | HCF_REGBIT(HCF_RBX) | HCF_REGBIT(HCF_RCX));
	assert_int_equal(c->rflags, HCF_X86_RFLAGS_CF | HCF_X86_RFLAGS_ZF);
	assert_int_equal(c->gpr[HCF_RDX], hcf_sentinel(HCF_RDX, 0));

	c = &p.calls[1];
	assert_int_equal(c->op, -1);
	assert_int_equal(c->gpr[HCF_RAX], 0x2000);
	assert_int_equal(c->gpr[HCF_RBX], 1);

	c = &p.calls[2];
	assert_int_equal(c->op, 2);
	assert_int_equal(c->gpr[HCF_RAX], 32);
	assert_int_equal(c->gpr[HCF_RDI], 5);
	assert_int_equal(c->ref[HCF_RSI].buf, 1);
	assert_int_equal(c->ref[HCF_RSI].offset, 0);
	assert_int_equal(c->ref[HCF_R8].buf, 1);
	assert_int_equal(c->ref[HCF_R8].offset, 8);
	assert_true(c->capture_vec);
	check_round_trip(&p);
	hcf_prog_free(&p);
}

/* One register assignment on a KVM_HC_KICK_CPU or narrow call and the value it must give. */
static const struct {
	const char *line;
	unsigned reg;
	uint64_t want;
} value_cases[] = {
	{ "call KVM_HC_KICK_CPU rbx=42", HCF_RBX, 42 },
	{ "call KVM_HC_KICK_CPU rbx=0x2A", HCF_RBX, 42 },
	{ "call KVM_HC_KICK_CPU rbx=0xffff_ffff_ffff_ffff", HCF_RBX, ~0ull },
	{ "call KVM_HC_KICK_CPU rbx=18446744073709551615", HCF_RBX, ~0ull },
	{ "call KVM_HC_KICK_CPU rbx=-1", HCF_RBX, ~0ull },
	{ "call KVM_HC_KICK_CPU rbx=-9223372036854775808", HCF_RBX, 1ull << 63 },
	{ "call KVM_HC_KICK_CPU flags=-0x10", HCF_RBX, (uint64_t)-16 },
	{ "call KVM_HC_KICK_CPU ebx=-1", HCF_RBX, 0xffffffffull },      /* zero-extended */
	{ "call KVM_HC_KICK_CPU bx=0xffff", HCF_RBX, 0xffff },
	{ "call KVM_HC_KICK_CPU bl=-128", HCF_RBX, 0x80 },
	{ "call KVM_HC_KICK_CPU r9d=4294967295", HCF_R9, 0xffffffffull },
	{ "call KVM_HC_KICK_CPU R10=7", HCF_R10, 7 },
	{ "call KVM_HC_KICK_CPU apic_id=0xffffffff", HCF_RCX, 0xffffffffull },
	{ "call KVM_HC_KICK_CPU apic_id=-2147483648", HCF_RCX, 0x80000000ull },
	{ "call KVM_HC_KICK_CPU rbx=KVM_ENOSYS", HCF_RBX, 1000 },
	{ "call KVM_HC_KICK_CPU rbx=-KVM_ENOSYS", HCF_RBX, (uint64_t)-1000 },
	{ "call KVM_HC_KICK_CPU apic_id=-KVM_EPERM", HCF_RCX, 0xffffffffull },
	{ "call KVM_HC_KICK_CPU rbx=NEGK", HCF_RBX, (uint64_t)-5 },
	{ "call KVM_HC_KICK_CPU rbx=-NEGK", HCF_RBX, 5 },
	{ "call KVM_HC_KICK_CPU rbx=BIG", HCF_RBX, 0x100000000ull },
	{ "call KVM_HC_KICK_CPU rbp=0", HCF_RBP, 0 },
	{ "call KVM_HC_KICK_CPU rsp=1", HCF_RSP, 1 },
	{ "call narrow b8=255", HCF_RBX, 255 },
	{ "call narrow b8=-1", HCF_RBX, 255 },
	{ "call narrow w16=0x8000", HCF_RCX, 0x8000 },
	{ "call narrow d32=-2", HCF_RDX, 0xfffffffeull },
	{ "call narrow rdx=3", HCF_RDX, 3 },   /* the register, not the argument named rdx */
	{ "call narrow r8=3", HCF_R8, 3 },
	{ "call KVM_HC_KICK_CPU rax=5", HCF_RAX, 5 },  /* the number register, same value */
	{ "call KVM_HC_KICK_CPU override rax=6", HCF_RAX, 6 },
	{ "call KVM_HC_KICK_CPU rax=-1 override", HCF_RAX, ~0ull },
	{ "call event_channel.status override rdi=9", HCF_RDI, 9 },
	{ "call nr=5", HCF_RAX, 5 },
	{ "call nr=0x20.5", HCF_RDI, 5 },
	{ "call nr=0x20.9", HCF_RDI, 9 },
	{ "call nr=KVM_ENOSYS", HCF_RAX, 1000 },
	{ "call rax=0x20 rdi=5", HCF_RDI, 5 },
	{ "\tcall   KVM_HC_KICK_CPU\trbx=1\r", HCF_RBX, 1 },
};

static void test_parse_values(void **state)
{
	struct fixture *fx = *state;
	for (size_t i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
		struct hcf_prog p;
		parse_ok(&p, fx->abi, value_cases[i].line);
		assert_int_equal(p.ncalls, 1);
		unsigned r = value_cases[i].reg;
		if (p.calls[0].gpr[r] != value_cases[i].want)
			fail_msg("%s: got 0x%llx", value_cases[i].line,
				 (unsigned long long)p.calls[0].gpr[r]);
		assert_true(p.calls[0].set & HCF_REGBIT(r));
		check_round_trip(&p);
		hcf_prog_free(&p);
	}
}

/* How a call head resolves: op, set registers. */
static void test_parse_heads(void **state)
{
	struct fixture *fx = *state;
	struct hcf_prog p;
	parse_ok(&p, fx->abi,
		 "call nr=5\n"                 /* a declared number resolves to its op */
		 "call nr=0x20.3\n"            /* and with a sub-operation */
		 "call nr=0x20.9\n"            /* a declared call, undeclared sub-operation */
		 "call nr=0x2000\n"
		 "call rax=5 rbx=1\n"          /* raw registers: always an undeclared call */
		 "call\n"                      /* nothing at all */
		 "call vec rflags=0x801\n"
		 "buf b0 size=8\n"
		 "call KVM_HC_KICK_CPU override rax=&b0+4\n");
	assert_int_equal(p.ncalls, 8);
	assert_int_equal(p.calls[0].op, 1);
	assert_int_equal(p.calls[0].set, HCF_REGBIT(HCF_RAX));
	assert_int_equal(p.calls[1].op, 3);
	assert_int_equal(p.calls[1].gpr[HCF_RDI], 3);
	assert_int_equal(p.calls[2].op, -1);
	assert_int_equal(p.calls[2].set, HCF_REGBIT(HCF_RAX) | HCF_REGBIT(HCF_RDI));
	assert_int_equal(p.calls[3].op, -1);
	assert_int_equal(p.calls[3].gpr[HCF_RAX], 0x2000);
	assert_int_equal(p.calls[4].op, -1);
	assert_int_equal(p.calls[4].set, HCF_REGBIT(HCF_RAX) | HCF_REGBIT(HCF_RBX));
	assert_int_equal(p.calls[5].op, -1);
	assert_int_equal(p.calls[5].set, 0);
	assert_int_equal(p.calls[5].gpr[HCF_RAX], hcf_sentinel(HCF_RAX, 5));
	assert_true(p.calls[6].capture_vec);
	assert_int_equal(p.calls[6].rflags, 0x801);
	assert_int_equal(p.calls[7].ref[HCF_RAX].buf, 0);
	assert_int_equal(p.calls[7].ref[HCF_RAX].offset, 4);
	check_round_trip(&p);
	hcf_prog_free(&p);
}

static void test_parse_rflags(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *v;
		uint64_t want;
	} cases[] = {
		{ "CF", HCF_X86_RFLAGS_CF }, { "of", HCF_X86_RFLAGS_OF },
		{ "CF|PF|AF|ZF|SF|OF", HCF_RFLAGS_LOADABLE }, { "0x41", 0x41 },
		{ "CF|0x800", 0x801 }, { "0", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[128];
		snprintf(line, sizeof(line), "call KVM_HC_VAPIC_POLL_IRQ rflags=%s", cases[i].v);
		struct hcf_prog p;
		parse_ok(&p, fx->abi, line);
		assert_int_equal(p.calls[0].rflags, cases[i].want);
		check_round_trip(&p);
		hcf_prog_free(&p);
	}
}

static void test_parse_buffers(void **state)
{
	struct fixture *fx = *state;
	struct hcf_prog p;
	parse_ok(&p, fx->abi,
		 "buf raw size=8 dir=out fill=0xff hex=0001\n"
		 "buf n0 struct=node next=&n0 val=-1 small=0xfffffffe tiny=7 hex=aa\n"
		 "buf n1 struct=node size=24 dir=inout next=&n0+8 @16=&raw-4\n"
		 "buf big size=4096 fill=-1\n"
		 "reloc n0 @24=&big+4095 @32=&n1\n"
		 "call HVT_PUTS arg=&n1\n");
	assert_int_equal(p.nbufs, 4);
	const uint8_t raw[8] = { 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	assert_memory_equal(p.bufs[0].init, raw, 8);
	assert_int_equal(p.bufs[0].dir, HCF_DIR_OUT);
	const struct hcf_buf *n0 = &p.bufs[1];
	assert_int_equal(n0->size, 40);
	assert_int_equal(n0->struct_idx, 1);
	assert_int_equal(n0->dir, HCF_DIR_IN);
	assert_int_equal(n0->init[0], 0xaa); /* hex first, fields over it */
	for (int i = 8; i < 16; i++)
		assert_int_equal(n0->init[i], 0xff);
	assert_int_equal(n0->init[16], 0xfe);
	assert_int_equal(n0->init[19], 0xff);
	assert_int_equal(n0->init[20], 7);
	assert_int_equal(n0->nrelocs, 3);
	assert_int_equal(n0->relocs[0].at, 0);
	assert_int_equal(n0->relocs[0].buf, 1); /* itself */
	assert_int_equal(n0->relocs[1].at, 24);
	assert_int_equal(n0->relocs[1].buf, 3);
	assert_int_equal(n0->relocs[1].offset, 4095);
	assert_int_equal(n0->relocs[2].at, 32);
	assert_int_equal(n0->relocs[2].buf, 2);
	const struct hcf_buf *n1 = &p.bufs[2];
	assert_int_equal(n1->size, 24); /* smaller than its struct */
	assert_int_equal(n1->dir, HCF_DIR_INOUT);
	assert_int_equal(n1->relocs[1].at, 16);
	assert_int_equal(n1->relocs[1].offset, -4);
	assert_int_equal(p.bufs[3].init[4095], 0xff);
	assert_int_equal(p.calls[0].ref[HCF_RSI].buf, 2);
	check_round_trip(&p);
	hcf_prog_free(&p);
}

static void test_parse_other_abis(void **state)
{
	struct fixture *fx = *state;
	struct hcf_prog p;
	parse_ok(&p, fx->mask,
		 "abi fast\n"
		 "call sched\n"
		 "call nr=0x40000001\n"          /* with or without the mask */
		 "call nr=1\n"
		 "call nr=0x20.5 port=3\n"
		 "call rax=0x1d\n"                /* the raw number, no mask */
		 "call version\n");
	assert_int_equal(p.calls[0].gpr[HCF_RAX], 0x4000001d);
	assert_int_equal(p.calls[1].op, -1);
	assert_int_equal(p.calls[1].gpr[HCF_RAX], 0x40000001);
	assert_int_equal(p.calls[2].gpr[HCF_RAX], 0x40000001);
	assert_int_equal(p.calls[3].op, 1);
	assert_int_equal(p.calls[3].gpr[HCF_RSI], 3);
	assert_int_equal(p.calls[4].op, -1);
	assert_int_equal(p.calls[4].gpr[HCF_RAX], 0x1d);
	assert_int_equal(p.calls[5].gpr[HCF_RAX], 0x40000000);
	check_round_trip(&p);
	hcf_prog_free(&p);

	/* numbers and sub-operations are checked against the ABI's widths */
	struct hcf_diags d;
	assert_int_equal(parse_str(&p, fx->mask, "call nr=0x100000000", &d), -1);
	assert_int_equal(d.d[0].col, 9);
	assert_non_null(strstr(d.d[0].msg, "does not fit in 32 bits (call number)"));
	assert_int_equal(parse_str(&p, fx->mask, "call nr=0x21.0x100000000", &d), -1);
	assert_int_equal(d.d[0].col, 14);
	assert_non_null(strstr(d.d[0].msg, "does not fit in 32 bits (sub-operation)"));
	/* a sub-operation register wider than sub-operations is an ordinary register */
	hcf_prog_init(&p, fx->mask);
	hcf_pcall_set(hcf_prog_add_call(&p, -1, 0x21), HCF_RDI, 0x100000000ull);
	char *text = hcf_prog_to_text(&p);
	assert_non_null(strstr(text, "call nr=0x21 rdi=0x100000000\n"));
	free(text);
	check_round_trip(&p);
	hcf_prog_free(&p);

	parse_ok(&p, fx->pio,
		 "abi hvt\n"
		 "buf w struct=hvt_walltime dir=out\n"
		 "buf s size=3 hex=616263\n"
		 "buf pu struct=hvt_puts data=&s len=3\n"
		 "call HVT_HYPERCALL_WALLTIME arg=&w\n"
		 "call HVT_HYPERCALL_PUTS eax=&pu\n"
		 "call nr=7 rax=0x1000\n");
	assert_int_equal(p.calls[0].gpr[HCF_RDX], 1);
	assert_int_equal(p.calls[0].ref[HCF_RAX].buf, 0);
	assert_int_equal(p.calls[1].ref[HCF_RAX].buf, 2);
	assert_int_equal(p.calls[2].gpr[HCF_RDX], 7);
	check_round_trip(&p);
	hcf_prog_free(&p);
}

/* ---- errors: each with its line and column ---- */

static const struct {
	const char *text;
	unsigned line, col;
	const char *msg;
} error_cases[] = {
	{ "call NOPE", 1, 6, "unknown op 'NOPE'" },
	{ "call KVM_HC_KICK_CPU foo=1", 1, 22, "unknown register or argument 'foo'" },
	{ "call nr=0x2000 port=1", 1, 16, "unknown register 'port'" },
	{ "call KVM_HC_KICK_CPU rbx=NOPE", 1, 26, "unknown constant 'NOPE'" },
	{ "call KVM_HC_KICK_CPU rbx=-NOPE", 1, 26, "unknown constant 'NOPE'" },
	{ "call KVM_HC_KICK_CPU rbx=&nope", 1, 27, "unknown buffer 'nope'" },
	{ "buf a size=1\nbuf a size=2", 2, 5, "already declared on line 1" },
	{ "call KVM_HC_KICK_CPU rcx=1 apic_id=2", 1, 28, "rcx set twice" },
	{ "call KVM_HC_KICK_CPU rbx=1 rbx=1", 1, 28, "rbx set twice" },
	{ "call KVM_HC_KICK_CPU apic_id=0x1_0000_0000", 1, 30, "does not fit in 32 bits" },
	{ "call KVM_HC_KICK_CPU apic_id=-2147483649", 1, 30, "does not fit in 32 bits" },
	{ "call KVM_HC_KICK_CPU apic_id=BIG", 1, 30, "does not fit in 32 bits" },
	{ "call KVM_HC_KICK_CPU eax=0x100000000", 1, 26, "does not fit in 32 bits" },
	{ "call KVM_HC_KICK_CPU al=-129", 1, 25, "does not fit in 8 bits" },
	{ "call KVM_HC_KICK_CPU al=256", 1, 25, "does not fit in 8 bits" },
	{ "call KVM_HC_KICK_CPU rbx=-9223372036854775809", 1, 26, "does not fit in 64 bits" },
	{ "call KVM_HC_KICK_CPU rbx=18446744073709551616", 1, 26, "does not fit in 64 bits" },
	{ "call KVM_HC_KICK_CPU rbx=0x", 1, 26, "bad number" },
	{ "call KVM_HC_KICK_CPU rbx=12ab", 1, 26, "bad number" },
	{ "call KVM_HC_KICK_CPU rbx=-", 1, 26, "bad value" },
	{ "call KVM_HC_KICK_CPU rbx=", 1, 26, "missing value" },
	{ "call KVM_HC_KICK_CPU rbx", 1, 22, "rbx needs a value" },
	{ "call KVM_HC_KICK_CPU 5", 1, 22, "unexpected '5'" },
	{ "call KVM_HC_KICK_CPU rax=6", 1, 22, "call number (0x5)" },
	{ "call KVM_HC_KICK_CPU eax=6", 1, 22, "needs 'override'" },
	{ "buf b size=8\ncall KVM_HC_KICK_CPU rax=&b", 2, 22, "needs 'override'" },
	{ "call event_channel.status rdi=1", 1, 27, "sub-operation (0x5)" },
	{ "call nr=0x20.9 rdi=1", 1, 16, "sub-operation (0x9)" },
	{ "call nr=0x2000 rax=1", 1, 16, "call number (0x2000)" },
	{ "call nr=32", 1, 9, "has sub-operations" },
	{ "call nr=5.1", 1, 9, "has no sub-operations" },
	{ "call nr=0x20.x", 1, 14, "unknown constant 'x'" },
	{ "call nr=", 1, 9, "missing value" },
	{ "call nr", 1, 6, "nr needs a value" },
	{ "call rbx=1 nr=5", 1, 12, "nr= must come right after" },
	{ "call vec=1", 1, 6, "vec takes no value" },
	{ "call vec vec", 1, 10, "vec given twice" },
	{ "call rflags", 1, 6, "rflags needs a value" },
	{ "call rflags=XF", 1, 13, "bad flag 'XF'" },
	{ "call rflags=CF|", 1, 16, "empty flag" },
	{ "call rflags=CF|ZZ", 1, 16, "bad flag 'ZZ'" },
	{ "call rflags=1 rflags=2", 1, 15, "rflags given twice" },
	{ "abi xen", 1, 5, "program is for ABI 'xen'" },
	{ "abi testabi\nabi testabi", 2, 1, "abi given twice" },
	{ "abi", 1, 1, "expected 'abi NAME'" },
	{ "abi a b", 1, 1, "expected 'abi NAME'" },
	{ "cal x", 1, 1, "unknown line 'cal'" },
	{ "  call=1", 1, 3, "unknown line 'call'" },
	{ "buf", 1, 1, "expected 'buf NAME" },
	{ "buf size=3", 1, 5, "expected 'buf NAME" },
	{ "buf 1x size=1", 1, 5, "bad buffer name '1x'" },
	{ "buf a", 1, 5, "needs size= or struct=" },
	{ "buf a size=0", 1, 12, "size 0 out of range" },
	{ "buf a size=4097", 1, 12, "size 4097 out of range" },
	{ "buf a size=-1", 1, 12, "bad size" },
	{ "buf a size=1 size=2", 1, 14, "size given twice" },
	{ "buf a size", 1, 7, "size needs a value" },
	{ "buf a struct=nope", 1, 14, "unknown struct 'nope'" },
	{ "buf a size=1 dir=sideways", 1, 18, "bad dir 'sideways'" },
	{ "buf a size=1 fill=256", 1, 19, "does not fit in 8 bits" },
	{ "buf a size=1 fill=&a", 1, 19, "not allowed here" },
	{ "buf a size=2 hex=123", 1, 18, "even number of digits" },
	{ "buf a size=2 hex=112233", 1, 18, "hex= has 3 bytes" },
	{ "buf a size=2 hex=1g", 1, 19, "bad hex digit" },
	{ "buf a size=8 foo=1", 1, 14, "raw buffer has no fields" },
	{ "buf a struct=node foo=1", 1, 19, "neither a buffer key nor a field of node" },
	{ "buf a struct=node size=8 val=1", 1, 26, "lies beyond the 8-byte buffer" },
	{ "buf a struct=node small=&a", 1, 19, "a pointer needs 8" },
	{ "buf a struct=node arr=1", 1, 19, "set it with hex=" },
	{ "buf a struct=node tiny=256", 1, 24, "does not fit in 8 bits" },
	{ "buf a struct=node val=1 val=2", 1, 25, "field val set twice" },
	{ "buf a size=16 @9=&a", 1, 15, "does not fit in the 16-byte buffer" },
	{ "buf a size=16 @x=&a", 1, 15, "bad byte offset" },
	{ "buf a size=16 @0xfffffffffffffff9=&a", 1, 15, "does not fit in the 16-byte buffer" },
	{ "buf a size=16 @0=5", 1, 18, "not a buffer reference" },
	{ "buf a size=16 @0=&b", 1, 19, "unknown buffer 'b'" },
	{ "buf a size=16 @0=&a+zz", 1, 21, "bad offset" },
	{ "buf a size=16 @0=&a+0x80000000", 1, 21, "out of range" },
	{ "buf a size=16 @0=&a*2", 1, 20, "unexpected '*'" },
	{ "buf a size=16 @0=&", 1, 18, "expected a buffer name" },
	{ "buf a size=72 @0=&a @8=&a @16=&a @24=&a @32=&a @40=&a @48=&a @56=&a @64=&a", 1, 69,
	  "more than 8 pointers" },
	{ "buf a size=8 x", 1, 14, "expected KEY=VALUE" },
	{ "reloc nope @0=&nope", 1, 7, "unknown buffer 'nope'" },
	{ "buf a size=8\nreloc a @0=5", 2, 12, "not a buffer reference" },
	{ "buf a size=8\nreloc a", 2, 7, "expected 'reloc BUF" },
	{ "buf a struct=node\nreloc a val=1", 2, 13, "pointers only" },
	{ "call\x01", 1, 5, "unexpected byte 0x01" },
	{ "call \xc3\xa9", 1, 6, "unexpected byte 0xc3" },
	{ "call KVM_HC_VAPIC_POLL_IRQ\ncall KVM_HC_KICK_CPU rbx=\x7f", 2, 26,
	  "unexpected byte 0x7f" },
};

static void test_parse_errors(void **state)
{
	struct fixture *fx = *state;
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		struct hcf_prog p;
		struct hcf_diags d;
		int rc = parse_str(&p, fx->abi, error_cases[i].text, &d);
		if (rc != -1 || d.n < 1 || d.d[0].line != error_cases[i].line ||
		    d.d[0].col != error_cases[i].col || !strstr(d.d[0].msg, error_cases[i].msg)) {
			hcf_diags_print(&d, stderr);
			fail_msg("case %zu '%s': want %u:%u '%s'", i, error_cases[i].text,
				 error_cases[i].line, error_cases[i].col, error_cases[i].msg);
		}
		assert_string_equal(d.d[0].file, "t.hcf");
		/* nothing half-built */
		assert_int_equal(p.ncalls, 0);
		assert_int_equal(p.nbufs, 0);
		assert_ptr_equal(p.abi, fx->abi);
		hcf_prog_free(&p);
	}
}

static void test_parse_errors_binary(void **state)
{
	struct fixture *fx = *state;
	struct hcf_prog p;
	struct hcf_diags d;
	static const char nul[] = "call KVM_HC_VAPIC_POLL_IRQ\ncall\0 x\n";
	hcf_diags_init(&d);
	assert_int_equal(hcf_prog_parse(&p, fx->abi, "n", nul, sizeof(nul) - 1, &d), -1);
	assert_int_equal(d.d[0].line, 2);
	assert_int_equal(d.d[0].col, 5);
	assert_non_null(strstr(d.d[0].msg, "NUL byte"));
	assert_int_equal(p.ncalls, 0);

	/* non-ASCII and NUL-free control bytes are fine in comments */
	parse_ok(&p, fx->abi, "call KVM_HC_VAPIC_POLL_IRQ # caf\xc3\xa9 \x01\n");
	hcf_prog_free(&p);
}

static void test_parse_error_cascade(void **state)
{
	struct fixture *fx = *state;
	struct hcf_prog p;
	struct hcf_diags d;
	/* a failed declaration is reported once, not at every use */
	int rc = parse_str(&p, fx->abi,
			   "buf a size=99999\n"
			   "call KVM_HC_KICK_CPU rbx=&a\n"
			   "reloc a @0=&a\n"
			   "call NOPE\n"
			   "call KVM_HC_KICK_CPU apic_id=-1 rbx=&a\n", &d);
	assert_int_equal(rc, -1);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.d[0].line, 1);
	assert_int_equal(d.d[1].line, 4);
	assert_int_equal(p.ncalls, 0);
	assert_int_equal(p.nbufs, 0);
	/* a failure after the buffer was added poisons it too */
	rc = parse_str(&p, fx->abi, "buf a size=8 hex=zz\ncall KVM_HC_KICK_CPU rbx=&a\n", &d);
	assert_int_equal(rc, -1);
	assert_int_equal(d.n, 1);
	/* diagnostics stop at the limit; the count of the rest is kept */
	char *many = malloc(100 * 12 + 1);
	many[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(many, "call NOPE1\n");
	rc = parse_str(&p, fx->abi, many, &d);
	assert_int_equal(rc, -1);
	assert_int_equal(d.n, HCF_DIAG_MAX);
	free(many);
}

static void test_limits(void **state)
{
	struct fixture *fx = *state;
	struct hcf_prog p;
	struct hcf_diags d;

	/* buffers */
	size_t cap = (HCF_PROG_MAX_BUFS + 1) * 24 + 1;
	char *text = malloc(cap);
	size_t len = 0;
	for (unsigned i = 0; i <= HCF_PROG_MAX_BUFS; i++)
		len += (size_t)snprintf(text + len, cap - len, "buf x%u size=1\n", i);
	assert_int_equal(parse_str(&p, fx->abi, text, &d), -1);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].line, HCF_PROG_MAX_BUFS + 1);
	assert_non_null(strstr(d.d[0].msg, "more than 64 buffers"));
	free(text);

	/* calls */
	static const char line[] = "call KVM_HC_VAPIC_POLL_IRQ\n";
	size_t n = HCF_PROG_MAX_CALLS + 1;
	text = malloc(n * (sizeof(line) - 1) + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(text + i * (sizeof(line) - 1), line, sizeof(line) - 1);
	text[n * (sizeof(line) - 1)] = '\0';
	assert_int_equal(parse_str(&p, fx->abi, text, &d), -1);
	assert_int_equal(d.d[0].line, HCF_PROG_MAX_CALLS + 1);
	assert_non_null(strstr(d.d[0].msg, "more than 65536 calls"));
	assert_int_equal(p.ncalls, 0);
	/* exactly the limit is fine */
	text[HCF_PROG_MAX_CALLS * (sizeof(line) - 1)] = '\0';
	parse_ok(&p, fx->abi, text);
	assert_int_equal(p.ncalls, HCF_PROG_MAX_CALLS);
	hcf_prog_free(&p);
	free(text);

	/* line length: the longest line is fine, one byte more is not */
	text = malloc(HCF_PROG_TEXT_MAX_LINE + 2);
	memset(text, ' ', HCF_PROG_TEXT_MAX_LINE + 1);
	memcpy(text, "call", 4);
	text[HCF_PROG_TEXT_MAX_LINE] = '\0';
	parse_ok(&p, fx->abi, text);
	hcf_prog_free(&p);
	text[HCF_PROG_TEXT_MAX_LINE] = ' ';
	text[HCF_PROG_TEXT_MAX_LINE + 1] = '\0';
	assert_int_equal(parse_str(&p, fx->abi, text, &d), -1);
	assert_int_equal(d.d[0].col, HCF_PROG_TEXT_MAX_LINE + 1);
	assert_non_null(strstr(d.d[0].msg, "line longer than"));
	free(text);

	/* items on one line */
	text = malloc(5 + 600 * 6 + 1);
	strcpy(text, "call ");
	for (int i = 0; i < 600; i++)
		strcat(text, "rax=1 ");
	assert_int_equal(parse_str(&p, fx->abi, text, &d), -1);
	assert_non_null(strstr(d.d[0].msg, "items on one line"));
	free(text);

	/* whole text */
	hcf_diags_init(&d);
	assert_int_equal(hcf_prog_parse(&p, fx->abi, "big", "", (size_t)HCF_PROG_TEXT_MAX + 1, &d),
			 -1);
	assert_non_null(strstr(d.d[0].msg, "larger than"));
}

/* ---- printing ---- */

static void test_print_canonical(void **state)
{
	struct fixture *fx = *state;
	struct hcf_prog p;
	parse_ok(&p, fx->abi,
		 "buf s size=5 hex=68656c6c6f\n"
		 "buf pu struct=hvt_puts len=5 data=&s\n"
		 "buf tail size=16 dir=out fill=0xee hex=01\n"
		 "call KVM_HC_KICK_CPU apic_id=5 flags=0 rflags=ZF|CF\n"
		 "call nr=0x2000 rbx=1 vec\n"
		 "call HVT_PUTS arg=&pu\n"
		 "call narrow rbx=0x1ff rdx=0 r9=3 r8=4\n"
		 "call KVM_HC_KICK_CPU override rax=-1 rcx=0xdeadbeef00000001\n"
		 "call nr=5 override rax=0x20 rdi=5\n"
		 "call rax=0x5\n");
	char *text = hcf_prog_to_text(&p);
	assert_non_null(text);
	static const char want[] =
		"# hcfuzz program: 7 calls, 3 buffers\n"
		"abi testabi\n"
		"buf b0 size=5 dir=in hex=68656c6c6f\n"
		"buf b1 size=16 struct=hvt_puts dir=in hex=000000000000000005 data=&b0\n"
		"buf b2 size=16 dir=out fill=0xee hex=01\n"
		"call KVM_HC_KICK_CPU flags=0x0 apic_id=0x5 rflags=CF|ZF\n"
		"call nr=0x2000 rbx=0x1 vec\n"
		"call HVT_PUTS arg=&b1\n"
		"call narrow rbx=0x1ff d32=0x0 r8=0x4 r9=0x3\n"
		"call KVM_HC_KICK_CPU override rcx=0xdeadbeef00000001 rax=0xffffffffffffffff\n"
		"call KVM_HC_KICK_CPU override rax=0x20 rdi=0x5\n"
		"call rax=0x5\n";
	if (strcmp(text, want))
		fprintf(stderr, "got:\n%s", text);
	assert_string_equal(text, want);
	free(text);
	check_round_trip(&p);
	hcf_prog_free(&p);
}

static void test_print_forward_relocs(void **state)
{
	struct fixture *fx = *state;
	struct hcf_prog p;
	hcf_prog_init(&p, fx->abi);
	assert_int_equal(hcf_prog_add_buf(&p, 16, 0, HCF_DIR_IN, NULL), 0);
	assert_int_equal(hcf_prog_add_buf(&p, 8, -1, HCF_DIR_OUT, NULL), 1);
	assert_int_equal(hcf_prog_add_reloc(&p, 0, 8, 0, -8), 0);
	assert_int_equal(hcf_prog_add_reloc(&p, 0, 0, 1, 0), 0); /* to a later buffer */
	assert_int_equal(hcf_prog_add_reloc(&p, 1, 0, 0, 3), 0);
	char *text = hcf_prog_to_text(&p);
	assert_non_null(text);
	assert_non_null(strstr(text, "buf b0 size=16 struct=hvt_puts dir=in\n"));
	assert_non_null(strstr(text, "buf b1 size=8 dir=out @0=&b0+3\n"));
	assert_non_null(strstr(text, "reloc b0 len=&b0-8 data=&b1\n"));
	free(text);
	check_round_trip(&p);
	hcf_prog_free(&p);
}

static void test_print_invalid(void **state)
{
	struct fixture *fx = *state;
	struct hcf_prog p;
	hcf_prog_init(&p, fx->abi);
	struct hcf_pcall *c = hcf_prog_add_call(&p, 1, 0);
	hcf_pcall_set_ref(c, HCF_RBX, 3, 0); /* no such buffer */
	errno = 0;
	assert_null(hcf_prog_to_text(&p));
	FILE *f = tmpfile();
	assert_int_equal(hcf_prog_print(&p, f), -1);
	assert_int_equal(ftell(f), 0);
	fclose(f);
	/* an op call whose number register is not set has no spelling */
	hcf_pcall_set(c, HCF_RBX, 0);
	c->set &= (hcf_regmask_t)~HCF_REGBIT(HCF_RAX);
	assert_null(hcf_prog_to_text(&p));
	c->set |= HCF_REGBIT(HCF_RAX);
	f = tmpfile();
	assert_int_equal(hcf_prog_print(&p, f), 0);
	assert_true(ftell(f) > 0);
	fclose(f);
	hcf_prog_free(&p);
}

/* ---- round trips: hand-written, then random programs ---- */

static void test_round_trip_handwritten(void **state)
{
	struct fixture *fx = *state;
	static const char *const texts[] = {
		example,
		"",
		"# only a comment\n\n",
		"call\ncall\ncall vec\n",
		"buf a size=4096 dir=inout hex=00ff00\ncall nr=0xffffffffffffffff rsi=&a+4095\n",
		"buf a size=16 @8=&a-2147483648\ncall KVM_HC_KICK_CPU rbx=&a-1 rcx=&a+2147483647\n",
		"call event_channel.close port=-1\n",
		"call narrow b8=1 w16=2 d32=3 r8=4 r9=5\n",
		"buf a size=1 fill=1\nbuf b size=9 fill=2\nbuf c size=8 hex=0102030405060708\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct hcf_prog p;
		parse_ok(&p, fx->abi, texts[i]);
		check_round_trip(&p);
		hcf_prog_free(&p);
	}
}

/* A random program built through the API the fuzzing decoder uses. */
static void random_prog(struct hcf_prog *p, const struct hcf_abi *abi, uint64_t *s)
{
	hcf_prog_init(p, abi);
	size_t nbufs = rnd(s) % 50 == 0 ? HCF_PROG_MAX_BUFS : rnd(s) % 6;
	for (size_t i = 0; i < nbufs; i++) {
		int sidx = abi->nstructs && rnd(s) % 2 ? (int)(rnd(s) % abi->nstructs) : -1;
		uint32_t size;
		switch (rnd(s) % 5) {
		case 0: size = 1; break;
		case 1: size = sidx >= 0 ? abi->structs[sidx].size : 8; break;
		case 2: size = HCF_BUF_MAX; break;
		default: size = (uint32_t)(rnd(s) % HCF_BUF_MAX) + 1; break;
		}
		if (nbufs == HCF_PROG_MAX_BUFS)
			size = (uint32_t)(rnd(s) % 64) + 1;
		uint8_t *init = malloc(size);
		unsigned pat = (unsigned)(rnd(s) % 5);
		uint8_t fill = (uint8_t)rnd(s);
		for (uint32_t j = 0; j < size; j++) {
			switch (pat) {
			case 0: init[j] = 0; break;
			case 1: init[j] = (uint8_t)rnd(s); break;
			case 2: init[j] = rnd(s) % 16 == 0 ? (uint8_t)rnd(s) : 0; break;
			case 3: init[j] = j < size / 2 ? (uint8_t)rnd(s) : fill; break;
			default: init[j] = fill; break;
			}
		}
		enum hcf_dir dirs[3] = { HCF_DIR_IN, HCF_DIR_OUT, HCF_DIR_INOUT };
		assert_int_equal(hcf_prog_add_buf(p, size, sidx, dirs[rnd(s) % 3], init), (int)i);
		free(init);
	}
	for (size_t i = 0; i < nbufs; i++) {
		uint32_t size = p->bufs[i].size;
		size_t nr = size >= 8 ? rnd(s) % (HCF_BUF_MAX_RELOCS + 1) : 0;
		for (size_t j = 0; j < nr; j++) {
			uint32_t at;
			const struct hcf_struct *st = p->bufs[i].struct_idx >= 0
				? &abi->structs[p->bufs[i].struct_idx] : NULL;
			if (st && st->nfields && rnd(s) % 2)
				at = st->fields[rnd(s) % st->nfields].offset;
			else
				at = (uint32_t)(rnd(s) % (size - 7));
			if (at + 8 > size)
				at = 0;
			int32_t off = rnd(s) % 3 == 0 ? (int32_t)(uint32_t)rnd(s)
						      : (int32_t)(rnd(s) % 64) - 8;
			assert_int_equal(hcf_prog_add_reloc(p, (int)i, at, (int)(rnd(s) % nbufs), off), 0);
		}
	}
	size_t ncalls = rnd(s) % 8;
	for (size_t i = 0; i < ncalls; i++) {
		int op = (int)(rnd(s) % (abi->nops + 1)) - 1;
		struct hcf_pcall *c = hcf_prog_add_call(p, op, rnd_value(s, abi));
		assert_non_null(c);
		unsigned nset = (unsigned)(rnd(s) % 8);
		if (rnd(s) % 20 == 0)
			nset = 40;
		for (unsigned k = 0; k < nset; k++) {
			unsigned r = (unsigned)(rnd(s) % HCF_NGPR);
			if (op >= 0 && rnd(s) % 2) {
				/* often an argument's register, so that names get printed */
				const struct hcf_op *o = &abi->ops[op];
				if (o->nargs)
					r = o->args[rnd(s) % o->nargs].reg;
			}
			if (nbufs && rnd(s) % 4 == 0)
				hcf_pcall_set_ref(c, r, (int)(rnd(s) % nbufs),
						  rnd(s) % 4 ? (int32_t)(rnd(s) % 4096)
							     : (int32_t)(uint32_t)rnd(s));
			else
				hcf_pcall_set(c, r, rnd_value(s, abi));
		}
		switch (rnd(s) % 4) {
		case 0: c->rflags = 0; break;
		case 1: c->rflags = rnd(s) & HCF_RFLAGS_LOADABLE; break;
		case 2: c->rflags = rnd(s); break;
		default: break;
		}
		c->capture_vec = rnd(s) % 3 == 0;
	}
	if (p->ncalls > 2 && rnd(s) % 4 == 0)
		hcf_prog_remove_call(p, rnd(s) % p->ncalls);
}

static void test_round_trip_random(void **state)
{
	struct fixture *fx = *state;
	const struct hcf_abi *abis[3] = { fx->abi, fx->mask, fx->pio };
	/* every spelling the printer has must come up, or the test proves little */
	static const char *const spellings[] = {
		"\ncall r", "call nr=", "call nr=0x20.", " override ", "\nreloc ",
		" fill=", " hex=", " @", "=&b", " data=&b", " apic_id=", " port=", " arg=&",
		" rflags=CF", " rflags=0x", " vec\n", "-", " struct=", " dir=out", " dir=inout",
	};
	size_t seen[sizeof(spellings) / sizeof(spellings[0])] = { 0 };
	uint64_t s = 0x70726f67ull;
	for (int i = 0; i < 2000; i++) {
		struct hcf_prog p;
		random_prog(&p, abis[i % 3], &s);
		assert_int_equal(hcf_prog_validate(&p, NULL, 0), 0);
		check_round_trip(&p);
		char *text = hcf_prog_to_text(&p);
		for (size_t k = 0; k < sizeof(spellings) / sizeof(spellings[0]); k++)
			seen[k] += strstr(text, spellings[k]) != NULL;
		free(text);
		hcf_prog_free(&p);
	}
	for (size_t k = 0; k < sizeof(spellings) / sizeof(spellings[0]); k++)
		if (!seen[k])
			fail_msg("no random program was printed with '%s'", spellings[k]);
}

/* ---- hostile input ---- */

static void check_parse_total(const struct hcf_abi *abi, const char *text, size_t len)
{
	struct hcf_prog p;
	struct hcf_diags d;
	hcf_diags_init(&d);
	int rc = hcf_prog_parse(&p, abi, "g", text, len, &d);
	if (rc == 0) {
		check_round_trip(&p);
	} else {
		assert_int_equal(rc, -1);
		assert_true(d.n >= 1);
		assert_int_equal(p.ncalls, 0);
		assert_int_equal(p.nbufs, 0);
		for (unsigned i = 0; i < d.n; i++)
			assert_true(d.d[i].line >= 1 && d.d[i].line <= len + 1);
	}
	hcf_prog_free(&p);
}

static void test_garbage(void **state)
{
	struct fixture *fx = *state;
	static const char *const words[] = {
		"call ", "buf ", "reloc ", "abi ", "testabi", "KVM_HC_KICK_CPU ", "nr=", "rax=", "eax=",
		"apic_id=", "&b0", "&a+", "-", "0x", "ff", "123", "=", "|", "CF", "rflags=", "vec ",
		"override ", "size=", "struct=node ", "hex=", "fill=", "dir=", "@8=", "next=", " ",
		"\t", "\n", "#", "\0", "\xff", "event_channel.status ", ".", "KVM_ENOSYS", "-NEGK",
	};
	uint64_t s = 0x67617262ull;
	char *buf = malloc(8192);
	for (int i = 0; i < 3000; i++) {
		size_t len = 0, want = rnd(&s) % 600;
		if (i % 2) {
			while (len < want) /* pure noise */
				buf[len++] = (char)rnd(&s);
		} else {
			while (len < want) { /* plausible words */
				const char *w = words[rnd(&s) % (sizeof(words) / sizeof(words[0]))];
				size_t wl = strlen(w) ? strlen(w) : 1;
				if (len + wl > 8192)
					break;
				memcpy(buf + len, w, wl);
				len += wl;
			}
		}
		check_parse_total(fx->abi, buf, len);
		check_parse_total(fx->pio, buf, len);
	}
	free(buf);

	/* one very long line, no newline at all */
	size_t big = 4u << 20;
	char *huge = malloc(big);
	for (size_t i = 0; i < big; i++)
		huge[i] = (char)('a' + i % 26);
	check_parse_total(fx->abi, huge, big);
	/* NULs everywhere */
	memset(huge, 0, big);
	check_parse_total(fx->abi, huge, big);
	/* many empty lines */
	memset(huge, '\n', big);
	check_parse_total(fx->abi, huge, big);
	free(huge);
}

/* Valid programs with a few bytes changed: parsed or rejected, never half-built. */
static void test_mutated_programs(void **state)
{
	struct fixture *fx = *state;
	const struct hcf_abi *abis[3] = { fx->abi, fx->mask, fx->pio };
	uint64_t s = 0x6d757461ull;
	for (int i = 0; i < 600; i++) {
		struct hcf_prog p;
		random_prog(&p, abis[i % 3], &s);
		char *text = hcf_prog_to_text(&p);
		assert_non_null(text);
		size_t len = strlen(text);
		for (int m = 0; m < 4; m++) {
			char *t = malloc(len + 2);
			memcpy(t, text, len + 1);
			size_t at = len ? rnd(&s) % len : 0;
			size_t tl = len;
			switch (rnd(&s) % 3) {
			case 0: t[at] = (char)rnd(&s); break;
			case 1: memmove(t + at, t + at + 1, len - at); tl--; break;
			default:
				memmove(t + at + 1, t + at, len - at + 1);
				t[at] = "0123456789abcdefx&+-=|.# \n"[rnd(&s) % 26];
				tl++;
				break;
			}
			check_parse_total(abis[i % 3], t, tl);
			free(t);
		}
		free(text);
		hcf_prog_free(&p);
	}
}

/* ---- files ---- */

static void test_parse_file(void **state)
{
	struct fixture *fx = *state;
	const char *src = getenv("HCF_SOURCE_DIR");
	if (!src)
		skip();
	char path[1024];
	struct hcf_prog p;
	struct hcf_diags d;
	snprintf(path, sizeof(path), "%s/tests/fixtures/programs/testabi-example.hcf", src);
	hcf_diags_init(&d);
	int rc = hcf_prog_parse_file(&p, fx->abi, path, &d);
	if (rc)
		hcf_diags_print(&d, stderr);
	assert_int_equal(rc, 0);
	assert_true(p.ncalls >= 5);
	check_round_trip(&p);
	hcf_prog_free(&p);

	snprintf(path, sizeof(path), "%s/tests/fixtures/programs/testabi-errors.hcf", src);
	hcf_diags_init(&d);
	assert_int_equal(hcf_prog_parse_file(&p, fx->abi, path, &d), -1);
	assert_true(d.n >= 3);
	assert_non_null(strstr(d.d[0].file, "testabi-errors.hcf"));
	assert_int_equal(p.ncalls, 0);

	hcf_diags_init(&d);
	assert_int_equal(hcf_prog_parse_file(&p, fx->abi, "/nonexistent/x.hcf", &d), -1);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].line, 0);
}

/* An ABI with a magic register (vmware-backdoor: eax): a raw call leaves it
 * unset, sentinel and all; an undeclared call without it prints raw, since
 * nr=N would set it. */
static void test_magic_unset(void **state)
{
	(void)state;
	const char *src = getenv("HCF_SOURCE_DIR");
	if (!src)
		skip();
	char path[1024];
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	snprintf(path, sizeof(path), "%s/specs/vmware-backdoor.yaml", src);
	assert_int_equal(hcf_spec_load(path, &abi, &d), 0);
	struct hcf_prog p;
	const char *raw = "call rcx=0x5\n";
	assert_int_equal(hcf_prog_parse(&p, abi, "raw", raw, strlen(raw), &d), 0);
	assert_int_equal(p.calls[0].set, HCF_REGBIT(HCF_RCX));
	assert_true(p.calls[0].gpr[HCF_RAX] == hcf_sentinel(HCF_RAX, 0));
	check_round_trip(&p);
	hcf_prog_free(&p);

	hcf_prog_init(&p, abi);
	struct hcf_pcall *c = hcf_prog_add_call(&p, -1, 0x57);
	c->set &= (hcf_regmask_t)~HCF_REGBIT(HCF_RAX);
	c->gpr[HCF_RAX] = hcf_sentinel(HCF_RAX, 0);
	char *text = hcf_prog_to_text(&p);
	assert_non_null(text);
	assert_null(strstr(text, "nr="));
	free(text);
	check_round_trip(&p);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

/* A program for the real KVM spec, loaded by the spec loader. */
static void test_kvm_spec_fixture(void **state)
{
	(void)state;
	const char *src = getenv("HCF_SOURCE_DIR");
	if (!src)
		skip();
	char path[1024];
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	snprintf(path, sizeof(path), "%s/specs/kvm.yaml", src);
	int rc = hcf_spec_load(path, &abi, &d);
	if (rc)
		hcf_diags_print(&d, stderr);
	assert_int_equal(rc, 0);
	struct hcf_prog p;
	snprintf(path, sizeof(path), "%s/tests/fixtures/programs/kvm-basics.hcf", src);
	hcf_diags_init(&d);
	rc = hcf_prog_parse_file(&p, abi, path, &d);
	if (rc)
		hcf_diags_print(&d, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(p.ncalls, 7);
	assert_int_equal(p.nbufs, 1);
	const struct hcf_op *pairing = hcf_spec_op_by_name(abi, "KVM_HC_CLOCK_PAIRING");
	assert_non_null(pairing);
	const struct hcf_pcall *c = &p.calls[3];
	assert_int_equal(c->op, (int)(pairing - abi->ops));
	assert_int_equal(c->gpr[HCF_RAX], 9);
	assert_int_equal(c->ref[HCF_RBX].buf, 0);
	assert_int_equal(p.calls[4].ref[HCF_RBX].offset, 60);
	assert_int_equal(p.calls[2].gpr[HCF_RCX], 0xdeadbeef00000000ull);
	assert_int_equal(p.calls[6].op, -1);
	assert_int_equal(hcf_pcall_nr(&p, &p.calls[6]), 0x2a);
	check_round_trip(&p);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_example),
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_parse_heads),
		cmocka_unit_test(test_parse_rflags),
		cmocka_unit_test(test_parse_buffers),
		cmocka_unit_test(test_parse_other_abis),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_errors_binary),
		cmocka_unit_test(test_parse_error_cascade),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_print_canonical),
		cmocka_unit_test(test_print_forward_relocs),
		cmocka_unit_test(test_print_invalid),
		cmocka_unit_test(test_round_trip_handwritten),
		cmocka_unit_test(test_round_trip_random),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_mutated_programs),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_kvm_spec_fixture),
		cmocka_unit_test(test_magic_unset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
