/* value_class.c: the class of an input value by its width, and which arguments are inputs. */
#include "prog/value_class.h"

#include <string.h>

#include "util/x86.h"

static const char *const names[HCF_VC_COUNT] = {
	[HCF_VC_ZERO] = "zero",
	[HCF_VC_ONE] = "one",
	[HCF_VC_ALL_ONES] = "all-ones",
	[HCF_VC_SIGN_BIT] = "sign-bit",
	[HCF_VC_MAX] = "max",
	[HCF_VC_UPPER_GARBAGE] = "upper-garbage",
	[HCF_VC_HINT] = "hint",
	[HCF_VC_RANDOM] = "random",
	[HCF_VC_PTR_VALID] = "valid",
	[HCF_VC_PTR_EDGE] = "edge",
	[HCF_VC_PTR_INVALID] = "invalid",
};

const char *hcf_vclass_name(enum hcf_vclass c)
{
	return (unsigned)c < HCF_VC_COUNT ? names[c] : "?";
}

int hcf_vclass_parse(const char *name)
{
	for (int c = 0; name && c < HCF_VC_COUNT; c++)
		if (!strcmp(names[c], name))
			return c;
	return -1;
}

bool hcf_vclass_applies(enum hcf_vclass c, unsigned width, bool has_hints, bool pointer)
{
	if (c == HCF_VC_UPPER_GARBAGE)
		return width < 64;
	if (c == HCF_VC_HINT)
		return has_hints;
	if (c >= HCF_VC_PTR_VALID)
		return pointer && c < HCF_VC_COUNT;
	return (unsigned)c < HCF_VC_COUNT;
}

static bool in_hints(const struct hcf_vset *h, uint64_t v, unsigned w)
{
	if (!h || h->any || !h->n)
		return false;
	return hcf_vset_contains(h, (int64_t)v) || hcf_vset_contains(h, hcf_sext(v, w));
}

uint64_t hcf_vclass_value(enum hcf_vclass c, unsigned width)
{
	unsigned w = width && width < 64 ? width : 64;
	uint64_t m = hcf_x86_width_mask(w);
	switch (c) {
	case HCF_VC_ZERO: return 0;
	case HCF_VC_ONE: return 1;
	case HCF_VC_ALL_ONES: return m;
	case HCF_VC_SIGN_BIT: return 1ull << (w - 1);
	case HCF_VC_MAX: return m >> 1;
	case HCF_VC_UPPER_GARBAGE: return (0xdeadbeefdeadbeefull & ~m) | 1;
	default: return 0;
	}
}

bool hcf_vclass_hints_apply(const struct hcf_vset *hints, unsigned width)
{
	if (!hints || hints->any)
		return false;
	unsigned w = width && width < 64 ? width : 64;
	uint64_t m = hcf_x86_width_mask(w);
	for (size_t i = 0; i < hints->n; i++) {
		const struct hcf_vrange *r = &hints->r[i];
		/* a range wider than the special values has a value of its own;
		 * a narrower one is tried value by value, as the plan spells them */
		if ((uint64_t)r->hi - (uint64_t)r->lo > HCF_VC_HINT)
			return true;
		for (int64_t v = r->lo;; v++) {
			if (hcf_vclass_of_number((uint64_t)v & m, w, hints) == HCF_VC_HINT)
				return true;
			if (v == r->hi)
				break;
		}
	}
	return false;
}

enum hcf_vclass hcf_vclass_of_number(uint64_t v, unsigned width, const struct hcf_vset *hints)
{
	unsigned w = width && width < 64 ? width : 64;
	if (v & ~hcf_x86_width_mask(w))
		return HCF_VC_UPPER_GARBAGE;
	for (int c = HCF_VC_ZERO; c <= HCF_VC_MAX; c++)
		if (v == hcf_vclass_value((enum hcf_vclass)c, w))
			return (enum hcf_vclass)c;
	return in_hints(hints, v, w) ? HCF_VC_HINT : HCF_VC_RANDOM;
}

enum hcf_vclass hcf_vclass_of_pointer(const struct hcf_prog *p, const struct hcf_bufref *ref,
				      uint32_t need)
{
	if (!p || ref->buf < 0 || (size_t)ref->buf >= p->nbufs)
		return HCF_VC_PTR_INVALID;
	int64_t size = p->bufs[ref->buf].size;
	int64_t lo = ref->offset, hi = lo + (need ? need : 1);
	if (lo >= 0 && hi <= size)
		return HCF_VC_PTR_VALID;
	/* overlaps the buffer or one of its guards */
	if (hi > -(int64_t)HCF_BUF_GUARD && lo < size + (int64_t)HCF_BUF_GUARD)
		return HCF_VC_PTR_EDGE;
	return HCF_VC_PTR_INVALID;
}

unsigned hcf_arg_width(const struct hcf_arg *a)
{
	return a->width && a->width < 64 ? a->width : 64;
}

/* The registers hcf_prog_add_call fills for op (number, sub-operation, magic). */
static hcf_regmask_t implied_regs(const struct hcf_abi *abi, const struct hcf_op *op)
{
	uint64_t magic[HCF_NGPR];
	hcf_regmask_t m = HCF_REGBIT(hcf_prog_nr_reg(abi)) | hcf_prog_magic(abi, magic);
	if (op->has_subop && abi->subop_reg < HCF_NGPR)
		m |= HCF_REGBIT(abi->subop_reg);
	return m;
}

bool hcf_arg_is_input(const struct hcf_abi *abi, const struct hcf_op *op, const struct hcf_arg *a)
{
	return (a->dir & HCF_DIR_IN) && a->reg < HCF_NGPR &&
	       !(implied_regs(abi, op) & HCF_REGBIT(a->reg));
}

bool hcf_arg_is_pointer(const struct hcf_abi *abi, const struct hcf_arg *a)
{
	return a->struct_idx >= 0 && (size_t)a->struct_idx < abi->nstructs;
}
