/* baseline.c: saving a run's results as JSON Lines and loading them back. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports/baseline.h"
#include "spec/transport.h"
#include "util/fileio.h"
#include "util/xalloc.h"

/* Every 64-bit value is a "0x..." string, as in results.jsonl: JSON numbers
 * are doubles in most readers. */
static json_t *jhex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
	return json_string(b);
}

static json_t *jbytes(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = hcf_xmalloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	json_t *j = json_stringn(s, 2 * n);
	free(s);
	return j;
}

static json_t *jregs(const uint64_t *r)
{
	json_t *o = json_object();
	for (unsigned i = 0; i < HCF_NGPR; i++)
		json_object_set_new(o, hcf_reg_name(i), jhex(r[i]));
	return o;
}

void hcf_baseline_header_of(struct hcf_baseline_header *h, const char *command,
			    const struct hcf_abi *abi, const struct hcf_test *tests, size_t n,
			    uint64_t seed, const struct hcf_target_info *ti)
{
	memset(h, 0, sizeof(*h));
	h->version = HCF_BASELINE_VERSION;
	snprintf(h->command, sizeof(h->command), "%s", command);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(h->created, sizeof(h->created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(h->spec_name, sizeof(h->spec_name), "%s", abi->name ? abi->name : "");
	snprintf(h->spec_path, sizeof(h->spec_path), "%s", abi->path ? abi->path : "");
	hcf_xport_describe(&abi->transport, h->transport, sizeof(h->transport));
	h->spec_digest = abi->digest;
	h->plan_digest = hcf_tests_digest(tests, n);
	h->tests = n;
	h->seed = seed;
	if (ti) {
		snprintf(h->target, sizeof(h->target), "%s", ti->target);
		snprintf(h->hypervisor, sizeof(h->hypervisor), "%s", ti->hypervisor);
		snprintf(h->hv_signature, sizeof(h->hv_signature), "%s", ti->hv_signature);
		snprintf(h->cpu_vendor, sizeof(h->cpu_vendor), "%s", ti->cpu_vendor);
		snprintf(h->facts, sizeof(h->facts), "%s", ti->facts);
		h->rflags_captured = ti->rflags_captured;
	}
}

/* ---- saving ----------------------------------------------------------- */

struct hcf_baseline_writer {
	struct hcf_atomic_file af;
	int err;   /* errno of the first failed write */
};

static void put_line(struct hcf_baseline_writer *w, json_t *j)
{
	if (json_dumpf(j, w->af.f, JSON_COMPACT | JSON_ENSURE_ASCII) != 0 || fputc('\n', w->af.f) == EOF)
		if (!w->err)
			w->err = errno ? errno : EIO;
	json_decref(j);
}

static json_t *header_json(const struct hcf_baseline_header *h)
{
	json_t *spec = json_pack("{s:s, s:s, s:o, s:s}", "name", h->spec_name, "path", h->spec_path,
				 "digest", jhex(h->spec_digest), "transport", h->transport);
	json_t *plan = json_pack("{s:o, s:I, s:o}", "digest", jhex(h->plan_digest), "tests",
				 (json_int_t)h->tests, "seed", jhex(h->seed));
	json_t *target = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "name", h->target,
				   "hypervisor", h->hypervisor, "hv_signature", h->hv_signature,
				   "cpu_vendor", h->cpu_vendor, "facts", h->facts,
				   "rflags_captured", jhex(h->rflags_captured));
	return json_pack("{s:i, s:s, s:s, s:o, s:o, s:o}", "hcfuzz_baseline", (int)h->version,
			 "command", h->command, "created", h->created, "spec", spec, "plan", plan,
			 "target", target);
}

struct hcf_baseline_writer *hcf_baseline_create(const char *path,
						const struct hcf_baseline_header *h, char *err,
						size_t errlen)
{
	struct hcf_baseline_writer *w = hcf_xcalloc(1, sizeof(*w));
	if (hcf_atomic_open(&w->af, path) != 0) {
		snprintf(err, errlen, "cannot write baseline %s: %s", path, strerror(errno));
		free(w);
		return NULL;
	}
	put_line(w, header_json(h));
	return w;
}

static json_t *call_json(const struct hcf_call_result *cr)
{
	enum hcf_call_outcome oc = (unsigned)cr->outcome < HCF_CO_COUNT ? cr->outcome : HCF_CO_NOT_RUN;
	json_t *c = json_object();
	json_object_set_new(c, "outcome", json_string(hcf_call_outcome_name(oc)));
	if (oc == HCF_CO_NOT_RUN)
		return c;
	json_object_set_new(c, "before", jregs(cr->before));
	json_object_set_new(c, "rflags_before", jhex(cr->rflags_before));
	if (oc == HCF_CO_HANG || oc == HCF_CO_GUEST_LOST) {
		json_object_set_new(c, "lost", json_string(hcf_liveness_name(cr->lost_why)));
		return c;
	}
	if (oc != HCF_CO_RETURNED && oc != HCF_CO_EXCEPTION)
		return c;
	json_object_set_new(c, "after", jregs(cr->after));
	json_object_set_new(c, "rflags_after", jhex(cr->rflags_after));
	if (oc == HCF_CO_EXCEPTION) {
		json_object_set_new(c, "vector", json_integer(cr->vector));
		json_object_set_new(c, "error_code", jhex(cr->error_code));
	}
	return c;
}

void hcf_baseline_add(struct hcf_baseline_writer *w, const struct hcf_test *t,
		      const struct hcf_test_outcome *o)
{
	json_t *j = json_object();
	json_object_set_new(j, "test", json_string(t->id));
	json_object_set_new(j, "digest", jhex(hcf_test_digest(t)));
	json_object_set_new(j, "verdict", json_string(hcf_verdict_name(o->v)));
	const struct hcf_prog_result *r = o->res;
	if (r) {
		json_object_set_new(j, "liveness", json_string(hcf_liveness_name(r->liveness)));
		json_t *calls = json_array();
		for (size_t i = 0; i < r->ncalls && i < t->prog.ncalls; i++)
			json_array_append_new(calls, call_json(&r->calls[i]));
		json_object_set_new(j, "calls", calls);
		json_t *bufs = json_array();
		for (size_t b = 0; b < r->nbufs; b++) {
			const struct hcf_buf_after *ba = &r->bufs[b];
			json_t *jb = json_pack("{s:o, s:I, s:b}", "gva", jhex(ba->gva), "size",
					       (json_int_t)ba->size, "valid", ba->valid);
			if (ba->valid && ba->bytes)
				json_object_set_new(jb, "bytes",
						    jbytes(ba->bytes, ba->size + 2u * HCF_BUF_GUARD));
			json_array_append_new(bufs, jb);
		}
		json_object_set_new(j, "bufs", bufs);
		json_object_set_new(j, "pages_checked", json_boolean(r->pages_checked));
		json_t *pages = json_array();
		for (size_t k = 0; k < r->npages; k++)
			if (!r->pages[k].agent_writes)
				json_array_append_new(pages,
						      json_pack("{s:o, s:i, s:o}", "gpa",
								jhex(r->pages[k].gpa), "changed",
								(int)r->pages[k].nchanged, "now",
								jbytes(r->pages[k].now, 4096)));
		json_object_set_new(j, "pages", pages);
	}
	put_line(w, j);
}

int hcf_baseline_commit(struct hcf_baseline_writer *w, char *err, size_t errlen)
{
	int rc = 0;
	if (w->err) {
		snprintf(err, errlen, "writing baseline %s failed: %s", w->af.path, strerror(w->err));
		hcf_atomic_abort(&w->af);
		rc = -1;
	} else if (hcf_atomic_commit(&w->af) != 0) {
		snprintf(err, errlen, "writing baseline failed: %s", strerror(errno));
		rc = -1;
	}
	free(w);
	return rc;
}

void hcf_baseline_abort(struct hcf_baseline_writer *w)
{
	if (!w)
		return;
	hcf_atomic_abort(&w->af);
	free(w);
}

/* ---- loading ---------------------------------------------------------- */

struct loader {
	const char *path;
	size_t line;
	char *err;
	size_t errlen;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static bool bad(struct loader *L, const char *fmt, ...)
{
	if (L->failed)
		return false;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(L->err, L->errlen, "%s:%zu: %s", L->path, L->line, msg);
	L->failed = true;
	return false;
}

static bool get_hex(struct loader *L, const json_t *o, const char *key, uint64_t *v)
{
	const char *s = json_string_value(json_object_get(o, key));
	char *end;
	if (!s || strncmp(s, "0x", 2) != 0)
		return bad(L, "'%s': expected a \"0x...\" string", key);
	errno = 0;
	unsigned long long x = strtoull(s + 2, &end, 16);
	if (errno || end == s + 2 || *end)
		return bad(L, "'%s': not a 64-bit hex number: %.40s", key, s);
	*v = x;
	return true;
}

static bool get_str(struct loader *L, const json_t *o, const char *key, char *out, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s)
		return bad(L, "'%s': expected a string", key);
	if (strlen(s) >= len)
		return bad(L, "'%s': longer than %zu characters", key, len - 1);
	snprintf(out, len, "%s", s);
	return true;
}

static bool get_regs(struct loader *L, const json_t *o, const char *key, uint64_t *r)
{
	const json_t *j = json_object_get(o, key);
	if (!json_is_object(j))
		return bad(L, "'%s': expected an object of 16 registers", key);
	for (unsigned i = 0; i < HCF_NGPR; i++)
		if (!get_hex(L, j, hcf_reg_name(i), &r[i]))
			return false;
	return true;
}

static bool get_bytes(struct loader *L, const json_t *o, const char *key, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s || strlen(s) != 2 * n)
		return bad(L, "'%s': expected %zu hex digits", key, 2 * n);
	for (size_t i = 0; i < 2 * n; i++) {
		char c = s[i];
		unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
						    : 16;
		if (d == 16)
			return bad(L, "'%s': '%c' is not a lower-case hex digit", key, c);
		out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | d : d << 4);
	}
	return true;
}

static bool load_header(struct loader *L, const json_t *j, struct hcf_baseline_header *h)
{
	const json_t *v = json_object_get(j, "hcfuzz_baseline");
	if (!json_is_integer(v))
		return bad(L, "not an hcfuzz baseline (no \"hcfuzz_baseline\" version in the first line)");
	if (json_integer_value(v) != HCF_BASELINE_VERSION)
		return bad(L, "baseline format version %lld; this hcfuzz reads version %d",
			   (long long)json_integer_value(v), HCF_BASELINE_VERSION);
	h->version = HCF_BASELINE_VERSION;
	const json_t *spec = json_object_get(j, "spec"), *plan = json_object_get(j, "plan"),
		     *target = json_object_get(j, "target");
	if (!get_str(L, j, "command", h->command, sizeof(h->command)) ||
	    !get_str(L, j, "created", h->created, sizeof(h->created)) ||
	    !get_str(L, spec, "name", h->spec_name, sizeof(h->spec_name)) ||
	    !get_str(L, spec, "path", h->spec_path, sizeof(h->spec_path)) ||
	    !get_str(L, spec, "transport", h->transport, sizeof(h->transport)) ||
	    !get_hex(L, spec, "digest", &h->spec_digest) ||
	    !get_hex(L, plan, "digest", &h->plan_digest) || !get_hex(L, plan, "seed", &h->seed) ||
	    !get_str(L, target, "name", h->target, sizeof(h->target)) ||
	    !get_str(L, target, "hypervisor", h->hypervisor, sizeof(h->hypervisor)) ||
	    !get_str(L, target, "hv_signature", h->hv_signature, sizeof(h->hv_signature)) ||
	    !get_str(L, target, "cpu_vendor", h->cpu_vendor, sizeof(h->cpu_vendor)) ||
	    !get_str(L, target, "facts", h->facts, sizeof(h->facts)) ||
	    !get_hex(L, target, "rflags_captured", &h->rflags_captured))
		return false;
	const json_t *tests = json_object_get(plan, "tests");
	if (!json_is_integer(tests) || json_integer_value(tests) < 0)
		return bad(L, "'tests': expected a count");
	h->tests = (size_t)json_integer_value(tests);
	return true;
}

static int parse_outcome(const char *s)
{
	for (int o = 0; s && o < HCF_CO_COUNT; o++)
		if (!strcmp(s, hcf_call_outcome_name((enum hcf_call_outcome)o)))
			return o;
	return -1;
}

static bool load_call(struct loader *L, const json_t *c, struct hcf_call_result *cr)
{
	uint64_t zero[HCF_NGPR] = { 0 };
	hcf_call_result_init(cr, zero);
	int oc = parse_outcome(json_string_value(json_object_get(c, "outcome")));
	if (oc < 0)
		return bad(L, "'outcome': not one of returned, exception, hang, guest-lost, "
			      "bad-result, not-run");
	cr->outcome = (enum hcf_call_outcome)oc;
	if (oc == HCF_CO_NOT_RUN)
		return true;
	if (!get_regs(L, c, "before", cr->before) || !get_hex(L, c, "rflags_before", &cr->rflags_before))
		return false;
	memcpy(cr->after, cr->before, sizeof(cr->after));
	cr->rflags_after = cr->rflags_before;
	if (oc == HCF_CO_HANG || oc == HCF_CO_GUEST_LOST) {
		int l = hcf_liveness_parse(json_string_value(json_object_get(c, "lost")));
		if (l < 0)
			return bad(L, "'lost': not a way a guest ends");
		cr->lost_why = (enum hcf_liveness)l;
		return true;
	}
	if (oc != HCF_CO_RETURNED && oc != HCF_CO_EXCEPTION)
		return true;
	if (!get_regs(L, c, "after", cr->after) || !get_hex(L, c, "rflags_after", &cr->rflags_after))
		return false;
	if (oc == HCF_CO_EXCEPTION) {
		const json_t *v = json_object_get(c, "vector");
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255)
			return bad(L, "'vector': expected 0..255");
		cr->vector = (uint8_t)json_integer_value(v);
		if (!get_hex(L, c, "error_code", &cr->error_code))
			return false;
	}
	return true;
}

static bool load_bufs(struct loader *L, const json_t *bufs, struct hcf_prog_result *r)
{
	if (!json_is_array(bufs) || json_array_size(bufs) > HCF_PROG_MAX_BUFS)
		return bad(L, "'bufs': expected an array of at most %d buffers", HCF_PROG_MAX_BUFS);
	for (size_t b = 0; b < json_array_size(bufs); b++) {
		const json_t *jb = json_array_get(bufs, b);
		const json_t *size = json_object_get(jb, "size");
		uint64_t gva;
		if (!json_is_integer(size) || json_integer_value(size) < 1 ||
		    json_integer_value(size) > HCF_BUF_MAX)
			return bad(L, "bufs[%zu].size: expected 1..%d", b, HCF_BUF_MAX);
		if (!get_hex(L, jb, "gva", &gva))
			return false;
		uint32_t n = (uint32_t)json_integer_value(size);
		uint8_t *bytes = hcf_result_buf_storage(r, b, n, gva);
		r->nbufs = b + 1;
		r->bufs[b].valid = json_is_true(json_object_get(jb, "valid"));
		if (r->bufs[b].valid && !get_bytes(L, jb, "bytes", bytes, n + 2u * HCF_BUF_GUARD))
			return false;
	}
	return true;
}

static bool load_pages(struct loader *L, const json_t *pages, struct hcf_prog_result *r)
{
	if (!json_is_array(pages) || json_array_size(pages) > HCF_MAX_PAGE_CHANGES)
		return bad(L, "'pages': expected an array of at most %d pages", HCF_MAX_PAGE_CHANGES);
	for (size_t k = 0; k < json_array_size(pages); k++) {
		const json_t *jp = json_array_get(pages, k);
		struct hcf_page_change *pc = hcf_result_page_slot(r);
		if (!pc)
			return bad(L, "too many pages");
		memset(pc, 0, sizeof(*pc));
		const json_t *nch = json_object_get(jp, "changed");
		if (!get_hex(L, jp, "gpa", &pc->gpa) || !get_bytes(L, jp, "now", pc->now, 4096))
			return false;
		if (!json_is_integer(nch) || json_integer_value(nch) < 0 ||
		    json_integer_value(nch) > 4096)
			return bad(L, "pages[%zu].changed: expected 0..4096", k);
		pc->nchanged = (uint16_t)json_integer_value(nch);
	}
	r->pages_found = r->npages;
	return true;
}

static bool load_test(struct loader *L, const json_t *j, struct hcf_baseline_test *bt)
{
	if (!get_str(L, j, "test", bt->id, sizeof(bt->id)) || !get_hex(L, j, "digest", &bt->digest))
		return false;
	if (hcf_verdict_parse(json_string_value(json_object_get(j, "verdict")), &bt->verdict) != 0)
		return bad(L, "'verdict': not a verdict");
	const json_t *calls = json_object_get(j, "calls");
	if (!calls) /* a test that never ran (a refused ABI): nothing else saved */
		return hcf_result_init(&bt->res, 0) == 0 || bad(L, "out of memory");
	if (!json_is_array(calls) || json_array_size(calls) > HCF_PROG_MAX_CALLS)
		return bad(L, "'calls': expected an array of at most %d calls", HCF_PROG_MAX_CALLS);
	size_t n = json_array_size(calls);
	if (hcf_result_init(&bt->res, n) != 0)
		return bad(L, "out of memory");
	bt->res.ncalls = n;
	int l = hcf_liveness_parse(json_string_value(json_object_get(j, "liveness")));
	if (l < 0)
		return bad(L, "'liveness': not a way a guest ends");
	bt->res.liveness = (enum hcf_liveness)l;
	for (size_t i = 0; i < n; i++)
		if (!load_call(L, json_array_get(calls, i), &bt->res.calls[i]))
			return false;
	bt->res.pages_checked = json_is_true(json_object_get(j, "pages_checked"));
	return load_bufs(L, json_object_get(j, "bufs"), &bt->res) &&
	       load_pages(L, json_object_get(j, "pages"), &bt->res);
}

struct hcf_baseline *hcf_baseline_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot read baseline %s: %s", path, strerror(errno));
		return NULL;
	}
	struct hcf_baseline *b = hcf_xcalloc(1, sizeof(*b));
	b->path = hcf_xstrdup(path);
	struct loader L = { .path = path, .err = err, .errlen = errlen };
	size_t cap = 0;
	char *line = NULL;
	size_t linecap = 0;
	ssize_t len;
	while (!L.failed && (len = getline(&line, &linecap, f)) >= 0) {
		L.line++;
		json_error_t je;
		json_t *j = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &je);
		if (!j || !json_is_object(j)) {
			bad(&L, "not a JSON object%s%s", j ? "" : ": ", j ? "" : je.text);
			json_decref(j);
			break;
		}
		if (L.line == 1) {
			load_header(&L, j, &b->h);
		} else {
			if (b->n == cap) {
				cap = cap ? 2 * cap : 256;
				b->tests = hcf_xreallocarray(b->tests, cap, sizeof(*b->tests));
			}
			struct hcf_baseline_test *bt = &b->tests[b->n];
			memset(bt, 0, sizeof(*bt));
			b->n++; /* counted even when it fails, so that free releases it */
			load_test(&L, j, bt);
		}
		json_decref(j);
	}
	bool read_error = ferror(f);
	free(line);
	fclose(f);
	if (!L.failed && read_error)
		bad(&L, "read error: %s", strerror(errno));
	if (!L.failed && L.line == 0)
		snprintf(err, errlen, "%s: empty: not an hcfuzz baseline", path), L.failed = true;
	if (!L.failed && b->n != b->h.tests) {
		L.line++;
		bad(&L, "the header says %zu tests, the file holds %zu (a truncated file?)", b->h.tests,
		    b->n);
	}
	if (L.failed) {
		hcf_baseline_free(b);
		return NULL;
	}
	return b;
}

void hcf_baseline_free(struct hcf_baseline *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		hcf_result_free(&b->tests[i].res);
	free(b->tests);
	free(b->path);
	free(b);
}

int hcf_baseline_check(const struct hcf_baseline *b, const struct hcf_baseline_header *now,
		       const struct hcf_test *tests, size_t n, char *why, size_t len)
{
	if (b->h.spec_digest != now->spec_digest) {
		snprintf(why, len,
			 "baseline %s was saved with another spec: %s (%s, digest 0x%016llx); this run "
			 "uses %s (%s, digest 0x%016llx). Differences would mix the hypervisor's "
			 "changes with the spec's: save a new baseline with this spec",
			 b->path, b->h.spec_name, b->h.spec_path, (unsigned long long)b->h.spec_digest,
			 now->spec_name, now->spec_path, (unsigned long long)now->spec_digest);
		return -1;
	}
	if (strcmp(b->h.transport, now->transport) != 0) {
		snprintf(why, len,
			 "baseline %s was saved through transport %s; this run uses %s (--transport)",
			 b->path, b->h.transport, now->transport);
		return -1;
	}
	if (b->h.plan_digest == now->plan_digest && b->n == n)
		return 0;
	/* Say how the plans differ: tests by id, then by program. */
	size_t only_old = 0, only_new = 0, changed = 0;
	char first[128] = "";
	for (size_t i = 0; i < n; i++) {
		const struct hcf_baseline_test *bt = NULL;
		for (size_t k = 0; k < b->n && !bt; k++)
			if (!strcmp(b->tests[(i + k) % b->n].id, tests[i].id))
				bt = &b->tests[(i + k) % b->n];
		if (!bt)
			only_new++;
		else if (bt->digest != hcf_test_digest(&tests[i]))
			changed++;
		if ((!bt || bt->digest != hcf_test_digest(&tests[i])) && !first[0])
			snprintf(first, sizeof(first), " (first: %s)", tests[i].id);
	}
	size_t common = n - only_new;
	only_old = b->n > common ? b->n - common : 0;
	snprintf(why, len,
		 "baseline %s was saved from another plan: %zu tests there, %zu here; %zu only in "
		 "the baseline, %zu only in this run, %zu with other inputs%s. Run with the options "
		 "the baseline was saved with (seed 0x%llx), or save a new one",
		 b->path, b->n, n, only_old, only_new, changed, first,
		 (unsigned long long)b->h.seed);
	return -1;
}

const struct hcf_baseline_test *hcf_baseline_test(const struct hcf_baseline *b, size_t i,
						  const char *id)
{
	if (i < b->n && !strcmp(b->tests[i].id, id))
		return &b->tests[i];
	return NULL;
}
