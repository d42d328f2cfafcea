/*
 * model_xen.h: what the two Xen models share (model_xen_core.c): the facts of
 * the build the target booted, which hypercall numbers it has for the
 * agent's kind of guest, and the state of the agent's event channels.
 *
 * The classic model (model_xen.c) finds a call's inputs and results in the
 * structs its pointer argument points to; the FastABI model
 * (model_xen_fastabi.c) finds the same ones in registers. Both hand them to
 * the functions here in one neutral form, so that an event channel behaves
 * the same whichever encoding opened or closed it, and the two can be run
 * side by side (tests/unit/test_model_xen.c).
 *
 * Sources are Xen 4.17 (stable-4.17, 4.17.7, what Debian's
 * xen-hypervisor-4.17-amd64 4.17.7+13 is built from; 4.17.0 is the same in
 * every function cited): xen/common/event_channel.c, xen/common/kernel.c,
 * xen/include/hypercall-defs.c, xen/arch/x86/traps.c
 * (cpuid_hypervisor_leaves) and the public headers.
 */
#ifndef HCF_MODEL_XEN_H
#define HCF_MODEL_XEN_H

#include <stdbool.h>
#include <stdint.h>

#include "oracles/models/model.h"

/* public/xen.h */
#define XEN_DOMID_SELF 0x7ff0u
/* public/event_channel.h */
#define XEN_EVTCHNSTAT_CLOSED 0u
#define XEN_EVTCHNSTAT_UNBOUND 1u
/* public/arch-x86/cpuid.h, leaf base+4 (HVM features), EAX */
#define XEN_HVM_CPUID_VCPU_ID_PRESENT (1u << 3)
#define XEN_HVM_CPUID_DOMID_PRESENT (1u << 4)
#define XEN_HVM_CPUID_FASTABI (1u << 7) /* the FastABI RFC's addition */
/* Ports with a 2-level ABI, the one every domain starts with:
 * BITS_PER_EVTCHN_WORD squared, 64 * 64 for a 64-bit guest (max_evtchns) */
#define XEN_EV_2L_PORTS 4096u
/* The FIFO ABI's EVTCHN_FIFO_NR_CHANNELS: no port is ever valid above */
#define XEN_EV_FIFO_PORTS (1u << 17)
/* Ports per bucket, EVTCHNS_PER_BUCKET: a page of struct evtchn, which is
 * aligned(64) and no bigger than 64 bytes on x86-64 */
#define XEN_EV_BUCKET 64u

enum xen_guest { XEN_GUEST_UNKNOWN, XEN_GUEST_PV, XEN_GUEST_HVM };

/* What the target says about the Xen it booted (struct hcf_target_info's
 * CPUID leaves base+1..base+5, as cpuid_hypervisor_leaves fills them). */
struct xen_build {
	bool known;              /* the hypervisor's leaves are Xen's */
	uint32_t version;        /* leaf base+1 EAX: major << 16 | minor, XENVER_version's answer */
	enum xen_guest guest;    /* HVM (PVH): leaf base+4 EAX has the vCPU-id flag;
	                            PV: leaf base+5 EBX holds the machine address width */
	bool domid_known;        /* leaf base+4 ECX, with XEN_HVM_CPUID_DOMID_PRESENT */
	uint16_t domid;
	uint32_t hvm_features;   /* leaf base+4 EAX */
	uint32_t wake_port;      /* the agent's own channel from boot on (its wake-up
	                            event, bound to VIRQ_TIMER), 0: none */
};
void xen_build_from(struct xen_build *b, const struct hcf_target_info *ti);

/* Xen's errno values (public/errno.h), or the spec's constants of those
 * names. */
struct xen_errnos {
	int64_t enosys, einval, eacces, efault, enospc;
};
void xen_errnos_from(struct xen_errnos *e, const struct hcf_abi *abi);

/* The hypercall number Xen sees: all of rax for an instruction the agent
 * issues itself (vmcall, vmmcall, syscall: pv_hypercall and hvm_hypercall
 * read the whole register), the entry's number for a hypercall page, whose
 * stub loads it with a 32-bit move. */
uint64_t xen_issued_nr(const struct hcf_abi *abi, const uint64_t before[HCF_NGPR]);

/* Does the build have no handler for hypercall number nr for this kind of
 * guest (hypercall-defs.c's table, "-" in its column, or no row)? Only
 * what holds whatever the build's configuration. */
bool xen_number_absent(const struct xen_build *b, uint64_t nr, const char **why);

/* ---- event channels of the agent's domain ----------------------------- */

struct xen_port {
	uint8_t st;              /* enum xen_pstate (model_xen_core.c) */
	bool clean;              /* never left in a FIFO queue: allocatable once free */
	bool remote_known;
	uint16_t remote;         /* UNBOUND: the domain it waits for */
};

struct xen_evtchns {
	/* Every port the table does not know is as after boot (free below the
	 * first bucket's end, past it not valid yet): true from a rebuilt
	 * guest on, until the model forgets. */
	bool from_boot;
	uint32_t valid_lo;       /* ports below are valid */
	uint32_t valid_hi;       /* ports at or above are not */
	/* Every port in [1, busy_below) was in use at the last allocation the
	 * model saw (Xen hands out the lowest free port), except where the
	 * table has seen one change since. */
	uint32_t busy_below;
	struct xen_port port[XEN_EV_2L_PORTS];
	char why[160];           /* the last prediction's reason when it names a port */
};

void xen_ev_boot(struct xen_evtchns *ev, const struct xen_build *b); /* a rebuilt guest */
void xen_ev_forget(struct xen_evtchns *ev);  /* only what holds in any state */

/* An event-channel operation in neutral form: its inputs (in_known false
 * when the model cannot read them) and, predicted or observed, its answer. */
struct xen_evop {
	bool in_known;
	uint16_t dom, remote;    /* alloc_unbound: dom, remote_dom; status: dom */
	uint32_t port;           /* close, status */
	bool rc_known;           /* the call returned (observed) or its value is predicted */
	int64_t rc;
	bool port_known;         /* alloc_unbound's port */
	uint32_t out_port;
	bool status_known, vcpu_known, remote_known; /* status's answer */
	uint32_t status, vcpu;
	uint16_t out_remote;     /* u.unbound.dom */
	const char *why;
};

void xen_ev_predict_alloc(struct xen_evtchns *ev, const struct xen_build *b,
			  const struct xen_errnos *en, struct xen_evop *op);
void xen_ev_predict_close(struct xen_evtchns *ev, const struct xen_build *b,
			  const struct xen_errnos *en, struct xen_evop *op);
void xen_ev_predict_status(struct xen_evtchns *ev, const struct xen_build *b,
			   const struct xen_errnos *en, struct xen_evop *op);
/* What Xen answered; rc_known false when the call did not return. */
void xen_ev_saw_alloc(struct xen_evtchns *ev, const struct xen_build *b,
		      const struct xen_errnos *en, const struct xen_evop *op);
void xen_ev_saw_close(struct xen_evtchns *ev, const struct xen_build *b,
		      const struct xen_errnos *en, const struct xen_evop *op);
void xen_ev_saw_status(struct xen_evtchns *ev, const struct xen_build *b,
		       const struct xen_errnos *en, const struct xen_evop *op);
/* Any other call, by its classic hypercall number (and EVTCHNOP_* command
 * for event_channel_op): the model forgets what it may have changed. */
void xen_ev_saw_other(struct xen_evtchns *ev, const struct xen_errnos *en, uint64_t nr,
		      bool returned, int64_t rc);

/* Classic hypercall numbers the models name (public/xen.h). */
#define XEN_HC_MULTICALL 13u
#define XEN_HC_EVENT_CHANNEL_OP_COMPAT 16u
#define XEN_HC_XEN_VERSION 17u
#define XEN_HC_SCHED_OP 29u
#define XEN_HC_EVENT_CHANNEL_OP 32u
#define XEN_HC_HVM_OP 34u
#define XEN_HC_DOMCTL 36u
#define XEN_HC_DM_OP 41u

#endif /* HCF_MODEL_XEN_H */
