/* test_reports.c: the report writers and the output directory, on a hand-built ABI and results. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "reports/report.h"
#include "reports/report_util.h"
#include "util/fileio.h"
#include "util/xalloc.h"

/* strstr that shows the whole text when the needle is missing. */
#define assert_contains(text, needle)                                                    \
	do {                                                                                 \
		if (!strstr((text), (needle)))                                               \
			fail_msg("missing \"%s\" in:\n%s", (needle), (text));                \
	} while (0)

/* ---- a hand-built ABI ------------------------------------------------- */

#define NR_KICK 5u
#define NR_IPI 10u

static struct hcf_abi *make_abi(void)
{
	struct hcf_abi *abi = hcf_xcalloc(1, sizeof(*abi));
	abi->name = hcf_xstrdup("kvm");
	abi->path = hcf_xstrdup("specs/kvm.yml");
	abi->transport.kind = HCF_XPORT_VMCALL;
	abi->nr_reg = HCF_RAX;
	abi->nr_width = 64;
	abi->subop_reg = HCF_REG_NONE;
	abi->ret_reg = HCF_RAX;
	abi->ret_width = 64;
	abi->err = HCF_ERR_NEG_ERRNO;

	abi->nconsts = 2;
	abi->consts = hcf_xcalloc(abi->nconsts, sizeof(*abi->consts));
	abi->consts[0] = (struct hcf_const){ hcf_xstrdup("KVM_ENOSYS"), 1000 };
	abi->consts[1] = (struct hcf_const){ hcf_xstrdup("KVM_EPERM"), 1 };

	static const struct {
		const char *name;
		uint64_t nr;
	} ops[] = { { "KVM_HC_KICK_CPU", NR_KICK }, { "KVM_HC_SEND_IPI", NR_IPI } };
	abi->ncalls = abi->nops = 2;
	abi->calls = hcf_xcalloc(2, sizeof(*abi->calls));
	abi->ops = hcf_xcalloc(2, sizeof(*abi->ops));
	for (size_t i = 0; i < 2; i++) {
		abi->calls[i].name = hcf_xstrdup(ops[i].name);
		abi->calls[i].nr = ops[i].nr;
		abi->calls[i].first_op = i;
		abi->calls[i].nops = 1;
		struct hcf_op *op = &abi->ops[i];
		op->name = hcf_xstrdup(ops[i].name);
		op->call_name = hcf_xstrdup(ops[i].name);
		op->call_idx = (int)i;
		op->nr = ops[i].nr;
		op->ret_reg = HCF_RAX;
		op->ret_width = 64;
		op->err = HCF_ERR_NEG_ERRNO;
		op->in_mask = HCF_REGBIT(HCF_RAX) | HCF_REGBIT(HCF_RCX);
		op->out_mask = HCF_REGBIT(HCF_RAX);
	}
	return abi;
}

/* ---- hand-built tests, results and verdicts ---------------------------- */

#define MAXT 300

struct fx {
	struct hcf_abi *abi;
	struct hcf_target_info tinfo;
	struct hcf_run_info ri;
	struct hcf_test *tests;
	struct hcf_prog_result *res;
	struct hcf_call_verdict *cvs;     /* one call per test */
	struct hcf_test_outcome *out;
	size_t n;
	char dir[64];
};

static void fx_init(struct fx *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->abi = make_abi();
	snprintf(fx->tinfo.target, sizeof(fx->tinfo.target), "kvm");
	snprintf(fx->tinfo.hypervisor, sizeof(fx->tinfo.hypervisor), "pvm");
	memcpy(fx->tinfo.cpu_vendor, "GenuineIntel", 12);
	fx->ri = (struct hcf_run_info){ .command = "conform", .spec_path = "specs/kvm.yml",
					.abi = fx->abi, .tinfo = &fx->tinfo,
					.started = 1795203500, .seed = 42 };
	fx->tests = hcf_xcalloc(MAXT, sizeof(*fx->tests));
	fx->res = hcf_xcalloc(MAXT, sizeof(*fx->res));
	fx->cvs = hcf_xcalloc(MAXT, sizeof(*fx->cvs));
	fx->out = hcf_xcalloc(MAXT, sizeof(*fx->out));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/hcf-reports-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = hcf_xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			chmod(p, 0700);
			rm_tree(p);
		} else {
			unlink(p);
		}
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

static void fx_free(struct fx *fx)
{
	for (size_t i = 0; i < fx->n; i++) {
		free(fx->tests[i].prog.calls);
		free(fx->res[i].calls);
	}
	free(fx->tests);
	free(fx->res);
	free(fx->cvs);
	free(fx->out);
	hcf_spec_free(fx->abi);
	chmod(fx->dir, 0700);
	/* HCF_TEST_KEEP=1 keeps the reports for a look at them */
	if (getenv("HCF_TEST_KEEP"))
		print_message("kept %s\n", fx->dir);
	else
		rm_tree(fx->dir);
}

/* A one-call test of op (or undeclared nr when op < 0) that sets rax and rcx. */
static size_t add_test(struct fx *fx, const char *id, const char *group, const char *desc, int op,
		       uint64_t nr, enum hcf_verdict v, enum hcf_call_outcome oc)
{
	assert_true(fx->n < MAXT);
	size_t i = fx->n++;
	struct hcf_test *t = &fx->tests[i];
	/* ids are char arrays: copy bytes, control characters and all */
	strncpy(t->id, id, sizeof(t->id) - 1);
	strncpy(t->group, group, sizeof(t->group) - 1);
	strncpy(t->desc, desc, sizeof(t->desc) - 1);
	t->prog.abi = fx->abi;
	t->prog.calls = hcf_xcalloc(1, sizeof(*t->prog.calls));
	t->prog.ncalls = t->prog.cap = 1;
	struct hcf_pcall *c = &t->prog.calls[0];
	c->op = op;
	for (unsigned r = 0; r < HCF_NGPR; r++) {
		c->gpr[r] = 0x5e5e000000000000ull | ((uint64_t)r << 32);
		c->ref[r].buf = -1;
	}
	c->gpr[HCF_RAX] = op >= 0 ? fx->abi->ops[op].nr : nr;
	c->gpr[HCF_RCX] = 0xffffffffffffffffull;
	c->set = HCF_REGBIT(HCF_RAX) | HCF_REGBIT(HCF_RCX);

	struct hcf_prog_result *r = &fx->res[i];
	r->calls = hcf_xcalloc(1, sizeof(*r->calls));
	r->ncalls = r->cap = 1;
	struct hcf_call_result *cr = &r->calls[0];
	cr->outcome = oc;
	memcpy(cr->before, c->gpr, sizeof(cr->before));
	memcpy(cr->after, c->gpr, sizeof(cr->after));
	cr->after[HCF_RAX] = 0;
	cr->rflags_before = 0x2;
	cr->rflags_after = 0x46;

	struct hcf_call_verdict *cv = &fx->cvs[i];
	memset(cv, 0, sizeof(*cv));
	cv->v = v;
	fx->out[i] = (struct hcf_test_outcome){ .v = v, .res = r, .cvs = cv, .seconds = 0.25 };
	return i;
}

static struct hcf_issue *add_issue(struct fx *fx, size_t i, enum hcf_verdict v, const char *oracle,
				   const char *where, bool values, uint64_t exp, uint64_t got,
				   const char *reason)
{
	struct hcf_call_verdict *cv = &fx->cvs[i];
	assert_true(cv->nissues < HCF_MAX_ISSUES);
	struct hcf_issue *is = &cv->issues[cv->nissues++];
	is->v = v;
	is->oracle = oracle;
	/* the place as an oracle types it: a register where the text names one */
	unsigned w, reg = hcf_reg_parse(where, &w);
	is->loc = reg != HCF_REG_NONE && w == 64 ? hcf_loc_reg(reg) : hcf_loc_of(HCF_LOC_NONE);
	is->related = SIZE_MAX;
	snprintf(is->where, sizeof(is->where), "%s", where);
	is->has_values = values;
	is->expected = exp;
	is->got = got;
	snprintf(is->reason, sizeof(is->reason), "%s", reason);
	return is;
}

#define ENOSYS_NEG 0xfffffffffffffc18ull /* -1000 */
#define EPERM_NEG 0xffffffffffffffffull  /* -1 */
#define EVIL_ID "evil<&\"'\x01\x1b[31m\xff\xfe\xc0\x80/x"

/* The standard run: one test of each verdict, plus one whose strings are hostile. */
static void fx_standard(struct fx *fx)
{
	add_test(fx, "KVM_HC_KICK_CPU/baseline", "KVM_HC_KICK_CPU", "nothing varied", 0, 0, HCF_V_PASS,
		 HCF_CO_RETURNED);

	size_t i = add_test(fx, "KVM_HC_KICK_CPU/rcx=all-ones", "KVM_HC_KICK_CPU", "rcx all ones", 0,
			    0, HCF_V_FAIL, HCF_CO_RETURNED);
	fx->res[i].calls[0].after[HCF_RAX] = EPERM_NEG;
	fx->res[i].calls[0].after[HCF_RBX] = 0;
	add_issue(fx, i, HCF_V_FAIL, "model", "rax", true, ENOSYS_NEG, EPERM_NEG,
		  "differs from the reference model");
	add_issue(fx, i, HCF_V_FAIL, "clobber", "rbx", true, fx->tests[i].prog.calls[0].gpr[HCF_RBX],
		  0, "not an output or clobber");

	i = add_test(fx, "KVM_HC_SEND_IPI/gp", "KVM_HC_SEND_IPI", "raises #GP", 1, 0, HCF_V_FAIL,
		     HCF_CO_EXCEPTION);
	struct hcf_call_result *cr = &fx->res[i].calls[0];
	cr->vector = 13;
	cr->error_code = 0x18;
	cr->fault_rip = 0x100234;
	add_issue(fx, i, HCF_V_FAIL, "exception", "", false, 0, 0, "#GP is not allowed for this call");

	i = add_test(fx, EVIL_ID, "odd|group`x", "line one\nline two | `code`", 1, 0, HCF_V_ERROR,
		     HCF_CO_BAD_RESULT);
	fx->res[i].liveness = HCF_LIVE_HARNESS;
	snprintf(fx->res[i].detail, sizeof(fx->res[i].detail), "ioctl <KVM_RUN> & \x02\xff failed");
	add_issue(fx, i, HCF_V_ERROR, "liveness", "<where>", false, 0, 0,
		  "bad \"result\" & 'more' \x07 \xc3\x28");

	i = add_test(fx, "undeclared/nr=0x99", "undeclared", "undeclared number", -1, 0x99, HCF_V_SKIP,
		     HCF_CO_NOT_RUN);
	add_issue(fx, i, HCF_V_SKIP, "plan", "", false, 0, 0, "not applicable on this target");

	i = add_test(fx, "KVM_HC_SEND_IPI/hang", "KVM_HC_SEND_IPI", "hangs", 1, 0, HCF_V_HANG,
		     HCF_CO_HANG);
	fx->res[i].liveness = HCF_LIVE_HANG;
	fx->res[i].calls[0].lost_why = HCF_LIVE_HANG;
	add_issue(fx, i, HCF_V_FAIL, "clobber", "rdx", true, 1, 2, "changed before the hang");
	add_issue(fx, i, HCF_V_HANG, "liveness", "", false, 0, 0, "no progress within 2000 ms");

	i = add_test(fx, "KVM_HC_KICK_CPU/crash", "KVM_HC_KICK_CPU", "kills the guest", 0, 0,
		     HCF_V_CRASH, HCF_CO_GUEST_LOST);
	fx->res[i].liveness = HCF_LIVE_SHUTDOWN;
	add_issue(fx, i, HCF_V_CRASH, "liveness", "", false, 0, 0, "guest shut down (triple fault)");
	fx->cvs[i].dropped = 3;
}

static void fx_stats(const struct fx *fx, struct hcf_exec_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	for (size_t i = 0; i < fx->n; i++)
		hcf_tally_add(&stats->tally, fx->out[i].v);
	stats->tests = fx->n;
	stats->calls = fx->n;
	stats->seconds = 1.5;
}

static const struct hcf_report_ops *const all_ops[] = {
	&hcf_report_junit, &hcf_report_jsonl, &hcf_report_markdown,
};
#define NOPS (sizeof(all_ops) / sizeof(all_ops[0]))

/* Write every report of fx into fx->dir and commit. */
static void fx_write(struct fx *fx)
{
	char err[256] = "";
	struct hcf_report_dir *rd = hcf_report_dir_open(fx->dir, all_ops, NOPS, &fx->ri, err,
							sizeof(err));
	assert_non_null(rd);
	for (size_t i = 0; i < fx->n; i++)
		hcf_report_dir_test(rd, &fx->tests[i], &fx->out[i]);
	struct hcf_exec_stats stats;
	fx_stats(fx, &stats);
	int rc = hcf_report_dir_commit(rd, &stats, err, sizeof(err));
	if (rc)
		print_message("commit: %s\n", err);
	assert_int_equal(rc, 0);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char *p = hcf_xasprintf("%s/%s", dir, name);
	char *s = hcf_read_file(p, 64 << 20, len);
	free(p);
	return s;
}

static bool exists(const char *dir, const char *name)
{
	char *p = hcf_xasprintf("%s/%s", dir, name);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

/* Names in dir other than . and .., as one space-separated string. */
static size_t dir_entries(const char *dir, char *buf, size_t len)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	buf[0] = '\0';
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s%s", n ? " " : "", e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* ---- formatting and escaping ------------------------------------------ */

static void test_fmt_value(void **state)
{
	(void)state;
	struct hcf_abi *abi = make_abi();
	char buf[64];
	assert_string_equal(hcf_fmt_value(abi, &abi->ops[0], ENOSYS_NEG, buf, sizeof(buf)),
			    "0xfffffffffffffc18 (-KVM_ENOSYS)");
	assert_string_equal(hcf_fmt_value(abi, &abi->ops[0], 0x1234, buf, sizeof(buf)), "0x1234");
	assert_string_equal(hcf_fmt_value(abi, NULL, EPERM_NEG, buf, sizeof(buf)),
			    "0xffffffffffffffff (-KVM_EPERM)");
	assert_string_equal(hcf_fmt_value(NULL, NULL, 0, buf, sizeof(buf)), "0x0");
	/* a name that does not fit is left out, never cut */
	char small[24];
	assert_string_equal(hcf_fmt_value(abi, &abi->ops[0], ENOSYS_NEG, small, sizeof(small)),
			    "0xfffffffffffffc18");
	assert_string_equal(hcf_fmt_value(abi, NULL, 1, buf, 0), "");

	struct hcf_issue is = { .v = HCF_V_FAIL, .oracle = "model", .where = "rax",
				.loc = { .kind = HCF_LOC_REG, .reg = HCF_RAX, .buf = -1 },
				.has_values = true, .expected = ENOSYS_NEG, .got = EPERM_NEG,
				.reason = "differs" };
	char line[256];
	assert_string_equal(hcf_rpt_issue_line(abi, &abi->ops[0], &is, line, sizeof(line)),
			    "model rax: expected 0xfffffffffffffc18 (-KVM_ENOSYS) got "
			    "0xffffffffffffffff (-KVM_EPERM): differs");
	is.has_values = false;
	is.where[0] = '\0';
	assert_string_equal(hcf_rpt_issue_line(abi, NULL, &is, line, sizeof(line)), "model: differs");
	hcf_spec_free(abi);
}

static void test_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool valid;
	} cases[] = {
		{ "plain ascii", true },
		{ "\xc3\xa9t\xc3\xa9", true },             /* été */
		{ "\xe2\x82\xac", true },                  /* euro sign */
		{ "\xf0\x9f\x98\x80", true },              /* U+1F600 */
		{ "\xc0\x80", false },                     /* overlong NUL */
		{ "\xe0\x80\xaf", false },                 /* overlong '/' */
		{ "\xed\xa0\x80", false },                 /* surrogate */
		{ "\xf4\x90\x80\x80", false },             /* > U+10FFFF */
		{ "\xf5\x80\x80\x80", false },
		{ "\xe2\x82", false },                     /* cut short */
		{ "\xff", false },
		{ "a\x80" "b", false },                    /* stray continuation */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (hcf_utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].valid)
			fail_msg("case %zu: validity should be %d", i, cases[i].valid);
		struct hcf_rbuf b = { 0 };
		hcf_rbuf_put_utf8(&b, cases[i].s, strlen(cases[i].s));
		assert_true(hcf_utf8_valid(hcf_rbuf_str(&b), b.len));
		if (cases[i].valid)
			assert_string_equal(hcf_rbuf_str(&b), cases[i].s);
		hcf_rbuf_free(&b);
	}
}

static void test_xml_escape(void **state)
{
	(void)state;
	const char in[] = "a<b>&\"c'\t\n\r\x01\xff\xef\xbf\xbe\xc3\xa9";
	struct hcf_rbuf b = { 0 };
	hcf_rbuf_put_xml(&b, in, sizeof(in) - 1, true);
	assert_string_equal(hcf_rbuf_str(&b), "a&lt;b&gt;&amp;&quot;c&apos;&#9;&#10;&#13;"
					      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9");
	hcf_rbuf_free(&b);
	hcf_rbuf_put_xml(&b, in, sizeof(in) - 1, false);
	assert_string_equal(hcf_rbuf_str(&b), "a&lt;b&gt;&amp;&quot;c&apos;\t\n&#13;"
					      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9");
	hcf_rbuf_free(&b);
}

static void test_md_escape(void **state)
{
	(void)state;
	struct hcf_rbuf b = { 0 };
	hcf_rbuf_put_md(&b, "a|b`c*d_e<x>\nf", 14);
	assert_string_equal(hcf_rbuf_str(&b), "a\\|b\\`c\\*d\\_e\\<x\\> f");
	hcf_rbuf_free(&b);
	hcf_rbuf_put_md_code(&b, "x|y", 3, true);
	assert_string_equal(hcf_rbuf_str(&b), "`x\\|y`");
	hcf_rbuf_free(&b);
	hcf_rbuf_put_md_code(&b, "a``b", 4, false);
	assert_string_equal(hcf_rbuf_str(&b), "```a``b```");
	hcf_rbuf_free(&b);
	hcf_rbuf_put_md_code(&b, "`x", 2, false);
	assert_string_equal(hcf_rbuf_str(&b), "`` `x ``");
	hcf_rbuf_free(&b);
}

/* ---- JSON Lines --------------------------------------------------------- */

static const char *jget_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", key);
	return json_string_value(v);
}

static uint64_t jget_hex(json_t *o, const char *key)
{
	const char *s = jget_str(o, key);
	if (strncmp(s, "0x", 2))
		fail_msg("\"%s\" is not hex: %s", key, s);
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s + 2, &end, 16);
	if (errno || *end || end == s + 2)
		fail_msg("\"%s\" is not hex: %s", key, s);
	return v;
}

static void test_jsonl(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	fx_standard(&fx);
	fx_write(&fx);

	size_t len;
	char *text = slurp(fx.dir, "results.jsonl", &len);
	assert_non_null(text);
	assert_true(len > 0 && text[len - 1] == '\n');
	assert_true(hcf_utf8_valid(text, len));

	json_t *lines[16];
	size_t n = 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		assert_true(n < 16);
		lines[n] = json_loads(l, 0, &je);
		if (!lines[n])
			fail_msg("line %zu is not JSON: %s", n + 1, je.text);
		assert_true(json_is_object(lines[n]));
		n++;
	}
	assert_int_equal(n, fx.n);

	/* PASS */
	json_t *j = lines[0];
	assert_string_equal(jget_str(j, "test"), "KVM_HC_KICK_CPU/baseline");
	assert_string_equal(jget_str(j, "group"), "KVM_HC_KICK_CPU");
	assert_string_equal(jget_str(j, "verdict"), "PASS");
	assert_true(json_is_null(json_object_get(j, "reason")));
	assert_true(json_is_number(json_object_get(j, "seconds")));
	assert_string_equal(jget_str(j, "liveness"), "ok");

	/* FAIL with values */
	j = lines[1];
	assert_string_equal(jget_str(j, "verdict"), "FAIL");
	assert_string_equal(jget_str(j, "reason"),
			    "model rax: expected 0xfffffffffffffc18 (-KVM_ENOSYS) got "
			    "0xffffffffffffffff (-KVM_EPERM): differs from the reference model");
	json_t *calls = json_object_get(j, "calls");
	assert_true(json_is_array(calls));
	assert_int_equal(json_array_size(calls), 1);
	json_t *c = json_array_get(calls, 0);
	assert_string_equal(jget_str(c, "call"), "KVM_HC_KICK_CPU");
	assert_string_equal(jget_str(c, "op"), "KVM_HC_KICK_CPU");
	assert_int_equal(jget_hex(c, "nr"), NR_KICK);
	assert_string_equal(jget_str(c, "outcome"), "returned");
	json_t *in = json_object_get(c, "inputs");
	assert_int_equal(json_object_size(in), 2);
	assert_int_equal(jget_hex(in, "rax"), NR_KICK);
	assert_int_equal(jget_hex(in, "rcx"), 0xffffffffffffffffull);
	json_t *before = json_object_get(c, "before"), *after = json_object_get(c, "after");
	assert_int_equal(json_object_size(before), 16);
	assert_int_equal(json_object_size(after), 16);
	assert_int_equal(jget_hex(before, "r15"), 0x5e5e000f00000000ull);
	assert_int_equal(jget_hex(after, "rax"), EPERM_NEG);
	assert_int_equal(jget_hex(after, "rbx"), 0);
	assert_int_equal(jget_hex(c, "rflags_before"), 0x2);
	assert_int_equal(jget_hex(c, "rflags_after"), 0x46);
	assert_true(json_is_null(json_object_get(c, "exception")));
	assert_string_equal(jget_str(c, "verdict"), "FAIL");
	json_t *issues = json_object_get(c, "issues");
	assert_int_equal(json_array_size(issues), 2);
	json_t *is = json_array_get(issues, 0);
	assert_string_equal(jget_str(is, "oracle"), "model");
	assert_string_equal(jget_str(is, "verdict"), "FAIL");
	assert_string_equal(jget_str(is, "where"), "rax");
	assert_int_equal(jget_hex(is, "expected"), ENOSYS_NEG);
	assert_int_equal(jget_hex(is, "got"), EPERM_NEG);
	assert_string_equal(jget_str(is, "reason"), "differs from the reference model");
	assert_int_equal(jget_hex(json_array_get(issues, 1), "expected"), 0x5e5e000300000000ull);

	/* exception */
	c = json_array_get(json_object_get(lines[2], "calls"), 0);
	assert_string_equal(jget_str(c, "outcome"), "exception");
	json_t *ex = json_object_get(c, "exception");
	assert_true(json_is_object(ex));
	assert_int_equal(json_integer_value(json_object_get(ex, "vector")), 13);
	assert_string_equal(jget_str(ex, "mnemonic"), "#GP");
	assert_int_equal(jget_hex(ex, "error_code"), 0x18);
	assert_int_equal(jget_hex(ex, "rip"), 0x100234);
	assert_int_equal(jget_hex(ex, "cr2"), 0);
	is = json_array_get(json_object_get(c, "issues"), 0);
	assert_true(json_is_null(json_object_get(is, "expected")));
	assert_true(json_is_null(json_object_get(is, "got")));

	/* hostile strings survive as valid JSON; valid bytes stay, invalid become U+FFFD */
	j = lines[3];
	assert_string_equal(jget_str(j, "test"),
			    "evil<&\"'\x01\x1b[31m\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd/x");
	assert_string_equal(jget_str(j, "desc"), "line one\nline two | `code`");
	assert_string_equal(jget_str(j, "verdict"), "ERROR");
	assert_string_equal(jget_str(j, "liveness"), "harness-error");
	assert_string_equal(jget_str(j, "detail"), "ioctl <KVM_RUN> & \x02\xef\xbf\xbd failed");
	c = json_array_get(json_object_get(j, "calls"), 0);
	assert_string_equal(jget_str(c, "outcome"), "bad-result");
	assert_true(json_is_object(json_object_get(c, "before")));
	assert_true(json_is_null(json_object_get(c, "after")));

	/* undeclared number, not run */
	c = json_array_get(json_object_get(lines[4], "calls"), 0);
	assert_string_equal(jget_str(c, "call"), "nr=0x99");
	assert_int_equal(jget_hex(c, "nr"), 0x99);
	assert_true(json_is_null(json_object_get(c, "op")));
	assert_string_equal(jget_str(c, "outcome"), "not-run");
	assert_true(json_is_null(json_object_get(c, "before")));
	assert_true(json_is_null(json_object_get(c, "rflags_after")));
	assert_string_equal(jget_str(lines[4], "reason"),
			    "plan: not applicable on this target");

	/* HANG: the reason is the issue that made it a HANG, not the earlier FAIL */
	assert_string_equal(jget_str(lines[5], "verdict"), "HANG");
	assert_string_equal(jget_str(lines[5], "reason"), "liveness: no progress within 2000 ms");
	c = json_array_get(json_object_get(lines[6], "calls"), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "issues_dropped")), 3);

	for (size_t k = 0; k < n; k++)
		json_decref(lines[k]);
	free(text);
	fx_free(&fx);
}

/* A killed run leaves complete lines: each test is flushed as it is written. */
static void test_jsonl_flushed(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	fx_standard(&fx);
	char *path = hcf_xasprintf("%s/live.jsonl", fx.dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	void *st = hcf_report_jsonl.begin(f, &fx.ri);
	assert_non_null(st);
	hcf_report_jsonl.test(st, &fx.tests[0], &fx.out[0]);
	hcf_report_jsonl.test(st, &fx.tests[1], &fx.out[1]);
	/* read it back through another descriptor while the writer is still open */
	size_t len;
	char *text = hcf_read_file(path, 1 << 20, &len);
	assert_non_null(text);
	size_t nl = 0;
	for (size_t k = 0; k < len; k++)
		nl += text[k] == '\n';
	assert_int_equal(nl, 2);
	assert_true(text[len - 1] == '\n');
	free(text);
	assert_int_equal(hcf_report_jsonl.end(st, NULL), 0);
	fclose(f);
	free(path);
	fx_free(&fx);
}

/* ---- JUnit XML ------------------------------------------------------------ */

static bool have_xmllint(void)
{
	return system("command -v xmllint >/dev/null 2>&1") == 0;
}

/* xmllint --xpath on path; the result in buf. */
static bool xpath(const char *path, const char *expr, char *buf, size_t len)
{
	char *cmd = hcf_xasprintf("xmllint --xpath '%s' '%s' 2>/dev/null", expr, path);
	FILE *p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return false;
	size_t n = fread(buf, 1, len - 1, p);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n'))
		buf[--n] = '\0';
	return pclose(p) == 0;
}

static void test_junit(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	fx_standard(&fx);
	fx_write(&fx);

	size_t len;
	char *x = slurp(fx.dir, "junit.xml", &len);
	assert_non_null(x);
	assert_true(hcf_utf8_valid(x, len));
	/* no control characters but TAB and LF anywhere in the file */
	for (size_t k = 0; k < len; k++) {
		unsigned char ch = (unsigned char)x[k];
		if (ch < 0x20 && ch != '\n' && ch != '\t')
			fail_msg("control character 0x%02x at offset %zu", ch, k);
	}
	assert_non_null(strstr(x, "<testsuite name=\"hcfuzz.kvm\" tests=\"7\" failures=\"4\" "
				  "errors=\"1\" skipped=\"1\""));
	assert_non_null(strstr(x, "timestamp=\"2026-11-20T"));
	assert_non_null(strstr(x, "<property name=\"target\" value=\"kvm\"/>"));
	assert_non_null(strstr(x, "<property name=\"hypervisor\" value=\"pvm\"/>"));
	assert_non_null(strstr(x, "<property name=\"cpu_vendor\" value=\"GenuineIntel\"/>"));
	assert_non_null(strstr(x, "<property name=\"spec\" value=\"specs/kvm.yml\"/>"));
	assert_non_null(strstr(x, "<property name=\"seed\" value=\"42\"/>"));
	assert_non_null(strstr(x, "<testcase classname=\"hcfuzz.kvm.KVM_HC_KICK_CPU\" "
				  "name=\"KVM_HC_KICK_CPU/baseline\" time=\"0.250000\"/>"));
	assert_non_null(strstr(x, "<failure type=\"FAIL\" message=\"model rax: expected "
				  "0xfffffffffffffc18 (-KVM_ENOSYS) got 0xffffffffffffffff "
				  "(-KVM_EPERM): differs from the reference model\">"));
	assert_non_null(strstr(x, "clobber rbx: expected 0x5e5e000300000000 got 0x0: not an "
				  "output or clobber\n"));
	assert_non_null(strstr(x, "<failure type=\"HANG\""));
	/* constant names only for the return register: rdx = 1 is not KVM_EPERM */
	assert_non_null(strstr(x, "clobber rdx: expected 0x1 got 0x2: changed before the hang\n"));
	assert_non_null(strstr(x, "<failure type=\"CRASH\""));
	assert_non_null(strstr(x, "3 more issues counted but not kept"));
	assert_non_null(strstr(x, "<error type=\"ERROR\""));
	assert_non_null(strstr(x, "<skipped message=\"plan: not applicable on this target\"/>"));
	assert_non_null(strstr(x, "name=\"evil&lt;&amp;&quot;&apos;\xef\xbf\xbd\xef\xbf\xbd[31m"));
	assert_non_null(strstr(x, "classname=\"hcfuzz.kvm.odd|group`x\""));
	assert_non_null(strstr(x, "exception #GP (vector 13) error_code=0x18"));
	free(x);

	if (!have_xmllint()) {
		print_message("SKIP: xmllint not installed (libxml2-utils); junit.xml "
			      "well-formedness not checked by a parser\n");
	} else {
		char *path = hcf_xasprintf("%s/junit.xml", fx.dir);
		char *cmd = hcf_xasprintf("xmllint --noout '%s'", path);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		char buf[256];
		static const struct {
			const char *expr, *want;
		} q[] = {
			{ "string(/testsuites/testsuite/@tests)", "7" },
			{ "string(/testsuites/testsuite/@failures)", "4" },
			{ "string(/testsuites/testsuite/@errors)", "1" },
			{ "string(/testsuites/testsuite/@skipped)", "1" },
			{ "count(/testsuites/testsuite/testcase)", "7" },
			{ "count(//testcase/failure)", "4" },
			{ "count(//testcase/error)", "1" },
			{ "count(//testcase/skipped)", "1" },
			{ "string(//testcase[4]/@name)", "evil<&\"'\xef\xbf\xbd\xef\xbf\xbd[31m"
							 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
							 "\xef\xbf\xbd/x" },
			{ "string(//testcase[4]/error/@message)",
			  "liveness <where>: bad \"result\" & 'more' \xef\xbf\xbd \xef\xbf\xbd(" },
		};
		for (size_t k = 0; k < sizeof(q) / sizeof(q[0]); k++) {
			assert_true(xpath(path, q[k].expr, buf, sizeof(buf)));
			if (strcmp(buf, q[k].want))
				fail_msg("%s: got \"%s\", want \"%s\"", q[k].expr, buf, q[k].want);
		}
		free(path);
	}
	fx_free(&fx);
}

/* Any byte in an id keeps junit.xml well formed. */
static void test_junit_all_bytes(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	for (unsigned b = 1; b < 256; b += 4) {
		char id[8] = { 'i', (char)b, (char)(b + 1), (char)(b + 2), (char)(b + 3), 0 };
		if (b + 3 > 255)
			id[4] = 'z';
		size_t i = add_test(&fx, id, id, id, 0, 0, HCF_V_FAIL, HCF_CO_RETURNED);
		add_issue(&fx, i, HCF_V_FAIL, "model", id, true, 1, 2, id);
	}
	fx_write(&fx);
	size_t len;
	char *x = slurp(fx.dir, "junit.xml", &len);
	assert_non_null(x);
	assert_true(hcf_utf8_valid(x, len));
	free(x);
	if (!have_xmllint()) {
		print_message("SKIP: xmllint not installed; well-formedness not checked\n");
	} else {
		char *cmd = hcf_xasprintf("xmllint --noout '%s/junit.xml'", fx.dir);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	/* JSON Lines: every line parses */
	char *t = slurp(fx.dir, "results.jsonl", &len);
	assert_non_null(t);
	size_t n = 0;
	char *save = NULL;
	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save), n++) {
		json_error_t je;
		json_t *j = json_loads(l, 0, &je);
		if (!j)
			fail_msg("line %zu: %s", n + 1, je.text);
		json_decref(j);
	}
	assert_int_equal(n, fx.n);
	free(t);
	fx_free(&fx);
}

/* ---- Markdown ------------------------------------------------------------ */

static void test_markdown(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	fx_standard(&fx);
	fx_write(&fx);
	size_t len;
	char *m = slurp(fx.dir, "summary.md", &len);
	assert_non_null(m);
	assert_true(hcf_utf8_valid(m, len));
	assert_non_null(strstr(m, "# hcfuzz conform: kvm, 2026-11-20 "));
	assert_non_null(strstr(m, "| target | `kvm` |"));
	assert_non_null(strstr(m, "| hypervisor | pvm |"));
	assert_non_null(strstr(m, "| CPU vendor | GenuineIntel |"));
	assert_non_null(strstr(m, "| spec | `specs/kvm.yml` |"));
	assert_non_null(strstr(m, "| seed | 42 |"));
	assert_non_null(strstr(m, "| tests | 7 |"));
	assert_non_null(strstr(m, "| duration | 1.500 s |"));
	/* verdict tally */
	assert_non_null(strstr(m, "| PASS | 1 | 14.3% |"));
	assert_non_null(strstr(m, "| FAIL | 2 | 28.6% |"));
	assert_non_null(strstr(m, "| CRASH | 1 | 14.3% |"));
	/* groups: counts PASS SKIP ERROR FAIL HANG CRASH, worst */
	assert_non_null(strstr(m, "| `KVM_HC_KICK_CPU` | 3 | 1 | 0 | 0 | 1 | 0 | 1 | CRASH |"));
	assert_non_null(strstr(m, "| `KVM_HC_SEND_IPI` | 2 | 0 | 0 | 0 | 1 | 1 | 0 | HANG |"));
	assert_non_null(strstr(m, "| `` odd\\|group`x `` | 1 | 0 | 0 | 1 | 0 | 0 | 0 | ERROR |") ||
			strstr(m, "| ``odd\\|group`x`` | 1 | 0 | 0 | 1 | 0 | 0 | 0 | ERROR |"));
	assert_non_null(strstr(m, "| **total** | 7 | 1 | 1 | 1 | 2 | 1 | 1 | CRASH |"));
	/* findings, most severe first */
	char *crash = strstr(m, "1. **CRASH** `KVM_HC_KICK_CPU/crash`");
	char *fail = strstr(m, "1. **FAIL** `KVM_HC_KICK_CPU/rcx=all-ones`: rcx all ones");
	char *skip = strstr(m, "1. **SKIP** `undeclared/nr=0x99`");
	assert_non_null(crash);
	assert_non_null(fail);
	assert_non_null(skip);
	assert_true(crash < fail && fail < skip);
	assert_non_null(strstr(m, "   - FAIL model `rax`: expected `0xfffffffffffffc18 (-KVM_ENOSYS)` "
				  "got `0xffffffffffffffff (-KVM_EPERM)`: differs from the "
				  "reference model\n"));
	assert_non_null(strstr(m, "line one line two \\| \\`code\\`"));
	assert_null(strstr(m, "1. **PASS**"));
	assert_non_null(strstr(m, "6 tests did not pass"));
	assert_null(strstr(m, "omitted"));
	free(m);
	fx_free(&fx);
}

static void test_markdown_cap(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	for (int k = 0; k < 250; k++) {
		char id[32];
		snprintf(id, sizeof(id), "KVM_HC_KICK_CPU/f%03d", k);
		size_t i = add_test(&fx, id, "KVM_HC_KICK_CPU", "", 0, 0, HCF_V_FAIL, HCF_CO_RETURNED);
		add_issue(&fx, i, HCF_V_FAIL, "retval", "rax", true, 0, 1, "not allowed");
	}
	size_t i = add_test(&fx, "KVM_HC_KICK_CPU/last", "KVM_HC_KICK_CPU", "", 0, 0, HCF_V_CRASH,
			    HCF_CO_GUEST_LOST);
	add_issue(&fx, i, HCF_V_CRASH, "liveness", "", false, 0, 0, "shutdown");
	fx_write(&fx);
	size_t len;
	char *m = slurp(fx.dir, "summary.md", &len);
	assert_non_null(m);
	assert_non_null(strstr(m, "1. **CRASH** `KVM_HC_KICK_CPU/last`"));
	assert_non_null(strstr(m, "`KVM_HC_KICK_CPU/f198`"));
	assert_null(strstr(m, "`KVM_HC_KICK_CPU/f199`"));
	assert_non_null(strstr(m, "51 more findings omitted"));
	size_t entries = 0;
	for (const char *p = m; (p = strstr(p, "\n1. **")); p++)
		entries++;
	assert_int_equal(entries, HCF_REPORT_MD_FINDINGS);
	free(m);
	fx_free(&fx);
}

/* ---- the output directory ---------------------------------------------- */

static void test_dir_atomic(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	fx_standard(&fx);
	char names[1024], err[256] = "";

	/* leftovers of a killed run (a pid that cannot exist) go; other files stay */
	static const char *const stale[] = { ".junit.xml.tmp.2147483646", ".summary.md.tmp.2147483645" };
	for (size_t k = 0; k < 2; k++) {
		char *p = hcf_xasprintf("%s/%s", fx.dir, stale[k]);
		assert_int_equal(hcf_write_file_atomic(p, "x", 1), 0);
		free(p);
	}
	char *keep = hcf_xasprintf("%s/.notes.tmp.1", fx.dir);
	assert_int_equal(hcf_write_file_atomic(keep, "x", 1), 0);
	free(keep);
	char *live = hcf_xasprintf("%s/.junit.xml.tmp.%ld", fx.dir, (long)getppid());
	assert_int_equal(hcf_write_file_atomic(live, "x", 1), 0);

	struct hcf_report_dir *rd = hcf_report_dir_open(fx.dir, all_ops, NOPS, &fx.ri, err,
							sizeof(err));
	assert_non_null(rd);
	assert_false(exists(fx.dir, stale[0]));
	assert_false(exists(fx.dir, stale[1]));
	assert_true(exists(fx.dir, ".notes.tmp.1"));
	assert_int_equal(access(live, F_OK), 0);   /* its process is alive */
	unlink(live);
	free(live);

	const char *const *paths;
	assert_int_equal(hcf_report_dir_files(rd, &paths), NOPS);
	char *want = hcf_xasprintf("%s/junit.xml", fx.dir);
	assert_string_equal(paths[0], want);
	free(want);

	for (size_t i = 0; i < fx.n; i++)
		hcf_report_dir_test(rd, &fx.tests[i], &fx.out[i]);
	/* before commit: temporaries only */
	assert_false(exists(fx.dir, "junit.xml"));
	assert_false(exists(fx.dir, "results.jsonl"));
	assert_false(exists(fx.dir, "summary.md"));
	assert_int_equal(dir_entries(fx.dir, names, sizeof(names)), 4);

	struct hcf_exec_stats stats;
	fx_stats(&fx, &stats);
	assert_int_equal(hcf_report_dir_commit(rd, &stats, err, sizeof(err)), 0);
	assert_true(exists(fx.dir, "junit.xml"));
	assert_true(exists(fx.dir, "results.jsonl"));
	assert_true(exists(fx.dir, "summary.md"));
	assert_int_equal(dir_entries(fx.dir, names, sizeof(names)), 4); /* + .notes.tmp.1 */

	/* an aborted run leaves the previous reports as they were, and no temporaries */
	size_t len0, len1;
	char *before = slurp(fx.dir, "junit.xml", &len0);
	rd = hcf_report_dir_open(fx.dir, all_ops, NOPS, &fx.ri, err, sizeof(err));
	assert_non_null(rd);
	hcf_report_dir_test(rd, &fx.tests[0], &fx.out[0]);
	assert_int_equal(dir_entries(fx.dir, names, sizeof(names)), 7);
	hcf_report_dir_abort(rd);
	assert_int_equal(dir_entries(fx.dir, names, sizeof(names)), 4);
	char *after = slurp(fx.dir, "junit.xml", &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	free(before);
	free(after);

	/* abort on a fresh directory leaves nothing */
	char *sub = hcf_xasprintf("%s/fresh/deeper", fx.dir);
	rd = hcf_report_dir_open(sub, all_ops, NOPS, &fx.ri, err, sizeof(err));
	assert_non_null(rd);
	hcf_report_dir_test(rd, &fx.tests[1], &fx.out[1]);
	hcf_report_dir_abort(rd);
	assert_int_equal(dir_entries(sub, names, sizeof(names)), 0);
	free(sub);

	/* NULL handles do not crash */
	hcf_report_dir_test(NULL, &fx.tests[0], &fx.out[0]);
	hcf_report_dir_abort(NULL);
	assert_int_equal(hcf_report_dir_commit(NULL, &stats, err, sizeof(err)), -1);
	fx_free(&fx);
}

static void test_dir_unwritable(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	char err[256] = "";

	/* a path below a regular file: ENOTDIR, also as root */
	char *file = hcf_xasprintf("%s/plainfile", fx.dir);
	assert_int_equal(hcf_write_file_atomic(file, "x", 1), 0);
	char *bad = hcf_xasprintf("%s/dir", file);
	assert_null(hcf_report_dir_open(bad, all_ops, NOPS, &fx.ri, err, sizeof(err)));
	assert_non_null(strstr(err, bad));
	assert_non_null(strstr(err, strerror(ENOTDIR)));
	free(bad);
	/* the regular file itself */
	err[0] = '\0';
	assert_null(hcf_report_dir_open(file, all_ops, NOPS, &fx.ri, err, sizeof(err)));
	assert_non_null(strstr(err, strerror(ENOTDIR)));
	free(file);

	/* a read-only directory, where permissions mean something */
	if (geteuid() == 0) {
		print_message("SKIP: running as root, a mode 0500 directory is writable; "
			      "the ENOTDIR cases above cover the unwritable path\n");
	} else {
		char *ro = hcf_xasprintf("%s/ro", fx.dir);
		assert_int_equal(mkdir(ro, 0500), 0);
		err[0] = '\0';
		assert_null(hcf_report_dir_open(ro, all_ops, NOPS, &fx.ri, err, sizeof(err)));
		assert_non_null(strstr(err, strerror(EACCES)));
		char names[256];
		assert_int_equal(dir_entries(ro, names, sizeof(names)), 0);
		free(ro);
	}

	err[0] = '\0';
	assert_null(hcf_report_dir_open("", all_ops, NOPS, &fx.ri, err, sizeof(err)));
	assert_true(err[0] != '\0');
	fx_free(&fx);
}

/* A write that fails (file size limit) fails the commit with a message and
 * leaves neither a final file nor a temporary. */
static void test_dir_write_failure(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	for (int k = 0; k < 200; k++) {
		char id[48];
		snprintf(id, sizeof(id), "KVM_HC_KICK_CPU/case-%d", k);
		size_t i = add_test(&fx, id, "KVM_HC_KICK_CPU", "big", 0, 0, HCF_V_FAIL,
				    HCF_CO_RETURNED);
		add_issue(&fx, i, HCF_V_FAIL, "model", "rax", true, 1, 2, "differs");
	}
	char err[256] = "";
	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);

	struct hcf_report_dir *rd = hcf_report_dir_open(fx.dir, all_ops, NOPS, &fx.ri, err,
							sizeof(err));
	assert_non_null(rd);
	lim = old;
	lim.rlim_cur = 8192;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (size_t i = 0; i < fx.n; i++)
		hcf_report_dir_test(rd, &fx.tests[i], &fx.out[i]);
	struct hcf_exec_stats stats;
	fx_stats(&fx, &stats);
	int rc = hcf_report_dir_commit(rd, &stats, err, sizeof(err));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);

	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "failed"));
	assert_non_null(strstr(err, strerror(EFBIG)));
	char names[512];
	assert_int_equal(dir_entries(fx.dir, names, sizeof(names)), 0);

	/* the writers on their own report the failure too (/dev/full: ENOSPC on flush) */
	for (size_t k = 0; k < NOPS; k++) {
		FILE *f = fopen("/dev/full", "w");
		if (!f) {
			print_message("SKIP: /dev/full missing, writer failure not checked\n");
			break;
		}
		void *st = all_ops[k]->begin(f, &fx.ri);
		for (size_t i = 0; i < fx.n; i++)
			all_ops[k]->test(st, &fx.tests[i], &fx.out[i]);
		errno = 0;
		assert_int_equal(all_ops[k]->end(st, &stats), -1);
		assert_int_equal(errno, ENOSPC);
		fclose(f);
	}
	fx_free(&fx);
}

/* ---- the terminal table -------------------------------------------------- */

static char *capture(void (*fn)(FILE *f, void *ctx), void *ctx)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	fn(f, ctx);
	fflush(f);
	long n = ftell(f);
	rewind(f);
	char *s = hcf_xcalloc(1, (size_t)n + 1);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

struct table_ctx {
	struct fx *fx;
	struct hcf_exec_stats stats;
};

static void print_summary(FILE *f, void *vctx)
{
	struct table_ctx *tc = vctx;
	struct hcf_report_summary *s = hcf_report_summary_new(tc->fx->abi);
	for (size_t i = 0; i < tc->fx->n; i++)
		hcf_report_summary_add(s, &tc->fx->tests[i], &tc->fx->out[i]);
	hcf_report_summary_print(s, f, &tc->stats);
	hcf_report_summary_free(s);
}

static void print_table(FILE *f, void *vctx)
{
	struct table_ctx *tc = vctx;
	enum hcf_verdict v[MAXT];
	for (size_t i = 0; i < tc->fx->n; i++)
		v[i] = tc->fx->out[i].v;
	hcf_report_table(f, tc->fx->abi, tc->fx->tests, tc->fx->n, v, &tc->stats);
}

/* Columns of the longest line, escape sequences and CR not counted. */
static size_t max_cols(const char *s)
{
	size_t best = 0, cols = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		if (*p == '\033') {
			while (*p && *p != 'm')
				p++;
			if (*p)
				p++;
			continue;
		}
		if (*p == '\n') {
			if (cols > best)
				best = cols;
			cols = 0;
		} else if (*p != '\r' && (*p & 0xc0) != 0x80) {
			cols++;
		}
		p++;
	}
	return cols > best ? cols : best;
}

static void test_table(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	fx_standard(&fx);
	struct table_ctx tc = { .fx = &fx };
	fx_stats(&fx, &tc.stats);
	unsetenv("COLUMNS");

	char *t = capture(print_summary, &tc);
	assert_null(strchr(t, '\033'));   /* not a terminal: no colour */
	assert_contains(t, "kvm: 7 tests, 7 calls in 1.50 s\n");
	assert_contains(t, "group            tests  PASS  SKIP  ERROR  FAIL  HANG  CRASH  worst\n");
	assert_contains(t, "KVM_HC_KICK_CPU      3     1     0      0     1     0      1  CRASH\n");
	assert_contains(t, "undeclared           1     0     1      0     0     0      0  SKIP\n");
	assert_contains(t, "odd|group`x          1     0     0      1     0     0      0  ERROR\n");
	assert_contains(t, "total                7     1     1      1     2     1      1  CRASH\n");
	/* most severe first, with the first issue */
	char *crash = strstr(t, "CRASH  KVM_HC_KICK_CPU/crash");
	char *fail = strstr(t, "FAIL   KVM_HC_KICK_CPU/rcx=all-ones  model rax: expected "
			       "0xfffffffffffffc18 (-KVM_ENOSYS) got 0xffffffffffffffff (-KVM_EPERM)");
	assert_non_null(crash);
	assert_non_null(fail);
	assert_true(crash < fail);
	/* hostile bytes never reach the terminal */
	assert_contains(t, "ERROR  evil<&\"'?" "?[31m?" "?" "?" "?/x");
	for (const unsigned char *p = (const unsigned char *)t; *p; p++)
		assert_true(*p >= 0x20 || *p == '\n');
	free(t);

	/* the array form lists the worst tests by id */
	t = capture(print_table, &tc);
	assert_contains(t, "total                7     1     1      1     2     1      1  CRASH\n");
	assert_contains(t, "CRASH  KVM_HC_KICK_CPU/crash\n");
	free(t);
	fx_free(&fx);
}

/* More than HCF_REPORT_TABLE_WORST non-PASS tests: the rest is counted. */
static void test_table_many(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	for (int k = 0; k < 30; k++) {
		char id[32];
		snprintf(id, sizeof(id), "KVM_HC_KICK_CPU/s%d", k);
		size_t i = add_test(&fx, id, "KVM_HC_KICK_CPU", "", 0, 0, HCF_V_SKIP, HCF_CO_NOT_RUN);
		add_issue(&fx, i, HCF_V_SKIP, "plan", "", false, 0, 0, "n/a");
	}
	size_t i = add_test(&fx, "KVM_HC_SEND_IPI/f", "KVM_HC_SEND_IPI", "", 1, 0, HCF_V_FAIL,
			    HCF_CO_RETURNED);
	add_issue(&fx, i, HCF_V_FAIL, "retval", "rax", true, 0, 1, "bad");
	struct table_ctx tc = { .fx = &fx };
	fx_stats(&fx, &tc.stats);
	char *t = capture(print_summary, &tc);
	assert_contains(t, "FAIL   KVM_HC_SEND_IPI/f");
	assert_true(strstr(t, "FAIL   KVM_HC_SEND_IPI/f") < strstr(t, "SKIP   KVM_HC_KICK_CPU/s0"));
	assert_contains(t, "SKIP   KVM_HC_KICK_CPU/s18");
	assert_null(strstr(t, "KVM_HC_KICK_CPU/s19"));
	assert_contains(t, "... and 11 more tests that did not pass");
	free(t);
	fx_free(&fx);
}

/* On a terminal: colours unless NO_COLOR, and no line wider than the terminal. */
static void test_table_tty(void **state)
{
	(void)state;
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m)) {
		print_message("SKIP: no pseudo-terminal (%s); colour and width not checked\n",
			      strerror(errno));
		if (m >= 0)
			close(m);
		return;
	}
	struct fx fx;
	fx_init(&fx);
	fx_standard(&fx);
	struct table_ctx tc = { .fx = &fx };
	fx_stats(&fx, &tc.stats);
	setenv("TERM", "xterm", 1);

	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			setenv("NO_COLOR", "1", 1);
		else
			unsetenv("NO_COLOR");
		int s = open(ptsname(m), O_RDWR | O_NOCTTY);
		assert_true(s >= 0);
		struct winsize ws = { .ws_row = 40, .ws_col = 60 };
		assert_int_equal(ioctl(s, TIOCSWINSZ, &ws), 0);
		FILE *f = fdopen(s, "w");
		assert_non_null(f);
		print_summary(f, &tc);
		fclose(f);

		char out[16384];
		size_t n = 0;
		struct pollfd pfd = { .fd = m, .events = POLLIN };
		while (n < sizeof(out) - 1 && poll(&pfd, 1, 200) > 0) {
			ssize_t k = read(m, out + n, sizeof(out) - 1 - n);
			if (k <= 0)
				break;
			n += (size_t)k;
		}
		out[n] = '\0';
		assert_non_null(strstr(out, "KVM_HC_KICK_CPU"));
		if (pass == 0)
			assert_non_null(strstr(out, "\033[1;37;41mCRASH\033[0m"));
		else
			assert_null(strchr(out, '\033'));
		size_t w = max_cols(out);
		if (w > 60)
			fail_msg("a line is %zu columns wide on a 60-column terminal:\n%s", w, out);
	}
	unsetenv("NO_COLOR");
	close(m);
	fx_free(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_value),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_md_escape),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_jsonl_flushed),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_junit_all_bytes),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_markdown_cap),
		cmocka_unit_test(test_dir_atomic),
		cmocka_unit_test(test_dir_unwritable),
		cmocka_unit_test(test_dir_write_failure),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_many),
		cmocka_unit_test(test_table_tty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
