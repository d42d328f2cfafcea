/* minimize.c: delta-debugging a program down to what its finding needs. */
#include "exec/judged.h"
#include "fuzz/minimize.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz/finding.h"
#include "oracles/oracle.h"
#include "prog/codec.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/xalloc.h"

#define MAX_SIGS 16

struct min_ctx {
	struct hcf_target *t;
	struct hcf_model *model;
	const char *sig_id;
	struct hcf_diff_target *diff;   /* a second target every candidate runs on, or NULL */
	hcf_min_keeps_fn keeps;  /* NULL: the signature's own test (reproduces_sig) */
	void *keeps_arg;
	struct hcf_judged j;
	unsigned runs, max_runs;
	double deadline;
	bool budget_hit;
	bool harness_failed;
	char why[256];
};

static bool over_budget(struct min_ctx *m)
{
	if (m->runs >= m->max_runs || hcf_now_s() >= m->deadline)
		m->budget_hit = true;
	return m->budget_hit;
}

/* Does p still produce the signature? One run from the boot snapshot. */
static bool reproduces_sig(struct min_ctx *m, const struct hcf_prog *p)
{
	hcf_run_judged(m->t, m->model, p, HCF_RUN_FROM_BOOT, NULL, &m->j);
	if (m->j.target_failed) {
		m->harness_failed = true;
		snprintf(m->why, sizeof(m->why), "the target failed: %s", m->j.res.detail);
		return false;
	}
	if (m->diff && hcf_diff_target_judge(m->diff, m->t->ops->info(m->t), p, &m->j) < 0) {
		m->harness_failed = true;
		snprintf(m->why, sizeof(m->why), "the diff target failed: %s",
			 m->diff->j.res.detail);
		return false;
	}
	struct hcf_finding_sig sigs[MAX_SIGS];
	size_t n = hcf_finding_sigs(p->abi, p, &m->j.res, m->j.cvs, sigs, MAX_SIGS);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(sigs[i].id, m->sig_id))
			return true;
	return false;
}

/* Does p still show what is being minimized? */
static bool reproduces(struct min_ctx *m, const struct hcf_prog *p)
{
	if (p->ncalls == 0 || m->harness_failed)
		return false;
	m->runs++;
	if (!m->keeps)
		return reproduces_sig(m, p);
	int k = m->keeps(m->keeps_arg, p, m->why, sizeof(m->why));
	if (k < 0)
		m->harness_failed = true;
	return k > 0;
}

/* Try cand; on success it becomes cur. */
static bool try_candidate(struct min_ctx *m, struct hcf_prog *cur, struct hcf_prog *cand)
{
	if (over_budget(m) || !reproduces(m, cand)) {
		hcf_prog_free(cand);
		return false;
	}
	hcf_prog_free(cur);
	*cur = *cand;
	return true;
}

/* Delta debugging over calls: drop chunks, halving the chunk size. */
static bool drop_calls(struct min_ctx *m, struct hcf_prog *cur)
{
	bool any = false;
	for (size_t chunk = cur->ncalls / 2 ? cur->ncalls / 2 : 1; chunk >= 1 && !over_budget(m);
	     chunk /= 2) {
		for (size_t start = 0; start < cur->ncalls && cur->ncalls > 1 && !over_budget(m);) {
			size_t len = chunk < cur->ncalls - start ? chunk : cur->ncalls - start;
			if (len == cur->ncalls) {
				start += len;
				continue;
			}
			struct hcf_prog cand;
			hcf_prog_copy(&cand, cur);
			for (size_t k = 0; k < len; k++)
				hcf_prog_remove_call(&cand, start);
			if (try_candidate(m, cur, &cand))
				any = true; /* the same start now holds the next chunk */
			else
				start += len;
		}
		if (chunk == 1)
			break;
	}
	return any;
}

/* The registers a call must keep: its number and sub-operation. */
static hcf_regmask_t pinned(const struct hcf_prog *p, const struct hcf_pcall *c)
{
	const struct hcf_abi *abi = p->abi;
	hcf_regmask_t m = HCF_REGBIT(hcf_prog_nr_reg(abi));
	if (c->op >= 0 && (size_t)c->op < abi->nops && abi->ops[c->op].has_subop &&
	    abi->subop_reg < HCF_NGPR)
		m |= HCF_REGBIT(abi->subop_reg);
	return m;
}

/* Simpler values: unset (sentinel), then 0, then 1; flags and buffers. */
static bool simplify_values(struct min_ctx *m, struct hcf_prog *cur)
{
	bool any = false;
	for (size_t i = 0; i < cur->ncalls && !over_budget(m); i++) {
		for (unsigned r = 0; r < HCF_NGPR && !over_budget(m); r++) {
			struct hcf_pcall *c = &cur->calls[i];
			if (!(c->set & HCF_REGBIT(r)) || (pinned(cur, c) & HCF_REGBIT(r)))
				continue;
			static const int steps[] = { -1, 0, 1 }; /* -1: back to the sentinel */
			for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
				const struct hcf_pcall *now = &cur->calls[i];
				if (steps[s] >= 0 && now->ref[r].buf < 0 &&
				    now->gpr[r] == (uint64_t)steps[s])
					break; /* already that simple */
				struct hcf_prog cand;
				hcf_prog_copy(&cand, cur);
				struct hcf_pcall *cc = &cand.calls[i];
				cc->ref[r].buf = -1;
				cc->ref[r].offset = 0;
				if (steps[s] < 0) {
					cc->set &= (hcf_regmask_t)~HCF_REGBIT(r);
					cc->gpr[r] = hcf_sentinel(r, i);
				} else {
					hcf_pcall_set(cc, r, (uint64_t)steps[s]);
				}
				if (try_candidate(m, cur, &cand)) {
					any = true;
					break;
				}
			}
		}
		struct hcf_pcall *c = &cur->calls[i];
		if (c->rflags && !over_budget(m)) {
			struct hcf_prog cand;
			hcf_prog_copy(&cand, cur);
			cand.calls[i].rflags = 0;
			any |= try_candidate(m, cur, &cand);
		}
		if (cur->calls[i].capture_vec && !over_budget(m)) {
			struct hcf_prog cand;
			hcf_prog_copy(&cand, cur);
			cand.calls[i].capture_vec = false;
			any |= try_candidate(m, cur, &cand);
		}
	}
	return any;
}

static bool buf_referenced(const struct hcf_prog *p, size_t b)
{
	for (size_t i = 0; i < p->ncalls; i++)
		for (unsigned r = 0; r < HCF_NGPR; r++)
			if (p->calls[i].ref[r].buf == (int)b)
				return true;
	for (size_t k = 0; k < p->nbufs; k++)
		for (size_t x = 0; x < p->bufs[k].nrelocs; x++)
			if (p->bufs[k].relocs[x].buf == (int)b)
				return true;
	return false;
}

/* Remove buffer b, renumbering references to the ones after it. */
static void remove_buf(struct hcf_prog *p, size_t b)
{
	free(p->bufs[b].init);
	memmove(&p->bufs[b], &p->bufs[b + 1], (p->nbufs - b - 1) * sizeof(p->bufs[0]));
	p->nbufs--;
	memset(&p->bufs[p->nbufs], 0, sizeof(p->bufs[0]));
	for (size_t i = 0; i < p->ncalls; i++)
		for (unsigned r = 0; r < HCF_NGPR; r++)
			if (p->calls[i].ref[r].buf > (int)b)
				p->calls[i].ref[r].buf--;
	for (size_t k = 0; k < p->nbufs; k++)
		for (size_t x = 0; x < p->bufs[k].nrelocs; x++)
			if (p->bufs[k].relocs[x].buf > (int)b)
				p->bufs[k].relocs[x].buf--;
}

static bool simplify_bufs(struct min_ctx *m, struct hcf_prog *cur)
{
	bool any = false;
	/* unreferenced buffers go without a run: they cannot matter */
	for (size_t b = cur->nbufs; b-- > 0;)
		if (!buf_referenced(cur, b)) {
			remove_buf(cur, b);
			any = true;
		}
	for (size_t b = 0; b < cur->nbufs && !over_budget(m); b++) {
		bool zero = true;
		for (uint32_t k = 0; k < cur->bufs[b].size && zero; k++)
			zero = !cur->bufs[b].init || cur->bufs[b].init[k] == 0;
		if (zero)
			continue;
		struct hcf_prog cand;
		hcf_prog_copy(&cand, cur);
		if (cand.bufs[b].init)
			memset(cand.bufs[b].init, 0, cand.bufs[b].size);
		any |= try_candidate(m, cur, &cand);
	}
	return any;
}

static size_t count_sets(const struct hcf_prog *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->ncalls; i++)
		n += (size_t)__builtin_popcount(p->calls[i].set & (hcf_regmask_t)~pinned(p, &p->calls[i]));
	return n;
}

static int minimize(struct min_ctx *m0, const char *what, const struct hcf_prog *in,
		    const struct hcf_min_opts *opts, struct hcf_prog *out, struct hcf_min_stats *stats,
		    char *err, size_t errlen)
{
	struct hcf_min_opts o = opts ? *opts : (struct hcf_min_opts){ 0 };
	if (!o.max_runs)
		o.max_runs = 2000;
	if (o.max_seconds <= 0)
		o.max_seconds = 60;
	if (!o.attempts)
		o.attempts = 3;
	struct min_ctx m = *m0;
	m.max_runs = o.max_runs;
	m.diff = o.diff;
	double t0 = hcf_now_s();
	m.deadline = t0 + o.max_seconds;
	hcf_judged_init(&m.j);
	memset(stats, 0, sizeof(*stats));
	stats->calls_before = in->ncalls;
	stats->sets_before = count_sets(in);

	int rc = 0;
	bool ok = false;
	for (unsigned a = 0; a < o.attempts && !ok && !m.harness_failed; a++)
		ok = reproduces(&m, in);
	hcf_prog_copy(out, in);
	if (!ok) {
		hcf_prog_free(out);
		hcf_prog_init(out, in->abi);
		if (m.harness_failed) {
			snprintf(err, errlen, "%s", m.why);
			rc = -2;
		} else {
			snprintf(err, errlen, "the program does not produce %s (%u runs)", what, m.runs);
			rc = -1;
		}
		goto done;
	}
	/* Until nothing changes: a removed call can make a value removable and
	 * the other way round. */
	for (int pass = 0; pass < 8 && !over_budget(&m); pass++) {
		bool changed = drop_calls(&m, out);
		changed |= simplify_values(&m, out);
		changed |= simplify_bufs(&m, out);
		if (!changed)
			break;
	}
	if (m.harness_failed) {
		snprintf(err, errlen, "%s", m.why);
		rc = -2;
	}
done:
	stats->calls_after = out->ncalls;
	stats->sets_after = count_sets(out);
	stats->runs = m.runs;
	stats->seconds = hcf_now_s() - t0;
	stats->budget_hit = m.budget_hit;
	hcf_judged_free(&m.j);
	return rc;
}

int hcf_minimize(struct hcf_target *t, struct hcf_model *model, const struct hcf_prog *in,
		 const char *sig_id, const struct hcf_min_opts *opts, struct hcf_prog *out,
		 struct hcf_min_stats *stats, char *err, size_t errlen)
{
	struct min_ctx m = { .t = t, .model = model, .sig_id = sig_id };
	char what[160];
	snprintf(what, sizeof(what), "finding %s", sig_id);
	return minimize(&m, what, in, opts, out, stats, err, errlen);
}

int hcf_minimize_with(hcf_min_keeps_fn keeps, void *arg, const char *what,
		      const struct hcf_prog *in, const struct hcf_min_opts *opts,
		      struct hcf_prog *out, struct hcf_min_stats *stats, char *err, size_t errlen)
{
	struct min_ctx m = { .keeps = keeps, .keeps_arg = arg };
	return minimize(&m, what, in, opts, out, stats, err, errlen);
}

int hcf_minimize_save(const char *finding_dir, const struct hcf_prog *p, char *err, size_t errlen)
{
	char *text = hcf_prog_to_text(p);
	char *hcf = hcf_xasprintf("%s/minimized.hcf", finding_dir);
	char *bin = hcf_xasprintf("%s/minimized.bin", finding_dir);
	char *json = hcf_xasprintf("%s/finding.json", finding_dir);
	uint8_t *bytes = NULL;
	size_t nbytes = 0;
	char cerr[160];
	int rc = -1;
	if (!text || hcf_write_file_atomic(hcf, text, strlen(text)) != 0) {
		snprintf(err, errlen, "writing %s: %s", hcf, strerror(errno));
		goto out;
	}
	/* The bytes are a convenience (a corpus entry); the text is the record. */
	if (hcf_prog_encode(p, &bytes, &nbytes, cerr, sizeof(cerr)) == 0 &&
	    hcf_write_file_atomic(bin, bytes, nbytes) != 0) {
		snprintf(err, errlen, "writing %s: %s", bin, strerror(errno));
		goto out;
	}
	json_error_t je;
	json_t *j = json_load_file(json, 0, &je);
	if (!j) {
		snprintf(err, errlen, "%s:%d:%d: %s", json, je.line, je.column, je.text);
		goto out;
	}
	json_object_set_new(j, "minimized", json_true());
	json_object_set_new(j, "minimized_calls", json_integer((json_int_t)p->ncalls));
	char *dump = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	if (!dump || hcf_write_file_atomic(json, dump, strlen(dump)) != 0) {
		snprintf(err, errlen, "writing %s: %s", json, strerror(errno));
		free(dump);
		goto out;
	}
	free(dump);
	rc = 0;
out:
	free(text);
	free(hcf);
	free(bin);
	free(json);
	free(bytes);
	return rc;
}
