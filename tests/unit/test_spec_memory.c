/*
 * test_spec_memory.c: the spec constructs about guest memory a call reads,
 * end to end: loader, plan, codec and oracles.
 *
 * - struct fields: hints, baseline, waits, nondeterministic clock, a
 *   buffer's direction; conditions on INPUT.FIELD; a call's own ends: with
 *   must, outside and why; undeclared: ends:; field: anomalies;
 * - every loader error for them, at its position;
 * - evaluation: an outside: range and a field test, known, unknown;
 * - the plan's field tests (baselines, hints, buffers sized by their
 *   length), the codec keeping a waits field to its maximum;
 * - the oracles: a call that comes back where it must end the guest FAILs
 *   naming the range; an end it may make is LOST, one it may not CRASH,
 *   one that depends on memory hcfuzz cannot read SKIP; a hang in a call
 *   that waits longer than the spec allows is SKIP, a short one HANG; the
 *   bytes behind an OUT buffer are the call's to write, an IN buffer's not;
 *   a field anomaly matches only where its field test holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oracles/anomaly.h"
#include "oracles/oracle.h"
#include "prog/codec.h"
#include "prog/codec_int.h"
#include "prog/layout.h"
#include "prog/plan.h"

#include "model_run.h"

/* A small port-I/O ABI in Solo5's shape: one struct pointer in eax. */
static const char base_spec[] =
	"hcfuzz_spec: 1\n"
	"abi: memtest\n"
	"transport: {kind: pio, port: 0x500, width: 4, direction: out}\n"
	"constants: {EINVAL: 2}\n"
	"undeclared:\n"
	"  ends: {by: refused, must: true, why: \"no handler\"}\n"
	"structs:\n"
	"  wr:\n"
	"    size: 32\n"
	"    fields:\n"
	"      handle: {offset: 0, size: 8, baseline: 1, hints: [0, 7]}\n"
	"      data: {offset: 8, size: 8, buffer: {len: len, dir: in}}\n"
	"      len: {offset: 16, size: 8, baseline: 24, hints: [3, 200]}\n"
	"      ret: {offset: 24, size: 4, dir: out, status: true}\n"
	"  rd:\n"
	"    size: 24\n"
	"    fields:\n"
	"      data: {offset: 0, size: 8, buffer: {len: len, dir: out}}\n"
	"      len: {offset: 8, size: 8, baseline: 16}\n"
	"      when: {offset: 16, size: 8, dir: out, nondeterministic: {clock: realtime_ns, slack_ms: 5}}\n"
	"  sl:\n"
	"    size: 16\n"
	"    fields:\n"
	"      ms: {offset: 0, size: 8, waits: {unit: ms, max_ms: 50}, hints: [0, 50]}\n"
	"      cookie: {offset: 8, size: 8, pointer: blob}\n"
	"  blob: {size: 64}\n"
	"calls:\n"
	"  - name: WR\n"
	"    nr: 1\n"
	"    input: {arg: {reg: eax, pointer: wr}}\n"
	"    error_convention: status_field\n"
	"    errors: [EINVAL]\n"
	"    ends:\n"
	"      - {by: refused, must: true, outside: arg, why: \"the struct\"}\n"
	"      - {by: refused, must: true, outside: arg.data, when: {arg.handle: 1}}\n"
	"      - {by: refused, outside: arg.data}\n"
	"  - name: RD\n"
	"    nr: 2\n"
	"    input: {arg: {reg: eax, pointer: rd}}\n"
	"  - name: SL\n"
	"    nr: 3\n"
	"    input: {arg: {reg: eax, pointer: sl}}\n"
	"    ends: [{by: refused, must: true, when: {arg.cookie: {not: 0}}, outside: arg.cookie}]\n"
	"  - name: HLT\n"
	"    nr: 4\n"
	"    input: {arg: {reg: eax, pointer: blob}}\n"
	"    destructive: {why: \"halts\", ends: [{by: halt, must: true}]}\n";

static struct hcf_abi *load(void)
{
	return mr_load_text("memtest.yaml", base_spec);
}

static const struct hcf_field *field(const struct hcf_abi *abi, const char *st, const char *f)
{
	const struct hcf_struct *s = hcf_spec_struct(abi, st);
	assert_non_null(s);
	for (size_t i = 0; i < s->nfields; i++)
		if (!strcmp(s->fields[i].name, f))
			return &s->fields[i];
	fail_msg("no field %s.%s", st, f);
	return NULL;
}

static void test_loaded(void **state)
{
	(void)state;
	struct hcf_abi *abi = load();
	const struct hcf_field *h = field(abi, "wr", "handle");
	assert_int_equal(h->baseline, 1);
	assert_int_equal(h->hints.n, 2);
	assert_int_equal(field(abi, "wr", "data")->buffer_dir, HCF_DIR_IN);
	assert_int_equal(field(abi, "rd", "data")->buffer_dir, HCF_DIR_OUT);
	const struct hcf_field *w = field(abi, "rd", "when");
	assert_int_equal(w->nondet, HCF_NONDET_CLOCK);
	assert_int_equal(w->clock_slack_ms, 5);
	const struct hcf_field *ms = field(abi, "sl", "ms");
	assert_int_equal(ms->waits_unit_ns, 1000000);
	assert_int_equal(hcf_field_waits_max(ms), 50);
	/* the call waiting gets its wait on top of slack */
	assert_true(hcf_spec_op_by_name(abi, "SL")->watchdog_ms >= 50);

	const struct hcf_op *wr = hcf_spec_op_by_name(abi, "WR");
	assert_int_equal(wr->nlosses, 3);
	assert_true(wr->losses[0].must && wr->losses[0].outside && !wr->losses[0].from_field);
	assert_int_equal(wr->losses[0].size, 32);
	assert_string_equal(wr->losses[0].why, "the struct");
	assert_string_equal(wr->losses[0].what, "arg (struct wr, 32 bytes) outside guest memory");
	assert_true(wr->losses[1].from_field && wr->losses[1].len_field);
	assert_string_equal(wr->losses[1].what, "arg.data + arg.len outside guest memory");
	assert_int_equal(wr->losses[1].when.n, 1);
	assert_true(wr->losses[1].when.p[0].in_field);
	assert_false(wr->losses[2].must);
	assert_false(wr->destructive);
	assert_int_equal(abi->undeclared_nlosses, 1);
	assert_true(abi->undeclared_losses[0].must);
	const struct hcf_op *hlt = hcf_spec_op_by_name(abi, "HLT");
	assert_true(hlt->destructive && hlt->nlosses == 1 && hlt->losses[0].must);
	hcf_spec_free(abi);
}

/* Each error, at its line and column, with its message. */
static const struct bad_case {
	const char *from, *to;
	unsigned line, col;
	const char *msg;
} bad_cases[] = {
	{ "when: {arg.handle: 1}", "when: {arg.nope: 1}", 35, 61,
	  "'nope' is not a field of struct 'wr'" },
	{ "outside: arg.data, when", "outside: arg.handle, when", 35, 44,
	  "field 'handle' holds no address" },
	{ "outside: arg, why", "outside: nope, why", 34, 44, "'nope' is not an input of WR" },
	{ "ends: {by: refused, must: true, why", "ends: {by: refused, outside: arg, why", 6, 32,
	  "an undeclared call has no inputs" },
	{ "destructive: {why: \"halts\", ends", "ends: [refused]\n    destructive: {why: \"halts\", "
					       "ends", 47, 11, "ends: said twice" },
	{ "dir: in}}", "dir: up}}", 12, 58, "dir 'up': must be in, out or inout" },
	{ "waits: {unit: ms", "waits: {unit: min", 24, 46, "unit 'min': ns, us, ms or s" },
	{ "hints: [0, 50]", "hints: [0, 51]", 24, 7, "waits longer than its waits max_ms 50" },
	{ "slack_ms: 5}", "slack_ms: 5}, dir: in", 20, 98, "duplicate key 'dir'" },
	{ "realtime_ns", "monotonic_ns", 20, 71, "the only clock is realtime_ns" },
	{ "baseline: 1, hints: [0, 7]", "baseline: 1, hints: [0, 7], waits: {unit: s, max_ms: 1}",
	  11, 7, "baseline of field 'handle' waits longer" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		const char *at = strstr(base_spec, c->from);
		assert_non_null(at);
		char text[8192];
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - base_spec), base_spec, c->to,
			 at + strlen(c->from));
		struct hcf_abi *abi = NULL;
		struct hcf_diags d;
		hcf_diags_init(&d);
		assert_int_not_equal(hcf_spec_load_buffer("bad.yaml", text, strlen(text), &abi, &d), 0);
		bool found = false;
		for (unsigned k = 0; k < d.n; k++) {
			print_message("case %zu: %u:%u: %s\n", i, d.d[k].line, d.d[k].col, d.d[k].msg);
			found |= strstr(d.d[k].msg, c->msg) && d.d[k].line == c->line &&
				 d.d[k].col == c->col;
		}
		if (!found)
			fail_msg("case %zu: no '%s' at %u:%u", i, c->msg, c->line, c->col);
	}
}

/* The oracles' reader of what a call found: its program's buffers. */
static void test_eval(void **state)
{
	(void)state;
	struct hcf_abi *abi = load();
	struct hcf_prog p;
	memset(&p, 0, sizeof(p));
	mr_parse(&p, abi,
		 "buf d size=24\n"
		 "buf in struct=wr handle=1 data=&d len=24\n"
		 "buf far struct=wr handle=1 data=0x7ffff0 len=17\n"
		 "buf end struct=wr handle=5 data=0x7ffff0 len=16\n"
		 "call WR arg=&in\ncall WR arg=&far\ncall WR arg=&end\ncall WR arg=0x7fffe0\n"
		 "call WR arg=0x7fffe1\n");
	const struct hcf_op *wr = hcf_spec_op_by_name(abi, "WR");
	struct hcf_layout l;
	char err[64];
	assert_int_equal(hcf_layout_place(&p, &l, err, sizeof(err)), 0);
	static const enum hcf_tri want[5][3] = {
		{ HCF_TRI_NO, HCF_TRI_NO, HCF_TRI_NO },
		{ HCF_TRI_NO, HCF_TRI_YES, HCF_TRI_YES },      /* one byte past the end */
		{ HCF_TRI_NO, HCF_TRI_NO, HCF_TRI_NO },        /* the last 16 bytes: inside */
		{ HCF_TRI_NO, HCF_TRI_UNKNOWN, HCF_TRI_UNKNOWN }, /* a raw struct, inside */
		{ HCF_TRI_YES, HCF_TRI_UNKNOWN, HCF_TRI_UNKNOWN }, /* its last byte past memory */
	};
	for (size_t i = 0; i < 5; i++) {
		uint64_t regs[HCF_NGPR], entry;
		hcf_layout_call_image(&p, &l, i, regs, &entry);
		struct hcf_found_mem m;
		struct hcf_mem_reader mr;
		hcf_oracle_found_mem(&m, abi, &p, i, &mr);
		for (size_t k = 0; k < 3; k++) {
			enum hcf_tri got = hcf_loss_eval(&wr->losses[k], regs, &mr);
			print_message("call %zu item %zu: %d\n", i, k, (int)got);
			assert_int_equal(got, want[i][k]);
		}
		/* registers alone tell the struct's range, never a field */
		assert_int_equal(hcf_loss_eval(&wr->losses[0], regs, NULL), want[i][0]);
		assert_int_equal(hcf_loss_eval(&wr->losses[2], regs, NULL), HCF_TRI_UNKNOWN);
	}
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

/* Run text on the model target and judge it with the spec alone. */
static enum hcf_verdict run(struct mr_run *r, const struct hcf_abi *abi, const char *text)
{
	mr_run_model(r, abi, text);
	r->worst = hcf_oracles_check(abi, &r->p, &r->res, NULL, &r->ti, r->cvs);
	return r->worst;
}

static enum hcf_verdict rejudge(struct mr_run *r, const struct hcf_abi *abi)
{
	r->worst = hcf_oracles_check(abi, &r->p, &r->res, NULL, &r->ti, r->cvs);
	return r->worst;
}

static void test_must_and_may(void **state)
{
	(void)state;
	struct hcf_abi *abi = load();
	struct mr_run r;

	/* must: the model target refuses; a VMM that returns FAILs */
	assert_int_equal(run(&r, abi, "buf w struct=wr handle=1 data=0x7ffff0 len=17\n"
				      "call WR arg=&w\n"),
			 HCF_V_LOST);
	assert_int_equal(r.res.calls[0].lost_why, HCF_LIVE_REFUSED);
	mr_as_returned(&r);
	assert_int_equal(rejudge(&r, abi), HCF_V_FAIL);
	assert_true(mr_has_issue(&r.cvs[0], "liveness", "outcome",
				 "expected the VMM to refuse the call (exit): arg.data + arg.len "
				 "outside guest memory; got: returned"));
	mr_run_free(&r);

	/* may (handle 5: no must): either way */
	assert_int_equal(run(&r, abi, "buf w struct=wr handle=5 data=0x7ffff0 len=17\n"
				      "call WR arg=&w\n"),
			 HCF_V_PASS);
	mr_as_lost(&r, HCF_LIVE_REFUSED);
	assert_int_equal(rejudge(&r, abi), HCF_V_LOST);
	mr_run_free(&r);

	/* a refusal of a call that may not end the guest: CRASH */
	assert_int_equal(run(&r, abi, "buf d size=24\nbuf w struct=wr handle=5 data=&d len=24\n"
				      "call WR arg=&w\n"),
			 HCF_V_PASS);
	mr_as_lost(&r, HCF_LIVE_REFUSED);
	assert_int_equal(rejudge(&r, abi), HCF_V_CRASH);
	mr_run_free(&r);

	/* a struct hcfuzz cannot read: whether it may is not known: SKIP */
	assert_int_equal(run(&r, abi, "call WR arg=0x7fff00\n"), HCF_V_SKIP);
	mr_as_lost(&r, HCF_LIVE_REFUSED);
	assert_int_equal(rejudge(&r, abi), HCF_V_SKIP);
	assert_true(mr_has_issue(&r.cvs[0], "liveness", NULL,
				 "not judged: WR may end the guest so when arg.data + arg.len"));
	mr_run_free(&r);

	/* undeclared: must refuse; HLT: must halt, as the model target does */
	assert_int_equal(run(&r, abi, "call nr=9\n"), HCF_V_LOST);
	mr_as_returned(&r);
	assert_int_equal(rejudge(&r, abi), HCF_V_FAIL);
	assert_true(mr_has_issue(&r.cvs[0], "liveness", NULL, "(no handler)"));
	mr_run_free(&r);
	assert_int_equal(run(&r, abi, "buf b size=64\ncall HLT arg=&b\n"), HCF_V_LOST);
	assert_int_equal(r.res.calls[0].lost_why, HCF_LIVE_HALT);
	r.res.calls[0].outcome = HCF_CO_EXCEPTION;
	r.res.calls[0].vector = 13;
	r.res.liveness = HCF_LIVE_OK;
	assert_int_equal(rejudge(&r, abi), HCF_V_FAIL);
	assert_true(mr_has_issue(&r.cvs[0], "liveness", NULL, "to halt the guest"));
	mr_run_free(&r);

	/* a cookie only when not NULL */
	assert_int_equal(run(&r, abi, "buf s struct=sl ms=0 cookie=0\ncall SL arg=&s\n"), HCF_V_PASS);
	mr_run_free(&r);
	assert_int_equal(run(&r, abi, "buf s struct=sl ms=0 cookie=0x7fffff\ncall SL arg=&s\n"),
			 HCF_V_LOST);
	mr_run_free(&r);
	hcf_spec_free(abi);
}

/* A hang in SL: judged when the wait is one generators may ask for. */
static void test_waits_hang(void **state)
{
	(void)state;
	struct hcf_abi *abi = load();
	static const struct {
		const char *prog;
		enum hcf_verdict v;
		const char *why;
	} cases[] = {
		{ "buf s struct=sl ms=50\ncall SL arg=&s\n", HCF_V_HANG, "no spec can declare" },
		{ "buf s struct=sl ms=51\ncall SL arg=&s\n", HCF_V_SKIP, "51, longer than the 50 ms" },
		{ "call SL arg=0x7f0000\n", HCF_V_SKIP, "outside the program's buffers" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mr_run r;
		run(&r, abi, cases[i].prog);
		mr_as_lost(&r, HCF_LIVE_HANG);
		assert_int_equal(rejudge(&r, abi), cases[i].v);
		assert_true(mr_has_issue(&r.cvs[0], "liveness", NULL, cases[i].why));
		mr_run_free(&r);
	}
	hcf_spec_free(abi);
}

/* The bytes behind an OUT buffer are the call's to write, even past its
 * buffer; behind an IN buffer not even inside it. */
static void test_buffer_writes(void **state)
{
	(void)state;
	struct hcf_abi *abi = load();
	struct mr_run r;
	run(&r, abi, "buf d size=8 dir=out\nbuf x struct=rd data=&d len=12\ncall RD arg=&x\n");
	r.res.realtime_ns[0] = 0; /* not taken: the clock field is not held */
	r.res.bufs[0].bytes[HCF_BUF_GUARD + 8 + 3] = 0xee; /* the 12th byte: in the guard */
	assert_int_equal(rejudge(&r, abi), HCF_V_PASS);
	r.res.bufs[0].bytes[HCF_BUF_GUARD + 8 + 4] = 0xee; /* the 13th: not */
	assert_int_equal(rejudge(&r, abi), HCF_V_FAIL);
	mr_run_free(&r);
	run(&r, abi, "buf d size=24\nbuf w struct=wr handle=5 data=&d len=24\ncall WR arg=&w\n");
	r.res.bufs[0].bytes[HCF_BUF_GUARD] = 0xee;
	assert_int_equal(rejudge(&r, abi), HCF_V_FAIL);
	mr_run_free(&r);
	hcf_spec_free(abi);
}

static const struct hcf_test *find_test(const struct hcf_test *t, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].id, id))
			return &t[i];
	fail_msg("no test %s", id);
	return NULL;
}

static uint64_t le(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | b[n];
	return v;
}

static void test_plan(void **state)
{
	(void)state;
	struct hcf_abi *abi = load();
	struct hcf_test *t;
	size_t n;
	assert_int_equal(hcf_plan_build(abi, NULL, &t, &n), 0);
	/* the baseline: fields at their baselines, data sized by len */
	const struct hcf_prog *b = &find_test(t, n, "WR/baseline")->prog;
	assert_int_equal(le(b->bufs[0].init, 8), 1);
	assert_int_equal(le(b->bufs[0].init + 16, 8), 24);
	assert_int_equal(b->bufs[1].size, 24);
	assert_int_equal(b->bufs[1].dir, HCF_DIR_IN);
	/* one field at a time */
	b = &find_test(t, n, "WR/arg.handle=hint-1")->prog;
	assert_int_equal(le(b->bufs[0].init, 8), 7);
	assert_int_equal(le(b->bufs[0].init + 16, 8), 24);
	b = &find_test(t, n, "WR/arg.len=hint-1")->prog;
	assert_int_equal(le(b->bufs[0].init + 16, 8), 200);
	assert_int_equal(b->bufs[1].size, 200);
	b = &find_test(t, n, "RD/baseline")->prog;
	assert_int_equal(b->bufs[1].dir, HCF_DIR_OUT);
	/* a struct whose waited field would be the guard's bytes: not planned */
	for (size_t i = 0; i < n; i++)
		assert_null(strstr(t[i].id, "SL/arg=last-byte"));
	find_test(t, n, "WR/arg=last-byte");
	hcf_tests_free(t, n);

	/* the fuzzer's field decoder keeps the wait to its maximum, whatever
	 * value kind it picks (bytes a mutation writes into a buffer directly
	 * may ask for more: such a call is not judged, test_waits_hang) */
	int sl = (int)(hcf_spec_struct(abi, "sl") - abi->structs);
	static const enum vkind kinds[] = { VK_ALL_ONES, VK_RAW, VK_SIGN, VK_SMAX, VK_HINT, VK_SMALL };
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		uint8_t in[32] = { TAG_BUF | CONTENT_FIELDS, (uint8_t)(sl + 1), 0, 0, 0, 0,
				   codec_kind_byte(COL_PLAIN, kinds[k]) };
		for (size_t j = 7; j < sizeof(in); j++)
			in[j] = 0xc7;
		struct hcf_prog p;
		hcf_prog_init(&p, abi);
		hcf_prog_decode(&p, abi, in, sizeof(in));
		assert_true(p.nbufs >= 1 && p.bufs[0].struct_idx == sl);
		print_message("kind %d: ms %llu\n", (int)kinds[k],
			      (unsigned long long)le(p.bufs[0].init, 8));
		assert_true(le(p.bufs[0].init, 8) <= 50);
		hcf_prog_free(&p);
	}
	hcf_spec_free(abi);
}

/* known_anomalies: field: with a field test in when:. */
static void test_field_anomaly(void **state)
{
	(void)state;
	char text[8192];
	snprintf(text, sizeof(text), "%s%s", base_spec,
		 "known_anomalies:\n"
		 "  - id: odd-len\n"
		 "    summary: \"an odd length passes\"\n"
		 "    calls: WR\n"
		 "    when: {arg.len: {mask: 1, is: 1}}\n"
		 "    match: {field: ret, value: 0}\n"
		 "    reproduce: \"call WR arg=0\"\n"
		 "    evidence: \"made up\"\n");
	struct hcf_abi *abi = mr_load_text("anomaly.yaml", text);
	assert_int_equal(abi->anomalies[0].kind, HCF_ANOM_FIELD);
	for (int odd = 0; odd < 2; odd++) {
		struct mr_run r;
		char prog[200];
		snprintf(prog, sizeof(prog), "buf d size=24\nbuf w struct=wr handle=5 data=&d len=%d\n"
			 "call WR arg=&w\n", odd ? 23 : 24);
		mr_run_model(&r, abi, prog);
		/* an issue at the status field, as the model oracle makes one */
		hcf_call_verdict_init(&r.cvs[0]);
		struct hcf_anomaly_scope sc = { 0 };
		hcf_anomaly_scope_init(&sc, abi, &r.p, &r.res);
		r.cvs[0].hook = &sc.hook;
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_FIELD);
		snprintf(loc.name, sizeof(loc.name), "wr.ret");
		hcf_call_verdict_add_values(&r.cvs[0], HCF_V_FAIL, "model", &loc, 2, 0, "expected 2");
		assert_int_equal(r.cvs[0].v, odd ? HCF_V_XFAIL : HCF_V_FAIL);
		mr_run_free(&r);
	}
	hcf_spec_free(abi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loaded),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_must_and_may),
		cmocka_unit_test(test_waits_hang),
		cmocka_unit_test(test_buffer_writes),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_field_anomaly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
