/* rt_run.c: a reproducer's VM, its run under a watchdog, and its verdict. */
/*
 * Every reproducer carries this file verbatim after its generated part and
 * util/x86.c (reports/repro_c.c writes it; the build compiles it on its own
 * so that it is C, not text). The VM is the one hcfuzz's kvm target builds for its
 * agent (vmm/kvm_machine.h); the guest is guest_code[] instead of the agent,
 * and port and MMIO exits are answered like hcfuzz's default "empty"
 * responder.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "reports/repro_rt/repro_rt.h"
#include "util/x86.h"
#include "vmm/kvm_machine.h"

void setup_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "repro: setup error: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(SETUP_ERROR);
}

/* ---- the VM ------------------------------------------------------------------ */

struct vm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	char vendor[13];             /* CPUID vendor the guest sees */
	int quirk_disabled;          /* KVM's FIX_HYPERCALL_INSN quirk is off */
};

static void vm_create(struct vm *v)
{
	memset(v, 0, sizeof(*v));
	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		setup_error("cannot open /dev/kvm: %s", strerror(errno));
	int api = ioctl(v->kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		setup_error("/dev/kvm: API version %d, this program needs %d", api, KVM_API_VERSION);
	const char *missing = hcf_km_missing_cap(v->kvm);
	if (missing)
		setup_error("/dev/kvm lacks %s", missing);
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		setup_error("KVM_CREATE_VM: %s", strerror(errno));
	v->quirk_disabled = hcf_km_disable_hypercall_quirk(v->kvm, v->vm);
	v->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	if (v->mem == MAP_FAILED)
		setup_error("guest RAM: %s", strerror(errno));
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)v->mem,
	};
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		setup_error("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		setup_error("KVM_CREATE_VCPU: %s", strerror(errno));
	int sz = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run))
		setup_error("KVM_GET_VCPU_MMAP_SIZE: %s", sz < 0 ? strerror(errno) : "too small");
	v->run_size = (size_t)sz;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED)
		setup_error("mmap of kvm_run: %s", strerror(errno));
	const char *what = "";
	if (hcf_km_set_cpuid(v->kvm, v->vcpu, v->vendor, &what) != 0)
		setup_error("%s: %s", what, strerror(errno));
}

/* Guest memory and registers before the first instruction. */
static void load_guest(struct vm *v)
{
	uint8_t *mem = v->mem;
	uint64_t handlers[256];
	if (guest_code_size > CODE_MAX)
		setup_error("guest code of %zu bytes", guest_code_size);
	hcf_km_build_tables(mem);
	for (unsigned i = 0; i < 256; i++)
		handlers[i] = CODE_GPA + rt_stubs_off + 16 * i;
	hcf_km_build_idt(mem, handlers);
	memcpy(mem + CODE_GPA, guest_code, guest_code_size);
	patch_native(mem + CODE_GPA, v->vendor);
	for (size_t s = 0; s < rt_ncalls + NSETUP; s++)
		hcf_km_put64(mem, CONT_GPA + 8 * s, CODE_GPA + cont_off[s]);
	struct ctl *c = (struct ctl *)(mem + CTL_GPA);
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			c->xmm_sentinel[i][j] = (uint8_t)((0xc0 + i) ^ (j * 0x11));
	write_buffers(mem);

	struct kvm_sregs s;
	if (ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0)
		setup_error("KVM_GET_SREGS: %s", strerror(errno));
	hcf_km_long_mode_sregs(&s);
	if (ioctl(v->vcpu, KVM_SET_SREGS, &s) < 0)
		setup_error("KVM_SET_SREGS (long mode): %s", strerror(errno));
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	r.rip = CODE_GPA + rt_entry_off;
	r.rsp = STACK_TOP;
	r.rflags = 0x2;
	if (ioctl(v->vcpu, KVM_SET_REGS, &r) < 0)
		setup_error("KVM_SET_REGS: %s", strerror(errno));
}

/* ---- running it ----------------------------------------------------------------- */

static const char *const end_name[] = {
	"finished", "hung", "shut down (triple fault)", "hit a KVM internal error",
	"could not be entered", "took an exception outside a call", "exited unexpectedly",
};

static struct kvm_run *watchdog_run;

/* SIGALRM: make KVM_RUN return, so the run loop can look at the watchdog. */
static void on_alarm(int sig)
{
	(void)sig;
	if (watchdog_run)
		watchdog_run->immediate_exit = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Calls whose result is complete, counting on from `from`. */
static size_t calls_complete(const uint8_t *mem, size_t from)
{
	const struct hcf_wire_result *s = (const struct hcf_wire_result *)(mem + RES_GPA);
	while (from < rt_ncalls && s[from].seq == (SEQ_TAG ^ from) &&
	       (s[from].outcome == OUTCOME_RETURNED || s[from].outcome == OUTCOME_EXCEPTION))
		from++;
	return from;
}

/* Port I/O: the done port, or the transport's device, which answers like
 * hcfuzz's default "empty" responder: reads return all ones, writes vanish. */
static enum end on_io(struct vm *v, char *detail, size_t len)
{
	struct kvm_run *r = v->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;
	if (r->io.port == DONE_PORT && r->io.direction == KVM_EXIT_IO_OUT && r->io.size == 4) {
		uint32_t ev;
		memcpy(&ev, data, 4);
		if (ev == EV_DONE)
			return END_DONE;
		if (ev == EV_PANIC) {
			const struct ctl *c = (const struct ctl *)(v->mem + CTL_GPA);
			snprintf(detail, len, "vector %" PRIu64 " (error code 0x%" PRIx64 ") at rip 0x%" PRIx64,
				 c->panic_vector, c->panic_error_code, c->panic_rip);
			return END_PANIC;
		}
	}
	if (r->io.direction == KVM_EXIT_IO_IN)
		memset(data, 0xff, (size_t)r->io.size * r->io.count);
	return END_GO_ON;
}

/* MMIO: the same empty device. */
static enum end on_mmio(struct vm *v, char *detail, size_t len)
{
	(void)detail;
	(void)len;
	if (!v->run->mmio.is_write)
		memset(v->run->mmio.data, 0xff, v->run->mmio.len > 8 ? 8 : v->run->mmio.len);
	return END_GO_ON;
}

/* HLT (PVM's hypercall 0x1009 halts the vCPU): nothing wakes it but us. */
static enum end on_resume(struct vm *v, char *detail, size_t len)
{
	(void)v;
	(void)detail;
	(void)len;
	return END_GO_ON;
}

static enum end on_internal_error(struct vm *v, char *detail, size_t len)
{
	snprintf(detail, len, "suberror %u", v->run->internal.suberror);
	return END_INTERNAL_ERROR;
}

static enum end on_fail_entry(struct vm *v, char *detail, size_t len)
{
	snprintf(detail, len, "hardware entry failure reason 0x%llx",
		 (unsigned long long)v->run->fail_entry.hardware_entry_failure_reason);
	return END_ENTRY_FAILED;
}

static enum end on_shutdown(struct vm *v, char *detail, size_t len)
{
	(void)v;
	(void)detail;
	(void)len;
	return END_SHUTDOWN;
}

/* Exit reasons, and what each means for the run. */
static const struct {
	uint32_t reason;
	enum end (*handle)(struct vm *v, char *detail, size_t len);
} exits[] = {
	{ KVM_EXIT_IO, on_io },
	{ KVM_EXIT_MMIO, on_mmio },
	{ KVM_EXIT_HLT, on_resume },
	{ KVM_EXIT_INTR, on_resume },
	{ KVM_EXIT_HYPERCALL, on_resume },
	{ KVM_EXIT_SHUTDOWN, on_shutdown },
	{ KVM_EXIT_INTERNAL_ERROR, on_internal_error },
	{ KVM_EXIT_FAIL_ENTRY, on_fail_entry },
};

static enum end handle_exit(struct vm *v, char *detail, size_t len)
{
	for (size_t i = 0; i < sizeof(exits) / sizeof(exits[0]); i++)
		if (exits[i].reason == v->run->exit_reason)
			return exits[i].handle(v, detail, len);
	snprintf(detail, len, "exit reason %u", v->run->exit_reason);
	return END_UNEXPECTED;
}

/*
 * KVM_RUN until the guest reports it is done or is lost. A periodic SIGALRM
 * breaks KVM_RUN (immediate_exit) so that a guest that never exits, or keeps
 * exiting without finishing a call, becomes a hang after rt_watchdog_ms, the
 * watchdog hcfuzz ran the program under.
 */
static void run_guest(struct vm *v, struct run_result *rr)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: KVM_RUN must come back with EINTR */
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		setup_error("sigaction: %s", strerror(errno));
	watchdog_run = v->run;
	struct itimerval tick = { { 0, 50000 }, { 0, 50000 } };
	if (setitimer(ITIMER_REAL, &tick, NULL) != 0)
		setup_error("setitimer: %s", strerror(errno));

	size_t done = 0;
	uint64_t progress = now_ms();
	memset(rr, 0, sizeof(*rr));
	for (;;) {
		int rc = ioctl(v->vcpu, KVM_RUN, 0);
		int e = errno;
		v->run->immediate_exit = 0;
		size_t now_done = calls_complete(v->mem, done);
		if (now_done != done) {
			done = now_done;
			progress = now_ms();
		}
		enum end end = END_GO_ON;
		if (rc < 0 && e != EINTR && e != EAGAIN)
			setup_error("KVM_RUN: %s", strerror(e));
		if (rc == 0)
			end = handle_exit(v, rr->detail, sizeof(rr->detail));
		if (end == END_GO_ON && now_ms() - progress >= rt_watchdog_ms) {
			end = END_HANG;
			snprintf(rr->detail, sizeof(rr->detail), "no call completed within %u ms",
				 rt_watchdog_ms);
		}
		if (end != END_GO_ON) {
			rr->end = end;
			break;
		}
	}
	struct itimerval off;
	memset(&off, 0, sizeof(off));
	setitimer(ITIMER_REAL, &off, NULL);
	watchdog_run = NULL;
	rr->inflight = calls_complete(v->mem, 0);
	rr->slots = (const struct hcf_wire_result *)(v->mem + RES_GPA);
	rr->vecs = (const struct hcf_wire_vec *)(v->mem + VEC_GPA);
	rr->ctl = (const struct ctl *)(v->mem + CTL_GPA);
	rr->mem = v->mem;
}

/* ---- describing what happened ------------------------------------------------- */

const char *vector_str(uint64_t vector, uint64_t error_code, char *buf, size_t len)
{
	const char *m = vector < 32 ? hcf_x86_exc_mnemonic((unsigned)vector) : NULL;
	if (!m)
		snprintf(buf, len, "vector %" PRIu64, vector);
	else if (hcf_x86_exc_has_error_code((unsigned)vector))
		snprintf(buf, len, "%s(0x%" PRIx64 ")", m, error_code);
	else
		snprintf(buf, len, "%s", m);
	return buf;
}

const char *call_str(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "call %zu (%s)", i, i < rt_ncalls ? call_name[i] : "?");
	return buf;
}

const char *stop_str(const struct run_result *rr, char *buf, size_t len)
{
	char c[96];
	if (rr->end == END_DONE)
		snprintf(buf, len, "the guest reported done after %zu of %zu calls", rr->inflight, rt_ncalls);
	else if (rr->inflight < rt_ncalls)
		snprintf(buf, len, "the guest %s at %s%s%s", end_name[rr->end],
			 call_str(rr->inflight, c, sizeof(c)), rr->detail[0] ? ": " : "", rr->detail);
	else
		snprintf(buf, len, "the guest %s after its last call%s%s", end_name[rr->end],
			 rr->detail[0] ? ": " : "", rr->detail);
	return buf;
}

/* What the PVM probe at the start of the guest found. */
static void print_platform(const struct vm *v, const struct run_result *rr)
{
	const size_t probe_slot = rt_ncalls + 0, vif_slot = rt_ncalls + 1;
	const struct hcf_wire_result *probe = &rr->slots[probe_slot], *vif = &rr->slots[vif_slot];
	int pvm = probe->seq == (SEQ_TAG ^ probe_slot) && probe->outcome == OUTCOME_RETURNED &&
		  (uint32_t)probe->gpr[RAX] == HCF_PVM_ID_VALUE && (uint32_t)probe->gpr[RDX] == 0;
	int native = pvm && vif->seq == (SEQ_TAG ^ vif_slot) && vif->outcome == OUTCOME_RETURNED;
	printf("repro: CPU vendor %s; %s%s; KVM FIX_HYPERCALL_INSN quirk %s\n", v->vendor,
	       pvm ? "PVM (MSR 0x4b564d11 reads \"PVM\")" : "not PVM (MSR 0x4b564d11 does not read \"PVM\")",
	       pvm ? (native ? ", guest runs natively (VIF page registered)" :
			       ", VIF page registration failed: guest stays in PVM's emulator") : "",
	       v->quirk_disabled ? "disabled" : "left on");
}

/* The checked call: how it ended and what changed. */
static void print_call(const struct run_result *rr, size_t i)
{
	char c[96], x[48];
	if (rr->inflight <= i) {
		char stop[320];
		printf("repro: %s did not complete: %s\n", call_str(i, c, sizeof(c)),
		       stop_str(rr, stop, sizeof(stop)));
		return;
	}
	const struct hcf_wire_result *s = &rr->slots[i];
	if (s->outcome == OUTCOME_EXCEPTION)
		printf("repro: %s raised %s at rip 0x%" PRIx64 "\n", call_str(i, c, sizeof(c)),
		       vector_str(s->vector, s->error_code, x, sizeof(x)), s->fault_rip);
	else
		printf("repro: %s returned\n", call_str(i, c, sizeof(c)));
	for (int r = 0; r < NGPR; r++) {
		uint64_t before = r == RSP ? s->rsp_before : loaded[i][r];
		if (s->gpr[r] != before)
			printf("repro:   %-4s 0x%" PRIx64 " -> 0x%" PRIx64 "\n", hcf_x86_gpr_name((unsigned)r), before, s->gpr[r]);
	}
	if ((s->rflags_before ^ s->rflags_after) & (HCF_RFLAGS_LOADABLE | HCF_X86_RFLAGS_DF))
		printf("repro:   rflags 0x%" PRIx64 " -> 0x%" PRIx64 "\n", s->rflags_before, s->rflags_after);
}

/* ---- main ------------------------------------------------------------------------ */

int main(void)
{
	struct vm v;
	vm_create(&v);
	load_guest(&v);
	const uint8_t *before = before_run(v.mem);
	struct run_result rr;
	run_guest(&v, &rr);
	rr.mem_before = before;
	print_platform(&v, &rr);
	const struct ctl *c = rr.ctl;
	if (rr.end != END_DONE && rr.inflight == 0 && c->cur >= rt_ncalls) {
		char stop[320];
		setup_error("the guest was lost before its first call (setup slot %" PRIu64 "): %s", c->cur,
			    stop_str(&rr, stop, sizeof(stop)));
	}
	print_call(&rr, rt_check_call);
	char msg[512];
	int verdict = check(&rr, msg, sizeof(msg));
	static const char *const verdict_name[] = {
		[NOT_REPRODUCED] = "NOT REPRODUCED", [REPRODUCED] = "REPRODUCED",
		[SETUP_ERROR] = "SETUP ERROR", [INCONCLUSIVE] = "INCONCLUSIVE",
	};
	printf("%s: %s\n", verdict_name[verdict], msg);
	return verdict;
}
