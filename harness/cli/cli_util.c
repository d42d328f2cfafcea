/* cli_util.c: the live status line, error messages and spec lookup shared by commands. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static bool status_shown;
static time_t status_last;

void hcf_status(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (isatty(STDERR_FILENO)) {
		/* rewrite in place, cut to the terminal's usual width */
		fprintf(stderr, "\r\033[K%.*s", 118, line);
		status_shown = true;
	} else {
		/* a log (CI): one line every few seconds is progress enough */
		time_t now = time(NULL);
		if (now - status_last < 5)
			return;
		status_last = now;
		fprintf(stderr, "%s\n", line);
	}
	fflush(stderr);
}

void hcf_status_done(void)
{
	if (status_shown)
		fprintf(stderr, "\n");
	status_shown = false;
	status_last = 0;
}

void hcf_cli_error(const char *cmd, const char *fmt, ...)
{
	if (status_shown)
		hcf_status_done();
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "hcfuzz %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int hcf_cli_find_spec(const char *name, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *env = getenv("HCF_SPEC_DIR");
	char dirs[4][PATH_MAX];
	size_t nd = 0;
	if (env && *env)
		snprintf(dirs[nd++], PATH_MAX, "%s", env);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			/* build/hcfuzz in a source tree, or an installed bin/ next to share/ */
			snprintf(dirs[nd++], PATH_MAX, "%.*s/../specs", PATH_MAX - 16, self);
			snprintf(dirs[nd++], PATH_MAX, "%.*s/../share/hcfuzz/specs", PATH_MAX - 32, self);
		}
	}
	snprintf(dirs[nd++], PATH_MAX, "specs");
	for (size_t i = 0; i < nd; i++) {
		snprintf(out, len, "%s/%s.yaml", dirs[i], name);
		if (is_file(out))
			return 0;
	}
	return -1;
}
