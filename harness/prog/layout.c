/* layout.c: buffers in the arena and the register image of each call. */
#include "prog/layout.h"
#include "spec/transport.h"

#include <stdio.h>
#include <string.h>

int hcf_layout_place(const struct hcf_prog *p, struct hcf_layout *l, char *err, size_t errlen)
{
	uint64_t cur = HCF_GPA_ARENA;
	for (size_t b = 0; b < p->nbufs; b++) {
		const struct hcf_buf *buf = &p->bufs[b];
		uint64_t total = (uint64_t)buf->size + 2 * HCF_BUF_GUARD;
		if (buf->size == 0 || buf->size > HCF_BUF_MAX ||
		    cur + total > HCF_GPA_ARENA + HCF_ARENA_SIZE) {
			snprintf(err, errlen, "buf%zu (%u bytes) does not fit the arena", b, buf->size);
			return -1;
		}
		l->buf_gva[b] = cur + HCF_BUF_GUARD;
		cur = (cur + total + HCF_BUF_ALIGN - 1) & ~(uint64_t)(HCF_BUF_ALIGN - 1);
	}
	for (size_t b = 0; b < p->nbufs; b++) {
		const struct hcf_buf *buf = &p->bufs[b];
		for (size_t r = 0; r < buf->nrelocs && r < HCF_BUF_MAX_RELOCS; r++) {
			const struct hcf_buf_reloc *rl = &buf->relocs[r];
			if (rl->buf < 0 || (size_t)rl->buf >= p->nbufs ||
			    (uint64_t)rl->at + 8 > buf->size) {
				snprintf(err, errlen, "buf%zu: a pointer at %u outside the buffer or to no "
						      "buffer", b, rl->at);
				return -1;
			}
		}
	}
	return 0;
}

void hcf_layout_image(const struct hcf_prog *p, const struct hcf_layout *l, size_t b,
		      uint8_t *image)
{
	const struct hcf_buf *buf = &p->bufs[b];
	memset(image, HCF_GUARD_BYTE, (size_t)buf->size + 2 * HCF_BUF_GUARD);
	uint8_t *data = image + HCF_BUF_GUARD;
	if (buf->init)
		memcpy(data, buf->init, buf->size);
	else
		memset(data, 0, buf->size);
	for (size_t r = 0; r < buf->nrelocs && r < HCF_BUF_MAX_RELOCS; r++) {
		const struct hcf_buf_reloc *rl = &buf->relocs[r];
		if (rl->buf < 0 || (size_t)rl->buf >= p->nbufs || (uint64_t)rl->at + 8 > buf->size)
			continue; /* hcf_layout_place refused it */
		uint64_t v = l->buf_gva[rl->buf] + (uint64_t)(int64_t)rl->offset;
		for (unsigned k = 0; k < 8; k++)
			data[rl->at + k] = (uint8_t)(v >> (8 * k));
	}
}

/* Byte k of buffer b's data before the first call: a pointer the layout
 * patches in, else the program's bytes. */
static uint8_t data_byte(const struct hcf_prog *p, const struct hcf_layout *l, size_t b,
			 uint32_t k)
{
	const struct hcf_buf *buf = &p->bufs[b];
	for (size_t r = 0; r < buf->nrelocs && r < HCF_BUF_MAX_RELOCS; r++) {
		const struct hcf_buf_reloc *rl = &buf->relocs[r];
		if (rl->buf < 0 || (size_t)rl->buf >= p->nbufs || k < rl->at || k >= rl->at + 8u ||
		    (uint64_t)rl->at + 8 > buf->size)
			continue;
		uint64_t v = l->buf_gva[rl->buf] + (uint64_t)(int64_t)rl->offset;
		return (uint8_t)(v >> (8 * (k - rl->at)));
	}
	return buf->init ? buf->init[k] : 0;
}

bool hcf_layout_read(const struct hcf_prog *p, const struct hcf_layout *l, uint64_t addr,
		     unsigned size, uint64_t *v)
{
	if (size == 0 || size > 8 || addr + size < addr)
		return false;
	for (size_t b = 0; b < p->nbufs; b++) {
		uint64_t lo = l->buf_gva[b] - HCF_BUF_GUARD, hi = l->buf_gva[b] + p->bufs[b].size;
		if (addr < lo || addr + size > hi + HCF_BUF_GUARD)
			continue;
		uint64_t x = 0;
		for (unsigned i = size; i-- > 0;) {
			uint64_t a = addr + i;
			uint8_t byte = a < l->buf_gva[b] || a >= hi ? HCF_GUARD_BYTE :
				       data_byte(p, l, b, (uint32_t)(a - l->buf_gva[b]));
			x = x << 8 | byte;
		}
		*v = x;
		return true;
	}
	return false;
}

void hcf_layout_call_image(const struct hcf_prog *p, const struct hcf_layout *l, size_t i,
			   uint64_t gpr[HCF_NGPR], uint64_t *entry)
{
	const struct hcf_pcall *c = &p->calls[i];
	const struct hcf_transport *t = &p->abi->transport;
	for (unsigned r = 0; r < HCF_NGPR; r++)
		gpr[r] = c->ref[r].buf >= 0 && (size_t)c->ref[r].buf < p->nbufs ?
				 l->buf_gva[c->ref[r].buf] + (uint64_t)(int64_t)c->ref[r].offset :
				 c->gpr[r];
	bool rdx_set;
	uint64_t rdx;
	hcf_xport_place(t, hcf_pcall_nr(p, c), &rdx_set, &rdx, entry);
	if (rdx_set)
		gpr[HCF_RDX] = rdx;
}
