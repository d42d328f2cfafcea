/*
 * devices.h: what answers the guest's port I/O and MMIO in the in-process VMM.
 *
 * With a PIO or MMIO transport the in-process VMM itself is the "hypervisor"
 * the call reaches. By default it behaves like an empty bus (reads give all
 * ones, writes vanish, no register changes). Responders are rows of a table,
 * chosen with the target option responder=NAME[:ARG]; "clobber:REG" exists
 * for hcfuzz's own end-to-end test: it changes a register behind the call's
 * back, which the clobber oracle must report (docs/targets.md).
 */
#ifndef HCF_DEVICES_H
#define HCF_DEVICES_H

#include <stdint.h>

#include "vmm/kvm_exit.h"
#include "vmm/vmm.h"

struct hcf_device {
	const char *name;      /* responder name */
	int kind;              /* row of the responder table */
	unsigned reg;          /* clobber: the register */
	bool only_at;          /* clobber: only on accesses to `at` */
	uint64_t at;           /* clobber@AT: the port, or MMIO guest-physical address */
	uint64_t addr;         /* poke: the guest-physical address */
	uint64_t accesses;     /* PIO/MMIO exits answered */
};

/* spec: NULL or "" (empty bus), "empty", "zero", "clobber:REG[@PORT]",
 * "scribble", "poke:GPA". */
int hcf_device_init(struct hcf_device *d, const char *spec, char *err, size_t errlen);
int hcf_device_pio(struct hcf_device *d, struct hcf_vmm *vm, const struct hcf_vx *vx);
int hcf_device_mmio(struct hcf_device *d, struct hcf_vmm *vm, const struct hcf_vx *vx);

#endif /* HCF_DEVICES_H */
