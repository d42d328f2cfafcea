/* codec_encode.c: a program -> the canonical bytes that decode back to it (codec.h). */
#include "prog/codec_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog/codec.h"
#include "spec/transport.h"
#include "util/x86.h"
#include "util/xalloc.h"

/* ---- encoder ---------------------------------------------------------- */

struct enc {
	uint8_t *b;
	size_t n, cap;
};

static void put8(struct enc *e, uint8_t v)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 256;
		e->b = hcf_xrealloc(e->b, e->cap);
	}
	e->b[e->n++] = v;
}

static void put_le(struct enc *e, uint64_t v, unsigned nbytes)
{
	for (unsigned i = 0; i < nbytes; i++)
		put8(e, (uint8_t)(v >> (8 * i)));
}

static int enc_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int enc_fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Buffers: exact bytes, as zero, one fill byte or the bytes up to the last
 * non-zero one. Found with memcmp and a scan back from the end, not a loop
 * over every byte: a buffer is up to 4 KiB, often of one byte throughout, and
 * a campaign encodes every program it keeps. */
static void enc_buf(struct enc *e, const struct hcf_buf *b)
{
	const uint8_t *d = b->init;
	/* all bytes alike: the first one repeats through the rest */
	bool uniform = b->size < 2 || !memcmp(d, d + 1, b->size - 1);
	/* one past the last non-zero byte */
	uint32_t last = !b->size || (uniform && !d[0]) ? 0 : b->size;
	while (last && !d[last - 1])
		last--;
	unsigned mode = !last ? CONTENT_ZERO : uniform ? CONTENT_FILL : CONTENT_BYTES;
	put8(e, (uint8_t)(TAG_BUF | mode));
	put_le(e, (uint64_t)(b->struct_idx + 1), 2);
	put8(e, (uint8_t)(b->dir - 1));
	put_le(e, b->size, 2);
	if (mode == CONTENT_FILL) {
		put8(e, b->init[0]);
	} else if (mode == CONTENT_BYTES) {
		put_le(e, last, 2);
		for (uint32_t i = 0; i < last; i++)
			put8(e, b->init[i]);
	}
}

static void enc_relocs(struct enc *e, const struct hcf_buf *b, size_t bi)
{
	for (size_t j = 0; j < b->nrelocs; j++) {
		put8(e, TAG_RELOC);
		put8(e, (uint8_t)bi);
		put_le(e, b->relocs[j].at, 2);
		put8(e, (uint8_t)b->relocs[j].buf);
		put_le(e, (uint32_t)b->relocs[j].offset, 4);
	}
}

static void enc_flags(struct enc *e, const struct hcf_pcall *c, bool extras)
{
	put8(e, (uint8_t)((c->capture_vec ? F_VEC : 0) | (c->rflags ? F_RFLAGS : 0) |
			  (extras ? F_EXTRAS : 0)));
	if (!c->rflags)
		return;
	uint8_t compact = 0;
	uint64_t named = 0;
	for (unsigned i = 0; i < NELEM(rflag_bits); i++) {
		named |= rflag_bits[i];
		if (c->rflags & rflag_bits[i])
			compact |= (uint8_t)(1u << i);
	}
	if (c->rflags & ~named) {
		put8(e, RFLAGS_RAW);
		put_le(e, c->rflags, 8);
	} else {
		put8(e, compact);
	}
}

/* Register r of c, decoded with width bits in column col, as the shortest
 * exact value kind: unset, a reference, zero, a small number or raw bytes. */
static void enc_reg(struct enc *e, const struct hcf_pcall *c, unsigned r, unsigned col,
		    unsigned width)
{
	uint64_t v = c->gpr[r];
	if (!(c->set & HCF_REGBIT(r))) {
		put8(e, codec_kind_byte(col, VK_UNSET));
	} else if (c->ref[r].buf >= 0) {
		put8(e, codec_kind_byte(col, VK_REF));
		put8(e, (uint8_t)c->ref[r].buf);
		put_le(e, (uint32_t)c->ref[r].offset, 4);
	} else if (v == 0) {
		put8(e, codec_kind_byte(col, VK_ZERO));
	} else if (v <= 0xff && v <= hcf_x86_width_mask(norm_width(width))) {
		put8(e, codec_kind_byte(col, VK_SMALL));
		put8(e, (uint8_t)v);
	} else {
		put8(e, codec_kind_byte(col, VK_RAW));
		put_le(e, v, 8);
	}
}

static bool reg_is(const struct hcf_pcall *c, unsigned r, uint64_t v)
{
	return (c->set & HCF_REGBIT(r)) && c->ref[r].buf < 0 && c->gpr[r] == v;
}

/* Can c be a spec-driven call? Its op's implied registers hold their
 * values and every other set register is a slot or an allowed extra. */
static bool spec_form_ok(const struct hcf_abi *abi, const struct hcf_pcall *c,
			 const struct layout *l)
{
	if (c->op < 0)
		return false;
	uint64_t ival[HCF_NGPR] = { 0 };
	hcf_regmask_t implied = implied_regs(abi, &abi->ops[c->op], ival);
	hcf_regmask_t covered = implied;
	for (unsigned r = 0; r < HCF_NGPR; r++)
		if ((implied & HCF_REGBIT(r)) && !reg_is(c, r, ival[r]))
			return false;
	for (size_t i = 0; i < l->nslots; i++)
		covered |= HCF_REGBIT(l->slot_reg[i]);
	for (size_t i = 0; i < l->nextras; i++)
		covered |= HCF_REGBIT(l->extra_reg[i]);
	return !(c->set & ~covered);
}

static void enc_spec_call(struct enc *e, const struct hcf_abi *abi, const struct hcf_pcall *c,
			  const struct layout *l)
{
	size_t opi = (size_t)c->op;
	put8(e, (uint8_t)(opi % NSEL));
	if (abi->nops > NSEL)
		put_le(e, opi / NSEL, 2);
	hcf_regmask_t extras = 0;
	for (size_t i = 0; i < l->nextras; i++)
		if (c->set & HCF_REGBIT(l->extra_reg[i]))
			extras |= HCF_REGBIT(l->extra_reg[i]);
	enc_flags(e, c, extras != 0);
	for (size_t i = 0; i < l->nslots; i++) {
		const struct hcf_arg *a = l->slot_arg[i];
		bool ptr = a->struct_idx >= 0 && (size_t)a->struct_idx < abi->nstructs;
		enc_reg(e, c, l->slot_reg[i], ptr ? COL_POINTER : COL_PLAIN, a->width);
	}
	for (size_t i = 0; i < l->nextras; i++) {
		unsigned r = l->extra_reg[i];
		if (!(extras & HCF_REGBIT(r)))
			continue;
		extras &= (hcf_regmask_t)~HCF_REGBIT(r);
		put8(e, (uint8_t)(i | (extras ? EXTRA_MORE : 0)));
		enc_reg(e, c, r, COL_PLAIN, 64);
	}
}

/* A raw call lists the registers that differ from the op's starting state
 * (the implied registers of a declared op; nothing for an undeclared one). */
static void enc_raw_call(struct enc *e, const struct hcf_abi *abi, const struct hcf_pcall *c)
{
	put8(e, TAG_RAW);
	put_le(e, (uint64_t)(c->op + 1), 2);
	enc_flags(e, c, false);
	uint64_t ival[HCF_NGPR] = { 0 };
	hcf_regmask_t implied = c->op >= 0 ? implied_regs(abi, &abi->ops[c->op], ival) : 0;
	uint16_t mask = 0;
	for (unsigned r = 0; r < HCF_NGPR; r++) {
		bool differs = (implied & HCF_REGBIT(r)) ? !reg_is(c, r, ival[r])
							 : (c->set & HCF_REGBIT(r)) != 0;
		if (differs)
			mask |= (uint16_t)(1u << r);
	}
	put_le(e, mask, 2);
	for (unsigned r = 0; r < HCF_NGPR; r++)
		if (mask & (1u << r))
			enc_reg(e, c, r, COL_PLAIN, 64);
}

int hcf_prog_encode(const struct hcf_prog *p, uint8_t **out, size_t *len, char *err,
		    size_t errlen)
{
	char why[160];
	*out = NULL;
	*len = 0;
	if (hcf_prog_validate(p, why, sizeof(why)))
		return enc_fail(err, errlen, "invalid program: %s", why);
	const struct hcf_abi *abi = p->abi;
	if (p->ncalls > HCF_CODEC_MAX_CALLS)
		return enc_fail(err, errlen, "%zu calls; the codec holds at most %u", p->ncalls,
				HCF_CODEC_MAX_CALLS);
	if (p->nbufs > HCF_CODEC_MAX_BUFS)
		return enc_fail(err, errlen, "%zu buffers; the codec holds at most %u", p->nbufs,
				HCF_CODEC_MAX_BUFS);
	if (abi->nops >= 0xffff || abi->nstructs >= 0xffff)
		return enc_fail(err, errlen, "ABI %s has more ops or structs than the codec indexes",
				abi->name ? abi->name : "?");
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct hcf_pcall *c = &p->calls[i];
		uint64_t ival[HCF_NGPR] = { 0 };
		hcf_regmask_t implied = c->op >= 0 ? implied_regs(abi, &abi->ops[c->op], ival) : 0;
		if ((c->set & implied) != implied)
			return enc_fail(err, errlen, "call %zu: %s leaves its number or sub-operation "
					"register unset", i, abi->ops[c->op].name);
	}
	struct enc e = { 0 };
	for (size_t i = 0; i < p->nbufs; i++)
		enc_buf(&e, &p->bufs[i]);
	for (size_t i = 0; i < p->nbufs; i++)
		enc_relocs(&e, &p->bufs[i], i);
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct hcf_pcall *c = &p->calls[i];
		struct layout l;
		call_layout(abi, c->op >= 0 ? &abi->ops[c->op] : NULL, &l);
		if (spec_form_ok(abi, c, &l))
			enc_spec_call(&e, abi, c, &l);
		else
			enc_raw_call(&e, abi, c);
	}
	*out = e.b ? e.b : hcf_xmalloc(1);
	*len = e.n;
	return 0;
}
