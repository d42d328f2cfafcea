/* repro_asm.c: the x86-64 encoder of the reproducer's guest code (repro_asm.h). */
#include "reports/repro/repro_asm.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "util/xalloc.h"

/* ---- the x86-64 encoder ------------------------------------------------- */

void asm_put8(struct as *a, uint8_t v)
{
	if (a->len == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 4096;
		a->code = hcf_xrealloc(a->code, a->cap);
	}
	a->code[a->len++] = v;
}

void asm_put32(struct as *a, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		asm_put8(a, (uint8_t)(v >> (8 * i)));
}

static void put64(struct as *a, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		asm_put8(a, (uint8_t)(v >> (8 * i)));
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
void asm_note(struct as *a, size_t start, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void asm_note(struct as *a, size_t start, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	as_line_add(a, start, fmt, ap);
	va_end(ap);
}

/* A label or section line in the listing. */
void asm_comment(struct as *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void asm_comment(struct as *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	as_line_add(a, a->len, fmt, ap);
	va_end(ap);
}

size_t asm_new_label(struct as *a)
{
	if (a->nlabels == a->labcap) {
		a->labcap = a->labcap ? 2 * a->labcap : 64;
		a->label = hcf_xreallocarray(a->label, a->labcap, sizeof(*a->label));
	}
	a->label[a->nlabels] = SIZE_MAX;
	return a->nlabels++;
}

void asm_bind(struct as *a, size_t l)
{
	a->label[l] = a->len;
}

void asm_rel32(struct as *a, size_t l)
{
	if (a->nfix == a->fixcap) {
		a->fixcap = a->fixcap ? 2 * a->fixcap : 64;
		a->fix = hcf_xreallocarray(a->fix, a->fixcap, sizeof(*a->fix));
	}
	a->fix[a->nfix++] = (struct as_fixup){ a->len, l };
	asm_put32(a, 0);
}

/* Patch every rel32 now that all labels are bound. Returns 0, or -1 for a
 * label never bound (a bug in the generator). */
int asm_resolve(struct as *a)
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

void asm_free(struct as *a)
{
	free(a->code);
	free(a->lines);
	free(a->label);
	free(a->fix);
	memset(a, 0, sizeof(*a));
}

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

void asm_fixed(struct as *a, enum fixed f, const char *why)
{
	const struct fixed_insn *fi = &fixed_insns[f];
	size_t s = a->len;
	for (unsigned i = 0; i < fi->len; i++)
		asm_put8(a, fi->b[i]);
	if (why)
		asm_note(a, s, "%-22s ; %s", fi->text, why);
	else
		asm_note(a, s, "%s", fi->text);
}

struct mem asm_abs(uint64_t addr)
{
	return (struct mem){ .abs = true, .disp = (int32_t)addr };
}

struct mem asm_base(unsigned base, int32_t disp)
{
	return (struct mem){ .abs = false, .base = base, .disp = disp };
}

void asm_mem(struct as *a, enum mform f, unsigned reg, struct mem m)
{
	const struct mform_row *r = &mforms[f];
	unsigned regf = r->ext >= 0 ? (unsigned)r->ext : reg;
	if (r->prefix)
		asm_put8(a, r->prefix);
	uint8_t rex = (uint8_t)(0x40 | (r->w ? 8 : 0) | ((regf & 8) ? 4 : 0) |
				(!m.abs && (m.base & 8) ? 1 : 0));
	if (rex != 0x40)
		asm_put8(a, rex);
	for (unsigned i = 0; i < r->nop; i++)
		asm_put8(a, r->op[i]);
	if (m.abs) {
		asm_put8(a, (uint8_t)((regf & 7) << 3 | 4)); /* mod 00, SIB follows */
		asm_put8(a, 0x25);                           /* no base, no index: disp32 */
	} else {
		asm_put8(a, (uint8_t)(0x80 | (regf & 7) << 3 | (m.base & 7))); /* mod 10: disp32 */
		if ((m.base & 7) == 4)
			asm_put8(a, 0x24);                   /* rsp/r12 need a SIB byte */
	}
	asm_put32(a, (uint32_t)m.disp);
}

const char *asm_reg_name(unsigned r)
{
	return hcf_reg_name(r);
}

/* mov reg, imm64 */
void asm_mov_imm64(struct as *a, unsigned reg, uint64_t v, const char *why)
{
	size_t s = a->len;
	asm_put8(a, (uint8_t)(0x48 | ((reg & 8) ? 1 : 0)));
	asm_put8(a, (uint8_t)(0xb8 + (reg & 7)));
	put64(a, v);
	char t[48];
	snprintf(t, sizeof(t), "mov %s, 0x%" PRIx64, asm_reg_name(reg), v);
	if (why && *why)
		asm_note(a, s, "%-22s ; %s", t, why);
	else
		asm_note(a, s, "%s", t);
}

/* mov r32, imm32 (zero-extends; rax..rdi only) */
void asm_mov_imm32(struct as *a, unsigned reg, uint32_t v, const char *why)
{
	static const char *const r32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
	size_t s = a->len;
	asm_put8(a, (uint8_t)(0xb8 + (reg & 7)));
	asm_put32(a, v);
	char t[48];
	snprintf(t, sizeof(t), "mov %s, 0x%" PRIx32, r32[reg & 7], v);
	if (why && *why)
		asm_note(a, s, "%-22s ; %s", t, why);
	else
		asm_note(a, s, "%s", t);
}

/* mov qword [m], imm32 (sign-extended) */
void asm_store_imm(struct as *a, struct mem m, uint32_t v, const char *dst, const char *why)
{
	size_t s = a->len;
	asm_mem(a, MF_STORE_IMM32, 0, m);
	asm_put32(a, v);
	char t[64];
	snprintf(t, sizeof(t), "mov qword [%s], 0x%" PRIx32, dst, v);
	if (why)
		asm_note(a, s, "%-22s ; %s", t, why);
	else
		asm_note(a, s, "%s", t);
}

/* mov dword [m], imm32 */
void asm_store_imm32(struct as *a, struct mem m, uint32_t v, const char *dst, const char *why)
{
	size_t s = a->len;
	asm_mem(a, MF_STORE32_IMM32, 0, m);
	asm_put32(a, v);
	char t[64];
	snprintf(t, sizeof(t), "mov dword [%s], 0x%" PRIx32, dst, v);
	if (why)
		asm_note(a, s, "%-22s ; %s", t, why);
	else
		asm_note(a, s, "%s", t);
}

/* mov dword [m], r32 */
void asm_store32(struct as *a, struct mem m, unsigned reg, const char *dst)
{
	static const char *const r32[16] = {
		"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
		"r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
	};
	size_t s = a->len;
	asm_mem(a, MF_STORE32, reg, m);
	asm_note(a, s, "mov dword [%s], %s", dst, r32[reg & 15]);
}

/* mov [m], reg */
void asm_store(struct as *a, struct mem m, unsigned reg, const char *dst)
{
	size_t s = a->len;
	asm_mem(a, MF_STORE, reg, m);
	asm_note(a, s, "mov [%s], %s", dst, asm_reg_name(reg));
}

/* mov reg, [m] */
void asm_load(struct as *a, unsigned reg, struct mem m, const char *src)
{
	size_t s = a->len;
	asm_mem(a, MF_LOAD, reg, m);
	asm_note(a, s, "mov %s, [%s]", asm_reg_name(reg), src);
}

void asm_movdqu(struct as *a, bool store, unsigned x, struct mem m, const char *place)
{
	size_t s = a->len;
	asm_mem(a, store ? MF_MOVDQU_STORE : MF_MOVDQU_LOAD, x, m);
	if (store)
		asm_note(a, s, "movdqu [%s], xmm%u", place, x);
	else
		asm_note(a, s, "movdqu xmm%u, [%s]", x, place);
}

/* pushfq; pop qword [m]: RFLAGS into memory without touching a register. */
void asm_save_rflags(struct as *a, uint64_t addr, const char *dst)
{
	asm_fixed(a, F_PUSHFQ, NULL);
	size_t s = a->len;
	asm_mem(a, MF_POP, 0, asm_abs(addr));
	asm_note(a, s, "pop qword [%s]", dst);
}

/* mov rsp, imm32 */
void asm_set_rsp(struct as *a, uint32_t v, const char *why)
{
	size_t s = a->len;
	asm_put8(a, 0x48);
	asm_put8(a, 0xc7);
	asm_put8(a, 0xc4);
	asm_put32(a, v);
	char t[48];
	snprintf(t, sizeof(t), "mov rsp, 0x%" PRIx32, v);
	asm_note(a, s, "%-22s ; %s", t, why);
}

/* jmp / jcc rel32 to a label */
void asm_jmp(struct as *a, size_t l, const char *to)
{
	size_t s = a->len;
	asm_put8(a, 0xe9);
	asm_rel32(a, l);
	asm_note(a, s, "jmp %s", to);
}

void asm_jne(struct as *a, size_t l, const char *to)
{
	size_t s = a->len;
	asm_put8(a, 0x0f);
	asm_put8(a, 0x85);
	asm_rel32(a, l);
	asm_note(a, s, "jne %s", to);
}

void asm_je(struct as *a, size_t l, const char *to)
{
	size_t s = a->len;
	asm_put8(a, 0x0f);
	asm_put8(a, 0x84);
	asm_rel32(a, l);
	asm_note(a, s, "je %s", to);
}

/* push imm32 (sign-extended to 64 bits) */
void asm_push_imm(struct as *a, uint32_t v, const char *why)
{
	size_t s = a->len;
	asm_put8(a, 0x68);
	asm_put32(a, v);
	char t[48];
	snprintf(t, sizeof(t), "push 0x%" PRIx32, v);
	asm_note(a, s, "%-22s ; %s", t, why);
}

void asm_int(struct as *a, uint8_t v)
{
	size_t s = a->len;
	asm_put8(a, 0xcd);
	asm_put8(a, v);
	asm_note(a, s, "int 0x%x", v);
}

/* cmp eax, imm32 */
void asm_cmp_eax(struct as *a, uint32_t v, const char *why)
{
	size_t s = a->len;
	asm_put8(a, 0x3d);
	asm_put32(a, v);
	char t[48];
	snprintf(t, sizeof(t), "cmp eax, 0x%" PRIx32, v);
	asm_note(a, s, "%-22s ; %s", t, why);
}

/* cmp reg64, imm8 */
void asm_cmp_reg_imm8(struct as *a, unsigned reg, uint8_t v)
{
	size_t s = a->len;
	asm_put8(a, (uint8_t)(0x48 | ((reg & 8) ? 1 : 0)));
	asm_put8(a, 0x83);
	asm_put8(a, (uint8_t)(0xc0 | 7 << 3 | (reg & 7)));
	asm_put8(a, v);
	asm_note(a, s, "cmp %s, %u", asm_reg_name(reg), v);
}

/* cmp qword [m], imm8 */
void asm_cmp_mem_imm8(struct as *a, struct mem m, uint8_t v, const char *what)
{
	size_t s = a->len;
	asm_mem(a, MF_CMP_IMM8, 0, m);
	asm_put8(a, v);
	asm_note(a, s, "cmp qword [%s], %u", what, v);
}

/* xor reg64, imm32 */
void asm_xor_imm(struct as *a, unsigned reg, uint32_t v)
{
	size_t s = a->len;
	asm_put8(a, (uint8_t)(0x48 | ((reg & 8) ? 1 : 0)));
	asm_put8(a, 0x81);
	asm_put8(a, (uint8_t)(0xc0 | 6 << 3 | (reg & 7)));
	asm_put32(a, v);
	asm_note(a, s, "xor %s, 0x%" PRIx32, asm_reg_name(reg), v);
}

/* jmp [table + rax * 8] */
void asm_jmp_table(struct as *a, uint64_t table, const char *what)
{
	size_t s = a->len;
	asm_put8(a, 0xff);
	asm_put8(a, 0x24);   /* /4, SIB follows */
	asm_put8(a, 0xc5);   /* scale 8, index rax, no base */
	asm_put32(a, (uint32_t)table);
	asm_note(a, s, "jmp [%s + rax * 8]", what);
}

