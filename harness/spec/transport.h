/*
 * transport.h: how a call reaches the hypervisor, one module.
 *
 * A transport is a row of the table in transport.c: its spelling in a spec
 * and the parameters it takes, the registers the instruction itself
 * clobbers, where the call number goes (a register, or a port or MMIO
 * address formed in rdx, or an entry of the hypercall page), which numbers
 * it can issue without talking to the harness's own devices, what the agent
 * executes (hcf_proto.h's HCF_WX_*), the instruction's bytes for reproducers,
 * and how people read it. Everything else asks these functions.
 *
 * Adding a transport: a kind in spec.h, a row here, the agent's instruction
 * (a stub in guests/agent/trampoline.S, one case of agent.c's stub switch),
 * and its wire code in hcf_proto.h. docs/spec-format.md says so.
 */
#ifndef HCF_TRANSPORT_H
#define HCF_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"

/* Static facts per transport kind, one row each. */
struct hcf_xport_info {
	enum hcf_xport_kind kind;
	const char *name;        /* spec spelling */
	hcf_regmask_t clobbers;  /* architectural clobbers */
	const char *why;         /* one-line reason, shown in docs and FAIL messages */
};
const struct hcf_xport_info *hcf_xport_info(enum hcf_xport_kind kind);
const char *hcf_xport_name(enum hcf_xport_kind kind);

/* Read a transport (the "transport:" value of a spec) into t; false, with
 * the errors reported, when it is not one. */
struct hcf_spec_ctx;
struct hcf_ynode;
bool hcf_xport_parse(struct hcf_spec_ctx *c, const struct hcf_ynode *n, struct hcf_transport *t);

/* Does the call number select an address formed in rdx (port I/O, MMIO)
 * rather than travel in a register of its own? (Not for a fixed port.) */
bool hcf_xport_addressed(const struct hcf_transport *t);
/* The number an addressed transport's instruction really reaches for the
 * number nr a call holds: `out` takes its port from DX, so only the low 16
 * bits of base + nr count (the port, less the base, mod 2^16); an MMIO
 * address is the whole of base + nr * scale. */
uint64_t hcf_xport_reached_nr(const struct hcf_transport *t, uint64_t nr);
/* Does the transport keep a port or address in rdx (port I/O, MMIO, fixed
 * or not)? Then rdx cannot carry anything else. */
bool hcf_xport_uses_rdx(const struct hcf_transport *t);

/*
 * Registers the transport's own code holds while a call is in flight, which
 * an exception delivered inside that code (an NMI the call sends to its
 * caller, delivered the moment the hypervisor returns) shows as they are
 * there, not as the call leaves them: the hypercall page's entry has its
 * return address on the stack and, in a PV guest, rcx and r11 pushed around
 * its syscall. 0 unless fault_rip lies in such code.
 */
hcf_regmask_t hcf_xport_inflight_regs(const struct hcf_transport *t, uint64_t fault_rip);

/* The largest call number the transport can carry at all (nr_width bits
 * for the register-number transports). */
uint64_t hcf_xport_max_nr(const struct hcf_transport *t, unsigned nr_width);

/*
 * Where call number nr goes besides the number register: rdx for an
 * addressed transport (*rdx_set), the hypercall-page entry the agent calls
 * (*entry, 0 for other transports).
 */
void hcf_xport_place(const struct hcf_transport *t, uint64_t nr, bool *rdx_set, uint64_t *rdx,
		     uint64_t *entry);

/* A call number the harness will not issue: a port that is its own
 * (doorbell, debug console), an MMIO address in guest RAM (a plain store,
 * no exit). NULL: fine; else why not. */
const char *hcf_xport_refusal(const struct hcf_transport *t, uint64_t nr);

/*
 * The numbers generators aim at: a port above the base, an MMIO address in
 * a 64 KiB window above the base, an entry inside the hypercall page; none
 * the harness refuses. hcf_xport_usable says whether nr is one;
 * hcf_xport_fold folds any number into that range (false: nothing fits).
 * Register-number transports take every number.
 */
bool hcf_xport_usable(const struct hcf_transport *t, uint64_t nr);
bool hcf_xport_fold(const struct hcf_transport *t, uint64_t *nr);

/* What the agent executes (HCF_WX_*); NATIVE resolves by the CPU vendor the
 * agent reported: vmcall on Intel, vmmcall otherwise. */
uint8_t hcf_xport_wire(const struct hcf_transport *t, const char *cpu_vendor);

/* The instruction's bytes for a transport issued by one fixed instruction
 * (vmcall, vmmcall, syscall, in/out and MMIO loads/stores through rdx),
 * native as vmcall. 0 for those that take an operand (int N, the page call). */
size_t hcf_xport_insn(const struct hcf_transport *t, uint8_t out[8], const char **mnemonic);

/* "int 0x1b", "port I/O (out, 4 bytes) to port 0x500 + number" */
void hcf_xport_describe(const struct hcf_transport *t, char *buf, size_t len);
/* The transport as a spec writes it (`transport:`'s value, a YAML scalar or
 * flow mapping that hcf_xport_parse reads back), for specs hcfuzz writes. */
void hcf_xport_spec_text(const struct hcf_transport *t, char *buf, size_t len);

#endif /* HCF_TRANSPORT_H */
