/*
 * agent.c: the hcfuzz guest agent.
 *
 * Boots in long mode from the in-process VMM, installs an IDT whose every
 * vector is caught, learns what hypervisor it runs on (CPUID, the PVM MSR),
 * leaves PVM's instruction emulator by registering the VIF page when told to,
 * then serves commands from the mailbox: a batch of calls issued one by one
 * through the trampoline, a raw loop for benchmarks, an empty round trip.
 * It rings the doorbell whenever it needs the host.
 */
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "hcf_proto.h"

#define AGENT_VERSION 1u

/* The assembly hard-codes these; keep them honest. */
_Static_assert(offsetof(struct hcf_wire_call, xport) == WC_XPORT, "wc xport");
_Static_assert(offsetof(struct hcf_wire_call, flags) == WC_FLAGS, "wc flags");
_Static_assert(offsetof(struct hcf_wire_call, vector) == WC_VECTOR, "wc vector");
_Static_assert(offsetof(struct hcf_wire_call, target) == WC_TARGET, "wc target");
_Static_assert(offsetof(struct hcf_wire_call, rflags) == WC_RFLAGS, "wc rflags");
_Static_assert(offsetof(struct hcf_wire_call, gpr) == WC_GPR, "wc gpr");
_Static_assert(sizeof(struct hcf_wire_call) == 152, "wc size");
_Static_assert(offsetof(struct hcf_wire_result, outcome) == WR_OUTCOME, "wr outcome");
_Static_assert(offsetof(struct hcf_wire_result, vector) == WR_VECTOR, "wr vector");
_Static_assert(offsetof(struct hcf_wire_result, error_code) == WR_ERROR_CODE, "wr err");
_Static_assert(offsetof(struct hcf_wire_result, fault_rip) == WR_FAULT_RIP, "wr rip");
_Static_assert(offsetof(struct hcf_wire_result, cr2) == WR_CR2, "wr cr2");
_Static_assert(offsetof(struct hcf_wire_result, tsc_delta) == WR_TSC_DELTA, "wr tsc");
_Static_assert(offsetof(struct hcf_wire_result, rflags_before) == WR_RFL_BEFORE, "wr rfl0");
_Static_assert(offsetof(struct hcf_wire_result, rflags_after) == WR_RFL_AFTER, "wr rfl1");
_Static_assert(offsetof(struct hcf_wire_result, rsp_before) == WR_RSP_BEFORE, "wr rsp");
_Static_assert(offsetof(struct hcf_wire_result, gpr) == WR_GPR, "wr gpr");
_Static_assert(sizeof(struct hcf_wire_result) == 200, "wr size");
_Static_assert(AS_CALL_VEC == HCF_CALL_VEC && AS_CALL_TSC == HCF_CALL_TSC, "call flags");
_Static_assert(AS_WO_RETURNED == HCF_WO_RETURNED && AS_WO_EXCEPTION == HCF_WO_EXCEPTION, "wo");
_Static_assert(AS_WX_INT == HCF_WX_INT, "wx int");
_Static_assert(AS_XSTACK_HI == HCF_GPA_XSTACK_HI, "xstack");
_Static_assert(AS_STACK_GUARD_PG << 12 == HCF_GPA_STACK_GUARD &&
		       AS_STACK_MAPPED_PG << 12 == HCF_GPA_STACK_MAPPED, "stack holes");
_Static_assert(AGENT_XP_RDMSR >= HCF_WX_COUNT, "agent transports after wire ones");

static volatile struct hcf_boot *const boot = (volatile struct hcf_boot *)HCF_GPA_BOOT;
static volatile struct hcf_mbox *mbox;
static int xen_dom0; /* Xen's dom0 (agent_external_boot) */

void *memcpy(void *d, const void *s, unsigned long n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memset(void *d, int c, unsigned long n)
{
	uint8_t *dp = d;
	while (n--)
		*dp++ = (uint8_t)c;
	return d;
}

/* Under an external hypervisor the doorbell is a frame on a byte stream. */
static void ring_frame(uint32_t ev)
{
	struct hcf_frame f = {
		.magic = HCF_FRAME_MAGIC, .version = HCF_FRAME_VERSION, .event = ev,
		.seq = mbox ? (uint32_t)mbox->seq : 0,
	};
	f.check = hcf_frame_check(&f);
#ifdef HCF_AGENT_TEST_GARBLE
	/* Only in the test image hcf-agent-garble.elf: from this frame on the
	 * agent rings with a wrong check, as a broken or hostile guest would
	 * (the harness must answer with ERROR, not hang or crash). */
	static unsigned frames;
	if (++frames >= HCF_AGENT_TEST_GARBLE)
		f.check ^= 0x5a5a5a5au;
#endif
	if (agent_frame_out) {
		agent_frame_out(&f, sizeof(f));
		return;
	}
	/* One string instruction: a PV dom0's port I/O traps into Xen's
	 * emulator, once for the frame rather than once per byte. */
	const uint8_t *b = (const uint8_t *)&f;
	unsigned long n = sizeof(f);
	__asm__ volatile("rep outsb"
			 : "+S"(b), "+c"(n)
			 : "d"((uint16_t)HCF_PORT_DOORBELL), "m"(f)
			 : "memory");
}

void (*agent_channel_restore)(void);
void (*agent_frame_out)(const void *frame, unsigned long len);
struct hcf_boot_device agent_boot_devices[HCF_MAX_DEVICES];
uint32_t agent_boot_ndevices;

static void doorbell(uint32_t ev)
{
	/* a program may have taken away what the channel needs (a PV dom0's
	 * I/O privilege): its calls have run, the channel is the agent's */
	if (agent_channel_restore)
		agent_channel_restore();
	if (boot->flags & HCF_BOOT_EXTERNAL)
		ring_frame(ev);
	else
		__asm__ volatile("outl %0, %1" : : "a"(ev), "Nd"((uint16_t)HCF_PORT_DOORBELL) : "memory");
}

/*
 * The next command. The in-process VMM writes it while the vCPU is stopped
 * at the doorbell; an external hypervisor does not stop the guest, so the
 * agent waits for the host to publish a new seq.
 */
static uint64_t next_seq(uint64_t done)
{
	if (boot->flags & HCF_BOOT_EXTERNAL)
		while (mbox->seq == done)
			__asm__ volatile("pause" ::: "memory");
	return mbox->seq;
}

void agent_debug_puts(const char *s)
{
	while (*s)
		__asm__ volatile("outb %0, %1" : : "a"(*s++), "Nd"((uint16_t)HCF_PORT_DEBUGCON));
}

void agent_panic(uint64_t vector, uint64_t error_code, uint64_t rip, uint64_t cr2)
{
	if (mbox) {
		mbox->panic_vector = (uint32_t)vector;
		mbox->panic_error_code = error_code;
		mbox->panic_rip = rip;
		mbox->panic_cr2 = cr2;
	}
	for (;;) {
		doorbell(HCF_EV_PANIC);
		if (boot->flags & HCF_BOOT_XEN_PV)
			__asm__ volatile("pause"); /* hlt is privileged at CPL3 */
		else
			__asm__ volatile("hlt");
	}
}

/* IDT: 256 interrupt gates to the trampoline's exception entries. */
struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

static void idt_init(void)
{
	struct idt_gate *idt = (struct idt_gate *)HCF_GPA_IDT;
	for (unsigned v = 0; v < 256; v++) {
		uint64_t a = hcf_exc_entry[v];
		idt[v] = (struct idt_gate){
			.off_lo = (uint16_t)a, .sel = 0x08, .ist = 0, .type = 0x8e,
			.off_mid = (uint16_t)(a >> 16), .off_hi = (uint32_t)(a >> 32), .zero = 0,
		};
	}
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { 256 * 16 - 1, HCF_GPA_IDT };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* The stub that issues a call's transport, or 0 if the call is malformed. */
static uint64_t stub_for(const struct hcf_wire_call *c)
{
	switch (c->xport) {
	case HCF_WX_NONE: return (uint64_t)hcf_stub_none;
	case HCF_WX_VMCALL: return (uint64_t)hcf_stub_vmcall;
	case HCF_WX_VMMCALL: return (uint64_t)hcf_stub_vmmcall;
	case HCF_WX_INT: return (uint64_t)hcf_stub_int_table + 8u * c->vector;
	case HCF_WX_SYSCALL: return (uint64_t)hcf_stub_syscall;
	case HCF_WX_HCPAGE: return (uint64_t)hcf_stub_hcpage;
	case AGENT_XP_RDMSR: return (uint64_t)hcf_stub_rdmsr;
	case AGENT_XP_WRMSR: return (uint64_t)hcf_stub_wrmsr;
	case HCF_WX_PIO_OUT:
		return c->width == 1 ? (uint64_t)hcf_stub_pio_out1 :
		       c->width == 2 ? (uint64_t)hcf_stub_pio_out2 :
		       c->width == 4 ? (uint64_t)hcf_stub_pio_out4 : 0;
	case HCF_WX_PIO_IN:
		return c->width == 1 ? (uint64_t)hcf_stub_pio_in1 :
		       c->width == 2 ? (uint64_t)hcf_stub_pio_in2 :
		       c->width == 4 ? (uint64_t)hcf_stub_pio_in4 : 0;
	case HCF_WX_MMIO_WRITE:
		return c->width == 1 ? (uint64_t)hcf_stub_mmio_w1 :
		       c->width == 2 ? (uint64_t)hcf_stub_mmio_w2 :
		       c->width == 4 ? (uint64_t)hcf_stub_mmio_w4 :
		       c->width == 8 ? (uint64_t)hcf_stub_mmio_w8 : 0;
	case HCF_WX_MMIO_READ:
		return c->width == 1 ? (uint64_t)hcf_stub_mmio_r1 :
		       c->width == 2 ? (uint64_t)hcf_stub_mmio_r2 :
		       c->width == 4 ? (uint64_t)hcf_stub_mmio_r4 :
		       c->width == 8 ? (uint64_t)hcf_stub_mmio_r8 : 0;
	default: return 0;
	}
}

/*
 * Issue c, writing its result straight into *res (no copies: the trampoline
 * loads from and stores to the mailbox). Returns 0, or -1 if c is malformed.
 */
static int issue(const struct hcf_wire_call *c, struct hcf_wire_result *res)
{
	uint64_t stub = stub_for(c);
	if (!stub) {
		res->outcome = HCF_WO_NONE;
		return -1;
	}
	/* under Xen: the wake-up event, when it comes, is a new event, which
	 * brings back a call that blocks the vCPU (xen.c) */
	if ((c->flags & HCF_CALL_WAKE) && (boot->flags & HCF_BOOT_XEN_WAKE)) {
		agent_xen_events_quiet();
		agent_xen_wake_later();
	}
	hcf_cur_call = c;
	hcf_cur_res = res;
	hcf_cur_stub = stub;
	hcf_cur_rflags = 0x2 | (c->rflags & HCF_RFLAGS_LOADABLE);
	hcf_cur_target = c->target;
	hcf_cur_xport = c->xport;
	hcf_cur_vector = c->vector;
	hcf_cur_flags = c->flags;
	hcf_tramp();
	if ((boot->flags & HCF_BOOT_XEN_PV) && res->outcome == HCF_WO_EXCEPTION && res->vector == 2)
		agent_xen_pv_nmi_done();
	return 0;
}

/* An MSR access whose exception is caught. Returns 0 or the vector + 1. */
static unsigned msr_access(uint8_t xp, uint32_t msr, uint64_t *val)
{
	struct hcf_wire_call c;
	memset(&c, 0, sizeof(c));
	c.xport = xp;
	c.gpr[HCF_RCX] = msr;
	c.gpr[HCF_RAX] = (uint32_t)*val;
	c.gpr[HCF_RDX] = *val >> 32;
	struct hcf_wire_result r;
	issue(&c, &r);
	if (r.outcome != HCF_WO_RETURNED)
		return r.vector + 1;
	*val = (r.gpr[HCF_RDX] << 32) | (uint32_t)r.gpr[HCF_RAX];
	return 0;
}

/* A PV guest's cpuid is the CPU's; Xen answers with the guest's view when
 * the instruction carries its forced-emulation prefix (ud2; "xen"). */
static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	if (boot->flags & HCF_BOOT_XEN_PV)
		__asm__ volatile("ud2; .ascii \"xen\"; cpuid"
				 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
	else
		__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static void probe(void)
{
	uint32_t a, b, c, d;
	cpuid(0, &a, &b, &c, &d);
	boot->cpuid_max_leaf = a;
	memcpy((void *)boot->cpu_vendor, &b, 4);
	memcpy((void *)(boot->cpu_vendor + 4), &d, 4);
	memcpy((void *)(boot->cpu_vendor + 8), &c, 4);
	cpuid(0x40000000u, &a, &b, &c, &d);
	boot->hv_max_leaf = a;
	memcpy((void *)boot->hv_signature, &b, 4);
	memcpy((void *)(boot->hv_signature + 4), &c, 4);
	memcpy((void *)(boot->hv_signature + 8), &d, 4);
	uint32_t base = 0x40000000u, max = a;
	for (uint32_t i = 0; i < HCF_HV_LEAVES; i++) {
		uint32_t r[4] = { 0, 0, 0, 0 };
		if (base + 1 + i <= max && max - base < 0x100)
			cpuid(base + 1 + i, &r[0], &r[1], &r[2], &r[3]);
		memcpy((void *)boot->hv_leaf[i], r, sizeof(r));
	}

	uint64_t v = 0;
	unsigned fault = msr_access(AGENT_XP_RDMSR, HCF_MSR_PVM_ID, &v);
	boot->pvm_msr_faulted = fault != 0;
	boot->pvm_msr_value = fault ? 0 : v;
	boot->native = 0;
	if (!fault && v == HCF_PVM_ID_VALUE && (boot->flags & HCF_BOOT_PVM_KNOWN) &&
	    (boot->flags & HCF_BOOT_PVM_NATIVE)) {
		boot->native = 1; /* registered first thing in agent_main */
	} else if (!fault && v == HCF_PVM_ID_VALUE && (boot->flags & HCF_BOOT_PVM_NATIVE)) {
		/* From here on PVM runs the agent natively (page tables are U/S=1). */
		uint64_t vif = boot->vif_gpa;
		if (msr_access(AGENT_XP_WRMSR, HCF_MSR_PVM_VIF, &vif) == 0)
			boot->native = 1;
	}
	boot->hcpage_faulted = 0;
	if (boot->flags & HCF_BOOT_HCPAGE) {
		uint64_t page = HCF_GPA_HCPAGE;
		boot->hcpage_faulted = msr_access(AGENT_XP_WRMSR, boot->hcpage_msr, &page) != 0;
	}
	boot->agent_version = AGENT_VERSION;
}

/*
 * HCF_CMD_REARM, after the host put the boot snapshot back: what no host can
 * restore is done again as probe() did it at boot, then the agent reports
 * what it sees of itself, which the host compares with its report right
 * after boot. The steps go through issue(), so that an exception lands in
 * the report rather than in agent_panic. (The VIF page was registered
 * before this, in agent_main.)
 */
static void rearm(uint32_t steps)
{
	uint32_t faults = 0;
	uint64_t v = HCF_GPA_HCPAGE;
	if ((steps & HCF_REARM_HCPAGE) && msr_access(AGENT_XP_WRMSR, boot->hcpage_msr, &v) != 0)
		faults |= HCF_REARM_HCPAGE;
	if (steps & HCF_REARM_EXCEPTION) {
		/* int3 where PVM runs the agent natively (13 us there; its
		 * emulator fails on it), else a read of a non-canonical address,
		 * #GP (which in PVM's native mode takes its emulator, 50 us) */
		struct hcf_wire_call c;
		memset(&c, 0, sizeof(c));
		uint32_t vector = boot->native ? 3 : 13;
		if (boot->native) {
			c.xport = HCF_WX_INT;
			c.vector = 3;
		} else {
			c.xport = HCF_WX_MMIO_READ;
			c.width = 8;
			c.gpr[HCF_RDX] = 0x8000000000000000ull; /* the stub reads (%rdx) */
		}
		struct hcf_wire_result r;
		issue(&c, &r);
		if (r.outcome != HCF_WO_EXCEPTION || r.vector != vector)
			faults |= HCF_REARM_EXCEPTION;
	}
	uint64_t rsp, cs;
	__asm__ volatile("mov %%rsp, %0; mov %%cs, %1" : "=r"(rsp), "=r"(cs));
	mbox->rearm_faults = faults;
	mbox->rearm_cs = (uint32_t)cs;
	mbox->rearm_rsp = rsp;
}

/* Register the VIF page with a bare wrmsr: the agent runs in PVM's emulator
 * until it is, one instruction at 0.7 us, so this is the first thing it does
 * (at boot and after a restored snapshot). */
static void register_vif(void)
{
	uint32_t lo = (uint32_t)boot->vif_gpa, hi = (uint32_t)(boot->vif_gpa >> 32);
	__asm__ volatile("wrmsr" : : "c"(HCF_MSR_PVM_VIF), "a"(lo), "d"(hi));
}

static void run_batch(uint64_t seq)
{
	uint32_t n = mbox->ncalls;
	if (n > HCF_MBOX_MAX_CALLS)
		n = HCF_MBOX_MAX_CALLS; /* the host checks ndone against what it sent */
	const struct hcf_wire_call *calls =
		(const struct hcf_wire_call *)((uintptr_t)mbox + HCF_MBOX_CALLS_OFF);
	struct hcf_wire_result *res = (struct hcf_wire_result *)((uintptr_t)mbox + HCF_MBOX_RESULTS_OFF);
	struct hcf_wire_vec *vec = (struct hcf_wire_vec *)((uintptr_t)mbox + HCF_MBOX_VEC_OFF);
	memcpy(hcf_xmm_in, (const void *)mbox->xmm_sentinel, sizeof(hcf_xmm_in));
	for (uint32_t i = 0; i < n; i++) {
		issue(&calls[i], &res[i]); /* a malformed call is reported as not run */
		res[i].seq = seq ^ i;
		if (calls[i].flags & HCF_CALL_VEC)
			memcpy(&vec[i], hcf_xmm_out, sizeof(vec[i]));
		/* Progress for the host's watchdog, every 64 calls: one more page
		 * touched per call costs a TLB refill after every hypercall's world
		 * switch. Which call a dying guest was in, the host reads off the
		 * result slots' seq tags. */
		if ((i & 63) == 63)
			mbox->ndone = i + 1;
	}
	mbox->ndone = n;
}

void agent_main(void);

void agent_main(void)
{
	if (boot->magic != HCF_BOOT_MAGIC || boot->version != HCF_PROTO_VERSION) {
		agent_debug_puts("hcf-agent: bad boot block\n");
		agent_panic(0xffff, 0, 0, 0);
	}
	/* Every instruction before the VIF page is registered is emulated by
	 * PVM (about 0.7 us each): when the host already knows it is PVM the
	 * agent leaves the emulator first, and a host-built IDT saves the
	 * 256-gate loop. The probe below still runs and reports. */
	if ((boot->flags & (HCF_BOOT_PVM_KNOWN | HCF_BOOT_PVM_NATIVE)) ==
	    (HCF_BOOT_PVM_KNOWN | HCF_BOOT_PVM_NATIVE))
		register_vif();
	if (!(boot->flags & HCF_BOOT_IDT_READY))
		idt_init();
	mbox = (volatile struct hcf_mbox *)boot->mbox_gpa;
	probe();
	/* the hypercall page is there now, under PVH too */
	if (xen_dom0 && agent_xen_events_arm(!!(boot->flags & HCF_BOOT_XEN_PV)) == 0) {
		boot->flags |= HCF_BOOT_XEN_WAKE;
		boot->xen_wake_port = agent_xen_wake_port;
	}
	uint64_t done = mbox->seq;
	doorbell(HCF_EV_READY);
	for (;;) {
		uint64_t seq = next_seq(done);
		uint32_t cmd = mbox->cmd;
		uint32_t steps = cmd == HCF_CMD_REARM || cmd == HCF_CMD_BATCH ? mbox->rearm_steps : 0;
		if ((steps & HCF_REARM_VIF) && boot->native)
			register_vif();
		mbox->ndone = 0;
		if (steps) {
			rearm(steps);
			mbox->rearm_seq = seq;
		}
		switch (cmd) {
		case HCF_CMD_BATCH:
			run_batch(seq);
			break;
		case HCF_CMD_RAW_LOOP: {
			const struct hcf_wire_call *c =
				(const struct hcf_wire_call *)((uintptr_t)mbox + HCF_MBOX_CALLS_OFF);
			uint64_t stub = stub_for(c);
			if (stub) {
				hcf_cur_call = c;
				hcf_cur_stub = stub;
				hcf_cur_target = c->target;
				hcf_raw_loop(mbox->raw_iterations);
			}
			break;
		}
		default:
			break;
		}
		mbox->ack_seq = seq;
		done = seq;
		doorbell(HCF_EV_DONE);
	}
}

/*
 * Under Xen the agent is dom0, whose guest-physical pages lie anywhere in the
 * machine's RAM: tag every page the host shares with it (struct
 * hcf_page_tag) so that the host can find them, and clear the mailbox's
 * sequence, which no host could set before the agent ran.
 */
static int under_xen(void)
{
	uint32_t a, b, c, d;
	cpuid(0x40000000u, &a, &b, &c, &d);
	return b == 0x566e6558u && c == 0x65584d4du && d == 0x4d4d566eu; /* "XenVMMXenVMM" */
}

static void tag_page(uint64_t gpa, uint64_t nonce)
{
	volatile struct hcf_page_tag *t = (volatile struct hcf_page_tag *)(gpa + HCF_PAGE_TAG_OFF);
	t->magic = HCF_PAGE_TAG_MAGIC;
	t->gpa = gpa;
	t->nonce = nonce;
	t->check = HCF_PAGE_TAG_MAGIC ^ gpa ^ nonce ^ HCF_PAGE_TAG_SALT;
}

static void tag_shared_pages(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	uint64_t nonce = ((uint64_t)hi << 32 | lo) | 1;
	tag_page(HCF_GPA_BOOT, nonce);
	for (uint64_t gpa = HCF_GPA_MBOX; gpa < HCF_GPA_ARENA + HCF_ARENA_SIZE; gpa += 0x1000)
		tag_page(gpa, nonce);
	((volatile struct hcf_mbox *)HCF_GPA_MBOX)->seq = 0;
	boot->flags |= HCF_BOOT_TAGGED;
}

void agent_external_boot(uint32_t flags)
{
	memset((void *)boot, 0, sizeof(*boot));
	boot->magic = HCF_BOOT_MAGIC;
	boot->version = HCF_PROTO_VERSION;
	boot->flags = HCF_BOOT_EXTERNAL | flags;
	boot->mbox_gpa = HCF_GPA_MBOX;
	boot->vif_gpa = HCF_GPA_VIF;
	boot->ndevices = agent_boot_ndevices;
	memcpy((void *)boot->devices, agent_boot_devices, sizeof(agent_boot_devices));
	if ((flags & HCF_BOOT_XEN_PV) || under_xen()) {
		xen_dom0 = 1;
		tag_shared_pages();
		/* The hypercall page: a PV dom0's Xen wrote it from the ELF note;
		 * an HVM or PVH guest has Xen write it through the MSR CPUID
		 * leaf base+2 names (EBX), at probe. */
		if (!(flags & HCF_BOOT_XEN_PV)) {
			uint32_t a, b, c, d;
			cpuid(0x40000002u, &a, &b, &c, &d);
			boot->flags |= HCF_BOOT_HCPAGE;
			boot->hcpage_msr = b;
		}
	}
	agent_main();
	for (;;)
		; /* agent_main serves forever */
}

void agent_external_main(uint32_t mbi);

/*
 * Entry from boot32.S: no host wrote a boot block, so the agent writes its
 * own with what an external hypervisor's host can rely on: the mailbox and
 * VIF page at their usual places, the IDT its own, no PVM shortcuts.
 */
void agent_external_main(uint32_t mbi)
{
	(void)mbi;
	agent_external_boot(0);
}
