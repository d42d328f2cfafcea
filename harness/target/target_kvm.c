/*
 * target_kvm.c: the "kvm" target, the in-process VMM on /dev/kvm.
 *
 * Boots the guest agent in a VM of its own (no QEMU), learns what hypervisor
 * is behind /dev/kvm from the agent's probe (CPUID, the PVM MSR), and runs
 * programs through the mailbox in batches of up to HCF_MBOX_MAX_CALLS calls
 * per doorbell. Everything the agent wrote is read through the checked
 * accessor and validated before it becomes a result. A guest that hangs, shuts
 * down, hits a KVM internal error or breaks the protocol gives the call it was
 * in a HANG or lost outcome. Between programs the guest goes back to its boot
 * snapshot: its memory, and after a destructive call or a lost guest the
 * vCPU's whole state too, which the agent then re-arms and checks; only a
 * restore that fails its check costs a new VM.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hcf_proto.h"
#include "prog/layout.h"
#include "spec/transport.h"
#include "target/devices.h"
#include "target/engine.h"
#include "target/target.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/x86.h"
#include "util/xalloc.h"
#include "vmm/elf.h"
#include "vmm/gmem.h"
#include "vmm/vmm.h"
#include "vmm/kvm_machine.h"
#include "vmm/x86_setup.h"

extern const uint8_t hcf_agent_elf[], hcf_agent_elf_end[];


struct kvm_target {
	struct hcf_target base;
	struct hcf_target_opts opts;
	struct hcf_target_info info;
	struct hcf_vmm *vm;
	uint64_t past_run_ns;      /* time inside KVM_RUN of the VMs torn down */
	struct hcf_engine eng;     /* the agent protocol, over this VM (the channel below) */
	uint8_t *agent;            /* agent ELF image (owned when loaded from a file) */
	size_t agent_len;
	bool agent_owned;
	struct hcf_elf_info elf;
	struct hcf_device dev;     /* what answers PIO/MMIO exits */
	bool known_pvm;            /* an earlier boot found PVM: rebuilds skip the probe's detour */
	bool keep_fix_hypercall_quirk; /* target option keep-fix-hypercall-quirk */
	bool pvm_emulated;         /* target option pvm-emulated */
	bool no_restore;           /* target option no-restore: a new VM instead of a restore */
	/* A destructive call ran, or the guest was lost, since the snapshot:
	 * the next reset puts the vCPU's state back as well. */
	bool cpu_changed;
	/* What a restore is checked against: the agent's rearm report right
	 * after boot, with the steps it took */
	struct hcf_rearm rearm_boot;
	uint32_t rearm_steps;
	bool native;               /* the agent registered PVM's VIF page at boot */
	uint32_t rearm_due;        /* the restored vCPU awaits the agent's check: its steps */
};

static struct kvm_target *K(struct hcf_target *t)
{
	return (struct kvm_target *)t;
}

static const struct hcf_gmem *MEM(struct kvm_target *k)
{
	return hcf_vmm_mem(k->vm);
}

/* ---- the channel: the agent's VM, run in this process ---------------------- */

static const struct hcf_gmem *chan_mem(void *ctx)
{
	return MEM(ctx);
}

/* How a fatal exit ends the guest. */
static enum hcf_liveness liveness_for(enum hcf_vx_kind kind)
{
	switch (kind) {
	case HCF_VX_HANG: return HCF_LIVE_HANG;
	case HCF_VX_SHUTDOWN: return HCF_LIVE_SHUTDOWN;
	case HCF_VX_INTERNAL_ERROR: return HCF_LIVE_INTERNAL_ERROR;
	case HCF_VX_ENTRY_FAILED: return HCF_LIVE_ENTRY_FAILED;
	default: return HCF_LIVE_UNEXPECTED_EXIT;
	}
}

/* Run the vCPU until the agent rings, writes its console, the guest is lost
 * or timeout_ms pass; device accesses and halts are answered here. */
static void chan_wait(void *ctx, unsigned timeout_ms, struct hcf_chan_event *ev)
{
	struct kvm_target *k = ctx;
	uint64_t deadline = hcf_now_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		uint64_t now = hcf_now_ns();
		if (now >= deadline) {
			ev->kind = HCF_CEV_TIMEOUT;
			return;
		}
		struct hcf_vx vx;
		hcf_vmm_run(k->vm, (unsigned)((deadline - now + 999999u) / 1000000u), &vx);
		switch (vx.kind) {
		case HCF_VX_DOORBELL:
			ev->kind = HCF_CEV_DOORBELL;
			ev->value = vx.u.io.value;
			return;
		case HCF_VX_DEBUGCON:
			ev->kind = HCF_CEV_CONSOLE;
			ev->value = vx.u.io.value;
			return;
		case HCF_VX_PIO:
		case HCF_VX_MMIO:
			if ((vx.kind == HCF_VX_PIO ? hcf_device_pio(&k->dev, k->vm, &vx) :
						    hcf_device_mmio(&k->dev, k->vm, &vx)) != 0) {
				ev->kind = HCF_CEV_HOST_ERROR;
				snprintf(ev->detail, sizeof(ev->detail), "answering %s failed", vx.detail);
				return;
			}
			continue;
		case HCF_VX_HLT:
			/* a halting hypercall (PVM 0x1009) or hlt: nothing will wake
			 * the vCPU but us; re-enter, the watchdog bounds a halt loop */
		case HCF_VX_HYPERCALL:
			/* this VMM implements no userspace hypercalls */
		case HCF_VX_RESUME:
			continue;
		case HCF_VX_HANG:
			ev->kind = HCF_CEV_TIMEOUT;
			return;
		case HCF_VX_INTERRUPTED:
			ev->kind = HCF_CEV_INTERRUPTED;
			return;
		case HCF_VX_HOST_ERROR:
			ev->kind = HCF_CEV_HOST_ERROR;
			snprintf(ev->detail, sizeof(ev->detail), "%s", vx.detail);
			return;
		default:
			ev->kind = HCF_CEV_LOST;
			ev->lost = liveness_for(vx.kind);
			snprintf(ev->detail, sizeof(ev->detail), "%s", vx.detail);
			return;
		}
	}
}

static bool in_agent_code(uint64_t rip)
{
	return rip >= HCF_GPA_AGENT && rip < HCF_GPA_AGENT + HCF_AGENT_MAX;
}

/* How long a guest that made no progress runs again to see whether it
 * executes at all. */
#define RUNAWAY_SAMPLE_MS 20u

/* Exits of a sampled vCPU that end the guest (as chan_wait loses it on
 * them), rather than show it executing. */
static bool sample_ends_guest(enum hcf_vx_kind kind)
{
	return kind == HCF_VX_SHUTDOWN || kind == HCF_VX_INTERNAL_ERROR ||
	       kind == HCF_VX_ENTRY_FAILED || kind == HCF_VX_SYSTEM_EVENT ||
	       kind == HCF_VX_UNEXPECTED;
}

/*
 * The agent made no progress: is the vCPU frozen (the hypervisor livelocked,
 * or the agent stuck in a call: a HANG, never excused), or does it execute
 * code outside the agent, a guest that ran away into bytes of its own? Run
 * it a little longer and compare: any exit, or any register that changed,
 * means it executes, unless the exit ends the guest (a shutdown, a KVM
 * internal error seen while sampling is that loss, not a runaway). A vCPU
 * at a jump to itself executes too, though its registers never change; the
 * bytes are read at rip as a guest-physical address, which the agent's
 * identity map makes them. Returns HCF_LIVE_HANG, HCF_LIVE_RUNAWAY or the
 * loss the sample ended in (its exit in *vx); *how says why.
 */
static enum hcf_liveness runs_away(struct kvm_target *k, const uint64_t gpr[HCF_NGPR], uint64_t rip,
				   uint64_t rflags, const char **how, struct hcf_vx *vx)
{
	if (in_agent_code(rip))
		return HCF_LIVE_HANG;
	static const uint8_t jmp_self8[] = { 0xeb, 0xfe };
	static const uint8_t jmp_self32[] = { 0xe9, 0xfb, 0xff, 0xff, 0xff };
	const uint8_t *code = hcf_gmem_at(MEM(k), hcf_gpa(rip), sizeof(jmp_self32));
	if (code && (!memcmp(code, jmp_self8, sizeof(jmp_self8)) ||
		     !memcmp(code, jmp_self32, sizeof(jmp_self32)))) {
		*how = "a jump to itself there: the guest loops in code of its own";
		return HCF_LIVE_RUNAWAY;
	}
	if (hcf_vmm_run(k->vm, RUNAWAY_SAMPLE_MS, vx) != 0)
		return HCF_LIVE_HANG;
	if (sample_ends_guest(vx->kind)) {
		*how = "it executed outside the agent, then ended while sampled";
		return liveness_for(vx->kind);
	}
	if (vx->kind != HCF_VX_HANG) {
		*how = "it still executes (it exits to the host), outside the agent";
		return HCF_LIVE_RUNAWAY;
	}
	uint64_t gpr2[HCF_NGPR], rip2, rflags2;
	if (hcf_vmm_get_gprs(k->vm, gpr2, &rip2, &rflags2) != 0)
		return HCF_LIVE_HANG;
	if (rip2 == rip && rflags2 == rflags && !memcmp(gpr, gpr2, sizeof(gpr2))) {
		*how = "its registers did not change while it ran again: the vCPU is frozen";
		return HCF_LIVE_HANG;
	}
	*how = "its registers keep changing: it executes outside the agent";
	return HCF_LIVE_RUNAWAY;
}

/* Where the guest was when it was lost or stopped making progress: in the
 * agent's code around the hypercall (waiting on the hypervisor) or elsewhere
 * (running wild) is the first thing a developer asks. */
static void chan_examine(void *ctx, struct hcf_chan_event *ev, bool *has_rip, uint64_t *rip)
{
	struct kvm_target *k = ctx;
	uint64_t gpr[HCF_NGPR], rflags;
	if (hcf_vmm_get_gprs(k->vm, gpr, rip, &rflags) != 0)
		return;
	*has_rip = true;
	size_t used = strlen(ev->detail);
	char *at = ev->detail + used;
	size_t room = sizeof(ev->detail) - used;
	if (ev->lost == HCF_LIVE_HANG) {
		const char *how = NULL;
		struct hcf_vx vx = { .kind = HCF_VX_HANG };
		ev->lost = runs_away(k, gpr, *rip, rflags, &how, &vx);
		bool ended = sample_ends_guest(vx.kind);
		snprintf(at, room, "; guest rip 0x%llx (%s), rsp 0x%llx%s%s%s%s", (unsigned long long)*rip,
			 in_agent_code(*rip) ? "the agent's code" : "outside the agent's code",
			 (unsigned long long)gpr[HCF_RSP], how ? ": " : "", how ? how : "",
			 ended ? ": " : "", ended ? vx.detail : "");
	} else if (ev->lost == HCF_LIVE_INTERNAL_ERROR) {
		/* the instruction KVM gave up on, read at rip as a guest-physical
		 * address (the agent's identity map) */
		const uint8_t *code = hcf_gmem_at(MEM(k), hcf_gpa(*rip), 8);
		if (code)
			snprintf(at, room, "; bytes at rip: %02x %02x %02x %02x %02x %02x %02x %02x",
				 code[0], code[1], code[2], code[3], code[4], code[5], code[6], code[7]);
	}
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
	if (hcf_km_page_stack(gpa))
		return true;
	for (size_t s = 0; s < k->elf.nsegs; s++)
		if (k->elf.segs[s].writable && gpa >= k->elf.segs[s].lo && gpa < k->elf.segs[s].hi)
			return true;
	return false;
}

/* One dirtied page against the snapshot: kept when a byte moved. "Dirty"
 * alone is not enough: PVM was seen to mark an untouched agent code page
 * dirty once after the switch to native mode. */
static void note_page(struct kvm_target *k, struct hcf_prog_result *r, uint64_t gpa,
		      bool agent_writes)
{
	hcf_result_note_page(r, gpa, hcf_vmm_snapshot_page(k->vm, gpa),
			     hcf_gmem_at(MEM(k), hcf_gpa(gpa), 4096), agent_writes);
}

/*
 * The pages the program changed, from the dirty log: every stray page, and
 * after a lost guest (with_agent) the agent's own pages too, for the
 * liveness oracle's question whether a call had the hypervisor write there.
 */
static void chan_changed_pages(void *ctx, struct hcf_prog_result *r, bool with_agent)
{
	struct kvm_target *k = ctx;
	if (hcf_vmm_collect_dirty(k->vm) != 0)
		return;
	size_t npages;
	const uint64_t *bm = hcf_vmm_dirty_bitmap(k->vm, &npages);
	r->pages_checked = true;
	for (int pass = 0; pass < (with_agent ? 2 : 1); pass++)
		for (size_t w = 0; w * 64 < npages; w++)
			for (uint64_t bits = bm[w]; bits; bits &= bits - 1) {
				size_t pg = w * 64 + (size_t)__builtin_ctzll(bits);
				uint64_t gpa = (uint64_t)pg * 4096;
				if (pg >= npages || hcf_km_page_unjudged(gpa) ||
				    page_agent_writes(k, gpa) != (pass == 1))
					continue;
				note_page(k, r, gpa, pass == 1);
			}
	/* the next run is judged on its own writes */
	hcf_vmm_clear_dirty(k->vm);
}

static const struct hcf_channel_ops kvm_channel = {
	.mem = chan_mem,
	.wait = chan_wait,
	.examine = chan_examine,
	.changed_pages = chan_changed_pages,
};

/* ---- boot ----------------------------------------------------------------- */

/* What the agent's probe found, into the target's info. */
static void take_probe(struct kvm_target *k, const struct hcf_boot *probe)
{
	struct hcf_target_info *ti = &k->info;
	hcf_engine_take_ids(ti, probe);
	bool pvm = !probe->pvm_msr_faulted && probe->pvm_msr_value == HCF_PVM_ID_VALUE;
	bool native = probe->native != 0;
	k->known_pvm = pvm;
	ti->rflags_captured = HCF_X86_RFLAGS_ARCH;
	/* PVM's native mode runs the guest kernel at CPL3, where popf cannot
	 * clear IF: the IF the agent sees is not the guest's virtual IF */
	if (pvm && native)
		ti->rflags_captured &= ~HCF_X86_RFLAGS_IF;
	snprintf(ti->target, sizeof(ti->target), "kvm");
	if (pvm)
		snprintf(ti->hypervisor, sizeof(ti->hypervisor), "pvm");
	else if (!strncmp(ti->hv_signature, "KVMKVMKVM", 9))
		snprintf(ti->hypervisor, sizeof(ti->hypervisor), "kvm");
	else
		snprintf(ti->hypervisor, sizeof(ti->hypervisor), "unknown");
	const struct hcf_vmm_caps *caps = hcf_vmm_caps(k->vm);
	ti->dirty_log = caps->dirty_log;
	snprintf(ti->facts, sizeof(ti->facts), "pvm=%s native=%s fix-hypercall-quirk=%s",
		 pvm ? "yes" : "no", native ? "yes" : "no",
		 caps->fix_hypercall_quirk_disabled ? "disabled" : "on");
	if (k->base.abi)
		k->eng.wire_xport = hcf_xport_wire(&k->base.abi->transport, ti->cpu_vendor);
}

/*
 * What a restored guest must look like: the agent's rearm report right after
 * the snapshot (it changes only the agent's stack and the mailbox, which the
 * next reset puts back).
 */
static int learn_rearm(struct kvm_target *k, const struct hcf_boot *probe, char *err, size_t errlen)
{
	k->rearm_steps = HCF_REARM_EXCEPTION;
	if ((probe->flags & HCF_BOOT_HCPAGE) && !probe->hcpage_faulted)
		k->rearm_steps |= HCF_REARM_HCPAGE;
	k->native = probe->native;
	if (hcf_engine_rearm(&k->eng, k->rearm_steps, &k->rearm_boot) != 0 ||
	    k->rearm_boot.faults) {
		snprintf(err, errlen, "the booted agent failed its rearm check (steps 0x%x failed)",
			 k->rearm_boot.faults);
		return -1;
	}
	/* the next program is judged on its own writes */
	hcf_vmm_collect_dirty(k->vm);
	hcf_vmm_clear_dirty(k->vm);
	return 0;
}

/* Build the VM, boot the agent, learn the hypervisor, take the snapshot. */
static int boot(struct kvm_target *k, char *err, size_t errlen)
{
	struct hcf_vmm_config cfg = {
		.mem_size = HCF_GUEST_MEM_SIZE,
		.dirty_log = true,
		.nolog_lo = HCF_GPA_MBOX,
		.nolog_hi = HCF_GPA_MBOX + HCF_MBOX_SIZE,
		.frozen_lo = HCF_KM_PML4,
		.frozen_hi = HCF_KM_TABLES_END,
		.disable_fix_hypercall_quirk = !k->keep_fix_hypercall_quirk,
	};
	if (hcf_vmm_open(&k->vm, &cfg, err, errlen) != 0)
		return -1;
	const struct hcf_gmem *m = MEM(k);
	if (hcf_elf_load(k->agent, k->agent_len, m, HCF_GPA_AGENT, HCF_GPA_AGENT + HCF_AGENT_MAX,
			 &k->elf, err, errlen) != 0)
		return -1;
	struct hcf_boot *b = hcf_gmem_at(m, hcf_gpa(HCF_GPA_BOOT), sizeof(*b));
	if (!b || !hcf_gmem_at(m, hcf_gpa(HCF_GPA_MBOX), sizeof(struct hcf_mbox))) {
		snprintf(err, errlen, "guest RAM too small for the boot block and mailbox");
		return -1;
	}
	memset(b, 0, sizeof(*b));
	b->magic = HCF_BOOT_MAGIC;
	b->version = HCF_PROTO_VERSION;
	b->flags = k->pvm_emulated ? 0 : HCF_BOOT_PVM_NATIVE;
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
	hcf_engine_mbox_init(&k->eng);
	if (hcf_vmm_setup_long_mode(k->vm, k->elf.entry, HCF_GPA_STACK_HI, err, errlen) != 0)
		return -1;
	struct hcf_boot probe;
	if (hcf_engine_boot(&k->eng, k->eng.watchdog_ms * 4, &probe, err, errlen) != 0)
		return -1;
	take_probe(k, &probe);
	char why[200];
	if (hcf_vmm_snapshot(k->vm, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "cannot snapshot the booted guest: %s", why);
		return -1;
	}
	k->cpu_changed = false;
	k->rearm_due = k->eng.rearm_next = 0;
	return learn_rearm(k, &probe, err, errlen);
}

static int rebuild(struct kvm_target *k)
{
	char err[256];
	k->past_run_ns += hcf_vmm_run_ns(k->vm);
	hcf_vmm_close_async(k->vm);
	k->vm = NULL;
	k->info.rebuilds++;
	if (boot(k, err, sizeof(err)) != 0) {
		fprintf(stderr, "hcfuzz: kvm: rebuilding the VM failed: %s\n", err);
		return -1;
	}
	return 0;
}

/* The agent reports as it did right after boot. */
static bool rearm_as_booted(const struct kvm_target *k, const struct hcf_rearm *now)
{
	return !now->faults && now->cs == k->rearm_boot.cs && now->rsp == k->rearm_boot.rsp;
}

/*
 * A restored vCPU, checked on the host's side: the MSRs the host could read
 * but not put back must be as at boot, but for PVM's VIF page registration,
 * which the agent makes again. The steps the agent is to take then, or 0
 * when the restore cannot stand.
 */
static uint32_t rearm_steps_for(struct kvm_target *k)
{
	uint32_t steps = k->rearm_steps, moved[4];
	int n = hcf_vmm_msrs_unrestored(k->vm, moved, 4);
	if (n < 0 || n > 4)
		return 0;
	for (int i = 0; i < n; i++) {
		if (moved[i] != HCF_MSR_PVM_VIF || !k->native)
			return 0;
		steps |= HCF_REARM_VIF;
	}
	return steps;
}

/* A restore that cannot stand: a new VM. */
static int restore_failed(struct kvm_target *k)
{
	k->info.restores_failed++;
	k->rearm_due = 0;
	return rebuild(k);
}

/*
 * Back to the boot snapshot: memory, and the vCPU if it may have changed.
 * What the snapshot cannot serve rebuilds the VM: page tables written since
 * the snapshot (the VM's frozen pages), an MSR that did not come back. The
 * agent's own check of a restored vCPU is due next (rearm_due).
 */
static int back_to_boot(struct kvm_target *k)
{
	if (!k->vm)
		return rebuild(k);
	bool cpu = k->cpu_changed;
	if (cpu && k->no_restore)
		return rebuild(k);
	size_t pages;
	if (hcf_vmm_restore(k->vm, HCF_GPA_MBOX, HCF_GPA_MBOX + HCF_MBOX_SIZE, cpu, &pages) != 0)
		return restore_failed(k);
	k->info.resets++;
	k->info.pages_restored += pages;
	if (!cpu)
		return 0;
	k->info.restores++;
	k->cpu_changed = false;
	k->rearm_due = rearm_steps_for(k);
	return k->rearm_due ? 0 : restore_failed(k);
}

/* The agent's check of a restored vCPU as a command of its own, for what
 * has no program's batch to carry it. */
static int rearm_now(struct kvm_target *k)
{
	if ((!k->vm || k->cpu_changed) && back_to_boot(k) != 0)
		return -1;
	uint32_t steps = k->rearm_due;
	k->rearm_due = 0;
	struct hcf_rearm now;
	if (steps && (hcf_engine_rearm(&k->eng, steps, &now) != 0 || !rearm_as_booted(k, &now)))
		return restore_failed(k);
	return 0;
}

/* ---- the target ------------------------------------------------------------ */

static int kvm_run(struct hcf_target *t, const struct hcf_prog *p, struct hcf_prog_result *r)
{
	struct kvm_target *k = K(t);
	/* the program before was destructive or lost the guest: this one
	 * starts from the boot snapshot, as from a new VM */
	if ((!k->vm || k->cpu_changed) && back_to_boot(k) != 0) {
		hcf_engine_not_run(p, r, "no VM: restoring and rebuilding failed");
		return -1;
	}
	if (p->abi != t->abi) {
		char why[160];
		snprintf(why, sizeof(why), "program for ABI %s on a target opened for %s",
			 p->abi ? p->abi->name : "?", t->abi ? t->abi->name : "?");
		hcf_engine_not_run(p, r, why);
		return -1;
	}
	if (!p->ncalls && rearm_now(k) != 0) {
		hcf_engine_not_run(p, r, "no VM: rebuilding failed");
		return -1;
	}
	/* the check of a restored guest rides on the program's first batch */
	k->eng.rearm_next = k->rearm_due;
	k->rearm_due = 0;
	bool lost;
	for (int attempt = 0;; attempt++) {
		if (hcf_engine_run(&k->eng, p, r, &lost) != 0) {
			/* KVM refused the restored registers before the guest ran:
			 * the restore failed, not the program */
			if (!attempt && hcf_vmm_restore_refused(k->vm)) {
				if (restore_failed(k) != 0) {
					hcf_engine_not_run(p, r, "no VM: a restore was refused, rebuilding failed");
					return -1;
				}
				continue;
			}
			k->past_run_ns += hcf_vmm_run_ns(k->vm);
			hcf_vmm_close(k->vm);
			k->vm = NULL;
			return -1;
		}
		if (!k->eng.rearm_sent || (k->eng.rearm_done && rearm_as_booted(k, &k->eng.rearm)))
			break;
		/* the restored guest failed its check: what came back is not
		 * the program's doing; it runs again in a new VM */
		if (attempt || restore_failed(k) != 0) {
			hcf_engine_not_run(p, r, "no VM: a restore failed its check, rebuilding failed");
			return -1;
		}
	}
	/* A lost guest, or one a destructive call may have reconfigured behind
	 * the snapshot's back (CR0, GDT, MSRs, PVM state), gets its vCPU state
	 * back before the next program. Otherwise the agent is parked at its
	 * doorbell, as at the snapshot: memory is all that changed. */
	if (lost || hcf_prog_has_destructive(p))
		k->cpu_changed = true;
	return 0;
}

static int kvm_reset(struct hcf_target *t)
{
	return back_to_boot(K(t));
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
	struct kvm_target *k = K(t);
	k->info.guest_ns = k->past_run_ns + hcf_vmm_run_ns(k->vm);
	return &k->info;
}

static int kvm_empty_round_trip(struct hcf_target *t, double *seconds)
{
	if (rearm_now(K(t)) != 0)
		return -1;
	return hcf_engine_empty(&K(t)->eng, seconds);
}

static int kvm_raw_loop(struct hcf_target *t, const struct hcf_prog *p, uint64_t iterations,
			double *seconds)
{
	if (rearm_now(K(t)) != 0)
		return -1;
	return hcf_engine_raw_loop(&K(t)->eng, p, iterations, seconds);
}

static void fill_notes(struct kvm_target *k)
{
	struct hcf_target_info *ti = &k->info;
	bool pvm = !strcmp(ti->hypervisor, "pvm");
	bool native = strstr(ti->facts, "native=yes") != NULL;
	snprintf(ti->notes, sizeof(ti->notes),
		 "hypervisor %s (CPUID vendor %s, signature \"%s\"%s); agent %s; KVM FIX_HYPERCALL_INSN "
		 "quirk %s; dirty-page log %s; vector capture %s; responder %s",
		 ti->hypervisor, ti->cpu_vendor, ti->hv_signature,
		 pvm ? ", PVM MSR 0x4b564d11 = \"PVM\"" : "",
		 pvm ? (native ? "runs natively (VIF page registered)" :
				 "runs in PVM's instruction emulator") :
		       "runs in hardware-assisted mode",
		 strstr(ti->facts, "fix-hypercall-quirk=disabled") ? "disabled" : "left on",
		 ti->dirty_log ? "on (stray writes detected)" : "off",
		 ti->vec_ok ? "on" : "off", k->dev.name);
	/* what a restore puts back of the vCPU, and what it checks instead */
	struct hcf_vmm_cpu_saved cs;
	hcf_vmm_cpu_saved(k->vm, &cs);
	size_t used = strlen(ti->notes);
	snprintf(ti->notes + used, sizeof(ti->notes) - used,
		 "; a restore puts back %u parts of the vCPU's state with %u MSRs%s%s%s, checks %u MSR%s "
		 "it cannot set",
		 cs.parts, cs.msrs, cs.absent[0] ? " (absent: " : "", cs.absent,
		 cs.absent[0] ? ")" : "", cs.msrs_kept, cs.msrs_kept == 1 ? "" : "s");
}

/* Try vector capture once: if SSE kills the guest here, leave it off. */
static void probe_vec(struct kvm_target *k)
{
	k->info.vec_ok = k->eng.vec_ok = false;
	if (!k->opts.want_vec)
		return;
	if (!strcmp(k->info.hypervisor, "pvm") && !strstr(k->info.facts, "native=yes"))
		return; /* PVM's emulator kills the guest on most SSE */
	k->eng.vec_ok = true;
	struct hcf_prog p;
	hcf_prog_init(&p, k->base.abi);
	struct hcf_pcall *c = hcf_prog_add_call(&p, -1, 0);
	struct hcf_prog_result r;
	hcf_result_init(&r, 1);
	uint8_t saved = k->eng.wire_xport;
	k->eng.wire_xport = HCF_WX_NONE;
	if (c)
		c->capture_vec = true;
	int rc = c ? kvm_run(&k->base, &p, &r) : -1;
	k->eng.wire_xport = saved;
	k->eng.vec_ok = rc == 0 && r.ncalls == 1 && r.calls[0].outcome == HCF_CO_RETURNED &&
			r.calls[0].has_vec &&
			!memcmp(&r.calls[0].vec->after, k->eng.xmm_sentinel, sizeof(k->eng.xmm_sentinel));
	k->info.vec_ok = k->eng.vec_ok;
	hcf_result_free(&r);
	hcf_prog_free(&p);
	kvm_reset(&k->base);
}

static int kvm_open(struct hcf_target **out, const struct hcf_abi *abi,
		    const struct hcf_target_opts *opts, char *err, size_t errlen);

static int kvm_available(const struct hcf_target_opts *opts, char *why, size_t len)
{
	(void)opts;
	return hcf_vmm_available(why, len);
}

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
	.available = kvm_available,
};

static int kvm_open(struct hcf_target **out, const struct hcf_abi *abi,
		    const struct hcf_target_opts *opts, char *err, size_t errlen)
{
	*out = NULL;
	struct kvm_target *k = hcf_xcalloc(1, sizeof(*k));
	k->base.ops = &hcf_target_kvm_ops;
	k->base.abi = abi;
	k->opts = *opts;
	hcf_engine_init(&k->eng, (struct hcf_channel){ .ops = &kvm_channel, .ctx = k },
			opts->watchdog_ms ? opts->watchdog_ms : HCF_WATCHDOG_DEFAULT_MS);
	k->eng.timing = opts->timing;
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
	static const char *const params[] = { "responder", "keep-fix-hypercall-quirk",
					      "pvm-emulated", "no-restore", NULL };
	if (hcf_target_params_check(opts, "kvm", params, err, errlen) != 0) {
		kvm_close(&k->base);
		return -1;
	}
	k->keep_fix_hypercall_quirk = hcf_target_param(opts, "keep-fix-hypercall-quirk") != NULL;
	k->pvm_emulated = hcf_target_param(opts, "pvm-emulated") != NULL;
	k->no_restore = hcf_target_param(opts, "no-restore") != NULL;
	if (hcf_device_init(&k->dev, hcf_target_param(opts, "responder"), err, errlen) != 0) {
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
