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
 * Programs come from the text format (prog_text.c, docs/program-format.md),
 * the conformance plan (plan.h) and the fuzzing decoder (codec.h).
 */
#ifndef HCF_PROG_H
#define HCF_PROG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "spec/spec.h"
#include "util/diag.h"

#define HCF_PROG_MAX_CALLS 65536u
#define HCF_PROG_MAX_BUFS 64u
#define HCF_BUF_MAX 4096u   /* bytes in one buffer */
#define HCF_BUF_GUARD 64u   /* guard bytes on each side of a buffer */

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

/* The sentinel loaded into register reg for call i when the program leaves it unset. */
uint64_t hcf_sentinel(unsigned reg, size_t call_idx);

void hcf_prog_init(struct hcf_prog *p, const struct hcf_abi *abi);
void hcf_prog_reset(struct hcf_prog *p);   /* drop calls and buffers, keep storage */
void hcf_prog_free(struct hcf_prog *p);
int hcf_prog_copy(struct hcf_prog *dst, const struct hcf_prog *src);

/*
 * Append a call to op (or to the undeclared number nr when op < 0). The call
 * number, sub-operation and OR mask are written into their registers; every
 * other register holds its sentinel. Returns the call or NULL when full.
 */
struct hcf_pcall *hcf_prog_add_call(struct hcf_prog *p, int op, uint64_t nr);
/* Set a register explicitly. */
void hcf_pcall_set(struct hcf_pcall *c, unsigned reg, uint64_t v);
/* Point a register at a buffer. */
void hcf_pcall_set_ref(struct hcf_pcall *c, unsigned reg, int buf, int32_t offset);
/* Add a buffer (init may be NULL for zeroes; dir HCF_DIR_IN for raw read-only
 * bytes). Returns its index or -1. */
int hcf_prog_add_buf(struct hcf_prog *p, uint32_t size, int struct_idx, enum hcf_dir dir,
		     const uint8_t *init);
/* Make bytes [at, at+8) of buffer buf hold the address of target+offset. */
int hcf_prog_add_reloc(struct hcf_prog *p, int buf, uint32_t at, int target, int32_t offset);

/* Remove call i (minimization). */
void hcf_prog_remove_call(struct hcf_prog *p, size_t i);

/* The call number this call issues (as loaded into the number register, without the mask). */
uint64_t hcf_pcall_nr(const struct hcf_prog *p, const struct hcf_pcall *c);
/* Name for reports: the op name, or "nr=0x..." for an undeclared number. */
const char *hcf_pcall_name(const struct hcf_prog *p, const struct hcf_pcall *c, char *buf, size_t len);

/* ---- text format (prog_text.c) ---------------------------------------- */

/*
 * Parse the program text format. On error returns -1 with file:line:column
 * diagnostics and leaves p empty. name labels diagnostics.
 */
int hcf_prog_parse(struct hcf_prog *p, const struct hcf_abi *abi, const char *name,
		   const char *text, size_t len, struct hcf_diags *diags);
int hcf_prog_parse_file(struct hcf_prog *p, const struct hcf_abi *abi, const char *path,
			struct hcf_diags *diags);
/* Write p in the text format; parsing the output gives back an equal program. */
int hcf_prog_print(const struct hcf_prog *p, FILE *f);
/* The same into a malloc'ed string (caller frees). */
char *hcf_prog_to_text(const struct hcf_prog *p);

/* Programs equal in calls, registers that matter, buffers. */
bool hcf_prog_equal(const struct hcf_prog *a, const struct hcf_prog *b);

#endif /* HCF_PROG_H */
