/*
 * oracle.h: the oracles that turn results into verdicts.
 *
 * Call oracles look at one call's result: clobber (registers outside the
 * contract unchanged, RFLAGS as declared), exception (only allowed vectors),
 * retval (allowed return value, correctly encoded), model (outputs equal the
 * reference model's prediction), liveness (the call came back). Program
 * oracles look at the whole program: memory (bytes outside OUT fields and the
 * guards around every buffer unchanged, no stray page dirtied). Both kinds are
 * rows of tables in oracle.c; a check adds issues to the call's verdict.
 */
#ifndef HCF_ORACLE_H
#define HCF_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oracles/models/model.h"
#include "oracles/verdict.h"
#include "prog/layout.h"
#include "prog/prog.h"
#include "spec/spec.h"
#include "target/result.h"
#include "target/target.h"
#include "util/x86.h"

/* RFLAGS bits the clobber oracle compares: every architectural bit the
 * target captures faithfully (struct hcf_target_info rflags_captured; all of
 * them when there is no target info). */
uint64_t hcf_oracle_rflags_compared(const struct hcf_target_info *ti);

struct hcf_oracle_ctx {
	const struct hcf_abi *abi;
	const struct hcf_prog *prog;
	const struct hcf_prog_result *res;
	size_t idx;                      /* call under check */
	const struct hcf_op *op;         /* its op, NULL for an undeclared number */
	const struct hcf_undeclared *undeclared; /* without an op: its contract (hcf_pcall_undeclared) */
	const struct hcf_expect *expect; /* the model's prediction, NULL without a model */
	const struct hcf_target_info *tinfo;
};

typedef void (*hcf_call_oracle_fn)(const struct hcf_oracle_ctx *ctx, struct hcf_call_verdict *cv);

struct hcf_oracle {
	const char *name;
	const char *doc;          /* one line, for --help and docs */
	hcf_call_oracle_fn check;
	bool completed_only;      /* run only for calls that returned or raised an exception */
};

extern const struct hcf_oracle hcf_call_oracles[];
extern const size_t hcf_ncall_oracles;

/* Program oracles: look at the whole result and add issues to the call each
 * finding is attributed to (cvs has one entry per program call). */
typedef void (*hcf_prog_oracle_fn)(const struct hcf_abi *abi, const struct hcf_prog *p,
				   const struct hcf_prog_result *r, struct hcf_call_verdict *cvs);

struct hcf_prog_oracle {
	const char *name;
	const char *doc;
	hcf_prog_oracle_fn check;
};

extern const struct hcf_prog_oracle hcf_prog_oracles[];
extern const size_t hcf_nprog_oracles;

/* The individual oracles (exposed for unit tests). */
void hcf_oracle_liveness(const struct hcf_oracle_ctx *ctx, struct hcf_call_verdict *cv);
void hcf_oracle_exception(const struct hcf_oracle_ctx *ctx, struct hcf_call_verdict *cv);
void hcf_oracle_clobber(const struct hcf_oracle_ctx *ctx, struct hcf_call_verdict *cv);
void hcf_oracle_retval(const struct hcf_oracle_ctx *ctx, struct hcf_call_verdict *cv);
void hcf_oracle_model(const struct hcf_oracle_ctx *ctx, struct hcf_call_verdict *cv);

/*
 * The memory oracle, over the whole program: adds issues to cvs[i] of the call
 * a change is attributed to (the last call before the change that references
 * the buffer; stray pages to the last call that ran).
 */
void hcf_oracle_memory(const struct hcf_abi *abi, const struct hcf_prog *p,
		       const struct hcf_prog_result *r, struct hcf_call_verdict *cvs);

/*
 * Which bytes of buffer b the hypervisor may change, as the memory oracle
 * judges them (and the reproducer checks them): OUT/INOUT fields of its
 * struct, all of a raw buffer marked out or inout, the pointers the target
 * patched in, and what calls 0..last pointed an OUT field at (from their
 * registers in r; r NULL: none). free_ gets 1 per such byte of the image
 * guard | data | guard (HCF_BUF_GUARD + size + HCF_BUF_GUARD bytes), whose
 * first byte is at guest address gva0.
 */
void hcf_oracle_memory_free(const struct hcf_abi *abi, const struct hcf_prog *p,
			    const struct hcf_prog_result *r, size_t b, uint64_t gva0, size_t last,
			    uint8_t *free_);

/*
 * The program part of the liveness oracle: a guest lost outside any call
 * (r->liveness not OK while no call result says so, e.g. the agent panicked
 * between calls) becomes an issue of the call the program stopped at.
 */
void hcf_oracle_program_liveness(const struct hcf_abi *abi, const struct hcf_prog *p,
				 const struct hcf_prog_result *r, struct hcf_call_verdict *cvs);

/* ---- helpers shared by the oracles (also used by reports) ------------- */

/* Index of the call a program stopped at: the first call that hung, lost the
 * guest or reported garbage, else the first call not run; ncalls if none. */
size_t hcf_oracle_stop_index(const struct hcf_prog_result *r);
/* Index of the last call that ran (any outcome but NOT_RUN), or SIZE_MAX. */
size_t hcf_oracle_last_ran(const struct hcf_prog_result *r);
/* The first call that handed the guest over to the agent's own code (its
 * spec names the rip, and the program put it there), which then reported as
 * if the call had come back: from there on the program's bytes ran the
 * agent. SIZE_MAX if none. */
size_t hcf_oracle_resumed_in_agent(const struct hcf_abi *abi, const struct hcf_prog *p,
				   const struct hcf_prog_result *r);

/* Guest addresses [lo, hi), n times every stride bytes: one field of each
 * element of an array (n 1: of one struct). No copy wraps past 2^64. */
struct hcf_span {
	uint64_t lo, hi;
	uint64_t stride, n;
};

/* The bytes of span s within guest addresses [wlo, whi): marked in map
 * (byte a at map[a - wlo]) unless map is NULL; returns how many. The work
 * grows with the window, not with n. */
uint64_t hcf_span_clip(const struct hcf_span *s, uint64_t wlo, uint64_t whi, uint8_t *map);

/* The struct argument arg points to for these register values: its
 * pointer, or the first of its conditional pointers whose condition holds;
 * -1 for none. */
int hcf_oracle_pointed_struct(const struct hcf_arg *arg, const uint64_t before[HCF_NGPR]);

/*
 * Where a call told the hypervisor it may write: the OUT/INOUT fields of
 * every struct an argument points to (an argument's pointer, or its
 * pointer_when's while the condition holds), at the pointer rounded down by
 * the struct's align_down, for the registers the call loaded (before); for
 * a pointer with a count, those of each of the count's elements, one after
 * the other from there, however many the program laid out (the array goes on
 * past its buffer: docs/spec-format.md, "Arrays"). The agent maps guest
 * memory 1:1, so these are guest-physical addresses too. Up to max spans
 * into out; returns how many.
 */
size_t hcf_oracle_call_writes(const struct hcf_abi *abi, const struct hcf_op *op,
			      const uint64_t before[HCF_NGPR], struct hcf_span *out, size_t max);

/* Did call idx return a success value, by its op's error convention? An
 * exception, a lost guest, an error code, or a status field that is not 0
 * (or cannot be read) is not success. */
bool hcf_oracle_call_succeeded(const struct hcf_abi *abi, const struct hcf_prog *p,
			       const struct hcf_prog_result *r, size_t idx);

/* What a returned value is, by the call's error convention (the retval
 * oracle's classes): */
enum hcf_rv_class {
	HCF_RV_SUCCESS,     /* a success value the contract allows (any, where it says none) */
	HCF_RV_ERROR,       /* one of the op's declared errors */
	HCF_RV_UNDECLARED,  /* neither: the retval oracle fails it */
	HCF_RV_UNKNOWN,     /* not a returned call, or a status field that cannot be read */
	HCF_RV_COUNT
};

/* The class of the value call ctx->idx returned (ctx->op, or ctx->undeclared
 * for an undeclared number, as for the oracles); for HCF_RV_ERROR *err (may
 * be NULL) gets the error's index in op->errors, else -1. The retval oracle
 * fails exactly the values this calls undeclared; the coverage matrix counts
 * the classes. */
enum hcf_rv_class hcf_oracle_retval_class(const struct hcf_oracle_ctx *ctx, int *err);

/*
 * Where the status field of call idx lies: the buffer the op's pointer
 * argument points into, the field's offset in it, its struct and field.
 * 0, or -1 with why (NULL: not said). hcf_oracle_status reads it;
 * reproducers check it.
 */
int hcf_oracle_status_place(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			    const struct hcf_op *op, int *buf, int64_t *off,
			    const struct hcf_struct **st, const struct hcf_field **field, char *why,
			    size_t ylen);

/*
 * The status field of a status_field call: found through the op's pointer
 * argument in the buffer the program pointed it at, read after the program.
 * Returns 0 with the value, its width in bits and its place, or -1 with why
 * (NULL: not said).
 * Bounds-checked throughout: offsets come from the program, bytes from the
 * guest.
 */
int hcf_oracle_status(const struct hcf_abi *abi, const struct hcf_prog *p,
		      const struct hcf_prog_result *r, size_t idx, const struct hcf_op *op,
		      uint64_t *status, unsigned *width, struct hcf_loc *where, char *why,
		      size_t ylen);

/*
 * Which calls told the hypervisor to write where: for calls first..last that
 * ran, the spans of hcf_oracle_call_writes that overlap guest addresses
 * [lo, hi). With free_ (indexed from lo) marks every covered byte; without,
 * stops at the first. Returns the index of the first such call, or SIZE_MAX
 * when none covers a byte.
 */
size_t hcf_oracle_pointed_out(const struct hcf_abi *abi, const struct hcf_prog *p,
			      const struct hcf_prog_result *r, size_t first, size_t last,
			      uint64_t lo, uint64_t hi, uint8_t *free_);

/* The agent's own memory gpa lies in ("IDT", "page tables", "code and
 * data" ...), or NULL. */
const char *hcf_oracle_agent_area(uint64_t gpa);

/*
 * Evidence that the program had the hypervisor overwrite the agent's own
 * memory (boot block, tables, stacks, code): a call up to upto that
 * succeeded, or died_in (SIZE_MAX: none), which reported no success but whose
 * pointed bytes changed, pointed an OUT field there and those bytes differ
 * from the snapshot. What follows is the program's doing. Fills text and
 * returns the call, or SIZE_MAX.
 */
size_t hcf_oracle_self_inflicted(const struct hcf_abi *abi, const struct hcf_prog *p,
				 const struct hcf_prog_result *r, size_t upto, size_t died_in,
				 char *text, size_t len);

/*
 * Evidence that the hypervisor wrote the agent's own memory where no call
 * pointed it (a page the agent does not write, a byte no call up to upto
 * named), on a page a call up to upto did point it into: the first such
 * call, which is where the write most likely came from (PVM's VIF page
 * registration writes at the start of the page it was pointed into). What
 * the agent loses after that is that write's doing, not the doing of the
 * calls it happened to die in. Fills text and returns the call, or SIZE_MAX.
 */
size_t hcf_oracle_stray_agent_write(const struct hcf_abi *abi, const struct hcf_prog *p,
				    const struct hcf_prog_result *r, size_t upto, char *text,
				    size_t len);

/* The exception vectors the call under check may raise: the spec's list for
 * its op (or for undeclared numbers), plus what the model's prediction adds
 * for the guest's state. */
uint32_t hcf_oracle_allowed_exceptions(const struct hcf_oracle_ctx *ctx);

/* "#GP(0x0)", "#UD", "vector 0x45": into buf, returns buf. */
const char *hcf_exc_format(char *buf, size_t len, unsigned vector, uint64_t error_code);

/* A value for messages: "-KVM_ENOSYS (0xfffffffffffffc18)" when the spec's
 * constants name it (after sign-extension from width bits), else "0x...". */
const char *hcf_oracle_value_str(const struct hcf_abi *abi, const struct hcf_op *op, uint64_t v,
				 unsigned width, char *buf, size_t len);

/*
 * Check a whole program result: every call oracle on every call, then the
 * program oracles. model may be NULL (no model oracle). cvs has one entry per
 * call. Returns the worst verdict.
 */
enum hcf_verdict hcf_oracles_check(const struct hcf_abi *abi, const struct hcf_prog *p,
				   const struct hcf_prog_result *r, struct hcf_model *model,
				   const struct hcf_target_info *tinfo, struct hcf_call_verdict *cvs);
/* The same, saying which of the spec's known anomalies matched (matched:
 * one flag per abi->anomalies, or NULL). */
enum hcf_verdict hcf_oracles_check_anomalies(const struct hcf_abi *abi, const struct hcf_prog *p,
					     const struct hcf_prog_result *r,
					     struct hcf_model *model,
					     const struct hcf_target_info *tinfo,
					     struct hcf_call_verdict *cvs, bool *matched);

/* ---- guest memory as a call found it (call_memory.c) ------------------- */

/*
 * A reader (struct hcf_mem_reader) of guest memory as call idx of p found
 * it: the program's buffers, guards included, where every target lays them
 * out, except bytes an earlier call of the program told the hypervisor it
 * may write. m holds its state and must outlive the reader's use.
 */
struct hcf_found_mem {
	const struct hcf_abi *abi;
	const struct hcf_prog *p;
	size_t idx;
	struct hcf_layout l;
	bool placed;
};
void hcf_oracle_found_mem(struct hcf_found_mem *m, const struct hcf_abi *abi,
			  const struct hcf_prog *p, size_t idx, struct hcf_mem_reader *out);
/* One read through such a reader: size bytes at addr; false if unknown. */
bool hcf_oracle_found_field(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			    uint64_t addr, unsigned size, uint64_t *v);
/* A condition (field tests included) for call idx with these registers. */
enum hcf_tri hcf_oracle_cond(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			     const struct hcf_cond *c, const uint64_t regs[HCF_NGPR]);

/*
 * Where call idx may write behind its struct's OUT buffer fields (a field
 * with buffer: {dir: out}): [data, data + len) for each, data and len as
 * the program laid them out. Up to max spans into out; returns how many.
 */
size_t hcf_oracle_buffer_writes(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
				const uint64_t regs[HCF_NGPR], struct hcf_span *out, size_t max);

/* May call idx (its op, or the undeclared contract) end the guest this
 * way, with these registers and the memory it found? UNKNOWN when no item
 * surely allows it but one depends on memory hcfuzz cannot read (the first
 * such into *unknown, which may be NULL). */
enum hcf_tri hcf_oracle_may_end(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
				unsigned kind, const uint64_t regs[HCF_NGPR],
				const struct hcf_loss **unknown);
/* The first item marked must that surely holds for call idx: the call has
 * to end the guest so. NULL when none does (or none can be told). */
const struct hcf_loss *hcf_oracle_must_end(const struct hcf_abi *abi, const struct hcf_prog *p,
					   size_t idx, const uint64_t regs[HCF_NGPR]);
/* The first declarable way of a loss item's ends bits (HCF_LIVE_OK: none). */
unsigned hcf_loss_first_way(unsigned ends);

#endif /* HCF_ORACLE_H */
