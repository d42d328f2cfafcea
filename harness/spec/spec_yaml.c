/*
 * spec_yaml.c: YAML text to a positioned tree, and the typed accessors the
 * spec dialects use on it.
 *
 * libyaml's event API does the parsing; the tree is built here rather than
 * with yaml_parser_load because the loader needs things the document API
 * hides: the position of an alias (refused: a contract should read the same
 * top to bottom), explicit tags (refused), a second document (refused) and a
 * nesting limit (so a hostile file cannot make any walker recurse deeply).
 * libyaml does not reject repeated mapping keys; hcf_spec_map_keys and
 * hcf_spec_check_dup_keys do.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "spec/spec_parse.h"
#include "util/xalloc.h"

/* ---- diagnostics ------------------------------------------------------- */

struct hcf_srcpos hcf_spec_pos(const struct hcf_spec_ctx *c, const struct hcf_ynode *n)
{
	struct hcf_srcpos p = { c->file, n ? n->line : 0, n ? n->col : 0 };
	return p;
}

void hcf_spec_err(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *fmt, ...)
{
	struct hcf_srcpos p = hcf_spec_pos(c, n);
	va_list ap;
	va_start(ap, fmt);
	hcf_diag_vadd(c->diags, &p, fmt, ap);
	va_end(ap);
	c->nerr++;
}

const char *hcf_spec_pos_str(const struct hcf_spec_ctx *c, const struct hcf_srcpos *p, char *buf,
			     size_t len)
{
	if (p->file && c->file && strcmp(p->file, c->file) != 0)
		snprintf(buf, len, "%s:%u:%u", p->file, p->line, p->col);
	else
		snprintf(buf, len, "%u:%u", p->line, p->col);
	return buf;
}

/* ---- tree -------------------------------------------------------------- */

void hcf_yaml_free(struct hcf_ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		hcf_yaml_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static struct hcf_ynode *new_node(enum hcf_ykind kind, const yaml_mark_t *m)
{
	struct hcf_ynode *n = hcf_xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	return n;
}

static void add_kid(struct hcf_ynode *parent, struct hcf_ynode *kid)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->kids = hcf_xreallocarray(parent->kids, parent->cap, sizeof(*parent->kids));
	}
	parent->kids[parent->n++] = kid;
}

/* Line and column of a byte offset, for reader errors (bad encoding), which
 * libyaml reports by offset only. */
static void offset_pos(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, co = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			l++;
			co = 1;
		} else {
			co++;
		}
	}
	*line = l;
	*col = co;
}

static void report_parser_error(struct hcf_spec_ctx *c, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown YAML error";
	unsigned line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		hcf_diag_add(c->diags, &(struct hcf_srcpos){ c->file, 0, 0 },
			     "YAML parser out of memory");
		c->nerr++;
		return;
	case YAML_READER_ERROR:
		offset_pos(c->text, c->text_len, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			hcf_diag_addf(c->diags, c->file, line, col, "YAML syntax error: %s (byte 0x%x)",
				      problem, (unsigned)p->problem_value & 0xffffffffu);
		else
			hcf_diag_addf(c->diags, c->file, line, col, "YAML syntax error: %s", problem);
		c->nerr++;
		return;
	default:
		break;
	}
	line = (unsigned)p->problem_mark.line + 1;
	col = (unsigned)p->problem_mark.column + 1;
	if (p->context)
		hcf_diag_addf(c->diags, c->file, line, col,
			      "YAML syntax error: %s (%s at %u:%u)", problem, p->context,
			      (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
	else
		hcf_diag_addf(c->diags, c->file, line, col, "YAML syntax error: %s", problem);
	c->nerr++;
}

static bool has_tag(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return ev->data.scalar.tag != NULL;
	case YAML_SEQUENCE_START_EVENT:
		return ev->data.sequence_start.tag != NULL;
	case YAML_MAPPING_START_EVENT:
		return ev->data.mapping_start.tag != NULL;
	default:
		return false;
	}
}

static const char *tag_of(const yaml_event_t *ev)
{
	const yaml_char_t *t = NULL;
	if (ev->type == YAML_SCALAR_EVENT)
		t = ev->data.scalar.tag;
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		t = ev->data.sequence_start.tag;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		t = ev->data.mapping_start.tag;
	return t ? (const char *)t : "";
}

struct hcf_ynode *hcf_yaml_parse(struct hcf_spec_ctx *c, const char *text, size_t len)
{
	yaml_parser_t p;
	struct hcf_ynode *stack[HCF_YAML_MAX_DEPTH];
	size_t depth = 0;
	struct hcf_ynode *root = NULL;
	unsigned ndocs = 0;
	bool ok = true, done = false;

	c->text = text;
	c->text_len = len;
	if (!yaml_parser_initialize(&p)) {
		hcf_diag_add(c->diags, &(struct hcf_srcpos){ c->file, 0, 0 },
			     "cannot initialise the YAML parser");
		c->nerr++;
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);

	while (ok && !done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			report_parser_error(c, &p);
			ok = false;
			break;
		}
		struct hcf_ynode *node = NULL;
		const yaml_mark_t *m = &ev.start_mark;
		unsigned line = (unsigned)m->line + 1, col = (unsigned)m->column + 1;

		if (has_tag(&ev)) {
			hcf_diag_addf(c->diags, c->file, line, col,
				      "YAML tags (%.60s) are not allowed in spec files", tag_of(&ev));
			c->nerr++;
			ok = false;
		}
		switch (ok ? ev.type : YAML_NO_EVENT) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				hcf_diag_addf(c->diags, c->file, line, col,
					      "a second YAML document: a spec file holds exactly one");
				c->nerr++;
				ok = false;
			}
			break;
		case YAML_ALIAS_EVENT:
			hcf_diag_addf(c->diags, c->file, line, col,
				      "YAML alias '*%.60s': aliases are not allowed in spec files",
				      (const char *)ev.data.alias.anchor);
			c->nerr++;
			ok = false;
			break;
		case YAML_SCALAR_EVENT:
			node = new_node(HCF_Y_SCALAR, m);
			node->len = ev.data.scalar.length;
			node->str = hcf_xmalloc(node->len + 1);
			memcpy(node->str, ev.data.scalar.value, node->len);
			node->str[node->len] = '\0';
			node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			if (memchr(node->str, '\0', node->len)) {
				hcf_diag_addf(c->diags, c->file, line, col,
					      "string contains a NUL character");
				c->nerr++;
				ok = false;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
			node = new_node(HCF_Y_SEQ, m);
			break;
		case YAML_MAPPING_START_EVENT:
			node = new_node(HCF_Y_MAP, m);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth)
				depth--;
			break;
		default:
			break;
		}
		if (node) {
			/* Attach first so that the tree owns the node whatever happens next. */
			if (depth == 0) {
				if (root)
					hcf_yaml_free(root);
				root = node;
			} else {
				struct hcf_ynode *parent = stack[depth - 1];
				if (parent->kind == HCF_Y_MAP && parent->n % 2 == 0 &&
				    node->kind != HCF_Y_SCALAR) {
					hcf_diag_addf(c->diags, c->file, line, col,
						      "mapping keys must be plain strings, not %s",
						      hcf_y_kind_name(node));
					c->nerr++;
					ok = false;
				}
				add_kid(parent, node);
			}
			if (node->kind != HCF_Y_SCALAR) {
				if (depth == HCF_YAML_MAX_DEPTH) {
					hcf_diag_addf(c->diags, c->file, line, col,
						      "nesting deeper than %d levels",
						      HCF_YAML_MAX_DEPTH);
					c->nerr++;
					ok = false;
				} else {
					stack[depth++] = node;
				}
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (!ok) {
		hcf_yaml_free(root);
		return NULL;
	}
	if (!root) {
		hcf_diag_addf(c->diags, c->file, 1, 1, "empty file: no YAML document");
		c->nerr++;
		return NULL;
	}
	return root;
}

/* ---- accessors --------------------------------------------------------- */

bool hcf_y_is_null(const struct hcf_ynode *n)
{
	return n && n->kind == HCF_Y_SCALAR && n->plain &&
	       (n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null"));
}

const char *hcf_y_kind_name(const struct hcf_ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case HCF_Y_SEQ:
		return "a list";
	case HCF_Y_MAP:
		return "a mapping";
	default:
		return hcf_y_is_null(n) ? "an empty value" : "a scalar";
	}
}

size_t hcf_y_npairs(const struct hcf_ynode *n)
{
	return n && n->kind == HCF_Y_MAP ? n->n / 2 : 0;
}

size_t hcf_y_nitems(const struct hcf_ynode *n)
{
	return n && n->kind == HCF_Y_SEQ ? n->n : 0;
}

const struct hcf_ynode *hcf_y_get(const struct hcf_ynode *map, const char *key)
{
	for (size_t i = 0; i < hcf_y_npairs(map); i++)
		if (!strcmp(hcf_y_key(map, i)->str, key))
			return hcf_y_val(map, i);
	return NULL;
}

static const char *types_name(unsigned t)
{
	static const char *const names[8] = {
		"nothing", "a scalar", "a list", "a scalar or a list",
		"a mapping", "a scalar or a mapping", "a list or a mapping", "anything",
	};
	return names[t & 7];
}

static bool type_ok(const struct hcf_ynode *v, unsigned types)
{
	switch (v->kind) {
	case HCF_Y_SEQ:
		return types & HCF_YT_SEQ;
	case HCF_Y_MAP:
		return types & HCF_YT_MAP;
	default:
		/* An empty value stands for an empty list or mapping. */
		return (types & HCF_YT_SCALAR) ||
		       (hcf_y_is_null(v) && (types & (HCF_YT_SEQ | HCF_YT_MAP)));
	}
}

bool hcf_spec_map_keys(struct hcf_spec_ctx *c, const struct hcf_ynode *map, const char *what,
		       const struct hcf_spec_key *keys, size_t nkeys, unsigned where,
		       const struct hcf_ynode **vals)
{
	unsigned before = c->nerr;
	const struct hcf_ynode *keynode[64];

	for (size_t k = 0; k < nkeys; k++) {
		vals[k] = NULL;
		keynode[k] = NULL;
	}
	if (nkeys > 64 || !map)
		return false;
	if (map->kind != HCF_Y_MAP && !hcf_y_is_null(map)) {
		hcf_spec_err(c, map, "%s must be a mapping, not %s", what, hcf_y_kind_name(map));
		return false;
	}
	for (size_t i = 0; i < hcf_y_npairs(map); i++) {
		const struct hcf_ynode *key = hcf_y_key(map, i), *val = hcf_y_val(map, i);
		size_t k;
		for (k = 0; k < nkeys; k++)
			if ((!keys[k].where || (keys[k].where & where)) &&
			    !strcmp(keys[k].name, key->str))
				break;
		if (k == nkeys) {
			char allowed[200];
			size_t off = 0;
			allowed[0] = '\0';
			for (size_t j = 0; j < nkeys && off < sizeof(allowed); j++) {
				if (keys[j].where && !(keys[j].where & where))
					continue;
				int w = snprintf(allowed + off, sizeof(allowed) - off, "%s%s",
						 off ? ", " : "", keys[j].name);
				if (w < 0)
					break;
				off += (size_t)w;
			}
			hcf_spec_err(c, key, "unknown key '%.40s' in %s (allowed: %s)", key->str, what,
				     allowed);
			continue;
		}
		if (keynode[k]) {
			hcf_spec_err(c, key, "duplicate key '%s' in %s (first at %u:%u)", keys[k].name,
				     what, keynode[k]->line, keynode[k]->col);
			continue;
		}
		keynode[k] = key;
		if (!type_ok(val, keys[k].types)) {
			hcf_spec_err(c, val, "'%s' must be %s, not %s", keys[k].name,
				     types_name(keys[k].types), hcf_y_kind_name(val));
			continue;
		}
		vals[k] = val;
	}
	for (size_t k = 0; k < nkeys; k++)
		if (keys[k].required && !keynode[k] && (!keys[k].where || (keys[k].where & where)))
			hcf_spec_err(c, map, "%s: missing required key '%s'", what, keys[k].name);
	return c->nerr == before;
}

/* Sorting helpers: entries carry their original index so that the first
 * occurrence in the file stays the reference and later ones are reported. */
struct dup_ent {
	uint64_t num;
	const char *name;
	size_t idx;
};

static int cmp_num(const void *a, const void *b)
{
	const struct dup_ent *x = a, *y = b;
	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_name(const void *a, const void *b)
{
	const struct dup_ent *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

bool hcf_spec_check_dup_keys(struct hcf_spec_ctx *c, const struct hcf_ynode *map)
{
	size_t n = hcf_y_npairs(map);
	if (n < 2)
		return true;
	unsigned before = c->nerr;
	struct dup_ent *e = hcf_xcalloc(n, sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		e[i].name = hcf_y_key(map, i)->str;
		e[i].idx = i;
	}
	qsort(e, n, sizeof(*e), cmp_name);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(e[i].name, e[first].name) != 0) {
			first = i;
			continue;
		}
		const struct hcf_ynode *k0 = hcf_y_key(map, e[first].idx);
		hcf_spec_err(c, hcf_y_key(map, e[i].idx), "duplicate key '%.60s' (first at %u:%u)",
			     e[i].name, k0->line, k0->col);
	}
	free(e);
	return c->nerr == before;
}

static void report_dup(struct hcf_spec_ctx *c, const struct hcf_srcpos *at,
		       const struct hcf_srcpos *first, const char *msg)
{
	char where[300];
	hcf_diag_add(c->diags, at, "%s at %s", msg, hcf_spec_pos_str(c, first, where, sizeof(where)));
	c->nerr++;
}

void hcf_spec_dup_numbers(struct hcf_spec_ctx *c, size_t n, const uint64_t *keys,
			  const char *const *owners, const struct hcf_srcpos *pos,
			  const char *what)
{
	if (n < 2)
		return;
	struct dup_ent *e = hcf_xcalloc(n, sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		e[i].num = keys[i];
		e[i].idx = i;
	}
	qsort(e, n, sizeof(*e), cmp_num);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (e[i].num != e[first].num) {
			first = i;
			continue;
		}
		char msg[200];
		snprintf(msg, sizeof(msg), "%s %llu already used by %.60s", what,
			 (unsigned long long)e[i].num, owners[e[first].idx]);
		report_dup(c, &pos[e[i].idx], &pos[e[first].idx], msg);
	}
	free(e);
}

void hcf_spec_dup_names(struct hcf_spec_ctx *c, size_t n, const char *const *names,
			const struct hcf_srcpos *pos, const char *what)
{
	if (n < 2)
		return;
	struct dup_ent *e = hcf_xcalloc(n, sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		e[i].name = names[i];
		e[i].idx = i;
	}
	qsort(e, n, sizeof(*e), cmp_name);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(e[i].name, e[first].name) != 0) {
			first = i;
			continue;
		}
		char msg[200];
		snprintf(msg, sizeof(msg), "%s '%.60s' already used", what, e[i].name);
		report_dup(c, &pos[e[i].idx], &pos[e[first].idx], msg);
	}
	free(e);
}

/* ---- scalars ----------------------------------------------------------- */

static int digit_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return 99;
}

bool hcf_spec_int_syntax(const char *s, bool *neg, uint64_t *mag)
{
	unsigned base = 10;
	uint64_t v = 0;

	*neg = false;
	if (*s == '-') {
		*neg = true;
		s++;
	}
	if (s[0] == '0' && s[1] != '\0') {
		switch (s[1]) {
		case 'x': case 'X': base = 16; break;
		case 'o': case 'O': base = 8; break;
		case 'b': case 'B': base = 2; break;
		default:
			/* "017" would be octal to C and decimal to YAML 1.2: refuse
			 * rather than guess. */
			return false;
		}
		s += 2;
	}
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		int d = digit_value(*s);
		if (d >= (int)base)
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	*mag = v;
	return true;
}

static bool int_node(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what,
		     bool *neg, uint64_t *mag)
{
	if (n->kind != HCF_Y_SCALAR) {
		hcf_spec_err(c, n, "%s must be an integer, not %s", what, hcf_y_kind_name(n));
		return false;
	}
	if (!n->plain) {
		hcf_spec_err(c, n, "%s must be an integer, not a quoted string", what);
		return false;
	}
	if (n->len == 0) {
		hcf_spec_err(c, n, "%s: missing integer", what);
		return false;
	}
	if (!hcf_spec_int_syntax(n->str, neg, mag)) {
		hcf_spec_err(c, n,
			     "%s: bad integer '%.40s' (expected decimal, 0x hex, 0o octal or 0b "
			     "binary, optionally with a leading '-', within 64 bits)",
			     what, n->str);
		return false;
	}
	return true;
}

bool hcf_y_uint(struct hcf_spec_ctx *c, const struct hcf_ynode *n, uint64_t max, const char *what,
		uint64_t *out)
{
	bool neg;
	uint64_t mag;
	if (!int_node(c, n, what, &neg, &mag))
		return false;
	if ((neg && mag != 0) || mag > max) {
		hcf_spec_err(c, n, "%s: %s out of range 0..%#llx", what, n->str,
			     (unsigned long long)max);
		return false;
	}
	*out = mag;
	return true;
}

bool hcf_y_value(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what, int64_t *out)
{
	bool neg;
	uint64_t mag;
	if (!int_node(c, n, what, &neg, &mag))
		return false;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1) {
			hcf_spec_err(c, n, "%s: %s is below -2^63", what, n->str);
			return false;
		}
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		*out = (int64_t)mag; /* the same 64 bits, as documented */
	}
	return true;
}

const char *hcf_y_str(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what)
{
	if (n->kind != HCF_Y_SCALAR) {
		hcf_spec_err(c, n, "%s must be a string, not %s", what, hcf_y_kind_name(n));
		return NULL;
	}
	if (n->len == 0) {
		hcf_spec_err(c, n, "%s must not be empty", what);
		return NULL;
	}
	return n->str;
}

bool hcf_y_bool(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what, bool *out)
{
	if (n->kind == HCF_Y_SCALAR && n->plain) {
		if (!strcmp(n->str, "true")) {
			*out = true;
			return true;
		}
		if (!strcmp(n->str, "false")) {
			*out = false;
			return true;
		}
	}
	hcf_spec_err(c, n, "%s must be true or false", what);
	return false;
}

/* ---- building ----------------------------------------------------------- */

size_t hcf_spec_new_call(struct hcf_spec_ctx *c)
{
	struct hcf_abi *abi = c->abi;
	if (abi->ncalls == c->calls_cap) {
		c->calls_cap = c->calls_cap ? c->calls_cap * 2 : 16;
		abi->calls = hcf_xreallocarray(abi->calls, c->calls_cap, sizeof(*abi->calls));
	}
	memset(&abi->calls[abi->ncalls], 0, sizeof(abi->calls[0]));
	return abi->ncalls++;
}

size_t hcf_spec_new_op(struct hcf_spec_ctx *c)
{
	struct hcf_abi *abi = c->abi;
	if (abi->nops == c->ops_cap) {
		c->ops_cap = c->ops_cap ? c->ops_cap * 2 : 16;
		abi->ops = hcf_xreallocarray(abi->ops, c->ops_cap, sizeof(*abi->ops));
	}
	struct hcf_op *op = &abi->ops[abi->nops];
	memset(op, 0, sizeof(*op));
	op->ret_reg = HCF_REG_NONE;
	op->status_struct = op->status_field = -1;
	return abi->nops++;
}

void hcf_spec_set_file(struct hcf_spec_ctx *c, const char *name)
{
	struct hcf_abi *abi = c->abi;
	abi->files = hcf_xreallocarray(abi->files, abi->nfiles + 1, sizeof(*abi->files));
	abi->files[abi->nfiles] = hcf_xstrdup(name);
	c->file = abi->files[abi->nfiles++];
}
