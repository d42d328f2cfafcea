/*
 * repro_rt.h: what a reproducer's runtime (rt_run.c) and its generated part
 * share: the guest layout, a call's result slot, the guest's variables, and
 * what each side provides the other.
 *
 * Every reproducer carries this file verbatim, after hcf_proto.h,
 * util/x86.h and vmm/kvm_machine.h, and hcfuzz's generator includes it too,
 * so the offsets the generated guest code writes at are the ones the runtime
 * reads.
 */
#ifndef HCF_REPRO_RT_H
#define HCF_REPRO_RT_H

#include <stddef.h>
#include <stdint.h>

#include "hcf_proto.h"

/* ---- guest memory: hcfuzz's VM (hcf_proto.h), named for this program ---- */

#define MEM_SIZE    HCF_GUEST_MEM_SIZE  /* RAM at guest-physical 0, one memory slot */
#define GDT_GPA     HCF_GPA_GDT         /* flat GDT and TSS (vmm/kvm_machine.h) */
#define IDT_GPA     HCF_GPA_IDT         /* 256 interrupt gates to the exception stubs */
#define VIF_GPA     HCF_GPA_VIF         /* PVM's virtual-interrupt-flag page */
#define HCPAGE_GPA  HCF_GPA_HCPAGE      /* hypercall page (hypercall_page transport) */
#define STACK_TOP   HCF_GPA_STACK_HI
#define CODE_GPA    HCF_GPA_AGENT       /* guest_code[], where hcfuzz loads its agent */
#define CODE_MAX    HCF_AGENT_MAX
#define CTL_GPA     HCF_GPA_MBOX        /* the guest's variables (struct ctl) */
#define CONT_GPA    (HCF_GPA_MBOX + 0x1000u)  /* per slot: where the exception path goes on */
#define RES_GPA     (HCF_GPA_MBOX + 0x10000u) /* one result per call, then the setup slots */
#define VEC_GPA     (HCF_GPA_MBOX + 0x90000u) /* one struct hcf_wire_vec per call */
#define MAX_SLOTS   2304u               /* room for results: calls and setup slots */
#define ARENA_GPA   HCF_GPA_ARENA       /* the program's buffers */
#define GUARD       HCF_BUF_GUARD       /* guard bytes on each side of a buffer */
#define GUARD_BYTE  HCF_GUARD_BYTE

#define DONE_PORT   HCF_PORT_DOORBELL   /* the guest writes EV_DONE or EV_PANIC here */
#define EV_DONE     HCF_EV_DONE
#define EV_PANIC    HCF_EV_PANIC
#define SEQ_TAG     0x51e90000u         /* slot i is complete once its seq is SEQ_TAG ^ i */
#define NSETUP      3u                  /* setup slots after the calls: PVM probe, VIF page,
                                           hypercall page */

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15, NGPR };

/* How a call ended, in its slot's outcome (hcf_proto.h's wire values). */
enum { OUTCOME_RETURNED = HCF_WO_RETURNED, OUTCOME_EXCEPTION = HCF_WO_EXCEPTION };

/*
 * A call's result is the agent's: struct hcf_wire_result (hcf_proto.h),
 * written by the guest right after the call (or by its exception handler),
 * seq last, so that a complete slot is a whole one; XMM0-15, when the check
 * needs them, in a struct hcf_wire_vec per call at VEC_GPA.
 */
_Static_assert(RES_GPA + sizeof(struct hcf_wire_result) * MAX_SLOTS <= VEC_GPA &&
		       VEC_GPA + sizeof(struct hcf_wire_vec) * MAX_SLOTS <= HCF_GPA_ARENA,
	       "results and vector state overlap");

/* The guest's variables at CTL_GPA. */
struct ctl {
	uint64_t cur;                /* slot of the call in flight */
	uint64_t cur_slot;           /* its address */
	uint64_t in_call;            /* 1 from loading the registers until they are stored */
	uint64_t scratch;
	uint64_t hc_target;          /* hypercall-page entry of the call in flight */
	uint64_t panic_vector, panic_error_code, panic_rip; /* an exception outside a call */
	uint8_t reserved[64];
	uint8_t xmm_sentinel[16][16];
};
_Static_assert(offsetof(struct ctl, xmm_sentinel) == 128, "the sentinels start a line");

/* ---- a run, as the runtime saw it ----------------------------------------- */

enum end {
	END_DONE,            /* every call ran */
	END_HANG,            /* no call completed within the watchdog */
	END_SHUTDOWN,        /* triple fault */
	END_INTERNAL_ERROR,  /* KVM could not go on (emulation failure ...) */
	END_ENTRY_FAILED,    /* KVM could not enter the guest */
	END_PANIC,           /* an exception outside a call: the guest code itself broke */
	END_UNEXPECTED,      /* an exit this program does not expect */
	END_GO_ON            /* not an end: enter the guest again */
};

struct run_result {
	enum end end;
	char detail[200];
	size_t inflight;             /* first call without a complete result (rt_ncalls: none) */
	const struct hcf_wire_result *slots; /* results, indexed by call (then the setup slots) */
	const struct hcf_wire_vec *vecs;     /* vector state, indexed by call */
	const struct ctl *ctl;
	const uint8_t *mem;          /* guest RAM after the run */
	const uint8_t *mem_before;   /* guest RAM before it (only for the stray-page check) */
};

/* Verdicts, which are also the exit status. */
enum { NOT_REPRODUCED, REPRODUCED, SETUP_ERROR, INCONCLUSIVE };

/* ---- what the generated part provides ------------------------------------- */

extern const size_t rt_ncalls;       /* calls replayed */
extern const size_t rt_check_call;   /* the call the finding is about */
extern const size_t rt_entry_off;    /* where the guest starts in guest_code[] */
extern const size_t rt_stubs_off;    /* the 256 exception stubs, 16 bytes each */
extern const unsigned rt_watchdog_ms; /* a run that completes no call for this long hangs */
extern const uint8_t guest_code[];
extern const size_t guest_code_size;
extern const char *const call_name[];
extern const uint64_t loaded[][NGPR]; /* the register image each call loads */
extern const uint32_t cont_off[];    /* per slot: offset in guest_code[] to go on at */

/* vmcall -> vmmcall where the CPU is not Intel (the native transport). */
void patch_native(uint8_t *code, const char *vendor);
/* The program's buffers and their guards into guest RAM. */
void write_buffers(uint8_t *mem);
/* A copy of guest RAM before the run, when the check needs one (else NULL). */
const uint8_t *before_run(const uint8_t *mem);
/* The finding's check: a verdict, with what it saw in msg. */
int check(const struct run_result *rr, char *msg, size_t len);

/* ---- what the runtime provides the check ------------------------------------ */

/* "repro: setup error: ..." on stderr, and exit with SETUP_ERROR. */
void setup_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* "#GP(0x0)", "#UD", "vector 200" */
const char *vector_str(uint64_t vector, uint64_t error_code, char *buf, size_t len);
/* "call 2 (invlpg)" */
const char *call_str(size_t i, char *buf, size_t len);
/* Where and how the run stopped: "the guest hung at call 1 (nr=0x2000) ..." */
const char *stop_str(const struct run_result *rr, char *buf, size_t len);

#endif /* HCF_REPRO_RT_H */
