/* session.c: a fuzzing process's VM, its executions, features, findings and stats file. */
#include "exec/differential.h"
#include "exec/judged.h"
#include "fuzz/session.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec/targets.h"
#include "fuzz/campaign_dir.h"
#include "fuzz/finding.h"
#include "oracles/anomaly.h"
#include "oracles/models/model.h"
#include "oracles/oracle.h"
#include "prog/codec.h"
#include "reports/coverage.h"
#include "spec/spec.h"
#include "target/target.h"
#include "util/fileio.h"
#include "util/xalloc.h"

#define MAX_SIGS 16
#define SEEN_MAX 4096

struct hcf_fuzz_session {
	struct hcf_fuzz_session_opts o;
	char *dir;
	char *spec_path;
	char *target_params;   /* the target keeps pointers into it */
	char engine[16];
	struct hcf_abi *abi;
	struct hcf_target *t;
	struct hcf_model model;
	bool have_model;
	struct hcf_prog prog;
	struct hcf_judged j;
	struct hcf_diff_target diff;   /* --diff-target, when diff.t is set */
	struct hcf_feature_set seen;
	struct hcf_kcov kcov;
	struct hcf_fuzz_counters c;
	struct hcf_anomaly_counts anomalies;
	struct hcf_cov *cov;         /* the spec coverage matrix of this process's executions */
	char seen_ids[SEEN_MAX][17]; /* finding ids this process knows are stored */
	size_t nseen_ids;
	time_t started, last_flush;
	char *stats_json, *stats_bits, *stats_cov;
};

/* The kernel coverage of the run alone, not of the reset before it. */
static void kcov_reset(void *kcov)
{
	hcf_kcov_reset(kcov);
}

int hcf_fuzz_session_open(struct hcf_fuzz_session **out, const struct hcf_fuzz_session_opts *o,
			  char *err, size_t errlen)
{
	*out = NULL;
	if (!o->spec_path) {
		snprintf(err, errlen, "no spec (HCF_FUZZ_SPEC)");
		return -1;
	}
	struct hcf_fuzz_session *s = hcf_xcalloc(1, sizeof(*s));
	s->o = *o;
	/* findings name their spec by absolute path: minimize and repro run
	 * later, from anywhere */
	char *abs = realpath(o->spec_path, NULL);
	s->spec_path = abs ? abs : hcf_xstrdup(o->spec_path);
	s->dir = o->dir ? hcf_xstrdup(o->dir) : NULL;
	snprintf(s->engine, sizeof(s->engine), "%s", o->engine ? o->engine : "fuzz");
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load(s->spec_path, &s->abi, &d) != 0) {
		snprintf(err, errlen, "%s: %s", d.n ? d.d[0].file : s->spec_path,
			 d.n ? d.d[0].msg : "cannot load the spec");
		hcf_fuzz_session_close(s);
		return -1;
	}
	if (o->transport && *o->transport &&
	    hcf_spec_use_transport(s->abi, o->transport, err, errlen) != 0) {
		hcf_fuzz_session_close(s);
		return -1;
	}
	struct hcf_target_opts topts = { 0 };
	s->target_params = hcf_xstrdup(o->target_params ? o->target_params : "");
	if (hcf_target_params_split(&topts, s->target_params) != 0) {
		snprintf(err, errlen, "more than %u target parameters", HCF_TARGET_MAX_PARAMS);
		hcf_fuzz_session_close(s);
		return -1;
	}
	if (hcf_target_open(o->target ? o->target : "kvm", &s->t, s->abi, &topts, err, errlen) != 0) {
		hcf_fuzz_session_close(s);
		return -1;
	}
	s->have_model = hcf_model_open(&s->model, s->abi, s->t->ops->info(s->t)) == 0;
	if (o->diff_target && *o->diff_target &&
	    hcf_diff_target_open(&s->diff, s->spec_path, o->diff_target, s->abi, err, errlen) != 0) {
		hcf_fuzz_session_close(s);
		return -1;
	}
	hcf_anomaly_counts_init(&s->anomalies, s->abi);
	s->cov = hcf_cov_new(s->abi, s->spec_path);
	hcf_prog_init(&s->prog, s->abi);
	hcf_judged_init(&s->j);
	s->j.no_judge = o->no_oracles;
	s->j.before_run = kcov_reset;
	s->j.before_run_arg = &s->kcov;
	hcf_kcov_open(&s->kcov);
	s->started = time(NULL);
	if (s->dir) {
		char *stats = hcf_xasprintf("%s/stats", s->dir);
		if (hcf_mkdir_p(stats, 0755) != 0) {
			snprintf(err, errlen, "cannot create %s: %s", stats, strerror(errno));
			free(stats);
			hcf_fuzz_session_close(s);
			return -1;
		}
		s->stats_json = hcf_xasprintf("%s/%s-%ld.json", stats, s->engine, (long)getpid());
		s->stats_bits = hcf_xasprintf("%s/%s-%ld.features", stats, s->engine, (long)getpid());
		s->stats_cov = hcf_xasprintf("%s/%s-%ld%s", stats, s->engine, (long)getpid(),
					     HCF_CAMPAIGN_COV_SUFFIX);
		free(stats);
	}
	*out = s;
	return 0;
}

static bool known_id(struct hcf_fuzz_session *s, const char *id)
{
	for (size_t i = 0; i < s->nseen_ids; i++)
		if (!strcmp(s->seen_ids[i], id))
			return true;
	return false;
}

static void remember_id(struct hcf_fuzz_session *s, const char *id)
{
	if (s->nseen_ids < SEEN_MAX)
		snprintf(s->seen_ids[s->nseen_ids++], sizeof(s->seen_ids[0]), "%s", id);
}

/* Store what is new; -1 if storing failed (the campaign must stop). */
static int keep_findings(struct hcf_fuzz_session *s, const uint8_t *data, size_t len)
{
	struct hcf_finding_sig sigs[MAX_SIGS];
	size_t n = hcf_finding_sigs(s->abi, &s->prog, &s->j.res, s->j.cvs, sigs, MAX_SIGS);
	for (size_t i = 0; i < n; i++) {
		if (known_id(s, sigs[i].id))
			continue;
		if (!s->dir) {
			remember_id(s, sigs[i].id);
			continue;
		}
		struct hcf_finding_meta meta = { .spec_path = s->spec_path,
						 .tinfo = s->t->ops->info(s->t),
						 .engine = s->engine };
		char err[512];
		int rc = hcf_finding_store(s->dir, &sigs[i], data, len, &s->prog, &s->j.res, s->j.cvs, &meta,
					   err, sizeof(err));
		if (rc < 0) {
			s->c.store_errors++;
			fprintf(stderr, "hcfuzz: cannot store finding %s: %s\n", sigs[i].text, err);
			return -1;
		}
		if (rc == 1)
			s->c.findings_new++;
		remember_id(s, sigs[i].id);
	}
	return 0;
}

size_t hcf_fuzz_session_exec(struct hcf_fuzz_session *s, const uint8_t *data, size_t len,
			     uint32_t *slots, size_t max)
{
	hcf_prog_decode(&s->prog, s->abi, data, len);
	enum hcf_verdict v = hcf_run_judged(s->t, s->have_model ? &s->model : NULL, &s->prog,
					   HCF_RUN_FROM_BOOT, NULL, &s->j);
	if (s->diff.t && !s->o.no_oracles && !s->j.target_failed) {
		/* the same input on the second target: a difference is an issue */
		int nd = hcf_diff_target_judge(&s->diff, s->t->ops->info(s->t), &s->prog, &s->j);
		if (nd < 0)
			fprintf(stderr, "hcfuzz: diff target %s: %s\n", s->diff.label,
				s->diff.j.res.detail);
		s->c.differing += nd > 0;
		v = s->j.worst;
	}
	s->c.reset_seconds += s->j.reset_s;
	s->c.execs++;
	s->c.calls += s->prog.ncalls;
	size_t n = 0;
	if (!s->o.no_oracles) {
		s->c.lost += v == HCF_V_LOST;
		size_t seen = s->anomalies.total;
		hcf_anomaly_counts_add(&s->anomalies, s->j.cvs, s->prog.ncalls);
		s->c.xfail += s->anomalies.total != seen;
		hcf_cov_add(s->cov, &s->prog, &s->j.res);
		n = hcf_features_of(&s->prog, &s->j.res, s->j.cvs, slots, max);
		n += hcf_kcov_collect(&s->kcov, slots + n, max - n);
		if (hcf_feature_set_add(&s->seen, slots, n))
			s->c.last_new_feature_unix = (uint64_t)time(NULL);
		if (keep_findings(s, data, len) != 0) {
			hcf_fuzz_session_flush(s);
			return (size_t)-1;
		}
	}
	time_t now = time(NULL);
	if (now != s->last_flush)
		hcf_fuzz_session_flush(s);
	return n;
}

const struct hcf_fuzz_counters *hcf_fuzz_session_counters(const struct hcf_fuzz_session *s)
{
	struct hcf_fuzz_counters *c = (struct hcf_fuzz_counters *)&s->c;
	const struct hcf_target_info *ti = s->t->ops->info(s->t);
	c->resets = ti->resets;
	c->pages_restored = ti->pages_restored;
	c->rebuilds = ti->rebuilds;
	c->restores = ti->restores;
	c->guest_seconds = (double)ti->guest_ns / 1e9;
	c->features = s->seen.count;
	return c;
}

const char *hcf_fuzz_session_kcov(const struct hcf_fuzz_session *s)
{
	return s->kcov.why;
}

const char *hcf_fuzz_session_anomalies(const struct hcf_fuzz_session *s, char *buf, size_t len)
{
	return hcf_anomaly_counts_format(&s->anomalies, buf, len);
}

void hcf_fuzz_session_flush(struct hcf_fuzz_session *s)
{
	s->last_flush = time(NULL);
	if (!s->stats_json)
		return;
	const struct hcf_fuzz_counters *c = hcf_fuzz_session_counters(s);
	json_t *j = json_pack("{s:i, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			      "s:f, s:I, s:I}",
			      "version", 1, "pid", (json_int_t)getpid(), "engine", s->engine,
			      "started_unix", (json_int_t)s->started,
			      "updated_unix", (json_int_t)s->last_flush,
			      "execs", (json_int_t)c->execs, "calls", (json_int_t)c->calls,
			      "findings_new", (json_int_t)c->findings_new,
			      "features", (json_int_t)c->features,
			      "last_new_feature_unix", (json_int_t)c->last_new_feature_unix,
			      "resets", (json_int_t)c->resets,
			      "pages_restored", (json_int_t)c->pages_restored,
			      "rebuilds", (json_int_t)c->rebuilds, "reset_seconds", c->reset_seconds,
			      "lost", (json_int_t)c->lost, "xfail", (json_int_t)c->xfail);
	if (j && s->diff.t)
		json_object_set_new(j, "differing", json_integer((json_int_t)c->differing));
	if (j)
		json_object_set_new(j, "restores", json_integer((json_int_t)c->restores));
	if (!j)
		return;
	json_t *an = json_object();
	for (size_t k = 0; s->anomalies.n && k < s->abi->nanomalies; k++)
		if (s->anomalies.n[k])
			json_object_set_new(an, s->abi->anomalies[k].id,
					    json_integer((json_int_t)s->anomalies.n[k]));
	json_object_set_new(j, "anomalies", an);
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	/* Best effort: a full disk is caught by the campaign's own checks, and a
	 * missing stats file only costs the status line. */
	hcf_write_file_atomic(s->stats_bits, s->seen.bits, sizeof(s->seen.bits));
	char *cov = hcf_cov_to_text(s->cov, false);
	if (cov)
		hcf_write_file_atomic(s->stats_cov, cov, strlen(cov));
	free(cov);
	if (text) {
		hcf_write_file_atomic(s->stats_json, text, strlen(text));
		free(text);
	}
}

void hcf_fuzz_session_close(struct hcf_fuzz_session *s)
{
	if (!s)
		return;
	if (s->t)
		hcf_fuzz_session_flush(s);
	hcf_kcov_close(&s->kcov);
	hcf_anomaly_counts_free(&s->anomalies);
	hcf_cov_free(s->cov);
	if (s->have_model)
		hcf_model_close(&s->model);
	hcf_judged_free(&s->j);
	if (s->diff.text)
		hcf_diff_target_close(&s->diff);
	if (s->abi)
		hcf_prog_free(&s->prog);
	hcf_target_close(s->t);
	free(s->target_params);
	hcf_spec_free(s->abi);
	free(s->spec_path);
	free(s->dir);
	free(s->stats_json);
	free(s->stats_bits);
	free(s->stats_cov);
	free(s);
}
