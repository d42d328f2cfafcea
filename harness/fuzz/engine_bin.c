/* engine_bin.c: find the engine's fuzz target binary, building it on demand. */
#include "fuzz/engine_bin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/xalloc.h"

bool hcf_cmake_cache_get(const char *cache, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	for (const char *line = cache; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (len > klen && !strncmp(line, key, klen) && line[klen] == ':') {
			const char *eq = memchr(line + klen, '=', len - klen);
			if (eq) {
				size_t vlen = len - (size_t)(eq + 1 - line);
				if (vlen && eq[vlen] == '\r')
					vlen--;
				if (vlen >= outlen)
					return false;
				memcpy(out, eq + 1, vlen);
				out[vlen] = '\0';
				return true;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

/* Builds that define no fuzz target, by the cache entry that says so. */
static const struct {
	const char *key, *value, *why, *fix;
} no_fuzz_targets[] = {
	{ "HCF_BUILD_FUZZERS", "OFF", "configured with HCF_BUILD_FUZZERS=OFF",
	  "configure it with -DHCF_BUILD_FUZZERS=ON" },
	{ "HCF_SANITIZE", "ON", "a sanitizer build (HCF_SANITIZE=ON), which has no fuzz targets",
	  "fuzz with a plain build (ci/setup.sh)" },
};

/* Run argv with its output appended to log; its exit status, or -1. */
static int run_logged(char *const argv[], const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(fd);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The line of a failed build's log that says why: the first that holds the
 * most telling mark (the linker's missing file or symbol before the
 * compiler driver's summary of it, a compiler's error before ninja's), else
 * the last. */
static void why_build_failed(const char *log, char *out, size_t outlen)
{
	static const char *const marks[] = { "cannot find", "undefined reference", "error:", "Error",
					     "unknown target", "FAILED" };
	size_t len;
	char *txt = hcf_read_file(log, 16u << 20, &len);
	snprintf(out, outlen, "see the log");
	if (!txt)
		return;
	const char *pick = NULL, *last = NULL;
	size_t rank = sizeof(marks) / sizeof(marks[0]);
	for (char *line = strtok(txt, "\n"); line; line = strtok(NULL, "\n")) {
		last = line;
		for (size_t m = 0; m < rank; m++)
			if (strstr(line, marks[m])) {
				pick = line;
				rank = m;
			}
	}
	if (pick || last)
		snprintf(out, outlen, "%s", pick ? pick : last);
	free(txt);
}

/* Ask the build directory for the binary: configure again first when the
 * binary is missing (a tool installed since, such as afl-clang-fast, adds its
 * target), then build it. 0, or -1 with err. */
static int build_engine(const struct hcf_engine_bin_opts *o, const char *cmake, bool missing,
			char *err, size_t errlen)
{
	char *lockp = hcf_xasprintf("%s/.hcfuzz-engine-build.lock", o->bindir);
	int lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(lockp);
	/* runs side by side (tests, several campaigns) build one at a time */
	if (lock >= 0)
		while (flock(lock, LOCK_EX) != 0 && errno == EINTR)
			;
	if (missing)
		fprintf(stderr, "hcfuzz fuzz: building %s on first use (cmake --build %s --target %s)\n",
			o->name, o->bindir, o->name);
	int rc = 0;
	if (missing) {
		char *const conf[] = { (char *)cmake, (char *)o->bindir, NULL };
		rc = run_logged(conf, o->log);
	}
	if (rc == 0) {
		char *const build[] = { (char *)cmake, "--build", (char *)o->bindir, "--target",
					(char *)o->name, NULL };
		rc = run_logged(build, o->log);
	}
	if (lock >= 0)
		close(lock);
	if (rc != 0) {
		char why[320];
		why_build_failed(o->log, why, sizeof(why));
		snprintf(err, errlen, "building %s failed (cmake --build %s --target %s): %s; the output "
			 "is in %s; the target needs %s (ci/setup.sh installs everything)",
			 o->name, o->bindir, o->name, why, o->log, o->needs);
		return -1;
	}
	return 0;
}

char *hcf_engine_binary(const struct hcf_engine_bin_opts *o, char *err, size_t errlen)
{
	char *bin = hcf_xasprintf("%s/%s", o->bindir, o->name);
	bool missing = access(bin, X_OK) != 0;
	char *cachep = hcf_xasprintf("%s/CMakeCache.txt", o->bindir);
	size_t len;
	char *cache = o->build ? hcf_read_file(cachep, 16u << 20, &len) : NULL;
	free(cachep);
	char cmake[512], value[64];
	if (cache && hcf_cmake_cache_get(cache, "CMAKE_COMMAND", cmake, sizeof(cmake))) {
		int nobuild = -1;
		for (size_t i = 0; nobuild < 0 && i < sizeof(no_fuzz_targets) / sizeof(no_fuzz_targets[0]); i++)
			if (hcf_cmake_cache_get(cache, no_fuzz_targets[i].key, value, sizeof(value)) &&
			    !strcmp(value, no_fuzz_targets[i].value))
				nobuild = (int)i;
		if (nobuild >= 0 && missing) {
			snprintf(err, errlen, "%s is missing: %s is %s; %s", bin, o->bindir,
				 no_fuzz_targets[nobuild].why, no_fuzz_targets[nobuild].fix);
			goto fail;
		}
		if (nobuild < 0 && build_engine(o, cmake, missing, err, errlen) != 0)
			goto fail;
	} else if (missing) {
		snprintf(err, errlen, "%s is missing: build it with cmake --build BUILD_DIR --target %s "
			 "(it needs %s; ci/setup.sh installs and builds everything)", bin, o->name, o->needs);
		goto fail;
	}
	if (access(bin, X_OK) != 0) {
		snprintf(err, errlen, "%s is still missing after building it; the output is in %s", bin,
			 o->log);
		goto fail;
	}
	free(cache);
	return bin;
fail:
	free(cache);
	free(bin);
	return NULL;
}
