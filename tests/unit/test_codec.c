/* test_codec.c: the fuzzing codec: total decoding, round trips through bytes and text, the canonical
 * encoding, limits, the spec-driven weighting, edge ABIs and the real specs. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "abi_build.h"
#include "rand_prog.h"

#include "prog/codec.h"
#include "prog/prog.h"

/* Rounds of the property runs. Under ASan and UBSan (HCF_SANITIZED, set by
 * tests/CMakeLists.txt for an HCF_SANITIZE build) a round costs 20 to 40 times
 * as much, and the full runs made .ci/run's ASan stage half an hour long: there
 * each run does a fiftieth of its rounds, still on every ABI; the normal build
 * does them all. */
#ifdef HCF_SANITIZED
#define ROUNDS(n) ((n) / 50)
#define FIXED_STRIDE 8 /* each ABI an eighth of the constant bytes, all of them among the ABIs */
#else
#define ROUNDS(n) (n)
#define FIXED_STRIDE 1
#endif

#define NRANDOM ROUNDS(20000) /* random inputs per ABI */

/* ---- ABIs ---------------------------------------------------------------- */

/* Every kind of input: narrow, hinted, pointers to structs with nested
 * pointers, pointer/length pairs and arrays; sub-operations; constants; an op
 * whose arguments share a register, sit in rsp and in the number register. */
static struct hcf_abi *rich_abi(void)
{
	struct hcf_abi *abi = abi_new("rich", HCF_XPORT_NATIVE, HCF_RAX, 64, 0, HCF_RDI);
	abi->err = HCF_ERR_NEG_ERRNO;
	int puts = abi_struct(abi, "puts", 16);
	abi_field(abi, puts, "data", 0, 8, HCF_DIR_IN, -1, 1);
	abi_field(abi, puts, "len", 8, 8, HCF_DIR_IN, -1, -1);
	int node = abi_struct(abi, "node", 48);
	abi_field(abi, node, "next", 0, 8, HCF_DIR_IN, node, -1);
	abi_field(abi, node, "val", 8, 8, HCF_DIR_INOUT, -1, -1);
	abi_field(abi, node, "small", 16, 4, HCF_DIR_IN, -1, -1);
	abi_field(abi, node, "tiny", 20, 1, HCF_DIR_IN, -1, -1);
	abi_field(abi, node, "arr", 24, 16, HCF_DIR_OUT, -1, -1);
	abi_field(abi, node, "up", 40, 8, HCF_DIR_IN, puts, -1);
	int req = abi_struct(abi, "req", 32);
	abi_field(abi, req, "len", 0, 4, HCF_DIR_IN, -1, -1);
	abi_field(abi, req, "status", 4, 4, HCF_DIR_OUT, -1, -1);
	abi_field(abi, req, "buf", 8, 8, HCF_DIR_IN, -1, 0);
	abi_field(abi, req, "next", 16, 8, HCF_DIR_IN, node, -1);
	abi_field(abi, req, "result", 24, 8, HCF_DIR_INOUT, -1, -1);

	abi_op(abi, "ping", NULL, 1, 0);
	int kick = abi_op(abi, "kick", NULL, 5, 0);
	abi_arg(abi, kick, "flags", HCF_RBX, 64, HCF_DIR_IN, -1);
	abi_hint(abi, kick, 0, 0, 3);
	abi_arg(abi, kick, "apic_id", HCF_RCX, 32, HCF_DIR_IN, -1);
	abi_hint(abi, kick, 1, -1, -1);
	int st = abi_op(abi, "ev", "status", 32, 5);
	abi_arg(abi, st, "port", HCF_RSI, 32, HCF_DIR_IN, -1);
	abi_arg(abi, st, "result", HCF_RDX, 64, HCF_DIR_OUT, -1);
	int cl = abi_op(abi, "ev", "close", 32, 3);
	abi_arg(abi, cl, "port", HCF_RSI, 32, HCF_DIR_IN, -1);
	int p = abi_op(abi, "puts", NULL, 0x30, 0);
	abi_arg(abi, p, "arg", HCF_RSI, 64, HCF_DIR_IN, puts);
	int nw = abi_op(abi, "narrow", NULL, 0x31, 0);
	abi_arg(abi, nw, "b8", HCF_RBX, 8, HCF_DIR_IN, -1);
	abi_arg(abi, nw, "w16", HCF_RCX, 16, HCF_DIR_IN, -1);
	abi_arg(abi, nw, "d32", HCF_RDX, 32, HCF_DIR_INOUT, -1);
	abi_arg(abi, nw, "out", HCF_R8, 64, HCF_DIR_OUT, -1);
	int tr = abi_op(abi, "tree", NULL, 0x32, 0);
	abi_arg(abi, tr, "root", HCF_RBX, 64, HCF_DIR_IN, node);
	abi_arg(abi, tr, "rq", HCF_RCX, 64, HCF_DIR_IN, req);
	int dup = abi_op(abi, "dup", NULL, 0x33, 0);
	abi_arg(abi, dup, "a", HCF_RBX, 64, HCF_DIR_IN, -1);
	abi_arg(abi, dup, "b", HCF_RBX, 32, HCF_DIR_IN, -1);
	abi_arg(abi, dup, "sp", HCF_RSP, 64, HCF_DIR_IN, -1);
	abi_arg(abi, dup, "num", HCF_RAX, 64, HCF_DIR_INOUT, -1);
	abi_arg(abi, dup, "sub", HCF_RDI, 64, HCF_DIR_IN, -1); /* no subop here: an argument */

	abi_const(abi, "ENOSYS", 38);
	abi_const(abi, "EINVAL", 22);
	abi_const(abi, "NEG", -5);
	abi_const(abi, "BIG", 0x100000000ll);
	return abi;
}

/* FastABI-like: OR mask, 32-bit numbers, sub-operations in rdi, and an op
 * without sub-operations whose argument is in rdi. */
static struct hcf_abi *mask_abi(void)
{
	struct hcf_abi *abi = abi_new("fast", HCF_XPORT_VMCALL, HCF_RAX, 32, 0x40000000, HCF_RDI);
	abi->subop_width = 32;
	int sc = abi_op(abi, "sched", NULL, 29, 0);
	abi_arg(abi, sc, "cmd", HCF_RDI, 64, HCF_DIR_IN, -1);
	int st = abi_op(abi, "event_channel", "status", 32, 5);
	abi_arg(abi, st, "port", HCF_RSI, 32, HCF_DIR_IN, -1);
	abi_op(abi, "event_channel", "close", 32, 3);
	abi_op(abi, "version", NULL, 0, 0);
	return abi;
}

/* hvt-like: port I/O at 0x500, number in rdx, a pointer in eax. */
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
	int wt = abi_op(abi, "walltime", NULL, 1, 0);
	abi_arg(abi, wt, "arg", HCF_RAX, 32, HCF_DIR_IN, w);
	int pu = abi_op(abi, "puts", NULL, 2, 0);
	abi_arg(abi, pu, "arg", HCF_RAX, 32, HCF_DIR_IN, puts);
	return abi;
}

/* Port I/O from port 0: the agent's doorbell and console ports lie in it. */
static struct hcf_abi *pio_low_abi(void)
{
	struct hcf_abi *abi = abi_new("piolow", HCF_XPORT_PIO, HCF_RDX, 16, 0, HCF_REG_NONE);
	abi->transport.width = 1;
	int a = abi_op(abi, "a", NULL, 0xe7, 0);
	abi_arg(abi, a, "v", HCF_RAX, 8, HCF_DIR_IN, -1);
	abi_op(abi, "b", NULL, 0xea, 0);
	return abi;
}

/* MMIO whose window lies in guest RAM: no undeclared number is safe. */
static struct hcf_abi *mmio_ram_abi(void)
{
	struct hcf_abi *abi = abi_new("mmioram", HCF_XPORT_MMIO, HCF_RDX, 64, 0, HCF_REG_NONE);
	abi->transport.mmio_base = 0x1000;
	abi->transport.mmio_scale = 4;
	abi->transport.width = 4;
	int go = abi_op(abi, "go", NULL, 2, 0);
	abi_arg(abi, go, "v", HCF_RAX, 32, HCF_DIR_IN, -1);
	return abi;
}

static struct hcf_abi *mmio_abi(void)
{
	struct hcf_abi *abi = abi_new("mmio", HCF_XPORT_MMIO, HCF_RDX, 64, 0, HCF_REG_NONE);
	abi->transport.mmio_base = 0xfe000000;
	abi->transport.mmio_scale = 8;
	abi->transport.width = 8;
	int go = abi_op(abi, "go", NULL, 2, 0);
	abi_arg(abi, go, "v", HCF_RAX, 64, HCF_DIR_IN, -1);
	return abi;
}

static struct hcf_abi *empty_abi(void)
{
	return abi_new("empty", HCF_XPORT_VMCALL, HCF_RAX, 64, 0, HCF_REG_NONE);
}

/* No ops, but a mask and a sub-operation register. */
static struct hcf_abi *empty_mask_abi(void)
{
	struct hcf_abi *abi = abi_new("emptymask", HCF_XPORT_VMCALL, HCF_RAX, 32, 0x40000000,
				      HCF_RDI);
	abi->subop_width = 16;
	return abi;
}

static struct hcf_abi *noargs_abi(void)
{
	struct hcf_abi *abi = abi_new("noargs", HCF_XPORT_VMCALL, HCF_RAX, 64, 0, HCF_REG_NONE);
	abi_op(abi, "only", NULL, 0, 0);
	return abi;
}

/* More ops than one selector byte names. */
static struct hcf_abi *many_abi(void)
{
	struct hcf_abi *abi = abi_new("many", HCF_XPORT_VMCALL, HCF_RAX, 64, 0, HCF_REG_NONE);
	for (int i = 0; i < 300; i++) {
		char name[32];
		snprintf(name, sizeof(name), "op%d", i);
		int o = abi_op(abi, name, NULL, (uint64_t)i * 2, 0);
		abi_arg(abi, o, "x", HCF_RBX, 64, HCF_DIR_IN, -1);
	}
	return abi;
}

static struct hcf_abi *hcpage_abi(void)
{
	struct hcf_abi *abi = abi_new("hcpage", HCF_XPORT_HCPAGE, HCF_RAX, 64, 0, HCF_REG_NONE);
	abi->transport.hcpage_stride = 32;
	for (int i = 0; i < 4; i++) {
		char name[32];
		snprintf(name, sizeof(name), "entry%d", i);
		int o = abi_op(abi, name, NULL, (uint64_t)i, 0);
		abi_arg(abi, o, "a", HCF_RDI, 64, HCF_DIR_IN, -1);
	}
	return abi;
}

/* Odd shapes a loader would hardly produce: no number register, empty and
 * oversized structs, fields outside their struct or of size 0, broken
 * pointer and length links, widths of 0, an argument register out of range. */
static struct hcf_abi *odd_abi(void)
{
	struct hcf_abi *abi = abi_new("odd", HCF_XPORT_SYSCALL, HCF_REG_NONE, 0, 0, HCF_R15);
	abi->subop_width = 8;
	int z = abi_struct(abi, "zero", 0);
	int big = abi_struct(abi, "big", 9000);
	abi_field(abi, big, "far", 8990, 8, HCF_DIR_IN, -1, -1);
	abi_field(abi, big, "empty", 0, 0, HCF_DIR_IN, -1, -1);
	abi_field(abi, big, "self", 8, 8, HCF_DIR_IN, -1, 1);
	abi_field(abi, big, "badlen", 16, 8, HCF_DIR_IN, -1, 99);
	abi_field(abi, big, "badptr", 24, 8, HCF_DIR_IN, 99, -1);
	abi_field(abi, big, "lenout", 32, 8, HCF_DIR_IN, -1, 0);
	abi_field(abi, big, "huge", 4000, 200, HCF_DIR_IN, -1, -1);
	int o = abi_op(abi, "a", "x", 7, 1);
	abi_arg(abi, o, "p", HCF_RBX, 0, HCF_DIR_IN, big);
	abi_arg(abi, o, "q", HCF_RCX, 64, HCF_DIR_IN, z);
	abi_arg(abi, o, "r", 20, 64, HCF_DIR_IN, -1);
	abi_arg(abi, o, "s", HCF_R15, 8, HCF_DIR_IN, -1);
	abi_op(abi, "a", "y", 7, 0xff);
	return abi;
}

struct named_abi {
	const char *name;
	struct hcf_abi *abi;
	bool text;       /* the text format can spell its programs */
};

#define MAX_ABIS 32

struct fixture {
	struct named_abi abis[MAX_ABIS];
	size_t n;
};

static void add_abi(struct fixture *fx, const char *name, struct hcf_abi *abi, bool text)
{
	assert_true(fx->n < MAX_ABIS);
	fx->abis[fx->n++] = (struct named_abi){ name, abi, text };
}

static struct hcf_abi *load_spec(const char *rel)
{
	const char *src = getenv("HCF_SOURCE_DIR");
	if (!src)
		return NULL;
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", src, rel);
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load(path, &abi, &d)) {
		hcf_diags_print(&d, stderr);
		fail_msg("cannot load %s", path);
	}
	return abi;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	add_abi(fx, "rich", rich_abi(), true);
	add_abi(fx, "mask", mask_abi(), true);
	add_abi(fx, "pio", pio_abi(), true);
	add_abi(fx, "pio-low", pio_low_abi(), true);
	add_abi(fx, "mmio-in-ram", mmio_ram_abi(), true);
	add_abi(fx, "mmio", mmio_abi(), true);
	add_abi(fx, "empty", empty_abi(), true);
	add_abi(fx, "empty-mask", empty_mask_abi(), true);
	add_abi(fx, "noargs", noargs_abi(), true);
	add_abi(fx, "many", many_abi(), true);
	add_abi(fx, "hcpage", hcpage_abi(), true);
	add_abi(fx, "odd", odd_abi(), true);
	static const char *const specs[] = {
		"specs/kvm.yaml", "specs/pvm.yaml", "specs/xen.yaml", "specs/apple-hvg.yaml",
		"specs/vmware-backdoor.yaml", "specs/solo5-hvt.yaml",
		"tests/fixtures/xen-fastabi", "tests/fixtures/responder.yaml",
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct hcf_abi *abi = load_spec(specs[i]);
		if (abi)
			add_abi(fx, specs[i], abi, true);
	}
	const char *src = getenv("HCF_SOURCE_DIR");
	if (src) {
		char dir[1024];
		snprintf(dir, sizeof(dir), "%s/tests/fixtures/specs/valid", src);
		DIR *dh = opendir(dir);
		assert_non_null(dh);
		struct dirent *de;
		while ((de = readdir(dh))) {
			size_t l = strlen(de->d_name);
			if (l < 5 || strcmp(de->d_name + l - 5, ".yaml"))
				continue;
			char rel[512];
			snprintf(rel, sizeof(rel), "tests/fixtures/specs/valid/%s", de->d_name);
			add_abi(fx, strdup(rel), load_spec(rel), true);
		}
		closedir(dh);
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	for (size_t i = 0; i < fx->n; i++) {
		hcf_spec_free(fx->abis[i].abi);
		if (!strncmp(fx->abis[i].name, "tests/fixtures/specs/valid/", 27))
			free((char *)fx->abis[i].name);
	}
	free(fx);
	return 0;
}

static const struct named_abi *abi_named(const struct fixture *fx, const char *name)
{
	for (size_t i = 0; i < fx->n; i++)
		if (!strcmp(fx->abis[i].name, name))
			return &fx->abis[i];
	return NULL;
}

/* ---- checks ---------------------------------------------------------------- */

static void dump(const struct hcf_prog *p)
{
	char *t = hcf_prog_to_text(p);
	fprintf(stderr, "%s", t ? t : "(no text)\n");
	free(t);
}

static void dump_bytes(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n && i < 512; i++)
		fprintf(stderr, "%02x%s", b[i], i % 32 == 31 ? "\n" : " ");
	fprintf(stderr, "\n");
}

/* Decode exactly len bytes from a heap copy, so that ASan sees any read past it. */
static void decode_exact(struct hcf_prog *p, const struct hcf_abi *abi, const uint8_t *b,
			 size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	if (n)
		memcpy(copy, b, n);
	hcf_prog_decode(p, abi, n ? copy : NULL, n);
	free(copy);
}

/* encode -> decode gives p back, and encoding again gives the same bytes. */
static void check_bytes_round_trip(const struct hcf_prog *p)
{
	uint8_t *b = NULL, *b2 = NULL;
	size_t n = 0, n2 = 0;
	char err[200] = "";
	int rc = hcf_prog_encode(p, &b, &n, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "encode failed: %s\n", err);
		dump(p);
	}
	assert_int_equal(rc, 0);
	struct hcf_prog q;
	hcf_prog_init(&q, p->abi);
	decode_exact(&q, p->abi, b, n);
	if (!hcf_prog_equal(p, &q)) {
		fprintf(stderr, "--- program:\n");
		dump(p);
		fprintf(stderr, "--- encoded (%zu bytes):\n", n);
		dump_bytes(b, n);
		fprintf(stderr, "--- decoded back:\n");
		dump(&q);
	}
	assert_true(hcf_prog_equal(p, &q));
	assert_int_equal(hcf_prog_encode(&q, &b2, &n2, err, sizeof(err)), 0);
	assert_int_equal(n, n2);
	assert_memory_equal(b, b2, n);
	free(b);
	free(b2);
	hcf_prog_free(&q);
}

static void check_text_round_trip(const struct hcf_prog *p)
{
	char *text = hcf_prog_to_text(p);
	if (!text) {
		char why[200] = "";
		hcf_prog_validate(p, why, sizeof(why));
		fprintf(stderr, "cannot print: %s\n", why);
	}
	assert_non_null(text);
	struct hcf_prog q;
	struct hcf_diags d;
	hcf_diags_init(&d);
	int rc = hcf_prog_parse(&q, p->abi, "decoded", text, strlen(text), &d);
	if (rc || !hcf_prog_equal(p, &q)) {
		hcf_diags_print(&d, stderr);
		fprintf(stderr, "text round trip failed:\n%s\n", text);
	}
	assert_int_equal(rc, 0);
	assert_true(hcf_prog_equal(p, &q));
	hcf_prog_free(&q);
	free(text);
}

/* What the decoder promises about every program it makes. */
static void check_decoded(const struct hcf_prog *p, bool text)
{
	char why[200] = "";
	if (hcf_prog_validate(p, why, sizeof(why))) {
		fprintf(stderr, "invalid decoded program: %s\n", why);
		dump(p);
	}
	assert_int_equal(hcf_prog_validate(p, NULL, 0), 0);
	assert_true(p->ncalls <= HCF_CODEC_MAX_CALLS);
	assert_true(p->nbufs <= HCF_CODEC_MAX_BUFS);
	for (size_t i = 0; i < p->ncalls; i++)
		for (unsigned r = 0; r < HCF_NGPR; r++)
			if (!(p->calls[i].set & HCF_REGBIT(r)))
				assert_true(p->calls[i].gpr[r] == hcf_sentinel(r, i));
	check_bytes_round_trip(p);
	if (text)
		check_text_round_trip(p);
}

/* The registers a declared op's head fills, as the codec's contract sees them. */
static hcf_regmask_t implied(const struct hcf_abi *abi, const struct hcf_op *op,
			     uint64_t val[HCF_NGPR])
{
	unsigned nreg = hcf_prog_nr_reg(abi);
	val[nreg] = hcf_prog_nr_value(abi, op->nr);
	hcf_regmask_t m = HCF_REGBIT(nreg);
	if (op->has_subop && abi->subop_reg < HCF_NGPR) {
		val[abi->subop_reg] = op->subop;
		m |= HCF_REGBIT(abi->subop_reg);
	}
	return m;
}

static bool plain_is(const struct hcf_pcall *c, unsigned r, uint64_t v)
{
	return (c->set & HCF_REGBIT(r)) && c->ref[r].buf < 0 && c->gpr[r] == v;
}

/* Does an undeclared call issue the number (and sub-operation) of a declared op? */
static bool issues_declared(const struct hcf_abi *abi, const struct hcf_pcall *c)
{
	unsigned nreg = hcf_prog_nr_reg(abi);
	for (size_t i = 0; i < abi->nops; i++) {
		uint64_t val[HCF_NGPR] = { 0 };
		hcf_regmask_t m = implied(abi, &abi->ops[i], val);
		if (!plain_is(c, nreg, val[nreg]))
			continue;
		bool all = true;
		for (unsigned r = 0; r < HCF_NGPR; r++)
			if ((m & HCF_REGBIT(r)) && !plain_is(c, r, val[r]))
				all = false;
		if (all)
			return true;
	}
	return false;
}

/*
 * Rules for inputs without raw-call records (no 0xff tag): a declared call
 * keeps its number and sub-operation and never sets rsp; an undeclared call
 * never issues a declared number, keeps an MMIO address out of guest RAM, a
 * port inside the port space.
 */
static void check_spec_rules(const struct hcf_prog *p)
{
	const struct hcf_abi *abi = p->abi;
	unsigned nreg = hcf_prog_nr_reg(abi);
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct hcf_pcall *c = &p->calls[i];
		if (c->op >= 0) {
			uint64_t val[HCF_NGPR] = { 0 };
			hcf_regmask_t m = implied(abi, &abi->ops[c->op], val);
			for (unsigned r = 0; r < HCF_NGPR; r++)
				if (m & HCF_REGBIT(r))
					assert_true(plain_is(c, r, val[r]));
			assert_false(c->set & HCF_REGBIT(HCF_RSP));
			continue;
		}
		assert_false(c->set & HCF_REGBIT(HCF_RSP));
		assert_true(plain_is(c, nreg, c->gpr[nreg]));
		if (issues_declared(abi, c)) {
			dump(p);
			fail_msg("call %zu: undeclared call issues a declared number", i);
		}
		uint64_t nr = hcf_pcall_nr(p, c);
		const struct hcf_transport *t = &abi->transport;
		if (t->kind == HCF_XPORT_MMIO)
			assert_true(t->mmio_base + nr * t->mmio_scale >= HCF_GUEST_MEM_SIZE);
		if (t->kind == HCF_XPORT_PIO) {
			assert_true(nr + t->port_base <= 0xffff);
			assert_true(nr + t->port_base != HCF_PORT_DOORBELL);
			assert_true(nr + t->port_base != HCF_PORT_DEBUGCON);
		}
	}
}

/* ---- inputs ------------------------------------------------------------------ */

/* Random inputs of several shapes into buf (at least 4096 + 64 bytes). */
static size_t make_input(uint64_t *s, uint8_t *buf, int i, bool no_raw)
{
	size_t n;
	switch (i % 6) {
	case 0: /* short */
		n = rnd(s) % 65;
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rnd(s);
		break;
	case 1: { /* bytes from the interesting corners of the layout */
		static const uint8_t corner[] = { 0, 1, 2, 3, 0x7f, 0x80, 0xc0, 0xdf, 0xe0, 0xe8,
						  0xeb, 0xef, 0xf0, 0xf3, 0xf8, 0xfc, 0xfe, 0xff };
		n = rnd(s) % 1025;
		for (size_t k = 0; k < n; k++)
			buf[k] = rnd(s) % 2 ? corner[rnd(s) % sizeof(corner)] : (uint8_t)rnd(s);
		break;
	}
	case 2: /* one byte value repeated */
		n = rnd(s) % 4097;
		memset(buf, (int)(rnd(s) & 0xff), n);
		break;
	case 3: /* small numbers: many zero-ish choices */
		n = rnd(s) % 513;
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)(rnd(s) % 8);
		break;
	default: /* uniform, up to 4096 bytes */
		n = rnd(s) % 4097;
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rnd(s);
		break;
	}
	if (no_raw)
		for (size_t k = 0; k < n; k++)
			if (buf[k] == 0xff)
				buf[k] = 0xfe;
	return n;
}

struct stats {
	size_t calls, declared, undeclared_sub, vec, rflags, refs, relocs, struct_bufs, progs;
};

static void count(struct stats *st, const struct hcf_prog *p)
{
	const struct hcf_abi *abi = p->abi;
	st->progs++;
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct hcf_pcall *c = &p->calls[i];
		st->calls++;
		st->declared += c->op >= 0;
		st->undeclared_sub += c->op < 0 && abi->subop_reg < HCF_NGPR &&
				      (c->set & HCF_REGBIT(abi->subop_reg));
		st->vec += c->capture_vec;
		st->rflags += c->rflags != 0;
		for (unsigned r = 0; r < HCF_NGPR; r++)
			st->refs += (c->set & HCF_REGBIT(r)) && c->ref[r].buf >= 0;
	}
	for (size_t i = 0; i < p->nbufs; i++) {
		st->relocs += p->bufs[i].nrelocs;
		st->struct_bufs += p->bufs[i].struct_idx >= 0;
	}
}

/* ---- tests ----------------------------------------------------------------- */

/* Empty, NULL, every constant byte, and huge inputs, on every ABI. */
static void test_fixed_inputs(void **state)
{
	struct fixture *fx = *state;
	size_t big = 16u << 20, prefix = 2u << 20;
	uint8_t *huge = malloc(big), *ptrs = malloc(big);
	uint64_t s = 0x68756765ull;
	for (size_t i = 0; i < big; i++)
		huge[i] = (uint8_t)rnd(&s);
	memset(ptrs, 0xf8, big); /* pointer records only: no call ever ends the loop */
	for (size_t a = 0; a < fx->n; a++) {
		const struct named_abi *na = &fx->abis[a];
		struct hcf_prog p, q;
		hcf_prog_init(&p, na->abi);
		hcf_prog_init(&q, na->abi);
		hcf_prog_decode(&p, na->abi, NULL, 0);
		assert_int_equal(p.ncalls, 0);
		assert_int_equal(p.nbufs, 0);
		check_decoded(&p, na->text);
		uint8_t buf[4096];
		for (int v = (int)(a % FIXED_STRIDE); v < 256; v += FIXED_STRIDE) {
			memset(buf, v, sizeof(buf));
			for (size_t n = 1; n <= sizeof(buf); n *= 4) {
				decode_exact(&p, na->abi, buf, n);
				check_decoded(&p, na->text);
			}
		}
		/* the record limit stops the work long before the end: the
		 * program is the one of a prefix, and decoding takes no time */
		const uint8_t *inputs[2] = { huge, ptrs };
		for (int k = 0; k < 2; k++) {
			clock_t t0 = clock();
			hcf_prog_decode(&p, na->abi, inputs[k], big);
			assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
			check_decoded(&p, na->text);
			hcf_prog_decode(&q, na->abi, inputs[k], prefix);
			assert_true(hcf_prog_equal(&p, &q));
		}
		hcf_prog_free(&p);
		hcf_prog_free(&q);
	}
	free(huge);
	free(ptrs);
}

/* The property run: many random inputs per ABI. */
static void test_random_inputs(void **state)
{
	struct fixture *fx = *state;
	uint8_t *buf = malloc(4096 + 64);
	for (size_t a = 0; a < fx->n; a++) {
		const struct named_abi *na = &fx->abis[a];
		struct stats st = { 0 }, st_raw_free = { 0 };
		uint64_t s = 0x636f646563ull + a;
		struct hcf_prog p;
		hcf_prog_init(&p, na->abi);
		for (int i = 0; i < NRANDOM; i++) {
			bool no_raw = i % 2;
			size_t n = make_input(&s, buf, i, no_raw);
			decode_exact(&p, na->abi, buf, n);
			check_decoded(&p, na->text && i % 4 == 0);
			if (no_raw) {
				check_spec_rules(&p);
				count(&st_raw_free, &p);
			}
			if (i % 6 >= 4)
				count(&st, &p); /* uniform bytes only */
		}
		hcf_prog_free(&p);
		if (!na->abi->nops)
			continue;
		/* most random bytes make declared calls, some undeclared ones (except
		 * where no undeclared number is safe to issue) */
		double declared = (double)st.declared / (double)st.calls;
		if (getenv("HCF_CODEC_STATS"))
			fprintf(stderr, "%s: %zu calls in %zu programs, %.3f declared\n", na->name,
				st.calls, st.progs, declared);
		bool none_safe = !strcmp(na->name, "mmio-in-ram");
		if (declared <= 0.8 || (!none_safe && declared >= 0.99))
			fail_msg("%s: %.3f of the calls declared", na->name, declared);
	}
	free(buf);
}

/* On the rich ABI every feature of the decoder comes up. */
static void test_variety(void **state)
{
	struct fixture *fx = *state;
	const struct hcf_abi *abi = abi_named(fx, "rich")->abi;
	uint8_t *buf = malloc(4096 + 64);
	struct stats st = { 0 };
	uint64_t s = 0x76617269ull;
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	size_t ops_seen[16] = { 0 };
	size_t addr_fixed = 0, garbage_high = 0, neg_const = 0, hint_hit = 0, unset_args = 0;
	for (int i = 0; i < 4000; i++) {
		size_t n = make_input(&s, buf, 4 + i % 2, true);
		decode_exact(&p, abi, buf, n);
		count(&st, &p);
		for (size_t k = 0; k < p.ncalls; k++) {
			const struct hcf_pcall *c = &p.calls[k];
			if (c->op >= 0)
				ops_seen[c->op]++;
			for (unsigned r = 0; r < HCF_NGPR; r++) {
				if (!(c->set & HCF_REGBIT(r)) || c->ref[r].buf >= 0)
					continue;
				uint64_t v = c->gpr[r];
				addr_fixed += v == HCF_GPA_MBOX || v == HCF_GUEST_MEM_SIZE ||
					      v == 0x8000000000000000ull || v == HCF_GPA_AGENT;
				neg_const += v == (uint64_t)-38 || v == 0xffffffda;
			}
			if (c->op == 1) { /* kick: apic_id (32-bit) with garbage above, the hint -1 */
				garbage_high += (c->set & HCF_REGBIT(HCF_RCX)) &&
						(c->gpr[HCF_RCX] >> 32) && c->ref[HCF_RCX].buf < 0 &&
						!hcf_is_sentinel(c->gpr[HCF_RCX]);
				hint_hit += plain_is(c, HCF_RCX, 0xffffffff);
				unset_args += !(c->set & HCF_REGBIT(HCF_RBX));
			}
		}
	}
	hcf_prog_free(&p);
	free(buf);
	for (size_t o = 0; o < abi->nops; o++)
		if (!ops_seen[o])
			fail_msg("op %s never decoded", abi->ops[o].name);
	assert_true(st.undeclared_sub > 0);
	assert_true(st.vec > 0 && st.vec < st.calls / 4);
	assert_true(st.rflags > 0 && st.rflags < st.calls / 2);
	assert_true(st.refs > 0);
	assert_true(st.relocs > 0);
	assert_true(st.struct_bufs > 0);
	assert_true(addr_fixed > 0);
	assert_true(garbage_high > 0);
	assert_true(neg_const > 0);
	assert_true(hint_hit > 0);
	assert_true(unset_args > 0);
}

/* Mutations of encoded programs stay valid and round-trip too. */
static void test_mutated_encodings(void **state)
{
	struct fixture *fx = *state;
	uint8_t *buf = malloc(4096 + 64);
	uint64_t s = 0x6d757461ull;
	for (size_t a = 0; a < fx->n; a++) {
		const struct named_abi *na = &fx->abis[a];
		struct hcf_prog p;
		hcf_prog_init(&p, na->abi);
		for (int i = 0; i < ROUNDS(1000); i++) {
			size_t n = make_input(&s, buf, 4, false);
			decode_exact(&p, na->abi, buf, n);
			uint8_t *b;
			size_t bn;
			char err[160];
			assert_int_equal(hcf_prog_encode(&p, &b, &bn, err, sizeof(err)), 0);
			for (int m = 0; m < 4 && bn; m++) {
				size_t at = rnd(&s) % bn;
				switch (rnd(&s) % 3) {
				case 0: b[at] = (uint8_t)rnd(&s); break;
				case 1: b[at] ^= (uint8_t)(1u << (rnd(&s) % 8)); break;
				default: memmove(b + at, b + at + 1, bn - at - 1); bn--; break;
				}
			}
			decode_exact(&p, na->abi, b, bn);
			check_decoded(&p, na->text && i % 4 == 0);
			free(b);
		}
		hcf_prog_free(&p);
	}
	free(buf);
}

/* ---- programs built through the API and the text format ---------------------------- */

/* Any program within the codec's limits: any op or number, any register set
 * (the number register and rsp included) to any value or reference, headless
 * calls, any rflags, buffers of any size, struct, direction and bytes. */
static void api_prog(struct hcf_prog *p, const struct hcf_abi *abi, uint64_t *s)
{
	hcf_prog_init(p, abi);
	size_t nbufs = rnd(s) % 5 == 0 ? HCF_CODEC_MAX_BUFS : rnd(s) % 4;
	for (size_t i = 0; i < nbufs; i++) {
		int sidx = abi->nstructs && rnd(s) % 2 ? (int)(rnd(s) % abi->nstructs) : -1;
		uint32_t size;
		switch (rnd(s) % 4) {
		case 0: size = 1; break;
		case 1: size = HCF_BUF_MAX; break;
		default: size = (uint32_t)(rnd(s) % HCF_BUF_MAX) + 1; break;
		}
		uint8_t *init = malloc(size);
		unsigned pat = (unsigned)(rnd(s) % 4);
		uint8_t fill = (uint8_t)rnd(s);
		for (uint32_t j = 0; j < size; j++)
			init[j] = pat == 0 ? 0 : pat == 1 ? fill : pat == 2 ? (uint8_t)rnd(s)
				: (j == size - 1 ? 0 : (uint8_t)(rnd(s) % 3));
		enum hcf_dir dirs[3] = { HCF_DIR_IN, HCF_DIR_OUT, HCF_DIR_INOUT };
		assert_int_equal(hcf_prog_add_buf(p, size, sidx, dirs[rnd(s) % 3], init), (int)i);
		free(init);
	}
	for (size_t i = 0; i < nbufs; i++) {
		uint32_t size = p->bufs[i].size;
		size_t nr = size >= 8 ? rnd(s) % (HCF_BUF_MAX_RELOCS + 1) : 0;
		for (size_t j = 0; j < nr; j++) {
			uint32_t at = (uint32_t)(rnd(s) % (size - 7));
			int32_t off = (int32_t)(uint32_t)rnd(s);
			assert_int_equal(hcf_prog_add_reloc(p, (int)i, at, (int)(rnd(s) % nbufs), off), 0);
		}
	}
	size_t ncalls = rnd(s) % 8 == 0 ? HCF_CODEC_MAX_CALLS : rnd(s) % 6;
	unsigned nreg = hcf_prog_nr_reg(abi);
	for (size_t i = 0; i < ncalls; i++) {
		int op = (int)(rnd(s) % (abi->nops + 1)) - 1;
		struct hcf_pcall *c = hcf_prog_add_call(p, op, rnd_value(s, abi));
		assert_non_null(c);
		if (op < 0 && rnd(s) % 3 == 0) { /* headless, as the text parser makes it */
			c->set = 0;
			c->gpr[nreg] = hcf_sentinel(nreg, i);
		}
		unsigned nset = (unsigned)(rnd(s) % 6);
		if (rnd(s) % 10 == 0)
			nset = 40;
		for (unsigned k = 0; k < nset; k++) {
			unsigned r = (unsigned)(rnd(s) % HCF_NGPR);
			if (op >= 0 && rnd(s) % 2 && abi->ops[op].nargs)
				r = abi->ops[op].args[rnd(s) % abi->ops[op].nargs].reg % HCF_NGPR;
			if (nbufs && rnd(s) % 4 == 0)
				hcf_pcall_set_ref(c, r, (int)(rnd(s) % nbufs), (int32_t)(uint32_t)rnd(s));
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
}

static void test_api_programs(void **state)
{
	struct fixture *fx = *state;
	uint64_t s = 0x617069ull;
	for (size_t a = 0; a < fx->n; a++) {
		const struct named_abi *na = &fx->abis[a];
		for (int i = 0; i < ROUNDS(1500); i++) {
			struct hcf_prog p;
			api_prog(&p, na->abi, &s);
			assert_int_equal(hcf_prog_validate(&p, NULL, 0), 0);
			check_bytes_round_trip(&p);
			if (na->text && i % 8 == 0)
				check_text_round_trip(&p);
			hcf_prog_free(&p);
		}
	}
}

static void parse_ok(struct hcf_prog *p, const struct hcf_abi *abi, const char *text)
{
	struct hcf_diags d;
	hcf_diags_init(&d);
	int rc = hcf_prog_parse(p, abi, "t.hcf", text, strlen(text), &d);
	if (rc) {
		hcf_diags_print(&d, stderr);
		fprintf(stderr, "in:\n%s\n", text);
	}
	assert_int_equal(rc, 0);
}

/* Programs written in the text format, every construct it has. */
static void test_text_programs(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *abi, *text;
	} progs[] = {
		{ "rich", "" },
		{ "rich", "call\ncall\ncall vec\n" },
		{ "rich", "call ping override rax=0x77\n" },
		{ "rich", "buf a size=8\ncall ping override rax=&a+3\n" },
		{ "rich", "call ev.close override rdi=9 port=-1\n" },
		{ "rich", "call ev.status override rax=0 rdi=0xffffffffffffffff\n" },
		{ "rich", "call nr=0x20.0x77 rsi=5\n" },
		{ "rich", "call nr=0x1234\ncall nr=0x1 rsp=4\n" },
		{ "rich", "call rax=1 rbx=2\ncall rdi=3\n" },
		{ "rich", "buf b0 size=1\ncall kick rsp=0x1000 r15=&b0\n" },
		{ "rich", "buf b0 size=1\ncall kick rsp=0x1000 r15=&b0-2147483648\n" },
		{ "rich", "buf a size=4096 dir=inout hex=00ff00\ncall nr=0xffffffffffffffff rsi=&a+4095\n" },
		{ "rich", "buf a size=16 @8=&a-2147483648\ncall kick rbx=&a-1 rcx=&a+2147483647\n" },
		{ "rich", "buf t size=5 hex=68656c6c6f\nbuf p struct=puts data=&t len=5\n"
			  "buf n struct=node next=&n val=-1 small=7 tiny=1 up=&p @24=&t+4\n"
			  "call puts arg=&p rflags=CF|ZF vec\ncall tree root=&n rq=&t-8 rflags=0x10000\n" },
		{ "rich", "buf a struct=req dir=out fill=0xaa\nbuf b size=64 dir=out\nreloc a buf=&b next=&a\n"
			  "call tree root=&a rq=&b r9=5 r10=6 r11=7 r12=8 r13=9 r14=10 r15=11 rbp=12\n" },
		{ "rich", "call narrow b8=0xff w16=0xffff d32=0xffffffff r8=1\n"
			  "call narrow rbx=0xdeadbeef00000005 rcx=-1\n" },
		{ "rich", "call dup a=1 rsp=2 rdi=3\ncall dup override rax=5 rsp=2\n" },
		{ "mask", "call sched cmd=5\ncall rax=0x1d\ncall nr=0x4000001d\ncall nr=0x20.0x9\n"
			  "call event_channel.status port=1 override rdi=5\n" },
		{ "mask", "call version override rax=0\ncall nr=0x21 rdi=0x100000000\n" },
		{ "pio", "buf w struct=hvt_walltime\ncall walltime arg=&w\ncall nr=0x3 rax=0xffffffff\n"
			 "call puts override rdx=0x2 rax=&w+1\ncall rax=1\n" },
		{ "noargs", "call only rbx=1 rsp=2 r15=3\ncall nr=0x1\ncall\n" },
		{ "empty", "call nr=0x0 rbx=1\ncall rax=5\ncall\n" },
	};
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		const struct named_abi *na = abi_named(fx, progs[i].abi);
		struct hcf_prog p;
		parse_ok(&p, na->abi, progs[i].text);
		check_bytes_round_trip(&p);
		hcf_prog_free(&p);
	}
	/* a real spec's program fixture */
	const struct named_abi *kvm = abi_named(fx, "specs/kvm.yaml");
	const char *src = getenv("HCF_SOURCE_DIR");
	if (kvm && src) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/tests/fixtures/programs/kvm-basics.hcf", src);
		struct hcf_prog p;
		struct hcf_diags d;
		hcf_diags_init(&d);
		assert_int_equal(hcf_prog_parse_file(&p, kvm->abi, path, &d), 0);
		check_bytes_round_trip(&p);
		hcf_prog_free(&p);
	}
}

/* Over the codec's limits, invalid, or without any text form: -1 with a reason. */
static void test_limits(void **state)
{
	struct fixture *fx = *state;
	const struct hcf_abi *abi = abi_named(fx, "rich")->abi;
	struct hcf_prog p;
	uint8_t *b = (uint8_t *)"x";
	size_t n = 7;
	char err[200];

	hcf_prog_init(&p, abi);
	for (size_t i = 0; i < HCF_CODEC_MAX_CALLS; i++)
		assert_non_null(hcf_prog_add_call(&p, 1, 0));
	check_bytes_round_trip(&p);
	assert_non_null(hcf_prog_add_call(&p, 1, 0));
	err[0] = '\0';
	assert_int_equal(hcf_prog_encode(&p, &b, &n, err, sizeof(err)), -1);
	assert_null(b);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err, "calls"));
	hcf_prog_free(&p);

	hcf_prog_init(&p, abi);
	for (size_t i = 0; i < HCF_CODEC_MAX_BUFS; i++)
		assert_true(hcf_prog_add_buf(&p, 8, -1, HCF_DIR_IN, NULL) >= 0);
	check_bytes_round_trip(&p);
	assert_true(hcf_prog_add_buf(&p, 8, -1, HCF_DIR_IN, NULL) >= 0);
	err[0] = '\0';
	assert_int_equal(hcf_prog_encode(&p, &b, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "buffers"));
	hcf_prog_free(&p);

	/* invalid: a reference to a buffer that does not exist */
	hcf_prog_init(&p, abi);
	hcf_pcall_set_ref(hcf_prog_add_call(&p, 1, 0), HCF_RBX, 3, 0);
	err[0] = '\0';
	assert_int_equal(hcf_prog_encode(&p, &b, &n, err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
	hcf_prog_free(&p);

	/* a declared op whose number register is unset has no text form either */
	hcf_prog_init(&p, abi);
	struct hcf_pcall *c = hcf_prog_add_call(&p, 1, 0);
	c->set = 0;
	c->gpr[HCF_RAX] = hcf_sentinel(HCF_RAX, 0);
	assert_null(hcf_prog_to_text(&p));
	err[0] = '\0';
	assert_int_equal(hcf_prog_encode(&p, &b, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unset"));
	/* err may be NULL */
	assert_int_equal(hcf_prog_encode(&p, &b, &n, NULL, 0), -1);
	hcf_prog_free(&p);
}

/* Byte strings from docs/fuzz-input-format.md decode as the document says. */
static void test_documented_examples(void **state)
{
	struct fixture *fx = *state;
	const struct named_abi *kvm = abi_named(fx, "specs/kvm.yaml");
	if (!kvm)
		skip();
	static const struct {
		uint8_t bytes[32];
		size_t n;
		const char *text;
	} ex[] = {
		{ { 0x04 }, 1, "call KVM_HC_KICK_CPU flags=0x0 apic_id=0x0\n" },
		{ { 0x04, 0x00, 0x5a, 0x00, 0x5a, 0x08 }, 6,
		  "call KVM_HC_KICK_CPU flags=0x0 apic_id=0xff\n" },
		{ { 0x08, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5a, 0x00 }, 11,
		  "buf b0 size=64 struct=kvm_clock_pairing dir=in\n"
		  "call KVM_HC_CLOCK_PAIRING paddr=&b0 clock_type=0x0\n" },
		{ { 0xe1, 0x00, 0x00 }, 3, "call KVM_HC_MMU_OP\n" },
		{ { 0xe2, 0x00 }, 2, "call nr=0x0\n" },
		{ { 0x00, 0x7f, 0x3f, 0x85, 0x5a, 0x03, 0x0d, 0x00 }, 8,
		  "call KVM_HC_VAPIC_POLL_IRQ rdi=0x3 r15=0x0 rflags=CF|PF|AF|ZF|SF|OF vec\n" },
		{ { 0x09, 0x00, 0xd2, 0x0d, 0xd2, 0x0f, 0xd2, 0x10, 0xd2, 0x0e }, 10,
		  "call KVM_HC_SEND_IPI ipi_bitmap_low=0x200000 ipi_bitmap_high=0x8000000000000000 "
		  "rdx=0xffffffff80000000 icr=0x201000\n" },
		{ { 0xff, 0x00, 0x00, 0x00, 0x09, 0x00, 0x1e, 0x2a, 0, 0, 0, 0, 0, 0, 0, 0x00 }, 16,
		  "call nr=0x2a rbx=0x0\n" },
	};
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		struct hcf_prog p;
		hcf_prog_init(&p, kvm->abi);
		decode_exact(&p, kvm->abi, ex[i].bytes, ex[i].n);
		char *t = hcf_prog_to_text(&p);
		assert_non_null(t);
		const char *body = strstr(t, "abi kvm\n");
		assert_non_null(body);
		body += strlen("abi kvm\n");
		if (strcmp(body, ex[i].text))
			fail_msg("example %zu decodes to\n%sexpected\n%s", i, body, ex[i].text);
		free(t);
		check_decoded(&p, true);
		hcf_prog_free(&p);
	}
}

/*
 * The value-kind table of docs/fuzz-input-format.md, byte by byte: a probe ABI
 * whose 32-bit input (plain, then pointer-to-struct) gets kind byte K and then
 * 0x06 for every payload byte; each kind gives a value no other kind gives.
 */
static const struct {
	const char *kind;
	uint8_t plain_lo, plain_hi, ptr_lo, ptr_hi;
} doc_kinds[] = {
	{ "zero", 0x00, 0x17, 0x00, 0x0b },
	{ "unset", 0x18, 0x1d, 0x0c, 0x0f },
	{ "raw", 0x1e, 0x29, 0x10, 0x13 },
	{ "ref", 0x2a, 0x2d, 0x14, 0x19 },
	{ "one", 0x2e, 0x39, 0x1a, 0x1b },
	{ "all-ones", 0x3a, 0x47, 0x1c, 0x1d },
	{ "sign", 0x48, 0x51, 0x1e, 0x1f },
	{ "smax", 0x52, 0x59, 0x20, 0x21 },
	{ "hint", 0x5a, 0x77, 0x22, 0x27 },
	{ "const", 0x78, 0x8b, 0x28, 0x29 },
	{ "pow2", 0x8c, 0x9b, 0x2a, 0x2b },
	{ "small", 0x9c, 0xb9, 0x2c, 0x2f },
	{ "neg-small", 0xba, 0xc1, 0x30, 0x31 },
	{ "rand-width", 0xc2, 0xd1, 0x32, 0x33 },
	{ "address", 0xd2, 0xeb, 0x34, 0x5f },
	{ "new-buffer", 0xec, 0xff, 0x60, 0xff },
};

static const char *classify(const struct hcf_prog *p, unsigned r)
{
	const struct hcf_pcall *c = &p->calls[0];
	if (!(c->set & HCF_REGBIT(r)))
		return "unset";
	if (c->ref[r].buf >= 0)
		return c->ref[r].offset == 0x06060606 ? "ref" : c->ref[r].offset == 0 ? "new-buffer"
										    : "?";
	static const struct {
		uint64_t v;
		const char *kind;
	} vals[] = {
		{ 0, "zero" }, { 0x0606060606060606ull, "raw" }, { 1, "one" },
		{ 0xffffffff, "all-ones" }, { 0x80000000, "sign" }, { 0x7fffffff, "smax" },
		{ 99, "hint" }, { 1000, "const" }, { 64, "pow2" }, { 6, "small" },
		{ 0xfffffff9, "neg-small" }, { 0x06060606, "rand-width" },
		{ HCF_GUEST_MEM_SIZE, "address" },
	};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		if (c->gpr[r] == vals[i].v)
			return vals[i].kind;
	return "?";
}

static void test_value_kind_table(void **state)
{
	struct hcf_abi *abi = abi_new("probe", HCF_XPORT_VMCALL, HCF_RAX, 64, 0, HCF_REG_NONE);
	int s = abi_struct(abi, "s", 8);
	abi_field(abi, s, "f", 0, 8, HCF_DIR_IN, -1, -1);
	int a = abi_op(abi, "plain", NULL, 1, 0);
	abi_arg(abi, a, "x", HCF_RBX, 32, HCF_DIR_IN, -1);
	abi_hint(abi, a, 0, 100, 200);
	int b = abi_op(abi, "pointer", NULL, 2, 0);
	abi_arg(abi, b, "x", HCF_RBX, 32, HCF_DIR_IN, s);
	abi_hint(abi, b, 0, 100, 200);
	abi_const(abi, "K", 1000);
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	for (int col = 0; col < 2; col++) {
		for (unsigned k = 0; k < 256; k++) {
			uint8_t in[24];
			memset(in, 0x06, sizeof(in));
			in[0] = (uint8_t)col; /* op */
			in[1] = 0;            /* flags */
			in[2] = (uint8_t)k;
			decode_exact(&p, abi, in, sizeof(in));
			const char *want = NULL;
			for (size_t i = 0; i < sizeof(doc_kinds) / sizeof(doc_kinds[0]); i++) {
				uint8_t lo = col ? doc_kinds[i].ptr_lo : doc_kinds[i].plain_lo;
				uint8_t hi = col ? doc_kinds[i].ptr_hi : doc_kinds[i].plain_hi;
				if (k >= lo && k <= hi)
					want = doc_kinds[i].kind;
			}
			assert_non_null(want);
			const char *got = classify(&p, HCF_RBX);
			if (strcmp(want, got))
				fail_msg("column %d byte 0x%02x: %s, documented %s", col, k, got, want);
			if (!strcmp(got, "new-buffer"))
				assert_int_equal(p.bufs[p.calls[0].ref[HCF_RBX].buf].struct_idx,
						 col ? s : -1);
		}
	}
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

/* A raw undeclared call starts with no register set, the ABI's magic ones
 * included: one that leaves the magic register unset encodes to bytes that
 * decode to it again (found by tests/fuzz/fuzz_codec). */
static void test_raw_call_without_magic(void **state)
{
	struct fixture *fx = *state;
	const struct named_abi *na = abi_named(fx, "specs/vmware-backdoor.yaml");
	if (!na)
		skip();
	/* raw, undeclared, no flags, mask rax: unset */
	static const uint8_t bytes[] = { 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x18 };
	struct hcf_prog p;
	hcf_prog_init(&p, na->abi);
	decode_exact(&p, na->abi, bytes, sizeof(bytes));
	assert_int_equal(p.ncalls, 1);
	assert_false(p.calls[0].set & HCF_REGBIT(HCF_RAX));
	assert_false(p.calls[0].set & HCF_REGBIT(hcf_prog_nr_reg(na->abi)));
	check_decoded(&p, true);
	hcf_prog_free(&p);
}

/* Selectors: op i is byte i (two more bytes past 224 ops), and the encoder
 * writes exactly the documented canonical bytes for a small program. */
static void test_canonical_bytes(void **state)
{
	struct fixture *fx = *state;
	const struct hcf_abi *many = abi_named(fx, "many")->abi;
	struct hcf_prog p;
	hcf_prog_init(&p, many);
	for (int op = 0; op < (int)many->nops; op += 37) {
		hcf_prog_reset(&p);
		hcf_prog_add_call(&p, op, 0);
		check_bytes_round_trip(&p);
	}
	hcf_prog_reset(&p);
	hcf_prog_add_call(&p, 299, 0);
	uint8_t *b;
	size_t n;
	assert_int_equal(hcf_prog_encode(&p, &b, &n, NULL, 0), 0);
	/* 299 = 75 + 224 * 1; flags 0; x unset (kind byte 24) */
	const uint8_t want[] = { 75, 1, 0, 0x00, 24 };
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(b, want, n);
	free(b);
	hcf_prog_free(&p);

	const struct named_abi *kvm = abi_named(fx, "specs/kvm.yaml");
	if (!kvm)
		return;
	parse_ok(&p, kvm->abi, "buf a size=4 hex=01020300\ncall KVM_HC_KICK_CPU flags=1 rflags=ZF vec\n");
	assert_int_equal(hcf_prog_encode(&p, &b, &n, NULL, 0), 0);
	const uint8_t want2[] = {
		0xf2, 0x00, 0x00, 0x00, 0x04, 0x00, 0x03, 0x00, 0x01, 0x02, 0x03, /* buffer */
		0x04, 0x1f, 0x08,                                   /* KICK_CPU, vec+rflags, ZF */
		156, 1,                                             /* flags: small 1 */
		24,                                                 /* apic_id: unset */
	};
	if (n != sizeof(want2) || memcmp(b, want2, n)) {
		dump_bytes(b, n);
		fail_msg("canonical bytes differ");
	}
	free(b);
	hcf_prog_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documented_examples),
		cmocka_unit_test(test_canonical_bytes),
		cmocka_unit_test(test_raw_call_without_magic),
		cmocka_unit_test(test_value_kind_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_text_programs),
		cmocka_unit_test(test_api_programs),
		cmocka_unit_test(test_fixed_inputs),
		cmocka_unit_test(test_variety),
		cmocka_unit_test(test_mutated_encodings),
		cmocka_unit_test(test_random_inputs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
