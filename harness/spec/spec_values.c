/*
 * spec_values.c: the native language's values (numbers, value sets,
 * exceptions, errors) and ABI-wide sections (constants, structs, the call
 * number).
 */
#include "spec/spec_native.h"

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
bool ld_is_opname(const char *s)
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
void ld_parse_vset(struct ld *L, const struct hcf_ynode *seq, const char *what, bool allow_any,
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
bool ld_parse_reg(struct ld *L, const struct hcf_ynode *n, const char *what, unsigned *reg,
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
bool ld_parse_width(struct ld *L, const struct hcf_ynode *n, unsigned alias_width,
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
bool ld_parse_regref(struct ld *L, const struct hcf_ynode *n, const char *what,
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
		return ld_parse_reg(L, n, what, reg, width);
	}
	const struct hcf_ynode *v[2];
	if (!hcf_spec_map_keys(L->c, n, what, keys, 2, 0, v))
		return false;
	if (!ld_parse_reg(L, v[0], what, reg, width))
		return false;
	if (v[1])
		return ld_parse_width(L, v[1], *width, v[0]->str, width);
	return true;
}

bool ld_parse_regmask(struct ld *L, const struct hcf_ynode *seq, const char *what,
			  hcf_regmask_t *out)
{
	unsigned before = L->c->nerr;
	*out = 0;
	for (size_t i = 0; i < hcf_y_nitems(seq); i++) {
		unsigned r, w;
		if (ld_parse_reg(L, seq->kids[i], what, &r, &w))
			*out |= HCF_REGBIT(r);
	}
	return L->c->nerr == before;
}

bool ld_parse_exceptions(struct ld *L, const struct hcf_ynode *seq, uint32_t *out)
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

bool ld_parse_rflags(struct ld *L, const struct hcf_ynode *seq, uint64_t *out)
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
	ld_parse_vset(&L, n, what, false, out);
}

bool hcf_spec_exceptions(struct hcf_spec_ctx *c, const struct hcf_ynode *seq, uint32_t *out)
{
	struct ld L = { .c = c, .abi = c->abi };
	return ld_parse_exceptions(&L, seq, out);
}

bool ld_parse_errconv(struct ld *L, const struct hcf_ynode *n, enum hcf_err_conv *out)
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
void ld_parse_errors(struct ld *L, const struct hcf_ynode *seq, int64_t **out, size_t *nout)
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

void ld_parse_constants(struct ld *L, const struct hcf_ynode *map)
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

enum { FK_OFFSET, FK_SIZE, FK_DIR, FK_POINTER, FK_BUFFER, FK_STATUS, FK_DOC, FK_HINTS,
       FK_NONDET, FK_WAITS, FK_BASELINE, FK_COUNT };
static const struct hcf_spec_key field_keys[FK_COUNT] = {
	[FK_OFFSET] = { "offset", S, true, 0 },
	[FK_SIZE] = { "size", S, true, 0 },
	[FK_DIR] = { "dir", S, false, 0 },
	[FK_POINTER] = { "pointer", S, false, 0 },
	[FK_BUFFER] = { "buffer", S | M, false, 0 },
	[FK_STATUS] = { "status", S, false, 0 },
	[FK_DOC] = { "doc", S, false, 0 },
	[FK_HINTS] = { "hints", Q, false, 0 },
	[FK_NONDET] = { "nondeterministic", S | M, false, 0 },
	[FK_WAITS] = { "waits", M, false, 0 },
	[FK_BASELINE] = { "baseline", S, false, 0 },
};

static enum hcf_dir parse_dir(struct hcf_spec_ctx *c, const struct hcf_ynode *n)
{
	for (size_t d = 0; d < NELEM(dir_names); d++)
		if (!strcmp(dir_names[d].name, n->str))
			return dir_names[d].dir;
	hcf_spec_err(c, n, "dir '%.40s': must be in, out or inout", n->str);
	return 0;
}

/* buffer: LENGTH_FIELD, or {len: LENGTH_FIELD, dir: in|out|inout} when the
 * spec says what the call does with the bytes. The length field's node
 * goes to *len_node, resolved once every field is known. */
static void parse_buffer(struct hcf_spec_ctx *c, const struct hcf_ynode *n, struct hcf_field *f,
			 const struct hcf_ynode **len_node)
{
	static const struct hcf_spec_key keys[] = {
		{ "len", S, true, 0 },
		{ "dir", S, false, 0 },
	};
	const struct hcf_ynode *v[2];
	*len_node = n;
	if (n->kind != HCF_Y_MAP)
		return;
	*len_node = NULL;
	if (!hcf_spec_map_keys(c, n, "buffer", keys, 2, 0, v))
		return;
	*len_node = v[0];
	if (v[1])
		f->buffer_dir = (uint8_t)parse_dir(c, v[1]);
}

/* A field's values worth trying: they must fit its bytes. */
static void parse_field_hints(struct ld *L, const struct hcf_ynode *n, const char *name,
			      struct hcf_field *f)
{
	ld_parse_vset(L, n, "hints", false, &f->hints);
	unsigned bits = f->size >= 8 ? 64 : f->size * 8;
	for (size_t h = 0; bits < 64 && h < f->hints.n; h++)
		if (f->hints.r[h].lo < -(INT64_C(1) << (bits - 1)) ||
		    f->hints.r[h].hi > (INT64_C(1) << bits) - 1) {
			hcf_spec_err(L->c, n, "hints of field '%.40s': %lld..%lld does not fit %u bytes",
				     name, (long long)f->hints.r[h].lo, (long long)f->hints.r[h].hi,
				     f->size);
			return;
		}
}

/* baseline: the value the plan's baseline puts in an in field, so that the
 * call does its work while another input varies; it must fit the field. */
static void parse_baseline(struct ld *L, const struct hcf_ynode *n, const char *name,
			   struct hcf_field *f)
{
	int64_t v;
	if (!(f->dir & HCF_DIR_IN) || f->size > 8) {
		hcf_spec_err(L->c, n, "baseline applies to in and inout fields of 1 to 8 bytes, not "
				      "to '%.40s'", name);
		return;
	}
	if (!parse_value(L, n, "baseline", &v))
		return;
	unsigned bits = f->size * 8;
	if (bits < 64 && (v < -(INT64_C(1) << (bits - 1)) || v > (INT64_C(1) << bits) - 1)) {
		hcf_spec_err(L->c, n, "baseline of field '%.40s': %lld does not fit %u bytes", name,
			     (long long)v, f->size);
		return;
	}
	f->baseline = (uint64_t)v;
}

/* The clocks a nondeterministic field may follow, by name. */
static const struct {
	const char *name;
	enum hcf_nondet nd;
} field_clocks[] = {
	{ "realtime_ns", HCF_NONDET_CLOCK },
};

/* nondeterministic: any | monotonic | {clock: realtime_ns, slack_ms: N}. */
static void parse_field_nondet(struct hcf_spec_ctx *c, const struct hcf_ynode *n,
			       const char *name, struct hcf_field *f)
{
	static const struct hcf_spec_key keys[] = {
		{ "clock", S, true, 0 },
		{ "slack_ms", S, true, 0 },
	};
	if (!(f->dir & HCF_DIR_OUT)) {
		hcf_spec_err(c, n, "nondeterministic applies to out and inout fields, not to '%.40s'",
			     name);
		return;
	}
	if (n->kind == HCF_Y_SCALAR) {
		for (size_t d = 0; d < NELEM(nondet_names); d++)
			if (!strcmp(nondet_names[d].name, n->str)) {
				f->nondet = (uint8_t)nondet_names[d].nd;
				return;
			}
		hcf_spec_err(c, n, "nondeterministic '%.40s': must be any, monotonic or {clock: "
				   "realtime_ns, slack_ms: N}", n->str);
		return;
	}
	const struct hcf_ynode *v[2];
	uint64_t ms;
	if (!hcf_spec_map_keys(c, n, "nondeterministic", keys, 2, 0, v))
		return;
	size_t k = 0;
	while (k < NELEM(field_clocks) && strcmp(field_clocks[k].name, v[0]->str))
		k++;
	if (k == NELEM(field_clocks)) {
		hcf_spec_err(c, v[0], "clock '%.40s': the only clock is realtime_ns (the host's "
				      "CLOCK_REALTIME in nanoseconds)", v[0]->str);
		return;
	}
	if (f->size != 8)
		hcf_spec_err(c, n, "field '%.40s' follows the clock in nanoseconds: 8 bytes, not %u",
			     name, f->size);
	if (hcf_y_uint(c, v[1], HCF_OP_WATCHDOG_MAX_MS, "slack_ms", &ms))
		f->clock_slack_ms = (uint32_t)ms;
	f->nondet = (uint8_t)field_clocks[k].nd;
}

/* Units a waits: field counts in. */
static const struct {
	const char *name;
	uint64_t ns;
} wait_units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
};

/* waits: {unit: ns|us|ms|s, max_ms: N}: the call blocks as long as the
 * field says; generators ask for at most max_ms. */
static void parse_waits(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *name,
			struct hcf_field *f)
{
	static const struct hcf_spec_key keys[] = {
		{ "unit", S, true, 0 },
		{ "max_ms", S, true, 0 },
	};
	const struct hcf_ynode *v[2];
	uint64_t ms;
	if (!hcf_spec_map_keys(c, n, "waits", keys, 2, 0, v))
		return;
	if (!(f->dir & HCF_DIR_IN) || f->size > 8) {
		hcf_spec_err(c, n, "waits: field '%.40s' is a duration the call reads: an in or "
				   "inout field of 1 to 8 bytes", name);
		return;
	}
	size_t k = 0;
	while (k < NELEM(wait_units) && strcmp(wait_units[k].name, v[0]->str))
		k++;
	if (k == NELEM(wait_units)) {
		hcf_spec_err(c, v[0], "unit '%.40s': ns, us, ms or s", v[0]->str);
		return;
	}
	if (!hcf_y_uint(c, v[1], HCF_OP_WATCHDOG_MAX_MS, "max_ms", &ms))
		return;
	f->waits_unit_ns = wait_units[k].ns;
	f->waits_max_ms = (uint32_t)ms;
}

/* The most a waits: field may say in its unit, for generators to keep to. */
uint64_t hcf_field_waits_max(const struct hcf_field *f)
{
	return f->waits_unit_ns ? (uint64_t)f->waits_max_ms * 1000000ull / f->waits_unit_ns : 0;
}

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
			enum hcf_dir d = parse_dir(c, v[FK_DIR]);
			if (d)
				f->dir = d;
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
		if (v[FK_BUFFER])
			parse_buffer(c, v[FK_BUFFER], f, &bufnode[st->nfields - 1]);
		if (v[FK_HINTS]) {
			if (!(f->dir & HCF_DIR_IN))
				hcf_spec_err(c, v[FK_HINTS], "hints apply to in and inout fields, not "
							     "to '%.40s'", k->str);
			else
				parse_field_hints(L, v[FK_HINTS], k->str, f);
		}
		if (v[FK_BASELINE])
			parse_baseline(L, v[FK_BASELINE], k->str, f);
		if (v[FK_NONDET])
			parse_field_nondet(c, v[FK_NONDET], k->str, f);
		if (v[FK_WAITS])
			parse_waits(c, v[FK_WAITS], k->str, f);
		if (v[FK_STATUS]) {
			bool b;
			if (hcf_y_bool(c, v[FK_STATUS], "status", &b))
				f->is_status = b;
			if (f->is_status && !(f->dir & HCF_DIR_OUT))
				hcf_spec_err(c, v[FK_STATUS], "status field '%.40s' must be out or "
							      "inout: the hypervisor writes it", k->str);
		}
	}
	/* a hint or baseline that waits longer than the spec lets generators
	 * ask for */
	for (size_t i = 0; i < st->nfields; i++) {
		const struct hcf_field *f = &st->fields[i];
		uint64_t max = hcf_field_waits_max(f);
		if (f->waits_unit_ns && f->baseline > max) {
			hcf_diag_add(c->diags, &f->pos, "baseline of field '%.40s' waits longer than "
				     "its waits max_ms %u", f->name, f->waits_max_ms);
			c->nerr++;
		}
		for (size_t h = 0; f->waits_unit_ns && h < f->hints.n; h++)
			if ((uint64_t)f->hints.r[h].hi > max || f->hints.r[h].lo < 0) {
				hcf_diag_add(c->diags, &f->pos, "hints of field '%.40s': %lld waits "
					     "longer than its waits max_ms %u", f->name,
					     (long long)f->hints.r[h].hi, f->waits_max_ms);
				c->nerr++;
				break;
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

void ld_parse_structs(struct ld *L, const struct hcf_ynode *map)
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

void ld_parse_call_number(struct ld *L, const struct hcf_ynode *n, const struct hcf_ynode *top)
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
		if (ld_parse_reg(L, v[0], "call_number.reg", &reg, &width) && reg != HCF_RDX)
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
				     "transport is pio or mmio with the number in the port or address)");
		return;
	}
	if (!hcf_spec_map_keys(c, n, "call_number", keys, 3, 0, v))
		return;
	if (!ld_parse_reg(L, v[0], "call_number.reg", &reg, &width))
		return;
	if (v[1] && !ld_parse_width(L, v[1], width, v[0]->str, &width))
		return;
	if (reg == HCF_RDX && hcf_xport_uses_rdx(&abi->transport)) {
		hcf_spec_err(c, v[0], "rdx holds the %s transport's fixed %s; the call number needs "
				      "another register", hcf_xport_name(abi->transport.kind),
			     abi->transport.kind == HCF_XPORT_PIO ? "port" : "address");
		return;
	}
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

