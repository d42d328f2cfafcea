/* report_dir.c: the output directory: every report written under a temporary name, renamed on commit. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "reports/coverage.h"
#include "reports/report.h"
#include "util/diag.h"
#include "util/fileio.h"
#include "util/xalloc.h"

/*
 * A killed run leaves its temporaries (".junit.xml.tmp.PID" from
 * hcf_atomic_open) and never a final file; the next run into the same
 * directory removes those whose process is gone. Commit is two-phase: every
 * writer finishes its file first, and only when all succeeded is any renamed,
 * so a directory never mixes this run's reports with a previous run's.
 */

struct rd_writer {
	const struct hcf_report_ops *ops;
	struct hcf_atomic_file af;
	void *st;                /* NULL once ended or discarded */
};

struct hcf_report_dir {
	char *dir;
	size_t n;
	struct rd_writer *w;
	const char **paths;      /* final paths, for hcf_report_dir_files */
	struct hcf_cov *cov;     /* the run's coverage matrix, fed test by test, or NULL */
};

/* ".NAME.tmp.PID" for one of our writers' NAME, with a PID that is not alive:
 * the temporaries of another live run writing here are left alone. */
static bool stale_temp(const char *entry, const struct hcf_report_ops *const *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t fl = strlen(ops[i]->filename);
		if (entry[0] != '.' || strncmp(entry + 1, ops[i]->filename, fl) ||
		    strncmp(entry + 1 + fl, ".tmp.", 5))
			continue;
		const char *pid_s = entry + 1 + fl + 5;
		char *endp;
		errno = 0;
		long pid = strtol(pid_s, &endp, 10);
		if (errno || endp == pid_s || *endp || pid <= 0)
			continue;
		return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
	}
	return false;
}

static void remove_stale(const char *dir, const struct hcf_report_ops *const *ops, size_t n)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!stale_temp(e->d_name, ops, n))
			continue;
		char *p = hcf_xasprintf("%s/%s", dir, e->d_name);
		unlink(p);   /* best effort: a leftover we cannot remove does not stop the run */
		free(p);
	}
	closedir(d);
}

static void rd_free(struct hcf_report_dir *rd)
{
	free(rd->w);
	free(rd->paths);
	free(rd->dir);
	free(rd);
}

/* Drop a writer: free its state and remove its temporary file. */
static void writer_drop(struct rd_writer *w)
{
	if (w->st) {
		if (w->ops->discard)
			w->ops->discard(w->st);
		else
			w->ops->end(w->st, NULL);
		w->st = NULL;
	}
	hcf_atomic_abort(&w->af);
}

struct hcf_report_dir *hcf_report_dir_open(const char *dir, const struct hcf_report_ops *const *ops,
					   size_t n, const struct hcf_run_info *ri, char *err,
					   size_t errlen)
{
	if (!dir || !*dir) {
		hcf_set_err(err, errlen, "no report directory given");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!ops || !ops[i] || !ops[i]->filename || !ops[i]->begin || !ops[i]->test ||
		    !ops[i]->end) {
			hcf_set_err(err, errlen, "report writer %zu is not a file writer", i);
			return NULL;
		}
	if (hcf_mkdir_p(dir, 0755) != 0) {
		hcf_set_err(err, errlen, "cannot create report directory %s: %s", dir, strerror(errno));
		return NULL;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		hcf_set_err(err, errlen, "cannot write into report directory %s: %s", dir,
			strerror(errno));
		return NULL;
	}
	remove_stale(dir, ops, n);

	struct hcf_report_dir *rd = hcf_xcalloc(1, sizeof(*rd));
	rd->dir = hcf_xstrdup(dir);
	rd->cov = ri ? ri->cov : NULL;
	rd->w = hcf_xcalloc(n ? n : 1, sizeof(*rd->w));
	rd->paths = hcf_xcalloc(n ? n : 1, sizeof(*rd->paths));
	for (size_t i = 0; i < n; i++) {
		struct rd_writer *w = &rd->w[i];
		w->ops = ops[i];
		char *path = hcf_xasprintf("%s/%s", dir, ops[i]->filename);
		int rc = hcf_atomic_open(&w->af, path);
		int e = errno;
		free(path);
		if (rc != 0) {
			hcf_set_err(err, errlen, "cannot create %s report in %s: %s", ops[i]->name, dir,
				strerror(e));
			goto fail;
		}
		rd->n = i + 1;
		rd->paths[i] = w->af.path;
		w->st = ops[i]->begin(w->af.f, ri);
		if (!w->st) {
			hcf_set_err(err, errlen, "cannot start %s report in %s: %s", ops[i]->name, dir,
				strerror(errno ? errno : ENOMEM));
			goto fail;
		}
	}
	return rd;
fail:
	for (size_t i = 0; i < rd->n; i++)
		writer_drop(&rd->w[i]);
	rd_free(rd);
	return NULL;
}

void hcf_report_dir_test(struct hcf_report_dir *rd, const struct hcf_test *t,
			 const struct hcf_test_outcome *o)
{
	if (!rd)
		return;
	/* before the writers: the matrix is complete when they end */
	if (rd->cov && o && o->res)
		hcf_cov_add(rd->cov, &t->prog, o->res);
	for (size_t i = 0; i < rd->n; i++)
		if (rd->w[i].st)
			rd->w[i].ops->test(rd->w[i].st, t, o);
}

int hcf_report_dir_commit(struct hcf_report_dir *rd, const struct hcf_exec_stats *stats, char *err,
			  size_t errlen)
{
	if (!rd) {
		hcf_set_err(err, errlen, "no report directory open");
		return -1;
	}
	int rc = 0;
	/* Phase 1: every writer writes the rest of its file; nothing is renamed
	 * until all of them succeeded. */
	for (size_t i = 0; i < rd->n; i++) {
		struct rd_writer *w = &rd->w[i];
		void *st = w->st;
		w->st = NULL;
		errno = 0;
		if (w->ops->end(st, stats) != 0 && rc == 0) {
			hcf_set_err(err, errlen, "writing %s failed: %s", w->af.path,
				strerror(errno ? errno : EIO));
			rc = -1;
		}
	}
	/* Phase 2: fsync and rename each into place. */
	for (size_t i = 0; i < rd->n; i++) {
		struct rd_writer *w = &rd->w[i];
		if (rc != 0) {
			hcf_atomic_abort(&w->af);
			continue;
		}
		char *path = hcf_xstrdup(w->af.path);
		if (hcf_atomic_commit(&w->af) != 0) {
			hcf_set_err(err, errlen, "cannot write %s: %s", path, strerror(errno));
			rc = -1;
		}
		free(path);
	}
	rd_free(rd);
	return rc;
}

void hcf_report_dir_abort(struct hcf_report_dir *rd)
{
	if (!rd)
		return;
	for (size_t i = 0; i < rd->n; i++)
		writer_drop(&rd->w[i]);
	rd_free(rd);
}

size_t hcf_report_dir_files(const struct hcf_report_dir *rd, const char *const **paths)
{
	if (!rd) {
		if (paths)
			*paths = NULL;
		return 0;
	}
	if (paths)
		*paths = rd->paths;
	return rd->n;
}
