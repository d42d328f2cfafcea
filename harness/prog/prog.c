/*
 * prog.c: the program model: calls with their register images, buffers with
 * their initial bytes and pointer relocations, copying, comparing, checking.
 *
 * Invariants every function here keeps: a register outside `set` holds the
 * sentinel of its register and call index (so a clobber shows where it came
 * from), a register in `set` holds either a plain value (ref.buf == -1) or a
 * buffer reference (gpr 0 until the target patches the address in), and
 * every buffer owns exactly `size` bytes of init.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "prog/prog.h"
#include "spec/transport.h"
#include "util/x86.h"
#include "util/xalloc.h"

uint64_t hcf_sentinel(unsigned reg, size_t call_idx)
{
	return HCF_SENTINEL_BASE | ((uint64_t)(reg & 0xf) << 40) |
	       ((uint64_t)call_idx & 0xffffffffffull);
}

bool hcf_is_sentinel(uint64_t v)
{
	/* bits 44..47 are never used by hcf_sentinel */
	return (v & (HCF_SENTINEL_MASK | 0x0000f00000000000ull)) == HCF_SENTINEL_BASE;
}

unsigned hcf_prog_nr_reg(const struct hcf_abi *abi)
{
	/* PIO and MMIO carry the number in the port / address, which the agent
	 * forms from rdx; the data register (rax) is an ordinary argument. */
	if (hcf_xport_addressed(&abi->transport))
		return HCF_RDX;
	return abi->nr_reg < HCF_NGPR ? abi->nr_reg : HCF_RAX;
}

uint64_t hcf_prog_nr_value(const struct hcf_abi *abi, uint64_t nr)
{
	return hcf_xport_addressed(&abi->transport) ? nr : nr | abi->nr_or_mask;
}

void hcf_prog_init(struct hcf_prog *p, const struct hcf_abi *abi)
{
	memset(p, 0, sizeof(*p));
	p->abi = abi;
}

static void free_bufs(struct hcf_prog *p)
{
	for (size_t i = 0; i < p->nbufs; i++) {
		free(p->bufs[i].init);
		p->bufs[i].init = NULL;
	}
	p->nbufs = 0;
}

void hcf_prog_reset(struct hcf_prog *p)
{
	free_bufs(p);
	p->ncalls = 0;
}

void hcf_prog_free(struct hcf_prog *p)
{
	free_bufs(p);
	free(p->calls);
	p->calls = NULL;
	p->ncalls = p->cap = 0;
}

int hcf_prog_copy(struct hcf_prog *dst, const struct hcf_prog *src)
{
	hcf_prog_init(dst, src->abi);
	if (src->ncalls) {
		dst->calls = hcf_xreallocarray(NULL, src->ncalls, sizeof(*dst->calls));
		memcpy(dst->calls, src->calls, src->ncalls * sizeof(*dst->calls));
		dst->ncalls = dst->cap = src->ncalls;
	}
	for (size_t i = 0; i < src->nbufs; i++) {
		const struct hcf_buf *s = &src->bufs[i];
		struct hcf_buf *d = &dst->bufs[i];
		*d = *s;
		d->init = hcf_xmalloc(s->size);
		memcpy(d->init, s->init, s->size);
	}
	dst->nbufs = src->nbufs;
	return 0;
}

static void stamp_sentinels(struct hcf_pcall *c, size_t idx)
{
	for (unsigned r = 0; r < HCF_NGPR; r++)
		if (!(c->set & HCF_REGBIT(r)))
			c->gpr[r] = hcf_sentinel(r, idx);
}

struct hcf_pcall *hcf_prog_add_call(struct hcf_prog *p, int op, uint64_t nr)
{
	const struct hcf_abi *abi = p->abi;
	if (op >= 0 && (size_t)op >= abi->nops)
		return NULL;
	if (p->ncalls >= HCF_PROG_MAX_CALLS)
		return NULL;
	if (p->ncalls == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		if (cap > HCF_PROG_MAX_CALLS)
			cap = HCF_PROG_MAX_CALLS;
		p->calls = hcf_xreallocarray(p->calls, cap, sizeof(*p->calls));
		p->cap = cap;
	}
	size_t idx = p->ncalls++;
	struct hcf_pcall *c = &p->calls[idx];
	memset(c, 0, sizeof(*c));
	c->op = op < 0 ? -1 : op;
	for (unsigned r = 0; r < HCF_NGPR; r++)
		c->ref[r].buf = -1;
	stamp_sentinels(c, idx);

	const struct hcf_op *o = op >= 0 ? &abi->ops[op] : NULL;
	uint64_t magic[HCF_NGPR];
	hcf_regmask_t mm = hcf_prog_magic(abi, magic);
	for (unsigned r = 0; r < HCF_NGPR; r++)
		if (mm & HCF_REGBIT(r))
			hcf_pcall_set(c, r, magic[r]);
	hcf_pcall_set(c, hcf_prog_nr_reg(abi), hcf_prog_nr_value(abi, o ? o->nr : nr));
	if (o && o->has_subop && abi->subop_reg < HCF_NGPR)
		hcf_pcall_set(c, abi->subop_reg, o->subop);
	return c;
}

void hcf_pcall_set(struct hcf_pcall *c, unsigned reg, uint64_t v)
{
	if (reg >= HCF_NGPR)
		return;
	c->gpr[reg] = v;
	c->ref[reg].buf = -1;
	c->ref[reg].offset = 0;
	c->set |= HCF_REGBIT(reg);
}

void hcf_pcall_set_ref(struct hcf_pcall *c, unsigned reg, int buf, int32_t offset)
{
	if (reg >= HCF_NGPR)
		return;
	c->gpr[reg] = 0;
	c->ref[reg].buf = (int16_t)(buf < 0 ? -1 : buf);
	c->ref[reg].offset = offset;
	c->set |= HCF_REGBIT(reg);
}

static bool dir_valid(enum hcf_dir d)
{
	return d == HCF_DIR_IN || d == HCF_DIR_OUT || d == HCF_DIR_INOUT;
}

int hcf_prog_add_buf(struct hcf_prog *p, uint32_t size, int struct_idx, enum hcf_dir dir,
		     const uint8_t *init)
{
	if (p->nbufs >= HCF_PROG_MAX_BUFS || size == 0 || size > HCF_BUF_MAX || !dir_valid(dir))
		return -1;
	if (struct_idx < -1 || (struct_idx >= 0 && (size_t)struct_idx >= p->abi->nstructs))
		return -1;
	struct hcf_buf *b = &p->bufs[p->nbufs];
	memset(b, 0, sizeof(*b));
	b->size = size;
	b->struct_idx = struct_idx;
	b->dir = dir;
	b->init = hcf_xcalloc(size, 1);
	if (init)
		memcpy(b->init, init, size);
	return (int)p->nbufs++;
}

int hcf_prog_add_reloc(struct hcf_prog *p, int buf, uint32_t at, int target, int32_t offset)
{
	if (buf < 0 || (size_t)buf >= p->nbufs || target < 0 || (size_t)target >= p->nbufs)
		return -1;
	struct hcf_buf *b = &p->bufs[buf];
	if (b->nrelocs >= HCF_BUF_MAX_RELOCS || (uint64_t)at + 8 > b->size)
		return -1;
	b->relocs[b->nrelocs++] = (struct hcf_buf_reloc){ .at = at, .buf = (int16_t)target,
							  .offset = offset };
	return 0;
}

void hcf_prog_remove_call(struct hcf_prog *p, size_t i)
{
	if (i >= p->ncalls)
		return;
	memmove(&p->calls[i], &p->calls[i + 1], (p->ncalls - i - 1) * sizeof(*p->calls));
	p->ncalls--;
	for (size_t j = i; j < p->ncalls; j++)
		stamp_sentinels(&p->calls[j], j);
}

uint64_t hcf_pcall_nr(const struct hcf_prog *p, const struct hcf_pcall *c)
{
	const struct hcf_abi *abi = p->abi;
	uint64_t v = c->gpr[hcf_prog_nr_reg(abi)];
	/* the hypervisor reads the number in the ABI's width: bits above it are
	 * not part of the number; an addressed transport's number is the port
	 * or address the instruction reaches */
	return hcf_xport_addressed(&abi->transport)
		       ? hcf_xport_reached_nr(&abi->transport, v)
		       : v & ~abi->nr_or_mask & hcf_x86_width_mask(abi->nr_width);
}

hcf_regmask_t hcf_prog_magic(const struct hcf_abi *abi, uint64_t val[HCF_NGPR])
{
	hcf_regmask_t m = 0;
	for (size_t i = 0; i < abi->nmagic; i++) {
		val[abi->magic[i].reg] = abi->magic[i].value;
		m |= HCF_REGBIT(abi->magic[i].reg);
	}
	return m;
}

const struct hcf_op *hcf_prog_call_op(const struct hcf_prog *p, size_t idx)
{
	if (!p || !p->abi || !p->calls || idx >= p->ncalls)
		return NULL;
	int op = hcf_pcall_op(p, &p->calls[idx]);
	/* A program from a corpus file or the decoder could name any index. */
	return op >= 0 && (size_t)op < p->abi->nops ? &p->abi->ops[op] : NULL;
}

int hcf_pcall_op(const struct hcf_prog *p, const struct hcf_pcall *c)
{
	return hcf_pcall_op_loaded(p, c, NULL);
}

/*
 * The number and sub-operation call c issues, as the hypervisor reads them
 * from the loaded image (NULL: the program's own, where a buffer address is
 * not known yet). false when a magic register does not hold its value: then
 * the hypervisor takes it for no call at all.
 */
static bool issued(const struct hcf_prog *p, const struct hcf_pcall *c,
		   const uint64_t loaded[HCF_NGPR], uint64_t *nr, uint64_t *sub)
{
	const struct hcf_abi *abi = p->abi;
	/* without the loaded image a buffer address in these registers is not
	 * known here: such a call is judged as no declared one */
	const uint64_t *g = loaded ? loaded : c->gpr;
	unsigned nreg = hcf_prog_nr_reg(abi);
	*nr = hcf_xport_addressed(&abi->transport) || !loaded ? hcf_pcall_nr(p, c)
	      : g[nreg] & ~abi->nr_or_mask & hcf_x86_width_mask(abi->nr_width);
	*sub = abi->subop_reg < HCF_NGPR ? g[abi->subop_reg] : 0;
	for (size_t i = 0; i < abi->nmagic; i++)
		if (((g[abi->magic[i].reg] ^ abi->magic[i].value) &
		     hcf_x86_width_mask(abi->magic[i].width)) ||
		    (!loaded && c->ref[abi->magic[i].reg].buf >= 0))
			return false;
	return true;
}

int hcf_pcall_op_loaded(const struct hcf_prog *p, const struct hcf_pcall *c,
			const uint64_t loaded[HCF_NGPR])
{
	const struct hcf_abi *abi = p->abi;
	uint64_t nr, sub;
	if (!issued(p, c, loaded, &nr, &sub))
		return -1;
	if (c->op >= 0 && (size_t)c->op < abi->nops) {
		const struct hcf_op *op = &abi->ops[c->op];
		if (op->nr == nr && (!op->has_subop || op->subop == sub))
			return c->op;
	}
	const struct hcf_op *op = hcf_spec_find_op(abi, nr, sub);
	return op ? (int)(op - abi->ops) : -1;
}

const struct hcf_undeclared *hcf_pcall_undeclared(const struct hcf_prog *p,
						  const struct hcf_pcall *c,
						  const uint64_t loaded[HCF_NGPR])
{
	uint64_t nr, sub;
	return issued(p, c, loaded, &nr, &sub) ? hcf_spec_undeclared(p->abi, nr)
					       : &p->abi->undeclared;
}

bool hcf_prog_has_destructive(const struct hcf_prog *p)
{
	for (size_t i = 0; i < p->ncalls; i++) {
		int op = hcf_pcall_op(p, &p->calls[i]);
		if (op >= 0 && (size_t)op < p->abi->nops ? p->abi->ops[op].destructive :
							  p->abi->undeclared_destructive)
			return true;
	}
	return false;
}

const char *hcf_pcall_name(const struct hcf_prog *p, const struct hcf_pcall *c, char *buf,
			   size_t len)
{
	if (c->op >= 0 && (size_t)c->op < p->abi->nops)
		snprintf(buf, len, "%s", p->abi->ops[c->op].name);
	else
		snprintf(buf, len, "nr=0x%llx", (unsigned long long)hcf_pcall_nr(p, c));
	return buf;
}

static int invalid(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int invalid(char *why, size_t len, const char *fmt, ...)
{
	if (why && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -1;
}

int hcf_prog_validate(const struct hcf_prog *p, char *why, size_t len)
{
	const struct hcf_abi *abi = p->abi;
	if (!abi)
		return invalid(why, len, "program has no ABI");
	if (p->ncalls > HCF_PROG_MAX_CALLS || p->nbufs > HCF_PROG_MAX_BUFS)
		return invalid(why, len, "too many calls or buffers");
	for (size_t i = 0; i < p->nbufs; i++) {
		const struct hcf_buf *b = &p->bufs[i];
		if (b->size == 0 || b->size > HCF_BUF_MAX || !b->init)
			return invalid(why, len, "buffer %zu: size %u", i, b->size);
		if (b->struct_idx < -1 || (b->struct_idx >= 0 && (size_t)b->struct_idx >= abi->nstructs))
			return invalid(why, len, "buffer %zu: struct %d out of range", i, b->struct_idx);
		if (!dir_valid(b->dir))
			return invalid(why, len, "buffer %zu: direction %d", i, (int)b->dir);
		if (b->nrelocs > HCF_BUF_MAX_RELOCS)
			return invalid(why, len, "buffer %zu: %zu relocations", i, b->nrelocs);
		for (size_t j = 0; j < b->nrelocs; j++) {
			const struct hcf_buf_reloc *r = &b->relocs[j];
			if ((uint64_t)r->at + 8 > b->size)
				return invalid(why, len, "buffer %zu: relocation at %u beyond size %u", i,
					       r->at, b->size);
			if (r->buf < 0 || (size_t)r->buf >= p->nbufs)
				return invalid(why, len, "buffer %zu: relocation to buffer %d", i,
					       r->buf);
		}
	}
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct hcf_pcall *c = &p->calls[i];
		if (c->op < -1 || (c->op >= 0 && (size_t)c->op >= abi->nops))
			return invalid(why, len, "call %zu: op %d out of range", i, c->op);
		for (unsigned r = 0; r < HCF_NGPR; r++) {
			if (!(c->set & HCF_REGBIT(r)) || c->ref[r].buf < 0)
				continue;
			if ((size_t)c->ref[r].buf >= p->nbufs)
				return invalid(why, len, "call %zu: %s points at buffer %d", i,
					       hcf_reg_name(r), c->ref[r].buf);
		}
	}
	return 0;
}

static bool call_equal(const struct hcf_pcall *a, const struct hcf_pcall *b)
{
	if (a->op != b->op || a->set != b->set || a->rflags != b->rflags ||
	    a->capture_vec != b->capture_vec)
		return false;
	for (unsigned r = 0; r < HCF_NGPR; r++) {
		if (!(a->set & HCF_REGBIT(r)))
			continue; /* a sentinel: its value depends only on the position */
		bool aref = a->ref[r].buf >= 0, bref = b->ref[r].buf >= 0;
		if (aref != bref)
			return false;
		if (aref ? (a->ref[r].buf != b->ref[r].buf || a->ref[r].offset != b->ref[r].offset)
			 : a->gpr[r] != b->gpr[r])
			return false;
	}
	return true;
}

static bool buf_equal(const struct hcf_buf *a, const struct hcf_buf *b)
{
	if (a->size != b->size || a->struct_idx != b->struct_idx || a->dir != b->dir ||
	    a->nrelocs != b->nrelocs)
		return false;
	if (memcmp(a->init, b->init, a->size))
		return false;
	for (size_t j = 0; j < a->nrelocs; j++) {
		const struct hcf_buf_reloc *x = &a->relocs[j], *y = &b->relocs[j];
		if (x->at != y->at || x->buf != y->buf || x->offset != y->offset)
			return false;
	}
	return true;
}

bool hcf_prog_equal(const struct hcf_prog *a, const struct hcf_prog *b)
{
	if (a->ncalls != b->ncalls || a->nbufs != b->nbufs)
		return false;
	for (size_t i = 0; i < a->ncalls; i++)
		if (!call_equal(&a->calls[i], &b->calls[i]))
			return false;
	for (size_t i = 0; i < a->nbufs; i++)
		if (!buf_equal(&a->bufs[i], &b->bufs[i]))
			return false;
	return true;
}
