/*
 * prog.h: programs, the sequences of hypercalls hcfuzz runs.
 *
 * A program belongs to one ABI and holds calls and guest buffers. A call
 * names an op of the ABI (or an undeclared number), and fixes the register
 * image the agent loads before issuing it: registers the program sets
 * explicitly, and a distinct sentinel in every other register so that a
 * clobber is visible. A register may instead point into one of the program's
 * buffers (an in-memory argument); the target turns that into a guest address
 * when it lays the buffers out.
 *
 * Programs come from the text format (prog_parse.c, docs/program-format.md),
 * the conformance plan (plan.h) and the fuzzing decoder (codec.h).
 */
#ifndef HCF_PROG_H
#define HCF_PROG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hcf_proto.h"
#include "spec/spec.h"
#include "util/diag.h"

#define HCF_PROG_MAX_CALLS 65536u
#define HCF_PROG_MAX_BUFS 64u
#define HCF_BUF_MAX 4096u   /* bytes in one buffer */

/* A register that holds a guest address inside a program buffer. */
struct hcf_bufref {
	int16_t buf;     /* buffer index, -1: plain value in gpr[] */
	int32_t offset;  /* bytes from the buffer start; may point into the guards or beyond */
};

struct hcf_pcall {
	int op;                        /* index into abi->ops, -1: undeclared number */
	uint64_t gpr[HCF_NGPR];        /* register image before the call */
	hcf_regmask_t set;             /* registers set explicitly by the program */
	struct hcf_bufref ref[HCF_NGPR];
	uint64_t rflags;               /* HCF_RFLAGS_LOADABLE bits loaded before the call */
	bool capture_vec;              /* capture XMM0-15 around this call */
};

#define HCF_BUF_MAX_RELOCS 8

/* A pointer inside a buffer: at byte `at`, the guest address of buf+offset
 * (8 bytes, little-endian), patched in when the target lays buffers out. */
struct hcf_buf_reloc {
	uint32_t at;
	int16_t buf;
	int32_t offset;
};

struct hcf_buf {
	uint32_t size;                 /* 1..HCF_BUF_MAX */
	int struct_idx;                /* struct laid out in it, or -1 for raw bytes */
	enum hcf_dir dir;              /* raw buffers: may the hypervisor write it (OUT/INOUT)?
	                                  struct buffers: ignored, the fields decide */
	uint8_t *init;                 /* size bytes written before the program runs */
	struct hcf_buf_reloc relocs[HCF_BUF_MAX_RELOCS];
	size_t nrelocs;
};

struct hcf_prog {
	const struct hcf_abi *abi;
	struct hcf_pcall *calls;
	size_t ncalls, cap;
	struct hcf_buf bufs[HCF_PROG_MAX_BUFS];
	size_t nbufs;
};

/*
 * The sentinel loaded into register reg for call i when the program leaves it
 * unset: HCF_SENTINEL_BASE | reg << 40 | (i & 0xffffffffff). The top bytes
 * 5e5e make it a non-canonical address and an unlikely length or number, so a
 * hypervisor that consumes it fails loudly, and a dump shows which register
 * of which call a stray value came from ("5e5e_3_0000000007": rbx of call 7).
 */
#define HCF_SENTINEL_BASE 0x5e5e000000000000ull
#define HCF_SENTINEL_MASK 0xffff000000000000ull
uint64_t hcf_sentinel(unsigned reg, size_t call_idx);
/* Is v a sentinel (of any register and call)? */
bool hcf_is_sentinel(uint64_t v);

/* The register that carries the call number: rdx (the port or MMIO offset
 * before the target adds its base) for PIO and MMIO, else abi->nr_reg. */
unsigned hcf_prog_nr_reg(const struct hcf_abi *abi);
/* What hcf_prog_add_call loads into that register for number nr. */
uint64_t hcf_prog_nr_value(const struct hcf_abi *abi, uint64_t nr);

void hcf_prog_init(struct hcf_prog *p, const struct hcf_abi *abi);
void hcf_prog_reset(struct hcf_prog *p);   /* drop calls and buffers, keep storage */
void hcf_prog_free(struct hcf_prog *p);
/* Deep copy. dst is overwritten as if uninitialised: free it first if it
 * held a program. Returns 0. */
int hcf_prog_copy(struct hcf_prog *dst, const struct hcf_prog *src);
/*
 * Check what the types cannot: op indices in range, register references and
 * relocations pointing at existing buffers, relocations inside their buffer,
 * buffer sizes and directions valid. Returns 0, or -1 with the first problem
 * in why (may be NULL).
 */
int hcf_prog_validate(const struct hcf_prog *p, char *why, size_t len);

/*
 * Append a call to op (or to the undeclared number nr when op < 0). The call
 * number, sub-operation and OR mask are written into their registers; every
 * other register holds its sentinel. Returns the call or NULL when full (or
 * op is out of range).
 *
 * The number and sub-operation registers count as set. Setting them again to
 * another value is allowed (a raw number without the OR mask, a fuzzed
 * sub-operation); the text format then spells the call with `override`.
 */
struct hcf_pcall *hcf_prog_add_call(struct hcf_prog *p, int op, uint64_t nr);
/* Set a register explicitly (drops a buffer reference it held). */
void hcf_pcall_set(struct hcf_pcall *c, unsigned reg, uint64_t v);
/* Point a register at a buffer; the register counts as set, gpr[reg] is 0
 * until the target patches in the address. */
void hcf_pcall_set_ref(struct hcf_pcall *c, unsigned reg, int buf, int32_t offset);
/* Add a buffer (init may be NULL for zeroes; dir HCF_DIR_IN for raw read-only
 * bytes). Returns its index or -1. */
int hcf_prog_add_buf(struct hcf_prog *p, uint32_t size, int struct_idx, enum hcf_dir dir,
		     const uint8_t *init);
/* Make bytes [at, at+8) of buffer buf hold the address of target+offset. */
int hcf_prog_add_reloc(struct hcf_prog *p, int buf, uint32_t at, int target, int32_t offset);

/* Remove call i (minimization). Later calls move down and their unset
 * registers get the sentinels of their new index. */
void hcf_prog_remove_call(struct hcf_prog *p, size_t i);

/* The call number this call issues (as loaded into the number register, without the mask). */
uint64_t hcf_pcall_nr(const struct hcf_prog *p, const struct hcf_pcall *c);
/*
 * The op the call really issues: c->op unless its number (or sub-operation)
 * register was overridden with something else, in which case the op the
 * issued number names, or -1 when that number is undeclared. Oracles,
 * models and features judge a call by what it did, not by its label.
 */
int hcf_pcall_op(const struct hcf_prog *p, const struct hcf_pcall *c);
/* The same, from the register image the call really loaded (a result's
 * before[]): right also where a number or magic register holds a buffer
 * address, which only the layout resolves. */
int hcf_pcall_op_loaded(const struct hcf_prog *p, const struct hcf_pcall *c,
			const uint64_t loaded[HCF_NGPR]);
/* The contract a call that issues no declared op is judged by: for an
 * unknown sub-operation of a call that says what those do, the call's
 * (hcf_spec_undeclared); else the ABI's. loaded as for hcf_pcall_op_loaded
 * (NULL: the program's own image). */
const struct hcf_undeclared *hcf_pcall_undeclared(const struct hcf_prog *p,
						  const struct hcf_pcall *c,
						  const uint64_t loaded[HCF_NGPR]);
/* The op call idx of p really issues (hcf_pcall_op), NULL for an undeclared
 * number or an index p does not have: what every layer means by "the op of
 * call idx". */
const struct hcf_op *hcf_prog_call_op(const struct hcf_prog *p, size_t idx);
/* The ABI's magic registers (abi->magic) into val[], as every call loads
 * them; returns their mask. */
hcf_regmask_t hcf_prog_magic(const struct hcf_abi *abi, uint64_t val[HCF_NGPR]);
/* Does any call of p reconfigure the guest (a destructive op)? A target
 * gives the next program a fresh guest after one. */
bool hcf_prog_has_destructive(const struct hcf_prog *p);

/* Name for reports: the op name, or "nr=0x..." for an undeclared number. */
const char *hcf_pcall_name(const struct hcf_prog *p, const struct hcf_pcall *c, char *buf, size_t len);

/* ---- text format (prog_parse.c, prog_print.c) ------------------------- */

#define HCF_PROG_TEXT_MAX (64u << 20)     /* bytes in one program text */
#define HCF_PROG_TEXT_MAX_LINE 65536u     /* bytes in one line (a 4 KiB buffer in hex fits) */

/*
 * Parse the program text format. On error returns -1 with file:line:column
 * diagnostics and leaves p empty. name labels diagnostics.
 */
int hcf_prog_parse(struct hcf_prog *p, const struct hcf_abi *abi, const char *name,
		   const char *text, size_t len, struct hcf_diags *diags);
int hcf_prog_parse_file(struct hcf_prog *p, const struct hcf_abi *abi, const char *path,
			struct hcf_diags *diags);
/* Write p in the text format; parsing the output gives back an equal program.
 * Returns 0, or -1 (nothing written, errno EINVAL) for a program that fails
 * hcf_prog_validate or cannot be spelled against its ABI, -1 on a write error. */
int hcf_prog_print(const struct hcf_prog *p, FILE *f);
/* The same into a malloc'ed string (caller frees). */
char *hcf_prog_to_text(const struct hcf_prog *p);

/* The same program against another ABI of the same spec (another
 * transport), through the text format both can spell: out is initialised
 * here. 0, or -1 with the parser's diagnostics printed to stderr. */
int hcf_prog_convert(const struct hcf_prog *in, const struct hcf_abi *abi, struct hcf_prog *out);

/* Programs equal in calls, registers that matter, buffers. */
bool hcf_prog_equal(const struct hcf_prog *a, const struct hcf_prog *b);

#endif /* HCF_PROG_H */
