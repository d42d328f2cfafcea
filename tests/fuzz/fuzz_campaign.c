/*
 * fuzz_campaign.c: the readers of a campaign directory's state on arbitrary
 * files: what "hcfuzz report" reads (hcf_campaign_read: campaign.json,
 * stats.csv, findings/; rendering the report is not fuzzed here, it costs
 * ten times the reading) and what a resumed campaign reads
 * (its engines' progress files in stats/, the elapsed time in stats.csv,
 * engines.pid). An input is up to the FILES below, cut at HCF_FUZZ_SPLIT;
 * files past the input's last part are absent. They are written into a
 * directory on tmpfs, so that the real readers run, paths and all.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz/campaign.h"
#include "fuzz/campaign_dir.h"
#include "fuzz_common.h"
#include "reports/campaign_data.h"
#include "util/fileio.h"
#include "util/xalloc.h"

#define F1 HCF_CAMPAIGN_FINDINGS "/0123456789abcdef"
#define F2 HCF_CAMPAIGN_FINDINGS "/fedcba9876543210"

static const char *const FILES[] = {
	HCF_CAMPAIGN_JSON,
	HCF_CAMPAIGN_STATS,
	F1 "/" HCF_FINDING_JSON,
	F1 "/" HCF_FINDING_MINIMIZED,
	F2 "/" HCF_FINDING_JSON,
	HCF_CAMPAIGN_STATS_DIR "/libfuzzer-0.json",
	HCF_CAMPAIGN_STATS_DIR "/libfuzzer-0.features",
	"engines.pid",
};
#define NFILES (sizeof(FILES) / sizeof(FILES[0]))

static char *dir;
static char *paths[NFILES];

/* The directory and what the report wrote into it (a crash leaves it for a look). */
static void cleanup(void)
{
	char *cmd = hcf_xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	dir = hcf_xasprintf("%s/hcfuzz-fuzz-campaign.%ld", base, (long)getpid());
	static const char *const subdirs[] = { "", "/" HCF_CAMPAIGN_FINDINGS, "/" F1, "/" F2,
					       "/" HCF_CAMPAIGN_STATS_DIR };
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char *p = hcf_xasprintf("%s%s", dir, subdirs[i]);
		if (mkdir(p, 0700) != 0) {
			perror(p);
			exit(2);
		}
		free(p);
	}
	for (size_t i = 0; i < NFILES; i++)
		paths[i] = hcf_xasprintf("%s/%s", dir, FILES[i]);
	atexit(cleanup);
	return 0;
}

/* What each file holds now. A mutation mostly changes one part of an
 * input: a file that would be written again with the same bytes is left as
 * it is. Fixed room, no allocation: libFuzzer runs its leak check again on
 * every input whose mallocs and frees do not balance. */
#define HELD_MAX 4096 /* ci/fuzz-parsers.sh's -max_len; longer parts are always written */
static struct {
	bool present, known;
	size_t len;
	uint8_t b[HELD_MAX];
} held[NFILES];

static void put(size_t i, const struct hcf_fuzz_part *part)
{
	if (held[i].known && held[i].present && held[i].len == part->len &&
	    !memcmp(held[i].b, part->p, part->len))
		return;
	FILE *f = fopen(paths[i], "wb");
	if (!f || (part->len && fwrite(part->p, 1, part->len, f) != part->len) || fclose(f)) {
		perror(paths[i]);
		abort();
	}
	held[i].present = true;
	held[i].known = part->len <= HELD_MAX;
	if (held[i].known) {
		memcpy(held[i].b, part->p, part->len);
		held[i].len = part->len;
	}
}

static void drop(size_t i)
{
	if (held[i].known && !held[i].present)
		return;
	if (unlink(paths[i]) != 0 && errno != ENOENT) {
		perror(paths[i]);
		abort();
	}
	held[i].known = true;
	held[i].present = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct hcf_fuzz_part parts[NFILES];
	size_t n = hcf_fuzz_split(data, len, parts, NFILES);
	for (size_t i = 0; i < NFILES; i++) {
		if (i < n)
			put(i, &parts[i]);
		else
			drop(i);
	}

	static struct hcf_campaign c; /* what "hcfuzz report" renders */
	memset(&c, 0, sizeof(c));
	hcf_campaign_read(&c, dir, NULL, 2);
	if (c.listed > c.nf || c.unreadable + c.unknown_verdict > c.nf)
		hcf_fuzz_fail("%zu findings, %zu listed, %zu unreadable", c.nf, c.listed, c.unreadable);
	if (c.nrows > c.rows_cap)
		hcf_fuzz_fail("%zu stats rows kept in room for %zu", c.nrows, c.rows_cap);
	hcf_campaign_free(&c);

	struct hcf_campaign_progress pg;
	hcf_campaign_progress_read(dir, "libfuzzer", &pg);
	if (strnlen(pg.anomalies, sizeof(pg.anomalies)) == sizeof(pg.anomalies))
		hcf_fuzz_fail("the anomaly ranking is not terminated");
	double el = hcf_campaign_elapsed_before(dir);
	if (el < 0)
		hcf_fuzz_fail("earlier runs took %f s", el);
	if (n == NFILES) {
		long pids[16];
		size_t np = hcf_campaign_engine_pids(parts[NFILES - 1].p, parts[NFILES - 1].len, pids, 16);
		for (size_t i = 0; i < np; i++)
			if (pids[i] <= 1)
				hcf_fuzz_fail("engines.pid: pid %ld", pids[i]);
	}
	return 0;
}
