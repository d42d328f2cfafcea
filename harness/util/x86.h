/*
 * x86.h: architectural x86-64 facts every layer names the same way: general
 * register names, exception vectors and their mnemonics, RFLAGS bits, width
 * masks and canonical addresses.
 *
 * One table each (x86.c); the spec loader, the oracles, the reports and the
 * reproducer all read them from here.
 */
#ifndef HCF_X86_H
#define HCF_X86_H

#include <stdbool.h>
#include <stdint.h>

/* RFLAGS bits. */
#define HCF_X86_RFLAGS_CF 0x000001ull
#define HCF_X86_RFLAGS_PF 0x000004ull
#define HCF_X86_RFLAGS_AF 0x000010ull
#define HCF_X86_RFLAGS_ZF 0x000040ull
#define HCF_X86_RFLAGS_SF 0x000080ull
#define HCF_X86_RFLAGS_TF 0x000100ull
#define HCF_X86_RFLAGS_IF 0x000200ull
#define HCF_X86_RFLAGS_DF 0x000400ull
#define HCF_X86_RFLAGS_OF 0x000800ull
#define HCF_X86_RFLAGS_RF 0x010000ull
/* Every architecturally defined RFLAGS bit: the six arithmetic flags, TF,
 * IF, DF, IOPL, NT, RF, VM, AC, VIF, VIP, ID. */
#define HCF_X86_RFLAGS_ARCH 0x3f7fd5ull

/* "rax" .. "r15" by encoding number; "?" out of range. */
const char *hcf_x86_gpr_name(unsigned reg);

/* Exception vectors (the names are hcf_x86_exc_mnemonic's). */
enum hcf_x86_vector {
	HCF_X86_DE = 0, HCF_X86_DB = 1, HCF_X86_NMI = 2, HCF_X86_BP = 3, HCF_X86_OF = 4,
	HCF_X86_BR = 5, HCF_X86_UD = 6, HCF_X86_NM = 7, HCF_X86_DF = 8, HCF_X86_TS = 10,
	HCF_X86_NP = 11, HCF_X86_SS = 12, HCF_X86_GP = 13, HCF_X86_PF = 14, HCF_X86_MF = 16,
	HCF_X86_AC = 17, HCF_X86_MC = 18, HCF_X86_XM = 19, HCF_X86_VE = 20, HCF_X86_CP = 21,
	HCF_X86_HV = 28, HCF_X86_VC = 29, HCF_X86_SX = 30,
};

/* Exception vectors: "#GP" for 13, NULL for a vector without a mnemonic. */
const char *hcf_x86_exc_mnemonic(unsigned vector);
/* Does the CPU push an error code for this vector? */
bool hcf_x86_exc_has_error_code(unsigned vector);
/* May the frame's RFLAGS carry RF = 1 (a fault, or an abort)? */
bool hcf_x86_exc_sets_rf(unsigned vector);
/* The vector a spec or program names ("GP", "#GP", case as written), or -1. */
int hcf_x86_exc_parse(const char *name);

/* RFLAGS bit names: "CF" for bit 0, "IOPL0" for 12, NULL for a reserved bit. */
const char *hcf_x86_rflags_name(unsigned bit);
/* The bit a name gives, or -1. */
int hcf_x86_rflags_parse(const char *name);

/* All ones in the low w bits (w 0 or above 64: all 64). Marked unused:
 * reproducers embed this header, and most use neither helper. */
__attribute__((unused)) static inline uint64_t hcf_x86_width_mask(unsigned w)
{
	return (w == 0 || w >= 64) ? ~0ull : (1ull << w) - 1;
}

/* A canonical 48-bit virtual address (bits 63..47 all equal). */
__attribute__((unused)) static inline bool hcf_x86_canonical(uint64_t a)
{
	uint64_t top = a >> 47;
	return top == 0 || top == 0x1ffff;
}

#endif /* HCF_X86_H */
