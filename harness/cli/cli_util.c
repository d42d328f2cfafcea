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

void hcf_cli_error(const char *cmd, const char *fmt, ...)
{
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
