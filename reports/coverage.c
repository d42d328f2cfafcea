/* coverage.c: the spec coverage matrix: built from a spec, fed results, added up, to and from coverage.json. */
#include "reports/coverage.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracles/oracle.h"
#include "util/fileio.h"
#include "util/x86.h"
#include "util/xalloc.h"

static const char *const outcome_names[HCF_COV_NOUTCOMES] = {
	[HCF_COV_OK] = "ok",
	[HCF_COV_ERROR] = "error",
	[HCF_COV_UNDECLARED] = "undeclared-value",
	[HCF_COV_UNCLASSIFIED] = "unclassified",
	[HCF_COV_EXCEPTION] = "exception",
	[HCF_COV_LOST] = "lost",
	[HCF_COV_HANG] = "hang",
	[HCF_COV_BAD_RESULT] = "bad-result",
};

const char *hcf_cov_outcome_name(enum hcf_cov_outcome o)
{
	return (unsigned)o < HCF_COV_NOUTCOMES ? outcome_names[o] : "?";
}

static int outcome_parse(const char *name)
{
	for (int o = 0; o < HCF_COV_NOUTCOMES; o++)
		if (!strcmp(outcome_names[o], name))
			return o;
	return -1;
}

/* A call's outcome as a column; returned calls go by their value's class. */
static const int8_t call_outcome_col[HCF_CO_COUNT] = {
	[HCF_CO_NOT_RUN] = -1,
	[HCF_CO_RETURNED] = -1,
	[HCF_CO_EXCEPTION] = HCF_COV_EXCEPTION,
	[HCF_CO_HANG] = HCF_COV_HANG,
	[HCF_CO_GUEST_LOST] = HCF_COV_LOST,
	[HCF_CO_BAD_RESULT] = HCF_COV_BAD_RESULT,
};

static const int8_t rv_class_col[HCF_RV_COUNT] = {
	[HCF_RV_SUCCESS] = HCF_COV_OK,
	[HCF_RV_ERROR] = HCF_COV_ERROR,
	[HCF_RV_UNDECLARED] = HCF_COV_UNDECLARED,
	[HCF_RV_UNKNOWN] = HCF_COV_UNCLASSIFIED,
};

/* ---- a matrix from a spec ---------------------------------------------------- */

/* "-KVM_ENOSYS" under negative errno, "KVM_ENOSYS" otherwise, else the number
 * as the convention returns it: the spelling the oracles' messages use. */
static char *error_name(const struct hcf_abi *abi, const struct hcf_op *op, int64_t e)
{
	char buf[96];
	int64_t v = op->err == HCF_ERR_NEG_ERRNO ? -e : e;
	const char *n = hcf_spec_value_name(abi, op, v, buf, sizeof(buf));
	return n ? hcf_xstrdup(n) : hcf_xasprintf("%lld", (long long)v);
}

/* May a call returning under this contract succeed at all? (returns: []
 * says it only fails.) */
static bool success_possible(const struct hcf_vset *returns, enum hcf_err_conv err, uint8_t ret_reg)
{
	return err == HCF_ERR_STATUS_FIELD || ret_reg >= HCF_NGPR || returns->any || returns->n > 0;
}

static void row_of_op(const struct hcf_abi *abi, const struct hcf_op *op, struct hcf_cov_row *row)
{
	row->op = hcf_xstrdup(op->name);
	row->call = hcf_xstrdup(op->call_name ? op->call_name : op->name);
	row->declared = true;
	row->has_nr = true;
	row->nr = op->nr;
	row->has_subop = op->has_subop;
	row->subop = op->subop;
	row->can_succeed = success_possible(&op->returns, op->err, op->ret_reg);
	row->vec_declared = op->exceptions;
	row->in = hcf_xcalloc(op->nargs ? op->nargs : 1, sizeof(*row->in));
	for (size_t i = 0; i < op->nargs; i++) {
		const struct hcf_arg *a = &op->args[i];
		if (!hcf_arg_is_input(abi, op, a))
			continue;
		struct hcf_cov_input *in = &row->in[row->nin++];
		in->name = hcf_xstrdup(a->name);
		in->reg = a->reg;
		in->width = (uint8_t)hcf_arg_width(a);
		in->pointer = hcf_arg_is_pointer(abi, a);
		in->hints = hcf_vclass_hints_apply(&a->hints, in->width) ? &a->hints : NULL;
		in->need = in->pointer ? abi->structs[a->struct_idx].size : 0;
		for (int c = 0; c < HCF_VC_COUNT; c++)
			if (hcf_vclass_applies((enum hcf_vclass)c, in->width, in->hints != NULL, in->pointer))
				in->applies |= 1u << c;
	}
	row->nerr = op->nerrors;
	row->err = hcf_xcalloc(op->nerrors ? op->nerrors : 1, sizeof(*row->err));
	for (size_t i = 0; i < op->nerrors; i++) {
		row->err[i].name = error_name(abi, op, op->errors[i]);
		row->err[i].code = op->errors[i];
	}
}

static void row_undeclared(const struct hcf_abi *abi, struct hcf_cov_row *row)
{
	row->op = hcf_xstrdup(HCF_COV_UNDECLARED_ROW);
	row->call = hcf_xstrdup(HCF_COV_UNDECLARED_ROW);
	row->can_succeed = success_possible(&abi->undeclared.returns, abi->err, abi->ret_reg);
	row->vec_declared = abi->undeclared.exceptions;
}

struct hcf_cov *hcf_cov_new(const struct hcf_abi *abi, const char *spec_path)
{
	struct hcf_cov *cov = hcf_xcalloc(1, sizeof(*cov));
	cov->abi = abi;
	cov->abi_name = hcf_xstrdup(abi->name ? abi->name : "unknown");
	cov->spec_path = spec_path ? hcf_xstrdup(spec_path) : NULL;
	cov->nrows = abi->nops + 1;
	cov->rows = hcf_xcalloc(cov->nrows, sizeof(*cov->rows));
	for (size_t i = 0; i < abi->nops; i++)
		row_of_op(abi, &abi->ops[i], &cov->rows[i]);
	row_undeclared(abi, &cov->rows[abi->nops]);
	return cov;
}

static void row_free(struct hcf_cov_row *row)
{
	for (size_t i = 0; i < row->nin; i++)
		free(row->in[i].name);
	for (size_t i = 0; i < row->nerr; i++)
		free(row->err[i].name);
	free(row->in);
	free(row->err);
	free(row->op);
	free(row->call);
}

void hcf_cov_free(struct hcf_cov *cov)
{
	if (!cov)
		return;
	for (size_t i = 0; i < cov->nrows; i++)
		row_free(&cov->rows[i]);
	free(cov->rows);
	free(cov->abi_name);
	free(cov->spec_path);
	free(cov);
}

void hcf_cov_clear(struct hcf_cov *cov)
{
	cov->programs = 0;
	for (size_t i = 0; i < cov->nrows; i++) {
		struct hcf_cov_row *row = &cov->rows[i];
		row->calls = 0;
		memset(row->out, 0, sizeof(row->out));
		memset(row->vec, 0, sizeof(row->vec));
		memset(row->lost, 0, sizeof(row->lost));
		for (size_t k = 0; k < row->nin; k++)
			memset(row->in[k].n, 0, sizeof(row->in[k].n));
		for (size_t k = 0; k < row->nerr; k++)
			row->err[k].n = 0;
	}
}

/* ---- feeding ------------------------------------------------------------------------ */

static void count_inputs(struct hcf_cov_row *row, const struct hcf_prog *p, const struct hcf_pcall *c)
{
	for (size_t k = 0; k < row->nin; k++) {
		struct hcf_cov_input *in = &row->in[k];
		const struct hcf_bufref *ref = &c->ref[in->reg];
		if (in->pointer)
			in->n[hcf_vclass_of_pointer(p, ref, in->need)]++;
		/* a buffer reference's value is the layout's address, not a number */
		if (ref->buf < 0)
			in->n[hcf_vclass_of_number(c->gpr[in->reg], in->width, in->hints)]++;
	}
}

static void count_outcome(struct hcf_cov *cov, struct hcf_cov_row *row, const struct hcf_prog *p,
			  const struct hcf_prog_result *r, size_t i, const struct hcf_op *op,
			  const uint64_t *loaded)
{
	const struct hcf_call_result *cr = &r->calls[i];
	if (cr->outcome != HCF_CO_RETURNED) {
		int col = (unsigned)cr->outcome < HCF_CO_COUNT ? call_outcome_col[cr->outcome] : -1;
		if (col < 0)
			return;
		row->out[col]++;
		if (cr->outcome == HCF_CO_EXCEPTION)
			row->vec[cr->vector < HCF_COV_VECTORS ? cr->vector : HCF_COV_VECTORS - 1]++;
		else if (cr->outcome == HCF_CO_GUEST_LOST && (unsigned)cr->lost_why < HCF_LIVE_COUNT)
			row->lost[cr->lost_why]++;
		return;
	}
	struct hcf_oracle_ctx ctx = {
		.abi = cov->abi, .prog = p, .res = r, .idx = i, .op = op,
		.undeclared = op ? NULL : hcf_pcall_undeclared(p, &p->calls[i], loaded),
	};
	int err;
	enum hcf_rv_class c = hcf_oracle_retval_class(&ctx, &err);
	row->out[rv_class_col[c]]++;
	if (c == HCF_RV_ERROR && err >= 0 && (size_t)err < row->nerr)
		row->err[err].n++;
}

void hcf_cov_add(struct hcf_cov *cov, const struct hcf_prog *p, const struct hcf_prog_result *r)
{
	if (!cov || !cov->abi || !p || !r || p->abi != cov->abi)
		return;
	cov->programs++;
	size_t n = p->ncalls < r->ncalls ? p->ncalls : r->ncalls;
	for (size_t i = 0; r->calls && i < n; i++) {
		const struct hcf_call_result *cr = &r->calls[i];
		if (cr->outcome == HCF_CO_NOT_RUN)
			continue;
		/* the op the call issued, as the oracles judge it */
		const struct hcf_pcall *c = &p->calls[i];
		int opi = hcf_pcall_op_loaded(p, c, cr->before);
		const struct hcf_op *op = opi >= 0 && (size_t)opi < cov->abi->nops ? &cov->abi->ops[opi]
										 : NULL;
		struct hcf_cov_row *row = &cov->rows[op ? (size_t)opi : cov->nrows - 1];
		row->calls++;
		count_inputs(row, p, c);
		count_outcome(cov, row, p, r, i, op, cr->before);
	}
}

/* ---- adding matrices up ---------------------------------------------------------------- */

/* The element of arr[0..n) (stride bytes each) whose name (a char * at off
 * in it) is name: at hint first (matrices of one spec have the same order),
 * else searched. -1 if none. */
static long find_named(const void *arr, size_t n, size_t stride, size_t off, const char *name,
		       size_t hint)
{
	const char *base = arr;
	for (size_t k = 0; k <= n; k++) {
		size_t i = k == 0 ? hint : k - 1;
		if (i >= n || (k > 0 && i == hint))
			continue;
		const char *const *at = (const char *const *)(const void *)(base + i * stride + off);
		if (*at && !strcmp(*at, name))
			return (long)i;
	}
	return -1;
}

#define FIND(arr, n, type, field, name, hint) \
	find_named((arr), (n), sizeof(type), offsetof(type, field), (name), (hint))

static size_t add_row(struct hcf_cov_row *d, const struct hcf_cov_row *s)
{
	size_t skipped = 0;
	d->calls += s->calls;
	for (int o = 0; o < HCF_COV_NOUTCOMES; o++)
		d->out[o] += s->out[o];
	for (int v = 0; v < HCF_COV_VECTORS; v++)
		d->vec[v] += s->vec[v];
	for (int l = 0; l < HCF_LIVE_COUNT; l++)
		d->lost[l] += s->lost[l];
	for (size_t k = 0; k < s->nin; k++) {
		long di = FIND(d->in, d->nin, struct hcf_cov_input, name, s->in[k].name, k);
		if (di < 0) {
			skipped++;
			continue;
		}
		for (int c = 0; c < HCF_VC_COUNT; c++) {
			if (!s->in[k].n[c])
				continue;
			if (d->in[di].applies & (1u << c))
				d->in[di].n[c] += s->in[k].n[c];
			else
				skipped++;
		}
	}
	for (size_t k = 0; k < s->nerr; k++) {
		long de = FIND(d->err, d->nerr, struct hcf_cov_error, name, s->err[k].name, k);
		if (de < 0)
			skipped += s->err[k].n != 0;
		else
			d->err[de].n += s->err[k].n;
	}
	return skipped;
}

size_t hcf_cov_add_counts(struct hcf_cov *dst, const struct hcf_cov *src)
{
	size_t skipped = 0;
	dst->programs += src->programs;
	for (size_t i = 0; i < src->nrows; i++) {
		long di = FIND(dst->rows, dst->nrows, struct hcf_cov_row, op, src->rows[i].op, i);
		if (di < 0)
			skipped++;
		else
			skipped += add_row(&dst->rows[di], &src->rows[i]);
	}
	return skipped;
}

/* ---- reach ------------------------------------------------------------------------------- */

void hcf_cov_reach(const struct hcf_cov *cov, struct hcf_cov_reach *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; cov && i < cov->nrows; i++) {
		const struct hcf_cov_row *row = &cov->rows[i];
		r->ops++;
		r->ops_reached += row->calls > 0;
		for (size_t k = 0; k < row->nin; k++)
			for (int c = 0; c < HCF_VC_COUNT; c++)
				if (row->in[k].applies & (1u << c)) {
					r->classes++;
					r->classes_reached += row->in[k].n[c] > 0;
				}
		for (size_t k = 0; k < row->nerr; k++) {
			r->errors++;
			r->errors_reached += row->err[k].n > 0;
		}
		if (row->can_succeed) {
			r->ok++;
			r->ok_reached += row->out[HCF_COV_OK] > 0;
		}
	}
	r->cells = r->ops + r->classes + r->errors + r->ok;
	r->reached = r->ops_reached + r->classes_reached + r->errors_reached + r->ok_reached;
}

double hcf_cov_share(const struct hcf_cov *cov)
{
	struct hcf_cov_reach r;
	hcf_cov_reach(cov, &r);
	return r.cells ? (double)r.reached / (double)r.cells : 0.0;
}

int hcf_cov_percent(const struct hcf_cov *cov)
{
	struct hcf_cov_reach r;
	hcf_cov_reach(cov, &r);
	return r.cells ? (int)(100 * (uint64_t)r.reached / r.cells) : 0;
}

const char *hcf_cov_format_reach(const struct hcf_cov *cov, char *buf, size_t len)
{
	struct hcf_cov_reach r;
	hcf_cov_reach(cov, &r);
	size_t never = r.ops - r.ops_reached;
	snprintf(buf, len, "%d%% of the matrix reached (%zu of %zu cells; %zu call%s never made)",
		 hcf_cov_percent(cov), r.reached, r.cells, never, never == 1 ? "" : "s");
	return buf;
}

/* ---- coverage.json ----------------------------------------------------------------------- */

static json_t *jcount(uint64_t n)
{
	return json_integer((json_int_t)(n > (uint64_t)INT64_MAX ? INT64_MAX : n));
}

static json_t *jhex(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

static const char *vector_name(unsigned v, char *buf, size_t len)
{
	const char *m = v < 32 ? hcf_x86_exc_mnemonic(v) : NULL;
	if (m)
		return m;
	if (v >= HCF_COV_VECTORS - 1)
		snprintf(buf, len, "vector 32+");
	else
		snprintf(buf, len, "vector %u", v);
	return buf;
}

static json_t *row_to_json(const struct hcf_cov_row *row)
{
	json_t *j = json_object();
	json_object_set_new(j, "op", json_string(row->op));
	json_object_set_new(j, "call", json_string(row->call));
	json_object_set_new(j, "declared", json_boolean(row->declared));
	json_object_set_new(j, "nr", row->has_nr ? jhex(row->nr) : json_null());
	json_object_set_new(j, "subop", row->has_subop ? jhex(row->subop) : json_null());
	json_object_set_new(j, "calls", jcount(row->calls));
	json_object_set_new(j, "can_succeed", json_boolean(row->can_succeed));
	json_t *ins = json_array();
	for (size_t k = 0; k < row->nin; k++) {
		const struct hcf_cov_input *in = &row->in[k];
		json_t *cl = json_object();
		for (int c = 0; c < HCF_VC_COUNT; c++)
			if (in->applies & (1u << c))
				json_object_set_new(cl, hcf_vclass_name((enum hcf_vclass)c), jcount(in->n[c]));
		json_array_append_new(ins, json_pack("{s:s, s:s, s:i, s:b, s:o}", "name", in->name, "reg",
						     hcf_reg_name(in->reg), "width", (int)in->width,
						     "pointer", (int)in->pointer, "classes", cl));
	}
	json_object_set_new(j, "inputs", ins);
	json_t *out = json_object();
	for (int o = 0; o < HCF_COV_NOUTCOMES; o++)
		json_object_set_new(out, outcome_names[o], jcount(row->out[o]));
	json_object_set_new(j, "outcomes", out);
	json_t *errs = json_array();
	for (size_t k = 0; k < row->nerr; k++)
		json_array_append_new(errs, json_pack("{s:s, s:I, s:o}", "name", row->err[k].name, "code",
						      (json_int_t)row->err[k].code, "count",
						      jcount(row->err[k].n)));
	json_object_set_new(j, "errors", errs);
	json_t *exc = json_array();
	for (unsigned v = 0; v < HCF_COV_VECTORS; v++) {
		bool declared = row->vec_declared >> v & 1;
		if (!declared && !row->vec[v])
			continue;
		char buf[24];
		json_array_append_new(exc, json_pack("{s:i, s:s, s:b, s:o}", "vector", (int)v, "name",
						     vector_name(v, buf, sizeof(buf)), "declared",
						     (int)declared, "count", jcount(row->vec[v])));
	}
	json_object_set_new(j, "exceptions", exc);
	json_t *lost = json_object();
	for (int l = 0; l < HCF_LIVE_COUNT; l++)
		if (row->lost[l])
			json_object_set_new(lost, hcf_liveness_name((enum hcf_liveness)l), jcount(row->lost[l]));
	json_object_set_new(j, "lost", lost);
	return j;
}

/* What was not reached, named "op", "op/input=class", "op/error". */
static json_t *unreached_json(const struct hcf_cov *cov)
{
	json_t *ops = json_array(), *classes = json_array(), *errors = json_array(), *ok = json_array();
	for (size_t i = 0; i < cov->nrows; i++) {
		const struct hcf_cov_row *row = &cov->rows[i];
		if (!row->calls)
			json_array_append_new(ops, json_string(row->op));
		for (size_t k = 0; k < row->nin; k++)
			for (int c = 0; c < HCF_VC_COUNT; c++)
				if ((row->in[k].applies & (1u << c)) && !row->in[k].n[c]) {
					char *s = hcf_xasprintf("%s/%s=%s", row->op, row->in[k].name,
								hcf_vclass_name((enum hcf_vclass)c));
					json_array_append_new(classes, json_string(s));
					free(s);
				}
		for (size_t k = 0; k < row->nerr; k++)
			if (!row->err[k].n) {
				char *s = hcf_xasprintf("%s/%s", row->op, row->err[k].name);
				json_array_append_new(errors, json_string(s));
				free(s);
			}
		if (row->can_succeed && !row->out[HCF_COV_OK])
			json_array_append_new(ok, json_string(row->op));
	}
	return json_pack("{s:o, s:o, s:o, s:o}", "ops", ops, "classes", classes, "errors", errors, "ok",
			 ok);
}

void *hcf_cov_to_json_v(const struct hcf_cov *cov)
{
	struct hcf_cov_reach r;
	hcf_cov_reach(cov, &r);
	json_t *j = json_object();
	json_object_set_new(j, "format", json_string(HCF_COV_FORMAT));
	json_object_set_new(j, "version", json_integer(HCF_COV_VERSION));
	json_object_set_new(j, "abi", json_string(cov->abi_name));
	json_object_set_new(j, "spec", cov->spec_path ? json_string(cov->spec_path) : json_null());
	json_object_set_new(j, "programs", jcount(cov->programs));
	json_object_set_new(j, "reached",
			    json_pack("{s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "cells",
				      (json_int_t)r.cells, "reached", (json_int_t)r.reached, "share",
				      r.cells ? (double)r.reached / (double)r.cells : 0.0, "ops",
				      (json_int_t)r.ops, "ops_reached", (json_int_t)r.ops_reached,
				      "classes", (json_int_t)r.classes, "classes_reached",
				      (json_int_t)r.classes_reached, "errors", (json_int_t)r.errors,
				      "errors_reached", (json_int_t)r.errors_reached, "ok",
				      (json_int_t)r.ok, "ok_reached", (json_int_t)r.ok_reached));
	json_t *rows = json_array();
	for (size_t i = 0; i < cov->nrows; i++)
		json_array_append_new(rows, row_to_json(&cov->rows[i]));
	json_object_set_new(j, "rows", rows);
	json_object_set_new(j, "unreached", unreached_json(cov));
	return j;
}

char *hcf_cov_to_text(const struct hcf_cov *cov, bool indent)
{
	json_t *j = hcf_cov_to_json_v(cov);
	char *s = json_dumps(j, JSON_PRESERVE_ORDER | (indent ? JSON_INDENT(1) : JSON_COMPACT));
	json_decref(j);
	return s;
}

/* ---- reading it back ------------------------------------------------------------------- */

struct jerr {
	char *buf;
	size_t len;
	bool set;
};

static void __attribute__((format(printf, 2, 3))) jfail(struct jerr *e, const char *fmt, ...)
{
	if (e->set)
		return;
	e->set = true;
	va_list ap;
	va_start(ap, fmt);
	if (e->buf && e->len)
		vsnprintf(e->buf, e->len, fmt, ap);
	va_end(ap);
}

/* A count: an integer >= 0. */
static bool jget_count(json_t *v, uint64_t *n)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*n = (uint64_t)json_integer_value(v);
	return true;
}

static bool jget_bool(json_t *obj, const char *key, bool dflt)
{
	json_t *v = json_object_get(obj, key);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static uint64_t jget_hex(json_t *v, bool *has)
{
	const char *s = json_string_value(v);
	*has = s != NULL;
	return s ? strtoull(s, NULL, 0) : 0;
}

static void input_from_json(json_t *ji, struct hcf_cov_input *in, const char *where, struct jerr *e)
{
	const char *name = json_string_value(json_object_get(ji, "name"));
	if (!name) {
		jfail(e, "%s: no name", where);
		return;
	}
	in->name = hcf_xstrdup(name);
	unsigned w = 0;
	const char *reg = json_string_value(json_object_get(ji, "reg"));
	unsigned r = reg ? hcf_reg_parse(reg, &w) : HCF_REG_NONE;
	in->reg = (uint8_t)(r < HCF_NGPR ? r : HCF_REG_NONE);
	json_int_t width = json_integer_value(json_object_get(ji, "width"));
	in->width = (uint8_t)(width > 0 && width <= 64 ? width : 64);
	in->pointer = jget_bool(ji, "pointer", false);
	json_t *cl = json_object_get(ji, "classes");
	if (!json_is_object(cl)) {
		jfail(e, "%s.classes: not an object", where);
		return;
	}
	const char *key;
	json_t *v;
	json_object_foreach(cl, key, v) {
		int c = hcf_vclass_parse(key);
		if (c < 0) {
			jfail(e, "%s.classes: unknown class \"%s\"", where, key);
			return;
		}
		if (!jget_count(v, &in->n[c])) {
			jfail(e, "%s.classes.%s: not a count", where, key);
			return;
		}
		in->applies |= 1u << c;
	}
}

static void row_from_json(json_t *jr, struct hcf_cov_row *row, size_t idx, struct jerr *e)
{
	char where[64];
	snprintf(where, sizeof(where), "rows[%zu]", idx);
	const char *op = json_string_value(json_object_get(jr, "op"));
	if (!json_is_object(jr) || !op) {
		jfail(e, "%s: not a row with an op name", where);
		return;
	}
	row->op = hcf_xstrdup(op);
	const char *call = json_string_value(json_object_get(jr, "call"));
	row->call = hcf_xstrdup(call ? call : op);
	row->declared = jget_bool(jr, "declared", strcmp(op, HCF_COV_UNDECLARED_ROW) != 0);
	row->nr = jget_hex(json_object_get(jr, "nr"), &row->has_nr);
	row->subop = jget_hex(json_object_get(jr, "subop"), &row->has_subop);
	row->can_succeed = jget_bool(jr, "can_succeed", false);
	json_t *calls = json_object_get(jr, "calls");
	if (calls && !jget_count(calls, &row->calls))
		jfail(e, "%s.calls: not a count", where);
	json_t *ins = json_object_get(jr, "inputs");
	size_t nin = json_array_size(ins);
	row->in = hcf_xcalloc(nin ? nin : 1, sizeof(*row->in));
	for (size_t k = 0; k < nin && !e->set; k++) {
		char w[96];
		snprintf(w, sizeof(w), "%s.inputs[%zu]", where, k);
		input_from_json(json_array_get(ins, k), &row->in[row->nin++], w, e);
	}
	json_t *out = json_object_get(jr, "outcomes");
	const char *key;
	json_t *v;
	json_object_foreach(out, key, v) {
		int o = outcome_parse(key);
		if (o < 0 || !jget_count(v, &row->out[o]))
			jfail(e, "%s.outcomes.%s: %s", where, key, o < 0 ? "unknown outcome" : "not a count");
	}
	json_t *errs = json_object_get(jr, "errors");
	size_t nerr = json_array_size(errs);
	row->err = hcf_xcalloc(nerr ? nerr : 1, sizeof(*row->err));
	for (size_t k = 0; k < nerr && !e->set; k++) {
		json_t *je = json_array_get(errs, k);
		const char *name = json_string_value(json_object_get(je, "name"));
		struct hcf_cov_error *er = &row->err[row->nerr];
		if (!name || !jget_count(json_object_get(je, "count"), &er->n)) {
			jfail(e, "%s.errors[%zu]: no name or count", where, k);
			break;
		}
		er->name = hcf_xstrdup(name);
		er->code = json_integer_value(json_object_get(je, "code"));
		row->nerr++;
	}
	json_t *exc = json_object_get(jr, "exceptions");
	for (size_t k = 0; k < json_array_size(exc) && !e->set; k++) {
		json_t *jx = json_array_get(exc, k);
		json_t *vec = json_object_get(jx, "vector");
		json_int_t vn = json_integer_value(vec);
		uint64_t n;
		if (!json_is_integer(vec) || vn < 0 || vn >= HCF_COV_VECTORS ||
		    !jget_count(json_object_get(jx, "count"), &n)) {
			jfail(e, "%s.exceptions[%zu]: no vector 0..%d or count", where, k,
			      HCF_COV_VECTORS - 1);
			break;
		}
		row->vec[vn] += n;
		if (jget_bool(jx, "declared", false))
			row->vec_declared |= 1ull << vn;
	}
	json_object_foreach(json_object_get(jr, "lost"), key, v) {
		int l = hcf_liveness_parse(key);
		uint64_t n;
		if (l < 0 || !jget_count(v, &n))
			jfail(e, "%s.lost.%s: %s", where, key, l < 0 ? "unknown way to end" : "not a count");
		else
			row->lost[l] += n;
	}
}

struct hcf_cov *hcf_cov_from_json_v(const void *json, char *err, size_t errlen)
{
	json_t *j = (json_t *)json;
	struct jerr e = { .buf = err, .len = errlen };
	const char *format = json_string_value(json_object_get(j, "format"));
	if (!json_is_object(j) || !format || strcmp(format, HCF_COV_FORMAT)) {
		jfail(&e, "not a coverage matrix (\"format\" is not \"%s\")", HCF_COV_FORMAT);
		return NULL;
	}
	json_int_t version = json_integer_value(json_object_get(j, "version"));
	if (version != HCF_COV_VERSION) {
		jfail(&e, "coverage matrix version %lld; this hcfuzz reads version %d", (long long)version,
		      HCF_COV_VERSION);
		return NULL;
	}
	json_t *rows = json_object_get(j, "rows");
	if (!json_is_array(rows)) {
		jfail(&e, "\"rows\" is not an array");
		return NULL;
	}
	struct hcf_cov *cov = hcf_xcalloc(1, sizeof(*cov));
	const char *abi = json_string_value(json_object_get(j, "abi"));
	const char *spec = json_string_value(json_object_get(j, "spec"));
	cov->abi_name = hcf_xstrdup(abi ? abi : "unknown");
	cov->spec_path = spec ? hcf_xstrdup(spec) : NULL;
	json_t *programs = json_object_get(j, "programs");
	if (programs && !jget_count(programs, &cov->programs))
		jfail(&e, "\"programs\" is not a count");
	cov->rows = hcf_xcalloc(json_array_size(rows) ? json_array_size(rows) : 1, sizeof(*cov->rows));
	for (size_t i = 0; i < json_array_size(rows) && !e.set; i++)
		row_from_json(json_array_get(rows, i), &cov->rows[cov->nrows++], i, &e);
	if (e.set) {
		hcf_cov_free(cov);
		return NULL;
	}
	return cov;
}

struct hcf_cov *hcf_cov_load_file(const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	char *text = hcf_read_file(path, HCF_COV_FILE_MAX, &len);
	if (!text) {
		if (errno == EFBIG)
			snprintf(err, errlen, "%s: larger than %u MiB", path, HCF_COV_FILE_MAX >> 20);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	free(text);
	if (!j) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	char why[256] = "";
	struct hcf_cov *cov = hcf_cov_from_json_v(j, why, sizeof(why));
	json_decref(j);
	if (!cov)
		snprintf(err, errlen, "%s: %s", path, why);
	return cov;
}
