/*
 * prog_parse.c: the program text parser, which treats its input as hostile.
 *
 * docs/program-format.md is the user reference. The parser keeps going after
 * an error to report the next lines' problems too (up to HCF_DIAG_MAX), but a
 * program with any error is never returned half-built. Every limit (line
 * length, items per line, buffers, calls, relocations, text size) is checked
 * with a diagnostic before anything is allocated or indexed by it.
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

/* ---- parser --------------------------------------------------------- */

struct tok {
	char *key;          /* NUL-terminated inside the line copy */
	char *val;          /* text after '=', NULL for a bare word */
	unsigned col, vcol; /* 1-based columns of key and value */
};

struct name_ent {
	char *name;
	int idx;            /* buffer index, -1: its declaration failed */
	unsigned line;
};

struct parser {
	const struct hcf_abi *abi;
	struct hcf_prog *p;
	const char *file;
	struct hcf_diags *diags;
	unsigned line;
	unsigned errors;
	bool poisoned;      /* a line failed without a new diagnostic (cascade) */
	bool saw_abi;
	char *linebuf;
	struct tok toks[MAX_TOKENS];
	size_t ntoks;
	struct name_ent names[MAX_NAMES];
	size_t nnames;
};

static int perr(struct parser *ps, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct parser *ps, unsigned col, const char *fmt, ...)
{
	struct hcf_srcpos pos = { ps->file, ps->line, col };
	va_list ap;
	va_start(ap, fmt);
	hcf_diag_vadd(ps->diags, &pos, fmt, ap);
	va_end(ap);
	ps->errors++;
	return -1;
}

/* A value as written, before it is fitted to a width. */
struct val {
	bool is_ref;
	bool neg;           /* numbers: -mag */
	uint64_t mag;
	int buf;            /* references */
	int32_t off;
};

/* Digits with optional 0x and '_' separators. 0, or -1 on bad syntax, -2 on overflow. */
static int parse_uint(const char *s, uint64_t *out)
{
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	uint64_t v = 0;
	bool any = false;
	for (; *s; s++) {
		unsigned d;
		if (*s == '_' && any)
			continue;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -1;
		if (d >= base)
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -2;
		v = v * base + d;
		any = true;
	}
	*out = v;
	return any ? 0 : -1;
}

static int number_value(struct parser *ps, const char *s, unsigned col, bool neg, struct val *v)
{
	int rc = parse_uint(s, &v->mag);
	if (rc == -2)
		return perr(ps, col, "number '%s' does not fit in 64 bits", s);
	if (rc < 0)
		return perr(ps, col, "bad number '%s'", s);
	v->neg = neg && v->mag != 0;
	return 0;
}

static int vk_number(struct parser *ps, const char *s, unsigned col, struct val *v)
{
	return number_value(ps, s, col, false, v);
}

static int vk_neg_number(struct parser *ps, const char *s, unsigned col, struct val *v)
{
	return number_value(ps, s + 1, col, true, v);
}

static int const_value(struct parser *ps, const char *name, unsigned col, bool negate,
		       struct val *v)
{
	const struct hcf_const *k = hcf_spec_const(ps->abi, name);
	if (!k)
		return perr(ps, col, "unknown constant '%s'", name);
	bool neg = k->value < 0;
	v->mag = neg ? 0 - (uint64_t)k->value : (uint64_t)k->value;
	v->neg = (neg != negate) && v->mag != 0;
	return 0;
}

static int vk_const(struct parser *ps, const char *s, unsigned col, struct val *v)
{
	return const_value(ps, s, col, false, v);
}

static int vk_neg_const(struct parser *ps, const char *s, unsigned col, struct val *v)
{
	return const_value(ps, s + 1, col, true, v);
}

static const struct name_ent *find_name(const struct parser *ps, const char *name)
{
	for (size_t i = 0; i < ps->nnames; i++)
		if (!strcmp(ps->names[i].name, name))
			return &ps->names[i];
	return NULL;
}

/* &NAME, &NAME+OFF, &NAME-OFF */
static int vk_ref(struct parser *ps, const char *s, unsigned col, struct val *v)
{
	const char *p = s + 1;
	const char *end = p;
	while (pt_is_ident_char(*end))
		end++;
	if (end == p || !pt_is_ident_start(*p))
		return perr(ps, col, "expected a buffer name after '&' in '%s'", s);
	char name[MAX_BUF_NAME + 1];
	size_t nlen = (size_t)(end - p);
	if (nlen > MAX_BUF_NAME)
		return perr(ps, col + 1, "unknown buffer (names are at most %u characters)",
			    MAX_BUF_NAME);
	memcpy(name, p, nlen);
	name[nlen] = '\0';
	const struct name_ent *ne = find_name(ps, name);
	if (!ne)
		return perr(ps, col + 1, "unknown buffer '%s' (buffers are declared before use)",
			    name);
	if (ne->idx < 0) {
		ps->poisoned = true; /* its declaration already reported the error */
		return -1;
	}
	int64_t off = 0;
	if (*end == '+' || *end == '-') {
		uint64_t mag;
		unsigned ocol = col + (unsigned)(end - s) + 1;
		int rc = parse_uint(end + 1, &mag);
		if (rc < 0)
			return perr(ps, ocol, "bad offset '%s'", end + 1);
		if (*end == '+' ? mag > INT32_MAX : mag > (uint64_t)INT32_MAX + 1)
			return perr(ps, ocol, "offset %c%s out of range (32-bit signed)", *end,
				    end + 1);
		off = *end == '+' ? (int64_t)mag : -(int64_t)mag;
	} else if (*end) {
		return perr(ps, col + (unsigned)(end - s), "unexpected '%c' after buffer name",
			    *end);
	}
	v->is_ref = true;
	v->buf = ne->idx;
	v->off = (int32_t)off;
	return 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool vm_ref(const char *s) { return s[0] == '&'; }
static bool vm_neg_number(const char *s) { return s[0] == '-' && is_digit(s[1]); }
static bool vm_neg_const(const char *s) { return s[0] == '-' && pt_is_ident_start(s[1]); }
static bool vm_number(const char *s) { return is_digit(s[0]); }
static bool vm_const(const char *s) { return pt_is_ident_start(s[0]); }

/* Value kinds, told apart by how they start. */
static const struct value_kind {
	bool (*match)(const char *s);
	int (*parse)(struct parser *ps, const char *s, unsigned col, struct val *v);
	bool is_ref;
} value_kinds[] = {
	{ vm_ref, vk_ref, true },
	{ vm_neg_number, vk_neg_number, false },
	{ vm_neg_const, vk_neg_const, false },
	{ vm_number, vk_number, false },
	{ vm_const, vk_const, false },
};

static int parse_value(struct parser *ps, const char *s, unsigned col, bool allow_ref,
		       struct val *v)
{
	memset(v, 0, sizeof(*v));
	v->buf = -1;
	for (size_t i = 0; i < sizeof(value_kinds) / sizeof(value_kinds[0]); i++) {
		if (!value_kinds[i].match(s))
			continue;
		if (value_kinds[i].is_ref && !allow_ref)
			return perr(ps, col, "a buffer reference is not allowed here");
		return value_kinds[i].parse(ps, s, col, v);
	}
	if (!*s)
		return perr(ps, col, "missing value");
	return perr(ps, col, "bad value '%s' (expected a number, a constant or &buffer)", s);
}

/* Fit a number into width bits: unsigned up to 2^w-1, negative down to
 * -2^(w-1) as two's complement; the result is zero-extended. */
static int fit_width(struct parser *ps, const struct val *v, const char *text, unsigned col,
		     unsigned width, const char *what, uint64_t *out)
{
	uint64_t mask = hcf_x86_width_mask(width);
	if (!v->neg) {
		if (v->mag > mask)
			return perr(ps, col, "value %s does not fit in %u bits (%s)", text, width,
				    what);
		*out = v->mag;
		return 0;
	}
	uint64_t lim = 1ull << (width - 1);
	if (v->mag > lim)
		return perr(ps, col, "value %s does not fit in %u bits (%s)", text, width, what);
	*out = (0 - v->mag) & mask;
	return 0;
}

/* ---- line: abi ---- */

static int line_abi(struct parser *ps)
{
	if (ps->ntoks != 2 || ps->toks[1].val)
		return perr(ps, ps->toks[0].col, "expected 'abi NAME'");
	const char *want = ps->abi->name ? ps->abi->name : "";
	if (ps->saw_abi)
		return perr(ps, ps->toks[0].col, "abi given twice");
	ps->saw_abi = true;
	if (strcmp(ps->toks[1].key, want))
		return perr(ps, ps->toks[1].col, "program is for ABI '%s' but the spec is '%s'",
			    ps->toks[1].key, want);
	return 0;
}

/* ---- lines: buf, reloc ---- */

static int add_ref_reloc(struct parser *ps, int bi, uint64_t at, const struct tok *t)
{
	struct hcf_buf *b = &ps->p->bufs[bi];
	struct val v;
	if (parse_value(ps, t->val, t->vcol, true, &v))
		return -1;
	if (!v.is_ref)
		return perr(ps, t->vcol, "'%s' is not a buffer reference (&buf[+off])", t->val);
	if (at > b->size || b->size - at < 8)
		return perr(ps, t->col, "a pointer at byte %llu does not fit in the %u-byte buffer",
			    (unsigned long long)at, b->size);
	if (b->nrelocs >= HCF_BUF_MAX_RELOCS)
		return perr(ps, t->col, "more than %u pointers in one buffer", HCF_BUF_MAX_RELOCS);
	if (hcf_prog_add_reloc(ps->p, bi, (uint32_t)at, v.buf, v.off))
		return perr(ps, t->col, "cannot add pointer");
	return 0;
}

/* A pointer or field item of a buf or reloc line. seen: one flag per field. */
static int buf_item(struct parser *ps, int bi, const struct tok *t, bool *seen, bool refs_only)
{
	struct hcf_buf *b = &ps->p->bufs[bi];
	if (!t->val)
		return perr(ps, t->col, "expected KEY=VALUE, got '%s'", t->key);
	if (t->key[0] == '@') {
		uint64_t at;
		if (parse_uint(t->key + 1, &at))
			return perr(ps, t->col, "bad byte offset '%s' (expected @N=&buf)", t->key);
		return add_ref_reloc(ps, bi, at, t);
	}
	const struct hcf_struct *st =
		b->struct_idx >= 0 ? &ps->abi->structs[b->struct_idx] : NULL;
	const struct hcf_field *fd = pt_find_field(st, t->key);
	if (!fd) {
		if (st)
			return perr(ps, t->col, "'%s' is neither a buffer key nor a field of %s",
				    t->key, st->name);
		return perr(ps, t->col, "unknown buffer key '%s' (a raw buffer has no fields)",
			    t->key);
	}
	size_t fi = (size_t)(fd - st->fields);
	if (seen[fi])
		return perr(ps, t->col, "field %s set twice", fd->name);
	seen[fi] = true;
	if ((uint64_t)fd->offset + fd->size > b->size)
		return perr(ps, t->col, "field %s (bytes %u..%llu) lies beyond the %u-byte buffer",
			    fd->name, fd->offset, (unsigned long long)fd->offset + fd->size,
			    b->size);
	if (t->val[0] == '&') {
		if (fd->size != 8)
			return perr(ps, t->col, "field %s is %u bytes; a pointer needs 8", fd->name,
				    fd->size);
		return add_ref_reloc(ps, bi, fd->offset, t);
	}
	if (refs_only)
		return perr(ps, t->vcol, "reloc lines take pointers only; set bytes on the buf line");
	if (fd->size == 0 || fd->size > 8)
		return perr(ps, t->col, "field %s is %u bytes; set it with hex=", fd->name,
			    fd->size);
	struct val v;
	uint64_t x;
	if (parse_value(ps, t->val, t->vcol, false, &v) ||
	    fit_width(ps, &v, t->val, t->vcol, fd->size * 8, fd->name, &x))
		return -1;
	for (uint32_t i = 0; i < fd->size; i++)
		b->init[fd->offset + i] = (uint8_t)(x >> (8 * i));
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int register_name(struct parser *ps, const char *name, int idx)
{
	if (ps->nnames >= MAX_NAMES)
		return idx < 0 ? 0 : perr(ps, 0, "too many buffer names");
	ps->names[ps->nnames++] = (struct name_ent){ hcf_xstrdup(name), idx, ps->line };
	return 0;
}

static int buf_line_body(struct parser *ps, const struct tok *nt)
{
	const struct hcf_abi *abi = ps->abi;
	const struct tok *kt[BK_COUNT] = { 0 };

	/* phase 1: shape */
	for (size_t i = 2; i < ps->ntoks; i++) {
		const struct tok *t = &ps->toks[i];
		int k = pt_buf_key(t->key);
		if (k < 0)
			continue;
		if (!t->val)
			return perr(ps, t->col, "%s needs a value (%s=...)", t->key, t->key);
		if (kt[k])
			return perr(ps, t->col, "%s given twice", t->key);
		kt[k] = t;
	}
	int sidx = -1;
	if (kt[BK_STRUCT]) {
		const struct hcf_struct *st = hcf_spec_struct(abi, kt[BK_STRUCT]->val);
		if (!st)
			return perr(ps, kt[BK_STRUCT]->vcol, "unknown struct '%s'", kt[BK_STRUCT]->val);
		sidx = (int)(st - abi->structs);
	}
	uint64_t size;
	if (kt[BK_SIZE]) {
		const struct tok *t = kt[BK_SIZE];
		if (parse_uint(t->val, &size))
			return perr(ps, t->vcol, "bad size '%s'", t->val);
		if (size == 0 || size > HCF_BUF_MAX)
			return perr(ps, t->vcol, "size %s out of range (1..%u)", t->val, HCF_BUF_MAX);
	} else if (sidx >= 0) {
		size = abi->structs[sidx].size;
		if (size == 0 || size > HCF_BUF_MAX)
			return perr(ps, kt[BK_STRUCT]->col, "struct %s is %llu bytes; give size=",
				    abi->structs[sidx].name, (unsigned long long)size);
	} else {
		return perr(ps, nt->col, "buffer %s needs size= or struct=", nt->key);
	}
	enum hcf_dir dir = HCF_DIR_IN;
	if (kt[BK_DIR]) {
		size_t d;
		for (d = 0; d < NDIRS && strcmp(dir_names[d].name, kt[BK_DIR]->val); d++)
			;
		if (d == NDIRS)
			return perr(ps, kt[BK_DIR]->vcol, "bad dir '%s' (in, out or inout)",
				    kt[BK_DIR]->val);
		dir = dir_names[d].dir;
	}
	uint64_t fill = 0;
	if (kt[BK_FILL]) {
		struct val v;
		if (parse_value(ps, kt[BK_FILL]->val, kt[BK_FILL]->vcol, false, &v) ||
		    fit_width(ps, &v, kt[BK_FILL]->val, kt[BK_FILL]->vcol, 8, "fill byte", &fill))
			return -1;
	}
	if (ps->p->nbufs >= HCF_PROG_MAX_BUFS)
		return perr(ps, nt->col, "more than %u buffers", HCF_PROG_MAX_BUFS);
	int bi = hcf_prog_add_buf(ps->p, (uint32_t)size, sidx, dir, NULL);
	if (bi < 0)
		return perr(ps, nt->col, "cannot add buffer");
	if (register_name(ps, nt->key, bi))
		return -1;
	struct hcf_buf *b = &ps->p->bufs[bi];
	memset(b->init, (int)fill, b->size);

	/* phase 2: bytes */
	if (kt[BK_HEX]) {
		const struct tok *t = kt[BK_HEX];
		size_t n = strlen(t->val);
		if (n % 2)
			return perr(ps, t->vcol, "hex= needs an even number of digits");
		if (n / 2 > b->size)
			return perr(ps, t->vcol, "hex= has %zu bytes, the buffer %u", n / 2, b->size);
		for (size_t i = 0; i < n; i += 2) {
			int hi = hexval(t->val[i]), lo = hexval(t->val[i + 1]);
			if (hi < 0 || lo < 0)
				return perr(ps, t->vcol + (unsigned)i + (hi < 0 ? 0 : 1),
					    "bad hex digit");
			b->init[i / 2] = (uint8_t)(hi << 4 | lo);
		}
	}

	/* phase 3: fields and pointers in the order written */
	size_t nf = sidx >= 0 ? abi->structs[sidx].nfields : 0;
	bool *seen = hcf_xcalloc(nf ? nf : 1, sizeof(bool));
	int rc = 0;
	for (size_t i = 2; i < ps->ntoks && !rc; i++) {
		if (pt_buf_key(ps->toks[i].key) >= 0)
			continue;
		rc = buf_item(ps, bi, &ps->toks[i], seen, false);
	}
	free(seen);
	return rc;
}

static int line_buf(struct parser *ps)
{
	if (ps->ntoks < 2 || ps->toks[1].val)
		return perr(ps, ps->ntoks < 2 ? ps->toks[0].col : ps->toks[1].col,
			    "expected 'buf NAME key=value...'");
	const struct tok *nt = &ps->toks[1];
	if (!pt_is_ident(nt->key) || strlen(nt->key) > MAX_BUF_NAME)
		return perr(ps, nt->col, "bad buffer name '%s' (up to %u letters, digits, '_')",
			    nt->key, MAX_BUF_NAME);
	const struct name_ent *old = find_name(ps, nt->key);
	if (old)
		return perr(ps, nt->col, "buffer '%s' already declared on line %u", nt->key,
			    old->line);
	size_t nn = ps->nnames;
	int rc = buf_line_body(ps, nt);
	if (rc) {
		/* keep the name, marked failed, so that its uses do not cascade */
		if (ps->nnames > nn)
			ps->names[nn].idx = -1;
		else
			register_name(ps, nt->key, -1);
	}
	return rc;
}

static int line_reloc(struct parser *ps)
{
	if (ps->ntoks < 3 || ps->toks[1].val)
		return perr(ps, ps->ntoks < 2 ? ps->toks[0].col : ps->toks[1].col,
			    "expected 'reloc BUF field=&buf...' or 'reloc BUF @N=&buf...'");
	const struct name_ent *ne = find_name(ps, ps->toks[1].key);
	if (!ne)
		return perr(ps, ps->toks[1].col, "unknown buffer '%s'", ps->toks[1].key);
	if (ne->idx < 0) {
		ps->poisoned = true;
		return -1;
	}
	const struct hcf_buf *b = &ps->p->bufs[ne->idx];
	size_t nf = b->struct_idx >= 0 ? ps->abi->structs[b->struct_idx].nfields : 0;
	bool *seen = hcf_xcalloc(nf ? nf : 1, sizeof(bool));
	int rc = 0;
	for (size_t i = 2; i < ps->ntoks && !rc; i++)
		rc = buf_item(ps, ne->idx, &ps->toks[i], seen, true);
	free(seen);
	return rc;
}

/* ---- line: call ---- */

static int parse_rflags(struct parser *ps, const struct tok *t, uint64_t *out)
{
	uint64_t v = 0;
	char *s = t->val;
	unsigned col = t->vcol;
	for (;;) {
		char *bar = strchr(s, '|');
		if (bar)
			*bar = '\0';
		int f = pt_loadable_flag(s);
		if (f >= 0) {
			v |= 1ull << f;
		} else {
			uint64_t x;
			if (!*s)
				return perr(ps, col, "empty flag in rflags=");
			if (parse_uint(s, &x))
				return perr(ps, col, "bad flag '%s' (CF PF AF ZF SF OF or a number)",
					    s);
			v |= x;
		}
		if (!bar)
			break;
		col += (unsigned)(bar - s) + 1;
		s = bar + 1;
	}
	*out = v;
	return 0;
}

/* The head of a call line: an op name, nr=N[.S], or nothing (raw registers). */
struct head {
	int op;                  /* resolved op or -1 */
	uint64_t nr;             /* undeclared number */
	bool raw;                /* no head: no implied register */
	bool has_s;
	uint64_t s;
	size_t next;             /* first token after the head */
};

static int parse_nr_head(struct parser *ps, const struct tok *t, struct head *h)
{
	const struct hcf_abi *abi = ps->abi;
	char *dot = strchr(t->val, '.');
	if (dot)
		*dot = '\0';
	struct val v;
	if (parse_value(ps, t->val, t->vcol, false, &v) ||
	    fit_width(ps, &v, t->val, t->vcol, pt_nr_width(abi), "call number", &h->nr))
		return -1;
	if (!hcf_xport_addressed(&abi->transport))
		h->nr &= ~abi->nr_or_mask; /* nr= takes the number with or without its mask */
	if (dot) {
		unsigned scol = t->vcol + (unsigned)(dot - t->val) + 1;
		if (abi->subop_reg >= HCF_NGPR)
			return perr(ps, scol, "ABI %s has no sub-operation register",
				    abi->name ? abi->name : "?");
		if (parse_value(ps, dot + 1, scol, false, &v) ||
		    fit_width(ps, &v, dot + 1, scol, pt_subop_width(abi), "sub-operation", &h->s))
			return -1;
		h->has_s = true;
	}
	h->op = pt_resolve_nr(abi, h->nr, h->has_s, h->s);
	if (h->op == -2) {
		const struct hcf_call *call = pt_find_call(abi, h->nr);
		if (h->has_s)
			return perr(ps, t->vcol, "call %s (0x%llx) has no sub-operations", call->name,
				    (unsigned long long)h->nr);
		return perr(ps, t->vcol, "call %s (0x%llx) has sub-operations: write nr=0x%llx.SUB "
			    "or an op name", call->name, (unsigned long long)h->nr,
			    (unsigned long long)h->nr);
	}
	return 0;
}

static int parse_head(struct parser *ps, struct head *h)
{
	memset(h, 0, sizeof(*h));
	h->op = -1;
	h->next = 1;
	if (ps->ntoks < 2) {
		h->raw = true;
		return 0;
	}
	const struct tok *t = &ps->toks[1];
	int kw = pt_call_keyword(t->key);
	if (!t->val && kw < 0) {
		const struct hcf_op *op = hcf_spec_op_by_name(ps->abi, t->key);
		if (!op)
			return perr(ps, t->col, "unknown op '%s'", t->key);
		h->op = (int)(op - ps->abi->ops);
		h->next = 2;
		return 0;
	}
	if (kw >= 0 && call_keywords[kw].kw == KW_NR && t->val) {
		h->next = 2;
		return parse_nr_head(ps, t, h);
	}
	h->raw = true;
	return 0;
}

static int line_call(struct parser *ps)
{
	const struct hcf_abi *abi = ps->abi;
	struct head h;
	if (parse_head(ps, &h))
		return -1;
	if (ps->p->ncalls >= HCF_PROG_MAX_CALLS)
		return perr(ps, ps->toks[0].col, "more than %u calls", HCF_PROG_MAX_CALLS);
	struct hcf_pcall *c = hcf_prog_add_call(ps->p, h.op, h.nr);
	if (!c)
		return perr(ps, ps->toks[0].col, "cannot add call");
	size_t idx = ps->p->ncalls - 1;
	const struct hcf_op *op = h.op >= 0 ? &abi->ops[h.op] : NULL;
	unsigned nreg = hcf_prog_nr_reg(abi);
	if (h.raw) {
		/* nothing implied: every register its sentinel, the magic ones too */
		c->set = 0;
		for (unsigned r = 0; r < HCF_NGPR; r++)
			c->gpr[r] = hcf_sentinel(r, idx);
	} else if (h.has_s && !op) {
		hcf_pcall_set(c, abi->subop_reg, h.s);
	}
	hcf_regmask_t implied = c->set;
	uint64_t implied_val[HCF_NGPR];
	memcpy(implied_val, c->gpr, sizeof(implied_val));

	bool override = false;
	for (size_t i = h.next; i < ps->ntoks; i++)
		if (!ps->toks[i].val && !strcmp(ps->toks[i].key, "override"))
			override = true;

	hcf_regmask_t explicit_set = 0;
	unsigned explicit_col[HCF_NGPR] = { 0 };
	bool seen_kw[NCALLKW] = { false };
	for (size_t i = h.next; i < ps->ntoks; i++) {
		const struct tok *t = &ps->toks[i];
		unsigned reg = 0, width = 64;
		const struct hcf_arg *arg = NULL;
		enum key_kind kk = pt_resolve_key(op, t->key, &reg, &width, &arg);
		if (kk == KEY_KEYWORD) {
			int kw = pt_call_keyword(t->key);
			if (call_keywords[kw].takes_value != (t->val != NULL))
				return perr(ps, t->col, call_keywords[kw].takes_value
						    ? "%s needs a value" : "%s takes no value", t->key);
			if (seen_kw[kw])
				return perr(ps, t->col, "%s given twice", t->key);
			seen_kw[kw] = true;
			switch (call_keywords[kw].kw) {
			case KW_NR:
				return perr(ps, t->col, "nr= must come right after 'call'");
			case KW_RFLAGS:
				if (parse_rflags(ps, t, &c->rflags))
					return -1;
				break;
			case KW_VEC:
				c->capture_vec = true;
				break;
			case KW_OVERRIDE:
			case KW_NONE:
				break;
			}
			continue;
		}
		if (kk == KEY_UNKNOWN) {
			if (!t->val)
				return perr(ps, t->col, "unexpected '%s' (expected REG=VALUE, "
					    "ARG=VALUE, rflags=, vec or override)", t->key);
			if (op)
				return perr(ps, t->col, "unknown register or argument '%s' of %s",
					    t->key, op->name);
			return perr(ps, t->col, "unknown register '%s'", t->key);
		}
		if (!t->val)
			return perr(ps, t->col, "%s needs a value (%s=...)", t->key, t->key);
		if (explicit_set & HCF_REGBIT(reg))
			return perr(ps, t->col, "%s set twice in one call (first at column %u)",
				    hcf_reg_name(reg), explicit_col[reg]);
		explicit_set |= HCF_REGBIT(reg);
		explicit_col[reg] = t->col;
		struct val v;
		if (parse_value(ps, t->val, t->vcol, true, &v))
			return -1;
		uint64_t x = 0;
		if (!v.is_ref) {
			char what[96];
			snprintf(what, sizeof(what), "%s %.64s", kk == KEY_ARG ? "argument" : "register",
				 t->key);
			if (fit_width(ps, &v, t->val, t->vcol, width, what, &x))
				return -1;
		}
		if ((implied & HCF_REGBIT(reg)) && !override &&
		    (v.is_ref || x != implied_val[reg])) {
			const char *role = reg == nreg ? "call number" :
					   reg == abi->subop_reg ? "sub-operation" : "ABI's magic value";
			return perr(ps, t->col, "%s holds the %s (0x%llx) here; another value needs "
				    "'override'", hcf_reg_name(reg), role,
				    (unsigned long long)implied_val[reg]);
		}
		if (v.is_ref)
			hcf_pcall_set_ref(c, reg, v.buf, v.off);
		else
			hcf_pcall_set(c, reg, x);
	}
	return 0;
}

/* ---- driver ---- */

static const struct {
	const char *name;
	int (*fn)(struct parser *ps);
} line_kinds[] = {
	{ "abi", line_abi },
	{ "buf", line_buf },
	{ "reloc", line_reloc },
	{ "call", line_call },
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Check the bytes of one line (without its newline), cut the comment and
 * split it into tokens. 0 (maybe no tokens), -1 on error. */
static int tokenize(struct parser *ps, const char *line, size_t len)
{
	ps->ntoks = 0;
	const char *nul = memchr(line, '\0', len);
	if (nul)
		return perr(ps, (unsigned)(nul - line) + 1, "NUL byte in program text");
	const char *hash = memchr(line, '#', len);
	size_t n = hash ? (size_t)(hash - line) : len;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)line[i];
		if ((ch < 0x20 && !is_space((char)ch)) || ch >= 0x7f)
			return perr(ps, (unsigned)i + 1, "unexpected byte 0x%02x", ch);
	}
	memcpy(ps->linebuf, line, n);
	ps->linebuf[n] = '\0';
	char *s = ps->linebuf;
	size_t i = 0;
	while (i < n) {
		while (i < n && is_space(s[i]))
			s[i++] = '\0';
		if (i >= n)
			break;
		if (ps->ntoks >= MAX_TOKENS)
			return perr(ps, (unsigned)i + 1, "more than %u items on one line", MAX_TOKENS);
		struct tok *t = &ps->toks[ps->ntoks++];
		t->key = &s[i];
		t->val = NULL;
		t->col = (unsigned)i + 1;
		t->vcol = 0;
		while (i < n && !is_space(s[i])) {
			if (s[i] == '=' && !t->val) {
				s[i] = '\0';
				t->val = &s[i + 1];
				t->vcol = (unsigned)i + 2;
			}
			i++;
		}
	}
	return 0;
}

static void parse_line(struct parser *ps, const char *line, size_t len)
{
	if (len > HCF_PROG_TEXT_MAX_LINE) {
		perr(ps, HCF_PROG_TEXT_MAX_LINE + 1, "line longer than %u bytes",
		     HCF_PROG_TEXT_MAX_LINE);
		return;
	}
	if (tokenize(ps, line, len) || ps->ntoks == 0)
		return;
	const struct tok *t = &ps->toks[0];
	for (size_t i = 0; i < sizeof(line_kinds) / sizeof(line_kinds[0]); i++)
		if (!t->val && !strcmp(line_kinds[i].name, t->key)) {
			line_kinds[i].fn(ps);
			return;
		}
	perr(ps, t->col, "unknown line '%s' (expected abi, buf, reloc or call)", t->key);
}

int hcf_prog_parse(struct hcf_prog *p, const struct hcf_abi *abi, const char *name,
		   const char *text, size_t len, struct hcf_diags *diags)
{
	hcf_prog_init(p, abi);
	struct parser *ps = hcf_xcalloc(1, sizeof(*ps));
	ps->abi = abi;
	ps->p = p;
	ps->file = name ? name : "<program>";
	ps->diags = diags;
	if (len > HCF_PROG_TEXT_MAX) {
		perr(ps, 0, "program text larger than %u bytes", HCF_PROG_TEXT_MAX);
	} else {
		ps->linebuf = hcf_xmalloc(HCF_PROG_TEXT_MAX_LINE + 1);
		size_t pos = 0;
		while (pos < len && ps->errors < HCF_DIAG_MAX) {
			const char *nl = memchr(text + pos, '\n', len - pos);
			size_t end = nl ? (size_t)(nl - text) : len;
			ps->line++;
			parse_line(ps, text + pos, end - pos);
			pos = end + 1;
		}
	}
	int rc = ps->errors || ps->poisoned ? -1 : 0;
	for (size_t i = 0; i < ps->nnames; i++)
		free(ps->names[i].name);
	free(ps->linebuf);
	free(ps);
	if (rc) {
		hcf_prog_free(p);
		hcf_prog_init(p, abi);
	}
	return rc;
}

int hcf_prog_parse_file(struct hcf_prog *p, const struct hcf_abi *abi, const char *path,
			struct hcf_diags *diags)
{
	size_t len;
	char *text = hcf_read_file(path, HCF_PROG_TEXT_MAX, &len);
	if (!text) {
		hcf_prog_init(p, abi);
		hcf_diag_addf(diags, path, 0, 0, "%s", errno == EFBIG
			      ? "program text larger than 64 MiB" : strerror(errno));
		return -1;
	}
	int rc = hcf_prog_parse(p, abi, path, text, len, diags);
	free(text);
	return rc;
}


int hcf_prog_convert(const struct hcf_prog *in, const struct hcf_abi *abi, struct hcf_prog *out)
{
	hcf_prog_init(out, abi);
	char *text = hcf_prog_to_text(in);
	if (!text)
		return -1;
	struct hcf_diags d;
	hcf_diags_init(&d);
	int rc = hcf_prog_parse(out, abi, "program", text, strlen(text), &d);
	if (rc != 0)
		hcf_diags_print(&d, stderr);
	free(text);
	return rc;
}
