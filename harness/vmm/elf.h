/*
 * elf.h: load the guest agent's ELF64 image into guest memory.
 *
 * Only what a static, non-relocatable x86-64 executable needs: check the
 * header, copy each PT_LOAD segment to its physical address through the
 * checked accessor, zero its BSS tail, return the entry point. Every offset
 * and size in the file is checked; a corrupt agent file is an error, not a
 * crash.
 */
#ifndef HCF_ELF_H
#define HCF_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/gmem.h"

#define HCF_ELF_MAX_SEGS 8

/* A loaded segment, page-rounded. */
struct hcf_elf_seg {
	uint64_t lo, hi;   /* [lo, hi) guest-physical */
	bool writable;
};

struct hcf_elf_info {
	uint64_t entry;
	struct hcf_elf_seg segs[HCF_ELF_MAX_SEGS];
	size_t nsegs;
};

/* Load image[0..len) into m, only inside [lo, hi). Returns 0 with info, or -1
 * with a message in err. */
int hcf_elf_load(const uint8_t *image, size_t len, const struct hcf_gmem *m, uint64_t lo,
		 uint64_t hi, struct hcf_elf_info *info, char *err, size_t errlen);

/* The value of symbol name in the image's symbol table. Returns 0, or -1
 * when there is no such symbol (or no symbol table). */
int hcf_elf_symbol(const uint8_t *image, size_t len, const char *name, uint64_t *value);

#endif /* HCF_ELF_H */
