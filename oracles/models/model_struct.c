/*
 * model_struct.c: structs in guest memory, for models of ABIs that pass them.
 *
 * A model predicts from the registers a call loaded, but an ABI like Xen's
 * classic one passes its arguments in a struct the register points to, and
 * returns results there. Programs name their buffers, so a struct a call
 * points at is found through the program (the register's buffer reference)
 * rather than through guest addresses: its initial bytes are the program's,
 * its bytes after the run are the result's. Either is what the call saw or
 * left only when no other call of the program pointed the hypervisor at the
 * same bytes, which is checked the way the memory oracle attributes writes.
 */
#include <string.h>

#include "oracles/models/model.h"
#include "oracles/oracle.h"

bool hcf_model_struct_at(const struct hcf_prog *p, size_t idx, unsigned reg, uint32_t size,
			 int *buf, uint32_t *off)
{
	if (!p || idx >= p->ncalls || reg >= HCF_NGPR)
		return false;
	const struct hcf_bufref *r = &p->calls[idx].ref[reg];
	if (r->buf < 0 || (size_t)r->buf >= p->nbufs || r->offset < 0)
		return false;
	if ((uint64_t)(uint32_t)r->offset + size > p->bufs[r->buf].size)
		return false;
	*buf = r->buf;
	*off = (uint32_t)r->offset;
	return true;
}

/* Do bytes [lo, hi) of buffer b lie in an OUT field of a struct that
 * argument a of call j may point to there? Conditional pointers count
 * whatever their condition (the safe side), and a struct the hypervisor
 * aligns down may land anywhere in the buffer. */
static bool arg_may_write(const struct hcf_abi *abi, const struct hcf_prog *p, size_t j,
			  const struct hcf_arg *a, int b, int64_t lo, int64_t hi)
{
	if (!(a->dir & HCF_DIR_IN) || a->reg >= HCF_NGPR)
		return false;
	const struct hcf_bufref *r = &p->calls[j].ref[a->reg];
	if (r->buf != b)
		return false;
	for (size_t k = 0; k <= a->npointers; k++) {
		int si = k == 0 ? a->struct_idx : a->pointers[k - 1].struct_idx;
		if (si < 0 || (size_t)si >= abi->nstructs)
			continue;
		const struct hcf_struct *st = &abi->structs[si];
		if (st->align_down > 1)
			return true;
		for (size_t f = 0; f < st->nfields; f++) {
			const struct hcf_field *fl = &st->fields[f];
			int64_t flo = (int64_t)r->offset + fl->offset, fhi = flo + fl->size;
			if ((fl->dir & HCF_DIR_OUT) && flo < hi && lo < fhi)
				return true;
		}
	}
	return false;
}

static uint64_t get_le(const uint8_t *s, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = size; i-- > 0;)
		v = v << 8 | s[i];
	return v;
}

bool hcf_model_in_field(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			unsigned reg, uint32_t off, unsigned size, uint64_t *v)
{
	int b;
	uint32_t at;
	if (!abi || size == 0 || size > 8 || off > HCF_BUF_MAX ||
	    !hcf_model_struct_at(p, idx, reg, off + size, &b, &at))
		return false;
	int64_t lo = (int64_t)at + off, hi = lo + size;
	const struct hcf_buf *pb = &p->bufs[b];
	/* a pointer the target patches in is an address, not the program's */
	for (size_t k = 0; k < pb->nrelocs; k++)
		if ((int64_t)pb->relocs[k].at < hi && lo < (int64_t)pb->relocs[k].at + 8)
			return false;
	for (size_t j = 0; j < idx; j++) {
		const struct hcf_op *op = hcf_prog_call_op(p, j);
		for (size_t a = 0; op && a < op->nargs; a++)
			if (arg_may_write(abi, p, j, &op->args[a], b, lo, hi))
				return false;
	}
	uint8_t bytes[8] = { 0 };
	if (pb->init)
		memcpy(bytes, pb->init + lo, size);
	*v = get_le(bytes, size);
	return true;
}

bool hcf_model_out_field(const struct hcf_abi *abi, const struct hcf_prog *p,
			 const struct hcf_prog_result *res, size_t idx, unsigned reg, uint32_t off,
			 unsigned size, uint64_t *v)
{
	int b;
	uint32_t at;
	if (!abi || !res || size == 0 || size > 8 || off > HCF_BUF_MAX ||
	    !hcf_model_struct_at(p, idx, reg, off + size, &b, &at) || (size_t)b >= res->nbufs)
		return false;
	const struct hcf_buf_after *ra = &res->bufs[b];
	if (!ra->valid || !ra->bytes || ra->size != p->bufs[b].size)
		return false;
	uint32_t lo = at + off;
	uint64_t glo = ra->gva + lo;
	size_t last = hcf_oracle_last_ran(res);
	if (last != SIZE_MAX && last > idx &&
	    hcf_oracle_pointed_out(abi, p, res, idx + 1, last, glo, glo + size, NULL) != SIZE_MAX)
		return false;
	*v = get_le(ra->bytes + HCF_BUF_GUARD + lo, size);
	return true;
}

void hcf_expect_field(struct hcf_expect *e, unsigned reg, uint32_t off, unsigned size,
		      uint64_t value, const char *name)
{
	if (e->nfields >= HCF_EXPECT_FIELDS || reg >= HCF_NGPR || size == 0 || size > 8 ||
	    off > UINT16_MAX)
		return;
	struct hcf_expect_field *f = &e->fields[e->nfields++];
	f->reg = (uint8_t)reg;
	f->size = (uint8_t)size;
	f->offset = (uint16_t)off;
	f->value = size < 8 ? value & ((1ull << (size * 8)) - 1) : value;
	f->name = name;
}
