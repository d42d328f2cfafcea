/* campaign_cov.c: a campaign's coverage matrix, summed from its fuzzing processes' files. */
#include "fuzz/campaign_cov.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fuzz/campaign_dir.h"
#include "util/fileio.h"
#include "util/xalloc.h"

/* A file already in the running sum: its name and the bytes it had then. */
struct settled {
	char *name;
	struct timespec mtime;
	off_t size;
};

struct hcf_campaign_cov {
	char *dir;
	struct hcf_cov *ended;   /* the sum of the files of processes that ended */
	struct hcf_cov *total;   /* ended + the live ones, as last read */
	struct settled *settled;
	size_t nsettled, cap;
	size_t skipped;
};

struct hcf_campaign_cov *hcf_campaign_cov_new(const struct hcf_abi *abi, const char *spec_path,
					      const char *dir)
{
	struct hcf_campaign_cov *cc = hcf_xcalloc(1, sizeof(*cc));
	cc->dir = hcf_xstrdup(dir);
	cc->ended = hcf_cov_new(abi, spec_path);
	cc->total = hcf_cov_new(abi, spec_path);
	return cc;
}

/* "<engine>-<pid>.coverage": the pid, or 0 for a name that is not one. */
static long pid_of(const char *name)
{
	size_t n = strlen(name), sl = strlen(HCF_CAMPAIGN_COV_SUFFIX);
	if (n <= sl || strcmp(name + n - sl, HCF_CAMPAIGN_COV_SUFFIX))
		return 0;
	const char *dash = NULL;
	for (const char *p = name; p < name + n - sl; p++)
		if (*p == '-')
			dash = p;
	if (!dash)
		return 0;
	long pid = 0;
	for (const char *p = dash + 1; p < name + n - sl; p++) {
		if (*p < '0' || *p > '9' || pid > (1L << 31))
			return 0;
		pid = pid * 10 + (*p - '0');
	}
	return pid;
}

static bool alive(long pid)
{
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static struct settled *find_settled(struct hcf_campaign_cov *cc, const char *name)
{
	for (size_t i = 0; i < cc->nsettled; i++)
		if (!strcmp(cc->settled[i].name, name))
			return &cc->settled[i];
	return NULL;
}

/* Add the matrix in file path to dst; false when it is none of this spec. */
static bool add_file(struct hcf_campaign_cov *cc, struct hcf_cov *dst, const char *path)
{
	char err[512];
	struct hcf_cov *one = hcf_cov_load_file(path, err, sizeof(err));
	if (!one) {
		cc->skipped++;
		return false;
	}
	if (hcf_cov_add_counts(dst, one))
		cc->skipped++;
	hcf_cov_free(one);
	return true;
}

const struct hcf_cov *hcf_campaign_cov_read(struct hcf_campaign_cov *cc)
{
	hcf_cov_clear(cc->total);
	char *sdir = hcf_xasprintf("%s/%s", cc->dir, HCF_CAMPAIGN_STATS_DIR);
	DIR *d = opendir(sdir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		long pid = pid_of(e->d_name);
		if (pid <= 0)
			continue;
		char *p = hcf_xasprintf("%s/%s", sdir, e->d_name);
		struct stat st;
		struct settled *s = find_settled(cc, e->d_name);
		/* read once when its process has ended; again only when its
		 * bytes changed since (a new process with the same pid) */
		bool done = stat(p, &st) == 0 && s && s->size == st.st_size &&
			    s->mtime.tv_sec == st.st_mtim.tv_sec && s->mtime.tv_nsec == st.st_mtim.tv_nsec;
		if (!done) {
			if (alive(pid)) {
				add_file(cc, cc->total, p);
			} else {
				/* a file that is no matrix is not read again either */
				add_file(cc, cc->ended, p);
				if (!s) {
					if (cc->nsettled == cc->cap) {
						cc->cap = cc->cap ? 2 * cc->cap : 16;
						cc->settled = hcf_xreallocarray(cc->settled, cc->cap,
										sizeof(*cc->settled));
					}
					s = &cc->settled[cc->nsettled++];
					s->name = hcf_xstrdup(e->d_name);
				}
				s->mtime = st.st_mtim;
				s->size = st.st_size;
			}
		}
		free(p);
	}
	if (d)
		closedir(d);
	free(sdir);
	hcf_cov_add_counts(cc->total, cc->ended);
	return cc->total;
}

size_t hcf_campaign_cov_skipped(const struct hcf_campaign_cov *cc)
{
	return cc->skipped;
}

int hcf_campaign_cov_save(const struct hcf_campaign_cov *cc)
{
	char *text = hcf_cov_to_text(cc->total, true);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	char *p = hcf_xasprintf("%s/%s", cc->dir, HCF_CAMPAIGN_COVERAGE);
	int rc = hcf_write_file_atomic(p, text, strlen(text));
	free(p);
	free(text);
	return rc;
}

void hcf_campaign_cov_free(struct hcf_campaign_cov *cc)
{
	if (!cc)
		return;
	for (size_t i = 0; i < cc->nsettled; i++)
		free(cc->settled[i].name);
	free(cc->settled);
	hcf_cov_free(cc->ended);
	hcf_cov_free(cc->total);
	free(cc->dir);
	free(cc);
}
