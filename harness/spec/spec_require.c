/*
 * spec_require.c: what a hypervisor must offer for an ABI to be there at all
 * (struct hcf_requirement): the native language's `requires:` list, and the
 * requirement the Xen FastABI dialect sets itself.
 *
 * A requirement names a bit of the hypervisor's own CPUID leaves (the leaves
 * after its base, 0x40000000 on the targets here), as the FastABI RFC makes
 * its ABI depend on XEN_HVM_CPUID_FASTABI. Deciding whether a target meets it
 * is the executor's (harness/exec/requires.c): the spec only states it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec_parse.h"
#include "util/xalloc.h"

#define S HCF_YT_SCALAR
#define M HCF_YT_MAP
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const cpuid_regs[4] = { "eax", "ebx", "ecx", "edx" };

enum { RK_FEATURE, RK_HYPERVISOR, RK_CPUID, RK_DOC, RK_COUNT };
static const struct hcf_spec_key req_keys[RK_COUNT] = {
	[RK_FEATURE] = { "feature", S, true, 0 },
	[RK_HYPERVISOR] = { "hypervisor", S, false, 0 },
	[RK_CPUID] = { "cpuid", M, true, 0 },
	[RK_DOC] = { "doc", S, false, 0 },
};

enum { CK_LEAF, CK_REG, CK_MASK, CK_VALUE, CK_COUNT };
static const struct hcf_spec_key cpuid_keys[CK_COUNT] = {
	[CK_LEAF] = { "leaf", S, true, 0 },
	[CK_REG] = { "reg", S, true, 0 },
	[CK_MASK] = { "mask", S, true, 0 },
	[CK_VALUE] = { "value", S, false, 0 },
};

static struct hcf_requirement *new_requirement(struct hcf_abi *abi)
{
	abi->requires = hcf_xreallocarray(abi->requires, abi->nrequires + 1,
					  sizeof(*abi->requires));
	struct hcf_requirement *r = &abi->requires[abi->nrequires++];
	memset(r, 0, sizeof(*r));
	return r;
}

static bool parse_cpuid(struct hcf_spec_ctx *c, const struct hcf_ynode *n,
			struct hcf_requirement *r)
{
	const struct hcf_ynode *v[CK_COUNT];
	uint64_t leaf, mask, value;
	if (!hcf_spec_map_keys(c, n, "cpuid", cpuid_keys, CK_COUNT, 0, v))
		return false;
	if (!hcf_y_uint(c, v[CK_LEAF], UINT32_MAX, "leaf", &leaf) ||
	    !hcf_y_uint(c, v[CK_MASK], UINT32_MAX, "mask", &mask))
		return false;
	if (leaf < 1 || leaf > HCF_HV_LEAVES) {
		hcf_spec_err(c, v[CK_LEAF], "leaf %llu: the hypervisor's leaves base+1..base+%u "
					    "(the leaf after its base, not 0x4000000N)",
			     (unsigned long long)leaf, HCF_HV_LEAVES);
		return false;
	}
	if (mask == 0) {
		hcf_spec_err(c, v[CK_MASK], "a mask of 0 tests nothing");
		return false;
	}
	const char *reg = hcf_y_str(c, v[CK_REG], "reg");
	if (!reg)
		return false;
	size_t ri = 0;
	while (ri < 4 && strcmp(reg, cpuid_regs[ri]) != 0)
		ri++;
	if (ri == 4) {
		hcf_spec_err(c, v[CK_REG], "reg '%.20s': eax, ebx, ecx or edx", reg);
		return false;
	}
	value = mask;
	if (v[CK_VALUE]) {
		if (!hcf_y_uint(c, v[CK_VALUE], UINT32_MAX, "value", &value))
			return false;
		if (value & ~mask) {
			hcf_spec_err(c, v[CK_VALUE], "value 0x%llx has bits outside mask 0x%llx",
				     (unsigned long long)value, (unsigned long long)mask);
			return false;
		}
	}
	r->leaf = (uint8_t)leaf;
	r->reg = (uint8_t)ri;
	r->mask = (uint32_t)mask;
	r->value = (uint32_t)value;
	return true;
}

void hcf_spec_requires(struct hcf_spec_ctx *c, const struct hcf_ynode *seq)
{
	for (size_t i = 0; i < hcf_y_nitems(seq); i++) {
		const struct hcf_ynode *it = seq->kids[i], *v[RK_COUNT];
		if (!hcf_spec_map_keys(c, it, "requirement", req_keys, RK_COUNT, 0, v))
			continue;
		const char *feature = hcf_y_str(c, v[RK_FEATURE], "feature");
		const char *hv = v[RK_HYPERVISOR] ? hcf_y_str(c, v[RK_HYPERVISOR], "hypervisor")
						  : "";
		const char *doc = v[RK_DOC] ? hcf_y_str(c, v[RK_DOC], "doc") : NULL;
		if (!feature || !hv || (v[RK_DOC] && !doc))
			continue;
		if (strlen(hv) > 12) {
			hcf_spec_err(c, v[RK_HYPERVISOR], "hypervisor '%.40s': a CPUID signature has "
							  "12 characters at most", hv);
			continue;
		}
		if (doc && strchr(doc, '\n')) {
			hcf_spec_err(c, v[RK_DOC], "doc: one line (reports quote it)");
			continue;
		}
		struct hcf_requirement r = { 0 };
		if (!parse_cpuid(c, v[RK_CPUID], &r))
			continue;
		struct hcf_requirement *dst = new_requirement(c->abi);
		*dst = r;
		dst->feature = hcf_xstrdup(feature);
		dst->doc = doc ? hcf_xstrdup(doc) : NULL;
		memcpy(dst->signature, hv, strlen(hv) + 1);
		dst->pos = hcf_spec_pos(c, it);
	}
}

void hcf_spec_require_cpuid(struct hcf_abi *abi, const char *feature, const char *doc,
			    const char *signature, unsigned leaf, unsigned reg, uint32_t mask)
{
	struct hcf_requirement *r = new_requirement(abi);
	r->feature = hcf_xstrdup(feature);
	r->doc = doc ? hcf_xstrdup(doc) : NULL;
	snprintf(r->signature, sizeof(r->signature), "%s", signature ? signature : "");
	r->leaf = (uint8_t)leaf;
	r->reg = (uint8_t)reg;
	r->mask = r->value = mask;
}

void hcf_spec_requires_free(struct hcf_abi *abi)
{
	for (size_t i = 0; i < abi->nrequires; i++) {
		free(abi->requires[i].feature);
		free(abi->requires[i].doc);
	}
	free(abi->requires);
	abi->requires = NULL;
	abi->nrequires = 0;
}

const char *hcf_requirement_reg_name(unsigned reg)
{
	return reg < 4 ? cpuid_regs[reg] : "?";
}
