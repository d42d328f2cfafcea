/*
 * liveness.h: how a guest can stop: the one list the spec (the ways a call may
 * end the guest, known anomalies), the targets (why a guest was lost) and the
 * oracles (what each way is worth) share.
 */
#ifndef HCF_LIVENESS_H
#define HCF_LIVENESS_H

#include <stdbool.h>

enum hcf_liveness {
	HCF_LIVE_OK = 0,
	HCF_LIVE_HANG,            /* no progress within the watchdog */
	HCF_LIVE_SHUTDOWN,        /* triple fault / unexpected shutdown */
	HCF_LIVE_INTERNAL_ERROR,  /* KVM internal error (emulation failure ...) */
	HCF_LIVE_ENTRY_FAILED,    /* KVM could not enter the guest */
	HCF_LIVE_AGENT_PANIC,     /* the agent took an exception outside a call */
	HCF_LIVE_PROTOCOL,        /* the mailbox held garbage (bad seq, counts out of range) */
	HCF_LIVE_UNEXPECTED_EXIT, /* an exit the VMM does not expect */
	HCF_LIVE_HARNESS,         /* the harness or host failed (ioctl error, no memory) */
	HCF_LIVE_RUNAWAY,         /* no progress of the agent, but the vCPU kept executing
	                             outside the agent's code: the guest runs code of its own */
	HCF_LIVE_VMM_GONE,        /* the hypervisor's own process ended (an external VMM such
	                             as QEMU crashed or exited): its status and last words */
	HCF_LIVE_HALT,            /* the guest halted itself through the ABI (Solo5's
	                             HVT_HYPERCALL_HALT): the VMM exited with its status */
	HCF_LIVE_REFUSED,         /* the VMM refused a call and exited on purpose (a Solo5
	                             tender's "Invalid guest access"): its message */
	HCF_LIVE_COUNT
};

/* "ok", "hang", "shutdown", "kvm-internal-error" ... "?" out of range. */
const char *hcf_liveness_name(enum hcf_liveness l);
/* The kind a name gives, or -1. */
int hcf_liveness_parse(const char *name);

/* Ways the architecture or the ABI can explain a guest ending, so a spec may
 * declare that a call ends it so: a shutdown, an exception the agent cannot
 * survive, a guest that runs away into code of its own (still executing, but
 * not the agent), the guest's own halt, and a VMM that refuses a call by
 * exiting (an ABI whose contract is "the tender kills the guest"). The others
 * (a hang with the vCPU frozen or inside the agent, an internal error, a
 * failed entry, an unexpected exit, garbage, a harness failure, a VMM that
 * crashed or died otherwise) no spec can excuse. */
static inline bool hcf_liveness_declarable(enum hcf_liveness l)
{
	return l == HCF_LIVE_SHUTDOWN || l == HCF_LIVE_AGENT_PANIC || l == HCF_LIVE_RUNAWAY ||
	       l == HCF_LIVE_HALT || l == HCF_LIVE_REFUSED;
}

#endif /* HCF_LIVENESS_H */
