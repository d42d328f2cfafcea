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
#include "util/liveness.h"

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
	bool fixed;              /* PIO/MMIO: always port_base / mmio_base; the call number
	                            travels in the call_number register (a backdoor port) */
	uint16_t port_base;      /* PIO */
	uint64_t mmio_base;      /* MMIO */
	uint32_t mmio_scale;     /* MMIO */
	uint32_t hcpage_msr;     /* HCPAGE: MSR whose write fills the page */
	uint32_t hcpage_stride;  /* HCPAGE: bytes per entry */
	hcf_regmask_t clobbers;  /* architectural clobbers (syscall: rcx, r11) */
	hcf_regmask_t outputs;   /* architectural outputs (pio in / mmio read: rax) */
};

#define HCF_OP_WATCHDOG_MAX_MS 3600000u /* an hour */

/* A spec may list the transports its calls can be made with (Xen: the
 * hypercall page, a PV kernel's syscall, an HVM guest's vmcall). */
#define HCF_MAX_TRANSPORTS 4

/* What each transport means and does: spec/transport.h. */

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
	/* buffer: what the hypervisor does with the bytes behind it (the
	 * contents, not the pointer), when the spec says: HCF_DIR_OUT or INOUT
	 * lets the call write len bytes there; 0: not said */
	uint8_t buffer_dir;
	struct hcf_vset hints;   /* values worth trying in an in or inout field */
	uint64_t baseline;       /* what the plan's baseline puts there (default 0) */
	uint8_t nondet;          /* enum hcf_nondet, out and inout fields */
	uint32_t clock_slack_ms; /* HCF_NONDET_CLOCK: how far from the host's clock */
	/* waits: the call blocks as long as this field says, in units of
	 * waits_unit_ns nanoseconds (0: not a duration); generators keep it
	 * to waits_max_ms, and a call that waits longer is not judged a hang */
	uint64_t waits_unit_ns;
	uint32_t waits_max_ms;
	struct hcf_srcpos pos;
};

/* The most a waits: field may say, in its own unit (0 for other fields):
 * what generators keep it to. */
uint64_t hcf_field_waits_max(const struct hcf_field *f);

struct hcf_struct {
	char *name;
	uint32_t size;
	/* The hypervisor clears the low bits of the address it is given: the
	 * struct starts at the pointer rounded down to this power of two (1: at
	 * the pointer itself). Shared pages registered by address often work so. */
	uint32_t align_down;
	/* A pointer with a count names an array of it somewhere in the spec: a
	 * program buffer of it holds as many elements as fit (plan.c lays
	 * out arrays so, the memory oracle reads them so). */
	bool array_element;
	struct hcf_field *fields;
	size_t nfields;
	struct hcf_srcpos pos;
};

/* ---- conditions on a call's inputs ------------------------------------ */

/* One input's test: the register (at the input's width, then AND mask) is in
 * set, or, with negate, is not. A test of a struct field (INPUT.FIELD) reads
 * the field foffset bytes past the address the register holds (at
 * ptr_width bits), as the call found it in guest memory: width bits, the
 * field's size. */
struct hcf_pred {
	uint8_t reg;             /* enum hcf_gpr */
	uint8_t width;           /* bits the input is read at */
	uint64_t mask;           /* all ones unless the spec says mask: */
	struct hcf_vset set;     /* compared as signed 64-bit values, like returns */
	bool negate;
	bool in_field;           /* a field test */
	uint8_t ptr_width;       /* field test: bits of the register the address is */
	uint32_t foffset;        /* field test: the field's offset in its struct */
};

/* Every predicate holds (no predicate: always). */
struct hcf_cond {
	struct hcf_pred *p;
	size_t n;
};

/* Does c hold for these registers? A test of a struct field cannot be
 * read from registers: it counts as holding (hcf_cond_eval tells). */
bool hcf_cond_holds(const struct hcf_cond *c, const uint64_t regs[HCF_NGPR]);
/* One test on a value (its reg is not looked at). */
bool hcf_pred_holds(const struct hcf_pred *p, uint64_t value);

/* Whether something holds, when it may depend on guest memory hcfuzz
 * cannot read (a struct outside the program's buffers). */
enum hcf_tri { HCF_TRI_NO = 0, HCF_TRI_YES, HCF_TRI_UNKNOWN };

/* Guest memory as a call found it: size (1..8) bytes at addr, little
 * endian, into *v; false when they are not known (the oracles' reader,
 * hcf_model_mem_reader, knows the program's buffers). */
struct hcf_mem_reader {
	bool (*read)(void *ctx, uint64_t addr, unsigned size, uint64_t *v);
	void *ctx;
};

/* c for these registers, its field tests read through mr (NULL: every
 * field test is unknown). */
enum hcf_tri hcf_cond_eval(const struct hcf_cond *c, const uint64_t regs[HCF_NGPR],
			   const struct hcf_mem_reader *mr);

/* ---- how a call may end the guest (the loss model) --------------------- */

/*
 * A call may end the guest only in ways its spec declares (a destructive
 * call's ends:, or a call's own ends:), and only in ways the architecture
 * or the ABI can explain (hcf_liveness_declarable): a shutdown (triple
 * fault), an exception the agent cannot survive, a runaway, the guest's own
 * halt, a VMM refusing the call by exiting. A hang in the hypervisor, a KVM
 * internal error, a failed entry, an unexpected exit or garbage on the
 * channel no spec can excuse. An item marked must is a duty, not a leave:
 * where it holds, a call that comes back is a FAIL.
 */
struct hcf_loss {
	unsigned ends;           /* bit per enum hcf_liveness */
	struct hcf_cond when;    /* only for these inputs */
	/* outside: only when a range of guest addresses reaches past guest
	 * memory. It starts at the pointer input in oreg (owidth bits) or,
	 * with from_field, at the address the field start_off bytes into the
	 * struct it points to holds; it is size bytes long or, with
	 * len_field, as long as the field at len_off says (a buffer's length) */
	bool outside;
	uint8_t oreg, owidth;
	bool from_field, len_field;
	uint8_t start_size, len_size; /* the fields' sizes in bytes */
	uint32_t start_off, len_off;
	uint64_t size;
	/* must: the call has to end the guest so whenever the item holds
	 * (a VMM that returns instead is a FAIL); else it only may */
	bool must;
	char *why;               /* the spec's reason (its source), or NULL */
	char *what;              /* "arg.data + arg.len outside guest memory" ... for
	                            messages, built by the loader */
};

/* Does loss item l hold for a call with these registers (when and
 * outside, fields read through mr, which may be NULL)? */
enum hcf_tri hcf_loss_eval(const struct hcf_loss *l, const uint64_t regs[HCF_NGPR],
			   const struct hcf_mem_reader *mr);

/* ---- known anomalies ---------------------------------------------------- */

/* What a known anomaly looks like in a result. */
enum hcf_anomaly_kind {
	HCF_ANOM_REG,            /* a register after the call holds a value of `values` */
	HCF_ANOM_EXCEPTION,      /* the call raised one of `vectors` */
	HCF_ANOM_OUTCOME,        /* the call ended the guest this way (bit per enum hcf_liveness) */
	HCF_ANOM_MEMORY,         /* the hypervisor wrote bytes within a window an input names */
	HCF_ANOM_FIELD,          /* a struct field after the call holds a value of `values` */
	HCF_ANOM_COUNT
};

/*
 * A deviation from the contract the hypervisor is known to make: an id, what
 * it is, the evidence, a program that shows it, and a precise match. An issue
 * that matches is XFAIL with the id; the program not showing it any more is
 * XPASS. The contract itself stays what the hypervisor should do.
 */
struct hcf_anomaly {
	char *id;
	char *summary;
	char *evidence;
	char *reproduce;         /* program text (docs/program-format.md) */
	int *ops;                /* op indices it concerns; -1: undeclared numbers */
	size_t nops;
	uint32_t checks;         /* bit per oracle (hcf_anomaly_check_bit); 0: every oracle */
	struct hcf_cond when;    /* on the inputs of the call it concerns */
	/* after: only in programs where an earlier call ran op after_op (-1:
	 * no such requirement) with inputs meeting after_when: the deviation
	 * follows a state that call set up (a GDT the program loaded ...) */
	int after_op;
	struct hcf_cond after_when;
	enum hcf_anomaly_kind kind;
	uint8_t reg;             /* REG */
	struct hcf_vset values;  /* REG, FIELD */
	char *field;             /* FIELD: "struct.field", as issues name the place */
	int instead_of;          /* REG: the exception it replaces (-1 none): the model's
	                            "expected #GP, but the call returned" is part of it */
	uint32_t vectors;        /* EXCEPTION */
	unsigned outcomes;       /* OUTCOME: bit per enum hcf_liveness kind */
	bool has_rip;            /* OUTCOME: only where the guest's rip, when it was lost, */
	struct hcf_pred rip;     /*   passes this test (rip: in the spec) */
	uint8_t mem_reg;         /* MEMORY: the input holding the address */
	uint64_t mem_align;      /* MEMORY: the window starts at the address aligned down */
	uint32_t mem_size;       /* MEMORY: and is this long */
	/* targets: the targets (by name) the deviation was measured on, for one
	 * that belongs to how a hypervisor is run there rather than to the ABI;
	 * none: every target */
	char **targets;
	size_t ntargets;
	struct hcf_srcpos pos;
};

/* Does anomaly a apply to the target named target (NULL: any)? */
bool hcf_anomaly_on_target(const struct hcf_anomaly *a, const char *target);

/* The oracle names an anomaly's checks: may list (bit i is names[i]). */
extern const char *const hcf_anomaly_check_names[];
uint32_t hcf_anomaly_check_bit(const char *oracle);

/* ---- what the hypervisor must offer ------------------------------------- */

/*
 * A requirement: a bit the hypervisor's CPUID leaves (hv_base + leaf) show
 * when the ABI is there, as Xen's FastABI needs XEN_HVM_CPUID_FASTABI. A
 * target that reports those leaves and misses one makes the whole ABI not
 * applicable there: no call is made, every test is SKIP with the reason
 * (harness/exec/requires.c).
 */
struct hcf_requirement {
	char *feature;           /* its name: "XEN_HVM_CPUID_FASTABI" */
	char *doc;               /* where it is documented, one line, or NULL */
	char signature[13];      /* the hypervisor's CPUID signature it applies to
	                            ("XenVMMXenVMM"); "": any hypervisor */
	uint8_t leaf;            /* 1..HCF_HV_LEAVES: leaf hv_base + leaf */
	uint8_t reg;             /* 0 eax, 1 ebx, 2 ecx, 3 edx */
	uint32_t mask, value;    /* met when (reg & mask) == value */
	struct hcf_srcpos pos;
};

/* "eax" .. "edx" for a requirement's reg. */
const char *hcf_requirement_reg_name(unsigned reg);

/* ---- arguments and ops ------------------------------------------------ */

enum hcf_nondet {
	HCF_NONDET_NONE = 0,
	HCF_NONDET_ANY,        /* any value; not compared with the model */
	HCF_NONDET_MONOTONIC,  /* never smaller than the previous value of this output */
	HCF_NONDET_CLOCK       /* the host's CLOCK_REALTIME in nanoseconds when the call
	                          ran, within a slack (struct fields: clock_slack_ms) */
};

/* An argument is the address of struct `struct_idx` when `when` holds. */
struct hcf_arg_pointer {
	int struct_idx;
	struct hcf_cond when;
};

struct hcf_arg {
	char *name;
	uint8_t reg;             /* enum hcf_gpr */
	uint8_t width;           /* bits: 8, 16, 32 or 64 */
	enum hcf_dir dir;
	int struct_idx;          /* >= 0: the register holds a pointer to this struct */
	/* count: the pointer names an array, as many structs one after the
	 * other as the input args[count_arg] holds (Xen's multicall list and
	 * nr_calls); -1: one struct. hcf_arg_elements reads it. */
	int count_arg;
	/* pointers (pointer_when is the one-item form): the register holds a
	 * pointer to a struct only while the op's inputs meet a condition, a
	 * different struct for each, as an MSR write's value is the address of
	 * the structure that MSR names for some indexes only. Generators leave
	 * such an argument a plain number; the oracles that ask where a call
	 * told the hypervisor to write use the first item whose condition holds. */
	struct hcf_arg_pointer *pointers;
	size_t npointers;
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
	bool destructive;            /* may reconfigure the guest: rebuilt after it */
	char *destructive_why;
	/* How long the op may run before it is a hang, when longer than the
	 * run's watchdog (0: the run's): a call whose work grows with an input,
	 * as Xen's console_io write prints count bytes at the serial's pace. */
	uint32_t watchdog_ms;
	/* The call may block the vCPU until an event arrives (Xen's
	 * SCHEDOP_block): why, or NULL. A target that can arms a one-shot
	 * wake-up event before it, so that a hypervisor that keeps its
	 * contract brings the call back; one that does not is a HANG. */
	char *blocks;
	struct hcf_loss *losses;     /* how it may end the guest; none: it may not */
	size_t nlosses;
	/* Hands the guest over to code the program's inputs name (an event
	 * return to a context it describes), for inputs where hands_over_when
	 * holds: from then on the guest runs the program's bytes, not the
	 * agent, so every way the guest itself can end is declared (see
	 * hcf_op_hands_over) and the memory it changed is its own. */
	char *hands_over;            /* how, as the spec says it; NULL: it does not */
	struct hcf_cond hands_over_when;
	uint8_t hands_over_rip;      /* the input register holding the rip it resumes at, or
	                                HCF_REG_NONE when the spec does not say */
	struct hcf_srcpos pos;
};

/* What a call the spec does not declare must do (the `undeclared:` key). */
struct hcf_undeclared {
	struct hcf_vset returns;     /* the values it may return; any: not said */
	uint32_t exceptions;         /* bit v: vector v allowed (the ABI-wide ones included) */
};

struct hcf_call {
	char *name;
	uint64_t nr;
	size_t first_op, nops;       /* its ops in abi->ops */
	bool has_subops;
	/* A call with sub-operations may say what its unknown ones do, where
	 * its handler checks an argument before the command (Xen's vcpu_op:
	 * the vCPU first); NULL: the ABI's. hcf_spec_undeclared picks. */
	struct hcf_undeclared *undeclared;
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
	/* FNV-1a of the bytes it was loaded from (every file of a directory, in
	 * load order): what a saved baseline compares to know it is the same spec */
	uint64_t digest;
	enum hcf_dialect dialect;
	unsigned spec_version;

	/* The transport calls are made with: transports[0] unless a command
	 * chose another the spec lists (hcf_spec_use_transport). */
	struct hcf_transport transport;
	struct hcf_transport transports[HCF_MAX_TRANSPORTS];
	size_t ntransports;          /* 1, or the length of the spec's transport list */
	uint8_t nr_reg;              /* register carrying the call number */
	uint8_t nr_width;            /* bits of the call number space */
	uint64_t nr_or_mask;         /* OR-ed into the number register ('A'<<24, 0x40000000) */
	uint8_t subop_reg;           /* HCF_REG_NONE if the ABI has no sub-operations */
	uint8_t subop_width;         /* bits of the sub-operation index (0 without subop_reg) */
	/* Registers every call loads with a fixed value besides the number (the
	 * VMware backdoor's eax = 0x564D5868): a call whose magic register holds
	 * anything else in the register's width issues no declared op. */
	struct hcf_magic {
		uint8_t reg, width;
		uint64_t value;
	} magic[4];
	uint8_t nmagic;
	/* Outputs named by a 32-bit register are written as 32-bit registers, so
	 * their upper halves must be zero after the call (x86's rule, which a
	 * hypervisor writing eax.. through its register file must keep). */
	bool outputs_zero_extend;
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
	struct hcf_undeclared undeclared;
	uint8_t ret_reg;             /* ABI default return register */
	uint8_t ret_width;
	enum hcf_err_conv err;       /* ABI default convention */
	/* How an undeclared call number may (or must) end the guest: a VMM
	 * that refuses it by exiting (undeclared: ends:) */
	struct hcf_loss *undeclared_losses;
	size_t undeclared_nlosses;
	/* undeclared: destructive: a number the spec does not declare may
	 * reconfigure the guest (hcf_prog_has_destructive), as every number
	 * may for `hcfuzz learn`, which knows none yet */
	bool undeclared_destructive;

	struct hcf_anomaly *anomalies; /* known deviations from the contract */
	size_t nanomalies;

	char *model;                 /* reference model name (oracles/models), or NULL */
	struct hcf_requirement *requires; /* what the hypervisor must offer (all of them) */
	size_t nrequires;
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

/* One file of a spec, in memory. */
struct hcf_spec_text {
	const char *name;  /* for diagnostics */
	const char *text;  /* NULL: a file that could not be read */
	size_t len;
};

/* Xen FastABI operation files already in memory, merged into one ABI named
 * name, exactly as hcf_spec_load merges a directory of them (in the order
 * given). */
int hcf_spec_load_fastabi_texts(const char *name, const struct hcf_spec_text *files, size_t n,
				struct hcf_abi **out, struct hcf_diags *diags);

void hcf_spec_free(struct hcf_abi *abi);
/* Make calls with the transport of the spec's list named `name` (its kind's
 * spelling: "syscall", "hypercall_page", "int"...). 0, or -1 with why. */
int hcf_spec_use_transport(struct hcf_abi *abi, const char *name, char *err, size_t errlen);

/* Lookup. find_op returns the op for a number (and sub-operation, ignored for
 * calls without sub-operations), or NULL when the number is undeclared. */
const struct hcf_op *hcf_spec_find_op(const struct hcf_abi *abi, uint64_t nr, uint64_t subop);
const struct hcf_op *hcf_spec_op_by_name(const struct hcf_abi *abi, const char *name);
const struct hcf_const *hcf_spec_const(const struct hcf_abi *abi, const char *name);
const struct hcf_struct *hcf_spec_struct(const struct hcf_abi *abi, const char *name);
/* The contract of an undeclared call with number nr (as the hypervisor reads
 * it): an unknown sub-operation of a call that says what those do is judged
 * by the call's, every other undeclared call by the ABI's. */
const struct hcf_undeclared *hcf_spec_undeclared(const struct hcf_abi *abi, uint64_t nr);
/* How many structs pointer argument a of op names for these register values:
 * its count input's value (read at that input's width), 1 without one. */
uint64_t hcf_arg_elements(const struct hcf_op *op, const struct hcf_arg *a,
			  const uint64_t regs[HCF_NGPR]);

/* A name for a value, from the constants table: "-KVM_ENOSYS" for -1000 when
 * the op's convention is negative errno. Returns NULL if none fits. */
const char *hcf_spec_value_name(const struct hcf_abi *abi, const struct hcf_op *op, int64_t v,
				char *buf, size_t len);

/* May op end the guest this way (a liveness kind, enum hcf_liveness) with
 * these inputs? Only the kinds hcf_liveness_declarable allows can ever be
 * declared; a call that hands the guest over declares them all. An item
 * that tests guest memory the registers do not show counts as holding
 * (the oracles read it: hcf_oracle_may_end). */
bool hcf_op_may_end(const struct hcf_op *op, unsigned liveness_kind, const uint64_t in[HCF_NGPR]);
/* The loss items of a call: its op's, or for an undeclared number (op
 * NULL) the ABI's undeclared ones. */
const struct hcf_loss *hcf_call_losses(const struct hcf_abi *abi, const struct hcf_op *op,
				       size_t *n);
/* Does op hand the guest over to the program's code with these inputs? */
bool hcf_op_hands_over(const struct hcf_op *op, const uint64_t in[HCF_NGPR]);

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
