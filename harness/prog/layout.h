/*
 * layout.h: where a program's buffers lie in the agent's arena, what their
 * bytes are before the first call, and the register image each call loads.
 *
 * One definition, shared by the kvm target (which lays buffers out and
 * marshals calls), the reproducer (which must run the same bytes at the same
 * addresses) and the oracles' checks that depend on addresses. Buffers are
 * placed one after the other from HCF_GPA_ARENA, each between two guards of
 * HCF_BUF_GUARD bytes filled with HCF_GUARD_BYTE, HCF_BUF_ALIGN-aligned.
 */
#ifndef HCF_LAYOUT_H
#define HCF_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hcf_proto.h"
#include "prog/prog.h"

#define HCF_BUF_ALIGN 64u     /* start of each guard+buffer+guard */

struct hcf_layout {
	uint64_t buf_gva[HCF_PROG_MAX_BUFS];  /* first byte of each buffer (after its guard) */
};

/*
 * Place p's buffers. Returns 0, or -1 with the reason in err when they do not
 * fit the arena or a pointer inside one names no buffer or lies outside it.
 */
int hcf_layout_place(const struct hcf_prog *p, struct hcf_layout *l, char *err, size_t errlen);

/* Buffer b's bytes before the first call, guards included
 * (HCF_BUF_GUARD + size + HCF_BUF_GUARD into image), pointers patched. */
void hcf_layout_image(const struct hcf_prog *p, const struct hcf_layout *l, size_t b,
		      uint8_t *image);

/* size (1..8) bytes at guest address addr of p's buffers before the first
 * call, guards included, little endian into *v: false when they do not lie
 * wholly in one buffer's image. */
bool hcf_layout_read(const struct hcf_prog *p, const struct hcf_layout *l, uint64_t addr,
		     unsigned size, uint64_t *v);

/* The registers call i loads: the program's values, buffer addresses, the
 * port or MMIO address in rdx for those transports (rsp as the program says:
 * the agent keeps its own). *entry gets the hypercall-page entry (0 for other
 * transports). */
void hcf_layout_call_image(const struct hcf_prog *p, const struct hcf_layout *l, size_t i,
			   uint64_t gpr[HCF_NGPR], uint64_t *entry);

#endif /* HCF_LAYOUT_H */
