/* repro_c.c: "hcfuzz repro": a finding as a standalone C program on /dev/kvm. */
/*
 * The emitted program has three parts. A fixed runtime (the rt_* tables
 * below, copied verbatim): it creates a VM the way hcfuzz's in-process VMM
 * does, runs it under a watchdog and answers port and MMIO exits like
 * hcfuzz's default "empty" responder. Generated tables: the register image of
 * every call, the program's buffers, and the guest code as machine-code
 * bytes, each instruction on its own line with its assembly in a comment,
 * produced by the small x86-64 encoder in this file. A generated check: the
 * one comparison the finding's signature calls for, with the contract values
 * taken from the spec and written into the program as constants.
 *
 * The guest code does what hcfuzz's agent does for a call (guests/agent/
 * trampoline.S), unrolled: load every register but RSP, issue the
 * transport's instruction, store every register and RFLAGS. Exceptions go
 * through an IDT whose stubs record them into the call's result slot and
 * continue at the next call through a per-slot continuation table. Addresses
 * are absolute (everything lives below 8 MiB), so the code needs no
 * relocation and the bytes in the C array are exactly what runs.
 */
#include "reports/repro.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcf_proto.h"
#include "oracles/oracle.h"
#include "prog/layout.h"
#include "reports/repro_rt/repro_rt.h"
#include "target/target.h"
#include "spec/transport.h"
#include "util/xalloc.h"

/* ---- the emitted program's guest layout ---------------------------------- */

/* reports/repro_rt/repro_rt.h defines the layout, struct slot and struct ctl
 * for both the generated guest code (these offsets) and the runtime. */
_Static_assert(CONT_GPA + 8ull * (HCF_REPRO_MAX_CALLS + NSETUP) <= RES_GPA,
	       "continuation table overlaps the result slots");
_Static_assert(RES_GPA + sizeof(struct slot) * (HCF_REPRO_MAX_CALLS + NSETUP) <= HCF_GPA_ARENA,
	       "result slots overlap the arena");

enum {
	CTL_CUR = offsetof(struct ctl, cur),
	CTL_CUR_SLOT = offsetof(struct ctl, cur_slot),
	CTL_IN_CALL = offsetof(struct ctl, in_call),
	CTL_SCRATCH = offsetof(struct ctl, scratch),
	CTL_HC_TARGET = offsetof(struct ctl, hc_target),
	CTL_PANIC_VECTOR = offsetof(struct ctl, panic_vector),
	CTL_PANIC_ERR = offsetof(struct ctl, panic_error_code),
	CTL_PANIC_RIP = offsetof(struct ctl, panic_rip),
	CTL_XMM = offsetof(struct ctl, xmm_sentinel),
};
enum {
	SL_SEQ = offsetof(struct slot, seq),
	SL_OUTCOME = offsetof(struct slot, outcome),
	SL_VECTOR = offsetof(struct slot, vector),
	SL_ERR = offsetof(struct slot, error_code),
	SL_RIP = offsetof(struct slot, fault_rip),
	SL_CR2 = offsetof(struct slot, cr2),
	SL_RFL_BEFORE = offsetof(struct slot, rflags_before),
	SL_RFL_AFTER = offsetof(struct slot, rflags_after),
	SL_RSP_BEFORE = offsetof(struct slot, rsp_before),
	SL_GPR = offsetof(struct slot, gpr),
	SL_XMM = offsetof(struct slot, xmm),
};

/* ---- the x86-64 encoder ------------------------------------------------- */

/* One line of the guest_code[] listing: an instruction's bytes, or a label. */
struct as_line {
	size_t off, len;     /* len 0: a label line */
	char text[120];
};

struct as_fixup {
	size_t at;           /* a rel32 field */
	size_t label;
};

struct as {
	uint8_t *code;
	size_t len, cap;
	struct as_line *lines;
	size_t nlines, lcap;
	size_t *label;       /* code offset per label, SIZE_MAX until bound */
	size_t nlabels, labcap;
	struct as_fixup *fix;
	size_t nfix, fixcap;
};

static void put8(struct as *a, uint8_t v)
{
	if (a->len == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 4096;
		a->code = hcf_xrealloc(a->code, a->cap);
	}
	a->code[a->len++] = v;
}

static void put32(struct as *a, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		put8(a, (uint8_t)(v >> (8 * i)));
}

static void put64(struct as *a, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		put8(a, (uint8_t)(v >> (8 * i)));
}

static void as_line_add(struct as *a, size_t off, const char *fmt, va_list ap)
{
	if (a->nlines == a->lcap) {
		a->lcap = a->lcap ? 2 * a->lcap : 256;
		a->lines = hcf_xreallocarray(a->lines, a->lcap, sizeof(*a->lines));
	}
	struct as_line *l = &a->lines[a->nlines++];
	l->off = off;
	l->len = a->len - off;
	vsnprintf(l->text, sizeof(l->text), fmt, ap);
}

/* The bytes from start to here are one instruction; fmt is its assembly. */
static void as_note(struct as *a, size_t start, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void as_note(struct as *a, size_t start, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	as_line_add(a, start, fmt, ap);
	va_end(ap);
}

/* A label or section line in the listing. */
static void as_comment(struct as *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void as_comment(struct as *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	as_line_add(a, a->len, fmt, ap);
	va_end(ap);
}

static size_t as_new_label(struct as *a)
{
	if (a->nlabels == a->labcap) {
		a->labcap = a->labcap ? 2 * a->labcap : 64;
		a->label = hcf_xreallocarray(a->label, a->labcap, sizeof(*a->label));
	}
	a->label[a->nlabels] = SIZE_MAX;
	return a->nlabels++;
}

static void as_bind(struct as *a, size_t l)
{
	a->label[l] = a->len;
}

static void as_rel32(struct as *a, size_t l)
{
	if (a->nfix == a->fixcap) {
		a->fixcap = a->fixcap ? 2 * a->fixcap : 64;
		a->fix = hcf_xreallocarray(a->fix, a->fixcap, sizeof(*a->fix));
	}
	a->fix[a->nfix++] = (struct as_fixup){ a->len, l };
	put32(a, 0);
}

/* Patch every rel32 now that all labels are bound. Returns 0, or -1 for a
 * label never bound (a bug in the generator). */
static int as_resolve(struct as *a)
{
	for (size_t i = 0; i < a->nfix; i++) {
		size_t to = a->label[a->fix[i].label], at = a->fix[i].at;
		if (to == SIZE_MAX)
			return -1;
		uint32_t rel = (uint32_t)((int64_t)to - (int64_t)(at + 4));
		for (unsigned k = 0; k < 4; k++)
			a->code[at + k] = (uint8_t)(rel >> (8 * k));
	}
	return 0;
}

static void as_free(struct as *a)
{
	free(a->code);
	free(a->lines);
	free(a->label);
	free(a->fix);
	memset(a, 0, sizeof(*a));
}

/* Instructions without operands, or with fixed ones. */
enum fixed {
	F_RDMSR, F_WRMSR, F_PUSHFQ, F_POPFQ, F_HLT, F_INT3, F_OUT32,
	F_TEST_EDX, F_XOR_EDX, F_XOR_ECX, F_MOV_RCX_CR2,
	F_COUNT
};

static const struct fixed_insn {
	uint8_t len;
	uint8_t b[4];
	const char *text;
} fixed_insns[F_COUNT] = {
	[F_RDMSR] = { 2, { 0x0f, 0x32 }, "rdmsr" },
	[F_WRMSR] = { 2, { 0x0f, 0x30 }, "wrmsr" },
	[F_PUSHFQ] = { 1, { 0x9c }, "pushfq" },
	[F_POPFQ] = { 1, { 0x9d }, "popfq" },
	[F_HLT] = { 1, { 0xf4 }, "hlt" },
	[F_INT3] = { 1, { 0xcc }, "int3" },
	[F_OUT32] = { 1, { 0xef }, "out dx, eax" },
	[F_TEST_EDX] = { 2, { 0x85, 0xd2 }, "test edx, edx" },
	[F_XOR_EDX] = { 2, { 0x31, 0xd2 }, "xor edx, edx" },
	[F_XOR_ECX] = { 2, { 0x31, 0xc9 }, "xor ecx, ecx" },
	[F_MOV_RCX_CR2] = { 3, { 0x0f, 0x20, 0xd1 }, "mov rcx, cr2" },
};

static void e_fixed(struct as *a, enum fixed f, const char *why)
{
	const struct fixed_insn *fi = &fixed_insns[f];
	size_t s = a->len;
	for (unsigned i = 0; i < fi->len; i++)
		put8(a, fi->b[i]);
	if (why)
		as_note(a, s, "%-22s ; %s", fi->text, why);
	else
		as_note(a, s, "%s", fi->text);
}

/* A memory operand: an absolute address (below 2 GiB, sign-extended disp32)
 * or a base register plus disp32. */
struct mem {
	bool abs;
	unsigned base;
	int32_t disp;
};

static struct mem m_abs(uint64_t addr)
{
	return (struct mem){ .abs = true, .disp = (int32_t)addr };
}

static struct mem m_base(unsigned base, int32_t disp)
{
	return (struct mem){ .abs = false, .base = base, .disp = disp };
}

/* Instructions with a ModRM memory operand: prefix, REX.W, opcode, and
 * either a register operand in the reg field (ext < 0) or an opcode
 * extension (/digit). */
enum mform { MF_STORE, MF_LOAD, MF_STORE_IMM32, MF_POP, MF_CMP_IMM8, MF_CALL,
	     MF_MOVDQU_LOAD, MF_MOVDQU_STORE, MF_COUNT };

static const struct mform_row {
	uint8_t prefix;      /* 0: none */
	bool w;
	uint8_t nop;
	uint8_t op[2];
	int8_t ext;
} mforms[MF_COUNT] = {
	[MF_STORE] = { 0, true, 1, { 0x89 }, -1 },              /* mov r/m64, r64 */
	[MF_LOAD] = { 0, true, 1, { 0x8b }, -1 },               /* mov r64, r/m64 */
	[MF_STORE_IMM32] = { 0, true, 1, { 0xc7 }, 0 },         /* mov r/m64, imm32 */
	[MF_POP] = { 0, false, 1, { 0x8f }, 0 },                /* pop r/m64 */
	[MF_CMP_IMM8] = { 0, true, 1, { 0x83 }, 7 },            /* cmp r/m64, imm8 */
	[MF_CALL] = { 0, false, 1, { 0xff }, 2 },               /* call r/m64 */
	[MF_MOVDQU_LOAD] = { 0xf3, false, 2, { 0x0f, 0x6f }, -1 },  /* movdqu xmm, m128 */
	[MF_MOVDQU_STORE] = { 0xf3, false, 2, { 0x0f, 0x7f }, -1 }, /* movdqu m128, xmm */
};

static void e_mem(struct as *a, enum mform f, unsigned reg, struct mem m)
{
	const struct mform_row *r = &mforms[f];
	unsigned regf = r->ext >= 0 ? (unsigned)r->ext : reg;
	if (r->prefix)
		put8(a, r->prefix);
	uint8_t rex = (uint8_t)(0x40 | (r->w ? 8 : 0) | ((regf & 8) ? 4 : 0) |
				(!m.abs && (m.base & 8) ? 1 : 0));
	if (rex != 0x40)
		put8(a, rex);
	for (unsigned i = 0; i < r->nop; i++)
		put8(a, r->op[i]);
	if (m.abs) {
		put8(a, (uint8_t)((regf & 7) << 3 | 4)); /* mod 00, SIB follows */
		put8(a, 0x25);                           /* no base, no index: disp32 */
	} else {
		put8(a, (uint8_t)(0x80 | (regf & 7) << 3 | (m.base & 7))); /* mod 10: disp32 */
		if ((m.base & 7) == 4)
			put8(a, 0x24);                   /* rsp/r12 need a SIB byte */
	}
	put32(a, (uint32_t)m.disp);
}

static const char *rn(unsigned r)
{
	return hcf_reg_name(r);
}

/* mov reg, imm64 */
static void e_mov_imm64(struct as *a, unsigned reg, uint64_t v, const char *why)
{
	size_t s = a->len;
	put8(a, (uint8_t)(0x48 | ((reg & 8) ? 1 : 0)));
	put8(a, (uint8_t)(0xb8 + (reg & 7)));
	put64(a, v);
	char t[48];
	snprintf(t, sizeof(t), "mov %s, 0x%" PRIx64, rn(reg), v);
	if (why && *why)
		as_note(a, s, "%-22s ; %s", t, why);
	else
		as_note(a, s, "%s", t);
}

/* mov r32, imm32 (zero-extends; rax..rdi only) */
static void e_mov_imm32(struct as *a, unsigned reg, uint32_t v, const char *why)
{
	static const char *const r32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
	size_t s = a->len;
	put8(a, (uint8_t)(0xb8 + (reg & 7)));
	put32(a, v);
	char t[48];
	snprintf(t, sizeof(t), "mov %s, 0x%" PRIx32, r32[reg & 7], v);
	if (why && *why)
		as_note(a, s, "%-22s ; %s", t, why);
	else
		as_note(a, s, "%s", t);
}

/* mov qword [m], imm32 (sign-extended) */
static void e_store_imm(struct as *a, struct mem m, uint32_t v, const char *dst, const char *why)
{
	size_t s = a->len;
	e_mem(a, MF_STORE_IMM32, 0, m);
	put32(a, v);
	char t[64];
	snprintf(t, sizeof(t), "mov qword [%s], 0x%" PRIx32, dst, v);
	if (why)
		as_note(a, s, "%-22s ; %s", t, why);
	else
		as_note(a, s, "%s", t);
}

/* mov [m], reg */
static void e_store(struct as *a, struct mem m, unsigned reg, const char *dst)
{
	size_t s = a->len;
	e_mem(a, MF_STORE, reg, m);
	as_note(a, s, "mov [%s], %s", dst, rn(reg));
}

/* mov reg, [m] */
static void e_load(struct as *a, unsigned reg, struct mem m, const char *src)
{
	size_t s = a->len;
	e_mem(a, MF_LOAD, reg, m);
	as_note(a, s, "mov %s, [%s]", rn(reg), src);
}

static void e_movdqu(struct as *a, bool store, unsigned x, struct mem m, const char *place)
{
	size_t s = a->len;
	e_mem(a, store ? MF_MOVDQU_STORE : MF_MOVDQU_LOAD, x, m);
	if (store)
		as_note(a, s, "movdqu [%s], xmm%u", place, x);
	else
		as_note(a, s, "movdqu xmm%u, [%s]", x, place);
}

/* pushfq; pop qword [m]: RFLAGS into memory without touching a register. */
static void e_save_rflags(struct as *a, uint64_t addr, const char *dst)
{
	e_fixed(a, F_PUSHFQ, NULL);
	size_t s = a->len;
	e_mem(a, MF_POP, 0, m_abs(addr));
	as_note(a, s, "pop qword [%s]", dst);
}

/* mov rsp, imm32 */
static void e_set_rsp(struct as *a, uint32_t v, const char *why)
{
	size_t s = a->len;
	put8(a, 0x48);
	put8(a, 0xc7);
	put8(a, 0xc4);
	put32(a, v);
	char t[48];
	snprintf(t, sizeof(t), "mov rsp, 0x%" PRIx32, v);
	as_note(a, s, "%-22s ; %s", t, why);
}

/* jmp / jcc rel32 to a label */
static void e_jmp(struct as *a, size_t l, const char *to)
{
	size_t s = a->len;
	put8(a, 0xe9);
	as_rel32(a, l);
	as_note(a, s, "jmp %s", to);
}

static void e_jne(struct as *a, size_t l, const char *to)
{
	size_t s = a->len;
	put8(a, 0x0f);
	put8(a, 0x85);
	as_rel32(a, l);
	as_note(a, s, "jne %s", to);
}

static void e_je(struct as *a, size_t l, const char *to)
{
	size_t s = a->len;
	put8(a, 0x0f);
	put8(a, 0x84);
	as_rel32(a, l);
	as_note(a, s, "je %s", to);
}

/* push imm32 (sign-extended to 64 bits) */
static void e_push_imm(struct as *a, uint32_t v, const char *why)
{
	size_t s = a->len;
	put8(a, 0x68);
	put32(a, v);
	char t[48];
	snprintf(t, sizeof(t), "push 0x%" PRIx32, v);
	as_note(a, s, "%-22s ; %s", t, why);
}

static void e_int(struct as *a, uint8_t v)
{
	size_t s = a->len;
	put8(a, 0xcd);
	put8(a, v);
	as_note(a, s, "int 0x%x", v);
}

/* cmp eax, imm32 */
static void e_cmp_eax(struct as *a, uint32_t v, const char *why)
{
	size_t s = a->len;
	put8(a, 0x3d);
	put32(a, v);
	char t[48];
	snprintf(t, sizeof(t), "cmp eax, 0x%" PRIx32, v);
	as_note(a, s, "%-22s ; %s", t, why);
}

/* cmp reg64, imm8 */
static void e_cmp_reg_imm8(struct as *a, unsigned reg, uint8_t v)
{
	size_t s = a->len;
	put8(a, (uint8_t)(0x48 | ((reg & 8) ? 1 : 0)));
	put8(a, 0x83);
	put8(a, (uint8_t)(0xc0 | 7 << 3 | (reg & 7)));
	put8(a, v);
	as_note(a, s, "cmp %s, %u", rn(reg), v);
}

/* cmp qword [m], imm8 */
static void e_cmp_mem_imm8(struct as *a, struct mem m, uint8_t v, const char *what)
{
	size_t s = a->len;
	e_mem(a, MF_CMP_IMM8, 0, m);
	put8(a, v);
	as_note(a, s, "cmp qword [%s], %u", what, v);
}

/* xor reg64, imm32 */
static void e_xor_imm(struct as *a, unsigned reg, uint32_t v)
{
	size_t s = a->len;
	put8(a, (uint8_t)(0x48 | ((reg & 8) ? 1 : 0)));
	put8(a, 0x81);
	put8(a, (uint8_t)(0xc0 | 6 << 3 | (reg & 7)));
	put32(a, v);
	as_note(a, s, "xor %s, 0x%" PRIx32, rn(reg), v);
}

/* jmp [table + rax * 8] */
static void e_jmp_table(struct as *a, uint64_t table, const char *what)
{
	size_t s = a->len;
	put8(a, 0xff);
	put8(a, 0x24);   /* /4, SIB follows */
	put8(a, 0xc5);   /* scale 8, index rax, no base */
	put32(a, (uint32_t)table);
	as_note(a, s, "jmp [%s + rax * 8]", what);
}

/* ---- text helpers ----------------------------------------------------------- */

/* Text for a C comment: printable ASCII, and nothing that ends or nests a
 * comment or forms a trigraph. */
static void cmt(const char *s, char *out, size_t len)
{
	size_t o = 0;
	char prev = 0;
	for (; s && *s && o + 3 < len; s++) {
		char c = (unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e ? '?' : *s;
		if ((prev == '*' && c == '/') || (prev == '/' && c == '*') || (prev == '?' && c == '?'))
			out[o++] = ' ';
		out[o++] = c;
		prev = c;
	}
	out[o] = '\0';
}

/* A C string literal body: escapes, octal for anything unprintable, no
 * trigraphs. */
static void cstr(const char *s, char *out, size_t len)
{
	size_t o = 0;
	for (; s && *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\' || c == '?') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c > 0x7e) {
			o += (size_t)snprintf(out + o, len - o, "\\%03o", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

/* An int64_t as a C expression of that type. */
static const char *c_i64(int64_t v, char *buf, size_t len)
{
	if (v == INT64_MIN)
		snprintf(buf, len, "INT64_MIN");
	else if (v < INT32_MIN || v > INT32_MAX)
		snprintf(buf, len, "INT64_C(%" PRId64 ")", v);
	else
		snprintf(buf, len, "%" PRId64, v);
	return buf;
}

/* ---- what to check: the plan ---------------------------------------------- */

enum ck {
	CK_CLOBBER_REG, CK_CLOBBER_FLAG, CK_CLOBBER_XMM, CK_EXCEPTION, CK_RETVAL,
	CK_MODEL_REG, CK_MODEL_FLAG, CK_MODEL_EXC, CK_MODEL_MONO, CK_MEMORY, CK_PAGES, CK_LIVENESS,
	CK_COUNT
};

enum lv { LV_HANG, LV_LOST, LV_BAD, LV_PROGRAM };

struct plan {
	enum ck kind;
	size_t call;                 /* the program call the check is on */
	size_t ncalls;               /* calls replayed */
	const struct hcf_op *op;     /* NULL: an undeclared number */
	char name[96];               /* op name, or nr=0x... */
	char at[128];                /* "call 0 (invlpg)" */
	char what[200];              /* "clobber rax at call 0 (invlpg)" */
	unsigned reg, bit, xmm, width;
	uint64_t expect, mask;       /* model */
	int exp_vector;              /* model exception: -1 when the call should return */
	size_t prev;                 /* model monotonic: the earlier call */
	enum lv lv;
	bool vec;                    /* XMM0-15 around the checked call */
	int mbuf;                    /* memory: the buffer */
	uint32_t ilo, ihi;           /* memory: the place, as offsets into its image */
};

struct cx {
	const struct hcf_repro_src *src;
	const struct hcf_abi *abi;
	const struct hcf_prog *p;
	const struct hcf_finding *f;
};

static unsigned clamp_width(unsigned w)
{
	return w == 0 || w > 64 ? 64 : w;
}

/* The width the model oracle compares reg at (oracle_model.c reg_width). */
static unsigned model_width(const struct hcf_abi *abi, const struct hcf_op *op, unsigned reg)
{
	if (op)
		for (size_t i = 0; i < op->nargs; i++)
			if (op->args[i].reg == reg && (op->args[i].dir & HCF_DIR_OUT))
				return clamp_width(op->args[i].width);
	if (op && op->ret_reg == reg)
		return clamp_width(op->ret_width);
	if (!op && abi->ret_reg == reg)
		return clamp_width(abi->ret_width);
	return 64;
}

typedef int (*parse_fn)(struct plan *pl, const struct cx *cx, char *err, size_t errlen);

static int parse_clobber(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	const struct hcf_loc *l = &cx->f->loc;
	switch (l->kind) {
	case HCF_LOC_REG:
		pl->kind = CK_CLOBBER_REG;
		pl->reg = l->reg;
		break;
	case HCF_LOC_FLAG:
		pl->kind = CK_CLOBBER_FLAG;
		pl->bit = l->bit;
		break;
	case HCF_LOC_XMM:
		pl->kind = CK_CLOBBER_XMM;
		pl->xmm = l->reg;
		pl->vec = true;
		break;
	default:
		snprintf(err, errlen, "clobber finding at %s: not a register, RFLAGS bit or XMM register",
			 hcf_loc_kind_name(l->kind));
		return -1;
	}
	snprintf(pl->what, sizeof(pl->what), "clobber %s at %s", cx->f->sig.where, pl->at);
	return 0;
}

static int parse_exception(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	(void)cx;
	pl->kind = CK_EXCEPTION;
	snprintf(pl->what, sizeof(pl->what), "exception at %s", pl->at);
	return 0;
}

/* The status field the op reports through (oracle_retval.c read_status), as
 * buffer b at offset off, size bytes. */
static int status_place(const struct cx *cx, const struct plan *pl, int *b, int64_t *off,
			unsigned *size, char *why, size_t len)
{
	const struct hcf_abi *abi = cx->abi;
	const struct hcf_op *op = pl->op;
	if (op->status_struct < 0 || (size_t)op->status_struct >= abi->nstructs) {
		snprintf(why, len, "the spec names no status structure");
		return -1;
	}
	const struct hcf_struct *st = &abi->structs[op->status_struct];
	if (op->status_field < 0 || (size_t)op->status_field >= st->nfields) {
		snprintf(why, len, "the spec names no status field in %s", st->name);
		return -1;
	}
	const struct hcf_field *fl = &st->fields[op->status_field];
	if (fl->size == 0 || fl->size > 8) {
		snprintf(why, len, "status field %s.%s is %u bytes", st->name, fl->name, fl->size);
		return -1;
	}
	for (size_t i = 0; i < op->nargs; i++) {
		if (op->args[i].struct_idx != op->status_struct || op->args[i].reg >= HCF_NGPR)
			continue;
		const struct hcf_bufref *ref = &cx->p->calls[pl->call].ref[op->args[i].reg];
		if (ref->buf < 0 || (size_t)ref->buf >= cx->p->nbufs)
			break;
		int64_t o = (int64_t)ref->offset + fl->offset;
		if (ref->offset < 0 || o + fl->size > (int64_t)cx->p->bufs[ref->buf].size) {
			snprintf(why, len, "%s.%s lies outside buf%d", st->name, fl->name, ref->buf);
			return -1;
		}
		*b = ref->buf;
		*off = o;
		*size = fl->size;
		return 0;
	}
	snprintf(why, len, "no argument of %s points into a program buffer holding %s", op->name, st->name);
	return -1;
}

static int parse_retval(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	const struct hcf_abi *abi = cx->abi;
	const struct hcf_op *op = pl->op;
	pl->kind = CK_RETVAL;
	if (!op) {
		if (abi->ret_reg >= HCF_NGPR || abi->undeclared_returns.any) {
			snprintf(err, errlen, "retval finding on an undeclared number, but the spec allows "
					      "undeclared numbers any return value");
			return -1;
		}
		pl->reg = abi->ret_reg;
		pl->width = clamp_width(abi->ret_width);
	} else if ((unsigned)op->err >= HCF_ERR_COUNT) {
		snprintf(err, errlen, "%s: unknown error convention", op->name);
		return -1;
	} else if (op->err == HCF_ERR_STATUS_FIELD) {
		int b;
		int64_t off;
		unsigned size;
		char why[160];
		if (status_place(cx, pl, &b, &off, &size, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "retval finding on %s: %s", op->name, why);
			return -1;
		}
		pl->reg = op->ret_reg;
		pl->width = clamp_width(op->ret_width);
		pl->ncalls = cx->p->ncalls; /* the status is read after the program, as hcfuzz does */
	} else {
		if (op->ret_reg >= HCF_NGPR) {
			snprintf(err, errlen, "retval finding on %s, which returns nothing in a register", op->name);
			return -1;
		}
		pl->reg = op->ret_reg;
		pl->width = clamp_width(op->ret_width);
	}
	snprintf(pl->what, sizeof(pl->what), "retval %s at %s", cx->f->sig.where, pl->at);
	return 0;
}

static int parse_model(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	const struct hcf_finding *f = cx->f;
	const struct hcf_loc *l = &f->loc;
	if (l->kind == HCF_LOC_EXCEPTION) {
		/* expected: the vector the model predicted, or "returned" */
		if (!f->has_values || (f->expected > 255 && f->expected != HCF_EXC_RETURNED)) {
			snprintf(err, errlen, "model finding on the exception without the expected "
					      "outcome (finding.json has no \"expected\")");
			return -1;
		}
		pl->kind = CK_MODEL_EXC;
		pl->exp_vector = f->expected == HCF_EXC_RETURNED ? -1 : (int)f->expected;
		snprintf(pl->what, sizeof(pl->what), "model outcome at %s", pl->at);
		return 0;
	}
	if (l->kind == HCF_LOC_REG && f->related != SIZE_MAX) {
		/* a monotonic output that went back: compared with that call */
		size_t j = pl->call;
		while (j-- > 0)
			if (cx->p->calls[j].op == cx->p->calls[pl->call].op)
				break;
		if (j == SIZE_MAX) {
			snprintf(err, errlen, "monotonic model finding on %s, but no earlier call of %s is in "
					      "the program", f->sig.where, pl->name);
			return -1;
		}
		pl->kind = CK_MODEL_MONO;
		pl->reg = l->reg;
		pl->width = model_width(cx->abi, pl->op, l->reg);
		pl->mask = hcf_x86_width_mask(pl->width);
		pl->prev = j;
		snprintf(pl->what, sizeof(pl->what), "model: %s went back at %s", f->sig.where, pl->at);
		return 0;
	}
	if (!f->has_values) {
		snprintf(err, errlen, "model finding on %s without the expected value (finding.json has "
				      "no \"expected\")", f->sig.where);
		return -1;
	}
	if (l->kind == HCF_LOC_REG) {
		pl->kind = CK_MODEL_REG;
		pl->reg = l->reg;
		pl->width = model_width(cx->abi, pl->op, l->reg);
		pl->mask = hcf_x86_width_mask(pl->width);
		pl->expect = f->expected & pl->mask;
	} else if (l->kind == HCF_LOC_FLAG) {
		pl->kind = CK_MODEL_FLAG;
		pl->bit = l->bit;
		pl->expect = (f->expected >> l->bit) & 1;
	} else {
		snprintf(err, errlen, "model finding at %s: not a register, RFLAGS bit or the exception",
			 hcf_loc_kind_name(l->kind));
		return -1;
	}
	snprintf(pl->what, sizeof(pl->what), "model %s at %s", f->sig.where, pl->at);
	return 0;
}

/* The bytes of the finding's buffer image (guard | data | guard) its place
 * names: a guard, a field, a run of padding, the bytes past the struct, a
 * read-only buffer. */
static void memory_place(struct plan *pl, const struct cx *cx, const struct hcf_loc *l)
{
	const struct hcf_buf *b = &cx->p->bufs[pl->mbuf];
	const struct hcf_struct *st = b->struct_idx >= 0 && (size_t)b->struct_idx < cx->abi->nstructs ?
					      &cx->abi->structs[b->struct_idx] : NULL;
	uint32_t g = HCF_BUF_GUARD, size = b->size, end = st && st->size < size ? st->size : size;
	pl->ilo = g;
	pl->ihi = g + size;
	switch (l->kind) {
	case HCF_LOC_GUARD_BELOW:
		pl->ilo = 0;
		pl->ihi = g;
		return;
	case HCF_LOC_GUARD_ABOVE:
		pl->ilo = g + size;
		pl->ihi = 2 * g + size;
		return;
	case HCF_LOC_PAST_STRUCT:
		pl->ilo = g + end;
		return;
	case HCF_LOC_FIELD: {
		const char *dot = strrchr(l->name, '.');
		for (size_t k = 0; st && dot && k < st->nfields; k++) {
			const struct hcf_field *fl = &st->fields[k];
			if (strcmp(fl->name, dot + 1) != 0)
				continue;
			pl->ilo = g + (fl->offset < size ? fl->offset : size);
			pl->ihi = g + ((uint64_t)fl->offset + fl->size < size ? fl->offset + fl->size : size);
			return;
		}
		return;
	}
	case HCF_LOC_PADDING: {
		/* the run of bytes no field covers around the first changed one */
		uint8_t covered[HCF_BUF_MAX];
		memset(covered, 0, sizeof(covered));
		for (size_t k = 0; st && k < st->nfields; k++)
			for (uint64_t i = st->fields[k].offset;
			     i < (uint64_t)st->fields[k].offset + st->fields[k].size && i < size; i++)
				covered[i] = 1;
		uint32_t off = l->off >= 0 ? (uint32_t)l->off : 0, lo = off, hi = off;
		if (off >= end || covered[off]) {
			pl->ihi = g + end;
			return;
		}
		while (lo > 0 && !covered[lo - 1])
			lo--;
		while (hi < end && !covered[hi])
			hi++;
		pl->ilo = g + lo;
		pl->ihi = g + hi;
		return;
	}
	default: /* a read-only buffer: all of it */
		return;
	}
}

static int parse_memory(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	const struct hcf_loc *l = &cx->f->loc;
	pl->kind = CK_MEMORY;
	pl->ncalls = cx->p->ncalls; /* memory is compared after the whole program */
	pl->mbuf = -1;
	if (l->kind == HCF_LOC_PAGE || l->kind == HCF_LOC_PAGES) {
		pl->kind = CK_PAGES;
		snprintf(pl->what, sizeof(pl->what), "memory: stray page write at %s", pl->at);
		return 0;
	}
	if (!hcf_loc_is_memory(l) || l->kind == HCF_LOC_STATUS || l->buf < 0) {
		snprintf(err, errlen, "memory finding at %s: not a buffer, guard or page (a harness "
				      "problem, not something the hypervisor did, cannot be replayed)",
			 cx->f->sig.where[0] ? cx->f->sig.where : hcf_loc_kind_name(l->kind));
		return -1;
	}
	if ((size_t)l->buf >= cx->p->nbufs) {
		snprintf(err, errlen, "memory finding on buf%d, but the program has %zu buffers", l->buf,
			 cx->p->nbufs);
		return -1;
	}
	pl->mbuf = l->buf;
	memory_place(pl, cx, l);
	snprintf(pl->what, sizeof(pl->what), "memory %s after %s", cx->f->sig.where, pl->at);
	return 0;
}

static int parse_liveness(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	const struct hcf_finding *f = cx->f;
	const char *rc = f->sig.rclass;
	pl->kind = CK_LIVENESS;
	/* a loss blamed on an earlier call happened in the related one */
	if (f->related != SIZE_MAX && f->related < cx->p->ncalls && f->related > pl->call) {
		pl->call = f->related;
		pl->ncalls = f->related + 1;
		hcf_pcall_name(cx->p, &cx->p->calls[pl->call], pl->name, sizeof(pl->name));
		snprintf(pl->at, sizeof(pl->at), "call %zu (%s)", pl->call, pl->name);
	}
	if (f->loc.kind == HCF_LOC_PROGRAM) {
		pl->lv = LV_PROGRAM;
		pl->ncalls = cx->p->ncalls;
	} else if (!strcmp(rc, "hang") || !strcmp(rc, "lost:runaway")) {
		/* the reproducer does not sample a guest that stops making
		 * progress: a runaway shows there as a hang */
		pl->lv = LV_HANG;
	} else if (!strncmp(rc, "lost:", 5) || !strcmp(rc, "guest-lost")) {
		pl->lv = LV_LOST;
	} else if (!strcmp(rc, "bad-result")) {
		pl->lv = LV_BAD;
	} else {
		snprintf(err, errlen, "liveness finding of class \"%s\": not a hang, lost guest or bad result", rc);
		return -1;
	}
	snprintf(pl->what, sizeof(pl->what), "liveness (%s) at %s", rc, pl->at);
	return 0;
}

/* One row per oracle: how its findings become a check. */
static const struct {
	const char *oracle;
	parse_fn parse;
} oracle_rows[] = {
	{ "clobber", parse_clobber },
	{ "exception", parse_exception },
	{ "retval", parse_retval },
	{ "model", parse_model },
	{ "memory", parse_memory },
	{ "liveness", parse_liveness },
};

static const char *call_op_name(const struct cx *cx, size_t i)
{
	const struct hcf_op *op = hcf_oracle_call_op(cx->abi, cx->p, i);
	return op ? op->name : "undeclared";
}

/*
 * The call the check is on: the one finding.json names when the program has
 * it with the signature's op; else (a minimized program renumbers its calls)
 * the last call of that op.
 */
static int pick_call(const struct cx *cx, size_t *call, char *err, size_t errlen)
{
	const struct hcf_finding_sig *s = &cx->f->sig;
	size_t n = cx->p->ncalls;
	if (n == 0) {
		snprintf(err, errlen, "the finding's program has no calls");
		return -1;
	}
	if (s->call < n && !strcmp(call_op_name(cx, s->call), s->op)) {
		*call = s->call;
		return 0;
	}
	for (size_t i = n; i-- > 0;)
		if (!strcmp(call_op_name(cx, i), s->op)) {
			*call = i;
			return 0;
		}
	snprintf(err, errlen, "the signature names %s, but no call of the program is %s", s->op,
		 !strcmp(s->op, "undeclared") ? "an undeclared number" : "to it");
	return -1;
}

static int make_plan(struct plan *pl, const struct cx *cx, char *err, size_t errlen)
{
	memset(pl, 0, sizeof(*pl));
	pl->mbuf = -1;
	if (pick_call(cx, &pl->call, err, errlen) != 0)
		return -1;
	pl->ncalls = pl->call + 1; /* later calls cannot change what this one did */
	pl->op = hcf_oracle_call_op(cx->abi, cx->p, pl->call);
	hcf_pcall_name(cx->p, &cx->p->calls[pl->call], pl->name, sizeof(pl->name));
	snprintf(pl->at, sizeof(pl->at), "call %zu (%s)", pl->call, pl->name);
	for (size_t i = 0; i < sizeof(oracle_rows) / sizeof(oracle_rows[0]); i++) {
		if (strcmp(oracle_rows[i].oracle, cx->f->sig.oracle) != 0)
			continue;
		if (oracle_rows[i].parse(pl, cx, err, errlen) != 0)
			return -1;
		if (pl->ncalls > HCF_REPRO_MAX_CALLS) {
			snprintf(err, errlen, "the program replays %zu calls, more than the %u a reproducer holds: "
					      "minimize the finding first (hcfuzz minimize)",
				 pl->ncalls, HCF_REPRO_MAX_CALLS);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "no reproducer check for findings of the %s oracle", cx->f->sig.oracle);
	return -1;
}

/* ---- the fixed parts of the emitted program ------------------------------- */

/* reports/repro_rt/, embedded by the build (reports/repro_rt_blob.S): the
 * head goes before the generated part, the run loop and main after it. */
extern const char hcf_repro_rt_head[], hcf_repro_rt_tail[];

/* ---- the guest code --------------------------------------------------------- */

struct gen {
	const struct cx *cx;
	const struct plan *pl;
	struct as a;
	size_t ncalls, nslots;
	size_t slot_probe, slot_vif, slot_hcpage;
	uint64_t (*img)[HCF_NGPR];   /* the register image of each call */
	struct hcf_layout layout;
	uint64_t buf_gpa[HCF_PROG_MAX_BUFS];
	uint8_t *buf_image[HCF_PROG_MAX_BUFS]; /* guard | contents | guard before the run */
	uint8_t *buf_init[HCF_PROG_MAX_BUFS];  /* the contents: into buf_image */
	size_t *call_l;              /* label of each call; [ncalls] is "done" */
	size_t *cont_l;              /* per slot: where the exception path goes on */
	size_t *native_at;           /* offsets of the vmcall bytes patched at run time */
	size_t nnative;
	size_t entry_off, stubs_off;
};

static uint64_t slot_gpa(size_t s)
{
	return RES_GPA + (uint64_t)s * sizeof(struct slot);
}

static const char *slot_str(const struct gen *g, size_t s, char *buf, size_t len)
{
	if (s < g->ncalls)
		snprintf(buf, len, "res[%zu]", s);
	else
		snprintf(buf, len, "res[%s]", s == g->slot_probe ? "PROBE" : s == g->slot_vif ? "VIF" : "HCPAGE");
	return buf;
}

/* The buffers where hcfuzz's kvm target puts them, with the same bytes
 * (prog/layout.h: one definition for both). */
static int layout_bufs(struct gen *g, char *err, size_t errlen)
{
	const struct hcf_prog *p = g->cx->p;
	if (hcf_layout_place(p, &g->layout, err, errlen) != 0)
		return -1;
	for (size_t b = 0; b < p->nbufs; b++) {
		g->buf_gpa[b] = g->layout.buf_gva[b];
		g->buf_image[b] = hcf_xcalloc(1, (size_t)p->bufs[b].size + 2 * HCF_BUF_GUARD);
		hcf_layout_image(p, &g->layout, b, g->buf_image[b]);
		g->buf_init[b] = g->buf_image[b] + HCF_BUF_GUARD;
	}
	return 0;
}

/* The register image hcfuzz's kvm target loads for call i (the agent keeps
 * its own RSP); the hypercall-page entry in *target. */
static void call_image(const struct gen *g, size_t i, uint64_t gpr[HCF_NGPR], uint64_t *target)
{
	hcf_layout_call_image(g->cx->p, &g->layout, i, gpr, target);
	gpr[HCF_RSP] = 0;
}

/* Slot bookkeeping before the instruction: which slot, and "in a call". */
static void gen_slot_begin(struct gen *g, size_t s)
{
	struct as *a = &g->a;
	char sn[32], why[48];
	slot_str(g, s, sn, sizeof(sn));
	snprintf(why, sizeof(why), "%s is in flight", sn);
	e_store_imm(a, m_abs(CTL_GPA + CTL_CUR), (uint32_t)s, "ctl.cur", why);
	snprintf(why, sizeof(why), "its address");
	e_store_imm(a, m_abs(CTL_GPA + CTL_CUR_SLOT), (uint32_t)slot_gpa(s), "ctl.cur_slot", why);
}

static void gen_in_call(struct gen *g, bool on)
{
	e_store_imm(&g->a, m_abs(CTL_GPA + CTL_IN_CALL), on ? 1 : 0, "ctl.in_call",
		    on ? "an exception from here on is the call's" : "the call is over");
}

/* After the stores: the outcome, then the seq tag that makes the slot complete. */
static void gen_slot_end(struct gen *g, size_t s)
{
	char sn[32], d[48];
	slot_str(g, s, sn, sizeof(sn));
	snprintf(d, sizeof(d), "%s.outcome", sn);
	e_store_imm(&g->a, m_abs(slot_gpa(s) + SL_OUTCOME), 1, d, "returned");
	snprintf(d, sizeof(d), "%s.seq", sn);
	e_store_imm(&g->a, m_abs(slot_gpa(s) + SL_SEQ), SEQ_TAG ^ (uint32_t)s, d, "SEQ_TAG ^ slot: complete");
}

/* wrmsr ecx <- eax (edx = 0) as a setup slot. */
static void gen_setup_wrmsr(struct gen *g, size_t s, uint32_t msr, uint32_t value, const char *what)
{
	struct as *a = &g->a;
	gen_slot_begin(g, s);
	gen_in_call(g, true);
	e_mov_imm32(a, HCF_RCX, msr, what);
	e_mov_imm32(a, HCF_RAX, value, "");
	e_fixed(a, F_XOR_EDX, NULL);
	e_fixed(a, F_WRMSR, NULL);
	gen_in_call(g, false);
	gen_slot_end(g, s);
}

/*
 * Setup, as hcfuzz's agent does it: load the IDT; read the PVM MSR (a #GP on
 * anything but PVM lands in the IDT and skips ahead); on PVM register the VIF
 * page so that the guest runs natively; fill the hypercall page when the
 * transport uses one.
 */
static void gen_setup(struct gen *g, size_t l_after_vif)
{
	struct as *a = &g->a;
	char sn[32], d[64];
	g->entry_off = a->len;
	as_comment(a, "entry: the host built the IDT at IDT_GPA and loaded IDTR");
	as_comment(a, "setup: does MSR 0x%x read \"PVM\"? (#GP elsewhere: on to after_vif)", HCF_MSR_PVM_ID);
	gen_slot_begin(g, g->slot_probe);
	gen_in_call(g, true);
	e_mov_imm32(a, HCF_RCX, HCF_MSR_PVM_ID, "PVM's identification MSR");
	e_fixed(a, F_RDMSR, NULL);
	gen_in_call(g, false);
	slot_str(g, g->slot_probe, sn, sizeof(sn));
	snprintf(d, sizeof(d), "%s.gpr[rax]", sn);
	e_store(a, m_abs(slot_gpa(g->slot_probe) + SL_GPR + 8 * HCF_RAX), HCF_RAX, d);
	snprintf(d, sizeof(d), "%s.gpr[rdx]", sn);
	e_store(a, m_abs(slot_gpa(g->slot_probe) + SL_GPR + 8 * HCF_RDX), HCF_RDX, d);
	gen_slot_end(g, g->slot_probe);
	e_cmp_eax(a, (uint32_t)HCF_PVM_ID_VALUE, "\"PVM\"?");
	e_jne(a, l_after_vif, "after_vif");
	e_fixed(a, F_TEST_EDX, NULL);
	e_jne(a, l_after_vif, "after_vif");

	as_comment(a, "setup: PVM: register the VIF page; from the next instruction the guest runs natively");
	gen_setup_wrmsr(g, g->slot_vif, HCF_MSR_PVM_VIF, (uint32_t)HCF_GPA_VIF, "PVM's VIF MSR <- VIF_GPA");
	as_bind(a, l_after_vif);
	as_comment(a, "after_vif:");
	const struct hcf_transport *t = &g->cx->abi->transport;
	if (t->kind == HCF_XPORT_HCPAGE) {
		as_comment(a, "setup: have the hypervisor fill the hypercall page (MSR 0x%x <- HCPAGE_GPA)",
			   t->hcpage_msr);
		gen_setup_wrmsr(g, g->slot_hcpage, t->hcpage_msr, (uint32_t)HCF_GPA_HCPAGE, "hypercall-page MSR");
	}
}

/* The transport's instruction for one call. */
static void gen_transport(struct gen *g)
{
	struct as *a = &g->a;
	const struct hcf_transport *t = &g->cx->abi->transport;
	if (t->kind == HCF_XPORT_INT) {
		e_int(a, t->vector);
		return;
	}
	if (t->kind == HCF_XPORT_HCPAGE) {
		size_t s = a->len;
		e_mem(a, MF_CALL, 0, m_abs(CTL_GPA + CTL_HC_TARGET));
		as_note(a, s, "call [ctl.hc_target]");
		return;
	}
	/* NATIVE is emitted as vmcall; the program patches it to vmmcall at run
	 * time unless the CPU is Intel, as the kvm target resolves it from the
	 * vendor its agent reports. */
	uint8_t bytes[8];
	const char *mnemonic = "?";
	size_t n = hcf_xport_insn(t, bytes, &mnemonic), s = a->len;
	if (t->kind == HCF_XPORT_NATIVE) {
		g->native_at = hcf_xreallocarray(g->native_at, g->nnative + 1, sizeof(*g->native_at));
		g->native_at[g->nnative++] = a->len;
	}
	for (size_t k = 0; k < n; k++)
		put8(a, bytes[k]);
	if (t->kind == HCF_XPORT_NATIVE)
		as_note(a, s, "%-22s ; %s", mnemonic, "(vmmcall unless the CPU is Intel: patch_native)");
	else
		as_note(a, s, "%s", mnemonic);
}

static const char *reg_role(const struct gen *g, size_t i, unsigned r, char *buf, size_t len)
{
	const struct hcf_prog *p = g->cx->p;
	const struct hcf_pcall *c = &p->calls[i];
	const struct hcf_op *op = hcf_oracle_call_op(g->cx->abi, p, i);
	const struct hcf_transport *t = &g->cx->abi->transport;
	buf[0] = '\0';
	if (hcf_xport_addressed(t) && r == HCF_RDX)
		snprintf(buf, len, t->kind == HCF_XPORT_PIO ? "port" : "MMIO address");
	else if (r == hcf_prog_nr_reg(g->cx->abi) && (c->set & HCF_REGBIT(r)))
		snprintf(buf, len, "call number");
	else if (c->ref[r].buf >= 0)
		snprintf(buf, len, "&buf%d%+d", c->ref[r].buf, c->ref[r].offset);
	else if (!(c->set & HCF_REGBIT(r)))
		snprintf(buf, len, "sentinel");
	for (size_t k = 0; op && k < op->nargs && !buf[0]; k++)
		if (op->args[k].reg == r && op->args[k].name)
			snprintf(buf, len, "%s", op->args[k].name);
	return buf;
}

/* One call: load, issue, store (trampoline.S, unrolled). */
static void gen_call(struct gen *g, size_t i)
{
	struct as *a = &g->a;
	const struct hcf_prog *p = g->cx->p;
	const struct hcf_pcall *c = &p->calls[i];
	bool vec = g->pl->vec && i == g->pl->call;
	char name[96], sn[32], d[64], role[48];
	uint64_t target;
	call_image(g, i, g->img[i], &target);
	slot_str(g, i, sn, sizeof(sn));
	hcf_pcall_name(p, c, name, sizeof(name));

	as_bind(a, g->call_l[i]);
	as_comment(a, "0x%05zx call %zu: %s", a->len, i, name);
	gen_slot_begin(g, i);
	if (g->cx->abi->transport.kind == HCF_XPORT_HCPAGE)
		e_store_imm(a, m_abs(CTL_GPA + CTL_HC_TARGET), (uint32_t)target, "ctl.hc_target",
			    "its hypercall-page entry");
	for (unsigned x = 0; vec && x < 16; x++) {
		snprintf(d, sizeof(d), "ctl.xmm_sentinel[%u]", x);
		e_movdqu(a, false, x, m_abs(CTL_GPA + CTL_XMM + 16 * x), d);
	}
	gen_in_call(g, true);
	uint32_t rfl = (uint32_t)(0x2 | (c->rflags & HCF_RFLAGS_LOADABLE));
	e_push_imm(a, rfl, "RFLAGS the program asks for");
	e_fixed(a, F_POPFQ, NULL);
	snprintf(d, sizeof(d), "%s.rflags_before", sn);
	e_save_rflags(a, slot_gpa(i) + SL_RFL_BEFORE, d);
	snprintf(d, sizeof(d), "%s.rsp_before", sn);
	e_store(a, m_abs(slot_gpa(i) + SL_RSP_BEFORE), HCF_RSP, d);
	for (unsigned r = 1; r <= HCF_NGPR; r++) {
		unsigned reg = r % HCF_NGPR; /* rcx .. r15, rax last as the agent does */
		if (reg == HCF_RSP)
			continue;
		e_mov_imm64(a, reg, g->img[i][reg], reg_role(g, i, reg, role, sizeof(role)));
	}
	gen_transport(g);
	for (unsigned r = 0; r < HCF_NGPR; r++) {
		snprintf(d, sizeof(d), "%s.gpr[%s]", sn, rn(r));
		e_store(a, m_abs(slot_gpa(i) + SL_GPR + 8 * r), r, d);
	}
	e_set_rsp(a, (uint32_t)STACK_TOP, "the guest's own stack again");
	snprintf(d, sizeof(d), "%s.rflags_after", sn);
	e_save_rflags(a, slot_gpa(i) + SL_RFL_AFTER, d);
	for (unsigned x = 0; vec && x < 16; x++) {
		snprintf(d, sizeof(d), "%s.xmm[%u]", sn, x);
		e_movdqu(a, true, x, m_abs(slot_gpa(i) + SL_XMM + 16 * x), d);
	}
	gen_in_call(g, false);
	gen_slot_end(g, i);
}

/* After an exception in the checked call: its XMM registers, then on. */
static void gen_vec_tail(struct gen *g, size_t l)
{
	struct as *a = &g->a;
	size_t i = g->pl->call;
	char sn[32], d[64];
	slot_str(g, i, sn, sizeof(sn));
	as_bind(a, l);
	as_comment(a, "after an exception in call %zu: its XMM registers too", i);
	for (unsigned x = 0; x < 16; x++) {
		snprintf(d, sizeof(d), "%s.xmm[%u]", sn, x);
		e_movdqu(a, true, x, m_abs(slot_gpa(i) + SL_XMM + 16 * x), d);
	}
	e_jmp(a, g->call_l[i + 1], i + 1 < g->ncalls ? "the next call" : "done");
}

/*
 * The exception path, common to all 256 stubs (stack: vector, error code,
 * RIP, CS, RFLAGS, RSP, SS). Outside a call it is the guest's own fault:
 * report a panic. Inside, store the registers at the fault and the frame into
 * the slot in flight, and go on where the continuation table says.
 */
static void gen_exc(struct gen *g, size_t l_exc, size_t l_panic)
{
	struct as *a = &g->a;
	const unsigned RAX = HCF_RAX, RCX = HCF_RCX, RSI = HCF_RSI, RSP = HCF_RSP;
	char d[48];
	as_bind(a, l_exc);
	as_comment(a, "exc_common: an exception; the stubs pushed the vector (and 0 for no error code)");
	e_cmp_mem_imm8(a, m_abs(CTL_GPA + CTL_IN_CALL), 0, "ctl.in_call");
	e_je(a, l_panic, "panic");
	e_store(a, m_abs(CTL_GPA + CTL_SCRATCH), RAX, "ctl.scratch");
	e_load(a, RAX, m_abs(CTL_GPA + CTL_CUR_SLOT), "ctl.cur_slot");
	for (unsigned r = 1; r < HCF_NGPR; r++) {
		if (r == RSP)
			continue;
		snprintf(d, sizeof(d), "rax + gpr[%s]", rn(r));
		e_store(a, m_base(RAX, SL_GPR + 8 * (int32_t)r), r, d);
	}
	e_load(a, RCX, m_abs(CTL_GPA + CTL_SCRATCH), "ctl.scratch");
	e_store(a, m_base(RAX, SL_GPR), RCX, "rax + gpr[rax]");
	e_load(a, RSI, m_base(RSP, 0), "rsp");
	e_store(a, m_base(RAX, SL_VECTOR), RSI, "rax + vector");
	static const struct {
		int32_t frame;
		int32_t slot;
		const char *what;
	} frame_fields[] = {
		{ 8, SL_ERR, "error_code" },
		{ 16, SL_RIP, "fault_rip" },
		{ 32, SL_RFL_AFTER, "rflags_after" },
		{ 40, SL_GPR + 8 * HCF_RSP, "gpr[rsp]" },
	};
	for (size_t k = 0; k < sizeof(frame_fields) / sizeof(frame_fields[0]); k++) {
		char src[24];
		snprintf(src, sizeof(src), "rsp + %d", frame_fields[k].frame);
		e_load(a, RCX, m_base(RSP, frame_fields[k].frame), src);
		snprintf(d, sizeof(d), "rax + %s", frame_fields[k].what);
		e_store(a, m_base(RAX, frame_fields[k].slot), RCX, d);
	}
	size_t l_nocr2 = as_new_label(a);
	e_fixed(a, F_XOR_ECX, NULL);
	e_cmp_reg_imm8(a, RSI, 14);
	e_jne(a, l_nocr2, "1f (CR2 only for #PF)");
	e_fixed(a, F_MOV_RCX_CR2, NULL);
	as_bind(a, l_nocr2);
	as_comment(a, "1:");
	e_store(a, m_base(RAX, SL_CR2), RCX, "rax + cr2");
	e_store_imm(a, m_base(RAX, SL_OUTCOME), 2, "rax + outcome", "exception");
	gen_in_call(g, false);
	e_load(a, RCX, m_abs(CTL_GPA + CTL_CUR), "ctl.cur");
	e_xor_imm(a, RCX, SEQ_TAG);
	e_store(a, m_base(RAX, SL_SEQ), RCX, "rax + seq");
	e_set_rsp(a, (uint32_t)STACK_TOP, "drop the frame");
	e_load(a, RAX, m_abs(CTL_GPA + CTL_CUR), "ctl.cur");
	e_jmp_table(a, CONT_GPA, "cont");

	as_bind(a, l_panic);
	as_comment(a, "panic: an exception outside a call; tell the host and stop");
	static const struct {
		int32_t frame;
		uint32_t ctl;
		const char *what;
	} panic_fields[] = {
		{ 0, CTL_PANIC_VECTOR, "ctl.panic_vector" },
		{ 8, CTL_PANIC_ERR, "ctl.panic_error_code" },
		{ 16, CTL_PANIC_RIP, "ctl.panic_rip" },
	};
	for (size_t k = 0; k < sizeof(panic_fields) / sizeof(panic_fields[0]); k++) {
		char src[24];
		snprintf(src, sizeof(src), "rsp + %d", panic_fields[k].frame);
		e_load(a, RCX, m_base(RSP, panic_fields[k].frame), src);
		e_store(a, m_abs(CTL_GPA + panic_fields[k].ctl), RCX, panic_fields[k].what);
	}
	size_t l_loop = as_new_label(a);
	as_bind(a, l_loop);
	as_comment(a, "2:");
	e_mov_imm32(a, HCF_RDX, DONE_PORT, "DONE_PORT");
	e_mov_imm32(a, HCF_RAX, EV_PANIC, "EV_PANIC");
	e_fixed(a, F_OUT32, NULL);
	e_fixed(a, F_HLT, NULL);
	e_jmp(a, l_loop, "2b");
}

/* 256 exception stubs of 16 bytes at STUBS_OFF. */
static void gen_stubs(struct gen *g, size_t l_exc)
{
	struct as *a = &g->a;
	const struct hcf_transport *t = &g->cx->abi->transport;
	size_t pad = a->len;
	while (a->len % 16)
		put8(a, fixed_insns[F_INT3].b[0]);
	if (a->len > pad)
		as_note(a, pad, "int3 x %zu (padding: the stubs start 16-byte aligned)", a->len - pad);
	g->stubs_off = a->len;
	as_comment(a, "0x%05zx the IDT's 256 stubs, 16 bytes each", a->len);
	for (unsigned v = 0; v < 256; v++) {
		size_t s = a->len;
		/* A software "int N" to a vector that normally has an error code
		 * pushes none: the transport's own vector is treated that way, as
		 * the agent does. */
		bool errcode = hcf_x86_exc_has_error_code(v) && !(t->kind == HCF_XPORT_INT && v == t->vector);
		if (!errcode) {
			put8(a, 0x6a); /* push 0 */
			put8(a, 0x00);
		}
		put8(a, 0x68);
		put32(a, v);
		put8(a, 0xe9);
		as_rel32(a, l_exc);
		const char *m = hcf_x86_exc_mnemonic(v);
		char what[24] = "";
		if (m)
			snprintf(what, sizeof(what), " (%s)", m);
		while ((a->len - g->stubs_off) % 16)
			put8(a, 0xcc); /* int3 padding */
		as_note(a, s, "vector %u%s: %spush %u; jmp exc_common; int3 padding", v, what,
			errcode ? "" : "push 0; ", v);
	}
}

static void gen_free(struct gen *g)
{
	as_free(&g->a);
	free(g->img);
	free(g->call_l);
	free(g->cont_l);
	free(g->native_at);
	for (size_t b = 0; b < HCF_PROG_MAX_BUFS; b++)
		free(g->buf_image[b]);
}

static int gen_code(struct gen *g, char *err, size_t errlen)
{
	struct as *a = &g->a;
	const struct hcf_transport *t = &g->cx->abi->transport;
	uint8_t insn[8];
	if (t->kind != HCF_XPORT_INT && t->kind != HCF_XPORT_HCPAGE && !hcf_xport_insn(t, insn, NULL)) {
		snprintf(err, errlen, "transport %s (width %u) has no instruction in the reproducer",
			 hcf_xport_name(t->kind), t->width);
		return -1;
	}
	if (layout_bufs(g, err, errlen) != 0)
		return -1;
	g->ncalls = g->pl->ncalls;
	g->slot_probe = g->ncalls;
	g->slot_vif = g->ncalls + 1;
	g->slot_hcpage = g->ncalls + 2;
	g->nslots = g->ncalls + NSETUP;
	g->img = hcf_xcalloc(g->ncalls, sizeof(*g->img));
	g->call_l = hcf_xcalloc(g->ncalls + 1, sizeof(*g->call_l));
	g->cont_l = hcf_xcalloc(g->nslots, sizeof(*g->cont_l));
	for (size_t i = 0; i <= g->ncalls; i++)
		g->call_l[i] = as_new_label(a);
	size_t l_after_vif = as_new_label(a), l_exc = as_new_label(a), l_panic = as_new_label(a);
	size_t l_vec_tail = as_new_label(a);

	gen_setup(g, l_after_vif);
	for (size_t i = 0; i < g->ncalls; i++) {
		gen_call(g, i);
		g->cont_l[i] = g->call_l[i + 1];
	}
	if (g->pl->vec)
		g->cont_l[g->pl->call] = l_vec_tail;
	g->cont_l[g->slot_probe] = l_after_vif;
	g->cont_l[g->slot_vif] = l_after_vif;
	g->cont_l[g->slot_hcpage] = g->call_l[0];

	as_bind(a, g->call_l[g->ncalls]);
	as_comment(a, "0x%05zx done: tell the host", a->len);
	e_mov_imm32(a, HCF_RDX, DONE_PORT, "DONE_PORT");
	e_mov_imm32(a, HCF_RAX, EV_DONE, "EV_DONE");
	e_fixed(a, F_OUT32, NULL);
	e_fixed(a, F_HLT, NULL);
	e_jmp(a, g->call_l[g->ncalls], "done");
	if (g->pl->vec)
		gen_vec_tail(g, l_vec_tail);
	gen_exc(g, l_exc, l_panic);
	gen_stubs(g, l_exc);
	if (as_resolve(a) != 0) {
		snprintf(err, errlen, "internal error: a jump to a label never placed");
		return -1;
	}
	/* guest_code[] is printed from the listing: it must hold every byte */
	size_t covered = 0;
	for (size_t k = 0; k < a->nlines; k++)
		if (a->lines[k].off == covered)
			covered += a->lines[k].len;
	if (covered != a->len) {
		snprintf(err, errlen, "internal error: the listing covers %zu of %zu code bytes", covered, a->len);
		return -1;
	}
	if (a->len > CODE_MAX) {
		snprintf(err, errlen, "the guest code (%zu bytes for %zu calls) does not fit its %llu bytes: "
				      "minimize the finding first (hcfuzz minimize)",
			 a->len, g->ncalls, (unsigned long long)CODE_MAX);
		return -1;
	}
	return 0;
}

/* ---- writing the C program ------------------------------------------------- */

struct em {
	FILE *f;
	const struct cx *cx;
	const struct plan *pl;
	struct gen *g;
};

static void pf(struct em *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pf(struct em *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(e->f, fmt, ap);
	va_end(ap);
}

/* Upper-case register name as the emitted enum spells it. */
static const char *RN(unsigned r)
{
	static const char *const names[HCF_NGPR] = {
		"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
		"R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
	};
	return r < HCF_NGPR ? names[r] : "RAX";
}

/* A comment paragraph: text wrapped at 96 columns after `first` (then
 * `cont`), sanitized for a comment. */
static void pwrap(struct em *e, const char *first, const char *cont, const char *text)
{
	char clean[2048];
	cmt(text, clean, sizeof(clean));
	const char *p = clean, *prefix = first;
	const size_t width = 96;
	do {
		size_t room = width > strlen(prefix) ? width - strlen(prefix) : 40;
		size_t n = strlen(p);
		if (n > room) {
			size_t cut = room;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			n = cut ? cut : room;
		}
		pf(e, "%s%.*s\n", prefix, (int)n, p);
		p += n;
		while (*p == ' ')
			p++;
		prefix = cont;
	} while (*p);
}

static void fmt_regmask(hcf_regmask_t m, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned r = 0; r < HCF_NGPR && o < len; r++)
		if (m & HCF_REGBIT(r))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", rn(r));
	if (!o)
		snprintf(buf, len, "no register");
}

static void fmt_vset(const struct hcf_vset *s, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	if (s->any) {
		snprintf(buf, len, "any value");
		return;
	}
	for (size_t i = 0; i < s->n && o + 1 < len; i++) {
		int k = s->r[i].lo == s->r[i].hi ?
				snprintf(buf + o, len - o, "%s%" PRId64, i ? ", " : "", s->r[i].lo) :
				snprintf(buf + o, len - o, "%s%" PRId64 "..%" PRId64, i ? ", " : "", s->r[i].lo,
					 s->r[i].hi);
		if (k < 0)
			break;
		o += (size_t)k;
	}
	if (!s->n)
		snprintf(buf, len, "none");
}

/* Error codes with their names from the constants table: "ENOSYS (38)". */
static void fmt_errors(const struct cx *cx, const struct hcf_op *op, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; op && i < op->nerrors && o + 1 < len; i++) {
		const char *name = NULL;
		for (size_t k = 0; k < cx->abi->nconsts && !name; k++)
			if (cx->abi->consts[k].value == op->errors[i])
				name = cx->abi->consts[k].name;
		int n = name ? snprintf(buf + o, len - o, "%s%s (%" PRId64 ")", o ? ", " : "", name, op->errors[i]) :
			       snprintf(buf + o, len - o, "%s%" PRId64, o ? ", " : "", op->errors[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (!o)
		snprintf(buf, len, "none");
}

static void fmt_vectors(uint32_t mask, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned v = 0; v < 32 && o + 1 < len; v++)
		if (mask & (1u << v)) {
			const char *m = hcf_x86_exc_mnemonic(v);
			int n = m ? snprintf(buf + o, len - o, "%s%s", o ? ", " : "", m) :
				    snprintf(buf + o, len - o, "%svector %u", o ? ", " : "", v);
			if (n < 0)
				break;
			o += (size_t)n;
		}
	if (!o)
		snprintf(buf, len, "none");
}

static hcf_regmask_t may_change(const struct cx *cx, const struct hcf_op *op)
{
	return op ? hcf_op_may_change(cx->abi, op) : hcf_abi_undeclared_may_change(cx->abi);
}

static uint32_t allowed_vectors(const struct cx *cx, const struct hcf_op *op)
{
	return op ? op->exceptions : cx->abi->undeclared_exceptions;
}

static const char *err_conv_name(const struct cx *cx, const struct hcf_op *op)
{
	return hcf_err_conv_name(op ? op->err : cx->abi->err);
}

/* What the contract says, in a sentence, for the comment block. */
static void contract_text(struct em *e, char *buf, size_t len)
{
	const struct cx *cx = e->cx;
	const struct plan *pl = e->pl;
	const struct hcf_op *op = pl->op;
	char m[160], r[160], x[160];
	switch (pl->kind) {
	case CK_CLOBBER_REG:
		fmt_regmask(may_change(cx, op), m, sizeof(m));
		snprintf(buf, len, "%s may change %s (outputs, declared clobbers, transport clobbers); "
				   "%s must come back as it was loaded, whether the call returns or raises an "
				   "exception.",
			 pl->name, m, rn(pl->reg));
		break;
	case CK_CLOBBER_FLAG:
		snprintf(buf, len, "%s may change RFLAGS bits 0x%" PRIx64 "%s; bit %u (%s) is not among them.",
			 pl->name, op ? op->rflags_may_change : 0,
			 (op ? op->err : cx->abi->err) == HCF_ERR_CARRY ? " and CF (carry convention)" : "", pl->bit,
			 hcf_x86_rflags_name(pl->bit) ? hcf_x86_rflags_name(pl->bit) : "unnamed");
		break;
	case CK_CLOBBER_XMM:
		snprintf(buf, len, "no call may change a vector register; xmm%u is loaded with a sentinel "
				   "pattern before the call and compared after it.", pl->xmm);
		break;
	case CK_EXCEPTION:
		fmt_vectors(allowed_vectors(cx, op), x, sizeof(x));
		snprintf(buf, len, "the exceptions %s may raise: %s.", pl->name, x);
		break;
	case CK_RETVAL:
		if (!op) {
			fmt_vset(&cx->abi->undeclared_returns, r, sizeof(r));
			snprintf(buf, len, "an undeclared number must return %s in %s (%u bits).", r,
				 rn(pl->reg), pl->width);
		} else {
			fmt_vset(&op->returns, r, sizeof(r));
			fmt_errors(cx, op, x, sizeof(x));
			snprintf(buf, len, "%s returns %s in %s (%u bits); errors: %s; error convention %s.",
				 pl->name, r, pl->reg < HCF_NGPR ? rn(pl->reg) : "no register", pl->width, x,
				 err_conv_name(cx, op));
		}
		break;
	case CK_MODEL_REG:
		snprintf(buf, len, "hcfuzz's reference model (%s) predicted %s = 0x%" PRIx64
				   " after the call (compared in its low %u bits).",
			 cx->abi->model ? cx->abi->model : "spec", rn(pl->reg), pl->expect, pl->width);
		break;
	case CK_MODEL_FLAG:
		snprintf(buf, len, "hcfuzz's reference model predicted RFLAGS bit %u = %" PRIu64 " after the call.",
			 pl->bit, pl->expect);
		break;
	case CK_MODEL_EXC:
		if (pl->exp_vector < 0)
			snprintf(buf, len, "hcfuzz's reference model predicted that the call returns.");
		else
			snprintf(buf, len, "hcfuzz's reference model predicted exception %s (vector %d).",
				 hcf_x86_exc_mnemonic((unsigned)pl->exp_vector) ?
					 hcf_x86_exc_mnemonic((unsigned)pl->exp_vector) : "?",
				 pl->exp_vector);
		break;
	case CK_MODEL_MONO:
		snprintf(buf, len, "the spec says %s of %s never goes back: it must not be smaller than after "
				   "call %zu.", rn(pl->reg), pl->name, pl->prev);
		break;
	case CK_MEMORY:
		snprintf(buf, len, "the hypervisor may write only OUT fields and writable buffers; the guards "
				   "around every buffer and every other byte keep what was written before the run.");
		break;
	case CK_PAGES:
		snprintf(buf, len, "the hypervisor may not change guest memory outside the pages the guest "
				   "writes itself (stack, results, buffers, VIF and hypercall pages).");
		break;
	case CK_LIVENESS:
		if (op && op->destructive)
			snprintf(buf, len, "the call must come back (the spec marks %s destructive, so hcfuzz "
					   "allows it to take the guest down; the check asks anyway).", pl->name);
		else
			snprintf(buf, len, "the call must come back: %s is not marked destructive in the spec.",
				 pl->name);
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
}

static void emit_header(struct em *e)
{
	const struct cx *cx = e->cx;
	const struct plan *pl = e->pl;
	const struct hcf_finding *f = cx->f;
	const struct hcf_prog *p = cx->p;
	char t[1024], u[512];

	const char *file = cx->src->file_name ? cx->src->file_name : "repro.c";
	char fc[256];
	cmt(file, fc, sizeof(fc));
	pf(e, "/*\n");
	snprintf(t, sizeof(t), "%s: hcfuzz finding %s, as a program of its own.", fc, f->sig.id);
	pwrap(e, " * ", " * ", t);
	pf(e, " *\n");
	snprintf(t, sizeof(t), "%s (%s)", f->sig.text, hcf_verdict_name(f->sig.verdict));
	pwrap(e, " * Signature    ", " *              ", t);
	contract_text(e, u, sizeof(u));
	snprintf(t, sizeof(t), "%s: %s", pl->what, u);
	pwrap(e, " * Checks       ", " *              ", t);
	if (f->has_values)
		snprintf(t, sizeof(t), "expected 0x%" PRIx64 ", got 0x%" PRIx64 "%s%s", f->expected, f->got,
			 f->reason[0] ? ": " : "", f->reason);
	else
		snprintf(t, sizeof(t), "%s", f->reason[0] ? f->reason : "(no reason recorded)");
	pwrap(e, " * hcfuzz saw   ", " *              ", t);
	char xp[160];
	hcf_xport_describe(&cx->abi->transport, xp, sizeof(xp));
	snprintf(t, sizeof(t), "call %zu of %zu: %s, number 0x%" PRIx64 ", through %s", pl->call, p->ncalls,
		 pl->name, hcf_pcall_nr(p, &p->calls[pl->call]), xp);
	pwrap(e, " * The call     ", " *              ", t);
	snprintf(t, sizeof(t), "%s (ABI %s%s%s)", cx->src->spec_path ? cx->src->spec_path : cx->abi->path,
		 cx->abi->name, cx->abi->description ? ": " : "", cx->abi->description ? cx->abi->description : "");
	pwrap(e, " * Spec         ", " *              ", t);
	if (pl->op && pl->op->doc) {
		snprintf(t, sizeof(t), "%s: %s", pl->op->name, pl->op->doc);
		pwrap(e, " *              ", " *              ", t);
	}
	snprintf(t, sizeof(t), "%s%s%s%s%s", cx->src->first_seen ? cx->src->first_seen : "",
		 f->engine[0] ? " by " : "", f->engine, cx->src->hypervisor ? " on " : "",
		 cx->src->hypervisor ? cx->src->hypervisor : "");
	if (t[0])
		pwrap(e, " * Found        ", " *              ", t);
	snprintf(t, sizeof(t), "%s of the finding (%zu call%s, %zu buffer%s)%s",
		 cx->src->program_name ? cx->src->program_name : "the program", p->ncalls,
		 p->ncalls == 1 ? "" : "s", p->nbufs, p->nbufs == 1 ? "" : "s",
		 pl->ncalls < p->ncalls ? "; the calls after the checked one are left out, they cannot "
					  "change what it did" : "");
	pwrap(e, " * Program      ", " *              ", t);
	char *text = hcf_prog_to_text(p);
	size_t shown = 0;
	for (char *line = text, *nl; line && *line && shown < 200; line = nl ? nl + 1 : NULL, shown++) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char c[1024];
		cmt(line, c, sizeof(c));
		pf(e, " *     %.200s%s\n", c, strlen(c) > 200 ? " ..." : "");
		if (!nl)
			break;
	}
	if (shown >= 200)
		pf(e, " *     ... (the rest of the program is in the finding's directory)\n");
	free(text);
	pf(e, " *\n"
	      " * Build and run (x86-64 Linux, read and write access to /dev/kvm, libc only):\n"
	      " *\n"
	      " *     cc -O2 -o repro %s && ./repro\n"
	      " *\n", fc);
	pf(e, " * It prints what it saw and one verdict line, and exits\n"
	      " *     0  NOT REPRODUCED  the hypervisor keeps the contract now\n"
	      " *     1  REPRODUCED      the finding is still there\n"
	      " *     2  setup error     no usable /dev/kvm, a missing KVM capability, a guest lost\n"
	      " *                        before its first call\n"
	      " *     3  INCONCLUSIVE    the guest hung or died before the call could be checked\n"
	      " *\n"
	      " * How: the VM is the one hcfuzz builds for its guest agent, with hcfuzz's own code for it\n"
	      " * (the runtime below): 8 MiB of RAM at guest-physical 0 in one memory slot, identity\n"
	      " * page tables over 4 GiB (user-accessible, accessed and dirty preset, page 0 unmapped),\n"
	      " * a flat GDT with a TSS, an IDT that catches all 256 vectors, long mode, CPUID from\n"
	      " * KVM_GET_SUPPORTED_CPUID and KVM's FIX_HYPERCALL_INSN quirk disabled. The guest code\n"
	      " * in guest_code[] (machine code, every instruction's assembly beside it) reads MSR\n"
	      " * 0x4b564d11 and, when it says \"PVM\",\n"
	      " * registers PVM's VIF page so that the guest runs natively (hcfuzz's agent does the\n"
	      " * same; elsewhere the read faults and the guest goes on). Then, per call, it loads every\n"
	      " * general-purpose register but RSP with the value hcfuzz loaded (loaded[] below: the\n"
	      " * program's values, buffer addresses, and a sentinel 0x5e5e<reg><call> in each register\n"
	      " * the program leaves unset), issues the transport's instruction and stores every\n"
	      " * register and RFLAGS into the call's result slot. An exception lands in the IDT, which\n"
	      " * records it in the slot and goes on with the next call. Port and MMIO accesses exit to\n"
	      " * this program, which answers like hcfuzz's default responder (reads return all ones);\n"
	      " * every KVM_RUN runs under a watchdog.\n"
	      " */\n");
}

static void emit_finding(struct em *e)
{
	struct gen *g = e->g;
	const struct cx *cx = e->cx;
	const struct hcf_prog *p = cx->p;
	char s[256];

	pf(e, "\n/* ---- this finding's program ------------------------------------------------ */\n\n");
	pf(e, "#define NCALLS %zuu               /* calls replayed */\n", g->ncalls);
	pf(e, "#define CHECK_CALL %zuu           /* the call the finding is about */\n", e->pl->call);
	pf(e, "#define SLOT_PROBE (NCALLS + 0)  /* setup slots after the calls: the PVM probe, */\n"
	      "#define SLOT_VIF (NCALLS + 1)    /* the VIF page registration, */\n"
	      "#define SLOT_HCPAGE (NCALLS + 2) /* the hypercall page (hypercall_page transport) */\n"
	      "#define NSLOTS (NCALLS + 3)\n");
	pf(e, "#define ENTRY_OFF 0x%zxu         /* where the guest starts in guest_code[] */\n", g->entry_off);
	pf(e, "#define STUBS_OFF 0x%zxu       /* the 256 exception stubs, 16 bytes each */\n\n", g->stubs_off);
	pf(e, "const size_t rt_ncalls = NCALLS, rt_check_call = CHECK_CALL;\n"
	      "const size_t rt_entry_off = ENTRY_OFF, rt_stubs_off = STUBS_OFF;\n"
	      "const unsigned rt_watchdog_ms = %uu; /* hcfuzz's default watchdog */\n\n",
	   HCF_WATCHDOG_DEFAULT_MS);

	pf(e, "const char *const call_name[NCALLS] = {\n");
	for (size_t i = 0; i < g->ncalls; i++) {
		char n[96];
		hcf_pcall_name(p, &p->calls[i], n, sizeof(n));
		cstr(n, s, sizeof(s));
		pf(e, "\t\"%s\",\n", s);
	}
	pf(e, "};\n\n");

	pf(e, "/*\n"
	      " * The register image each call loads, exactly as hcfuzz loaded it: the program's\n"
	      " * values, buffer addresses, and in every register the program leaves unset its\n"
	      " * sentinel 0x5e5e<reg><call>. RSP is not loaded: the guest keeps its stack.\n"
	      " */\n");
	pf(e, "const uint64_t loaded[NCALLS][NGPR] = {\n");
	for (size_t i = 0; i < g->ncalls; i++) {
		char n[96], set[160];
		hcf_pcall_name(p, &p->calls[i], n, sizeof(n));
		cmt(n, s, sizeof(s));
		fmt_regmask(p->calls[i].set, set, sizeof(set));
		pf(e, "\t/* call %zu: %s; set by the program: %s */\n\t{", i, s, set);
		unsigned col = 0;
		for (unsigned r = 0; r < HCF_NGPR; r++) {
			if (r == HCF_RSP)
				continue;
			if (col && col % 3 == 0)
				pf(e, "\n\t ");
			pf(e, " [%s] = 0x%016" PRIx64 "ull,", RN(r), g->img[i][r]);
			col++;
		}
		pf(e, " },\n");
	}
	pf(e, "};\n\n");

	pf(e, "/* Where the exception path goes on, per slot: the next call's code (offsets in\n"
	      " * guest_code[]); the host writes the table to CONT_GPA. */\n");
	pf(e, "const uint32_t cont_off[NSLOTS] = {");
	for (size_t sl = 0; sl < g->nslots; sl++)
		pf(e, "%s0x%05zx,", sl % 8 ? " " : "\n\t", g->a.label[g->cont_l[sl]]);
	pf(e, "\n};\n\n");

	pf(e, "/*\n"
	      " * The guest code: machine code, each instruction with its assembly. res[i] is the\n"
	      " * struct slot of call i at RES_GPA, ctl the struct ctl at CTL_GPA; every address is\n"
	      " * absolute.\n"
	      " */\n");
	pf(e, "const uint8_t guest_code[] = {\n");
	for (size_t k = 0; k < g->a.nlines; k++) {
		const struct as_line *l = &g->a.lines[k];
		char c[160];
		cmt(l->text, c, sizeof(c));
		if (!l->len) {
			pf(e, "\t/* %s */\n", c);
			continue;
		}
		char bytes[128];
		size_t o = 0;
		for (size_t b = 0; b < l->len && o + 8 < sizeof(bytes); b++)
			o += (size_t)snprintf(bytes + o, sizeof(bytes) - o, "0x%02x,%s", g->a.code[l->off + b],
					      b + 1 < l->len ? " " : "");
		pf(e, "\t%-60s /* %s */\n", bytes, c);
	}
	pf(e, "};\nconst size_t guest_code_size = sizeof(guest_code);\n\n");

	if (g->nnative) {
		pf(e, "/* Offsets of the native transport's instruction, emitted as vmcall (0f 01 c1):\n"
		      " * hcfuzz issues vmcall on Intel CPUs and vmmcall (0f 01 d9) on all others. */\n");
		pf(e, "static const uint32_t native_at[] = {");
		for (size_t k = 0; k < g->nnative; k++)
			pf(e, "%s0x%05zx,", k % 8 ? " " : "\n\t", g->native_at[k]);
		pf(e, "\n};\n\n");
		pf(e, "void patch_native(uint8_t *code, const char *vendor)\n{\n"
		      "\tif (!strcmp(vendor, \"GenuineIntel\"))\n\t\treturn;\n"
		      "\tfor (size_t i = 0; i < sizeof(native_at) / sizeof(native_at[0]); i++)\n"
		      "\t\tcode[native_at[i] + 2] = 0xd9; /* vmcall -> vmmcall */\n}\n\n");
	} else {
		hcf_xport_describe(&cx->abi->transport, s, sizeof(s));
		pf(e, "/* The transport (%s) does not depend on the CPU vendor. */\n", s);
		pf(e, "void patch_native(uint8_t *code, const char *vendor)\n{\n"
		      "\t(void)code;\n\t(void)vendor;\n}\n\n");
	}

	if (!p->nbufs) {
		pf(e, "/* The program has no buffers. */\n"
		      "void write_buffers(uint8_t *mem)\n{\n\t(void)mem;\n}\n");
		return;
	}
	pf(e, "/*\n"
	      " * The program's buffers, laid out as hcfuzz's kvm target lays them out: from\n"
	      " * ARENA_GPA, each between GUARD bytes of GUARD_BYTE on either side, 64-byte aligned;\n"
	      " * pointers inside them already hold the addresses they point to.\n"
	      " */\n");
	pf(e, "#define NBUFS %zuu\n", p->nbufs);
	for (size_t b = 0; b < p->nbufs; b++) {
		const struct hcf_buf *buf = &p->bufs[b];
		const char *sname = buf->struct_idx >= 0 && (size_t)buf->struct_idx < cx->abi->nstructs ?
					    cx->abi->structs[buf->struct_idx].name : NULL;
		cmt(sname ? sname : "", s, sizeof(s));
		pf(e, "/* buf%zu: %u bytes at 0x%" PRIx64 ", %s%s%s */\n", b, buf->size, g->buf_gpa[b],
		   sname ? "struct " : "raw, ", sname ? s : "",
		   sname ? "" : (buf->dir & HCF_DIR_OUT) ? "writable" : "read-only");
		pf(e, "static const uint8_t buf%zu_init[%u] = {", b, buf->size);
		for (uint32_t i = 0; i < buf->size; i++)
			pf(e, "%s0x%02x,", i % 16 ? " " : "\n\t", g->buf_init[b][i]);
		pf(e, "\n};\n");
	}
	pf(e, "static const struct {\n\tuint64_t gpa;\n\tuint32_t size;\n\tconst uint8_t *init;\n} bufs[NBUFS] = {\n");
	for (size_t b = 0; b < p->nbufs; b++)
		pf(e, "\t{ 0x%" PRIx64 "ull, %u, buf%zu_init },\n", g->buf_gpa[b], p->bufs[b].size, b);
	pf(e, "};\n\n");
	pf(e, "void write_buffers(uint8_t *mem)\n{\n"
	      "\tfor (size_t b = 0; b < NBUFS; b++) {\n"
	      "\t\tmemset(mem + bufs[b].gpa - GUARD, GUARD_BYTE, bufs[b].size + 2 * GUARD);\n"
	      "\t\tmemcpy(mem + bufs[b].gpa, bufs[b].init, bufs[b].size);\n"
	      "\t}\n}\n");
}

/* ---- the checks, one emitter per kind -------------------------------------- */

static void emit_no_snapshot(struct em *e)
{
	pf(e, "/* Nothing to remember before the run. */\n"
	      "const uint8_t *before_run(const uint8_t *mem)\n{\n\t(void)mem;\n\treturn NULL;\n}\n\n");
}

/* The start of a check on the call's result: not reached is inconclusive. */
static void emit_check_open(struct em *e)
{
	pf(e, "int check(const struct run_result *rr, char *msg, size_t len)\n{\n"
	      "\tchar stop[320];\n"
	      "\tif (rr->inflight <= CHECK_CALL) {\n"
	      "\t\tsnprintf(msg, len, \"%%s not checked: %%s\", check_at, stop_str(rr, stop, sizeof(stop)));\n"
	      "\t\treturn 3;\n"
	      "\t}\n"
	      "\tconst struct slot *s = &rr->slots[CHECK_CALL];\n");
}

static void emit_contract_comment(struct em *e)
{
	char u[512], t[800];
	contract_text(e, u, sizeof(u));
	u[0] = (char)toupper((unsigned char)u[0]);
	snprintf(t, sizeof(t), "The check: %s. %s", e->pl->what, u);
	pf(e, "/*\n");
	pwrap(e, " * ", " * ", t);
	pf(e, " */\n");
}

static void emit_clobber_reg(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	emit_contract_comment(e);
	emit_check_open(e);
	if (pl->reg == HCF_RSP)
		pf(e, "\tuint64_t want = s->rsp_before, got = s->gpr[RSP];\n");
	else
		pf(e, "\tuint64_t want = loaded[CHECK_CALL][%s], got = s->gpr[%s];\n", RN(pl->reg), RN(pl->reg));
	pf(e, "\tif (got != want) {\n"
	      "\t\tsnprintf(msg, len, \"clobber %s at %%s: expected 0x%%\" PRIx64 \" got 0x%%\" PRIx64, check_at,\n"
	      "\t\t\t want, got);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"%s at %%s kept its value 0x%%\" PRIx64, check_at, got);\n"
	      "\treturn 0;\n}\n",
	   rn(pl->reg), rn(pl->reg));
}

static void emit_clobber_flag(struct em *e)
{
	const struct plan *pl = e->pl;
	const char *n = hcf_x86_rflags_name(pl->bit);
	char name[16];
	if (n)
		snprintf(name, sizeof(name), "%s", n);
	else
		snprintf(name, sizeof(name), "bit%u", pl->bit);
	emit_no_snapshot(e);
	emit_contract_comment(e);
	emit_check_open(e);
	pf(e, "\tunsigned was = (unsigned)(s->rflags_before >> %u & 1);\n"
	      "\tunsigned now = (unsigned)(s->rflags_after >> %u & 1);\n",
	   pl->bit, pl->bit);
	pf(e, "\tif (was != now) {\n"
	      "\t\tsnprintf(msg, len, \"clobber rflags.%s at %%s: %s changed from %%u to %%u (rflags 0x%%\" PRIx64\n"
	      "\t\t\t \" -> 0x%%\" PRIx64 \")\", check_at, was, now, s->rflags_before, s->rflags_after);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"rflags.%s at %%s kept its value %%u\", check_at, now);\n"
	      "\treturn 0;\n}\n",
	   name, name, name);
}

static void emit_clobber_xmm(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	emit_contract_comment(e);
	emit_check_open(e);
	pf(e, "\tconst uint8_t *want = rr->ctl->xmm_sentinel[%u], *got = s->xmm[%u];\n", pl->xmm, pl->xmm);
	pf(e, "\tif (memcmp(want, got, 16) != 0) {\n"
	      "\t\tunsigned first = 0;\n"
	      "\t\twhile (want[first] == got[first])\n"
	      "\t\t\tfirst++;\n"
	      "\t\tsnprintf(msg, len, \"clobber xmm%u at %%s: byte %%u expected 0x%%02x got 0x%%02x\", check_at,\n"
	      "\t\t\t first, want[first], got[first]);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"xmm%u at %%s kept its value\", check_at);\n"
	      "\treturn 0;\n}\n",
	   pl->xmm, pl->xmm);
}

static void emit_exception(struct em *e)
{
	char x[160];
	uint32_t allowed = allowed_vectors(e->cx, e->pl->op);
	fmt_vectors(allowed, x, sizeof(x));
	emit_no_snapshot(e);
	pf(e, "#define ALLOWED_VECTORS 0x%08" PRIx32 "u /* %s */\n\n", allowed, x);
	emit_contract_comment(e);
	emit_check_open(e);
	pf(e, "\tchar v[48];\n"
	      "\tif (s->outcome != 2) {\n"
	      "\t\tsnprintf(msg, len, \"%%s returned without an exception\", check_at);\n"
	      "\t\treturn 0;\n"
	      "\t}\n"
	      "\tvector_str(s->vector, s->error_code, v, sizeof(v));\n"
	      "\tif (s->vector >= 32 || !(ALLOWED_VECTORS >> s->vector & 1)) {\n"
	      "\t\tsnprintf(msg, len, \"exception at %%s: got %%s at rip 0x%%\" PRIx64 \", allowed: %s\",\n"
	      "\t\t\t check_at, v, s->fault_rip);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"%%s raised %%s, which the spec allows\", check_at, v);\n"
	      "\treturn 0;\n}\n",
	   x);
}

/* "v == 0 || (v >= 5 && v <= 9)" for a value set; *uses_v false when the
 * expression does not mention v. */
static void vset_expr(const struct hcf_vset *s, char *buf, size_t len, bool *uses_v)
{
	size_t o = 0;
	char a[40], b[40];
	*uses_v = false;
	if (s->any) {
		snprintf(buf, len, "1");
		return;
	}
	for (size_t i = 0; i < s->n && o + 1 < len; i++) {
		int64_t lo = s->r[i].lo, hi = s->r[i].hi;
		int k;
		if (lo == INT64_MIN && hi == INT64_MAX) {
			snprintf(buf, len, "1");
			*uses_v = false;
			return;
		}
		if (lo == hi)
			k = snprintf(buf + o, len - o, "%sv == %s", o ? " || " : "", c_i64(lo, a, sizeof(a)));
		else if (lo == INT64_MIN)
			k = snprintf(buf + o, len - o, "%sv <= %s", o ? " || " : "", c_i64(hi, a, sizeof(a)));
		else if (hi == INT64_MAX)
			k = snprintf(buf + o, len - o, "%sv >= %s", o ? " || " : "", c_i64(lo, a, sizeof(a)));
		else
			k = snprintf(buf + o, len - o, "%s(v >= %s && v <= %s)", o ? " || " : "",
				     c_i64(lo, a, sizeof(a)), c_i64(hi, b, sizeof(b)));
		if (k < 0)
			break;
		o += (size_t)k;
		*uses_v = true;
	}
	if (!o)
		snprintf(buf, len, "0");
}

static void emit_allowed_fns(struct em *e, const struct hcf_vset *returns, const struct hcf_op *op,
			     bool need_returns)
{
	char expr[2048], r[256], x[256], a[40];
	bool uses;
	if (need_returns) {
		vset_expr(returns, expr, sizeof(expr), &uses);
		fmt_vset(returns, r, sizeof(r));
		pf(e, "/* Success values the spec allows: %s */\n", r);
		pf(e, "static int allowed_return(int64_t v)\n{\n%s\treturn %s;\n}\n\n", uses ? "" : "\t(void)v;\n",
		   expr);
	}
	if (!op)
		return;
	fmt_errors(e->cx, op, x, sizeof(x));
	size_t o = 0;
	expr[0] = '\0';
	for (size_t i = 0; i < op->nerrors && o + 1 < sizeof(expr); i++)
		o += (size_t)snprintf(expr + o, sizeof(expr) - o, "%se == %s", o ? " || " : "",
				      c_i64(op->errors[i], a, sizeof(a)));
	pf(e, "/* Error codes the spec allows (as positive numbers): %s */\n", x);
	pf(e, "static int allowed_error(int64_t e)\n{\n%s\treturn %s;\n}\n\n", o ? "" : "\t(void)e;\n",
	   o ? expr : "0");
}

/* int64_t v from the return register, sign-extended from its width. */
static void emit_ret_value(struct em *e)
{
	const struct plan *pl = e->pl;
	pf(e, "\tuint64_t raw = s->gpr[%s];\n", RN(pl->reg));
	if (pl->width >= 64)
		pf(e, "\tint64_t v = (int64_t)raw;\n");
	else
		pf(e, "\tint64_t v = (int64_t)(raw << %u) >> %u; /* sign-extended from %u bits */\n",
		   64 - pl->width, 64 - pl->width, pl->width);
}

static void emit_retval(struct em *e)
{
	const struct cx *cx = e->cx;
	const struct plan *pl = e->pl;
	const struct hcf_op *op = pl->op;
	char r[256], x[256];
	emit_no_snapshot(e);
	if (!op) {
		fmt_vset(&cx->abi->undeclared_returns, r, sizeof(r));
		emit_allowed_fns(e, &cx->abi->undeclared_returns, NULL, true);
		emit_contract_comment(e);
		emit_check_open(e);
		emit_ret_value(e);
		pf(e, "\tint ok = allowed_return(v);\n");
		snprintf(x, sizeof(x), "an undeclared number must return %s", r);
	} else {
		fmt_vset(&op->returns, r, sizeof(r));
		/* a status-field op's register is checked only when its returns are declared */
		emit_allowed_fns(e, &op->returns, op,
				 op->err != HCF_ERR_STATUS_FIELD || (pl->reg < HCF_NGPR && !op->returns.any));
		char errs[256];
		fmt_errors(cx, op, errs, sizeof(errs));
		snprintf(x, sizeof(x), "allowed returns %s; errors %s (%s)", r, errs, hcf_err_conv_name(op->err));
		if (op->err == HCF_ERR_STATUS_FIELD) {
			int b = 0;
			int64_t off = 0;
			unsigned size = 0;
			char why[160];
			status_place(cx, pl, &b, &off, &size, why, sizeof(why));
			pf(e, "/* The status field: %u bytes at buf%d + %" PRId64 ", read after the program. */\n"
			      "#define STATUS_GPA 0x%" PRIx64 "ull\n#define STATUS_SIZE %uu\n\n",
			   size, b, off, e->g->buf_gpa[b] + (uint64_t)off, size);
		}
		emit_contract_comment(e);
		emit_check_open(e);
		switch (op->err) {
		case HCF_ERR_NEG_ERRNO:
			emit_ret_value(e);
			/* an explicit success range covering an error value wins; "any" does not */
			pf(e, "\tint ok = v >= -4095 && v <= -1 ? allowed_error(-v)%s : allowed_return(v);\n",
			   op->returns.any ? "" : " || allowed_return(v)");
			break;
		case HCF_ERR_CARRY:
			emit_ret_value(e);
			pf(e, "\tint ok = s->rflags_after & 1 ? allowed_error(v) : allowed_return(v); /* CF: an error */\n");
			break;
		case HCF_ERR_STATUS_FIELD:
			pf(e, "\tuint64_t status = 0;\n"
			      "\tmemcpy(&status, rr->mem + STATUS_GPA, STATUS_SIZE);\n"
			      "\tint64_t st = (int64_t)(status << (64 - 8 * STATUS_SIZE)) >> (64 - 8 * STATUS_SIZE);\n"
			      "\tint ok = status == 0 || allowed_error((int64_t)status) || allowed_error(st) ||\n"
			      "\t\t allowed_error(-st);\n");
			if (pl->reg < HCF_NGPR && !op->returns.any) {
				emit_ret_value(e);
				pf(e, "\tok = ok && (allowed_return(v) || allowed_error(v));\n");
			} else {
				pf(e, "\tuint64_t raw = status;\n\tint64_t v = st;\n");
			}
			break;
		default:
			emit_ret_value(e);
			pf(e, "\tint ok = allowed_return(v) || allowed_error(v);\n");
			break;
		}
	}
	char xs[300];
	cstr(x, xs, sizeof(xs));
	pf(e, "\tif (s->outcome != 1) {\n"
	      "\t\tsnprintf(msg, len, \"%%s raised an exception: no return value to check\", check_at);\n"
	      "\t\treturn 3;\n"
	      "\t}\n"
	      "\tif (!ok) {\n"
	      "\t\tsnprintf(msg, len, \"retval at %%s: 0x%%\" PRIx64 \" (%%\" PRId64 \") is not allowed: %%s\",\n"
	      "\t\t\t check_at, raw, v, \"%s\");\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"%%s returned 0x%%\" PRIx64 \" (%%\" PRId64 \"), which the spec allows\", check_at,\n"
	      "\t\t raw, v);\n"
	      "\treturn 0;\n}\n",
	   xs);
}

static void emit_model_reg(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	pf(e, "#define EXPECTED 0x%" PRIx64 "ull /* what hcfuzz's model predicted */\n"
	      "#define MASK 0x%" PRIx64 "ull     /* the bits it compares (%u) */\n\n",
	   pl->expect, pl->mask, pl->width);
	emit_contract_comment(e);
	emit_check_open(e);
	pf(e, "\tuint64_t got = s->gpr[%s];\n", RN(pl->reg));
	pf(e, "\tif (s->outcome != 1) {\n"
	      "\t\tsnprintf(msg, len, \"%%s raised an exception instead of returning: %s not compared\", check_at);\n"
	      "\t\treturn 3;\n"
	      "\t}\n"
	      "\tif ((got & MASK) != EXPECTED) {\n"
	      "\t\tsnprintf(msg, len, \"model %s at %%s: expected 0x%%\" PRIx64 \" got 0x%%\" PRIx64, check_at,\n"
	      "\t\t\t (uint64_t)EXPECTED, got);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"%s at %%s is 0x%%\" PRIx64 \" as the model predicted\", check_at, got);\n"
	      "\treturn 0;\n}\n",
	   rn(pl->reg), rn(pl->reg), rn(pl->reg));
}

static void emit_model_flag(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	emit_contract_comment(e);
	emit_check_open(e);
	pf(e, "\tunsigned got = (unsigned)(s->rflags_after >> %u & 1), want = %" PRIu64 "u;\n", pl->bit, pl->expect);
	pf(e, "\tif (s->outcome != 1) {\n"
	      "\t\tsnprintf(msg, len, \"%%s raised an exception instead of returning: RFLAGS not compared\",\n"
	      "\t\t\t check_at);\n"
	      "\t\treturn 3;\n"
	      "\t}\n"
	      "\tif (got != want) {\n"
	      "\t\tsnprintf(msg, len, \"model rflags bit %u at %%s: expected %%u got %%u\", check_at, want, got);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"rflags bit %u at %%s is %%u as the model predicted\", check_at, got);\n"
	      "\treturn 0;\n}\n",
	   pl->bit, pl->bit);
}

static void emit_model_exc(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	emit_contract_comment(e);
	emit_check_open(e);
	pf(e, "\tchar v[48];\n");
	if (pl->exp_vector < 0) {
		pf(e, "\tif (s->outcome == 2) {\n"
		      "\t\tsnprintf(msg, len, \"model at %%s: expected the call to return, got %%s at rip \"\n"
		      "\t\t\t \"0x%%\" PRIx64, check_at, vector_str(s->vector, s->error_code, v, sizeof(v)),\n"
		      "\t\t\t s->fault_rip);\n"
		      "\t\treturn 1;\n"
		      "\t}\n"
		      "\t(void)v;\n"
		      "\tsnprintf(msg, len, \"%%s returned, as the model predicted\", check_at);\n"
		      "\treturn 0;\n}\n");
		return;
	}
	pf(e, "\tconst uint64_t want = %d;\n", pl->exp_vector);
	pf(e, "\tif (s->outcome != 2) {\n"
	      "\t\tsnprintf(msg, len, \"model at %%s: expected %%s, but the call returned\", check_at,\n"
	      "\t\t\t vector_str(want, 0, v, sizeof(v)));\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tif (s->vector != want) {\n"
	      "\t\tchar w[48];\n"
	      "\t\tsnprintf(msg, len, \"model at %%s: expected %%s, got %%s\", check_at,\n"
	      "\t\t\t vector_str(want, 0, w, sizeof(w)), vector_str(s->vector, s->error_code, v, sizeof(v)));\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"%%s raised %%s, as the model predicted\", check_at,\n"
	      "\t\t vector_str(s->vector, s->error_code, v, sizeof(v)));\n"
	      "\treturn 0;\n}\n");
}

static void emit_model_mono(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	pf(e, "#define PREV_CALL %zuu /* the earlier call of the same op */\n#define MASK 0x%" PRIx64 "ull\n\n",
	   pl->prev, pl->mask);
	emit_contract_comment(e);
	emit_check_open(e);
	pf(e, "\tconst struct slot *p = &rr->slots[PREV_CALL];\n"
	   "\tif (s->outcome != 1 || p->outcome != 1) {\n"
	   "\t\tsnprintf(msg, len, \"%%s or call %%u raised an exception: nothing to compare\", check_at,\n"
	   "\t\t\t (unsigned)PREV_CALL);\n"
	   "\t\treturn 3;\n"
	   "\t}\n"
	   "\tuint64_t was = p->gpr[%s] & MASK, now = s->gpr[%s] & MASK;\n"
	   "\tif (now < was) {\n"
	   "\t\tsnprintf(msg, len, \"model %s at %%s went back from 0x%%\" PRIx64 \" (call %%u) to 0x%%\" PRIx64,\n"
	   "\t\t\t check_at, was, (unsigned)PREV_CALL, now);\n"
	   "\t\treturn 1;\n"
	   "\t}\n"
	   "\tsnprintf(msg, len, \"%s at %%s did not go back (0x%%\" PRIx64 \" -> 0x%%\" PRIx64 \")\", check_at,\n"
	   "\t\t was, now);\n"
	   "\treturn 0;\n}\n",
	   RN(pl->reg), RN(pl->reg), rn(pl->reg), rn(pl->reg));
}

/*
 * The results as the reproducer's run gives every call's registers to the
 * hypervisor (the calls up to the checked one, as if they ran): what the
 * memory oracle reads to know where a call pointed an OUT field.
 */
static void ran_as_reproduced(const struct em *e, struct hcf_prog_result *r)
{
	const struct hcf_prog *p = e->cx->p;
	hcf_result_init(r, p->ncalls);
	for (size_t i = 0; i < p->ncalls; i++) {
		uint64_t gpr[HCF_NGPR], entry;
		hcf_layout_call_image(p, &e->g->layout, i, gpr, &entry);
		hcf_call_result_init(&r->calls[i], gpr);
		r->calls[i].outcome = i < e->pl->ncalls ? HCF_CO_RETURNED : HCF_CO_NOT_RUN;
	}
}

/* Which bytes of buffer b's image (guard, data, guard) the memory check
 * compares: the finding's place, less every byte the hypervisor may change
 * there, as the memory oracle decides it (hcf_oracle_memory_free: OUT
 * fields, writable raw buffers, pointers, what calls pointed at). */
static void memory_mask(const struct em *e, const struct hcf_prog_result *ran, size_t b,
			uint8_t *must)
{
	const struct cx *cx = e->cx;
	const struct plan *pl = e->pl;
	const struct hcf_buf *buf = &cx->p->bufs[b];
	size_t total = (size_t)buf->size + 2 * HCF_BUF_GUARD;
	static uint8_t free_[HCF_BUF_MAX + 2 * HCF_BUF_GUARD];
	memset(must, 0, total);
	if (pl->mbuf < 0 || (size_t)pl->mbuf != b || pl->ihi <= pl->ilo || pl->ihi > total)
		return;
	memset(must + pl->ilo, 1, pl->ihi - pl->ilo);
	hcf_oracle_memory_free(cx->abi, cx->p, ran, b, e->g->buf_gpa[b] - HCF_BUF_GUARD,
			       pl->ncalls ? pl->ncalls - 1 : 0, free_);
	for (size_t i = 0; i < total; i++)
		if (free_[i])
			must[i] = 0;
}

static void emit_memory(struct em *e)
{
	const struct cx *cx = e->cx;
	struct gen *g = e->g;
	uint8_t must[HCF_BUF_MAX + 2 * HCF_BUF_GUARD];
	size_t nreg = 0;
	struct hcf_prog_result ran;
	ran_as_reproduced(e, &ran);
	emit_no_snapshot(e);
	pf(e, "/*\n"
	      " * The bytes the hypervisor may not change, as runs of guest memory with the\n"
	      " * values written before the run (GUARD_BYTE in the guards, the program's bytes\n"
	      " * inside the buffers).\n"
	      " */\n");
	for (size_t b = 0; b < cx->p->nbufs; b++) {
		const struct hcf_buf *buf = &cx->p->bufs[b];
		size_t total = (size_t)buf->size + 2 * HCF_BUF_GUARD;
		memory_mask(e, &ran, b, must);
		for (size_t i = 0; i < total;) {
			if (!must[i]) {
				i++;
				continue;
			}
			size_t j = i;
			while (j < total && must[j])
				j++;
			pf(e, "static const uint8_t mem%zu[%zu] = {", nreg, j - i);
			for (size_t k = i; k < j; k++) {
				uint8_t v = g->buf_image[b][k];
				pf(e, "%s0x%02x,", (k - i) % 16 ? " " : "\n\t", v);
			}
			pf(e, "\n};\n");
			nreg++;
			i = j;
		}
	}
	pf(e, "static const struct {\n\tuint64_t gpa;\n\tsize_t len;\n\tconst uint8_t *want;\n\tconst char *what;\n"
	      "} regions[] = {\n");
	nreg = 0;
	for (size_t b = 0; b < cx->p->nbufs; b++) {
		const struct hcf_buf *buf = &cx->p->bufs[b];
		size_t total = (size_t)buf->size + 2 * HCF_BUF_GUARD;
		memory_mask(e, &ran, b, must);
		for (size_t i = 0; i < total;) {
			if (!must[i]) {
				i++;
				continue;
			}
			size_t j = i;
			while (j < total && must[j])
				j++;
			char what[96];
			int64_t lo = (int64_t)i - HCF_BUF_GUARD, hi = (int64_t)j - HCF_BUF_GUARD;
			if (j <= HCF_BUF_GUARD)
				snprintf(what, sizeof(what), "the guard before buf%zu", b);
			else if (i >= HCF_BUF_GUARD + buf->size)
				snprintf(what, sizeof(what), "the guard after buf%zu", b);
			else
				snprintf(what, sizeof(what), "buf%zu bytes %" PRId64 "..%" PRId64, b, lo, hi - 1);
			pf(e, "\t{ 0x%" PRIx64 "ull, %zu, mem%zu, \"%s\" },\n",
			   g->buf_gpa[b] - HCF_BUF_GUARD + i, j - i, nreg, what);
			nreg++;
			i = j;
		}
	}
	pf(e, "};\n\n");
	emit_contract_comment(e);
	pf(e, "int check(const struct run_result *rr, char *msg, size_t len)\n{\n"
	      "\tfor (size_t k = 0; k < sizeof(regions) / sizeof(regions[0]); k++) {\n"
	      "\t\tconst uint8_t *got = rr->mem + regions[k].gpa;\n"
	      "\t\tsize_t n = 0, first = 0;\n"
	      "\t\tfor (size_t i = 0; i < regions[k].len; i++)\n"
	      "\t\t\tif (got[i] != regions[k].want[i] && !n++)\n"
	      "\t\t\t\tfirst = i;\n"
	      "\t\tif (n) {\n"
	      "\t\t\tsnprintf(msg, len, \"memory after %%s: %%zu of %%zu bytes of %%s changed, first at 0x%%\" PRIx64\n"
	      "\t\t\t\t \": expected 0x%%02x got 0x%%02x\", check_at, n, regions[k].len, regions[k].what,\n"
	      "\t\t\t\t regions[k].gpa + first, regions[k].want[first], got[first]);\n"
	      "\t\t\treturn 1;\n"
	      "\t\t}\n"
	      "\t}\n"
	      "\tchar stop[320];\n"
	      "\tif (rr->inflight <= CHECK_CALL) {\n"
	      "\t\tsnprintf(msg, len, \"memory unchanged, but %%s\", stop_str(rr, stop, sizeof(stop)));\n"
	      "\t\treturn 3;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"the bytes the hypervisor may not write are unchanged after %%s\", check_at);\n"
	      "\treturn 0;\n}\n");
	hcf_result_free(&ran);
}

/* Where the program's calls told the hypervisor it may write (the memory
 * oracle's rule, hcf_oracle_call_writes), as a table of the emitted program. */
static void emit_may_write(struct em *e)
{
	const struct cx *cx = e->cx;
	struct hcf_prog_result ran;
	struct hcf_span w[64];
	ran_as_reproduced(e, &ran);
	pf(e, "/* Bytes a call pointed an OUT field at: the hypervisor's to write. */\n"
	      "static const struct {\n\tuint64_t lo, hi;\n} may_write[] = {\n");
	size_t n = 0;
	for (size_t i = 0; i < e->pl->ncalls && i < cx->p->ncalls; i++) {
		size_t k = hcf_oracle_call_writes(cx->abi, hcf_oracle_call_op(cx->abi, cx->p, i),
						  ran.calls[i].before, w, 64);
		for (size_t j = 0; j < k; j++, n++)
			pf(e, "\t{ 0x%" PRIx64 "ull, 0x%" PRIx64 "ull }, /* call %zu */\n", w[j].lo, w[j].hi, i);
	}
	if (!n)
		pf(e, "\t{ 0, 0 }, /* none */\n");
	pf(e, "};\n\n");
	hcf_result_free(&ran);
}

static void emit_pages(struct em *e)
{
	emit_may_write(e);
	pf(e, "/* Pages the guest itself writes, as hcfuzz counts them (its agent's boot block, IDT,\n"
	      " * VIF and hypercall pages, stacks, mailbox and arena): every other page must keep\n"
	      " * its bytes. */\n"
	      "static const struct {\n\tuint64_t lo, hi;\n} writable[] = {\n"
	      "\t{ 0x1000, 0x2000 }, { IDT_GPA, HCPAGE_GPA + 0x1000 }, { 0x10000, 0x24000 }, { CTL_GPA, MEM_SIZE },\n"
	      "};\n\n"
	      "/* The stray-page check compares every page with its bytes before the run. */\n"
	      "const uint8_t *before_run(const uint8_t *mem)\n{\n"
	      "\tuint8_t *copy = malloc(MEM_SIZE);\n"
	      "\tif (!copy)\n\t\tsetup_error(\"out of memory\");\n"
	      "\tmemcpy(copy, mem, MEM_SIZE);\n"
	      "\treturn copy;\n}\n\n");
	emit_contract_comment(e);
	pf(e, "int check(const struct run_result *rr, char *msg, size_t len)\n{\n"
	      "\tfor (uint64_t pg = 0; pg < MEM_SIZE; pg += 0x1000) {\n"
	      "\t\tint mine = 0;\n"
	      "\t\tfor (size_t k = 0; k < sizeof(writable) / sizeof(writable[0]); k++)\n"
	      "\t\t\tmine |= pg >= writable[k].lo && pg < writable[k].hi;\n"
	      "\t\tif (mine || !memcmp(rr->mem + pg, rr->mem_before + pg, 0x1000))\n"
	      "\t\t\tcontinue;\n"
	      "\t\tsize_t first = 0x1000;\n"
	      "\t\tfor (size_t i = 0; i < 0x1000 && first == 0x1000; i++) {\n"
	      "\t\t\tint pointed = 0;\n"
	      "\t\t\tfor (size_t k = 0; k < sizeof(may_write) / sizeof(may_write[0]); k++)\n"
	      "\t\t\t\tpointed |= pg + i >= may_write[k].lo && pg + i < may_write[k].hi;\n"
	      "\t\t\tif (!pointed && rr->mem[pg + i] != rr->mem_before[pg + i])\n"
	      "\t\t\t\tfirst = i;\n"
	      "\t\t}\n"
	      "\t\tif (first == 0x1000)\n"
	      "\t\t\tcontinue; /* every changed byte one a call pointed at */\n"
	      "\t\tsnprintf(msg, len, \"memory: page 0x%%\" PRIx64 \" changed by the end of the program (%%s), first at 0x%%\"\n"
	      "\t\t\t PRIx64 \": 0x%%02x -> 0x%%02x\", pg, check_at, pg + first, rr->mem_before[pg + first],\n"
	      "\t\t\t rr->mem[pg + first]);\n"
	      "\t\treturn 1;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"no page outside the guest's writable areas changed (%%s)\", check_at);\n"
	      "\treturn 0;\n}\n");
}

/* A run that stopped before the checked call cannot tell (not emitted for
 * call 0, where the comparison would always be false). */
static void emit_earlier_stop(struct em *e)
{
	if (e->pl->call == 0)
		return;
	pf(e, "\tif (rr->inflight < CHECK_CALL) {\n"
	      "\t\tsnprintf(msg, len, \"%%s not checked: %%s\", check_at, stop);\n"
	      "\t\treturn 3;\n"
	      "\t}\n");
}

static void emit_liveness(struct em *e)
{
	const struct plan *pl = e->pl;
	emit_no_snapshot(e);
	emit_contract_comment(e);
	pf(e, "int check(const struct run_result *rr, char *msg, size_t len)\n{\n"
	      "\tchar stop[320];\n"
	      "\tstop_str(rr, stop, sizeof(stop));\n");
	switch (pl->lv) {
	case LV_PROGRAM:
		pf(e, "\tif (rr->end != END_DONE) {\n"
		      "\t\tsnprintf(msg, len, \"liveness: %%s\", stop);\n"
		      "\t\treturn 1;\n"
		      "\t}\n"
		      "\tsnprintf(msg, len, \"the guest came through every call (%%s)\", check_at);\n"
		      "\treturn 0;\n}\n");
		return;
	case LV_BAD:
		emit_earlier_stop(e);
		pf(e, "\tif (rr->inflight == CHECK_CALL && rr->end == END_DONE) {\n"
		      "\t\tsnprintf(msg, len, \"liveness at %%s: its result slot holds garbage (seq 0x%%\" PRIx64\n"
		      "\t\t\t \", outcome %%\" PRIu64 \")\", check_at, rr->slots[CHECK_CALL].seq,\n"
		      "\t\t\t rr->slots[CHECK_CALL].outcome);\n"
		      "\t\treturn 1;\n"
		      "\t}\n");
		break;
	case LV_LOST: {
		/* A loss the spec declares for these inputs (the call's own, or
		 * an earlier destructive call's: hcf_op_may_end, as the liveness
		 * oracle asks) is the contract kept, not the finding. */
		bool shut = false, panic = false;
		for (size_t j = 0; j <= pl->call && j < e->cx->p->ncalls; j++) {
			const struct hcf_op *op = hcf_oracle_call_op(e->cx->abi, e->cx->p, j);
			shut |= hcf_op_may_end(op, HCF_LIVE_SHUTDOWN, e->g->img[j]);
			panic |= hcf_op_may_end(op, HCF_LIVE_AGENT_PANIC, e->g->img[j]);
		}
		if (shut || panic)
			pf(e, "\t/* the spec declares this call may end the guest so (%s%s%s) */\n"
			      "\tif (rr->inflight == CHECK_CALL && (%s || %s)) {\n"
			      "\t\tsnprintf(msg, len, \"%%s ended the guest as the spec declares it may: %%s\",\n"
			      "\t\t\t check_at, stop);\n"
			      "\t\treturn 0;\n"
			      "\t}\n",
			   shut ? "shutdown" : "", shut && panic ? ", " : "", panic ? "agent panic" : "",
			   shut ? "rr->end == END_SHUTDOWN" : "0", panic ? "rr->end == END_PANIC" : "0");
	}
		/* fall through */
	case LV_HANG:
		emit_earlier_stop(e);
		pf(e, "\tif (rr->inflight == CHECK_CALL && rr->end %s) {\n"
		      "\t\tsnprintf(msg, len, \"liveness at %%s: %%s\", check_at, stop);\n"
		      "\t\treturn 1;\n"
		      "\t}\n",
		   pl->lv == LV_HANG ? "== END_HANG" : "!= END_HANG && rr->end != END_DONE");
		break;
	}
	pf(e, "\tif (rr->inflight > CHECK_CALL) {\n"
	      "\t\tsnprintf(msg, len, \"%%s came back\", check_at);\n"
	      "\t\treturn 0;\n"
	      "\t}\n"
	      "\tsnprintf(msg, len, \"%%s did not come back, but not the way the finding says: %%s\", check_at,\n"
	      "\t\t stop);\n"
	      "\treturn 1;\n}\n");
}

static void (*const check_emitters[CK_COUNT])(struct em *e) = {
	[CK_CLOBBER_REG] = emit_clobber_reg,
	[CK_CLOBBER_FLAG] = emit_clobber_flag,
	[CK_CLOBBER_XMM] = emit_clobber_xmm,
	[CK_EXCEPTION] = emit_exception,
	[CK_RETVAL] = emit_retval,
	[CK_MODEL_REG] = emit_model_reg,
	[CK_MODEL_FLAG] = emit_model_flag,
	[CK_MODEL_EXC] = emit_model_exc,
	[CK_MODEL_MONO] = emit_model_mono,
	[CK_MEMORY] = emit_memory,
	[CK_PAGES] = emit_pages,
	[CK_LIVENESS] = emit_liveness,
};

static void emit_check(struct em *e)
{
	char s[256];
	cstr(e->pl->at, s, sizeof(s));
	pf(e, "\n/* ---- the check ------------------------------------------------------------- */\n\n");
	pf(e, "static const char check_at[] = \"%s\";\n\n", s);
	check_emitters[e->pl->kind](e);
}

int hcf_repro_emit(FILE *out, const struct hcf_repro_src *src, struct hcf_repro_info *info,
		   char *err, size_t errlen)
{
	if (!src || !src->abi || !src->f || src->f->prog.abi != src->abi) {
		snprintf(err, errlen, "the finding's program was not parsed against the spec given");
		return -1;
	}
	if (!src->f->has_loc) {
		snprintf(err, errlen, "the finding has no typed place (\"loc\" in finding.json): it was "
				      "stored by an older hcfuzz; run the campaign again");
		return -1;
	}
	struct cx cx = { .src = src, .abi = src->abi, .p = &src->f->prog, .f = src->f };
	char why[256];
	if (hcf_prog_validate(cx.p, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "the finding's program is not valid: %s", why);
		return -1;
	}
	struct plan pl;
	if (make_plan(&pl, &cx, err, errlen) != 0)
		return -1;
	struct gen g;
	memset(&g, 0, sizeof(g));
	g.cx = &cx;
	g.pl = &pl;
	int rc = -1;
	if (gen_code(&g, err, errlen) != 0)
		goto out;
	struct em e = { .f = out, .cx = &cx, .pl = &pl, .g = &g };
	emit_header(&e);
	pf(&e, "#define _GNU_SOURCE\n#include <inttypes.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
	       "#include <string.h>\n\n/* ---- hcfuzz's reproducer runtime, head (reports/repro_rt/ in hcfuzz's "
	       "source) ---- */\n");
	fputs(hcf_repro_rt_head, out);
	emit_finding(&e);
	emit_check(&e);
	pf(&e, "\n/* ---- hcfuzz's reproducer runtime: the VM, the run, the verdict ---- */\n");
	fputs(hcf_repro_rt_tail, out);
	if (fflush(out) != 0 || ferror(out)) {
		snprintf(err, errlen, "writing the program failed");
		goto out;
	}
	if (info) {
		info->call = pl.call;
		info->ncalls = pl.ncalls;
		snprintf(info->check, sizeof(info->check), "%s", pl.what);
	}
	rc = 0;
out:
	gen_free(&g);
	return rc;
}
