/*
 * test_findings.c: finding signatures and their deduplication, atomic
 * storage and loading (corrupt findings included), behaviour features, and
 * minimization of a fabricated finding on the model target (no VM).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec/targets.h"
#include "fuzz/features.h"
#include "fuzz/finding.h"
#include "fuzz/minimize.h"
#include "oracles/models/model.h"
#include "oracles/oracle.h"
#include "prog/prog.h"
#include "spec/spec.h"
#include "target/target.h"
#include "util/fileio.h"
#include "util/x86.h"

/* specs/pvm.yaml's conventions, with invlpg claiming it leaves rax alone
 * (PVM, and the pvm model, return 0 in rax: a clobber finding). */
static const char misstated[] =
	"hcfuzz_spec: 1\nabi: pvm\nmodel: pvm\ntransport: \"int 0x1b\"\n"
	"call_number: {reg: rax}\nreturn: {reg: rax}\nerror_convention: negative_errno\n"
	"constants: {ENOSYS: 38}\nundeclared: {returns: [-ENOSYS]}\n"
	"calls:\n"
	"  - {name: invlpg, nr: 0x1008, input: {addr: rbx}, return: none, error_convention: none}\n"
	"  - {name: flush_tlb, nr: 0x100e, output: {ret: rax}, returns: [0]}\n"
	"  - {name: reserved_1006, nr: 0x1006, output: {ret: rax}, returns: [], errors: [ENOSYS]}\n";

struct world {
	struct hcf_abi *abi;
	struct hcf_target *t;
	struct hcf_model model;
	char dir[128];
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct hcf_diags d;
	hcf_diags_init(&d);
	assert_int_equal(hcf_spec_load_buffer("misstated.yaml", misstated, strlen(misstated), &w->abi, &d), 0);
	struct hcf_target_opts o = { 0 };
	char err[256];
	assert_int_equal(hcf_target_open("model", &w->t, w->abi, &o, err, sizeof(err)), 0);
	assert_int_equal(hcf_model_open(&w->model, w->abi, w->t->ops->info(w->t)), 0);
	snprintf(w->dir, sizeof(w->dir), "/tmp/hcf-findings.XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", w->dir);
	hcf_model_close(&w->model);
	hcf_target_close(w->t);
	hcf_spec_free(w->abi);
	free(w);
	return 0;
}

/* Run p on the model target and judge it. */
static void judge(struct world *w, struct hcf_prog *p, struct hcf_prog_result *r,
		  struct hcf_call_verdict *cvs)
{
	hcf_result_init(r, p->ncalls);
	w->t->ops->reset(w->t);
	assert_int_equal(w->t->ops->run(w->t, p, r), 0);
	hcf_oracles_check(w->abi, p, r, &w->model, w->t->ops->info(w->t), cvs);
}

static int op_index(struct world *w, const char *name)
{
	const struct hcf_op *op = hcf_spec_op_by_name(w->abi, name);
	assert_non_null(op);
	return (int)(op - w->abi->ops);
}

static void test_signatures_dedup(void **state)
{
	struct world *w = *state;
	struct hcf_prog p;
	hcf_prog_init(&p, w->abi);
	int inv = op_index(w, "invlpg");
	hcf_prog_add_call(&p, inv, 0x1008);
	hcf_prog_add_call(&p, op_index(w, "flush_tlb"), 0x100e);
	hcf_prog_add_call(&p, inv, 0x1008); /* the same bug again */
	struct hcf_prog_result r;
	struct hcf_call_verdict cvs[3];
	judge(w, &p, &r, cvs);
	struct hcf_finding_sig sigs[8];
	size_t n = hcf_finding_sigs(w->abi, &p, &r, cvs, sigs, 8);
	assert_int_equal(n, 1); /* two clobbers of rax by invlpg: one signature */
	assert_string_equal(sigs[0].text, "clobber|invlpg|rax|returned");
	assert_string_equal(sigs[0].oracle, "clobber");
	assert_int_equal(sigs[0].call, 0);
	assert_int_equal(strlen(sigs[0].id), 16);
	/* the id is a function of the signature text only */
	struct hcf_prog p2;
	hcf_prog_init(&p2, w->abi);
	hcf_prog_add_call(&p2, op_index(w, "flush_tlb"), 0x100e);
	hcf_prog_add_call(&p2, inv, 0x1008);
	struct hcf_prog_result r2;
	struct hcf_call_verdict cvs2[2];
	judge(w, &p2, &r2, cvs2);
	struct hcf_finding_sig s2[8];
	assert_int_equal(hcf_finding_sigs(w->abi, &p2, &r2, cvs2, s2, 8), 1);
	assert_string_equal(s2[0].id, sigs[0].id);
	assert_int_equal(s2[0].call, 1);
	hcf_result_free(&r);
	hcf_result_free(&r2);
	hcf_prog_free(&p);
	hcf_prog_free(&p2);
}

static void test_memory_where_normalised(void **state)
{
	struct world *w = *state;
	struct hcf_prog p;
	hcf_prog_init(&p, w->abi);
	hcf_prog_add_call(&p, op_index(w, "flush_tlb"), 0x100e);
	struct hcf_prog_result r;
	struct hcf_call_verdict cvs[1];
	judge(w, &p, &r, cvs);
	/* two memory issues at places only a program's numbering tells apart */
	struct hcf_loc below = { .kind = HCF_LOC_GUARD_BELOW, .buf = 0, .off = -3, .nbytes = 1 };
	struct hcf_loc above = { .kind = HCF_LOC_GUARD_ABOVE, .buf = 2, .off = 70, .nbytes = 1 };
	struct hcf_loc field = { .kind = HCF_LOC_FIELD, .buf = 1, .off = 5, .nbytes = 1,
				 .name = "req.len" };
	struct hcf_loc outcome = { .kind = HCF_LOC_OUTCOME, .buf = -1 };
	hcf_call_verdict_add(&cvs[0], HCF_V_FAIL, "memory", &below, "x");
	hcf_call_verdict_add(&cvs[0], HCF_V_FAIL, "memory", &above, "x");
	hcf_call_verdict_add(&cvs[0], HCF_V_FAIL, "memory", &field, "x");
	hcf_call_verdict_add(&cvs[0], HCF_V_SKIP, "liveness", &outcome, "not a finding");
	struct hcf_finding_sig sigs[8];
	size_t n = hcf_finding_sigs(w->abi, &p, &r, cvs, sigs, 8);
	assert_int_equal(n, 2);
	assert_string_equal(sigs[0].where, "guard");
	assert_string_equal(sigs[1].where, "buffer (req.len)");
	hcf_result_free(&r);
	hcf_prog_free(&p);
}

static void test_store_load(void **state)
{
	struct world *w = *state;
	struct hcf_prog p;
	hcf_prog_init(&p, w->abi);
	struct hcf_pcall *c = hcf_prog_add_call(&p, op_index(w, "invlpg"), 0x1008);
	hcf_pcall_set(c, HCF_RBX, 0x100000);
	struct hcf_prog_result r;
	struct hcf_call_verdict cvs[1];
	judge(w, &p, &r, cvs);
	struct hcf_finding_sig sigs[4];
	assert_int_equal(hcf_finding_sigs(w->abi, &p, &r, cvs, sigs, 4), 1);
	const uint8_t input[] = { 1, 2, 3, 0, 255 };
	struct hcf_finding_meta meta = { .spec_path = "/x/misstated.yaml",
					 .tinfo = w->t->ops->info(w->t), .engine = "test" };
	char err[256];
	assert_int_equal(hcf_finding_store(w->dir, &sigs[0], input, sizeof(input), &p, &r, cvs, &meta,
					   err, sizeof(err)), 1);
	/* the same signature again: already there, nothing written */
	assert_int_equal(hcf_finding_store(w->dir, &sigs[0], input, sizeof(input), &p, &r, cvs, &meta,
					   err, sizeof(err)), 0);
	assert_true(hcf_finding_exists(w->dir, sigs[0].id));
	char path[512];
	snprintf(path, sizeof(path), "%s/findings/%s", w->dir, sigs[0].id);
	struct hcf_finding f;
	struct hcf_diags d;
	hcf_diags_init(&d);
	assert_int_equal(hcf_finding_load(path, w->abi, true, &f, &d), 0);
	assert_string_equal(f.sig.text, sigs[0].text);
	assert_int_equal(f.sig.verdict, HCF_V_FAIL);
	assert_string_equal(f.spec, "/x/misstated.yaml");
	assert_string_equal(f.engine, "test");
	assert_true(f.has_values);
	assert_int_equal(f.got, 0); /* the model target returns 0 in rax */
	assert_int_equal(f.input_len, sizeof(input));
	assert_memory_equal(f.input, input, sizeof(input));
	assert_true(hcf_prog_equal(&f.prog, &p));
	assert_false(f.minimized);
	hcf_finding_free(&f);
	/* no temporary directories are left behind */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s/findings' | grep '^\\.')\"", w->dir);
	assert_int_equal(system(cmd), 0);
	hcf_result_free(&r);
	hcf_prog_free(&p);
}

static void test_corrupt_finding(void **state)
{
	struct world *w = *state;
	char path[512], file[600];
	snprintf(path, sizeof(path), "%s/findings/0123456789abcdef", w->dir);
	assert_int_equal(hcf_mkdir_p(path, 0755), 0);
	struct hcf_finding f;
	struct hcf_diags d;

	/* truncated JSON: an error with the file and position */
	snprintf(file, sizeof(file), "%s/finding.json", path);
	const char *cut = "{\"version\": 1, \"id\": \"0123";
	assert_int_equal(hcf_write_file_atomic(file, cut, strlen(cut)), 0);
	hcf_diags_init(&d);
	assert_int_equal(hcf_finding_load_meta(path, &f, &d), -1);
	assert_true(d.n >= 1);
	assert_non_null(strstr(d.d[0].file, "finding.json"));
	assert_true(d.d[0].line >= 1);

	/* well-formed JSON without the signature */
	const char *partial = "{\"version\": 1, \"id\": \"0123456789abcdef\"}";
	assert_int_equal(hcf_write_file_atomic(file, partial, strlen(partial)), 0);
	hcf_diags_init(&d);
	assert_int_equal(hcf_finding_load_meta(path, &f, &d), -1);
	assert_non_null(strstr(d.d[0].msg, "signature"));

	/* a good finding.json with a broken program: the program's position */
	const char *good = "{\"version\":1,\"id\":\"0123456789abcdef\",\"signature\":\"a|b|c|d\","
			   "\"oracle\":\"a\",\"op\":\"b\",\"where\":\"c\",\"class\":\"d\","
			   "\"verdict\":\"FAIL\",\"abi\":\"pvm\"}";
	assert_int_equal(hcf_write_file_atomic(file, good, strlen(good)), 0);
	snprintf(file, sizeof(file), "%s/program.hcf", path);
	const char *prog = "call invlpg\ncall no_such_call\n";
	assert_int_equal(hcf_write_file_atomic(file, prog, strlen(prog)), 0);
	hcf_diags_init(&d);
	assert_int_equal(hcf_finding_load(path, w->abi, false, &f, &d), -1);
	assert_non_null(strstr(d.d[0].file, "program.hcf"));
	assert_int_equal(d.d[0].line, 2);
}

/* finding.json's text from memory: what the directory loader reads, with
 * the name given in its diagnostics; a missing finding.json is named too. */
static void test_parse_meta(void **state)
{
	struct world *w = *state;
	struct hcf_finding f;
	struct hcf_diags d;
	const char *good = "{\"version\":1,\"id\":\"0123456789abcdef\",\"signature\":\"a|b|c|d\","
			   "\"oracle\":\"a\",\"op\":\"b\",\"where\":\"c\",\"class\":\"d\","
			   "\"verdict\":\"FAIL\",\"abi\":\"pvm\",\"got\":\"0x2\",\"expected\":\"1\","
			   "\"loc\":{\"kind\":\"reg\",\"reg\":\"rbx\"}}";
	hcf_diags_init(&d);
	assert_int_equal(hcf_finding_parse_meta("mem.json", good, strlen(good), &f, &d), 0);
	assert_string_equal(f.sig.id, "0123456789abcdef");
	assert_int_equal(f.sig.verdict, HCF_V_FAIL);
	assert_true(f.has_values && f.got == 2 && f.expected == 1);
	assert_true(f.has_loc);
	assert_int_equal(f.loc.reg, HCF_RBX);
	assert_string_equal(f.path, "");
	/* cut anywhere: an error at a position, never a crash */
	for (size_t n = 0; n < strlen(good); n++) {
		hcf_diags_init(&d);
		assert_int_equal(hcf_finding_parse_meta("mem.json", good, n, &f, &d), -1);
		assert_string_equal(d.d[0].file, "mem.json");
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/findings/none", w->dir);
	hcf_diags_init(&d);
	assert_int_equal(hcf_finding_load_meta(path, &f, &d), -1);
	assert_non_null(strstr(d.d[0].file, "none/finding.json"));
	assert_non_null(strstr(d.d[0].msg, "cannot read"));
}

static void test_features(void **state)
{
	struct world *w = *state;
	struct hcf_prog p;
	hcf_prog_init(&p, w->abi);
	hcf_prog_add_call(&p, op_index(w, "flush_tlb"), 0x100e);
	hcf_prog_add_call(&p, -1, 0x2000);
	struct hcf_prog_result r;
	struct hcf_call_verdict cvs[2];
	judge(w, &p, &r, cvs);
	uint32_t a[64], b[64];
	size_t na = hcf_features_of(&p, &r, cvs, a, 64);
	size_t nb = hcf_features_of(&p, &r, cvs, b, 64);
	assert_true(na >= 3); /* two calls and their pair */
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na * sizeof(a[0])); /* deterministic */
	for (size_t i = 0; i < na; i++) {
		assert_true(a[i] < HCF_FEATURE_SLOTS);
		for (size_t j = 0; j < i; j++)
			assert_true(a[i] != a[j]); /* each slot once */
	}
	/* a different behaviour (another return value) is another feature */
	r.calls[0].after[HCF_RAX] = (uint64_t)-22;
	uint32_t c[64];
	size_t nc = hcf_features_of(&p, &r, cvs, c, 64);
	assert_true(nc >= 1);
	assert_true(c[0] != a[0]);
	struct hcf_feature_set s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(hcf_feature_set_add(&s, a, na), na);
	assert_int_equal(hcf_feature_set_add(&s, a, na), 0);
	assert_int_equal(s.count, na);
	struct hcf_kcov k;
	hcf_kcov_open(&k); /* on or off, it must say which and why */
	assert_true(k.why[0] != '\0');
	hcf_kcov_close(&k);
	hcf_result_free(&r);
	hcf_prog_free(&p);
}

static void test_minimize_fabricated(void **state)
{
	struct world *w = *state;
	/* ten calls; the finding needs one of them, without its argument */
	struct hcf_prog p;
	hcf_prog_init(&p, w->abi);
	int inv = op_index(w, "invlpg"), ft = op_index(w, "flush_tlb");
	for (int i = 0; i < 10; i++) {
		struct hcf_pcall *c = i == 6 ? hcf_prog_add_call(&p, inv, 0x1008)
					     : hcf_prog_add_call(&p, i % 2 ? ft : -1, i % 2 ? 0x100e : 0x2000 + i);
		hcf_pcall_set(c, HCF_RBX, 0x1234 + (uint64_t)i);
		hcf_pcall_set(c, HCF_R12, 7);
		c->rflags = HCF_X86_RFLAGS_CF;
	}
	struct hcf_prog_result r;
	struct hcf_call_verdict cvs[10];
	judge(w, &p, &r, cvs);
	struct hcf_finding_sig sigs[8];
	assert_int_equal(hcf_finding_sigs(w->abi, &p, &r, cvs, sigs, 8), 1);
	struct hcf_prog out;
	struct hcf_min_stats st;
	char err[256];
	assert_int_equal(hcf_minimize(w->t, &w->model, &p, sigs[0].id, NULL, &out, &st, err,
				      sizeof(err)), 0);
	assert_int_equal(st.calls_before, 10);
	assert_int_equal(out.ncalls, 1);
	assert_int_equal(hcf_pcall_op(&out, &out.calls[0]), inv);
	assert_int_equal(st.sets_after, 0); /* rbx, r12 back to sentinels */
	assert_int_equal(out.calls[0].rflags, 0);
	assert_true(st.runs > 1);

	/* a signature the program does not produce: -1, nothing returned */
	struct hcf_prog none;
	assert_int_equal(hcf_minimize(w->t, &w->model, &p, "0000000000000000", NULL, &none, &st, err,
				      sizeof(err)), -1);
	assert_int_equal(none.ncalls, 0);
	assert_non_null(strstr(err, "does not produce"));
	hcf_prog_free(&none);
	hcf_prog_free(&out);
	hcf_result_free(&r);
	hcf_prog_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signatures_dedup),
		cmocka_unit_test(test_memory_where_normalised),
		cmocka_unit_test(test_store_load),
		cmocka_unit_test(test_corrupt_finding),
		cmocka_unit_test(test_parse_meta),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_minimize_fabricated),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
