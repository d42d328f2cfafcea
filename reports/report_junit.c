/* report_junit.c: junit.xml, one testsuite per run and one testcase per test, for CI. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"
#include "reports/report_util.h"
#include "spec/transport.h"
#include "util/xalloc.h"

/*
 * The testsuite's counts are attributes that come before its testcases, so
 * the testcases are collected in memory and the whole document is written by
 * end(). Every string that reaches the file goes through the XML escaper,
 * which also repairs invalid UTF-8 and replaces characters XML 1.0 cannot
 * carry: a test id or a guest-supplied detail can never make the file
 * unparsable for the CI that reads it.
 */

/* How each verdict appears in a testcase. JUnit has no HANG, CRASH, LOST,
 * XFAIL or XPASS: as pytest does, a known anomaly is a skipped testcase and
 * one that stopped reproducing a failure, each with a type naming the
 * verdict; an expected loss passes, with the loss in its system-out. */
static const struct {
	const char *elem;   /* NULL: a passing testcase */
	bool body;          /* the issues as element text */
	bool type;          /* a type="VERDICT" attribute */
	bool out;           /* a passing testcase with its calls in system-out */
} junit_elem[HCF_V_COUNT] = {
	[HCF_V_PASS] = { NULL, false, false, false },
	[HCF_V_LOST] = { NULL, false, false, true },
	[HCF_V_XFAIL] = { "skipped", false, true, false },
	[HCF_V_SKIP] = { "skipped", false, false, false },
	[HCF_V_XPASS] = { "failure", true, true, false },
	[HCF_V_ERROR] = { "error", true, true, false },
	[HCF_V_FAIL] = { "failure", true, true, false },
	[HCF_V_HANG] = { "failure", true, true, false },
	[HCF_V_CRASH] = { "failure", true, true, false },
};

struct junit_state {
	FILE *f;
	char *abi_name;
	const char *transport;      /* the transport the calls were made with */
	char *spec_path;
	char *command;
	struct hcf_target_info tinfo;
	bool has_tinfo;
	uint64_t seed;
	time_t started;
	struct hcf_tally tally;
	double seconds;          /* sum over tests, when the stats have none */
	struct hcf_rbuf cases;   /* the <testcase> elements, in test order */
};

static void xml_str(struct hcf_rbuf *b, const char *s, size_t n, bool attr)
{
	hcf_rbuf_put_xml(b, s, n, attr);
}

static void xml_cstr(struct hcf_rbuf *b, const char *s, bool attr)
{
	if (s)
		xml_str(b, s, strlen(s), attr);
}

static void *junit_begin(FILE *f, const struct hcf_run_info *ri)
{
	struct junit_state *st = hcf_xcalloc(1, sizeof(*st));
	st->f = f;
	if (ri) {
		st->abi_name = hcf_xstrdup(ri->abi && ri->abi->name ? ri->abi->name : "unknown");
		st->transport = ri->abi ? hcf_xport_name(ri->abi->transport.kind) : NULL;
		st->spec_path = ri->spec_path ? hcf_xstrdup(ri->spec_path) : NULL;
		st->command = ri->command ? hcf_xstrdup(ri->command) : NULL;
		if (ri->tinfo) {
			st->tinfo = *ri->tinfo;
			st->has_tinfo = true;
		}
		st->seed = ri->seed;
		st->started = ri->started;
	} else {
		st->abi_name = hcf_xstrdup("unknown");
	}
	return st;
}

/* What the calls did, for <system-out>: outcome, exception and every
 * register that changed, so a CI page shows the failure without the JSONL. */
static void junit_calls(struct hcf_rbuf *b, const struct hcf_test *t,
			const struct hcf_test_outcome *o)
{
	struct hcf_rbuf txt = { 0 };
	const struct hcf_prog_result *r = o->res;
	for (size_t i = 0; i < t->prog.ncalls; i++) {
		const struct hcf_pcall *c = &t->prog.calls[i];
		const struct hcf_call_result *cr = r && i < r->ncalls ? &r->calls[i] : NULL;
		char name[96];
		hcf_rbuf_printf(&txt, "call %zu %s (nr=0x%" PRIx64 "): %s\n", i,
				hcf_pcall_name(&t->prog, c, name, sizeof(name)),
				hcf_pcall_nr(&t->prog, c),
				cr ? hcf_call_outcome_name(cr->outcome) : "no result");
		if (!cr)
			continue;
		if (cr->outcome == HCF_CO_EXCEPTION) {
			char vb[24];
			hcf_rbuf_printf(&txt,
					"  exception %s (vector %u) error_code=0x%" PRIx64
					" rip=0x%" PRIx64 " cr2=0x%" PRIx64 "\n",
					hcf_rpt_vector_name(cr->vector, vb, sizeof(vb)), cr->vector,
					cr->error_code, cr->fault_rip, cr->cr2);
		}
		if (cr->outcome == HCF_CO_RETURNED || cr->outcome == HCF_CO_EXCEPTION) {
			for (unsigned g = 0; g < HCF_NGPR; g++)
				if (cr->before[g] != cr->after[g])
					hcf_rbuf_printf(&txt, "  %s: 0x%" PRIx64 " -> 0x%" PRIx64 "\n",
							hcf_reg_name(g), cr->before[g], cr->after[g]);
			if (cr->rflags_before != cr->rflags_after)
				hcf_rbuf_printf(&txt, "  rflags: 0x%" PRIx64 " -> 0x%" PRIx64 "\n",
						cr->rflags_before, cr->rflags_after);
		}
		if (cr->detail && cr->detail[0])
			hcf_rbuf_printf(&txt, "  detail: %.*s\n", (int)strnlen(cr->detail, 1024),
					cr->detail);
	}
	if (r) {
		int dl = (int)HCF_FIELD_LEN(r->detail);
		hcf_rbuf_printf(&txt, "liveness: %s%s%.*s\n", hcf_liveness_name(r->liveness),
				dl ? ": " : "", dl, r->detail);
	}
	hcf_rbuf_puts(b, "      <system-out>");
	xml_str(b, hcf_rbuf_str(&txt), txt.len, false);
	hcf_rbuf_puts(b, "</system-out>\n");
	hcf_rbuf_free(&txt);
}

static void junit_test(void *vst, const struct hcf_test *t, const struct hcf_test_outcome *o)
{
	struct junit_state *st = vst;
	struct hcf_rbuf *b = &st->cases;
	enum hcf_verdict v = (unsigned)o->v < HCF_V_COUNT ? o->v : HCF_V_ERROR;
	hcf_tally_add(&st->tally, v);
	st->seconds += o->seconds;

	hcf_rbuf_puts(b, "    <testcase classname=\"hcfuzz.");
	xml_cstr(b, st->abi_name, true);
	hcf_rbuf_puts(b, ".");
	xml_str(b, t->group, HCF_FIELD_LEN(t->group), true);
	hcf_rbuf_puts(b, "\" name=\"");
	xml_str(b, t->id, HCF_FIELD_LEN(t->id), true);
	hcf_rbuf_printf(b, "\" time=\"%.6f\"", o->seconds >= 0 ? o->seconds : 0.0);
	if (!junit_elem[v].elem && !junit_elem[v].out) {
		hcf_rbuf_puts(b, "/>\n");
		return;
	}
	if (!junit_elem[v].elem) {
		hcf_rbuf_puts(b, ">\n");
		junit_calls(b, t, o);
		hcf_rbuf_puts(b, "    </testcase>\n");
		return;
	}
	hcf_rbuf_puts(b, ">\n");

	char reason[768];
	const char *msg = hcf_rpt_test_reason(t, o, reason, sizeof(reason));
	hcf_rbuf_printf(b, "      <%s", junit_elem[v].elem);
	if (junit_elem[v].type)
		hcf_rbuf_printf(b, " type=\"%s\"", hcf_rpt_verdict(v));
	hcf_rbuf_puts(b, " message=\"");
	xml_cstr(b, msg ? msg : "", true);
	if (junit_elem[v].body) {
		struct hcf_rbuf lines = { 0 };
		hcf_rpt_issue_lines(&lines, t, o);
		hcf_rbuf_puts(b, "\">");
		xml_str(b, hcf_rbuf_str(&lines), lines.len, false);
		hcf_rbuf_printf(b, "</%s>\n", junit_elem[v].elem);
		hcf_rbuf_free(&lines);
		junit_calls(b, t, o);
	} else {
		hcf_rbuf_puts(b, "\"/>\n");
	}
	hcf_rbuf_puts(b, "    </testcase>\n");
}

static void junit_property(struct hcf_rbuf *b, const char *name, const char *value, size_t n)
{
	hcf_rbuf_printf(b, "      <property name=\"%s\" value=\"", name);
	xml_str(b, value, n, true);
	hcf_rbuf_puts(b, "\"/>\n");
}

static void junit_cproperty(struct hcf_rbuf *b, const char *name, const char *value)
{
	if (value)
		junit_property(b, name, value, strlen(value));
}

static void junit_free(struct junit_state *st)
{
	hcf_rbuf_free(&st->cases);
	free(st->abi_name);
	free(st->spec_path);
	free(st->command);
	free(st);
}

static int junit_end(void *vst, const struct hcf_exec_stats *stats)
{
	struct junit_state *st = vst;
	const struct hcf_tally *ty = &st->tally;
	size_t failures = ty->n[HCF_V_FAIL] + ty->n[HCF_V_HANG] + ty->n[HCF_V_CRASH] +
			  ty->n[HCF_V_XPASS];
	size_t skipped = ty->n[HCF_V_SKIP] + ty->n[HCF_V_XFAIL];
	double secs = stats ? stats->seconds : st->seconds;
	char ts[32], host[256] = "unknown", seed[32];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	hcf_rpt_iso_time(st->started, ts, sizeof(ts));
	snprintf(seed, sizeof(seed), "%" PRIu64, st->seed);

	struct hcf_rbuf h = { 0 };
	hcf_rbuf_puts(&h, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	hcf_rbuf_printf(&h,
			"<testsuites name=\"hcfuzz\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\""
			" skipped=\"%zu\" time=\"%.3f\">\n",
			ty->total, failures, ty->n[HCF_V_ERROR], skipped, secs);
	hcf_rbuf_puts(&h, "  <testsuite name=\"hcfuzz.");
	xml_cstr(&h, st->abi_name, true);
	hcf_rbuf_printf(&h,
			"\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\""
			" time=\"%.3f\" timestamp=\"%s\" hostname=\"",
			ty->total, failures, ty->n[HCF_V_ERROR], skipped, secs, ts);
	xml_cstr(&h, host, true);
	hcf_rbuf_puts(&h, "\">\n    <properties>\n");
	junit_cproperty(&h, "abi", st->abi_name);
	junit_cproperty(&h, "command", st->command);
	if (st->has_tinfo) {
		const struct hcf_target_info *ti = &st->tinfo;
		junit_property(&h, "target", ti->target, HCF_FIELD_LEN(ti->target));
		junit_property(&h, "hypervisor", ti->hypervisor, HCF_FIELD_LEN(ti->hypervisor));
		junit_property(&h, "cpu_vendor", ti->cpu_vendor, HCF_FIELD_LEN(ti->cpu_vendor));
		junit_property(&h, "hv_signature", ti->hv_signature, HCF_FIELD_LEN(ti->hv_signature));
		if (ti->facts[0])
			junit_property(&h, "target_facts", ti->facts, HCF_FIELD_LEN(ti->facts));
	}
	junit_cproperty(&h, "spec", st->spec_path);
	if (st->transport)
		junit_cproperty(&h, "transport", st->transport);
	junit_cproperty(&h, "seed", seed);
	if (stats && stats->requirement[0]) {
		junit_cproperty(&h, stats->not_applicable ? "not_applicable" : "requirement_unchecked",
				stats->requirement);
		junit_cproperty(&h, "requirement_doc", stats->requirement_doc);
	}
	hcf_rbuf_puts(&h, "    </properties>\n");

	static const char tail[] = "  </testsuite>\n</testsuites>\n";
	errno = 0;
	bool ok = fwrite(h.p, 1, h.len, st->f) == h.len &&
		  (!st->cases.len || fwrite(st->cases.p, 1, st->cases.len, st->f) == st->cases.len) &&
		  fputs(tail, st->f) != EOF && fflush(st->f) == 0 && !ferror(st->f);
	int err = ok ? 0 : (errno ? errno : EIO);
	hcf_rbuf_free(&h);
	junit_free(st);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static void junit_discard(void *st)
{
	junit_free(st);
}

const struct hcf_report_ops hcf_report_junit = {
	.name = "junit",
	.filename = "junit.xml",
	.begin = junit_begin,
	.test = junit_test,
	.end = junit_end,
	.discard = junit_discard,
};
