/* diff_report.c: a run's differences for the terminal, Markdown, JSON Lines and JUnit. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/diff_report.h"
#include "reports/report_util.h"
#include "util/fileio.h"
#include "util/xalloc.h"

struct entry {
	size_t test;               /* index of the test among those added */
	char test_id[96], group[64];
	char call_name[96];        /* "" for the program as a whole */
	char key[160];
	char line[384];            /* hcf_difference_format */
	struct hcf_difference d;
};

struct uncompared {
	char test_id[96];
	char why[160];
};

struct hcf_diff_report {
	char *label_a, *label_b, *about;
	struct entry *e;
	size_t n, cap;
	struct uncompared *u;
	size_t nu, capu;
	size_t tests;              /* added so far */
	struct hcf_diff_counts c;
};

/* Differences kept in all; the counts go on past it. */
#define DIFF_REPORT_KEEP 20000

struct hcf_diff_report *hcf_diff_report_new(const char *label_a, const char *label_b,
					    const char *about)
{
	struct hcf_diff_report *r = hcf_xcalloc(1, sizeof(*r));
	r->label_a = hcf_xstrdup(label_a);
	r->label_b = hcf_xstrdup(label_b);
	r->about = hcf_xstrdup(about);
	return r;
}

void hcf_diff_report_free(struct hcf_diff_report *r)
{
	if (!r)
		return;
	free(r->label_a);
	free(r->label_b);
	free(r->about);
	free(r->e);
	free(r->u);
	free(r);
}

void hcf_diff_report_add(struct hcf_diff_report *r, const struct hcf_test *t,
			 const struct hcf_differences *d)
{
	size_t ti = r->tests++;
	if (!d->found) {
		r->c.tests_same++;
		return;
	}
	r->c.tests_differing++;
	r->c.differences += d->found;
	for (size_t k = 0; k < d->n && r->n < DIFF_REPORT_KEEP; k++) {
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 64;
			r->e = hcf_xreallocarray(r->e, r->cap, sizeof(*r->e));
		}
		struct entry *e = &r->e[r->n++];
		memset(e, 0, sizeof(*e));
		e->test = ti;
		e->d = d->d[k];
		snprintf(e->test_id, sizeof(e->test_id), "%s", t->id);
		snprintf(e->group, sizeof(e->group), "%s", t->group);
		if (e->d.call < t->prog.ncalls)
			hcf_pcall_name(&t->prog, &t->prog.calls[e->d.call], e->call_name,
				       sizeof(e->call_name));
		hcf_difference_key(&t->prog, &e->d, e->key, sizeof(e->key));
		hcf_difference_format(&t->prog, &e->d, r->label_a, r->label_b, e->line,
				      sizeof(e->line));
	}
}

void hcf_diff_report_uncompared(struct hcf_diff_report *r, const struct hcf_test *t,
				const char *why)
{
	r->tests++;
	r->c.tests_uncompared++;
	if (r->nu == r->capu) {
		r->capu = r->capu ? 2 * r->capu : 16;
		r->u = hcf_xreallocarray(r->u, r->capu, sizeof(*r->u));
	}
	struct uncompared *u = &r->u[r->nu++];
	snprintf(u->test_id, sizeof(u->test_id), "%s", t->id);
	snprintf(u->why, sizeof(u->why), "%s", why);
}

void hcf_diff_report_counts(const struct hcf_diff_report *r, struct hcf_diff_counts *c)
{
	*c = r->c;
}

bool hcf_diff_report_get(const struct hcf_diff_report *r, size_t i, size_t *test_index,
			 const struct hcf_difference **d, const char **test_id)
{
	if (i >= r->n)
		return false;
	*test_index = r->e[i].test;
	*d = &r->e[i].d;
	*test_id = r->e[i].test_id;
	return true;
}

static void counts_line(const struct hcf_diff_report *r, char *buf, size_t len)
{
	snprintf(buf, len, "%zu difference%s in %zu test%s; %zu test%s the same", r->c.differences,
		 r->c.differences == 1 ? "" : "s", r->c.tests_differing,
		 r->c.tests_differing == 1 ? "" : "s", r->c.tests_same,
		 r->c.tests_same == 1 ? "" : "s");
	if (r->c.tests_uncompared) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "; %zu not compared", r->c.tests_uncompared);
	}
}

void hcf_diff_report_print(const struct hcf_diff_report *r, FILE *f, size_t max)
{
	char counts[192];
	counts_line(r, counts, sizeof(counts));
	fprintf(f, "%s: %s\n", r->about, counts);
	size_t shown = 0;
	for (size_t i = 0; i < r->n && shown < max; i++, shown++)
		fprintf(f, "  DIFF %s: %s\n", r->e[i].test_id, r->e[i].line);
	if (r->c.differences > shown)
		fprintf(f, "  ... %zu more in differences.jsonl\n", r->c.differences - shown);
	for (size_t i = 0; i < r->nu && i < max; i++)
		fprintf(f, "  NOT COMPARED %s: %s\n", r->u[i].test_id, r->u[i].why);
}

char *hcf_diff_report_markdown(const struct hcf_diff_report *r)
{
	struct hcf_rbuf b = { 0 };
	char counts[192];
	counts_line(r, counts, sizeof(counts));
	hcf_rbuf_puts(&b, "## Differences: ");
	hcf_rbuf_put_md(&b, r->about, strlen(r->about));
	hcf_rbuf_puts(&b, "\n\n");
	hcf_rbuf_put_md(&b, counts, strlen(counts));
	hcf_rbuf_puts(&b, ".\n\n");
	if (r->n) {
		hcf_rbuf_printf(&b, "| test | call | where | %s | %s |\n|---|---|---|---|---|\n",
				r->label_a, r->label_b);
		for (size_t i = 0; i < r->n && i < HCF_REPORT_MD_FINDINGS; i++) {
			const struct entry *e = &r->e[i];
			hcf_rbuf_puts(&b, "| ");
			hcf_rbuf_put_md_code(&b, e->test_id, strlen(e->test_id), true);
			hcf_rbuf_puts(&b, " | ");
			if (e->call_name[0])
				hcf_rbuf_printf(&b, "%zu ", e->d.call);
			hcf_rbuf_put_md(&b, e->call_name, strlen(e->call_name));
			hcf_rbuf_puts(&b, " | ");
			hcf_rbuf_put_md_code(&b, e->d.where, strlen(e->d.where), true);
			hcf_rbuf_puts(&b, " | ");
			hcf_rbuf_put_md_code(&b, e->d.was, strlen(e->d.was), true);
			hcf_rbuf_puts(&b, " | ");
			hcf_rbuf_put_md_code(&b, e->d.now, strlen(e->d.now), true);
			hcf_rbuf_puts(&b, " |\n");
		}
		if (r->c.differences > r->n || r->n > HCF_REPORT_MD_FINDINGS)
			hcf_rbuf_puts(&b, "\nThe full list is in `differences.jsonl`.\n");
		hcf_rbuf_puts(&b, "\n");
	}
	for (size_t i = 0; i < r->nu; i++) {
		hcf_rbuf_puts(&b, i ? "- " : "Not compared:\n\n- ");
		hcf_rbuf_put_md_code(&b, r->u[i].test_id, strlen(r->u[i].test_id), false);
		hcf_rbuf_puts(&b, ": ");
		hcf_rbuf_put_md(&b, r->u[i].why, strlen(r->u[i].why));
		hcf_rbuf_puts(&b, i + 1 == r->nu ? "\n\n" : "\n");
	}
	if (!b.p)
		hcf_rbuf_puts(&b, "");
	return b.p;
}

static json_t *jhex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
	return json_string(b);
}

static int write_jsonl(const struct hcf_diff_report *r, FILE *f)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct entry *e = &r->e[i];
		json_t *j = json_object();
		json_object_set_new(j, "test", json_string(e->test_id));
		json_object_set_new(j, "group", json_string(e->group));
		json_object_set_new(j, "call", e->d.call == SIZE_MAX ? json_null()
								     : json_integer((json_int_t)e->d.call));
		json_object_set_new(j, "op", e->call_name[0] ? json_string(e->call_name) : json_null());
		json_object_set_new(j, "where", json_string(e->d.where));
		json_object_set_new(j, "loc", hcf_loc_to_json_v(&e->d.loc));
		json_object_set_new(j, r->label_a, json_string(e->d.was));
		json_object_set_new(j, r->label_b, json_string(e->d.now));
		if (e->d.has_values) {
			json_t *v = json_object();
			json_object_set_new(v, r->label_a, jhex(e->d.was_v));
			json_object_set_new(v, r->label_b, jhex(e->d.now_v));
			json_object_set_new(j, "values", v);
		}
		json_object_set_new(j, "key", json_string(e->key));
		json_object_set_new(j, "text", json_string(e->line));
		int rc = json_dumpf(j, f, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(j);
		if (rc != 0 || fputc('\n', f) == EOF)
			return -1;
	}
	for (size_t i = 0; i < r->nu; i++) {
		json_t *j = json_pack("{s:s, s:b, s:s}", "test", r->u[i].test_id, "compared", 0,
				      "why", r->u[i].why);
		int rc = json_dumpf(j, f, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(j);
		if (rc != 0 || fputc('\n', f) == EOF)
			return -1;
	}
	return 0;
}

static void xml(struct hcf_rbuf *b, const char *s, bool attr)
{
	hcf_rbuf_put_xml(b, s, strlen(s), attr);
}

static int write_junit(const struct hcf_diff_report *r, FILE *f)
{
	struct hcf_rbuf b = { 0 };
	size_t cases = r->n + r->nu + 1, failures = r->n + r->nu;
	hcf_rbuf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			    "<testsuites name=\"hcfuzz differences\" tests=\"%zu\" failures=\"%zu\">\n"
			    "  <testsuite name=\"",
			cases, failures);
	xml(&b, r->about, true);
	hcf_rbuf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n", cases,
			failures);
	for (size_t i = 0; i < r->n; i++) {
		const struct entry *e = &r->e[i];
		hcf_rbuf_puts(&b, "    <testcase classname=\"differences.");
		xml(&b, e->group, true);
		hcf_rbuf_puts(&b, "\" name=\"");
		xml(&b, e->test_id, true);
		hcf_rbuf_puts(&b, " ");
		xml(&b, e->d.where, true);
		if (e->d.call != SIZE_MAX)
			hcf_rbuf_printf(&b, " (call %zu)", e->d.call);
		hcf_rbuf_puts(&b, "\">\n      <failure type=\"difference\" message=\"");
		xml(&b, e->line, true);
		hcf_rbuf_puts(&b, "\">");
		xml(&b, e->line, false);
		hcf_rbuf_puts(&b, "\nkey: ");
		xml(&b, e->key, false);
		hcf_rbuf_puts(&b, "</failure>\n    </testcase>\n");
	}
	for (size_t i = 0; i < r->nu; i++) {
		hcf_rbuf_puts(&b, "    <testcase classname=\"differences\" name=\"");
		xml(&b, r->u[i].test_id, true);
		hcf_rbuf_puts(&b, " not compared\">\n      <failure type=\"not-compared\" message=\"");
		xml(&b, r->u[i].why, true);
		hcf_rbuf_puts(&b, "\"/>\n    </testcase>\n");
	}
	hcf_rbuf_printf(&b, "    <testcase classname=\"differences\" name=\"%zu tests the same\"/>\n"
			    "  </testsuite>\n</testsuites>\n",
			r->c.tests_same);
	int rc = fwrite(hcf_rbuf_str(&b), 1, b.len, f) == b.len ? 0 : -1;
	hcf_rbuf_free(&b);
	return rc;
}

int hcf_diff_report_write(const struct hcf_diff_report *r, const char *dir, char *err,
			  size_t errlen)
{
	static const struct {
		const char *name;
		int (*write)(const struct hcf_diff_report *r, FILE *f);
	} files[] = { { "differences.jsonl", write_jsonl }, { "differences.xml", write_junit } };
	if (hcf_mkdir_p(dir, 0777) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		struct hcf_atomic_file af;
		if (hcf_atomic_open(&af, path) != 0) {
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			return -1;
		}
		if (files[i].write(r, af.f) != 0) {
			int e = errno;
			hcf_atomic_abort(&af);
			snprintf(err, errlen, "writing %s failed: %s", path, strerror(e ? e : EIO));
			return -1;
		}
		if (hcf_atomic_commit(&af) != 0) {
			snprintf(err, errlen, "writing %s failed: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}
