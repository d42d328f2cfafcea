/*
 * spec.h: the ABI model a spec file loads into.
 *
 * A spec describes one hypercall ABI: how a call is made (transport), which
 * register carries the call number and sub-operation, and for every call or
 * sub-operation its inputs, outputs, clobbers, allowed return values, error
 * convention, allowed exceptions, in-memory structures and special properties
 * (destructive, nondeterministic). docs/spec-format.md is the user-facing
 * description of the YAML; this header is the in-memory form every other part
 * of hcfuzz (plan, decoder, oracles, reports) reads.
 *
 * Calls with sub-operations are flattened into "ops": an op is the unit a test
 * addresses (a call without sub-operations is one op; a call with N
 * sub-operations is N ops). Everything downstream indexes abi->ops.
 */
#ifndef HCF_SPEC_H
#define HCF_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hcf_proto.h"
#include "util/diag.h"

typedef uint16_t hcf_regmask_t; /* bit (1 << enum hcf_gpr) per register */
#define HCF_REGBIT(r) ((hcf_regmask_t)(1u << (r)))
#define HCF_REG_NONE 0xffu
/* Largest struct align_down: one page. */
#define HCF_STRUCT_ALIGN_MAX 4096u

/* Register names: "rax".."r15" and their 32/16/8-bit aliases resolve to the
 * full register plus a width in bits. Returns HCF_REG_NONE for unknown names. */
unsigned hcf_reg_parse(const char *name, unsigned *width_bits);
const char *hcf_reg_name(unsigned reg); /* "rax" ... "r15", "?" if out of range */

/* ---- transports ------------------------------------------------------- */

enum hcf_xport_kind {
	HCF_XPORT_VMCALL,
	HCF_XPORT_VMMCALL,
	HCF_XPORT_NATIVE,   /* vmcall on Intel, vmmcall on AMD: resolved by the target */
	HCF_XPORT_INT,      /* int N */
	HCF_XPORT_SYSCALL,
	HCF_XPORT_HCPAGE,   /* call into a hypercall page entry */
	HCF_XPORT_PIO,      /* port I/O: port = port_base + call number */
	HCF_XPORT_MMIO,     /* MMIO: address = mmio_base + call number * mmio_scale */
	HCF_XPORT_COUNT
};

struct hcf_transport {
	enum hcf_xport_kind kind;
	uint8_t vector;          /* INT */
	uint8_t width;           /* PIO/MMIO: access width in bytes */
	bool is_read;            /* PIO: in (else out); MMIO: read (else write) */
	uint16_t port_base;      /* PIO */
	uint64_t mmio_base;      /* MMIO */
	uint32_t mmio_scale;     /* MMIO */
	uint32_t hcpage_msr;     /* HCPAGE: MSR whose write fills the page */
	uint32_t hcpage_stride;  /* HCPAGE: bytes per entry */
	hcf_regmask_t clobbers;  /* architectural clobbers (syscall: rcx, r11) */
	hcf_regmask_t outputs;   /* architectural outputs (pio in / mmio read: rax) */
};

/* Static facts per transport kind, one row each (name, clobbers, ...). */
struct hcf_xport_info {
	enum hcf_xport_kind kind;
	const char *name;        /* spec spelling */
	hcf_regmask_t clobbers;  /* architectural clobbers */
	const char *why;         /* one-line reason, shown in docs and FAIL messages */
};
const struct hcf_xport_info *hcf_xport_info(enum hcf_xport_kind kind);
const char *hcf_xport_name(enum hcf_xport_kind kind);

/* ---- values ----------------------------------------------------------- */

struct hcf_vrange {
	int64_t lo, hi; /* inclusive; values are compared as signed 64-bit after
	                   sign-extension from the return register's width */
};

struct hcf_vset {
	bool any;                 /* every value allowed */
	size_t n;
	struct hcf_vrange *r;
};

bool hcf_vset_contains(const struct hcf_vset *s, int64_t v);

/* A named constant from the spec's constants table (errno names, magic numbers). */
struct hcf_const {
	char *name;
	int64_t value;
};

/* ---- errors ----------------------------------------------------------- */

enum hcf_err_conv {
	HCF_ERR_NONE,          /* no error convention: only returns: applies */
	HCF_ERR_NEG_ERRNO,     /* return register holds -code on error */
	HCF_ERR_CARRY,         /* CF=1 on error with the code in the return register */
	HCF_ERR_STATUS_FIELD,  /* a structure field holds the status */
	HCF_ERR_COUNT
};
const char *hcf_err_conv_name(enum hcf_err_conv c);

/* ---- memory structures ------------------------------------------------ */

enum hcf_dir {
	HCF_DIR_IN = 1,
	HCF_DIR_OUT = 2,
	HCF_DIR_INOUT = 3
};

struct hcf_field {
	char *name;
	uint32_t offset, size;   /* bytes */
	enum hcf_dir dir;
	int points_to;           /* index into abi->structs, or -1 */
	int buffer_len_field;    /* field holds a pointer to a byte buffer whose
	                            length is in this sibling field; -1 if none */
	bool is_status;          /* the status field of HCF_ERR_STATUS_FIELD */
	struct hcf_srcpos pos;
};

struct hcf_struct {
	char *name;
	uint32_t size;
	/* The hypervisor clears the low bits of the address it is given: the
	 * struct starts at the pointer rounded down to this power of two (1: at
	 * the pointer itself). Shared pages registered by address often work so. */
	uint32_t align_down;
	struct hcf_field *fields;
	size_t nfields;
	struct hcf_srcpos pos;
};

/* ---- arguments and ops ------------------------------------------------ */

enum hcf_nondet {
	HCF_NONDET_NONE = 0,
	HCF_NONDET_ANY,        /* any value; not compared with the model */
	HCF_NONDET_MONOTONIC   /* never smaller than the previous value of this output */
};

struct hcf_arg {
	char *name;
	uint8_t reg;             /* enum hcf_gpr */
	uint8_t width;           /* bits: 8, 16, 32 or 64 */
	enum hcf_dir dir;
	int struct_idx;          /* >= 0: the register holds a pointer to this struct */
	/* pointer_when: the register holds a pointer to struct `struct_idx` only
	 * while input `arg` (an index into the op's args) holds `value`, as an
	 * MSR write's value is an address for some indexes only. Generators
	 * leave such an argument a plain number; the oracles that ask where a
	 * call told the hypervisor to write use it. */
	struct {
		bool on;
		int struct_idx;
		int arg;
		uint64_t value;
	} when;
	enum hcf_nondet nondet;  /* outputs only */
	struct hcf_vset hints;   /* interesting input values named by the spec */
	struct hcf_srcpos pos;
};

struct hcf_op {
	char *name;              /* "call" or "call.subop" */
	char *call_name;         /* owning call */
	int call_idx;            /* index into abi->calls */
	uint64_t nr;             /* call number, before the ABI's OR mask */
	bool has_subop;
	uint64_t subop;
	char *doc;               /* free text from the spec, may be NULL */

	struct hcf_arg *args;
	size_t nargs;
	hcf_regmask_t in_mask;       /* registers the hypervisor reads (IN, INOUT, number, subop) */
	hcf_regmask_t out_mask;      /* registers it may write as results (OUT, INOUT, return) */
	hcf_regmask_t clobber_mask;  /* declared clobbers for this op (ABI-wide ones included) */
	uint64_t rflags_may_change;  /* RFLAGS bits the op may change */

	uint8_t ret_reg;             /* HCF_REG_NONE if the op returns nothing */
	uint8_t ret_width;           /* bits */
	enum hcf_err_conv err;
	struct hcf_vset returns;     /* allowed success values (and errors for HCF_ERR_NONE) */
	int64_t *errors;             /* allowed error codes, as positive numbers */
	size_t nerrors;
	int status_struct, status_field; /* HCF_ERR_STATUS_FIELD */

	uint32_t exceptions;         /* bit v: exception vector v (0..31) allowed */
	bool destructive;            /* may kill or reconfigure the guest */
	char *destructive_why;
	struct hcf_srcpos pos;
};

struct hcf_call {
	char *name;
	uint64_t nr;
	size_t first_op, nops;       /* its ops in abi->ops */
	bool has_subops;
	struct hcf_srcpos pos;
};

enum hcf_dialect {
	HCF_DIALECT_HCFUZZ,      /* the native spec language */
	HCF_DIALECT_XEN_FASTABI  /* Xen FastABI per-operation files */
};

struct hcf_abi {
	char *name;
	char *description;
	char *path;                  /* file (or directory) it was loaded from */
	enum hcf_dialect dialect;
	unsigned spec_version;

	struct hcf_transport transport;
	uint8_t nr_reg;              /* register carrying the call number */
	uint8_t nr_width;            /* bits of the call number space */
	uint64_t nr_or_mask;         /* OR-ed into the number register ('A'<<24, 0x40000000) */
	uint8_t subop_reg;           /* HCF_REG_NONE if the ABI has no sub-operations */
	uint8_t subop_width;         /* bits of the sub-operation index (0 without subop_reg) */
	hcf_regmask_t clobbers;      /* ABI-wide declared clobbers */

	struct hcf_const *consts;
	size_t nconsts;

	struct hcf_call *calls;
	size_t ncalls;
	struct hcf_op *ops;
	size_t nops;
	struct hcf_struct *structs;
	size_t nstructs;

	/* What an undeclared call number must do. */
	struct hcf_vset undeclared_returns;
	uint32_t undeclared_exceptions;
	uint8_t ret_reg;             /* ABI default return register */
	uint8_t ret_width;
	enum hcf_err_conv err;       /* ABI default convention */

	char *model;                 /* reference model name (oracles/models), or NULL */
	struct hcf_srcpos pos;

	char **files;                /* every file name srcpos.file points at (owned) */
	size_t nfiles;
};

/*
 * Load a spec. path is a file in either dialect, or a directory whose *.yml /
 * *.yaml files are Xen FastABI operation files merged into one ABI. On error
 * returns -1 with diagnostics (file:line:column) in diags and *out NULL: a spec
 * with any error never half-loads.
 */
int hcf_spec_load(const char *path, struct hcf_abi **out, struct hcf_diags *diags);

/* Same, from a buffer already in memory (tests, embedded specs). name is used
 * in diagnostics. */
int hcf_spec_load_buffer(const char *name, const char *text, size_t len,
			 struct hcf_abi **out, struct hcf_diags *diags);

void hcf_spec_free(struct hcf_abi *abi);

/* Lookup. find_op returns the op for a number (and sub-operation, ignored for
 * calls without sub-operations), or NULL when the number is undeclared. */
const struct hcf_op *hcf_spec_find_op(const struct hcf_abi *abi, uint64_t nr, uint64_t subop);
const struct hcf_op *hcf_spec_op_by_name(const struct hcf_abi *abi, const char *name);
const struct hcf_const *hcf_spec_const(const struct hcf_abi *abi, const char *name);
const struct hcf_struct *hcf_spec_struct(const struct hcf_abi *abi, const char *name);

/* A name for a value, from the constants table: "-KVM_ENOSYS" for -1000 when
 * the op's convention is negative errno. Returns NULL if none fits. */
const char *hcf_spec_value_name(const struct hcf_abi *abi, const struct hcf_op *op, int64_t v,
				char *buf, size_t len);

/* Every register the op may change: outputs, clobbers, transport clobbers. */
hcf_regmask_t hcf_op_may_change(const struct hcf_abi *abi, const struct hcf_op *op);
/* The same for an undeclared number: return register, ABI and transport clobbers. */
hcf_regmask_t hcf_abi_undeclared_may_change(const struct hcf_abi *abi);

/* Sign-extend v from width bits to 64. */
static inline int64_t hcf_sext(uint64_t v, unsigned width)
{
	if (width >= 64)
		return (int64_t)v;
	uint64_t m = 1ull << (width - 1);
	v &= (1ull << width) - 1;
	return (int64_t)((v ^ m) - m);
}

#endif /* HCF_SPEC_H */
