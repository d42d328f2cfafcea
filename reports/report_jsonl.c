/* report_jsonl.c: results.jsonl, one JSON object per test, flushed line by line. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "reports/report_util.h"

/*
 * Every 64-bit value is a "0x..." string: JSON numbers are doubles in most
 * consumers (jq, JavaScript, Python's json with floats) and lose the low bits
 * of register values. Each line is flushed as soon as the test is done, so a
 * killed run leaves complete lines in the temporary file.
 */

struct jsonl_state {
	FILE *f;
	int err;            /* errno of the first failed write, 0 if none */
};

/* A JSON string from bytes that may not be UTF-8 (ids, guest-supplied
 * details): jansson refuses invalid UTF-8, so such bytes become U+FFFD. */
static json_t *jstr(const char *s, size_t n)
{
	if (!s)
		return json_null();
	if (hcf_utf8_valid(s, n))
		return json_stringn(s, n);
	struct hcf_rbuf b = { 0 };
	hcf_rbuf_put_utf8(&b, s, n);
	json_t *j = json_stringn(hcf_rbuf_str(&b), b.len);
	hcf_rbuf_free(&b);
	return j;
}

static json_t *jcstr(const char *s)
{
	return s ? jstr(s, strlen(s)) : json_null();
}

static json_t *jhex(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

static json_t *jregs(const uint64_t *r)
{
	json_t *o = json_object();
	for (unsigned i = 0; i < HCF_NGPR; i++)
		json_object_set_new(o, hcf_reg_name(i), jhex(r[i]));
	return o;
}

/* Which register images an outcome leaves trustworthy: a call that never ran
 * has neither; a lost, hung or untrusted call has only what was loaded. */
static const struct {
	bool before, after;
} outcome_state[HCF_CO_COUNT] = {
	[HCF_CO_NOT_RUN] = { false, false },
	[HCF_CO_RETURNED] = { true, true },
	[HCF_CO_EXCEPTION] = { true, true },
	[HCF_CO_HANG] = { true, false },
	[HCF_CO_GUEST_LOST] = { true, false },
	[HCF_CO_BAD_RESULT] = { true, false },
};

void *hcf_loc_to_json_v(const struct hcf_loc *l)
{
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string(hcf_loc_kind_name(l->kind)));
	switch (l->kind) {
	case HCF_LOC_REG:
		json_object_set_new(o, "reg", json_string(hcf_reg_name(l->reg)));
		break;
	case HCF_LOC_FLAG:
		json_object_set_new(o, "bit", json_integer(l->bit));
		break;
	case HCF_LOC_XMM:
		json_object_set_new(o, "xmm", json_integer(l->reg));
		break;
	default:
		break;
	}
	if (l->buf >= 0)
		json_object_set_new(o, "buf", json_integer(l->buf));
	if (hcf_loc_is_memory(l)) {
		json_object_set_new(o, "off", json_integer(l->off));
		json_object_set_new(o, "bytes", json_integer(l->nbytes));
		json_object_set_new(o, "addr", jhex(l->addr));
		json_object_set_new(o, "end", jhex(l->end));
	} else if ((l->kind == HCF_LOC_OUTCOME || l->kind == HCF_LOC_PROGRAM) && l->end > l->addr) {
		/* where the guest was when it was lost */
		json_object_set_new(o, "rip", jhex(l->addr));
	}
	if (l->name[0])
		json_object_set_new(o, "name", jstr(l->name, HCF_FIELD_LEN(l->name)));
	return o;
}

static bool jget_hex(const json_t *o, const char *key, uint64_t *v)
{
	const char *s = json_string_value(json_object_get(o, key));
	char *end;
	if (!s)
		return false;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 16);
	if (errno || end == s || *end)
		return false;
	*v = x;
	return true;
}

int hcf_loc_from_json_v(const void *json, struct hcf_loc *l)
{
	const json_t *o = json;
	*l = hcf_loc_of(HCF_LOC_NONE);
	enum hcf_loc_kind k;
	if (!json_is_object(o) || hcf_loc_kind_parse(json_string_value(json_object_get(o, "kind")),
						     &k) != 0)
		return -1;
	l->kind = k;
	const char *reg = json_string_value(json_object_get(o, "reg"));
	json_int_t n;
	switch (k) {
	case HCF_LOC_REG:
		if (!reg || (l->reg = (uint8_t)hcf_reg_parse(reg, NULL)) >= HCF_NGPR)
			return -1;
		break;
	case HCF_LOC_FLAG:
		n = json_integer_value(json_object_get(o, "bit"));
		if (!json_is_integer(json_object_get(o, "bit")) || n < 0 || n > 63)
			return -1;
		l->bit = (uint8_t)n;
		break;
	case HCF_LOC_XMM:
		n = json_integer_value(json_object_get(o, "xmm"));
		if (!json_is_integer(json_object_get(o, "xmm")) || n < 0 || n > 15)
			return -1;
		l->reg = (uint8_t)n;
		break;
	default:
		break;
	}
	const json_t *b = json_object_get(o, "buf");
	if (json_is_integer(b)) {
		if (json_integer_value(b) < 0 || json_integer_value(b) >= HCF_PROG_MAX_BUFS)
			return -1;
		l->buf = (int16_t)json_integer_value(b);
	}
	if (hcf_loc_is_memory(l)) {
		const json_t *off = json_object_get(o, "off"), *nb = json_object_get(o, "bytes");
		if (!json_is_integer(off) || !json_is_integer(nb) ||
		    json_integer_value(off) < INT32_MIN || json_integer_value(off) > INT32_MAX ||
		    json_integer_value(nb) < 0 || json_integer_value(nb) > UINT32_MAX ||
		    !jget_hex(o, "addr", &l->addr) || !jget_hex(o, "end", &l->end))
			return -1;
		l->off = (int32_t)json_integer_value(off);
		l->nbytes = (uint32_t)json_integer_value(nb);
	} else if ((k == HCF_LOC_OUTCOME || k == HCF_LOC_PROGRAM) && json_object_get(o, "rip")) {
		if (!jget_hex(o, "rip", &l->addr))
			return -1;
		l->end = l->addr + 1;
	}
	const char *name = json_string_value(json_object_get(o, "name"));
	if (name)
		snprintf(l->name, sizeof(l->name), "%s", name);
	return 0;
}

static json_t *jissue(const struct hcf_issue *is)
{
	json_t *o = json_object();
	json_object_set_new(o, "oracle", jcstr(is->oracle));
	json_object_set_new(o, "verdict", json_string(hcf_rpt_verdict(is->v)));
	json_object_set_new(o, "where", jstr(is->where, HCF_FIELD_LEN(is->where)));
	json_object_set_new(o, "loc", hcf_loc_to_json_v(&is->loc));
	if (is->anomaly) {
		json_object_set_new(o, "anomaly", jcstr(is->anomaly));
		json_object_set_new(o, "was", json_string(hcf_rpt_verdict(is->was)));
	}
	if (is->related != SIZE_MAX)
		json_object_set_new(o, "related_call", json_integer((json_int_t)is->related));
	if (is->consequence)
		json_object_set_new(o, "consequence", json_true());
	if (is->lost)
		json_object_set_new(o, "lost", json_string(hcf_liveness_name(is->lost)));
	json_object_set_new(o, "expected", is->has_values ? jhex(is->expected) : json_null());
	json_object_set_new(o, "got", is->has_values ? jhex(is->got) : json_null());
	json_object_set_new(o, "reason", jstr(is->reason, HCF_FIELD_LEN(is->reason)));
	return o;
}

static json_t *jexception(const struct hcf_call_result *cr)
{
	if (cr->outcome != HCF_CO_EXCEPTION)
		return json_null();
	char vb[24];
	json_t *o = json_object();
	json_object_set_new(o, "vector", json_integer(cr->vector));
	json_object_set_new(o, "mnemonic",
			    json_string(hcf_rpt_vector_name(cr->vector, vb, sizeof(vb))));
	json_object_set_new(o, "error_code", jhex(cr->error_code));
	json_object_set_new(o, "rip", jhex(cr->fault_rip));
	json_object_set_new(o, "cr2", jhex(cr->cr2));
	return o;
}

static json_t *jcall(const struct hcf_test *t, const struct hcf_test_outcome *o, size_t i)
{
	const struct hcf_prog *p = &t->prog;
	const struct hcf_pcall *c = &p->calls[i];
	const struct hcf_op *op = hcf_prog_call_op(p, i);
	const struct hcf_call_result *cr = o->res && i < o->res->ncalls ? &o->res->calls[i] : NULL;
	enum hcf_call_outcome oc = cr && (unsigned)cr->outcome < HCF_CO_COUNT ? cr->outcome
									  : HCF_CO_NOT_RUN;
	char name[96];

	json_t *j = json_object();
	json_object_set_new(j, "call", jcstr(hcf_pcall_name(p, c, name, sizeof(name))));
	json_object_set_new(j, "nr", jhex(hcf_pcall_nr(p, c)));
	json_object_set_new(j, "op", op ? jcstr(op->name) : json_null());
	json_object_set_new(j, "outcome", json_string(hcf_call_outcome_name(oc)));

	/* Inputs as the program states them; a register pointing into a buffer
	 * holds the address the target laid it out at, when the call ran. */
	json_t *in = json_object(), *refs = NULL;
	for (unsigned r = 0; r < HCF_NGPR; r++) {
		if (!(c->set & HCF_REGBIT(r)))
			continue;
		bool is_ref = c->ref[r].buf >= 0;
		uint64_t v = is_ref && outcome_state[oc].before ? cr->before[r] : c->gpr[r];
		json_object_set_new(in, hcf_reg_name(r), jhex(v));
		if (is_ref) {
			if (!refs)
				refs = json_object();
			json_t *ref = json_object();
			json_object_set_new(ref, "buf", json_integer(c->ref[r].buf));
			json_object_set_new(ref, "offset", json_integer(c->ref[r].offset));
			json_object_set_new(refs, hcf_reg_name(r), ref);
		}
	}
	json_object_set_new(j, "inputs", in);
	if (refs)
		json_object_set_new(j, "refs", refs);

	json_object_set_new(j, "before", outcome_state[oc].before ? jregs(cr->before) : json_null());
	json_object_set_new(j, "after", outcome_state[oc].after ? jregs(cr->after) : json_null());
	json_object_set_new(j, "rflags_before",
			    outcome_state[oc].before ? jhex(cr->rflags_before) : json_null());
	json_object_set_new(j, "rflags_after",
			    outcome_state[oc].after ? jhex(cr->rflags_after) : json_null());
	json_object_set_new(j, "exception", cr ? jexception(cr) : json_null());
	if (cr && cr->tsc_delta)
		json_object_set_new(j, "tsc_delta", jhex(cr->tsc_delta));
	if (cr && cr->detail && cr->detail[0])
		json_object_set_new(j, "detail", jstr(cr->detail, strnlen(cr->detail, 1024)));

	const struct hcf_call_verdict *cv = o->cvs ? &o->cvs[i] : NULL;
	json_object_set_new(j, "verdict", cv ? json_string(hcf_rpt_verdict(cv->v)) : json_null());
	json_t *issues = json_array();
	size_t kept = cv ? (cv->nissues < HCF_MAX_ISSUES ? cv->nissues : HCF_MAX_ISSUES) : 0;
	for (size_t k = 0; k < kept; k++)
		json_array_append_new(issues, jissue(&cv->issues[k]));
	json_object_set_new(j, "issues", issues);
	json_object_set_new(j, "issues_dropped", json_integer(cv ? (json_int_t)cv->dropped : 0));
	return j;
}

/* One line of results.jsonl (docs/reports.md describes every field). */
static json_t *hcf_report_test_json(const struct hcf_test *t, const struct hcf_test_outcome *o);

void *hcf_report_test_json_v(const struct hcf_test *t, const struct hcf_test_outcome *o)
{
	return hcf_report_test_json(t, o);
}

static json_t *hcf_report_test_json(const struct hcf_test *t, const struct hcf_test_outcome *o)
{
	char reason[768];
	json_t *j = json_object();
	json_object_set_new(j, "test", jstr(t->id, HCF_FIELD_LEN(t->id)));
	json_object_set_new(j, "group", jstr(t->group, HCF_FIELD_LEN(t->group)));
	json_object_set_new(j, "desc", jstr(t->desc, HCF_FIELD_LEN(t->desc)));
	json_object_set_new(j, "verdict", json_string(hcf_rpt_verdict(o->v)));
	json_object_set_new(j, "reason", jcstr(hcf_rpt_test_reason(t, o, reason, sizeof(reason))));
	json_object_set_new(j, "seconds", json_real(o->seconds));
	json_t *calls = json_array();
	for (size_t i = 0; i < t->prog.ncalls; i++)
		json_array_append_new(calls, jcall(t, o, i));
	json_object_set_new(j, "calls", calls);
	json_object_set_new(j, "liveness",
			    o->res ? json_string(hcf_liveness_name(o->res->liveness)) : json_null());
	json_object_set_new(j, "detail",
			    o->res ? jstr(o->res->detail, HCF_FIELD_LEN(o->res->detail)) : json_null());
	return j;
}

static void *jsonl_begin(FILE *f, const struct hcf_run_info *ri)
{
	struct jsonl_state *st = calloc(1, sizeof(*st));
	if (st)
		st->f = f;
	return st;
}

static void jsonl_test(void *vst, const struct hcf_test *t, const struct hcf_test_outcome *o)
{
	struct jsonl_state *st = vst;
	if (st->err)
		return;
	json_t *j = hcf_report_test_json(t, o);
	/* Compact, so one test is one line: jansson escapes newlines in strings. */
	char *line = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!line) {
		st->err = ENOMEM;
		return;
	}
	size_t n = strlen(line);
	errno = 0;
	if (fwrite(line, 1, n, st->f) != n || fputc('\n', st->f) == EOF || fflush(st->f) != 0)
		st->err = errno ? errno : EIO;
	free(line);
}

static int jsonl_end(void *vst, const struct hcf_exec_stats *stats)
{
	struct jsonl_state *st = vst;
	errno = 0;
	if (!st->err && (fflush(st->f) != 0 || ferror(st->f)))
		st->err = errno ? errno : EIO;
	int err = st->err;
	free(st);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static void jsonl_discard(void *st)
{
	free(st);
}

const struct hcf_report_ops hcf_report_jsonl = {
	.name = "jsonl",
	.filename = "results.jsonl",
	.begin = jsonl_begin,
	.test = jsonl_test,
	.end = jsonl_end,
	.discard = jsonl_discard,
};
