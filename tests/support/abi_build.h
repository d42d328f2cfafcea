/*
 * abi_build.h: ABIs built by hand for unit tests.
 *
 * Tests of the program model, the text format and the plan must not depend
 * on the YAML loader, so they build struct hcf_abi directly. Every
 * allocation here is one hcf_spec_free releases.
 */
#ifndef HCF_TEST_ABI_BUILD_H
#define HCF_TEST_ABI_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"

struct hcf_abi *abi_new(const char *name, enum hcf_xport_kind kind, unsigned nr_reg,
	       unsigned nr_width, uint64_t or_mask, unsigned subop_reg);
int abi_struct(struct hcf_abi *abi, const char *name, uint32_t size);
void abi_field(struct hcf_abi *abi, int si, const char *name, uint32_t off, uint32_t size,
	      enum hcf_dir dir, int points_to, int len_field);
int abi_op(struct hcf_abi *abi, const char *call, const char *sub, uint64_t nr,
	  uint64_t subop);
void abi_arg(struct hcf_abi *abi, int opi, const char *name, unsigned reg, unsigned width,
	    enum hcf_dir dir, int struct_idx);
/* Append the range lo..hi to a value set (returns, errors, hints). */
void abi_vset_add(struct hcf_vset *s, int64_t lo, int64_t hi);
void abi_hint(struct hcf_abi *abi, int opi, size_t argi, int64_t lo, int64_t hi);
void abi_const(struct hcf_abi *abi, const char *name, int64_t v);

#endif /* HCF_TEST_ABI_BUILD_H */
