/*
 * campaign.c: run and resume fuzzing campaigns: directory, seeds, engine
 * processes, the live status line, stats.csv, stopping, and the work after
 * (minimize, reproducers, report).
 */
#include "fuzz/campaign.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec/exec.h"
#include "exec/requires.h"
#include "exec/targets.h"
#include "fuzz/engine_bin.h"
#include "fuzz/campaign_cov.h"
#include "fuzz/features.h"
#include "fuzz/finding.h"
#include "oracles/verdict.h"
#include "prog/codec.h"
#include "prog/plan.h"
#include "fuzz/campaign_dir.h"
#include "oracles/anomaly.h"
#include "reports/campaign_report.h"
#include "target/target.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/hash.h"
#include "util/interrupt.h"
#include "util/status.h"
#include "util/xalloc.h"

#define MAX_ENGINES 64
#define DISK_MIN_BYTES (64ull << 20)   /* stop before the disk is full, not after */
#define STOP_GRACE_S 5

struct engine {
	pid_t pid;
	char name[32];
	bool running;
	int status;
};

struct campaign {
	const struct hcf_campaign_opts *o;
	char dir[PATH_MAX];
	char spec[PATH_MAX];
	char self[PATH_MAX];
	char bindir[PATH_MAX];
	bool bindir_given;        /* HCF_FUZZ_BIN_DIR: the binaries as they are */
	struct hcf_abi *abi;
	struct engine eng[MAX_ENGINES];
	size_t neng;
	double elapsed_before;    /* seconds of earlier runs (resume) */
	FILE *csv;
	char kcov[160];
	char *target_params;      /* --target-opt, one per line, for the engines */
	struct hcf_campaign_cov *cov; /* the spec coverage matrix, summed from the engines' */
};

static char *path2(const char *a, const char *b)
{
	return hcf_xasprintf("%s/%s", a, b);
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* An executable on PATH, or NULL. */
static char *which(const char *name)
{
	const char *path = getenv("PATH");
	if (!path)
		return NULL;
	char *copy = hcf_xstrdup(path), *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = path2(d, name);
		if (access(p, X_OK) == 0) {
			free(copy);
			return p;
		}
		free(p);
	}
	free(copy);
	return NULL;
}

/* ---- the directory -------------------------------------------------------- */

/* Leftovers of a killed run: temporary finding directories, finding
 * directories without finding.json. Moved aside, never deleted. */
static void quarantine(struct campaign *c)
{
	char *fdir = path2(c->dir, HCF_CAMPAIGN_FINDINGS);
	DIR *d = opendir(fdir);
	if (!d) {
		free(fdir);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = path2(fdir, e->d_name);
		char *json = path2(p, HCF_FINDING_JSON);
		bool bad = !strncmp(e->d_name, ".tmp-", 5) || !is_dir(p) || !is_file(json);
		if (bad) {
			char *qdir = path2(c->dir, HCF_CAMPAIGN_QUARANTINE);
			hcf_mkdir_p(qdir, 0755);
			char *to = hcf_xasprintf("%s/%s.%ld", qdir, e->d_name, (long)time(NULL));
			if (rename(p, to) == 0)
				fprintf(stderr, "hcfuzz fuzz: moved damaged %s to %s\n", p, to);
			free(to);
			free(qdir);
		}
		free(json);
		free(p);
	}
	closedir(d);
	free(fdir);
}

static int prepare_dir(struct campaign *c, char *err, size_t errlen)
{
	static const char *const subdirs[] = { HCF_CAMPAIGN_SEEDS, HCF_CAMPAIGN_CORPUS, HCF_CAMPAIGN_FINDINGS,
					       HCF_CAMPAIGN_STATS_DIR, HCF_CAMPAIGN_LOGS,
					       "artifacts" };
	if (hcf_mkdir_p(c->o->dir, 0755) != 0 || !realpath(c->o->dir, c->dir)) {
		snprintf(err, errlen, "cannot create %s: %s", c->o->dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char *p = path2(c->dir, subdirs[i]);
		int rc = hcf_mkdir_p(p, 0755);
		free(p);
		if (rc != 0) {
			snprintf(err, errlen, "cannot create %s/%s: %s", c->dir, subdirs[i], strerror(errno));
			return -1;
		}
	}
	/* writable at all? (a read-only mount passes mkdir of existing dirs) */
	char *probe = path2(c->dir, ".write-test");
	int rc = hcf_write_file_atomic(probe, "ok\n", 3);
	int e = errno;
	unlink(probe);
	free(probe);
	if (rc != 0) {
		snprintf(err, errlen, "%s is not writable: %s", c->dir, strerror(e));
		return -1;
	}
	quarantine(c);
	return 0;
}

static size_t count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && (!prefix || !strncmp(e->d_name, prefix, strlen(prefix))))
			n++;
	closedir(d);
	return n;
}

/* campaign.json: created on the first run, one "runs" entry per run. */
static json_t *load_campaign_json(struct campaign *c)
{
	char *p = path2(c->dir, HCF_CAMPAIGN_JSON);
	json_error_t je;
	json_t *j = is_file(p) ? json_load_file(p, 0, &je) : NULL;
	if (!j && is_file(p)) {
		/* damaged: keep it aside, start a fresh record */
		char *q = hcf_xasprintf("%s/quarantine/campaign.json.%ld", c->dir, (long)time(NULL));
		char *qd = path2(c->dir, HCF_CAMPAIGN_QUARANTINE);
		hcf_mkdir_p(qd, 0755);
		fprintf(stderr, "hcfuzz fuzz: %s:%d:%d: %s; moved to %s\n", p, je.line, je.column,
			je.text, q);
		rename(p, q);
		free(q);
		free(qd);
	}
	if (!j || !json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	free(p);
	json_object_set_new(j, HCF_CJ_VERSION, json_integer(1));
	json_object_set_new(j, hcf_cfact_keys[HCF_CF_SPEC], json_string(c->spec));
	json_object_set_new(j, hcf_cfact_keys[HCF_CF_ABI], json_string(c->abi->name));
	json_object_set_new(j, hcf_cfact_keys[HCF_CF_ENGINE], json_string(c->o->engine));
	json_object_set_new(j, HCF_CJ_JOBS, json_integer(c->o->jobs));
	json_object_set_new(j, hcf_cfact_keys[HCF_CF_TARGET], json_string(c->o->target));
	if (!json_is_array(json_object_get(j, HCF_CJ_RUNS)))
		json_object_set_new(j, HCF_CJ_RUNS, json_array());
	return j;
}

static int save_campaign_json(struct campaign *c, json_t *j)
{
	char *p = path2(c->dir, HCF_CAMPAIGN_JSON);
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc = s ? hcf_write_file_atomic(p, s, strlen(s)) : -1;
	free(s);
	free(p);
	return rc;
}

double hcf_campaign_elapsed_before(const char *dir)
{
	char *p = path2(dir, HCF_CAMPAIGN_STATS);
	size_t len = 0;
	char *txt = hcf_read_file(p, 64u << 20, &len);
	free(p);
	if (!txt)
		return 0;
	double last = 0;
	for (char *line = strtok(txt, "\n"); line; line = strtok(NULL, "\n")) {
		double t, el;
		if (sscanf(line, "%lf,%lf,", &t, &el) == 2 && el > last)
			last = el;
	}
	free(txt);
	return last;
}

/* ---- seeds ---------------------------------------------------------------- */

static uint64_t fnv(const uint8_t *p, size_t n)
{
	return hcf_fnv64(HCF_FNV64_SEED, p, n);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* A seed file's bytes: a .hcf program is encoded, anything else is an input. */
static uint8_t *seed_bytes(struct campaign *c, const char *path, size_t *len)
{
	if (!has_suffix(path, ".hcf"))
		return (uint8_t *)hcf_read_file(path, 1u << 20, len);
	struct hcf_prog p;
	hcf_prog_init(&p, c->abi);
	struct hcf_diags d;
	hcf_diags_init(&d);
	uint8_t *bytes = NULL;
	char err[160];
	if (hcf_prog_parse_file(&p, c->abi, path, &d) != 0) {
		hcf_diags_print(&d, stderr); /* a bad seed is reported and skipped */
		return NULL;
	}
	if (hcf_prog_encode(&p, &bytes, len, err, sizeof(err)) != 0)
		fprintf(stderr, "hcfuzz fuzz: seed %s: %s; skipped\n", path, err);
	hcf_prog_free(&p);
	return bytes;
}

static size_t copy_seed_files(struct campaign *c, const char *from, const char *to)
{
	size_t n = 0;
	DIR *d = opendir(from);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = path2(from, e->d_name);
		if (is_dir(p)) {
			n += copy_seed_files(c, p, to); /* seeds/, regression/ ... */
		} else if (is_file(p) && !has_suffix(e->d_name, ".md")) {
			size_t len = 0;
			uint8_t *data = seed_bytes(c, p, &len);
			if (data) {
				char *q = hcf_xasprintf("%s/seed-%016" PRIx64, to, fnv((uint8_t *)data, len));
				if (!is_file(q) && hcf_write_file_atomic(q, data, len) == 0)
					n++;
				free(q);
				free(data);
			}
		}
		free(p);
	}
	closedir(d);
	return n;
}

/* Every test of the conformance plan, encoded: a seed corpus for any spec. */
static size_t plan_seeds(struct campaign *c, const char *to)
{
	struct hcf_test *tests = NULL;
	size_t n = 0, written = 0;
	struct hcf_plan_opts po = { 0 };
	if (hcf_plan_build(c->abi, &po, &tests, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *bytes = NULL;
		size_t len = 0;
		char cerr[128];
		if (hcf_prog_encode(&tests[i].prog, &bytes, &len, cerr, sizeof(cerr)) != 0)
			continue;
		char *q = hcf_xasprintf("%s/plan-%016" PRIx64, to, fnv(bytes, len));
		if (!is_file(q) && hcf_write_file_atomic(q, bytes, len) == 0)
			written++;
		free(q);
		free(bytes);
	}
	hcf_tests_free(tests, n);
	return written;
}

static void prepare_seeds(struct campaign *c)
{
	char *to = path2(c->dir, HCF_CAMPAIGN_SEEDS);
	if (count_entries(to, NULL) > 0) {
		free(to);
		return; /* resumed: the seeds are there */
	}
	char *from = NULL;
	if (c->o->seeds) {
		from = hcf_xstrdup(c->o->seeds);
	} else {
		/* specs/NAME.yaml -> corpus/ABI next to specs/ */
		char *dup = hcf_xstrdup(c->spec);
		char *slash = strrchr(dup, '/');
		if (slash)
			*slash = '\0';
		from = hcf_xasprintf("%s/../corpus/%s", slash ? dup : ".", c->abi->name);
		free(dup);
	}
	size_t n = is_dir(from) ? copy_seed_files(c, from, to) : 0;
	size_t p = plan_seeds(c, to);
	if (!c->o->quiet)
		fprintf(stderr, "hcfuzz fuzz: seeds: %zu from %s, %zu from the conformance plan\n", n,
			is_dir(from) ? from : "(no seed corpus)", p);
	free(from);
	free(to);
}

/* ---- engines -------------------------------------------------------------- */

size_t hcf_campaign_engine_pids(const char *text, size_t len, long *pids, size_t max)
{
	size_t n = 0;
	for (size_t at = 0; at < len && n < max;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len;
		/* "PID NAME": the digits only, never past the line */
		long pid = 0;
		size_t i = at;
		while (i < end && text[i] >= '0' && text[i] <= '9' && pid < (1L << 31)) {
			pid = pid * 10 + (text[i] - '0');
			i++;
		}
		if (i > at && pid > 1 && pid < (1L << 31) && (i == end || text[i] == ' '))
			pids[n++] = pid;
		at = end + 1;
	}
	return n;
}

static void kill_stale_engines(struct campaign *c)
{
	char *p = path2(c->dir, "engines.pid");
	size_t len;
	char *txt = hcf_read_file(p, 1u << 16, &len);
	if (txt) {
		long pids[MAX_ENGINES * 4];
		size_t npids = hcf_campaign_engine_pids(txt, len, pids, sizeof(pids) / sizeof(pids[0]));
		for (size_t k = 0; k < npids; k++) {
			long pid = pids[k];
			/* only a process that is still one of ours: check its command */
			char cmdp[64], cmd[256] = { 0 };
			snprintf(cmdp, sizeof(cmdp), "/proc/%ld/cmdline", pid);
			FILE *f = fopen(cmdp, "r");
			if (!f)
				continue;
			size_t got = fread(cmd, 1, sizeof(cmd) - 1, f);
			fclose(f);
			for (size_t i = 0; i < got; i++)
				if (!cmd[i])
					cmd[i] = ' ';
			if (strstr(cmd, "hcfuzz-fuzz") || strstr(cmd, "afl-fuzz")) {
				fprintf(stderr, "hcfuzz fuzz: stopping engine %ld left by an earlier run\n", pid);
				kill(-(pid_t)pid, SIGKILL);
				kill((pid_t)pid, SIGKILL);
			}
		}
		free(txt);
	}
	unlink(p);
	free(p);
}

static void record_engines(struct campaign *c)
{
	char *p = path2(c->dir, "engines.pid");
	FILE *f = fopen(p, "w");
	if (f) {
		for (size_t i = 0; i < c->neng; i++)
			fprintf(f, "%ld %s\n", (long)c->eng[i].pid, c->eng[i].name);
		fclose(f);
	}
	free(p);
}

/* Start argv as an engine: own process group, dies with us, output to a log. */
static int spawn(struct campaign *c, const char *name, char *const argv[], const char *const env[])
{
	if (c->neng >= MAX_ENGINES)
		return -1;
	char *log = hcf_xasprintf("%s/logs/%s.log", c->dir, name);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		free(log);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		for (size_t i = 0; env[i]; i += 2)
			setenv(env[i], env[i + 1], 1);
		execv(argv[0], argv);
		fprintf(stderr, "hcfuzz fuzz: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	struct engine *e = &c->eng[c->neng++];
	e->pid = pid;
	e->running = true;
	snprintf(e->name, sizeof(e->name), "%s", name);
	free(log);
	return 0;
}

/* The engine's binary beside hcfuzz, which hcfuzz's build directory builds
 * on first use and keeps up to date; as it is in HCF_FUZZ_BIN_DIR. */
static char *engine_binary(struct campaign *c, const char *name, const char *needs, char *err,
			   size_t errlen)
{
	char *log = hcf_xasprintf("%s/%s/engine-build.log", c->dir, HCF_CAMPAIGN_LOGS);
	struct hcf_engine_bin_opts eo = {
		.bindir = c->bindir, .name = name, .needs = needs, .log = log, .build = !c->bindir_given,
	};
	char *bin = hcf_engine_binary(&eo, err, errlen);
	free(log);
	return bin;
}

static int start_engines(struct campaign *c, char *err, size_t errlen)
{
	const struct hcf_campaign_opts *o = c->o;
	unsigned jobs = o->jobs ? o->jobs : 1;
	char secs[32];
	snprintf(secs, sizeof(secs), "%u", o->seconds ? o->seconds + 30 : 0); /* we stop them first */
	const char *env[] = {
		"HCF_FUZZ_SPEC", c->spec, "HCF_FUZZ_DIR", c->dir, "HCF_FUZZ_TARGET", o->target,
		"HCF_FUZZ_TRANSPORT", o->transport ? o->transport : "",
		"HCF_FUZZ_TARGET_OPTS", c->target_params,
		"HCF_FUZZ_DIFF_TARGET", o->diff_target ? o->diff_target : "",
		/* AFL++: no UI (the status line is ours), resume an existing sync
		 * directory, no CPU binding (fuzzing processes share the cores
		 * with the VMs), no core_pattern or frequency-governor demands */
		"AFL_NO_UI", "1", "AFL_AUTORESUME", "1", "AFL_NO_AFFINITY", "1",
		"AFL_SKIP_CPUFREQ", "1", "AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1",
		"AFL_ALLOW_TMP", "1", "AFL_FORKSRV_INIT_TMOUT", "30000",
		NULL, NULL,
	};
	if (!strcmp(o->engine, "libfuzzer")) {
		char *bin = engine_binary(c, "hcfuzz-fuzz-libfuzzer", "clang-14 and libclang-rt-14-dev",
					  err, errlen);
		if (!bin)
			return -1;
		char *corpus = path2(c->dir, HCF_CAMPAIGN_CORPUS), *seeds = path2(c->dir, HCF_CAMPAIGN_SEEDS);
		char *art = hcf_xasprintf("-artifact_prefix=%s/artifacts/", c->dir);
		char *fork = hcf_xasprintf("-fork=%u", jobs);
		char *mtt = hcf_xasprintf("-max_total_time=%s", secs);
		char *argv[16];
		size_t a = 0;
		argv[a++] = bin;
		if (jobs > 1)
			argv[a++] = fork;
		if (o->seconds)
			argv[a++] = mtt;
		argv[a++] = "-timeout=60";
		argv[a++] = "-rss_limit_mb=4096";
		argv[a++] = "-print_final_stats=1";
		argv[a++] = "-reload=1";
		argv[a++] = art;
		argv[a++] = corpus;
		argv[a++] = seeds;
		argv[a] = NULL;
		int rc = spawn(c, "libfuzzer", argv, env);
		free(bin);
		free(corpus);
		free(seeds);
		free(art);
		free(fork);
		free(mtt);
		if (rc != 0) {
			snprintf(err, errlen, "cannot start libFuzzer: %s", strerror(errno));
			return -1;
		}
	} else if (!strcmp(o->engine, "afl")) {
		char *afl = which("afl-fuzz");
		if (!afl) {
			snprintf(err, errlen, "afl-fuzz is not installed (apt-get install afl++, or ci/setup.sh)");
			return -1;
		}
		char *bin = engine_binary(c, "hcfuzz-fuzz-afl", "afl++ (afl-clang-fast)", err, errlen);
		if (!bin) {
			free(afl);
			return -1;
		}
		char *seeds = path2(c->dir, HCF_CAMPAIGN_SEEDS), *out = path2(c->dir, HCF_CAMPAIGN_AFL);
		for (unsigned k = 0; k < jobs; k++) {
			char name[32];
			if (k == 0)
				snprintf(name, sizeof(name), "main");
			else
				snprintf(name, sizeof(name), "sec%u", k);
			char *argv[16];
			size_t a = 0;
			argv[a++] = afl;
			argv[a++] = k == 0 ? "-M" : "-S";
			argv[a++] = name;
			argv[a++] = "-i";
			argv[a++] = seeds;
			argv[a++] = "-o";
			argv[a++] = out;
			argv[a++] = "-t";
			argv[a++] = "10000";
			if (o->seconds) {
				argv[a++] = "-V";
				argv[a++] = secs;
			}
			argv[a++] = "--";
			argv[a++] = bin;
			argv[a] = NULL;
			char lname[48];
			snprintf(lname, sizeof(lname), "afl-%s", name);
			if (spawn(c, lname, argv, env) != 0) {
				snprintf(err, errlen, "cannot start afl-fuzz: %s", strerror(errno));
				free(bin);
				free(afl);
				free(seeds);
				free(out);
				return -1;
			}
		}
		free(bin);
		free(afl);
		free(seeds);
		free(out);
	} else {
		snprintf(err, errlen, "unknown engine '%s' (libfuzzer, afl)", o->engine);
		return -1;
	}
	record_engines(c);
	return 0;
}

static size_t engines_running(struct campaign *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->neng; i++) {
		struct engine *e = &c->eng[i];
		if (!e->running)
			continue;
		int st;
		pid_t r = waitpid(e->pid, &st, WNOHANG);
		if (r == e->pid) {
			e->running = false;
			e->status = st;
		} else {
			n++;
		}
	}
	return n;
}

static void stop_engines(struct campaign *c)
{
	for (size_t i = 0; i < c->neng; i++)
		if (c->eng[i].running)
			kill(-c->eng[i].pid, SIGINT);
	double until = hcf_now_s() + STOP_GRACE_S;
	while (engines_running(c) && hcf_now_s() < until)
		usleep(50000);
	for (size_t i = 0; i < c->neng; i++)
		if (c->eng[i].running) {
			kill(-c->eng[i].pid, SIGKILL);
			waitpid(c->eng[i].pid, &c->eng[i].status, 0);
			c->eng[i].running = false;
		}
	/* the process groups may hold workers that outlived their parent */
	for (size_t i = 0; i < c->neng; i++)
		kill(-c->eng[i].pid, SIGKILL);
	char *p = path2(c->dir, "engines.pid");
	unlink(p);
	free(p);
}

/* ---- progress ------------------------------------------------------------- */

/* Add one process's per-anomaly counts into sum (id -> count). */
static void add_anomalies(json_t *sum, json_t *one)
{
	const char *id;
	json_t *v;
	json_object_foreach(one, id, v) {
		json_int_t n = json_integer_value(v) + json_integer_value(json_object_get(sum, id));
		json_object_set_new(sum, id, json_integer(n));
	}
}

/* "id 120, id 3": the most frequent first, as much as fits. */
static void format_anomalies(json_t *sum, char *buf, size_t len)
{
	size_t n = json_object_size(sum), k = 0;
	const char **ids = hcf_xcalloc(n ? n : 1, sizeof(*ids));
	uint64_t *counts = hcf_xcalloc(n ? n : 1, sizeof(*counts));
	const char *id;
	json_t *v;
	json_object_foreach(sum, id, v) {
		ids[k] = id;
		counts[k++] = json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
	}
	hcf_anomaly_ranking(ids, counts, k, buf, len);
	free(ids);
	free(counts);
}

void hcf_campaign_progress_read(const char *dir, const char *engine,
				struct hcf_campaign_progress *pg)
{
	memset(pg, 0, sizeof(*pg));
	json_t *anomalies = json_object();
	char *sdir = path2(dir, HCF_CAMPAIGN_STATS_DIR);
	DIR *d = opendir(sdir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			size_t l = strlen(e->d_name);
			char *p = path2(sdir, e->d_name);
			if (l > 5 && !strcmp(e->d_name + l - 5, ".json")) {
				json_t *j = json_load_file(p, 0, NULL);
				if (j) {
					pg->execs += (unsigned long long)json_integer_value(json_object_get(j, "execs"));
					pg->calls += (unsigned long long)json_integer_value(json_object_get(j, "calls"));
					pg->lost += (unsigned long long)json_integer_value(json_object_get(j, "lost"));
					pg->xfail += (unsigned long long)json_integer_value(json_object_get(j, "xfail"));
					add_anomalies(anomalies, json_object_get(j, "anomalies"));
					uint64_t t = (uint64_t)json_integer_value(
						json_object_get(j, "last_new_feature_unix"));
					if (t > pg->last_new_feature_unix)
						pg->last_new_feature_unix = t;
					json_decref(j);
				}
			} else if (l > 9 && !strcmp(e->d_name + l - 9, ".features")) {
				struct hcf_feature_set s;
				memset(&s, 0, sizeof(s));
				size_t len = 0;
				char *bits = hcf_read_file(p, sizeof(s.bits) + 1, &len);
				if (bits && len == sizeof(s.bits)) {
					memcpy(s.bits, bits, sizeof(s.bits));
					hcf_feature_set_or(&pg->union_, &s);
				}
				free(bits);
			}
			free(p);
		}
		closedir(d);
	}
	free(sdir);
	format_anomalies(anomalies, pg->anomalies, sizeof(pg->anomalies));
	json_decref(anomalies);
	pg->features = pg->union_.count;
	char *fd = path2(dir, HCF_CAMPAIGN_FINDINGS);
	pg->findings = count_entries(fd, NULL);
	free(fd);
	if (!strcmp(engine, "afl")) {
		/* the largest queue: instances sync each other's entries */
		char *adir = path2(dir, HCF_CAMPAIGN_AFL);
		DIR *ad = opendir(adir);
		if (ad) {
			struct dirent *e;
			while ((e = readdir(ad))) {
				if (e->d_name[0] == '.')
					continue;
				char *q = hcf_xasprintf("%s/%s/queue", adir, e->d_name);
				size_t n = count_entries(q, "id:");
				if (n > pg->corpus)
					pg->corpus = n;
				free(q);
			}
			closedir(ad);
		}
		free(adir);
	} else {
		char *cd = path2(dir, HCF_CAMPAIGN_CORPUS);
		pg->corpus = count_entries(cd, NULL);
		free(cd);
	}
}

static void open_csv(struct campaign *c)
{
	char *p = path2(c->dir, HCF_CAMPAIGN_STATS);
	bool fresh = !is_file(p);
	c->csv = fopen(p, "a");
	if (c->csv && fresh)
		for (unsigned k = 0; k < HCF_CS_COUNT; k++)
			fprintf(c->csv, "%s%s", hcf_cstat_col_names[k], k + 1 < HCF_CS_COUNT ? "," : "\n");
	free(p);
}

static void fmt_hms(double s, char *buf, size_t len)
{
	long t = (long)s;
	snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

/* ---- findings after the run ------------------------------------------------ */

static int run_self(struct campaign *c, char *const argv[])
{
	char *log = path2(c->dir, "logs/post.log");
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execv(c->self, argv);
		_exit(127);
	}
	free(log);
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void post_process(struct campaign *c, struct hcf_campaign_result *res)
{
	char *fdir = path2(c->dir, HCF_CAMPAIGN_FINDINGS);
	DIR *d = opendir(fdir);
	if (!d) {
		free(fdir);
		return;
	}
	struct dirent *e;
	size_t n = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = path2(fdir, e->d_name);
		struct hcf_finding f;
		struct hcf_diags diags;
		hcf_diags_init(&diags);
		if (hcf_finding_load_meta(p, &f, &diags) != 0) {
			hcf_diags_print(&diags, stderr);
			free(p);
			continue;
		}
		n++;
		if ((int)f.sig.verdict > res->worst_verdict)
			res->worst_verdict = (int)f.sig.verdict;
		char *min = path2(p, HCF_FINDING_MINIMIZED), *repro = path2(p, HCF_FINDING_REPRO);
		if (!c->o->no_minimize && !is_file(min) && !hcf_interrupted()) {
			if (!c->o->quiet)
				hcf_status("minimizing %s", f.sig.text);
			/* on the campaign's target, with its parameters */
			char *argv[12 + 2 * HCF_TARGET_MAX_PARAMS] = { c->self, "minimize", "--max-seconds", "30", "--target",
						   (char *)c->o->target };
			size_t a = 6;
			for (size_t k = 0; k < c->o->ntarget_params; k++) {
				argv[a++] = "--target-opt";
				argv[a++] = (char *)c->o->target_params[k];
			}
			if (c->o->diff_target) { /* its differences are its findings */
				argv[a++] = "--diff-target";
				argv[a++] = (char *)c->o->diff_target;
			}
			argv[a++] = p;
			argv[a] = NULL;
			/* hcfuzz minimize: 3 is "no longer reproduces", others
			 * but 0 a failure; the user hears of both */
			int rc = run_self(c, argv);
			if (rc == 3)
				res->not_reproduced++;
			else if (rc != 0 && !hcf_interrupted())
				res->post_failed++;
		}
		/* a C reproducer runs on /dev/kvm: for findings on other targets the
		 * finding's program and `hcfuzz run --target` are the reproducer,
		 * for a difference between two targets `hcfuzz diff` */
		if (!strcmp(c->o->target, "kvm") && !c->o->diff_target && !is_file(repro) &&
		    !hcf_interrupted()) {
			char *argv[] = { c->self, "repro", p, "-o", repro, NULL };
			if (run_self(c, argv) != 0 && !hcf_interrupted())
				res->post_failed++;
		}
		free(min);
		free(repro);
		free(p);
	}
	closedir(d);
	free(fdir);
	res->findings = n;
	if (!c->o->quiet)
		hcf_status_done();
}

/* ---- the run ---------------------------------------------------------------- */

int hcf_campaign_run(const struct hcf_campaign_opts *o, struct hcf_campaign_result *res,
		     char *err, size_t errlen)
{
	memset(res, 0, sizeof(*res));
	struct campaign cc;
	memset(&cc, 0, sizeof(cc));
	struct campaign *c = &cc;
	c->o = o;
	if (!realpath(o->spec, c->spec)) {
		snprintf(err, errlen, "%s: %s", o->spec, strerror(errno));
		return -1;
	}
	ssize_t sl = readlink("/proc/self/exe", c->self, sizeof(c->self) - 1);
	if (sl <= 0) {
		snprintf(err, errlen, "cannot find the hcfuzz executable: %s", strerror(errno));
		return -1;
	}
	c->self[sl] = '\0';
	snprintf(c->bindir, sizeof(c->bindir), "%s", c->self);
	char *slash = strrchr(c->bindir, '/');
	if (slash)
		*slash = '\0';
	const char *over = getenv("HCF_FUZZ_BIN_DIR");
	if (over && *over) {
		snprintf(c->bindir, sizeof(c->bindir), "%s", over);
		c->bindir_given = true;
	}

	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load(c->spec, &c->abi, &d) != 0) {
		hcf_diags_print(&d, stderr);
		snprintf(err, errlen, "malformed spec %s", o->spec);
		return -1;
	}
	if (o->transport && hcf_spec_use_transport(c->abi, o->transport, err, errlen) != 0)
		return -1;
	int rc = -1;
	json_t *cj = NULL;
	if (prepare_dir(c, err, errlen) != 0)
		goto out;
	kill_stale_engines(c);
	cj = load_campaign_json(c);
	json_t *run = json_object();
	json_object_set_new(run, HCF_CJ_RUN_STARTED, json_integer((json_int_t)time(NULL)));
	json_object_set_new(run, HCF_CJ_RUN_SECONDS, json_real(0));
	json_object_set_new(run, HCF_CJ_RUN_STOPPED, json_string("running (or killed)"));
	json_array_append_new(json_object_get(cj, HCF_CJ_RUNS), run);
	if (save_campaign_json(c, cj) != 0) {
		snprintf(err, errlen, "cannot write %s/campaign.json: %s", c->dir, strerror(errno));
		goto out;
	}
	c->elapsed_before = hcf_campaign_elapsed_before(c->dir);
	prepare_seeds(c);
	open_csv(c);
	struct hcf_kcov kc;
	hcf_kcov_open(&kc);
	snprintf(c->kcov, sizeof(c->kcov), "%s", kc.why);
	hcf_kcov_close(&kc);
	json_object_set_new(cj, hcf_cfact_keys[HCF_CF_KCOV], json_string(c->kcov));
	/* What the engines will be talking to, for the record and the report
	 * (and a clear error now rather than from every engine process). */
	struct hcf_target *probe = NULL;
	struct hcf_target_opts topts = { .nparams = o->ntarget_params };
	memcpy(topts.params, o->target_params, o->ntarget_params * sizeof(topts.params[0]));
	c->target_params = hcf_target_params_join(o->target_params, o->ntarget_params);
	if (hcf_target_open(o->target, &probe, c->abi, &topts, err, errlen) != 0)
		goto out;
	/* An ABI the hypervisor lacks (Xen 4.17 and the FastABI) has nothing
	 * to fuzz: every input would be not applicable. Said once, up front. */
	char absent[256];
	const char *rdoc = NULL;
	if (c->abi->nrequires &&
	    hcf_requirements_check(c->abi, probe->ops->info(probe), absent, sizeof(absent), &rdoc) ==
		    HCF_REQ_ABSENT) {
		snprintf(err, errlen, "not applicable on %s: %s%s%s", o->target, absent, rdoc ? "; " : "",
			 rdoc ? rdoc : "");
		res->not_applicable = true;
		hcf_target_close(probe);
		json_object_set_new(run, HCF_CJ_RUN_STOPPED, json_string(err));
		save_campaign_json(c, cj);
		goto out;
	}
	json_object_set_new(cj, hcf_cfact_keys[HCF_CF_HYPERVISOR], json_string(probe->ops->info(probe)->hypervisor));
	json_object_set_new(cj, "target_notes", json_string(probe->ops->info(probe)->notes));
	hcf_target_close(probe);
	save_campaign_json(c, cj);

	struct hcf_campaign_progress pg0;
	hcf_campaign_progress_read(c->dir, c->o->engine, &pg0);
	size_t findings_before = pg0.findings;
	if (!o->quiet)
		fprintf(stderr,
			"hcfuzz fuzz: %s (%s) with %s x%u on target %s%s in %s\n  %s\n",
			c->abi->name, c->spec, o->engine, o->jobs ? o->jobs : 1, o->target,
			c->elapsed_before > 0 ? ", resuming" : "", c->dir, c->kcov);
	if (start_engines(c, err, errlen) != 0)
		goto out;
	c->cov = hcf_campaign_cov_new(c->abi, c->spec, c->dir);
	double cov_saved = 0;

	double t0 = hcf_now_s(), last_t = t0;
	unsigned long long last_execs = pg0.execs, last_calls = pg0.calls;
	double eps = 0, cps = 0;
	const char *why = "time limit";
	struct hcf_campaign_progress pg = pg0;
	for (;;) {
		usleep(200000);
		double t = hcf_now_s();
		bool tick = t - last_t >= 1.0;
		if (tick) {
			hcf_campaign_progress_read(c->dir, c->o->engine, &pg);
			double dt = t - last_t;
			double e_now = (double)(pg.execs - (pg.execs >= last_execs ? last_execs : pg.execs)) / dt;
			double c_now = (double)(pg.calls - (pg.calls >= last_calls ? last_calls : pg.calls)) / dt;
			/* smooth over a few seconds: engines report once a second */
			eps = eps ? 0.7 * eps + 0.3 * e_now : e_now;
			cps = cps ? 0.7 * cps + 0.3 * c_now : c_now;
			last_execs = pg.execs;
			last_calls = pg.calls;
			last_t = t;
			double elapsed = c->elapsed_before + (t - t0);
			/* before the first new feature: the whole run is the plateau
			 * (the report takes only non-negative seconds) */
			long since = pg.last_new_feature_unix ? (long)(time(NULL) - (time_t)pg.last_new_feature_unix)
							      : (long)(t - t0);
			/* the matrix for the status line; coverage.json now and then, so
			 * that a campaign killed hard still has a recent one */
			int matrix = hcf_cov_percent(hcf_campaign_cov_read(c->cov));
			if (t - cov_saved >= 10) {
				hcf_campaign_cov_save(c->cov);
				cov_saved = t;
			}
			if (c->csv) {
				fprintf(c->csv, "%lld,%.1f,%llu,%.1f,%llu,%.1f,%zu,%zu,%zu,%ld\n",
					(long long)time(NULL), elapsed, pg.execs, eps, pg.calls, cps, pg.corpus,
					pg.features, pg.findings, since);
				fflush(c->csv);
			}
			if (!o->quiet) {
				char hms[32];
				fmt_hms(elapsed, hms, sizeof(hms));
				hcf_status("fuzz %s %s  execs %llu (%.0f/s)  calls %llu (%.0f/s)  corpus %zu  "
					   "features %zu  matrix %d%%  findings %zu  new feature %lds ago  LOST %llu  "
					   "XFAIL %llu%s%s%s",
					   c->abi->name, hms, pg.execs, eps, pg.calls, cps, pg.corpus, pg.features,
					   matrix, pg.findings, since < 0 ? 0 : since, pg.lost, pg.xfail,
					   pg.anomalies[0] ? " (" : "", pg.anomalies,
					   pg.anomalies[0] ? ")" : "");
			}
		}
		if (hcf_interrupted()) {
			why = "interrupted";
			break;
		}
		if (o->seconds && t - t0 >= o->seconds) {
			why = "time limit";
			break;
		}
		struct statvfs vfs;
		if (statvfs(c->dir, &vfs) == 0 &&
		    (unsigned long long)vfs.f_bavail * vfs.f_frsize < DISK_MIN_BYTES) {
			why = "error: the disk is almost full";
			res->error = true;
			break;
		}
		if (!engines_running(c)) {
			why = "error: the fuzzing engines exited";
			res->error = true;
			break;
		}
	}
	stop_engines(c);
	if (!o->quiet)
		hcf_status_done();
	double ran = hcf_now_s() - t0;
	hcf_campaign_progress_read(c->dir, c->o->engine, &pg);
	if (c->csv) {
		fprintf(c->csv, "%lld,%.1f,%llu,%.1f,%llu,%.1f,%zu,%zu,%zu,%ld\n", (long long)time(NULL),
			c->elapsed_before + ran, pg.execs, eps, pg.calls, cps, pg.corpus, pg.features,
			pg.findings,
			pg.last_new_feature_unix ? (long)(time(NULL) - (time_t)pg.last_new_feature_unix)
						 : (long)ran);
		fclose(c->csv);
		c->csv = NULL;
	}
	hcf_campaign_cov_read(c->cov);
	if (hcf_campaign_cov_save(c->cov) != 0)
		fprintf(stderr, "hcfuzz fuzz: cannot write %s/%s: %s\n", c->dir, HCF_CAMPAIGN_COVERAGE,
			strerror(errno));
	if (res->error) {
		for (size_t i = 0; i < c->neng; i++)
			fprintf(stderr, "hcfuzz fuzz: engine %s: %s %d (log: %s/logs/)\n", c->eng[i].name,
				WIFEXITED(c->eng[i].status) ? "exit" : "signal",
				WIFEXITED(c->eng[i].status) ? WEXITSTATUS(c->eng[i].status)
							    : WTERMSIG(c->eng[i].status),
				c->dir);
	}
	json_t *runs = json_object_get(cj, HCF_CJ_RUNS);
	json_t *last = json_array_get(runs, json_array_size(runs) - 1);
	json_object_set_new(last, HCF_CJ_RUN_SECONDS, json_real(ran));
	json_object_set_new(last, HCF_CJ_RUN_STOPPED, json_string(why));
	json_object_set_new(last, "lost", json_integer((json_int_t)pg.lost));
	json_object_set_new(last, "xfail", json_integer((json_int_t)pg.xfail));
	json_object_set_new(last, "anomalies", json_string(pg.anomalies));
	save_campaign_json(c, cj);

	/* The interrupt ended the fuzzing; the findings still get their
	 * minimized programs and reproducers unless interrupted again. */
	bool again = hcf_interrupted();
	if (again) {
		/* a second Ctrl-C while post-processing stops it */
	}
	post_process(c, res);
	char rerr[512];
	if (hcf_campaign_report(c->dir, NULL, rerr, sizeof(rerr)) != 0)
		fprintf(stderr, "hcfuzz fuzz: report: %s\n", rerr);
	snprintf(res->stopped, sizeof(res->stopped), "%s", why);
	res->execs = pg.execs;
	res->calls = pg.calls;
	res->lost = pg.lost;
	res->xfail = pg.xfail;
	snprintf(res->anomalies, sizeof(res->anomalies), "%s", pg.anomalies);
	res->seconds = ran;
	res->new_findings = pg.findings > findings_before ? pg.findings - findings_before : 0;
	rc = 0;
out:
	if (c->csv)
		fclose(c->csv);
	hcf_campaign_cov_free(c->cov);
	free(c->target_params);
	json_decref(cj);
	hcf_spec_free(c->abi);
	return rc;
}
