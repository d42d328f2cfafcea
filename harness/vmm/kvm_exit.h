/*
 * kvm_exit.h: classify a KVM_RUN return into what the VMM must do next.
 *
 * A pure function from (kvm_run contents, KVM_RUN's return value and errno,
 * the watchdog's state) to a classified exit. It never touches /dev/kvm, so it
 * is unit-tested with fabricated kvm_run structures. The VMM acts on the
 * classification; the target maps it to a call outcome and a liveness state.
 */
#ifndef HCF_KVM_EXIT_H
#define HCF_KVM_EXIT_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hcf_vx_kind {
	HCF_VX_DOORBELL = 0,    /* the agent rang the doorbell: value */
	HCF_VX_DEBUGCON,        /* one byte for the agent's debug console */
	HCF_VX_PIO,             /* other port I/O: a device, i.e. the PIO transport under test */
	HCF_VX_MMIO,            /* MMIO outside RAM: the MMIO transport under test */
	HCF_VX_HLT,             /* the vCPU halted (hlt, or a halting hypercall) */
	HCF_VX_RESUME,          /* nothing to do, run again (KVM_EXIT_INTR, spurious EINTR) */
	HCF_VX_INTERRUPTED,     /* a signal meant for the user (SIGINT...) stopped the run */
	HCF_VX_HANG,            /* the watchdog fired: the guest made no exit in time */
	HCF_VX_SHUTDOWN,        /* triple fault or shutdown */
	HCF_VX_INTERNAL_ERROR,  /* KVM internal error (emulation failure ...) */
	HCF_VX_ENTRY_FAILED,    /* KVM could not enter the guest */
	HCF_VX_HYPERCALL,       /* KVM_EXIT_HYPERCALL (userspace hypercall exit) */
	HCF_VX_SYSTEM_EVENT,    /* reset / shutdown request from the guest */
	HCF_VX_HOST_ERROR,      /* KVM_RUN failed: errno */
	HCF_VX_UNEXPECTED,      /* an exit reason this VMM does not handle */
	HCF_VX_COUNT
};

struct hcf_vx {
	enum hcf_vx_kind kind;
	uint32_t raw_reason;     /* kvm_run.exit_reason (0 when KVM_RUN failed) */
	int host_errno;
	union {
		struct {
			uint16_t port;
			uint8_t size;      /* 1, 2 or 4 */
			bool in;
			uint32_t count;
			uint64_t data_offset; /* validated: inside the kvm_run mapping */
			uint32_t value;    /* first element, for OUT */
		} io;
		struct {
			uint64_t gpa;
			uint32_t len;
			bool write;
			uint64_t value;    /* for writes */
		} mmio;
		struct {
			uint32_t suberror;
			uint32_t ndata;
			uint64_t data[4];
		} internal;
		struct {
			uint64_t hw_reason;
		} fail_entry;
		struct {
			uint64_t nr;
			uint64_t args[6];
		} hypercall;
		struct {
			uint32_t type;
		} system_event;
	} u;
	char detail[160];          /* one line for humans */
};

struct hcf_vx_input {
	const struct kvm_run *run;
	size_t run_size;          /* bytes mapped at run */
	int rc;                   /* KVM_RUN return value */
	int err;                  /* errno when rc < 0 */
	bool watchdog_expired;    /* the run's deadline has passed */
	bool user_interrupt;      /* SIGINT/SIGTERM arrived during the run */
	uint16_t doorbell_port;
	uint16_t debugcon_port;
};

void hcf_kvm_classify(const struct hcf_vx_input *in, struct hcf_vx *out);

const char *hcf_vx_kind_name(enum hcf_vx_kind k);
/* "KVM_EXIT_IO" ... or "exit 123". */
const char *hcf_kvm_exit_name(uint32_t reason, char *buf, size_t len);

#endif /* HCF_KVM_EXIT_H */
