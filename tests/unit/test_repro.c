/* test_repro.c: the reproducer emitter on fabricated findings, without a VM: checks, encodings, C. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fuzz/finding.h"
#include "reports/repro.h"
#include "spec/spec.h"
#include "util/x86.h"
#include "util/xalloc.h"

#define assert_contains(text, needle)                                                    \
	do {                                                                                 \
		if (!strstr((text), (needle)))                                               \
			fail_msg("missing \"%s\" in the emitted program", (needle));         \
	} while (0)
#define assert_lacks(text, needle)                                                       \
	do {                                                                                 \
		if (strstr((text), (needle)))                                                \
			fail_msg("unexpected \"%s\" in the emitted program", (needle));      \
	} while (0)

/* ---- specs ------------------------------------------------------------- */

static struct hcf_abi *load_spec(const char *rel)
{
	const char *src = getenv("HCF_SOURCE_DIR");
	char *path = hcf_xasprintf("%s/%s", src ? src : ".", rel);
	struct hcf_diags d;
	hcf_diags_init(&d);
	struct hcf_abi *abi = NULL;
	if (hcf_spec_load(path, &abi, &d) != 0) {
		hcf_diags_print(&d, stderr);
		fail_msg("cannot load %s (is HCF_SOURCE_DIR set?)", path);
	}
	free(path);
	return abi;
}

/* ---- fabricated findings ----------------------------------------------- */

struct fixture {
	struct hcf_abi *abi;
	struct hcf_finding f;
	char *text;     /* the emitted program */
	size_t len;
	char err[512];
};

/* A finding of the given signature on the program `prog` (text format). */
static void make_finding(struct fixture *fx, const char *spec, const char *prog, const char *oracle,
			 const char *op, const char *where, const char *rclass, size_t call)
{
	memset(fx, 0, sizeof(*fx));
	fx->abi = load_spec(spec);
	struct hcf_finding *f = &fx->f;
	snprintf(f->sig.oracle, sizeof(f->sig.oracle), "%s", oracle);
	snprintf(f->sig.op, sizeof(f->sig.op), "%s", op);
	snprintf(f->sig.where, sizeof(f->sig.where), "%s", where);
	snprintf(f->sig.rclass, sizeof(f->sig.rclass), "%s", rclass);
	snprintf(f->sig.text, sizeof(f->sig.text), "%s|%s|%s|%s", oracle, op, where, rclass);
	snprintf(f->sig.id, sizeof(f->sig.id), "00000000000000%02x", (unsigned)call);
	f->sig.verdict = HCF_V_FAIL;
	f->related = SIZE_MAX;
	f->sig.call = call;
	snprintf(f->spec, sizeof(f->spec), "%s", spec);
	snprintf(f->engine, sizeof(f->engine), "test");
	struct hcf_diags d;
	hcf_diags_init(&d);
	hcf_prog_init(&f->prog, fx->abi);
	if (hcf_prog_parse(&f->prog, fx->abi, "test.hcf", prog, strlen(prog), &d) != 0) {
		hcf_diags_print(&d, stderr);
		fail_msg("program does not parse");
	}
}

/*
 * The typed place an oracle would have stored for a finding at `where` (its
 * rendering, "rbx", "rflags.CF", "guard buf0-63", "buf1+0 (req.len)"): the
 * fixtures name places as people read them, the emitter reads the type.
 */
static bool loc_of(const char *where, struct hcf_loc *l)
{
	int b, n = 0;
	long off;
	unsigned v;
	char name[40], tail;
	*l = hcf_loc_of(HCF_LOC_NONE);
	unsigned w, r = hcf_reg_parse(where, &w);
	if (r != HCF_REG_NONE && w == 64) {
		*l = hcf_loc_reg(r);
	} else if (!strncmp(where, "rflags.", 7)) {
		int bit = hcf_x86_rflags_parse(where + 7);
		if (bit < 0 && sscanf(where + 7, "bit%u%c", &v, &tail) == 1)
			bit = (int)v;
		if (bit < 0)
			return false;
		*l = hcf_loc_flag((unsigned)bit);
	} else if (sscanf(where, "xmm%u%c", &v, &tail) == 1 && v < 16) {
		l->kind = HCF_LOC_XMM;
		l->reg = (uint8_t)v;
	} else if (!strcmp(where, "exception") || !strcmp(where, "outcome") ||
		   !strcmp(where, "program")) {
		enum hcf_loc_kind k;
		hcf_loc_kind_parse(where, &k);
		l->kind = k;
	} else if (sscanf(where, "guard buf%d-%ld%n", &b, &off, &n) == 2 && !where[n]) {
		l->kind = HCF_LOC_GUARD_BELOW;
		l->buf = (int16_t)b;
		l->off = (int32_t)-off;
		l->nbytes = 1;
	} else if (sscanf(where, "guard buf%d+%ld%n", &b, &off, &n) == 2 && !where[n]) {
		l->kind = HCF_LOC_GUARD_ABOVE;
		l->buf = (int16_t)b;
		l->off = (int32_t)off;
		l->nbytes = 1;
	} else if (sscanf(where, "buf%d+%ld (%39[^)])%n", &b, &off, name, &n) == 3 && !where[n]) {
		l->kind = HCF_LOC_FIELD;
		if (!strcmp(name, "read-only"))
			l->kind = HCF_LOC_READONLY;
		else
			snprintf(l->name, sizeof(l->name), "%s", name);
		l->buf = (int16_t)b;
		l->off = (int32_t)off;
		l->nbytes = 1;
	} else if (sscanf(where, "page 0x%lx%n", &off, &n) == 1 && !where[n]) {
		l->kind = HCF_LOC_PAGE;
		l->addr = (uint64_t)off;
		l->nbytes = 1;
	} else {
		return false;
	}
	return true;
}

/* Emit; returns hcf_repro_emit's result, the text in fx->text. place: the
 * finding's typed place, as loc_of reads it (NULL: the signature's). */
static int emit(struct fixture *fx, const char *place)
{
	fx->f.has_loc = loc_of(place ? place : fx->f.sig.where, &fx->f.loc);
	struct hcf_repro_src src = {
		.abi = fx->abi, .f = &fx->f, .spec_path = fx->f.spec, .program_name = "program.hcf",
		.hypervisor = "pvm", .first_seen = "2026-11-21T20:01:02Z",
	};
	free(fx->text);
	fx->text = NULL;
	FILE *m = open_memstream(&fx->text, &fx->len);
	assert_non_null(m);
	int rc = hcf_repro_emit(m, &src, NULL, fx->err, sizeof(fx->err));
	fclose(m);
	return rc;
}

static void fixture_free(struct fixture *fx)
{
	free(fx->text);
	hcf_prog_free(&fx->f.prog);
	hcf_spec_free(fx->abi);
}

/* ---- compiling the output ------------------------------------------------ */

static bool have(const char *cmd)
{
	char *c = hcf_xasprintf("command -v %s >/dev/null 2>&1", cmd);
	int rc = system(c);
	free(c);
	return rc == 0;
}

/* cc (and clang-14 when present) must accept the program with warnings as
 * errors; a compiler that is missing is a SKIP of this sub-check, said. */
static void syntax_check(const struct fixture *fx, const char *name)
{
	static const char *const compilers[] = { "cc", "clang-14" };
	char path[] = "/tmp/hcf-test-repro-XXXXXX.c";
	int fd = mkstemps(path, 2);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(fx->text, 1, fx->len, f), fx->len);
	fclose(f);
	for (size_t i = 0; i < sizeof(compilers) / sizeof(compilers[0]); i++) {
		if (!have(compilers[i])) {
			printf("SKIP: %s: %s is not installed, the emitted program is not compiled with it\n", name,
			       compilers[i]);
			continue;
		}
		char *cmd = hcf_xasprintf("%s -std=c11 -Wall -Wextra -Werror -fsyntax-only %s", compilers[i], path);
		int rc = system(cmd);
		free(cmd);
		if (rc != 0)
			fail_msg("%s: %s rejects the emitted program (kept in %s)", name, compilers[i], path);
	}
	unlink(path);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_clobber_register(void **state)
{
	(void)state;
	struct fixture fx;
	make_finding(&fx, "tests/fixtures/pvm-misstated.yaml", "call invlpg addr=0x100000\n", "clobber",
		     "invlpg", "rax", "returned", 0);
	fx.f.has_values = true;
	fx.f.expected = 0x1008;
	fx.f.got = 0;
	snprintf(fx.f.reason, sizeof(fx.f.reason), "rax changed, but it is not an output of invlpg");
	assert_int_equal(emit(&fx, "rax"), 0);
	const char *t = fx.text;
	/* the comment block: signature, what hcfuzz saw, spec, how to build */
	assert_contains(t, "hcfuzz finding 0000000000000000");
	assert_contains(t, "Signature    clobber|invlpg|rax|returned (FAIL)");
	assert_contains(t, "expected 0x1008, got 0x0");
	assert_contains(t, "tests/fixtures/pvm-misstated.yaml (ABI pvm");
	assert_contains(t, "cc -O2 -o repro repro.c && ./repro");
	assert_contains(t, "call invlpg addr=0x100000");
	/* the register image hcfuzz loads: number, argument, sentinels */
	assert_contains(t, "[RAX] = 0x0000000000001008ull");
	assert_contains(t, "[RBX] = 0x0000000000100000ull");
	assert_contains(t, "[RCX] = 0x5e5e010000000000ull");
	assert_contains(t, "[R15] = 0x5e5e0f0000000000ull");
	/* encodings: mov rax, imm64; int 0x1b; mov [abs32], rax; the PVM MSRs */
	assert_contains(t, "0x48, 0xb8, 0x08, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,");
	assert_contains(t, "0x49, 0xbf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x5e, 0x5e,");
	assert_contains(t, "0xcd, 0x1b,");
	assert_contains(t, "0x48, 0x89, 0x04, 0x25, 0x48, 0x00, 0x21, 0x00,");
	assert_contains(t, "0xb9, 0x11, 0x4d, 0x56, 0x4b,");
	assert_contains(t, "0xb9, 0x10, 0x4d, 0x56, 0x4b,");
	/* the IDT is the host's, as for the agent (vmm/kvm_machine.h) */
	assert_contains(t, "hcf_km_build_idt(mem, handlers);");
	/* the check itself */
	assert_contains(t, "uint64_t want = loaded[CHECK_CALL][RAX], got = s->gpr[RAX];");
	assert_contains(t, "\"clobber rax at %s: expected 0x%\" PRIx64");
	assert_contains(t, "static const char check_at[] = \"call 0 (invlpg)\";");
	assert_lacks(t, "patch_native(uint8_t *code, const char *vendor)\n{\n\tif");
	syntax_check(&fx, "clobber rax");
	fixture_free(&fx);
}

static void test_clobber_flag_and_rsp(void **state)
{
	(void)state;
	struct fixture fx;
	make_finding(&fx, "specs/pvm.yaml", "call flush_tlb rflags=CF|ZF\n", "clobber", "flush_tlb",
		     "rflags.ZF", "returned", 0);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "s->rflags_before >> 6 & 1");
	assert_contains(fx.text, "0x68, 0x43, 0x00, 0x00, 0x00,"); /* push 0x43: CF|ZF|bit 1 */
	syntax_check(&fx, "clobber rflags.ZF");
	fixture_free(&fx);

	make_finding(&fx, "specs/pvm.yaml", "call flush_tlb\n", "clobber", "flush_tlb", "rsp", "returned", 0);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "uint64_t want = s->rsp_before, got = s->gpr[RSP];");
	fixture_free(&fx);
}

static void test_clobber_xmm_captures_vectors(void **state)
{
	(void)state;
	struct fixture fx;
	make_finding(&fx, "specs/pvm.yaml", "call flush_tlb\ncall flush_tlb vec\n", "clobber", "flush_tlb",
		     "xmm9", "returned", 1);
	assert_int_equal(emit(&fx, NULL), 0);
	/* movdqu xmm9, [ctl.xmm_sentinel[9]] (0x200110): F3, REX.R, 0F 6F, ModRM, SIB, disp32 */
	assert_contains(fx.text, "0xf3, 0x44, 0x0f, 0x6f, 0x0c, 0x25, 0x10, 0x01, 0x20, 0x00,");
	assert_contains(fx.text, "memcmp(want, got, 16)");
	assert_contains(fx.text, "after an exception in call 1");
	syntax_check(&fx, "clobber xmm9");
	fixture_free(&fx);
}

static void test_exception_vectors_and_transports(void **state)
{
	(void)state;
	struct fixture fx;
	/* full.yaml: syscall, number in eax with an OR mask; #UD allowed ABI-wide */
	make_finding(&fx, "tests/fixtures/specs/valid/full.yaml", "call ping\n", "exception", "ping",
		     "exception", "exception:#PF", 0);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "0x0f, 0x05,");
	assert_contains(fx.text, "#define ALLOWED_VECTORS 0x00000040u /* #UD */");
	assert_contains(fx.text, "[RAX] = 0x0000000041000000ull");
	syntax_check(&fx, "exception");
	fixture_free(&fx);

	/* kvm.yaml: native -> vmcall patched to vmmcall off Intel */
	make_finding(&fx, "specs/kvm.yaml", "call nr=0x2000\n", "retval", "undeclared", "rax", "returned", 0);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "0x0f, 0x01, 0xc1,");
	assert_contains(fx.text, "static const uint32_t native_at[] = {");
	assert_contains(fx.text, "code[native_at[i] + 2] = 0xd9;");
	assert_contains(fx.text, "return v == -1000;");
	syntax_check(&fx, "retval undeclared (kvm)");
	fixture_free(&fx);

	/* PIO in, 4 bytes: in eax, dx with the port in rdx */
	make_finding(&fx, "tests/fixtures/specs/valid/pio.yaml", "call put v=7\n", "clobber", "put", "rbx",
		     "returned", 0);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "0xed,");
	assert_contains(fx.text, "[RDX] = 0x0000000000000504ull");
	syntax_check(&fx, "clobber (pio)");
	fixture_free(&fx);

	/* MMIO write, 8 bytes, through rdx */
	make_finding(&fx, "tests/fixtures/specs/valid/mmio.yaml", "call go v=5\n", "clobber", "go", "rcx",
		     "returned", 0);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "0x48, 0x89, 0x02,");
	assert_contains(fx.text, "[RDX] = 0x00000000fe000010ull");
	syntax_check(&fx, "clobber (mmio)");
	fixture_free(&fx);

	/* the responder spec: PIO out to 0x500 + nr */
	make_finding(&fx, "tests/fixtures/responder.yaml", "call pong data=1\n", "clobber", "pong", "rbx",
		     "returned", 0);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "0xef,");
	assert_contains(fx.text, "[RDX] = 0x0000000000000501ull");
	syntax_check(&fx, "clobber (responder)");
	fixture_free(&fx);

	/* a call hcfuzz refuses (port 0x500 + 0xfbe8 wraps to the doorbell,
	 * 0xe8) never ran: no program replays it */
	make_finding(&fx, "tests/fixtures/specs/valid/pio.yaml", "call nr=0xfbe8\ncall put v=7\n", "clobber",
		     "put", "rbx", "returned", 1);
	assert_int_equal(emit(&fx, NULL), -1);
	assert_non_null(strstr(fx.err, "call 0 is one hcfuzz does not issue"));
	fixture_free(&fx);
}

/* The hypercall-page transport: no spec file of the tree uses it, so one
 * written here (Xen's shape: page filled by writing MSR 0x40000000). */
static void test_hypercall_page(void **state)
{
	(void)state;
	static const char spec[] = "hcfuzz_spec: 1\n"
				   "abi: hcpage\n"
				   "transport: {kind: hypercall_page, msr: 0x40000000, stride: 32}\n"
				   "call_number: {reg: rax}\n"
				   "return: {reg: rax}\n"
				   "error_convention: negative_errno\n"
				   "calls:\n"
				   "  - {name: version, nr: 17, returns: [any]}\n";
	struct fixture fx;
	memset(&fx, 0, sizeof(fx));
	struct hcf_diags d;
	hcf_diags_init(&d);
	assert_int_equal(hcf_spec_load_buffer("hcpage.yaml", spec, strlen(spec), &fx.abi, &d), 0);
	struct hcf_finding *f = &fx.f;
	snprintf(f->sig.oracle, sizeof(f->sig.oracle), "clobber");
	snprintf(f->sig.op, sizeof(f->sig.op), "version");
	snprintf(f->sig.where, sizeof(f->sig.where), "rbx");
	snprintf(f->sig.text, sizeof(f->sig.text), "clobber|version|rbx|returned");
	hcf_prog_init(&f->prog, fx.abi);
	assert_int_equal(hcf_prog_parse(&f->prog, fx.abi, "t.hcf", "call version\n", 12, &d), 0);
	assert_int_equal(emit(&fx, NULL), 0);
	/* the setup writes the MSR, each call stores its entry (0x5000 + 17 * 32) and calls through it */
	assert_contains(fx.text, "0xb9, 0x00, 0x00, 0x00, 0x40,");
	assert_contains(fx.text, "0xb8, 0x00, 0x50, 0x00, 0x00,");
	assert_contains(fx.text, "0x48, 0xc7, 0x04, 0x25, 0x20, 0x00, 0x20, 0x00, 0x20, 0x52, 0x00, 0x00,");
	assert_contains(fx.text, "0xff, 0x14, 0x25, 0x20, 0x00, 0x20, 0x00,");
	syntax_check(&fx, "clobber (hypercall page)");
	fixture_free(&fx);
}

static void test_retval_conventions(void **state)
{
	(void)state;
	struct fixture fx;
	make_finding(&fx, "tests/fixtures/pvm-misstated.yaml", "call reserved_1006\n", "retval",
		     "reserved_1006", "rax", "returned", 0);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "static int allowed_return(int64_t v)\n{\n\treturn v == 0;\n}");
	assert_contains(fx.text, "static int allowed_error(int64_t e)\n{\n\t(void)e;\n\treturn 0;\n}");
	assert_contains(fx.text, "v >= -4095 && v <= -1 ? allowed_error(-v) || allowed_return(v)");
	syntax_check(&fx, "retval negative errno");
	fixture_free(&fx);

	/* carry convention, a range and named errors */
	make_finding(&fx, "tests/fixtures/specs/valid/full.yaml", "call rw a=1\n", "retval", "rw", "rax",
		     "returned", 0);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "return v == 0 || (v >= 1 && v <= 65535);");
	assert_contains(fx.text, "return e == 22 || e == 5;");
	assert_contains(fx.text, "s->rflags_after & 1 ? allowed_error(v) : allowed_return(v)");
	syntax_check(&fx, "retval carry");
	fixture_free(&fx);

	/* status field in a struct buffer, read after the program */
	make_finding(&fx, "tests/fixtures/specs/valid/full.yaml", "buf r struct=req len=4\ncall st p=&r\n",
		     "retval", "st", "buf0+4 (req.status)", "returned", 0);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "#define STATUS_GPA 0x600044ull");
	assert_contains(fx.text, "#define STATUS_SIZE 4u");
	assert_lacks(fx.text, "allowed_return(int64_t v)");
	syntax_check(&fx, "retval status field");
	fixture_free(&fx);
}

static void test_model_checks(void **state)
{
	(void)state;
	struct fixture fx;
	make_finding(&fx, "tests/fixtures/pvm-misstated.yaml", "call nr=0x2000\n", "model", "undeclared", "rax",
		     "returned", 0);
	/* no expected value: nothing to compare with */
	assert_int_equal(emit(&fx, NULL), -1);
	assert_non_null(strstr(fx.err, "without the expected value"));
	fx.f.has_values = true;
	fx.f.expected = 0x1234;
	fx.f.got = (uint64_t)-38;
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "#define EXPECTED 0x1234ull");
	assert_contains(fx.text, "#define MASK 0xffffffffffffffffull");
	syntax_check(&fx, "model rax");
	fixture_free(&fx);

	/* the outcome: the model expected a return */
	make_finding(&fx, "specs/pvm.yaml", "call event_return_d\n", "model", "event_return_d", "exception",
		     "exception:#GP", 0);
	fx.f.has_values = true;
	fx.f.expected = HCF_EXC_RETURNED;
	fx.f.got = 13;
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "expected the call to return, got %s");
	syntax_check(&fx, "model outcome (return)");
	/* ... or an exception: its vector */
	fx.f.expected = 6;
	fx.f.got = HCF_EXC_RETURNED;
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "const uint64_t want = 6;");
	syntax_check(&fx, "model outcome (#UD)");
	fixture_free(&fx);

	/* monotonic: against the earlier call of the same op */
	make_finding(&fx, "tests/fixtures/specs/valid/full.yaml", "call rw a=1\ncall ping\ncall rw a=2\n", "model",
		     "rw", "rdx", "returned", 2);
	fx.f.related = 0; /* the call it went back from */
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "#define PREV_CALL 0u");
	assert_contains(fx.text, "#define MASK 0xffffffffull");
	syntax_check(&fx, "model monotonic");
	fixture_free(&fx);
}

static void test_memory_checks(void **state)
{
	(void)state;
	struct fixture fx;
	make_finding(&fx, "specs/pvm.yaml", "buf b size=16 fill=0x11\ncall set_vif_page gpa=&b\n", "memory",
		     "set_vif_page", "guard", "returned", 0);
	assert_int_equal(emit(&fx, "guard buf0-63"), 0);
	assert_contains(fx.text, "{ 0x600000ull, 64, mem0, \"the guard before buf0\" },");
	assert_contains(fx.text, "[RBX] = 0x0000000000600040ull");
	assert_contains(fx.text, "memset(mem + bufs[b].gpa - GUARD, GUARD_BYTE, bufs[b].size + 2 * GUARD);");
	syntax_check(&fx, "memory guard");
	/* the guard above, by its own place */
	assert_int_equal(emit(&fx, "guard buf0+16"), 0);
	assert_contains(fx.text, "\"the guard after buf0\"");
	assert_lacks(fx.text, "\"the guard before buf0\"");
	/* stray pages: a snapshot of RAM before the run */
	assert_int_equal(emit(&fx, "page 0x101000"), 0);
	assert_contains(fx.text, "uint8_t *copy = malloc(MEM_SIZE);");
	syntax_check(&fx, "memory page");
	/* a harness problem is no finding to replay */
	assert_int_equal(emit(&fx, "memory"), -1);
	fixture_free(&fx);

	/* a struct buffer: OUT fields and pointer bytes may change, an IN field may not */
	make_finding(&fx, "tests/fixtures/specs/valid/full.yaml",
		     "buf rep struct=reply\nbuf r struct=req len=8 next=&rep\ncall rw p=&r\n", "memory", "rw",
		     "buffer (req.len)", "returned", 0);
	assert_int_equal(emit(&fx, "buf1+0 (req.len)"), 0);
	assert_contains(fx.text, "\"buf1 bytes 0..3\"");
	assert_lacks(fx.text, "\"buf1 bytes 4");
	syntax_check(&fx, "memory struct field");
	fixture_free(&fx);
}

static void test_liveness_checks(void **state)
{
	(void)state;
	struct fixture fx;
	make_finding(&fx, "specs/pvm.yaml", "call flush_tlb\ncall event_return_a\n", "liveness", "event_return_a",
		     "outcome", "lost:shutdown", 1);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "rr->end != END_HANG && rr->end != END_DONE");
	assert_contains(fx.text, "if (rr->inflight < CHECK_CALL)");
	syntax_check(&fx, "liveness lost");
	fixture_free(&fx);

	/* call 0: no "< 0" comparison an unsigned would warn about */
	make_finding(&fx, "specs/pvm.yaml", "call flush_tlb\n", "liveness", "flush_tlb", "outcome", "hang", 0);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "rr->end == END_HANG");
	assert_lacks(fx.text, "rr->inflight < CHECK_CALL");
	syntax_check(&fx, "liveness hang");
	fixture_free(&fx);
}

static void test_call_selection_and_truncation(void **state)
{
	(void)state;
	struct fixture fx;
	/* a minimized program renumbers calls: the last call of the op is taken */
	make_finding(&fx, "specs/pvm.yaml", "call flush_tlb\ncall invlpg addr=1\ncall flush_tlb\n", "clobber",
		     "invlpg", "rbx", "returned", 7);
	assert_int_equal(emit(&fx, NULL), 0);
	assert_contains(fx.text, "#define CHECK_CALL 1u");
	/* calls after the checked one are left out */
	assert_contains(fx.text, "#define NCALLS 2u");
	fixture_free(&fx);

	make_finding(&fx, "specs/pvm.yaml", "call flush_tlb\n", "clobber", "invlpg", "rbx", "returned", 0);
	assert_int_equal(emit(&fx, NULL), -1);
	assert_non_null(strstr(fx.err, "no call of the program"));
	fixture_free(&fx);

	make_finding(&fx, "specs/pvm.yaml", "call flush_tlb\n", "telepathy", "flush_tlb", "rbx", "returned", 0);
	assert_int_equal(emit(&fx, NULL), -1);
	assert_non_null(strstr(fx.err, "telepathy"));
	fixture_free(&fx);
}

static void test_too_long_program(void **state)
{
	(void)state;
	struct fixture fx;
	make_finding(&fx, "specs/pvm.yaml", "call flush_tlb\n", "clobber", "flush_tlb", "rbx", "returned", 0);
	/* the most calls a reproducer holds fit its code region */
	while (fx.f.prog.ncalls < HCF_REPRO_MAX_CALLS)
		assert_non_null(hcf_prog_add_call(&fx.f.prog, fx.f.prog.calls[0].op, 0));
	fx.f.sig.call = fx.f.prog.ncalls - 1;
	assert_int_equal(emit(&fx, NULL), 0);
	while (fx.f.prog.ncalls <= HCF_REPRO_MAX_CALLS)
		assert_non_null(hcf_prog_add_call(&fx.f.prog, fx.f.prog.calls[0].op, 0));
	fx.f.sig.call = fx.f.prog.ncalls - 1;
	assert_int_equal(emit(&fx, NULL), -1);
	assert_non_null(strstr(fx.err, "minimize"));
	fixture_free(&fx);
}

static void test_hostile_text_stays_in_comments(void **state)
{
	(void)state;
	struct fixture fx;
	make_finding(&fx, "specs/pvm.yaml", "call flush_tlb\n", "clobber", "flush_tlb", "rbx", "returned", 0);
	snprintf(fx.f.reason, sizeof(fx.f.reason), "*/ int x = 1; /* ?\?/ \x01\"");
	snprintf(fx.f.sig.text, sizeof(fx.f.sig.text), "clobber|flush_tlb|rbx|*/returned");
	assert_int_equal(emit(&fx, NULL), 0);
	assert_lacks(fx.text, "*/ int x");
	assert_lacks(fx.text, "\?\?/");
	syntax_check(&fx, "hostile reason");
	fixture_free(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clobber_register),
		cmocka_unit_test(test_clobber_flag_and_rsp),
		cmocka_unit_test(test_clobber_xmm_captures_vectors),
		cmocka_unit_test(test_exception_vectors_and_transports),
		cmocka_unit_test(test_hypercall_page),
		cmocka_unit_test(test_retval_conventions),
		cmocka_unit_test(test_model_checks),
		cmocka_unit_test(test_memory_checks),
		cmocka_unit_test(test_liveness_checks),
		cmocka_unit_test(test_call_selection_and_truncation),
		cmocka_unit_test(test_too_long_program),
		cmocka_unit_test(test_hostile_text_stays_in_comments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
