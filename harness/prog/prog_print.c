/*
 * prog_print.c: the canonical printer, whose output parses back to an equal
 * program.
 *
 * It spells every program the model can hold: an op by name, an undeclared
 * number as nr=, and anything else (a number register holding a raw value, a
 * declared number issued as an undeclared call) with the registers written
 * out. It fails only for programs that hcf_prog_validate rejects or whose ABI
 * has names it cannot spell (a duplicated op name and number).
 */
#include "prog/prog_text_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prog/prog.h"
#include "spec/transport.h"
#include "util/fileio.h"
#include "util/x86.h"
#include "util/xalloc.h"

/* ---- printer -------------------------------------------------------- */

struct printer {
	const struct hcf_prog *p;
	FILE *f;
	long line_start;
};

/* Every line the printer writes must be one the parser accepts. */
static int end_line(struct printer *pr)
{
	fputc('\n', pr->f);
	long pos = ftell(pr->f);
	if (pos < 0 || pos - pr->line_start - 1 > (long)HCF_PROG_TEXT_MAX_LINE)
		return -1;
	pr->line_start = pos;
	return 0;
}

static void print_ref(FILE *f, int buf, int32_t off)
{
	fprintf(f, "&b%d", buf);
	if (off > 0)
		fprintf(f, "+%d", off);
	else if (off < 0)
		fprintf(f, "-%lld", -(long long)off);
}

/* The field of struct st a pointer at byte `at` is written as, or NULL for @at. */
static const struct hcf_field *reloc_field(const struct hcf_struct *st, uint32_t at)
{
	for (size_t i = 0; st && i < st->nfields; i++) {
		const struct hcf_field *fd = &st->fields[i];
		if (fd->offset == at && fd->size == 8 && pt_is_clean_name(fd->name) &&
		    pt_buf_key(fd->name) < 0 && pt_find_field(st, fd->name) == fd)
			return fd;
	}
	return NULL;
}

/* Write relocation j of b; a field named once on the line is @N after that
 * (the parser rejects a field set twice). */
static void print_reloc(struct printer *pr, const struct hcf_buf *b, size_t j)
{
	const struct hcf_buf_reloc *r = &b->relocs[j];
	const struct hcf_struct *st =
		b->struct_idx >= 0 ? &pr->p->abi->structs[b->struct_idx] : NULL;
	const struct hcf_field *fd = reloc_field(st, r->at);
	for (size_t i = 0; fd && i < j; i++)
		if (b->relocs[i].at == r->at)
			fd = NULL;
	if (fd)
		fprintf(pr->f, " %s=", fd->name);
	else
		fprintf(pr->f, " @%u=", r->at);
	print_ref(pr->f, r->buf, r->offset);
}

static bool relocs_inline(const struct hcf_buf *b, size_t bi)
{
	for (size_t j = 0; j < b->nrelocs; j++)
		if ((size_t)b->relocs[j].buf > bi)
			return false;
	return true;
}

static int print_buf(struct printer *pr, size_t bi)
{
	const struct hcf_abi *abi = pr->p->abi;
	const struct hcf_buf *b = &pr->p->bufs[bi];
	FILE *f = pr->f;
	fprintf(f, "buf b%zu size=%u", bi, b->size);
	if (b->struct_idx >= 0) {
		const struct hcf_struct *st = &abi->structs[b->struct_idx];
		if (!pt_is_clean_name(st->name) || hcf_spec_struct(abi, st->name) != st)
			return -1;
		fprintf(f, " struct=%s", st->name);
	}
	for (size_t d = 0; d < NDIRS; d++)
		if (dir_names[d].dir == b->dir)
			fprintf(f, " dir=%s", dir_names[d].name);
	/* a long trailing run of one non-zero byte becomes fill=, trailing
	 * zeroes are left out, the rest is hex= */
	uint8_t last = b->init[b->size - 1];
	uint32_t k = b->size;
	while (k > 0 && b->init[k - 1] == last)
		k--;
	if (last && (k == 0 || b->size - k >= FILL_MIN_RUN))
		fprintf(f, " fill=0x%02x", last);
	else if (last)
		k = b->size;
	if (k) {
		fputs(" hex=", f);
		for (uint32_t i = 0; i < k; i++)
			fprintf(f, "%02x", b->init[i]);
	}
	if (relocs_inline(b, bi))
		for (size_t j = 0; j < b->nrelocs; j++)
			print_reloc(pr, b, j);
	return end_line(pr);
}

/* Where a register appears on a call line. */
static void print_reg_value(FILE *f, const struct hcf_pcall *c, unsigned r)
{
	if (c->ref[r].buf >= 0)
		print_ref(f, c->ref[r].buf, c->ref[r].offset);
	else
		fprintf(f, "0x%llx", (unsigned long long)c->gpr[r]);
}

/* The name an op's register is written under: an input argument's name when
 * it reads back to the same register and the value fits its width. */
static const char *reg_key(const struct hcf_op *op, const struct hcf_pcall *c, unsigned r)
{
	for (size_t i = 0; op && i < op->nargs; i++) {
		const struct hcf_arg *a = &op->args[i];
		if (a->reg != r || !(a->dir & HCF_DIR_IN) || !pt_is_clean_name(a->name))
			continue;
		unsigned rr = 0, w = 64;
		if (pt_resolve_key(op, a->name, &rr, &w, NULL) != KEY_ARG || rr != r)
			continue;
		if (c->ref[r].buf >= 0 || !(c->gpr[r] & ~hcf_x86_width_mask(w)))
			return a->name;
	}
	return hcf_reg_name(r);
}

static void print_assign(FILE *f, const struct hcf_op *op, const struct hcf_pcall *c, unsigned r)
{
	fprintf(f, " %s=", reg_key(op, c, r));
	print_reg_value(f, c, r);
}

static bool reg_is(const struct hcf_pcall *c, unsigned r, uint64_t v)
{
	return (c->set & HCF_REGBIT(r)) && c->ref[r].buf < 0 && c->gpr[r] == v;
}

/*
 * Write the head of call c and return the registers it implies (their values
 * in implied[]); *need_override when an implied register holds another value.
 * Returns -1 if the call cannot be spelled.
 */
static int print_head(struct printer *pr, const struct hcf_pcall *c, hcf_regmask_t *implied,
		      uint64_t implied_val[HCF_NGPR])
{
	const struct hcf_abi *abi = pr->p->abi;
	unsigned nreg = hcf_prog_nr_reg(abi);
	unsigned sreg = abi->subop_reg;
	bool mapped = hcf_xport_addressed(&abi->transport);
	FILE *f = pr->f;
	*implied = 0;

	if (c->op >= 0) {
		const struct hcf_op *op = &abi->ops[c->op];
		bool sub = op->has_subop && sreg < HCF_NGPR && sreg != nreg;
		if (pt_is_clean_name(op->name) && pt_call_keyword(op->name) < 0 &&
		    hcf_spec_op_by_name(abi, op->name) == op) {
			fprintf(f, "call %s", op->name);
		} else if (pt_resolve_nr(abi, op->nr, op->has_subop, op->subop) == c->op &&
			   !(op->nr & ~hcf_x86_width_mask(pt_nr_width(abi)))) {
			fprintf(f, "call nr=0x%llx", (unsigned long long)op->nr);
			if (op->has_subop)
				fprintf(f, ".0x%llx", (unsigned long long)op->subop);
		} else {
			return -1;
		}
		*implied = HCF_REGBIT(nreg) | hcf_prog_magic(abi, implied_val);
		implied_val[nreg] = hcf_prog_nr_value(abi, op->nr);
		if (sub) {
			*implied |= HCF_REGBIT(sreg);
			implied_val[sreg] = op->subop;
		}
		/* an implied register the program left unset has no spelling */
		return (c->set & *implied) == *implied ? 0 : -1;
	}

	/* undeclared: nr=N when the number register reads back exactly and the
	 * ABI's magic registers are set (nr=N implies them; raw spells them out) */
	uint64_t magic[HCF_NGPR];
	hcf_regmask_t mm = hcf_prog_magic(abi, magic);
	if (reg_is(c, nreg, c->gpr[nreg]) && (c->set & mm) == mm) {
		uint64_t v = c->gpr[nreg];
		uint64_t n = mapped ? v : v & ~abi->nr_or_mask;
		bool has_s = sreg < HCF_NGPR && sreg != nreg && reg_is(c, sreg, c->gpr[sreg]) &&
			     !(c->gpr[sreg] & ~hcf_x86_width_mask(pt_subop_width(abi)));
		uint64_t s = has_s ? c->gpr[sreg] : 0;
		if (hcf_prog_nr_value(abi, n) == v && !(n & ~hcf_x86_width_mask(pt_nr_width(abi))) &&
		    pt_resolve_nr(abi, n, has_s, s) == -1) {
			fprintf(f, "call nr=0x%llx", (unsigned long long)n);
			*implied = HCF_REGBIT(nreg) | hcf_prog_magic(abi, implied_val);
			implied_val[nreg] = v;
			if (has_s) {
				fprintf(f, ".0x%llx", (unsigned long long)s);
				*implied |= HCF_REGBIT(sreg);
				implied_val[sreg] = s;
			}
			return 0;
		}
	}
	fputs("call", f); /* raw: every register written out */
	return 0;
}

static int print_call(struct printer *pr, const struct hcf_pcall *c)
{
	const struct hcf_abi *abi = pr->p->abi;
	const struct hcf_op *op = c->op >= 0 ? &abi->ops[c->op] : NULL;
	FILE *f = pr->f;
	hcf_regmask_t implied;
	uint64_t implied_val[HCF_NGPR] = { 0 };
	if (print_head(pr, c, &implied, implied_val))
		return -1;

	hcf_regmask_t todo = c->set;
	for (unsigned r = 0; r < HCF_NGPR; r++)
		if ((implied & HCF_REGBIT(r)) && reg_is(c, r, implied_val[r]))
			todo &= (hcf_regmask_t)~HCF_REGBIT(r);
	if (todo & implied)
		fputs(" override", f);
	/* inputs in the spec's order first, then the rest in encoding order */
	for (size_t i = 0; op && i < op->nargs; i++) {
		unsigned r = op->args[i].reg;
		if (r < HCF_NGPR && (op->args[i].dir & HCF_DIR_IN) && (todo & HCF_REGBIT(r))) {
			print_assign(f, op, c, r);
			todo &= (hcf_regmask_t)~HCF_REGBIT(r);
		}
	}
	for (unsigned r = 0; r < HCF_NGPR; r++)
		if (todo & HCF_REGBIT(r))
			print_assign(f, op, c, r);
	if (c->rflags) {
		if (c->rflags & ~HCF_RFLAGS_LOADABLE) {
			fprintf(f, " rflags=0x%llx", (unsigned long long)c->rflags);
		} else {
			const char *sep = " rflags=";
			for (unsigned b = 0; b < 64; b++)
				if (c->rflags >> b & 1) {
					fprintf(f, "%s%s", sep, hcf_x86_rflags_name(b));
					sep = "|";
				}
		}
	}
	if (c->capture_vec)
		fputs(" vec", f);
	return end_line(pr);
}

static int emit(const struct hcf_prog *p, FILE *f)
{
	const struct hcf_abi *abi = p->abi;
	struct printer pr = { p, f, 0 };
	fprintf(f, "# hcfuzz program: %zu call%s, %zu buffer%s", p->ncalls,
		p->ncalls == 1 ? "" : "s", p->nbufs, p->nbufs == 1 ? "" : "s");
	if (end_line(&pr))
		return -1;
	if (pt_is_clean_name(abi->name)) {
		fprintf(f, "abi %s", abi->name);
		if (end_line(&pr))
			return -1;
	}
	for (size_t i = 0; i < p->nbufs; i++)
		if (print_buf(&pr, i))
			return -1;
	/* pointers to later buffers wait until every buffer is declared */
	for (size_t i = 0; i < p->nbufs; i++) {
		const struct hcf_buf *b = &p->bufs[i];
		if (relocs_inline(b, i))
			continue;
		fprintf(f, "reloc b%zu", i);
		for (size_t j = 0; j < b->nrelocs; j++)
			print_reloc(&pr, b, j);
		if (end_line(&pr))
			return -1;
	}
	for (size_t i = 0; i < p->ncalls; i++)
		if (print_call(&pr, &p->calls[i]))
			return -1;
	return 0;
}

char *hcf_prog_to_text(const struct hcf_prog *p)
{
	if (hcf_prog_validate(p, NULL, 0))
		return NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	int rc = emit(p, f);
	if (fclose(f) || rc) {
		free(text);
		errno = EINVAL;
		return NULL;
	}
	return text;
}

int hcf_prog_print(const struct hcf_prog *p, FILE *f)
{
	char *text = hcf_prog_to_text(p);
	if (!text)
		return -1;
	size_t n = strlen(text);
	int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
	free(text);
	return rc;
}

