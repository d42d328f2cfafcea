/*
 * finding.c: finding signatures, and findings stored and loaded atomically.
 *
 * A finding directory is built under a temporary name next to its final
 * place and renamed into it: a reader, a resumed campaign or a parallel
 * instance sees a complete finding or none. Two instances that find the same
 * signature race on the rename; the loser drops its copy. A full disk or an
 * unwritable directory is reported, never ignored, and leaves no partial
 * finding behind.
 */
#include "fuzz/finding.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/exec.h"
#include "fuzz/campaign_dir.h"
#include "oracles/oracle.h"
#include "reports/report.h"
#include "spec/transport.h"
#include "util/fileio.h"
#include "util/hash.h"
#include "util/xalloc.h"

#define FINDING_VERSION 1
#define INPUT_MAX (16u << 20)
#define FINDING_JSON_MAX (16u << 20)

/*
 * A place as a signature names it: memory places carry program-specific
 * numbers ("buf2+17", "page 0x101000"), and the same bug met through another
 * program must get the same signature, so only the kind of place stays, with
 * a field name if any.
 */
static void normalize_where(const struct hcf_issue *is, char *out, size_t len)
{
	const struct hcf_loc *l = &is->loc;
	switch (l->kind) {
	case HCF_LOC_GUARD_BELOW:
	case HCF_LOC_GUARD_ABOVE:
		snprintf(out, len, "guard");
		break;
	case HCF_LOC_STATUS:
	case HCF_LOC_FIELD:
		snprintf(out, len, "buffer (%s)", l->name);
		break;
	case HCF_LOC_PADDING:
		snprintf(out, len, "buffer (%s padding)", l->name);
		break;
	case HCF_LOC_PAST_STRUCT:
		snprintf(out, len, "buffer (past %s)", l->name);
		break;
	case HCF_LOC_READONLY:
		snprintf(out, len, "buffer (read-only)");
		break;
	case HCF_LOC_BYTES:
		snprintf(out, len, "buffer");
		break;
	case HCF_LOC_PAGE:
	case HCF_LOC_PAGES:
		snprintf(out, len, "page");
		break;
	default:
		snprintf(out, len, "%s", is->where);
		break;
	}
}

static void result_class(const struct hcf_call_result *cr, char *out, size_t len)
{
	switch (cr->outcome) {
	case HCF_CO_EXCEPTION: {
		char m[24];
		hcf_exc_format(m, sizeof(m), cr->vector, 0);
		/* the mnemonic without an error code: "#GP(0x0)" -> "#GP" */
		m[strcspn(m, "(")] = '\0';
		snprintf(out, len, "exception:%s", m);
		return;
	}
	case HCF_CO_GUEST_LOST:
		snprintf(out, len, "lost:%s", hcf_liveness_name(cr->lost_why));
		return;
	default:
		snprintf(out, len, "%s", hcf_call_outcome_name(cr->outcome));
		return;
	}
}

size_t hcf_finding_sigs(const struct hcf_abi *abi, const struct hcf_prog *p,
			const struct hcf_prog_result *r, const struct hcf_call_verdict *cvs,
			struct hcf_finding_sig *sigs, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < p->ncalls && n < max; i++) {
		const struct hcf_call_verdict *cv = &cvs[i];
		size_t kept = cv->nissues < HCF_MAX_ISSUES ? cv->nissues : HCF_MAX_ISSUES;
		for (size_t k = 0; k < kept && n < max; k++) {
			const struct hcf_issue *is = &cv->issues[k];
			/* the blamed call's issue stands for a loss, not its echo */
			if (is->v < HCF_V_ERROR || is->consequence)
				continue;
			struct hcf_finding_sig s;
			memset(&s, 0, sizeof(s));
			const struct hcf_op *op = hcf_prog_call_op(p, i);
			snprintf(s.oracle, sizeof(s.oracle), "%s", is->oracle ? is->oracle : "?");
			snprintf(s.op, sizeof(s.op), "%s", op ? op->name : "undeclared");
			normalize_where(is, s.where, sizeof(s.where));
			if (i < r->ncalls)
				result_class(&r->calls[i], s.rclass, sizeof(s.rclass));
			else
				snprintf(s.rclass, sizeof(s.rclass), "no-result");
			snprintf(s.text, sizeof(s.text), "%s|%s|%s|%s", s.oracle, s.op, s.where, s.rclass);
			snprintf(s.id, sizeof(s.id), "%016" PRIx64, hcf_fnv64_str(HCF_FNV64_SEED, s.text));
			s.verdict = is->v;
			s.call = i;
			s.issue = is;
			bool dup = false;
			for (size_t j = 0; j < n && !dup; j++)
				dup = !strcmp(sigs[j].id, s.id);
			if (!dup)
				sigs[n++] = s;
		}
	}
	return n;
}

static char *finding_path(const char *dir, const char *id)
{
	return hcf_xasprintf("%s/findings/%s", dir, id);
}

bool hcf_finding_exists(const char *dir, const char *id)
{
	char *p = finding_path(dir, id);
	struct stat st;
	bool ok = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return ok;
}

static json_t *hex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return json_string(b);
}

static json_t *finding_json(const struct hcf_finding_sig *sig, const struct hcf_prog *p,
			    const struct hcf_prog_result *r, const struct hcf_call_verdict *cvs,
			    const struct hcf_finding_meta *meta)
{
	json_t *j = json_object();
	json_object_set_new(j, "version", json_integer(FINDING_VERSION));
	json_object_set_new(j, HCF_FJ_ID, json_string(sig->id));
	json_object_set_new(j, HCF_FJ_SIGNATURE, json_string(sig->text));
	json_object_set_new(j, "oracle", json_string(sig->oracle));
	json_object_set_new(j, "op", json_string(sig->op));
	json_object_set_new(j, "where", json_string(sig->where));
	json_object_set_new(j, "class", json_string(sig->rclass));
	json_object_set_new(j, HCF_FJ_VERDICT, json_string(hcf_verdict_name(sig->verdict)));
	json_object_set_new(j, "call", json_integer((json_int_t)sig->call));
	if (sig->issue) {
		/* issue text comes from guest-influenced values: jansson needs UTF-8 */
		json_t *reason = json_stringn_nocheck(sig->issue->reason,
						      strnlen(sig->issue->reason, sizeof(sig->issue->reason)));
		json_object_set_new(j, HCF_FJ_REASON, reason ? reason : json_string("?"));
		json_object_set_new(j, "expected", sig->issue->has_values ? hex(sig->issue->expected) : json_null());
		json_object_set_new(j, "got", sig->issue->has_values ? hex(sig->issue->got) : json_null());
		json_object_set_new(j, "exact_where", json_string(sig->issue->where));
		json_object_set_new(j, "loc", hcf_loc_to_json_v(&sig->issue->loc));
		if (sig->issue->related != SIZE_MAX)
			json_object_set_new(j, "related_call",
					    json_integer((json_int_t)sig->issue->related));
	}
	json_object_set_new(j, "spec", json_string(meta && meta->spec_path ? meta->spec_path : ""));
	json_object_set_new(j, "abi", json_string(p->abi && p->abi->name ? p->abi->name : ""));
	/* the transport the calls were made with: one of the spec's list */
	if (p->abi)
		json_object_set_new(j, "transport", json_string(hcf_xport_name(p->abi->transport.kind)));
	if (meta && meta->tinfo) {
		json_object_set_new(j, "target", json_string(meta->tinfo->target));
		json_object_set_new(j, "hypervisor", json_string(meta->tinfo->hypervisor));
	}
	json_object_set_new(j, "engine", json_string(meta && meta->engine ? meta->engine : ""));
	time_t now = time(NULL);
	char ts[32];
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	json_object_set_new(j, HCF_FJ_FIRST_SEEN, json_string(ts));
	json_object_set_new(j, HCF_FJ_FIRST_SEEN_UNIX, json_integer((json_int_t)now));
	json_object_set_new(j, "minimized", json_false());

	/* The program's results, in the results.jsonl shape. */
	struct hcf_test t;
	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "finding/%s", sig->id);
	snprintf(t.group, sizeof(t.group), "%s", sig->op);
	snprintf(t.desc, sizeof(t.desc), "%s", sig->text);
	t.prog = *p; /* shallow: read only */
	struct hcf_test_outcome o = { .v = sig->verdict, .res = r, .cvs = cvs };
	json_t *res = hcf_report_test_json_v(&t, &o);
	if (res)
		json_object_set_new(j, "result", res);
	return j;
}

static int write_fd_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	bool ok = (len == 0 || fwrite(data, 1, len, f) == len) && fflush(f) == 0 &&
		  fsync(fileno(f)) == 0;
	int e = errno;
	if (fclose(f) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (!ok) {
		errno = e ? e : EIO;
		return -1;
	}
	return 0;
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char *sub = hcf_xasprintf("%s/%s", path, e->d_name);
			unlink(sub);
			free(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

int hcf_finding_store(const char *dir, const struct hcf_finding_sig *sig, const uint8_t *input,
		      size_t input_len, const struct hcf_prog *p, const struct hcf_prog_result *r,
		      const struct hcf_call_verdict *cvs, const struct hcf_finding_meta *meta,
		      char *err, size_t errlen)
{
	if (hcf_finding_exists(dir, sig->id))
		return 0;
	char *base = hcf_xasprintf("%s/findings", dir);
	static unsigned counter;
	char *tmp = hcf_xasprintf("%s/.tmp-%s-%ld-%u", base, sig->id, (long)getpid(), counter++);
	char *final = finding_path(dir, sig->id);
	char *text = NULL, *jtext = NULL, *f1 = NULL, *f2 = NULL, *f3 = NULL;
	int rc = -1;
	if (hcf_mkdir_p(base, 0755) != 0 || mkdir(tmp, 0755) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	text = hcf_prog_to_text(p);
	json_t *j = finding_json(sig, p, r, cvs, meta);
	jtext = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	f1 = hcf_xasprintf("%s/input.bin", tmp);
	f2 = hcf_xasprintf("%s/program.hcf", tmp);
	f3 = hcf_xasprintf("%s/finding.json", tmp);
	const char *failed = NULL;
	if (write_fd_file(f1, input, input ? input_len : 0) != 0)
		failed = f1;
	else if (write_fd_file(f2, text ? text : "", text ? strlen(text) : 0) != 0)
		failed = f2;
	else if (!jtext || write_fd_file(f3, jtext, strlen(jtext)) != 0)
		failed = f3;
	if (failed) {
		snprintf(err, errlen, "writing %s: %s", failed, strerror(errno ? errno : EIO));
		remove_tree(tmp);
		goto out;
	}
	if (rename(tmp, final) != 0) {
		int e = errno;
		remove_tree(tmp);
		if (e == EEXIST || e == ENOTEMPTY) {
			rc = 0; /* another instance stored the same signature first */
			goto out;
		}
		snprintf(err, errlen, "renaming %s to %s: %s", tmp, final, strerror(e));
		goto out;
	}
	rc = 1;
out:
	free(text);
	free(jtext);
	free(f1);
	free(f2);
	free(f3);
	free(base);
	free(tmp);
	free(final);
	return rc;
}

/* ---- loading ------------------------------------------------------------ */

static const char *jget_str(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool parse_hex(const char *s, uint64_t *v)
{
	if (!s)
		return false;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 16);
	if (errno || end == s || *end)
		return false;
	*v = x;
	return true;
}

int hcf_finding_load_meta(const char *path, struct hcf_finding *f, struct hcf_diags *diags)
{
	char *jpath = hcf_xasprintf("%s/%s", path, HCF_FINDING_JSON);
	size_t len = 0;
	char *text = hcf_read_file(jpath, FINDING_JSON_MAX, &len);
	int rc;
	if (!text) {
		memset(f, 0, sizeof(*f));
		hcf_diag_addf(diags, jpath, 0, 0, "cannot read: %s",
			      errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
		rc = -1;
	} else {
		rc = hcf_finding_parse_meta(jpath, text, len, f, diags);
	}
	free(text);
	free(jpath);
	snprintf(f->path, sizeof(f->path), "%s", path);
	if (rc == 0) {
		char *min = hcf_xasprintf("%s/%s", path, HCF_FINDING_MINIMIZED);
		f->minimized = access(min, R_OK) == 0;
		free(min);
	}
	return rc;
}

int hcf_finding_parse_meta(const char *name, const char *text, size_t len, struct hcf_finding *f,
			   struct hcf_diags *diags)
{
	memset(f, 0, sizeof(*f));
	const char *jpath = name;
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	if (!j) {
		hcf_diag_addf(diags, jpath, (unsigned)(je.line > 0 ? je.line : 0),
			      (unsigned)(je.column > 0 ? je.column : 0), "%s", je.text);
		return -1;
	}
	static const char *const required[] = { HCF_FJ_ID, HCF_FJ_SIGNATURE, "oracle", "op", "where",
						"class", HCF_FJ_VERDICT };
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!jget_str(j, required[i])) {
			hcf_diag_addf(diags, jpath, 0, 0, "missing or non-string \"%s\"", required[i]);
			json_decref(j);
			return -1;
		}
	struct hcf_finding_sig *s = &f->sig;
	snprintf(s->id, sizeof(s->id), "%s", jget_str(j, HCF_FJ_ID));
	snprintf(s->text, sizeof(s->text), "%s", jget_str(j, HCF_FJ_SIGNATURE));
	snprintf(s->oracle, sizeof(s->oracle), "%s", jget_str(j, "oracle"));
	snprintf(s->op, sizeof(s->op), "%s", jget_str(j, "op"));
	snprintf(s->where, sizeof(s->where), "%s", jget_str(j, "where"));
	snprintf(s->rclass, sizeof(s->rclass), "%s", jget_str(j, "class"));
	if (hcf_verdict_parse(jget_str(j, HCF_FJ_VERDICT), &s->verdict) != 0) {
		hcf_diag_addf(diags, jpath, 0, 0, "unknown verdict \"%s\"", jget_str(j, HCF_FJ_VERDICT));
		json_decref(j);
		return -1;
	}
	json_t *call = json_object_get(j, "call");
	s->call = json_is_integer(call) && json_integer_value(call) >= 0 ?
			  (size_t)json_integer_value(call) :
			  0;
	snprintf(f->reason, sizeof(f->reason), "%s", jget_str(j, HCF_FJ_REASON) ? jget_str(j, HCF_FJ_REASON) : "");
	f->has_values = parse_hex(jget_str(j, "expected"), &f->expected) &&
			parse_hex(jget_str(j, "got"), &f->got);
	/* the typed place; findings stored before it existed have none */
	f->has_loc = hcf_loc_from_json_v(json_object_get(j, "loc"), &f->loc) == 0;
	json_t *rel = json_object_get(j, "related_call");
	f->related = json_is_integer(rel) && json_integer_value(rel) >= 0 ?
			     (size_t)json_integer_value(rel) :
			     SIZE_MAX;
	snprintf(f->spec, sizeof(f->spec), "%s", jget_str(j, "spec") ? jget_str(j, "spec") : "");
	snprintf(f->abi, sizeof(f->abi), "%s", jget_str(j, "abi") ? jget_str(j, "abi") : "");
	snprintf(f->transport, sizeof(f->transport), "%s",
		 jget_str(j, "transport") ? jget_str(j, "transport") : "");
	snprintf(f->engine, sizeof(f->engine), "%s", jget_str(j, "engine") ? jget_str(j, "engine") : "");
	json_t *fs = json_object_get(j, HCF_FJ_FIRST_SEEN_UNIX);
	f->first_seen = json_is_integer(fs) ? (time_t)json_integer_value(fs) : 0;
	json_decref(j);
	return 0;
}

int hcf_finding_load(const char *path, const struct hcf_abi *abi, bool prefer_minimized,
		     struct hcf_finding *f, struct hcf_diags *diags)
{
	if (hcf_finding_load_meta(path, f, diags) != 0)
		return -1;
	if (f->abi[0] && abi && abi->name && strcmp(f->abi, abi->name) != 0) {
		char *jpath = hcf_xasprintf("%s/finding.json", path);
		hcf_diag_addf(diags, jpath, 0, 0, "found with ABI %s, but the spec given is %s", f->abi,
			      abi->name);
		free(jpath);
		return -1;
	}
	hcf_prog_init(&f->prog, abi);
	char *prog = hcf_xasprintf("%s/%s", path,
				   prefer_minimized && f->minimized ? HCF_FINDING_MINIMIZED : HCF_FINDING_PROGRAM);
	int rc = hcf_prog_parse_file(&f->prog, abi, prog, diags);
	free(prog);
	if (rc != 0) {
		hcf_prog_free(&f->prog);
		return -1;
	}
	char *in = hcf_xasprintf("%s/input.bin", path);
	f->input = (uint8_t *)hcf_read_file(in, INPUT_MAX, &f->input_len);
	if (!f->input) {
		/* the program is what matters; a lost input only costs the bytes */
		f->input_len = 0;
	}
	free(in);
	return 0;
}

void hcf_finding_free(struct hcf_finding *f)
{
	hcf_prog_free(&f->prog);
	free(f->input);
	f->input = NULL;
	f->input_len = 0;
}
