/* devices.c: the in-process VMM's PIO/MMIO responders (empty bus, zero, test ones). */
#include "target/devices.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcf_proto.h"
#include "spec/spec.h"

enum { DEV_EMPTY, DEV_ZERO, DEV_CLOBBER, DEV_SCRIBBLE, DEV_POKE, DEV_STORE };

#define CLOBBER_XOR 0x5a5a5a5a5a5a5a5aull

static const struct {
	const char *name;
	int kind;
	uint64_t read_value; /* what a read returns (masked to the access width) */
	const char *doc;
} responders[] = {
	{ "empty", DEV_EMPTY, ~0ull, "reads return all ones, writes are ignored (default)" },
	{ "zero", DEV_ZERO, 0, "reads return zero, writes are ignored" },
	{ "clobber", DEV_CLOBBER, ~0ull,
	  "test only: like empty, and XORs register ARG with 0x5a5a... on every access (ARG "
	  "REG@PORT: only on accesses to that port or MMIO address)" },
	{ "scribble", DEV_SCRIBBLE, ~0ull,
	  "test only: like empty, and overwrites the mailbox header and results with garbage, "
	  "as a hostile hypervisor could" },
	{ "poke", DEV_POKE, ~0ull,
	  "test only: like empty, and writes 0xa5 to guest-physical address ARG on every access" },
	{ "store", DEV_STORE, ~0ull,
	  "test only: like empty, and on accesses to port or MMIO address ARG writes the access "
	  "count (8 bytes) at the guest address in rbx and leaves a changing value in rdx: an ABI "
	  "with a pointer argument and a clobbered register whose truth is known (hcfuzz learn's "
	  "test)" },
};

int hcf_device_init(struct hcf_device *d, const char *spec, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	if (!spec || !*spec)
		spec = "empty";
	const char *colon = strchr(spec, ':');
	size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
	for (size_t i = 0; i < sizeof(responders) / sizeof(responders[0]); i++) {
		if (strlen(responders[i].name) != nlen || strncmp(responders[i].name, spec, nlen))
			continue;
		d->name = responders[i].name;
		d->kind = (int)i;
		if (responders[i].kind == DEV_CLOBBER) {
			unsigned w;
			char reg[8] = "";
			const char *at = colon ? strchr(colon, '@') : NULL;
			if (colon && (size_t)((at ? at : colon + strlen(colon)) - colon - 1) < sizeof(reg))
				memcpy(reg, colon + 1, (size_t)((at ? at : colon + strlen(colon)) - colon - 1));
			d->reg = reg[0] ? hcf_reg_parse(reg, &w) : HCF_REG_NONE;
			char *end = NULL;
			if (at) {
				d->only_at = true;
				d->at = strtoull(at + 1, &end, 0);
			}
			if (d->reg == HCF_REG_NONE || d->reg == HCF_RSP ||
			    (at && (!end || *end || end == at + 1))) {
				snprintf(err, errlen, "responder clobber needs a register and maybe a "
						      "port (clobber:rbx, clobber:rbx@0x501), got '%s'",
					 spec);
				return -1;
			}
		} else if (responders[i].kind == DEV_POKE || responders[i].kind == DEV_STORE) {
			char *end = NULL;
			d->addr = colon ? strtoull(colon + 1, &end, 0) : 0;
			if (!colon || !end || *end || end == colon + 1) {
				snprintf(err, errlen, "responder %s needs an address (%s), got '%s'", d->name,
					 responders[i].kind == DEV_POKE ? "poke:0x101000" : "store:0x501",
					 spec);
				return -1;
			}
		} else if (colon && responders[i].kind != DEV_SCRIBBLE) {
			snprintf(err, errlen, "responder %s takes no argument", d->name);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown responder '%s' (empty, zero; test only: clobber:REG, scribble, "
		 "poke:GPA, store:PORT)", spec);
	return -1;
}

/* The test responder's deed: change a register the call did not ask for. */
static int clobber(struct hcf_device *d, struct hcf_vmm *vm)
{
	uint64_t gpr[16], rip, rflags;
	/* registers are exact only once the pending access is complete */
	if (hcf_vmm_complete_pending(vm) != 0 || hcf_vmm_get_gprs(vm, gpr, &rip, &rflags) != 0)
		return -1;
	gpr[d->reg] ^= CLOBBER_XOR;
	return hcf_vmm_set_gprs(vm, gpr, rip, rflags);
}

/* The scribbler's deed: garbage over what the agent reports through. */
static int scribble(struct hcf_device *d, struct hcf_vmm *vm)
{
	const struct hcf_gmem *m = hcf_vmm_mem(vm);
	uint8_t *hdr = hcf_gmem_at(m, hcf_gpa(HCF_GPA_MBOX), HCF_MBOX_CALLS_OFF);
	uint8_t *res = hcf_gmem_at(m, hcf_gpa(HCF_GPA_MBOX + HCF_MBOX_RESULTS_OFF),
				   HCF_MBOX_VEC_OFF - HCF_MBOX_RESULTS_OFF);
	if (!hdr || !res)
		return -1;
	uint64_t x = 0x9e3779b97f4a7c15ull * (d->accesses + 1);
	/* keep the command fields the agent reads so it finishes the batch;
	 * everything it reports through is fair game */
	size_t keep = offsetof(struct hcf_mbox, ack_seq);
	for (size_t i = keep; i < HCF_MBOX_CALLS_OFF; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		hdr[i] = (uint8_t)x;
	}
	for (size_t i = 0; i < HCF_MBOX_VEC_OFF - HCF_MBOX_RESULTS_OFF; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		res[i] = (uint8_t)x;
	}
	hcf_vmm_note_host_write(vm, HCF_GPA_MBOX, HCF_MBOX_VEC_OFF);
	return 0;
}

/* The poker's deed: a write to guest memory the call had no business making. */
static int poke(struct hcf_device *d, struct hcf_vmm *vm)
{
	uint8_t v = 0xa5;
	/* an address outside RAM is simply not written */
	if (hcf_gmem_write(hcf_vmm_mem(vm), hcf_gpa(d->addr), &v, 1) == 0)
		hcf_vmm_note_host_write(vm, d->addr, 1);
	return 0;
}

/* The store's deed: its count at the address in rbx (a pointer argument),
 * a changing value left in rdx (a clobber), on accesses to its port only. */
static int store(struct hcf_device *d, struct hcf_vmm *vm, uint64_t where)
{
	uint64_t gpr[16], rip, rflags;
	if (where != d->addr)
		return 0;
	if (hcf_vmm_complete_pending(vm) != 0 || hcf_vmm_get_gprs(vm, gpr, &rip, &rflags) != 0)
		return -1;
	uint64_t count = d->accesses;
	/* an address outside RAM (a sentinel) is simply not written */
	if (hcf_gmem_write(hcf_vmm_mem(vm), hcf_gpa(gpr[HCF_RBX]), &count, sizeof(count)) == 0)
		hcf_vmm_note_host_write(vm, gpr[HCF_RBX], sizeof(count));
	gpr[HCF_RDX] = count * 0x9e3779b97f4a7c15ull;
	return hcf_vmm_set_gprs(vm, gpr, rip, rflags);
}

static int respond(struct hcf_device *d, struct hcf_vmm *vm, uint64_t where)
{
	switch (responders[d->kind].kind) {
	case DEV_CLOBBER: return d->only_at && where != d->at ? 0 : clobber(d, vm);
	case DEV_SCRIBBLE: return scribble(d, vm);
	case DEV_POKE: return poke(d, vm);
	case DEV_STORE: return store(d, vm, where);
	default: return 0;
	}
}

int hcf_device_pio(struct hcf_device *d, struct hcf_vmm *vm, const struct hcf_vx *vx)
{
	d->accesses++;
	if (vx->u.io.in)
		hcf_vmm_set_io_in(vm, vx, (uint32_t)responders[d->kind].read_value);
	return respond(d, vm, vx->u.io.port);
}

int hcf_device_mmio(struct hcf_device *d, struct hcf_vmm *vm, const struct hcf_vx *vx)
{
	d->accesses++;
	if (!vx->u.mmio.write)
		hcf_vmm_set_mmio_read(vm, vx, responders[d->kind].read_value);
	return respond(d, vm, vx->u.mmio.gpa);
}
