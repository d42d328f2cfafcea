/*
 * vmm.h: the in-process VMM's backend boundary.
 *
 * The shape of a VMM kernel interface (bhyve's vmm.h, /dev/kvm): create a VM
 * with one vCPU and one RAM slot, set up the x86-64 long-mode state, get and
 * set registers, run until a classified exit, read the dirty-page log,
 * snapshot and restore. Every run is under a watchdog: a guest that does not
 * exit within the deadline comes back as HCF_VX_HANG instead of blocking the
 * harness. The KVM implementation is vmm_kvm.c; x86 page tables and GDT are
 * built by x86_setup.c.
 */
#ifndef HCF_VMM_H
#define HCF_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/gmem.h"
#include "vmm/kvm_exit.h"

struct hcf_vmm_config {
	uint64_t mem_size;                  /* RAM at GPA 0 */
	bool dirty_log;                     /* log guest writes (stray writes, fast reset) */
	/* A page-aligned range of RAM left out of the dirty log, in a memslot of
	 * its own: logging makes the first write to every page a write-protect
	 * fault, which the mailbox's result pages would take on every batch. */
	uint64_t nolog_lo, nolog_hi;
	/* Pages nobody may write once the snapshot is taken (the guest's page
	 * tables): a restore that finds one written refuses, for copied back
	 * from the host's side they would not reach a hypervisor that shadows
	 * them (PVM does), which may go on translating through what was
	 * written. 0, 0: none. */
	uint64_t frozen_lo, frozen_hi;
	bool disable_fix_hypercall_quirk;   /* KVM_X86_QUIRK_FIX_HYPERCALL_INSN off */
};

/* What the host offered, learned at open. */
struct hcf_vmm_caps {
	int api_version;
	bool disable_quirks2;
	bool fix_hypercall_quirk_disabled;
	bool dirty_log;
	bool immediate_exit;
	char vendor[13];                    /* host CPU vendor from KVM's CPUID table */
};

struct hcf_vmm;

/* Create the VM. On failure returns -1 with a sentence for the user in err
 * (no /dev/kvm, permission, a missing capability ...). */
int hcf_vmm_open(struct hcf_vmm **out, const struct hcf_vmm_config *cfg, char *err, size_t errlen);
void hcf_vmm_close(struct hcf_vmm *vm);
/* The same, with the slow part (the kernel tearing the VM down, unmapping its
 * memory) on a detached thread: a rebuild need not wait for it. */
void hcf_vmm_close_async(struct hcf_vmm *vm);
/* Wait until every close_async has finished. Needed before the process
 * stops itself (AFL++'s persistent loop raises SIGSTOP between inputs): a
 * VM being torn down waits, uninterruptibly, for KVM's worker task, which
 * may have stopped for that very SIGSTOP, and the stop never completes. */
void hcf_vmm_wait_async_closes(void);

/* Is /dev/kvm usable at all? Returns 0, or -1 with the reason (for SKIP messages). */
int hcf_vmm_available(char *why, size_t len);

const struct hcf_gmem *hcf_vmm_mem(const struct hcf_vmm *vm);
const struct hcf_vmm_caps *hcf_vmm_caps(const struct hcf_vmm *vm);

/* Long mode: identity page tables over the low 4 GiB (page 0 unmapped, U/S=1
 * for PVM's native mode), a flat GDT, CR0/CR4/EFER, RIP = entry, RSP = rsp. */
int hcf_vmm_setup_long_mode(struct hcf_vmm *vm, uint64_t entry, uint64_t rsp, char *err,
			    size_t errlen);

/* Run until an exit that needs the caller. HCF_VX_RESUME-class exits are
 * handled inside. timeout_ms bounds the whole call. */
int hcf_vmm_run(struct hcf_vmm *vm, unsigned timeout_ms, struct hcf_vx *vx);
/* Nanoseconds this VM spent inside KVM_RUN so far: the guest's and the
 * hypervisor's share of the time (benchmarks tell it from the harness's). */
uint64_t hcf_vmm_run_ns(const struct hcf_vmm *vm);

/* After an IN exit: the value the device returns. After an MMIO read exit:
 * the bytes read. */
void hcf_vmm_set_io_in(struct hcf_vmm *vm, const struct hcf_vx *vx, uint32_t value);
void hcf_vmm_set_mmio_read(struct hcf_vmm *vm, const struct hcf_vx *vx, uint64_t value);

/* Finish a pending I/O or MMIO exit without running guest code, so that
 * registers read or written next are architecturally exact. */
int hcf_vmm_complete_pending(struct hcf_vmm *vm);

/* General-purpose registers in enum hcf_gpr order. */
int hcf_vmm_get_gprs(struct hcf_vmm *vm, uint64_t gpr[16], uint64_t *rip, uint64_t *rflags);
int hcf_vmm_set_gprs(struct hcf_vmm *vm, const uint64_t gpr[16], uint64_t rip, uint64_t rflags);

/*
 * Dirty pages: hcf_vmm_collect_dirty ORs KVM's log (which it clears) into two
 * bitmaps, one bit per 4 KiB page of RAM: one the caller reads and clears
 * (what a run touched), and one only hcf_vmm_restore uses and clears (what
 * changed since the snapshot).
 */
int hcf_vmm_collect_dirty(struct hcf_vmm *vm);
const uint64_t *hcf_vmm_dirty_bitmap(const struct hcf_vmm *vm, size_t *npages);
void hcf_vmm_clear_dirty(struct hcf_vmm *vm);
/* The VMM itself wrote guest memory (a device model): KVM's log does not
 * see host writes, so they are recorded here, for the stray-write check and
 * so that a restore brings the pages back. */
void hcf_vmm_note_host_write(struct hcf_vmm *vm, uint64_t gpa, uint64_t len);

/*
 * Remember the vCPU's whole state (registers, special registers, the MSRs
 * KVM lists, FPU/XSAVE, XCRs, local APIC, pending events, debug registers,
 * run state: vmm/kvm_vcpu_state.h) and RAM. Restore brings RAM back,
 * copying only the pages dirtied since (all pages without a dirty log), and
 * with cpu_too the vCPU's state as well. skip_lo..skip_hi (GPA) is left as
 * it is (the mailbox: the host rewrites what it needs). pages_copied
 * reports the restore's work: 0, or 1 when a frozen page was written (then
 * nothing was restored), or -1. Snapshot: 0, or -1 with why in err.
 */
int hcf_vmm_snapshot(struct hcf_vmm *vm, char *err, size_t errlen);
int hcf_vmm_restore(struct hcf_vmm *vm, uint64_t skip_lo, uint64_t skip_hi, bool cpu_too,
		    size_t *pages_copied);
/* A restore leaves the registers, special registers and pending events to
 * the next KVM_RUN where KVM takes them that way (hcf_vmm_get_gprs and
 * hcf_vmm_set_gprs put them back first). True when that KVM_RUN refused
 * them: it reported a host error, the guest did not run, and the VM cannot
 * be restored: the caller builds a new one. */
bool hcf_vmm_restore_refused(const struct hcf_vmm *vm);
/* For tests of that: the snapshot's special registers made invalid (a
 * reserved CR4 bit). -1 without a snapshot. */
int hcf_vmm_spoil_snapshot(struct hcf_vmm *vm);

/* What the snapshot holds of the vCPU, for the target's notes. */
struct hcf_vmm_cpu_saved {
	unsigned parts;            /* parts saved: registers, XSAVE, MSRs ... */
	char absent[96];           /* the parts this host does not hand out, space-separated */
	unsigned msrs;             /* MSRs saved and put back */
	unsigned msrs_unreadable;  /* listed by the host, refused when read */
	unsigned msrs_kept;        /* read, but not taken back: compared after a restore */
	uint32_t kept[8];          /* the first of those */
};
void hcf_vmm_cpu_saved(const struct hcf_vmm *vm, struct hcf_vmm_cpu_saved *out);

/* The MSRs the snapshot read but the host cannot put back (PVM's VIF page
 * registration, before the vCPU first ran) whose values differ now from the
 * snapshot's: how many, the first max into idx. -1 when they cannot be
 * read (or there is no snapshot). */
int hcf_vmm_msrs_unrestored(struct hcf_vmm *vm, uint32_t *idx, size_t max);

/* The snapshot's copy of the page at gpa (4 KiB), or NULL without a snapshot. */
const uint8_t *hcf_vmm_snapshot_page(const struct hcf_vmm *vm, uint64_t gpa);

/* A stop request (util/interrupt.h: hcf_interrupt_request, the SIGINT
 * handler) makes any running hcf_vmm_run return HCF_VX_INTERRUPTED. */

#endif /* HCF_VMM_H */
