/*
 * spec_load.c: the native spec language ("hcfuzz_spec: 1") and the entry
 * points that pick a dialect, load directories and guarantee that a spec with
 * any error never half-loads.
 *
 * The walk is table-driven: every mapping is matched against a key table
 * (hcf_spec_map_keys), every enumeration (transports, error conventions,
 * exceptions, RFLAGS bits) is a table. Errors are reported at the offending
 * node and the walk goes on where it can, so one run shows most problems of
 * a file; the ABI is freed at the end if any was found. docs/spec-format.md
 * describes the language for users; keep the two in step.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spec/spec_parse.h"
#include "spec/transport.h"
#include "util/fileio.h"
#include "util/x86.h"
#include "util/xalloc.h"

#define S HCF_YT_SCALAR
#define Q HCF_YT_SEQ
#define M HCF_YT_MAP

/* Spec files are small; the cap keeps a wrong path (a disk image) from
 * being slurped whole. */
#define HCF_SPEC_MAX_FILE (16u << 20)

/* ---- small tables ------------------------------------------------------ */

static const struct {
	const char *name;
	enum hcf_dir dir;
} dir_names[] = {
	{ "in", HCF_DIR_IN }, { "out", HCF_DIR_OUT }, { "inout", HCF_DIR_INOUT },
};

static const struct {
	const char *name;
	enum hcf_nondet nd;
} nondet_names[] = {
	{ "any", HCF_NONDET_ANY }, { "monotonic", HCF_NONDET_MONOTONIC },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define CF_BIT 0

/* ---- loader state ------------------------------------------------------ */

struct ld {
	struct hcf_spec_ctx *c;
	struct hcf_abi *abi;
	uint32_t abi_exceptions;   /* ABI-wide allowed exceptions, OR-ed into every op */
};

/* Per call or sub-operation: the keys that a sub-operation inherits from its
 * call unless it sets them itself. has_* says the key was given. */
struct props {
	bool has_clob, has_rets, has_errs, has_conv, has_exc, has_rflags, has_destr, has_ret;
	hcf_regmask_t clob;
	struct hcf_vset rets;
	int64_t *errs;
	size_t nerrs;
	enum hcf_err_conv conv;
	uint32_t exc;
	uint64_t rflags;
	bool destr;
	const char *why;
	uint8_t ret_reg, ret_width;
	const char *doc;
	const struct hcf_ynode *conv_node, *rets_node, *errs_node;
	const struct hcf_ynode *destr_node; /* destructive's mapping form (the loss model) */
};

static void props_free(struct props *p)
{
	free(p->rets.r);
	free(p->errs);
	memset(p, 0, sizeof(*p));
}

/* ---- scalar kinds ------------------------------------------------------ */

static bool is_ident(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* Call and sub-operation names: an op is named "call.subop", so neither
 * may contain a dot; '-' is allowed for names like "get-time". */
static bool is_opname(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static bool looks_numeric(const char *s)
{
	if (*s == '-')
		s++;
	return *s >= '0' && *s <= '9';
}

/* A value: an integer, NAME or -NAME from the constants table. */
static bool parse_value(struct ld *L, const struct hcf_ynode *n, const char *what, int64_t *out)
{
	struct hcf_spec_ctx *c = L->c;
	if (n->kind != HCF_Y_SCALAR || !n->plain || n->len == 0) {
		hcf_spec_err(c, n, "%s: expected an integer or a constant name, not %s", what,
			     n->kind == HCF_Y_SCALAR && !n->plain ? "a quoted string"
								 : hcf_y_kind_name(n));
		return false;
	}
	if (looks_numeric(n->str))
		return hcf_y_value(c, n, what, out);
	bool neg = n->str[0] == '-';
	const char *name = n->str + neg;
	if (!is_ident(name)) {
		hcf_spec_err(c, n, "%s: '%.40s' is neither an integer nor a constant name", what,
			     n->str);
		return false;
	}
	const struct hcf_const *k = hcf_spec_const(L->abi, name);
	if (!k) {
		hcf_spec_err(c, n, "%s: unknown constant '%.60s'", what, name);
		return false;
	}
	if (neg && k->value == INT64_MIN) {
		hcf_spec_err(c, n, "%s: -%s overflows 64 bits", what, name);
		return false;
	}
	*out = neg ? -k->value : k->value;
	return true;
}

static void vset_add(struct hcf_vset *s, int64_t lo, int64_t hi)
{
	s->r = hcf_xreallocarray(s->r, s->n + 1, sizeof(*s->r));
	s->r[s->n].lo = lo;
	s->r[s->n].hi = hi;
	s->n++;
}

/* A list of values, {min, max} ranges and (when allow_any) the word any. */
static void parse_vset(struct ld *L, const struct hcf_ynode *seq, const char *what, bool allow_any,
		       struct hcf_vset *out)
{
	static const struct hcf_spec_key range_keys[] = {
		{ "min", S, true, 0 },
		{ "max", S, true, 0 },
	};
	struct hcf_spec_ctx *c = L->c;

	memset(out, 0, sizeof(*out));
	if (seq->kind != HCF_Y_SEQ && !hcf_y_is_null(seq)) {
		hcf_spec_err(c, seq, "%s must be a list, not %s", what, hcf_y_kind_name(seq));
		return;
	}
	for (size_t i = 0; i < hcf_y_nitems(seq); i++) {
		const struct hcf_ynode *it = seq->kids[i];
		int64_t lo, hi;
		if (it->kind == HCF_Y_MAP) {
			const struct hcf_ynode *v[2];
			if (!hcf_spec_map_keys(c, it, "range", range_keys, 2, 0, v))
				continue;
			if (!parse_value(L, v[0], "min", &lo) || !parse_value(L, v[1], "max", &hi))
				continue;
			if (lo > hi) {
				hcf_spec_err(c, it, "%s: range min %lld is above max %lld", what,
					     (long long)lo, (long long)hi);
				continue;
			}
			vset_add(out, lo, hi);
		} else if (it->kind == HCF_Y_SCALAR && it->plain && !strcmp(it->str, "any")) {
			if (!allow_any)
				hcf_spec_err(c, it, "%s: 'any' is not allowed here", what);
			else
				out->any = true;
		} else if (parse_value(L, it, what, &lo)) {
			vset_add(out, lo, lo);
		}
	}
}

/* A register name; rsp is refused because the agent needs its stack. */
static bool parse_reg(struct ld *L, const struct hcf_ynode *n, const char *what, unsigned *reg,
		      unsigned *width)
{
	struct hcf_spec_ctx *c = L->c;
	if (n->kind != HCF_Y_SCALAR || n->len == 0) {
		hcf_spec_err(c, n, "%s must be a register name, not %s", what, hcf_y_kind_name(n));
		return false;
	}
	unsigned w = 0, r = hcf_reg_parse(n->str, &w);
	if (r == HCF_REG_NONE) {
		hcf_spec_err(c, n, "%s: unknown register '%.40s'", what, n->str);
		return false;
	}
	if (r == HCF_RSP) {
		hcf_spec_err(c, n, "%s: %s cannot be used: the guest agent needs its stack", what,
			     n->str);
		return false;
	}
	*reg = r;
	*width = w;
	return true;
}

/* An explicit width: 8/16/32/64 and no wider than the register alias. */
static bool parse_width(struct ld *L, const struct hcf_ynode *n, unsigned alias_width,
			const char *regname, unsigned *width)
{
	uint64_t w;
	if (!hcf_y_uint(L->c, n, 64, "width", &w))
		return false;
	if (w != 8 && w != 16 && w != 32 && w != 64) {
		hcf_spec_err(L->c, n, "width %llu: must be 8, 16, 32 or 64", (unsigned long long)w);
		return false;
	}
	if (w > alias_width) {
		hcf_spec_err(L->c, n, "width %llu is wider than %s (%u bits)", (unsigned long long)w,
			     regname, alias_width);
		return false;
	}
	*width = (unsigned)w;
	return true;
}

/* A register reference: "rax" or {reg: rax, width: 32}; allow_none accepts
 * the word none (returns HCF_REG_NONE). */
static bool parse_regref(struct ld *L, const struct hcf_ynode *n, const char *what,
			 bool allow_none, unsigned *reg, unsigned *width)
{
	static const struct hcf_spec_key keys[] = {
		{ "reg", S, true, 0 },
		{ "width", S, false, 0 },
	};
	if (n->kind == HCF_Y_SCALAR) {
		if (allow_none && n->plain && !strcmp(n->str, "none")) {
			*reg = HCF_REG_NONE;
			*width = 0;
			return true;
		}
		return parse_reg(L, n, what, reg, width);
	}
	const struct hcf_ynode *v[2];
	if (!hcf_spec_map_keys(L->c, n, what, keys, 2, 0, v))
		return false;
	if (!parse_reg(L, v[0], what, reg, width))
		return false;
	if (v[1])
		return parse_width(L, v[1], *width, v[0]->str, width);
	return true;
}

static bool parse_regmask(struct ld *L, const struct hcf_ynode *seq, const char *what,
			  hcf_regmask_t *out)
{
	unsigned before = L->c->nerr;
	*out = 0;
	for (size_t i = 0; i < hcf_y_nitems(seq); i++) {
		unsigned r, w;
		if (parse_reg(L, seq->kids[i], what, &r, &w))
			*out |= HCF_REGBIT(r);
	}
	return L->c->nerr == before;
}

static bool parse_exceptions(struct ld *L, const struct hcf_ynode *seq, uint32_t *out)
{
	struct hcf_spec_ctx *c = L->c;
	unsigned before = c->nerr;
	*out = 0;
	for (size_t i = 0; i < hcf_y_nitems(seq); i++) {
		const struct hcf_ynode *it = seq->kids[i];
		if (it->kind != HCF_Y_SCALAR || it->len == 0) {
			hcf_spec_err(c, it, "exception must be a name (UD, #GP ...) or a vector "
					    "number, not %s", hcf_y_kind_name(it));
			continue;
		}
		if (looks_numeric(it->str)) {
			uint64_t v;
			if (hcf_y_uint(c, it, 31, "exception vector", &v))
				*out |= 1u << v;
			continue;
		}
		int v = hcf_x86_exc_parse(it->str);
		if (v < 0)
			hcf_spec_err(c, it, "unknown exception '%.40s' (known: DE DB NMI BP OF BR UD "
					    "NM DF TS NP SS GP PF MF AC MC XM VE CP, or 0..31)", it->str);
		else
			*out |= 1u << v;
	}
	return c->nerr == before;
}

static bool parse_rflags(struct ld *L, const struct hcf_ynode *seq, uint64_t *out)
{
	struct hcf_spec_ctx *c = L->c;
	unsigned before = c->nerr;
	*out = 0;
	for (size_t i = 0; i < hcf_y_nitems(seq); i++) {
		const struct hcf_ynode *it = seq->kids[i];
		int bit = it->kind == HCF_Y_SCALAR ? hcf_x86_rflags_parse(it->str) : -1;
		if (bit < 0)
			hcf_spec_err(c, it, "unknown RFLAGS bit '%.40s' (known: CF PF AF ZF SF TF IF DF "
					    "OF IOPL0 IOPL1 NT RF VM AC VIF VIP ID)",
				     it->kind == HCF_Y_SCALAR ? it->str : hcf_y_kind_name(it));
		else
			*out |= 1ull << bit;
	}
	return c->nerr == before;
}

/* The shared value parsers, for the other parts of the native language
 * (spec_contract.c). */
bool hcf_spec_value(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what,
		    int64_t *out)
{
	struct ld L = { .c = c, .abi = c->abi };
	return parse_value(&L, n, what, out);
}

void hcf_spec_vset(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what,
		   struct hcf_vset *out)
{
	struct ld L = { .c = c, .abi = c->abi };
	parse_vset(&L, n, what, false, out);
}

bool hcf_spec_exceptions(struct hcf_spec_ctx *c, const struct hcf_ynode *seq, uint32_t *out)
{
	struct ld L = { .c = c, .abi = c->abi };
	return parse_exceptions(&L, seq, out);
}

static bool parse_errconv(struct ld *L, const struct hcf_ynode *n, enum hcf_err_conv *out)
{
	if (n->kind == HCF_Y_SCALAR)
		for (unsigned k = 0; k < HCF_ERR_COUNT; k++)
			if (!strcmp(hcf_err_conv_name((enum hcf_err_conv)k), n->str)) {
				*out = (enum hcf_err_conv)k;
				return true;
			}
	hcf_spec_err(L->c, n, "unknown error convention '%.40s' (known: none, negative_errno, "
			      "carry, status_field)", n->kind == HCF_Y_SCALAR ? n->str : "");
	return false;
}

/* Allowed error codes: positive integers or constant names. */
static void parse_errors(struct ld *L, const struct hcf_ynode *seq, int64_t **out, size_t *nout)
{
	struct hcf_spec_ctx *c = L->c;
	*out = NULL;
	*nout = 0;
	for (size_t i = 0; i < hcf_y_nitems(seq); i++) {
		const struct hcf_ynode *it = seq->kids[i];
		int64_t v;
		if (it->kind == HCF_Y_SCALAR && it->str[0] == '-' && !looks_numeric(it->str)) {
			hcf_spec_err(c, it, "errors are listed as positive codes ('%s', not '%.40s')",
				     it->str + 1, it->str);
			continue;
		}
		if (!parse_value(L, it, "error code", &v))
			continue;
		if (v <= 0) {
			hcf_spec_err(c, it, "error code %lld: error codes are positive", (long long)v);
			continue;
		}
		*out = hcf_xreallocarray(*out, *nout + 1, sizeof(**out));
		(*out)[(*nout)++] = v;
	}
}

/* ---- ABI-wide sections ------------------------------------------------- */

static void parse_constants(struct ld *L, const struct hcf_ynode *map)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_abi *abi = L->abi;
	if (map->kind != HCF_Y_MAP)
		return; /* null: no constants */
	hcf_spec_check_dup_keys(c, map);
	size_t n = hcf_y_npairs(map);
	abi->consts = hcf_xcalloc(n ? n : 1, sizeof(*abi->consts));
	for (size_t i = 0; i < n; i++) {
		const struct hcf_ynode *k = hcf_y_key(map, i), *v = hcf_y_val(map, i);
		int64_t val;
		if (!is_ident(k->str) || !strcmp(k->str, "any") || !strcmp(k->str, "none")) {
			hcf_spec_err(c, k, "constant name '%.40s' must be an identifier "
					   "([A-Za-z_][A-Za-z0-9_]*, not any/none)", k->str);
			continue;
		}
		if (hcf_spec_const(abi, k->str))
			continue; /* repeated key: reported above */
		if (!hcf_y_value(c, v, "constant", &val))
			continue;
		abi->consts[abi->nconsts].name = hcf_xstrdup(k->str);
		abi->consts[abi->nconsts].value = val;
		abi->nconsts++;
	}
}

enum { FK_OFFSET, FK_SIZE, FK_DIR, FK_POINTER, FK_BUFFER, FK_STATUS, FK_DOC, FK_COUNT };
static const struct hcf_spec_key field_keys[FK_COUNT] = {
	[FK_OFFSET] = { "offset", S, true, 0 },
	[FK_SIZE] = { "size", S, true, 0 },
	[FK_DIR] = { "dir", S, false, 0 },
	[FK_POINTER] = { "pointer", S, false, 0 },
	[FK_BUFFER] = { "buffer", S, false, 0 },
	[FK_STATUS] = { "status", S, false, 0 },
	[FK_DOC] = { "doc", S, false, 0 },
};

static int cmp_field_offset(const void *a, const void *b)
{
	const struct hcf_field *const *x = a, *const *y = b;
	if ((*x)->offset != (*y)->offset)
		return (*x)->offset < (*y)->offset ? -1 : 1;
	return *x < *y ? -1 : *x > *y;
}

static void parse_fields(struct ld *L, struct hcf_struct *st, const struct hcf_ynode *map)
{
	struct hcf_spec_ctx *c = L->c;
	size_t n = hcf_y_npairs(map);
	const struct hcf_ynode **bufnode = hcf_xcalloc(n ? n : 1, sizeof(*bufnode));

	hcf_spec_check_dup_keys(c, map);
	st->fields = hcf_xcalloc(n ? n : 1, sizeof(*st->fields));
	for (size_t i = 0; i < n; i++) {
		const struct hcf_ynode *k = hcf_y_key(map, i), *v[FK_COUNT];
		hcf_spec_map_keys(c, hcf_y_val(map, i), "field", field_keys, FK_COUNT, 0, v);
		if (!v[FK_OFFSET] || !v[FK_SIZE])
			continue;
		uint64_t off, size;
		if (!hcf_y_uint(c, v[FK_OFFSET], UINT32_MAX, "offset", &off) ||
		    !hcf_y_uint(c, v[FK_SIZE], UINT32_MAX, "size", &size))
			continue;
		if (size == 0) {
			hcf_spec_err(c, v[FK_SIZE], "field '%.40s' has size 0", k->str);
			continue;
		}
		if (off + size > st->size) {
			hcf_spec_err(c, k, "field '%.40s' (offset %llu, size %llu) lies outside "
					   "struct '%.40s' (size %u)", k->str, (unsigned long long)off,
				     (unsigned long long)size, st->name, st->size);
			continue;
		}
		struct hcf_field *f = &st->fields[st->nfields];
		f->name = hcf_xstrdup(k->str);
		f->offset = (uint32_t)off;
		f->size = (uint32_t)size;
		f->dir = HCF_DIR_IN;
		f->points_to = -1;
		f->buffer_len_field = -1;
		f->pos = hcf_spec_pos(c, k);
		st->nfields++;
		if (v[FK_DIR]) {
			size_t d;
			for (d = 0; d < NELEM(dir_names); d++)
				if (!strcmp(dir_names[d].name, v[FK_DIR]->str))
					break;
			if (d == NELEM(dir_names))
				hcf_spec_err(c, v[FK_DIR], "dir '%.40s': must be in, out or inout",
					     v[FK_DIR]->str);
			else
				f->dir = dir_names[d].dir;
		}
		if (v[FK_POINTER] && v[FK_BUFFER])
			hcf_spec_err(c, v[FK_BUFFER], "field '%.40s': pointer and buffer exclude "
						      "each other", k->str);
		if ((v[FK_POINTER] || v[FK_BUFFER]) && size != 4 && size != 8)
			hcf_spec_err(c, v[FK_SIZE], "field '%.40s' holds a guest address: its size "
						    "must be 4 or 8", k->str);
		if (v[FK_POINTER]) {
			const struct hcf_struct *to = hcf_spec_struct(L->abi, v[FK_POINTER]->str);
			if (!to)
				hcf_spec_err(c, v[FK_POINTER], "unknown struct '%.60s'",
					     v[FK_POINTER]->str);
			else
				f->points_to = (int)(to - L->abi->structs);
		}
		bufnode[st->nfields - 1] = v[FK_BUFFER];
		if (v[FK_STATUS]) {
			bool b;
			if (hcf_y_bool(c, v[FK_STATUS], "status", &b))
				f->is_status = b;
			if (f->is_status && !(f->dir & HCF_DIR_OUT))
				hcf_spec_err(c, v[FK_STATUS], "status field '%.40s' must be out or "
							      "inout: the hypervisor writes it", k->str);
		}
	}
	/* buffer: names a sibling, so resolve once every field is known. */
	for (size_t i = 0; i < st->nfields; i++) {
		const struct hcf_ynode *b = bufnode[i];
		if (!b)
			continue;
		size_t j;
		for (j = 0; j < st->nfields; j++)
			if (j != i && !strcmp(st->fields[j].name, b->str))
				break;
		if (j == st->nfields)
			hcf_spec_err(c, b, "buffer length field '%.60s' is not another field of "
					   "struct '%.40s'", b->str, st->name);
		else
			st->fields[i].buffer_len_field = (int)j;
	}
	free(bufnode);

	/* Overlaps: sorted by offset, each field must start after the end of
	 * every earlier one; the running end catches a long field spanning several. */
	if (st->nfields > 1) {
		struct hcf_field **by = hcf_xcalloc(st->nfields, sizeof(*by));
		for (size_t i = 0; i < st->nfields; i++)
			by[i] = &st->fields[i];
		qsort(by, st->nfields, sizeof(*by), cmp_field_offset);
		const struct hcf_field *far = by[0];
		for (size_t i = 1; i < st->nfields; i++) {
			const struct hcf_field *f = by[i];
			if (f->offset < (uint64_t)far->offset + far->size) {
				/* Report at whichever of the two comes later in the file. */
				const struct hcf_field *late = f, *early = far;
				if (f < far) {
					late = far;
					early = f;
				}
				hcf_diag_add(c->diags, &late->pos,
					     "field '%.40s' (offset %u, size %u) overlaps field "
					     "'%.40s' (offset %u, size %u)", late->name, late->offset,
					     late->size, early->name, early->offset, early->size);
				c->nerr++;
			}
			if ((uint64_t)f->offset + f->size > (uint64_t)far->offset + far->size)
				far = f;
		}
		free(by);
	}
}

static void parse_structs(struct ld *L, const struct hcf_ynode *map)
{
	static const struct hcf_spec_key keys[] = {
		{ "size", S, true, 0 },
		{ "fields", M, false, 0 },
		{ "doc", S, false, 0 },
		{ "align_down", S, false, 0 },
	};
	struct hcf_spec_ctx *c = L->c;
	struct hcf_abi *abi = L->abi;
	if (map->kind != HCF_Y_MAP)
		return;
	if (!hcf_spec_check_dup_keys(c, map))
		return;
	/* Names first, so a pointer field may name any struct of the file. */
	size_t n = hcf_y_npairs(map);
	abi->structs = hcf_xcalloc(n ? n : 1, sizeof(*abi->structs));
	for (size_t i = 0; i < n; i++) {
		const struct hcf_ynode *k = hcf_y_key(map, i);
		struct hcf_struct *st = &abi->structs[abi->nstructs++];
		st->name = hcf_xstrdup(k->str);
		st->pos = hcf_spec_pos(c, k);
		if (!is_ident(k->str))
			hcf_spec_err(c, k, "struct name '%.40s' must be an identifier", k->str);
	}
	for (size_t i = 0; i < n; i++) {
		const struct hcf_ynode *v[4];
		struct hcf_struct *st = &abi->structs[i];
		st->align_down = 1;
		hcf_spec_map_keys(c, hcf_y_val(map, i), "struct", keys, 4, 0, v);
		uint64_t align;
		if (v[3] && hcf_y_uint(c, v[3], HCF_STRUCT_ALIGN_MAX, "struct align_down", &align)) {
			if (align == 0 || (align & (align - 1)))
				hcf_spec_err(c, v[3], "struct '%.40s': align_down %llu is not a power of two",
					     st->name, (unsigned long long)align);
			else
				st->align_down = (uint32_t)align;
		}
		if (!v[0])
			continue;
		uint64_t size;
		if (!hcf_y_uint(c, v[0], UINT32_MAX, "struct size", &size))
			continue;
		if (size == 0) {
			hcf_spec_err(c, v[0], "struct '%.40s' has size 0", st->name);
			continue;
		}
		st->size = (uint32_t)size;
		if (v[1])
			parse_fields(L, st, v[1]);
	}
}

static void parse_call_number(struct ld *L, const struct hcf_ynode *n, const struct hcf_ynode *top)
{
	static const struct hcf_spec_key keys[] = {
		{ "reg", S, true, 0 },
		{ "width", S, false, 0 },
		{ "or_mask", S, false, 0 },
	};
	struct hcf_spec_ctx *c = L->c;
	struct hcf_abi *abi = L->abi;
	const struct hcf_ynode *v[3];
	unsigned reg, width;

	if (hcf_xport_addressed(&abi->transport)) {
		/* The number is an offset from the port or MMIO base; the agent
		 * keeps the resulting port / address in rdx. */
		abi->nr_reg = HCF_RDX;
		abi->nr_width = abi->transport.kind == HCF_XPORT_PIO ? 16 : 64;
		if (!n)
			return;
		if (!hcf_spec_map_keys(c, n, "call_number", keys, 3, 0, v))
			return;
		if (parse_reg(L, v[0], "call_number.reg", &reg, &width) && reg != HCF_RDX)
			hcf_spec_err(c, v[0], "the %s transport carries the call number in rdx "
					      "(port or address = base + number), not %s",
				     hcf_xport_name(abi->transport.kind), v[0]->str);
		if (v[1] || v[2])
			hcf_spec_err(c, v[1] ? v[1] : v[2], "call_number of a %s transport takes "
							    "only reg: rdx",
				     hcf_xport_name(abi->transport.kind));
		return;
	}
	if (!n) {
		hcf_spec_err(c, top, "missing required key 'call_number' (needed unless the "
				     "transport is pio or mmio)");
		return;
	}
	if (!hcf_spec_map_keys(c, n, "call_number", keys, 3, 0, v))
		return;
	if (!parse_reg(L, v[0], "call_number.reg", &reg, &width))
		return;
	if (v[1] && !parse_width(L, v[1], width, v[0]->str, &width))
		return;
	abi->nr_reg = (uint8_t)reg;
	abi->nr_width = (uint8_t)width;
	uint64_t mask;
	if (v[2] && hcf_y_uint(c, v[2], UINT64_MAX, "or_mask", &mask)) {
		if (width < 64 && (mask >> width) != 0)
			hcf_spec_err(c, v[2], "or_mask %#llx does not fit the %u-bit number register",
				     (unsigned long long)mask, width);
		abi->nr_or_mask = mask;
	}
}

/* ---- calls and ops ----------------------------------------------------- */

enum { CK_NAME, CK_NR, CK_INDEX, CK_DOC, CK_INPUT, CK_OUTPUT, CK_INOUT, CK_RETURN, CK_CLOBBERS,
       CK_RETURNS, CK_ERRORS, CK_ERRCONV, CK_EXC, CK_RFLAGS, CK_DESTR, CK_SUBOPS, CK_COUNT };
#define IN_CALL 1u
#define IN_SUBOP 2u
static const struct hcf_spec_key call_keys[CK_COUNT] = {
	[CK_NAME] = { "name", S, true, 0 },
	[CK_NR] = { "nr", S, true, IN_CALL },
	[CK_INDEX] = { "index", S, true, IN_SUBOP },
	[CK_DOC] = { "doc", S, false, 0 },
	[CK_INPUT] = { "input", M, false, 0 },
	[CK_OUTPUT] = { "output", M, false, 0 },
	[CK_INOUT] = { "inout", M, false, 0 },
	[CK_RETURN] = { "return", S | M, false, 0 },
	[CK_CLOBBERS] = { "clobbers", Q, false, 0 },
	[CK_RETURNS] = { "returns", Q, false, 0 },
	[CK_ERRORS] = { "errors", Q, false, 0 },
	[CK_ERRCONV] = { "error_convention", S, false, 0 },
	[CK_EXC] = { "exceptions", Q, false, 0 },
	[CK_RFLAGS] = { "rflags", Q, false, 0 },
	[CK_DESTR] = { "destructive", S | M, false, 0 },
	[CK_SUBOPS] = { "subops", Q, false, IN_CALL },
};

static void parse_props(struct ld *L, const struct hcf_ynode **v, struct props *p)
{
	struct hcf_spec_ctx *c = L->c;
	unsigned r, w;

	memset(p, 0, sizeof(*p));
	if (v[CK_DOC] && v[CK_DOC]->len)
		p->doc = v[CK_DOC]->str;
	if (v[CK_RETURN] && parse_regref(L, v[CK_RETURN], "return", true, &r, &w)) {
		p->has_ret = true;
		p->ret_reg = (uint8_t)r;
		p->ret_width = (uint8_t)w;
	}
	if (v[CK_CLOBBERS])
		p->has_clob = parse_regmask(L, v[CK_CLOBBERS], "clobbers", &p->clob);
	if (v[CK_RETURNS]) {
		p->has_rets = true;
		p->rets_node = v[CK_RETURNS];
		parse_vset(L, v[CK_RETURNS], "returns", true, &p->rets);
	}
	if (v[CK_ERRORS]) {
		p->has_errs = true;
		p->errs_node = v[CK_ERRORS];
		parse_errors(L, v[CK_ERRORS], &p->errs, &p->nerrs);
	}
	if (v[CK_ERRCONV]) {
		p->conv_node = v[CK_ERRCONV];
		p->has_conv = parse_errconv(L, v[CK_ERRCONV], &p->conv);
	}
	if (v[CK_EXC])
		p->has_exc = parse_exceptions(L, v[CK_EXC], &p->exc);
	if (v[CK_RFLAGS])
		p->has_rflags = parse_rflags(L, v[CK_RFLAGS], &p->rflags);
	if (v[CK_DESTR]) {
		const struct hcf_ynode *d = v[CK_DESTR];
		p->has_destr = true;
		if (d->kind == HCF_Y_MAP) {
			/* read once the op's inputs are known: conditions name them */
			p->destr = true;
			p->destr_node = d;
		} else if (d->plain && (!strcmp(d->str, "true") || !strcmp(d->str, "false"))) {
			p->destr = !strcmp(d->str, "true");
		} else if (d->len == 0) {
			hcf_spec_err(c, d, "destructive must be true, false or a reason");
		} else {
			p->destr = true;
			p->why = d->str;
		}
	}
}

/* Builds one op's argument list and checks register use as it goes. */
struct opb {
	struct hcf_op *op;
	bool has_subop;
	int reg_arg[HCF_NGPR];   /* index in op->args of the argument on each register */
	const struct hcf_ynode *reg_node[HCF_NGPR];
	/* pointer_when and pointers nodes by argument index, resolved once
	 * every section is read (the inputs they name may come later) */
	const struct hcf_ynode *when_node[HCF_NGPR];
	const struct hcf_ynode *pointers_node[HCF_NGPR];
};

static const char *dir_section(enum hcf_dir d)
{
	return d == HCF_DIR_IN ? "input" : d == HCF_DIR_OUT ? "output" : "inout";
}

enum { AK_REG, AK_WIDTH, AK_POINTER, AK_POINTER_WHEN, AK_POINTERS, AK_HINTS, AK_NONDET, AK_DOC,
       AK_COUNT };
static const struct hcf_spec_key arg_keys[AK_COUNT] = {
	[AK_REG] = { "reg", S, true, 0 },
	[AK_WIDTH] = { "width", S, false, 0 },
	[AK_POINTER] = { "pointer", S, false, 0 },
	[AK_POINTER_WHEN] = { "pointer_when", M, false, 0 },
	[AK_POINTERS] = { "pointers", Q, false, 0 },
	[AK_HINTS] = { "hints", Q, false, 0 },
	[AK_NONDET] = { "nondeterministic", S, false, 0 },
	[AK_DOC] = { "doc", S, false, 0 },
};

/* Register rules shared by every argument, whatever its section. */
static bool check_arg_reg(struct ld *L, struct opb *b, const struct hcf_ynode *at, unsigned reg,
			  enum hcf_dir dir, const char *name)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_abi *abi = L->abi;
	const char *rn = hcf_reg_name(reg);

	if (b->reg_arg[reg] >= 0) {
		const struct hcf_arg *prev = &b->op->args[b->reg_arg[reg]];
		const struct hcf_ynode *pn = b->reg_node[reg];
		if (prev->dir == dir)
			hcf_spec_err(c, at, "register %s named twice in %s ('%.40s' at %u:%u and "
					    "'%.40s')", rn, dir_section(dir), prev->name, pn->line,
				     pn->col, name);
		else if ((prev->dir | dir) == HCF_DIR_INOUT && prev->dir != HCF_DIR_INOUT &&
			 dir != HCF_DIR_INOUT)
			hcf_spec_err(c, at, "%s is both input and output; declare it under inout "
					    "(other use '%.40s' at %u:%u)", rn, prev->name, pn->line,
				     pn->col);
		else
			hcf_spec_err(c, at, "register %s named twice (%s '%.40s' at %u:%u and %s "
					    "'%.40s')", rn, dir_section(prev->dir), prev->name,
				     pn->line, pn->col, dir_section(dir), name);
		return false;
	}
	if ((dir & HCF_DIR_IN) && reg == abi->nr_reg) {
		hcf_spec_err(c, at, "%s carries the call number; it cannot be an input", rn);
		return false;
	}
	if ((dir & HCF_DIR_IN) && b->has_subop && reg == abi->subop_reg) {
		hcf_spec_err(c, at, "%s carries the sub-operation index; it cannot be an input", rn);
		return false;
	}
	if ((dir & HCF_DIR_IN) && (abi->transport.clobbers & HCF_REGBIT(reg))) {
		hcf_spec_err(c, at, "%s cannot carry an input: the %s transport overwrites it (%s)",
			     rn, hcf_xport_name(abi->transport.kind),
			     hcf_xport_info(abi->transport.kind)->why);
		return false;
	}
	if (dir == HCF_DIR_IN && reg == b->op->ret_reg) {
		hcf_spec_err(c, at, "%s is both input and the return register; declare it under "
				    "inout", rn);
		return false;
	}
	return true;
}

static void parse_args(struct ld *L, struct opb *b, const struct hcf_ynode *map, enum hcf_dir dir)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_op *op = b->op;
	const char *section = dir_section(dir);

	if (map->kind != HCF_Y_MAP)
		return;
	hcf_spec_check_dup_keys(c, map);
	for (size_t i = 0; i < hcf_y_npairs(map); i++) {
		const struct hcf_ynode *k = hcf_y_key(map, i), *val = hcf_y_val(map, i);
		const struct hcf_ynode *v[AK_COUNT] = { 0 };
		unsigned reg, width;

		if (k->len == 0) {
			hcf_spec_err(c, k, "%s argument without a name", section);
			continue;
		}
		if (val->kind == HCF_Y_MAP) {
			if (!hcf_spec_map_keys(c, val, "argument", arg_keys, AK_COUNT, 0, v))
				continue;
			if (!parse_reg(L, v[AK_REG], "reg", &reg, &width))
				continue;
			if (v[AK_WIDTH] && !parse_width(L, v[AK_WIDTH], width, v[AK_REG]->str, &width))
				continue;
		} else if (val->kind == HCF_Y_SCALAR) {
			if (!parse_reg(L, val, section, &reg, &width))
				continue;
		} else {
			hcf_spec_err(c, val, "argument '%.40s' must be a register name or a mapping "
					     "{reg: ...}, not %s", k->str, hcf_y_kind_name(val));
			continue;
		}
		for (size_t j = 0; j < op->nargs; j++)
			if (!strcmp(op->args[j].name, k->str)) {
				hcf_spec_err(c, k, "argument name '%.40s' already used at %u:%u",
					     k->str, op->args[j].pos.line, op->args[j].pos.col);
				goto next;
			}
		if (!check_arg_reg(L, b, k, reg, dir, k->str))
			continue;

		op->args = hcf_xreallocarray(op->args, op->nargs + 1, sizeof(*op->args));
		struct hcf_arg *a = &op->args[op->nargs];
		memset(a, 0, sizeof(*a));
		a->name = hcf_xstrdup(k->str);
		a->reg = (uint8_t)reg;
		a->width = (uint8_t)width;
		a->dir = dir;
		a->struct_idx = -1;
		a->pos = hcf_spec_pos(c, k);
		b->reg_arg[reg] = (int)op->nargs;
		b->reg_node[reg] = k;
		op->nargs++;
		if (dir & HCF_DIR_IN)
			op->in_mask |= HCF_REGBIT(reg);
		if (dir & HCF_DIR_OUT)
			op->out_mask |= HCF_REGBIT(reg);

		if (v[AK_POINTER]) {
			const struct hcf_struct *st = hcf_spec_struct(L->abi, v[AK_POINTER]->str);
			if (!st)
				hcf_spec_err(c, v[AK_POINTER], "unknown struct '%.60s'",
					     v[AK_POINTER]->str);
			else
				a->struct_idx = (int)(st - L->abi->structs);
		}
		if (v[AK_POINTER_WHEN]) {
			if (!v[AK_POINTER])
				hcf_spec_err(c, v[AK_POINTER_WHEN], "pointer_when of '%.40s' needs "
								    "pointer: (the struct it points to)",
					     k->str);
			else if (!(dir & HCF_DIR_IN))
				hcf_spec_err(c, v[AK_POINTER_WHEN], "pointer_when applies to inputs, "
								    "not to output '%.40s'", k->str);
			else
				b->when_node[op->nargs - 1] = v[AK_POINTER_WHEN];
		}
		if (v[AK_POINTERS]) {
			if (v[AK_POINTER] || v[AK_POINTER_WHEN])
				hcf_spec_err(c, v[AK_POINTERS], "'%.40s': pointers: lists every struct "
								"with its condition; it goes without "
								"pointer: and pointer_when:", k->str);
			else if (!(dir & HCF_DIR_IN))
				hcf_spec_err(c, v[AK_POINTERS], "pointers apply to inputs, not to "
								"output '%.40s'", k->str);
			else
				b->pointers_node[op->nargs - 1] = v[AK_POINTERS];
		}
		if (v[AK_HINTS]) {
			if (!(dir & HCF_DIR_IN))
				hcf_spec_err(c, v[AK_HINTS], "hints apply to inputs, not to output "
							     "'%.40s'", k->str);
			else
				parse_vset(L, v[AK_HINTS], "hints", false, &a->hints);
			/* A hint the register cannot hold would be truncated
			 * silently when loaded: refuse it. Negative values are
			 * fine down to the signed minimum of the width. */
			for (size_t h = 0; width < 64 && h < a->hints.n; h++) {
				int64_t lo = a->hints.r[h].lo, hi = a->hints.r[h].hi;
				if (lo < -(INT64_C(1) << (width - 1)) || hi > (INT64_C(1) << width) - 1) {
					hcf_spec_err(c, v[AK_HINTS], "hints of '%.40s': %lld..%lld does "
								     "not fit %u bits", k->str,
						     (long long)lo, (long long)hi, width);
					break;
				}
			}
		}
		if (v[AK_NONDET]) {
			size_t d;
			for (d = 0; d < NELEM(nondet_names); d++)
				if (!strcmp(nondet_names[d].name, v[AK_NONDET]->str))
					break;
			if (!(dir & HCF_DIR_OUT))
				hcf_spec_err(c, v[AK_NONDET], "nondeterministic applies to outputs, "
							      "not to input '%.40s'", k->str);
			else if (d == NELEM(nondet_names))
				hcf_spec_err(c, v[AK_NONDET], "nondeterministic '%.40s': must be any "
							      "or monotonic", v[AK_NONDET]->str);
			else
				a->nondet = nondet_names[d].nd;
		}
	next:;
	}
}

static void add_pointer(struct hcf_arg *a, int struct_idx, const struct hcf_cond *when)
{
	a->pointers = hcf_xreallocarray(a->pointers, a->npointers + 1, sizeof(*a->pointers));
	a->pointers[a->npointers].struct_idx = struct_idx;
	a->pointers[a->npointers].when = *when;
	a->npointers++;
}

/* pointer_when: CONDITION (with pointer: STRUCT) and pointers: [{to: STRUCT,
 * when: CONDITION} ...]: conditions on the op's inputs (docs/spec-format.md,
 * Conditions), resolved once all of them are known. The argument itself is
 * then a plain number for the generators. */
static void resolve_pointers(struct ld *L, struct opb *b)
{
	static const struct hcf_spec_key item_keys[] = {
		{ "to", S, true, 0 },
		{ "when", M, true, 0 },
	};
	struct hcf_spec_ctx *c = L->c;
	struct hcf_op *op = b->op;
	for (size_t i = 0; i < op->nargs && i < HCF_NGPR; i++) {
		struct hcf_arg *a = &op->args[i];
		struct hcf_cond when;
		if (b->when_node[i] && a->struct_idx >= 0) {
			hcf_spec_cond(c, b->when_node[i], op, &when);
			add_pointer(a, a->struct_idx, &when);
			a->struct_idx = -1;
		}
		const struct hcf_ynode *seq = b->pointers_node[i];
		for (size_t k = 0; seq && k < hcf_y_nitems(seq); k++) {
			const struct hcf_ynode *v[2];
			if (!hcf_spec_map_keys(c, seq->kids[k], "pointer", item_keys, 2, 0, v))
				continue;
			const struct hcf_struct *st = hcf_spec_struct(L->abi, v[0]->str);
			if (!st) {
				hcf_spec_err(c, v[0], "unknown struct '%.60s'", v[0]->str);
				continue;
			}
			hcf_spec_cond(c, v[1], op, &when);
			add_pointer(a, (int)(st - L->abi->structs), &when);
		}
		if (seq && !hcf_y_nitems(seq))
			hcf_spec_err(c, seq, "'%.40s': an empty list of pointers", a->name);
	}
}

/* The status field of HCF_ERR_STATUS_FIELD: in a struct one of the op's
 * arguments points to. */
static bool find_status_field(struct hcf_abi *abi, struct hcf_op *op)
{
	for (size_t i = 0; i < op->nargs; i++) {
		int si = op->args[i].struct_idx;
		if (si < 0)
			continue;
		const struct hcf_struct *st = &abi->structs[si];
		for (size_t j = 0; j < st->nfields; j++)
			if (st->fields[j].is_status) {
				op->status_struct = si;
				op->status_field = (int)j;
				return true;
			}
	}
	return false;
}

#define PICK(field, has) (sub && sub->has ? sub->field : call->field)
#define HAS(has) ((sub && sub->has) || call->has)

/* One op from a call (sub == NULL) or from one sub-operation of it. */
static void build_op(struct ld *L, size_t call_idx, const char *subname, uint64_t subidx,
		     const struct props *call, const struct props *sub,
		     const struct hcf_ynode **args_v, const struct hcf_ynode *node)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_abi *abi = L->abi;
	size_t oi = hcf_spec_new_op(c);
	struct hcf_op *op = &abi->ops[oi];
	const struct hcf_call *cl = &abi->calls[call_idx];
	struct opb b = { .op = op, .has_subop = subname != NULL };

	for (unsigned r = 0; r < HCF_NGPR; r++)
		b.reg_arg[r] = -1;
	op->call_name = hcf_xstrdup(cl->name);
	op->name = subname ? hcf_xasprintf("%s.%s", cl->name, subname) : hcf_xstrdup(cl->name);
	op->call_idx = (int)call_idx;
	op->nr = cl->nr;
	op->has_subop = subname != NULL;
	op->subop = subidx;
	op->pos = hcf_spec_pos(c, node);
	const char *doc = sub && sub->doc ? sub->doc : call->doc;
	op->doc = doc ? hcf_xstrdup(doc) : NULL;

	if (HAS(has_ret)) {
		op->ret_reg = PICK(ret_reg, has_ret);
		op->ret_width = PICK(ret_width, has_ret);
	} else {
		op->ret_reg = abi->ret_reg;
		op->ret_width = abi->ret_width;
	}
	op->err = HAS(has_conv) ? PICK(conv, has_conv) : abi->err;
	op->clobber_mask = (hcf_regmask_t)(PICK(clob, has_clob) | abi->clobbers);
	op->exceptions = PICK(exc, has_exc) | L->abi_exceptions;
	op->rflags_may_change = PICK(rflags, has_rflags);
	if (op->err == HCF_ERR_CARRY)
		op->rflags_may_change |= 1ull << CF_BIT;
	op->destructive = PICK(destr, has_destr);
	op->hands_over_rip = HCF_REG_NONE;
	const char *why = PICK(why, has_destr);
	op->destructive_why = why ? hcf_xstrdup(why) : NULL;
	const struct hcf_ynode *destr_node = PICK(destr_node, has_destr);

	const struct props *rp = sub && sub->has_rets ? sub : call;
	if (rp->has_rets) {
		op->returns.any = rp->rets.any;
		op->returns.n = rp->rets.n;
		if (rp->rets.n) {
			op->returns.r = hcf_xcalloc(rp->rets.n, sizeof(*op->returns.r));
			memcpy(op->returns.r, rp->rets.r, rp->rets.n * sizeof(*op->returns.r));
		}
	} else {
		op->returns.any = true; /* nothing declared: any value */
	}
	const struct props *ep = sub && sub->has_errs ? sub : call;
	if (ep->nerrs) {
		op->errors = hcf_xcalloc(ep->nerrs, sizeof(*op->errors));
		memcpy(op->errors, ep->errs, ep->nerrs * sizeof(*op->errors));
		op->nerrors = ep->nerrs;
	}

	op->in_mask = HCF_REGBIT(abi->nr_reg);
	if (op->has_subop)
		op->in_mask |= HCF_REGBIT(abi->subop_reg);
	if (op->ret_reg != HCF_REG_NONE)
		op->out_mask |= HCF_REGBIT(op->ret_reg);

	/* args_v: input, output, inout value nodes (NULL when absent). Inputs
	 * and inout before outputs so "declare it under inout" points at the
	 * output, the later of the two in most files. */
	if (args_v[0])
		parse_args(L, &b, args_v[0], HCF_DIR_IN);
	if (args_v[2])
		parse_args(L, &b, args_v[2], HCF_DIR_INOUT);
	if (args_v[1])
		parse_args(L, &b, args_v[1], HCF_DIR_OUT);
	resolve_pointers(L, &b);
	if (destr_node)
		hcf_spec_losses(c, destr_node, op);

	const struct hcf_ynode *conv_at = sub && sub->conv_node ? sub->conv_node
				       : call->conv_node ? call->conv_node : node;
	/* ABI-wide defaults were checked once; only overrides are checked here. */
	if ((op->err == HCF_ERR_NEG_ERRNO || op->err == HCF_ERR_CARRY) &&
	    op->ret_reg == HCF_REG_NONE && (HAS(has_conv) || HAS(has_ret)))
		hcf_spec_err(c, conv_at, "%s: error convention %s needs a return register", op->name,
			     hcf_err_conv_name(op->err));
	if (op->err == HCF_ERR_NONE && ep->has_errs && ep->nerrs)
		hcf_spec_err(c, ep->errs_node, "%s: errors listed but the error convention is none",
			     op->name);
	if (rp->has_rets && op->ret_reg == HCF_REG_NONE)
		hcf_spec_err(c, rp->rets_node, "%s: returns listed but the op has no return "
					       "register", op->name);
	if (op->err == HCF_ERR_STATUS_FIELD && !find_status_field(abi, op))
		hcf_spec_err(c, conv_at, "%s: error convention status_field needs an argument "
					 "pointing to a struct with a field marked status: true",
			     op->name);
}

static const struct hcf_ynode *key_of(const struct hcf_ynode *map, const struct hcf_ynode *val)
{
	for (size_t i = 0; i < hcf_y_npairs(map); i++)
		if (hcf_y_val(map, i) == val)
			return hcf_y_key(map, i);
	return val;
}

static void parse_subops(struct ld *L, size_t ci, const struct props *callp,
			 const struct hcf_ynode *seq)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_abi *abi = L->abi;
	size_t n = hcf_y_nitems(seq);
	uint64_t *idx = hcf_xcalloc(n ? n : 1, sizeof(*idx));
	const char **names = hcf_xcalloc(n ? n : 1, sizeof(*names));
	struct hcf_srcpos *pos = hcf_xcalloc(n ? n : 1, sizeof(*pos));
	size_t ok = 0;
	uint64_t max = hcf_x86_width_mask(abi->subop_width);

	if (n == 0)
		hcf_spec_err(c, seq, "subops must be a non-empty list");
	abi->calls[ci].first_op = abi->nops;
	for (size_t i = 0; i < n; i++) {
		const struct hcf_ynode *it = seq->kids[i], *v[CK_COUNT];
		struct props sp;
		uint64_t index;
		hcf_spec_map_keys(c, it, "subop", call_keys, CK_COUNT, IN_SUBOP, v);
		if (!v[CK_NAME] || !v[CK_INDEX])
			continue;
		const char *name = hcf_y_str(c, v[CK_NAME], "subop name");
		if (!name)
			continue;
		if (!is_opname(name)) {
			hcf_spec_err(c, v[CK_NAME], "subop name '%.40s': use letters, digits, '_' "
						    "and '-'", name);
			continue;
		}
		if (!hcf_y_uint(c, v[CK_INDEX], max, "subop index", &index))
			continue;
		parse_props(L, v, &sp);
		const struct hcf_ynode *args_v[3] = { v[CK_INPUT], v[CK_OUTPUT], v[CK_INOUT] };
		build_op(L, ci, name, index, callp, &sp, args_v, it);
		props_free(&sp);
		idx[ok] = index;
		names[ok] = name;
		pos[ok] = hcf_spec_pos(c, it);
		ok++;
	}
	abi->calls[ci].nops = abi->nops - abi->calls[ci].first_op;
	const char **owners = hcf_xcalloc(ok ? ok : 1, sizeof(*owners));
	for (size_t i = 0; i < ok; i++)
		owners[i] = names[i];
	hcf_spec_dup_numbers(c, ok, idx, owners, pos, "subop index");
	hcf_spec_dup_names(c, ok, names, pos, "subop name");
	free(owners);
	free(idx);
	free(names);
	free(pos);
}

static void parse_call(struct ld *L, const struct hcf_ynode *it)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_abi *abi = L->abi;
	const struct hcf_ynode *v[CK_COUNT];
	uint64_t nr;

	hcf_spec_map_keys(c, it, "call", call_keys, CK_COUNT, IN_CALL, v);
	if (!v[CK_NAME] || !v[CK_NR])
		return; /* reported; the rest of the call still gets checked otherwise */
	const char *name = hcf_y_str(c, v[CK_NAME], "call name");
	if (!name)
		return;
	if (!is_opname(name)) {
		hcf_spec_err(c, v[CK_NAME], "call name '%.40s': use letters, digits, '_' and '-'",
			     name);
		return;
	}
	if (!hcf_y_uint(c, v[CK_NR], hcf_xport_max_nr(&abi->transport, abi->nr_width), "call number", &nr))
		return;

	size_t ci = hcf_spec_new_call(c);
	struct hcf_call *cl = &abi->calls[ci];
	cl->name = hcf_xstrdup(name);
	cl->nr = nr;
	cl->pos = hcf_spec_pos(c, it);

	struct props cp;
	parse_props(L, v, &cp);
	if (v[CK_SUBOPS]) {
		cl->has_subops = true;
		const struct hcf_ynode *subkey = key_of(it, v[CK_SUBOPS]);
		if (abi->subop_reg == HCF_REG_NONE)
			hcf_spec_err(c, subkey, "call '%.40s' has subops but the ABI declares no "
						"subop register (add subop: {reg: ...})", name);
		else if (v[CK_INPUT] || v[CK_OUTPUT] || v[CK_INOUT])
			hcf_spec_err(c, key_of(it, v[CK_INPUT] ? v[CK_INPUT]
						 : v[CK_OUTPUT] ? v[CK_OUTPUT] : v[CK_INOUT]),
				     "call '%.40s' has subops: declare input/output/inout per subop",
				     name);
		else
			parse_subops(L, ci, &cp, v[CK_SUBOPS]);
	} else {
		const struct hcf_ynode *args_v[3] = { v[CK_INPUT], v[CK_OUTPUT], v[CK_INOUT] };
		abi->calls[ci].first_op = abi->nops;
		build_op(L, ci, NULL, 0, &cp, NULL, args_v, it);
		abi->calls[ci].nops = 1;
	}
	props_free(&cp);
}

void hcf_spec_check_call_dups(struct hcf_spec_ctx *c)
{
	struct hcf_abi *abi = c->abi;
	size_t n = abi->ncalls;
	if (n < 2)
		return;
	uint64_t *nrs = hcf_xcalloc(n, sizeof(*nrs));
	const char **names = hcf_xcalloc(n, sizeof(*names));
	struct hcf_srcpos *pos = hcf_xcalloc(n, sizeof(*pos));
	for (size_t i = 0; i < n; i++) {
		nrs[i] = abi->calls[i].nr;
		names[i] = abi->calls[i].name;
		pos[i] = abi->calls[i].pos;
	}
	hcf_spec_dup_numbers(c, n, nrs, names, pos, "call number");
	hcf_spec_dup_names(c, n, names, pos, "call name");
	free(nrs);
	free(names);
	free(pos);
}

enum { TK_VERSION, TK_ABI, TK_DESC, TK_MODEL, TK_TRANSPORT, TK_CALLNR, TK_SUBOP, TK_RETURN,
       TK_ERRCONV, TK_CLOBBERS, TK_EXC, TK_CONSTS, TK_UNDECL, TK_STRUCTS, TK_CALLS, TK_ANOMALIES,
       TK_COUNT };
static const struct hcf_spec_key top_keys[TK_COUNT] = {
	[TK_VERSION] = { "hcfuzz_spec", S, true, 0 },
	[TK_ABI] = { "abi", S, true, 0 },
	[TK_DESC] = { "description", S, false, 0 },
	[TK_MODEL] = { "model", S, false, 0 },
	[TK_TRANSPORT] = { "transport", S | M, true, 0 },
	[TK_CALLNR] = { "call_number", M, false, 0 },
	[TK_SUBOP] = { "subop", S | M, false, 0 },
	[TK_RETURN] = { "return", S | M, false, 0 },
	[TK_ERRCONV] = { "error_convention", S, false, 0 },
	[TK_CLOBBERS] = { "clobbers", Q, false, 0 },
	[TK_EXC] = { "exceptions", Q, false, 0 },
	[TK_CONSTS] = { "constants", M, false, 0 },
	[TK_UNDECL] = { "undeclared", M, false, 0 },
	[TK_STRUCTS] = { "structs", M, false, 0 },
	[TK_CALLS] = { "calls", Q, true, 0 },
	[TK_ANOMALIES] = { "known_anomalies", Q, false, 0 },
};

void hcf_spec_native_load(struct hcf_spec_ctx *c, const struct hcf_ynode *root)
{
	static const struct hcf_spec_key undecl_keys[] = {
		{ "returns", Q, false, 0 },
		{ "exceptions", Q, false, 0 },
	};
	struct hcf_abi *abi = c->abi;
	struct ld L = { .c = c, .abi = abi };
	const struct hcf_ynode *v[TK_COUNT];
	uint64_t ver;
	unsigned r, w;

	abi->dialect = HCF_DIALECT_HCFUZZ;
	abi->pos = hcf_spec_pos(c, root);
	hcf_spec_map_keys(c, root, "the top level", top_keys, TK_COUNT, 0, v);
	/* The version decides how to read the rest: stop if it is not ours. */
	if (v[TK_VERSION]) {
		if (!hcf_y_uint(c, v[TK_VERSION], UINT32_MAX, "hcfuzz_spec", &ver))
			return;
		if (ver != 1) {
			hcf_spec_err(c, v[TK_VERSION], "hcfuzz_spec %llu: this build reads version 1",
				     (unsigned long long)ver);
			return;
		}
		abi->spec_version = 1;
	}
	if (v[TK_ABI]) {
		const char *name = hcf_y_str(c, v[TK_ABI], "abi");
		if (name)
			abi->name = hcf_xstrdup(name);
	}
	if (v[TK_DESC] && v[TK_DESC]->len)
		abi->description = hcf_xstrdup(v[TK_DESC]->str);
	if (v[TK_MODEL]) {
		const char *model = hcf_y_str(c, v[TK_MODEL], "model");
		if (model)
			abi->model = hcf_xstrdup(model);
	}
	if (v[TK_CONSTS])
		parse_constants(&L, v[TK_CONSTS]);
	if (v[TK_STRUCTS])
		parse_structs(&L, v[TK_STRUCTS]);
	if (!v[TK_TRANSPORT] || !hcf_xport_parse(L.c, v[TK_TRANSPORT], &L.abi->transport))
		return; /* number ranges and registers depend on it */
	parse_call_number(&L, v[TK_CALLNR], root);
	if (v[TK_SUBOP] && parse_regref(&L, v[TK_SUBOP], "subop", false, &r, &w)) {
		if (r == abi->nr_reg)
			hcf_spec_err(c, v[TK_SUBOP], "the subop register cannot be the call number "
						     "register %s", hcf_reg_name(r));
		else {
			abi->subop_reg = (uint8_t)r;
			abi->subop_width = (uint8_t)w;
		}
	}
	if (v[TK_RETURN] && parse_regref(&L, v[TK_RETURN], "return", true, &r, &w)) {
		abi->ret_reg = (uint8_t)r;
		abi->ret_width = (uint8_t)w;
	}
	if (v[TK_ERRCONV])
		parse_errconv(&L, v[TK_ERRCONV], &abi->err);
	if ((abi->err == HCF_ERR_NEG_ERRNO || abi->err == HCF_ERR_CARRY) &&
	    abi->ret_reg == HCF_REG_NONE)
		hcf_spec_err(c, v[TK_ERRCONV], "error convention %s needs a return register "
					       "(return: ...)", hcf_err_conv_name(abi->err));
	if (v[TK_CLOBBERS])
		parse_regmask(&L, v[TK_CLOBBERS], "clobbers", &abi->clobbers);
	if (v[TK_EXC])
		parse_exceptions(&L, v[TK_EXC], &L.abi_exceptions);

	abi->undeclared_returns.any = true; /* unless undeclared: says otherwise */
	abi->undeclared_exceptions = L.abi_exceptions;
	const struct hcf_ynode *u[2];
	if (v[TK_UNDECL] &&
	    hcf_spec_map_keys(c, v[TK_UNDECL], "undeclared", undecl_keys, 2, 0, u)) {
		if (u[0]) {
			if (abi->ret_reg == HCF_REG_NONE)
				hcf_spec_err(c, u[0], "undeclared returns listed but the ABI has no "
						      "return register");
			parse_vset(&L, u[0], "undeclared returns", true, &abi->undeclared_returns);
		}
		uint32_t exc;
		if (u[1] && parse_exceptions(&L, u[1], &exc))
			abi->undeclared_exceptions |= exc;
	}

	if (!v[TK_CALLS])
		return;
	if (hcf_y_nitems(v[TK_CALLS]) == 0) {
		hcf_spec_err(c, v[TK_CALLS], "calls must be a non-empty list");
		return;
	}
	for (size_t i = 0; i < hcf_y_nitems(v[TK_CALLS]); i++)
		parse_call(&L, v[TK_CALLS]->kids[i]);
	hcf_spec_check_call_dups(c);
	if (v[TK_ANOMALIES])
		hcf_spec_anomalies(c, v[TK_ANOMALIES]);
}

/* ---- entry points ------------------------------------------------------ */

static struct hcf_abi *new_abi(void)
{
	struct hcf_abi *abi = hcf_xcalloc(1, sizeof(*abi));
	abi->nr_reg = HCF_RAX;
	abi->nr_width = 64;
	abi->subop_reg = HCF_REG_NONE;
	abi->ret_reg = HCF_REG_NONE;
	abi->err = HCF_ERR_NONE;
	return abi;
}

static int finish(struct hcf_spec_ctx *c, struct hcf_abi *abi, struct hcf_abi **out)
{
	if (c->nerr) {
		hcf_spec_free(abi);
		return -1;
	}
	*out = abi;
	return 0;
}

/* Which dialect a parsed file is written in. */
enum file_kind { FILE_NATIVE, FILE_FASTABI, FILE_UNKNOWN };

static enum file_kind classify(const struct hcf_ynode *root)
{
	if (root->kind != HCF_Y_MAP)
		return FILE_UNKNOWN;
	if (hcf_y_get(root, "hcfuzz_spec"))
		return FILE_NATIVE;
	if (hcf_y_get(root, "hypercall_index"))
		return FILE_FASTABI;
	return FILE_UNKNOWN;
}

static void not_a_spec(struct hcf_spec_ctx *c, const struct hcf_ynode *root)
{
	if (root->kind != HCF_Y_MAP)
		hcf_spec_err(c, root, "%s: not a spec: the top level must be a mapping, not %s",
			     c->file, hcf_y_kind_name(root));
	else
		hcf_spec_err(c, root, "%s: not a spec: expected a top-level 'hcfuzz_spec' key "
				      "(hcfuzz spec) or 'hypercall_index' (Xen FastABI file)", c->file);
}

int hcf_spec_load_buffer(const char *name, const char *text, size_t len, struct hcf_abi **out,
			 struct hcf_diags *diags)
{
	struct hcf_diags local;
	struct hcf_abi *abi = new_abi();
	struct hcf_spec_ctx c = { .diags = diags ? diags : &local, .abi = abi };

	if (!diags)
		hcf_diags_init(&local);
	*out = NULL;
	hcf_spec_set_file(&c, name ? name : "<buffer>");
	abi->path = hcf_xstrdup(c.file);
	struct hcf_ynode *root = hcf_yaml_parse(&c, text ? text : "", text ? len : 0);
	if (root) {
		switch (classify(root)) {
		case FILE_NATIVE:
			hcf_spec_native_load(&c, root);
			break;
		case FILE_FASTABI:
			hcf_spec_fastabi_init(&c);
			hcf_spec_fastabi_add_file(&c, root);
			hcf_spec_fastabi_finish(&c);
			if (!abi->name && abi->ncalls)
				abi->name = hcf_xstrdup(abi->calls[0].name);
			break;
		default:
			not_a_spec(&c, root);
			break;
		}
		hcf_yaml_free(root);
	}
	if (!c.nerr && !abi->name)
		abi->name = hcf_xstrdup("?");
	return finish(&c, abi, out);
}

static bool has_yaml_suffix(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && ((n > 4 && !strcmp(name + n - 4, ".yml")) ||
				  (n > 5 && !strcmp(name + n - 5, ".yaml")));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void file_error(struct hcf_spec_ctx *c, const char *path, int err)
{
	if (err == EFBIG)
		hcf_diag_addf(c->diags, path, 0, 0, "cannot read: larger than %u MiB",
			      HCF_SPEC_MAX_FILE >> 20);
	else
		hcf_diag_addf(c->diags, path, 0, 0, "cannot read: %s", strerror(err));
	c->nerr++;
}

/* A directory of Xen FastABI operation files, merged into one ABI named
 * after the directory. Files load in name order so call order, op indices
 * and diagnostics do not depend on readdir. */
static int load_dir(const char *path, struct hcf_abi **out, struct hcf_diags *diags)
{
	struct hcf_abi *abi = new_abi();
	struct hcf_spec_ctx c = { .diags = diags, .abi = abi };
	char **names = NULL;
	size_t n = 0;

	abi->path = hcf_xstrdup(path);
	/* The name: the last path component, trailing slashes ignored. */
	size_t end = strlen(path);
	while (end > 1 && path[end - 1] == '/')
		end--;
	size_t start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	abi->name = hcf_xstrndup(path + start, end - start);

	DIR *d = opendir(path);
	if (!d) {
		file_error(&c, path, errno);
		return finish(&c, abi, out);
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!has_yaml_suffix(de->d_name))
			continue;
		names = hcf_xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = hcf_xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);

	if (n == 0) {
		hcf_diag_addf(diags, path, 0, 0, "no *.yml or *.yaml files in this directory");
		c.nerr++;
	} else {
		hcf_spec_fastabi_init(&c);
	}
	for (size_t i = 0; i < n; i++) {
		char *file = hcf_xasprintf("%.*s/%s", (int)end, path, names[i]);
		size_t len;
		hcf_spec_set_file(&c, file);
		free(file);
		char *text = hcf_read_file(c.file, HCF_SPEC_MAX_FILE, &len);
		if (!text) {
			file_error(&c, c.file, errno);
			continue;
		}
		struct hcf_ynode *root = hcf_yaml_parse(&c, text, len);
		if (root) {
			if (i == 0)
				abi->pos = hcf_spec_pos(&c, root);
			if (classify(root) == FILE_FASTABI)
				hcf_spec_fastabi_add_file(&c, root);
			else if (classify(root) == FILE_NATIVE)
				hcf_spec_err(&c, root, "%s: a directory holds Xen FastABI operation "
						       "files; load a native spec by its file name",
					     c.file);
			else
				not_a_spec(&c, root);
			hcf_yaml_free(root);
		}
		free(text);
	}
	if (n)
		hcf_spec_fastabi_finish(&c);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return finish(&c, abi, out);
}

int hcf_spec_load(const char *path, struct hcf_abi **out, struct hcf_diags *diags)
{
	struct hcf_diags local;
	struct stat st;

	*out = NULL;
	if (!diags) {
		hcf_diags_init(&local);
		diags = &local;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return load_dir(path, out, diags);

	size_t len;
	char *text = hcf_read_file(path, HCF_SPEC_MAX_FILE, &len);
	if (!text) {
		int e = errno;
		hcf_diag_addf(diags, path, 0, 0, "cannot read: %s",
			      e == EFBIG ? "file too large" : strerror(e));
		return -1;
	}
	int rc = hcf_spec_load_buffer(path, text, len, out, diags);
	free(text);
	return rc;
}
