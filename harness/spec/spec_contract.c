/*
 * spec_contract.c: the conditional parts of a contract in the native
 * language: conditions on a call's inputs (struct fields included, where
 * the oracles read guest memory), the ways a call may or must end the guest
 * (destructive's, a call's own ends:, undeclared's), and the known
 * anomalies (docs/spec-format.md).
 *
 * All three name inputs by argument (or register) name, so they are read
 * after the arguments of their call; known anomalies name calls, so they are
 * read after every call. Every problem is reported at its node.
 */
#include <stdlib.h>
#include <string.h>

#include "spec/spec_parse.h"
#include "util/x86.h"
#include "util/xalloc.h"

#define S HCF_YT_SCALAR
#define Q HCF_YT_SEQ
#define M HCF_YT_MAP

/* ---- conditions --------------------------------------------------------- */

/* The register and width an input name stands for: an argument of op that
 * the call reads, or a register name (rax, ebx ...). */
static bool resolve_input(struct hcf_spec_ctx *c, const struct hcf_ynode *k,
			  const struct hcf_op *op, uint8_t *reg, uint8_t *width)
{
	for (size_t i = 0; op && i < op->nargs; i++)
		if (!strcmp(op->args[i].name, k->str)) {
			if (!(op->args[i].dir & HCF_DIR_IN)) {
				hcf_spec_err(c, k, "'%.40s' is an output of %s; a condition tests inputs",
					     k->str, op->name);
				return false;
			}
			*reg = op->args[i].reg;
			*width = op->args[i].width;
			return true;
		}
	unsigned w = 0, r = hcf_reg_parse(k->str, &w);
	if (r == HCF_REG_NONE || r == HCF_RSP) {
		hcf_spec_err(c, k, "'%.40s' is neither an input of %s nor a register", k->str,
			     op ? op->name : "an undeclared call");
		return false;
	}
	*reg = (uint8_t)r;
	*width = (uint8_t)w;
	return true;
}

/* A value test: one value, a list of values and ranges, or one {min, max}. */
static void parse_values(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what,
			 struct hcf_vset *out)
{
	static const struct hcf_spec_key range_keys[] = {
		{ "min", S, true, 0 },
		{ "max", S, true, 0 },
	};
	memset(out, 0, sizeof(*out));
	if (n->kind == HCF_Y_SEQ) {
		hcf_spec_vset(c, n, what, out);
		return;
	}
	int64_t lo, hi;
	if (n->kind == HCF_Y_MAP) {
		const struct hcf_ynode *v[2];
		if (!hcf_spec_map_keys(c, n, "range", range_keys, 2, 0, v) ||
		    !hcf_spec_value(c, v[0], "min", &lo) || !hcf_spec_value(c, v[1], "max", &hi))
			return;
		if (lo > hi) {
			hcf_spec_err(c, n, "%s: range min %lld is above max %lld", what, (long long)lo,
				     (long long)hi);
			return;
		}
	} else if (hcf_spec_value(c, n, what, &lo)) {
		hi = lo;
	} else {
		return;
	}
	out->r = hcf_xcalloc(1, sizeof(*out->r));
	out->r[0].lo = lo;
	out->r[0].hi = hi;
	out->n = 1;
}

/* One test: values (a value, a list, a range) or {is|not: VALUES, mask: M}.
 * False, with the error reported, when it is malformed. */
static bool parse_test(struct hcf_spec_ctx *c, const struct hcf_ynode *v, const char *what,
		       struct hcf_pred *pr)
{
	static const struct hcf_spec_key test_keys[] = {
		{ "mask", S, false, 0 },
		{ "is", S | Q | M, false, 0 },
		{ "not", S | Q | M, false, 0 },
	};
	const struct hcf_ynode *values = v;
	if (v->kind == HCF_Y_MAP && (hcf_y_get(v, "is") || hcf_y_get(v, "not") ||
				     hcf_y_get(v, "mask"))) {
		const struct hcf_ynode *t[3];
		if (!hcf_spec_map_keys(c, v, "input test", test_keys, 3, 0, t))
			return false;
		if (!t[1] == !t[2]) {
			hcf_spec_err(c, v, "an input test has exactly one of is: and not:");
			return false;
		}
		uint64_t mask;
		if (t[0]) {
			if (!hcf_y_uint(c, t[0], UINT64_MAX, "mask", &mask))
				return false;
			pr->mask = mask;
		}
		pr->negate = t[2] != NULL;
		values = t[1] ? t[1] : t[2];
	}
	unsigned before = c->nerr;
	parse_values(c, values, what, &pr->set);
	if (c->nerr != before) {
		free(pr->set.r);
		pr->set.r = NULL;
		return false;
	}
	return true;
}

/* The pointer input named by the first len bytes of name, and the struct it
 * points to; NULL, with the error reported at k, when there is none. */
static const struct hcf_arg *pointer_input(struct hcf_spec_ctx *c, const struct hcf_ynode *k,
					   const struct hcf_op *op, size_t len, const char *what)
{
	for (size_t i = 0; op && i < op->nargs; i++) {
		const struct hcf_arg *a = &op->args[i];
		if (strlen(a->name) != len || strncmp(a->name, k->str, len))
			continue;
		if (!(a->dir & HCF_DIR_IN) || a->struct_idx < 0 ||
		    (size_t)a->struct_idx >= c->abi->nstructs) {
			hcf_spec_err(c, k, "%s '%.60s': '%s' is not a pointer input of %s (one with "
					   "pointer: STRUCT)", what, k->str, a->name, op->name);
			return NULL;
		}
		return a;
	}
	hcf_spec_err(c, k, "%s '%.60s': '%.*s' is not an input of %s", what, k->str, (int)len,
		     k->str, op ? op->name : "an undeclared call");
	return NULL;
}

/* The field INPUT.FIELD names: a field of the struct the pointer input
 * points to. NULL, with the error reported, when there is none. */
static const struct hcf_field *named_field(struct hcf_spec_ctx *c, const struct hcf_ynode *k,
					   const struct hcf_op *op, const char *what,
					   const struct hcf_arg **arg)
{
	const char *dot = strchr(k->str, '.');
	*arg = pointer_input(c, k, op, (size_t)(dot - k->str), what);
	if (!*arg)
		return NULL;
	const struct hcf_struct *st = &c->abi->structs[(*arg)->struct_idx];
	for (size_t j = 0; j < st->nfields; j++)
		if (!strcmp(st->fields[j].name, dot + 1))
			return &st->fields[j];
	hcf_spec_err(c, k, "%s '%.60s': '%.40s' is not a field of struct '%.40s'", what, k->str,
		     dot + 1, st->name);
	return NULL;
}

/* A test of INPUT.FIELD: the field's bytes as the call found them. */
static bool resolve_field_test(struct hcf_spec_ctx *c, const struct hcf_ynode *k,
			       const struct hcf_op *op, struct hcf_pred *pr)
{
	const struct hcf_arg *a;
	const struct hcf_field *f = named_field(c, k, op, "condition", &a);
	if (!f)
		return false;
	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8) {
		hcf_spec_err(c, k, "condition '%.60s': a field test reads 1, 2, 4 or 8 bytes, not %u",
			     k->str, f->size);
		return false;
	}
	pr->reg = a->reg;
	pr->ptr_width = a->width;
	pr->in_field = true;
	pr->foffset = f->offset;
	pr->width = (uint8_t)(f->size * 8);
	return true;
}

/* A condition; fields_ok lets it test struct fields (INPUT.FIELD), which
 * only the oracles can read: where they judge with the guest's memory. */
static void parse_cond(struct hcf_spec_ctx *c, const struct hcf_ynode *map,
		       const struct hcf_op *op, bool fields_ok, struct hcf_cond *out)
{
	memset(out, 0, sizeof(*out));
	if (map->kind != HCF_Y_MAP) {
		hcf_spec_err(c, map, "a condition is a mapping of inputs to values, e.g. "
				     "{value: {not: 0}}, not %s", hcf_y_kind_name(map));
		return;
	}
	hcf_spec_check_dup_keys(c, map);
	size_t n = hcf_y_npairs(map);
	out->p = hcf_xcalloc(n ? n : 1, sizeof(*out->p));
	for (size_t i = 0; i < n; i++) {
		const struct hcf_ynode *k = hcf_y_key(map, i), *v = hcf_y_val(map, i);
		struct hcf_pred pr = { .mask = ~0ull };
		bool field = strchr(k->str, '.') != NULL;
		if (field && !fields_ok) {
			hcf_spec_err(c, k, "'%.60s': a struct field cannot be tested here, only in "
					   "ends: and in a known anomaly's when: (where the oracles "
					   "read guest memory)", k->str);
			continue;
		}
		if (!(field ? resolve_field_test(c, k, op, &pr)
			    : resolve_input(c, k, op, &pr.reg, &pr.width)) ||
		    !parse_test(c, v, k->str, &pr))
			continue;
		out->p[out->n++] = pr;
	}
}

void hcf_spec_cond(struct hcf_spec_ctx *c, const struct hcf_ynode *map, const struct hcf_op *op,
		   struct hcf_cond *out)
{
	parse_cond(c, map, op, false, out);
}

/* ---- the loss model ----------------------------------------------------- */

/* A way to end the guest: a liveness name the architecture can explain. */
static bool parse_end(struct hcf_spec_ctx *c, const struct hcf_ynode *n, unsigned *ends)
{
	if (n->kind != HCF_Y_SCALAR) {
		hcf_spec_err(c, n, "a way to end the guest is a name (shutdown, agent-panic, runaway, "
				   "halt, refused), not %s",
			     hcf_y_kind_name(n));
		return false;
	}
	int k = hcf_liveness_parse(n->str);
	if (k < 0) {
		hcf_spec_err(c, n, "unknown way to end the guest '%.40s' (known: shutdown, "
				   "agent-panic, runaway, halt, refused)", n->str);
		return false;
	}
	if (!hcf_liveness_declarable((enum hcf_liveness)k)) {
		hcf_spec_err(c, n, "'%.40s' cannot be declared: only a shutdown, an exception the "
				   "agent cannot survive, a guest running away into code of its own, "
				   "the guest's own halt or a VMM refusing a call by exiting is the "
				   "contract's doing; a hang, an internal error, a failed entry, an "
				   "unexpected exit, a crashed VMM or garbage is always a verdict", n->str);
		return false;
	}
	*ends |= 1u << k;
	return true;
}

/* One or several names. */
static bool parse_ends(struct hcf_spec_ctx *c, const struct hcf_ynode *n, unsigned *ends)
{
	if (n->kind != HCF_Y_SEQ)
		return parse_end(c, n, ends);
	bool ok = hcf_y_nitems(n) > 0;
	if (!ok)
		hcf_spec_err(c, n, "an empty list of ways to end the guest");
	for (size_t i = 0; i < hcf_y_nitems(n); i++)
		ok &= parse_end(c, n->kids[i], ends);
	return ok;
}

static void free_preds(struct hcf_cond *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->p[i].set.r);
	free(c->p);
	memset(c, 0, sizeof(*c));
}

/* Append b's predicates to a (a loss's own condition and the shared one). */
static void cond_append(struct hcf_cond *a, const struct hcf_cond *b)
{
	if (!b->n)
		return;
	a->p = hcf_xreallocarray(a->p, a->n + b->n, sizeof(*a->p));
	for (size_t i = 0; i < b->n; i++) {
		struct hcf_pred pr = b->p[i];
		pr.set.r = hcf_xcalloc(pr.set.n ? pr.set.n : 1, sizeof(*pr.set.r));
		memcpy(pr.set.r, b->p[i].set.r, pr.set.n * sizeof(*pr.set.r));
		a->p[a->n++] = pr;
	}
}

/* outside: INPUT (a pointer input: the struct it points to) or INPUT.FIELD
 * (a pointer field: the struct it points to; a buffer field: as many bytes
 * as its length field says). */
static bool parse_outside(struct hcf_spec_ctx *c, const struct hcf_ynode *n,
			  const struct hcf_op *op, struct hcf_loss *l)
{
	if (n->kind != HCF_Y_SCALAR || !n->len) {
		hcf_spec_err(c, n, "outside: a pointer input (the struct it points to) or "
				   "INPUT.FIELD (a pointer or buffer field of that struct), not %s",
			     hcf_y_kind_name(n));
		return false;
	}
	if (!op) {
		hcf_spec_err(c, n, "outside: an undeclared call has no inputs to name");
		return false;
	}
	const struct hcf_arg *a;
	const struct hcf_field *f = NULL;
	if (strchr(n->str, '.')) {
		if (!(f = named_field(c, n, op, "outside", &a)))
			return false;
	} else if (!(a = pointer_input(c, n, op, n->len, "outside"))) {
		return false;
	}
	const struct hcf_struct *st = &c->abi->structs[a->struct_idx];
	l->outside = true;
	l->oreg = a->reg;
	l->owidth = a->width;
	if (!f) {
		l->size = st->size;
		l->what = hcf_xasprintf("%s (struct %s, %u bytes) outside guest memory", a->name,
					st->name, st->size);
		return true;
	}
	l->from_field = true;
	l->start_off = f->offset;
	l->start_size = (uint8_t)f->size;
	if (f->points_to >= 0 && (size_t)f->points_to < c->abi->nstructs) {
		const struct hcf_struct *to = &c->abi->structs[f->points_to];
		l->size = to->size;
		l->what = hcf_xasprintf("%s (struct %s, %u bytes) outside guest memory", n->str,
					to->name, to->size);
		return true;
	}
	if (f->buffer_len_field < 0 || (size_t)f->buffer_len_field >= st->nfields) {
		hcf_spec_err(c, n, "outside '%.60s': field '%s' holds no address (pointer: or "
				   "buffer:)", n->str, f->name);
		return false;
	}
	const struct hcf_field *lf = &st->fields[f->buffer_len_field];
	if (lf->size != 1 && lf->size != 2 && lf->size != 4 && lf->size != 8) {
		hcf_spec_err(c, n, "outside '%.60s': its length field '%s' has %u bytes (1, 2, 4 "
				   "or 8)", n->str, lf->name, lf->size);
		return false;
	}
	l->len_field = true;
	l->len_off = lf->offset;
	l->len_size = (uint8_t)lf->size;
	l->what = hcf_xasprintf("%s + %s.%s outside guest memory", n->str, a->name, lf->name);
	return true;
}

static void push_loss(struct hcf_loss **losses, size_t *n, struct hcf_loss *l)
{
	*losses = hcf_xreallocarray(*losses, *n + 1, sizeof(**losses));
	(*losses)[(*n)++] = *l;
	memset(l, 0, sizeof(*l));
}

/*
 * The items of an ends: value (a way, a list of ways, or a list of items
 * {by, when, outside, must, why}) into losses; shared is a condition every
 * item also needs (destructive's when:). op is the call whose inputs the
 * conditions name (NULL: an undeclared number, registers only).
 */
static void parse_end_items(struct hcf_spec_ctx *c, const struct hcf_ynode *ends,
			    const struct hcf_op *op, const struct hcf_cond *shared,
			    struct hcf_loss **losses, size_t *nlosses)
{
	static const struct hcf_spec_key item_keys[] = {
		{ "by", S | Q, true, 0 },
		{ "when", M, false, 0 },
		{ "outside", S, false, 0 },
		{ "must", S, false, 0 },
		{ "why", S, false, 0 },
	};
	if (ends->kind == HCF_Y_SEQ && !hcf_y_nitems(ends))
		hcf_spec_err(c, ends, "an empty list of ways to end the guest");
	size_t n = ends->kind == HCF_Y_SEQ ? hcf_y_nitems(ends) : 1;
	for (size_t i = 0; i < n; i++) {
		const struct hcf_ynode *it = ends->kind == HCF_Y_SEQ ? ends->kids[i] : ends;
		struct hcf_loss l = { 0 };
		if (it->kind == HCF_Y_MAP) {
			const struct hcf_ynode *w[5];
			if (!hcf_spec_map_keys(c, it, "way to end the guest", item_keys, 5, 0, w) ||
			    !parse_ends(c, w[0], &l.ends))
				continue;
			if (w[1])
				parse_cond(c, w[1], op, true, &l.when);
			if (w[2] && !parse_outside(c, w[2], op, &l)) {
				free(l.what);
				free_preds(&l.when);
				continue;
			}
			if (w[3])
				hcf_y_bool(c, w[3], "must", &l.must);
			if (w[4] && w[4]->len)
				l.why = hcf_xstrdup(w[4]->str);
		} else if (!parse_end(c, it, &l.ends)) {
			continue;
		}
		cond_append(&l.when, shared);
		push_loss(losses, nlosses, &l);
	}
}

/* hands_over: "how" or {how: "how", rip: INPUT}: the input, when given, is
 * the rip the guest resumes at. */
static void parse_hands_over(struct hcf_spec_ctx *c, const struct hcf_ynode *n, struct hcf_op *op,
			     const struct hcf_cond *shared)
{
	static const struct hcf_spec_key keys[] = {
		{ "how", S, true, 0 },
		{ "rip", S, false, 0 },
	};
	const struct hcf_ynode *how = n, *v[2];
	if (n->kind == HCF_Y_MAP) {
		if (!hcf_spec_map_keys(c, n, "hands_over", keys, 2, 0, v))
			return;
		how = v[0];
		uint8_t width;
		if (v[1] && resolve_input(c, v[1], op, &op->hands_over_rip, &width) && width != 64)
			hcf_spec_err(c, v[1], "%s: hands_over rip: a 64-bit input, not %u bits",
				     op->name, width);
	}
	if (!how->len)
		hcf_spec_err(c, how, "%s: hands_over: says how the call hands the guest over "
				     "(\"resumes at rip = rbx\"), not nothing", op->name);
	op->hands_over = hcf_xstrdup(how->str);
	cond_append(&op->hands_over_when, shared);
}

void hcf_spec_losses(struct hcf_spec_ctx *c, const struct hcf_ynode *map, struct hcf_op *op)
{
	static const struct hcf_spec_key keys[] = {
		{ "why", S, false, 0 },
		{ "ends", S | Q | M, false, 0 },
		{ "when", M, false, 0 },
		{ "hands_over", S | M, false, 0 },
	};
	const struct hcf_ynode *v[4];
	if (!hcf_spec_map_keys(c, map, "destructive", keys, 4, 0, v))
		return;
	if (v[0] && v[0]->len)
		op->destructive_why = hcf_xstrdup(v[0]->str);
	struct hcf_cond shared = { 0 };
	if (v[2]) {
		if (!v[1] && !v[3])
			hcf_spec_err(c, v[2], "%s: when: without ends: or hands_over: says nothing "
					      "(when may the call end the guest, and how?)", op->name);
		hcf_spec_cond(c, v[2], op, &shared);
	}
	if (v[3])
		parse_hands_over(c, v[3], op, &shared);
	if (v[1])
		parse_end_items(c, v[1], op, &shared, &op->losses, &op->nlosses);
	free_preds(&shared);
}

void hcf_spec_ends(struct hcf_spec_ctx *c, const struct hcf_ynode *ends, struct hcf_op *op)
{
	static const struct hcf_cond none;
	if (op->nlosses || op->hands_over) {
		hcf_spec_err(c, ends, "%s: ends: said twice: a destructive call says how it may end "
				      "the guest in destructive:, other calls here", op->name);
		return;
	}
	parse_end_items(c, ends, op, &none, &op->losses, &op->nlosses);
}

void hcf_spec_undeclared_ends(struct hcf_spec_ctx *c, const struct hcf_ynode *ends)
{
	static const struct hcf_cond none;
	parse_end_items(c, ends, NULL, &none, &c->abi->undeclared_losses,
			&c->abi->undeclared_nlosses);
}

/* ---- known anomalies -------------------------------------------------- */

enum { AK_ID, AK_SUMMARY, AK_CALLS, AK_MATCH, AK_CHECKS, AK_WHEN, AK_AFTER, AK_TARGETS,
       AK_REPRODUCE, AK_EVIDENCE, AK_COUNT };
static const struct hcf_spec_key anomaly_keys[AK_COUNT] = {
	[AK_ID] = { "id", S, true, 0 },
	[AK_SUMMARY] = { "summary", S, true, 0 },
	[AK_CALLS] = { "calls", S | Q, true, 0 },
	[AK_MATCH] = { "match", M, true, 0 },
	[AK_CHECKS] = { "checks", Q, false, 0 },
	[AK_WHEN] = { "when", M, false, 0 },
	[AK_AFTER] = { "after", M, false, 0 },
	[AK_TARGETS] = { "targets", S | Q, false, 0 },
	[AK_REPRODUCE] = { "reproduce", S, true, 0 },
	[AK_EVIDENCE] = { "evidence", S, true, 0 },
};

static bool is_anomaly_id(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* calls: op names, or "undeclared" (stored as -1). */
static void parse_anomaly_calls(struct hcf_spec_ctx *c, const struct hcf_ynode *n,
				struct hcf_anomaly *a)
{
	size_t cnt = n->kind == HCF_Y_SEQ ? hcf_y_nitems(n) : 1;
	if (cnt == 0)
		hcf_spec_err(c, n, "calls: name at least one call");
	a->ops = hcf_xcalloc(cnt ? cnt : 1, sizeof(*a->ops));
	for (size_t i = 0; i < cnt; i++) {
		const struct hcf_ynode *it = n->kind == HCF_Y_SEQ ? n->kids[i] : n;
		if (it->kind != HCF_Y_SCALAR) {
			hcf_spec_err(c, it, "calls: a call name, not %s", hcf_y_kind_name(it));
			continue;
		}
		if (!strcmp(it->str, "undeclared")) {
			a->ops[a->nops++] = -1;
			continue;
		}
		const struct hcf_op *op = hcf_spec_op_by_name(c->abi, it->str);
		if (!op)
			hcf_spec_err(c, it, "unknown call '%.60s' (a call or call.subop of this spec, or "
					    "undeclared)", it->str);
		else
			a->ops[a->nops++] = (int)(op - c->abi->ops);
	}
}

static const struct hcf_op *first_op(const struct hcf_spec_ctx *c, const struct hcf_anomaly *a)
{
	return a->nops && a->ops[0] >= 0 ? &c->abi->ops[a->ops[0]] : NULL;
}

/* A condition names inputs of the first call; the others must have them in
 * the same registers, or the test would mean different things. */
static void check_cond_calls(struct hcf_spec_ctx *c, const struct hcf_ynode *when,
			     const struct hcf_anomaly *a)
{
	for (size_t i = 1; i < a->nops; i++) {
		const struct hcf_op *op = a->ops[i] >= 0 ? &c->abi->ops[a->ops[i]] : NULL;
		for (size_t k = 0; k < hcf_y_npairs(when); k++) {
			uint8_t reg, width, reg0 = 0, w0 = 0;
			const struct hcf_ynode *key = hcf_y_key(when, k);
			if (strchr(key->str, '.')) {
				/* a field: the same bytes of the same pointer input */
				struct hcf_pred p0 = { 0 }, p1 = { 0 };
				if (!resolve_field_test(c, key, first_op(c, a), &p0) ||
				    !resolve_field_test(c, key, op, &p1))
					return;
				if (p0.reg != p1.reg || p0.ptr_width != p1.ptr_width ||
				    p0.foffset != p1.foffset || p0.width != p1.width) {
					hcf_spec_err(c, key, "'%.40s' is another field in another call of "
							     "this anomaly (offset %u and %u)",
						     key->str, p0.foffset, p1.foffset);
					return;
				}
				continue;
			}
			if (!resolve_input(c, key, first_op(c, a), &reg0, &w0) ||
			    !resolve_input(c, key, op, &reg, &width))
				return;
			if (reg != reg0 || width != w0) {
				hcf_spec_err(c, key, "'%.40s' is %s in one call of this anomaly and %s in "
						     "another: name the register instead",
					     key->str, hcf_reg_name(reg0), hcf_reg_name(reg));
				return;
			}
		}
	}
}

enum { MK_REG, MK_VALUE, MK_INSTEAD, MK_EXC, MK_OUTCOME, MK_RIP, MK_MEMORY, MK_FIELD, MK_COUNT };
static const struct hcf_spec_key match_keys[MK_COUNT] = {
	[MK_FIELD] = { "field", S, false, 0 },
	[MK_REG] = { "reg", S, false, 0 },
	[MK_VALUE] = { "value", S | Q | M, false, 0 },
	[MK_INSTEAD] = { "instead_of", S, false, 0 },
	[MK_EXC] = { "exception", S | Q, false, 0 },
	[MK_OUTCOME] = { "outcome", S | Q, false, 0 },
	[MK_RIP] = { "rip", S | Q | M, false, 0 },
	[MK_MEMORY] = { "memory", M, false, 0 },
};

static void parse_memory_match(struct hcf_spec_ctx *c, const struct hcf_ynode *n,
			       struct hcf_anomaly *a)
{
	static const struct hcf_spec_key keys[] = {
		{ "at", S, true, 0 },
		{ "align_down", S, false, 0 },
		{ "size", S, true, 0 },
	};
	const struct hcf_ynode *v[3];
	if (!hcf_spec_map_keys(c, n, "memory match", keys, 3, 0, v))
		return;
	uint8_t width;
	if (!resolve_input(c, v[0], first_op(c, a), &a->mem_reg, &width))
		return;
	uint64_t x;
	a->mem_align = 1;
	if (v[1] && hcf_y_uint(c, v[1], 1ull << 30, "align_down", &x)) {
		if (x == 0 || (x & (x - 1)))
			hcf_spec_err(c, v[1], "align_down %llu is not a power of two",
				     (unsigned long long)x);
		else
			a->mem_align = x;
	}
	if (hcf_y_uint(c, v[2], 1u << 30, "size", &x)) {
		if (x == 0)
			hcf_spec_err(c, v[2], "a window of size 0 matches nothing");
		a->mem_size = (uint32_t)x;
	}
}

/* field: STRUCT.FIELD with value: what the field holds after the call
 * instead of what the contract says (the model's or retval's issue there). */
static void parse_field_match(struct hcf_spec_ctx *c, const struct hcf_ynode *n,
			      const struct hcf_ynode *value, struct hcf_anomaly *a)
{
	a->kind = HCF_ANOM_FIELD;
	/* STRUCT.FIELD, or FIELD in whichever struct the call points to */
	const char *dot = strchr(n->str, '.');
	size_t slen = dot ? (size_t)(dot - n->str) : 0;
	const char *fname = dot ? dot + 1 : n->str;
	bool found = false;
	for (size_t i = 0; i < c->abi->nstructs && !found; i++) {
		const struct hcf_struct *st = &c->abi->structs[i];
		if (dot && (strlen(st->name) != slen || strncmp(st->name, n->str, slen)))
			continue;
		for (size_t j = 0; j < st->nfields && !found; j++)
			found = !strcmp(st->fields[j].name, fname);
	}
	if (!found)
		hcf_spec_err(c, n, "field: '%.60s' is no STRUCT.FIELD (or FIELD of a struct) of this "
				   "spec", n->str);
	a->field = hcf_xstrdup(n->str);
	if (!value)
		hcf_spec_err(c, n, "field: needs value: (the value the field holds instead of what "
				   "the contract says)");
	else
		parse_values(c, value, "value", &a->values);
}

static void parse_outcomes(struct hcf_spec_ctx *c, const struct hcf_ynode *n, unsigned *out)
{
	size_t cnt = n->kind == HCF_Y_SEQ ? hcf_y_nitems(n) : 1;
	for (size_t i = 0; i < cnt; i++) {
		const struct hcf_ynode *it = n->kind == HCF_Y_SEQ ? n->kids[i] : n;
		int k = it->kind == HCF_Y_SCALAR ? hcf_liveness_parse(it->str) : -1;
		if (k <= HCF_LIVE_OK || k == HCF_LIVE_HARNESS)
			hcf_spec_err(c, it, "outcome '%.40s': a way the hypervisor ends a guest (hang, "
					    "shutdown, kvm-internal-error, entry-failed, agent-panic, "
					    "protocol-violation, unexpected-exit)",
				     it->kind == HCF_Y_SCALAR ? it->str : hcf_y_kind_name(it));
		else
			*out |= 1u << k;
	}
}

static void parse_match(struct hcf_spec_ctx *c, const struct hcf_ynode *n, struct hcf_anomaly *a)
{
	const struct hcf_ynode *v[MK_COUNT];
	if (!hcf_spec_map_keys(c, n, "match", match_keys, MK_COUNT, 0, v))
		return;
	int forms = !!v[MK_REG] + !!v[MK_EXC] + !!v[MK_OUTCOME] + !!v[MK_MEMORY] + !!v[MK_FIELD];
	if (forms != 1) {
		hcf_spec_err(c, n, "match: exactly one of reg: (with value:), field: (with value:), "
				   "exception:, outcome: or memory:");
		return;
	}
	a->instead_of = -1;
	if (v[MK_VALUE] && !v[MK_REG] && !v[MK_FIELD])
		hcf_spec_err(c, v[MK_VALUE], "value: goes with reg: or field:");
	if (v[MK_INSTEAD] && !v[MK_REG])
		hcf_spec_err(c, v[MK_INSTEAD], "instead_of: goes with reg:");
	if (v[MK_FIELD]) {
		parse_field_match(c, v[MK_FIELD], v[MK_VALUE], a);
		return;
	}
	if (v[MK_RIP] && !v[MK_OUTCOME])
		hcf_spec_err(c, v[MK_RIP], "rip: goes with outcome: (where the guest was when "
					   "it was lost)");
	if (v[MK_REG]) {
		unsigned w, r = hcf_reg_parse(v[MK_REG]->str, &w);
		a->kind = HCF_ANOM_REG;
		if (r == HCF_REG_NONE)
			hcf_spec_err(c, v[MK_REG], "unknown register '%.40s'", v[MK_REG]->str);
		a->reg = (uint8_t)r;
		if (!v[MK_VALUE])
			hcf_spec_err(c, v[MK_REG], "reg: needs value: (the value the register holds "
						   "instead of what the contract says)");
		else
			parse_values(c, v[MK_VALUE], "value", &a->values);
		if (v[MK_INSTEAD]) {
			a->instead_of = hcf_x86_exc_parse(v[MK_INSTEAD]->str);
			if (a->instead_of < 0)
				hcf_spec_err(c, v[MK_INSTEAD], "instead_of: an exception (GP, UD ...), "
							       "not '%.40s'", v[MK_INSTEAD]->str);
		}
	} else if (v[MK_EXC]) {
		a->kind = HCF_ANOM_EXCEPTION;
		const struct hcf_ynode *e = v[MK_EXC];
		if (e->kind == HCF_Y_SEQ) {
			hcf_spec_exceptions(c, e, &a->vectors);
		} else {
			int vec = hcf_x86_exc_parse(e->str);
			if (vec < 0)
				hcf_spec_err(c, e, "unknown exception '%.40s'", e->str);
			else
				a->vectors = 1u << vec;
		}
	} else if (v[MK_OUTCOME]) {
		a->kind = HCF_ANOM_OUTCOME;
		parse_outcomes(c, v[MK_OUTCOME], &a->outcomes);
		if (v[MK_RIP]) {
			a->rip = (struct hcf_pred){ .mask = ~0ull, .width = 64 };
			a->has_rip = parse_test(c, v[MK_RIP], "rip", &a->rip);
		}
	} else {
		a->kind = HCF_ANOM_MEMORY;
		parse_memory_match(c, v[MK_MEMORY], a);
	}
}

static void parse_checks(struct hcf_spec_ctx *c, const struct hcf_ynode *seq, uint32_t *out)
{
	for (size_t i = 0; i < hcf_y_nitems(seq); i++) {
		const struct hcf_ynode *it = seq->kids[i];
		uint32_t bit = it->kind == HCF_Y_SCALAR ? hcf_anomaly_check_bit(it->str) : 0;
		if (!bit)
			hcf_spec_err(c, it, "checks: an oracle name (liveness, exception, clobber, "
					    "retval, model, memory), not '%.40s'",
				     it->kind == HCF_Y_SCALAR ? it->str : hcf_y_kind_name(it));
		*out |= bit;
	}
}

/* targets: a target name or a list of them (docs/targets.md names them). */
static void parse_targets(struct hcf_spec_ctx *c, const struct hcf_ynode *n, struct hcf_anomaly *a)
{
	size_t count = n->kind == HCF_Y_SEQ ? hcf_y_nitems(n) : 1;
	a->targets = hcf_xcalloc(count, sizeof(*a->targets));
	for (size_t i = 0; i < count; i++) {
		const struct hcf_ynode *it = n->kind == HCF_Y_SEQ ? n->kids[i] : n;
		const char *s = it->kind == HCF_Y_SCALAR ? it->str : "";
		bool ok = *s && strlen(s) < 16;
		for (const char *q = s; *q; q++)
			ok &= (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-';
		if (!ok) {
			hcf_spec_err(c, it, "targets: a target name (kvm, qemu, kvm-nested ...), not '%.40s'",
				     it->kind == HCF_Y_SCALAR ? s : hcf_y_kind_name(it));
			continue;
		}
		a->targets[a->ntargets++] = hcf_xstrdup(s);
	}
}

/* after: {call: NAME, when: CONDITION}: an earlier call of the program. */
static void parse_after(struct hcf_spec_ctx *c, const struct hcf_ynode *n, struct hcf_anomaly *a)
{
	static const struct hcf_spec_key keys[] = {
		{ "call", S, true, 0 },
		{ "when", M, false, 0 },
	};
	const struct hcf_ynode *v[2];
	if (!hcf_spec_map_keys(c, n, "after", keys, 2, 0, v))
		return;
	const struct hcf_op *op = hcf_spec_op_by_name(c->abi, v[0]->str);
	if (!op) {
		hcf_spec_err(c, v[0], "after: unknown call '%.60s'", v[0]->str);
		return;
	}
	a->after_op = (int)(op - c->abi->ops);
	if (v[1])
		hcf_spec_cond(c, v[1], op, &a->after_when);
}

static void parse_anomaly(struct hcf_spec_ctx *c, const struct hcf_ynode *it)
{
	struct hcf_abi *abi = c->abi;
	const struct hcf_ynode *v[AK_COUNT];
	if (!hcf_spec_map_keys(c, it, "known anomaly", anomaly_keys, AK_COUNT, 0, v))
		return;
	abi->anomalies = hcf_xreallocarray(abi->anomalies, abi->nanomalies + 1,
					   sizeof(*abi->anomalies));
	struct hcf_anomaly *a = &abi->anomalies[abi->nanomalies++];
	memset(a, 0, sizeof(*a));
	a->pos = hcf_spec_pos(c, it);
	a->id = hcf_xstrdup(v[AK_ID]->str);
	a->summary = hcf_xstrdup(v[AK_SUMMARY]->str);
	a->evidence = hcf_xstrdup(v[AK_EVIDENCE]->str);
	a->reproduce = hcf_xstrdup(v[AK_REPRODUCE]->str);
	if (!is_anomaly_id(a->id))
		hcf_spec_err(c, v[AK_ID], "anomaly id '%.40s': use letters, digits, '-', '_' and '.'",
			     a->id);
	for (size_t i = 0; i + 1 < abi->nanomalies; i++)
		if (!strcmp(abi->anomalies[i].id, a->id))
			hcf_spec_err(c, v[AK_ID], "anomaly id '%.40s' already used at %u:%u", a->id,
				     abi->anomalies[i].pos.line, abi->anomalies[i].pos.col);
	for (const char *s = a->summary; *s; s++)
		if (*s == '\n') {
			hcf_spec_err(c, v[AK_SUMMARY], "summary: one line (it heads every report "
						       "line of the anomaly)");
			break;
		}
	if (!v[AK_REPRODUCE]->len)
		hcf_spec_err(c, v[AK_REPRODUCE], "reproduce: a program that shows the anomaly");
	parse_anomaly_calls(c, v[AK_CALLS], a);
	if (v[AK_WHEN]) {
		parse_cond(c, v[AK_WHEN], first_op(c, a), true, &a->when);
		check_cond_calls(c, v[AK_WHEN], a);
	}
	a->after_op = -1;
	if (v[AK_AFTER])
		parse_after(c, v[AK_AFTER], a);
	if (v[AK_CHECKS])
		parse_checks(c, v[AK_CHECKS], &a->checks);
	if (v[AK_TARGETS])
		parse_targets(c, v[AK_TARGETS], a);
	parse_match(c, v[AK_MATCH], a);
}

void hcf_spec_anomalies(struct hcf_spec_ctx *c, const struct hcf_ynode *seq)
{
	for (size_t i = 0; i < hcf_y_nitems(seq); i++)
		parse_anomaly(c, seq->kids[i]);
}
