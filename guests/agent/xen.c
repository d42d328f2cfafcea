/*
 * xen.c: what the agent asks of Xen for itself as a dom0 of either kind (PV,
 * PVH): its own hypercalls, and a wake-up event for the calls under test
 * that block the vCPU.
 *
 * SCHEDOP_block blocks until an event is pending and SCHEDOP_poll until a
 * polled port is or its timeout passes; Xen wakes a blocked or polling vCPU
 * on any new event of its (vcpu_mark_events_pending -> vcpu_kick). A dom0
 * that binds no event never comes back from them, which would make a HANG
 * of a correct hypervisor. So the agent binds VIRQ_TIMER to a port and,
 * before a call the spec says `blocks` (the host flags it HCF_CALL_WAKE),
 * puts that port back to "not pending" and sets the one-shot timer
 * WAKE_AFTER_NS ahead (set_timer_op): the timer's event is then a new
 * one, which kicks the vCPU out of whatever it blocks in (other calls pay
 * nothing: only the agent's timer, and a program's own events, which
 * wake nothing, make events). A call
 * that still does not come back is a real hang. The periodic timer is
 * stopped: Xen stops it while a vCPU is blocked anyway (it runs only while
 * the vCPU is scheduled), and it would only make events no call waits for.
 * Events stay masked (the vCPU's evtchn_upcall_mask) except
 * where a call unmasks them (SCHEDOP_block does): a PV dom0 then takes the
 * upcall on its way back from the call, in hcf_xen_pv_event (pv_entry.S),
 * which quiets the port, masks events again and returns through Xen's iret
 * with every register as the call left it. Under PVH the upcall is a vector
 * the agent, whose interrupts are always off, never takes.
 */
#include <stddef.h>
#include <stdint.h>

#include "agent.h"

/* Xen's public interface (xen.h, event_channel.h, vcpu.h, memory.h,
 * hvm/params.h, hvm/hvm_op.h, callback.h). */
enum {
	XEN_CONSOLE_IO = 18,
	CONSOLEIO_WRITE = 0,
	XEN_MEMORY_OP = 12,
	XENMEM_ADD_TO_PHYSMAP = 7,
	XENMAPSPACE_SHARED_INFO = 0,
	XEN_UPDATE_VA_MAPPING = 14,
	UVMF_INVLPG = 2,
	XEN_SET_TIMER_OP = 15,
	XEN_VCPU_OP = 24,
	VCPUOP_STOP_PERIODIC_TIMER = 7,
	XEN_CALLBACK_OP = 30,
	CALLBACKOP_REGISTER = 0,
	CALLBACKTYPE_EVENT = 0,
	CALLBACKF_MASK_EVENTS = 1,
	XEN_EVENT_CHANNEL_OP = 32,
	EVTCHNOP_BIND_VIRQ = 1,
	VIRQ_TIMER = 0,
	XEN_HVM_OP = 34,
	HVMOP_SET_PARAM = 0,
	HVM_PARAM_CALLBACK_IRQ = 0,
	DOMID_SELF = 0x7ff0,
	/* shared_info: 32 vcpu_info of 64 bytes, then the pending and mask
	 * bitmaps; vcpu_info: upcall_pending, upcall_mask, pending_sel at 8 */
	SHINFO_PENDING = 2048,
	SHINFO_MASK = 2560,
	VCPU_UPCALL_PENDING = 0,
	VCPU_UPCALL_MASK = 1,
	VCPU_PENDING_SEL = 8,
	/* vcpu_time_info at 32: version, tsc_timestamp at 8, system_time at
	 * 16, tsc_to_system_mul at 24, tsc_shift at 28 */
	VCPU_TIME = 32,
};

/* Long enough that the call is blocked when the event comes (a blocking
 * call under QEMU's TCG reaches Xen's scheduler in well under a
 * millisecond), short enough to be lost in any watchdog. */
#define WAKE_AFTER_NS 10000000ull
/* The PVH upcall's vector (HVM_PARAM_CALLBACK_TYPE_VECTOR, type 2): one
 * of the agent's IDT gates, taken only if a call ran with IF set, which
 * no program can ask for (HCF_RFLAGS_LOADABLE). */
#define PVH_UPCALL_VIA ((2ull << 56) | 0xf3u)

uint64_t agent_xen_shinfo_maddr, agent_xen_pv_upcall;
uint32_t agent_xen_wake_port;

long agent_xen_call(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3)
{
	long ret;
	register uint64_t rdx __asm__("rdx") = a3;
	__asm__ volatile("call *%[entry]"
			 : "=a"(ret), "+D"(a1), "+S"(a2), "+r"(rdx)
			 : [entry] "r"(HCF_GPA_HCPAGE + 32u * nr)
			 : "memory", "rcx", "r8", "r9", "r10", "r11");
	return ret;
}

void agent_xen_say(const char *what)
{
	unsigned long len = 0;
	while (what[len])
		len++;
	agent_xen_call(XEN_CONSOLE_IO, CONSOLEIO_WRITE, len, (uint64_t)what);
}

static volatile uint8_t *const shinfo = (volatile uint8_t *)HCF_GPA_XEN_SHINFO;

/* The wake port back to "not pending", and the vCPU's summary of pending
 * events with it where no other port of its word is pending. Called
 * before a call that blocks, and from the PV upcall. */
void agent_xen_events_quiet(void)
{
	uint32_t port = agent_xen_wake_port;
	volatile uint64_t *pending = (volatile uint64_t *)(shinfo + SHINFO_PENDING) + port / 64;
	volatile uint64_t *sel = (volatile uint64_t *)(shinfo + VCPU_PENDING_SEL);
	__atomic_fetch_and(pending, ~(1ull << (port % 64)), __ATOMIC_SEQ_CST);
	if (!*pending)
		__atomic_fetch_and(sel, ~(1ull << (port / 64)), __ATOMIC_SEQ_CST);
	if (!*sel)
		shinfo[VCPU_UPCALL_PENDING] = 0;
}

/* Map shared_info at HCF_GPA_XEN_SHINFO: a PV dom0 maps the machine
 * page start_info names, a PVH dom0 has Xen put it at that frame. */
static int map_shared_info(int pv)
{
	if (pv)
		return agent_xen_call(XEN_UPDATE_VA_MAPPING, HCF_GPA_XEN_SHINFO,
				      agent_xen_shinfo_maddr | 0x63u /* P RW A D */, UVMF_INVLPG) ==
		       0;
	struct {
		uint16_t domid, size;
		uint32_t space;
		uint64_t idx, gpfn;
	} xatp = { DOMID_SELF, 0, XENMAPSPACE_SHARED_INFO, 0, HCF_GPA_XEN_SHINFO >> 12 };
	return agent_xen_call(XEN_MEMORY_OP, XENMEM_ADD_TO_PHYSMAP, (uint64_t)&xatp, 0) == 0;
}

/* Where the vCPU's upcall goes: PV, the entry that quiets and returns;
 * PVH, a vector (without one Xen does not kick a blocked HVM vCPU). */
static int route_upcall(int pv)
{
	if (pv) {
		struct {
			uint16_t type, flags;
			uint32_t pad;
			uint64_t address;
		} cb = { CALLBACKTYPE_EVENT, CALLBACKF_MASK_EVENTS, 0, agent_xen_pv_upcall };
		return agent_xen_call(XEN_CALLBACK_OP, CALLBACKOP_REGISTER, (uint64_t)&cb, 0) == 0;
	}
	struct {
		uint16_t domid;
		uint32_t index;
		uint64_t value;
	} p = { DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, PVH_UPCALL_VIA };
	return agent_xen_call(XEN_HVM_OP, HVMOP_SET_PARAM, (uint64_t)&p, 0) == 0;
}

int agent_xen_events_arm(int pv)
{
	static const char *const failed[] = {
		"hcf-agent: xen: mapping shared_info failed\n",
		"hcf-agent: xen: routing the event upcall failed\n",
		"hcf-agent: xen: binding VIRQ_TIMER failed\n",
		"hcf-agent: xen: stopping the periodic timer failed\n",
	};
	unsigned step = 0;
	if (!map_shared_info(pv))
		goto fail;
	shinfo[VCPU_UPCALL_MASK] = 1;
	step++;
	if (!route_upcall(pv))
		goto fail;
	step++;
	struct {
		uint32_t virq, vcpu, port;
	} bind = { VIRQ_TIMER, 0, 0 };
	if (agent_xen_call(XEN_EVENT_CHANNEL_OP, EVTCHNOP_BIND_VIRQ, (uint64_t)&bind, 0) != 0 ||
	    bind.port >= 64 * 64)
		goto fail;
	agent_xen_wake_port = bind.port;
	__atomic_fetch_and((volatile uint64_t *)(shinfo + SHINFO_MASK) + bind.port / 64,
			   ~(1ull << (bind.port % 64)), __ATOMIC_SEQ_CST);
	step++;
	if (agent_xen_call(XEN_VCPU_OP, VCPUOP_STOP_PERIODIC_TIMER, 0, 0) != 0)
		goto fail;
	agent_xen_events_quiet();
	return 0;
fail:
	agent_xen_say(failed[step]);
	return -1;
}

/* Xen's system time now, in ns, from the vCPU's time record: the record's
 * system time plus the TSC ticks since it, scaled as Xen says (a retry
 * while Xen rewrites it, an odd version). */
static uint64_t xen_now(void)
{
	volatile const uint8_t *t = shinfo + VCPU_TIME;
	uint32_t version, mul;
	uint64_t stamp, sys;
	int8_t shift;
	do {
		version = *(volatile const uint32_t *)t;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		stamp = *(volatile const uint64_t *)(t + 8);
		sys = *(volatile const uint64_t *)(t + 16);
		mul = *(volatile const uint32_t *)(t + 24);
		shift = *(volatile const int8_t *)(t + 28);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((version & 1) || version != *(volatile const uint32_t *)t);
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	uint64_t delta = ((uint64_t)hi << 32 | lo) - stamp;
	delta = shift < 0 ? delta >> -shift : delta << shift;
	return sys + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

static int wake_port_pending(void)
{
	uint32_t port = agent_xen_wake_port;
	volatile uint64_t *pending = (volatile uint64_t *)(shinfo + SHINFO_PENDING) + port / 64;
	return (int)(*pending >> (port % 64) & 1);
}

/*
 * The timer's event must be a new one once the call blocks: Xen wakes a
 * blocked vCPU when a port becomes pending, and a PVH vCPU (interrupts off)
 * blocks even with one already pending (hvm_local_events_need_delivery
 * counts no interrupt while IF is clear). A deadline that is already past
 * when Xen takes it (the guest's clock read from an old time record, TCG's
 * time jumping on a loaded host) fires at once: measured, one SCHEDOP_block
 * in about a hundred then HANGed on xen-pvh. So the event must not be
 * pending after arming; if it is, the port is quieted and the timer armed
 * again further ahead.
 */
void agent_xen_wake_later(void)
{
	for (unsigned tries = 0; tries < 8; tries++) {
		agent_xen_call(XEN_SET_TIMER_OP, xen_now() + (WAKE_AFTER_NS << tries), 0, 0);
		if (!wake_port_pending())
			return;
		agent_xen_events_quiet();
	}
}

/*
 * After a call that took an NMI, as a PV kernel: Xen keeps a PV vCPU's
 * NMIs masked from the delivery of one until the kernel returns through
 * Xen's iret (async_exception_cleanup), and the agent leaves an exception
 * of a call its own way. So it makes that iret here, to the next
 * instruction with events still masked (IF clear) and in kernel mode (a
 * CS of RPL 3 would be a return to user mode, pv/iret.c): a later call's NMI
 * (vcpu_op send_nmi) then reaches that call, and one the first call made
 * pending while masked does not surface in some unrelated later call.
 */
void agent_xen_pv_nmi_done(void)
{
	__asm__ volatile("mov %%rsp, %%rax\n\t"
			 "pushq $0xe02b\n\t"          /* FLAT_KERNEL_SS */
			 "pushq %%rax\n\t"
			 "pushfq\n\t"
			 "andq $~0x200, (%%rsp)\n\t"   /* events stay masked */
			 "pushq $0xe030\n\t"          /* FLAT_KERNEL_CS, RPL 0: kernel mode */
			 "lea 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "pushq $0\n\t"               /* flags: restore rcx, r11 */
			 "jmp *%[iret]\n"
			 "1:"
			 :
			 : [iret] "r"(HCF_GPA_HCPAGE + 32u * 23)
			 : "rax", "memory", "cc");
}
