/* kvm_exit.c: the pure classifier from a KVM_RUN return to a VMM action. */
#include "vmm/kvm_exit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const vx_names[HCF_VX_COUNT] = {
	[HCF_VX_DOORBELL] = "doorbell",
	[HCF_VX_DEBUGCON] = "debugcon",
	[HCF_VX_PIO] = "pio",
	[HCF_VX_MMIO] = "mmio",
	[HCF_VX_HLT] = "hlt",
	[HCF_VX_RESUME] = "resume",
	[HCF_VX_INTERRUPTED] = "interrupted",
	[HCF_VX_HANG] = "hang",
	[HCF_VX_SHUTDOWN] = "shutdown",
	[HCF_VX_INTERNAL_ERROR] = "internal-error",
	[HCF_VX_ENTRY_FAILED] = "entry-failed",
	[HCF_VX_HYPERCALL] = "hypercall",
	[HCF_VX_SYSTEM_EVENT] = "system-event",
	[HCF_VX_HOST_ERROR] = "host-error",
	[HCF_VX_UNEXPECTED] = "unexpected",
};

const char *hcf_vx_kind_name(enum hcf_vx_kind k)
{
	return (unsigned)k < HCF_VX_COUNT && vx_names[k] ? vx_names[k] : "?";
}

/* Exit reason names, kvmtool style: a table, not a switch. */
static const struct {
	uint32_t reason;
	const char *name;
} exit_names[] = {
	{ KVM_EXIT_UNKNOWN, "KVM_EXIT_UNKNOWN" },
	{ KVM_EXIT_EXCEPTION, "KVM_EXIT_EXCEPTION" },
	{ KVM_EXIT_IO, "KVM_EXIT_IO" },
	{ KVM_EXIT_HYPERCALL, "KVM_EXIT_HYPERCALL" },
	{ KVM_EXIT_DEBUG, "KVM_EXIT_DEBUG" },
	{ KVM_EXIT_HLT, "KVM_EXIT_HLT" },
	{ KVM_EXIT_MMIO, "KVM_EXIT_MMIO" },
	{ KVM_EXIT_IRQ_WINDOW_OPEN, "KVM_EXIT_IRQ_WINDOW_OPEN" },
	{ KVM_EXIT_SHUTDOWN, "KVM_EXIT_SHUTDOWN" },
	{ KVM_EXIT_FAIL_ENTRY, "KVM_EXIT_FAIL_ENTRY" },
	{ KVM_EXIT_INTR, "KVM_EXIT_INTR" },
	{ KVM_EXIT_SET_TPR, "KVM_EXIT_SET_TPR" },
	{ KVM_EXIT_TPR_ACCESS, "KVM_EXIT_TPR_ACCESS" },
	{ KVM_EXIT_NMI, "KVM_EXIT_NMI" },
	{ KVM_EXIT_INTERNAL_ERROR, "KVM_EXIT_INTERNAL_ERROR" },
	{ KVM_EXIT_SYSTEM_EVENT, "KVM_EXIT_SYSTEM_EVENT" },
	{ KVM_EXIT_IOAPIC_EOI, "KVM_EXIT_IOAPIC_EOI" },
	{ KVM_EXIT_X86_RDMSR, "KVM_EXIT_X86_RDMSR" },
	{ KVM_EXIT_X86_WRMSR, "KVM_EXIT_X86_WRMSR" },
	{ KVM_EXIT_DIRTY_RING_FULL, "KVM_EXIT_DIRTY_RING_FULL" },
	{ KVM_EXIT_AP_RESET_HOLD, "KVM_EXIT_AP_RESET_HOLD" },
	{ KVM_EXIT_X86_BUS_LOCK, "KVM_EXIT_X86_BUS_LOCK" },
};

const char *hcf_kvm_exit_name(uint32_t reason, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(exit_names) / sizeof(exit_names[0]); i++)
		if (exit_names[i].reason == reason)
			return exit_names[i].name;
	snprintf(buf, len, "exit %u", reason);
	return buf;
}

static const char *const internal_names[] = {
	[KVM_INTERNAL_ERROR_EMULATION] = "emulation failure",
	[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering an exception",
	[KVM_INTERNAL_ERROR_DELIVERY_EV] = "event delivery failed",
	[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "unexpected hardware exit",
};

static void classify_io(const struct hcf_vx_input *in, struct hcf_vx *out)
{
	const struct kvm_run *run = in->run;
	uint8_t size = run->io.size;
	uint64_t off = run->io.data_offset;
	uint64_t bytes = (uint64_t)size * run->io.count;
	out->u.io.port = run->io.port;
	out->u.io.size = size;
	out->u.io.in = run->io.direction == KVM_EXIT_IO_IN;
	out->u.io.count = run->io.count;
	out->u.io.data_offset = off;
	if ((size != 1 && size != 2 && size != 4) || run->io.count == 0 || off > in->run_size ||
	    bytes > in->run_size - off) {
		out->kind = HCF_VX_UNEXPECTED;
		snprintf(out->detail, sizeof(out->detail),
			 "malformed I/O exit: port 0x%x size %u count %u data at %llu", run->io.port, size,
			 run->io.count, (unsigned long long)off);
		return;
	}
	uint32_t v = 0;
	if (!out->u.io.in)
		memcpy(&v, (const uint8_t *)run + off, size);
	out->u.io.value = v;
	if (!out->u.io.in && run->io.port == in->doorbell_port && size == 4 && run->io.count == 1) {
		out->kind = HCF_VX_DOORBELL;
		snprintf(out->detail, sizeof(out->detail), "doorbell 0x%08x", v);
	} else if (!out->u.io.in && run->io.port == in->debugcon_port && size == 1) {
		out->kind = HCF_VX_DEBUGCON;
		snprintf(out->detail, sizeof(out->detail), "debugcon 0x%02x", v);
	} else {
		out->kind = HCF_VX_PIO;
		snprintf(out->detail, sizeof(out->detail), "port %s 0x%x size %u value 0x%x",
			 out->u.io.in ? "in" : "out", run->io.port, size, v);
	}
}

void hcf_kvm_classify(const struct hcf_vx_input *in, struct hcf_vx *out)
{
	memset(out, 0, sizeof(*out));
	if (in->rc < 0) {
		out->host_errno = in->err;
		if (in->err == EINTR || in->err == EAGAIN) {
			/* The watchdog and user signals interrupt KVM_RUN; which one
			 * it was is decided by the deadline, not the signal, so a late
			 * timer signal can never turn into a false HANG. */
			if (in->user_interrupt)
				out->kind = HCF_VX_INTERRUPTED;
			else if (in->watchdog_expired)
				out->kind = HCF_VX_HANG;
			else
				out->kind = HCF_VX_RESUME;
			snprintf(out->detail, sizeof(out->detail), "KVM_RUN interrupted (%s)",
				 hcf_vx_kind_name(out->kind));
			return;
		}
		out->kind = HCF_VX_HOST_ERROR;
		snprintf(out->detail, sizeof(out->detail), "KVM_RUN failed: %s", strerror(in->err));
		return;
	}
	const struct kvm_run *run = in->run;
	out->raw_reason = run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		classify_io(in, out);
		return;
	case KVM_EXIT_MMIO:
		out->kind = HCF_VX_MMIO;
		out->u.mmio.gpa = run->mmio.phys_addr;
		out->u.mmio.len = run->mmio.len > 8 ? 8 : run->mmio.len;
		out->u.mmio.write = run->mmio.is_write;
		if (run->mmio.is_write)
			memcpy(&out->u.mmio.value, run->mmio.data, out->u.mmio.len);
		snprintf(out->detail, sizeof(out->detail), "mmio %s 0x%llx len %u",
			 run->mmio.is_write ? "write" : "read", (unsigned long long)run->mmio.phys_addr,
			 run->mmio.len);
		return;
	case KVM_EXIT_HLT:
		out->kind = HCF_VX_HLT;
		snprintf(out->detail, sizeof(out->detail), "vCPU halted");
		return;
	case KVM_EXIT_INTR:
		out->kind = in->user_interrupt ? HCF_VX_INTERRUPTED :
			    in->watchdog_expired ? HCF_VX_HANG : HCF_VX_RESUME;
		snprintf(out->detail, sizeof(out->detail), "KVM_EXIT_INTR");
		return;
	case KVM_EXIT_SHUTDOWN:
		out->kind = HCF_VX_SHUTDOWN;
		snprintf(out->detail, sizeof(out->detail), "guest shutdown (triple fault)");
		return;
	case KVM_EXIT_INTERNAL_ERROR: {
		uint32_t sub = run->internal.suberror;
		out->kind = HCF_VX_INTERNAL_ERROR;
		out->u.internal.suberror = sub;
		uint32_t nd = run->internal.ndata;
		if (nd > 4)
			nd = 4;
		out->u.internal.ndata = nd;
		for (uint32_t i = 0; i < nd; i++)
			out->u.internal.data[i] = run->internal.data[i];
		const char *what = sub < sizeof(internal_names) / sizeof(internal_names[0]) &&
						   internal_names[sub] ?
					   internal_names[sub] :
					   "unknown suberror";
		snprintf(out->detail, sizeof(out->detail), "KVM internal error %u (%s)", sub, what);
		return;
	}
	case KVM_EXIT_FAIL_ENTRY:
		out->kind = HCF_VX_ENTRY_FAILED;
		out->u.fail_entry.hw_reason = run->fail_entry.hardware_entry_failure_reason;
		snprintf(out->detail, sizeof(out->detail), "entry failed, hardware reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return;
	case KVM_EXIT_HYPERCALL:
		out->kind = HCF_VX_HYPERCALL;
		out->u.hypercall.nr = run->hypercall.nr;
		for (int i = 0; i < 6; i++)
			out->u.hypercall.args[i] = run->hypercall.args[i];
		snprintf(out->detail, sizeof(out->detail), "userspace hypercall exit nr 0x%llx",
			 (unsigned long long)run->hypercall.nr);
		return;
	case KVM_EXIT_SYSTEM_EVENT:
		out->kind = HCF_VX_SYSTEM_EVENT;
		out->u.system_event.type = run->system_event.type;
		snprintf(out->detail, sizeof(out->detail), "system event %u", run->system_event.type);
		return;
	default: {
		char buf[32];
		out->kind = HCF_VX_UNEXPECTED;
		snprintf(out->detail, sizeof(out->detail), "unexpected exit %s",
			 hcf_kvm_exit_name(run->exit_reason, buf, sizeof(buf)));
		return;
	}
	}
}
