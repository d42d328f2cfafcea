/*
 * value_class.h: the class of a value an input register holds, judged by the
 * input's declared width: the names the conformance plan gives the values it
 * tries (plan.c) and the columns the spec coverage matrix counts them in
 * (reports/coverage.h). One list, so a plan's "rcx=all-ones" test lands in
 * the matrix's all-ones column and nowhere else.
 *
 * A number's class (the first rule that holds, w the input's width, m its
 * mask, v the whole 64-bit register):
 *   upper-garbage  w < 64 and a bit of v above the width is set (what the
 *                  hypervisor must ignore; checked first, whatever the low bits)
 *   zero           v == 0
 *   one            v == 1
 *   all-ones       v == m
 *   sign-bit       v == 1 << (w - 1)
 *   max            v == m >> 1, the width's signed maximum
 *   hint           v is in the input's hints (as an unsigned w-bit value or
 *                  sign-extended from w bits)
 *   random         anything else
 * A pointer input's class besides (only pointers to a struct the spec names):
 *   valid          a reference into a program buffer, the struct's first
 *                  element wholly inside it
 *   edge           a reference into a program buffer or its guards whose
 *                  struct does not fit: it reaches into a guard (the plan's
 *                  last-byte)
 *   invalid        anything else: a plain number (NULL, non-canonical, past
 *                  guest RAM, any address hcfuzz did not lay out for the call)
 *                  or a reference wholly outside the buffer and its guards
 * A pointer holding a plain number gets its number class too; one holding a
 * buffer reference only its pointer class (its value is an address the
 * layout chooses).
 */
#ifndef HCF_VALUE_CLASS_H
#define HCF_VALUE_CLASS_H

#include <stdbool.h>
#include <stdint.h>

#include "prog/prog.h"
#include "spec/spec.h"

enum hcf_vclass {
	HCF_VC_ZERO,
	HCF_VC_ONE,
	HCF_VC_ALL_ONES,
	HCF_VC_SIGN_BIT,
	HCF_VC_MAX,
	HCF_VC_UPPER_GARBAGE,
	HCF_VC_HINT,
	HCF_VC_RANDOM,
	HCF_VC_PTR_VALID,
	HCF_VC_PTR_EDGE,
	HCF_VC_PTR_INVALID,
	HCF_VC_COUNT
};
/* The classes up to here are a number's; the rest a pointer's. */
#define HCF_VC_NUMBER_COUNT (HCF_VC_RANDOM + 1)

/* "zero", "one", "all-ones", "sign-bit", "max", "upper-garbage", "hint",
 * "random", "valid", "edge", "invalid"; "?" out of range. */
const char *hcf_vclass_name(enum hcf_vclass c);
/* The class a name gives, or -1. */
int hcf_vclass_parse(const char *name);

/* Does class c apply to an input of width bits (upper-garbage only below
 * 64), with hints (hint only then: hcf_vclass_hints_apply), a pointer
 * (valid, edge, invalid only then)? */
bool hcf_vclass_applies(enum hcf_vclass c, unsigned width, bool has_hints, bool pointer);

/* The value the plan tries for a class of its own: zero, one, all-ones,
 * sign-bit, max, and for upper-garbage 1 with 0xdeadbeef... above the
 * width; 0 for the others (hint, random and the pointers' have no one
 * value). */
uint64_t hcf_vclass_value(enum hcf_vclass c, unsigned width);
/* Can a value of an input with these hints (NULL: none) be of class hint:
 * does a hint name a value that is none of the special ones (a hint 0 is
 * zero, never hint)? */
bool hcf_vclass_hints_apply(const struct hcf_vset *hints, unsigned width);
/* A number's class, by the rules above. hints may be NULL. */
enum hcf_vclass hcf_vclass_of_number(uint64_t v, unsigned width, const struct hcf_vset *hints);

/* A pointer's class: ref is the register's buffer reference in program p
 * (buf -1: a plain number), need the bytes the struct it points to takes
 * (0 counts as 1). */
enum hcf_vclass hcf_vclass_of_pointer(const struct hcf_prog *p, const struct hcf_bufref *ref,
				      uint32_t need);

/* An input's width in bits: its declared one, 64 when it says none. */
unsigned hcf_arg_width(const struct hcf_arg *a);
/* Is a an input the program chooses (read by the call, in a register, not
 * the number, sub-operation or a magic register the call fills itself)?
 * The inputs the plan varies and the matrix counts. */
bool hcf_arg_is_input(const struct hcf_abi *abi, const struct hcf_op *op, const struct hcf_arg *a);
/* Does a point to a struct the spec names (a pointer input)? */
bool hcf_arg_is_pointer(const struct hcf_abi *abi, const struct hcf_arg *a);

#endif /* HCF_VALUE_CLASS_H */
