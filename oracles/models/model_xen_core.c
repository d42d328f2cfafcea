/*
 * model_xen_core.c: the Xen facts both Xen models use (model_xen.h): the
 * booted build, the hypercall numbers a kind of guest has, and the agent's
 * event channels.
 *
 * Event channels (xen/common/event_channel.c):
 * - evtchn_init reserves port 0 (ECS_RESERVED) and allocates the first
 *   bucket: ports 0..63 are valid from the start. Port 0 stays reserved for
 *   the domain's life: get_free_port skips it, evtchn_close refuses it,
 *   evtchn_reset starts at port 1.
 * - evtchn_alloc_unbound on the caller's own domain (DOMID_SELF, or its own
 *   id) takes the lowest free port (get_free_port through
 *   evtchn_allocate_port, which allocates buckets up to it: valid ports
 *   only grow), marks it ECS_UNBOUND waiting for remote_dom (the caller's id
 *   for DOMID_SELF; nothing checks that the remote domain exists) and
 *   returns 0. Beyond the ABI's ports (4096 with the 2-level ABI every domain
 *   starts with) it is -ENOSPC. Under the XSM default policy a domain may do
 *   all this on itself.
 * - evtchn_close: a port past the valid buckets, a free or reserved one, or
 *   one Xen itself holds, is -EINVAL; an unbound port is freed (its notify
 *   vCPU back to 0) and the answer is 0.
 * - evtchn_status: a port past the valid buckets is -EINVAL; one Xen holds
 *   -EACCES; a free or reserved port answers EVTCHNSTAT_closed, an unbound
 *   one EVTCHNSTAT_unbound with the domain it waits for; vcpu is the notify
 *   vCPU (0 for a port no EVTCHNOP_bind_vcpu moved).
 * Errors before the state changes leave it as it was; the exception is a
 *   copy back to the guest that fails after an allocation (-EFAULT, "Cleaning
 *   up here would be a mess!"), after which the model forgets.
 *
 * The model knows a port's state only from a rebuilt guest on, or from what
 * it saw happen to it. It never guesses: after it forgets (the harness
 * started over without rebuilding the guest, or a call it does not model may
 * have changed the channels) it keeps only what holds in every state (port
 * 0, the first bucket, no port valid past the FIFO ABI's), and learns again
 * from what calls answer: an allocation that returned port P says every
 * port below P was in use, a close that returned 0 frees the port, a status
 * says what the port is.
 */
#include <stdio.h>
#include <string.h>

#include "oracles/models/model_xen.h"
#include "util/x86.h"

/* public/errno.h */
#define XEN_ENOSYS 38
#define XEN_EINVAL 22
#define XEN_EACCES 13
#define XEN_EFAULT 14
#define XEN_ENOSPC 28

/* The leaves of struct hcf_target_info.hv_cpuid: base+1 .. base+5. */
#define LEAF_VERSION 0
#define LEAF_HVM 3
#define LEAF_PV 4

static const char xen_signature[] = "XenVMMXenVMM";

void xen_build_from(struct xen_build *b, const struct hcf_target_info *ti)
{
	memset(b, 0, sizeof(*b));
	/* the agent's own port, from a Xen target or a model target told it */
	b->wake_port = ti ? ti->xen_wake_port : 0;
	if (!ti || !ti->hv_cpuid_known || strncmp(ti->hv_signature, xen_signature, 12) != 0)
		return;
	b->known = true;
	b->version = ti->hv_cpuid[LEAF_VERSION][0];
	b->hvm_features = ti->hv_cpuid[LEAF_HVM][0];
	/* cpuid_hypervisor_leaves: leaf 4 is filled for HVM guests only, and
	 * always has the vCPU-id flag there; leaf 5 for PV guests only, with
	 * the machine address width in EBX. */
	if (b->hvm_features & XEN_HVM_CPUID_VCPU_ID_PRESENT)
		b->guest = XEN_GUEST_HVM;
	else if (ti->hv_cpuid[LEAF_PV][1] != 0)
		b->guest = XEN_GUEST_PV;
	if (b->guest == XEN_GUEST_HVM && (b->hvm_features & XEN_HVM_CPUID_DOMID_PRESENT)) {
		b->domid_known = true;
		b->domid = (uint16_t)ti->hv_cpuid[LEAF_HVM][2];
	}
}

static int64_t errno_of(const struct hcf_abi *abi, const char *name, int64_t xen)
{
	const struct hcf_const *k = abi ? hcf_spec_const(abi, name) : NULL;
	return k && k->value > 0 ? k->value : xen;
}

void xen_errnos_from(struct xen_errnos *e, const struct hcf_abi *abi)
{
	e->enosys = errno_of(abi, "ENOSYS", XEN_ENOSYS);
	e->einval = errno_of(abi, "EINVAL", XEN_EINVAL);
	e->eacces = errno_of(abi, "EACCES", XEN_EACCES);
	e->efault = errno_of(abi, "EFAULT", XEN_EFAULT);
	e->enospc = errno_of(abi, "ENOSPC", XEN_ENOSPC);
}

/* ---- hypercall numbers ---------------------------------------------------- */

/*
 * xen/include/hypercall-defs.c's table, the rows whose pv64 or hvm64 column
 * is "-" whatever the configuration (rows under #ifdef are left out: the
 * model does not know the build's .config). The generated dispatchers
 * (call_handlers_pv64, call_handlers_hvm64) compare the whole 64-bit number
 * and answer -ENOSYS for any other.
 */
#define NO_PV 1u
#define NO_HVM 2u
static const struct {
	uint8_t nr;
	uint8_t absent;
	const char *name;
} hc_rows[] = {
	{ 0, NO_HVM, "set_trap_table" },      { 1, NO_HVM, "mmu_update" },
	{ 2, NO_HVM, "set_gdt" },             { 3, NO_HVM, "stack_switch" },
	{ 4, NO_HVM, "set_callbacks" },       { 5, NO_HVM, "fpu_taskswitch" },
	{ 6, NO_HVM, "sched_op_compat" },     { 8, NO_HVM, "set_debugreg" },
	{ 9, NO_HVM, "get_debugreg" },        { 10, NO_HVM, "update_descriptor" },
	{ 11, NO_PV | NO_HVM, NULL },         { 14, NO_HVM, "update_va_mapping" },
	{ 16, NO_HVM, "event_channel_op_compat" },
	{ 19, NO_HVM, "physdev_op_compat" },  { 22, NO_HVM, "update_va_mapping_otherdomain" },
	{ 23, NO_HVM, "iret" },               { 25, NO_HVM, "set_segment_base" },
	{ 28, NO_HVM, "nmi_op" },             { 30, NO_HVM, "callback_op" },
	{ 31, NO_HVM, "xenoprof_op" },        { 37, NO_HVM, "kexec_op" },
	{ 38, NO_PV | NO_HVM, "tmem_op" },    { 43, NO_PV | NO_HVM, NULL },
	{ 44, NO_PV | NO_HVM, NULL },         { 45, NO_PV | NO_HVM, NULL },
	{ 46, NO_PV | NO_HVM, NULL },         { 47, NO_PV | NO_HVM, NULL },
	{ 48, NO_HVM, "mca" },
};
#define XEN_NR_HYPERCALLS 64u /* NR_hypercalls: arch_2 (50) and above have no row */

uint64_t xen_issued_nr(const struct hcf_abi *abi, const uint64_t before[HCF_NGPR])
{
	if (abi && abi->transport.kind == HCF_XPORT_HCPAGE)
		return before[abi->nr_reg] & ~abi->nr_or_mask & hcf_x86_width_mask(abi->nr_width);
	return before[HCF_RAX];
}

bool xen_number_absent(const struct xen_build *b, uint64_t nr, const char **why)
{
	if (nr >= 50) {
		*why = "hypercall-defs.c has no handler for this number: -ENOSYS";
		return true;
	}
	for (size_t i = 0; i < sizeof(hc_rows) / sizeof(hc_rows[0]); i++) {
		if (hc_rows[i].nr != nr)
			continue;
		unsigned absent = hc_rows[i].absent;
		if ((absent & NO_PV) && (absent & NO_HVM)) {
			*why = "hypercall-defs.c has no handler for this number: -ENOSYS";
			return true;
		}
		if (b->guest == XEN_GUEST_HVM && (absent & NO_HVM)) {
			*why = "hypercall-defs.c: not a hypercall of an HVM/PVH guest (hvm64 "
			       "column '-'): -ENOSYS";
			return true;
		}
		if (b->guest == XEN_GUEST_PV && (absent & NO_PV)) {
			*why = "hypercall-defs.c: not a hypercall of a PV guest: -ENOSYS";
			return true;
		}
		return false;
	}
	return false;
}

/* ---- event channels --------------------------------------------------------- */

enum xen_pstate {
	P_UNKNOWN = 0,
	P_FREE,          /* valid and ECS_FREE */
	P_UNBOUND,       /* ECS_UNBOUND, notify vCPU 0 */
	P_OPEN,          /* in use, how the model does not know */
	P_NOT_CLOSABLE,  /* close answered -EINVAL: free, reserved, not valid or Xen's */
	P_XEN,           /* status answered -EACCES: Xen holds it */
	P_RESERVED,      /* port 0 */
	P_INVALID        /* past the valid buckets */
};

static void set_port(struct xen_evtchns *ev, uint32_t port, enum xen_pstate st, bool clean);

static uint32_t round_bucket(uint32_t port)
{
	return (port / XEN_EV_BUCKET + 1) * XEN_EV_BUCKET;
}

void xen_ev_boot(struct xen_evtchns *ev, const struct xen_build *b)
{
	memset(ev, 0, sizeof(*ev));
	ev->from_boot = true;
	ev->valid_lo = ev->valid_hi = XEN_EV_BUCKET;
	ev->busy_below = 1;
	/* the agent's wake-up event, bound before any program: in use, and
	 * the model does not follow what a program does to it */
	if (b && b->wake_port)
		set_port(ev, b->wake_port, P_OPEN, false);
}

void xen_ev_forget(struct xen_evtchns *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->valid_lo = XEN_EV_BUCKET;   /* the first bucket, from evtchn_init on */
	ev->valid_hi = XEN_EV_FIFO_PORTS;
	ev->busy_below = 1;
}

static enum xen_pstate state_of(const struct xen_evtchns *ev, uint32_t port)
{
	if (port == 0)
		return P_RESERVED;
	if (port >= ev->valid_hi)
		return P_INVALID;
	if (port < XEN_EV_2L_PORTS && ev->port[port].st != P_UNKNOWN)
		return (enum xen_pstate)ev->port[port].st;
	if (ev->from_boot)
		return port < ev->valid_lo ? P_FREE : P_INVALID;
	if (port < ev->busy_below)
		return P_OPEN;
	return P_UNKNOWN;
}

/* A free port the model knows get_free_port may hand out. */
static bool clean_free(const struct xen_evtchns *ev, uint32_t port)
{
	if (port < XEN_EV_2L_PORTS && ev->port[port].st == P_FREE)
		return ev->port[port].clean;
	return state_of(ev, port) == P_FREE; /* untouched since boot */
}

enum self { SELF_NO, SELF_YES, SELF_MAYBE };

/* Is dom the caller's own domain (rcu_lock_domain_by_any_id)? */
static enum self is_self(const struct xen_build *b, uint16_t dom)
{
	if (dom == XEN_DOMID_SELF)
		return SELF_YES;
	if (!b->domid_known)
		return SELF_MAYBE;
	return dom == b->domid ? SELF_YES : SELF_NO;
}

static void set_port(struct xen_evtchns *ev, uint32_t port, enum xen_pstate st, bool clean)
{
	if (port == 0 || port >= XEN_EV_2L_PORTS)
		return;
	ev->port[port].st = (uint8_t)st;
	ev->port[port].clean = clean;
	ev->port[port].remote_known = false;
	ev->port[port].remote = 0;
}

static void valid_up_to(struct xen_evtchns *ev, uint32_t port)
{
	uint32_t r = round_bucket(port);
	if (ev->valid_lo < r)
		ev->valid_lo = r;
	if (ev->valid_hi < r)
		ev->valid_hi = r;
}

/* A state in which get_free_port passes the port by. */
static bool in_use(enum xen_pstate s)
{
	return s == P_RESERVED || s == P_UNBOUND || s == P_OPEN || s == P_XEN;
}

void xen_ev_predict_alloc(struct xen_evtchns *ev, const struct xen_build *b,
			  const struct xen_errnos *en, struct xen_evop *op)
{
	op->rc_known = op->port_known = false;
	if (!op->in_known || is_self(b, op->dom) != SELF_YES) {
		op->why = "evtchn_alloc_unbound: the model knows only the caller's own domain";
		return;
	}
	/* get_free_port: the lowest port evtchn_allocate_port takes, a free
	 * one or the first past the valid buckets (it adds buckets up to it) */
	for (uint32_t p = 1; p < XEN_EV_2L_PORTS; p++) {
		enum xen_pstate s = state_of(ev, p);
		if (in_use(s))
			continue;
		if (s == P_INVALID || (s == P_FREE && clean_free(ev, p))) {
			op->rc_known = op->port_known = true;
			op->rc = 0;
			op->out_port = p;
			op->why = s == P_INVALID
					  ? "evtchn_alloc_unbound: the lowest free port is past the "
					    "valid buckets; evtchn_allocate_port adds its bucket"
					  : "evtchn_alloc_unbound: the lowest free port (get_free_port; "
					    "port 0 is reserved by evtchn_init)";
			return;
		}
		op->why = "evtchn_alloc_unbound: which port is the lowest free one depends on "
			  "channels the model has not seen";
		return;
	}
	if (ev->from_boot) {
		op->rc_known = true;
		op->rc = -en->enospc;
		op->why = "evtchn_allocate_port: every port below max_evtchns (4096 with the "
			  "2-level ABI) is in use: -ENOSPC";
		return;
	}
	op->why = "evtchn_alloc_unbound: the ports past 4096 depend on the FIFO ABI";
}

void xen_ev_predict_close(struct xen_evtchns *ev, const struct xen_build *b,
			  const struct xen_errnos *en, struct xen_evop *op)
{
	(void)b;
	op->rc_known = false;
	if (!op->in_known) {
		op->why = "evtchn_close: the port is not readable";
		return;
	}
	switch (state_of(ev, op->port)) {
	case P_RESERVED:
		op->why = "evtchn_close: port 0 is ECS_RESERVED from evtchn_init on: -EINVAL";
		break;
	case P_INVALID:
		op->why = "evtchn_close: past the valid buckets (_evtchn_from_port is NULL): -EINVAL";
		break;
	case P_FREE:
		op->why = "evtchn_close: the port is ECS_FREE (closed, or never allocated): -EINVAL";
		break;
	case P_NOT_CLOSABLE:
		op->why = "evtchn_close: closing this port already answered -EINVAL, and no call "
			  "since changed it";
		break;
	case P_XEN:
		op->why = "evtchn_close: a guest cannot close a channel Xen holds: -EINVAL";
		break;
	case P_UNBOUND:
		op->rc_known = true;
		op->rc = 0;
		op->why = "evtchn_close: an ECS_UNBOUND port is freed (evtchn_free): 0";
		return;
	default:
		op->why = "evtchn_close: the model does not know this port's state";
		return;
	}
	op->rc_known = true;
	op->rc = -en->einval;
}

void xen_ev_predict_status(struct xen_evtchns *ev, const struct xen_build *b,
			   const struct xen_errnos *en, struct xen_evop *op)
{
	op->rc_known = op->status_known = op->vcpu_known = op->remote_known = false;
	if (!op->in_known || is_self(b, op->dom) != SELF_YES) {
		op->why = "evtchn_status: the model knows only the caller's own domain";
		return;
	}
	enum xen_pstate s = state_of(ev, op->port);
	switch (s) {
	case P_INVALID:
		op->rc_known = true;
		op->rc = -en->einval;
		op->why = "evtchn_status: past the valid buckets (_evtchn_from_port is NULL): "
			  "-EINVAL";
		return;
	case P_XEN:
		op->rc_known = true;
		op->rc = -en->eacces;
		op->why = "evtchn_status: a channel Xen holds: -EACCES";
		return;
	case P_RESERVED:
	case P_FREE:
		op->rc_known = op->status_known = op->vcpu_known = true;
		op->rc = 0;
		op->status = XEN_EVTCHNSTAT_CLOSED;
		op->vcpu = 0;
		op->why = s == P_RESERVED ? "evtchn_status: port 0 is ECS_RESERVED: EVTCHNSTAT_closed"
					  : "evtchn_status: an ECS_FREE port: EVTCHNSTAT_closed, "
					    "notify vCPU 0 (evtchn_free resets it)";
		return;
	case P_UNBOUND:
		op->rc_known = op->status_known = op->vcpu_known = true;
		op->rc = 0;
		op->status = XEN_EVTCHNSTAT_UNBOUND;
		op->vcpu = 0;
		if (op->port < XEN_EV_2L_PORTS && ev->port[op->port].remote_known) {
			op->remote_known = true;
			op->out_remote = ev->port[op->port].remote;
		}
		op->why = "evtchn_status: ECS_UNBOUND since the allocation the model saw: "
			  "EVTCHNSTAT_unbound, the remote domain it was given, notify vCPU 0";
		return;
	default:
		op->why = "evtchn_status: the model does not know this port's state";
		return;
	}
}

void xen_ev_saw_alloc(struct xen_evtchns *ev, const struct xen_build *b,
		      const struct xen_errnos *en, const struct xen_evop *op)
{
	if (!op->rc_known) {
		xen_ev_forget(ev);
		return;
	}
	if (op->rc != 0) {
		/* a failed copy back comes after the allocation */
		if (op->rc == -en->efault)
			xen_ev_forget(ev);
		return;
	}
	enum self self = op->in_known ? is_self(b, op->dom) : SELF_MAYBE;
	if (self == SELF_NO)
		return; /* another domain's channel */
	if (self == SELF_MAYBE || !op->port_known || op->out_port == 0 ||
	    op->out_port >= XEN_EV_2L_PORTS) {
		xen_ev_forget(ev);
		return;
	}
	uint32_t p = op->out_port;
	/* What the model knew must agree: its prediction, or else that port
	 * was not known in use and no port below it known allocatable. */
	struct xen_evop want = *op;
	xen_ev_predict_alloc(ev, b, en, &want);
	bool agrees;
	if (want.port_known)
		agrees = want.rc == 0 && want.out_port == p;
	else {
		agrees = !in_use(state_of(ev, p));
		for (uint32_t q = 1; agrees && q < p; q++)
			agrees = !clean_free(ev, q);
	}
	if (!agrees)
		xen_ev_forget(ev);
	set_port(ev, p, P_UNBOUND, true);
	uint16_t remote = op->remote;
	if (remote == XEN_DOMID_SELF && b->domid_known)
		remote = b->domid;
	if (remote != XEN_DOMID_SELF || b->domid_known) {
		ev->port[p].remote_known = true;
		ev->port[p].remote = remote;
	}
	if (!ev->from_boot && ev->busy_below < p)
		ev->busy_below = p;
	valid_up_to(ev, p);
}

void xen_ev_saw_close(struct xen_evtchns *ev, const struct xen_build *b,
		      const struct xen_errnos *en, const struct xen_evop *op)
{
	(void)b;
	if (!op->rc_known) {
		xen_ev_forget(ev);
		return;
	}
	if (!op->in_known) {
		if (op->rc == 0)
			xen_ev_forget(ev);
		return;
	}
	uint32_t p = op->port;
	enum xen_pstate s = state_of(ev, p);
	if (op->rc == 0) {
		if (p == 0 || p >= XEN_EV_2L_PORTS || s == P_INVALID || s == P_FREE ||
		    s == P_RESERVED || s == P_NOT_CLOSABLE || s == P_XEN) {
			/* the model had it wrong, or cannot follow the port */
			xen_ev_forget(ev);
			if (p == 0 || p >= XEN_EV_2L_PORTS)
				return;
		}
		bool clean = s == P_UNBOUND && ev->port[p].clean;
		set_port(ev, p, P_FREE, clean);
		valid_up_to(ev, p);
		return;
	}
	if (op->rc == -en->einval) {
		if (s == P_UNBOUND || s == P_OPEN) {
			xen_ev_forget(ev);
			s = state_of(ev, p);
		}
		if (s == P_UNKNOWN)
			set_port(ev, p, P_NOT_CLOSABLE, false);
		return;
	}
	if (op->rc != -en->efault && p < XEN_EV_2L_PORTS && p != 0)
		set_port(ev, p, P_UNKNOWN, false);
}

void xen_ev_saw_status(struct xen_evtchns *ev, const struct xen_build *b,
		       const struct xen_errnos *en, const struct xen_evop *op)
{
	if (!op->rc_known || !op->in_known || is_self(b, op->dom) != SELF_YES)
		return; /* status changes nothing; the model learns only about its own */
	uint32_t p = op->port;
	enum xen_pstate s = state_of(ev, p);
	if (op->rc == -en->einval) {
		uint32_t bound = p - p % XEN_EV_BUCKET;
		if (p < ev->valid_lo || (s != P_INVALID && s != P_UNKNOWN)) {
			xen_ev_forget(ev);
			if (p < ev->valid_lo)
				return;
		}
		if (ev->valid_hi > bound)
			ev->valid_hi = bound > ev->valid_lo ? bound : ev->valid_lo;
		return;
	}
	if (op->rc == -en->eacces) {
		if (s == P_UNBOUND || s == P_FREE || s == P_RESERVED || s == P_INVALID)
			xen_ev_forget(ev);
		set_port(ev, p, P_XEN, false);
		return;
	}
	if (op->rc != 0)
		return;
	if (s == P_INVALID)
		xen_ev_forget(ev);
	valid_up_to(ev, p);
	if (p == 0 || p >= XEN_EV_2L_PORTS)
		return;
	if (!op->status_known) {
		if (ev->port[p].st != P_UNBOUND || !ev->port[p].clean)
			set_port(ev, p, P_UNKNOWN, false);
		return;
	}
	if (op->status == XEN_EVTCHNSTAT_CLOSED) {
		if (s == P_UNBOUND || s == P_OPEN || s == P_XEN)
			xen_ev_forget(ev);
		bool clean = clean_free(ev, p);
		set_port(ev, p, P_FREE, clean);
	} else if (op->status == XEN_EVTCHNSTAT_UNBOUND) {
		bool clean = s == P_UNBOUND && ev->port[p].clean;
		if (s == P_FREE || s == P_NOT_CLOSABLE || s == P_XEN)
			xen_ev_forget(ev);
		set_port(ev, p, P_UNBOUND, clean);
		if (op->remote_known) {
			ev->port[p].remote_known = true;
			ev->port[p].remote = op->out_remote;
		}
		if (!op->vcpu_known || op->vcpu != 0)
			set_port(ev, p, P_OPEN, false); /* moved to another vCPU: not followed */
	} else {
		if (s == P_FREE || s == P_UNBOUND || s == P_XEN)
			xen_ev_forget(ev);
		set_port(ev, p, P_OPEN, false);
	}
}

void xen_ev_saw_other(struct xen_evtchns *ev, const struct xen_errnos *en, uint64_t nr,
		      bool returned, int64_t rc)
{
	/* The paths that open or close a domain's channels besides the
	 * commands modelled: the other EVTCHNOP_* (bind_*, reset, FIFO setup,
	 * bind_vcpu), the PV compat entry, multicalls of them, ioreq servers
	 * (hvm_op, dm_op: alloc_unbound_xen_event_channel), vm_event and soft
	 * reset (domctl). A -ENOSYS did nothing. */
	switch (nr) {
	case XEN_HC_EVENT_CHANNEL_OP:
	case XEN_HC_EVENT_CHANNEL_OP_COMPAT:
	case XEN_HC_MULTICALL:
	case XEN_HC_HVM_OP:
	case XEN_HC_DOMCTL:
	case XEN_HC_DM_OP:
		if (!returned || rc != -en->enosys)
			xen_ev_forget(ev);
		break;
	default:
		break;
	}
}
