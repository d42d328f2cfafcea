/*
 * call_memory.c: guest memory as a call found it, the bytes a call may write
 * behind a buffer field, and whether a call may or must end the guest.
 *
 * A struct field a condition tests (INPUT.FIELD), the range an ends: item's
 * outside: names, the length of a buffer a call writes: all of them are
 * bytes of guest memory the call read, not registers. hcfuzz knows those
 * bytes where they lie in the program's own buffers (guards included), laid
 * out where every target puts them, as long as no earlier call of the
 * program may have had the hypervisor write them. Elsewhere (a struct at a
 * raw address, a field a previous call wrote) they are unknown, and what
 * depends on them is neither required nor refuted: a declared end is
 * allowed, a required one not enforced, a known anomaly not matched.
 */
#include <string.h>

#include "oracles/oracle.h"
#include "util/x86.h"

#define MAX_SPANS 64

/* The spans the buffers behind op's OUT buffer fields cover, reading each
 * data pointer and length as the program laid them out (l). */
static size_t buffer_spans(const struct hcf_abi *abi, const struct hcf_prog *p,
			   const struct hcf_layout *l, const struct hcf_op *op,
			   const uint64_t regs[HCF_NGPR], struct hcf_span *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; op && i < op->nargs && n < max; i++) {
		const struct hcf_arg *a = &op->args[i];
		int si = hcf_oracle_pointed_struct(a, regs);
		if (!(a->dir & HCF_DIR_IN) || a->reg >= HCF_NGPR || si < 0 ||
		    (size_t)si >= abi->nstructs)
			continue;
		const struct hcf_struct *st = &abi->structs[si];
		uint64_t base = regs[a->reg] & hcf_x86_width_mask(a->width);
		for (size_t k = 0; k < st->nfields && n < max; k++) {
			const struct hcf_field *f = &st->fields[k];
			uint64_t data, len;
			if (!(f->buffer_dir & HCF_DIR_OUT) || f->buffer_len_field < 0 ||
			    (size_t)f->buffer_len_field >= st->nfields)
				continue;
			const struct hcf_field *lf = &st->fields[f->buffer_len_field];
			if (!hcf_layout_read(p, l, base + f->offset, f->size, &data) ||
			    !hcf_layout_read(p, l, base + lf->offset, lf->size, &len) || !len)
				continue;
			uint64_t end = data + len < data ? UINT64_MAX : data + len;
			out[n++] = (struct hcf_span){ .lo = data, .hi = end, .stride = 0, .n = 1 };
		}
	}
	return n;
}

size_t hcf_oracle_buffer_writes(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
				const uint64_t regs[HCF_NGPR], struct hcf_span *out, size_t max)
{
	struct hcf_layout l;
	char err[96];
	const struct hcf_op *op = hcf_prog_call_op(p, idx);
	if (!op || hcf_layout_place(p, &l, err, sizeof(err)) != 0)
		return 0;
	return buffer_spans(abi, p, &l, op, regs, out, max);
}

/* ---- the reader --------------------------------------------------------- */

static bool found_read(void *ctx, uint64_t addr, unsigned size, uint64_t *v)
{
	struct hcf_found_mem *m = ctx;
	if (!m->placed || !hcf_layout_read(m->p, &m->l, addr, size, v))
		return false;
	/* bytes an earlier call may have had the hypervisor write are not
	 * the program's any more */
	struct hcf_span w[MAX_SPANS];
	for (size_t j = 0; j < m->idx && j < m->p->ncalls; j++) {
		uint64_t regs[HCF_NGPR], entry;
		hcf_layout_call_image(m->p, &m->l, j, regs, &entry);
		const struct hcf_op *op = hcf_prog_call_op(m->p, j);
		size_t n = hcf_oracle_call_writes(m->abi, op, regs, w, MAX_SPANS);
		n += buffer_spans(m->abi, m->p, &m->l, op, regs, w + n, MAX_SPANS - n);
		for (size_t k = 0; k < n; k++)
			if (hcf_span_clip(&w[k], addr, addr + size, NULL))
				return false;
	}
	return true;
}

void hcf_oracle_found_mem(struct hcf_found_mem *m, const struct hcf_abi *abi,
			  const struct hcf_prog *p, size_t idx, struct hcf_mem_reader *out)
{
	char err[96];
	m->abi = abi;
	m->p = p;
	m->idx = idx;
	m->placed = p && hcf_layout_place(p, &m->l, err, sizeof(err)) == 0;
	out->read = found_read;
	out->ctx = m;
}

bool hcf_oracle_found_field(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			    uint64_t addr, unsigned size, uint64_t *v)
{
	struct hcf_found_mem m;
	struct hcf_mem_reader mr;
	hcf_oracle_found_mem(&m, abi, p, idx, &mr);
	return mr.read(mr.ctx, addr, size, v);
}

/* ---- may and must end --------------------------------------------------- */

enum hcf_tri hcf_oracle_may_end(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
				unsigned kind, const uint64_t regs[HCF_NGPR],
				const struct hcf_loss **unknown)
{
	if (unknown)
		*unknown = NULL;
	if (kind >= HCF_LIVE_COUNT || !hcf_liveness_declarable((enum hcf_liveness)kind))
		return HCF_TRI_NO;
	const struct hcf_op *op = hcf_prog_call_op(p, idx);
	if (hcf_op_hands_over(op, regs))
		return HCF_TRI_YES;
	size_t n;
	const struct hcf_loss *ls = hcf_call_losses(abi, op, &n);
	struct hcf_found_mem m;
	struct hcf_mem_reader mr;
	hcf_oracle_found_mem(&m, abi, p, idx, &mr);
	enum hcf_tri r = HCF_TRI_NO;
	for (size_t i = 0; i < n && r != HCF_TRI_YES; i++) {
		if (!(ls[i].ends & (1u << kind)))
			continue;
		enum hcf_tri t = hcf_loss_eval(&ls[i], regs, &mr);
		if (t == HCF_TRI_UNKNOWN && r == HCF_TRI_NO && unknown)
			*unknown = &ls[i];
		if (t != HCF_TRI_NO)
			r = t;
	}
	return r;
}

const struct hcf_loss *hcf_oracle_must_end(const struct hcf_abi *abi, const struct hcf_prog *p,
					   size_t idx, const uint64_t regs[HCF_NGPR])
{
	size_t n;
	const struct hcf_loss *ls = hcf_call_losses(abi, hcf_prog_call_op(p, idx), &n);
	struct hcf_found_mem m;
	struct hcf_mem_reader mr;
	bool opened = false;
	for (size_t i = 0; i < n; i++) {
		if (!ls[i].must)
			continue;
		if (!opened) {
			hcf_oracle_found_mem(&m, abi, p, idx, &mr);
			opened = true;
		}
		if (hcf_loss_eval(&ls[i], regs, &mr) == HCF_TRI_YES)
			return &ls[i];
	}
	return NULL;
}

enum hcf_tri hcf_oracle_cond(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			     const struct hcf_cond *c, const uint64_t regs[HCF_NGPR])
{
	struct hcf_found_mem m;
	struct hcf_mem_reader mr;
	hcf_oracle_found_mem(&m, abi, p, idx, &mr);
	return hcf_cond_eval(c, regs, &mr);
}

unsigned hcf_loss_first_way(unsigned ends)
{
	for (unsigned k = 0; k < HCF_LIVE_COUNT; k++)
		if ((ends & (1u << k)) && hcf_liveness_declarable((enum hcf_liveness)k))
			return k;
	return HCF_LIVE_OK;
}
