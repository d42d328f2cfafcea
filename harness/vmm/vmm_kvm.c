/*
 * vmm_kvm.c: the /dev/kvm backend of the in-process VMM.
 *
 * One VM, one vCPU, one RAM slot at GPA 0. Required capabilities are checked
 * up front from a table (kvmtool's habit) so a host that cannot run hcfuzz
 * says so in one sentence. Every KVM_RUN is bounded by a per-VM POSIX timer
 * aimed at the vCPU thread: its signal sets kvm_run.immediate_exit and breaks
 * KVM_RUN with EINTR, and the run's deadline (not the signal) decides whether
 * that was a hang, so a late signal can only cause a harmless re-entry.
 */
#include "vmm/vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hcf_proto.h"
#include "util/clock.h"
#include "util/interrupt.h"
#include "util/xalloc.h"
#include "vmm/kvm_machine.h"
#include "vmm/kvm_vcpu_state.h"
#include "vmm/x86_setup.h"

#define PAGE 4096ull

struct hcf_vmm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	struct hcf_gmem mem;
	struct hcf_vmm_config cfg;
	struct hcf_vmm_caps caps;
	timer_t timer;
	bool timer_ok;
	/* RAM slots: [lo, hi) of guest-physical memory each, logged or not */
	struct {
		uint64_t lo, hi;
		bool logged;
	} slots[3];
	unsigned nslots;
	/* dirty pages, one bit per page: since the last hcf_vmm_clear_dirty
	 * (what a run touched) and since the snapshot (what a restore copies) */
	uint64_t *dirty;
	uint64_t *dirty_snap;
	uint64_t *kvm_dirty;     /* scratch for KVM_GET_DIRTY_LOG */
	size_t dirty_words;
	/* snapshot: only the pages that were ever touched (mincore) are kept;
	 * every other page is zero, as the anonymous mapping started */
	uint8_t *snap_mem;       /* nsnap pages, packed */
	int32_t *snap_index;     /* per page: index into snap_mem, or -1 for a zero page */
	size_t nsnap;
	struct hcf_kvm_vcpu_state *snap_cpu; /* the vCPU's whole state at the snapshot */
	bool have_snap;
	/* KVM's dirty log was read since the last KVM_RUN: reading it again
	 * would find nothing (only a KVM_RUN or a restore writes guest memory
	 * behind the host's back) */
	bool log_fresh;
	/* what KVM finishes of the last exit in the next KVM_RUN may write guest
	 * memory (an IN, an MMIO read, string I/O) */
	bool completion_may_write;
	/* the last KVM_RUN refused the registers a restore left to it */
	bool restore_refused;
	uint64_t run_ns;         /* time inside KVM_RUN, for benchmarks */
};

/* ---- signals ------------------------------------------------------------ */

static __thread struct kvm_run *tls_run;
static pthread_once_t sig_once = PTHREAD_ONCE_INIT;

static int watchdog_signal(void)
{
	return SIGRTMIN + 2;
}

/* Make this thread's running KVM_RUN return (async-signal-safe): the
 * watchdog's signal and the interrupt breaker (a stop request). */
static void break_run(void)
{
	struct kvm_run *r = tls_run;
	if (r)
		r->immediate_exit = 1;
}

static void on_watchdog(int sig)
{
	(void)sig;
	break_run();
}

static void install_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_watchdog;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: KVM_RUN must come back with EINTR */
	sigaction(watchdog_signal(), &sa, NULL);
	hcf_interrupt_set_breaker(break_run);
}


/* ---- capabilities ------------------------------------------------------- */

int hcf_vmm_available(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "/dev/kvm: %s", strerror(errno));
		return -1;
	}
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (v != KVM_API_VERSION) {
		snprintf(why, len, "/dev/kvm: API version %d, hcfuzz needs %d", v, KVM_API_VERSION);
		return -1;
	}
	return 0;
}

static int check_caps(struct hcf_vmm *vm, char *err, size_t errlen)
{
	vm->caps.api_version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (vm->caps.api_version != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm: API version %d, hcfuzz needs %d", vm->caps.api_version,
			 KVM_API_VERSION);
		return -1;
	}
	const char *missing = hcf_km_missing_cap(vm->kvm_fd);
	if (missing) {
		snprintf(err, errlen, "/dev/kvm lacks %s", missing);
		return -1;
	}
	vm->caps.immediate_exit = true;
	int q = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2);
	vm->caps.disable_quirks2 = q > 0;
	return 0;
}

/* ---- CPUID -------------------------------------------------------------- */

static int set_cpuid(struct hcf_vmm *vm, char *err, size_t errlen)
{
	const char *what = "";
	if (hcf_km_set_cpuid(vm->kvm_fd, vm->vcpu_fd, vm->caps.vendor, &what) != 0) {
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- open / close ------------------------------------------------------- */

/*
 * Teardown threads and fork() do not mix: a child forked while one of them
 * holds the allocator's lock deadlocks on its first malloc (AFL++'s
 * forkserver forks a fuzzing process that had rebuilt a VM). Before any fork
 * this process makes, the teardowns in flight are waited for.
 */
static pthread_mutex_t closers_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t closers_done = PTHREAD_COND_INITIALIZER;
static unsigned closers;
static pthread_once_t closers_once = PTHREAD_ONCE_INIT;

static void wait_for_closers(void)
{
	pthread_mutex_lock(&closers_lock);
	while (closers)
		pthread_cond_wait(&closers_done, &closers_lock);
	pthread_mutex_unlock(&closers_lock);
}

static void register_atfork(void)
{
	pthread_atfork(wait_for_closers, NULL, NULL);
}

void hcf_vmm_wait_async_closes(void)
{
	wait_for_closers();
}

static void *close_thread(void *arg)
{
	hcf_vmm_close(arg);
	pthread_mutex_lock(&closers_lock);
	closers--;
	pthread_cond_broadcast(&closers_done);
	pthread_mutex_unlock(&closers_lock);
	return NULL;
}

void hcf_vmm_close_async(struct hcf_vmm *vm)
{
	if (!vm)
		return;
	/* What belongs to this thread is undone here: the watchdog timer aims
	 * at this thread, and its handler must never see an unmapped kvm_run. */
	if (vm->timer_ok) {
		timer_delete(vm->timer);
		vm->timer_ok = false;
	}
	if (tls_run == vm->run)
		tls_run = NULL;
	pthread_once(&closers_once, register_atfork);
	pthread_attr_t a;
	pthread_t t;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&closers_lock);
	closers++;
	pthread_mutex_unlock(&closers_lock);
	if (pthread_create(&t, &a, close_thread, vm) != 0) {
		pthread_mutex_lock(&closers_lock);
		closers--;
		pthread_mutex_unlock(&closers_lock);
		hcf_vmm_close(vm); /* no thread: close here */
	}
	pthread_attr_destroy(&a);
}

void hcf_vmm_close(struct hcf_vmm *vm)
{
	if (!vm)
		return;
	if (vm->timer_ok)
		timer_delete(vm->timer);
	if (tls_run == vm->run)
		tls_run = NULL;
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->mem.host)
		munmap(vm->mem.host, vm->mem.size);
	free(vm->snap_mem);
	free(vm->snap_index);
	hcf_kvm_vcpu_state_free(vm->snap_cpu);
	free(vm->dirty);
	free(vm->dirty_snap);
	free(vm->kvm_dirty);
	free(vm);
}

int hcf_vmm_open(struct hcf_vmm **out, const struct hcf_vmm_config *cfg, char *err, size_t errlen)
{
	pthread_once(&sig_once, install_handler);
	struct hcf_vmm *vm = hcf_xcalloc(1, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
	vm->cfg = *cfg;
	*out = NULL;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		snprintf(err, errlen, "cannot open /dev/kvm: %s", strerror(errno));
		goto fail;
	}
	if (check_caps(vm, err, errlen) != 0)
		goto fail;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	if (cfg->disable_fix_hypercall_quirk && vm->caps.disable_quirks2)
		vm->caps.fix_hypercall_quirk_disabled = hcf_km_disable_hypercall_quirk(vm->kvm_fd, vm->vm_fd);

	vm->mem.size = cfg->mem_size;
	void *host = mmap(NULL, cfg->mem_size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host == MAP_FAILED) {
		snprintf(err, errlen, "guest RAM (%llu bytes): %s", (unsigned long long)cfg->mem_size,
			 strerror(errno));
		goto fail;
	}
	vm->mem.host = host;
	/* Up to three slots over one host mapping: logged, unlogged, logged. */
	uint64_t nlo = cfg->nolog_lo & ~(PAGE - 1), nhi = (cfg->nolog_hi + PAGE - 1) & ~(PAGE - 1);
	if (!cfg->dirty_log || nhi <= nlo || nhi > cfg->mem_size)
		nlo = nhi = cfg->mem_size;
	uint64_t bounds[4] = { 0, nlo, nhi, cfg->mem_size };
	for (unsigned i = 0; i < 3; i++) {
		if (bounds[i + 1] <= bounds[i])
			continue;
		unsigned s = vm->nslots++;
		vm->slots[s].lo = bounds[i];
		vm->slots[s].hi = bounds[i + 1];
		vm->slots[s].logged = cfg->dirty_log && i != 1;
		struct kvm_userspace_memory_region region = {
			.slot = s,
			.flags = vm->slots[s].logged ? KVM_MEM_LOG_DIRTY_PAGES : 0,
			.guest_phys_addr = bounds[i],
			.memory_size = bounds[i + 1] - bounds[i],
			.userspace_addr = (uint64_t)(uintptr_t)host + bounds[i],
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
			snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
			goto fail;
		}
	}
	vm->caps.dirty_log = cfg->dirty_log;
	size_t npages = cfg->mem_size / PAGE;
	vm->dirty_words = (npages + 63) / 64;
	vm->dirty = hcf_xcalloc(vm->dirty_words, sizeof(uint64_t));
	vm->dirty_snap = hcf_xcalloc(vm->dirty_words, sizeof(uint64_t));
	vm->kvm_dirty = hcf_xcalloc(vm->dirty_words, sizeof(uint64_t));

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VCPU: %s", strerror(errno));
		goto fail;
	}
	int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run)) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", sz < 0 ? strerror(errno) : "too small");
		goto fail;
	}
	vm->run_size = (size_t)sz;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		snprintf(err, errlen, "mmap kvm_run: %s", strerror(errno));
		goto fail;
	}
	if (set_cpuid(vm, err, errlen) != 0)
		goto fail;

	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = watchdog_signal();
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &vm->timer) != 0) {
		snprintf(err, errlen, "watchdog timer: %s", strerror(errno));
		goto fail;
	}
	vm->timer_ok = true;
	*out = vm;
	return 0;
fail:
	hcf_vmm_close(vm);
	return -1;
}

const struct hcf_gmem *hcf_vmm_mem(const struct hcf_vmm *vm)
{
	return &vm->mem;
}

const struct hcf_vmm_caps *hcf_vmm_caps(const struct hcf_vmm *vm)
{
	return &vm->caps;
}

int hcf_vmm_setup_long_mode(struct hcf_vmm *vm, uint64_t entry, uint64_t rsp, char *err,
			    size_t errlen)
{
	if (hcf_x86_build_tables(&vm->mem) != 0) {
		snprintf(err, errlen, "guest RAM too small for page tables");
		return -1;
	}
	struct kvm_sregs s;
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		snprintf(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	hcf_x86_long_mode_sregs(&s);
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s) < 0) {
		snprintf(err, errlen, "KVM_SET_SREGS (long mode): %s", strerror(errno));
		return -1;
	}
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rsp = rsp;
	r.rflags = 0x2;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &r) < 0) {
		snprintf(err, errlen, "KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- running ------------------------------------------------------------ */

static void arm(struct hcf_vmm *vm, uint64_t deadline_ns)
{
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(deadline_ns % 1000000000ull);
	timer_settime(vm->timer, TIMER_ABSTIME, &its, NULL);
}

static void disarm(struct hcf_vmm *vm)
{
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	timer_settime(vm->timer, 0, &its, NULL);
}

/*
 * After every KVM_RUN: the guest may have written memory, and registers a
 * restore left in kvm_run are now put back, or were refused (EINVAL before
 * the guest ran: the restore cannot stand) and must never apply later.
 */
static void after_kvm_run(struct hcf_vmm *vm, int rc, int err)
{
	vm->log_fresh = false;
	/* A single OUT is finished by moving RIP at most; after a shutdown, a
	 * halt, an internal error or an interrupted run there is nothing to
	 * finish. Anything else may write memory when it is finished. */
	const struct kvm_run *run = vm->run;
	switch (rc < 0 ? KVM_EXIT_INTR : run->exit_reason) {
	case KVM_EXIT_IO:
		vm->completion_may_write = run->io.direction == KVM_EXIT_IO_IN || run->io.count != 1;
		break;
	case KVM_EXIT_SHUTDOWN:
	case KVM_EXIT_HLT:
	case KVM_EXIT_INTERNAL_ERROR:
	case KVM_EXIT_INTR:
		vm->completion_may_write = false;
		break;
	default:
		vm->completion_may_write = true;
	}
	if (vm->run->kvm_dirty_regs && rc < 0 && err == EINVAL)
		vm->restore_refused = true;
	vm->run->kvm_dirty_regs = 0;
}

uint64_t hcf_vmm_run_ns(const struct hcf_vmm *vm)
{
	return vm ? vm->run_ns : 0;
}

bool hcf_vmm_restore_refused(const struct hcf_vmm *vm)
{
	return vm && vm->restore_refused;
}

int hcf_vmm_spoil_snapshot(struct hcf_vmm *vm)
{
	return vm->have_snap ? hcf_kvm_vcpu_state_spoil(vm->snap_cpu) : -1;
}

/* Registers a restore left to the next KVM_RUN put back now, for the host
 * to read or set them. */
static int apply_left_registers(struct hcf_vmm *vm)
{
	return vm->run->kvm_dirty_regs ? hcf_vmm_complete_pending(vm) : 0;
}

int hcf_vmm_run(struct hcf_vmm *vm, unsigned timeout_ms, struct hcf_vx *vx)
{
	uint64_t deadline = hcf_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	arm(vm, deadline);
	for (;;) {
		tls_run = vm->run;
		if (hcf_interrupted())
			vm->run->immediate_exit = 1;
		uint64_t t0 = hcf_now_ns();
		int rc = ioctl(vm->vcpu_fd, KVM_RUN, 0);
		int e = errno;
		vm->run_ns += hcf_now_ns() - t0;
		vm->run->immediate_exit = 0;
		after_kvm_run(vm, rc, e);
		struct hcf_vx_input in = {
			.run = vm->run,
			.run_size = vm->run_size,
			.rc = rc,
			.err = e,
			.watchdog_expired = hcf_now_ns() >= deadline,
			.user_interrupt = hcf_interrupted(),
			.doorbell_port = HCF_PORT_DOORBELL,
			.debugcon_port = HCF_PORT_DEBUGCON,
		};
		hcf_kvm_classify(&in, vx);
		if (vm->restore_refused)
			snprintf(vx->detail, sizeof(vx->detail),
				 "KVM_RUN refused the registers of the restored vCPU: %s", strerror(e));
		if (vx->kind != HCF_VX_RESUME)
			break;
	}
	disarm(vm);
	return vx->kind == HCF_VX_HOST_ERROR ? -1 : 0;
}

void hcf_vmm_set_io_in(struct hcf_vmm *vm, const struct hcf_vx *vx, uint32_t value)
{
	/* data_offset and size were validated by the classifier */
	uint8_t *p = (uint8_t *)vm->run + vx->u.io.data_offset;
	for (uint32_t i = 0; i < vx->u.io.count; i++)
		memcpy(p + (size_t)i * vx->u.io.size, &value, vx->u.io.size);
}

void hcf_vmm_set_mmio_read(struct hcf_vmm *vm, const struct hcf_vx *vx, uint64_t value)
{
	uint32_t len = vx->u.mmio.len > 8 ? 8 : vx->u.mmio.len;
	memcpy(vm->run->mmio.data, &value, len);
}

int hcf_vmm_complete_pending(struct hcf_vmm *vm)
{
	/* KVM finishes a pending I/O or MMIO before it looks at immediate_exit. */
	bool log_fresh = vm->log_fresh && !vm->completion_may_write;
	vm->run->immediate_exit = 1;
	uint64_t t0 = hcf_now_ns();
	int rc = ioctl(vm->vcpu_fd, KVM_RUN, 0);
	int e = errno;
	vm->run_ns += hcf_now_ns() - t0;
	vm->run->immediate_exit = 0;
	after_kvm_run(vm, rc, e);
	/* the guest did not run: only finishing its last exit could have
	 * written memory */
	vm->log_fresh = log_fresh;
	errno = e;
	if (rc < 0 && e != EINTR)
		return -1;
	return 0;
}

/* kvm_regs field order differs from the x86 encoding order used everywhere else. */
#define KVM_GPRS(X) \
	X(HCF_RAX, rax) X(HCF_RCX, rcx) X(HCF_RDX, rdx) X(HCF_RBX, rbx) \
	X(HCF_RSP, rsp) X(HCF_RBP, rbp) X(HCF_RSI, rsi) X(HCF_RDI, rdi) \
	X(HCF_R8, r8) X(HCF_R9, r9) X(HCF_R10, r10) X(HCF_R11, r11) \
	X(HCF_R12, r12) X(HCF_R13, r13) X(HCF_R14, r14) X(HCF_R15, r15)

int hcf_vmm_get_gprs(struct hcf_vmm *vm, uint64_t gpr[16], uint64_t *rip, uint64_t *rflags)
{
	struct kvm_regs r;
	if (apply_left_registers(vm) != 0 || ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0)
		return -1;
#define GET(i, f) gpr[i] = r.f;
	KVM_GPRS(GET)
#undef GET
	if (rip)
		*rip = r.rip;
	if (rflags)
		*rflags = r.rflags;
	return 0;
}

int hcf_vmm_set_gprs(struct hcf_vmm *vm, const uint64_t gpr[16], uint64_t rip, uint64_t rflags)
{
	struct kvm_regs r;
#define SET(i, f) r.f = gpr[i];
	KVM_GPRS(SET)
#undef SET
	r.rip = rip;
	r.rflags = rflags;
	if (apply_left_registers(vm) != 0)
		return -1;
	return ioctl(vm->vcpu_fd, KVM_SET_REGS, &r) < 0 ? -1 : 0;
}

int hcf_vmm_msrs_unrestored(struct hcf_vmm *vm, uint32_t *idx, size_t max)
{
	if (!vm->snap_cpu)
		return -1;
	return hcf_kvm_vcpu_state_kept_changed(vm->snap_cpu, vm->vcpu_fd, idx, max);
}

/* ---- dirty pages, snapshot ---------------------------------------------- */

int hcf_vmm_collect_dirty(struct hcf_vmm *vm)
{
	if (!vm->cfg.dirty_log)
		return -1;
	if (vm->log_fresh)
		return 0;
	for (unsigned s = 0; s < vm->nslots; s++) {
		if (!vm->slots[s].logged)
			continue;
		struct kvm_dirty_log log;
		memset(&log, 0, sizeof(log));
		log.slot = s;
		log.dirty_bitmap = vm->kvm_dirty;
		size_t pages = (vm->slots[s].hi - vm->slots[s].lo) / PAGE;
		memset(vm->kvm_dirty, 0, (pages + 63) / 64 * sizeof(uint64_t));
		if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
			return -1;
		/* the slot's bit i is page lo/PAGE + i of the whole-RAM bitmap */
		size_t base = vm->slots[s].lo / PAGE;
		for (size_t w = 0; w * 64 < pages; w++)
			for (uint64_t bits = vm->kvm_dirty[w]; bits; bits &= bits - 1) {
				size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
				if (i >= pages)
					break;
				vm->dirty[(base + i) / 64] |= 1ull << ((base + i) % 64);
				vm->dirty_snap[(base + i) / 64] |= 1ull << ((base + i) % 64);
			}
	}
	vm->log_fresh = true;
	return 0;
}

const uint64_t *hcf_vmm_dirty_bitmap(const struct hcf_vmm *vm, size_t *npages)
{
	if (npages)
		*npages = vm->mem.size / PAGE;
	return vm->dirty;
}

void hcf_vmm_clear_dirty(struct hcf_vmm *vm)
{
	memset(vm->dirty, 0, vm->dirty_words * sizeof(uint64_t));
}

void hcf_vmm_note_host_write(struct hcf_vmm *vm, uint64_t gpa, uint64_t len)
{
	if (!len || gpa >= vm->mem.size)
		return;
	uint64_t end = len > vm->mem.size - gpa ? vm->mem.size : gpa + len;
	for (uint64_t pg = gpa / PAGE; pg * PAGE < end; pg++) {
		vm->dirty[pg / 64] |= 1ull << (pg % 64);
		vm->dirty_snap[pg / 64] |= 1ull << (pg % 64);
	}
}

int hcf_vmm_snapshot(struct hcf_vmm *vm, char *err, size_t errlen)
{
	if (hcf_vmm_complete_pending(vm) != 0) {
		snprintf(err, errlen, "completing the guest's last I/O: %s", strerror(errno));
		return -1;
	}
	if (!vm->snap_cpu)
		vm->snap_cpu = hcf_kvm_vcpu_state_new(vm->kvm_fd);
	if (hcf_kvm_vcpu_state_save(vm->snap_cpu, vm->vcpu_fd, err, errlen) != 0)
		return -1;
	/* A booted guest has touched a few dozen pages of its 8 MiB; copying
	 * only those makes a snapshot (at every boot) cheap. */
	size_t npages = vm->mem.size / PAGE;
	unsigned char *res = hcf_xmalloc(npages);
	if (mincore(vm->mem.host, vm->mem.size, res) != 0)
		memset(res, 1, npages); /* cannot tell: keep everything */
	free(vm->snap_index);
	vm->snap_index = hcf_xmalloc(npages * sizeof(*vm->snap_index));
	vm->nsnap = 0;
	for (size_t pg = 0; pg < npages; pg++)
		vm->snap_index[pg] = (res[pg] & 1) ? (int32_t)vm->nsnap++ : -1;
	free(vm->snap_mem);
	vm->snap_mem = hcf_xmalloc(vm->nsnap ? vm->nsnap * PAGE : 1);
	for (size_t pg = 0; pg < npages; pg++)
		if (vm->snap_index[pg] >= 0)
			memcpy(vm->snap_mem + (size_t)vm->snap_index[pg] * PAGE, vm->mem.host + pg * PAGE,
			       PAGE);
	free(res);
	/* start the log afresh: from now on it names exactly what to restore */
	if (vm->cfg.dirty_log) {
		hcf_vmm_collect_dirty(vm);
		hcf_vmm_clear_dirty(vm);
		memset(vm->dirty_snap, 0, vm->dirty_words * sizeof(uint64_t));
	}
	vm->have_snap = true;
	return 0;
}

void hcf_vmm_cpu_saved(const struct hcf_vmm *vm, struct hcf_vmm_cpu_saved *out)
{
	if (vm->snap_cpu)
		hcf_kvm_vcpu_state_summary(vm->snap_cpu, out);
	else
		memset(out, 0, sizeof(*out));
}

static const uint8_t zero_page[PAGE];

const uint8_t *hcf_vmm_snapshot_page(const struct hcf_vmm *vm, uint64_t gpa)
{
	if (!vm->have_snap || gpa >= vm->mem.size || vm->mem.size - gpa < PAGE)
		return NULL;
	int32_t i = vm->snap_index[gpa / PAGE];
	return i < 0 ? zero_page : vm->snap_mem + (size_t)i * PAGE;
}

/* Put page pg back as it was at the snapshot. */
static void restore_page(struct hcf_vmm *vm, size_t pg)
{
	uint8_t *dst = vm->mem.host + pg * PAGE;
	int32_t i = vm->snap_index[pg];
	if (i < 0)
		memset(dst, 0, PAGE);
	else
		memcpy(dst, vm->snap_mem + (size_t)i * PAGE, PAGE);
}

int hcf_vmm_restore(struct hcf_vmm *vm, uint64_t skip_lo, uint64_t skip_hi, bool cpu_too,
		    size_t *pages_copied)
{
	if (!vm->have_snap)
		return -1;
	/* registers are exact only once a pending I/O is complete; without
	 * them nothing is pending that matters (under PVM each of these
	 * ioctls costs about 7 us) */
	if (cpu_too && hcf_vmm_complete_pending(vm) != 0)
		return -1;
	size_t npages = vm->mem.size / PAGE, copied = 0;
	if (vm->cfg.dirty_log && hcf_vmm_collect_dirty(vm) == 0) {
		for (uint64_t pg = vm->cfg.frozen_lo / PAGE; pg * PAGE < vm->cfg.frozen_hi && pg < npages;
		     pg++)
			if (vm->dirty_snap[pg / 64] >> (pg % 64) & 1)
				return 1;
		for (size_t w = 0; w < vm->dirty_words; w++) {
			uint64_t bits = vm->dirty_snap[w];
			while (bits) {
				size_t pg = w * 64 + (size_t)__builtin_ctzll(bits);
				bits &= bits - 1;
				uint64_t gpa = pg * PAGE;
				if (pg >= npages || (gpa >= skip_lo && gpa < skip_hi))
					continue;
				restore_page(vm, pg);
				copied++;
			}
		}
		memset(vm->dirty_snap, 0, vm->dirty_words * sizeof(uint64_t));
		hcf_vmm_clear_dirty(vm);
	} else {
		/* no log: everything outside the skipped range */
		for (size_t pg = 0; pg < npages; pg++) {
			uint64_t gpa = pg * PAGE;
			if (gpa >= skip_lo && gpa < skip_hi)
				continue;
			restore_page(vm, pg);
			copied++;
		}
	}
	const char *failed;
	vm->restore_refused = false;
	if (cpu_too) {
		/* setting MSRs may write guest memory (KVM's wall clock) */
		vm->log_fresh = false;
		if (hcf_kvm_vcpu_state_restore(vm->snap_cpu, vm->vcpu_fd, vm->run, &failed) != 0)
			return -1;
	}
	if (pages_copied)
		*pages_copied = copied;
	return 0;
}
