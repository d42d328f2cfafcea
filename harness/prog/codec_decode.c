/* codec_decode.c: fuzzer bytes -> a program, total and spec-driven (codec.h). */
#include "prog/codec_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog/codec.h"
#include "spec/transport.h"
#include "util/x86.h"
#include "util/xalloc.h"

/* ---- decoder: reading bytes ------------------------------------------ */

struct dec {
	const uint8_t *data;
	size_t len, pos;
	struct hcf_prog *p;
	const struct hcf_abi *abi;
	unsigned depth;          /* struct buffers being decoded */
};

/* Past the end every byte reads as zero. */
static uint8_t rd8(struct dec *d)
{
	return d->pos < d->len ? d->data[d->pos++] : 0;
}

static uint64_t rd_le(struct dec *d, unsigned nbytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < nbytes; i++)
		v |= (uint64_t)rd8(d) << (8 * i);
	return v;
}

/* ---- decoder: values -------------------------------------------------- */

enum vtag { V_UNSET, V_NUM, V_REF };

struct val {
	enum vtag tag;
	uint64_t num;
	int buf;
	int32_t off;
};

/* What is being decoded: a register or a struct field. */
struct slot {
	unsigned width;                /* bits, 1..64 */
	const struct hcf_vset *hints;  /* the argument's hints, or NULL */
	int struct_idx;                /* pointer to this struct, or -1 */
	bool neg_errno;                /* constants are also tried negated */
	unsigned col;
};

static struct val num_val(uint64_t v)
{
	return (struct val){ .tag = V_NUM, .num = v, .buf = -1 };
}

static struct val ref_val(int buf, int32_t off)
{
	return (struct val){ .tag = V_REF, .buf = buf, .off = off };
}

static int dec_struct_buf(struct dec *d, int sidx);

/* A zeroed buffer within the codec's limit, or -1. */
static int add_buf(struct dec *d, uint32_t size, int sidx, enum hcf_dir dir)
{
	if (d->p->nbufs >= HCF_CODEC_MAX_BUFS)
		return -1;
	return hcf_prog_add_buf(d->p, size, sidx, dir, NULL);
}

/* A new raw buffer: size and direction from one byte, fill from the next.
 * Buffers behind a pointer/length pair are INOUT: the spec does not say
 * whether the hypervisor reads or writes them. */
static int dec_raw_buf(struct dec *d, bool for_pair)
{
	uint8_t z = rd8(d), fill = rd8(d);
	uint32_t size = raw_sizes[z & 7];
	enum hcf_dir dir = for_pair ? HCF_DIR_INOUT : dirs[(z >> 3) % 3];
	int b = add_buf(d, size, -1, dir);
	if (b >= 0)
		memset(d->p->bufs[b].init, fill, size);
	return b;
}

static int new_buf_for(struct dec *d, const struct slot *s)
{
	return s->struct_idx >= 0 ? dec_struct_buf(d, s->struct_idx) : dec_raw_buf(d, false);
}

/* A buffer for an address kind: mostly an existing one, else a new one shaped
 * for the slot. -1 only when the program has no buffer and cannot get one. */
static int pick_buf(struct dec *d, const struct slot *s)
{
	uint8_t sel = rd8(d);
	size_t n = d->p->nbufs;
	if (n && sel < EXISTING_BELOW)
		return (int)(sel % n);
	int b = new_buf_for(d, s);
	if (b < 0 && n)
		b = (int)(sel % n);
	return b;
}

/* Guest addresses worth passing where a pointer goes. */
static const struct addr_kind {
	const char *name;
	bool in_buf;        /* a program buffer at an edge, else the fixed address */
	bool from_end;      /* edge: offset from the buffer's end (else its start) */
	int32_t delta;
	uint64_t addr;
} addr_kinds[] = {
	{ "buffer start", true, false, 0, 0 },
	{ "buffer last byte", true, true, -1, 0 },
	{ "one past buffer end", true, true, 0, 0 },
	{ "byte before buffer", true, false, -1, 0 },
	{ "buffer start (twice in the table: the common case)", true, false, 0, 0 },
	{ "NULL page", false, false, 0, 0x10 },
	{ "just past guest RAM", false, false, 0, HCF_GUEST_MEM_SIZE },
	{ "last byte of guest RAM", false, false, 0, HCF_GUEST_MEM_SIZE - 1 },
	{ "agent code", false, false, 0, HCF_GPA_AGENT },
	{ "agent boot block", false, false, 0, HCF_GPA_BOOT },
	{ "agent page tables", false, false, 0, HCF_GPA_PGTABLES },
	{ "agent IDT", false, false, 0, HCF_GPA_IDT },
	{ "agent stack", false, false, 0, HCF_GPA_STACK_HI - 64 },
	{ "mailbox", false, false, 0, HCF_GPA_MBOX },
	{ "mailbox call slots", false, false, 0, HCF_GPA_MBOX + HCF_MBOX_CALLS_OFF },
	{ "non-canonical", false, false, 0, 0x8000000000000000ull },
	{ "kernel-style high", false, false, 0, 0xffffffff80000000ull },
	{ "last page of the address space", false, false, 0, 0xfffffffffffff000ull },
};

static struct val vk_addr(struct dec *d, const struct slot *s)
{
	const struct addr_kind *ak = &addr_kinds[rd8(d) % NELEM(addr_kinds)];
	if (!ak->in_buf)
		return num_val(ak->addr);
	int b = pick_buf(d, s);
	if (b < 0)
		return num_val(0);
	int32_t base = ak->from_end ? (int32_t)d->p->bufs[b].size : 0;
	return ref_val(b, base + ak->delta);
}

static struct val vk_zero(struct dec *d, const struct slot *s)
{
	return num_val(0);
}

static struct val vk_unset(struct dec *d, const struct slot *s)
{
	return (struct val){ .tag = V_UNSET, .buf = -1 };
}

static struct val vk_raw(struct dec *d, const struct slot *s)
{
	return num_val(rd_le(d, 8)); /* garbage above a narrow width stays */
}

/* An exact reference: buffer byte, 32-bit offset. Without buffers it makes one. */
static struct val vk_ref(struct dec *d, const struct slot *s)
{
	uint8_t b = rd8(d);
	int32_t off = (int32_t)(uint32_t)rd_le(d, 4);
	size_t n = d->p->nbufs;
	if (n)
		return ref_val((int)(b % n), off);
	int nb = add_buf(d, raw_sizes[0], -1, HCF_DIR_INOUT);
	return nb >= 0 ? ref_val(nb, off) : num_val(0);
}

static struct val vk_one(struct dec *d, const struct slot *s)
{
	return num_val(1);
}

static struct val vk_all_ones(struct dec *d, const struct slot *s)
{
	return num_val(hcf_x86_width_mask(s->width));
}

static struct val vk_sign(struct dec *d, const struct slot *s)
{
	return num_val(1ull << (s->width - 1));
}

static struct val vk_smax(struct dec *d, const struct slot *s)
{
	return num_val(hcf_x86_width_mask(s->width) >> 1);
}

static struct val vk_small(struct dec *d, const struct slot *s)
{
	return num_val(rd8(d) & hcf_x86_width_mask(s->width));
}

/* A hint of the spec: a range's ends and the values just outside it. */
static struct val vk_hint(struct dec *d, const struct slot *s)
{
	uint8_t h = rd8(d);
	if (!s->hints || !s->hints->n)
		return num_val(h & hcf_x86_width_mask(s->width));
	const struct hcf_vrange *r = &s->hints->r[(h >> 2) % s->hints->n];
	const uint64_t ends[4] = { (uint64_t)r->lo, (uint64_t)r->hi, (uint64_t)r->lo - 1,
				   (uint64_t)r->hi + 1 };
	return num_val(ends[h & 3] & hcf_x86_width_mask(s->width));
}

/* A constant of the spec, negated too under a negative-errno convention. */
static struct val vk_const(struct dec *d, const struct slot *s)
{
	uint8_t c = rd8(d);
	const struct hcf_abi *abi = d->abi;
	if (!abi->nconsts)
		return num_val(c & hcf_x86_width_mask(s->width));
	uint64_t v = (uint64_t)abi->consts[(c >> 1) % abi->nconsts].value;
	if ((c & 1) && s->neg_errno)
		v = 0 - v;
	return num_val(v & hcf_x86_width_mask(s->width));
}

/* 2^k, 2^k - 1, 2^k + 1 or -2^k. */
static struct val vk_pow2(struct dec *d, const struct slot *s)
{
	uint8_t b = rd8(d);
	uint64_t v = 1ull << ((b & 63) % s->width);
	const uint64_t forms[4] = { v, v - 1, v + 1, 0 - v };
	return num_val(forms[b >> 6] & hcf_x86_width_mask(s->width));
}

static struct val vk_neg_small(struct dec *d, const struct slot *s)
{
	return num_val((0 - (uint64_t)rd8(d) - 1) & hcf_x86_width_mask(s->width));
}

/* Random bits of exactly the slot's width. */
static struct val vk_rand_width(struct dec *d, const struct slot *s)
{
	return num_val(rd_le(d, (s->width + 7) / 8) & hcf_x86_width_mask(s->width));
}

/* A new buffer: the slot's struct (fields decoded) or raw bytes. */
static struct val vk_new_buf(struct dec *d, const struct slot *s)
{
	int b = new_buf_for(d, s);
	if (b >= 0)
		return ref_val(b, 0);
	size_t n = d->p->nbufs;
	return n ? ref_val((int)n - 1, 0) : num_val(0);
}

/*
 * Value kinds, chosen by one byte: kind i owns weight[col] consecutive byte
 * values after the kinds before it, and every column sums to 256. Pointer-to-
 * struct slots mostly get a new buffer of their struct; plain slots mostly
 * boundaries, hints, constants and small numbers.
 */
static const struct value_kind {
	const char *name;
	uint8_t weight[NCOLS];
	struct val (*fn)(struct dec *d, const struct slot *s);
} value_kinds[VK_COUNT] = {
	[VK_ZERO] = { "zero", { 24, 12 }, vk_zero },
	[VK_UNSET] = { "unset (sentinel)", { 6, 4 }, vk_unset },
	[VK_RAW] = { "raw 8 bytes", { 12, 4 }, vk_raw },
	[VK_REF] = { "buffer reference", { 4, 6 }, vk_ref },
	[VK_ONE] = { "one", { 12, 2 }, vk_one },
	[VK_ALL_ONES] = { "all ones", { 14, 2 }, vk_all_ones },
	[VK_SIGN] = { "sign bit", { 10, 2 }, vk_sign },
	[VK_SMAX] = { "signed maximum", { 8, 2 }, vk_smax },
	[VK_HINT] = { "hint", { 30, 6 }, vk_hint },
	[VK_CONST] = { "constant", { 20, 2 }, vk_const },
	[VK_POW2] = { "power of two", { 16, 2 }, vk_pow2 },
	[VK_SMALL] = { "small", { 30, 4 }, vk_small },
	[VK_NEG_SMALL] = { "small negative", { 8, 2 }, vk_neg_small },
	[VK_RAND_WIDTH] = { "random in width", { 16, 2 }, vk_rand_width },
	[VK_ADDR] = { "address", { 26, 44 }, vk_addr },
	[VK_NEW_BUF] = { "new buffer", { 20, 160 }, vk_new_buf },
};

static enum vkind pick_kind(unsigned col, uint8_t k)
{
	unsigned acc = 0;
	for (unsigned i = 0; i < VK_COUNT; i++) {
		acc += value_kinds[i].weight[col];
		if (k < acc)
			return (enum vkind)i;
	}
	return VK_ZERO; /* unreachable: every column sums to 256 */
}

/* The first byte value that selects kind in column col. */
uint8_t codec_kind_byte(unsigned col, enum vkind kind)
{
	unsigned acc = 0;
	for (unsigned i = 0; i < (unsigned)kind; i++)
		acc += value_kinds[i].weight[col];
	return (uint8_t)acc;
}

static struct val dec_value(struct dec *d, const struct slot *s)
{
	return value_kinds[pick_kind(s->col, rd8(d))].fn(d, s);
}

static struct slot plain_slot(const struct dec *d, unsigned width)
{
	return (struct slot){ .width = norm_width(width), .hints = NULL, .struct_idx = -1,
			      .neg_errno = d->abi->err == HCF_ERR_NEG_ERRNO, .col = COL_PLAIN };
}

static struct slot arg_slot(const struct dec *d, const struct hcf_op *op, const struct hcf_arg *a)
{
	struct slot s = plain_slot(d, a->width);
	s.hints = &a->hints;
	s.neg_errno = op->err == HCF_ERR_NEG_ERRNO;
	if (a->struct_idx >= 0 && (size_t)a->struct_idx < d->abi->nstructs) {
		s.struct_idx = a->struct_idx;
		s.col = COL_POINTER;
	}
	return s;
}

/* Load v into register r of call idx; V_UNSET puts the sentinel back. */
static void set_reg(struct hcf_pcall *c, size_t idx, unsigned r, const struct val *v)
{
	switch (v->tag) {
	case V_UNSET:
		c->set &= (hcf_regmask_t)~HCF_REGBIT(r);
		c->gpr[r] = hcf_sentinel(r, idx);
		c->ref[r].buf = -1;
		c->ref[r].offset = 0;
		break;
	case V_NUM:
		hcf_pcall_set(c, r, v->num);
		break;
	case V_REF:
		hcf_pcall_set_ref(c, r, v->buf, v->off);
		break;
	}
}

/* ---- decoder: struct buffers ------------------------------------------ */

static bool field_fits(const struct hcf_field *fd, uint32_t size)
{
	return fd->size > 0 && (uint64_t)fd->offset + fd->size <= size;
}

/* Is field j a pointer/length pair whose both halves lie in the buffer? */
static bool pair_ok(const struct hcf_struct *st, size_t j, uint32_t size)
{
	const struct hcf_field *fd = &st->fields[j];
	int l = fd->buffer_len_field;
	if (l < 0 || (size_t)l >= st->nfields || (size_t)l == j || fd->size != 8 ||
	    !field_fits(fd, size))
		return false;
	const struct hcf_field *lf = &st->fields[l];
	return lf->size <= 8 && field_fits(lf, size);
}

/* Field i is the length of a pair: the pair's pointer field sets it. */
static bool is_pair_len(const struct hcf_struct *st, size_t i, uint32_t size)
{
	for (size_t j = 0; j < st->nfields; j++)
		if (st->fields[j].buffer_len_field == (int)i && pair_ok(st, j, size))
			return true;
	return false;
}

/* Write v into bytes [off, off+size) of buffer bi; a reference becomes a
 * pointer relocation where an 8-byte field and a free relocation allow. */
static void put_field(struct dec *d, int bi, uint32_t off, uint32_t size, const struct val *v)
{
	struct hcf_buf *b = &d->p->bufs[bi];
	uint64_t x = v->tag == V_NUM ? v->num : 0;
	if (v->tag == V_UNSET)
		return;
	if (v->tag == V_REF && (size != 8 || hcf_prog_add_reloc(d->p, bi, off, v->buf, v->off)))
		x = 0;
	for (uint32_t i = 0; i < size && i < 8; i++)
		b->init[off + i] = (uint8_t)(x >> (8 * i));
}

/* Fields wider than 8 bytes (arrays, padding): zero, ones, a fill byte or
 * up to 16 bytes copied from the input. */
static void dec_field_bytes(struct dec *d, int bi, const struct hcf_struct *st, size_t i)
{
	const struct hcf_field *fd = &st->fields[i];
	uint8_t *dst = d->p->bufs[bi].init + fd->offset;
	uint8_t m = rd8(d);
	switch (m & 3) {
	case 0:
		memset(dst, 0, fd->size);
		break;
	case 1:
		memset(dst, 0xff, fd->size);
		break;
	case 2:
		memset(dst, rd8(d), fd->size);
		break;
	default:
		for (uint32_t k = 0; k < fd->size && k < 16; k++)
			dst[k] = rd8(d);
		break;
	}
}

static void dec_field_value(struct dec *d, int bi, const struct hcf_struct *st, size_t i)
{
	const struct hcf_field *fd = &st->fields[i];
	struct slot s = plain_slot(d, fd->size * 8);
	s.hints = &fd->hints;
	struct val v = dec_value(d, &s);
	/* a duration the call waits (waits:) stays within what the spec lets
	 * generators ask for: a correct hypervisor really waits that long */
	if (fd->waits_unit_ns && v.tag == V_NUM)
		v.num %= hcf_field_waits_max(fd) + 1;
	put_field(d, bi, fd->offset, fd->size, &v);
}

/* A pointer to a struct: mostly a nested buffer of that struct, else any value
 * (an address kind, a reference, garbage). */
static void dec_field_pointer(struct dec *d, int bi, const struct hcf_struct *st, size_t i)
{
	const struct hcf_field *fd = &st->fields[i];
	struct slot s = plain_slot(d, 64);
	s.struct_idx = fd->points_to;
	struct val v;
	if (rd8(d) < EXISTING_BELOW) {
		int nb = dec_struct_buf(d, fd->points_to);
		v = nb >= 0 ? ref_val(nb, 0) : num_val(0);
	} else {
		v = dec_value(d, &s);
	}
	put_field(d, bi, fd->offset, fd->size, &v);
}

/* Lengths for a pointer/length pair, relative to the buffer's size. */
static uint64_t pair_len(uint8_t l, uint32_t size, unsigned width)
{
	const uint64_t lens[8] = { size, size, size, size, 0, (uint64_t)size + 1, ~0ull,
				   (uint64_t)size - 1 };
	return lens[l & 7] & hcf_x86_width_mask(width);
}

/* A pointer to bytes with its length in a sibling field: mostly a new byte
 * buffer and a length that is exact, zero, one too big, huge or one short. */
static void dec_field_buffer(struct dec *d, int bi, const struct hcf_struct *st, size_t i)
{
	const struct hcf_field *fd = &st->fields[i];
	bool pair = pair_ok(st, i, d->p->bufs[bi].size);
	const struct hcf_field *lf = pair ? &st->fields[fd->buffer_len_field] : NULL;
	struct slot s = plain_slot(d, 64);
	struct val v;
	int nb = -1;
	if (rd8(d) < EXISTING_BELOW)
		nb = dec_raw_buf(d, true);
	/* what the call does with the bytes, where the spec says */
	if (nb >= 0 && fd->buffer_dir)
		d->p->bufs[nb].dir = (enum hcf_dir)fd->buffer_dir;
	v = nb >= 0 ? ref_val(nb, 0) : dec_value(d, &s);
	put_field(d, bi, fd->offset, fd->size, &v);
	if (!lf)
		return;
	struct val len;
	if (nb >= 0) {
		len = num_val(pair_len(rd8(d), d->p->bufs[nb].size, lf->size * 8));
	} else {
		struct slot ls = plain_slot(d, lf->size * 8);
		len = dec_value(d, &ls);
	}
	put_field(d, bi, lf->offset, lf->size, &len);
}

enum field_class { FC_VALUE, FC_BYTES, FC_POINTER, FC_BUFFER };

static void (*const field_decoders[])(struct dec *, int, const struct hcf_struct *, size_t) = {
	[FC_VALUE] = dec_field_value,
	[FC_BYTES] = dec_field_bytes,
	[FC_POINTER] = dec_field_pointer,
	[FC_BUFFER] = dec_field_buffer,
};

static enum field_class field_class(const struct hcf_abi *abi, const struct hcf_field *fd)
{
	if (fd->size > 8)
		return FC_BYTES;
	if (fd->size == 8 && fd->points_to >= 0 && (size_t)fd->points_to < abi->nstructs)
		return FC_POINTER;
	if (fd->size == 8 && fd->buffer_len_field >= 0)
		return FC_BUFFER;
	return FC_VALUE;
}

/* Decode the fields of struct sidx into buffer bi, in declared order. */
static void dec_struct_fields(struct dec *d, int bi, int sidx)
{
	const struct hcf_struct *st = &d->abi->structs[sidx];
	uint32_t size = d->p->bufs[bi].size;
	d->depth++;
	for (size_t i = 0; i < st->nfields; i++) {
		const struct hcf_field *fd = &st->fields[i];
		if (!field_fits(fd, size) || is_pair_len(st, i, size))
			continue;
		field_decoders[field_class(d->abi, fd)](d, bi, st, i);
	}
	d->depth--;
}

/* Sizes of a struct buffer relative to the struct: mostly exact, sometimes
 * truncated or with room to spare. */
static uint32_t struct_buf_size(uint32_t ssize, uint8_t shape)
{
	uint64_t s = ssize ? ssize : 8;
	const uint64_t sizes[8] = { s, s, s, s, s, s - 1, s / 2, s + 8 };
	uint64_t v = sizes[shape & 7];
	return v == 0 ? 1 : v > HCF_BUF_MAX ? HCF_BUF_MAX : (uint32_t)v;
}

/* A new buffer holding struct sidx with its fields decoded; -1 when the
 * program has no room or the structs nest too deep. */
static int dec_struct_buf(struct dec *d, int sidx)
{
	if (d->depth >= MAX_DEPTH || d->p->nbufs >= HCF_CODEC_MAX_BUFS)
		return -1;
	uint32_t size = struct_buf_size(d->abi->structs[sidx].size, rd8(d));
	int b = add_buf(d, size, sidx, HCF_DIR_IN);
	if (b >= 0)
		dec_struct_fields(d, b, sidx);
	return b;
}

/* ---- decoder: calls --------------------------------------------------- */

static void dec_rflags(struct dec *d, struct hcf_pcall *c)
{
	uint8_t r = rd8(d);
	if (r == RFLAGS_RAW) {
		c->rflags = rd_le(d, 8);
		return;
	}
	c->rflags = 0;
	for (unsigned i = 0; i < NELEM(rflag_bits); i++)
		if (r & (1u << i))
			c->rflags |= rflag_bits[i];
}

static void dec_flags(struct dec *d, struct hcf_pcall *c, uint8_t f)
{
	c->capture_vec = (f & F_VEC) == F_VEC;
	if ((f & F_RFLAGS) == F_RFLAGS)
		dec_rflags(d, c);
}

/* The rest of a spec-driven call after its selector: flags, the op's inputs,
 * extra registers. op is NULL for an undeclared number. */
static void dec_call_body(struct dec *d, size_t idx, const struct hcf_op *op)
{
	struct hcf_pcall *c = &d->p->calls[idx];
	struct layout l;
	call_layout(d->abi, op, &l);
	/* a declared op's magic registers stay set (another value is an
	 * override; unset, the op would have no spelling) */
	uint64_t mval[HCF_NGPR];
	hcf_regmask_t keep = op ? hcf_prog_magic(d->abi, mval) : 0;
	uint8_t f = rd8(d);
	dec_flags(d, c, f);
	for (size_t i = 0; i < l.nslots; i++) {
		struct slot s = arg_slot(d, op, l.slot_arg[i]);
		struct val v = dec_value(d, &s);
		if (!(v.tag == V_UNSET && (keep & HCF_REGBIT(l.slot_reg[i]))))
			set_reg(c, idx, l.slot_reg[i], &v);
	}
	if ((f & F_EXTRAS) != F_EXTRAS)
		return;
	for (unsigned n = 0; n < MAX_EXTRAS; n++) {
		uint8_t g = rd8(d);
		struct slot s = plain_slot(d, 64);
		struct val v = dec_value(d, &s);
		unsigned r = l.nextras ? l.extra_reg[(g & ~EXTRA_MORE) % l.nextras] : HCF_NGPR;
		if (r < HCF_NGPR && !(v.tag == V_UNSET && (keep & HCF_REGBIT(r))))
			set_reg(c, idx, r, &v);
		if (!(g & EXTRA_MORE))
			break;
	}
}

static void dec_declared_op(struct dec *d, int opi)
{
	struct hcf_pcall *c = hcf_prog_add_call(d->p, opi, 0);
	if (c)
		dec_call_body(d, d->p->ncalls - 1, &d->abi->ops[opi]);
}

/* ---- decoder: undeclared numbers -------------------------------------- */

/* A candidate number (as hcf_prog_add_call takes it) and sub-operation. */
struct cand {
	uint64_t nr;
	bool raw;        /* load nr into the register as is (a number without its OR mask) */
	bool has_s;
	uint64_t s;
};

static const struct hcf_call *call_at(const struct hcf_abi *abi, uint8_t b)
{
	return abi->ncalls ? &abi->calls[b % abi->ncalls] : NULL;
}

/* The b-th call with sub-operations, or NULL. */
static const struct hcf_call *subop_call_at(const struct hcf_abi *abi, uint8_t b)
{
	size_t n = 0;
	for (size_t i = 0; i < abi->ncalls; i++)
		n += abi->calls[i].has_subops && abi->calls[i].nops;
	if (!n || abi->subop_reg >= HCF_NGPR)
		return NULL;
	size_t k = b % n;
	for (size_t i = 0; i < abi->ncalls; i++)
		if (abi->calls[i].has_subops && abi->calls[i].nops && k-- == 0)
			return &abi->calls[i];
	return NULL;
}

static void uk_fixed(struct dec *d, uint64_t arg, struct cand *k)
{
	k->nr = arg;
}

/* A declared number plus arg (a neighbour). */
static void uk_near(struct dec *d, uint64_t arg, struct cand *k)
{
	const struct hcf_call *call = call_at(d->abi, rd8(d));
	k->nr = (call ? call->nr : 0) + arg;
}

/* A declared number with the top bit of the number width set. */
static void uk_top_bit(struct dec *d, uint64_t arg, struct cand *k)
{
	const struct hcf_call *call = call_at(d->abi, rd8(d));
	k->nr = (call ? call->nr : 0) | 1ull << (norm_width(d->abi->nr_width) - 1);
}

/* A declared number loaded without the ABI's OR mask; without a mask (or on
 * PIO/MMIO, which have none) the number above it instead. */
static void uk_unmasked(struct dec *d, uint64_t arg, struct cand *k)
{
	const struct hcf_abi *abi = d->abi;
	const struct hcf_call *call = call_at(abi, rd8(d));
	uint64_t n = call ? call->nr : 0;
	if (!abi->nr_or_mask || hcf_xport_addressed(&abi->transport)) {
		k->nr = n + 1;
		return;
	}
	k->nr = n & ~abi->nr_or_mask & hcf_x86_width_mask(norm_width(abi->nr_width));
	k->raw = true;
}

static void uk_random(struct dec *d, uint64_t arg, struct cand *k)
{
	k->nr = rd_le(d, (unsigned)arg);
}

/* A declared call with sub-operations and a sub-operation near, far from or
 * between its declared ones. */
static void uk_subop(struct dec *d, uint64_t arg, struct cand *k)
{
	const struct hcf_abi *abi = d->abi;
	const struct hcf_call *call = subop_call_at(abi, rd8(d));
	uint8_t v = rd8(d);
	if (!call) {
		const struct hcf_call *any = call_at(abi, v);
		k->nr = (any ? any->nr : 0) + 1;
		return;
	}
	unsigned sw = norm_width(abi->subop_width);
	uint64_t sj = abi->ops[call->first_op + (v >> 3) % call->nops].subop, top = 0;
	for (size_t j = 0; j < call->nops; j++)
		if (abi->ops[call->first_op + j].subop > top)
			top = abi->ops[call->first_op + j].subop;
	const uint64_t forms[8] = { sj - 1, sj + 1, 0, ~0ull, 1ull << (sw - 1), sj + 0x100,
				    top + 1, (uint64_t)(v >> 3) };
	k->nr = call->nr;
	k->has_s = true;
	k->s = forms[v & 7] & hcf_x86_width_mask(sw);
}

static void uk_subop_random(struct dec *d, uint64_t arg, struct cand *k)
{
	const struct hcf_abi *abi = d->abi;
	const struct hcf_call *call = subop_call_at(abi, rd8(d));
	uint64_t s = rd_le(d, 4);
	if (!call) {
		k->nr = s;
		return;
	}
	k->nr = call->nr;
	k->has_s = true;
	k->s = s & hcf_x86_width_mask(norm_width(abi->subop_width));
}

/* Undeclared kinds, one per tag 0xe0..0xef. */
static const struct undecl_kind {
	const char *name;
	void (*fn)(struct dec *d, uint64_t arg, struct cand *k);
	uint64_t arg;
} undecl_kinds[16] = {
	{ "below a declared number", uk_near, ~0ull },
	{ "above a declared number", uk_near, 1 },
	{ "zero", uk_fixed, 0 },
	{ "0x7fffffff", uk_fixed, 0x7fffffffull },
	{ "0x80000000", uk_fixed, 0x80000000ull },
	{ "0xffffffff", uk_fixed, 0xffffffffull },
	{ "1 << 32", uk_fixed, 0x100000000ull },
	{ "all ones", uk_fixed, ~0ull },
	{ "declared number without the OR mask", uk_unmasked, 0 },
	{ "random 64-bit", uk_random, 8 },
	{ "random byte", uk_random, 1 },
	{ "undeclared sub-operation", uk_subop, 0 },
	{ "random sub-operation", uk_subop_random, 0 },
	{ "declared number with the top bit", uk_top_bit, 0 },
	{ "two above a declared number", uk_near, 2 },
	{ "signed maximum", uk_fixed, 0x7fffffffffffffffull },
};

/*
 * Fold a number into the range the transport can issue safely
 * (hcf_xport_fold), and for a number register into its width without
 * OR-mask bits (they would alias a masked number). false when nothing fits.
 */
static bool fold_usable(const struct hcf_abi *abi, uint64_t *nr)
{
	if (!hcf_xport_fold(&abi->transport, nr))
		return false;
	if (!hcf_xport_addressed(&abi->transport))
		*nr &= hcf_x86_width_mask(norm_width(abi->nr_width)) & ~abi->nr_or_mask;
	return true;
}

static const struct hcf_call *find_call(const struct hcf_abi *abi, uint64_t nr)
{
	for (size_t i = 0; i < abi->ncalls; i++)
		if (abi->calls[i].nr == nr && abi->calls[i].nops)
			return &abi->calls[i];
	return NULL;
}

/*
 * Turn a candidate into a call. A number (and sub-operation) that turns out
 * to be declared becomes a call to that op: an undeclared call must never
 * issue a declared number, or the oracles would judge a declared call by the
 * undeclared contract.
 */
static void dec_undeclared(struct dec *d, uint8_t kind)
{
	const struct hcf_abi *abi = d->abi;
	const struct undecl_kind *uk = &undecl_kinds[kind % NELEM(undecl_kinds)];
	struct cand k = { 0 };
	uk->fn(d, uk->arg, &k);
	unsigned nreg = hcf_prog_nr_reg(abi);
	if (k.raw) {
		struct hcf_pcall *c = hcf_prog_add_call(d->p, -1, 0);
		if (c) {
			hcf_pcall_set(c, nreg, k.nr);
			dec_call_body(d, d->p->ncalls - 1, NULL);
		}
		return;
	}
	if (!fold_usable(abi, &k.nr)) {
		if (abi->nops)
			dec_declared_op(d, 0);
		return;
	}
	const struct hcf_call *call = find_call(abi, k.nr);
	if (call && (!call->has_subops || !k.has_s)) {
		dec_declared_op(d, (int)call->first_op);
		return;
	}
	for (size_t j = 0; call && j < call->nops; j++)
		if (abi->ops[call->first_op + j].subop == k.s) {
			dec_declared_op(d, (int)(call->first_op + j));
			return;
		}
	struct hcf_pcall *c = hcf_prog_add_call(d->p, -1, k.nr);
	if (!c)
		return;
	if (k.has_s && abi->subop_reg < HCF_NGPR && abi->subop_reg != nreg)
		hcf_pcall_set(c, abi->subop_reg, k.s);
	dec_call_body(d, d->p->ncalls - 1, NULL);
}

/* ---- decoder: records ------------------------------------------------- */

/* 0x00..0xdf: a declared op (with more ops than selector values, two more
 * bytes extend the index); an ABI without ops reads them as undeclared kinds. */
static void rec_declared(struct dec *d, uint8_t tag)
{
	size_t nops = d->abi->nops;
	if (!nops) {
		dec_undeclared(d, tag);
		return;
	}
	uint64_t sel = tag;
	if (nops > NSEL)
		sel += NSEL * rd_le(d, 2);
	dec_declared_op(d, (int)(sel % nops));
}

static void rec_undeclared(struct dec *d, uint8_t tag)
{
	dec_undeclared(d, tag - TAG_UNDECLARED);
}

/* 0xf0..0xf7: a buffer: struct selector, direction, size, then content by
 * mode (tag & 3). */
static void rec_buf(struct dec *d, uint8_t tag)
{
	const struct hcf_abi *abi = d->abi;
	uint64_t ssel = rd_le(d, 2);
	uint8_t dirb = rd8(d);
	uint64_t sz = rd_le(d, 2);
	int sidx = ssel && abi->nstructs ? (int)((ssel - 1) % abi->nstructs) : -1;
	uint32_t size = sz ? (uint32_t)((sz - 1) % HCF_BUF_MAX + 1)
		      : sidx >= 0 ? struct_buf_size(abi->structs[sidx].size, 0) : raw_sizes[0];
	int b = add_buf(d, size, sidx, dirs[dirb % 3]);
	uint8_t *init = b >= 0 ? d->p->bufs[b].init : NULL;
	switch (tag & 3) {
	case CONTENT_ZERO:
		break;
	case CONTENT_FILL: {
		uint8_t fill = rd8(d);
		if (init)
			memset(init, fill, size);
		break;
	}
	case CONTENT_BYTES: {
		uint64_t n = rd_le(d, 2);
		for (uint64_t i = 0; i < n && i < size; i++) {
			uint8_t x = rd8(d);
			if (init)
				init[i] = x;
		}
		break;
	}
	default:
		if (sidx < 0) {
			uint8_t fill = rd8(d); /* a raw buffer has no fields: a fill */
			if (init)
				memset(init, fill, size);
		} else if (b >= 0) {
			dec_struct_fields(d, b, sidx);
		}
		break;
	}
}

/* 0xf8..0xfb: a pointer at byte `at` of one buffer to another buffer + offset. */
static void rec_reloc(struct dec *d, uint8_t tag)
{
	uint8_t src = rd8(d);
	uint64_t at = rd_le(d, 2);
	uint8_t dst = rd8(d);
	int32_t off = (int32_t)(uint32_t)rd_le(d, 4);
	size_t n = d->p->nbufs;
	if (!n)
		return;
	const struct hcf_buf *b = &d->p->bufs[src % n];
	if (b->size < 8)
		return;
	hcf_prog_add_reloc(d->p, (int)(src % n), (uint32_t)(at % (b->size - 7)), (int)(dst % n),
			   off);
}

/* 0xfc..0xfe: the same call again (state carried between calls). */
static void rec_repeat(struct dec *d, uint8_t tag)
{
	uint8_t k = rd8(d);
	size_t n = d->p->ncalls;
	if (!n)
		return;
	struct hcf_pcall copy = d->p->calls[k % n];
	struct hcf_pcall *c = hcf_prog_add_call(d->p, -1, 0);
	if (!c)
		return;
	*c = copy;
	for (unsigned r = 0; r < HCF_NGPR; r++)
		if (!(c->set & HCF_REGBIT(r)))
			c->gpr[r] = hcf_sentinel(r, n);
}

/* 0xff: a raw call: op index (0: undeclared, starting with no register set),
 * flags, then a mask of registers each with a value. Anything goes here
 * except leaving a declared op's number register unset (no text form). */
static void rec_raw(struct dec *d, uint8_t tag)
{
	const struct hcf_abi *abi = d->abi;
	int opi = (int)(rd_le(d, 2) % (abi->nops + 1)) - 1;
	struct hcf_pcall *c = hcf_prog_add_call(d->p, opi, 0);
	if (!c)
		return;
	size_t idx = d->p->ncalls - 1;
	uint64_t ival[HCF_NGPR] = { 0 };
	hcf_regmask_t implied = implied_regs(abi, opi >= 0 ? &abi->ops[opi] : NULL, ival);
	if (opi < 0) {
		/* the number register and the ABI's magic ones too: the encoder
		 * lists every register such a call sets */
		struct val unset = { .tag = V_UNSET, .buf = -1 };
		for (unsigned r = 0; r < HCF_NGPR; r++)
			if (implied & HCF_REGBIT(r))
				set_reg(c, idx, r, &unset);
		implied = 0;
	}
	dec_flags(d, c, rd8(d));
	uint64_t mask = rd_le(d, 2);
	for (unsigned r = 0; r < HCF_NGPR; r++) {
		if (!(mask & (1u << r)))
			continue;
		struct slot s = plain_slot(d, 64);
		struct val v = dec_value(d, &s);
		if (v.tag == V_UNSET && (implied & HCF_REGBIT(r)))
			continue;
		set_reg(c, idx, r, &v);
	}
}

static const struct record_kind {
	uint8_t first, last;
	const char *name;
	void (*fn)(struct dec *d, uint8_t tag);
} record_kinds[] = {
	{ 0x00, TAG_UNDECLARED - 1, "declared call", rec_declared },
	{ TAG_UNDECLARED, TAG_BUF - 1, "undeclared call", rec_undeclared },
	{ TAG_BUF, TAG_RELOC - 1, "buffer", rec_buf },
	{ TAG_RELOC, TAG_REPEAT - 1, "pointer", rec_reloc },
	{ TAG_REPEAT, TAG_RAW - 1, "repeat", rec_repeat },
	{ TAG_RAW, TAG_RAW, "raw call", rec_raw },
};

void hcf_prog_decode(struct hcf_prog *p, const struct hcf_abi *abi, const uint8_t *data,
		     size_t len)
{
	hcf_prog_reset(p);
	p->abi = abi;
	struct dec d = { .data = data, .len = data ? len : 0, .p = p, .abi = abi };
	for (unsigned n = 0; n < MAX_RECORDS && d.pos < d.len && p->ncalls < HCF_CODEC_MAX_CALLS;
	     n++) {
		uint8_t tag = rd8(&d);
		for (size_t i = 0; i < NELEM(record_kinds); i++)
			if (tag >= record_kinds[i].first && tag <= record_kinds[i].last) {
				record_kinds[i].fn(&d, tag);
				break;
			}
	}
}

