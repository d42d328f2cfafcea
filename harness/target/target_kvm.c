/*
 * target_kvm.c: the "kvm" target, the in-process VMM on /dev/kvm.
 *
 * Boots the guest agent in a VM of its own (no QEMU), learns what hypervisor
 * is behind /dev/kvm from the agent's probe (CPUID, the PVM MSR), and runs
 * programs through the mailbox in batches of up to HCF_MBOX_MAX_CALLS calls
 * per doorbell. Everything the agent wrote is read through the checked
 * accessor and validated before it becomes a result. A guest that hangs, shuts
 * down, hits a KVM internal error or breaks the protocol gives the call it was
 * in a HANG or lost outcome; the VM is then torn down and rebuilt so the next
 * program starts clean.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hcf_proto.h"
#include "prog/layout.h"
#include "target/devices.h"
#include "target/target.h"
#include "util/fileio.h"
#include "util/x86.h"
#include "util/xalloc.h"
#include "vmm/elf.h"
#include "vmm/gmem.h"
#include "vmm/vmm.h"
#include "vmm/x86_setup.h"

extern const uint8_t hcf_agent_elf[], hcf_agent_elf_end[];


struct kvm_target {
	struct hcf_target base;
	struct hcf_target_opts opts;
	struct hcf_target_info info;
	struct hcf_vmm *vm;
	uint8_t *agent;            /* agent ELF image (owned when loaded from a file) */
	size_t agent_len;
	bool agent_owned;
	struct hcf_elf_info elf;
	uint64_t seq;
	unsigned watchdog_ms;
	uint8_t wire_xport;        /* the ABI's transport as the agent knows it */
	struct hcf_device dev;     /* what answers PIO/MMIO exits */
	struct hcf_layout layout;  /* the program's buffers, as placed */
	char console[256];         /* agent debug console tail */
	size_t console_len;
	uint8_t xmm_sentinel[16][16];
	bool known_pvm;            /* an earlier boot found PVM: rebuilds skip the probe's detour */
};

static struct kvm_target *K(struct hcf_target *t)
{
	return (struct kvm_target *)t;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const struct hcf_gmem *MEM(struct kvm_target *k)
{
	return hcf_vmm_mem(k->vm);
}

static volatile struct hcf_mbox *mbox(struct kvm_target *k)
{
	return hcf_gmem_at(MEM(k), hcf_gpa(HCF_GPA_MBOX), sizeof(struct hcf_mbox));
}

/* ---- boot ----------------------------------------------------------------- */

static void console_byte(struct kvm_target *k, uint8_t c)
{
	if (k->console_len + 1 >= sizeof(k->console)) {
		memmove(k->console, k->console + 64, k->console_len - 64);
		k->console_len -= 64;
	}
	k->console[k->console_len++] = (char)(c >= 0x20 && c < 0x7f ? c : (c == '\n' ? ' ' : '.'));
	k->console[k->console_len] = '\0';
}

/* Resolve the spec's transport to what the agent executes. */
static uint8_t wire_xport_for(const struct hcf_abi *abi, const char *vendor)
{
	const struct hcf_transport *t = &abi->transport;
	switch (t->kind) {
	case HCF_XPORT_VMCALL: return HCF_WX_VMCALL;
	case HCF_XPORT_VMMCALL: return HCF_WX_VMMCALL;
	case HCF_XPORT_NATIVE:
		return strcmp(vendor, "GenuineIntel") == 0 ? HCF_WX_VMCALL : HCF_WX_VMMCALL;
	case HCF_XPORT_INT: return HCF_WX_INT;
	case HCF_XPORT_SYSCALL: return HCF_WX_SYSCALL;
	case HCF_XPORT_HCPAGE: return HCF_WX_HCPAGE;
	case HCF_XPORT_PIO: return t->is_read ? HCF_WX_PIO_IN : HCF_WX_PIO_OUT;
	case HCF_XPORT_MMIO: return t->is_read ? HCF_WX_MMIO_READ : HCF_WX_MMIO_WRITE;
	default: return HCF_WX_NONE;
	}
}

/* Run until the agent rings READY (boot) and fill info from its probe. */
static int boot(struct kvm_target *k, char *err, size_t errlen)
{
	struct hcf_vmm_config cfg = {
		.mem_size = HCF_GUEST_MEM_SIZE,
		.dirty_log = true,
		.nolog_lo = HCF_GPA_MBOX,
		.nolog_hi = HCF_GPA_MBOX + HCF_MBOX_SIZE,
		.disable_fix_hypercall_quirk = !k->opts.keep_fix_hypercall_quirk,
	};
	if (hcf_vmm_open(&k->vm, &cfg, err, errlen) != 0)
		return -1;
	const struct hcf_gmem *m = MEM(k);
	if (hcf_elf_load(k->agent, k->agent_len, m, HCF_GPA_AGENT, HCF_GPA_AGENT + HCF_AGENT_MAX,
			 &k->elf, err, errlen) != 0)
		return -1;
	struct hcf_boot *b = hcf_gmem_at(m, hcf_gpa(HCF_GPA_BOOT), sizeof(*b));
	volatile struct hcf_mbox *mb = mbox(k);
	if (!b || !mb) {
		snprintf(err, errlen, "guest RAM too small for the boot block and mailbox");
		return -1;
	}
	memset(b, 0, sizeof(*b));
	b->magic = HCF_BOOT_MAGIC;
	b->version = HCF_PROTO_VERSION;
	b->flags = k->opts.pvm_emulated ? 0 : HCF_BOOT_PVM_NATIVE;
	if (k->known_pvm)
		b->flags |= HCF_BOOT_PVM_KNOWN;
	/* The IDT from the agent's own table of entry points: built here, it
	 * costs the agent no emulated loop under PVM. */
	uint64_t table;
	uint64_t handlers[256];
	if (hcf_elf_symbol(k->agent, k->agent_len, "hcf_exc_entry", &table) == 0 &&
	    hcf_gmem_read(m, hcf_gpa(table), handlers, sizeof(handlers)) == 0 &&
	    hcf_x86_build_idt(m, handlers) == 0)
		b->flags |= HCF_BOOT_IDT_READY;
	b->mbox_gpa = HCF_GPA_MBOX;
	b->vif_gpa = HCF_GPA_VIF;
	if (k->base.abi && k->base.abi->transport.kind == HCF_XPORT_HCPAGE) {
		b->flags |= HCF_BOOT_HCPAGE;
		b->hcpage_msr = k->base.abi->transport.hcpage_msr;
	}
	memset((void *)mb, 0, sizeof(*mb));
	mb->magic = HCF_MBOX_MAGIC;
	mb->version = HCF_PROTO_VERSION;
	memcpy((void *)mb->xmm_sentinel, k->xmm_sentinel, sizeof(k->xmm_sentinel));
	if (hcf_vmm_setup_long_mode(k->vm, k->elf.entry, HCF_GPA_STACK_HI, err, errlen) != 0)
		return -1;

	k->console_len = 0;
	k->console[0] = '\0';
	uint64_t deadline = now_ns() + (uint64_t)k->watchdog_ms * 1000000ull * 4;
	for (;;) {
		uint64_t now = now_ns();
		if (now >= deadline) {
			snprintf(err, errlen, "the agent did not boot within %u ms", k->watchdog_ms * 4);
			return -1;
		}
		struct hcf_vx vx;
		hcf_vmm_run(k->vm, (unsigned)((deadline - now) / 1000000ull) + 1, &vx);
		if (vx.kind == HCF_VX_DEBUGCON) {
			console_byte(k, (uint8_t)vx.u.io.value);
			continue;
		}
		if (vx.kind == HCF_VX_DOORBELL && vx.u.io.value == HCF_EV_READY)
			break;
		snprintf(err, errlen, "agent boot failed: %s%s%s", vx.detail,
			 k->console_len ? "; agent said: " : "", k->console);
		return -1;
	}
	/* The probe block is guest-written: copy and terminate before use. */
	struct hcf_boot probe;
	memcpy(&probe, b, sizeof(probe));
	struct hcf_target_info *ti = &k->info;
	memcpy(ti->cpu_vendor, probe.cpu_vendor, 12);
	ti->cpu_vendor[12] = '\0';
	memcpy(ti->hv_signature, probe.hv_signature, 12);
	ti->hv_signature[12] = '\0';
	for (int i = 0; i < 12; i++) {
		if (ti->cpu_vendor[i] && (ti->cpu_vendor[i] < 0x20 || ti->cpu_vendor[i] > 0x7e))
			ti->cpu_vendor[i] = '?';
		if (ti->hv_signature[i] && (ti->hv_signature[i] < 0x20 || ti->hv_signature[i] > 0x7e))
			ti->hv_signature[i] = '?';
	}
	ti->pvm = !probe.pvm_msr_faulted && probe.pvm_msr_value == HCF_PVM_ID_VALUE;
	k->known_pvm = ti->pvm;
	ti->native_mode = probe.native != 0;
	ti->rflags_captured = HCF_X86_RFLAGS_ARCH;
	if (ti->pvm && ti->native_mode)
		ti->rflags_captured &= ~HCF_X86_RFLAGS_IF;
	snprintf(ti->target, sizeof(ti->target), "kvm");
	if (ti->pvm)
		snprintf(ti->hypervisor, sizeof(ti->hypervisor), "pvm");
	else if (!strncmp(ti->hv_signature, "KVMKVMKVM", 9))
		snprintf(ti->hypervisor, sizeof(ti->hypervisor), "kvm");
	else
		snprintf(ti->hypervisor, sizeof(ti->hypervisor), "unknown");
	const struct hcf_vmm_caps *caps = hcf_vmm_caps(k->vm);
	ti->dirty_log = caps->dirty_log;
	ti->fix_hypercall_quirk_disabled = caps->fix_hypercall_quirk_disabled;
	if (k->base.abi)
		k->wire_xport = wire_xport_for(k->base.abi, ti->cpu_vendor);
	/*
	 * The snapshot is taken where the agent always is between programs:
	 * parked at its DONE doorbell after a command. Its code is
	 * deterministic, so its registers there are the same every time, and
	 * every call loads all registers itself: a reset then only has to put
	 * back the memory the guest dirtied, without the register ioctls.
	 */
	mb->cmd = HCF_CMD_EMPTY;
	mb->seq = ++k->seq;
	struct hcf_vx vx;
	hcf_vmm_run(k->vm, k->watchdog_ms, &vx);
	if (vx.kind != HCF_VX_DOORBELL || vx.u.io.value != HCF_EV_DONE || mb->ack_seq != k->seq) {
		snprintf(err, errlen, "the agent did not answer its first command: %s", vx.detail);
		return -1;
	}
	if (hcf_vmm_snapshot(k->vm) != 0) {
		snprintf(err, errlen, "cannot snapshot the booted guest");
		return -1;
	}
	return 0;
}

static int rebuild(struct kvm_target *k)
{
	char err[256];
	hcf_vmm_close_async(k->vm);
	k->vm = NULL;
	k->info.rebuilds++;
	if (boot(k, err, sizeof(err)) != 0) {
		fprintf(stderr, "hcfuzz: kvm: rebuilding the VM failed: %s\n", err);
		return -1;
	}
	return 0;
}

/* ---- running a program ------------------------------------------------- */

/* Lay the program's buffers out in the arena with guards (prog/layout.h). */
static int layout_bufs(struct kvm_target *k, const struct hcf_prog *p)
{
	char err[128];
	if (hcf_layout_place(p, &k->layout, err, sizeof(err)) != 0)
		return -1;
	for (size_t b = 0; b < p->nbufs; b++) {
		uint64_t total = (uint64_t)p->bufs[b].size + 2 * HCF_BUF_GUARD;
		uint8_t *dst = hcf_gmem_at(MEM(k), hcf_gpa(k->layout.buf_gva[b] - HCF_BUF_GUARD), total);
		if (!dst)
			return -1;
		hcf_layout_image(p, &k->layout, b, dst);
	}
	return 0;
}

/*
 * Calls the harness will not make: port I/O to the agent's own doorbell or
 * debug console, MMIO into guest RAM (it would be a plain store into the
 * agent's memory, not an exit). A spec does not declare these, but a raw
 * fuzzed call can aim anywhere. They are reported as not run, with this
 * reason, instead of corrupting the harness's channel. NULL: fine.
 */
static const char *refusal(const struct hcf_prog *p, const struct hcf_pcall *c)
{
	const struct hcf_transport *t = &p->abi->transport;
	uint64_t nr = hcf_pcall_nr(p, c);
	if (t->kind == HCF_XPORT_PIO) {
		uint16_t port = (uint16_t)(t->port_base + nr);
		if (port == HCF_PORT_DOORBELL || port == HCF_PORT_DEBUGCON)
			return "not run: the port is the harness's own (doorbell, debug console)";
	} else if (t->kind == HCF_XPORT_MMIO) {
		uint64_t addr = t->mmio_base + nr * t->mmio_scale;
		if (addr < HCF_GUEST_MEM_SIZE || addr + t->width < addr)
			return "not run: the MMIO address is guest RAM, where the access is no exit";
	}
	return NULL;
}

static bool wants_vec(const struct kvm_target *k, const struct hcf_pcall *c)
{
	return c->capture_vec && k->info.vec_ok;
}

/*
 * The register image the agent loads for call c, into the result's before[]
 * (the host's own copy: the guest may scribble over the mailbox) and into the
 * mailbox slot w. The rest of the result is reset to "not run".
 */
static void marshal(struct kvm_target *k, const struct hcf_prog *p, const struct hcf_pcall *c,
		    struct hcf_wire_call *w, struct hcf_call_result *cr)
{
	const struct hcf_transport *t = &p->abi->transport;
	uint64_t *g = cr->before, target;
	hcf_layout_call_image(p, &k->layout, (size_t)(c - p->calls), g, &target);
	w->xport = refusal(p, c) ? HCF_WX_NONE : k->wire_xport;
	w->width = t->width;
	w->vector = t->vector;
	w->flags = (uint8_t)((wants_vec(k, c) ? HCF_CALL_VEC : 0) | (k->opts.timing ? HCF_CALL_TSC : 0));
	w->reserved = 0;
	w->target = target;
	w->rflags = c->rflags & HCF_RFLAGS_LOADABLE;
	memcpy(w->gpr, g, sizeof(w->gpr));

	cr->outcome = HCF_CO_NOT_RUN;
	cr->lost_why = HCF_LIVE_OK;
	cr->vector = 0;
	cr->has_vec = false;
	cr->vec = NULL;
	cr->detail = NULL;
	cr->rflags_before = cr->rflags_after = 0;
	cr->error_code = cr->fault_rip = cr->cr2 = 0;
	cr->tsc_delta = 0;
}

/* detail must outlive the result: the program result's detail or a literal. */
static void mark_lost(struct hcf_call_result *cr, enum hcf_call_outcome o, enum hcf_liveness why,
		      const char *detail)
{
	cr->outcome = o;
	cr->lost_why = why;
	cr->detail = detail;
	memcpy(cr->after, cr->before, sizeof(cr->after)); /* nothing trustworthy came back */
}

/* Map a fatal exit to a liveness state. */
static enum hcf_liveness liveness_for(enum hcf_vx_kind kind)
{
	switch (kind) {
	case HCF_VX_HANG: return HCF_LIVE_HANG;
	case HCF_VX_SHUTDOWN: return HCF_LIVE_SHUTDOWN;
	case HCF_VX_INTERNAL_ERROR: return HCF_LIVE_INTERNAL_ERROR;
	case HCF_VX_ENTRY_FAILED: return HCF_LIVE_ENTRY_FAILED;
	case HCF_VX_HOST_ERROR:
	case HCF_VX_INTERRUPTED: return HCF_LIVE_HARNESS;
	default: return HCF_LIVE_UNEXPECTED_EXIT;
	}
}

static bool in_agent_code(uint64_t rip)
{
	return rip >= HCF_GPA_AGENT && rip < HCF_GPA_AGENT + HCF_AGENT_MAX;
}

/* How long a guest that made no progress runs again to see whether it
 * executes at all. */
#define RUNAWAY_SAMPLE_MS 20u

/*
 * The agent made no progress: is the vCPU frozen (the hypervisor livelocked,
 * or the agent stuck in a call: a HANG, never excused), or does it execute
 * code outside the agent, a guest that ran away into bytes of its own? Run
 * it a little longer and compare: any exit, or any register that changed,
 * means it executes. A vCPU at a jump to itself executes too, though its
 * registers never change; the bytes are read at rip as a guest-physical
 * address, which the agent's identity map makes them. *how says which.
 */
static bool runs_away(struct kvm_target *k, const uint64_t gpr[HCF_NGPR], uint64_t rip,
		      uint64_t rflags, const char **how)
{
	if (in_agent_code(rip))
		return false;
	static const uint8_t jmp_self8[] = { 0xeb, 0xfe };
	static const uint8_t jmp_self32[] = { 0xe9, 0xfb, 0xff, 0xff, 0xff };
	const uint8_t *code = hcf_gmem_at(MEM(k), hcf_gpa(rip), sizeof(jmp_self32));
	if (code && (!memcmp(code, jmp_self8, sizeof(jmp_self8)) ||
		     !memcmp(code, jmp_self32, sizeof(jmp_self32)))) {
		*how = "a jump to itself there: the guest loops in code of its own";
		return true;
	}
	struct hcf_vx vx;
	if (hcf_vmm_run(k->vm, RUNAWAY_SAMPLE_MS, &vx) != 0)
		return false;
	if (vx.kind != HCF_VX_HANG) {
		*how = "it still executes (it exits to the host), outside the agent";
		return true;
	}
	uint64_t gpr2[HCF_NGPR], rip2, rflags2;
	if (hcf_vmm_get_gprs(k->vm, gpr2, &rip2, &rflags2) != 0)
		return false;
	if (rip2 == rip && rflags2 == rflags && !memcmp(gpr, gpr2, sizeof(gpr2))) {
		*how = "its registers did not change while it ran again: the vCPU is frozen";
		return false;
	}
	*how = "its registers keep changing: it executes outside the agent";
	return true;
}

/* Copy and validate the agent's results for calls [first, first + n). */
static void collect(struct kvm_target *k, const struct hcf_prog *p, size_t first, uint32_t n,
		    uint64_t seq, struct hcf_prog_result *r)
{
	const struct hcf_gmem *m = MEM(k);
	for (uint32_t i = 0; i < n; i++) {
		struct hcf_call_result *cr = &r->calls[first + i];
		struct hcf_wire_result w;
		uint64_t at = HCF_GPA_MBOX + HCF_MBOX_RESULTS_OFF + (uint64_t)i * sizeof(w);
		if (hcf_gmem_read(m, hcf_gpa(at), &w, sizeof(w)) != 0 || w.seq != (seq ^ i) ||
		    (w.outcome != HCF_WO_RETURNED && w.outcome != HCF_WO_EXCEPTION) ||
		    (w.outcome == HCF_WO_EXCEPTION && w.vector > 255)) {
			mark_lost(cr, HCF_CO_BAD_RESULT, HCF_LIVE_PROTOCOL,
				  "the result slot does not hold a fresh, well-formed result");
			continue;
		}
		const char *refused = refusal(p, &p->calls[first + i]);
		if (refused) {
			/* the agent ran no instruction: there is nothing to judge */
			cr->outcome = HCF_CO_NOT_RUN;
			cr->detail = refused;
			memcpy(cr->after, cr->before, sizeof(cr->after));
			continue;
		}
		cr->before[HCF_RSP] = w.rsp_before;
		memcpy(cr->after, w.gpr, sizeof(cr->after));
		cr->rflags_before = w.rflags_before;
		cr->rflags_after = w.rflags_after;
		cr->tsc_delta = w.tsc_delta;
		if (w.outcome == HCF_WO_EXCEPTION) {
			cr->outcome = HCF_CO_EXCEPTION;
			cr->vector = (uint8_t)w.vector;
			cr->error_code = w.error_code;
			cr->fault_rip = w.fault_rip;
			cr->cr2 = w.cr2;
		} else {
			cr->outcome = HCF_CO_RETURNED;
		}
		if (wants_vec(k, &p->calls[first + i])) {
			uint64_t vat = HCF_GPA_MBOX + HCF_MBOX_VEC_OFF + (uint64_t)i * sizeof(struct hcf_wire_vec);
			struct hcf_call_vec *cv = hcf_result_vec_slot(r, first + i);
			if (cv && hcf_gmem_read(m, hcf_gpa(vat), &cv->after, sizeof(cv->after)) == 0) {
				memcpy(&cv->before, k->xmm_sentinel, sizeof(cv->before));
				cr->vec = cv;
				cr->has_vec = true;
			}
		}
	}
}

/*
 * How many calls of the batch finished, from the result slots themselves:
 * the agent reports progress only every 64 calls, but writes each slot's seq
 * tag right after its call. nd is a lower bound (the agent's ndone).
 */
static uint32_t calls_finished(struct kvm_target *k, uint64_t seq, uint32_t nd, uint32_t n)
{
	const struct hcf_gmem *m = MEM(k);
	while (nd < n) {
		uint64_t tag;
		uint64_t at = HCF_GPA_MBOX + HCF_MBOX_RESULTS_OFF +
			      (uint64_t)nd * sizeof(struct hcf_wire_result) +
			      offsetof(struct hcf_wire_result, seq);
		if (hcf_gmem_read(m, hcf_gpa(at), &tag, sizeof(tag)) != 0 || tag != (seq ^ nd))
			break;
		nd++;
	}
	return nd;
}

/*
 * Run one mailbox batch: calls [first, first + n) of p. Returns the number
 * of calls finished; when the guest is lost, marks the call it was in and
 * returns with *lost set.
 */
static size_t run_batch(struct kvm_target *k, const struct hcf_prog *p, size_t first, uint32_t n,
			struct hcf_prog_result *r, bool *lost, int *harness_err)
{
	const struct hcf_gmem *m = MEM(k);
	struct hcf_wire_call *wc = hcf_gmem_at(m, hcf_gpa(HCF_GPA_MBOX + HCF_MBOX_CALLS_OFF),
					      (uint64_t)n * sizeof(struct hcf_wire_call));
	volatile struct hcf_mbox *mb = mbox(k);
	*lost = false;
	*harness_err = 0;
	if (!wc || !mb) {
		*harness_err = 1;
		return 0;
	}
	for (uint32_t i = 0; i < n; i++)
		marshal(k, p, &p->calls[first + i], &wc[i], &r->calls[first + i]);

	uint64_t seq = ++k->seq;
	mb->cmd = HCF_CMD_BATCH;
	mb->ncalls = n;
	mb->seq = seq;
	mb->ack_seq = 0;
	mb->ndone = 0;

	/* The watchdog measures progress: a guest that keeps exiting (a PIO
	 * device in a loop, repeated HLT) without finishing calls also hangs. */
	uint32_t last_done = 0;
	uint64_t last_progress = now_ns();
	const uint64_t budget = (uint64_t)k->watchdog_ms * 1000000ull;
	size_t done = 0;
	for (;;) {
		uint64_t now = now_ns();
		uint64_t left = now - last_progress >= budget ? 0 : budget - (now - last_progress);
		struct hcf_vx vx;
		if (left == 0) {
			vx.kind = HCF_VX_HANG;
			snprintf(vx.detail, sizeof(vx.detail), "no progress within %u ms", k->watchdog_ms);
		} else {
			hcf_vmm_run(k->vm, (unsigned)(left / 1000000ull) + 1, &vx);
		}
		uint32_t nd = mb->ndone;
		if (nd > n)
			nd = n; /* guest-written; a lie only shortens what we trust */
		if (nd != last_done) {
			last_done = nd;
			last_progress = now_ns();
		}
		switch (vx.kind) {
		case HCF_VX_DOORBELL:
			if (vx.u.io.value == HCF_EV_DONE) {
				uint32_t ndone = mb->ndone;
				if (mb->ack_seq != seq || ndone != n) {
					nd = calls_finished(k, seq, nd, n);
					collect(k, p, first, nd, seq, r);
					done = nd;
					if (first + nd < r->ncalls)
						mark_lost(&r->calls[first + nd], HCF_CO_BAD_RESULT, HCF_LIVE_PROTOCOL,
							  "the agent reported a batch it did not finish");
					r->liveness = HCF_LIVE_PROTOCOL;
					snprintf(r->detail, sizeof(r->detail),
						 "mailbox: ack %llu for batch %llu, %u of %u calls done",
						 (unsigned long long)mb->ack_seq, (unsigned long long)seq, ndone, n);
					*lost = true;
					goto out;
				}
				collect(k, p, first, n, seq, r);
				done = n;
				goto out;
			}
			if (vx.u.io.value == HCF_EV_PANIC) {
				nd = calls_finished(k, seq, nd, n);
				snprintf(r->detail, sizeof(r->detail),
					 "agent panic: vector %u at rip 0x%llx (error 0x%llx, cr2 0x%llx)",
					 mb->panic_vector, (unsigned long long)mb->panic_rip,
					 (unsigned long long)mb->panic_error_code,
					 (unsigned long long)mb->panic_cr2);
				collect(k, p, first, nd, seq, r);
				done = nd;
				if (first + nd < r->ncalls)
					mark_lost(&r->calls[first + nd], HCF_CO_GUEST_LOST, HCF_LIVE_AGENT_PANIC,
						  r->detail);
				r->liveness = HCF_LIVE_AGENT_PANIC;
				*lost = true;
				goto out;
			}
			/* READY or garbage: the agent restarted or lies */
			vx.kind = HCF_VX_UNEXPECTED;
			snprintf(vx.detail, sizeof(vx.detail), "unexpected doorbell 0x%08x during a batch",
				 vx.u.io.value);
			break;
		case HCF_VX_DEBUGCON:
			console_byte(k, (uint8_t)vx.u.io.value);
			continue;
		case HCF_VX_PIO:
			if (hcf_device_pio(&k->dev, k->vm, &vx) != 0) {
				*harness_err = 1;
				goto out;
			}
			continue;
		case HCF_VX_MMIO:
			if (hcf_device_mmio(&k->dev, k->vm, &vx) != 0) {
				*harness_err = 1;
				goto out;
			}
			continue;
		case HCF_VX_HLT:
			/* a halting hypercall (PVM 0x1009) or hlt: nothing will wake the
			 * vCPU but us; re-enter, the watchdog bounds a halt loop */
			continue;
		case HCF_VX_HYPERCALL:
			/* this VMM implements no userspace hypercalls */
			continue;
		default:
			break;
		}
		/* The guest is lost (or the host failed): the call in flight is the culprit. */
		nd = calls_finished(k, seq, nd, n);
		collect(k, p, first, nd, seq, r);
		done = nd;
		enum hcf_liveness lv = liveness_for(vx.kind);
		if (lv == HCF_LIVE_HARNESS) {
			*harness_err = 1;
			r->liveness = HCF_LIVE_HARNESS;
			snprintf(r->detail, sizeof(r->detail), "%s", vx.detail);
			goto out;
		}
		/* where a guest that made no progress was: in the agent's code
		 * around the hypercall (waiting on the hypervisor) or elsewhere
		 * (running wild) is the first thing a developer asks */
		char where[160] = "";
		uint64_t gpr[HCF_NGPR], rip, rflags;
		bool have_regs = hcf_vmm_get_gprs(k->vm, gpr, &rip, &rflags) == 0;
		if (lv == HCF_LIVE_HANG && have_regs) {
			const char *how = NULL;
			if (runs_away(k, gpr, rip, rflags, &how))
				lv = HCF_LIVE_RUNAWAY;
			snprintf(where, sizeof(where), "; guest rip 0x%llx (%s), rsp 0x%llx%s%s",
				 (unsigned long long)rip,
				 in_agent_code(rip) ? "the agent's code" : "outside the agent's code",
				 (unsigned long long)gpr[HCF_RSP], how ? ": " : "", how ? how : "");
		} else if (lv == HCF_LIVE_INTERNAL_ERROR && have_regs) {
			/* the instruction KVM gave up on, read at rip as a
			 * guest-physical address (the agent's identity map) */
			const uint8_t *code = hcf_gmem_at(MEM(k), hcf_gpa(rip), 8);
			if (code)
				snprintf(where, sizeof(where),
					 "; bytes at rip: %02x %02x %02x %02x %02x %02x %02x %02x",
					 code[0], code[1], code[2], code[3], code[4], code[5], code[6],
					 code[7]);
		}
		snprintf(r->detail, sizeof(r->detail), "%s%s%s%s", vx.detail, where,
			 k->console_len ? "; agent said: " : "", k->console);
		if (first + nd < r->ncalls) {
			struct hcf_call_result *cr = &r->calls[first + nd];
			mark_lost(cr, lv == HCF_LIVE_HANG ? HCF_CO_HANG : HCF_CO_GUEST_LOST, lv, r->detail);
			/* where it was: evidence, and what a known anomaly may name */
			cr->has_lost_rip = have_regs;
			cr->lost_rip = have_regs ? rip : 0;
		}
		r->liveness = lv;
		*lost = true;
		goto out;
	}
out:
	return done;
}

/*
 * Where the agent writes after the snapshot: its stacks and its writable
 * segments. Changes there are its own (reported only after a lost guest, as
 * evidence for what a call pointed at). The mailbox (outside the dirty log),
 * the arena (judged buffer by buffer) and the VIF page (the hypervisor's by
 * registration) are not judged page by page. Everything else (boot block,
 * GDT, IDT, hypercall page, page tables, code) nobody may change.
 */
static bool page_agent_writes(const struct kvm_target *k, uint64_t gpa)
{
	if (gpa >= HCF_GPA_STACK_LO && gpa < HCF_GPA_XSTACK_HI)
		return true;
	for (size_t s = 0; s < k->elf.nsegs; s++)
		if (k->elf.segs[s].writable && gpa >= k->elf.segs[s].lo && gpa < k->elf.segs[s].hi)
			return true;
	return false;
}

static bool page_not_judged(uint64_t gpa)
{
	return (gpa >= HCF_GPA_VIF && gpa < HCF_GPA_VIF + 0x1000) ||
	       (gpa >= HCF_GPA_MBOX && gpa < HCF_GPA_MBOX + HCF_MBOX_SIZE) ||
	       (gpa >= HCF_GPA_ARENA && gpa < HCF_GPA_ARENA + HCF_ARENA_SIZE);
}

/* One dirtied page against the snapshot: kept when a byte moved. "Dirty"
 * alone is not enough: PVM was seen to mark an untouched agent code page
 * dirty once after the switch to native mode. */
static void note_page(struct kvm_target *k, struct hcf_prog_result *r, uint64_t gpa,
		      bool agent_writes)
{
	const uint8_t *was = hcf_vmm_snapshot_page(k->vm, gpa);
	const uint8_t *now = hcf_gmem_at(MEM(k), hcf_gpa(gpa), 4096);
	if (!was || !now || memcmp(was, now, 4096) == 0)
		return;
	if (agent_writes && r->npages >= HCF_MAX_PAGE_CHANGES)
		return; /* evidence only: never crowd out a stray page's count */
	struct hcf_page_change *pc = hcf_result_page_slot(r);
	if (!pc)
		return;
	pc->gpa = gpa;
	pc->agent_writes = agent_writes;
	memcpy(pc->was, was, 4096);
	memcpy(pc->now, now, 4096);
	for (unsigned i = 0; i < 4096; i++)
		if (was[i] != now[i]) {
			pc->changed[i / 64] |= 1ull << (i % 64);
			pc->nchanged++;
		}
}

/*
 * The pages the program changed, from the dirty log: every stray page, and
 * after a lost guest (with_agent) the agent's own pages too, for the
 * liveness oracle's question whether a call had the hypervisor write there.
 */
static void find_changed_pages(struct kvm_target *k, struct hcf_prog_result *r, bool with_agent)
{
	if (hcf_vmm_collect_dirty(k->vm) != 0)
		return;
	size_t npages;
	const uint64_t *bm = hcf_vmm_dirty_bitmap(k->vm, &npages);
	r->pages_checked = true;
	for (int pass = 0; pass < (with_agent ? 2 : 1); pass++)
		for (size_t pg = 0; pg < npages; pg++) {
			if (!(bm[pg / 64] >> (pg % 64) & 1))
				continue;
			uint64_t gpa = (uint64_t)pg * 4096;
			if (page_not_judged(gpa) || page_agent_writes(k, gpa) != (pass == 1))
				continue;
			note_page(k, r, gpa, pass == 1);
		}
	/* the next run is judged on its own writes */
	hcf_vmm_clear_dirty(k->vm);
}

static void read_bufs(struct kvm_target *k, const struct hcf_prog *p, struct hcf_prog_result *r)
{
	r->nbufs = p->nbufs;
	r->guard_byte = HCF_GUARD_BYTE;
	for (size_t b = 0; b < p->nbufs; b++) {
		uint32_t total = p->bufs[b].size + 2 * HCF_BUF_GUARD;
		uint8_t *bytes = hcf_result_buf_storage(r, b, p->bufs[b].size, k->layout.buf_gva[b]);
		r->bufs[b].valid = hcf_gmem_read(MEM(k), hcf_gpa(k->layout.buf_gva[b] - HCF_BUF_GUARD), bytes,
						 total) == 0;
	}
}

/* Calls no batch reached: "not run", with the registers the program asked for. */
static void init_unreached(const struct hcf_prog *p, struct hcf_prog_result *r, size_t from)
{
	for (size_t i = from; i < p->ncalls; i++)
		hcf_call_result_init(&r->calls[i], p->calls[i].gpr);
}

static int kvm_run(struct hcf_target *t, const struct hcf_prog *p, struct hcf_prog_result *r)
{
	struct kvm_target *k = K(t);
	uint64_t t0 = now_ns();
	hcf_result_reserve(r, p->ncalls);
	if (!k->vm && rebuild(k) != 0) {
		init_unreached(p, r, 0);
		r->liveness = HCF_LIVE_HARNESS;
		snprintf(r->detail, sizeof(r->detail), "no VM: rebuilding failed");
		return -1;
	}
	if (p->abi != t->abi) {
		init_unreached(p, r, 0);
		r->liveness = HCF_LIVE_HARNESS;
		snprintf(r->detail, sizeof(r->detail), "program for ABI %s on a target opened for %s",
			 p->abi ? p->abi->name : "?", t->abi ? t->abi->name : "?");
		return -1;
	}
	if (layout_bufs(k, p) != 0) {
		init_unreached(p, r, 0);
		r->liveness = HCF_LIVE_HARNESS;
		snprintf(r->detail, sizeof(r->detail), "the program's buffers do not fit the arena");
		return -1;
	}
	size_t first = 0;
	bool lost = false;
	int herr = 0;
	while (first < p->ncalls) {
		uint32_t n = (uint32_t)(p->ncalls - first > HCF_MBOX_MAX_CALLS ? HCF_MBOX_MAX_CALLS :
										 p->ncalls - first);
		size_t done = run_batch(k, p, first, n, r, &lost, &herr);
		r->ndone = first + done;
		if (lost || herr) {
			/* the batch's calls after the loss were marshalled, not run */
			for (size_t i = r->ndone; i < first + n; i++)
				if (r->calls[i].outcome == HCF_CO_NOT_RUN)
					memcpy(r->calls[i].after, r->calls[i].before,
					       sizeof(r->calls[i].after));
			first += n;
			break;
		}
		first += n;
	}
	init_unreached(p, r, first);
	/* a lost guest's memory is still there to read: its buffers and pages
	 * are judged like any other (the memory oracle), and its own pages are
	 * the evidence of what a call had the hypervisor write */
	if (!herr)
		find_changed_pages(k, r, lost);
	read_bufs(k, p, r);
	r->seconds = (double)(now_ns() - t0) / 1e9;
	if (herr) {
		if (r->liveness == HCF_LIVE_OK)
			r->liveness = HCF_LIVE_HARNESS;
		hcf_vmm_close(k->vm);
		k->vm = NULL;
		return -1;
	}
	/* A lost guest, or one a destructive call may have reconfigured behind
	 * the snapshot's back (CR0, GDT, MSRs, PVM state), is rebuilt. */
	if (lost || hcf_prog_has_destructive(p)) {
		if (rebuild(k) != 0)
			return -1;
	}
	return 0;
}

static int kvm_reset(struct hcf_target *t)
{
	struct kvm_target *k = K(t);
	if (!k->vm)
		return rebuild(k);
	size_t pages;
	/* the agent is parked at its doorbell, as it was at the snapshot:
	 * memory is all that changed (a program that could have changed more
	 * was followed by a rebuild) */
	if (hcf_vmm_restore(k->vm, HCF_GPA_MBOX, HCF_GPA_MBOX + HCF_MBOX_SIZE, false, &pages) != 0)
		return rebuild(k);
	k->info.resets++;
	k->info.pages_restored += pages;
	return 0;
}

static void kvm_close(struct hcf_target *t)
{
	struct kvm_target *k = K(t);
	if (!k)
		return;
	hcf_vmm_close(k->vm);
	if (k->agent_owned)
		free(k->agent);
	free(k);
}

static const struct hcf_target_info *kvm_info(struct hcf_target *t)
{
	return &K(t)->info;
}

/* One command round trip without calls: the ceiling of this VM. */
static int kvm_empty_round_trip(struct hcf_target *t, double *seconds)
{
	struct kvm_target *k = K(t);
	volatile struct hcf_mbox *mb = mbox(k);
	uint64_t seq = ++k->seq;
	uint64_t t0 = now_ns();
	mb->cmd = HCF_CMD_EMPTY;
	mb->seq = seq;
	struct hcf_vx vx;
	hcf_vmm_run(k->vm, k->watchdog_ms, &vx);
	*seconds = (double)(now_ns() - t0) / 1e9;
	return vx.kind == HCF_VX_DOORBELL && vx.u.io.value == HCF_EV_DONE && mb->ack_seq == seq ? 0 : -1;
}

/* The first call of p, issued `iterations` times in a bare loop in the guest. */
static int kvm_raw_loop(struct hcf_target *t, const struct hcf_prog *p, uint64_t iterations,
			double *seconds)
{
	struct kvm_target *k = K(t);
	if (!p->ncalls || layout_bufs(k, p) != 0)
		return -1;
	struct hcf_wire_call *wc = hcf_gmem_at(MEM(k), hcf_gpa(HCF_GPA_MBOX + HCF_MBOX_CALLS_OFF),
					      sizeof(*wc));
	volatile struct hcf_mbox *mb = mbox(k);
	struct hcf_call_result scratch;
	marshal(k, p, &p->calls[0], wc, &scratch);
	wc->flags = 0;
	uint64_t seq = ++k->seq;
	mb->cmd = HCF_CMD_RAW_LOOP;
	mb->raw_iterations = iterations;
	mb->seq = seq;
	uint64_t t0 = now_ns();
	struct hcf_vx vx;
	for (;;) {
		hcf_vmm_run(k->vm, k->watchdog_ms * 10, &vx);
		if (vx.kind == HCF_VX_HLT || vx.kind == HCF_VX_DEBUGCON)
			continue;
		break;
	}
	*seconds = (double)(now_ns() - t0) / 1e9;
	return vx.kind == HCF_VX_DOORBELL && vx.u.io.value == HCF_EV_DONE && mb->ack_seq == seq ? 0 : -1;
}

static void fill_notes(struct kvm_target *k)
{
	struct hcf_target_info *ti = &k->info;
	snprintf(ti->notes, sizeof(ti->notes),
		 "hypervisor %s (CPUID vendor %s, signature \"%s\"%s); agent %s; KVM FIX_HYPERCALL_INSN "
		 "quirk %s; dirty-page log %s; vector capture %s; responder %s",
		 ti->hypervisor, ti->cpu_vendor, ti->hv_signature,
		 ti->pvm ? ", PVM MSR 0x4b564d11 = \"PVM\"" : "",
		 ti->pvm ? (ti->native_mode ? "runs natively (VIF page registered)" :
					      "runs in PVM's instruction emulator") :
			   "runs in hardware-assisted mode",
		 ti->fix_hypercall_quirk_disabled ? "disabled" : "left on",
		 ti->dirty_log ? "on (stray writes detected)" : "off",
		 ti->vec_ok ? "on" : "off", k->dev.name);
}

/* Try vector capture once: if SSE kills the guest here, leave it off. */
static void probe_vec(struct kvm_target *k)
{
	k->info.vec_ok = false;
	if (!k->opts.want_vec)
		return;
	if (k->info.pvm && !k->info.native_mode)
		return; /* PVM's emulator kills the guest on most SSE */
	k->info.vec_ok = true;
	struct hcf_prog p;
	hcf_prog_init(&p, k->base.abi);
	struct hcf_pcall *c = hcf_prog_add_call(&p, -1, 0);
	struct hcf_prog_result r;
	hcf_result_init(&r, 1);
	uint8_t saved = k->wire_xport;
	k->wire_xport = HCF_WX_NONE;
	if (c)
		c->capture_vec = true;
	int rc = c ? kvm_run(&k->base, &p, &r) : -1;
	k->wire_xport = saved;
	k->info.vec_ok = rc == 0 && r.ncalls == 1 && r.calls[0].outcome == HCF_CO_RETURNED &&
			 r.calls[0].has_vec &&
			 !memcmp(&r.calls[0].vec->after, k->xmm_sentinel, sizeof(k->xmm_sentinel));
	hcf_result_free(&r);
	hcf_prog_free(&p);
	kvm_reset(&k->base);
}

static int kvm_open(struct hcf_target **out, const struct hcf_abi *abi,
		    const struct hcf_target_opts *opts, char *err, size_t errlen);

const struct hcf_target_ops hcf_target_kvm_ops = {
	.name = "kvm",
	.summary = "in-process VMM on /dev/kvm (hardware KVM or PVM), no QEMU",
	.open = kvm_open,
	.run = kvm_run,
	.reset = kvm_reset,
	.close = kvm_close,
	.info = kvm_info,
	.raw_loop = kvm_raw_loop,
	.empty_round_trip = kvm_empty_round_trip,
};

static int kvm_open(struct hcf_target **out, const struct hcf_abi *abi,
		    const struct hcf_target_opts *opts, char *err, size_t errlen)
{
	*out = NULL;
	struct kvm_target *k = hcf_xcalloc(1, sizeof(*k));
	k->base.ops = &hcf_target_kvm_ops;
	k->base.abi = abi;
	k->opts = *opts;
	k->watchdog_ms = opts->watchdog_ms ? opts->watchdog_ms : HCF_WATCHDOG_DEFAULT_MS;
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			k->xmm_sentinel[i][j] = (uint8_t)(0xc0 + i) ^ (uint8_t)(j * 0x11);
	if (opts->agent_path) {
		k->agent = (uint8_t *)hcf_read_file(opts->agent_path, 16u << 20, &k->agent_len);
		if (!k->agent) {
			snprintf(err, errlen, "agent %s: %s", opts->agent_path, strerror(errno));
			free(k);
			return -1;
		}
		k->agent_owned = true;
	} else {
		k->agent = (uint8_t *)hcf_agent_elf;
		k->agent_len = (size_t)(hcf_agent_elf_end - hcf_agent_elf);
	}
	if (hcf_device_init(&k->dev, opts->responder, err, errlen) != 0) {
		kvm_close(&k->base);
		return -1;
	}
	if (boot(k, err, errlen) != 0) {
		kvm_close(&k->base);
		return -1;
	}
	if (abi)
		probe_vec(k);
	fill_notes(k);
	*out = &k->base;
	return 0;
}
