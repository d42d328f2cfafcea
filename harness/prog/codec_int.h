/*
 * codec_int.h: the fuzz input layout shared by the decoder and the encoder.
 *
 * The input is a sequence of records, each starting with a tag byte (see
 * docs/fuzz-input-format.md for the layout). Almost every tag value is a call
 * to a declared op, so random bytes give mostly declared calls, and every
 * later byte of a call is one choice (a value kind, an address kind, a flag
 * set), so that a one-byte mutation changes one thing. Reading past the end
 * yields zero bytes, which makes every input total without a special case.
 *
 * The encoder writes the canonical form: all buffers first with their exact
 * bytes, then their pointers, then every call either as a spec-driven call
 * whose inputs use only the exact value kinds (unset, reference, zero, small,
 * raw), or, when that form cannot say it (an undeclared call, a number
 * register overridden, rsp set), as a raw call that lists registers
 * explicitly. It reads only what hcf_prog_equal compares, so
 * encode(decode(encode(p))) is encode(p).
 */
#ifndef HCF_CODEC_INT_H
#define HCF_CODEC_INT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog/codec.h"
#include "spec/transport.h"
#include "util/x86.h"
#include "util/xalloc.h"

/* ---- layout (docs/fuzz-input-format.md) ------------------------------- */

#define TAG_UNDECLARED 0xe0u   /* 0x00..0xdf: declared op; 0xe0..0xef: undeclared kind */
#define TAG_BUF 0xf0u          /* 0xf0..0xf7: buffer, content mode tag & 3 */
#define TAG_RELOC 0xf8u        /* 0xf8..0xfb: pointer inside a buffer */
#define TAG_REPEAT 0xfcu       /* 0xfc..0xfe: repeat an earlier call */
#define TAG_RAW 0xffu          /* raw call: op and registers spelled out */
#define NSEL 0xe0u             /* selector values that name a declared op */

#define MAX_RECORDS 256u       /* records read from one input: caps the work on huge inputs */
#define MAX_EXTRAS 16u         /* extra-register entries in one call */
#define MAX_DEPTH 4u           /* struct pointers followed this deep */
#define EXISTING_BELOW 0xc0u   /* buffer selector / pointer field byte: below picks the
                                  common case (an existing buffer, a nested struct) */

/* The call flags byte: each flag needs all of its bits set, so that flags are
 * rarer than a coin flip on random bytes and a zero byte means none. */
#define F_VEC 0x07u
#define F_RFLAGS 0x18u
#define F_EXTRAS 0x60u
#define RFLAGS_RAW 0xffu       /* rflags byte: 8 raw bytes follow */
#define EXTRA_MORE 0x80u       /* extra-register byte: another entry follows */

/* Buffer record content modes (tag & 3). */
enum { CONTENT_ZERO, CONTENT_FILL, CONTENT_BYTES, CONTENT_FIELDS };

static const uint64_t rflag_bits[6] = {
	HCF_X86_RFLAGS_CF, HCF_X86_RFLAGS_PF, HCF_X86_RFLAGS_AF, HCF_X86_RFLAGS_ZF, HCF_X86_RFLAGS_SF,
	HCF_X86_RFLAGS_OF,
};

static const enum hcf_dir dirs[3] = { HCF_DIR_IN, HCF_DIR_OUT, HCF_DIR_INOUT };

/* Sizes of raw buffers the decoder makes, chosen by 3 bits. */
static const uint32_t raw_sizes[8] = { 64, 8, 16, 32, 1, 256, 1024, HCF_BUF_MAX };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static inline unsigned norm_width(unsigned w)
{
	return w == 0 || w > 64 ? 64 : w;
}

/* The registers hcf_prog_add_call fills for op (NULL: an undeclared number)
 * and their values. */
static inline hcf_regmask_t implied_regs(const struct hcf_abi *abi, const struct hcf_op *op,
				  uint64_t val[HCF_NGPR])
{
	unsigned nreg = hcf_prog_nr_reg(abi);
	hcf_regmask_t m = hcf_prog_magic(abi, val);
	if (!op)
		return m | HCF_REGBIT(nreg);
	val[nreg] = hcf_prog_nr_value(abi, op->nr);
	m |= HCF_REGBIT(nreg);
	if (op->has_subop && abi->subop_reg < HCF_NGPR) {
		val[abi->subop_reg] = op->subop;
		m |= HCF_REGBIT(abi->subop_reg);
	}
	return m;
}

/*
 * The registers a spec-driven call decodes, in order: the op's inputs in
 * declared order (slots), then the extra registers it may set: everything
 * but rsp (the agent keeps its own), the number register, the sub-operation
 * register of an op with sub-operations or of an undeclared call (an
 * override would make the oracles judge one call by another's contract) and
 * the slots. For an op without sub-operations the sub-operation register is
 * an ordinary register (FastABI passes the first argument there).
 */
struct layout {
	const struct hcf_arg *slot_arg[HCF_NGPR];
	unsigned slot_reg[HCF_NGPR];
	size_t nslots;
	unsigned extra_reg[HCF_NGPR];
	size_t nextras;
};

static inline void call_layout(const struct hcf_abi *abi, const struct hcf_op *op, struct layout *l)
{
	hcf_regmask_t taken = HCF_REGBIT(HCF_RSP) | HCF_REGBIT(hcf_prog_nr_reg(abi));
	if (abi->subop_reg < HCF_NGPR && (!op || op->has_subop))
		taken |= HCF_REGBIT(abi->subop_reg);
	l->nslots = l->nextras = 0;
	for (size_t i = 0; op && i < op->nargs; i++) {
		const struct hcf_arg *a = &op->args[i];
		if (!(a->dir & HCF_DIR_IN) || a->reg >= HCF_NGPR || (taken & HCF_REGBIT(a->reg)))
			continue;
		taken |= HCF_REGBIT(a->reg);
		l->slot_arg[l->nslots] = a;
		l->slot_reg[l->nslots++] = a->reg;
	}
	for (unsigned r = 0; r < HCF_NGPR; r++)
		if (!(taken & HCF_REGBIT(r)))
			l->extra_reg[l->nextras++] = r;
}

/* Weight columns of the value kinds. */
enum { COL_PLAIN, COL_POINTER, NCOLS };

/* The value kinds a byte of a call chooses (codec_decode.c's table). */
enum vkind {
	VK_ZERO, VK_UNSET, VK_RAW, VK_REF, VK_ONE, VK_ALL_ONES, VK_SIGN, VK_SMAX, VK_HINT,
	VK_CONST, VK_POW2, VK_SMALL, VK_NEG_SMALL, VK_RAND_WIDTH, VK_ADDR, VK_NEW_BUF, VK_COUNT
};

/* The byte that chooses kind in weight column col (its first). */
uint8_t codec_kind_byte(unsigned col, enum vkind kind);

#endif /* HCF_CODEC_INT_H */
