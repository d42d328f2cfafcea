/*
 * repro_asm.h: the small x86-64 encoder the reproducer's guest code is
 * written with: machine code plus a listing, one line per instruction with
 * its assembly, and labels resolved at the end.
 */
#ifndef HCF_REPRO_ASM_H
#define HCF_REPRO_ASM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Instructions without operands, or with fixed ones. */
enum fixed {
	F_RDMSR, F_WRMSR, F_PUSHFQ, F_POPFQ, F_HLT, F_INT3, F_OUT32,
	F_TEST_EDX, F_XOR_EDX, F_XOR_ECX, F_MOV_RCX_CR2,
	F_COUNT
};

/* A memory operand: an absolute address (below 2 GiB, sign-extended disp32)
 * or a base register plus disp32. */
struct mem {
	bool abs;
	unsigned base;
	int32_t disp;
};

/* Instructions with a ModRM memory operand: prefix, REX.W, opcode, and
 * either a register operand in the reg field (ext < 0) or an opcode
 * extension (/digit). */
enum mform { MF_STORE, MF_STORE32, MF_LOAD, MF_STORE_IMM32, MF_STORE32_IMM32, MF_POP,
	     MF_CMP_IMM8, MF_CALL, MF_MOVDQU_LOAD, MF_MOVDQU_STORE, MF_COUNT };

static const struct mform_row {
	uint8_t prefix;      /* 0: none */
	bool w;
	uint8_t nop;
	uint8_t op[2];
	int8_t ext;
} mforms[MF_COUNT] = {
	[MF_STORE] = { 0, true, 1, { 0x89 }, -1 },              /* mov r/m64, r64 */
	[MF_STORE32] = { 0, false, 1, { 0x89 }, -1 },           /* mov r/m32, r32 */
	[MF_LOAD] = { 0, true, 1, { 0x8b }, -1 },               /* mov r64, r/m64 */
	[MF_STORE_IMM32] = { 0, true, 1, { 0xc7 }, 0 },         /* mov r/m64, imm32 */
	[MF_STORE32_IMM32] = { 0, false, 1, { 0xc7 }, 0 },      /* mov r/m32, imm32 */
	[MF_POP] = { 0, false, 1, { 0x8f }, 0 },                /* pop r/m64 */
	[MF_CMP_IMM8] = { 0, true, 1, { 0x83 }, 7 },            /* cmp r/m64, imm8 */
	[MF_CALL] = { 0, false, 1, { 0xff }, 2 },               /* call r/m64 */
	[MF_MOVDQU_LOAD] = { 0xf3, false, 2, { 0x0f, 0x6f }, -1 },  /* movdqu xmm, m128 */
	[MF_MOVDQU_STORE] = { 0xf3, false, 2, { 0x0f, 0x7f }, -1 }, /* movdqu m128, xmm */
};

void asm_bind(struct as *a, size_t l);
void asm_comment(struct as *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void asm_free(struct as *a);
size_t asm_new_label(struct as *a);
void asm_note(struct as *a, size_t start, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void asm_rel32(struct as *a, size_t l);
int asm_resolve(struct as *a);
void asm_cmp_eax(struct as *a, uint32_t v, const char *why);
void asm_cmp_mem_imm8(struct as *a, struct mem m, uint8_t v, const char *what);
void asm_cmp_reg_imm8(struct as *a, unsigned reg, uint8_t v);
void asm_fixed(struct as *a, enum fixed f, const char *why);
void asm_int(struct as *a, uint8_t v);
void asm_je(struct as *a, size_t l, const char *to);
void asm_jmp(struct as *a, size_t l, const char *to);
void asm_jmp_table(struct as *a, uint64_t table, const char *what);
void asm_jne(struct as *a, size_t l, const char *to);
void asm_load(struct as *a, unsigned reg, struct mem m, const char *src);
void asm_mem(struct as *a, enum mform f, unsigned reg, struct mem m);
void asm_mov_imm32(struct as *a, unsigned reg, uint32_t v, const char *why);
void asm_mov_imm64(struct as *a, unsigned reg, uint64_t v, const char *why);
void asm_movdqu(struct as *a, bool store, unsigned x, struct mem m, const char *place);
void asm_push_imm(struct as *a, uint32_t v, const char *why);
void asm_save_rflags(struct as *a, uint64_t addr, const char *dst);
void asm_set_rsp(struct as *a, uint32_t v, const char *why);
void asm_store(struct as *a, struct mem m, unsigned reg, const char *dst);
void asm_store_imm(struct as *a, struct mem m, uint32_t v, const char *dst, const char *why);
void asm_store_imm32(struct as *a, struct mem m, uint32_t v, const char *dst, const char *why);
void asm_store32(struct as *a, struct mem m, unsigned reg, const char *dst);
void asm_xor_imm(struct as *a, unsigned reg, uint32_t v);
struct mem asm_abs(uint64_t addr);
struct mem asm_base(unsigned base, int32_t disp);
void asm_put32(struct as *a, uint32_t v);
void asm_put8(struct as *a, uint8_t v);
const char *asm_reg_name(unsigned r);

#endif /* HCF_REPRO_ASM_H */
