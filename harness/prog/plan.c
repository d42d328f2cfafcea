/*
 * plan.c: the systematic conformance plan, and hcf_tests_free.
 *
 * Every test is one call. An op's baseline sets every input to zero and
 * points every pointer-to-struct input at a buffer of its struct, its fields
 * zero or at the spec's baseline (with sub-buffers behind its pointer
 * fields, and behind a buffer field as many bytes as its length says), so
 * that a hypervisor that rejects zeroes still gets valid memory to look at,
 * and a call whose work needs more (a handle that names a device) does it.
 * Each variation changes one input, or one field of such a struct, and
 * leaves the others at the baseline, so a FAIL names the input that caused
 * it. Random values come from a generator seeded per op and input
 * (not one stream for the whole plan), so adding an op to a spec does not
 * change the values, and with them the results, of every later test: runs of
 * two hypervisor builds stay comparable test by test.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog/plan.h"
#include "prog/value_class.h"
#include "util/hash.h"
#include "spec/transport.h"
#include "util/splitmix.h"
#include "util/x86.h"
#include "util/xalloc.h"

#define MAX_STRUCT_DEPTH 4  /* pointer fields followed this deep (cycles end here) */


struct planner {
	const struct hcf_abi *abi;
	uint64_t seed;
	unsigned randoms;
	bool no_undeclared, no_destructive;
	struct hcf_test *tests;
	size_t n, cap;
};

/* A new test with its strings; ids longer than the field keep a hash of the
 * whole id so that they stay unique. */
static struct hcf_test *new_test(struct planner *pl, const char *group, const char *id,
				 const char *desc)
{
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 64;
		pl->tests = hcf_xreallocarray(pl->tests, pl->cap, sizeof(*pl->tests));
	}
	struct hcf_test *t = &pl->tests[pl->n++];
	memset(t, 0, sizeof(*t));
	if (strlen(id) < sizeof(t->id))
		snprintf(t->id, sizeof(t->id), "%s", id);
	else
		snprintf(t->id, sizeof(t->id), "%.*s~%016llx", (int)sizeof(t->id) - 18, id,
			 (unsigned long long)hcf_fnv64_str(HCF_FNV64_SEED, id));
	snprintf(t->group, sizeof(t->group), "%s", group);
	snprintf(t->desc, sizeof(t->desc), "%s", desc);
	hcf_prog_init(&t->prog, pl->abi);
	return t;
}

/* A struct field a test sets to something else than its baseline: field
 * `field` of the struct pointer input `arg` points to. */
struct field_set {
	size_t arg, field;
	uint64_t value;
};

/* How many bytes to lay out behind a buffer field whose length field says
 * len: that many (up to a buffer's most), or the plan's default when it is
 * 0 and the bytes are not read anyway. */
static uint32_t pair_bytes(uint64_t len)
{
	return len == 0 ? HCF_PLAN_BYTES_BUF : len > HCF_BUF_MAX ? HCF_BUF_MAX : (uint32_t)len;
}

/* A buffer of struct sidx: its fields at their baselines (zero unless the
 * spec says otherwise), field set_field (when below nfields) at set_value,
 * with buffers behind its pointer fields and buffer fields (as many bytes
 * as the length field says). Returns the buffer or -1 when the program is
 * full. */
static int add_struct_buf(struct hcf_prog *p, int sidx, unsigned depth, size_t set_field,
			  uint64_t set_value)
{
	const struct hcf_abi *abi = p->abi;
	const struct hcf_struct *st = &abi->structs[sidx];
	uint32_t size = st->size ? st->size : 8;
	if (size > HCF_BUF_MAX)
		size = HCF_BUF_MAX;
	uint8_t *init = hcf_xcalloc(size, 1);
	for (size_t i = 0; i < st->nfields; i++) {
		const struct hcf_field *fd = &st->fields[i];
		uint64_t v = i == set_field ? set_value : fd->baseline;
		for (uint32_t k = 0; k < fd->size && k < 8 && fd->offset + k < size; k++)
			init[fd->offset + k] = (uint8_t)(v >> (8 * k));
	}
	int b = hcf_prog_add_buf(p, size, sidx, HCF_DIR_IN, init);
	if (b < 0 || depth >= MAX_STRUCT_DEPTH) {
		free(init);
		return b;
	}
	for (size_t i = 0; i < st->nfields; i++) {
		const struct hcf_field *fd = &st->fields[i];
		/* a pointer field the test sets itself points where it says */
		if (fd->size != 8 || (uint64_t)fd->offset + 8 > size || i == set_field)
			continue;
		int sub = -1;
		int lf = fd->buffer_len_field;
		if (fd->points_to >= 0 && (size_t)fd->points_to < abi->nstructs) {
			sub = add_struct_buf(p, fd->points_to, depth + 1, SIZE_MAX, 0);
		} else if (lf >= 0 && (size_t)lf < st->nfields) {
			const struct hcf_field *len = &st->fields[lf];
			uint64_t n = (size_t)lf == set_field ? set_value : len->baseline;
			if (len->size < 8)
				n &= (1ull << (len->size * 8)) - 1;
			/* the spec may not say whether the bytes are read or written:
			 * INOUT keeps the memory oracle from blaming a legal write */
			enum hcf_dir dir = fd->buffer_dir ? (enum hcf_dir)fd->buffer_dir : HCF_DIR_INOUT;
			sub = hcf_prog_add_buf(p, pair_bytes(n), -1, dir, NULL);
		}
		if (sub >= 0)
			hcf_prog_add_reloc(p, b, fd->offset, sub, 0);
	}
	free(init);
	return b;
}

/* The baseline program of op, with one struct field set otherwise when fs
 * is not NULL; argbuf[i] gets pointer input i's buffer (or -1). */
static void build_program(const struct hcf_abi *abi, int opi, struct hcf_prog *p, int *argbuf,
			  const struct field_set *fs)
{
	const struct hcf_op *op = &abi->ops[opi];
	struct hcf_pcall *c = hcf_prog_add_call(p, opi, 0);
	for (size_t i = 0; i < op->nargs; i++) {
		const struct hcf_arg *a = &op->args[i];
		argbuf[i] = -1;
		if (!hcf_arg_is_input(abi, op, a))
			continue;
		bool set = fs && fs->arg == i;
		if (hcf_arg_is_pointer(abi, a))
			argbuf[i] = add_struct_buf(p, a->struct_idx, 0, set ? fs->field : SIZE_MAX,
						   set ? fs->value : 0);
		if (argbuf[i] >= 0)
			hcf_pcall_set_ref(c, a->reg, argbuf[i], 0);
		else
			hcf_pcall_set(c, a->reg, 0);
	}
}

static void build_baseline(const struct hcf_abi *abi, int opi, struct hcf_prog *p, int *argbuf)
{
	build_program(abi, opi, p, argbuf, NULL);
}

/*
 * A pointer with a count points at as many elements as the count the call
 * loads says (read at its width), as far as one buffer holds them
 * (HCF_BUF_MAX bytes): the baseline's one element grows into the array, the
 * first element keeping its sub-buffers, the others zeroed. Past what is laid
 * out the array goes on in the bytes that follow, as the hypervisor will
 * read them; the memory oracle lets it write the OUT fields of every element
 * the count names.
 */
static void lay_out_arrays(const struct hcf_abi *abi, const struct hcf_op *op, struct hcf_prog *p,
			   const int *argbuf)
{
	const struct hcf_pcall *c = &p->calls[p->ncalls - 1];
	for (size_t i = 0; i < op->nargs; i++) {
		const struct hcf_arg *a = &op->args[i];
		uint32_t size = argbuf[i] >= 0 ? abi->structs[a->struct_idx].size : 0;
		if (a->count_arg < 0 || !size)
			continue;
		struct hcf_buf *b = &p->bufs[argbuf[i]];
		uint64_t n = hcf_arg_elements(op, a, c->gpr), fit = HCF_BUF_MAX / size;
		if (n > fit)
			n = fit;
		if (n <= 1 || b->size != size)
			continue;
		b->init = hcf_xreallocarray(b->init, n, size);
		memset(b->init + size, 0, (n - 1) * size);
		b->size = (uint32_t)(n * size);
	}
}

/* One value an input takes in a variation. */
struct variant {
	char kind[24];
	bool is_ref;
	uint64_t v;
	int32_t off;
	char note[64];
};

struct vlist {
	struct variant *v;
	size_t n, cap;
};

static void vadd(struct vlist *l, const char *kind, bool is_ref, uint64_t v, int32_t off,
		 const char *note)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].is_ref == is_ref && l->v[i].v == v && l->v[i].off == off)
			return; /* the same register image under another name */
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = hcf_xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	struct variant *x = &l->v[l->n++];
	snprintf(x->kind, sizeof(x->kind), "%s", kind);
	x->is_ref = is_ref;
	x->v = v;
	x->off = off;
	snprintf(x->note, sizeof(x->note), "%s", note);
}

static bool vhas(const struct vlist *l, uint64_t v)
{
	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].is_ref && l->v[i].v == v)
			return true;
	return false;
}

/* Does struct sidx have a field the call waits on (waits:) that lies past
 * its first `keep` bytes? */
static bool waits_past(const struct hcf_abi *abi, int sidx, uint32_t keep)
{
	const struct hcf_struct *st = sidx >= 0 ? &abi->structs[sidx] : NULL;
	for (size_t i = 0; st && i < st->nfields; i++)
		if (st->fields[i].waits_unit_ns && st->fields[i].offset + st->fields[i].size > keep)
			return true;
	return false;
}

/* The values of one input, in the order the tests run. */
static void arg_variants(const struct planner *pl, const struct hcf_op *op,
			 const struct hcf_arg *a, int buf, uint32_t bufsize, struct vlist *l)
{
	unsigned w = hcf_arg_width(a);
	uint64_t mask = hcf_x86_width_mask(w);
	bool ptr = buf >= 0;
	char kind[24];

	/* The classes with a value of their own (prog/value_class.h), named
	 * after it. zero repeats the baseline for a number, under the input's
	 * own name so that every input has its full row; a pointer's zero is
	 * NULL. */
	for (int c = HCF_VC_ZERO; c < HCF_VC_HINT; c++) {
		if (!hcf_vclass_applies((enum hcf_vclass)c, w, false, false))
			continue;
		char note[64] = "";
		const char *name = hcf_vclass_name((enum hcf_vclass)c);
		if (c == HCF_VC_ZERO && ptr) {
			name = "null";
			snprintf(note, sizeof(note), "NULL");
		} else if (c == HCF_VC_MAX) {
			snprintf(note, sizeof(note), "signed maximum");
		} else if (c == HCF_VC_UPPER_GARBAGE) {
			snprintf(note, sizeof(note), "1 with garbage above bit %u", w - 1);
		}
		vadd(l, name, false, hcf_vclass_value((enum hcf_vclass)c, w), 0, note);
	}
	unsigned k = 0;
	for (size_t i = 0; !a->hints.any && i < a->hints.n && k < HCF_PLAN_MAX_HINTS; i++) {
		int64_t ends[2] = { a->hints.r[i].lo, a->hints.r[i].hi };
		for (int e = 0; e < (ends[0] == ends[1] ? 1 : 2) && k < HCF_PLAN_MAX_HINTS; e++) {
			snprintf(kind, sizeof(kind), "%s-%u", hcf_vclass_name(HCF_VC_HINT), k++);
			vadd(l, kind, false, (uint64_t)ends[e] & mask, 0, "from the spec");
		}
	}
	uint64_t s = pl->seed ^ hcf_fnv64_str(hcf_fnv64_str(HCF_FNV64_SEED, op->name), a->name);
	for (unsigned r = 0; r < pl->randoms; r++) {
		uint64_t v = hcf_splitmix64(&s) & mask;
		for (int tries = 0; tries < 16 && vhas(l, v); tries++)
			v = hcf_splitmix64(&s) & mask;
		snprintf(kind, sizeof(kind), "%s-%u", hcf_vclass_name(HCF_VC_RANDOM), r);
		vadd(l, kind, false, v, 0, "seeded random");
	}
	if (ptr) {
		vadd(l, "non-canonical", false, 0x8000000000000000ull, 0, "non-canonical address");
		vadd(l, "past-ram", false, HCF_GUEST_MEM_SIZE + 0x1000, 0, "past guest RAM");
		/* not where a field the call waits on would be the guard's bytes:
		 * generators keep a wait to what the spec allows */
		if (!waits_past(pl->abi, a->struct_idx, 1))
			vadd(l, "last-byte", true, 0, (int32_t)bufsize - 1, "the buffer's last byte");
	}
}

/*
 * The struct fields of op's pointer inputs, one at a time: each of a
 * field's hints in the baseline's struct (the other fields at their
 * baselines). A length field's hint also sizes the buffer behind its pair.
 * Ids "<op>/<arg>.<field>=hint-K".
 */
static void add_field_tests(struct planner *pl, int opi, int *scratch)
{
	const struct hcf_abi *abi = pl->abi;
	const struct hcf_op *op = &abi->ops[opi];
	char id[256], desc[256], kind[24];
	for (size_t i = 0; i < op->nargs; i++) {
		const struct hcf_arg *a = &op->args[i];
		if (!hcf_arg_is_input(abi, op, a) || !hcf_arg_is_pointer(abi, a))
			continue;
		const struct hcf_struct *st = &abi->structs[a->struct_idx];
		for (size_t f = 0; f < st->nfields; f++) {
			const struct hcf_field *fd = &st->fields[f];
			struct vlist l = { 0 };
			unsigned bits = fd->size < 8 ? fd->size * 8 : 64;
			unsigned k = 0;
			for (size_t h = 0; h < fd->hints.n && k < HCF_PLAN_MAX_HINTS; h++) {
				int64_t ends[2] = { fd->hints.r[h].lo, fd->hints.r[h].hi };
				for (int e = 0; e < (ends[0] == ends[1] ? 1 : 2) && k < HCF_PLAN_MAX_HINTS;
				     e++) {
					snprintf(kind, sizeof(kind), "hint-%u", k++);
					vadd(&l, kind, false, (uint64_t)ends[e] & hcf_x86_width_mask(bits),
					     0, "from the spec");
				}
			}
			for (size_t j = 0; j < l.n; j++) {
				const struct variant *x = &l.v[j];
				snprintf(id, sizeof(id), "%s/%s.%s=%s", op->name, a->name, fd->name,
					 x->kind);
				snprintf(desc, sizeof(desc), "%s.%s (field of %s at %u, %u bytes) = 0x%llx "
					 "(%s), other fields at their baselines", a->name, fd->name,
					 st->name, fd->offset, fd->size, (unsigned long long)x->v, x->note);
				struct hcf_test *vt = new_test(pl, op->name, id, desc);
				struct field_set fs = { .arg = i, .field = f, .value = x->v };
				build_program(abi, opi, &vt->prog, scratch, &fs);
			}
			free(l.v);
		}
	}
}

static void add_op_tests(struct planner *pl, int opi)
{
	const struct hcf_abi *abi = pl->abi;
	const struct hcf_op *op = &abi->ops[opi];
	size_t na = op->nargs ? op->nargs : 1;
	int *argbuf = hcf_xcalloc(na, sizeof(int));
	int *scratch = hcf_xcalloc(na, sizeof(int));
	uint32_t *bufsize = hcf_xcalloc(na, sizeof(uint32_t));
	char id[256], desc[256];

	snprintf(id, sizeof(id), "%s/baseline", op->name);
	struct hcf_test *t = new_test(pl, op->name, id, "every input zero, pointers to zeroed structs");
	build_baseline(abi, opi, &t->prog, argbuf);
	for (size_t i = 0; i < op->nargs; i++)
		bufsize[i] = argbuf[i] >= 0 ? t->prog.bufs[argbuf[i]].size : 0;
	/* t moves when the array grows: not used below */

	for (size_t i = 0; i < op->nargs; i++) {
		const struct hcf_arg *a = &op->args[i];
		if (!hcf_arg_is_input(abi, op, a))
			continue;
		struct vlist l = { 0 };
		arg_variants(pl, op, a, argbuf[i], bufsize[i], &l);
		for (size_t j = 0; j < l.n; j++) {
			const struct variant *x = &l.v[j];
			char what[96];
			if (argbuf[i] >= 0)
				snprintf(what, sizeof(what), "%s (%s, %u-bit pointer to %s)",
					 hcf_reg_name(a->reg), a->name, hcf_arg_width(a),
					 abi->structs[a->struct_idx].name);
			else
				snprintf(what, sizeof(what), "%s (%s, %u-bit)", hcf_reg_name(a->reg),
					 a->name, hcf_arg_width(a));
			if (x->is_ref)
				snprintf(desc, sizeof(desc), "%s = &b%d+%d%s%s%s", what, argbuf[i],
					 x->off, x->note[0] ? " (" : "", x->note, x->note[0] ? ")" : "");
			else
				snprintf(desc, sizeof(desc), "%s = 0x%llx%s%s%s", what,
					 (unsigned long long)x->v, x->note[0] ? " (" : "", x->note,
					 x->note[0] ? ")" : "");
			snprintf(id, sizeof(id), "%s/%s=%s", op->name, a->name, x->kind);
			struct hcf_test *vt = new_test(pl, op->name, id, desc);
			build_baseline(abi, opi, &vt->prog, scratch);
			struct hcf_pcall *c = &vt->prog.calls[0];
			/* the whole 64-bit register: a narrow input's upper bits are part
			 * of what the hypervisor must ignore */
			if (x->is_ref)
				hcf_pcall_set_ref(c, a->reg, argbuf[i], x->off);
			else
				hcf_pcall_set(c, a->reg, x->v);
			lay_out_arrays(abi, op, &vt->prog, scratch);
		}
		free(l.v);
	}
	add_field_tests(pl, opi, scratch);
	free(bufsize);
	free(scratch);
	free(argbuf);
}

/* ---- undeclared numbers ---- */

struct cand {
	uint64_t nr;       /* number as add_call takes it */
	bool raw;          /* load nr into the register without the OR mask */
	char why[96];
};

struct clist {
	struct cand *c;
	size_t n, cap;
};

static bool nr_declared(const struct hcf_abi *abi, uint64_t nr)
{
	for (size_t i = 0; i < abi->ncalls; i++)
		if (abi->calls[i].nr == nr)
			return true;
	return false;
}

/* Can the number be issued at all, and is it one the plan should try? */
static bool nr_usable(const struct hcf_abi *abi, uint64_t nr)
{
	if (!hcf_xport_usable(&abi->transport, nr))
		return false; /* past the ports, the MMIO window, the hypercall page */
	if (hcf_xport_addressed(&abi->transport))
		return true;
	unsigned w = abi->nr_width && abi->nr_width < 64 ? abi->nr_width : 64;
	/* bits of the OR mask would alias a masked number */
	return !(nr & ~hcf_x86_width_mask(w)) && !(nr & abi->nr_or_mask);
}

static void cadd(struct clist *l, const struct hcf_abi *abi, uint64_t nr, bool raw,
		 const char *why)
{
	if (!raw && (nr_declared(abi, nr) || !nr_usable(abi, nr)))
		return;
	for (size_t i = 0; i < l->n; i++)
		if (l->c[i].nr == nr && l->c[i].raw == raw)
			return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->c = hcf_xreallocarray(l->c, l->cap, sizeof(*l->c));
	}
	struct cand *c = &l->c[l->n++];
	c->nr = nr;
	c->raw = raw;
	snprintf(c->why, sizeof(c->why), "%s", why);
}

static const uint64_t far_numbers[] = {
	0, 0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x100000000ull,
	0x7fffffffffffffffull, 0xffffffffffffffffull,
};

static void add_undeclared_tests(struct planner *pl)
{
	const struct hcf_abi *abi = pl->abi;
	struct clist l = { 0 };
	char why[96];
	for (size_t i = 0; i < abi->ncalls; i++) {
		uint64_t n = abi->calls[i].nr;
		if (n > 0) {
			snprintf(why, sizeof(why), "below %.48s (0x%llx)", abi->calls[i].name,
				 (unsigned long long)n);
			cadd(&l, abi, n - 1, false, why);
		}
		if (n < UINT64_MAX) {
			snprintf(why, sizeof(why), "above %.48s (0x%llx)", abi->calls[i].name,
				 (unsigned long long)n);
			cadd(&l, abi, n + 1, false, why);
		}
	}
	for (size_t i = 0; i < sizeof(far_numbers) / sizeof(far_numbers[0]); i++)
		cadd(&l, abi, far_numbers[i], false, "far value");
	if (abi->nr_or_mask && !hcf_xport_addressed(&abi->transport) && abi->ncalls) {
		uint64_t n = abi->calls[0].nr;
		unsigned w = abi->nr_width && abi->nr_width < 64 ? abi->nr_width : 64;
		if ((n | abi->nr_or_mask) != n && !(n & ~hcf_x86_width_mask(w))) {
			snprintf(why, sizeof(why), "%.48s's number without the OR mask 0x%llx",
				 abi->calls[0].name, (unsigned long long)abi->nr_or_mask);
			cadd(&l, abi, n, true, why);
		}
	}

	for (size_t i = 0; i < l.n; i++) {
		const struct cand *c = &l.c[i];
		char id[96], desc[192];
		snprintf(id, sizeof(id), "undeclared/nr=0x%llx%s", (unsigned long long)c->nr,
			 c->raw ? "-without-mask" : "");
		unsigned nreg = hcf_prog_nr_reg(abi);
		uint64_t regv = c->raw ? c->nr : hcf_prog_nr_value(abi, c->nr);
		snprintf(desc, sizeof(desc), "undeclared number, %s = 0x%llx (%s)", hcf_reg_name(nreg),
			 (unsigned long long)regv, c->why);
		struct hcf_test *t = new_test(pl, "undeclared", id, desc);
		struct hcf_pcall *pc = hcf_prog_add_call(&t->prog, -1, c->nr);
		if (c->raw)
			hcf_pcall_set(pc, nreg, c->nr);
	}
	free(l.c);
}

/* The first op a plain call can make (not destructive), or -1. */
static int first_plain_op(const struct hcf_abi *abi)
{
	for (size_t i = 0; i < abi->nops; i++)
		if (!abi->ops[i].destructive)
			return (int)i;
	return -1;
}

/* Garbage for the bits of a register above width w. */
static uint64_t upper_garbage(unsigned w)
{
	return 0xa5a5a5a5a5a5a5a5ull & ~hcf_x86_width_mask(w);
}

/*
 * Tests of the ABI's own rules, on its first plain op: a magic register
 * holding anything else must not be taken for a call (the undeclared
 * contract), while garbage above a magic's or the number's width must be
 * ignored (the op's contract), as the hypervisor reads only that width.
 */
static void add_abi_tests(struct planner *pl)
{
	const struct hcf_abi *abi = pl->abi;
	int opi = first_plain_op(abi);
	if (opi < 0)
		return;
	const struct hcf_op *op = &abi->ops[opi];
	int *argbuf = hcf_xcalloc(op->nargs ? op->nargs : 1, sizeof(int));
	char id[96], desc[192];
	for (size_t i = 0; i < abi->nmagic; i++) {
		const struct hcf_magic *m = &abi->magic[i];
		const char *rn = hcf_reg_name(m->reg);
		uint64_t mask = hcf_x86_width_mask(m->width);
		if (!pl->no_undeclared) {
			uint64_t wrong = ~m->value & mask;
			snprintf(id, sizeof(id), "abi/magic-%s-wrong", rn);
			snprintf(desc, sizeof(desc), "%.48s with %s = 0x%llx instead of the magic 0x%llx: "
				 "not a call (undeclared contract)", op->name, rn,
				 (unsigned long long)wrong, (unsigned long long)m->value);
			struct hcf_test *t = new_test(pl, "abi", id, desc);
			build_baseline(abi, opi, &t->prog, argbuf);
			hcf_pcall_set(&t->prog.calls[0], m->reg, wrong);
		}
		if (m->width < 64) {
			uint64_t v = m->value | upper_garbage(m->width);
			snprintf(id, sizeof(id), "abi/magic-%s-upper-garbage", rn);
			snprintf(desc, sizeof(desc), "%.48s with %s = 0x%llx: the magic in its %u bits, "
				 "garbage above (the op's contract)", op->name, rn,
				 (unsigned long long)v, m->width);
			struct hcf_test *t = new_test(pl, "abi", id, desc);
			build_baseline(abi, opi, &t->prog, argbuf);
			hcf_pcall_set(&t->prog.calls[0], m->reg, v);
		}
	}
	if (!hcf_xport_addressed(&abi->transport) && abi->nr_width && abi->nr_width < 64) {
		unsigned nreg = hcf_prog_nr_reg(abi);
		uint64_t v = hcf_prog_nr_value(abi, op->nr) | upper_garbage(abi->nr_width);
		snprintf(id, sizeof(id), "abi/number-upper-garbage");
		snprintf(desc, sizeof(desc), "%.48s with %s = 0x%llx: its number in the %u bits the "
			 "ABI reads, garbage above (the op's contract)", op->name, hcf_reg_name(nreg),
			 (unsigned long long)v, abi->nr_width);
		struct hcf_test *t = new_test(pl, "abi", id, desc);
		build_baseline(abi, opi, &t->prog, argbuf);
		hcf_pcall_set(&t->prog.calls[0], nreg, v);
	}
	free(argbuf);
}

static int cmp_id(const void *a, const void *b)
{
	const struct hcf_test *const *x = a, *const *y = b;
	return strcmp((*x)->id, (*y)->id);
}

/* A spec with a repeated argument name would repeat ids; number the repeats
 * rather than hand the executor two tests it cannot tell apart. */
static void make_ids_unique(struct hcf_test *tests, size_t n)
{
	if (n < 2)
		return;
	struct hcf_test **v = hcf_xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = &tests[i];
	qsort(v, n, sizeof(*v), cmp_id);
	for (size_t i = 1, rep = 1; i < n; i++) {
		if (strcmp(v[i]->id, v[i - 1]->id)) {
			rep = 1;
			continue;
		}
		char id[sizeof(v[i]->id)];
		snprintf(id, sizeof(id), "%.80s~%zu", v[i]->id, ++rep);
		memcpy(v[i]->id, id, sizeof(id));
	}
	free(v);
}

bool hcf_plan_op_skipped(const struct hcf_plan_opts *o, const char *name)
{
	for (size_t i = 0; o && i < o->nskip_ops; i++)
		if (!fnmatch(o->skip_ops[i], name, 0))
			return true;
	return false;
}

int hcf_plan_build(const struct hcf_abi *abi, const struct hcf_plan_opts *opts,
		   struct hcf_test **tests, size_t *n)
{
	if (!abi || !tests || !n) {
		errno = EINVAL;
		return -1;
	}
	struct hcf_plan_opts o = { 0 };
	if (opts)
		o = *opts;
	struct planner pl = {
		.abi = abi,
		.seed = o.seed ? o.seed : HCF_PLAN_DEFAULT_SEED,
		.randoms = o.randoms || o.randoms_given ? o.randoms : HCF_PLAN_DEFAULT_RANDOMS,
		.no_undeclared = o.no_undeclared,
		.no_destructive = o.no_destructive,
	};
	if (pl.randoms > HCF_PLAN_MAX_RANDOMS)
		pl.randoms = HCF_PLAN_MAX_RANDOMS;
	for (size_t i = 0; i < abi->nops; i++) {
		if ((pl.no_destructive && abi->ops[i].destructive) ||
		    hcf_plan_op_skipped(&o, abi->ops[i].name))
			continue;
		add_op_tests(&pl, (int)i);
	}
	if (!pl.no_undeclared)
		add_undeclared_tests(&pl);
	add_abi_tests(&pl);
	make_ids_unique(pl.tests, pl.n);
	*tests = pl.tests;
	*n = pl.n;
	return 0;
}

int hcf_plan_add_anomalies(const struct hcf_abi *abi, struct hcf_test **tests, size_t *n,
			   struct hcf_diags *diags)
{
	if (!abi || !tests || !n) {
		errno = EINVAL;
		return -1;
	}
	struct planner pl = { .abi = abi, .tests = *tests, .n = *n, .cap = *n };
	int rc = 0;
	for (size_t k = 0; k < abi->nanomalies; k++) {
		const struct hcf_anomaly *a = &abi->anomalies[k];
		char id[96], name[160];
		snprintf(id, sizeof(id), "anomaly/%s", a->id);
		snprintf(name, sizeof(name), "%s: known anomaly %s, reproduce", abi->path, a->id);
		struct hcf_test *t = new_test(&pl, "anomalies", id, a->summary);
		t->anomaly = a;
		if (hcf_prog_parse(&t->prog, abi, name, a->reproduce, strlen(a->reproduce), diags) != 0)
			rc = -1;
	}
	*tests = pl.tests; /* it may have moved, whatever happened */
	if (rc != 0) {
		for (size_t i = *n; i < pl.n; i++)
			hcf_prog_free(&pl.tests[i].prog);
		return -1;
	}
	*n = pl.n;
	return 0;
}

uint64_t hcf_test_digest(const struct hcf_test *t)
{
	uint64_t h = hcf_fnv64_str(HCF_FNV64_SEED, t->id);
	h = hcf_fnv64(h, "", 1); /* the id ends here */
	char *text = hcf_prog_to_text(&t->prog);
	h = hcf_fnv64_str(h, text ? text : "(unprintable)");
	free(text);
	return h;
}

uint64_t hcf_tests_digest(const struct hcf_test *tests, size_t n)
{
	uint64_t h = HCF_FNV64_SEED;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = hcf_test_digest(&tests[i]);
		h = hcf_fnv64(h, &d, sizeof(d));
	}
	return h;
}

void hcf_tests_free(struct hcf_test *tests, size_t n)
{
	if (!tests)
		return;
	for (size_t i = 0; i < n; i++)
		hcf_prog_free(&tests[i].prog);
	free(tests);
}
